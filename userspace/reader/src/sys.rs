//! The reader's only raw system calls, each behind a safe wrapper.
//!
//! Every `libc` function the reader calls is called here and nowhere else, so each `unsafe`
//! block sits beside its siblings with the reason it is sound; the rest of the crate calls the
//! wrappers and uses `libc` only for constants (errno values, flags).

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

/// A type the kernel may fill with any bytes: an integer, or a `#[repr(C)]` struct or array
/// made of them only.
///
/// # Safety
///
/// Every bit pattern of `size_of::<Self>()` bytes must be a valid `Self`.
pub(crate) unsafe trait Plain: Copy {}

// SAFETY: every bit pattern is a valid integer.
unsafe impl Plain for u8 {}
// SAFETY: every bit pattern is a valid integer.
unsafe impl Plain for u32 {}
// SAFETY: every bit pattern is a valid integer.
unsafe impl Plain for u64 {}
// SAFETY: `Stats` is `#[repr(C)]` with `u64` fields only (`abi.rs`).
unsafe impl Plain for oom_guard_core::abi::Stats {}
// SAFETY: `Config` is `#[repr(C)]` with `u32` fields only (`abi.rs`).
unsafe impl Plain for oom_guard_core::abi::Config {}
// SAFETY: `Zones` is `#[repr(C)]` with integer fields and an array of `ZoneSnapshot`, itself
// `#[repr(C)]` with integer and byte-array fields only (`abi.rs`).
unsafe impl Plain for oom_guard_core::abi::Zones {}

