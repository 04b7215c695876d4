// SPDX-License-Identifier: GPL-2.0

//! The records a `read()` returns: their types, layouts and sizes.

use super::*;

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
    /// The headroom level changed ([`Headroom`]).
    Headroom = 6,
    /// Reclaim started, escalated to direct reclaim, or ended ([`Reclaim`]).
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
    /// writes it. A record of a newer minor version may be longer (fields appended), never
    /// shorter.
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

    /// The smallest size in bytes a record of this type may have, header included: its size in
    /// the oldest 2.x minor version that has it. A reader accepts any size from this one up (a
    /// field this version appended and the record lacks reads as zero); a smaller one is
    /// corrupt.
    pub const fn min_record_size(self) -> usize {
        match self {
            // ABI 2.1 appended `free_ns`, `blocks_freed` and `span_us`.
            Self::Oom => HEADER_SIZE + OOM_SIZE_2_0,
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
    /// whose `calls` counts them.
    KillPending = 4,
    /// No zone the allocation can use holds enough pool pages to lift it above its min
    /// watermark: nothing is released (it would be spent without averting anything), 0 is
    /// reported and the kernel kills.
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
    /// The [`HeadroomLevel`] at the time.
    pub headroom: u8,
    /// Zero.
    pub reserved2: [u8; 7],
    /// How fast usable memory (free plus reclaimable) falls, smoothed, in pages per second (0:
    /// not falling).
    pub fall_rate: u64,
    /// Estimated milliseconds until free memory reaches the min watermarks at that rate, or
    /// [`TTE_UNKNOWN`].
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
    /// (saturating).
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
    /// ABI 2.1: nanoseconds of `callback_ns` the callback spent giving pool blocks back to the
    /// allocator (its `__free_pages` calls, timed once around the release loop); 0 if it freed
    /// none. 0 in a 2.0 record, which lacks it ([`Oom::has_free_fields`]).
    pub free_ns: u64,
    /// ABI 2.1: pool blocks the callback freed (`__free_pages` calls); 0 in a 2.0 record.
    pub blocks_freed: u32,
    /// ABI 2.1: microseconds from the first to the last notifier call this record stands for
    /// (the header's `time_ns` is the first's): 0 for a record of one call, saturating at
    /// `u32::MAX` ([`Oom::span_us_between`]). The coalesced event ends at
    /// [`Oom::end_ns`]. 0 in a 2.0 record, which lacks it ([`Oom::has_free_fields`]).
    pub span_us: u32,
}

impl Oom {
    /// Whether an `OOM` record of `size` bytes (its header's `size`) carries ABI 2.1's fields
    /// (`free_ns`, `blocks_freed` and `span_us`): false for a 2.0 record, whose payload ends
    /// with `zones`.
    pub const fn has_free_fields(size: u32) -> bool {
        size as usize >= HEADER_SIZE + OOM_SIZE
    }

    /// The `span_us` of a record whose first call was at `first_ns` and last at `last_ns`
    /// (monotonic ns): whole microseconds between them, 0 if `last_ns` is not later,
    /// saturating at `u32::MAX` (71 minutes).
    pub fn span_us_between(first_ns: u64, last_ns: u64) -> u32 {
        u32::try_from(last_ns.saturating_sub(first_ns) / 1_000).unwrap_or(u32::MAX)
    }

    /// When the event this record stands for ended (monotonic ns): its last call, `time_ns`
    /// (the header's, its first call) plus `span_us`. `time_ns` itself for a record of one call
    /// or a 2.0 record (`span_us` 0).
    pub fn end_ns(&self, time_ns: u64) -> u64 {
        time_ns.saturating_add(u64::from(self.span_us) * 1_000)
    }
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

/// Payload of a [`RecordType::Kill`] record (104 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Kill {
    /// `oom_kill` counter increase this record accounts for: 1 for a victim killed, 0 for a
    /// victim marked without a kill ([`KILL_EXITING`]), the counter's increase since the last
    /// look in a count-only record (no [`KILL_VICTIM`] flag: a kernel without the victim probe).
    pub kills: u64,
    /// The victim's thread id, 0 if unknown.
    pub victim_pid: u32,
    /// The victim's process id.
    pub victim_tgid: u32,
    /// The victim's user id.
    pub victim_uid: u32,
    /// The victim's `oom_score_adj`.
    pub oom_score_adj: i16,
    /// `KILL_*` bits.
    pub flags: u16,
    /// The victim's name, NUL-padded.
    pub victim_comm: [u8; COMM_LEN],
    /// The victim's resident memory in KiB: anon + file + shmem.
    pub victim_rss_kib: u64,
    /// Its anonymous memory in KiB.
    pub anon_kib: u64,
    /// Its file-backed memory in KiB.
    pub file_kib: u64,
    /// Its shared memory in KiB.
    pub shmem_kib: u64,
    /// Its page tables in KiB.
    pub pgtables_kib: u64,
    /// The victim's memory cgroup id (the inode number of its directory under
    /// `/sys/fs/cgroup`), 0 if unknown.
    pub cgroup_id: u64,
    /// Global OOM: nanoseconds from the guard's notifier call to the victim's selection; 0
    /// otherwise.
    pub select_ns: u64,
    /// The [`OomAction`] of that notifier call (valid with [`KILL_GLOBAL`]).
    pub notifier_action: u8,
    /// Zero.
    pub reserved: [u8; 7],
}

/// [`Kill::flags`] bit: the victim fields are valid (seen by the `oom:mark_victim` probe).
pub const KILL_VICTIM: u16 = 1 << 0;
/// [`Kill::flags`] bit: a global OOM: the guard's notifier ran for it (`notifier_action`,
/// `select_ns` valid).
pub const KILL_GLOBAL: u16 = 1 << 1;
/// [`Kill::flags`] bit: a memcg OOM (`memory.max`): the notifier chain does not run for it.
pub const KILL_MEMCG: u16 = 1 << 2;
/// [`Kill::flags`] bit: a victim marked without a kill: already exiting, given memory reserves
/// (`oom_kill` did not move).
pub const KILL_EXITING: u16 = 1 << 3;
/// [`Kill::flags`] bit: a further victim of the same OOM (`memory.oom.group`).
pub const KILL_GROUP: u16 = 1 << 4;

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
/// Size of [`Oom`] in ABI 2.0, before `free_ns`, `blocks_freed` and `span_us` were appended.
pub const OOM_SIZE_2_0: usize = 80 + MAX_ZONES * ZONE_SIZE;
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
/// Size of [`ZoneSnapshot`].
pub const ZONE_SIZE: usize = core::mem::size_of::<ZoneSnapshot>();
/// The largest record: a buffer of this size always holds at least one record.
pub const MAX_RECORD_SIZE: usize = HEADER_SIZE + OOM_SIZE;

// The layout is part of the ABI: any change here is an ABI change.
const _: () = assert!(HEADER_SIZE == 32);
const _: () = assert!(ZONE_SIZE == 72);
const _: () = assert!(PRESSURE_SIZE < OOM_SIZE);
const _: () = assert!(HEADROOM_SIZE == 80);
const _: () = assert!(RECLAIM_SIZE == 48);
const _: () = assert!(OOM_SIZE_2_0 == 656);
const _: () = assert!(OOM_SIZE == OOM_SIZE_2_0 + 16);
const _: () = assert!(POOL_SIZE == 32);
const _: () = assert!(KILL_SIZE == 104);
const _: () = assert!(LOST_SIZE == 16);
