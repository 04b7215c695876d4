// SPDX-License-Identifier: GPL-2.0

//! rust_oom_guard: averts global OOM kills with an emergency page pool and warns before memory
//! runs out.
//!
//! This crate root only wires the stages together: the module declaration, its parameters, the
//! init order and the teardown order. The stages live in sibling files:
//!
//! - `notifier.rs`: the OOM notifier (releases pool pages, reports them freed);
//! - `pool.rs`: the emergency page pool;
//! - `watermark.rs`: the monitor (watermark and headroom levels, fall rate, reclaim episodes,
//!   kills, refills);
//! - `events.rs`: the event ring; `device.rs`: `/dev/oom_guard`;
//! - `abi.rs`, `level.rs`, `headroom.rs`, `ring.rs`, `params.rs`: `core`-only ABI and logic, shared with
//!   userspace and tested on the host;
//! - `ffi/`: every raw kernel interface, behind a safe API, one file per kernel subsystem.

use kernel::{prelude::*, static_lock_class, sync::Arc};

pub mod abi;
mod device;
mod events;
mod ffi;
pub mod headroom;
pub mod level;
mod notifier;
pub mod params;
mod pool;
pub mod ring;
mod state;
mod watermark;

use ffi::{MiscDev, OomNotifier, Peeker, ReclaimHook, Ticker};

/// Period of the per-CPU peek timers, in milliseconds.
const PEEK_MS: u32 = 10;
use state::Guard;

module! {
    type: OomGuard,
    name: "rust_oom_guard",
    authors: ["rust_oom_guard developers"],
    description: "Averts global OOM kills with an emergency page pool and warns before memory runs out",
    license: "GPL",
}

// Module parameters: checked at load (bad values fail it with `-EINVAL`), readable under
// /sys/module/rust_oom_guard/parameters/ with their live values. Ranges are in `params.rs`.
mod load_params {
    use crate::params;

    crate::ffi::module_params! {
        pool_kib = params::POOL_KIB.default as u32, "Emergency pool size in KiB, 0..=4194304 (default 16384)";
        release_chunk = params::RELEASE_CHUNK.default as u32, "Pages released per OOM call beyond the zone's deficit, 1..=65536 (default 256)";
        policy = params::POLICY.default as u32, "OOM policy: 0 = observe, 1 = avert (default 1)";
        avert_budget = params::AVERT_BUDGET.default as u32, "OOM episodes averted per budget window, 0..=1000 (default 8)";
        budget_window_ms = params::BUDGET_WINDOW_MS.default as u32, "Avert budget window in ms, 100..=3600000 (default 60000)";
        ring_size = params::RING_SIZE.default as u32, "Event ring capacity in records, 64..=65536 (default 1024)";
        refill_delay_ms = params::REFILL_DELAY_MS.default as u32,
            "Time above the high watermarks before the pool refills, ms, 0..=600000 (default 5000)";
        sample_slow_ms = params::SAMPLE_SLOW_MS.default as u32, "Sampling period far from the watermarks, ms, 10..=10000 (default 1000)";
        sample_fast_ms = params::SAMPLE_FAST_MS.default as u32,
            "Sampling period near the watermarks, ms, 1..=1000 and <= sample_slow_ms (default 10)";
        headroom_unit = params::HEADROOM_UNIT.default as u32,
            "Unit of the headroom thresholds: 0 = percent of managed memory, 1 = KiB (default 0)";
        headroom_low = params::HEADROOM_LOW.default as u32,
            "Available memory below which headroom is low, 1..=2147483648 (<= 100 in percent) (default 20)";
        headroom_medium = params::HEADROOM_MEDIUM.default as u32,
            "Available memory below which headroom is medium, < headroom_low (default 10)";
        headroom_critical = params::HEADROOM_CRITICAL.default as u32,
            "Available memory below which headroom is critical, < headroom_medium (default 5)";
        headroom_hysteresis = params::HEADROOM_HYSTERESIS.default as u32,
            "Rise above a threshold needed to leave its level, 0..=2147483648 (<= 100 in percent) (default 2)";
        sample_min_ms = params::SAMPLE_MIN_MS.default as u32,
            "Shortest adaptive sampling interval, ms, 1..=1000 and <= sample_fast_ms (default 1)";
        reclaim_quiet_ms = params::RECLAIM_QUIET_MS.default as u32,
            "Time without reclaim that ends a reclaim episode, ms, 10..=60000 (default 500)";
    }
}

