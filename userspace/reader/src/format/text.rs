//! Human text: one line per record with a `dmesg`-style timestamp, sizes in KiB/MiB/GiB,
//! rates and durations in units, and the `--enrich` snapshot in words.

use super::escape::{text_name, text_word};
use super::fields::{centi_text, Extra, FormatOptions};
use super::names::{
    action_name, headroom_name, level_name, pool_op_name, reclaim_phase_name, reclaim_who_name,
    valid_zones, zone_state_name,
};
use super::names::{oom_kind_name, victim_pid};
use crate::decode::Record;
use crate::enrich::Snapshot;
use oom_guard_core::abi::{
    Kill, Oom, Payload, ZoneSnapshot, ZoneState, KILL_EXITING, KILL_GROUP, KILL_VICTIM, TTE_UNKNOWN,
};
use std::fmt::Write as _;

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

/// What an `OOM` record's callback spent freeing pool blocks, after its duration:
/// ` (freeing 4 blocks: 1.9 us)`; empty if it freed none or the record lacks the fields (ABI
/// 2.0).
fn free_text(size: u32, o: &Oom) -> String {
    if !Oom::has_free_fields(size) || o.blocks_freed == 0 {
        return String::new();
    }
    let s = if o.blocks_freed == 1 { "" } else { "s" };
    format!(
        " (freeing {} block{s}: {})",
        o.blocks_freed,
        human_ns(o.free_ns)
    )
}

/// How many notifier calls an `OOM` record stands for, after its action: ` (37 calls over 412.0
/// ms)` for coalesced calls, from the first to the last (` (37 calls)` in a record that lacks
/// `span_us`, ABI 2.0); empty for one call.
fn calls_text(size: u32, o: &Oom) -> String {
    if o.calls <= 1 && o.span_us == 0 {
        String::new()
    } else if Oom::has_free_fields(size) {
        let s = if o.calls == 1 { "" } else { "s" };
        format!(
            " ({} call{s} over {})",
            o.calls,
            human_ns(u64::from(o.span_us).saturating_mul(1_000))
        )
    } else {
        format!(" ({} calls)", o.calls)
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

/// The zone that decides the level for a user page: the best one with managed pages (the
/// allocator serves from the first zone of its zonelist that passes). A DMA zone whose
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
        text_name(&z.name),
        z.node,
        zone_state_name(z.state),
        pages(z.free, opts),
        pages(value, opts)
    ))
}

/// The human description of a record, without the timestamp (syslog, journald and kmsg add
/// their own): kind, level, then the numbers that matter.
pub fn message(rec: &Record, opts: &FormatOptions) -> String {
    record_message(rec, None, opts)
}

/// [`message`], with a `KILL` victim's cgroup path if it is known.
fn record_message(rec: &Record, cgroup: Option<&str>, opts: &FormatOptions) -> String {
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
            let _ = write!(
                s,
                "; headroom {}, {}",
                headroom_name(p.headroom),
                fall_text(p.fall_rate, p.tte_ms, opts)
            );
            match deciding_zone_text(valid_zones(&p.zones, p.nr_zones), opts) {
                Some(w) => write!(s, "; {w}"),
                None => Ok(()),
            }
        }
        Payload::Oom(o) => {
            let _ = write!(
                s,
                "oom {}: {}{}, pid {} ({}); reported {} freed, pool {} -> {}, {} averts left, \
                 callback {}{}; free {}, available {}",
                level_name(o.level),
                action_name(o.action),
                calls_text(rec.header.size, o),
                o.pid,
                text_name(&o.comm),
                pages(o.freed_reported, opts),
                pages(o.pool_before, opts),
                pages(o.pool_after, opts),
                o.averts_left,
                human_ns(o.callback_ns),
                free_text(rec.header.size, o),
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
            s.push_str(&kill_text(k, cgroup));
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

/// A `KILL` record in words: `killed pid 1234 (memhog), uid 0, rss 212.0 MiB, oom_score_adj 0,
/// global OOM` (`, cgroup /PATH` after it when the victim's cgroup is known and not the root),
/// `memcg /PATH` for a cgroup's OOM whose path is known (`memcg OOM, cgroup ID` when only the
/// id is), `kill not needed: pid … already exiting, …` for a victim marked without a kill,
/// `, oom group` for a further victim of a `memory.oom.group`; a count-only record (no victim
/// probe): `kill: N OOM kills observed`. Every one starts with `kill`.
fn kill_text(k: &Kill, cgroup: Option<&str>) -> String {
    if k.flags & KILL_VICTIM == 0 {
        let plural = if k.kills == 1 { "" } else { "s" };
        return format!("kill: {} OOM kill{plural} observed", k.kills);
    }
    let pid = victim_pid(k);
    let (verb, after) = if k.flags & KILL_EXITING == 0 {
        ("killed", "")
    } else {
        ("kill not needed:", " already exiting")
    };
    let mut s = format!(
        "{verb} pid {pid} ({}){after}, uid {}, rss {}, oom_score_adj {}, ",
        text_name(&k.victim_comm),
        k.victim_uid,
        human_bytes(k.victim_rss_kib.saturating_mul(1024)),
        k.oom_score_adj
    );
    match (oom_kind_name(k.flags), cgroup) {
        ("global", Some(path)) if path != "/" => {
            let _ = write!(s, "global OOM, cgroup {}", text_word(path));
        }
        ("global", _) => s.push_str("global OOM"),
        ("memcg", Some(path)) => {
            let _ = write!(s, "memcg {}", text_word(path));
        }
        ("memcg", None) if k.cgroup_id != 0 => {
            let _ = write!(s, "memcg OOM, cgroup {}", k.cgroup_id);
        }
        ("memcg", None) => s.push_str("memcg OOM"),
        _ => s.push_str("OOM of unknown kind"),
    }
    if k.flags & KILL_GROUP != 0 {
        s.push_str(", oom group");
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
            "{}{}[{}] {} score {} adj {}{}",
            if i == 0 { "; top " } else { ", " },
            text_name(&p.comm),
            p.pid,
            human_bytes(p.rss_kib.saturating_mul(1024)),
            p.oom_score,
            p.oom_score_adj,
            if p.victim { " (victim)" } else { "" }
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

/// The message of an event, with a `KILL` victim's cgroup path if it is known, and its snapshot
/// appended after `; ` if it has one.
pub fn event_message(rec: &Record, extra: Extra<'_>, opts: &FormatOptions) -> String {
    let mut m = record_message(rec, extra.cgroup, opts);
    if let Some(s) = extra.enrich {
        m.push_str("; ");
        m.push_str(&enrich_text(s));
    }
    m
}

/// One human-readable line: `[timestamp] message`.
pub fn text(rec: &Record, opts: &FormatOptions) -> String {
    format!("{} {}", timestamp(rec.header.time_ns), message(rec, opts))
}
