//! logfmt, and the plain text of a field value it shares with the journald fields and the hook
//! environment: zones and processes compact, nested objects as logfmt.

use super::escape::compact_name;
use super::fields::{centi_text, event_fields, flat_fields, Extra, Field, FormatOptions, Value};
use super::names::zone_state_name;
use crate::decode::Record;
use crate::enrich::Proc;
use oom_guard_core::abi::ZoneSnapshot;
use std::fmt::Write as _;

/// Appends a logfmt value, quoted if it is empty or has spaces, quotes, `=` or controls.
pub(super) fn logfmt_value(out: &mut String, s: &str) {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| !c.is_whitespace() && !c.is_control() && c != '"' && c != '=' && c != '\\');
    if plain {
        out.push_str(s);
        return;
    }
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A field value as plain text (journald fields, hook environment).
pub fn value_text(v: &Value) -> String {
    match v {
        Value::U64(n) => n.to_string(),
        Value::Str(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::I64(n) => n.to_string(),
        Value::Centi(n) => centi_text(*n),
        Value::Zones(z) => zones_compact(z),
        Value::Procs(p) => procs_compact(p),
        Value::Object(f) => logfmt_line(f),
        Value::Unknown => "unknown".into(),
    }
}

/// Processes as `PID:COMM:RSS_KIB:OOM_SCORE:OOM_SCORE_ADJ`, space-separated, the name escaped
/// with spaces and colons as `\x20` and `\x3a` ([`compact_name`](super::compact_name)).
pub fn procs_compact(procs: &[Proc]) -> String {
    procs
        .iter()
        .map(|p| {
            format!(
                "{}:{}:{}:{}:{}",
                p.pid,
                compact_name(&p.comm),
                p.rss_kib,
                p.oom_score,
                p.oom_score_adj
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Zones as `NODE/NAME:STATE:FREE_PAGES`, space-separated (logfmt, journald, hooks), the name
/// escaped as in [`procs_compact`].
pub fn zones_compact(zones: &[ZoneSnapshot]) -> String {
    zones
        .iter()
        .map(|z| {
            format!(
                "{}/{}:{}:{}",
                z.node,
                compact_name(&z.name),
                zone_state_name(z.state),
                z.free
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Fields as logfmt `key=value` pairs; zones and processes compact
/// (`NODE/NAME:STATE:FREE_PAGES ...`, `PID:COMM:RSS_KIB:OOM_SCORE:OOM_SCORE_ADJ ...`), nested
/// objects flattened (`enrich_mem_free_kib=...`), processes also with indexed keys
/// (`enrich_top_0_pid=... enrich_top_0_comm=...`, [`flat_fields`](super::flat_fields)).
pub fn logfmt_line(fields: &[Field]) -> String {
    let mut out = String::new();
    for (i, (k, v)) in flat_fields(fields).iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(k);
        out.push('=');
        logfmt_value(&mut out, &value_text(v));
    }
    out
}

/// One logfmt line (without the newline), with the wall-clock `timestamp`.
pub fn logfmt(rec: &Record, opts: &FormatOptions) -> String {
    logfmt_line(&event_fields(rec, Extra::NONE, opts))
}
