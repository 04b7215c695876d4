use super::*;
use crate::decode::tests::{encoded, patched, samples, stream};
use crate::enrich::EnrichOptions;
use crate::format::{self, Extra, Format};
use crate::hooks::HookKind;
use crate::sink::WriterSink;
use crate::testutil::TempDir;
use oom_guard_core::abi::Lost;
use std::fs::File;
use std::io::Write;
use std::os::unix::net::UnixStream;
use std::sync::{Condvar, Mutex};

const OPTS: FormatOptions = FormatOptions { page_size: 4096 };

fn warnings() -> (Warn, Arc<Mutex<Vec<String>>>) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let l = Arc::clone(&log);
    (
        Arc::new(move |s: &str| l.lock().unwrap().push(s.to_string())),
        log,
    )
}

/// A sink collecting JSON lines, optionally blocked until released.
#[derive(Clone, Default)]
struct Collect {
    lines: Arc<Mutex<Vec<String>>>,
    gate: Arc<(Mutex<bool>, Condvar)>,
    fail_with: Option<io::ErrorKind>,
    fatal: bool,
}

impl Collect {
    fn blocked() -> Self {
        let c = Self::default();
        *c.gate.0.lock().unwrap() = true;
        c
    }
    fn release(&self) {
        *self.gate.0.lock().unwrap() = false;
        self.gate.1.notify_all();
    }
    fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }
}

impl Sink for Collect {
    fn emit(&mut self, rec: &Record, extra: Extra<'_>) -> io::Result<()> {
        let mut blocked = self.gate.0.lock().unwrap();
        while *blocked {
            blocked = self.gate.1.wait(blocked).unwrap();
        }
        if let Some(kind) = self.fail_with {
            return Err(io::Error::from(kind));
        }
        let line = format::line(Format::Json, rec, extra, &OPTS);
        self.lines.lock().unwrap().push(line);
        Ok(())
    }
    fn errors_are_fatal(&self) -> bool {
        self.fatal
    }
}

fn options() -> WatchOptions {
    WatchOptions {
        format: OPTS,
        ..WatchOptions::default()
    }
}

fn capture(dir: &TempDir, bytes: &[u8]) -> (File, PathBuf) {
    let path = dir.path().join("capture");
    std::fs::write(&path, bytes).unwrap();
    (File::open(&path).unwrap(), path)
}

#[test]
fn a_capture_file_is_read_to_the_end() {
    let dir = TempDir::new();
    let (mut f, path) = capture(&dir, &stream());
    let sink = Collect::default();
    let (warn, log) = warnings();
    let r = watch(&mut f, &path, None, Box::new(sink.clone()), options(), warn);
    assert_eq!(r.result.unwrap(), End::Eof);
    assert_eq!(sink.lines().len(), 7);
    assert_eq!(
        r.counters.to_string(),
        "7 records (pressure 1, oom 1, pool 1, kill 1, lost 1, headroom 1, reclaim 1, \
         unknown 0), 17 events lost, 0 dropped"
    );
    assert!(log.lock().unwrap().is_empty());
}

/// Watches `src` to its end, keeping up to `samples` latencies.
fn watch_latency<R: Read + AsFd>(src: &mut R, path: &Path, samples: usize) -> WatchReport {
    let (warn, _log) = warnings();
    let opts = WatchOptions {
        latency_samples: samples,
        ..options()
    };
    watch(src, path, None, Box::new(Collect::default()), opts, warn)
}

