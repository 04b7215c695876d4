//! Parsing of the `bench: <ID> key=value ...` lines the `make bench` guests print, into typed
//! records.
//!
//! Only lines that start with `bench: ` are read; every other line (kernel messages, test
//! output) is skipped. A `bench: ` line must be well formed: a known id, `key=value` tokens
//! separated by blanks, every key the id requires present exactly once, optional keys at most
//! once and no other key (`meta` takes any keys). A value of `-` means absent or did not happen,
//! and is accepted wherever a measurement is expected. Two ids are not measurements:
//! `bench: note <free text>` (kept and shown in the report) and `bench: done` (the guest's
//! script ran to its end). Anything else is an error that names the line.

use std::fmt;

/// The prefix that marks a benchmark line.
pub const PREFIX: &str = "bench: ";

/// A benchmark id. P3 has no lines of its own: it comes from the P2 lines' `*_delay` keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Id {
    P1,
    P2,
    P3,
    P4,
    P5,
    P6,
    P7,
    P8,
    P9,
}

impl Id {
    /// Every id, in report order.
    pub const ALL: [Id; 9] = [
        Id::P1,
        Id::P2,
        Id::P3,
        Id::P4,
        Id::P5,
        Id::P6,
        Id::P7,
        Id::P8,
        Id::P9,
    ];

    /// The id as written in the lines and the report.
    pub fn name(self) -> &'static str {
        match self {
            Id::P1 => "P1",
            Id::P2 => "P2",
            Id::P3 => "P3",
            Id::P4 => "P4",
            Id::P5 => "P5",
            Id::P6 => "P6",
            Id::P7 => "P7",
            Id::P8 => "P8",
            Id::P9 => "P9",
        }
    }

    /// Whether the id is measured on the host (P9) rather than in a guest.
    pub fn is_host_measure(self) -> bool {
        self == Id::P9
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A P2 hog allocation rate: MiB/s, or `max` (as fast as the hog can).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rate {
    MibS(u32),
    Max,
}

/// The rates every P2 run set should cover; a rate without runs is reported as not measured.
pub const EXPECTED_RATES: [Rate; 4] = [Rate::MibS(50), Rate::MibS(200), Rate::MibS(800), Rate::Max];

impl Rate {
    fn parse(v: &str) -> Option<Rate> {
        if v == "max" {
            return Some(Rate::Max);
        }
        v.parse().ok().filter(|&n| n > 0).map(Rate::MibS)
    }

    /// The rate with its unit, for prose: `50 MiB/s`, `max`.
    pub fn label(self) -> String {
        match self {
            Rate::MibS(n) => format!("{n} MiB/s"),
            Rate::Max => "max".to_string(),
        }
    }
}

impl fmt::Display for Rate {
    /// The rate as written in the lines: `50`, `max`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rate::MibS(n) => write!(f, "{n}"),
            Rate::Max => f.write_str("max"),
        }
    }
}

/// A warning signal whose lead before the OOM P2 measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Signal {
    Low,
    Medium,
    Critical,
    Reclaim,
    Earlyoom,
    Psi1ms,
    Psi50ms,
}

impl Signal {
    /// Every signal, ours first.
    pub const ALL: [Signal; 7] = [
        Signal::Low,
        Signal::Medium,
        Signal::Critical,
        Signal::Reclaim,
        Signal::Earlyoom,
        Signal::Psi1ms,
        Signal::Psi50ms,
    ];

    /// The P2 key that carries the signal's lead.
    pub fn key(self) -> &'static str {
        match self {
            Signal::Low => "low",
            Signal::Medium => "medium",
            Signal::Critical => "critical",
            Signal::Reclaim => "reclaim",
            Signal::Earlyoom => "earlyoom",
            Signal::Psi1ms => "psi_1ms",
            Signal::Psi50ms => "psi_50ms",
        }
    }

    /// Whether the signal comes from rust_oom_guard (the others are peers, shown for comparison).
    pub fn is_ours(self) -> bool {
        matches!(
            self,
            Signal::Low | Signal::Medium | Signal::Critical | Signal::Reclaim
        )
    }
}

/// One of our pressure levels, whose detection delay P3 measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Low,
    Medium,
    Critical,
}

impl Level {
    /// Every level, lowest first.
    pub const ALL: [Level; 3] = [Level::Low, Level::Medium, Level::Critical];

