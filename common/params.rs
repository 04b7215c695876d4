// SPDX-License-Identifier: GPL-2.0

//! Ranges and defaults of every tunable, shared by the module parameters (checked at load) and
//! the runtime configuration ioctl (checked on every set).
//!
//! Pure logic on `core` only: compiled into the module and unit-tested on the host.

use crate::abi::{Config, HEADROOM_KIB, HEADROOM_PERCENT, POLICY_AVERT, POLICY_OBSERVE};

/// Where a tunable lives in the runtime configuration ([`Config`], `struct oom_guard_config`).
#[derive(Clone, Copy, Debug)]
pub struct ConfigField {
    /// Reads the field.
    pub get: fn(&Config) -> u32,
    /// Writes the field.
    pub set: fn(&mut Config, u32),
}

/// One tunable: its name (as a module parameter and a configuration key), accepted range,
/// default, unit, description, and where it lives in the runtime configuration. [`TUNABLES`]
/// lists them all; everything else (module parameters and their sysfs values, load checks, the
/// configuration ioctl, the reader's `config`, the test clients, the documentation checks)
/// iterates over that table.
#[derive(Clone, Copy, Debug)]
pub struct Spec {
    /// Module parameter and configuration key name.
    pub name: &'static str,
    /// Smallest accepted value.
    pub min: u64,
    /// Largest accepted value.
    pub max: u64,
    /// Default value.
    pub default: u64,
    /// Unit, for messages.
    pub unit: &'static str,
    /// What it sets, one phrase: the start of the module parameter's description.
    pub help: &'static str,
    /// A rule beyond the range, for descriptions (`""` or `", <= ..."`); [`validate_config`]
    /// checks it.
    pub rule: &'static str,
    /// Names a user may give instead of a number.
    pub names: &'static [(&'static str, u32)],
    /// The field of the runtime configuration; `None` for a load-only parameter.
    pub field: Option<ConfigField>,
}

/// Tunables are told apart by name.
impl PartialEq for Spec {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.min == other.min && self.max == other.max
    }
}

impl Eq for Spec {}

/// What a [`RangeError`] reports of its tunable: the name and the range that applied (tightened
/// by a rule between fields, where one did).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bounds {
    /// The tunable's name.
    pub name: &'static str,
    /// Smallest accepted value.
    pub min: u64,
    /// Largest accepted value.
    pub max: u64,
    /// Unit, for messages.
    pub unit: &'static str,
}

/// A value outside its tunable's range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RangeError {
    /// The tunable and the range that applied.
    pub spec: Bounds,
    /// The rejected value.
    pub value: u64,
}

/// Largest headroom value in KiB (2 TiB); in percent the bound is 100.
const HEADROOM_MAX: u64 = 1 << 31;

