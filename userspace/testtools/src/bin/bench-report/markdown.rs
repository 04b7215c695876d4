//! The Markdown report: title, how it was produced, the summary table, one section per
//! measurement with its method and per-input tables (each measurement renders its own), and the
//! inputs' notes and machines.

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
             bench: P1 floor reader=normal lat_ns=10000,1000000\n\
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
            "| P1 · Event latency, kernel → reader \
             | p50 and p99 ≤ 1.5× the wake-up floor measured beside the reader \
             | default p50 12.0 µs = 1.2× floor 10.0 µs, p99 2.0 ms = 2.0× floor 1.0 ms (n = 2) \
             | default p50 30.0 µs, p99 30.0 µs (n = 1), no floor | — \
             | missed — x86_64: normal: p99 2.0 ms, 2.0× its floor of 1.0 ms (goal 1.5×); \
             arm64 not measured |"
        ));
        assert!(md.contains(
            "| P4 · OOM callback cost | the callback ≤ 5 % of the kernel's own OOM handling \
             (notifier to victim selection) in every OOM that ends in a kill, and its work \
             beyond its `__free_pages` calls ≤ 5 % of the cost of freeing one pool block in \
             every averted OOM \
             | no share lines; no avert lines; storms: max 8.0 µs, mean 3.0 µs over 100 rounds \
             | not measured | — | not measured |"
        ));
        // P4's storms are context: without share and avert lines, not measured, the storms
        // still shown.
        assert!(md.contains(
            "### x86_64\n\nNot measured: no P4 share lines (the callback's share of the OOMs \
             that ended in a kill).\n\nNot measured: no P4 avert lines (the averted OOMs' \
             callback beyond its `__free_pages` calls, against the cost of freeing one pool \
             block).\n\nStorms of averted OOMs, as context (not judged):\n\n"
        ));
        assert!(md.contains("| P9 · Clean-clone CI time | warm ≤ 25 min, fresh ≤ 75 min (the budget of docs/TESTING.md) | — | — | fresh 15.0 min (of which set-up 10.0 min), warm 1.0 min | met |"));
        assert!(md.contains(
            "| normal (default) | 2 | 12.0 | 2000.0 | 2 | 10.0 | 1000.0 | 1.20× | 2.00× | 2000.0 \
             | — | — |\n\nNot measured: no P1 lines of the rt reader.\n"
        ));
        assert!(md.contains(
            "| Fresh `make test` | of which set-up | Warm `make test` |\n\
             | --- | --- | --- |\n| 15.0 min | 10.0 min | 1.0 min |\n\n## P10"
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
        assert!(md.contains(
            "| 1 | 30.0 | 30.0 | 0 | — | — | — | — | 30.0 | — | — |\n\n\
             No floor lines for the normal reader.\n\n\
             Not measured: no P1 lines of the rt reader.\n"
        ));
        assert!(md.contains("### x86_64\n\nNot measured: `build/x86_64.txt` has no P2 lines.\n"));
        // The host input gets no guest sections, the guests no P9 section.
        let p9 = md.split("## P9").nth(1).unwrap();
        assert!(!p9.split("## P10").next().unwrap().contains("### x86_64"));
        // P10 is a guest measure, after P9: not measured in the guests, not in the host input.
        let p10 = md.split("## P10 · Avert efficiency\n\n").nth(1).unwrap();
        let p10 = p10.split("## Notes").next().unwrap();
        assert!(p10.starts_with(
            "Target: median ≥ 90 % of the pool over ≥ 20 spikes, with the kernel's default \
             per-CPU lists. Verdict: not measured.\n\n"
        ));
        assert!(p10.contains("### arm64\n\nNot measured: `build/arm64.txt` has no P10 lines.\n"));
        assert!(!p10.contains("### host"));
        assert!(md.contains(
            "| P10 · Avert efficiency | median ≥ 90 % of the pool over ≥ 20 spikes, with the \
             kernel's default per-CPU lists | not measured | not measured | — | not measured |"
        ));
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
        assert!(md.contains("### x86_64\n\n- line 5: earlyoom is not running\n\n"));
        assert!(md.contains("| 1 | 100 | 8.0 | 3.0 | 99 | 1 |"));
        assert!(!md.contains("### x86_64\n\nThe run did not print"));
        assert!(!md.contains("### host\n\nThe run did not print"));
        assert!(md.contains("### arm64\n\nThe run did not print `bench: done`"));
        assert!(md.contains("### arm64\n\nNo notes.\n"));
        assert!(md.ends_with("No meta line.\n"));
        assert!(md.contains("| **all** | 100 | 8.0 | 3.0 |  |  |"));
    }
}
