// SPDX-License-Identifier: GPL-2.0

//! The zone sample: free pages and watermarks of every populated zone, read lock-free, and what
//! they mean for a user page allocation. The OOM notifier, the monitor, the device's zones
//! ioctl and the load-time pool check all read memory through it.
//!
//! A sample judges what the allocator decides for a user page allocation
//! (`GFP_HIGHUSER_MOVABLE`, order 0): every zone is checked the way `__zone_watermark_ok()`
//! checks it for that class (boost, `lowmem_reserve[ZONE_MOVABLE]`, highatomic pages not
//! usable, free CMA pages usable), and the best zone decides, as the allocator is content with
//! the first zone of its zonelist that passes. So `low` is when kswapd is woken and `min` when
//! allocations enter direct reclaim. Zones without managed pages are listed but ignored.

use crate::abi::{self, ZoneSnapshot, ZoneState, MAX_ZONES};
use crate::ffi::{self, ZoneKey};
use crate::level::ZoneMarks;

/// One sample of every zone.
pub(crate) struct Sample {
    pub(crate) zones: [ZoneSnapshot; MAX_ZONES],
    /// Per zone in `zones`: free pages a user allocation may not use (highatomic).
    pub(crate) unusable: [u64; MAX_ZONES],
    pub(crate) nr_zones: u32,
    /// `abi::FLAG_ZONES_TRUNCATED` if there were more zones than fit.
    pub(crate) flags: u32,
    /// The zones' state for a user page allocation (`GFP_HIGHUSER_MOVABLE`, order 0): the best
    /// zone's, as the allocator decides (`level::class_state`).
    pub(crate) state: ZoneState,
    pub(crate) free_pages: u64,
    pub(crate) available_pages: u64,
    /// Pages managed by the allocator, all zones.
    pub(crate) total_pages: u64,
    /// Free pages plus what reclaim can free (`si_mem_available()` without the reserves).
    pub(crate) usable_pages: u64,
    /// Free pages at which user allocations fail: the sum over the zones of each zone's floor
    /// (boosted min watermark, lowmem reserve, highatomic pages), each at most the zone's size.
    pub(crate) floor_pages: u64,
}

impl Sample {
    /// A sample of nothing, to be filled by [`sample_into`].
    pub(crate) const EMPTY: Self = Self {
        zones: [ZoneSnapshot::EMPTY; MAX_ZONES],
        unusable: [0; MAX_ZONES],
        nr_zones: 0,
        flags: 0,
        state: ZoneState::AboveHigh,
        free_pages: 0,
        available_pages: 0,
        total_pages: 0,
        usable_pages: 0,
        floor_pages: 0,
    };

    /// The marks of zone `i` of the snapshot, as the level sees them.
    pub(crate) fn marks(&self, i: usize) -> Option<(ZoneKey, ZoneMarks)> {
        let z = self.zones.get(i)?;
        Some((
            ZoneKey {
                node: z.node,
                idx: z.zone_idx,
            },
            ZoneMarks {
                free: z.free,
                min: z.min,
                low: z.low,
                high: z.high,
                boost: z.boost,
                reserve: z.reserve,
                unusable: self.unusable.get(i).copied().unwrap_or(0),
            },
        ))
    }
}

/// Reads every zone now (see [`sample_into`]).
pub(crate) fn sample() -> Sample {
    let mut s = Sample::EMPTY;
    sample_into(&mut s);
    s
}

/// Reads every zone now into `s`, which the caller keeps (the OOM path's stack holds one
/// sample, not several copies). Lock-free and allocation-free: safe on the OOM path.
pub(crate) fn sample_into(s: &mut Sample) {
    *s = Sample::EMPTY;
    s.free_pages = ffi::free_pages();
    s.available_pages = ffi::available_pages();
    let mut best: Option<ZoneState> = None;
    let mut wmark_low = 0u64;
    ffi::for_each_zone(|z| {
        let state = z.marks.state();
        s.total_pages = s.total_pages.saturating_add(z.managed);
        wmark_low = wmark_low.saturating_add(z.marks.low);
        // A zone with no pages under the allocator's management (all reserved at boot) serves
        // no allocation: listed, but it neither decides the level nor adds to the floor.
        if z.managed > 0 {
            // `class_state` of the two, without its iterator on the OOM path's stack.
            best = Some(best.map_or(state, |b| b.min(state)));
            s.floor_pages = s.floor_pages.saturating_add(z.marks.floor().min(z.managed));
        }
        let i = s.nr_zones as usize;
        match (s.zones.get_mut(i), s.unusable.get_mut(i)) {
            (Some(slot), Some(unusable)) => {
                *unusable = z.marks.unusable;
                *slot = ZoneSnapshot {
                    node: z.node,
                    zone_idx: z.idx,
                    state: state as u8,
                    reserved: 0,
                    name: z.name,
                    free: z.marks.free,
                    min: z.marks.min,
                    low: z.marks.low,
                    high: z.marks.high,
                    boost: z.marks.boost,
                    reserve: z.marks.reserve,
                    managed: z.managed,
                };
                s.nr_zones = s.nr_zones.saturating_add(1);
            }
            _ => s.flags |= abi::FLAG_ZONES_TRUNCATED,
        }
    });
    s.state = best.unwrap_or(ZoneState::AboveHigh);
    s.usable_pages = s
        .free_pages
        .saturating_add(ffi::reclaimable_pages(wmark_low));
}
