// SPDX-License-Identifier: GPL-2.0

//! Ranges and defaults of every tunable, shared by the module parameters (checked at load) and
//! the runtime configuration ioctl (checked on every set).
//!
//! Pure logic on `core` only: compiled into the module and unit-tested on the host.

use crate::abi::{Config, HEADROOM_KIB, HEADROOM_PERCENT, POLICY_AVERT, POLICY_OBSERVE};

/// One tunable: its name (as a module parameter), accepted range and default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Spec {
    /// Module parameter name.
    pub name: &'static str,
    /// Smallest accepted value.
    pub min: u64,
    /// Largest accepted value.
    pub max: u64,
    /// Default value.
    pub default: u64,
    /// Unit, for messages.
    pub unit: &'static str,
}

/// A value outside its tunable's range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RangeError {
    /// The tunable.
    pub spec: Spec,
    /// The rejected value.
    pub value: u64,
}

impl Spec {
    /// Checks `value` against the range.
    pub fn check(&self, value: u64) -> Result<u64, RangeError> {
        if (self.min..=self.max).contains(&value) {
            Ok(value)
        } else {
            Err(RangeError { spec: *self, value })
        }
    }

    /// Checks a `u32` value and returns it.
    pub fn check_u32(&self, value: u32) -> Result<u32, RangeError> {
        self.check(u64::from(value)).map(|_| value)
    }
}

/// Emergency pool size in KiB (0: no pool, the guard only observes).
pub const POOL_KIB: Spec = Spec {
    name: "pool_kib",
    min: 0,
    max: 4 * 1024 * 1024,
    default: 16 * 1024,
    unit: "KiB",
};
/// Pages released per OOM call.
pub const RELEASE_CHUNK: Spec = Spec {
    name: "release_chunk",
    min: 1,
    max: 65536,
    default: 256,
    unit: "pages",
};
/// OOM policy: 0 = observe, 1 = avert.
pub const POLICY: Spec = Spec {
    name: "policy",
    min: POLICY_OBSERVE as u64,
    max: POLICY_AVERT as u64,
    default: POLICY_AVERT as u64,
    unit: "(0 = observe, 1 = avert)",
};
/// Averts allowed per budget window.
pub const AVERT_BUDGET: Spec = Spec {
    name: "avert_budget",
    min: 0,
    max: 1000,
    default: 8,
    unit: "averts",
};
/// Budget window.
pub const BUDGET_WINDOW_MS: Spec = Spec {
    name: "budget_window_ms",
    min: 100,
    max: 3_600_000,
    default: 60_000,
    unit: "ms",
};
/// Event ring capacity.
pub const RING_SIZE: Spec = Spec {
    name: "ring_size",
    min: 64,
    max: 65536,
    default: 1024,
    unit: "records",
};
/// Time above the high watermarks before the pool refills.
pub const REFILL_DELAY_MS: Spec = Spec {
    name: "refill_delay_ms",
    min: 0,
    max: 600_000,
    default: 5000,
    unit: "ms",
};
/// Sampling period far from the watermarks.
pub const SAMPLE_SLOW_MS: Spec = Spec {
    name: "sample_slow_ms",
    min: 10,
    max: 10_000,
    default: 1000,
    unit: "ms",
};
/// Sampling period near the watermarks.
pub const SAMPLE_FAST_MS: Spec = Spec {
    name: "sample_fast_ms",
    min: 1,
    max: 1000,
    default: 10,
    unit: "ms",
};

