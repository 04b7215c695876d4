//! Record encoding: layout, round trips, zeroed padding, and the compatibility rules of the
//! stable ABI (docs/ABI.md): records and ioctl structs only grow at the end, sizes travel with
//! the data, unknown record types are skipped by their size, a newer minor's trailing bytes are
//! ignored, another major is refused.

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
            free_ns: 1900,
            blocks_freed: 4,
            span_us: 412_000,
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
            victim_pid: 78,
            victim_tgid: 77,
            victim_uid: 1000,
            oom_score_adj: -17,
            flags: KILL_VICTIM | KILL_GLOBAL | KILL_GROUP,
            victim_comm: fixed_name(b"a-very-long-process-name"),
            victim_rss_kib: 204800,
            anon_kib: 200_000,
            file_kib: 4000,
            shmem_kib: 800,
            pgtables_kib: 420,
            cgroup_id: 4242,
            select_ns: 31_000,
            notifier_action: OomAction::BudgetSpent as u8,
            reserved: [0; 7],
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
    assert_eq!(offset_of!(Oom, free_ns), 656);
    assert_eq!(offset_of!(Oom, blocks_freed), 664);
    assert_eq!(offset_of!(Oom, span_us), 668);
    assert_eq!((OOM_SIZE_2_0, OOM_SIZE), (656, 672));
    assert_eq!(offset_of!(Pool, pages), 8);
    assert_eq!(offset_of!(Kill, kills), 0);
    assert_eq!(offset_of!(Kill, victim_pid), 8);
    assert_eq!(offset_of!(Kill, victim_tgid), 12);
    assert_eq!(offset_of!(Kill, victim_uid), 16);
    assert_eq!(offset_of!(Kill, oom_score_adj), 20);
    assert_eq!(offset_of!(Kill, flags), 22);
    assert_eq!(offset_of!(Kill, victim_comm), 24);
    assert_eq!(offset_of!(Kill, victim_rss_kib), 40);
    assert_eq!(offset_of!(Kill, anon_kib), 48);
    assert_eq!(offset_of!(Kill, file_kib), 56);
    assert_eq!(offset_of!(Kill, shmem_kib), 64);
    assert_eq!(offset_of!(Kill, pgtables_kib), 72);
    assert_eq!(offset_of!(Kill, cgroup_id), 80);
    assert_eq!(offset_of!(Kill, select_ns), 88);
    assert_eq!(offset_of!(Kill, notifier_action), 96);
    assert_eq!(offset_of!(Kill, reserved), 97);
    assert_eq!(KILL_SIZE, 104);
    assert_eq!(offset_of!(Lost, first_seq), 8);
    assert_eq!(offset_of!(Pressure, headroom), 600);
    assert_eq!(offset_of!(Pressure, reserved2), 601);
    assert_eq!(offset_of!(Pressure, fall_rate), 608);
    assert_eq!(offset_of!(Pressure, tte_ms), 616);
    assert_eq!(PRESSURE_SIZE, 624);
    assert_eq!(offset_of!(Headroom, old_level), 0);
    assert_eq!(offset_of!(Headroom, new_level), 1);
    assert_eq!(offset_of!(Headroom, wm_level), 2);
    assert_eq!(offset_of!(Headroom, wm_state), 3);
    assert_eq!(offset_of!(Headroom, free_pages), 8);
    assert_eq!(offset_of!(Headroom, total_pages), 24);
    assert_eq!(offset_of!(Headroom, floor_pages), 56);
    assert_eq!(offset_of!(Headroom, fall_rate), 64);
    assert_eq!(offset_of!(Headroom, tte_ms), 72);
    assert_eq!(offset_of!(Reclaim, phase), 0);
    assert_eq!(offset_of!(Reclaim, who), 1);
    assert_eq!(offset_of!(Reclaim, wm_level), 2);
    assert_eq!(offset_of!(Reclaim, headroom), 3);
    assert_eq!(offset_of!(Reclaim, kswapd_calls), 8);
    assert_eq!(offset_of!(Reclaim, duration_ms), 24);
    assert_eq!(offset_of!(Reclaim, available_pages), 40);
    assert_eq!(offset_of!(Stats, samples), 120);
    assert_eq!(offset_of!(Stats, headroom), 128);
    assert_eq!(offset_of!(Stats, tte_ms), 152);
    assert_eq!(offset_of!(Stats, reclaim_active), 184);
    assert_eq!(offset_of!(Stats, monitor_ns), 192);
    assert_eq!(offset_of!(Stats, peek_ns), 216);
    assert_eq!(std::mem::size_of::<Stats>(), 248);
    assert_eq!(offset_of!(Config, reserved), 28);
    assert_eq!(offset_of!(Config, headroom_unit), 32);
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
    fn put_u64s(out: &mut [u8], fields: &[(usize, u64)]) {
        for (off, v) in fields {
            put(out, *off, &v.to_ne_bytes());
        }
    }
    match p {
        Payload::Headroom(h) => {
            let mut out = vec![0u8; HEADROOM_SIZE];
            // The four bytes at the start (offsets checked above).
            put(
                &mut out,
                0,
                &[h.old_level, h.new_level, h.wm_level, h.wm_state],
            );
            put_u64s(
                &mut out,
                &[
                    (offset_of!(Headroom, free_pages), h.free_pages),
                    (offset_of!(Headroom, available_pages), h.available_pages),
                    (offset_of!(Headroom, total_pages), h.total_pages),
                    (offset_of!(Headroom, low_pages), h.low_pages),
                    (offset_of!(Headroom, medium_pages), h.medium_pages),
                    (offset_of!(Headroom, critical_pages), h.critical_pages),
                    (offset_of!(Headroom, floor_pages), h.floor_pages),
                    (offset_of!(Headroom, fall_rate), h.fall_rate),
                    (offset_of!(Headroom, tte_ms), h.tte_ms),
                ],
            );
            out
        }
        Payload::Reclaim(r) => {
            let mut out = vec![0u8; RECLAIM_SIZE];
            put(&mut out, 0, &[r.phase, r.who, r.wm_level, r.headroom]);
            put_u64s(
                &mut out,
                &[
                    (offset_of!(Reclaim, kswapd_calls), r.kswapd_calls),
                    (offset_of!(Reclaim, direct_calls), r.direct_calls),
                    (offset_of!(Reclaim, duration_ms), r.duration_ms),
                    (offset_of!(Reclaim, free_pages), r.free_pages),
                    (offset_of!(Reclaim, available_pages), r.available_pages),
                ],
            );
            out
        }
        Payload::Kill(k) => {
            let mut out = vec![0u8; KILL_SIZE];
            for (off, v) in [
                (offset_of!(Kill, victim_pid), k.victim_pid),
                (offset_of!(Kill, victim_tgid), k.victim_tgid),
                (offset_of!(Kill, victim_uid), k.victim_uid),
            ] {
                put(&mut out, off, &v.to_ne_bytes());
            }
            let adj = offset_of!(Kill, oom_score_adj);
            put(&mut out, adj, &k.oom_score_adj.to_ne_bytes());
            put(&mut out, offset_of!(Kill, flags), &k.flags.to_ne_bytes());
            put(&mut out, offset_of!(Kill, victim_comm), &k.victim_comm);
            put(
                &mut out,
                offset_of!(Kill, notifier_action),
                &[k.notifier_action],
            );
            put_u64s(
                &mut out,
                &[
                    (offset_of!(Kill, kills), k.kills),
                    (offset_of!(Kill, victim_rss_kib), k.victim_rss_kib),
                    (offset_of!(Kill, anon_kib), k.anon_kib),
                    (offset_of!(Kill, file_kib), k.file_kib),
                    (offset_of!(Kill, shmem_kib), k.shmem_kib),
                    (offset_of!(Kill, pgtables_kib), k.pgtables_kib),
                    (offset_of!(Kill, cgroup_id), k.cgroup_id),
                    (offset_of!(Kill, select_ns), k.select_ns),
                ],
            );
            out
        }
        _ => unreachable!("only the records checked field by field"),
    }
}

