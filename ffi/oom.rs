// SPDX-License-Identifier: GPL-2.0

//! The OOM notifier chain (`include/linux/oom.h`): a registration whose callback reports the
//! pages it freed to `out_of_memory()`.

use kernel::{
    bindings,
    error::to_result,
    ffi::{c_int, c_ulong, c_void},
    prelude::*,
    sync::Arc,
    types::Opaque,
};

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
