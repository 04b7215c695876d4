//! memhog: allocates and touches anonymous memory at a chosen rate, to put a
//! guest under real memory pressure.
//!
//! usage: memhog SIZE [RATE_PER_SEC] [HOLD_SECONDS] [CHUNK]
//!   SIZE          total to allocate, e.g. 64M (suffixes K, M, G)
//!   RATE_PER_SEC  allocation rate, e.g. 50M; 0 or absent = as fast as possible
//!   HOLD_SECONDS  seconds to keep the memory before exiting (default 0)
//!   CHUNK         allocation step, a multiple of 4K (default 1M)
//!
//! Prints one `memhog: done <KiB> KiB in <ms> ms` line on success; exit code 0
//! on success, 2 on bad arguments. Environment:
//!
//! - `MEMHOG_PROGRESS=FILE`: rewrites FILE with the KiB committed so far after every chunk (one
//!   line, the number right-aligned in 20 columns), so a test can tell how far a hog got before
//!   the OOM killer stopped it.
//! - `MEMHOG_PROGRESS_LOG=FILE`: truncates FILE, then appends one line at the start and one
//!   after every chunk is touched: `time_ns=<CLOCK_MONOTONIC ns> kib=<KiB touched> mib=<whole
//!   MiB touched>`. The clock is the one of the module's `time_ns`, so a test can set events
//!   against how much the hog had allocated when. Each line is written with one `write()`, so a
//!   killed hog leaves whole lines.
//! - `MEMHOG_AVAIL=1` (with `MEMHOG_PROGRESS_LOG`): each log line also carries
//!   `avail_kib=<MemAvailable>`, read from `/proc/meminfo` right after the chunk was touched: the
//!   kernel's own count of available memory, which the module's headroom levels compare. Costs
//!   a read of `/proc/meminfo` per chunk, so the hog's fastest rate is lower with it.
//! - `MEMHOG_RATE=<MiB/s>` (decimals allowed, e.g. `8` or `0.5`; 0 or unset: as fast as
//!   possible): allocates and touches CHUNK-sized steps on a fixed `CLOCK_MONOTONIC` schedule,
//!   the step that reaches N bytes not before start + N / rate, sleeping (never spinning) in
//!   between. A delayed step does not shift the schedule, so the average rate stays right: the
//!   hog catches up, and is never ahead of it. Not together with RATE_PER_SEC, which instead
//!   restarts its schedule after a stall.
//! - `MEMHOG_MAX_LAG_MS=N` (with `MEMHOG_RATE`): the hog lags its schedule by at most N ms; after
//!   a longer stall the schedule slips, so the hog catches up at most N ms worth of steps in a
//!   burst instead of the whole stall (default 0: no bound).
//! - `MEMHOG_COMM=NAME`: sets the hog's task name (`prctl(PR_SET_NAME)`, at most 15 bytes, any
//!   bytes but NUL; `\n`, `\e` and `\\` in NAME stand for a newline, ESC and a backslash), as
//!   any user can: the OOM records then carry that name, so a test can check how every sink
//!   prints a hostile one.
//! - `MEMHOG_PATTERN=1`: fills every byte with a pattern derived from its offset and checks all
//!   of it before exiting (a memory test: exit 3 and the first bad offset if any byte changed).

use oom_guard_testtools::{
    due_at, mem_available_kib, monotonic_ns, next_due, parse_rate_mib, parse_size, progress_line,
    slip_start, KIB, MIB,
};
use std::io::Write;
use std::process::ExitCode;
use std::time::{Duration, Instant};

const PAGE: usize = 4096;
const DEFAULT_CHUNK: u64 = MIB;

fn usage() -> ExitCode {
    eprintln!(
        "usage: memhog SIZE [RATE_PER_SEC] [HOLD_SECONDS] [CHUNK]   (sizes like 64M; rate 0 = unlimited; chunk default 1M)\n\
         environment: MEMHOG_RATE=<MiB/s> MEMHOG_MAX_LAG_MS=N MEMHOG_PROGRESS=FILE MEMHOG_PROGRESS_LOG=FILE MEMHOG_AVAIL=1 MEMHOG_PATTERN=1"
    );
    ExitCode::from(2)
}

