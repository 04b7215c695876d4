// SPDX-License-Identifier: GPL-2.0

//! CPUs: the possible-CPU mask and the per-CPU offsets, read the way the C macros read them.

use super::read_once;
use kernel::{bindings, ffi::c_ulong};

/// Whether `cpu` is set in a kernel cpumask (`cpumask_test_cpu()`), read word by word with
/// `READ_ONCE()`-style loads.
///
/// # Safety
///
/// `mask` must point to a live `struct cpumask`.
pub(super) unsafe fn cpumask_test(mask: *const bindings::cpumask, cpu: usize) -> bool {
    let bits_per_long = core::mem::size_of::<c_ulong>() * 8;
    let words = bindings::NR_CPUS as usize / bits_per_long + 1;
    let word = cpu / bits_per_long;
    if cpu >= bindings::NR_CPUS as usize || word >= words {
        return false;
    }
    // SAFETY: The caller guarantees `mask` is valid; `word` indexes its `bits` array, which
    // holds `BITS_TO_LONGS(NR_CPUS)` words (`cpu < NR_CPUS`, checked above).
    let w = unsafe { read_once((&raw const (*mask).bits).cast::<c_ulong>().add(word)) };
    w & (1 << (cpu % bits_per_long)) != 0
}

/// `__per_cpu_offset[cpu]`, the distance from a per-CPU variable to CPU `cpu`'s copy.
pub(super) fn per_cpu_offset(cpu: usize) -> Option<usize> {
    if cpu >= bindings::NR_CPUS as usize {
        return None;
    }
    // SAFETY: `__per_cpu_offset` is a static array of `NR_CPUS` words, set at boot for every
    // possible CPU; `cpu` is inside it (checked above).
    let off = unsafe {
        read_once(
            (&raw const bindings::__per_cpu_offset)
                .cast::<c_ulong>()
                .add(cpu),
        )
    };
    usize::try_from(off).ok()
}
