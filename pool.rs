// SPDX-License-Identifier: GPL-2.0

//! The emergency page pool: pages taken at load, given back to the allocator on a global OOM,
//! and refilled in process context once memory is plentiful again.
//!
//! The pool holds blocks of up to `2^POOL_ORDER` contiguous pages rather than single pages, so
//! an OOM round that gives back a few hundred pages makes a handful of `__free_pages` calls
//! instead of hundreds: the OOM callback's cost is per block, not per page. When memory is too
//! fragmented for a whole block, smaller ones (down to single pages) fill the rest. A release
//! gives back whole blocks, so it may return up to `2^POOL_ORDER - 1` pages more than asked;
//! the pages reported freed are always the pages released.
//!
//! Every block remembers its zone, so the OOM notifier can give back pages where they lift a
//! zone the failed allocation can use above its min watermark (see `notifier.rs`).
//!
//! The refill policy is here too: once memory has been calm for `refill_delay_ms` (level ok,
//! zones above low: the monitor judges that, and the OOM notifier's episode ends then too), each
//! sample of the monitor puts back up to [`REFILL_STEP`] pages without reclaim, and comes back
//! every [`REFILL_INTERVAL_MS`] until the pool is full or an allocation fails.

use crate::abi::{self, Payload, PoolOp};
use crate::events::Events;
use crate::ffi::compat::{self, push_within_capacity};
use crate::ffi::{self, AllocCtx, Block, ZoneKey};
use crate::zones;
use core::sync::atomic::{AtomicU64, Ordering::Relaxed};
use kernel::{alloc::flags::GFP_KERNEL, new_spinlock, prelude::*, sync::SpinLock};

/// Order of the pool's blocks: 64 pages (256 KiB with 4 KiB pages).
pub(crate) const POOL_ORDER: u32 = 6;

/// Pages put back into the pool per refill step.
const REFILL_STEP: usize = 64;
/// Delay between refill steps, in milliseconds.
pub(crate) const REFILL_INTERVAL_MS: u32 = 20;

/// The most of managed memory the pool may take: half (`POOL_MAX_DIV` = 2).
const POOL_MAX_DIV: u64 = 2;

/// The smallest order the page allocator frees straight to its buddy lists
/// (`PAGE_ALLOC_COSTLY_ORDER + 1`): smaller blocks first go to a per-CPU list.
const BUDDY_ORDER: u32 = 4;

/// The pool's blocks and their page count, protected by the pool's spinlock.
///
/// # Invariants
///
/// `pages` is the sum of the blocks' pages and never exceeds the pool's target; `blocks` has
/// capacity for `target` blocks (the most there can be, all single pages) from load on, so
/// pushing and popping never allocate.
struct Inner {
    blocks: KVVec<Block>,
    pages: usize,
}

/// The pool, protected by a spinlock so the OOM notifier can release it.
#[pin_data]
pub(crate) struct Pool {
    #[pin]
    inner: SpinLock<Inner>,
    target: usize,
    /// Pages put back by refills.
    refilled: AtomicU64,
    /// Refill steps that could not get a single page.
    refill_failures: AtomicU64,
}

/// What a refill step leaves to do.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refill {
    /// The pool is full.
    Full,
    /// More to put back: the next step is due in [`REFILL_INTERVAL_MS`].
    Going,
    /// Not even a single page could be had: memory is not as plentiful as the watermarks said,
    /// and the calm time should start over.
    Failed,
}

/// What one [`Pool::release`] did.
pub(crate) struct Released {
    /// Pages given back to the allocator.
    pub(crate) pages: usize,
    /// Pages left in the pool.
    pub(crate) left: usize,
    /// Blocks given back (`__free_pages` calls).
    pub(crate) blocks: u32,
    /// Nanoseconds the release loop took (`ffi::now_ns`, the clock of the notifier's
    /// `callback_ns`), read once before and once after it; 0 if no block was freed.
    pub(crate) free_ns: u64,
}

/// The largest block order that fits in `room` pages, at most [`POOL_ORDER`].
fn order_for(room: usize) -> u32 {
    match room.checked_ilog2() {
        Some(o) => o.min(POOL_ORDER),
        None => 0,
    }
}

