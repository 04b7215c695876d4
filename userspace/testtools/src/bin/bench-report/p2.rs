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
    target: "ours `critical` before the OOM in 100 % of runs, at every rate",
    method: "\
A memory hog allocates at a fixed rate (50, 200 or 800 MiB/s, or as fast as it can: `max`) \
until the kernel's OOM killer kills it, several runs per rate. For every signal the run \
records when it first arrived, as a lead in ms before the OOM (negative: it came only after \
the OOM). Ours are the module's low, medium and critical headroom levels and the onset of a \
reclaim episode. The peers watch the same runs, so every signal is measured in one and the \
same run: earlyoom with `--dryrun` and its default thresholds (SIGTERM at ≤ 10 % available \
memory, SIGKILL at ≤ 5 %), which reports the signal it would send without sending it, so \
that the hog still reaches the OOM, its lines stamped with CLOCK_MONOTONIC as they arrive; \
and two PSI triggers armed by our psiwatch tool, `some 1000 500000` and `some 50000 500000` \
(1 ms and 50 ms of `some` memory stall in a 500 ms window, the smallest window the kernel \
allows). A run is covered by a signal when its lead is positive; the median and min lead are \
over the covered runs only. Reached is the median over the runs of the rate the hog reached \
over its last 64 MiB. The hog is paced on a fixed CLOCK_MONOTONIC schedule and catches up \
after a stall, so a 50 MiB/s run can show a higher rate at its end. A run without an OOM \
prints a note instead of a line and is not counted; with `meta runs=N`, a rate with fewer \
runs makes the verdict incomplete. Only our `critical` is judged; the peers are shown beside \
it for comparison, not judged.",
    definitions: &[(
        "P2.coverage",
        "runs whose lead is > 0 ms (the signal came before the OOM) / runs; median and min lead \
         over those runs",
    )],
};

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

    /// Critical's covered runs and total runs over all rates.
    fn critical_total(&self) -> (usize, usize) {
        self.rates
            .iter()
            .filter_map(|r| r.coverage(Signal::Critical))
            .fold((0, 0), |(k, n), c| (k + c.covered, n + c.runs))
    }
}

impl Summary for P2Summary {
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

    fn markdown(&self, out: &mut String) {
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
                json!({
                    "rate": rate_json(r.rate),
                    "runs": r.runs,
                    "reached_median_mibs": r.reached_median_mibs,
                    "signals": signals,
                    "earlyoom_first_action": {"TERM": r.earlyoom_term, "KILL": r.earlyoom_kill},
                })
            })
            .collect();
        json!({
            "runs": runs,
            "summary": summary,
            "missing_rates": self.missing_rates.iter().map(|&r| rate_json(r)).collect::<Vec<Value>>(),
            "expected_runs_per_rate": self.expected_runs,
        })
    }
}

