//! The output side of the watch loop: the bounded queue to the sink thread, and the sink thread
//! itself.
//!
//! When the sink falls behind and the queue is full, the reader thread waits for room instead
//! of dropping records (backpressure): what it has not read stays in the module's ring, which
//! is where loss belongs, reported by the module's own `LOST` record. The wait also ends on a
//! stop (SIGINT/SIGTERM), at a deadline, or when the sink thread ends, so shutdown stays
//! bounded. At the end, the sink thread gets until a deadline to write what is queued; past it,
//! it is abandoned and the records it did not write are counted.

use crate::cgroup::Resolver;
use crate::decode::Record;
use crate::enrich::Enricher;
use crate::format::Extra;
use crate::sink::Sink;
use crate::sys;
use crate::Warn;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TryRecvError, TrySendError};
use std::sync::Arc;
use std::time::Instant;

/// The output side of the loop: the queue and the sink thread.
pub(super) struct Output {
    tx: Option<SyncSender<Record>>,
    thread: Option<std::thread::JoinHandle<io::Result<()>>>,
    /// Hangs up when the sink thread ends, so a reader waiting for input or for room notices at
    /// once that the output is gone (stdout closed while the device is quiet).
    pub(super) sink_done: UnixStream,
    /// Readable when the sink thread took a record off the queue while `waiting` was set.
    room: UnixStream,
    /// Set while the reader waits for room in the queue.
    waiting: Arc<AtomicBool>,
    pub(super) sink_errors: Arc<AtomicU64>,
    /// Records the sink thread has handled (written, or failed and counted).
    handled: Arc<AtomicU64>,
    /// Records queued.
    sent: u64,
    /// Records read but never queued: the stop's deadline passed while the queue was full.
    pub(super) late: u64,
}

/// The sink thread closed the queue (it failed or stdout closed).
pub(super) struct Closed;

/// What [`Output::send`] did with a record.
#[expect(
    clippy::large_enum_variant,
    reason = "returned once per record, never stored: boxing would allocate on the event path"
)]
pub(super) enum Sent {
    /// Queued.
    Queued,
    /// The stop descriptor became readable while the queue was full; the record is handed
    /// back, to be sent again with a deadline.
    Stop(Record),
    /// The deadline passed while the queue was full: not queued, counted in `late`.
    Late,
}

/// How the sink thread ended.
pub(super) enum Finished {
    /// It wrote everything (or failed: its result).
    Done(io::Result<()>),
    /// It did not end by the deadline (a stalled stdout) and was left behind, blocked; the
    /// process must not wait for it, nor flush stdout at exit.
    Abandoned,
}

/// Milliseconds until `deadline` for `poll()`, rounded up; `None` once it has passed.
fn ms_until(deadline: Instant) -> Option<i32> {
    let left = deadline.checked_duration_since(Instant::now())?;
    if left.is_zero() {
        return None;
    }
    Some(i32::try_from(left.as_millis() + 1).unwrap_or(i32::MAX))
}

impl Output {
    pub(super) fn start(
        sink: Box<dyn Sink>,
        enricher: Option<Enricher>,
        cgroups: Option<Resolver>,
        queue: usize,
        warn: Warn,
    ) -> io::Result<Self> {
        let (tx, rx) = mpsc::sync_channel(queue.max(1));
        let sink_errors = Arc::new(AtomicU64::new(0));
        let handled = Arc::new(AtomicU64::new(0));
        let waiting = Arc::new(AtomicBool::new(false));
        let (sink_done, alive) = UnixStream::pair()?;
        let (room, room_w) = UnixStream::pair()?;
        room.set_nonblocking(true)?;
        room_w.set_nonblocking(true)?;
        let state = SinkState {
            errors: Arc::clone(&sink_errors),
            handled: Arc::clone(&handled),
            waiting: Arc::clone(&waiting),
            room: room_w,
        };
        let thread = std::thread::Builder::new()
            .name("oom-guard-sink".into())
            .stack_size(256 * 1024)
            .spawn(move || {
                let r = sink_thread(rx, sink, enricher, cgroups, &state, &*warn);
                drop(alive);
                r
            })?;
        Ok(Self {
            tx: Some(tx),
            thread: Some(thread),
            sink_done,
            room,
            waiting,
            sink_errors,
            handled,
            sent: 0,
            late: 0,
        })
    }

    /// Queues `rec` if there is room; hands it back if the queue is full.
    fn try_send(&mut self, rec: Record) -> Result<Option<Record>, Closed> {
        let Some(tx) = &self.tx else {
            return Err(Closed);
        };
        match tx.try_send(rec) {
            Ok(()) => {
                self.sent += 1;
                Ok(None)
            }
            Err(TrySendError::Full(rec)) => Ok(Some(rec)),
            Err(TrySendError::Disconnected(_)) => Err(Closed),
        }
    }

