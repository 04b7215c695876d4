//! The field model every format is built from: one list of named [`Value`]s per record
//! ([`fields`]), with the `--enrich` snapshot as a nested object, so JSON, logfmt, journald
//! fields and hook environment variables carry the same names and values.

use super::escape::name_text;
use super::names::{
    action_name, headroom_name, kind, level_name, oom_kind_name, pool_op_name, reclaim_phase_name,
    reclaim_who_name, source_name, valid_zones, zone_state_name,
};
use super::walltime::wall_clock;
use crate::decode::Record;
use crate::enrich::{Proc, Snapshot};
use oom_guard_core::abi::{
    Kill, Oom, Payload, ZoneSnapshot, KILL_EXITING, KILL_GROUP, KILL_VICTIM, TTE_UNKNOWN,
};

/// What formatting needs to know about the system the records came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FormatOptions {
    /// Page size in bytes, to convert page counts to KiB/MiB.
    pub page_size: u64,
}

impl Default for FormatOptions {
    fn default() -> Self {
        Self {
            page_size: system_page_size(),
        }
    }
}

/// The page size of this system (`sysconf(_SC_PAGESIZE)`), 4096 if it cannot be read.
pub fn system_page_size() -> u64 {
    crate::sys::page_size().unwrap_or(4096)
}

/// What the reader adds to a record, beside its own fields: the `--enrich` snapshot, and for a
/// `KILL` record the victim's cgroup path (resolved only while following the live device).
#[derive(Clone, Copy, Debug, Default)]
pub struct Extra<'a> {
    /// The `--enrich` snapshot taken for the record.
    pub enrich: Option<&'a Snapshot>,
    /// The path of the victim's memory cgroup under the cgroup v2 mount, escaped
    /// (`/system.slice/foo.service`, `/` for the root).
    pub cgroup: Option<&'a str>,
}

impl<'a> Extra<'a> {
    /// Nothing added.
    pub const NONE: Extra<'static> = Extra {
        enrich: None,
        cgroup: None,
    };

    /// A snapshot only.
    pub fn enriched(s: &'a Snapshot) -> Self {
        Self {
            enrich: Some(s),
            cgroup: None,
        }
    }
}

/// A field value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// An unsigned integer.
    U64(u64),
    /// A string.
    Str(String),
    /// A boolean.
    Bool(bool),
    /// A signed integer.
    I64(i64),
    /// A decimal with two places, in hundredths (`1234` is `12.34`).
    Centi(u64),
    /// Zone snapshots (a JSON array of objects; elsewhere a compact string, and indexed keys
    /// in [`flat_fields`]).
    Zones(Vec<ZoneSnapshot>),
    /// Processes (a JSON array of objects; elsewhere a compact string, and indexed keys in
    /// [`flat_fields`]).
    Procs(Vec<Proc>),
    /// Nested fields (a JSON object; flattened to `parent_child` names elsewhere).
    Object(Vec<Field>),
    /// A value that is not known: JSON `null`; left out of the flat formats ([`flat_fields`]),
    /// so a numeric field never holds a word.
    Unknown,
}

