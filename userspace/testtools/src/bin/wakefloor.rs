//! wakefloor: the guest's kernel→user wake-up floor, measured beside the reader (benchmark P1).
//!
//! usage: wakefloor [--rt-priority N] [--max-gap-ms M] [--cpus W,R] LOG
//!
//! A writer thread, pinned to CPU W (default 0), writes its CLOCK_MONOTONIC time into a pipe at
//! random intervals of 1 to M ms (default 19: never in step with the scheduler tick); a reader
//! thread pinned to CPU R (default 1), blocked in `read()` on the pipe, takes the time again as
//! soon as `read()` returns. The difference is one wake-up from another CPU: what it takes, on
//! this guest under this load, for a task blocked in a system call to run again after another
//! CPU made its data ready, which is the least a record can take from the module to the reader.
//! With `--rt-priority N` the reading thread runs under SCHED_FIFO N, as
//! `oom-guard watch --rt-priority N` does; the writer stays a normal task, like the allocating
//! task that raises an event.
//!
//! Runs until SIGTERM or SIGINT, then writes the samples to LOG as lines of up to 100 samples,
//! each line two parallel comma-separated lists: `lat_ns=` the wake-up latencies, as
//! `oom-guard --latency-log` writes them, and `at_us=` the writer's CLOCK_MONOTONIC when it
//! wrote each sample, in µs (so that a sample can be matched to the records around it; µs keep
//! the log small); at most 65 536 samples, the first ones. Prints `wakefloor: N samples` on
//! stderr.
//! Exit codes: 2 on bad arguments, 1 if the pipe, the threads, the CPU pinning or LOG fail (or
//! SCHED_FIFO is refused), 0 otherwise.

use oom_guard::survive::realtime;
use oom_guard::watch::write_lists;
use oom_guard_testtools::monotonic_ns;
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

/// Samples kept: as many as the reader's `--latency-log` keeps.
const MAX_SAMPLES: usize = 65_536;

struct Args {
    rt_priority: Option<i32>,
    max_gap_ms: u64,
    cpus: (usize, usize),
    log: String,
}

fn usage() -> ExitCode {
    eprintln!("usage: wakefloor [--rt-priority 1-99] [--max-gap-ms 2-1000] [--cpus W,R] LOG");
    ExitCode::from(2)
}

fn parse_args() -> Option<Args> {
    let mut a = Args {
        rt_priority: None,
        max_gap_ms: 19,
        cpus: (0, 1),
        log: String::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--rt-priority" => {
                let p: i32 = it.next()?.parse().ok()?;
                (1..=99).contains(&p).then_some(())?;
                a.rt_priority = Some(p);
            }
            "--max-gap-ms" => {
                let m: u64 = it.next()?.parse().ok()?;
                (2..=1000).contains(&m).then_some(())?;
                a.max_gap_ms = m;
            }
            "--cpus" => {
                let v = it.next()?;
                let (w, r) = v.split_once(',')?;
                let (w, r) = (w.parse().ok()?, r.parse().ok()?);
                (w != r && w < 1024 && r < 1024).then_some(())?;
                a.cpus = (w, r);
            }
            s if s.starts_with('-') => return None,
            s if a.log.is_empty() => a.log = s.to_string(),
            _ => return None,
        }
    }
    (!a.log.is_empty()).then_some(a)
}

/// Pins the calling thread to `cpu`.
fn pin(cpu: usize) -> io::Result<()> {
    // SAFETY: A zeroed `cpu_set_t` is an empty set; `CPU_SET` writes inside it (cpu < 1024).
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: As above: `set` is a valid set and `cpu` is below its size.
    unsafe { libc::CPU_SET(cpu, &mut set) };
    // SAFETY: `set` is a valid set of the size given; pid 0 is the calling thread.
    let r = unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) };
    if r != 0 {
        let e = io::Error::last_os_error();
        return Err(io::Error::new(
            e.kind(),
            format!("pinning to CPU {cpu}: {e}"),
        ));
    }
    Ok(())
}

/// A pipe: (read end, write end).
fn pipe() -> io::Result<(File, File)> {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors the call writes.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: Both descriptors were just created and are owned by nobody else.
    let (r, w) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    Ok((File::from(r), File::from(w)))
}

/// Blocks SIGTERM and SIGINT in the calling thread (and the threads it starts after), so that
/// only `sigwait` in the main thread takes them. Returns the set.
fn block_stop_signals() -> libc::sigset_t {
    // SAFETY: A zeroed `sigset_t` is a valid value for `sigemptyset` to initialise.
    let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is a valid, writable signal set; the calls only change it and this thread's
    // mask.
    unsafe {
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGTERM);
        libc::sigaddset(&mut set, libc::SIGINT);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
    }
    set
}

