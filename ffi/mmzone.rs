// SPDX-License-Identifier: GPL-2.0

//! Zones (`include/linux/mmzone.h`): every populated zone of every online node, read
//! lock-free, and the key that names a zone.

use super::{read_atomic_long, read_once, read_once_ptr};
use crate::abi::ZONE_NAME_LEN;
use crate::level::ZoneMarks;
use kernel::{
    bindings,
    ffi::{c_long, c_ulong},
};

/// A zone named by its node and its index in the node (`page_zone()` as two numbers).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct ZoneKey {
    pub(crate) node: u16,
    pub(crate) idx: u8,
}

/// One populated zone as read from `struct zone`.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ZoneInfo {
    /// NUMA node.
    pub(crate) node: u16,
    /// Zone index within the node.
    pub(crate) idx: u8,
    /// Zone name, NUL-padded.
    pub(crate) name: [u8; ZONE_NAME_LEN],
    /// Free pages and watermarks, as a user page allocation sees them.
    pub(crate) marks: ZoneMarks,
    /// Pages managed by the buddy allocator.
    pub(crate) managed: u64,
}

/// The zone index whose `lowmem_reserve` a user page allocation (`GFP_HIGHUSER_MOVABLE`) is
/// checked against: `gfp_zone()` of it is `ZONE_MOVABLE`, whether that zone is populated or not.
const USER_ZONEIDX: usize = bindings::zone_type_ZONE_MOVABLE as usize;

/// Calls `f` for every populated zone of `pgdat`.
///
/// Every field is read with a raw, `READ_ONCE()`-style load: the allocator, kswapd and
/// `setup_per_zone_wmarks()` write them concurrently, so no reference to the zone is made.
///
/// # Safety
///
/// `pgdat` must point to an online node's `pglist_data`, which lives as long as the node.
unsafe fn node_zones(pgdat: *const bindings::pglist_data, f: &mut impl FnMut(ZoneInfo)) {
    // SAFETY: The caller guarantees `pgdat` is valid; `node_id` is set at boot.
    let node = u16::try_from(unsafe { read_once(&raw const (*pgdat).node_id) }).unwrap_or(0);
    let free_idx = bindings::zone_stat_item_NR_FREE_PAGES as usize;
    for idx in 0..bindings::MAX_NR_ZONES as usize {
        // SAFETY: `idx < MAX_NR_ZONES`, inside the `node_zones` array of a valid `pgdat`.
        let z = unsafe {
            (&raw const (*pgdat).node_zones)
                .cast::<bindings::zone>()
                .add(idx)
        };
        // SAFETY: `z` points to a zone of a valid node (above); every read below is a raw,
        // aligned load of one of its fields, and the arrays are indexed within their lengths
        // (`WMARK_*` < `NR_WMARK`, `USER_ZONEIDX` < `MAX_NR_ZONES`, `NR_FREE_PAGES` <
        // `NR_VM_ZONE_STAT_ITEMS`).
        let info = unsafe {
            if read_once(&raw const (*z).present_pages) == 0 {
                continue;
            }
            let mark = |w: u32| {
                read_once(
                    (&raw const (*z)._watermark)
                        .cast::<c_ulong>()
                        .add(w as usize),
                )
            };
            let name_ptr = read_once_ptr(&raw const (*z).name);
            let mut name = [0u8; ZONE_NAME_LEN];
            if !name_ptr.is_null() {
                // Zone names are static NUL-terminated strings set at boot: read byte by byte
                // up to the NUL or the field's length, never past the string.
                for (i, c) in name.iter_mut().enumerate() {
                    let b = core::ptr::read(name_ptr.cast::<u8>().add(i));
                    if b == 0 {
                        break;
                    }
                    *c = b;
                }
            }
            ZoneInfo {
                node,
                idx: u8::try_from(idx).unwrap_or(u8::MAX),
                name,
                marks: ZoneMarks {
                    free: read_atomic_long(
                        (&raw const (*z).vm_stat)
                            .cast::<bindings::atomic_long_t>()
                            .add(free_idx),
                    ),
                    min: mark(bindings::zone_watermarks_WMARK_MIN),
                    low: mark(bindings::zone_watermarks_WMARK_LOW),
                    high: mark(bindings::zone_watermarks_WMARK_HIGH),
                    boost: read_once(&raw const (*z).watermark_boost),
                    reserve: read_once(
                        (&raw const (*z).lowmem_reserve)
                            .cast::<c_long>()
                            .add(USER_ZONEIDX),
                    ),
                    // Free pages in highatomic pageblocks: `__zone_watermark_ok()` does not let
                    // an ordinary allocation count them. Free CMA pages it does count for a
                    // movable allocation (`ALLOC_CMA`), so they stay in `free`.
                    unusable: read_once(&raw const (*z).nr_free_highatomic),
                },
                managed: read_atomic_long(&raw const (*z).managed_pages),
            }
        };
        f(info);
    }
}

/// Calls `f` for every populated zone of every online node. Lock-free: the values are a
/// racy snapshot, as `/proc/zoneinfo` is. Safe to call on the OOM path.
pub(crate) fn for_each_zone(mut f: impl FnMut(ZoneInfo)) {
    #[cfg(not(CONFIG_NUMA))]
    {
        // SAFETY: Without NUMA the only node is `contig_page_data`, a static.
        unsafe { node_zones(&raw const bindings::contig_page_data, &mut f) };
    }
    #[cfg(CONFIG_NUMA)]
    {
        let bits_per_long = core::mem::size_of::<c_ulong>() * 8;
        let words = bindings::MAX_NUMNODES as usize / bits_per_long + 1;
        for nid in 0..bindings::MAX_NUMNODES as usize {
            let word = nid / bits_per_long;
            if word >= words {
                break;
            }
            // SAFETY: `node_states` is a static array of `NR_NODE_STATES` nodemasks of
            // `BITS_TO_LONGS(MAX_NUMNODES)` words each; `N_ONLINE` and `word` are inside them.
            // A raw load of one word is what `node_online()` does.
            let online = unsafe {
                let mask = (&raw const bindings::node_states)
                    .cast::<bindings::nodemask_t>()
                    .add(bindings::node_states_N_ONLINE as usize);
                read_once((&raw const (*mask).bits).cast::<c_ulong>().add(word))
                    & (1 << (nid % bits_per_long))
                    != 0
            };
            if !online {
                continue;
            }
            // SAFETY: `node_data` is a static array of `MAX_NUMNODES` pointers to the nodes'
            // data; `nid` is inside it.
            let pgdat = unsafe {
                read_once_ptr(
                    (&raw const bindings::node_data)
                        .cast::<*const bindings::pglist_data>()
                        .add(nid),
                )
            };
            if !pgdat.is_null() {
                // SAFETY: An online node's `pglist_data` stays valid while it is online.
                unsafe { node_zones(pgdat, &mut f) };
            }
        }
    }
}
