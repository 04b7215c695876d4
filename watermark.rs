// SPDX-License-Identifier: GPL-2.0

//! The zone-watermark monitor: samples every populated zone, derives the pressure level with
//! hysteresis, reports level changes and observed OOM kills, and refills the pool once memory
//! has been plentiful for a while.
//!
//! It also follows the second signal, headroom: available memory against the headroom
//! thresholds, the rate at which usable memory (free plus reclaimable) falls, and the time
//! left until free memory reaches the floor where allocations fail. And it reports the
//! reclaim episodes the shrinker (`ReclaimHook`) tells it about.
//!
//! The level describes what the allocator decides for a user page allocation
//! (`GFP_HIGHUSER_MOVABLE`, order 0): every zone is checked the way `__zone_watermark_ok()`
//! checks it for that class (boost, `lowmem_reserve[ZONE_MOVABLE]`, highatomic pages not
//! usable, free CMA pages usable), and the best zone decides, as the allocator is content with
//! the first zone of its zonelist that passes. So `low` is when kswapd is woken and `min` when
//! allocations enter direct reclaim. Zones without managed pages are listed but ignored.
//!
//! It runs as a self-rearming work item on a deferrable timer (it never wakes an idle CPU;
//! a CPU that allocates is awake anyway). The next sample is due after the shortest of: the
//! slow period (`sample_slow_ms`, about once a second while nothing happens); the fast period
//! (`sample_fast_ms`) while the level is not ok; a quarter of the time the next headroom
//! threshold or the floor is away at the current fall rate, but no less than `sample_min_ms`
//! (so a fast hog cannot jump over a level between two samples); `reclaim_quiet_ms` while
//! reclaim runs. The shrinker and the per-CPU peek timers wake it at once.

use crate::abi::{
    self, Level, Payload, PoolOp, ReclaimPhase, ZoneSnapshot, ZoneState, MAX_ZONES, RECLAIM_DIRECT,
    RECLAIM_KSWAPD, TTE_UNKNOWN,
};
use crate::ffi::{self, Peek, ReclaimHandler, Tick, Waker, ZoneKey};
use crate::headroom::{next_interval_ms, Thresholds};
use crate::level::ZoneMarks;
use crate::state::{Episode, Guard};
use core::sync::atomic::Ordering::Relaxed;

/// Pages put back into the pool per refill step.
const REFILL_STEP: usize = 64;
/// Delay between refill steps, in milliseconds.
const REFILL_INTERVAL_MS: u32 = 20;

/// One sample of every zone.
pub(crate) struct Sample {
    pub(crate) zones: [ZoneSnapshot; MAX_ZONES],
    /// Per zone in `zones`: free pages a user allocation may not use (highatomic).
    pub(crate) unusable: [u64; MAX_ZONES],
    pub(crate) nr_zones: u32,
    /// `abi::FLAG_ZONES_TRUNCATED` if there were more zones than fit.
    pub(crate) flags: u32,
    /// The zones' state for a user page allocation (`GFP_HIGHUSER_MOVABLE`, order 0): the best
    /// zone's, as the allocator decides (`level::class_state`).
    pub(crate) state: ZoneState,
    pub(crate) free_pages: u64,
    pub(crate) available_pages: u64,
    /// Pages managed by the allocator, all zones.
    pub(crate) total_pages: u64,
    /// Free pages plus what reclaim can free (`si_mem_available()` without the reserves).
    pub(crate) usable_pages: u64,
    /// Free pages at which user allocations fail: the sum over the zones of each zone's floor
    /// (boosted min watermark, lowmem reserve, highatomic pages), each at most the zone's size.
    pub(crate) floor_pages: u64,
}

impl Sample {
    /// The marks of zone `i` of the snapshot, as the level sees them.
    pub(crate) fn marks(&self, i: usize) -> Option<(ZoneKey, ZoneMarks)> {
        let z = self.zones.get(i)?;
        Some((
            ZoneKey {
                node: z.node,
                idx: z.zone_idx,
            },
            ZoneMarks {
                free: z.free,
                min: z.min,
                low: z.low,
                high: z.high,
                boost: z.boost,
                reserve: z.reserve,
                unusable: self.unusable.get(i).copied().unwrap_or(0),
            },
        ))
    }
}

