//! Formatting of records: human text, JSON Lines and logfmt, plus the structured fields and
//! priorities the syslog, journald and kmsg sinks and the hooks use.
//!
//! Every format is built from one list of [`Field`]s per record ([`fields`]), so JSON, logfmt,
//! journald fields and hook environment variables carry the same names and values. The JSON
//! schema is documented in the crate's `README.md`; changing a name there is a breaking change.
//!
//! One file a job, each re-exported here: `escape` (kernel-provided strings made safe to
//! print), `names` (raw values to names), `priority` (syslog severities), `fields` (the field
//! model), `text`, `json` and `logfmt` (the three formats, `logfmt` with the plain text of a
//! value), `walltime` (the wall-clock `timestamp`). This file picks the format.

mod escape;
mod fields;
mod json;
mod logfmt;
mod names;
mod priority;
mod text;
mod walltime;

pub use escape::{compact_name, escape_bytes, name_text, text_name, text_word};
pub use fields::{
    enrich_fields, env_name, event_fields, fields, flat_fields, proc_fields, system_page_size,
    tte_value, zone_fields, Extra, Field, FormatOptions, Value,
};
pub use json::{json, json_object};
pub use logfmt::{logfmt, logfmt_line, procs_compact, value_text, zones_compact};
pub use names::{
    action_name, headroom_name, kind, level, level_name, message_id, object_fields, object_pid,
    oom_kind_name, pool_op_name, reclaim_phase_name, reclaim_who_name, source_name, valid_zones,
    victim_pid, zone_state_name,
};
pub use priority::{priority, Priority};
pub use text::{
    enrich_text, event_message, human_bytes, human_ns, human_rate, human_tte, message, text,
    timestamp,
};
pub use walltime::{rfc3339_us, wall_clock};

use crate::decode::Record;

/// An output format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One human-readable line per event: monotonic timestamp, kind, level, sizes in KiB/MiB.
    #[default]
    Text,
    /// JSON Lines: one object per record, schema in the README.
    Json,
    /// logfmt: `key=value` pairs with the JSON field names.
    Logfmt,
}

/// One line in `format` (without the newline), with what the reader added ([`Extra`]): the
/// event's `--enrich` snapshot (appended to the text, an `enrich` object in JSON, `enrich_*`
/// pairs in logfmt) and a `KILL` victim's cgroup path (`cgroup`).
pub fn line(format: Format, rec: &Record, extra: Extra<'_>, opts: &FormatOptions) -> String {
    match format {
        Format::Text => format!(
            "{} {}",
            timestamp(rec.header.time_ns),
            event_message(rec, extra, opts)
        ),
        Format::Json => json_object(&event_fields(rec, extra, opts)),
        Format::Logfmt => logfmt_line(&event_fields(rec, extra, opts)),
    }
}

/// The message body for logging sinks, which stamp their own time: the text message without
/// the timestamp, or the JSON/logfmt line.
pub fn body(format: Format, rec: &Record, extra: Extra<'_>, opts: &FormatOptions) -> String {
    match format {
        Format::Text => event_message(rec, extra, opts),
        Format::Json | Format::Logfmt => line(format, rec, extra, opts),
    }
}

#[cfg(test)]
mod tests;
