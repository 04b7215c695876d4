//! The JSON report: every raw number of every input, the computed summaries and the verdicts.
//!
//! Shape: `{"generated_by", "definitions", "inputs": [{label, path}], "targets": {id: text},
//! "verdicts": {id: {status, detail}}, "arches": {label: INPUT}, "host": INPUT | null}` where
//! INPUT is `{"input": path, "meta": {key: value}, "P1": ... "P10": ...}` and an id is `null`
//! when the input has no line for it (each measurement renders its own). Absent values (`-` in
//! the input) are `null`.

use crate::measure::Verdict;
use crate::report::{overall, Analysis, Measure, MEASURES};
use serde_json::{json, Map, Value};

/// The tool's name and version, recorded in the JSON.
const GENERATED_BY: &str = concat!(
    "bench-report (oom-guard-testtools ",
    env!("CARGO_PKG_VERSION"),
    ")"
);

/// How the percentiles are computed; each measurement defines its own computed figures.
const PERCENTILE: (&str, &str) = (
    "percentile",
    "nearest-rank: the p-th percentile of n sorted samples is the ceil(p*n/100)-th smallest; \
     the median is the 50th, for an even count the lower middle sample",
);

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
    let by_id = |f: &dyn Fn(&Measure) -> Value| -> Map<String, Value> {
        MEASURES
            .iter()
            .map(|m| (m.about.id.to_string(), f(m)))
            .collect()
    };
    let definitions: Map<String, Value> = MEASURES
        .iter()
        .flat_map(|m| m.about.definitions)
        .chain([&PERCENTILE])
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    json!({
        "generated_by": GENERATED_BY,
        "definitions": definitions,
        "inputs": inputs
            .iter()
            .map(|a| json!({"label": a.label, "path": a.path}))
            .collect::<Vec<Value>>(),
        "targets": by_id(&|m| json!(m.about.target)),
        "verdicts": by_id(&|m| verdict(&overall(inputs, m))),
        "arches": arches,
        "host": host,
    })
}

/// The document as text: indented as `serde_json::to_string_pretty` does, but an array of
/// scalars (numbers, strings, booleans, nulls: the raw samples) on one line, without spaces,
/// so that tens of thousands of samples take as many bytes as their digits and not a line
/// each. Parses back to the same value.
pub fn to_text(v: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, v, 0);
    out
}

