//! Tests of `p2.rs`.

use super::*;
use crate::input::LineError;
use crate::measure::testing::markdown;
use crate::measure::Status;
use crate::report::testing::{analysis, headline, measure, verdict};
use crate::report::{overall, parse};

const P2_LINE: &str = "bench: P2 rate=50 run=1 reached_mibs=48.5 low=900 medium=500.5 \
    critical=120 reclaim=-3 earlyoom=80 earlyoom_sig=TERM psi_1ms=- psi_50ms=40 \
    low_delay=1.5 medium_delay=-0.5 critical_delay=-";

/// A P2 line with the given critical lead and critical delay.
pub fn p2_line(rate: &str, run: u32, critical: &str, delay: &str) -> String {
    format!(
        "bench: P2 rate={rate} run={run} reached_mibs=40 low=900 medium=400 critical={critical} \
         reclaim=- earlyoom=-5 earlyoom_sig=KILL psi_1ms=300 psi_50ms=- \
         low_delay=1 medium_delay=2 critical_delay={delay}\n"
    )
}

/// Two runs at every expected rate, run 1 with the given critical lead.
pub fn all_rates(critical: &str) -> String {
    ["50", "200", "800", "max"]
        .iter()
        .flat_map(|r| [p2_line(r, 1, critical, "3"), p2_line(r, 2, "250", "4")])
        .collect()
}

fn parse_err(text: &str) -> LineError {
    parse(text).unwrap_err()
}

