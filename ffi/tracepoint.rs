// SPDX-License-Identifier: GPL-2.0

//! Attaching a probe to one of the kernel's own tracepoints (`include/linux/tracepoint.h`),
//! found by name: the tracepoints' `__tracepoint_*` symbols are not exported, but
//! `for_each_kernel_tracepoint`, `tracepoint_probe_register` and `tracepoint_probe_unregister`
//! are (`kernel/tracepoint.c`), as LTTng's modules use them.
//!
//! Built only with `CONFIG_TRACEPOINTS`; see `ffi/mod.rs` for what the module does without.

use crate::ffi::compat;
use core::ffi::CStr;
use kernel::{bindings, error::to_result, ffi::c_void, prelude::*};

/// One of the kernel's (built-in) tracepoints.
#[derive(Clone, Copy)]
pub(crate) struct Tracepoint(*mut bindings::tracepoint);

// SAFETY: A built-in tracepoint is a static of the kernel, alive as long as the kernel; the
// registration functions serialise access to it (`tracepoints_mutex`).
unsafe impl Send for Tracepoint {}
// SAFETY: As above.
unsafe impl Sync for Tracepoint {}

/// What [`Tracepoint::find`] looks for and finds.
struct Search {
    name: &'static CStr,
    found: *mut bindings::tracepoint,
}

/// The `for_each_kernel_tracepoint` callback of [`Tracepoint::find`].
///
/// # Safety
///
/// `tp` is a built-in tracepoint and `data` the `Search` that `find` passed.
unsafe extern "C" fn match_name(tp: *mut bindings::tracepoint, data: *mut c_void) {
    // SAFETY: `data` is `find`'s `Search`, alive and not otherwise borrowed during the walk.
    let search = unsafe { &mut *data.cast::<Search>() };
    // SAFETY: `tp` is a valid tracepoint; its `name` is a NUL-terminated string in the kernel's
    // rodata, never written.
    let name = unsafe { compat::cstr_from_char_ptr((*tp).name) };
    if search.found.is_null() && name.to_bytes() == search.name.to_bytes() {
        search.found = tp;
    }
}

impl Tracepoint {
    /// The built-in tracepoint named `name` (`mark_victim`), if the kernel has it.
    pub(crate) fn find(name: &'static CStr) -> Option<Self> {
        let mut search = Search {
            name,
            found: core::ptr::null_mut(),
        };
        // SAFETY: `match_name` has the callback's signature and only touches `search`, which
        // outlives the walk.
        unsafe {
            compat::for_each_kernel_tracepoint(Some(match_name), (&raw mut search).cast::<c_void>())
        };
        (!search.found.is_null()).then_some(Self(search.found))
    }

    /// Attaches `probe` with `data`: from now on the tracepoint calls `probe(data, args...)`.
    ///
    /// # Safety
    ///
    /// `probe` is an `extern "C"` function whose signature is the tracepoint's `TP_PROTO`
    /// preceded by `void *data`, and `data` stays valid until [`Tracepoint::detach`] with the
    /// same pair has returned.
    pub(crate) unsafe fn attach(self, probe: *mut c_void, data: *mut c_void) -> Result {
        // SAFETY: `self.0` is a built-in tracepoint; the caller vouches for `probe` and `data`.
        to_result(unsafe { compat::tracepoint_probe_register(self.0, probe, data) })
    }

    /// Detaches `probe` and `data`, then waits until no CPU still runs the probe
    /// (`tracepoint_synchronize_unregister()`). May sleep.
    ///
    /// # Safety
    ///
    /// `probe` and `data` were attached with [`Tracepoint::attach`].
    pub(crate) unsafe fn detach(self, probe: *mut c_void, data: *mut c_void) {
        // SAFETY: `self.0` is a built-in tracepoint and the pair was registered on it. A failure
        // (`-ENOENT`) would mean it was not attached, and then nothing runs it either.
        let _ = unsafe { compat::tracepoint_probe_unregister(self.0, probe, data) };
        // SAFETY: Process context (detaching runs at unload or on a failed load).
        unsafe { compat::tracepoint_synchronize_unregister() };
    }
}
