//! Record encoding: layout, round trips, zeroed padding, forward compatibility.

use oom_guard_core::abi::compat::*;
use oom_guard_core::abi::*;
use std::mem::offset_of;

fn zone(i: u8) -> ZoneSnapshot {
    ZoneSnapshot {
        node: 0,
        zone_idx: i,
        state: ZoneState::BelowLow as u8,
        reserved: 0,
        name: fixed_name(b"Normal"),
        free: 1000 + u64::from(i),
        min: 100,
        low: 125,
        high: 150,
        boost: 7,
        reserve: 9,
        managed: 65536,
    }
}

fn samples() -> Vec<Payload> {
    let mut zones = [ZoneSnapshot::default(); MAX_ZONES];
    zones[0] = zone(1);
    zones[1] = zone(2);
    vec![
        Payload::Pressure(Pressure {
            source: 1,
            old_level: Level::Ok as u8,
            new_level: Level::Low as u8,
            reserved: 0,
            nr_zones: 2,
            free_pages: 1234,
            available_pages: 5678,
            zones,
            headroom: HeadroomLevel::Low as u8,
            reserved2: [0; 7],
            fall_rate: 2560,
            tte_ms: 1500,
        }),
        Payload::Oom(Oom {
            action: OomAction::Avert as u8,
            level: Level::Min as u8,
            calls: 1,
            pid: 4242,
            comm: fixed_name(b"memhog"),
            free_pages: 11,
            available_pages: 22,
            pool_before: 4096,
            pool_after: 3840,
            freed_reported: 256,
            callback_ns: 3100,
            averts_left: 7,
            nr_zones: 2,
            zones,
        }),
        Payload::Pool(Pool {
            op: PoolOp::Refill as u8,
            reserved: [0; 7],
            pages: 32,
            pool_pages: 4096,
            target_pages: 4096,
        }),
        Payload::Kill(Kill {
            kills: 1,
            victim_pid: 77,
            reserved: 0,
            victim_comm: fixed_name(b"a-very-long-process-name"),
            victim_rss_kib: 204800,
        }),
        Payload::Lost(Lost {
            count: 17,
            first_seq: 100,
        }),
        Payload::Headroom(Headroom {
            old_level: HeadroomLevel::Low as u8,
            new_level: HeadroomLevel::Medium as u8,
            wm_level: Level::Low as u8,
            wm_state: ZoneState::BelowLow as u8,
            reserved: 0,
            free_pages: 900,
            available_pages: 6000,
            total_pages: 65536,
            low_pages: 13107,
            medium_pages: 6553,
            critical_pages: 3276,
            floor_pages: 300,
            fall_rate: 25_600,
            tte_ms: 222,
        }),
        Payload::Reclaim(Reclaim {
            phase: ReclaimPhase::Direct as u8,
            who: RECLAIM_KSWAPD | RECLAIM_DIRECT,
            wm_level: Level::Min as u8,
            headroom: HeadroomLevel::Critical as u8,
            reserved: 0,
            kswapd_calls: 40,
            direct_calls: 3,
            duration_ms: 120,
            free_pages: 700,
            available_pages: 2000,
        }),
    ]
}

