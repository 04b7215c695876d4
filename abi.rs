// SPDX-License-Identifier: GPL-2.0

//! The userspace ABI of `/dev/oom_guard`: record layouts, constants and ioctl numbers.
//!
//! This file is the single definition of the ABI. It depends only on `core` and is compiled both
//! into the kernel module and into the userspace reader (`userspace/guard-core`), so the two
//! cannot drift. All integers are in the machine's native byte order, as in every kernel uapi.
//!
//! A `read()` returns whole records. Every record starts with a [`RecordHeader`] whose `size`
//! field gives the length of the whole record, header included, so a reader can skip record
//! types it does not know. Reserved and padding bytes are always zero.

/// Major ABI version: incremented on incompatible changes.
pub const ABI_MAJOR: u8 = 1;
/// Minor ABI version: incremented when record types or trailing fields are added.
pub const ABI_MINOR: u8 = 0;
/// Name of the misc device (`/dev/oom_guard`).
pub const DEVICE_NAME: &str = "oom_guard";
/// Most zone snapshots a record carries (nodes × zones); more zones set [`FLAG_ZONES_TRUNCATED`].
pub const MAX_ZONES: usize = 8;
/// Length of a task name (`TASK_COMM_LEN`).
pub const COMM_LEN: usize = 16;
/// Length of a zone name field.
pub const ZONE_NAME_LEN: usize = 8;

/// Record flag: the system had more populated zones than [`MAX_ZONES`].
pub const FLAG_ZONES_TRUNCATED: u32 = 1 << 0;

/// The type of a record, in [`RecordHeader::rtype`].
#[repr(u16)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordType {
    /// The memory pressure level changed ([`Pressure`]).
    Pressure = 1,
    /// The OOM notifier was called ([`Oom`]).
    Oom = 2,
    /// The emergency pool changed ([`Pool`]).
    Pool = 3,
    /// An OOM kill was observed ([`Kill`]).
    Kill = 4,
    /// This reader missed events ([`Lost`]).
    Lost = 5,
}

impl RecordType {
    /// Converts a raw type number; `None` for types this ABI version does not know.
    pub fn from_raw(raw: u16) -> Option<Self> {
        match raw {
            1 => Some(Self::Pressure),
            2 => Some(Self::Oom),
            3 => Some(Self::Pool),
            4 => Some(Self::Kill),
            5 => Some(Self::Lost),
            _ => None,
        }
    }

    /// Size in bytes of a whole record of this type, header included.
    pub const fn record_size(self) -> usize {
        HEADER_SIZE
            + match self {
                Self::Pressure => PRESSURE_SIZE,
                Self::Oom => OOM_SIZE,
                Self::Pool => POOL_SIZE,
                Self::Kill => KILL_SIZE,
                Self::Lost => LOST_SIZE,
            }
    }
}

/// A memory pressure level.
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum Level {
    /// Every zone is above its high watermark, or recovering from `Low` and above low.
    #[default]
    Ok = 0,
    /// A zone fell to its low watermark: kswapd is reclaiming.
    Low = 1,
    /// A zone fell to its min watermark: allocations enter direct reclaim; OOM is near.
    Min = 2,
}

impl Level {
    /// Converts a raw level number.
    pub fn from_raw(raw: u8) -> Option<Self> {
        match raw {
            0 => Some(Self::Ok),
            1 => Some(Self::Low),
            2 => Some(Self::Min),
            _ => None,
        }
    }

    /// The level's name as printed by the reader.
    pub fn name(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Low => "low",
            Self::Min => "min",
        }
    }
}

/// Where one zone stands against its watermarks.
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum ZoneState {
    /// Free pages above the high watermark.
    #[default]
    AboveHigh = 0,
    /// At or below high, above low.
    BelowHigh = 1,
    /// At or below low, above min.
    BelowLow = 2,
    /// At or below min.
    BelowMin = 3,
}

