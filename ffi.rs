// SPDX-License-Identifier: GPL-2.0

//! Every raw kernel interface rust_oom_guard uses, behind a safe API.
//!
//! Nothing outside this file touches `bindings::` or declares `extern "C"` items: the OOM
//! notifier chain, the zone and vmstat data, the task name, our own delayed work, and a misc
//! device that owns its `file_operations` (the `MiscDevice` trait has no `poll` hook).

use crate::abi::{self, ZONE_NAME_LEN};
use crate::level::ZoneMarks;
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use kernel::{
    bindings,
    error::to_result,
    ffi::{c_char, c_int, c_long, c_uint, c_ulong, c_void},
    fs::File,
    prelude::*,
    sync::{poll::PollTable, Arc, LockClassKey},
    types::{ForeignOwnable, Opaque},
    uaccess::{UserPtr, UserSlice, UserSliceReader, UserSliceWriter},
};

// ---- Page blocks ---------------------------------------------------------------------------

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

/// A zone named by its node and its index in the node (`page_zone()` as two numbers).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct ZoneKey {
    pub(crate) node: u16,
    pub(crate) idx: u8,
}

/// Where a [`Block`] is allocated, which decides how hard the allocator may try.
#[derive(Clone, Copy)]
pub(crate) enum AllocCtx {
    /// Module load: process context, may reclaim, but gives up rather than OOM-kill anyone
    /// (`GFP_KERNEL | __GFP_RETRY_MAYFAIL`).
    Load,
    /// A refill: never reclaims or waits (`GFP_NOWAIT`), so it cannot cause pressure itself.
    Refill,
}

