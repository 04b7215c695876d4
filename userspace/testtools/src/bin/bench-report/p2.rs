//! P2, the warning lead before the OOM: `bench: P2 rate=R run=N reached_mibs=X <signal>=MS ...
//! earlyoom_sig=TERM|KILL <level>_delay=MS ... [<level>_kdelay=MS ...]`, one line per hog run
//! until the OOM. The same lines carry P3's detection delays (`p3.rs`).

use crate::input::{Fields, Tokens};
use crate::measure::{About, Summary, Verdict};
use crate::stats::{median_f64, min_f64};
use crate::table::{n_ms, plural, table};
use crate::units;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::fmt;

/// What the report says about P2.
pub const ABOUT: About = About {
    id: "P2",
    host: false,
    measure: "Warning lead before the OOM",
    target: "at every rate: our lead ≥ earlyoom's at the same threshold (10 %: our `medium`, its \
             SIGTERM) in the same run, median per-run ratio ≥ 1; and ours `critical` and \
             `medium` before the OOM in every run",
    method: "\
A memory hog allocates at a fixed rate (50, 200 or 800 MiB/s, or as fast as it can: `max`) \
until the kernel's OOM killer kills it, several runs per rate. For every signal the run \
records when it first arrived, as a lead in ms before the OOM (negative: it came only after \
the OOM). Ours are the module's low, medium and critical headroom levels (by default 20 %, \
10 % and 5 % of memory available) and the onset of a reclaim episode. The peers watch the \
same runs, so every signal is measured in one and the same run: earlyoom with `--dryrun` and \
its default thresholds (SIGTERM at ≤ 10 % available memory, SIGKILL at ≤ 5 %), which reports \
the signal it would send without sending it, so that the hog still reaches the OOM, its lines \
stamped with CLOCK_MONOTONIC as they arrive; and two PSI triggers armed by our psiwatch tool, \
`some 1000 500000` and `some 50000 500000` (1 ms and 50 ms of `some` memory stall in a 500 ms \
window, the smallest window the kernel allows). The judged comparison is at the same \
threshold: our `medium` level and earlyoom's SIGTERM both stand for 10 % of memory \
available, and both are crossed in the same run by the same hog, so what differs between \
their leads is only how soon each notices the crossing. earlyoom's lead is that of its first \
action: its SIGTERM, or its SIGKILL when available memory fell from above 10 % to 5 % or \
below between two of its polls, which is counted as a skip of its SIGTERM step. Per rate, the \
judged ratio is paired: in each run where both came before the OOM, our `medium` lead over \
earlyoom's lead in that same run, and the median (and min) of those per-run ratios; a run \
where earlyoom took no action before the OOM and ours did is a run we won, left out of the \
ratio rather than counted as an unbounded one. Beside it, as context, the ratio of medians: \
the median lead of our `medium` over the runs where it came before the OOM, divided by the \
median lead of earlyoom's first action over the runs where that came before the OOM, and the \
count of runs where earlyoom came first. The ratio of medians sets one run's lead against \
another's: where the leads are long and both signals come within a few ms of the crossing \
(on a board, seconds of lead, ±1 % between the two), run-to-run variation decides it (a \
board-x86_64 run read 0.9996× by medians while we were ahead in 4 of 5 of its runs), which \
is why the paired ratio is the one judged. The absolute leads \
depend on the machine: how much memory lies between the threshold and the OOM, how fast the \
machine reclaims, how much emulation slows it; all of that acts alike on both signals of one \
run, so the ratio of their leads is what carries from an emulated machine to a board, and \
the absolute leads are context only. The goal is a median per-run ratio ≥ 1 at every rate: \
we warn no later than earlyoom at the same threshold. A rate where earlyoom took no action \
before the OOM in any run has no ratio: we warned and it did not, and that rate is judged on \
our misses alone. \
Our `critical` (5 %) and `medium` must also come before the OOM in every run: a warning that \
comes after the OOM warns of nothing. The other signals, our low level and reclaim onset and \
the PSI triggers, are shown beside as context, not judged: PSI measures stall, not headroom, \
so it has no threshold that is the same as one of ours. A run is covered by a signal when its \
lead is positive; the median and min lead are over the covered runs only, and a miss is a \
run where the signal was not before the OOM (lead ≤ 0 ms, or never). Medians are \
nearest-rank. Reached is the median over the runs of the rate the hog reached over its last \
64 MiB. The hog is paced on a fixed CLOCK_MONOTONIC schedule and catches up after a stall, so \
a 50 MiB/s run can show a higher rate at its end. A run without an OOM prints a note instead \
of a line and is not counted; with `meta runs=N`, a rate with fewer runs makes the verdict \
incomplete, and so does an input in which earlyoom took no action in any run, not even after \
the OOM (it was likely not running): there is nothing to compare with.",
    definitions: &[
        (
            "P2.coverage",
            "runs whose lead is > 0 ms (the signal came before the OOM) / runs; median and min \
             lead over those runs",
        ),
        (
            "P2.ratio",
            "same_threshold: the threshold the compared signals share. \
             ratio_medium_over_earlyoom: the median lead of our medium level over the runs where \
             it came before the OOM / the median lead of earlyoom's first action (SIGTERM, or \
             SIGKILL when it skipped SIGTERM) over the runs where it came before the OOM, \
             nearest-rank medians, rounded to 2 decimals; null when either has no such run. \
             per_run_ratios: {run, ratio} with ratio = medium lead / earlyoom lead, for the runs \
             where both came before the OOM, in input order, rounded to 2 decimals; \
             per_run_ratio_median (nearest-rank) and per_run_ratio_min over them, null without \
             such runs; earlyoom_first_runs: how many of those ratios are below 1. goal_ratio: \
             the least per_run_ratio_median (the judged figure) may be at every rate",
        ),
        (
            "P2.misses",
            "misses_medium, misses_critical: runs where our level did not come before the OOM \
             (lead <= 0 ms or never); earlyoom_misses: runs where earlyoom took no action before \
             the OOM; earlyoom_skipped_term: runs whose earlyoom first action was SIGKILL, \
             whether or not it came before the OOM",
        ),
    ],
};

