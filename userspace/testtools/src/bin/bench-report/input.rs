//! Reading an input file: the `bench: <ID> key=value ...` lines the `make bench` guests print.
//!
//! Only lines that start with `bench: ` are read; every other line (kernel messages, test
//! output) is skipped. A `bench: ` line must be well formed: a known id, `key=value` tokens
//! separated by blanks, every key the id requires present exactly once, optional keys at most
//! once and no other key (`meta` takes any keys). A value of `-` means absent or did not happen,
//! and is accepted wherever a measurement is expected. Two ids are not measurements:
//! `bench: note <free text>` (kept and shown in the report) and `bench: done` (the guest's
//! script ran to its end). Anything else is an error that names the line.
//!
//! This file holds what every id shares: the line grammar ([`Fields`]) and the dispatch to the
//! measurements' own parsers, which [`crate::report::MEASURES`] names.

use crate::report::{Lines, MEASURES};
use crate::{p1, p2, p4, p5, p6, p7, p8, p9};
use std::fmt;
use std::str::SplitAsciiWhitespace;

/// The prefix that marks a benchmark line.
const PREFIX: &str = "bench: ";

/// The tokens after a line's id.
pub type Tokens<'a> = SplitAsciiWhitespace<'a>;

/// Everything one input file holds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BenchData {
    /// `meta` keys and values in the order first seen.
    pub meta: Vec<(String, String)>,
    /// `note` lines: line number and text.
    pub notes: Vec<(usize, String)>,
    /// The line of `bench: done`, if the file has one.
    pub done_line: Option<usize>,
    pub p1: p1::P1Lines,
    pub p2: Vec<p2::P2Run>,
    pub p4: Vec<p4::P4Storm>,
    pub p5: Vec<p5::P5Run>,
    pub p6: Vec<p6::P6Sample>,
    pub p7: Option<p7::P7Mem>,
    pub p8: Vec<p8::P8Burst>,
    pub p9: Option<p9::P9Ci>,
}

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

/// Parses a whole input file. Lines that do not start with `bench: ` are skipped; trailing
/// blanks (a serial console's `\r`) are ignored.
pub fn parse(text: &str) -> Result<BenchData, LineError> {
    let mut data = BenchData::default();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let Some(rest) = raw.strip_prefix(PREFIX) else {
            continue;
        };
        parse_line(rest, line, &mut data).map_err(|msg| LineError { line, msg })?;
    }
    Ok(data)
}

/// Parses one line (without the prefix) into `data`.
fn parse_line(rest: &str, line: usize, data: &mut BenchData) -> Result<(), String> {
    let mut tokens = rest.split_ascii_whitespace();
    let Some(id) = tokens.next() else {
        return Err("no id after 'bench: '".to_string());
    };
    match id {
        "meta" => parse_meta(tokens, data),
        "note" => {
            let text = rest.trim_start().strip_prefix("note").unwrap_or_default();
            data.notes.push((line, text.trim().to_string()));
            Ok(())
        }
        "done" => {
            if let Some(t) = tokens.next() {
                return Err(format!("done takes no values, found '{t}'"));
            }
            data.done_line = Some(line);
            Ok(())
        }
        other => match MEASURES.iter().find(|m| m.id == other).map(|m| &m.lines) {
            Some(Lines::Own(parse)) => parse(tokens, line, data),
            Some(Lines::Of { why, .. }) => Err(why.to_string()),
            None => Err(format!("unknown id '{other}' (expected {})", line_ids())),
        },
    }
}

