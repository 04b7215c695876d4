// SPDX-License-Identifier: GPL-2.0

//! The configuration: the module parameters, checked at load (a bad value fails it with
//! `-EINVAL`), and the live configuration the config ioctl changes, which the parameters' sysfs
//! files under /sys/module/rust_oom_guard/parameters/ show. Every tunable (name, range, default,
//! description, field) is one entry of `params::TUNABLES`: this file iterates over it.

use crate::abi::Config;
use crate::ffi::{Param, PARAMS};
use crate::params;
use kernel::{new_spinlock, prelude::*, sync::SpinLock};

/// Every tunable with its module parameter (`ffi::PARAMS` is declared in
/// [`params::TUNABLES`] order): read at load, then mirrors of the live configuration.
fn module_params() -> impl Iterator<Item = (&'static params::Spec, &'static Param)> {
    params::TUNABLES.iter().zip(PARAMS.iter())
}

/// Publishes the live configuration to the parameters' sysfs files.
fn publish(config: &Config) {
    for (spec, param) in module_params() {
        if let Some(field) = spec.field {
            param.set((field.get)(config));
        }
    }
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
    let (mut pool_kib, mut ring_size) = (0, 0);
    let mut config = Config::default();
    for (spec, param) in module_params() {
        let value = spec.check_u32(param.get()).map_err(rejected)?;
        match spec.field {
            Some(field) => (field.set)(&mut config, value),
            None if spec == &params::POOL_KIB => pool_kib = value,
            None if spec == &params::RING_SIZE => ring_size = value,
            None => {}
        }
    }
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
