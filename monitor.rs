// SPDX-License-Identifier: GPL-2.0

//! The watermark monitor: each sample of the zones (`zones.rs`) feeds the pressure level with
//! hysteresis (`state.rs`), the headroom levels and the fall rate, the reclaim episodes
//! (`reclaim.rs`); it reports the OOM kills the pool did not avert, runs the OOM notifier's
//! housekeeping, lets the pool refill (`pool.rs`) once memory has been calm for a while, and
//! decides when to sample next.
//!
//! Headroom is the second signal: available memory against the headroom thresholds, the rate at
//! which usable memory (free plus reclaimable) falls, and the time left until free memory
//! reaches the floor where allocations fail.
//!
//! It runs as a self-rearming work item on a deferrable timer (it never wakes an idle CPU;
//! a CPU that allocates is awake anyway). The next sample is due after the shortest of: the
//! slow period (`sample_slow_ms`, about once a second while nothing happens); the fast period
//! (`sample_fast_ms`) while the level is not ok; a quarter of the time the next headroom
//! threshold or the floor is away at the current fall rate, but no less than `sample_min_ms`
//! (so a fast hog cannot jump over a level between two samples); `reclaim_quiet_ms` while
//! reclaim runs; the pool's refill interval while it refills. The reclaim hook and the per-CPU
//! peek timers wake it at once.
//!
//! A deferrable timer waits on the CPU that armed it, the one the sample last ran on. When
//! that CPU goes idle while another one allocates, the next sample waits for it to wake: on a
//! board guest a sample planned 12 ms ahead, just before the critical threshold, ran 107 ms
//! later, when kswapd's shrinker call rang the doorbell. So the peek timers, which run on every
//! CPU that is awake, also run a sample that is overdue (its due time plus one jiffy and an
//! eighth of the interval, the timer wheel's own granularity). A quiet system still pays
//! nothing: no CPU is awake to run a peek, and a CPU that is awake only runs the sample the
//! monitor had planned anyway.

use crate::abi::{self, Config, HeadroomLevel, Level, Payload, ZoneState, TTE_UNKNOWN};
use crate::ffi::{self, Peek, ReclaimHandler, Tick, Waker};
use crate::headroom::{next_interval_ms, RateEstimator, Thresholds};
use crate::notifier::Notifier;
use crate::pool::{Refill, REFILL_INTERVAL_MS};
use crate::reclaim::Episodes;
use crate::state::Guard;
use crate::zones::{self, Sample};
use core::sync::atomic::{AtomicU64, Ordering::Relaxed};
use kernel::{
    new_spinlock,
    prelude::*,
    sync::{Arc, SpinLock},
};

/// Time constant of the fall-rate estimate, in nanoseconds.
const RATE_TAU_NS: u64 = 200_000_000;

/// A fall of free memory since the last sample, as a fraction of managed memory
/// (`1 / PEEK_FALL_DIV`), that makes a peek wake the monitor.
const PEEK_FALL_DIV: u64 = 64;

/// What the monitor remembers between samples.
struct MonitorState {
    /// The kernel's `oom_kill` counter at the last sample.
    last_oom_kill: u64,
    /// The headroom level with hysteresis.
    headroom: HeadroomLevel,
    /// The fall rate of usable memory.
    rate: RateEstimator,
}

/// The monitor stage: its timer's job, its peeks' and its reclaim hook's handler.
#[pin_data]
pub(crate) struct Monitor {
    guard: Arc<Guard>,
    /// Told when memory has been calm, and runs its housekeeping on each sample.
    notifier: Arc<Notifier>,
    #[pin]
    state: SpinLock<MonitorState>,
    /// The reclaim episodes the hook reports.
    #[pin]
    reclaim: Episodes,
    /// Wakes the monitor at once (from the reclaim hook and the peek timers).
    #[pin]
    waker: Waker,
    /// Free pages at the last sample, for the peek timers.
    last_free: AtomicU64,
    /// Pages managed by the allocator at the last sample, for the peek timers.
    total_pages: AtomicU64,
    /// When the next sample is overdue (`ffi::now_ns` clock): a peek timer that runs later
    /// wakes the monitor. `u64::MAX` until the first sample has planned the next.
    overdue_ns: AtomicU64,
    /// Nanoseconds in one jiffy, the timers' resolution.
    jiffy_ns: u64,
}

