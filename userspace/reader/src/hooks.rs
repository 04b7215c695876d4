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
mod tests {
    use super::*;
    use crate::decode::tests::samples;
    use crate::testutil::{record, TempDir};
    use std::sync::Mutex;

    const OPTS: FormatOptions = FormatOptions { page_size: 4096 };

    #[test]
    fn parse_hooks() {
        let h: Hook = "min=logger -t oom 'level=$OOM_GUARD_LEVEL'"
            .parse()
            .unwrap();
        assert_eq!(h.kind, HookKind::Min);
        assert_eq!(h.command, "logger -t oom 'level=$OOM_GUARD_LEVEL'");
        let h: Hook = "OOM=a=b".parse().unwrap();
        assert_eq!((h.kind, h.command.as_str()), (HookKind::Oom, "a=b"));
        assert_eq!(
            "nothing".parse::<Hook>(),
            Err(HookParseError::Syntax("nothing".into()))
        );
        let e = "boom=true".parse::<Hook>().unwrap_err();
        assert_eq!(e, HookParseError::Kind("boom".into()));
        assert_eq!(
            e.to_string(),
            "unknown event kind `boom`; expected one of any, pressure, ok, low, min, oom, pool, \
             kill, lost, headroom, headroom-plenty, headroom-low, headroom-medium, \
             headroom-critical, reclaim, reclaim-onset, reclaim-direct, reclaim-end"
        );
        let h: Hook = "Headroom-Critical=systemctl stop batch.slice"
            .parse()
            .unwrap();
        assert_eq!(h.kind, HookKind::HeadroomCritical);
        assert_eq!(
            "reclaim-end=true".parse::<Hook>().unwrap().kind,
            HookKind::ReclaimEnd
        );
        assert_eq!(
            "kill= ".parse::<Hook>(),
            Err(HookParseError::Empty("kill".into()))
        );
        for (name, kind) in HookKind::ALL {
            assert_eq!(kind.name(), name);
        }
    }

    #[test]
    fn kinds_match_records() {
        let s = samples();
        let recs: Vec<Record> = s
            .iter()
            .enumerate()
            .map(|(i, p)| record(i as u64, *p))
            .collect();
        let matching = |k: HookKind| -> Vec<u64> {
            recs.iter()
                .filter(|r| k.matches(r))
                .map(|r| r.header.seq)
                .collect()
        };
        assert_eq!(matching(HookKind::Any), [0, 1, 2, 3, 4, 5, 6]);
        assert_eq!(matching(HookKind::Pressure), [0]);
        assert_eq!(matching(HookKind::Low), [0], "the sample rises to low");
        assert!(
            matching(HookKind::Min).is_empty(),
            "an OOM at min is not a pressure change"
        );
        assert!(matching(HookKind::Ok).is_empty());
        assert_eq!(matching(HookKind::Oom), [1]);
        assert_eq!(matching(HookKind::Pool), [2]);
        assert_eq!(matching(HookKind::Kill), [3]);
        assert_eq!(matching(HookKind::Lost), [4]);
        // The sample headroom record goes to medium, the reclaim record is direct reclaim.
        assert_eq!(matching(HookKind::Headroom), [5]);
        assert_eq!(matching(HookKind::HeadroomMedium), [5]);
        for k in [
            HookKind::HeadroomPlenty,
            HookKind::HeadroomLow,
            HookKind::HeadroomCritical,
        ] {
            assert!(matching(k).is_empty(), "{k:?}");
        }
        assert_eq!(matching(HookKind::Reclaim), [6]);
        assert_eq!(matching(HookKind::ReclaimDirect), [6]);
        assert!(matching(HookKind::ReclaimOnset).is_empty());
        assert!(matching(HookKind::ReclaimEnd).is_empty());
        // Each level and phase.
        use oom_guard_core::abi::{Headroom, Reclaim};
        for (raw, kind) in [
            (0, HookKind::HeadroomPlenty),
            (50, HookKind::HeadroomLow),
            (100, HookKind::HeadroomMedium),
            (255, HookKind::HeadroomCritical),
        ] {
            let r = record(
                0,
                Payload::Headroom(Headroom {
                    new_level: raw,
                    ..Headroom::default()
                }),
            );
            let hit: Vec<HookKind> = HookKind::ALL
                .iter()
                .map(|(_, k)| *k)
                .filter(|k| k.matches(&r))
                .collect();
            assert_eq!(hit, [HookKind::Any, HookKind::Headroom, kind]);
        }
        for (raw, kind) in [
            (1, HookKind::ReclaimOnset),
            (2, HookKind::ReclaimDirect),
            (3, HookKind::ReclaimEnd),
        ] {
            let r = record(
                0,
                Payload::Reclaim(Reclaim {
                    phase: raw,
                    ..Reclaim::default()
                }),
            );
            let hit: Vec<HookKind> = HookKind::ALL
                .iter()
                .map(|(_, k)| *k)
                .filter(|k| k.matches(&r))
                .collect();
            assert_eq!(hit, [HookKind::Any, HookKind::Reclaim, kind]);
        }
    }