/// Sleeps until `CLOCK_MONOTONIC` reaches `deadline_ns` (at once if it has).
fn sleep_until(deadline_ns: u64) {
    let (Ok(tv_sec), Ok(tv_nsec)) = (
        (deadline_ns / 1_000_000_000).try_into(),
        (deadline_ns % 1_000_000_000).try_into(),
    ) else {
        // A deadline beyond a 32-bit `time_t`: sleep relative to now instead.
        std::thread::sleep(Duration::from_nanos(
            deadline_ns.saturating_sub(monotonic_ns()),
        ));
        return;
    };
    let ts = libc::timespec { tv_sec, tv_nsec };
    loop {
        // SAFETY: `ts` is a valid `timespec`; with TIMER_ABSTIME the remainder is not used.
        let r = unsafe {
            libc::clock_nanosleep(
                libc::CLOCK_MONOTONIC,
                libc::TIMER_ABSTIME,
                &ts,
                std::ptr::null_mut(),
            )
        };
        if r != libc::EINTR {
            return;
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() || args.len() > 4 || args[0] == "-h" || args[0] == "--help" {
        return usage();
    }
    let parsed = (|| -> Result<(u64, u64, u64, u64), String> {
        let size = parse_size(&args[0]).map_err(|e| e.to_string())?;
        let rate = match args.get(1) {
            Some(r) => parse_size(r).map_err(|e| e.to_string())?,
            None => 0,
        };
        let hold = match args.get(2) {
            Some(h) => h
                .parse::<u64>()
                .map_err(|_| format!("invalid HOLD_SECONDS '{h}': expected whole seconds"))?,
            None => 0,
        };
        let chunk = match args.get(3) {
            Some(c) => parse_size(c).map_err(|e| e.to_string())?,
            None => DEFAULT_CHUNK,
        };
        if chunk == 0 || chunk % PAGE as u64 != 0 {
            return Err(format!(
                "invalid CHUNK '{}': must be a non-zero multiple of 4K",
                args[3]
            ));
        }
        Ok((size, rate, hold, chunk))
    })();
    let (size, rate, hold, chunk_size) = match parsed {
        Ok(v) => v,
        Err(e) => {
            eprintln!("memhog: {e}");
            return usage();
        }
    };
    if let Some(name) = std::env::var_os("MEMHOG_COMM") {
        if let Err(e) = set_comm(&unescape(name.as_encoded_bytes())) {
            eprintln!("memhog: MEMHOG_COMM: {e}");
            return ExitCode::from(2);
        }
    }
    // A fixed-schedule rate from the environment.
    let fixed_rate = match std::env::var("MEMHOG_RATE") {
        Err(_) => 0,
        Ok(r) => match parse_rate_mib(&r) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("memhog: MEMHOG_RATE: {e}");
                return usage();
            }
        },
    };
    let max_lag_ns = match std::env::var("MEMHOG_MAX_LAG_MS") {
        Err(_) => 0,
        Ok(ms) => match ms.parse::<u64>() {
            Ok(ms) => ms.saturating_mul(1_000_000),
            Err(e) => {
                eprintln!("memhog: MEMHOG_MAX_LAG_MS: {e}");
                return usage();
            }
        },
    };
    if fixed_rate > 0 && rate > 0 {
        eprintln!("memhog: give the rate once: MEMHOG_RATE or RATE_PER_SEC");
        return usage();
    }
    let mut log = match std::env::var_os("MEMHOG_PROGRESS_LOG") {
        None => None,
        Some(p) => match std::fs::File::create(&p) {
            Ok(f) => Some(f),
            Err(e) => {
                eprintln!("memhog: MEMHOG_PROGRESS_LOG {}: {e}", p.to_string_lossy());
                return ExitCode::from(1);
            }
        },
    };

    let mut progress = std::env::var_os("MEMHOG_PROGRESS").and_then(|p| {
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(p)
            .ok()
    });
    let pattern = std::env::var_os("MEMHOG_PATTERN").is_some_and(|v| v == "1");
    let start = Instant::now();
    let mut start_ns = monotonic_ns();
    let mut meminfo = std::env::var_os("MEMHOG_AVAIL")
        .is_some_and(|v| v == "1")
        .then(|| std::fs::File::open("/proc/meminfo").ok())
        .flatten();
    let mut text = String::with_capacity(4096);
    let mut log_line = |done: u64| {
        if let Some(f) = log.as_mut() {
            // One write per line: a hog killed in between leaves whole lines.
            let mut line = progress_line(monotonic_ns(), done);
            if let Some(m) = meminfo.as_mut() {
                use std::io::{Read, Seek};
                text.clear();
                let avail = m
                    .seek(std::io::SeekFrom::Start(0))
                    .and_then(|_| m.read_to_string(&mut text))
                    .ok()
                    .and_then(|_| mem_available_kib(&text));
                if let Some(a) = avail {
                    line += &format!(" avail_kib={a}");
                }
            }
            line += "\n";
            let _ = f.write_all(line.as_bytes());
        }
    };
    log_line(0);
    let mut chunks: Vec<Region> = Vec::new();
    let mut done: u64 = 0;
    let mut due: u128 = 0;
    while done < size {
        let want = usize::try_from((size - done).min(chunk_size)).unwrap_or(PAGE);
        if fixed_rate > 0 {
            // Not before the schedule says this chunk's last byte is due.
            let due = due_at(start_ns, done + want as u64, fixed_rate);
            start_ns = slip_start(start_ns, due, monotonic_ns(), max_lag_ns);
            sleep_until(due_at(start_ns, done + want as u64, fixed_rate));
        }
        // Fresh zeroed pages from mmap are not committed until written:
        // touch every page, with volatile writes the optimiser cannot drop.
        let Some(mut chunk) = Region::new(want) else {
            eprintln!("memhog: mmap of {want} bytes failed after {done} bytes");
            return ExitCode::from(1);
        };
        if pattern {
            fill(chunk.bytes(), done);
        } else {
            for byte in chunk.bytes().iter_mut().step_by(PAGE) {
                // SAFETY: `byte` is a valid, exclusive reference into `chunk`.
                unsafe { std::ptr::write_volatile(byte, 0xa5) };
            }
        }
        chunks.push(chunk);
        done += want as u64;
        log_line(done);
        if let Some(f) = progress.as_mut() {
            use std::io::Seek;
            // Fixed width, so a rewrite never leaves a longer old number behind.
            let _ = f.seek(std::io::SeekFrom::Start(0));
            let _ = writeln!(f, "{:>20}", done / KIB);
        }
        // Steady pacing: after a stall the hog does not burst to catch up.
        due = next_due(due, start.elapsed().as_nanos(), want as u64, rate);
        let now = start.elapsed().as_nanos();
        if due > now {
            let wait = u64::try_from(due - now).unwrap_or(u64::MAX);
            std::thread::sleep(Duration::from_nanos(wait));
        }
    }
    println!(
        "memhog: done {} KiB in {} ms",
        done / KIB,
        start.elapsed().as_millis()
    );
    std::thread::sleep(Duration::from_secs(hold));
    if pattern {
        let mut offset = 0;
        for chunk in &mut chunks {
            if let Some(bad) = check(chunk.bytes(), offset) {
                println!("memhog: pattern mismatch at offset {bad:#x} of {done:#x}");
                return ExitCode::from(3);
            }
            offset += chunk.bytes().len() as u64;
        }
        println!("memhog: pattern intact over {} KiB", done / KIB);
    }
    drop(chunks);
    ExitCode::SUCCESS
}

