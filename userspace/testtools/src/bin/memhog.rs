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
//! on success, 2 on bad arguments. With `MEMHOG_PROGRESS=FILE` it rewrites FILE with the KiB
//! committed so far after every chunk, so a test can tell how far a hog got before the OOM
//! killer stopped it. With `MEMHOG_PATTERN=1` it fills every byte with a pattern derived from
//! its offset and checks all of it before exiting (a memory test: exit 3 and the first bad
//! offset if any byte changed).

use oom_guard_testtools::{next_due, parse_size, KIB, MIB};
use std::process::ExitCode;
use std::time::{Duration, Instant};

const PAGE: usize = 4096;
const DEFAULT_CHUNK: u64 = MIB;

fn usage() -> ExitCode {
    eprintln!(
        "usage: memhog SIZE [RATE_PER_SEC] [HOLD_SECONDS] [CHUNK]   (sizes like 64M; rate 0 = unlimited; chunk default 1M)"
    );
    ExitCode::from(2)
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
    let mut chunks: Vec<Vec<u8>> = Vec::new();
    let mut done: u64 = 0;
    let mut due: u128 = 0;
    while done < size {
        let want = usize::try_from((size - done).min(chunk_size)).unwrap_or(PAGE);
        // Fresh zeroed pages from mmap are not committed until written:
        // touch every page, with volatile writes the optimiser cannot drop.
        let mut chunk = vec![0u8; want];
        if pattern {
            fill(&mut chunk, done);
        } else {
            for byte in chunk.iter_mut().step_by(PAGE) {
                // SAFETY: `byte` is a valid, exclusive reference into `chunk`.
                unsafe { std::ptr::write_volatile(byte, 0xa5) };
            }
        }
        chunks.push(chunk);
        done += want as u64;
        if let Some(f) = progress.as_mut() {
            use std::io::{Seek, Write};
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
        for chunk in &chunks {
            if let Some(bad) = check(chunk, offset) {
                println!("memhog: pattern mismatch at offset {bad:#x} of {done:#x}");
                return ExitCode::from(3);
            }
            offset += chunk.len() as u64;
        }
        println!("memhog: pattern intact over {} KiB", done / KIB);
    }
    drop(chunks);
    ExitCode::SUCCESS
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
