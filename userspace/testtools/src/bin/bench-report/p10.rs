//! P10, avert efficiency: `bench: P10 pcp=default|capped spike=N pool_kib=N held_kib=N
//! reach_kib=N released_pages=N`, one line per spike: how much further an unbounded hog gets
//! when the module releases its pool than when it holds it, as a share of the pool.

use crate::input::{Fields, Tokens};
use crate::measure::{About, Status, Summary, Verdict};
use crate::stats::{max_f64, median_f64, min_f64, nearest_rank};
use crate::table::{plural, table};
use crate::units::{self, opt, ABSENT};
use serde_json::{json, Map, Value};

/// What the report says about P10.
pub const ABOUT: About = About {
    id: "P10",
    host: false,
    measure: "Avert efficiency",
    target: "median ≥ 90 % of the pool over ≥ 20 spikes, with the kernel's default per-CPU lists",
    method: "\
The module is loaded with its default 16 MiB emergency pool (pool_kib). Each spike is two \
unbounded memory hogs, one after the other, each run until the kernel's OOM killer takes it. \
The first runs while the module holds its pool and releases nothing (policy `observe`): \
held_kib is how far it got, in KiB touched, when it was killed. The next runs with the module \
releasing its pool when the OOM notifier runs (policy `avert`): reach_kib is how far it got, \
and released_pages the pages the module released during it. A spike's efficiency is \
(reach_kib − held_kib) / pool_kib, the share of the released pool the hog really gained; it \
can be negative or above 1, since the two hogs are separate runs. The rest of the pool is \
what the kernel keeps for itself once the pool is released: the watermark boost (after a \
fragmenting allocation the kernel raises the zone's watermarks for a while, and released \
pages first fill that gap), the per-CPU page lists (free pages that another CPU's watermark \
check does not see), and the deficit each OOM round fills before the hog can go on. It is a \
ratio of two amounts of memory taken in the same guest and run, so it does not depend on the \
machine's speed, and it carries from an emulated machine to a board. The spikes run twice: \
pcp=default with the kernel's own sizing of the per-CPU page lists, which is judged (the \
nearest-rank median efficiency over at least 20 spikes must be at least 90 %), and \
pcp=capped with vm.percpu_pagelist_high_fraction=1000 (the README's advice for small \
boards), shown beside it as context, not judged. Median, min and max are over the spikes of \
one mode; median gain is the nearest-rank median of reach_kib − held_kib. A spike with a value \
of `-`, or a pool of 0, has no efficiency and is not counted.",
    definitions: &[(
        "P10.efficiency",
        "per spike: gain_kib = reach_kib − held_kib, efficiency = gain_kib / pool_kib (null when \
         a value is absent or pool_kib is 0); per pcp mode: n spikes with an efficiency, their \
         nearest-rank median, min and max, and median_gain_kib. goal: the least the median may \
         be, over at least min_spikes spikes of the judged mode (pcp=default)",
    )],
};

/// The least the median efficiency may be.
const GOAL: f64 = 0.9;
/// The spikes needed to judge the median.
const MIN_SPIKES: usize = 20;

/// The per-CPU page lists a P10 spike ran with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pcp {
    /// The kernel's own sizing of the per-CPU page lists: `pcp=default`, judged.
    Default,
    /// `vm.percpu_pagelist_high_fraction=1000`: `pcp=capped`, shown as context.
    Capped,
}

impl Pcp {
    /// Both modes, the judged one first.
    pub const ALL: [Pcp; 2] = [Pcp::Default, Pcp::Capped];

    /// The mode as written in the lines: `default`, `capped`.
    pub fn name(self) -> &'static str {
        match self {
            Pcp::Default => "default",
            Pcp::Capped => "capped",
        }
    }

    /// The mode's settings, for the JSON.
    pub fn settings(self) -> &'static str {
        match self {
            Pcp::Default => "the kernel's default per-CPU page lists",
            Pcp::Capped => "vm.percpu_pagelist_high_fraction=1000",
        }
    }
}

