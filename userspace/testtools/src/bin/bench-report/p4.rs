//! P4, the OOM callback's cost, judged as a share in two kinds of OOM: in an OOM that ended in a
//! kill, of the kernel's own OOM handling (`bench: P4 share oom_seq=N callback_ns=N
//! select_ns=N`, one line per such global OOM, from the P2 runs); in an averted OOM, the
//! callback's work beyond its `__free_pages` calls as a share of the cost of freeing one pool
//! block (`bench: P4 avert storm=N oom_seq=N callback_ns=N free_ns=N blocks=N`, one line per
//! OOM that released pool blocks, from the storms). As context, `bench: P4 storm=N rounds=N
//! max_ns=N avg_ns=N [averts=N] [kills=N]`, one line per storm of averted OOMs, from the
//! module's stats.

use crate::input::{Fields, Tokens};
use crate::measure::{About, Status, Summary, Verdict};
use crate::stats::{median_f64, nearest_rank};
use crate::table::{n_int, n_us, plural, table};
use crate::units::{self, opt};
use serde_json::{json, Value};

/// What the report says about P4.
pub const ABOUT: About = About {
    id: "P4",
    host: false,
    measure: "OOM callback cost",
    target: "the callback ≤ 5 % of the kernel's own OOM handling (notifier to victim selection) \
             in every OOM that ends in a kill, and its work beyond its `__free_pages` calls ≤ 5 % \
             of the cost of freeing one pool block in every averted OOM",
    method: "\
Killed OOMs are judged on the P2 runs, where the module observes and the kernel's OOM killer \
kills the hog: for every global OOM that ends in a kill, the module prints one `P4 share` line. \
callback_ns is \
the module's own time in its OOM notifier in that OOM (its ktime around the callback); \
select_ns is the time from the module's notifier call to the kernel's selection of the victim \
in the same OOM, stamped by the module's probe on the oom:mark_victim tracepoint: the kernel's \
own OOM handling, of which the callback is a part. An OOM's share is callback_ns / select_ns. \
Both times are taken in the same guest and OOM, so the share does not depend on the machine's \
speed and carries from an emulated machine to a board, where an absolute time under TCG would \
mean nothing. The target is met when the largest share is at most 5 %, over at least 10 OOMs \
with a share; fewer are too few to judge. A line with select_ns=0 has no share and is not \
counted. The median share and the median callback and selection times are nearest-rank over \
the OOMs with a share. \
Beside it, as context and not judged, the storms of averted OOMs: four per architecture, \
storms 1 and 4 followed by the two latency readers of P1, storm 2 by 8 plain readers and storm \
3 by 1 plain reader. In each, the module is loaded afresh with a 64 MiB emergency pool and an \
unbounded hog drains it, one averted OOM round per released chunk, until the pool is empty and \
the hog is killed. The pool is made of order-6 blocks (64 pages each), so a release frees whole \
blocks. After each storm the stats ioctl gives the rounds (oom_calls), callback_max_ns and \
callback_avg_ns, and the OOMs averted; kills are the guest's OOM kills (vmstat oom_kill). The \
storms' max is the max over all storms; their mean is the storms' means weighted by their \
rounds. \
An averted OOM has no kernel OOM handling to compare with: it is judged against the unit the \
issue names, the cost of freeing one pool block. Since ABI 2.1 the module's OOM record carries \
free_ns, the time of the callback's pool release loop (two reads of the clock of callback_ns \
around the loop that gives the blocks to __free_pages, not one per block), and blocks_freed, \
the blocks that loop freed. After each storm the bench prints one `P4 avert` line per OOM \
record of the storm's first reader with action release and at least one block freed, named \
by its storm and sequence number (the module is loaded afresh for each storm). An \
averted OOM's overhead is callback_ns − free_ns: the callback's work beyond the __free_pages \
calls it must make (sampling the zones, choosing a zone, its bookkeeping and its record); its \
unit is free_ns / blocks, the cost of freeing one pool block in that OOM (the loop's own few \
instructions per block included); its ratio is overhead / unit. Averted OOMs meet the target \
when the largest ratio is at most 5 %, over at least 10 averted OOMs with a unit (free_ns > \
0); the median ratio, overhead and unit are nearest-rank over those OOMs. P4 is met only when \
both the killed and the averted OOMs meet it; either without lines, or with too few, is not \
measured, and P4 with it.",
    definitions: &[
        (
            "P4.share",
            "per OOM that ended in a kill: share = callback_ns / select_ns (null when select_ns \
             is 0); over the OOMs with a share: n, their nearest-rank median and max, the \
             nearest-rank medians of callback_ns and select_ns, and over_goal, the OOMs whose \
             share is above goal. goal: the most the max share may be, over at least min_ooms \
             OOMs with a share",
        ),
        (
            "P4.avert",
            "per averted OOM that freed pool blocks: overhead_ns = callback_ns − free_ns, \
             unit_ns = free_ns / blocks, ratio = overhead_ns / unit_ns (null when free_ns is 0); \
             over the OOMs with a ratio: n, their nearest-rank median and max, the nearest-rank \
             medians of overhead_ns, unit_ns and blocks, and over_goal, the OOMs whose ratio is \
             above goal (judged like the share, over at least min_ooms OOMs)",
        ),
        (
            "P4.mean_ns",
            "mean of avg_ns weighted by rounds, over storms with both",
        ),
    ],
};

