// SPDX-License-Identifier: GPL-2.0

//! The state the stages share: the event ring, the pool, the live configuration, the pressure
//! level (the OOM notifier and the monitor both feed it) and the counters a stats snapshot
//! reads. What one stage alone needs it keeps itself: the notifier its avert budget
//! (`notifier.rs`), the monitor its bookkeeping (`monitor.rs`, `reclaim.rs`).

use crate::abi::{self, Config, HeadroomLevel, Level, Payload, Stats, ZoneState};
use crate::config::LiveConfig;
use crate::events::Events;
use crate::level::LevelTracker;
use crate::pool::Pool;
use crate::stats::Counters;
use crate::zones::Sample;
use core::sync::atomic::{AtomicBool, Ordering::Relaxed};
use kernel::{new_spinlock, prelude::*, sync::SpinLock};

/// The pressure level and how long memory has been calm.
struct Pressure {
    /// The level state machine.
    tracker: LevelTracker,
    /// Since when (monotonic ns) memory has been calm (level ok, zones above low), if it is.
    calm_since: Option<u64>,
}

/// Everything the OOM notifier, the monitor and the device share.
#[pin_data]
pub(crate) struct Guard {
    #[pin]
    pub(crate) events: Events,
    #[pin]
    pub(crate) pool: Pool,
    #[pin]
    pub(crate) config: LiveConfig,
    #[pin]
    pressure: SpinLock<Pressure>,
    pub(crate) counters: Counters,
    /// Whether the victims stage names each OOM victim (its probe is attached); if not, the
    /// monitor reports kills as counts.
    victims_named: AtomicBool,
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
        Ok(try_pin_init!(Self {
            events <- events,
            pool <- pool,
            config <- LiveConfig::new(config),
            pressure <- new_spinlock!(
                Pressure {
                    tracker: LevelTracker::new(),
                    calm_since: None,
                },
                "OomGuard::pressure"
            ),
            counters: Counters::new(),
            victims_named: AtomicBool::new(false),
        }))
    }

    /// Whether each OOM victim is named by the victims stage (else the monitor counts kills).
    pub(crate) fn victims_named(&self) -> bool {
        self.victims_named.load(Relaxed)
    }

    /// Records whether the victims stage's probe is attached.
    pub(crate) fn set_victims_named(&self, named: bool) {
        self.victims_named.store(named, Relaxed)
    }

    /// The current configuration.
    pub(crate) fn config(&self) -> Config {
        self.config.get()
    }

    /// The current headroom level.
    pub(crate) fn headroom(&self) -> HeadroomLevel {
        self.counters.gauges.headroom()
    }

    /// The current pressure level.
    pub(crate) fn level(&self) -> Level {
        self.counters.gauges.level()
    }

    /// A snapshot of every counter.
    pub(crate) fn stats(&self) -> Stats {
        self.counters.snapshot(&self.pool, &self.events)
    }

    /// Feeds `state` to the level state machine; on a change, updates the counters and emits a
    /// `PRESSURE` event with the zones of `s`, waking the readers only if `wake` (the OOM path
    /// wakes them itself, once). Never allocates or sleeps.
    pub(crate) fn update_level(&self, s: &Sample, state: ZoneState, now: u64, wake: bool) {
        let change = {
            let mut p = self.pressure.lock();
            // Any look below the low watermarks (the OOM path's included) restarts the time the
            // pool waits before refilling: it must not take memory back during an OOM storm.
            if state >= ZoneState::BelowLow {
                p.calm_since = None;
            }
            p.tracker.update(state)
        };
        let Some((old, new)) = change else {
            return;
        };
        let g = &self.counters.gauges;
        g.level.store(new as u64, Relaxed);
        self.counters.monitor.level_changes.fetch_add(1, Relaxed);
        let headroom = g.headroom() as u8;
        let fall_rate = g.fall_rate.load(Relaxed);
        let tte_ms = g.tte_ms.load(Relaxed);
        // Built in the ring's slot, not on the (OOM path's) stack.
        self.events.push_with(now, s.flags, |slot| {
            *slot = Payload::Pressure(abi::Pressure::default());
            if let Payload::Pressure(p) = slot {
                p.source = 1;
                p.old_level = old as u8;
                p.new_level = new as u8;
                p.nr_zones = s.nr_zones;
                p.free_pages = s.free_pages;
                p.available_pages = s.available_pages;
                p.zones = s.zones;
                p.headroom = headroom;
                p.fall_rate = fall_rate;
                p.tte_ms = tte_ms;
            }
        });
        if wake {
            self.events.wake();
        }
    }

    /// Since when memory has been calm, counting from `now` if it is calm now (`calm_now`: level
    /// ok, the zones above their low watermarks for user allocations), or `None` (and the count
    /// starts over) if it is not.
    pub(crate) fn calm_since(&self, calm_now: bool, now: u64) -> Option<u64> {
        let mut p = self.pressure.lock();
        if calm_now {
            Some(*p.calm_since.get_or_insert(now))
        } else {
            p.calm_since = None;
            None
        }
    }

    /// Memory is not as calm as it looked: the calm time starts over.
    pub(crate) fn restart_calm(&self) {
        self.pressure.lock().calm_since = None;
    }
}
