//! rust_oom_guard's ABI definition and pure logic, shared with the kernel module.
//!
//! The modules below are the very files the module compiles (`abi.rs`, `level.rs`, `ring.rs`,
//! `params.rs` beside `rust_oom_guard.rs`), included by path. They use only `core`, so the
//! kernel and this crate build the same code, and `cargo test` checks the logic on the host.
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

#[path = "../../../abi.rs"]
pub mod abi;
#[path = "../../../headroom.rs"]
pub mod headroom;
#[path = "../../../level.rs"]
pub mod level;
#[path = "../../../params.rs"]
pub mod params;
#[path = "../../../ring.rs"]
pub mod ring;