#[test]
fn latency_is_kept_for_the_first_records_only() {
    let dir = TempDir::new();
    let (mut f, path) = capture(&dir, &stream());
    let r = watch_latency(&mut f, &path, 5);
    let after = crate::sys::monotonic_ns();
    assert_eq!(r.result.unwrap(), End::Eof);
    assert_eq!(r.latency.len(), 5, "7 records, room for 5");
    // The clock when decoded minus the record's time: never more than the clock now.
    assert!(r.latency.iter().all(|l| l.lat_ns > 0 && l.lat_ns <= after));
    // Each record's own time, and its place in the one read() that returned them all.
    let times: Vec<u64> = r.latency.iter().map(|l| l.time_ns).collect();
    assert_eq!(
        times,
        (0..5).map(|i| 1_000_000_000 + i * 1000).collect::<Vec<_>>()
    );
    let pos: Vec<u32> = r.latency.iter().map(|l| l.pos).collect();
    assert_eq!(pos, vec![0, 1, 2, 3, 4]);
    let (mut f, path) = capture(&dir, &stream());
    assert!(watch_latency(&mut f, &path, 0).latency.is_empty());
}

#[test]
fn a_coalesced_oom_record_is_measured_from_its_last_call() {
    // 37 kill-pending calls over 412 ms: the record carries the first call's time and goes
    // out after the last. Between a pool record and an OOM record of one call.
    let Payload::Oom(mut o) = samples()[1] else {
        unreachable!()
    };
    o.action = oom_guard_core::abi::OomAction::KillPending as u8;
    (o.calls, o.span_us) = (37, 412_000);
    let bytes = [
        encoded(0, &samples()[2]),
        encoded(1, &Payload::Oom(o)),
        encoded(2, &samples()[1]),
    ]
    .concat();
    let dir = TempDir::new();
    let (mut f, path) = capture(&dir, &bytes);
    let before = crate::sys::monotonic_ns();
    let r = watch_latency(&mut f, &path, 10);
    let after = crate::sys::monotonic_ns();
    assert_eq!(r.result.unwrap(), End::Eof);
    // The OOM record's `time_ns` is 1_000_001_000 (its first call); it ended 412 ms later.
    let times: Vec<u64> = r.latency.iter().map(|l| l.time_ns).collect();
    assert_eq!(times, [1_000_000_000, 1_412_001_000, 1_000_002_000]);
    for l in &r.latency {
        assert!(
            (before - l.time_ns..=after - l.time_ns).contains(&l.lat_ns),
            "{l:?}"
        );
    }
    // The log carries that end as the record's time.
    let mut out = Vec::new();
    write_latency_lines(&mut out, &r.latency).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains(" time_ns=1000000000,1412001000,1000002000 pos=0,1,2"),
        "{text}"
    );
    // Decoded at a given moment: measured from the span's end, 0 before it.
    let items = crate::decode::decode_all(&bytes).unwrap();
    let [_, Item::Record(rec), _] = items.as_slice() else {
        panic!("{items:?}")
    };
    assert_eq!(rec.header.time_ns, 1_000_001_000);
    assert_eq!(
        Latency::of(rec, 1_412_501_000, 1),
        Latency {
            lat_ns: 500_000,
            time_ns: 1_412_001_000,
            pos: 1
        }
    );
    assert_eq!(Latency::of(rec, 1_200_000_000, 0).lat_ns, 0);
}

#[test]
fn latency_log_lines_hold_three_parallel_lists_of_up_to_100() {
    let lat: Vec<Latency> = (0..101u64)
        .map(|i| Latency {
            lat_ns: 1000 + i,
            time_ns: 5_000_000_000 + i,
            pos: (i % 3) as u32,
        })
        .collect();
    let mut out = Vec::new();
    write_latency_lines(&mut out, &lat).unwrap();
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(lines[0].starts_with("lat_ns=1000,1001,"));
    assert!(lines[0].contains(" time_ns=5000000000,5000000001,"));
    assert!(lines[0].ends_with(",1,2,0,1,2,0"));
    assert_eq!(lines[0].matches(',').count(), 3 * 99);
    assert_eq!(lines[1], "lat_ns=1100 time_ns=5000000100 pos=1");
    let mut out = Vec::new();
    write_latency_lines(&mut out, &[]).unwrap();
    assert!(out.is_empty());
}

/// A source whose `read()`s return the given chunks, one each; always readable.
struct Chunks {
    chunks: std::collections::VecDeque<Vec<u8>>,
    fd: File,
}

