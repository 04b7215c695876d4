//! Tests of `p3.rs`.

use super::*;
use crate::measure::testing::markdown;
use crate::measure::Status;
use crate::p2::tests::{all_rates, p2_line};
use crate::report::overall;
use crate::report::parse;
use crate::report::testing::{analysis, headline, measure, verdict};

/// A meta line with the guest's HZ.
const HZ250: &str = "bench: meta arch=x86_64 kernel=7.3.4 hz=250\n";

fn summary(text: &str) -> P3Summary {
    let d = parse(text).unwrap();
    P3Summary::new(&d.p2, &d.meta).unwrap()
}

/// `line` with `keys` added before its newline.
fn with_keys(line: String, keys: &str) -> String {
    line.replace('\n', &format!(" {keys}\n"))
}

#[test]
fn guest_hz_from_the_meta_line() {
    let meta = |text: &str| GuestHz::from_meta(&parse(text).unwrap().meta);
    assert_eq!(meta(HZ250), GuestHz::Known(250));
    assert_eq!(meta("bench: meta arch=x86_64\n"), GuestHz::Absent);
    assert_eq!(meta("bench: meta hz=-\n"), GuestHz::Absent);
    assert_eq!(meta(""), GuestHz::Absent);
    assert_eq!(
        meta("bench: meta hz=0\n"),
        GuestHz::Invalid("0".to_string())
    );
    assert_eq!(
        meta("bench: meta hz=250.5\n"),
        GuestHz::Invalid("250.5".to_string())
    );
    assert_eq!(GuestHz::Known(1000).hz(), Some(1000));
    assert_eq!(GuestHz::Absent.hz(), None);
    // One jiffy is 1000 / HZ ms.
    assert_eq!(jiffies(4.0, 250), 1.0);
    assert_eq!(jiffies(91.3, 250), 22.825);
    assert_eq!(jiffies(10.0, 100), 1.0);
    assert_eq!(jiffies(-2.0, 1000), -2.0);
    assert_eq!(jiffies_text(22.825), "22.8 jiffies");
    assert_eq!(jiffies_text(2.0), "2.0 jiffies");
    // A narrow miss does not read as the goal.
    assert_eq!(jiffies_text(2.04), "2.04 jiffies");
    assert_eq!(jiffies_text(1.96), "1.96 jiffies");
}

