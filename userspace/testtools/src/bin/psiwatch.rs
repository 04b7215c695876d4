//! psiwatch: arms PSI triggers and prints a timestamped line each time one fires, so guest
//! benchmarks can set the kernel's own pressure notifications beside the module's events.
//!
//! usage: psiwatch [-f FILE] TRIGGER...
//!   FILE     the pressure file (default /proc/pressure/memory; a cgroup's memory.pressure
//!            works too)
//!   TRIGGER  `some|full STALL_US WINDOW_US`, one argument each, e.g. 'some 150000 1000000':
//!            fire when tasks were stalled for STALL_US µs within a WINDOW_US µs window
//!            (0 < STALL_US <= WINDOW_US <= 10 s)
//!
//! Opens FILE once per trigger and writes the trigger to it (with its NUL, as
//! `Documentation/accounting/psi.rst` does), then prints `psiwatch: armed N triggers` on stderr
//! and polls all of them. Every event is one line on stdout, flushed at once:
//! `time_ns=<CLOCK_MONOTONIC ns> trigger=<0-based index>`; the clock is the one of the module's
//! `time_ns`. Runs until killed. Exit codes: 2 on bad arguments; 1 if FILE cannot be opened
//! or the trigger written (no PSI in the kernel, no such file), if poll fails, or if a trigger
//! is gone (POLLERR: the cgroup was removed); 0 if stdout is closed.
//!
//! Memory is locked (mlockall, as earlyoom does) so that the watcher's own page faults do not
//! delay its timestamps under pressure; without the privilege it goes on unlocked.

use oom_guard_testtools::{monotonic_ns, psi_event_line, PsiTrigger};
use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::process::ExitCode;

const DEFAULT_FILE: &str = "/proc/pressure/memory";

fn usage() -> ExitCode {
    eprintln!(
        "usage: psiwatch [-f FILE] TRIGGER...   (FILE default {DEFAULT_FILE}; \
         TRIGGER like 'some 150000 1000000': some|full, stall µs, window µs)"
    );
    ExitCode::from(2)
}

/// Opens `file` for one trigger and arms it.
fn arm(file: &str, trigger: &PsiTrigger) -> Result<File, String> {
    let mut f = OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(file)
        .map_err(|e| format!("{file}: cannot open: {e}"))?;
    let bytes = trigger.to_bytes();
    match f.write(&bytes) {
        Ok(n) if n == bytes.len() => Ok(f),
        Ok(n) => Err(format!(
            "{file}: trigger '{trigger}': short write ({n} of {} bytes)",
            bytes.len()
        )),
        Err(e) => Err(format!("{file}: cannot write trigger '{trigger}': {e}")),
    }
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut file = DEFAULT_FILE.to_string();
    let mut triggers = Vec::new();
    while let Some(a) = args.next() {
        match a.as_str() {
            "-h" | "--help" => return usage(),
            "-f" => match args.next() {
                Some(f) => file = f,
                None => {
                    eprintln!("psiwatch: -f needs a FILE");
                    return usage();
                }
            },
            "--" => {
                for t in args.by_ref() {
                    triggers.push(t);
                }
            }
            s if s.starts_with('-') => {
                eprintln!("psiwatch: unknown option '{s}'");
                return usage();
            }
            _ => triggers.push(a),
        }
    }
    if triggers.is_empty() {
        eprintln!("psiwatch: no TRIGGER given");
        return usage();
    }
    let mut parsed = Vec::with_capacity(triggers.len());
    for t in &triggers {
        match PsiTrigger::parse(t) {
            Ok(t) => parsed.push(t),
            Err(e) => {
                eprintln!("psiwatch: {e}");
                return ExitCode::from(2);
            }
        }
    }

    // SAFETY: mlockall takes no pointers; it only changes how this process's pages are kept.
    if unsafe { libc::mlockall(libc::MCL_CURRENT | libc::MCL_FUTURE) } != 0 {
        eprintln!(
            "psiwatch: mlockall: {} (going on unlocked)",
            std::io::Error::last_os_error()
        );
    }

    let mut files = Vec::with_capacity(parsed.len());
    for t in &parsed {
        match arm(&file, t) {
            Ok(f) => files.push(f),
            Err(e) => {
                eprintln!("psiwatch: {e}");
                return ExitCode::from(1);
            }
        }
    }
    let mut fds: Vec<libc::pollfd> = files
        .iter()
        .map(|f| libc::pollfd {
            fd: f.as_raw_fd(),
            events: libc::POLLPRI,
            revents: 0,
        })
        .collect();
    let Ok(nfds) = libc::nfds_t::try_from(fds.len()) else {
        eprintln!("psiwatch: too many triggers");
        return ExitCode::from(2);
    };
    eprintln!("psiwatch: armed {} triggers", fds.len());

    let mut out = std::io::stdout().lock();
    loop {
        // SAFETY: `fds` is a valid array of `nfds` pollfd structures that stays alive and
        // unaliased for the call; the fds in it are open (owned by `files`).
        let r = unsafe { libc::poll(fds.as_mut_ptr(), nfds, -1) };
        let now = monotonic_ns();
        if r < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == ErrorKind::Interrupted {
                continue;
            }
            eprintln!("psiwatch: poll: {e}");
            return ExitCode::from(1);
        }
        for (i, p) in fds.iter_mut().enumerate() {
            let revents = std::mem::replace(&mut p.revents, 0);
            if revents & (libc::POLLERR | libc::POLLNVAL) != 0 {
                let trigger = parsed.get(i).map(ToString::to_string).unwrap_or_default();
                eprintln!(
                    "psiwatch: trigger {i} ('{trigger}') on {file}: POLLERR, the event source \
                     is gone"
                );
                return ExitCode::from(1);
            }
            if revents & libc::POLLPRI != 0 {
                let line = psi_event_line(now, i) + "\n";
                if let Err(e) = out.write_all(line.as_bytes()).and_then(|()| out.flush()) {
                    if e.kind() == ErrorKind::BrokenPipe {
                        return ExitCode::SUCCESS;
                    }
                    eprintln!("psiwatch: stdout: {e}");
                    return ExitCode::from(1);
                }
            }
        }
    }
}
