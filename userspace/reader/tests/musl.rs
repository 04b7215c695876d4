//! The binary the project ships: the static musl build of `oom-guard`, where scheduling, memory
//! locking, signals and exit statuses can differ from the glibc test build (musl's
//! `sched_setscheduler()` is a stub that fails with `ENOSYS`, for one).
//!
//! The binary is `target/x86_64-unknown-linux-musl/release/oom-guard`, the one `make userspace`
//! builds (`scripts/test.sh` builds it before the host suite; a binary older than the sources
//! fails the tests), or `OOM_GUARD_MUSL_BIN` when that is set (to run these tests against
//! another build).
#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

use oom_guard_core::abi::{self, Payload, Pool, PoolOp};
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

mod common;

use common::TempDir;

const TARGET: &str = "x86_64-unknown-linux-musl";
const QUIET: [&str; 3] = ["--no-mlock", "--oom-score-adj", "0"];

/// The newest modification time of the `.rs` files under `dir`.
fn newest_source(dir: &Path) -> std::time::SystemTime {
    let mut newest = std::time::UNIX_EPOCH;
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        let t = if p.is_dir() {
            newest_source(&p)
        } else if p.extension().is_some_and(|x| x == "rs") {
            e.metadata().and_then(|m| m.modified()).unwrap_or(newest)
        } else {
            continue;
        };
        newest = newest.max(t);
    }
    newest
}

/// The musl binary: `OOM_GUARD_MUSL_BIN`, or the one `make userspace` builds, which must be
/// newer than the reader's and the ABI's sources. It is not built from here: cargo holds its
/// build lock while `cargo test` runs, so a nested build would wait for ever.
fn musl_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(p) = std::env::var_os("OOM_GUARD_MUSL_BIN") {
            return PathBuf::from(p);
        }
        let reader = Path::new(env!("CARGO_MANIFEST_DIR"));
        let bin = reader
            .join("../target")
            .join(TARGET)
            .join("release/oom-guard");
        let built = std::fs::metadata(&bin).and_then(|m| m.modified());
        let sources = [
            reader.join("src"),
            reader.join("../guard-core/src"),
            reader.join("../../common"),
        ];
        let newest = sources.iter().map(|d| newest_source(d)).max().unwrap();
        match built {
            Ok(t) if t >= newest => bin,
            Ok(_) => panic!(
                "{} is older than the sources: run `make userspace` (scripts/test.sh builds it \
                 before the host suite), or `cargo build --release --target {TARGET} -p oom-guard`",
                bin.display()
            ),
            Err(e) => panic!(
                "{}: {e}: run `make userspace` (scripts/test.sh builds it before the host suite)",
                bin.display()
            ),
        }
    })
}

fn bin() -> Command {
    Command::new(musl_bin())
}

fn run(args: &[&str]) -> Output {
    bin().args(args).stdin(Stdio::null()).output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `n` POOL records, seq `first..`.
fn pool_records(first: u64, n: u64) -> Vec<u8> {
    let p = Payload::Pool(Pool {
        op: PoolOp::Release as u8,
        pages: 256,
        pool_pages: 256,
        target_pages: 512,
        ..Pool::default()
    });
    let mut out = Vec::new();
    let mut buf = vec![0u8; abi::MAX_RECORD_SIZE];
    for seq in first..first + n {
        let len = abi::encode(seq, 7_000_000_000 + seq, 0, &p, &mut buf).unwrap();
        out.extend_from_slice(&buf[..len]);
    }
    out
}

/// The effective capability set of this process has capability `cap`.
fn has_cap(cap: u32) -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
        .is_some_and(|caps| caps & (1 << cap) != 0)
}

/// `(policy, rt_priority, comm)` of every thread of `pid`, from `/proc/PID/task/*/stat`.
fn threads(pid: u32) -> Vec<(u32, u64, u64, String)> {
    let mut out = Vec::new();
    for t in std::fs::read_dir(format!("/proc/{pid}/task")).unwrap() {
        let t = t.unwrap();
        let tid: u32 = t.file_name().to_str().unwrap().parse().unwrap();
        let Ok(stat) = std::fs::read_to_string(t.path().join("stat")) else {
            continue;
        };
        let comm = stat[stat.find('(').unwrap() + 1..stat.rfind(')').unwrap()].to_string();
        // Fields after the comm start at field 3 (state); rt_priority is field 40, policy 41.
        let rest: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
        let rt: u64 = rest[40 - 3].parse().unwrap();
        let policy: u64 = rest[41 - 3].parse().unwrap();
        out.push((tid, policy, rt, comm));
    }
    out
}

