// SPDX-License-Identifier: GPL-2.0

//! Record encoding and decoding: native-endian fields, reserved bytes zero.

use super::*;

/// An event with its payload, as kept in the kernel's ring and returned by [`decode`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Payload {
    /// See [`Pressure`].
    Pressure(Pressure),
    /// See [`Oom`].
    Oom(Oom),
    /// See [`Pool`].
    Pool(Pool),
    /// See [`Kill`].
    Kill(Kill),
    /// See [`Lost`].
    Lost(Lost),
    /// See [`Headroom`].
    Headroom(Headroom),
    /// See [`Reclaim`].
    Reclaim(Reclaim),
}

impl Payload {
    /// The record type of this payload.
    pub fn rtype(&self) -> RecordType {
        match self {
            Self::Pressure(_) => RecordType::Pressure,
            Self::Oom(_) => RecordType::Oom,
            Self::Pool(_) => RecordType::Pool,
            Self::Kill(_) => RecordType::Kill,
            Self::Lost(_) => RecordType::Lost,
            Self::Headroom(_) => RecordType::Headroom,
            Self::Reclaim(_) => RecordType::Reclaim,
        }
    }
}

/// An error from [`encode`] or [`decode`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodecError {
    /// The buffer is shorter than the record (or than a header).
    Short,
    /// The header's `size` is smaller than a header or than its known type needs.
    BadSize,
    /// The record was written by an incompatible major ABI version.
    Incompatible,
}

/// Writes native-endian fields one after another into a byte buffer.
struct Writer<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl Writer<'_> {
    fn bytes(&mut self, b: &[u8]) -> Result<(), CodecError> {
        let end = self.pos.checked_add(b.len()).ok_or(CodecError::Short)?;
        self.buf
            .get_mut(self.pos..end)
            .ok_or(CodecError::Short)?
            .copy_from_slice(b);
        self.pos = end;
        Ok(())
    }
    fn u8(&mut self, v: u8) -> Result<(), CodecError> {
        self.bytes(&[v])
    }
    fn u16(&mut self, v: u16) -> Result<(), CodecError> {
        self.bytes(&v.to_ne_bytes())
    }
    fn u32(&mut self, v: u32) -> Result<(), CodecError> {
        self.bytes(&v.to_ne_bytes())
    }
    fn u64(&mut self, v: u64) -> Result<(), CodecError> {
        self.bytes(&v.to_ne_bytes())
    }
    fn zone(&mut self, z: &ZoneSnapshot) -> Result<(), CodecError> {
        self.u16(z.node)?;
        self.u8(z.zone_idx)?;
        self.u8(z.state)?;
        self.u32(0)?;
        self.bytes(&z.name)?;
        for v in [z.free, z.min, z.low, z.high, z.boost, z.reserve, z.managed] {
            self.u64(v)?;
        }
        Ok(())
    }
}

/// Reads native-endian fields one after another from a byte buffer.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn array<const N: usize>(&mut self) -> Result<[u8; N], CodecError> {
        let end = self.pos.checked_add(N).ok_or(CodecError::Short)?;
        let mut out = [0u8; N];
        out.copy_from_slice(self.buf.get(self.pos..end).ok_or(CodecError::Short)?);
        self.pos = end;
        Ok(out)
    }
    fn u8(&mut self) -> Result<u8, CodecError> {
        Ok(self.array::<1>()?[0])
    }
    fn u16(&mut self) -> Result<u16, CodecError> {
        Ok(u16::from_ne_bytes(self.array()?))
    }
    fn u32(&mut self) -> Result<u32, CodecError> {
        Ok(u32::from_ne_bytes(self.array()?))
    }
    fn u64(&mut self) -> Result<u64, CodecError> {
        Ok(u64::from_ne_bytes(self.array()?))
    }
    fn zone(&mut self) -> Result<ZoneSnapshot, CodecError> {
        let node = self.u16()?;
        let zone_idx = self.u8()?;
        let state = self.u8()?;
        let _reserved = self.u32()?;
        Ok(ZoneSnapshot {
            node,
            zone_idx,
            state,
            reserved: 0,
            name: self.array()?,
            free: self.u64()?,
            min: self.u64()?,
            low: self.u64()?,
            high: self.u64()?,
            boost: self.u64()?,
            reserve: self.u64()?,
            managed: self.u64()?,
        })
    }
    /// Whether `n` more bytes are left.
    fn has(&self, n: usize) -> bool {
        self.buf.len().saturating_sub(self.pos) >= n
    }
    fn zones(&mut self) -> Result<[ZoneSnapshot; MAX_ZONES], CodecError> {
        let mut zones = [ZoneSnapshot::default(); MAX_ZONES];
        for z in zones.iter_mut() {
            *z = self.zone()?;
        }
        Ok(zones)
    }
}

