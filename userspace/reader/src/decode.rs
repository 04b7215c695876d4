//! Stream decoding: turns bytes from the device, a capture file or a FIFO into records.
//!
//! The device returns whole records from every `read()`, but a plain file or a FIFO may split a
//! record across reads, so [`StreamDecoder`] buffers what it was given until a whole record is
//! there. The record layout itself is decoded by [`oom_guard_core::abi::decode`]; nothing here
//! knows a field offset.
//!
//! Forward compatibility follows `docs/ABI.md`: records of an unknown type are skipped by their
//! `size`, records of a newer minor version are decoded as far as this reader knows them, and a
//! record of another major version stops decoding. Each unknown type and each newer minor
//! version produces one [`Warning`], not one per record.

use oom_guard_core::abi::{self, CodecError, Payload, RecordHeader, RecordType};
use std::collections::{BTreeSet, VecDeque};
use std::fmt;

/// The largest record size accepted from a newer minor version; anything larger is garbage.
pub const MAX_PLAUSIBLE_RECORD: usize = 64 * 1024;

/// One decoded record of a type this reader knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record {
    /// The record's header.
    pub header: RecordHeader,
    /// Its payload.
    pub payload: Payload,
}

impl Record {
    /// The record's type.
    pub fn rtype(&self) -> RecordType {
        self.payload.rtype()
    }

    /// Whether the producer had more zones than a record carries.
    pub fn zones_truncated(&self) -> bool {
        self.header.flags & abi::FLAG_ZONES_TRUNCATED != 0
    }
}

/// Something a decoder noticed once and tells the user about once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Warning {
    /// The first record of a type this reader does not know; such records are skipped.
    UnknownType {
        /// The raw type number.
        rtype: u16,
        /// Sequence number of the first such record.
        seq: u64,
    },
    /// The first record of a newer minor ABI version; fields added since are ignored.
    NewerMinor {
        /// The producer's minor version.
        minor: u8,
    },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownType { rtype, seq } => write!(
                f,
                "record type {rtype} (first at seq {seq}) is unknown to this reader \
                 (ABI {}.{}); skipping records of that type",
                abi::ABI_MAJOR,
                abi::ABI_MINOR
            ),
            Self::NewerMinor { minor } => write!(
                f,
                "the module writes ABI {}.{minor}, newer than this reader's {}.{}; \
                 fields added since are ignored",
                abi::ABI_MAJOR,
                abi::ABI_MAJOR,
                abi::ABI_MINOR
            ),
        }
    }
}

/// What [`StreamDecoder::next_item`] yields.
#[expect(
    clippy::large_enum_variant,
    reason = "records are nearly every item; boxing them would allocate per event"
)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Item {
    /// A record of a known type.
    Record(Record),
    /// A record of an unknown type, skipped; only its header is known.
    Skipped(RecordHeader),
    /// A forward-compatibility notice, yielded before the record that caused it.
    Warning(Warning),
}

/// Why a stream could not be decoded. Every variant carries the byte offset of the record in
/// the stream and the header bytes it failed on, printed in hex.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// A record of another major ABI version.
    #[error(
        "record at offset {offset}: ABI version {major}.{minor} is incompatible with this reader \
         (ABI {reader_major}.{reader_minor}); use an oom-guard built for that module",
        reader_major = abi::ABI_MAJOR,
        reader_minor = abi::ABI_MINOR
    )]
    Incompatible {
        /// Offset of the record in the stream.
        offset: u64,
        /// The producer's major version.
        major: u8,
        /// The producer's minor version.
        minor: u8,
    },
    /// A header whose `size` is impossible for its type (or for any record).
    #[error("record at offset {offset}: bad size {size} for type {rtype} (header {})", Hex(.header))]
    BadSize {
        /// Offset of the record in the stream.
        offset: u64,
        /// The `size` field.
        size: u32,
        /// The `type` field.
        rtype: u16,
        /// The header bytes.
        header: Vec<u8>,
    },
    /// The stream ended inside a record.
    #[error(
        "stream ends inside the record at offset {offset}: {have} of {need} bytes (starts {})",
        Hex(.bytes)
    )]
    Truncated {
        /// Offset of the record in the stream.
        offset: u64,
        /// Bytes present.
        have: usize,
        /// Bytes the record needs (the header size if the header itself is incomplete).
        need: usize,
        /// The first bytes present, at most a header's worth.
        bytes: Vec<u8>,
    },
}

