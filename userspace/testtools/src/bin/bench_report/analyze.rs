//! From parsed records to per-id summaries and verdicts. Pure: no I/O, no formatting beyond the
//! verdicts' short explanations.

use crate::parse::{
    BenchData, Id, KillSig, Level, Mode, P1Done, P1Lines, P2Run, P4Storm, P5Run, P6Sample, P7Mem,
    P8Burst, P9Ci, Phase, Rate, Reader, Signal, EXPECTED_RATES,
};
use crate::stats::{max_f64, median_f64, min_f64, nearest_rank};
use crate::units::{self, ABSENT};
use std::collections::BTreeMap;

/// P1: the p50 target in ns.
pub const P1_P50_MAX_NS: u64 = 100_000;
/// P1: the p99 target in ns.
pub const P1_P99_MAX_NS: u64 = 1_000_000;
/// P3: the detection-delay target in ms.
pub const P3_MAX_MS: f64 = 10.0;
/// P4: the callback-cost target in ns.
pub const P4_MAX_NS: u64 = 20_000;
/// P4: the rounds needed to judge the max.
pub const P4_MIN_ROUNDS: u64 = 100;
/// P6: the quiet CPU target in percent of one CPU.
pub const P6_QUIET_CPU_PCT: f64 = 0.1;
/// P6: the quiet monitor wake-up target per second.
pub const P6_QUIET_WAKEUPS: f64 = 1.0;
/// P8: the reader counts every burst set should cover.
pub const P8_EXPECTED_READERS: [u32; 2] = [1, 8];
/// P9: the fresh-clone target in seconds.
pub const P9_FRESH_MAX_S: f64 = 25.0 * 60.0;
/// P9: the warm target in seconds.
pub const P9_WARM_MAX_S: f64 = 3.0 * 60.0;

/// The label of the input that holds host measurements.
pub const HOST: &str = "host";

/// Whether a target was met.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Met,
    Missed,
    /// Met as far as measured, but part of the measurement is missing.
    Incomplete,
    NotMeasured,
}

impl Status {
    /// The status as the report writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Met => "met",
            Status::Missed => "missed",
            Status::Incomplete => "incomplete",
            Status::NotMeasured => "not measured",
        }
    }
}

/// A status with an explanation: by how much a target was missed, or what was not measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub status: Status,
    pub detail: Option<String>,
}

impl Verdict {
    fn new(status: Status, detail: impl Into<String>) -> Self {
        Self {
            status,
            detail: Some(detail.into()),
        }
    }

    fn met() -> Self {
        Self {
            status: Status::Met,
            detail: None,
        }
    }

    fn not_measured(detail: impl Into<String>) -> Self {
        Self::new(Status::NotMeasured, detail)
    }

    /// Missed if anything was missed, else incomplete if anything was not measured, else met.
    fn from_parts(missed: Vec<String>, unmeasured: Vec<String>) -> Self {
        if !missed.is_empty() {
            Self::new(Status::Missed, [missed, unmeasured].concat().join("; "))
        } else if !unmeasured.is_empty() {
            Self::new(Status::Incomplete, unmeasured.join("; "))
        } else {
            Self::met()
        }
    }
}

/// `value`'s ratio to `target`, formatted: `1.8× the 1 ms target`.
fn times_target(value: f64, target: f64, target_text: &str) -> String {
    format!("{} the {target_text} target", units::ratio(value / target))
}

/// P1: one reader's kernel → reader latencies, in ns.
#[derive(Debug, Clone, PartialEq)]
pub struct P1Reader {
    pub reader: Reader,
    /// The raw samples in input order.
    pub samples_ns: Vec<u64>,
    pub percentiles: Option<P1Percentiles>,
    pub done: Option<P1Done>,
}

/// Nearest-rank percentiles of the P1 samples, in ns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct P1Percentiles {
    pub n: usize,
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub max: u64,
}

impl P1Reader {
    fn new(reader: Reader, lines: &P1Lines) -> Self {
        let mut sorted = lines.samples_ns.clone();
        sorted.sort_unstable();
        let pct = |p| nearest_rank(&sorted, p);
        let percentiles = match (pct(50), pct(90), pct(99), sorted.last()) {
            (Some(p50), Some(p90), Some(p99), Some(&max)) => Some(P1Percentiles {
                n: sorted.len(),
                p50,
                p90,
                p99,
                max,
            }),
            _ => None,
        };
        Self {
            reader,
            samples_ns: lines.samples_ns.clone(),
            percentiles,
            done: lines.done,
        }
    }

    /// `p50 40.0 µs, p99 1.5 ms (n = 10)`, with `, N lost` if the reader lost records.
    fn headline(&self) -> String {
        let Some(p) = self.percentiles else {
            return "no samples".to_string();
        };
        let mut s = format!(
            "p50 {}, p99 {} (n = {})",
            units::dur_ns(p.p50 as f64),
            units::dur_ns(p.p99 as f64),
            units::int(p.n as u64)
        );
        if let Some(lost @ 1..) = self.done.and_then(|d| d.lost) {
            s.push_str(&format!(", {} lost", units::int(lost)));
        }
        s
    }
}

/// P1: kernel → reader latency of the two readers that follow the same runs.
#[derive(Debug, Clone, PartialEq)]
pub struct P1Summary {
    /// The readers that have lines, in `Reader::ALL` order (the judged normal one first).
    pub readers: Vec<P1Reader>,
}

impl P1Summary {
    fn new(d: &BenchData) -> Self {
        Self {
            readers: Reader::ALL
                .iter()
                .filter(|&&r| d.p1(r).is_present())
                .map(|&r| P1Reader::new(r, d.p1(r)))
                .collect(),
        }
    }

    /// One reader's figures, if it has lines.
    pub fn reader(&self, r: Reader) -> Option<&P1Reader> {
        self.readers.iter().find(|x| x.reader == r)
    }

    /// Judged on the normal reader alone: the default configuration.
    fn verdict(&self) -> Verdict {
        let Some(p) = self.reader(Reader::Normal).and_then(|r| r.percentiles) else {
            return Verdict::not_measured("no latency samples from the default (normal) reader");
        };
        let mut missed = Vec::new();
        if p.p50 > P1_P50_MAX_NS {
            missed.push(format!(
                "p50 {}, {}",
                units::dur_ns(p.p50 as f64),
                times_target(p.p50 as f64, P1_P50_MAX_NS as f64, "100 µs")
            ));
        }
        if p.p99 > P1_P99_MAX_NS {
            missed.push(format!(
                "p99 {}, {}",
                units::dur_ns(p.p99 as f64),
                times_target(p.p99 as f64, P1_P99_MAX_NS as f64, "1 ms")
            ));
        }
        Verdict::from_parts(missed, Vec::new())
    }

    /// `default p50 …, p99 … (n = …); --rt-priority 1: p50 …`: the default reader always
    /// (`no samples` if it has none), the rt one if it has lines.
    fn headline(&self) -> String {
        let mut s = match self.reader(Reader::Normal) {
            Some(r) if r.percentiles.is_some() => {
                format!("{} {}", Reader::Normal.settings(), r.headline())
            }
            _ => format!("{}: no samples", Reader::Normal.settings()),
        };
        if let Some(rt) = self.reader(Reader::Rt) {
            s.push_str(&format!("; {}: {}", Reader::Rt.settings(), rt.headline()));
        }
        s
    }
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
}