/// The least our `medium` lead may be, as a multiple of earlyoom's first-action lead at the
/// same threshold.
const GOAL_RATIO: f64 = 1.0;

/// The threshold our `medium` level and earlyoom's SIGTERM share.
const SAME_THRESHOLD: &str = "10 % available: our medium, earlyoom's SIGTERM";

/// A P2 hog allocation rate: MiB/s, or `max` (as fast as the hog can).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rate {
    MibS(u32),
    Max,
}

/// The rates every P2 run set should cover; a rate without runs is reported as not measured.
pub const EXPECTED_RATES: [Rate; 4] = [Rate::MibS(50), Rate::MibS(200), Rate::MibS(800), Rate::Max];

impl Rate {
    fn parse(v: &str) -> Option<Rate> {
        if v == "max" {
            return Some(Rate::Max);
        }
        v.parse().ok().filter(|&n| n > 0).map(Rate::MibS)
    }

    /// The rate with its unit, for prose: `50 MiB/s`, `max`.
    pub fn label(self) -> String {
        match self {
            Rate::MibS(n) => format!("{n} MiB/s"),
            Rate::Max => "max".to_string(),
        }
    }
}

impl fmt::Display for Rate {
    /// The rate as written in the lines: `50`, `max`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rate::MibS(n) => write!(f, "{n}"),
            Rate::Max => f.write_str("max"),
        }
    }
}

/// A warning signal whose lead before the OOM P2 measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    Low,
    Medium,
    Critical,
    Reclaim,
    Earlyoom,
    Psi1ms,
    Psi50ms,
}

impl Signal {
    /// Every signal, ours first.
    pub const ALL: [Signal; 7] = [
        Signal::Low,
        Signal::Medium,
        Signal::Critical,
        Signal::Reclaim,
        Signal::Earlyoom,
        Signal::Psi1ms,
        Signal::Psi50ms,
    ];

    /// The P2 key that carries the signal's lead.
    pub fn key(self) -> &'static str {
        match self {
            Signal::Low => "low",
            Signal::Medium => "medium",
            Signal::Critical => "critical",
            Signal::Reclaim => "reclaim",
            Signal::Earlyoom => "earlyoom",
            Signal::Psi1ms => "psi_1ms",
            Signal::Psi50ms => "psi_50ms",
        }
    }

    /// Whether the signal comes from rust_oom_guard (the others are peers, shown for comparison).
    pub fn is_ours(self) -> bool {
        matches!(
            self,
            Signal::Low | Signal::Medium | Signal::Critical | Signal::Reclaim
        )
    }
}

