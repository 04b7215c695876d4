// SPDX-License-Identifier: GPL-2.0

//! Delayed work: the monitor's self-rearming, deferrable work item and the [`Waker`] that
//! runs it at once.

use crate::ffi::compat::{self, SpinLockIrq};
use kernel::{
    bindings,
    prelude::*,
    sync::{Arc, LockClassKey},
    types::Opaque,
};

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
    work: SpinLockIrq<WorkPtr>,
}

impl Waker {
    /// A waker attached to no ticker yet (waking it does nothing).
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            work <- compat::new_spinlock_irq!(WorkPtr(core::ptr::null_mut()), "OomGuard::waker"),
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
                    compat::system_dfl_wq(),
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
                        compat::char_ptr(c"OomGuard::monitor"),
                        compat::lock_class_ptr(work_key),
                    );
                    // `INIT_DEFERRABLE_WORK()`: the periodic sample never wakes an idle CPU.
                    compat::timer_init_key(
                        &raw mut (*slot).timer,
                        Some(bindings::delayed_work_timer_fn),
                        bindings::TIMER_IRQSAFE | bindings::TIMER_DEFERRABLE,
                        compat::char_ptr(c"OomGuard::monitor_timer"),
                        compat::lock_class_ptr(timer_key),
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
        // SAFETY: `dwork` is initialised and pinned; the system workqueue lives forever.
        // `mod_delayed_work_on` is safe from any context and re-arms a pending item.
        unsafe {
            bindings::mod_delayed_work_on(
                bindings::wq_misc_consts_WORK_CPU_UNBOUND as i32,
                compat::system_dfl_wq(),
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
                compat::system_dfl_wq(),
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
            &*kernel::container_of!(dwork.cast::<Opaque<bindings::delayed_work>>(), Self, dwork)
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
