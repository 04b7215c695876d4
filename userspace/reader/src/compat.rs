//! Modules of older ABI minor versions (1.0, 1.1): everything the reader knows about them.
//!
//! A module of ABI 1.0 writes shorter pressure records (no `headroom`, `fall_rate`,
//! `tte_ms`), has the first seven configuration keys only, and does not know the current
//! numbers of the stats and config ioctls (their structs grew since); one of ABI 1.1 knows
//! neither the 1.2 stats ioctl nor the module's cost counters it added. The other modules ask
//! here, so that the change which drops these versions (ABI 2.0) deletes this one module and
//! follows the compiler to the few call sites.

use crate::decode::Record;
use crate::sys;
use oom_guard_core::abi::compat::{CONFIG_SIZE_1_0, STATS_SIZE_1_0, STATS_SIZE_1_1};
use oom_guard_core::abi::{self, Config, RecordType, Stats};
use oom_guard_core::params;
use std::io;
use std::os::fd::BorrowedFd;

/// The name of the ABI 1.0 `SET_CONFIG` ioctl, for errors.
pub(crate) const SET_CONFIG_1_0: &str = "OOM_GUARD_SET_CONFIG_1_0";

/// Whether a pressure record carries the ABI 1.1 fields (`headroom`, `fall_rate`, `tte_ms`); a
/// record from an ABI 1.0 module is shorter and does not.
pub fn has_headroom_fields(rec: &Record) -> bool {
    rec.header.size as usize >= RecordType::Pressure.record_size()
}

/// The newest ABI minor version whose counters a stats reply holds: 0 for a reply to the 1.0
/// ioctl (`v1_0`), else the module's minor version, at least 1 (the 1.1 ioctl answered), any
/// for an unknown ABI. The counters of `abi::STATS_FIELDS` up to it are shown.
pub(crate) fn stats_minor(v1_0: bool, abi: Option<(u8, u8)>) -> u8 {
    if v1_0 {
        0
    } else {
        abi.map_or(u8::MAX, |(_, minor)| minor.max(1))
    }
}

/// The ABI 1.0 counters as [`Stats`]: the later counters zero, `tte_ms` unknown.
pub fn stats_from_1_0(v: [u64; STATS_SIZE_1_0 / 8]) -> Stats {
    Stats {
        tte_ms: abi::TTE_UNKNOWN,
        ..Stats::from_words(&v)
    }
}

/// The ABI 1.0 configuration as [`Config`], the 1.1 fields at their defaults.
pub fn config_from_1_0(v: [u32; CONFIG_SIZE_1_0 / 4]) -> Config {
    let [policy, release_chunk, avert_budget, budget_window_ms, refill_delay_ms, sample_slow_ms, sample_fast_ms, reserved] =
        v;
    Config {
        policy,
        release_chunk,
        avert_budget,
        budget_window_ms,
        refill_delay_ms,
        sample_slow_ms,
        sample_fast_ms,
        reserved,
        ..params::default_config()
    }
}

/// The first 32 bytes of a configuration: what the ABI 1.0 `SET_CONFIG` takes.
pub fn config_to_1_0(c: &Config) -> [u32; CONFIG_SIZE_1_0 / 4] {
    [
        c.policy,
        c.release_chunk,
        c.avert_budget,
        c.budget_window_ms,
        c.refill_delay_ms,
        c.sample_slow_ms,
        c.sample_fast_ms,
        c.reserved,
    ]
}

/// Whether `e` says the module does not know the ioctl.
fn is_enotty(e: &io::Error) -> bool {
    e.raw_os_error() == Some(libc::ENOTTY)
}

