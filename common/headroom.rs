// SPDX-License-Identifier: GPL-2.0

//! Headroom levels, the fall rate of available memory, time to exhaustion and the adaptive
//! sampling interval (issue 6).
//!
//! Pure logic on `core` only, in integer arithmetic (the kernel has no floating point): unit-
//! tested on the host through `guard-core` and used by the module's monitor (`monitor.rs`).

use crate::abi::Config;
pub use crate::abi::HeadroomLevel as Headroom;

/// Thresholds on available pages: `low > medium > critical`, and the hysteresis a level needs
/// to be left upwards.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Thresholds {
    /// Below this: [`Headroom::Low`].
    pub low: u64,
    /// Below this: [`Headroom::Medium`].
    pub medium: u64,
    /// Below this: [`Headroom::Critical`].
    pub critical: u64,
    /// A level is left upwards only once available memory is this far above its threshold.
    pub hysteresis: u64,
}

impl Thresholds {
    /// Thresholds as per-mille of `total` pages, with a hysteresis of 1 % of `total`.
    pub fn from_permille(total: u64, low: u64, medium: u64, critical: u64) -> Self {
        let part = |pm: u64| total.saturating_mul(pm) / 1000;
        Self {
            low: part(low),
            medium: part(medium),
            critical: part(critical),
            hysteresis: total / 100,
        }
    }

    /// The thresholds of a runtime configuration, given the pages managed by the allocator and
    /// the page size in bytes.
    pub fn from_config(c: &Config, total_pages: u64, page_size: u64) -> Self {
        let (low, medium, critical, hysteresis) = c.headroom_pages(total_pages, page_size);
        Self {
            low,
            medium,
            critical,
            hysteresis,
        }
    }

    /// Whether the thresholds are ordered (`low > medium > critical`).
    pub fn valid(&self) -> bool {
        self.low > self.medium && self.medium > self.critical
    }

    /// The threshold a level is entered below (`None` for [`Headroom::Plenty`]).
    fn of(&self, level: Headroom) -> Option<u64> {
        match level {
            Headroom::Plenty => None,
            Headroom::Low => Some(self.low),
            Headroom::Medium => Some(self.medium),
            Headroom::Critical => Some(self.critical),
        }
    }

    /// The level of `available` pages without hysteresis.
    pub fn classify(&self, available: u64) -> Headroom {
        if available < self.critical {
            Headroom::Critical
        } else if available < self.medium {
            Headroom::Medium
        } else if available < self.low {
            Headroom::Low
        } else {
            Headroom::Plenty
        }
    }

    /// The next level given the current one: down at once, up only past threshold plus
    /// hysteresis (possibly several levels at once).
    pub fn update(&self, current: Headroom, available: u64) -> Headroom {
        let raw = self.classify(available);
        if raw >= current {
            return raw;
        }
        // Rising: settle on the most severe level whose threshold plus hysteresis is not
        // cleared yet, never more severe than `current`.
        let mut level = raw;
        for candidate in [Headroom::Low, Headroom::Medium, Headroom::Critical] {
            if candidate > current {
                break;
            }
            if let Some(t) = self.of(candidate) {
                if available < t.saturating_add(self.hysteresis) {
                    level = level.max(candidate);
                }
            }
        }
        level
    }

    /// The nearest threshold strictly below `available` (what a falling hog crosses next).
    pub fn next_below(&self, available: u64) -> Option<u64> {
        [self.low, self.medium, self.critical]
            .into_iter()
            .filter(|&t| t < available)
            .max()
    }
}

/// Smoothed rate at which available memory falls, in pages per second (negative: rising).
///
/// An exponentially weighted mean of the per-sample rate with a time constant, so the weight
/// of a sample grows with the time it covers (irregular sampling is fine). The time to
/// exhaustion it reports uses the mean ([`RateEstimator::time_to`]), which is robust to the
/// noise of short samples (the free count moves in per-CPU batches). Planning the next sample
/// is deliberately pessimistic: a sample falling faster than the mean counts at once
/// ([`RateEstimator::falling`]), so a sudden burst is not averaged away.
#[derive(Clone, Copy, Debug)]
pub struct RateEstimator {
    tau_ns: u64,
    last: Option<(u64, u64)>,
    smoothed: i64,
    latest: i64,
    primed: bool,
}

impl RateEstimator {
    /// An estimator with time constant `tau_ns` (for example 200 ms).
    pub const fn new(tau_ns: u64) -> Self {
        Self {
            tau_ns,
            last: None,
            smoothed: 0,
            latest: 0,
            primed: false,
        }
    }