impl Sample {
    /// A sample of nothing, to be filled by [`sample_into`].
    pub(crate) const EMPTY: Self = Self {
        zones: [ZoneSnapshot::EMPTY; MAX_ZONES],
        unusable: [0; MAX_ZONES],
        nr_zones: 0,
        flags: 0,
        state: ZoneState::AboveHigh,
        free_pages: 0,
        available_pages: 0,
        total_pages: 0,
        usable_pages: 0,
        floor_pages: 0,
    };
}

/// Reads every zone now (see [`sample_into`]).
pub(crate) fn sample() -> Sample {
    let mut s = Sample::EMPTY;
    sample_into(&mut s);
    s
}

/// Reads every zone now into `s`, which the caller keeps (the OOM path's stack holds one
/// sample, not several copies). Lock-free and allocation-free: safe on the OOM path.
pub(crate) fn sample_into(s: &mut Sample) {
    *s = Sample::EMPTY;
    s.free_pages = ffi::free_pages();
    s.available_pages = ffi::available_pages();
    let mut best: Option<ZoneState> = None;
    let mut wmark_low = 0u64;
    ffi::for_each_zone(|z| {
        let state = z.marks.state();
        s.total_pages = s.total_pages.saturating_add(z.managed);
        wmark_low = wmark_low.saturating_add(z.marks.low);
        // A zone with no pages under the allocator's management (all reserved at boot) serves
        // no allocation: listed, but it neither decides the level nor adds to the floor.
        if z.managed > 0 {
            // `class_state` of the two, without its iterator on the OOM path's stack.
            best = Some(best.map_or(state, |b| b.min(state)));
            s.floor_pages = s.floor_pages.saturating_add(z.marks.floor().min(z.managed));
        }
        let i = s.nr_zones as usize;
        match (s.zones.get_mut(i), s.unusable.get_mut(i)) {
            (Some(slot), Some(unusable)) => {
                *unusable = z.marks.unusable;
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
                s.nr_zones = s.nr_zones.saturating_add(1);
            }
            _ => s.flags |= abi::FLAG_ZONES_TRUNCATED,
        }
    });
    s.state = best.unwrap_or(ZoneState::AboveHigh);
    s.usable_pages = s
        .free_pages
        .saturating_add(ffi::reclaimable_pages(wmark_low));
}