/// Allocates the largest block that fits in `room` (at least 1) pages, falling back to smaller
/// orders when memory is fragmented (a smaller block is better than a compaction stall).
fn alloc_block(room: usize, ctx: AllocCtx) -> Result<Block> {
    let mut order = order_for(room);
    loop {
        match Block::alloc(ctx, order) {
            Ok(b) => return Ok(b),
            Err(e) if order == 0 => return Err(e),
            Err(_) => order -= 1,
        }
    }
}

impl Pool {
    /// Allocates a pool of `target` pages now; `ENOMEM` if they cannot all be had (any blocks
    /// already taken are given back).
    pub(crate) fn new(target: usize) -> Result<impl PinInit<Self, Error>> {
        let mut blocks = KVVec::with_capacity(target, GFP_KERNEL)?;
        let mut pages = 0;
        while pages < target {
            let b = alloc_block(target - pages, AllocCtx::Load)?;
            pages += b.pages();
            push_within_capacity(&mut blocks, b).map_err(|_| ENOMEM)?;
        }
        // INVARIANT: `blocks` has capacity `target` and holds exactly `target` pages, as every
        // block fitted in the room left.
        Ok(try_pin_init!(Self {
            inner <- new_spinlock!(Inner { blocks, pages }, "OomGuard::pool"),
            target,
            refilled: AtomicU64::new(0),
            refill_failures: AtomicU64::new(0),
        }))
    }

    /// Pages in the pool now.
    pub(crate) fn len(&self) -> usize {
        self.inner.lock().pages
    }

    /// The pool's full size in pages.
    pub(crate) fn target(&self) -> usize {
        self.target
    }

    /// Pages put back by refills so far.
    pub(crate) fn refilled(&self) -> u64 {
        self.refilled.load(Relaxed)
    }

    /// Refill steps so far that could not get a single page.
    pub(crate) fn refill_failures(&self) -> u64 {
        self.refill_failures.load(Relaxed)
    }

    /// Pages in the pool per zone: calls `f(zone, pages)` once per block, under the pool's
    /// lock (so `f` must be short: the OOM path sums them into a fixed array).
    pub(crate) fn for_each_block(&self, mut f: impl FnMut(ZoneKey, usize)) {
        let inner = self.inner.lock();
        for b in inner.blocks.iter() {
            f(b.zone(), b.pages());
        }
    }

    /// Gives at least `n` pages of zone `zone` back to the page allocator, in whole blocks, or
    /// all the zone has; at most `max_blocks` blocks. Returns how many pages and blocks went
    /// back, how many pages are left in the pool, and how long the release loop took.
    ///
    /// Never allocates or sleeps: freeing a block only takes the zone lock. The work is bounded
    /// by the pool's block count (two passes) and `max_blocks` frees, and its timing by two
    /// clock reads around the loop, not one per block. Safe on the OOM path.
    pub(crate) fn release(&self, zone: ZoneKey, n: usize, max_blocks: usize) -> Released {
        let mut inner = self.inner.lock();
        let mut released = 0;
        let mut freed = 0usize;
        let start = ffi::now_ns();
        // Two passes: first the blocks above `PAGE_ALLOC_COSTLY_ORDER`, which go straight to the
        // buddy lists and count as free at once; then smaller ones, which the allocator first
        // parks on this CPU's per-CPU lists, where the watermark check does not see them.
        for pass in 0..2 {
            let mut i = 0;
            while released < n && freed < max_blocks {
                let Some(b) = inner.blocks.get(i) else {
                    break;
                };
                if b.zone() != zone || (pass == 0 && b.order() < BUDDY_ORDER) {
                    i = i.wrapping_add(1);
                    continue;
                }
                // `swap_remove`: the last block takes this one's place (and is looked at next).
                let last = inner.blocks.len().saturating_sub(1);
                inner.blocks.as_mut_slice().swap(i, last);
                let Some(block) = compat::pop(&mut inner.blocks) else {
                    break;
                };
                let pages = block.pages();
                // Dropping a `Block` frees it.
                drop(block);
                // INVARIANT: the block's pages leave the count with the block (they were in it:
                // the subtraction cannot saturate).
                inner.pages = inner.pages.saturating_sub(pages);
                released = released.saturating_add(pages);
                freed = freed.saturating_add(1);
            }
        }
        let free_ns = if freed > 0 {
            ffi::now_ns().saturating_sub(start)
        } else {
            0
        };
        Released {
            pages: released,
            left: inner.pages,
            // At most `max_blocks` (the notifier's `ROUND_MAX_BLOCKS`, 256).
            blocks: u32::try_from(freed).unwrap_or(u32::MAX),
            free_ns,
        }
    }