/// `ZONES_PGSHIFT`: where `page->flags` keeps the zone number (`include/linux/mmzone.h`).
const ZONES_PGSHIFT: u32 = if bindings::ZONES_WIDTH == 0 {
    0
} else {
    c_ulong::BITS - bindings::SECTIONS_WIDTH - bindings::NODES_WIDTH - bindings::ZONES_WIDTH
};

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
        let (flags, nid) = unsafe {
            (
                read_once(&raw const (*page.as_ptr()).flags.f),
                bindings::page_to_nid(page.as_ptr()),
            )
        };
        let zone = ZoneKey {
            node: u16::try_from(nid).unwrap_or(0),
            idx: u8::try_from((flags >> ZONES_PGSHIFT) & u64::from(bindings::ZONES_MASK))
                .unwrap_or(0),
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

// ---- Clock, memory counters, task ---------------------------------------------------------

/// `CLOCK_MONOTONIC` now, in nanoseconds.
pub(crate) fn now_ns() -> u64 {
    // SAFETY: `ktime_get` has no preconditions.
    let t = unsafe { bindings::ktime_get() };
    u64::try_from(t).unwrap_or(0)
}

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

/// Whether `cpu` is set in a kernel cpumask (`cpumask_test_cpu()`), read word by word with
/// `READ_ONCE()`-style loads.
///
/// # Safety
///
/// `mask` must point to a live `struct cpumask`.
unsafe fn cpumask_test(mask: *const bindings::cpumask, cpu: usize) -> bool {
    let bits_per_long = core::mem::size_of::<c_ulong>() * 8;
    let words = bindings::NR_CPUS as usize / bits_per_long + 1;
    let word = cpu / bits_per_long;
    if cpu >= bindings::NR_CPUS as usize || word >= words {
        return false;
    }
    // SAFETY: The caller guarantees `mask` is valid; `word` indexes its `bits` array, which
    // holds `BITS_TO_LONGS(NR_CPUS)` words (`cpu < NR_CPUS`, checked above).
    let w = unsafe { read_once((&raw const (*mask).bits).cast::<c_ulong>().add(word)) };
    w & (1 << (cpu % bits_per_long)) != 0
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
    for cpu in 0..kernel::cpu::nr_cpu_ids() as usize {
        // SAFETY: `__cpu_possible_mask` is a static cpumask.
        if !unsafe { cpumask_test(&raw const bindings::__cpu_possible_mask, cpu) } {
            continue;
        }
        let Some(offset) = per_cpu_offset(cpu) else {
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

/// `__per_cpu_offset[cpu]`, the distance from a per-CPU variable to CPU `cpu`'s copy.
fn per_cpu_offset(cpu: usize) -> Option<usize> {
    if cpu >= bindings::NR_CPUS as usize {
        return None;
    }
    // SAFETY: `__per_cpu_offset` is a static array of `NR_CPUS` words, set at boot for every
    // possible CPU; `cpu` is inside it (checked above).
    let off = unsafe {
        read_once(
            (&raw const bindings::__per_cpu_offset)
                .cast::<c_ulong>()
                .add(cpu),
        )
    };
    usize::try_from(off).ok()
}

/// Pid and name of the current task.
pub(crate) fn current_task() -> (u32, [u8; abi::COMM_LEN]) {
    let task = kernel::current!();
    let pid = u32::try_from(task.pid()).unwrap_or(0);
    let raw = task.as_ptr();
    let mut comm = [0u8; abi::COMM_LEN];
    // SAFETY: `raw` is the current task, valid for this call. `comm` is a fixed array inside
    // it; a concurrent `set_task_comm()` may tear the name, which is harmless for a report
    // (the kernel's own `%s` of `current->comm` has the same race).
    let src = unsafe { &raw const (*raw).comm };
    for (i, c) in comm.iter_mut().enumerate() {
        // SAFETY: `i < COMM_LEN == TASK_COMM_LEN`, inside the `comm` array.
        let b = unsafe { core::ptr::read_volatile(src.cast::<u8>().add(i)) };
        if b == 0 {
            break;
        }
        *c = b;
    }
    (pid, comm)
}

/// Whether the current task has `CAP_SYS_ADMIN`.
pub(crate) fn capable_sys_admin() -> bool {
    // SAFETY: `capable` has no preconditions.
    unsafe { bindings::capable(bindings::CAP_SYS_ADMIN as i32) }
}

// ---- Zones ------------------------------------------------------------------------------------

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

/// `READ_ONCE()` of a `long` or `unsigned long` field of kernel memory, as a `u64` (negative
/// values, which a racy counter can show for a moment, read as 0).
///
/// # Safety
///
/// `p` must be valid for reads and aligned; other CPUs may write it concurrently.
unsafe fn read_once<T: Copy + TryInto<u64>>(p: *const T) -> u64 {
    // SAFETY: The caller guarantees `p` is valid; a volatile load of a naturally aligned word is
    // what `READ_ONCE()` compiles to.
    let v = unsafe { core::ptr::read_volatile(p) };
    v.try_into().unwrap_or(0)
}

/// `atomic_long_read()` of an `atomic_long_t` in kernel memory.
///
/// # Safety
///
/// `a` must point to a live `atomic_long_t`.
unsafe fn read_atomic_long(a: *const bindings::atomic_long_t) -> u64 {
    // SAFETY: The caller guarantees `a` is valid; `counter` is its only field.
    unsafe { read_once(&raw const (*a).counter) }
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

/// `READ_ONCE()` of a pointer field.
///
/// # Safety
///
/// `p` must be valid for reads and aligned.
unsafe fn read_once_ptr<T>(p: *const *const T) -> *const T {
    // SAFETY: The caller guarantees `p` is valid.
    unsafe { core::ptr::read_volatile(p) }
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

// ---- OOM notifier -----------------------------------------------------------------------------

extern "C" {
    fn register_oom_notifier(nb: *mut bindings::notifier_block) -> c_int;
    fn unregister_oom_notifier(nb: *mut bindings::notifier_block) -> c_int;
}

/// Called by the kernel's OOM notifier chain, inside `out_of_memory()` with `oom_lock` held.
pub(crate) trait OomHandler: Send + Sync {
    /// Handles one global OOM; returns the number of pages freed, which the kernel adds to
    /// `*freed` (non-zero skips the kill for this round). Must not allocate or sleep.
    fn on_oom(&self) -> u64;
}

/// A registration on the OOM notifier chain; unregistered on drop.
#[pin_data(PinnedDrop)]
pub(crate) struct OomNotifier<H: OomHandler + 'static> {
    handler: Arc<H>,
    #[pin]
    nb: Opaque<bindings::notifier_block>,
}

impl<H: OomHandler + 'static> OomNotifier<H> {
    /// Registers `handler` on the OOM notifier chain.
    pub(crate) fn register(handler: Arc<H>) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            handler,
            nb <- Opaque::try_ffi_init(|slot: *mut bindings::notifier_block| {
                // SAFETY: `slot` is valid for writes; `handler` was initialised before `nb`, so
                // a callback that runs as soon as this registers finds it.
                unsafe {
                    slot.write(bindings::notifier_block {
                        notifier_call: Some(Self::call),
                        next: core::ptr::null_mut(),
                        priority: 0,
                    });
                    to_result(register_oom_notifier(slot))
                }
            }),
        })
    }

    /// # Safety
    ///
    /// Called by the notifier chain with the `notifier_block` registered above and `data`
    /// pointing to the OOM killer's `unsigned long freed`.
    unsafe extern "C" fn call(
        nb: *mut bindings::notifier_block,
        _action: c_ulong,
        data: *mut c_void,
    ) -> c_int {
        // SAFETY: `nb` is the `nb` field of a pinned, registered `OomNotifier<H>`: it is
        // unregistered (and the chain synchronised) before the struct is dropped.
        let this = unsafe { &*kernel::container_of!(Opaque::cast_from(nb), Self, nb) };
        let freed = this.handler.on_oom();
        if freed > 0 && !data.is_null() {
            let freed = c_ulong::try_from(freed).unwrap_or(c_ulong::MAX);
            // SAFETY: The OOM killer passes a valid `unsigned long *freed`, owned by it and
            // written only under `oom_lock`, which it holds.
            unsafe {
                let p = data.cast::<c_ulong>();
                *p = (*p).saturating_add(freed);
            }
        }
        bindings::NOTIFY_OK as c_int
    }
}

// SAFETY: The `notifier_block` is only touched by the notifier chain, under its own lock, and
// by `register`/`drop`; `H` is `Send + Sync`.
unsafe impl<H: OomHandler + 'static> Send for OomNotifier<H> {}
// SAFETY: As above.
unsafe impl<H: OomHandler + 'static> Sync for OomNotifier<H> {}

#[pinned_drop]
impl<H: OomHandler + 'static> PinnedDrop for OomNotifier<H> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: `nb` was registered in `register` (an `OomNotifier` exists only if that
        // succeeded). Unregistering waits for running callbacks (the chain's rwsem).
        unsafe { unregister_oom_notifier(self.nb.get()) };
    }
}

// ---- Delayed work ---------------------------------------------------------------------------

/// A periodic job run in process context by [`Ticker`].
pub(crate) trait Tick: Send + Sync {
    /// Runs once; returns the delay in milliseconds until the next run.
    fn tick(&self) -> u32;

    /// A [`Waker`] the [`Ticker`] attaches itself to while it exists.
    fn waker(&self) -> &Waker;
}

/// Raw pointer to a ticker's `delayed_work`, as kept by a [`Waker`].
struct WorkPtr(*mut bindings::delayed_work);

// SAFETY: The pointer is only passed to the workqueue API, which is thread-safe; its validity
// is managed by the `Waker` lock (see there).
unsafe impl Send for WorkPtr {}

/// Runs a [`Ticker`]'s job at once, from any context that may take a spinlock: the monitor's
/// doorbell for the shrinker.
///
/// # Invariants
///
/// `work`, when set, points to the `delayed_work` of a live, pinned [`Ticker`]: the ticker sets
/// it once initialised and clears it, under the lock, before it cancels its work and goes away.
#[pin_data]
pub(crate) struct Waker {
    /// Interrupt-safe: the peek timers wake the monitor from softirq context.
    #[pin]
    work: kernel::sync::SpinLockIrq<WorkPtr>,
}

