//! The watch loop: read records, count them, hand them to the sink thread through a bounded
//! queue, and offer them to the hooks.
//!
//! When the sink falls behind and the queue is full, the reader thread stops reading until
//! there is room (backpressure): the module's ring holds what it has not read, and if the ring
//! overflows, the module says how many events were lost with a `LOST` record. Nothing is
//! dropped between the ring and the sink. The loop waits in `poll()` on the source (or for
//! room) and on an optional stop descriptor (the read end of a signal self-pipe), so a signal
//! ends it cleanly even while a read would block or the sink is stalled.
//!
//! A stop does not drop what the module has already queued: the loop then reads on without
//! waiting, until the source has nothing more, and the sink writes what is queued, all within
//! [`DRAIN_MS`] of the stop. A sink still stalled then is abandoned, and the records it did not
//! write are counted (`dropped` in the summary).
//!
//! The loop is here; the queue and the sink thread are in `output.rs`, the tests in `tests.rs`.

mod output;

use crate::cgroup::Resolver;
use crate::decode::{DecodeError, Item, Record, StreamDecoder};
use crate::device::READ_BUFFER;
use crate::enrich::{EnrichOptions, Enricher};
use crate::format::FormatOptions;
use crate::hooks::{Hook, HookRunner};
use crate::metrics::Tally;
use crate::sink::Sink;
use crate::sys;
use crate::Warn;
use oom_guard_core::abi::{Payload, RecordType};
use output::{Closed, Finished, Output, Sent};
use std::fmt;
use std::io::{self, Read};
use std::os::fd::{AsFd, BorrowedFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Default capacity of the output queue, in records. The channel allocates every slot up front
/// and `mlockall` keeps them resident, so this is most of the reader's anonymous memory (about
/// 0.7 KiB a record); the module's own ring (1024 records by default) buffers beyond it.
pub const DEFAULT_QUEUE: usize = 256;
/// After a stop, how long the loop goes on reading what the source already has and the sink
/// writing what is queued (the module's ring holds at most a few thousand records:
/// milliseconds of work), so that SIGTERM ends the reader within about this long.
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
    /// The cgroup v2 mount under which `KILL` victims' cgroup ids are resolved to paths
    /// (`cgroup`), on the sink and hook threads; `None`: not resolved (a capture from another
    /// boot, whose ids would name the wrong cgroups).
    pub cgroup_root: Option<PathBuf>,
    /// `--metrics-file`: counts of what this watch reads, for the metrics thread.
    pub tally: Option<Arc<Tally>>,
    /// Keep the delivery latency of up to this many records (0: none), for benchmarks: see
    /// [`Latency`]. The space is allocated before the first read.
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
            cgroup_root: None,
            tally: None,
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
    /// Records read but not written: at a stop, those the sink could not write within
    /// [`DRAIN_MS`] (a stalled stdout); or those left when the sink failed.
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

/// One record's delivery latency, kept for benchmarks ([`WatchOptions::latency_samples`]).
///
/// Measured from the end of the event the record stands for, which is its `time_ns` for every
/// record but a coalesced `OOM` one: that one is stamped with its first notifier call and goes
/// out only once the calls have stopped, so it is measured from its last call, `time_ns +
/// span_us × 1000` ([`Oom::end_ns`](oom_guard_core::abi::Oom::end_ns)). From its first, the
/// latency would count the time the killed victim took to exit as delivery time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Latency {
    /// `CLOCK_MONOTONIC` when the reader decoded the record, right after the `read()` that
    /// returned it, minus `time_ns` (below), in ns; 0 if that is later.
    pub lat_ns: u64,
    /// When the event the record stands for ended (`CLOCK_MONOTONIC`, ns): the record's
    /// `time_ns`, when the module stamped the event, or for an `OOM` record the time of the
    /// last call it stands for, `time_ns + span_us × 1000`.
    pub time_ns: u64,
    /// The record's place among the records decoded after one `read()`: 0 for the first. A
    /// later record waited for the `read()` that the first one woke, and then for the
    /// records decoded before it.
    pub pos: u32,
}

