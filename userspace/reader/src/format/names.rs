//! The names of the raw values in records: kinds, levels, phases, actions, zone states, the
//! kind of OOM a kill came from, the journald `MESSAGE_ID` of each kind and the process a record
//! names. A value this reader does not know is named `unknown-N`, not dropped.

use super::name_text;
use crate::decode::Record;
use oom_guard_core::abi::{
    HeadroomLevel, Kill, Level, OomAction, Payload, PoolOp, ReclaimPhase, RecordType, ZoneSnapshot,
    ZoneState, KILL_GLOBAL, KILL_MEMCG, KILL_VICTIM, MAX_ZONES, RECLAIM_DIRECT, RECLAIM_KSWAPD,
};

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

/// The journald `MESSAGE_ID` of a record kind: a fixed 128-bit id per kind, in lower-case hex
/// without dashes, as `contrib/oom-guard.catalog` documents them.
pub fn message_id(rtype: RecordType) -> &'static str {
    match rtype {
        RecordType::Pressure => "3ef966a091264721b78997f2f5efeac5",
        RecordType::Oom => "4465353d19e84e568f094f6cb54c937c",
        RecordType::Pool => "02a6ac69219046c590117a675403152a",
        RecordType::Kill => "cd7f145d84f4423db829205692a5e157",
        RecordType::Lost => "33e9ee0ccef4484e819dc877a6e2ef3f",
        RecordType::Headroom => "68de96e8e3a64e24815b02e771d56880",
        RecordType::Reclaim => "fdfe0cb71f9b4e96858ff830a78d23cb",
    }
}

/// The process a record names, for journald's `OBJECT_PID`: the task that hit an OOM, the
/// victim of a kill (its process id, else its thread id); `None` when the pid is 0 (unknown),
/// the kill record has no victim (count only) or the record names none.
pub fn object_pid(rec: &Record) -> Option<u32> {
    let pid = match &rec.payload {
        Payload::Oom(o) => o.pid,
        Payload::Kill(k) if k.flags & KILL_VICTIM != 0 => victim_pid(k),
        _ => 0,
    };
    (pid != 0).then_some(pid)
}

/// The journald `OBJECT_*` fields of a record that names a process ([`object_pid`]):
/// `OBJECT_PID`, `OBJECT_COMM` (escaped) when the name is known, and for a kill's victim
/// `OBJECT_UID`. journald looks these up itself only while the process lives, and a victim
/// is gone by the time the record is read, so the reader writes them from the record.
pub fn object_fields(rec: &Record) -> Vec<(&'static str, String)> {
    let Some(pid) = object_pid(rec) else {
        return Vec::new();
    };
    let mut out = vec![("OBJECT_PID", pid.to_string())];
    let comm = match &rec.payload {
        Payload::Oom(o) => &o.comm[..],
        Payload::Kill(k) => &k.victim_comm[..],
        _ => &[][..],
    };
    let comm = name_text(comm);
    if !comm.is_empty() {
        out.push(("OBJECT_COMM", comm));
    }
    if let Payload::Kill(k) = &rec.payload {
        out.push(("OBJECT_UID", k.victim_uid.to_string()));
    }
    out
}

/// The pid a kill's victim is known by: its process id, else its thread id (0 if neither is
/// known).
pub fn victim_pid(k: &Kill) -> u32 {
    if k.victim_tgid != 0 {
        k.victim_tgid
    } else {
        k.victim_pid
    }
}

/// The kind of OOM that chose a kill's victim, from the record's flags: `global` (the OOM
/// notifier ran for it), `memcg` (a cgroup's `memory.max`), `unknown` (neither flag, or both).
pub fn oom_kind_name(flags: u16) -> &'static str {
    match (flags & KILL_GLOBAL != 0, flags & KILL_MEMCG != 0) {
        (true, false) => "global",
        (false, true) => "memcg",
        _ => "unknown",
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

/// The valid zones of a snapshot array (`nr_zones`, at most [`MAX_ZONES`]).
pub fn valid_zones(zones: &[ZoneSnapshot; MAX_ZONES], nr_zones: u32) -> &[ZoneSnapshot] {
    let n = usize::try_from(nr_zones).map_or(MAX_ZONES, |n| n.min(MAX_ZONES));
    zones.get(..n).unwrap_or(zones)
}