/// The modes as `pcp=` names them.
const PCPS: &[(&str, Pcp)] = &[("default", Pcp::Default), ("capped", Pcp::Capped)];

const KEYS: &[&str] = &[
    "pcp",
    "spike",
    "pool_kib",
    "held_kib",
    "reach_kib",
    "released_pages",
];

/// One P10 spike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct P10Spike {
    pub line: usize,
    pub pcp: Pcp,
    pub spike: u32,
    /// The module's pool, in KiB.
    pub pool_kib: Option<u64>,
    /// How far the hog got while the module held its pool (`observe`), in KiB touched.
    pub held_kib: Option<u64>,
    /// How far the next hog got while the module released its pool (`avert`), in KiB touched.
    pub reach_kib: Option<u64>,
    /// The pages the module released during the second hog.
    pub released_pages: Option<u64>,
}

impl P10Spike {
    /// reach_kib − held_kib (negative when the second hog got less far); `None` without both.
    pub fn gain_kib(&self) -> Option<i64> {
        let reach = i64::try_from(self.reach_kib?).ok()?;
        let held = i64::try_from(self.held_kib?).ok()?;
        reach.checked_sub(held)
    }

    /// The gain as a share of the pool; `None` without the gain or with a pool of 0.
    pub fn efficiency(&self) -> Option<f64> {
        let pool = self.pool_kib.filter(|&p| p > 0)?;
        Some(self.gain_kib()? as f64 / pool as f64)
    }
}

/// Parses a `P10` line; a spike is given once per mode.
pub fn parse(tokens: Tokens<'_>, line: usize, spikes: &mut Vec<P10Spike>) -> Result<(), String> {
    let f = Fields::new("P10", KEYS, &[], tokens)?;
    if f.get("pcp").is_none() {
        return Err(
            "P10: missing pcp= (the per-CPU page lists the spike ran with: default or capped)"
                .to_string(),
        );
    }
    let pcp = f.choice("pcp", PCPS)?;
    let spike = P10Spike {
        line,
        pcp,
        spike: f.u32("spike")?,
        pool_kib: f.opt_u64("pool_kib")?,
        held_kib: f.opt_u64("held_kib")?,
        reach_kib: f.opt_u64("reach_kib")?,
        released_pages: f.opt_u64("released_pages")?,
    };
    if let Some(prev) = spikes
        .iter()
        .find(|s| s.pcp == pcp && s.spike == spike.spike)
    {
        return Err(format!(
            "P10: pcp={} spike={} already given on line {}",
            pcp.name(),
            spike.spike,
            prev.line
        ));
    }
    spikes.push(spike);
    Ok(())
}

/// P10: the spikes of one mode and their efficiency.
#[derive(Debug, Clone, PartialEq)]
pub struct ModeStats {
    pub pcp: Pcp,
    /// The mode's spikes in line order.
    pub spikes: Vec<P10Spike>,
    /// The spikes with an efficiency.
    pub n: usize,
    pub median: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// The nearest-rank median of the spikes' gains, in KiB.
    pub median_gain_kib: Option<i64>,
}

impl ModeStats {
    fn new(pcp: Pcp, all: &[P10Spike]) -> Option<Self> {
        let spikes: Vec<P10Spike> = all.iter().filter(|s| s.pcp == pcp).copied().collect();
        if spikes.is_empty() {
            return None;
        }
        let eff: Vec<f64> = spikes.iter().filter_map(P10Spike::efficiency).collect();
        let mut gains: Vec<i64> = spikes.iter().filter_map(P10Spike::gain_kib).collect();
        gains.sort_unstable();
        Some(Self {
            pcp,
            n: eff.len(),
            median: median_f64(eff.iter().copied()),
            min: min_f64(eff.iter().copied()),
            max: max_f64(eff.iter().copied()),
            median_gain_kib: nearest_rank(&gains, 50),
            spikes,
        })
    }

    /// The smallest and largest pool of the mode's spikes, in KiB.
    fn pool_range(&self) -> Option<(u64, u64)> {
        let pools = || self.spikes.iter().filter_map(|s| s.pool_kib);
        pools().min().zip(pools().max())
    }

