// SPDX-License-Identifier: GPL-2.0

//! The current task: its pid and name, whether it is kswapd, whether it may administer the
//! system.

use crate::abi;
use kernel::bindings;

/// The current task (`current`), live for as long as the caller runs.
fn current_ptr() -> *mut bindings::task_struct {
    // SAFETY: `get_current` has no preconditions.
    unsafe { bindings::get_current() }
}

/// Pid and name of the current task.
pub(crate) fn current_task() -> (u32, [u8; abi::COMM_LEN]) {
    let pid = u32::try_from(kernel::current!().pid()).unwrap_or(0);
    // SAFETY: The current task is live for this call.
    (pid, unsafe { read_comm(current_ptr()) })
}

/// The name of `task`, NUL-padded.
///
/// # Safety
///
/// `task` is a live task.
pub(super) unsafe fn read_comm(task: *mut bindings::task_struct) -> [u8; abi::COMM_LEN] {
    let mut comm = [0u8; abi::COMM_LEN];
    // SAFETY: `task` is live (caller's contract). `comm` is a fixed array inside it; a
    // concurrent `set_task_comm()` may tear the name, which is harmless for a report (the
    // kernel's own `%s` of `task->comm` has the same race), so each byte is read volatile.
    let src = unsafe { &raw const (*task).comm };
    for (i, c) in comm.iter_mut().enumerate() {
        // SAFETY: `i < COMM_LEN == TASK_COMM_LEN`, inside the `comm` array.
        let b = unsafe { core::ptr::read_volatile(src.cast::<u8>().add(i)) };
        if b == 0 {
            break;
        }
        *c = b;
    }
    comm
}

/// A token for the current task that no other task has while it lives, nor soon after: its fork
/// time (monotonic ns) mixed with its pid. Its `task_struct`'s address would not do: a task
/// forked right after another exits may get the same one (seen: a memcg OOM's task taken for
/// the task of a global OOM 0.7 s earlier).
pub(crate) fn current_token() -> u64 {
    let pid = u64::try_from(kernel::current!().pid()).unwrap_or(0);
    // SAFETY: The current task is live for this call; `start_time` is set at fork and never
    // written again.
    let start = unsafe { (*current_ptr()).start_time };
    start ^ pid.rotate_left(40)
}

/// Whether the current task has `CAP_SYS_ADMIN`.
pub(crate) fn capable_sys_admin() -> bool {
    // SAFETY: `capable` has no preconditions.
    unsafe { bindings::capable(bindings::CAP_SYS_ADMIN as i32) }
}

/// Whether the current task is a kswapd thread (`current_is_kswapd()`).
pub(super) fn current_is_kswapd() -> bool {
    let task = current_ptr();
    // SAFETY: `task` is the current task, valid for this call; `flags` of the current task is
    // only written by the task itself.
    let flags = unsafe { (*task).flags };
    flags & bindings::PF_KSWAPD != 0
}
