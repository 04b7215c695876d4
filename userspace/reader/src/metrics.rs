//! Fleet metrics: the module's counters, levels and pool, and what a watch saw, in the
//! Prometheus text exposition format, for node_exporter's textfile collector.
//!
//! Conventions followed (node_exporter's and Prometheus' naming guide): every metric is
//! `oom_guard_*` with a `# HELP` and a `# TYPE` line; counters end in `_total`; amounts are in
//! base units (bytes, seconds), converted from pages and nanoseconds; a level is a one-hot
//! gauge with the level's name as a label (`oom_guard_level{level="min"} 1`, the other levels
//! 0), so a query needs no table of numbers. The file is replaced atomically: written to a
//! temporary file in the same directory, then renamed over the old one
//! ([`write_atomic`]), so the collector never reads half a file.
//!
//! The module's counters come from [`STATS_FIELDS`]; [`STAT_METRICS`] gives each its metric
//! name, type and help, and a test checks that it covers every field.

use crate::decode::Record;
use crate::format::{headroom_name, kind, level_name, oom_kind_name};
use oom_guard_core::abi::{
    HeadroomLevel, Level, Payload, RecordType, Stats, KILL_VICTIM, STATS_FIELDS, TTE_UNKNOWN,
};
use std::fmt::Write as _;
use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// A metric's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetricType {
    /// Only grows (until the module is reloaded).
    Counter,
    /// Goes up and down.
    Gauge,
}

impl MetricType {
    fn name(self) -> &'static str {
        match self {
            Self::Counter => "counter",
            Self::Gauge => "gauge",
        }
    }
}

/// How a counter of `struct oom_guard_stats` is exported.
#[derive(Clone, Copy, Debug)]
pub struct StatMetric {
    /// The field's name in [`STATS_FIELDS`].
    pub stat: &'static str,
    /// The metric's name.
    pub metric: &'static str,
    /// Its type.
    pub mtype: MetricType,
    /// Its unit conversion.
    pub unit: Unit,
    /// Its `# HELP` text.
    pub help: &'static str,
}

/// How a raw value becomes a metric value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// As it is.
    One,
    /// Pages to bytes.
    Pages,
    /// Nanoseconds to seconds.
    Ns,
    /// Milliseconds to seconds; `TTE_UNKNOWN` is `+Inf`.
    TteMs,
    /// A watermark level: one-hot, labelled by name.
    Level,
    /// A headroom level: one-hot, labelled by name.
    Headroom,
}

macro_rules! m {
    ($stat:ident, $metric:literal, $t:ident, $unit:ident, $help:literal) => {
        StatMetric {
            stat: stringify!($stat),
            metric: $metric,
            mtype: MetricType::$t,
            unit: Unit::$unit,
            help: $help,
        }
    };
}