/// Unit of the headroom thresholds: 0 = percent of managed memory, 1 = KiB.
pub const HEADROOM_UNIT: Spec = Spec {
    name: "headroom_unit",
    min: HEADROOM_PERCENT as u64,
    max: HEADROOM_KIB as u64,
    default: HEADROOM_PERCENT as u64,
    unit: "(0 = percent, 1 = KiB)",
};
/// Largest headroom value in KiB (2 TiB); in percent the bound is 100.
const HEADROOM_MAX: u64 = 1 << 31;
/// Low headroom threshold.
pub const HEADROOM_LOW: Spec = Spec {
    name: "headroom_low",
    min: 1,
    max: HEADROOM_MAX,
    default: 20,
    unit: "(percent or KiB, > headroom_medium)",
};
/// Medium headroom threshold.
pub const HEADROOM_MEDIUM: Spec = Spec {
    name: "headroom_medium",
    min: 1,
    max: HEADROOM_MAX,
    default: 10,
    unit: "(percent or KiB, > headroom_critical)",
};
/// Critical headroom threshold.
pub const HEADROOM_CRITICAL: Spec = Spec {
    name: "headroom_critical",
    min: 1,
    max: HEADROOM_MAX,
    default: 5,
    unit: "(percent or KiB)",
};
/// Headroom hysteresis.
pub const HEADROOM_HYSTERESIS: Spec = Spec {
    name: "headroom_hysteresis",
    min: 0,
    max: HEADROOM_MAX,
    default: 2,
    unit: "(percent or KiB)",
};
/// Shortest adaptive sampling interval.
pub const SAMPLE_MIN_MS: Spec = Spec {
    name: "sample_min_ms",
    min: 1,
    max: 1000,
    default: 1,
    unit: "ms",
};
/// Quiet time that ends a reclaim episode.
pub const RECLAIM_QUIET_MS: Spec = Spec {
    name: "reclaim_quiet_ms",
    min: 10,
    max: 60_000,
    default: 500,
    unit: "ms",
};

/// A configuration with every default.
pub fn default_config() -> Config {
    // The defaults are within `u32` by construction (checked by the tests).
    let d = |s: Spec| u32::try_from(s.default).unwrap_or(0);
    Config {
        policy: d(POLICY),
        release_chunk: d(RELEASE_CHUNK),
        avert_budget: d(AVERT_BUDGET),
        budget_window_ms: d(BUDGET_WINDOW_MS),
        refill_delay_ms: d(REFILL_DELAY_MS),
        sample_slow_ms: d(SAMPLE_SLOW_MS),
        sample_fast_ms: d(SAMPLE_FAST_MS),
        reserved: 0,
        headroom_unit: d(HEADROOM_UNIT),
        headroom_low: d(HEADROOM_LOW),
        headroom_medium: d(HEADROOM_MEDIUM),
        headroom_critical: d(HEADROOM_CRITICAL),
        headroom_hysteresis: d(HEADROOM_HYSTERESIS),
        sample_min_ms: d(SAMPLE_MIN_MS),
        reclaim_quiet_ms: d(RECLAIM_QUIET_MS),
        reserved2: 0,
    }
}

/// `value` must not exceed `max`, reported against `spec` with that tighter bound.
fn at_most(spec: Spec, value: u32, max: u64) -> Result<(), RangeError> {
    Spec { max, ..spec }.check(u64::from(value)).map(|_| ())
}