/// Encodes one record into `buf`, reserved bytes zeroed; returns its size.
///
/// The header's `size`, `rtype` and ABI version are filled in from the payload.
pub fn encode(
    seq: u64,
    time_ns: u64,
    flags: u32,
    payload: &Payload,
    buf: &mut [u8],
) -> Result<usize, CodecError> {
    let rtype = payload.rtype();
    let size = rtype.record_size();
    let buf = buf.get_mut(..size).ok_or(CodecError::Short)?;
    let mut w = Writer { buf, pos: 0 };
    // `size` is at most `MAX_RECORD_SIZE`, far below `u32::MAX`.
    w.u32(u32::try_from(size).map_err(|_| CodecError::BadSize)?)?;
    w.u16(rtype as u16)?;
    w.u8(ABI_MAJOR)?;
    w.u8(ABI_MINOR)?;
    w.u32(flags)?;
    w.u32(0)?;
    w.u64(seq)?;
    w.u64(time_ns)?;
    match payload {
        Payload::Pressure(p) => {
            w.u8(p.source)?;
            w.u8(p.old_level)?;
            w.u8(p.new_level)?;
            w.u8(0)?;
            w.u32(p.nr_zones)?;
            w.u64(p.free_pages)?;
            w.u64(p.available_pages)?;
            for z in &p.zones {
                w.zone(z)?;
            }
            w.u8(p.headroom)?;
            w.bytes(&[0; 7])?;
            w.u64(p.fall_rate)?;
            w.u64(p.tte_ms)?;
        }
        Payload::Oom(o) => {
            w.u8(o.action)?;
            w.u8(o.level)?;
            w.u16(o.calls)?;
            w.u32(o.pid)?;
            w.bytes(&o.comm)?;
            for v in [
                o.free_pages,
                o.available_pages,
                o.pool_before,
                o.pool_after,
                o.freed_reported,
                o.callback_ns,
            ] {
                w.u64(v)?;
            }
            w.u32(o.averts_left)?;
            w.u32(o.nr_zones)?;
            for z in &o.zones {
                w.zone(z)?;
            }
            // ABI 2.1.
            w.u64(o.free_ns)?;
            w.u32(o.blocks_freed)?;
            w.u32(o.span_us)?;
        }
        Payload::Pool(p) => {
            w.u8(p.op)?;
            w.bytes(&[0; 7])?;
            w.u64(p.pages)?;
            w.u64(p.pool_pages)?;
            w.u64(p.target_pages)?;
        }
        Payload::Kill(k) => {
            w.u64(k.kills)?;
            w.u32(k.victim_pid)?;
            w.u32(k.victim_tgid)?;
            w.u32(k.victim_uid)?;
            w.bytes(&k.oom_score_adj.to_ne_bytes())?;
            w.u16(k.flags)?;
            w.bytes(&k.victim_comm)?;
            for v in [
                k.victim_rss_kib,
                k.anon_kib,
                k.file_kib,
                k.shmem_kib,
                k.pgtables_kib,
                k.cgroup_id,
                k.select_ns,
            ] {
                w.u64(v)?;
            }
            w.u8(k.notifier_action)?;
            w.bytes(&[0; 7])?;
        }
        Payload::Lost(l) => {
            w.u64(l.count)?;
            w.u64(l.first_seq)?;
        }
        Payload::Headroom(h) => {
            w.u8(h.old_level)?;
            w.u8(h.new_level)?;
            w.u8(h.wm_level)?;
            w.u8(h.wm_state)?;
            w.u32(0)?;
            for v in [
                h.free_pages,
                h.available_pages,
                h.total_pages,
                h.low_pages,
                h.medium_pages,
                h.critical_pages,
                h.floor_pages,
                h.fall_rate,
                h.tte_ms,
            ] {
                w.u64(v)?;
            }
        }
        Payload::Reclaim(r) => {
            w.u8(r.phase)?;
            w.u8(r.who)?;
            w.u8(r.wm_level)?;
            w.u8(r.headroom)?;
            w.u32(0)?;
            for v in [
                r.kswapd_calls,
                r.direct_calls,
                r.duration_ms,
                r.free_pages,
                r.available_pages,
            ] {
                w.u64(v)?;
            }
        }
    }
    Ok(w.pos)
}

