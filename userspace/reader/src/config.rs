//! `config get` / `config set KEY=VALUE...`: names, parsing and validation of the runtime
//! configuration, using the ranges the module itself checks (`params.rs`).

use oom_guard_core::abi::Config;
use oom_guard_core::params::{self, Bounds, RangeError, Spec};
use std::num::IntErrorKind;

/// Every settable key with its range and field, in `struct oom_guard_config` order: the
/// tunables of the module's table that live in the runtime configuration.
pub fn keys() -> impl Iterator<Item = &'static Spec> {
    params::config_tunables().map(|(s, _)| s)
}

/// The keys and their ranges, for `config set --help`, from the module's table: `KEY MIN-MAX
/// UNIT[RULE] (or NAMES), default D` per key.
pub fn keys_help() -> String {
    let mut out = String::from("Keys, ranges and defaults (the module's own table):\n");
    for s in keys() {
        // Named values stand for the unit (`policy 0-1 (or observe/avert)`); spellings that
        // differ only in case are shown once.
        let mut names: Vec<String> = s.names.iter().map(|(n, _)| n.to_lowercase()).collect();
        names.dedup();
        let unit = if names.is_empty() {
            format!(" {}", s.unit)
        } else {
            format!(" (or {})", names.join("/"))
        };
        out.push_str(&format!(
            "  {} {}-{}{unit}{}, default {}\n",
            s.name, s.min, s.max, s.rule, s.default
        ));
    }
    out.push_str(
        "The rules between keys (sample_min_ms <= sample_fast_ms <= sample_slow_ms, \
         headroom_low > headroom_medium > headroom_critical, percentages at most 100) are \
         checked on the whole configuration.",
    );
    out
}

/// Every key's name, comma-separated, for messages.
pub fn key_names() -> String {
    keys().map(|k| k.name).collect::<Vec<_>>().join(", ")
}

/// A bad `KEY=VALUE`.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    /// Not `KEY=VALUE`.
    #[error("expected KEY=VALUE, got `{0}`")]
    Syntax(String),
    /// A key the module does not have.
    #[error("unknown key `{0}`; the keys are {keys}", keys = key_names())]
    UnknownKey(String),
    /// A value that is not a number (or a policy or unit name).
    #[error("invalid {key}={value}: not a number")]
    NotANumber {
        /// The key.
        key: String,
        /// The value given.
        value: String,
    },
    /// A number too large even for 64 bits, reported with the key's range.
    #[error(
        "invalid {}={value}: accepted range {}..={} {}",
        .spec.name, .spec.min, .spec.max, .spec.unit
    )]
    TooLarge {
        /// The key and its range.
        spec: Bounds,
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
/// `observe` and `avert`, `headroom_unit` also `percent` and `kib`, in any case. A number out of
/// range is reported with the range, however large it is.
pub fn parse_setting(s: &str) -> Result<Setting, ConfigError> {
    let (key, value) = s
        .split_once('=')
        .ok_or_else(|| ConfigError::Syntax(s.to_string()))?;
    let (key, value) = (key.trim(), value.trim());
    let spec = *keys()
        .find(|k| k.name == key)
        .ok_or_else(|| ConfigError::UnknownKey(key.to_string()))?;
    let v = match spec.named_value(value) {
        Some(v) => u64::from(v),
        None => value.parse::<u64>().map_err(|e| match e.kind() {
            IntErrorKind::PosOverflow => ConfigError::TooLarge {
                spec: spec.bounds(),
                value: value.to_string(),
            },
            _ => ConfigError::NotANumber {
                key: key.to_string(),
                value: value.to_string(),
            },
        })?,
    };
    spec.check(v).map_err(ConfigError::Range)?;
    // Every range fits a `u32` (`params.rs` tests it); a value in range does too.
    let value = u32::try_from(v).map_err(|_| {
        ConfigError::Range(RangeError {
            spec: spec.bounds(),
            value: v,
        })
    })?;
    Ok(Setting { spec, value })
}

/// Applies `settings` to `config` and validates the result as the module will
/// (`params::validate_config`, which also checks the rules between fields:
/// `sample_min_ms <= sample_fast_ms <= sample_slow_ms`, `headroom_low > headroom_medium >
/// headroom_critical`, percentages at most 100).
pub fn apply(config: &Config, settings: &[Setting]) -> Result<Config, ConfigError> {
    let mut c = *config;
    for s in settings {
        if let Some(f) = s.spec.field {
            (f.set)(&mut c, s.value);
        }
    }
    params::validate_config(&c).map_err(ConfigError::Range)?;
    Ok(c)
}

/// The configuration as `(key, value)` pairs in struct order.
pub fn entries(c: &Config) -> Vec<(&'static str, u32)> {
    params::config_tunables()
        .map(|(s, f)| (s.name, (f.get)(c)))
        .collect()
}

#[cfg(test)]
mod tests;
