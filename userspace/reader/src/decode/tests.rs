use super::*;
use oom_guard_core::abi::*;

/// One sample record of each known type, as the formatting tests use them too.
pub(crate) fn samples() -> Vec<Payload> {
    let mut zones = [ZoneSnapshot::default(); MAX_ZONES];
    zones[0] = ZoneSnapshot {
        node: 0,
        zone_idx: 1,
        state: ZoneState::AboveHigh as u8,
        reserved: 0,
        name: fixed_name(b"DMA32"),
        free: 200_000,
        min: 1000,
        low: 1250,
        high: 1500,
        boost: 0,
        reserve: 0,
        managed: 500_000,
    };
    zones[1] = ZoneSnapshot {
        node: 0,
        zone_idx: 2,
        state: ZoneState::BelowLow as u8,
        reserved: 0,
        name: fixed_name(b"Normal"),
        free: 2600,
        min: 2048,
        low: 2560,
        high: 3072,
        boost: 12,
        reserve: 30,
        managed: 1_000_000,
    };
    vec![
        Payload::Pressure(Pressure {
            source: 1,
            old_level: Level::Ok as u8,
            new_level: Level::Low as u8,
            reserved: 0,
            nr_zones: 2,
            free_pages: 202_600,
            available_pages: 300_000,
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
            free_pages: 1500,
            available_pages: 2000,
            pool_before: 4096,
            pool_after: 3840,
            freed_reported: 256,
            callback_ns: 15_200,
            averts_left: 7,
            nr_zones: 2,
            zones,
            free_ns: 9_100,
            blocks_freed: 4,
            span_us: 0,
        }),
        Payload::Pool(Pool {
            op: PoolOp::Release as u8,
            reserved: [0; 7],
            pages: 256,
            pool_pages: 3840,
            target_pages: 4096,
        }),
        // Count-only: a kernel without the victim probe.
        Payload::Kill(Kill {
            kills: 1,
            ..Kill::default()
        }),
        Payload::Lost(Lost {
            count: 17,
            first_seq: 29,
        }),
        Payload::Headroom(Headroom {
            old_level: HeadroomLevel::Low as u8,
            new_level: HeadroomLevel::Medium as u8,
            wm_level: Level::Low as u8,
            wm_state: ZoneState::BelowLow as u8,
            reserved: 0,
            free_pages: 202_600,
            available_pages: 150_000,
            total_pages: 1_500_000,
            low_pages: 300_000,
            medium_pages: 150_001,
            critical_pages: 75_000,
            floor_pages: 3078,
            fall_rate: 256,
            tte_ms: 573_906,
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
            free_pages: 2000,
            available_pages: 5000,
        }),
    ]
}

/// Encodes `payload` as record `seq`.
pub(crate) fn encoded(seq: u64, payload: &Payload) -> Vec<u8> {
    let mut buf = vec![0u8; MAX_RECORD_SIZE];
    let n = encode(seq, 1_000_000_000 + seq * 1000, 0, payload, &mut buf).unwrap();
    buf.truncate(n);
    buf
}

/// All samples as one stream, seq 0, 1, ….
pub(crate) fn stream() -> Vec<u8> {
    samples()
        .iter()
        .enumerate()
        .flat_map(|(i, p)| encoded(i as u64, p))
        .collect()
}

/// A record of raw type `rtype` and version 1.`minor`, `extra` bytes longer than needed.
pub(crate) fn patched(seq: u64, payload: &Payload, rtype: u16, minor: u8, extra: usize) -> Vec<u8> {
    let mut b = encoded(seq, payload);
    b.resize(b.len() + extra, 0xee);
    let size = u32::try_from(b.len()).unwrap();
    b[0..4].copy_from_slice(&size.to_ne_bytes());
    b[4..6].copy_from_slice(&rtype.to_ne_bytes());
    b[7] = minor;
    b
}

pub(crate) fn records(items: &[Item]) -> Vec<Record> {
    items
        .iter()
        .filter_map(|i| match i {
            Item::Record(r) => Some(*r),
            _ => None,
        })
        .collect()
}

#[test]
fn decodes_every_type_in_order() {
    let items = decode_all(&stream()).unwrap();
    let recs = records(&items);
    assert_eq!(
        items.len(),
        recs.len(),
        "no warnings for a stream of this version"
    );
    let want = samples();
    assert_eq!(recs.len(), want.len());
    for (i, (r, p)) in recs.iter().zip(&want).enumerate() {
        assert_eq!(r.header.seq, i as u64);
        assert_eq!(r.header.time_ns, 1_000_000_000 + i as u64 * 1000);
        assert_eq!(&r.payload, p);
    }
}

