//! P1's floor at the records' own moments, and the reader's latency by place in its read():
//! the figures that tell a slow reader from a loaded guest and a burst of records.

use super::P1Percentiles;

/// Half the width of the window around a record's time in which floor samples are matched to
/// it, in ns: a floor sample written within 50 ms before or after the record's time_ns is
/// taken as measured under the load the record met (see `p1.rs`'s method for why 50 ms).
pub const WINDOW_NS: u64 = 50_000_000;

/// The floor samples that carry their write time, sorted by it: (at_ns, lat_ns).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TimedFloor(Vec<(u64, u64)>);

impl TimedFloor {
    /// The samples of `lat_ns` whose `at_us` (their write time in µs, parallel to `lat_ns`) is
    /// known.
    pub fn new(lat_ns: &[u64], at_us: &[Option<u64>]) -> Self {
        let mut v: Vec<(u64, u64)> = lat_ns
            .iter()
            .zip(at_us)
            .filter_map(|(&lat, at)| at.map(|us| (us.saturating_mul(1000), lat)))
            .collect();
        v.sort_unstable();
        Self(v)
    }

    /// Whether no floor sample carries a time.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The range of samples (indices into the sorted list) written within [`WINDOW_NS`] of
    /// `t_ns`.
    fn around(&self, t_ns: u64) -> std::ops::Range<usize> {
        let lo = t_ns.saturating_sub(WINDOW_NS);
        let hi = t_ns.saturating_add(WINDOW_NS);
        let start = self.0.partition_point(|&(at, _)| at < lo);
        let end = self.0.partition_point(|&(at, _)| at <= hi);
        start..end.max(start)
    }
}

/// The floor matched to a set of reader samples by time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matched {
    /// Reader samples that carry a time.
    pub timed: usize,
    /// Of those, how many had no floor sample within the window.
    pub unmatched: usize,
    /// Floor samples within the window of at least one reader sample, each counted once.
    pub distinct: usize,
    /// Nearest-rank percentiles of the pooled floor: for each timed reader sample, every floor
    /// sample within its window (a floor sample near several records counts once per record,
    /// so the floor is weighted as the records are). `None` when nothing matched.
    pub floor: Option<P1Percentiles>,
}

impl Matched {
    /// The floor samples around each of `times_ns` (the records' time_ns), pooled.
    pub fn new(times_ns: impl IntoIterator<Item = u64>, floor: &TimedFloor) -> Self {
        let mut pooled = Vec::new();
        let mut used = vec![false; floor.0.len()];
        let (mut timed, mut unmatched) = (0, 0);
        for t in times_ns {
            timed += 1;
            let range = floor.around(t);
            if range.is_empty() {
                unmatched += 1;
            }
            for i in range {
                if let (Some(&(_, lat)), Some(u)) = (floor.0.get(i), used.get_mut(i)) {
                    pooled.push(lat);
                    *u = true;
                }
            }
        }
        Self {
            timed,
            unmatched,
            distinct: used.iter().filter(|&&u| u).count(),
            floor: P1Percentiles::of(&pooled),
        }
    }

    /// How many floor samples the pool holds (with repeats).
    pub fn pooled(&self) -> usize {
        self.floor.map_or(0, |f| f.n)
    }
}

/// A reader's samples of one place in their read()s, and the floor matched to them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchPart {
    pub percentiles: Option<P1Percentiles>,
    pub matched: Option<Matched>,
}

/// A reader's latency split by each record's place among those its read() returned: `first`
/// (place 0: the record whose arrival woke the reader, or the first of a batch that was
/// already waiting) and `later` (the records returned after it by the same read()).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub first: BatchPart,
    pub later: BatchPart,
}

impl Batch {
    /// The split of the samples with a place (`pos`, parallel to `lat_ns`, as `time_ns`);
    /// `None` when no sample has one. `floor`: the timed floor, for each part's matched floor
    /// (`None` without one).
    pub fn new(
        lat_ns: &[u64],
        time_ns: &[Option<u64>],
        pos: &[Option<u64>],
        floor: &TimedFloor,
    ) -> Option<Self> {
        if pos.iter().all(Option::is_none) {
            return None;
        }
        let part = |first: bool| {
            let (lat, times): (Vec<u64>, Vec<Option<u64>>) = lat_ns
                .iter()
                .zip(time_ns)
                .zip(pos)
                .filter(|(_, p)| p.is_some_and(|p| (p == 0) == first))
                .map(|((&l, &t), _)| (l, t))
                .unzip();
            BatchPart {
                percentiles: P1Percentiles::of(&lat),
                matched: (!floor.is_empty())
                    .then(|| Matched::new(times.into_iter().flatten(), floor)),
            }
        };
        Some(Self {
            first: part(true),
            later: part(false),
        })
    }
}
