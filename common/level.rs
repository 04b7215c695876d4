// SPDX-License-Identifier: GPL-2.0

//! Watermark classification and the pressure level state machine.
//!
//! Pure logic on `core` only: compiled into the module and unit-tested on the host.

use crate::abi::{Level, ZoneState};

/// A zone's free pages and watermarks, in pages, as read from `struct zone`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ZoneMarks {
    /// Free pages (`NR_FREE_PAGES`).
    pub free: u64,
    /// `_watermark[WMARK_MIN]`.
    pub min: u64,
    /// `_watermark[WMARK_LOW]`.
    pub low: u64,
    /// `_watermark[WMARK_HIGH]`.
    pub high: u64,
    /// `watermark_boost`, added to every watermark.
    pub boost: u64,
    /// `lowmem_reserve[ZONE_MOVABLE]`: what the zone keeps back from a user page allocation,
    /// which could have used a higher zone.
    pub reserve: u64,
    /// Free pages the allocation class may not use (`nr_free_highatomic`), subtracted from
    /// `free` as `__zone_watermark_ok()` does.
    pub unusable: u64,
}

impl ZoneMarks {
    /// Whether `free` clears `mark` the way `__zone_watermark_ok()` checks an order-0
    /// allocation: free pages, less the ones the class may not use, must stay above the
    /// boosted watermark plus the lowmem reserve.
    fn ok(&self, mark: u64) -> bool {
        let need = mark.saturating_add(self.boost).saturating_add(self.reserve);
        self.free.saturating_sub(self.unusable) > need
    }

    /// The free pages at or below which an allocation of the class fails in this zone: the
    /// boosted min watermark, the lowmem reserve and the unusable pages.
    pub fn floor(&self) -> u64 {
        self.min
            .saturating_add(self.boost)
            .saturating_add(self.reserve)
            .saturating_add(self.unusable)
    }

    /// Pages that must come free in this zone before an allocation of the class passes its min
    /// watermark here (0 if it passes now).
    pub fn deficit(&self) -> u64 {
        self.floor().saturating_add(1).saturating_sub(self.free)
    }

    /// Classifies the zone against its watermarks.
    pub fn state(&self) -> ZoneState {
        if !self.ok(self.min) {
            ZoneState::BelowMin
        } else if !self.ok(self.low) {
            ZoneState::BelowLow
        } else if !self.ok(self.high) {
            ZoneState::BelowHigh
        } else {
            ZoneState::AboveHigh
        }
    }
}

/// The system level, with hysteresis: it rises as soon as any zone crosses a watermark
/// downwards, but falls one step only once every zone is back above the next watermark up
/// (`min` → `low` above low, `low` → `ok` above high), so it cannot flap around a watermark.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LevelTracker {
    level: Level,
}

impl LevelTracker {
    /// A tracker starting at `ok`.
    pub const fn new() -> Self {
        Self { level: Level::Ok }
    }

    /// The current level.
    pub fn level(&self) -> Level {
        self.level
    }

    /// Feeds the worst zone state of one sample; returns `Some((old, new))` on a change.
    pub fn update(&mut self, worst: ZoneState) -> Option<(Level, Level)> {
        let old = self.level;
        let new = match (old, worst) {
            (_, ZoneState::BelowMin) => Level::Min,
            (Level::Min, ZoneState::BelowLow) => Level::Min,
            (Level::Min, ZoneState::BelowHigh) => Level::Low,
            (Level::Min, ZoneState::AboveHigh) => Level::Ok,
            (_, ZoneState::BelowLow) => Level::Low,
            (Level::Low, ZoneState::BelowHigh) => Level::Low,
            (_, ZoneState::BelowHigh) => Level::Ok,
            (_, ZoneState::AboveHigh) => Level::Ok,
        };
        self.level = new;
        (new != old).then_some((old, new))
    }
}