#[test]
fn layout_matches_the_documented_offsets() {
    assert_eq!(offset_of!(RecordHeader, size), 0);
    assert_eq!(offset_of!(RecordHeader, rtype), 4);
    assert_eq!(offset_of!(RecordHeader, abi_major), 6);
    assert_eq!(offset_of!(RecordHeader, abi_minor), 7);
    assert_eq!(offset_of!(RecordHeader, flags), 8);
    assert_eq!(offset_of!(RecordHeader, seq), 16);
    assert_eq!(offset_of!(RecordHeader, time_ns), 24);
    assert_eq!(offset_of!(ZoneSnapshot, name), 8);
    assert_eq!(offset_of!(ZoneSnapshot, free), 16);
    assert_eq!(offset_of!(ZoneSnapshot, managed), 64);
    assert_eq!(offset_of!(Pressure, free_pages), 8);
    assert_eq!(offset_of!(Pressure, zones), 24);
    assert_eq!(offset_of!(Oom, pid), 4);
    assert_eq!(offset_of!(Oom, comm), 8);
    assert_eq!(offset_of!(Oom, free_pages), 24);
    assert_eq!(offset_of!(Oom, averts_left), 72);
    assert_eq!(offset_of!(Oom, zones), 80);
    assert_eq!(offset_of!(Pool, pages), 8);
    assert_eq!(offset_of!(Kill, victim_comm), 16);
    assert_eq!(offset_of!(Lost, first_seq), 8);
    // ABI 1.1.
    assert_eq!(offset_of!(Pressure, headroom), PRESSURE_SIZE_1_0);
    assert_eq!(offset_of!(Pressure, reserved2), 601);
    assert_eq!(offset_of!(Pressure, fall_rate), 608);
    assert_eq!(offset_of!(Pressure, tte_ms), 616);
    assert_eq!(PRESSURE_SIZE, 624);
    assert_eq!(offset_of!(Headroom, wm_state), 3);
    assert_eq!(offset_of!(Headroom, free_pages), 8);
    assert_eq!(offset_of!(Headroom, total_pages), 24);
    assert_eq!(offset_of!(Headroom, floor_pages), 56);
    assert_eq!(offset_of!(Headroom, fall_rate), 64);
    assert_eq!(offset_of!(Headroom, tte_ms), 72);
    assert_eq!(offset_of!(Reclaim, headroom), 3);
    assert_eq!(offset_of!(Reclaim, kswapd_calls), 8);
    assert_eq!(offset_of!(Reclaim, duration_ms), 24);
    assert_eq!(offset_of!(Reclaim, available_pages), 40);
    assert_eq!(offset_of!(Stats, samples), 120);
    assert_eq!(offset_of!(Stats, headroom), STATS_SIZE_1_0);
    assert_eq!(offset_of!(Stats, tte_ms), 152);
    assert_eq!(offset_of!(Stats, reclaim_active), 184);
    assert_eq!(offset_of!(Stats, monitor_ns), STATS_SIZE_1_1);
    assert_eq!(offset_of!(Stats, peek_ns), 216);
    assert_eq!(std::mem::size_of::<Stats>(), 224);
    assert_eq!(offset_of!(Config, reserved), 28);
    assert_eq!(offset_of!(Config, headroom_unit), CONFIG_SIZE_1_0);
    assert_eq!(offset_of!(Config, sample_min_ms), 52);
    assert_eq!(offset_of!(Config, reserved2), 60);
    assert_eq!(std::mem::size_of::<Config>(), 64);
}

/// The payload bytes of `p` as its `#[repr(C)]` struct lays them out, padding zeroed: what the
/// encoder must produce.
fn repr_c_bytes(p: &Payload) -> Vec<u8> {
    fn put(out: &mut [u8], off: usize, v: &[u8]) {
        out[off..off + v.len()].copy_from_slice(v);
    }
    match p {
        Payload::Headroom(h) => {
            let mut out = vec![0u8; HEADROOM_SIZE];
            put(&mut out, offset_of!(Headroom, old_level), &[h.old_level]);
            put(&mut out, offset_of!(Headroom, new_level), &[h.new_level]);
            put(&mut out, offset_of!(Headroom, wm_level), &[h.wm_level]);
            put(&mut out, offset_of!(Headroom, wm_state), &[h.wm_state]);
            for (off, v) in [
                (offset_of!(Headroom, free_pages), h.free_pages),
                (offset_of!(Headroom, available_pages), h.available_pages),
                (offset_of!(Headroom, total_pages), h.total_pages),
                (offset_of!(Headroom, low_pages), h.low_pages),
                (offset_of!(Headroom, medium_pages), h.medium_pages),
                (offset_of!(Headroom, critical_pages), h.critical_pages),
                (offset_of!(Headroom, floor_pages), h.floor_pages),
                (offset_of!(Headroom, fall_rate), h.fall_rate),
                (offset_of!(Headroom, tte_ms), h.tte_ms),
            ] {
                put(&mut out, off, &v.to_ne_bytes());
            }
            out
        }
        Payload::Reclaim(r) => {
            let mut out = vec![0u8; RECLAIM_SIZE];
            put(&mut out, offset_of!(Reclaim, phase), &[r.phase]);
            put(&mut out, offset_of!(Reclaim, who), &[r.who]);
            put(&mut out, offset_of!(Reclaim, wm_level), &[r.wm_level]);
            put(&mut out, offset_of!(Reclaim, headroom), &[r.headroom]);
            for (off, v) in [
                (offset_of!(Reclaim, kswapd_calls), r.kswapd_calls),
                (offset_of!(Reclaim, direct_calls), r.direct_calls),
                (offset_of!(Reclaim, duration_ms), r.duration_ms),
                (offset_of!(Reclaim, free_pages), r.free_pages),
                (offset_of!(Reclaim, available_pages), r.available_pages),
            ] {
                put(&mut out, off, &v.to_ne_bytes());
            }
            out
        }
        _ => unreachable!("only the 1.1 record types"),
    }
}

