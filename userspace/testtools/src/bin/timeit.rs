//! timeit: runs a command and prints its wall time in microseconds, for guest
//! benchmarks (busybox's `time` has 10 ms resolution).
//!
//! usage: timeit COMMAND [ARGS...]
//! Prints `timeit: <µs> us` on stderr and exits with the command's exit code
//! (127 if it could not be started, 2 on bad usage).

use std::process::{Command, ExitCode};
use std::time::Instant;

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let Some(cmd) = args.next() else {
        eprintln!("usage: timeit COMMAND [ARGS...]");
        return ExitCode::from(2);
    };
    let start = Instant::now();
    let status = match Command::new(&cmd).args(args).status() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("timeit: cannot run {}: {e}", cmd.to_string_lossy());
            return ExitCode::from(127);
        }
    };
    eprintln!("timeit: {} us", start.elapsed().as_micros());
    match status.code() {
        Some(c) => ExitCode::from(u8::try_from(c).unwrap_or(1)),
        // Killed by a signal: report it like a shell does.
        None => ExitCode::from(128 + 9),
    }
}