impl Waker {
    /// A waker attached to no ticker yet (waking it does nothing).
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            work <- kernel::new_spinlock_irq!(WorkPtr(core::ptr::null_mut()), "OomGuard::waker"),
        })
    }

    /// Runs the attached ticker's job now (or keeps it pending to run now). Never sleeps or
    /// allocates.
    pub(crate) fn wake(&self) {
        let w = self.work.lock();
        if !w.0.is_null() {
            // SAFETY: By the invariant, `w.0` is the `delayed_work` of a live ticker; holding
            // the lock keeps it from going away. `mod_delayed_work_on` is safe in any context.
            unsafe {
                bindings::mod_delayed_work_on(
                    bindings::wq_misc_consts_WORK_CPU_UNBOUND as i32,
                    bindings::system_dfl_wq,
                    w.0,
                    0,
                )
            };
        }
    }

    fn attach(&self, work: *mut bindings::delayed_work) {
        // INVARIANT: Only `Ticker` calls this, with its own initialised, pinned work item.
        self.work.lock().0 = work;
    }
}

/// A self-rearming delayed work item on the default (unbound) system workqueue, cancelled on
/// drop.
#[pin_data(PinnedDrop)]
pub(crate) struct Ticker<H: Tick + 'static> {
    handler: Arc<H>,
    #[pin]
    dwork: Opaque<bindings::delayed_work>,
}

// SAFETY: The work item may run on any CPU; `H` is `Send + Sync` and `dwork` is only touched
// through the workqueue API, which is thread-safe.
unsafe impl<H: Tick + 'static> Send for Ticker<H> {}
// SAFETY: As above.
unsafe impl<H: Tick + 'static> Sync for Ticker<H> {}

impl<H: Tick + 'static> Ticker<H> {
    /// Creates the work item and runs it after `first_delay_ms`.
    pub(crate) fn new(
        handler: Arc<H>,
        first_delay_ms: u32,
        work_key: Pin<&'static LockClassKey>,
        timer_key: Pin<&'static LockClassKey>,
    ) -> impl PinInit<Self> {
        pin_init!(Self {
            handler,
            dwork <- Opaque::ffi_init(move |slot: *mut bindings::delayed_work| {
                // SAFETY: `slot` is valid for writes. This is `INIT_DELAYED_WORK()`, done the
                // way the kernel crate's `DelayedWork::new` does it.
                unsafe {
                    bindings::init_work_with_key(
                        &raw mut (*slot).work,
                        Some(Self::run),
                        false,
                        c"OomGuard::monitor".as_char_ptr(),
                        work_key.as_ptr(),
                    );
                    // `INIT_DEFERRABLE_WORK()`: the periodic sample never wakes an idle CPU.
                    bindings::timer_init_key(
                        &raw mut (*slot).timer,
                        Some(bindings::delayed_work_timer_fn),
                        bindings::TIMER_IRQSAFE | bindings::TIMER_DEFERRABLE,
                        c"OomGuard::monitor_timer".as_char_ptr(),
                        timer_key.as_ptr(),
                    );
                }
            }),
        })
        .pin_chain(move |this| {
            this.handler.waker().attach(this.dwork.get());
            this.start(first_delay_ms);
            Ok(())
        })
    }

    /// Runs the job after `delay_ms`, or sooner if it was already pending for later.
    pub(crate) fn start(&self, delay_ms: u32) {
        let jiffies = kernel::time::msecs_to_jiffies(delay_ms);
        // SAFETY: `dwork` is initialised and pinned; `system_dfl_wq` lives forever.
        // `mod_delayed_work_on` is safe from any context and re-arms a pending item.
        unsafe {
            bindings::mod_delayed_work_on(
                bindings::wq_misc_consts_WORK_CPU_UNBOUND as i32,
                bindings::system_dfl_wq,
                self.dwork.get(),
                jiffies,
            )
        };
    }

    /// Queues the next run after `delay_ms`, unless a run is already queued: a [`Waker`] that
    /// rang while the job ran has queued one to run at once, and re-arming with
    /// `mod_delayed_work_on` would push it back to `delay_ms`.
    fn rearm(&self, delay_ms: u32) {
        let jiffies = kernel::time::msecs_to_jiffies(delay_ms);
        // SAFETY: As in `start`; `queue_delayed_work_on` leaves a pending item as it is.
        unsafe {
            bindings::queue_delayed_work_on(
                bindings::wq_misc_consts_WORK_CPU_UNBOUND as i32,
                bindings::system_dfl_wq,
                self.dwork.get(),
                jiffies,
            )
        };
    }

    /// # Safety
    ///
    /// Called by the workqueue with the `work` field of this item's `delayed_work`.
    unsafe extern "C" fn run(work: *mut bindings::work_struct) {
        // SAFETY: `work` is the first field of the `delayed_work` inside a pinned `Ticker`,
        // which cancels the work (synchronously) before it is dropped.
        let this = unsafe {
            let dwork = kernel::container_of!(work, bindings::delayed_work, work);
            &*kernel::container_of!(Opaque::cast_from(dwork), Self, dwork)
        };
        let next = this.handler.tick();
        this.rearm(next);
    }
}

#[pinned_drop]
impl<H: Tick + 'static> PinnedDrop for Ticker<H> {
    fn drop(self: Pin<&mut Self>) {
        // After this no waker can queue the work again.
        self.handler.waker().attach(core::ptr::null_mut());
        // SAFETY: `dwork` is initialised. `cancel_delayed_work_sync` also stops a work item
        // that re-queues itself, and returns once it no longer runs.
        unsafe { bindings::cancel_delayed_work_sync(self.dwork.get()) };
    }
}

// ---- Per-CPU peeks ------------------------------------------------------------------------

/// A cheap look at memory taken by [`Peeker`] on every CPU that is busy anyway.
pub(crate) trait Peek: Send + Sync {
    /// Runs in softirq context: atomics only, no locks but interrupt-safe ones, no allocation.
    /// Returns whether the monitor should run now.
    fn peek(&self) -> bool;

    /// The monitor's doorbell.
    fn doorbell(&self) -> &Waker;
}