/// The ids a line can have: `meta, note, done, P1, P2, P4, … or P9`.
fn line_ids() -> String {
    let mut ids = vec!["meta", "note", "done"];
    ids.extend(
        MEASURES
            .iter()
            .filter(|m| matches!(m.lines, Lines::Own(_)))
            .map(|m| m.id),
    );
    match ids.split_last() {
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

fn parse_meta(tokens: Tokens<'_>, data: &mut BenchData) -> Result<(), String> {
    for t in tokens {
        let (k, v) = split_pair("meta", t)?;
        match data.meta.iter().find(|(key, _)| key == k) {
            Some((_, old)) if old != v => {
                return Err(format!("meta: {k}={v} contradicts the earlier {k}={old}"))
            }
            Some(_) => {}
            None => data.meta.push((k.to_string(), v.to_string())),
        }
    }
    Ok(())
}

fn split_pair<'a>(what: &str, t: &'a str) -> Result<(&'a str, &'a str), String> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> LineError {
        parse(text).unwrap_err()
    }

    #[test]
    fn non_bench_lines_are_skipped_and_cr_is_ignored() {
        let d = parse("[ 1.0] boot\nbench:P1 x\n  bench: P1 lat_ns=1\nbench: P1 lat_ns=5,6\r\n")
            .unwrap();
        assert_eq!(d.p1.normal.samples_ns, vec![5, 6]);
        assert!(d.p2.is_empty());
    }

    #[test]
    fn meta() {
        let d =
            parse("bench: meta arch=x86_64 kernel=7.3.4\nbench: meta arch=x86_64 smp=2\n").unwrap();
        assert_eq!(
            d.meta,
            vec![
                ("arch".to_string(), "x86_64".to_string()),
                ("kernel".to_string(), "7.3.4".to_string()),
                ("smp".to_string(), "2".to_string())
            ]
        );
        let e = err("bench: meta arch=x86_64\nbench: meta arch=arm64");
        assert!(e.msg.contains("contradicts"), "{e}");
    }

    #[test]
    fn errors_name_the_line_and_the_problem() {
        let e = err("boot\nbench: P1 lat_ns=1\nbench: Q7 x=1\n");
        assert_eq!(e.line, 3);
        assert_eq!(
            e.msg,
            "unknown id 'Q7' (expected meta, note, done, P1, P2, P4, P5, P6, P7, P8 or P9)"
        );
        let cases = [
            ("bench: ", "no id"),
            ("bench: P3 low_delay=1", "P3 has no lines"),
            ("bench: done 1", "done takes no values, found '1'"),
            (
                "bench: P4 storm=1 storm=1 rounds=2 max_ns=3 avg_ns=4",
                "storm= given twice",
            ),
            (
                "bench: P4 storm=1 rounds=x max_ns=3 avg_ns=4",
                "rounds=x: expected a whole number",
            ),
            (
                "bench: P4 storm=- rounds=1 max_ns=3 avg_ns=4",
                "storm=-: expected a whole number",
            ),
            (
                "bench: P4 storm=1 rounds= max_ns=3 avg_ns=4",
                "rounds= has no value",
            ),
            (
                "bench: P4 storm=1 rounds max_ns=3 avg_ns=4",
                "'rounds' is not key=value",
            ),
            ("bench: P4 storm=1 rounds=2 max_ns=3", "missing avg_ns="),
            (
                "bench: P8 readers=1 events=1 span_ms=inf lost=0",
                "span_ms=inf: expected a number",
            ),
            ("bench: meta arch", "'arch' is not key=value"),
        ];
        for (line, want) in cases {
            let e = err(line);
            assert_eq!(e.line, 1, "{line}");
            assert!(e.msg.contains(want), "{line}: {e}");
        }
    }

    #[test]
    fn notes_and_done() {
        let d = parse(
            "bench: note P2 rate=50 run=3: the hog was not OOM-killed  \n\
             bench: note\n\
             bench: done\n",
        )
        .unwrap();
        assert_eq!(
            d.notes,
            vec![
                (
                    1,
                    "P2 rate=50 run=3: the hog was not OOM-killed".to_string()
                ),
                (2, String::new())
            ]
        );
        assert_eq!(d.done_line, Some(3));
        // A note is not a measurement.
        assert_eq!(parse("bench: note x\n").unwrap().p1, p1::P1Lines::default());
    }
}