    /// The level's name.
    pub fn name(self) -> &'static str {
        match self {
            Level::Low => "low",
            Level::Medium => "medium",
            Level::Critical => "critical",
        }
    }

    /// The P2 key that carries the level's detection delay by the hog's accounting.
    pub fn delay_key(self) -> &'static str {
        match self {
            Level::Low => "low_delay",
            Level::Medium => "medium_delay",
            Level::Critical => "critical_delay",
        }
    }

    /// The optional P2 key that carries the level's detection delay by the kernel's own count
    /// (MemAvailable as the hog read it).
    pub fn kdelay_key(self) -> &'static str {
        match self {
            Level::Low => "low_kdelay",
            Level::Medium => "medium_kdelay",
            Level::Critical => "critical_kdelay",
        }
    }
}

/// earlyoom's first action in a P2 run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KillSig {
    Term,
    Kill,
}

impl KillSig {
    /// The signal as written in the lines: `TERM`, `KILL`.
    pub fn name(self) -> &'static str {
        match self {
            KillSig::Term => "TERM",
            KillSig::Kill => "KILL",
        }
    }
}

/// One P2 run: lead times of every signal before the OOM, and our levels' detection delays (P3).
#[derive(Debug, Clone, PartialEq)]
pub struct P2Run {
    pub line: usize,
    pub rate: Rate,
    pub run: u32,
    pub reached_mibs: Option<f64>,
    /// Lead in ms per signal, in `Signal::ALL` order.
    pub leads: [Option<f64>; 7],
    pub earlyoom_sig: Option<KillSig>,
    /// Detection delay in ms per level by the hog's accounting, in `Level::ALL` order.
    pub delays: [Option<f64>; 3],
    /// Detection delay in ms per level by the kernel's count (the optional `*_kdelay` keys), in
    /// `Level::ALL` order.
    pub kdelays: [Option<f64>; 3],
}

impl P2Run {
    /// The signal's lead in ms before the OOM (negative: after it), if it came at all.
    pub fn lead(&self, s: Signal) -> Option<f64> {
        self.leads.get(s as usize).copied().flatten()
    }

    /// The level's detection delay in ms, if known.
    pub fn delay(&self, l: Level) -> Option<f64> {
        self.delays.get(l as usize).copied().flatten()
    }

    /// The level's detection delay in ms by the kernel's count, if known.
    pub fn kdelay(&self, l: Level) -> Option<f64> {
        self.kdelays.get(l as usize).copied().flatten()
    }
}

/// The P1 reader a latency line comes from: both follow the same runs, side by side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
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
pub struct P1Lines {
    /// Latency samples in ns, concatenated in line order.
    pub samples_ns: Vec<u64>,
    /// How many `P1 lat_ns=` lines there were.
    pub sample_lines: usize,
    pub done: Option<P1Done>,
}

impl P1Lines {
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

/// The P5 policy a spike scenario ran under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Mode {
    Avert,
    Observe,
}

impl Mode {
    /// The mode as written in the lines.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Avert => "avert",
            Mode::Observe => "observe",
        }
    }
}

/// One P5 spike scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct P5Run {
    pub line: usize,
    pub mode: Mode,
    pub spikes: Option<u64>,
    /// Optional `spike_mib=`: the size of each spike.
    pub spike_mib: Option<u64>,
    pub kills: Option<u64>,
    pub averts: Option<u64>,
}

/// The P6 memory situation a cost sample was taken in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    Quiet,
    Near,
}

impl Phase {
    /// The phase as written in the lines.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Quiet => "quiet",
            Phase::Near => "near",
        }
    }
}

/// One P6 module work-cost sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct P6Sample {
    pub line: usize,
    pub phase: Phase,
    pub secs: Option<f64>,
    pub samples: Option<u64>,
    pub peek_runs: Option<u64>,
    pub peek_wakes: Option<u64>,
    pub monitor_ns: Option<u64>,
    pub peek_ns: Option<u64>,
}

/// The P7 memory footprints of the reader and of earlyoom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct P7Mem {
    pub line: usize,
    pub reader_rss_kib: Option<u64>,
    pub reader_anon_kib: Option<u64>,
    pub earlyoom_rss_kib: Option<u64>,
    pub earlyoom_anon_kib: Option<u64>,
    pub reader_bytes: Option<u64>,
    pub earlyoom_bytes: Option<u64>,
}

/// One P8 event burst.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct P8Burst {
    pub line: usize,
    pub readers: u32,
    pub events: Option<u64>,
    pub span_ms: Option<f64>,
    pub lost: Option<u64>,
}

/// The P9 clean-clone CI times, in seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct P9Ci {
    pub line: usize,
    pub fresh_setup_s: Option<f64>,
    pub fresh_test_s: Option<f64>,
    pub warm_test_s: Option<f64>,
}

