// SPDX-License-Identifier: GPL-2.0

//! The shorter layouts of ABI 1.0 and 1.1, which the module still answers and the reader still
//! reads. Nothing else in the ABI knows them: retiring them is deleting this file and its users.

use super::*;

/// Size of [`Pressure`] in ABI 1.0, before the trailing headroom fields.
pub const PRESSURE_SIZE_1_0: usize = 24 + MAX_ZONES * ZONE_SIZE;
const _: () = assert!(PRESSURE_SIZE == PRESSURE_SIZE_1_0 + 24);

/// Size of [`Stats`] in ABI 1.0: the first 16 counters.
pub const STATS_SIZE_1_0: usize = 128;
/// Size of [`Config`] in ABI 1.0: the first 8 fields.
pub const CONFIG_SIZE_1_0: usize = 32;
/// The ABI 1.0 number of [`IOCTL_GET_STATS`]: still answered, with the first 128 bytes.
pub const IOCTL_GET_STATS_1_0: u32 = ioc(ioctl::IOC_READ, 1, STATS_SIZE_1_0);
/// Size of [`Stats`] in ABI 1.1: the first 24 counters.
pub const STATS_SIZE_1_1: usize = 192;
/// The ABI 1.1 number of [`IOCTL_GET_STATS`]: still answered, with the first 192 bytes.
pub const IOCTL_GET_STATS_1_1: u32 = ioc(ioctl::IOC_READ, 1, STATS_SIZE_1_1);
/// The ABI 1.0 number of [`IOCTL_GET_CONFIG`]: still answered, with the first 32 bytes.
pub const IOCTL_GET_CONFIG_1_0: u32 = ioc(ioctl::IOC_READ, 3, CONFIG_SIZE_1_0);
/// The ABI 1.0 number of [`IOCTL_SET_CONFIG`]: still accepted; it sets the first 32 bytes and
/// keeps the fields added since.
pub const IOCTL_SET_CONFIG_1_0: u32 = ioc(ioctl::IOC_WRITE, 4, CONFIG_SIZE_1_0);

const _: () = assert!(core::mem::size_of::<Stats>() == STATS_SIZE_1_1 + 32);
const _: () = assert!(STATS_SIZE_1_1 == STATS_SIZE_1_0 + 64);
const _: () = assert!(core::mem::size_of::<Config>() == CONFIG_SIZE_1_0 + 32);

impl Stats {
    /// The counters from the `u64` words an older (shorter) [`IOCTL_GET_STATS`] returned, in
    /// struct order; the counters the words do not reach are zero.
    pub fn from_words(w: &[u64]) -> Self {
        let mut s = Stats::default();
        for f in STATS_FIELDS {
            (f.set)(&mut s, w.get(f.word).copied().unwrap_or(0));
        }
        s
    }
}
