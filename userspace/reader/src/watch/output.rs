//! The output side of the watch loop: the bounded queue to the sink thread, the messages held
//! back while it is full, and the sink thread itself.
//!
//! The reader thread never blocks on output: when the queue is full a record is dropped and
//! counted, and the sink thread reports how many; `LOST` records and drop notices are held back
//! instead, up to [`MAX_HELD`], and delivered in order.

use crate::decode::Record;
use crate::enrich::Enricher;
use crate::sink::Sink;
use crate::Warn;
use oom_guard_core::abi::RecordType;
use std::collections::VecDeque;
use std::io;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TryRecvError, TrySendError};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Most `LOST` records and drop notices kept back while the queue is full.
const MAX_HELD: usize = 1024;

/// What goes through the output queue.
#[expect(
    clippy::large_enum_variant,
    reason = "the queue holds records by value: its memory is allocated (and locked) once, \
              with no allocation per event on the reader thread"
)]
pub(super) enum Msg {
    Record(Record),
    /// This many records were dropped since the last notice.
    Dropped(u64),
}

/// The output side of the loop: the queue, the messages held back, the sink thread.
pub(super) struct Output {
    tx: Option<SyncSender<Msg>>,
    pub(super) held: VecDeque<Msg>,
    thread: Option<std::thread::JoinHandle<io::Result<()>>>,
    /// Hangs up when the sink thread ends, so a reader waiting for input notices at once
    /// that the output is gone (stdout closed while the device is quiet).
    pub(super) sink_done: UnixStream,
    pub(super) sink_errors: Arc<AtomicU64>,
    pub(super) dropped: u64,
}

/// The sink thread closed the queue (it failed or stdout closed).
pub(super) struct Closed;

impl Output {
    pub(super) fn start(
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
    pub(super) fn flush_held(&mut self) -> Result<(), Closed> {
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
    pub(super) fn send(&mut self, rec: Record) -> Result<(), Closed> {
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
    pub(super) fn send_by(&mut self, rec: Record, deadline: Instant) -> Result<(), Closed> {
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
    pub(super) fn finish(&mut self) -> io::Result<()> {
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