/// The most the callback's share of an OOM's handling may be.
const GOAL: f64 = 0.05;
/// The OOMs with a share needed to judge the max.
const MIN_OOMS: usize = 10;

/// One P4 storm: OOM callback cost from the module's stats, for averted OOMs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Storm {
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

/// One global OOM that ended in a kill: the callback's time and the kernel's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Share {
    pub line: usize,
    /// The sequence number of the module's OOM record: an identifier, unique per input.
    pub oom_seq: u64,
    /// The module's own time in its OOM notifier in this OOM.
    pub callback_ns: u64,
    /// From the module's notifier call to the kernel's selection of the victim.
    pub select_ns: u64,
}

impl Share {
    /// callback_ns / select_ns; `None` when select_ns is 0.
    pub fn share(&self) -> Option<f64> {
        (self.select_ns > 0).then(|| self.callback_ns as f64 / self.select_ns as f64)
    }
}

/// One averted OOM that freed pool blocks: the callback's time, the part of it spent freeing
/// them, and how many.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Avert {
    pub line: usize,
    /// The storm it came in: the module is loaded afresh for each, so its sequence numbers
    /// start again.
    pub storm: u64,
    /// The sequence number of the module's OOM record: with the storm, an identifier, unique
    /// per input.
    pub oom_seq: u64,
    /// The module's own time in its OOM notifier in this OOM.
    pub callback_ns: u64,
    /// Of callback_ns, the pool release loop's time: its `__free_pages` calls.
    pub free_ns: u64,
    /// Pool blocks freed (at least 1).
    pub blocks: u64,
}

impl Avert {
    /// The callback's work beyond its `__free_pages` calls: callback_ns − free_ns.
    pub fn overhead_ns(&self) -> u64 {
        self.callback_ns.saturating_sub(self.free_ns)
    }

    /// The cost of freeing one pool block: free_ns / blocks.
    pub fn unit_ns(&self) -> f64 {
        self.free_ns as f64 / self.blocks as f64
    }

    /// overhead / unit; `None` when free_ns is 0 (no unit).
    pub fn ratio(&self) -> Option<f64> {
        (self.free_ns > 0).then(|| self.overhead_ns() as f64 / self.unit_ns())
    }
}

/// One `P4` line: a storm of averted OOMs, a killed OOM's share or an averted OOM's unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum P4Line {
    Storm(Storm),
    Share(Share),
    Avert(Avert),
}