/// Everything one input file holds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BenchData {
    /// `meta` keys and values in the order first seen.
    pub meta: Vec<(String, String)>,
    /// `note` lines: line number and text.
    pub notes: Vec<(usize, String)>,
    /// The line of `bench: done`, if the file has one.
    pub done_line: Option<usize>,
    /// The P1 lines of the normal reader (`reader=normal` or no `reader=`).
    pub p1_normal: P1Lines,
    /// The P1 lines of the `reader=rt` reader.
    pub p1_rt: P1Lines,
    pub p2: Vec<P2Run>,
    pub p4: Vec<P4Storm>,
    pub p5: Vec<P5Run>,
    pub p6: Vec<P6Sample>,
    pub p7: Option<P7Mem>,
    pub p8: Vec<P8Burst>,
    pub p9: Option<P9Ci>,
}

impl BenchData {
    /// Whether the file has any line for the id (for P3: any P2 line).
    pub fn has(&self, id: Id) -> bool {
        match id {
            Id::P1 => Reader::ALL.iter().any(|&r| self.p1(r).is_present()),
            Id::P2 | Id::P3 => !self.p2.is_empty(),
            Id::P4 => !self.p4.is_empty(),
            Id::P5 => !self.p5.is_empty(),
            Id::P6 => !self.p6.is_empty(),
            Id::P7 => self.p7.is_some(),
            Id::P8 => !self.p8.is_empty(),
            Id::P9 => self.p9.is_some(),
        }
    }
}

impl BenchData {
    /// The P1 lines of one reader.
    pub fn p1(&self, r: Reader) -> &P1Lines {
        match r {
            Reader::Normal => &self.p1_normal,
            Reader::Rt => &self.p1_rt,
        }
    }

    fn p1_mut(&mut self, r: Reader) -> &mut P1Lines {
        match r {
            Reader::Normal => &mut self.p1_normal,
            Reader::Rt => &mut self.p1_rt,
        }
    }
}

/// A malformed or unknown `bench: ` line; `line` is 1-based.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    pub line: usize,
    pub msg: String,
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.msg)
    }
}

impl std::error::Error for LineError {}

const P1_DONE_KEYS: &[&str] = &["events", "lost"];
const P1_LAT_KEYS: &[&str] = &["lat_ns"];
/// Absent: the normal reader (inputs from before there were two).
const P1_OPTIONAL: &[&str] = &["reader"];
const P2_KEYS: &[&str] = &[
    "rate",
    "run",
    "reached_mibs",
    "low",
    "medium",
    "critical",
    "reclaim",
    "earlyoom",
    "earlyoom_sig",
    "psi_1ms",
    "psi_50ms",
    "low_delay",
    "medium_delay",
    "critical_delay",
];
/// Absent: no kernel-count measure of the detection delay (inputs from before there was one).
const P2_OPTIONAL: &[&str] = &["low_kdelay", "medium_kdelay", "critical_kdelay"];
const P4_KEYS: &[&str] = &["storm", "rounds", "max_ns", "avg_ns"];
const P4_OPTIONAL: &[&str] = &["averts", "kills"];
const P5_KEYS: &[&str] = &["mode", "spikes", "kills", "averts"];
const P5_OPTIONAL: &[&str] = &["spike_mib"];
const P6_KEYS: &[&str] = &[
    "phase",
    "secs",
    "samples",
    "peek_runs",
    "peek_wakes",
    "monitor_ns",
    "peek_ns",
];
const P7_KEYS: &[&str] = &[
    "reader_rss_kib",
    "reader_anon_kib",
    "earlyoom_rss_kib",
    "earlyoom_anon_kib",
    "reader_bytes",
    "earlyoom_bytes",
];
const P8_KEYS: &[&str] = &["readers", "events", "span_ms", "lost"];
const P9_KEYS: &[&str] = &["fresh_setup_s", "fresh_test_s", "warm_test_s"];

