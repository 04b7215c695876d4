// SPDX-License-Identifier: GPL-2.0

//! The compat names on 6.12 LTS: what 7.x's kernel crate provides, built from 6.12's bindings
//! and the C shim (`shim.c`, declared at the end) with the signatures the module uses.

use core::{ffi::CStr, marker::PhantomData, ops::Deref, pin::Pin};
use kernel::{
    alloc::{Allocator, Vec},
    bindings,
    error::to_result,
    ffi::{c_char, c_int, c_uint, c_ulong, c_void},
    init::pin_init_from_closure,
    prelude::*,
    sync::{CondVar, LockClassKey},
    types::Opaque,
    uaccess::UserPtr,
};

pub(crate) use bindings::init_timer_key as timer_init_key;
pub(crate) use kernel::types::{AsBytes, FromBytes};

// ---- Module loading --------------------------------------------------------------------------

/// 7.x's `kernel::InPlaceModule`: a module initialised in place.
pub(crate) trait InPlaceModule: Sync + Send {
    /// Creates an initialiser for the module; called when it is loaded.
    fn init(module: &'static ThisModule) -> impl PinInit<Self, Error>;
}

/// What `module!` loads on 6.12, whose modules are moved into place (`kernel::Module`): `T`,
/// initialised in place in a box.
pub(crate) struct LoadedModule<T> {
    _module: Pin<KBox<T>>,
}

impl<T: InPlaceModule> kernel::Module for LoadedModule<T> {
    fn init(module: &'static ThisModule) -> Result<Self> {
        Ok(Self {
            _module: KBox::pin_init(T::init(module), GFP_KERNEL)?,
        })
    }
}

/// `pin_init::pin_init_scope`: an initialiser made by `make_init` when it runs; an error of
/// `make_init` leaves the slot uninitialised.
pub(crate) fn pin_init_scope<T, E, F, I>(make_init: F) -> impl PinInit<T, E>
where
    F: FnOnce() -> Result<I, E>,
    I: PinInit<T, E>,
{
    // SAFETY: On `Ok`, `init` has fully initialised `slot` (its own contract); on `Err` from
    // `make_init` nothing was written, and on `Err` from `init` it cleaned up after itself.
    unsafe {
        pin_init_from_closure(move |slot: *mut T| {
            let init = make_init()?;
            init.__pinned_init(slot)
        })
    }
}

/// `Opaque::try_ffi_init` of 7.x: an initialiser of `Opaque<T>` by a fallible C function.
pub(crate) fn opaque_try_ffi_init<T, E>(
    f: impl FnOnce(*mut T) -> Result<(), E>,
) -> impl PinInit<Opaque<T>, E> {
    // SAFETY: `Opaque<T>` holds a `MaybeUninit<T>`, so `f` may leave it partly initialised;
    // the slot is pinned and `raw_get` only computes the pointer.
    unsafe { pin_init_from_closure(move |slot: *mut Opaque<T>| f(Opaque::raw_get(slot))) }
}

/// `Vec::push_within_capacity` of 7.x: appends `x` if `v` has room for it, without allocating;
/// gives `x` back if not.
pub(crate) fn push_within_capacity<T, A: Allocator>(v: &mut Vec<T, A>, x: T) -> Result<(), T> {
    let len = v.len();
    let Some(slot) = v.spare_capacity_mut().first_mut() else {
        return Err(x);
    };
    slot.write(x);
    // SAFETY: The element at `len`, within the capacity, was initialised just above.
    unsafe { v.set_len(len + 1) };
    Ok(())
}

/// `Vec::pop` of 7.x: removes and returns the last element.
pub(crate) fn pop<T, A: Allocator>(v: &mut Vec<T, A>) -> Option<T> {
    let last = v.len().checked_sub(1)?;
    // SAFETY: `last < len`: the element is initialised; it is moved out, and shortening the
    // vector right after keeps it from being dropped a second time.
    let x = unsafe { v.as_ptr().add(last).read() };
    // SAFETY: `last` is below the length (so within the capacity); the element left out of it
    // was moved out above.
    unsafe { v.set_len(last) };
    Some(x)
}

// ---- Small things ----------------------------------------------------------------------------

/// A new static lock class, as `Pin<&'static LockClassKey>` (7.x's `static_lock_class!`).
macro_rules! lock_class {
    () => {
        ::core::pin::Pin::static_ref(::kernel::static_lock_class!())
    };
}
pub(crate) use lock_class;

/// The raw pointer of a lock class key, for the C initialisers.
pub(crate) fn lock_class_ptr(key: Pin<&'static LockClassKey>) -> *mut bindings::lock_class_key {
    // `LockClassKey` is a `repr(transparent)` `Opaque<lock_class_key>` (its own `as_ptr` is
    // private to the kernel crate): the same address, inside an `UnsafeCell`.
    core::ptr::from_ref::<LockClassKey>(key.get_ref())
        .cast_mut()
        .cast()
}

/// `s` as a C string pointer (`const char *`; the kernel's `char` is unsigned, core's is not
/// everywhere).
pub(crate) fn char_ptr(s: &'static CStr) -> *const c_char {
    s.as_ptr().cast()
}

/// The C string at `p`.
///
/// # Safety
///
/// `p` points to a NUL-terminated string that lives, unchanged, for `'a`.
pub(crate) unsafe fn cstr_from_char_ptr<'a>(p: *const c_char) -> &'a CStr {
    // SAFETY: The caller's contract.
    unsafe { CStr::from_ptr(p.cast()) }
}

/// Possible CPU ids are below this (`nr_cpu_ids`).
pub(crate) fn nr_cpu_ids() -> u32 {
    #[cfg(any(CONFIG_FORCE_NR_CPUS, not(CONFIG_SMP)))]
    {
        bindings::NR_CPUS
    }
    #[cfg(not(any(CONFIG_FORCE_NR_CPUS, not(CONFIG_SMP))))]
    // SAFETY: `nr_cpu_ids` is set during boot, before modules load, and never changes after.
    unsafe {
        bindings::nr_cpu_ids
    }
}

/// A user pointer from a pointer argument of a file operation.
pub(crate) fn user_ptr(p: *mut c_void) -> UserPtr {
    // (`<*mut T>::addr` is newer than 6.12's minimum Rust.)
    p as UserPtr
}

/// A user pointer from an `unsigned long` argument (an ioctl's).
pub(crate) fn user_addr(addr: c_ulong) -> UserPtr {
    addr
}

/// `EPOLLIN | EPOLLRDNORM` (uapi `asm-generic/poll.h`; `poll.h` is not in 6.12's bindings).
pub(crate) const POLL_READABLE: bindings::__poll_t = 0x0001 | 0x0040;

/// The unbound system workqueue the monitor's work runs on (`system_dfl_wq` is a late 6.12.y
/// backport; `system_unbound_wq` is the same queue on every 6.12.y).
pub(crate) fn system_dfl_wq() -> *mut bindings::workqueue_struct {
    // SAFETY: `system_unbound_wq` is set at boot, before modules load, and never changes.
    unsafe { bindings::system_unbound_wq }
}

// ---- Files and poll --------------------------------------------------------------------------

/// An open file (7.x's `kernel::fs::File`, as far as the module uses it).
#[repr(transparent)]
pub(crate) struct File(Opaque<bindings::file>);

impl File {
    /// The file `ptr` points to.
    ///
    /// # Safety
    ///
    /// `ptr` points to a file that stays open for `'a`.
    pub(crate) unsafe fn from_raw_file<'a>(ptr: *const bindings::file) -> &'a File {
        // SAFETY: `File` is a transparent wrapper of `Opaque<file>`, itself of `file`; the
        // caller guarantees the file lives for `'a`.
        unsafe { &*ptr.cast::<File>() }
    }

