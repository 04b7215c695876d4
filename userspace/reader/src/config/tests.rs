use super::*;
use oom_guard_core::abi::{HEADROOM_KIB, HEADROOM_PERCENT};

#[test]
fn good_settings() {
    let s = parse_setting("release_chunk=512").unwrap();
    assert_eq!((s.spec.name, s.value), ("release_chunk", 512));
    assert_eq!(parse_setting("policy=observe").unwrap().value, 0);
    assert_eq!(parse_setting("policy=avert").unwrap().value, 1);
    assert_eq!(parse_setting(" avert_budget = 0 ").unwrap().value, 0);
    let c = apply(
        &params::default_config(),
        &[
            parse_setting("sample_slow_ms=500").unwrap(),
            parse_setting("sample_fast_ms=20").unwrap(),
        ],
    )
    .unwrap();
    assert_eq!((c.sample_slow_ms, c.sample_fast_ms), (500, 20));
    assert_eq!(entries(&c)[5], ("sample_slow_ms", 500));
    // Every key can be set, to its minimum (in a configuration where the rules between
    // fields allow it: thresholds in KiB, far apart).
    let mut base = params::default_config();
    base.sample_slow_ms = 10_000;
    base.headroom_unit = HEADROOM_KIB;
    (
        base.headroom_low,
        base.headroom_medium,
        base.headroom_critical,
    ) = (30, 20, 10);
    for spec in keys() {
        let mut settings = vec![parse_setting(&format!("{}={}", spec.name, spec.min)).unwrap()];
        match spec.name {
            "headroom_low" => settings.extend([
                parse_setting("headroom_medium=1").unwrap(),
                parse_setting("headroom_critical=1").unwrap(),
            ]),
            "headroom_medium" => settings.push(parse_setting("headroom_critical=1").unwrap()),
            _ => {}
        }
        let result = apply(&base, &settings);
        match spec.name {
            // low > medium > critical >= 1 cannot hold with low = 1 or medium = 1.
            "headroom_low" | "headroom_medium" => {
                assert!(
                    matches!(result, Err(ConfigError::Range(_))),
                    "{}",
                    spec.name
                )
            }
            _ => assert!(
                entries(&result.unwrap()).contains(&(spec.name, spec.min as u32)),
                "{}",
                spec.name
            ),
        }
    }
    // And to its maximum.
    for spec in keys() {
        let s = parse_setting(&format!("{}={}", spec.name, spec.max)).unwrap();
        let mut c = base;
        c.headroom_low = 1 << 31;
        c.headroom_medium = (1 << 31) - 1;
        c.headroom_critical = (1 << 31) - 2;
        c.sample_fast_ms = 1000;
        match apply(&c, &[s]) {
            Ok(c) => assert!(entries(&c).contains(&(spec.name, spec.max as u32))),
            // Ordered thresholds leave no room for medium or critical at the top.
            Err(ConfigError::Range(e)) => assert!(
                matches!(spec.name, "headroom_medium" | "headroom_critical"),
                "{}: {e:?}",
                spec.name
            ),
            Err(e) => panic!("{}: {e}", spec.name),
        }
    }
    assert_eq!(keys().count(), entries(&base).len());
    for (k, (name, _)) in keys().zip(entries(&base)) {
        assert_eq!(k.name, name, "struct order");
    }
}

