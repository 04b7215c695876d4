//! P5, kills averted in transient spikes: `bench: P5 mode=avert|observe spikes=N
//! [spike_mib=N] kills=N averts=N`, one line per spike scenario.

use crate::input::{Fields, Tokens};
use crate::measure::{About, Summary, Verdict};
use crate::table::{n_int, table};
use crate::units;
use serde_json::{json, Value};

/// What the report says about P5.
pub const ABOUT: About = About {
    id: "P5",
    host: false,
    measure: "Kills averted in transient spikes",
    target: "0 kills with avert; a kill per spike with observe",
    method: "\
A hog briefly needs more memory than is free while the module holds its emergency pool \
(sized from the guest's measured capacity), then exits; the spike repeats once the pool has \
refilled. \
With policy `avert` the guard releases its emergency pool when the OOM notifier runs; with \
`observe` the same module keeps the same pool but only reports, so the memory layout is \
identical and only the avert differs. Kills are the guest's OOM kills during the spikes \
(vmstat oom_kill); averts are the module's count of averted OOMs.",
    definitions: &[],
};

/// The P5 policy a spike scenario ran under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Avert,
    Observe,
}

impl Mode {
    /// The mode as written in the lines.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Avert => "avert",
            Mode::Observe => "observe",
        }
    }
}

/// One P5 spike scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct P5Run {
    pub line: usize,
    pub mode: Mode,
    pub spikes: Option<u64>,
    /// Optional `spike_mib=`: the size of each spike.
    pub spike_mib: Option<u64>,
    pub kills: Option<u64>,
    pub averts: Option<u64>,
}

/// Parses a `P5` line; lines of one mode add up.
pub fn parse(tokens: Tokens<'_>, line: usize, scenarios: &mut Vec<P5Run>) -> Result<(), String> {
    let f = Fields::new(
        "P5",
        &["mode", "spikes", "kills", "averts"],
        &["spike_mib"],
        tokens,
    )?;
    let mode = f.choice(
        "mode",
        &[("avert", Mode::Avert), ("observe", Mode::Observe)],
    )?;
    scenarios.push(P5Run {
        line,
        mode,
        spikes: f.opt_u64("spikes")?,
        spike_mib: f.optional_u64("spike_mib")?,
        kills: f.opt_u64("kills")?,
        averts: f.opt_u64("averts")?,
    });
    Ok(())
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
    pub fn new(scenarios: &[P5Run]) -> Option<Self> {
        if scenarios.is_empty() {
            return None;
        }
        let totals = |mode: Mode| {
            let runs: Vec<&P5Run> = scenarios.iter().filter(|r| r.mode == mode).collect();
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
        Some(Self {
            runs: scenarios.to_vec(),
            avert: totals(Mode::Avert),
            observe: totals(Mode::Observe),
        })
    }
}

impl Summary for P5Summary {
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

    fn markdown(&self, out: &mut String) {
        let mut rows: Vec<Vec<String>> = self
            .runs
            .iter()
            .map(|r| {
                vec![
                    r.mode.name().to_string(),
                    n_int(r.spikes),
                    n_int(r.spike_mib),
                    n_int(r.kills),
                    n_int(r.averts),
                ]
            })
            .collect();
        for t in [self.avert, self.observe].into_iter().flatten() {
            if t.lines > 1 {
                rows.push(vec![
                    format!("**{} total**", t.mode.name()),
                    n_int(t.spikes),
                    String::new(),
                    n_int(t.kills),
                    n_int(t.averts),
                ]);
            }
        }
        table(
            out,
            &["Mode", "Spikes", "Spike (MiB)", "Kills", "Averts"],
            &rows,
        );
    }

    fn json(&self) -> Value {
        let runs: Vec<Value> = self
            .runs
            .iter()
            .map(|r| {
                json!({
                    "line": r.line,
                    "mode": r.mode.name(),
                    "spikes": r.spikes,
                    "spike_mib": r.spike_mib,
                    "kills": r.kills,
                    "averts": r.averts,
                })
            })
            .collect();
        let totals = |t: Option<ModeTotals>| {
            t.map_or(
                Value::Null,
                |t| json!({"lines": t.lines, "spikes": t.spikes, "kills": t.kills, "averts": t.averts}),
            )
        };
        json!({
            "runs": runs,
            "totals": {"avert": totals(self.avert), "observe": totals(self.observe)},
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::testing::markdown;
    use crate::measure::Status;
    use crate::report::parse;
    use crate::report::testing::{measure, verdict};

    fn summary(text: &str) -> P5Summary {
        P5Summary::new(&parse(text).unwrap().p5).unwrap()
    }
    #[test]
    fn p5_avert_and_observe() {
        let ok = "bench: P5 mode=avert spikes=10 kills=0 averts=10\n\
                  bench: P5 mode=observe spikes=10 kills=10 averts=-\n";
        assert_eq!(verdict(ok, measure("P5")), Verdict::met());
        assert_eq!(
            summary(ok).headline(),
            "avert 0 kills / 10 spikes; observe 10 kills / 10 spikes"
        );
        let v = verdict(&ok.replace("kills=0", "kills=2"), measure("P5"));
        assert_eq!(
            v.detail.as_deref(),
            Some("avert: 2 kills in 10 spikes (target 0)")
        );
        let v = verdict(&ok.replace("kills=10", "kills=7"), measure("P5"));
        assert!(v
            .detail
            .unwrap()
            .starts_with("observe: 7 kills in 10 spikes (expected 10"));
        let v = verdict(
            "bench: P5 mode=avert spikes=5 kills=0 averts=5\n",
            measure("P5"),
        );
        assert_eq!(v.status, Status::Incomplete);
        // Two lines of one mode are summed.
        let s = summary(&format!(
            "{ok}bench: P5 mode=avert spikes=5 kills=0 averts=-\n"
        ));
        let t = s.avert.unwrap();
        assert_eq!(
            (t.lines, t.spikes, t.kills, t.averts),
            (2, Some(15), Some(0), None)
        );
    }

    #[test]
    fn fields() {
        let d = parse(
            "bench: P5 mode=observe spikes=10 kills=10 averts=-\n\
             bench: P5 mode=avert spikes=20 spike_mib=150 kills=0 averts=20\n",
        )
        .unwrap();
        assert_eq!((d.p5[0].mode, d.p5[0].averts), (Mode::Observe, None));
        assert_eq!((d.p5[0].spike_mib, d.p5[1].spike_mib), (None, Some(150)));
    }

    #[test]
    fn malformed_lines() {
        let e = parse("bench: P5 mode=off spikes=1 kills=1 averts=1").unwrap_err();
        assert!(e.msg.contains("mode=off: expected avert or observe"), "{e}");
    }

    #[test]
    fn table_and_json() {
        let s = summary(
            "bench: P5 mode=avert spikes=10 kills=0 averts=10\n\
             bench: P5 mode=avert spikes=5 kills=0 averts=5\n",
        );
        let md = markdown(&s);
        assert!(md.contains("| avert | 10 | — | 0 | 10 |"));
        assert!(md.contains("| **avert total** | 15 |  | 0 | 15 |"));
        let s = summary("bench: P5 mode=observe spikes=3 kills=3 averts=0\n");
        let v = s.json();
        assert_eq!(v["totals"]["avert"], Value::Null);
        assert_eq!(v["totals"]["observe"]["kills"], json!(3));
        assert_eq!(s.verdict().status, Status::Incomplete);
    }
}
