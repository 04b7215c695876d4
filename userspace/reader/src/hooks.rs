//! `--exec-on KIND=COMMAND`: run a shell command when an event of a kind arrives.
//!
//! The reader thread only decides (kind match, rate limit) and hands the job to a hook thread
//! through a bounded queue, never blocking; the hook thread spawns `/bin/sh -c COMMAND` with the
//! event in `OOM_GUARD_*` environment variables, reaps the children and logs failures.
//!
//! Hooks run with `oom_score_adj` 0, not the reader's -1000: a hook that allocates a lot must
//! stay killable. Their standard output goes to the reader's standard error, so it cannot mix
//! into a JSON stream on stdout.

use crate::cgroup::Resolver;
use crate::decode::Record;
use crate::format::{self, Extra, FormatOptions};
use crate::Warn;
use oom_guard_core::abi::{HeadroomLevel, Level, Payload, ReclaimPhase};
use std::io;
use std::os::fd::AsFd;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The shell hooks run in.
pub const SHELL: &str = "/bin/sh";
/// Hooks waiting to be spawned; more are dropped and counted.
const QUEUE: usize = 64;
/// How long the hook thread waits for running hooks at shutdown before leaving them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);
/// How often running hooks are checked for exit.
const REAP_INTERVAL: Duration = Duration::from_millis(100);
/// Resets `oom_score_adj`, then runs the command (`$1`) exactly as `/bin/sh -c COMMAND` would.
const WRAPPER: &str = "echo 0 >/proc/self/oom_score_adj 2>/dev/null; exec /bin/sh -c \"$1\"";

/// Which events a hook runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HookKind {
    /// Every record.
    Any,
    /// Every pressure level change.
    Pressure,
    /// A pressure change to `ok`.
    Ok,
    /// A pressure change to `low`.
    Low,
    /// A pressure change to `min`.
    Min,
    /// An OOM notifier call.
    Oom,
    /// A pool change.
    Pool,
    /// An observed OOM kill.
    Kill,
    /// Lost events.
    Lost,
    /// Every headroom level change.
    Headroom,
    /// A headroom change to `plenty`.
    HeadroomPlenty,
    /// A headroom change to `low`.
    HeadroomLow,
    /// A headroom change to `medium`.
    HeadroomMedium,
    /// A headroom change to `critical`.
    HeadroomCritical,
    /// Every reclaim record.
    Reclaim,
    /// Reclaim started.
    ReclaimOnset,
    /// Direct reclaim joined the episode.
    ReclaimDirect,
    /// The reclaim episode ended.
    ReclaimEnd,
}

