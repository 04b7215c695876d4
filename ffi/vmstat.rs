// SPDX-License-Identifier: GPL-2.0

//! Memory counters (`include/linux/vmstat.h`): free and available pages, what reclaim can
//! free, and the kernel's `oom_kill` event count. Lock-free reads, safe on the OOM path.

use super::{cpu, read_atomic_long, read_once};
use kernel::{bindings, ffi::c_ulong};

/// Available memory in pages, the kernel's own estimate (`si_mem_available()`).
pub(crate) fn available_pages() -> u64 {
    // SAFETY: `si_mem_available` only reads counters; it takes no locks and does not sleep.
    let pages = unsafe { bindings::si_mem_available() };
    u64::try_from(pages).unwrap_or(0)
}

/// Free pages in all zones (`global_zone_page_state(NR_FREE_PAGES)`).
pub(crate) fn free_pages() -> u64 {
    const _: () = assert!(
        (bindings::zone_stat_item_NR_FREE_PAGES as usize)
            < bindings::zone_stat_item_NR_VM_ZONE_STAT_ITEMS as usize
    );
    // SAFETY: `vm_zone_stat` is a static array of `NR_VM_ZONE_STAT_ITEMS` atomics that lives
    // forever; the index is inside it (asserted above).
    unsafe {
        read_atomic_long(
            (&raw const bindings::vm_zone_stat)
                .cast::<bindings::atomic_long_t>()
                .add(bindings::zone_stat_item_NR_FREE_PAGES as usize),
        )
    }
}

/// A global node counter (`global_node_page_state()`), 0 for an unknown item.
fn node_stat(item: u32) -> u64 {
    if item >= bindings::node_stat_item_NR_VM_NODE_STAT_ITEMS {
        return 0;
    }
    // SAFETY: `vm_node_stat` is a static array of `NR_VM_NODE_STAT_ITEMS` atomics that lives
    // forever; `item` is inside it (checked above).
    unsafe {
        read_atomic_long(
            (&raw const bindings::vm_node_stat)
                .cast::<bindings::atomic_long_t>()
                .add(item as usize),
        )
    }
}

/// The page cache and kernel memory that reclaim can free, estimated the way
/// `si_mem_available()` does (half the page cache and reclaimable slab, or all but the low
/// watermarks' worth). `wmark_low` is the sum of the zones' low watermarks.
///
/// Lock-free counter reads: safe on the OOM path.
pub(crate) fn reclaimable_pages(wmark_low: u64) -> u64 {
    let shift = kernel::page::PAGE_SHIFT;
    let pagecache = node_stat(bindings::node_stat_item_NR_ACTIVE_FILE)
        .saturating_add(node_stat(bindings::node_stat_item_NR_INACTIVE_FILE));
    let slab = (node_stat(bindings::node_stat_item_NR_SLAB_RECLAIMABLE_B) >> shift).saturating_add(
        node_stat(bindings::node_stat_item_NR_KERNEL_MISC_RECLAIMABLE),
    );
    let keep = |v: u64| v.saturating_sub((v / 2).min(wmark_low));
    keep(pagecache).saturating_add(keep(slab))
}

/// The kernel's `oom_kill` vmstat counter (OOM kills since boot): the sum of every possible
/// CPU's `vm_event_states.event[OOM_KILL]`, read lock-free. One load per CPU, no locks, no
/// sleeping: usable on the OOM path. While a CPU goes offline its events are folded into
/// another CPU's, and a lock-free sum can count them twice for a moment; process context takes
/// `cpus_read_lock()` around the sum ([`oom_kill_count_stable`]).
pub(crate) fn oom_kill_count() -> u64 {
    const _: () = assert!(
        (bindings::vm_event_item_OOM_KILL as usize)
            < bindings::vm_event_item_NR_VM_EVENT_ITEMS as usize
    );
    let mut sum = 0u64;
    for cpu in 0..crate::ffi::compat::nr_cpu_ids() as usize {
        // SAFETY: `__cpu_possible_mask` is a static cpumask.
        if !unsafe { cpu::cpumask_test(&raw const bindings::__cpu_possible_mask, cpu) } {
            continue;
        }
        let Some(offset) = cpu::per_cpu_offset(cpu) else {
            continue;
        };
        let base = (&raw const bindings::vm_event_states).cast::<u8>();
        // SAFETY: `vm_event_states` is a per-CPU variable; adding a possible CPU's
        // `__per_cpu_offset` gives that CPU's copy (`per_cpu_ptr()`), which lives as long as the
        // kernel. `OOM_KILL < NR_VM_EVENT_ITEMS` (asserted above) indexes its `event` array.
        let v = unsafe {
            let state = base.wrapping_add(offset).cast::<bindings::vm_event_state>();
            read_once(
                (&raw const (*state).event)
                    .cast::<c_ulong>()
                    .add(bindings::vm_event_item_OOM_KILL as usize),
            )
        };
        sum = sum.wrapping_add(v);
    }
    sum
}

/// [`oom_kill_count`] with CPU hotplug held off, so a CPU going offline cannot be counted
/// twice. Process context only (it may sleep).
pub(crate) fn oom_kill_count_stable() -> u64 {
    // SAFETY: Process context (the caller's contract); the lock is released below.
    unsafe { bindings::cpus_read_lock() };
    let n = oom_kill_count();
    // SAFETY: Taken above.
    unsafe { bindings::cpus_read_unlock() };
    n
}
