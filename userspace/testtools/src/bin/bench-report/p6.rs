//! P6, the module's idle cost beside earlyoom's: `bench: P6 phase=quiet|near|filled secs=S
//! samples=N peek_runs=N peek_wakes=N monitor_ns=N peek_ns=N [eo_ns=N] [eo_wakes=N] [ctxt=N]`,
//! the module's own counters over a window and, measured alongside in the same window,
//! earlyoom's CPU time and wake-ups and the guest's context switches.

use crate::input::{Fields, Tokens};
use crate::measure::{times_target, About, Summary, Verdict};
use crate::stats::median_f64;
use crate::table::{n_int, plural, table};
use crate::units::{self, opt};
use serde_json::{json, Map, Value};

/// What the report says about P6.
pub const ABOUT: About = About {
    id: "P6",
    host: false,
    measure: "Module idle cost vs earlyoom",
    target: "in each idle phase (quiet, filled): ≤ 1 monitor wake-up/s, no wake by the peek \
             timers, and the module's CPU time ≤ earlyoom's in the same windows",
    method: "\
The module's own counters (stats ioctl) over a window of secs seconds and, measured alongside \
in the same guest and the same window, earlyoom: the userspace daemon that does the same job \
by polling /proc/meminfo, running in dry-run mode through the whole bench. earlyoom's CPU \
time (eo_ns) is the change in se.sum_exec_runtime of /proc/PID/sched, the scheduler's count \
of its time on a CPU, system calls included; its wake-ups (eo_wakes) are its voluntary \
context switches, each a sleep it later woke from. The module's CPU time is monitor_ns + \
peek_ns, its own clock around the monitor's samples and around the runs of the per-CPU 10 ms \
peek timers (the timer and work-queue dispatch around them is not in it). The monitor's \
wake-ups are its samples. ctxt is the whole guest's context switches (/proc/stat), shown per \
second as a gauge of how idle the guest was. \
The phases: `quiet`, nothing allocating; in the board-shaped guests (board-x86_64, \
board-arm64: 4 to 6 GiB) a warm page cache with most memory free. `filled` (board-shaped \
guests): after a large read the page cache fills memory and kswapd keeps free memory near the \
high watermarks, as on a board that has been up for days; it is idle and judged like quiet. \
`near` (the 256 MiB guests x86_64 and arm64): a holder keeps free memory between the zones' \
high watermark and twice it, where the monitor samples every sample_fast_ms (10 ms) by \
design; it is shown, not judged. Each input is judged on its own lines. \
In each idle phase (quiet, filled) present, the target asks three things. The monitor's \
wake-ups at most 1 per second, a count that needs no peer (its slow period is about 1 s). No \
peek run that woke the monitor (peek_wakes summed over the phase's lines is 0): the peek \
timers are deferrable, they never wake an idle CPU and run only when it is awake anyway, so \
they cost a wake-up only when they wake the monitor. And the module's CPU time at most \
earlyoom's: (monitor_ns + peek_ns) / eo_ns ≤ 1. Why a ratio: the guests are emulated (TCG) \
on a shared 2-core host, so an absolute CPU time or share does not carry to a board, while \
the module's time over earlyoom's, both taken in the same window of the same guest, does. \
Each line's ratio is taken over its own window, and a phase's ratio is the nearest-rank median \
of its lines' ratios (not a ratio of sums), the same statistic as its wake-ups. A line with \
eo_ns absent or 0 has no ratio; a phase with no ratio (an input from before earlyoom was \
measured alongside) is judged incomplete, never met. An input with no quiet line is not \
measured. \
Shown as context and not judged: the module's and earlyoom's CPU in percent of one CPU (CPU \
time over the window), the monitor's wake-ups over earlyoom's (samples / eo_wakes), the peek \
timers' runs per second and their share of the module's CPU time (peek_ns / (monitor_ns + \
peek_ns)), and the guest's context switches per second. Repeated lines of a phase are each \
listed, with their medians.",
    definitions: &[
        (
            "P6.cpu_pct",
            "(monitor_ns + peek_ns) / (secs * 1e9) * 100, percent of one CPU",
        ),
        (
            "P6.eo_cpu_pct",
            "eo_ns / (secs * 1e9) * 100, earlyoom's percent of one CPU in the same window",
        ),
        (
            "P6.cpu_ratio",
            "(monitor_ns + peek_ns) / eo_ns per line, null when eo_ns is absent or 0; a phase's \
             is the nearest-rank median of its lines' ratios, judged against goals.cpu_ratio \
             in the idle phases (quiet, filled)",
        ),
        (
            "P6.wakeup_ratio",
            "samples / eo_wakes per line, null when eo_wakes is absent or 0: the monitor's \
             wake-ups over earlyoom's, context only",
        ),
        (
            "P6.peek_share",
            "peek_ns / (monitor_ns + peek_ns) * 100, the peek timers' percent of the module's \
             CPU time, null when both are 0",
        ),
        (
            "P6.peek_wakes_total",
            "peek_wakes summed over a phase's lines that have it, judged against \
             goals.peek_wakes in the idle phases",
        ),
        (
            "P6.ctxt_per_s",
            "ctxt / secs, the whole guest's context switches per second",
        ),
    ],
};