/// Checks every field of a runtime configuration and the rules between fields, each reported
/// against the later field with its bound tightened:
///
/// - `sample_min_ms <= sample_fast_ms <= sample_slow_ms`;
/// - `headroom_low > headroom_medium > headroom_critical`, all at most 100 in percent, as is
///   `headroom_hysteresis`.
pub fn validate_config(c: &Config) -> Result<(), RangeError> {
    POLICY.check_u32(c.policy)?;
    RELEASE_CHUNK.check_u32(c.release_chunk)?;
    AVERT_BUDGET.check_u32(c.avert_budget)?;
    BUDGET_WINDOW_MS.check_u32(c.budget_window_ms)?;
    REFILL_DELAY_MS.check_u32(c.refill_delay_ms)?;
    SAMPLE_SLOW_MS.check_u32(c.sample_slow_ms)?;
    SAMPLE_FAST_MS.check_u32(c.sample_fast_ms)?;
    if c.sample_fast_ms > c.sample_slow_ms {
        return Err(RangeError {
            spec: Spec {
                max: u64::from(c.sample_slow_ms),
                ..SAMPLE_FAST_MS
            },
            value: u64::from(c.sample_fast_ms),
        });
    }
    HEADROOM_UNIT.check_u32(c.headroom_unit)?;
    HEADROOM_LOW.check_u32(c.headroom_low)?;
    HEADROOM_MEDIUM.check_u32(c.headroom_medium)?;
    HEADROOM_CRITICAL.check_u32(c.headroom_critical)?;
    HEADROOM_HYSTERESIS.check_u32(c.headroom_hysteresis)?;
    SAMPLE_MIN_MS.check_u32(c.sample_min_ms)?;
    RECLAIM_QUIET_MS.check_u32(c.reclaim_quiet_ms)?;
    at_most(SAMPLE_MIN_MS, c.sample_min_ms, u64::from(c.sample_fast_ms))?;
    if c.headroom_unit == HEADROOM_PERCENT {
        at_most(HEADROOM_LOW, c.headroom_low, 100)?;
        at_most(HEADROOM_HYSTERESIS, c.headroom_hysteresis, 100)?;
    }
    at_most(
        HEADROOM_MEDIUM,
        c.headroom_medium,
        u64::from(c.headroom_low).saturating_sub(1),
    )?;
    at_most(
        HEADROOM_CRITICAL,
        c.headroom_critical,
        u64::from(c.headroom_medium).saturating_sub(1),
    )?;
    for (name, v) in [("reserved", c.reserved), ("reserved2", c.reserved2)] {
        if v != 0 {
            return Err(RangeError {
                spec: Spec {
                    name,
                    min: 0,
                    max: 0,
                    default: 0,
                    unit: "",
                },
                value: u64::from(v),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Spec; 16] = [
        POOL_KIB,
        RELEASE_CHUNK,
        POLICY,
        AVERT_BUDGET,
        BUDGET_WINDOW_MS,
        RING_SIZE,
        REFILL_DELAY_MS,
        SAMPLE_SLOW_MS,
        SAMPLE_FAST_MS,
        HEADROOM_UNIT,
        HEADROOM_LOW,
        HEADROOM_MEDIUM,
        HEADROOM_CRITICAL,
        HEADROOM_HYSTERESIS,
        SAMPLE_MIN_MS,
        RECLAIM_QUIET_MS,
    ];

    #[test]
    fn defaults_are_in_range_and_fit_u32() {
        for s in ALL {
            assert_eq!(s.check(s.default), Ok(s.default), "{}", s.name);
            assert!(s.max <= u64::from(u32::MAX), "{}", s.name);
        }
        assert_eq!(validate_config(&default_config()), Ok(()));
    }

    #[test]
    fn bounds_are_inclusive() {
        for s in ALL {
            assert!(s.check(s.min).is_ok(), "{}", s.name);
            assert!(s.check(s.max).is_ok(), "{}", s.name);
            assert_eq!(s.check(s.max + 1).unwrap_err().value, s.max + 1);
            if s.min > 0 {
                assert_eq!(s.check(s.min - 1).unwrap_err().spec.name, s.name);
            }
        }
    }

    #[test]
    fn config_errors_name_the_field() {
        let mut c = default_config();
        c.policy = 2;
        assert_eq!(validate_config(&c).unwrap_err().spec.name, "policy");
        let mut c = default_config();
        c.release_chunk = 0;
        assert_eq!(validate_config(&c).unwrap_err().spec.name, "release_chunk");
        let mut c = default_config();
        c.sample_slow_ms = 20;
        c.sample_fast_ms = 50;
        let e = validate_config(&c).unwrap_err();
        assert_eq!(
            (e.spec.name, e.spec.max, e.value),
            ("sample_fast_ms", 20, 50)
        );
        let mut c = default_config();
        c.reserved = 1;
        assert_eq!(validate_config(&c).unwrap_err().spec.name, "reserved");
        let mut c = default_config();
        c.reserved2 = 1;
        assert_eq!(validate_config(&c).unwrap_err().spec.name, "reserved2");
    }

    #[test]
    fn headroom_rules() {
        let mut c = default_config();
        c.headroom_medium = c.headroom_low;
        let e = validate_config(&c).unwrap_err();
        assert_eq!((e.spec.name, e.spec.max), ("headroom_medium", 19));
        let mut c = default_config();
        c.headroom_critical = 10;
        let e = validate_config(&c).unwrap_err();
        assert_eq!((e.spec.name, e.spec.max), ("headroom_critical", 9));
        let mut c = default_config();
        c.headroom_low = 101;
        assert_eq!(validate_config(&c).unwrap_err().spec.name, "headroom_low");
        // In KiB the same value is fine.
        c.headroom_unit = HEADROOM_KIB;
        assert_eq!(validate_config(&c), Ok(()));
        let mut c = default_config();
        c.headroom_hysteresis = 101;
        assert_eq!(
            validate_config(&c).unwrap_err().spec.name,
            "headroom_hysteresis"
        );
        let mut c = default_config();
        c.sample_min_ms = c.sample_fast_ms + 1;
        let e = validate_config(&c).unwrap_err();
        assert_eq!((e.spec.name, e.spec.max), ("sample_min_ms", 10));
    }
}