impl HookKind {
    /// Every kind with its name.
    pub const ALL: [(&'static str, HookKind); 18] = [
        ("any", Self::Any),
        ("pressure", Self::Pressure),
        ("ok", Self::Ok),
        ("low", Self::Low),
        ("min", Self::Min),
        ("oom", Self::Oom),
        ("pool", Self::Pool),
        ("kill", Self::Kill),
        ("lost", Self::Lost),
        ("headroom", Self::Headroom),
        ("headroom-plenty", Self::HeadroomPlenty),
        ("headroom-low", Self::HeadroomLow),
        ("headroom-medium", Self::HeadroomMedium),
        ("headroom-critical", Self::HeadroomCritical),
        ("reclaim", Self::Reclaim),
        ("reclaim-onset", Self::ReclaimOnset),
        ("reclaim-direct", Self::ReclaimDirect),
        ("reclaim-end", Self::ReclaimEnd),
    ];

    /// Every kind's name, comma-separated, for messages.
    pub fn names() -> String {
        Self::ALL.map(|(n, _)| n).join(", ")
    }

    /// The kind's name.
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, k)| *k == self)
            .map_or("?", |(n, _)| n)
    }

    /// Whether a record triggers hooks of this kind. A level kind matches a change to exactly
    /// that level, whichever the direction.
    pub fn matches(self, rec: &Record) -> bool {
        let pressure_to = |level: Level| matches!(&rec.payload, Payload::Pressure(p) if p.new_level == level as u8);
        let headroom_to = |level: HeadroomLevel| matches!(&rec.payload, Payload::Headroom(h) if h.new_level == level as u8);
        let reclaim = |phase: ReclaimPhase| matches!(&rec.payload, Payload::Reclaim(r) if r.phase == phase as u8);
        match self {
            Self::Any => true,
            Self::Pressure => matches!(rec.payload, Payload::Pressure(_)),
            Self::Ok => pressure_to(Level::Ok),
            Self::Low => pressure_to(Level::Low),
            Self::Min => pressure_to(Level::Min),
            Self::Oom => matches!(rec.payload, Payload::Oom(_)),
            Self::Pool => matches!(rec.payload, Payload::Pool(_)),
            Self::Kill => matches!(rec.payload, Payload::Kill(_)),
            Self::Lost => matches!(rec.payload, Payload::Lost(_)),
            Self::Headroom => matches!(rec.payload, Payload::Headroom(_)),
            Self::HeadroomPlenty => headroom_to(HeadroomLevel::Plenty),
            Self::HeadroomLow => headroom_to(HeadroomLevel::Low),
            Self::HeadroomMedium => headroom_to(HeadroomLevel::Medium),
            Self::HeadroomCritical => headroom_to(HeadroomLevel::Critical),
            Self::Reclaim => matches!(rec.payload, Payload::Reclaim(_)),
            Self::ReclaimOnset => reclaim(ReclaimPhase::Onset),
            Self::ReclaimDirect => reclaim(ReclaimPhase::Direct),
            Self::ReclaimEnd => reclaim(ReclaimPhase::End),
        }
    }
}

/// A bad `--exec-on` argument.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum HookParseError {
    /// No `=`.
    #[error("expected KIND=COMMAND, got `{0}`")]
    Syntax(String),
    /// An unknown kind.
    #[error("unknown event kind `{0}`; expected one of {kinds}", kinds = HookKind::names())]
    Kind(String),
    /// An empty command.
    #[error("empty command for `{0}`")]
    Empty(String),
}

/// One `--exec-on KIND=COMMAND`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hook {
    /// The events it runs on.
    pub kind: HookKind,
    /// The shell command.
    pub command: String,
}

impl FromStr for Hook {
    type Err = HookParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (kind, command) = s
            .split_once('=')
            .ok_or_else(|| HookParseError::Syntax(s.to_string()))?;
        let kind = kind.trim();
        let kind = HookKind::ALL
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(kind))
            .map(|(_, k)| *k)
            .ok_or_else(|| HookParseError::Kind(kind.to_string()))?;
        if command.trim().is_empty() {
            return Err(HookParseError::Empty(kind.name().to_string()));
        }
        Ok(Self {
            kind,
            command: command.to_string(),
        })
    }
}

/// At most one run per hook per interval.
#[derive(Debug)]
pub struct RateLimiter {
    interval: Duration,
    last: Vec<Option<Instant>>,
}

impl RateLimiter {
    /// A limiter for `n` hooks.
    pub fn new(n: usize, interval: Duration) -> Self {
        Self {
            interval,
            last: vec![None; n],
        }
    }

    /// Whether hook `i` may run at `now`; if so, its interval starts now.
    pub fn allow(&mut self, i: usize, now: Instant) -> bool {
        let Some(last) = self.last.get_mut(i) else {
            return false;
        };
        match last {
            Some(t) if now.saturating_duration_since(*t) < self.interval => false,
            _ => {
                *last = Some(now);
                true
            }
        }
    }
}

