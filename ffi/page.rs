// SPDX-License-Identifier: GPL-2.0

//! Page blocks: contiguous pages from the page allocator, owned until dropped
//! (`rust/kernel/page.rs` wraps single pages only).

use super::ZoneKey;
use crate::ffi::compat;
use kernel::{bindings, prelude::*};

/// A block of `2^order` physically contiguous pages from the page allocator, given back to it
/// when dropped. A high-order block is one `__free_pages` call to release, where the same pages
/// one by one are `2^order` calls: that is what keeps the OOM callback short.
///
/// # Invariants
///
/// `page` was returned by `alloc_pages(_, order)` (not compound) and is owned by this value
/// alone; `zone` is the [`ZoneKey`] of the zone it came from.
pub(crate) struct Block {
    page: core::ptr::NonNull<bindings::page>,
    order: u32,
    zone: ZoneKey,
}

// SAFETY: A `Block` owns its pages outright; they are not tied to a thread, and freeing them
// from another context than the one that allocated them is allowed.
unsafe impl Send for Block {}

/// Where a [`Block`] is allocated, which decides how hard the allocator may try.
#[derive(Clone, Copy)]
pub(crate) enum AllocCtx {
    /// Module load: process context, may reclaim, but gives up rather than OOM-kill anyone
    /// (`GFP_KERNEL | __GFP_RETRY_MAYFAIL`).
    Load,
    /// A refill: never reclaims or waits (`GFP_NOWAIT`), so it cannot cause pressure itself.
    Refill,
}

impl Block {
    /// Allocates a block of `2^order` pages without allocation-failure warnings. Orders above
    /// 0 do not retry hard (`__GFP_NORETRY`) on a refill: the caller falls back to a smaller
    /// block rather than stall in compaction. At load every order may reclaim and compact, but
    /// none may invoke the OOM killer (`__GFP_RETRY_MAYFAIL`): a pool that cannot be had is
    /// `ENOMEM`, never a kill. `ENOMEM` if the allocator has none.
    pub(crate) fn alloc(ctx: AllocCtx, order: u32) -> Result<Self> {
        if order > MAX_BLOCK_ORDER {
            return Err(EINVAL);
        }
        let gfp = match ctx {
            AllocCtx::Load => bindings::GFP_KERNEL | (1 << bindings::___GFP_RETRY_MAYFAIL_BIT),
            AllocCtx::Refill if order > 0 => {
                bindings::GFP_NOWAIT | (1 << bindings::___GFP_NORETRY_BIT)
            }
            AllocCtx::Refill => bindings::GFP_NOWAIT,
        } | bindings::__GFP_NOWARN;
        // SAFETY: `alloc_pages` may be called with any flags and an order below MAX_PAGE_ORDER
        // (checked above); it returns a valid `struct page` or NULL.
        let page = unsafe { bindings::alloc_pages(gfp, order) };
        let page = core::ptr::NonNull::new(page).ok_or(ENOMEM)?;
        // SAFETY: `page` is a page we own (just allocated); its flags word is only changed
        // atomically, and the zone and node bits never change while it is allocated.
        let (idx, nid) = unsafe {
            (
                compat::page_zonenum(page.as_ptr()),
                compat::page_to_nid(page.as_ptr()),
            )
        };
        let zone = ZoneKey {
            node: u16::try_from(nid).unwrap_or(0),
            idx: u8::try_from(idx).unwrap_or(0),
        };
        // INVARIANT: `page` heads a fresh, non-compound block of `2^order` pages we own, from
        // the zone `zone` names.
        Ok(Self { page, order, zone })
    }

    /// Pages in the block.
    pub(crate) fn pages(&self) -> usize {
        // `order <= MAX_BLOCK_ORDER` (checked at allocation): the shift cannot overflow.
        1usize.wrapping_shl(self.order)
    }

    /// The block's order.
    pub(crate) fn order(&self) -> u32 {
        self.order
    }

    /// The zone the block belongs to.
    pub(crate) fn zone(&self) -> ZoneKey {
        self.zone
    }
}

/// The largest block order [`Block::alloc`] accepts (well below `MAX_PAGE_ORDER`).
pub(crate) const MAX_BLOCK_ORDER: u32 = 9;

impl Drop for Block {
    fn drop(&mut self) {
        // SAFETY: By the invariant `page` heads a block of `2^order` pages from `alloc_pages`
        // that only this value owns; it is freed exactly once, here, with the same order.
        unsafe { bindings::__free_pages(self.page.as_ptr(), self.order) };
    }
}