    /// Feeds one sample: `available` pages at `now_ns`. Samples at the same or an earlier time
    /// only replace the reference point.
    pub fn sample(&mut self, now_ns: u64, available: u64) {
        let Some((t0, a0)) = self.last else {
            self.last = Some((now_ns, available));
            return;
        };
        self.last = Some((now_ns, available));
        let dt = now_ns.saturating_sub(t0);
        if dt == 0 {
            return;
        }
        // 64-bit arithmetic only: the kernel has no 128-bit division.
        let fall = as_i64(a0).saturating_sub(as_i64(available));
        let dt_i = as_i64(dt).max(1);
        let rate = match fall.checked_mul(NS_PER_S) {
            Some(v) => v / dt_i,
            None => (fall / dt_i).saturating_mul(NS_PER_S),
        };
        self.latest = rate;
        if !self.primed {
            // The first rate starts the mean (no bias towards zero).
            self.primed = true;
            self.smoothed = rate;
            return;
        }
        // smoothed += (rate - smoothed) * dt / (tau + dt)
        // In fixed point: weight = dt / (tau + dt), scaled by 2^10.
        let w = dt.saturating_mul(1024) / self.tau_ns.saturating_add(dt).max(1);
        let delta = rate.saturating_sub(self.smoothed).saturating_mul(as_i64(w)) / 1024;
        self.smoothed = self.smoothed.saturating_add(delta);
    }

    /// The smoothed fall rate in pages per second.
    pub fn smoothed(&self) -> i64 {
        self.smoothed
    }

    /// The rate to plan with: the faster of the smoothed and the latest rate (pages/s, > 0), or
    /// `None` while memory is not falling.
    pub fn falling(&self) -> Option<u64> {
        let r = self.smoothed.max(self.latest);
        u64::try_from(r).ok().filter(|&r| r > 0)
    }

    /// The smoothed fall rate in pages per second if memory is falling.
    pub fn fall_rate(&self) -> Option<u64> {
        u64::try_from(self.smoothed).ok().filter(|&r| r > 0)
    }

    /// Milliseconds until `available` falls to `floor` pages at the smoothed rate: the estimate
    /// to report. `None` if it is not falling, 0 if already there.
    pub fn time_to(&self, available: u64, floor: u64) -> Option<u64> {
        Self::ms_at(available, floor, self.fall_rate()?)
    }

    /// Milliseconds until `available` falls to `floor` pages at the planning rate
    /// ([`RateEstimator::falling`]): the soonest it may happen, to plan the next sample.
    pub fn soonest(&self, available: u64, floor: u64) -> Option<u64> {
        Self::ms_at(available, floor, self.falling()?)
    }

    fn ms_at(available: u64, floor: u64, rate: u64) -> Option<u64> {
        let gap = available.saturating_sub(floor);
        Some(gap.saturating_mul(1000) / rate.max(1))
    }
}

const NS_PER_S: i64 = 1_000_000_000;