#[test]
fn new_records_are_encoded_at_their_repr_c_offsets() {
    for p in samples().into_iter().filter(|p| {
        matches!(
            p,
            Payload::Headroom(_) | Payload::Reclaim(_) | Payload::Kill(_)
        )
    }) {
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
    assert_eq!(at(offset_of!(Oom, free_ns)), o.free_ns);
    let blocks = offset_of!(Oom, blocks_freed);
    assert_eq!(&body[blocks..blocks + 4], &o.blocks_freed.to_ne_bytes());
    let span = offset_of!(Oom, span_us);
    assert_eq!(span, blocks + 4);
    assert_eq!(&body[span..span + 4], &o.span_us.to_ne_bytes());
    assert_eq!(span + 4, OOM_SIZE, "span_us is the last field");
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
                x.reserved = [0xaa; 7];
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
            Payload::Kill(_) => assert_eq!(&buf[HEADER_SIZE + 97..HEADER_SIZE + 104], &[0; 7]),
            // Bytes 2..4 of an OOM record are `calls`, 668..672 `span_us` (2.1): not reserved.
            Payload::Oom(o) => {
                assert_eq!(
                    &buf[HEADER_SIZE + 2..HEADER_SIZE + 4],
                    &o.calls.to_ne_bytes()
                );
                assert_eq!(
                    &buf[HEADER_SIZE + 668..HEADER_SIZE + 672],
                    &o.span_us.to_ne_bytes()
                );
            }
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
    // A header claiming less than a header is corrupt.
    buf[0..4].copy_from_slice(&8u32.to_ne_bytes());
    assert_eq!(decode(&buf[..n]), Err(CodecError::BadSize));
}

/// The records of `samples()` with one record of an unknown type of `extra` bytes after each
/// (its body non-zero), all of minor `minor`, each known record `grow` bytes longer than this
/// ABI writes it (the appended bytes 0xEE): what a newer minor version may send.
fn newer_stream(minor: u8, grow: usize, extra: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, p) in samples().iter().enumerate() {
        let mut buf = [0u8; MAX_RECORD_SIZE];
        let n = encode(2 * i as u64, 0, 0, p, &mut buf).unwrap();
        let mut rec = buf[..n].to_vec();
        rec.resize(n + grow, 0xEE);
        rec[0..4].copy_from_slice(&((n + grow) as u32).to_ne_bytes());
        rec[7] = minor;
        out.extend(rec);
        let mut unknown = vec![0x5Au8; HEADER_SIZE + extra];
        unknown[..HEADER_SIZE].copy_from_slice(&buf[..HEADER_SIZE]);
        unknown[0..4].copy_from_slice(&((HEADER_SIZE + extra) as u32).to_ne_bytes());
        unknown[4..6].copy_from_slice(&(8 + i as u16).to_ne_bytes());
        unknown[7] = minor;
        unknown[16..24].copy_from_slice(&(2 * i as u64 + 1).to_ne_bytes());
        out.extend(unknown);
    }
    out
}