impl RateSummary {
    /// The coverage of one signal.
    pub fn coverage(&self, s: Signal) -> Option<&Coverage> {
        self.signals.iter().find(|c| c.signal == s)
    }
}

/// Groups P2 runs by rate, rates ascending (`max` last).
fn by_rate(runs: &[P2Run]) -> BTreeMap<Rate, Vec<&P2Run>> {
    let mut m: BTreeMap<Rate, Vec<&P2Run>> = BTreeMap::new();
    for r in runs {
        m.entry(r.rate).or_default().push(r);
    }
    m
}

/// The expected rates without runs, as text: `rates 800 MiB/s, max not measured`.
fn missing_rates_text(missing: &[Rate]) -> Option<String> {
    let names: Vec<String> = missing.iter().map(|r| r.label()).collect();
    match names.len() {
        0 => None,
        1 => Some(format!("rate {} not measured", names.join(""))),
        _ => Some(format!("rates {} not measured", names.join(", "))),
    }
}

fn missing_rates(present: &BTreeMap<Rate, Vec<&P2Run>>) -> Vec<Rate> {
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
    fn new(d: &BenchData) -> Self {
        let groups = by_rate(&d.p2);
        let rates = groups
            .iter()
            .map(|(&rate, runs)| RateSummary {
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
            })
            .collect();
        Self {
            runs: d.p2.clone(),
            missing_rates: missing_rates(&groups),
            rates,
            expected_runs: d
                .meta
                .iter()
                .find(|(k, _)| k == "runs")
                .and_then(|(_, v)| v.parse().ok()),
        }
    }

    /// Critical's covered runs and total runs over all rates.
    fn critical_total(&self) -> (usize, usize) {
        self.rates
            .iter()
            .filter_map(|r| r.coverage(Signal::Critical))
            .fold((0, 0), |(k, n), c| (k + c.covered, n + c.runs))
    }

    fn verdict(&self) -> Verdict {
        if self.runs.is_empty() {
            return Verdict::not_measured("no runs");
        }
        let mut missed = Vec::new();
        for r in &self.rates {
            let Some(c) = r.coverage(Signal::Critical) else {
                continue;
            };
            if c.covered < c.runs {
                let short = c.runs - c.covered;
                missed.push(format!(
                    "critical {} at {}: {short} run{} without a lead",
                    units::fraction(c.covered, c.runs),
                    r.rate.label(),
                    if short == 1 { "" } else { "s" }
                ));
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
        Verdict::from_parts(missed, unmeasured)
    }

    fn headline(&self) -> String {
        let (k, n) = self.critical_total();
        let mut s = format!("critical {}", units::fraction(k, n));
        let worst = self
            .rates
            .iter()
            .filter_map(|r| r.coverage(Signal::Critical).map(|c| (r.rate, c)))
            .filter(|(_, c)| c.covered < c.runs)
            .min_by(|(_, a), (_, b)| {
                (a.covered as f64 / a.runs as f64).total_cmp(&(b.covered as f64 / b.runs as f64))
            });
        match worst {
            Some((rate, c)) => s.push_str(&format!(
                "; worst {}: {}",
                rate.label(),
                units::fraction(c.covered, c.runs)
            )),
            None => s.push_str(&format!(
                " at {} rate{}",
                self.rates.len(),
                if self.rates.len() == 1 { "" } else { "s" }
            )),
        }
        s
    }
}

/// P3: the two measures of the detection delay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DelayMeasure {
    /// The `*_delay` keys: the crossing moment from the hog's own accounting of the pages it
    /// touched.
    HogAccounting,
    /// The optional `*_kdelay` keys: the crossing moment from the kernel's own count
    /// (MemAvailable, read by the hog after every 64 KiB step).
    KernelCount,
}

impl DelayMeasure {
    /// The measure, for prose: `hog accounting`, `kernel count`.
    pub fn name(self) -> &'static str {
        match self {
            DelayMeasure::HogAccounting => "hog accounting",
            DelayMeasure::KernelCount => "kernel count",
        }
    }

    /// The measure as a JSON key.
    pub fn key(self) -> &'static str {
        match self {
            DelayMeasure::HogAccounting => "hog_accounting",
            DelayMeasure::KernelCount => "kernel_count",
        }
    }
}

/// P3: detection delay of one level at one rate by one measure, in ms.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DelayStats {
    pub level: Level,
    pub n: usize,
    pub median_ms: Option<f64>,
    pub max_ms: Option<f64>,
}

impl DelayStats {
    fn new(level: Level, runs: &[&P2Run], get: impl Fn(&P2Run, Level) -> Option<f64>) -> Self {
        let v: Vec<f64> = runs.iter().filter_map(|r| get(r, level)).collect();
        Self {
            level,
            n: v.len(),
            median_ms: median_f64(v.iter().copied()),
            max_ms: max_f64(v.iter().copied()),
        }
    }
}

/// P3: the detection delays at one rate, in `Level::ALL` order.
#[derive(Debug, Clone, PartialEq)]
pub struct RateDelays {
    pub rate: Rate,
    pub runs: usize,
    /// By the hog's accounting (`*_delay`).
    pub levels: Vec<DelayStats>,
    /// By the kernel's count (`*_kdelay`).
    pub kernel_levels: Vec<DelayStats>,
}

impl RateDelays {
    /// The stats of one measure.
    pub fn by(&self, m: DelayMeasure) -> &[DelayStats] {
        match m {
            DelayMeasure::HogAccounting => &self.levels,
            DelayMeasure::KernelCount => &self.kernel_levels,
        }
    }
}

/// P3: detection delay of our levels, per rate, by both measures.
#[derive(Debug, Clone, PartialEq)]
pub struct P3Summary {
    pub rates: Vec<RateDelays>,
    pub missing_rates: Vec<Rate>,
    /// The measure the verdict judges: the kernel count if any `*_kdelay` value is known, else
    /// the hog accounting.
    pub judged: DelayMeasure,
}

impl P3Summary {
    fn new(d: &BenchData) -> Self {
        let groups = by_rate(&d.p2);
        let rates: Vec<RateDelays> = groups
            .iter()
            .map(|(&rate, runs)| RateDelays {
                rate,
                runs: runs.len(),
                levels: Level::ALL
                    .iter()
                    .map(|&l| DelayStats::new(l, runs, P2Run::delay))
                    .collect(),
                kernel_levels: Level::ALL
                    .iter()
                    .map(|&l| DelayStats::new(l, runs, P2Run::kdelay))
                    .collect(),
            })
            .collect();
        let any_kernel = rates
            .iter()
            .any(|r| r.kernel_levels.iter().any(|l| l.n > 0));
        Self {
            rates,
            missing_rates: missing_rates(&groups),
            judged: if any_kernel {
                DelayMeasure::KernelCount
            } else {
                DelayMeasure::HogAccounting
            },
        }
    }

    fn cells(&self, m: DelayMeasure) -> impl Iterator<Item = (Rate, &DelayStats)> {
        self.rates
            .iter()
            .flat_map(move |r| r.by(m).iter().map(move |l| (r.rate, l)))
    }

