//! The JSON report: every raw number of every input, the computed summaries and the verdicts.
//!
//! Shape: `{"generated_by", "definitions", "inputs": [{label, path}], "targets": {id: text},
//! "verdicts": {id: {status, detail}}, "arches": {label: INPUT}, "host": INPUT | null}` where
//! INPUT is `{"input": path, "meta": {key: value}, "P1": ... "P9": ...}` and an id is `null`
//! when the input has no line for it. Absent values (`-` in the input) are `null`.

use crate::analyze::{
    overall, Analysis, DelayStats, P1Reader, P1Summary, P2Summary, P3Summary, P4Summary, P5Summary,
    P6Summary, P7Summary, P8Summary, P9Summary, Summary, Verdict,
};
use crate::parse::{Id, Level, Rate, Reader, Signal};
use crate::text::{id_text, GENERATED_BY};
use serde_json::{json, Map, Value};

/// How the summaries are computed, recorded beside them.
const DEFINITIONS: &[(&str, &str)] = &[
    (
        "percentile",
        "nearest-rank: the p-th percentile of n sorted samples is the ceil(p*n/100)-th smallest; \
         the median is the 50th, for an even count the lower middle sample",
    ),
    (
        "P2.coverage",
        "runs whose lead is > 0 ms (the signal came before the OOM) / runs; median and min lead \
         over those runs",
    ),
    (
        "P4.mean_ns",
        "mean of avg_ns weighted by rounds, over storms with both",
    ),
    (
        "P6.cpu_pct",
        "(monitor_ns + peek_ns) / (secs * 1e9) * 100, percent of one CPU",
    ),
    ("P8.events_per_s", "events / (span_ms / 1000)"),
    (
        "P1.readers",
        "normal: the reader with its default settings (a normal CFS task, memory mlocked), \
         judged; rt: the same reader with --rt-priority 1 (its reading thread under SCHED_FIFO \
         1), shown beside it; both follow the same runs. A reader is null when the input has no \
         line of it",
    ),
    (
        "P9.fresh_test_s",
        "the whole wall time of a fresh `make test`, its set-up included; judged alone. \
         fresh_setup_s is the set-up part of it, not to be added",
    ),
];

/// Builds the whole JSON document.
pub fn render(inputs: &[Analysis]) -> Value {
    let mut arches = Map::new();
    let mut host = Value::Null;
    for a in inputs {
        if a.is_host() {
            host = input(a);
        } else {
            arches.insert(a.label.clone(), input(a));
        }
    }
    let by_id = |f: &dyn Fn(Id) -> Value| -> Map<String, Value> {
        Id::ALL
            .iter()
            .map(|&id| (id.name().to_string(), f(id)))
            .collect()
    };
    json!({
        "generated_by": GENERATED_BY,
        "definitions": DEFINITIONS
            .iter()
            .map(|(k, v)| (k.to_string(), json!(v)))
            .collect::<Map<String, Value>>(),
        "inputs": inputs
            .iter()
            .map(|a| json!({"label": a.label, "path": a.path}))
            .collect::<Vec<Value>>(),
        "targets": by_id(&|id| json!(id_text(id).target)),
        "verdicts": by_id(&|id| verdict(&overall(inputs, id))),
        "arches": arches,
        "host": host,
    })
}

fn verdict(v: &Verdict) -> Value {
    json!({"status": v.status.as_str(), "detail": v.detail})
}

fn input(a: &Analysis) -> Value {
    let mut m = Map::new();
    m.insert("input".to_string(), json!(a.path));
    m.insert(
        "notes".to_string(),
        a.data
            .notes
            .iter()
            .map(|(line, text)| json!({"line": line, "text": text}))
            .collect(),
    );
    m.insert("done_line".to_string(), json!(a.data.done_line));
    m.insert(
        "meta".to_string(),
        Value::Object(
            a.data
                .meta
                .iter()
                .map(|(k, v)| (k.clone(), json!(v)))
                .collect(),
        ),
    );
    for id in Id::ALL {
        let v = match a.summaries.get(&id) {
            Some(s) => {
                let mut v = summary(s);
                if let Value::Object(o) = &mut v {
                    o.insert("verdict".to_string(), verdict(&s.verdict()));
                }
                v
            }
            None => Value::Null,
        };
        m.insert(id.name().to_string(), v);
    }
    Value::Object(m)
}

