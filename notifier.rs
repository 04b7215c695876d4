// SPDX-License-Identifier: GPL-2.0

//! The OOM notifier: called by the kernel on every global OOM, inside `out_of_memory()` with
//! `oom_lock` held. With policy `avert` it gives pool pages back to the allocator — enough to lift
//! the zones back above their (boosted) min watermark, plus `release_chunk` — and reports them
//! freed, so the kernel skips the kill for this round, at most
//! `avert_budget` times per `budget_window_ms`; then it reports nothing and the kernel kills.
//!
//! Never allocates and never sleeps: spinlocks, atomics and the preallocated event ring only.

use crate::abi::{self, OomAction, Payload, ZoneState, POLICY_AVERT};
use crate::ffi::{self, OomHandler};
use crate::state::Guard;
use crate::watermark;
use core::sync::atomic::Ordering::Relaxed;

impl OomHandler for Guard {
    fn on_oom(&self) -> u64 {
        let start = ffi::now_ns();
        let cfg = self.config();
        let c = &self.counters;
        c.oom_calls.fetch_add(1, Relaxed);
        let pool_before = self.pool.len();
        // The zones as the OOM found them, before the pool changes them.
        let s = watermark::sample();
        // An OOM means an allocation failed at the min watermark, whatever a racy sample of the
        // zones says: the level is `min` now, reported before the OOM event, and before the
        // pool is released so that the monitor's next look (at the released memory) is what
        // brings the level back.
        // The readers are woken once, after the decision (below).
        watermark::update_level(self, &s, ZoneState::BelowMin, start, false);

        let mut pool_after = pool_before;
        let (action, released, averts_left) = if cfg.policy != POLICY_AVERT {
            (OomAction::Observe, 0, 0)
        } else {
            let mut b = self.budget.lock();
            let window_ns = u64::from(cfg.budget_window_ms) * 1_000_000;
            if b.window_start == 0 || start.saturating_sub(b.window_start) >= window_ns {
                b.window_start = start;
                b.used = 0;
            }
            if b.used >= cfg.avert_budget {
                (OomAction::BudgetSpent, 0, 0)
            } else {
                // The allocation that failed can only proceed once free pages are back above the
                // (boosted) min watermark: release that deficit plus `release_chunk`, or the
                // pages only refill the gap and the allocator gives up after its retries anyway.
                let deficit = s
                    .zones
                    .iter()
                    .take(s.nr_zones as usize)
                    .map(|z| {
                        z.min
                            .saturating_add(z.boost)
                            .saturating_add(z.reserve)
                            .saturating_add(1)
                            .saturating_sub(z.free)
                    })
                    .fold(0u64, u64::saturating_add);
                let want = u64::from(cfg.release_chunk).saturating_add(deficit);
                let (released, left) = self
                    .pool
                    .release(usize::try_from(want).unwrap_or(usize::MAX));
                pool_after = left;
                if released == 0 {
                    (OomAction::PoolEmpty, 0, cfg.avert_budget - b.used)
                } else {
                    b.used += 1;
                    (OomAction::Avert, released, cfg.avert_budget - b.used)
                }
            }
        };
        if released > 0 {
            c.averts.fetch_add(1, Relaxed);
            c.pages_released.fetch_add(released as u64, Relaxed);
        }

        let (pid, comm) = ffi::current_task();
        let end = ffi::now_ns();
        let took = end.saturating_sub(start);
        c.callback_total_ns.fetch_add(took, Relaxed);
        c.callback_max_ns.fetch_max(took, Relaxed);

        self.events.push(
            start,
            s.flags,
            Payload::Oom(abi::Oom {
                action: action as u8,
                level: self.level() as u8,
                reserved: 0,
                pid,
                comm,
                free_pages: s.free_pages,
                available_pages: s.available_pages,
                pool_before: pool_before as u64,
                pool_after: pool_after as u64,
                freed_reported: released as u64,
                callback_ns: took,
                averts_left,
                nr_zones: s.nr_zones,
                zones: s.zones,
            }),
        );
        if released > 0 {
            self.events.push(
                start,
                0,
                Payload::Pool(abi::Pool {
                    op: abi::PoolOp::Release as u8,
                    reserved: [0; 7],
                    pages: released as u64,
                    pool_pages: pool_after as u64,
                    target_pages: self.pool.target() as u64,
                }),
            );
        }
        self.events.wake();
        released as u64
    }
}
