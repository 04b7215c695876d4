//! P8, event throughput in a burst: `bench: P8 readers=N events=N span_ms=MS lost=N`, one line
//! per burst and number of readers.

use crate::input::{Fields, Tokens};
use crate::measure::{About, Summary, Verdict};
use crate::stats::median_f64;
use crate::table::{n_int, table};
use crate::units::{self, opt};
use serde_json::{json, Value};

/// What the report says about P8.
pub const ABOUT: About = About {
    id: "P8",
    host: false,
    measure: "Event throughput in a burst",
    target: "no event lost while the readers keep up",
    method: "\
The records of P4 storm 2, followed by 8 readers at once, and of storm 3, followed by 1 \
reader. The burst is an averted-OOM storm: no synthetic event injection exists, so the rate \
is what the storm produced and the readers delivered, not the most they could take. Events \
is the fewest records any of the readers got, span the time between the first and the last \
record's time_ns, and the rate events / span. Lost is the sum over the readers of the counts \
their LOST records carry (records the ring dropped before they were read) plus the readers' \
own queue drops.",
    definitions: &[("P8.events_per_s", "events / (span_ms / 1000)")],
};

/// The reader counts every burst set should cover.
const EXPECTED_READERS: [u32; 2] = [1, 8];

/// One P8 event burst.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct P8Burst {
    pub line: usize,
    pub readers: u32,
    pub events: Option<u64>,
    pub span_ms: Option<f64>,
    pub lost: Option<u64>,
}

/// Parses a `P8` line; repeated lines are separate bursts.
pub fn parse(tokens: Tokens<'_>, line: usize, bursts: &mut Vec<P8Burst>) -> Result<(), String> {
    let f = Fields::new("P8", &["readers", "events", "span_ms", "lost"], &[], tokens)?;
    let readers = f.u32("readers")?;
    if readers == 0 {
        return Err("P8: readers=0: expected at least one reader".to_string());
    }
    bursts.push(P8Burst {
        line,
        readers,
        events: f.opt_u64("events")?,
        span_ms: f.opt_f64("span_ms")?,
        lost: f.opt_u64("lost")?,
    });
    Ok(())
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
    pub fn new(bursts: &[P8Burst]) -> Option<Self> {
        if bursts.is_empty() {
            return None;
        }
        let mut rows: Vec<P8Row> = bursts
            .iter()
            .map(|b| P8Row {
                burst: *b,
                events_per_s: b
                    .events
                    .zip(b.span_ms.filter(|&s| s > 0.0))
                    .map(|(e, s)| e as f64 / (s / 1e3)),
            })
            .collect();
        rows.sort_by_key(|r| (r.burst.readers, r.burst.line));
        Some(Self { rows })
    }
}

impl Summary for P8Summary {
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
        for n in EXPECTED_READERS {
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

    fn markdown(&self, out: &mut String) {
        let rows: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|r| {
                vec![
                    r.burst.readers.to_string(),
                    n_int(r.burst.events),
                    opt(r.burst.span_ms, |v| format!("{v:.3}")),
                    opt(r.events_per_s, units::per_s),
                    n_int(r.burst.lost),
                ]
            })
            .collect();
        table(
            out,
            &["Readers", "Events", "Span (ms)", "Rate (events/s)", "Lost"],
            &rows,
        );
    }

    fn json(&self) -> Value {
        let bursts: Vec<Value> = self
            .rows
            .iter()
            .map(|r| {
                let b = &r.burst;
                json!({
                    "line": b.line,
                    "readers": b.readers,
                    "events": b.events,
                    "span_ms": b.span_ms,
                    "lost": b.lost,
                    "events_per_s": r.events_per_s,
                })
            })
            .collect();
        json!({"bursts": bursts})
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::testing::markdown;
    use crate::report::parse;
    use crate::report::testing::{measure, verdict};

    fn summary(text: &str) -> P8Summary {
        P8Summary::new(&parse(text).unwrap().p8).unwrap()
    }
    #[test]
    fn bursts() {
        let p8 = "bench: P8 readers=8 events=5000 span_ms=12.5 lost=0\n\
                  bench: P8 readers=1 events=4000 span_ms=10 lost=0\n";
        let three = format!("{p8}bench: P8 readers=1 events=3000 span_ms=10 lost=0\n");
        assert_eq!(
            summary(&three).headline(),
            "1 reader: 300,000 events/s (median of 2); 8 readers: 400,000 events/s; lost 0"
        );
        let s = summary(p8);
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
            measure("P8"),
        );
        assert_eq!(
            v.detail.as_deref(),
            Some("readers=8: lost 12 of 5,000 events")
        );
        let v = verdict(
            "bench: P8 readers=1 events=1 span_ms=1 lost=0\n",
            measure("P8"),
        );
        assert_eq!(v.detail.as_deref(), Some("readers=8 not measured"));
    }

    #[test]
    fn fields() {
        let d = parse("bench: P8 readers=8 events=5000 span_ms=12.5 lost=0\n").unwrap();
        assert_eq!(d.p8[0].span_ms, Some(12.5));
    }

    #[test]
    fn malformed_lines() {
        let e = parse("bench: P8 readers=0 events=1 span_ms=1 lost=0").unwrap_err();
        assert!(e.msg.contains("readers=0"), "{e}");
    }

    #[test]
    fn table_and_json() {
        let s = summary("bench: P8 readers=1 events=4000 span_ms=10 lost=0\n");
        assert!(markdown(&s).contains("| 1 | 4,000 | 10.000 | 400,000 | 0 |"));
        assert_eq!(s.json()["bursts"][0]["events_per_s"], json!(400000.0));
    }
}