#[test]
fn p3_delays_judged_on_the_max_in_jiffies() {
    let s = summary(&format!("{HZ250}{}", all_rates("100")));
    let c = s.rates[0].levels[2];
    assert_eq!(
        (c.level, c.n, c.median_ms, c.max_ms),
        (Level::Critical, 2, Some(3.0), Some(4.0))
    );
    assert_eq!(s.hz, GuestHz::Known(250));
    assert_eq!(s.to_jiffies(c.max_ms), Some(1.0));
    assert_eq!(s.judged, DelayMeasure::HogAccounting);
    assert_eq!(s.rates[0].kernel_levels[2].n, 0);
    assert_eq!(
        s.verdict(),
        Verdict::new(Status::Met, "judged on the hog accounting")
    );
    assert_eq!(
        s.headline(),
        "HZ 250: hog max 1.0 jiffies (4.0 ms), medians ≤ 0.8 jiffies (judged); kernel —"
    );

    // 14.2 ms at HZ 250 is 3.55 jiffies.
    let text = HZ250.to_string()
        + &all_rates("100").replacen(
            &p2_line("800", 2, "250", "4"),
            &p2_line("800", 2, "250", "14.2"),
            1,
        );
    let v = verdict(&text, measure("P3"));
    assert_eq!(v.status, Status::Missed);
    assert_eq!(
        v.detail.as_deref(),
        Some(
            "judged on the hog accounting: max 14.2 ms = 3.5 jiffies at HZ 250 (critical at \
             800 MiB/s), 1.8× the 2-jiffy goal"
        )
    );
    // The same delays at HZ 1000: 4 ms is 4 jiffies, over the goal at every rate; 2 ms is
    // 2 jiffies, within it.
    let text = format!("bench: meta hz=1000\n{}", all_rates("100"));
    assert_eq!(
        verdict(&text, measure("P3")).detail.as_deref(),
        Some(
            "judged on the hog accounting: max 4.0 ms = 4.0 jiffies at HZ 1000 (critical at \
             max), 2.0× the 2-jiffy goal; 4 of 12 rate × level cells over it"
        )
    );
    // At exactly 2 jiffies the goal is met; a narrow miss reads as one.
    let at = |ms: &str| {
        verdict(
            &format!("{HZ250}{}", p2_line("50", 1, "1", ms)),
            measure("P3"),
        )
    };
    assert_eq!(
        at("8").detail.as_deref(),
        Some("judged on the hog accounting: rates 200 MiB/s, 800 MiB/s, max not measured")
    );
    assert_eq!(at("8").status, Status::Incomplete);
    // The table shows it too: 2.05 jiffies, not 2.0.
    assert!(markdown(&summary(&format!(
        "{HZ250}{}",
        p2_line("50", 1, "1", "8.2")
    )))
    .contains("|  | critical | 1 | 8.2 | 2.05 | 8.2 | 2.05 | 0 | — | — | — | — |"));
    assert_eq!(
        at("8.2").detail.as_deref(),
        Some(
            "judged on the hog accounting: max 8.2 ms = 2.05 jiffies at HZ 250 (critical at \
             50 MiB/s), 1.02× the 2-jiffy goal; rates 200 MiB/s, 800 MiB/s, max not measured"
        )
    );
    let v = verdict(
        &format!("{HZ250}{}", p2_line("50", 1, "1", "-")),
        measure("P3"),
    );
    assert_eq!(v.status, Status::Incomplete);
    assert!(v
        .detail
        .unwrap()
        .contains("critical delay unknown at 50 MiB/s"));
}

#[test]
fn p3_in_jiffies_the_example_of_a_wide_miss() {
    // Every cell over the goal, the worst 91.3 ms at HZ 250.
    let text: String = ["50", "200", "800", "max"]
        .iter()
        .map(|r| {
            let k = if *r == "50" { "91.3" } else { "20" };
            with_keys(
                p2_line(r, 1, "100", "3"),
                &format!("low_kdelay=20 medium_kdelay=20 critical_kdelay={k}"),
            )
        })
        .collect();
    let v = verdict(&format!("{HZ250}{text}"), measure("P3"));
    assert_eq!(v.status, Status::Missed);
    assert_eq!(
        v.detail.as_deref(),
        Some(
            "judged on the kernel count: max 91.3 ms = 22.8 jiffies at HZ 250 (critical at \
             50 MiB/s), 11.4× the 2-jiffy goal; 12 of 12 rate × level cells over it"
        )
    );
}

