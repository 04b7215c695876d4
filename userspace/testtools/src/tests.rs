use super::*;

#[test]
fn mem_available_from_meminfo() {
    let m =
        "MemTotal:         247964 kB\nMemFree:          219668 kB\nMemAvailable:     216716 kB\n";
    assert_eq!(mem_available_kib(m), Some(216_716));
    assert_eq!(mem_available_kib("MemFree: 1 kB\n"), None);
    assert_eq!(mem_available_kib("MemAvailable: x kB\n"), None);
}

#[test]
fn rates_in_mib_per_second() {
    assert_eq!(parse_rate_mib("0"), Ok(0));
    assert_eq!(parse_rate_mib("8"), Ok(8 * MIB));
    assert_eq!(parse_rate_mib(" 16 "), Ok(16 * MIB));
    assert_eq!(parse_rate_mib("0.5"), Ok(MIB / 2));
    assert_eq!(parse_rate_mib(".25"), Ok(MIB / 4));
    assert_eq!(parse_rate_mib("2."), Ok(2 * MIB));
    assert_eq!(parse_rate_mib("1.000001"), Ok(MIB + 1));
    for bad in [
        "",
        ".",
        "-1",
        "1e3",
        "8M",
        "1.2.3",
        "0.1234567",
        "99999999999999999",
    ] {
        assert!(parse_rate_mib(bad).is_err(), "{bad:?}");
    }
    assert!(parse_rate_mib("x").unwrap_err().to_string().contains("'x'"));
}

#[test]
fn a_fixed_schedule_catches_up_after_a_delay() {
    // 1 MiB steps at 8 MiB/s: one every 125 ms from the start.
    let start = 5_000_000_000;
    assert_eq!(due_at(start, 0, 8 * MIB), start);
    assert_eq!(due_at(start, MIB, 8 * MIB), start + 125_000_000);
    assert_eq!(due_at(start, 8 * MIB, 8 * MIB), start + 1_000_000_000);
    // The schedule does not move when a step is late: 3 MiB are due at 375 ms whatever
    // happened before, so a late hog catches up and the average stays 8 MiB/s.
    assert_eq!(due_at(start, 3 * MIB, 8 * MIB), start + 375_000_000);
    // 0.5 MiB/s: 2 s per MiB.
    assert_eq!(due_at(0, MIB, MIB / 2), 2_000_000_000);
    assert_eq!(due_at(7, GIB, 0), 7, "no limit");
    assert_eq!(due_at(u64::MAX - 1, GIB, 1), u64::MAX, "saturates");
}

#[test]
fn a_bounded_lag_slips_the_schedule_by_the_excess_only() {
    let ms = 1_000_000;
    // On time or within the bound: the schedule stays.
    assert_eq!(slip_start(100, 5 * ms, 5 * ms, 10 * ms), 100);
    assert_eq!(slip_start(100, 5 * ms, 15 * ms, 10 * ms), 100);
    assert_eq!(slip_start(100, 5 * ms, 2 * ms, 10 * ms), 100, "early");
    // A 100 ms stall: the hog catches up 10 ms worth, the rest slips.
    assert_eq!(slip_start(100, 5 * ms, 105 * ms, 10 * ms), 100 + 90 * ms);
    // No bound: the whole stall is caught up.
    assert_eq!(slip_start(100, 5 * ms, 105 * ms, 0), 100);
}

#[test]
fn progress_lines() {
    assert_eq!(
        progress_line(123_456_789, 3 * MIB + 512 * KIB),
        "time_ns=123456789 kib=3584 mib=3"
    );
    assert_eq!(progress_line(0, 0), "time_ns=0 kib=0 mib=0");
}

#[test]
fn sizes() {
    assert_eq!(parse_size("4096"), Ok(4096));
    assert_eq!(parse_size("4k"), Ok(4 * KIB));
    assert_eq!(parse_size("64M"), Ok(64 * MIB));
    assert_eq!(parse_size("64MiB"), Ok(64 * MIB));
    assert_eq!(parse_size(" 2G "), Ok(2 * GIB));
}

#[test]
fn bad_sizes() {
    assert!(parse_size("").is_err());
    assert!(parse_size("M").is_err());
    assert!(parse_size("12X").is_err());
    assert!(parse_size("-1").is_err());
    assert!(parse_size("99999999999999999999").is_err());
    assert!(parse_size("99999999999G").is_err());
    let msg = parse_size("12X").unwrap_err().to_string();
    assert!(msg.contains("'12X'"), "{msg}");
}

#[test]
fn steady_pacing_never_bursts() {
    // 1 MiB chunks at 10 MiB/s: one every 100 ms.
    assert_eq!(next_due(0, 0, MIB, 10 * MIB), 100_000_000);
    // On schedule: the next is 100 ms after the previous due time.
    assert_eq!(
        next_due(100_000_000, 90_000_000, MIB, 10 * MIB),
        200_000_000
    );
    // Stalled for a second: the next is 100 ms from now, not immediately.
    assert_eq!(
        next_due(200_000_000, 1_200_000_000, MIB, 10 * MIB),
        1_300_000_000
    );
    assert_eq!(next_due(5, 7, MIB, 0), 7);
}

#[test]
fn pacing() {
    // Unlimited rate never waits.
    assert_eq!(pace(GIB, 0, Duration::ZERO), Duration::ZERO);
    // 10 MiB at 100 MiB/s is due at 100 ms.
    assert_eq!(
        pace(10 * MIB, 100 * MIB, Duration::from_millis(40)),
        Duration::from_millis(60)
    );
    // Behind schedule: no wait.
    assert_eq!(
        pace(10 * MIB, 100 * MIB, Duration::from_millis(150)),
        Duration::ZERO
    );
    // Extreme inputs do not overflow.
    assert_eq!(
        pace(u64::MAX, 1, Duration::ZERO),
        Duration::from_nanos(u64::MAX)
    );
}
