//! P1, event latency from the kernel to the reader: `bench: P1 [reader=normal|rt]
//! lat_ns=N,N,...` lines with the samples of one reader, and `bench: P1 done [reader=...]
//! events=N lost=N` with its totals. Two readers follow the same runs; the normal one is judged.

use crate::input::{Fields, Tokens};
use crate::measure::{times_target, About, Summary, Verdict};
use crate::stats::nearest_rank;
use crate::table::{n_int, n_us, table};
use crate::units;
use serde_json::{json, Map, Value};

/// What the report says about P1.
pub const ABOUT: About = About {
    id: "P1",
    host: false,
    measure: "Event latency, kernel → reader",
    target: "p50 ≤ 100 µs, p99 ≤ 1 ms",
    method: "\
Each sample is one record's delivery latency: the reader's CLOCK_MONOTONIC when it decoded \
the record, right after read() returned it, minus the record's time_ns, stamped by the module \
when the event happened, in ns. Two readers follow the same runs side by side (the P2 runs \
and P4 storms 1 and 4), each keeping the latencies of up to 65536 records: `normal` is the \
reader with its default settings (a normal CFS task, its memory mlocked as it is by \
default), `rt` the same reader with `--rt-priority 1` (its reading thread under SCHED_FIFO \
1). The verdict judges `normal`, the default configuration; `rt` is shown beside it, not \
judged. Why they differ: the kernel 7.3 guest uses PREEMPT_LAZY at HZ=250, so a normal task \
woken while the CPU is busy in the kernel (for example with the hog's page faults and \
reclaim) waits for the next tick, up to 4 ms, before it runs; a SCHED_FIFO thread preempts at \
once. The percentiles are nearest-rank over each reader's samples. Events counts the \
samples; lost is the reader's count of records the ring dropped before it read them. Lines \
without `reader=` (inputs from before there were two readers) count as `normal`.",
    definitions: &[(
        "P1.readers",
        "normal: the reader with its default settings (a normal CFS task, memory mlocked), \
         judged; rt: the same reader with --rt-priority 1 (its reading thread under SCHED_FIFO \
         1), shown beside it; both follow the same runs. A reader is null when the input has no \
         line of it",
    )],
};

/// The p50 target in ns.
const P50_MAX_NS: u64 = 100_000;

/// The p99 target in ns.
const P99_MAX_NS: u64 = 1_000_000;

/// The P1 reader a latency line comes from: both follow the same runs, side by side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    /// The reader with its default settings (a normal CFS task, memory mlocked); `reader=normal`
    /// or no `reader=` at all. The verdict judges this one.
    Normal,
    /// The same reader with `--rt-priority 1` (its reading thread under SCHED_FIFO 1);
    /// `reader=rt`.
    Rt,
}

impl Reader {
    /// Both readers, the judged one first.
    pub const ALL: [Reader; 2] = [Reader::Normal, Reader::Rt];

    /// The reader as written in the lines: `normal`, `rt`.
    pub fn name(self) -> &'static str {
        match self {
            Reader::Normal => "normal",
            Reader::Rt => "rt",
        }
    }

    /// The reader's settings, for prose: `default`, `--rt-priority 1`.
    pub fn settings(self) -> &'static str {
        match self {
            Reader::Normal => "default",
            Reader::Rt => "--rt-priority 1",
        }
    }
}

/// Everything the P1 lines of one reader hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReaderLines {
    /// Latency samples in ns, concatenated in line order.
    pub samples_ns: Vec<u64>,
    /// How many `P1 lat_ns=` lines there were.
    pub sample_lines: usize,
    pub done: Option<P1Done>,
}

impl ReaderLines {
    /// Whether the reader has any line.
    pub fn is_present(&self) -> bool {
        self.sample_lines > 0 || self.done.is_some()
    }
}

/// The totals of a `P1 done` line (summed if there are several).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct P1Done {
    pub events: Option<u64>,
    pub lost: Option<u64>,
}

/// Everything the P1 lines hold, per reader.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct P1Lines {
    /// The normal reader's lines (`reader=normal` or no `reader=`).
    pub normal: ReaderLines,
    /// The `reader=rt` reader's lines.
    pub rt: ReaderLines,
}

impl P1Lines {
    /// The lines of one reader.
    pub fn get(&self, r: Reader) -> &ReaderLines {
        match r {
            Reader::Normal => &self.normal,
            Reader::Rt => &self.rt,
        }
    }

