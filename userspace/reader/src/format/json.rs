//! JSON Lines: one object per record, on one line. The schema is documented in the crate's
//! `README.md`; changing a name there is a breaking change.

use super::fields::{
    centi_text, event_fields, proc_fields, zone_fields, Extra, Field, FormatOptions, Value,
};
use crate::decode::Record;
use crate::enrich::Proc;
use oom_guard_core::abi::ZoneSnapshot;
use std::fmt::Write as _;

/// Appends `s` as a JSON string literal.
fn json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            // C0, DEL and C1 controls, and the separators JavaScript takes for line ends.
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn json_proc(out: &mut String, p: &Proc) {
    json_fields(out, &proc_fields(p));
}

/// Appends a JSON array of `items`, each written by `one`.
fn json_array<T>(out: &mut String, items: &[T], one: fn(&mut String, &T)) {
    out.push('[');
    for (i, x) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        one(out, x);
    }
    out.push(']');
}

fn json_zone(out: &mut String, z: &ZoneSnapshot) {
    json_fields(out, &zone_fields(z));
}

/// A JSON object of fields, on one line.
pub fn json_object(fields: &[Field]) -> String {
    let mut out = String::new();
    json_fields(&mut out, fields);
    out
}

/// Appends a JSON object of fields.
fn json_fields(out: &mut String, fields: &[Field]) {
    out.push('{');
    for (i, (k, v)) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        json_string(out, k);
        out.push(':');
        match v {
            Value::U64(n) => {
                let _ = write!(out, "{n}");
            }
            Value::I64(n) => {
                let _ = write!(out, "{n}");
            }
            Value::Centi(n) => out.push_str(&centi_text(*n)),
            Value::Str(s) => json_string(out, s),
            Value::Bool(b) => {
                let _ = write!(out, "{b}");
            }
            Value::Zones(zones) => json_array(out, zones, json_zone),
            Value::Procs(procs) => json_array(out, procs, json_proc),
            Value::Object(f) => json_fields(out, f),
            Value::Unknown => out.push_str("null"),
        }
    }
    out.push('}');
}

/// One JSON Lines object (without the newline), with the wall-clock `timestamp`.
pub fn json(rec: &Record, opts: &FormatOptions) -> String {
    json_object(&event_fields(rec, Extra::NONE, opts))
}
