// SPDX-License-Identifier: GPL-2.0

//! The ioctls of `/dev/oom_guard`: numbers, and the structs they read and write.
//!
//! An ioctl number encodes the size of its struct. Structs only grow at the end: a minor
//! version that appends fields gives the ioctl a new number and keeps answering the old one
//! with the struct's first bytes, so a client built against an older minor keeps working.

use super::*;

/// The ioctl magic number of `/dev/oom_guard`.
pub const IOCTL_MAGIC: u32 = 0xB7;

pub(crate) const IOC_WRITE: u32 = 1;
pub(crate) const IOC_READ: u32 = 2;

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

/// Counters returned by [`IOCTL_GET_STATS`] (all `u64`, 248 bytes).
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
    /// Events lost, summed over all readers; counted when a reader reads its `LOST` record.
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
    /// Current [`HeadroomLevel`].
    pub headroom: u64,
    /// Headroom level changes.
    pub headroom_changes: u64,
    /// How fast usable memory falls now, smoothed, in pages per second, 0 if not falling.
    pub fall_rate: u64,
    /// Estimated milliseconds until free memory reaches the min watermarks, or
    /// [`TTE_UNKNOWN`].
    pub tte_ms: u64,
    /// Reclaim episodes seen through the shrinker.
    pub reclaim_episodes: u64,
    /// Shrinker calls from kswapd since load.
    pub reclaim_kswapd_calls: u64,
    /// Shrinker calls from direct reclaim since load.
    pub reclaim_direct_calls: u64,
    /// 1 while a reclaim episode is running, else 0.
    pub reclaim_active: u64,
    /// Nanoseconds the watermark monitor has spent in its samples since load, the cost of
    /// [`Stats::samples`].
    pub monitor_ns: u64,
    /// Runs of the per-CPU peek timers since load.
    pub peek_runs: u64,
    /// Peek timer runs that saw free memory fall fast and woke the monitor.
    pub peek_wakes: u64,
    /// Nanoseconds the peek timers have spent since load.
    pub peek_ns: u64,
    /// OOM victims named by the victim probe since load (0 without it).
    pub victims: u64,
    /// Longest victim probe call in nanoseconds.
    pub probe_max_ns: u64,
    /// Mean victim probe call in nanoseconds.
    pub probe_avg_ns: u64,
}

/// How a counter of [`Stats`] reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatKind {
    /// A count.
    Count,
    /// An amount of memory, in pages.
    Pages,
    /// A rate, in pages per second.
    PagesPerS,
    /// A time, in nanoseconds.
    Ns,
    /// A [`Level`] number.
    Level,
    /// A [`HeadroomLevel`] number.
    Headroom,
    /// Milliseconds, or [`TTE_UNKNOWN`].
    Tte,
    /// 0 or 1.
    Flag,
}

/// One counter of [`Stats`]: its name, how it reads, and where it lives. [`STATS_FIELDS`] lists
/// them all.
#[derive(Clone, Copy, Debug)]
pub struct StatField {
    /// The counter's name (the field's).
    pub name: &'static str,
    /// The name reports give it: the field's, with its unit at the end where the field's name
    /// lacks it (`pool_target_pages`, `fall_rate_pages_per_s`).
    pub key: &'static str,
    /// How it reads.
    pub kind: StatKind,
    /// Its index among the `u64` words of `struct oom_guard_stats`.
    pub word: usize,
    /// Reads the counter.
    pub get: fn(&Stats) -> u64,
    /// Writes the counter.
    pub set: fn(&mut Stats, u64),
}

macro_rules! stat {
    ($name:ident, $kind:ident) => {
        stat!($name => $name, $kind)
    };
    ($name:ident => $key:ident, $kind:ident) => {
        StatField {
            name: stringify!($name),
            key: stringify!($key),
            kind: StatKind::$kind,
            word: core::mem::offset_of!(Stats, $name) / 8,
            get: |s| s.$name,
            set: |s, v| s.$name = v,
        }
    };
}

/// Every counter of [`Stats`], in the order reports show them (state and the OOM path first,
/// then the monitor).
pub const STATS_FIELDS: [StatField; 31] = [
    stat!(level, Level),
    stat!(oom_calls, Count),
    stat!(averts, Count),
    stat!(kills, Count),
    stat!(pages_released, Pages),
    stat!(pages_refilled, Pages),
    stat!(refill_failures, Count),
    stat!(pool_pages, Pages),
    stat!(pool_target => pool_target_pages, Pages),
    stat!(level_changes, Count),
    stat!(events, Count),
    stat!(events_lost, Count),
    stat!(readers, Count),
    stat!(callback_max_ns, Ns),
    stat!(callback_avg_ns, Ns),
    stat!(samples, Count),
    stat!(headroom, Headroom),
    stat!(headroom_changes, Count),
    stat!(fall_rate => fall_rate_pages_per_s, PagesPerS),
    stat!(tte_ms, Tte),
    stat!(reclaim_episodes, Count),
    stat!(reclaim_kswapd_calls, Count),
    stat!(reclaim_direct_calls, Count),
    stat!(reclaim_active, Flag),
    stat!(monitor_ns, Ns),
    stat!(peek_runs, Count),
    stat!(peek_wakes, Count),
    stat!(peek_ns, Ns),
    stat!(victims, Count),
    stat!(probe_max_ns, Ns),
    stat!(probe_avg_ns, Ns),
];

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
    /// Unit of the headroom thresholds: [`HEADROOM_PERCENT`] or [`HEADROOM_KIB`].
    pub headroom_unit: u32,
    /// Available memory below which the headroom is low.
    pub headroom_low: u32,
    /// Available memory below which the headroom is medium.
    pub headroom_medium: u32,
    /// Available memory below which the headroom is critical.
    pub headroom_critical: u32,
    /// How far above a threshold available memory must rise to leave its level.
    pub headroom_hysteresis: u32,
    /// Shortest adaptive sampling interval in milliseconds.
    pub sample_min_ms: u32,
    /// Milliseconds without a shrinker call that end a reclaim episode.
    pub reclaim_quiet_ms: u32,
    /// Zero.
    pub reserved2: u32,
}

/// [`Config::headroom_unit`]: thresholds in percent of the pages managed by the allocator.
pub const HEADROOM_PERCENT: u32 = 0;
/// [`Config::headroom_unit`]: thresholds in KiB.
pub const HEADROOM_KIB: u32 = 1;

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