    /// Queues `rec`, waiting while the queue is full until there is room, `stop` becomes
    /// readable or `deadline` passes.
    pub(super) fn send(
        &mut self,
        rec: Record,
        stop: Option<BorrowedFd<'_>>,
        deadline: Option<Instant>,
    ) -> Result<Sent, Closed> {
        let mut rec = rec;
        loop {
            match self.try_send(rec)? {
                None => return Ok(Sent::Queued),
                Some(r) => rec = r,
            }
            let timeout = match deadline {
                None => -1,
                Some(d) => match ms_until(d) {
                    Some(ms) => ms,
                    None => {
                        self.late += 1;
                        return Ok(Sent::Late);
                    }
                },
            };
            // Announce the wait, then look again: a record the sink took before it saw the
            // flag left room that this attempt finds; one it takes after writes to `room`.
            self.waiting.store(true, Ordering::SeqCst);
            match self.try_send(rec) {
                Ok(None) => {
                    self.waiting.store(false, Ordering::SeqCst);
                    return Ok(Sent::Queued);
                }
                Ok(Some(r)) => rec = r,
                Err(Closed) => {
                    self.waiting.store(false, Ordering::SeqCst);
                    return Err(Closed);
                }
            }
            let fds = [Some(self.room.as_fd()), stop, Some(self.sink_done.as_fd())];
            let ready = sys::poll_in(fds, timeout);
            self.waiting.store(false, Ordering::SeqCst);
            match ready {
                Ok([_, _, true]) => return Err(Closed),
                Ok([_, true, _]) => return Ok(Sent::Stop(rec)),
                Ok(_) => self.drain_room(),
                // A signal, or a poll failure (nothing here can cause one): look again.
                Err(_) => {}
            }
        }
    }

    /// Empties the wake-up socket.
    fn drain_room(&mut self) {
        let mut buf = [0u8; 64];
        while matches!((&self.room).read(&mut buf), Ok(n) if n > 0) {}
    }

    /// Records read but not written: never queued, or queued and not handled by the sink.
    pub(super) fn not_written(&self) -> u64 {
        let handled = self.handled.load(Ordering::Relaxed);
        self.late + self.sent.saturating_sub(handled)
    }

    /// Closes the queue and waits for the sink thread to write what is queued: until it ends,
    /// or until `deadline` if one is given. Without a deadline, `stop` becoming readable sets
    /// one `drain` from then (SIGTERM while a slow sink catches up).
    pub(super) fn finish(
        &mut self,
        stop: Option<BorrowedFd<'_>>,
        deadline: Option<Instant>,
        drain: std::time::Duration,
    ) -> Finished {
        self.tx = None;
        let mut deadline = deadline;
        loop {
            let timeout = match deadline {
                None => -1,
                Some(d) => match ms_until(d) {
                    Some(ms) => ms,
                    None => break,
                },
            };
            let stop = if deadline.is_none() { stop } else { None };
            match sys::poll_in([Some(self.sink_done.as_fd()), stop], timeout) {
                Ok([true, _]) => break,
                Ok([false, true]) => deadline = Some(Instant::now() + drain),
                Ok([false, false]) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // Nothing here can make poll() fail; if it does, wait without a bound.
                Err(_) => break,
            }
        }
        let done = deadline.is_none()
            || sys::poll_in([Some(self.sink_done.as_fd())], 0).is_ok_and(|[r]| r);
        if !done {
            // Detached: it ends with the process.
            self.thread = None;
            return Finished::Abandoned;
        }
        Finished::Done(match self.thread.take().map(|t| t.join()) {
            Some(Ok(r)) => r,
            Some(Err(_)) => Err(io::Error::other("the sink thread panicked")),
            None => Ok(()),
        })
    }
}

/// What the sink thread shares with the reader.
struct SinkState {
    errors: Arc<AtomicU64>,
    handled: Arc<AtomicU64>,
    waiting: Arc<AtomicBool>,
    room: UnixStream,
}

/// Writes what comes through the queue; with `--enrich`, takes the snapshots here, and with a
/// cgroup resolver finds `KILL` victims' cgroup paths here, so reading `/proc` or walking
/// `/sys/fs/cgroup` never delays reading the device.
fn sink_thread(
    rx: Receiver<Record>,
    mut sink: Box<dyn Sink>,
    mut enricher: Option<Enricher>,
    mut cgroups: Option<Resolver>,
    state: &SinkState,
    warn: &(dyn Fn(&str) + Send + Sync),
) -> io::Result<()> {
    let fatal = sink.errors_are_fatal();
    let mut failing = false;
    loop {
        let rec = match rx.try_recv() {
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
        if state.waiting.load(Ordering::SeqCst) {
            // Non-blocking: a full socket already wakes the reader.
            let _ = (&state.room).write(&[1]);
        }
        let snap = enricher
            .as_mut()
            .and_then(|e| e.for_record(&rec, Instant::now()));
        let cgroup = cgroups.as_mut().and_then(|r| r.for_record(&rec));
        let extra = Extra {
            enrich: snap.as_ref(),
            cgroup: cgroup.as_deref(),
        };
        match sink.emit(&rec, extra) {
            Ok(()) => {
                if failing {
                    warn("the sink works again");
                    failing = false;
                }
            }
            Err(e) if fatal => return Err(e),
            Err(e) => {
                state.errors.fetch_add(1, Ordering::Relaxed);
                if !failing {
                    warn(&format!(
                        "writing to the sink failed: {e}; counting failures until it works again"
                    ));
                    failing = true;
                }
            }
        }
        state.handled.fetch_add(1, Ordering::Relaxed);
    }
    sink.flush()
}
