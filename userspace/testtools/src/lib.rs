//! Pure logic shared by the guest test helpers: size parsing and allocation
//! pacing. Kept free of I/O so it is unit-tested on the host.

use std::fmt;
use std::time::Duration;

/// Bytes in one KiB, MiB and GiB.
pub const KIB: u64 = 1024;
/// Bytes in one MiB.
pub const MIB: u64 = 1024 * KIB;
/// Bytes in one GiB.
pub const GIB: u64 = 1024 * MIB;

/// An error from parsing a size such as `64M`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SizeError {
    input: String,
    reason: &'static str,
}

impl fmt::Display for SizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid size '{}': {} (expected a number with an optional K, M or G suffix, e.g. 64M)",
            self.input, self.reason
        )
    }
}

impl std::error::Error for SizeError {}

/// Parses a byte count: a decimal number with an optional binary suffix
/// (`K`/`KiB`, `M`/`MiB`, `G`/`GiB`, case-insensitive). A bare number is bytes.
pub fn parse_size(input: &str) -> Result<u64, SizeError> {
    let err = |reason| SizeError {
        input: input.to_string(),
        reason,
    };
    let s = input.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, suffix) = s.split_at(split);
    if digits.is_empty() {
        return Err(err("no number"));
    }
    let n: u64 = digits.parse().map_err(|_| err("number too large"))?;
    let unit = match suffix.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" | "kb" => KIB,
        "m" | "mib" | "mb" => MIB,
        "g" | "gib" | "gb" => GIB,
        _ => return Err(err("unknown suffix")),
    };
    n.checked_mul(unit).ok_or_else(|| err("too large"))
}

/// Paces an allocation so that `bytes_done` bytes take `bytes_done / rate`.
///
/// Returns how long to sleep before allocating more, given the time elapsed
/// since the start. A rate of zero means "as fast as possible".
pub fn pace(bytes_done: u64, rate_bytes_per_sec: u64, elapsed: Duration) -> Duration {
    if rate_bytes_per_sec == 0 {
        return Duration::ZERO;
    }
    // Nanoseconds at which `bytes_done` is due, computed in u128 so no input
    // can overflow.
    let due_ns = u128::from(bytes_done) * 1_000_000_000 / u128::from(rate_bytes_per_sec);
    let elapsed_ns = elapsed.as_nanos();
    if due_ns <= elapsed_ns {
        Duration::ZERO
    } else {
        let wait = due_ns - elapsed_ns;
        Duration::from_nanos(u64::try_from(wait).unwrap_or(u64::MAX))
    }
}

/// When the next chunk of `chunk_bytes` may be allocated at `rate_bytes_per_sec`, given when
/// the previous one was due and the time now (both in ns since the start).
///
/// Unlike [`pace`], a hog that fell behind (for example stalled in reclaim) does not catch up
/// in a burst: the schedule restarts from now, so the rate is never exceeded. A rate of zero
/// means no waiting.
pub fn next_due(
    prev_due_ns: u128,
    now_ns: u128,
    chunk_bytes: u64,
    rate_bytes_per_sec: u64,
) -> u128 {
    if rate_bytes_per_sec == 0 {
        return now_ns;
    }
    let step = u128::from(chunk_bytes) * 1_000_000_000 / u128::from(rate_bytes_per_sec);
    prev_due_ns.max(now_ns) + step
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("4k"), Ok(4 * KIB));
        assert_eq!(parse_size("64M"), Ok(64 * MIB));
        assert_eq!(parse_size("64MiB"), Ok(64 * MIB));
        assert_eq!(parse_size(" 2G "), Ok(2 * GIB));
    }

    #[test]
    fn bad_sizes() {
        assert!(parse_size("").is_err());
        assert!(parse_size("M").is_err());
        assert!(parse_size("12X").is_err());
        assert!(parse_size("-1").is_err());
        assert!(parse_size("99999999999999999999").is_err());
        assert!(parse_size("99999999999G").is_err());
        let msg = parse_size("12X").unwrap_err().to_string();
        assert!(msg.contains("'12X'"), "{msg}");
    }

    #[test]
    fn steady_pacing_never_bursts() {
        // 1 MiB chunks at 10 MiB/s: one every 100 ms.
        assert_eq!(next_due(0, 0, MIB, 10 * MIB), 100_000_000);
        // On schedule: the next is 100 ms after the previous due time.
        assert_eq!(
            next_due(100_000_000, 90_000_000, MIB, 10 * MIB),
            200_000_000
        );
        // Stalled for a second: the next is 100 ms from now, not immediately.
        assert_eq!(
            next_due(200_000_000, 1_200_000_000, MIB, 10 * MIB),
            1_300_000_000
        );
        assert_eq!(next_due(5, 7, MIB, 0), 7);
    }

    #[test]
    fn pacing() {
        // Unlimited rate never waits.
        assert_eq!(pace(GIB, 0, Duration::ZERO), Duration::ZERO);
        // 10 MiB at 100 MiB/s is due at 100 ms.
        assert_eq!(
            pace(10 * MIB, 100 * MIB, Duration::from_millis(40)),
            Duration::from_millis(60)
        );
        // Behind schedule: no wait.
        assert_eq!(
            pace(10 * MIB, 100 * MIB, Duration::from_millis(150)),
            Duration::ZERO
        );
        // Extreme inputs do not overflow.
        assert_eq!(
            pace(u64::MAX, 1, Duration::ZERO),
            Duration::from_nanos(u64::MAX)
        );
    }
}
