//! bench-report end to end: the fixtures under `tests/fixtures/bench_report/` (an x86_64 guest
//! with every id but P10, both P1 readers and kernel-count P3 delays, a partial arm64 guest with
//! CRLF lines, misses, P1 and P2 lines from before `reader=` and `*_kdelay` and too few P10
//! spikes to judge, a host file; both guests give hz=250) become a Markdown and a JSON report
//! with the expected figures; the x86_64 fixture with the P1 floor lines added is judged against
//! its floors; without hz= P3 is not measured, and with 20 P10 spikes P10 is judged; with P4
//! share and avert lines P4 is judged on the callback's share of the kernel's OOM handling and
//! of the cost of freeing one pool block; a malformed
//! line fails with exit status 1, names FILE:LINE and writes nothing.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let p =
            std::env::temp_dir().join(format!("bench-report-test-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Self(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/bench_report")
        .join(name)
        .display()
        .to_string()
}

fn bench_report(args: &[String]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bench-report"))
        .args(args)
        .output()
        .unwrap()
}

fn args(inputs: &[(&str, &str)], dir: &Path) -> Vec<String> {
    let paths: Vec<(&str, String)> = inputs.iter().map(|(l, f)| (*l, fixture(f))).collect();
    args_paths(&paths, dir)
}

fn args_paths(inputs: &[(&str, String)], dir: &Path) -> Vec<String> {
    let mut a = Vec::new();
    for (label, path) in inputs {
        a.push("--input".to_string());
        a.push(format!("{label}={path}"));
    }
    a.push("--md".to_string());
    a.push(dir.join("BENCHMARKS.md").display().to_string());
    a.push("--json".to_string());
    a.push(dir.join("benchmarks.json").display().to_string());
    a
}