#[test]
fn p3_not_measured_without_the_guests_hz() {
    // Inputs from before the meta line had hz=: the delays are shown in ms, not judged.
    let s = summary(&all_rates("100"));
    assert_eq!(s.hz, GuestHz::Absent);
    assert_eq!(
        s.verdict(),
        Verdict::not_measured(
            "the input has no hz= in its meta line: P3 is judged in jiffies of the guest's HZ"
        )
    );
    assert_eq!(s.to_jiffies(Some(4.0)), None);
    assert_eq!(
        s.headline(),
        "hog max 4.0 ms, medians ≤ 3.0 ms (judged); kernel —; no HZ"
    );
    // Even a delay far over any goal is not judged without it.
    let over = all_rates("100").replace("critical_delay=4", "critical_delay=400");
    assert_eq!(verdict(&over, measure("P3")).status, Status::NotMeasured);
    assert_eq!(
        verdict(&format!("bench: meta hz=-\n{over}"), measure("P3")),
        s.verdict()
    );
    assert_eq!(
        verdict(&format!("bench: meta hz=fast\n{over}"), measure("P3")),
        Verdict::not_measured(
            "the input's meta line has hz=fast, not a positive whole number: P3 is judged in \
             jiffies of the guest's HZ"
        )
    );
    // The overall verdict: one input judged, one not.
    let v = overall(
        &[
            analysis(&format!("{HZ250}{}", all_rates("100"))),
            analysis(&all_rates("100")),
        ],
        measure("P3"),
    );
    assert_eq!(
        (v.status, v.detail.as_deref()),
        (
            Status::Incomplete,
            Some("x86_64: met, judged on the hog accounting; x86_64 not measured")
        )
    );
    let v = s.json();
    assert_eq!(
        (
            v["hz"].clone(),
            v["jiffy_ms"].clone(),
            v["goal_jiffies"].clone()
        ),
        (Value::Null, Value::Null, json!(2))
    );
    assert_eq!(
        v["summary"][0]["levels"]["critical"],
        json!({"n": 2, "median_ms": 3.0, "max_ms": 4.0, "median_jiffies": null, "max_jiffies": null})
    );
}

#[test]
fn p3_judged_on_the_kernel_count_when_present() {
    // Hog accounting over the goal (a step of the kernel's count at every rate), the
    // kernel count well under it: judged on the kernel count, so met.
    let text: String = HZ250.to_string()
        + &["50", "200", "800", "max"]
            .iter()
            .flat_map(|r| {
                [
                    with_keys(
                        p2_line(r, 1, "100", "25"),
                        "low_kdelay=0.5 medium_kdelay=0.7 critical_kdelay=1.2",
                    ),
                    // A run without the keys, and one with `-`, add nothing to n.
                    p2_line(r, 2, "250", "4"),
                ]
            })
            .collect::<String>();
    let s = summary(&text);
    assert_eq!(s.judged, DelayMeasure::KernelCount);
    let k = s.rates[0].kernel_levels[2];
    assert_eq!(
        (k.level, k.n, k.median_ms, k.max_ms),
        (Level::Critical, 1, Some(1.2), Some(1.2))
    );
    assert_eq!(s.rates[0].levels[2].max_ms, Some(25.0));
    assert_eq!(
        s.verdict(),
        Verdict::new(Status::Met, "judged on the kernel count")
    );
    assert_eq!(
        s.headline(),
        "HZ 250: kernel max 0.3 jiffies (1.2 ms), medians ≤ 0.3 jiffies (judged); \
         hog max 6.2 jiffies (25.0 ms), medians ≤ 1.0 jiffies"
    );
    // A kernel-count value over the goal is missed, whatever the hog accounting says.
    let text = text.replacen("critical_kdelay=1.2", "critical_kdelay=11", 1);
    let v = verdict(&text, measure("P3"));
    assert_eq!(v.status, Status::Missed);
    assert_eq!(
        v.detail.as_deref(),
        Some(
            "judged on the kernel count: max 11.0 ms = 2.8 jiffies at HZ 250 (critical at \
             50 MiB/s), 1.4× the 2-jiffy goal"
        )
    );
    // A cell without a kernel-count value is unmeasured by the judged measure.
    let text = text.replacen("medium_kdelay=0.7", "medium_kdelay=-", 1);
    let v = verdict(&text, measure("P3"));
    assert!(v
        .detail
        .unwrap()
        .contains("medium delay unknown at 50 MiB/s"));
    // The overall verdict names the measure of a met input too.
    let v = overall(
        &[analysis(&format!("{HZ250}{}", all_rates("100")))],
        measure("P3"),
    );
    assert_eq!(
        (v.status, v.detail.as_deref()),
        (
            Status::Met,
            Some("x86_64: met, judged on the hog accounting")
        )
    );
    assert_eq!(
        headline(
            &format!("{HZ250}{}", p2_line("50", 1, "1", "-")),
            measure("P3")
        ),
        "HZ 250: hog max 0.5 jiffies (2.0 ms), medians ≤ 0.5 jiffies (judged); kernel —"
    );
}

