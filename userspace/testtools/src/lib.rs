//! Pure logic shared by the guest test helpers: size and rate parsing, allocation pacing,
//! memhog's progress lines, PSI trigger parsing (psiwatch) and line timestamping (tsline). Kept
//! free of I/O, apart from reading the clock and generic readers and writers, so it is
//! unit-tested on the host.

use oom_guard_core::{abi, params};
use std::fmt;
use std::time::Duration;

/// Every word of `struct oom_guard_config` as `(name, value)`, in struct order: the tunables of
/// `params::TUNABLES` that live in the configuration (the table is in struct order), with the
/// two reserved words where they sit.
pub fn config_words(c: &abi::Config) -> Vec<(&'static str, u32)> {
    let mut out: Vec<(&'static str, u32)> = params::config_tunables()
        .map(|(s, f)| (s.name, (f.get)(c)))
        .collect();
    let at = std::mem::offset_of!(abi::Config, reserved) / 4;
    out.insert(at.min(out.len()), ("reserved", c.reserved));
    out.push(("reserved2", c.reserved2));
    out
}

/// Sets the word of `c` named `key` (a tunable of the configuration or a reserved word, as
/// [`config_words`] names them); `None` for another name.
pub fn set_config_word(c: &mut abi::Config, key: &str, value: u32) -> Option<()> {
    match key {
        "reserved" => c.reserved = value,
        "reserved2" => c.reserved2 = value,
        _ => (params::Spec::by_name(key)?.field?.set)(c, value),
    }
    Some(())
}

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

/// The start of a fixed schedule ([`due_at`]) that lets the hog lag behind it by at most
/// `max_lag_ns`: when a step due at `due_ns` starts at `now_ns`, later than that, the schedule
/// slips by the excess, so the hog catches up only `max_lag_ns` worth of steps in a burst after a
/// stall. Short overshoots of its sleeps are still made up (the average rate stays right); a
/// long stall is not turned into a burst at many times the rate. `max_lag_ns` 0: no bound.
pub fn slip_start(start_ns: u64, due_ns: u64, now_ns: u64, max_lag_ns: u64) -> u64 {
    let lag = now_ns.saturating_sub(due_ns);
    if max_lag_ns == 0 || lag <= max_lag_ns {
        return start_ns;
    }
    start_ns.saturating_add(lag - max_lag_ns)
}

/// One line of memhog's `MEMHOG_PROGRESS_LOG`: `time_ns=<CLOCK_MONOTONIC ns> kib=<KiB touched>
/// mib=<whole MiB touched>`.
pub fn progress_line(time_ns: u64, bytes: u64) -> String {
    format!("time_ns={time_ns} kib={} mib={}", bytes / KIB, bytes / MIB)
}

/// The `MemAvailable:` value of a `/proc/meminfo` text, in KiB.
pub fn mem_available_kib(meminfo: &str) -> Option<u64> {
    meminfo.lines().find_map(|l| {
        l.strip_prefix("MemAvailable:")?
            .trim()
            .strip_suffix("kB")?
            .trim()
            .parse()
            .ok()
    })
}

#[cfg(test)]
mod tests;

/// `CLOCK_MONOTONIC` now, in ns: the clock of the module's record timestamps (`ktime_get`).
pub fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable `timespec`; CLOCK_MONOTONIC always exists.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    let secs = u64::try_from(ts.tv_sec).unwrap_or(0);
    let nanos = u64::try_from(ts.tv_nsec).unwrap_or(0);
    secs.saturating_mul(1_000_000_000).saturating_add(nanos)
}

/// The largest PSI trigger window the kernel accepts, in µs (`WINDOW_MAX_US` in
/// `kernel/sched/psi.c`).
pub const PSI_WINDOW_MAX_US: u32 = 10_000_000;

/// Which PSI line a trigger watches: `some` (at least one task stalled) or `full` (all
/// non-idle tasks stalled at once).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PsiKind {
    /// Some tasks stalled.
    Some,
    /// All non-idle tasks stalled.
    Full,
}

/// A PSI trigger as written to a `/proc/pressure/*` file: fire when the tasks were stalled
/// for `stall_us` µs within any `window_us` µs window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PsiTrigger {
    /// `some` or `full`.
    pub kind: PsiKind,
    /// Stall threshold in µs, `1..=window_us`.
    pub stall_us: u32,
    /// Window in µs, `1..=PSI_WINDOW_MAX_US`.
    pub window_us: u32,
}

/// An error from parsing a PSI trigger such as `some 150000 1000000`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriggerError {
    input: String,
    reason: &'static str,
}