impl ZoneState {
    /// Converts a raw state number.
    pub fn from_raw(raw: u8) -> Option<Self> {
        match raw {
            0 => Some(Self::AboveHigh),
            1 => Some(Self::BelowHigh),
            2 => Some(Self::BelowLow),
            3 => Some(Self::BelowMin),
            _ => None,
        }
    }
}

/// What the OOM notifier did, in [`Oom::action`].
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OomAction {
    /// Policy `observe`: the pool was not touched; the kernel kills.
    Observe = 0,
    /// Pages were released from the pool and reported freed: the kernel skips the kill.
    Avert = 1,
    /// The avert budget of the current window is spent: reported 0; the kernel kills.
    BudgetSpent = 2,
    /// The pool is empty: reported 0; the kernel kills.
    PoolEmpty = 3,
}

impl OomAction {
    /// Converts a raw action number.
    pub fn from_raw(raw: u8) -> Option<Self> {
        match raw {
            0 => Some(Self::Observe),
            1 => Some(Self::Avert),
            2 => Some(Self::BudgetSpent),
            3 => Some(Self::PoolEmpty),
            _ => None,
        }
    }

    /// The action's name as printed by the reader.
    pub fn name(self) -> &'static str {
        match self {
            Self::Observe => "observe",
            Self::Avert => "avert",
            Self::BudgetSpent => "budget-spent",
            Self::PoolEmpty => "pool-empty",
        }
    }
}

/// What happened to the pool, in [`Pool::op`].
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolOp {
    /// Pages were released to the allocator by the OOM notifier.
    Release = 1,
    /// Pages were allocated back into the pool.
    Refill = 2,
    /// A refill step could not allocate.
    RefillFailed = 3,
}

impl PoolOp {
    /// Converts a raw operation number.
    pub fn from_raw(raw: u8) -> Option<Self> {
        match raw {
            1 => Some(Self::Release),
            2 => Some(Self::Refill),
            3 => Some(Self::RefillFailed),
            _ => None,
        }
    }
}

/// The header that starts every record (32 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RecordHeader {
    /// Size of the whole record in bytes, header included.
    pub size: u32,
    /// A [`RecordType`].
    pub rtype: u16,
    /// [`ABI_MAJOR`] of the producer.
    pub abi_major: u8,
    /// [`ABI_MINOR`] of the producer.
    pub abi_minor: u8,
    /// `FLAG_*` bits.
    pub flags: u32,
    /// Zero.
    pub reserved: u32,
    /// Sequence number: one per event, starting at 0 at module load, never reused.
    pub seq: u64,
    /// `CLOCK_MONOTONIC` time of the event in nanoseconds.
    pub time_ns: u64,
}

/// One zone's free pages and watermarks, in pages (72 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ZoneSnapshot {
    /// NUMA node id.
    pub node: u16,
    /// Zone index within the node (`enum zone_type`).
    pub zone_idx: u8,
    /// A [`ZoneState`].
    pub state: u8,
    /// Zero.
    pub reserved: u32,
    /// Zone name (`DMA`, `DMA32`, `Normal`, `Movable`…), NUL-padded.
    pub name: [u8; ZONE_NAME_LEN],
    /// Free pages.
    pub free: u64,
    /// Min watermark.
    pub min: u64,
    /// Low watermark.
    pub low: u64,
    /// High watermark.
    pub high: u64,
    /// Watermark boost, added to each watermark by the kernel.
    pub boost: u64,
    /// `lowmem_reserve` against allocations for the node's highest zone.
    pub reserve: u64,
    /// Pages managed by the buddy allocator.
    pub managed: u64,
}