/// Decodes the header at the start of `buf`.
pub fn decode_header(buf: &[u8]) -> Result<RecordHeader, CodecError> {
    let mut r = Reader { buf, pos: 0 };
    let h = RecordHeader {
        size: r.u32()?,
        rtype: r.u16()?,
        abi_major: r.u8()?,
        abi_minor: r.u8()?,
        flags: r.u32()?,
        reserved: r.u32()?,
        seq: r.u64()?,
        time_ns: r.u64()?,
    };
    if (h.size as usize) < HEADER_SIZE {
        return Err(CodecError::BadSize);
    }
    Ok(h)
}

/// Decodes the record at the start of `buf`.
///
/// Returns the header and the payload, or `None` as payload for a record type this ABI version
/// does not know (skip `header.size` bytes and go on). A newer minor version may append fields,
/// which are ignored; an older minor version's shorter record is decoded with the fields it
/// lacks zero; a record shorter than its type's [`RecordType::min_record_size`] is
/// [`CodecError::BadSize`]; another major version is [`CodecError::Incompatible`].
pub fn decode(buf: &[u8]) -> Result<(RecordHeader, Option<Payload>), CodecError> {
    let h = decode_header(buf)?;
    if h.abi_major != ABI_MAJOR {
        return Err(CodecError::Incompatible);
    }
    let size = h.size as usize;
    let body = buf.get(HEADER_SIZE..size).ok_or(CodecError::Short)?;
    let Some(rtype) = RecordType::from_raw(h.rtype) else {
        return Ok((h, None));
    };
    if size < rtype.min_record_size() {
        return Err(CodecError::BadSize);
    }
    let mut r = Reader { buf: body, pos: 0 };
    let payload = match rtype {
        RecordType::Pressure => {
            let source = r.u8()?;
            let old_level = r.u8()?;
            let new_level = r.u8()?;
            let _reserved = r.u8()?;
            let nr_zones = r.u32()?;
            let free_pages = r.u64()?;
            let available_pages = r.u64()?;
            let zones = r.zones()?;
            let headroom = r.u8()?;
            let _reserved2: [u8; 7] = r.array()?;
            Payload::Pressure(Pressure {
                source,
                old_level,
                new_level,
                reserved: 0,
                nr_zones,
                free_pages,
                available_pages,
                zones,
                headroom,
                reserved2: [0; 7],
                fall_rate: r.u64()?,
                tte_ms: r.u64()?,
            })
        }
        RecordType::Oom => {
            let action = r.u8()?;
            let level = r.u8()?;
            let calls = r.u16()?;
            let mut o = Oom {
                action,
                level,
                calls,
                pid: r.u32()?,
                comm: r.array()?,
                free_pages: r.u64()?,
                available_pages: r.u64()?,
                pool_before: r.u64()?,
                pool_after: r.u64()?,
                freed_reported: r.u64()?,
                callback_ns: r.u64()?,
                averts_left: r.u32()?,
                nr_zones: r.u32()?,
                zones: r.zones()?,
                ..Oom::default()
            };
            // ABI 2.1's fields; a 2.0 record ends before them and they stay zero.
            // Part of them is a size no version writes.
            if r.has(OOM_SIZE - OOM_SIZE_2_0) {
                o.free_ns = r.u64()?;
                o.blocks_freed = r.u32()?;
                o.span_us = r.u32()?;
            } else if r.has(1) {
                return Err(CodecError::BadSize);
            }
            Payload::Oom(o)
        }
        RecordType::Pool => {
            let op = r.u8()?;
            let _reserved: [u8; 7] = r.array()?;
            Payload::Pool(Pool {
                op,
                reserved: [0; 7],
                pages: r.u64()?,
                pool_pages: r.u64()?,
                target_pages: r.u64()?,
            })
        }
        RecordType::Kill => {
            let kills = r.u64()?;
            let victim_pid = r.u32()?;
            let victim_tgid = r.u32()?;
            let victim_uid = r.u32()?;
            let oom_score_adj = i16::from_ne_bytes(r.array()?);
            let flags = r.u16()?;
            let victim_comm = r.array()?;
            let victim_rss_kib = r.u64()?;
            let anon_kib = r.u64()?;
            let file_kib = r.u64()?;
            let shmem_kib = r.u64()?;
            let pgtables_kib = r.u64()?;
            let cgroup_id = r.u64()?;
            let select_ns = r.u64()?;
            let notifier_action = r.u8()?;
            let _reserved: [u8; 7] = r.array()?;
            Payload::Kill(Kill {
                kills,
                victim_pid,
                victim_tgid,
                victim_uid,
                oom_score_adj,
                flags,
                victim_comm,
                victim_rss_kib,
                anon_kib,
                file_kib,
                shmem_kib,
                pgtables_kib,
                cgroup_id,
                select_ns,
                notifier_action,
                reserved: [0; 7],
            })
        }
        RecordType::Lost => Payload::Lost(Lost {
            count: r.u64()?,
            first_seq: r.u64()?,
        }),
        RecordType::Headroom => {
            let old_level = r.u8()?;
            let new_level = r.u8()?;
            let wm_level = r.u8()?;
            let wm_state = r.u8()?;
            let _reserved = r.u32()?;
            Payload::Headroom(Headroom {
                old_level,
                new_level,
                wm_level,
                wm_state,
                reserved: 0,
                free_pages: r.u64()?,
                available_pages: r.u64()?,
                total_pages: r.u64()?,
                low_pages: r.u64()?,
                medium_pages: r.u64()?,
                critical_pages: r.u64()?,
                floor_pages: r.u64()?,
                fall_rate: r.u64()?,
                tte_ms: r.u64()?,
            })
        }
        RecordType::Reclaim => {
            let phase = r.u8()?;
            let who = r.u8()?;
            let wm_level = r.u8()?;
            let headroom = r.u8()?;
            let _reserved = r.u32()?;
            Payload::Reclaim(Reclaim {
                phase,
                who,
                wm_level,
                headroom,
                reserved: 0,
                kswapd_calls: r.u64()?,
                direct_calls: r.u64()?,
                duration_ms: r.u64()?,
                free_pages: r.u64()?,
                available_pages: r.u64()?,
            })
        }
    };
    Ok((h, Some(payload)))
}