fn summary(s: &Summary) -> Value {
    match s {
        Summary::P1(s) => p1(s),
        Summary::P2(s) => p2(s),
        Summary::P3(s) => p3(s),
        Summary::P4(s) => p4(s),
        Summary::P5(s) => p5(s),
        Summary::P6(s) => p6(s),
        Summary::P7(s) => p7(s),
        Summary::P8(s) => p8(s),
        Summary::P9(s) => p9(s),
    }
}

/// A rate as in the input: a number of MiB/s, or `"max"`.
fn rate(r: Rate) -> Value {
    match r {
        Rate::MibS(n) => json!(n),
        Rate::Max => json!("max"),
    }
}

fn us(ns: Option<u64>) -> Value {
    json!(ns.map(|n| n as f64 / 1e3))
}

fn p1(s: &P1Summary) -> Value {
    let mut m = Map::new();
    m.insert("judged".to_string(), json!(Reader::Normal.name()));
    for r in Reader::ALL {
        m.insert(
            r.name().to_string(),
            s.reader(r).map_or(Value::Null, p1_reader),
        );
    }
    Value::Object(m)
}

fn p1_reader(r: &P1Reader) -> Value {
    let p = r.percentiles;
    json!({
        "settings": r.reader.settings(),
        "samples_ns": r.samples_ns,
        "n": r.samples_ns.len(),
        "p50_ns": p.map(|p| p.p50),
        "p90_ns": p.map(|p| p.p90),
        "p99_ns": p.map(|p| p.p99),
        "max_ns": p.map(|p| p.max),
        "p50_us": us(p.map(|p| p.p50)),
        "p90_us": us(p.map(|p| p.p90)),
        "p99_us": us(p.map(|p| p.p99)),
        "max_us": us(p.map(|p| p.max)),
        "events": r.done.and_then(|d| d.events),
        "lost": r.done.and_then(|d| d.lost),
    })
}

fn p2(s: &P2Summary) -> Value {
    let runs: Vec<Value> = s
        .runs
        .iter()
        .map(|r| {
            let mut m = Map::new();
            m.insert("line".to_string(), json!(r.line));
            m.insert("rate".to_string(), rate(r.rate));
            m.insert("run".to_string(), json!(r.run));
            m.insert("reached_mibs".to_string(), json!(r.reached_mibs));
            for sig in Signal::ALL {
                m.insert(sig.key().to_string(), json!(r.lead(sig)));
            }
            m.insert(
                "earlyoom_sig".to_string(),
                json!(r.earlyoom_sig.map(|k| k.name())),
            );
            for l in Level::ALL {
                m.insert(l.delay_key().to_string(), json!(r.delay(l)));
            }
            for l in Level::ALL {
                m.insert(l.kdelay_key().to_string(), json!(r.kdelay(l)));
            }
            Value::Object(m)
        })
        .collect();
    let summary: Vec<Value> = s
        .rates
        .iter()
        .map(|r| {
            let signals: Map<String, Value> = r
                .signals
                .iter()
                .map(|c| {
                    let pct = (c.runs > 0).then(|| c.covered as f64 * 100.0 / c.runs as f64);
                    let v = json!({
                        "ours": c.signal.is_ours(),
                        "runs": c.runs,
                        "covered": c.covered,
                        "coverage_pct": pct,
                        "late": c.late,
                        "never": c.never,
                        "median_lead_ms": c.median_lead_ms,
                        "min_lead_ms": c.min_lead_ms,
                    });
                    (c.signal.key().to_string(), v)
                })
                .collect();
            json!({
                "rate": rate(r.rate),
                "runs": r.runs,
                "reached_median_mibs": r.reached_median_mibs,
                "signals": signals,
                "earlyoom_first_action": {"TERM": r.earlyoom_term, "KILL": r.earlyoom_kill},
            })
        })
        .collect();
    json!({
        "runs": runs,
        "summary": summary,
        "missing_rates": s.missing_rates.iter().map(|&r| rate(r)).collect::<Vec<Value>>(),
        "expected_runs_per_rate": s.expected_runs,
    })
}

