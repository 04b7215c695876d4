//! guardctl: a minimal client of `/dev/oom_guard` for the guest tests.
//!
//! It exercises the device exactly as the ABI says (read, poll, ioctls) and prints plain
//! `key=value` lines that shell tests can grep. The user-facing reader is `oom-guard`.
//!
//! usage: guardctl [-d DEVICE] [-u UID] [-x] COMMAND
//!   -u UID                     switch to UID (and GID) before opening the device
//!   -x                         drop CAP_SYS_ADMIN first
//!   tunables                   the module's tunables from `params::TUNABLES`, one
//!                              `name min max default config|load` line each (no device)
//!   version                    ABI version from the ioctl
//!   stats | zones | config     the ioctl structs as key=value lines
//!   set KEY=VALUE...           change the runtime configuration: read it, change the named
//!                              fields and send it back, unchecked (out-of-range values reach
//!                              the module); the keys are the field names, `reserved` and
//!                              `reserved2` included
//!   read [-n] [-c COUNT] [-b BUFSIZE] [-t TIMEOUT_MS] [-w WAIT_MS] [-W FILE] [-S] [-C MS]
//!                              read records (-n: O_NONBLOCK; -w: sleep after open; -W: wait
//!                              after open until FILE exists; -S: SIGUSR1 interrupts a
//!                              blocked read (no SA_RESTART); -C: another thread closes the
//!                              fd MS ms after open), one line each
//!   poll [-e] [-t TIMEOUT_MS]  exit 0 if POLLIN within the timeout, 1 if not (-e: epoll)
//!   ioctl-raw CMD [ADDR]       issue an arbitrary ioctl, print the errno name
//!   insmod PATH [PARAM=VALUE...]  one finit_module() call, print ok or the errno name
//!
//! `read` prints one `seq=N time_ns=N type=N size=N flags=N kind=KIND ...` line per record with
//! the payload's raw numbers: levels as numbers (pressure `old`/`new` 0-2, headroom 0, 50, 100,
//! 255), a `tte_ms` of `TTE_UNKNOWN` as `tte_ms=unknown`, the reclaim phase as a name, a
//! kill's `KILL_*` bits as `kill_flags` and its victim fields as the record has them.
//!
//! Exit codes: 0 ok, 1 operation failed (the errno is printed), 2 bad usage.

use oom_guard_core::abi::{self, Payload};
use oom_guard_core::params;
use oom_guard_testtools::{config_words, set_config_word};
use std::ffi::CString;
use std::io::Error;
use std::process::ExitCode;

fn errno_name(e: &Error) -> String {
    let name = match e.raw_os_error() {
        Some(libc::EINVAL) => "EINVAL",
        Some(libc::EAGAIN) => "EAGAIN",
        Some(libc::EINTR) => "EINTR",
        Some(libc::EFAULT) => "EFAULT",
        Some(libc::ENOTTY) => "ENOTTY",
        Some(libc::EPERM) => "EPERM",
        Some(libc::EACCES) => "EACCES",
        Some(libc::ENOENT) => "ENOENT",
        Some(libc::EBUSY) => "EBUSY",
        Some(libc::ENOMEM) => "ENOMEM",
        _ => return e.to_string(),
    };
    name.to_string()
}

struct Dev(libc::c_int);

impl Dev {
    fn open(path: &str, nonblock: bool) -> Result<Self, String> {
        let c = CString::new(path).map_err(|_| "bad path".to_string())?;
        let flags = libc::O_RDONLY | if nonblock { libc::O_NONBLOCK } else { 0 };
        // SAFETY: `c` is a valid NUL-terminated string.
        let fd = unsafe { libc::open(c.as_ptr(), flags) };
        if fd < 0 {
            return Err(format!(
                "open {path}: {}",
                errno_name(&Error::last_os_error())
            ));
        }
        Ok(Dev(fd))
    }

    fn ioctl<T>(&self, cmd: u32, arg: *mut T) -> Result<(), Error> {
        // SAFETY: `arg` points to a `T` whose size the command encodes (or is a test pointer
        // the kernel must reject safely).
        let r = unsafe { libc::ioctl(self.0, cmd as _, arg) };
        if r < 0 {
            Err(Error::last_os_error())
        } else {
            Ok(())
        }
    }

