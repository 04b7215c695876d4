// SPDX-License-Identifier: GPL-2.0

//! The compat layer: one set of names for what differs between the kernel series the module
//! builds against, chosen at build time by the cfgs the Kbuild derives from the kernel's
//! VERSION and PATCHLEVEL.
//!
//! - `k7.rs` (7.x): re-exports of the kernel crate's own abstractions (`miscdevice`'s struct,
//!   `fs::File`, `sync::poll`, `SpinLockIrq`, `sync::rcu`, `InPlaceModule`, `pin_init`) and
//!   bindings;
//! - `k612.rs` (`oom_guard_k612`, 6.12 LTS): the same names built from 6.12's bindings and the
//!   C shim (`shim.c`) for the static inlines and the struct its bindings do not reach;
//! - `irqsave.rs` (`oom_guard_k72`, before 7.3: 7.2 and 6.12): `SpinLockIrq`, which 7.3 brought,
//!   as an irqsave spinlock through the shim.
//!
//! The rest of the module uses these names only, never a version cfg (the crate root aside,
//! whose `module!` keys differ).

#[cfg(not(oom_guard_k612))]
mod k7;
#[cfg(not(oom_guard_k612))]
pub(crate) use k7::*;

#[cfg(oom_guard_k612)]
mod k612;
#[cfg(oom_guard_k612)]
pub(crate) use k612::*;

#[cfg(oom_guard_k72)]
mod irqsave;
#[cfg(oom_guard_k72)]
pub(crate) use irqsave::*;

#[cfg(oom_guard_victim_probe)]
extern "C" {
    /// `tracepoint_synchronize_unregister()` (`shim.c`).
    fn oom_guard_tp_sync();
}

/// Waits until no CPU still runs a tracepoint probe unregistered before the call
/// (`tracepoint_synchronize_unregister()`, whose grace periods differ between the series).
///
/// # Safety
///
/// Process context: it sleeps.
#[cfg(oom_guard_victim_probe)]
pub(crate) unsafe fn tracepoint_synchronize_unregister() {
    // SAFETY: The caller runs in process context; the C function only waits for grace periods.
    unsafe { oom_guard_tp_sync() }
}