impl Read for Chunks {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let Some(c) = self.chunks.pop_front() else {
            return Ok(0);
        };
        buf[..c.len()].copy_from_slice(&c);
        Ok(c.len())
    }
}

impl AsFd for Chunks {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

#[test]
fn latency_positions_restart_with_each_read() {
    let dir = TempDir::new();
    let (fd, path) = capture(&dir, b"");
    let rec: Vec<Vec<u8>> = samples()
        .iter()
        .enumerate()
        .map(|(i, p)| encoded(i as u64, p))
        .collect();
    // Reads of 1, 3 and 2 records, then one record split over two reads: it is the first
    // record decoded after the second of them.
    let half = rec[6].len() / 2;
    let chunks = [
        rec[0].clone(),
        rec[1..4].concat(),
        rec[4..6].concat(),
        rec[6][..half].to_vec(),
        rec[6][half..].to_vec(),
    ];
    let mut src = Chunks {
        chunks: chunks.into_iter().collect(),
        fd,
    };
    let r = watch_latency(&mut src, &path, 100);
    assert_eq!(r.result.unwrap(), End::Eof);
    let pos: Vec<u32> = r.latency.iter().map(|l| l.pos).collect();
    assert_eq!(pos, vec![0, 0, 1, 2, 0, 1, 0]);
    let times: Vec<u64> = r.latency.iter().map(|l| l.time_ns).collect();
    assert_eq!(
        times,
        (0..7).map(|i| 1_000_000_000 + i * 1000).collect::<Vec<_>>()
    );
}

#[test]
fn forward_compat_warnings_come_once() {
    let dir = TempDir::new();
    let pool = samples()[2];
    let mut bytes = Vec::new();
    for seq in 0..10 {
        bytes.extend(patched(seq, &pool, 77, 0, 0));
        bytes.extend(patched(
            seq,
            &pool,
            3,
            oom_guard_core::abi::ABI_MINOR + 1,
            16,
        ));
    }
    let (mut f, path) = capture(&dir, &bytes);
    let sink = Collect::default();
    let (warn, log) = warnings();
    let r = watch(&mut f, &path, None, Box::new(sink.clone()), options(), warn);
    assert_eq!(r.result.unwrap(), End::Eof);
    assert_eq!((r.counters.unknown, r.counters.pool), (10, 10));
    assert_eq!(sink.lines().len(), 10);
    let log = log.lock().unwrap();
    assert_eq!(log.len(), 2, "{log:?}");
    assert!(log[0].contains("record type 77"), "{log:?}");
    assert!(
        log[1].contains(&format!(
            "ABI {}.{}",
            oom_guard_core::abi::ABI_MAJOR,
            oom_guard_core::abi::ABI_MINOR + 1
        )),
        "{log:?}"
    );
}

#[test]
fn incompatible_and_truncated_streams_fail_with_the_path() {
    let dir = TempDir::new();
    let mut b = encoded(0, &samples()[2]);
    b[6] = 9;
    let (mut f, path) = capture(&dir, &b);
    let (warn, _) = warnings();
    let r = watch(
        &mut f,
        &path,
        None,
        Box::new(Collect::default()),
        options(),
        warn,
    );
    let e = r.result.unwrap_err();
    assert!(matches!(
        e,
        WatchError::Decode {
            source: DecodeError::Incompatible { major: 9, .. },
            ..
        }
    ));
    assert!(e.to_string().contains(&path.display().to_string()));
    let mut b = stream();
    b.pop();
    let (mut f, path) = capture(&dir, &b);
    let (warn, _) = warnings();
    let r = watch(
        &mut f,
        &path,
        None,
        Box::new(Collect::default()),
        options(),
        warn,
    );
    assert!(matches!(
        r.result.unwrap_err(),
        WatchError::Decode {
            source: DecodeError::Truncated { .. },
            ..
        }
    ));
    assert_eq!(r.counters.records(), 6, "what came before still counts");
}

#[test]
fn count_stops_early() {
    let dir = TempDir::new();
    let (mut f, path) = capture(&dir, &stream());
    let sink = Collect::default();
    let (warn, _) = warnings();
    let opts = WatchOptions {
        count: Some(2),
        ..options()
    };
    let r = watch(&mut f, &path, None, Box::new(sink.clone()), opts, warn);
    assert_eq!(r.result.unwrap(), End::Count);
    assert_eq!(sink.lines().len(), 2);
}

#[test]
fn a_stop_descriptor_ends_a_blocked_read_and_a_fifo_splits_records() {
    // A socket pair stands in for a FIFO: the reader blocks until bytes arrive.
    let (mut writer, mut reader) = UnixStream::pair().unwrap();
    let (stop_w, stop_r) = UnixStream::pair().unwrap();
    let sink = Collect::default();
    let (warn, _) = warnings();
    let lines = sink.clone();
    let feeder = std::thread::spawn(move || {
        let bytes = stream();
        for piece in bytes.chunks(37) {
            writer.write_all(piece).unwrap();
            std::thread::sleep(Duration::from_millis(2));
        }
        // Wait until everything came through, then stop the watch (keeping the writer open).
        while lines.lines().len() < 5 {
            std::thread::sleep(Duration::from_millis(5));
        }
        (&stop_w).write_all(b"x").unwrap();
        writer
    });
    let r = watch(
        &mut reader,
        Path::new("pipe"),
        Some(stop_r.as_fd()),
        Box::new(sink.clone()),
        options(),
        warn,
    );
    let _writer = feeder.join().unwrap();
    assert_eq!(r.result.unwrap(), End::Stopped);
    let want: Vec<String> = crate::decode::decode_all(&stream())
        .unwrap()
        .iter()
        .filter_map(|i| match i {
            Item::Record(r) => Some(format::json(r, &OPTS)),
            _ => None,
        })
        .collect();
    assert_eq!(sink.lines(), want);
}

/// Watches a source that already holds `records` POOL records through a queue of `queue` and a
/// sink blocked for `blocked_ms`, with the stop signalled after `stop_ms`. The writer stays
/// open, so only the source running dry (or the drain's bound) ends the watch. Returns how long
/// the watch took, and the sink's lines when it returned.
fn watch_stopped(
    records: u64,
    queue: usize,
    blocked_ms: u64,
    stop_ms: u64,
) -> (WatchReport, Collect, Duration, usize) {
    let (mut writer, mut reader) = UnixStream::pair().unwrap();
    let pool = samples()[2];
    for seq in 0..records {
        writer.write_all(&encoded(seq, &pool)).unwrap();
    }
    let (stop_w, stop_r) = UnixStream::pair().unwrap();
    let stopper = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(stop_ms));
        (&stop_w).write_all(b"x").unwrap();
        stop_w
    });
    let sink = Collect::blocked();
    let release = sink.clone();
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(blocked_ms));
        release.release();
    });
    let (warn, log) = warnings();
    let opts = WatchOptions {
        queue_size: queue,
        ..options()
    };
    let start = Instant::now();
    let r = watch(
        &mut reader,
        Path::new("device"),
        Some(stop_r.as_fd()),
        Box::new(sink.clone()),
        opts,
        warn,
    );
    let took = start.elapsed();
    let lines = sink.lines().len();
    t.join().unwrap();
    drop(stopper.join().unwrap());
    drop(writer);
    assert!(log.lock().unwrap().is_empty(), "{:?}", log.lock().unwrap());
    (r, sink, took, lines)
}

