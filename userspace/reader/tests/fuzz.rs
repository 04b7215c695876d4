//! A bounded fuzz test (issue 16) over the decoder, every format and every sink's message
//! builder.
//!
//! For a budget of CPU time (`OOM_GUARD_FUZZ_SECONDS`, default 20, shared out over up to four
//! worker threads: 10 s of wall time on two CPUs) it generates byte streams — mostly valid
//! records of every type with random fields and hostile names, concatenated and then mutated
//! (bit flips, bytes set to NUL/0xff/ESC/newline/quote/backslash, truncation, splicing,
//! insertions, deletions, names overwritten, header `size`/`type`/version/flags set to odd
//! values), plus purely random bytes — and checks:
//!
//! - [`decode_all`] and a [`StreamDecoder`] fed the same bytes in random-sized pieces agree
//!   (same items, or the same error), neither panics nor loops, and a failed stream stays failed;
//! - every record decoded goes through `format::line` and `format::body` in text, JSON and
//!   logfmt, with and without an `--enrich` snapshot (taken from fixture `/proc` trees with
//!   hostile process names), and through `sink::journal_message`, `sink::syslog_message`,
//!   `sink::kmsg_lines` and `hooks::hook_env`;
//! - what `format/escape.rs` promises holds everywhere: no line, message, field or environment
//!   value carries a control character (C0, DEL, C1, newline included), a line or paragraph
//!   separator or a bidirectional override; JSON lines parse to an object with exactly the
//!   record's fields and values; logfmt lines split into exactly the record's flattened fields;
//!   journald datagrams are well framed, need no binary field and carry the same fields; kmsg
//!   lines fit in [`KMSG_LINE_MAX`] bytes and join back to the message; hook variables have no
//!   NUL.
//!
//! The run's seed is printed (to stderr, also when the test passes). Every case is generated
//! from the seed and its number alone, so a failure prints the seed, the case number and the
//! input in hex, and either replays it: `OOM_GUARD_FUZZ_SEED=S OOM_GUARD_FUZZ_CASE=N` runs only
//! case N of seed S; adding `OOM_GUARD_FUZZ_INPUT=HEX` uses those bytes instead of the
//! generated ones (which survives changes to the generator, and can be cut down by hand).

mod common;

use common::TempDir;
use oom_guard::decode::{decode_all, DecodeError, Item, Record, StreamDecoder};
use oom_guard::enrich::{self, EnrichOptions, Enricher, Snapshot};
use oom_guard::format::{self, Extra, Field, Format, FormatOptions, Value};
use oom_guard::hooks::hook_env;
use oom_guard::sink::{self, KMSG_LINE_MAX};
use oom_guard_core::abi::{
    self, Headroom, HeadroomLevel, Kill, Level, Lost, Oom, OomAction, Payload, Pool, PoolOp,
    Pressure, Reclaim, ReclaimPhase, RecordType, ZoneSnapshot, ZoneState, COMM_LEN, HEADER_SIZE,
    KILL_EXITING, KILL_GLOBAL, KILL_GROUP, KILL_MEMCG, KILL_VICTIM, MAX_ZONES, RECLAIM_DIRECT,
    RECLAIM_KSWAPD, TTE_UNKNOWN, ZONE_NAME_LEN,
};
use std::fmt::Write as _;
use std::io::Write as _;
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The budget without `OOM_GUARD_FUZZ_SECONDS`: CPU seconds, over all workers.
const DEFAULT_SECONDS: f64 = 20.0;
/// Cases run whatever the budget, so the coverage checks at the end mean something.
const MIN_CASES: u64 = 300;
const FORMATS: [Format; 3] = [Format::Text, Format::Json, Format::Logfmt];
const TYPES: [RecordType; 7] = [
    RecordType::Pressure,
    RecordType::Oom,
    RecordType::Pool,
    RecordType::Kill,
    RecordType::Lost,
    RecordType::Headroom,
    RecordType::Reclaim,
];

// Header field offsets (`RecordHeader` is `repr(C)`, 32 bytes, documented in docs/ABI.md).
const SIZE_AT: usize = 0;
const TYPE_AT: usize = 4;
const MAJOR_AT: usize = 6;
const MINOR_AT: usize = 7;
const FLAGS_AT: usize = 8;
const _: () = assert!(HEADER_SIZE == 32);

// ---------------------------------------------------------------------------------------------
// The generator.

/// splitmix64: small, fast, and every seed (0 included) gives a good sequence.
#[derive(Clone, Debug)]
struct Rng(u64);

/// Numbers that find edge cases: zero, one, powers of two and their neighbours, the limits.
#[rustfmt::skip]
const INTERESTING: [u64; 24] = [
    0, 1, 2, 3, 7, 8, 100, 255, 256, 1023, 1024, 4095, 4096, 65_535, 65_536, 1 << 31,
    u32::MAX as u64, 1 << 32, 1 << 53, i64::MAX as u64, 1 << 63, (1 << 63) + 1, u64::MAX - 1,
    u64::MAX,
];

/// What names are made of: plain words, every kind of character escaping must catch, the
/// characters formats quote, bytes that are not UTF-8 and cut UTF-8 sequences.
#[rustfmt::skip]
const NAME_PIECES: &[&[u8]] = &[
    b"a", b"Z", b"0", b"memhog", b"kworker/0:1", b"Web Content", b" ", b"\"", b"\\", b"=", b":",
    b",", b";", b"(", b")", b"[", b"]", b"{", b"}", b"<3>", b"[ 1.0] x", b"MESSAGE=x", b"%s%n",
    // Controls, bytes that are not UTF-8, cut sequences.
    b"\n", b"\r", b"\t", b"\x0b", b"\x00", b"\x01", b"\x1b", b"\x1b[31m", b"\x7f", b"\x80",
    b"\x9b", b"\xc3", b"\xe2\x80", b"\xf0\x9f\x98", b"\xff",
    // UTF-8: plain, C1 controls, separators, bidirectional overrides, marks, an emoji.
    "é".as_bytes(), "\u{85}".as_bytes(), "\u{9b}".as_bytes(), "\u{2028}".as_bytes(),
    "\u{2029}".as_bytes(), "\u{202a}".as_bytes(), "\u{202e}".as_bytes(), "\u{2066}".as_bytes(),
    "\u{2069}".as_bytes(), "\u{200f}".as_bytes(), "\u{feff}".as_bytes(), "\u{fffd}".as_bytes(),
    "\u{1f600}".as_bytes(),
];

