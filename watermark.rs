// SPDX-License-Identifier: GPL-2.0

//! The zone-watermark monitor: samples every populated zone, derives the pressure level with
//! hysteresis, reports level changes and observed OOM kills, and refills the pool once memory
//! has been plentiful for a while.
//!
//! It runs as a self-rearming work item: about once a second when every zone is far from its
//! watermarks, every `sample_fast_ms` when any zone is within twice its high watermark.

use crate::abi::{self, Level, Payload, PoolOp, ZoneSnapshot, ZoneState, MAX_ZONES};
use crate::ffi::{self, Tick};
use crate::level::worst_state;
use crate::state::Guard;
use core::sync::atomic::Ordering::Relaxed;

/// Pages put back into the pool per refill step.
const REFILL_STEP: usize = 64;
/// Delay between refill steps, in milliseconds.
const REFILL_INTERVAL_MS: u32 = 20;
/// A zone is "near" its watermarks within this factor of its high watermark.
const NEAR_FACTOR: u64 = 2;

/// One sample of every zone.
pub(crate) struct Sample {
    pub(crate) zones: [ZoneSnapshot; MAX_ZONES],
    pub(crate) nr_zones: u32,
    /// `abi::FLAG_ZONES_TRUNCATED` if there were more zones than fit.
    pub(crate) flags: u32,
    pub(crate) worst: ZoneState,
    pub(crate) near: bool,
    pub(crate) free_pages: u64,
    pub(crate) available_pages: u64,
}

/// Reads every zone now. Lock-free and allocation-free: safe on the OOM path.
pub(crate) fn sample() -> Sample {
    let mut s = Sample {
        zones: [ZoneSnapshot::default(); MAX_ZONES],
        nr_zones: 0,
        flags: 0,
        worst: ZoneState::AboveHigh,
        near: false,
        free_pages: ffi::free_pages(),
        available_pages: ffi::available_pages(),
    };
    let mut states = [ZoneState::AboveHigh; MAX_ZONES];
    let mut worst_overflow = ZoneState::AboveHigh;
    ffi::for_each_zone(|z| {
        let state = z.marks.state();
        s.near |= z.marks.near(NEAR_FACTOR);
        let i = s.nr_zones as usize;
        match (s.zones.get_mut(i), states.get_mut(i)) {
            (Some(slot), Some(st)) => {
                *st = state;
                *slot = ZoneSnapshot {
                    node: z.node,
                    zone_idx: z.idx,
                    state: state as u8,
                    reserved: 0,
                    name: z.name,
                    free: z.marks.free,
                    min: z.marks.min,
                    low: z.marks.low,
                    high: z.marks.high,
                    boost: z.marks.boost,
                    reserve: z.marks.reserve,
                    managed: z.managed,
                };
                s.nr_zones += 1;
            }
            _ => {
                s.flags |= abi::FLAG_ZONES_TRUNCATED;
                worst_overflow = worst_overflow.max(state);
            }
        }
    });
    let n = s.nr_zones as usize;
    s.worst = worst_state(states.iter().take(n).copied()).max(worst_overflow);
    s
}

/// Feeds `worst` to the level state machine; on a change, updates the counters and emits a
/// `PRESSURE` event with the zones of `s`. Never allocates or sleeps.
pub(crate) fn update_level(g: &Guard, s: &Sample, worst: ZoneState, now: u64) {
    let change = {
        let mut m = g.monitor.lock();
        // Any look below the high watermarks (the OOM path's included) restarts the time the
        // pool waits before refilling: it must not take memory back during an OOM storm.
        if worst != ZoneState::AboveHigh {
            m.above_high_since = None;
        }
        m.tracker.update(worst)
    };
    let Some((old, new)) = change else {
        return;
    };
    g.counters.level.store(new as u64, Relaxed);
    g.counters.level_changes.fetch_add(1, Relaxed);
    g.events.emit(
        now,
        s.flags,
        Payload::Pressure(abi::Pressure {
            source: 1,
            old_level: old as u8,
            new_level: new as u8,
            reserved: 0,
            nr_zones: s.nr_zones,
            free_pages: s.free_pages,
            available_pages: s.available_pages,
            zones: s.zones,
        }),
    );
}

impl Tick for Guard {
    fn tick(&self) -> u32 {
        let cfg = self.config();
        let now = ffi::now_ns();
        let s = sample();
        self.counters.samples.fetch_add(1, Relaxed);

        update_level(self, &s, s.worst, now);

        // OOM kills the pool did not avert.
        let kills_now = ffi::oom_kill_count();
        let kills = {
            let mut m = self.monitor.lock();
            let d = kills_now.saturating_sub(m.last_oom_kill);
            m.last_oom_kill = kills_now;
            d
        };
        if kills > 0 {
            self.counters.kills.fetch_add(kills, Relaxed);
            self.events.emit(
                now,
                0,
                Payload::Kill(abi::Kill {
                    kills,
                    ..Default::default()
                }),
            );
        }

        // Refill once every zone has stayed above its high watermark for `refill_delay_ms`.
        let mut refilling = false;
        let since = {
            let mut m = self.monitor.lock();
            if s.worst == ZoneState::AboveHigh && self.level() == Level::Ok {
                *m.above_high_since.get_or_insert(now)
            } else {
                m.above_high_since = None;
                u64::MAX
            }
        };
        let delay_ns = u64::from(cfg.refill_delay_ms) * 1_000_000;
        if since != u64::MAX && now.saturating_sub(since) >= delay_ns {
            let before = self.pool.len();
            if before < self.pool.target() {
                let (n, failed) = self.pool.refill(REFILL_STEP);
                let after = self.pool.len();
                let target = self.pool.target() as u64;
                if n > 0 {
                    self.counters.pages_refilled.fetch_add(n as u64, Relaxed);
                    self.events.emit(
                        now,
                        0,
                        Payload::Pool(abi::Pool {
                            op: PoolOp::Refill as u8,
                            reserved: [0; 7],
                            pages: n as u64,
                            pool_pages: after as u64,
                            target_pages: target,
                        }),
                    );
                }
                if failed {
                    self.counters.refill_failures.fetch_add(1, Relaxed);
                    self.events.emit(
                        now,
                        0,
                        Payload::Pool(abi::Pool {
                            op: PoolOp::RefillFailed as u8,
                            reserved: [0; 7],
                            pages: 0,
                            pool_pages: after as u64,
                            target_pages: target,
                        }),
                    );
                    // Memory is not as plentiful as the watermarks said: start over.
                    self.monitor.lock().above_high_since = None;
                } else {
                    refilling = after < self.pool.target();
                }
            }
        }

        let mut next = if s.near || self.level() != Level::Ok {
            cfg.sample_fast_ms
        } else {
            cfg.sample_slow_ms
        };
        if refilling {
            next = next.min(REFILL_INTERVAL_MS);
        }
        next
    }
}