/// Waits until `pid` catches SIGTERM (its handlers are in place).
fn wait_for_handlers(pid: u32) {
    let t0 = Instant::now();
    loop {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        let caught = status
            .lines()
            .find_map(|l| l.strip_prefix("SigCgt:"))
            .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
            .unwrap_or(0);
        if caught & (1 << (libc::SIGTERM - 1)) != 0 {
            return;
        }
        assert!(t0.elapsed() < Duration::from_secs(10), "no SIGTERM handler");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn sigterm(child: &Child) {
    let ok = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
}

/// Waits up to `limit` for `child`; kills it after that. Returns the status (if it ended in
/// time) and the time it took.
fn wait_bounded(child: &mut Child, limit: Duration) -> (Option<ExitStatus>, Duration) {
    let t0 = Instant::now();
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return (Some(s), t0.elapsed());
        }
        if t0.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return (None, t0.elapsed());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Waits up to 10 s for `child` to exit; returns its exit code and what it wrote to stderr.
fn end(child: &mut Child) -> (Option<i32>, String) {
    let (status, _) = wait_bounded(child, Duration::from_secs(10));
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        e.read_to_string(&mut err).unwrap();
    }
    (status.and_then(|s| s.code()), err)
}

/// Starts the binary with `args` on a FIFO in `dir` that the test holds open for writing, writes
/// one record and waits for the first byte of its line: the reading thread is then past its
/// set-up (policy, memory lock).
fn start_on_a_fifo(dir: &TempDir, args: &[&str]) -> (Child, std::fs::File) {
    let fifo = dir.fifo();
    // Read and write: never blocks.
    let mut w = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&fifo)
        .unwrap();
    let mut child = bin()
        .args(["-d", fifo.to_str().unwrap()])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    w.write_all(&pool_records(0, 1)).unwrap();
    let mut first = [0u8; 1];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    (child, w)
}

#[test]
fn rt_priority_puts_the_reading_thread_under_sched_fifo() {
    // CAP_SYS_NICE is capability 23.
    if !has_cap(23) {
        println!("SKIP: not root / no CAP_SYS_NICE: SCHED_FIFO cannot be set");
        return;
    }
    let dir = TempDir::new();
    let mut args = vec!["--rt-priority", "7"];
    args.extend(QUIET);
    let (mut child, _w) = start_on_a_fifo(&dir, &args);
    let threads = threads(child.id());
    sigterm(&child);
    let (code, err) = end(&mut child);
    assert_eq!(code, Some(0), "{err}");
    let reader = threads.iter().find(|t| t.0 == child.id()).unwrap();
    assert_eq!(
        (reader.1, reader.2),
        (libc::SCHED_FIFO as u64, 7),
        "the reading thread is not SCHED_FIFO 7: {threads:?}\n{err}"
    );
    let sink = threads.iter().find(|t| t.3 == "oom-guard-sink").unwrap();
    assert_eq!((sink.1, sink.2), (0, 0), "the sink thread stays normal");
    assert!(!err.contains("SCHED_FIFO"), "{err}");
}