/// Hex dump of a few bytes for error messages.
struct Hex<'a>(&'a [u8]);

impl fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            if i > 0 && i % 4 == 0 {
                f.write_str(" ")?;
            }
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// Decodes records from a byte stream delivered in arbitrary pieces.
#[derive(Debug, Default)]
pub struct StreamDecoder {
    /// Bytes received and not yet consumed start at `start`.
    buf: Vec<u8>,
    start: usize,
    /// Stream offset of `buf[start]`.
    offset: u64,
    /// Items decoded but not yet returned (a warning and its record).
    pending: VecDeque<Item>,
    /// Unknown record types already warned about.
    warned_types: BTreeSet<u16>,
    /// Newer minor versions already warned about.
    warned_minors: BTreeSet<u8>,
    /// Set once decoding failed: the stream cannot be resynchronised.
    failed: Option<DecodeError>,
}

impl StreamDecoder {
    /// An empty decoder at stream offset 0.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends bytes read from the stream.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.start > 0 && self.start >= self.buf.len() / 2 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// Stream offset of the next undecoded byte.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Bytes buffered and not yet decoded (part of a record still arriving).
    pub fn buffered(&self) -> usize {
        self.buf.len().saturating_sub(self.start)
    }

    /// The next item, or `None` if more bytes are needed. After an error every call returns
    /// the same error: a stream cannot be resynchronised after a bad header.
    pub fn next_item(&mut self) -> Result<Option<Item>, DecodeError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        if let Some(item) = self.pending.pop_front() {
            return Ok(Some(item));
        }
        match self.decode_one() {
            Ok(()) => Ok(self.pending.pop_front()),
            Err(e) => {
                self.failed = Some(e.clone());
                Err(e)
            }
        }
    }

    /// Checks that the stream ended on a record boundary.
    pub fn finish(&self) -> Result<(), DecodeError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let rest = self.rest();
        if rest.is_empty() {
            return Ok(());
        }
        let need = match abi::decode_header(rest) {
            Ok(h) => h.size as usize,
            Err(_) => abi::HEADER_SIZE,
        };
        Err(DecodeError::Truncated {
            offset: self.offset,
            have: rest.len(),
            need,
            bytes: rest.iter().take(abi::HEADER_SIZE).copied().collect(),
        })
    }

    fn rest(&self) -> &[u8] {
        self.buf.get(self.start..).unwrap_or_default()
    }

    /// Decodes the record at the front of the buffer into `pending`, if it is complete.
    fn decode_one(&mut self) -> Result<(), DecodeError> {
        let offset = self.offset;
        let rest = self.rest();
        if rest.len() < abi::HEADER_SIZE {
            return Ok(());
        }
        let header_bytes = || {
            rest.iter()
                .take(abi::HEADER_SIZE)
                .copied()
                .collect::<Vec<u8>>()
        };
        let h = match abi::decode_header(rest) {
            Ok(h) => h,
            Err(CodecError::Short) => return Ok(()),
            Err(_) => {
                let h = decode_header_unchecked(rest);
                return Err(DecodeError::BadSize {
                    offset,
                    size: h.0,
                    rtype: h.1,
                    header: header_bytes(),
                });
            }
        };
        if h.abi_major != abi::ABI_MAJOR {
            return Err(DecodeError::Incompatible {
                offset,
                major: h.abi_major,
                minor: h.abi_minor,
            });
        }
        let size = h.size as usize;
        if size > MAX_PLAUSIBLE_RECORD {
            return Err(DecodeError::BadSize {
                offset,
                size: h.size,
                rtype: h.rtype,
                header: header_bytes(),
            });
        }
        let Some(record) = rest.get(..size) else {
            // The rest of the record has not arrived yet.
            return Ok(());
        };
        let payload = match abi::decode(record) {
            Ok((_, payload)) => payload,
            Err(CodecError::Incompatible) => {
                return Err(DecodeError::Incompatible {
                    offset,
                    major: h.abi_major,
                    minor: h.abi_minor,
                })
            }
            Err(CodecError::BadSize | CodecError::Short) => {
                return Err(DecodeError::BadSize {
                    offset,
                    size: h.size,
                    rtype: h.rtype,
                    header: header_bytes(),
                })
            }
        };
        self.start += size;
        self.offset += size as u64;
        if h.abi_minor > abi::ABI_MINOR && self.warned_minors.insert(h.abi_minor) {
            self.pending
                .push_back(Item::Warning(Warning::NewerMinor { minor: h.abi_minor }));
        }
        match payload {
            Some(payload) => self
                .pending
                .push_back(Item::Record(Record { header: h, payload })),
            None => {
                if self.warned_types.insert(h.rtype) {
                    self.pending.push_back(Item::Warning(Warning::UnknownType {
                        rtype: h.rtype,
                        seq: h.seq,
                    }));
                }
                self.pending.push_back(Item::Skipped(h));
            }
        }
        Ok(())
    }
}