    fn get<T: Default>(&self, cmd: u32) -> Result<T, String> {
        let mut v = T::default();
        self.ioctl(cmd, &mut v)
            .map_err(|e| format!("ioctl: {}", errno_name(&e)))?;
        Ok(v)
    }
}

impl Drop for Dev {
    fn drop(&mut self) {
        // SAFETY: `self.0` is an open file descriptor we own.
        unsafe { libc::close(self.0) };
    }
}

fn print_zones(prefix: &str, zones: &[abi::ZoneSnapshot]) {
    for (i, z) in zones.iter().enumerate() {
        println!(
            "{prefix}zone{i}={}:{}:{} state={} free={} min={} low={} high={} boost={} reserve={} managed={}",
            z.node,
            z.zone_idx,
            String::from_utf8_lossy(abi::name_bytes(&z.name)),
            z.state,
            z.free,
            z.min,
            z.low,
            z.high,
            z.boost,
            z.reserve,
            z.managed
        );
    }
}

/// Zones as `name:state:free:min:low:high:boost:reserve`, comma-separated.
fn marks(zones: &[abi::ZoneSnapshot]) -> String {
    zones
        .iter()
        .map(|z| {
            format!(
                "{}:{}:{}:{}:{}:{}:{}:{}",
                String::from_utf8_lossy(abi::name_bytes(&z.name)),
                z.state,
                z.free,
                z.min,
                z.low,
                z.high,
                z.boost,
                z.reserve
            )
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// A time to exhaustion: `unknown` for `TTE_UNKNOWN`, else the number.
fn tte(ms: u64) -> String {
    if ms == abi::TTE_UNKNOWN {
        "unknown".into()
    } else {
        ms.to_string()
    }
}

fn record_line(h: &abi::RecordHeader, p: Option<&Payload>) -> String {
    let head = format!(
        "seq={} time_ns={} type={} size={} flags={}",
        h.seq, h.time_ns, h.rtype, h.size, h.flags
    );
    match p {
        None => format!("{head} kind=unknown"),
        Some(Payload::Pressure(x)) => format!(
            "{head} kind=pressure old={} new={} free={} available={} zones={} marks={} headroom={} fall_rate={} tte_ms={}",
            x.old_level,
            x.new_level,
            x.free_pages,
            x.available_pages,
            x.nr_zones,
            marks(&x.zones[..(x.nr_zones as usize).min(abi::MAX_ZONES)]),
            x.headroom,
            x.fall_rate,
            tte(x.tte_ms)
        ),
        Some(Payload::Oom(x)) => format!(
            "{head} kind=oom action={} calls={} span_us={} pid={} comm={} pool_before={} pool_after={} freed={} callback_ns={} free_ns={} blocks_freed={} averts_left={} free={} available={} zones={} marks={}",
            abi::OomAction::from_raw(x.action).map_or("?", abi::OomAction::name),
            x.calls,
            x.span_us,
            x.pid,
            String::from_utf8_lossy(abi::name_bytes(&x.comm)),
            x.pool_before,
            x.pool_after,
            x.freed_reported,
            x.callback_ns,
            x.free_ns,
            x.blocks_freed,
            x.averts_left,
            x.free_pages,
            x.available_pages,
            x.nr_zones,
            marks(&x.zones[..(x.nr_zones as usize).min(abi::MAX_ZONES)]),
        ),
        Some(Payload::Pool(x)) => format!(
            "{head} kind=pool op={} pages={} pool={} target={}",
            x.op, x.pages, x.pool_pages, x.target_pages
        ),
        Some(Payload::Kill(x)) => format!(
            "{head} kind=kill kills={} kill_flags={} victim_pid={} victim_tgid={} victim_uid={} victim_comm={} oom_score_adj={} victim_rss_kib={} anon_kib={} file_kib={} shmem_kib={} pgtables_kib={} cgroup_id={} select_ns={} notifier_action={}",
            x.kills,
            x.flags,
            x.victim_pid,
            x.victim_tgid,
            x.victim_uid,
            String::from_utf8_lossy(abi::name_bytes(&x.victim_comm)),
            x.oom_score_adj,
            x.victim_rss_kib,
            x.anon_kib,
            x.file_kib,
            x.shmem_kib,
            x.pgtables_kib,
            x.cgroup_id,
            x.select_ns,
            x.notifier_action,
        ),
        Some(Payload::Lost(x)) => {
            format!("{head} kind=lost count={} first_seq={}", x.count, x.first_seq)
        }
        Some(Payload::Headroom(x)) => format!(
            "{head} kind=headroom old={} new={} wm_level={} wm_state={} free={} available={} total={} low={} medium={} critical={} floor={} fall_rate={} tte_ms={}",
            x.old_level,
            x.new_level,
            x.wm_level,
            x.wm_state,
            x.free_pages,
            x.available_pages,
            x.total_pages,
            x.low_pages,
            x.medium_pages,
            x.critical_pages,
            x.floor_pages,
            x.fall_rate,
            tte(x.tte_ms)
        ),
        Some(Payload::Reclaim(x)) => format!(
            "{head} kind=reclaim phase={} who={} wm_level={} headroom={} kswapd_calls={} direct_calls={} duration_ms={} free={} available={}",
            abi::ReclaimPhase::from_raw(x.phase).map_or("?", abi::ReclaimPhase::name),
            x.who,
            x.wm_level,
            x.headroom,
            x.kswapd_calls,
            x.direct_calls,
            x.duration_ms,
            x.free_pages,
            x.available_pages
        ),
    }
}

/// Parses `-x VALUE` options out of `args` into `(flag, value)` pairs.
fn opt(args: &[String], flag: &str) -> Result<Option<u64>, String> {
    match args.iter().position(|a| a == flag) {
        None => Ok(None),
        Some(i) => args
            .get(i + 1)
            .and_then(|v| v.parse().ok())
            .map(Some)
            .ok_or_else(|| format!("{flag} needs a number")),
    }
}

fn poll_fd(fd: libc::c_int, timeout_ms: i32) -> Result<bool, String> {
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: `p` is one valid pollfd.
    let r = unsafe { libc::poll(&mut p, 1, timeout_ms) };
    if r < 0 {
        return Err(format!("poll: {}", errno_name(&Error::last_os_error())));
    }
    Ok(r > 0 && p.revents & libc::POLLIN != 0)
}

/// Waits for `EPOLLIN` on `fd` with a fresh epoll instance.
fn epoll_fd(fd: libc::c_int, timeout_ms: i32) -> Result<bool, String> {
    // SAFETY: `epoll_create1` has no memory-safety preconditions.
    let ep = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
    if ep < 0 {
        return Err(format!(
            "epoll_create1: {}",
            errno_name(&Error::last_os_error())
        ));
    }
    let mut ev = libc::epoll_event {
        events: libc::EPOLLIN as u32,
        u64: 0,
    };
    // SAFETY: `ev` is a valid event; `ep` and `fd` are open descriptors.
    let mut r = unsafe { libc::epoll_ctl(ep, libc::EPOLL_CTL_ADD, fd, &mut ev) };
    if r == 0 {
        // SAFETY: `ev` has room for the one event asked for.
        r = unsafe { libc::epoll_wait(ep, &mut ev, 1, timeout_ms) };
    }
    let err = Error::last_os_error();
    // SAFETY: `ep` is ours.
    unsafe { libc::close(ep) };
    if r < 0 {
        return Err(format!("epoll: {}", errno_name(&err)));
    }
    Ok(r > 0 && ev.events & libc::EPOLLIN as u32 != 0)
}

extern "C" fn on_sigusr1(_: libc::c_int) {}

/// Makes SIGUSR1 interrupt blocking system calls (`EINTR`) instead of killing the process.
fn interrupt_on_sigusr1() -> Result<(), String> {
    // SAFETY: A zeroed `sigaction` is a valid value to fill in.
    let mut sa: libc::sigaction = unsafe { std::mem::zeroed() };
    sa.sa_sigaction = on_sigusr1 as extern "C" fn(libc::c_int) as usize;
    sa.sa_flags = 0;
    // SAFETY: `sa` is initialised; the handler is async-signal-safe (it does nothing).
    if unsafe { libc::sigaction(libc::SIGUSR1, &sa, std::ptr::null_mut()) } != 0 {
        return Err(format!("sigaction: {}", Error::last_os_error()));
    }
    Ok(())
}

fn read_cmd(dev_path: &str, args: &[String]) -> Result<(), String> {
    let nonblock = args.iter().any(|a| a == "-n");
    if args.iter().any(|a| a == "-S") {
        interrupt_on_sigusr1()?;
    }
    let count = opt(args, "-c")?.unwrap_or(u64::MAX);
    let bufsize = opt(args, "-b")?.unwrap_or(64 * 1024) as usize;
    let timeout = opt(args, "-t")?;
    let dev = Dev::open(dev_path, nonblock)?;
    if let Some(ms) = opt(args, "-w")? {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
    if let Some(i) = args.iter().position(|a| a == "-W") {
        let path = args.get(i + 1).ok_or("-W needs a file")?;
        while !std::path::Path::new(path).exists() {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
    if let Some(ms) = opt(args, "-C")? {
        let fd = dev.0;
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(ms));
            // SAFETY: Closing our own descriptor under a blocked read() is the test: the
            // kernel keeps the file alive until the read returns. `Dev`'s later close then
            // fails with EBADF, which is harmless.
            unsafe { libc::close(fd) };
            eprintln!("closed fd {fd}");
        });
    }
    let mut buf = vec![0u8; bufsize];
    let mut seen = 0u64;
    while seen < count {
        if let Some(t) = timeout {
            if !poll_fd(dev.0, t as i32)? {
                return Err(format!("timeout after {t} ms ({seen} records)"));
            }
        }
        // SAFETY: `buf` is valid for `buf.len()` bytes.
        let n = unsafe { libc::read(dev.0, buf.as_mut_ptr().cast(), buf.len()) };
        if n < 0 {
            return Err(format!("read: {}", errno_name(&Error::last_os_error())));
        }
        let mut rest = &buf[..n as usize];
        while !rest.is_empty() {
            let (h, p) = abi::decode(rest).map_err(|e| format!("decode: {e:?}"))?;
            println!("{}", record_line(&h, p.as_ref()));
            rest = &rest[h.size as usize..];
            seen += 1;
        }
    }
    Ok(())
}

/// The counters as `(name, value)` in the order of `abi::STATS_FIELDS`.
fn stats_entries(s: &abi::Stats) -> Vec<(&'static str, u64)> {
    abi::STATS_FIELDS
        .iter()
        .map(|f| (f.name, (f.get)(s)))
        .collect()
}

fn set_cmd(dev: &Dev, args: &[String]) -> Result<(), String> {
    let mut c: abi::Config = dev.get(abi::IOCTL_GET_CONFIG)?;
    for kv in args {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| format!("expected KEY=VALUE, got {kv}"))?;
        let v: u32 = v.parse().map_err(|_| format!("{k}: not a number"))?;
        set_config_word(&mut c, k, v).ok_or_else(|| format!("unknown key {k}"))?;
    }
    dev.ioctl(abi::IOCTL_SET_CONFIG, &mut c)
        .map_err(|e| format!("ioctl: {}", errno_name(&e)))
}

/// Drops `CAP_SYS_ADMIN` from the effective, permitted and inheritable sets (root stays root).
fn drop_sys_admin() -> Result<(), String> {
    #[repr(C)]
    struct Header {
        version: u32,
        pid: i32,
    }
    #[repr(C)]
    #[derive(Default, Clone, Copy)]
    struct Data {
        effective: u32,
        permitted: u32,
        inheritable: u32,
    }
    const V3: u32 = 0x2008_0522;
    const CAP_SYS_ADMIN: u32 = 21;
    let mut h = Header {
        version: V3,
        pid: 0,
    };
    let mut d = [Data::default(); 2];
    // SAFETY: capget with a v3 header reads two `Data` entries into `d`.
    if unsafe { libc::syscall(libc::SYS_capget, &mut h, d.as_mut_ptr()) } != 0 {
        return Err(format!("capget: {}", Error::last_os_error()));
    }
    let bit = !(1u32 << CAP_SYS_ADMIN);
    d[0].effective &= bit;
    d[0].permitted &= bit;
    d[0].inheritable &= bit;
    // SAFETY: capset with the same v3 header and data.
    if unsafe { libc::syscall(libc::SYS_capset, &mut h, d.as_ptr()) } != 0 {
        return Err(format!("capset: {}", Error::last_os_error()));
    }
    Ok(())
}

fn run(mut args: &[String]) -> Result<(), String> {
    let mut dev_path = "/dev/oom_guard";
    loop {
        match args {
            [d, path, rest @ ..] if d == "-d" => {
                dev_path = path.as_str();
                args = rest;
            }
            [u, uid, rest @ ..] if u == "-u" => {
                let uid: u32 = uid.parse().map_err(|_| "-u needs a number".to_string())?;
                // SAFETY: setgid/setuid have no memory-safety preconditions.
                if unsafe { libc::setgid(uid) } != 0 || unsafe { libc::setuid(uid) } != 0 {
                    return Err(format!("setuid {uid}: {}", Error::last_os_error()));
                }
                args = rest;
            }
            [x, rest @ ..] if x == "-x" => {
                drop_sys_admin()?;
                args = rest;
            }
            _ => break,
        }
    }
    let Some((cmd, rest)) = args.split_first() else {
        return Err(
            "usage: guardctl [-d DEVICE] [-u UID] [-x] tunables|version|stats|zones|config|set|read|poll|ioctl-raw|insmod".into(),
        );
    };
    match cmd.as_str() {
        "read" => return read_cmd(dev_path, rest),
        "insmod" => return insmod(rest),
        "tunables" => {
            // name min max default kind shown: `shown` is the default as sysfs shows it, by
            // name where the tunable names its values.
            for s in params::TUNABLES {
                let kind = if s.field.is_some() { "config" } else { "load" };
                let shown = s
                    .names
                    .iter()
                    .find(|(_, v)| u64::from(*v) == s.default)
                    .map_or_else(|| s.default.to_string(), |(n, _)| (*n).to_string());
                println!(
                    "{} {} {} {} {kind} {shown}",
                    s.name, s.min, s.max, s.default
                );
            }
            return Ok(());
        }
        "poll" => {
            let dev = Dev::open(dev_path, true)?;
            let t = opt(rest, "-t")?.unwrap_or(1000) as i32;
            let ready = if rest.iter().any(|a| a == "-e") {
                epoll_fd(dev.0, t)?
            } else {
                poll_fd(dev.0, t)?
            };
            return if ready {
                Ok(())
            } else {
                Err("no POLLIN".into())
            };
        }
        _ => {}
    }
    let dev = Dev::open(dev_path, false)?;
    match cmd.as_str() {
        "version" => {
            let v: u32 = dev.get(abi::IOCTL_GET_VERSION)?;
            println!("abi={}.{}", v >> 8, v & 0xff);
        }
        "stats" => {
            let s: abi::Stats = dev.get(abi::IOCTL_GET_STATS)?;
            for (k, v) in stats_entries(&s) {
                if k == "tte_ms" {
                    println!("{k}={}", tte(v));
                } else {
                    println!("{k}={v}");
                }
            }
        }
        "zones" => {
            let z: abi::Zones = dev.get(abi::IOCTL_GET_ZONES)?;
            println!(
                "nr_zones={}\nflags={}\nfree={}\navailable={}\nlevel={}",
                z.nr_zones, z.flags, z.free_pages, z.available_pages, z.level
            );
            print_zones("", &z.zones[..(z.nr_zones as usize).min(abi::MAX_ZONES)]);
        }
        "config" => {
            let c: abi::Config = dev.get(abi::IOCTL_GET_CONFIG)?;
            for (k, v) in config_words(&c) {
                // The reserved fields are settable but not printed, as before.
                if !k.starts_with("reserved") {
                    println!("{k}={v}");
                }
            }
        }
        "set" => set_cmd(&dev, rest)?,
        "ioctl-raw" => {
            let cmd: u32 = rest
                .first()
                .and_then(|c| parse_num(c))
                .ok_or("ioctl-raw needs CMD")? as u32;
            let addr = rest.get(1).and_then(|a| parse_num(a)).unwrap_or(0) as usize;
            match dev.ioctl(cmd, addr as *mut u8) {
                Ok(()) => println!("ok"),
                Err(e) => println!("{}", errno_name(&e)),
            }
        }
        other => return Err(format!("unknown command {other}")),
    }
    Ok(())
}

/// Loads a module with one `finit_module()` call (busybox's insmod may retry with
/// `init_module()`, which would run the module's init twice); prints `ok` or the errno name.
fn insmod(args: &[String]) -> Result<(), String> {
    let (path, params) = args.split_first().ok_or("insmod needs PATH")?;
    let c = CString::new(path.as_str()).map_err(|_| "bad path".to_string())?;
    let p = CString::new(params.join(" ")).map_err(|_| "bad params".to_string())?;
    // SAFETY: `c` is a valid NUL-terminated string.
    let fd = unsafe { libc::open(c.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
    if fd < 0 {
        return Err(format!(
            "open {path}: {}",
            errno_name(&Error::last_os_error())
        ));
    }
    // SAFETY: `fd` is open and `p` is a valid NUL-terminated string.
    let r = unsafe { libc::syscall(libc::SYS_finit_module, fd, p.as_ptr(), 0) };
    let e = Error::last_os_error();
    // SAFETY: `fd` is ours.
    unsafe { libc::close(fd) };
    if r == 0 {
        println!("ok");
    } else {
        println!("{}", errno_name(&e));
    }
    Ok(())
}

fn parse_num(s: &str) -> Option<u64> {
    match s.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("guardctl: {e}");
            if e.starts_with("usage") || e.starts_with("unknown") || e.contains("needs") {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_config_field_is_settable_by_name() {
        let mut c = abi::Config::default();
        let names: Vec<&str> = config_words(&c).iter().map(|(k, _)| *k).collect();
        assert_eq!(names.len(), std::mem::size_of::<abi::Config>() / 4);
        for (i, k) in (1u32..).zip(&names) {
            set_config_word(&mut c, k, i).unwrap();
        }
        let values: Vec<u32> = config_words(&c).iter().map(|(_, v)| *v).collect();
        assert_eq!(values, (1..=16).collect::<Vec<u32>>(), "struct order");
        assert_eq!(
            (c.reserved, c.reserved2),
            (8, 16),
            "the reserved words where they sit"
        );
        assert!(set_config_word(&mut c, "pool_kib", 1).is_none());
    }

    #[test]
    fn stats_in_table_order() {
        let s = abi::Stats {
            samples: 16,
            headroom: 17,
            reclaim_active: 24,
            ..abi::Stats::default()
        };
        let e = stats_entries(&s);
        assert_eq!(e.len(), std::mem::size_of::<abi::Stats>() / 8);
        assert_eq!(e[15], ("samples", 16));
        assert_eq!(e[16], ("headroom", 17));
        assert_eq!(e[23], ("reclaim_active", 24));
        assert_eq!(e[27].0, "peek_ns");
        assert_eq!(e[30].0, "probe_avg_ns");
    }

    #[test]
    fn record_lines_of_the_new_records() {
        let h = abi::RecordHeader {
            size: 112,
            rtype: 6,
            seq: 3,
            ..abi::RecordHeader::default()
        };
        let line = record_line(
            &h,
            Some(&Payload::Headroom(abi::Headroom {
                old_level: 50,
                new_level: 100,
                fall_rate: 7,
                tte_ms: abi::TTE_UNKNOWN,
                ..abi::Headroom::default()
            })),
        );
        assert!(line.contains(" kind=headroom old=50 new=100 "), "{line}");
        assert!(line.ends_with(" fall_rate=7 tte_ms=unknown"), "{line}");
        let line = record_line(
            &h,
            Some(&Payload::Reclaim(abi::Reclaim {
                phase: 2,
                who: 3,
                direct_calls: 4,
                ..abi::Reclaim::default()
            })),
        );
        assert!(
            line.contains(" kind=reclaim phase=direct who=3 wm_level=0 headroom=0 "),
            "{line}"
        );
        assert!(line.contains(" direct_calls=4 "), "{line}");
        let line = record_line(
            &h,
            Some(&Payload::Pressure(abi::Pressure {
                new_level: 1,
                headroom: 255,
                fall_rate: 9,
                tte_ms: 10,
                ..abi::Pressure::default()
            })),
        );
        assert!(line.contains(" kind=pressure old=0 new=1 "), "{line}");
        assert!(
            line.ends_with(" marks= headroom=255 fall_rate=9 tte_ms=10"),
            "{line}"
        );
        let line = record_line(
            &h,
            Some(&Payload::Kill(abi::Kill {
                kills: 1,
                flags: abi::KILL_VICTIM | abi::KILL_GLOBAL,
                victim_pid: 41,
                victim_tgid: 40,
                victim_comm: abi::fixed_name(b"memhog"),
                oom_score_adj: -5,
                notifier_action: 2,
                ..abi::Kill::default()
            })),
        );
        assert!(
            line.contains(
                " kind=kill kills=1 kill_flags=3 victim_pid=41 victim_tgid=40 victim_uid=0 \
                 victim_comm=memhog oom_score_adj=-5 "
            ),
            "{line}"
        );
        assert!(line.ends_with(" notifier_action=2"), "{line}");
    }
}
