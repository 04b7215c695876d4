//! P4, the OOM callback's cost, judged as a share of the kernel's own OOM handling:
//! `bench: P4 share oom_seq=N callback_ns=N select_ns=N`, one line per global OOM that ended in
//! a kill (from the P2 runs), and, as context, `bench: P4 storm=N rounds=N max_ns=N avg_ns=N
//! [averts=N] [kills=N]`, one line per storm of averted OOMs, from the module's stats.

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
             in every OOM that ends in a kill",
    method: "\
Judged on the P2 runs, where the module observes and the kernel's OOM killer kills the hog: \
for every global OOM that ends in a kill, the module prints one `P4 share` line. callback_ns is \
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
rounds. An averted OOM has no kernel OOM handling to compare with: averted OOMs will be judged \
against the cost of freeing one pool block (the unit the issue names) once the module reports \
it; that is not measured yet.",
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

/// One `P4` line: a storm of averted OOMs or a killed OOM's share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum P4Line {
    Storm(Storm),
    Share(Share),
}

/// Parses a `P4` line: `P4 share ...` or a storm; an OOM and a storm are each given once.
pub fn parse(tokens: Tokens<'_>, line: usize, lines: &mut Vec<P4Line>) -> Result<(), String> {
    let mut tokens = tokens.peekable();
    let parsed = if tokens.next_if_eq(&"share").is_some() {
        P4Line::Share(parse_share(tokens, line, lines)?)
    } else {
        P4Line::Storm(parse_storm(tokens, line, lines)?)
    };
    lines.push(parsed);
    Ok(())
}

/// `share oom_seq=N callback_ns=N select_ns=N`, every key required and a whole number.
fn parse_share<'a>(
    tokens: impl Iterator<Item = &'a str>,
    line: usize,
    lines: &[P4Line],
) -> Result<Share, String> {
    const WHAT: &str = "P4 share";
    let f = Fields::new(WHAT, &["oom_seq", "callback_ns", "select_ns"], &[], tokens)?;
    let whole = |key: &str| -> Result<u64, String> {
        let v = f
            .get(key)
            .ok_or_else(|| format!("{WHAT}: missing {key}= (a whole number)"))?;
        v.parse()
            .map_err(|_| format!("{WHAT}: {key}={v}: expected a whole number"))
    };
    let share = Share {
        line,
        oom_seq: whole("oom_seq")?,
        callback_ns: whole("callback_ns")?,
        select_ns: whole("select_ns")?,
    };
    if let Some(prev) = shares(lines).find(|s| s.oom_seq == share.oom_seq) {
        return Err(format!(
            "{WHAT}: oom_seq={} already given on line {}",
            share.oom_seq, prev.line
        ));
    }
    Ok(share)
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
        P4Line::Share(_) => None,
    })
}

