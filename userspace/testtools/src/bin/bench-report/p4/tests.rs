//! Tests of `p4.rs`.

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

/// Avert lines `oom_seq=1..`, one per (callback_ns, free_ns, blocks).
fn avert_lines(oom: &[(u64, u64, u64)]) -> String {
    oom.iter()
        .enumerate()
        .map(|(i, (c, f, b))| {
            format!(
                "bench: P4 avert storm=1 oom_seq={} callback_ns={c} free_ns={f} blocks={b}\n",
                i + 1
            )
        })
        .collect()
}

/// Ten averted OOMs within the goal: 20 µs beyond freeing one block in 1 ms, 2 %.
fn ok_averts() -> String {
    avert_lines(&[(1_020_000, 1_000_000, 1); 10])
}

/// P4's verdict details when the share or the avert lines are missing.
const NO_SHARE: &str = "no P4 share lines: P4 is judged on the callback's share of killed OOMs";
const NO_AVERT: &str = "no P4 avert lines: averted OOMs are judged on the callback's work \
                        beyond freeing pool blocks, per block freed";

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
    // Storms alone are context: P4 is not measured without share and avert lines.
    assert_eq!(
        s.verdict(),
        Verdict::not_measured(format!("{NO_SHARE}; {NO_AVERT}"))
    );
    assert_eq!(
        s.headline(),
        "no share lines; no avert lines; storms: max 26.0 µs, mean 3.5 µs over 40 rounds"
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
    assert_eq!(sh.ranked.lines.len(), 6);
    // Shares 3 %, 1 %, 7 %, none, 20 %, 5 %: five, the median the 3rd smallest.
    assert_eq!(sh.ranked.n, 5);
    assert_eq!(sh.ranked.median, Some(0.05));
    assert_eq!(sh.ranked.max, Some(0.2));
    assert_eq!(sh.ranked.max_oom.map(|o| (o.oom_seq, o.line)), Some((5, 5)));
    // Medians over the five with a share: callbacks 50..700, selections 1000..10000.
    assert_eq!(sh.median_callback_ns, Some(200));
    assert_eq!(sh.median_select_ns, Some(10_000));
    // 5 % is the goal itself, not over it.
    assert_eq!(sh.ranked.over_goal, 2);
    assert!(s.storms.is_empty());
    // A tie for the max names the first OOM.
    let sh = summary(&share_lines(&[(1, 10), (2, 20), (1, 10)]))
        .share
        .unwrap();
    assert_eq!(sh.ranked.max_oom.map(|o| o.oom_seq), Some(1));
}