#[test]
fn records_split_at_every_byte_boundary() {
    let bytes = stream();
    let whole = decode_all(&bytes).unwrap();
    for chunk in [1, 2, 3, 7, 31, 32, 33, 47, 100, 631, 689, 4096] {
        let mut d = StreamDecoder::new();
        let mut got = Vec::new();
        for piece in bytes.chunks(chunk) {
            d.push(piece);
            while let Some(item) = d.next_item().unwrap() {
                got.push(item);
            }
        }
        d.finish().unwrap();
        assert_eq!(got, whole, "chunk size {chunk}");
        assert_eq!(d.offset(), bytes.len() as u64);
        assert_eq!(d.buffered(), 0);
    }
}

#[test]
fn unknown_types_are_skipped_with_one_warning_per_type() {
    let pool = samples()[2];
    let mut bytes = Vec::new();
    bytes.extend(patched(0, &pool, 9, 0, 8));
    bytes.extend(encoded(1, &pool));
    bytes.extend(patched(2, &pool, 9, 0, 0));
    bytes.extend(patched(3, &pool, 10, 0, 0));
    bytes.extend(encoded(4, &pool));
    let items = decode_all(&bytes).unwrap();
    let warnings: Vec<_> = items
        .iter()
        .filter_map(|i| match i {
            Item::Warning(w) => Some(*w),
            _ => None,
        })
        .collect();
    assert_eq!(
        warnings,
        [
            Warning::UnknownType { rtype: 9, seq: 0 },
            Warning::UnknownType { rtype: 10, seq: 3 }
        ]
    );
    let skipped: Vec<u64> = items
        .iter()
        .filter_map(|i| match i {
            Item::Skipped(h) => Some(h.seq),
            _ => None,
        })
        .collect();
    assert_eq!(skipped, [0, 2, 3]);
    let seqs: Vec<u64> = records(&items).iter().map(|r| r.header.seq).collect();
    assert_eq!(seqs, [1, 4]);
    // The warning comes before the record that caused it.
    assert!(matches!(items[0], Item::Warning(_)));
    assert!(matches!(items[1], Item::Skipped(_)));
}

#[test]
fn newer_minor_is_decoded_with_one_warning() {
    let samples = samples();
    let mut bytes = Vec::new();
    for (i, p) in samples.iter().enumerate() {
        bytes.extend(patched(i as u64, p, p.rtype() as u16, ABI_MINOR + 1, 24));
    }
    let items = decode_all(&bytes).unwrap();
    assert_eq!(
        items[0],
        Item::Warning(Warning::NewerMinor {
            minor: ABI_MINOR + 1
        })
    );
    let recs = records(&items);
    assert_eq!(items.len(), recs.len() + 1, "exactly one warning");
    for (r, p) in recs.iter().zip(&samples) {
        assert_eq!(&r.payload, p, "appended fields are ignored");
        assert_eq!(r.header.abi_minor, ABI_MINOR + 1);
    }
    assert!(Warning::NewerMinor { minor: 4 }.to_string().contains("2.4"));
}

#[test]
fn incompatible_major_stops_with_the_offset() {
    let pool = samples()[2];
    let mut bytes = encoded(0, &pool);
    let first = bytes.len() as u64;
    let mut bad = encoded(1, &pool);
    bad[6] = ABI_MAJOR + 1;
    bytes.extend(bad);
    bytes.extend(encoded(2, &pool));
    let mut d = StreamDecoder::new();
    d.push(&bytes);
    assert!(matches!(d.next_item(), Ok(Some(Item::Record(_)))));
    let e = d.next_item().unwrap_err();
    assert_eq!(
        e,
        DecodeError::Incompatible {
            offset: first,
            major: ABI_MAJOR + 1,
            minor: ABI_MINOR
        }
    );
    let msg = e.to_string();
    assert!(
        msg.contains(&format!(
            "ABI version {}.{ABI_MINOR} is incompatible",
            ABI_MAJOR + 1
        )),
        "{msg}"
    );
    assert!(msg.contains("offset 64"), "{msg}");
    // It stays failed: no resynchronisation on garbage.
    assert_eq!(d.next_item().unwrap_err(), e);
    assert_eq!(d.finish().unwrap_err(), e);
}

