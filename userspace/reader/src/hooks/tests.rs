//! The hooks' tests: parsing, kinds, rate limits, the environment, running and reaping.

use super::*;
use crate::decode::tests::samples;
use crate::testutil::{record, TempDir};
use std::sync::Mutex;

const OPTS: FormatOptions = FormatOptions { page_size: 4096 };

#[test]
fn parse_hooks() {
    let h: Hook = "min=logger -t oom 'level=$OOM_GUARD_LEVEL'"
        .parse()
        .unwrap();
    assert_eq!(h.kind, HookKind::Min);
    assert_eq!(h.command, "logger -t oom 'level=$OOM_GUARD_LEVEL'");
    let h: Hook = "OOM=a=b".parse().unwrap();
    assert_eq!((h.kind, h.command.as_str()), (HookKind::Oom, "a=b"));
    assert_eq!(
        "nothing".parse::<Hook>(),
        Err(HookParseError::Syntax("nothing".into()))
    );
    let e = "boom=true".parse::<Hook>().unwrap_err();
    assert_eq!(e, HookParseError::Kind("boom".into()));
    assert_eq!(
        e.to_string(),
        "unknown event kind `boom`; expected one of any, pressure, ok, low, min, oom, pool, \
         kill, lost, headroom, headroom-plenty, headroom-low, headroom-medium, \
         headroom-critical, reclaim, reclaim-onset, reclaim-direct, reclaim-end"
    );
    let h: Hook = "Headroom-Critical=systemctl stop batch.slice"
        .parse()
        .unwrap();
    assert_eq!(h.kind, HookKind::HeadroomCritical);
    assert_eq!(
        "reclaim-end=true".parse::<Hook>().unwrap().kind,
        HookKind::ReclaimEnd
    );
    assert_eq!(
        "kill= ".parse::<Hook>(),
        Err(HookParseError::Empty("kill".into()))
    );
    for (name, kind) in HookKind::ALL {
        assert_eq!(kind.name(), name);
    }
}

#[test]
fn kinds_match_records() {
    let s = samples();
    let recs: Vec<Record> = s
        .iter()
        .enumerate()
        .map(|(i, p)| record(i as u64, *p))
        .collect();
    let matching = |k: HookKind| -> Vec<u64> {
        recs.iter()
            .filter(|r| k.matches(r))
            .map(|r| r.header.seq)
            .collect()
    };
    assert_eq!(matching(HookKind::Any), [0, 1, 2, 3, 4, 5, 6]);
    assert_eq!(matching(HookKind::Pressure), [0]);
    assert_eq!(matching(HookKind::Low), [0], "the sample rises to low");
    assert!(
        matching(HookKind::Min).is_empty(),
        "an OOM at min is not a pressure change"
    );
    assert!(matching(HookKind::Ok).is_empty());
    assert_eq!(matching(HookKind::Oom), [1]);
    assert_eq!(matching(HookKind::Pool), [2]);
    assert_eq!(matching(HookKind::Kill), [3]);
    assert_eq!(matching(HookKind::Lost), [4]);
    // The sample headroom record goes to medium, the reclaim record is direct reclaim.
    assert_eq!(matching(HookKind::Headroom), [5]);
    assert_eq!(matching(HookKind::HeadroomMedium), [5]);
    for k in [
        HookKind::HeadroomPlenty,
        HookKind::HeadroomLow,
        HookKind::HeadroomCritical,
    ] {
        assert!(matching(k).is_empty(), "{k:?}");
    }
    assert_eq!(matching(HookKind::Reclaim), [6]);
    assert_eq!(matching(HookKind::ReclaimDirect), [6]);
    assert!(matching(HookKind::ReclaimOnset).is_empty());
    assert!(matching(HookKind::ReclaimEnd).is_empty());
    // Each level and phase.
    use oom_guard_core::abi::{Headroom, Reclaim};
    for (raw, kind) in [
        (0, HookKind::HeadroomPlenty),
        (50, HookKind::HeadroomLow),
        (100, HookKind::HeadroomMedium),
        (255, HookKind::HeadroomCritical),
    ] {
        let r = record(
            0,
            Payload::Headroom(Headroom {
                new_level: raw,
                ..Headroom::default()
            }),
        );
        let hit: Vec<HookKind> = HookKind::ALL
            .iter()
            .map(|(_, k)| *k)
            .filter(|k| k.matches(&r))
            .collect();
        assert_eq!(hit, [HookKind::Any, HookKind::Headroom, kind]);
    }
    for (raw, kind) in [
        (1, HookKind::ReclaimOnset),
        (2, HookKind::ReclaimDirect),
        (3, HookKind::ReclaimEnd),
    ] {
        let r = record(
            0,
            Payload::Reclaim(Reclaim {
                phase: raw,
                ..Reclaim::default()
            }),
        );
        let hit: Vec<HookKind> = HookKind::ALL
            .iter()
            .map(|(_, k)| *k)
            .filter(|k| k.matches(&r))
            .collect();
        assert_eq!(hit, [HookKind::Any, HookKind::Reclaim, kind]);
    }
}

