//! guardfuzz: random ioctls and reads against `/dev/oom_guard`, each checked against what the
//! ABI says must happen, and a check that every reserved or padding byte the device returns is
//! zero.
//!
//! usage: guardfuzz [-d DEVICE] fuzz [-n CALLS] [-s SEED]
//!        guardfuzz [-d DEVICE] padding
//!
//! `fuzz` issues CALLS (default 10000) random calls: ioctls with the five valid commands,
//! near-miss commands (magic 0xB7 with another number, direction or size: a smaller size is
//! what the retired numbers of ABI 1.x looked like) and fully random ones, with
//! pointers that are valid, NULL, in kernel space, unmapped, misaligned or straddling a
//! PROT_NONE page; reads of random sizes to the same pointers; polls. Oracle:
//! - a near-miss command is ENOTTY; a valid command to a bad pointer is EFAULT; a valid one to a
//!   good buffer succeeds, and SET_CONFIG succeeds exactly when the host-side validation
//!   accepts the value, after which GET_CONFIG returns it; a GET writes its struct and not one
//!   byte more;
//! - reads return whole records, which decode, and whose sequence numbers continue where the
//!   previous read stopped (a failed read consumes nothing), or EAGAIN, EINVAL (buffer
//!   smaller than the next record), EFAULT;
//! - fully random commands may fail any way but must not crash or hang.
//!
//! It restores the configuration it found and prints one summary line per errno.
//!
//! `padding` fills the ioctl buffers with 0xAA first, then checks that reserved fields
//! (`reserved` and `reserved2` of the config), name padding and unused zone entries read back as
//! zero, that every stats counter was written, and that every record read has the size of its
//! type in this ABI and re-encodes to the very same bytes (the encoder zeroes every reserved
//! byte, the PRESSURE record's trailing `reserved2` and the KILL record's trailing `reserved`
//! included); it prints how many records of each type it checked.
//!
//! Exit codes: 0 ok, 1 a check failed (printed), 2 bad usage.

use oom_guard_core::abi::{self, Payload};
use oom_guard_core::params;
use oom_guard_testtools::config_words;
use std::collections::BTreeMap;
use std::ffi::CString;
use std::io::Error;
use std::process::ExitCode;

/// A small, seedable generator (xorshift64*): enough for fuzzing, reproducible from the seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Two pages: the first readable and writable, the second PROT_NONE.
struct Arena {
    base: *mut u8,
    page: usize,
}

impl Arena {
    fn new() -> Result<Self, String> {
        // SAFETY: `sysconf` has no preconditions.
        let page = usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) })
            .map_err(|_| "sysconf(_SC_PAGESIZE) failed".to_string())?;
        // SAFETY: An anonymous private mapping; the result is checked.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                2 * page,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(format!("mmap: {}", Error::last_os_error()));
        }
        // SAFETY: The second page lies inside the mapping just made.
        let r =
            unsafe { libc::mprotect(base.cast::<u8>().add(page).cast(), page, libc::PROT_NONE) };
        if r != 0 {
            return Err(format!("mprotect: {}", Error::last_os_error()));
        }
        Ok(Self {
            base: base.cast(),
            page,
        })
    }

    /// The usable first page.
    fn good(&self) -> *mut u8 {
        self.base
    }

    /// A pointer `len / 2` bytes before the PROT_NONE page: an access of `len` bytes faults
    /// half-way (with `len` 0, the start of the PROT_NONE page).
    fn straddling(&self, len: usize) -> *mut u8 {
        // SAFETY: `len / 2` is below the page size for every struct and read size used here,
        // so the pointer stays inside the mapping.
        unsafe { self.base.add(self.page - (len / 2).min(self.page)) }
    }
}

impl Drop for Arena {
    fn drop(&mut self) {
        // SAFETY: The mapping was made in `new` and is not used after this.
        unsafe { libc::munmap(self.base.cast(), 2 * self.page) };
    }
}

struct Dev(libc::c_int);

impl Dev {
    fn open(path: &str) -> Result<Self, String> {
        let c = CString::new(path).map_err(|_| "bad path".to_string())?;
        // SAFETY: `c` is a valid NUL-terminated string.
        let fd = unsafe { libc::open(c.as_ptr(), libc::O_RDONLY | libc::O_NONBLOCK) };
        if fd < 0 {
            return Err(format!("open {path}: {}", Error::last_os_error()));
        }
        Ok(Dev(fd))
    }

