//! P6, the module's CPU and wake-ups: `bench: P6 phase=quiet|near secs=S samples=N
//! peek_runs=N peek_wakes=N monitor_ns=N peek_ns=N`, the module's own counters over an interval.

use crate::input::{Fields, Tokens};
use crate::measure::{times_target, About, Summary, Verdict};
use crate::stats::median_f64;
use crate::table::table;
use crate::units::{self, opt};
use serde_json::{json, Map, Value};

/// What the report says about P6.
pub const ABOUT: About = About {
    id: "P6",
    host: false,
    measure: "Module CPU and wake-ups",
    target: "quiet: ≤ 0.1 % of one CPU, ≤ 1 monitor wake-up/s",
    method: "\
The module's own counters (stats ioctl) over an interval of secs seconds, in two \
phases. `quiet`: nothing allocating for 30 s. `near`: for 20 s a holder keeps free memory \
between the zones' high watermark and twice it, where the monitor samples every \
sample_fast_ms (10 ms). CPU % of one CPU = (monitor_ns + peek_ns) / interval: the time spent \
in the monitor's samples and in the per-CPU 10 ms peek timers. Wake-ups are monitor samples \
per second. The peek timers are deferrable: they never wake an idle CPU, they run when it is \
awake anyway, so they are not counted as wake-ups; their runs per second are shown beside, \
with peek wakes (peek runs that saw free memory fall fast and woke the monitor). Repeated \
samples of a phase are each listed, with their median, which the verdict judges.",
    definitions: &[(
        "P6.cpu_pct",
        "(monitor_ns + peek_ns) / (secs * 1e9) * 100, percent of one CPU",
    )],
};

/// The quiet CPU target in percent of one CPU.
const QUIET_CPU_PCT: f64 = 0.1;
/// The quiet monitor wake-up target per second.
const QUIET_WAKEUPS: f64 = 1.0;

/// The P6 memory situation a cost sample was taken in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Quiet,
    Near,
}

impl Phase {
    /// The phase as written in the lines.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Quiet => "quiet",
            Phase::Near => "near",
        }
    }
}

/// One P6 module work-cost sample.
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
        &[],
        tokens,
    )?;
    let phase = f.choice("phase", &[("quiet", Phase::Quiet), ("near", Phase::Near)])?;
    samples.push(P6Sample {
        line,
        phase,
        secs: f.opt_f64("secs")?,
        samples: f.opt_u64("samples")?,
        peek_runs: f.opt_u64("peek_runs")?,
        peek_wakes: f.opt_u64("peek_wakes")?,
        monitor_ns: f.opt_u64("monitor_ns")?,
        peek_ns: f.opt_u64("peek_ns")?,
    });
    Ok(())
}

/// P6: one cost sample with its computed rates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct P6Row {
    pub sample: P6Sample,
    /// (monitor_ns + peek_ns) / (secs · 1e9) · 100.
    pub cpu_pct: Option<f64>,
    /// samples / secs.
    pub wakeups_per_s: Option<f64>,
    pub peek_runs_per_s: Option<f64>,
    pub peek_wakes_per_s: Option<f64>,
}

impl P6Row {
    fn new(s: &P6Sample) -> Self {
        let secs = s.secs.filter(|&x| x > 0.0);
        let per_s = |v: Option<u64>| Some(v? as f64 / secs?);
        let cpu_ns = s
            .monitor_ns
            .zip(s.peek_ns)
            .map(|(m, p)| m as f64 + p as f64);
        Self {
            sample: *s,
            cpu_pct: secs.zip(cpu_ns).map(|(secs, ns)| ns / (secs * 1e9) * 100.0),
            wakeups_per_s: per_s(s.samples),
            peek_runs_per_s: per_s(s.peek_runs),
            peek_wakes_per_s: per_s(s.peek_wakes),
        }
    }
}

/// P6: the medians of one phase's samples.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PhaseSummary {
    pub phase: Phase,
    pub lines: usize,
    pub cpu_pct: Option<f64>,
    pub wakeups_per_s: Option<f64>,
    pub peek_runs_per_s: Option<f64>,
    pub peek_wakes_per_s: Option<f64>,
}

/// P6: module work cost.
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
        let rows: Vec<P6Row> = samples.iter().map(P6Row::new).collect();
        let phases = [Phase::Quiet, Phase::Near]
            .into_iter()
            .filter_map(|phase| {
                let r: Vec<&P6Row> = rows.iter().filter(|r| r.sample.phase == phase).collect();
                let med = |f: fn(&P6Row) -> Option<f64>| median_f64(r.iter().filter_map(|x| f(x)));
                (!r.is_empty()).then(|| PhaseSummary {
                    phase,
                    lines: r.len(),
                    cpu_pct: med(|x| x.cpu_pct),
                    wakeups_per_s: med(|x| x.wakeups_per_s),
                    peek_runs_per_s: med(|x| x.peek_runs_per_s),
                    peek_wakes_per_s: med(|x| x.peek_wakes_per_s),
                })
            })
            .collect();
        Some(Self { rows, phases })
    }

    /// The summary of one phase.
    pub fn phase(&self, p: Phase) -> Option<&PhaseSummary> {
        self.phases.iter().find(|s| s.phase == p)
    }
}

