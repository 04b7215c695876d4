// SPDX-License-Identifier: GPL-2.0

//! Only `ffi/` touches `bindings::` or declares `extern "C"` items (its `compat/` gives what
//! differs between kernel series one name): every raw kernel interface rust_oom_guard
//! uses, behind a safe API.
//!
//! One file per kernel subsystem, named after its `rust/kernel/` counterpart where there is one
//! (else after the C header): `page` (page blocks), `mmzone` (zones), `vmstat` (memory
//! counters), `cpu` (possible CPUs, per-CPU offsets), `time` (clocks), `task` (the current
//! task), `oom` (the OOM notifier chain and the `oom:mark_victim` probe), `tracepoint` (finding a
//! built-in tracepoint by name and attaching a probe; only with `CONFIG_TRACEPOINTS`),
//! `workqueue` (the monitor's delayed work and its
//! waker), `timer` (per-CPU peek timers), `shrinker` (the reclaim hook), `miscdevice` (a misc
//! device with `poll`), `module_param` (parameters with live sysfs values) and `transmute` (the
//! ioctls' plain-data records). The stages use them through the re-exports below.

use kernel::bindings;

pub(crate) mod compat;
mod cpu;
mod miscdevice;
mod mmzone;
mod module_param;
mod oom;
mod page;
mod shrinker;
mod task;
mod time;
mod timer;
#[cfg(oom_guard_victim_probe)]
mod tracepoint;
mod transmute;
mod vmstat;
mod workqueue;

pub(crate) use miscdevice::{DeviceOps, MiscDev};
pub(crate) use mmzone::{for_each_zone, ZoneKey};
pub(crate) use module_param::{Param, PARAMS};
pub(crate) use oom::{OomHandler, OomNotifier, Victim, VictimHandler, VictimProbe};
pub(crate) use page::{AllocCtx, Block};
pub(crate) use shrinker::{ReclaimHandler, ReclaimHook};
pub(crate) use task::{capable_sys_admin, current_task, current_token};
pub(crate) use time::now_ns;
pub(crate) use timer::{Peek, Peeker};
pub(crate) use vmstat::{
    available_pages, free_pages, oom_kill_count, oom_kill_count_stable, reclaimable_pages,
};
pub(crate) use workqueue::{Tick, Ticker, Waker};

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

/// `READ_ONCE()` of a pointer field.
///
/// # Safety
///
/// `p` must be valid for reads and aligned.
unsafe fn read_once_ptr<T>(p: *const *const T) -> *const T {
    // SAFETY: The caller guarantees `p` is valid.
    unsafe { core::ptr::read_volatile(p) }
}