/// A small xorshift generator: the gaps need no more than that.
struct Gaps(u64);

impl Gaps {
    fn next_ms(&mut self, max: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        1 + self.0 % max
    }
}

fn writer(mut w: File, stop: Arc<AtomicBool>, max_gap_ms: u64, cpu: usize) -> io::Result<()> {
    pin(cpu)?;
    let mut gaps = Gaps(monotonic_ns() | 1);
    while !stop.load(Ordering::Relaxed) {
        thread::sleep(Duration::from_millis(gaps.next_ms(max_gap_ms)));
        w.write_all(&monotonic_ns().to_ne_bytes())?;
    }
    // The end: time 0.
    w.write_all(&0u64.to_ne_bytes())
}

/// One wake-up: when the writer wrote and how long the reader took to return from `read()`.
#[derive(Clone, Copy)]
struct Sample {
    /// The writer's CLOCK_MONOTONIC at the write, in ns.
    at_ns: u64,
    /// From the write to the return of `read()`, in ns.
    lat_ns: u64,
}

/// Reads the writer's times until the end; returns the wake-ups.
fn reader(mut r: File, rt_priority: Option<i32>, cpu: usize) -> io::Result<Vec<Sample>> {
    pin(cpu)?;
    if let Some(p) = rt_priority {
        // The reader's own call for `--rt-priority` (a raw system call: musl's
        // `sched_setscheduler()` is a stub).
        realtime(p).map_err(|e| io::Error::other(oom_guard::chain(&e)))?;
    }
    let mut samples = Vec::with_capacity(MAX_SAMPLES);
    let mut m = [0u8; 8];
    loop {
        r.read_exact(&mut m)?;
        let now = monotonic_ns();
        let sent = u64::from_ne_bytes(m);
        if sent == 0 {
            return Ok(samples);
        }
        if samples.len() < MAX_SAMPLES {
            samples.push(Sample {
                at_ns: sent,
                lat_ns: now.saturating_sub(sent),
            });
        }
    }
}

/// Writes the samples as `lat_ns=N,... at_us=N,...` lines of up to 100 samples.
fn write_log(path: &str, samples: &[Sample]) -> io::Result<()> {
    let mut out = BufWriter::new(File::create(path)?);
    write_lists(
        &mut out,
        samples,
        &[("lat_ns", |s| s.lat_ns), ("at_us", |s| s.at_ns / 1000)],
    )?;
    out.flush()
}

/// The thread's result; a panic is an error.
fn joined<T>(h: thread::JoinHandle<io::Result<T>>) -> io::Result<T> {
    h.join()
        .unwrap_or_else(|_| Err(io::Error::other("a thread panicked")))
}

fn run(a: &Args) -> io::Result<usize> {
    let set = block_stop_signals();
    let (r, w) = pipe()?;
    let stop = Arc::new(AtomicBool::new(false));
    let (wcpu, rcpu) = a.cpus;
    let rt = a.rt_priority;
    let reading = thread::Builder::new()
        .name("wakefloor-read".into())
        .spawn(move || reader(r, rt, rcpu))?;
    let s = Arc::clone(&stop);
    let gap = a.max_gap_ms;
    let writing = thread::Builder::new()
        .name("wakefloor-write".into())
        .spawn(move || writer(w, s, gap, wcpu))?;
    let mut sig = 0;
    // SAFETY: `set` is an initialised signal set, blocked in every thread; `sig` is writable.
    unsafe { libc::sigwait(&set, &mut sig) };
    stop.store(true, Ordering::Relaxed);
    // A thread that failed closed its end of the pipe, and the other one fails with EOF or
    // EPIPE: the first failure is the one to report.
    let wrote = joined(writing);
    let samples = joined(reading);
    let samples = match (wrote, samples) {
        (Ok(()), r) => r?,
        (Err(e), Err(r)) if e.kind() == io::ErrorKind::BrokenPipe => return Err(r),
        (Err(e), _) => return Err(e),
    };
    write_log(&a.log, &samples)?;
    Ok(samples.len())
}

fn main() -> ExitCode {
    let Some(a) = parse_args() else {
        return usage();
    };
    match run(&a) {
        Ok(n) => {
            eprintln!("wakefloor: {n} samples");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("wakefloor: {e}");
            ExitCode::FAILURE
        }
    }
}
