//! P1, event latency from the kernel to the reader, judged against the wake-up floor measured
//! beside it: `bench: P1 [reader=normal|rt] lat_ns=N,N,...` lines with the samples of one
//! reader, `bench: P1 done [reader=...] events=N lost=N` with its totals, and `bench: P1 floor
//! reader=normal|rt lat_ns=N,N,...` with the samples of the floor measured beside that reader.
//! Two readers follow the same runs; each is judged against its own floor.

use crate::input::{Fields, Tokens};
use crate::measure::{times_floor, About, Summary, Verdict};
use crate::stats::nearest_rank;
use crate::table::{n_int, n_us, table};
use crate::units;
use serde_json::{json, Map, Value};

/// What the report says about P1.
pub const ABOUT: About = About {
    id: "P1",
    host: false,
    measure: "Event latency, kernel → reader",
    target: "p50 and p99 ≤ 1.5× the wake-up floor measured beside the reader",
    method: "\
Each sample is one record's delivery latency: the reader's CLOCK_MONOTONIC when it decoded \
the record, right after read() returned it, minus the record's time_ns, stamped by the module \
when the event happened, in ns. Two readers follow the same runs side by side (the P2 runs \
and P4 storms 1 and 4), each keeping the latencies of up to 65536 records: `normal` is the \
reader with its default settings (a normal CFS task, its memory mlocked as it is by \
default), `rt` the same reader with `--rt-priority 1` (its reading thread under SCHED_FIFO \
1). Beside each reader runs `wakefloor`, which measures the guest's kernel → user wake-up \
floor through the same runs: a writer thread pinned to CPU 0 writes to a pipe after a random \
gap of 1 to 9 ms, so never in step with the tick, and so wakes a reading thread pinned to CPU \
1 that is blocked in read() on that pipe; each floor sample is the time from the write to the \
return of read(), in ns. The floor's reading thread has the scheduling class of the reader it \
sits beside: a normal CFS task beside `normal`, SCHED_FIFO 1 beside `rt`. The floor is a \
wake-up alone, with no module, ring or record in it, under the same load at the same times. \
Both readers are judged, each against its own floor: its p50 over the floor's p50 and its p99 \
over the floor's p99 must both be at most 1.5. Emulation slows every wake-up, the floor's as \
much as the reader's, so the ratio of the two, taken in the same runs, is what carries from \
an emulated machine to a board; the absolute times are context only. Why the readers differ: \
the kernel 7.3 guest uses PREEMPT_LAZY at HZ=250, so a normal task woken while the CPU is \
busy in the kernel (for example with the hog's page faults and reclaim) waits for the next \
tick, up to 4 ms, before it runs; a SCHED_FIFO thread preempts at once. The floor beside each \
reader waits in the same way, which is why it has the reader's class. The percentiles are \
nearest-rank over each reader's samples and, apart, over its floor's samples. Events counts \
the samples; lost is the reader's count of records the ring dropped before it read them. \
Lines without `reader=` (inputs from before there were two readers) count as `normal`; floor \
lines name their reader.",
    definitions: &[
        (
            "P1.readers",
            "normal: the reader with its default settings (a normal CFS task, memory mlocked); \
             rt: the same reader with --rt-priority 1 (its reading thread under SCHED_FIFO 1); \
             both follow the same runs and both are judged, each against the floor measured \
             beside it. A reader is null when the input has no line of it",
        ),
        (
            "P1.floor",
            "the kernel → user wake-up floor measured by wakefloor beside a reader, through the \
             same runs: a reading thread pinned to CPU 1, blocked in read() on a pipe, woken by \
             a write from a thread pinned to CPU 0 after a random gap of 1 to 9 ms; the reading \
             thread has the reader's scheduling class (SCHED_FIFO 1 beside rt). Samples in line \
             order, nearest-rank percentiles; null when the input has no floor line of the reader",
        ),
        (
            "P1.ratio",
            "ratio_p50: the reader's p50_ns / its floor's p50_ns; ratio_p99: the reader's p99_ns \
             / its floor's p99_ns; rounded to 2 decimals, null when either side has no samples \
             or the floor's percentile is 0. goal_ratio: the most each ratio may be",
        ),
    ],
};

/// The most a reader's p50 and p99 may be, as multiples of its floor's.
const GOAL_RATIO: f64 = 1.5;

/// The P1 reader a latency line comes from: both follow the same runs, side by side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    /// The reader with its default settings (a normal CFS task, memory mlocked); `reader=normal`
    /// or, on its own lines, no `reader=` at all.
    Normal,
    /// The same reader with `--rt-priority 1` (its reading thread under SCHED_FIFO 1);
    /// `reader=rt`.
    Rt,
}

