// SPDX-License-Identifier: GPL-2.0

//! The OOM notifier: called by the kernel on every global OOM, inside `out_of_memory()` with
//! `oom_lock` held, before the kernel picks a victim. With policy `avert` it gives pool pages
//! back to the allocator and reports them freed, so the kernel skips the kill for this round.
//!
//! How much, and from where: the allocation that failed (the notifier is not told which; the
//! guard assumes a user page, `GFP_HIGHUSER_MOVABLE` order 0) proceeds as soon as one zone it
//! may use passes its min watermark again. So the notifier picks the zone that needs the fewest
//! pages to get there (boost, lowmem reserve and highatomic pages included) among those whose
//! pool blocks can cover it, and releases that deficit plus `release_chunk` from that zone's
//! blocks, at most [`ROUND_MAX_PAGES`] pages and [`ROUND_MAX_BLOCKS`] frees per call. If no
//! zone can be lifted, nothing is released (`pool-short`): pages that cannot avert this kill
//! are kept for the next OOM.
//!
//! While the victim of a kill is dying, the allocator calls `out_of_memory()` again and again
//! and the kernel picks no new victim: such calls (`kill-pending`) release nothing and are
//! coalesced into one record, stamped with the first call's time, whose `calls` counts them and
//! whose `span_us` says how long they went on (first to last call). The budget counts OOM
//! episodes, not calls ([`OomState`]).
//!
//! Never allocates and never sleeps: spinlocks, atomics and the preallocated event ring only.

use crate::abi::{self, OomAction, Payload, ZoneState, MAX_ZONES, POLICY_AVERT};
use crate::events::Events;
use crate::ffi::{self, OomHandler, ZoneKey};
use crate::state::Guard;
use crate::zones::{self, Sample};
use core::sync::atomic::{AtomicU64, AtomicU8, Ordering::Relaxed};
use kernel::{
    new_spinlock,
    prelude::*,
    sync::{Arc, SpinLock},
};

/// Most pages released by one call (32 MiB with 4 KiB pages).
pub(crate) const ROUND_MAX_PAGES: usize = 8192;
/// Most blocks freed by one call: bounds the time spent with the pool's lock held when the
/// pool is fragmented into small blocks.
pub(crate) const ROUND_MAX_BLOCKS: usize = 256;
/// How long after a kill the next calls count as waiting for that victim, at most: longer than
/// the OOM reaper's 2 s grace before it reaps a victim that does not exit.
const KILL_FLIGHT_NS: u64 = 3_000_000_000;
/// A rise of free memory since the kill, as a fraction of managed memory (`1 / n`), that says
/// the victim's memory came back and a new OOM is a new one.
const KILL_FREED_DIV: u64 = 64;

/// A notifier record held back while calls are coalesced into it.
struct Pending {
    /// Time of the first call.
    time_ns: u64,
    flags: u32,
    oom: abi::Oom,
    /// Time of the last call coalesced into it.
    last_ns: u64,
}

impl Pending {
    /// Queues the record, with its `span_us` from the first call to the last, copied straight
    /// from where it waits.
    fn emit(&mut self, events: &Events) {
        self.oom.span_us = abi::Oom::span_us_between(self.time_ns, self.last_ns);
        events.push_with(self.time_ns, self.flags, |slot| {
            *slot = Payload::Oom(self.oom)
        });
    }
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
struct OomState {
    /// Start of the current budget window (monotonic ns), 0 before the first episode.
    window_start: u64,
    /// Episodes opened in the current window.
    episodes: u32,
    /// Whether an episode is open.
    episode_open: bool,
    /// The kernel's `oom_kill` count at the last call.
    kills_seen: u64,
    /// Whether the last call reported nothing freed (so the kernel went on to kill).
    last_zero: bool,
    /// When (monotonic ns) a kill after such a call was first seen; 0 if none is in flight.
    kill_at: u64,
    /// Free pages then.
    kill_free: u64,
    /// The `kill-pending` record calls are being coalesced into.
    pending: Option<Pending>,
}

/// The notifier's last call, for the victims stage: which task called it, when, and what it
/// did. Written and read under the kernel's `oom_lock` (the notifier and the `mark_victim`
/// probe both run under it), so plain relaxed atomics suffice.
#[derive(Default)]
struct CallMark {
    task: AtomicU64,
    at: AtomicU64,
    action: AtomicU8,
}

/// A copy of the notifier's last call ([`Notifier::last_call`]).
pub(crate) struct LastCall {
    /// The task that called it (`ffi::current_token`).
    pub(crate) task: u64,
    /// When the call started (monotonic ns); 0 before the first call.
    pub(crate) at: u64,
    /// What it did (an `OomAction`).
    pub(crate) action: u8,
}

/// The OOM notifier stage: the shared state and what the notifier remembers between calls.
#[pin_data]
pub(crate) struct Notifier {
    guard: Arc<Guard>,
    #[pin]
    oom: SpinLock<OomState>,
    last: CallMark,
}

impl Notifier {
    /// The notifier of `guard`; `oom_kills` is the kernel's `oom_kill` count now.
    pub(crate) fn new(guard: Arc<Guard>, oom_kills: u64) -> impl PinInit<Self> {
        pin_init!(Self {
            guard,
            oom <- new_spinlock!(
                OomState {
                    kills_seen: oom_kills,
                    ..OomState::default()
                },
                "OomGuard::oom"
            ),
            last: CallMark::default(),
        })
    }