/// The environment a hook gets: every field as `OOM_GUARD_*`, flat as journald has them
/// (`OOM_GUARD_EVENT`, `OOM_GUARD_SEQ`, `OOM_GUARD_TIME_NS`, `OOM_GUARD_TIMESTAMP`, payload
/// fields, `OOM_GUARD_ZONES_0_FREE_PAGES`, …; a value that is not known is unset),
/// `OOM_GUARD_LEVEL` (empty for records without a level), `OOM_GUARD_PRIORITY` and
/// `OOM_GUARD_MESSAGE`; a `KILL` victim's cgroup path, if known, as `OOM_GUARD_CGROUP`.
pub fn hook_env(rec: &Record, cgroup: Option<&str>, opts: &FormatOptions) -> Vec<(String, String)> {
    let extra = Extra {
        enrich: None,
        cgroup,
    };
    let fields = format::event_fields(rec, extra, opts);
    let mut env: Vec<(String, String)> = format::flat_fields(&fields)
        .iter()
        .map(|(k, v)| (format::env_name(k), format::value_text(v)))
        .collect();
    if format::level(rec).is_none() {
        env.push(("OOM_GUARD_LEVEL".into(), String::new()));
    }
    env.push((
        "OOM_GUARD_PRIORITY".into(),
        format::priority(rec).0.to_string(),
    ));
    env.push((
        "OOM_GUARD_MESSAGE".into(),
        format::event_message(rec, extra, opts),
    ));
    env
}

/// Counters shared with the hook thread.
#[derive(Debug, Default)]
pub struct HookStats {
    /// Hooks started.
    pub started: AtomicU64,
    /// Hooks that could not start, exited non-zero or were killed by a signal.
    pub failed: AtomicU64,
}

/// One hook run: its environment is made on the hook thread, where finding a victim's cgroup
/// path cannot delay reading the device. The record is boxed so the queue's slots stay small
/// (they are allocated up front and locked in memory).
struct Job {
    label: String,
    command: String,
    rec: Box<Record>,
}

/// Runs hooks for records, off the reader thread.
pub struct HookRunner {
    hooks: Vec<Hook>,
    limiter: RateLimiter,
    tx: Option<SyncSender<Job>>,
    thread: Option<JoinHandle<()>>,
    stats: Arc<HookStats>,
    /// Runs skipped by the rate limit.
    pub rate_limited: u64,
    /// Runs dropped because the hook thread was behind.
    pub dropped: u64,
}

impl HookRunner {
    /// Starts the hook thread for `hooks`, each limited to one run per `interval`; `cgroups`
    /// finds `KILL` victims' cgroup paths for `OOM_GUARD_CGROUP` (live device only).
    pub fn start(
        hooks: Vec<Hook>,
        interval: Duration,
        opts: FormatOptions,
        cgroups: Option<Resolver>,
        warn: Warn,
    ) -> io::Result<Self> {
        let stats = Arc::new(HookStats::default());
        let (tx, rx) = mpsc::sync_channel::<Job>(QUEUE);
        let thread_stats = Arc::clone(&stats);
        let thread = std::thread::Builder::new()
            .name("oom-guard-hooks".into())
            .stack_size(256 * 1024)
            .spawn(move || hook_thread(rx, opts, cgroups, &thread_stats, &*warn))?;
        Ok(Self {
            limiter: RateLimiter::new(hooks.len(), interval),
            hooks,
            tx: Some(tx),
            thread: Some(thread),
            stats,
            rate_limited: 0,
            dropped: 0,
        })
    }

    /// Queues the hooks `rec` triggers. Never blocks.
    pub fn offer(&mut self, rec: &Record, now: Instant) {
        let Some(tx) = &self.tx else { return };
        for (i, hook) in self.hooks.iter().enumerate() {
            if !hook.kind.matches(rec) {
                continue;
            }
            if !self.limiter.allow(i, now) {
                self.rate_limited += 1;
                continue;
            }
            let job = Job {
                label: format!("hook {}=`{}`", hook.kind.name(), hook.command),
                command: hook.command.clone(),
                rec: Box::new(*rec),
            };
            match tx.try_send(job) {
                Ok(()) => {}
                Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => self.dropped += 1,
            }
        }
    }

