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
pub const ABI_MINOR: u8 = 3;
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

/// A time to exhaustion that is not known: available memory is not falling.
pub const TTE_UNKNOWN: u64 = u64::MAX;

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
    /// The headroom level changed ([`Headroom`]); since ABI 1.1.
    Headroom = 6,
    /// Reclaim started, escalated to direct reclaim, or ended ([`Reclaim`]); since ABI 1.1.
    Reclaim = 7,
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
            6 => Some(Self::Headroom),
            7 => Some(Self::Reclaim),
            _ => None,
        }
    }

    /// Size in bytes of a whole record of this type, header included, as this ABI version
    /// writes it.
    pub const fn record_size(self) -> usize {
        HEADER_SIZE
            + match self {
                Self::Pressure => PRESSURE_SIZE,
                Self::Oom => OOM_SIZE,
                Self::Pool => POOL_SIZE,
                Self::Kill => KILL_SIZE,
                Self::Lost => LOST_SIZE,
                Self::Headroom => HEADROOM_SIZE,
                Self::Reclaim => RECLAIM_SIZE,
            }
    }

    /// The smallest size a record of this type can have: its size in the ABI version that
    /// introduced it (a `PRESSURE` record from ABI 1.0 lacks the 1.1 trailing fields).
    pub const fn min_record_size(self) -> usize {
        match self {
            Self::Pressure => HEADER_SIZE + PRESSURE_SIZE_1_0,
            _ => self.record_size(),
        }
    }
}

/// A headroom level from available memory, in rising severity. The numbers are GLib's
/// memory-monitor warning levels (`G_MEMORY_MONITOR_WARNING_LEVEL_*`).
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum HeadroomLevel {
    /// Available memory is above every threshold.
    #[default]
    Plenty = 0,
    /// Below the low threshold: a good time to drop caches.
    Low = 50,
    /// Below the medium threshold: free what can be freed.
    Medium = 100,
    /// Below the critical threshold: the OOM killer is near.
    Critical = 255,
}

impl HeadroomLevel {
    /// Converts a raw level number.
    pub fn from_raw(raw: u8) -> Option<Self> {
        match raw {
            0 => Some(Self::Plenty),
            50 => Some(Self::Low),
            100 => Some(Self::Medium),
            255 => Some(Self::Critical),
            _ => None,
        }
    }

    /// The level's name as printed by the reader.
    pub fn name(self) -> &'static str {
        match self {
            Self::Plenty => "plenty",
            Self::Low => "low",
            Self::Medium => "medium",
            Self::Critical => "critical",
        }
    }
}

/// What a [`Reclaim`] record reports, in [`Reclaim::phase`].
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReclaimPhase {
    /// Reclaim started: the kernel called our shrinker after a quiet period.
    Onset = 1,
    /// Direct reclaim started within an episode that was kswapd-only so far: allocations now
    /// stall.
    Direct = 2,
    /// No reclaim for `reclaim_quiet_ms`: the episode is over.
    End = 3,
}

impl ReclaimPhase {
    /// Converts a raw phase number.
    pub fn from_raw(raw: u8) -> Option<Self> {
        match raw {
            1 => Some(Self::Onset),
            2 => Some(Self::Direct),
            3 => Some(Self::End),
            _ => None,
        }
    }

    /// The phase's name as printed by the reader.
    pub fn name(self) -> &'static str {
        match self {
            Self::Onset => "onset",
            Self::Direct => "direct",
            Self::End => "end",
        }
    }
}

/// [`Reclaim::who`] bit: kswapd reclaimed during the episode.
pub const RECLAIM_KSWAPD: u8 = 1 << 0;
/// [`Reclaim::who`] bit: a task entered direct reclaim during the episode.
pub const RECLAIM_DIRECT: u8 = 1 << 1;

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
    /// Pages were released from the pool and reported freed: the kernel skips this round's
    /// kill, unless the OOM was forced with sysrq-f (which the notifier cannot tell). Printed
    /// `release`: whether the kill was averted shows later (a `KILL` record, or none).
    Avert = 1,
    /// The avert budget of the current window is spent: reported 0; the kernel kills.
    BudgetSpent = 2,
    /// The pool is empty: reported 0; the kernel kills.
    PoolEmpty = 3,
    /// A victim of an earlier kill is still dying: the kernel picks no new victim and retries,
    /// so the pool is left alone and 0 is reported. Such calls are coalesced into one record
    /// whose `calls` counts them (since ABI 1.3).
    KillPending = 4,
    /// No zone the allocation can use holds enough pool pages to lift it above its min
    /// watermark: nothing is released (it would be spent without averting anything), 0 is
    /// reported and the kernel kills (since ABI 1.3).
    PoolShort = 5,
}

