//! rust_oom_guard's ABI definition and pure logic, shared with the kernel module.
//!
//! It compiles exactly the kernel module's `common/` folder, included by path, and nothing else:
//! `common/abi/` (records, codec, ioctls), `common/level.rs`, `common/headroom.rs`,
//! `common/ring.rs` and `common/params.rs`. They use only `core`, so the kernel and this crate
//! build the same code, and `cargo test` checks the logic on the host.
//! The kernel's Rust lints that matter for them are enabled here too.
#![cfg_attr(not(test), no_std)]
#![warn(
    missing_docs,
    unreachable_pub,
    rust_2018_idioms,
    clippy::cast_lossless,
    clippy::as_underscore,
    clippy::ptr_as_ptr,
    clippy::undocumented_unsafe_blocks,
    clippy::float_arithmetic
)]
#![forbid(unsafe_code)]

#[path = "../../../common/mod.rs"]
mod common;

pub use common::{abi, headroom, level, params, ring};
