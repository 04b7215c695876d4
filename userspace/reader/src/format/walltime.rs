//! The wall-clock time of a record, for the `timestamp` field of JSON, logfmt and journald.
//!
//! Records carry `CLOCK_MONOTONIC` nanoseconds (`time_ns`). The wall-clock time is that plus
//! the offset `CLOCK_REALTIME − CLOCK_MONOTONIC` of this boot, so it is the time of the event,
//! not of its formatting, however long the record waited in a queue. The offset is measured at
//! most once a second and replaced only when it moved by more than a millisecond (the clock was
//! set, or the system resumed from suspend), so every format of one record shows the same time.
//! For a capture decoded on another boot the offset is this boot's, and the time is wrong.

use crate::sys;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Nanoseconds `CLOCK_REALTIME − CLOCK_MONOTONIC`; `i64::MIN` until first measured.
static OFFSET_NS: AtomicI64 = AtomicI64::new(i64::MIN);
/// `CLOCK_MONOTONIC` time of the last measurement, ns.
static MEASURED_NS: AtomicU64 = AtomicU64::new(0);
/// How often the offset is measured again.
const REMEASURE_NS: u64 = 1_000_000_000;
/// How far the offset must move to be replaced.
const STEP_NS: i64 = 1_000_000;

/// Measures the offset: `CLOCK_REALTIME` read between two `CLOCK_MONOTONIC` reads, against
/// their midpoint; of up to three tries, the one with the narrowest window (a thread preempted
/// between the reads would measure a wrong offset).
fn measure() -> Option<i64> {
    let mut best: Option<(u64, i64)> = None;
    for _ in 0..3 {
        let before = sys::monotonic_ns();
        let real = SystemTime::now().duration_since(UNIX_EPOCH).ok()?;
        let after = sys::monotonic_ns();
        let window = after.saturating_sub(before);
        let mid = i64::try_from(before.saturating_add(window / 2)).ok()?;
        let offset = i64::try_from(real.as_nanos()).ok()?.checked_sub(mid)?;
        if best.is_none_or(|(w, _)| window < w) {
            best = Some((window, offset));
        }
        if window < 20_000 {
            break;
        }
    }
    best.map(|(_, offset)| offset)
}

/// The offset now: the cached one, measured again when due.
fn offset_ns() -> Option<i64> {
    let mono = sys::monotonic_ns();
    let cached = OFFSET_NS.load(Ordering::Relaxed);
    let due = mono.saturating_sub(MEASURED_NS.load(Ordering::Relaxed)) >= REMEASURE_NS;
    if cached != i64::MIN && !due {
        return Some(cached);
    }
    let fresh = measure()?;
    MEASURED_NS.store(mono, Ordering::Relaxed);
    if cached == i64::MIN || fresh.abs_diff(cached) > STEP_NS.unsigned_abs() {
        OFFSET_NS.store(fresh, Ordering::Relaxed);
        return Some(fresh);
    }
    Some(cached)
}

/// The wall-clock time of a `CLOCK_MONOTONIC` time, as RFC 3339 in UTC with microseconds
/// (`2026-11-30T14:52:01.123456Z`); `None` if the clock is before 1970.
pub fn wall_clock(time_ns: u64) -> Option<String> {
    let unix_ns = i64::try_from(time_ns).ok()?.checked_add(offset_ns()?)?;
    Some(rfc3339_us(u64::try_from(unix_ns).ok()? / 1000))
}

/// Microseconds since the Unix epoch as RFC 3339 in UTC: `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
pub fn rfc3339_us(unix_us: u64) -> String {
    let secs = unix_us / 1_000_000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:06}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        unix_us % 1_000_000
    )
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`, for days on or after the epoch).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_dates() {
        assert_eq!(rfc3339_us(0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(
            rfc3339_us(951_782_400_000_001),
            "2000-02-29T00:00:00.000001Z"
        );
        assert_eq!(
            rfc3339_us(1_700_000_000_123_456),
            "2023-11-14T22:13:20.123456Z"
        );
        assert_eq!(
            rfc3339_us(4_107_542_399_999_999),
            "2100-02-28T23:59:59.999999Z"
        );
        assert_eq!(
            rfc3339_us(4_107_542_400_000_000),
            "2100-03-01T00:00:00.000000Z"
        );
    }

    #[test]
    fn the_same_record_gets_the_same_time() {
        let t = sys::monotonic_ns();
        let a = wall_clock(t);
        assert!(a.is_some());
        assert_eq!(a, wall_clock(t));
        assert_eq!(wall_clock(u64::MAX), None);
    }
}
