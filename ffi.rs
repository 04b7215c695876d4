// SPDX-License-Identifier: GPL-2.0

//! Every raw kernel interface rust_oom_guard uses, behind a safe API.
//!
//! Nothing outside this file touches `bindings::` or declares `extern "C"` items: the OOM
//! notifier chain, the zone and vmstat data, the task name, our own delayed work, and a misc
//! device that owns its `file_operations` (the `MiscDevice` trait has no `poll` hook).

use crate::abi::{self, ZONE_NAME_LEN};
use crate::level::ZoneMarks;
use core::sync::atomic::{AtomicU32, Ordering};
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
/// alone.
pub(crate) struct Block {
    page: core::ptr::NonNull<bindings::page>,
    order: u32,
}

// SAFETY: A `Block` owns its pages outright; they are not tied to a thread, and freeing them
// from another context than the one that allocated them is allowed.
unsafe impl Send for Block {}

/// Where a [`Block`] is allocated, which decides how hard the allocator may try.
#[derive(Clone, Copy)]
pub(crate) enum AllocCtx {
    /// Module load: process context, may reclaim (`GFP_KERNEL`).
    Load,
    /// A refill: never reclaims or waits (`GFP_NOWAIT`), so it cannot cause pressure itself.
    Refill,
}

impl Block {
    /// Allocates a block of `2^order` pages without allocation-failure warnings; orders above
    /// 0 do not retry hard (`__GFP_NORETRY`): a caller falls back to a smaller block rather than
    /// stall in compaction. `ENOMEM` if the allocator has none.
    pub(crate) fn alloc(ctx: AllocCtx, order: u32) -> Result<Self> {
        if order > MAX_BLOCK_ORDER {
            return Err(EINVAL);
        }
        let mut gfp = match ctx {
            AllocCtx::Load => bindings::GFP_KERNEL,
            AllocCtx::Refill => bindings::GFP_NOWAIT,
        } | bindings::__GFP_NOWARN;
        if order > 0 {
            gfp |= 1 << bindings::___GFP_NORETRY_BIT;
        }
        // SAFETY: `alloc_pages` may be called with any flags and an order below MAX_PAGE_ORDER
        // (checked above); it returns a valid `struct page` or NULL.
        let page = unsafe { bindings::alloc_pages(gfp, order) };
        let page = core::ptr::NonNull::new(page).ok_or(ENOMEM)?;
        // INVARIANT: `page` heads a fresh, non-compound block of `2^order` pages we own.
        Ok(Self { page, order })
    }