/// Payload of a [`RecordType::Pressure`] record.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pressure {
    /// What the level is derived from: 1 = zone watermarks.
    pub source: u8,
    /// The previous [`Level`].
    pub old_level: u8,
    /// The new [`Level`].
    pub new_level: u8,
    /// Zero.
    pub reserved: u8,
    /// Valid entries in `zones`.
    pub nr_zones: u32,
    /// Free pages, all zones.
    pub free_pages: u64,
    /// Available pages (`si_mem_available()`).
    pub available_pages: u64,
    /// The zones that caused the change; entries past `nr_zones` are zero.
    pub zones: [ZoneSnapshot; MAX_ZONES],
}

/// Payload of a [`RecordType::Oom`] record.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Oom {
    /// An [`OomAction`].
    pub action: u8,
    /// The [`Level`] at the time.
    pub level: u8,
    /// Zero.
    pub reserved: u16,
    /// Pid of the task that hit the OOM.
    pub pid: u32,
    /// Its name, NUL-padded.
    pub comm: [u8; COMM_LEN],
    /// Free pages, all zones.
    pub free_pages: u64,
    /// Available pages.
    pub available_pages: u64,
    /// Pool pages before the call.
    pub pool_before: u64,
    /// Pool pages after the call.
    pub pool_after: u64,
    /// Pages reported to the kernel as freed (added to `*freed`).
    pub freed_reported: u64,
    /// Duration of the notifier callback in nanoseconds.
    pub callback_ns: u64,
    /// Averts left in the current budget window.
    pub averts_left: u32,
    /// Valid entries in `zones`.
    pub nr_zones: u32,
    /// Snapshot of every zone at the OOM.
    pub zones: [ZoneSnapshot; MAX_ZONES],
}

/// Payload of a [`RecordType::Pool`] record.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pool {
    /// A [`PoolOp`].
    pub op: u8,
    /// Zero.
    pub reserved: [u8; 7],
    /// Pages released or refilled by this operation.
    pub pages: u64,
    /// Pool pages after the operation.
    pub pool_pages: u64,
    /// The pool's target size in pages.
    pub target_pages: u64,
}

/// Payload of a [`RecordType::Kill`] record.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Kill {
    /// Increase of the kernel's `oom_kill` counter since the last look.
    pub kills: u64,
    /// Victim pid, or 0 if unknown.
    pub victim_pid: u32,
    /// Zero.
    pub reserved: u32,
    /// Victim name, NUL-padded (empty if unknown).
    pub victim_comm: [u8; COMM_LEN],
    /// Victim resident memory in KiB, or 0 if unknown.
    pub victim_rss_kib: u64,
}

/// Payload of a [`RecordType::Lost`] record: this reader fell behind the ring.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Lost {
    /// Number of events this reader missed.
    pub count: u64,
    /// Sequence number of the first missed event; the next record has `first_seq + count`.
    pub first_seq: u64,
}

/// Size of [`RecordHeader`].
pub const HEADER_SIZE: usize = core::mem::size_of::<RecordHeader>();
/// Size of [`Pressure`].
pub const PRESSURE_SIZE: usize = core::mem::size_of::<Pressure>();
/// Size of [`Oom`].
pub const OOM_SIZE: usize = core::mem::size_of::<Oom>();
/// Size of [`Pool`].
pub const POOL_SIZE: usize = core::mem::size_of::<Pool>();
/// Size of [`Kill`].
pub const KILL_SIZE: usize = core::mem::size_of::<Kill>();
/// Size of [`Lost`].
pub const LOST_SIZE: usize = core::mem::size_of::<Lost>();
/// Size of [`ZoneSnapshot`].
pub const ZONE_SIZE: usize = core::mem::size_of::<ZoneSnapshot>();
/// The largest record: a buffer of this size always holds at least one record.
pub const MAX_RECORD_SIZE: usize = HEADER_SIZE + OOM_SIZE;

// The layout is part of the ABI: any change here is an ABI change.
const _: () = assert!(HEADER_SIZE == 32);
const _: () = assert!(ZONE_SIZE == 72);
const _: () = assert!(PRESSURE_SIZE == 24 + MAX_ZONES * ZONE_SIZE);
const _: () = assert!(OOM_SIZE == 80 + MAX_ZONES * ZONE_SIZE);
const _: () = assert!(POOL_SIZE == 32);
const _: () = assert!(KILL_SIZE == 40);
const _: () = assert!(LOST_SIZE == 16);

