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
mod tests;