/// The signal as its table row names it: ours marked, the judged one in bold.
fn signal_name(s: Signal) -> String {
    let name = match s {
        Signal::Psi1ms => "PSI 1 ms",
        Signal::Psi50ms => "PSI 50 ms",
        other => other.key(),
    };
    match s {
        Signal::Critical => format!("**{name}** (ours, judged)"),
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
pub mod tests {
    use super::*;
    use crate::input::LineError;
    use crate::measure::testing::markdown;
    use crate::measure::Status;
    use crate::report::parse;
    use crate::report::testing::{headline, measure, verdict};

    const P2_LINE: &str = "bench: P2 rate=50 run=1 reached_mibs=48.5 low=900 medium=500.5 \
        critical=120 reclaim=-3 earlyoom=80 earlyoom_sig=TERM psi_1ms=- psi_50ms=40 \
        low_delay=1.5 medium_delay=-0.5 critical_delay=-";

    /// A P2 line with the given critical lead and critical delay.
    pub fn p2_line(rate: &str, run: u32, critical: &str, delay: &str) -> String {
        format!(
            "bench: P2 rate={rate} run={run} reached_mibs=40 low=900 medium=400 critical={critical} \
             reclaim=- earlyoom=-5 earlyoom_sig=KILL psi_1ms=300 psi_50ms=- \
             low_delay=1 medium_delay=2 critical_delay={delay}\n"
        )
    }

    /// Two runs at every expected rate, run 1 with the given critical lead.
    pub fn all_rates(critical: &str) -> String {
        ["50", "200", "800", "max"]
            .iter()
            .flat_map(|r| [p2_line(r, 1, critical, "3"), p2_line(r, 2, "250", "4")])
            .collect()
    }

    fn parse_err(text: &str) -> LineError {
        parse(text).unwrap_err()
    }

    fn summary(text: &str) -> P2Summary {
        let d = parse(text).unwrap();
        P2Summary::new(&d.p2, &d.meta).unwrap()
    }

    #[test]
    fn p2_fields_and_absent_values() {
        let d = parse(P2_LINE).unwrap();
        let r = &d.p2[0];
        assert_eq!((r.line, r.rate, r.run), (1, Rate::MibS(50), 1));
        assert_eq!(r.reached_mibs, Some(48.5));
        assert_eq!(r.lead(Signal::Medium), Some(500.5));
        assert_eq!(r.lead(Signal::Reclaim), Some(-3.0));
        assert_eq!(r.lead(Signal::Psi1ms), None);
        assert_eq!(r.lead(Signal::Psi50ms), Some(40.0));
        assert_eq!(r.earlyoom_sig, Some(KillSig::Term));
        assert_eq!(r.delay(Level::Medium), Some(-0.5));
        assert_eq!(r.delay(Level::Critical), None);
        // The kernel-count delays are optional: absent and `-` are both unknown.
        assert_eq!(r.kdelays, [None; 3]);
        let k = parse(&format!("{P2_LINE} low_kdelay=0.4 critical_kdelay=-")).unwrap();
        assert_eq!(k.p2[0].kdelay(Level::Low), Some(0.4));
        assert_eq!(k.p2[0].kdelay(Level::Medium), None);
        assert_eq!(k.p2[0].kdelay(Level::Critical), None);
        assert_eq!(k.p2[0].delay(Level::Low), Some(1.5));
        let e = parse_err(&format!("{P2_LINE} medium_kdelay=x"));
        assert!(
            e.msg.contains("medium_kdelay=x: expected a number or '-'"),
            "{e}"
        );
        let e = parse_err(&format!("{P2_LINE} low_kdelay=1 low_kdelay=2"));
        assert!(e.msg.contains("low_kdelay= given twice"), "{e}");
        let e = parse_err(&format!("{P2_LINE} high_kdelay=1"));
        assert!(
            e.msg
                .contains("optional low_kdelay, medium_kdelay, critical_kdelay"),
            "{e}"
        );
        let max = parse(&P2_LINE.replace("rate=50", "rate=max")).unwrap();
        assert_eq!(max.p2[0].rate, Rate::Max);
        assert!(Rate::MibS(800) < Rate::Max && Rate::MibS(50) < Rate::MibS(200));
    }

    #[test]
    fn p2_coverage_and_verdict() {
        let s = summary(&all_rates("100"));
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
            .replacen(
                &p2_line("max", 1, "100", "3"),
                &p2_line("max", 1, "-", "3"),
                1,
            );
        let v = verdict(&text, measure("P2"));
        assert_eq!(v.status, Status::Missed);
        assert_eq!(
            v.detail.as_deref(),
            Some(
                "critical 1/2 (50 %) at 50 MiB/s: 1 run without a lead; \
                 critical 1/2 (50 %) at max: 1 run without a lead"
            )
        );
        assert_eq!(
            headline(&text, measure("P2")),
            "critical 6/8 (75 %); worst 50 MiB/s: 1/2 (50 %)"
        );

        // Missing rates make a met verdict incomplete.
        let v = verdict(
            &(p2_line("50", 1, "9", "1") + &p2_line("200", 1, "9", "1")),
            measure("P2"),
        );
        assert_eq!(v.status, Status::Incomplete);
        assert_eq!(
            v.detail.as_deref(),
            Some("rates 800 MiB/s, max not measured")
        );

        // Fewer runs than `meta runs=` make it incomplete too.
        let text = format!("bench: meta runs=3\n{}", all_rates("100"));
        let v = verdict(&text, measure("P2"));
        assert_eq!(v.status, Status::Incomplete);
        assert_eq!(
            v.detail.as_deref(),
            Some(
                "50 MiB/s: 2 of 3 runs reported; 200 MiB/s: 2 of 3 runs reported; \
                 800 MiB/s: 2 of 3 runs reported; max: 2 of 3 runs reported"
            )
        );
        assert_eq!(
            verdict(
                &format!("bench: meta runs=2\n{}", all_rates("100")),
                measure("P2")
            ),
            Verdict::met()
        );
    }

    #[test]
    fn p2_errors_and_duplicates() {
        let p2 = |from: &str, to: &str| parse_err(&P2_LINE.replace(from, to)).msg;
        assert!(p2("rate=50", "rate=0").contains("rate=0: expected a positive"));
        assert!(p2("rate=50", "rate=fast").contains("rate=fast"));
        assert!(p2("earlyoom_sig=TERM", "earlyoom_sig=HUP").contains("expected TERM, KILL"));
        assert!(p2("critical=120", "critical=NaN").contains("critical=NaN"));
        let twice = format!("{P2_LINE}\n{P2_LINE}\n");
        let e = parse_err(&twice);
        assert_eq!(e.line, 2);
        assert!(
            e.msg.contains("rate=50 run=1 already given on line 1"),
            "{e}"
        );
        // A bad value is reported before the repeat.
        let e = parse_err(&format!(
            "{P2_LINE}\n{}",
            P2_LINE.replace("low=900", "low=x")
        ));
        assert!(e.msg.contains("low=x: expected a number"), "{e}");
    }

    #[test]
    fn table() {
        let s = summary(&(p2_line("50", 1, "120", "2") + &p2_line("50", 2, "120", "2")));
        let md = markdown(&s);
        assert!(md.contains("| 50 | 2 | 40.0 | low (ours) | 2/2 (100 %) | 900.0 | 900.0 |  |"));
        assert!(md
            .contains("|  |  |  | **critical** (ours, judged) | 2/2 (100 %) | 120.0 | 120.0 |  |"));
        assert!(md.contains("|  |  |  | reclaim (ours) | 0/2 (0 %) | — | — | 2 runs never |"));
        assert!(md.contains(
            "|  |  |  | earlyoom | 0/2 (0 %) | — | — | 2 runs at or after the OOM; \
             first action SIGTERM in 0 runs, SIGKILL in 2 runs |"
        ));
        assert!(md.contains("|  |  |  | PSI 50 ms | 0/2 (0 %) | — | — | 2 runs never |"));
        assert!(md.ends_with("Not measured: 200 MiB/s, 800 MiB/s, max.\n\n"));
        let v = s.json();
        assert_eq!(v["runs"][1]["run"], json!(2));
        assert_eq!(
            v["summary"][0]["signals"]["critical"]["coverage_pct"],
            json!(100.0)
        );
        assert_eq!(v["missing_rates"], json!([200, 800, "max"]));
    }
}