#[test]
fn new_records_are_encoded_at_their_repr_c_offsets() {
    for p in samples()
        .into_iter()
        .filter(|p| matches!(p, Payload::Headroom(_) | Payload::Reclaim(_)))
    {
        let mut buf = [0x77u8; MAX_RECORD_SIZE];
        let n = encode(3, 4, 0, &p, &mut buf).unwrap();
        assert_eq!(n, p.rtype().record_size());
        assert_eq!(&buf[HEADER_SIZE..n], repr_c_bytes(&p).as_slice(), "{p:?}");
    }
    // The PRESSURE trailing fields too.
    let p = samples().remove(0);
    let Payload::Pressure(x) = p else {
        unreachable!()
    };
    let mut buf = [0x77u8; MAX_RECORD_SIZE];
    let n = encode(3, 4, 0, &p, &mut buf).unwrap();
    let body = &buf[HEADER_SIZE..n];
    assert_eq!(body[offset_of!(Pressure, headroom)], x.headroom);
    assert_eq!(&body[601..608], &[0; 7]);
    assert_eq!(
        &body[offset_of!(Pressure, fall_rate)..][..8],
        &x.fall_rate.to_ne_bytes()
    );
    assert_eq!(
        &body[offset_of!(Pressure, tte_ms)..][..8],
        &x.tte_ms.to_ne_bytes()
    );
}

#[test]
fn a_1_0_pressure_record_decodes_with_defaults() {
    let p = samples().remove(0);
    let mut buf = [0u8; MAX_RECORD_SIZE];
    encode(8, 9, 0, &p, &mut buf).unwrap();
    let old = RecordType::Pressure.min_record_size();
    assert_eq!(old, HEADER_SIZE + 600);
    buf[0..4].copy_from_slice(&(old as u32).to_ne_bytes());
    buf[7] = 0;
    let (h, back) = decode(&buf[..old]).unwrap();
    assert_eq!((h.abi_minor, h.size as usize), (0, old));
    let Some(Payload::Pressure(back)) = back else {
        panic!("{back:?}")
    };
    let Payload::Pressure(want) = p else {
        unreachable!()
    };
    assert_eq!(
        back,
        Pressure {
            headroom: 0,
            fall_rate: 0,
            tte_ms: TTE_UNKNOWN,
            ..want
        }
    );
    // Shorter than the 1.0 record is corrupt.
    buf[0..4].copy_from_slice(&((old - 1) as u32).to_ne_bytes());
    assert_eq!(decode(&buf[..old - 1]), Err(CodecError::BadSize));
}

#[test]
fn encoding_writes_fields_at_their_repr_c_offsets() {
    // The encoder is field-by-field; check it against the #[repr(C)] layout itself.
    let mut buf = [0xffu8; MAX_RECORD_SIZE];
    let p = samples().remove(1);
    let n = encode(9, 10, 0, &p, &mut buf).unwrap();
    assert_eq!(n, HEADER_SIZE + OOM_SIZE);
    let body = &buf[HEADER_SIZE..n];
    let Payload::Oom(o) = p else { unreachable!() };
    let at = |off: usize| u64::from_ne_bytes(body[off..off + 8].try_into().unwrap());
    assert_eq!(at(offset_of!(Oom, pool_before)), o.pool_before);
    assert_eq!(at(offset_of!(Oom, callback_ns)), o.callback_ns);
    let z1 = offset_of!(Oom, zones) + ZONE_SIZE;
    assert_eq!(at(z1 + offset_of!(ZoneSnapshot, free)), o.zones[1].free);
    assert_eq!(&body[8..14], b"memhog");
}

#[test]
fn round_trip_every_type() {
    for (i, p) in samples().into_iter().enumerate() {
        let mut buf = [0u8; MAX_RECORD_SIZE];
        let n = encode(i as u64, 1_000_000 + i as u64, 0, &p, &mut buf).unwrap();
        assert_eq!(n, p.rtype().record_size());
        let (h, back) = decode(&buf[..n]).unwrap();
        assert_eq!(h.size as usize, n);
        assert_eq!(h.seq, i as u64);
        assert_eq!(h.time_ns, 1_000_000 + i as u64);
        assert_eq!((h.abi_major, h.abi_minor), (ABI_MAJOR, ABI_MINOR));
        assert_eq!(back, Some(p));
    }
}