impl OomAction {
    /// Converts a raw action number.
    pub fn from_raw(raw: u8) -> Option<Self> {
        match raw {
            0 => Some(Self::Observe),
            1 => Some(Self::Avert),
            2 => Some(Self::BudgetSpent),
            3 => Some(Self::PoolEmpty),
            4 => Some(Self::KillPending),
            5 => Some(Self::PoolShort),
            _ => None,
        }
    }

    /// The action's name as printed by the reader.
    pub fn name(self) -> &'static str {
        match self {
            Self::Observe => "observe",
            Self::Avert => "release",
            Self::BudgetSpent => "budget-spent",
            Self::PoolEmpty => "pool-empty",
            Self::KillPending => "kill-pending",
            Self::PoolShort => "pool-short",
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
    /// `lowmem_reserve[ZONE_MOVABLE]`: what the zone keeps back from a user page allocation.
    pub reserve: u64,
    /// Pages managed by the buddy allocator.
    pub managed: u64,
}

impl ZoneSnapshot {
    /// An all-zero snapshot (a `const` [`Default`]).
    pub const EMPTY: Self = Self {
        node: 0,
        zone_idx: 0,
        state: 0,
        reserved: 0,
        name: [0; ZONE_NAME_LEN],
        free: 0,
        min: 0,
        low: 0,
        high: 0,
        boost: 0,
        reserve: 0,
        managed: 0,
    };
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
    /// The [`HeadroomLevel`] at the time (ABI 1.1).
    pub headroom: u8,
    /// Zero.
    pub reserved2: [u8; 7],
    /// How fast usable memory (free plus reclaimable) falls, smoothed, in pages per second (0:
    /// not falling) (ABI 1.1).
    pub fall_rate: u64,
    /// Estimated milliseconds until free memory reaches the min watermarks at that rate, or
    /// [`TTE_UNKNOWN`] (ABI 1.1).
    pub tte_ms: u64,
}

/// Payload of a [`RecordType::Oom`] record.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Oom {
    /// An [`OomAction`].
    pub action: u8,
    /// The [`Level`] at the time.
    pub level: u8,
    /// Notifier calls this record stands for: 1, or more for coalesced `kill-pending` calls
    /// (saturating). 0 from producers before ABI 1.3.
    pub calls: u16,
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

/// Payload of a [`RecordType::Headroom`] record: the headroom level changed (80 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Headroom {
    /// The previous [`HeadroomLevel`].
    pub old_level: u8,
    /// The new [`HeadroomLevel`].
    pub new_level: u8,
    /// The watermark [`Level`] at the time.
    pub wm_level: u8,
    /// The [`ZoneState`] of user page allocations at the time (the best zone's).
    pub wm_state: u8,
    /// Zero.
    pub reserved: u32,
    /// Free pages, all zones.
    pub free_pages: u64,
    /// Available pages (`si_mem_available()`), what the thresholds apply to.
    pub available_pages: u64,
    /// Pages managed by the allocator, all zones (what percentages are of).
    pub total_pages: u64,
    /// Low threshold in available pages.
    pub low_pages: u64,
    /// Medium threshold in available pages.
    pub medium_pages: u64,
    /// Critical threshold in available pages.
    pub critical_pages: u64,
    /// Free pages at which allocations fail: the sum over zones of the min watermark, its
    /// boost and the lowmem reserve. The time to exhaustion counts down to it.
    pub floor_pages: u64,
    /// How fast usable memory (free plus reclaimable) falls, smoothed, in pages per second (0:
    /// not falling).
    pub fall_rate: u64,
    /// Estimated milliseconds until the floor is reached, or [`TTE_UNKNOWN`].
    pub tte_ms: u64,
}