impl Reader {
    /// Both readers, the default one first.
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

/// Everything the P1 lines of one reader hold, with the floor measured beside it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReaderLines {
    /// Latency samples in ns, concatenated in line order.
    pub samples_ns: Vec<u64>,
    /// How many `P1 lat_ns=` lines there were.
    pub sample_lines: usize,
    pub done: Option<P1Done>,
    /// Wake-up floor samples in ns, concatenated in line order.
    pub floor_ns: Vec<u64>,
    /// How many `P1 floor` lines there were.
    pub floor_lines: usize,
}

impl ReaderLines {
    /// Whether the reader has any line, its floor's included.
    pub fn is_present(&self) -> bool {
        self.sample_lines > 0 || self.done.is_some() || self.floor_lines > 0
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

/// The readers as `reader=` names them.
const READERS: &[(&str, Reader)] = &[("normal", Reader::Normal), ("rt", Reader::Rt)];

/// The optional `reader=` of a reader's line: absent is the normal reader.
fn reader(f: &Fields<'_>) -> Result<Reader, String> {
    if f.get("reader").is_none() {
        return Ok(Reader::Normal);
    }
    f.choice("reader", READERS)
}

/// Appends the samples of a `lat_ns=` value of a `what` line; `-` holds none.
fn push_samples(what: &str, v: &str, to: &mut Vec<u64>) -> Result<(), String> {
    if v == "-" {
        return Ok(());
    }
    for s in v.split(',') {
        let ns = s.parse::<u64>().map_err(|_| {
            format!("{what}: lat_ns: '{s}' is not a whole number of ns (expected a comma-separated list such as lat_ns=12000,15000)")
        })?;
        to.push(ns);
    }
    Ok(())
}

/// Parses a `P1 lat_ns=`, a `P1 done` or a `P1 floor` line: samples concatenate, totals add
/// up.
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
    } else if tokens.next_if_eq(&"floor").is_some() {
        const WHAT: &str = "P1 floor";
        let f = Fields::new(WHAT, &["reader", "lat_ns"], &[], tokens)?;
        if f.get("reader").is_none() {
            return Err(format!(
                "{WHAT}: missing reader= (the reader the floor was measured beside: normal or rt)"
            ));
        }
        let reader = f.choice("reader", READERS)?;
        let v = f.raw("lat_ns")?;
        let lines = all.get_mut(reader);
        push_samples(WHAT, v, &mut lines.floor_ns)?;
        lines.floor_lines += 1;
    } else {
        let f = Fields::new("P1", &["lat_ns"], OPTIONAL, tokens)?;
        let reader = reader(&f)?;
        let v = f.raw("lat_ns")?;
        let lines = all.get_mut(reader);
        push_samples("P1", v, &mut lines.samples_ns)?;
        lines.sample_lines += 1;
    }
    Ok(())
}

/// P1: one reader's kernel → reader latencies and the wake-up floor beside it, in ns.
#[derive(Debug, Clone, PartialEq)]
pub struct P1Reader {
    pub reader: Reader,
    /// The raw samples in input order.
    pub samples_ns: Vec<u64>,
    pub percentiles: Option<P1Percentiles>,
    pub done: Option<P1Done>,
    /// The floor's raw samples in input order.
    pub floor_ns: Vec<u64>,
    /// How many floor lines there were: with none the floor is absent from the JSON.
    pub floor_lines: usize,
    /// The floor's percentiles; `None` without floor samples.
    pub floor: Option<P1Percentiles>,
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

impl P1Percentiles {
    /// The percentiles of the samples; `None` if there are none.
    fn of(samples_ns: &[u64]) -> Option<Self> {
        let mut sorted = samples_ns.to_vec();
        sorted.sort_unstable();
        let pct = |p| nearest_rank(&sorted, p);
        match (pct(50), pct(90), pct(99), sorted.last()) {
            (Some(p50), Some(p90), Some(p99), Some(&max)) => Some(Self {
                n: sorted.len(),
                p50,
                p90,
                p99,
                max,
            }),
            _ => None,
        }
    }
}

/// A reader's percentile over its floor's; `None` when either is missing or the floor's is 0.
fn ratio(value: Option<u64>, floor: Option<u64>) -> Option<f64> {
    match (value, floor) {
        (Some(v), Some(f)) if f > 0 => Some(v as f64 / f as f64),
        _ => None,
    }
}

impl P1Reader {
    fn new(reader: Reader, lines: &ReaderLines) -> Self {
        Self {
            reader,
            samples_ns: lines.samples_ns.clone(),
            percentiles: P1Percentiles::of(&lines.samples_ns),
            done: lines.done,
            floor_ns: lines.floor_ns.clone(),
            floor_lines: lines.floor_lines,
            floor: P1Percentiles::of(&lines.floor_ns),
        }
    }

