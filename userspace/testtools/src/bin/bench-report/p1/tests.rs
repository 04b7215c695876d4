//! Tests of `p1.rs`.

use super::*;
use crate::measure::testing::markdown;
use crate::measure::Status;
use crate::report::parse;
use crate::report::testing::{headline, measure, verdict};

/// What the Markdown says after the tables of lines without times.
const NO_TIMES: &str = "No time-matched floor: the lines carry no record or floor times (an \
                        input from before they were kept); judged against the floor over the \
                        whole run.\n\n";

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
    assert!(P1Summary::new(&d.p1).is_some() && !d.p1.normal.is_present() && d.p1.rt.is_present());
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
    let text =
        "bench: P1 lat_ns=150000,3000000\nbench: P1 floor reader=normal lat_ns=100000,2000000\n";
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
            "unknown key 'x' (expected lat_ns; optional reader, time_ns, pos)",
        ),
        (
            "bench: P1 floor lat_ns=1",
            "P1 floor: missing reader= (the reader the floor was measured beside: normal or rt)",
        ),
        ("bench: P1 floor reader=normal", "P1 floor: missing lat_ns="),
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
            "P1 floor: unknown key 'events' (expected reader, lat_ns; optional at_us)",
        ),
        ("bench: P1 floor", "P1 floor: missing reader="),
        (
            "bench: P1 floor floor",
            "P1 floor: 'floor' is not key=value",
        ),
        // Times and places: one for each sample.
        (
            "bench: P1 lat_ns=1,2 time_ns=5",
            "P1: time_ns= has 1 values for 2 lat_ns values (one for each)",
        ),
        (
            "bench: P1 lat_ns=1 pos=0,1",
            "P1: pos= has 2 values for 1 lat_ns values (one for each)",
        ),
        (
            "bench: P1 lat_ns=- time_ns=1",
            "P1: time_ns= has 1 values for 0 lat_ns values (one for each)",
        ),
        (
            "bench: P1 lat_ns=1 time_ns=1.5",
            "P1: time_ns: '1.5' is not a whole number of ns",
        ),
        (
            "bench: P1 lat_ns=1 pos=x",
            "P1: pos: 'x' is not a whole number (",
        ),
        (
            "bench: P1 floor reader=rt lat_ns=1 at_us=x",
            "P1 floor: at_us: 'x' is not a whole number of µs",
        ),
        (
            "bench: P1 floor reader=rt lat_ns=1,2 at_us=3",
            "P1 floor: at_us= has 1 values for 2 lat_ns values (one for each)",
        ),
        (
            "bench: P1 floor reader=rt lat_ns=1 time_ns=3",
            "P1 floor: unknown key 'time_ns' (expected reader, lat_ns; optional at_us)",
        ),
        (
            "bench: P1 done events=1 lost=0 pos=1",
            "P1 done: unknown key 'pos'",
        ),
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
        format!(
            "| Reader | Samples | p50 (µs) | p99 (µs) | Floor samples | Floor p50 (µs) \
         | Floor p99 (µs) | p50 ÷ floor | p99 ÷ floor | Max (µs) | Events | Lost |\n\
         | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n\
         | normal (default) | 2 | 6500.0 | 114000.0 | 2 | 2000.0 | 20000.0 | 3.25× | 5.70× \
         | 114000.0 | 2 | 0 |\n\
         | rt (`--rt-priority 1`) | 2 | 40.0 | 90.0 | 2 | 30.0 | 60.0 | 1.33× | 1.50× \
         | 90.0 | 2 | 0 |\n\n{NO_TIMES}"
        )
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
        format!(
            "| Reader | Samples | p50 (µs) | p99 (µs) | Floor samples | Floor p50 (µs) \
         | Floor p99 (µs) | p50 ÷ floor | p99 ÷ floor | Max (µs) | Events | Lost |\n\
         | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n\
         | normal (default) | 1 | 0.0 | 0.0 | 0 | — | — | — | — | 0.0 | — | — |\n\n\
         No floor lines for the normal reader.\n\n\
         Not measured: no P1 lines of the rt reader.\n\n{NO_TIMES}"
        )
    );
    let s = summary(
        "bench: P1 reader=rt lat_ns=1\nbench: P1 floor reader=rt lat_ns=-\n\
         bench: P1 done reader=normal events=0 lost=0\n",
    );
    assert!(markdown(&s).ends_with(&format!(
        "| rt (`--rt-priority 1`) | 1 | 0.0 | 0.0 | 0 | — | — | — | — | 0.0 | — | — |\n\n\
         No floor samples for the rt reader: its floor lines hold none.\n\n{NO_TIMES}"
    )));
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
        "time_ns",
        "pos",
        "matched",
        "batch",
        "judged_floor",
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
            "at_us": null,
        })
    );
    // 6.5 / 3 and 114 / 20, rounded to two decimals.
    assert_eq!(n["ratio_p50"], json!(2.17));
    assert_eq!(n["ratio_p99"], json!(5.7));
    // Lines without times: no times, no matched floor, no split; judged on the whole run.
    for key in ["time_ns", "pos", "matched", "batch"] {
        assert_eq!(n[key], Value::Null, "{key}");
    }
    assert_eq!(n["floor"]["at_us"], Value::Null);
    assert_eq!(n["judged_floor"], json!("whole_run"));
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