/// One of our pressure levels, whose detection delay P3 measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Low,
    Medium,
    Critical,
}

impl Level {
    /// Every level, lowest first.
    pub const ALL: [Level; 3] = [Level::Low, Level::Medium, Level::Critical];

    /// The level's name.
    pub fn name(self) -> &'static str {
        match self {
            Level::Low => "low",
            Level::Medium => "medium",
            Level::Critical => "critical",
        }
    }

    /// The P2 key that carries the level's detection delay by the hog's accounting:
    /// `low_delay`.
    pub fn delay_key(self) -> String {
        format!("{}_delay", self.name())
    }

    /// The optional P2 key that carries the level's detection delay by the kernel's own count
    /// (MemAvailable as the hog read it): `low_kdelay`.
    pub fn kdelay_key(self) -> String {
        format!("{}_kdelay", self.name())
    }
}

/// earlyoom's first action in a P2 run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KillSig {
    Term,
    Kill,
}

impl KillSig {
    /// The signal as written in the lines: `TERM`, `KILL`.
    pub fn name(self) -> &'static str {
        match self {
            KillSig::Term => "TERM",
            KillSig::Kill => "KILL",
        }
    }
}

/// One P2 run: lead times of every signal before the OOM, and our levels' detection delays (P3).
#[derive(Debug, Clone, PartialEq)]
pub struct P2Run {
    pub line: usize,
    pub rate: Rate,
    pub run: u32,
    pub reached_mibs: Option<f64>,
    /// Lead in ms per signal, in `Signal::ALL` order.
    pub leads: [Option<f64>; 7],
    pub earlyoom_sig: Option<KillSig>,
    /// Detection delay in ms per level by the hog's accounting, in `Level::ALL` order.
    pub delays: [Option<f64>; 3],
    /// Detection delay in ms per level by the kernel's count (the optional `*_kdelay` keys), in
    /// `Level::ALL` order.
    pub kdelays: [Option<f64>; 3],
}

impl P2Run {
    /// The signal's lead in ms before the OOM (negative: after it), if it came at all.
    pub fn lead(&self, s: Signal) -> Option<f64> {
        self.leads.get(s as usize).copied().flatten()
    }

    /// The level's detection delay in ms, if known.
    pub fn delay(&self, l: Level) -> Option<f64> {
        self.delays.get(l as usize).copied().flatten()
    }

    /// The level's detection delay in ms by the kernel's count, if known.
    pub fn kdelay(&self, l: Level) -> Option<f64> {
        self.kdelays.get(l as usize).copied().flatten()
    }
}

const KEYS: &[&str] = &[
    "rate",
    "run",
    "reached_mibs",
    "low",
    "medium",
    "critical",
    "reclaim",
    "earlyoom",
    "earlyoom_sig",
    "psi_1ms",
    "psi_50ms",
    "low_delay",
    "medium_delay",
    "critical_delay",
];
/// Absent: no kernel-count measure of the detection delay (inputs from before there was one).
const OPTIONAL: &[&str] = &["low_kdelay", "medium_kdelay", "critical_kdelay"];

/// Parses a `P2` line; a rate and run is given once.
pub fn parse(tokens: Tokens<'_>, line: usize, runs: &mut Vec<P2Run>) -> Result<(), String> {
    let f = Fields::new("P2", KEYS, OPTIONAL, tokens)?;
    let v = f.raw("rate")?;
    let rate = Rate::parse(v).ok_or_else(|| {
        format!("P2: rate={v}: expected a positive whole number of MiB/s or 'max'")
    })?;
    let run = f.u32("run")?;
    let reached_mibs = f.opt_f64("reached_mibs")?;
    let mut leads = [None; 7];
    for (slot, s) in leads.iter_mut().zip(Signal::ALL) {
        *slot = f.opt_f64(s.key())?;
    }
    let earlyoom_sig = match f.raw("earlyoom_sig")? {
        "-" => None,
        "TERM" => Some(KillSig::Term),
        "KILL" => Some(KillSig::Kill),
        v => return Err(format!("P2: earlyoom_sig={v}: expected TERM, KILL or '-'")),
    };
    let mut delays = [None; 3];
    for (slot, l) in delays.iter_mut().zip(Level::ALL) {
        *slot = f.opt_f64(&l.delay_key())?;
    }
    let mut kdelays = [None; 3];
    for (slot, l) in kdelays.iter_mut().zip(Level::ALL) {
        *slot = f.optional_f64(&l.kdelay_key())?;
    }
    if let Some(prev) = runs.iter().find(|r| r.rate == rate && r.run == run) {
        return Err(format!(
            "P2: rate={rate} run={run} already given on line {}",
            prev.line
        ));
    }
    runs.push(P2Run {
        line,
        rate,
        run,
        reached_mibs,
        leads,
        earlyoom_sig,
        delays,
        kdelays,
    });
    Ok(())
}

