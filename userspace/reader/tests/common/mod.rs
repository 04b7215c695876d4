//! What the integration tests share.

use oom_guard::decode::Record;
use oom_guard_core::abi::Payload;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};

/// A temporary directory (mode 0755, so another user can reach its files), removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new() -> Self {
        use std::os::unix::fs::PermissionsExt;
        static N: AtomicU64 = AtomicU64::new(0);
        let p = std::env::temp_dir().join(format!(
            "oom-guard-it-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&p).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        Self(p)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Makes a FIFO `fifo` in the directory.
    #[allow(dead_code, reason = "not every test file makes FIFOs")]
    pub fn fifo(&self) -> PathBuf {
        let p = self.0.join("fifo");
        assert!(Command::new("mkfifo").arg(&p).status().unwrap().success());
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A record `seq` of this ABI version at `time_ns` with `payload`.
#[allow(dead_code, reason = "not every test file makes records")]
pub fn record(seq: u64, time_ns: u64, payload: Payload) -> Record {
    Record::new(seq, time_ns, payload)
}