/// Every counter of `struct oom_guard_stats` as a metric, in [`STATS_FIELDS`] order.
pub const STAT_METRICS: [StatMetric; STATS_FIELDS.len()] = [
    m!(level, "oom_guard_level", Gauge, Level, "Watermark level of the best zone: 1 for the current level (ok: above the watermarks, low: kswapd reclaims, min: direct reclaim)."),
    m!(oom_calls, "oom_guard_oom_calls_total", Counter, One, "Calls of the guard's OOM notifier (global OOMs) since the module was loaded."),
    m!(averts, "oom_guard_averts_total", Counter, One, "OOM notifier calls that released pool pages so the kernel skipped a kill."),
    m!(kills, "oom_guard_kills_total", Counter, One, "OOM kills (the kernel's oom_kill counter) since the module was loaded, global and memcg."),
    m!(pages_released, "oom_guard_pool_released_bytes_total", Counter, Pages, "Memory released from the emergency pool."),
    m!(pages_refilled, "oom_guard_pool_refilled_bytes_total", Counter, Pages, "Memory taken back into the emergency pool."),
    m!(refill_failures, "oom_guard_pool_refill_failures_total", Counter, One, "Pool refills that could not get memory."),
    m!(pool_pages, "oom_guard_pool_bytes", Gauge, Pages, "Memory held in the emergency pool now."),
    m!(pool_target, "oom_guard_pool_target_bytes", Gauge, Pages, "Size the emergency pool refills to."),
    m!(level_changes, "oom_guard_level_changes_total", Counter, One, "Watermark level changes."),
    m!(events, "oom_guard_events_total", Counter, One, "Events the module put in its ring."),
    m!(events_lost, "oom_guard_events_lost_total", Counter, One, "Events readers lost because they fell behind, summed over readers."),
    m!(readers, "oom_guard_readers", Gauge, One, "Open readers of /dev/oom_guard."),
    m!(callback_max_ns, "oom_guard_callback_max_seconds", Gauge, Ns, "Longest OOM notifier call."),
    m!(callback_avg_ns, "oom_guard_callback_avg_seconds", Gauge, Ns, "Mean OOM notifier call."),
    m!(samples, "oom_guard_monitor_samples_total", Counter, One, "Watermark monitor wake-ups."),
    m!(headroom, "oom_guard_headroom_level", Gauge, Headroom, "Headroom level of available memory: 1 for the current level (plenty, low, medium, critical)."),
    m!(headroom_changes, "oom_guard_headroom_changes_total", Counter, One, "Headroom level changes."),
    m!(fall_rate, "oom_guard_fall_rate_bytes_per_second", Gauge, Pages, "Rate at which available memory falls, 0 if it does not."),
    m!(tte_ms, "oom_guard_time_to_exhaustion_seconds", Gauge, TteMs, "Time until available memory reaches the allocators' floor at the current fall rate; +Inf when not falling."),
    m!(reclaim_episodes, "oom_guard_reclaim_episodes_total", Counter, One, "Reclaim episodes (kswapd or direct reclaim after a quiet period)."),
    m!(reclaim_kswapd_calls, "oom_guard_reclaim_kswapd_calls_total", Counter, One, "Shrinker calls from kswapd."),
    m!(reclaim_direct_calls, "oom_guard_reclaim_direct_calls_total", Counter, One, "Shrinker calls from direct reclaim."),
    m!(reclaim_active, "oom_guard_reclaim_active", Gauge, One, "1 while a reclaim episode runs."),
    m!(monitor_ns, "oom_guard_monitor_seconds_total", Counter, Ns, "CPU time the watermark monitor spent in its samples."),
    m!(peek_runs, "oom_guard_peek_runs_total", Counter, One, "Runs of the per-CPU peek timers."),
    m!(peek_wakes, "oom_guard_peek_wakes_total", Counter, One, "Peeks that saw free memory fall fast and woke the monitor."),
    m!(peek_ns, "oom_guard_peek_seconds_total", Counter, Ns, "CPU time the peek timers spent."),
    m!(victims, "oom_guard_victims_total", Counter, One, "OOM victims named by the victim probe."),
    m!(probe_max_ns, "oom_guard_victim_probe_max_seconds", Gauge, Ns, "Longest victim probe call."),
    m!(probe_avg_ns, "oom_guard_victim_probe_avg_seconds", Gauge, Ns, "Mean victim probe call."),
];

/// The names of the watermark levels, in order.
fn level_names() -> impl Iterator<Item = String> {
    (0..=u8::MAX)
        .filter(|&r| Level::from_raw(r).is_some())
        .map(level_name)
}

/// The names of the headroom levels, in order.
fn headroom_names() -> impl Iterator<Item = String> {
    (0..=u8::MAX)
        .filter(|&r| HeadroomLevel::from_raw(r).is_some())
        .map(headroom_name)
}

/// The record kinds, in type order.
fn record_types() -> impl Iterator<Item = RecordType> {
    (1..=u16::MAX).map_while(RecordType::from_raw)
}

/// The kinds of OOM a kill is counted under.
const OOM_KINDS: [&str; 3] = ["global", "memcg", "unknown"];

/// Counts of what one watch saw, shared between the reading thread (which counts) and the
/// thread writing the metrics file. Relaxed atomics: each count is read on its own.
#[derive(Debug, Default)]
pub struct Tally {
    /// Records by raw type (index 0 unused).
    records: [AtomicU64; 8],
    /// `kills` of `KILL` records by [`OOM_KINDS`].
    kills: [AtomicU64; 3],
    /// Sum of `LOST` counts.
    events_lost: AtomicU64,
}