/// P2: one signal's coverage at one rate.
#[derive(Debug, Clone, PartialEq)]
pub struct Coverage {
    pub signal: Signal,
    pub runs: usize,
    /// Runs where the signal came before the OOM (lead > 0).
    pub covered: usize,
    /// Runs where it came at or after the OOM (lead ≤ 0).
    pub late: usize,
    /// Runs where it never came (`-`).
    pub never: usize,
    /// Median lead in ms over the covered runs.
    pub median_lead_ms: Option<f64>,
    /// Min lead in ms over the covered runs.
    pub min_lead_ms: Option<f64>,
}

impl Coverage {
    fn new(signal: Signal, runs: &[&P2Run]) -> Self {
        let leads: Vec<Option<f64>> = runs.iter().map(|r| r.lead(signal)).collect();
        let covered: Vec<f64> = leads
            .iter()
            .flatten()
            .copied()
            .filter(|&l| l > 0.0)
            .collect();
        Self {
            signal,
            runs: runs.len(),
            covered: covered.len(),
            late: leads.iter().flatten().filter(|&&l| l <= 0.0).count(),
            never: leads.iter().filter(|l| l.is_none()).count(),
            median_lead_ms: median_f64(covered.iter().copied()),
            min_lead_ms: min_f64(covered.iter().copied()),
        }
    }
}

/// P2: our `medium` level against earlyoom's first action at one rate, the same threshold (10 %
/// available), with our misses.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Comparison {
    pub runs: usize,
    /// Median lead in ms of our `medium` over the runs where it came before the OOM.
    pub medium_median_ms: Option<f64>,
    /// Median lead in ms of earlyoom's first action over the runs where it came before the OOM.
    pub earlyoom_median_ms: Option<f64>,
    /// `medium_median_ms / earlyoom_median_ms`; `None` when either is.
    pub ratio: Option<f64>,
    /// (run, medium lead / earlyoom lead) for the runs where both came before the OOM, in
    /// input order.
    pub per_run: Vec<(u32, f64)>,
    /// Nearest-rank median of the per-run ratios.
    pub per_run_median: Option<f64>,
    /// Smallest per-run ratio.
    pub per_run_min: Option<f64>,
    /// Runs, of those with a per-run ratio, where earlyoom's lead was the longer.
    pub earlyoom_first: usize,
    /// Runs where our `medium` did not come before the OOM (lead ≤ 0 or never).
    pub misses_medium: usize,
    /// Runs where our `critical` did not come before the OOM (lead ≤ 0 or never).
    pub misses_critical: usize,
    /// Runs where our `medium` or our `critical` did not come before the OOM.
    pub runs_missed_by_ours: usize,
    /// Runs where earlyoom took no action before the OOM.
    pub earlyoom_misses: usize,
    /// Runs whose earlyoom first action was SIGKILL: it skipped its SIGTERM step.
    pub earlyoom_skipped_term: usize,
}

/// Whether a lead came before the OOM.
fn before(lead: Option<f64>) -> bool {
    lead.is_some_and(|l| l > 0.0)
}