#[test]
fn rate_limit_is_per_hook() {
    let t0 = Instant::now();
    let ms = Duration::from_millis;
    let mut l = RateLimiter::new(2, ms(1000));
    assert!(l.allow(0, t0));
    assert!(!l.allow(0, t0 + ms(999)));
    assert!(l.allow(1, t0 + ms(10)), "another hook has its own interval");
    assert!(l.allow(0, t0 + ms(1000)));
    assert!(!l.allow(0, t0 + ms(1500)));
    assert!(!l.allow(7, t0), "no such hook");
    let mut none = RateLimiter::new(1, Duration::ZERO);
    assert!(none.allow(0, t0) && none.allow(0, t0));
}

#[test]
fn environment_carries_the_event() {
    let env: std::collections::BTreeMap<_, _> = hook_env(&record(9, samples()[1]), None, &OPTS)
        .into_iter()
        .collect();
    assert_eq!(env["OOM_GUARD_EVENT"], "oom");
    assert_eq!(env["OOM_GUARD_LEVEL"], "min");
    assert_eq!(env["OOM_GUARD_SEQ"], "9");
    assert_eq!(
        env["OOM_GUARD_TIME_NS"],
        record(9, samples()[1]).header.time_ns.to_string()
    );
    assert_eq!(env["OOM_GUARD_PID"], "4242");
    assert_eq!(env["OOM_GUARD_COMM"], "memhog");
    assert_eq!(env["OOM_GUARD_FREED_REPORTED_PAGES"], "256");
    assert_eq!(env["OOM_GUARD_CALLS"], "1");
    assert_eq!(env["OOM_GUARD_SPAN_US"], "0");
    assert_eq!(env["OOM_GUARD_PRIORITY"], "2");
    assert!(env["OOM_GUARD_MESSAGE"].starts_with("oom min: release"));
    let env: std::collections::BTreeMap<_, _> = hook_env(&record(3, samples()[4]), None, &OPTS)
        .into_iter()
        .collect();
    assert_eq!(
        env["OOM_GUARD_LEVEL"], "",
        "present but empty without a level"
    );
    assert_eq!(env["OOM_GUARD_COUNT"], "17");
    // Headroom: the levels, the rate and the time to exhaustion.
    let env: std::collections::BTreeMap<_, _> = hook_env(&record(5, samples()[5]), None, &OPTS)
        .into_iter()
        .collect();
    assert_eq!(env["OOM_GUARD_EVENT"], "headroom");
    assert_eq!(env["OOM_GUARD_HEADROOM"], "medium");
    assert_eq!(env["OOM_GUARD_OLD_HEADROOM"], "low");
    assert_eq!(env["OOM_GUARD_LEVEL"], "low", "the watermark level");
    assert_eq!(env["OOM_GUARD_FALL_RATE_PAGES_PER_S"], "256");
    assert_eq!(env["OOM_GUARD_TTE_MS"], "573906");
    assert_eq!(env["OOM_GUARD_PRIORITY"], "4");
    assert!(env["OOM_GUARD_MESSAGE"].starts_with("headroom medium (was low)"));
    let env: std::collections::BTreeMap<_, _> = hook_env(&record(6, samples()[6]), None, &OPTS)
        .into_iter()
        .collect();
    assert_eq!(env["OOM_GUARD_EVENT"], "reclaim");
    assert_eq!(env["OOM_GUARD_PHASE"], "direct");
    assert_eq!(env["OOM_GUARD_WHO"], "kswapd+direct");
    assert_eq!(env["OOM_GUARD_HEADROOM"], "critical");
    assert_eq!(env["OOM_GUARD_DIRECT_CALLS"], "3");
    // A pressure record that is not falling: TTE unknown.
    let mut p = samples()[0];
    if let Payload::Pressure(x) = &mut p {
        x.tte_ms = oom_guard_core::abi::TTE_UNKNOWN;
    }
    let env: std::collections::BTreeMap<_, _> =
        hook_env(&record(7, p), None, &OPTS).into_iter().collect();
    assert!(!env.contains_key("OOM_GUARD_TTE_MS"), "unset, not a word");
    assert!(env["OOM_GUARD_TIMESTAMP"].ends_with('Z'));
    assert_eq!(env["OOM_GUARD_ZONES_1_NAME"], "Normal");
    assert_eq!(env["OOM_GUARD_ZONES_1_FREE_PAGES"], "2600");
    assert_eq!(env["OOM_GUARD_HEADROOM"], "low");
}