impl Tally {
    /// Counts `rec`.
    pub fn count(&self, rec: &Record) {
        if let Some(n) = self.records.get(rec.rtype() as usize) {
            n.fetch_add(1, Ordering::Relaxed);
        }
        match &rec.payload {
            Payload::Kill(k) => {
                // A count-only record (no victim probe) cannot tell global from memcg.
                let oom = if k.flags & KILL_VICTIM == 0 {
                    "unknown"
                } else {
                    oom_kind_name(k.flags)
                };
                if let Some(i) = OOM_KINDS.iter().position(|o| *o == oom) {
                    if let Some(n) = self.kills.get(i) {
                        n.fetch_add(k.kills, Ordering::Relaxed);
                    }
                }
            }
            Payload::Lost(l) => {
                self.events_lost.fetch_add(l.count, Ordering::Relaxed);
            }
            _ => {}
        }
    }
}

/// What the module reported, for [`render`].
#[derive(Clone, Copy, Debug)]
pub struct ModuleState {
    /// `(major, minor)` ABI version.
    pub abi: (u8, u8),
    /// The `OOM_GUARD_GET_STATS` counters.
    pub stats: Stats,
}

/// Appends the `# HELP` and `# TYPE` lines of a metric.
fn header(out: &mut String, name: &str, mtype: MetricType, help: &str) {
    // Writing to a `String` cannot fail.
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {}", mtype.name());
}

/// A label value with `\`, `"` and newlines escaped, as the text format wants.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// A value in seconds from nanoseconds, exact to the nanosecond.
fn seconds_ns(ns: u64) -> String {
    format!("{}.{:09}", ns / 1_000_000_000, ns % 1_000_000_000)
}

/// Appends one-hot samples: `name{key="N"} 1` for the current name, 0 for the others (and a
/// sample for a current value whose name is not among them, so it is never lost).
fn one_hot(out: &mut String, name: &str, key: &str, names: &[String], current: &str) {
    for n in names {
        let v = u8::from(n == current);
        let _ = writeln!(out, "{name}{{{key}=\"{}\"}} {v}", label(n));
    }
    if !names.iter().any(|n| n == current) {
        let _ = writeln!(out, "{name}{{{key}=\"{}\"}} 1", label(current));
    }
}

/// The metrics text: the module's (if `module` is given: `oom_guard_up` says whether it was
/// read) and a watch's (if `watch` is given), pages converted with `page_size`.
pub fn render(module: Option<&ModuleState>, watch: Option<&Tally>, page_size: u64) -> String {
    let mut out = String::new();
    header(
        &mut out,
        "oom_guard_up",
        MetricType::Gauge,
        "1 if the module's counters could be read for this file.",
    );
    let _ = writeln!(out, "oom_guard_up {}", u8::from(module.is_some()));
    if let Some(m) = module {
        header(
            &mut out,
            "oom_guard_info",
            MetricType::Gauge,
            "The module's ABI version, as a label; always 1.",
        );
        let _ = writeln!(out, "oom_guard_info{{abi=\"{}.{}\"}} 1", m.abi.0, m.abi.1);
        module_metrics(&mut out, &m.stats, page_size);
    }
    if let Some(t) = watch {
        watch_metrics(&mut out, t);
    }
    out
}

fn module_metrics(out: &mut String, s: &Stats, page_size: u64) {
    for (field, m) in STATS_FIELDS.iter().zip(&STAT_METRICS) {
        let v = (field.get)(s);
        header(out, m.metric, m.mtype, m.help);
        let name = |n: fn(u8) -> String| u8::try_from(v).map_or_else(|_| format!("unknown-{v}"), n);
        let value = match m.unit {
            Unit::One => v.to_string(),
            Unit::Pages => v.saturating_mul(page_size).to_string(),
            Unit::Ns => seconds_ns(v),
            Unit::TteMs if v == TTE_UNKNOWN => "+Inf".into(),
            Unit::TteMs => format!("{}.{:03}", v / 1000, v % 1000),
            Unit::Level => {
                let names: Vec<String> = level_names().collect();
                one_hot(out, m.metric, "level", &names, &name(level_name));
                continue;
            }
            Unit::Headroom => {
                let names: Vec<String> = headroom_names().collect();
                one_hot(out, m.metric, "level", &names, &name(headroom_name));
                continue;
            }
        };
        let _ = writeln!(out, "{} {value}", m.metric);
    }
}