/// A private anonymous mapping of its own, so the hog's resident memory is exactly the pages it
/// touched: a `malloc`ed chunk is not page-aligned and shares pages with the allocator's
/// bookkeeping, which made the hog hold about 13 % more than it counted (two pages per 64 KiB).
///
/// # Invariants
///
/// `ptr` is the start of a live mapping of `len` bytes, readable and writable, owned by this
/// value alone.
struct Region {
    ptr: *mut u8,
    len: usize,
}

impl Region {
    /// Maps `len` bytes (rounded up to whole pages by the kernel); `None` if mmap fails.
    fn new(len: usize) -> Option<Self> {
        // SAFETY: An anonymous private mapping at an address of the kernel's choosing touches
        // no existing memory.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len.max(1),
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return None;
        }
        // INVARIANT: mmap returned a fresh read-write mapping of at least `len` bytes.
        Some(Self {
            ptr: ptr.cast(),
            len,
        })
    }

    /// The mapping's bytes.
    fn bytes(&mut self) -> &mut [u8] {
        // SAFETY: By the invariant `ptr..ptr + len` is mapped read-write and owned by `self`,
        // which the `&mut` borrow keeps exclusive.
        unsafe { std::slice::from_raw_parts_mut(self.ptr, self.len) }
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        // SAFETY: By the invariant the mapping is live and nothing else refers to it.
        unsafe { libc::munmap(self.ptr.cast(), self.len.max(1)) };
    }
}