/// The most monitor wake-ups per second in an idle phase.
const WAKEUPS_GOAL: f64 = 1.0;
/// The most peek wakes in an idle phase.
const PEEK_WAKES_GOAL: u64 = 0;
/// The most the module's CPU time may be, as a multiple of earlyoom's.
const CPU_RATIO_GOAL: f64 = 1.0;

/// The P6 memory situation a cost sample was taken in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Quiet,
    Near,
    Filled,
}

impl Phase {
    /// Every phase, in report order.
    const ALL: [Phase; 3] = [Phase::Quiet, Phase::Near, Phase::Filled];

    /// The phase as written in the lines.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Quiet => "quiet",
            Phase::Near => "near",
            Phase::Filled => "filled",
        }
    }

    /// Whether the phase is idle and judged; `near` is shown only.
    pub fn judged(self) -> bool {
        self != Phase::Near
    }
}

/// One P6 window: the module's counters and, measured alongside, earlyoom's and the guest's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct P6Sample {
    pub line: usize,
    pub phase: Phase,
    pub secs: Option<f64>,
    pub samples: Option<u64>,
    pub peek_runs: Option<u64>,
    pub peek_wakes: Option<u64>,
    pub monitor_ns: Option<u64>,
    pub peek_ns: Option<u64>,
    /// Optional `eo_ns=`: earlyoom's CPU time over the window.
    pub eo_ns: Option<u64>,
    /// Optional `eo_wakes=`: earlyoom's voluntary context switches over the window.
    pub eo_wakes: Option<u64>,
    /// Optional `ctxt=`: the guest's context switches over the window.
    pub ctxt: Option<u64>,
}

/// Parses a `P6` line; repeated lines are separate samples.
pub fn parse(tokens: Tokens<'_>, line: usize, samples: &mut Vec<P6Sample>) -> Result<(), String> {
    let f = Fields::new(
        "P6",
        &[
            "phase",
            "secs",
            "samples",
            "peek_runs",
            "peek_wakes",
            "monitor_ns",
            "peek_ns",
        ],
        &["eo_ns", "eo_wakes", "ctxt"],
        tokens,
    )?;
    let phase = f.choice(
        "phase",
        &[
            ("quiet", Phase::Quiet),
            ("near", Phase::Near),
            ("filled", Phase::Filled),
        ],
    )?;
    samples.push(P6Sample {
        line,
        phase,
        secs: f.opt_f64("secs")?,
        samples: f.opt_u64("samples")?,
        peek_runs: f.opt_u64("peek_runs")?,
        peek_wakes: f.opt_u64("peek_wakes")?,
        monitor_ns: f.opt_u64("monitor_ns")?,
        peek_ns: f.opt_u64("peek_ns")?,
        eo_ns: f.optional_u64("eo_ns")?,
        eo_wakes: f.optional_u64("eo_wakes")?,
        ctxt: f.optional_u64("ctxt")?,
    });
    Ok(())
}

/// `num / den`, or `None` when either is absent or `den` is 0.
fn ratio(num: Option<f64>, den: Option<u64>) -> Option<f64> {
    let den = den.filter(|&d| d > 0)?;
    Some(num? / den as f64)
}

/// The rates and ratios of one window, or a phase's medians of them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rates {
    /// (monitor_ns + peek_ns) / (secs · 1e9) · 100.
    pub cpu_pct: Option<f64>,
    /// eo_ns / (secs · 1e9) · 100.
    pub eo_cpu_pct: Option<f64>,
    /// (monitor_ns + peek_ns) / eo_ns.
    pub cpu_ratio: Option<f64>,
    /// samples / secs.
    pub wakeups_per_s: Option<f64>,
    /// eo_wakes / secs.
    pub eo_wakeups_per_s: Option<f64>,
    /// samples / eo_wakes.
    pub wakeup_ratio: Option<f64>,
    pub peek_runs_per_s: Option<f64>,
    pub peek_wakes_per_s: Option<f64>,
    /// peek_ns / (monitor_ns + peek_ns) · 100.
    pub peek_share: Option<f64>,
    /// ctxt / secs.
    pub ctxt_per_s: Option<f64>,
}