/// Issues ioctl `cmd` on `fd` with a pointer to `arg`, after checking that the argument size
/// `cmd` encodes is the size of `T`, so the kernel never reads or writes outside `arg`; a
/// mismatch is `EINVAL` without a system call.
pub(crate) fn ioctl<T: Plain>(fd: BorrowedFd<'_>, cmd: u32, arg: &mut T) -> io::Result<()> {
    let encoded_size = (cmd >> 16) & 0x3fff;
    if usize::try_from(encoded_size).ok() != Some(std::mem::size_of::<T>()) {
        return Err(io::Error::from_raw_os_error(libc::EINVAL));
    }
    let ptr: *mut T = arg;
    // SAFETY: the descriptor is borrowed, so open for the call, and `ptr` points to a live,
    // writable `T` whose size is the argument size encoded in `cmd` (checked above), which is
    // all the kernel copies to or from. `T: Plain`, so whatever the kernel writes is a valid `T`.
    let r = unsafe { libc::ioctl(fd.as_raw_fd(), cmd as _, ptr) };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Waits up to `timeout_ms` (-1: forever) until one of `fds` is readable or hung up (`None`
/// entries are left out); returns which are. A signal interrupting the wait is an error of
/// kind [`io::ErrorKind::Interrupted`].
pub(crate) fn poll_in<const N: usize>(
    fds: [Option<BorrowedFd<'_>>; N],
    timeout_ms: i32,
) -> io::Result<[bool; N]> {
    let mut pfds = fds.map(|fd| libc::pollfd {
        // poll() ignores negative descriptors.
        fd: fd.map_or(-1, |f| f.as_raw_fd()),
        events: libc::POLLIN,
        revents: 0,
    });
    // SAFETY: `pfds` is a valid array of `N` `pollfd`s for the duration of the call, and the
    // descriptors in it are borrowed, so open.
    let r = unsafe { libc::poll(pfds.as_mut_ptr(), N as libc::nfds_t, timeout_ms) };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(pfds.map(|p| p.revents != 0))
}

/// The page size of this system (`sysconf(_SC_PAGESIZE)`), if it can be read.
pub(crate) fn page_size() -> Option<u64> {
    // SAFETY: `sysconf` has no preconditions; it only reads a system constant.
    let r = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    u64::try_from(r).ok().filter(|p| *p > 0)
}

/// `CLOCK_MONOTONIC` now, ns (the clock of the module's `time_ns`).
pub(crate) fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable `timespec` for the duration of the call.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    let secs = u64::try_from(ts.tv_sec).unwrap_or(0);
    let nanos = u64::try_from(ts.tv_nsec).unwrap_or(0);
    secs.saturating_mul(1_000_000_000).saturating_add(nanos)
}

/// `secs` since the epoch in local time (`localtime_r`); the epoch if it cannot be converted.
pub(crate) fn local_time(secs: u64) -> libc::tm {
    // `time_t` is inferred from `localtime_r`: the libc crate deprecates naming it on musl.
    let t = secs.try_into().unwrap_or(0);
    let mut tm = libc::tm {
        tm_sec: 0,
        tm_min: 0,
        tm_hour: 0,
        tm_mday: 1,
        tm_mon: 0,
        tm_year: 70,
        tm_wday: 0,
        tm_yday: 0,
        tm_isdst: 0,
        tm_gmtoff: 0,
        tm_zone: std::ptr::null(),
    };
    // SAFETY: `t` and `tm` are valid for the call; `localtime_r` writes only into `tm` and is
    // thread-safe. On failure it returns NULL and `tm` keeps the epoch set above.
    unsafe { libc::localtime_r(&t, &mut tm) };
    tm
}

/// `mlockall(flags)`.
pub(crate) fn mlockall(flags: libc::c_int) -> io::Result<()> {
    // SAFETY: `mlockall` takes only flags and changes no memory the program can observe.
    let r = unsafe { libc::mlockall(flags) };
    if r != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Puts the calling thread under `SCHED_FIFO` at `priority`.
///
/// The system call is made directly: musl's `sched_setscheduler()` is a stub that fails with
/// `ENOSYS` without reaching the kernel (POSIX has it act on a process, which Linux cannot do),
/// and the reader ships as a static musl binary. Linux's own call with pid 0 acts on the calling
/// thread, which is what is meant here.
pub(crate) fn sched_fifo(priority: i32) -> io::Result<()> {
    // SAFETY: `sched_param` is plain data (musl's has extra fields for SCHED_SPORADIC, which
    // must be zero); all zeroes is a valid value.
    let mut param: libc::sched_param = unsafe { std::mem::zeroed() };
    param.sched_priority = priority;
    // SAFETY: `param` is a valid `sched_param` that the kernel only reads (its first field,
    // `sched_priority`, is the kernel's whole `struct sched_param`); pid 0 is the calling thread.
    let r = unsafe {
        libc::syscall(
            libc::SYS_sched_setscheduler,
            0 as libc::pid_t,
            libc::SCHED_FIFO,
            &param as *const libc::sched_param,
        )
    };
    if r != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The calling thread's scheduling policy and priority, as the kernel has them (raw system
/// calls, for the same reason as [`sched_fifo`]).
#[cfg(test)]
pub(crate) fn sched_get() -> io::Result<(i32, i32)> {
    // SAFETY: pid 0 is the calling thread; the call takes no pointer.
    let policy = unsafe { libc::syscall(libc::SYS_sched_getscheduler, 0 as libc::pid_t) };
    if policy < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: as in `sched_fifo`: all zeroes is a valid `sched_param`.
    let mut param: libc::sched_param = unsafe { std::mem::zeroed() };
    // SAFETY: `param` is a valid, writable `sched_param`; the kernel writes its first field.
    let r = unsafe {
        libc::syscall(
            libc::SYS_sched_getparam,
            0 as libc::pid_t,
            &mut param as *mut libc::sched_param,
        )
    };
    if r != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok((i32::try_from(policy).unwrap_or(-1), param.sched_priority))
}

/// Clears `O_NONBLOCK` on `fd`.
pub(crate) fn clear_nonblock(fd: BorrowedFd<'_>) -> io::Result<()> {
    // SAFETY: the descriptor is borrowed, so open; F_GETFL takes no argument.
    let flags = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) };
    if flags < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: as above; F_SETFL takes the flags as an int.
    let r = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, flags & !libc::O_NONBLOCK) };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Ends the process at once with `code` (`_exit`): no exit handlers, no flush of stdout, which
/// would block on a stdout nobody reads.
pub(crate) fn exit_now(code: u8) -> ! {
    // SAFETY: `_exit` has no preconditions; it does not return.
    unsafe { libc::_exit(i32::from(code)) }
}