impl Monitor {
    /// The monitor of `guard`, running `notifier`'s housekeeping; `oom_kills` is the kernel's
    /// `oom_kill` count now.
    pub(crate) fn new(
        guard: Arc<Guard>,
        notifier: Arc<Notifier>,
        oom_kills: u64,
    ) -> impl PinInit<Self> {
        pin_init!(Self {
            guard,
            notifier,
            state <- new_spinlock!(
                MonitorState {
                    last_oom_kill: oom_kills,
                    headroom: HeadroomLevel::Plenty,
                    rate: RateEstimator::new(RATE_TAU_NS),
                },
                "OomGuard::monitor"
            ),
            reclaim <- Episodes::new(),
            waker <- Waker::new(),
            last_free: AtomicU64::new(0),
            total_pages: AtomicU64::new(0),
            overdue_ns: AtomicU64::new(u64::MAX),
            // HZ, the jiffies in a second (at least 100).
            jiffy_ns: 1_000_000_000
                / u64::try_from(kernel::time::msecs_to_jiffies(1000))
                    .unwrap_or(1000)
                    .max(1),
        })
    }

    /// Feeds a sample to the rate estimate and the headroom levels; on a level change, emits a
    /// `HEADROOM` event. Returns the adaptive sampling interval in milliseconds.
    fn update_headroom(&self, cfg: &Config, s: &Sample, now: u64) -> u32 {
        let g = &*self.guard;
        let t = Thresholds::from_config(cfg, s.total_pages, kernel::page::PAGE_SIZE as u64);
        let min_ms = u64::from(cfg.sample_min_ms);
        let max_ms = u64::from(cfg.sample_slow_ms);
        let (change, fall, tte, next) = {
            let mut m = self.state.lock();
            m.rate.sample(now, s.usable_pages);
            let fall = m.rate.fall_rate().unwrap_or(0);
            let tte = m
                .rate
                .time_to(s.usable_pages, s.floor_pages)
                .unwrap_or(TTE_UNKNOWN);
            // Due before the next threshold below can be crossed, and before the floor.
            let to_threshold = next_interval_ms(
                &m.rate,
                s.available_pages,
                t.next_below(s.available_pages),
                min_ms,
                max_ms,
            );
            let to_floor =
                next_interval_ms(&m.rate, s.usable_pages, Some(s.floor_pages), min_ms, max_ms);
            let old = m.headroom;
            let new = t.update(old, s.available_pages);
            m.headroom = new;
            let change = (new != old).then_some((old, new));
            (change, fall, tte, to_threshold.min(to_floor))
        };
        let gauges = &g.counters.gauges;
        gauges.fall_rate.store(fall, Relaxed);
        gauges.tte_ms.store(tte, Relaxed);
        if let Some((old, new)) = change {
            gauges.headroom.store(new as u64, Relaxed);
            g.counters.monitor.headroom_changes.fetch_add(1, Relaxed);
            g.events.emit(
                now,
                0,
                Payload::Headroom(abi::Headroom {
                    old_level: old as u8,
                    new_level: new as u8,
                    wm_level: g.level() as u8,
                    wm_state: s.state as u8,
                    reserved: 0,
                    free_pages: s.free_pages,
                    available_pages: s.available_pages,
                    total_pages: s.total_pages,
                    low_pages: t.low,
                    medium_pages: t.medium,
                    critical_pages: t.critical,
                    floor_pages: s.floor_pages,
                    fall_rate: fall,
                    tte_ms: tte,
                }),
            );
        }
        u32::try_from(next).unwrap_or(u32::MAX)
    }

    /// Counts the OOM kills since the last sample (the ones the pool did not avert) and, where
    /// the victims stage cannot name them (no `oom:mark_victim` probe), reports them as one
    /// count-only `KILL` event. Returns the kernel's `oom_kill` count now.
    fn report_kills(&self, now: u64) -> u64 {
        let g = &*self.guard;
        // One load per CPU (not `all_vm_events()`).
        let kills_now = ffi::oom_kill_count_stable();
        let kills = {
            let mut m = self.state.lock();
            let d = kills_now.saturating_sub(m.last_oom_kill);
            m.last_oom_kill = kills_now;
            d
        };
        if kills > 0 {
            g.counters.monitor.kills.fetch_add(kills, Relaxed);
        }
        if kills > 0 && !g.victims_named() {
            g.events.emit(
                now,
                0,
                Payload::Kill(abi::Kill {
                    kills,
                    ..Default::default()
                }),
            );
        }
        kills_now
    }
}