impl fmt::Display for TriggerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid PSI trigger '{}': {} (expected 'some|full STALL_US WINDOW_US', \
             0 < STALL_US <= WINDOW_US <= {PSI_WINDOW_MAX_US}, e.g. 'some 150000 1000000')",
            self.input, self.reason
        )
    }
}

impl std::error::Error for TriggerError {}

impl PsiTrigger {
    /// Parses `some|full STALL_US WINDOW_US` (whitespace-separated) and checks it the way
    /// `psi_trigger_create()` does, so a bad trigger is reported before the kernel says
    /// only `EINVAL`. (Unprivileged writers are further limited to whole 2 s windows; psiwatch
    /// runs as root.)
    pub fn parse(input: &str) -> Result<Self, TriggerError> {
        let err = |reason| TriggerError {
            input: input.to_string(),
            reason,
        };
        let words: Vec<&str> = input.split_whitespace().collect();
        let [kind, stall, window] = words.as_slice() else {
            return Err(err("not three words"));
        };
        let kind = match *kind {
            "some" => PsiKind::Some,
            "full" => PsiKind::Full,
            _ => return Err(err("the first word is neither 'some' nor 'full'")),
        };
        let number = |w: &str| -> Result<u32, TriggerError> {
            if w.is_empty() || !w.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err("not a number of µs"));
            }
            w.parse().map_err(|_| err("number too large"))
        };
        let stall_us = number(stall)?;
        let window_us = number(window)?;
        if window_us == 0 || window_us > PSI_WINDOW_MAX_US {
            return Err(err("window out of range"));
        }
        if stall_us == 0 || stall_us > window_us {
            return Err(err("stall threshold out of range"));
        }
        Ok(Self {
            kind,
            stall_us,
            window_us,
        })
    }

    /// The bytes to write to the pressure file: the trigger text with its terminating NUL,
    /// as `Documentation/accounting/psi.rst` writes it.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut b = self.to_string().into_bytes();
        b.push(0);
        b
    }
}

impl fmt::Display for PsiTrigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            PsiKind::Some => "some",
            PsiKind::Full => "full",
        };
        write!(f, "{kind} {} {}", self.stall_us, self.window_us)
    }
}

/// One line of psiwatch's output: `time_ns=<CLOCK_MONOTONIC ns> trigger=<0-based index>`.
pub fn psi_event_line(time_ns: u64, trigger: usize) -> String {
    format!("time_ns={time_ns} trigger={trigger}")
}

/// Copies `input` to `out` line by line, each line prefixed with `time_ns=<now()> ` and
/// flushed on its own. The time is the one read by `now()` right after the `read()` that
/// returned the line's first byte (reads go through a 64 KiB buffer, so lines that arrived
/// together share a time). An incomplete last line is printed too, with a newline added.
/// Interrupted reads are retried; other errors are returned, their text prefixed with `read: `
/// or `write: ` (the kind is kept).
pub fn timestamp_lines<R, W, C>(mut input: R, mut out: W, mut now: C) -> std::io::Result<()>
where
    R: std::io::Read,
    W: std::io::Write,
    C: FnMut() -> u64,
{
    let mut buf = vec![0u8; 64 * 1024];
    // The line being collected and the time of its first byte.
    let mut line: Vec<u8> = Vec::new();
    let mut started: Option<u64> = None;
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(std::io::Error::new(e.kind(), format!("read: {e}"))),
        };
        let t = now();
        let mut rest = buf.get(..n).unwrap_or(&[]);
        while !rest.is_empty() {
            let at = started.get_or_insert(t);
            match rest.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    line.extend_from_slice(rest.get(..i).unwrap_or(&[]));
                    emit_line(&mut out, *at, &line)?;
                    line.clear();
                    started = None;
                    rest = rest.get(i + 1..).unwrap_or(&[]);
                }
                None => {
                    line.extend_from_slice(rest);
                    rest = &[];
                }
            }
        }
    }
    if let Some(at) = started {
        emit_line(&mut out, at, &line)?;
    }
    Ok(())
}

/// Writes one timestamped line with a single `write_all` and flushes it.
fn emit_line<W: std::io::Write>(out: &mut W, time_ns: u64, line: &[u8]) -> std::io::Result<()> {
    let mut whole = format!("time_ns={time_ns} ").into_bytes();
    whole.extend_from_slice(line);
    whole.push(b'\n');
    out.write_all(&whole)
        .and_then(|()| out.flush())
        .map_err(|e| std::io::Error::new(e.kind(), format!("write: {e}")))
}

#[cfg(test)]
mod peer_tests;