fn watch_metrics(out: &mut String, t: &Tally) {
    let name = "oom_guard_watch_records_total";
    header(
        out,
        name,
        MetricType::Counter,
        "Records this oom-guard watch read, by type.",
    );
    for rt in record_types() {
        let n = t
            .records
            .get(rt as usize)
            .map_or(0, |n| n.load(Ordering::Relaxed));
        let _ = writeln!(out, "{name}{{type=\"{}\"}} {n}", kind(rt));
    }
    let name = "oom_guard_watch_kills_total";
    header(
        out,
        name,
        MetricType::Counter,
        "OOM kills this oom-guard watch saw in kill records, by kind of OOM (unknown: a module without the victim probe).",
    );
    for (oom, n) in OOM_KINDS.iter().zip(&t.kills) {
        let _ = writeln!(out, "{name}{{oom=\"{oom}\"}} {}", n.load(Ordering::Relaxed));
    }
    let name = "oom_guard_watch_events_lost_total";
    header(
        out,
        name,
        MetricType::Counter,
        "Events this oom-guard watch lost because it fell behind (the sum of its lost records).",
    );
    let _ = writeln!(out, "{name} {}", t.events_lost.load(Ordering::Relaxed));
}

/// Replaces `path` with `text` atomically: writes a temporary file beside it (same directory,
/// so the rename cannot cross file systems), syncs it, makes it mode 0644 and renames it over
/// `path`. A reader sees the old file or the new one, never a part.
pub fn write_atomic(path: &Path, text: &str) -> io::Result<()> {
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file name"))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".{}.tmp", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let result = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.set_permissions(fs::Permissions::from_mode(0o644))?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Where the module's state comes from for each refresh (`None`: it could not be read, or the
/// source is a capture).
pub type ModuleSource = Box<dyn FnMut() -> Option<ModuleState> + Send>;

/// `watch --metrics-file`: a thread that rewrites the file every interval, and once more at the
/// end of the watch, with the module's metrics and the watch's [`Tally`].
pub struct MetricsFile {
    stop: Option<SyncSender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl MetricsFile {
    /// Starts the thread; the first write happens at once. A failed write is reported to
    /// `warn` once per failure streak and does not end the watch.
    pub fn start(
        path: PathBuf,
        interval: Duration,
        tally: Arc<Tally>,
        mut module: ModuleSource,
        page_size: u64,
        warn: crate::Warn,
    ) -> io::Result<Self> {
        let (stop, rx) = mpsc::sync_channel::<()>(1);
        let thread = std::thread::Builder::new()
            .name("oom-guard-metrics".into())
            .stack_size(256 * 1024)
            .spawn(move || {
                let mut failing = false;
                loop {
                    let m = module();
                    let text = render(m.as_ref(), Some(&tally), page_size);
                    match write_atomic(&path, &text) {
                        Ok(()) => failing = false,
                        Err(e) if !failing => {
                            warn(&format!("writing {}: {e}", path.display()));
                            failing = true;
                        }
                        Err(_) => {}
                    }
                    match rx.recv_timeout(interval) {
                        Err(RecvTimeoutError::Timeout) => {}
                        // The watch ended: one last write.
                        Ok(()) | Err(RecvTimeoutError::Disconnected) => {
                            let m = module();
                            let text = render(m.as_ref(), Some(&tally), page_size);
                            if let Err(e) = write_atomic(&path, &text) {
                                warn(&format!("writing {}: {e}", path.display()));
                            }
                            return;
                        }
                    }
                }
            })?;
        Ok(Self {
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Writes the file a last time and ends the thread.
    pub fn finish(&mut self) {
        self.stop = None;
        if let Some(t) = self.thread.take() {
            // The thread does not panic; if it did, there is nothing left to write.
            let _ = t.join();
        }
    }
}

impl Drop for MetricsFile {
    fn drop(&mut self) {
        self.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{record, TempDir};
    use oom_guard_core::abi::{Kill, Lost, KILL_GLOBAL, KILL_MEMCG};

    #[test]
    fn every_stat_has_a_metric_in_order() {
        assert_eq!(STAT_METRICS.len(), STATS_FIELDS.len());
        for (f, m) in STATS_FIELDS.iter().zip(&STAT_METRICS) {
            assert_eq!(f.name, m.stat);
            assert!(m.metric.starts_with("oom_guard_"), "{}", m.metric);
            assert_eq!(
                m.mtype == MetricType::Counter,
                m.metric.ends_with("_total"),
                "{}: counters and only counters end in _total",
                m.metric
            );
            assert!(!m.help.is_empty() && !m.help.contains('\n'));
        }
        let mut names: Vec<&str> = STAT_METRICS.iter().map(|m| m.metric).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), STAT_METRICS.len(), "metric names are unique");
    }

    #[test]
    fn values_are_in_base_units() {
        let s = Stats {
            pool_pages: 3,
            callback_max_ns: 1_500,
            monitor_ns: 2_000_000_001,
            tte_ms: 1_234,
            level: 2,
            headroom: 255,
            ..Stats::default()
        };
        let m = ModuleState {
            abi: (2, 0),
            stats: s,
        };
        let text = render(Some(&m), None, 4096);
        for line in [
            "oom_guard_up 1",
            "oom_guard_info{abi=\"2.0\"} 1",
            "oom_guard_pool_bytes 12288",
            "oom_guard_callback_max_seconds 0.000001500",
            "oom_guard_monitor_seconds_total 2.000000001",
            "oom_guard_time_to_exhaustion_seconds 1.234",
            "oom_guard_level{level=\"ok\"} 0",
            "oom_guard_level{level=\"min\"} 1",
            "oom_guard_headroom_level{level=\"critical\"} 1",
            "oom_guard_headroom_level{level=\"plenty\"} 0",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
        }
        let unknown = Stats {
            tte_ms: TTE_UNKNOWN,
            level: 9,
            ..Stats::default()
        };
        let text = render(
            Some(&ModuleState {
                abi: (2, 0),
                stats: unknown,
            }),
            None,
            4096,
        );
        assert!(text.contains("\noom_guard_time_to_exhaustion_seconds +Inf\n"));
        assert!(text.contains("\noom_guard_level{level=\"unknown-9\"} 1\n"));
        assert_eq!(
            render(None, None, 4096).lines().last(),
            Some("oom_guard_up 0")
        );
    }

    #[test]
    fn a_watch_counts_records_and_kills_by_kind() {
        let t = Tally::default();
        let kill = |flags, kills| {
            Payload::Kill(Kill {
                kills,
                flags,
                ..Kill::default()
            })
        };
        t.count(&record(0, kill(KILL_VICTIM | KILL_GLOBAL, 1)));
        t.count(&record(1, kill(KILL_VICTIM | KILL_MEMCG, 1)));
        t.count(&record(2, kill(KILL_VICTIM | KILL_MEMCG, 1)));
        t.count(&record(3, kill(0, 3)));
        t.count(&record(
            4,
            Payload::Lost(Lost {
                count: 5,
                first_seq: 4,
            }),
        ));
        let text = render(None, Some(&t), 4096);
        for line in [
            "oom_guard_watch_records_total{type=\"kill\"} 4",
            "oom_guard_watch_records_total{type=\"lost\"} 1",
            "oom_guard_watch_records_total{type=\"oom\"} 0",
            "oom_guard_watch_kills_total{oom=\"global\"} 1",
            "oom_guard_watch_kills_total{oom=\"memcg\"} 2",
            "oom_guard_watch_kills_total{oom=\"unknown\"} 3",
            "oom_guard_watch_events_lost_total 5",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
        }
    }

    #[test]
    fn files_are_replaced_whole() {
        let d = TempDir::new();
        let p = d.path().join("oom_guard.prom");
        write_atomic(&p, "a 1\n").unwrap();
        write_atomic(&p, "b 2\n").unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "b 2\n");
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o644
        );
        // Nothing is left beside it.
        assert_eq!(fs::read_dir(d.path()).unwrap().count(), 1);
        assert!(write_atomic(&d.path().join("missing/x.prom"), "").is_err());
        assert_eq!(fs::read_dir(d.path()).unwrap().count(), 1);
    }
}
