//! P1, event latency from the kernel to the reader, judged against the wake-up floor measured
//! beside it: `bench: P1 [reader=normal|rt] lat_ns=N,N,... [time_ns=N,N,...] [pos=N,N,...]`
//! lines with the samples of one reader (each record's latency, its time_ns and its place in
//! its read(), three parallel lists), `bench: P1 done [reader=...] events=N lost=N` with its
//! totals, and `bench: P1 floor reader=normal|rt lat_ns=N,N,... [at_us=N,N,...]` with the
//! samples of the floor measured beside that reader (each with its write time). Two readers
//! follow the same runs; each is judged against its own floor at the moments of its records
//! (`matched.rs`), or, for inputs without times, against its floor over the whole run.

use crate::input::{Fields, Tokens};
use crate::measure::{times_floor, About, Summary, Verdict};
use crate::stats::nearest_rank;
use crate::table::{n_int, n_us, table};
use crate::units;
use matched::{Batch, BatchPart, Matched, TimedFloor, WINDOW_NS};
use serde_json::{json, Map, Value};

mod matched;

/// What the report says about P1.
pub const ABOUT: About = About {
    id: "P1",
    host: false,
    measure: "Event latency, kernel → reader",
    target: "p50 and p99 ≤ 1.5× the wake-up floor measured beside the reader",
    method: "\
Each sample is one record's delivery latency: the reader's CLOCK_MONOTONIC when it decoded \
the record, right after read() returned it, minus the record's time_ns, stamped by the module \
when the event happened, in ns. Each sample also keeps its record's time_ns and its place \
among the records its read() returned (0 for the first). Two readers follow the same runs side \
by side (the P2 runs and P4 storms 1 and 4), each keeping the latencies of up to 65536 \
records: `normal` is the reader with its default settings (a normal CFS task, its memory \
mlocked as it is by default), `rt` the same reader with `--rt-priority 1` (its reading thread \
under SCHED_FIFO 1). Beside each reader runs `wakefloor`, which measures the guest's kernel → \
user wake-up floor through the same runs: a writer thread pinned to CPU 0 writes to a pipe \
after a random gap of 1 to 19 ms, so never in step with the tick, and so wakes a reading \
thread pinned to CPU 1 that is blocked in read() on that pipe; each floor sample is the time \
from the write to the return of read(), in ns, and keeps the time of the write, in µs. The \
floor's reading thread has the scheduling class of the reader it sits beside: a normal CFS \
task beside `normal`, SCHED_FIFO 1 beside `rt`. The floor is a wake-up alone, with no module, \
ring or record in it. \
Records are not spread over the run as the floor's samples are: they come when something \
happens (a reclaim episode, an OOM kill, a storm of averted OOMs), the moments when the guest \
is busiest, while most of the floor's samples fall in the calm between. So each reader is \
judged against its time-matched floor: for each of its samples, the floor samples written \
within 50 ms before or after the record's time_ns, pooled over all its samples (a floor sample \
near several records counts once for each, so the floor is weighted as the records are). This \
is the most literal reading of the goal's floor \"measured under the same load\": the same \
guest, the same load, at the same moments. Why 50 ms: the load a record meets changes on the \
scale of the events themselves (a reclaim episode, an OOM kill, a storm round last tens to \
hundreds of ms), so a much wider window blends the calm back in (the whole run is the widest), \
while a narrower one holds too few floor samples to describe the moment: at the floor's mean \
gap of 10 ms, 100 ms of window hold about 10 of them per record. The window is symmetric so \
that it holds both the load that led to the event and the load during the record's wait \
(from its time_ns to its delivery, a few ms for all but the slowest records). The floor over \
the whole run is shown beside it as context; inputs whose lines carry no times (from before \
they were kept) are judged against it, as they were. \
Each reader's p50 over its floor's p50 and its p99 over its floor's p99 must both be at most \
1.5. Emulation slows every wake-up, the floor's as much as the reader's, so the ratio of the \
two, taken in the same runs, is what carries from an emulated machine to a board; the \
absolute times are context only. Why the readers differ: the kernel 7.3 guest uses \
PREEMPT_LAZY at HZ=250, so a normal task woken while the CPU is busy in the kernel (for \
example with the hog's page faults and reclaim) waits for the next tick, up to 4 ms, before \
it runs; a SCHED_FIFO thread preempts at once. The floor beside each reader waits in the same \
way, which is why it has the reader's class. \
The first table is over the whole run (its floor columns are the whole-run floor), the \
second is the time-matched floor, and the last splits each reader's samples by their place in \
their read(): first (the first record a read() returned: the one whose wake-up the reader \
answered, or the oldest of those waiting) and later (the records after it in the same \
read(), which waited for that read() and for the decoding of the records before them), each \
against the floor matched to its own records. A burst of records shows as later records slower than first ones; a reader \
slower than the floor at its own wake-ups shows in the first. \
The percentiles are nearest-rank over each reader's samples and, apart, over its floor's \
samples. Events counts the samples; lost is the reader's count of records the ring dropped \
before it read them. Lines without `reader=` (inputs from before there were two readers) \
count as `normal`; floor lines name their reader.",
    definitions: &[
        (
            "P1.readers",
            "normal: the reader with its default settings (a normal CFS task, memory mlocked); \
             rt: the same reader with --rt-priority 1 (its reading thread under SCHED_FIFO 1); \
             both follow the same runs and both are judged, each against the floor measured \
             beside it. A reader is null when the input has no line of it. time_ns: each \
             sample's record time_ns (CLOCK_MONOTONIC, ns); pos: its place among the records \
             of its read(), 0 for the first; both parallel to samples_ns, null for samples \
             from lines without them, the whole list null when no line has them",
        ),
        (
            "P1.floor",
            "the kernel → user wake-up floor measured by wakefloor beside a reader, through the \
             same runs: a reading thread pinned to CPU 1, blocked in read() on a pipe, woken by \
             a write from a thread pinned to CPU 0 after a random gap of 1 to 19 ms (1 to 9 ms \
             in inputs from before at_us was kept); the reading thread has the reader's \
             scheduling class (SCHED_FIFO 1 beside rt). Samples in line order, nearest-rank \
             percentiles over the whole run; at_us: each sample's write time (CLOCK_MONOTONIC, \
             µs), parallel to samples_ns, null as for time_ns; the floor is null when the \
             input has no floor line of the reader",
        ),
        (
            "P1.matched",
            "the time-matched floor: for each reader sample with a time_ns, the floor samples \
             whose at_us lies within 50 ms of it (both ends included), pooled: n counts the \
             pool, a floor sample once for each record it is near; timed: reader samples with \
             a time; unmatched: of those, samples with no floor sample in their window; \
             distinct: floor samples in at least one window. ratio_p50 and ratio_p99: the \
             reader's p50_ns and p99_ns (over all its samples) over the pool's. Null unless \
             both the reader's samples and its floor's carry times",
        ),
        (
            "P1.batch",
            "the reader's samples split by pos: first (pos 0) and later (pos > 0), each with \
             its nearest-rank percentiles and the time-matched floor of its own samples \
             (matched, as P1.matched; null without times). Null when no sample has a pos",
        ),
        (
            "P1.ratio",
            "ratio_p50: the reader's p50_ns / its whole-run floor's p50_ns; ratio_p99: the \
             reader's p99_ns / its whole-run floor's p99_ns; rounded to 2 decimals, null when \
             either side has no samples or the floor's percentile is 0. judged_floor: the \
             floor the verdict judges, matched (P1.matched) when the lines carry times, else \
             whole_run. goal_ratio: the most each ratio to the judged floor may be",
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
    /// Each sample's record time_ns (parallel to `samples_ns`); `None` from lines without
    /// `time_ns=`.
    pub time_ns: Vec<Option<u64>>,
    /// Each sample's place among the records of its read(), 0 for the first (parallel to
    /// `samples_ns`); `None` from lines without `pos=`.
    pub pos: Vec<Option<u64>>,
    /// How many `P1 lat_ns=` lines there were.
    pub sample_lines: usize,
    pub done: Option<P1Done>,
    /// Wake-up floor samples in ns, concatenated in line order.
    pub floor_ns: Vec<u64>,
    /// Each floor sample's write time in µs (parallel to `floor_ns`); `None` from lines
    /// without `at_us=`.
    pub floor_at_us: Vec<Option<u64>>,
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

/// A reader's latency line's optional keys: `reader=` as above; `time_ns=` and `pos=` absent
/// in inputs from before they were kept.
const SAMPLE_OPTIONAL: &[&str] = &["reader", "time_ns", "pos"];

/// A floor line's optional key: `at_us=`, absent in inputs from before it was kept.
const FLOOR_OPTIONAL: &[&str] = &["at_us"];

/// The readers as `reader=` names them.
const READERS: &[(&str, Reader)] = &[("normal", Reader::Normal), ("rt", Reader::Rt)];

/// The optional `reader=` of a reader's line: absent is the normal reader.
fn reader(f: &Fields<'_>) -> Result<Reader, String> {
    if f.get("reader").is_none() {
        return Ok(Reader::Normal);
    }
    f.choice("reader", READERS)
}

/// The whole numbers of the comma-separated list `key=v` of a `what` line; `-` holds none.
fn numbers(what: &str, key: &str, v: &str) -> Result<Vec<u64>, String> {
    if v == "-" {
        return Ok(Vec::new());
    }
    let unit = match key.rsplit_once('_') {
        Some((_, "ns")) => " of ns",
        Some((_, "us")) => " of µs",
        _ => "",
    };
    v.split(',')
        .map(|s| {
            s.parse::<u64>().map_err(|_| {
                format!(
                    "{what}: {key}: '{s}' is not a whole number{unit} (expected a \
                     comma-separated list such as {key}=12000,15000)"
                )
            })
        })
        .collect()
}

/// The optional list `key=` of a line whose `lat_ns=` holds `n` samples, one value for each:
/// `None` for each when the key is absent.
fn parallel(f: &Fields<'_>, what: &str, key: &str, n: usize) -> Result<Vec<Option<u64>>, String> {
    let Some(v) = f.get(key) else {
        return Ok(vec![None; n]);
    };
    let values = numbers(what, key, v)?;
    if values.len() != n {
        return Err(format!(
            "{what}: {key}= has {} values for {n} lat_ns values (one for each)",
            values.len()
        ));
    }
    Ok(values.into_iter().map(Some).collect())
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
        let f = Fields::new(WHAT, &["reader", "lat_ns"], FLOOR_OPTIONAL, tokens)?;
        if f.get("reader").is_none() {
            return Err(format!(
                "{WHAT}: missing reader= (the reader the floor was measured beside: normal or rt)"
            ));
        }
        let reader = f.choice("reader", READERS)?;
        let lat = numbers(WHAT, "lat_ns", f.raw("lat_ns")?)?;
        let at = parallel(&f, WHAT, "at_us", lat.len())?;
        let lines = all.get_mut(reader);
        lines.floor_ns.extend(lat);
        lines.floor_at_us.extend(at);
        lines.floor_lines += 1;
    } else {
        const WHAT: &str = "P1";
        let f = Fields::new(WHAT, &["lat_ns"], SAMPLE_OPTIONAL, tokens)?;
        let reader = reader(&f)?;
        let lat = numbers(WHAT, "lat_ns", f.raw("lat_ns")?)?;
        let time = parallel(&f, WHAT, "time_ns", lat.len())?;
        let pos = parallel(&f, WHAT, "pos", lat.len())?;
        let lines = all.get_mut(reader);
        lines.samples_ns.extend(lat);
        lines.time_ns.extend(time);
        lines.pos.extend(pos);
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
    /// Each sample's record time_ns, `None` from lines without it.
    pub time_ns: Vec<Option<u64>>,
    /// Each sample's place in its read(), `None` from lines without it.
    pub pos: Vec<Option<u64>>,
    /// Each floor sample's write time in µs, `None` from lines without it.
    pub floor_at_us: Vec<Option<u64>>,
    /// The floor at the records' moments; `None` unless both the reader's samples and its
    /// floor's carry times.
    pub matched: Option<Matched>,
    /// The samples split by their place in their read(); `None` unless they carry it.
    pub batch: Option<Batch>,
}

/// The floor a reader is judged against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Judged {
    /// The floor samples written within [`WINDOW_NS`] of each record's time, pooled.
    Matched,
    /// All the floor's samples (inputs whose lines carry no times).
    WholeRun,
}

impl Judged {
    /// As the verdict names it: `time-matched floor`, `floor`.
    fn text(self) -> &'static str {
        match self {
            Judged::Matched => "time-matched floor",
            Judged::WholeRun => "floor",
        }
    }

    /// As the JSON names it: `matched`, `whole_run`.
    fn key(self) -> &'static str {
        match self {
            Judged::Matched => "matched",
            Judged::WholeRun => "whole_run",
        }
    }
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
        let timed_floor = TimedFloor::new(&lines.floor_ns, &lines.floor_at_us);
        let times = || lines.time_ns.iter().flatten().copied();
        let matched = (times().next().is_some() && !timed_floor.is_empty())
            .then(|| Matched::new(times(), &timed_floor));
        Self {
            reader,
            samples_ns: lines.samples_ns.clone(),
            percentiles: P1Percentiles::of(&lines.samples_ns),
            done: lines.done,
            floor_ns: lines.floor_ns.clone(),
            floor_lines: lines.floor_lines,
            floor: P1Percentiles::of(&lines.floor_ns),
            time_ns: lines.time_ns.clone(),
            pos: lines.pos.clone(),
            floor_at_us: lines.floor_at_us.clone(),
            matched,
            batch: Batch::new(&lines.samples_ns, &lines.time_ns, &lines.pos, &timed_floor),
        }
    }

    /// The floor the reader is judged against, and its percentiles: the time-matched floor
    /// when the reader's samples and its floor's carry times, else the whole run's.
    pub fn judged(&self) -> (Judged, Option<P1Percentiles>) {
        match &self.matched {
            Some(m) => (Judged::Matched, m.floor),
            None => (Judged::WholeRun, self.floor),
        }
    }

    /// The reader's p50 over its time-matched floor's p50.
    pub fn matched_ratio_p50(&self) -> Option<f64> {
        let f = self.matched.as_ref().and_then(|m| m.floor);
        ratio(self.percentiles.map(|p| p.p50), f.map(|f| f.p50))
    }

    /// The reader's p99 over its time-matched floor's p99.
    pub fn matched_ratio_p99(&self) -> Option<f64> {
        let f = self.matched.as_ref().and_then(|m| m.floor);
        ratio(self.percentiles.map(|p| p.p99), f.map(|f| f.p99))
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
        if self.floor.is_none() {
            unmeasured.push(format!("no floor samples beside the {name} reader"));
            return;
        }
        let (judged, Some(f)) = self.judged() else {
            unmeasured.push(format!(
                "{name}: no floor sample within {} of any record",
                units::dur_ns(WINDOW_NS as f64)
            ));
            return;
        };
        for (what, value, floor) in [("p50", p.p50, f.p50), ("p99", p.p99, f.p99)] {
            match ratio(Some(value), Some(floor)) {
                Some(r) if r > GOAL_RATIO => missed.push(format!(
                    "{name}: {what} {}, {}",
                    units::dur_ns(value as f64),
                    times_floor(r, judged.text(), &units::dur_ns(floor as f64), GOAL_RATIO)
                )),
                Some(_) => {}
                None => unmeasured.push(format!(
                    "{name}: the {}'s {what} is 0 ns, no ratio",
                    judged.text()
                )),
            }
        }
    }

    /// `p50 40.0 µs = 2.0× floor 20.0 µs, p99 1.5 ms = 1.2× floor 1.2 ms (n = 10)`, with
    /// `, no floor` if it has no floor samples and `, N lost` if the reader lost records.
    fn headline(&self) -> String {
        let Some(p) = self.percentiles else {
            return "no samples".to_string();
        };
        let (judged, f) = self.judged();
        let floor_name = match judged {
            Judged::Matched => "matched floor",
            Judged::WholeRun => "floor",
        };
        let part = |what: &str, value: u64, floor: Option<u64>| {
            let r = ratio(Some(value), floor);
            let value = units::dur_ns(value as f64);
            match (floor, r) {
                (Some(f), Some(r)) => format!(
                    "{what} {value} = {} {floor_name} {}",
                    units::ratio(r),
                    units::dur_ns(f as f64)
                ),
                _ => format!("{what} {value}"),
            }
        };
        let mut s = format!(
            "{}, {} (n = {})",
            part("p50", p.p50, f.map(|f| f.p50)),
            part("p99", p.p99, f.map(|f| f.p99)),
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
        self.matched_markdown(out);
        self.batch_markdown(out);
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

impl P1Summary {
    /// The time-matched floor's table, or why there is none.
    fn matched_markdown(&self, out: &mut String) {
        let window = units::dur_ns(WINDOW_NS as f64);
        let rows: Vec<Vec<String>> = self
            .readers
            .iter()
            .filter_map(|r| {
                let m = r.matched.as_ref()?;
                let f = m.floor;
                let ratio = |r: Option<f64>| units::opt(r, units::ratio2);
                Some(vec![
                    reader_name(r.reader),
                    units::int(m.timed as u64),
                    units::int(m.unmatched as u64),
                    units::int(m.distinct as u64),
                    units::int(m.pooled() as u64),
                    n_us(f.map(|f| f.p50)),
                    n_us(f.map(|f| f.p99)),
                    ratio(r.matched_ratio_p50()),
                    ratio(r.matched_ratio_p99()),
                ])
            })
            .collect();
        if rows.is_empty() {
            out.push_str(
                "No time-matched floor: the lines carry no record or floor times (an input \
                 from before they were kept); judged against the floor over the whole run.\n\n",
            );
            return;
        }
        out.push_str(&format!(
            "The floor at the records' moments (judged): the floor samples written within \
             {window} of each record's time_ns, pooled.\n\n"
        ));
        table(
            out,
            &[
                "Reader",
                "Timed samples",
                "Unmatched",
                "Floor samples matched",
                "Pooled",
                "Matched p50 (µs)",
                "Matched p99 (µs)",
                "p50 ÷ matched",
                "p99 ÷ matched",
            ],
            &rows,
        );
    }

    /// The batch split's table, if the lines carry places.
    fn batch_markdown(&self, out: &mut String) {
        let mut rows = Vec::new();
        for r in &self.readers {
            let Some(b) = &r.batch else {
                continue;
            };
            for (place, part) in [("first", &b.first), ("later", &b.later)] {
                let p = part.percentiles;
                let f = part.matched.as_ref().and_then(|m| m.floor);
                let ratio = |v: Option<u64>, f: Option<u64>| units::opt(ratio(v, f), units::ratio2);
                rows.push(vec![
                    reader_name(r.reader),
                    place.to_string(),
                    units::int(p.map_or(0, |p| p.n) as u64),
                    n_us(p.map(|p| p.p50)),
                    n_us(p.map(|p| p.p99)),
                    n_us(p.map(|p| p.max)),
                    n_us(f.map(|f| f.p50)),
                    n_us(f.map(|f| f.p99)),
                    ratio(p.map(|p| p.p50), f.map(|f| f.p50)),
                    ratio(p.map(|p| p.p99), f.map(|f| f.p99)),
                ]);
            }
        }
        if rows.is_empty() {
            return;
        }
        out.push_str(
            "By place in the read() that returned the record: first (the first record a \
             read() returned) and later (the records after it in the same read()), each \
             against the floor matched to its own records.\n\n",
        );
        table(
            out,
            &[
                "Reader",
                "Place",
                "Samples",
                "p50 (µs)",
                "p99 (µs)",
                "Max (µs)",
                "Matched p50 (µs)",
                "Matched p99 (µs)",
                "p50 ÷ matched",
                "p99 ÷ matched",
            ],
            &rows,
        );
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

/// A list parallel to the samples: `null` if no sample has a value (lines from before it was
/// kept), else the values, `null` for the samples without one.
fn parallel_json(values: &[Option<u64>]) -> Value {
    if values.iter().all(Option::is_none) {
        Value::Null
    } else {
        json!(values)
    }
}

/// Percentiles in the JSON as `latencies` writes them, without the samples.
fn percentiles_json(p: Option<P1Percentiles>) -> Map<String, Value> {
    let mut m = latencies(&[], p);
    m.remove("samples_ns");
    m.insert("n".to_string(), json!(p.map_or(0, |p| p.n)));
    m
}

/// The time-matched floor in the JSON: its counts and percentiles, and the reader's (or the
/// batch part's) ratios to it.
fn matched_json(m: &Matched, value: Option<P1Percentiles>) -> Value {
    let mut o = percentiles_json(m.floor);
    o.insert("timed".to_string(), json!(m.timed));
    o.insert("unmatched".to_string(), json!(m.unmatched));
    o.insert("distinct".to_string(), json!(m.distinct));
    for (key, v, f) in [
        ("ratio_p50", value.map(|p| p.p50), m.floor.map(|f| f.p50)),
        ("ratio_p99", value.map(|p| p.p99), m.floor.map(|f| f.p99)),
    ] {
        o.insert(key.to_string(), json!(ratio(v, f).map(units::round2)));
    }
    Value::Object(o)
}

/// A batch part in the JSON: the reader's percentiles and the floor matched to it.
fn batch_part_json(b: &BatchPart) -> Value {
    let mut o = percentiles_json(b.percentiles);
    o.insert(
        "matched".to_string(),
        b.matched
            .as_ref()
            .map_or(Value::Null, |m| matched_json(m, b.percentiles)),
    );
    Value::Object(o)
}

/// One reader's samples and figures, its floor's and the ratios, in the JSON.
fn p1_reader(r: &P1Reader) -> Value {
    let mut m = latencies(&r.samples_ns, r.percentiles);
    m.insert("time_ns".to_string(), parallel_json(&r.time_ns));
    m.insert("pos".to_string(), parallel_json(&r.pos));
    m.insert("settings".to_string(), json!(r.reader.settings()));
    m.insert("events".to_string(), json!(r.done.and_then(|d| d.events)));
    m.insert("lost".to_string(), json!(r.done.and_then(|d| d.lost)));
    let floor = if r.floor_lines == 0 {
        Value::Null
    } else {
        let mut f = latencies(&r.floor_ns, r.floor);
        f.insert("at_us".to_string(), parallel_json(&r.floor_at_us));
        Value::Object(f)
    };
    m.insert(
        "matched".to_string(),
        r.matched
            .as_ref()
            .map_or(Value::Null, |x| matched_json(x, r.percentiles)),
    );
    m.insert(
        "batch".to_string(),
        r.batch.as_ref().map_or(
            Value::Null,
            |b| json!({"first": batch_part_json(&b.first), "later": batch_part_json(&b.later)}),
        ),
    );
    m.insert("judged_floor".to_string(), json!(r.judged().0.key()));
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