#[test]
fn a_kill_hook_gets_the_victim() {
    use oom_guard_core::abi::{fixed_name, Kill, KILL_MEMCG, KILL_VICTIM};
    let k = Kill {
        kills: 1,
        victim_pid: 1234,
        victim_tgid: 1234,
        victim_uid: 1000,
        oom_score_adj: 300,
        flags: KILL_VICTIM | KILL_MEMCG,
        victim_comm: fixed_name(b"mem\nhog"),
        victim_rss_kib: 217_088,
        cgroup_id: 77,
        ..Kill::default()
    };
    let env: std::collections::BTreeMap<_, _> = hook_env(
        &record(8, Payload::Kill(k)),
        Some("/system.slice/foo.service"),
        &OPTS,
    )
    .into_iter()
    .collect();
    assert_eq!(env["OOM_GUARD_EVENT"], "kill");
    assert_eq!(env["OOM_GUARD_VICTIM_PID"], "1234");
    assert_eq!(env["OOM_GUARD_VICTIM_UID"], "1000");
    assert_eq!(env["OOM_GUARD_VICTIM_COMM"], "mem\\nhog", "escaped");
    assert_eq!(env["OOM_GUARD_OOM_SCORE_ADJ"], "300");
    assert_eq!(env["OOM_GUARD_VICTIM_RSS_KIB"], "217088");
    assert_eq!(env["OOM_GUARD_OOM"], "memcg");
    assert_eq!(env["OOM_GUARD_CGROUP_ID"], "77");
    assert_eq!(env["OOM_GUARD_CGROUP"], "/system.slice/foo.service");
    assert!(env["OOM_GUARD_MESSAGE"].contains("killed pid 1234"));
}

fn warnings() -> (Warn, Arc<Mutex<Vec<String>>>) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let l = Arc::clone(&log);
    (
        Arc::new(move |s: &str| l.lock().unwrap().push(s.to_string())),
        log,
    )
}

#[test]
fn hooks_run_with_the_environment_and_failures_are_logged() {
    let dir = TempDir::new();
    let out = dir.path().join("out");
    let hooks = vec![
        Hook {
            kind: HookKind::Oom,
            command: format!(
                "echo \"$OOM_GUARD_EVENT $OOM_GUARD_LEVEL $OOM_GUARD_SEQ $OOM_GUARD_TIME_NS \
                 $(cat /proc/self/oom_score_adj)\" >> {}",
                out.display()
            ),
        },
        Hook {
            kind: HookKind::Lost,
            command: "exit 3".into(),
        },
    ];
    let (warn, log) = warnings();
    let mut r = HookRunner::start(hooks, Duration::from_secs(3600), OPTS, None, warn).unwrap();
    let now = Instant::now();
    let oom = record(5, samples()[1]);
    r.offer(&oom, now);
    r.offer(&oom, now + Duration::from_millis(1));
    r.offer(&record(6, samples()[4]), now);
    r.offer(&record(7, samples()[2]), now);
    r.finish();
    assert_eq!(r.rate_limited, 1);
    assert_eq!(r.dropped, 0);
    assert_eq!(r.started(), 2);
    assert_eq!(r.failed(), 1);
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(text, format!("oom min 5 {} 0\n", oom.header.time_ns));
    let log = log.lock().unwrap();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0], "hook lost=`exit 3` exited with status 3");
}

#[test]
fn a_hook_killed_by_a_signal_is_logged() {
    let (warn, log) = warnings();
    let mut r = HookRunner::start(
        vec![Hook {
            kind: HookKind::Any,
            command: "kill -9 $$".into(),
        }],
        Duration::ZERO,
        OPTS,
        None,
        warn,
    )
    .unwrap();
    r.offer(&record(1, samples()[3]), Instant::now());
    r.finish();
    assert_eq!(r.failed(), 1);
    let log = log.lock().unwrap();
    assert!(log[0].ends_with("was killed by signal 9"), "{log:?}");
}

#[test]
fn offering_never_blocks() {
    let (warn, _log) = warnings();
    let mut r = HookRunner::start(
        vec![Hook {
            kind: HookKind::Any,
            command: "true".into(),
        }],
        Duration::ZERO,
        OPTS,
        None,
        warn,
    )
    .unwrap();
    let rec = record(1, samples()[2]);
    let t = Instant::now();
    for _ in 0..1000 {
        r.offer(&rec, Instant::now());
    }
    assert!(t.elapsed() < Duration::from_secs(2));
    r.finish();
    assert_eq!(r.started() + r.dropped + r.failed(), 1000);
}