impl Summary for P6Summary {
    fn verdict(&self) -> Verdict {
        let Some(q) = self.phase(Phase::Quiet) else {
            return Verdict::not_measured("no quiet phase");
        };
        let mut missed = Vec::new();
        let mut unmeasured = Vec::new();
        match q.cpu_pct {
            Some(c) if c > QUIET_CPU_PCT => missed.push(format!(
                "quiet {} of one CPU, {}",
                units::cpu_pct(c),
                times_target(c, QUIET_CPU_PCT, "0.1 %")
            )),
            Some(_) => {}
            None => unmeasured.push("quiet CPU not measured".to_string()),
        }
        match q.wakeups_per_s {
            Some(w) if w > QUIET_WAKEUPS => missed.push(format!(
                "quiet {} wake-ups/s, {}",
                units::dec2(w),
                times_target(w, QUIET_WAKEUPS, "1/s")
            )),
            Some(_) => {}
            None => unmeasured.push("quiet wake-ups not measured".to_string()),
        }
        if q.cpu_pct.is_none() && q.wakeups_per_s.is_none() {
            return Verdict::not_measured("quiet CPU and wake-ups not measured");
        }
        Verdict::from_parts(missed, unmeasured)
    }

    fn headline(&self) -> String {
        match self.phase(Phase::Quiet) {
            Some(q) => {
                let mut s = format!(
                    "quiet {} CPU, {} wake-ups/s",
                    units::opt(q.cpu_pct, units::cpu_pct),
                    units::opt(q.wakeups_per_s, units::dec2)
                );
                if q.lines > 1 {
                    s.push_str(&format!(" (median of {})", q.lines));
                }
                s
            }
            None => "quiet phase not measured".to_string(),
        }
    }

    fn markdown(&self, out: &mut String) {
        let mut rows = Vec::new();
        for ph in &self.phases {
            for r in self.rows.iter().filter(|r| r.sample.phase == ph.phase) {
                let mut row = vec![ph.phase.name().to_string(), opt(r.sample.secs, units::dec1)];
                row.extend(rate_cells(
                    r.cpu_pct,
                    [r.wakeups_per_s, r.peek_runs_per_s, r.peek_wakes_per_s],
                ));
                rows.push(row);
            }
            if ph.lines > 1 {
                let mut row = vec![
                    format!("**{} median** (of {})", ph.phase.name(), ph.lines),
                    String::new(),
                ];
                row.extend(rate_cells(
                    ph.cpu_pct,
                    [ph.wakeups_per_s, ph.peek_runs_per_s, ph.peek_wakes_per_s],
                ));
                rows.push(row);
            }
        }
        table(
            out,
            &[
                "Phase",
                "Secs",
                "CPU (% of one CPU)",
                "Monitor wake-ups/s",
                "Peek runs/s",
                "Peek wakes/s",
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
                json!({
                    "line": x.line,
                    "phase": x.phase.name(),
                    "secs": x.secs,
                    "samples": x.samples,
                    "peek_runs": x.peek_runs,
                    "peek_wakes": x.peek_wakes,
                    "monitor_ns": x.monitor_ns,
                    "peek_ns": x.peek_ns,
                    "cpu_pct": r.cpu_pct,
                    "wakeups_per_s": r.wakeups_per_s,
                    "peek_runs_per_s": r.peek_runs_per_s,
                    "peek_wakes_per_s": r.peek_wakes_per_s,
                })
            })
            .collect();
        let phases: Map<String, Value> = self
            .phases
            .iter()
            .map(|p| {
                let v = json!({
                    "lines": p.lines,
                    "median_cpu_pct": p.cpu_pct,
                    "median_wakeups_per_s": p.wakeups_per_s,
                    "median_peek_runs_per_s": p.peek_runs_per_s,
                    "median_peek_wakes_per_s": p.peek_wakes_per_s,
                });
                (p.phase.name().to_string(), v)
            })
            .collect();
        json!({"samples": samples, "phases": phases})
    }
}

/// The four rate cells of a sample or of a phase's medians.
fn rate_cells(cpu_pct: Option<f64>, rates: [Option<f64>; 3]) -> Vec<String> {
    let mut cells = vec![opt(cpu_pct, units::cpu_pct)];
    cells.extend(rates.into_iter().map(|r| opt(r, units::dec2)));
    cells
}

#[cfg(test)]
mod tests;