/// Bytes a single-byte mutation writes.
const HOSTILE_BYTES: [u8; 16] = [
    0x00, 0xff, 0x1b, b'\n', b'\r', b'"', b'\\', b'=', b' ', b':', 0x7f, 0x80, 0xc2, 0xe2, 0x01,
    0x08,
];

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 if `n` is 0).
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    /// True once in `n` times.
    fn one_in(&mut self, n: u64) -> bool {
        self.next() % n == 0
    }

    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())]
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }

    /// A number for a record field: often an interesting one, else small, else any.
    fn num(&mut self) -> u64 {
        match self.below(5) {
            0 | 1 => self.pick(&INTERESTING),
            2 => self.below(100_000) as u64,
            3 => self.next() >> self.below(64),
            _ => self.next(),
        }
    }

    /// A raw enum value: mostly a valid one, sometimes anything.
    fn raw(&mut self, valid: &[u8]) -> u8 {
        if self.one_in(6) {
            self.next() as u8
        } else {
            self.pick(valid)
        }
    }

    /// The bytes of a name, up to `max` long (NULs inside, bytes after them, or none at all).
    fn name_bytes(&mut self, max: usize) -> Vec<u8> {
        if self.one_in(5) {
            let n = self.below(max + 1);
            return self.bytes(n);
        }
        let want = self.below(max + 5);
        let mut out = Vec::new();
        while out.len() < want {
            out.extend_from_slice(self.pick(NAME_PIECES));
        }
        out.truncate(max);
        out
    }

    /// A NUL-padded name field.
    fn name<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        for (o, b) in out.iter_mut().zip(self.name_bytes(N)) {
            *o = b;
        }
        out
    }

    fn zone(&mut self) -> ZoneSnapshot {
        ZoneSnapshot {
            node: if self.one_in(8) {
                self.next() as u16
            } else {
                self.below(4) as u16
            },
            zone_idx: self.raw(&[0, 1, 2, 3, 4]),
            state: self.raw(&[
                ZoneState::AboveHigh as u8,
                ZoneState::BelowHigh as u8,
                ZoneState::BelowLow as u8,
                ZoneState::BelowMin as u8,
            ]),
            reserved: 0,
            name: self.name::<ZONE_NAME_LEN>(),
            free: self.num(),
            min: self.num(),
            low: self.num(),
            high: self.num(),
            boost: self.num(),
            reserve: self.num(),
            managed: self.num(),
        }
    }

    /// `nr_zones` (sometimes more than a record holds) and the zones.
    fn zones(&mut self) -> (u32, [ZoneSnapshot; MAX_ZONES]) {
        let n = if self.one_in(8) {
            self.num() as u32
        } else {
            self.below(MAX_ZONES + 1) as u32
        };
        let mut zones = [ZoneSnapshot::default(); MAX_ZONES];
        for (i, z) in zones.iter_mut().enumerate() {
            if (i as u64) < u64::from(n) || self.one_in(6) {
                *z = self.zone();
            }
        }
        (n, zones)
    }

    fn level(&mut self) -> u8 {
        self.raw(&[Level::Ok as u8, Level::Low as u8, Level::Min as u8])
    }

    fn headroom(&mut self) -> u8 {
        self.raw(&[
            HeadroomLevel::Plenty as u8,
            HeadroomLevel::Low as u8,
            HeadroomLevel::Medium as u8,
            HeadroomLevel::Critical as u8,
        ])
    }

    fn tte(&mut self) -> u64 {
        if self.one_in(3) {
            TTE_UNKNOWN
        } else {
            self.num()
        }
    }

    /// A payload of type `t` with random fields.
    fn payload(&mut self, t: RecordType) -> Payload {
        match t {
            RecordType::Pressure => {
                let (nr_zones, zones) = self.zones();
                Payload::Pressure(Pressure {
                    source: self.raw(&[1]),
                    old_level: self.level(),
                    new_level: self.level(),
                    reserved: 0,
                    nr_zones,
                    free_pages: self.num(),
                    available_pages: self.num(),
                    zones,
                    headroom: self.headroom(),
                    reserved2: [0; 7],
                    fall_rate: self.num(),
                    tte_ms: self.tte(),
                })
            }
            RecordType::Oom => {
                let (nr_zones, zones) = self.zones();
                Payload::Oom(Oom {
                    action: self.raw(&[
                        OomAction::Observe as u8,
                        OomAction::Avert as u8,
                        OomAction::BudgetSpent as u8,
                        OomAction::PoolEmpty as u8,
                        OomAction::KillPending as u8,
                        OomAction::PoolShort as u8,
                    ]),
                    level: self.level(),
                    calls: self.num() as u16,
                    pid: self.num() as u32,
                    comm: self.name::<COMM_LEN>(),
                    free_pages: self.num(),
                    available_pages: self.num(),
                    pool_before: self.num(),
                    pool_after: self.num(),
                    freed_reported: self.num(),
                    callback_ns: self.num(),
                    averts_left: self.num() as u32,
                    nr_zones,
                    zones,
                    free_ns: self.num(),
                    blocks_freed: self.num() as u32,
                    span_us: self.num() as u32,
                })
            }
            RecordType::Pool => Payload::Pool(Pool {
                op: self.raw(&[
                    PoolOp::Release as u8,
                    PoolOp::Refill as u8,
                    PoolOp::RefillFailed as u8,
                ]),
                reserved: [0; 7],
                pages: self.num(),
                pool_pages: self.num(),
                target_pages: self.num(),
            }),
            RecordType::Kill => Payload::Kill(Kill {
                kills: self.num(),
                victim_pid: self.num() as u32,
                victim_tgid: self.num() as u32,
                victim_uid: self.num() as u32,
                oom_score_adj: self.num() as i16,
                // Mostly the flags a kernel writes: count only, or a global or memcg victim,
                // killed or exiting, perhaps a group member; sometimes any bits.
                flags: if self.one_in(6) {
                    self.next() as u16
                } else {
                    u16::from(self.raw(&[
                        0,
                        (KILL_VICTIM | KILL_GLOBAL) as u8,
                        (KILL_VICTIM | KILL_MEMCG) as u8,
                        (KILL_VICTIM | KILL_GLOBAL | KILL_EXITING) as u8,
                        (KILL_VICTIM | KILL_MEMCG | KILL_GROUP) as u8,
                        KILL_VICTIM as u8,
                    ]))
                },
                victim_comm: self.name::<COMM_LEN>(),
                victim_rss_kib: self.num(),
                anon_kib: self.num(),
                file_kib: self.num(),
                shmem_kib: self.num(),
                pgtables_kib: self.num(),
                cgroup_id: self.num(),
                select_ns: self.num(),
                notifier_action: self.raw(&[
                    OomAction::Observe as u8,
                    OomAction::Avert as u8,
                    OomAction::KillPending as u8,
                    OomAction::PoolShort as u8,
                ]),
                reserved: [0; 7],
            }),
            RecordType::Lost => Payload::Lost(Lost {
                count: self.num(),
                first_seq: self.num(),
            }),
            RecordType::Headroom => Payload::Headroom(Headroom {
                old_level: self.headroom(),
                new_level: self.headroom(),
                wm_level: self.level(),
                wm_state: self.raw(&[0, 1, 2, 3]),
                reserved: 0,
                free_pages: self.num(),
                available_pages: self.num(),
                total_pages: self.num(),
                low_pages: self.num(),
                medium_pages: self.num(),
                critical_pages: self.num(),
                floor_pages: self.num(),
                fall_rate: self.num(),
                tte_ms: self.tte(),
            }),
            RecordType::Reclaim => Payload::Reclaim(Reclaim {
                phase: self.raw(&[
                    ReclaimPhase::Onset as u8,
                    ReclaimPhase::Direct as u8,
                    ReclaimPhase::End as u8,
                ]),
                who: self.raw(&[
                    0,
                    RECLAIM_KSWAPD,
                    RECLAIM_DIRECT,
                    RECLAIM_KSWAPD | RECLAIM_DIRECT,
                ]),
                wm_level: self.level(),
                headroom: self.headroom(),
                reserved: 0,
                kswapd_calls: self.num(),
                direct_calls: self.num(),
                duration_ms: self.num(),
                free_pages: self.num(),
                available_pages: self.num(),
            }),
        }
    }
}