    /// The last call: which task made it, when, and what it did.
    pub(crate) fn last_call(&self) -> LastCall {
        LastCall {
            task: self.last.task.load(Relaxed),
            at: self.last.at.load(Relaxed),
            action: self.last.action.load(Relaxed),
        }
    }
}

/// The zone to release pages in and how many it needs, or `None` if no zone's pool blocks can
/// lift it above its min watermark.
fn pick_zone(g: &Guard, s: &Sample) -> Option<(ZoneKey, u64)> {
    // Pool pages per zone of the snapshot; blocks of zones beyond it are not counted.
    let mut have = [0u64; MAX_ZONES];
    let n = s.nr_zones as usize;
    g.pool.for_each_block(|zone, pages| {
        for (z, h) in s.zones.iter().zip(have.iter_mut()).take(n) {
            if z.node == zone.node && z.zone_idx == zone.idx {
                *h = h.saturating_add(pages as u64);
                break;
            }
        }
    });
    let mut best: Option<(ZoneKey, u64)> = None;
    for (i, h) in have.iter().enumerate().take(n) {
        let Some((key, marks)) = s.marks(i) else {
            continue;
        };
        let managed = s.zones.get(i).map_or(0, |z| z.managed);
        let deficit = marks.deficit();
        if managed == 0 || *h == 0 || *h < deficit {
            continue;
        }
        // (`Option::is_none_or` is newer than 6.12's minimum Rust.)
        let fewer = match best {
            Some((_, d)) => deficit < d,
            None => true,
        };
        if fewer {
            best = Some((key, deficit));
        }
    }
    best
}

/// Whether this call comes while the victim of an earlier kill is still dying, and updates
/// what the next call needs to know.
///
/// A kill is in flight when the `oom_kill` count moved since a call that left the OOM to the
/// kernel (reported nothing freed) and memory has not come back since: the monitor clears it as
/// soon as it sees a zone above its low watermark again ([`Notifier::housekeeping`]), and it
/// expires after [`KILL_FLIGHT_NS`] (longer than the OOM reaper's 2 s grace). A memcg OOM kill
/// also moves the count, but only after a zero report does it count here.
fn kill_in_flight(st: &mut OomState, s: &Sample, now: u64) -> bool {
    let kills = ffi::oom_kill_count();
    if kills != st.kills_seen && st.last_zero && st.kill_at == 0 {
        st.kill_at = now;
        st.kill_free = s.free_pages;
    }
    st.kills_seen = kills;
    let in_flight = st.kill_at != 0
        && now.saturating_sub(st.kill_at) < KILL_FLIGHT_NS
        && s.free_pages < st.kill_free.saturating_add(s.total_pages / KILL_FREED_DIV);
    if !in_flight {
        st.kill_at = 0;
    }
    in_flight
}

impl OomHandler for Notifier {
    fn on_oom(&self) -> u64 {
        let g = &*self.guard;
        let start = ffi::now_ns();
        let cfg = g.config();
        let c = &g.counters.oom;
        c.calls.fetch_add(1, Relaxed);
        let pool_before = g.pool.len();
        // The zones as the OOM found them, before the pool changes them.
        let mut s = Sample::EMPTY;
        zones::sample_into(&mut s);
        // An OOM means an allocation failed at the min watermark, whatever a racy sample of the
        // zones says: the level is `min` now, reported before the OOM event, and before the
        // pool is released so that the monitor's next look (at the released memory) is what
        // brings the level back.
        // The readers are woken once, after the decision (below).
        g.update_level(&s, ZoneState::BelowMin, start, false);

        let mut st = self.oom.lock();
        let in_flight = kill_in_flight(&mut st, &s, start);
        let window_ns = u64::from(cfg.budget_window_ms).saturating_mul(1_000_000);
        if st.window_start == 0 || start.saturating_sub(st.window_start) >= window_ns {
            st.window_start = start;
            st.episodes = 0;
        }
        let mut pool_after = pool_before;
        let mut released = 0usize;
        let mut blocks_freed = 0u32;
        let mut free_ns = 0u64;
        let action = if in_flight {
            OomAction::KillPending
        } else if cfg.policy != POLICY_AVERT {
            OomAction::Observe
        } else if pool_before == 0 {
            OomAction::PoolEmpty
        } else if !st.episode_open && st.episodes >= cfg.avert_budget {
            OomAction::BudgetSpent
        } else if let Some((zone, deficit)) = pick_zone(g, &s) {
            let want = deficit
                .saturating_add(u64::from(cfg.release_chunk))
                .min(ROUND_MAX_PAGES as u64);
            let r = g.pool.release(
                zone,
                usize::try_from(want).unwrap_or(ROUND_MAX_PAGES),
                ROUND_MAX_BLOCKS,
            );
            released = r.pages;
            pool_after = r.left;
            blocks_freed = r.blocks;
            free_ns = r.free_ns;
            if !st.episode_open {
                st.episode_open = true;
                st.episodes = st.episodes.saturating_add(1);
            }
            OomAction::Avert
        } else {
            OomAction::PoolShort
        };
        st.last_zero = released == 0;
        self.last.task.store(ffi::current_token(), Relaxed);
        self.last.at.store(start, Relaxed);
        self.last.action.store(action as u8, Relaxed);
        let averts_left = cfg.avert_budget.saturating_sub(st.episodes);
        let took = ffi::now_ns().saturating_sub(start);
        c.callback_total_ns.fetch_add(took, Relaxed);
        c.callback_max_ns.fetch_max(took, Relaxed);
        let (pid, comm) = ffi::current_task();
        let call = Call {
            s: &s,
            action,
            released,
            pool_before,
            pool_after,
            took,
            free_ns,
            blocks_freed,
            averts_left,
            pid,
            comm,
            level: g.level(),
        };
        if action == OomAction::KillPending {
            // Coalesced: counted into the held-back record, which the monitor emits once the
            // calls stop (or the next record of this kind goes out first).
            match st.pending.as_mut() {
                Some(p) => {
                    p.oom.calls = p.oom.calls.saturating_add(1);
                    p.last_ns = start;
                }
                None => {
                    let p = st.pending.insert(Pending {
                        time_ns: start,
                        flags: s.flags,
                        oom: abi::Oom::default(),
                        last_ns: start,
                    });
                    call.fill(&mut p.oom);
                }
            }
            return 0;
        }
        // A held-back record goes out first.
        if let Some(p) = st.pending.as_mut() {
            p.emit(&g.events);
        }
        st.pending = None;
        drop(st);
        if released > 0 {
            c.averts.fetch_add(1, Relaxed);
            c.pages_released.fetch_add(released as u64, Relaxed);
        }
        g.events.push_with(start, s.flags, |slot| {
            *slot = Payload::Oom(abi::Oom::default());
            if let Payload::Oom(o) = slot {
                call.fill(o);
            }
        });
        if released > 0 {
            g.events.push(
                start,
                0,
                Payload::Pool(abi::Pool {
                    op: abi::PoolOp::Release as u8,
                    reserved: [0; 7],
                    pages: released as u64,
                    pool_pages: pool_after as u64,
                    target_pages: g.pool.target() as u64,
                }),
            );
        }
        g.events.wake();
        released as u64
    }
}

/// What one notifier call did, for its `OOM` record.
struct Call<'a> {
    s: &'a Sample,
    action: OomAction,
    released: usize,
    pool_before: usize,
    pool_after: usize,
    took: u64,
    /// Of `took`, the time the pool's release loop took (its `__free_pages` calls).
    free_ns: u64,
    /// Blocks that loop freed.
    blocks_freed: u32,
    averts_left: u32,
    pid: u32,
    comm: [u8; abi::COMM_LEN],
    level: abi::Level,
}

