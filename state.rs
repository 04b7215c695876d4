// SPDX-License-Identifier: GPL-2.0

//! The state shared by every stage: the event ring, the pool, the configuration, the budget,
//! the monitor's bookkeeping and the counters.

use crate::abi::{self, Config, HeadroomLevel, Level, Stats, TTE_UNKNOWN};
use crate::events::Events;
use crate::ffi::Waker;
use crate::headroom::RateEstimator;
use crate::level::LevelTracker;
use crate::pool::Pool;
use core::sync::atomic::{AtomicU64, Ordering::Relaxed};
use kernel::{new_spinlock, prelude::*, sync::SpinLock};

/// Time constant of the fall-rate estimate, in nanoseconds.
const RATE_TAU_NS: u64 = 200_000_000;

/// Counters reported by the stats ioctl. Relaxed atomics: each is independent.
#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) oom_calls: AtomicU64,
    pub(crate) averts: AtomicU64,
    pub(crate) pages_released: AtomicU64,
    pub(crate) pages_refilled: AtomicU64,
    pub(crate) refill_failures: AtomicU64,
    pub(crate) level_changes: AtomicU64,
    pub(crate) callback_max_ns: AtomicU64,
    pub(crate) callback_total_ns: AtomicU64,
    pub(crate) kills: AtomicU64,
    pub(crate) level: AtomicU64,
    pub(crate) samples: AtomicU64,
    /// The current [`HeadroomLevel`].
    pub(crate) headroom: AtomicU64,
    pub(crate) headroom_changes: AtomicU64,
    /// The monitor's last fall-rate estimate (pages/s, 0 if not falling).
    pub(crate) fall_rate: AtomicU64,
    /// The monitor's last time-to-exhaustion estimate (ms, or `TTE_UNKNOWN`).
    pub(crate) tte_ms: AtomicU64,
    pub(crate) reclaim_episodes: AtomicU64,
    /// Shrinker calls from kswapd, written by the shrinker.
    pub(crate) reclaim_kswapd: AtomicU64,
    /// Shrinker calls from direct reclaim, written by the shrinker.
    pub(crate) reclaim_direct: AtomicU64,
    /// Time (monotonic ns) of the last shrinker call.
    pub(crate) reclaim_last_ns: AtomicU64,
    /// `RECLAIM_*` bits seen by the shrinker since the monitor last ended an episode.
    pub(crate) reclaim_seen: AtomicU64,
    /// Free pages at the monitor's last sample, for the peek timers.
    pub(crate) last_free: AtomicU64,
    /// Pages managed by the allocator at the monitor's last sample.
    pub(crate) total_pages: AtomicU64,
    /// Times a peek timer woke the monitor.
    pub(crate) peek_wakes: AtomicU64,
    /// Nanoseconds spent in the monitor's samples.
    pub(crate) monitor_ns: AtomicU64,
    /// Runs of the peek timers.
    pub(crate) peek_runs: AtomicU64,
    /// Nanoseconds spent in the peek timers.
    pub(crate) peek_ns: AtomicU64,
}

/// A reclaim episode as the monitor follows it.
#[derive(Clone, Copy)]
pub(crate) struct Episode {
    /// Monotonic ns of the onset the monitor reported.
    pub(crate) start_ns: u64,
    /// The shrinker counters at the onset.
    pub(crate) kswapd0: u64,
    pub(crate) direct0: u64,
    /// `RECLAIM_*` bits reported so far.
    pub(crate) who: u8,
}

/// A notifier record held back while calls are coalesced into it.
pub(crate) struct Pending {
    /// Time of the first call.
    pub(crate) time_ns: u64,
    pub(crate) flags: u32,
    pub(crate) oom: abi::Oom,
    /// Time of the last call coalesced into it.
    pub(crate) last_ns: u64,
}

/// What the OOM notifier remembers between calls: the avert budget, the OOM episode, and
/// the kill in flight.
///
/// The budget counts OOM *episodes*, not calls: an episode opens with the first release and
/// closes when memory has been calm for `refill_delay_ms` (level ok, zones above low: when the
/// pool starts to refill). A spike that needs ten rounds of
/// releases is one episode; at most `avert_budget` episodes open per `budget_window_ms`, so a
/// hog that comes back again and again (each time after the pool has refilled) is killed in
/// the end. Within an episode, the pool itself is the limit.
#[derive(Default)]
pub(crate) struct OomState {
    /// Start of the current budget window (monotonic ns), 0 before the first episode.
    pub(crate) window_start: u64,
    /// Episodes opened in the current window.
    pub(crate) episodes: u32,
    /// Whether an episode is open.
    pub(crate) episode_open: bool,
    /// The kernel's `oom_kill` count at the last call.
    pub(crate) kills_seen: u64,
    /// Whether the last call reported nothing freed (so the kernel went on to kill).
    pub(crate) last_zero: bool,
    /// When (monotonic ns) a kill after such a call was first seen; 0 if none is in flight.
    pub(crate) kill_at: u64,
    /// Free pages then.
    pub(crate) kill_free: u64,
    /// The `kill-pending` record calls are being coalesced into.
    pub(crate) pending: Option<Pending>,
}