/// A page count or a time as `i64`, saturating (no real count comes near 2^63).
fn as_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// The next sampling interval in milliseconds: a quarter of the time the next threshold below
/// is away at the planning rate ([`RateEstimator::soonest`]), within `[min_ms, max_ms]`;
/// `max_ms` while memory is not falling or no threshold is left below.
pub fn next_interval_ms(
    rate: &RateEstimator,
    available: u64,
    next_threshold: Option<u64>,
    min_ms: u64,
    max_ms: u64,
) -> u64 {
    let min_ms = min_ms.min(max_ms);
    match next_threshold.and_then(|t| rate.soonest(available, t)) {
        Some(ms) => (ms / 4).clamp(min_ms, max_ms),
        None => max_ms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    fn thresholds() -> Thresholds {
        // 65536 pages (256 MiB of 4 KiB pages): 20 %, 10 %, 5 %, hysteresis 655.
        Thresholds::from_permille(65536, 200, 100, 50)
    }

    #[test]
    fn from_config_in_percent_and_kib() {
        let mut c = crate::params::default_config();
        let t = Thresholds::from_config(&c, 65536, 4096);
        assert_eq!(
            (t.low, t.medium, t.critical, t.hysteresis),
            (13107, 6553, 3276, 1310)
        );
        c.headroom_unit = crate::abi::HEADROOM_KIB;
        c.headroom_low = 65536;
        c.headroom_medium = 32768;
        c.headroom_critical = 16384;
        c.headroom_hysteresis = 4096;
        let t = Thresholds::from_config(&c, 65536, 4096);
        assert_eq!(
            (t.low, t.medium, t.critical, t.hysteresis),
            (16384, 8192, 4096, 1024)
        );
    }

    #[test]
    fn classify_and_order() {
        let t = thresholds();
        assert!(t.valid());
        assert_eq!(t.classify(20000), Headroom::Plenty);
        assert_eq!(t.classify(13000), Headroom::Low);
        assert_eq!(t.classify(6000), Headroom::Medium);
        assert_eq!(t.classify(3000), Headroom::Critical);
        assert!(Headroom::Critical > Headroom::Medium && Headroom::Low > Headroom::Plenty);
        assert_eq!(Headroom::Critical as u8, 255);
    }

    #[test]
    fn hysteresis_holds_a_level_until_cleared() {
        let t = thresholds();
        let mut l = t.update(Headroom::Plenty, 6000);
        assert_eq!(l, Headroom::Medium);
        // Just above the medium threshold: stays medium.
        l = t.update(l, t.medium + 10);
        assert_eq!(l, Headroom::Medium);
        // Past medium + hysteresis: low.
        l = t.update(l, t.medium + t.hysteresis + 1);
        assert_eq!(l, Headroom::Low);
        // Jump far up: plenty at once.
        l = t.update(l, 60000);
        assert_eq!(l, Headroom::Plenty);
        // Falling goes straight to the raw level.
        assert_eq!(t.update(Headroom::Plenty, 100), Headroom::Critical);
    }

    #[test]
    fn no_flapping_around_a_threshold() {
        let t = thresholds();
        let mut l = Headroom::Plenty;
        let mut changes = 0;
        for i in 0..100u64 {
            let avail = t.low - 50 + (i % 2) * 100; // oscillates 50 pages around `low`
            let n = t.update(l, avail);
            if n != l {
                changes += 1;
            }
            l = n;
        }
        assert_eq!(changes, 1);
    }

    #[test]
    fn steady_fall_rate_and_time_to_exhaustion() {
        let mut r = RateEstimator::new(200 * MS);
        // 12800 pages/s (50 MiB/s), sampled every 10 ms.
        for i in 0..100u64 {
            r.sample(i * 10 * MS, 60000 - i * 128);
        }
        assert_eq!(r.smoothed(), 12800);
        let avail = 60000 - 99 * 128;
        let tte = r.time_to(avail, 1000).unwrap_or(0);
        let exact = (avail - 1000) * 1000 / 12800;
        assert!(tte.abs_diff(exact) <= 1, "{tte} vs {exact}");
    }

    #[test]
    fn burst_counts_at_once() {
        let mut r = RateEstimator::new(200 * MS);
        for i in 0..50u64 {
            r.sample(i * 10 * MS, 60000 - i * 10);
        }
        // A burst of 200 MiB/s in one 10 ms sample.
        r.sample(500 * MS, 60000 - 490 - 512);
        let planning = r.falling().unwrap_or(0);
        assert!(planning >= 51200, "{planning}");
        assert!(r.smoothed() < 51200);
        // The next sample is planned at the burst's rate; the reported estimate stays smooth.
        let soonest = r.soonest(20000, 0).unwrap_or(u64::MAX);
        let reported = r.time_to(20000, 0).unwrap_or(0);
        assert!(soonest <= 20000 * 1000 / 51200, "{soonest}");
        assert!(reported > soonest, "{reported} vs {soonest}");
    }

    #[test]
    fn decreasing_then_rising() {
        let mut r = RateEstimator::new(100 * MS);
        let mut avail = 60000u64;
        for i in 0..50u64 {
            avail -= 100;
            r.sample(i * 10 * MS, avail);
        }
        assert!(r.falling().is_some());
        for i in 50..150u64 {
            avail += 100;
            r.sample(i * 10 * MS, avail);
        }
        assert!(r.smoothed() < 0);
        assert_eq!(r.falling(), None);
        assert_eq!(r.time_to(avail, 0), None);
    }

    #[test]
    fn noise_averages_out() {
        let mut r = RateEstimator::new(500 * MS);
        // A fall of 1000 pages/s with ±30 pages of noise every 10 ms sample.
        let mut x = 12345u64;
        for i in 0..300u64 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let noise = (x >> 33) % 61;
            r.sample(i * 10 * MS, 60000 - i * 10 + noise);
        }
        let s = r.smoothed();
        assert!((0..3000).contains(&s), "{s}");
    }

    #[test]
    fn interval_adapts_and_is_bounded() {
        let t = thresholds();
        let mut r = RateEstimator::new(200 * MS);
        // Not falling: the slow interval.
        assert_eq!(
            next_interval_ms(&r, 60000, t.next_below(60000), 1, 1000),
            1000
        );
        // 50 MiB/s, 2000 pages above `low`: 156 ms away, sample in 39 ms.
        r.sample(0, 40000);
        r.sample(10 * MS, 40000 - 128);
        let avail = 40000 - 128;
        assert_eq!(t.next_below(avail), Some(t.low));
        let ms = next_interval_ms(&r, avail, t.next_below(avail), 1, 1000);
        let expect = (avail - t.low) * 1000 / 12800 / 4;
        assert_eq!(ms, expect);
        // 800 MiB/s right at a threshold: the lower bound.
        r.sample(20 * MS, t.low + 10);
        assert_eq!(next_interval_ms(&r, t.low + 10, Some(t.low), 1, 1000), 1);
        // Nothing left below: the upper bound.
        assert_eq!(next_interval_ms(&r, 10, t.next_below(10), 1, 1000), 1000);
    }

    #[test]
    fn odd_inputs_do_not_panic() {
        let mut r = RateEstimator::new(0);
        r.sample(u64::MAX, u64::MAX);
        r.sample(0, 0);
        r.sample(1, u64::MAX);
        r.sample(2, 0);
        let _ = r.time_to(u64::MAX, 0);
        let _ = next_interval_ms(&r, u64::MAX, Some(0), 5, 1);
        let t = Thresholds::from_permille(u64::MAX, 1000, 500, 1);
        let _ = t.update(Headroom::Critical, u64::MAX);
        assert!(!Thresholds::from_permille(0, 200, 100, 50).valid());
    }
}