    #[test]
    fn rate_limit_is_per_hook() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut l = RateLimiter::new(2, ms(1000));
        assert!(l.allow(0, t0));
        assert!(!l.allow(0, t0 + ms(999)));
        assert!(l.allow(1, t0 + ms(10)), "another hook has its own interval");
        assert!(l.allow(0, t0 + ms(1000)));
        assert!(!l.allow(0, t0 + ms(1500)));
        assert!(!l.allow(7, t0), "no such hook");
        let mut none = RateLimiter::new(1, Duration::ZERO);
        assert!(none.allow(0, t0) && none.allow(0, t0));
    }

    #[test]
    fn environment_carries_the_event() {
        let env: std::collections::BTreeMap<_, _> = hook_env(&record(9, samples()[1]), None, &OPTS)
            .into_iter()
            .collect();
        assert_eq!(env["OOM_GUARD_EVENT"], "oom");
        assert_eq!(env["OOM_GUARD_LEVEL"], "min");
        assert_eq!(env["OOM_GUARD_SEQ"], "9");
        assert_eq!(
            env["OOM_GUARD_TIME_NS"],
            record(9, samples()[1]).header.time_ns.to_string()
        );
        assert_eq!(env["OOM_GUARD_PID"], "4242");
        assert_eq!(env["OOM_GUARD_COMM"], "memhog");
        assert_eq!(env["OOM_GUARD_FREED_REPORTED_PAGES"], "256");
        assert_eq!(env["OOM_GUARD_PRIORITY"], "2");
        assert!(env["OOM_GUARD_MESSAGE"].starts_with("oom min: release"));
        let env: std::collections::BTreeMap<_, _> = hook_env(&record(3, samples()[4]), None, &OPTS)
            .into_iter()
            .collect();
        assert_eq!(
            env["OOM_GUARD_LEVEL"], "",
            "present but empty without a level"
        );
        assert_eq!(env["OOM_GUARD_COUNT"], "17");
        // Headroom: the levels, the rate and the time to exhaustion.
        let env: std::collections::BTreeMap<_, _> = hook_env(&record(5, samples()[5]), None, &OPTS)
            .into_iter()
            .collect();
        assert_eq!(env["OOM_GUARD_EVENT"], "headroom");
        assert_eq!(env["OOM_GUARD_HEADROOM"], "medium");
        assert_eq!(env["OOM_GUARD_OLD_HEADROOM"], "low");
        assert_eq!(env["OOM_GUARD_LEVEL"], "low", "the watermark level");
        assert_eq!(env["OOM_GUARD_FALL_RATE_PAGES_PER_S"], "256");
        assert_eq!(env["OOM_GUARD_TTE_MS"], "573906");
        assert_eq!(env["OOM_GUARD_PRIORITY"], "4");
        assert!(env["OOM_GUARD_MESSAGE"].starts_with("headroom medium (was low)"));
        let env: std::collections::BTreeMap<_, _> = hook_env(&record(6, samples()[6]), None, &OPTS)
            .into_iter()
            .collect();
        assert_eq!(env["OOM_GUARD_EVENT"], "reclaim");
        assert_eq!(env["OOM_GUARD_PHASE"], "direct");
        assert_eq!(env["OOM_GUARD_WHO"], "kswapd+direct");
        assert_eq!(env["OOM_GUARD_HEADROOM"], "critical");
        assert_eq!(env["OOM_GUARD_DIRECT_CALLS"], "3");
        // A pressure record that is not falling: TTE unknown.
        let mut p = samples()[0];
        if let Payload::Pressure(x) = &mut p {
            x.tte_ms = oom_guard_core::abi::TTE_UNKNOWN;
        }
        let env: std::collections::BTreeMap<_, _> =
            hook_env(&record(7, p), None, &OPTS).into_iter().collect();
        assert!(!env.contains_key("OOM_GUARD_TTE_MS"), "unset, not a word");
        assert!(env["OOM_GUARD_TIMESTAMP"].ends_with('Z'));
        assert_eq!(env["OOM_GUARD_ZONES_1_NAME"], "Normal");
        assert_eq!(env["OOM_GUARD_ZONES_1_FREE_PAGES"], "2600");
        assert_eq!(env["OOM_GUARD_HEADROOM"], "low");
    }

    #[test]
    fn a_kill_hook_gets_the_victim() {
        use oom_guard_core::abi::{fixed_name, Kill, KILL_MEMCG, KILL_VICTIM};
        let k = Kill {
            kills: 1,
            victim_pid: 1234,
            victim_tgid: 1234,
            victim_uid: 1000,
            oom_score_adj: 300,
            flags: KILL_VICTIM | KILL_MEMCG,
            victim_comm: fixed_name(b"mem\nhog"),
            victim_rss_kib: 217_088,
            cgroup_id: 77,
            ..Kill::default()
        };
        let env: std::collections::BTreeMap<_, _> = hook_env(
            &record(8, Payload::Kill(k)),
            Some("/system.slice/foo.service"),
            &OPTS,
        )
        .into_iter()
        .collect();
        assert_eq!(env["OOM_GUARD_EVENT"], "kill");
        assert_eq!(env["OOM_GUARD_VICTIM_PID"], "1234");
        assert_eq!(env["OOM_GUARD_VICTIM_UID"], "1000");
        assert_eq!(env["OOM_GUARD_VICTIM_COMM"], "mem\\nhog", "escaped");
        assert_eq!(env["OOM_GUARD_OOM_SCORE_ADJ"], "300");
        assert_eq!(env["OOM_GUARD_VICTIM_RSS_KIB"], "217088");
        assert_eq!(env["OOM_GUARD_OOM"], "memcg");
        assert_eq!(env["OOM_GUARD_CGROUP_ID"], "77");
        assert_eq!(env["OOM_GUARD_CGROUP"], "/system.slice/foo.service");
        assert!(env["OOM_GUARD_MESSAGE"].contains("killed pid 1234"));
    }

    fn warnings() -> (Warn, Arc<Mutex<Vec<String>>>) {
        let log = Arc::new(Mutex::new(Vec::new()));
        let l = Arc::clone(&log);
        (
            Arc::new(move |s: &str| l.lock().unwrap().push(s.to_string())),
            log,
        )
    }

    #[test]
    fn hooks_run_with_the_environment_and_failures_are_logged() {
        let dir = TempDir::new();
        let out = dir.path().join("out");
        let hooks = vec![
            Hook {
                kind: HookKind::Oom,
                command: format!(
                    "echo \"$OOM_GUARD_EVENT $OOM_GUARD_LEVEL $OOM_GUARD_SEQ $OOM_GUARD_TIME_NS \
                     $(cat /proc/self/oom_score_adj)\" >> {}",
                    out.display()
                ),
            },
            Hook {
                kind: HookKind::Lost,
                command: "exit 3".into(),
            },
        ];
        let (warn, log) = warnings();
        let mut r = HookRunner::start(hooks, Duration::from_secs(3600), OPTS, None, warn).unwrap();
        let now = Instant::now();
        let oom = record(5, samples()[1]);
        r.offer(&oom, now);
        r.offer(&oom, now + Duration::from_millis(1));
        r.offer(&record(6, samples()[4]), now);
        r.offer(&record(7, samples()[2]), now);
        r.finish();
        assert_eq!(r.rate_limited, 1);
        assert_eq!(r.dropped, 0);
        assert_eq!(r.started(), 2);
        assert_eq!(r.failed(), 1);
        let text = std::fs::read_to_string(&out).unwrap();
        assert_eq!(text, format!("oom min 5 {} 0\n", oom.header.time_ns));
        let log = log.lock().unwrap();
        assert_eq!(log.len(), 1, "{log:?}");
        assert_eq!(log[0], "hook lost=`exit 3` exited with status 3");
    }

    #[test]
    fn a_hook_killed_by_a_signal_is_logged() {
        let (warn, log) = warnings();
        let mut r = HookRunner::start(
            vec![Hook {
                kind: HookKind::Any,
                command: "kill -9 $$".into(),
            }],
            Duration::ZERO,
            OPTS,
            None,
            warn,
        )
        .unwrap();
        r.offer(&record(1, samples()[3]), Instant::now());
        r.finish();
        assert_eq!(r.failed(), 1);
        let log = log.lock().unwrap();
        assert!(log[0].ends_with("was killed by signal 9"), "{log:?}");
    }

    #[test]
    fn offering_never_blocks() {
        let (warn, _log) = warnings();
        let mut r = HookRunner::start(
            vec![Hook {
                kind: HookKind::Any,
                command: "true".into(),
            }],
            Duration::ZERO,
            OPTS,
            None,
            warn,
        )
        .unwrap();
        let rec = record(1, samples()[2]);
        let t = Instant::now();
        for _ in 0..1000 {
            r.offer(&rec, Instant::now());
        }
        assert!(t.elapsed() < Duration::from_secs(2));
        r.finish();
        assert_eq!(r.started() + r.dropped + r.failed(), 1000);
    }
}