/// Parses a `P4` line: `P4 share ...`, `P4 avert ...` or a storm; an OOM (of each kind) and a
/// storm are each given once.
pub fn parse(tokens: Tokens<'_>, line: usize, lines: &mut Vec<P4Line>) -> Result<(), String> {
    let mut tokens = tokens.peekable();
    let parsed = if tokens.next_if_eq(&"share").is_some() {
        P4Line::Share(parse_share(tokens, line, lines)?)
    } else if tokens.next_if_eq(&"avert").is_some() {
        P4Line::Avert(parse_avert(tokens, line, lines)?)
    } else {
        P4Line::Storm(parse_storm(tokens, line, lines)?)
    };
    lines.push(parsed);
    Ok(())
}

/// The keys of a `P4 share` or `P4 avert` line, every one required and a whole number, in
/// the order of `keys`.
fn whole_fields<'a, const N: usize>(
    what: &'static str,
    keys: [&str; N],
    tokens: impl Iterator<Item = &'a str>,
) -> Result<[u64; N], String> {
    let f = Fields::new(what, &keys, &[], tokens)?;
    let mut out = [0; N];
    for (o, key) in out.iter_mut().zip(keys) {
        let v = f
            .get(key)
            .ok_or_else(|| format!("{what}: missing {key}= (a whole number)"))?;
        *o = v
            .parse()
            .map_err(|_| format!("{what}: {key}={v}: expected a whole number"))?;
    }
    Ok(out)
}

/// An OOM given twice: `WHAT: ID already given on line L`.
fn repeated(what: &str, id: &str, prev: Option<usize>) -> Result<(), String> {
    match prev {
        Some(line) => Err(format!("{what}: {id} already given on line {line}")),
        None => Ok(()),
    }
}

/// `share oom_seq=N callback_ns=N select_ns=N`, every key required and a whole number.
fn parse_share<'a>(
    tokens: impl Iterator<Item = &'a str>,
    line: usize,
    lines: &[P4Line],
) -> Result<Share, String> {
    const WHAT: &str = "P4 share";
    let [oom_seq, callback_ns, select_ns] =
        whole_fields(WHAT, ["oom_seq", "callback_ns", "select_ns"], tokens)?;
    let prev = shares(lines).find(|s| s.oom_seq == oom_seq);
    repeated(WHAT, &format!("oom_seq={oom_seq}"), prev.map(|s| s.line))?;
    Ok(Share {
        line,
        oom_seq,
        callback_ns,
        select_ns,
    })
}

/// `avert storm=N oom_seq=N callback_ns=N free_ns=N blocks=N`, every key required and a whole
/// number, blocks at least 1 and free_ns at most callback_ns (it is a part of it).
fn parse_avert<'a>(
    tokens: impl Iterator<Item = &'a str>,
    line: usize,
    lines: &[P4Line],
) -> Result<Avert, String> {
    const WHAT: &str = "P4 avert";
    let [storm, oom_seq, callback_ns, free_ns, blocks] = whole_fields(
        WHAT,
        ["storm", "oom_seq", "callback_ns", "free_ns", "blocks"],
        tokens,
    )?;
    if blocks == 0 {
        return Err(format!(
            "{WHAT}: blocks=0: the line is for an OOM that freed pool blocks"
        ));
    }
    if free_ns > callback_ns {
        return Err(format!(
            "{WHAT}: free_ns={free_ns} is more than callback_ns={callback_ns}, of which it is \
             a part"
        ));
    }
    let prev = averts(lines).find(|a| (a.storm, a.oom_seq) == (storm, oom_seq));
    let id = format!("storm={storm} oom_seq={oom_seq}");
    repeated(WHAT, &id, prev.map(|a| a.line))?;
    Ok(Avert {
        line,
        storm,
        oom_seq,
        callback_ns,
        free_ns,
        blocks,
    })
}