/// An event with its payload, as kept in the kernel's ring and returned by [`decode`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Payload {
    /// See [`Pressure`].
    Pressure(Pressure),
    /// See [`Oom`].
    Oom(Oom),
    /// See [`Pool`].
    Pool(Pool),
    /// See [`Kill`].
    Kill(Kill),
    /// See [`Lost`].
    Lost(Lost),
}

impl Payload {
    /// The record type of this payload.
    pub fn rtype(&self) -> RecordType {
        match self {
            Self::Pressure(_) => RecordType::Pressure,
            Self::Oom(_) => RecordType::Oom,
            Self::Pool(_) => RecordType::Pool,
            Self::Kill(_) => RecordType::Kill,
            Self::Lost(_) => RecordType::Lost,
        }
    }
}

/// An error from [`encode`] or [`decode`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodecError {
    /// The buffer is shorter than the record (or than a header).
    Short,
    /// The header's `size` is smaller than a header or than its known type needs.
    BadSize,
    /// The record was written by an incompatible major ABI version.
    Incompatible,
}

/// Writes native-endian fields one after another into a byte buffer.
struct Writer<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl Writer<'_> {
    fn bytes(&mut self, b: &[u8]) -> Result<(), CodecError> {
        let end = self.pos.checked_add(b.len()).ok_or(CodecError::Short)?;
        self.buf
            .get_mut(self.pos..end)
            .ok_or(CodecError::Short)?
            .copy_from_slice(b);
        self.pos = end;
        Ok(())
    }
    fn u8(&mut self, v: u8) -> Result<(), CodecError> {
        self.bytes(&[v])
    }
    fn u16(&mut self, v: u16) -> Result<(), CodecError> {
        self.bytes(&v.to_ne_bytes())
    }
    fn u32(&mut self, v: u32) -> Result<(), CodecError> {
        self.bytes(&v.to_ne_bytes())
    }
    fn u64(&mut self, v: u64) -> Result<(), CodecError> {
        self.bytes(&v.to_ne_bytes())
    }
    fn zone(&mut self, z: &ZoneSnapshot) -> Result<(), CodecError> {
        self.u16(z.node)?;
        self.u8(z.zone_idx)?;
        self.u8(z.state)?;
        self.u32(0)?;
        self.bytes(&z.name)?;
        for v in [z.free, z.min, z.low, z.high, z.boost, z.reserve, z.managed] {
            self.u64(v)?;
        }
        Ok(())
    }
}

/// Reads native-endian fields one after another from a byte buffer.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn array<const N: usize>(&mut self) -> Result<[u8; N], CodecError> {
        let end = self.pos.checked_add(N).ok_or(CodecError::Short)?;
        let mut out = [0u8; N];
        out.copy_from_slice(self.buf.get(self.pos..end).ok_or(CodecError::Short)?);
        self.pos = end;
        Ok(out)
    }
    fn u8(&mut self) -> Result<u8, CodecError> {
        Ok(self.array::<1>()?[0])
    }
    fn u16(&mut self) -> Result<u16, CodecError> {
        Ok(u16::from_ne_bytes(self.array()?))
    }
    fn u32(&mut self) -> Result<u32, CodecError> {
        Ok(u32::from_ne_bytes(self.array()?))
    }
    fn u64(&mut self) -> Result<u64, CodecError> {
        Ok(u64::from_ne_bytes(self.array()?))
    }
    fn zone(&mut self) -> Result<ZoneSnapshot, CodecError> {
        let node = self.u16()?;
        let zone_idx = self.u8()?;
        let state = self.u8()?;
        let _reserved = self.u32()?;
        Ok(ZoneSnapshot {
            node,
            zone_idx,
            state,
            reserved: 0,
            name: self.array()?,
            free: self.u64()?,
            min: self.u64()?,
            low: self.u64()?,
            high: self.u64()?,
            boost: self.u64()?,
            reserve: self.u64()?,
            managed: self.u64()?,
        })
    }
    fn zones(&mut self) -> Result<[ZoneSnapshot; MAX_ZONES], CodecError> {
        let mut zones = [ZoneSnapshot::default(); MAX_ZONES];
        for z in zones.iter_mut() {
            *z = self.zone()?;
        }
        Ok(zones)
    }
}

