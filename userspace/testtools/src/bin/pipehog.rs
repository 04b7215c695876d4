//! pipehog: fills pipe buffers until a target size is reached or the kernel refuses, to
//! exhaust memory with unreclaimable kernel pages (pipe buffers) instead of anonymous memory.
//!
//! usage: pipehog SIZE [HOLD_SECONDS]
//!   SIZE          pipe buffer memory to fill, e.g. 512M (suffixes K, M, G)
//!   HOLD_SECONDS  seconds to keep the pipes full before exiting (default 0)
//!
//! Each pipe is grown to 1 MiB (`F_SETPIPE_SZ`, the default `pipe-max-size`) and filled with
//! non-blocking writes. The hog sets its own `oom_score_adj` to 1000: its memory is not in its
//! RSS, so without that the OOM killer would pick somebody else. Progress in KiB goes to
//! `MEMHOG_PROGRESS=FILE` like memhog's. Prints `pipehog: done <KiB> KiB in <N> pipes`; exit 0
//! on success, 1 if a write failed other than by a full pipe, 2 on bad arguments.

use oom_guard_testtools::{parse_size, KIB, MIB};
use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(size) = args.first().and_then(|a| parse_size(a).ok()) else {
        eprintln!("usage: pipehog SIZE [HOLD_SECONDS]   (size like 512M)");
        return ExitCode::from(2);
    };
    let hold = match args.get(1).map(|h| h.parse::<u64>()) {
        None => 0,
        Some(Ok(h)) => h,
        Some(Err(_)) => {
            eprintln!("pipehog: invalid HOLD_SECONDS: expected whole seconds");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = std::fs::write("/proc/self/oom_score_adj", "1000") {
        eprintln!("pipehog: cannot set oom_score_adj: {e}");
    }
    let mut progress =
        std::env::var_os("MEMHOG_PROGRESS").and_then(|p| std::fs::File::create(p).ok());
    let block = [0x5au8; 64 * 1024];
    let mut pipes: Vec<[libc::c_int; 2]> = Vec::new();
    let mut filled: u64 = 0;
    while filled < size {
        let mut fds = [0; 2];
        // SAFETY: `fds` has room for the two descriptors.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK) } != 0 {
            eprintln!("pipehog: pipe2: {}", std::io::Error::last_os_error());
            break;
        }
        pipes.push(fds);
        // SAFETY: `fds[1]` is the pipe's write end, just opened. A failure leaves the default
        // size, which is fine.
        unsafe { libc::fcntl(fds[1], libc::F_SETPIPE_SZ, MIB as libc::c_int) };
        loop {
            // SAFETY: `block` is valid for reads of its length.
            let n = unsafe { libc::write(fds[1], block.as_ptr().cast(), block.len()) };
            if n < 0 {
                let e = std::io::Error::last_os_error();
                if e.raw_os_error() == Some(libc::EAGAIN) {
                    break;
                }
                eprintln!("pipehog: write: {e}");
                return ExitCode::from(1);
            }
            filled += n as u64;
            if let Some(f) = progress.as_mut() {
                use std::io::Seek;
                let _ = f.seek(std::io::SeekFrom::Start(0));
                let _ = writeln!(f, "{:>20}", filled / KIB);
            }
            if filled >= size {
                break;
            }
        }
    }
    println!(
        "pipehog: done {} KiB in {} pipes",
        filled / KIB,
        pipes.len()
    );
    std::thread::sleep(Duration::from_secs(hold));
    ExitCode::SUCCESS
}
