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
mod tests;
