//! P4, the OOM callback's cost: `bench: P4 storm=N rounds=N max_ns=N avg_ns=N [averts=N]
//! [kills=N]`, one line per storm of averted OOMs, from the module's stats.

use crate::input::{Fields, Tokens};
use crate::measure::{times_target, About, Summary, Verdict};
use crate::table::{n_int, n_us, table};
use crate::units::{self, opt};
use serde_json::{json, Value};

/// What the report says about P4.
pub const ABOUT: About = About {
    id: "P4",
    host: false,
    measure: "OOM callback cost",
    target: "max ≤ 20 µs over ≥ 100 rounds",
    method: "\
Four storms of averted OOMs per architecture: storms 1 and 4 followed by the two latency \
readers of P1, storm 2 by 8 plain readers and storm 3 by 1 plain reader. In each, the module \
is loaded afresh with a 64 MiB emergency pool and an unbounded hog drains it, one averted OOM \
round per released chunk, until the pool is empty and the hog is killed. The pool is made of \
order-6 blocks (64 pages each), so a release frees whole blocks. The callback time is the \
module's own ktime around its OOM notifier; after each storm the stats ioctl gives the rounds \
(oom_calls), callback_max_ns and callback_avg_ns, and the OOMs averted; kills are the \
guest's OOM kills (vmstat oom_kill). The max is the max over all storms; the mean is the \
storms' means weighted by their rounds. Fewer than 100 rounds in total are too few to judge \
the max.",
    definitions: &[(
        "P4.mean_ns",
        "mean of avg_ns weighted by rounds, over storms with both",
    )],
};

/// The callback-cost target in ns.
const MAX_NS: u64 = 20_000;
/// The rounds needed to judge the max.
const MIN_ROUNDS: u64 = 100;

/// One P4 storm: OOM callback cost from the module's stats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct P4Storm {
    pub line: usize,
    pub storm: u32,
    pub rounds: Option<u64>,
    pub max_ns: Option<u64>,
    pub avg_ns: Option<u64>,
    /// Optional `averts=`: OOMs the module averted during the storm.
    pub averts: Option<u64>,
    /// Optional `kills=`: OOM kills during the storm.
    pub kills: Option<u64>,
}

/// Parses a `P4` line; a storm is given once.
pub fn parse(tokens: Tokens<'_>, line: usize, storms: &mut Vec<P4Storm>) -> Result<(), String> {
    let f = Fields::new(
        "P4",
        &["storm", "rounds", "max_ns", "avg_ns"],
        &["averts", "kills"],
        tokens,
    )?;
    let storm = P4Storm {
        line,
        storm: f.u32("storm")?,
        rounds: f.opt_u64("rounds")?,
        max_ns: f.opt_u64("max_ns")?,
        avg_ns: f.opt_u64("avg_ns")?,
        averts: f.optional_u64("averts")?,
        kills: f.optional_u64("kills")?,
    };
    if let Some(prev) = storms.iter().find(|s| s.storm == storm.storm) {
        return Err(format!(
            "P4: storm={} already given on line {}",
            storm.storm, prev.line
        ));
    }
    storms.push(storm);
    Ok(())
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
    pub fn new(storms: &[P4Storm]) -> Option<Self> {
        if storms.is_empty() {
            return None;
        }
        let mut storms = storms.to_vec();
        storms.sort_by_key(|s| s.storm);
        let total_rounds = storms.iter().filter_map(|s| s.rounds).sum();
        let weighted: Vec<(f64, f64)> = storms
            .iter()
            .filter_map(|s| Some((s.rounds? as f64, s.avg_ns? as f64)))
            .collect();
        let weight: f64 = weighted.iter().map(|(r, _)| r).sum();
        let mean_ns =
            (weight > 0.0).then(|| weighted.iter().map(|(r, a)| r * a).sum::<f64>() / weight);
        Some(Self {
            max_ns: storms.iter().filter_map(|s| s.max_ns).max(),
            storms,
            total_rounds,
            mean_ns,
        })
    }
}

