// SPDX-License-Identifier: GPL-2.0

//! 7.3's `kernel::sync::SpinLockIrq` on the series before it (`oom_guard_k72`: 7.2 and 6.12): a
//! spinlock taken with `spin_lock_irqsave()` through the C shim (`shim.c`), whose guard keeps the
//! saved interrupt flags.

use kernel::{
    bindings,
    ffi::{c_char, c_ulong},
    sync::lock::Backend,
};

/// A spinlock taken with interrupts off (`spin_lock_irqsave()`).
pub(crate) type SpinLockIrq<T> = kernel::sync::lock::Lock<T, IrqSaveBackend>;

/// A [`SpinLockIrq`] initialiser with the given name and a new lock class.
macro_rules! new_spinlock_irq {
    ($inner:expr, $name:literal) => {
        $crate::ffi::compat::SpinLockIrq::new(
            $inner,
            ::kernel::c_str!($name),
            ::kernel::static_lock_class!(),
        )
    };
}
pub(crate) use new_spinlock_irq;

/// The `spinlock_t` backend of [`SpinLockIrq`]; the guard keeps the saved interrupt flags.
pub(crate) struct IrqSaveBackend;

// SAFETY: A `spinlock_t` gives mutual exclusion between `lock` (or a successful `try_lock`) and
// `unlock`; `relock` is the default, which takes the lock the same way.
unsafe impl Backend for IrqSaveBackend {
    type State = bindings::spinlock_t;
    type GuardState = c_ulong;

    unsafe fn init(ptr: *mut Self::State, name: *const c_char, key: *mut bindings::lock_class_key) {
        // SAFETY: The caller guarantees `ptr` is valid for writes and `name` and `key` valid
        // forever.
        unsafe { bindings::__spin_lock_init(ptr, name, key) }
    }

    unsafe fn lock(ptr: *mut Self::State) -> Self::GuardState {
        // SAFETY: The caller guarantees `ptr` is an initialised spinlock.
        unsafe { oom_guard_spin_lock_irqsave(ptr) }
    }

    unsafe fn unlock(ptr: *mut Self::State, guard_state: &Self::GuardState) {
        // SAFETY: The caller owns the lock; `guard_state` are the flags its `lock` saved.
        unsafe { oom_guard_spin_unlock_irqrestore(ptr, *guard_state) }
    }

    // 7.x's `Backend` has these two; 6.12's does not.
    #[cfg(not(oom_guard_k612))]
    unsafe fn try_lock(ptr: *mut Self::State) -> Option<Self::GuardState> {
        let mut flags: c_ulong = 0;
        // SAFETY: The caller guarantees `ptr` is an initialised spinlock; `flags` is a local the
        // C function writes only when it took the lock.
        (unsafe { oom_guard_spin_trylock_irqsave(ptr, &mut flags) } != 0).then_some(flags)
    }

    #[cfg(not(oom_guard_k612))]
    unsafe fn assert_is_held(ptr: *mut Self::State) {
        // SAFETY: The caller guarantees `ptr` is an initialised spinlock.
        unsafe { bindings::spin_assert_is_held(ptr) }
    }
}

extern "C" {
    fn oom_guard_spin_lock_irqsave(lock: *mut bindings::spinlock_t) -> c_ulong;
    #[cfg(not(oom_guard_k612))]
    fn oom_guard_spin_trylock_irqsave(
        lock: *mut bindings::spinlock_t,
        flags: *mut c_ulong,
    ) -> kernel::ffi::c_int;
    fn oom_guard_spin_unlock_irqrestore(lock: *mut bindings::spinlock_t, flags: c_ulong);
}
