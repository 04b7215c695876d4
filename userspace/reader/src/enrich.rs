//! `--enrich`: a compact snapshot of the system's memory, attached to OOM, kill and pressure
//! `min` events — what a person looking at the event wants to know next.
//!
//! A [`Snapshot`] holds `MemAvailable`, `MemFree` and `SwapFree` from `/proc/meminfo`, the
//! `some` and `full` lines of `/proc/pressure/memory` when the kernel has PSI, and the top
//! processes by resident memory with their `oom_score` and `oom_score_adj` (what the kernel's
//! `oom_dump_tasks` prints). The `/proc` root is injectable, so tests run on fixture trees.
//!
//! Taking one is bounded in time and memory: files are read into one fixed-size buffer the
//! [`Enricher`] allocates once, paths are built in one reused buffer, the process list lives
//! in a fixed array of [`MAX_TOP`] entries, and the scan of `/proc` stops after
//! [`EnrichOptions::max_pids`] processes or [`EnrichOptions::max_time`], saying so in
//! [`Snapshot::truncated`]. Listing `/proc` allocates one directory handle per snapshot and
//! one name per entry, each freed before the next, so nothing grows with the number of events.

use crate::decode::Record;
use crate::format::victim_pid;
use crate::sys;
use oom_guard_core::abi::{Level, Payload, KILL_VICTIM};
use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, Read};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The usual `/proc`.
pub const PROC_ROOT: &str = "/proc";
/// `--enrich-top` default: processes listed per snapshot.
pub const DEFAULT_TOP: usize = 5;
/// Most processes a snapshot can list.
pub const MAX_TOP: usize = 32;
/// Processes looked at per snapshot before the scan stops.
pub const DEFAULT_MAX_PIDS: u32 = 4096;
/// Time spent per snapshot before the scan stops.
pub const DEFAULT_MAX_TIME: Duration = Duration::from_millis(50);
/// `--enrich-interval-ms` default: least time between two snapshots.
pub const DEFAULT_INTERVAL: Duration = Duration::from_millis(200);
/// Bytes read from one `/proc` file: `/proc/meminfo` is about 1.5 KiB, a `statm` line under
/// 512 bytes.
const BUF_SIZE: usize = 4096;
/// Bytes of a process name kept (the kernel's `TASK_COMM_LEN`).
pub const COMM_LEN: usize = 16;

/// What to snapshot and how much effort to spend.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnrichOptions {
    /// The `/proc` to read (a fixture tree in tests).
    pub proc_root: PathBuf,
    /// Processes to list, at most [`MAX_TOP`] (0: none).
    pub top: usize,
    /// Processes to look at before the scan stops.
    pub max_pids: u32,
    /// Time to spend before the scan stops.
    pub max_time: Duration,
    /// Least time between two snapshots; events in between get none.
    pub interval: Duration,
}

impl Default for EnrichOptions {
    fn default() -> Self {
        Self {
            proc_root: PROC_ROOT.into(),
            top: DEFAULT_TOP,
            max_pids: DEFAULT_MAX_PIDS,
            max_time: DEFAULT_MAX_TIME,
            interval: DEFAULT_INTERVAL,
        }
    }
}

/// The `/proc/meminfo` fields of a snapshot, in KiB; `None` when missing or unreadable.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemInfo {
    /// `MemAvailable`.
    pub available_kib: Option<u64>,
    /// `MemFree`.
    pub free_kib: Option<u64>,
    /// `SwapFree`.
    pub swap_free_kib: Option<u64>,
}

/// One line of `/proc/pressure/memory`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PsiLine {
    /// `avg10` in hundredths of a percent (`12.34` is 1234).
    pub avg10_centi: u64,
    /// `total`: stall time since boot, microseconds.
    pub total_us: u64,
}

/// `/proc/pressure/memory`: each line `None` when missing or malformed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Psi {
    /// Some tasks stalled on memory.
    pub some: Option<PsiLine>,
    /// All non-idle tasks stalled on memory.
    pub full: Option<PsiLine>,
}