#[test]
fn fixtures_become_markdown_and_json() {
    let dir = TempDir::new("ok");
    let out = bench_report(&args(
        &[
            ("x86_64", "x86_64.txt"),
            ("arm64", "arm64.txt"),
            ("host", "host.txt"),
        ],
        &dir.0,
    ));
    assert!(out.status.success(), "{out:?}");
    assert!(out.stderr.is_empty(), "{out:?}");

    let md = std::fs::read_to_string(dir.0.join("BENCHMARKS.md")).unwrap();
    assert!(md.starts_with("# rust_oom_guard benchmarks\n"));
    assert!(md.contains("`make bench`") && md.contains("QEMU TCG"));
    assert!(md.contains("| Measure | Target | x86_64 | arm64 | host | Verdict |"));
    for want in [
        // P1: nearest-rank p50 and p99 of each x86_64 reader's ten samples, and arm64's lines
        // without `reader=` are the default reader's. The fixtures predate the floor lines:
        // every reader is shown, none is judged.
        "| P1 · Event latency, kernel → reader \
         | p50 and p99 ≤ 1.5× the wake-up floor measured beside the reader \
         | default p50 40.0 µs, p99 1.5 ms (n = 10), no floor; \
         --rt-priority 1: p50 12.0 µs, p99 90.0 µs (n = 10), no floor, 1 lost \
         | default p50 30.0 µs, p99 900.0 µs (n = 5), no floor | — | not measured |",
        "| normal (default) | 10 | 40.0 | 1500.0 | 0 | — | — | — | — | 1500.0 | 10 | 0 |\n\
         | rt (`--rt-priority 1`) | 10 | 12.0 | 90.0 | 0 | — | — | — | — | 90.0 | 10 | 1 |\n\n\
         No floor lines for the normal reader.\n\nNo floor lines for the rt reader.\n",
        "No floor lines for the normal reader.\n\nNot measured: no P1 lines of the rt reader.",
        // P2: our medium against earlyoom at the same threshold; x86_64's earlyoom never acted
        // before the OOM at 800 and max (no ratio, ours judged alone); arm64's late critical,
        // no earlyoom lead at 200 MiB/s and its missing rates.
        "| at every rate: our lead ≥ earlyoom's at the same threshold (10 %: our `medium`, its \
         SIGTERM) in the same run, median per-run ratio ≥ 1; and ours `critical` and `medium` \
         before the OOM in every run \
         | medium ÷ earlyoom (same 10 % threshold, same run, median): 8.7× / 16.5× / — / — at \
         50 / 200 / 800 / max; earlyoom first in 0 of 3; ours missed 0 of 8; earlyoom missed 5, \
         skipped SIGTERM in 2 \
         | medium ÷ earlyoom (same 10 % threshold, same run, median): 10.5× / — at 50 / 200; \
         earlyoom first in 0 of 2; ours missed 1 of 4 (medium 0, critical 1); earlyoom missed \
         2, skipped SIGTERM in 1 | — \
         | missed — x86_64: met, earlyoom never acted before the OOM at 800 MiB/s: ratio \
         undefined, our medium covered 2/2; earlyoom never acted before the OOM at max: ratio \
         undefined, our medium covered 2/2; arm64: critical missed 1 of 2 runs at 200 MiB/s; \
         rates 800 MiB/s, max not measured; earlyoom never acted before the OOM at 200 MiB/s: \
         ratio undefined, our medium covered 2/2 |",
        // The ratio table first: medians 1250 / 140 and 320 / 20, per-run ratios only where
        // both came before the OOM (none at 800 and max).
        "| 50 | 2 | 1250.0 | 140.0 | 8.67× / 8.67× | 0 of 2 | 8.93× | 0, 0 | 0 | 0 |\n\
         | 200 | 2 | 320.0 | 20.0 | 16.50× / 16.50× | 0 of 1 | 16.00× | 0, 0 | 1 | 2 |\n\
         | 800 | 2 | 75.0 | — | — | 0 of 0 | — | 0, 0 | 2 | 0 |\n\
         | max | 2 | 40.0 | — | — | 0 of 0 | — | 0, 0 | 2 | 0 |\n\n\
         earlyoom never acted before the OOM at 800 MiB/s, max: no ratio there",
        "| 50 | 2 | 1100.0 | 100.0 | 10.45× / 10.45× | 0 of 2 | 11.00× | 0, 0 | 0 | 0 |\n\
         | 200 | 2 | 240.0 | — | — | 0 of 0 | — | 0, 1 | 2 | 1 |\n\n",
        // P3, in jiffies of HZ 250: x86_64 has kernel-count delays (`*_kdelay`) and is judged
        // on them; arm64's lines predate them and are judged on the hog accounting, whose
        // 12.5 ms are 3.1 jiffies.
        "| P3 · Level detection delay \
         | ≤ 2 jiffies of the guest's HZ at every rate (judged on the max) \
         | HZ 250: kernel max 0.8 jiffies (3.4 ms), medians ≤ 0.7 jiffies (judged); \
         hog max 2.4 jiffies (9.6 ms), medians ≤ 2.2 jiffies \
         | HZ 250: hog max 3.1 jiffies (12.5 ms), medians ≤ 1.5 jiffies (judged); kernel — | — \
         | missed — x86_64: met, judged on the kernel count; arm64: judged on the hog \
         accounting: max 12.5 ms = 3.1 jiffies at HZ 250 (critical at 200 MiB/s), 1.6× the \
         2-jiffy goal; rates 800 MiB/s, max not measured |",
        "### x86_64\n\nHZ 250 (the guest's, from its meta line): one jiffy is 4.0 ms, the goal \
         of 2 jiffies 8.0 ms.\n\n| Rate (MiB/s) | Level | Hog accounting: n | Hog median (ms) \
         | Hog median (jiffies) | Hog max (ms) | Hog max (jiffies) | Kernel count: n \
         | Kernel median (ms) | Kernel median (jiffies) | Kernel max (ms) | Kernel max (jiffies) |",
        "| 50 | low | 2 | 1.0 | 0.25 | 1.2 | 0.30 | 1 | 0.9 | 0.23 | 0.9 | 0.23 |",
        "|  | critical | 2 | 7.9 | 1.98 | 8.2 | 2.05 | 2 | 1.3 | 0.33 | 1.5 | 0.38 |",
        "|  | critical | 2 | 9.0 | 2.25 | 9.6 | 2.40 | 2 | 2.8 | 0.70 | 3.4 | 0.85 |\n\n\
         Judged on the kernel count.\n",
        "|  | critical | 2 | 6.0 | 1.50 | 12.5 | 3.12 | 0 | — | — | — | — |\n\n\
         Judged on the hog accounting.\n",
        // P10: arm64's three default spikes are too few to judge; x86_64 has none.
        "| P10 · Avert efficiency \
         | median ≥ 90 % of the pool over ≥ 20 spikes, with the kernel's default per-CPU lists \
         | not measured \
         | default median 85.4 % (min 83 %) over 3 spikes; capped median 96.4 % (min 96.4 %) \
         over 1 spike | — | not measured |",
        "| **default** (judged) | 3 | 85.4 % | 83.0 % | 92.8 % | 13.7 | 16.0 |\n\
         | capped (`vm.percpu_pagelist_high_fraction=1000`) | 1 | 96.4 % | 96.4 % | 96.4 % \
         | 15.4 | 16.0 |\n\n\
         Not judged: 3 spikes of pcp=default with an efficiency, 20 needed.\n",
        "x86_64.txt` has no P10 lines.",
        // P4 is not in the arm64 file: not measured, never invented. x86_64 has storms only,
        // no share or avert lines: shown, not judged.
        "| no share lines; no avert lines; storms: max 12.5 µs, mean 3.4 µs over 200 rounds \
         | not measured | — | not measured |",
        "### x86_64\n\nNot measured: no P4 share lines (the callback's share of the OOMs that \
         ended in a kill).\n\nNot measured: no P4 avert lines (the averted OOMs' callback \
         beyond its `__free_pages` calls, against the cost of freeing one pool block).\n\n\
         Storms of averted OOMs, as context (not judged):\n\n",
        "| avert 0 kills / 20 spikes; observe 20 kills / 20 spikes |",
        // P6: the fixtures have no earlyoom beside the module, so no CPU ratio anywhere.
        "| missed — x86_64: quiet CPU vs earlyoom's not measured (no eo_ns); arm64: quiet 3.00 \
         wake-ups/s, 3.0× the 1/s target; quiet CPU vs earlyoom's not measured (no eo_ns) |",
        "| reader 1,236 KiB vs earlyoom 1,800 KiB VmRSS |",
        "1 reader: 500,000 events/s; 8 readers: 250,000 events/s; lost 0",
        // P9: the fresh run's 19 min include its 14 min of set-up; they are not added.
        "| — | — | fresh 19.0 min (of which set-up 14.0 min), warm — \
         | incomplete — host: warm time not measured |",
        "| 19.0 min | 14.0 min | — |",
        "Not measured: `",
        "arm64.txt` has no P4 lines.",
        "| **critical** (ours, judged) | 1/2 (50 %) | 60.0 | 60.0 | 1 run at or after the OOM |",
        "- line 7: P2 rate=800 run=1: the hog was not OOM-killed",
        "| arch | aarch64 |",
    ] {
        assert!(md.contains(want), "missing {want:?} in\n{md}");
    }

    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.0.join("benchmarks.json")).unwrap())
            .unwrap();
    assert!(json["generated_by"]
        .as_str()
        .unwrap()
        .starts_with("bench-report"));
    let x86 = &json["arches"]["x86_64"];
    assert_eq!(x86["meta"]["date"], "2026-11-29");
    assert_eq!(x86["P1"]["judged"], serde_json::json!(["normal", "rt"]));
    assert_eq!(x86["P1"]["goal_ratio"], 1.5);
    assert_eq!(
        x86["P1"]["normal"]["samples_ns"].as_array().unwrap().len(),
        10
    );
    assert_eq!(x86["P1"]["normal"]["p50_us"], 40.0);
    assert_eq!(x86["P1"]["normal"]["p99_us"], 1500.0);
    assert_eq!(x86["P1"]["rt"]["samples_ns"][9], 90000);
    assert_eq!(x86["P1"]["rt"]["p99_us"], 90.0);
    assert_eq!(x86["P1"]["rt"]["lost"], 1);
    assert_eq!(x86["P1"]["normal"]["floor"], Value::Null);
    assert_eq!(x86["P1"]["rt"]["ratio_p99"], Value::Null);
    assert_eq!(x86["P1"]["verdict"]["status"], "not measured");
    assert_eq!(
        x86["P1"]["verdict"]["detail"],
        "no floor samples beside the normal reader; no floor samples beside the rt reader"
    );
    assert_eq!(x86["P2"]["runs"].as_array().unwrap().len(), 8);
    assert_eq!(x86["P2"]["runs"][0]["critical"], 420.5);
    assert_eq!(x86["P2"]["runs"][1]["psi_50ms"], Value::Null);
    assert_eq!(x86["P2"]["runs"][0]["critical_kdelay"], 1.4);
    assert_eq!(x86["P2"]["runs"][1]["critical_kdelay"], Value::Null);
    assert_eq!(x86["P2"]["goal_ratio"], 1.0);
    assert_eq!(
        x86["P2"]["same_threshold"],
        "10 % available: our medium, earlyoom's SIGTERM"
    );
    let p2_50 = &x86["P2"]["summary"][0];
    assert_eq!(p2_50["ratio_medium_over_earlyoom"], 8.93);
    assert_eq!(
        p2_50["per_run_ratios"],
        serde_json::json!([{"run": 1, "ratio": 8.67}, {"run": 2, "ratio": 8.93}])
    );
    assert_eq!(p2_50["per_run_ratio_median"], 8.67);
    assert_eq!(p2_50["per_run_ratio_min"], 8.67);
    let p2_200 = &x86["P2"]["summary"][1];
    assert_eq!(p2_200["ratio_medium_over_earlyoom"], 16.0);
    assert_eq!(p2_200["earlyoom_misses"], 1);
    assert_eq!(p2_200["earlyoom_skipped_term"], 2);
    assert_eq!(
        x86["P2"]["summary"][3]["ratio_medium_over_earlyoom"],
        Value::Null
    );
    assert_eq!(
        x86["P2"]["summary"][3]["per_run_ratios"],
        serde_json::json!([])
    );
    assert_eq!(x86["P2"]["verdict"]["status"], "met");
    assert_eq!(x86["P3"]["judged"], "kernel_count");
    assert_eq!(x86["P3"]["hz"], 250);
    assert_eq!(x86["P3"]["jiffy_ms"], 4.0);
    assert_eq!(x86["P3"]["goal_jiffies"], 2);
    assert_eq!(
        x86["P3"]["summary"][3]["kernel_levels"]["critical"],
        serde_json::json!({"n": 2, "median_ms": 2.8, "max_ms": 3.4, "median_jiffies": 0.7, "max_jiffies": 0.85})
    );
    assert_eq!(x86["P3"]["summary"][3]["levels"]["critical"]["max_ms"], 9.6);
    assert_eq!(
        x86["P3"]["summary"][3]["levels"]["critical"]["max_jiffies"],
        2.4
    );
    assert_eq!(x86["P3"]["verdict"]["status"], "met");
    assert_eq!(x86["P3"]["verdict"]["detail"], "judged on the kernel count");
    assert_eq!(json["arches"]["arm64"]["P3"]["judged"], "hog_accounting");
    assert_eq!(json["arches"]["arm64"]["P3"]["verdict"]["status"], "missed");
    assert_eq!(
        json["targets"]["P3"],
        "≤ 2 jiffies of the guest's HZ at every rate (judged on the max)"
    );
    assert_eq!(json["verdicts"]["P3"]["status"], "missed");
    assert_eq!(x86["P4"]["total_rounds"], 200);
    assert_eq!(x86["P4"]["max_ns"], 12500);
    assert_eq!(x86["P4"]["mean_ns"], 3400.0);
    assert_eq!(x86["P8"]["bursts"][1]["readers"], 8);
    assert_eq!(x86["P8"]["bursts"][1]["events_per_s"], 250000.0);
    assert_eq!(x86["done_line"], 32);
    let arm = &json["arches"]["arm64"];
    assert_eq!(arm["P4"], Value::Null);
    assert_eq!(arm["P2"]["missing_rates"], serde_json::json!([800, "max"]));
    assert_eq!(arm["P2"]["verdict"]["status"], "missed");
    assert_eq!(arm["P2"]["summary"][1]["misses_critical"], 1);
    assert_eq!(arm["P2"]["summary"][1]["misses_medium"], 0);
    assert_eq!(arm["P1"]["normal"]["n"], 5);
    assert_eq!(arm["P1"]["rt"], Value::Null);
    assert_eq!(json["host"]["P9"]["fresh_test_s"], 1140.0);
    assert_eq!(json["host"]["P9"]["fresh_setup_s"], 840.0);
    assert!(json["host"]["P9"].get("fresh_total_s").is_none());
    assert_eq!(json["host"]["P9"]["warm_test_s"], Value::Null);
    assert_eq!(json["verdicts"]["P1"]["status"], "not measured");
    assert_eq!(json["verdicts"]["P4"]["status"], "not measured");
    assert_eq!(x86["P4"]["share"], Value::Null);
    assert_eq!(x86["P4"]["avert"], Value::Null);
    assert_eq!(
        x86["P4"]["verdict"]["detail"],
        "no P4 share lines: P4 is judged on the callback's share of killed OOMs; no P4 avert \
         lines: averted OOMs are judged on the callback's work beyond freeing pool blocks, per \
         block freed"
    );
    assert_eq!(json["verdicts"]["P5"]["detail"], "arm64 not measured");
    assert_eq!(x86["P10"], Value::Null);
    let p10 = &json["arches"]["arm64"]["P10"];
    assert_eq!(p10["goal"], 0.9);
    assert_eq!(p10["judged"], "default");
    assert_eq!(p10["default"]["n"], 3);
    assert_eq!(p10["default"]["spikes"][1]["spike"], 2);
    assert_eq!(p10["default"]["spikes"][1]["line"], 12);
    assert_eq!(p10["default"]["spikes"][1]["reach_kib"], 212700);
    assert_eq!(p10["default"]["spikes"][1]["gain_kib"], 15200);
    assert_eq!(p10["default"]["median"], 14000.0 / 16384.0);
    assert_eq!(p10["capped"]["spikes"][0]["released_pages"], 4096);
    assert_eq!(p10["verdict"]["detail"], "only 3 spikes, 20 needed");
    assert_eq!(json["verdicts"]["P10"]["status"], "not measured");
    assert_eq!(
        json["targets"]["P10"],
        "median ≥ 90 % of the pool over ≥ 20 spikes, with the kernel's default per-CPU lists"
    );

    // Nothing but the two reports is left behind.
    let mut names: Vec<String> = std::fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["BENCHMARKS.md", "benchmarks.json"]);
}