impl Comparison {
    /// The comparison at one rate, from its runs and its signals' coverage.
    fn new(runs: &[&P2Run], rate: &RateSummary) -> Self {
        let median = |s: Signal| rate.coverage(s).and_then(|c| c.median_lead_ms);
        let medium_median_ms = median(Signal::Medium);
        let earlyoom_median_ms = median(Signal::Earlyoom);
        let per_run: Vec<(u32, f64)> = runs
            .iter()
            .filter_map(|r| {
                let (m, e) = (r.lead(Signal::Medium)?, r.lead(Signal::Earlyoom)?);
                (m > 0.0 && e > 0.0).then(|| (r.run, m / e))
            })
            .collect();
        // Runs not covered: the signal came at or after the OOM, or never.
        let missed = |s: Signal| rate.coverage(s).map_or(runs.len(), |c| c.runs - c.covered);
        Self {
            runs: runs.len(),
            medium_median_ms,
            earlyoom_median_ms,
            ratio: medium_median_ms.zip(earlyoom_median_ms).map(|(m, e)| m / e),
            per_run_median: median_f64(per_run.iter().map(|&(_, x)| x)),
            per_run_min: min_f64(per_run.iter().map(|&(_, x)| x)),
            earlyoom_first: per_run.iter().filter(|&&(_, x)| x < 1.0).count(),
            per_run,
            misses_medium: missed(Signal::Medium),
            misses_critical: missed(Signal::Critical),
            runs_missed_by_ours: runs
                .iter()
                .filter(|r| !before(r.lead(Signal::Medium)) || !before(r.lead(Signal::Critical)))
                .count(),
            earlyoom_misses: missed(Signal::Earlyoom),
            earlyoom_skipped_term: rate.earlyoom_kill,
        }
    }
}

/// P2: every signal's coverage at one rate.
#[derive(Debug, Clone, PartialEq)]
pub struct RateSummary {
    pub rate: Rate,
    pub runs: usize,
    pub reached_median_mibs: Option<f64>,
    /// In `Signal::ALL` order.
    pub signals: Vec<Coverage>,
    /// Runs whose earlyoom first action was SIGTERM.
    pub earlyoom_term: usize,
    /// Runs whose earlyoom first action was SIGKILL.
    pub earlyoom_kill: usize,
    /// Our `medium` against earlyoom at the same threshold, and our misses.
    pub vs_earlyoom: Comparison,
}

impl RateSummary {
    /// The coverage of one signal.
    pub fn coverage(&self, s: Signal) -> Option<&Coverage> {
        self.signals.iter().find(|c| c.signal == s)
    }
}

/// Groups P2 runs by rate, rates ascending (`max` last).
pub fn by_rate(runs: &[P2Run]) -> BTreeMap<Rate, Vec<&P2Run>> {
    let mut m: BTreeMap<Rate, Vec<&P2Run>> = BTreeMap::new();
    for r in runs {
        m.entry(r.rate).or_default().push(r);
    }
    m
}

/// The expected rates without runs, as text: `rates 800 MiB/s, max not measured`.
pub fn missing_rates_text(missing: &[Rate]) -> Option<String> {
    let names: Vec<String> = missing.iter().map(|r| r.label()).collect();
    match names.len() {
        0 => None,
        1 => Some(format!("rate {} not measured", names.join(""))),
        _ => Some(format!("rates {} not measured", names.join(", "))),
    }
}

/// The expected rates without runs.
pub fn missing_rates(present: &BTreeMap<Rate, Vec<&P2Run>>) -> Vec<Rate> {
    EXPECTED_RATES
        .into_iter()
        .filter(|r| !present.contains_key(r))
        .collect()
}

/// P2: lead of every signal before the OOM, per rate.
#[derive(Debug, Clone, PartialEq)]
pub struct P2Summary {
    pub runs: Vec<P2Run>,
    pub rates: Vec<RateSummary>,
    pub missing_rates: Vec<Rate>,
    /// The runs per rate the guest meant to do: `meta runs=N`, if given.
    pub expected_runs: Option<usize>,
}

impl P2Summary {
    pub fn new(runs: &[P2Run], meta: &[(String, String)]) -> Option<Self> {
        if runs.is_empty() {
            return None;
        }
        let groups = by_rate(runs);
        let rates = groups
            .iter()
            .map(|(&rate, runs)| {
                let mut r = RateSummary {
                    rate,
                    runs: runs.len(),
                    reached_median_mibs: median_f64(runs.iter().filter_map(|r| r.reached_mibs)),
                    signals: Signal::ALL
                        .iter()
                        .map(|&s| Coverage::new(s, runs))
                        .collect(),
                    earlyoom_term: runs
                        .iter()
                        .filter(|r| r.earlyoom_sig == Some(KillSig::Term))
                        .count(),
                    earlyoom_kill: runs
                        .iter()
                        .filter(|r| r.earlyoom_sig == Some(KillSig::Kill))
                        .count(),
                    vs_earlyoom: Comparison::default(),
                };
                r.vs_earlyoom = Comparison::new(runs, &r);
                r
            })
            .collect();
        Some(Self {
            runs: runs.to_vec(),
            missing_rates: missing_rates(&groups),
            rates,
            expected_runs: meta
                .iter()
                .find(|(k, _)| k == "runs")
                .and_then(|(_, v)| v.parse().ok()),
        })
    }