    fn as_ptr(&self) -> *mut bindings::file {
        self.0.get()
    }
}

/// The poll table of a `poll()` call (7.x's `kernel::sync::poll::PollTable`).
///
/// # Invariants
///
/// `table` is null or a valid poll table for `'a`.
pub(crate) struct PollTable<'a> {
    table: *mut bindings::poll_table_struct,
    _lifetime: PhantomData<&'a bindings::poll_table_struct>,
}

impl PollTable<'_> {
    /// # Safety
    ///
    /// `table` is null or a valid poll table for the returned value's lifetime.
    pub(crate) unsafe fn from_raw(table: *mut bindings::poll_table_struct) -> Self {
        // INVARIANT: The caller's contract.
        Self {
            table,
            _lifetime: PhantomData,
        }
    }

    /// Registers `file`'s poll on `cv`: a [`PollCondVar::notify_all`] wakes the poller.
    pub(crate) fn register_wait(&self, file: &File, cv: &PollCondVar) {
        // SAFETY: `file` is valid for this call and `self.table` null or valid (invariant).
        // `cv` is pinned and its drop removes every poll waiter and then waits for an RCU grace
        // period, so `poll_wq` outlives the last waiter on it.
        unsafe { oom_guard_poll_wait(file.as_ptr(), cv.poll_wq.get(), self.table) }
    }
}