#[test]
fn p1_floor_lines_judge_each_reader_against_its_floor() {
    // The x86_64 fixture with the floor lines a guest prints beside each reader; arm64 has none.
    let input = TempDir::new("floor-in");
    let x86 = input.0.join("x86_64.txt");
    let mut text = std::fs::read_to_string(fixture("x86_64.txt")).unwrap();
    text.push_str(
        "bench: P1 floor reader=normal lat_ns=10000,20000,25000,30000,35000\n\
         bench: note wakefloor reader=normal: 10 samples\n\
         bench: P1 floor reader=normal lat_ns=40000,45000,50000,55000,1000000\n\
         bench: P1 floor reader=rt lat_ns=4000,5000,6000,7000,8000\n\
         bench: P1 floor reader=rt lat_ns=-\n\
         bench: P1 floor reader=rt lat_ns=9000,10000,11000,12000,30000\n",
    );
    std::fs::write(&x86, text).unwrap();
    let dir = TempDir::new("floor-out");
    let out = bench_report(&args_paths(
        &[
            ("x86_64", x86.display().to_string()),
            ("arm64", fixture("arm64.txt")),
        ],
        &dir.0,
    ));
    assert!(out.status.success(), "{out:?}");

    let md = std::fs::read_to_string(dir.0.join("BENCHMARKS.md")).unwrap();
    for want in [
        // The default reader is within 1.5× of its floor; the rt one misses at p99.
        "| default p50 40.0 µs = 1.1× floor 35.0 µs, p99 1.5 ms = 1.5× floor 1.0 ms (n = 10); \
         --rt-priority 1: p50 12.0 µs = 1.5× floor 8.0 µs, p99 90.0 µs = 3.0× floor 30.0 µs \
         (n = 10), 1 lost \
         | default p50 30.0 µs, p99 900.0 µs (n = 5), no floor \
         | missed — x86_64: rt: p99 90.0 µs, 3.0× its floor of 30.0 µs (goal 1.5×); \
         arm64 not measured |",
        "| normal (default) | 10 | 40.0 | 1500.0 | 10 | 35.0 | 1000.0 | 1.14× | 1.50× | 1500.0 \
         | 10 | 0 |\n\
         | rt (`--rt-priority 1`) | 10 | 12.0 | 90.0 | 10 | 8.0 | 30.0 | 1.50× | 3.00× | 90.0 \
         | 10 | 1 |\n\nNo time-matched floor: the lines carry no record or floor times (an input \
         from before they were kept); judged against the floor over the whole run.\n\n### arm64",
        "Target: p50 and p99 ≤ 1.5× the wake-up floor measured beside the reader. \
         Verdict: missed — x86_64: rt: p99 90.0 µs",
        "- line 34: wakefloor reader=normal: 10 samples",
    ] {
        assert!(md.contains(want), "missing {want:?} in\n{md}");
    }

    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.0.join("benchmarks.json")).unwrap())
            .unwrap();
    let p1 = &json["arches"]["x86_64"]["P1"];
    assert_eq!(p1["normal"]["floor"]["n"], 10);
    assert_eq!(p1["normal"]["floor"]["samples_ns"][9], 1000000);
    assert_eq!(p1["normal"]["floor"]["p50_us"], 35.0);
    assert_eq!(p1["normal"]["ratio_p50"], 1.14);
    assert_eq!(p1["normal"]["ratio_p99"], 1.5);
    assert_eq!(p1["rt"]["floor"]["p99_ns"], 30000);
    assert_eq!(p1["rt"]["ratio_p50"], 1.5);
    assert_eq!(p1["rt"]["ratio_p99"], 3.0);
    assert_eq!(p1["verdict"]["status"], "missed");
    assert_eq!(
        json["arches"]["arm64"]["P1"]["normal"]["floor"],
        Value::Null
    );
    assert_eq!(
        json["arches"]["arm64"]["P1"]["verdict"]["detail"],
        "no floor samples beside the normal reader"
    );
    assert!(json["definitions"]["P1.ratio"]
        .as_str()
        .unwrap()
        .contains("ratio_p99"));
}

