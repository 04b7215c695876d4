//! Tests of `p6.rs`.

use super::*;
use crate::measure::testing::markdown;
use crate::measure::Status;
use crate::report::parse;
use crate::report::testing::{headline, measure, verdict};

/// A quiet window on a board, earlyoom measured alongside.
const QUIET: &str = "bench: P6 phase=quiet secs=30.012 samples=27 peek_runs=0 peek_wakes=0 \
                     monitor_ns=2850000 peek_ns=0 eo_ns=41200000 eo_wakes=301 ctxt=2210\n";
/// A filled window on a board.
const FILLED: &str = "bench: P6 phase=filled secs=30.020 samples=30 peek_runs=12 peek_wakes=0 \
                      monitor_ns=3100000 peek_ns=40000 eo_ns=9800000 eo_wakes=40 ctxt=1500\n";
/// A quiet window from before earlyoom was measured alongside.
const OLD_QUIET: &str = "bench: P6 phase=quiet secs=30 samples=26 peek_runs=471 peek_wakes=0 \
                         monitor_ns=2900000 peek_ns=150000\n";

fn summary(text: &str) -> P6Summary {
    P6Summary::new(&parse(text).unwrap().p6).unwrap()
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-9)
}

#[test]
fn old_and_new_lines_parse() {
    let d = parse(&format!("{OLD_QUIET}{QUIET}{FILLED}")).unwrap();
    assert_eq!(d.p6.len(), 3);
    let old = d.p6[0];
    assert_eq!(
        (old.phase, old.secs, old.samples),
        (Phase::Quiet, Some(30.0), Some(26))
    );
    assert_eq!((old.eo_ns, old.eo_wakes, old.ctxt), (None, None, None));
    let new = d.p6[1];
    assert_eq!(
        (new.eo_ns, new.eo_wakes, new.ctxt),
        (Some(41_200_000), Some(301), Some(2210))
    );
    let filled = d.p6[2];
    assert_eq!(
        (filled.line, filled.phase, filled.peek_runs, filled.peek_ns),
        (3, Phase::Filled, Some(12), Some(40_000))
    );
    // `-` is absent, like a missing optional key.
    let d = parse(&QUIET.replace("eo_ns=41200000", "eo_ns=-")).unwrap();
    assert_eq!((d.p6[0].eo_ns, d.p6[0].eo_wakes), (None, Some(301)));
}

#[test]
fn repeated_lines_are_separate_samples() {
    let p6 =
        "bench: P6 phase=quiet secs=1 samples=1 peek_runs=1 peek_wakes=1 monitor_ns=1 peek_ns=1";
    assert_eq!(parse(&format!("{p6}\n{p6}")).unwrap().p6.len(), 2);
    let d = parse(&p6.replace("secs=1 ", "secs=10.5 ")).unwrap();
    assert_eq!((d.p6[0].phase, d.p6[0].secs), (Phase::Quiet, Some(10.5)));
}

#[test]
fn malformed_lines() {
    let e = parse("bench: P6 phase=near x=1").unwrap_err();
    assert!(
        e.msg.contains("unknown key 'x' (expected phase, secs,"),
        "{e}"
    );
    assert!(e.msg.contains("; optional eo_ns, eo_wakes, ctxt)"), "{e}");
    let e = parse("bench: P6 phase=idle secs=1").unwrap_err();
    assert!(e.msg.contains("expected quiet or near or filled"), "{e}");
    let e = parse(&QUIET.replace("ctxt=2210", "ctxt=x")).unwrap_err();
    assert!(e.msg.contains("ctxt=x: expected a whole number"), "{e}");
}

