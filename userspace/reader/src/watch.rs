//! The watch loop: read records, count them, hand them to the sink thread through a bounded
//! queue, and offer them to the hooks.
//!
//! The reader thread never blocks on output. When the sink falls behind and the queue is full,
//! records are dropped and counted, and the sink thread reports how many (`LOST` records are
//! kept back and delivered in order instead, up to a bound). The loop waits in `poll()` on the
//! source and on an optional stop descriptor (the read end of a signal self-pipe), so a signal
//! ends it cleanly even while a read would block.
//!
//! A stop does not drop what the module has already queued: the loop then reads on without
//! waiting, until the source has nothing more or [`DRAIN_MS`] have passed, and waits for a full
//! queue instead of dropping.

use crate::decode::{DecodeError, Item, Record, StreamDecoder};
use crate::device::READ_BUFFER;
use crate::enrich::{EnrichOptions, Enricher};
use crate::format::FormatOptions;
use crate::hooks::{Hook, HookRunner};
use crate::sink::Sink;
use crate::sys;
use crate::Warn;
use oom_guard_core::abi::{Payload, RecordType};
use std::collections::VecDeque;
use std::fmt;
use std::io::{self, Read};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TryRecvError, TrySendError};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Default capacity of the output queue, in records. The channel allocates every slot up front
/// and `mlockall` keeps them resident, so this is most of the reader's anonymous memory (about
/// 0.7 KiB a record); the module's own ring (1024 records by default) buffers beyond it.
pub const DEFAULT_QUEUE: usize = 256;
/// Most `LOST` records and drop notices kept back while the queue is full.
const MAX_HELD: usize = 1024;
/// How often held-back messages are retried while the source is quiet.
const RETRY_MS: i32 = 100;
/// After a stop, how long the loop goes on reading what the source already has (the module's
/// ring holds at most a few thousand records: milliseconds of work).
pub const DRAIN_MS: u64 = 1000;

/// What the watch loop is asked to do.
#[derive(Clone, Debug)]
pub struct WatchOptions {
    /// Output queue capacity in records (at least 1).
    pub queue_size: usize,
    /// Stop after this many records (of known types).
    pub count: Option<u64>,
    /// `--exec-on` hooks.
    pub hooks: Vec<Hook>,
    /// Least time between two runs of one hook.
    pub hook_interval: Duration,
    /// Formatting options for hook environments and snapshots.
    pub format: FormatOptions,
    /// `--enrich`: attach a snapshot of `/proc` to OOM, kill and `min` events.
    pub enrich: Option<EnrichOptions>,
    /// Keep the delivery latency of up to this many records (0: none): `CLOCK_MONOTONIC` when
    /// the reader decoded each record minus the record's `time_ns`, for benchmarks. The space is
    /// allocated before the first read.
    pub latency_samples: usize,
    /// Run the reading thread (only it: not the output or hook threads) under `SCHED_FIFO` at
    /// this priority (1 to 99), so that a wake-up preempts whatever runs on the CPU at once
    /// instead of at the next tick, as Android's lmkd does. Best effort: a failure is a warning.
    pub rt_priority: Option<i32>,
}

impl Default for WatchOptions {
    fn default() -> Self {
        Self {
            queue_size: DEFAULT_QUEUE,
            count: None,
            hooks: Vec::new(),
            hook_interval: Duration::from_secs(1),
            format: FormatOptions::default(),
            enrich: None,
            latency_samples: 0,
            rt_priority: None,
        }
    }
}

/// Counters of one watch, printed as the exit summary.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// `PRESSURE` records.
    pub pressure: u64,
    /// `OOM` records.
    pub oom: u64,
    /// `POOL` records.
    pub pool: u64,
    /// `KILL` records.
    pub kill: u64,
    /// `LOST` records.
    pub lost_records: u64,
    /// `HEADROOM` records.
    pub headroom: u64,
    /// `RECLAIM` records.
    pub reclaim: u64,
    /// Records of unknown types (skipped).
    pub unknown: u64,
    /// Events the module reported lost (sum of `LOST` counts).
    pub events_lost: u64,
    /// Records dropped because the output queue was full.
    pub dropped: u64,
    /// Failed writes to a logging sink (not fatal).
    pub sink_errors: u64,
    /// Hooks started.
    pub hooks_run: u64,
    /// Hooks that failed to start or exited non-zero.
    pub hooks_failed: u64,
    /// Hook runs skipped by the rate limit or because the hook queue was full.
    pub hooks_skipped: u64,
}

