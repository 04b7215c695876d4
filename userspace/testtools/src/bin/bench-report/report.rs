//! What every measurement shares: the table of measurements ([`MEASURES`]), the verdicts, and
//! one input summarized ([`Analysis`]). Each measurement's own parse, summary and rendering are
//! in its module, `p1.rs` to `p9.rs`.

use crate::input::{BenchData, Tokens};
use crate::{p1, p2, p3, p4, p5, p6, p7, p8, p9, units};
use serde_json::Value;

/// The label of the input that holds host measurements.
pub const HOST: &str = "host";

/// One measurement: its texts, where its figures come from, and how it is summarized.
pub struct Measure {
    /// The id, as written in the lines and the report: `P1`.
    pub id: &'static str,
    /// What is measured, for the summary table and the section heading.
    pub measure: &'static str,
    /// The target, as judged by the verdict.
    pub target: &'static str,
    /// How it was measured and how the figures are computed.
    pub method: &'static str,
    /// How the JSON's computed figures are defined, as (key, text).
    pub definitions: &'static [(&'static str, &'static str)],
    /// Whether it is measured on the host rather than in a guest.
    pub host: bool,
    /// Where its figures come from.
    pub lines: Lines,
    /// Its summary of an input; `None` when the input has no line for it.
    pub summarize: fn(&BenchData) -> Option<Box<dyn Summary>>,
}

/// Where a measurement's figures come from.
pub enum Lines {
    /// Its own lines, and the parser of one (its tokens after the id, its line number).
    Own(fn(Tokens<'_>, usize, &mut BenchData) -> Result<(), String>),
    /// The lines of another id; `why` is the error for a line of its own.
    Of { id: &'static str, why: &'static str },
}

impl Measure {
    /// The id whose lines the figures come from.
    pub fn source(&self) -> &'static str {
        match self.lines {
            Lines::Own(_) => self.id,
            Lines::Of { id, .. } => id,
        }
    }
}

/// A measurement's summary as the table holds it.
pub fn boxed<S: Summary + 'static>(s: Option<S>) -> Option<Box<dyn Summary>> {
    s.map(|s| Box::new(s) as Box<dyn Summary>)
}

/// Every measurement, in report order.
pub const MEASURES: [&Measure; 9] = [
    &p1::MEASURE,
    &p2::MEASURE,
    &p3::MEASURE,
    &p4::MEASURE,
    &p5::MEASURE,
    &p6::MEASURE,
    &p7::MEASURE,
    &p8::MEASURE,
    &p9::MEASURE,
];

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
}

/// `value`'s ratio to `target`, formatted: `1.8× the 1 ms target`.
pub fn times_target(value: f64, target: f64, target_text: &str) -> String {
    format!("{} the {target_text} target", units::ratio(value / target))
}

/// One input file, summarized.
pub struct Analysis {
    pub label: String,
    pub path: String,
    pub data: BenchData,
    /// In [`MEASURES`] order.
    summaries: Vec<Option<Box<dyn Summary>>>,
}

impl Analysis {
    /// Summarizes every measurement of one input.
    pub fn new(label: &str, path: &str, data: BenchData) -> Self {
        let summaries = MEASURES.iter().map(|m| (m.summarize)(&data)).collect();
        Self {
            label: label.to_string(),
            path: path.to_string(),
            data,
            summaries,
        }
    }

    /// The measurement's summary, if the input has lines for it.
    pub fn summary(&self, m: &Measure) -> Option<&dyn Summary> {
        MEASURES
            .iter()
            .zip(&self.summaries)
            .find(|(x, _)| x.id == m.id)
            .and_then(|(_, s)| s.as_deref())
    }

    /// Whether this is the host input.
    pub fn is_host(&self) -> bool {
        self.label == HOST
    }

    /// Whether the measurement belongs in this input: guest ones in guest inputs, host ones in
    /// the host input, and anything the input actually has.
    pub fn in_scope(&self, m: &Measure) -> bool {
        self.summary(m).is_some() || m.host == self.is_host()
    }

