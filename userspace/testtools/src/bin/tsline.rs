//! tsline: copies stdin to stdout line by line, each line prefixed with
//! `time_ns=<CLOCK_MONOTONIC ns> `, so that the messages of another program (earlyoom) get
//! times on the clock of the module's records (`ktime_get`).
//!
//! usage: tsline   (e.g. `earlyoom 2>&1 | tsline >/tmp/eo.log`)
//!
//! The time of a line is read right after the `read()` that returned its first byte (reads are
//! buffered, so lines that arrive together share a time). Every line is flushed as soon as it
//! is complete; an incomplete last line is printed too, with a newline added. Exit 0 at end of
//! input or when stdout is closed, 1 on a read or write error, 2 on bad usage.
//!
//! Memory is locked (mlockall, as earlyoom does) so that tsline's own page faults do not delay
//! the timestamps under pressure; without the privilege it goes on unlocked.

use oom_guard_testtools::{monotonic_ns, timestamp_lines};
use std::io::ErrorKind;
use std::process::ExitCode;

fn main() -> ExitCode {
    if std::env::args_os().len() > 1 {
        eprintln!(
            "usage: tsline   (copies stdin to stdout, each line prefixed with \
             'time_ns=<CLOCK_MONOTONIC ns> ')"
        );
        return ExitCode::from(2);
    }
    // SAFETY: mlockall takes no pointers; it only changes how this process's pages are kept.
    if unsafe { libc::mlockall(libc::MCL_CURRENT | libc::MCL_FUTURE) } != 0 {
        eprintln!(
            "tsline: mlockall: {} (going on unlocked)",
            std::io::Error::last_os_error()
        );
    }
    // Stdin's own buffer is bypassed: timestamp_lines reads 64 KiB at a time, more than it
    // holds, so every read() is a read(2) and its time is honest.
    let input = std::io::stdin().lock();
    let output = std::io::stdout().lock();
    match timestamp_lines(input, output, monotonic_ns) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tsline: {e}");
            ExitCode::from(1)
        }
    }
}