    /// `median 81 % (min 74 %) over 20 spikes`, or `no efficiency`.
    fn headline(&self) -> String {
        match (self.median, self.min) {
            (Some(med), Some(min)) => format!(
                "median {} (min {}) over {}",
                pct(med),
                pct(min),
                plural(self.n, "spike")
            ),
            _ => "no efficiency".to_string(),
        }
    }
}

/// An efficiency as a percentage: `81 %`, `87.5 %`.
fn pct(e: f64) -> String {
    units::pct(e * 100.0)
}

/// An efficiency as a percentage with one decimal, for the table: `81.0 %`.
fn pct1(e: f64) -> String {
    format!("{:.1} %", e * 100.0)
}

/// KiB as MiB with one decimal, without unit: `16.0`.
fn mib(kib: f64) -> String {
    units::dec1(kib / 1024.0)
}

/// A percentage as `units::pct` writes it (`81 %`, `87.5 %`), with two decimals when it would
/// read as `goal` without being it (`89.96 %`, not `90 %`, for a miss).
fn pct_beside(v: f64, goal: f64) -> String {
    let text = units::pct(v);
    if text == units::pct(goal) && v != goal {
        format!("{v:.2} %")
    } else {
        text
    }
}

/// Percentage points short of the goal: `9 points`, `8.7 points`, `1 point`; two decimals when
/// one would read as none (`0.04 points`).
fn points(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    let text = if r == 0.0 {
        format!("{v:.2}")
    } else if r.fract() == 0.0 {
        format!("{r:.0}")
    } else {
        format!("{r:.1}")
    };
    let unit = if text == "1" { "point" } else { "points" };
    format!("{text} {unit}")
}

/// P10: avert efficiency per pcp mode.
#[derive(Debug, Clone, PartialEq)]
pub struct P10Summary {
    /// The modes that have lines, in `Pcp::ALL` order.
    pub modes: Vec<ModeStats>,
}

impl P10Summary {
    pub fn new(spikes: &[P10Spike]) -> Option<Self> {
        let modes: Vec<ModeStats> = Pcp::ALL
            .iter()
            .filter_map(|&p| ModeStats::new(p, spikes))
            .collect();
        (!modes.is_empty()).then_some(Self { modes })
    }

    /// One mode's figures, if it has lines.
    pub fn mode(&self, p: Pcp) -> Option<&ModeStats> {
        self.modes.iter().find(|m| m.pcp == p)
    }
}

impl Summary for P10Summary {
    /// The pcp=default median against the goal, once there are enough spikes.
    fn verdict(&self) -> Verdict {
        let Some(d) = self.mode(Pcp::Default) else {
            return Verdict::not_measured(format!(
                "no pcp=default spikes ({MIN_SPIKES} needed), only pcp=capped"
            ));
        };
        if d.n < MIN_SPIKES {
            let with = if d.n < d.spikes.len() {
                " with an efficiency"
            } else {
                ""
            };
            return Verdict::not_measured(format!(
                "only {} spike{}{with}, {MIN_SPIKES} needed",
                d.n,
                if d.n == 1 { "" } else { "s" }
            ));
        }
        let (Some(med), Some(min)) = (d.median, d.min) else {
            return Verdict::not_measured("no efficiency");
        };
        if med >= GOAL {
            return Verdict::met();
        }
        let goal = GOAL * 100.0;
        Verdict::new(
            Status::Missed,
            format!(
                "median {} of the pool (min {}) over {} spikes: {} short of {}",
                pct_beside(med * 100.0, goal),
                pct_beside(min * 100.0, goal),
                d.n,
                points(goal - med * 100.0),
                units::pct(goal)
            ),
        )
    }

