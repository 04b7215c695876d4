//! The numbers written in docs/ABI.md: if this fails, the document (or the ABI) is wrong.
use oom_guard_core::abi::compat::*;
use oom_guard_core::abi::*;

#[test]
fn documented_ioctl_numbers() {
    // The values written in docs/ABI.md.
    assert_eq!(IOCTL_GET_VERSION, 0x8004_B700);
    assert_eq!(IOCTL_GET_STATS, 0x80E0_B701);
    assert_eq!(IOCTL_GET_ZONES, 0x8260_B702);
    assert_eq!(IOCTL_GET_CONFIG, 0x8040_B703);
    assert_eq!(IOCTL_SET_CONFIG, 0x4040_B704);
    assert_eq!(IOCTL_GET_STATS_1_0, 0x8080_B701);
    assert_eq!(IOCTL_GET_STATS_1_1, 0x80C0_B701);
    assert_eq!(IOCTL_GET_CONFIG_1_0, 0x8020_B703);
    assert_eq!(IOCTL_SET_CONFIG_1_0, 0x4020_B704);
    assert_eq!((ABI_MAJOR, ABI_MINOR), (1, 3));
    assert_eq!(std::mem::size_of::<Zones>(), 608);
    assert_eq!(std::mem::size_of::<Stats>(), 224);
    assert_eq!(std::mem::size_of::<Config>(), 64);
    assert_eq!(RecordType::Pressure.min_record_size(), 632);
    assert_eq!(RecordType::Pressure.record_size(), 656);
    assert_eq!(RecordType::Oom.record_size(), 688);
    assert_eq!(RecordType::Pool.record_size(), 64);
    assert_eq!(RecordType::Kill.record_size(), 72);
    assert_eq!(RecordType::Lost.record_size(), 48);
    assert_eq!(RecordType::Headroom.record_size(), 112);
    assert_eq!(RecordType::Reclaim.record_size(), 80);
    assert_eq!(MAX_RECORD_SIZE, 688);
    assert_eq!(TTE_UNKNOWN, u64::MAX);
}

#[test]
fn documented_config_ranges_and_defaults() {
    use oom_guard_core::params::*;
    // The table in docs/ABI.md: (name, min, max, default).
    for (spec, min, max, default) in [
        (POLICY, 0, 1, 1),
        (RELEASE_CHUNK, 1, 65536, 256),
        (AVERT_BUDGET, 0, 1000, 8),
        (BUDGET_WINDOW_MS, 100, 3_600_000, 60_000),
        (REFILL_DELAY_MS, 0, 600_000, 5000),
        (SAMPLE_SLOW_MS, 10, 10_000, 1000),
        (SAMPLE_FAST_MS, 1, 1000, 10),
        (HEADROOM_UNIT, 0, 1, 0),
        (HEADROOM_LOW, 1, 1 << 31, 20),
        (HEADROOM_MEDIUM, 1, 1 << 31, 10),
        (HEADROOM_CRITICAL, 1, 1 << 31, 5),
        (HEADROOM_HYSTERESIS, 0, 1 << 31, 2),
        (SAMPLE_MIN_MS, 1, 1000, 1),
        (RECLAIM_QUIET_MS, 10, 60_000, 500),
        (POOL_KIB, 0, 4 * 1024 * 1024, 16 * 1024),
        (RING_SIZE, 64, 65536, 1024),
    ] {
        assert_eq!(
            (spec.min, spec.max, spec.default),
            (min, max, default),
            "{}",
            spec.name
        );
    }
}

#[test]
fn docs_abi_md_states_these_numbers() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/ABI.md");
    let doc = std::fs::read_to_string(&path).unwrap();
    for (name, v) in [
        ("OOM_GUARD_GET_VERSION", IOCTL_GET_VERSION),
        ("OOM_GUARD_GET_STATS", IOCTL_GET_STATS),
        ("OOM_GUARD_GET_ZONES", IOCTL_GET_ZONES),
        ("OOM_GUARD_GET_CONFIG", IOCTL_GET_CONFIG),
        ("OOM_GUARD_SET_CONFIG", IOCTL_SET_CONFIG),
        ("OOM_GUARD_GET_STATS_1_0", IOCTL_GET_STATS_1_0),
        ("OOM_GUARD_GET_STATS_1_1", IOCTL_GET_STATS_1_1),
        ("OOM_GUARD_GET_CONFIG_1_0", IOCTL_GET_CONFIG_1_0),
        ("OOM_GUARD_SET_CONFIG_1_0", IOCTL_SET_CONFIG_1_0),
    ] {
        let row = format!("| `{name}` | `0x{v:08X}` ");
        assert!(doc.contains(&row), "{} lacks {row:?}", path.display());
    }
    assert!(doc.starts_with(&format!(
        "# `/dev/oom_guard` ABI, version {ABI_MAJOR}.{ABI_MINOR}\n"
    )));
    for (name, t) in [
        ("PRESSURE", RecordType::Pressure),
        ("OOM", RecordType::Oom),
        ("POOL", RecordType::Pool),
        ("KILL", RecordType::Kill),
        ("LOST", RecordType::Lost),
        ("HEADROOM", RecordType::Headroom),
        ("RECLAIM", RecordType::Reclaim),
    ] {
        let row = format!("| {} | `{name}` | {} ", t as u16, t.record_size());
        assert!(doc.contains(&row), "{} lacks {row:?}", path.display());
    }
}