#[test]
fn a_newer_minor_decodes_as_far_as_this_abi_knows_it() {
    // Walking by `size`: every known record comes back as it was encoded, whatever was
    // appended to it; every record of an unknown type is skipped, whatever its size.
    for (grow, extra) in [(0, 0), (8, 8), (16, 200), (64, 1), (8, 4096)] {
        let stream = newer_stream(ABI_MINOR + 1, grow, extra);
        let (mut known, mut unknown, mut off) = (Vec::new(), 0, 0);
        while off < stream.len() {
            let (h, p) = decode(&stream[off..]).unwrap();
            assert_eq!(h.abi_minor, ABI_MINOR + 1);
            match p {
                Some(p) => {
                    assert_eq!(h.size as usize, p.rtype().record_size() + grow);
                    known.push(p);
                }
                None => unknown += 1,
            }
            off += h.size as usize;
        }
        assert_eq!(off, stream.len());
        assert_eq!(known, samples(), "grow {grow}");
        assert_eq!(unknown, samples().len());
    }
}

#[test]
fn a_record_shorter_than_its_type_is_corrupt() {
    for p in samples() {
        let mut buf = [0u8; MAX_RECORD_SIZE];
        let n = encode(0, 0, 0, &p, &mut buf).unwrap();
        let min = p.rtype().min_record_size();
        // Shorter than the oldest size of its type, or ending inside a field this ABI appended.
        for short in [n - 1, n - 8, min - 1, min - 8, HEADER_SIZE] {
            buf[0..4].copy_from_slice(&(short as u32).to_ne_bytes());
            assert_eq!(decode(&buf[..n]), Err(CodecError::BadSize), "{p:?}");
        }
    }
}