impl Counters {
    /// Records of all types, unknown ones included.
    pub fn records(&self) -> u64 {
        self.pressure
            + self.oom
            + self.pool
            + self.kill
            + self.lost_records
            + self.headroom
            + self.reclaim
            + self.unknown
    }

    fn count(&mut self, rec: &Record) {
        match rec.rtype() {
            RecordType::Pressure => self.pressure += 1,
            RecordType::Oom => self.oom += 1,
            RecordType::Pool => self.pool += 1,
            RecordType::Kill => self.kill += 1,
            RecordType::Lost => self.lost_records += 1,
            RecordType::Headroom => self.headroom += 1,
            RecordType::Reclaim => self.reclaim += 1,
        }
        if let Payload::Lost(l) = rec.payload {
            self.events_lost = self.events_lost.saturating_add(l.count);
        }
    }
}

impl fmt::Display for Counters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} records (pressure {}, oom {}, pool {}, kill {}, lost {}, headroom {}, reclaim {}, \
             unknown {}), {} events lost, {} dropped",
            self.records(),
            self.pressure,
            self.oom,
            self.pool,
            self.kill,
            self.lost_records,
            self.headroom,
            self.reclaim,
            self.unknown,
            self.events_lost,
            self.dropped
        )?;
        if self.sink_errors > 0 {
            write!(f, ", {} sink errors", self.sink_errors)?;
        }
        if self.hooks_run + self.hooks_failed + self.hooks_skipped > 0 {
            write!(
                f,
                ", hooks: {} run, {} failed, {} skipped",
                self.hooks_run, self.hooks_failed, self.hooks_skipped
            )?;
        }
        Ok(())
    }
}

/// Why a watch ended without an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// The source ended (a capture file, or a FIFO whose writer closed).
    Eof,
    /// The stop descriptor became readable (SIGINT/SIGTERM).
    Stopped,
    /// `count` records were read.
    Count,
}

/// Why a watch failed.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    /// Reading the source failed.
    #[error("reading {}", .path.display())]
    Read {
        /// The source.
        path: PathBuf,
        /// The error.
        #[source]
        source: io::Error,
    },
    /// The source is not a valid record stream.
    #[error("decoding {}", .path.display())]
    Decode {
        /// The source.
        path: PathBuf,
        /// The error.
        #[source]
        source: DecodeError,
    },
    /// Writing to the sink failed (stdout closed, for example).
    #[error("writing events")]
    Sink(#[source] io::Error),
    /// A thread could not be started.
    #[error("starting the {0} thread")]
    Thread(&'static str, #[source] io::Error),
}

/// How a watch ended, with its counters either way.
#[derive(Debug)]
pub struct WatchReport {
    /// What was seen.
    pub counters: Counters,
    /// How it ended.
    pub result: Result<End, WatchError>,
    /// Delivery latencies in ns, in record order, if [`WatchOptions::latency_samples`] asked
    /// for them (the first that many records).
    pub latency_ns: Vec<u64>,
}

/// What goes through the output queue.
#[expect(
    clippy::large_enum_variant,
    reason = "the queue holds records by value: its memory is allocated (and locked) once, \
              with no allocation per event on the reader thread"
)]
enum Msg {
    Record(Record),
    /// This many records were dropped since the last notice.
    Dropped(u64),
}

/// What `poll()` saw.
#[derive(Debug, PartialEq, Eq)]
pub enum Wake {
    /// The source is readable (or at EOF, or failed: `read()` will tell).
    Readable,
    /// The stop descriptor is readable.
    Stop,
    /// Neither, within the timeout (or a signal interrupted the wait).
    Timeout,
}

/// Waits until `src` or `stop` is readable, up to `timeout_ms` (-1: forever).
pub fn wait(
    src: Option<BorrowedFd<'_>>,
    stop: Option<BorrowedFd<'_>>,
    timeout_ms: i32,
) -> io::Result<Wake> {
    Ok(match wait_any(src, [stop, None], timeout_ms)? {
        (_, Some(_)) => Wake::Stop,
        (true, None) => Wake::Readable,
        (false, None) => Wake::Timeout,
    })
}