/// Where the name fields of each record type are, found by encoding names of a marker byte (so
/// nothing here knows a payload offset).
struct Layout {
    names: Vec<Vec<(usize, usize)>>,
}

impl Layout {
    fn new() -> Self {
        const M: u8 = 0xa5;
        // `TYPES[i]` is type `i + 1`: `names` and the per-type counts are indexed so.
        assert!(TYPES.iter().enumerate().all(|(i, t)| *t as usize == i + 1));
        let zones = [ZoneSnapshot {
            name: [M; ZONE_NAME_LEN],
            ..ZoneSnapshot::default()
        }; MAX_ZONES];
        let names = TYPES
            .iter()
            .map(|t| {
                let (p, want) = match t {
                    RecordType::Pressure => (
                        Payload::Pressure(Pressure {
                            zones,
                            ..Pressure::default()
                        }),
                        MAX_ZONES,
                    ),
                    RecordType::Oom => (
                        Payload::Oom(Oom {
                            comm: [M; COMM_LEN],
                            zones,
                            ..Oom::default()
                        }),
                        MAX_ZONES + 1,
                    ),
                    RecordType::Kill => (
                        Payload::Kill(Kill {
                            victim_comm: [M; COMM_LEN],
                            ..Kill::default()
                        }),
                        1,
                    ),
                    _ => return Vec::new(),
                };
                let bytes = encode(&p, 0, 0, 0);
                let mut runs = Vec::new();
                let mut i = 0;
                while i < bytes.len() {
                    let n = bytes[i..].iter().take_while(|b| **b == M).count();
                    if n > 0 {
                        runs.push((i, n));
                    }
                    i += n.max(1);
                }
                assert_eq!(runs.len(), want, "name fields of {t:?}: {runs:?}");
                runs
            })
            .collect();
        Self { names }
    }

    fn names(&self, t: RecordType) -> &[(usize, usize)] {
        &self.names[t as usize - 1]
    }
}

fn encode(p: &Payload, seq: u64, time_ns: u64, flags: u32) -> Vec<u8> {
    let mut buf = vec![0u8; abi::MAX_RECORD_SIZE];
    let n = abi::encode(seq, time_ns, flags, p, &mut buf).expect("every payload encodes");
    buf.truncate(n);
    buf
}

fn set_size(rec: &mut [u8], size: usize) {
    rec[SIZE_AT..SIZE_AT + 4].copy_from_slice(&(size as u32).to_ne_bytes());
}

/// A stream being built: its bytes, where its records start (and how long they were) and
/// where their name fields are.
#[derive(Default)]
struct Stream {
    bytes: Vec<u8>,
    records: Vec<(usize, usize)>,
    names: Vec<(usize, usize)>,
}

impl Stream {
    /// Appends one record of a random type, mostly as this ABI writes it, sometimes as a newer
    /// minor version writes it, of an unknown type, or with a random body.
    fn push_record(&mut self, rng: &mut Rng, layout: &Layout) {
        let t = rng.pick(&TYPES);
        let p = rng.payload(t);
        let flags = match rng.below(6) {
            0 => abi::FLAG_ZONES_TRUNCATED,
            1 => rng.next() as u32,
            _ => 0,
        };
        let time_ns = if rng.one_in(2) {
            // Around now, so wall-clock timestamps are real ones.
            5_000_000_000 + rng.below(1 << 40) as u64
        } else {
            rng.num()
        };
        let mut rec = encode(&p, rng.num(), time_ns, flags);
        let mut names = true;
        match rng.below(14) {
            0 | 1 => {
                // A newer minor version with fields this reader does not know.
                rec[MINOR_AT] =
                    abi::ABI_MINOR + 1 + rng.below(usize::from(u8::MAX - abi::ABI_MINOR)) as u8;
                let extra = 8 * rng.below(9);
                rec.extend(rng.bytes(extra));
                let n = rec.len();
                set_size(&mut rec, n);
            }
            2 => {
                // A type this reader does not know.
                let rtype = if rng.one_in(2) {
                    8 + rng.below(8) as u16
                } else {
                    rng.next() as u16
                };
                rec[TYPE_AT..TYPE_AT + 2].copy_from_slice(&rtype.to_ne_bytes());
                let n = HEADER_SIZE
                    + if rng.one_in(2) {
                        8 * rng.below(100)
                    } else {
                        rng.below(800)
                    };
                rec.resize(HEADER_SIZE, 0);
                rec.extend(rng.bytes(n - HEADER_SIZE));
                set_size(&mut rec, n);
                names = RecordType::from_raw(rtype).is_some();
            }
            3 => {
                // A random body: every field anything.
                let n = rec.len();
                rec.truncate(HEADER_SIZE);
                rec.extend(rng.bytes(n - HEADER_SIZE));
            }
            _ => {}
        }
        let start = self.bytes.len();
        if names {
            for &(at, n) in layout.names(t) {
                if at + n <= rec.len() {
                    self.names.push((start + at, n));
                }
            }
        }
        self.records.push((start, rec.len()));
        self.bytes.extend(rec);
    }