#[test]
fn another_major_is_incompatible() {
    let mut buf = [0u8; MAX_RECORD_SIZE];
    let n = encode(0, 0, 0, &samples().remove(2), &mut buf).unwrap();
    // A later major, and ABI 1.x, which came before the first stable version.
    for major in [ABI_MAJOR + 1, 1, 0, u8::MAX] {
        buf[6] = major;
        assert_eq!(decode(&buf[..n]), Err(CodecError::Incompatible), "{major}");
    }
    assert_eq!((ABI_MAJOR, ABI_MINOR), (2, 1));
}

#[test]
fn ioctl_numbers_carry_their_struct_size() {
    // A struct that grows gets a new number, so the size a client was built with is always
    // the size the module copies.
    for (cmd, size) in [
        (IOCTL_GET_VERSION, std::mem::size_of::<u32>()),
        (IOCTL_GET_STATS, std::mem::size_of::<Stats>()),
        (IOCTL_GET_ZONES, std::mem::size_of::<Zones>()),
        (IOCTL_GET_CONFIG, std::mem::size_of::<Config>()),
        (IOCTL_SET_CONFIG, std::mem::size_of::<Config>()),
    ] {
        assert_eq!(((cmd >> 16) & 0x3fff) as usize, size, "{cmd:#x}");
    }
}

#[test]
fn ioctl_numbers_match_asm_generic() {
    // _IOR(0xB7, 0, __u32) computed by hand: dir 2, size 4, type 0xB7, nr 0.
    assert_eq!(IOCTL_GET_VERSION, (2 << 30) | (4 << 16) | (0xB7 << 8));
    assert_eq!(IOCTL_SET_CONFIG >> 30, 1);
    assert_eq!((IOCTL_GET_STATS >> 16) & 0x3fff, 248);
    assert_eq!((IOCTL_GET_CONFIG >> 16) & 0x3fff, 64);
    assert_eq!((IOCTL_SET_CONFIG >> 16) & 0x3fff, 64);
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
    assert_eq!(
        [
            KILL_VICTIM,
            KILL_GLOBAL,
            KILL_MEMCG,
            KILL_EXITING,
            KILL_GROUP
        ],
        [1, 2, 4, 8, 16]
    );
}

#[test]
fn the_stats_table_covers_every_counter_once() {
    let words = std::mem::size_of::<Stats>() / 8;
    let mut seen = vec![0; words];
    for f in STATS_FIELDS {
        seen[f.word] += 1;
        // Each entry writes and reads back its own counter, and no other.
        let mut s = Stats::default();
        (f.set)(&mut s, 7);
        assert_eq!((f.get)(&s), 7, "{}", f.name);
        for g in STATS_FIELDS.iter().filter(|g| g.word != f.word) {
            assert_eq!((g.get)(&s), 0, "{} wrote {}", f.name, g.name);
        }
    }
    assert!(seen.iter().all(|n| *n == 1), "{seen:?}");
    let names: std::collections::HashSet<_> = STATS_FIELDS.iter().map(|f| f.name).collect();
    assert_eq!(names.len(), STATS_FIELDS.len());
}

/// The `OOM` record of `samples()` as a 2.0 module writes it: 688 bytes, minor 0, the record
/// ending after `zones`.
fn oom_2_0() -> (Oom, Vec<u8>) {
    let p = samples().remove(1);
    let Payload::Oom(o) = p else { unreachable!() };
    let mut buf = [0u8; MAX_RECORD_SIZE];
    encode(7, 8, 0, &p, &mut buf).unwrap();
    let mut rec = buf[..HEADER_SIZE + OOM_SIZE_2_0].to_vec();
    rec[0..4].copy_from_slice(&688u32.to_ne_bytes());
    rec[7] = 0;
    (o, rec)
}