impl Latency {
    /// The latency of `rec`, decoded at `now_ns` (`CLOCK_MONOTONIC`), the `pos`-th record
    /// decoded after its `read()`.
    pub fn of(rec: &Record, now_ns: u64, pos: u32) -> Self {
        let time_ns = match &rec.payload {
            Payload::Oom(o) => o.end_ns(rec.header.time_ns),
            _ => rec.header.time_ns,
        };
        Self {
            lat_ns: now_ns.saturating_sub(time_ns),
            time_ns,
            pos,
        }
    }
}

/// A column of [`write_lists`]: its name and how to get its value from a row.
pub type Column<T> = (&'static str, fn(&T) -> u64);

/// Writes benchmark log lines of up to 100 rows: for each column, `name=N,N,...` with the
/// column's value for each row, the lists of a line separated by spaces (as
/// `--latency-log` and `wakefloor` write them: `lat_ns=… time_ns=… pos=…`).
pub fn write_lists<T>(
    out: &mut impl io::Write,
    rows: &[T],
    columns: &[Column<T>],
) -> io::Result<()> {
    for chunk in rows.chunks(100) {
        let lists: Vec<String> = columns
            .iter()
            .map(|(name, f)| {
                let values: Vec<String> = chunk.iter().map(|r| f(r).to_string()).collect();
                format!("{name}={}", values.join(","))
            })
            .collect();
        writeln!(out, "{}", lists.join(" "))?;
    }
    Ok(())
}

/// Writes delivery latencies as `lat_ns=N,... time_ns=N,... pos=N,...` lines of up to 100
/// records (`oom-guard watch --latency-log`).
pub fn write_latency_lines(out: &mut impl io::Write, lat: &[Latency]) -> io::Result<()> {
    write_lists(
        out,
        lat,
        &[
            ("lat_ns", |l| l.lat_ns),
            ("time_ns", |l| l.time_ns),
            ("pos", |l| u64::from(l.pos)),
        ],
    )
}

/// How a watch ended, with its counters either way.
#[derive(Debug)]
pub struct WatchReport {
    /// What was seen.
    pub counters: Counters,
    /// How it ended.
    pub result: Result<End, WatchError>,
    /// Delivery latencies in record order, if [`WatchOptions::latency_samples`] asked for
    /// them (the first that many records).
    pub latency: Vec<Latency>,
    /// The sink was still blocked when the time to drain ran out and its thread was left
    /// behind: end the process with [`exit_now`], not by returning from `main`, whose flush of
    /// stdout would block on that stalled stdout.
    pub abandoned: bool,
}

/// Ends the process at once with `code`: no exit handlers and no flush of stdout (see
/// [`WatchReport::abandoned`]).
pub fn exit_now(code: u8) -> ! {
    sys::exit_now(code)
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
    let mut latency = Vec::with_capacity(opts.latency_samples);
    let enricher = opts
        .enrich
        .clone()
        .map(|e| Enricher::new(e, opts.format.page_size));
    let resolver = opts.cgroup_root.as_ref().map(Resolver::new);
    let mut out = match Output::start(
        sink,
        enricher,
        resolver.clone(),
        opts.queue_size,
        Arc::clone(&warn),
    ) {
        Ok(o) => o,
        Err(e) => {
            return WatchReport {
                counters,
                result: Err(WatchError::Thread("output", e)),
                latency,
                abandoned: false,
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
            resolver,
            Arc::clone(&warn),
        ) {
            Ok(h) => Some(h),
            Err(e) => {
                let _ = out.finish(None, None, Duration::ZERO);
                return WatchReport {
                    counters,
                    result: Err(WatchError::Thread("hook", e)),
                    latency,
                    abandoned: false,
                };
            }
        }
    };
    let mut drain_until = None;
    let result = read_loop(
        src,
        path,
        stop,
        &opts,
        &warn,
        &mut counters,
        &mut latency,
        &mut out,
        hooks.as_mut(),
        &mut drain_until,
    );
    let drain = Duration::from_millis(DRAIN_MS);
    let (sink_result, abandoned) = match out.finish(stop, drain_until, drain) {
        Finished::Done(r) => (r, false),
        Finished::Abandoned => (Ok(()), true),
    };
    counters.dropped = out.not_written();
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
        latency,
        abandoned,
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
    latency: &mut Vec<Latency>,
    out: &mut Output,
    mut hooks: Option<&mut HookRunner>,
    drain_until: &mut Option<Instant>,
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
            warn(&crate::chain(&e));
        }
    }
    let mut dec = StreamDecoder::new();
    let mut buf = vec![0u8; READ_BUFFER];
    let mut records = 0u64;
    // Set by a stop: read on, without waiting, until then.
    let drain = Duration::from_millis(DRAIN_MS);
    loop {
        if opts.count.is_some_and(|c| records >= c) {
            return Ok(End::Count);
        }
        let (timeout, stop) = match drain_until {
            Some(_) => (0, None),
            None => (-1, stop),
        };
        let ready = wait_any(
            Some(src.as_fd()),
            [stop, Some(out.sink_done.as_fd())],
            timeout,
        );
        match ready.map_err(read_err)? {
            (_, Some(0)) => {
                *drain_until = Some(Instant::now() + drain);
                continue;
            }
            // The sink thread ended: its result says why.
            (_, Some(_)) => return Err(None),
            // Drained: the source has nothing more.
            (false, None) if drain_until.is_some() => return Ok(End::Stopped),
            // A signal interrupted the wait.
            (false, None) => continue,
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
        // The place of the next record among those this read() returned.
        let mut pos = 0u32;
        while let Some(item) = dec.next_item().map_err(decode_err)? {
            match item {
                Item::Warning(w) => warn(&w.to_string()),
                Item::Skipped(_) => counters.unknown += 1,
                Item::Record(rec) => {
                    // Never grows: the space was reserved up front.
                    if latency.len() < opts.latency_samples {
                        latency.push(Latency::of(&rec, crate::sys::monotonic_ns(), pos));
                    }
                    pos = pos.saturating_add(1);
                    counters.count(&rec);
                    if let Some(t) = &opts.tally {
                        t.count(&rec);
                    }
                    records += 1;
                    if let Some(h) = hooks.as_deref_mut() {
                        h.offer(&rec, Instant::now());
                    }
                    let stop = if drain_until.is_none() { stop } else { None };
                    match out.send(rec, stop, *drain_until).map_err(|Closed| None)? {
                        Sent::Queued => {}
                        // Stopped while waiting for room: send it again, with the deadline.
                        Sent::Stop(rec) => {
                            let d = *drain_until.get_or_insert_with(|| Instant::now() + drain);
                            if let Sent::Late =
                                out.send(rec, None, Some(d)).map_err(|Closed| None)?
                            {
                                out.late += records_left(&mut dec);
                                return Ok(End::Stopped);
                            }
                        }
                        // The time to drain ran out with the sink stalled.
                        Sent::Late => {
                            out.late += records_left(&mut dec);
                            return Ok(End::Stopped);
                        }
                    }
                    if opts.count.is_some_and(|c| records >= c) {
                        return Ok(End::Count);
                    }
                }
            }
        }
    }
}

/// Counts the records still in `dec`: read, and now never to be written.
fn records_left(dec: &mut StreamDecoder) -> u64 {
    let mut n = 0;
    while let Ok(Some(item)) = dec.next_item() {
        if let Item::Record(_) = item {
            n += 1;
        }
    }
    n
}

#[cfg(test)]
mod tests;
