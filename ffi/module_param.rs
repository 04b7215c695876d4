// SPDX-License-Identifier: GPL-2.0

//! Module parameters with a sysfs entry that shows their live value.

use crate::params;
use core::sync::atomic::{AtomicU32, Ordering};
use kernel::{
    bindings,
    ffi::{c_char, c_int, c_uint, c_void},
    prelude::*,
};

/// A `u32` module parameter: set at load, readable (mode 0444) under
/// `/sys/module/rust_oom_guard/parameters/`, where it shows the live value (the runtime
/// configuration ioctl updates it too), by name where its tunable names it (`policy=avert`).
///
/// `module!`'s parameters get no sysfs entry in 7.3 (their mode is 0); [`PARAMS`] are declared
/// here instead, one per tunable of `params::TUNABLES`, with `kernel_param` records that have
/// a mode and these ops, and their `.modinfo` descriptions made from the table.
pub(crate) struct Param {
    value: AtomicU32,
    spec: &'static params::Spec,
}

impl Param {
    /// A parameter of tunable `spec`, holding its default until the kernel parses a load
    /// argument into it.
    const fn new(spec: &'static params::Spec) -> Self {
        Self {
            value: AtomicU32::new(spec.default_u32()),
            spec,
        }
    }

    /// The current value.
    pub(crate) fn get(&self) -> u32 {
        self.value.load(Ordering::Relaxed)
    }

    /// Publishes a new value (what sysfs shows from now on).
    pub(crate) fn set(&self, value: u32) {
        self.value.store(value, Ordering::Relaxed)
    }

    /// The `arg` of this parameter's `kernel_param` record.
    const fn as_arg(&'static self) -> *mut c_void {
        core::ptr::from_ref(self).cast_mut().cast()
    }
}

/// `kernel_param_ops` made `Sync`: the kernel only reads it.
#[repr(transparent)]
struct ParamOps(bindings::kernel_param_ops);

// SAFETY: The record is immutable after compilation; the kernel only reads it.
unsafe impl Sync for ParamOps {}

/// Parses a load argument like `param_set_uint` (decimal, `0x` hex or `0` octal), or one of the
/// names of its tunable (`avert`, case-insensitive), into a [`Param`].
///
/// # Safety
///
/// `val` is null or a NUL-terminated string, and `kp` is one of the `kernel_param` records
/// here, whose `arg` points to a `'static` [`Param`] (the kernel's contract for
/// `kernel_param_ops::set`).
unsafe extern "C" fn param_set(val: *const c_char, kp: *const bindings::kernel_param) -> c_int {
    if val.is_null() {
        return EINVAL.to_errno();
    }
    // SAFETY: By the caller's contract `arg` points to a `'static` `Param`.
    let param = unsafe { &*(*kp).__bindgen_anon_1.arg.cast::<Param>() };
    let mut value: c_uint = 0;
    // SAFETY: `val` is a NUL-terminated string (checked non-null above, caller's contract) and
    // `value` is a valid `unsigned int` to write.
    let ret = unsafe { bindings::kstrtouint(val, 0, &mut value) };
    if ret != 0 {
        // SAFETY: `val` is a NUL-terminated string that lives for this call (caller's contract).
        let text = unsafe { crate::ffi::compat::cstr_from_char_ptr(val) };
        let named = text
            .to_str()
            .ok()
            .and_then(|t| param.spec.named_value(t.trim_end_matches('\n')));
        match named {
            Some(v) => value = v,
            None => return ret,
        }
    }
    param.set(value);
    0
}

/// Prints a [`Param`]'s live value and a newline into a sysfs buffer.
///
/// # Safety
///
/// `buf` is a sysfs buffer of `PAGE_SIZE` bytes and `kp` one of the `kernel_param` records
/// here (the kernel's contract for `kernel_param_ops::get`).
unsafe extern "C" fn param_get(buf: *mut c_char, kp: *const bindings::kernel_param) -> c_int {
    // SAFETY: As in `param_set`: `arg` points to a `'static` `Param`.
    let param = unsafe { &*(*kp).__bindgen_anon_1.arg.cast::<Param>() };
    let v = param.get();
    let mut digits = [0u8; 11];
    let text = match param.spec.names.iter().find(|(_, n)| *n == v) {
        Some((name, _)) => name.as_bytes(),
        None => decimal(v, &mut digits),
    };
    // SAFETY: `buf` holds `PAGE_SIZE` bytes, far more than the name or the at most 10 digits and
    // the newline copied here, and cannot overlap them (our stack array or a static name).
    unsafe {
        core::ptr::copy_nonoverlapping(text.as_ptr(), buf.cast::<u8>(), text.len());
        *buf.add(text.len()) = b'\n' as c_char;
    }
    (text.len() + 1) as c_int
}

/// `v` in decimal, at the end of `digits`.
fn decimal(mut v: u32, digits: &mut [u8; 11]) -> &[u8] {
    let mut at = digits.len();
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
    &digits[at..]
}

/// The ops of every [`Param`].
static PARAM_OPS: ParamOps = ParamOps(bindings::kernel_param_ops {
    flags: 0,
    set: Some(param_set),
    get: Some(param_get),
    free: None,
});

/// A `kernel_param` record made `Sync`, for the `__param` section.
#[repr(transparent)]
struct KernelParam(bindings::kernel_param);

// SAFETY: The kernel serialises every access to the record (it only reads it, under
// `param_lock` for sysfs); Rust never touches it.
unsafe impl Sync for KernelParam {}