    /// `default median 81 % (min 74 %) over 20 spikes; capped median 95 % (min 90 %) over 20
    /// spikes`: the default mode always, the capped one if it has lines.
    fn headline(&self) -> String {
        let mut s = match self.mode(Pcp::Default) {
            Some(d) => format!("default {}", d.headline()),
            None => "default: no spikes".to_string(),
        };
        if let Some(c) = self.mode(Pcp::Capped) {
            s.push_str(&format!("; capped {}", c.headline()));
        }
        s
    }

    fn markdown(&self, out: &mut String) {
        let rows: Vec<Vec<String>> = self
            .modes
            .iter()
            .map(|m| {
                vec![
                    mode_name(m.pcp),
                    m.n.to_string(),
                    opt(m.median, pct1),
                    opt(m.min, pct1),
                    opt(m.max, pct1),
                    opt(m.median_gain_kib, |g| mib(g as f64)),
                    match m.pool_range() {
                        Some((a, b)) if a == b => mib(a as f64),
                        Some((a, b)) => format!("{}–{}", mib(a as f64), mib(b as f64)),
                        None => ABSENT.to_string(),
                    },
                ]
            })
            .collect();
        table(
            out,
            &[
                "pcp",
                "Spikes",
                "Median",
                "Min",
                "Max",
                "Median gain (MiB)",
                "Pool (MiB)",
            ],
            &rows,
        );
        for p in Pcp::ALL {
            match self.mode(p) {
                None => out.push_str(&format!(
                    "Not measured: no P10 lines with pcp={}.\n\n",
                    p.name()
                )),
                Some(m) => {
                    if m.n < m.spikes.len() {
                        out.push_str(&format!(
                            "{} of pcp={} without an efficiency (a value was `-` or the pool \
                             0).\n\n",
                            plural(m.spikes.len() - m.n, "spike"),
                            p.name()
                        ));
                    }
                    if p == Pcp::Default && m.n < MIN_SPIKES {
                        out.push_str(&format!(
                            "Not judged: {} of pcp=default with an efficiency, {MIN_SPIKES} \
                             needed.\n\n",
                            plural(m.n, "spike")
                        ));
                    }
                }
            }
        }
    }

    fn json(&self) -> Value {
        let mut m = Map::new();
        m.insert("goal".to_string(), json!(GOAL));
        m.insert("min_spikes".to_string(), json!(MIN_SPIKES));
        m.insert("judged".to_string(), json!(Pcp::Default.name()));
        for p in Pcp::ALL {
            m.insert(
                p.name().to_string(),
                self.mode(p).map_or(Value::Null, mode_json),
            );
        }
        Value::Object(m)
    }
}

/// The mode as its table row names it.
fn mode_name(p: Pcp) -> String {
    match p {
        Pcp::Default => "**default** (judged)".to_string(),
        Pcp::Capped => format!("capped (`{}`)", p.settings()),
    }
}

