//! One input file read and summarized: the table of measurements ([`MEASURES`]) that says
//! which module parses and summarizes which lines, the parsed file ([`BenchData`]), its
//! summaries ([`Analysis`]) and the verdict over every input ([`overall`]). The measurements
//! themselves are in `p1.rs` to `p10.rs`, which know nothing of this table.

use crate::input::{split_pair, LineError, Tokens};
use crate::measure::{About, Status, Summary, Verdict};
use crate::{p1, p10, p2, p3, p4, p5, p6, p7, p8, p9};

/// The label of the input that holds host measurements.
pub const HOST: &str = "host";

/// The prefix that marks a benchmark line.
const PREFIX: &str = "bench: ";

/// Everything one input file holds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BenchData {
    /// `meta` keys and values in the order first seen.
    pub meta: Vec<(String, String)>,
    /// `note` lines: line number and text.
    pub notes: Vec<(usize, String)>,
    /// The line of `bench: done`, if the file has one.
    pub done_line: Option<usize>,
    pub p1: p1::P1Lines,
    pub p2: Vec<p2::P2Run>,
    pub p4: Vec<p4::P4Line>,
    pub p5: Vec<p5::P5Run>,
    pub p6: Vec<p6::P6Sample>,
    pub p7: Option<p7::P7Mem>,
    pub p8: Vec<p8::P8Burst>,
    pub p9: Option<p9::P9Ci>,
    pub p10: Vec<p10::P10Spike>,
}

/// One measurement: what the report says about it, where its figures come from, and its
/// summary of an input (`None` when the input has no line for it).
pub struct Measure {
    pub about: &'static About,
    pub lines: Lines,
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
            Lines::Own(_) => self.about.id,
            Lines::Of { id, .. } => id,
        }
    }
}

/// A measurement's summary as the table holds it.
fn boxed<S: Summary + 'static>(s: Option<S>) -> Option<Box<dyn Summary>> {
    s.map(|s| Box::new(s) as Box<dyn Summary>)
}

/// Every measurement, in report order.
pub static MEASURES: [Measure; 10] = [
    Measure {
        about: &p1::ABOUT,
        lines: Lines::Own(|t, line, d| p1::parse(t, line, &mut d.p1)),
        summarize: |d| boxed(p1::P1Summary::new(&d.p1)),
    },
    Measure {
        about: &p2::ABOUT,
        lines: Lines::Own(|t, line, d| p2::parse(t, line, &mut d.p2)),
        summarize: |d| boxed(p2::P2Summary::new(&d.p2, &d.meta)),
    },
    Measure {
        about: &p3::ABOUT,
        lines: Lines::Of {
            id: "P2",
            why: p3::NO_LINES,
        },
        summarize: |d| boxed(p3::P3Summary::new(&d.p2, &d.meta)),
    },
    Measure {
        about: &p4::ABOUT,
        lines: Lines::Own(|t, line, d| p4::parse(t, line, &mut d.p4)),
        summarize: |d| boxed(p4::P4Summary::new(&d.p4)),
    },
    Measure {
        about: &p5::ABOUT,
        lines: Lines::Own(|t, line, d| p5::parse(t, line, &mut d.p5)),
        summarize: |d| boxed(p5::P5Summary::new(&d.p5)),
    },
    Measure {
        about: &p6::ABOUT,
        lines: Lines::Own(|t, line, d| p6::parse(t, line, &mut d.p6)),
        summarize: |d| boxed(p6::P6Summary::new(&d.p6)),
    },
    Measure {
        about: &p7::ABOUT,
        lines: Lines::Own(|t, line, d| p7::parse(t, line, &mut d.p7)),
        summarize: |d| boxed(p7::P7Summary::new(d.p7)),
    },
    Measure {
        about: &p8::ABOUT,
        lines: Lines::Own(|t, line, d| p8::parse(t, line, &mut d.p8)),
        summarize: |d| boxed(p8::P8Summary::new(&d.p8)),
    },
    Measure {
        about: &p9::ABOUT,
        lines: Lines::Own(|t, line, d| p9::parse(t, line, &mut d.p9)),
        summarize: |d| boxed(p9::P9Summary::new(d.p9)),
    },
    Measure {
        about: &p10::ABOUT,
        lines: Lines::Own(|t, line, d| p10::parse(t, line, &mut d.p10)),
        summarize: |d| boxed(p10::P10Summary::new(&d.p10)),
    },
];

