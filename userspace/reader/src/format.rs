//! Formatting of records: human text, JSON Lines and logfmt, plus the structured fields and
//! priorities the syslog, journald and kmsg sinks and the hooks use.
//!
//! Every format is built from one list of [`Field`]s per record ([`fields`]), so JSON, logfmt,
//! journald fields and hook environment variables carry the same names and values. The JSON
//! schema is documented in the crate's `README.md`; changing a name there is a breaking change.

use crate::decode::Record;
use crate::enrich::{Proc, Snapshot};
use oom_guard_core::abi::{
    self, HeadroomLevel, Level, OomAction, Payload, PoolOp, ReclaimPhase, RecordType, ZoneSnapshot,
    ZoneState, MAX_ZONES, RECLAIM_DIRECT, RECLAIM_KSWAPD, TTE_UNKNOWN,
};
use std::fmt::Write as _;

pub use crate::compat::has_headroom_fields;

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

/// A syslog severity (RFC 5424 numbering, as in `<sys/syslog.h>`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Priority(pub u8);

impl Priority {
    /// `LOG_CRIT`.
    pub const CRIT: Self = Self(2);
    /// `LOG_ERR`.
    pub const ERR: Self = Self(3);
    /// `LOG_WARNING`.
    pub const WARNING: Self = Self(4);
    /// `LOG_NOTICE`.
    pub const NOTICE: Self = Self(5);
    /// `LOG_INFO`.
    pub const INFO: Self = Self(6);
}

/// The severity of a record: `crit` for OOM and kills; `err` for pressure `min` and headroom
/// `critical`; `warning` for pressure `low`, headroom `medium`, direct reclaim, lost events and
/// failed refills; `notice` for headroom `low`, reclaim onset and pool releases; `info` for
/// pressure `ok`, headroom `plenty`, reclaim end and refills.
pub fn priority(rec: &Record) -> Priority {
    match &rec.payload {
        Payload::Pressure(p) => match Level::from_raw(p.new_level) {
            Some(Level::Ok) => Priority::INFO,
            Some(Level::Low) | None => Priority::WARNING,
            Some(Level::Min) => Priority::ERR,
        },
        Payload::Oom(_) | Payload::Kill(_) => Priority::CRIT,
        Payload::Pool(p) => match PoolOp::from_raw(p.op) {
            Some(PoolOp::Refill) => Priority::INFO,
            Some(PoolOp::RefillFailed) => Priority::WARNING,
            Some(PoolOp::Release) | None => Priority::NOTICE,
        },
        Payload::Lost(_) => Priority::WARNING,
        Payload::Headroom(h) => match HeadroomLevel::from_raw(h.new_level) {
            Some(HeadroomLevel::Plenty) => Priority::INFO,
            Some(HeadroomLevel::Low) => Priority::NOTICE,
            Some(HeadroomLevel::Medium) | None => Priority::WARNING,
            Some(HeadroomLevel::Critical) => Priority::ERR,
        },
        Payload::Reclaim(r) => match ReclaimPhase::from_raw(r.phase) {
            Some(ReclaimPhase::Onset) | None => Priority::NOTICE,
            Some(ReclaimPhase::Direct) => Priority::WARNING,
            Some(ReclaimPhase::End) => Priority::INFO,
        },
    }
}

/// The record kind as printed and as the JSON `type`: `pressure`, `oom`, `pool`, `kill`, `lost`,
/// `headroom`, `reclaim`.
pub fn kind(rtype: RecordType) -> &'static str {
    match rtype {
        RecordType::Pressure => "pressure",
        RecordType::Oom => "oom",
        RecordType::Pool => "pool",
        RecordType::Kill => "kill",
        RecordType::Lost => "lost",
        RecordType::Headroom => "headroom",
        RecordType::Reclaim => "reclaim",
    }
}

/// A raw enum value this reader does not know, as `unknown-N`.
fn unknown(raw: impl std::fmt::Display) -> String {
    format!("unknown-{raw}")
}

/// A level's name: `ok`, `low`, `min` (or `unknown-N`).
pub fn level_name(raw: u8) -> String {
    Level::from_raw(raw).map_or_else(|| unknown(raw), |l| l.name().to_string())
}

/// The watermark level a record carries (pressure: the new level; OOM, headroom, reclaim: the
/// level at the time).
pub fn level(rec: &Record) -> Option<String> {
    match &rec.payload {
        Payload::Pressure(p) => Some(level_name(p.new_level)),
        Payload::Oom(o) => Some(level_name(o.level)),
        Payload::Headroom(h) => Some(level_name(h.wm_level)),
        Payload::Reclaim(r) => Some(level_name(r.wm_level)),
        Payload::Pool(_) | Payload::Kill(_) | Payload::Lost(_) => None,
    }
}

/// A headroom level's name: `plenty`, `low`, `medium`, `critical` (or `unknown-N`).
pub fn headroom_name(raw: u8) -> String {
    HeadroomLevel::from_raw(raw).map_or_else(|| unknown(raw), |l| l.name().to_string())
}

/// A reclaim phase's name: `onset`, `direct`, `end` (or `unknown-N`).
pub fn reclaim_phase_name(raw: u8) -> String {
    ReclaimPhase::from_raw(raw).map_or_else(|| unknown(raw), |p| p.name().to_string())
}

/// Who reclaimed: `kswapd`, `direct`, `kswapd+direct`, `none`; unknown bits as `unknown-0xN`.
pub fn reclaim_who_name(who: u8) -> String {
    let mut parts: Vec<String> = Vec::new();
    if who & RECLAIM_KSWAPD != 0 {
        parts.push("kswapd".into());
    }
    if who & RECLAIM_DIRECT != 0 {
        parts.push("direct".into());
    }
    let rest = who & !(RECLAIM_KSWAPD | RECLAIM_DIRECT);
    if rest != 0 {
        parts.push(format!("unknown-{rest:#x}"));
    }
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join("+")
    }
}

/// A time to exhaustion: [`Value::Unknown`] for [`TTE_UNKNOWN`], else milliseconds.
pub fn tte_value(tte_ms: u64) -> Value {
    if tte_ms == TTE_UNKNOWN {
        Value::Unknown
    } else {
        Value::U64(tte_ms)
    }
}

