//! The reader of rust_oom_guard's `/dev/oom_guard`.
//!
//! A library first, with the `oom-guard` command-line tool a thin layer on top:
//!
//! - [`device`] opens the device (any path: tests use files and FIFOs), exposes its descriptor
//!   for `poll`/`epoll`, and wraps the ioctls;
//! - [`decode`] turns a byte stream into records with the shared ABI code
//!   (`oom_guard_core::abi`), handling records split across reads and forward compatibility;
//! - [`format`](mod@format) renders records as text, JSON Lines or logfmt, and gives their
//!   structured fields and syslog priorities (`format/`: names, priority, fields, text, json,
//!   logfmt);
//! - [`sink`] writes them to stdout, stderr, syslog, journald or kmsg;
//! - [`cgroup`] finds a `KILL` victim's cgroup path from its id under the cgroup v2 mount;
//! - [`enrich`] takes the `--enrich` snapshots of `/proc` attached to OOM, kill and `min` events;
//! - [`watch`] is the loop: reader thread and hooks ([`hooks`]); its `output` submodule holds
//!   the bounded queue and the sink thread;
//! - [`metrics`] writes the module's counters and a watch's counts in the Prometheus text
//!   format;
//! - [`report`] decodes captures offline and renders `stats`, `zones` and `config`;
//! - [`config`] parses and validates `KEY=VALUE` settings; [`survive`] sets `oom_score_adj`
//!   and locks memory.
//!
//! A private module serves the others: `sys` holds every raw `libc` call behind a safe wrapper
//! (the only `unsafe` code in the crate).
//!
//! Decoding a stream that arrives in pieces:
//!
//! ```
//! use oom_guard::decode::{Item, StreamDecoder};
//! use oom_guard::format::{self, Extra, Format, FormatOptions};
//! use oom_guard_core::abi::{self, Lost, Payload};
//!
//! let mut bytes = vec![0u8; abi::MAX_RECORD_SIZE];
//! let lost = Payload::Lost(Lost { count: 3, first_seq: 7 });
//! let n = abi::encode(7, 1_000, 0, &lost, &mut bytes).unwrap();
//! let mut dec = StreamDecoder::new();
//! let opts = FormatOptions { page_size: 4096 };
//! let mut lines = Vec::new();
//! for piece in bytes[..n].chunks(5) {
//!     dec.push(piece);
//!     while let Some(item) = dec.next_item().unwrap() {
//!         if let Item::Record(r) = item {
//!             lines.push(format::line(Format::Logfmt, &r, Extra::NONE, &opts));
//!         }
//!     }
//! }
//! // `timestamp` is the record's wall-clock time, from this boot's clocks.
//! let (mono, wall) = lines[0].split_once(" timestamp=").unwrap();
//! assert_eq!(mono, "seq=7 time_ns=1000");
//! assert!(wall.ends_with("Z type=lost abi=2.1 count=3 first_seq=7"));
//! ```
#![deny(unsafe_code)]
#![warn(
    missing_docs,
    unreachable_pub,
    rust_2018_idioms,
    clippy::undocumented_unsafe_blocks
)]
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod cgroup;
pub mod config;
pub mod decode;
pub mod device;
pub mod enrich;
pub mod format;
pub mod hooks;
pub mod metrics;
pub mod report;
pub mod sink;
pub mod survive;
#[expect(
    unsafe_code,
    reason = "the raw system calls, each behind a safe wrapper"
)]
mod sys;
pub mod watch;

/// A callback for warnings from the reader's threads (the CLI prints them to stderr).
pub type Warn = std::sync::Arc<dyn Fn(&str) + Send + Sync>;

/// An error with its chain of causes, `error: cause: cause`, as errors are printed (anyhow's
/// `{:#}`), so that a warning keeps what the system said (`Operation not permitted (os error
/// 1)`).
pub fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cause = c.source();
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn chain_keeps_every_cause() {
        let e = crate::survive::SurviveError::Mlock(std::io::Error::from_raw_os_error(libc::EPERM));
        let s = super::chain(&e);
        assert!(s.starts_with("mlockall("), "{s}");
        assert!(s.ends_with(": Operation not permitted (os error 1)"), "{s}");
    }
}

#[cfg(test)]
pub(crate) mod testutil {
    use crate::decode::Record;
    use oom_guard_core::abi::Payload;
    use std::path::{Path, PathBuf};
    use std::sync::atomic::{AtomicU64, Ordering};

    /// A temporary directory, removed on drop.
    pub(crate) struct TempDir(PathBuf);

    impl TempDir {
        pub(crate) fn new() -> Self {
            static N: AtomicU64 = AtomicU64::new(0);
            let p = std::env::temp_dir().join(format!(
                "oom-guard-test-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            std::fs::create_dir_all(&p).unwrap();
            Self(p)
        }

        pub(crate) fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// A record `seq` of this ABI version with `payload`.
    pub(crate) fn record(seq: u64, payload: Payload) -> Record {
        Record::new(seq, 5_000_000_000 + seq, payload)
    }
}
