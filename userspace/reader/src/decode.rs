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
    /// A record of this reader's ABI version: sequence number `seq`, taken at `time_ns`
    /// (`CLOCK_MONOTONIC`), with `payload` and the size its type has.
    pub fn new(seq: u64, time_ns: u64, payload: Payload) -> Self {
        Self {
            header: RecordHeader {
                size: payload.rtype().record_size() as u32,
                rtype: payload.rtype() as u16,
                abi_major: abi::ABI_MAJOR,
                abi_minor: abi::ABI_MINOR,
                flags: 0,
                reserved: 0,
                seq,
                time_ns,
            },
            payload,
        }
    }

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
    /// Bytes that are not a record header of any ABI version: random data, a text file, a
    /// stream cut in the middle of a record.
    #[error(
        "record at offset {offset}: not an oom_guard record stream (no plausible record header: {})",
        Hex(.header)
    )]
    NotRecords {
        /// Offset of the bytes in the stream.
        offset: u64,
        /// The bytes where a header should be.
        header: Vec<u8>,
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
            if !plausible_header(&h) {
                return Err(DecodeError::NotRecords {
                    offset,
                    header: header_bytes(),
                });
            }
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

/// Whether a header of another major version could be a real record: a major version other than
/// 0 and a size a record could have (a multiple of 8, every record's alignment, up to
/// [`MAX_PLAUSIBLE_RECORD`]). Random bytes pass with a chance of about 1 in 500 000; those that
/// fail are not records at all, rather than records of another ABI.
fn plausible_header(h: &RecordHeader) -> bool {
    let size = h.size as usize;
    h.abi_major != 0 && size % 8 == 0 && (abi::HEADER_SIZE..=MAX_PLAUSIBLE_RECORD).contains(&size)
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
pub(crate) mod tests;