#[test]
fn an_older_minors_shorter_record_decodes_with_the_new_fields_zero() {
    assert_eq!(RecordType::Oom.min_record_size(), 688);
    assert_eq!(RecordType::Oom.record_size(), 704);
    for t in [RecordType::Pressure, RecordType::Kill, RecordType::Lost] {
        assert_eq!(t.min_record_size(), t.record_size(), "{t:?}");
    }
    let (o, rec) = oom_2_0();
    let (h, p) = decode(&rec).unwrap();
    assert_eq!((h.size, h.abi_minor), (688, 0));
    assert!(!Oom::has_free_fields(h.size));
    assert!(Oom::has_free_fields(704) && Oom::has_free_fields(800));
    let want = Oom {
        free_ns: 0,
        blocks_freed: 0,
        span_us: 0,
        ..o
    };
    assert_eq!(p, Some(Payload::Oom(want)));
    // Without a span, the event ends at its time stamp.
    assert_eq!(want.end_ns(h.time_ns), h.time_ns);
}

#[test]
fn shorten_fits_a_record_into_an_older_minors_size() {
    let p = samples().remove(1);
    let Payload::Oom(o) = p else { unreachable!() };
    let mut buf = [0u8; MAX_RECORD_SIZE];
    let n = encode(7, 8, 0, &p, &mut buf).unwrap();
    // Fits already, or not even in 2.0's size: left alone.
    for room in [n, n + 1, 687, 48] {
        let mut b = buf;
        assert_eq!(shorten(&mut b, room), None, "{room}");
        assert_eq!(b, buf);
    }
    // 2.0's MAX_RECORD_SIZE: the 2.0 record, which every 2.x reader decodes.
    for room in [688, 700, 703] {
        let mut b = buf;
        assert_eq!(shorten(&mut b, room), Some(688), "{room}");
        let (h, back) = decode(&b[..688]).unwrap();
        assert_eq!((h.size, h.seq, h.abi_minor), (688, 7, ABI_MINOR));
        let want = Oom {
            free_ns: 0,
            blocks_freed: 0,
            span_us: 0,
            ..o
        };
        assert_eq!(back, Some(Payload::Oom(want)));
        // Only the size changed.
        assert_eq!(&b[4..688], &buf[4..688]);
    }
    // A type that never grew has no older size.
    let mut b = [0u8; MAX_RECORD_SIZE];
    let n = encode(0, 0, 0, &samples().remove(3), &mut b).unwrap();
    assert_eq!(shorten(&mut b, n - 1), None);
}

#[test]
fn span_us_counts_whole_microseconds_and_saturates() {
    assert_eq!(Oom::span_us_between(5_000, 5_000), 0);
    // Not later (a clock read on another CPU): no span, not a wrap.
    assert_eq!(Oom::span_us_between(5_000, 4_000), 0);
    assert_eq!(Oom::span_us_between(1_000, 1_999), 0);
    assert_eq!(Oom::span_us_between(1_000, 2_000), 1);
    assert_eq!(Oom::span_us_between(10, 412_000_010), 412_000);
    let max = u64::from(u32::MAX) * 1_000;
    assert_eq!(Oom::span_us_between(0, max + 999), u32::MAX);
    assert_eq!(Oom::span_us_between(0, max + 1_000), u32::MAX);
    assert_eq!(Oom::span_us_between(0, u64::MAX), u32::MAX);
    let o = Oom {
        span_us: 412_000,
        ..Oom::default()
    };
    assert_eq!(o.end_ns(1_000_000_000), 1_412_000_000);
    assert_eq!(o.end_ns(u64::MAX - 1), u64::MAX);
    let o = Oom {
        span_us: u32::MAX,
        ..Oom::default()
    };
    assert_eq!(o.end_ns(0), max);
}
