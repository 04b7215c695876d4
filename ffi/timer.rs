// SPDX-License-Identifier: GPL-2.0

//! Timers: the per-CPU deferrable peek timers, started and stopped by CPU hotplug.

use super::{time::jiffies_now, Waker};
use crate::ffi::compat;
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::{
    bindings,
    ffi::{c_int, c_uint, c_ulong},
    prelude::*,
    sync::{Arc, LockClassKey},
    types::Opaque,
};

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
/// sample, and a sample its own deferrable timer left waiting on an idle CPU runs. One timer per online CPU, pinned to it, started and stopped by CPU-hotplug
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
        let n = compat::nr_cpu_ids() as usize;
        let period = kernel::time::msecs_to_jiffies(period_ms).max(1);
        let mut timers = KVec::with_capacity(n, GFP_KERNEL)?;
        for _ in 0..n {
            timers.push(
                PeekTimer {
                    timer: Opaque::uninit(),
                    handler: core::ptr::from_ref::<H>(&handler),
                    period,
                    armed: AtomicBool::new(false),
                },
                GFP_KERNEL,
            )?;
        }
        let set = KBox::pin_init(
            pin_init!(PeekSet {
                node: Opaque::uninit(),
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
                compat::timer_init_key(
                    t.timer.get(),
                    Some(Self::fire),
                    bindings::TIMER_DEFERRABLE | bindings::TIMER_PINNED,
                    compat::char_ptr(c"OomGuard::peek"),
                    compat::lock_class_ptr(key),
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
                compat::char_ptr(c"rust_oom_guard:peek"),
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
        let set = unsafe {
            &*kernel::container_of!(
                node.cast::<Opaque<bindings::hlist_node>>(),
                PeekSet<H>,
                node
            )
        };
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
        let t = unsafe {
            &*kernel::container_of!(
                timer.cast::<Opaque<bindings::timer_list>>(),
                PeekTimer<H>,
                timer
            )
        };
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
