// SPDX-License-Identifier: GPL-2.0

//! The code the kernel module and userspace compile alike: the ABI of `/dev/oom_guard` and the
//! pure logic of the guard. Every file here depends only on `core`, so the module builds it with
//! the kernel's Rust and `userspace/guard-core` builds the very same files for the reader and the
//! host tests (`cargo test`).
//!
//! - [`abi`]: record layouts, their codec and the ioctls;
//! - [`level`]: the watermark level of a zone set, with hysteresis;
//! - [`headroom`]: headroom levels, fall rate and time to exhaustion;
//! - [`ring`]: the event ring's cursors and overflow accounting;
//! - [`params`]: the tunables, their ranges and the configuration rules.

pub mod abi;
pub mod headroom;
pub mod level;
pub mod params;
pub mod ring;