    /// Whether earlyoom took any action in any run, even after the OOM: without one it was
    /// likely not running, and there is nothing to compare with.
    fn earlyoom_acted(&self) -> bool {
        self.runs.iter().any(|r| r.lead(Signal::Earlyoom).is_some())
    }

    /// The rates where earlyoom took no action before the OOM in any run (so no ratio), if it
    /// acted at all in the input.
    fn earlyoom_never_before(&self) -> Vec<&RateSummary> {
        if !self.earlyoom_acted() {
            return Vec::new();
        }
        self.rates
            .iter()
            .filter(|r| r.vs_earlyoom.earlyoom_median_ms.is_none())
            .collect()
    }
}

/// A ratio below the goal, never reading as the goal itself: `0.92×`, `0.999×`.
fn below_goal(ratio: f64) -> String {
    let text = units::ratio(ratio);
    if text == units::ratio(GOAL_RATIO) {
        format!("{ratio:.3}×")
    } else {
        text
    }
}

impl Summary for P2Summary {
    /// At every rate, the median over the runs of our `medium` lead over earlyoom's first
    /// action's in the same run (the same threshold) at least [`GOAL_RATIO`], and no run where
    /// our `medium` or `critical` came
    /// only after the OOM. A rate where earlyoom never acted before the OOM has no ratio and is
    /// judged on our misses alone; the detail says so, even when met.
    fn verdict(&self) -> Verdict {
        if self.runs.is_empty() {
            return Verdict::not_measured("no runs");
        }
        let mut missed = Vec::new();
        for r in &self.rates {
            let c = &r.vs_earlyoom;
            if let Some(x) = c.per_run_median {
                if x < GOAL_RATIO {
                    missed.push(format!(
                        "{}: medium lead ÷ earlyoom's in the same run, median {} over {} \
                         (earlyoom first in {})",
                        r.rate.label(),
                        below_goal(x),
                        plural(c.per_run.len(), "run"),
                        c.earlyoom_first
                    ));
                }
            }
            for (name, n) in [("medium", c.misses_medium), ("critical", c.misses_critical)] {
                if n > 0 {
                    missed.push(format!(
                        "{name} missed {n} of {} at {}",
                        plural(c.runs, "run"),
                        r.rate.label()
                    ));
                }
            }
        }
        let mut unmeasured: Vec<String> = missing_rates_text(&self.missing_rates)
            .into_iter()
            .collect();
        if let Some(want) = self.expected_runs {
            for r in self.rates.iter().filter(|r| r.runs < want) {
                unmeasured.push(format!(
                    "{}: {} of {want} runs reported",
                    r.rate.label(),
                    r.runs
                ));
            }
        }
        if !self.earlyoom_acted() {
            unmeasured.push(
                "earlyoom took no action in any run, not even after the OOM: no ratio".to_string(),
            );
        }
        let notes: Vec<String> = self
            .earlyoom_never_before()
            .iter()
            .map(|r| {
                let c = &r.vs_earlyoom;
                format!(
                    "earlyoom never acted before the OOM at {}: ratio undefined, our medium \
                     covered {}/{}",
                    r.rate.label(),
                    c.runs - c.misses_medium,
                    c.runs
                )
            })
            .collect();
        let v = Verdict::from_parts(missed, unmeasured);
        if notes.is_empty() {
            return v;
        }
        let notes = notes.join("; ");
        let detail = match v.detail {
            Some(d) => format!("{d}; {notes}"),
            None => notes,
        };
        Verdict::new(v.status, detail)
    }

