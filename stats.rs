// SPDX-License-Identifier: GPL-2.0

//! The counters the stats ioctl reports, grouped by the stage that writes them, and the one
//! place that assembles them into an [`abi::Stats`] snapshot.
//!
//! Relaxed atomics: each counter is independent. The pool keeps its own refill counters
//! (`pool.rs`), the ring its event counts (`events.rs`); [`Counters::snapshot`] reads those too.

use crate::abi::{self, HeadroomLevel, Level, TTE_UNKNOWN};
use crate::events::Events;
use crate::pool::Pool;
use core::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// The OOM notifier's counters.
#[derive(Default)]
pub(crate) struct OomStats {
    /// Calls of the notifier.
    pub(crate) calls: AtomicU64,
    /// Calls that released pages.
    pub(crate) averts: AtomicU64,
    pub(crate) pages_released: AtomicU64,
    pub(crate) callback_max_ns: AtomicU64,
    pub(crate) callback_total_ns: AtomicU64,
}

/// The monitor's counters.
#[derive(Default)]
pub(crate) struct MonitorStats {
    pub(crate) samples: AtomicU64,
    /// Changes of the pressure level (the OOM notifier's included).
    pub(crate) level_changes: AtomicU64,
    pub(crate) headroom_changes: AtomicU64,
    /// OOM kills the monitor saw.
    pub(crate) kills: AtomicU64,
    pub(crate) reclaim_episodes: AtomicU64,
    /// Nanoseconds spent in the monitor's samples.
    pub(crate) monitor_ns: AtomicU64,
}

/// The reclaim hook's counters: its calls, by who reclaims.
#[derive(Default)]
pub(crate) struct ReclaimStats {
    /// Shrinker calls from kswapd.
    pub(crate) kswapd: AtomicU64,
    /// Shrinker calls from direct reclaim.
    pub(crate) direct: AtomicU64,
}

/// The victims stage's counters.
#[derive(Default)]
pub(crate) struct VictimStats {
    /// Victims named by the probe.
    pub(crate) named: AtomicU64,
    /// Nanoseconds of the longest probe call.
    pub(crate) probe_max_ns: AtomicU64,
    /// Nanoseconds spent in probe calls.
    pub(crate) probe_total_ns: AtomicU64,
}

/// The per-CPU peek timers' counters.
#[derive(Default)]
pub(crate) struct PeekStats {
    /// Runs of the peek timers.
    pub(crate) runs: AtomicU64,
    /// Times a peek timer woke the monitor.
    pub(crate) wakes: AtomicU64,
    /// Nanoseconds spent in the peek timers.
    pub(crate) ns: AtomicU64,
}

/// What memory looks like now, as the monitor (and, for the level, the OOM notifier) last
/// judged it: read by the records the stages emit and by the snapshot.
pub(crate) struct Gauges {
    /// The current [`Level`].
    pub(crate) level: AtomicU64,
    /// The current [`HeadroomLevel`].
    pub(crate) headroom: AtomicU64,
    /// The monitor's last fall-rate estimate (pages/s, 0 if not falling).
    pub(crate) fall_rate: AtomicU64,
    /// The monitor's last time-to-exhaustion estimate (ms, or `TTE_UNKNOWN`).
    pub(crate) tte_ms: AtomicU64,
    /// 1 while a reclaim episode runs.
    pub(crate) reclaim_active: AtomicU64,
}

impl Gauges {
    /// The current pressure level.
    pub(crate) fn level(&self) -> Level {
        let raw = self.level.load(Relaxed);
        Level::from_raw(u8::try_from(raw).unwrap_or(0)).unwrap_or(Level::Ok)
    }

    /// The current headroom level.
    pub(crate) fn headroom(&self) -> HeadroomLevel {
        let raw = self.headroom.load(Relaxed);
        HeadroomLevel::from_raw(u8::try_from(raw).unwrap_or(0)).unwrap_or_default()
    }
}

/// Every counter and gauge the snapshot reads, by stage.
pub(crate) struct Counters {
    pub(crate) oom: OomStats,
    pub(crate) monitor: MonitorStats,
    pub(crate) reclaim: ReclaimStats,
    pub(crate) peek: PeekStats,
    pub(crate) victims: VictimStats,
    pub(crate) gauges: Gauges,
}

impl Counters {
    /// All zero, the level ok, the headroom plenty, the time to exhaustion unknown.
    pub(crate) fn new() -> Self {
        Self {
            oom: OomStats::default(),
            monitor: MonitorStats::default(),
            reclaim: ReclaimStats::default(),
            peek: PeekStats::default(),
            victims: VictimStats::default(),
            gauges: Gauges {
                level: AtomicU64::new(0),
                headroom: AtomicU64::new(0),
                fall_rate: AtomicU64::new(0),
                tte_ms: AtomicU64::new(TTE_UNKNOWN),
                reclaim_active: AtomicU64::new(0),
            },
        }
    }

    /// The stats ioctl's snapshot: these counters, the pool's and the ring's.
    pub(crate) fn snapshot(&self, pool: &Pool, events: &Events) -> abi::Stats {
        let (oom, m, r, p, g) = (
            &self.oom,
            &self.monitor,
            &self.reclaim,
            &self.peek,
            &self.gauges,
        );
        let (events, events_lost, readers) = events.counts();
        let calls = oom.calls.load(Relaxed);
        let victims = &self.victims.named;
        abi::Stats {
            oom_calls: calls,
            averts: oom.averts.load(Relaxed),
            pages_released: oom.pages_released.load(Relaxed),
            pages_refilled: pool.refilled(),
            refill_failures: pool.refill_failures(),
            level_changes: m.level_changes.load(Relaxed),
            events,
            events_lost,
            callback_max_ns: oom.callback_max_ns.load(Relaxed),
            callback_avg_ns: oom
                .callback_total_ns
                .load(Relaxed)
                .checked_div(calls)
                .unwrap_or(0),
            level: g.level.load(Relaxed),
            pool_pages: pool.len() as u64,
            pool_target: pool.target() as u64,
            readers,
            kills: m.kills.load(Relaxed),
            samples: m.samples.load(Relaxed),
            headroom: g.headroom.load(Relaxed),
            headroom_changes: m.headroom_changes.load(Relaxed),
            fall_rate: g.fall_rate.load(Relaxed),
            tte_ms: g.tte_ms.load(Relaxed),
            reclaim_episodes: m.reclaim_episodes.load(Relaxed),
            reclaim_kswapd_calls: r.kswapd.load(Relaxed),
            reclaim_direct_calls: r.direct.load(Relaxed),
            reclaim_active: g.reclaim_active.load(Relaxed),
            monitor_ns: m.monitor_ns.load(Relaxed),
            peek_runs: p.runs.load(Relaxed),
            peek_wakes: p.wakes.load(Relaxed),
            peek_ns: p.ns.load(Relaxed),
            victims: victims.load(Relaxed),
            probe_max_ns: self.victims.probe_max_ns.load(Relaxed),
            probe_avg_ns: self
                .victims
                .probe_total_ns
                .load(Relaxed)
                .checked_div(victims.load(Relaxed))
                .unwrap_or(0),
        }
    }
}
