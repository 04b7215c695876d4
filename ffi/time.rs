// SPDX-License-Identifier: GPL-2.0

//! Clocks: `CLOCK_MONOTONIC` in nanoseconds and `jiffies`.

use kernel::{bindings, ffi::c_ulong};

/// `CLOCK_MONOTONIC` now, in nanoseconds.
pub(crate) fn now_ns() -> u64 {
    // SAFETY: `ktime_get` has no preconditions.
    let t = unsafe { bindings::ktime_get() };
    u64::try_from(t).unwrap_or(0)
}

/// `jiffies` now.
pub(super) fn jiffies_now() -> c_ulong {
    // SAFETY: `jiffies` is a static the timer interrupt updates; a volatile load is what the
    // C `READ_ONCE(jiffies)` does.
    unsafe { core::ptr::read_volatile(&raw const bindings::jiffies) }
}