    /// One random mutation.
    fn mutate(&mut self, rng: &mut Rng, other: &[u8]) {
        let len = self.bytes.len();
        match rng.below(11) {
            0 => {
                if len > 0 {
                    let i = rng.below(len);
                    self.bytes[i] ^= 1 << rng.below(8);
                }
            }
            1 => {
                if len > 0 {
                    let i = rng.below(len);
                    self.bytes[i] = rng.pick(&HOSTILE_BYTES);
                }
            }
            2 => {
                let n = rng.below(len + 1);
                self.bytes.truncate(n);
            }
            3 => {
                // Splice a piece of another stream in, inserted or over what is here.
                if !other.is_empty() {
                    let a = rng.below(other.len());
                    let b = a + rng.below(other.len() - a + 1);
                    let at = rng.below(len + 1);
                    if rng.one_in(2) {
                        self.bytes.splice(at..at, other[a..b].iter().copied());
                    } else {
                        let end = (at + b - a).min(len);
                        self.bytes.splice(at..end, other[a..b].iter().copied());
                    }
                }
            }
            4 => {
                let n = if rng.one_in(4) {
                    8 * rng.below(8)
                } else {
                    rng.below(80)
                };
                let at = rng.below(len + 1);
                let ins = rng.bytes(n);
                self.bytes.splice(at..at, ins);
            }
            5 => {
                let a = rng.below(len + 1);
                let b = a + rng.below((len - a).min(100) + 1);
                self.bytes.drain(a..b);
            }
            6 | 7 => {
                // A name field overwritten with any bytes, NUL-terminated or not.
                if !self.names.is_empty() {
                    let (at, n) = rng.pick(&self.names);
                    let name = rng.name_bytes(n);
                    let fill = if rng.one_in(2) { 0 } else { rng.next() as u8 };
                    for i in 0..n {
                        if let Some(b) = self.bytes.get_mut(at + i) {
                            *b = name.get(i).copied().unwrap_or(fill);
                        }
                    }
                }
            }
            8 | 9 => self.mutate_header(rng),
            _ => {
                // A record repeated.
                if !self.records.is_empty() {
                    let (at, n) = rng.pick(&self.records);
                    if at + n <= len {
                        let copy = self.bytes[at..at + n].to_vec();
                        let to = rng.pick(&self.records).0.min(len);
                        self.bytes.splice(to..to, copy);
                    }
                }
            }
        }
    }

    /// A header field of one record set to an odd value.
    fn mutate_header(&mut self, rng: &mut Rng) {
        if self.records.is_empty() {
            return;
        }
        let (at, n) = rng.pick(&self.records);
        let mut put = |off: usize, v: &[u8]| {
            for (i, b) in v.iter().enumerate() {
                if let Some(slot) = self.bytes.get_mut(at + off + i) {
                    *slot = *b;
                }
            }
        };
        match rng.below(5) {
            0 | 1 => {
                let t = rng.pick(&TYPES);
                let size = match rng.below(8) {
                    0 => rng.pick(&[0, 1, 8, HEADER_SIZE - 1, HEADER_SIZE, HEADER_SIZE + 1]) as u64,
                    1 => (n as u64).saturating_sub(8),
                    2 => n as u64 + rng.pick(&[1, 8, 64]),
                    3 => t.record_size() as u64,
                    4 => t.record_size() as u64 - 1,
                    5 => {
                        let m = oom_guard::decode::MAX_PLAUSIBLE_RECORD as u64;
                        rng.pick(&[m - 8, m, m + 1, m + 8])
                    }
                    6 => rng.pick(&INTERESTING),
                    _ => rng.next() & 0xffff,
                };
                put(SIZE_AT, &(size as u32).to_ne_bytes());
            }
            2 => {
                let t = if rng.one_in(2) {
                    rng.below(10) as u16
                } else {
                    rng.next() as u16
                };
                put(TYPE_AT, &t.to_ne_bytes());
            }
            3 => {
                let any = rng.next() as u8;
                let (at, v) = if rng.one_in(2) {
                    (MAJOR_AT, rng.pick(&[0, 2, 255, any]))
                } else {
                    (MINOR_AT, rng.pick(&[0, 1, 2, 4, 255, any]))
                };
                put(at, &[v]);
            }
            _ => put(FLAGS_AT, &(rng.next() as u32).to_ne_bytes()),
        }
    }
}

/// A few records of random types, concatenated.
fn records(rng: &mut Rng, layout: &Layout) -> Stream {
    let mut s = Stream::default();
    for _ in 0..1 + rng.below(6) {
        s.push_record(rng, layout);
    }
    s
}

/// The input of one case.
fn input(rng: &mut Rng, layout: &Layout) -> Vec<u8> {
    match rng.below(20) {
        // Random bytes, short and long.
        0 | 1 => {
            let n = if rng.one_in(2) {
                rng.below(48)
            } else {
                rng.below(1024)
            };
            rng.bytes(n)
        }
        // Valid streams, unchanged.
        2..=4 => records(rng, layout).bytes,
        // Mutated valid streams.
        _ => {
            let mut s = records(rng, layout);
            let other = records(rng, layout).bytes;
            for _ in 0..1 + rng.below(4) {
                s.mutate(rng, &other);
            }
            s.bytes
        }
    }
}

// ---------------------------------------------------------------------------------------------
// `--enrich` snapshots from fixture `/proc` trees.

/// A number as `/proc` might print it, or something that is not one.
fn proc_number(rng: &mut Rng) -> String {
    match rng.below(8) {
        0 => rng
            .pick(&[
                "",
                "-1",
                "-1000",
                "abc",
                "99999999999999999999999",
                "1e5",
                " 7",
            ])
            .into(),
        1 => (rng.next() as i64).to_string(),
        2 => u64::MAX.to_string(),
        _ => rng.num().to_string(),
    }
}

/// A snapshot of a fixture `/proc` with random processes, names and values; `full`: with a
/// full top list.
fn snapshot(rng: &mut Rng, dir: &Path, full: bool) -> Snapshot {
    std::fs::create_dir_all(dir).unwrap();
    let mut meminfo = String::new();
    for key in ["MemTotal", "MemFree", "MemAvailable", "SwapFree"] {
        if !rng.one_in(4) {
            let _ = writeln!(meminfo, "{key}: {} kB", proc_number(rng));
        }
    }
    std::fs::write(dir.join("meminfo"), meminfo).unwrap();
    if !rng.one_in(3) {
        std::fs::create_dir_all(dir.join("pressure")).unwrap();
        let mut psi = String::new();
        for kind in ["some", "full"] {
            let avg10 = rng.pick(&[
                "0.00",
                "12.34",
                "100.00",
                "99999999999999999.99",
                "1.5",
                "x",
            ]);
            let _ = writeln!(
                psi,
                "{kind} avg10={avg10} avg60=0.00 avg300=0.00 total={}",
                proc_number(rng)
            );
        }
        std::fs::write(dir.join("pressure/memory"), psi).unwrap();
    }
    let n = if full {
        enrich::MAX_TOP + 1 + rng.below(8)
    } else {
        rng.below(40)
    };
    for i in 0..n {
        let pid = 1 + (i as u64 * 7919 + rng.below(7919) as u64) % 4_194_304;
        let d = dir.join(pid.to_string());
        std::fs::create_dir_all(&d).unwrap();
        // The full snapshot's processes all read well, so its list is full.
        let number = |rng: &mut Rng| {
            if full {
                (rng.next() as i64 >> rng.below(64)).to_string()
            } else {
                proc_number(rng)
            }
        };
        let rss = if !full && rng.one_in(4) {
            proc_number(rng)
        } else {
            (1 + rng.below(1 << 20)).to_string()
        };
        let files: [(&str, Vec<u8>); 4] = [
            (
                "statm",
                format!("{} {rss} 0 0 0 0 0\n", rng.num()).into_bytes(),
            ),
            ("comm", {
                let mut c = rng.name_bytes(20);
                if rng.one_in(2) {
                    c.push(b'\n');
                }
                c
            }),
            ("oom_score", format!("{}\n", number(rng)).into_bytes()),
            ("oom_score_adj", format!("{}\n", number(rng)).into_bytes()),
        ];
        for (name, text) in files {
            if full || !rng.one_in(20) {
                std::fs::write(d.join(name), text).unwrap();
            }
        }
    }
    let opts = EnrichOptions {
        proc_root: dir.to_path_buf(),
        top: if full {
            enrich::MAX_TOP
        } else {
            rng.pick(&[0, 1, 5, 32, 100])
        },
        max_pids: if full { 4096 } else { rng.pick(&[3, 4096]) },
        max_time: Duration::from_secs(10),
        ..EnrichOptions::default()
    };
    Enricher::new(opts, 4096).snapshot()
}