#[test]
fn a_stop_delivers_what_the_source_already_has() {
    // The sink is slower than a queue of 2 while the records come in.
    let (r, sink, took, _) = watch_stopped(40, 2, 100, 0);
    assert_eq!(r.result.unwrap(), End::Stopped);
    assert_eq!(sink.lines().len(), 40);
    assert_eq!(r.counters.dropped, 0);
    assert!(!r.abandoned);
    assert!(took < Duration::from_millis(DRAIN_MS), "{took:?}");
}

#[test]
fn a_drain_is_bounded_by_a_stuck_sink() {
    // The sink is released only after the drain gave up: the watch ends at the bound, leaves
    // the sink thread behind and counts every record as not written.
    let (r, _, took, lines) = watch_stopped(10, 1, DRAIN_MS + 500, 0);
    assert_eq!(r.result.unwrap(), End::Stopped);
    assert!(r.abandoned);
    assert_eq!(lines as u64 + r.counters.dropped, 10);
    assert!(took < Duration::from_millis(DRAIN_MS + 300), "{took:?}");
}

#[test]
fn a_stop_ends_a_wait_for_room_in_the_queue() {
    // The reader waits for room (backpressure) when the stop comes: it ends within the drain.
    let (r, _, took, lines) = watch_stopped(50, 1, DRAIN_MS + 800, 100);
    assert_eq!(r.result.unwrap(), End::Stopped);
    assert!(r.abandoned);
    assert_eq!(lines as u64 + r.counters.dropped, 50);
    assert!(
        took >= Duration::from_millis(100) && took < Duration::from_millis(DRAIN_MS + 400),
        "{took:?}"
    );
}