/// Appends `v` at nesting depth `depth` (two spaces a level) to `out`.
fn write_value(out: &mut String, v: &Value, depth: usize) {
    let indent = |out: &mut String, depth: usize| out.push_str(&"  ".repeat(depth));
    match v {
        Value::Array(items) if items.is_empty() => out.push_str("[]"),
        Value::Object(map) if map.is_empty() => out.push_str("{}"),
        Value::Array(items) if items.iter().all(is_scalar) => {
            out.push('[');
            for (i, x) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&x.to_string());
            }
            out.push(']');
        }
        Value::Array(items) => {
            out.push_str("[\n");
            for (i, x) in items.iter().enumerate() {
                indent(out, depth + 1);
                write_value(out, x, depth + 1);
                out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
            }
            indent(out, depth);
            out.push(']');
        }
        Value::Object(map) => {
            out.push_str("{\n");
            for (i, (k, x)) in map.iter().enumerate() {
                indent(out, depth + 1);
                out.push_str(&Value::String(k.clone()).to_string());
                out.push_str(": ");
                write_value(out, x, depth + 1);
                out.push_str(if i + 1 < map.len() { ",\n" } else { "\n" });
            }
            indent(out, depth);
            out.push('}');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// Whether `v` is a number, string, boolean or null.
fn is_scalar(v: &Value) -> bool {
    !matches!(v, Value::Array(_) | Value::Object(_))
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
    for x in &MEASURES {
        let v = match a.summary(x) {
            Some(s) => {
                let mut v = s.json();
                if let Value::Object(o) = &mut v {
                    o.insert("verdict".to_string(), verdict(&s.verdict()));
                }
                v
            }
            None => Value::Null,
        };
        m.insert(x.about.id.to_string(), v);
    }
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::parse;
    use crate::report::HOST;

    fn input(label: &str, text: &str) -> Analysis {
        Analysis::new(label, &format!("{label}.txt"), parse(text).unwrap())
    }

    #[test]
    fn document_shape() {
        let x86 = input(
            "x86_64",
            "bench: meta arch=x86_64 hz=250\nbench: P1 lat_ns=12000,2000000\nbench: P1 done events=2 lost=0\n\
             bench: P1 floor reader=normal lat_ns=10000,1000000\n\
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
        assert_eq!(
            v["targets"]["P1"],
            json!("p50 and p99 ≤ 1.5× the wake-up floor measured beside the reader")
        );
        assert_eq!(v["verdicts"]["P1"]["status"], json!("missed"));
        assert_eq!(
            v["verdicts"]["P1"]["detail"],
            json!("x86_64: normal: p99 2.0 ms, 2.0× its floor of 1.0 ms (goal 1.5×)")
        );
        assert!(v["definitions"]["P1.floor"]
            .as_str()
            .unwrap()
            .contains("wakefloor"));
        assert_eq!(v["verdicts"]["P9"]["status"], json!("incomplete"));
        let a = &v["arches"]["x86_64"];
        assert_eq!(a["input"], json!("x86_64.txt"));
        assert_eq!(a["meta"], json!({"arch": "x86_64", "hz": "250"}));
        assert_eq!(a["P1"]["judged"], json!(["normal", "rt"]));
        assert_eq!(a["P1"]["goal_ratio"], json!(1.5));
        assert_eq!(
            a["P1"]["normal"]["floor"]["samples_ns"],
            json!([10000, 1000000])
        );
        assert_eq!(a["P1"]["normal"]["floor"]["p99_us"], json!(1000.0));
        assert_eq!(a["P1"]["normal"]["ratio_p50"], json!(1.2));
        assert_eq!(a["P1"]["normal"]["ratio_p99"], json!(2.0));
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
        assert_eq!(run["line"], json!(5));
        let sum = &a["P2"]["summary"][0];
        assert_eq!(sum["signals"]["critical"]["coverage_pct"], json!(100.0));
        assert_eq!(sum["signals"]["reclaim"]["late"], json!(1));
        assert_eq!(sum["earlyoom_first_action"]["KILL"], json!(1));
        assert_eq!(a["P2"]["missing_rates"], json!([50, 200, 800]));
        // Our medium 500 ms against earlyoom's first action (a SIGKILL) 80 ms before the OOM.
        assert_eq!(a["P2"]["goal_ratio"], json!(1.0));
        assert_eq!(sum["ratio_medium_over_earlyoom"], json!(6.25));
        assert_eq!(sum["per_run_ratios"], json!([{"run": 1, "ratio": 6.25}]));
        assert_eq!(sum["earlyoom_skipped_term"], json!(1));
        assert_eq!(a["P2"]["verdict"]["status"], json!("incomplete"));
        assert!(v["definitions"]["P2.ratio"]
            .as_str()
            .unwrap()
            .contains("ratio_medium_over_earlyoom"));
        assert_eq!(
            a["P3"]["summary"][0]["levels"]["critical"]["max_ms"],
            json!(2.0)
        );
        assert_eq!(a["P3"]["judged"], json!("kernel_count"));
        assert_eq!(a["P3"]["hz"], json!(250));
        assert_eq!(a["P3"]["jiffy_ms"], json!(4.0));
        assert_eq!(a["P3"]["goal_jiffies"], json!(2));
        assert_eq!(
            a["P3"]["summary"][0]["kernel_levels"]["low"],
            json!({"n": 1, "median_ms": 0.5, "max_ms": 0.5, "median_jiffies": 0.125, "max_jiffies": 0.125})
        );
        assert_eq!(
            a["P3"]["summary"][0]["levels"]["critical"]["max_jiffies"],
            json!(0.5)
        );
        assert_eq!(
            a["P3"]["verdict"]["detail"],
            json!(
                "judged on the kernel count: rates 50 MiB/s, 200 MiB/s, 800 MiB/s not measured; \
                   medium delay unknown at max; critical delay unknown at max"
            )
        );
        assert_eq!(
            v["targets"]["P3"],
            json!("≤ 2 jiffies of the guest's HZ at every rate (judged on the max)")
        );
        assert!(v["definitions"]["P3.jiffies"]
            .as_str()
            .unwrap()
            .contains("× hz / 1000"));
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
        assert_eq!(a["notes"], json!([{"line": 6, "text": "x"}]));
        assert_eq!(a["done_line"], json!(7));
    }

    #[test]
    fn arrays_of_scalars_take_one_line_and_the_text_parses_back() {
        let v = json!({
            "samples_ns": [1, 22, 333],
            "at_us": [null, 5],
            "empty": [],
            "none": {},
            "names": ["a \"b\"", "c"],
            "rows": [{"run": 1, "ratio": 6.25}, [1, [2]]],
            "x": null,
            "ok": true,
        });
        let text = to_text(&v);
        assert_eq!(
            text,
            "{\n  \"at_us\": [null,5],\n  \"empty\": [],\n  \"names\": [\"a \\\"b\\\"\",\"c\"],\n  \
             \"none\": {},\n  \"ok\": true,\n  \"rows\": [\n    {\n      \"ratio\": 6.25,\n      \
             \"run\": 1\n    },\n    [\n      1,\n      [2]\n    ]\n  ],\n  \
             \"samples_ns\": [1,22,333],\n  \"x\": null\n}"
        );
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), v);
        // The whole document too.
        let doc = render(&[input(
            "x86_64",
            "bench: P1 lat_ns=12000,2000000 time_ns=5,6 pos=0,1\n\
             bench: P1 floor reader=normal lat_ns=10000,1000000 at_us=1,2\n",
        )]);
        let text = to_text(&doc);
        assert!(text.contains("\"samples_ns\": [12000,2000000],\n"));
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), doc);
    }

    #[test]
    fn no_host_input_is_null() {
        let v = render(&[input("arm64", "")]);
        assert_eq!(v["host"], Value::Null);
        assert_eq!(v["verdicts"]["P9"]["detail"], json!("no host input"));
        assert!(v["arches"]["arm64"]["P1"].is_null());
    }
}
