//! Pure logic shared by the guest test helpers: size and rate parsing, allocation pacing and
//! memhog's progress lines. Kept free of I/O so it is unit-tested on the host.

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

/// An error from parsing a rate such as `0.5` (MiB/s).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateError {
    input: String,
    reason: &'static str,
}

impl fmt::Display for RateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid rate '{}': {} (expected MiB/s as a decimal number, e.g. 8 or 0.5)",
            self.input, self.reason
        )
    }
}

impl std::error::Error for RateError {}

/// Parses a rate in MiB/s such as `8`, `0.5` or `2.25` (at most 6 decimals) into bytes per
/// second, rounded down. `0` means "as fast as possible".
pub fn parse_rate_mib(input: &str) -> Result<u64, RateError> {
    let err = |reason| RateError {
        input: input.to_string(),
        reason,
    };
    let s = input.trim();
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty() && frac.is_empty() {
        return Err(err("no number"));
    }
    if !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err("not a decimal number"));
    }
    if frac.len() > 6 {
        return Err(err("more than 6 decimals"));
    }
    let whole: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| err("number too large"))?
    };
    // The fraction in millionths.
    let micro: u64 = format!("{frac:0<6}")
        .parse()
        .map_err(|_| err("not a decimal number"))?;
    let bytes = whole
        .checked_mul(MIB)
        .and_then(|b| b.checked_add(micro * MIB / 1_000_000))
        .ok_or_else(|| err("too large"))?;
    Ok(bytes)
}

/// The `CLOCK_MONOTONIC` time in ns at which `bytes` are due when allocating at
/// `rate_bytes_per_sec` from `start_ns`: a fixed schedule, so the average rate stays right
/// after a delayed step (the hog catches up, never runs ahead). A rate of zero means now, i.e.
/// `start_ns`.
pub fn due_at(start_ns: u64, bytes: u64, rate_bytes_per_sec: u64) -> u64 {
    if rate_bytes_per_sec == 0 {
        return start_ns;
    }
    let offset = u128::from(bytes) * 1_000_000_000 / u128::from(rate_bytes_per_sec);
    u64::try_from(u128::from(start_ns) + offset).unwrap_or(u64::MAX)
}

/// One line of memhog's `MEMHOG_PROGRESS_LOG`: `time_ns=<CLOCK_MONOTONIC ns> kib=<KiB touched>
/// mib=<whole MiB touched>`.
pub fn progress_line(time_ns: u64, bytes: u64) -> String {
    format!("time_ns={time_ns} kib={} mib={}", bytes / KIB, bytes / MIB)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_in_mib_per_second() {
        assert_eq!(parse_rate_mib("0"), Ok(0));
        assert_eq!(parse_rate_mib("8"), Ok(8 * MIB));
        assert_eq!(parse_rate_mib(" 16 "), Ok(16 * MIB));
        assert_eq!(parse_rate_mib("0.5"), Ok(MIB / 2));
        assert_eq!(parse_rate_mib(".25"), Ok(MIB / 4));
        assert_eq!(parse_rate_mib("2."), Ok(2 * MIB));
        assert_eq!(parse_rate_mib("1.000001"), Ok(MIB + 1));
        for bad in [
            "",
            ".",
            "-1",
            "1e3",
            "8M",
            "1.2.3",
            "0.1234567",
            "99999999999999999",
        ] {
            assert!(parse_rate_mib(bad).is_err(), "{bad:?}");
        }
        assert!(parse_rate_mib("x").unwrap_err().to_string().contains("'x'"));
    }

    #[test]
    fn a_fixed_schedule_catches_up_after_a_delay() {
        // 1 MiB steps at 8 MiB/s: one every 125 ms from the start.
        let start = 5_000_000_000;
        assert_eq!(due_at(start, 0, 8 * MIB), start);
        assert_eq!(due_at(start, MIB, 8 * MIB), start + 125_000_000);
        assert_eq!(due_at(start, 8 * MIB, 8 * MIB), start + 1_000_000_000);
        // The schedule does not move when a step is late: 3 MiB are due at 375 ms whatever
        // happened before, so a late hog catches up and the average stays 8 MiB/s.
        assert_eq!(due_at(start, 3 * MIB, 8 * MIB), start + 375_000_000);
        // 0.5 MiB/s: 2 s per MiB.
        assert_eq!(due_at(0, MIB, MIB / 2), 2_000_000_000);
        assert_eq!(due_at(7, GIB, 0), 7, "no limit");
        assert_eq!(due_at(u64::MAX - 1, GIB, 1), u64::MAX, "saturates");
    }

    #[test]
    fn progress_lines() {
        assert_eq!(
            progress_line(123_456_789, 3 * MIB + 512 * KIB),
            "time_ns=123456789 kib=3584 mib=3"
        );
        assert_eq!(progress_line(0, 0), "time_ns=0 kib=0 mib=0");
    }

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