    /// The reader's p50 over its floor's p50.
    pub fn ratio_p50(&self) -> Option<f64> {
        ratio(self.percentiles.map(|p| p.p50), self.floor.map(|p| p.p50))
    }

    /// The reader's p99 over its floor's p99.
    pub fn ratio_p99(&self) -> Option<f64> {
        ratio(self.percentiles.map(|p| p.p99), self.floor.map(|p| p.p99))
    }

    /// The reader's misses against its floor, and what could not be judged; nothing for a
    /// reader without samples.
    fn judge(&self, missed: &mut Vec<String>, unmeasured: &mut Vec<String>) {
        let name = self.reader.name();
        let Some(p) = self.percentiles else {
            return;
        };
        let Some(f) = self.floor else {
            unmeasured.push(format!("no floor samples beside the {name} reader"));
            return;
        };
        for (what, value, floor, ratio) in [
            ("p50", p.p50, f.p50, self.ratio_p50()),
            ("p99", p.p99, f.p99, self.ratio_p99()),
        ] {
            match ratio {
                Some(r) if r > GOAL_RATIO => missed.push(format!(
                    "{name}: {what} {}, {}",
                    units::dur_ns(value as f64),
                    times_floor(r, &units::dur_ns(floor as f64), GOAL_RATIO)
                )),
                Some(_) => {}
                None => unmeasured.push(format!("{name}: the floor's {what} is 0 ns, no ratio")),
            }
        }
    }

    /// `p50 40.0 µs = 2.0× floor 20.0 µs, p99 1.5 ms = 1.2× floor 1.2 ms (n = 10)`, with
    /// `, no floor` if it has no floor samples and `, N lost` if the reader lost records.
    fn headline(&self) -> String {
        let Some(p) = self.percentiles else {
            return "no samples".to_string();
        };
        let part = |what: &str, value: u64, floor: Option<u64>, ratio: Option<f64>| {
            let value = units::dur_ns(value as f64);
            match (floor, ratio) {
                (Some(f), Some(r)) => format!(
                    "{what} {value} = {} floor {}",
                    units::ratio(r),
                    units::dur_ns(f as f64)
                ),
                _ => format!("{what} {value}"),
            }
        };
        let mut s = format!(
            "{}, {} (n = {})",
            part("p50", p.p50, self.floor.map(|f| f.p50), self.ratio_p50()),
            part("p99", p.p99, self.floor.map(|f| f.p99), self.ratio_p99()),
            units::int(p.n as u64)
        );
        if self.floor.is_none() {
            s.push_str(", no floor");
        }
        if let Some(lost @ 1..) = self.done.and_then(|d| d.lost) {
            s.push_str(&format!(", {} lost", units::int(lost)));
        }
        s
    }
}

/// P1: kernel → reader latency of the two readers that follow the same runs.
#[derive(Debug, Clone, PartialEq)]
pub struct P1Summary {
    /// The readers that have lines, in `Reader::ALL` order (the default one first).
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
    /// Every reader with samples against its own floor; not measured without samples of the
    /// default reader or without the floor of a reader that has samples.
    fn verdict(&self) -> Verdict {
        if self
            .reader(Reader::Normal)
            .and_then(|r| r.percentiles)
            .is_none()
        {
            return Verdict::not_measured("no latency samples from the default (normal) reader");
        }
        let mut missed = Vec::new();
        let mut unmeasured = Vec::new();
        for r in &self.readers {
            r.judge(&mut missed, &mut unmeasured);
        }
        Verdict::from_parts_or_not_measured(missed, unmeasured)
    }

