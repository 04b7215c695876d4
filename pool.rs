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

use crate::ffi::{AllocCtx, Block, ZoneKey};
use kernel::{alloc::flags::GFP_KERNEL, new_spinlock, prelude::*, sync::SpinLock};

/// Order of the pool's blocks: 64 pages (256 KiB with 4 KiB pages).
pub(crate) const POOL_ORDER: u32 = 6;

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
            blocks.push_within_capacity(b).map_err(|_| ENOMEM)?;
        }
        // INVARIANT: `blocks` has capacity `target` and holds exactly `target` pages, as every
        // block fitted in the room left.
        Ok(try_pin_init!(Self {
            inner <- new_spinlock!(Inner { blocks, pages }, "OomGuard::pool"),
            target,
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

    /// Pages in the pool per zone: calls `f(zone, pages)` once per block, under the pool's
    /// lock (so `f` must be short: the OOM path sums them into a fixed array).
    pub(crate) fn for_each_block(&self, mut f: impl FnMut(ZoneKey, usize)) {
        let inner = self.inner.lock();
        for b in inner.blocks.iter() {
            f(b.zone(), b.pages());
        }
    }

    /// Gives at least `n` pages of zone `zone` back to the page allocator, in whole blocks, or
    /// all the zone has; at most `max_blocks` blocks. Returns how many pages went back and how
    /// many are left in the pool.
    ///
    /// Never allocates or sleeps: freeing a block only takes the zone lock. The work is bounded
    /// by the pool's block count (two passes) and `max_blocks` frees. Safe on the OOM path.
    pub(crate) fn release(&self, zone: ZoneKey, n: usize, max_blocks: usize) -> (usize, usize) {
        let mut inner = self.inner.lock();
        let mut released = 0;
        let mut freed = 0;
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
                let Some(block) = inner.blocks.pop() else {
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
        (released, inner.pages)
    }

    /// Tries to put up to `n` pages back into the pool, without reclaim and without warnings
    /// ([`AllocCtx::Refill`]), so a refill never causes memory pressure itself.
    /// Returns `(refilled, failed)`: `failed` is true if not even a single page could be had.
    pub(crate) fn refill(&self, n: usize) -> (usize, bool) {
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
            if inner.blocks.push_within_capacity(block).is_err() {
                break;
            }
            // INVARIANT: the block fitted in the room left under the lock.
            inner.pages += pages;
            refilled += pages;
        }
        (refilled, false)
    }
}