/// `storm=N rounds=N max_ns=N avg_ns=N [averts=N] [kills=N]`.
fn parse_storm<'a>(
    tokens: impl Iterator<Item = &'a str>,
    line: usize,
    lines: &[P4Line],
) -> Result<Storm, String> {
    let f = Fields::new(
        "P4",
        &["storm", "rounds", "max_ns", "avg_ns"],
        &["averts", "kills"],
        tokens,
    )?;
    let storm = Storm {
        line,
        storm: f.u32("storm")?,
        rounds: f.opt_u64("rounds")?,
        max_ns: f.opt_u64("max_ns")?,
        avg_ns: f.opt_u64("avg_ns")?,
        averts: f.optional_u64("averts")?,
        kills: f.optional_u64("kills")?,
    };
    if let Some(prev) = storms(lines).find(|s| s.storm == storm.storm) {
        return Err(format!(
            "P4: storm={} already given on line {}",
            storm.storm, prev.line
        ));
    }
    Ok(storm)
}

/// The storm lines, in line order.
fn storms(lines: &[P4Line]) -> impl Iterator<Item = &Storm> {
    lines.iter().filter_map(|l| match l {
        P4Line::Storm(s) => Some(s),
        _ => None,
    })
}

/// The share lines, in line order.
fn shares(lines: &[P4Line]) -> impl Iterator<Item = &Share> {
    lines.iter().filter_map(|l| match l {
        P4Line::Share(s) => Some(s),
        _ => None,
    })
}

/// The avert lines, in line order.
fn averts(lines: &[P4Line]) -> impl Iterator<Item = &Avert> {
    lines.iter().filter_map(|l| match l {
        P4Line::Avert(a) => Some(a),
        _ => None,
    })
}

/// A share as a percentage with one decimal: `7.2 %`; two when one would read as the goal
/// without being it (`5.01 %`, not `5.0 %`, for a miss).
fn pct(v: f64) -> String {
    let text = format!("{:.1} %", v * 100.0);
    if text == format!("{:.1} %", GOAL * 100.0) && v != GOAL {
        format!("{:.2} %", v * 100.0)
    } else {
        text
    }
}

/// The OOMs of one kind (killed or averted) ranked by their ratio: the figures both report.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked<T> {
    /// Every line, in line order, with or without a ratio.
    pub lines: Vec<T>,
    /// The OOMs with a ratio.
    pub n: usize,
    pub median: Option<f64>,
    pub max: Option<f64>,
    /// The OOM of the max ratio (the first in line order on a tie).
    pub max_oom: Option<T>,
    /// The OOMs whose ratio is above the goal.
    pub over_goal: usize,
    /// The lines with a ratio, in line order.
    with: Vec<T>,
}

impl<T: Copy> Ranked<T> {
    /// `None` without lines.
    fn new(lines: Vec<T>, ratio: impl Fn(&T) -> Option<f64>) -> Option<Self> {
        if lines.is_empty() {
            return None;
        }
        let with: Vec<(T, f64)> = lines.iter().filter_map(|l| Some((*l, ratio(l)?))).collect();
        let mut max: Option<(T, f64)> = None;
        for &(l, v) in &with {
            if max.is_none_or(|(_, m)| v > m) {
                max = Some((l, v));
            }
        }
        Some(Self {
            n: with.len(),
            median: median_f64(with.iter().map(|(_, v)| *v)),
            max: max.map(|(_, v)| v),
            max_oom: max.map(|(l, _)| l),
            over_goal: with.iter().filter(|(_, v)| *v > GOAL).count(),
            with: with.into_iter().map(|(l, _)| l).collect(),
            lines,
        })
    }

    /// The nearest-rank median of `f` over the OOMs with a ratio.
    fn median_of<V: Ord + Copy>(&self, f: impl Fn(&T) -> V) -> Option<V> {
        let mut v: Vec<V> = self.with.iter().map(f).collect();
        v.sort_unstable();
        nearest_rank(&v, 50)
    }

