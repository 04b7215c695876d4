// SPDX-License-Identifier: GPL-2.0

//! The userspace ABI of `/dev/oom_guard`: record layouts, constants and ioctl numbers.
//!
//! This folder is the single definition of the ABI. It depends only on `core` and is compiled both
//! into the kernel module and into the userspace reader (`userspace/guard-core`), so the two
//! cannot drift. [`records`] holds the record layouts, [`codec`] their byte encoding, [`ioctl`]
//! the ioctl numbers and structs. All integers are in the machine's native byte order, as in
//! every kernel uapi.
//!
//! A `read()` returns whole records. Every record starts with a [`RecordHeader`] whose `size`
//! field gives the length of the whole record, header included, so a reader can skip record
//! types it does not know. Reserved and padding bytes are always zero.
//!
//! ABI 2.0 is the first stable version. Its rules for the future: records and ioctl structs
//! only grow at the end (a reader uses the fields it knows and ignores the bytes after them);
//! the size travels with the data (a record's header, an ioctl number); a new record type is
//! skipped by its size by a reader that does not know it; an incompatible change raises
//! [`ABI_MAJOR`], which readers refuse.
//!
//! ABI 2.1 appends `free_ns`, `blocks_freed` and `span_us` to the [`Oom`] record (see
//! [`RecordType::min_record_size`] for the 2.0 size a reader must still accept).

/// Major ABI version: incremented on incompatible changes.
pub const ABI_MAJOR: u8 = 2;
/// Minor ABI version: incremented when record types or trailing fields are added.
pub const ABI_MINOR: u8 = 1;
/// Name of the misc device (`/dev/oom_guard`).
pub const DEVICE_NAME: &str = "oom_guard";
/// Most zone snapshots a record carries (nodes × zones); more zones set [`FLAG_ZONES_TRUNCATED`].
pub const MAX_ZONES: usize = 8;
/// Length of a task name (`TASK_COMM_LEN`).
pub const COMM_LEN: usize = 16;
/// Length of a zone name field.
pub const ZONE_NAME_LEN: usize = 8;

/// Record flag: the system had more populated zones than [`MAX_ZONES`].
pub const FLAG_ZONES_TRUNCATED: u32 = 1 << 0;

/// A time to exhaustion that is not known: available memory is not falling.
pub const TTE_UNKNOWN: u64 = u64::MAX;

pub mod codec;
pub mod ioctl;
pub mod records;

pub use codec::*;
pub use ioctl::*;
pub use records::*;