#[test]
fn a_slow_sink_slows_the_reader_down_instead_of_dropping() {
    let dir = TempDir::new();
    let pool = samples()[2];
    let lost = Payload::Lost(Lost {
        count: 5,
        first_seq: 100,
    });
    let mut bytes = Vec::new();
    for seq in 0..50 {
        bytes.extend(encoded(seq, &pool));
    }
    bytes.extend(encoded(50, &lost));
    for seq in 51..60 {
        bytes.extend(encoded(seq, &pool));
    }
    let (mut f, path) = capture(&dir, &bytes);
    let sink = Collect::blocked();
    let (warn, log) = warnings();
    let opts = WatchOptions {
        queue_size: 4,
        ..options()
    };
    let release = sink.clone();
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        release.release();
    });
    let r = watch(&mut f, &path, None, Box::new(sink.clone()), opts, warn);
    t.join().unwrap();
    assert_eq!(r.result.unwrap(), End::Eof);
    let lines = sink.lines();
    // Every record, in order.
    assert_eq!(lines.len(), 60);
    assert!(lines[50].contains("\"type\":\"lost\""), "{lines:?}");
    assert!(lines[59].contains("\"seq\":59"), "{}", lines[59]);
    assert_eq!(r.counters.dropped, 0);
    assert!(!r.abandoned);
    assert!(log.lock().unwrap().is_empty());
}

#[test]
fn a_closed_stdout_ends_the_watch_with_broken_pipe() {
    let dir = TempDir::new();
    let (mut f, path) = capture(&dir, &stream());
    let (warn, _) = warnings();
    let sink = Collect {
        fail_with: Some(io::ErrorKind::BrokenPipe),
        fatal: true,
        ..Collect::default()
    };
    let r = watch(&mut f, &path, None, Box::new(sink), options(), warn);
    let Err(WatchError::Sink(e)) = r.result else {
        panic!("{:?}", r.result);
    };
    assert_eq!(e.kind(), io::ErrorKind::BrokenPipe);
}

#[test]
fn a_failed_sink_ends_the_watch_while_the_source_is_quiet() {
    let (mut writer, mut reader) = UnixStream::pair().unwrap();
    writer.write_all(&encoded(0, &samples()[2])).unwrap();
    let (warn, _) = warnings();
    let sink = Collect {
        fail_with: Some(io::ErrorKind::BrokenPipe),
        fatal: true,
        ..Collect::default()
    };
    let t = Instant::now();
    // The writer stays open and sends nothing more: only the sink's end can stop this.
    let r = watch(
        &mut reader,
        Path::new("quiet"),
        None,
        Box::new(sink),
        options(),
        warn,
    );
    assert!(t.elapsed() < Duration::from_secs(5));
    assert!(
        matches!(r.result, Err(WatchError::Sink(_))),
        "{:?}",
        r.result
    );
    drop(writer);
}