    /// Pages in the block.
    pub(crate) fn pages(&self) -> usize {
        1 << self.order
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
    let idx = bindings::zone_stat_item_NR_FREE_PAGES as usize;
    // SAFETY: `vm_zone_stat` is a static array of atomics that lives forever; the read is a
    // plain load of one `atomic_long_t`, like `atomic_long_read()`.
    let v = unsafe {
        let stat = &raw const bindings::vm_zone_stat;
        match (*stat).get(idx) {
            Some(a) => core::ptr::read_volatile(&a.counter),
            None => 0,
        }
    };
    u64::try_from(v).unwrap_or(0)
}

/// A global node counter (`global_node_page_state()`), 0 for an unknown item.
fn node_stat(item: u32) -> u64 {
    // SAFETY: `vm_node_stat` is a static array of atomics that lives forever; each element is
    // read with a plain load, like `atomic_long_read()`.
    let v = unsafe {
        let stat = &raw const bindings::vm_node_stat;
        match (*stat).get(item as usize) {
            Some(a) => core::ptr::read_volatile(&a.counter),
            None => 0,
        }
    };
    u64::try_from(v).unwrap_or(0)
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

/// The kernel's `oom_kill` vmstat counter (OOM kills since boot).
///
/// Sums the per-CPU event counters: call from process context, not on the OOM path.
pub(crate) fn oom_kill_count() -> u64 {
    const N: usize = bindings::vm_event_item_NR_VM_EVENT_ITEMS as usize;
    let mut events: [c_ulong; N] = [0; N];
    // SAFETY: `all_vm_events` writes exactly `NR_VM_EVENT_ITEMS` values to the array.
    unsafe { bindings::all_vm_events(events.as_mut_ptr()) };
    events
        .get(bindings::vm_event_item_OOM_KILL as usize)
        .map_or(0, |v| *v as u64)
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
    /// Free pages and watermarks.
    pub(crate) marks: ZoneMarks,
    /// Pages managed by the buddy allocator.
    pub(crate) managed: u64,
}

fn read_long(a: &bindings::atomic_long_t) -> u64 {
    // SAFETY: `a` is a valid reference; a volatile load is what `atomic_long_read()` does.
    let v = unsafe { core::ptr::read_volatile(&a.counter) };
    u64::try_from(v).unwrap_or(0)
}

/// Calls `f` for every populated zone of `pgdat`.
///
/// # Safety
///
/// `pgdat` must point to an online node's `pglist_data`, which lives as long as the node.
unsafe fn node_zones(pgdat: *const bindings::pglist_data, f: &mut impl FnMut(ZoneInfo)) {
    // SAFETY: The caller guarantees `pgdat` is valid; `node_zones` is an array inside it.
    let zones = unsafe { &(*pgdat).node_zones };
    // SAFETY: As above.
    let node = u16::try_from(unsafe { (*pgdat).node_id }).unwrap_or(0);
    // The allocations we care about may use the node's highest populated zone: the lower zones
    // are protected from them by `lowmem_reserve[highest]`.
    let highest = zones
        .iter()
        .rposition(|z| z.present_pages != 0)
        .unwrap_or(0);
    let free_idx = bindings::zone_stat_item_NR_FREE_PAGES as usize;
    for (idx, z) in zones.iter().enumerate() {
        if z.present_pages == 0 {
            continue;
        }
        let mark = |w: u32| z._watermark.get(w as usize).map_or(0, |v| *v as u64);
        let mut name = [0u8; ZONE_NAME_LEN];
        if !z.name.is_null() {
            // SAFETY: Zone names are static NUL-terminated strings set at boot.
            let s = unsafe { CStr::from_char_ptr(z.name) };
            name = abi::fixed_name(s.to_bytes());
        }
        f(ZoneInfo {
            node,
            idx: u8::try_from(idx).unwrap_or(u8::MAX),
            name,
            marks: ZoneMarks {
                free: z.vm_stat.get(free_idx).map_or(0, read_long),
                min: mark(bindings::zone_watermarks_WMARK_MIN),
                low: mark(bindings::zone_watermarks_WMARK_LOW),
                high: mark(bindings::zone_watermarks_WMARK_HIGH),
                boost: z.watermark_boost as u64,
                reserve: z
                    .lowmem_reserve
                    .get(highest)
                    .map_or(0, |r| u64::try_from(*r).unwrap_or(0)),
            },
            managed: read_long(&z.managed_pages),
        });
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
        let bits_per_long = core::mem::size_of::<core::ffi::c_ulong>() * 8;
        for nid in 0..bindings::MAX_NUMNODES as usize {
            // SAFETY: `node_states` is a static array of bitmaps; reading a word is what
            // `node_online()` does.
            let online = unsafe {
                let states = &raw const bindings::node_states;
                (*states)
                    .get(bindings::node_states_N_ONLINE as usize)
                    .and_then(|m| m.bits.get(nid / bits_per_long))
                    .is_some_and(|w| {
                        core::ptr::read_volatile(w) & (1 << (nid % bits_per_long)) != 0
                    })
            };
            if !online {
                continue;
            }
            // SAFETY: `node_data` is a static array of pointers to the nodes' data.
            let pgdat = unsafe {
                let data = &raw const bindings::node_data;
                (*data).get(nid).copied().unwrap_or(core::ptr::null_mut())
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
                    bindings::timer_init_key(
                        &raw mut (*slot).timer,
                        Some(bindings::delayed_work_timer_fn),
                        bindings::TIMER_IRQSAFE,
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
        this.start(next);
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
}

/// Per-CPU deferrable timers that call [`Peek::peek`] every `period_ms` and ring the monitor's
/// doorbell when it says so.
///
/// Deferrable: a timer never wakes an idle CPU, it runs when its CPU is awake for another
/// reason. So a quiet system pays nothing, while a CPU running an allocating task looks every
/// period: the monitor learns of a fast fall within a period instead of at its next slow
/// sample. One timer per CPU online at load, pinned to it.
///
/// # Invariants
///
/// Every `PeekTimer` in `timers` is initialised with `fire` as its function and `handler`
/// pointing into `handler`'s allocation; the vector is never resized after that, so the
/// timers never move.
pub(crate) struct Peeker<H: Peek + 'static> {
    timers: KVec<PeekTimer<H>>,
    handler: Arc<H>,
}

// SAFETY: The timers are only touched through the timer API, which is thread-safe, and `H` is
// `Send + Sync`.
unsafe impl<H: Peek + 'static> Send for Peeker<H> {}
// SAFETY: As above.
unsafe impl<H: Peek + 'static> Sync for Peeker<H> {}

/// `jiffies` now.
fn jiffies_now() -> c_ulong {
    // SAFETY: `jiffies` is a static the timer interrupt updates; a volatile load is what the
    // C `READ_ONCE(jiffies)` does.
    unsafe { core::ptr::read_volatile(&raw const bindings::jiffies) }
}

/// Whether `cpu` is online (`cpu_online()`).
fn cpu_online(cpu: usize) -> bool {
    let bits_per_long = core::mem::size_of::<c_ulong>() * 8;
    // SAFETY: `__cpu_online_mask` is a static bitmap; reading one word is what
    // `cpumask_test_cpu()` does.
    unsafe {
        let mask = &raw const bindings::__cpu_online_mask;
        (*mask)
            .bits
            .get(cpu / bits_per_long)
            .is_some_and(|w| core::ptr::read_volatile(w) & (1 << (cpu % bits_per_long)) != 0)
    }
}

impl<H: Peek + 'static> Peeker<H> {
    /// Starts one timer on every online CPU.
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
                },
                GFP_KERNEL,
            )?;
        }
        // INVARIANT: From here on `timers` is not resized; each timer is initialised now.
        for (cpu, t) in timers.iter().enumerate() {
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
            if cpu_online(cpu) {
                // SAFETY: The timer is initialised and not pending; `cpu` is online.
                unsafe {
                    (*t.timer.get()).expires = jiffies_now().wrapping_add(period);
                    bindings::add_timer_on(t.timer.get(), cpu as c_int);
                }
            }
        }
        Ok(Self { timers, handler })
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
        // SAFETY: `timer` is initialised; a pinned timer re-armed from its own function stays
        // on this CPU. After `timer_shutdown_sync` this does nothing.
        unsafe { bindings::mod_timer(timer, jiffies_now().wrapping_add(t.period)) };
    }
}

impl<H: Peek + 'static> Drop for Peeker<H> {
    fn drop(&mut self) {
        for t in self.timers.iter() {
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
        let open = match this.ops.open() {
            Ok(o) => o,
            Err(e) => return e.to_errno(),
        };
        let state = OpenFile {
            ops: this.ops.clone(),
            open,
        };
        match KBox::new(state, GFP_KERNEL) {
            Ok(b) => {
                // SAFETY: `file` is valid; from now on `private_data` owns the box, freed in
                // `release`.
                unsafe { (*file).private_data = b.into_foreign() };
                0
            }
            Err(_) => ENOMEM.to_errno(),
        }
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