    /// The cell with the largest max by one measure: its rate, level stats and max.
    fn worst(&self, m: DelayMeasure) -> Option<(Rate, &DelayStats, f64)> {
        self.cells(m)
            .filter_map(|(rate, l)| l.max_ms.map(|x| (rate, l, x)))
            .max_by(|a, b| a.2.total_cmp(&b.2))
    }

    /// The largest of the per-cell medians by one measure.
    fn worst_median(&self, m: DelayMeasure) -> Option<f64> {
        max_f64(self.cells(m).filter_map(|(_, l)| l.median_ms))
    }

    fn verdict(&self) -> Verdict {
        let m = self.judged;
        let Some((rate, cell, max)) = self.worst(m) else {
            return Verdict::not_measured("no detection delay known");
        };
        let mut missed = Vec::new();
        if max > P3_MAX_MS {
            let over = self
                .cells(m)
                .filter(|(_, l)| l.max_ms.is_some_and(|x| x > P3_MAX_MS))
                .count();
            let mut s = format!(
                "max {} ({} at {}, median there {}), {}",
                units::ms(max),
                cell.level.name(),
                rate.label(),
                units::opt(cell.median_ms, units::ms),
                times_target(max, P3_MAX_MS, "10 ms")
            );
            if over > 1 {
                s.push_str(&format!(
                    "; {over} of {} rate × level cells over the target",
                    self.cells(m).count()
                ));
            }
            missed.push(s);
        }
        let mut unmeasured: Vec<String> = missing_rates_text(&self.missing_rates)
            .into_iter()
            .collect();
        for (rate, l) in self.cells(m) {
            if l.n == 0 {
                unmeasured.push(format!(
                    "{} delay unknown at {}",
                    l.level.name(),
                    rate.label()
                ));
            }
        }
        let mut v = Verdict::from_parts(missed, unmeasured);
        let judged = format!("judged on the {}", m.name());
        v.detail = Some(match v.detail {
            Some(d) => format!("{judged}: {d}"),
            None => judged,
        });
        v
    }

    /// `max 4.0 ms, medians ≤ 3.0 ms` by one measure, if it has any value.
    fn figures(&self, m: DelayMeasure) -> Option<String> {
        match (self.worst(m), self.worst_median(m)) {
            (Some((_, _, max)), Some(med)) => Some(format!(
                "max {}, medians ≤ {}",
                units::ms(max),
                units::ms(med)
            )),
            _ => None,
        }
    }

    fn headline(&self) -> String {
        let part = |m: DelayMeasure| {
            let short = match m {
                DelayMeasure::HogAccounting => "hog",
                DelayMeasure::KernelCount => "kernel",
            };
            match self.figures(m) {
                Some(f) if m == self.judged => format!("{short} {f} (judged)"),
                Some(f) => format!("{short} {f}"),
                None => format!("{short} {ABSENT}"),
            }
        };
        if self.figures(self.judged).is_none() {
            return "no delay known".to_string();
        }
        let other = match self.judged {
            DelayMeasure::KernelCount => DelayMeasure::HogAccounting,
            DelayMeasure::HogAccounting => DelayMeasure::KernelCount,
        };
        format!("{}; {}", part(self.judged), part(other))
    }
}

/// P4: OOM callback cost over the storms.
#[derive(Debug, Clone, PartialEq)]
pub struct P4Summary {
    pub storms: Vec<P4Storm>,
    pub total_rounds: u64,
    pub max_ns: Option<u64>,
    /// Mean weighted by rounds, over the storms with both rounds and avg_ns.
    pub mean_ns: Option<f64>,
}

impl P4Summary {
    fn new(d: &BenchData) -> Self {
        let mut storms = d.p4.clone();
        storms.sort_by_key(|s| s.storm);
        let total_rounds = storms.iter().filter_map(|s| s.rounds).sum();
        let weighted: Vec<(f64, f64)> = storms
            .iter()
            .filter_map(|s| Some((s.rounds? as f64, s.avg_ns? as f64)))
            .collect();
        let weight: f64 = weighted.iter().map(|(r, _)| r).sum();
        let mean_ns =
            (weight > 0.0).then(|| weighted.iter().map(|(r, a)| r * a).sum::<f64>() / weight);
        Self {
            max_ns: storms.iter().filter_map(|s| s.max_ns).max(),
            storms,
            total_rounds,
            mean_ns,
        }
    }

    fn verdict(&self) -> Verdict {
        let Some(max) = self.max_ns else {
            return Verdict::not_measured("no callback max");
        };
        let mut missed = Vec::new();
        if max > P4_MAX_NS {
            missed.push(format!(
                "max {}, {}",
                units::dur_ns(max as f64),
                times_target(max as f64, P4_MAX_NS as f64, "20 µs")
            ));
        }
        if self.total_rounds < P4_MIN_ROUNDS {
            missed.push(format!(
                "{} rounds, {} short of the {P4_MIN_ROUNDS} needed",
                self.total_rounds,
                P4_MIN_ROUNDS - self.total_rounds
            ));
        }
        Verdict::from_parts(missed, Vec::new())
    }

    fn headline(&self) -> String {
        format!(
            "max {}, mean {} over {} rounds",
            units::opt(self.max_ns, |n| units::us(n as f64)),
            units::opt(self.mean_ns, units::us),
            units::int(self.total_rounds)
        )
    }
}

/// P5: the totals of one mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModeTotals {
    pub mode: Mode,
    pub lines: usize,
    pub spikes: Option<u64>,
    pub kills: Option<u64>,
    pub averts: Option<u64>,
}

/// P5: kills with and without the avert.
#[derive(Debug, Clone, PartialEq)]
pub struct P5Summary {
    pub runs: Vec<P5Run>,
    pub avert: Option<ModeTotals>,
    pub observe: Option<ModeTotals>,
}

impl P5Summary {
    fn new(d: &BenchData) -> Self {
        let totals = |mode: Mode| {
            let runs: Vec<&P5Run> = d.p5.iter().filter(|r| r.mode == mode).collect();
            let sum = |f: fn(&P5Run) -> Option<u64>| {
                runs.iter()
                    .try_fold(0u64, |acc, r| f(r).map(|v| acc.saturating_add(v)))
            };
            (!runs.is_empty()).then(|| ModeTotals {
                mode,
                lines: runs.len(),
                spikes: sum(|r| r.spikes),
                kills: sum(|r| r.kills),
                averts: sum(|r| r.averts),
            })
        };
        Self {
            runs: d.p5.clone(),
            avert: totals(Mode::Avert),
            observe: totals(Mode::Observe),
        }
    }

    fn verdict(&self) -> Verdict {
        let mut missed = Vec::new();
        let mut unmeasured = Vec::new();
        match self.avert.and_then(|t| t.kills.map(|k| (k, t.spikes))) {
            Some((0, _)) => {}
            Some((k, spikes)) => missed.push(format!(
                "avert: {k} kill{} in {} spikes (target 0)",
                if k == 1 { "" } else { "s" },
                units::opt(spikes, |s| s.to_string())
            )),
            None => unmeasured.push("avert kills not measured".to_string()),
        }
        match self.observe.and_then(|t| t.kills.zip(t.spikes)) {
            Some((k, s)) if k == s => {}
            Some((k, s)) => missed.push(format!(
                "observe: {k} kills in {s} spikes (expected {s}: the scenario did not reproduce the kill{})",
                if k < s { " every time" } else { "s one per spike" }
            )),
            None => unmeasured.push("observe kills or spikes not measured".to_string()),
        }
        if self.avert.is_none() && self.observe.is_none() {
            return Verdict::not_measured("no spike scenario");
        }
        Verdict::from_parts(missed, unmeasured)
    }

