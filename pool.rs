// SPDX-License-Identifier: GPL-2.0

//! The emergency page pool: pages taken at load, given back to the allocator on a global OOM,
//! and refilled in process context once memory is plentiful again.

use kernel::{
    alloc::flags::{__GFP_NOWARN, GFP_KERNEL, GFP_NOWAIT},
    new_spinlock,
    page::Page,
    prelude::*,
    sync::SpinLock,
};

/// The pool's pages, protected by a spinlock so the OOM notifier can release them.
///
/// # Invariants
///
/// `pages` never holds more than `target` pages and never reallocates: its capacity is
/// `target` from load on, so pushing and popping never allocate.
#[pin_data]
pub(crate) struct Pool {
    #[pin]
    pages: SpinLock<KVVec<Page>>,
    target: usize,
}

impl Pool {
    /// Allocates a pool of `target` pages now; `ENOMEM` if they cannot all be had (any pages
    /// already taken are given back).
    pub(crate) fn new(target: usize) -> Result<impl PinInit<Self, Error>> {
        let mut pages = KVVec::with_capacity(target, GFP_KERNEL)?;
        for _ in 0..target {
            let page = Page::alloc_page(GFP_KERNEL | __GFP_NOWARN)?;
            pages.push_within_capacity(page).map_err(|_| ENOMEM)?;
        }
        // INVARIANT: `pages` has capacity `target` and holds `target` pages.
        Ok(try_pin_init!(Self {
            pages <- new_spinlock!(pages, "OomGuard::pool"),
            target,
        }))
    }

    /// Pages in the pool now.
    pub(crate) fn len(&self) -> usize {
        self.pages.lock().len()
    }

    /// The pool's full size in pages.
    pub(crate) fn target(&self) -> usize {
        self.target
    }

    /// Gives up to `n` pages back to the page allocator; returns how many, and how many are
    /// left in the pool.
    ///
    /// Never allocates or sleeps: freeing a page only takes the zone lock. Safe on the OOM path.
    pub(crate) fn release(&self, n: usize) -> (usize, usize) {
        let mut pages = self.pages.lock();
        let mut released = 0;
        while released < n {
            // Dropping a `Page` frees it.
            match pages.pop() {
                Some(page) => drop(page),
                None => break,
            }
            released += 1;
        }
        (released, pages.len())
    }

    /// Tries to put up to `n` pages back into the pool, without reclaim and without warnings
    /// (`GFP_NOWAIT | __GFP_NOWARN`), so a refill never causes memory pressure itself.
    /// Returns `(refilled, failed)`: `failed` is true if an allocation failed.
    pub(crate) fn refill(&self, n: usize) -> (usize, bool) {
        let mut refilled = 0;
        while refilled < n {
            if self.pages.lock().len() >= self.target {
                break;
            }
            let Ok(page) = Page::alloc_page(GFP_NOWAIT | __GFP_NOWARN) else {
                return (refilled, true);
            };
            let mut pages = self.pages.lock();
            if pages.len() >= self.target {
                // Filled meanwhile; `page` is freed on return.
                break;
            }
            // Cannot fail: `len < target == capacity`.
            if pages.push_within_capacity(page).is_err() {
                break;
            }
            refilled += 1;
        }
        (refilled, false)
    }
}
