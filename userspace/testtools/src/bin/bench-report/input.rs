//! The grammar of the `bench: <ID> key=value ...` lines the `make bench` guests print.
//!
//! Only lines that start with `bench: ` are read; every other line (kernel messages, test
//! output) is skipped. A `bench: ` line must be well formed: a known id, `key=value` tokens
//! separated by blanks, every key the id requires present exactly once, optional keys at most
//! once and no other key (`meta` takes any keys). A value of `-` means absent or did not happen,
//! and is accepted wherever a measurement is expected. Two ids are not measurements:
//! `bench: note <free text>` (kept and shown in the report) and `bench: done` (the guest's
//! script ran to its end). Anything else is an error that names the line.
//!
//! This file holds the line grammar every id shares ([`Fields`]); `report.rs` reads a file and
//! hands each line to its measurement's parser.

use std::fmt;
use std::str::SplitAsciiWhitespace;

/// The tokens after a line's id.
pub type Tokens<'a> = SplitAsciiWhitespace<'a>;

/// A malformed or unknown `bench: ` line; `line` is 1-based.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    pub line: usize,
    pub msg: String,
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.msg)
    }
}

/// Splits a `key=value` token of a `what` line.
pub fn split_pair<'a>(what: &str, t: &'a str) -> Result<(&'a str, &'a str), String> {
    let (k, v) = t
        .split_once('=')
        .ok_or_else(|| format!("{what}: '{t}' is not key=value"))?;
    if k.is_empty() {
        return Err(format!("{what}: '{t}' has no key"));
    }
    if v.is_empty() {
        return Err(format!("{what}: {k}= has no value (write '-' if absent)"));
    }
    Ok((k, v))
}

/// The `key=value` tokens of one line, checked against the keys its id defines.
pub struct Fields<'a> {
    what: &'static str,
    pairs: Vec<(&'a str, &'a str)>,
}

impl<'a> Fields<'a> {
    /// Splits the tokens and rejects keys that are unknown (neither in `keys`, which the
    /// accessors require, nor in `optional`) or repeated.
    pub fn new(
        what: &'static str,
        keys: &[&str],
        optional: &[&str],
        tokens: impl Iterator<Item = &'a str>,
    ) -> Result<Self, String> {
        let mut pairs: Vec<(&str, &str)> = Vec::new();
        for t in tokens {
            let (k, v) = split_pair(what, t)?;
            if !keys.contains(&k) && !optional.contains(&k) {
                let mut expected = keys.join(", ");
                if !optional.is_empty() {
                    expected.push_str(&format!("; optional {}", optional.join(", ")));
                }
                return Err(format!("{what}: unknown key '{k}' (expected {expected})"));
            }
            if pairs.iter().any(|(key, _)| *key == k) {
                return Err(format!("{what}: {k}= given twice"));
            }
            pairs.push((k, v));
        }
        Ok(Self { what, pairs })
    }

    /// The value of a key, if present.
    pub fn get(&self, key: &str) -> Option<&'a str> {
        self.pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }

    /// The value of a key that must be present.
    pub fn raw(&self, key: &str) -> Result<&'a str, String> {
        self.get(key)
            .ok_or_else(|| format!("{}: missing {key}= (write {key}=- if absent)", self.what))
    }

    /// An optional key: absent and `-` are both `None`.
    pub fn optional_u64(&self, key: &str) -> Result<Option<u64>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(_) => self.opt_u64(key),
        }
    }

    /// An optional key: absent and `-` are both `None`.
    pub fn optional_f64(&self, key: &str) -> Result<Option<f64>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(_) => self.opt_f64(key),
        }
    }

    pub fn u32(&self, key: &str) -> Result<u32, String> {
        let v = self.raw(key)?;
        v.parse()
            .map_err(|_| format!("{}: {key}={v}: expected a whole number", self.what))
    }

    pub fn opt_u64(&self, key: &str) -> Result<Option<u64>, String> {
        match self.raw(key)? {
            "-" => Ok(None),
            v => v
                .parse()
                .map(Some)
                .map_err(|_| format!("{}: {key}={v}: expected a whole number or '-'", self.what)),
        }
    }

    pub fn opt_f64(&self, key: &str) -> Result<Option<f64>, String> {
        match self.raw(key)? {
            "-" => Ok(None),
            v => v
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .map(Some)
                .ok_or_else(|| format!("{}: {key}={v}: expected a number or '-'", self.what)),
        }
    }

    /// A key whose value is one of `choices`' names.
    pub fn choice<T: Copy>(&self, key: &str, choices: &[(&str, T)]) -> Result<T, String> {
        let v = self.raw(key)?;
        choices
            .iter()
            .find(|(name, _)| *name == v)
            .map(|(_, t)| *t)
            .ok_or_else(|| {
                let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
                format!("{}: {key}={v}: expected {}", self.what, names.join(" or "))
            })
    }
}