    /// One ioctl; the errno on failure (0 on success).
    fn ioctl(&self, cmd: u32, arg: *mut u8) -> i32 {
        // SAFETY: Deliberately arbitrary: the kernel must reject bad commands and pointers
        // safely. Good pointers point into our own mapping, large enough for any command here.
        let r = unsafe { libc::ioctl(self.0, cmd as _, arg) };
        if r < 0 {
            errno()
        } else {
            0
        }
    }

    /// One read; the byte count or the errno.
    fn read(&self, buf: *mut u8, len: usize) -> Result<usize, i32> {
        // SAFETY: As for `ioctl`: bad pointers are the point, and the kernel checks them.
        let r = unsafe { libc::read(self.0, buf.cast(), len) };
        usize::try_from(r).map_err(|_| errno())
    }

    fn get<T: Default + Copy>(&self, cmd: u32) -> Result<T, String> {
        let mut v = T::default();
        match self.ioctl(cmd, (&raw mut v).cast()) {
            0 => Ok(v),
            e => Err(format!("ioctl {cmd:#x}: {}", name(e))),
        }
    }
}

impl Drop for Dev {
    fn drop(&mut self) {
        // SAFETY: `self.0` is an open file descriptor we own.
        unsafe { libc::close(self.0) };
    }
}

fn errno() -> i32 {
    Error::last_os_error().raw_os_error().unwrap_or(0)
}

fn name(e: i32) -> String {
    match e {
        0 => "ok".into(),
        libc::EINVAL => "EINVAL".into(),
        libc::EAGAIN => "EAGAIN".into(),
        libc::EFAULT => "EFAULT".into(),
        libc::ENOTTY => "ENOTTY".into(),
        libc::EPERM => "EPERM".into(),
        libc::EINTR => "EINTR".into(),
        e => format!("errno{e}"),
    }
}

const VALID: [u32; 5] = [
    abi::IOCTL_GET_VERSION,
    abi::IOCTL_GET_STATS,
    abi::IOCTL_GET_ZONES,
    abi::IOCTL_GET_CONFIG,
    abi::IOCTL_SET_CONFIG,
];

/// The bytes of a configuration in `struct oom_guard_config` layout (native byte order).
fn config_bytes(c: &abi::Config) -> Vec<u8> {
    config_words(c)
        .iter()
        .flat_map(|(_, v)| v.to_ne_bytes())
        .collect()
}

/// The size a valid command transfers (bits 16..30 of the number).
fn cmd_size(cmd: u32) -> usize {
    ((cmd >> 16) & 0x3fff) as usize
}

/// A pointer the kernel must refuse, at least in part: NULL, low, kernel space, the PROT_NONE
/// page, or one whose first `len / 2` bytes are mapped and the rest not. Returns the pointer and
/// how many bytes from it are writable (a read may legitimately fill those and stop).
fn bad_pointer(rng: &mut Rng, arena: &Arena, len: usize) -> (*mut u8, usize) {
    match rng.below(5) {
        0 => (std::ptr::null_mut(), 0),
        1 => (rng.below(4096) as *mut u8, 0),
        2 => (
            (0xffff_8000_0000_0000u64 | (rng.next() & 0x0000_7fff_ffff_fff8)) as *mut u8,
            0,
        ),
        3 => (arena.straddling(0), 0),
        _ => (arena.straddling(len.max(2)), len.max(2) / 2),
    }
}

/// A random configuration near the valid ranges (about half of them valid): one field of the
/// current configuration changed.
fn random_config(rng: &mut Rng, current: abi::Config) -> abi::Config {
    let mut c = current;
    let pick = |rng: &mut Rng, spec: params::Spec| -> u32 {
        match rng.below(5) {
            0 => spec.min as u32,
            1 => spec.max as u32,
            2 => (spec.max as u32).wrapping_add(1 + rng.below(3) as u32),
            // Small values: where percentages and the ordering rules between fields bite.
            3 => (spec.min + rng.below(101)).min(spec.max) as u32,
            _ => (spec.min + rng.below(spec.max - spec.min + 1)) as u32,
        }
    };
    // One of the tunables of the configuration (`params::TUNABLES`), or a reserved word.
    let tunables: Vec<_> = params::config_tunables().collect();
    let i = rng.below(tunables.len() as u64 + 2) as usize;
    match tunables.get(i) {
        Some((spec, field)) => (field.set)(&mut c, pick(rng, **spec)),
        None if i == tunables.len() => c.reserved = rng.below(2) as u32,
        None => c.reserved2 = rng.below(2) as u32,
    }
    c
}