/// Payload of a [`RecordType::Reclaim`] record (48 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reclaim {
    /// A [`ReclaimPhase`].
    pub phase: u8,
    /// [`RECLAIM_KSWAPD`] and [`RECLAIM_DIRECT`] bits: who reclaimed during the episode so far.
    pub who: u8,
    /// The watermark [`Level`] at the time.
    pub wm_level: u8,
    /// The [`HeadroomLevel`] at the time.
    pub headroom: u8,
    /// Zero.
    pub reserved: u32,
    /// Shrinker calls from kswapd during the episode so far.
    pub kswapd_calls: u64,
    /// Shrinker calls from direct reclaim during the episode so far.
    pub direct_calls: u64,
    /// Milliseconds since the episode's onset (0 in the onset record).
    pub duration_ms: u64,
    /// Free pages, all zones.
    pub free_pages: u64,
    /// Available pages.
    pub available_pages: u64,
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
/// Size of [`Headroom`].
pub const HEADROOM_SIZE: usize = core::mem::size_of::<Headroom>();
/// Size of [`Reclaim`].
pub const RECLAIM_SIZE: usize = core::mem::size_of::<Reclaim>();
/// Size of [`Pressure`] in ABI 1.0, before the trailing headroom fields.
pub const PRESSURE_SIZE_1_0: usize = 24 + MAX_ZONES * ZONE_SIZE;
/// Size of [`ZoneSnapshot`].
pub const ZONE_SIZE: usize = core::mem::size_of::<ZoneSnapshot>();
/// The largest record: a buffer of this size always holds at least one record.
pub const MAX_RECORD_SIZE: usize = HEADER_SIZE + OOM_SIZE;