impl KernelParam {
    /// The record of a mode-0444 `u32` parameter of this module named `name`, which must end
    /// with a NUL (checked at compile time: the records are `static`s).
    const fn new(name: &'static [u8], param: &'static Param) -> Self {
        assert!(
            matches!(name.last(), Some(0)),
            "parameter name without its NUL"
        );
        Self(bindings::kernel_param {
            name: name.as_ptr().cast(),
            mod_: THIS_MODULE,
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

/// The module's own `struct module` for its parameter records: built by the kernel at load
/// time, it outlives the records, which are part of the module. Built into the kernel
/// (`CONFIG_RUST_OOM_GUARD=y`) there is none, and the records say so with a null pointer, as C's
/// `THIS_MODULE` does.
#[cfg(MODULE)]
const THIS_MODULE: *mut bindings::module = (&raw const bindings::__this_module).cast_mut();
#[cfg(not(MODULE))]
const THIS_MODULE: *mut bindings::module = core::ptr::null_mut();

/// What the kernel expects before a parameter's name and a `.modinfo` tag: nothing in a module;
/// built in, the module's name and a dot (C's `MODULE_PARAM_PREFIX` and `__MODULE_INFO_PREFIX`),
/// so that `rust_oom_guard.pool_kib=…` on the kernel command line sets `pool_kib`.
const PREFIX: &[u8] = if cfg!(MODULE) {
    b""
} else {
    b"rust_oom_guard."
};

// ---- The parameters: one per tunable of `params::TUNABLES` ---------------------------------

/// How many module parameters there are.
const NR_PARAMS: usize = params::TUNABLES.len();

/// Room for a parameter's name, its [`PREFIX`] and its NUL.
const NAME_ROOM: usize = 48;

/// The module parameters, in [`params::TUNABLES`] order, each at its default until the kernel
/// parses a load argument into it.
pub(crate) static PARAMS: [Param; NR_PARAMS] = {
    let mut out = [const { Param::new(&params::TUNABLES[0]) }; NR_PARAMS];
    let mut i = 0;
    while i < NR_PARAMS {
        out[i] = Param::new(&params::TUNABLES[i]);
        i += 1;
    }
    out
};

/// The parameters' names after their [`PREFIX`], NUL-terminated, for their `kernel_param`
/// records.
static NAMES: [[u8; NAME_ROOM]; NR_PARAMS] = {
    let mut out = [[0u8; NAME_ROOM]; NR_PARAMS];
    let mut i = 0;
    while i < NR_PARAMS {
        let name = params::TUNABLES[i].name.as_bytes();
        assert!(
            PREFIX.len() + name.len() < NAME_ROOM,
            "parameter name too long"
        );
        let at = put(&mut out[i], 0, PREFIX);
        put(&mut out[i], at, name);
        i += 1;
    }
    out
};

/// The parameters' `kernel_param` records, which the kernel finds in the `__param` section:
/// mode 0444, so `/sys/module/rust_oom_guard/parameters/` shows the live values.
#[link_section = "__param"]
#[used(compiler)]
static KERNEL_PARAMS: [KernelParam; NR_PARAMS] = {
    let mut i = 0;
    let mut out = [const { KernelParam::new(b"\0", &PARAMS[0]) }; NR_PARAMS];
    while i < NR_PARAMS {
        out[i] = KernelParam::new(&NAMES[i], &PARAMS[i]);
        i += 1;
    }
    out
};

/// Appends `s` to `out` from `at` (as far as `out` has room: measuring passes an empty `out`);
/// returns the new end.
const fn put(out: &mut [u8], at: usize, s: &[u8]) -> usize {
    let mut i = 0;
    while i < s.len() {
        if at + i < out.len() {
            out[at + i] = s[i];
        }
        i += 1;
    }
    at + s.len()
}

/// Appends `v` in decimal, as [`put`] does.
const fn put_u64(out: &mut [u8], at: usize, v: u64) -> usize {
    let mut digits = [0u8; 20];
    let mut first = digits.len();
    let mut v = v;
    loop {
        first -= 1;
        // `v % 10` is below 10; a `u64` has at most 20 digits, so `first` never underflows.
        digits[first] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    let (_, text) = digits.split_at(first);
    put(out, at, text)
}

/// Writes the parameters' `.modinfo` entries into `out` (or, given an empty `out`, measures
/// them): per tunable, `parmtype=NAME:uint` and `parm=NAME:HELP, MIN..=MAX UNIT[RULE] (default
/// D)`, each NUL-terminated and after the [`PREFIX`], which `modinfo` shows (built in:
/// `modules.builtin.modinfo`).
const fn modinfo(out: &mut [u8]) -> usize {
    let mut at = 0;
    let mut i = 0;
    while i < NR_PARAMS {
        let s = &params::TUNABLES[i];
        at = put(out, at, PREFIX);
        at = put(out, at, b"parmtype=");
        at = put(out, at, s.name.as_bytes());
        at = put(out, at, b":uint\0");
        at = put(out, at, PREFIX);
        at = put(out, at, b"parm=");
        at = put(out, at, s.name.as_bytes());
        at = put(out, at, b":");
        at = put(out, at, s.help.as_bytes());
        at = put(out, at, b", ");
        at = put_u64(out, at, s.min);
        at = put(out, at, b"..=");
        at = put_u64(out, at, s.max);
        at = put(out, at, b" ");
        at = put(out, at, s.unit.as_bytes());
        at = put(out, at, s.rule.as_bytes());
        at = put(out, at, b" (default ");
        at = put_u64(out, at, s.default);
        at = put(out, at, b")\0");
        i += 1;
    }
    at
}

/// The size of the parameters' `.modinfo` entries.
const MODINFO_LEN: usize = modinfo(&mut []);

/// The parameters' `.modinfo` entries.
#[link_section = ".modinfo"]
#[used(compiler)]
static MODINFO: [u8; MODINFO_LEN] = {
    let mut out = [0u8; MODINFO_LEN];
    modinfo(&mut out);
    out
};