#[test]
fn table_and_json() {
    let k = with_keys(
        p2_line("50", 2, "120", "2"),
        "low_kdelay=0.6 medium_kdelay=- critical_kdelay=1.1",
    );
    let lines = p2_line("50", 1, "120", "2") + &k;
    let s = summary(&format!("{HZ250}{lines}"));
    assert_eq!(
        markdown(&s),
        "HZ 250 (the guest's, from its meta line): one jiffy is 4.0 ms, the goal of 2 \
         jiffies 8.0 ms.\n\n\
         | Rate (MiB/s) | Level | Hog accounting: n | Hog median (ms) | Hog median (jiffies) \
         | Hog max (ms) | Hog max (jiffies) | Kernel count: n | Kernel median (ms) \
         | Kernel median (jiffies) | Kernel max (ms) | Kernel max (jiffies) |\n\
         | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n\
         | 50 | low | 2 | 1.0 | 0.25 | 1.0 | 0.25 | 1 | 0.6 | 0.15 | 0.6 | 0.15 |\n\
         |  | medium | 2 | 2.0 | 0.50 | 2.0 | 0.50 | 0 | — | — | — | — |\n\
         |  | critical | 2 | 2.0 | 0.50 | 2.0 | 0.50 | 1 | 1.1 | 0.28 | 1.1 | 0.28 |\n\n\
         Judged on the kernel count.\n\n\
         Not measured: 200 MiB/s, 800 MiB/s, max.\n\n"
    );
    assert_eq!(
        s.headline(),
        "HZ 250: kernel max 0.3 jiffies (1.1 ms), medians ≤ 0.3 jiffies (judged); \
         hog max 0.5 jiffies (2.0 ms), medians ≤ 0.5 jiffies"
    );
    let v = s.json();
    assert_eq!(v["judged"], json!("kernel_count"));
    assert_eq!(v["hz"], json!(250));
    assert_eq!(v["jiffy_ms"], json!(4.0));
    assert_eq!(v["goal_jiffies"], json!(2));
    assert_eq!(
        v["summary"][0]["kernel_levels"]["low"],
        json!({"n": 1, "median_ms": 0.6, "max_ms": 0.6, "median_jiffies": 0.15, "max_jiffies": 0.15})
    );
    assert_eq!(
        v["summary"][0]["kernel_levels"]["medium"],
        json!({"n": 0, "median_ms": null, "max_ms": null, "median_jiffies": null, "max_jiffies": null})
    );
    assert_eq!(
        v["summary"][0]["levels"]["critical"]["max_jiffies"],
        json!(0.5)
    );
    assert_eq!(v["missing_rates"], json!([200, 800, "max"]));
    assert_eq!(
        summary(&format!("bench: meta hz=300\n{lines}")).json()["jiffy_ms"],
        json!(3.333)
    );

    // Without the HZ: the ms columns only, and why.
    let s = summary(&lines);
    assert_eq!(
        markdown(&s),
        "Not measured: the input has no hz= in its meta line: P3 is judged in jiffies of the \
         guest's HZ. The delays are shown in ms only.\n\n\
         | Rate (MiB/s) | Level | Hog accounting: n | Hog median (ms) | Hog max (ms) \
         | Kernel count: n | Kernel median (ms) | Kernel max (ms) |\n\
         | --- | --- | --- | --- | --- | --- | --- | --- |\n\
         | 50 | low | 2 | 1.0 | 1.0 | 1 | 0.6 | 0.6 |\n\
         |  | medium | 2 | 2.0 | 2.0 | 0 | — | — |\n\
         |  | critical | 2 | 2.0 | 2.0 | 1 | 1.1 | 1.1 |\n\n\
         Judged on the kernel count.\n\n\
         Not measured: 200 MiB/s, 800 MiB/s, max.\n\n"
    );
}