/// Encodes one record into `buf`, reserved bytes zeroed; returns its size.
///
/// The header's `size`, `rtype` and ABI version are filled in from the payload.
pub fn encode(
    seq: u64,
    time_ns: u64,
    flags: u32,
    payload: &Payload,
    buf: &mut [u8],
) -> Result<usize, CodecError> {
    let rtype = payload.rtype();
    let size = rtype.record_size();
    let buf = buf.get_mut(..size).ok_or(CodecError::Short)?;
    let mut w = Writer { buf, pos: 0 };
    // `size` is at most `MAX_RECORD_SIZE`, far below `u32::MAX`.
    w.u32(u32::try_from(size).map_err(|_| CodecError::BadSize)?)?;
    w.u16(rtype as u16)?;
    w.u8(ABI_MAJOR)?;
    w.u8(ABI_MINOR)?;
    w.u32(flags)?;
    w.u32(0)?;
    w.u64(seq)?;
    w.u64(time_ns)?;
    match payload {
        Payload::Pressure(p) => {
            w.u8(p.source)?;
            w.u8(p.old_level)?;
            w.u8(p.new_level)?;
            w.u8(0)?;
            w.u32(p.nr_zones)?;
            w.u64(p.free_pages)?;
            w.u64(p.available_pages)?;
            for z in &p.zones {
                w.zone(z)?;
            }
        }
        Payload::Oom(o) => {
            w.u8(o.action)?;
            w.u8(o.level)?;
            w.u16(0)?;
            w.u32(o.pid)?;
            w.bytes(&o.comm)?;
            for v in [
                o.free_pages,
                o.available_pages,
                o.pool_before,
                o.pool_after,
                o.freed_reported,
                o.callback_ns,
            ] {
                w.u64(v)?;
            }
            w.u32(o.averts_left)?;
            w.u32(o.nr_zones)?;
            for z in &o.zones {
                w.zone(z)?;
            }
        }
        Payload::Pool(p) => {
            w.u8(p.op)?;
            w.bytes(&[0; 7])?;
            w.u64(p.pages)?;
            w.u64(p.pool_pages)?;
            w.u64(p.target_pages)?;
        }
        Payload::Kill(k) => {
            w.u64(k.kills)?;
            w.u32(k.victim_pid)?;
            w.u32(0)?;
            w.bytes(&k.victim_comm)?;
            w.u64(k.victim_rss_kib)?;
        }
        Payload::Lost(l) => {
            w.u64(l.count)?;
            w.u64(l.first_seq)?;
        }
    }
    Ok(w.pos)
}

/// Decodes the header at the start of `buf`.
pub fn decode_header(buf: &[u8]) -> Result<RecordHeader, CodecError> {
    let mut r = Reader { buf, pos: 0 };
    let h = RecordHeader {
        size: r.u32()?,
        rtype: r.u16()?,
        abi_major: r.u8()?,
        abi_minor: r.u8()?,
        flags: r.u32()?,
        reserved: r.u32()?,
        seq: r.u64()?,
        time_ns: r.u64()?,
    };
    if (h.size as usize) < HEADER_SIZE {
        return Err(CodecError::BadSize);
    }
    Ok(h)
}

