//! Staying alive under memory pressure: `oom_score_adj` and `mlockall()`.
//!
//! The reader is what reports an OOM, so it should not be the OOM killer's victim, and its
//! pages should not be reclaimed while memory is short. Both steps are best effort: the caller
//! reports a failure as a warning and carries on.
//!
//! Memory is locked as it is faulted in (`MCL_ONFAULT`, as earlyoom does), not all at once: a
//! locked static binary would keep all of its text resident, about 1 MiB of code that never
//! runs (help, parsing, other sinks). [`warm_up`] runs the event path once before the first
//! read, so the code and data an event needs are resident and locked before memory is short.

use crate::decode::{Item, StreamDecoder};
use crate::format::{self, Format, FormatOptions};
use crate::sys;
use oom_guard_core::abi::{self, Payload};
use std::io;
use std::path::{Path, PathBuf};

/// This process's OOM score adjustment.
pub const OOM_SCORE_ADJ: &str = "/proc/self/oom_score_adj";
/// `--oom-score-adj` default: never chosen by the OOM killer.
pub const DEFAULT_OOM_SCORE_ADJ: i32 = -1000;

/// A survival step that did not work.
#[derive(Debug, thiserror::Error)]
pub enum SurviveError {
    /// Writing `oom_score_adj` failed.
    #[error("cannot set oom_score_adj to {value} ({}){}", .path.display(), adj_hint(*.value, .source))]
    OomScoreAdj {
        /// The file written.
        path: PathBuf,
        /// The value.
        value: i32,
        /// The error.
        #[source]
        source: io::Error,
    },
    /// `sched_setscheduler()` failed.
    #[error("cannot run the reading thread under SCHED_FIFO priority {priority}{}", rt_hint(.source))]
    Realtime {
        /// The priority asked for.
        priority: i32,
        /// The error.
        #[source]
        source: io::Error,
    },
    /// `mlockall()` failed.
    #[error("mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) failed{}", lock_hint(.0))]
    Mlock(#[source] io::Error),
}

fn adj_hint(value: i32, e: &io::Error) -> &'static str {
    match e.raw_os_error() {
        Some(libc::EACCES | libc::EPERM) if value < 0 => {
            "; lowering it needs CAP_SYS_RESOURCE (root, unless a container drops it)"
        }
        _ => "",
    }
}

fn rt_hint(e: &io::Error) -> &'static str {
    match e.raw_os_error() {
        Some(libc::EPERM) => "; it needs CAP_SYS_NICE or an RLIMIT_RTPRIO (run as root)",
        _ => "",
    }
}

fn lock_hint(e: &io::Error) -> &'static str {
    match e.raw_os_error() {
        Some(libc::EPERM | libc::ENOMEM | libc::EAGAIN) => {
            "; it needs CAP_IPC_LOCK or a RLIMIT_MEMLOCK as large as the process (run as root)"
        }
        _ => "",
    }
}

/// Writes `value` to the `oom_score_adj` file at `path`.
pub fn set_oom_score_adj(path: &Path, value: i32) -> Result<(), SurviveError> {
    std::fs::write(path, format!("{value}\n")).map_err(|source| SurviveError::OomScoreAdj {
        path: path.to_path_buf(),
        value,
        source,
    })
}

/// Locks every current and future page of the process in memory as it is faulted in; on a
/// kernel without `MCL_ONFAULT` (before 4.4), every page at once.
pub fn lock_memory() -> Result<(), SurviveError> {
    match sys::mlockall(libc::MCL_CURRENT | libc::MCL_FUTURE | libc::MCL_ONFAULT) {
        Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {
            sys::mlockall(libc::MCL_CURRENT | libc::MCL_FUTURE)
        }
        r => r,
    }
    .map_err(SurviveError::Mlock)
}

/// Puts the calling thread under `SCHED_FIFO` at `priority` (1 to 99): a wake-up then
/// preempts normal tasks at once rather than at their next tick.
pub fn realtime(priority: i32) -> Result<(), SurviveError> {
    sys::sched_fifo(priority).map_err(|source| SurviveError::Realtime { priority, source })
}

/// Decodes and formats one record of every type in `format`, so that the code and data the
/// event path needs are faulted in (and, after [`lock_memory`], locked) before the first event.
/// Returns how many records it formatted (one per known type).
pub fn warm_up(format: Format, opts: &FormatOptions) -> usize {
    let payloads = [
        Payload::Pressure(abi::Pressure::default()),
        Payload::Oom(abi::Oom::default()),
        Payload::Pool(abi::Pool::default()),
        Payload::Kill(abi::Kill::default()),
        Payload::Lost(abi::Lost::default()),
        Payload::Headroom(abi::Headroom::default()),
        Payload::Reclaim(abi::Reclaim::default()),
    ];
    let mut buf = [0u8; abi::MAX_RECORD_SIZE];
    let mut dec = StreamDecoder::new();
    for p in &payloads {
        if let Ok(n) = abi::encode(0, 0, 0, p, &mut buf) {
            dec.push(buf.get(..n).unwrap_or_default());
        }
    }
    let mut n = 0;
    while let Ok(Some(item)) = dec.next_item() {
        if let Item::Record(rec) = item {
            std::hint::black_box(format::line(format, &rec, format::Extra::NONE, opts));
            std::hint::black_box(format::priority(&rec));
            n += 1;
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::TempDir;

    #[test]
    fn warm_up_formats_every_type_in_every_format() {
        for f in [Format::Text, Format::Json, Format::Logfmt] {
            assert_eq!(warm_up(f, &FormatOptions { page_size: 4096 }), 7, "{f:?}");
        }
    }

    #[test]
    fn realtime_sets_sched_fifo_on_the_calling_thread_only() {
        // Capability 23 is CAP_SYS_NICE.
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let caps = status
            .lines()
            .find_map(|l| l.strip_prefix("CapEff:"))
            .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
            .unwrap_or(0);
        if caps & (1 << 23) == 0 {
            println!("SKIP: no CAP_SYS_NICE");
            return;
        }
        let got = std::thread::spawn(|| {
            realtime(3).unwrap();
            sys::sched_get().unwrap()
        })
        .join()
        .unwrap();
        assert_eq!(got, (libc::SCHED_FIFO, 3));
        assert_eq!(sys::sched_get().unwrap(), (libc::SCHED_OTHER, 0));
    }

    #[test]
    fn writes_the_value() {
        let dir = TempDir::new();
        let path = dir.path().join("oom_score_adj");
        std::fs::write(&path, "0\n").unwrap();
        set_oom_score_adj(&path, -1000).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "-1000\n");
    }

    #[test]
    fn failures_name_the_file_and_the_fix() {
        let dir = TempDir::new();
        let path = dir.path().join("missing/oom_score_adj");
        let e = set_oom_score_adj(&path, -1000).unwrap_err();
        assert!(e.to_string().contains("missing/oom_score_adj"), "{e}");
        let denied = SurviveError::OomScoreAdj {
            path: OOM_SCORE_ADJ.into(),
            value: -1000,
            source: io::Error::from_raw_os_error(libc::EACCES),
        };
        assert!(denied
            .to_string()
            .contains("lowering it needs CAP_SYS_RESOURCE"));
        let lock = SurviveError::Mlock(io::Error::from_raw_os_error(libc::EPERM));
        assert!(lock.to_string().contains("CAP_IPC_LOCK"));
    }
}