#[test]
fn p3_needs_the_guests_hz_and_p10_is_judged_on_its_default_spikes() {
    // The x86_64 fixture as a guest from before the meta line had hz= would print it, with 20
    // spikes of each pcp mode; arm64 as it is (hz=250, three default spikes).
    let input = TempDir::new("hz-p10-in");
    let x86 = input.0.join("x86_64.txt");
    let text = std::fs::read_to_string(fixture("x86_64.txt")).unwrap();
    assert!(text.contains(" hz=250 "));
    let mut text = text.replace(" hz=250 ", " ");
    for i in 1..=20 {
        // default: gains of 12,100 to 14,000 KiB of a 16 MiB pool, the median (the 10th)
        // 13,000 KiB = 79.3 %; capped: 15,010 to 15,200 KiB.
        text.push_str(&format!(
            "bench: P10 pcp=default spike={i} pool_kib=16384 held_kib=198000 reach_kib={} \
             released_pages=4096\n\
             bench: P10 pcp=capped spike={i} pool_kib=16384 held_kib=198000 reach_kib={} \
             released_pages=4096\n",
            198_000 + 12_000 + 100 * i,
            198_000 + 15_000 + 10 * i,
        ));
    }
    std::fs::write(&x86, text).unwrap();
    let dir = TempDir::new("hz-p10-out");
    let out = bench_report(&args_paths(
        &[
            ("x86_64", x86.display().to_string()),
            ("arm64", fixture("arm64.txt")),
        ],
        &dir.0,
    ));
    assert!(out.status.success(), "{out:?}");

    let md = std::fs::read_to_string(dir.0.join("BENCHMARKS.md")).unwrap();
    for want in [
        // P3: the delays are shown in ms, not judged.
        "| kernel max 3.4 ms, medians ≤ 2.8 ms (judged); hog max 9.6 ms, medians ≤ 9.0 ms; \
         no HZ | HZ 250: hog max 3.1 jiffies (12.5 ms), medians ≤ 1.5 jiffies (judged); kernel — \
         | missed — x86_64 not measured; arm64: judged on the hog accounting: max 12.5 ms = \
         3.1 jiffies at HZ 250 (critical at 200 MiB/s), 1.6× the 2-jiffy goal; rates 800 MiB/s, \
         max not measured |",
        "### x86_64\n\nNot measured: the input has no hz= in its meta line: P3 is judged in \
         jiffies of the guest's HZ. The delays are shown in ms only.\n\n\
         | Rate (MiB/s) | Level | Hog accounting: n | Hog median (ms) | Hog max (ms) \
         | Kernel count: n | Kernel median (ms) | Kernel max (ms) |",
        "|  | critical | 2 | 9.0 | 9.6 | 2 | 2.8 | 3.4 |\n\nJudged on the kernel count.\n",
        // P10: x86_64's default spikes miss; its capped ones are shown, not judged.
        "| default median 79.3 % (min 73.9 %) over 20 spikes; capped median 92.2 % \
         (min 91.6 %) over 20 spikes \
         | default median 85.4 % (min 83 %) over 3 spikes; capped median 96.4 % (min 96.4 %) \
         over 1 spike \
         | missed — x86_64: median 79.3 % of the pool (min 73.9 %) over 20 spikes: 10.7 points \
         short of 90 %; arm64 not measured |",
        "| **default** (judged) | 20 | 79.3 % | 73.9 % | 85.4 % | 12.7 | 16.0 |\n\
         | capped (`vm.percpu_pagelist_high_fraction=1000`) | 20 | 92.2 % | 91.6 % | 92.8 % \
         | 14.7 | 16.0 |\n\n### arm64",
    ] {
        assert!(md.contains(want), "missing {want:?} in\n{md}");
    }

    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.0.join("benchmarks.json")).unwrap())
            .unwrap();
    let p3 = &json["arches"]["x86_64"]["P3"];
    assert_eq!(p3["hz"], Value::Null);
    assert_eq!(p3["jiffy_ms"], Value::Null);
    assert_eq!(
        p3["summary"][3]["kernel_levels"]["critical"],
        serde_json::json!({"n": 2, "median_ms": 2.8, "max_ms": 3.4, "median_jiffies": null, "max_jiffies": null})
    );
    assert_eq!(p3["verdict"]["status"], "not measured");
    assert_eq!(
        p3["verdict"]["detail"],
        "the input has no hz= in its meta line: P3 is judged in jiffies of the guest's HZ"
    );
    let p10 = &json["arches"]["x86_64"]["P10"];
    assert_eq!(p10["default"]["n"], 20);
    assert_eq!(p10["default"]["spikes"].as_array().unwrap().len(), 20);
    assert_eq!(p10["default"]["spikes"][19]["reach_kib"], 212000);
    assert_eq!(p10["default"]["median"], 13000.0 / 16384.0);
    assert_eq!(p10["default"]["min"], 12100.0 / 16384.0);
    assert_eq!(p10["default"]["median_gain_kib"], 13000);
    assert_eq!(p10["capped"]["n"], 20);
    assert_eq!(p10["verdict"]["status"], "missed");
    assert_eq!(json["verdicts"]["P10"]["status"], "missed");
    assert!(json["definitions"]["P10.efficiency"]
        .as_str()
        .unwrap()
        .contains("reach_kib − held_kib"));
}