/// Waits until `src` or one of `stops` is readable (or hung up), up to `timeout_ms`.
/// Returns whether `src` is ready and the index of the first ready stop descriptor; a signal
/// interrupting the wait counts as a timeout.
fn wait_any(
    src: Option<BorrowedFd<'_>>,
    stops: [Option<BorrowedFd<'_>>; 2],
    timeout_ms: i32,
) -> io::Result<(bool, Option<usize>)> {
    let [a, b] = stops;
    let [s, rest @ ..] = match sys::poll_in([src, a, b], timeout_ms) {
        Ok(ready) => ready,
        Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok((false, None)),
        Err(e) => return Err(e),
    };
    Ok((s, rest.iter().position(|&r| r)))
}

/// The output side of the loop: the queue, the messages held back, the sink thread.
struct Output {
    tx: Option<SyncSender<Msg>>,
    held: VecDeque<Msg>,
    thread: Option<std::thread::JoinHandle<io::Result<()>>>,
    /// Hangs up when the sink thread ends, so a reader waiting for input notices at once
    /// that the output is gone (stdout closed while the device is quiet).
    sink_done: UnixStream,
    sink_errors: Arc<AtomicU64>,
    dropped: u64,
}

/// The sink thread closed the queue (it failed or stdout closed).
struct Closed;

impl Output {
    fn start(
        sink: Box<dyn Sink>,
        enricher: Option<Enricher>,
        queue: usize,
        warn: Warn,
    ) -> io::Result<Self> {
        let (tx, rx) = mpsc::sync_channel(queue.max(1));
        let sink_errors = Arc::new(AtomicU64::new(0));
        let errors = Arc::clone(&sink_errors);
        let (sink_done, alive) = UnixStream::pair()?;
        let thread = std::thread::Builder::new()
            .name("oom-guard-sink".into())
            .stack_size(256 * 1024)
            .spawn(move || {
                let r = sink_thread(rx, sink, enricher, &errors, &*warn);
                drop(alive);
                r
            })?;
        Ok(Self {
            tx: Some(tx),
            held: VecDeque::new(),
            thread: Some(thread),
            sink_done,
            sink_errors,
            dropped: 0,
        })
    }

    /// Sends held-back messages in order while the queue takes them.
    fn flush_held(&mut self) -> Result<(), Closed> {
        let Some(tx) = &self.tx else {
            return Err(Closed);
        };
        while let Some(msg) = self.held.pop_front() {
            match tx.try_send(msg) {
                Ok(()) => {}
                Err(TrySendError::Full(msg)) => {
                    self.held.push_front(msg);
                    break;
                }
                Err(TrySendError::Disconnected(_)) => return Err(Closed),
            }
        }
        Ok(())
    }

    /// Counts a dropped record and arranges for a notice.
    fn drop_one(&mut self) {
        self.dropped += 1;
        let len = self.held.len();
        match self.held.back_mut() {
            Some(Msg::Dropped(n)) => *n += 1,
            _ if len < MAX_HELD => self.held.push_back(Msg::Dropped(1)),
            // Beyond the bound the count still reaches the summary.
            _ => {}
        }
    }

    /// Queues a record without blocking. `LOST` records are held back rather than dropped.
    fn send(&mut self, rec: Record) -> Result<(), Closed> {
        self.flush_held()?;
        let keep = rec.rtype() == RecordType::Lost;
        if !self.held.is_empty() {
            // Keep the order: nothing overtakes held-back messages.
            if keep && self.held.len() < MAX_HELD {
                self.held.push_back(Msg::Record(rec));
            } else {
                self.drop_one();
            }
            return Ok(());
        }
        let Some(tx) = &self.tx else {
            return Err(Closed);
        };
        match tx.try_send(Msg::Record(rec)) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(msg)) => {
                if keep {
                    self.held.push_back(msg);
                } else {
                    self.drop_one();
                }
                Ok(())
            }
            Err(TrySendError::Disconnected(_)) => Err(Closed),
        }
    }

    /// Queues a record, waiting while the queue is full until `deadline`; then as [`send`]
    /// (dropped and counted).
    ///
    /// [`send`]: Output::send
    fn send_by(&mut self, rec: Record, deadline: Instant) -> Result<(), Closed> {
        let mut msg = Msg::Record(rec);
        loop {
            self.flush_held()?;
            if self.held.is_empty() {
                let Some(tx) = &self.tx else {
                    return Err(Closed);
                };
                match tx.try_send(msg) {
                    Ok(()) => return Ok(()),
                    Err(TrySendError::Full(m)) => msg = m,
                    Err(TrySendError::Disconnected(_)) => return Err(Closed),
                }
            }
            if Instant::now() >= deadline {
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        match msg {
            Msg::Record(rec) => self.send(rec),
            Msg::Dropped(_) => Ok(()),
        }
    }

    /// Delivers what is held back (blocking), closes the queue and waits for the sink thread
    /// to write everything; returns its result.
    fn finish(&mut self) -> io::Result<()> {
        if let Some(tx) = self.tx.take() {
            for msg in self.held.drain(..) {
                if tx.send(msg).is_err() {
                    break;
                }
            }
        }
        match self.thread.take().map(|t| t.join()) {
            Some(Ok(r)) => r,
            Some(Err(_)) => Err(io::Error::other("the sink thread panicked")),
            None => Ok(()),
        }
    }
}

/// Writes what comes through the queue; with `--enrich`, takes the snapshots here, so reading
/// `/proc` never delays reading the device.
fn sink_thread(
    rx: Receiver<Msg>,
    mut sink: Box<dyn Sink>,
    mut enricher: Option<Enricher>,
    errors: &AtomicU64,
    warn: &(dyn Fn(&str) + Send + Sync),
) -> io::Result<()> {
    let fatal = sink.errors_are_fatal();
    let mut failing = false;
    loop {
        let msg = match rx.try_recv() {
            Ok(m) => m,
            Err(TryRecvError::Empty) => {
                sink.flush()?;
                match rx.recv() {
                    Ok(m) => m,
                    Err(_) => break,
                }
            }
            Err(TryRecvError::Disconnected) => break,
        };
        match msg {
            Msg::Record(rec) => {
                let snap = enricher
                    .as_mut()
                    .and_then(|e| e.for_record(&rec, Instant::now()));
                match sink.emit(&rec, snap.as_ref()) {
                    Ok(()) => {
                        if failing {
                            warn("the sink works again");
                            failing = false;
                        }
                    }
                    Err(e) if fatal => return Err(e),
                    Err(e) => {
                        errors.fetch_add(1, Ordering::Relaxed);
                        if !failing {
                            warn(&format!(
                            "writing to the sink failed: {e}; counting failures until it works again"
                        ));
                            failing = true;
                        }
                    }
                }
            }
            Msg::Dropped(n) => warn(&format!(
                "output queue full: dropped {n} record{} (the sink is too slow)",
                if n == 1 { "" } else { "s" }
            )),
        }
    }
    sink.flush()
}

/// Follows `src` until it ends, `stop` becomes readable, `count` records were read or an
/// error happens; writes every record to `sink` on a separate thread.
///
/// `path` names the source in errors. Forward-compatibility notices, drop notices, sink and
/// hook failures go to `warn`.
pub fn watch<R: Read + AsFd>(
    src: &mut R,
    path: &Path,
    stop: Option<BorrowedFd<'_>>,
    sink: Box<dyn Sink>,
    opts: WatchOptions,
    warn: Warn,
) -> WatchReport {
    let mut counters = Counters::default();
    let mut latency_ns = Vec::with_capacity(opts.latency_samples);
    let enricher = opts
        .enrich
        .clone()
        .map(|e| Enricher::new(e, opts.format.page_size));
    let mut out = match Output::start(sink, enricher, opts.queue_size, Arc::clone(&warn)) {
        Ok(o) => o,
        Err(e) => {
            return WatchReport {
                counters,
                result: Err(WatchError::Thread("output", e)),
                latency_ns,
            }
        }
    };
    let mut hooks = if opts.hooks.is_empty() {
        None
    } else {
        match HookRunner::start(
            opts.hooks.clone(),
            opts.hook_interval,
            opts.format,
            Arc::clone(&warn),
        ) {
            Ok(h) => Some(h),
            Err(e) => {
                let _ = out.finish();
                return WatchReport {
                    counters,
                    result: Err(WatchError::Thread("hook", e)),
                    latency_ns,
                };
            }
        }
    };
    let result = read_loop(
        src,
        path,
        stop,
        &opts,
        &warn,
        &mut counters,
        &mut latency_ns,
        &mut out,
        hooks.as_mut(),
    );
    let sink_result = out.finish();
    counters.dropped = out.dropped;
    counters.sink_errors = out.sink_errors.load(Ordering::Relaxed);
    if let Some(h) = hooks.as_mut() {
        h.finish();
        counters.hooks_run = h.started();
        counters.hooks_failed = h.failed();
        counters.hooks_skipped = h.rate_limited + h.dropped;
    }
    // A sink failure explains a closed queue; otherwise the reader's result stands.
    let result = match (result, sink_result) {
        (Err(Some(e)), _) => Err(e),
        (_, Err(e)) => Err(WatchError::Sink(e)),
        (Ok(end), Ok(())) => Ok(end),
        // The queue closed without a sink error: treat as the end of output.
        (Err(None), Ok(())) => Ok(End::Stopped),
    };
    WatchReport {
        counters,
        result,
        latency_ns,
    }
}

/// The reader side. `Err(None)` means the output queue closed (the sink thread's result says
/// why).
#[expect(
    clippy::too_many_arguments,
    reason = "one call site, all state of one loop"
)]
fn read_loop<R: Read + AsFd>(
    src: &mut R,
    path: &Path,
    stop: Option<BorrowedFd<'_>>,
    opts: &WatchOptions,
    warn: &Warn,
    counters: &mut Counters,
    latency_ns: &mut Vec<u64>,
    out: &mut Output,
    mut hooks: Option<&mut HookRunner>,
) -> Result<End, Option<WatchError>> {
    let read_err = |source| {
        Some(WatchError::Read {
            path: path.to_path_buf(),
            source,
        })
    };
    let decode_err = |source| {
        Some(WatchError::Decode {
            path: path.to_path_buf(),
            source,
        })
    };
    if let Some(prio) = opts.rt_priority {
        if let Err(e) = crate::survive::realtime(prio) {
            warn(&e.to_string());
        }
    }
    let mut dec = StreamDecoder::new();
    let mut buf = vec![0u8; READ_BUFFER];
    let mut records = 0u64;
    // Set by a stop: read on, without waiting, until then.
    let mut drain_until: Option<Instant> = None;
    loop {
        if opts.count.is_some_and(|c| records >= c) {
            return Ok(End::Count);
        }
        let (timeout, stop) = match drain_until {
            Some(_) => (0, None),
            None if out.held.is_empty() => (-1, stop),
            None => (RETRY_MS, stop),
        };
        let ready = wait_any(
            Some(src.as_fd()),
            [stop, Some(out.sink_done.as_fd())],
            timeout,
        );
        match ready.map_err(read_err)? {
            (_, Some(0)) => {
                drain_until = Some(Instant::now() + Duration::from_millis(DRAIN_MS));
                continue;
            }
            // The sink thread ended: its result says why.
            (_, Some(_)) => return Err(None),
            // Drained: the source has nothing more.
            (false, None) if drain_until.is_some() => return Ok(End::Stopped),
            (false, None) => {
                out.flush_held().map_err(|Closed| None)?;
                continue;
            }
            (true, None) if drain_until.is_some_and(|d| Instant::now() >= d) => {
                return Ok(End::Stopped)
            }
            (true, None) => {}
        }
        let n = match src.read(&mut buf) {
            Ok(0) => {
                dec.finish().map_err(decode_err)?;
                return Ok(End::Eof);
            }
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::Interrupted | io::ErrorKind::WouldBlock
                ) =>
            {
                continue
            }
            Err(e) => return Err(read_err(e)),
        };
        dec.push(buf.get(..n).unwrap_or_default());
        while let Some(item) = dec.next_item().map_err(decode_err)? {
            match item {
                Item::Warning(w) => warn(&w.to_string()),
                Item::Skipped(_) => counters.unknown += 1,
                Item::Record(rec) => {
                    // Never grows: the space was reserved up front.
                    if latency_ns.len() < opts.latency_samples {
                        latency_ns
                            .push(crate::sys::monotonic_ns().saturating_sub(rec.header.time_ns));
                    }
                    counters.count(&rec);
                    records += 1;
                    if let Some(h) = hooks.as_deref_mut() {
                        h.offer(&rec, Instant::now());
                    }
                    match drain_until {
                        Some(d) => out.send_by(rec, d),
                        None => out.send(rec),
                    }
                    .map_err(|Closed| None)?;
                    if opts.count.is_some_and(|c| records >= c) {
                        return Ok(End::Count);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::tests::{encoded, patched, samples, stream};
    use crate::enrich::{EnrichOptions, Snapshot};
    use crate::format::{self, Format};
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
        fn emit(&mut self, rec: &Record, enrich: Option<&Snapshot>) -> io::Result<()> {
            let mut blocked = self.gate.0.lock().unwrap();
            while *blocked {
                blocked = self.gate.1.wait(blocked).unwrap();
            }
            if let Some(kind) = self.fail_with {
                return Err(io::Error::from(kind));
            }
            let line = format::line(Format::Json, rec, enrich, &OPTS);
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

    #[test]
    fn latency_is_kept_for_the_first_records_only() {
        let dir = TempDir::new();
        let (mut f, path) = capture(&dir, &stream());
        let (warn, _log) = warnings();
        let opts = WatchOptions {
            latency_samples: 5,
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
        let after = crate::sys::monotonic_ns();
        assert_eq!(r.result.unwrap(), End::Eof);
        assert_eq!(r.latency_ns.len(), 5, "7 records, room for 5");
        // The clock when decoded minus the record's time: never more than the clock now.
        assert!(r.latency_ns.iter().all(|&l| l > 0 && l <= after));
        let (mut f, path) = capture(&dir, &stream());
        let (warn, _log) = warnings();
        let r = watch(
            &mut f,
            &path,
            None,
            Box::new(Collect::default()),
            options(),
            warn,
        );
        assert!(r.latency_ns.is_empty());
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
            log[1].contains(&format!("ABI 1.{}", oom_guard_core::abi::ABI_MINOR + 1)),
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

    /// Watches a source that already holds `records` POOL records, with the stop already
    /// signalled, through a queue of `queue` and a sink blocked for `blocked_ms`. The writer
    /// stays open, so only the source running dry (or the drain's bound) ends the watch.
    fn watch_stopped(records: u64, queue: usize, blocked_ms: u64) -> (WatchReport, Collect) {
        let (mut writer, mut reader) = UnixStream::pair().unwrap();
        let pool = samples()[2];
        for seq in 0..records {
            writer.write_all(&encoded(seq, &pool)).unwrap();
        }
        let (stop_w, stop_r) = UnixStream::pair().unwrap();
        (&stop_w).write_all(b"x").unwrap();
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
        let r = watch(
            &mut reader,
            Path::new("device"),
            Some(stop_r.as_fd()),
            Box::new(sink.clone()),
            opts,
            warn,
        );
        t.join().unwrap();
        drop(writer);
        if r.counters.dropped == 0 {
            assert!(log.lock().unwrap().is_empty());
        }
        (r, sink)
    }

    #[test]
    fn a_stop_delivers_what_the_source_already_has() {
        // The sink is slower than a queue of 2 while the records come in.
        let start = Instant::now();
        let (r, sink) = watch_stopped(40, 2, 100);
        assert_eq!(r.result.unwrap(), End::Stopped);
        assert_eq!(sink.lines().len(), 40);
        assert_eq!(r.counters.dropped, 0);
        assert!(
            start.elapsed() < Duration::from_millis(DRAIN_MS),
            "{:?}",
            start.elapsed()
        );
    }

    #[test]
    fn a_drain_is_bounded_by_a_stuck_sink() {
        // The sink is released only after the drain gave up: the rest is dropped and counted.
        let (r, sink) = watch_stopped(10, 1, DRAIN_MS + 300);
        assert_eq!(r.result.unwrap(), End::Stopped);
        assert!(r.counters.dropped > 0);
        assert_eq!(sink.lines().len() as u64 + r.counters.dropped, 10);
    }

    #[test]
    fn a_slow_sink_drops_records_but_never_lost_ones() {
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
        // The sink thread may hold one record while blocked, plus 4 queued.
        assert!(lines.len() <= 6, "{}", lines.len());
        assert!(
            lines.last().unwrap().contains("\"type\":\"lost\""),
            "{lines:?}"
        );
        assert_eq!(r.counters.dropped as usize + lines.len(), 60);
        assert_eq!(r.counters.lost_records, 1);
        let log = log.lock().unwrap();
        let reported: u64 = log
            .iter()
            .map(|l| {
                l.strip_prefix("output queue full: dropped ")
                    .and_then(|r| r.split(' ').next())
                    .unwrap()
                    .parse::<u64>()
                    .unwrap()
            })
            .sum();
        assert_eq!(reported, r.counters.dropped, "{log:?}");
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
}
