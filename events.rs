// SPDX-License-Identifier: GPL-2.0

//! The event ring: preallocated slots written by the producers (OOM notifier, pool, monitor),
//! read by any number of readers, each with its own cursor.
//!
//! Emitting never allocates and never sleeps (a spinlock and a wake-up), so it is safe on the
//! OOM path. A reader that falls behind gets one `LOST` record with the exact count; it never
//! blocks the producer or the other readers.

use crate::abi::{self, Payload, MAX_RECORD_SIZE};
use crate::ffi::compat::{self, new_poll_condvar, PollCondVar};
use crate::ring::{Next, RingIndex};
use kernel::{new_spinlock, prelude::*, sync::SpinLock, uaccess::UserSliceWriter};

/// One stored event.
#[derive(Clone, Copy)]
struct Slot {
    time_ns: u64,
    flags: u32,
    payload: Payload,
}

/// The ring's state, protected by [`Events::inner`].
struct Inner {
    index: RingIndex,
    /// Exactly `capacity` slots, allocated at load (`kvmalloc`: a 1024-record ring is about
    /// 700 KiB); slot `i` is valid once written.
    slots: KVVec<Slot>,
    /// Events lost, summed over all readers.
    lost: u64,
    /// Open readers.
    readers: u64,
}

/// The event ring and its wait queue.
#[pin_data]
pub(crate) struct Events {
    #[pin]
    inner: SpinLock<Inner>,
    #[pin]
    wait: PollCondVar,
}

/// A reader's position in the ring, shared by every `read()` on one open file.
struct CursorState {
    /// The next sequence number this reader wants.
    next: u64,
    /// A `read()` on this file is copying records; others wait (interruptibly) or get `EAGAIN`.
    busy: bool,
    /// Another `read()` waits for `busy` to clear.
    contended: bool,
}

/// A reader's position in the ring.
///
/// Concurrent `read()`s on one file (two threads, a forked child) are serialised by the `busy`
/// flag, not by a lock held across the sleep: a second reader waits interruptibly on the
/// ring's wait queue (or gets `EAGAIN` with `O_NONBLOCK`), so it can always be killed, and
/// `poll()` reads the position under a spinlock that is never held for long.
#[pin_data]
pub(crate) struct Cursor {
    #[pin]
    state: SpinLock<CursorState>,
}

impl Cursor {
    /// A cursor not attached to a ring yet ([`Events::attach`]).
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            state <- new_spinlock!(
                CursorState { next: 0, busy: false, contended: false },
                "OomGuard::cursor"
            ),
        })
    }
}

impl Events {
    /// A ring of `capacity` records, all allocated now.
    pub(crate) fn new(capacity: usize) -> Result<impl PinInit<Self, Error>> {
        let index = RingIndex::new(capacity).ok_or(EINVAL)?;
        let empty = Slot {
            time_ns: 0,
            flags: 0,
            payload: Payload::Lost(abi::Lost::default()),
        };
        let mut slots = KVVec::with_capacity(capacity, GFP_KERNEL)?;
        for _ in 0..capacity {
            compat::push_within_capacity(&mut slots, empty).map_err(|_| ENOMEM)?;
        }
        Ok(try_pin_init!(Self {
            inner <- new_spinlock!(Inner { index, slots, lost: 0, readers: 0 }, "OomGuard::ring"),
            wait <- new_poll_condvar!("OomGuard::ring_wait"),
        }))
    }

    /// Appends an event and wakes the readers. Never allocates, never sleeps.
    pub(crate) fn emit(&self, time_ns: u64, flags: u32, payload: Payload) {
        self.push(time_ns, flags, payload);
        self.wake();
    }

    /// Adds an event without waking the readers: the OOM path queues its events this way and
    /// wakes them once, after its decision, so that a reader (a real-time one preempts at once)
    /// never runs in the middle of the callback.
    pub(crate) fn push(&self, time_ns: u64, flags: u32, payload: Payload) {
        let mut inner = self.inner.lock();
        let (_seq, slot) = inner.index.push();
        if let Some(s) = inner.slots.get_mut(slot) {
            *s = Slot {
                time_ns,
                flags,
                payload,
            };
        }
    }

    /// Adds an event built in place by `fill`, under the ring's lock, without waking the readers:
    /// the OOM path's way to add its large records without a copy of them on its stack.
    /// `fill` must be short and must not sleep (it runs with a spinlock held).
    pub(crate) fn push_with(&self, time_ns: u64, flags: u32, fill: impl FnOnce(&mut Payload)) {
        let mut inner = self.inner.lock();
        let (_seq, slot) = inner.index.push();
        if let Some(s) = inner.slots.get_mut(slot) {
            s.time_ns = time_ns;
            s.flags = flags;
            fill(&mut s.payload);
        }
    }

    /// Wakes every reader waiting for events.
    pub(crate) fn wake(&self) {
        self.wait.notify_all();
    }

    /// Events produced so far, events lost over all readers, open readers.
    pub(crate) fn counts(&self) -> (u64, u64, u64) {
        let inner = self.inner.lock();
        (inner.index.head(), inner.lost, inner.readers)
    }