fn p3(s: &P3Summary) -> Value {
    let levels = |stats: &[DelayStats]| -> Map<String, Value> {
        stats
            .iter()
            .map(|l| {
                let v = json!({"n": l.n, "median_ms": l.median_ms, "max_ms": l.max_ms});
                (l.level.name().to_string(), v)
            })
            .collect()
    };
    let summary: Vec<Value> = s
        .rates
        .iter()
        .map(|r| {
            json!({
                "rate": rate(r.rate),
                "runs": r.runs,
                "levels": levels(&r.levels),
                "kernel_levels": levels(&r.kernel_levels),
            })
        })
        .collect();
    json!({
        "source": "levels: the *_delay fields of P2.runs (hog accounting); kernel_levels: the \
                   *_kdelay fields (kernel count, null when the line had none)",
        "judged": s.judged.key(),
        "summary": summary,
        "missing_rates": s.missing_rates.iter().map(|&r| rate(r)).collect::<Vec<Value>>(),
    })
}

fn p4(s: &P4Summary) -> Value {
    let storms: Vec<Value> = s
        .storms
        .iter()
        .map(|st| {
            json!({
                "line": st.line,
                "storm": st.storm,
                "rounds": st.rounds,
                "max_ns": st.max_ns,
                "avg_ns": st.avg_ns,
                "averts": st.averts,
                "kills": st.kills,
            })
        })
        .collect();
    json!({
        "storms": storms,
        "total_rounds": s.total_rounds,
        "max_ns": s.max_ns,
        "max_us": us(s.max_ns),
        "mean_ns": s.mean_ns,
        "mean_us": s.mean_ns.map(|n| n / 1e3),
    })
}

fn p5(s: &P5Summary) -> Value {
    let runs: Vec<Value> = s
        .runs
        .iter()
        .map(|r| {
            json!({
                "line": r.line,
                "mode": r.mode.name(),
                "spikes": r.spikes,
                "spike_mib": r.spike_mib,
                "kills": r.kills,
                "averts": r.averts,
            })
        })
        .collect();
    let totals = |t: Option<crate::analyze::ModeTotals>| {
        t.map_or(
            Value::Null,
            |t| json!({"lines": t.lines, "spikes": t.spikes, "kills": t.kills, "averts": t.averts}),
        )
    };
    json!({
        "runs": runs,
        "totals": {"avert": totals(s.avert), "observe": totals(s.observe)},
    })
}

fn p6(s: &P6Summary) -> Value {
    let samples: Vec<Value> = s
        .rows
        .iter()
        .map(|r| {
            let x = &r.sample;
            json!({
                "line": x.line,
                "phase": x.phase.name(),
                "secs": x.secs,
                "samples": x.samples,
                "peek_runs": x.peek_runs,
                "peek_wakes": x.peek_wakes,
                "monitor_ns": x.monitor_ns,
                "peek_ns": x.peek_ns,
                "cpu_pct": r.cpu_pct,
                "wakeups_per_s": r.wakeups_per_s,
                "peek_runs_per_s": r.peek_runs_per_s,
                "peek_wakes_per_s": r.peek_wakes_per_s,
            })
        })
        .collect();
    let phases: Map<String, Value> = s
        .phases
        .iter()
        .map(|p| {
            let v = json!({
                "lines": p.lines,
                "median_cpu_pct": p.cpu_pct,
                "median_wakeups_per_s": p.wakeups_per_s,
                "median_peek_runs_per_s": p.peek_runs_per_s,
                "median_peek_wakes_per_s": p.peek_wakes_per_s,
            });
            (p.phase.name().to_string(), v)
        })
        .collect();
    json!({"samples": samples, "phases": phases})
}

fn p7(s: &P7Summary) -> Value {
    let m = &s.mem;
    json!({
        "line": m.line,
        "reader_rss_kib": m.reader_rss_kib,
        "reader_anon_kib": m.reader_anon_kib,
        "earlyoom_rss_kib": m.earlyoom_rss_kib,
        "earlyoom_anon_kib": m.earlyoom_anon_kib,
        "reader_bytes": m.reader_bytes,
        "earlyoom_bytes": m.earlyoom_bytes,
        "rss_ratio": s.rss_ratio,
    })
}