impl Rates {
    fn new(s: &P6Sample) -> Self {
        let secs = s.secs.filter(|&x| x > 0.0);
        let per_s = |v: Option<u64>| Some(v? as f64 / secs?);
        let pct_of_cpu = |ns: Option<f64>| Some(ns? / (secs? * 1e9) * 100.0);
        let module_ns = s
            .monitor_ns
            .zip(s.peek_ns)
            .map(|(m, p)| m.saturating_add(p));
        let module_ns_f = module_ns.map(|n| n as f64);
        Self {
            cpu_pct: pct_of_cpu(module_ns_f),
            eo_cpu_pct: pct_of_cpu(s.eo_ns.map(|n| n as f64)),
            cpu_ratio: ratio(module_ns_f, s.eo_ns),
            wakeups_per_s: per_s(s.samples),
            eo_wakeups_per_s: per_s(s.eo_wakes),
            wakeup_ratio: ratio(s.samples.map(|n| n as f64), s.eo_wakes),
            peek_runs_per_s: per_s(s.peek_runs),
            peek_wakes_per_s: per_s(s.peek_wakes),
            peek_share: ratio(s.peek_ns.map(|n| n as f64 * 100.0), module_ns),
            ctxt_per_s: per_s(s.ctxt),
        }
    }

    /// The nearest-rank median of each figure, over the windows that have it.
    fn median(of: &[Rates]) -> Self {
        let med = |f: fn(&Rates) -> Option<f64>| median_f64(of.iter().filter_map(f));
        Self {
            cpu_pct: med(|x| x.cpu_pct),
            eo_cpu_pct: med(|x| x.eo_cpu_pct),
            cpu_ratio: med(|x| x.cpu_ratio),
            wakeups_per_s: med(|x| x.wakeups_per_s),
            eo_wakeups_per_s: med(|x| x.eo_wakeups_per_s),
            wakeup_ratio: med(|x| x.wakeup_ratio),
            peek_runs_per_s: med(|x| x.peek_runs_per_s),
            peek_wakes_per_s: med(|x| x.peek_wakes_per_s),
            peek_share: med(|x| x.peek_share),
            ctxt_per_s: med(|x| x.ctxt_per_s),
        }
    }

    /// The figures as JSON keys, each prefixed: `median_cpu_pct`.
    fn json(&self, prefix: &str, into: &mut Map<String, Value>) {
        let figures = [
            ("cpu_pct", self.cpu_pct),
            ("eo_cpu_pct", self.eo_cpu_pct),
            ("cpu_ratio", self.cpu_ratio),
            ("wakeups_per_s", self.wakeups_per_s),
            ("eo_wakeups_per_s", self.eo_wakeups_per_s),
            ("wakeup_ratio", self.wakeup_ratio),
            ("peek_runs_per_s", self.peek_runs_per_s),
            ("peek_wakes_per_s", self.peek_wakes_per_s),
            ("peek_share", self.peek_share),
            ("ctxt_per_s", self.ctxt_per_s),
        ];
        for (k, v) in figures {
            into.insert(format!("{prefix}{k}"), json!(v));
        }
    }

    /// The table cells after Phase and Secs, with the peek wakes cell given.
    fn cells(&self, peek_wakes: String) -> Vec<String> {
        vec![
            opt(self.wakeups_per_s, units::dec2),
            peek_wakes,
            opt(self.cpu_pct, units::cpu_pct),
            opt(self.eo_cpu_pct, units::cpu_pct),
            opt(self.cpu_ratio, units::ratio2),
            opt(self.eo_wakeups_per_s, units::dec2),
            opt(self.wakeup_ratio, units::ratio2),
            opt(self.peek_runs_per_s, units::dec2),
            opt(self.peek_share, units::pct),
            opt(self.ctxt_per_s, units::per_s),
        ]
    }
}

/// P6: one window with its computed rates and ratios.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct P6Row {
    pub sample: P6Sample,
    pub rates: Rates,
}