#[test]
fn verdict_met_missed_too_few_none() {
    let m = measure("P4");
    // The killed OOMs' part, beside averted OOMs within the goal. Met: ten OOMs, the max
    // exactly 5 %.
    let with_averts = |shares: &str| format!("{shares}{}", ok_averts());
    let mut ten: Vec<(u64, u64)> = vec![(1_000, 100_000); 9];
    ten.push((5_000, 100_000));
    assert_eq!(verdict(&with_averts(&share_lines(&ten)), m), Verdict::met());
    // Without the averted OOMs, not measured: both kinds are judged.
    assert_eq!(
        verdict(&share_lines(&ten), m),
        Verdict::not_measured(NO_AVERT)
    );
    // Missed, on the max.
    let text = format!("{}{}{}", forty(), storms(), ok_averts());
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
        verdict(&with_averts(&share_lines(&ten)), m)
            .detail
            .as_deref(),
        Some(
            "max 5.01 % of the kernel's OOM handling (callback 5.0 µs of 100.0 µs, OOM seq \
             10), median 1.0 % over 10 OOMs; 1 of 10 over 5 %"
        )
    );
    // Too few: nine with a share (a tenth line has select_ns=0), however high the max.
    let mut nine: Vec<(u64, u64)> = vec![(90_000, 100_000); 9];
    nine.push((1, 0));
    assert_eq!(
        verdict(&with_averts(&share_lines(&nine)), m),
        Verdict::not_measured("only 9 OOMs with a victim selection time, 10 needed")
    );
    assert_eq!(
        verdict(&with_averts(&share_lines(&[(1, 0)])), m),
        Verdict::not_measured("only 0 OOMs with a victim selection time, 10 needed")
    );
    assert_eq!(
        verdict(&with_averts(&share_lines(&[(1, 2)])), m),
        Verdict::not_measured("only 1 OOM with a victim selection time, 10 needed")
    );
    // None: storms only, or no P4 line at all.
    assert_eq!(
        verdict(storms(), m).detail,
        Some(format!("{NO_SHARE}; {NO_AVERT}"))
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
        "callback median 1.1 %, max 7.2 % of the OOM handling (n = 40); no avert lines; \
         storms: max 1.2 ms, mean 98.1 µs over 154 rounds"
    );
    assert_eq!(
        headline(&format!("{}{}", forty(), ok_averts()), m),
        "callback median 1.1 %, max 7.2 % of the OOM handling (n = 40); averted: beyond \
         freeing median 2.0 %, max 2.0 % of one block (n = 10); no storms"
    );
    assert_eq!(
        headline(&share_lines(&[(1, 0)]), m),
        "no callback share (n = 0); no avert lines; no storms"
    );
    assert_eq!(
        headline(&avert_lines(&[(5, 0, 1)]), m),
        "no share lines; no averted unit (n = 0); no storms"
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
         Not measured: no P4 avert lines (the averted OOMs' callback beyond its \
         `__free_pages` calls, against the cost of freeing one pool block).\n\n\
         Storms of averted OOMs, as context (not judged):\n\n\
         | Storm | Rounds | Max (µs) | Mean (µs) | Averts | Kills |\n\
         | --- | --- | --- | --- | --- | --- |\n\
         | 1 | 100 | 8.0 | 3.0 | 99 | 1 |\n| 2 | 30 | 9.0 | — | — | — |\n\
         | **all** | 130 | 9.0 | 3.0 |  |  |\n\n"
    );
    let md = markdown(&summary(storms()));
    assert!(md.starts_with(
        "Not measured: no P4 share lines (the callback's share of the OOMs that ended in a \
         kill).\n\nNot measured: no P4 avert lines (the averted OOMs' callback beyond its \
         `__free_pages` calls, against the cost of freeing one pool block).\n\nStorms of \
         averted OOMs"
    ));
    let md = markdown(&summary(&share_lines(&[(1, 2), (3, 0)])));
    assert!(md.contains("| 1 | 50.0 % | 50.0 % | 0.0 | 0.0 | 1 |\n\n"));
    assert!(md.ends_with(
        "1 OOM with select_ns=0: no share, not counted.\n\n\
         Not judged: 1 OOM with a share, 10 needed.\n\n\
         Not measured: no P4 avert lines (the averted OOMs' callback beyond its \
         `__free_pages` calls, against the cost of freeing one pool block).\n\n\
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
    assert_eq!(v["judged"], json!(["share", "avert"]));
    assert_eq!(v["avert"], Value::Null);
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

#[test]
fn avert_lines_parse_and_are_checked() {
    let d = parse(
        "bench: P4 avert storm=3 oom_seq=7 callback_ns=30000 free_ns=4000 blocks=4\n\
         bench: P4 share oom_seq=7 callback_ns=1 select_ns=2\n\
         bench: P4 storm=7 rounds=1 max_ns=1 avg_ns=1\n",
    )
    .unwrap();
    // An averted OOM, a killed one and a storm keep their own identifiers.
    assert_eq!(d.p4.len(), 3);
    let P4Line::Avert(a) = d.p4[0] else {
        panic!("{:?}", d.p4[0]);
    };
    assert_eq!(
        a,
        Avert {
            line: 1,
            storm: 3,
            oom_seq: 7,
            callback_ns: 30_000,
            free_ns: 4_000,
            blocks: 4
        }
    );
    // 26 µs beyond freeing, 1 µs a block: 26 blocks' worth.
    assert_eq!(
        (a.overhead_ns(), a.unit_ns(), a.ratio()),
        (26_000, 1_000.0, Some(26.0))
    );
    // The module is loaded afresh for each storm: the same seq in another storm is another OOM.
    parse(
        "bench: P4 avert storm=1 oom_seq=7 callback_ns=2 free_ns=1 blocks=1\n\
         bench: P4 avert storm=2 oom_seq=7 callback_ns=2 free_ns=1 blocks=1\n",
    )
    .unwrap();
    // A zero free time has no unit.
    let zero = Avert { free_ns: 0, ..a };
    assert_eq!((zero.overhead_ns(), zero.ratio()), (30_000, None));
    for (text, line, want) in [
        (
            "bench: P4 avert storm=3 oom_seq=1 callback_ns=2 free_ns=1",
            1,
            "P4 avert: missing blocks= (a whole number)",
        ),
        (
            "bench: P4 avert storm=3 callback_ns=2 free_ns=1 blocks=1",
            1,
            "P4 avert: missing oom_seq=",
        ),
        (
            "bench: P4 avert storm=3 oom_seq=1 callback_ns=2 free_ns=x blocks=1",
            1,
            "P4 avert: free_ns=x: expected a whole number",
        ),
        (
            "bench: P4 avert storm=3 oom_seq=1 callback_ns=2 free_ns=1 blocks=-",
            1,
            "P4 avert: blocks=-: expected a whole number",
        ),
        (
            "bench: P4 avert storm=3 oom_seq=1 callback_ns=2 free_ns=1 blocks=1 select_ns=3",
            1,
            "P4 avert: unknown key 'select_ns' (expected storm, oom_seq, callback_ns, free_ns, blocks)",
        ),
        (
            "bench: P4 avert storm=3 oom_seq=1 callback_ns=2 free_ns=1 blocks=0",
            1,
            "P4 avert: blocks=0: the line is for an OOM that freed pool blocks",
        ),
        (
            "bench: P4 avert storm=3 oom_seq=1 callback_ns=2 free_ns=3 blocks=1",
            1,
            "P4 avert: free_ns=3 is more than callback_ns=2, of which it is a part",
        ),
        (
            "bench: P4 avert storm=3 oom_seq=9 callback_ns=2 free_ns=1 blocks=1\n\
             bench: P4 avert storm=3 oom_seq=9 callback_ns=2 free_ns=1 blocks=1\n",
            2,
            "P4 avert: storm=3 oom_seq=9 already given on line 1",
        ),
    ] {
        let e = parse(text).unwrap_err();
        assert_eq!(e.line, line, "{text}");
        assert!(e.msg.contains(want), "{text}: {e}");
    }
}

#[test]
fn avert_math() {
    // Ratios 20 % (2 µs beyond, 10 µs a block), 2.5 %, none (free_ns 0), 100 %, 5 % (the
    // goal, not over it), 1 %: five with a ratio, the median the 3rd smallest.
    let s = summary(&avert_lines(&[
        (22_000, 20_000, 2),
        (41_000, 40_000, 1),
        (9_000, 0, 1),
        (40_000, 20_000, 1),
        (84_000, 80_000, 1),
        (30_300, 30_000, 1),
    ]));
    let a = s.avert.unwrap();
    assert_eq!((a.ranked.lines.len(), a.ranked.n), (6, 5));
    assert_eq!(a.ranked.median, Some(0.05));
    assert_eq!(a.ranked.max, Some(1.0));
    assert_eq!(a.ranked.max_oom.map(|o| (o.oom_seq, o.line)), Some((4, 4)));
    // Medians over the five: beyond freeing 300..20000 ns, units 10000..80000 ns, blocks 1.
    assert_eq!(a.median_overhead_ns, Some(2_000));
    assert_eq!(a.median_unit_ns, Some(30_000.0));
    assert_eq!(a.median_blocks, Some(1));
    assert_eq!(a.ranked.over_goal, 2);
    assert_eq!(s.share, None);
}

#[test]
fn both_kinds_must_meet() {
    let m = measure("P4");
    let ten_shares = share_lines(&[(1_000, 100_000); 10]);
    // Both within the goal: met.
    assert_eq!(
        verdict(&format!("{ten_shares}{}", ok_averts()), m),
        Verdict::met()
    );
    // Averted OOMs over it: missed, however good the killed OOMs' share, with the max named.
    let mut v = vec![(1_020_000, 1_000_000, 1); 9];
    v.push((60_000, 4_000, 4));
    let text = format!("{ten_shares}{}", avert_lines(&v));
    assert_eq!(
        verdict(&text, m),
        Verdict::new(
            Status::Missed,
            "averted OOMs: max 5600.0 % of the cost of freeing one pool block (beyond freeing \
             56.0 µs, 1.0 µs a block, storm 1 OOM seq 10), median 2.0 % over 10 OOMs; 1 of 10 over 5 %"
        )
    );
    // Just over the goal does not read as it.
    let mut v = vec![(1_020_000, 1_000_000, 1); 9];
    v.push((1_050_100, 1_000_000, 1));
    assert!(verdict(&format!("{ten_shares}{}", avert_lines(&v)), m)
        .detail
        .unwrap()
        .starts_with("averted OOMs: max 5.01 % of the cost"));
    // Both over: both named, the killed OOMs first.
    let text = format!("{}{}", forty(), avert_lines(&v));
    let d = verdict(&text, m).detail.unwrap();
    assert!(
        d.starts_with("max 7.2 % of the kernel's OOM handling"),
        "{d}"
    );
    assert!(d.contains("; averted OOMs: max 5.01 %"), "{d}");
    // One missed, the other not measured: missed, saying what was not measured.
    let text = format!("{}{}", forty(), avert_lines(&[(1, 1, 1)]));
    assert_eq!(verdict(&text, m).status, Status::Missed,);
    assert!(verdict(&text, m)
        .detail
        .unwrap()
        .ends_with("; only 1 averted OOM with a block-freeing time, 10 needed"));
    // Met killed OOMs, too few averted OOMs (a line with free_ns=0 has no unit): not measured.
    let mut v = vec![(1_020_000, 1_000_000, 1); 9];
    v.push((5, 0, 1));
    assert_eq!(
        verdict(&format!("{ten_shares}{}", avert_lines(&v)), m),
        Verdict::not_measured("only 9 averted OOMs with a block-freeing time, 10 needed")
    );
    // Averts alone: the killed OOMs are not measured.
    assert_eq!(verdict(&ok_averts(), m), Verdict::not_measured(NO_SHARE));
}

#[test]
fn avert_table_between_share_and_storms() {
    let mut v = vec![(1_020_000, 1_000_000, 1); 9];
    v.push((60_000, 4_000, 4));
    v.push((7, 0, 2));
    let text = format!("{}{}{}", share_lines(&[(1, 2)]), avert_lines(&v), storms());
    let md = markdown(&summary(&text));
    assert!(
        md.contains(
            "Not judged: 1 OOM with a share, 10 needed.\n\n\
         Averted OOMs: the callback's work beyond its `__free_pages` calls (callback − free) as \
         a share of the cost of freeing one pool block (free ÷ blocks):\n\n\
         | Averted OOMs | Median share | Max share | Median beyond freeing (µs) \
         | Median per block (µs) | Median blocks | Over 5 % |\n\
         | --- | --- | --- | --- | --- | --- | --- |\n\
         | 10 | 2.0 % | 5600.0 % | 20.0 | 1000.0 | 1 | 1 |\n\n\
         The max is storm 1 OOM seq 10 (line 11): callback 60.0 µs, of which 4.0 µs freeing 4 blocks.\n\n\
         1 averted OOM with free_ns=0: no unit, not counted.\n\n\
         Storms of averted OOMs, as context (not judged):\n\n"
        ),
        "{md}"
    );
    let md = markdown(&summary(&avert_lines(&[(3_000, 1_000, 1)])));
    assert!(
        md.contains(
            "| 1 | 200.0 % | 200.0 % | 2.0 | 1.0 | 1 | 1 |\n\n\
         The max is storm 1 OOM seq 1 (line 1): callback 3.0 µs, of which 1.0 µs freeing 1 block.\n\n\
         Not judged: 1 averted OOM with a unit, 10 needed.\n\n"
        ),
        "{md}"
    );
}

#[test]
fn json_has_the_averted_ooms() {
    let s = summary(&avert_lines(&[(30_000, 4_000, 4), (9, 0, 1)]));
    let v = s.json();
    assert_eq!(
        v["avert"]["lines"],
        json!([
            {"line": 1, "storm": 1, "oom_seq": 1, "callback_ns": 30000, "free_ns": 4000, "blocks": 4,
             "overhead_ns": 26000, "unit_ns": 1000.0, "ratio": 26.0},
            {"line": 2, "storm": 1, "oom_seq": 2, "callback_ns": 9, "free_ns": 0, "blocks": 1,
             "overhead_ns": 9, "unit_ns": 0.0, "ratio": null},
        ])
    );
    assert_eq!(v["avert"]["n"], json!(1));
    assert_eq!(v["avert"]["median"], json!(26.0));
    assert_eq!(v["avert"]["max"], json!(26.0));
    assert_eq!(v["avert"]["max_oom_seq"], json!(1));
    assert_eq!(v["avert"]["max_storm"], json!(1));
    assert_eq!(v["avert"]["median_overhead_ns"], json!(26000));
    assert_eq!(v["avert"]["median_unit_ns"], json!(1000.0));
    assert_eq!(v["avert"]["median_blocks"], json!(4));
    assert_eq!(v["avert"]["over_goal"], json!(1));
    assert_eq!(v["share"], Value::Null);
}