#[test]
fn padding_and_reserved_bytes_are_zero() {
    for p in samples() {
        // Non-zero garbage in reserved fields must not leak out.
        let dirty = match p {
            Payload::Pool(mut x) => {
                x.reserved = [0xaa; 7];
                Payload::Pool(x)
            }
            Payload::Kill(mut x) => {
                x.reserved = 0xdead;
                Payload::Kill(x)
            }
            Payload::Pressure(mut x) => {
                x.reserved = 0xaa;
                x.reserved2 = [0xaa; 7];
                Payload::Pressure(x)
            }
            Payload::Headroom(mut x) => {
                x.reserved = 0xdead_beef;
                Payload::Headroom(x)
            }
            Payload::Reclaim(mut x) => {
                x.reserved = 0xdead_beef;
                Payload::Reclaim(x)
            }
            other => other,
        };
        let mut buf = [0x55u8; MAX_RECORD_SIZE];
        let n = encode(1, 2, 0, &dirty, &mut buf).unwrap();
        assert_eq!(&buf[12..16], &[0; 4], "header reserved");
        match dirty {
            Payload::Pool(_) => assert_eq!(&buf[HEADER_SIZE + 1..HEADER_SIZE + 8], &[0; 7]),
            Payload::Kill(_) => assert_eq!(&buf[HEADER_SIZE + 12..HEADER_SIZE + 16], &[0; 4]),
            // Since ABI 1.3 bytes 2..4 of an OOM record are `calls`, not reserved.
            Payload::Oom(o) => assert_eq!(
                &buf[HEADER_SIZE + 2..HEADER_SIZE + 4],
                &o.calls.to_ne_bytes()
            ),
            Payload::Pressure(_) => {
                assert_eq!(buf[HEADER_SIZE + 3], 0);
                assert_eq!(&buf[HEADER_SIZE + 601..HEADER_SIZE + 608], &[0; 7]);
            }
            Payload::Headroom(_) | Payload::Reclaim(_) => {
                assert_eq!(&buf[HEADER_SIZE + 4..HEADER_SIZE + 8], &[0; 4])
            }
            _ => {}
        }
        // Nothing beyond the record was touched.
        assert!(buf[n..].iter().all(|b| *b == 0x55));
    }
}

#[test]
fn short_buffers_are_errors_not_panics() {
    let p = samples().remove(0);
    let mut small = [0u8; 40];
    assert_eq!(encode(0, 0, 0, &p, &mut small), Err(CodecError::Short));
    let mut buf = [0u8; MAX_RECORD_SIZE];
    let n = encode(0, 0, 0, &p, &mut buf).unwrap();
    for cut in [0, 1, HEADER_SIZE - 1, HEADER_SIZE, n - 1] {
        assert!(decode(&buf[..cut]).is_err(), "cut at {cut}");
    }
}

#[test]
fn unknown_types_and_newer_minors_are_skippable() {
    let mut buf = [0u8; MAX_RECORD_SIZE];
    let n = encode(5, 6, 0, &samples().remove(4), &mut buf).unwrap();
    // A newer minor with an unknown type and a longer record: skipped, not an error.
    buf[4..6].copy_from_slice(&99u16.to_ne_bytes());
    buf[7] = ABI_MINOR + 1;
    buf[0..4].copy_from_slice(&((n + 8) as u32).to_ne_bytes());
    let (h, p) = decode(&buf[..n + 8]).unwrap();
    assert_eq!((h.rtype, h.size as usize, p), (99, n + 8, None));
    // A newer minor may append fields to a known type: they are ignored.
    let n = encode(5, 6, 0, &samples().remove(4), &mut buf).unwrap();
    buf[0..4].copy_from_slice(&((n + 8) as u32).to_ne_bytes());
    assert!(matches!(
        decode(&buf[..n + 8]),
        Ok((_, Some(Payload::Lost(_))))
    ));
    // A known type that is too short, or a header claiming less than a header, is corrupt.
    buf[0..4].copy_from_slice(&((n - 8) as u32).to_ne_bytes());
    assert_eq!(decode(&buf[..n]), Err(CodecError::BadSize));
    buf[0..4].copy_from_slice(&8u32.to_ne_bytes());
    assert_eq!(decode(&buf[..n]), Err(CodecError::BadSize));
}

#[test]
fn another_major_is_incompatible() {
    let mut buf = [0u8; MAX_RECORD_SIZE];
    let n = encode(0, 0, 0, &samples().remove(2), &mut buf).unwrap();
    buf[6] = ABI_MAJOR + 1;
    assert_eq!(decode(&buf[..n]), Err(CodecError::Incompatible));
}