    fn headline(&self) -> String {
        let part = |t: Option<ModeTotals>, name: &str| match t {
            Some(t) => format!(
                "{name} {} kills / {} spikes",
                units::opt(t.kills, |k| k.to_string()),
                units::opt(t.spikes, |s| s.to_string())
            ),
            None => format!("{name} not measured"),
        };
        format!(
            "{}; {}",
            part(self.avert, "avert"),
            part(self.observe, "observe")
        )
    }
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
    fn new(d: &BenchData) -> Self {
        let rows: Vec<P6Row> = d.p6.iter().map(P6Row::new).collect();
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
        Self { rows, phases }
    }

    /// The summary of one phase.
    pub fn phase(&self, p: Phase) -> Option<&PhaseSummary> {
        self.phases.iter().find(|s| s.phase == p)
    }

    fn verdict(&self) -> Verdict {
        let Some(q) = self.phase(Phase::Quiet) else {
            return Verdict::not_measured("no quiet phase");
        };
        let mut missed = Vec::new();
        let mut unmeasured = Vec::new();
        match q.cpu_pct {
            Some(c) if c > P6_QUIET_CPU_PCT => missed.push(format!(
                "quiet {} of one CPU, {}",
                units::cpu_pct(c),
                times_target(c, P6_QUIET_CPU_PCT, "0.1 %")
            )),
            Some(_) => {}
            None => unmeasured.push("quiet CPU not measured".to_string()),
        }
        match q.wakeups_per_s {
            Some(w) if w > P6_QUIET_WAKEUPS => missed.push(format!(
                "quiet {} wake-ups/s, {}",
                units::dec2(w),
                times_target(w, P6_QUIET_WAKEUPS, "1/s")
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
}

/// P7: reader vs earlyoom memory.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct P7Summary {
    pub mem: P7Mem,
    /// Reader VmRSS / earlyoom VmRSS.
    pub rss_ratio: Option<f64>,
}

impl P7Summary {
    fn new(m: P7Mem) -> Self {
        let rss_ratio = m
            .reader_rss_kib
            .zip(m.earlyoom_rss_kib)
            .filter(|&(r, e)| r > 0 && e > 0)
            .map(|(r, e)| r as f64 / e as f64);
        Self { mem: m, rss_ratio }
    }

    fn verdict(&self) -> Verdict {
        // A live process always has resident pages: a VmRSS of 0 means it was never sampled.
        match (self.mem.reader_rss_kib, self.mem.earlyoom_rss_kib) {
            (None, _) => Verdict::not_measured("reader VmRSS not measured"),
            (_, None) => Verdict::not_measured("earlyoom VmRSS not measured"),
            (Some(0), _) => Verdict::not_measured("reader VmRSS is 0 KiB: not sampled"),
            (_, Some(0)) => Verdict::not_measured("earlyoom VmRSS is 0 KiB: not sampled"),
            (Some(r), Some(e)) if r <= e => Verdict::met(),
            (Some(r), Some(e)) => Verdict::new(
                Status::Missed,
                format!(
                    "reader {} KiB, {} earlyoom's {} KiB",
                    units::int(r),
                    units::opt(self.rss_ratio, units::ratio),
                    units::int(e)
                ),
            ),
        }
    }

    fn headline(&self) -> String {
        format!(
            "reader {} vs earlyoom {} VmRSS",
            units::opt(self.mem.reader_rss_kib, |k| format!(
                "{} KiB",
                units::int(k)
            )),
            units::opt(self.mem.earlyoom_rss_kib, |k| format!(
                "{} KiB",
                units::int(k)
            ))
        )
    }
}

/// P8: one burst with its rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct P8Row {
    pub burst: P8Burst,
    /// events / span, per second.
    pub events_per_s: Option<f64>,
}

/// P8: event throughput.
#[derive(Debug, Clone, PartialEq)]
pub struct P8Summary {
    pub rows: Vec<P8Row>,
}

impl P8Summary {
    fn new(d: &BenchData) -> Self {
        let mut rows: Vec<P8Row> =
            d.p8.iter()
                .map(|b| P8Row {
                    burst: *b,
                    events_per_s: b
                        .events
                        .zip(b.span_ms.filter(|&s| s > 0.0))
                        .map(|(e, s)| e as f64 / (s / 1e3)),
                })
                .collect();
        rows.sort_by_key(|r| (r.burst.readers, r.burst.line));
        Self { rows }
    }

    fn verdict(&self) -> Verdict {
        let mut missed = Vec::new();
        let mut unmeasured = Vec::new();
        for r in &self.rows {
            let b = &r.burst;
            match b.lost {
                Some(0) => {}
                Some(lost) => missed.push(format!(
                    "readers={}: lost {} of {} events",
                    b.readers,
                    units::int(lost),
                    units::opt(b.events, units::int)
                )),
                None => unmeasured.push(format!("readers={}: loss not measured", b.readers)),
            }
        }
        for n in P8_EXPECTED_READERS {
            if !self.rows.iter().any(|r| r.burst.readers == n) {
                unmeasured.push(format!("readers={n} not measured"));
            }
        }
        Verdict::from_parts(missed, unmeasured)
    }

    fn headline(&self) -> String {
        let mut readers: Vec<u32> = self.rows.iter().map(|r| r.burst.readers).collect();
        readers.dedup();
        let parts: Vec<String> = readers
            .iter()
            .map(|&n| {
                let rows: Vec<&P8Row> = self.rows.iter().filter(|r| r.burst.readers == n).collect();
                let mut s = format!(
                    "{n} reader{}: {} events/s",
                    if n == 1 { "" } else { "s" },
                    units::opt(
                        median_f64(rows.iter().filter_map(|r| r.events_per_s)),
                        units::per_s
                    )
                );
                if rows.len() > 1 {
                    s.push_str(&format!(" (median of {})", rows.len()));
                }
                s
            })
            .collect();
        let lost: Option<u64> = self
            .rows
            .iter()
            .try_fold(0u64, |acc, r| r.burst.lost.map(|l| acc.saturating_add(l)));
        format!(
            "{}; lost {}",
            parts.join("; "),
            units::opt(lost, units::int)
        )
    }
}

/// P9: CI times. `fresh_test_s` is the whole wall time of a fresh `make test`, its set-up
/// included; `fresh_setup_s` is only the set-up's part of it. Fresh is judged on
/// `fresh_test_s` alone.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct P9Summary {
    pub ci: P9Ci,
}

impl P9Summary {
    fn new(ci: P9Ci) -> Self {
        Self { ci }
    }

    /// Whether the set-up is said to take longer than the whole run that includes it.
    pub fn setup_exceeds_total(&self) -> bool {
        self.ci
            .fresh_setup_s
            .zip(self.ci.fresh_test_s)
            .is_some_and(|(s, t)| s > t)
    }