    /// `default p50 … = 3.1× floor …, p99 … = 12.0× floor … (n = …); --rt-priority 1: p50 …`:
    /// the default reader always (`no samples` if it has none), the rt one if it has lines.
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
        let ratio = |r: Option<f64>| units::opt(r, units::ratio2);
        let rows: Vec<Vec<String>> = self
            .readers
            .iter()
            .map(|r| {
                let p = r.percentiles;
                let f = r.floor;
                vec![
                    reader_name(r.reader),
                    units::int(r.samples_ns.len() as u64),
                    n_us(p.map(|p| p.p50)),
                    n_us(p.map(|p| p.p99)),
                    units::int(r.floor_ns.len() as u64),
                    n_us(f.map(|f| f.p50)),
                    n_us(f.map(|f| f.p99)),
                    ratio(r.ratio_p50()),
                    ratio(r.ratio_p99()),
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
                "p99 (µs)",
                "Floor samples",
                "Floor p50 (µs)",
                "Floor p99 (µs)",
                "p50 ÷ floor",
                "p99 ÷ floor",
                "Max (µs)",
                "Events",
                "Lost",
            ],
            &rows,
        );
        for r in Reader::ALL {
            let name = r.name();
            match self.reader(r) {
                None => out.push_str(&format!(
                    "Not measured: no P1 lines of the {name} reader.\n\n"
                )),
                Some(x) if x.percentiles.is_some() && x.floor_lines == 0 => {
                    out.push_str(&format!("No floor lines for the {name} reader.\n\n"))
                }
                Some(x) if x.percentiles.is_some() && x.floor.is_none() => out.push_str(&format!(
                    "No floor samples for the {name} reader: its floor lines hold none.\n\n"
                )),
                Some(_) => {}
            }
        }
    }

    fn json(&self) -> Value {
        let mut m = Map::new();
        m.insert("judged".to_string(), json!(Reader::ALL.map(|r| r.name())));
        m.insert("goal_ratio".to_string(), json!(GOAL_RATIO));
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
        Reader::Normal => "normal (default)".to_string(),
        Reader::Rt => format!("rt (`{}`)", r.settings()),
    }
}

/// Samples and their percentiles in the JSON: `samples_ns`, `n`, `p50_ns` … `max_us`.
fn latencies(samples_ns: &[u64], p: Option<P1Percentiles>) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("samples_ns".to_string(), json!(samples_ns));
    m.insert("n".to_string(), json!(samples_ns.len()));
    for (key, v) in [
        ("p50", p.map(|p| p.p50)),
        ("p90", p.map(|p| p.p90)),
        ("p99", p.map(|p| p.p99)),
        ("max", p.map(|p| p.max)),
    ] {
        m.insert(format!("{key}_ns"), json!(v));
        m.insert(format!("{key}_us"), json!(units::ns_to_us(v)));
    }
    m
}