/// A reader whose records meet a loaded guest at 1 s and 2 s, beside a floor that is slow
/// then and fast, much later, when no record comes.
const TIMED: &str =
    "bench: P1 reader=normal lat_ns=1000,5000 time_ns=1000000000,1000100000 pos=0,1\n\
     bench: P1 reader=normal lat_ns=9000 time_ns=2000000000 pos=0\n\
     bench: P1 done reader=normal events=3 lost=0\n\
     bench: P1 floor reader=normal lat_ns=100,200,300,400,500 \
     at_us=949999,950000,1050000,1050001,2000000\n\
     bench: P1 floor reader=normal lat_ns=50,60,70,80 at_us=10000000,10001000,10002000,10003000\n";

#[test]
fn times_and_places_parse_as_lists_parallel_to_the_samples() {
    let d = parse(TIMED).unwrap();
    let n = &d.p1.normal;
    assert_eq!(n.samples_ns, vec![1000, 5000, 9000]);
    assert_eq!(
        n.time_ns,
        vec![
            Some(1_000_000_000),
            Some(1_000_100_000),
            Some(2_000_000_000)
        ]
    );
    assert_eq!(n.pos, vec![Some(0), Some(1), Some(0)]);
    assert_eq!(n.floor_ns.len(), 9);
    assert_eq!(n.floor_at_us.len(), 9);
    assert_eq!(n.floor_at_us[0], Some(949_999));
    // Old lines, without times, beside new ones: their samples have none, in line order.
    let d = parse(
        "bench: P1 lat_ns=7,8\nbench: P1 lat_ns=9 time_ns=100 pos=0\n\
         bench: P1 lat_ns=10 pos=3\nbench: P1 lat_ns=- time_ns=- pos=-\n\
         bench: P1 floor reader=normal lat_ns=1\n\
         bench: P1 floor reader=normal lat_ns=2,3 at_us=4,5\n",
    )
    .unwrap();
    let n = &d.p1.normal;
    assert_eq!(n.samples_ns, vec![7, 8, 9, 10]);
    assert_eq!(n.time_ns, vec![None, None, Some(100), None]);
    assert_eq!(n.pos, vec![None, None, Some(0), Some(3)]);
    assert_eq!(n.sample_lines, 4);
    assert_eq!(n.floor_ns, vec![1, 2, 3]);
    assert_eq!(n.floor_at_us, vec![None, Some(4), Some(5)]);
}

#[test]
fn the_floor_is_matched_within_50_ms_of_each_record_and_pooled() {
    let s = summary(TIMED);
    let r = s.reader(Reader::Normal).unwrap();
    // Record 1 s: the floor written at 0.95 s and 1.05 s, both ends of its window (the
    // samples 1 µs outside are not); record 1.0001 s: 1.05 s and 1.050001 s; record 2 s: 2 s.
    // The sample at 1.05 s is near two records and counts twice.
    let m = r.matched.as_ref().unwrap();
    assert_eq!((m.timed, m.unmatched, m.distinct, m.pooled()), (3, 0, 4, 5));
    assert_eq!(
        m.floor,
        Some(P1Percentiles {
            n: 5,
            p50: 300,
            p90: 500,
            p99: 500,
            max: 500
        })
    );
    // The whole run's floor holds the calm samples at 10 s too.
    assert_eq!(r.floor.map(|f| (f.n, f.p50, f.p99)), Some((9, 100, 500)));
    assert_eq!(r.ratio_p50(), Some(50.0));
    assert_eq!(r.matched_ratio_p50(), Some(5000.0 / 300.0));
    assert_eq!(r.matched_ratio_p99(), Some(18.0));
    // Judged against the matched floor.
    assert_eq!(r.judged(), (Judged::Matched, m.floor));
    assert_eq!(
        s.verdict().detail.as_deref(),
        Some(
            "normal: p50 5.0 µs, 16.7× its time-matched floor of 0.3 µs (goal 1.5×); \
             normal: p99 9.0 µs, 18.0× its time-matched floor of 0.5 µs (goal 1.5×)"
        )
    );
    assert_eq!(
        s.headline(),
        "default p50 5.0 µs = 16.7× matched floor 0.3 µs, p99 9.0 µs = 18.0× matched floor \
         0.5 µs (n = 3)"
    );
}