#[test]
fn p4_is_judged_on_the_callbacks_share_of_killed_and_averted_ooms() {
    // The x86_64 fixture with the share lines of 12 killed OOMs and one without a selection
    // time, then the avert lines of 12 averted OOMs (0.5 µs beyond freeing 4 blocks in 100 µs:
    // 2 % of one block's 25 µs); arm64 as it is (no P4 lines).
    let input = TempDir::new("p4-in");
    let x86 = input.0.join("x86_64.txt");
    let fixture_text = std::fs::read_to_string(fixture("x86_64.txt")).unwrap();
    let with_shares = |callback_step: u64| {
        let mut text = fixture_text.clone();
        for i in 1..=12u64 {
            // Shares of callback_step / 2 ms per OOM: 0.5 % to 6 % for a step of 10 µs.
            text.push_str(&format!(
                "bench: P4 share oom_seq={} callback_ns={} select_ns=2000000\n",
                400 + i,
                callback_step * i
            ));
        }
        text.push_str("bench: P4 share oom_seq=500 callback_ns=7000 select_ns=0\n");
        for i in 1..=12u64 {
            text.push_str(&format!(
                "bench: P4 avert storm=1 oom_seq={} callback_ns=100500 free_ns=100000 blocks=4\n",
                600 + i
            ));
        }
        text
    };
    std::fs::write(&x86, with_shares(10_000)).unwrap();
    let dir = TempDir::new("p4-out");
    let out = bench_report(&args_paths(
        &[
            ("x86_64", x86.display().to_string()),
            ("arm64", fixture("arm64.txt")),
        ],
        &dir.0,
    ));
    assert!(out.status.success(), "{out:?}");

    let md = std::fs::read_to_string(dir.0.join("BENCHMARKS.md")).unwrap();
    for want in [
        "| P4 · OOM callback cost | the callback ≤ 5 % of the kernel's own OOM handling \
         (notifier to victim selection) in every OOM that ends in a kill, and its work beyond \
         its `__free_pages` calls ≤ 5 % of the cost of freeing one pool block in every \
         averted OOM \
         | callback median 3.0 %, max 6.0 % of the OOM handling (n = 12); averted: beyond \
         freeing median 2.0 %, max 2.0 % of one block (n = 12); storms: max 12.5 µs, \
         mean 3.4 µs over 200 rounds | not measured \
         | missed — x86_64: max 6.0 % of the kernel's OOM handling (callback 120.0 µs of \
         2.0 ms, OOM seq 412), median 3.0 % over 12 OOMs; 2 of 12 over 5 %; arm64 not measured |",
        "### x86_64\n\n| OOMs with a share | Median share | Max share | Median callback (µs) \
         | Median selection (µs) | Over 5 % |\n| --- | --- | --- | --- | --- | --- |\n\
         | 12 | 3.0 % | 6.0 % | 60.0 | 2000.0 | 2 |\n\n\
         The max is OOM seq 412 (line 44): callback 120.0 µs of 2.0 ms.\n\n\
         1 OOM with select_ns=0: no share, not counted.\n\n\
         Averted OOMs: the callback's work beyond its `__free_pages` calls (callback − free) \
         as a share of the cost of freeing one pool block (free ÷ blocks):\n\n\
         | Averted OOMs | Median share | Max share | Median beyond freeing (µs) \
         | Median per block (µs) | Median blocks | Over 5 % |\n\
         | --- | --- | --- | --- | --- | --- | --- |\n\
         | 12 | 2.0 % | 2.0 % | 0.5 | 25.0 | 4 | 0 |\n\n\
         The max is storm 1 OOM seq 601 (line 46): callback 100.5 µs, of which 100.0 µs freeing 4 \
         blocks.\n\n\
         Storms of averted OOMs, as context (not judged):\n\n",
        "| **all** | 200 | 12.5 | 3.4 |  |  |\n\n### arm64\n\n\
         Not measured: `",
        "its unit is free_ns / blocks, the cost of freeing one pool block in that OOM",
    ] {
        assert!(md.contains(want), "missing {want:?} in\n{md}");
    }

    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.0.join("benchmarks.json")).unwrap())
            .unwrap();
    let p4 = &json["arches"]["x86_64"]["P4"];
    assert_eq!(p4["judged"], serde_json::json!(["share", "avert"]));
    assert_eq!(p4["avert"]["n"], 12);
    assert_eq!(p4["avert"]["median"], 0.02);
    assert_eq!(p4["avert"]["median_overhead_ns"], 500);
    assert_eq!(p4["avert"]["median_unit_ns"], 25000.0);
    assert_eq!(
        p4["avert"]["lines"][0],
        serde_json::json!({"line": 46, "storm": 1, "oom_seq": 601, "callback_ns": 100500,
                           "free_ns": 100000, "blocks": 4, "overhead_ns": 500,
                           "unit_ns": 25000.0, "ratio": 0.02})
    );
    assert_eq!(p4["goal"], 0.05);
    assert_eq!(p4["share"]["lines"].as_array().unwrap().len(), 13);
    assert_eq!(
        p4["share"]["lines"][11],
        serde_json::json!({"line": 44, "oom_seq": 412, "callback_ns": 120000,
                           "select_ns": 2000000, "share": 0.06})
    );
    assert_eq!(p4["share"]["lines"][12]["share"], Value::Null);
    assert_eq!(p4["share"]["n"], 12);
    assert_eq!(p4["share"]["median"], 0.03);
    assert_eq!(p4["share"]["max"], 0.06);
    assert_eq!(p4["share"]["median_callback_ns"], 60000);
    assert_eq!(p4["share"]["median_select_ns"], 2000000);
    assert_eq!(p4["share"]["over_goal"], 2);
    // The storms' keys are kept.
    assert_eq!(p4["total_rounds"], 200);
    assert_eq!(p4["max_ns"], 12500);
    assert_eq!(p4["mean_ns"], 3400.0);
    assert_eq!(p4["verdict"]["status"], "missed");
    assert_eq!(json["verdicts"]["P4"]["status"], "missed");
    assert!(json["definitions"]["P4.share"]
        .as_str()
        .unwrap()
        .contains("callback_ns / select_ns"));

    // Half the callback time: the max is 3 %, met; alone, the x86_64 input decides.
    std::fs::write(&x86, with_shares(5_000)).unwrap();
    let out = bench_report(&args_paths(
        &[("x86_64", x86.display().to_string())],
        &dir.0,
    ));
    assert!(out.status.success(), "{out:?}");
    let md = std::fs::read_to_string(dir.0.join("BENCHMARKS.md")).unwrap();
    assert!(md.contains(
        "| callback median 1.5 %, max 3.0 % of the OOM handling (n = 12); averted: beyond \
         freeing median 2.0 %, max 2.0 % of one block (n = 12); storms: max 12.5 µs, \
         mean 3.4 µs over 200 rounds | met |"
    ));

    // The same OOM twice is an error naming both lines.
    let mut text = with_shares(10_000);
    text.push_str("bench: P4 share oom_seq=405 callback_ns=1 select_ns=2\n");
    std::fs::write(&x86, text).unwrap();
    let out = bench_report(&args_paths(
        &[("x86_64", x86.display().to_string())],
        &dir.0,
    ));
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        format!(
            "bench-report: error: {}:58: P4 share: oom_seq=405 already given on line 37\n",
            x86.display()
        )
    );
}

#[test]
fn a_malformed_line_fails_with_its_file_and_line() {
    let dir = TempDir::new("bad");
    let out = bench_report(&args(
        &[("x86_64", "x86_64.txt"), ("arm64", "malformed.txt")],
        &dir.0,
    ));
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8(out.stderr).unwrap();
    let want = format!(
        "bench-report: error: {}:4: P4: rounds=abc: expected a whole number or '-'\n",
        fixture("malformed.txt")
    );
    assert_eq!(err, want);
    assert_eq!(
        std::fs::read_dir(&dir.0).unwrap().count(),
        0,
        "wrote a report"
    );
}

#[test]
fn a_missing_input_or_a_bad_label_fails() {
    let dir = TempDir::new("missing");
    let out = bench_report(&args(&[("x86_64", "no-such-file.txt")], &dir.0));
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("reading ") && err.contains("no-such-file.txt"),
        "{err}"
    );

    let out = bench_report(&args(
        &[("x86_64", "x86_64.txt"), ("x86_64", "arm64.txt")],
        &dir.0,
    ));
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("label 'x86_64' given twice"));

    // Usage errors are clap's: exit status 2.
    let out = bench_report(&["--input".to_string(), "x86_64=a.txt".to_string()]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}
