// SPDX-License-Identifier: GPL-2.0

//! Stage: the OOM victims. A probe on the `oom:mark_victim` tracepoint sees every task the
//! kernel marks as an OOM victim, in a global OOM or a memcg one (`memory.max`), and reports
//! each as a `KILL` record that names it: pid, tgid, uid, name, `oom_score_adj`, resident
//! memory and page tables as the kernel's own trace event has them, and its memory cgroup.
//!
//! The notifier chain runs only for global OOMs, before the kernel picks a victim; so a victim
//! whose OOM the guard's notifier saw (the same task called it, within [`CALL_WINDOW_NS`]) is
//! global, and the record says what the notifier did and how long after it the victim was
//! picked; any other victim is from a memcg OOM. The kernel's `oom_kill` counter moves before
//! the mark for a kill, not for a task that was already exiting and only gets reserves; a
//! further kill in the same OOM is a group member (`memory.oom.group`).
//!
//! The probe runs in atomic context, under `task_lock(victim)` and with `oom_lock` held (so
//! victims come one at a time): it reads what the kernel's trace event reads, takes the
//! ring's spinlock, and never allocates or sleeps. Without `CONFIG_TRACEPOINTS` there is no
//! probe, and the monitor reports kills as a count (`monitor.rs`).

use crate::abi::{Kill, Payload, KILL_EXITING, KILL_GLOBAL, KILL_GROUP, KILL_MEMCG, KILL_VICTIM};
use crate::ffi::{self, Victim, VictimHandler, VictimProbe};
use crate::notifier::Notifier;
use crate::state::Guard;
use core::sync::atomic::Ordering::Relaxed;
use kernel::{new_spinlock, prelude::*, sync::Arc, sync::SpinLock};

/// How long after the guard's notifier call a victim picked by the same task still belongs to
/// that OOM: longer than the OOM report the kernel prints before the kill (slow consoles take
/// a while), far shorter than the time between two OOMs of one task (the first victim has to
/// die first).
const CALL_WINDOW_NS: u64 = 5_000_000_000;

/// How close after the last kill a kill by the same task in a memcg OOM counts as part of the
/// same OOM (a `memory.oom.group` member): the kernel kills a group in one pass.
const GROUP_WINDOW_NS: u64 = 1_000_000_000;

/// What the last victim was, to tell kills from marks and group members from new OOMs.
#[derive(Default)]
struct Last {
    /// The kernel's `oom_kill` count then.
    kills: u64,
    /// The task in the OOM then (`ffi::current_token`).
    caller: u64,
    /// The start of the notifier call it belonged to (global), or 0.
    call_at: u64,
    /// When it was marked.
    at: u64,
}

/// The victims stage: the shared state, the notifier (for its last call) and the last victim.
#[pin_data]
pub(crate) struct Victims {
    guard: Arc<Guard>,
    notifier: Arc<Notifier>,
    #[pin]
    last: SpinLock<Last>,
}

impl Victims {
    /// The victims stage of `guard`; `oom_kills` is the kernel's `oom_kill` count now.
    pub(crate) fn new(
        guard: Arc<Guard>,
        notifier: Arc<Notifier>,
        oom_kills: u64,
    ) -> impl PinInit<Self> {
        pin_init!(Self {
            guard,
            notifier,
            last <- new_spinlock!(
                Last {
                    kills: oom_kills,
                    ..Last::default()
                },
                "OomGuard::victims"
            ),
        })
    }

    /// Attaches the stage to `oom:mark_victim`, saying once which way kills are reported; the
    /// monitor reports them as counts where there is no probe.
    pub(crate) fn attach(this: Arc<Self>) -> Result<Option<VictimProbe<Self>>> {
        let guard = this.guard.clone();
        let probe = VictimProbe::attach(this)?;
        guard.set_victims_named(probe.is_some());
        if probe.is_some() {
            pr_info!("victims: each OOM victim is named (oom:mark_victim probe)\n");
        } else {
            pr_info!(
                "victims: no oom:mark_victim probe (it needs CONFIG_TRACEPOINTS): kills are \
                 reported as counts, without their victims\n"
            );
        }
        Ok(probe)
    }
}

impl VictimHandler for Victims {
    fn on_victim(&self, v: &Victim) {
        let g = &*self.guard;
        let now = ffi::now_ns();
        let kills = ffi::oom_kill_count();
        let caller = ffi::current_token();
        let call = self.notifier.last_call();
        let global =
            call.task == caller && call.at != 0 && now.saturating_sub(call.at) < CALL_WINDOW_NS;
        let mut last = self.last.lock();
        let killed = kills != last.kills;
        let group = killed
            && last.caller == caller
            && if global {
                last.call_at == call.at
            } else {
                last.call_at == 0 && now.saturating_sub(last.at) < GROUP_WINDOW_NS
            };
        *last = Last {
            kills,
            caller,
            call_at: if global { call.at } else { 0 },
            at: now,
        };
        drop(last);
        let mut flags = KILL_VICTIM | if global { KILL_GLOBAL } else { KILL_MEMCG };
        if !killed {
            flags |= KILL_EXITING;
        }
        if group {
            flags |= KILL_GROUP;
        }
        let page_kib = (kernel::page::PAGE_SIZE / 1024) as u64;
        let kib = |pages: u64| pages.saturating_mul(page_kib);
        g.events.push(
            now,
            0,
            Payload::Kill(Kill {
                kills: u64::from(killed),
                victim_pid: v.pid,
                victim_tgid: v.tgid,
                victim_uid: v.uid,
                oom_score_adj: v.oom_score_adj,
                flags,
                victim_comm: v.comm,
                victim_rss_kib: kib(v
                    .anon_pages
                    .saturating_add(v.file_pages)
                    .saturating_add(v.shmem_pages)),
                anon_kib: kib(v.anon_pages),
                file_kib: kib(v.file_pages),
                shmem_kib: kib(v.shmem_pages),
                pgtables_kib: v.pgtables_bytes / 1024,
                cgroup_id: v.cgroup_id,
                select_ns: if global {
                    now.saturating_sub(call.at)
                } else {
                    0
                },
                notifier_action: if global { call.action } else { 0 },
                reserved: [0; 7],
            }),
        );
        g.events.wake();
        let took = ffi::now_ns().saturating_sub(now);
        let c = &g.counters.victims;
        c.named.fetch_add(1, Relaxed);
        c.probe_total_ns.fetch_add(took, Relaxed);
        c.probe_max_ns.fetch_max(took, Relaxed);
    }
}