/// One named value of a record.
pub type Field = (&'static str, Value);

/// A time to exhaustion: [`Value::Unknown`] for [`TTE_UNKNOWN`], else milliseconds.
pub fn tte_value(tte_ms: u64) -> Value {
    if tte_ms == TTE_UNKNOWN {
        Value::Unknown
    } else {
        Value::U64(tte_ms)
    }
}

/// One of an `OOM` record's ABI 2.1 fields (`free_ns`, `blocks_freed`, `span_us`):
/// [`Value::Unknown`] in a record of `size` bytes that lacks them (an ABI 2.0 module's), else
/// the value.
fn oom_2_1_value(size: u32, v: u64) -> Value {
    if Oom::has_free_fields(size) {
        Value::U64(v)
    } else {
        Value::Unknown
    }
}

/// The structured fields of a record, in schema order, names escaped. Every record starts with
/// `seq`, `time_ns`, `type` and `abi` (the formats add `timestamp`: [`event_fields`]). Every
/// amount, rate and duration names its unit at the end of its name (the README's "Units"):
/// `_pages` (of `page_size_bytes`), `_kib`, `_bytes`, `_pages_per_s`, `_ns`, `_us`, `_ms`,
/// `_pct`; counts (`calls`, `kills`, `count`, `seq`) are bare nouns.
pub fn fields(rec: &Record, opts: &FormatOptions) -> Vec<Field> {
    use Value::{Bool, Str, Zones, U64};
    let h = &rec.header;
    let mut f: Vec<Field> = vec![
        ("seq", U64(h.seq)),
        ("time_ns", U64(h.time_ns)),
        ("type", Str(kind(rec.rtype()).into())),
        ("abi", Str(format!("{}.{}", h.abi_major, h.abi_minor))),
    ];
    let truncated = rec.zones_truncated();
    match &rec.payload {
        Payload::Pressure(p) => f.extend([
            ("level", Str(level_name(p.new_level))),
            ("old_level", Str(level_name(p.old_level))),
            ("source", Str(source_name(p.source))),
            ("free_pages", U64(p.free_pages)),
            ("available_pages", U64(p.available_pages)),
            ("headroom", Str(headroom_name(p.headroom))),
            ("fall_rate_pages_per_s", U64(p.fall_rate)),
            ("tte_ms", tte_value(p.tte_ms)),
            ("page_size_bytes", U64(opts.page_size)),
            ("nr_zones", U64(u64::from(p.nr_zones))),
            ("zones_truncated", Bool(truncated)),
            ("zones", Zones(valid_zones(&p.zones, p.nr_zones).to_vec())),
        ]),
        Payload::Oom(o) => f.extend([
            ("level", Str(level_name(o.level))),
            ("action", Str(action_name(o.action))),
            ("calls", U64(u64::from(o.calls))),
            ("span_us", oom_2_1_value(h.size, u64::from(o.span_us))),
            ("pid", U64(u64::from(o.pid))),
            ("comm", Str(name_text(&o.comm))),
            ("free_pages", U64(o.free_pages)),
            ("available_pages", U64(o.available_pages)),
            ("pool_before_pages", U64(o.pool_before)),
            ("pool_after_pages", U64(o.pool_after)),
            ("freed_reported_pages", U64(o.freed_reported)),
            ("callback_ns", U64(o.callback_ns)),
            ("free_ns", oom_2_1_value(h.size, o.free_ns)),
            (
                "blocks_freed",
                oom_2_1_value(h.size, u64::from(o.blocks_freed)),
            ),
            ("averts_left", U64(u64::from(o.averts_left))),
            ("page_size_bytes", U64(opts.page_size)),
            ("nr_zones", U64(u64::from(o.nr_zones))),
            ("zones_truncated", Bool(truncated)),
            ("zones", Zones(valid_zones(&o.zones, o.nr_zones).to_vec())),
        ]),
        Payload::Pool(p) => f.extend([
            ("op", Str(pool_op_name(p.op))),
            ("pages", U64(p.pages)),
            ("pool_pages", U64(p.pool_pages)),
            ("target_pages", U64(p.target_pages)),
            ("page_size_bytes", U64(opts.page_size)),
        ]),
        Payload::Kill(k) => f.extend(kill_fields(k)),
        Payload::Lost(l) => f.extend([("count", U64(l.count)), ("first_seq", U64(l.first_seq))]),
        Payload::Headroom(h) => f.extend([
            ("headroom", Str(headroom_name(h.new_level))),
            ("old_headroom", Str(headroom_name(h.old_level))),
            ("level", Str(level_name(h.wm_level))),
            ("wm_state", Str(zone_state_name(h.wm_state))),
            ("free_pages", U64(h.free_pages)),
            ("available_pages", U64(h.available_pages)),
            ("total_pages", U64(h.total_pages)),
            ("low_pages", U64(h.low_pages)),
            ("medium_pages", U64(h.medium_pages)),
            ("critical_pages", U64(h.critical_pages)),
            ("floor_pages", U64(h.floor_pages)),
            ("fall_rate_pages_per_s", U64(h.fall_rate)),
            ("tte_ms", tte_value(h.tte_ms)),
            ("page_size_bytes", U64(opts.page_size)),
        ]),
        Payload::Reclaim(r) => f.extend([
            ("phase", Str(reclaim_phase_name(r.phase))),
            ("who", Str(reclaim_who_name(r.who))),
            ("level", Str(level_name(r.wm_level))),
            ("headroom", Str(headroom_name(r.headroom))),
            ("kswapd_calls", U64(r.kswapd_calls)),
            ("direct_calls", U64(r.direct_calls)),
            ("duration_ms", U64(r.duration_ms)),
            ("free_pages", U64(r.free_pages)),
            ("available_pages", U64(r.available_pages)),
            ("page_size_bytes", U64(opts.page_size)),
        ]),
    }
    f
}

/// The fields of a `KILL` record after the header's: the victim's when the probe saw it
/// ([`KILL_VICTIM`]), with `notifier_action` and `select_ns` for a global OOM only; a count-only
/// record's `kills` and its empty victim fields.
fn kill_fields(k: &Kill) -> Vec<Field> {
    use Value::{Bool, Str, I64, U64};
    if k.flags & KILL_VICTIM == 0 {
        return vec![
            ("kills", U64(k.kills)),
            ("victim_pid", U64(u64::from(k.victim_pid))),
            ("victim_comm", Str(name_text(&k.victim_comm))),
            ("victim_rss_kib", U64(k.victim_rss_kib)),
        ];
    }
    let oom = oom_kind_name(k.flags);
    let mut f = vec![
        ("kills", U64(k.kills)),
        ("victim_pid", U64(u64::from(k.victim_pid))),
        ("victim_tgid", U64(u64::from(k.victim_tgid))),
        ("victim_uid", U64(u64::from(k.victim_uid))),
        ("victim_comm", Str(name_text(&k.victim_comm))),
        ("oom_score_adj", I64(i64::from(k.oom_score_adj))),
        ("victim_rss_kib", U64(k.victim_rss_kib)),
        ("victim_anon_kib", U64(k.anon_kib)),
        ("victim_file_kib", U64(k.file_kib)),
        ("victim_shmem_kib", U64(k.shmem_kib)),
        ("victim_pgtables_kib", U64(k.pgtables_kib)),
        ("cgroup_id", U64(k.cgroup_id)),
        ("oom", Str(oom.into())),
        ("killed", Bool(k.flags & KILL_EXITING == 0)),
        ("group", Bool(k.flags & KILL_GROUP != 0)),
    ];
    if oom == "global" {
        f.extend([
            ("notifier_action", Str(action_name(k.notifier_action))),
            ("select_ns", U64(k.select_ns)),
        ]);
    }
    f
}

/// The fields of an `--enrich` snapshot, in schema order (the JSON `enrich` object). Values
/// that could not be read are left out.
pub fn enrich_fields(s: &Snapshot) -> Vec<Field> {
    use Value::{Bool, Centi, Procs, Str, U64};
    let mut f: Vec<Field> = vec![
        ("time_ns", U64(s.time_ns)),
        ("elapsed_us", U64(s.elapsed_us)),
    ];
    let m = &s.meminfo;
    for (k, v) in [
        ("mem_available_kib", m.available_kib),
        ("mem_free_kib", m.free_kib),
        ("swap_free_kib", m.swap_free_kib),
    ] {
        if let Some(v) = v {
            f.push((k, U64(v)));
        }
    }
    if let Some(psi) = &s.psi {
        for (avg10, total, line) in [
            ("psi_some_avg10_pct", "psi_some_total_us", psi.some),
            ("psi_full_avg10_pct", "psi_full_total_us", psi.full),
        ] {
            if let Some(l) = line {
                f.extend([(avg10, Centi(l.avg10_centi)), (total, U64(l.total_us))]);
            }
        }
    }
    f.extend([
        ("scanned", U64(u64::from(s.scanned))),
        ("skipped", U64(u64::from(s.skipped))),
        ("truncated", Bool(s.truncated.is_some())),
    ]);
    if let Some(t) = s.truncated {
        f.push(("truncated_by", Str(t.name().into())));
    }
    if let Some(pid) = s.victim_pid {
        f.push(("victim_pid", U64(u64::from(pid))));
    }
    f.push(("top", Procs(s.top().to_vec())));
    f
}

/// The fields of one process of a snapshot's top list, in schema order: `pid`, `comm` (escaped),
/// `rss_kib`, `oom_score`, `oom_score_adj`, `victim` (the kill record's victim).
pub fn proc_fields(p: &Proc) -> [Field; 6] {
    [
        ("pid", Value::U64(u64::from(p.pid))),
        ("comm", Value::Str(name_text(&p.comm))),
        ("rss_kib", Value::U64(p.rss_kib)),
        ("oom_score", Value::I64(p.oom_score)),
        ("oom_score_adj", Value::I64(p.oom_score_adj)),
        ("victim", Value::Bool(p.victim)),
    ]
}

/// The fields of a record as the formats print them ([`fields`]), with the wall-clock
/// `timestamp` after `time_ns` (RFC 3339, UTC, microseconds; see `walltime`), a `KILL`
/// victim's cgroup path, if known, as `cgroup` after `cgroup_id`, and the `--enrich`
/// snapshot, if any, as a last field `enrich`.
pub fn event_fields(rec: &Record, extra: Extra<'_>, opts: &FormatOptions) -> Vec<Field> {
    let mut f = fields(rec, opts);
    let at = f
        .iter()
        .position(|(k, _)| *k == "time_ns")
        .map_or(0, |i| i + 1);
    let ts = wall_clock(rec.header.time_ns).map_or(Value::Unknown, Value::Str);
    f.insert(at, ("timestamp", ts));
    if let Some(path) = extra.cgroup {
        if let Some(i) = f.iter().position(|(k, _)| *k == "cgroup_id") {
            f.insert(i + 1, ("cgroup", Value::Str(path.into())));
        }
    }
    if let Some(s) = extra.enrich {
        f.push(("enrich", Value::Object(enrich_fields(s))));
    }
    f
}

/// The fields of one zone of a record's or a snapshot's zone list, in schema order: `node`,
/// `zone_idx`, `name` (escaped), `state`, then its page counts, `free_pages` … `managed_pages`.
pub fn zone_fields(z: &ZoneSnapshot) -> [Field; 11] {
    use Value::{Str, U64};
    [
        ("node", U64(u64::from(z.node))),
        ("zone_idx", U64(u64::from(z.zone_idx))),
        ("name", Str(name_text(&z.name))),
        ("state", Str(zone_state_name(z.state))),
        ("free_pages", U64(z.free)),
        ("min_pages", U64(z.min)),
        ("low_pages", U64(z.low)),
        ("high_pages", U64(z.high)),
        ("boost_pages", U64(z.boost)),
        ("reserve_pages", U64(z.reserve)),
        ("managed_pages", U64(z.managed)),
    ]
}

/// Fields as the flat formats (logfmt, journald, hook environment) carry them: child `k` of
/// `parent` becomes `parent_k`; a list of zones or processes is kept as its compact text and
/// also given indexed keys, `zones_0_name`, `zones_0_free_pages`, … `top_0_pid`,
/// `top_0_comm`, …, so it can be split whatever the names hold; an [`Value::Unknown`] value is
/// left out.
pub fn flat_fields(fields: &[Field]) -> Vec<(String, Value)> {
    let mut out = Vec::with_capacity(fields.len());
    for (k, v) in fields {
        flatten((*k).to_string(), v, &mut out);
    }
    out
}

fn flatten(key: String, v: &Value, out: &mut Vec<(String, Value)>) {
    match v {
        Value::Object(children) => {
            for (c, v) in children {
                flatten(format!("{key}_{c}"), v, out);
            }
        }
        Value::Procs(procs) => {
            out.push((key.clone(), v.clone()));
            for (i, p) in procs.iter().enumerate() {
                for (c, v) in proc_fields(p) {
                    out.push((format!("{key}_{i}_{c}"), v));
                }
            }
        }
        Value::Zones(zones) => {
            out.push((key.clone(), v.clone()));
            for (i, z) in zones.iter().enumerate() {
                for (c, v) in zone_fields(z) {
                    out.push((format!("{key}_{i}_{c}"), v));
                }
            }
        }
        Value::Unknown => {}
        v => out.push((key, v.clone())),
    }
}

/// A hundredths value as `N.NN`.
pub(super) fn centi_text(n: u64) -> String {
    format!("{}.{:02}", n / 100, n % 100)
}

/// The environment-style name of a field: `OOM_GUARD_` and the upper-cased name; `type` is
/// `OOM_GUARD_EVENT`.
pub fn env_name(key: &str) -> String {
    if key == "type" {
        "OOM_GUARD_EVENT".into()
    } else {
        format!("OOM_GUARD_{}", key.to_ascii_uppercase())
    }
}