/// One mode's spikes, raw and computed, and its figures, in the JSON.
fn mode_json(m: &ModeStats) -> Value {
    let spikes: Vec<Value> = m
        .spikes
        .iter()
        .map(|s| {
            json!({
                "line": s.line,
                "pcp": s.pcp.name(),
                "spike": s.spike,
                "pool_kib": s.pool_kib,
                "held_kib": s.held_kib,
                "reach_kib": s.reach_kib,
                "released_pages": s.released_pages,
                "gain_kib": s.gain_kib(),
                "efficiency": s.efficiency(),
            })
        })
        .collect();
    json!({
        "settings": m.pcp.settings(),
        "spikes": spikes,
        "n": m.n,
        "median": m.median,
        "min": m.min,
        "max": m.max,
        "median_gain_kib": m.median_gain_kib,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::testing::markdown;
    use crate::report::parse;
    use crate::report::testing::{headline, measure, verdict};

    /// The two lines of the guest's first spike, one per mode.
    const EXAMPLE: &str = "bench: P10 pcp=default spike=1 pool_kib=16384 held_kib=198000 \
                           reach_kib=212000 released_pages=4096\n\
                           bench: P10 pcp=capped spike=1 pool_kib=16384 held_kib=198100 \
                           reach_kib=213900 released_pages=4096\n";

    /// A spike of a 10,000 KiB pool that gains `gain` KiB beyond a hold of 200,000 KiB.
    fn line(pcp: &str, spike: u32, gain: i64) -> String {
        format!(
            "bench: P10 pcp={pcp} spike={spike} pool_kib=10000 held_kib=200000 reach_kib={} \
             released_pages=2500\n",
            200_000 + gain
        )
    }

    /// Spikes 1 to `n` of `pcp`, spike i gaining `gain(i)` KiB of a 10,000 KiB pool.
    fn spikes(pcp: &str, n: u32, gain: impl Fn(u32) -> i64) -> String {
        (1..=n).map(|i| line(pcp, i, gain(i))).collect()
    }

    fn summary(text: &str) -> P10Summary {
        P10Summary::new(&parse(text).unwrap().p10).unwrap()
    }

    #[test]
    fn p10_fields_and_efficiency() {
        let d = parse(EXAMPLE).unwrap();
        let s = d.p10[0];
        assert_eq!(
            s,
            P10Spike {
                line: 1,
                pcp: Pcp::Default,
                spike: 1,
                pool_kib: Some(16384),
                held_kib: Some(198000),
                reach_kib: Some(212000),
                released_pages: Some(4096),
            }
        );
        assert_eq!(s.gain_kib(), Some(14000));
        assert_eq!(s.efficiency(), Some(14000.0 / 16384.0));
        let c = d.p10[1];
        assert_eq!((c.line, c.pcp, c.spike), (2, Pcp::Capped, 1));
        assert_eq!(c.gain_kib(), Some(15800));
        assert_eq!(c.efficiency(), Some(0.96435546875));
        // Negative when the second hog got less far, above 1 when it got more than the pool.
        let one = |l: String| parse(&l).unwrap().p10[0];
        assert_eq!(one(line("default", 1, -1000)).gain_kib(), Some(-1000));
        assert_eq!(one(line("default", 1, -1000)).efficiency(), Some(-0.1));
        assert_eq!(one(line("default", 1, 12500)).efficiency(), Some(1.25));
        // An absent value or a pool of 0: no efficiency.
        let absent = one(line("default", 1, 9000).replace("held_kib=200000", "held_kib=-"));
        assert_eq!((absent.held_kib, absent.gain_kib()), (None, None));
        assert_eq!(absent.efficiency(), None);
        let no_pool = one(line("default", 1, 9000).replace("pool_kib=10000", "pool_kib=0"));
        assert_eq!(
            (no_pool.gain_kib(), no_pool.efficiency()),
            (Some(9000), None)
        );
        let no_pages =
            one(line("default", 1, 9000).replace("released_pages=2500", "released_pages=-"));
        assert_eq!(
            (no_pages.released_pages, no_pages.efficiency()),
            (None, Some(0.9))
        );
        // The same spike number in the other mode is another spike.
        assert_eq!(
            parse(&(line("default", 3, 1) + &line("capped", 3, 1)))
                .unwrap()
                .p10
                .len(),
            2
        );
    }

    #[test]
    fn p10_per_mode_figures() {
        // Gains of 7,000 to 9,900 KiB in steps of 100 and two spikes of the capped mode.
        let text = spikes("default", 30, |i| 6900 + 100 * i as i64)
            + &spikes("capped", 2, |i| [9800, 9400][i as usize - 1]);
        let s = summary(&text);
        let d = s.mode(Pcp::Default).unwrap();
        assert_eq!((d.spikes.len(), d.n), (30, 30));
        // Nearest-rank: the median of 30 is the 15th smallest, 8,400 KiB.
        assert_eq!(d.median, Some(0.84));
        assert_eq!((d.min, d.max), (Some(0.7), Some(0.99)));
        assert_eq!(d.median_gain_kib, Some(8400));
        assert_eq!(d.pool_range(), Some((10000, 10000)));
        let c = s.mode(Pcp::Capped).unwrap();
        assert_eq!(
            (c.n, c.median, c.min, c.max),
            (2, Some(0.94), Some(0.94), Some(0.98))
        );
        assert_eq!(c.median_gain_kib, Some(9400));
        assert_eq!(s.modes[0].pcp, Pcp::Default);
        // Spikes without an efficiency are kept but not counted; a gain without a pool still
        // counts towards the median gain.
        let text = line("default", 1, 9000)
            + &line("default", 2, 5000).replace("reach_kib=205000", "reach_kib=-")
            + &line("default", 3, 7000).replace("pool_kib=10000", "pool_kib=0");
        let d = summary(&text).mode(Pcp::Default).unwrap().clone();
        assert_eq!((d.spikes.len(), d.n, d.median), (3, 1, Some(0.9)));
        assert_eq!(d.median_gain_kib, Some(7000));
        assert_eq!(d.pool_range(), Some((0, 10000)));
        assert!(summary(&line("capped", 1, 1)).mode(Pcp::Default).is_none());
    }

    #[test]
    fn p10_met() {
        // 20 spikes at 90 % of the pool exactly, the goal.
        let text = spikes("default", 20, |_| 9000);
        assert_eq!(verdict(&text, measure("P10")), Verdict::met());
        // The capped mode is context: however low, it does not make a miss.
        let text = spikes("default", 20, |i| 9000 + i as i64) + &spikes("capped", 20, |_| -500);
        assert_eq!(verdict(&text, measure("P10")), Verdict::met());
        assert_eq!(
            headline(&text, measure("P10")),
            "default median 90.1 % (min 90 %) over 20 spikes; \
             capped median -5 % (min -5 %) over 20 spikes"
        );
        // A wide spread is met on its median.
        let text = spikes("default", 21, |i| if i <= 10 { 100 } else { 9500 });
        assert_eq!(verdict(&text, measure("P10")), Verdict::met());
        assert_eq!(
            headline(&text, measure("P10")),
            "default median 95 % (min 1 %) over 21 spikes"
        );
    }

    #[test]
    fn p10_missed() {
        // Nine spikes at 74 %, eleven at 81 %: the median (the 10th of 20) is 81 %.
        let text = spikes("default", 20, |i| if i <= 9 { 7400 } else { 8100 });
        let v = verdict(&text, measure("P10"));
        assert_eq!(v.status, Status::Missed);
        assert_eq!(
            v.detail.as_deref(),
            Some("median 81 % of the pool (min 74 %) over 20 spikes: 9 points short of 90 %")
        );
        let detail = |gain: i64| {
            verdict(&spikes("default", 20, |_| gain), measure("P10"))
                .detail
                .unwrap_or_default()
        };
        assert_eq!(
            detail(8130),
            "median 81.3 % of the pool (min 81.3 %) over 20 spikes: 8.7 points short of 90 %"
        );
        assert_eq!(
            detail(8900),
            "median 89 % of the pool (min 89 %) over 20 spikes: 1 point short of 90 %"
        );
        // A narrow miss reads as one.
        assert_eq!(
            detail(8996),
            "median 89.96 % of the pool (min 89.96 %) over 20 spikes: 0.04 points short of 90 %"
        );
        // Negative: the second hog got less far than the first.
        assert_eq!(
            detail(-500),
            "median -5 % of the pool (min -5 %) over 20 spikes: 95 points short of 90 %"
        );
    }

    #[test]
    fn p10_not_measured_with_too_few_spikes_or_none() {
        assert_eq!(
            verdict(&spikes("default", 19, |_| 9500), measure("P10")),
            Verdict::not_measured("only 19 spikes, 20 needed")
        );
        // Even a miss is not judged on too few spikes.
        assert_eq!(
            verdict(&line("default", 1, 100), measure("P10")),
            Verdict::not_measured("only 1 spike, 20 needed")
        );
        // Spikes without an efficiency do not count.
        let text = spikes("default", 19, |_| 9500)
            + &line("default", 20, 9500).replace("held_kib=200000", "held_kib=-");
        assert_eq!(
            verdict(&text, measure("P10")),
            Verdict::not_measured("only 19 spikes with an efficiency, 20 needed")
        );
        // Capped spikes are not the judged ones.
        assert_eq!(
            verdict(&spikes("capped", 25, |_| 9500), measure("P10")),
            Verdict::not_measured("no pcp=default spikes (20 needed), only pcp=capped")
        );
        assert_eq!(
            headline(&spikes("capped", 25, |_| 9500), measure("P10")),
            "default: no spikes; capped median 95 % (min 95 %) over 25 spikes"
        );
        // No P10 lines at all.
        assert_eq!(
            verdict("bench: P1 lat_ns=1\n", measure("P10")),
            Verdict::not_measured("no P10 lines")
        );
        assert_eq!(
            headline(
                &line("default", 1, 9000).replace("pool_kib=10000", "pool_kib=-"),
                measure("P10")
            ),
            "default no efficiency"
        );
    }

    #[test]
    fn malformed_lines() {
        let ok = "bench: P10 pcp=default spike=1 pool_kib=16384 held_kib=198000 reach_kib=212000 \
                  released_pages=4096";
        assert!(parse(ok).is_ok());
        for (from, to, want) in [
            (
                "pcp=default ",
                "",
                "P10: missing pcp= (the per-CPU page lists the spike ran with: default or capped)",
            ),
            (
                "pcp=default",
                "pcp=other",
                "P10: pcp=other: expected default or capped",
            ),
            (
                "pcp=default",
                "pcp=-",
                "P10: pcp=-: expected default or capped",
            ),
            ("spike=1 ", "", "P10: missing spike="),
            (
                "spike=1",
                "spike=-",
                "P10: spike=-: expected a whole number",
            ),
            (
                "spike=1",
                "spike=x",
                "P10: spike=x: expected a whole number",
            ),
            (" held_kib=198000", "", "P10: missing held_kib="),
            (" released_pages=4096", "", "P10: missing released_pages="),
            (
                "pool_kib=16384",
                "pool_kib=16M",
                "P10: pool_kib=16M: expected a whole number or '-'",
            ),
            (
                "reach_kib=212000",
                "reach_kib=-5",
                "P10: reach_kib=-5: expected a whole number or '-'",
            ),
            (
                "held_kib=198000",
                "held_kib=1.5",
                "P10: held_kib=1.5: expected a whole number or '-'",
            ),
            ("spike=1", "spike=1 spike=2", "P10: spike= given twice"),
            (
                "spike=1",
                "spike=1 mode=avert",
                "P10: unknown key 'mode' (expected pcp, spike, pool_kib, held_kib, reach_kib, \
                 released_pages)",
            ),
            ("spike=1", "spike=1 x", "P10: 'x' is not key=value"),
            (
                "spike=1",
                "spike=1 held_kib=",
                "P10: held_kib= has no value",
            ),
        ] {
            let text = ok.replacen(from, to, 1);
            assert_ne!(text, ok, "{from}");
            let e = parse(&text).unwrap_err();
            assert!(e.msg.contains(want), "{text}: {e}");
        }
        // A spike is given once per mode.
        let e = parse(&format!(
            "{ok}\nbench: note x\n{}\n",
            ok.replace("held_kib=198000", "held_kib=1")
        ))
        .unwrap_err();
        assert_eq!(e.line, 3);
        assert_eq!(e.msg, "P10: pcp=default spike=1 already given on line 1");
    }

    #[test]
    fn table() {
        let s = summary(EXAMPLE);
        assert_eq!(
            markdown(&s),
            "| pcp | Spikes | Median | Min | Max | Median gain (MiB) | Pool (MiB) |\n\
             | --- | --- | --- | --- | --- | --- | --- |\n\
             | **default** (judged) | 1 | 85.4 % | 85.4 % | 85.4 % | 13.7 | 16.0 |\n\
             | capped (`vm.percpu_pagelist_high_fraction=1000`) | 1 | 96.4 % | 96.4 % | 96.4 % \
             | 15.4 | 16.0 |\n\n\
             Not judged: 1 spike of pcp=default with an efficiency, 20 needed.\n\n"
        );
        assert_eq!(
            s.headline(),
            "default median 85.4 % (min 85.4 %) over 1 spike; \
             capped median 96.4 % (min 96.4 %) over 1 spike"
        );
        // A missing mode is named; spikes without an efficiency are counted apart; pools that
        // differ are shown as a range.
        let text = spikes("default", 3, |i| 8000 + 500 * i as i64)
            + &line("default", 4, 9000).replace("held_kib=200000", "held_kib=-")
            + &line("default", 5, -2048).replace("pool_kib=10000", "pool_kib=20480");
        assert_eq!(
            markdown(&summary(&text)),
            "| pcp | Spikes | Median | Min | Max | Median gain (MiB) | Pool (MiB) |\n\
             | --- | --- | --- | --- | --- | --- | --- |\n\
             | **default** (judged) | 4 | 85.0 % | -10.0 % | 95.0 % | 8.3 | 9.8–20.0 |\n\n\
             1 spike of pcp=default without an efficiency (a value was `-` or the pool 0).\n\n\
             Not judged: 4 spikes of pcp=default with an efficiency, 20 needed.\n\n\
             Not measured: no P10 lines with pcp=capped.\n\n"
        );
        // Enough spikes: no note.
        assert_eq!(
            markdown(&summary(&spikes("default", 20, |_| 9000))),
            "| pcp | Spikes | Median | Min | Max | Median gain (MiB) | Pool (MiB) |\n\
             | --- | --- | --- | --- | --- | --- | --- |\n\
             | **default** (judged) | 20 | 90.0 % | 90.0 % | 90.0 % | 8.8 | 9.8 |\n\n\
             Not measured: no P10 lines with pcp=capped.\n\n"
        );
        assert!(markdown(&summary(&line("capped", 1, 1)))
            .ends_with("Not measured: no P10 lines with pcp=default.\n\n"));
    }

    #[test]
    fn json_keys() {
        let s = summary(EXAMPLE);
        let v = s.json();
        assert_eq!(v["goal"], json!(0.9));
        assert_eq!(v["min_spikes"], json!(20));
        assert_eq!(v["judged"], json!("default"));
        let d = &v["default"];
        let mut keys: Vec<&str> = d.as_object().unwrap().keys().map(|k| k.as_str()).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "max",
                "median",
                "median_gain_kib",
                "min",
                "n",
                "settings",
                "spikes"
            ]
        );
        assert_eq!(
            d["settings"],
            json!("the kernel's default per-CPU page lists")
        );
        assert_eq!(
            d["spikes"],
            json!([{
                "line": 1,
                "pcp": "default",
                "spike": 1,
                "pool_kib": 16384,
                "held_kib": 198000,
                "reach_kib": 212000,
                "released_pages": 4096,
                "gain_kib": 14000,
                "efficiency": 0.8544921875,
            }])
        );
        assert_eq!(
            (
                d["n"].clone(),
                d["median"].clone(),
                d["min"].clone(),
                d["max"].clone()
            ),
            (
                json!(1),
                json!(0.8544921875),
                json!(0.8544921875),
                json!(0.8544921875)
            )
        );
        assert_eq!(d["median_gain_kib"], json!(14000));
        assert_eq!(v["capped"]["spikes"][0]["reach_kib"], json!(213900));
        assert_eq!(v["capped"]["median"], json!(0.96435546875));
        // A mode without lines is null; absent values are null.
        let v =
            summary(&line("default", 1, 9000).replace("reach_kib=209000", "reach_kib=-")).json();
        assert_eq!(v["capped"], Value::Null);
        let sp = &v["default"]["spikes"][0];
        assert_eq!(
            (
                sp["reach_kib"].clone(),
                sp["gain_kib"].clone(),
                sp["efficiency"].clone()
            ),
            (Value::Null, Value::Null, Value::Null)
        );
        assert_eq!(
            (v["default"]["n"].clone(), v["default"]["median"].clone()),
            (json!(0), Value::Null)
        );
    }
}