    /// `medium ÷ earlyoom (same 10 % threshold, same run, median): 1.04× / 2.2× / — / 4.7× at
    /// 50 / 200 / 800 / max; earlyoom first in 3 of 30; ours missed 0 of 40; earlyoom missed 7,
    /// skipped SIGTERM in 13`.
    fn headline(&self) -> String {
        let ratios: Vec<String> = self
            .rates
            .iter()
            .map(|r| units::opt(r.vs_earlyoom.per_run_median, units::ratio))
            .collect();
        let rates: Vec<String> = self.rates.iter().map(|r| r.rate.to_string()).collect();
        let sum = |f: fn(&Comparison) -> usize| -> usize {
            self.rates.iter().map(|r| f(&r.vs_earlyoom)).sum()
        };
        let ours = sum(|c| c.runs_missed_by_ours);
        let mut s = format!(
            "medium ÷ earlyoom (same 10 % threshold, same run, median): {} at {}; earlyoom \
             first in {} of {}; ours missed {ours} of {}",
            ratios.join(" / "),
            rates.join(" / "),
            sum(|c| c.earlyoom_first),
            sum(|c| c.per_run.len()),
            self.runs.len()
        );
        if ours > 0 {
            s.push_str(&format!(
                " (medium {}, critical {})",
                sum(|c| c.misses_medium),
                sum(|c| c.misses_critical)
            ));
        }
        s.push_str(&format!(
            "; earlyoom missed {}, skipped SIGTERM in {}",
            sum(|c| c.earlyoom_misses),
            sum(|c| c.earlyoom_skipped_term)
        ));
        s
    }

    fn markdown(&self, out: &mut String) {
        let ratio = |r: Option<f64>| units::opt(r, units::ratio2);
        let rows: Vec<Vec<String>> = self
            .rates
            .iter()
            .map(|r| {
                let c = &r.vs_earlyoom;
                let per_run = match (c.per_run_median, c.per_run_min) {
                    (Some(m), Some(n)) => format!("{} / {}", units::ratio2(m), units::ratio2(n)),
                    _ => units::ABSENT.to_string(),
                };
                vec![
                    r.rate.to_string(),
                    r.runs.to_string(),
                    n_ms(c.medium_median_ms),
                    n_ms(c.earlyoom_median_ms),
                    per_run,
                    format!("{} of {}", c.earlyoom_first, c.per_run.len()),
                    ratio(c.ratio),
                    format!("{}, {}", c.misses_medium, c.misses_critical),
                    c.earlyoom_misses.to_string(),
                    c.earlyoom_skipped_term.to_string(),
                ]
            })
            .collect();
        table(
            out,
            &[
                "Rate (MiB/s)",
                "Runs",
                "Medium median lead (ms)",
                "earlyoom median lead (ms)",
                "Per-run ratio median / min (judged)",
                "earlyoom first",
                "Ratio of medians",
                "Our misses (medium, critical)",
                "earlyoom misses",
                "earlyoom skipped SIGTERM",
            ],
            &rows,
        );
        let never: Vec<String> = self
            .earlyoom_never_before()
            .iter()
            .map(|r| r.rate.label())
            .collect();
        if !never.is_empty() {
            out.push_str(&format!(
                "earlyoom never acted before the OOM at {}: no ratio there, our `medium` and \
                 `critical` are judged on their misses alone.\n\n",
                never.join(", ")
            ));
        }
        if !self.earlyoom_acted() {
            out.push_str(
                "earlyoom took no action in any run, not even after the OOM: it was likely not \
                 running, and there is nothing to compare with.\n\n",
            );
        }
        let mut rows = Vec::new();
        for r in &self.rates {
            for (i, c) in r.signals.iter().enumerate() {
                let mut notes = Vec::new();
                if c.late > 0 {
                    notes.push(format!("{} at or after the OOM", plural(c.late, "run")));
                }
                if c.never > 0 {
                    notes.push(format!("{} never", plural(c.never, "run")));
                }
                if c.signal == Signal::Earlyoom && r.earlyoom_term + r.earlyoom_kill > 0 {
                    notes.push(format!(
                        "first action SIGTERM in {}, SIGKILL in {}",
                        plural(r.earlyoom_term, "run"),
                        plural(r.earlyoom_kill, "run")
                    ));
                }
                // The rate's own cells only on its first row.
                let first = |cell: String| if i == 0 { cell } else { String::new() };
                rows.push(vec![
                    first(r.rate.to_string()),
                    first(r.runs.to_string()),
                    first(n_ms(r.reached_median_mibs)),
                    signal_name(c.signal),
                    units::fraction(c.covered, c.runs),
                    n_ms(c.median_lead_ms),
                    n_ms(c.min_lead_ms),
                    notes.join("; "),
                ]);
            }
        }
        table(
            out,
            &[
                "Rate (MiB/s)",
                "Runs",
                "Reached (MiB/s)",
                "Signal",
                "Coverage",
                "Median lead (ms)",
                "Min lead (ms)",
                "Notes",
            ],
            &rows,
        );
        push_missing_rates(out, &self.missing_rates);
    }