    /// This kind's part of P4's verdict: met when the max ratio is within the goal over at
    /// least [`MIN_OOMS`] OOMs `having` one (`what` names one such OOM), else missed, told by
    /// `max_text` (given the max as a percentage and its OOM) and the median.
    fn verdict(
        &self,
        what: &str,
        having: &str,
        max_text: impl FnOnce(&str, &T) -> String,
    ) -> Verdict {
        if self.n < MIN_OOMS {
            return Verdict::not_measured(format!(
                "only {} {having}, {MIN_OOMS} needed",
                plural(self.n, what)
            ));
        }
        let (Some(max), Some(med), Some(at)) = (self.max, self.median, self.max_oom) else {
            return Verdict::not_measured(format!("no {what} {having}"));
        };
        if max <= GOAL {
            return Verdict::met();
        }
        Verdict::new(
            Status::Missed,
            format!(
                "{}, median {} over {} OOMs; {} of {} over {}",
                max_text(&pct(max), &at),
                pct(med),
                self.n,
                self.over_goal,
                self.n,
                units::pct(GOAL * 100.0)
            ),
        )
    }
}

/// The killed OOMs' shares of one input.
#[derive(Debug, Clone, PartialEq)]
pub struct ShareStats {
    /// The OOMs ranked by share (select_ns > 0 for one).
    pub ranked: Ranked<Share>,
    /// Nearest-rank medians over the OOMs with a share.
    pub median_callback_ns: Option<u64>,
    pub median_select_ns: Option<u64>,
}

impl ShareStats {
    fn new(lines: Vec<Share>) -> Option<Self> {
        let ranked = Ranked::new(lines, Share::share)?;
        Some(Self {
            median_callback_ns: ranked.median_of(|s| s.callback_ns),
            median_select_ns: ranked.median_of(|s| s.select_ns),
            ranked,
        })
    }

    /// The killed OOMs' part of the verdict: the max share against the goal.
    fn verdict(&self) -> Verdict {
        self.ranked
            .verdict("OOM", "with a victim selection time", |max, at| {
                format!(
                    "max {max} of the kernel's OOM handling (callback {} of {}, OOM seq {})",
                    units::dur_ns(at.callback_ns as f64),
                    units::dur_ns(at.select_ns as f64),
                    at.oom_seq
                )
            })
    }
}

/// The averted OOMs' ratios of one input: the callback's work beyond freeing pool blocks, per
/// block freed.
#[derive(Debug, Clone, PartialEq)]
pub struct AvertStats {
    /// The OOMs ranked by ratio (free_ns > 0 for one).
    pub ranked: Ranked<Avert>,
    /// Nearest-rank medians over the OOMs with a ratio.
    pub median_overhead_ns: Option<u64>,
    pub median_unit_ns: Option<f64>,
    pub median_blocks: Option<u64>,
}

impl AvertStats {
    fn new(lines: Vec<Avert>) -> Option<Self> {
        let ranked = Ranked::new(lines, Avert::ratio)?;
        Some(Self {
            median_overhead_ns: ranked.median_of(Avert::overhead_ns),
            median_unit_ns: median_f64(ranked.with.iter().map(Avert::unit_ns)),
            median_blocks: ranked.median_of(|a| a.blocks),
            ranked,
        })
    }

    /// The averted OOMs' part of the verdict: the max ratio against the goal.
    fn verdict(&self) -> Verdict {
        self.ranked
            .verdict("averted OOM", "with a block-freeing time", |max, at| {
                format!(
                    "averted OOMs: max {max} of the cost of freeing one pool block (beyond \
                     freeing {}, {} a block, storm {} OOM seq {})",
                    units::dur_ns(at.overhead_ns() as f64),
                    units::dur_ns(at.unit_ns()),
                    at.storm,
                    at.oom_seq
                )
            })
    }
}

