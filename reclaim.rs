// SPDX-License-Identifier: GPL-2.0

//! Reclaim episodes: the reclaim hook (a shrinker that frees nothing, `ffi/shrinker.rs`) notes
//! every reclaim pass here, and the monitor turns them into episodes: a `RECLAIM` onset when
//! reclaim starts, a `direct` record when direct reclaim joins kswapd, an end once reclaim has
//! been quiet for `reclaim_quiet_ms`.

use crate::abi::{self, Config, Payload, ReclaimPhase, RECLAIM_DIRECT, RECLAIM_KSWAPD};
use crate::ffi;
use crate::state::Guard;
use crate::stats::ReclaimStats;
use crate::zones::Sample;
use core::sync::atomic::{AtomicU64, Ordering::Relaxed};
use kernel::{new_spinlock, prelude::*, sync::SpinLock};

/// A reclaim episode as the monitor follows it.
#[derive(Clone, Copy)]
struct Episode {
    /// Monotonic ns of the onset the monitor reported.
    start_ns: u64,
    /// The shrinker counters at the onset.
    kswapd0: u64,
    direct0: u64,
    /// `RECLAIM_*` bits reported so far.
    who: u8,
}

/// The monitor's side of the episodes.
struct Inner {
    /// The reclaim episode in progress, if any.
    episode: Option<Episode>,
    /// The shrinker's (kswapd, direct) counters when the last episode ended: an onset counts
    /// the calls since, the ones that started it included.
    base: (u64, u64),
}

/// The reclaim episodes: what the hook hands over, and the episode the monitor follows.
#[pin_data]
pub(crate) struct Episodes {
    #[pin]
    inner: SpinLock<Inner>,
    /// `RECLAIM_*` bits seen by the hook since the monitor last ended an episode.
    seen: AtomicU64,
    /// Time (monotonic ns) of the last hook call.
    last_ns: AtomicU64,
}

impl Episodes {
    /// No episode yet.
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            inner <- new_spinlock!(Inner { episode: None, base: (0, 0) }, "OomGuard::reclaim"),
            seen: AtomicU64::new(0),
            last_ns: AtomicU64::new(0),
        })
    }

    /// Notes one reclaim pass, by kswapd or by direct reclaim, in `stats` and here. Returns
    /// whether to wake the monitor: only when this kind of reclaim is new to the episode (once
    /// at the onset and once when direct reclaim joins), not at every pass. Atomics only.
    pub(crate) fn note(&self, stats: &ReclaimStats, kswapd: bool) -> bool {
        let bit = if kswapd {
            stats.kswapd.fetch_add(1, Relaxed);
            RECLAIM_KSWAPD
        } else {
            stats.direct.fetch_add(1, Relaxed);
            RECLAIM_DIRECT
        };
        self.last_ns.store(ffi::now_ns(), Relaxed);
        self.seen.fetch_or(u64::from(bit), Relaxed) & u64::from(bit) == 0
    }

    /// Follows the reclaim episode the hook reports: emits `RECLAIM` onset, direct and end
    /// events. Returns the interval needed to see the episode end in time, if one runs.
    pub(crate) fn update(&self, g: &Guard, cfg: &Config, s: &Sample, now: u64) -> Option<u32> {
        let c = &g.counters;
        let seen = self.seen.load(Relaxed);
        let kswapd = c.reclaim.kswapd.load(Relaxed);
        let direct = c.reclaim.direct.load(Relaxed);
        let last = self.last_ns.load(Relaxed);
        let quiet_ns = u64::from(cfg.reclaim_quiet_ms) * 1_000_000;
        let seen_bits =
            u8::try_from(seen & u64::from(RECLAIM_KSWAPD | RECLAIM_DIRECT)).unwrap_or(0);
        let (phase, ep) = {
            let mut m = self.inner.lock();
            match m.episode {
                None if seen_bits != 0 => {
                    let ep = Episode {
                        start_ns: now,
                        kswapd0: m.base.0,
                        direct0: m.base.1,
                        who: seen_bits,
                    };
                    m.episode = Some(ep);
                    c.gauges.reclaim_active.store(1, Relaxed);
                    (ReclaimPhase::Onset, ep)
                }
                None => return None,
                Some(mut ep) => {
                    if now.saturating_sub(last) >= quiet_ns {
                        self.seen.store(0, Relaxed);
                        if self.last_ns.load(Relaxed) != last {
                            // A call raced with the end: the episode goes on.
                            self.seen.fetch_or(u64::from(ep.who), Relaxed);
                            return Some(cfg.reclaim_quiet_ms);
                        }
                        m.episode = None;
                        c.gauges.reclaim_active.store(0, Relaxed);
                        m.base = (kswapd, direct);
                        (ReclaimPhase::End, ep)
                    } else if seen_bits & RECLAIM_DIRECT != 0 && ep.who & RECLAIM_DIRECT == 0 {
                        ep.who |= seen_bits;
                        m.episode = Some(ep);
                        (ReclaimPhase::Direct, ep)
                    } else {
                        return Some(cfg.reclaim_quiet_ms);
                    }
                }
            }
        };
        if phase == ReclaimPhase::Onset {
            c.monitor.reclaim_episodes.fetch_add(1, Relaxed);
        }
        let duration_ms = if phase == ReclaimPhase::Onset {
            0
        } else {
            now.saturating_sub(ep.start_ns) / 1_000_000
        };
        g.events.emit(
            now,
            0,
            Payload::Reclaim(abi::Reclaim {
                phase: phase as u8,
                who: ep.who,
                wm_level: g.level() as u8,
                headroom: g.headroom() as u8,
                reserved: 0,
                kswapd_calls: kswapd.saturating_sub(ep.kswapd0),
                direct_calls: direct.saturating_sub(ep.direct0),
                duration_ms,
                free_pages: s.free_pages,
                available_pages: s.available_pages,
            }),
        );
        (phase != ReclaimPhase::End).then_some(cfg.reclaim_quiet_ms)
    }
}
