// SPDX-License-Identifier: GPL-2.0

//! The shrinker API (`include/linux/shrinker.h`): a shrinker that frees nothing and only
//! reports that reclaim runs.

use super::task::current_is_kswapd;
use crate::ffi::compat;
use kernel::{
    bindings,
    ffi::{c_int, c_ulong},
    prelude::*,
    sync::Arc,
};

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
        let raw = unsafe { bindings::shrinker_alloc(0, compat::char_ptr(c"rust_oom_guard")) };
        let shrinker = core::ptr::NonNull::new(raw).ok_or(ENOMEM)?;
        // SAFETY: `raw` is a fresh, unregistered shrinker that nothing else sees yet; its
        // callbacks and private data are set before `shrinker_register` publishes it.
        // INVARIANT: `private_data` is `handler`'s pointer, and `handler` lives in `Self`.
        unsafe {
            (*raw).count_objects = Some(Self::count);
            (*raw).scan_objects = Some(Self::scan);
            (*raw).seeks = bindings::DEFAULT_SEEKS as c_int;
            (*raw).private_data = core::ptr::from_ref::<H>(&handler).cast_mut().cast();
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