impl Call<'_> {
    /// Writes the call's `OOM` record in place (a record is large: the OOM path builds it
    /// where it is kept, not on its stack).
    fn fill(&self, o: &mut abi::Oom) {
        o.action = self.action as u8;
        o.level = self.level as u8;
        o.calls = 1;
        o.pid = self.pid;
        o.comm = self.comm;
        o.free_pages = self.s.free_pages;
        o.available_pages = self.s.available_pages;
        o.pool_before = self.pool_before as u64;
        o.pool_after = self.pool_after as u64;
        o.freed_reported = self.released as u64;
        o.callback_ns = self.took;
        o.free_ns = self.free_ns;
        o.blocks_freed = self.blocks_freed;
        o.averts_left = self.averts_left;
        o.nr_zones = self.s.nr_zones;
        o.zones = self.s.zones;
    }
}

impl Notifier {
    /// Called by the monitor: emits the coalesced `kill-pending` record once no call has
    /// joined it for `quiet_ns`; closes the OOM episode once memory is `calm` (level ok, zones
    /// above low, for `refill_delay_ms`: when the pool starts to refill); and once memory has
    /// `recovered` (a zone above its low watermark: a victim's memory came back), counts every
    /// kill so far as over, so that the next OOM is a new one.
    pub(crate) fn housekeeping(
        &self,
        now: u64,
        quiet_ns: u64,
        calm: bool,
        recovered: bool,
        kills_now: u64,
    ) {
        let flush = {
            let mut st = self.oom.lock();
            if calm {
                st.episode_open = false;
            }
            if recovered {
                st.kills_seen = kills_now;
                st.last_zero = false;
                st.kill_at = 0;
            }
            match st.pending.as_mut() {
                Some(p) if now.saturating_sub(p.last_ns) >= quiet_ns => {
                    p.emit(&self.guard.events);
                    st.pending = None;
                    true
                }
                _ => false,
            }
        };
        if flush {
            self.guard.events.wake();
        }
    }
}
