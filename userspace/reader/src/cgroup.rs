//! The path of an OOM victim's memory cgroup: a `KILL` record's `cgroup_id` is the inode number
//! of the cgroup's directory under the cgroup v2 mount, and [`Resolver`] finds that directory.
//!
//! The kernel offers no lookup by id to a reader (`open_by_handle_at` needs
//! `CAP_DAC_READ_SEARCH` and a handle type that is not ABI), so the resolver walks the tree,
//! breadth first, comparing each directory's inode number from `readdir` (`d_ino`, which
//! cgroupfs fills with the same number `stat` gives): no `stat` per entry. The walk is bounded
//! by entries looked at ([`MAX_ENTRIES`]) and by time ([`MAX_TIME`]); a walk that stops early
//! finds nothing. Ids are not reused within a boot, so a found path stays right until the
//! cgroup is removed or renamed: the small cache ([`CACHE_SIZE`] entries) checks a hit with one
//! `stat` and walks again if the directory is gone.
//!
//! A path only means something on the boot the record came from: the reader resolves ids while
//! it follows the live device, never for a capture (`decode`).

use crate::decode::Record;
use crate::format::escape_bytes;
use oom_guard_core::abi::{Payload, KILL_VICTIM};
use std::collections::VecDeque;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirEntryExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Where cgroup v2 is mounted when `/proc/self/mountinfo` does not say.
pub const CGROUP_ROOT: &str = "/sys/fs/cgroup";
/// Directory entries a walk looks at before it gives up (a system with thousands of cgroups
/// has tens of thousands of entries, most of them files).
pub const MAX_ENTRIES: usize = 200_000;
/// Time a walk may take before it gives up.
pub const MAX_TIME: Duration = Duration::from_millis(100);
/// Paths remembered, most recent first.
pub const CACHE_SIZE: usize = 16;

/// The mount point of the first `cgroup2` file system in `mountinfo` (the text of
/// `/proc/self/mountinfo`), with its octal escapes (`\040`) undone.
pub fn cgroup2_mount(mountinfo: &str) -> Option<PathBuf> {
    mountinfo.lines().find_map(|line| {
        // `ID PARENT MAJ:MIN ROOT MOUNT_POINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER`
        let (left, right) = line.split_once(" - ")?;
        if right.split(' ').next()? != "cgroup2" {
            return None;
        }
        let mount_point = left.split(' ').nth(4)?;
        Some(PathBuf::from(std::ffi::OsStr::from_bytes(&unescape_octal(
            mount_point,
        ))))
    })
}

/// The cgroup v2 mount of this system: from `proc_root/self/mountinfo`, else [`CGROUP_ROOT`].
pub fn find_mount(proc_root: &Path) -> PathBuf {
    fs::read_to_string(proc_root.join("self/mountinfo"))
        .ok()
        .and_then(|m| cgroup2_mount(&m))
        .unwrap_or_else(|| PathBuf::from(CGROUP_ROOT))
}