/// A [`CondVar`] that `poll()` can wait on too (7.x's `kernel::sync::poll::PollCondVar`).
/// 6.12's `CondVar` keeps its wait queue private, so pollers wait on a second queue,
/// `poll_wq`, which [`PollCondVar::notify_all`] wakes as well.
#[pin_data(PinnedDrop)]
pub(crate) struct PollCondVar {
    #[pin]
    inner: CondVar,
    #[pin]
    poll_wq: Opaque<bindings::wait_queue_head>,
}

// SAFETY: A `wait_queue_head` has its own lock and may be used from any thread; `CondVar` is
// `Send` and `Sync`.
unsafe impl Send for PollCondVar {}
// SAFETY: As above.
unsafe impl Sync for PollCondVar {}

/// A [`PollCondVar`] initialiser with the given name and new lock classes.
macro_rules! new_poll_condvar {
    ($name:literal) => {
        $crate::ffi::compat::PollCondVar::new(
            ::kernel::c_str!($name),
            ::kernel::static_lock_class!(),
            $crate::ffi::compat::lock_class!(),
        )
    };
}
pub(crate) use new_poll_condvar;

impl PollCondVar {
    /// `key` is the lock class of the condvar's queue, `poll_key` of the pollers' queue.
    pub(crate) fn new(
        name: &'static kernel::str::CStr,
        key: &'static LockClassKey,
        poll_key: Pin<&'static LockClassKey>,
    ) -> impl PinInit<Self> {
        pin_init!(Self {
            inner <- CondVar::new(name, key),
            poll_wq <- Opaque::ffi_init(move |slot: *mut bindings::wait_queue_head| {
                // SAFETY: `slot` is valid for writes; `name` and `poll_key` are static.
                unsafe {
                    bindings::__init_waitqueue_head(
                        slot,
                        name.as_char_ptr(),
                        lock_class_ptr(poll_key),
                    )
                }
            }),
        })
    }

    /// Wakes every waiter, sleeping or polling.
    pub(crate) fn notify_all(&self) {
        self.inner.notify_all();
        // SAFETY: `poll_wq` is initialised; `__wake_up` may be called from any context.
        unsafe {
            bindings::__wake_up(
                self.poll_wq.get(),
                bindings::TASK_NORMAL,
                0,
                core::ptr::null_mut(),
            )
        };
    }
}

// The `CondVar` methods (`wait_interruptible`) on `PollCondVar`.
impl Deref for PollCondVar {
    type Target = CondVar;

    fn deref(&self) -> &CondVar {
        &self.inner
    }
}

#[pinned_drop]
impl PinnedDrop for PollCondVar {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: `poll_wq` is initialised; this removes every poll waiter from it.
        unsafe { bindings::__wake_up_pollfree(self.poll_wq.get()) };
        // SAFETY: Process context (the condvar goes with the module's state, at unload or on a
        // failed load). Waits until epoll has dropped its references to `poll_wq`.
        unsafe { bindings::synchronize_rcu() };
    }
}

// ---- Locks -----------------------------------------------------------------------------------

/// An RCU read-side critical section, left on drop (7.x's `kernel::sync::rcu::Guard`).
#[cfg(CONFIG_MEMCG)]
pub(crate) struct RcuGuard(PhantomData<*mut ()>);

