//! Record encoding: layout, round trips, zeroed padding, forward compatibility.

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
        }),
        Payload::Oom(Oom {
            action: OomAction::Avert as u8,
            level: Level::Min as u8,
            reserved: 0,
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
            other => other,
        };
        let mut buf = [0x55u8; MAX_RECORD_SIZE];
        let n = encode(1, 2, 0, &dirty, &mut buf).unwrap();
        assert_eq!(&buf[12..16], &[0; 4], "header reserved");
        match dirty {
            Payload::Pool(_) => assert_eq!(&buf[HEADER_SIZE + 1..HEADER_SIZE + 8], &[0; 7]),
            Payload::Kill(_) => assert_eq!(&buf[HEADER_SIZE + 12..HEADER_SIZE + 16], &[0; 4]),
            Payload::Oom(_) => assert_eq!(&buf[HEADER_SIZE + 2..HEADER_SIZE + 4], &[0; 2]),
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
    assert_eq!((IOCTL_GET_STATS >> 16) & 0x3fff, 128);
    assert_eq!((IOCTL_GET_CONFIG >> 16) & 0x3fff, 32);
    let all = [
        IOCTL_GET_VERSION,
        IOCTL_GET_STATS,
        IOCTL_GET_ZONES,
        IOCTL_GET_CONFIG,
        IOCTL_SET_CONFIG,
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
    assert_eq!(OomAction::from_raw(1).map(OomAction::name), Some("avert"));
}