#[test]
fn rates_and_ratios_of_a_window() {
    let s = summary(&format!("{QUIET}{FILLED}"));
    let q = s.rows[0].rates;
    assert!(close(q.wakeups_per_s, 27.0 / 30.012));
    assert!(close(q.cpu_pct, 2.85e6 / 30.012e9 * 100.0));
    assert!(close(q.eo_cpu_pct, 41.2e6 / 30.012e9 * 100.0));
    assert!(close(q.cpu_ratio, 2.85 / 41.2));
    assert!(close(q.eo_wakeups_per_s, 301.0 / 30.012));
    assert!(close(q.wakeup_ratio, 27.0 / 301.0));
    assert!(close(q.ctxt_per_s, 2210.0 / 30.012));
    assert_eq!(q.peek_share, Some(0.0));
    let f = s.rows[1].rates;
    assert!(close(f.cpu_ratio, 3.14e6 / 9.8e6));
    assert!(close(f.peek_share, 40e3 / 3.14e6 * 100.0));
    assert!(close(f.peek_runs_per_s, 12.0 / 30.02));
    // No ratio to a zero or absent peer, no share of nothing, no rate without a window.
    let zero = summary(
        "bench: P6 phase=quiet secs=- samples=1 peek_runs=0 peek_wakes=0 monitor_ns=0 \
         peek_ns=0 eo_ns=0 eo_wakes=0 ctxt=5\n",
    );
    let z = zero.rows[0].rates;
    assert_eq!(
        (z.cpu_ratio, z.wakeup_ratio, z.peek_share, z.ctxt_per_s),
        (None, None, None, None)
    );
    let old = summary(OLD_QUIET).rows[0].rates;
    assert_eq!(
        (old.cpu_ratio, old.eo_cpu_pct, old.wakeup_ratio),
        (None, None, None)
    );
    assert!(close(old.cpu_pct, 3.05e6 / 30e9 * 100.0));
}

#[test]
fn idle_phases_met_with_headline() {
    let text = format!("{QUIET}{FILLED}");
    let s = summary(&text);
    assert_eq!(s.verdict(), Verdict::met());
    assert_eq!(
        headline(&text, measure("P6")),
        "quiet 0.90 wake-ups/s, CPU 0.07× earlyoom's; filled 1.00 wake-ups/s, CPU 0.32× \
         earlyoom's"
    );
}

#[test]
fn cpu_above_earlyoom_is_missed() {
    let text = QUIET.replace("eo_ns=41200000", "eo_ns=1000000");
    let v = summary(&text).verdict();
    assert_eq!(
        (v.status, v.detail.as_deref()),
        (
            Status::Missed,
            Some("quiet CPU 2.9× earlyoom's (goal ≤ 1×)")
        )
    );
    // Narrowly over in the filled phase: two decimals, so it does not read as the goal.
    let v = summary(&format!(
        "{QUIET}{}",
        FILLED.replace("eo_ns=9800000", "eo_ns=3000000")
    ))
    .verdict();
    assert_eq!(
        v.detail.as_deref(),
        Some("filled CPU 1.05× earlyoom's (goal ≤ 1×)")
    );
    // Exactly earlyoom's is met.
    let v = summary(&QUIET.replace("eo_ns=41200000", "eo_ns=2850000")).verdict();
    assert_eq!(v, Verdict::met());
}

#[test]
fn a_phase_is_judged_on_the_median_of_its_lines_ratios() {
    let line = |mon: u64| {
        format!(
            "bench: P6 phase=quiet secs=10 samples=5 peek_runs=0 peek_wakes=0 \
             monitor_ns={mon} peek_ns=0 eo_ns=10000000 eo_wakes=100 ctxt=700\n"
        )
    };
    // Ratios 0.1, 3.0 and 0.2: the median is 0.2, though the ratio of the sums is 1.1.
    let s = summary(&(line(1_000_000) + &line(30_000_000) + &line(2_000_000)));
    let q = s.phase(Phase::Quiet).unwrap();
    assert_eq!(q.lines, 3);
    assert!(close(q.rates.cpu_ratio, 0.2));
    assert_eq!(s.verdict(), Verdict::met());
    assert_eq!(
        s.headline(),
        "quiet 0.50 wake-ups/s, CPU 0.20× earlyoom's (median of 3)"
    );
}