/// The share lines, in line order.
fn shares(lines: &[P4Line]) -> impl Iterator<Item = &Share> {
    lines.iter().filter_map(|l| match l {
        P4Line::Share(s) => Some(s),
        P4Line::Storm(_) => None,
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

/// The killed OOMs' shares of one input.
#[derive(Debug, Clone, PartialEq)]
pub struct ShareStats {
    /// Every share line, in line order, with or without a share.
    pub lines: Vec<Share>,
    /// The OOMs with a share (select_ns > 0).
    pub n: usize,
    pub median: Option<f64>,
    pub max: Option<f64>,
    /// The OOM of the max share (the first in line order on a tie).
    pub max_oom: Option<Share>,
    /// Nearest-rank medians over the OOMs with a share.
    pub median_callback_ns: Option<u64>,
    pub median_select_ns: Option<u64>,
    /// The OOMs whose share is above the goal.
    pub over_goal: usize,
}

impl ShareStats {
    fn new(lines: Vec<Share>) -> Option<Self> {
        if lines.is_empty() {
            return None;
        }
        let with: Vec<(Share, f64)> = lines
            .iter()
            .filter_map(|s| Some((*s, s.share()?)))
            .collect();
        let mut max_oom: Option<(Share, f64)> = None;
        for &(s, v) in &with {
            if max_oom.is_none_or(|(_, m)| v > m) {
                max_oom = Some((s, v));
            }
        }
        let median_of = |f: fn(&Share) -> u64| {
            let mut v: Vec<u64> = with.iter().map(|(s, _)| f(s)).collect();
            v.sort_unstable();
            nearest_rank(&v, 50)
        };
        Some(Self {
            n: with.len(),
            median: median_f64(with.iter().map(|(_, v)| *v)),
            max: max_oom.map(|(_, v)| v),
            max_oom: max_oom.map(|(s, _)| s),
            median_callback_ns: median_of(|s| s.callback_ns),
            median_select_ns: median_of(|s| s.select_ns),
            over_goal: with.iter().filter(|(_, v)| *v > GOAL).count(),
            lines,
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
    /// The max share against the goal, once there are enough OOMs with a share.
    fn verdict(&self) -> Verdict {
        let Some(s) = &self.share else {
            return Verdict::not_measured(
                "no P4 share lines: P4 is judged on the callback's share of killed OOMs",
            );
        };
        if s.n < MIN_OOMS {
            return Verdict::not_measured(format!(
                "only {} with a victim selection time, {MIN_OOMS} needed",
                plural(s.n, "OOM")
            ));
        }
        let (Some(max), Some(med), Some(at)) = (s.max, s.median, s.max_oom) else {
            return Verdict::not_measured("no share");
        };
        if max <= GOAL {
            return Verdict::met();
        }
        Verdict::new(
            Status::Missed,
            format!(
                "max {} of the kernel's OOM handling (callback {} of {}, OOM seq {}), median {} \
                 over {} OOMs; {} of {} over {}",
                pct(max),
                units::dur_ns(at.callback_ns as f64),
                units::dur_ns(at.select_ns as f64),
                at.oom_seq,
                pct(med),
                s.n,
                s.over_goal,
                s.n,
                units::pct(GOAL * 100.0)
            ),
        )
    }

    /// `callback median 1.1 %, max 7.2 % of the OOM handling (n = 40); storms: max 1.2 ms,
    /// mean 98.0 µs over 154 rounds`.
    fn headline(&self) -> String {
        let share = match &self.share {
            None => "no share lines".to_string(),
            Some(s) => match (s.median, s.max) {
                (Some(med), Some(max)) => format!(
                    "callback median {}, max {} of the OOM handling (n = {})",
                    pct(med),
                    pct(max),
                    s.n
                ),
                _ => "no callback share (n = 0)".to_string(),
            },
        };
        format!("{share}; {}", self.storms_headline())
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
                        s.n.to_string(),
                        opt(s.median, pct),
                        opt(s.max, pct),
                        n_us(s.median_callback_ns),
                        n_us(s.median_select_ns),
                        s.over_goal.to_string(),
                    ]],
                );
                if let Some(at) = s.max_oom {
                    out.push_str(&format!(
                        "The max is OOM seq {} (line {}): callback {} of {}.\n\n",
                        at.oom_seq,
                        at.line,
                        units::dur_ns(at.callback_ns as f64),
                        units::dur_ns(at.select_ns as f64)
                    ));
                }
                if s.n < s.lines.len() {
                    out.push_str(&format!(
                        "{} with select_ns=0: no share, not counted.\n\n",
                        plural(s.lines.len() - s.n, "OOM")
                    ));
                }
                if s.n < MIN_OOMS {
                    out.push_str(&format!(
                        "Not judged: {} with a share, {MIN_OOMS} needed.\n\n",
                        plural(s.n, "OOM")
                    ));
                }
            }
        }
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
            "judged": "share",
            "share": self.share.as_ref().map_or(Value::Null, share_json),
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
        "n": s.n,
        "median": s.median,
        "max": s.max,
        "max_oom_seq": s.max_oom.map(|o| o.oom_seq),
        "median_callback_ns": s.median_callback_ns,
        "median_select_ns": s.median_select_ns,
        "over_goal": s.over_goal,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::testing::markdown;
    use crate::report::parse;
    use crate::report::testing::{headline, measure, verdict};

    fn summary(text: &str) -> P4Summary {
        P4Summary::new(&parse(text).unwrap().p4).unwrap()
    }

    /// Share lines `oom_seq=1..`, one per (callback_ns, select_ns).
    fn share_lines(oom: &[(u64, u64)]) -> String {
        oom.iter()
            .enumerate()
            .map(|(i, (c, s))| {
                format!(
                    "bench: P4 share oom_seq={} callback_ns={c} select_ns={s}\n",
                    i + 1
                )
            })
            .collect()
    }

    /// 40 OOMs: 37 with shares of 0.5 % to 1.58 % (the median, the 20th, 1.07 %), 3 over 5 %:
    /// 5.5 %, 6 % and the max, 7.2 % (210 µs of 2.9 ms, seq 12).
    fn forty() -> String {
        let mut v: Vec<(u64, u64)> = (0..37).map(|i| (5_000 + 300 * i, 1_000_000)).collect();
        v.insert(11, (210_000, 2_916_667));
        v.push((55_000, 1_000_000));
        v.push((60_000, 1_000_000));
        share_lines(&v)
    }

    fn storms() -> &'static str {
        "bench: P4 storm=2 rounds=30 max_ns=9000 avg_ns=4000\n\
         bench: P4 storm=1 rounds=10 max_ns=26000 avg_ns=2000\n"
    }

    #[test]
    fn storm_max_mean_and_rounds() {
        let s = summary(storms());
        assert_eq!((s.total_rounds, s.max_ns), (40, Some(26000)));
        assert_eq!(s.mean_ns, Some(3500.0));
        assert_eq!(s.storms[0].storm, 1);
        assert_eq!(s.share, None);
        // Storms alone are context: P4 is not measured without share lines.
        assert_eq!(
            s.verdict(),
            Verdict::not_measured(
                "no P4 share lines: P4 is judged on the callback's share of killed OOMs"
            )
        );
        assert_eq!(
            s.headline(),
            "no share lines; storms: max 26.0 µs, mean 3.5 µs over 40 rounds"
        );
    }

    #[test]
    fn optional_keys_and_repeats() {
        let s = summary(
            "bench: P4 storm=1 rounds=60 max_ns=9000 avg_ns=2000 averts=59 kills=1\n\
             bench: P4 storm=2 rounds=60 max_ns=9000 avg_ns=2000\n",
        );
        assert_eq!((s.storms[0].averts, s.storms[0].kills), (Some(59), Some(1)));
        assert_eq!((s.storms[1].averts, s.storms[1].kills), (None, None));
        let e = parse(
            "bench: P4 storm=1 rounds=1 max_ns=1 avg_ns=1\nbench: P4 storm=1 rounds=1 max_ns=1 avg_ns=1",
        )
        .unwrap_err();
        assert!(e.msg.contains("already given on line 1"), "{e}");
    }

    #[test]
    fn share_lines_parse_beside_storms() {
        let d = parse(
            "bench: P4 storm=1 rounds=60 max_ns=9000 avg_ns=2000\n\
             bench: P4 share oom_seq=412 callback_ns=31437 select_ns=2874102\n\
             bench: P4 share oom_seq=413 callback_ns=1 select_ns=0\n",
        )
        .unwrap();
        assert_eq!(d.p4.len(), 3);
        assert_eq!(
            d.p4[1],
            P4Line::Share(Share {
                line: 2,
                oom_seq: 412,
                callback_ns: 31437,
                select_ns: 2874102
            })
        );
        // select_ns=0 is kept, with no share.
        let P4Line::Share(zero) = d.p4[2] else {
            panic!("{:?}", d.p4[2]);
        };
        assert_eq!(zero.share(), None);
        // Shares and storms keep their own identifiers: storm=412 beside oom_seq=412.
        parse(
            "bench: P4 share oom_seq=1 callback_ns=1 select_ns=1\n\
             bench: P4 storm=1 rounds=1 max_ns=1 avg_ns=1\n",
        )
        .unwrap();
    }

    #[test]
    fn malformed_lines() {
        for (text, line, want) in [
            ("bench: P4 storm=1 rounds=2 max_ns=3 avg_ns=4 extra=1", 1, "P4: unknown key 'extra' (expected storm, rounds, max_ns, avg_ns; optional averts, kills)"),
            ("bench: P4 storm=1 rounds=2 max_ns=3 avg_ns=4 kills=x", 1, "kills=x: expected a whole"),
            ("bench: P4 share callback_ns=1 select_ns=2", 1, "P4 share: missing oom_seq= (a whole number)"),
            ("bench: P4 share oom_seq=1 select_ns=2", 1, "P4 share: missing callback_ns="),
            ("bench: P4 share oom_seq=1 callback_ns=2", 1, "P4 share: missing select_ns="),
            ("bench: P4 share oom_seq=1 callback_ns=- select_ns=2", 1, "P4 share: callback_ns=-: expected a whole number"),
            ("bench: P4 share oom_seq=1 callback_ns=1.5 select_ns=2", 1, "P4 share: callback_ns=1.5: expected a whole number"),
            ("bench: P4 share oom_seq=x callback_ns=1 select_ns=2", 1, "P4 share: oom_seq=x: expected a whole number"),
            ("bench: P4 share oom_seq=1 callback_ns=1 select_ns=-3", 1, "P4 share: select_ns=-3: expected a whole number"),
            ("bench: P4 share oom_seq=1 callback_ns=1 select_ns=2 storm=1", 1, "P4 share: unknown key 'storm' (expected oom_seq, callback_ns, select_ns)"),
            ("bench: P4 share oom_seq=1 oom_seq=1 callback_ns=1 select_ns=2", 1, "P4 share: oom_seq= given twice"),
            ("bench: P4 share", 1, "P4 share: missing oom_seq="),
            (
                "bench: P4 share oom_seq=412 callback_ns=1 select_ns=2\n\
                 bench: P4 share oom_seq=7 callback_ns=1 select_ns=2\n\
                 bench: P4 share oom_seq=412 callback_ns=3 select_ns=4\n",
                3,
                "P4 share: oom_seq=412 already given on line 1",
            ),
        ] {
            let e = parse(text).unwrap_err();
            assert_eq!(e.line, line, "{text}");
            assert!(e.msg.contains(want), "{text}: {e}");
        }
    }

    #[test]
    fn share_math() {
        let s = summary(&share_lines(&[
            (300, 10_000),
            (100, 10_000),
            (700, 10_000),
            (900, 0),
            (200, 1_000),
            (50, 1_000),
        ]));
        let sh = s.share.unwrap();
        assert_eq!(sh.lines.len(), 6);
        // Shares 3 %, 1 %, 7 %, none, 20 %, 5 %: five, the median the 3rd smallest.
        assert_eq!(sh.n, 5);
        assert_eq!(sh.median, Some(0.05));
        assert_eq!(sh.max, Some(0.2));
        assert_eq!(sh.max_oom.map(|o| (o.oom_seq, o.line)), Some((5, 5)));
        // Medians over the five with a share: callbacks 50..700, selections 1000..10000.
        assert_eq!(sh.median_callback_ns, Some(200));
        assert_eq!(sh.median_select_ns, Some(10_000));
        // 5 % is the goal itself, not over it.
        assert_eq!(sh.over_goal, 2);
        assert!(s.storms.is_empty());
        // A tie for the max names the first OOM.
        let sh = summary(&share_lines(&[(1, 10), (2, 20), (1, 10)]))
            .share
            .unwrap();
        assert_eq!(sh.max_oom.map(|o| o.oom_seq), Some(1));
    }

    #[test]
    fn verdict_met_missed_too_few_none() {
        let m = measure("P4");
        // Met: ten OOMs, the max exactly 5 %.
        let mut ten: Vec<(u64, u64)> = vec![(1_000, 100_000); 9];
        ten.push((5_000, 100_000));
        assert_eq!(verdict(&share_lines(&ten), m), Verdict::met());
        // Missed, on the max.
        let text = format!("{}{}", forty(), storms());
        assert_eq!(
            verdict(&text, m),
            Verdict::new(
                Status::Missed,
                "max 7.2 % of the kernel's OOM handling (callback 210.0 µs of 2.9 ms, OOM seq \
                 12), median 1.1 % over 40 OOMs; 3 of 40 over 5 %"
            )
        );
        // Just over the goal does not read as it.
        ten[9] = (5_009, 100_000);
        assert_eq!(
            verdict(&share_lines(&ten), m).detail.as_deref(),
            Some(
                "max 5.01 % of the kernel's OOM handling (callback 5.0 µs of 100.0 µs, OOM seq \
                 10), median 1.0 % over 10 OOMs; 1 of 10 over 5 %"
            )
        );
        // Too few: nine with a share (a tenth line has select_ns=0), however high the max.
        let mut nine: Vec<(u64, u64)> = vec![(90_000, 100_000); 9];
        nine.push((1, 0));
        assert_eq!(
            verdict(&share_lines(&nine), m),
            Verdict::not_measured("only 9 OOMs with a victim selection time, 10 needed")
        );
        assert_eq!(
            verdict(&share_lines(&[(1, 0)]), m),
            Verdict::not_measured("only 0 OOMs with a victim selection time, 10 needed")
        );
        assert_eq!(
            verdict(&share_lines(&[(1, 2)]), m),
            Verdict::not_measured("only 1 OOM with a victim selection time, 10 needed")
        );
        // None: storms only, or no P4 line at all.
        assert_eq!(
            verdict(storms(), m).detail.as_deref(),
            Some("no P4 share lines: P4 is judged on the callback's share of killed OOMs")
        );
        assert_eq!(verdict("", m), Verdict::not_measured("no P4 lines"));
    }

    #[test]
    fn headlines() {
        let m = measure("P4");
        let text = format!(
            "{}bench: P4 storm=1 rounds=100 max_ns=1200000 avg_ns=100000\n\
             bench: P4 storm=2 rounds=54 max_ns=90000 avg_ns=94500\n",
            forty()
        );
        assert_eq!(
            headline(&text, m),
            "callback median 1.1 %, max 7.2 % of the OOM handling (n = 40); storms: max 1.2 ms, \
             mean 98.1 µs over 154 rounds"
        );
        assert_eq!(
            headline(&forty(), m),
            "callback median 1.1 %, max 7.2 % of the OOM handling (n = 40); no storms"
        );
        assert_eq!(
            headline(&share_lines(&[(1, 0)]), m),
            "no callback share (n = 0); no storms"
        );
    }

    #[test]
    fn share_table_then_storm_table() {
        let mut text = forty();
        text.push_str("bench: P4 share oom_seq=99 callback_ns=5 select_ns=0\n");
        text.push_str(
            "bench: P4 storm=1 rounds=100 max_ns=8000 avg_ns=3000 averts=99 kills=1\n\
             bench: P4 storm=2 rounds=30 max_ns=9000 avg_ns=-\n",
        );
        let md = markdown(&summary(&text));
        assert_eq!(
            md,
            "| OOMs with a share | Median share | Max share | Median callback (µs) \
             | Median selection (µs) | Over 5 % |\n\
             | --- | --- | --- | --- | --- | --- |\n\
             | 40 | 1.1 % | 7.2 % | 10.7 | 1000.0 | 3 |\n\n\
             The max is OOM seq 12 (line 12): callback 210.0 µs of 2.9 ms.\n\n\
             1 OOM with select_ns=0: no share, not counted.\n\n\
             Storms of averted OOMs, as context (not judged):\n\n\
             | Storm | Rounds | Max (µs) | Mean (µs) | Averts | Kills |\n\
             | --- | --- | --- | --- | --- | --- |\n\
             | 1 | 100 | 8.0 | 3.0 | 99 | 1 |\n| 2 | 30 | 9.0 | — | — | — |\n\
             | **all** | 130 | 9.0 | 3.0 |  |  |\n\n"
        );
        let md = markdown(&summary(storms()));
        assert!(md.starts_with(
            "Not measured: no P4 share lines (the callback's share of the OOMs that ended in a \
             kill).\n\nStorms of averted OOMs"
        ));
        let md = markdown(&summary(&share_lines(&[(1, 2), (3, 0)])));
        assert!(md.contains("| 1 | 50.0 % | 50.0 % | 0.0 | 0.0 | 1 |\n\n"));
        assert!(md.ends_with(
            "1 OOM with select_ns=0: no share, not counted.\n\n\
             Not judged: 1 OOM with a share, 10 needed.\n\n\
             No storm lines (averted OOMs, shown as context).\n\n"
        ));
    }

    #[test]
    fn json_keeps_the_storms_and_adds_the_shares() {
        let s = summary(
            "bench: P4 storm=1 rounds=100 max_ns=8000 avg_ns=3000 averts=99 kills=1\n\
             bench: P4 storm=2 rounds=30 max_ns=9000 avg_ns=-\n\
             bench: P4 share oom_seq=412 callback_ns=31437 select_ns=2874102\n\
             bench: P4 share oom_seq=413 callback_ns=10 select_ns=0\n",
        );
        let v = s.json();
        assert_eq!(v["mean_ns"], json!(3000.0));
        assert_eq!(v["mean_us"], json!(3.0));
        assert_eq!(v["max_ns"], json!(9000));
        assert_eq!(v["max_us"], json!(9.0));
        assert_eq!(v["total_rounds"], json!(130));
        assert_eq!(v["storms"][1]["avg_ns"], Value::Null);
        assert_eq!(v["storms"][0]["averts"], json!(99));
        assert_eq!(v["goal"], json!(0.05));
        assert_eq!(v["min_ooms"], json!(10));
        assert_eq!(v["judged"], json!("share"));
        let share = 31437.0 / 2874102.0;
        assert_eq!(
            v["share"]["lines"],
            json!([
                {"line": 3, "oom_seq": 412, "callback_ns": 31437, "select_ns": 2874102, "share": share},
                {"line": 4, "oom_seq": 413, "callback_ns": 10, "select_ns": 0, "share": null},
            ])
        );
        assert_eq!(v["share"]["n"], json!(1));
        assert_eq!(v["share"]["median"], json!(share));
        assert_eq!(v["share"]["max"], json!(share));
        assert_eq!(v["share"]["max_oom_seq"], json!(412));
        assert_eq!(v["share"]["median_callback_ns"], json!(31437));
        assert_eq!(v["share"]["median_select_ns"], json!(2874102));
        assert_eq!(v["share"]["over_goal"], json!(0));
        assert_eq!(summary(storms()).json()["share"], Value::Null);
    }
}
