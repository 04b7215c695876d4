// SPDX-License-Identifier: GPL-2.0

//! The current task: its pid and name, whether it is kswapd, whether it may administer the
//! system.

use crate::abi;
use kernel::bindings;

/// Pid and name of the current task.
pub(crate) fn current_task() -> (u32, [u8; abi::COMM_LEN]) {
    let task = kernel::current!();
    let pid = u32::try_from(task.pid()).unwrap_or(0);
    let raw = task.as_ptr();
    let mut comm = [0u8; abi::COMM_LEN];
    // SAFETY: `raw` is the current task, valid for this call. `comm` is a fixed array inside
    // it; a concurrent `set_task_comm()` may tear the name, which is harmless for a report
    // (the kernel's own `%s` of `current->comm` has the same race).
    let src = unsafe { &raw const (*raw).comm };
    for (i, c) in comm.iter_mut().enumerate() {
        // SAFETY: `i < COMM_LEN == TASK_COMM_LEN`, inside the `comm` array.
        let b = unsafe { core::ptr::read_volatile(src.cast::<u8>().add(i)) };
        if b == 0 {
            break;
        }
        *c = b;
    }
    (pid, comm)
}

/// Whether the current task has `CAP_SYS_ADMIN`.
pub(crate) fn capable_sys_admin() -> bool {
    // SAFETY: `capable` has no preconditions.
    unsafe { bindings::capable(bindings::CAP_SYS_ADMIN as i32) }
}

/// Whether the current task is a kswapd thread (`current_is_kswapd()`).
pub(super) fn current_is_kswapd() -> bool {
    let task = kernel::current!().as_ptr();
    // SAFETY: `task` is the current task, valid for this call; `flags` of the current task is
    // only written by the task itself.
    let flags = unsafe { (*task).flags };
    flags & bindings::PF_KSWAPD != 0
}