/// The `size` and `type` fields of a header that failed validation, for the error message.
fn decode_header_unchecked(bytes: &[u8]) -> (u32, u16) {
    let size = bytes
        .get(0..4)
        .and_then(|b| b.try_into().ok())
        .map_or(0, u32::from_ne_bytes);
    let rtype = bytes
        .get(4..6)
        .and_then(|b| b.try_into().ok())
        .map_or(0, u16::from_ne_bytes);
    (size, rtype)
}

/// Decodes a complete in-memory stream, for captures and tests.
pub fn decode_all(bytes: &[u8]) -> Result<Vec<Item>, DecodeError> {
    let mut d = StreamDecoder::new();
    d.push(bytes);
    let mut out = Vec::new();
    while let Some(item) = d.next_item()? {
        out.push(item);
    }
    d.finish()?;
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests {
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
            }),
            Payload::Pool(Pool {
                op: PoolOp::Release as u8,
                reserved: [0; 7],
                pages: 256,
                pool_pages: 3840,
                target_pages: 4096,
            }),
            Payload::Kill(Kill {
                kills: 1,
                victim_pid: 0,
                reserved: 0,
                victim_comm: [0; COMM_LEN],
                victim_rss_kib: 0,
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
    pub(crate) fn patched(
        seq: u64,
        payload: &Payload,
        rtype: u16,
        minor: u8,
        extra: usize,
    ) -> Vec<u8> {
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
        assert!(Warning::NewerMinor { minor: 4 }.to_string().contains("1.4"));
    }

    #[test]
    fn incompatible_major_stops_with_the_offset() {
        let pool = samples()[2];
        let mut bytes = encoded(0, &pool);
        let first = bytes.len() as u64;
        let mut bad = encoded(1, &pool);
        bad[6] = 2;
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
                major: 2,
                minor: ABI_MINOR
            }
        );
        let msg = e.to_string();
        assert!(
            msg.contains(&format!("ABI version 2.{ABI_MINOR} is incompatible")),
            "{msg}"
        );
        assert!(msg.contains("offset 64"), "{msg}");
        // It stays failed: no resynchronisation on garbage.
        assert_eq!(d.next_item().unwrap_err(), e);
        assert_eq!(d.finish().unwrap_err(), e);
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
}