/// One CPU's peek timer.
struct PeekTimer<H: Peek + 'static> {
    timer: Opaque<bindings::timer_list>,
    handler: *const H,
    period: c_ulong,
    /// Whether the timer may re-arm itself: set while its CPU is online (cpuhp startup),
    /// cleared before the timer is stopped (cpuhp teardown, unload).
    armed: AtomicBool,
}

/// The peek timers and their CPU-hotplug instance, at a fixed address.
///
/// # Invariants
///
/// `timers` has one entry per possible CPU id (`nr_cpu_ids`), each initialised with
/// [`Peeker::fire`] as its function and `handler` pointing into the owning [`Peeker`]'s `Arc`;
/// the vector is never resized, so the timers never move. `node` is registered as an instance
/// of the owning `Peeker`'s cpuhp state while that `Peeker` lives.
#[pin_data]
struct PeekSet<H: Peek + 'static> {
    #[pin]
    node: Opaque<bindings::hlist_node>,
    timers: KVec<PeekTimer<H>>,
}

/// Per-CPU deferrable timers that call [`Peek::peek`] every `period_ms` and ring the monitor's
/// doorbell when it says so.
///
/// Deferrable: a timer never wakes an idle CPU, it runs when its CPU is awake for another
/// reason. So a quiet system pays nothing, while a CPU running an allocating task looks every
/// period: the monitor learns of a fast fall within a period instead of at its next slow
/// sample. One timer per online CPU, pinned to it, started and stopped by CPU-hotplug
/// callbacks (`CPUHP_AP_ONLINE_DYN`, multi-instance): a CPU that goes offline stops its timer
/// first, and one that comes online starts its own.
pub(crate) struct Peeker<H: Peek + 'static> {
    set: Pin<KBox<PeekSet<H>>>,
    /// The dynamic cpuhp state of our callbacks.
    state: bindings::cpuhp_state,
    handler: Arc<H>,
}

// SAFETY: The timers are only touched through the timer API, which is thread-safe, and by the
// cpuhp callbacks, which the hotplug core serialises; `H` is `Send + Sync`.
unsafe impl<H: Peek + 'static> Send for Peeker<H> {}
// SAFETY: As above.
unsafe impl<H: Peek + 'static> Sync for Peeker<H> {}

/// `jiffies` now.
fn jiffies_now() -> c_ulong {
    // SAFETY: `jiffies` is a static the timer interrupt updates; a volatile load is what the
    // C `READ_ONCE(jiffies)` does.
    unsafe { core::ptr::read_volatile(&raw const bindings::jiffies) }
}

/// A cpuhp multi-instance callback, `int (*)(unsigned int cpu, struct hlist_node *node)`.
type CpuhpMulti = unsafe extern "C" fn(c_uint, *mut bindings::hlist_node) -> c_int;
/// The single-instance type `__cpuhp_setup_state()` is declared with.
type CpuhpSingle = unsafe extern "C" fn(c_uint) -> c_int;

