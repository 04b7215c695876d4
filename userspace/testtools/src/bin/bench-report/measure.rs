//! What a measurement module (`p1.rs` to `p10.rs`) provides and uses: its texts and place
//! ([`About`]), its summary of an input ([`Summary`]) and the verdicts ([`Verdict`]).

use crate::units;
use serde_json::Value;

/// A measurement's id, where it is measured, and the report's texts about it.
pub struct About {
    /// The id, as written in the lines and the report: `P1`.
    pub id: &'static str,
    /// Whether it is measured on the host rather than in a guest.
    pub host: bool,
    /// What is measured, for the summary table and the section heading.
    pub measure: &'static str,
    /// The target, as judged by the verdict.
    pub target: &'static str,
    /// How it was measured and how the figures are computed.
    pub method: &'static str,
    /// How the JSON's computed figures are defined, as (key, text).
    pub definitions: &'static [(&'static str, &'static str)],
}

/// One measurement's figures for one input.
pub trait Summary {
    /// Whether the target was met, with the reason if not.
    fn verdict(&self) -> Verdict;
    /// The result in a few words, for the summary table.
    fn headline(&self) -> String;
    /// Appends the input's section body: its tables and remarks.
    fn markdown(&self, out: &mut String);
    /// The raw numbers and the computed figures.
    fn json(&self) -> Value;
}

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
    pub fn new(status: Status, detail: impl Into<String>) -> Self {
        Self {
            status,
            detail: Some(detail.into()),
        }
    }

    pub fn met() -> Self {
        Self {
            status: Status::Met,
            detail: None,
        }
    }

    pub fn not_measured(detail: impl Into<String>) -> Self {
        Self::new(Status::NotMeasured, detail)
    }

    /// Missed if anything was missed, else incomplete if anything was not measured, else met.
    pub fn from_parts(missed: Vec<String>, unmeasured: Vec<String>) -> Self {
        if !missed.is_empty() {
            Self::new(Status::Missed, [missed, unmeasured].concat().join("; "))
        } else if !unmeasured.is_empty() {
            Self::new(Status::Incomplete, unmeasured.join("; "))
        } else {
            Self::met()
        }
    }

    /// Missed if anything was missed, else not measured if anything was not measured, else
    /// met: for a target that is judged on every part or not at all.
    pub fn from_parts_or_not_measured(missed: Vec<String>, unmeasured: Vec<String>) -> Self {
        if missed.is_empty() && !unmeasured.is_empty() {
            Self::not_measured(unmeasured.join("; "))
        } else {
            Self::from_parts(missed, unmeasured)
        }
    }
}

/// `value`'s ratio to `target`, formatted: `1.8× the 1 ms target`.
pub fn times_target(value: f64, target: f64, target_text: &str) -> String {
    format!("{} the {target_text} target", units::ratio(value / target))
}

/// A ratio to a floor measured beside the value, against the goal for it: `3.1× its floor of
/// 166.2 µs (goal 1.5×)`, the floor named by `floor_name` (`floor`, `time-matched floor`). Two
/// decimals when one would read as the goal itself (`1.52×`).
pub fn times_floor(ratio: f64, floor_name: &str, floor_text: &str, goal: f64) -> String {
    let goal_text = units::ratio(goal);
    let mut text = units::ratio(ratio);
    if text == goal_text {
        text = units::ratio2(ratio);
    }
    format!("{text} its {floor_name} of {floor_text} (goal {goal_text})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdict_parts() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            Verdict::from_parts_or_not_measured(s(&[]), s(&["no floor"])),
            Verdict::not_measured("no floor")
        );
        assert_eq!(
            Verdict::from_parts_or_not_measured(s(&["p50 2×"]), s(&["no floor"])),
            Verdict::new(Status::Missed, "p50 2×; no floor")
        );
        assert_eq!(
            Verdict::from_parts_or_not_measured(s(&[]), s(&[])),
            Verdict::met()
        );
        assert_eq!(
            Verdict::from_parts(s(&[]), s(&["no floor"])).status,
            Status::Incomplete
        );
    }

    #[test]
    fn ratios_to_a_floor() {
        assert_eq!(
            times_floor(3.1, "floor", "166.2 µs", 1.5),
            "3.1× its floor of 166.2 µs (goal 1.5×)"
        );
        assert_eq!(
            times_floor(2.0, "time-matched floor", "3.0 ms", 1.5),
            "2.0× its time-matched floor of 3.0 ms (goal 1.5×)"
        );
        assert_eq!(
            times_floor(1.52, "floor", "1.0 ms", 1.5),
            "1.52× its floor of 1.0 ms (goal 1.5×)"
        );
        assert_eq!(times_target(1.8e6, 1e6, "1 ms"), "1.8× the 1 ms target");
    }
}

/// Helpers for the measurements' tests.
#[cfg(test)]
pub mod testing {
    use super::Summary;

    /// A summary's Markdown section.
    pub fn markdown(s: &dyn Summary) -> String {
        let mut out = String::new();
        s.markdown(&mut out);
        out
    }
}
