//! `config get` / `config set KEY=VALUE...`: names, parsing and validation of the runtime
//! configuration, using the ranges the module itself checks (`params.rs`).

use oom_guard_core::abi::{Config, POLICY_AVERT, POLICY_OBSERVE};
use oom_guard_core::params::{self, RangeError, Spec};

/// Every settable key with its range, in `struct oom_guard_config` order.
pub const KEYS: [Spec; 7] = [
    params::POLICY,
    params::RELEASE_CHUNK,
    params::AVERT_BUDGET,
    params::BUDGET_WINDOW_MS,
    params::REFILL_DELAY_MS,
    params::SAMPLE_SLOW_MS,
    params::SAMPLE_FAST_MS,
];

/// A bad `KEY=VALUE`.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    /// Not `KEY=VALUE`.
    #[error("expected KEY=VALUE, got `{0}`")]
    Syntax(String),
    /// A key the module does not have.
    #[error(
        "unknown key `{0}`; the keys are policy, release_chunk, avert_budget, budget_window_ms, \
         refill_delay_ms, sample_slow_ms, sample_fast_ms"
    )]
    UnknownKey(String),
    /// A value that is not a number (or a policy name).
    #[error("invalid {key}={value}: not a number")]
    NotANumber {
        /// The key.
        key: String,
        /// The value given.
        value: String,
    },
    /// A value out of its range.
    #[error(
        "invalid {}={}: accepted range {}..={} {}",
        .0.spec.name, .0.value, .0.spec.min, .0.spec.max, .0.spec.unit
    )]
    Range(RangeError),
}

/// One parsed `KEY=VALUE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Setting {
    /// The key's range.
    pub spec: Spec,
    /// The value.
    pub value: u32,
}

/// Parses `KEY=VALUE` and checks the value against the key's own range. `policy` also takes
/// `observe` and `avert`.
pub fn parse_setting(s: &str) -> Result<Setting, ConfigError> {
    let (key, value) = s
        .split_once('=')
        .ok_or_else(|| ConfigError::Syntax(s.to_string()))?;
    let (key, value) = (key.trim(), value.trim());
    let spec = KEYS
        .iter()
        .find(|k| k.name == key)
        .copied()
        .ok_or_else(|| ConfigError::UnknownKey(key.to_string()))?;
    let named = match (spec.name, value) {
        ("policy", "observe") => Some(POLICY_OBSERVE),
        ("policy", "avert") => Some(POLICY_AVERT),
        _ => None,
    };
    let v = match named {
        Some(v) => v,
        None => value.parse::<u32>().map_err(|_| ConfigError::NotANumber {
            key: key.to_string(),
            value: value.to_string(),
        })?,
    };
    spec.check_u32(v).map_err(ConfigError::Range)?;
    Ok(Setting { spec, value: v })
}

fn field<'a>(c: &'a mut Config, name: &str) -> Option<&'a mut u32> {
    Some(match name {
        "policy" => &mut c.policy,
        "release_chunk" => &mut c.release_chunk,
        "avert_budget" => &mut c.avert_budget,
        "budget_window_ms" => &mut c.budget_window_ms,
        "refill_delay_ms" => &mut c.refill_delay_ms,
        "sample_slow_ms" => &mut c.sample_slow_ms,
        "sample_fast_ms" => &mut c.sample_fast_ms,
        _ => return None,
    })
}

/// Applies `settings` to `config` and validates the result as the module will
/// (`params::validate_config`, which also checks `sample_fast_ms <= sample_slow_ms`).
pub fn apply(config: &Config, settings: &[Setting]) -> Result<Config, ConfigError> {
    let mut c = *config;
    for s in settings {
        if let Some(f) = field(&mut c, s.spec.name) {
            *f = s.value;
        }
    }
    params::validate_config(&c).map_err(ConfigError::Range)?;
    Ok(c)
}

/// The configuration as `(key, value)` pairs in struct order.
pub fn entries(c: &Config) -> [(&'static str, u32); 7] {
    [
        ("policy", c.policy),
        ("release_chunk", c.release_chunk),
        ("avert_budget", c.avert_budget),
        ("budget_window_ms", c.budget_window_ms),
        ("refill_delay_ms", c.refill_delay_ms),
        ("sample_slow_ms", c.sample_slow_ms),
        ("sample_fast_ms", c.sample_fast_ms),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_settings() {
        let s = parse_setting("release_chunk=512").unwrap();
        assert_eq!((s.spec.name, s.value), ("release_chunk", 512));
        assert_eq!(parse_setting("policy=observe").unwrap().value, 0);
        assert_eq!(parse_setting("policy=avert").unwrap().value, 1);
        assert_eq!(parse_setting(" avert_budget = 0 ").unwrap().value, 0);
        let c = apply(
            &params::default_config(),
            &[
                parse_setting("sample_slow_ms=500").unwrap(),
                parse_setting("sample_fast_ms=20").unwrap(),
            ],
        )
        .unwrap();
        assert_eq!((c.sample_slow_ms, c.sample_fast_ms), (500, 20));
        assert_eq!(entries(&c)[5], ("sample_slow_ms", 500));
        // Every key can be set.
        for spec in KEYS {
            let s = parse_setting(&format!("{}={}", spec.name, spec.min)).unwrap();
            let mut c = params::default_config();
            c.sample_slow_ms = 10_000;
            let c = apply(&c, &[s]).unwrap();
            assert!(
                entries(&c).contains(&(spec.name, spec.min as u32)),
                "{}",
                spec.name
            );
        }
    }

    #[test]
    fn bad_settings_say_what_is_wrong() {
        let msg = |s: &str| parse_setting(s).unwrap_err().to_string();
        assert_eq!(
            msg("release_chunk"),
            "expected KEY=VALUE, got `release_chunk`"
        );
        assert!(msg("pool_kib=1").starts_with("unknown key `pool_kib`; the keys are policy"));
        assert!(msg("reserved=0").starts_with("unknown key `reserved`"));
        assert_eq!(
            msg("avert_budget=lots"),
            "invalid avert_budget=lots: not a number"
        );
        assert_eq!(
            msg("avert_budget=-1"),
            "invalid avert_budget=-1: not a number"
        );
        assert_eq!(
            msg("release_chunk=0"),
            "invalid release_chunk=0: accepted range 1..=65536 pages"
        );
        assert_eq!(
            msg("policy=2"),
            "invalid policy=2: accepted range 0..=1 (0 = observe, 1 = avert)"
        );
        assert_eq!(
            msg("budget_window_ms=99"),
            "invalid budget_window_ms=99: accepted range 100..=3600000 ms"
        );
    }

    #[test]
    fn cross_field_check_uses_the_merged_config() {
        let mut c = params::default_config();
        c.sample_slow_ms = 20;
        let e = apply(&c, &[parse_setting("sample_fast_ms=50").unwrap()]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid sample_fast_ms=50: accepted range 1..=20 ms"
        );
    }
}
