use super::fields::centi_text;
use super::logfmt::logfmt_value;
use super::*;
use crate::decode::tests::samples;
use oom_guard_core::abi::{self, Kill, Payload, Pool, RecordType, FLAG_ZONES_TRUNCATED};

const OPTS: FormatOptions = FormatOptions { page_size: 4096 };

fn rec(seq: u64, payload: Payload) -> Record {
    Record::new(seq, 12_345_678_901 + seq, payload)
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
             pool 16.0 MiB -> 15.0 MiB, 7 averts left, callback 15.2 us (freeing 4 blocks: \
             9.1 us); free 5.8 MiB, available 7.8 MiB; best zone DMA32 (node 0) above-high: free 781.2 MiB, \
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
    assert_eq!(v["fall_rate_pages_per_s"], 0);
    assert!(v["tte_ms"].is_null());
    // The flat formats leave an unknown value out: a numeric field never holds a word.
    let l = logfmt(&r, &OPTS);
    assert!(
        l.contains(" headroom=plenty fall_rate_pages_per_s=0 page_size_bytes=4096 "),
        "{l}"
    );
    assert!(!l.contains("tte_ms") && !l.contains("unknown"), "{l}");
    let journal = String::from_utf8_lossy(&crate::sink::journal_message(
        &r,
        Extra::NONE,
        Format::Text,
        &OPTS,
    ))
    .into_owned();
    assert!(
        journal.contains("OOM_GUARD_FALL_RATE_PAGES_PER_S=0\n"),
        "{journal}"
    );
    assert!(!journal.contains("OOM_GUARD_TTE_MS"), "{journal}");
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
    // A count-only kill record: how many.
    let r = rec(
        1,
        Payload::Kill(Kill {
            kills: 2,
            ..Kill::default()
        }),
    );
    assert_eq!(message(&r, &OPTS), "kill: 2 OOM kills observed");
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
fn victims_in_every_format() {
    use oom_guard_core::abi::{
        OomAction, KILL_EXITING, KILL_GLOBAL, KILL_GROUP, KILL_MEMCG, KILL_VICTIM,
    };
    let fields_of = |k: Kill| -> Vec<String> {
        fields(&rec(1, Payload::Kill(k)), &OPTS)
            .into_iter()
            .skip(4)
            .map(|(k, _)| k.to_string())
            .collect()
    };
    // uid, oom_score_adj and cgroup 0: a global OOM's root task.
    let victim = Kill {
        kills: 1,
        victim_pid: 1235,
        victim_tgid: 1234,
        flags: KILL_VICTIM | KILL_GLOBAL,
        victim_comm: abi::fixed_name(b"memhog"),
        victim_rss_kib: 212 * 1024,
        anon_kib: 210 * 1024,
        file_kib: 1536,
        shmem_kib: 512,
        pgtables_kib: 440,
        select_ns: 12_345,
        notifier_action: OomAction::BudgetSpent as u8,
        ..Kill::default()
    };
    // A global OOM's victim: the notifier's action and the selection time too.
    let r = rec(1, Payload::Kill(victim));
    assert_eq!(
        message(&r, &OPTS),
        "killed pid 1234 (memhog), uid 0, rss 212.0 MiB, oom_score_adj 0, global OOM"
    );
    assert_eq!(object_pid(&r), Some(1234));
    assert_eq!(
        fields_of(victim),
        [
            "kills",
            "victim_pid",
            "victim_tgid",
            "victim_uid",
            "victim_comm",
            "oom_score_adj",
            "victim_rss_kib",
            "victim_anon_kib",
            "victim_file_kib",
            "victim_shmem_kib",
            "victim_pgtables_kib",
            "cgroup_id",
            "oom",
            "killed",
            "group",
            "notifier_action",
            "select_ns",
        ]
    );
    let v: serde_json::Value = serde_json::from_str(&json(&r, &OPTS)).unwrap();
    assert_eq!(
        (&v["victim_pid"], &v["victim_tgid"], &v["victim_comm"]),
        (
            &serde_json::json!(1235),
            &serde_json::json!(1234),
            &serde_json::json!("memhog")
        )
    );
    assert_eq!(
        (
            &v["victim_anon_kib"],
            &v["victim_file_kib"],
            &v["victim_shmem_kib"]
        ),
        (
            &serde_json::json!(215_040),
            &serde_json::json!(1536),
            &serde_json::json!(512)
        )
    );
    assert_eq!(
        (&v["oom"], &v["killed"], &v["group"], &v["notifier_action"]),
        (
            &serde_json::json!("global"),
            &serde_json::json!(true),
            &serde_json::json!(false),
            &serde_json::json!("budget-spent")
        )
    );
    assert_eq!(v["select_ns"], 12_345);
    let l = logfmt(&r, &OPTS);
    assert!(
        l.ends_with(
            " cgroup_id=0 oom=global killed=true group=false notifier_action=budget-spent \
             select_ns=12345"
        ),
        "{l}"
    );
    // A memcg OOM's further victim, already exiting: no notifier fields.
    let memcg = Kill {
        kills: 0,
        victim_uid: 1000,
        oom_score_adj: -500,
        flags: KILL_VICTIM | KILL_MEMCG | KILL_EXITING | KILL_GROUP,
        cgroup_id: 4242,
        select_ns: 0,
        ..victim
    };
    let r = rec(2, Payload::Kill(memcg));
    assert_eq!(
        message(&r, &OPTS),
        "kill not needed: pid 1234 (memhog) already exiting, uid 1000, rss 212.0 MiB, \
         oom_score_adj -500, memcg OOM, cgroup 4242, oom group"
    );
    assert_eq!(fields_of(memcg).last().map(String::as_str), Some("group"));
    let v: serde_json::Value = serde_json::from_str(&json(&r, &OPTS)).unwrap();
    assert_eq!(
        (&v["oom"], &v["killed"], &v["group"], &v["oom_score_adj"]),
        (
            &serde_json::json!("memcg"),
            &serde_json::json!(false),
            &serde_json::json!(true),
            &serde_json::json!(-500)
        )
    );
    assert_eq!(v["cgroup_id"], 4242);
    assert!(v.get("notifier_action").is_none() && v.get("select_ns").is_none());
    // Neither flag (or both): the kind is not known.
    for flags in [KILL_VICTIM, KILL_VICTIM | KILL_GLOBAL | KILL_MEMCG] {
        let r = rec(3, Payload::Kill(Kill { flags, ..victim }));
        assert!(message(&r, &OPTS).ends_with(", OOM of unknown kind"));
        let v: serde_json::Value = serde_json::from_str(&json(&r, &OPTS)).unwrap();
        assert_eq!(v["oom"], "unknown");
        assert!(v.get("notifier_action").is_none());
    }
    // A count-only record keeps its four fields and names no process.
    let count = Kill {
        kills: 3,
        victim_pid: 9,
        ..Kill::default()
    };
    assert_eq!(
        fields_of(count),
        ["kills", "victim_pid", "victim_comm", "victim_rss_kib"]
    );
    assert_eq!(object_pid(&rec(4, Payload::Kill(count))), None);
    // Without a process id, the thread id.
    let r = rec(
        5,
        Payload::Kill(Kill {
            victim_tgid: 0,
            ..victim
        }),
    );
    assert_eq!(object_pid(&r), Some(1235));
    assert!(message(&r, &OPTS).starts_with("killed pid 1235 (memhog), "));
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
        assert_eq!(v["abi"], "2.1");
    }
}

