// SPDX-License-Identifier: GPL-2.0

//! `/dev/oom_guard`: `read()` returns whole records (blocking, or `EAGAIN` with `O_NONBLOCK`),
//! `poll()`/`epoll` report `POLLIN` when records wait, and the ioctls give the ABI version,
//! the counters, a zone snapshot and the runtime configuration.

use crate::abi::{self, Zones, ABI_MAJOR, ABI_MINOR};
use crate::events::Cursor;
use crate::ffi::compat::{File, PollTable};
use crate::ffi::{self, DeviceOps};
use crate::state::Guard;
use crate::zones;
use kernel::{
    prelude::*,
    uaccess::{UserSliceReader, UserSliceWriter},
};

impl DeviceOps for Guard {
    type Open = Pin<KBox<Cursor>>;

    fn open(&self) -> Result<Self::Open> {
        let cursor = KBox::pin_init(Cursor::new(), GFP_KERNEL)?;
        // Counted as a reader only now that nothing can fail: `release` uncounts it.
        self.events.attach(&cursor);
        Ok(cursor)
    }

    fn release(&self, _open: Self::Open) {
        self.events.close();
    }

    fn read(&self, open: &Self::Open, out: &mut UserSliceWriter, nonblock: bool) -> Result<usize> {
        self.events.read(open, out, nonblock)
    }

    fn poll(&self, open: &Self::Open, file: &File, table: PollTable<'_>) -> bool {
        table.register_wait(file, self.events.wait_queue());
        self.events.readable(open)
    }

    fn ioctl(
        &self,
        _open: &Self::Open,
        cmd: u32,
        mut reader: UserSliceReader,
        mut writer: UserSliceWriter,
    ) -> Result<i32> {
        match cmd {
            abi::IOCTL_GET_VERSION => {
                let v = (u32::from(ABI_MAJOR) << 8) | u32::from(ABI_MINOR);
                writer.write(&v)?;
            }
            abi::IOCTL_GET_STATS => writer.write(&self.stats())?,
            abi::IOCTL_GET_ZONES => {
                let s = zones::sample();
                writer.write(&Zones {
                    nr_zones: s.nr_zones,
                    flags: s.flags,
                    free_pages: s.free_pages,
                    available_pages: s.available_pages,
                    level: self.level() as u64,
                    zones: s.zones,
                })?;
            }
            abi::IOCTL_GET_CONFIG => writer.write(&self.config())?,
            abi::IOCTL_SET_CONFIG => {
                if !ffi::capable_sys_admin() {
                    return Err(EPERM);
                }
                let new: abi::Config = reader.read()?;
                self.config.update(|c| *c = new)?;
            }
            _ => return Err(ENOTTY),
        }
        Ok(0)
    }
}