// ---------------------------------------------------------------------------------------------
// The checks.

/// Whether `c` is never printed raw, by `format/escape.rs`'s rule: a control character (C0,
/// DEL, C1), a line or paragraph separator, or a bidirectional override.
fn hidden(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[track_caller]
fn assert_printable(what: &str, s: &str) {
    if let Some((i, c)) = s.char_indices().find(|(_, c)| hidden(*c)) {
        panic!("{what}: a raw {c:?} at byte {i} of {s:?}");
    }
}

/// Strings inside a parsed JSON value, recursively.
fn json_strings<'a>(v: &'a serde_json::Value, out: &mut Vec<&'a str>) {
    match v {
        serde_json::Value::String(s) => out.push(s),
        serde_json::Value::Array(a) => a.iter().for_each(|v| json_strings(v, out)),
        serde_json::Value::Object(o) => {
            for (k, v) in o {
                out.push(k);
                json_strings(v, out);
            }
        }
        _ => {}
    }
}

/// A parsed JSON object has exactly `fields`, with their values.
fn check_json(what: &str, fields: &[Field], j: &serde_json::Value) {
    let obj = j
        .as_object()
        .unwrap_or_else(|| panic!("{what}: not an object: {j}"));
    assert_eq!(
        obj.len(),
        fields.len(),
        "{what}: keys {:?} for fields {:?}",
        obj.keys().collect::<Vec<_>>(),
        fields.iter().map(|(k, _)| k).collect::<Vec<_>>()
    );
    for (k, v) in fields {
        let g = obj
            .get(*k)
            .unwrap_or_else(|| panic!("{what}: no key {k} in {j}"));
        let ok = match v {
            // The wall-clock time is measured again by each call; only its type is fixed.
            _ if *k == "timestamp" => g.is_string() || g.is_null(),
            Value::U64(n) => g.as_u64() == Some(*n),
            Value::I64(n) => g.as_i64() == Some(*n),
            Value::Centi(n) => {
                let want = *n as f64 / 100.0;
                g.as_f64()
                    .is_some_and(|x| (x - want).abs() <= want.abs() * 1e-12 + 1e-9)
            }
            Value::Str(s) => g.as_str() == Some(s.as_str()),
            Value::Bool(b) => g.as_bool() == Some(*b),
            Value::Zones(zones) => {
                let a = g
                    .as_array()
                    .unwrap_or_else(|| panic!("{what}: {k} is not an array: {g}"));
                assert_eq!(a.len(), zones.len(), "{what}: {k}: {g}");
                for (x, z) in a.iter().zip(zones) {
                    check_json(what, &format::zone_fields(z), x);
                }
                true
            }
            Value::Procs(procs) => {
                let a = g
                    .as_array()
                    .unwrap_or_else(|| panic!("{what}: {k} is not an array: {g}"));
                assert_eq!(a.len(), procs.len(), "{what}: {k}: {g}");
                for (x, p) in a.iter().zip(procs) {
                    check_json(what, &format::proc_fields(p), x);
                }
                true
            }
            Value::Object(f) => {
                check_json(what, f, g);
                true
            }
            Value::Unknown => g.is_null(),
        };
        assert!(ok, "{what}: {k} is {g}, the field is {v:?}");
    }
}

/// logfmt `key=value` pairs, quoted values unescaped (`\"`, `\\`, `\n`, `\uXXXX`).
fn parse_logfmt(line: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    let mut it = line.chars().peekable();
    while it.peek().is_some() {
        if !out.is_empty() && it.next() != Some(' ') {
            return Err("pairs not separated by one space".into());
        }
        let mut key = String::new();
        loop {
            match it.next() {
                Some('=') => break,
                Some(c) if c.is_ascii_alphanumeric() || c == '_' => key.push(c),
                c => return Err(format!("{c:?} in the key after {key:?}")),
            }
        }
        if key.is_empty() {
            return Err("an empty key".into());
        }
        let mut v = String::new();
        if it.peek() == Some(&'"') {
            it.next();
            loop {
                match it.next() {
                    Some('"') => break,
                    Some('\\') => match it.next() {
                        Some('"') => v.push('"'),
                        Some('\\') => v.push('\\'),
                        Some('n') => v.push('\n'),
                        Some('u') => {
                            let hex: String = it.by_ref().take(4).collect();
                            let c = u32::from_str_radix(&hex, 16)
                                .ok()
                                .and_then(char::from_u32)
                                .ok_or(format!("bad \\u{hex}"))?;
                            v.push(c);
                        }
                        c => return Err(format!("unknown escape \\{c:?} in {key}")),
                    },
                    Some(c) => v.push(c),
                    None => return Err(format!("unterminated value of {key}")),
                }
            }
            if it.peek().is_some_and(|c| *c != ' ') {
                return Err(format!("text after the quoted value of {key}"));
            }
        } else {
            while let Some(c) = it.peek().copied().filter(|c| *c != ' ') {
                if c == '"' || c == '=' || c == '\\' {
                    return Err(format!("a raw {c:?} in the bare value of {key}"));
                }
                v.push(c);
                it.next();
            }
            if v.is_empty() {
                return Err(format!("an empty bare value for {key}"));
            }
        }
        out.push((key, v));
    }
    Ok(out)
}

/// journald's native datagram as `(key, value, binary)`, or why it is malformed.
fn parse_journal(d: &[u8]) -> Result<Vec<(String, Vec<u8>, bool)>, String> {
    let mut out = Vec::new();
    let mut rest = d;
    while !rest.is_empty() {
        let k = rest
            .iter()
            .position(|b| *b == b'=' || *b == b'\n')
            .ok_or("a field without = or newline")?;
        let key = String::from_utf8(rest[..k].to_vec()).map_err(|_| "a key that is not UTF-8")?;
        if rest[k] == b'=' {
            let v = rest[k + 1..]
                .iter()
                .position(|b| *b == b'\n')
                .ok_or(format!("{key}: no newline at the end"))?;
            out.push((key, rest[k + 1..k + 1 + v].to_vec(), false));
            rest = &rest[k + 1 + v + 1..];
        } else {
            let len = rest
                .get(k + 1..k + 9)
                .ok_or(format!("{key}: a cut length"))?;
            let len = u64::from_le_bytes(len.try_into().unwrap()) as usize;
            let end = (k + 9).saturating_add(len);
            let v = rest
                .get(k + 9..end)
                .ok_or(format!("{key}: a value shorter than its length"))?;
            if rest.get(end) != Some(&b'\n') {
                return Err(format!("{key}: no newline after the binary value"));
            }
            out.push((key, v.to_vec(), true));
            rest = &rest[end + 1..];
        }
    }
    Ok(out)
}