/// Publishes the live configuration to the parameters' sysfs files.
pub(crate) fn publish_config(config: &abi::Config) {
    load_params::release_chunk.set(config.release_chunk);
    load_params::policy.set(config.policy);
    load_params::avert_budget.set(config.avert_budget);
    load_params::budget_window_ms.set(config.budget_window_ms);
    load_params::refill_delay_ms.set(config.refill_delay_ms);
    load_params::sample_slow_ms.set(config.sample_slow_ms);
    load_params::sample_fast_ms.set(config.sample_fast_ms);
    load_params::headroom_unit.set(config.headroom_unit);
    load_params::headroom_low.set(config.headroom_low);
    load_params::headroom_medium.set(config.headroom_medium);
    load_params::headroom_critical.set(config.headroom_critical);
    load_params::headroom_hysteresis.set(config.headroom_hysteresis);
    load_params::sample_min_ms.set(config.sample_min_ms);
    load_params::reclaim_quiet_ms.set(config.reclaim_quiet_ms);
}

/// Logs one `pr_err` naming a rejected parameter and its accepted range; returns `EINVAL`.
fn rejected(e: params::RangeError) -> Error {
    pr_err!(
        "invalid {}={}: accepted range {}..={} {}\n",
        e.spec.name,
        e.value,
        e.spec.min,
        e.spec.max,
        e.spec.unit
    );
    EINVAL
}

/// Checks one parameter against its range.
fn param(spec: params::Spec, value: u32) -> Result<u32> {
    spec.check_u32(value).map_err(rejected)
}

/// The loaded module. Fields drop in declaration order, which is the teardown order: reclaim
/// hook and peek timers off (they wake the monitor), OOM notifier off, monitor stopped, device
/// gone (open files keep the module loaded), then the shared state with the pool.
#[pin_data(PinnedDrop)]
struct OomGuard {
    reclaim: ReclaimHook<Guard>,
    peeks: Peeker<Guard>,
    #[pin]
    notifier: OomNotifier<Guard>,
    #[pin]
    monitor: Ticker<Guard>,
    #[pin]
    device: MiscDev<Guard>,
    guard: Arc<Guard>,
}

/// The most of managed memory the pool may take: half (`POOL_MAX_DIV` = 2).
const POOL_MAX_DIV: u64 = 2;

/// The pool size in pages for `pool_kib`: `EINVAL` (one `pr_err` naming the parameter and its
/// limit) above half of the memory the allocator manages, `ENOMEM` (one `pr_err`) if it is more
/// than the memory available now beyond the zones' high watermarks (taking it would push others
/// into reclaim or OOM at load). The pool itself is then taken with `__GFP_RETRY_MAYFAIL`, so
/// an allocation that still fails is `ENOMEM`, never an OOM kill.
fn pool_pages(pool_kib: u32) -> Result<usize> {
    let page_kib = (kernel::page::PAGE_SIZE / 1024) as u64;
    let pages = u64::from(pool_kib).div_ceil(page_kib);
    let s = watermark::sample();
    let limit = s.total_pages / POOL_MAX_DIV;
    if pages > limit {
        pr_err!(
            "invalid pool_kib={}: accepted range 0..={} KiB (half of the {} KiB of managed memory)\n",
            pool_kib,
            limit * page_kib,
            s.total_pages * page_kib
        );
        return Err(EINVAL);
    }
    let high: u64 = (0..s.nr_zones as usize)
        .filter_map(|i| s.marks(i))
        .map(|(_, m)| m.high.saturating_add(m.boost))
        .sum();
    let room = s.available_pages.saturating_sub(high);
    if pages > room {
        pr_err!(
            "pool_kib={} is more than the {} KiB available now beyond the zones' high watermarks: not loading (ENOMEM)\n",
            pool_kib,
            room * page_kib
        );
        return Err(ENOMEM);
    }
    usize::try_from(pages).map_err(|_| EINVAL)
}

