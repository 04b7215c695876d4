//! The Markdown report: title, how it was produced, the summary table, one section per
//! measurement with its method and per-input tables (each measurement renders its own), and the
//! inputs' notes and machines. Also the table and cell helpers the measurements use.

use crate::measure::{Status, Verdict};
use crate::report::{overall, Analysis, Measure, MEASURES};
use crate::table::table;
use crate::units::ABSENT;

/// The Markdown title.
const TITLE: &str = "rust_oom_guard benchmarks";

/// The paragraph under the title. The inputs are listed after it.
const INTRO: &str = "\
This file is generated: edit the tool, `userspace/testtools/src/bin/bench-report/` (one \
module per measure, with its texts), not this file. `make bench` boots the module in QEMU TCG \
guests (one per architecture), runs the benchmark scenarios there and collects the `bench:` \
lines they print; `bench-report` turns those lines into this report and into \
`docs/benchmarks.json`, which holds every raw number. TCG emulates the CPU, so absolute times \
are slower than on hardware; what carries over are the medians and the ratios, each taken \
from one and the same guest run. No figure comes from timing the tests. Percentiles and \
medians are nearest-rank (the median of an even count is the lower middle sample), so every \
figure is a measured sample. A missing figure is reported as not measured, never estimated; \
`—` in a table means the value was absent from the line (the event did not happen or was not \
recorded).";