/// Runs the musl binary with CAP_SYS_NICE, CAP_IPC_LOCK and CAP_SYS_RESOURCE out of its
/// bounding set, RLIMIT_MEMLOCK and RLIMIT_RTPRIO 0: each survival step fails.
#[test]
fn warnings_carry_their_cause() {
    let dir = TempDir::new();
    let cap = dir.path().join("capture");
    std::fs::write(&cap, pool_records(0, 1)).unwrap();
    let mut cmd = bin();
    cmd.args(["-d", cap.to_str().unwrap(), "--rt-priority", "3"]);
    // SAFETY: between fork and exec only async-signal-safe calls (prctl, setrlimit).
    unsafe {
        cmd.pre_exec(|| {
            // CAP_SYS_NICE, CAP_IPC_LOCK, CAP_SYS_RESOURCE.
            for cap in [23, 14, 24] {
                // Fails without CAP_SETPCAP, where the capability is not held anyway.
                libc::prctl(libc::PR_CAPBSET_DROP, cap as libc::c_ulong, 0, 0, 0);
            }
            let zero = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            libc::setrlimit(libc::RLIMIT_MEMLOCK, &zero);
            libc::setrlimit(libc::RLIMIT_RTPRIO, &zero);
            Ok(())
        });
    }
    let out = cmd.stdin(Stdio::null()).output().unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let warning = |what: &str| {
        err.lines()
            .find(|l| l.starts_with("oom-guard: warning: ") && l.contains(what))
            .unwrap_or_else(|| panic!("no warning about {what}:\n{err}"))
            .to_string()
    };
    let rt = warning("SCHED_FIFO");
    assert!(
        rt.ends_with(": Operation not permitted (os error 1)"),
        "the cause is missing: {rt}"
    );
    let lock = warning("mlockall");
    assert!(lock.contains("(os error "), "the cause is missing: {lock}");
    let adj = warning("oom_score_adj");
    assert!(adj.contains("(os error "), "the cause is missing: {adj}");
}

#[test]
fn memory_is_locked() {
    // CAP_IPC_LOCK is capability 14.
    if !has_cap(14) {
        println!("SKIP: not root / no CAP_IPC_LOCK: mlockall cannot lock the reader");
        return;
    }
    let dir = TempDir::new();
    let (mut child, _w) = start_on_a_fifo(&dir, &["--oom-score-adj", "0"]);
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap();
    sigterm(&child);
    let (code, _) = wait_bounded(&mut child, Duration::from_secs(10));
    assert_eq!(code.and_then(|s| s.code()), Some(0));
    let locked: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmLck:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    assert!(locked > 0, "{status}");
}

#[test]
fn sigterm_with_a_stalled_stdout_ends_within_a_second() {
    let dir = TempDir::new();
    let fifo = dir.fifo();
    let errf = dir.path().join("stderr");
    let mut child = bin()
        .args(["-d", fifo.to_str().unwrap(), "--format", "json"])
        .args(QUIET)
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&errf).unwrap())
        .spawn()
        .unwrap();
    // stdout is a pipe nobody reads.
    let stalled = child.stdout.take();
    // Far more than the pipe, the queue and the FIFO hold: the writer blocks once the reader
    // stops reading, and ends with EPIPE when the reader is gone.
    let path = fifo.clone();
    let writer = std::thread::spawn(move || {
        let mut w = std::fs::OpenOptions::new().write(true).open(path).unwrap();
        let bytes = pool_records(0, 50_000);
        let _ = w.write_all(&bytes);
    });
    wait_for_handlers(child.id());
    std::thread::sleep(Duration::from_millis(500));
    sigterm(&child);
    let (status, took) = wait_bounded(&mut child, Duration::from_secs(15));
    drop(stalled);
    writer.join().unwrap();
    let err = std::fs::read_to_string(&errf).unwrap();
    println!("SIGTERM with a stalled stdout took {took:?}");
    assert!(
        took < Duration::from_millis(1500),
        "SIGTERM took {took:?} with a stalled stdout\n{err}"
    );
    assert_eq!(status.and_then(|s| s.code()), Some(0), "{err}");
    assert!(err.contains("oom-guard: stopped: "), "{err}");
    assert!(
        err.contains("not written"),
        "says what was not written: {err}"
    );
}

#[test]
fn the_first_sigterm_ends_a_wait_for_a_fifo_writer() {
    let dir = TempDir::new();
    let fifo = dir.fifo();
    let mut child = bin()
        .args(["-d", fifo.to_str().unwrap()])
        .args(QUIET)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_handlers(child.id());
    // Let it reach the open() (or the wait for input).
    std::thread::sleep(Duration::from_millis(200));
    sigterm(&child);
    let (status, took) = wait_bounded(&mut child, Duration::from_secs(5));
    assert!(status.is_some(), "still running {took:?} after one SIGTERM");
    assert_eq!(status.and_then(|s| s.code()), Some(0));
    assert!(took < Duration::from_millis(1500), "{took:?}");
}