/// Parses a whole input file. Lines that do not start with [`PREFIX`] are skipped; trailing
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
        "P1" => {
            let mut tokens = tokens.peekable();
            if tokens.next_if_eq(&"done").is_some() {
                let mut f = Fields::new("P1 done", P1_DONE_KEYS, P1_OPTIONAL, tokens)?;
                let reader = f.reader()?;
                let done = P1Done {
                    events: f.opt_u64("events")?,
                    lost: f.opt_u64("lost")?,
                };
                let sum =
                    |a: Option<u64>, b: Option<u64>| a.zip(b).map(|(a, b)| a.saturating_add(b));
                let lines = data.p1_mut(reader);
                lines.done = Some(match lines.done {
                    None => done,
                    Some(d) => P1Done {
                        events: sum(d.events, done.events),
                        lost: sum(d.lost, done.lost),
                    },
                });
            } else {
                let mut f = Fields::new("P1", P1_LAT_KEYS, P1_OPTIONAL, tokens)?;
                let reader = f.reader()?;
                let v = f.raw("lat_ns")?;
                let lines = data.p1_mut(reader);
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
        "P2" => {
            let run = parse_p2(Fields::new("P2", P2_KEYS, P2_OPTIONAL, tokens)?, line)?;
            if let Some(prev) = data
                .p2
                .iter()
                .find(|r| r.rate == run.rate && r.run == run.run)
            {
                return Err(format!(
                    "P2: rate={} run={} already given on line {}",
                    run.rate, run.run, prev.line
                ));
            }
            data.p2.push(run);
            Ok(())
        }
        "P3" => Err(
            "P3 has no lines of its own: its figures come from the P2 lines' low_delay, \
             medium_delay and critical_delay (and the optional *_kdelay)"
                .to_string(),
        ),
        "P4" => {
            let mut f = Fields::new("P4", P4_KEYS, P4_OPTIONAL, tokens)?;
            let storm = P4Storm {
                line,
                storm: f.u32("storm")?,
                rounds: f.opt_u64("rounds")?,
                max_ns: f.opt_u64("max_ns")?,
                avg_ns: f.opt_u64("avg_ns")?,
                averts: f.optional_u64("averts")?,
                kills: f.optional_u64("kills")?,
            };
            if let Some(prev) = data.p4.iter().find(|s| s.storm == storm.storm) {
                return Err(format!(
                    "P4: storm={} already given on line {}",
                    storm.storm, prev.line
                ));
            }
            data.p4.push(storm);
            Ok(())
        }
        "P5" => {
            let mut f = Fields::new("P5", P5_KEYS, P5_OPTIONAL, tokens)?;
            let mode = f.choice(
                "mode",
                &[("avert", Mode::Avert), ("observe", Mode::Observe)],
            )?;
            data.p5.push(P5Run {
                line,
                mode,
                spikes: f.opt_u64("spikes")?,
                spike_mib: f.optional_u64("spike_mib")?,
                kills: f.opt_u64("kills")?,
                averts: f.opt_u64("averts")?,
            });
            Ok(())
        }
        "P6" => {
            let mut f = Fields::new("P6", P6_KEYS, &[], tokens)?;
            let phase = f.choice("phase", &[("quiet", Phase::Quiet), ("near", Phase::Near)])?;
            data.p6.push(P6Sample {
                line,
                phase,
                secs: f.opt_f64("secs")?,
                samples: f.opt_u64("samples")?,
                peek_runs: f.opt_u64("peek_runs")?,
                peek_wakes: f.opt_u64("peek_wakes")?,
                monitor_ns: f.opt_u64("monitor_ns")?,
                peek_ns: f.opt_u64("peek_ns")?,
            });
            Ok(())
        }
        "P7" => {
            if let Some(prev) = data.p7 {
                return Err(format!("P7 already given on line {}", prev.line));
            }
            let mut f = Fields::new("P7", P7_KEYS, &[], tokens)?;
            data.p7 = Some(P7Mem {
                line,
                reader_rss_kib: f.opt_u64("reader_rss_kib")?,
                reader_anon_kib: f.opt_u64("reader_anon_kib")?,
                earlyoom_rss_kib: f.opt_u64("earlyoom_rss_kib")?,
                earlyoom_anon_kib: f.opt_u64("earlyoom_anon_kib")?,
                reader_bytes: f.opt_u64("reader_bytes")?,
                earlyoom_bytes: f.opt_u64("earlyoom_bytes")?,
            });
            Ok(())
        }
        "P8" => {
            let mut f = Fields::new("P8", P8_KEYS, &[], tokens)?;
            let readers = f.u32("readers")?;
            if readers == 0 {
                return Err("P8: readers=0: expected at least one reader".to_string());
            }
            data.p8.push(P8Burst {
                line,
                readers,
                events: f.opt_u64("events")?,
                span_ms: f.opt_f64("span_ms")?,
                lost: f.opt_u64("lost")?,
            });
            Ok(())
        }
        "P9" => {
            if let Some(prev) = data.p9 {
                return Err(format!("P9 already given on line {}", prev.line));
            }
            let mut f = Fields::new("P9", P9_KEYS, &[], tokens)?;
            data.p9 = Some(P9Ci {
                line,
                fresh_setup_s: f.opt_f64("fresh_setup_s")?,
                fresh_test_s: f.opt_f64("fresh_test_s")?,
                warm_test_s: f.opt_f64("warm_test_s")?,
            });
            Ok(())
        }
        other => Err(format!(
            "unknown id '{other}' (expected meta, note, done, P1, P2, P4, P5, P6, P7, P8 or P9)"
        )),
    }
}