/// Reads and checks every parameter, then allocates the shared state (ring and pool).
fn setup() -> Result<Arc<Guard>> {
    let mp = |p: &'static ffi::Param| p.get();
    let pool_kib = param(params::POOL_KIB, mp(&load_params::pool_kib))?;
    let ring_size = param(params::RING_SIZE, mp(&load_params::ring_size))?;
    let config = abi::Config {
        policy: param(params::POLICY, mp(&load_params::policy))?,
        release_chunk: param(params::RELEASE_CHUNK, mp(&load_params::release_chunk))?,
        avert_budget: param(params::AVERT_BUDGET, mp(&load_params::avert_budget))?,
        budget_window_ms: param(params::BUDGET_WINDOW_MS, mp(&load_params::budget_window_ms))?,
        refill_delay_ms: param(params::REFILL_DELAY_MS, mp(&load_params::refill_delay_ms))?,
        sample_slow_ms: param(params::SAMPLE_SLOW_MS, mp(&load_params::sample_slow_ms))?,
        sample_fast_ms: param(params::SAMPLE_FAST_MS, mp(&load_params::sample_fast_ms))?,
        reserved: 0,
        headroom_unit: param(params::HEADROOM_UNIT, mp(&load_params::headroom_unit))?,
        headroom_low: param(params::HEADROOM_LOW, mp(&load_params::headroom_low))?,
        headroom_medium: param(params::HEADROOM_MEDIUM, mp(&load_params::headroom_medium))?,
        headroom_critical: param(
            params::HEADROOM_CRITICAL,
            mp(&load_params::headroom_critical),
        )?,
        headroom_hysteresis: param(
            params::HEADROOM_HYSTERESIS,
            mp(&load_params::headroom_hysteresis),
        )?,
        sample_min_ms: param(params::SAMPLE_MIN_MS, mp(&load_params::sample_min_ms))?,
        reclaim_quiet_ms: param(params::RECLAIM_QUIET_MS, mp(&load_params::reclaim_quiet_ms))?,
        reserved2: 0,
    };
    // The rules between parameters: sampling periods ordered, headroom thresholds ordered.
    params::validate_config(&config).map_err(rejected)?;
    publish_config(&config);
    let pool_pages = pool_pages(pool_kib)?;
    let state = Guard::new(config, ring_size as usize, pool_pages).inspect_err(|e| {
        if *e == ENOMEM {
            pr_err!(
                "cannot allocate the {pool_kib} KiB emergency pool and the {ring_size}-record ring without reclaiming memory others need: lower pool_kib\n"
            );
        }
    })?;
    let guard = Arc::pin_init(state, GFP_KERNEL)?;
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
    Ok(guard)
}

impl kernel::InPlaceModule for OomGuard {
    fn init(module: &'static ThisModule) -> impl PinInit<Self, Error> {
        let guard = setup();
        // Init order: shared state, monitor, device, and the OOM notifier last, once everything
        // it reports to exists.
        try_pin_init!(Self {
            guard: guard?,
            monitor <- Ticker::new(guard.clone(), 0, static_lock_class!(), static_lock_class!()),
            device <- MiscDev::register(c"oom_guard", module, guard.clone()),
            notifier <- OomNotifier::register(guard.clone()),
            reclaim: ReclaimHook::register(guard.clone())?,
            peeks: Peeker::start(guard.clone(), PEEK_MS, static_lock_class!())?,
        })
    }
}

#[pinned_drop]
impl PinnedDrop for OomGuard {
    fn drop(self: Pin<&mut Self>) {
        pr_info!("unloaded\n");
    }
}