impl Peek for Monitor {
    fn peek(&self) -> bool {
        let start = ffi::now_ns();
        let c = &self.guard.counters.peek;
        let total = self.total_pages.load(Relaxed);
        let last = self.last_free.load(Relaxed);
        let fell = last.saturating_sub(ffi::free_pages()) > total / PEEK_FALL_DIV;
        if fell {
            c.wakes.fetch_add(1, Relaxed);
        }
        // A sample whose timer waits on an idle CPU (not counted as a wake: the monitor had
        // planned it).
        let overdue = start > self.overdue_ns.load(Relaxed);
        c.runs.fetch_add(1, Relaxed);
        c.ns.fetch_add(ffi::now_ns().saturating_sub(start), Relaxed);
        fell || overdue
    }

    fn doorbell(&self) -> &Waker {
        &self.waker
    }
}

impl ReclaimHandler for Monitor {
    fn on_reclaim(&self, kswapd: bool) {
        if self.reclaim.note(&self.guard.counters.reclaim, kswapd) {
            self.waker.wake();
        }
    }
}

impl Tick for Monitor {
    fn tick(&self) -> u32 {
        let g = &*self.guard;
        let cfg = g.config();
        let now = ffi::now_ns();
        // Not overdue while it runs (a peek meanwhile would queue a second run).
        self.overdue_ns.store(u64::MAX, Relaxed);
        let s = zones::sample();
        g.counters.monitor.samples.fetch_add(1, Relaxed);
        self.last_free.store(s.free_pages, Relaxed);
        self.total_pages.store(s.total_pages, Relaxed);

        // The rate and the time to exhaustion first, so the pressure event carries them.
        let adaptive = self.update_headroom(&cfg, &s, now);
        g.update_level(&s, s.state, now, true);
        let reclaim = self.reclaim.update(g, &cfg, &s, now);
        let level = g.level();

        // OOM kills the pool did not avert.
        let kills_now = self.report_kills(now);

        // Memory is calm once it has been for `refill_delay_ms`: level ok, and the zones above
        // their low watermarks for user allocations, so kswapd is not at work. (Not "above
        // high": with a warm page cache kswapd keeps free memory between low and high, and a
        // pool that waited for high would never refill on a busy board.)
        let above_low = s.state < ZoneState::BelowLow;
        let since = g.calm_since(above_low && level == Level::Ok, now);
        let delay_ns = u64::from(cfg.refill_delay_ms) * 1_000_000;
        let calm = since.is_some_and(|t| now.saturating_sub(t) >= delay_ns);
        // The notifier's coalesced record goes out once its calls have stopped for a sampling
        // period; its OOM episode ends once memory is calm.
        self.notifier.housekeeping(
            now,
            u64::from(cfg.sample_fast_ms) * 1_000_000,
            calm,
            above_low,
            kills_now,
        );
        // And the pool refills.
        let refill = if calm {
            g.pool.refill_step(&g.events, now)
        } else {
            Refill::Full
        };
        if refill == Refill::Failed {
            g.restart_calm();
        }

        // Fast while the kernel reclaims (level low or min); otherwise the adaptive interval
        // (below) brings the next sample forward when memory falls towards a threshold.
        let mut next = if level != Level::Ok {
            cfg.sample_fast_ms
        } else {
            cfg.sample_slow_ms
        };
        if refill == Refill::Going {
            next = next.min(REFILL_INTERVAL_MS);
        }
        next = next.min(adaptive);
        if let Some(r) = reclaim {
            next = next.min(r);
        }
        let end = ffi::now_ns();
        let next_ns = u64::from(next) * 1_000_000;
        self.overdue_ns.store(
            end.saturating_add(next_ns)
                .saturating_add(self.jiffy_ns + next_ns / 8),
            Relaxed,
        );
        g.counters
            .monitor
            .monitor_ns
            .fetch_add(end.saturating_sub(now), Relaxed);
        next
    }

    fn waker(&self) -> &Waker {
        &self.waker
    }
}