/// P6: one phase's windows summarized.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PhaseSummary {
    pub phase: Phase,
    pub lines: usize,
    /// The medians of the windows' rates.
    pub rates: Rates,
    /// peek_wakes summed over the lines that have it; `None` if none has.
    pub peek_wakes_total: Option<u64>,
    /// Whether any line has eo_ns.
    pub has_eo_ns: bool,
}

impl PhaseSummary {
    fn new(phase: Phase, rows: &[&P6Row]) -> Self {
        let rates: Vec<Rates> = rows.iter().map(|r| r.rates).collect();
        let peek_wakes: Vec<u64> = rows.iter().filter_map(|r| r.sample.peek_wakes).collect();
        Self {
            phase,
            lines: rows.len(),
            rates: Rates::median(&rates),
            peek_wakes_total: (!peek_wakes.is_empty())
                .then(|| peek_wakes.iter().fold(0, |a: u64, &b| a.saturating_add(b))),
            has_eo_ns: rows.iter().any(|r| r.sample.eo_ns.is_some()),
        }
    }

    /// Adds this idle phase's misses and unmeasured parts; returns whether any part was judged.
    fn judge(&self, missed: &mut Vec<String>, unmeasured: &mut Vec<String>) -> bool {
        let name = self.phase.name();
        let mut judged = false;
        match self.rates.wakeups_per_s {
            Some(w) => {
                judged = true;
                if w > WAKEUPS_GOAL {
                    missed.push(format!(
                        "{name} {} wake-ups/s, {}",
                        units::dec2(w),
                        times_target(w, WAKEUPS_GOAL, "1/s")
                    ));
                }
            }
            None => unmeasured.push(format!("{name} wake-ups not measured")),
        }
        match self.peek_wakes_total {
            Some(n) => {
                judged = true;
                if n > PEEK_WAKES_GOAL {
                    missed.push(format!(
                        "{name}: the peek timers woke the monitor {} (goal 0)",
                        plural(usize::try_from(n).unwrap_or(usize::MAX), "time")
                    ));
                }
            }
            None => unmeasured.push(format!("{name} peek wakes not measured")),
        }
        match self.rates.cpu_ratio {
            Some(r) => {
                judged = true;
                if r > CPU_RATIO_GOAL {
                    missed.push(format!(
                        "{name} CPU {} earlyoom's (goal ≤ 1×)",
                        units::ratio(r)
                    ));
                }
            }
            None if self.has_eo_ns => {
                unmeasured.push(format!("{name} CPU vs earlyoom's not measured"))
            }
            None => unmeasured.push(format!("{name} CPU vs earlyoom's not measured (no eo_ns)")),
        }
        judged
    }

    /// This phase in a few words: `quiet 0.90 wake-ups/s, CPU 0.07× earlyoom's`.
    fn headline(&self) -> String {
        let mut s = format!(
            "{} {} wake-ups/s, CPU {}",
            self.phase.name(),
            opt(self.rates.wakeups_per_s, units::dec2),
            match (self.rates.cpu_ratio, self.rates.cpu_pct) {
                (Some(r), _) => format!("{} earlyoom's", units::ratio2(r)),
                (None, Some(c)) => format!("{} (earlyoom not measured)", units::cpu_pct(c)),
                (None, None) => units::ABSENT.to_string(),
            }
        );
        if let Some(n) = self.peek_wakes_total.filter(|&n| n > 0) {
            s.push_str(&format!(", peek wakes {}", units::int(n)));
        }
        if self.lines > 1 {
            s.push_str(&format!(" (median of {})", self.lines));
        }
        s
    }
}

/// P6: the module's idle cost, by phase.
#[derive(Debug, Clone, PartialEq)]
pub struct P6Summary {
    pub rows: Vec<P6Row>,
    pub phases: Vec<PhaseSummary>,
}

impl P6Summary {
    pub fn new(samples: &[P6Sample]) -> Option<Self> {
        if samples.is_empty() {
            return None;
        }
        let rows: Vec<P6Row> = samples
            .iter()
            .map(|s| P6Row {
                sample: *s,
                rates: Rates::new(s),
            })
            .collect();
        let phases = Phase::ALL
            .into_iter()
            .filter_map(|phase| {
                let r: Vec<&P6Row> = rows.iter().filter(|r| r.sample.phase == phase).collect();
                (!r.is_empty()).then(|| PhaseSummary::new(phase, &r))
            })
            .collect();
        Some(Self { rows, phases })
    }

