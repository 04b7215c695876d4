// SPDX-License-Identifier: GPL-2.0

//! Module parameters with a sysfs entry that shows their live value.

use core::sync::atomic::{AtomicU32, Ordering};
use kernel::{
    bindings,
    ffi::{c_char, c_int, c_uint, c_void},
    prelude::*,
};

/// A `u32` module parameter: set at load, readable (mode 0444) under
/// `/sys/module/rust_oom_guard/parameters/`, where it shows the live value (the runtime
/// configuration ioctl updates it too).
///
/// `module!`'s parameters get no sysfs entry in 7.3 (their mode is 0); [`module_params!`]
/// declares the same `kernel_param` records with a mode and these ops instead.
#[repr(transparent)]
pub(crate) struct Param(AtomicU32);

impl Param {
    /// A parameter holding `default` until the kernel parses a load argument into it.
    pub(crate) const fn new(default: u32) -> Self {
        Self(AtomicU32::new(default))
    }

    /// The current value.
    pub(crate) fn get(&self) -> u32 {
        self.0.load(Ordering::Relaxed)
    }

    /// Publishes a new value (what sysfs shows from now on).
    pub(crate) fn set(&self, value: u32) {
        self.0.store(value, Ordering::Relaxed)
    }

    /// The `arg` of this parameter's `kernel_param` record.
    #[doc(hidden)]
    pub(crate) const fn as_arg(&'static self) -> *mut c_void {
        self.0.as_ptr().cast()
    }
}

/// `kernel_param_ops` made `Sync`: the kernel only reads it.
#[doc(hidden)]
#[repr(transparent)]
pub(crate) struct ParamOps(bindings::kernel_param_ops);

// SAFETY: The record is immutable after compilation; the kernel only reads it.
unsafe impl Sync for ParamOps {}

/// Parses a load argument like `param_set_uint` (decimal, `0x` hex or `0` octal) into a
/// [`Param`].
///
/// # Safety
///
/// `val` is null or a NUL-terminated string, and `kp` is a `kernel_param` declared by
/// [`module_params!`], whose `arg` points to a `'static` [`Param`] (the kernel's contract for
/// `kernel_param_ops::set`).
unsafe extern "C" fn param_set(val: *const c_char, kp: *const bindings::kernel_param) -> c_int {
    if val.is_null() {
        return EINVAL.to_errno();
    }
    let mut value: c_uint = 0;
    // SAFETY: `val` is a NUL-terminated string (checked non-null above, caller's contract) and
    // `value` is a valid `unsigned int` to write.
    let ret = unsafe { bindings::kstrtouint(val, 0, &mut value) };
    if ret != 0 {
        return ret;
    }
    // SAFETY: By the caller's contract `arg` points to a `'static` `Param` (`#[repr(transparent)]`
    // over an `AtomicU32`).
    let param = unsafe { &*(*kp).__bindgen_anon_1.arg.cast::<Param>() };
    param.set(value);
    0
}

/// Prints a [`Param`]'s live value and a newline into a sysfs buffer.
///
/// # Safety
///
/// `buf` is a sysfs buffer of `PAGE_SIZE` bytes and `kp` a `kernel_param` declared by
/// [`module_params!`] (the kernel's contract for `kernel_param_ops::get`).
unsafe extern "C" fn param_get(buf: *mut c_char, kp: *const bindings::kernel_param) -> c_int {
    // SAFETY: As in `param_set`: `arg` points to a `'static` `Param`.
    let param = unsafe { &*(*kp).__bindgen_anon_1.arg.cast::<Param>() };
    let mut digits = [0u8; 11];
    let mut at = digits.len() - 1;
    digits[at] = b'\n';
    let mut v = param.get();
    loop {
        at -= 1;
        // `v % 10` is below 10, so the cast cannot truncate; a `u32` has at most 10 digits,
        // so `at` never underflows.
        digits[at] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    let text = &digits[at..];
    // SAFETY: `buf` holds `PAGE_SIZE` bytes, far more than the at most 11 copied here, and
    // cannot overlap our stack array.
    unsafe { core::ptr::copy_nonoverlapping(text.as_ptr(), buf.cast::<u8>(), text.len()) };
    text.len() as c_int
}

/// The ops of every [`Param`].
#[doc(hidden)]
pub(crate) static PARAM_OPS: ParamOps = ParamOps(bindings::kernel_param_ops {
    flags: 0,
    set: Some(param_set),
    get: Some(param_get),
    free: None,
});

/// A `kernel_param` record made `Sync`, for the `__param` section.
#[doc(hidden)]
#[repr(transparent)]
pub(crate) struct KernelParam(bindings::kernel_param);

// SAFETY: The kernel serialises every access to the record (it only reads it, under
// `param_lock` for sysfs); Rust never touches it.
unsafe impl Sync for KernelParam {}

impl KernelParam {
    /// The record of a mode-0444 `u32` parameter of this module named `name`, which must end
    /// with its only NUL (checked at compile time: the records are `static`s).
    #[doc(hidden)]
    pub(crate) const fn new(name: &'static [u8], param: &'static Param) -> Self {
        assert!(
            matches!(name.last(), Some(0)),
            "parameter name without its NUL"
        );
        Self(bindings::kernel_param {
            name: name.as_ptr().cast(),
            // The module's own `struct module`, built by the kernel at load time; it outlives
            // the record, which is part of the module.
            mod_: (&raw const bindings::__this_module).cast_mut(),
            ops: &raw const PARAM_OPS.0,
            perm: 0o444,
            level: -1,
            flags: 0,
            __bindgen_anon_1: bindings::kernel_param__bindgen_ty_1 {
                arg: param.as_arg(),
            },
        })
    }
}

/// Copies a `&str` into a byte array of its length (for `.modinfo` entries).
#[doc(hidden)]
pub(crate) const fn modinfo<const N: usize>(s: &str) -> [u8; N] {
    let bytes = s.as_bytes();
    let mut out = [0u8; N];
    let mut i = 0;
    while i < N {
        out[i] = bytes[i];
        i += 1;
    }
    out
}

/// Declares `u32` module parameters readable under `/sys/module/rust_oom_guard/parameters/`:
/// one `'static` [`Param`] per name, its `__param` record and its `modinfo` description.
macro_rules! module_params {
    ($($name:ident = $default:expr, $desc:literal;)*) => {
        $(
            #[expect(non_upper_case_globals)]
            pub(crate) static $name: $crate::ffi::Param = $crate::ffi::Param::new($default);
            const _: () = {
                #[link_section = "__param"]
                #[used(compiler)]
                static PARAM: $crate::ffi::KernelParam = $crate::ffi::KernelParam::new(
                    concat!(stringify!($name), "\0").as_bytes(),
                    &$name,
                );
                const PARM: &str = concat!("parm=", stringify!($name), ":", $desc, "\0");
                #[link_section = ".modinfo"]
                #[used(compiler)]
                static PARM_INFO: [u8; PARM.len()] = $crate::ffi::modinfo(PARM);
                const TYPE: &str = concat!("parmtype=", stringify!($name), ":uint\0");
                #[link_section = ".modinfo"]
                #[used(compiler)]
                static TYPE_INFO: [u8; TYPE.len()] = $crate::ffi::modinfo(TYPE);
            };
        )*
    };
}
pub(crate) use module_params;