impl<H: Peek + 'static> Peeker<H> {
    /// Sets up one timer per possible CPU and starts it on every online CPU, now and whenever
    /// a CPU comes online.
    pub(crate) fn start(
        handler: Arc<H>,
        period_ms: u32,
        key: Pin<&'static LockClassKey>,
    ) -> Result<Self> {
        let n = kernel::cpu::nr_cpu_ids() as usize;
        let period = kernel::time::msecs_to_jiffies(period_ms).max(1);
        let mut timers = KVec::with_capacity(n, GFP_KERNEL)?;
        for _ in 0..n {
            timers.push(
                PeekTimer {
                    timer: Opaque::uninit(),
                    handler: Arc::as_ptr(&handler),
                    period,
                    armed: AtomicBool::new(false),
                },
                GFP_KERNEL,
            )?;
        }
        let set = KBox::pin_init(
            pin_init!(PeekSet {
                node <- Opaque::uninit(),
                timers,
            }),
            GFP_KERNEL,
        )?;
        // INVARIANT: From here on `timers` is not resized (it sits in a pinned box); each
        // timer is initialised now, before any callback can arm it.
        for t in set.timers.iter() {
            // SAFETY: `t.timer` is valid for writes and stays at this address (see the
            // invariant). This is `timer_setup()`.
            unsafe {
                bindings::timer_init_key(
                    t.timer.get(),
                    Some(Self::fire),
                    bindings::TIMER_DEFERRABLE | bindings::TIMER_PINNED,
                    c"OomGuard::peek".as_char_ptr(),
                    key.as_ptr(),
                );
            }
        }
        // SAFETY: With `multi_instance` the hotplug core calls the callbacks through their
        // multi-instance type (the C `cpuhp_setup_state_multi()` casts them the same way), so
        // the transmuted pointers are called with the signature they have. The name is a
        // static string. No instance exists yet, so nothing is invoked now.
        let ret = unsafe {
            bindings::__cpuhp_setup_state(
                bindings::cpuhp_state_CPUHP_AP_ONLINE_DYN,
                c"rust_oom_guard:peek".as_char_ptr(),
                false,
                Some(core::mem::transmute::<CpuhpMulti, CpuhpSingle>(
                    Self::cpu_up,
                )),
                Some(core::mem::transmute::<CpuhpMulti, CpuhpSingle>(
                    Self::cpu_down,
                )),
                true,
            )
        };
        // A dynamic state comes back as a positive state number.
        let state = bindings::cpuhp_state::try_from(ret).map_err(|_| Error::from_errno(ret))?;
        // SAFETY: `node` is pinned in `set` and lives until `drop`, which removes the instance
        // first; adding it runs `cpu_up` on every online CPU, under the hotplug lock.
        let ret = unsafe { bindings::__cpuhp_state_add_instance(state, set.node.get(), true) };
        if ret != 0 {
            // SAFETY: The state was set up above and has no instance.
            unsafe { bindings::__cpuhp_remove_state(state, false) };
            return Err(Error::from_errno(ret));
        }
        Ok(Self {
            set,
            state,
            handler,
        })
    }

    /// The timer of `cpu` in the set `node` belongs to.
    ///
    /// # Safety
    ///
    /// `node` is the `node` of a live [`PeekSet`] (a registered cpuhp instance).
    unsafe fn timer_of<'a>(
        node: *mut bindings::hlist_node,
        cpu: c_uint,
    ) -> Option<&'a PeekTimer<H>> {
        // SAFETY: The caller guarantees `node` is inside a live, pinned `PeekSet<H>`.
        let set = unsafe { &*kernel::container_of!(Opaque::cast_from(node), PeekSet<H>, node) };
        set.timers.get(cpu as usize)
    }

    /// cpuhp startup, on `cpu` as it comes online: starts its timer there.
    ///
    /// # Safety
    ///
    /// Called by the hotplug core with a registered instance's `node`.
    unsafe extern "C" fn cpu_up(cpu: c_uint, node: *mut bindings::hlist_node) -> c_int {
        // SAFETY: See above.
        let Some(t) = (unsafe { Self::timer_of(node, cpu) }) else {
            return 0;
        };
        t.armed.store(true, Ordering::Release);
        // SAFETY: The timer is initialised (type invariant) and not pending: it is stopped
        // while its CPU is offline (`cpu_down`) and before the first start. The hotplug core
        // keeps `cpu` online during the callback.
        unsafe {
            (*t.timer.get()).expires = jiffies_now().wrapping_add(t.period);
            bindings::add_timer_on(t.timer.get(), cpu as c_int);
        }
        0
    }

    /// cpuhp teardown, on `cpu` before it goes offline: stops its timer.
    ///
    /// # Safety
    ///
    /// Called by the hotplug core with a registered instance's `node`.
    unsafe extern "C" fn cpu_down(cpu: c_uint, node: *mut bindings::hlist_node) -> c_int {
        // SAFETY: See above.
        if let Some(t) = unsafe { Self::timer_of(node, cpu) } {
            t.armed.store(false, Ordering::Release);
            // SAFETY: The timer is initialised; once `armed` is clear its function no longer
            // re-arms it, so after this returns it is neither pending nor running.
            unsafe { bindings::timer_delete_sync(t.timer.get()) };
        }
        0
    }

    /// The timer function: peeks and re-arms on the same CPU.
    ///
    /// # Safety
    ///
    /// Called by the timer core with the `timer` field of a live `PeekTimer<H>`.
    unsafe extern "C" fn fire(timer: *mut bindings::timer_list) {
        // SAFETY: By the type invariant `timer` is inside a `PeekTimer<H>` of a live
        // `Peeker`, which shuts its timers down before the timers and `handler` go away.
        let t = unsafe { &*kernel::container_of!(Opaque::cast_from(timer), PeekTimer<H>, timer) };
        // SAFETY: As above, `handler` points into the `Peeker`'s `Arc`.
        let h = unsafe { &*t.handler };
        if h.peek() {
            h.doorbell().wake();
        }
        if t.armed.load(Ordering::Acquire) {
            // SAFETY: `timer` is initialised; a pinned timer re-armed from its own function
            // stays on this CPU. After `timer_shutdown_sync` this does nothing.
            unsafe { bindings::mod_timer(timer, jiffies_now().wrapping_add(t.period)) };
        }
    }
}

impl<H: Peek + 'static> Drop for Peeker<H> {
    fn drop(&mut self) {
        // SAFETY: The instance was added in `start`; removing it runs `cpu_down` on every
        // online CPU (under the hotplug lock); then the state, which has no instance left.
        unsafe {
            bindings::__cpuhp_state_remove_instance(self.state, self.set.node.get(), true);
            bindings::__cpuhp_remove_state(self.state, false);
        }
        for t in self.set.timers.iter() {
            t.armed.store(false, Ordering::Release);
            // SAFETY: Every timer is initialised (type invariant). `timer_shutdown_sync`
            // waits for a running function and keeps the timer from being armed again.
            unsafe { bindings::timer_shutdown_sync(t.timer.get()) };
        }
        let _ = &self.handler;
    }
}

// ---- Reclaim hook (a shrinker that frees nothing) ----------------------------------------

/// Told by [`ReclaimHook`] whenever the kernel reclaims memory.
pub(crate) trait ReclaimHandler: Send + Sync {
    /// Called from every reclaim pass over the shrinkers: by kswapd (`kswapd` true) or by a
    /// task in direct reclaim. Must not allocate, block or sleep.
    fn on_reclaim(&self, kswapd: bool);
}

/// A shrinker whose count callback only tells its handler that reclaim runs, and which offers
/// no objects: the kernel never calls its scan callback. Unregistered and freed on drop.
///
/// # Invariants
///
/// `shrinker` is a registered shrinker from `shrinker_alloc` whose `private_data` is the
/// pointer of `handler`, kept alive by this struct until `shrinker_free`.
pub(crate) struct ReclaimHook<H: ReclaimHandler + 'static> {
    shrinker: core::ptr::NonNull<bindings::shrinker>,
    handler: Arc<H>,
}

// SAFETY: The shrinker pointer is only used to free it; `H` is `Send + Sync`.
unsafe impl<H: ReclaimHandler + 'static> Send for ReclaimHook<H> {}
// SAFETY: As above; no method takes `&self` and touches the shrinker.
unsafe impl<H: ReclaimHandler + 'static> Sync for ReclaimHook<H> {}

