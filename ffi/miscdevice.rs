// SPDX-License-Identifier: GPL-2.0

//! A misc device that owns its `file_operations`: the `MiscDevice` trait of
//! `rust/kernel/miscdevice.rs` has no `poll` hook.

use crate::ffi::compat::{self, File, PollTable};
use kernel::{
    bindings,
    ffi::{c_char, c_int, c_long, c_uint, c_ulong, c_void},
    prelude::*,
    sync::Arc,
    types::{ForeignOwnable, Opaque},
    uaccess::{UserSlice, UserSliceReader, UserSliceWriter},
};

/// The operations of the guard's character device.
pub(crate) trait DeviceOps: Send + Sync + Sized + 'static {
    /// Per-open-file state.
    type Open: Send + Sync;
    /// Called on `open()`.
    fn open(&self) -> Result<Self::Open>;
    /// Called on the last `close()`.
    fn release(&self, open: Self::Open);
    /// `read()`: writes whole records to `out`.
    fn read(&self, open: &Self::Open, out: &mut UserSliceWriter, nonblock: bool) -> Result<usize>;
    /// `poll()`: registers on the wait queue through `table`, returns whether records wait.
    fn poll(&self, open: &Self::Open, file: &File, table: PollTable<'_>) -> bool;
    /// `ioctl()`: `reader`/`writer` cover the argument with the size the command encodes.
    fn ioctl(
        &self,
        open: &Self::Open,
        cmd: u32,
        reader: UserSliceReader,
        writer: UserSliceWriter,
    ) -> Result<i32>;
}

/// Per-file private data: the device's operations and the open state.
struct OpenFile<D: DeviceOps> {
    ops: Arc<D>,
    open: D::Open,
}

/// A registered misc device with its own `file_operations`; deregistered on drop.
#[pin_data(PinnedDrop)]
pub(crate) struct MiscDev<D: DeviceOps> {
    ops: Arc<D>,
    #[pin]
    fops: Opaque<bindings::file_operations>,
    #[pin]
    misc: Opaque<compat::MiscStorage>,
}

// SAFETY: The raw structs are only read by the kernel after registration; `D` is `Send + Sync`.
unsafe impl<D: DeviceOps> Send for MiscDev<D> {}
// SAFETY: As above.
unsafe impl<D: DeviceOps> Sync for MiscDev<D> {}

impl<D: DeviceOps> MiscDev<D> {
    /// Registers `/dev/<name>` with mode 0600, owned by `module` (which cannot be unloaded
    /// while the device is open).
    pub(crate) fn register(
        name: &'static core::ffi::CStr,
        module: &'static ThisModule,
        ops: Arc<D>,
    ) -> impl PinInit<Self, Error> {
        try_pin_init!(&this in Self {
            ops,
            fops <- Opaque::ffi_init(move |slot: *mut bindings::file_operations| {
                // SAFETY: `slot` is valid for writes; an all-zero `file_operations` is valid.
                unsafe {
                    slot.write(bindings::file_operations {
                        owner: module.as_ptr(),
                        open: Some(Self::open),
                        release: Some(Self::release),
                        read: Some(Self::read),
                        poll: Some(Self::poll),
                        unlocked_ioctl: Some(Self::ioctl),
                        #[cfg(CONFIG_COMPAT)]
                        compat_ioctl: Some(bindings::compat_ptr_ioctl),
                        ..core::mem::zeroed()
                    })
                }
            }),
            misc <- compat::opaque_try_ffi_init(move |slot: *mut compat::MiscStorage| {
                // SAFETY: `this` is being initialised in place and pinned; `fops` above is
                // already initialised and lives as long as `misc` (deregistered first, in
                // `drop`). `slot` is valid for writes and pinned; `name` is static.
                unsafe { compat::misc_register(slot, name, (*this.as_ptr()).fops.get(), 0o600) }
            }),
        })
    }