#[test]
fn bytes_that_are_not_records_are_not_an_incompatible_abi() {
    // Text, and a header with an odd size and major 0: no record of any ABI version.
    for bytes in [
        b"this is a text file, not a capture of /dev/oom_guard records".to_vec(),
        {
            let mut b = encoded(0, &samples()[2]);
            b[0..4].copy_from_slice(&61u32.to_ne_bytes());
            b[6] = 7;
            b
        },
        {
            let mut b = encoded(0, &samples()[2]);
            b[6] = 0;
            b
        },
    ] {
        let e = decode_all(&bytes).unwrap_err();
        assert!(
            matches!(e, DecodeError::NotRecords { offset: 0, .. }),
            "{e:?}"
        );
        assert!(
            e.to_string().contains("not an oom_guard record stream"),
            "{e}"
        );
    }
}

#[test]
fn bad_sizes_carry_the_header_bytes() {
    let pool = samples()[2];
    // Smaller than a header.
    let mut b = encoded(0, &pool);
    b[0..4].copy_from_slice(&8u32.to_ne_bytes());
    let e = decode_all(&b).unwrap_err();
    assert!(matches!(
        e,
        DecodeError::BadSize {
            offset: 0,
            size: 8,
            rtype: 3,
            ..
        }
    ));
    assert!(e.to_string().contains("(header 08000000 0300"), "{e}");
    // Smaller than its known type needs.
    let mut b = encoded(0, &pool);
    b[0..4].copy_from_slice(&40u32.to_ne_bytes());
    assert!(matches!(
        decode_all(&b).unwrap_err(),
        DecodeError::BadSize { size: 40, .. }
    ));
    // Implausibly large: not buffered forever.
    let mut b = encoded(0, &pool);
    b[0..4].copy_from_slice(&u32::MAX.to_ne_bytes());
    assert!(matches!(
        decode_all(&b).unwrap_err(),
        DecodeError::BadSize { size: u32::MAX, .. }
    ));
}

#[test]
fn truncated_stream_is_an_error_at_the_end() {
    let bytes = stream();
    let cut = bytes.len() - 5;
    let mut d = StreamDecoder::new();
    d.push(&bytes[..cut]);
    let mut n = 0;
    while let Some(Item::Record(_)) = d.next_item().unwrap() {
        n += 1;
    }
    assert_eq!(n, 6);
    let e = d.finish().unwrap_err();
    let DecodeError::Truncated {
        offset,
        have,
        need,
        bytes: head,
    } = &e
    else {
        panic!("{e:?}");
    };
    assert_eq!((*have, *need), (75, 80));
    assert_eq!(*offset, (cut - 75) as u64);
    assert_eq!(head.len(), 32);
    // A partial header.
    let mut d = StreamDecoder::new();
    d.push(&bytes[..10]);
    assert_eq!(d.next_item().unwrap(), None);
    assert!(matches!(
        d.finish().unwrap_err(),
        DecodeError::Truncated {
            have: 10,
            need: 32,
            ..
        }
    ));
}

#[test]
fn an_abi_2_0_oom_record_decodes_without_the_2_1_fields() {
    // What a 2.0 module writes: the OOM record ends after `zones` (688 bytes), minor 0.
    let Payload::Oom(mut o) = samples()[1] else {
        unreachable!()
    };
    o.span_us = 412_000;
    let oom = Payload::Oom(o);
    let mut buf = vec![0u8; MAX_RECORD_SIZE];
    let n = abi::encode(3, 4, 0, &oom, &mut buf).unwrap();
    assert_eq!(n, 704);
    buf.truncate(688);
    buf[0..4].copy_from_slice(&688u32.to_ne_bytes());
    buf[7] = 0;
    let items = decode_all(&buf).unwrap();
    let [Item::Record(r)] = items.as_slice() else {
        panic!("{items:?}")
    };
    assert_eq!((r.header.size, r.header.abi_minor), (688, 0));
    let Payload::Oom(mut want) = oom else {
        unreachable!()
    };
    (want.free_ns, want.blocks_freed, want.span_us) = (0, 0, 0);
    assert_eq!(r.payload, Payload::Oom(want));
    // A size between 2.0's and 2.1's is no record any version writes.
    buf.resize(696, 0);
    buf[0..4].copy_from_slice(&696u32.to_ne_bytes());
    assert!(matches!(
        decode_all(&buf),
        Err(DecodeError::BadSize { size: 696, .. })
    ));
}