impl<H: ReclaimHandler + 'static> ReclaimHook<H> {
    /// Allocates and registers the shrinker.
    pub(crate) fn register(handler: Arc<H>) -> Result<Self> {
        // SAFETY: A plain string without format directives and no variadic arguments.
        let raw = unsafe { bindings::shrinker_alloc(0, c"rust_oom_guard".as_char_ptr()) };
        let shrinker = core::ptr::NonNull::new(raw).ok_or(ENOMEM)?;
        // SAFETY: `raw` is a fresh, unregistered shrinker that nothing else sees yet; its
        // callbacks and private data are set before `shrinker_register` publishes it.
        // INVARIANT: `private_data` is `handler`'s pointer, and `handler` lives in `Self`.
        unsafe {
            (*raw).count_objects = Some(Self::count);
            (*raw).scan_objects = Some(Self::scan);
            (*raw).seeks = bindings::DEFAULT_SEEKS as c_int;
            (*raw).private_data = Arc::as_ptr(&handler).cast_mut().cast();
            bindings::shrinker_register(raw);
        }
        Ok(Self { shrinker, handler })
    }

    /// The count callback: notes the reclaim pass and offers nothing.
    ///
    /// # Safety
    ///
    /// Called by reclaim with a shrinker registered by [`ReclaimHook::register`].
    unsafe extern "C" fn count(
        shrinker: *mut bindings::shrinker,
        _sc: *mut bindings::shrink_control,
    ) -> c_ulong {
        // SAFETY: By the type invariant `private_data` is a live `H` (the hook frees the
        // shrinker, which waits for running callbacks, before it drops its `Arc`).
        let handler = unsafe { &*(*shrinker).private_data.cast::<H>() };
        handler.on_reclaim(current_is_kswapd());
        0
    }

    /// The scan callback: never called while `count` returns 0; frees nothing.
    extern "C" fn scan(
        _shrinker: *mut bindings::shrinker,
        _sc: *mut bindings::shrink_control,
    ) -> c_ulong {
        bindings::SHRINK_STOP as c_ulong
    }
}

impl<H: ReclaimHandler + 'static> Drop for ReclaimHook<H> {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the shrinker is registered; `shrinker_free`
        // unregisters it and waits until no callback runs, so `handler` may go after it.
        unsafe { bindings::shrinker_free(self.shrinker.as_ptr()) };
        let _ = &self.handler;
    }
}

/// Whether the current task is a kswapd thread (`current_is_kswapd()`).
fn current_is_kswapd() -> bool {
    let task = kernel::current!().as_ptr();
    // SAFETY: `task` is the current task, valid for this call; `flags` of the current task is
    // only written by the task itself.
    let flags = unsafe { (*task).flags };
    flags & bindings::PF_KSWAPD != 0
}

// ---- Misc device with poll ---------------------------------------------------------------

/// The operations of the guard's character device.
pub(crate) trait DeviceOps: Send + Sync + Sized + 'static {
    /// Per-open-file state.
    type Open: Send + Sync;
    /// Called on `open()`.
    fn open(&self) -> Result<Self::Open>;
    /// Called on the last `close()`.
    fn release(&self, open: Self::Open);
    /// `read()`: writes whole records to `out`.
    fn read(&self, open: &Self::Open, out: &mut UserSliceWriter, nonblock: bool) -> Result<usize>;
    /// `poll()`: registers on the wait queue through `table`, returns whether records wait.
    fn poll(&self, open: &Self::Open, file: &File, table: PollTable<'_>) -> bool;
    /// `ioctl()`: `reader`/`writer` cover the argument with the size the command encodes.
    fn ioctl(
        &self,
        open: &Self::Open,
        cmd: u32,
        reader: UserSliceReader,
        writer: UserSliceWriter,
    ) -> Result<i32>;
}

/// Per-file private data: the device's operations and the open state.
struct OpenFile<D: DeviceOps> {
    ops: Arc<D>,
    open: D::Open,
}

/// A registered misc device with its own `file_operations`; deregistered on drop.
#[pin_data(PinnedDrop)]
pub(crate) struct MiscDev<D: DeviceOps> {
    ops: Arc<D>,
    #[pin]
    fops: Opaque<bindings::file_operations>,
    #[pin]
    misc: Opaque<bindings::miscdevice>,
}

// SAFETY: The raw structs are only read by the kernel after registration; `D` is `Send + Sync`.
unsafe impl<D: DeviceOps> Send for MiscDev<D> {}
// SAFETY: As above.
unsafe impl<D: DeviceOps> Sync for MiscDev<D> {}

impl<D: DeviceOps> MiscDev<D> {
    /// Registers `/dev/<name>` with mode 0600, owned by `module` (which cannot be unloaded
    /// while the device is open).
    pub(crate) fn register(
        name: &'static CStr,
        module: &'static ThisModule,
        ops: Arc<D>,
    ) -> impl PinInit<Self, Error> {
        try_pin_init!(&this in Self {
            ops,
            fops <- Opaque::ffi_init(move |slot: *mut bindings::file_operations| {
                // SAFETY: `slot` is valid for writes; an all-zero `file_operations` is valid.
                unsafe {
                    slot.write(bindings::file_operations {
                        owner: module.as_ptr(),
                        open: Some(Self::open),
                        release: Some(Self::release),
                        read: Some(Self::read),
                        poll: Some(Self::poll),
                        unlocked_ioctl: Some(Self::ioctl),
                        #[cfg(CONFIG_COMPAT)]
                        compat_ioctl: Some(bindings::compat_ptr_ioctl),
                        ..pin_init::zeroed()
                    })
                }
            }),
            misc <- Opaque::try_ffi_init(move |slot: *mut bindings::miscdevice| {
                // SAFETY: `this` is being initialised in place and pinned; `fops` above is
                // already initialised and lives as long as `misc` (deregistered first, in
                // `drop`). `slot` is valid for writes.
                unsafe {
                    let fops = (*this.as_ptr()).fops.get();
                    let mut m: bindings::miscdevice = pin_init::zeroed();
                    m.minor = bindings::MISC_DYNAMIC_MINOR as i32;
                    m.name = name.as_char_ptr();
                    m.fops = fops;
                    m.mode = 0o600;
                    slot.write(m);
                    to_result(bindings::misc_register(slot))
                }
            }),
        })
    }