/// Enters an RCU read-side critical section (7.x's `kernel::sync::rcu::read_lock`).
#[cfg(CONFIG_MEMCG)]
pub(crate) fn rcu_read_lock() -> RcuGuard {
    // SAFETY: `rcu_read_lock()` may be called in any context; the guard, which cannot leave
    // this thread, ends the section.
    unsafe { oom_guard_rcu_read_lock() };
    RcuGuard(PhantomData)
}

#[cfg(CONFIG_MEMCG)]
impl Drop for RcuGuard {
    fn drop(&mut self) {
        // SAFETY: Entered in `rcu_read_lock`, on this thread.
        unsafe { oom_guard_rcu_read_unlock() };
    }
}

// ---- The misc device -------------------------------------------------------------------------

/// Room for a `struct miscdevice`, which 6.12's bindings do not have: `shim.c` builds it in
/// here (and checks it fits: `OOM_GUARD_MISC_STORAGE`).
pub(crate) type MiscStorage = [u64; 16];

const _: () = assert!(core::mem::size_of::<MiscStorage>() == 128);

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
    // SAFETY: The caller's contract; the shim fills the whole `miscdevice` first.
    to_result(unsafe { oom_guard_misc_register(slot.cast(), char_ptr(name), fops, mode) })
}

/// Deregisters the misc device in `slot`.
///
/// # Safety
///
/// `slot` was registered with [`misc_register`].
pub(crate) unsafe fn misc_deregister(slot: *mut MiscStorage) {
    // SAFETY: The caller's contract.
    unsafe { oom_guard_misc_deregister(slot.cast()) }
}

// ---- Tracepoints -----------------------------------------------------------------------------

// Exported (`kernel/tracepoint.c`) but declared in `tracepoint.h`, which 6.12's bindings do
// not include. (`improper_ctypes`: see the shim's block below.)
#[cfg(oom_guard_victim_probe)]
#[allow(improper_ctypes)]
extern "C" {
    pub(crate) fn for_each_kernel_tracepoint(
        fct: Option<unsafe extern "C" fn(tp: *mut bindings::tracepoint, data: *mut c_void)>,
        data: *mut c_void,
    );
    pub(crate) fn tracepoint_probe_register(
        tp: *mut bindings::tracepoint,
        probe: *mut c_void,
        data: *mut c_void,
    ) -> c_int;
    pub(crate) fn tracepoint_probe_unregister(
        tp: *mut bindings::tracepoint,
        probe: *mut c_void,
        data: *mut c_void,
    ) -> c_int;
}

// ---- The C shim (`shim.c`, prototypes in `shim.h`) -------------------------------------------

// The structs are bindgen's, only ever passed by pointer; some reach an empty struct
// (`mod_arch_specific` on x86), which `improper_ctypes` flags behind the pointer, as it would in
// the kernel's own bindings (which allow it too).
#[allow(improper_ctypes)]
extern "C" {
    fn oom_guard_misc_register(
        storage: *mut c_void,
        name: *const c_char,
        fops: *const bindings::file_operations,
        mode: u16,
    ) -> c_int;
    fn oom_guard_misc_deregister(storage: *mut c_void);
    fn oom_guard_poll_wait(
        filp: *mut bindings::file,
        wq: *mut bindings::wait_queue_head,
        pt: *mut bindings::poll_table_struct,
    );
    #[cfg(CONFIG_MEMCG)]
    fn oom_guard_rcu_read_lock();
    #[cfg(CONFIG_MEMCG)]
    fn oom_guard_rcu_read_unlock();
    /// `page_to_nid()`.
    #[link_name = "oom_guard_page_to_nid"]
    pub(crate) fn page_to_nid(page: *const bindings::page) -> c_int;
    /// `page_zonenum()` (6.12's bindings lack `SECTIONS_WIDTH` where it depends on
    /// `MAX_PHYSMEM_BITS`, SPARSEMEM without VMEMMAP).
    #[link_name = "oom_guard_page_zonenum"]
    pub(crate) fn page_zonenum(page: *const bindings::page) -> c_uint;
}
