//! Order statistics for the report.
//!
//! Percentiles are **nearest-rank**: the p-th percentile of n samples sorted ascending is the
//! ⌈p·n/100⌉-th smallest (1-based; the smallest when that rank is 0). The median is the 50th
//! percentile by the same rule, so for an even count it is the lower of the two middle samples.
//! Every figure reported is therefore one of the measured samples, never an interpolation.

/// The nearest-rank `pct`-th percentile (0–100) of samples sorted ascending; `None` if empty.
pub fn nearest_rank<T: Copy>(sorted: &[T], pct: u32) -> Option<T> {
    let n = sorted.len();
    let rank = (pct.min(100) as usize * n).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

/// Sorts floats ascending (total order; the parser admits finite values only).
pub fn sorted_f64(values: impl IntoIterator<Item = f64>) -> Vec<f64> {
    let mut v: Vec<f64> = values.into_iter().collect();
    v.sort_by(f64::total_cmp);
    v
}

/// The nearest-rank median of the values; `None` if there are none.
pub fn median_f64(values: impl IntoIterator<Item = f64>) -> Option<f64> {
    nearest_rank(&sorted_f64(values), 50)
}

/// The smallest value; `None` if there are none.
pub fn min_f64(values: impl IntoIterator<Item = f64>) -> Option<f64> {
    values.into_iter().min_by(f64::total_cmp)
}

/// The largest value; `None` if there are none.
pub fn max_f64(values: impl IntoIterator<Item = f64>) -> Option<f64> {
    values.into_iter().max_by(f64::total_cmp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_definition() {
        let v: Vec<u64> = (1..=10).collect();
        assert_eq!(nearest_rank(&v, 0), Some(1));
        assert_eq!(nearest_rank(&v, 10), Some(1));
        assert_eq!(nearest_rank(&v, 11), Some(2));
        assert_eq!(nearest_rank(&v, 50), Some(5));
        assert_eq!(nearest_rank(&v, 90), Some(9));
        assert_eq!(nearest_rank(&v, 99), Some(10));
        assert_eq!(nearest_rank(&v, 100), Some(10));
        assert_eq!(nearest_rank(&v, 200), Some(10));
        assert_eq!(nearest_rank::<u64>(&[], 50), None);
        assert_eq!(nearest_rank(&[7u64], 99), Some(7));
        // p99 of 200 samples is the 198th.
        let v: Vec<u64> = (1..=200).collect();
        assert_eq!(nearest_rank(&v, 99), Some(198));
    }

    #[test]
    fn median_is_an_observed_sample() {
        assert_eq!(median_f64([3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median_f64([4.0, 1.0, 3.0, 2.0]), Some(2.0));
        assert_eq!(median_f64([-1.5]), Some(-1.5));
        assert_eq!(median_f64([]), None);
    }

    #[test]
    fn min_max() {
        assert_eq!(min_f64([2.0, -3.0, 5.0]), Some(-3.0));
        assert_eq!(max_f64([2.0, -3.0, 5.0]), Some(5.0));
        assert_eq!(max_f64([]), None);
        assert_eq!(sorted_f64([2.0, -0.0, 1.0]), vec![-0.0, 1.0, 2.0]);
    }
}
