//! samefile: two readers on one open file of `/dev/oom_guard`, the case of two threads or a
//! forked child sharing a descriptor.
//!
//! usage: samefile [DEVICE]   (default /dev/oom_guard; the guard must have no record to read:
//! start it with a fresh load and read what is there first, e.g. `guardctl read -n`)
//!
//! Checks, in order, and prints one `ok ...` line per check (or `FAIL ...` and exit 1):
//! 1. a first thread blocks in `read()` (nothing to read);
//! 2. a second thread's `read()` on the same file waits too, in interruptible sleep (state `S`
//!    in /proc, never `D`), for as long as the first one waits;
//! 3. `poll()` on the file returns at once, not readable;
//! 4. with `O_NONBLOCK` set on the file, a third `read()` returns `EAGAIN` at once while the
//!    first one still waits;
//! 5. a signal ends the second thread's wait with `EINTR` (no `SA_RESTART`), and then the
//!    first one's.
//!
//! Exit 0 when every check passed, 1 when one failed, 2 on bad usage or set-up errors.

use std::os::fd::AsRawFd;
use std::process::ExitCode;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The reader threads' kernel thread ids, for /proc and `tgkill`.
static TID: [AtomicI32; 2] = [AtomicI32::new(0), AtomicI32::new(0)];

extern "C" fn on_signal(_: libc::c_int) {}

/// A blocking `read()` of one record buffer on `fd`; returns `read()`'s result and errno.
fn read_once(fd: libc::c_int) -> (isize, i32) {
    let mut buf = vec![0u8; 4096];
    // SAFETY: `buf` is valid for writes of its length.
    let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
    let errno = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
    (n, errno)
}

/// The scheduler state letter of thread `tid` of this process (`R`, `S`, `D`, ...).
fn thread_state(tid: i32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).ok()?;
    // The state follows the command name in parentheses, which may contain spaces.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().next()?.chars().next()
}

/// Starts a reader thread number `i` that records its tid and blocks in `read()`.
fn reader(i: usize, fd: libc::c_int) -> std::thread::JoinHandle<(isize, i32)> {
    std::thread::spawn(move || {
        // SAFETY: `gettid` has no preconditions.
        TID[i].store(unsafe { libc::gettid() }, Ordering::SeqCst);
        read_once(fd)
    })
}

/// Waits up to `limit` for thread `i` to be asleep (`S` or `D`); returns its state letter.
fn asleep(i: usize, limit: Duration) -> Option<char> {
    let start = Instant::now();
    loop {
        let tid = TID[i].load(Ordering::SeqCst);
        if tid != 0 {
            if let Some(s @ ('S' | 'D')) = thread_state(tid) {
                return Some(s);
            }
        }
        if start.elapsed() > limit {
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn check(ok: bool, what: &str) -> Result<(), String> {
    if ok {
        println!("ok {what}");
        Ok(())
    } else {
        Err(what.to_string())
    }
}

fn run(dev: &str) -> Result<(), String> {
    let file = std::fs::File::open(dev).map_err(|e| format!("set-up: open {dev}: {e}"))?;
    let fd = file.as_raw_fd();
    let file = Arc::new(file);
    // SAFETY: a handler that does nothing, installed without SA_RESTART so a blocked read()
    // returns EINTR.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_signal as *const () as usize;
        libc::sigemptyset(&mut sa.sa_mask);
        libc::sigaction(libc::SIGUSR1, &sa, std::ptr::null_mut());
    }
    let first = reader(0, fd);
    let s0 = asleep(0, Duration::from_secs(5));
    check(
        s0 == Some('S'),
        "1: the first reader sleeps interruptibly in read()",
    )?;
    let second = reader(1, fd);
    let s1 = asleep(1, Duration::from_secs(5));
    check(
        s1.is_some(),
        "2a: the second reader on the same file waits for the first",
    )?;
    // Give a D state time to show: it lasted until the next event before the fix.
    std::thread::sleep(Duration::from_millis(500));
    let tid1 = TID[1].load(Ordering::SeqCst);
    let s1 = thread_state(tid1);
    check(
        s1 == Some('S'),
        &format!("2b: the second reader's wait is interruptible (state {s1:?})"),
    )?;
    let mut pfd = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    let t = Instant::now();
    // SAFETY: one valid pollfd.
    let n = unsafe { libc::poll(&mut pfd, 1, 0) };
    check(
        n == 0 && t.elapsed() < Duration::from_millis(200),
        "3: poll() returns at once, nothing readable",
    )?;
    // SAFETY: F_GETFL/F_SETFL on our own descriptor.
    unsafe {
        let fl = libc::fcntl(fd, libc::F_GETFL);
        libc::fcntl(fd, libc::F_SETFL, fl | libc::O_NONBLOCK);
    }
    let t = Instant::now();
    let (n, errno) = read_once(fd);
    check(
        n < 0 && errno == libc::EAGAIN && t.elapsed() < Duration::from_millis(200),
        &format!(
            "4: with O_NONBLOCK a third read() gets EAGAIN at once (got {n}, errno {errno}, {:?})",
            t.elapsed()
        ),
    )?;
    // SAFETY: tgkill to threads of this process.
    unsafe { libc::syscall(libc::SYS_tgkill, libc::getpid(), tid1, libc::SIGUSR1) };
    let (n, errno) = second.join().map_err(|_| "set-up: reader 2 panicked")?;
    check(
        n < 0 && errno == libc::EINTR,
        &format!("5a: a signal ends the second reader's wait with EINTR (got {n}, errno {errno})"),
    )?;
    let tid0 = TID[0].load(Ordering::SeqCst);
    // SAFETY: as above.
    unsafe { libc::syscall(libc::SYS_tgkill, libc::getpid(), tid0, libc::SIGUSR1) };
    let (n, errno) = first.join().map_err(|_| "set-up: reader 1 panicked")?;
    check(
        n < 0 && (errno == libc::EINTR || errno == libc::EAGAIN),
        &format!("5b: and the first one's (got {n}, errno {errno})"),
    )?;
    drop(file);
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dev = match args.as_slice() {
        [] => "/dev/oom_guard".to_string(),
        [d] if !d.starts_with('-') => d.clone(),
        _ => {
            eprintln!("usage: samefile [DEVICE]");
            return ExitCode::from(2);
        }
    };
    match run(&dev) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.starts_with("set-up") => {
            eprintln!("samefile: {e}");
            ExitCode::from(2)
        }
        Err(e) => {
            println!("FAIL {e}");
            ExitCode::from(1)
        }
    }
}