    /// One refill step, for a monitor's sample while memory is calm: puts back up to
    /// [`REFILL_STEP`] pages and reports them (and a step that got none) as `POOL` records.
    pub(crate) fn refill_step(&self, events: &Events, now: u64) -> Refill {
        if self.len() >= self.target {
            return Refill::Full;
        }
        let (n, failed) = self.refill(REFILL_STEP);
        let after = self.len();
        let target = self.target as u64;
        let record = |op: PoolOp, pages: usize| {
            Payload::Pool(abi::Pool {
                op: op as u8,
                reserved: [0; 7],
                pages: pages as u64,
                pool_pages: after as u64,
                target_pages: target,
            })
        };
        if n > 0 {
            self.refilled.fetch_add(n as u64, Relaxed);
            events.emit(now, 0, record(PoolOp::Refill, n));
        }
        if failed {
            self.refill_failures.fetch_add(1, Relaxed);
            events.emit(now, 0, record(PoolOp::RefillFailed, 0));
            Refill::Failed
        } else if after < self.target {
            Refill::Going
        } else {
            Refill::Full
        }
    }

    /// Tries to put up to `n` pages back into the pool, without reclaim and without warnings
    /// ([`AllocCtx::Refill`]), so a refill never causes memory pressure itself.
    /// Returns `(refilled, failed)`: `failed` is true if not even a single page could be had.
    fn refill(&self, n: usize) -> (usize, bool) {
        let mut refilled = 0;
        while refilled < n {
            let room = self.target.saturating_sub(self.inner.lock().pages);
            if room == 0 {
                break;
            }
            let Ok(block) = alloc_block(room.min(n - refilled), AllocCtx::Refill) else {
                return (refilled, true);
            };
            let pages = block.pages();
            let mut inner = self.inner.lock();
            if inner.pages + pages > self.target {
                // Filled meanwhile; `block` is freed on return.
                break;
            }
            // Cannot fail: fewer blocks than pages, and `pages < target == capacity`.
            if push_within_capacity(&mut inner.blocks, block).is_err() {
                break;
            }
            // INVARIANT: the block fitted in the room left under the lock.
            inner.pages += pages;
            refilled += pages;
        }
        (refilled, false)
    }
}

/// The pool size in pages for `pool_kib`: `EINVAL` (one `pr_err` naming the parameter and its
/// limit) above half of the memory the allocator manages, `ENOMEM` (one `pr_err`) if it is more
/// than the memory available now beyond the zones' high watermarks (taking it would push others
/// into reclaim or OOM at load). The pool itself is then taken with `__GFP_RETRY_MAYFAIL`, so
/// an allocation that still fails is `ENOMEM`, never an OOM kill.
pub(crate) fn pages_for(pool_kib: u32) -> Result<usize> {
    let page_kib = (kernel::page::PAGE_SIZE / 1024) as u64;
    let pages = u64::from(pool_kib).div_ceil(page_kib);
    let s = zones::sample();
    let limit = s.total_pages / POOL_MAX_DIV;
    if pages > limit {
        pr_err!(
            "invalid pool_kib={}: accepted range 0..={} KiB (half of the {} KiB of managed \
             memory)\n",
            pool_kib,
            limit * page_kib,
            s.total_pages * page_kib
        );
        return Err(EINVAL);
    }
    let high: u64 = (0..s.nr_zones as usize)
        .filter_map(|i| s.marks(i))
        .map(|(_, m)| m.high.saturating_add(m.boost))
        .sum();
    let room = s.available_pages.saturating_sub(high);
    if pages > room {
        pr_err!(
            "pool_kib={} is more than the {} KiB available now beyond the zones' high \
             watermarks: not loading (ENOMEM)\n",
            pool_kib,
            room * page_kib
        );
        return Err(ENOMEM);
    }
    usize::try_from(pages).map_err(|_| EINVAL)
}