    /// # Safety
    ///
    /// `file` is a file being opened on our device: `misc_open()` set its private data to
    /// our `miscdevice`.
    unsafe extern "C" fn open(_inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
        // SAFETY: See above: `private_data` is the `misc` field of a registered `MiscDev`.
        let this = unsafe {
            let misc = (*file).private_data.cast::<bindings::miscdevice>();
            &*kernel::container_of!(Opaque::cast_from(misc), Self, misc)
        };
        // The per-file box first: once `ops.open()` has succeeded nothing may fail, or the
        // open state would be dropped without `ops.release()`.
        let slot = match KBox::<OpenFile<D>>::new_uninit(GFP_KERNEL) {
            Ok(slot) => slot,
            Err(_) => return ENOMEM.to_errno(),
        };
        let open = match this.ops.open() {
            Ok(o) => o,
            Err(e) => return e.to_errno(),
        };
        let state = slot.write(OpenFile {
            ops: this.ops.clone(),
            open,
        });
        // SAFETY: `file` is valid; from now on `private_data` owns the box, freed in `release`.
        unsafe { (*file).private_data = state.into_foreign() };
        0
    }

    /// # Safety
    ///
    /// `file` must be one of our open files.
    unsafe fn state<'a>(file: *mut bindings::file) -> &'a OpenFile<D> {
        // SAFETY: `open` stored a `KBox<OpenFile<D>>` in `private_data`; it is freed only in
        // `release`, after which no other file operation runs.
        unsafe { <KBox<OpenFile<D>> as ForeignOwnable>::borrow((*file).private_data) }
    }

    /// # Safety
    ///
    /// Called by the VFS on the last close of one of our files.
    unsafe extern "C" fn release(_inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
        // SAFETY: `private_data` holds the box from `open`; nothing uses it after release.
        let state =
            unsafe { <KBox<OpenFile<D>> as ForeignOwnable>::from_foreign((*file).private_data) };
        let OpenFile { ops, open } = KBox::into_inner(state);
        ops.release(open);
        0
    }

    /// # Safety
    ///
    /// Called by the VFS for `read()` on one of our files, `buf` a user pointer.
    unsafe extern "C" fn read(
        file: *mut bindings::file,
        buf: *mut c_char,
        count: usize,
        _pos: *mut bindings::loff_t,
    ) -> isize {
        // SAFETY: `file` is one of our open files.
        let (state, nonblock) = unsafe {
            (
                Self::state(file),
                (*file).f_flags & bindings::O_NONBLOCK != 0,
            )
        };
        let mut writer = UserSlice::new(UserPtr::from_ptr(buf.cast()), count).writer();
        match state.ops.read(&state.open, &mut writer, nonblock) {
            Ok(n) => isize::try_from(n).unwrap_or(isize::MAX),
            Err(e) => e.to_errno() as isize,
        }
    }

    /// # Safety
    ///
    /// Called by the VFS for `poll()`/`epoll` on one of our files.
    unsafe extern "C" fn poll(
        file: *mut bindings::file,
        table: *mut bindings::poll_table_struct,
    ) -> bindings::__poll_t {
        // SAFETY: `file` is one of our open files, valid for this call; `table` is null or a
        // valid poll table for this call.
        let (state, f, table) = unsafe {
            (
                Self::state(file),
                File::from_raw_file(file),
                PollTable::from_raw(table),
            )
        };
        if state.ops.poll(&state.open, f, table) {
            bindings::POLLIN | bindings::POLLRDNORM
        } else {
            0
        }
    }

    /// # Safety
    ///
    /// Called by the VFS for `ioctl()` on one of our files, `arg` a user pointer.
    unsafe extern "C" fn ioctl(file: *mut bindings::file, cmd: c_uint, arg: c_ulong) -> c_long {
        // SAFETY: `file` is one of our open files.
        let state = unsafe { Self::state(file) };
        let size = kernel::ioctl::_IOC_SIZE(cmd);
        let (reader, writer) = UserSlice::new(UserPtr::from_addr(arg), size).reader_writer();
        match state.ops.ioctl(&state.open, cmd, reader, writer) {
            Ok(v) => v as c_long,
            Err(e) => e.to_errno() as c_long,
        }
    }
}

#[pinned_drop]
impl<D: DeviceOps> PinnedDrop for MiscDev<D> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: `misc` was registered in `register`. After `misc_deregister` no new file
        // opens; files already open hold a reference on the module, so the module (and this
        // struct) cannot go away under them.
        unsafe { bindings::misc_deregister(self.misc.get()) };
    }
}

// ---- Module parameters --------------------------------------------------------------------

/// A `u32` module parameter: set at load, readable (mode 0444) under
/// `/sys/module/rust_oom_guard/parameters/`, where it shows the live value (the runtime
/// configuration ioctl updates it too).
///
/// `module!`'s parameters get no sysfs entry in 7.3 (their mode is 0); [`module_params!`]
/// declares the same `kernel_param` records with a mode and these ops instead.
#[repr(transparent)]
pub(crate) struct Param(AtomicU32);

impl Param {
    /// A parameter holding `default` until the kernel parses a load argument into it.
    pub(crate) const fn new(default: u32) -> Self {
        Self(AtomicU32::new(default))
    }

    /// The current value.
    pub(crate) fn get(&self) -> u32 {
        self.0.load(Ordering::Relaxed)
    }

    /// Publishes a new value (what sysfs shows from now on).
    pub(crate) fn set(&self, value: u32) {
        self.0.store(value, Ordering::Relaxed)
    }

    /// The `arg` of this parameter's `kernel_param` record.
    #[doc(hidden)]
    pub(crate) const fn as_arg(&'static self) -> *mut c_void {
        self.0.as_ptr().cast()
    }
}

/// `kernel_param_ops` made `Sync`: the kernel only reads it.
#[doc(hidden)]
#[repr(transparent)]
pub(crate) struct ParamOps(bindings::kernel_param_ops);

// SAFETY: The record is immutable after compilation; the kernel only reads it.
unsafe impl Sync for ParamOps {}