/// The counters of a module older than ABI 1.2, asked on `fd` after the current stats ioctl
/// failed with `ENOTTY`: the ABI 1.1 ioctl (the 1.2 counters stay zero), then, if the module
/// does not know that one either, the ABI 1.0 one. Returns the counters and whether only the
/// 1.0 ioctl worked; `None` if neither did (the caller reports its own error).
pub(crate) fn stats_before_1_2(fd: BorrowedFd<'_>) -> Option<(Stats, bool)> {
    let mut v = [0u64; STATS_SIZE_1_1 / 8];
    match sys::ioctl(fd, abi::compat::IOCTL_GET_STATS_1_1, &mut v) {
        Ok(()) => Some((Stats::from_words(&v), false)),
        Err(e) if is_enotty(&e) => {
            let mut v = [0u64; STATS_SIZE_1_0 / 8];
            sys::ioctl(fd, abi::compat::IOCTL_GET_STATS_1_0, &mut v)
                .ok()
                .map(|()| (stats_from_1_0(v), true))
        }
        Err(_) => None,
    }
}

/// The configuration of a module of ABI 1.0, asked on `fd` after the current config ioctl
/// failed with `ENOTTY`, the fields added since at their defaults; `None` if the 1.0 ioctl
/// failed too (the caller reports its own error).
pub(crate) fn config_1_0(fd: BorrowedFd<'_>) -> Option<Config> {
    let mut v = [0u32; CONFIG_SIZE_1_0 / 4];
    sys::ioctl(fd, abi::compat::IOCTL_GET_CONFIG_1_0, &mut v)
        .ok()
        .map(|()| config_from_1_0(v))
}

/// Sets the first 8 fields of the configuration on `fd` with the ABI 1.0 ioctl
/// ([`SET_CONFIG_1_0`]).
pub(crate) fn set_config_1_0(fd: BorrowedFd<'_>, config: &Config) -> io::Result<()> {
    let mut c = config_to_1_0(config);
    sys::ioctl(fd, abi::compat::IOCTL_SET_CONFIG_1_0, &mut c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::decode_all;
    use crate::decode::tests::{encoded, records, samples};
    use oom_guard_core::abi::{Payload, TTE_UNKNOWN};

    #[test]
    fn a_1_0_pressure_record_decodes_without_headroom_fields() {
        let p = samples()[0];
        let mut bytes = encoded(0, &p);
        let old = RecordType::Pressure.min_record_size();
        bytes.truncate(old);
        bytes[0..4].copy_from_slice(&u32::try_from(old).unwrap().to_ne_bytes());
        bytes[7] = 0;
        bytes.extend(encoded(1, &samples()[2]));
        let items = decode_all(&bytes).unwrap();
        let recs = records(&items);
        assert_eq!(items.len(), 2, "no warning for an older minor");
        let Payload::Pressure(got) = recs[0].payload else {
            panic!("{recs:?}")
        };
        assert_eq!(
            (got.headroom, got.fall_rate, got.tte_ms),
            (0, 0, TTE_UNKNOWN)
        );
        assert_eq!(recs[0].header.size as usize, old);
        assert_eq!(recs[1].header.seq, 1);
    }

    #[test]
    fn layouts_of_abi_1_0() {
        let mut v = [0u64; 16];
        for (i, x) in (1..).zip(v.iter_mut()) {
            *x = i;
        }
        let s = stats_from_1_0(v);
        assert_eq!((s.oom_calls, s.level, s.samples), (1, 11, 16));
        assert_eq!((s.headroom, s.reclaim_active), (0, 0));
        assert_eq!(s.tte_ms, abi::TTE_UNKNOWN);
        let c = config_from_1_0([1, 2, 3, 4, 5, 6, 7, 0]);
        assert_eq!((c.policy, c.sample_fast_ms, c.reserved), (1, 7, 0));
        let d = params::default_config();
        assert_eq!(
            (c.headroom_low, c.sample_min_ms, c.reclaim_quiet_ms),
            (d.headroom_low, d.sample_min_ms, d.reclaim_quiet_ms)
        );
        assert_eq!(config_to_1_0(&c), [1, 2, 3, 4, 5, 6, 7, 0]);
    }
}