#[test]
fn matching_counts_records_without_floor_nearby_and_samples_without_times() {
    let floor = TimedFloor::new(&[10, 20, 30], &[Some(1_000), None, Some(1_000_000)]);
    // 1 ms: the floor at 1 ms; 52 ms: nothing within 50 ms (1 ms is 51 ms before it);
    // 1 s: the floor at 1 s.
    let m = Matched::new([1_000_000, 52_000_000, 1_000_000_000], &floor);
    assert_eq!((m.timed, m.unmatched, m.distinct, m.pooled()), (3, 1, 2, 2));
    assert_eq!(m.floor.map(|f| (f.p50, f.max)), Some((10, 30)));
    // Times near 0 and near the end of u64 do not wrap.
    let m = Matched::new([0, u64::MAX], &floor);
    assert_eq!((m.unmatched, m.distinct), (1, 1));
    let m = Matched::new([], &floor);
    assert_eq!((m.timed, m.floor), (0, None));
    // An old line's samples have no time: the matched floor is over the timed ones only.
    let s = summary(
        "bench: P1 lat_ns=400000\nbench: P1 lat_ns=100 time_ns=2000000000 pos=0\n\
         bench: P1 floor reader=normal lat_ns=100,900 at_us=2000000,9000000\n",
    );
    let r = s.reader(Reader::Normal).unwrap();
    let m = r.matched.as_ref().unwrap();
    assert_eq!((m.timed, m.unmatched, m.distinct), (1, 0, 1));
    // The reader's percentiles are over all its samples: p50 100 ns, p99 400 µs.
    assert_eq!(r.matched_ratio_p50(), Some(1.0));
    assert_eq!(r.matched_ratio_p99(), Some(4000.0));
}

#[test]
fn the_judged_floor_is_the_matched_one_when_the_lines_carry_times() {
    // Whole run: 2× the floor; at the records' moments, within 1.5×: met.
    let text = "bench: P1 lat_ns=300,3000 time_ns=1000000000,1000000000 pos=0,1\n\
                bench: P1 floor reader=normal lat_ns=200,2000 at_us=1000000,1000000\n\
                bench: P1 floor reader=normal lat_ns=1,1,1 at_us=9000000,9000001,9000002\n";
    let s = summary(text);
    let r = s.reader(Reader::Normal).unwrap();
    assert_eq!(r.ratio_p50(), Some(300.0));
    assert_eq!(r.matched_ratio_p50(), Some(1.5));
    assert_eq!(verdict(text, measure("P1")), Verdict::met());
    // Floor times without record times (or the other way round): the whole run's floor, as
    // for inputs from before the times were kept.
    for text in [
        "bench: P1 lat_ns=300\nbench: P1 floor reader=normal lat_ns=100 at_us=1\n",
        "bench: P1 lat_ns=300 time_ns=1\nbench: P1 floor reader=normal lat_ns=100\n",
    ] {
        let s = summary(text);
        let r = s.reader(Reader::Normal).unwrap();
        assert_eq!(r.matched, None);
        assert_eq!(r.judged().0, Judged::WholeRun);
        assert_eq!(
            s.verdict().detail.as_deref(),
            Some(
                "normal: p50 0.3 µs, 3.0× its floor of 0.1 µs (goal 1.5×); \
                 normal: p99 0.3 µs, 3.0× its floor of 0.1 µs (goal 1.5×)"
            )
        );
    }
    // Times on both sides but none within 50 ms: not measured, and said why.
    let text = "bench: P1 lat_ns=300 time_ns=1000000000\n\
                bench: P1 floor reader=normal lat_ns=100 at_us=2000000\n";
    assert_eq!(
        verdict(text, measure("P1")),
        Verdict::not_measured("normal: no floor sample within 50.0 ms of any record")
    );
    // A matched floor of 0 ns gives no ratio.
    assert_eq!(
        verdict(
            "bench: P1 lat_ns=300 time_ns=1000000000\n\
             bench: P1 floor reader=normal lat_ns=0,7 at_us=1000000,9000000\n",
            measure("P1")
        ),
        Verdict::not_measured(
            "normal: the time-matched floor's p50 is 0 ns, no ratio; \
             normal: the time-matched floor's p99 is 0 ns, no ratio"
        )
    );
}