    /// Counts a new reader and starts `cursor` at the oldest event still in the ring (so a
    /// reader started after the module sees what happened since load, as far as the ring
    /// reaches). Called once the open cannot fail any more; [`Events::close`] undoes it.
    pub(crate) fn attach(&self, cursor: &Cursor) {
        let start = {
            let mut inner = self.inner.lock();
            inner.readers += 1;
            inner.index.tail()
        };
        cursor.state.lock().next = start;
    }

    /// A reader goes away.
    pub(crate) fn close(&self) {
        let mut inner = self.inner.lock();
        inner.readers = inner.readers.saturating_sub(1);
    }

    /// Whether `cursor` has something to read (an event or a `LOST` record). While a `read()`
    /// on the same file runs, this is judged from the position it started at: never "not
    /// readable" while a record waits.
    pub(crate) fn readable(&self, cursor: &Cursor) -> bool {
        let next = cursor.state.lock().next;
        let inner = self.inner.lock();
        !matches!(inner.index.next(next), Next::Empty)
    }

    /// The wait queue, for `poll()`.
    pub(crate) fn wait_queue(&self) -> &PollCondVar {
        &self.wait
    }

    /// Copies whole records to `out`, blocking (unless `nonblock`) until there is at least one.
    ///
    /// A buffer too small for the next record is `EINVAL`; a fault before anything was copied
    /// is `EFAULT`, after that a short read (nothing is consumed that was not copied).
    pub(crate) fn read(
        &self,
        cursor: &Cursor,
        out: &mut UserSliceWriter,
        nonblock: bool,
    ) -> Result<usize> {
        // No record is smaller than a `LOST` record.
        if out.len() < abi::HEADER_SIZE + abi::LOST_SIZE {
            return Err(EINVAL);
        }
        // Claim the cursor; another `read()` on this file has it: wait, interruptibly.
        let mut next = {
            let mut cur = cursor.state.lock();
            while cur.busy {
                if nonblock {
                    return Err(EAGAIN);
                }
                cur.contended = true;
                if self.wait.wait_interruptible(&mut cur) {
                    return Err(ERESTARTSYS);
                }
            }
            cur.busy = true;
            cur.next
        };
        let result = self.read_claimed(&mut next, out, nonblock);
        let contended = {
            let mut cur = cursor.state.lock();
            cur.next = next;
            cur.busy = false;
            core::mem::replace(&mut cur.contended, false)
        };
        if contended {
            self.wait.notify_all();
        }
        result
    }

    /// [`Events::read`] with the cursor claimed: `next` is its position, advanced past what is
    /// copied.
    fn read_claimed(
        &self,
        next: &mut u64,
        out: &mut UserSliceWriter,
        nonblock: bool,
    ) -> Result<usize> {
        let mut copied = 0usize;
        let mut buf = [0u8; MAX_RECORD_SIZE];
        loop {
            // Encode the next record under the spinlock (no allocation, no user access)...
            let encoded = {
                let mut inner = self.inner.lock();
                loop {
                    match inner.index.next(*next) {
                        Next::Empty => {
                            if copied > 0 || nonblock {
                                break None;
                            }
                            if self.wait.wait_interruptible(&mut inner) {
                                return Err(ERESTARTSYS);
                            }
                        }
                        Next::Lost { count, first_seq } => {
                            let payload = Payload::Lost(abi::Lost { count, first_seq });
                            let n =
                                abi::encode(first_seq, crate::ffi::now_ns(), 0, &payload, &mut buf)
                                    .map_err(|_| EINVAL)?;
                            break Some((n, first_seq + count, count));
                        }
                        Next::Event { seq, slot } => {
                            let s = inner.slots.get(slot).copied().ok_or(EINVAL)?;
                            let n = abi::encode(seq, s.time_ns, s.flags, &s.payload, &mut buf)
                                .map_err(|_| EINVAL)?;
                            break Some((n, seq + 1, 0));
                        }
                    }
                }
            };
            // ...then copy it to userspace outside the spinlock.
            let Some((n, after, lost)) = encoded else {
                return if copied > 0 { Ok(copied) } else { Err(EAGAIN) };
            };
            // A first record that does not fit goes out in an older minor's shorter size if
            // that fits: a client built for ABI 2.0 reads with a buffer of its 688-byte
            // `MAX_RECORD_SIZE`, which must keep holding the next record.
            let n = match copied {
                0 if out.len() < n => abi::shorten(&mut buf, out.len()).unwrap_or(n),
                _ => n,
            };
            if out.len() < n {
                return if copied > 0 { Ok(copied) } else { Err(EINVAL) };
            }
            if let Err(e) = out.write_slice(buf.get(..n).ok_or(EINVAL)?) {
                return if copied > 0 { Ok(copied) } else { Err(e) };
            }
            *next = after;
            copied += n;
            if lost > 0 {
                let mut inner = self.inner.lock();
                inner.lost = inner.lost.saturating_add(lost);
            }
        }
    }
}