/// The running state of the fuzzer: outcome counts and the next expected sequence number.
struct Fuzz {
    outcomes: BTreeMap<String, u64>,
    next_seq: Option<u64>,
    records: u64,
}

impl Fuzz {
    fn count(&mut self, what: &str, e: i32) {
        *self
            .outcomes
            .entry(format!("{what}:{}", name(e)))
            .or_default() += 1;
    }

    /// Checks that `bytes` are whole records continuing the stream.
    fn check_records(&mut self, bytes: &[u8]) -> Result<(), String> {
        let mut at = 0;
        while at < bytes.len() {
            let (h, p) = abi::decode(&bytes[at..]).map_err(|e| format!("decode at {at}: {e:?}"))?;
            let first = match p {
                Some(Payload::Lost(l)) => l.first_seq,
                _ => h.seq,
            };
            if let Some(want) = self.next_seq {
                if first != want {
                    return Err(format!("sequence gap: expected {want}, got {first}"));
                }
            }
            self.next_seq = Some(match p {
                Some(Payload::Lost(l)) => l.first_seq + l.count,
                _ => h.seq + 1,
            });
            self.records += 1;
            at += h.size as usize;
        }
        Ok(())
    }
}

fn fuzz(dev_path: &str, calls: u64, seed: u64) -> Result<(), String> {
    let dev = Dev::open(dev_path)?;
    let arena = Arena::new()?;
    let saved: abi::Config = dev.get(abi::IOCTL_GET_CONFIG)?;
    let mut rng = Rng(seed | 1);
    let mut f = Fuzz {
        outcomes: BTreeMap::new(),
        next_seq: None,
        records: 0,
    };
    for i in 0..calls {
        let fail = |what: String| format!("call {i} (seed {seed}): {what}");
        match rng.below(10) {
            // A valid command with a good or a bad pointer.
            0..=3 => {
                let cmd = VALID[rng.below(VALID.len() as u64) as usize];
                let size = cmd_size(cmd);
                let current: abi::Config = dev.get(abi::IOCTL_GET_CONFIG).map_err(fail)?;
                let config = random_config(&mut rng, current);
                if rng.below(2) == 0 {
                    let ptr = arena.good();
                    // What the configuration must be after the call, if it succeeds.
                    let after = if cmd == abi::IOCTL_SET_CONFIG {
                        config
                    } else {
                        current
                    };
                    // SAFETY: The first page holds far more than a `Config` plus the 64 guard
                    // bytes; unaligned writes are used because the arena offset is arbitrary in
                    // general. A GET overwrites what it returns; the 0xAA after it must stay.
                    unsafe {
                        std::ptr::write_bytes(ptr, 0xAA, size + 64);
                        if cmd == abi::IOCTL_SET_CONFIG {
                            ptr.cast::<abi::Config>().write_unaligned(config);
                        }
                    }
                    let e = dev.ioctl(cmd, ptr);
                    f.count("ioctl-valid", e);
                    let want = if cmd == abi::IOCTL_SET_CONFIG
                        && params::validate_config(&after).is_err()
                    {
                        libc::EINVAL
                    } else {
                        0
                    };
                    if e != want {
                        return Err(fail(format!(
                            "ioctl {cmd:#x} to a good buffer: {}, expected {}",
                            name(e),
                            name(want)
                        )));
                    }
                    // SAFETY: The first page is mapped and `size + 64` bytes fit in it.
                    let bytes = unsafe { std::slice::from_raw_parts(ptr, size + 64) };
                    let is_get = cmd >> 30 == 2;
                    if is_get && bytes[size..].iter().any(|&b| b != 0xAA) {
                        return Err(fail(format!("ioctl {cmd:#x} wrote past its {size} bytes")));
                    }
                    if cmd == abi::IOCTL_GET_CONFIG
                        && bytes[..size] != config_bytes(&current)[..size]
                    {
                        return Err(fail(format!(
                            "ioctl {cmd:#x} returned other bytes than the configuration read \
                             just before: {:?}",
                            &bytes[..size]
                        )));
                    }
                    if e == 0 && after != current {
                        let now: abi::Config = dev.get(abi::IOCTL_GET_CONFIG).map_err(fail)?;
                        if now != after {
                            return Err(fail(format!(
                                "ioctl {cmd:#x} set {now:?}, expected {after:?}"
                            )));
                        }
                    }
                } else {
                    let e = dev.ioctl(cmd, bad_pointer(&mut rng, &arena, size).0);
                    f.count("ioctl-badptr", e);
                    if e != libc::EFAULT {
                        return Err(fail(format!(
                            "ioctl {cmd:#x} to a bad pointer: {}, expected EFAULT",
                            name(e)
                        )));
                    }
                }
            }
            // A near miss: our magic, another number, direction or size (a smaller size is
            // how the retired numbers of ABI 1.x looked).
            4 | 5 => {
                let base = VALID[rng.below(VALID.len() as u64) as usize];
                let cmd = match rng.below(4) {
                    0 => (base & !0xff) | (5 + rng.below(251)) as u32,
                    1 => base ^ (1 << (30 + rng.below(2))),
                    2 => {
                        (base & !(0x3fff << 16))
                            | ((rng.below(cmd_size(base) as u64) as u32 & 0x3fff) << 16)
                    }
                    _ => {
                        (base & !(0x3fff << 16))
                            | (((cmd_size(base) as u64 + 1 + rng.below(64)) as u32 & 0x3fff) << 16)
                    }
                };
                if VALID.contains(&cmd) {
                    continue;
                }
                let e = dev.ioctl(cmd, arena.good());
                f.count("ioctl-nearmiss", e);
                if e != libc::ENOTTY {
                    return Err(fail(format!(
                        "near-miss ioctl {cmd:#x}: {}, expected ENOTTY",
                        name(e)
                    )));
                }
            }
            // Anything at all (not in the VFS's own ioctl ranges, which never reach us).
            6 => {
                let cmd = rng.next() as u32;
                let ty = (cmd >> 8) & 0xff;
                if matches!(ty, 0x00 | 0x54 | 0x58 | 0x66 | 0x94 | 0x12 | 0x15)
                    || VALID.contains(&cmd)
                {
                    continue;
                }
                let arg = if rng.below(2) == 0 {
                    arena.good()
                } else {
                    bad_pointer(&mut rng, &arena, 64).0
                };
                let e = dev.ioctl(cmd, arg);
                f.count("ioctl-random", e);
            }
            // Reads of random sizes, to good or bad buffers.
            7 | 8 => {
                let len = match rng.below(3) {
                    0 => rng.below(abi::HEADER_SIZE as u64 + abi::LOST_SIZE as u64) as usize,
                    1 => rng.below(abi::MAX_RECORD_SIZE as u64 + 64) as usize,
                    _ => rng.below(arena.page as u64) as usize,
                };
                if rng.below(3) == 0 {
                    let (ptr, writable) = bad_pointer(&mut rng, &arena, len);
                    match dev.read(ptr, len) {
                        // A short read of the whole records that fit before the fault.
                        Ok(n) if n <= writable => {
                            f.count("read-badptr", 0);
                            // SAFETY: The kernel wrote `n <= writable` bytes at `ptr`, which
                            // are mapped (see `bad_pointer`).
                            let bytes = unsafe { std::slice::from_raw_parts(ptr, n) };
                            f.check_records(bytes).map_err(fail)?;
                        }
                        Ok(n) => {
                            return Err(fail(format!(
                                "read of {len} to a bad pointer returned {n} > {writable} writable bytes"
                            )));
                        }
                        Err(e) => {
                            f.count("read-badptr", e);
                            if !matches!(e, libc::EFAULT | libc::EAGAIN | libc::EINVAL) {
                                return Err(fail(format!(
                                    "read of {len} to a bad pointer: {}",
                                    name(e)
                                )));
                            }
                        }
                    }
                } else {
                    match dev.read(arena.good(), len) {
                        Ok(n) => {
                            f.count("read-good", 0);
                            // SAFETY: The kernel wrote `n <= len <= page` bytes to the first page.
                            let bytes = unsafe { std::slice::from_raw_parts(arena.good(), n) };
                            f.check_records(bytes).map_err(fail)?;
                        }
                        Err(e) => {
                            f.count("read-good", e);
                            if !matches!(e, libc::EAGAIN | libc::EINVAL) {
                                return Err(fail(format!("read of {len}: {}", name(e))));
                            }
                        }
                    }
                }
            }
            // poll with no wait.
            _ => {
                let mut pfd = libc::pollfd {
                    fd: dev.0,
                    events: libc::POLLIN,
                    revents: 0,
                };
                // SAFETY: One valid pollfd.
                let r = unsafe { libc::poll(&mut pfd, 1, 0) };
                f.count("poll", if r < 0 { errno() } else { 0 });
            }
        }
    }
    // Put the configuration back, then prove the device still answers.
    let mut saved_copy = saved;
    let e = dev.ioctl(abi::IOCTL_SET_CONFIG, (&raw mut saved_copy).cast());
    if e != 0 {
        return Err(format!("restoring the configuration: {}", name(e)));
    }
    let version: u32 = dev.get(abi::IOCTL_GET_VERSION)?;
    let stats: abi::Stats = dev.get(abi::IOCTL_GET_STATS)?;
    for (k, v) in &f.outcomes {
        println!("fuzz: {k} {v}");
    }
    println!(
        "fuzz: {calls} calls, seed {seed}, {} records read in sequence, version {version:#x}, readers {}",
        f.records, stats.readers
    );
    Ok(())
}