    fn get_mut(&mut self, r: Reader) -> &mut ReaderLines {
        match r {
            Reader::Normal => &mut self.normal,
            Reader::Rt => &mut self.rt,
        }
    }
}

/// Absent: the normal reader (inputs from before there were two).
const OPTIONAL: &[&str] = &["reader"];

/// The optional `reader=` of a P1 line: absent is the normal reader.
fn reader(f: &Fields<'_>) -> Result<Reader, String> {
    if f.get("reader").is_none() {
        return Ok(Reader::Normal);
    }
    f.choice("reader", &[("normal", Reader::Normal), ("rt", Reader::Rt)])
}

/// Parses a `P1 lat_ns=` or a `P1 done` line: samples concatenate, totals add up.
pub fn parse(tokens: Tokens<'_>, _line: usize, all: &mut P1Lines) -> Result<(), String> {
    let mut tokens = tokens.peekable();
    if tokens.next_if_eq(&"done").is_some() {
        let f = Fields::new("P1 done", &["events", "lost"], OPTIONAL, tokens)?;
        let reader = reader(&f)?;
        let done = P1Done {
            events: f.opt_u64("events")?,
            lost: f.opt_u64("lost")?,
        };
        let sum = |a: Option<u64>, b: Option<u64>| a.zip(b).map(|(a, b)| a.saturating_add(b));
        let lines = all.get_mut(reader);
        lines.done = Some(match lines.done {
            None => done,
            Some(d) => P1Done {
                events: sum(d.events, done.events),
                lost: sum(d.lost, done.lost),
            },
        });
    } else {
        let f = Fields::new("P1", &["lat_ns"], OPTIONAL, tokens)?;
        let reader = reader(&f)?;
        let v = f.raw("lat_ns")?;
        let lines = all.get_mut(reader);
        if v != "-" {
            for s in v.split(',') {
                let ns = s.parse::<u64>().map_err(|_| {
                    format!("P1: lat_ns: '{s}' is not a whole number of ns (expected a comma-separated list such as lat_ns=12000,15000)")
                })?;
                lines.samples_ns.push(ns);
            }
        }
        lines.sample_lines += 1;
    }
    Ok(())
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
    fn new(reader: Reader, lines: &ReaderLines) -> Self {
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
    pub fn new(all: &P1Lines) -> Option<Self> {
        let readers: Vec<P1Reader> = Reader::ALL
            .iter()
            .filter(|&&r| all.get(r).is_present())
            .map(|&r| P1Reader::new(r, all.get(r)))
            .collect();
        (!readers.is_empty()).then_some(Self { readers })
    }

    /// One reader's figures, if it has lines.
    pub fn reader(&self, r: Reader) -> Option<&P1Reader> {
        self.readers.iter().find(|x| x.reader == r)
    }
}

impl Summary for P1Summary {
    /// Judged on the normal reader alone: the default configuration.
    fn verdict(&self) -> Verdict {
        let Some(p) = self.reader(Reader::Normal).and_then(|r| r.percentiles) else {
            return Verdict::not_measured("no latency samples from the default (normal) reader");
        };
        let mut missed = Vec::new();
        if p.p50 > P50_MAX_NS {
            missed.push(format!(
                "p50 {}, {}",
                units::dur_ns(p.p50 as f64),
                times_target(p.p50 as f64, P50_MAX_NS as f64, "100 µs")
            ));
        }
        if p.p99 > P99_MAX_NS {
            missed.push(format!(
                "p99 {}, {}",
                units::dur_ns(p.p99 as f64),
                times_target(p.p99 as f64, P99_MAX_NS as f64, "1 ms")
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

    fn markdown(&self, out: &mut String) {
        let rows: Vec<Vec<String>> = self
            .readers
            .iter()
            .map(|r| {
                let p = r.percentiles;
                vec![
                    reader_name(r.reader),
                    units::int(r.samples_ns.len() as u64),
                    n_us(p.map(|p| p.p50)),
                    n_us(p.map(|p| p.p90)),
                    n_us(p.map(|p| p.p99)),
                    n_us(p.map(|p| p.max)),
                    n_int(r.done.and_then(|d| d.events)),
                    n_int(r.done.and_then(|d| d.lost)),
                ]
            })
            .collect();
        table(
            out,
            &[
                "Reader",
                "Samples",
                "p50 (µs)",
                "p90 (µs)",
                "p99 (µs)",
                "Max (µs)",
                "Events",
                "Lost",
            ],
            &rows,
        );
        for r in Reader::ALL.iter().filter(|&&r| self.reader(r).is_none()) {
            out.push_str(&format!(
                "Not measured: no P1 lines of the {} reader.\n\n",
                r.name()
            ));
        }
    }

    fn json(&self) -> Value {
        let mut m = Map::new();
        m.insert("judged".to_string(), json!(Reader::Normal.name()));
        for r in Reader::ALL {
            m.insert(
                r.name().to_string(),
                self.reader(r).map_or(Value::Null, p1_reader),
            );
        }
        Value::Object(m)
    }
}

/// The P1 reader as its table row names it.
fn reader_name(r: Reader) -> String {
    match r {
        Reader::Normal => "normal (default, judged)".to_string(),
        Reader::Rt => format!("rt (`{}`)", r.settings()),
    }
}

/// One reader's samples and figures in the JSON.
fn p1_reader(r: &P1Reader) -> Value {
    let p = r.percentiles;
    json!({
        "settings": r.reader.settings(),
        "samples_ns": r.samples_ns,
        "n": r.samples_ns.len(),
        "p50_ns": p.map(|p| p.p50),
        "p90_ns": p.map(|p| p.p90),
        "p99_ns": p.map(|p| p.p99),
        "max_ns": p.map(|p| p.max),
        "p50_us": units::ns_to_us(p.map(|p| p.p50)),
        "p90_us": units::ns_to_us(p.map(|p| p.p90)),
        "p99_us": units::ns_to_us(p.map(|p| p.p99)),
        "max_us": units::ns_to_us(p.map(|p| p.max)),
        "events": r.done.and_then(|d| d.events),
        "lost": r.done.and_then(|d| d.lost),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::testing::markdown;
    use crate::measure::Status;
    use crate::report::parse;
    use crate::report::testing::{headline, measure, verdict};

    fn summary(text: &str) -> P1Summary {
        P1Summary::new(&parse(text).unwrap().p1).unwrap()
    }

    #[test]
    fn p1_samples_concatenate_and_done_lines_sum() {
        let d = parse(
            "bench: P1 lat_ns=3,1\nbench: P1 lat_ns=2\nbench: P1 lat_ns=-\n\
             bench: P1 done events=3 lost=0\nbench: P1 done events=4 lost=2\n",
        )
        .unwrap();
        assert_eq!(d.p1.normal.samples_ns, vec![3, 1, 2]);
        assert_eq!(d.p1.normal.sample_lines, 3);
        assert_eq!(
            d.p1.normal.done,
            Some(P1Done {
                events: Some(7),
                lost: Some(2)
            })
        );
        assert_eq!(d.p1.rt, ReaderLines::default());
        assert!(P1Summary::new(&d.p1).is_some());
    }

    #[test]
    fn p1_readers_are_kept_apart() {
        let d = parse(
            "bench: P1 reader=normal lat_ns=3,1\nbench: P1 reader=rt lat_ns=9\n\
             bench: P1 lat_ns=2\nbench: P1 lat_ns=4 reader=rt\n\
             bench: P1 done reader=normal events=3 lost=0\nbench: P1 done reader=rt events=2 lost=1\n",
        )
        .unwrap();
        assert_eq!(d.p1.get(Reader::Normal).samples_ns, vec![3, 1, 2]);
        assert_eq!(d.p1.get(Reader::Rt).samples_ns, vec![9, 4]);
        assert_eq!(
            (
                d.p1.get(Reader::Normal).sample_lines,
                d.p1.get(Reader::Rt).sample_lines
            ),
            (2, 2)
        );
        assert_eq!(
            d.p1.get(Reader::Rt).done,
            Some(P1Done {
                events: Some(2),
                lost: Some(1)
            })
        );
        assert_eq!(d.p1.get(Reader::Normal).done.unwrap().events, Some(3));
        // An rt reader alone is a P1 measurement too.
        let d = parse("bench: P1 done reader=rt events=0 lost=0\n").unwrap();
        assert!(
            P1Summary::new(&d.p1).is_some() && !d.p1.normal.is_present() && d.p1.rt.is_present()
        );
    }

    #[test]
    fn p1_percentiles_and_targets() {
        let s = summary(
            "bench: P1 lat_ns=12000,15000,20000,30000,40000\n\
             bench: P1 lat_ns=50000,60000,70000,80000,1800000\nbench: P1 done events=10 lost=1\n",
        );
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
        let v = verdict("bench: P1 lat_ns=150000,900000\n", measure("P1"));
        assert_eq!(
            v.detail.as_deref(),
            Some("p50 150.0 µs, 1.5× the 100 µs target")
        );
        assert_eq!(
            verdict("bench: P1 lat_ns=1\n", measure("P1")),
            Verdict::met()
        );
        assert_eq!(
            verdict("bench: P1 done events=0 lost=0\n", measure("P1")).status,
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
        let s = summary(text);
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
        assert_eq!(verdict(&swapped, measure("P1")), Verdict::met());
        // rt lines alone are measured, but the default reader is not.
        let rt_only = "bench: P1 reader=rt lat_ns=1000\n";
        assert_eq!(
            verdict(rt_only, measure("P1")),
            Verdict::not_measured("no latency samples from the default (normal) reader")
        );
        assert_eq!(
            headline(rt_only, measure("P1")),
            "default: no samples; --rt-priority 1: p50 1.0 µs, p99 1.0 µs (n = 1)"
        );
    }

    #[test]
    fn malformed_lines() {
        for (line, want) in [
            ("bench: P1 lat_ns=1,,2", "'' is not a whole number"),
            ("bench: P1 lat_ns=1.5", "'1.5' is not a whole number"),
            ("bench: P1 done events=1", "missing lost="),
            (
                "bench: P1 reader=fifo lat_ns=1",
                "reader=fifo: expected normal or rt",
            ),
            (
                "bench: P1 reader=rt reader=rt lat_ns=1",
                "reader= given twice",
            ),
            (
                "bench: P1 done reader=- events=1 lost=0",
                "reader=-: expected normal or rt",
            ),
            (
                "bench: P1 lat_ns=1 x=2",
                "unknown key 'x' (expected lat_ns; optional reader)",
            ),
        ] {
            let e = parse(line).unwrap_err();
            assert!(e.msg.contains(want), "{line}: {e}");
        }
    }

    #[test]
    fn readers_side_by_side() {
        let s = summary(
            "bench: P1 reader=normal lat_ns=6500000,114000000\n\
             bench: P1 reader=rt lat_ns=40000,90000\n\
             bench: P1 done reader=normal events=2 lost=0\n\
             bench: P1 done reader=rt events=2 lost=0\n",
        );
        assert_eq!(
            markdown(&s),
            "| Reader | Samples | p50 (µs) | p90 (µs) | p99 (µs) | Max (µs) | Events | Lost |\n\
             | --- | --- | --- | --- | --- | --- | --- | --- |\n\
             | normal (default, judged) | 2 | 6500.0 | 114000.0 | 114000.0 | 114000.0 | 2 | 0 |\n\
             | rt (`--rt-priority 1`) | 2 | 40.0 | 90.0 | 90.0 | 90.0 | 2 | 0 |\n\n"
        );
        assert_eq!(
            s.headline(),
            "default p50 6.5 ms, p99 114.0 ms (n = 2); \
             --rt-priority 1: p50 40.0 µs, p99 90.0 µs (n = 2)"
        );
        assert_eq!(
            s.verdict().detail.as_deref(),
            Some("p50 6.5 ms, 65.0× the 100 µs target; p99 114.0 ms, 114.0× the 1 ms target")
        );
        let v = s.json();
        assert_eq!(v["judged"], json!("normal"));
        assert_eq!(v["normal"]["samples_ns"], json!([6500000, 114000000]));
        assert_eq!(v["rt"]["samples_ns"], json!([40000, 90000]));
        assert_eq!(v["rt"]["settings"], json!("--rt-priority 1"));
        assert_eq!(v["rt"]["p99_us"], json!(90.0));
        assert_eq!(v["rt"]["events"], json!(2));
        // A reader without lines is null in the JSON and named in the Markdown.
        let s = summary("bench: P1 lat_ns=1\n");
        assert_eq!(s.json()["rt"], Value::Null);
        assert!(markdown(&s).ends_with("Not measured: no P1 lines of the rt reader.\n\n"));
    }
}