#[test]
fn without_earlyoom_the_ratio_is_not_measured() {
    let v = summary(OLD_QUIET).verdict();
    assert_eq!(
        (v.status, v.detail.as_deref()),
        (
            Status::Incomplete,
            Some("quiet CPU vs earlyoom's not measured (no eo_ns)")
        )
    );
    assert_eq!(
        summary(OLD_QUIET).headline(),
        "quiet 0.87 wake-ups/s, CPU 0.010 % (earlyoom not measured)"
    );
    // earlyoom present but with no CPU time in the window: no ratio either.
    let v = summary(&QUIET.replace("eo_ns=41200000", "eo_ns=0")).verdict();
    assert_eq!(
        (v.status, v.detail.as_deref()),
        (
            Status::Incomplete,
            Some("quiet CPU vs earlyoom's not measured")
        )
    );
    // A miss elsewhere still misses.
    let v = summary(&OLD_QUIET.replace("samples=26", "samples=60")).verdict();
    assert_eq!(
        (v.status, v.detail.as_deref()),
        (
            Status::Missed,
            Some(
                "quiet 2.00 wake-ups/s, 2.0× the 1/s target; \
                 quiet CPU vs earlyoom's not measured (no eo_ns)"
            )
        )
    );
}

#[test]
fn wake_ups_above_one_per_second_are_missed() {
    let v = verdict(&QUIET.replace("samples=27", "samples=60"), measure("P6"));
    assert_eq!(
        (v.status, v.detail.as_deref()),
        (
            Status::Missed,
            Some("quiet 2.00 wake-ups/s, 2.0× the 1/s target")
        )
    );
}

#[test]
fn a_peek_wake_in_an_idle_phase_is_missed() {
    let text = format!("{QUIET}{}", FILLED.replace("peek_wakes=0", "peek_wakes=2"));
    let s = summary(&text);
    assert_eq!(
        s.verdict(),
        Verdict::new(
            Status::Missed,
            "filled: the peek timers woke the monitor 2 times (goal 0)"
        )
    );
    assert_eq!(
        s.headline(),
        "quiet 0.90 wake-ups/s, CPU 0.07× earlyoom's; filled 1.00 wake-ups/s, CPU 0.32× \
         earlyoom's, peek wakes 2"
    );
    // Summed over the phase's lines: one wake in one of two windows is one too many.
    let two = QUIET.to_string() + &QUIET.replace("peek_wakes=0", "peek_wakes=1");
    let s = summary(&two);
    assert_eq!(s.phase(Phase::Quiet).unwrap().peek_wakes_total, Some(1));
    assert_eq!(
        s.verdict().detail.as_deref(),
        Some("quiet: the peek timers woke the monitor 1 time (goal 0)")
    );
}

#[test]
fn the_near_phase_is_shown_not_judged() {
    let near = "bench: P6 phase=near secs=20 samples=1000 peek_runs=400 peek_wakes=9 \
                monitor_ns=90000000 peek_ns=1000000 eo_ns=1000000 eo_wakes=200 ctxt=9000\n";
    let s = summary(&format!("{QUIET}{near}"));
    assert_eq!(s.verdict(), Verdict::met());
    assert_eq!(s.headline(), "quiet 0.90 wake-ups/s, CPU 0.07× earlyoom's");
    let md = markdown(&s);
    assert!(
        md.contains("| near (not judged) | 20.0 | 50.00 | 9 | 0.455 % | 0.005 % | 91.00× |"),
        "{md}"
    );
    // Without a quiet line, nothing is judged.
    let v = verdict(near, measure("P6"));
    assert_eq!(v, Verdict::not_measured("no quiet phase"));
    assert_eq!(summary(near).headline(), "quiet phase not measured");
}

#[test]
fn nothing_measured() {
    let v = verdict(
        "bench: P6 phase=quiet secs=- samples=5 peek_runs=- peek_wakes=- monitor_ns=1 \
         peek_ns=1\n",
        measure("P6"),
    );
    assert_eq!(
        v,
        Verdict::not_measured(
            "quiet wake-ups not measured; quiet peek wakes not measured; \
             quiet CPU vs earlyoom's not measured (no eo_ns)"
        )
    );
}