    fn json(&self) -> Value {
        let runs: Vec<Value> = self
            .runs
            .iter()
            .map(|r| {
                let mut m = Map::new();
                m.insert("line".to_string(), json!(r.line));
                m.insert("rate".to_string(), rate_json(r.rate));
                m.insert("run".to_string(), json!(r.run));
                m.insert("reached_mibs".to_string(), json!(r.reached_mibs));
                for sig in Signal::ALL {
                    m.insert(sig.key().to_string(), json!(r.lead(sig)));
                }
                m.insert(
                    "earlyoom_sig".to_string(),
                    json!(r.earlyoom_sig.map(|k| k.name())),
                );
                for l in Level::ALL {
                    m.insert(l.delay_key(), json!(r.delay(l)));
                }
                for l in Level::ALL {
                    m.insert(l.kdelay_key(), json!(r.kdelay(l)));
                }
                Value::Object(m)
            })
            .collect();
        let summary: Vec<Value> = self
            .rates
            .iter()
            .map(|r| {
                let signals: Map<String, Value> = r
                    .signals
                    .iter()
                    .map(|c| {
                        let pct = (c.runs > 0).then(|| c.covered as f64 * 100.0 / c.runs as f64);
                        let v = json!({
                            "ours": c.signal.is_ours(),
                            "runs": c.runs,
                            "covered": c.covered,
                            "coverage_pct": pct,
                            "late": c.late,
                            "never": c.never,
                            "median_lead_ms": c.median_lead_ms,
                            "min_lead_ms": c.min_lead_ms,
                        });
                        (c.signal.key().to_string(), v)
                    })
                    .collect();
                let c = &r.vs_earlyoom;
                let per_run: Vec<Value> = c
                    .per_run
                    .iter()
                    .map(|&(run, x)| json!({"run": run, "ratio": units::round2(x)}))
                    .collect();
                json!({
                    "rate": rate_json(r.rate),
                    "runs": r.runs,
                    "reached_median_mibs": r.reached_median_mibs,
                    "signals": signals,
                    "earlyoom_first_action": {"TERM": r.earlyoom_term, "KILL": r.earlyoom_kill},
                    "ratio_medium_over_earlyoom": c.ratio.map(units::round2),
                    "per_run_ratios": per_run,
                    "per_run_ratio_median": c.per_run_median.map(units::round2),
                    "per_run_ratio_min": c.per_run_min.map(units::round2),
                    "earlyoom_first_runs": c.earlyoom_first,
                    "misses_medium": c.misses_medium,
                    "misses_critical": c.misses_critical,
                    "earlyoom_misses": c.earlyoom_misses,
                    "earlyoom_skipped_term": c.earlyoom_skipped_term,
                })
            })
            .collect();
        json!({
            "runs": runs,
            "summary": summary,
            "missing_rates": self.missing_rates.iter().map(|&r| rate_json(r)).collect::<Vec<Value>>(),
            "expected_runs_per_rate": self.expected_runs,
            "goal_ratio": GOAL_RATIO,
            "same_threshold": SAME_THRESHOLD,
        })
    }
}

/// The signal as its table row names it: ours marked, the judged ones in bold, earlyoom as
/// what `medium` is compared with.
fn signal_name(s: Signal) -> String {
    let name = match s {
        Signal::Psi1ms => "PSI 1 ms",
        Signal::Psi50ms => "PSI 50 ms",
        other => other.key(),
    };
    match s {
        Signal::Medium | Signal::Critical => format!("**{name}** (ours, judged)"),
        Signal::Earlyoom => format!("{name} (compared with medium)"),
        _ if s.is_ours() => format!("{name} (ours)"),
        _ => name.to_string(),
    }
}

/// `Not measured: 800 MiB/s, max.` for the expected rates without runs.
pub fn push_missing_rates(out: &mut String, missing: &[Rate]) {
    if !missing.is_empty() {
        let names: Vec<String> = missing.iter().map(|r| r.label()).collect();
        out.push_str(&format!("Not measured: {}.\n\n", names.join(", ")));
    }
}

/// A rate as in the input: a number of MiB/s, or `"max"`.
pub fn rate_json(r: Rate) -> Value {
    match r {
        Rate::MibS(n) => json!(n),
        Rate::Max => json!("max"),
    }
}

#[cfg(test)]
pub mod tests;
