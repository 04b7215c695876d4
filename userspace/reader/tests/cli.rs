//! The `oom-guard` binary end to end, on capture files, FIFOs, sockets and missing paths in a
//! temporary directory: exit statuses, messages, formats, sinks, signals, hooks.

mod common;

use common::TempDir;
use oom_guard_core::abi::{
    self, Headroom, HeadroomLevel, Kill, Level, Lost, Oom, OomAction, Payload, Pool, PoolOp,
    Pressure, Reclaim, ReclaimPhase, RECLAIM_KSWAPD, TTE_UNKNOWN,
};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_oom-guard"))
}

fn run(args: &[&str]) -> Output {
    bin().args(args).stdin(Stdio::null()).output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn payloads() -> Vec<Payload> {
    vec![
        Payload::Pressure(Pressure {
            source: 1,
            old_level: Level::Ok as u8,
            new_level: Level::Min as u8,
            free_pages: 1000,
            available_pages: 2000,
            headroom: HeadroomLevel::Critical as u8,
            fall_rate: 256,
            tte_ms: 700,
            ..Pressure::default()
        }),
        Payload::Oom(Oom {
            action: OomAction::Avert as u8,
            level: Level::Min as u8,
            pid: 321,
            comm: abi::fixed_name(b"memhog"),
            pool_before: 512,
            pool_after: 256,
            freed_reported: 256,
            averts_left: 3,
            ..Oom::default()
        }),
        Payload::Pool(Pool {
            op: PoolOp::Release as u8,
            pages: 256,
            pool_pages: 256,
            target_pages: 512,
            ..Pool::default()
        }),
        Payload::Kill(Kill {
            kills: 1,
            ..Kill::default()
        }),
        Payload::Lost(Lost {
            count: 4,
            first_seq: 10,
        }),
        Payload::Headroom(Headroom {
            old_level: HeadroomLevel::Medium as u8,
            new_level: HeadroomLevel::Critical as u8,
            wm_level: Level::Low as u8,
            free_pages: 1000,
            available_pages: 2000,
            total_pages: 65536,
            low_pages: 13107,
            medium_pages: 6553,
            critical_pages: 3276,
            floor_pages: 500,
            fall_rate: 0,
            tte_ms: TTE_UNKNOWN,
            ..Headroom::default()
        }),
        Payload::Reclaim(Reclaim {
            phase: ReclaimPhase::Onset as u8,
            who: RECLAIM_KSWAPD,
            wm_level: Level::Low as u8,
            headroom: HeadroomLevel::Critical as u8,
            kswapd_calls: 1,
            free_pages: 1000,
            available_pages: 2000,
            ..Reclaim::default()
        }),
    ]
}

fn record(seq: u64, p: &Payload) -> Vec<u8> {
    let mut buf = vec![0u8; abi::MAX_RECORD_SIZE];
    let n = abi::encode(seq, 7_000_000_000 + seq, 0, p, &mut buf).unwrap();
    buf.truncate(n);
    buf
}

/// The seven sample records, seq 0 to 6.
fn capture() -> Vec<u8> {
    payloads()
        .iter()
        .enumerate()
        .flat_map(|(i, p)| record(i as u64, p))
        .collect()
}

fn write_capture(dir: &TempDir, bytes: &[u8]) -> PathBuf {
    let p = dir.path().join("capture.bin");
    std::fs::write(&p, bytes).unwrap();
    p
}

const QUIET: [&str; 3] = ["--no-mlock", "--oom-score-adj", "0"];

#[test]
fn missing_device_exits_3_and_says_how_to_load_the_module() {
    let dir = TempDir::new();
    let dev = dir.path().join("oom_guard");
    let dev = dev.to_str().unwrap();
    for args in [
        vec!["-d", dev],
        vec!["-d", dev, "watch"],
        vec!["-d", dev, "stats"],
        vec!["zones", "--device", dev],
        vec!["-d", dev, "config", "get"],
        vec!["-d", dev, "config", "set", "release_chunk=512"],
    ] {
        let out = run(&args);
        assert_eq!(out.status.code(), Some(3), "{args:?}");
        let err = text(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{args:?}: printed once: {err}");
        assert!(
            err.starts_with(&format!("oom-guard: error: {dev}: no such device")),
            "{err}"
        );
        assert!(
            err.contains("is the module loaded? (insmod rust_oom_guard.ko)"),
            "{err}"
        );
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn not_the_device_exits_3() {
    let dir = TempDir::new();
    let cap = write_capture(&dir, &capture());
    let out = run(&["-d", cap.to_str().unwrap(), "stats"]);
    assert_eq!(out.status.code(), Some(3));
    let err = text(&out.stderr);
    assert!(
        err.contains("ioctl OOM_GUARD_GET_STATS failed (not the oom_guard device?)"),
        "{err}"
    );
}

#[test]
fn bad_config_settings_exit_2_with_one_line_before_touching_the_device() {
    let dir = TempDir::new();
    let dev = dir.path().join("missing");
    let dev = dev.to_str().unwrap();
    for (arg, want) in [
        (
            "release_chunk=0",
            "invalid release_chunk=0: accepted range 1..=65536 pages",
        ),
        ("policy=maybe", "invalid policy=maybe: not a number"),
        ("pool_kib=4", "unknown key `pool_kib`"),
        ("release_chunk", "expected KEY=VALUE, got `release_chunk`"),
        (
            "sample_fast_ms=5000",
            "invalid sample_fast_ms=5000: accepted range 1..=1000 ms",
        ),
        (
            "headroom_unit=mib",
            "invalid headroom_unit=mib: not a number",
        ),
        (
            "headroom_unit=2",
            "invalid headroom_unit=2: accepted range 0..=1 (0 = percent, 1 = KiB)",
        ),
        (
            "headroom_critical=0",
            "invalid headroom_critical=0: accepted range 1..=2147483648 (percent or KiB)",
        ),
        (
            "sample_min_ms=1001",
            "invalid sample_min_ms=1001: accepted range 1..=1000 ms",
        ),
        (
            "reclaim_quiet_ms=5",
            "invalid reclaim_quiet_ms=5: accepted range 10..=60000 ms",
        ),
        ("reserved2=0", "unknown key `reserved2`"),
    ] {
        let out = run(&["-d", dev, "config", "set", "avert_budget=2", arg]);
        assert_eq!(out.status.code(), Some(2), "{arg}");
        let err = text(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with(&format!("oom-guard: error: {want}")),
            "{err}"
        );
    }
    // Usage errors from the parser exit 2 too.
    assert_eq!(run(&["config", "set"]).status.code(), Some(2));
    assert_eq!(run(&["--format", "yaml"]).status.code(), Some(2));
    assert_eq!(run(&["--exec-on", "sometimes=true"]).status.code(), Some(2));
}

#[test]
fn help_documents_exit_codes_and_defaults() {
    let out = run(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    let help = text(&out.stdout);
    for want in [
        "Exit status:",
        "3  the device is missing",
        "[default: /dev/oom_guard]",
        "[default: -1000]",
        "[default: 1000]",
        "in milliseconds",
        "in records",
        "[default: text]",
        "- logfmt:",
        "[default: stdout]",
        "- journald:",
    ] {
        assert!(help.contains(want), "missing {want:?} in\n{help}");
    }
    let short = text(&run(&["-h"]).stdout);
    assert!(
        short.contains("[possible values: text, json, logfmt]"),
        "{short}"
    );
    assert!(
        short.contains("[possible values: stdout, stderr, syslog, journald, kmsg]"),
        "{short}"
    );
    let out = run(&["decode", "--help"]);
    assert!(text(&out.stdout).contains("or - for standard input"));
    for want in ["headroom-critical", "reclaim-onset", "OOM_GUARD_HEADROOM"] {
        assert!(help.contains(want), "missing {want:?} in\n{help}");
    }
    let set = text(&run(&["config", "set", "--help"]).stdout);
    for want in [
        "headroom_unit 0-1 (or percent/kib)",
        "sample_min_ms",
        "reclaim_quiet_ms",
    ] {
        assert!(set.contains(want), "missing {want:?} in\n{set}");
    }
}

#[test]
fn decode_a_capture_in_every_format() {
    let dir = TempDir::new();
    let cap = write_capture(&dir, &capture());
    let cap = cap.to_str().unwrap();
    let out = run(&["decode", cap]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let lines: Vec<String> = text(&out.stdout).lines().map(String::from).collect();
    assert_eq!(lines.len(), 7);
    assert!(
        lines[0].starts_with("[    7.000000] pressure min (was ok): free "),
        "{lines:?}"
    );
    assert!(
        lines[0].ends_with("; headroom critical, fall rate 1.0 MiB/s, time to exhaustion 700 ms"),
        "{lines:?}"
    );
    assert!(
        lines[5].starts_with("[    7.000000] headroom critical (was medium): available 7.8 MiB"),
        "{lines:?}"
    );
    assert!(
        lines[5].contains("; fall rate 0 KiB/s, time to exhaustion unknown;"),
        "{lines:?}"
    );
    assert!(
        lines[6].starts_with(
            "[    7.000000] reclaim onset by kswapd: 1 kswapd and 0 direct calls in 0 ms"
        ),
        "{lines:?}"
    );
    assert!(
        lines[1].contains("oom min: release, pid 321 (memhog)"),
        "{lines:?}"
    );
    assert!(
        lines[4].contains("lost: 4 events missed (seq 10 to 13)"),
        "{lines:?}"
    );

    let out = run(&["decode", "--format", "json", "--page-size", "16384", cap]);
    assert_eq!(out.status.code(), Some(0));
    let objs: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let types: Vec<&str> = objs.iter().map(|o| o["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        ["pressure", "oom", "pool", "kill", "lost", "headroom", "reclaim"]
    );
    for (i, o) in objs.iter().enumerate() {
        assert_eq!(o["seq"], i as u64);
        assert_eq!(o["time_ns"], 7_000_000_000 + i as u64);
    }
    assert_eq!(objs[0]["page_size_bytes"], 16384);
    assert_eq!(
        (
            &objs[0]["headroom"],
            &objs[0]["fall_rate_pages_per_s"],
            &objs[0]["tte_ms"]
        ),
        (
            &serde_json::json!("critical"),
            &serde_json::json!(256),
            &serde_json::json!(700)
        )
    );
    assert_eq!(objs[5]["headroom"], "critical");
    assert_eq!(objs[5]["old_headroom"], "medium");
    assert!(objs[5]["tte_ms"].is_null());
    assert_eq!(objs[6]["phase"], "onset");
    assert_eq!(objs[6]["who"], "kswapd");

    let out = run(&["decode", "--format", "logfmt", cap]);
    let t = text(&out.stdout);
    assert!(t.lines().all(|l| l.starts_with("seq=")), "{t}");
    assert!(t.contains("type=kill abi=2.1 kills=1"), "{t}");
    assert!(
        t.contains(" type=headroom abi=2.1 headroom=critical old_headroom=medium level=low "),
        "{t}"
    );
    // An unknown time to exhaustion is left out, not written as a word.
    assert!(
        t.contains(" fall_rate_pages_per_s=0 page_size_bytes="),
        "{t}"
    );
    assert!(!t.contains("unknown"), "{t}");
    assert!(
        t.contains(" type=reclaim abi=2.1 phase=onset who=kswapd level=low headroom=critical "),
        "{t}"
    );
}

#[test]
fn decode_reads_stdin() {
    let mut child = bin()
        .args(["decode", "--format", "json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // Records split across writes.
    let bytes = capture();
    let writer = std::thread::spawn(move || {
        for piece in bytes.chunks(29) {
            stdin.write_all(piece).unwrap();
            stdin.flush().unwrap();
        }
    });
    writer.join().unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).lines().count(), 7);
}

#[test]
fn decode_errors_name_the_file_and_offset() {
    let dir = TempDir::new();
    let mut bytes = capture();
    bytes.truncate(bytes.len() - 3);
    let cap = write_capture(&dir, &bytes);
    let out = run(&["decode", cap.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stdout).lines().count(),
        6,
        "records before the cut are printed"
    );
    let err = text(&out.stderr);
    assert!(
        err.starts_with(&format!(
            "oom-guard: error: decoding {}: stream ends inside",
            cap.display()
        )),
        "{err}"
    );
    assert!(err.contains("77 of 80 bytes"), "{err}");

    // Another major version (here ABI 1.x, before the first stable one): a clear error, exit 3
    // like an incompatible module.
    let mut bytes = capture();
    bytes[6] = 1;
    bytes[7] = 3;
    let cap = write_capture(&dir, &bytes);
    let out = run(&["decode", cap.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stderr).contains("ABI version 1.3 is incompatible"));

    let out = run(&["decode", dir.path().join("nope").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("cannot open"));
}

#[test]
fn forward_compat_warnings_are_printed_once() {
    let dir = TempDir::new();
    let mut bytes = Vec::new();
    let pool = &payloads()[2];
    for seq in 0..20u64 {
        let mut r = record(seq, pool);
        r[4..6].copy_from_slice(&99u16.to_ne_bytes());
        bytes.extend(r);
        let mut r = record(seq, pool);
        r[7] = 5;
        bytes.extend(r);
    }
    let cap = write_capture(&dir, &bytes);
    let out = run(&["decode", cap.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout).lines().count(), 20);
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 2, "{err}");
    assert!(
        err.contains("warning: record type 99 (first at seq 0) is unknown"),
        "{err}"
    );
    assert!(err.contains("warning: the module writes ABI 2.5"), "{err}");
}

#[test]
fn watch_a_capture_file_prints_records_and_a_summary() {
    let dir = TempDir::new();
    let cap = write_capture(&dir, &capture());
    let mut args = vec!["-d", cap.to_str().unwrap(), "--format", "json"];
    args.extend(QUIET);
    let out = run(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).lines().count(), 7);
    let err = text(&out.stderr);
    assert_eq!(
        err.trim_end(),
        "oom-guard: end of input: 7 records (pressure 1, oom 1, pool 1, kill 1, lost 1, \
         headroom 1, reclaim 1, unknown 0), 4 events lost, 0 dropped"
    );
}

#[test]
fn enrich_attaches_snapshots_from_the_real_proc_and_a_fixture() {
    let dir = TempDir::new();
    let cap = write_capture(&dir, &capture());
    let mut args = vec!["-d", cap.to_str().unwrap(), "--format", "json", "--enrich"];
    args.extend(["--enrich-interval-ms", "0", "--enrich-top", "3"]);
    args.extend(QUIET);
    let out = run(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let lines: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let with: Vec<bool> = lines.iter().map(|v| v.get("enrich").is_some()).collect();
    // pressure to min, oom and kill get one; pool, lost, headroom and reclaim do not.
    assert_eq!(with, [true, true, false, true, false, false, false]);
    let e = &lines[1]["enrich"];
    assert!(e["mem_available_kib"].as_u64().unwrap() > 0, "{e}");
    let top = e["top"].as_array().unwrap();
    assert!(!top.is_empty() && top.len() <= 3, "{e}");
    assert!(top[0]["rss_kib"].as_u64().unwrap() > 0, "{e}");
    // A fixture /proc with nothing but meminfo.
    let root = dir.path().join("proc");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("meminfo"), "MemFree: 7 kB\n").unwrap();
    let mut args = vec![
        "-d",
        cap.to_str().unwrap(),
        "--format",
        "logfmt",
        "--enrich",
    ];
    args.extend(["--proc-root", root.to_str().unwrap()]);
    args.extend(QUIET);
    let out = run(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let first = text(&out.stdout).lines().next().unwrap().to_string();
    assert!(
        first.contains(" enrich_mem_free_kib=7 enrich_scanned=0 enrich_skipped=0 enrich_truncated=false enrich_top=\"\""),
        "{first}"
    );
}

#[test]
fn watch_with_the_default_survival_settings_still_works() {
    // As root this sets oom_score_adj -1000 and locks memory; otherwise it warns.
    let dir = TempDir::new();
    let cap = write_capture(&dir, &capture());
    let out = run(&["watch", "-d", cap.to_str().unwrap(), "--count", "2"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).lines().count(), 2);
    assert!(text(&out.stderr).contains("oom-guard: count reached: 2 records"));
}

#[test]
fn a_closed_stdout_is_not_an_error() {
    let dir = TempDir::new();
    let bytes: Vec<u8> = (0..20_000u64)
        .flat_map(|s| record(s, &payloads()[2]))
        .collect();
    let cap = write_capture(&dir, &bytes);
    for sub in [
        &["decode", cap.to_str().unwrap()][..],
        &[
            "-d",
            cap.to_str().unwrap(),
            "--no-mlock",
            "--oom-score-adj",
            "0",
        ],
    ] {
        let mut child = bin()
            .args(sub)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert!(first.contains("pool release"), "{first}");
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{sub:?}");
        let err = text(&out.stderr);
        assert!(!err.contains("error"), "{err}");
    }
}

#[test]
fn watch_a_fifo_until_sigterm() {
    let dir = TempDir::new();
    let fifo = dir.path().join("fifo");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let mut child = bin()
        .args(["-d", fifo.to_str().unwrap(), "--format", "logfmt"])
        .args(QUIET)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Opening for writing waits for the reader to open.
    let mut w = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
    let bytes = capture();
    let (a, b) = bytes.split_at(100);
    w.write_all(a).unwrap();
    w.flush().unwrap();
    std::thread::sleep(Duration::from_millis(50));
    w.write_all(b).unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    for _ in 0..7 {
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        assert!(line.starts_with("seq="), "{line}");
    }
    // The writer stays open: only the signal ends the watch.
    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = child.wait().unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert_eq!(status.code(), Some(0), "{err}");
    assert!(err.starts_with("oom-guard: stopped: 7 records"), "{err}");
    drop(w);
}

#[test]
fn wait_retries_until_the_device_appears() {
    let dir = TempDir::new();
    let dev = dir.path().join("oom_guard");
    let child = bin()
        .args(["-d", dev.to_str().unwrap(), "--wait", "--count", "3"])
        .args(QUIET)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(400));
    let tmp = dir.path().join("staging");
    std::fs::write(&tmp, capture()).unwrap();
    std::fs::rename(&tmp, &dev).unwrap();
    let out = child.wait_with_output().unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert_eq!(text(&out.stdout).lines().count(), 3);
    assert!(
        err.starts_with(&format!(
            "oom-guard: waiting for {} to appear",
            dev.display()
        )),
        "{err}"
    );
}

fn recv_n(sock: &UnixDatagram, n: usize) -> Vec<String> {
    sock.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    (0..n)
        .map(|_| {
            let mut buf = vec![0u8; 65536];
            let len = sock.recv(&mut buf).unwrap();
            text(&buf[..len])
        })
        .collect()
}

#[test]
fn sinks_from_the_command_line() {
    let dir = TempDir::new();
    let cap = write_capture(&dir, &capture());
    let cap = cap.to_str().unwrap();

    let log = dir.path().join("log");
    let server = UnixDatagram::bind(&log).unwrap();
    let out = run(&[
        &[
            "-d",
            cap,
            "--sink",
            "syslog",
            "--syslog-socket",
            log.to_str().unwrap(),
        ][..],
        &QUIET,
    ]
    .concat());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());
    let msgs = recv_n(&server, 7);
    let pris: Vec<&str> = msgs.iter().map(|m| &m[..4]).collect();
    assert_eq!(
        pris,
        ["<27>", "<26>", "<29>", "<26>", "<28>", "<27>", "<29>"]
    );
    assert!(
        msgs[5].contains(": headroom critical (was medium)"),
        "{}",
        msgs[5]
    );
    assert!(msgs[0].contains(" oom-guard["), "{}", msgs[0]);

    let journal = dir.path().join("journal");
    let server = UnixDatagram::bind(&journal).unwrap();
    let out = run(&[
        &[
            "-d",
            cap,
            "--sink",
            "journald",
            "--journal-socket",
            journal.to_str().unwrap(),
        ][..],
        &QUIET,
    ]
    .concat());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let msgs = recv_n(&server, 7);
    assert!(msgs[1].contains("\nOOM_GUARD_EVENT=oom\n"), "{}", msgs[1]);
    for want in [
        "\nPRIORITY=3\n",
        "\nOOM_GUARD_EVENT=headroom\n",
        "\nOOM_GUARD_HEADROOM=critical\n",
        "\nOOM_GUARD_OLD_HEADROOM=medium\n",
        "\nOOM_GUARD_FALL_RATE_PAGES_PER_S=0\n",
        "\nOOM_GUARD_CRITICAL_PAGES=3276\n",
    ] {
        assert!(msgs[5].contains(want), "{want:?} in {}", msgs[5]);
    }
    assert!(
        !msgs[5].contains("OOM_GUARD_TTE_MS"),
        "an unknown value is left out"
    );
    for want in [
        "\nPRIORITY=5\n",
        "\nOOM_GUARD_EVENT=reclaim\n",
        "\nOOM_GUARD_PHASE=onset\n",
        "\nOOM_GUARD_WHO=kswapd\n",
        "\nOOM_GUARD_KSWAPD_CALLS=1\n",
    ] {
        assert!(msgs[6].contains(want), "{want:?} in {}", msgs[6]);
    }
    assert!(msgs[0].contains("\nOOM_GUARD_TTE_MS=700\n"), "{}", msgs[0]);
    assert!(msgs[1].contains("\nOOM_GUARD_LEVEL=min\n"), "{}", msgs[1]);
    assert!(msgs[1].contains("\nOOM_GUARD_SEQ=1\n"), "{}", msgs[1]);
    assert!(msgs[1].contains("\nPRIORITY=2\n"), "{}", msgs[1]);
    assert!(
        msgs[1].contains("\nSYSLOG_IDENTIFIER=oom-guard\n"),
        "{}",
        msgs[1]
    );

    let kmsg = dir.path().join("kmsg");
    std::fs::write(&kmsg, b"").unwrap();
    let out = run(&[
        &[
            "-d",
            cap,
            "--sink",
            "kmsg",
            "--kmsg-path",
            kmsg.to_str().unwrap(),
        ][..],
        &QUIET,
    ]
    .concat());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let k = std::fs::read_to_string(&kmsg).unwrap();
    // Facility daemon, as syslog (issue 16).
    let prefixes: Vec<&str> = k.lines().map(|l| &l[..4]).collect();
    assert_eq!(
        prefixes,
        ["<27>", "<26>", "<29>", "<26>", "<28>", "<27>", "<29>"]
    );

    let out = run(&[&["-d", cap, "--sink", "stderr"][..], &QUIET].concat());
    assert!(out.stdout.is_empty());
    assert_eq!(
        text(&out.stderr).lines().count(),
        8,
        "7 records and the summary"
    );

    // A missing socket is an error at start.
    let out = run(&[
        &[
            "-d",
            cap,
            "--sink",
            "journald",
            "--journal-socket",
            dir.path().join("none").to_str().unwrap(),
        ][..],
        &QUIET,
    ]
    .concat());
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr)
        .contains("opening the journald sink: cannot connect to the journald socket"));
}

#[test]
fn exec_on_runs_hooks_with_the_event_environment() {
    let dir = TempDir::new();
    let cap = write_capture(&dir, &capture());
    let out_file = dir.path().join("hook.out");
    let hook = format!(
        "oom=echo \"$OOM_GUARD_EVENT $OOM_GUARD_LEVEL $OOM_GUARD_SEQ $OOM_GUARD_TIME_NS $OOM_GUARD_PID\" >> {}",
        out_file.display()
    );
    let headroom_hook = format!(
        "headroom-critical=echo \"$OOM_GUARD_EVENT $OOM_GUARD_HEADROOM $OOM_GUARD_OLD_HEADROOM \
         ${{OOM_GUARD_TTE_MS-unset}} $OOM_GUARD_PRIORITY\" >> {}",
        out_file.display()
    );
    let reclaim_hook = format!(
        "reclaim-onset=echo \"$OOM_GUARD_EVENT $OOM_GUARD_PHASE $OOM_GUARD_WHO\" >> {}",
        out_file.display()
    );
    let started = Instant::now();
    let out = run(&[
        &[
            "-d",
            cap.to_str().unwrap(),
            "--exec-on",
            &hook,
            "--exec-on",
            "lost=exit 7",
            "--exec-on",
            &headroom_hook,
            "--exec-on",
            &reclaim_hook,
            "--exec-on",
            "headroom-low=exit 9",
            "--exec-on",
            "reclaim-end=exit 9",
        ][..],
        &QUIET,
    ]
    .concat());
    assert!(started.elapsed() < Duration::from_secs(10));
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    // Hooks run in parallel: compare the lines as a set.
    let mut got: Vec<String> = std::fs::read_to_string(&out_file)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            "headroom critical medium unset 3",
            "oom min 1 7000000001 321",
            "reclaim onset kswapd",
        ]
    );
    assert!(
        err.contains("warning: hook lost=`exit 7` exited with status 7"),
        "{err}"
    );
    assert!(!err.contains("exit 9"), "{err}");
    assert!(err.contains("hooks: 4 run, 1 failed, 0 skipped"), "{err}");
}

#[test]
fn sigint_while_waiting_for_the_device_exits_cleanly() {
    let dir = TempDir::new();
    let dev = dir.path().join("never");
    let mut child = bin()
        .args(["-d", dev.to_str().unwrap(), "--wait"])
        .args(QUIET)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The handlers are in place before the wait starts, so signal after the first message.
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    stderr.read_line(&mut first).unwrap();
    assert!(first.starts_with("oom-guard: waiting for"), "{first}");
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = child.wait().unwrap();
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    assert_eq!(status.code(), Some(0), "{rest}");
    assert_eq!(
        rest,
        format!("oom-guard: stopped while waiting for {}\n", dev.display())
    );
}
