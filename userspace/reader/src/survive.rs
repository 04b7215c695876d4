//! Staying alive under memory pressure: `oom_score_adj` and `mlockall()`.
//!
//! The reader is what reports an OOM, so it should not be the OOM killer's victim, and its
//! pages should not be reclaimed while memory is short. Both steps are best effort: the caller
//! reports a failure as a warning and carries on.

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
    /// `mlockall()` failed.
    #[error("mlockall(MCL_CURRENT | MCL_FUTURE) failed{}", lock_hint(.0))]
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

/// Locks every current and future page of the process in memory.
pub fn lock_memory() -> Result<(), SurviveError> {
    // SAFETY: `mlockall` takes only flags and changes no memory the program can observe.
    let r = unsafe { libc::mlockall(libc::MCL_CURRENT | libc::MCL_FUTURE) };
    if r != 0 {
        return Err(SurviveError::Mlock(io::Error::last_os_error()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::TempDir;

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