impl Summary for P4Summary {
    fn verdict(&self) -> Verdict {
        let Some(max) = self.max_ns else {
            return Verdict::not_measured("no callback max");
        };
        let mut missed = Vec::new();
        if max > MAX_NS {
            missed.push(format!(
                "max {}, {}",
                units::dur_ns(max as f64),
                times_target(max as f64, MAX_NS as f64, "20 µs")
            ));
        }
        if self.total_rounds < MIN_ROUNDS {
            missed.push(format!(
                "{} rounds, {} short of the {MIN_ROUNDS} needed",
                self.total_rounds,
                MIN_ROUNDS - self.total_rounds
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

    fn markdown(&self, out: &mut String) {
        let mut rows: Vec<Vec<String>> = self
            .storms
            .iter()
            .map(|st| {
                vec![
                    st.storm.to_string(),
                    n_int(st.rounds),
                    n_us(st.max_ns),
                    n_us(st.avg_ns),
                    n_int(st.averts),
                    n_int(st.kills),
                ]
            })
            .collect();
        rows.push(vec![
            "**all**".to_string(),
            units::int(self.total_rounds),
            n_us(self.max_ns),
            opt(self.mean_ns, units::us_num),
            String::new(),
            String::new(),
        ]);
        table(
            out,
            &[
                "Storm",
                "Rounds",
                "Max (µs)",
                "Mean (µs)",
                "Averts",
                "Kills",
            ],
            &rows,
        );
    }

    fn json(&self) -> Value {
        let storms: Vec<Value> = self
            .storms
            .iter()
            .map(|st| {
                json!({
                    "line": st.line,
                    "storm": st.storm,
                    "rounds": st.rounds,
                    "max_ns": st.max_ns,
                    "avg_ns": st.avg_ns,
                    "averts": st.averts,
                    "kills": st.kills,
                })
            })
            .collect();
        json!({
            "storms": storms,
            "total_rounds": self.total_rounds,
            "max_ns": self.max_ns,
            "max_us": units::ns_to_us(self.max_ns),
            "mean_ns": self.mean_ns,
            "mean_us": self.mean_ns.map(|n| n / 1e3),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::testing::markdown;
    use crate::report::parse;

    fn summary(text: &str) -> P4Summary {
        P4Summary::new(&parse(text).unwrap().p4).unwrap()
    }
    #[test]
    fn p4_max_mean_and_rounds() {
        let s = summary(
            "bench: P4 storm=2 rounds=30 max_ns=9000 avg_ns=4000\n\
             bench: P4 storm=1 rounds=10 max_ns=26000 avg_ns=2000\n",
        );
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
    fn optional_keys_and_repeats() {
        let d = parse(
            "bench: P4 storm=1 rounds=60 max_ns=9000 avg_ns=2000 averts=59 kills=1\n\
             bench: P4 storm=2 rounds=60 max_ns=9000 avg_ns=2000\n",
        )
        .unwrap();
        assert_eq!((d.p4[0].averts, d.p4[0].kills), (Some(59), Some(1)));
        assert_eq!((d.p4[1].averts, d.p4[1].kills), (None, None));
        let e = parse(
            "bench: P4 storm=1 rounds=1 max_ns=1 avg_ns=1\nbench: P4 storm=1 rounds=1 max_ns=1 avg_ns=1",
        )
        .unwrap_err();
        assert!(e.msg.contains("already given on line 1"), "{e}");
    }

    #[test]
    fn malformed_lines() {
        for (line, want) in [
            ("bench: P4 storm=1 rounds=2 max_ns=3 avg_ns=4 extra=1", "unknown key 'extra' (expected storm, rounds, max_ns, avg_ns; optional averts, kills)"),
            ("bench: P4 storm=1 rounds=2 max_ns=3 avg_ns=4 kills=x", "kills=x: expected a whole"),
        ] {
            let e = parse(line).unwrap_err();
            assert!(e.msg.contains(want), "{line}: {e}");
        }
    }

    #[test]
    fn table_and_json() {
        let s = summary(
            "bench: P4 storm=1 rounds=100 max_ns=8000 avg_ns=3000 averts=99 kills=1\n\
             bench: P4 storm=2 rounds=30 max_ns=9000 avg_ns=-\n",
        );
        let md = markdown(&s);
        assert!(md.contains("| 1 | 100 | 8.0 | 3.0 | 99 | 1 |\n| 2 | 30 | 9.0 | — | — | — |\n"));
        assert!(md.ends_with("| **all** | 130 | 9.0 | 3.0 |  |  |\n\n"));
        let v = s.json();
        assert_eq!(v["mean_ns"], json!(3000.0));
        assert_eq!(v["max_us"], json!(9.0));
        assert_eq!(v["storms"][1]["avg_ns"], Value::Null);
    }
}