// The layout is part of the ABI: any change here is an ABI change.
const _: () = assert!(HEADER_SIZE == 32);
const _: () = assert!(ZONE_SIZE == 72);
const _: () = assert!(PRESSURE_SIZE == PRESSURE_SIZE_1_0 + 24);
const _: () = assert!(PRESSURE_SIZE < OOM_SIZE);
const _: () = assert!(HEADROOM_SIZE == 80);
const _: () = assert!(RECLAIM_SIZE == 48);
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
    /// See [`Headroom`].
    Headroom(Headroom),
    /// See [`Reclaim`].
    Reclaim(Reclaim),
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
            Self::Headroom(_) => RecordType::Headroom,
            Self::Reclaim(_) => RecordType::Reclaim,
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
            w.u8(p.headroom)?;
            w.bytes(&[0; 7])?;
            w.u64(p.fall_rate)?;
            w.u64(p.tte_ms)?;
        }
        Payload::Oom(o) => {
            w.u8(o.action)?;
            w.u8(o.level)?;
            w.u16(o.calls)?;
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
        Payload::Headroom(h) => {
            w.u8(h.old_level)?;
            w.u8(h.new_level)?;
            w.u8(h.wm_level)?;
            w.u8(h.wm_state)?;
            w.u32(0)?;
            for v in [
                h.free_pages,
                h.available_pages,
                h.total_pages,
                h.low_pages,
                h.medium_pages,
                h.critical_pages,
                h.floor_pages,
                h.fall_rate,
                h.tte_ms,
            ] {
                w.u64(v)?;
            }
        }
        Payload::Reclaim(r) => {
            w.u8(r.phase)?;
            w.u8(r.who)?;
            w.u8(r.wm_level)?;
            w.u8(r.headroom)?;
            w.u32(0)?;
            for v in [
                r.kswapd_calls,
                r.direct_calls,
                r.duration_ms,
                r.free_pages,
                r.available_pages,
            ] {
                w.u64(v)?;
            }
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
    if size < rtype.min_record_size() {
        return Err(CodecError::BadSize);
    }
    let mut r = Reader { buf: body, pos: 0 };
    let payload = match rtype {
        RecordType::Pressure => {
            let source = r.u8()?;
            let old_level = r.u8()?;
            let new_level = r.u8()?;
            let _reserved = r.u8()?;
            let mut p = Pressure {
                source,
                old_level,
                new_level,
                reserved: 0,
                nr_zones: r.u32()?,
                free_pages: r.u64()?,
                available_pages: r.u64()?,
                zones: r.zones()?,
                headroom: 0,
                reserved2: [0; 7],
                fall_rate: 0,
                tte_ms: TTE_UNKNOWN,
            };
            // ABI 1.1 trailing fields, absent from a 1.0 record.
            if size >= RecordType::Pressure.record_size() {
                p.headroom = r.u8()?;
                let _reserved: [u8; 7] = r.array()?;
                p.fall_rate = r.u64()?;
                p.tte_ms = r.u64()?;
            }
            Payload::Pressure(p)
        }
        RecordType::Oom => {
            let action = r.u8()?;
            let level = r.u8()?;
            let calls = r.u16()?;
            Payload::Oom(Oom {
                action,
                level,
                calls,
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
        RecordType::Headroom => {
            let old_level = r.u8()?;
            let new_level = r.u8()?;
            let wm_level = r.u8()?;
            let wm_state = r.u8()?;
            let _reserved = r.u32()?;
            Payload::Headroom(Headroom {
                old_level,
                new_level,
                wm_level,
                wm_state,
                reserved: 0,
                free_pages: r.u64()?,
                available_pages: r.u64()?,
                total_pages: r.u64()?,
                low_pages: r.u64()?,
                medium_pages: r.u64()?,
                critical_pages: r.u64()?,
                floor_pages: r.u64()?,
                fall_rate: r.u64()?,
                tte_ms: r.u64()?,
            })
        }
        RecordType::Reclaim => {
            let phase = r.u8()?;
            let who = r.u8()?;
            let wm_level = r.u8()?;
            let headroom = r.u8()?;
            let _reserved = r.u32()?;
            Payload::Reclaim(Reclaim {
                phase,
                who,
                wm_level,
                headroom,
                reserved: 0,
                kswapd_calls: r.u64()?,
                direct_calls: r.u64()?,
                duration_ms: r.u64()?,
                free_pages: r.u64()?,
                available_pages: r.u64()?,
            })
        }
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

/// Size of [`Stats`] in ABI 1.0: the first 16 counters.
pub const STATS_SIZE_1_0: usize = 128;
/// Size of [`Config`] in ABI 1.0: the first 8 fields.
pub const CONFIG_SIZE_1_0: usize = 32;
/// The ABI 1.0 number of [`IOCTL_GET_STATS`]: still answered, with the first 128 bytes.
pub const IOCTL_GET_STATS_1_0: u32 = ioc(IOC_READ, 1, STATS_SIZE_1_0);
/// Size of [`Stats`] in ABI 1.1: the first 24 counters.
pub const STATS_SIZE_1_1: usize = 192;
/// The ABI 1.1 number of [`IOCTL_GET_STATS`]: still answered, with the first 192 bytes.
pub const IOCTL_GET_STATS_1_1: u32 = ioc(IOC_READ, 1, STATS_SIZE_1_1);
/// The ABI 1.0 number of [`IOCTL_GET_CONFIG`]: still answered, with the first 32 bytes.
pub const IOCTL_GET_CONFIG_1_0: u32 = ioc(IOC_READ, 3, CONFIG_SIZE_1_0);
/// The ABI 1.0 number of [`IOCTL_SET_CONFIG`]: still accepted; it sets the first 32 bytes and
/// keeps the fields added since.
pub const IOCTL_SET_CONFIG_1_0: u32 = ioc(IOC_WRITE, 4, CONFIG_SIZE_1_0);

const _: () = assert!(core::mem::size_of::<Zones>() < (1 << 14));

/// Counters returned by [`IOCTL_GET_STATS`] (all `u64`, 224 bytes; the first 128 are ABI 1.0,
/// the first 192 ABI 1.1).
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
    /// Current [`HeadroomLevel`] (ABI 1.1).
    pub headroom: u64,
    /// Headroom level changes (ABI 1.1).
    pub headroom_changes: u64,
    /// How fast usable memory falls now, smoothed, in pages per second, 0 if not falling (ABI
    /// 1.1).
    pub fall_rate: u64,
    /// Estimated milliseconds until free memory reaches the min watermarks, or
    /// [`TTE_UNKNOWN`] (ABI 1.1).
    pub tte_ms: u64,
    /// Reclaim episodes seen through the shrinker (ABI 1.1).
    pub reclaim_episodes: u64,
    /// Shrinker calls from kswapd since load (ABI 1.1).
    pub reclaim_kswapd_calls: u64,
    /// Shrinker calls from direct reclaim since load (ABI 1.1).
    pub reclaim_direct_calls: u64,
    /// 1 while a reclaim episode is running, else 0 (ABI 1.1).
    pub reclaim_active: u64,
    /// Nanoseconds the watermark monitor has spent in its samples since load, the cost of
    /// [`Stats::samples`] (ABI 1.2).
    pub monitor_ns: u64,
    /// Runs of the per-CPU peek timers since load (ABI 1.2).
    pub peek_runs: u64,
    /// Peek timer runs that saw free memory fall fast and woke the monitor (ABI 1.2).
    pub peek_wakes: u64,
    /// Nanoseconds the peek timers have spent since load (ABI 1.2).
    pub peek_ns: u64,
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
    /// Unit of the headroom thresholds: [`HEADROOM_PERCENT`] or [`HEADROOM_KIB`] (ABI 1.1).
    pub headroom_unit: u32,
    /// Available memory below which the headroom is low (ABI 1.1).
    pub headroom_low: u32,
    /// Available memory below which the headroom is medium (ABI 1.1).
    pub headroom_medium: u32,
    /// Available memory below which the headroom is critical (ABI 1.1).
    pub headroom_critical: u32,
    /// How far above a threshold available memory must rise to leave its level (ABI 1.1).
    pub headroom_hysteresis: u32,
    /// Shortest adaptive sampling interval in milliseconds (ABI 1.1).
    pub sample_min_ms: u32,
    /// Milliseconds without a shrinker call that end a reclaim episode (ABI 1.1).
    pub reclaim_quiet_ms: u32,
    /// Zero.
    pub reserved2: u32,
}

/// [`Config::headroom_unit`]: thresholds in percent of the pages managed by the allocator.
pub const HEADROOM_PERCENT: u32 = 0;
/// [`Config::headroom_unit`]: thresholds in KiB.
pub const HEADROOM_KIB: u32 = 1;

const _: () = assert!(core::mem::size_of::<Stats>() == STATS_SIZE_1_1 + 32);
const _: () = assert!(STATS_SIZE_1_1 == STATS_SIZE_1_0 + 64);
const _: () = assert!(core::mem::size_of::<Config>() == CONFIG_SIZE_1_0 + 32);

impl Stats {
    /// The counters from the `u64` words an older (shorter) [`IOCTL_GET_STATS`] returned, in
    /// struct order; the counters the words do not reach are zero.
    pub fn from_words(w: &[u64]) -> Self {
        let g = |i: usize| w.get(i).copied().unwrap_or(0);
        Stats {
            oom_calls: g(0),
            averts: g(1),
            pages_released: g(2),
            pages_refilled: g(3),
            refill_failures: g(4),
            level_changes: g(5),
            events: g(6),
            events_lost: g(7),
            callback_max_ns: g(8),
            callback_avg_ns: g(9),
            level: g(10),
            pool_pages: g(11),
            pool_target: g(12),
            readers: g(13),
            kills: g(14),
            samples: g(15),
            headroom: g(16),
            headroom_changes: g(17),
            fall_rate: g(18),
            tte_ms: g(19),
            reclaim_episodes: g(20),
            reclaim_kswapd_calls: g(21),
            reclaim_direct_calls: g(22),
            reclaim_active: g(23),
            monitor_ns: g(24),
            peek_runs: g(25),
            peek_wakes: g(26),
            peek_ns: g(27),
        }
    }
}

impl Config {
    /// The thresholds in available pages, given the pages managed by the allocator and the
    /// page size: `(low, medium, critical, hysteresis)`.
    pub fn headroom_pages(&self, total_pages: u64, page_size: u64) -> (u64, u64, u64, u64) {
        let conv = |v: u32| -> u64 {
            if self.headroom_unit == HEADROOM_KIB {
                u64::from(v).saturating_mul(1024) / page_size.max(1)
            } else {
                total_pages.saturating_mul(u64::from(v)) / 100
            }
        };
        (
            conv(self.headroom_low),
            conv(self.headroom_medium),
            conv(self.headroom_critical),
            conv(self.headroom_hysteresis),
        )
    }
}