/// Fills `T` with 0xAA, runs the ioctl and returns the raw bytes.
fn raw<T: Default + Copy>(dev: &Dev, cmd: u32) -> Result<Vec<u8>, String> {
    let mut buf = vec![0xAAu8; std::mem::size_of::<T>()];
    match dev.ioctl(cmd, buf.as_mut_ptr()) {
        0 => Ok(buf),
        e => Err(format!("ioctl {cmd:#x}: {}", name(e))),
    }
}

fn padding(dev_path: &str) -> Result<(), String> {
    let dev = Dev::open(dev_path)?;
    let config = raw::<abi::Config>(&dev, abi::IOCTL_GET_CONFIG)?;
    for off in [
        std::mem::offset_of!(abi::Config, reserved),
        std::mem::offset_of!(abi::Config, reserved2),
    ] {
        if config[off..off + 4] != [0; 4] {
            return Err(format!(
                "config reserved bytes at {off}: {:?}",
                &config[off..off + 4]
            ));
        }
    }
    let zones = raw::<abi::Zones>(&dev, abi::IOCTL_GET_ZONES)?;
    let z: abi::Zones = dev.get(abi::IOCTL_GET_ZONES)?;
    let base = std::mem::offset_of!(abi::Zones, zones);
    let each = std::mem::size_of::<abi::ZoneSnapshot>();
    for i in 0..abi::MAX_ZONES {
        let bytes = &zones[base + i * each..base + (i + 1) * each];
        if i >= z.nr_zones as usize {
            if bytes.iter().any(|&b| b != 0) {
                return Err(format!("unused zone entry {i} is not zero"));
            }
            continue;
        }
        let r = std::mem::offset_of!(abi::ZoneSnapshot, reserved);
        if bytes[r..r + 4] != [0; 4] {
            return Err(format!("zone {i} reserved bytes not zero"));
        }
        let n = std::mem::offset_of!(abi::ZoneSnapshot, name);
        let name = &bytes[n..n + abi::ZONE_NAME_LEN];
        let end = name.iter().position(|&b| b == 0).unwrap_or(name.len());
        if name[end..].iter().any(|&b| b != 0) {
            return Err(format!("zone {i} name padding not zero: {name:?}"));
        }
    }
    let stats = raw::<abi::Stats>(&dev, abi::IOCTL_GET_STATS)?;
    if stats.chunks_exact(8).any(|w| w == [0xAA; 8]) {
        return Err("a stats field was left unwritten".into());
    }
    let version = raw::<u32>(&dev, abi::IOCTL_GET_VERSION)?;
    if version == [0xAA; 4] {
        return Err("version left unwritten".into());
    }
    // Every record re-encodes to the same bytes.
    let mut buf = vec![0xAAu8; 64 * 1024];
    let mut records = 0;
    let mut per_type: BTreeMap<u16, u64> = BTreeMap::new();
    loop {
        let n = match dev.read(buf.as_mut_ptr(), buf.len()) {
            Ok(n) => n,
            Err(libc::EAGAIN) => break,
            Err(e) => return Err(format!("read: {}", name(e))),
        };
        let mut at = 0;
        while at < n {
            let (h, p) = abi::decode(&buf[at..n]).map_err(|e| format!("decode: {e:?}"))?;
            let size = h.size as usize;
            let payload = p.ok_or("unknown record type from our own module")?;
            if size != payload.rtype().record_size() {
                return Err(format!(
                    "record seq {} type {} has size {size}, expected {} in ABI {}.{}",
                    h.seq,
                    h.rtype,
                    payload.rtype().record_size(),
                    abi::ABI_MAJOR,
                    abi::ABI_MINOR
                ));
            }
            let mut again = [0u8; abi::MAX_RECORD_SIZE];
            let len = abi::encode(h.seq, h.time_ns, h.flags, &payload, &mut again)
                .map_err(|e| format!("encode: {e:?}"))?;
            if again[..len] != buf[at..at + size] {
                let diff = (0..len).find(|&i| again[i] != buf[at + i]).unwrap_or(len);
                return Err(format!(
                    "record seq {} type {} differs from its re-encoding at byte {diff}: reserved or padding bytes not zero",
                    h.seq, h.rtype
                ));
            }
            records += 1;
            *per_type.entry(h.rtype).or_default() += 1;
            at += size;
        }
        buf[..n].fill(0xAA);
    }
    if records == 0 {
        return Err("no records to check: cause some events first".into());
    }
    let types: Vec<String> = per_type
        .iter()
        .map(|(t, n)| {
            let kind = abi::RecordType::from_raw(*t).map_or("?", |k| match k {
                abi::RecordType::Pressure => "pressure",
                abi::RecordType::Oom => "oom",
                abi::RecordType::Pool => "pool",
                abi::RecordType::Kill => "kill",
                abi::RecordType::Lost => "lost",
                abi::RecordType::Headroom => "headroom",
                abi::RecordType::Reclaim => "reclaim",
            });
            format!("{kind} {n}")
        })
        .collect();
    println!(
        "padding: config (and its 1.0 view), {} zones, stats (and its 1.0 view), version and {records} records ({}): all reserved and padding bytes zero",
        z.nr_zones,
        types.join(", ")
    );
    Ok(())
}