/// Renders the whole report.
pub fn render(inputs: &[Analysis]) -> String {
    let mut out = format!("# {TITLE}\n\n{INTRO}\n\n");
    let list: Vec<String> = inputs
        .iter()
        .map(|a| format!("`{}` from `{}`", a.label, a.path))
        .collect();
    out.push_str(&format!("Inputs: {}.\n\n", list.join(", ")));

    out.push_str("## Summary\n\n");
    let mut header = vec!["Measure", "Target"];
    header.extend(inputs.iter().map(|a| a.label.as_str()));
    header.push("Verdict");
    let rows: Vec<Vec<String>> = MEASURES
        .iter()
        .map(|m| {
            let mut row = vec![
                format!("{} · {}", m.about.id, m.about.measure),
                m.about.target.to_string(),
            ];
            row.extend(inputs.iter().map(|a| result_cell(a, m)));
            row.push(verdict_text(&overall(inputs, m)));
            row
        })
        .collect();
    table(&mut out, &header, &rows);

    for m in &MEASURES {
        out.push_str(&format!("## {} · {}\n\n", m.about.id, m.about.measure));
        out.push_str(&format!(
            "Target: {}. Verdict: {}.\n\n{}\n\n",
            m.about.target,
            verdict_text(&overall(inputs, m)),
            m.about.method
        ));
        for a in inputs.iter().filter(|a| a.in_scope(m)) {
            out.push_str(&format!("### {}\n\n", a.label));
            match a.summary(m) {
                Some(s) => s.markdown(&mut out),
                None => out.push_str(&format!(
                    "Not measured: `{}` has no {} lines.\n\n",
                    a.path,
                    m.source()
                )),
            }
        }
    }

    out.push_str("## Notes\n\nThe `note` lines of each input, as printed.\n\n");
    for a in inputs {
        out.push_str(&format!("### {}\n\n", a.label));
        if a.data.notes.is_empty() {
            out.push_str("No notes.\n\n");
        }
        for (line, text) in &a.data.notes {
            out.push_str(&format!("- line {line}: {text}\n"));
        }
        if !a.data.notes.is_empty() {
            out.push('\n');
        }
    }

    out.push_str("## Machines\n\nThe `meta` line of each input, as printed.\n\n");
    for a in inputs {
        out.push_str(&format!("### {}\n\n", a.label));
        if !a.is_host() && a.data.done_line.is_none() {
            out.push_str(
                "The run did not print `bench: done`: it was cut short, or its script predates \
                 the sentinel.\n\n",
            );
        }
        if a.data.meta.is_empty() {
            out.push_str("No meta line.\n\n");
        } else {
            let rows: Vec<Vec<String>> = a
                .data
                .meta
                .iter()
                .map(|(k, v)| vec![k.clone(), v.clone()])
                .collect();
            table(&mut out, &["Key", "Value"], &rows);
        }
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// The summary table's cell for one input: its headline, `not measured`, or `—` when the id
/// does not apply to the input.
fn result_cell(a: &Analysis, m: &Measure) -> String {
    match a.summary(m) {
        Some(s) => s.headline(),
        None if a.in_scope(m) => Status::NotMeasured.as_str().to_string(),
        None => ABSENT.to_string(),
    }
}

/// The status with its explanation, if any: `missed — arm64: p99 1.8 ms, 1.8× the 1 ms target`,
/// `met`, `met — judged on the kernel count`.
pub fn verdict_text(v: &Verdict) -> String {
    match (&v.status, &v.detail) {
        (_, None) => v.status.as_str().to_string(),
        (s, Some(d)) => format!("{} — {d}", s.as_str()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::parse;
    use crate::report::HOST;

    fn input(label: &str, text: &str) -> Analysis {
        Analysis::new(label, &format!("build/{label}.txt"), parse(text).unwrap())
    }

    #[test]
    fn verdict_texts() {
        let v = Verdict {
            status: Status::Missed,
            detail: Some("p99 1.8 ms".to_string()),
        };
        assert_eq!(verdict_text(&v), "missed — p99 1.8 ms");
        let v = Verdict {
            status: Status::Met,
            detail: Some("judged on the kernel count".to_string()),
        };
        assert_eq!(verdict_text(&v), "met — judged on the kernel count");
        let v = Verdict {
            status: Status::Met,
            detail: None,
        };
        assert_eq!(verdict_text(&v), "met");
    }

    #[test]
    fn layout() {
        let x86 = input(
            "x86_64",
            "bench: meta arch=x86_64 accel=tcg\nbench: P1 lat_ns=12000,2000000\n\
             bench: P4 storm=1 rounds=100 max_ns=8000 avg_ns=3000 averts=99 kills=1\n\
             bench: note earlyoom is not running\nbench: done\n",
        );
        let arm = input("arm64", "bench: P1 lat_ns=30000\n");
        let host = input(
            HOST,
            "bench: P9 fresh_setup_s=600 fresh_test_s=900 warm_test_s=60\n",
        );
        let md = render(&[x86, arm, host]);
        assert!(md.starts_with("# rust_oom_guard benchmarks\n\nThis file is generated"));
        assert!(md.contains("Inputs: `x86_64` from `build/x86_64.txt`, `arm64` from `build/arm64.txt`, `host` from `build/host.txt`."));
        assert!(md.contains("| Measure | Target | x86_64 | arm64 | host | Verdict |"));
        assert!(md.contains(
            "| P1 · Event latency, kernel → reader | p50 ≤ 100 µs, p99 ≤ 1 ms \
             | default p50 12.0 µs, p99 2.0 ms (n = 2) | default p50 30.0 µs, p99 30.0 µs (n = 1) | — \
             | missed — x86_64: p99 2.0 ms, 2.0× the 1 ms target |"
        ));
        assert!(md.contains(
            "| P4 · OOM callback cost | max ≤ 20 µs over ≥ 100 rounds \
             | max 8.0 µs, mean 3.0 µs over 100 rounds | not measured | — \
             | incomplete — arm64 not measured |"
        ));
        assert!(md.contains("| P9 · Clean-clone CI time | fresh ≤ 25 min, warm ≤ 3 min | — | — | fresh 15.0 min (of which set-up 10.0 min), warm 1.0 min | met |"));
        assert!(md.contains(
            "| normal (default, judged) | 2 | 12.0 | 2000.0 | 2000.0 | 2000.0 | — | — |\n\n\
             Not measured: no P1 lines of the rt reader.\n"
        ));
        assert!(md.contains(
            "| Fresh `make test` | of which set-up | Warm `make test` |\n\
             | --- | --- | --- |\n| 15.0 min | 10.0 min | 1.0 min |\n\n## Notes"
        ));
        // A set-up longer than the run that includes it is pointed out.
        let odd = input(
            HOST,
            "bench: P9 fresh_setup_s=600 fresh_test_s=300 warm_test_s=-\n",
        );
        assert!(
            render(&[odd]).contains("| 5.0 min | 10.0 min | — |\n\nThe line gives a set-up longer")
        );
        assert!(md.contains("### arm64\n\nNot measured: `build/arm64.txt` has no P4 lines.\n"));
        assert!(md.contains("### x86_64\n\nNot measured: `build/x86_64.txt` has no P2 lines.\n"));
        // The host input gets no guest sections, the guests no P9 section.
        let p9 = md.split("## P9").nth(1).unwrap();
        assert!(!p9.split("## Notes").next().unwrap().contains("### x86_64"));
        assert!(!md
            .split("## P1")
            .nth(1)
            .unwrap()
            .split("## P2")
            .next()
            .unwrap()
            .contains("### host"));
        assert!(md.contains("## Machines"));
        assert!(md.contains("| accel | tcg |"));
        assert!(md.contains("### x86_64\n\n- line 4: earlyoom is not running\n\n"));
        assert!(md.contains("| 1 | 100 | 8.0 | 3.0 | 99 | 1 |"));
        assert!(!md.contains("### x86_64\n\nThe run did not print"));
        assert!(!md.contains("### host\n\nThe run did not print"));
        assert!(md.contains("### arm64\n\nThe run did not print `bench: done`"));
        assert!(md.contains("### arm64\n\nNo notes.\n"));
        assert!(md.ends_with("No meta line.\n"));
        assert!(md.contains("| **all** | 100 | 8.0 | 3.0 |  |  |"));
    }

    #[test]
    fn p1_readers_side_by_side() {
        let a = input(
            "x86_64",
            "bench: P1 reader=normal lat_ns=6500000,114000000\n\
             bench: P1 reader=rt lat_ns=40000,90000\n\
             bench: P1 done reader=normal events=2 lost=0\n\
             bench: P1 done reader=rt events=2 lost=0\n",
        );
        let md = render(&[a]);
        assert!(md.contains(
            "| Reader | Samples | p50 (µs) | p90 (µs) | p99 (µs) | Max (µs) | Events | Lost |\n\
             | --- | --- | --- | --- | --- | --- | --- | --- |\n\
             | normal (default, judged) | 2 | 6500.0 | 114000.0 | 114000.0 | 114000.0 | 2 | 0 |\n\
             | rt (`--rt-priority 1`) | 2 | 40.0 | 90.0 | 90.0 | 90.0 | 2 | 0 |\n\n"
        ));
        assert!(md.contains(
            "| default p50 6.5 ms, p99 114.0 ms (n = 2); \
             --rt-priority 1: p50 40.0 µs, p99 90.0 µs (n = 2) \
             | missed — x86_64: p50 6.5 ms, 65.0× the 100 µs target; \
             p99 114.0 ms, 114.0× the 1 ms target |"
        ));
        assert!(!md.contains("Not measured: no P1 lines"));
    }

    #[test]
    fn p2_and_p3_tables() {
        let line = |rate: &str, run: u32| {
            format!(
                "bench: P2 rate={rate} run={run} reached_mibs=48.5 low=900 medium=500 critical=120 \
                 reclaim=-3 earlyoom=80 earlyoom_sig=TERM psi_1ms=- psi_50ms=40 \
                 low_delay=1.5 medium_delay=- critical_delay=2\n"
            )
        };
        let k = line("50", 2).replace(
            '\n',
            " low_kdelay=0.6 medium_kdelay=- critical_kdelay=1.1\n",
        );
        let a = input("x86_64", &(line("50", 1) + &k));
        let md = render(&[a]);
        assert!(md.contains("| 50 | 2 | 48.5 | low (ours) | 2/2 (100 %) | 900.0 | 900.0 |  |"));
        assert!(md
            .contains("|  |  |  | **critical** (ours, judged) | 2/2 (100 %) | 120.0 | 120.0 |  |"));
        assert!(md.contains(
            "|  |  |  | reclaim (ours) | 0/2 (0 %) | — | — | 2 runs at or after the OOM |"
        ));
        assert!(md.contains(
            "|  |  |  | earlyoom | 2/2 (100 %) | 80.0 | 80.0 | first action SIGTERM in 2 runs, SIGKILL in 0 runs |"
        ));
        assert!(md.contains("|  |  |  | PSI 1 ms | 0/2 (0 %) | — | — | 2 runs never |"));
        assert!(md.contains("Not measured: 200 MiB/s, 800 MiB/s, max.\n"));
        assert!(md.contains(
            "| Rate (MiB/s) | Level | Hog accounting: n | Hog median (ms) | Hog max (ms) \
             | Kernel count: n | Kernel median (ms) | Kernel max (ms) |\n"
        ));
        assert!(md.contains(
            "| 50 | low | 2 | 1.5 | 1.5 | 1 | 0.6 | 0.6 |\n\
             |  | medium | 0 | — | — | 0 | — | — |\n\
             |  | critical | 2 | 2.0 | 2.0 | 1 | 1.1 | 1.1 |\n\nJudged on the kernel count.\n"
        ));
        assert!(md.contains(
            "| kernel max 1.1 ms, medians ≤ 1.1 ms (judged); hog max 2.0 ms, medians ≤ 2.0 ms |"
        ));
        assert!(md.contains(
            "Verdict: incomplete — x86_64: rates 200 MiB/s, 800 MiB/s, max not measured."
        ));
    }

    #[test]
    fn other_tables() {
        let a = input(
            "x86_64",
            "bench: P5 mode=avert spikes=10 kills=0 averts=10\n\
             bench: P5 mode=avert spikes=5 kills=0 averts=5\n\
             bench: P6 phase=quiet secs=10 samples=5 peek_runs=0 peek_wakes=0 monitor_ns=400000 peek_ns=0\n\
             bench: P6 phase=quiet secs=10 samples=7 peek_runs=0 peek_wakes=0 monitor_ns=600000 peek_ns=0\n\
             bench: P7 reader_rss_kib=1200 reader_anon_kib=300 earlyoom_rss_kib=1800 earlyoom_anon_kib=200 reader_bytes=900000 earlyoom_bytes=-\n\
             bench: P8 readers=1 events=4000 span_ms=10 lost=0\n",
        );
        let md = render(&[a]);
        assert!(md.contains("| avert | 10 | — | 0 | 10 |"));
        assert!(md.contains("| **avert total** | 15 |  | 0 | 15 |"));
        assert!(md.contains("| quiet | 10.0 | 0.004 % | 0.50 | 0.00 | 0.00 |"));
        assert!(md.contains("| **quiet median** (of 2) |  | 0.004 % | 0.50 | 0.00 | 0.00 |"));
        assert!(md.contains("| reader | 1,200 | 300 | 900,000 |\n| earlyoom | 1,800 | 200 | — |"));
        assert!(md.contains("Reader VmRSS / earlyoom VmRSS: 0.7×."));
        assert!(md.contains("| 1 | 4,000 | 10.000 | 400,000 | 0 |"));
    }
}
