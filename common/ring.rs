// SPDX-License-Identifier: GPL-2.0

//! Cursor arithmetic of the event ring: one producer, any number of readers, each with its own
//! cursor, no reader ever blocking the producer, and exact accounting of what a slow reader
//! missed.
//!
//! Pure logic on `core` only: compiled into the module and unit-tested on the host. The module
//! keeps the slots and the lock; this type only says which slot a sequence number lives in and
//! what a reader at a given cursor gets next.

use core::num::NonZeroU64;

/// The producer side: which sequence number comes next, and the ring's capacity.
///
/// The events still in the ring are the sequence numbers
/// `head.saturating_sub(capacity)..head`; sequence number `s` lives in slot `s % capacity`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RingIndex {
    capacity: NonZeroU64,
    head: u64,
}

/// What a reader whose cursor is at a given sequence number gets next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// Nothing new: wait for the producer.
    Empty,
    /// The reader fell behind: `count` events starting at `first_seq` were overwritten. It
    /// continues at `first_seq + count`, the oldest event still in the ring.
    Lost {
        /// Events missed.
        count: u64,
        /// The first one missed (the reader's cursor).
        first_seq: u64,
    },
    /// The event with sequence number `seq` is in slot `slot`.
    Event {
        /// Its sequence number.
        seq: u64,
        /// Its slot.
        slot: usize,
    },
}

impl RingIndex {
    /// A ring of `capacity` slots; `None` if `capacity` is zero.
    pub fn new(capacity: usize) -> Option<Self> {
        let capacity = NonZeroU64::new(u64::try_from(capacity).ok()?)?;
        Some(Self { capacity, head: 0 })
    }

    /// The sequence number the next event gets (= events produced so far).
    pub fn head(&self) -> u64 {
        self.head
    }

    /// The oldest sequence number still in the ring.
    pub fn tail(&self) -> u64 {
        self.head.saturating_sub(self.capacity.get())
    }

    /// The slot of sequence number `seq`.
    pub fn slot(&self, seq: u64) -> usize {
        // The remainder is below `capacity`, which came from a `usize`; dividing by a
        // `NonZeroU64` has no panic path.
        usize::try_from(seq % self.capacity).unwrap_or(0)
    }

    /// Claims the next sequence number; returns it and the slot to write it to. The event that
    /// was in that slot, if any, is overwritten: readers behind it will see [`Next::Lost`].
    pub fn push(&mut self) -> (u64, usize) {
        let seq = self.head;
        self.head = self.head.wrapping_add(1);
        (seq, self.slot(seq))
    }

    /// What a reader at `cursor` gets next. After consuming an [`Next::Event`] the reader
    /// moves its cursor to `seq + 1`; after a [`Next::Lost`], to `first_seq + count`.
    pub fn next(&self, cursor: u64) -> Next {
        if cursor >= self.head {
            return Next::Empty;
        }
        let tail = self.tail();
        if cursor < tail {
            return Next::Lost {
                count: tail - cursor,
                first_seq: cursor,
            };
        }
        Next::Event {
            seq: cursor,
            slot: self.slot(cursor),
        }
    }

    /// Events a reader at `cursor` can read now without loss (0 if it has lost some).
    pub fn pending(&self, cursor: u64) -> u64 {
        self.head.saturating_sub(cursor.max(self.tail()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads everything available from `cursor`, returning the events seen and lost counts.
    fn drain(r: &RingIndex, cursor: &mut u64) -> (u64, u64) {
        let (mut seen, mut lost) = (0, 0);
        loop {
            match r.next(*cursor) {
                Next::Empty => return (seen, lost),
                Next::Lost { count, first_seq } => {
                    assert_eq!(first_seq, *cursor);
                    lost += count;
                    *cursor = first_seq + count;
                }
                Next::Event { seq, slot } => {
                    assert_eq!(seq, *cursor);
                    assert_eq!(slot as u64, seq % 4);
                    seen += 1;
                    *cursor = seq + 1;
                }
            }
        }
    }

    #[test]
    fn zero_capacity_is_refused() {
        assert!(RingIndex::new(0).is_none());
    }

    #[test]
    fn empty_ring() {
        let r = RingIndex::new(4).unwrap();
        assert_eq!(r.next(0), Next::Empty);
        assert_eq!(r.pending(0), 0);
    }

    #[test]
    fn reader_that_keeps_up_loses_nothing() {
        let mut r = RingIndex::new(4).unwrap();
        let mut cursor = 0;
        let mut total = 0;
        for round in 0..100 {
            for _ in 0..(round % 5) {
                r.push();
            }
            let (seen, lost) = drain(&r, &mut cursor);
            assert_eq!(lost, 0);
            total += seen;
        }
        assert_eq!(total, r.head());
    }

    #[test]
    fn slow_reader_gets_one_exact_lost_then_continues() {
        let mut r = RingIndex::new(4).unwrap();
        let mut fast = 0;
        let slow = 0;
        for _ in 0..10 {
            r.push();
            drain(&r, &mut fast);
        }
        // The slow reader at 0 missed 10 - 4 = 6 events, then reads the last 4.
        assert_eq!(
            r.next(slow),
            Next::Lost {
                count: 6,
                first_seq: 0
            }
        );
        assert_eq!(r.pending(slow), 4);
        let mut slow = slow;
        assert_eq!(drain(&r, &mut slow), (4, 6));
        assert_eq!(slow, r.head());
        assert_eq!(fast, r.head());
    }

    #[test]
    fn seen_plus_lost_is_produced_for_any_schedule() {
        // Readers with different speeds: every event is either seen or counted lost, once.
        let mut r = RingIndex::new(4).unwrap();
        let mut cursors = [0u64; 3];
        let mut seen = [0u64; 3];
        let mut lost = [0u64; 3];
        for step in 0..1000u64 {
            r.push();
            for (i, c) in cursors.iter_mut().enumerate() {
                if step % (1 + 3 * i as u64) == 0 {
                    let (s, l) = drain(&r, c);
                    seen[i] += s;
                    lost[i] += l;
                }
            }
        }
        for i in 0..3 {
            let (s, l) = drain(&r, &mut cursors[i]);
            assert_eq!(seen[i] + s + lost[i] + l, r.head(), "reader {i}");
        }
        assert_eq!(lost[0], 0);
        assert!(lost[2] > 0);
    }
}