/// What the watermark monitor remembers between samples.
pub(crate) struct MonitorState {
    /// The level state machine.
    pub(crate) tracker: LevelTracker,
    /// Since when (monotonic ns) memory has been calm (level ok, zones above low), if it is.
    pub(crate) calm_since: Option<u64>,
    /// The kernel's `oom_kill` counter at the last sample.
    pub(crate) last_oom_kill: u64,
    /// The headroom level with hysteresis.
    pub(crate) headroom: HeadroomLevel,
    /// The fall rate of usable memory.
    pub(crate) rate: RateEstimator,
    /// The reclaim episode in progress, if any.
    pub(crate) episode: Option<Episode>,
    /// The shrinker's (kswapd, direct) counters when the last episode ended: an onset counts
    /// the calls since, the ones that started it included.
    pub(crate) reclaim_base: (u64, u64),
}

/// Everything the OOM notifier, the monitor and the device share.
#[pin_data]
pub(crate) struct Guard {
    #[pin]
    pub(crate) events: Events,
    #[pin]
    pub(crate) pool: Pool,
    #[pin]
    pub(crate) config: SpinLock<Config>,
    #[pin]
    pub(crate) oom: SpinLock<OomState>,
    #[pin]
    pub(crate) monitor: SpinLock<MonitorState>,
    /// Wakes the monitor at once (from the shrinker).
    #[pin]
    pub(crate) waker: Waker,
    pub(crate) counters: Counters,
}

impl Guard {
    /// The shared state: a ring of `ring_size` records and a pool of `pool_pages` pages, both
    /// allocated now.
    pub(crate) fn new(
        config: Config,
        ring_size: usize,
        pool_pages: usize,
    ) -> Result<impl PinInit<Self, Error>> {
        let events = Events::new(ring_size)?;
        let pool = Pool::new(pool_pages)?;
        let last_oom_kill = crate::ffi::oom_kill_count_stable();
        Ok(try_pin_init!(Self {
            events <- events,
            pool <- pool,
            config <- new_spinlock!(config, "OomGuard::config"),
            oom <- new_spinlock!(
                OomState {
                    kills_seen: last_oom_kill,
                    ..OomState::default()
                },
                "OomGuard::oom"
            ),
            monitor <- new_spinlock!(
                MonitorState {
                    tracker: LevelTracker::new(),
                    calm_since: None,
                    last_oom_kill,
                    headroom: HeadroomLevel::Plenty,
                    rate: RateEstimator::new(RATE_TAU_NS),
                    episode: None,
                    reclaim_base: (0, 0),
                },
                "OomGuard::monitor"
            ),
            waker <- Waker::new(),
            counters: Counters {
                tte_ms: AtomicU64::new(TTE_UNKNOWN),
                ..Counters::default()
            },
        }))
    }

    /// The current configuration.
    pub(crate) fn config(&self) -> Config {
        *self.config.lock()
    }

    /// The current headroom level.
    pub(crate) fn headroom(&self) -> HeadroomLevel {
        let raw = self.counters.headroom.load(Relaxed);
        HeadroomLevel::from_raw(u8::try_from(raw).unwrap_or(0)).unwrap_or_default()
    }

    /// The current pressure level.
    pub(crate) fn level(&self) -> Level {
        let raw = self.counters.level.load(Relaxed);
        Level::from_raw(u8::try_from(raw).unwrap_or(0)).unwrap_or(Level::Ok)
    }

    /// A snapshot of every counter.
    pub(crate) fn stats(&self) -> Stats {
        let c = &self.counters;
        let (events, events_lost, readers) = self.events.counts();
        let calls = c.oom_calls.load(Relaxed);
        Stats {
            oom_calls: calls,
            averts: c.averts.load(Relaxed),
            pages_released: c.pages_released.load(Relaxed),
            pages_refilled: c.pages_refilled.load(Relaxed),
            refill_failures: c.refill_failures.load(Relaxed),
            level_changes: c.level_changes.load(Relaxed),
            events,
            events_lost,
            callback_max_ns: c.callback_max_ns.load(Relaxed),
            callback_avg_ns: c
                .callback_total_ns
                .load(Relaxed)
                .checked_div(calls)
                .unwrap_or(0),
            level: c.level.load(Relaxed),
            pool_pages: self.pool.len() as u64,
            pool_target: self.pool.target() as u64,
            readers,
            kills: c.kills.load(Relaxed),
            samples: c.samples.load(Relaxed),
            headroom: c.headroom.load(Relaxed),
            headroom_changes: c.headroom_changes.load(Relaxed),
            fall_rate: c.fall_rate.load(Relaxed),
            tte_ms: c.tte_ms.load(Relaxed),
            reclaim_episodes: c.reclaim_episodes.load(Relaxed),
            reclaim_kswapd_calls: c.reclaim_kswapd.load(Relaxed),
            reclaim_direct_calls: c.reclaim_direct.load(Relaxed),
            reclaim_active: u64::from(self.monitor.lock().episode.is_some()),
            monitor_ns: c.monitor_ns.load(Relaxed),
            peek_runs: c.peek_runs.load(Relaxed),
            peek_wakes: c.peek_wakes.load(Relaxed),
            peek_ns: c.peek_ns.load(Relaxed),
        }
    }
}