fn p8(s: &P8Summary) -> Value {
    let bursts: Vec<Value> = s
        .rows
        .iter()
        .map(|r| {
            let b = &r.burst;
            json!({
                "line": b.line,
                "readers": b.readers,
                "events": b.events,
                "span_ms": b.span_ms,
                "lost": b.lost,
                "events_per_s": r.events_per_s,
            })
        })
        .collect();
    json!({"bursts": bursts})
}

fn p9(s: &P9Summary) -> Value {
    json!({
        "line": s.ci.line,
        "fresh_setup_s": s.ci.fresh_setup_s,
        "fresh_test_s": s.ci.fresh_test_s,
        "warm_test_s": s.ci.warm_test_s,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::HOST;
    use crate::parse::parse;

    fn input(label: &str, text: &str) -> Analysis {
        Analysis::new(label, &format!("{label}.txt"), parse(text).unwrap())
    }

    #[test]
    fn document_shape() {
        let x86 = input(
            "x86_64",
            "bench: meta arch=x86_64\nbench: P1 lat_ns=12000,2000000\nbench: P1 done events=2 lost=0\n\
             bench: P2 rate=max run=1 reached_mibs=- low=900 medium=500 critical=120 reclaim=-3 \
             earlyoom=80 earlyoom_sig=KILL psi_1ms=- psi_50ms=40 low_delay=1.5 medium_delay=- critical_delay=2 low_kdelay=0.5\n\
             bench: note x\nbench: done\n",
        );
        let host = input(
            HOST,
            "bench: P9 fresh_setup_s=600 fresh_test_s=- warm_test_s=60\n",
        );
        let v = render(&[x86, host]);
        assert_eq!(v["generated_by"], json!(GENERATED_BY));
        assert_eq!(v["inputs"][1], json!({"label": "host", "path": "host.txt"}));
        assert_eq!(v["targets"]["P1"], json!("p50 ≤ 100 µs, p99 ≤ 1 ms"));
        assert_eq!(v["verdicts"]["P1"]["status"], json!("missed"));
        assert_eq!(
            v["verdicts"]["P1"]["detail"],
            json!("x86_64: p99 2.0 ms, 2.0× the 1 ms target")
        );
        assert_eq!(v["verdicts"]["P9"]["status"], json!("incomplete"));
        let a = &v["arches"]["x86_64"];
        assert_eq!(a["input"], json!("x86_64.txt"));
        assert_eq!(a["meta"], json!({"arch": "x86_64"}));
        assert_eq!(a["P1"]["judged"], json!("normal"));
        assert_eq!(a["P1"]["normal"]["samples_ns"], json!([12000, 2000000]));
        assert_eq!(a["P1"]["normal"]["settings"], json!("default"));
        assert_eq!(a["P1"]["normal"]["p50_us"], json!(12.0));
        assert_eq!(a["P1"]["normal"]["p99_ns"], json!(2000000));
        assert_eq!(a["P1"]["normal"]["events"], json!(2));
        assert_eq!(a["P1"]["rt"], Value::Null);
        assert_eq!(a["P1"]["verdict"]["status"], json!("missed"));
        let run = &a["P2"]["runs"][0];
        assert_eq!(run["rate"], json!("max"));
        assert_eq!(run["reached_mibs"], Value::Null);
        assert_eq!(run["reclaim"], json!(-3.0));
        assert_eq!(run["psi_1ms"], Value::Null);
        assert_eq!(run["earlyoom_sig"], json!("KILL"));
        assert_eq!(run["medium_delay"], Value::Null);
        assert_eq!(run["low_kdelay"], json!(0.5));
        assert_eq!(run["critical_kdelay"], Value::Null);
        assert_eq!(run["line"], json!(4));
        let sum = &a["P2"]["summary"][0];
        assert_eq!(sum["signals"]["critical"]["coverage_pct"], json!(100.0));
        assert_eq!(sum["signals"]["reclaim"]["late"], json!(1));
        assert_eq!(sum["earlyoom_first_action"]["KILL"], json!(1));
        assert_eq!(a["P2"]["missing_rates"], json!([50, 200, 800]));
        assert_eq!(
            a["P3"]["summary"][0]["levels"]["critical"]["max_ms"],
            json!(2.0)
        );
        assert_eq!(a["P3"]["judged"], json!("kernel_count"));
        assert_eq!(
            a["P3"]["summary"][0]["kernel_levels"]["low"],
            json!({"n": 1, "median_ms": 0.5, "max_ms": 0.5})
        );
        assert_eq!(
            a["P3"]["summary"][0]["kernel_levels"]["critical"]["n"],
            json!(0)
        );
        assert_eq!(a["P4"], Value::Null);
        assert_eq!(a["P9"], Value::Null);
        assert_eq!(v["host"]["P9"]["fresh_test_s"], Value::Null);
        assert_eq!(v["host"]["P9"]["fresh_setup_s"], json!(600.0));
        assert_eq!(v["host"]["P9"]["warm_test_s"], json!(60.0));
        assert_eq!(v["host"]["P1"], Value::Null);
        assert_eq!(v["host"]["notes"], json!([]));
        assert_eq!(v["host"]["done_line"], Value::Null);
        assert_eq!(a["notes"], json!([{"line": 5, "text": "x"}]));
        assert_eq!(a["done_line"], json!(6));
    }

    #[test]
    fn no_host_input_is_null() {
        let v = render(&[input("arm64", "")]);
        assert_eq!(v["host"], Value::Null);
        assert_eq!(v["verdicts"]["P9"]["detail"], json!("no host input"));
        assert!(v["arches"]["arm64"]["P1"].is_null());
    }

    #[test]
    fn p1_keeps_both_readers_samples() {
        let a = input(
            "arm64",
            "bench: P1 reader=normal lat_ns=5000000,7000000\nbench: P1 reader=rt lat_ns=40000\n\
             bench: P1 done reader=normal events=2 lost=0\nbench: P1 done reader=rt events=1 lost=0\n",
        );
        let v = render(&[a]);
        let p1 = &v["arches"]["arm64"]["P1"];
        assert_eq!(p1["normal"]["samples_ns"], json!([5000000, 7000000]));
        assert_eq!(p1["rt"]["samples_ns"], json!([40000]));
        assert_eq!(p1["rt"]["settings"], json!("--rt-priority 1"));
        assert_eq!(p1["rt"]["p99_us"], json!(40.0));
        assert_eq!(p1["rt"]["events"], json!(1));
        assert_eq!(p1["verdict"]["status"], json!("missed"));
        assert_eq!(
            v["verdicts"]["P1"]["detail"],
            json!("arm64: p50 5.0 ms, 50.0× the 100 µs target; p99 7.0 ms, 7.0× the 1 ms target")
        );
    }

    #[test]
    fn computed_figures() {
        let a = input(
            "x86_64",
            "bench: P4 storm=1 rounds=30 max_ns=9000 avg_ns=4000\n\
             bench: P6 phase=near secs=2 samples=10 peek_runs=4 peek_wakes=2 monitor_ns=1000000 peek_ns=1000000\n\
             bench: P7 reader_rss_kib=900 reader_anon_kib=100 earlyoom_rss_kib=1800 earlyoom_anon_kib=150 reader_bytes=1 earlyoom_bytes=2\n\
             bench: P8 readers=8 events=5000 span_ms=12.5 lost=0\n\
             bench: P5 mode=observe spikes=3 kills=3 averts=0\n",
        );
        let v = render(&[a]);
        let a = &v["arches"]["x86_64"];
        assert_eq!(a["P4"]["mean_ns"], json!(4000.0));
        assert_eq!(a["P4"]["max_us"], json!(9.0));
        assert_eq!(a["P6"]["samples"][0]["cpu_pct"], json!(0.1));
        assert_eq!(
            a["P6"]["phases"]["near"]["median_wakeups_per_s"],
            json!(5.0)
        );
        assert_eq!(a["P7"]["rss_ratio"], json!(0.5));
        assert_eq!(a["P8"]["bursts"][0]["events_per_s"], json!(400000.0));
        assert_eq!(a["P5"]["totals"]["avert"], Value::Null);
        assert_eq!(a["P5"]["totals"]["observe"]["kills"], json!(3));
        assert_eq!(a["P5"]["verdict"]["status"], json!("incomplete"));
    }
}