    /// This input's verdict; `None` if the measurement is out of its scope.
    pub fn verdict(&self, m: &Measure) -> Option<Verdict> {
        if !self.in_scope(m) {
            return None;
        }
        Some(match self.summary(m) {
            Some(s) => s.verdict(),
            None => Verdict::not_measured(format!("no {} lines", m.source())),
        })
    }
}

/// The verdict over every input in whose scope the measurement is.
pub fn overall(inputs: &[Analysis], m: &Measure) -> Verdict {
    let verdicts: Vec<(&str, Verdict)> = inputs
        .iter()
        .filter_map(|a| a.verdict(m).map(|v| (a.label.as_str(), v)))
        .collect();
    if verdicts.is_empty() {
        return Verdict::not_measured(if m.host {
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

/// Helpers for the measurements' tests.
#[cfg(test)]
pub mod testing {
    use super::*;
    use crate::input::parse;

    /// An x86_64 input of `text`.
    pub fn analysis(text: &str) -> Analysis {
        Analysis::new("x86_64", "x.txt", parse(text).unwrap())
    }

    /// The x86_64 input's verdict for `m`.
    pub fn verdict(text: &str, m: &Measure) -> Verdict {
        analysis(text).verdict(m).unwrap()
    }

    /// The x86_64 input's headline for `m`.
    pub fn headline(text: &str, m: &Measure) -> String {
        analysis(text).summary(m).unwrap().headline()
    }
}

#[cfg(test)]
mod tests {
    use super::testing::analysis;
    use super::*;
    use crate::input::parse;

    #[test]
    fn every_measure_has_texts() {
        for m in MEASURES {
            assert!(!m.measure.is_empty() && !m.target.is_empty(), "{}", m.id);
            assert!(m.method.ends_with('.'), "{}", m.id);
            assert!(!m.method.contains('|'), "{}: would break a table", m.id);
        }
        // P3 comes from the P2 lines and has none of its own.
        assert_eq!(p3::MEASURE.source(), "P2");
        assert_eq!(MEASURES.iter().filter(|m| m.host).count(), 1);
    }

    #[test]
    fn a_note_is_not_a_measurement() {
        let a = analysis("bench: note x\n");
        assert!(MEASURES.iter().all(|m| a.summary(m).is_none()));
    }

    #[test]
    fn scope_and_overall() {
        let x86 = || analysis("bench: P1 lat_ns=1\n");
        let arm = Analysis::new(
            "arm64",
            "a.txt",
            parse("bench: P1 lat_ns=2000000\n").unwrap(),
        );
        let host = Analysis::new(HOST, "h.txt", parse("").unwrap());
        // The host input is not judged on guest ids it lacks, nor guests on P9.
        assert_eq!(host.verdict(&p1::MEASURE), None);
        assert_eq!(x86().verdict(&p9::MEASURE), None);
        assert_eq!(
            host.verdict(&p9::MEASURE).unwrap(),
            Verdict::not_measured("no P9 lines")
        );
        assert_eq!(
            x86().verdict(&p3::MEASURE).unwrap(),
            Verdict::not_measured("no P2 lines")
        );
        let all = [x86(), arm, host];
        let v = overall(&all, &p1::MEASURE);
        assert_eq!(v.status, Status::Missed);
        assert_eq!(
            v.detail.as_deref(),
            Some("arm64: p50 2.0 ms, 20.0× the 100 µs target; p99 2.0 ms, 2.0× the 1 ms target")
        );
        assert_eq!(
            overall(&all, &p4::MEASURE),
            Verdict {
                status: Status::NotMeasured,
                detail: None
            }
        );
        let v = overall(&[x86(), analysis("")], &p1::MEASURE);
        assert_eq!(
            (v.status, v.detail.as_deref()),
            (Status::Incomplete, Some("x86_64 not measured"))
        );
        assert_eq!(overall(&[x86()], &p1::MEASURE), Verdict::met());
        assert_eq!(
            overall(&[x86()], &p9::MEASURE),
            Verdict::not_measured("no host input")
        );
    }
}