/// Parses a whole input file. Lines that do not start with `bench: ` are skipped; trailing
/// blanks (a serial console's `\r`) are ignored.
pub fn parse(text: &str) -> Result<BenchData, LineError> {
    let mut data = BenchData::default();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let Some(rest) = raw.strip_prefix(PREFIX) else {
            continue;
        };
        parse_line(rest, line, &mut data).map_err(|msg| LineError { line, msg })?;
    }
    Ok(data)
}

/// Parses one line (without the prefix) into `data`.
fn parse_line(rest: &str, line: usize, data: &mut BenchData) -> Result<(), String> {
    let mut tokens = rest.split_ascii_whitespace();
    let Some(id) = tokens.next() else {
        return Err("no id after 'bench: '".to_string());
    };
    match id {
        "meta" => parse_meta(tokens, data),
        "note" => {
            let text = rest.trim_start().strip_prefix("note").unwrap_or_default();
            data.notes.push((line, text.trim().to_string()));
            Ok(())
        }
        "done" => {
            if let Some(t) = tokens.next() {
                return Err(format!("done takes no values, found '{t}'"));
            }
            data.done_line = Some(line);
            Ok(())
        }
        other => match MEASURES
            .iter()
            .find(|m| m.about.id == other)
            .map(|m| &m.lines)
        {
            Some(Lines::Own(parse)) => parse(tokens, line, data),
            Some(Lines::Of { why, .. }) => Err(why.to_string()),
            None => Err(format!("unknown id '{other}' (expected {})", line_ids())),
        },
    }
}