/// P4: the killed OOMs' shares, judged, and the storms of averted OOMs beside them.
#[derive(Debug, Clone, PartialEq)]
pub struct P4Summary {
    /// The storms, by storm number.
    pub storms: Vec<Storm>,
    pub total_rounds: u64,
    pub max_ns: Option<u64>,
    /// Mean weighted by rounds, over the storms with both rounds and avg_ns.
    pub mean_ns: Option<f64>,
    /// `None` without share lines.
    pub share: Option<ShareStats>,
    /// `None` without avert lines.
    pub avert: Option<AvertStats>,
}

impl P4Summary {
    pub fn new(lines: &[P4Line]) -> Option<Self> {
        if lines.is_empty() {
            return None;
        }
        let mut storms: Vec<Storm> = storms(lines).copied().collect();
        storms.sort_by_key(|s| s.storm);
        let total_rounds = storms.iter().filter_map(|s| s.rounds).sum();
        let weighted: Vec<(f64, f64)> = storms
            .iter()
            .filter_map(|s| Some((s.rounds? as f64, s.avg_ns? as f64)))
            .collect();
        let weight: f64 = weighted.iter().map(|(r, _)| r).sum();
        let mean_ns =
            (weight > 0.0).then(|| weighted.iter().map(|(r, a)| r * a).sum::<f64>() / weight);
        Some(Self {
            max_ns: storms.iter().filter_map(|s| s.max_ns).max(),
            storms,
            total_rounds,
            mean_ns,
            share: ShareStats::new(shares(lines).copied().collect()),
            avert: AvertStats::new(averts(lines).copied().collect()),
        })
    }

    /// `storms: max 1.2 ms, mean 98.0 µs over 154 rounds`, or `no storms`.
    fn storms_headline(&self) -> String {
        if self.storms.is_empty() {
            return "no storms".to_string();
        }
        format!(
            "storms: max {}, mean {} over {} rounds",
            opt(self.max_ns, |n| units::dur_ns(n as f64)),
            opt(self.mean_ns, units::dur_ns),
            units::int(self.total_rounds)
        )
    }
}

impl Summary for P4Summary {
    /// Met when both the killed OOMs' max share and the averted OOMs' max ratio are within
    /// the goal; missed if either is over it; else not measured, naming what is missing.
    fn verdict(&self) -> Verdict {
        let share = match &self.share {
            Some(s) => s.verdict(),
            None => Verdict::not_measured(
                "no P4 share lines: P4 is judged on the callback's share of killed OOMs",
            ),
        };
        let avert = match &self.avert {
            Some(a) => a.verdict(),
            None => Verdict::not_measured(
                "no P4 avert lines: averted OOMs are judged on the callback's work beyond \
                 freeing pool blocks, per block freed",
            ),
        };
        let (mut missed, mut unmeasured) = (Vec::new(), Vec::new());
        for v in [share, avert] {
            match (v.status, v.detail) {
                (Status::Missed, Some(d)) => missed.push(d),
                (Status::Met, _) => {}
                (_, d) => unmeasured.push(d.unwrap_or_default()),
            }
        }
        Verdict::from_parts_or_not_measured(missed, unmeasured)
    }

    /// `callback median 1.1 %, max 7.2 % of the OOM handling (n = 40); averted: beyond
    /// freeing median 812.0 %, max 1500.0 % of one block (n = 168); storms: max 1.2 ms, mean
    /// 98.0 µs over 154 rounds`.
    fn headline(&self) -> String {
        let share = match &self.share {
            None => "no share lines".to_string(),
            Some(s) => match (s.ranked.median, s.ranked.max) {
                (Some(med), Some(max)) => format!(
                    "callback median {}, max {} of the OOM handling (n = {})",
                    pct(med),
                    pct(max),
                    s.ranked.n
                ),
                _ => "no callback share (n = 0)".to_string(),
            },
        };
        let avert = match &self.avert {
            None => "no avert lines".to_string(),
            Some(a) => match (a.ranked.median, a.ranked.max) {
                (Some(med), Some(max)) => format!(
                    "averted: beyond freeing median {}, max {} of one block (n = {})",
                    pct(med),
                    pct(max),
                    a.ranked.n
                ),
                _ => "no averted unit (n = 0)".to_string(),
            },
        };
        format!("{share}; {avert}; {}", self.storms_headline())
    }