    /// The summary of one phase.
    pub fn phase(&self, p: Phase) -> Option<&PhaseSummary> {
        self.phases.iter().find(|s| s.phase == p)
    }

    /// The idle phases present, which the verdict judges.
    fn idle(&self) -> impl Iterator<Item = &PhaseSummary> {
        self.phases.iter().filter(|p| p.phase.judged())
    }
}

impl Summary for P6Summary {
    fn verdict(&self) -> Verdict {
        if self.phase(Phase::Quiet).is_none() {
            return Verdict::not_measured("no quiet phase");
        }
        let mut missed = Vec::new();
        let mut unmeasured = Vec::new();
        let mut judged = false;
        for p in self.idle() {
            judged |= p.judge(&mut missed, &mut unmeasured);
        }
        if !judged {
            return Verdict::not_measured(unmeasured.join("; "));
        }
        Verdict::from_parts(missed, unmeasured)
    }

    fn headline(&self) -> String {
        if self.phase(Phase::Quiet).is_none() {
            return "quiet phase not measured".to_string();
        }
        self.idle()
            .map(PhaseSummary::headline)
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn markdown(&self, out: &mut String) {
        let mut rows = Vec::new();
        for ph in &self.phases {
            let name = if ph.phase.judged() {
                ph.phase.name().to_string()
            } else {
                format!("{} (not judged)", ph.phase.name())
            };
            for r in self.rows.iter().filter(|r| r.sample.phase == ph.phase) {
                let mut row = vec![name.clone(), opt(r.sample.secs, units::dec1)];
                row.extend(r.rates.cells(n_int(r.sample.peek_wakes)));
                rows.push(row);
            }
            if ph.lines > 1 {
                let mut row = vec![
                    format!("**{} median** (of {})", ph.phase.name(), ph.lines),
                    String::new(),
                ];
                let total = opt(ph.peek_wakes_total, |n| {
                    format!("{} (total)", units::int(n))
                });
                row.extend(ph.rates.cells(total));
                rows.push(row);
            }
        }
        table(
            out,
            &[
                "Phase",
                "Secs",
                "Monitor wake-ups/s",
                "Peek wakes",
                "CPU (% of one CPU)",
                "earlyoom CPU (% of one CPU)",
                "CPU ÷ earlyoom's",
                "earlyoom wake-ups/s",
                "Wake-ups ÷ earlyoom's",
                "Peek runs/s",
                "Peek share of CPU",
                "Guest ctxt/s",
            ],
            &rows,
        );
    }

    fn json(&self) -> Value {
        let samples: Vec<Value> = self
            .rows
            .iter()
            .map(|r| {
                let x = &r.sample;
                let mut v = Map::new();
                v.insert("line".to_string(), json!(x.line));
                v.insert("phase".to_string(), json!(x.phase.name()));
                v.insert("secs".to_string(), json!(x.secs));
                let counts = [
                    ("samples", x.samples),
                    ("peek_runs", x.peek_runs),
                    ("peek_wakes", x.peek_wakes),
                    ("monitor_ns", x.monitor_ns),
                    ("peek_ns", x.peek_ns),
                    ("eo_ns", x.eo_ns),
                    ("eo_wakes", x.eo_wakes),
                    ("ctxt", x.ctxt),
                ];
                for (k, n) in counts {
                    v.insert(k.to_string(), json!(n));
                }
                r.rates.json("", &mut v);
                Value::Object(v)
            })
            .collect();
        let phases: Map<String, Value> = self
            .phases
            .iter()
            .map(|p| {
                let mut v = Map::new();
                v.insert("lines".to_string(), json!(p.lines));
                v.insert("judged".to_string(), json!(p.phase.judged()));
                v.insert("peek_wakes_total".to_string(), json!(p.peek_wakes_total));
                p.rates.json("median_", &mut v);
                (p.phase.name().to_string(), Value::Object(v))
            })
            .collect();
        json!({
            "goals": {
                "wakeups_per_s": WAKEUPS_GOAL,
                "peek_wakes": PEEK_WAKES_GOAL,
                "cpu_ratio": CPU_RATIO_GOAL,
            },
            "judged_phases": Phase::ALL
                .iter()
                .filter(|p| p.judged())
                .map(|p| p.name())
                .collect::<Vec<_>>(),
            "phase_cpu_ratio": "nearest-rank median of the lines' cpu_ratio",
            "samples": samples,
            "phases": phases,
        })
    }
}

#[cfg(test)]
mod tests;