/// Decodes the record at the start of `buf`.
///
/// Returns the header and the payload, or `None` as payload for a record type this ABI version
/// does not know (skip `header.size` bytes and go on). A newer minor version may append fields,
/// which are ignored; another major version is [`CodecError::Incompatible`].
pub fn decode(buf: &[u8]) -> Result<(RecordHeader, Option<Payload>), CodecError> {
    let h = decode_header(buf)?;
    if h.abi_major != ABI_MAJOR {
        return Err(CodecError::Incompatible);
    }
    let size = h.size as usize;
    let body = buf.get(HEADER_SIZE..size).ok_or(CodecError::Short)?;
    let Some(rtype) = RecordType::from_raw(h.rtype) else {
        return Ok((h, None));
    };
    if size < rtype.record_size() {
        return Err(CodecError::BadSize);
    }
    let mut r = Reader { buf: body, pos: 0 };
    let payload = match rtype {
        RecordType::Pressure => {
            let source = r.u8()?;
            let old_level = r.u8()?;
            let new_level = r.u8()?;
            let _reserved = r.u8()?;
            Payload::Pressure(Pressure {
                source,
                old_level,
                new_level,
                reserved: 0,
                nr_zones: r.u32()?,
                free_pages: r.u64()?,
                available_pages: r.u64()?,
                zones: r.zones()?,
            })
        }
        RecordType::Oom => {
            let action = r.u8()?;
            let level = r.u8()?;
            let _reserved = r.u16()?;
            Payload::Oom(Oom {
                action,
                level,
                reserved: 0,
                pid: r.u32()?,
                comm: r.array()?,
                free_pages: r.u64()?,
                available_pages: r.u64()?,
                pool_before: r.u64()?,
                pool_after: r.u64()?,
                freed_reported: r.u64()?,
                callback_ns: r.u64()?,
                averts_left: r.u32()?,
                nr_zones: r.u32()?,
                zones: r.zones()?,
            })
        }
        RecordType::Pool => {
            let op = r.u8()?;
            let _reserved: [u8; 7] = r.array()?;
            Payload::Pool(Pool {
                op,
                reserved: [0; 7],
                pages: r.u64()?,
                pool_pages: r.u64()?,
                target_pages: r.u64()?,
            })
        }
        RecordType::Kill => {
            let kills = r.u64()?;
            let victim_pid = r.u32()?;
            let _reserved = r.u32()?;
            Payload::Kill(Kill {
                kills,
                victim_pid,
                reserved: 0,
                victim_comm: r.array()?,
                victim_rss_kib: r.u64()?,
            })
        }
        RecordType::Lost => Payload::Lost(Lost {
            count: r.u64()?,
            first_seq: r.u64()?,
        }),
    };
    Ok((h, Some(payload)))
}

/// Copies a name into a fixed, NUL-padded field, truncating if needed.
pub fn fixed_name<const N: usize>(name: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    for (o, b) in out.iter_mut().zip(name.iter().take_while(|b| **b != 0)) {
        *o = *b;
    }
    out
}

/// The text of a NUL-padded name field, up to the first NUL.
pub fn name_bytes(field: &[u8]) -> &[u8] {
    let end = field.iter().position(|b| *b == 0).unwrap_or(field.len());
    field.get(..end).unwrap_or(field)
}

// ---- ioctls --------------------------------------------------------------------------------

/// The ioctl magic number of `/dev/oom_guard`.
pub const IOCTL_MAGIC: u32 = 0xB7;

const IOC_WRITE: u32 = 1;
const IOC_READ: u32 = 2;

/// Encodes an ioctl number the way `<asm-generic/ioctl.h>` does (x86 and arm64).
pub const fn ioc(dir: u32, nr: u32, size: usize) -> u32 {
    // Sizes are checked below to fit the 14-bit field.
    (dir << 30) | ((size as u32) << 16) | (IOCTL_MAGIC << 8) | nr
}