/// Emergency pool size (0: no pool, the guard only observes).
pub const POOL_KIB: Spec = Spec {
    name: "pool_kib",
    min: 0,
    max: 4 * 1024 * 1024,
    default: 16 * 1024,
    unit: "KiB",
    help: "Emergency pool size (0: no pool, the guard only observes)",
    rule: "",
    names: &[],
    field: None,
};
/// Event ring capacity.
pub const RING_SIZE: Spec = Spec {
    name: "ring_size",
    min: 64,
    max: 65536,
    default: 1024,
    unit: "records",
    help: "Event ring capacity",
    rule: "",
    names: &[],
    field: None,
};
/// OOM policy.
pub const POLICY: Spec = Spec {
    name: "policy",
    min: POLICY_OBSERVE as u64,
    max: POLICY_AVERT as u64,
    default: POLICY_AVERT as u64,
    unit: "(0 = observe, 1 = avert)",
    help: "OOM policy",
    rule: "",
    names: &[("observe", POLICY_OBSERVE), ("avert", POLICY_AVERT)],
    field: Some(ConfigField {
        get: |c| c.policy,
        set: |c, v| c.policy = v,
    }),
};
/// Pages released per OOM call beyond the zone's deficit.
pub const RELEASE_CHUNK: Spec = Spec {
    name: "release_chunk",
    min: 1,
    max: 65536,
    default: 256,
    unit: "pages",
    help: "Pages released per OOM call beyond the zone's deficit",
    rule: "",
    names: &[],
    field: Some(ConfigField {
        get: |c| c.release_chunk,
        set: |c, v| c.release_chunk = v,
    }),
};
/// OOM episodes averted per budget window.
pub const AVERT_BUDGET: Spec = Spec {
    name: "avert_budget",
    min: 0,
    max: 1000,
    default: 8,
    unit: "averts",
    help: "OOM episodes averted per budget window",
    rule: "",
    names: &[],
    field: Some(ConfigField {
        get: |c| c.avert_budget,
        set: |c, v| c.avert_budget = v,
    }),
};
/// Avert budget window.
pub const BUDGET_WINDOW_MS: Spec = Spec {
    name: "budget_window_ms",
    min: 100,
    max: 3_600_000,
    default: 60_000,
    unit: "ms",
    help: "Avert budget window",
    rule: "",
    names: &[],
    field: Some(ConfigField {
        get: |c| c.budget_window_ms,
        set: |c, v| c.budget_window_ms = v,
    }),
};
/// Time above the high watermarks before the pool refills.
pub const REFILL_DELAY_MS: Spec = Spec {
    name: "refill_delay_ms",
    min: 0,
    max: 600_000,
    default: 5000,
    unit: "ms",
    help: "Time above the high watermarks before the pool refills",
    rule: "",
    names: &[],
    field: Some(ConfigField {
        get: |c| c.refill_delay_ms,
        set: |c, v| c.refill_delay_ms = v,
    }),
};
/// Sampling period far from the watermarks.
pub const SAMPLE_SLOW_MS: Spec = Spec {
    name: "sample_slow_ms",
    min: 10,
    max: 10_000,
    default: 1000,
    unit: "ms",
    help: "Sampling period far from the watermarks",
    rule: "",
    names: &[],
    field: Some(ConfigField {
        get: |c| c.sample_slow_ms,
        set: |c, v| c.sample_slow_ms = v,
    }),
};
/// Sampling period near the watermarks.
pub const SAMPLE_FAST_MS: Spec = Spec {
    name: "sample_fast_ms",
    min: 1,
    max: 1000,
    default: 10,
    unit: "ms",
    help: "Sampling period near the watermarks",
    rule: ", <= sample_slow_ms",
    names: &[],
    field: Some(ConfigField {
        get: |c| c.sample_fast_ms,
        set: |c, v| c.sample_fast_ms = v,
    }),
};
/// Unit of the headroom thresholds: percent of managed memory or KiB.
pub const HEADROOM_UNIT: Spec = Spec {
    name: "headroom_unit",
    min: HEADROOM_PERCENT as u64,
    max: HEADROOM_KIB as u64,
    default: HEADROOM_PERCENT as u64,
    unit: "(0 = percent, 1 = KiB)",
    help: "Unit of the headroom thresholds: percent of managed memory or KiB",
    rule: "",
    names: &[
        ("percent", HEADROOM_PERCENT),
        ("kib", HEADROOM_KIB),
        ("KiB", HEADROOM_KIB),
    ],
    field: Some(ConfigField {
        get: |c| c.headroom_unit,
        set: |c, v| c.headroom_unit = v,
    }),
};
/// Available memory below which the headroom is low.
pub const HEADROOM_LOW: Spec = Spec {
    name: "headroom_low",
    min: 1,
    max: HEADROOM_MAX,
    default: 20,
    unit: "(percent or KiB, > headroom_medium)",
    help: "Available memory below which the headroom is low",
    rule: ", <= 100 in percent",
    names: &[],
    field: Some(ConfigField {
        get: |c| c.headroom_low,
        set: |c, v| c.headroom_low = v,
    }),
};
/// Available memory below which the headroom is medium.
pub const HEADROOM_MEDIUM: Spec = Spec {
    name: "headroom_medium",
    min: 1,
    max: HEADROOM_MAX,
    default: 10,
    unit: "(percent or KiB, > headroom_critical)",
    help: "Available memory below which the headroom is medium",
    rule: "",
    names: &[],
    field: Some(ConfigField {
        get: |c| c.headroom_medium,
        set: |c, v| c.headroom_medium = v,
    }),
};
/// Available memory below which the headroom is critical.
pub const HEADROOM_CRITICAL: Spec = Spec {
    name: "headroom_critical",
    min: 1,
    max: HEADROOM_MAX,
    default: 5,
    unit: "(percent or KiB)",
    help: "Available memory below which the headroom is critical",
    rule: "",
    names: &[],
    field: Some(ConfigField {
        get: |c| c.headroom_critical,
        set: |c, v| c.headroom_critical = v,
    }),
};
/// Rise above a threshold needed to leave its level.
pub const HEADROOM_HYSTERESIS: Spec = Spec {
    name: "headroom_hysteresis",
    min: 0,
    max: HEADROOM_MAX,
    default: 2,
    unit: "(percent or KiB)",
    help: "Rise above a threshold needed to leave its level",
    rule: ", <= 100 in percent",
    names: &[],
    field: Some(ConfigField {
        get: |c| c.headroom_hysteresis,
        set: |c, v| c.headroom_hysteresis = v,
    }),
};
/// Shortest adaptive sampling interval.
pub const SAMPLE_MIN_MS: Spec = Spec {
    name: "sample_min_ms",
    min: 1,
    max: 1000,
    default: 1,
    unit: "ms",
    help: "Shortest adaptive sampling interval",
    rule: ", <= sample_fast_ms",
    names: &[],
    field: Some(ConfigField {
        get: |c| c.sample_min_ms,
        set: |c, v| c.sample_min_ms = v,
    }),
};
/// Time without a shrinker call that ends a reclaim episode.
pub const RECLAIM_QUIET_MS: Spec = Spec {
    name: "reclaim_quiet_ms",
    min: 10,
    max: 60_000,
    default: 500,
    unit: "ms",
    help: "Time without a shrinker call that ends a reclaim episode",
    rule: "",
    names: &[],
    field: Some(ConfigField {
        get: |c| c.reclaim_quiet_ms,
        set: |c, v| c.reclaim_quiet_ms = v,
    }),
};