/// Parses a load argument like `param_set_uint` (decimal, `0x` hex or `0` octal) into a
/// [`Param`].
///
/// # Safety
///
/// `val` is null or a NUL-terminated string, and `kp` is a `kernel_param` declared by
/// [`module_params!`], whose `arg` points to a `'static` [`Param`] (the kernel's contract for
/// `kernel_param_ops::set`).
unsafe extern "C" fn param_set(val: *const c_char, kp: *const bindings::kernel_param) -> c_int {
    if val.is_null() {
        return EINVAL.to_errno();
    }
    let mut value: c_uint = 0;
    // SAFETY: `val` is a NUL-terminated string (checked non-null above, caller's contract) and
    // `value` is a valid `unsigned int` to write.
    let ret = unsafe { bindings::kstrtouint(val, 0, &mut value) };
    if ret != 0 {
        return ret;
    }
    // SAFETY: By the caller's contract `arg` points to a `'static` `Param` (`#[repr(transparent)]`
    // over an `AtomicU32`).
    let param = unsafe { &*(*kp).__bindgen_anon_1.arg.cast::<Param>() };
    param.set(value);
    0
}

/// Prints a [`Param`]'s live value and a newline into a sysfs buffer.
///
/// # Safety
///
/// `buf` is a sysfs buffer of `PAGE_SIZE` bytes and `kp` a `kernel_param` declared by
/// [`module_params!`] (the kernel's contract for `kernel_param_ops::get`).
unsafe extern "C" fn param_get(buf: *mut c_char, kp: *const bindings::kernel_param) -> c_int {
    // SAFETY: As in `param_set`: `arg` points to a `'static` `Param`.
    let param = unsafe { &*(*kp).__bindgen_anon_1.arg.cast::<Param>() };
    let mut digits = [0u8; 11];
    let mut at = digits.len() - 1;
    digits[at] = b'\n';
    let mut v = param.get();
    loop {
        at -= 1;
        // `v % 10` is below 10, so the cast cannot truncate; a `u32` has at most 10 digits,
        // so `at` never underflows.
        digits[at] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    let text = &digits[at..];
    // SAFETY: `buf` holds `PAGE_SIZE` bytes, far more than the at most 11 copied here, and
    // cannot overlap our stack array.
    unsafe { core::ptr::copy_nonoverlapping(text.as_ptr(), buf.cast::<u8>(), text.len()) };
    text.len() as c_int
}

/// The ops of every [`Param`].
#[doc(hidden)]
pub(crate) static PARAM_OPS: ParamOps = ParamOps(bindings::kernel_param_ops {
    flags: 0,
    set: Some(param_set),
    get: Some(param_get),
    free: None,
});

/// A `kernel_param` record made `Sync`, for the `__param` section.
#[doc(hidden)]
#[repr(transparent)]
pub(crate) struct KernelParam(bindings::kernel_param);

// SAFETY: The kernel serialises every access to the record (it only reads it, under
// `param_lock` for sysfs); Rust never touches it.
unsafe impl Sync for KernelParam {}

impl KernelParam {
    /// The record of a mode-0444 `u32` parameter of this module named `name`, which must end
    /// with its only NUL (checked at compile time: the records are `static`s).
    #[doc(hidden)]
    pub(crate) const fn new(name: &'static [u8], param: &'static Param) -> Self {
        assert!(
            matches!(name.last(), Some(0)),
            "parameter name without its NUL"
        );
        Self(bindings::kernel_param {
            name: name.as_ptr().cast(),
            // The module's own `struct module`, built by the kernel at load time; it outlives
            // the record, which is part of the module.
            mod_: (&raw const bindings::__this_module).cast_mut(),
            ops: &raw const PARAM_OPS.0,
            perm: 0o444,
            level: -1,
            flags: 0,
            __bindgen_anon_1: bindings::kernel_param__bindgen_ty_1 {
                arg: param.as_arg(),
            },
        })
    }
}

/// Copies a `&str` into a byte array of its length (for `.modinfo` entries).
#[doc(hidden)]
pub(crate) const fn modinfo<const N: usize>(s: &str) -> [u8; N] {
    let bytes = s.as_bytes();
    let mut out = [0u8; N];
    let mut i = 0;
    while i < N {
        out[i] = bytes[i];
        i += 1;
    }
    out
}

/// Declares `u32` module parameters readable under `/sys/module/rust_oom_guard/parameters/`:
/// one `'static` [`Param`] per name, its `__param` record and its `modinfo` description.
macro_rules! module_params {
    ($($name:ident = $default:expr, $desc:literal;)*) => {
        $(
            #[expect(non_upper_case_globals)]
            pub(crate) static $name: $crate::ffi::Param = $crate::ffi::Param::new($default);
            const _: () = {
                #[link_section = "__param"]
                #[used(compiler)]
                static PARAM: $crate::ffi::KernelParam = $crate::ffi::KernelParam::new(
                    concat!(stringify!($name), "\0").as_bytes(),
                    &$name,
                );
                const PARM: &str = concat!("parm=", stringify!($name), ":", $desc, "\0");
                #[link_section = ".modinfo"]
                #[used(compiler)]
                static PARM_INFO: [u8; PARM.len()] = $crate::ffi::modinfo(PARM);
                const TYPE: &str = concat!("parmtype=", stringify!($name), ":uint\0");
                #[link_section = ".modinfo"]
                #[used(compiler)]
                static TYPE_INFO: [u8; TYPE.len()] = $crate::ffi::modinfo(TYPE);
            };
        )*
    };
}
pub(crate) use module_params;

// ---- Plain-data ioctl structs ---------------------------------------------------------------

// SAFETY: `Stats` is `#[repr(C)]` with only `u64` fields: no padding, every bit pattern valid.
unsafe impl kernel::transmute::AsBytes for abi::Stats {}
// SAFETY: `Config` is `#[repr(C)]` with only `u32` fields: no padding.
unsafe impl kernel::transmute::AsBytes for abi::Config {}
// SAFETY: As above, and every bit pattern is a valid `Config` (values are validated after).
unsafe impl kernel::transmute::FromBytes for abi::Config {}
// SAFETY: `Zones` is `#[repr(C)]`: two `u32`, three `u64`, then `ZoneSnapshot`s, which are
// `u16, u8, u8, u32, [u8; 8]` and seven `u64`: every field is naturally aligned with no
// padding (sizes asserted in `abi.rs`).
unsafe impl kernel::transmute::AsBytes for abi::Zones {}