#[test]
fn table() {
    let s = summary(&format!("{QUIET}{FILLED}"));
    let md = markdown(&s);
    assert!(md.starts_with(
        "| Phase | Secs | Monitor wake-ups/s | Peek wakes | CPU (% of one CPU) | \
         earlyoom CPU (% of one CPU) | CPU ÷ earlyoom's | earlyoom wake-ups/s | \
         Wake-ups ÷ earlyoom's | Peek runs/s | Peek share of CPU | Guest ctxt/s |\n"
    ));
    assert!(
        md.contains(
            "| quiet | 30.0 | 0.90 | 0 | 0.009 % | 0.137 % | 0.07× | 10.03 | 0.09× | 0.00 | \
             0 % | 74 |"
        ),
        "{md}"
    );
    assert!(
        md.contains(
            "| filled | 30.0 | 1.00 | 0 | 0.010 % | 0.033 % | 0.32× | 1.33 | 0.75× | 0.40 | \
             1.3 % | 50 |"
        ),
        "{md}"
    );
    let md = markdown(&summary(&format!("{OLD_QUIET}{OLD_QUIET}")));
    assert!(
        md.contains("| quiet | 30.0 | 0.87 | 0 | 0.010 % | — | — | — | — | 15.70 | 4.9 % | — |"),
        "{md}"
    );
    assert!(
        md.contains(
            "| **quiet median** (of 2) |  | 0.87 | 0 (total) | 0.010 % | — | — | — | — | \
             15.70 | 4.9 % | — |"
        ),
        "{md}"
    );
}

#[test]
fn json_has_every_raw_key_and_the_ratios() {
    let v = summary(&format!("{QUIET}{FILLED}{OLD_QUIET}")).json();
    let q = &v["samples"][0];
    for (k, want) in [
        ("line", json!(1)),
        ("phase", json!("quiet")),
        ("secs", json!(30.012)),
        ("samples", json!(27)),
        ("peek_runs", json!(0)),
        ("peek_wakes", json!(0)),
        ("monitor_ns", json!(2_850_000)),
        ("peek_ns", json!(0)),
        ("eo_ns", json!(41_200_000)),
        ("eo_wakes", json!(301)),
        ("ctxt", json!(2210)),
        ("peek_share", json!(0.0)),
    ] {
        assert_eq!(q[k], want, "{k}");
    }
    assert_eq!(q["cpu_ratio"], json!(2.85 / 41.2));
    assert_eq!(q["wakeup_ratio"], json!(27.0 / 301.0));
    for k in [
        "cpu_pct",
        "eo_cpu_pct",
        "wakeups_per_s",
        "eo_wakeups_per_s",
        "ctxt_per_s",
    ] {
        assert!(q[k].is_f64(), "{k}");
    }
    assert_eq!(v["samples"][2]["eo_ns"], Value::Null);
    assert_eq!(v["samples"][2]["cpu_ratio"], Value::Null);
    let f = &v["phases"]["filled"];
    assert_eq!(f["judged"], json!(true));
    assert_eq!(f["median_cpu_ratio"], json!(3.14e6 / 9.8e6));
    assert_eq!(f["peek_wakes_total"], json!(0));
    // The quiet phase's median ratio is that of the one line that has one.
    assert_eq!(v["phases"]["quiet"]["median_cpu_ratio"], json!(2.85 / 41.2));
    assert_eq!(v["phases"]["quiet"]["lines"], json!(2));
    assert_eq!(
        v["goals"],
        json!({"wakeups_per_s": 1.0, "peek_wakes": 0, "cpu_ratio": 1.0})
    );
    assert_eq!(v["judged_phases"], json!(["quiet", "filled"]));
    let near = summary(
        "bench: P6 phase=near secs=2 samples=10 peek_runs=4 peek_wakes=2 monitor_ns=1000000 \
         peek_ns=1000000\n",
    )
    .json();
    assert_eq!(near["samples"][0]["cpu_pct"], json!(0.1));
    assert_eq!(near["phases"]["near"]["median_wakeups_per_s"], json!(5.0));
    assert_eq!(near["phases"]["near"]["judged"], json!(false));
}
