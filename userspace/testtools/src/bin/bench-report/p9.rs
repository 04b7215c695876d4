//! P9, clean-clone CI time, measured on the host: one `bench: P9 fresh_setup_s=S
//! fresh_test_s=S warm_test_s=S` from the timings `make test` records.

use crate::input::{Fields, Tokens};
use crate::measure::{times_target, About, Summary, Verdict};
use crate::table::table;
use crate::units::{self, opt};
use serde_json::{json, Value};

/// What the report says about P9.
pub const ABOUT: About = About {
    id: "P9",
    host: true,
    measure: "Clean-clone CI time",
    target: "warm ≤ 25 min, fresh ≤ 75 min (the budget of docs/TESTING.md)",
    method: "\
Wall-clock times on the host, from the timings `make test` records, over whole-suite runs \
only. Fresh is the whole wall time of the newest run whose set-up installed something, its \
set-up included, and is judged alone; of which set-up is the set-up's part of that time, \
already in it and not to be added. Warm is the whole wall time of the newest run that found \
everything in place. The targets are the budget the harness issue set for `make test` on this \
2-core machine, with the board-shaped guests and the 6.12 suites it runs: 25 min with the \
kernels cached, 75 min from an empty project cache.",
    definitions: &[(
        "P9.fresh_test_s",
        "the whole wall time of a fresh `make test`, its set-up included; judged alone. \
         fresh_setup_s is the set-up part of it, not to be added",
    )],
};

/// The fresh-clone target in seconds.
const FRESH_MAX_S: f64 = 75.0 * 60.0;
/// The warm target in seconds.
const WARM_MAX_S: f64 = 25.0 * 60.0;

/// The P9 clean-clone CI times, in seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct P9Ci {
    pub line: usize,
    pub fresh_setup_s: Option<f64>,
    pub fresh_test_s: Option<f64>,
    pub warm_test_s: Option<f64>,
}

/// Parses the `P9` line, which is given once.
pub fn parse(tokens: Tokens<'_>, line: usize, ci: &mut Option<P9Ci>) -> Result<(), String> {
    if let Some(prev) = ci {
        return Err(format!("P9 already given on line {}", prev.line));
    }
    let f = Fields::new(
        "P9",
        &["fresh_setup_s", "fresh_test_s", "warm_test_s"],
        &[],
        tokens,
    )?;
    *ci = Some(P9Ci {
        line,
        fresh_setup_s: f.opt_f64("fresh_setup_s")?,
        fresh_test_s: f.opt_f64("fresh_test_s")?,
        warm_test_s: f.opt_f64("warm_test_s")?,
    });
    Ok(())
}

/// P9: CI times. `fresh_test_s` is the whole wall time of a fresh `make test`, its set-up
/// included; `fresh_setup_s` is only the set-up's part of it. Fresh is judged on
/// `fresh_test_s` alone.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct P9Summary {
    pub ci: P9Ci,
}

impl P9Summary {
    pub fn new(ci: Option<P9Ci>) -> Option<Self> {
        ci.map(|ci| Self { ci })
    }

    /// Whether the set-up is said to take longer than the whole run that includes it.
    pub fn setup_exceeds_total(&self) -> bool {
        self.ci
            .fresh_setup_s
            .zip(self.ci.fresh_test_s)
            .is_some_and(|(s, t)| s > t)
    }
}

impl Summary for P9Summary {
    fn verdict(&self) -> Verdict {
        let mut missed = Vec::new();
        let mut unmeasured = Vec::new();
        match self.ci.fresh_test_s {
            Some(f) if f > FRESH_MAX_S => missed.push(format!(
                "fresh {}, {}",
                units::minutes(f),
                times_target(f, FRESH_MAX_S, "75 min")
            )),
            Some(_) => {}
            None => unmeasured.push("fresh time not measured".to_string()),
        }
        match self.ci.warm_test_s {
            Some(w) if w > WARM_MAX_S => missed.push(format!(
                "warm {}, {}",
                units::minutes(w),
                times_target(w, WARM_MAX_S, "25 min")
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

    fn markdown(&self, out: &mut String) {
        let min = |v: Option<f64>| opt(v, units::minutes);
        table(
            out,
            &["Fresh `make test`", "of which set-up", "Warm `make test`"],
            &[vec![
                min(self.ci.fresh_test_s),
                min(self.ci.fresh_setup_s),
                min(self.ci.warm_test_s),
            ]],
        );
        if self.setup_exceeds_total() {
            out.push_str(
                "The line gives a set-up longer than the whole fresh run that includes it: one of \
                 the two figures is wrong.\n\n",
            );
        }
    }

    fn json(&self) -> Value {
        json!({
            "line": self.ci.line,
            "fresh_setup_s": self.ci.fresh_setup_s,
            "fresh_test_s": self.ci.fresh_test_s,
            "warm_test_s": self.ci.warm_test_s,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::Status;
    use crate::report::testing::measure;
    use crate::report::{parse, Analysis, HOST};

    #[test]
    fn fresh_and_warm() {
        let host = |t: &str| Analysis::new(HOST, "h.txt", parse(t).unwrap());
        // fresh_test_s is the whole fresh run, set-up included: judged alone.
        let a = host("bench: P9 fresh_setup_s=1500 fresh_test_s=5400 warm_test_s=100\n");
        assert_eq!(
            a.verdict(measure("P9")).unwrap().detail.as_deref(),
            Some("fresh 90.0 min, 1.2× the 75 min target")
        );
        assert_eq!(
            a.summary(measure("P9")).unwrap().headline(),
            "fresh 90.0 min (of which set-up 25.0 min), warm 1.7 min"
        );
        // 40 + 70 min would miss the target; the 70 min run that includes its set-up meets it.
        let a = host("bench: P9 fresh_setup_s=2400 fresh_test_s=4200 warm_test_s=100\n");
        assert_eq!(a.verdict(measure("P9")).unwrap(), Verdict::met());
        let a = host("bench: P9 fresh_setup_s=- fresh_test_s=1200 warm_test_s=100\n");
        assert_eq!(a.verdict(measure("P9")).unwrap(), Verdict::met());
        assert_eq!(
            a.summary(measure("P9")).unwrap().headline(),
            "fresh 20.0 min, warm 1.7 min"
        );
        let a = host("bench: P9 fresh_setup_s=600 fresh_test_s=- warm_test_s=100\n");
        assert_eq!(
            a.verdict(measure("P9")).unwrap(),
            Verdict::new(Status::Incomplete, "fresh time not measured")
        );
        let a = host("bench: P9 fresh_setup_s=- fresh_test_s=1200 warm_test_s=1800\n");
        assert_eq!(
            a.verdict(measure("P9")).unwrap().detail.as_deref(),
            Some("warm 30.0 min, 1.2× the 25 min target")
        );
        let a = host("bench: P9 fresh_setup_s=- fresh_test_s=- warm_test_s=-\n");
        assert_eq!(
            a.verdict(measure("P9")).unwrap(),
            Verdict::not_measured("no CI time")
        );
    }

    #[test]
    fn given_once() {
        let p9 = "bench: P9 fresh_setup_s=600 fresh_test_s=- warm_test_s=95.5";
        assert_eq!(parse(p9).unwrap().p9.unwrap().fresh_test_s, None);
        assert!(parse(&format!("{p9}\n{p9}"))
            .unwrap_err()
            .msg
            .contains("P9 already given on line 1"));
    }
}
