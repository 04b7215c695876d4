//! The Prometheus metrics, read back by a real parser: Python's `prometheus_client`
//! (`prometheus_client.parser.text_string_to_metric_families`), installed by
//! `scripts/setup.sh` into the project cache (`$CACHE/tools/python`, pinned in
//! `scripts/versions.env`). Without it these tests fail, saying how to get it: they never
//! skip, so CI cannot pass without the parser.

mod common;

use common::{record, TempDir};
use oom_guard::metrics::{self, ModuleState, Tally, STAT_METRICS};
use oom_guard_core::abi::{
    self, Kill, Lost, Payload, Stats, KILL_GLOBAL, KILL_MEMCG, KILL_VICTIM, STATS_FIELDS,
    TTE_UNKNOWN,
};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// Where `scripts/setup.sh` installs Python packages: `$CACHE/tools/python`, with `$CACHE` as
/// `scripts/common.sh` has it.
fn python_dir() -> PathBuf {
    let cache = std::env::var_os("OOM_GUARD_CACHE")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("XDG_CACHE_HOME").map(|x| PathBuf::from(x).join("rust-oom-guard"))
        })
        .or_else(|| {
            std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/rust-oom-guard"))
        })
        .expect("neither OOM_GUARD_CACHE, XDG_CACHE_HOME nor HOME is set");
    cache.join("tools/python")
}

/// Parses `text` with prometheus_client and returns its families as
/// `[{name, type, help, samples: [[name, {labels}, value]]}]`, values as Python's `repr` of a float
/// (`inf` for `+Inf`).
const PARSE: &str = r#"
import json, sys
import prometheus_client
from prometheus_client.parser import text_string_to_metric_families
out = []
for f in text_string_to_metric_families(sys.stdin.read()):
    out.append({"name": f.name, "type": f.type, "help": f.documentation,
                "samples": [[s.name, s.labels, repr(float(s.value))] for s in f.samples]})
print(json.dumps(out))
"#;

#[derive(Debug)]
struct Family {
    name: String,
    mtype: String,
    help: String,
    samples: Vec<(String, BTreeMap<String, String>, String)>,
}

fn parse(text: &str) -> Vec<Family> {
    let dir = python_dir();
    let path = match std::env::var_os("PYTHONPATH") {
        Some(p) => {
            std::env::join_paths(std::iter::once(dir.clone()).chain(std::env::split_paths(&p)))
                .unwrap()
        }
        None => dir.clone().into_os_string(),
    };
    let mut child = Command::new("python3")
        .args(["-c", PARSE])
        .env("PYTHONPATH", path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("python3 is needed for the metrics tests: {e}"));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !err.contains("No module named 'prometheus_client'"),
        "Python's prometheus_client is not in {}: run scripts/setup.sh (make setup), which \
         installs the version pinned in scripts/versions.env",
        dir.display()
    );
    assert!(
        out.status.success(),
        "prometheus_client rejected:\n{text}\n{err}"
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|f| Family {
            name: f["name"].as_str().unwrap().into(),
            mtype: f["type"].as_str().unwrap().into(),
            help: f["help"].as_str().unwrap().into(),
            samples: f["samples"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| {
                    let labels = s[1]
                        .as_object()
                        .unwrap()
                        .iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                        .collect();
                    (
                        s[0].as_str().unwrap().into(),
                        labels,
                        s[2].as_str().unwrap().into(),
                    )
                })
                .collect(),
        })
        .collect()
}

/// What every file must be by the conventions: each family declared (a sample outside its
/// declared family comes back as type `unknown`) with help, `oom_guard_*`, counters' samples
/// ending in `_total`, no family twice.
fn check_conventions(families: &[Family]) {
    let mut names = Vec::new();
    for f in families {
        assert!(f.name.starts_with("oom_guard_"), "{f:?}");
        assert!(
            f.mtype == "counter" || f.mtype == "gauge",
            "{}: type {} (a sample outside its declared family?)",
            f.name,
            f.mtype
        );
        assert!(!f.help.is_empty(), "{}: no help", f.name);
        assert!(!f.samples.is_empty(), "{}: no samples", f.name);
        for (s, _, _) in &f.samples {
            if f.mtype == "counter" {
                assert_eq!(*s, format!("{}_total", f.name), "counter sample names");
            } else {
                assert_eq!(*s, f.name);
            }
        }
        names.push(f.name.clone());
    }
    let n = names.len();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), n, "a family twice: {names:?}");
}

/// The sample `name` with `labels`, as Python printed its value.
fn value(families: &[Family], name: &str, labels: &[(&str, &str)]) -> String {
    let want: BTreeMap<String, String> = labels
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    families
        .iter()
        .flat_map(|f| &f.samples)
        .find(|(n, l, _)| n == name && *l == want)
        .unwrap_or_else(|| panic!("no sample {name} {labels:?}"))
        .2
        .clone()
}

