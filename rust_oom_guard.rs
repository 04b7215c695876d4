// SPDX-License-Identifier: GPL-2.0

//! rust_oom_guard: averts global OOM kills with an emergency page pool and
//! warns before memory runs out.
//!
//! This crate root only wires the stages together: the module declaration,
//! its parameters, the init order and the teardown order. The stages
//! themselves (OOM notifier, page pool, watermark monitor, event ring, misc
//! device) live in sibling files.

use kernel::prelude::*;

pub mod abi;
pub mod level;
pub mod params;
pub mod ring;

module! {
    type: OomGuard,
    name: "rust_oom_guard",
    authors: ["rust_oom_guard developers"],
    description: "Averts global OOM kills with an emergency page pool and warns before memory runs out",
    license: "GPL",
}

/// The loaded module.
struct OomGuard;

impl kernel::Module for OomGuard {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        pr_info!("loaded\n");
        Ok(OomGuard)
    }
}

impl Drop for OomGuard {
    fn drop(&mut self) {
        pr_info!("unloaded\n");
    }
}