fn parse_meta<'a>(
    tokens: impl Iterator<Item = &'a str>,
    data: &mut BenchData,
) -> Result<(), String> {
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

fn parse_p2(mut f: Fields<'_>, line: usize) -> Result<P2Run, String> {
    let v = f.raw("rate")?;
    let rate = Rate::parse(v).ok_or_else(|| {
        format!("P2: rate={v}: expected a positive whole number of MiB/s or 'max'")
    })?;
    let run = f.u32("run")?;
    let reached_mibs = f.opt_f64("reached_mibs")?;
    let mut leads = [None; 7];
    for (slot, s) in leads.iter_mut().zip(Signal::ALL) {
        *slot = f.opt_f64(s.key())?;
    }
    let earlyoom_sig = match f.raw("earlyoom_sig")? {
        "-" => None,
        "TERM" => Some(KillSig::Term),
        "KILL" => Some(KillSig::Kill),
        v => return Err(format!("P2: earlyoom_sig={v}: expected TERM, KILL or '-'")),
    };
    let mut delays = [None; 3];
    for (slot, l) in delays.iter_mut().zip(Level::ALL) {
        *slot = f.opt_f64(l.delay_key())?;
    }
    let mut kdelays = [None; 3];
    for (slot, l) in kdelays.iter_mut().zip(Level::ALL) {
        *slot = f.optional_f64(l.kdelay_key())?;
    }
    Ok(P2Run {
        line,
        rate,
        run,
        reached_mibs,
        leads,
        earlyoom_sig,
        delays,
        kdelays,
    })
}

fn split_pair<'a>(what: &str, t: &'a str) -> Result<(&'a str, &'a str), String> {
    let (k, v) = t
        .split_once('=')
        .ok_or_else(|| format!("{what}: '{t}' is not key=value"))?;
    if k.is_empty() {
        return Err(format!("{what}: '{t}' has no key"));
    }
    if v.is_empty() {
        return Err(format!("{what}: {k}= has no value (write '-' if absent)"));
    }
    Ok((k, v))
}

/// The `key=value` tokens of one line, checked against the keys its id defines.
struct Fields<'a> {
    what: &'static str,
    pairs: Vec<(&'a str, &'a str)>,
}

impl<'a> Fields<'a> {
    /// Splits the tokens and rejects keys that are unknown (neither in `keys`, which the
    /// accessors require, nor in `optional`) or repeated.
    fn new(
        what: &'static str,
        keys: &[&str],
        optional: &[&str],
        tokens: impl Iterator<Item = &'a str>,
    ) -> Result<Self, String> {
        let mut pairs: Vec<(&str, &str)> = Vec::new();
        for t in tokens {
            let (k, v) = split_pair(what, t)?;
            if !keys.contains(&k) && !optional.contains(&k) {
                let mut expected = keys.join(", ");
                if !optional.is_empty() {
                    expected.push_str(&format!("; optional {}", optional.join(", ")));
                }
                return Err(format!("{what}: unknown key '{k}' (expected {expected})"));
            }
            if pairs.iter().any(|(key, _)| *key == k) {
                return Err(format!("{what}: {k}= given twice"));
            }
            pairs.push((k, v));
        }
        Ok(Self { what, pairs })
    }