    fn markdown(&self, out: &mut String) {
        match &self.share {
            None => out.push_str(
                "Not measured: no P4 share lines (the callback's share of the OOMs that ended \
                 in a kill).\n\n",
            ),
            Some(s) => {
                table(
                    out,
                    &[
                        "OOMs with a share",
                        "Median share",
                        "Max share",
                        "Median callback (µs)",
                        "Median selection (µs)",
                        "Over 5 %",
                    ],
                    &[vec![
                        s.ranked.n.to_string(),
                        opt(s.ranked.median, pct),
                        opt(s.ranked.max, pct),
                        n_us(s.median_callback_ns),
                        n_us(s.median_select_ns),
                        s.ranked.over_goal.to_string(),
                    ]],
                );
                if let Some(at) = s.ranked.max_oom {
                    out.push_str(&format!(
                        "The max is OOM seq {} (line {}): callback {} of {}.\n\n",
                        at.oom_seq,
                        at.line,
                        units::dur_ns(at.callback_ns as f64),
                        units::dur_ns(at.select_ns as f64)
                    ));
                }
                if s.ranked.n < s.ranked.lines.len() {
                    out.push_str(&format!(
                        "{} with select_ns=0: no share, not counted.\n\n",
                        plural(s.ranked.lines.len() - s.ranked.n, "OOM")
                    ));
                }
                if s.ranked.n < MIN_OOMS {
                    out.push_str(&format!(
                        "Not judged: {} with a share, {MIN_OOMS} needed.\n\n",
                        plural(s.ranked.n, "OOM")
                    ));
                }
            }
        }
        avert_markdown(self.avert.as_ref(), out);
        if self.storms.is_empty() {
            out.push_str("No storm lines (averted OOMs, shown as context).\n\n");
            return;
        }
        out.push_str("Storms of averted OOMs, as context (not judged):\n\n");
        let mut rows: Vec<Vec<String>> = self
            .storms
            .iter()
            .map(|st| {
                vec![
                    st.storm.to_string(),
                    n_int(st.rounds),
                    n_us(st.max_ns),
                    n_us(st.avg_ns),
                    n_int(st.averts),
                    n_int(st.kills),
                ]
            })
            .collect();
        rows.push(vec![
            "**all**".to_string(),
            units::int(self.total_rounds),
            n_us(self.max_ns),
            opt(self.mean_ns, units::us_num),
            String::new(),
            String::new(),
        ]);
        table(
            out,
            &[
                "Storm",
                "Rounds",
                "Max (µs)",
                "Mean (µs)",
                "Averts",
                "Kills",
            ],
            &rows,
        );
    }

    fn json(&self) -> Value {
        let storms: Vec<Value> = self
            .storms
            .iter()
            .map(|st| {
                json!({
                    "line": st.line,
                    "storm": st.storm,
                    "rounds": st.rounds,
                    "max_ns": st.max_ns,
                    "avg_ns": st.avg_ns,
                    "averts": st.averts,
                    "kills": st.kills,
                })
            })
            .collect();
        json!({
            "goal": GOAL,
            "min_ooms": MIN_OOMS,
            "judged": ["share", "avert"],
            "share": self.share.as_ref().map_or(Value::Null, share_json),
            "avert": self.avert.as_ref().map_or(Value::Null, avert_json),
            "storms": storms,
            "total_rounds": self.total_rounds,
            "max_ns": self.max_ns,
            "max_us": units::ns_to_us(self.max_ns),
            "mean_ns": self.mean_ns,
            "mean_us": self.mean_ns.map(|n| n / 1e3),
        })
    }
}