    /// Hooks started so far.
    pub fn started(&self) -> u64 {
        self.stats.started.load(Ordering::Relaxed)
    }

    /// Hooks that failed so far.
    pub fn failed(&self) -> u64 {
        self.stats.failed.load(Ordering::Relaxed)
    }

    /// Stops taking jobs and waits for the hook thread, which gives running hooks a short
    /// grace period and then leaves them running.
    pub fn finish(&mut self) {
        self.tx = None;
        if let Some(t) = self.thread.take() {
            // The thread does not panic; if it did, its counters are still readable.
            let _ = t.join();
        }
    }
}

impl Drop for HookRunner {
    fn drop(&mut self) {
        self.finish();
    }
}

/// Starts `job`'s hook with the record's environment ([`hook_env`]).
fn spawn(job: &Job, cgroups: Option<&mut Resolver>, opts: &FormatOptions) -> io::Result<Child> {
    let cgroup = cgroups.and_then(|r| r.for_record(&job.rec));
    let env = hook_env(&job.rec, cgroup.as_deref(), opts);
    // Hook output goes to our stderr, away from a JSON stream on stdout.
    let stdout = io::stderr()
        .as_fd()
        .try_clone_to_owned()
        .map_or_else(|_| Stdio::inherit(), Stdio::from);
    Command::new(SHELL)
        .arg("-c")
        .arg(WRAPPER)
        .arg("oom-guard-hook")
        .arg(&job.command)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(stdout)
        .spawn()
}

fn describe(status: ExitStatus) -> Option<String> {
    use std::os::unix::process::ExitStatusExt;
    if status.success() {
        None
    } else if let Some(code) = status.code() {
        Some(format!("exited with status {code}"))
    } else {
        Some(format!(
            "was killed by signal {}",
            status.signal().unwrap_or_default()
        ))
    }
}

/// Checks the running hooks; logs and counts the failed ones. Keeps the ones still running.
fn reap(
    children: &mut Vec<(Child, String)>,
    stats: &HookStats,
    warn: &(dyn Fn(&str) + Send + Sync),
) {
    children.retain_mut(|(child, label)| match child.try_wait() {
        Ok(None) => true,
        Ok(Some(status)) => {
            if let Some(why) = describe(status) {
                stats.failed.fetch_add(1, Ordering::Relaxed);
                warn(&format!("{label} {why}"));
            }
            false
        }
        Err(e) => {
            warn(&format!("{label}: wait failed: {e}"));
            false
        }
    });
}

fn hook_thread(
    rx: mpsc::Receiver<Job>,
    opts: FormatOptions,
    mut cgroups: Option<Resolver>,
    stats: &HookStats,
    warn: &(dyn Fn(&str) + Send + Sync),
) {
    let mut children: Vec<(Child, String)> = Vec::new();
    loop {
        let next = if children.is_empty() {
            rx.recv().map_err(|_| RecvTimeoutError::Disconnected)
        } else {
            rx.recv_timeout(REAP_INTERVAL)
        };
        match next {
            Ok(job) => match spawn(&job, cgroups.as_mut(), &opts) {
                Ok(child) => {
                    stats.started.fetch_add(1, Ordering::Relaxed);
                    children.push((child, job.label));
                }
                Err(e) => {
                    stats.failed.fetch_add(1, Ordering::Relaxed);
                    warn(&format!("{} could not start: {e}", job.label));
                }
            },
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        reap(&mut children, stats, warn);
    }
    let deadline = Instant::now() + SHUTDOWN_GRACE;
    while !children.is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
        reap(&mut children, stats, warn);
    }
    for (_, label) in &children {
        warn(&format!("{label} still running at exit; left running"));
    }
}

#[cfg(test)]
mod tests;