/// An OOM action's name: `observe`, `release`, `budget-spent`, `pool-empty`, `kill-pending`,
/// `pool-short`.
pub fn action_name(raw: u8) -> String {
    OomAction::from_raw(raw).map_or_else(|| unknown(raw), |a| a.name().to_string())
}

/// A pool operation's name: `release`, `refill`, `refill-failed`.
pub fn pool_op_name(raw: u8) -> String {
    match PoolOp::from_raw(raw) {
        Some(PoolOp::Release) => "release".into(),
        Some(PoolOp::Refill) => "refill".into(),
        Some(PoolOp::RefillFailed) => "refill-failed".into(),
        None => unknown(raw),
    }
}

/// A zone state's name: `above-high`, `below-high`, `below-low`, `below-min`.
pub fn zone_state_name(raw: u8) -> String {
    match ZoneState::from_raw(raw) {
        Some(ZoneState::AboveHigh) => "above-high".into(),
        Some(ZoneState::BelowHigh) => "below-high".into(),
        Some(ZoneState::BelowLow) => "below-low".into(),
        Some(ZoneState::BelowMin) => "below-min".into(),
        None => unknown(raw),
    }
}

/// A pressure source's name: `watermarks` for 1.
pub fn source_name(raw: u8) -> String {
    match raw {
        1 => "watermarks".into(),
        _ => unknown(raw),
    }
}

/// The text of a NUL-padded name field (lossy UTF-8).
pub fn name_text(field: &[u8]) -> String {
    String::from_utf8_lossy(abi::name_bytes(field)).into_owned()
}

/// The valid zones of a snapshot array (`nr_zones`, at most [`MAX_ZONES`]).
pub fn valid_zones(zones: &[ZoneSnapshot; MAX_ZONES], nr_zones: u32) -> &[ZoneSnapshot] {
    let n = usize::try_from(nr_zones).map_or(MAX_ZONES, |n| n.min(MAX_ZONES));
    zones.get(..n).unwrap_or(zones)
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
    /// Zone snapshots (a JSON array of objects; a compact string elsewhere).
    Zones(Vec<ZoneSnapshot>),
    /// Processes (a JSON array of objects; a compact string elsewhere).
    Procs(Vec<Proc>),
    /// Nested fields (a JSON object; flattened to `parent_child` names elsewhere).
    Object(Vec<Field>),
    /// A value that is not known (JSON `null`, `unknown` elsewhere).
    Unknown,
}

/// One named value of a record.
pub type Field = (&'static str, Value);

/// The structured fields of a record, in schema order. Every record starts with `seq`,
/// `time_ns`, `type` and `abi`; amounts of memory are in pages (`page_size` bytes) and rates in
/// pages per second unless the name says otherwise.
pub fn fields(rec: &Record, opts: &FormatOptions) -> Vec<Field> {
    use Value::{Bool, Str, Unknown, Zones, U64};
    let h = &rec.header;
    let mut f: Vec<Field> = vec![
        ("seq", U64(h.seq)),
        ("time_ns", U64(h.time_ns)),
        ("type", Str(kind(rec.rtype()).into())),
        ("abi", Str(format!("{}.{}", h.abi_major, h.abi_minor))),
    ];
    let truncated = rec.zones_truncated();
    match &rec.payload {
        Payload::Pressure(p) => f.extend(
            [
                ("level", Str(level_name(p.new_level))),
                ("old_level", Str(level_name(p.old_level))),
                ("source", Str(source_name(p.source))),
                ("free_pages", U64(p.free_pages)),
                ("available_pages", U64(p.available_pages)),
            ]
            .into_iter()
            .chain(if has_headroom_fields(rec) {
                [
                    ("headroom", Str(headroom_name(p.headroom))),
                    ("fall_rate", U64(p.fall_rate)),
                    ("tte_ms", tte_value(p.tte_ms)),
                ]
            } else {
                // An ABI 1.0 record: not known.
                [
                    ("headroom", Unknown),
                    ("fall_rate", Unknown),
                    ("tte_ms", Unknown),
                ]
            })
            .chain([
                ("page_size", U64(opts.page_size)),
                ("nr_zones", U64(u64::from(p.nr_zones))),
                ("zones_truncated", Bool(truncated)),
                ("zones", Zones(valid_zones(&p.zones, p.nr_zones).to_vec())),
            ]),
        ),
        Payload::Oom(o) => f.extend([
            ("level", Str(level_name(o.level))),
            ("action", Str(action_name(o.action))),
            ("calls", U64(u64::from(o.calls))),
            ("pid", U64(u64::from(o.pid))),
            ("comm", Str(name_text(&o.comm))),
            ("free_pages", U64(o.free_pages)),
            ("available_pages", U64(o.available_pages)),
            ("pool_before", U64(o.pool_before)),
            ("pool_after", U64(o.pool_after)),
            ("freed_reported", U64(o.freed_reported)),
            ("callback_ns", U64(o.callback_ns)),
            ("averts_left", U64(u64::from(o.averts_left))),
            ("page_size", U64(opts.page_size)),
            ("nr_zones", U64(u64::from(o.nr_zones))),
            ("zones_truncated", Bool(truncated)),
            ("zones", Zones(valid_zones(&o.zones, o.nr_zones).to_vec())),
        ]),
        Payload::Pool(p) => f.extend([
            ("op", Str(pool_op_name(p.op))),
            ("pages", U64(p.pages)),
            ("pool_pages", U64(p.pool_pages)),
            ("target_pages", U64(p.target_pages)),
            ("page_size", U64(opts.page_size)),
        ]),
        Payload::Kill(k) => f.extend([
            ("kills", U64(k.kills)),
            ("victim_pid", U64(u64::from(k.victim_pid))),
            ("victim_comm", Str(name_text(&k.victim_comm))),
            ("victim_rss_kib", U64(k.victim_rss_kib)),
        ]),
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
            ("fall_rate", U64(h.fall_rate)),
            ("tte_ms", tte_value(h.tte_ms)),
            ("page_size", U64(opts.page_size)),
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
            ("page_size", U64(opts.page_size)),
        ]),
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
            ("psi_some_avg10", "psi_some_total_us", psi.some),
            ("psi_full_avg10", "psi_full_total_us", psi.full),
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
    f.push(("top", Procs(s.top().to_vec())));
    f
}