/// The state of a set of zones for one allocation class, as the allocator decides it: the
/// *best* zone's. An allocation walks its zonelist and is served by the first zone that passes
/// the watermark it is held to, so it wakes kswapd only when every zone fails `low`
/// (`BelowLow`) and enters direct reclaim only when every zone fails `min` (`BelowMin`); kswapd
/// stops once one zone passes `high` (`pgdat_balanced()`). `AboveHigh` for no zones.
pub fn class_state(states: impl IntoIterator<Item = ZoneState>) -> ZoneState {
    states.into_iter().min().unwrap_or(ZoneState::AboveHigh)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone(free: u64) -> ZoneMarks {
        ZoneMarks {
            free,
            min: 100,
            low: 125,
            high: 150,
            boost: 0,
            reserve: 0,
            unusable: 0,
        }
    }

    #[test]
    fn classify_like_the_kernel() {
        assert_eq!(zone(1000).state(), ZoneState::AboveHigh);
        assert_eq!(zone(151).state(), ZoneState::AboveHigh);
        // The kernel needs free > mark: equal is below.
        assert_eq!(zone(150).state(), ZoneState::BelowHigh);
        assert_eq!(zone(126).state(), ZoneState::BelowHigh);
        assert_eq!(zone(125).state(), ZoneState::BelowLow);
        assert_eq!(zone(101).state(), ZoneState::BelowLow);
        assert_eq!(zone(100).state(), ZoneState::BelowMin);
        assert_eq!(zone(0).state(), ZoneState::BelowMin);
    }

    #[test]
    fn boost_and_reserve_raise_every_mark() {
        let mut z = zone(200);
        z.boost = 30;
        assert_eq!(z.state(), ZoneState::AboveHigh);
        z.reserve = 30;
        // Need free > 150 + 30 + 30 = 210 for high, > 185 for low, > 160 for min.
        assert_eq!(z.state(), ZoneState::BelowHigh);
        z.free = 185;
        assert_eq!(z.state(), ZoneState::BelowLow);
        z.free = 160;
        assert_eq!(z.state(), ZoneState::BelowMin);
        // Saturating: absurd reserves do not overflow.
        z.reserve = u64::MAX;
        assert_eq!(z.state(), ZoneState::BelowMin);
    }

    #[test]
    fn highatomic_pages_do_not_count() {
        let mut z = zone(200);
        z.unusable = 60;
        // 200 - 60 = 140: below high (150), above low (125).
        assert_eq!(z.state(), ZoneState::BelowHigh);
        z.unusable = 100;
        assert_eq!(z.state(), ZoneState::BelowMin);
    }

    #[test]
    fn floor_and_deficit() {
        let mut z = zone(90);
        z.boost = 10;
        z.reserve = 20;
        z.unusable = 5;
        assert_eq!(z.floor(), 135);
        // 46 more pages make free 136 > 135: the zone passes min.
        assert_eq!(z.deficit(), 46);
        z.free = 136;
        assert_eq!(z.deficit(), 0);
        assert_ne!(z.state(), ZoneState::BelowMin);
        z.free = 135;
        assert_eq!(z.deficit(), 1);
        assert_eq!(z.state(), ZoneState::BelowMin);
    }

    #[test]
    fn level_rises_at_once_and_falls_with_hysteresis() {
        use ZoneState::*;
        let mut t = LevelTracker::new();
        assert_eq!(t.update(BelowHigh), None);
        assert_eq!(t.update(BelowLow), Some((Level::Ok, Level::Low)));
        // Bouncing between low and high keeps `low`: no flapping.
        for _ in 0..10 {
            assert_eq!(t.update(BelowHigh), None);
            assert_eq!(t.update(BelowLow), None);
        }
        assert_eq!(t.update(BelowMin), Some((Level::Low, Level::Min)));
        for _ in 0..10 {
            assert_eq!(t.update(BelowLow), None);
            assert_eq!(t.update(BelowMin), None);
        }
        assert_eq!(t.update(BelowHigh), Some((Level::Min, Level::Low)));
        assert_eq!(t.update(AboveHigh), Some((Level::Low, Level::Ok)));
        // A straight jump both ways.
        assert_eq!(t.update(BelowMin), Some((Level::Ok, Level::Min)));
        assert_eq!(t.update(AboveHigh), Some((Level::Min, Level::Ok)));
        assert_eq!(t.level(), Level::Ok);
    }

    #[test]
    fn the_best_zone_decides() {
        use ZoneState::*;
        assert_eq!(class_state([]), AboveHigh);
        // A DMA zone whose reserve exceeds it, a DMA32 zone between low and high and a Normal
        // zone below min: an allocation is served from DMA32 without waking kswapd.
        assert_eq!(class_state([BelowMin, BelowHigh, BelowMin]), BelowHigh);
        assert_eq!(class_state([BelowMin, BelowMin]), BelowMin);
        assert_eq!(class_state([BelowLow, AboveHigh]), AboveHigh);
    }
}