#[test]
fn the_module_and_watch_metrics_parse() {
    // Every counter a different value, so a mix-up shows.
    let mut words = [0u64; STATS_FIELDS.len()];
    for (i, w) in words.iter_mut().enumerate() {
        *w = 1000 + i as u64;
    }
    let mut stats = Stats::default();
    for (f, w) in STATS_FIELDS.iter().zip(words) {
        (f.set)(&mut stats, w);
    }
    stats.level = 2;
    stats.headroom = 100;
    stats.tte_ms = 1500;
    stats.reclaim_active = 1;
    stats.callback_max_ns = 2_500_000;
    let module = ModuleState { abi: (2, 0), stats };
    let tally = Tally::default();
    let kill = |flags| {
        Payload::Kill(Kill {
            kills: 1,
            flags,
            ..Kill::default()
        })
    };
    tally.count(&record(0, 0, kill(KILL_VICTIM | KILL_GLOBAL)));
    tally.count(&record(1, 0, kill(KILL_VICTIM | KILL_MEMCG)));
    tally.count(&record(2, 0, kill(KILL_VICTIM | KILL_MEMCG)));
    tally.count(&record(
        3,
        0,
        Payload::Lost(Lost {
            count: 9,
            first_seq: 3,
        }),
    ));
    let text = metrics::render(Some(&module), Some(&tally), 16384);
    let fams = parse(&text);
    check_conventions(&fams);
    // Every counter of the module is there, under its table's name and type.
    for m in &STAT_METRICS {
        let family = m.metric.strip_suffix("_total").unwrap_or(m.metric);
        assert!(
            fams.iter().any(|f| f.name == family && f.help == m.help),
            "{} missing or without its help",
            m.metric
        );
    }
    let v = |name, labels: &[(&str, &str)]| value(&fams, name, labels);
    assert_eq!(v("oom_guard_up", &[]), "1.0");
    assert_eq!(v("oom_guard_info", &[("abi", "2.0")]), "1.0");
    assert_eq!(v("oom_guard_oom_calls_total", &[]), "1001.0");
    let pool = (1000 + 7) * 16384;
    assert_eq!(v("oom_guard_pool_bytes", &[]), format!("{pool}.0"));
    assert_eq!(v("oom_guard_callback_max_seconds", &[]), "0.0025");
    assert_eq!(v("oom_guard_time_to_exhaustion_seconds", &[]), "1.5");
    assert_eq!(v("oom_guard_reclaim_active", &[]), "1.0");
    // Levels are one-hot.
    for (level, want) in [("ok", "0.0"), ("low", "0.0"), ("min", "1.0")] {
        assert_eq!(v("oom_guard_level", &[("level", level)]), want);
    }
    for (level, want) in [
        ("plenty", "0.0"),
        ("low", "0.0"),
        ("medium", "1.0"),
        ("critical", "0.0"),
    ] {
        assert_eq!(v("oom_guard_headroom_level", &[("level", level)]), want);
    }
    // The watch's counts.
    assert_eq!(
        v("oom_guard_watch_records_total", &[("type", "kill")]),
        "3.0"
    );
    assert_eq!(
        v("oom_guard_watch_records_total", &[("type", "pressure")]),
        "0.0"
    );
    assert_eq!(
        v("oom_guard_watch_kills_total", &[("oom", "global")]),
        "1.0"
    );
    assert_eq!(v("oom_guard_watch_kills_total", &[("oom", "memcg")]), "2.0");
    assert_eq!(v("oom_guard_watch_events_lost_total", &[]), "9.0");
    // Not falling: the time to exhaustion is infinite.
    let calm = ModuleState {
        abi: (2, 0),
        stats: Stats {
            tte_ms: TTE_UNKNOWN,
            ..stats
        },
    };
    let fams = parse(&metrics::render(Some(&calm), None, 4096));
    check_conventions(&fams);
    assert_eq!(
        value(&fams, "oom_guard_time_to_exhaustion_seconds", &[]),
        "inf"
    );
}

#[test]
fn the_cli_writes_files_the_parser_reads() {
    let dir = TempDir::new();
    // `metrics` without a module: the file says it is down, and the status says why.
    let prom = dir.path().join("oom_guard.prom");
    let missing = dir.path().join("oom_guard");
    let out = Command::new(env!("CARGO_BIN_EXE_oom-guard"))
        .arg("-d")
        .arg(&missing)
        .arg("metrics")
        .arg("--output")
        .arg(&prom)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let fams = parse(&std::fs::read_to_string(&prom).unwrap());
    check_conventions(&fams);
    assert_eq!(value(&fams, "oom_guard_up", &[]), "0.0");
    // `watch --metrics-file` on a capture: the watch's counts (no module to ask).
    let mut bytes = vec![0u8; abi::MAX_RECORD_SIZE];
    let mut capture = Vec::new();
    for (seq, flags) in [
        (0, KILL_VICTIM | KILL_MEMCG),
        (1, KILL_VICTIM | KILL_GLOBAL),
    ] {
        let p = Payload::Kill(Kill {
            kills: 1,
            flags,
            ..Kill::default()
        });
        let n = abi::encode(seq, seq, 0, &p, &mut bytes).unwrap();
        capture.extend_from_slice(&bytes[..n]);
    }
    let cap = dir.path().join("capture.bin");
    std::fs::write(&cap, capture).unwrap();
    let watch_prom = dir.path().join("watch.prom");
    let out = Command::new(env!("CARGO_BIN_EXE_oom-guard"))
        .arg("-d")
        .arg(&cap)
        .args(["--no-mlock", "--oom-score-adj", "0", "--metrics-file"])
        .arg(&watch_prom)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let fams = parse(&std::fs::read_to_string(&watch_prom).unwrap());
    check_conventions(&fams);
    assert_eq!(value(&fams, "oom_guard_up", &[]), "0.0");
    assert_eq!(
        value(&fams, "oom_guard_watch_kills_total", &[("oom", "memcg")]),
        "1.0"
    );
    assert_eq!(
        value(&fams, "oom_guard_watch_kills_total", &[("oom", "global")]),
        "1.0"
    );
    // Only the file is left: the temporary files were renamed.
    let mut left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["capture.bin", "oom_guard.prom", "watch.prom"]);
}
