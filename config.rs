// SPDX-License-Identifier: GPL-2.0

//! The configuration: the module parameters, checked at load (a bad value fails it with
//! `-EINVAL`), and the live configuration the config ioctl changes, which the parameters' sysfs
//! files under /sys/module/rust_oom_guard/parameters/ show. Ranges are in `params.rs`.

use crate::abi::Config;
use crate::ffi::Param;
use crate::params;
use kernel::{new_spinlock, prelude::*, sync::SpinLock};

// The module parameters (read at load, then mirrors of the live configuration).
mod load_params {
    use crate::params;

    crate::ffi::module_params! {
        pool_kib = params::POOL_KIB.default as u32,
            "Emergency pool size in KiB, 0..=4194304 (default 16384)";
        release_chunk = params::RELEASE_CHUNK.default as u32,
            "Pages released per OOM call beyond the zone's deficit, 1..=65536 (default 256)";
        policy = params::POLICY.default as u32,
            "OOM policy: 0 = observe, 1 = avert (default 1)";
        avert_budget = params::AVERT_BUDGET.default as u32,
            "OOM episodes averted per budget window, 0..=1000 (default 8)";
        budget_window_ms = params::BUDGET_WINDOW_MS.default as u32,
            "Avert budget window in ms, 100..=3600000 (default 60000)";
        ring_size = params::RING_SIZE.default as u32,
            "Event ring capacity in records, 64..=65536 (default 1024)";
        refill_delay_ms = params::REFILL_DELAY_MS.default as u32,
            "Time above the high watermarks before the pool refills, ms, 0..=600000 \
             (default 5000)";
        sample_slow_ms = params::SAMPLE_SLOW_MS.default as u32,
            "Sampling period far from the watermarks, ms, 10..=10000 (default 1000)";
        sample_fast_ms = params::SAMPLE_FAST_MS.default as u32,
            "Sampling period near the watermarks, ms, 1..=1000 and <= sample_slow_ms \
             (default 10)";
        headroom_unit = params::HEADROOM_UNIT.default as u32,
            "Unit of the headroom thresholds: 0 = percent of managed memory, 1 = KiB (default 0)";
        headroom_low = params::HEADROOM_LOW.default as u32,
            "Available memory below which headroom is low, 1..=2147483648 (<= 100 in percent) \
             (default 20)";
        headroom_medium = params::HEADROOM_MEDIUM.default as u32,
            "Available memory below which headroom is medium, < headroom_low (default 10)";
        headroom_critical = params::HEADROOM_CRITICAL.default as u32,
            "Available memory below which headroom is critical, < headroom_medium (default 5)";
        headroom_hysteresis = params::HEADROOM_HYSTERESIS.default as u32,
            "Rise above a threshold needed to leave its level, 0..=2147483648 \
             (<= 100 in percent) (default 2)";
        sample_min_ms = params::SAMPLE_MIN_MS.default as u32,
            "Shortest adaptive sampling interval, ms, 1..=1000 and <= sample_fast_ms (default 1)";
        reclaim_quiet_ms = params::RECLAIM_QUIET_MS.default as u32,
            "Time without reclaim that ends a reclaim episode, ms, 10..=60000 (default 500)";
    }
}

/// Publishes the live configuration to the parameters' sysfs files.
fn publish(config: &Config) {
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

/// The load arguments, checked.
pub(crate) struct Load {
    /// The configuration to start with (already published to sysfs).
    pub(crate) config: Config,
    /// The pool size asked for, in KiB.
    pub(crate) pool_kib: u32,
    /// The ring's capacity in records.
    pub(crate) ring_size: u32,
}

/// Reads and checks every parameter (one `pr_err` and `EINVAL` for a bad one), and publishes
/// the configuration they make.
pub(crate) fn load() -> Result<Load> {
    let mp = |p: &'static Param| p.get();
    let pool_kib = param(params::POOL_KIB, mp(&load_params::pool_kib))?;
    let ring_size = param(params::RING_SIZE, mp(&load_params::ring_size))?;
    let config = Config {
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
    publish(&config);
    Ok(Load {
        config,
        pool_kib,
        ring_size,
    })
}

/// The live configuration, protected by a spinlock.
#[pin_data]
pub(crate) struct LiveConfig {
    #[pin]
    lock: SpinLock<Config>,
}

impl LiveConfig {
    /// The live configuration, starting as `config`.
    pub(crate) fn new(config: Config) -> impl PinInit<Self> {
        pin_init!(Self {
            lock <- new_spinlock!(config, "OomGuard::config"),
        })
    }

    /// The current configuration.
    pub(crate) fn get(&self) -> Config {
        *self.lock.lock()
    }

    /// Checks and installs a new configuration made by `update` from the current one, and
    /// publishes it to sysfs, all under the lock (so two writers cannot mix their changes, and
    /// sysfs shows the one that won). `EINVAL` if it breaks a range or a rule.
    pub(crate) fn update(&self, update: impl FnOnce(&mut Config)) -> Result {
        let mut config = self.lock.lock();
        let mut new = *config;
        update(&mut new);
        params::validate_config(&new).map_err(|_| EINVAL)?;
        *config = new;
        publish(&new);
        Ok(())
    }
}
