// SPDX-License-Identifier: GPL-2.0

//! The ioctls' plain-data records: what lets `UserSlice` copy them (`rust/kernel/transmute.rs`).

use crate::abi;
use crate::ffi::compat::{AsBytes, FromBytes};

// SAFETY: `Stats` is `#[repr(C)]` with only `u64` fields: no padding, every bit pattern valid.
unsafe impl AsBytes for abi::Stats {}
// SAFETY: `Config` is `#[repr(C)]` with only `u32` fields: no padding.
unsafe impl AsBytes for abi::Config {}
// SAFETY: As above, and every bit pattern is a valid `Config` (values are validated after).
unsafe impl FromBytes for abi::Config {}
// SAFETY: `Zones` is `#[repr(C)]`: two `u32`, three `u64`, then `ZoneSnapshot`s, which are
// `u16, u8, u8, u32, [u8; 8]` and seven `u64`: every field is naturally aligned with no
// padding (sizes asserted in `abi.rs`).
unsafe impl AsBytes for abi::Zones {}