/// The ids a line can have: `meta, note, done, P1, P2, P4, … P9 or P10`.
fn line_ids() -> String {
    let mut ids = vec!["meta", "note", "done"];
    ids.extend(
        MEASURES
            .iter()
            .filter(|m| matches!(m.lines, Lines::Own(_)))
            .map(|m| m.about.id),
    );
    match ids.split_last() {
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

fn parse_meta(tokens: Tokens<'_>, data: &mut BenchData) -> Result<(), String> {
    for t in tokens {
        let (k, v) = split_pair("meta", t)?;
        match data.meta.iter().find(|(key, _)| key == k) {
            Some((_, old)) if old != v => {
                return Err(format!("meta: {k}={v} contradicts the earlier {k}={old}"))
            }
            Some(_) => {}
            None => data.meta.push((k.to_string(), v.to_string())),
        }
    }
    Ok(())
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
            .find(|(x, _)| x.about.id == m.about.id)
            .and_then(|(_, s)| s.as_deref())
    }

    /// Whether this is the host input.
    pub fn is_host(&self) -> bool {
        self.label == HOST
    }

    /// Whether the measurement belongs in this input: anything the input actually has; host
    /// ones in the host input; guest ones in guest inputs, but only those the guest was asked
    /// to run when its meta line lists them (`want=P2,P3,...`: a board-profile guest runs the
    /// measures that depend on memory shape, not the others).
    pub fn in_scope(&self, m: &Measure) -> bool {
        if self.summary(m).is_some() {
            return true;
        }
        if m.about.host != self.is_host() {
            return false;
        }
        match self.data.meta.iter().find(|(k, _)| k == "want") {
            Some((_, want)) => want.split(',').any(|id| id == m.about.id),
            None => true,
        }
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
        return Verdict::not_measured(if m.about.host {
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

    /// The measurement with the id.
    pub fn measure(id: &str) -> &'static Measure {
        MEASURES.iter().find(|m| m.about.id == id).unwrap()
    }

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
    use super::testing::{analysis, measure};
    use super::*;

    fn err(text: &str) -> LineError {
        parse(text).unwrap_err()
    }

    #[test]
    fn non_bench_lines_are_skipped_and_cr_is_ignored() {
        let d = parse(
            "[ 1.0] boot\nbench:P1 x\n  bench: P1 lat_ns=1\nbench: P1 lat_ns=5,6\r\n\
             bench: P1 floor reader=rt lat_ns=7\r\n",
        )
        .unwrap();
        assert_eq!(d.p1.normal.samples_ns, vec![5, 6]);
        assert_eq!(d.p1.rt.floor_ns, vec![7]);
        assert!(d.p2.is_empty());
    }

    #[test]
    fn a_guest_is_judged_on_what_it_was_asked_to_run() {
        let board = |want: &str| {
            Analysis::new(
                "board-x86_64",
                "b.txt",
                parse(&format!("bench: meta arch=x86_64{want}\n")).unwrap(),
            )
        };
        let (p1, p2, p9) = (
            testing::measure("P1"),
            testing::measure("P2"),
            testing::measure("P9"),
        );
        let b = board(" want=P2,P3,P6,P10");
        assert_eq!(b.verdict(p1), None, "P1 was not asked of it");
        assert_eq!(b.verdict(p2).unwrap().status, Status::NotMeasured);
        assert_eq!(b.verdict(p9), None, "a host measure");
        // Without want=, every guest measure is in scope (inputs from before it).
        assert_eq!(board("").verdict(p1).unwrap().status, Status::NotMeasured);
    }

    #[test]
    fn meta() {
        let d =
            parse("bench: meta arch=x86_64 kernel=7.3.4\nbench: meta arch=x86_64 smp=2\n").unwrap();
        assert_eq!(
            d.meta,
            vec![
                ("arch".to_string(), "x86_64".to_string()),
                ("kernel".to_string(), "7.3.4".to_string()),
                ("smp".to_string(), "2".to_string())
            ]
        );
        let e = err("bench: meta arch=x86_64\nbench: meta arch=arm64");
        assert!(e.msg.contains("contradicts"), "{e}");
    }

    #[test]
    fn errors_name_the_line_and_the_problem() {
        let e = err("boot\nbench: P1 lat_ns=1\nbench: Q7 x=1\n");
        assert_eq!(e.line, 3);
        assert_eq!(
            e.msg,
            "unknown id 'Q7' (expected meta, note, done, P1, P2, P4, P5, P6, P7, P8, P9 or P10)"
        );
        // P10 twice in one mode: the line of the repeat, naming the first.
        let e = err(
            "bench: P10 pcp=capped spike=2 pool_kib=1 held_kib=1 reach_kib=1 \
                     released_pages=1\nbench: P10 pcp=default spike=2 pool_kib=1 held_kib=1 \
                     reach_kib=1 released_pages=1\nbench: P10 pcp=capped spike=2 pool_kib=9 \
                     held_kib=9 reach_kib=9 released_pages=9\n",
        );
        assert_eq!(
            (e.line, e.msg.as_str()),
            (3, "P10: pcp=capped spike=2 already given on line 1")
        );
        let cases = [
            ("bench: ", "no id"),
            ("bench: P3 low_delay=1", "P3 has no lines"),
            ("bench: done 1", "done takes no values, found '1'"),
            (
                "bench: P4 storm=1 storm=1 rounds=2 max_ns=3 avg_ns=4",
                "storm= given twice",
            ),
            (
                "bench: P4 storm=1 rounds=x max_ns=3 avg_ns=4",
                "rounds=x: expected a whole number",
            ),
            (
                "bench: P4 storm=- rounds=1 max_ns=3 avg_ns=4",
                "storm=-: expected a whole number",
            ),
            (
                "bench: P4 storm=1 rounds= max_ns=3 avg_ns=4",
                "rounds= has no value",
            ),
            (
                "bench: P4 storm=1 rounds max_ns=3 avg_ns=4",
                "'rounds' is not key=value",
            ),
            ("bench: P4 storm=1 rounds=2 max_ns=3", "missing avg_ns="),
            (
                "bench: P8 readers=1 events=1 span_ms=inf lost=0",
                "span_ms=inf: expected a number",
            ),
            ("bench: meta arch", "'arch' is not key=value"),
            (
                "bench: P10 pcp=default spike=1 pool_kib=16384 held_kib=198000 reach_kib=212000",
                "P10: missing released_pages=",
            ),
            (
                "bench: P10 pcp=other spike=1 pool_kib=1 held_kib=1 reach_kib=1 released_pages=1",
                "P10: pcp=other: expected default or capped",
            ),
            (
                "bench: P10 pcp=capped spike=1 pool_kib=1 held_kib=x reach_kib=1 released_pages=1",
                "P10: held_kib=x: expected a whole number or '-'",
            ),
            (
                "bench: P10 spike=1 pool_kib=1 held_kib=1 reach_kib=1 released_pages=1",
                "P10: missing pcp=",
            ),
        ];
        for (line, want) in cases {
            let e = err(line);
            assert_eq!(e.line, 1, "{line}");
            assert!(e.msg.contains(want), "{line}: {e}");
        }
    }

    #[test]
    fn notes_and_done() {
        let d = parse(
            "bench: note P2 rate=50 run=3: the hog was not OOM-killed  \n\
             bench: note\n\
             bench: done\n",
        )
        .unwrap();
        assert_eq!(
            d.notes,
            vec![
                (
                    1,
                    "P2 rate=50 run=3: the hog was not OOM-killed".to_string()
                ),
                (2, String::new())
            ]
        );
        assert_eq!(d.done_line, Some(3));
        // A note is not a measurement.
        assert_eq!(parse("bench: note x\n").unwrap().p1, p1::P1Lines::default());
    }

    #[test]
    fn every_measure_has_texts() {
        for m in MEASURES.iter().map(|m| m.about) {
            assert!(!m.measure.is_empty() && !m.target.is_empty(), "{}", m.id);
            assert!(m.method.ends_with('.'), "{}", m.id);
            assert!(!m.method.contains('|'), "{}: would break a table", m.id);
        }
        // P3 comes from the P2 lines and has none of its own.
        assert_eq!(measure("P3").source(), "P2");
        assert_eq!(MEASURES.iter().filter(|m| m.about.host).count(), 1);
    }

    #[test]
    fn a_note_is_not_a_measurement() {
        let a = analysis("bench: note x\n");
        assert!(MEASURES.iter().all(|m| a.summary(m).is_none()));
    }

    #[test]
    fn scope_and_overall() {
        let x86 = || analysis("bench: P1 lat_ns=1\nbench: P1 floor reader=normal lat_ns=1\n");
        let arm = Analysis::new(
            "arm64",
            "a.txt",
            parse("bench: P1 lat_ns=2000000\nbench: P1 floor reader=normal lat_ns=500000\n")
                .unwrap(),
        );
        let host = Analysis::new(HOST, "h.txt", parse("").unwrap());
        // The host input is not judged on guest ids it lacks, nor guests on P9.
        assert_eq!(host.verdict(measure("P1")), None);
        assert_eq!(x86().verdict(measure("P9")), None);
        assert_eq!(
            host.verdict(measure("P9")).unwrap(),
            Verdict::not_measured("no P9 lines")
        );
        assert_eq!(
            x86().verdict(measure("P3")).unwrap(),
            Verdict::not_measured("no P2 lines")
        );
        assert_eq!(
            x86().verdict(measure("P10")).unwrap(),
            Verdict::not_measured("no P10 lines")
        );
        assert_eq!(host.verdict(measure("P10")), None);
        let all = [x86(), arm, host];
        let v = overall(&all, measure("P1"));
        assert_eq!(v.status, Status::Missed);
        assert_eq!(
            v.detail.as_deref(),
            Some(
                "arm64: normal: p50 2.0 ms, 4.0× its floor of 500.0 µs (goal 1.5×); \
                 normal: p99 2.0 ms, 4.0× its floor of 500.0 µs (goal 1.5×)"
            )
        );
        assert_eq!(
            overall(&all, measure("P4")),
            Verdict {
                status: Status::NotMeasured,
                detail: None
            }
        );
        let v = overall(&[x86(), analysis("")], measure("P1"));
        assert_eq!(
            (v.status, v.detail.as_deref()),
            (Status::Incomplete, Some("x86_64 not measured"))
        );
        assert_eq!(overall(&[x86()], measure("P1")), Verdict::met());
        // An input without the floor is not measured, whatever its readers show.
        let v = overall(&[x86(), analysis("bench: P1 lat_ns=1\n")], measure("P1"));
        assert_eq!(
            (v.status, v.detail.as_deref()),
            (Status::Incomplete, Some("x86_64 not measured"))
        );
        assert_eq!(
            overall(&[x86()], measure("P9")),
            Verdict::not_measured("no host input")
        );
    }
}