    /// The value of a key, if present.
    fn get(&self, key: &str) -> Option<&'a str> {
        self.pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }

    /// The value of a key that must be present.
    fn raw(&mut self, key: &str) -> Result<&'a str, String> {
        self.get(key)
            .ok_or_else(|| format!("{}: missing {key}= (write {key}=- if absent)", self.what))
    }

    /// An optional key: absent and `-` are both `None`.
    fn optional_u64(&mut self, key: &str) -> Result<Option<u64>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(_) => self.opt_u64(key),
        }
    }

    /// An optional key: absent and `-` are both `None`.
    fn optional_f64(&mut self, key: &str) -> Result<Option<f64>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(_) => self.opt_f64(key),
        }
    }

    fn u32(&mut self, key: &str) -> Result<u32, String> {
        let v = self.raw(key)?;
        v.parse()
            .map_err(|_| format!("{}: {key}={v}: expected a whole number", self.what))
    }

    fn opt_u64(&mut self, key: &str) -> Result<Option<u64>, String> {
        match self.raw(key)? {
            "-" => Ok(None),
            v => v
                .parse()
                .map(Some)
                .map_err(|_| format!("{}: {key}={v}: expected a whole number or '-'", self.what)),
        }
    }

    fn opt_f64(&mut self, key: &str) -> Result<Option<f64>, String> {
        match self.raw(key)? {
            "-" => Ok(None),
            v => v
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .map(Some)
                .ok_or_else(|| format!("{}: {key}={v}: expected a number or '-'", self.what)),
        }
    }

    /// The optional `reader=` of a P1 line: absent is the normal reader.
    fn reader(&mut self) -> Result<Reader, String> {
        if self.get("reader").is_none() {
            return Ok(Reader::Normal);
        }
        self.choice("reader", &[("normal", Reader::Normal), ("rt", Reader::Rt)])
    }

    fn choice<T: Copy>(&mut self, key: &str, choices: &[(&str, T)]) -> Result<T, String> {
        let v = self.raw(key)?;
        choices
            .iter()
            .find(|(name, _)| *name == v)
            .map(|(_, t)| *t)
            .ok_or_else(|| {
                let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
                format!("{}: {key}={v}: expected {}", self.what, names.join(" or "))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P2_LINE: &str = "bench: P2 rate=50 run=1 reached_mibs=48.5 low=900 medium=500.5 \
        critical=120 reclaim=-3 earlyoom=80 earlyoom_sig=TERM psi_1ms=- psi_50ms=40 \
        low_delay=1.5 medium_delay=-0.5 critical_delay=-";

    fn err(text: &str) -> LineError {
        parse(text).unwrap_err()
    }

    #[test]
    fn non_bench_lines_are_skipped_and_cr_is_ignored() {
        let d = parse("[ 1.0] boot\nbench:P1 x\n  bench: P1 lat_ns=1\nbench: P1 lat_ns=5,6\r\n")
            .unwrap();
        assert_eq!(d.p1_normal.samples_ns, vec![5, 6]);
        assert!(!d.has(Id::P2));
    }

    #[test]
    fn p1_samples_concatenate_and_done_lines_sum() {
        let d = parse(
            "bench: P1 lat_ns=3,1\nbench: P1 lat_ns=2\nbench: P1 lat_ns=-\n\
             bench: P1 done events=3 lost=0\nbench: P1 done events=4 lost=2\n",
        )
        .unwrap();
        assert_eq!(d.p1_normal.samples_ns, vec![3, 1, 2]);
        assert_eq!(d.p1_normal.sample_lines, 3);
        assert_eq!(
            d.p1_normal.done,
            Some(P1Done {
                events: Some(7),
                lost: Some(2)
            })
        );
        assert_eq!(d.p1_rt, P1Lines::default());
        assert!(d.has(Id::P1));
    }

    #[test]
    fn p1_readers_are_kept_apart() {
        let d = parse(
            "bench: P1 reader=normal lat_ns=3,1\nbench: P1 reader=rt lat_ns=9\n\
             bench: P1 lat_ns=2\nbench: P1 lat_ns=4 reader=rt\n\
             bench: P1 done reader=normal events=3 lost=0\nbench: P1 done reader=rt events=2 lost=1\n",
        )
        .unwrap();
        assert_eq!(d.p1(Reader::Normal).samples_ns, vec![3, 1, 2]);
        assert_eq!(d.p1(Reader::Rt).samples_ns, vec![9, 4]);
        assert_eq!(
            (
                d.p1(Reader::Normal).sample_lines,
                d.p1(Reader::Rt).sample_lines
            ),
            (2, 2)
        );
        assert_eq!(
            d.p1(Reader::Rt).done,
            Some(P1Done {
                events: Some(2),
                lost: Some(1)
            })
        );
        assert_eq!(d.p1(Reader::Normal).done.unwrap().events, Some(3));
        // An rt reader alone is a P1 measurement too.
        let d = parse(
            "bench: P1 done reader=rt events=0 lost=0
",
        )
        .unwrap();
        assert!(d.has(Id::P1) && !d.p1_normal.is_present() && d.p1_rt.is_present());
    }

    #[test]
    fn p2_fields_and_absent_values() {
        let d = parse(P2_LINE).unwrap();
        let r = &d.p2[0];
        assert_eq!((r.line, r.rate, r.run), (1, Rate::MibS(50), 1));
        assert_eq!(r.reached_mibs, Some(48.5));
        assert_eq!(r.lead(Signal::Medium), Some(500.5));
        assert_eq!(r.lead(Signal::Reclaim), Some(-3.0));
        assert_eq!(r.lead(Signal::Psi1ms), None);
        assert_eq!(r.lead(Signal::Psi50ms), Some(40.0));
        assert_eq!(r.earlyoom_sig, Some(KillSig::Term));
        assert_eq!(r.delay(Level::Medium), Some(-0.5));
        assert_eq!(r.delay(Level::Critical), None);
        // The kernel-count delays are optional: absent and `-` are both unknown.
        assert_eq!(r.kdelays, [None; 3]);
        assert!(d.has(Id::P3));
        let k = parse(&format!("{P2_LINE} low_kdelay=0.4 critical_kdelay=-")).unwrap();
        assert_eq!(k.p2[0].kdelay(Level::Low), Some(0.4));
        assert_eq!(k.p2[0].kdelay(Level::Medium), None);
        assert_eq!(k.p2[0].kdelay(Level::Critical), None);
        assert_eq!(k.p2[0].delay(Level::Low), Some(1.5));
        let e = err(&format!("{P2_LINE} medium_kdelay=x"));
        assert!(
            e.msg.contains("medium_kdelay=x: expected a number or '-'"),
            "{e}"
        );
        let e = err(&format!("{P2_LINE} low_kdelay=1 low_kdelay=2"));
        assert!(e.msg.contains("low_kdelay= given twice"), "{e}");
        let e = err(&format!("{P2_LINE} high_kdelay=1"));
        assert!(
            e.msg
                .contains("optional low_kdelay, medium_kdelay, critical_kdelay"),
            "{e}"
        );
        let max = parse(&P2_LINE.replace("rate=50", "rate=max")).unwrap();
        assert_eq!(max.p2[0].rate, Rate::Max);
        assert!(Rate::MibS(800) < Rate::Max && Rate::MibS(50) < Rate::MibS(200));
    }

    #[test]
    fn other_ids() {
        let d = parse(
            "bench: meta arch=x86_64 kernel=7.3.4\nbench: meta arch=x86_64 smp=2\n\
             bench: P4 storm=1 rounds=60 max_ns=9000 avg_ns=2000\n\
             bench: P5 mode=observe spikes=10 kills=10 averts=-\n\
             bench: P6 phase=quiet secs=10.5 samples=3 peek_runs=0 peek_wakes=0 monitor_ns=1000 peek_ns=0\n\
             bench: P7 reader_rss_kib=900 reader_anon_kib=100 earlyoom_rss_kib=1200 earlyoom_anon_kib=150 reader_bytes=1 earlyoom_bytes=-\n\
             bench: P8 readers=8 events=5000 span_ms=12.5 lost=0\n\
             bench: P9 fresh_setup_s=600 fresh_test_s=- warm_test_s=95.5\n",
        )
        .unwrap();
        assert_eq!(
            d.meta,
            vec![
                ("arch".to_string(), "x86_64".to_string()),
                ("kernel".to_string(), "7.3.4".to_string()),
                ("smp".to_string(), "2".to_string())
            ]
        );
        assert_eq!(d.p4[0].rounds, Some(60));
        assert_eq!((d.p5[0].mode, d.p5[0].averts), (Mode::Observe, None));
        assert_eq!((d.p6[0].phase, d.p6[0].secs), (Phase::Quiet, Some(10.5)));
        assert_eq!(d.p7.unwrap().earlyoom_bytes, None);
        assert_eq!(d.p8[0].span_ms, Some(12.5));
        assert_eq!(d.p9.unwrap().fresh_test_s, None);
        for id in Id::ALL {
            let absent = matches!(id, Id::P1 | Id::P2 | Id::P3);
            assert_eq!(d.has(id), !absent, "{id}");
        }
    }

    #[test]
    fn errors_name_the_line_and_the_problem() {
        let e = err("boot\nbench: P1 lat_ns=1\nbench: Q7 x=1\n");
        assert_eq!(e.line, 3);
        assert!(e.msg.contains("unknown id 'Q7'"), "{e}");
        let cases = [
            ("bench: ", "no id"),
            ("bench: P3 low_delay=1", "P3 has no lines"),
            ("bench: P1 lat_ns=1,,2", "'' is not a whole number"),
            ("bench: P1 lat_ns=1.5", "'1.5' is not a whole number"),
            ("bench: P1 done events=1", "missing lost="),
            ("bench: P1 reader=fifo lat_ns=1", "reader=fifo: expected normal or rt"),
            ("bench: P1 reader=rt reader=rt lat_ns=1", "reader= given twice"),
            ("bench: P1 done reader=- events=1 lost=0", "reader=-: expected normal or rt"),
            (
                "bench: P1 lat_ns=1 x=2",
                "unknown key 'x' (expected lat_ns; optional reader)",
            ),
            ("bench: P4 storm=1 rounds=2 max_ns=3", "missing avg_ns="),
            (
                "bench: P4 storm=1 rounds=2 max_ns=3 avg_ns=4 extra=1",
                "unknown key 'extra' (expected storm, rounds, max_ns, avg_ns; optional averts, kills)",
            ),
            ("bench: P6 phase=near x=1", "unknown key 'x' (expected phase, secs,"),
            ("bench: P4 storm=1 rounds=2 max_ns=3 avg_ns=4 kills=x", "kills=x: expected a whole"),
            ("bench: done 1", "done takes no values, found '1'"),
            ("bench: P4 storm=1 storm=1 rounds=2 max_ns=3 avg_ns=4", "storm= given twice"),
            ("bench: P4 storm=1 rounds=x max_ns=3 avg_ns=4", "rounds=x: expected a whole number"),
            ("bench: P4 storm=- rounds=1 max_ns=3 avg_ns=4", "storm=-: expected a whole number"),
            ("bench: P4 storm=1 rounds= max_ns=3 avg_ns=4", "rounds= has no value"),
            ("bench: P4 storm=1 rounds max_ns=3 avg_ns=4", "'rounds' is not key=value"),
            ("bench: P5 mode=off spikes=1 kills=1 averts=1", "mode=off: expected avert or observe"),
            ("bench: P8 readers=0 events=1 span_ms=1 lost=0", "readers=0"),
            ("bench: P8 readers=1 events=1 span_ms=inf lost=0", "span_ms=inf: expected a number"),
            ("bench: meta arch", "'arch' is not key=value"),
        ];
        for (line, want) in cases {
            let e = err(line);
            assert_eq!(e.line, 1, "{line}");
            assert!(e.msg.contains(want), "{line}: {e}");
        }
        let p2 = |from: &str, to: &str| err(&P2_LINE.replace(from, to)).msg;
        assert!(p2("rate=50", "rate=0").contains("rate=0: expected a positive"));
        assert!(p2("rate=50", "rate=fast").contains("rate=fast"));
        assert!(p2("earlyoom_sig=TERM", "earlyoom_sig=HUP").contains("expected TERM, KILL"));
        assert!(p2("critical=120", "critical=NaN").contains("critical=NaN"));
    }

    #[test]
    fn notes_done_and_optional_keys() {
        let d = parse(
            "bench: note P2 rate=50 run=3: the hog was not OOM-killed  \n\
             bench: note\n\
             bench: P4 storm=1 rounds=60 max_ns=9000 avg_ns=2000 averts=59 kills=1\n\
             bench: P4 storm=2 rounds=60 max_ns=9000 avg_ns=2000\n\
             bench: P5 mode=avert spikes=20 spike_mib=150 kills=0 averts=20\n\
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
        assert_eq!(d.done_line, Some(6));
        assert_eq!((d.p4[0].averts, d.p4[0].kills), (Some(59), Some(1)));
        assert_eq!((d.p4[1].averts, d.p4[1].kills), (None, None));
        assert_eq!(d.p5[0].spike_mib, Some(150));
        // A note is not a measurement.
        assert!(Id::ALL
            .iter()
            .all(|&id| !parse("bench: note x\n").unwrap().has(id)));
    }

    #[test]
    fn duplicates_are_errors_where_they_would_be_ambiguous() {
        let twice = format!("{P2_LINE}\n{P2_LINE}\n");
        let e = err(&twice);
        assert_eq!(e.line, 2);
        assert!(
            e.msg.contains("rate=50 run=1 already given on line 1"),
            "{e}"
        );
        let e = err("bench: P4 storm=1 rounds=1 max_ns=1 avg_ns=1\nbench: P4 storm=1 rounds=1 max_ns=1 avg_ns=1");
        assert!(e.msg.contains("already given on line 1"), "{e}");
        let p7 = "bench: P7 reader_rss_kib=1 reader_anon_kib=1 earlyoom_rss_kib=1 earlyoom_anon_kib=1 reader_bytes=1 earlyoom_bytes=1";
        assert_eq!(err(&format!("{p7}\n{p7}")).line, 2);
        let e = err("bench: meta arch=x86_64\nbench: meta arch=arm64");
        assert!(e.msg.contains("contradicts"), "{e}");
        // Repeated P6 and P8 lines are separate samples.
        let p6 = "bench: P6 phase=quiet secs=1 samples=1 peek_runs=1 peek_wakes=1 monitor_ns=1 peek_ns=1";
        assert_eq!(parse(&format!("{p6}\n{p6}")).unwrap().p6.len(), 2);
    }
}