#[test]
fn a_slow_sink_slows_the_reader_down_instead_of_dropping() {
    let dir = TempDir::new();
    let cap = dir.path().join("capture");
    let n = 5000;
    std::fs::write(&cap, pool_records(0, n)).unwrap();
    let mut child = bin()
        .args([
            "-d",
            cap.to_str().unwrap(),
            "--queue-size",
            "1",
            "--format",
            "json",
        ])
        .args(QUIET)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Nobody reads for a while: the pipe fills and the sink stalls.
    std::thread::sleep(Duration::from_millis(300));
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    let (code, err) = end(&mut child);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out.lines().count() as u64, n, "{err}");
    assert!(err.contains(", 0 dropped"), "{err}");
    assert!(!err.contains("warning"), "{err}");
}

#[test]
fn exit_statuses_match_the_documented_table() {
    let dir = TempDir::new();
    let d = dir.path();
    let s = |p: &Path| p.to_str().unwrap().to_string();
    let missing = s(&d.join("missing"));

    // Random bytes are not records: a decoding error (1), not an incompatible ABI (3).
    let noise = d.join("noise");
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let bytes: Vec<u8> = (0..4096)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    std::fs::write(&noise, &bytes).unwrap();
    // A record of ABI 1.3 (before the first stable ABI): incompatible (3).
    let v1 = d.join("v1");
    let mut rec = pool_records(0, 1);
    rec[6] = 1;
    rec[7] = 3;
    std::fs::write(&v1, &rec).unwrap();
    // A capture only its owner may read.
    let secret = d.join("secret");
    std::fs::write(&secret, pool_records(0, 1)).unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();

    for (args, code, want) in [
        (vec!["-d", &missing], 3, "no such device"),
        (
            vec!["decode", &s(&noise)],
            1,
            "not an oom_guard record stream",
        ),
        (
            vec!["decode", &s(&v1)],
            3,
            "ABI version 1.3 is incompatible",
        ),
        (vec!["decode", &missing], 1, "cannot open"),
        (vec!["--rt-priority", "100"], 2, "100"),
        (
            vec!["-d", &missing, "config", "set", "policy=AVERT"],
            3,
            "no such device",
        ),
        (
            vec!["-d", &missing, "config", "set", "headroom_unit=KIB"],
            3,
            "no such device",
        ),
        (
            vec!["-d", &missing, "config", "set", "headroom_low=99999999999"],
            2,
            "invalid headroom_low=99999999999: accepted range 1..=2147483648",
        ),
        (
            vec![
                "-d",
                &missing,
                "config",
                "set",
                "headroom_low=99999999999999999999999",
            ],
            2,
            "accepted range 1..=2147483648",
        ),
        (vec!["decode", "-d", &missing, &s(&v1)], 2, "decode"),
        (vec!["decode", "--wait", &s(&v1)], 2, "decode"),
        // /dev/urandom answers unknown ioctls with EINVAL: not a value out of range.
        (
            vec!["-d", "/dev/urandom", "stats"],
            3,
            "not the oom_guard device",
        ),
    ] {
        let out = run(&args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: want {want:?} in {err}");
        assert!(!err.contains("out of range"), "{args:?}: {err}");
    }

    // An unreadable capture is permission denied (4), as for the device.
    // CAP_SETUID is capability 7.
    if has_cap(7) {
        // Run a copy in the test's own directory (mode 0755): the build tree may sit under a
        // directory other users cannot enter (a `mktemp -d` clone is 0700).
        let copy = d.join("oom-guard");
        std::fs::copy(musl_bin(), &copy).unwrap();
        std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o755)).unwrap();
        let out = Command::new(&copy)
            .args(["decode", &s(&secret)])
            .uid(65534)
            .gid(65534)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(4), "{err}");
        assert!(err.contains("ermission denied"), "{err}");
    } else {
        println!("SKIP: not root: cannot run as another user to test an unreadable file");
    }

    let help = text(&run(&["decode", "--help"]).stdout);
    assert!(!help.contains("--device"), "{help}");
    assert!(!help.contains("--wait"), "{help}");
    assert!(help.contains("--page-size"), "{help}");
}