    fn verdict(&self) -> Verdict {
        let mut missed = Vec::new();
        let mut unmeasured = Vec::new();
        match self.ci.fresh_test_s {
            Some(f) if f > P9_FRESH_MAX_S => missed.push(format!(
                "fresh {}, {}",
                units::minutes(f),
                times_target(f, P9_FRESH_MAX_S, "25 min")
            )),
            Some(_) => {}
            None => unmeasured.push("fresh time not measured".to_string()),
        }
        match self.ci.warm_test_s {
            Some(w) if w > P9_WARM_MAX_S => missed.push(format!(
                "warm {}, {}",
                units::minutes(w),
                times_target(w, P9_WARM_MAX_S, "3 min")
            )),
            Some(_) => {}
            None => unmeasured.push("warm time not measured".to_string()),
        }
        if self.ci.fresh_test_s.is_none() && self.ci.warm_test_s.is_none() {
            return Verdict::not_measured("no CI time");
        }
        Verdict::from_parts(missed, unmeasured)
    }

    fn headline(&self) -> String {
        let mut s = format!("fresh {}", units::opt(self.ci.fresh_test_s, units::minutes));
        if let Some(setup) = self.ci.fresh_setup_s {
            s.push_str(&format!(" (of which set-up {})", units::minutes(setup)));
        }
        s.push_str(&format!(
            ", warm {}",
            units::opt(self.ci.warm_test_s, units::minutes)
        ));
        s
    }
}

/// The summary of one id for one input.
#[derive(Debug, Clone, PartialEq)]
pub enum Summary {
    P1(P1Summary),
    P2(P2Summary),
    P3(P3Summary),
    P4(P4Summary),
    P5(P5Summary),
    P6(P6Summary),
    P7(P7Summary),
    P8(P8Summary),
    P9(P9Summary),
}

impl Summary {
    /// Summarizes one id of an input; `None` when the input has no line for it.
    pub fn new(id: Id, d: &BenchData) -> Option<Summary> {
        if !d.has(id) {
            return None;
        }
        Some(match id {
            Id::P1 => Summary::P1(P1Summary::new(d)),
            Id::P2 => Summary::P2(P2Summary::new(d)),
            Id::P3 => Summary::P3(P3Summary::new(d)),
            Id::P4 => Summary::P4(P4Summary::new(d)),
            Id::P5 => Summary::P5(P5Summary::new(d)),
            Id::P6 => Summary::P6(P6Summary::new(d)),
            Id::P7 => Summary::P7(P7Summary::new(d.p7?)),
            Id::P8 => Summary::P8(P8Summary::new(d)),
            Id::P9 => Summary::P9(P9Summary::new(d.p9?)),
        })
    }

    /// Whether the target was met, with the reason if not.
    pub fn verdict(&self) -> Verdict {
        match self {
            Summary::P1(s) => s.verdict(),
            Summary::P2(s) => s.verdict(),
            Summary::P3(s) => s.verdict(),
            Summary::P4(s) => s.verdict(),
            Summary::P5(s) => s.verdict(),
            Summary::P6(s) => s.verdict(),
            Summary::P7(s) => s.verdict(),
            Summary::P8(s) => s.verdict(),
            Summary::P9(s) => s.verdict(),
        }
    }

    /// The result in a few words, for the summary table.
    pub fn headline(&self) -> String {
        match self {
            Summary::P1(s) => s.headline(),
            Summary::P2(s) => s.headline(),
            Summary::P3(s) => s.headline(),
            Summary::P4(s) => s.headline(),
            Summary::P5(s) => s.headline(),
            Summary::P6(s) => s.headline(),
            Summary::P7(s) => s.headline(),
            Summary::P8(s) => s.headline(),
            Summary::P9(s) => s.headline(),
        }
    }
}

/// One input file, summarized.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    pub label: String,
    pub path: String,
    pub data: BenchData,
    pub summaries: BTreeMap<Id, Summary>,
}

impl Analysis {
    /// Summarizes every id of one input.
    pub fn new(label: &str, path: &str, data: BenchData) -> Self {
        let summaries = Id::ALL
            .iter()
            .filter_map(|&id| Summary::new(id, &data).map(|s| (id, s)))
            .collect();
        Self {
            label: label.to_string(),
            path: path.to_string(),
            data,
            summaries,
        }
    }

    /// Whether this is the host input.
    pub fn is_host(&self) -> bool {
        self.label == HOST
    }

    /// Whether the id belongs in this input: guest ids in guest inputs, host ids in the host
    /// input, and anything the input actually has.
    pub fn in_scope(&self, id: Id) -> bool {
        self.summaries.contains_key(&id) || id.is_host_measure() == self.is_host()
    }

    /// This input's verdict for the id; `None` if the id is out of its scope.
    pub fn verdict(&self, id: Id) -> Option<Verdict> {
        if !self.in_scope(id) {
            return None;
        }
        Some(match self.summaries.get(&id) {
            Some(s) => s.verdict(),
            None => Verdict::not_measured(format!("no {} lines", source_id(id))),
        })
    }
}

/// The id whose lines an id's figures come from.
pub fn source_id(id: Id) -> Id {
    if id == Id::P3 {
        Id::P2
    } else {
        id
    }
}