/// Feeds `state` to the level state machine; on a change, updates the counters and emits a
/// `PRESSURE` event with the zones of `s`, waking the readers only if `wake` (the OOM path wakes
/// them itself, once). Never allocates or sleeps.
pub(crate) fn update_level(g: &Guard, s: &Sample, state: ZoneState, now: u64, wake: bool) {
    let change = {
        let mut m = g.monitor.lock();
        // Any look below the low watermarks (the OOM path's included) restarts the time the
        // pool waits before refilling: it must not take memory back during an OOM storm.
        if state >= ZoneState::BelowLow {
            m.calm_since = None;
        }
        m.tracker.update(state)
    };
    let Some((old, new)) = change else {
        return;
    };
    g.counters.level.store(new as u64, Relaxed);
    g.counters.level_changes.fetch_add(1, Relaxed);
    let headroom = g.headroom() as u8;
    let fall_rate = g.counters.fall_rate.load(Relaxed);
    let tte_ms = g.counters.tte_ms.load(Relaxed);
    // Built in the ring's slot, not on the (OOM path's) stack.
    g.events.push_with(now, s.flags, |slot| {
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
        g.events.wake();
    }
}

/// Feeds a sample to the rate estimate and the headroom levels; on a level change, emits a
/// `HEADROOM` event. Returns the adaptive sampling interval in milliseconds.
fn update_headroom(g: &Guard, cfg: &abi::Config, s: &Sample, now: u64) -> u32 {
    let t = Thresholds::from_config(cfg, s.total_pages, kernel::page::PAGE_SIZE as u64);
    let min_ms = u64::from(cfg.sample_min_ms);
    let max_ms = u64::from(cfg.sample_slow_ms);
    let (change, fall, tte, next) = {
        let mut m = g.monitor.lock();
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
    let c = &g.counters;
    c.fall_rate.store(fall, Relaxed);
    c.tte_ms.store(tte, Relaxed);
    if let Some((old, new)) = change {
        c.headroom.store(new as u64, Relaxed);
        c.headroom_changes.fetch_add(1, Relaxed);
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

/// Follows the reclaim episode the shrinker reports: emits `RECLAIM` onset, direct and end
/// events. Returns the interval needed to see the episode end in time, if one runs.
fn update_reclaim(g: &Guard, cfg: &abi::Config, s: &Sample, now: u64) -> Option<u32> {
    let c = &g.counters;
    let seen = c.reclaim_seen.load(Relaxed);
    let kswapd = c.reclaim_kswapd.load(Relaxed);
    let direct = c.reclaim_direct.load(Relaxed);
    let last = c.reclaim_last_ns.load(Relaxed);
    let quiet_ns = u64::from(cfg.reclaim_quiet_ms) * 1_000_000;
    let seen_bits = u8::try_from(seen & u64::from(RECLAIM_KSWAPD | RECLAIM_DIRECT)).unwrap_or(0);
    let (phase, ep) = {
        let mut m = g.monitor.lock();
        match m.episode {
            None if seen_bits != 0 => {
                let ep = Episode {
                    start_ns: now,
                    kswapd0: m.reclaim_base.0,
                    direct0: m.reclaim_base.1,
                    who: seen_bits,
                };
                m.episode = Some(ep);
                (ReclaimPhase::Onset, ep)
            }
            None => return None,
            Some(mut ep) => {
                if now.saturating_sub(last) >= quiet_ns {
                    c.reclaim_seen.store(0, Relaxed);
                    if c.reclaim_last_ns.load(Relaxed) != last {
                        // A call raced with the end: the episode goes on.
                        c.reclaim_seen.fetch_or(u64::from(ep.who), Relaxed);
                        return Some(cfg.reclaim_quiet_ms);
                    }
                    m.episode = None;
                    m.reclaim_base = (kswapd, direct);
                    (ReclaimPhase::End, ep)
                } else if seen_bits & RECLAIM_DIRECT != 0 && ep.who & RECLAIM_DIRECT == 0 {
                    ep.who |= seen_bits;
                    m.episode = Some(ep);
                    (ReclaimPhase::Direct, ep)
                } else {
                    return Some(cfg.reclaim_quiet_ms);
                }
            }
        }
    };
    if phase == ReclaimPhase::Onset {
        c.reclaim_episodes.fetch_add(1, Relaxed);
    }
    let duration_ms = if phase == ReclaimPhase::Onset {
        0
    } else {
        now.saturating_sub(ep.start_ns) / 1_000_000
    };
    g.events.emit(
        now,
        0,
        Payload::Reclaim(abi::Reclaim {
            phase: phase as u8,
            who: ep.who,
            wm_level: g.level() as u8,
            headroom: g.headroom() as u8,
            reserved: 0,
            kswapd_calls: kswapd.saturating_sub(ep.kswapd0),
            direct_calls: direct.saturating_sub(ep.direct0),
            duration_ms,
            free_pages: s.free_pages,
            available_pages: s.available_pages,
        }),
    );
    (phase != ReclaimPhase::End).then_some(cfg.reclaim_quiet_ms)
}

/// A fall of free memory since the last sample, as a fraction of managed memory
/// (`1 / PEEK_FALL_DIV`), that makes a peek wake the monitor.
const PEEK_FALL_DIV: u64 = 64;

impl Peek for Guard {
    fn peek(&self) -> bool {
        let start = ffi::now_ns();
        let c = &self.counters;
        let total = c.total_pages.load(Relaxed);
        let last = c.last_free.load(Relaxed);
        let fell = last.saturating_sub(ffi::free_pages()) > total / PEEK_FALL_DIV;
        if fell {
            c.peek_wakes.fetch_add(1, Relaxed);
        }
        c.peek_runs.fetch_add(1, Relaxed);
        c.peek_ns
            .fetch_add(ffi::now_ns().saturating_sub(start), Relaxed);
        fell
    }

    fn doorbell(&self) -> &Waker {
        &self.waker
    }
}

impl ReclaimHandler for Guard {
    fn on_reclaim(&self, kswapd: bool) {
        let c = &self.counters;
        let bit = if kswapd {
            c.reclaim_kswapd.fetch_add(1, Relaxed);
            RECLAIM_KSWAPD
        } else {
            c.reclaim_direct.fetch_add(1, Relaxed);
            RECLAIM_DIRECT
        };
        c.reclaim_last_ns.store(ffi::now_ns(), Relaxed);
        // Wake the monitor only when this kind of reclaim is new to the episode: once at the
        // onset and once when direct reclaim joins, not at every pass.
        if c.reclaim_seen.fetch_or(u64::from(bit), Relaxed) & u64::from(bit) == 0 {
            self.waker.wake();
        }
    }
}

impl Tick for Guard {
    fn tick(&self) -> u32 {
        let cfg = self.config();
        let now = ffi::now_ns();
        let s = sample();
        self.counters.samples.fetch_add(1, Relaxed);
        self.counters.last_free.store(s.free_pages, Relaxed);
        self.counters.total_pages.store(s.total_pages, Relaxed);

        // The rate and the time to exhaustion first, so the pressure event carries them.
        let adaptive = update_headroom(self, &cfg, &s, now);
        update_level(self, &s, s.state, now, true);
        let reclaim = update_reclaim(self, &cfg, &s, now);
        let level = self.level();

        // OOM kills the pool did not avert: one load per CPU (not `all_vm_events()`).
        let kills_now = ffi::oom_kill_count_stable();
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

        // Refill once memory has been calm for `refill_delay_ms`: level ok, and the zones above
        // their low watermarks for user allocations, so kswapd is not at work. (Not "above
        // high": with a warm page cache kswapd keeps free memory between low and high, and a
        // pool that waited for high would never refill on a busy board.)
        let mut refilling = false;
        let since = {
            let mut m = self.monitor.lock();
            if s.state < ZoneState::BelowLow && level == Level::Ok {
                *m.calm_since.get_or_insert(now)
            } else {
                m.calm_since = None;
                u64::MAX
            }
        };
        let delay_ns = u64::from(cfg.refill_delay_ms) * 1_000_000;
        let calm = since != u64::MAX && now.saturating_sub(since) >= delay_ns;
        // The notifier's coalesced record goes out once its calls have stopped for a sampling
        // period; its OOM episode ends once memory has been calm as long as a refill waits.
        self.oom_housekeeping(
            now,
            u64::from(cfg.sample_fast_ms) * 1_000_000,
            calm,
            s.state < ZoneState::BelowLow,
            kills_now,
        );
        if calm {
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
                    self.monitor.lock().calm_since = None;
                } else {
                    refilling = after < self.pool.target();
                }
            }
        }

        // Fast while the kernel reclaims (level low or min); otherwise the adaptive interval
        // (below) brings the next sample forward when memory falls towards a threshold.
        let mut next = if level != Level::Ok {
            cfg.sample_fast_ms
        } else {
            cfg.sample_slow_ms
        };
        if refilling {
            next = next.min(REFILL_INTERVAL_MS);
        }
        next = next.min(adaptive);
        if let Some(r) = reclaim {
            next = next.min(r);
        }
        self.counters
            .monitor_ns
            .fetch_add(ffi::now_ns().saturating_sub(now), Relaxed);
        next
    }

    fn waker(&self) -> &Waker {
        &self.waker
    }
}
