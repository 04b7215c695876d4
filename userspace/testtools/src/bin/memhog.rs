//! memhog: allocates and touches anonymous memory at a chosen rate, to put a
//! guest under real memory pressure.
//!
//! usage: memhog SIZE [RATE_PER_SEC] [HOLD_SECONDS]
//!   SIZE          total to allocate, e.g. 64M (suffixes K, M, G)
//!   RATE_PER_SEC  allocation rate, e.g. 50M; 0 or absent = as fast as possible
//!   HOLD_SECONDS  seconds to keep the memory before exiting (default 0)
//!
//! Prints one `memhog: done <KiB> KiB in <ms> ms` line on success; exit code 0
//! on success, 2 on bad arguments.

use oom_guard_testtools::{pace, parse_size, KIB, MIB};
use std::process::ExitCode;
use std::time::{Duration, Instant};

const PAGE: usize = 4096;
const CHUNK: usize = MIB as usize;

fn usage() -> ExitCode {
    eprintln!(
        "usage: memhog SIZE [RATE_PER_SEC] [HOLD_SECONDS]   (sizes like 64M; rate 0 = unlimited)"
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() || args.len() > 3 || args[0] == "-h" || args[0] == "--help" {
        return usage();
    }
    let parsed = (|| -> Result<(u64, u64, u64), String> {
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
        Ok((size, rate, hold))
    })();
    let (size, rate, hold) = match parsed {
        Ok(v) => v,
        Err(e) => {
            eprintln!("memhog: {e}");
            return usage();
        }
    };

    let start = Instant::now();
    let mut chunks: Vec<Vec<u8>> = Vec::new();
    let mut done: u64 = 0;
    while done < size {
        let want = usize::try_from((size - done).min(CHUNK as u64)).unwrap_or(CHUNK);
        // Fresh zeroed pages from mmap are not committed until written:
        // touch every page, with volatile writes the optimiser cannot drop.
        let mut chunk = vec![0u8; want];
        for byte in chunk.iter_mut().step_by(PAGE) {
            // SAFETY: `byte` is a valid, exclusive reference into `chunk`.
            unsafe { std::ptr::write_volatile(byte, 0xa5) };
        }
        chunks.push(chunk);
        done += want as u64;
        let wait = pace(done, rate, start.elapsed());
        if !wait.is_zero() {
            std::thread::sleep(wait);
        }
    }
    println!(
        "memhog: done {} KiB in {} ms",
        done / KIB,
        start.elapsed().as_millis()
    );
    std::thread::sleep(Duration::from_secs(hold));
    drop(chunks);
    ExitCode::SUCCESS
}