/// The pattern word at byte offset `offset`: the offset mixed so that every page differs and a
/// page showing up at the wrong place, or zeroed, is caught.
fn word(offset: u64) -> u64 {
    (offset ^ 0x5a5a_5a5a_5a5a_5a5a).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

/// Fills `chunk`, which starts at `base` bytes into the hog's memory, with the pattern.
fn fill(chunk: &mut [u8], base: u64) {
    for (i, w) in chunk.chunks_exact_mut(8).enumerate() {
        w.copy_from_slice(&word(base + 8 * i as u64).to_ne_bytes());
    }
}

/// The offset of the first word of `chunk` that lost its pattern.
fn check(chunk: &[u8], base: u64) -> Option<u64> {
    chunk.chunks_exact(8).enumerate().find_map(|(i, w)| {
        let at = base + 8 * i as u64;
        (w != word(at).to_ne_bytes()).then_some(at)
    })
}

/// `\n`, `\e` and `\\` in `s` as a newline, ESC and a backslash; other bytes as they are.
fn unescape(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut it = s.iter().copied();
    while let Some(b) = it.next() {
        if b != b'\\' {
            out.push(b);
            continue;
        }
        match it.next() {
            Some(b'n') => out.push(b'\n'),
            Some(b'e') => out.push(0x1b),
            Some(other) => out.push(other),
            None => out.push(b'\\'),
        }
    }
    out
}

/// Sets this task's name (`prctl(PR_SET_NAME)`), cut to the kernel's 15 bytes.
fn set_comm(name: &[u8]) -> Result<(), String> {
    if name.contains(&0) {
        return Err("a task name cannot hold a NUL".into());
    }
    let mut buf = [0u8; 16];
    for (b, n) in buf.iter_mut().zip(name.iter().take(15)) {
        *b = *n;
    }
    // SAFETY: `buf` is a NUL-terminated 16-byte buffer that lives through the call; PR_SET_NAME
    // reads at most 16 bytes from it.
    let rc = unsafe { libc::prctl(libc::PR_SET_NAME, buf.as_ptr() as libc::c_ulong, 0, 0, 0) };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error().to_string())
    }
}

#[cfg(test)]
mod comm_tests {
    use super::*;

    #[test]
    fn escapes_in_the_name() {
        assert_eq!(
            unescape(br#"a"b\\c=d\n[ 1.0] x\e"#),
            b"a\"b\\c=d\n[ 1.0] x\x1b"
        );
        assert_eq!(unescape(b"plain"), b"plain");
        assert_eq!(unescape(b"end\\"), b"end\\");
    }
}