#[test]
fn headroom_settings() {
    assert_eq!(
        parse_setting("headroom_unit=kib").unwrap().value,
        HEADROOM_KIB
    );
    assert_eq!(
        parse_setting("headroom_unit=KiB").unwrap().value,
        HEADROOM_KIB
    );
    assert_eq!(
        parse_setting("headroom_unit=percent").unwrap().value,
        HEADROOM_PERCENT
    );
    let msg = |s: &str| parse_setting(s).unwrap_err().to_string();
    assert_eq!(
        msg("headroom_unit=2"),
        "invalid headroom_unit=2: accepted range 0..=1 (0 = percent, 1 = KiB)"
    );
    assert_eq!(
        msg("reclaim_quiet_ms=9"),
        "invalid reclaim_quiet_ms=9: accepted range 10..=60000 ms"
    );
    assert_eq!(
        msg("headroom_low=0"),
        "invalid headroom_low=0: accepted range 1..=2147483648 (percent or KiB, > headroom_medium)"
    );
    let d = params::default_config();
    let set = |list: &[&str]| {
        let settings: Vec<Setting> = list.iter().map(|s| parse_setting(s).unwrap()).collect();
        apply(&d, &settings)
    };
    // The rules between fields, as the module checks them.
    assert_eq!(
        set(&["headroom_medium=20"]).unwrap_err().to_string(),
        "invalid headroom_medium=20: accepted range 1..=19 (percent or KiB, > headroom_critical)"
    );
    assert_eq!(
        set(&["headroom_critical=10"]).unwrap_err().to_string(),
        "invalid headroom_critical=10: accepted range 1..=9 (percent or KiB)"
    );
    assert_eq!(
        set(&["headroom_low=101"]).unwrap_err().to_string(),
        "invalid headroom_low=101: accepted range 1..=100 (percent or KiB, > headroom_medium)"
    );
    assert_eq!(
        set(&["sample_min_ms=11"]).unwrap_err().to_string(),
        "invalid sample_min_ms=11: accepted range 1..=10 ms"
    );
    // In KiB large thresholds are fine; the whole set is checked together.
    let c = set(&[
        "headroom_unit=kib",
        "headroom_low=262144",
        "headroom_medium=131072",
        "headroom_critical=65536",
        "headroom_hysteresis=8192",
    ])
    .unwrap();
    assert_eq!(
        (c.headroom_unit, c.headroom_low, c.headroom_critical),
        (HEADROOM_KIB, 262_144, 65_536)
    );
}

#[test]
fn bad_settings_say_what_is_wrong() {
    let msg = |s: &str| parse_setting(s).unwrap_err().to_string();
    assert_eq!(
        msg("release_chunk"),
        "expected KEY=VALUE, got `release_chunk`"
    );
    assert_eq!(
        msg("pool_kib=1"),
        "unknown key `pool_kib`; the keys are policy, release_chunk, avert_budget, \
         budget_window_ms, refill_delay_ms, sample_slow_ms, sample_fast_ms, headroom_unit, \
         headroom_low, headroom_medium, headroom_critical, headroom_hysteresis, \
         sample_min_ms, reclaim_quiet_ms"
    );
    assert!(msg("reserved2=0").starts_with("unknown key `reserved2`"));
    assert!(msg("reserved=0").starts_with("unknown key `reserved`"));
    assert_eq!(
        msg("avert_budget=lots"),
        "invalid avert_budget=lots: not a number"
    );
    assert_eq!(
        msg("avert_budget=-1"),
        "invalid avert_budget=-1: not a number"
    );
    assert_eq!(
        msg("release_chunk=0"),
        "invalid release_chunk=0: accepted range 1..=65536 pages"
    );
    assert_eq!(
        msg("policy=2"),
        "invalid policy=2: accepted range 0..=1 (0 = observe, 1 = avert)"
    );
    assert_eq!(
        msg("budget_window_ms=99"),
        "invalid budget_window_ms=99: accepted range 100..=3600000 ms"
    );
    // Beyond u32, and beyond u64: still the range, not "not a number".
    assert_eq!(
        msg("headroom_low=99999999999"),
        "invalid headroom_low=99999999999: accepted range 1..=2147483648 \
         (percent or KiB, > headroom_medium)"
    );
    assert_eq!(
        msg("release_chunk=99999999999999999999999"),
        "invalid release_chunk=99999999999999999999999: accepted range 1..=65536 pages"
    );
}

#[test]
fn value_names_are_accepted_in_any_case() {
    for (s, v) in [
        ("policy=AVERT", 1),
        ("policy=Observe", 0),
        ("headroom_unit=KIB", 1),
        ("headroom_unit=kib", 1),
        ("headroom_unit=PERCENT", 0),
    ] {
        assert_eq!(parse_setting(s).map(|x| x.value), Ok(v), "{s}");
    }
}

#[test]
fn cross_field_check_uses_the_merged_config() {
    let mut c = params::default_config();
    c.sample_slow_ms = 20;
    let e = apply(&c, &[parse_setting("sample_fast_ms=50").unwrap()]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid sample_fast_ms=50: accepted range 1..=20 ms"
    );
}