/// The fields of a record with its `--enrich` snapshot, if any, as a last field `enrich`.
pub fn event_fields(rec: &Record, enrich: Option<&Snapshot>, opts: &FormatOptions) -> Vec<Field> {
    let mut f = fields(rec, opts);
    if let Some(s) = enrich {
        f.push(("enrich", Value::Object(enrich_fields(s))));
    }
    f
}

/// Fields with nested objects flattened: child `k` of `parent` becomes `parent_k`
/// (logfmt, journald).
pub fn flat_fields(fields: &[Field]) -> Vec<(String, &Value)> {
    let mut out = Vec::with_capacity(fields.len());
    for (k, v) in fields {
        match v {
            Value::Object(children) => {
                out.extend(children.iter().map(|(c, v)| (format!("{k}_{c}"), v)));
            }
            v => out.push(((*k).to_string(), v)),
        }
    }
    out
}

/// Processes as `PID:COMM:RSS_KIB:OOM_SCORE:OOM_SCORE_ADJ`, space-separated.
pub fn procs_compact(procs: &[Proc]) -> String {
    procs
        .iter()
        .map(|p| {
            format!(
                "{}:{}:{}:{}:{}",
                p.pid,
                p.comm_text(),
                p.rss_kib,
                p.oom_score,
                p.oom_score_adj
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A hundredths value as `N.NN`.
fn centi_text(n: u64) -> String {
    format!("{}.{:02}", n / 100, n % 100)
}

/// Zones as `NODE/NAME:STATE:FREE_PAGES`, space-separated (logfmt, journald, hooks).
pub fn zones_compact(zones: &[ZoneSnapshot]) -> String {
    zones
        .iter()
        .map(|z| {
            format!(
                "{}/{}:{}:{}",
                z.node,
                name_text(&z.name),
                zone_state_name(z.state),
                z.free
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
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

/// The environment-style name of a field: `OOM_GUARD_` and the upper-cased name; `type` is
/// `OOM_GUARD_EVENT`.
pub fn env_name(key: &str) -> String {
    if key == "type" {
        "OOM_GUARD_EVENT".into()
    } else {
        format!("OOM_GUARD_{}", key.to_ascii_uppercase())
    }
}

// ---- human text ---------------------------------------------------------------------------

/// A byte count as `N KiB` below 1 MiB, `N.N MiB` below 1 GiB, else `N.N GiB` (rounded down).
pub fn human_bytes(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * KIB;
    const GIB: u64 = 1024 * MIB;
    let tenths = |unit: u64| (bytes / unit, (bytes % unit) * 10 / unit);
    if bytes < MIB {
        format!("{} KiB", bytes / KIB)
    } else if bytes < GIB {
        let (w, t) = tenths(MIB);
        format!("{w}.{t} MiB")
    } else {
        let (w, t) = tenths(GIB);
        format!("{w}.{t} GiB")
    }
}

/// A page count in KiB/MiB/GiB.
fn pages(n: u64, opts: &FormatOptions) -> String {
    human_bytes(n.saturating_mul(opts.page_size))
}

/// A rate in bytes per second as `N KiB/s` below 1 MiB/s, else `N.N MiB/s` (rounded down).
pub fn human_rate(bytes_per_sec: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * KIB;
    if bytes_per_sec < MIB {
        format!("{} KiB/s", bytes_per_sec / KIB)
    } else {
        format!(
            "{}.{} MiB/s",
            bytes_per_sec / MIB,
            (bytes_per_sec % MIB) * 10 / MIB
        )
    }
}

/// A time to exhaustion as `N ms`, or `unknown` for [`TTE_UNKNOWN`].
pub fn human_tte(tte_ms: u64) -> String {
    if tte_ms == TTE_UNKNOWN {
        "unknown".into()
    } else {
        format!("{tte_ms} ms")
    }
}

/// `fall rate R, time to exhaustion T` for a fall rate in pages per second.
fn fall_text(fall_rate: u64, tte_ms: u64, opts: &FormatOptions) -> String {
    format!(
        "fall rate {}, time to exhaustion {}",
        human_rate(fall_rate.saturating_mul(opts.page_size)),
        human_tte(tte_ms)
    )
}

/// A duration as `N ns`, `N.N us` or `N.N ms`.
pub fn human_ns(ns: u64) -> String {
    if ns < 1000 {
        format!("{ns} ns")
    } else if ns < 1_000_000 {
        format!("{}.{} us", ns / 1000, ns % 1000 / 100)
    } else {
        format!("{}.{} ms", ns / 1_000_000, ns % 1_000_000 / 100_000)
    }
}

/// A `CLOCK_MONOTONIC` time the way `dmesg` prints it: `[   12.345678]`.
pub fn timestamp(time_ns: u64) -> String {
    format!(
        "[{:>5}.{:06}]",
        time_ns / 1_000_000_000,
        time_ns % 1_000_000_000 / 1000
    )
}

/// The worst zone of a snapshot (highest state, first on ties).
/// The zone that decides the level for a user page: the best one with managed pages (the
/// allocator serves from the first zone of its zonelist that passes; ABI 1.3). A DMA zone whose
/// lowmem reserve exceeds it is always "below min" and decides nothing.
fn deciding_zone(zones: &[ZoneSnapshot]) -> Option<&ZoneSnapshot> {
    zones
        .iter()
        .filter(|z| z.managed > 0)
        .min_by_key(|z| z.state)
        .or_else(|| zones.first())
}

/// `NAME (node N) STATE: free X, MARK Y` for the zone that decides the level.
fn deciding_zone_text(zones: &[ZoneSnapshot], opts: &FormatOptions) -> Option<String> {
    let z = deciding_zone(zones)?;
    let (mark, value) = match ZoneState::from_raw(z.state) {
        Some(ZoneState::BelowMin) => ("min", z.min),
        Some(ZoneState::BelowLow) => ("low", z.low),
        _ => ("high", z.high),
    };
    Some(format!(
        "best zone {} (node {}) {}: free {}, {mark} {}",
        name_text(&z.name),
        z.node,
        zone_state_name(z.state),
        pages(z.free, opts),
        pages(value, opts)
    ))
}

/// The human description of a record, without the timestamp (syslog, journald and kmsg add
/// their own): kind, level, then the numbers that matter.
pub fn message(rec: &Record, opts: &FormatOptions) -> String {
    let mut s = String::new();
    // Writing to a `String` cannot fail.
    let _ = match &rec.payload {
        Payload::Pressure(p) => {
            let _ = write!(
                s,
                "pressure {} (was {}): free {}, available {}",
                level_name(p.new_level),
                level_name(p.old_level),
                pages(p.free_pages, opts),
                pages(p.available_pages, opts)
            );
            if has_headroom_fields(rec) {
                let _ = write!(
                    s,
                    "; headroom {}, {}",
                    headroom_name(p.headroom),
                    fall_text(p.fall_rate, p.tte_ms, opts)
                );
            }
            match deciding_zone_text(valid_zones(&p.zones, p.nr_zones), opts) {
                Some(w) => write!(s, "; {w}"),
                None => Ok(()),
            }
        }
        Payload::Oom(o) => {
            let _ = write!(
                s,
                "oom {}: {}{}, pid {} ({}); reported {} freed, pool {} -> {}, {} averts left, \
                 callback {}; free {}, available {}",
                level_name(o.level),
                action_name(o.action),
                if o.calls > 1 {
                    format!(" ({} calls)", o.calls)
                } else {
                    String::new()
                },
                o.pid,
                name_text(&o.comm),
                pages(o.freed_reported, opts),
                pages(o.pool_before, opts),
                pages(o.pool_after, opts),
                o.averts_left,
                human_ns(o.callback_ns),
                pages(o.free_pages, opts),
                pages(o.available_pages, opts)
            );
            match deciding_zone_text(valid_zones(&o.zones, o.nr_zones), opts) {
                Some(w) => write!(s, "; {w}"),
                None => Ok(()),
            }
        }
        Payload::Pool(p) => write!(
            s,
            "pool {}: {}, pool now {} of {}",
            pool_op_name(p.op),
            pages(p.pages, opts),
            pages(p.pool_pages, opts),
            pages(p.target_pages, opts)
        ),
        Payload::Kill(k) => {
            let plural = if k.kills == 1 { "" } else { "s" };
            let _ = write!(s, "kill: {} OOM kill{plural} observed", k.kills);
            if k.victim_pid != 0 {
                let _ = write!(
                    s,
                    ", victim pid {} ({}), rss {}",
                    k.victim_pid,
                    name_text(&k.victim_comm),
                    human_bytes(k.victim_rss_kib.saturating_mul(1024))
                );
            }
            Ok(())
        }
        Payload::Lost(l) => {
            let last = l.first_seq.saturating_add(l.count.saturating_sub(1));
            write!(
                s,
                "lost: {} events missed (seq {} to {}), the reader fell behind",
                l.count, l.first_seq, last
            )
        }
        Payload::Headroom(h) => write!(
            s,
            "headroom {} (was {}): available {} of {} (thresholds low {}, medium {}, critical \
             {}); {}; free {}, floor {}; watermarks {} ({})",
            headroom_name(h.new_level),
            headroom_name(h.old_level),
            pages(h.available_pages, opts),
            pages(h.total_pages, opts),
            pages(h.low_pages, opts),
            pages(h.medium_pages, opts),
            pages(h.critical_pages, opts),
            fall_text(h.fall_rate, h.tte_ms, opts),
            pages(h.free_pages, opts),
            pages(h.floor_pages, opts),
            level_name(h.wm_level),
            zone_state_name(h.wm_state)
        ),
        Payload::Reclaim(r) => write!(
            s,
            "reclaim {} by {}: {} kswapd and {} direct calls in {} ms; free {}, available {}; \
             watermarks {}, headroom {}",
            reclaim_phase_name(r.phase),
            reclaim_who_name(r.who),
            r.kswapd_calls,
            r.direct_calls,
            r.duration_ms,
            pages(r.free_pages, opts),
            pages(r.available_pages, opts),
            level_name(r.wm_level),
            headroom_name(r.headroom)
        ),
    };
    if rec.zones_truncated() {
        s.push_str(" (more zones than shown)");
    }
    s
}

/// A snapshot in words, appended to the message of the event it belongs to:
/// `enrich: available …, free …, swap free …; psi some 1.23 full 0.50; top NAME[PID] RSS
/// score N adj N, …; N pids in N ms`.
pub fn enrich_text(s: &Snapshot) -> String {
    let mut out = String::from("enrich:");
    let kib =
        |v: Option<u64>| v.map_or_else(|| "?".into(), |k| human_bytes(k.saturating_mul(1024)));
    let m = &s.meminfo;
    let _ = write!(
        out,
        " available {}, free {}, swap free {}",
        kib(m.available_kib),
        kib(m.free_kib),
        kib(m.swap_free_kib)
    );
    if let Some(psi) = &s.psi {
        out.push_str("; psi");
        for (name, line) in [("some", psi.some), ("full", psi.full)] {
            if let Some(l) = line {
                let _ = write!(out, " {name} {}", centi_text(l.avg10_centi));
            }
        }
    }
    for (i, p) in s.top().iter().enumerate() {
        let _ = write!(
            out,
            "{}{}[{}] {} score {} adj {}",
            if i == 0 { "; top " } else { ", " },
            p.comm_text(),
            p.pid,
            human_bytes(p.rss_kib.saturating_mul(1024)),
            p.oom_score,
            p.oom_score_adj
        );
    }
    let _ = write!(
        out,
        "; {} pids in {}",
        s.scanned,
        human_ns(s.elapsed_us.saturating_mul(1000))
    );
    if let Some(t) = s.truncated {
        let _ = write!(out, " (stopped early: {})", t.name());
    }
    out
}

/// The message of an event, with its snapshot appended after `; ` if it has one.
pub fn event_message(rec: &Record, enrich: Option<&Snapshot>, opts: &FormatOptions) -> String {
    let mut m = message(rec, opts);
    if let Some(s) = enrich {
        m.push_str("; ");
        m.push_str(&enrich_text(s));
    }
    m
}

/// One human-readable line: `[timestamp] message`.
pub fn text(rec: &Record, opts: &FormatOptions) -> String {
    format!("{} {}", timestamp(rec.header.time_ns), message(rec, opts))
}

// ---- JSON ---------------------------------------------------------------------------------

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
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn json_proc(out: &mut String, p: &Proc) {
    let _ = write!(out, "{{\"pid\":{},\"comm\":", p.pid);
    json_string(out, &p.comm_text());
    let _ = write!(
        out,
        ",\"rss_kib\":{},\"oom_score\":{},\"oom_score_adj\":{}}}",
        p.rss_kib, p.oom_score, p.oom_score_adj
    );
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
    let _ = write!(
        out,
        "{{\"node\":{},\"zone_idx\":{},\"name\":",
        z.node, z.zone_idx
    );
    json_string(out, &name_text(&z.name));
    out.push_str(",\"state\":");
    json_string(out, &zone_state_name(z.state));
    let _ = write!(
        out,
        ",\"free\":{},\"min\":{},\"low\":{},\"high\":{},\"boost\":{},\"reserve\":{},\
         \"managed\":{}}}",
        z.free, z.min, z.low, z.high, z.boost, z.reserve, z.managed
    );
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

/// One JSON Lines object (without the newline).
pub fn json(rec: &Record, opts: &FormatOptions) -> String {
    json_object(&fields(rec, opts))
}

// ---- logfmt -------------------------------------------------------------------------------

/// Appends a logfmt value, quoted if it is empty or has spaces, quotes, `=` or controls.
fn logfmt_value(out: &mut String, s: &str) {
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

/// Fields as logfmt `key=value` pairs; zones and processes compact
/// (`NODE/NAME:STATE:FREE_PAGES ...`, `PID:COMM:RSS_KIB:OOM_SCORE:OOM_SCORE_ADJ ...`), nested
/// objects flattened (`enrich_mem_free_kib=...`).
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

/// One logfmt line (without the newline).
pub fn logfmt(rec: &Record, opts: &FormatOptions) -> String {
    logfmt_line(&fields(rec, opts))
}

/// One line in `format` (without the newline), with the event's `--enrich` snapshot if it has
/// one: appended to the text, an `enrich` object in JSON, `enrich_*` pairs in logfmt.
pub fn line(
    format: Format,
    rec: &Record,
    enrich: Option<&Snapshot>,
    opts: &FormatOptions,
) -> String {
    match format {
        Format::Text => format!(
            "{} {}",
            timestamp(rec.header.time_ns),
            event_message(rec, enrich, opts)
        ),
        Format::Json => json_object(&event_fields(rec, enrich, opts)),
        Format::Logfmt => logfmt_line(&event_fields(rec, enrich, opts)),
    }
}

/// The message body for logging sinks, which stamp their own time: the text message without
/// the timestamp, or the JSON/logfmt line.
pub fn body(
    format: Format,
    rec: &Record,
    enrich: Option<&Snapshot>,
    opts: &FormatOptions,
) -> String {
    match format {
        Format::Text => event_message(rec, enrich, opts),
        Format::Json | Format::Logfmt => line(format, rec, enrich, opts),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::tests::samples;
    use oom_guard_core::abi::{Kill, Pool, RecordHeader, FLAG_ZONES_TRUNCATED};

    const OPTS: FormatOptions = FormatOptions { page_size: 4096 };

    fn rec(seq: u64, payload: Payload) -> Record {
        Record {
            header: RecordHeader {
                size: payload.rtype().record_size() as u32,
                rtype: payload.rtype() as u16,
                abi_major: 1,
                abi_minor: oom_guard_core::abi::ABI_MINOR,
                flags: 0,
                reserved: 0,
                seq,
                time_ns: 12_345_678_901 + seq,
            },
            payload,
        }
    }

    fn all() -> Vec<Record> {
        samples()
            .into_iter()
            .enumerate()
            .map(|(i, p)| rec(40 + i as u64, p))
            .collect()
    }

    #[test]
    fn text_of_every_type() {
        let lines: Vec<String> = all().iter().map(|r| text(r, &OPTS)).collect();
        assert_eq!(
            lines,
            [
                "[   12.345678] pressure low (was ok): free 791.4 MiB, available 1.1 GiB; \
                 headroom low, fall rate 10.0 MiB/s, time to exhaustion 1500 ms; \
                 best zone DMA32 (node 0) above-high: free 781.2 MiB, high 5.8 MiB",
                "[   12.345678] oom min: release, pid 4242 (memhog); reported 1.0 MiB freed, \
                 pool 16.0 MiB -> 15.0 MiB, 7 averts left, callback 15.2 us; free 5.8 MiB, \
                 available 7.8 MiB; best zone DMA32 (node 0) above-high: free 781.2 MiB, \
                 high 5.8 MiB",
                "[   12.345678] pool release: 1.0 MiB, pool now 15.0 MiB of 16.0 MiB",
                "[   12.345678] kill: 1 OOM kill observed",
                "[   12.345678] lost: 17 events missed (seq 29 to 45), the reader fell behind",
                "[   12.345678] headroom medium (was low): available 585.9 MiB of 5.7 GiB \
                 (thresholds low 1.1 GiB, medium 585.9 MiB, critical 292.9 MiB); fall rate \
                 1.0 MiB/s, time to exhaustion 573906 ms; free 791.4 MiB, floor 12.0 MiB; \
                 watermarks low (below-low)",
                "[   12.345678] reclaim direct by kswapd+direct: 40 kswapd and 3 direct calls in \
                 120 ms; free 7.8 MiB, available 19.5 MiB; watermarks min, headroom critical",
            ]
        );
    }

    #[test]
    fn headroom_fields_in_every_format() {
        use oom_guard_core::abi::{Headroom, Reclaim, TTE_UNKNOWN};
        // Not falling: the time to exhaustion is unknown (JSON null).
        let mut p = samples()[0];
        if let Payload::Pressure(x) = &mut p {
            (x.headroom, x.fall_rate, x.tte_ms) = (0, 0, TTE_UNKNOWN);
        }
        let r = rec(1, p);
        assert!(
            message(&r, &OPTS)
                .contains("; headroom plenty, fall rate 0 KiB/s, time to exhaustion unknown; "),
            "{}",
            message(&r, &OPTS)
        );
        let v: serde_json::Value = serde_json::from_str(&json(&r, &OPTS)).unwrap();
        assert_eq!(v["headroom"], "plenty");
        assert_eq!(v["fall_rate"], 0);
        assert!(v["tte_ms"].is_null());
        assert!(logfmt(&r, &OPTS).contains(" headroom=plenty fall_rate=0 tte_ms=unknown "));
        let h = rec(
            2,
            Payload::Headroom(Headroom {
                new_level: 255,
                old_level: 100,
                fall_rate: 100,
                tte_ms: TTE_UNKNOWN,
                ..Headroom::default()
            }),
        );
        assert!(message(&h, &OPTS).starts_with("headroom critical (was medium): "));
        assert!(message(&h, &OPTS).contains("; fall rate 400 KiB/s, time to exhaustion unknown;"));
        let v: serde_json::Value = serde_json::from_str(&json(&h, &OPTS)).unwrap();
        assert!(v["tte_ms"].is_null());
        // A 1.0 record has no headroom fields: null, and nothing in the text.
        let mut old = rec(3, samples()[0]);
        old.header.size = RecordType::Pressure.min_record_size() as u32;
        old.header.abi_minor = 0;
        let m = message(&old, &OPTS);
        assert!(!m.contains("headroom"), "{m}");
        let v: serde_json::Value = serde_json::from_str(&json(&old, &OPTS)).unwrap();
        for k in ["headroom", "fall_rate", "tte_ms"] {
            assert!(v[k].is_null(), "{k}: {v}");
        }
        // Unknown values from a newer module are named.
        let r = rec(
            4,
            Payload::Reclaim(Reclaim {
                phase: 9,
                who: 0,
                headroom: 7,
                ..Reclaim::default()
            }),
        );
        assert!(
            message(&r, &OPTS).starts_with("reclaim unknown-9 by none: "),
            "{}",
            message(&r, &OPTS)
        );
        assert!(message(&r, &OPTS).ends_with("headroom unknown-7"));
        assert_eq!(reclaim_who_name(1), "kswapd");
        assert_eq!(reclaim_who_name(2), "direct");
        assert_eq!(reclaim_who_name(0x83), "kswapd+direct+unknown-0x80");
        assert_eq!(human_rate(0), "0 KiB/s");
        assert_eq!(human_rate(1024 * 1024 - 1), "1023 KiB/s");
        assert_eq!(human_rate(5 * 1024 * 1024 / 2), "2.5 MiB/s");
        assert_eq!(human_tte(0), "0 ms");
        assert_eq!(human_tte(TTE_UNKNOWN), "unknown");
        assert_eq!(value_text(&Value::Unknown), "unknown");
        assert_eq!(json_object(&[("x", Value::Unknown)]), "{\"x\":null}");
    }

    #[test]
    fn text_details() {
        // Page size matters.
        let r = rec(1, samples()[2]);
        assert!(text(&r, &FormatOptions { page_size: 65536 }).contains("16.0 MiB,"));
        // Known victims are shown.
        let r = rec(
            1,
            Payload::Kill(Kill {
                kills: 2,
                victim_pid: 77,
                reserved: 0,
                victim_comm: abi::fixed_name(b"hog"),
                victim_rss_kib: 2048,
            }),
        );
        assert!(
            message(&r, &OPTS).ends_with("2 OOM kills observed, victim pid 77 (hog), rss 2.0 MiB")
        );
        // Unknown enum values from a newer module are named, not dropped.
        let r = rec(
            1,
            Payload::Pool(Pool {
                op: 9,
                ..Pool::default()
            }),
        );
        assert!(message(&r, &OPTS).starts_with("pool unknown-9: 0 KiB"));
        // Truncated zone lists are flagged.
        let mut r = rec(1, samples()[0]);
        r.header.flags = FLAG_ZONES_TRUNCATED;
        assert!(message(&r, &OPTS).ends_with("(more zones than shown)"));
        assert_eq!(timestamp(0), "[    0.000000]");
        assert_eq!(timestamp(123_456_789_012_345), "[123456.789012]");
    }

    #[test]
    fn sizes_and_durations() {
        assert_eq!(human_bytes(0), "0 KiB");
        assert_eq!(human_bytes(4096), "4 KiB");
        assert_eq!(human_bytes(1024 * 1024 - 1), "1023 KiB");
        assert_eq!(human_bytes(1024 * 1024), "1.0 MiB");
        assert_eq!(human_bytes(1536 * 1024), "1.5 MiB");
        assert_eq!(human_bytes(3 << 30), "3.0 GiB");
        assert_eq!(human_bytes(u64::MAX), "17179869183.9 GiB");
        assert_eq!(human_ns(999), "999 ns");
        assert_eq!(human_ns(15_250), "15.2 us");
        assert_eq!(human_ns(2_500_000), "2.5 ms");
    }

    #[test]
    fn json_of_every_type_parses_and_has_the_common_fields() {
        for r in all() {
            let line = json(&r, &OPTS);
            assert!(!line.contains('\n'));
            let v: serde_json::Value = serde_json::from_str(&line).unwrap();
            assert_eq!(v["seq"], r.header.seq);
            assert_eq!(v["time_ns"], r.header.time_ns);
            assert_eq!(v["type"], kind(r.rtype()));
            assert_eq!(v["abi"], "1.3");
        }
    }

    #[test]
    fn json_schema_per_type() {
        let r = all();
        let v =
            |i: usize| -> serde_json::Value { serde_json::from_str(&json(&r[i], &OPTS)).unwrap() };
        // The keys in schema order, checked against what the JSON object really holds.
        let keys = |v: &serde_json::Value| -> Vec<String> {
            let rec = r.iter().find(|x| x.header.seq == v["seq"]).unwrap();
            let ordered: Vec<String> = fields(rec, &OPTS)
                .iter()
                .map(|(k, _)| k.to_string())
                .collect();
            let mut sorted = ordered.clone();
            sorted.sort();
            let held: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
            assert_eq!(held, sorted);
            ordered
        };
        let common = ["seq", "time_ns", "type", "abi"];
        let with = |rest: &[&str]| -> Vec<String> {
            common.iter().chain(rest).map(|s| s.to_string()).collect()
        };
        let p = v(0);
        assert_eq!(
            keys(&p),
            with(&[
                "level",
                "old_level",
                "source",
                "free_pages",
                "available_pages",
                "headroom",
                "fall_rate",
                "tte_ms",
                "page_size",
                "nr_zones",
                "zones_truncated",
                "zones"
            ])
        );
        assert_eq!(p["level"], "low");
        assert_eq!(p["headroom"], "low");
        assert_eq!(p["fall_rate"], 2560);
        assert_eq!(p["tte_ms"], 1500);
        assert_eq!(p["old_level"], "ok");
        assert_eq!(p["source"], "watermarks");
        assert_eq!(p["free_pages"], 202_600);
        assert_eq!(p["page_size"], 4096);
        assert_eq!(p["zones_truncated"], false);
        let zones = p["zones"].as_array().unwrap();
        assert_eq!(zones.len(), 2, "only nr_zones entries");
        assert_eq!(
            zones[1],
            serde_json::json!({"node":0,"zone_idx":2,"name":"Normal","state":"below-low",
                "free":2600,"min":2048,"low":2560,"high":3072,"boost":12,"reserve":30,
                "managed":1_000_000})
        );
        let o = v(1);
        assert_eq!(
            keys(&o),
            with(&[
                "level",
                "action",
                "calls",
                "pid",
                "comm",
                "free_pages",
                "available_pages",
                "pool_before",
                "pool_after",
                "freed_reported",
                "callback_ns",
                "averts_left",
                "page_size",
                "nr_zones",
                "zones_truncated",
                "zones"
            ])
        );
        assert_eq!(
            (&o["level"], &o["action"], &o["pid"], &o["comm"]),
            (
                &serde_json::json!("min"),
                &serde_json::json!("release"),
                &serde_json::json!(4242),
                &serde_json::json!("memhog")
            )
        );
        let pool = v(2);
        assert_eq!(
            keys(&pool),
            with(&["op", "pages", "pool_pages", "target_pages", "page_size"])
        );
        assert_eq!(pool["op"], "release");
        let k = v(3);
        assert_eq!(
            keys(&k),
            with(&["kills", "victim_pid", "victim_comm", "victim_rss_kib"])
        );
        assert_eq!(k["victim_comm"], "");
        let l = v(4);
        assert_eq!(keys(&l), with(&["count", "first_seq"]));
        assert_eq!(
            (l["count"].as_u64(), l["first_seq"].as_u64()),
            (Some(17), Some(29))
        );
        let h = v(5);
        assert_eq!(
            keys(&h),
            with(&[
                "headroom",
                "old_headroom",
                "level",
                "wm_state",
                "free_pages",
                "available_pages",
                "total_pages",
                "low_pages",
                "medium_pages",
                "critical_pages",
                "floor_pages",
                "fall_rate",
                "tte_ms",
                "page_size"
            ])
        );
        assert_eq!(
            (
                &h["headroom"],
                &h["old_headroom"],
                &h["level"],
                &h["wm_state"]
            ),
            (
                &serde_json::json!("medium"),
                &serde_json::json!("low"),
                &serde_json::json!("low"),
                &serde_json::json!("below-low")
            )
        );
        assert_eq!(h["tte_ms"], 573_906);
        let r = v(6);
        assert_eq!(
            keys(&r),
            with(&[
                "phase",
                "who",
                "level",
                "headroom",
                "kswapd_calls",
                "direct_calls",
                "duration_ms",
                "free_pages",
                "available_pages",
                "page_size"
            ])
        );
        assert_eq!(
            (&r["phase"], &r["who"], &r["level"], &r["headroom"]),
            (
                &serde_json::json!("direct"),
                &serde_json::json!("kswapd+direct"),
                &serde_json::json!("min"),
                &serde_json::json!("critical")
            )
        );
    }

    #[test]
    fn json_escapes_names() {
        let mut o = samples()[1];
        if let Payload::Oom(x) = &mut o {
            x.comm = abi::fixed_name(b"a\"b\\c\n\x01\xff");
        }
        let line = json(&rec(1, o), &OPTS);
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["comm"], "a\"b\\c\n\u{1}\u{fffd}");
    }

    #[test]
    fn logfmt_of_every_type() {
        let lines: Vec<String> = all().iter().map(|r| logfmt(r, &OPTS)).collect();
        assert_eq!(
            lines,
            [
                "seq=40 time_ns=12345678941 type=pressure abi=1.3 level=low old_level=ok \
                 source=watermarks free_pages=202600 available_pages=300000 headroom=low \
                 fall_rate=2560 tte_ms=1500 page_size=4096 nr_zones=2 zones_truncated=false \
                 zones=\"0/DMA32:above-high:200000 0/Normal:below-low:2600\"",
                "seq=41 time_ns=12345678942 type=oom abi=1.3 level=min action=release calls=1 pid=4242 \
                 comm=memhog free_pages=1500 available_pages=2000 pool_before=4096 \
                 pool_after=3840 freed_reported=256 callback_ns=15200 averts_left=7 \
                 page_size=4096 nr_zones=2 zones_truncated=false \
                 zones=\"0/DMA32:above-high:200000 0/Normal:below-low:2600\"",
                "seq=42 time_ns=12345678943 type=pool abi=1.3 op=release pages=256 \
                 pool_pages=3840 target_pages=4096 page_size=4096",
                "seq=43 time_ns=12345678944 type=kill abi=1.3 kills=1 victim_pid=0 \
                 victim_comm=\"\" victim_rss_kib=0",
                "seq=44 time_ns=12345678945 type=lost abi=1.3 count=17 first_seq=29",
                "seq=45 time_ns=12345678946 type=headroom abi=1.3 headroom=medium \
                 old_headroom=low level=low wm_state=below-low free_pages=202600 \
                 available_pages=150000 total_pages=1500000 low_pages=300000 \
                 medium_pages=150001 critical_pages=75000 floor_pages=3078 fall_rate=256 \
                 tte_ms=573906 page_size=4096",
                "seq=46 time_ns=12345678947 type=reclaim abi=1.3 phase=direct who=kswapd+direct \
                 level=min headroom=critical kswapd_calls=40 direct_calls=3 duration_ms=120 \
                 free_pages=2000 available_pages=5000 page_size=4096",
            ]
        );
        let mut s = String::new();
        logfmt_value(&mut s, "a b=\"c\"\n");
        assert_eq!(s, "\"a b=\\\"c\\\"\\n\"");
    }

    #[test]
    fn line_and_body_pick_the_format() {
        let r = all();
        for x in &r {
            assert_eq!(line(Format::Text, x, None, &OPTS), text(x, &OPTS));
            assert_eq!(line(Format::Json, x, None, &OPTS), json(x, &OPTS));
            assert_eq!(line(Format::Logfmt, x, None, &OPTS), logfmt(x, &OPTS));
            assert_eq!(body(Format::Text, x, None, &OPTS), message(x, &OPTS));
            assert_eq!(body(Format::Json, x, None, &OPTS), json(x, &OPTS));
        }
    }

    #[test]
    fn enrich_in_every_format() {
        let snap = crate::enrich::tests::sample();
        let oom = &all()[1];
        let text = line(Format::Text, oom, Some(&snap), &OPTS);
        assert!(text.starts_with(&super::text(oom, &OPTS)), "{text}");
        assert!(
            text.ends_with(
                "; enrich: available 19.5 MiB, free 11.7 MiB, swap free ?; psi some 12.34; \
                 top memhog[42] 200.0 MiB score 900 adj 0, oom-guard[99] 1.1 MiB score 0 \
                 adj -1000; 60 pids in 1.5 ms (stopped early: time)"
            ),
            "{text}"
        );
        assert_eq!(
            body(Format::Text, oom, Some(&snap), &OPTS),
            event_message(oom, Some(&snap), &OPTS)
        );
        let v: serde_json::Value =
            serde_json::from_str(&line(Format::Json, oom, Some(&snap), &OPTS)).unwrap();
        assert_eq!(v["comm"], "memhog", "the record's fields stay");
        assert_eq!(
            v["enrich"],
            serde_json::json!({"time_ns":12_345_700_000_u64,"elapsed_us":1500,
                "mem_available_kib":20000,"mem_free_kib":12000,"psi_some_avg10":12.34,
                "psi_some_total_us":5678,"scanned":60,"skipped":1,"truncated":true,
                "truncated_by":"time","top":[
                    {"pid":42,"comm":"memhog","rss_kib":204_800,"oom_score":900,"oom_score_adj":0},
                    {"pid":99,"comm":"oom-guard","rss_kib":1200,"oom_score":0,
                     "oom_score_adj":-1000}]})
        );
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert!(keys.contains(&"enrich"));
        let lf = line(Format::Logfmt, oom, Some(&snap), &OPTS);
        assert!(lf.starts_with(&logfmt(oom, &OPTS)), "{lf}");
        assert!(
            lf.ends_with(
                " enrich_time_ns=12345700000 enrich_elapsed_us=1500 \
                 enrich_mem_available_kib=20000 enrich_mem_free_kib=12000 \
                 enrich_psi_some_avg10=12.34 enrich_psi_some_total_us=5678 enrich_scanned=60 \
                 enrich_skipped=1 enrich_truncated=true enrich_truncated_by=time \
                 enrich_top=\"42:memhog:204800:900:0 99:oom-guard:1200:0:-1000\""
            ),
            "{lf}"
        );
        // Without a snapshot nothing changes.
        assert_eq!(line(Format::Json, oom, None, &OPTS), json(oom, &OPTS));
        assert_eq!(centi_text(5), "0.05");
        assert_eq!(value_text(&Value::I64(-3)), "-3");
    }

    #[test]
    fn priorities() {
        let p: Vec<u8> = all().iter().map(|r| priority(r).0).collect();
        assert_eq!(p, [4, 2, 5, 2, 4, 4, 4]);
        let pressure = |new| {
            let mut p = samples()[0];
            if let Payload::Pressure(x) = &mut p {
                x.new_level = new;
            }
            priority(&rec(0, p))
        };
        assert_eq!(pressure(0), Priority::INFO);
        assert_eq!(pressure(1), Priority::WARNING);
        assert_eq!(pressure(2), Priority::ERR);
        let pool = |op| {
            priority(&rec(
                0,
                Payload::Pool(Pool {
                    op,
                    ..Pool::default()
                }),
            ))
        };
        assert_eq!(pool(1), Priority::NOTICE);
        assert_eq!(pool(2), Priority::INFO);
        assert_eq!(pool(3), Priority::WARNING);
        let headroom = |new_level| {
            priority(&rec(
                0,
                Payload::Headroom(oom_guard_core::abi::Headroom {
                    new_level,
                    ..Default::default()
                }),
            ))
        };
        assert_eq!(headroom(0), Priority::INFO);
        assert_eq!(headroom(50), Priority::NOTICE);
        assert_eq!(headroom(100), Priority::WARNING);
        assert_eq!(headroom(255), Priority::ERR);
        assert_eq!(headroom(7), Priority::WARNING);
        let reclaim = |phase| {
            priority(&rec(
                0,
                Payload::Reclaim(oom_guard_core::abi::Reclaim {
                    phase,
                    ..Default::default()
                }),
            ))
        };
        assert_eq!(reclaim(1), Priority::NOTICE);
        assert_eq!(reclaim(2), Priority::WARNING);
        assert_eq!(reclaim(3), Priority::INFO);
        assert_eq!(reclaim(9), Priority::NOTICE);
    }

    #[test]
    fn env_names() {
        assert_eq!(env_name("type"), "OOM_GUARD_EVENT");
        assert_eq!(env_name("free_pages"), "OOM_GUARD_FREE_PAGES");
    }
}