#[test]
fn logging_sink_failures_are_counted_and_reported_once() {
    let dir = TempDir::new();
    let (mut f, path) = capture(&dir, &stream());
    let (warn, log) = warnings();
    let sink = Collect {
        fail_with: Some(io::ErrorKind::ConnectionRefused),
        fatal: false,
        ..Collect::default()
    };
    let r = watch(&mut f, &path, None, Box::new(sink), options(), warn);
    assert_eq!(r.result.unwrap(), End::Eof);
    assert_eq!(r.counters.sink_errors, 7);
    assert!(r.counters.to_string().ends_with(", 7 sink errors"));
    assert_eq!(log.lock().unwrap().len(), 1);
}

#[test]
fn hooks_run_from_the_watch() {
    let dir = TempDir::new();
    let (mut f, path) = capture(&dir, &stream());
    let out = dir.path().join("hook.out");
    let (warn, _) = warnings();
    let opts = WatchOptions {
        hooks: vec![Hook {
            kind: HookKind::Any,
            command: format!("echo $OOM_GUARD_EVENT >> {}", out.display()),
        }],
        hook_interval: Duration::from_secs(60),
        ..options()
    };
    let r = watch(
        &mut f,
        &path,
        None,
        Box::new(Collect::default()),
        opts,
        warn,
    );
    assert_eq!(r.result.unwrap(), End::Eof);
    assert_eq!(r.counters.hooks_run, 1);
    assert_eq!(r.counters.hooks_skipped, 6, "rate-limited");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "pressure\n");
    assert!(r
        .counters
        .to_string()
        .ends_with("hooks: 1 run, 0 failed, 6 skipped"));
}

#[test]
fn enrich_snapshots_oom_kill_and_min_events() {
    let dir = TempDir::new();
    let (mut f, path) = capture(&dir, &stream());
    let proc_root = crate::enrich::tests::fixture();
    let sink = Collect::default();
    let (warn, _) = warnings();
    let opts = WatchOptions {
        enrich: Some(EnrichOptions {
            proc_root: proc_root.path().to_path_buf(),
            interval: Duration::ZERO,
            ..EnrichOptions::default()
        }),
        ..options()
    };
    let r = watch(&mut f, &path, None, Box::new(sink.clone()), opts, warn);
    assert_eq!(r.result.unwrap(), End::Eof);
    let lines = sink.lines();
    let enriched: Vec<(String, bool)> = lines
        .iter()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                v["type"].as_str().unwrap().to_string(),
                v.get("enrich").is_some(),
            )
        })
        .collect();
    // The sample pressure record goes to `low`: no snapshot.
    let want = [
        ("pressure", false),
        ("oom", true),
        ("pool", false),
        ("kill", true),
        ("lost", false),
        ("headroom", false),
        ("reclaim", false),
    ];
    let want: Vec<(String, bool)> = want.iter().map(|(t, e)| (t.to_string(), *e)).collect();
    assert_eq!(enriched, want);
    let v: serde_json::Value = serde_json::from_str(&lines[1]).unwrap();
    assert_eq!(v["enrich"]["mem_available_kib"], 20_000);
    assert_eq!(v["enrich"]["top"][0]["comm"], "memhog");
    assert_eq!(v["enrich"]["top"].as_array().unwrap().len(), 5);
}