fn summary(text: &str) -> P2Summary {
    let d = parse(text).unwrap();
    P2Summary::new(&d.p2, &d.meta).unwrap()
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
    let k = parse(&format!("{P2_LINE} low_kdelay=0.4 critical_kdelay=-")).unwrap();
    assert_eq!(k.p2[0].kdelay(Level::Low), Some(0.4));
    assert_eq!(k.p2[0].kdelay(Level::Medium), None);
    assert_eq!(k.p2[0].kdelay(Level::Critical), None);
    assert_eq!(k.p2[0].delay(Level::Low), Some(1.5));
    let e = parse_err(&format!("{P2_LINE} medium_kdelay=x"));
    assert!(
        e.msg.contains("medium_kdelay=x: expected a number or '-'"),
        "{e}"
    );
    let e = parse_err(&format!("{P2_LINE} low_kdelay=1 low_kdelay=2"));
    assert!(e.msg.contains("low_kdelay= given twice"), "{e}");
    let e = parse_err(&format!("{P2_LINE} high_kdelay=1"));
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
fn p2_errors_and_duplicates() {
    let p2 = |from: &str, to: &str| parse_err(&P2_LINE.replace(from, to)).msg;
    assert!(p2("rate=50", "rate=0").contains("rate=0: expected a positive"));
    assert!(p2("rate=50", "rate=fast").contains("rate=fast"));
    assert!(p2("earlyoom_sig=TERM", "earlyoom_sig=HUP").contains("expected TERM, KILL"));
    assert!(p2("critical=120", "critical=NaN").contains("critical=NaN"));
    let twice = format!("{P2_LINE}\n{P2_LINE}\n");
    let e = parse_err(&twice);
    assert_eq!(e.line, 2);
    assert!(
        e.msg.contains("rate=50 run=1 already given on line 1"),
        "{e}"
    );
    // A bad value is reported before the repeat.
    let e = parse_err(&format!(
        "{P2_LINE}\n{}",
        P2_LINE.replace("low=900", "low=x")
    ));
    assert!(e.msg.contains("low=x: expected a number"), "{e}");
}

/// A P2 line with the given leads of our medium and critical and of earlyoom, and
/// earlyoom's first action.
fn lead_line(
    rate: &str,
    run: u32,
    medium: &str,
    critical: &str,
    earlyoom: &str,
    sig: &str,
) -> String {
    format!(
        "bench: P2 rate={rate} run={run} reached_mibs=40 low=900 medium={medium} \
         critical={critical} reclaim=- earlyoom={earlyoom} earlyoom_sig={sig} psi_1ms=300 \
         psi_50ms=- low_delay=1 medium_delay=2 critical_delay=3\n"
    )
}

/// Two runs at every expected rate, our medium ahead of earlyoom at each: ratios 1.04,
/// 2.2, 1.5 and 4.7; earlyoom missed at 800 and max, and skipped SIGTERM at 200 and max.
fn met_text() -> String {
    [
        lead_line("50", 1, "500", "100", "480", "TERM"),
        lead_line("50", 2, "520", "100", "500", "TERM"),
        lead_line("200", 1, "220", "100", "100", "TERM"),
        lead_line("200", 2, "200", "100", "90", "KILL"),
        lead_line("800", 1, "160", "100", "100", "TERM"),
        lead_line("800", 2, "150", "100", "-", "-"),
        lead_line("max", 1, "94", "100", "20", "KILL"),
        lead_line("max", 2, "100", "100", "-5", "KILL"),
    ]
    .concat()
}

/// Three runs at 50 MiB/s (a medium and a critical miss, an earlyoom miss with SIGKILL
/// first) and one at 200 MiB/s where earlyoom never acted.
fn mixed_text() -> String {
    [
        lead_line("50", 1, "400", "100", "100", "TERM"),
        lead_line("50", 2, "300", "-2", "-20", "KILL"),
        lead_line("50", 3, "-", "50", "200", "TERM"),
        lead_line("200", 1, "80", "30", "-", "-"),
    ]
    .concat()
}

#[test]
fn p2_coverage() {
    let s = summary(&all_rates("100"));
    assert_eq!(s.rates.len(), 4);
    assert!(s.missing_rates.is_empty());
    let r = &s.rates[0];
    assert_eq!(
        (r.rate, r.runs, r.reached_median_mibs),
        (Rate::MibS(50), 2, Some(40.0))
    );
    let c = r.coverage(Signal::Critical).unwrap();
    assert_eq!(
        (c.covered, c.median_lead_ms, c.min_lead_ms),
        (2, Some(100.0), Some(100.0))
    );
    let e = r.coverage(Signal::Earlyoom).unwrap();
    assert_eq!((e.covered, e.late, e.never), (0, 2, 0));
    assert_eq!(
        (e.median_lead_ms, r.earlyoom_kill, r.earlyoom_term),
        (None, 2, 0)
    );
    assert_eq!(r.coverage(Signal::Psi50ms).unwrap().never, 2);
    // A lead of 0 or below, or none, is not covered.
    let text = all_rates("100").replacen("critical=100", "critical=0", 1);
    let c = summary(&text).rates[0].coverage(Signal::Critical).cloned();
    assert_eq!(c.map(|c| (c.covered, c.late, c.never)), Some((1, 1, 0)));
}

#[test]
fn p2_ratio_of_medians_and_per_run_ratios() {
    let text = [
        lead_line("50", 1, "400", "100", "100", "TERM"),
        lead_line("50", 2, "300", "100", "200", "TERM"),
        // earlyoom after the OOM, having skipped SIGTERM: not in its median, no per-run
        // ratio.
        lead_line("50", 3, "500", "100", "-20", "KILL"),
        // Our medium never came: a miss, no per-run ratio.
        lead_line("50", 4, "-", "100", "50", "TERM"),
        // earlyoom never came.
        lead_line("50", 5, "250", "100", "-", "-"),
        lead_line("50", 6, "600", "100", "200", "TERM"),
        // A lead of 0 is not before the OOM.
        lead_line("50", 7, "0", "100", "300", "TERM"),
    ]
    .concat();
    let s = summary(&text);
    let c = &s.rates[0].vs_earlyoom;
    // Medium over [250, 300, 400, 500, 600]: 400; earlyoom over [50, 100, 200, 200, 300]:
    // 200 (nearest-rank).
    assert_eq!(
        (c.medium_median_ms, c.earlyoom_median_ms, c.ratio),
        (Some(400.0), Some(200.0), Some(2.0))
    );
    // Only runs 1, 2 and 6 have both before the OOM.
    assert_eq!(c.per_run, vec![(1, 4.0), (2, 1.5), (6, 3.0)]);
    assert_eq!((c.per_run_median, c.per_run_min), (Some(3.0), Some(1.5)));
    assert_eq!(
        (
            c.runs,
            c.misses_medium,
            c.misses_critical,
            c.runs_missed_by_ours
        ),
        (7, 2, 0, 2)
    );
    assert_eq!((c.earlyoom_misses, c.earlyoom_skipped_term), (2, 1));
    // The median of an even count is the lower middle.
    let s = summary(&met_text());
    let c = &s.rates[0].vs_earlyoom;
    assert_eq!(
        (c.medium_median_ms, c.earlyoom_median_ms),
        (Some(500.0), Some(480.0))
    );
    assert_eq!(c.per_run_median, Some(1.04));
    // No earlyoom lead before the OOM: no ratio, no per-run ratios.
    let c = &s.rates[3].vs_earlyoom;
    assert_eq!(c.ratio, Some(4.7));
    let c = &summary(&mixed_text()).rates[1].vs_earlyoom;
    assert_eq!(
        (c.ratio, c.per_run_median, c.per_run_min),
        (None, None, None)
    );
    assert!(c.per_run.is_empty());
    assert_eq!((c.medium_median_ms, c.earlyoom_misses), (Some(80.0), 1));
}

#[test]
fn p2_met_at_every_rate() {
    let text = met_text();
    assert_eq!(verdict(&text, measure("P2")), Verdict::met());
    assert_eq!(
        headline(&text, measure("P2")),
        "medium ÷ earlyoom (same 10 % threshold, same run, median): 1.04× / 2.2× / 1.6× / \
         4.7× at 50 / 200 / 800 / max; earlyoom first in 0 of 6; ours missed 0 of 8; earlyoom \
         missed 2, skipped SIGTERM in 3"
    );
    // A ratio of exactly 1 meets the goal.
    let even = text
        .replace(
            &lead_line("50", 1, "500", "100", "480", "TERM"),
            &lead_line("50", 1, "480", "100", "480", "TERM"),
        )
        .replace(
            &lead_line("50", 2, "520", "100", "500", "TERM"),
            &lead_line("50", 2, "500", "100", "500", "TERM"),
        );
    assert_eq!(summary(&even).rates[0].vs_earlyoom.ratio, Some(1.0));
    assert_eq!(
        summary(&even).rates[0].vs_earlyoom.per_run_median,
        Some(1.0)
    );
    assert_eq!(verdict(&even, measure("P2")), Verdict::met());
}

#[test]
fn p2_judged_on_the_runs_paired() {
    // The board case: leads of seconds that differ between runs by more than the two signals
    // differ within a run. Ours ahead in runs 1, 2 and 4, behind by 0.8 ms in run 3: the
    // medians (2212.5 and 2213.3 ms, from different runs) read 0.9996×, the runs 1.02×.
    let board = [
        lead_line("50", 1, "1829.9", "900", "1794.4", "TERM"),
        lead_line("50", 2, "2283.6", "900", "2230.7", "TERM"),
        lead_line("50", 3, "2212.5", "900", "2213.3", "TERM"),
        lead_line("50", 4, "2346.2", "900", "2330.3", "TERM"),
        lead_line("50", 5, "2042.5", "900", "1949.1", "TERM"),
    ]
    .concat();
    let s = summary(&board);
    let c = &s.rates[0].vs_earlyoom;
    assert!(c.ratio.is_some_and(|r| r < 1.0));
    assert_eq!(c.earlyoom_first, 1);
    assert!(c.per_run_median.is_some_and(|r| r > 1.01));
    assert_eq!(
        verdict(&board, measure("P2")).detail.as_deref(),
        Some("rates 200 MiB/s, 800 MiB/s, max not measured")
    );
}

#[test]
fn p2_missed_on_the_ratio() {
    // At 200 MiB/s, medium over [85.4, 90]: 85.4; earlyoom over [92.8, 95]: 92.8.
    let text = met_text()
        .replace(
            &lead_line("200", 1, "220", "100", "100", "TERM"),
            &lead_line("200", 1, "85.4", "100", "92.8", "TERM"),
        )
        .replace(
            &lead_line("200", 2, "200", "100", "90", "KILL"),
            &lead_line("200", 2, "90", "100", "95", "KILL"),
        );
    let s = summary(&text);
    let c = &s.rates[1].vs_earlyoom;
    assert_eq!(
        (c.medium_median_ms, c.earlyoom_median_ms),
        (Some(85.4), Some(92.8))
    );
    let v = verdict(&text, measure("P2"));
    assert_eq!(v.status, Status::Missed);
    assert_eq!(
        v.detail.as_deref(),
        Some(
            "200 MiB/s: medium lead ÷ earlyoom's in the same run, median 0.92× over 2 runs \
             (earlyoom first in 2)"
        )
    );
    assert_eq!(
        headline(&text, measure("P2")),
        "medium ÷ earlyoom (same 10 % threshold, same run, median): 1.04× / 0.92× / 1.6× / \
         4.7× at 50 / 200 / 800 / max; earlyoom first in 2 of 6; ours missed 0 of 8; earlyoom \
         missed 2, skipped SIGTERM in 3"
    );
    // A narrow miss does not read as the goal.
    let narrow = [
        lead_line("50", 1, "99.9", "10", "100", "TERM"),
        lead_line("200", 1, "70", "10", "100", "TERM"),
    ]
    .concat();
    assert_eq!(
        verdict(&narrow, measure("P2")).detail.as_deref(),
        Some(
            "50 MiB/s: medium lead ÷ earlyoom's in the same run, median 0.999× over 1 run \
             (earlyoom first in 1); 200 MiB/s: medium lead ÷ earlyoom's in the same run, \
             median 0.7× over 1 run (earlyoom first in 1); \
             rates 800 MiB/s, max not measured"
        )
    );
}

#[test]
fn p2_missed_on_a_critical_miss() {
    // Ahead of earlyoom at every rate, but critical came after the OOM once at max.
    let text = met_text().replacen(
        &lead_line("max", 2, "100", "100", "-5", "KILL"),
        &lead_line("max", 2, "100", "-3", "-5", "KILL"),
        1,
    );
    let v = verdict(&text, measure("P2"));
    assert_eq!(
        (v.status, v.detail.as_deref()),
        (Status::Missed, Some("critical missed 1 of 2 runs at max"))
    );
    assert_eq!(
        headline(&text, measure("P2")),
        "medium ÷ earlyoom (same 10 % threshold, same run, median): 1.04× / 2.2× / 1.6× / \
         4.7× at 50 / 200 / 800 / max; earlyoom first in 0 of 6; ours missed 1 of 8 (medium \
         0, critical 1); earlyoom missed 2, skipped SIGTERM in 3"
    );
    // A medium that never came is a miss too, and the ratio is taken over the rest.
    let text = text.replacen(
        &lead_line("50", 1, "500", "100", "480", "TERM"),
        &lead_line("50", 1, "-", "100", "480", "TERM"),
        1,
    );
    assert_eq!(
        verdict(&text, measure("P2")).detail.as_deref(),
        Some("medium missed 1 of 2 runs at 50 MiB/s; critical missed 1 of 2 runs at max")
    );
    assert_eq!(
        summary(&text).rates[0].vs_earlyoom.ratio,
        Some(520.0 / 480.0)
    );
}

#[test]
fn p2_a_rate_where_earlyoom_never_acted_is_judged_on_our_misses() {
    // earlyoom acted before the OOM at 50 and 200 MiB/s only: no ratio at 800 and max,
    // where ours covered every run. That is met, and the detail says why there is no ratio.
    let text = met_text()
        .replace(
            &lead_line("800", 1, "160", "100", "100", "TERM"),
            &lead_line("800", 1, "160", "100", "-", "-"),
        )
        .replace(
            &lead_line("max", 1, "94", "100", "20", "KILL"),
            &lead_line("max", 1, "94", "100", "-1", "KILL"),
        );
    let v = verdict(&text, measure("P2"));
    assert_eq!(v.status, Status::Met);
    assert_eq!(
        v.detail.as_deref(),
        Some(
            "earlyoom never acted before the OOM at 800 MiB/s: ratio undefined, our medium \
             covered 2/2; earlyoom never acted before the OOM at max: ratio undefined, our \
             medium covered 2/2"
        )
    );
    assert_eq!(
        headline(&text, measure("P2")),
        "medium ÷ earlyoom (same 10 % threshold, same run, median): 1.04× / 2.2× / — / — at \
         50 / 200 / 800 / max; earlyoom first in 0 of 4; ours missed 0 of 8; earlyoom missed \
         4, skipped SIGTERM in 3"
    );
    // The overall verdict keeps the detail of a met input.
    let v = overall(&[analysis(&text)], measure("P2"));
    assert_eq!(v.status, Status::Met);
    assert!(v
        .detail
        .unwrap()
        .starts_with("x86_64: met, earlyoom never acted before the OOM at 800 MiB/s"));
    // Our misses there still count, and come before the note.
    let v = verdict(&mixed_text(), measure("P2"));
    assert_eq!(v.status, Status::Missed);
    assert_eq!(
        v.detail.as_deref(),
        Some(
            "medium missed 1 of 3 runs at 50 MiB/s; critical missed 1 of 3 runs at \
             50 MiB/s; rates 800 MiB/s, max not measured; earlyoom never acted before the \
             OOM at 200 MiB/s: ratio undefined, our medium covered 1/1"
        )
    );
    // earlyoom only ever after the OOM, at every rate: no ratio anywhere, ours judged alone.
    let v = verdict(&all_rates("100"), measure("P2"));
    assert_eq!(v.status, Status::Met);
    assert_eq!(
        v.detail.map(|d| d.matches("ratio undefined").count()),
        Some(4)
    );
    assert_eq!(
        headline(&all_rates("100"), measure("P2")),
        "medium ÷ earlyoom (same 10 % threshold, same run, median): — / — / — / — at 50 / \
         200 / 800 / max; earlyoom first in 0 of 0; ours missed 0 of 8; earlyoom missed 8, \
         skipped SIGTERM in 8"
    );
}

#[test]
fn p2_incomplete() {
    // Missing rates make a met verdict incomplete.
    let text: String = met_text()
        .lines()
        .filter(|l| l.contains("rate=50 ") || l.contains("rate=200 "))
        .map(|l| format!("{l}\n"))
        .collect();
    let v = verdict(&text, measure("P2"));
    assert_eq!(v.status, Status::Incomplete);
    assert_eq!(
        v.detail.as_deref(),
        Some("rates 800 MiB/s, max not measured")
    );
    // Fewer runs than `meta runs=` make it incomplete too.
    let v = verdict(
        &format!("bench: meta runs=3\n{}", met_text()),
        measure("P2"),
    );
    assert_eq!(v.status, Status::Incomplete);
    assert_eq!(
        v.detail.as_deref(),
        Some(
            "50 MiB/s: 2 of 3 runs reported; 200 MiB/s: 2 of 3 runs reported; \
             800 MiB/s: 2 of 3 runs reported; max: 2 of 3 runs reported"
        )
    );
    assert_eq!(
        verdict(
            &format!("bench: meta runs=2\n{}", met_text()),
            measure("P2")
        ),
        Verdict::met()
    );
    // earlyoom that never acted at all, not even after the OOM, was likely not running:
    // there is nothing to compare with.
    let none: String = ["50", "200", "800", "max"]
        .iter()
        .map(|r| lead_line(r, 1, "100", "50", "-", "-"))
        .collect();
    let s = summary(&none);
    assert_eq!(
        s.verdict(),
        Verdict::new(
            Status::Incomplete,
            "earlyoom took no action in any run, not even after the OOM: no ratio"
        )
    );
    assert!(markdown(&s).contains(
        "earlyoom took no action in any run, not even after the OOM: it was likely not \
         running, and there is nothing to compare with.\n\n"
    ));
    assert!(!markdown(&s).contains("no ratio there"));
}

#[test]
fn table() {
    let s = summary(&mixed_text());
    let md = markdown(&s);
    // The ratio table comes first, with the rates without a ratio named below it.
    assert!(md.starts_with(
        "| Rate (MiB/s) | Runs | Medium median lead (ms) | earlyoom median lead (ms) \
         | Per-run ratio median / min (judged) | earlyoom first | Ratio of medians \
         | Our misses (medium, critical) | earlyoom misses | earlyoom skipped SIGTERM |\n\
         | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n\
         | 50 | 3 | 300.0 | 100.0 | 4.00× / 4.00× | 0 of 1 | 3.00× | 1, 1 | 1 | 1 |\n\
         | 200 | 1 | 80.0 | — | — | 0 of 0 | — | 0, 0 | 1 | 0 |\n\n\
         earlyoom never acted before the OOM at 200 MiB/s: no ratio there, our `medium` and \
         `critical` are judged on their misses alone.\n\n\
         | Rate (MiB/s) | Runs | Reached (MiB/s) | Signal |"
    ));
    assert_eq!(
        s.headline(),
        "medium ÷ earlyoom (same 10 % threshold, same run, median): 4.0× / — at 50 / 200; \
         earlyoom first in 0 of 1; ours missed 2 of 4 (medium 1, critical 1); earlyoom missed \
         2, skipped SIGTERM in 1"
    );

    // The per-rate signal tables stay.
    let s = summary(&(p2_line("50", 1, "120", "2") + &p2_line("50", 2, "120", "2")));
    let md = markdown(&s);
    assert!(md.contains("| 50 | 2 | 40.0 | low (ours) | 2/2 (100 %) | 900.0 | 900.0 |  |"));
    assert!(md.contains("|  |  |  | **medium** (ours, judged) | 2/2 (100 %) | 400.0 | 400.0 |  |"));
    assert!(
        md.contains("|  |  |  | **critical** (ours, judged) | 2/2 (100 %) | 120.0 | 120.0 |  |")
    );
    assert!(md.contains("|  |  |  | reclaim (ours) | 0/2 (0 %) | — | — | 2 runs never |"));
    assert!(md.contains(
        "|  |  |  | earlyoom (compared with medium) | 0/2 (0 %) | — | — | 2 runs at or after \
         the OOM; first action SIGTERM in 0 runs, SIGKILL in 2 runs |"
    ));
    assert!(md.contains("|  |  |  | PSI 50 ms | 0/2 (0 %) | — | — | 2 runs never |"));
    assert!(md.ends_with("Not measured: 200 MiB/s, 800 MiB/s, max.\n\n"));
}

#[test]
fn json_keys() {
    let v = summary(&mixed_text()).json();
    assert_eq!(v["goal_ratio"], json!(1.0));
    assert_eq!(
        v["same_threshold"],
        json!("10 % available: our medium, earlyoom's SIGTERM")
    );
    assert_eq!(v["runs"][1]["run"], json!(2));
    assert_eq!(v["runs"][1]["critical"], json!(-2.0));
    assert_eq!(v["runs"][2]["medium"], Value::Null);
    assert_eq!(v["runs"][3]["earlyoom_sig"], Value::Null);
    let r = &v["summary"][0];
    let keys: Vec<&str> = r.as_object().unwrap().keys().map(|k| k.as_str()).collect();
    let mut want = vec![
        "rate",
        "runs",
        "reached_median_mibs",
        "signals",
        "earlyoom_first_action",
        "ratio_medium_over_earlyoom",
        "per_run_ratios",
        "per_run_ratio_median",
        "per_run_ratio_min",
        "earlyoom_first_runs",
        "misses_medium",
        "misses_critical",
        "earlyoom_misses",
        "earlyoom_skipped_term",
    ];
    want.sort_unstable();
    assert_eq!(keys, want);
    assert_eq!(r["ratio_medium_over_earlyoom"], json!(3.0));
    assert_eq!(r["per_run_ratios"], json!([{"run": 1, "ratio": 4.0}]));
    assert_eq!(
        (&r["per_run_ratio_median"], &r["per_run_ratio_min"]),
        (&json!(4.0), &json!(4.0))
    );
    assert_eq!(
        (&r["misses_medium"], &r["misses_critical"]),
        (&json!(1), &json!(1))
    );
    assert_eq!(
        (&r["earlyoom_misses"], &r["earlyoom_skipped_term"]),
        (&json!(1), &json!(1))
    );
    assert_eq!(r["signals"]["critical"]["coverage_pct"], json!(200.0 / 3.0));
    assert_eq!(r["earlyoom_first_action"], json!({"TERM": 2, "KILL": 1}));
    let r = &v["summary"][1];
    assert_eq!(r["rate"], json!(200));
    assert_eq!(r["ratio_medium_over_earlyoom"], Value::Null);
    assert_eq!(r["per_run_ratios"], json!([]));
    assert_eq!(r["per_run_ratio_median"], Value::Null);
    assert_eq!(r["per_run_ratio_min"], Value::Null);
    assert_eq!(v["missing_rates"], json!([800, "max"]));
    // Ratios are rounded to two decimals: 500 / 480, 200 / 90, 220 / 100.
    let v = summary(&met_text()).json();
    assert_eq!(v["summary"][0]["ratio_medium_over_earlyoom"], json!(1.04));
    assert_eq!(v["summary"][1]["ratio_medium_over_earlyoom"], json!(2.22));
    assert_eq!(
        v["summary"][1]["per_run_ratios"],
        json!([{"run": 1, "ratio": 2.2}, {"run": 2, "ratio": 2.22}])
    );
}