/// Shortens the encoded record at the start of `buf` to fit in `room` bytes, if an older minor
/// version's size of its type fits there: rewrites its header's `size` to the largest such size
/// and returns it. `None` if the record already fits, or no older size does.
///
/// This keeps an older client's promise: a read buffer of its `MAX_RECORD_SIZE` always holds
/// the next record. A 2.0 client reading with 688 bytes gets a 2.1 `OOM` record as the 2.0
/// record it knows (the appended fields cut off, the header's `size` 688), which a 2.1 client
/// decodes with those fields zero ([`Oom::has_free_fields`]).
pub fn shorten(buf: &mut [u8], room: usize) -> Option<usize> {
    let h = decode_header(buf).ok()?;
    let size = h.size as usize;
    let min = RecordType::from_raw(h.rtype)?.min_record_size();
    if size <= room || room < min {
        return None;
    }
    // Every type has one older size at most (the `OOM` record's 2.0 size).
    let new = u32::try_from(min).ok()?;
    buf.get_mut(..4)?.copy_from_slice(&new.to_ne_bytes());
    Some(min)
}

/// Copies a name into a fixed, NUL-padded field, truncating if needed.
pub fn fixed_name<const N: usize>(name: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    for (o, b) in out.iter_mut().zip(name.iter().take_while(|b| **b != 0)) {
        *o = *b;
    }
    out
}

/// The text of a NUL-padded name field, up to the first NUL.
pub fn name_bytes(field: &[u8]) -> &[u8] {
    let end = field.iter().position(|b| *b == 0).unwrap_or(field.len());
    field.get(..end).unwrap_or(field)
}
