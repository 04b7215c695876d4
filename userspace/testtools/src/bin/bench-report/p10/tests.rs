//! Tests of `p10.rs`.

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
    let no_pages = one(line("default", 1, 9000).replace("released_pages=2500", "released_pages=-"));
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
    let v = summary(&line("default", 1, 9000).replace("reach_kib=209000", "reach_kib=-")).json();
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