/// One process of the top list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Proc {
    /// Process id.
    pub pid: u32,
    /// Name, NUL-padded (from `/proc/PID/comm`), raw: print it through
    /// [`format::name_text`](crate::format::name_text), which escapes it.
    pub comm: [u8; COMM_LEN],
    /// Resident memory, KiB.
    pub rss_kib: u64,
    /// `/proc/PID/oom_score`.
    pub oom_score: i64,
    /// `/proc/PID/oom_score_adj`.
    pub oom_score_adj: i64,
    /// It is the victim named by the `KILL` record the snapshot was taken for.
    pub victim: bool,
}

/// Why a scan of `/proc` stopped early.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Truncated {
    /// It ran out of time ([`EnrichOptions::max_time`]).
    Time,
    /// It looked at [`EnrichOptions::max_pids`] processes.
    Pids,
}

impl Truncated {
    /// `time` or `pids`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Time => "time",
            Self::Pids => "pids",
        }
    }
}

/// The state of memory at one moment. Fixed size: no allocation to hold or pass one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// `CLOCK_MONOTONIC` time it was taken, ns (compare with the event's `time_ns`).
    pub time_ns: u64,
    /// How long taking it took, microseconds.
    pub elapsed_us: u64,
    /// From `/proc/meminfo`.
    pub meminfo: MemInfo,
    /// From `/proc/pressure/memory`; `None` without PSI.
    pub psi: Option<Psi>,
    top: [Proc; MAX_TOP],
    nr_top: usize,
    /// Processes looked at.
    pub scanned: u32,
    /// Processes that could not be read: gone between listing and reading, or malformed.
    pub skipped: u32,
    /// Why the scan stopped early, if it did.
    pub truncated: Option<Truncated>,
    /// For a `KILL` record that names its victim: the victim's process id (its entry in the top
    /// list, if it is there and still alive, has [`Proc::victim`] set).
    pub victim_pid: Option<u32>,
}

impl Snapshot {
    /// Marks `pid` as the victim: [`Snapshot::victim_pid`], and [`Proc::victim`] on its entry.
    pub fn mark_victim(&mut self, pid: u32) {
        self.victim_pid = Some(pid);
        let n = self.nr_top;
        for p in self.top.iter_mut().take(n) {
            p.victim = p.pid == pid;
        }
    }

    /// The processes with the most resident memory, largest first.
    pub fn top(&self) -> &[Proc] {
        self.top.get(..self.nr_top).unwrap_or_default()
    }
}

/// Whether a record gets a snapshot: OOM, kill, and pressure changes to `min`.
pub fn wants(rec: &Record) -> bool {
    match &rec.payload {
        Payload::Oom(_) | Payload::Kill(_) => true,
        Payload::Pressure(p) => p.new_level == Level::Min as u8,
        Payload::Pool(_) | Payload::Lost(_) | Payload::Headroom(_) | Payload::Reclaim(_) => false,
    }
}