#[test]
fn json_schema_per_type() {
    let r = all();
    let v = |i: usize| -> serde_json::Value { serde_json::from_str(&json(&r[i], &OPTS)).unwrap() };
    // The keys in schema order, checked against what the JSON object really holds.
    let keys = |v: &serde_json::Value| -> Vec<String> {
        let rec = r.iter().find(|x| x.header.seq == v["seq"]).unwrap();
        let ordered: Vec<String> = event_fields(rec, Extra::NONE, &OPTS)
            .iter()
            .map(|(k, _)| k.to_string())
            .collect();
        let mut sorted = ordered.clone();
        sorted.sort();
        let held: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        assert_eq!(held, sorted);
        ordered
    };
    let common = ["seq", "time_ns", "timestamp", "type", "abi"];
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
            "fall_rate_pages_per_s",
            "tte_ms",
            "page_size_bytes",
            "nr_zones",
            "zones_truncated",
            "zones"
        ])
    );
    assert_eq!(p["level"], "low");
    assert_eq!(p["headroom"], "low");
    assert_eq!(p["fall_rate_pages_per_s"], 2560);
    assert_eq!(p["tte_ms"], 1500);
    assert_eq!(p["old_level"], "ok");
    assert_eq!(p["source"], "watermarks");
    assert_eq!(p["free_pages"], 202_600);
    assert_eq!(p["page_size_bytes"], 4096);
    assert_eq!(p["zones_truncated"], false);
    let zones = p["zones"].as_array().unwrap();
    assert_eq!(zones.len(), 2, "only nr_zones entries");
    assert_eq!(
        zones[1],
        serde_json::json!({"node":0,"zone_idx":2,"name":"Normal","state":"below-low",
            "free_pages":2600,"min_pages":2048,"low_pages":2560,"high_pages":3072,
            "boost_pages":12,"reserve_pages":30,"managed_pages":1_000_000})
    );
    let o = v(1);
    assert_eq!(
        keys(&o),
        with(&[
            "level",
            "action",
            "calls",
            "span_us",
            "pid",
            "comm",
            "free_pages",
            "available_pages",
            "pool_before_pages",
            "pool_after_pages",
            "freed_reported_pages",
            "callback_ns",
            "free_ns",
            "blocks_freed",
            "averts_left",
            "page_size_bytes",
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
        with(&[
            "op",
            "pages",
            "pool_pages",
            "target_pages",
            "page_size_bytes"
        ])
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
            "fall_rate_pages_per_s",
            "tte_ms",
            "page_size_bytes"
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
            "page_size_bytes"
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
    // Escaped before JSON quotes it: the value holds no control character.
    assert_eq!(v["comm"], r#"a"b\\c\n\x01\xff"#);
}

#[test]
fn logfmt_of_every_type() {
    // The wall-clock `timestamp` (checked in `tests/output_safety.rs`) left out.
    let lines: Vec<String> = all()
        .iter()
        .map(|r| {
            let l = logfmt(r, &OPTS);
            let at = l.find(" timestamp=").unwrap();
            format!("{}{}", &l[..at], &l[at + " timestamp=".len() + 27..])
        })
        .collect();
    // The zones of both records with zones: the compact string, then one group of keys each.
    const ZONES: &str = "zones=\"0/DMA32:above-high:200000 0/Normal:below-low:2600\" \
         zones_0_node=0 zones_0_zone_idx=1 zones_0_name=DMA32 zones_0_state=above-high \
         zones_0_free_pages=200000 zones_0_min_pages=1000 zones_0_low_pages=1250 \
         zones_0_high_pages=1500 zones_0_boost_pages=0 zones_0_reserve_pages=0 \
         zones_0_managed_pages=500000 zones_1_node=0 zones_1_zone_idx=2 zones_1_name=Normal \
         zones_1_state=below-low zones_1_free_pages=2600 zones_1_min_pages=2048 \
         zones_1_low_pages=2560 zones_1_high_pages=3072 zones_1_boost_pages=12 \
         zones_1_reserve_pages=30 zones_1_managed_pages=1000000";
    assert_eq!(
        lines,
        [
            format!("seq=40 time_ns=12345678941 type=pressure abi=2.1 level=low old_level=ok \
             source=watermarks free_pages=202600 available_pages=300000 headroom=low \
             fall_rate_pages_per_s=2560 tte_ms=1500 page_size_bytes=4096 nr_zones=2 \
             zones_truncated=false {ZONES}")
            .as_str(),
            format!("seq=41 time_ns=12345678942 type=oom abi=2.1 level=min action=release calls=1 span_us=0 \
             pid=4242 comm=memhog free_pages=1500 available_pages=2000 pool_before_pages=4096 \
             pool_after_pages=3840 freed_reported_pages=256 callback_ns=15200 free_ns=9100 \
             blocks_freed=4 averts_left=7 page_size_bytes=4096 nr_zones=2 zones_truncated=false {ZONES}")
            .as_str(),
            "seq=42 time_ns=12345678943 type=pool abi=2.1 op=release pages=256 \
             pool_pages=3840 target_pages=4096 page_size_bytes=4096",
            "seq=43 time_ns=12345678944 type=kill abi=2.1 kills=1 victim_pid=0 \
             victim_comm=\"\" victim_rss_kib=0",
            "seq=44 time_ns=12345678945 type=lost abi=2.1 count=17 first_seq=29",
            "seq=45 time_ns=12345678946 type=headroom abi=2.1 headroom=medium \
             old_headroom=low level=low wm_state=below-low free_pages=202600 \
             available_pages=150000 total_pages=1500000 low_pages=300000 \
             medium_pages=150001 critical_pages=75000 floor_pages=3078 \
             fall_rate_pages_per_s=256 tte_ms=573906 page_size_bytes=4096",
            "seq=46 time_ns=12345678947 type=reclaim abi=2.1 phase=direct who=kswapd+direct \
             level=min headroom=critical kswapd_calls=40 direct_calls=3 duration_ms=120 \
             free_pages=2000 available_pages=5000 page_size_bytes=4096",
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
        assert_eq!(line(Format::Text, x, Extra::NONE, &OPTS), text(x, &OPTS));
        assert_eq!(line(Format::Json, x, Extra::NONE, &OPTS), json(x, &OPTS));
        assert_eq!(
            line(Format::Logfmt, x, Extra::NONE, &OPTS),
            logfmt(x, &OPTS)
        );
        assert_eq!(body(Format::Text, x, Extra::NONE, &OPTS), message(x, &OPTS));
        assert_eq!(body(Format::Json, x, Extra::NONE, &OPTS), json(x, &OPTS));
    }
}

#[test]
fn enrich_in_every_format() {
    let snap = crate::enrich::tests::sample();
    let oom = &all()[1];
    let text = line(Format::Text, oom, Extra::enriched(&snap), &OPTS);
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
        body(Format::Text, oom, Extra::enriched(&snap), &OPTS),
        event_message(oom, Extra::enriched(&snap), &OPTS)
    );
    let v: serde_json::Value =
        serde_json::from_str(&line(Format::Json, oom, Extra::enriched(&snap), &OPTS)).unwrap();
    assert_eq!(v["comm"], "memhog", "the record's fields stay");
    assert_eq!(
        v["enrich"],
        serde_json::json!({"time_ns":12_345_700_000_u64,"elapsed_us":1500,
            "mem_available_kib":20000,"mem_free_kib":12000,"psi_some_avg10_pct":12.34,
            "psi_some_total_us":5678,"scanned":60,"skipped":1,"truncated":true,
            "truncated_by":"time","top":[
                {"pid":42,"comm":"memhog","rss_kib":204_800,"oom_score":900,"oom_score_adj":0,
                 "victim":false},
                {"pid":99,"comm":"oom-guard","rss_kib":1200,"oom_score":0,
                 "oom_score_adj":-1000,"victim":false}]})
    );
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert!(keys.contains(&"enrich"));
    let lf = line(Format::Logfmt, oom, Extra::enriched(&snap), &OPTS);
    assert!(lf.starts_with(&logfmt(oom, &OPTS)), "{lf}");
    assert!(
        lf.ends_with(
            " enrich_time_ns=12345700000 enrich_elapsed_us=1500 \
             enrich_mem_available_kib=20000 enrich_mem_free_kib=12000 \
             enrich_psi_some_avg10_pct=12.34 enrich_psi_some_total_us=5678 enrich_scanned=60 \
             enrich_skipped=1 enrich_truncated=true enrich_truncated_by=time \
             enrich_top=\"42:memhog:204800:900:0 99:oom-guard:1200:0:-1000\" \
             enrich_top_0_pid=42 enrich_top_0_comm=memhog enrich_top_0_rss_kib=204800 \
             enrich_top_0_oom_score=900 enrich_top_0_oom_score_adj=0 \
             enrich_top_0_victim=false enrich_top_1_pid=99 enrich_top_1_comm=oom-guard \
             enrich_top_1_rss_kib=1200 enrich_top_1_oom_score=0 \
             enrich_top_1_oom_score_adj=-1000 enrich_top_1_victim=false"
        ),
        "{lf}"
    );
    // Without a snapshot nothing changes.
    assert_eq!(
        line(Format::Json, oom, Extra::NONE, &OPTS),
        json(oom, &OPTS)
    );
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

#[test]
fn every_record_kind_has_its_own_message_id_in_the_catalog() {
    let catalog = include_str!("../../contrib/oom-guard.catalog");
    let entries: Vec<&str> = catalog
        .lines()
        .filter_map(|l| l.strip_prefix("-- "))
        .collect();
    let ids: Vec<&str> = (0..=u16::MAX)
        .filter_map(RecordType::from_raw)
        .map(message_id)
        .collect();
    assert_eq!(ids.len(), 7);
    assert_eq!(entries, ids, "one catalog entry per kind, in ABI order");
    for id in ids {
        assert!(id.len() == 32 && id.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')));
    }
}

#[test]
fn kill_cgroup_paths() {
    use oom_guard_core::abi::{Kill, KILL_GLOBAL, KILL_MEMCG, KILL_VICTIM};
    let memcg = Kill {
        kills: 1,
        victim_pid: 1234,
        victim_tgid: 1234,
        flags: KILL_VICTIM | KILL_MEMCG,
        victim_comm: abi::fixed_name(b"memhog"),
        victim_rss_kib: 212 * 1024,
        cgroup_id: 4242,
        ..Kill::default()
    };
    let r = rec(1, Payload::Kill(memcg));
    let path = "/system.slice/foo.service";
    let extra = Extra {
        enrich: None,
        cgroup: Some(path),
    };
    // The issue's line: the path replaces the id.
    assert_eq!(
        event_message(&r, extra, &OPTS),
        "killed pid 1234 (memhog), uid 0, rss 212.0 MiB, oom_score_adj 0, \
         memcg /system.slice/foo.service"
    );
    // Every format carries it as `cgroup`, right after `cgroup_id`.
    let v: serde_json::Value = serde_json::from_str(&line(Format::Json, &r, extra, &OPTS)).unwrap();
    assert_eq!(
        (&v["cgroup_id"], &v["cgroup"]),
        (&4242.into(), &path.into())
    );
    let names: Vec<&str> = event_fields(&r, extra, &OPTS)
        .iter()
        .map(|(k, _)| *k)
        .collect();
    let at = names.iter().position(|k| *k == "cgroup_id").unwrap();
    assert_eq!(names[at + 1], "cgroup");
    assert!(line(Format::Logfmt, &r, extra, &OPTS)
        .contains(" cgroup_id=4242 cgroup=/system.slice/foo.service "));
    let journal = String::from_utf8_lossy(&crate::sink::journal_message(
        &r,
        extra,
        Format::Json,
        &OPTS,
    ))
    .into_owned();
    assert!(journal.contains("\nOOM_GUARD_CGROUP=/system.slice/foo.service\n"));
    // Not found (or not resolved: `decode`): no field, the id in the text.
    assert!(!line(Format::Json, &r, Extra::NONE, &OPTS).contains("\"cgroup\""));
    assert!(event_message(&r, Extra::NONE, &OPTS).ends_with("memcg OOM, cgroup 4242"));
    // A path with a space is quoted in text.
    let odd = Extra {
        enrich: None,
        cgroup: Some("/a b/c\\n"),
    };
    assert!(event_message(&r, odd, &OPTS).ends_with(r#"memcg "/a b/c\n""#));
    // A global OOM's victim: its cgroup after the kind, unless it is the root.
    let global = rec(
        2,
        Payload::Kill(Kill {
            flags: KILL_VICTIM | KILL_GLOBAL,
            ..memcg
        }),
    );
    let at = |p| Extra {
        enrich: None,
        cgroup: Some(p),
    };
    assert!(event_message(&global, at("/user.slice"), &OPTS)
        .ends_with("global OOM, cgroup /user.slice"));
    assert!(event_message(&global, at("/"), &OPTS).ends_with("oom_score_adj 0, global OOM"));
    let v: serde_json::Value =
        serde_json::from_str(&line(Format::Json, &global, at("/"), &OPTS)).unwrap();
    assert_eq!(v["cgroup"], "/");
}

#[test]
fn an_abi_2_0_oom_record_lacks_the_2_1_fields_in_every_format() {
    // A 2.0 module's OOM record: 688 bytes, no `free_ns`, `blocks_freed` or `span_us` (decoded
    // as 0). Coalesced calls, so that the text would show a span.
    let mut r = all()[1];
    r.header.size = 688;
    r.header.abi_minor = 0;
    if let Payload::Oom(o) = &mut r.payload {
        (o.free_ns, o.blocks_freed, o.span_us) = (0, 0, 0);
        o.calls = 37;
    }
    let t = text(&r, &OPTS);
    assert!(t.contains("callback 15.2 us; free 5.8 MiB"), "{t}");
    assert!(t.contains(": release (37 calls), pid 4242"), "no span: {t}");
    let v: serde_json::Value = serde_json::from_str(&json(&r, &OPTS)).unwrap();
    assert_eq!(
        (&v["abi"], &v["callback_ns"]),
        (&serde_json::json!("2.0"), &serde_json::json!(15_200))
    );
    assert!(
        v["free_ns"].is_null() && v["blocks_freed"].is_null() && v["span_us"].is_null(),
        "{v}"
    );
    // Left out of the flat formats (logfmt, journald, hook environment), not written as 0.
    let lf = logfmt(&r, &OPTS);
    assert!(lf.contains(" callback_ns=15200 averts_left=7 "), "{lf}");
    assert!(lf.contains(" calls=37 pid=4242 "), "{lf}");
    let flat = flat_fields(&event_fields(&r, Extra::NONE, &OPTS));
    assert!(!flat
        .iter()
        .any(|(k, _)| k == "free_ns" || k == "blocks_freed" || k == "span_us"));
    // A 2.1 record that freed nothing: zeros, and no "freeing" in the text.
    let mut r = all()[1];
    if let Payload::Oom(o) = &mut r.payload {
        (o.free_ns, o.blocks_freed) = (0, 0);
    }
    assert!(!text(&r, &OPTS).contains("freeing"));
    let v: serde_json::Value = serde_json::from_str(&json(&r, &OPTS)).unwrap();
    assert_eq!(
        (&v["free_ns"], &v["blocks_freed"]),
        (&serde_json::json!(0), &serde_json::json!(0))
    );
    // One block: singular.
    let mut r = all()[1];
    if let Payload::Oom(o) = &mut r.payload {
        (o.free_ns, o.blocks_freed) = (2_500, 1);
    }
    assert!(text(&r, &OPTS).contains("callback 15.2 us (freeing 1 block: 2.5 us); "));
}

#[test]
fn a_coalesced_oom_record_shows_its_span_in_every_format() {
    // 37 kill-pending calls over 412 ms, stamped with the first.
    let mut r = all()[1];
    if let Payload::Oom(o) = &mut r.payload {
        o.action = abi::OomAction::KillPending as u8;
        (o.calls, o.span_us) = (37, 412_000);
        (o.freed_reported, o.pool_after, o.free_ns, o.blocks_freed) = (0, o.pool_before, 0, 0);
    }
    let t = text(&r, &OPTS);
    assert!(
        t.starts_with("[   12.345678] oom min: kill-pending (37 calls over 412.0 ms), pid 4242 "),
        "{t}"
    );
    let v: serde_json::Value = serde_json::from_str(&json(&r, &OPTS)).unwrap();
    assert_eq!(
        (&v["action"], &v["calls"], &v["span_us"]),
        (
            &serde_json::json!("kill-pending"),
            &serde_json::json!(37),
            &serde_json::json!(412_000)
        )
    );
    let lf = logfmt(&r, &OPTS);
    assert!(
        lf.contains(" action=kill-pending calls=37 span_us=412000 pid=4242 "),
        "{lf}"
    );
    // journald fields and hook variables come from these.
    let flat = flat_fields(&event_fields(&r, Extra::NONE, &OPTS));
    assert!(flat
        .iter()
        .any(|(k, v)| k == "span_us" && *v == Value::U64(412_000)));
    // One call: no span, no count.
    let t = text(&all()[1], &OPTS);
    assert!(t.contains("oom min: release, pid 4242 "), "{t}");
    // A span longer than a second is still in ms; a span of under 1 ms in us.
    if let Payload::Oom(o) = &mut r.payload {
        o.span_us = 2_345_678;
    }
    assert!(text(&r, &OPTS).contains("(37 calls over 2345.6 ms)"));
    if let Payload::Oom(o) = &mut r.payload {
        (o.calls, o.span_us) = (2, 81);
    }
    assert!(text(&r, &OPTS).contains("(2 calls over 81.0 us)"));
}
