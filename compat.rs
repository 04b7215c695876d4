// SPDX-License-Identifier: GPL-2.0

//! The ioctls of ABI 1.0 and 1.1, still answered: their stats and config structs were the
//! first bytes of today's (`abi::compat` has the sizes and numbers). Nothing else in the module
//! knows them: retiring ABI 1.x is deleting this file and its one call in `device.rs`.

use crate::abi::compat::{
    CONFIG_SIZE_1_0, IOCTL_GET_CONFIG_1_0, IOCTL_GET_STATS_1_0, IOCTL_GET_STATS_1_1,
    IOCTL_SET_CONFIG_1_0, STATS_SIZE_1_0, STATS_SIZE_1_1,
};
use crate::ffi;
use crate::state::Guard;
use kernel::{
    prelude::*,
    transmute::AsBytes,
    uaccess::{UserSliceReader, UserSliceWriter},
};

/// Answers an ioctl of ABI 1.0 or 1.1 on `guard`'s device; `ENOTTY` for any other number.
pub(crate) fn ioctl(
    guard: &Guard,
    cmd: u32,
    mut reader: UserSliceReader,
    mut writer: UserSliceWriter,
) -> Result<i32> {
    match cmd {
        // The counters these clients know.
        IOCTL_GET_STATS_1_0 | IOCTL_GET_STATS_1_1 => {
            let known = if cmd == IOCTL_GET_STATS_1_0 {
                STATS_SIZE_1_0
            } else {
                STATS_SIZE_1_1
            };
            let stats = guard.stats();
            let old = stats.as_bytes().get(..known).ok_or(EINVAL)?;
            writer.write_slice(old)?;
        }
        IOCTL_GET_CONFIG_1_0 => {
            let config = guard.config();
            let old = config.as_bytes().get(..CONFIG_SIZE_1_0).ok_or(EINVAL)?;
            writer.write_slice(old)?;
        }
        // ABI 1.0 clients set the fields they know and keep the others.
        IOCTL_SET_CONFIG_1_0 => {
            if !ffi::capable_sys_admin() {
                return Err(EPERM);
            }
            let mut known = [0u8; CONFIG_SIZE_1_0];
            reader.read_slice(&mut known)?;
            guard.config.update(|c| {
                if let Some(old) = c.as_bytes_mut().get_mut(..CONFIG_SIZE_1_0) {
                    old.copy_from_slice(&known);
                }
            })?;
        }
        _ => return Err(ENOTTY),
    }
    Ok(0)
}