/// One reader's samples and figures, its floor's and the ratios, in the JSON.
fn p1_reader(r: &P1Reader) -> Value {
    let mut m = latencies(&r.samples_ns, r.percentiles);
    m.insert("settings".to_string(), json!(r.reader.settings()));
    m.insert("events".to_string(), json!(r.done.and_then(|d| d.events)));
    m.insert("lost".to_string(), json!(r.done.and_then(|d| d.lost)));
    let floor = if r.floor_lines == 0 {
        Value::Null
    } else {
        Value::Object(latencies(&r.floor_ns, r.floor))
    };
    m.insert("floor".to_string(), floor);
    m.insert(
        "ratio_p50".to_string(),
        json!(r.ratio_p50().map(units::round2)),
    );
    m.insert(
        "ratio_p99".to_string(),
        json!(r.ratio_p99().map(units::round2)),
    );
    Value::Object(m)
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

    /// `text`'s P1 verdict detail.
    fn detail(text: &str) -> Option<String> {
        summary(text).verdict().detail
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
        assert_eq!(
            (d.p1.normal.floor_ns.len(), d.p1.normal.floor_lines),
            (0, 0)
        );
        assert_eq!(d.p1.rt, ReaderLines::default());
        assert!(P1Summary::new(&d.p1).is_some());
    }

    #[test]
    fn p1_floor_lines_concatenate_per_reader() {
        let d = parse(
            "bench: P1 floor reader=normal lat_ns=3,1\nbench: P1 floor reader=rt lat_ns=9\n\
             bench: note wakefloor: 3 samples\nbench: P1 floor reader=normal lat_ns=-\n\
             bench: P1 floor lat_ns=4 reader=normal\nbench: P1 reader=normal lat_ns=7\n\
             bench: P1 floor reader=rt lat_ns=8,10\n",
        )
        .unwrap();
        assert_eq!(d.p1.normal.floor_ns, vec![3, 1, 4]);
        assert_eq!(d.p1.normal.floor_lines, 3);
        assert_eq!(d.p1.rt.floor_ns, vec![9, 8, 10]);
        assert_eq!(d.p1.rt.floor_lines, 2);
        // Floor lines are not the reader's samples.
        assert_eq!(d.p1.normal.samples_ns, vec![7]);
        assert!(d.p1.rt.samples_ns.is_empty() && d.p1.rt.sample_lines == 0);
        let s = P1Summary::new(&d.p1).unwrap();
        let n = s.reader(Reader::Normal).unwrap();
        assert_eq!(
            n.floor,
            Some(P1Percentiles {
                n: 3,
                p50: 3,
                p90: 4,
                p99: 4,
                max: 4
            })
        );
        assert_eq!(n.floor_ns, vec![3, 1, 4]);
        // Floor lines alone make a reader present, though there is nothing to judge.
        let s = summary("bench: P1 floor reader=rt lat_ns=5\n");
        assert!(s.reader(Reader::Rt).is_some() && s.reader(Reader::Normal).is_none());
        assert_eq!(
            s.verdict(),
            Verdict::not_measured("no latency samples from the default (normal) reader")
        );
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
    fn p1_percentiles_ratios_and_a_miss_on_p99() {
        let s = summary(
            "bench: P1 lat_ns=12000,15000,20000,30000,40000\n\
             bench: P1 lat_ns=50000,60000,70000,80000,1800000\nbench: P1 done events=10 lost=1\n\
             bench: P1 floor reader=normal lat_ns=10000,20000,30000,40000\n\
             bench: P1 floor reader=normal lat_ns=1000000\n",
        );
        // Lines without `reader=` are the normal reader's.
        let r = s.reader(Reader::Normal).unwrap();
        assert_eq!(
            r.percentiles,
            Some(P1Percentiles {
                n: 10,
                p50: 40000,
                p90: 80000,
                p99: 1_800_000,
                max: 1_800_000
            })
        );
        assert_eq!(
            r.floor,
            Some(P1Percentiles {
                n: 5,
                p50: 30000,
                p90: 1_000_000,
                p99: 1_000_000,
                max: 1_000_000
            })
        );
        assert_eq!(r.ratio_p50(), Some(40000.0 / 30000.0));
        assert_eq!(r.ratio_p99(), Some(1.8));
        let v = s.verdict();
        assert_eq!(v.status, Status::Missed);
        assert_eq!(
            v.detail.as_deref(),
            Some("normal: p99 1.8 ms, 1.8× its floor of 1.0 ms (goal 1.5×)")
        );
        assert_eq!(
            s.headline(),
            "default p50 40.0 µs = 1.3× floor 30.0 µs, p99 1.8 ms = 1.8× floor 1.0 ms \
             (n = 10), 1 lost"
        );
        assert_eq!(s.readers.len(), 1);
        assert!(s.reader(Reader::Rt).is_none());
    }

    #[test]
    fn p1_met_within_the_goal_ratio() {
        // 1.5× the floor is within the goal, at p50 and at p99.
        let text = "bench: P1 lat_ns=150000,3000000\nbench: P1 floor reader=normal lat_ns=100000,2000000\n";
        assert_eq!(verdict(text, measure("P1")), Verdict::met());
        assert_eq!(
            headline(text, measure("P1")),
            "default p50 150.0 µs = 1.5× floor 100.0 µs, p99 3.0 ms = 1.5× floor 2.0 ms (n = 2)"
        );
        // A reader far slower than any absolute target still meets the goal beside a slow floor.
        let both = "bench: P1 reader=normal lat_ns=5000000\nbench: P1 reader=rt lat_ns=400000\n\
                    bench: P1 floor reader=normal lat_ns=4000000\n\
                    bench: P1 floor reader=rt lat_ns=300000\n";
        assert_eq!(verdict(both, measure("P1")), Verdict::met());
        // A reader faster than its floor meets it too.
        assert_eq!(
            verdict(
                "bench: P1 lat_ns=1\nbench: P1 floor reader=normal lat_ns=9\n",
                measure("P1")
            ),
            Verdict::met()
        );
    }

    #[test]
    fn p1_missed_on_p50_only() {
        let text = "bench: P1 reader=normal lat_ns=40000,50000,1000000\n\
                    bench: P1 floor reader=normal lat_ns=20000,30000,900000\n";
        let s = summary(text);
        assert_eq!(s.verdict().status, Status::Missed);
        assert_eq!(
            s.verdict().detail.as_deref(),
            Some("normal: p50 50.0 µs, 1.7× its floor of 30.0 µs (goal 1.5×)")
        );
        let r = s.reader(Reader::Normal).unwrap();
        assert!(r.ratio_p99().unwrap() <= GOAL_RATIO);
        // A narrow miss does not read as the goal.
        assert_eq!(
            detail("bench: P1 lat_ns=152\nbench: P1 floor reader=normal lat_ns=100\n").as_deref(),
            Some(
                "normal: p50 0.2 µs, 1.52× its floor of 0.1 µs (goal 1.5×); \
                 normal: p99 0.2 µs, 1.52× its floor of 0.1 µs (goal 1.5×)"
            )
        );
    }

    #[test]
    fn p1_both_readers_are_judged_and_rt_can_miss_alone() {
        // The default reader is within its floor's 1.5×; the rt one misses at p99.
        let text = "bench: P1 reader=normal lat_ns=2000000,2000000,3000000\n\
                    bench: P1 reader=rt lat_ns=20000,30000,900000\n\
                    bench: P1 done reader=normal events=3 lost=0\n\
                    bench: P1 done reader=rt events=3 lost=2\n\
                    bench: P1 floor reader=normal lat_ns=1500000,1600000,2500000\n\
                    bench: P1 floor reader=rt lat_ns=20000,25000,300000\n";
        let s = summary(text);
        let rt = s.reader(Reader::Rt).unwrap();
        assert_eq!(rt.samples_ns, vec![20000, 30000, 900000]);
        assert_eq!(
            rt.percentiles.map(|p| (p.n, p.p50, p.p99)),
            Some((3, 30000, 900000))
        );
        assert_eq!(
            rt.floor.map(|p| (p.n, p.p50, p.p99)),
            Some((3, 25000, 300000))
        );
        assert_eq!(rt.done.unwrap().lost, Some(2));
        assert_eq!(s.readers[0].reader, Reader::Normal);
        let v = s.verdict();
        assert_eq!(v.status, Status::Missed);
        assert_eq!(
            v.detail.as_deref(),
            Some("rt: p99 900.0 µs, 3.0× its floor of 300.0 µs (goal 1.5×)")
        );
        assert_eq!(
            s.headline(),
            "default p50 2.0 ms = 1.2× floor 1.6 ms, p99 3.0 ms = 1.2× floor 2.5 ms (n = 3); \
             --rt-priority 1: p50 30.0 µs = 1.2× floor 25.0 µs, p99 900.0 µs = 3.0× floor \
             300.0 µs (n = 3), 2 lost"
        );
        // Both missing: each miss is listed, the default reader's first.
        let both = "bench: P1 reader=normal lat_ns=400\nbench: P1 reader=rt lat_ns=500\n\
                    bench: P1 floor reader=rt lat_ns=100\nbench: P1 floor reader=normal lat_ns=100\n";
        assert_eq!(
            detail(both).as_deref(),
            Some(
                "normal: p50 0.4 µs, 4.0× its floor of 0.1 µs (goal 1.5×); \
                 normal: p99 0.4 µs, 4.0× its floor of 0.1 µs (goal 1.5×); \
                 rt: p50 0.5 µs, 5.0× its floor of 0.1 µs (goal 1.5×); \
                 rt: p99 0.5 µs, 5.0× its floor of 0.1 µs (goal 1.5×)"
            )
        );
        // rt lines alone are measured, but the default reader is not.
        let rt_only = "bench: P1 reader=rt lat_ns=1000\n";
        assert_eq!(
            verdict(rt_only, measure("P1")),
            Verdict::not_measured("no latency samples from the default (normal) reader")
        );
        assert_eq!(
            headline(rt_only, measure("P1")),
            "default: no samples; --rt-priority 1: p50 1.0 µs, p99 1.0 µs (n = 1), no floor"
        );
    }

    #[test]
    fn p1_not_measured_without_a_floor() {
        // The default reader without a floor.
        let text = "bench: P1 lat_ns=1000,2000\n";
        assert_eq!(
            verdict(text, measure("P1")),
            Verdict::not_measured("no floor samples beside the normal reader")
        );
        assert_eq!(
            headline(text, measure("P1")),
            "default p50 1.0 µs, p99 2.0 µs (n = 2), no floor"
        );
        // Floor lines without samples are no floor either.
        assert_eq!(
            verdict(
                "bench: P1 lat_ns=1000\nbench: P1 floor reader=normal lat_ns=-\n",
                measure("P1")
            ),
            Verdict::not_measured("no floor samples beside the normal reader")
        );
        // The rt reader without a floor, the default one within its own: not measured, and
        // which floor is missing is said.
        let text = "bench: P1 reader=normal lat_ns=1000\nbench: P1 reader=rt lat_ns=1000\n\
                    bench: P1 floor reader=normal lat_ns=1000\n";
        assert_eq!(
            verdict(text, measure("P1")),
            Verdict::not_measured("no floor samples beside the rt reader")
        );
        // A floor beside the wrong reader does not count.
        assert_eq!(
            verdict(
                "bench: P1 reader=normal lat_ns=1000\nbench: P1 floor reader=rt lat_ns=1000\n",
                measure("P1")
            ),
            Verdict::not_measured("no floor samples beside the normal reader")
        );
        // A miss is still a miss, with what was not measured after it.
        let text = "bench: P1 reader=normal lat_ns=4000\nbench: P1 reader=rt lat_ns=1000\n\
                    bench: P1 floor reader=normal lat_ns=1000\n";
        assert_eq!(
            verdict(text, measure("P1")),
            Verdict::new(
                Status::Missed,
                "normal: p50 4.0 µs, 4.0× its floor of 1.0 µs (goal 1.5×); \
                 normal: p99 4.0 µs, 4.0× its floor of 1.0 µs (goal 1.5×); \
                 no floor samples beside the rt reader"
            )
        );
        // A reader with lines but no samples is not judged.
        assert_eq!(
            verdict(
                "bench: P1 lat_ns=1000\nbench: P1 floor reader=normal lat_ns=1000\n\
                 bench: P1 done reader=rt events=0 lost=0\n",
                measure("P1")
            ),
            Verdict::met()
        );
        // A floor percentile of 0 gives no ratio.
        let s = summary("bench: P1 lat_ns=1000\nbench: P1 floor reader=normal lat_ns=0\n");
        let r = s.reader(Reader::Normal).unwrap();
        assert_eq!((r.ratio_p50(), r.ratio_p99()), (None, None));
        assert_eq!(
            s.verdict(),
            Verdict::not_measured(
                "normal: the floor's p50 is 0 ns, no ratio; normal: the floor's p99 is 0 ns, no ratio"
            )
        );
        assert_eq!(
            verdict("bench: P1 done events=0 lost=0\n", measure("P1")).status,
            Status::NotMeasured
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
            (
                "bench: P1 floor lat_ns=1",
                "P1 floor: missing reader= (the reader the floor was measured beside: normal or rt)",
            ),
            (
                "bench: P1 floor reader=normal",
                "P1 floor: missing lat_ns=",
            ),
            (
                "bench: P1 floor reader=fifo lat_ns=1",
                "P1 floor: reader=fifo: expected normal or rt",
            ),
            (
                "bench: P1 floor reader=- lat_ns=1",
                "P1 floor: reader=-: expected normal or rt",
            ),
            (
                "bench: P1 floor reader=rt lat_ns=1,x",
                "P1 floor: lat_ns: 'x' is not a whole number of ns",
            ),
            (
                "bench: P1 floor reader=rt lat_ns=-5",
                "P1 floor: lat_ns: '-5' is not a whole number of ns",
            ),
            (
                "bench: P1 floor reader=rt lat_ns=1 lat_ns=2",
                "P1 floor: lat_ns= given twice",
            ),
            (
                "bench: P1 floor reader=rt lat_ns=1 events=2",
                "P1 floor: unknown key 'events' (expected reader, lat_ns)",
            ),
            ("bench: P1 floor", "P1 floor: missing reader="),
            ("bench: P1 floor floor", "P1 floor: 'floor' is not key=value"),
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
             bench: P1 done reader=rt events=2 lost=0\n\
             bench: P1 floor reader=normal lat_ns=2000000,20000000\n\
             bench: P1 floor reader=rt lat_ns=30000\nbench: P1 floor reader=rt lat_ns=60000\n",
        );
        assert_eq!(
            markdown(&s),
            "| Reader | Samples | p50 (µs) | p99 (µs) | Floor samples | Floor p50 (µs) \
             | Floor p99 (µs) | p50 ÷ floor | p99 ÷ floor | Max (µs) | Events | Lost |\n\
             | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n\
             | normal (default) | 2 | 6500.0 | 114000.0 | 2 | 2000.0 | 20000.0 | 3.25× | 5.70× \
             | 114000.0 | 2 | 0 |\n\
             | rt (`--rt-priority 1`) | 2 | 40.0 | 90.0 | 2 | 30.0 | 60.0 | 1.33× | 1.50× \
             | 90.0 | 2 | 0 |\n\n"
        );
        assert_eq!(
            s.headline(),
            "default p50 6.5 ms = 3.2× floor 2.0 ms, p99 114.0 ms = 5.7× floor 20.0 ms (n = 2); \
             --rt-priority 1: p50 40.0 µs = 1.3× floor 30.0 µs, p99 90.0 µs = 1.5× floor \
             60.0 µs (n = 2)"
        );
        assert_eq!(
            s.verdict().detail.as_deref(),
            Some(
                "normal: p50 6.5 ms, 3.2× its floor of 2.0 ms (goal 1.5×); \
                 normal: p99 114.0 ms, 5.7× its floor of 20.0 ms (goal 1.5×)"
            )
        );
        // A reader without lines is named; one with samples but no floor lines too.
        let s = summary("bench: P1 lat_ns=1\n");
        assert_eq!(
            markdown(&s),
            "| Reader | Samples | p50 (µs) | p99 (µs) | Floor samples | Floor p50 (µs) \
             | Floor p99 (µs) | p50 ÷ floor | p99 ÷ floor | Max (µs) | Events | Lost |\n\
             | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n\
             | normal (default) | 1 | 0.0 | 0.0 | 0 | — | — | — | — | 0.0 | — | — |\n\n\
             No floor lines for the normal reader.\n\n\
             Not measured: no P1 lines of the rt reader.\n\n"
        );
        let s = summary(
            "bench: P1 reader=rt lat_ns=1\nbench: P1 floor reader=rt lat_ns=-\n\
             bench: P1 done reader=normal events=0 lost=0\n",
        );
        assert!(markdown(&s).ends_with(
            "| rt (`--rt-priority 1`) | 1 | 0.0 | 0.0 | 0 | — | — | — | — | 0.0 | — | — |\n\n\
             No floor samples for the rt reader: its floor lines hold none.\n\n"
        ));
    }

    #[test]
    fn json_keys() {
        let s = summary(
            "bench: P1 reader=normal lat_ns=6500000,114000000\n\
             bench: P1 reader=rt lat_ns=40000,90000\n\
             bench: P1 done reader=normal events=2 lost=0\n\
             bench: P1 done reader=rt events=2 lost=0\n\
             bench: P1 floor reader=normal lat_ns=3000000\n\
             bench: P1 floor reader=normal lat_ns=-\n\
             bench: P1 floor reader=normal lat_ns=20000000\n",
        );
        let v = s.json();
        assert_eq!(v["judged"], json!(["normal", "rt"]));
        assert_eq!(v["goal_ratio"], json!(1.5));
        let n = &v["normal"];
        let keys: Vec<&str> = n.as_object().unwrap().keys().map(|k| k.as_str()).collect();
        let mut want = vec![
            "settings",
            "samples_ns",
            "n",
            "p50_ns",
            "p90_ns",
            "p99_ns",
            "max_ns",
            "p50_us",
            "p90_us",
            "p99_us",
            "max_us",
            "events",
            "lost",
            "floor",
            "ratio_p50",
            "ratio_p99",
        ];
        want.sort_unstable();
        assert_eq!(keys, want);
        assert_eq!(n["settings"], json!("default"));
        assert_eq!(n["samples_ns"], json!([6500000, 114000000]));
        assert_eq!(n["p99_us"], json!(114000.0));
        assert_eq!(n["events"], json!(2));
        assert_eq!(
            n["floor"],
            json!({
                "samples_ns": [3000000, 20000000],
                "n": 2,
                "p50_ns": 3000000,
                "p90_ns": 20000000,
                "p99_ns": 20000000,
                "max_ns": 20000000,
                "p50_us": 3000.0,
                "p90_us": 20000.0,
                "p99_us": 20000.0,
                "max_us": 20000.0,
            })
        );
        // 6.5 / 3 and 114 / 20, rounded to two decimals.
        assert_eq!(n["ratio_p50"], json!(2.17));
        assert_eq!(n["ratio_p99"], json!(5.7));
        // The rt reader has no floor line: a null floor and null ratios, its own figures kept.
        let rt = &v["rt"];
        assert_eq!(rt["floor"], Value::Null);
        assert_eq!(rt["ratio_p50"], Value::Null);
        assert_eq!(rt["ratio_p99"], Value::Null);
        assert_eq!(rt["settings"], json!("--rt-priority 1"));
        assert_eq!(rt["samples_ns"], json!([40000, 90000]));
        assert_eq!(rt["p99_us"], json!(90.0));
        // Floor lines without samples: a floor with no figures.
        let s = summary("bench: P1 lat_ns=1\nbench: P1 floor reader=normal lat_ns=-\n");
        let f = &s.json()["normal"]["floor"];
        assert_eq!(f["samples_ns"], json!([]));
        assert_eq!(
            (f["n"].clone(), f["p50_ns"].clone()),
            (json!(0), Value::Null)
        );
        // A reader without lines is null.
        assert_eq!(summary("bench: P1 lat_ns=1\n").json()["rt"], Value::Null);
    }
}