/// Undoes mountinfo's `\NNN` octal escapes (space, tab, newline, backslash).
fn unescape_octal(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        let octal = b
            .get(i + 1..i + 4)
            .filter(|d| c == b'\\' && d.iter().all(|x| (b'0'..=b'7').contains(x)))
            .map(|d| d.iter().fold(0u32, |n, x| n * 8 + u32::from(x - b'0')))
            .and_then(|n| u8::try_from(n).ok());
        match octal {
            Some(v) => {
                out.push(v);
                i += 4;
            }
            None => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// Finds cgroup directories by inode number under one cgroup v2 mount.
#[derive(Clone, Debug)]
pub struct Resolver {
    root: PathBuf,
    max_entries: usize,
    max_time: Duration,
    /// `(id, path relative to the root, "" for the root)`, most recent first.
    cache: VecDeque<(u64, PathBuf)>,
}

impl Resolver {
    /// A resolver for the cgroup v2 tree mounted at `root` (a fixture tree in tests), bounded by
    /// [`MAX_ENTRIES`] and [`MAX_TIME`].
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self {
            root: root.into(),
            max_entries: MAX_ENTRIES,
            max_time: MAX_TIME,
            cache: VecDeque::with_capacity(CACHE_SIZE),
        }
    }

    /// The same with other bounds.
    pub fn with_bounds(mut self, max_entries: usize, max_time: Duration) -> Self {
        self.max_entries = max_entries;
        self.max_time = max_time;
        self
    }

    /// The path of cgroup `id` as seen from the mount, escaped like every name the kernel gives
    /// ([`escape_bytes`]): `/system.slice/foo.service`, `/` for the root; `None` for id 0, a
    /// cgroup that is gone, or a walk that hit its bounds.
    pub fn resolve(&mut self, id: u64) -> Option<String> {
        if id == 0 {
            return None;
        }
        let rel = self.cached(id).or_else(|| self.walk(id))?;
        self.cache.retain(|(i, _)| *i != id);
        self.cache.truncate(CACHE_SIZE - 1);
        self.cache.push_front((id, rel.clone()));
        let mut text = b"/".to_vec();
        text.extend_from_slice(rel.as_os_str().as_bytes());
        Some(escape_bytes(&text))
    }

    /// The cgroup path of a `KILL` record's victim, if the record names one and it is found.
    pub fn for_record(&mut self, rec: &Record) -> Option<String> {
        match &rec.payload {
            Payload::Kill(k) if k.flags & KILL_VICTIM != 0 => self.resolve(k.cgroup_id),
            _ => None,
        }
    }

    /// A cached path for `id` whose directory still has that inode number.
    fn cached(&mut self, id: u64) -> Option<PathBuf> {
        let rel = self.cache.iter().find(|(i, _)| *i == id)?.1.clone();
        if fs::metadata(self.root.join(&rel)).is_ok_and(|m| m.ino() == id) {
            Some(rel)
        } else {
            self.cache.retain(|(i, _)| *i != id);
            None
        }
    }

    /// Walks the tree breadth first (cgroups of interest sit a few levels down) for the
    /// directory with inode number `id`, within the bounds.
    fn walk(&self, id: u64) -> Option<PathBuf> {
        if fs::metadata(&self.root).ok()?.ino() == id {
            return Some(PathBuf::new());
        }
        let start = Instant::now();
        let mut seen = 0usize;
        let mut queue = VecDeque::from([PathBuf::new()]);
        while let Some(rel) = queue.pop_front() {
            let Ok(dir) = fs::read_dir(self.root.join(&rel)) else {
                continue;
            };
            for entry in dir.flatten() {
                seen += 1;
                if seen > self.max_entries || start.elapsed() > self.max_time {
                    return None;
                }
                if !entry.file_type().is_ok_and(|t| t.is_dir()) {
                    continue;
                }
                let path = rel.join(entry.file_name());
                if entry.ino() == id {
                    return Some(path);
                }
                queue.push_back(path);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::TempDir;

    fn ino(p: &Path) -> u64 {
        fs::metadata(p).unwrap().ino()
    }

    /// A fake cgroup tree: `system.slice/foo.service`, `user.slice/user-1000.slice`, and the
    /// files every cgroup directory has.
    fn tree() -> TempDir {
        let t = TempDir::new();
        for d in [
            "system.slice/foo.service",
            "user.slice/user-1000.slice",
            "a b",
        ] {
            fs::create_dir_all(t.path().join(d)).unwrap();
        }
        for f in ["cgroup.procs", "memory.max", "system.slice/memory.max"] {
            fs::write(t.path().join(f), "").unwrap();
        }
        t
    }

    #[test]
    fn finds_directories_by_inode_number() {
        let t = tree();
        let mut r = Resolver::new(t.path());
        let foo = ino(&t.path().join("system.slice/foo.service"));
        assert_eq!(r.resolve(foo).as_deref(), Some("/system.slice/foo.service"));
        assert_eq!(r.resolve(ino(t.path())).as_deref(), Some("/"));
        let user = ino(&t.path().join("user.slice/user-1000.slice"));
        assert_eq!(
            r.resolve(user).as_deref(),
            Some("/user.slice/user-1000.slice")
        );
        assert_eq!(
            r.resolve(ino(&t.path().join("a b"))).as_deref(),
            Some("/a b")
        );
        // A file's inode is not a cgroup; 0 is unknown.
        assert_eq!(r.resolve(ino(&t.path().join("memory.max"))), None);
        assert_eq!(r.resolve(0), None);
        assert_eq!(r.resolve(u64::MAX), None);
    }

    #[test]
    fn a_removed_cgroup_is_not_answered_from_the_cache() {
        let t = tree();
        let mut r = Resolver::new(t.path());
        let dir = t.path().join("system.slice/foo.service");
        let foo = ino(&dir);
        assert!(r.resolve(foo).is_some());
        fs::remove_dir(&dir).unwrap();
        assert_eq!(r.resolve(foo), None);
        assert!(r.cache.iter().all(|(i, _)| *i != foo));
    }

    #[test]
    fn a_renamed_cgroup_is_found_again() {
        let t = tree();
        let mut r = Resolver::new(t.path());
        let foo = ino(&t.path().join("system.slice/foo.service"));
        assert!(r.resolve(foo).is_some());
        fs::rename(
            t.path().join("system.slice/foo.service"),
            t.path().join("system.slice/bar.service"),
        )
        .unwrap();
        assert_eq!(r.resolve(foo).as_deref(), Some("/system.slice/bar.service"));
    }

    #[test]
    fn the_cache_stays_small() {
        let t = TempDir::new();
        let mut ids = Vec::new();
        for i in 0..CACHE_SIZE + 4 {
            let d = t.path().join(format!("c{i}"));
            fs::create_dir(&d).unwrap();
            ids.push(ino(&d));
        }
        let mut r = Resolver::new(t.path());
        for id in &ids {
            assert!(r.resolve(*id).is_some());
        }
        assert_eq!(r.cache.len(), CACHE_SIZE);
        assert_eq!(r.cache.front().map(|c| c.0), ids.last().copied());
    }

    #[test]
    fn the_walk_is_bounded() {
        let t = tree();
        let foo = ino(&t.path().join("system.slice/foo.service"));
        let mut r = Resolver::new(t.path()).with_bounds(2, MAX_TIME);
        assert_eq!(r.resolve(foo), None);
        let mut r = Resolver::new(t.path()).with_bounds(MAX_ENTRIES, Duration::ZERO);
        assert_eq!(r.resolve(foo), None);
    }

    #[test]
    fn names_are_escaped() {
        let t = TempDir::new();
        let d = t.path().join("evil\n[ 1.0] x\u{202e}");
        fs::create_dir(&d).unwrap();
        let mut r = Resolver::new(t.path());
        assert_eq!(
            r.resolve(ino(&d)).as_deref(),
            Some("/evil\\n[ 1.0] x\\xe2\\x80\\xae")
        );
    }

    #[test]
    fn the_mount_comes_from_mountinfo() {
        let mi = "\
22 1 0:21 / /proc rw,nosuid - proc proc rw
30 22 0:26 / /sys/fs/cgroup rw,nosuid shared:9 - cgroup2 cgroup2 rw,nsdelegate
31 22 0:27 / /mnt/cg\\040two rw - cgroup2 none rw
";
        assert_eq!(cgroup2_mount(mi), Some(PathBuf::from("/sys/fs/cgroup")));
        assert_eq!(
            cgroup2_mount(&mi.replace("/sys/fs/cgroup", "/x")),
            Some(PathBuf::from("/x"))
        );
        let only = "31 22 0:27 / /mnt/cg\\040two rw - cgroup2 none rw\n";
        assert_eq!(cgroup2_mount(only), Some(PathBuf::from("/mnt/cg two")));
        assert_eq!(cgroup2_mount("22 1 0:21 / /proc rw - proc proc rw\n"), None);
        let t = TempDir::new();
        assert_eq!(find_mount(t.path()), PathBuf::from(CGROUP_ROOT));
        fs::create_dir(t.path().join("self")).unwrap();
        fs::write(t.path().join("self/mountinfo"), only).unwrap();
        assert_eq!(find_mount(t.path()), PathBuf::from("/mnt/cg two"));
    }
}
