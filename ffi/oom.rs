// SPDX-License-Identifier: GPL-2.0

//! The OOM notifier chain (`include/linux/oom.h`): a registration whose callback reports the
//! pages it freed to `out_of_memory()`.

use super::compat;
use crate::abi;
use kernel::{
    bindings,
    error::to_result,
    ffi::{c_int, c_ulong, c_void},
    prelude::*,
    sync::Arc,
    types::Opaque,
};

extern "C" {
    fn register_oom_notifier(nb: *mut bindings::notifier_block) -> c_int;
    fn unregister_oom_notifier(nb: *mut bindings::notifier_block) -> c_int;
}

/// Called by the kernel's OOM notifier chain, inside `out_of_memory()` with `oom_lock` held.
pub(crate) trait OomHandler: Send + Sync {
    /// Handles one global OOM; returns the number of pages freed, which the kernel adds to
    /// `*freed` (non-zero skips the kill for this round). Must not allocate or sleep.
    fn on_oom(&self) -> u64;
}

/// A registration on the OOM notifier chain; unregistered on drop.
#[pin_data(PinnedDrop)]
pub(crate) struct OomNotifier<H: OomHandler + 'static> {
    handler: Arc<H>,
    #[pin]
    nb: Opaque<bindings::notifier_block>,
}

impl<H: OomHandler + 'static> OomNotifier<H> {
    /// Registers `handler` on the OOM notifier chain.
    pub(crate) fn register(handler: Arc<H>) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            handler,
            nb <- compat::opaque_try_ffi_init(|slot: *mut bindings::notifier_block| {
                // SAFETY: `slot` is valid for writes; `handler` was initialised before `nb`, so
                // a callback that runs as soon as this registers finds it.
                unsafe {
                    slot.write(bindings::notifier_block {
                        notifier_call: Some(Self::call),
                        next: core::ptr::null_mut(),
                        priority: 0,
                    });
                    to_result(register_oom_notifier(slot))
                }
            }),
        })
    }

    /// # Safety
    ///
    /// Called by the notifier chain with the `notifier_block` registered above and `data`
    /// pointing to the OOM killer's `unsigned long freed`.
    unsafe extern "C" fn call(
        nb: *mut bindings::notifier_block,
        _action: c_ulong,
        data: *mut c_void,
    ) -> c_int {
        // SAFETY: `nb` is the `nb` field of a pinned, registered `OomNotifier<H>`: it is
        // unregistered (and the chain synchronised) before the struct is dropped.
        let this = unsafe {
            &*kernel::container_of!(nb.cast::<Opaque<bindings::notifier_block>>(), Self, nb)
        };
        let freed = this.handler.on_oom();
        if freed > 0 && !data.is_null() {
            let freed = c_ulong::try_from(freed).unwrap_or(c_ulong::MAX);
            // SAFETY: The OOM killer passes a valid `unsigned long *freed`, owned by it and
            // written only under `oom_lock`, which it holds.
            unsafe {
                let p = data.cast::<c_ulong>();
                *p = (*p).saturating_add(freed);
            }
        }
        bindings::NOTIFY_OK as c_int
    }
}

// SAFETY: The `notifier_block` is only touched by the notifier chain, under its own lock, and
// by `register`/`drop`; `H` is `Send + Sync`.
unsafe impl<H: OomHandler + 'static> Send for OomNotifier<H> {}
// SAFETY: As above.
unsafe impl<H: OomHandler + 'static> Sync for OomNotifier<H> {}

#[pinned_drop]
impl<H: OomHandler + 'static> PinnedDrop for OomNotifier<H> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: `nb` was registered in `register` (an `OomNotifier` exists only if that
        // succeeded). Unregistering waits for running callbacks (the chain's rwsem).
        unsafe { unregister_oom_notifier(self.nb.get()) };
    }
}

/// An OOM victim as the `oom:mark_victim` tracepoint shows it (`mark_oom_victim()`), read at
/// that moment: what the kernel's own trace event records, plus the victim's memory cgroup.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Victim {
    /// Thread id.
    pub(crate) pid: u32,
    /// Process id.
    pub(crate) tgid: u32,
    /// Real uid (as the tracepoint passes it).
    pub(crate) uid: u32,
    /// Its `oom_score_adj`.
    pub(crate) oom_score_adj: i16,
    /// Its name, NUL-padded.
    pub(crate) comm: [u8; abi::COMM_LEN],
    /// Resident anonymous, file and shared-memory pages of its mm.
    pub(crate) anon_pages: u64,
    /// See `anon_pages`.
    pub(crate) file_pages: u64,
    /// See `anon_pages`.
    pub(crate) shmem_pages: u64,
    /// Bytes of its page tables.
    pub(crate) pgtables_bytes: u64,
    /// The id of its memory cgroup (`cgroup_id()`, the inode number of its directory under
    /// `/sys/fs/cgroup`); 0 without `CONFIG_MEMCG`.
    pub(crate) cgroup_id: u64,
}

/// Called for each OOM victim, global or memcg, from the `oom:mark_victim` tracepoint: in
/// atomic context (under `task_lock(victim)`), with `oom_lock` held.
pub(crate) trait VictimHandler: Send + Sync {
    /// Handles one victim. Must not allocate, sleep or take `task_lock`.
    fn on_victim(&self, victim: &Victim);
}

/// A probe on the `oom:mark_victim` tracepoint; detached on drop, which waits until no CPU
/// still runs it.
#[cfg(oom_guard_victim_probe)]
pub(crate) struct VictimProbe<H: VictimHandler + 'static> {
    handler: Arc<H>,
    tp: super::tracepoint::Tracepoint,
}