#[test]
fn ioctl_numbers_match_asm_generic() {
    // _IOR(0xB7, 0, __u32) computed by hand: dir 2, size 4, type 0xB7, nr 0.
    assert_eq!(IOCTL_GET_VERSION, (2 << 30) | (4 << 16) | (0xB7 << 8));
    assert_eq!(IOCTL_SET_CONFIG >> 30, 1);
    assert_eq!((IOCTL_GET_STATS >> 16) & 0x3fff, 224);
    assert_eq!((IOCTL_GET_CONFIG >> 16) & 0x3fff, 64);
    assert_eq!((IOCTL_SET_CONFIG >> 16) & 0x3fff, 64);
    // The 1.0 numbers differ only in the size field.
    for (old, new, size) in [
        (IOCTL_GET_STATS_1_0, IOCTL_GET_STATS, 128),
        (IOCTL_GET_STATS_1_1, IOCTL_GET_STATS, 192),
        (IOCTL_GET_CONFIG_1_0, IOCTL_GET_CONFIG, 32),
        (IOCTL_SET_CONFIG_1_0, IOCTL_SET_CONFIG, 32),
    ] {
        assert_eq!(old & !(0x3fff << 16), new & !(0x3fff << 16));
        assert_eq!((old >> 16) & 0x3fff, size);
    }
    let all = [
        IOCTL_GET_VERSION,
        IOCTL_GET_STATS,
        IOCTL_GET_ZONES,
        IOCTL_GET_CONFIG,
        IOCTL_SET_CONFIG,
        IOCTL_GET_STATS_1_0,
        IOCTL_GET_STATS_1_1,
        IOCTL_GET_CONFIG_1_0,
        IOCTL_SET_CONFIG_1_0,
    ];
    for (i, a) in all.iter().enumerate() {
        for b in &all[i + 1..] {
            assert_ne!(a, b);
        }
    }
}

#[test]
fn names() {
    assert_eq!(name_bytes(&fixed_name::<16>(b"memhog")), b"memhog");
    assert_eq!(name_bytes(&fixed_name::<4>(b"toolong")), b"tool");
    assert_eq!(name_bytes(&fixed_name::<8>(b"a\0b")), b"a");
    assert_eq!(Level::from_raw(2), Some(Level::Min));
    assert_eq!(Level::from_raw(3), None);
    assert_eq!(OomAction::from_raw(1).map(OomAction::name), Some("release"));
    assert_eq!(
        OomAction::from_raw(4).map(OomAction::name),
        Some("kill-pending")
    );
    assert_eq!(
        OomAction::from_raw(5).map(OomAction::name),
        Some("pool-short")
    );
    assert_eq!(OomAction::from_raw(6), None);
    for (raw, name) in [
        (0, "plenty"),
        (50, "low"),
        (100, "medium"),
        (255, "critical"),
    ] {
        assert_eq!(
            HeadroomLevel::from_raw(raw).map(HeadroomLevel::name),
            Some(name)
        );
    }
    assert_eq!(HeadroomLevel::from_raw(1), None);
    for (raw, name) in [(1, "onset"), (2, "direct"), (3, "end")] {
        assert_eq!(
            ReclaimPhase::from_raw(raw).map(ReclaimPhase::name),
            Some(name)
        );
    }
    assert_eq!(ReclaimPhase::from_raw(0), None);
}

#[test]
fn the_stats_table_covers_every_counter_once() {
    let words = std::mem::size_of::<Stats>() / 8;
    let mut seen = vec![0; words];
    for f in STATS_FIELDS {
        seen[f.word] += 1;
        // The minor version that added a counter is the one whose stats size first reaches it.
        let since = if f.word < STATS_SIZE_1_0 / 8 {
            0
        } else if f.word < STATS_SIZE_1_1 / 8 {
            1
        } else {
            2
        };
        assert_eq!(f.since_minor, since, "{}", f.name);
        // Each entry reads and writes its own word.
        let mut words = vec![0u64; words];
        words[f.word] = 7;
        let s = Stats::from_words(&words);
        assert_eq!((f.get)(&s), 7, "{}", f.name);
        let mut t = Stats::default();
        (f.set)(&mut t, 7);
        assert_eq!(s, t, "{}", f.name);
    }
    assert!(seen.iter().all(|n| *n == 1), "{seen:?}");
    let names: std::collections::HashSet<_> = STATS_FIELDS.iter().map(|f| f.name).collect();
    assert_eq!(names.len(), STATS_FIELDS.len());
}