#[test]
fn the_batch_split_keeps_first_and_later_records_apart() {
    let s = summary(TIMED);
    let b = s.reader(Reader::Normal).unwrap().batch.clone().unwrap();
    // First of their read(): the records at 1 s (1 µs) and 2 s (9 µs); later: 1.0001 s.
    assert_eq!(
        b.first.percentiles.map(|p| (p.n, p.p50, p.p99)),
        Some((2, 1000, 9000))
    );
    assert_eq!(
        b.later.percentiles.map(|p| (p.n, p.p50, p.p99)),
        Some((1, 5000, 5000))
    );
    // Each part against the floor around its own records.
    let first = b.first.matched.unwrap();
    assert_eq!((first.pooled(), first.distinct), (3, 3));
    assert_eq!(first.floor.map(|f| (f.p50, f.p99)), Some((300, 500)));
    let later = b.later.matched.unwrap();
    assert_eq!(later.floor.map(|f| (f.p50, f.p99)), Some((300, 400)));
    // Places without times: split, with no matched floor; without places: no split.
    let s = summary("bench: P1 lat_ns=1,2,3 pos=0,2,0\nbench: P1 lat_ns=4\n");
    let b = s.reader(Reader::Normal).unwrap().batch.clone().unwrap();
    assert_eq!(b.first.percentiles.map(|p| p.n), Some(2));
    assert_eq!(b.later.percentiles.map(|p| (p.n, p.p50)), Some((1, 2)));
    assert_eq!((b.first.matched, b.later.matched), (None, None));
    let s = summary("bench: P1 lat_ns=1,2,3 pos=0,0,0\n");
    let b = s.reader(Reader::Normal).unwrap().batch.clone().unwrap();
    assert_eq!(b.later.percentiles, None);
    assert_eq!(
        s.reader(Reader::Normal)
            .unwrap()
            .batch
            .as_ref()
            .map(|b| b.first.percentiles.map(|p| p.n)),
        Some(Some(3))
    );
    assert_eq!(
        summary("bench: P1 lat_ns=1 time_ns=5\n").readers[0].batch,
        None
    );
}

#[test]
fn timed_markdown_and_json() {
    let s = summary(TIMED);
    let md = markdown(&s);
    assert!(
        md.contains(
            "The floor at the records' moments (judged): the floor samples written within \
             50.0 ms of each record's time_ns, pooled.\n\n\
             | Reader | Timed samples | Unmatched | Floor samples matched | Pooled \
             | Matched p50 (µs) | Matched p99 (µs) | p50 ÷ matched | p99 ÷ matched |\n\
             | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n\
             | normal (default) | 3 | 0 | 4 | 5 | 0.3 | 0.5 | 16.67× | 18.00× |\n\n"
        ),
        "{md}"
    );
    assert!(
        md.ends_with(
            "| Reader | Place | Samples | p50 (µs) | p99 (µs) | Max (µs) | Matched p50 (µs) \
             | Matched p99 (µs) | p50 ÷ matched | p99 ÷ matched |\n\
             | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n\
             | normal (default) | first | 2 | 1.0 | 9.0 | 9.0 | 0.3 | 0.5 | 3.33× | 18.00× |\n\
             | normal (default) | later | 1 | 5.0 | 5.0 | 5.0 | 0.3 | 0.4 | 16.67× | 12.50× |\n\n"
        ),
        "{md}"
    );
    let v = s.json();
    let n = &v["normal"];
    assert_eq!(n["time_ns"], json!([1000000000, 1000100000, 2000000000]));
    assert_eq!(n["pos"], json!([0, 1, 0]));
    assert_eq!(n["floor"]["at_us"][0], json!(949999));
    assert_eq!(n["floor"]["at_us"].as_array().map(Vec::len), Some(9));
    assert_eq!(n["judged_floor"], json!("matched"));
    assert_eq!(
        n["matched"],
        json!({
            "timed": 3, "unmatched": 0, "distinct": 4, "n": 5,
            "p50_ns": 300, "p90_ns": 500, "p99_ns": 500, "max_ns": 500,
            "p50_us": 0.3, "p90_us": 0.5, "p99_us": 0.5, "max_us": 0.5,
            "ratio_p50": 16.67, "ratio_p99": 18.0,
        })
    );
    assert_eq!(n["batch"]["first"]["n"], json!(2));
    assert_eq!(n["batch"]["first"]["p50_ns"], json!(1000));
    assert_eq!(n["batch"]["first"]["matched"]["ratio_p50"], json!(3.33));
    assert_eq!(n["batch"]["later"]["p99_ns"], json!(5000));
    assert_eq!(n["batch"]["later"]["matched"]["p99_ns"], json!(400));
    // A part without samples.
    let v = summary("bench: P1 lat_ns=1 pos=0\n").json();
    assert_eq!(v["normal"]["batch"]["later"]["n"], json!(0));
    assert_eq!(v["normal"]["batch"]["later"]["p50_ns"], Value::Null);
    assert_eq!(v["normal"]["batch"]["later"]["matched"], Value::Null);
    // Old samples beside new ones: null where a line had no time.
    let v = summary("bench: P1 lat_ns=1\nbench: P1 lat_ns=2 time_ns=9 pos=0\n").json();
    assert_eq!(v["normal"]["time_ns"], json!([null, 9]));
    assert_eq!(v["normal"]["pos"], json!([null, 0]));
}