/// Every tunable: the load-only ones, then the runtime configuration's in `struct oom_guard_config`
/// order.
pub const TUNABLES: [Spec; 16] = [
    POOL_KIB,
    RING_SIZE,
    POLICY,
    RELEASE_CHUNK,
    AVERT_BUDGET,
    BUDGET_WINDOW_MS,
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

impl Spec {
    /// Checks `value` against the range.
    pub fn check(&self, value: u64) -> Result<u64, RangeError> {
        if (self.min..=self.max).contains(&value) {
            Ok(value)
        } else {
            Err(RangeError {
                spec: self.bounds(),
                value,
            })
        }
    }

    /// The name and range, for a [`RangeError`].
    pub const fn bounds(&self) -> Bounds {
        Bounds {
            name: self.name,
            min: self.min,
            max: self.max,
            unit: self.unit,
        }
    }

    /// Checks a `u32` value and returns it.
    pub fn check_u32(&self, value: u32) -> Result<u32, RangeError> {
        self.check(u64::from(value)).map(|_| value)
    }

    /// The tunable named `name`.
    pub fn by_name(name: &str) -> Option<&'static Spec> {
        TUNABLES.iter().find(|s| s.name == name)
    }

    /// The value named `name` (`policy=avert`), if the tunable has one by that name; case does
    /// not matter (`AVERT`, `KIB` and `KiB` are the names users type too).
    pub fn named_value(&self, name: &str) -> Option<u32> {
        self.names
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }

    /// The default as a `u32` (every range fits one, as the tests check).
    pub const fn default_u32(&self) -> u32 {
        if self.default > u32::MAX as u64 {
            u32::MAX
        } else {
            self.default as u32
        }
    }
}

/// The tunables of the runtime configuration, in `struct oom_guard_config` order, with their
/// fields.
pub fn config_tunables() -> impl Iterator<Item = (&'static Spec, ConfigField)> {
    TUNABLES.iter().filter_map(|s| s.field.map(|f| (s, f)))
}

/// A configuration with every default.
pub fn default_config() -> Config {
    let mut c = Config::default();
    for (s, f) in config_tunables() {
        (f.set)(&mut c, s.default_u32());
    }
    c
}

/// `value` must not exceed `max`, reported against `spec` with that tighter bound.
fn at_most(spec: Spec, value: u32, max: u64) -> Result<(), RangeError> {
    Spec { max, ..spec }.check(u64::from(value)).map(|_| ())
}

/// Checks every field of a runtime configuration against its range, then the rules between
/// fields, each reported against the later field with its bound tightened:
///
/// - `sample_min_ms <= sample_fast_ms <= sample_slow_ms`;
/// - `headroom_low > headroom_medium > headroom_critical`, all at most 100 in percent, as is
///   `headroom_hysteresis`.
pub fn validate_config(c: &Config) -> Result<(), RangeError> {
    for (s, f) in config_tunables() {
        s.check_u32((f.get)(c))?;
    }
    at_most(
        SAMPLE_FAST_MS,
        c.sample_fast_ms,
        u64::from(c.sample_slow_ms),
    )?;
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
                spec: Bounds {
                    name,
                    min: 0,
                    max: 0,
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

    const ALL: [Spec; 16] = TUNABLES;

    #[test]
    fn the_table_covers_every_config_field_once() {
        for (i, s) in TUNABLES.iter().enumerate() {
            assert!(
                TUNABLES.iter().skip(i + 1).all(|t| t.name != s.name),
                "{} twice",
                s.name
            );
        }
        // Setting each field to a distinct value, through the table, reaches every word of the
        // configuration but the two reserved ones, each once.
        let mut c = Config::default();
        for (i, (_, f)) in config_tunables().enumerate() {
            (f.set)(&mut c, i as u32 + 1);
        }
        let Config {
            reserved,
            reserved2,
            ..
        } = c;
        assert_eq!((reserved, reserved2), (0, 0));
        let got: std::vec::Vec<u32> = config_tunables().map(|(_, f)| (f.get)(&c)).collect();
        let want: std::vec::Vec<u32> = (1..=got.len() as u32).collect();
        assert_eq!(got, want);
        assert_eq!(got.len() + 2, core::mem::size_of::<Config>() / 4);
    }

    #[test]
    fn named_values_are_in_range() {
        for s in TUNABLES {
            for (n, v) in s.names {
                assert!(s.check_u32(*v).is_ok(), "{}={n}", s.name);
                assert_eq!(s.named_value(n), Some(*v));
            }
        }
        assert_eq!(
            Spec::by_name("policy").map(|s| s.named_value("avert")),
            Some(Some(1))
        );
        for (key, name, v) in [
            ("policy", "AVERT", 1),
            ("policy", "Observe", 0),
            ("headroom_unit", "KIB", 1),
            ("headroom_unit", "Percent", 0),
        ] {
            assert_eq!(
                Spec::by_name(key).and_then(|s| s.named_value(name)),
                Some(v),
                "{key}={name}"
            );
        }
        assert_eq!(POLICY.named_value("aver"), None);
    }

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
