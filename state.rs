// SPDX-License-Identifier: GPL-2.0

//! The state shared by every stage: the event ring, the pool, the configuration, the budget,
//! the monitor's bookkeeping and the counters.

use crate::abi::{Config, Level, Stats};
use crate::events::Events;
use crate::level::LevelTracker;
use crate::pool::Pool;
use core::sync::atomic::{AtomicU64, Ordering::Relaxed};
use kernel::{new_spinlock, prelude::*, sync::SpinLock};

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
}

/// The avert budget: at most `avert_budget` averts per `budget_window_ms`.
#[derive(Default)]
pub(crate) struct Budget {
    /// Start of the current window (monotonic ns).
    pub(crate) window_start: u64,
    /// Averts in the current window.
    pub(crate) used: u32,
}

/// What the watermark monitor remembers between samples.
pub(crate) struct MonitorState {
    /// The level state machine.
    pub(crate) tracker: LevelTracker,
    /// Since when (monotonic ns) every zone has been above its high watermark, if it is.
    pub(crate) above_high_since: Option<u64>,
    /// The kernel's `oom_kill` counter at the last sample.
    pub(crate) last_oom_kill: u64,
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
    pub(crate) budget: SpinLock<Budget>,
    #[pin]
    pub(crate) monitor: SpinLock<MonitorState>,
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
        let last_oom_kill = crate::ffi::oom_kill_count();
        Ok(try_pin_init!(Self {
            events <- events,
            pool <- pool,
            config <- new_spinlock!(config, "OomGuard::config"),
            budget <- new_spinlock!(Budget::default(), "OomGuard::budget"),
            monitor <- new_spinlock!(
                MonitorState {
                    tracker: LevelTracker::new(),
                    above_high_since: None,
                    last_oom_kill,
                },
                "OomGuard::monitor"
            ),
            counters: Counters::default(),
        }))
    }

    /// The current configuration.
    pub(crate) fn config(&self) -> Config {
        *self.config.lock()
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
        }
    }
}