/// `_IOR(0xB7, 0, u32)`: the ABI version, `major << 8 | minor`.
pub const IOCTL_GET_VERSION: u32 = ioc(IOC_READ, 0, core::mem::size_of::<u32>());
/// `_IOR(0xB7, 1, struct oom_guard_stats)`: counters, see [`Stats`].
pub const IOCTL_GET_STATS: u32 = ioc(IOC_READ, 1, core::mem::size_of::<Stats>());
/// `_IOR(0xB7, 2, struct oom_guard_zones)`: current zone snapshot, see [`Zones`].
pub const IOCTL_GET_ZONES: u32 = ioc(IOC_READ, 2, core::mem::size_of::<Zones>());
/// `_IOR(0xB7, 3, struct oom_guard_config)`: runtime configuration, see [`Config`].
pub const IOCTL_GET_CONFIG: u32 = ioc(IOC_READ, 3, core::mem::size_of::<Config>());
/// `_IOW(0xB7, 4, struct oom_guard_config)`: set the configuration; needs `CAP_SYS_ADMIN`.
pub const IOCTL_SET_CONFIG: u32 = ioc(IOC_WRITE, 4, core::mem::size_of::<Config>());

const _: () = assert!(core::mem::size_of::<Zones>() < (1 << 14));

/// Counters returned by [`IOCTL_GET_STATS`] (all `u64`, 128 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Calls of the OOM notifier.
    pub oom_calls: u64,
    /// Calls that averted a kill.
    pub averts: u64,
    /// Pages released from the pool.
    pub pages_released: u64,
    /// Pages refilled into the pool.
    pub pages_refilled: u64,
    /// Refill steps that failed to allocate.
    pub refill_failures: u64,
    /// Pressure level changes.
    pub level_changes: u64,
    /// Events produced.
    pub events: u64,
    /// Events lost, summed over all readers.
    pub events_lost: u64,
    /// Longest OOM callback in nanoseconds.
    pub callback_max_ns: u64,
    /// Mean OOM callback in nanoseconds.
    pub callback_avg_ns: u64,
    /// Current [`Level`].
    pub level: u64,
    /// Pages in the pool now.
    pub pool_pages: u64,
    /// The pool's target size in pages.
    pub pool_target: u64,
    /// Open readers.
    pub readers: u64,
    /// OOM kills observed (increase of `oom_kill` since load).
    pub kills: u64,
    /// Samples taken by the watermark monitor (its wake-ups).
    pub samples: u64,
}

/// Zone snapshot returned by [`IOCTL_GET_ZONES`].
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Zones {
    /// Valid entries in `zones`.
    pub nr_zones: u32,
    /// `FLAG_*` bits.
    pub flags: u32,
    /// Free pages, all zones.
    pub free_pages: u64,
    /// Available pages.
    pub available_pages: u64,
    /// The current [`Level`].
    pub level: u64,
    /// One entry per populated zone.
    pub zones: [ZoneSnapshot; MAX_ZONES],
}

/// The policy of the OOM notifier, in [`Config::policy`].
pub const POLICY_OBSERVE: u32 = 0;
/// Release pool pages and report them freed.
pub const POLICY_AVERT: u32 = 1;

/// Runtime configuration, read by [`IOCTL_GET_CONFIG`] and written by [`IOCTL_SET_CONFIG`].
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Config {
    /// [`POLICY_OBSERVE`] or [`POLICY_AVERT`].
    pub policy: u32,
    /// Pages released per OOM call.
    pub release_chunk: u32,
    /// Averts allowed per budget window.
    pub avert_budget: u32,
    /// Budget window in milliseconds.
    pub budget_window_ms: u32,
    /// Time above the high watermarks before the pool refills, in milliseconds.
    pub refill_delay_ms: u32,
    /// Sampling period far from the watermarks, in milliseconds.
    pub sample_slow_ms: u32,
    /// Sampling period near the watermarks, in milliseconds.
    pub sample_fast_ms: u32,
    /// Zero.
    pub reserved: u32,
}