/// A valid journald field name: upper-case letters, digits and `_`, not starting with a digit
/// or `_` (those are trusted fields), at most 64 bytes.
fn journal_key_ok(k: &str) -> bool {
    !k.is_empty()
        && k.len() <= 64
        && k.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        && !k.starts_with(|c: char| c.is_ascii_digit() || c == '_')
}

/// What one case saw, summed over the run.
#[derive(Debug, Default)]
struct Counts {
    inputs: u64,
    bytes: u64,
    streams_ok: u64,
    stream_errors: u64,
    inputs_with_records: u64,
    records: u64,
    per_type: [u64; TYPES.len()],
    skipped: u64,
    warnings: u64,
    kmsg_split: u64,
}

impl Counts {
    /// Adds another worker's counts.
    fn add(&mut self, o: &Counts) {
        self.inputs += o.inputs;
        self.bytes += o.bytes;
        self.streams_ok += o.streams_ok;
        self.stream_errors += o.stream_errors;
        self.inputs_with_records += o.inputs_with_records;
        self.records += o.records;
        for (a, b) in self.per_type.iter_mut().zip(o.per_type) {
            *a += b;
        }
        self.skipped += o.skipped;
        self.warnings += o.warnings;
        self.kmsg_split += o.kmsg_split;
    }
}

/// What a case is doing, printed if it fails.
struct Checker<'a> {
    snapshots: &'a [Snapshot],
    syslog_time: String,
    step: String,
    snapshot: Option<usize>,
}