/// The killed OOMs, raw and computed, and their figures, in the JSON.
fn share_json(s: &ShareStats) -> Value {
    let lines: Vec<Value> = s
        .ranked
        .lines
        .iter()
        .map(|l| {
            json!({
                "line": l.line,
                "oom_seq": l.oom_seq,
                "callback_ns": l.callback_ns,
                "select_ns": l.select_ns,
                "share": l.share(),
            })
        })
        .collect();
    json!({
        "lines": lines,
        "n": s.ranked.n,
        "median": s.ranked.median,
        "max": s.ranked.max,
        "max_oom_seq": s.ranked.max_oom.map(|o| o.oom_seq),
        "median_callback_ns": s.median_callback_ns,
        "median_select_ns": s.median_select_ns,
        "over_goal": s.ranked.over_goal,
    })
}

/// The averted OOMs' section: their ratios, judged, or why there are none.
fn avert_markdown(a: Option<&AvertStats>, out: &mut String) {
    let Some(a) = a else {
        out.push_str(
            "Not measured: no P4 avert lines (the averted OOMs' callback beyond its \
             `__free_pages` calls, against the cost of freeing one pool block).\n\n",
        );
        return;
    };
    out.push_str(
        "Averted OOMs: the callback's work beyond its `__free_pages` calls (callback − free) \
         as a share of the cost of freeing one pool block (free ÷ blocks):\n\n",
    );
    table(
        out,
        &[
            "Averted OOMs",
            "Median share",
            "Max share",
            "Median beyond freeing (µs)",
            "Median per block (µs)",
            "Median blocks",
            "Over 5 %",
        ],
        &[vec![
            a.ranked.n.to_string(),
            opt(a.ranked.median, pct),
            opt(a.ranked.max, pct),
            n_us(a.median_overhead_ns),
            opt(a.median_unit_ns, units::us_num),
            n_int(a.median_blocks),
            a.ranked.over_goal.to_string(),
        ]],
    );
    if let Some(at) = a.ranked.max_oom {
        out.push_str(&format!(
            "The max is storm {} OOM seq {} (line {}): callback {}, of which {} freeing {}.\n\n",
            at.storm,
            at.oom_seq,
            at.line,
            units::dur_ns(at.callback_ns as f64),
            units::dur_ns(at.free_ns as f64),
            plural(usize::try_from(at.blocks).unwrap_or(usize::MAX), "block")
        ));
    }
    if a.ranked.n < a.ranked.lines.len() {
        out.push_str(&format!(
            "{} with free_ns=0: no unit, not counted.\n\n",
            plural(a.ranked.lines.len() - a.ranked.n, "averted OOM")
        ));
    }
    if a.ranked.n < MIN_OOMS {
        out.push_str(&format!(
            "Not judged: {} with a unit, {MIN_OOMS} needed.\n\n",
            plural(a.ranked.n, "averted OOM")
        ));
    }
}

/// The averted OOMs, raw and computed, and their figures, in the JSON.
fn avert_json(a: &AvertStats) -> Value {
    let lines: Vec<Value> = a
        .ranked
        .lines
        .iter()
        .map(|l| {
            json!({
                "line": l.line,
                "storm": l.storm,
                "oom_seq": l.oom_seq,
                "callback_ns": l.callback_ns,
                "free_ns": l.free_ns,
                "blocks": l.blocks,
                "overhead_ns": l.overhead_ns(),
                "unit_ns": l.unit_ns(),
                "ratio": l.ratio(),
            })
        })
        .collect();
    json!({
        "lines": lines,
        "n": a.ranked.n,
        "median": a.ranked.median,
        "max": a.ranked.max,
        "max_storm": a.ranked.max_oom.map(|o| o.storm),
        "max_oom_seq": a.ranked.max_oom.map(|o| o.oom_seq),
        "median_overhead_ns": a.median_overhead_ns,
        "median_unit_ns": a.median_unit_ns,
        "median_blocks": a.median_blocks,
        "over_goal": a.ranked.over_goal,
    })
}

#[cfg(test)]
mod tests;
