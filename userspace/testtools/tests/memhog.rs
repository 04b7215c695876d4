//! memhog end to end on the host: the `MEMHOG_RATE` schedule, the `MEMHOG_PROGRESS_LOG` lines
//! and the unchanged `MEMHOG_PROGRESS` file.

use std::path::PathBuf;
use std::process::Command;

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let p = std::env::temp_dir().join(format!("memhog-test-{tag}-{}", std::process::id()));
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

fn memhog() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_memhog"));
    for v in [
        "MEMHOG_RATE",
        "MEMHOG_PROGRESS",
        "MEMHOG_PROGRESS_LOG",
        "MEMHOG_PATTERN",
    ] {
        c.env_remove(v);
    }
    c
}

/// `(time_ns, kib, mib)` of every log line.
fn log_lines(text: &str) -> Vec<(u64, u64, u64)> {
    text.lines()
        .map(|l| {
            let v: Vec<u64> = l
                .split(' ')
                .map(|kv| kv.split_once('=').unwrap().1.parse().unwrap())
                .collect();
            let keys: Vec<&str> = l
                .split(' ')
                .map(|kv| kv.split_once('=').unwrap().0)
                .collect();
            assert_eq!(keys, ["time_ns", "kib", "mib"], "{l}");
            (v[0], v[1], v[2])
        })
        .collect()
}

#[test]
fn a_fixed_rate_is_never_exceeded_and_kept_on_average() {
    let dir = TempDir::new("rate");
    let log = dir.0.join("log");
    let progress = dir.0.join("progress");
    // 6 MiB in 512 KiB steps at 24 MiB/s: due at 250 ms.
    let out = memhog()
        .args(["6M", "0", "0", "512K"])
        .env("MEMHOG_RATE", "24")
        .env("MEMHOG_PROGRESS_LOG", &log)
        .env("MEMHOG_PROGRESS", &progress)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("memhog: done 6144 KiB in "));
    let lines = log_lines(&std::fs::read_to_string(&log).unwrap());
    assert_eq!(lines.len(), 13, "a start line and one per step: {lines:?}");
    assert_eq!((lines[0].1, lines[0].2), (0, 0));
    assert_eq!((lines[12].1, lines[12].2), (6144, 6));
    let t0 = lines[0].0;
    let rate_kib_per_s = 24 * 1024;
    for w in lines.windows(2) {
        assert!(w[1].0 >= w[0].0, "monotonic: {w:?}");
        assert_eq!(w[1].1, w[0].1 + 512, "512 KiB steps: {w:?}");
    }
    for (t, kib, _) in &lines {
        // Never ahead of the schedule (the start line is logged just after the schedule's
        // start, so allow that much).
        let due_ns = kib * 1_000_000_000 / rate_kib_per_s;
        assert!(t - t0 + 2_000_000 >= due_ns, "{kib} KiB at {} ns", t - t0);
    }
    let elapsed = lines[12].0 - t0;
    assert!(
        (240_000_000..3_000_000_000).contains(&elapsed),
        "{elapsed} ns for 6 MiB at 24 MiB/s"
    );
    // The old progress file: one right-aligned number of KiB, as the guest tests read it.
    assert_eq!(
        std::fs::read_to_string(&progress).unwrap(),
        format!("{:>20}\n", 6144)
    );
}

#[test]
fn without_a_rate_it_runs_free_and_still_logs() {
    let dir = TempDir::new("free");
    let log = dir.0.join("log");
    let out = memhog()
        .arg("3M")
        .env("MEMHOG_RATE", "0")
        .env("MEMHOG_PROGRESS_LOG", &log)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let lines = log_lines(&std::fs::read_to_string(&log).unwrap());
    let kib: Vec<u64> = lines.iter().map(|l| l.1).collect();
    assert_eq!(kib, [0, 1024, 2048, 3072]);
}

#[test]
fn bad_rates_are_usage_errors() {
    for (rate, args, want) in [
        ("fast", &["1M"][..], "MEMHOG_RATE: invalid rate 'fast'"),
        ("-2", &["1M"], "invalid rate '-2'"),
        ("4", &["1M", "8M"], "give the rate once"),
    ] {
        let out = memhog()
            .args(args)
            .env("MEMHOG_RATE", rate)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{rate}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want), "{rate}: {err}");
        assert!(err.contains("MEMHOG_RATE=<MiB/s>"), "{err}");
    }
}
