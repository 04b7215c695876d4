//! The syslog severity of each record, which the syslog, journald and kmsg sinks and the hooks
//! use.

use crate::decode::Record;
use oom_guard_core::abi::{HeadroomLevel, Level, Payload, PoolOp, ReclaimPhase};

/// A syslog severity (RFC 5424 numbering, as in `<sys/syslog.h>`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Priority(pub u8);

impl Priority {
    /// `LOG_CRIT`.
    pub const CRIT: Self = Self(2);
    /// `LOG_ERR`.
    pub const ERR: Self = Self(3);
    /// `LOG_WARNING`.
    pub const WARNING: Self = Self(4);
    /// `LOG_NOTICE`.
    pub const NOTICE: Self = Self(5);
    /// `LOG_INFO`.
    pub const INFO: Self = Self(6);
}

/// The severity of a record: `crit` for OOM and kills; `err` for pressure `min` and headroom
/// `critical`; `warning` for pressure `low`, headroom `medium`, direct reclaim, lost events and
/// failed refills; `notice` for headroom `low`, reclaim onset and pool releases; `info` for
/// pressure `ok`, headroom `plenty`, reclaim end and refills.
pub fn priority(rec: &Record) -> Priority {
    match &rec.payload {
        Payload::Pressure(p) => match Level::from_raw(p.new_level) {
            Some(Level::Ok) => Priority::INFO,
            Some(Level::Low) | None => Priority::WARNING,
            Some(Level::Min) => Priority::ERR,
        },
        Payload::Oom(_) | Payload::Kill(_) => Priority::CRIT,
        Payload::Pool(p) => match PoolOp::from_raw(p.op) {
            Some(PoolOp::Refill) => Priority::INFO,
            Some(PoolOp::RefillFailed) => Priority::WARNING,
            Some(PoolOp::Release) | None => Priority::NOTICE,
        },
        Payload::Lost(_) => Priority::WARNING,
        Payload::Headroom(h) => match HeadroomLevel::from_raw(h.new_level) {
            Some(HeadroomLevel::Plenty) => Priority::INFO,
            Some(HeadroomLevel::Low) => Priority::NOTICE,
            Some(HeadroomLevel::Medium) | None => Priority::WARNING,
            Some(HeadroomLevel::Critical) => Priority::ERR,
        },
        Payload::Reclaim(r) => match ReclaimPhase::from_raw(r.phase) {
            Some(ReclaimPhase::Onset) | None => Priority::NOTICE,
            Some(ReclaimPhase::Direct) => Priority::WARNING,
            Some(ReclaimPhase::End) => Priority::INFO,
        },
    }
}
