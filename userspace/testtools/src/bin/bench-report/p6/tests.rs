//! Tests of `p6.rs`.

use super::*;
use crate::measure::testing::markdown;
use crate::measure::Status;
use crate::report::parse;
use crate::report::testing::{measure, verdict};

fn summary(text: &str) -> P6Summary {
    P6Summary::new(&parse(text).unwrap().p6).unwrap()
}
#[test]
fn p6_cpu_and_rates() {
    let line = |secs: &str, samples: u32, mon: u64| {
        format!(
            "bench: P6 phase=quiet secs={secs} samples={samples} peek_runs=20 peek_wakes=2 \
             monitor_ns={mon} peek_ns=1000000\n"
        )
    };
    let s = summary(&line("10", 5, 9_000_000));
    let r = s.rows[0];
    // (9 ms + 1 ms) / 10 s = 0.1 %.
    assert!((r.cpu_pct.unwrap() - 0.1).abs() < 1e-12);
    assert_eq!(
        (r.wakeups_per_s, r.peek_runs_per_s, r.peek_wakes_per_s),
        (Some(0.5), Some(2.0), Some(0.2))
    );
    assert_eq!(s.verdict(), Verdict::met());
    let three = line("10", 5, 1_000_000) + &line("10", 30, 49_000_000) + &line("10", 20, 1_000_000);
    let s = summary(&three);
    let q = s.phase(Phase::Quiet).unwrap();
    assert_eq!((q.lines, q.wakeups_per_s), (3, Some(2.0)));
    assert_eq!(
        s.verdict().detail.as_deref(),
        Some("quiet 2.00 wake-ups/s, 2.0× the 1/s target")
    );
    assert_eq!(
        s.headline(),
        "quiet 0.020 % CPU, 2.00 wake-ups/s (median of 3)"
    );
    let v = verdict(&line("-", 5, 1), measure("P6"));
    assert_eq!(v.status, Status::NotMeasured);
    let v = verdict(&line("10", 5, 1).replace("quiet", "near"), measure("P6"));
    assert_eq!(v.detail.as_deref(), Some("no quiet phase"));
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
}

#[test]
fn table_and_json() {
    let s = summary(
        "bench: P6 phase=quiet secs=10 samples=5 peek_runs=0 peek_wakes=0 monitor_ns=400000 peek_ns=0\n\
         bench: P6 phase=quiet secs=10 samples=7 peek_runs=0 peek_wakes=0 monitor_ns=600000 peek_ns=0\n",
    );
    let md = markdown(&s);
    assert!(md.contains("| quiet | 10.0 | 0.004 % | 0.50 | 0.00 | 0.00 |"));
    assert!(md.contains("| **quiet median** (of 2) |  | 0.004 % | 0.50 | 0.00 | 0.00 |"));
    let v = summary(
        "bench: P6 phase=near secs=2 samples=10 peek_runs=4 peek_wakes=2 monitor_ns=1000000 peek_ns=1000000\n",
    )
    .json();
    assert_eq!(v["samples"][0]["cpu_pct"], json!(0.1));
    assert_eq!(v["phases"]["near"]["median_wakeups_per_s"], json!(5.0));
}