#[cfg(oom_guard_victim_probe)]
impl<H: VictimHandler + 'static> VictimProbe<H> {
    /// Attaches `handler` to `oom:mark_victim`; `None` if this kernel has no such tracepoint.
    pub(crate) fn attach(handler: Arc<H>) -> Result<Option<Self>> {
        let Some(tp) = super::tracepoint::Tracepoint::find(c"mark_victim") else {
            return Ok(None);
        };
        let this = Self { handler, tp };
        // SAFETY: `probe` has the tracepoint's signature (`TP_PROTO(struct task_struct *task,
        // uid_t uid)` after `void *data`); `data` is the handler inside the `Arc` this probe
        // holds until `drop` has detached it.
        unsafe { tp.attach(Self::probe as *mut c_void, this.data())? };
        Ok(Some(this))
    }

    fn data(&self) -> *mut c_void {
        core::ptr::from_ref::<H>(&self.handler).cast_mut().cast()
    }

    /// # Safety
    ///
    /// Called by the `oom:mark_victim` tracepoint with the `data` registered in `attach` and a
    /// victim whose `mm` is stable: under `task_lock(task)` or `task == current`
    /// (`mark_oom_victim()`'s contract).
    unsafe extern "C" fn probe(data: *mut c_void, task: *mut bindings::task_struct, uid: u32) {
        // SAFETY: `data` is the handler the probe's `Arc` keeps alive until it is detached.
        let handler = unsafe { &*data.cast::<H>() };
        // SAFETY: The caller's contract, passed on.
        let victim = unsafe { read_victim(task, uid) };
        handler.on_victim(&victim);
    }
}

#[cfg(oom_guard_victim_probe)]
impl<H: VictimHandler + 'static> Drop for VictimProbe<H> {
    fn drop(&mut self) {
        // SAFETY: The pair was attached in `attach` (a `VictimProbe` exists only if that
        // succeeded).
        unsafe { self.tp.detach(Self::probe as *mut c_void, self.data()) };
    }
}

/// Without `CONFIG_TRACEPOINTS` there is no probe: `KILL` events carry the kill count only.
#[cfg(not(oom_guard_victim_probe))]
pub(crate) struct VictimProbe<H: VictimHandler + 'static>(core::marker::PhantomData<H>);

#[cfg(not(oom_guard_victim_probe))]
impl<H: VictimHandler + 'static> VictimProbe<H> {
    /// Always `None`: this kernel has no tracepoints.
    pub(crate) fn attach(_handler: Arc<H>) -> Result<Option<Self>> {
        // Named, so that the handler stays compiled and checked in this build too.
        let _: fn(&H, &Victim) = H::on_victim;
        Ok(None)
    }
}

/// Reads what [`Victim`] holds from `task`.
///
/// # Safety
///
/// `task` is a live task whose `mm` is stable for this call (under `task_lock(task)`, or the
/// current task), in a context where RCU read-side sections may be entered.
#[cfg_attr(not(oom_guard_victim_probe), allow(dead_code))]
unsafe fn read_victim(task: *mut bindings::task_struct, uid: u32) -> Victim {
    // SAFETY: `task` is live (caller's contract); `pid`, `tgid` and `signal` are set before a
    // task runs and never change after, and `signal` lives as long as the task.
    let (pid, tgid, signal, mm) =
        unsafe { ((*task).pid, (*task).tgid, (*task).signal, (*task).mm) };
    let mut v = Victim {
        pid: u32::try_from(pid).unwrap_or(0),
        tgid: u32::try_from(tgid).unwrap_or(0),
        uid,
        // SAFETY: `task` is live (caller's contract).
        comm: unsafe { super::task::read_comm(task) },
        ..Victim::default()
    };
    // SAFETY: `signal` lives as long as the task; `oom_score_adj` is written under its own lock
    // by other CPUs, so it is read once, volatile.
    v.oom_score_adj = unsafe { core::ptr::read_volatile(&raw const (*signal).oom_score_adj) };
    if !mm.is_null() {
        // SAFETY: `mm` is stable for this call (caller's contract). The counters are
        // `percpu_counter`s: their `count` is the approximate total that
        // `get_mm_counter()` reads, racy by design, read once.
        unsafe {
            let m = &raw const (*mm).__bindgen_anon_1;
            let count = |i: u32| super::read_once(&raw const (*m).rss_stat[i as usize].count);
            v.anon_pages = count(bindings::MM_ANONPAGES);
            v.file_pages = count(bindings::MM_FILEPAGES);
            v.shmem_pages = count(bindings::MM_SHMEMPAGES);
            v.pgtables_bytes = super::read_atomic_long(&raw const (*m).pgtables_bytes);
        }
    }
    #[cfg(CONFIG_MEMCG)]
    {
        let _rcu = compat::rcu_read_lock();
        // SAFETY: Under the RCU read lock taken above, `task->cgroups` and the css, cgroup and
        // kernfs node it leads to stay allocated (they are freed after a grace period); each
        // pointer is read once. A task always has a css_set, and the memory controller's css
        // in it is set whenever the controller is built in.
        v.cgroup_id = unsafe {
            let cset = super::read_once_ptr(
                (&raw const (*task).cgroups).cast::<*const bindings::css_set>(),
            );
            let css = (*cset).subsys[bindings::cgroup_subsys_id_memory_cgrp_id as usize];
            if css.is_null() {
                0
            } else {
                let cgrp = super::read_once_ptr(
                    (&raw const (*css).cgroup).cast::<*const bindings::cgroup>(),
                );
                let kn = (*cgrp).kn;
                if kn.is_null() {
                    0
                } else {
                    (*kn).id
                }
            }
        };
    }
    v
}
