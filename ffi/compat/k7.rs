// SPDX-License-Identifier: GPL-2.0

//! The compat names on 7.x: the kernel crate's own abstractions and bindings.

use core::pin::Pin;
use kernel::{
    alloc::{Allocator, Vec},
    bindings,
    error::to_result,
    ffi::{c_char, c_int, c_uint, c_ulong, c_void},
    prelude::*,
    sync::LockClassKey,
    types::Opaque,
    uaccess::UserPtr,
};

pub(crate) use kernel::{
    fs::File,
    new_poll_condvar, static_lock_class as lock_class,
    sync::poll::{PollCondVar, PollTable},
    transmute::{AsBytes, FromBytes},
    InPlaceModule,
};

// 7.2 has no `SpinLockIrq`: `irqsave.rs` builds it there (`oom_guard_k72`).
#[cfg(not(oom_guard_k72))]
pub(crate) use kernel::{new_spinlock_irq, sync::SpinLockIrq};

#[cfg(CONFIG_MEMCG)]
pub(crate) use kernel::sync::rcu::read_lock as rcu_read_lock;

#[cfg(oom_guard_victim_probe)]
pub(crate) use bindings::{
    for_each_kernel_tracepoint, tracepoint_probe_register, tracepoint_probe_unregister,
};

pub(crate) use bindings::{page_to_nid, timer_init_key};

pub(crate) use pin_init::pin_init_scope;

/// What `module!` loads: the module's own type, initialised in place.
pub(crate) type LoadedModule<T> = T;

/// `s` as a C string pointer (`const char *`).
pub(crate) fn char_ptr(s: &'static CStr) -> *const c_char {
    s.as_char_ptr()
}

/// The C string at `p`.
///
/// # Safety
///
/// `p` points to a NUL-terminated string that lives, unchanged, for `'a`.
pub(crate) unsafe fn cstr_from_char_ptr<'a>(p: *const c_char) -> &'a CStr {
    // SAFETY: The caller's contract.
    unsafe { CStr::from_char_ptr(p) }
}

/// Possible CPU ids are below this.
pub(crate) fn nr_cpu_ids() -> u32 {
    kernel::cpu::nr_cpu_ids()
}

/// The raw pointer of a lock class key, for the C initialisers.
pub(crate) fn lock_class_ptr(key: Pin<&'static LockClassKey>) -> *mut bindings::lock_class_key {
    key.as_ptr()
}

/// An initialiser of `Opaque<T>` by a fallible C function.
pub(crate) fn opaque_try_ffi_init<T, E>(
    f: impl FnOnce(*mut T) -> Result<(), E>,
) -> impl PinInit<Opaque<T>, E> {
    Opaque::try_ffi_init(f)
}

/// Appends `x` if `v` has room for it, without allocating; gives `x` back if not.
pub(crate) fn push_within_capacity<T, A: Allocator>(v: &mut Vec<T, A>, x: T) -> Result<(), T> {
    v.push_within_capacity(x).map_err(|e| e.0)
}

/// `Vec::pop`: removes and returns the last element.
pub(crate) fn pop<T, A: Allocator>(v: &mut Vec<T, A>) -> Option<T> {
    v.pop()
}

/// A user pointer from a pointer argument of a file operation.
pub(crate) fn user_ptr(p: *mut c_void) -> UserPtr {
    UserPtr::from_ptr(p)
}

/// A user pointer from an `unsigned long` argument (an ioctl's).
pub(crate) fn user_addr(addr: c_ulong) -> UserPtr {
    UserPtr::from_addr(addr)
}

/// `EPOLLIN | EPOLLRDNORM`: what `poll()` returns when records wait.
pub(crate) const POLL_READABLE: bindings::__poll_t = bindings::POLLIN | bindings::POLLRDNORM;

/// `ZONES_PGSHIFT`: where `page->flags` keeps the zone number (`include/linux/mmzone.h`).
const ZONES_PGSHIFT: u32 = if bindings::ZONES_WIDTH == 0 {
    0
} else {
    c_ulong::BITS - bindings::SECTIONS_WIDTH - bindings::NODES_WIDTH - bindings::ZONES_WIDTH
};

/// `page_zonenum()`: the index of `page`'s zone in its node, from its flags word.
///
/// # Safety
///
/// `page` points to a live `struct page`.
pub(crate) unsafe fn page_zonenum(page: *const bindings::page) -> c_uint {
    // SAFETY: The caller guarantees `page` is valid; the flags word is changed atomically by
    // other CPUs, so it is read once, volatile (`READ_ONCE()`).
    let flags = unsafe { core::ptr::read_volatile(&raw const (*page).flags.f) };
    c_uint::try_from(((flags as u64) >> ZONES_PGSHIFT) & u64::from(bindings::ZONES_MASK))
        .unwrap_or(0)
}

/// The unbound system workqueue the monitor's work runs on.
pub(crate) fn system_dfl_wq() -> *mut bindings::workqueue_struct {
    // SAFETY: `system_dfl_wq` is set at boot, before modules load, and never changes.
    unsafe { bindings::system_dfl_wq }
}

/// Room for a `struct miscdevice`.
pub(crate) type MiscStorage = bindings::miscdevice;

/// Registers the misc device in `slot`: `/dev/<name>` with `fops` and `mode`, dynamic minor.
///
/// # Safety
///
/// `slot` is valid for writes and pinned until [`misc_deregister`]; `name` and `fops` outlive
/// the registration.
pub(crate) unsafe fn misc_register(
    slot: *mut MiscStorage,
    name: &'static CStr,
    fops: *const bindings::file_operations,
    mode: u16,
) -> Result {
    // SAFETY: An all-zero `miscdevice` is valid (no references, only pointers and integers).
    let mut m: bindings::miscdevice = unsafe { core::mem::zeroed() };
    m.minor = bindings::MISC_DYNAMIC_MINOR as c_int;
    m.name = name.as_char_ptr();
    m.fops = fops;
    m.mode = mode;
    // SAFETY: The caller guarantees `slot` is valid, pinned and outlived by `name` and `fops`.
    unsafe {
        slot.write(m);
        to_result(bindings::misc_register(slot))
    }
}

/// Deregisters the misc device in `slot`.
///
/// # Safety
///
/// `slot` was registered with [`misc_register`].
pub(crate) unsafe fn misc_deregister(slot: *mut MiscStorage) {
    // SAFETY: The caller's contract.
    unsafe { bindings::misc_deregister(slot) }
}