fn run(args: &[String]) -> Result<(), (u8, String)> {
    let usage = || {
        (
            2,
            "usage: guardfuzz [-d DEVICE] fuzz [-n CALLS] [-s SEED] | padding".to_string(),
        )
    };
    let mut dev = "/dev/oom_guard".to_string();
    let mut rest = args;
    if rest.first().map(String::as_str) == Some("-d") {
        dev = rest.get(1).ok_or_else(usage)?.clone();
        rest = &rest[2..];
    }
    let (cmd, opts) = rest.split_first().ok_or_else(usage)?;
    let opt = |flag: &str, default: u64| -> Result<u64, (u8, String)> {
        match opts.iter().position(|a| a == flag) {
            None => Ok(default),
            Some(i) => opts
                .get(i + 1)
                .and_then(|v| v.parse().ok())
                .ok_or_else(usage),
        }
    };
    match cmd.as_str() {
        "fuzz" => {
            let seed = opt("-s", std::process::id().into())?;
            fuzz(&dev, opt("-n", 10_000)?, seed).map_err(|e| (1, e))
        }
        "padding" => padding(&dev).map_err(|e| (1, e)),
        _ => Err(usage()),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err((code, msg)) => {
            eprintln!("guardfuzz: {msg}");
            ExitCode::from(code)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::offset_of;

    #[test]
    fn config_bytes_follow_the_struct_layout() {
        let c = abi::Config {
            policy: 1,
            reserved: 8,
            headroom_unit: 9,
            sample_min_ms: 14,
            reserved2: 16,
            ..abi::Config::default()
        };
        let b = config_bytes(&c);
        assert_eq!(b.len(), std::mem::size_of::<abi::Config>());
        let at = |off: usize| u32::from_ne_bytes(b[off..off + 4].try_into().unwrap());
        assert_eq!(at(offset_of!(abi::Config, policy)), 1);
        assert_eq!(at(offset_of!(abi::Config, reserved)), 8);
        assert_eq!(at(offset_of!(abi::Config, headroom_unit)), 9);
        assert_eq!(at(offset_of!(abi::Config, sample_min_ms)), 14);
        assert_eq!(at(offset_of!(abi::Config, reserved2)), 16);
    }

    #[test]
    fn random_configs_touch_every_field_and_are_often_valid() {
        let mut rng = Rng(42);
        let base = params::default_config();
        let (mut valid, mut changed) = (0, std::collections::BTreeSet::new());
        for _ in 0..4000 {
            let c = random_config(&mut rng, base);
            valid += u32::from(params::validate_config(&c).is_ok());
            let (a, b) = (config_bytes(&base), config_bytes(&c));
            for (i, (x, y)) in a.chunks(4).zip(b.chunks(4)).enumerate() {
                if x != y {
                    changed.insert(i);
                }
            }
        }
        assert_eq!(changed.len(), 16, "{changed:?}");
        assert!((1000..3500).contains(&valid), "{valid} of 4000 valid");
    }
}