/// The verdict over every input in whose scope the id is.
pub fn overall(inputs: &[Analysis], id: Id) -> Verdict {
    let verdicts: Vec<(&str, Verdict)> = inputs
        .iter()
        .filter_map(|a| a.verdict(id).map(|v| (a.label.as_str(), v)))
        .collect();
    if verdicts.is_empty() {
        return Verdict::not_measured(if id.is_host_measure() {
            "no host input"
        } else {
            "no guest input"
        });
    }
    let all = |s: Status| verdicts.iter().all(|(_, v)| v.status == s);
    let status = if verdicts.iter().any(|(_, v)| v.status == Status::Missed) {
        Status::Missed
    } else if all(Status::Met) {
        Status::Met
    } else if all(Status::NotMeasured) {
        Status::NotMeasured
    } else {
        Status::Incomplete
    };
    // A met verdict is listed only when it says something (P3: which measure was judged).
    let details: Vec<String> = verdicts
        .iter()
        .filter(|(_, v)| v.status != Status::Met || v.detail.is_some())
        .map(|(label, v)| match (v.status, &v.detail) {
            (Status::NotMeasured, _) => format!("{label} not measured"),
            (Status::Met, Some(d)) => format!("{label}: met, {d}"),
            (_, Some(d)) => format!("{label}: {d}"),
            (s, None) => format!("{label}: {}", s.as_str()),
        })
        .collect();
    Verdict {
        status,
        // When nothing was measured, listing every input as not measured says nothing more.
        detail: (status != Status::NotMeasured && !details.is_empty()).then(|| details.join("; ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse;

    fn p2(rate: &str, run: u32, critical: &str, delay: &str) -> String {
        format!(
            "bench: P2 rate={rate} run={run} reached_mibs=40 low=900 medium=400 critical={critical} \
             reclaim=- earlyoom=-5 earlyoom_sig=KILL psi_1ms=300 psi_50ms=- \
             low_delay=1 medium_delay=2 critical_delay={delay}\n"
        )
    }

    fn all_rates(critical: &str) -> String {
        ["50", "200", "800", "max"]
            .iter()
            .flat_map(|r| [p2(r, 1, critical, "3"), p2(r, 2, "250", "4")])
            .collect()
    }

    fn analysis(text: &str) -> Analysis {
        Analysis::new("x86_64", "x.txt", parse(text).unwrap())
    }

    fn verdict(text: &str, id: Id) -> Verdict {
        analysis(text).verdict(id).unwrap()
    }

    #[test]
    fn p1_percentiles_and_targets() {
        let a = analysis(
            "bench: P1 lat_ns=12000,15000,20000,30000,40000\n\
             bench: P1 lat_ns=50000,60000,70000,80000,1800000\nbench: P1 done events=10 lost=1\n",
        );
        let Some(Summary::P1(s)) = a.summaries.get(&Id::P1) else {
            panic!()
        };
        // Lines without `reader=` are the normal reader's.
        assert_eq!(
            s.reader(Reader::Normal).unwrap().percentiles,
            Some(P1Percentiles {
                n: 10,
                p50: 40000,
                p90: 80000,
                p99: 1_800_000,
                max: 1_800_000
            })
        );
        let v = s.verdict();
        assert_eq!(v.status, Status::Missed);
        assert_eq!(
            v.detail.as_deref(),
            Some("p99 1.8 ms, 1.8× the 1 ms target")
        );
        assert_eq!(
            s.headline(),
            "default p50 40.0 µs, p99 1.8 ms (n = 10), 1 lost"
        );
        assert_eq!(s.readers.len(), 1);
        assert!(s.reader(Reader::Rt).is_none());
        let v = verdict("bench: P1 lat_ns=150000,900000\n", Id::P1);
        assert_eq!(
            v.detail.as_deref(),
            Some("p50 150.0 µs, 1.5× the 100 µs target")
        );
        assert_eq!(verdict("bench: P1 lat_ns=1\n", Id::P1), Verdict::met());
        assert_eq!(
            verdict("bench: P1 done events=0 lost=0\n", Id::P1).status,
            Status::NotMeasured
        );
    }

    #[test]
    fn p1_rt_reader_is_kept_apart_and_the_verdict_judges_normal() {
        // The default reader misses (p50 2 ms), the rt one would meet both targets.
        let text = "bench: P1 reader=normal lat_ns=2000000,2000000,3000000\n\
                    bench: P1 reader=rt lat_ns=20000,30000,900000\n\
                    bench: P1 done reader=normal events=3 lost=0\n\
                    bench: P1 done reader=rt events=3 lost=2\n";
        let a = analysis(text);
        let Some(Summary::P1(s)) = a.summaries.get(&Id::P1) else {
            panic!()
        };
        let rt = s.reader(Reader::Rt).unwrap();
        assert_eq!(rt.samples_ns, vec![20000, 30000, 900000]);
        assert_eq!(
            rt.percentiles.map(|p| (p.n, p.p50, p.p99)),
            Some((3, 30000, 900000))
        );
        assert_eq!(rt.done.unwrap().lost, Some(2));
        let normal = s.reader(Reader::Normal).unwrap();
        assert_eq!(normal.samples_ns, vec![2000000, 2000000, 3000000]);
        assert_eq!(s.readers[0].reader, Reader::Normal);
        let v = s.verdict();
        assert_eq!(v.status, Status::Missed);
        assert_eq!(
            v.detail.as_deref(),
            Some("p50 2.0 ms, 20.0× the 100 µs target; p99 3.0 ms, 3.0× the 1 ms target")
        );
        assert_eq!(
            s.headline(),
            "default p50 2.0 ms, p99 3.0 ms (n = 3); \
             --rt-priority 1: p50 30.0 µs, p99 900.0 µs (n = 3), 2 lost"
        );
        // The other way round: a fast default reader meets the targets whatever rt shows.
        let swapped = text
            .replace("reader=normal", "reader=x")
            .replace("reader=rt", "reader=normal")
            .replace("reader=x", "reader=rt");
        assert_eq!(verdict(&swapped, Id::P1), Verdict::met());
        // rt lines alone are measured, but the default reader is not.
        let a = analysis(
            "bench: P1 reader=rt lat_ns=1000
",
        );
        assert_eq!(
            a.verdict(Id::P1).unwrap(),
            Verdict::not_measured("no latency samples from the default (normal) reader")
        );
        assert_eq!(
            a.summaries[&Id::P1].headline(),
            "default: no samples; --rt-priority 1: p50 1.0 µs, p99 1.0 µs (n = 1)"
        );
    }

    #[test]
    fn p2_coverage_and_verdict() {
        let a = analysis(&all_rates("100"));
        let Some(Summary::P2(s)) = a.summaries.get(&Id::P2) else {
            panic!()
        };
        assert_eq!(s.rates.len(), 4);
        assert!(s.missing_rates.is_empty());
        let r = &s.rates[0];
        assert_eq!(
            (r.rate, r.runs, r.reached_median_mibs),
            (Rate::MibS(50), 2, Some(40.0))
        );
        let c = r.coverage(Signal::Critical).unwrap();
        assert_eq!(
            (c.covered, c.median_lead_ms, c.min_lead_ms),
            (2, Some(100.0), Some(100.0))
        );
        let e = r.coverage(Signal::Earlyoom).unwrap();
        assert_eq!((e.covered, e.late, e.never), (0, 2, 0));
        assert_eq!(
            (e.median_lead_ms, r.earlyoom_kill, r.earlyoom_term),
            (None, 2, 0)
        );
        assert_eq!(r.coverage(Signal::Psi50ms).unwrap().never, 2);
        assert_eq!(s.verdict(), Verdict::met());
        assert_eq!(s.headline(), "critical 8/8 (100 %) at 4 rates");

        // A lead of 0 or below, or none, is not covered.
        let text = all_rates("100")
            .replacen("critical=100", "critical=0", 1)
            .replacen(&p2("max", 1, "100", "3"), &p2("max", 1, "-", "3"), 1);
        let a = analysis(&text);
        let v = a.verdict(Id::P2).unwrap();
        assert_eq!(v.status, Status::Missed);
        assert_eq!(
            v.detail.as_deref(),
            Some(
                "critical 1/2 (50 %) at 50 MiB/s: 1 run without a lead; \
                 critical 1/2 (50 %) at max: 1 run without a lead"
            )
        );
        assert_eq!(
            a.summaries[&Id::P2].headline(),
            "critical 6/8 (75 %); worst 50 MiB/s: 1/2 (50 %)"
        );

        // Missing rates make a met verdict incomplete.
        let v = verdict(&(p2("50", 1, "9", "1") + &p2("200", 1, "9", "1")), Id::P2);
        assert_eq!(v.status, Status::Incomplete);
        assert_eq!(
            v.detail.as_deref(),
            Some("rates 800 MiB/s, max not measured")
        );

        // Fewer runs than `meta runs=` make it incomplete too.
        let text = format!("bench: meta runs=3\n{}", all_rates("100"));
        let v = verdict(&text, Id::P2);
        assert_eq!(v.status, Status::Incomplete);
        assert_eq!(
            v.detail.as_deref(),
            Some(
                "50 MiB/s: 2 of 3 runs reported; 200 MiB/s: 2 of 3 runs reported; \
                 800 MiB/s: 2 of 3 runs reported; max: 2 of 3 runs reported"
            )
        );
        assert_eq!(
            verdict(&format!("bench: meta runs=2\n{}", all_rates("100")), Id::P2),
            Verdict::met()
        );
    }

    #[test]
    fn p3_delays_judged_on_the_max() {
        let a = analysis(&all_rates("100"));
        let Some(Summary::P3(s)) = a.summaries.get(&Id::P3) else {
            panic!()
        };
        let c = s.rates[0].levels[2];
        assert_eq!(
            (c.level, c.n, c.median_ms, c.max_ms),
            (Level::Critical, 2, Some(3.0), Some(4.0))
        );
        assert_eq!(s.judged, DelayMeasure::HogAccounting);
        assert_eq!(s.rates[0].kernel_levels[2].n, 0);
        assert_eq!(
            s.verdict(),
            Verdict::new(Status::Met, "judged on the hog accounting")
        );
        assert_eq!(
            s.headline(),
            "hog max 4.0 ms, medians ≤ 3.0 ms (judged); kernel —"
        );

        let text =
            all_rates("100").replacen(&p2("800", 2, "250", "4"), &p2("800", 2, "250", "14.2"), 1);
        let v = verdict(&text, Id::P3);
        assert_eq!(v.status, Status::Missed);
        assert_eq!(
            v.detail.as_deref(),
            Some(
                "judged on the hog accounting: max 14.2 ms (critical at 800 MiB/s, median there \
                 3.0 ms), 1.4× the 10 ms target"
            )
        );
        let v = verdict(&p2("50", 1, "1", "-"), Id::P3);
        assert_eq!(v.status, Status::Incomplete);
        assert!(v
            .detail
            .unwrap()
            .contains("critical delay unknown at 50 MiB/s"));
    }

    #[test]
    fn p3_judged_on_the_kernel_count_when_present() {
        // Hog accounting over the target (a step of the kernel's count at every rate), the
        // kernel count well under it: judged on the kernel count, so met.
        let with_k = |line: String, k: &str| line.replace('\n', &format!(" {k}\n"));
        let text: String = ["50", "200", "800", "max"]
            .iter()
            .flat_map(|r| {
                [
                    with_k(
                        p2(r, 1, "100", "25"),
                        "low_kdelay=0.5 medium_kdelay=0.7 critical_kdelay=1.2",
                    ),
                    // A run without the keys, and one with `-`, add nothing to n.
                    p2(r, 2, "250", "4"),
                ]
            })
            .collect();
        let a = analysis(&text);
        let Some(Summary::P3(s)) = a.summaries.get(&Id::P3) else {
            panic!()
        };
        assert_eq!(s.judged, DelayMeasure::KernelCount);
        let k = s.rates[0].kernel_levels[2];
        assert_eq!(
            (k.level, k.n, k.median_ms, k.max_ms),
            (Level::Critical, 1, Some(1.2), Some(1.2))
        );
        assert_eq!(s.rates[0].levels[2].max_ms, Some(25.0));
        assert_eq!(
            s.verdict(),
            Verdict::new(Status::Met, "judged on the kernel count")
        );
        assert_eq!(
            s.headline(),
            "kernel max 1.2 ms, medians ≤ 1.2 ms (judged); hog max 25.0 ms, medians ≤ 4.0 ms"
        );
        // A kernel-count value over the target is missed, whatever the hog accounting says.
        let text = text.replacen("critical_kdelay=1.2", "critical_kdelay=11", 1);
        let v = verdict(&text, Id::P3);
        assert_eq!(v.status, Status::Missed);
        assert_eq!(
            v.detail.as_deref(),
            Some(
                "judged on the kernel count: max 11.0 ms (critical at 50 MiB/s, median there \
                 11.0 ms), 1.1× the 10 ms target"
            )
        );
        // A cell without a kernel-count value is unmeasured by the judged measure.
        let text = text.replacen("medium_kdelay=0.7", "medium_kdelay=-", 1);
        let v = verdict(&text, Id::P3);
        assert!(v
            .detail
            .unwrap()
            .contains("medium delay unknown at 50 MiB/s"));
        // The overall verdict names the measure of a met input too.
        let v = overall(&[analysis(&all_rates("100"))], Id::P3);
        assert_eq!(
            (v.status, v.detail.as_deref()),
            (
                Status::Met,
                Some("x86_64: met, judged on the hog accounting")
            )
        );
    }

    #[test]
    fn p4_max_mean_and_rounds() {
        let a = analysis(
            "bench: P4 storm=2 rounds=30 max_ns=9000 avg_ns=4000\n\
             bench: P4 storm=1 rounds=10 max_ns=26000 avg_ns=2000\n",
        );
        let Some(Summary::P4(s)) = a.summaries.get(&Id::P4) else {
            panic!()
        };
        assert_eq!((s.total_rounds, s.max_ns), (40, Some(26000)));
        assert_eq!(s.mean_ns, Some(3500.0));
        assert_eq!(s.storms[0].storm, 1);
        assert_eq!(
            s.verdict().detail.as_deref(),
            Some("max 26.0 µs, 1.3× the 20 µs target; 40 rounds, 60 short of the 100 needed")
        );
        assert_eq!(s.headline(), "max 26.0 µs, mean 3.5 µs over 40 rounds");
    }

    #[test]
    fn p5_avert_and_observe() {
        let ok = "bench: P5 mode=avert spikes=10 kills=0 averts=10\n\
                  bench: P5 mode=observe spikes=10 kills=10 averts=-\n";
        assert_eq!(verdict(ok, Id::P5), Verdict::met());
        assert_eq!(
            analysis(ok).summaries[&Id::P5].headline(),
            "avert 0 kills / 10 spikes; observe 10 kills / 10 spikes"
        );
        let v = verdict(&ok.replace("kills=0", "kills=2"), Id::P5);
        assert_eq!(
            v.detail.as_deref(),
            Some("avert: 2 kills in 10 spikes (target 0)")
        );
        let v = verdict(&ok.replace("kills=10", "kills=7"), Id::P5);
        assert!(v
            .detail
            .unwrap()
            .starts_with("observe: 7 kills in 10 spikes (expected 10"));
        let v = verdict("bench: P5 mode=avert spikes=5 kills=0 averts=5\n", Id::P5);
        assert_eq!(v.status, Status::Incomplete);
        // Two lines of one mode are summed.
        let a = analysis(&format!(
            "{ok}bench: P5 mode=avert spikes=5 kills=0 averts=-\n"
        ));
        let Some(Summary::P5(s)) = a.summaries.get(&Id::P5) else {
            panic!()
        };
        let t = s.avert.unwrap();
        assert_eq!(
            (t.lines, t.spikes, t.kills, t.averts),
            (2, Some(15), Some(0), None)
        );
    }

    #[test]
    fn p6_cpu_and_rates() {
        let line = |secs: &str, samples: u32, mon: u64| {
            format!(
                "bench: P6 phase=quiet secs={secs} samples={samples} peek_runs=20 peek_wakes=2 \
                 monitor_ns={mon} peek_ns=1000000\n"
            )
        };
        let a = analysis(&line("10", 5, 9_000_000));
        let Some(Summary::P6(s)) = a.summaries.get(&Id::P6) else {
            panic!()
        };
        let r = s.rows[0];
        // (9 ms + 1 ms) / 10 s = 0.1 %.
        assert!((r.cpu_pct.unwrap() - 0.1).abs() < 1e-12);
        assert_eq!(
            (r.wakeups_per_s, r.peek_runs_per_s, r.peek_wakes_per_s),
            (Some(0.5), Some(2.0), Some(0.2))
        );
        assert_eq!(s.verdict(), Verdict::met());
        let three =
            line("10", 5, 1_000_000) + &line("10", 30, 49_000_000) + &line("10", 20, 1_000_000);
        let a = analysis(&three);
        let Some(Summary::P6(s)) = a.summaries.get(&Id::P6) else {
            panic!()
        };
        let q = s.phase(Phase::Quiet).unwrap();
        assert_eq!((q.lines, q.wakeups_per_s), (3, Some(2.0)));
        assert_eq!(
            s.verdict().detail.as_deref(),
            Some("quiet 2.00 wake-ups/s, 2.0× the 1/s target")
        );
        assert_eq!(
            s.headline(),
            "quiet 0.020 % CPU, 2.00 wake-ups/s (median of 3)"
        );
        let v = verdict(&line("-", 5, 1), Id::P6);
        assert_eq!(v.status, Status::NotMeasured);
        let v = verdict(&line("10", 5, 1).replace("quiet", "near"), Id::P6);
        assert_eq!(v.detail.as_deref(), Some("no quiet phase"));
    }

    #[test]
    fn p7_p8_p9() {
        let p7 = "bench: P7 reader_rss_kib=2340 reader_anon_kib=300 earlyoom_rss_kib=1800 \
                  earlyoom_anon_kib=200 reader_bytes=900000 earlyoom_bytes=50000\n";
        assert_eq!(
            verdict(p7, Id::P7).detail.as_deref(),
            Some("reader 2,340 KiB, 1.3× earlyoom's 1,800 KiB")
        );
        assert_eq!(
            verdict(&p7.replace("=2340", "=1800"), Id::P7),
            Verdict::met()
        );
        assert_eq!(
            verdict(
                &p7.replace("earlyoom_rss_kib=1800", "earlyoom_rss_kib=-"),
                Id::P7
            )
            .status,
            Status::NotMeasured
        );
        assert_eq!(
            verdict(
                &p7.replace("earlyoom_rss_kib=1800", "earlyoom_rss_kib=0"),
                Id::P7
            ),
            Verdict::not_measured("earlyoom VmRSS is 0 KiB: not sampled")
        );

        let p8 = "bench: P8 readers=8 events=5000 span_ms=12.5 lost=0\n\
                  bench: P8 readers=1 events=4000 span_ms=10 lost=0\n";
        let three = format!("{p8}bench: P8 readers=1 events=3000 span_ms=10 lost=0\n");
        assert_eq!(
            analysis(&three).summaries[&Id::P8].headline(),
            "1 reader: 300,000 events/s (median of 2); 8 readers: 400,000 events/s; lost 0"
        );
        let a = analysis(p8);
        let Some(Summary::P8(s)) = a.summaries.get(&Id::P8) else {
            panic!()
        };
        assert_eq!(s.rows[0].burst.readers, 1);
        assert_eq!(s.rows[1].events_per_s, Some(400_000.0));
        assert_eq!(s.verdict(), Verdict::met());
        assert_eq!(
            s.headline(),
            "1 reader: 400,000 events/s; 8 readers: 400,000 events/s; lost 0"
        );
        let v = verdict(
            &p8.replace(
                "lost=0\nbench: P8 readers=1",
                "lost=12\nbench: P8 readers=1",
            ),
            Id::P8,
        );
        assert_eq!(
            v.detail.as_deref(),
            Some("readers=8: lost 12 of 5,000 events")
        );
        let v = verdict("bench: P8 readers=1 events=1 span_ms=1 lost=0\n", Id::P8);
        assert_eq!(v.detail.as_deref(), Some("readers=8 not measured"));

        let host = |t: &str| Analysis::new(HOST, "h.txt", parse(t).unwrap());
        // fresh_test_s is the whole fresh run, set-up included: judged alone.
        let a = host("bench: P9 fresh_setup_s=1500 fresh_test_s=1860 warm_test_s=100\n");
        assert_eq!(
            a.verdict(Id::P9).unwrap().detail.as_deref(),
            Some("fresh 31.0 min, 1.2× the 25 min target")
        );
        assert_eq!(
            a.summaries[&Id::P9].headline(),
            "fresh 31.0 min (of which set-up 25.0 min), warm 1.7 min"
        );
        // 15 + 20 min would miss the target; the 20 min run that includes its set-up meets it.
        let a = host("bench: P9 fresh_setup_s=900 fresh_test_s=1200 warm_test_s=100\n");
        assert_eq!(a.verdict(Id::P9).unwrap(), Verdict::met());
        let a = host("bench: P9 fresh_setup_s=- fresh_test_s=1200 warm_test_s=100\n");
        assert_eq!(a.verdict(Id::P9).unwrap(), Verdict::met());
        assert_eq!(
            a.summaries[&Id::P9].headline(),
            "fresh 20.0 min, warm 1.7 min"
        );
        let a = host("bench: P9 fresh_setup_s=600 fresh_test_s=- warm_test_s=100\n");
        assert_eq!(
            a.verdict(Id::P9).unwrap(),
            Verdict::new(Status::Incomplete, "fresh time not measured")
        );
        let a = host("bench: P9 fresh_setup_s=- fresh_test_s=1200 warm_test_s=200\n");
        assert_eq!(
            a.verdict(Id::P9).unwrap().detail.as_deref(),
            Some("warm 3.3 min, 1.1× the 3 min target")
        );
        let a = host("bench: P9 fresh_setup_s=- fresh_test_s=- warm_test_s=-\n");
        assert_eq!(
            a.verdict(Id::P9).unwrap(),
            Verdict::not_measured("no CI time")
        );
    }

    #[test]
    fn scope_and_overall() {
        let x86 = analysis("bench: P1 lat_ns=1\n");
        let arm = Analysis::new(
            "arm64",
            "a.txt",
            parse("bench: P1 lat_ns=2000000\n").unwrap(),
        );
        let host = Analysis::new(HOST, "h.txt", parse("").unwrap());
        // The host input is not judged on guest ids it lacks, nor guests on P9.
        assert_eq!(host.verdict(Id::P1), None);
        assert_eq!(x86.verdict(Id::P9), None);
        assert_eq!(
            host.verdict(Id::P9).unwrap(),
            Verdict::not_measured("no P9 lines")
        );
        assert_eq!(
            x86.verdict(Id::P3).unwrap(),
            Verdict::not_measured("no P2 lines")
        );
        let all = [x86.clone(), arm, host];
        let v = overall(&all, Id::P1);
        assert_eq!(v.status, Status::Missed);
        assert_eq!(
            v.detail.as_deref(),
            Some("arm64: p50 2.0 ms, 20.0× the 100 µs target; p99 2.0 ms, 2.0× the 1 ms target")
        );
        assert_eq!(
            overall(&all, Id::P4),
            Verdict {
                status: Status::NotMeasured,
                detail: None
            }
        );
        let v = overall(&[x86.clone(), analysis("")], Id::P1);
        assert_eq!(
            (v.status, v.detail.as_deref()),
            (Status::Incomplete, Some("x86_64 not measured"))
        );
        assert_eq!(overall(std::slice::from_ref(&x86), Id::P1), Verdict::met());
        assert_eq!(
            overall(&[x86], Id::P9),
            Verdict::not_measured("no host input")
        );
    }
}