/// The number at the start of `s` (after blanks), up to the first non-digit.
fn leading_u64(s: &[u8]) -> Option<u64> {
    let s = s.trim_ascii_start();
    let end = s
        .iter()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(s.len());
    let digits = s.get(..end).filter(|d| !d.is_empty())?;
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// A whole (trimmed) signed decimal.
fn whole_i64(s: &[u8]) -> Option<i64> {
    std::str::from_utf8(s.trim_ascii()).ok()?.parse().ok()
}

/// `12.34` as 1234 (at most two decimals, as the kernel prints them).
fn centi(s: &[u8]) -> Option<u64> {
    let (int, frac) = match s.iter().position(|b| *b == b'.') {
        Some(dot) => (s.get(..dot)?, s.get(dot + 1..)?),
        None => (s, &b""[..]),
    };
    if frac.len() > 2 || !frac.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let int = std::str::from_utf8(int).ok()?.parse::<u64>().ok()?;
    let mut f = 0u64;
    for i in 0..2 {
        f = f * 10 + frac.get(i).map_or(0, |d| u64::from(d - b'0'));
    }
    int.checked_mul(100)?.checked_add(f)
}

/// The fields of `/proc/meminfo` a snapshot keeps; malformed lines are ignored.
pub fn parse_meminfo(text: &[u8]) -> MemInfo {
    let mut m = MemInfo::default();
    for line in text.split(|b| *b == b'\n') {
        let Some(colon) = line.iter().position(|b| *b == b':') else {
            continue;
        };
        let (key, rest) = line.split_at(colon);
        let slot = match key {
            b"MemAvailable" => &mut m.available_kib,
            b"MemFree" => &mut m.free_kib,
            b"SwapFree" => &mut m.swap_free_kib,
            _ => continue,
        };
        *slot = leading_u64(rest.get(1..).unwrap_or_default());
    }
    m
}

/// `/proc/pressure/memory`: `some avg10=… avg60=… avg300=… total=…` and the same for `full`.
/// A line missing `avg10` or `total`, or with a malformed one, counts as missing.
pub fn parse_psi(text: &[u8]) -> Psi {
    let mut psi = Psi::default();
    for line in text.split(|b| *b == b'\n') {
        let mut words = line.split(|b| *b == b' ').filter(|w| !w.is_empty());
        let slot = match words.next() {
            Some(b"some") => &mut psi.some,
            Some(b"full") => &mut psi.full,
            _ => continue,
        };
        let (mut avg10, mut total) = (None, None);
        for w in words {
            if let Some(v) = w.strip_prefix(b"avg10=") {
                avg10 = centi(v);
            } else if let Some(v) = w.strip_prefix(b"total=") {
                total = whole_i64(v).and_then(|t| u64::try_from(t).ok());
            }
        }
        *slot = avg10.zip(total).map(|(avg10_centi, total_us)| PsiLine {
            avg10_centi,
            total_us,
        });
    }
    psi
}

/// Resident pages from a `/proc/PID/statm` line: `SIZE RESIDENT SHARED TEXT LIB DATA DT`,
/// in pages. (`statm` is far cheaper for the kernel to produce than `stat`.)
pub fn parse_statm(text: &[u8]) -> Option<u64> {
    let mut words = text
        .split(|b| b.is_ascii_whitespace())
        .filter(|w| !w.is_empty());
    let _size = words.next()?;
    whole_i64(words.next()?).and_then(|r| u64::try_from(r).ok())
}

/// A process name from `/proc/PID/comm` without its newline, cut to [`COMM_LEN`] bytes.
pub fn parse_comm(text: &[u8]) -> [u8; COMM_LEN] {
    let name = text.strip_suffix(b"\n").unwrap_or(text);
    let mut comm = [0u8; COMM_LEN];
    for (d, s) in comm.iter_mut().zip(name) {
        *d = *s;
    }
    comm
}

/// Reads `/proc` files into one buffer allocated once.
struct ProcFiles {
    root: PathBuf,
    path: PathBuf,
    buf: Vec<u8>,
}

impl ProcFiles {
    /// Reads `ROOT/[PID/]NAME`, up to the buffer's size; a file that fills the buffer is cut
    /// after its last complete line, so no value is read half.
    fn read(&mut self, pid: Option<u32>, name: &str) -> io::Result<&[u8]> {
        let p = self.path.as_mut_os_string();
        p.clear();
        p.push(self.root.as_os_str());
        // Writing to an `OsString` cannot fail; it reuses the capacity of earlier paths.
        let _ = match pid {
            Some(pid) => write!(p, "/{pid}/{name}"),
            None => write!(p, "/{name}"),
        };
        let mut f = File::open(&self.path)?;
        let mut n = 0;
        while let Some(rest) = self.buf.get_mut(n..).filter(|r| !r.is_empty()) {
            match f.read(rest) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        let data = self.buf.get(..n).unwrap_or_default();
        if n < self.buf.len() {
            return Ok(data);
        }
        let end = data.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        Ok(data.get(..end).unwrap_or_default())
    }
}

/// Takes snapshots: holds the options, the read buffer and the rate limit.
pub struct Enricher {
    opts: EnrichOptions,
    files: ProcFiles,
    page_kib: u64,
    last: Option<Instant>,
}

impl Enricher {
    /// An enricher reading `opts.proc_root`, converting pages with `page_size` bytes.
    pub fn new(opts: EnrichOptions, page_size: u64) -> Self {
        let files = ProcFiles {
            root: opts.proc_root.clone(),
            path: PathBuf::with_capacity(opts.proc_root.as_os_str().len() + 64),
            buf: vec![0; BUF_SIZE],
        };
        Self {
            opts,
            files,
            page_kib: (page_size / 1024).max(1),
            last: None,
        }
    }

    /// A snapshot for `rec` if it wants one ([`wants`]) and the last one is at least
    /// [`EnrichOptions::interval`] old.
    pub fn for_record(&mut self, rec: &Record, now: Instant) -> Option<Snapshot> {
        if !wants(rec) {
            return None;
        }
        if let Some(last) = self.last {
            if now.saturating_duration_since(last) < self.opts.interval {
                return None;
            }
        }
        self.last = Some(now);
        let mut s = self.snapshot();
        if let Payload::Kill(k) = &rec.payload {
            if k.flags & KILL_VICTIM != 0 {
                s.mark_victim(victim_pid(k));
            }
        }
        Some(s)
    }

    /// Takes a snapshot now.
    pub fn snapshot(&mut self) -> Snapshot {
        let start = Instant::now();
        let mut s = Snapshot {
            time_ns: sys::monotonic_ns(),
            elapsed_us: 0,
            meminfo: self
                .files
                .read(None, "meminfo")
                .map(parse_meminfo)
                .unwrap_or_default(),
            psi: self.files.read(None, "pressure/memory").ok().map(parse_psi),
            top: [Proc::default(); MAX_TOP],
            nr_top: 0,
            scanned: 0,
            skipped: 0,
            truncated: None,
            victim_pid: None,
        };
        self.scan(&mut s, start);
        self.scores(&mut s);
        let us = start.elapsed().as_micros();
        s.elapsed_us = u64::try_from(us).unwrap_or(u64::MAX);
        s
    }

    /// Fills the top list from `ROOT/*/statm`, within the pid and time budgets.
    fn scan(&mut self, s: &mut Snapshot, start: Instant) {
        let want = self.opts.top.min(MAX_TOP);
        if want == 0 {
            return;
        }
        let Ok(dir) = std::fs::read_dir(&self.opts.proc_root) else {
            return;
        };
        for entry in dir {
            let Ok(entry) = entry else {
                break;
            };
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            if s.scanned >= self.opts.max_pids {
                s.truncated = Some(Truncated::Pids);
                break;
            }
            if start.elapsed() >= self.opts.max_time {
                s.truncated = Some(Truncated::Time);
                break;
            }
            s.scanned += 1;
            let Some(rss_pages) = self
                .files
                .read(Some(pid), "statm")
                .ok()
                .and_then(parse_statm)
            else {
                s.skipped += 1;
                continue;
            };
            // Kernel threads have no memory of their own.
            if rss_pages == 0 {
                continue;
            }
            let p = Proc {
                pid,
                rss_kib: rss_pages.saturating_mul(self.page_kib),
                ..Proc::default()
            };
            insert(&mut s.top, &mut s.nr_top, want, p);
        }
    }

    /// Reads the names and OOM scores of the listed processes; one that is gone by now is
    /// dropped.
    fn scores(&mut self, s: &mut Snapshot) {
        let mut kept = 0;
        for i in 0..s.nr_top {
            let Some(mut p) = s.top.get(i).copied() else {
                break;
            };
            let comm = self.files.read(Some(p.pid), "comm").ok().map(parse_comm);
            let score = self.read_i64(p.pid, "oom_score");
            let adj = self.read_i64(p.pid, "oom_score_adj");
            let (Some(comm), Some(score), Some(adj)) = (comm, score, adj) else {
                s.skipped += 1;
                continue;
            };
            p.comm = comm;
            p.oom_score = score;
            p.oom_score_adj = adj;
            if let Some(slot) = s.top.get_mut(kept) {
                *slot = p;
                kept += 1;
            }
        }
        s.nr_top = kept;
    }

    fn read_i64(&mut self, pid: u32, name: &str) -> Option<i64> {
        self.files.read(Some(pid), name).ok().and_then(whole_i64)
    }
}

/// Puts `p` into the list `top[..*n]`, kept sorted by RSS (largest first) and at most `want`
/// long.
fn insert(top: &mut [Proc; MAX_TOP], n: &mut usize, want: usize, p: Proc) {
    let mut i = if *n < want {
        *n += 1;
        *n - 1
    } else {
        match top.get(*n - 1) {
            Some(last) if last.rss_kib < p.rss_kib => *n - 1,
            _ => return,
        }
    };
    if let Some(slot) = top.get_mut(i) {
        *slot = p;
    }
    while i > 0 && top.get(i - 1).is_some_and(|q| q.rss_kib < p.rss_kib) {
        top.swap(i - 1, i);
        i -= 1;
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::testutil::{record, TempDir};
    use oom_guard_core::abi::{Kill, Lost, Pool, Pressure};
    use std::path::Path;

    const MEMINFO: &str = "MemTotal:         250000 kB\nMemFree:           12000 kB\n\
        MemAvailable:      20000 kB\nBuffers:               0 kB\nSwapTotal:             0 kB\n\
        SwapFree:              0 kB\n";
    const PSI: &str = "some avg10=12.34 avg60=1.00 avg300=0.10 total=123456\n\
        full avg10=0.50 avg60=0.00 avg300=0.00 total=789\n";

    /// A process directory with `statm`, `comm`, `oom_score` and `oom_score_adj`.
    pub(crate) fn process(root: &Path, pid: u32, comm: &str, rss: u64, score: i64, adj: i64) {
        let d = root.join(pid.to_string());
        std::fs::create_dir_all(&d).unwrap();
        let size = rss * 3 + 100;
        std::fs::write(d.join("statm"), format!("{size} {rss} 10 5 0 {rss} 0\n")).unwrap();
        std::fs::write(d.join("comm"), format!("{comm}\n")).unwrap();
        std::fs::write(d.join("oom_score"), format!("{score}\n")).unwrap();
        std::fs::write(d.join("oom_score_adj"), format!("{adj}\n")).unwrap();
    }

    /// A fixture `/proc`: meminfo, PSI, five processes and a kernel thread.
    pub(crate) fn fixture() -> TempDir {
        let dir = TempDir::new();
        let root = dir.path();
        std::fs::write(root.join("meminfo"), MEMINFO).unwrap();
        std::fs::create_dir_all(root.join("pressure")).unwrap();
        std::fs::write(root.join("pressure/memory"), PSI).unwrap();
        process(root, 1, "init", 200, 0, 0);
        process(root, 42, "memhog", 51_200, 900, 0);
        process(root, 77, "Web Content (x)", 2_560, 300, 200);
        process(root, 99, "oom-guard", 300, 0, -1000);
        process(root, 120, "sh", 100, 1, 0);
        process(root, 2, "kthreadd", 0, 0, 0);
        std::fs::create_dir_all(root.join("self")).unwrap();
        std::fs::write(root.join("uptime"), "1.0 1.0\n").unwrap();
        dir
    }

    /// A snapshot with fixed values: two processes, PSI `some` only, stopped by time.
    pub(crate) fn sample() -> Snapshot {
        let mut top = [Proc::default(); MAX_TOP];
        top[0] = Proc {
            pid: 42,
            comm: *b"memhog\0\0\0\0\0\0\0\0\0\0",
            rss_kib: 204_800,
            oom_score: 900,
            oom_score_adj: 0,
            victim: false,
        };
        top[1] = Proc {
            pid: 99,
            comm: *b"oom-guard\0\0\0\0\0\0\0",
            rss_kib: 1200,
            oom_score: 0,
            oom_score_adj: -1000,
            victim: false,
        };
        Snapshot {
            time_ns: 12_345_700_000,
            elapsed_us: 1500,
            meminfo: MemInfo {
                available_kib: Some(20_000),
                free_kib: Some(12_000),
                swap_free_kib: None,
            },
            psi: Some(Psi {
                some: Some(PsiLine {
                    avg10_centi: 1234,
                    total_us: 5678,
                }),
                full: None,
            }),
            top,
            nr_top: 2,
            scanned: 60,
            skipped: 1,
            truncated: Some(Truncated::Time),
            victim_pid: None,
        }
    }

    fn options(root: &Path) -> EnrichOptions {
        EnrichOptions {
            proc_root: root.to_path_buf(),
            ..EnrichOptions::default()
        }
    }

    fn pids(s: &Snapshot) -> Vec<u32> {
        s.top().iter().map(|p| p.pid).collect()
    }

    #[test]
    fn a_snapshot_of_a_fixture_tree() {
        let dir = fixture();
        let s = Enricher::new(options(dir.path()), 4096).snapshot();
        assert_eq!(
            s.meminfo,
            MemInfo {
                available_kib: Some(20_000),
                free_kib: Some(12_000),
                swap_free_kib: Some(0),
            }
        );
        assert_eq!(
            s.psi,
            Some(Psi {
                some: Some(PsiLine {
                    avg10_centi: 1234,
                    total_us: 123_456
                }),
                full: Some(PsiLine {
                    avg10_centi: 50,
                    total_us: 789
                }),
            })
        );
        assert_eq!(pids(&s), [42, 77, 99, 1, 120]);
        let top = s.top();
        assert_eq!(crate::format::name_text(&top[0].comm), "memhog");
        assert_eq!(top[0].rss_kib, 204_800);
        assert_eq!((top[0].oom_score, top[0].oom_score_adj), (900, 0));
        assert_eq!(crate::format::name_text(&top[1].comm), "Web Content (x)");
        assert_eq!((top[2].oom_score, top[2].oom_score_adj), (0, -1000));
        assert_eq!((s.scanned, s.skipped, s.truncated), (6, 0, None));
        assert!(s.time_ns > 0);
    }

    #[test]
    fn top_n_and_page_size() {
        let dir = fixture();
        let opts = EnrichOptions {
            top: 2,
            ..options(dir.path())
        };
        let s = Enricher::new(opts, 65536).snapshot();
        assert_eq!(pids(&s), [42, 77]);
        assert_eq!(s.top()[0].rss_kib, 51_200 * 64);
        let opts = EnrichOptions {
            top: 0,
            ..options(dir.path())
        };
        let s = Enricher::new(opts, 4096).snapshot();
        assert!(s.top().is_empty());
        assert_eq!(s.scanned, 0, "no list, no scan");
        assert_eq!(s.meminfo.free_kib, Some(12_000));
        let opts = EnrichOptions {
            top: 1000,
            ..options(dir.path())
        };
        assert_eq!(Enricher::new(opts, 4096).snapshot().top().len(), 5);
    }

    #[test]
    fn missing_files_leave_fields_empty() {
        let dir = TempDir::new();
        process(dir.path(), 5, "a", 10, 1, 2);
        let s = Enricher::new(options(dir.path()), 4096).snapshot();
        assert_eq!(s.meminfo, MemInfo::default());
        assert_eq!(s.psi, None, "no PSI in this kernel");
        assert_eq!(pids(&s), [5]);
        let s = Enricher::new(options(&dir.path().join("nowhere")), 4096).snapshot();
        assert_eq!((s.meminfo, s.psi, s.scanned), (MemInfo::default(), None, 0));
        assert!(s.top().is_empty());
    }

    #[test]
    fn vanished_processes_are_skipped_and_counted() {
        let dir = fixture();
        let root = dir.path();
        // Listed, but gone before its statm was read.
        std::fs::create_dir_all(root.join("300")).unwrap();
        // Read, then gone before its scores were.
        process(root, 301, "dying", 90_000, 1000, 0);
        std::fs::remove_file(root.join("301/oom_score")).unwrap();
        let s = Enricher::new(options(root), 4096).snapshot();
        assert_eq!(
            pids(&s),
            [42, 77, 99, 1],
            "the dying one took a slot, then left it"
        );
        assert_eq!((s.scanned, s.skipped), (8, 2));
    }

    #[test]
    fn malformed_lines_are_ignored() {
        let m = parse_meminfo(
            b"MemFree: lots kB\nMemAvailable\nSwapFree:   17 kB\nMemAvailable:99999999999999999999999 kB\n\xff\xfe:\n",
        );
        assert_eq!(
            m,
            MemInfo {
                available_kib: None,
                free_kib: None,
                swap_free_kib: Some(17),
            }
        );
        let p = parse_psi(b"some avg10=1.234 total=5\nfull avg10=2.5 avg60=x total=7\nbogus\n");
        assert_eq!(
            p,
            Psi {
                some: None,
                full: Some(PsiLine {
                    avg10_centi: 250,
                    total_us: 7
                }),
            }
        );
        assert_eq!(parse_psi(b"some total=-1 avg10=0.00\n").some, None);
        assert_eq!(parse_statm(b"12\n"), None, "too few fields");
        assert_eq!(parse_statm(b"12 -5 0\n"), None);
        assert_eq!(parse_statm(b"12 x 0\n"), None);
        assert_eq!(parse_statm(b"  12  7 0 0 0 0 0\n"), Some(7));
        assert_eq!(
            &parse_comm(b"a very long process name\n"),
            b"a very long proc"
        );
        assert_eq!(&parse_comm(b"sh\n"), b"sh\0\0\0\0\0\0\0\0\0\0\0\0\0\0");
        let dir = fixture();
        std::fs::write(dir.path().join("77/statm"), "broken\n").unwrap();
        std::fs::write(dir.path().join("120/oom_score_adj"), "zero\n").unwrap();
        let s = Enricher::new(options(dir.path()), 4096).snapshot();
        assert_eq!(pids(&s), [42, 99, 1]);
        assert_eq!(s.skipped, 2);
    }

    #[test]
    fn a_file_larger_than_the_buffer_is_cut_at_a_line() {
        let dir = TempDir::new();
        let mut text = String::from("MemAvailable: 5 kB\n");
        let pad = BUF_SIZE - text.len() - 12 - 1;
        text.push_str(&"x".repeat(pad));
        text.push('\n');
        // The buffer ends 12 bytes into this line, after `MemFree: 123`: the line is dropped,
        // not read as a smaller number.
        text.push_str("MemFree: 123456789 kB\n");
        assert_eq!(text.find("MemFree"), Some(BUF_SIZE - 12));
        std::fs::write(dir.path().join("meminfo"), &text).unwrap();
        let s = Enricher::new(options(dir.path()), 4096).snapshot();
        assert_eq!(s.meminfo.available_kib, Some(5));
        assert_eq!(s.meminfo.free_kib, None);
    }

    #[test]
    fn the_scan_stops_at_its_budgets() {
        let dir = fixture();
        let opts = EnrichOptions {
            max_pids: 2,
            ..options(dir.path())
        };
        let s = Enricher::new(opts, 4096).snapshot();
        assert_eq!((s.scanned, s.truncated), (2, Some(Truncated::Pids)));
        assert!(s.top().len() <= 2);
        let opts = EnrichOptions {
            max_time: Duration::ZERO,
            ..options(dir.path())
        };
        let s = Enricher::new(opts, 4096).snapshot();
        assert_eq!((s.scanned, s.truncated), (0, Some(Truncated::Time)));
        assert_eq!(s.meminfo.free_kib, Some(12_000), "meminfo is read first");
        assert_eq!(Truncated::Time.name(), "time");
    }

    #[test]
    fn which_records_get_one_and_how_often() {
        let min = Payload::Pressure(Pressure {
            new_level: Level::Min as u8,
            ..Pressure::default()
        });
        let low = Payload::Pressure(Pressure {
            new_level: Level::Low as u8,
            ..Pressure::default()
        });
        let kill = Payload::Kill(Kill::default());
        let oom = crate::decode::tests::samples()[1];
        for (p, want) in [
            (min, true),
            (low, false),
            (kill, true),
            (oom, true),
            (Payload::Pool(Pool::default()), false),
            (Payload::Lost(Lost::default()), false),
        ] {
            assert_eq!(wants(&record(1, p)), want, "{p:?}");
        }
        let dir = fixture();
        let mut e = Enricher::new(options(dir.path()), 4096);
        let t0 = Instant::now();
        assert!(e.for_record(&record(1, low), t0).is_none());
        assert!(e.for_record(&record(2, kill), t0).is_some());
        let soon = t0 + Duration::from_millis(100);
        assert!(
            e.for_record(&record(3, oom), soon).is_none(),
            "rate-limited"
        );
        let later = t0 + DEFAULT_INTERVAL;
        assert!(e.for_record(&record(4, oom), later).is_some());
    }

    #[test]
    fn a_kill_snapshot_marks_the_victim() {
        use oom_guard_core::abi::{KILL_GLOBAL, KILL_VICTIM};
        let dir = fixture();
        let opts = EnrichOptions {
            interval: Duration::ZERO,
            ..options(dir.path())
        };
        let mut e = Enricher::new(opts, 4096);
        let kill = |tgid, flags| {
            record(
                1,
                Payload::Kill(Kill {
                    victim_pid: 7000,
                    victim_tgid: tgid,
                    flags,
                    ..Kill::default()
                }),
            )
        };
        let now = Instant::now();
        // The victim is 77, not the largest process.
        let s = e
            .for_record(&kill(77, KILL_VICTIM | KILL_GLOBAL), now)
            .unwrap();
        assert_eq!(s.victim_pid, Some(77));
        let marked: Vec<(u32, bool)> = s.top().iter().map(|p| (p.pid, p.victim)).collect();
        assert_eq!(
            marked,
            [
                (42, false),
                (77, true),
                (99, false),
                (1, false),
                (120, false)
            ]
        );
        let f = crate::format::enrich_fields(&s);
        assert!(f.contains(&("victim_pid", crate::format::Value::U64(77))));
        let text = crate::format::enrich_text(&s);
        assert!(
            text.contains(r#", "Web Content (x)"[77] 10.0 MiB score 300 adj 200 (victim), "#),
            "{text}"
        );
        // Gone already: named, nobody marked.
        let s = e.for_record(&kill(4242, KILL_VICTIM), now).unwrap();
        assert_eq!(s.victim_pid, Some(4242));
        assert!(s.top().iter().all(|p| !p.victim));
        // A count-only record names nobody; other events neither.
        let s = e.for_record(&kill(77, 0), now).unwrap();
        assert_eq!(s.victim_pid, None);
        assert!(s.top().iter().all(|p| !p.victim));
        assert!(!crate::format::enrich_fields(&s)
            .iter()
            .any(|(k, _)| *k == "victim_pid"));
    }

    #[test]
    fn numbers() {
        assert_eq!(centi(b"0.00"), Some(0));
        assert_eq!(centi(b"12.3"), Some(1230));
        assert_eq!(centi(b"7"), Some(700));
        assert_eq!(centi(b"1.234"), None);
        assert_eq!(centi(b"1.x"), None);
        assert_eq!(centi(b"x.1"), None);
        assert_eq!(leading_u64(b"  42 kB"), Some(42));
        assert_eq!(leading_u64(b" kB"), None);
        assert_eq!(whole_i64(b"-1000\n"), Some(-1000));
        assert_eq!(whole_i64(b"1 2"), None);
    }

    #[test]
    fn insert_keeps_the_largest() {
        let mut top = [Proc::default(); MAX_TOP];
        let mut n = 0;
        for (pid, rss) in [(1, 5), (2, 9), (3, 1), (4, 7), (5, 9), (6, 8)] {
            let p = Proc {
                pid,
                rss_kib: rss,
                ..Proc::default()
            };
            insert(&mut top, &mut n, 3, p);
        }
        let got: Vec<(u32, u64)> = top[..n].iter().map(|p| (p.pid, p.rss_kib)).collect();
        assert_eq!(got, [(2, 9), (5, 9), (6, 8)]);
    }
}
