// SPDX-License-Identifier: GPL-2.0

//! rust_oom_guard: averts global OOM kills with an emergency page pool and warns before memory
//! runs out.
//!
//! This crate root only wires the stages together: the module declaration, the init order and
//! the teardown order. Data flows one way: the OOM notifier, the pool and the monitor write
//! records to the event ring, which the device hands to its readers.
//!
//! - stages: `notifier.rs` (the OOM notifier: releases pool pages, reports them freed, keeps
//!   the avert budget), `monitor.rs` (the watermark monitor: levels, headroom, kills, when to
//!   sample next; `reclaim.rs`: the reclaim episodes it follows), `victims.rs` (each OOM
//!   victim, global or memcg, named from the `oom:mark_victim` tracepoint), `device.rs`
//!   (`/dev/oom_guard`);
//! - what they share: `state.rs` (ring, pool, configuration, pressure level, counters),
//!   `config.rs` (module parameters and the live configuration), `stats.rs` (the counters by
//!   stage and the stats snapshot);
//! - below: `events.rs` (the event ring), `pool.rs` (the emergency page pool and its refill
//!   policy), `zones.rs` (the zone sample);
//! - `ffi/`: every raw kernel interface, behind a safe API, one file per kernel subsystem, and
//!   `ffi/compat/`: what differs between the kernel series the module builds against (7.x, 6.12
//!   LTS), under one set of names, chosen at build time, with its C shim;
//! - `common/`: the `core`-only ABI (`abi/`) and logic (`level.rs`, `headroom.rs`, `ring.rs`,
//!   `params.rs`), shared with userspace and tested on the host.

use ffi::compat;
use kernel::{prelude::*, sync::Arc};

pub mod common;
mod config;
mod device;
mod events;
mod ffi;
mod monitor;
mod notifier;
mod pool;
mod reclaim;
mod state;
mod stats;
mod victims;
mod zones;

pub use common::{abi, headroom, level, params, ring};

use ffi::{MiscDev, OomNotifier, Peeker, ReclaimHook, Ticker, VictimProbe};
use monitor::Monitor;
use notifier::Notifier;
use state::Guard;
use victims::Victims;

/// Period of the per-CPU peek timers, in milliseconds.
const PEEK_MS: u32 = 10;

/// What the kernel loads: the guard, in place on 7.x, in a box on 6.12.
type OomGuardModule = compat::LoadedModule<OomGuard>;

// The same declaration: 7.x spells the author key `authors`, 6.12 `author`.
#[cfg(not(oom_guard_k612))]
module! {
    type: OomGuardModule,
    name: "rust_oom_guard",
    authors: ["rust_oom_guard developers"],
    description: "Averts global OOM kills with an emergency page pool and warns before memory \
                  runs out",
    license: "GPL",
}

#[cfg(oom_guard_k612)]
module! {
    type: OomGuardModule,
    name: "rust_oom_guard",
    author: "rust_oom_guard developers",
    // 6.12's `module!` takes no escapes in strings (no line continuation).
    description: "Averts global OOM kills with an emergency page pool and warns before memory runs out",
    license: "GPL",
}

/// The loaded module. Fields drop in declaration order, which is the teardown order: the
/// victim probe off (detaching waits until no CPU runs it), reclaim hook and peek timers off
/// (they wake the monitor), OOM notifier off, monitor stopped, device gone (open files keep the
/// module loaded), then the shared state with the pool.
#[pin_data(PinnedDrop)]
struct OomGuard {
    victims: Option<VictimProbe<Victims>>,
    reclaim: ReclaimHook<Monitor>,
    peeks: Peeker<Monitor>,
    #[pin]
    notifier: OomNotifier<Notifier>,
    #[pin]
    monitor: Ticker<Monitor>,
    #[pin]
    device: MiscDev<Guard>,
    guard: Arc<Guard>,
}

/// The stages, set up and not started yet.
struct Stages {
    guard: Arc<Guard>,
    notifier: Arc<Notifier>,
    monitor: Arc<Monitor>,
    victims: Arc<Victims>,
}

/// Reads and checks every parameter, allocates the shared state (ring and pool) and sets up
/// the stages.
fn setup() -> Result<Stages> {
    let config::Load {
        config,
        pool_kib,
        ring_size,
    } = config::load()?;
    let pool_pages = pool::pages_for(pool_kib)?;
    let state = Guard::new(config, ring_size as usize, pool_pages).inspect_err(|e| {
        if *e == ENOMEM {
            pr_err!(
                "cannot allocate the {pool_kib} KiB emergency pool and the {ring_size}-record \
                 ring without reclaiming memory others need: lower pool_kib\n"
            );
        }
    })?;
    let guard = Arc::pin_init(state, GFP_KERNEL)?;
    let oom_kills = ffi::oom_kill_count_stable();
    let notifier = Arc::pin_init(Notifier::new(guard.clone(), oom_kills), GFP_KERNEL)?;
    let monitor = Arc::pin_init(
        Monitor::new(guard.clone(), notifier.clone(), oom_kills),
        GFP_KERNEL,
    )?;
    let victims = Arc::pin_init(
        Victims::new(guard.clone(), notifier.clone(), oom_kills),
        GFP_KERNEL,
    )?;
    let policy_name = if config.policy == abi::POLICY_AVERT {
        "avert"
    } else {
        "observe"
    };
    pr_info!(
        "loaded: pool {} KiB ({} pages), policy {}, ring {} records\n",
        pool_kib,
        pool_pages,
        policy_name,
        ring_size
    );
    Ok(Stages {
        guard,
        notifier,
        monitor,
        victims,
    })
}

impl compat::InPlaceModule for OomGuard {
    fn init(module: &'static ThisModule) -> impl PinInit<Self, Error> {
        compat::pin_init_scope(move || {
            let Stages {
                guard,
                notifier: notifier_stage,
                monitor: monitor_stage,
                victims: victims_stage,
            } = setup()?;
            // Init order: shared state, monitor, device, the OOM notifier once everything it
            // reports to exists, then the victim probe (it reads the notifier's last call).
            Ok(try_pin_init!(Self {
                monitor <- Ticker::new(
                    monitor_stage.clone(),
                    0,
                    compat::lock_class!(),
                    compat::lock_class!()
                ),
                device <- MiscDev::register(c"oom_guard", module, guard.clone()),
                notifier <- OomNotifier::register(notifier_stage),
                victims: Victims::attach(victims_stage)?,
                reclaim: ReclaimHook::register(monitor_stage.clone())?,
                peeks: Peeker::start(monitor_stage, PEEK_MS, compat::lock_class!())?,
                guard,
            }))
        })
    }
}

#[pinned_drop]
impl PinnedDrop for OomGuard {
    fn drop(self: Pin<&mut Self>) {
        pr_info!("unloaded\n");
    }
}