impl Checker<'_> {
    /// Decodes `bytes` both ways, compares, and checks every record decoded.
    fn input(&mut self, bytes: &[u8], rng: &mut Rng, counts: &mut Counts) {
        self.step = "decode_all".into();
        self.snapshot = None;
        let whole = decode_all(bytes);

        self.step = "StreamDecoder".into();
        let limit = 3 * (bytes.len() / HEADER_SIZE) + 3;
        let mut dec = StreamDecoder::new();
        let mut items = Vec::new();
        let mut err: Option<DecodeError> = None;
        let mut pos = 0;
        loop {
            let n = match rng.below(4) {
                0 => 1,
                1 => 1 + rng.below(16),
                2 => 1 + rng.below(300),
                _ => bytes.len() - pos,
            }
            .min(bytes.len() - pos);
            dec.push(&bytes[pos..pos + n]);
            pos += n;
            loop {
                match dec.next_item() {
                    Ok(Some(item)) => {
                        items.push(item);
                        assert!(
                            items.len() <= limit,
                            "{} items from {} bytes: the decoder loops",
                            items.len(),
                            bytes.len()
                        );
                    }
                    Ok(None) => break,
                    Err(e) => {
                        err = Some(e);
                        break;
                    }
                }
            }
            if err.is_some() || pos == bytes.len() {
                break;
            }
        }
        let streamed = match err {
            Some(e) => {
                assert_eq!(
                    dec.next_item(),
                    Err(e.clone()),
                    "a failed stream stays failed"
                );
                assert_eq!(dec.finish(), Err(e.clone()), "finish after a failure");
                Err(e)
            }
            None => dec.finish().map(|()| {
                assert_eq!(dec.offset(), bytes.len() as u64, "offset after the stream");
                assert_eq!(dec.buffered(), 0);
                items.clone()
            }),
        };
        assert_eq!(
            streamed, whole,
            "the streaming decoder and decode_all disagree"
        );
        match &whole {
            Ok(_) => counts.streams_ok += 1,
            Err(e) => {
                counts.stream_errors += 1;
                assert_printable("decode error", &e.to_string());
            }
        }

        // Every record the streaming decoder gave, as a reader would format it before it hit
        // the error (if any).
        let mut any = false;
        for item in &items {
            match item {
                Item::Record(r) => {
                    any = true;
                    counts.records += 1;
                    counts.per_type[r.rtype() as usize - 1] += 1;
                    self.record(r, rng, counts);
                }
                Item::Skipped(_) => counts.skipped += 1,
                Item::Warning(w) => {
                    counts.warnings += 1;
                    assert_printable("warning", &w.to_string());
                }
            }
        }
        counts.inputs_with_records += u64::from(any);
    }

    /// Every format and sink message of `r`.
    fn record(&mut self, r: &Record, rng: &mut Rng, counts: &mut Counts) {
        let opts = FormatOptions {
            page_size: rng.pick(&[4096, 16384, 65536]),
        };
        let prio = format::priority(r);
        let pri = 3 * 8 + u32::from(prio.0);
        let any = rng.next() as u32;
        let pid = rng.pick(&[1, 4242, u32::MAX, any]);
        let snap = if self.snapshots.is_empty() {
            None
        } else {
            Some(rng.below(self.snapshots.len()))
        };
        // A cgroup path as the resolver gives it: `/` and a directory name, escaped.
        let mut path = b"/".to_vec();
        path.extend(rng.name_bytes(32));
        let cgroup = format::escape_bytes(&path);
        for s in [None, snap] {
            self.snapshot = s;
            let enrich = Extra {
                enrich: s.map(|i| &self.snapshots[i]),
                cgroup: Some(cgroup.as_str()),
            };
            let fields = format::event_fields(r, enrich, &opts);
            let flat = format::flat_fields(&fields);
            for f in FORMATS {
                self.step = format!("{f:?} line and body, enrich {s:?}");
                let what = format!("{f:?} (enrich {s:?})");
                let line = format::line(f, r, enrich, &opts);
                let body = format::body(f, r, enrich, &opts);
                assert_printable(&what, &line);
                assert_printable(&what, &body);
                match f {
                    Format::Text => {
                        assert_eq!(
                            line,
                            format!("{} {body}", format::timestamp(r.header.time_ns)),
                            "{what}: the line is the timestamp and the body"
                        );
                    }
                    Format::Json => {
                        assert_eq!(line, body, "{what}");
                        let j: serde_json::Value = serde_json::from_str(&line)
                            .unwrap_or_else(|e| panic!("{what}: {e}: {line}"));
                        check_json(&what, &fields, &j);
                        let mut strings = Vec::new();
                        json_strings(&j, &mut strings);
                        for s in strings {
                            assert_printable(&format!("{what}: a JSON string"), s);
                        }
                    }
                    Format::Logfmt => {
                        assert_eq!(line, body, "{what}");
                        let pairs =
                            parse_logfmt(&line).unwrap_or_else(|e| panic!("{what}: {e}: {line}"));
                        assert_eq!(
                            pairs.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
                            flat.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
                            "{what}: logfmt keys: {line}"
                        );
                        for ((k, v), (_, fv)) in pairs.iter().zip(&flat) {
                            if k != "timestamp" {
                                assert_eq!(*v, format::value_text(fv), "{what}: {k} in {line}");
                            }
                        }
                    }
                }

                self.step = format!("journal_message {f:?}, enrich {s:?}");
                self.journal(r, enrich, f, &opts, &body, &flat);

                self.step = format!("syslog_message {f:?}, enrich {s:?}");
                let msg = sink::syslog_message(prio, &self.syslog_time, pid, &body);
                assert_printable("syslog message", &msg);
                assert_eq!(
                    msg,
                    format!("<{pri}>{} {}[{pid}]: {body}", self.syslog_time, sink::IDENT)
                );

                self.step = format!("kmsg_lines {f:?}, enrich {s:?}, pid {pid}");
                let prefix = format!("<{pri}>{}[{pid}]: ", sink::IDENT);
                let lines = sink::kmsg_lines(prio, pid, &body);
                counts.kmsg_split += u64::from(lines.len() > 1);
                Self::kmsg(&lines, &prefix, &body);
            }
        }

        self.snapshot = None;
        self.step = "hook_env".into();
        let env = hook_env(r, None, &opts);
        let mut keys: Vec<&str> = env.iter().map(|(k, _)| k.as_str()).collect();
        for (k, v) in &env {
            assert!(
                k.starts_with("OOM_GUARD_")
                    && k.bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_'),
                "hook variable name {k:?}"
            );
            assert!(!v.contains('\0'), "a NUL in hook variable {k}={v:?}");
            assert_printable(&format!("hook variable {k}"), v);
        }
        keys.sort_unstable();
        let n = keys.len();
        keys.dedup();
        assert_eq!(keys.len(), n, "a hook variable twice: {env:?}");
        for want in ["OOM_GUARD_LEVEL", "OOM_GUARD_PRIORITY", "OOM_GUARD_MESSAGE"] {
            assert!(keys.contains(&want), "no {want} in {env:?}");
        }
    }

    /// A journald datagram: well framed, no binary field (every value is escaped text), valid
    /// names, `MESSAGE` the body, and the `OOM_GUARD_*` fields the record's flattened fields.
    fn journal(
        &self,
        r: &Record,
        extra: Extra<'_>,
        f: Format,
        opts: &FormatOptions,
        body: &str,
        flat: &[(String, Value)],
    ) {
        let d = sink::journal_message(r, extra, f, opts);
        let fields = parse_journal(&d).unwrap_or_else(|e| {
            panic!("journald datagram: {e}: {:?}", String::from_utf8_lossy(&d))
        });
        let mut ours = Vec::new();
        for (k, v, binary) in &fields {
            assert!(journal_key_ok(k), "journald field name {k:?}");
            assert!(!binary, "journald field {k} in the binary form: {v:?}");
            let v = std::str::from_utf8(v)
                .unwrap_or_else(|_| panic!("journald field {k} is not UTF-8: {v:?}"));
            assert_printable(&format!("journald field {k}"), v);
            if k == "MESSAGE" {
                assert_eq!(v, body, "journald MESSAGE");
            }
            if k.starts_with("OOM_GUARD_") {
                ours.push((k.as_str(), v));
            }
        }
        let want: Vec<(String, String)> = flat
            .iter()
            .map(|(k, v)| (format::env_name(k), format::value_text(v)))
            .collect();
        assert_eq!(
            ours.iter().map(|(k, _)| *k).collect::<Vec<_>>(),
            want.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
            "journald OOM_GUARD_* fields"
        );
        for ((k, v), (_, w)) in ours.iter().zip(&want) {
            if *k != "OOM_GUARD_TIMESTAMP" {
                assert_eq!(v, w, "journald {k}");
            }
        }
        for k in ["MESSAGE", "MESSAGE_ID", "PRIORITY", "SYSLOG_IDENTIFIER"] {
            assert!(fields.iter().any(|(key, _, _)| key == k), "no journald {k}");
        }
    }

    /// kmsg lines: each at most [`KMSG_LINE_MAX`] bytes with its newline, printable before it,
    /// with the prefix; a split message marked `[cont N/M]`, its parts joining back to the
    /// body, none but the last ending with a space.
    fn kmsg(lines: &[String], prefix: &str, body: &str) {
        assert!(!lines.is_empty(), "no kmsg line");
        for l in lines {
            assert!(
                l.len() <= KMSG_LINE_MAX,
                "a kmsg line of {} bytes (at most {KMSG_LINE_MAX}): {l:?}",
                l.len()
            );
            let text = l
                .strip_suffix('\n')
                .unwrap_or_else(|| panic!("a kmsg line without its newline: {l:?}"));
            assert_printable("kmsg line", text);
            assert!(text.starts_with(prefix), "kmsg prefix: {l:?}");
        }
        if lines.len() == 1 {
            assert_eq!(lines[0], format!("{prefix}{body}\n"));
            return;
        }
        let m = lines.len();
        let mut joined = String::new();
        for (i, l) in lines.iter().enumerate() {
            let mark = format!("{prefix}[cont {}/{m}] ", i + 1);
            let part = l
                .strip_prefix(&mark)
                .and_then(|p| p.strip_suffix('\n'))
                .unwrap_or_else(|| panic!("kmsg line {} of {m} not marked {mark:?}: {l:?}", i + 1));
            assert!(!part.is_empty(), "an empty kmsg part: {l:?}");
            assert!(
                i + 1 == m || !part.ends_with(' '),
                "kmsg part {} of {m} ends with a space: {l:?}",
                i + 1
            );
            joined.push_str(part);
        }
        assert_eq!(
            joined, body,
            "the kmsg parts do not join back to the message"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The test.

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn parse_u64(name: &str, v: &str) -> u64 {
    let v = v.trim();
    let r = match v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => v.parse(),
    };
    r.unwrap_or_else(|e| panic!("{name}={v:?}: {e}"))
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(2 * bytes.len());
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn unhex(v: &str) -> Vec<u8> {
    let digits: Vec<u8> = v.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    assert!(
        digits.len() % 2 == 0,
        "OOM_GUARD_FUZZ_INPUT: an odd number of hex digits"
    );
    digits
        .chunks(2)
        .map(|p| {
            std::str::from_utf8(p)
                .ok()
                .and_then(|p| u8::from_str_radix(p, 16).ok())
                .unwrap_or_else(|| panic!("OOM_GUARD_FUZZ_INPUT: bad hex {p:?}"))
        })
        .collect()
}

/// Written straight to the standard error, past the test harness's capture, so the seed shows
/// in every log.
fn say(msg: &str) {
    let _ = writeln!(std::io::stderr(), "fuzz: {msg}");
}

/// The seed of case `i`: every case is generated from its own seed, so one can be replayed
/// alone.
fn case_seed(seed: u64, i: u64) -> u64 {
    Rng(seed ^ i.wrapping_mul(0xd1b5_4a32_d192_ed03)).next()
}

/// Runs case `case` of `seed` (with `given` bytes instead of the generated ones, if any);
/// on a failure prints what replays it, then panics on.
fn run_case(
    checker: &mut Checker<'_>,
    counts: &mut Counts,
    layout: &Layout,
    given: &Option<Vec<u8>>,
    seed: u64,
    case: u64,
) {
    let mut rng = Rng(case_seed(seed, case));
    let bytes = match given {
        Some(b) => {
            // Draw the generated input anyway, so the checks' choices are the case's.
            let _ = input(&mut rng, layout);
            b.clone()
        }
        None => input(&mut rng, layout),
    };
    counts.inputs += 1;
    counts.bytes += bytes.len() as u64;
    let r = panic::catch_unwind(AssertUnwindSafe(|| {
        checker.input(&bytes, &mut rng, counts);
    }));
    if let Err(e) = r {
        let snap = checker.snapshot.map_or(String::new(), |i| {
            format!(
                "\nfuzz: with --enrich snapshot {i}: {:?}",
                checker.snapshots[i]
            )
        });
        say(&format!(
            "FAILED at case {case} of seed {seed:#018x}, in {}{snap}\n\
             fuzz: input ({} bytes): {}\n\
             fuzz: replay: OOM_GUARD_FUZZ_SEED={seed:#018x} OOM_GUARD_FUZZ_CASE={case} \
             cargo test -p oom-guard --test fuzz\n\
             fuzz: or with the bytes (edit them to cut the case down): \
             OOM_GUARD_FUZZ_SEED={seed:#018x} OOM_GUARD_FUZZ_CASE={case} \
             OOM_GUARD_FUZZ_INPUT=<the hex above> cargo test -p oom-guard --test fuzz",
            checker.step,
            bytes.len(),
            hex(&bytes),
        ));
        panic::resume_unwind(e);
    }
}

#[test]
fn decode_and_every_format_and_sink_survive_random_and_mutated_streams() {
    let seed = env("OOM_GUARD_FUZZ_SEED").map_or_else(
        || {
            let t = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64);
            Rng(t ^ (u64::from(std::process::id()) << 32)).next()
        },
        |v| parse_u64("OOM_GUARD_FUZZ_SEED", &v),
    );
    let seconds = env("OOM_GUARD_FUZZ_SECONDS").map_or(DEFAULT_SECONDS, |v| {
        v.trim()
            .parse::<f64>()
            .ok()
            .filter(|s| s.is_finite() && *s >= 0.0)
            .unwrap_or_else(|| panic!("OOM_GUARD_FUZZ_SECONDS={v:?}: not a number of seconds"))
    });
    let only_case = env("OOM_GUARD_FUZZ_CASE").map(|v| parse_u64("OOM_GUARD_FUZZ_CASE", &v));
    let given_input = env("OOM_GUARD_FUZZ_INPUT").map(|v| unhex(&v));
    let budget = Duration::from_secs_f64(seconds);
    match only_case {
        Some(c) => say(&format!("seed {seed:#018x}, case {c} only")),
        None => say(&format!(
            "seed {seed:#018x} for {seconds} CPU-seconds (OOM_GUARD_FUZZ_SEED={seed:#018x} repeats this run)"
        )),
    }

    let layout = Layout::new();
    let dir = TempDir::new();
    let mut rng = Rng(seed);
    let mut snapshots = vec![
        // Nothing readable: every optional field missing, no processes.
        Enricher::new(
            EnrichOptions {
                proc_root: dir.path().join("missing"),
                ..EnrichOptions::default()
            },
            4096,
        )
        .snapshot(),
    ];
    for i in 1..4 {
        snapshots.push(snapshot(
            &mut rng,
            &dir.path().join(format!("proc{i}")),
            i == 1,
        ));
    }
    drop(dir);
    // The cases are independent (each from the seed and its number), so workers share them out:
    // worker w runs cases w, w + W, w + 2W, … The budget is CPU time spread over the workers, so
    // a run does as many cases as one worker would in the whole budget, in less wall time.
    let workers = match only_case {
        Some(_) => 1,
        None => std::thread::available_parallelism().map_or(1, |n| n.get().min(4)) as u64,
    };
    let wall = budget.div_f64(workers as f64);
    let min_cases = MIN_CASES.div_ceil(workers);
    let start = Instant::now();
    let syslog_time = sink::syslog_time(SystemTime::now());
    let (snapshots, layout, given_input) = (&snapshots, &layout, &given_input);
    let counts = std::thread::scope(|scope| {
        let runs: Vec<_> = (0..workers)
            .map(|w| {
                let syslog_time = syslog_time.clone();
                scope.spawn(move || {
                    let mut checker = Checker {
                        snapshots,
                        syslog_time,
                        step: String::new(),
                        snapshot: None,
                    };
                    let mut counts = Counts::default();
                    let mut case = only_case.unwrap_or(w);
                    loop {
                        run_case(&mut checker, &mut counts, layout, given_input, seed, case);
                        case += workers;
                        if only_case.is_some()
                            || (counts.inputs >= min_cases && start.elapsed() >= wall)
                        {
                            return counts;
                        }
                    }
                })
            })
            .collect();
        let mut total = Counts::default();
        for r in runs {
            // A worker's failure was printed with its case; its panic fails the test.
            match r.join() {
                Ok(c) => total.add(&c),
                Err(e) => panic::resume_unwind(e),
            }
        }
        total
    });

    let secs = start.elapsed().as_secs_f64();
    say(&format!(
        "{} inputs ({} bytes) in {secs:.1} s on {workers} worker(s): {} decoded whole, {} stopped by a decode error; \
         {} records reached the formatters (from {} inputs; per type {:?}), {} skipped, \
         {} warnings; {} kmsg messages split; --enrich snapshots of {:?} processes",
        counts.inputs,
        counts.bytes,
        counts.streams_ok,
        counts.stream_errors,
        counts.records,
        counts.inputs_with_records,
        TYPES.iter().zip(counts.per_type).collect::<Vec<_>>(),
        counts.skipped,
        counts.warnings,
        counts.kmsg_split,
        snapshots.iter().map(|s| s.top().len()).collect::<Vec<_>>(),
    ));
    if only_case.is_none() {
        // The generator must keep reaching the formatters, with every type, and both sides of
        // the decoder.
        assert!(
            counts.inputs_with_records * 3 >= counts.inputs,
            "only {} of {} inputs gave a record: the generator no longer makes decodable \
             streams",
            counts.inputs_with_records,
            counts.inputs
        );
        for (t, n) in TYPES.iter().zip(counts.per_type) {
            assert!(n > 0, "no {t:?} record reached the formatters");
        }
        assert!(
            counts.streams_ok > 0 && counts.stream_errors > 0,
            "{counts:?}"
        );
        assert!(counts.skipped > 0 && counts.warnings > 0, "{counts:?}");
        assert!(
            counts.kmsg_split > 0,
            "no message long enough to split for kmsg"
        );
        assert_eq!(
            snapshots[1].top().len(),
            enrich::MAX_TOP,
            "{:?}",
            snapshots[1]
        );
    }
}