    /// # Safety
    ///
    /// `file` is a file being opened on our device: `misc_open()` set its private data to
    /// our `miscdevice`.
    unsafe extern "C" fn open(_inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
        // SAFETY: See above: `private_data` is the `misc` field of a registered `MiscDev`.
        let this = unsafe {
            let misc = (*file).private_data.cast::<Opaque<compat::MiscStorage>>();
            &*kernel::container_of!(misc, Self, misc)
        };
        // The per-file box first: once `ops.open()` has succeeded nothing may fail, or the
        // open state would be dropped without `ops.release()`.
        let slot = match KBox::<OpenFile<D>>::new_uninit(GFP_KERNEL) {
            Ok(slot) => slot,
            Err(_) => return ENOMEM.to_errno(),
        };
        let open = match this.ops.open() {
            Ok(o) => o,
            Err(e) => return e.to_errno(),
        };
        let state = slot.write(OpenFile {
            ops: this.ops.clone(),
            open,
        });
        // 6.12 hands the box out as a `*const`, 7.x as a `*mut`: the same pointer.
        let state: *const c_void = state.into_foreign();
        // SAFETY: `file` is valid; from now on `private_data` owns the box, freed in `release`.
        unsafe { (*file).private_data = state.cast_mut() };
        0
    }

    /// # Safety
    ///
    /// `file` must be one of our open files.
    unsafe fn state<'a>(file: *mut bindings::file) -> &'a OpenFile<D> {
        // SAFETY: `open` stored a `KBox<OpenFile<D>>` in `private_data`; it is freed only in
        // `release`, after which no other file operation runs.
        unsafe { <KBox<OpenFile<D>> as ForeignOwnable>::borrow((*file).private_data) }
    }

    /// # Safety
    ///
    /// Called by the VFS on the last close of one of our files.
    unsafe extern "C" fn release(_inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
        // SAFETY: `private_data` holds the box from `open`; nothing uses it after release.
        let state =
            unsafe { <KBox<OpenFile<D>> as ForeignOwnable>::from_foreign((*file).private_data) };
        let OpenFile { ops, open } = KBox::into_inner(state);
        ops.release(open);
        0
    }

    /// # Safety
    ///
    /// Called by the VFS for `read()` on one of our files, `buf` a user pointer.
    unsafe extern "C" fn read(
        file: *mut bindings::file,
        buf: *mut c_char,
        count: usize,
        _pos: *mut bindings::loff_t,
    ) -> isize {
        // SAFETY: `file` is one of our open files.
        let (state, nonblock) = unsafe {
            (
                Self::state(file),
                (*file).f_flags & bindings::O_NONBLOCK != 0,
            )
        };
        let mut writer = UserSlice::new(compat::user_ptr(buf.cast()), count).writer();
        match state.ops.read(&state.open, &mut writer, nonblock) {
            Ok(n) => isize::try_from(n).unwrap_or(isize::MAX),
            Err(e) => e.to_errno() as isize,
        }
    }

    /// # Safety
    ///
    /// Called by the VFS for `poll()`/`epoll` on one of our files.
    unsafe extern "C" fn poll(
        file: *mut bindings::file,
        table: *mut bindings::poll_table_struct,
    ) -> bindings::__poll_t {
        // SAFETY: `file` is one of our open files, valid for this call; `table` is null or a
        // valid poll table for this call.
        let (state, f, table) = unsafe {
            (
                Self::state(file),
                File::from_raw_file(file),
                PollTable::from_raw(table),
            )
        };
        if state.ops.poll(&state.open, f, table) {
            compat::POLL_READABLE
        } else {
            0
        }
    }

    /// # Safety
    ///
    /// Called by the VFS for `ioctl()` on one of our files, `arg` a user pointer.
    unsafe extern "C" fn ioctl(file: *mut bindings::file, cmd: c_uint, arg: c_ulong) -> c_long {
        // SAFETY: `file` is one of our open files.
        let state = unsafe { Self::state(file) };
        let size = kernel::ioctl::_IOC_SIZE(cmd);
        let (reader, writer) = UserSlice::new(compat::user_addr(arg), size).reader_writer();
        match state.ops.ioctl(&state.open, cmd, reader, writer) {
            Ok(v) => v as c_long,
            Err(e) => e.to_errno() as c_long,
        }
    }
}

#[pinned_drop]
impl<D: DeviceOps> PinnedDrop for MiscDev<D> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: `misc` was registered in `register`. After `misc_deregister` no new file
        // opens; files already open hold a reference on the module, so the module (and this
        // struct) cannot go away under them.
        unsafe { compat::misc_deregister(self.misc.get()) };
    }
}