#[test]
fn kill_victims_cgroups_are_resolved_for_sinks_and_hooks() {
    use oom_guard_core::abi::{Kill, KILL_MEMCG, KILL_VICTIM};
    use std::os::unix::fs::MetadataExt;
    let dir = TempDir::new();
    let root = dir.path().join("cgroup");
    let foo = root.join("system.slice/foo.service");
    std::fs::create_dir_all(&foo).unwrap();
    let kill = |seq, cgroup_id| {
        encoded(
            seq,
            &Payload::Kill(Kill {
                kills: 1,
                victim_pid: 7,
                victim_tgid: 7,
                flags: KILL_VICTIM | KILL_MEMCG,
                cgroup_id,
                ..Kill::default()
            }),
        )
    };
    let ino = std::fs::metadata(&foo).unwrap().ino();
    let mut bytes = kill(0, ino);
    // A cgroup that is not there: no path.
    bytes.extend(kill(1, u64::MAX - 1));
    let (mut f, path) = capture(&dir, &bytes);
    let out = dir.path().join("hook.out");
    let sink = Collect::default();
    let (warn, _) = warnings();
    let opts = WatchOptions {
        cgroup_root: Some(root.clone()),
        hooks: vec![Hook {
            kind: HookKind::Kill,
            command: format!(
                "echo \"${{OOM_GUARD_CGROUP-none}} $OOM_GUARD_MESSAGE\" >> {}",
                out.display()
            ),
        }],
        hook_interval: Duration::ZERO,
        ..options()
    };
    let r = watch(&mut f, &path, None, Box::new(sink.clone()), opts, warn);
    assert_eq!(r.result.unwrap(), End::Eof);
    let lines = sink.lines();
    let v: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    assert_eq!(v["cgroup"], "/system.slice/foo.service");
    let v: serde_json::Value = serde_json::from_str(&lines[1]).unwrap();
    assert!(v.get("cgroup").is_none(), "{v}");
    let hooks = std::fs::read_to_string(&out).unwrap();
    let mut hooks: Vec<&str> = hooks.lines().collect();
    hooks.sort_unstable();
    assert_eq!(hooks.len(), 2, "{hooks:?}");
    assert!(hooks[0].starts_with("/system.slice/foo.service killed pid 7 "));
    assert!(hooks[0].ends_with(", memcg /system.slice/foo.service"));
    assert!(hooks[1].starts_with("none killed pid 7 "));
    assert!(hooks[1].ends_with(&format!("memcg OOM, cgroup {}", u64::MAX - 1)));
    // Without a root (`decode`, a capture): nothing is resolved.
    let (mut f, path) = capture(&dir, &kill(0, ino));
    let sink = Collect::default();
    let (warn, _) = warnings();
    let r = watch(&mut f, &path, None, Box::new(sink.clone()), options(), warn);
    assert_eq!(r.result.unwrap(), End::Eof);
    assert!(!sink.lines()[0].contains("\"cgroup\""));
}

#[test]
fn writer_sink_end_to_end() {
    let dir = TempDir::new();
    let (mut f, path) = capture(&dir, &stream());
    let out = dir.path().join("out");
    let sink = WriterSink::new(File::create(&out).unwrap(), Format::Logfmt, OPTS);
    let (warn, _) = warnings();
    let r = watch(&mut f, &path, None, Box::new(sink), options(), warn);
    assert_eq!(r.result.unwrap(), End::Eof);
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(text.lines().count(), 7);
    assert!(text.lines().all(|l| l.starts_with("seq=")));
}

#[test]
fn wait_reports_stop_first_and_times_out() {
    let (a, b) = UnixStream::pair().unwrap();
    let (s, t) = UnixStream::pair().unwrap();
    assert_eq!(
        wait(Some(b.as_fd()), Some(t.as_fd()), 0).unwrap(),
        Wake::Timeout
    );
    (&a).write_all(b"x").unwrap();
    assert_eq!(
        wait(Some(b.as_fd()), Some(t.as_fd()), 0).unwrap(),
        Wake::Readable
    );
    (&s).write_all(b"x").unwrap();
    assert_eq!(
        wait(Some(b.as_fd()), Some(t.as_fd()), 0).unwrap(),
        Wake::Stop
    );
    assert_eq!(wait(None, Some(t.as_fd()), 0).unwrap(), Wake::Stop);
}
