//! Number formatting for the report: one decimal for µs and ms, 0–1 decimals for percentages,
//! thousands separators for counts, and `—` for a value that was not measured.

/// Shown for a single value that is absent (`-` in the input) or cannot be computed.
pub const ABSENT: &str = "—";

/// A duration in ns as µs with one decimal, without unit: `12.0`.
pub fn us_num(ns: f64) -> String {
    format!("{:.1}", ns / 1e3)
}

/// A duration in ns as µs with one decimal: `12.0 µs`.
pub fn us(ns: f64) -> String {
    format!("{} µs", us_num(ns))
}

/// A duration in ns, as µs below 1 ms and as ms from there on: `45.0 µs`, `1.8 ms`.
pub fn dur_ns(ns: f64) -> String {
    if ns >= 1e6 {
        ms(ns / 1e6)
    } else {
        us(ns)
    }
}

/// A number with one decimal, without unit: `850.0`.
pub fn dec1(v: f64) -> String {
    format!("{v:.1}")
}

/// Milliseconds with one decimal: `12.5 ms`.
pub fn ms(v: f64) -> String {
    format!("{v:.1} ms")
}

/// Seconds as minutes with one decimal: `14.2 min`.
pub fn minutes(secs: f64) -> String {
    format!("{:.1} min", secs / 60.0)
}

/// A percentage with no decimal when it rounds to a whole number and one otherwise: `100 %`,
/// `66.7 %`.
pub fn pct(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r.fract() == 0.0 {
        format!("{r:.0} %")
    } else {
        format!("{r:.1} %")
    }
}

/// A share `k/n (pct %)`. A partial share never reads as 0 % or 100 %: 2499/2500 is
/// `99.9 %`, not `100 %`.
pub fn fraction(k: usize, n: usize) -> String {
    if n == 0 {
        return format!("{k}/{n}");
    }
    let mut p = k as f64 * 100.0 / n as f64;
    if k < n {
        p = p.min(99.9);
    }
    if k > 0 {
        p = p.max(0.1);
    }
    format!("{k}/{n} ({})", pct(p))
}

/// A CPU share in percent with three decimals, since the targets are fractions of a percent:
/// `0.004 %`.
pub fn cpu_pct(v: f64) -> String {
    format!("{v:.3} %")
}

/// A ratio to a target: `1.8×`; two decimals near 1 so that a narrow miss does not read `1.0×`.
pub fn ratio(v: f64) -> String {
    if (0.9..1.1).contains(&v) {
        format!("{v:.2}×")
    } else {
        format!("{v:.1}×")
    }
}

/// A ratio with two decimals, for tables: `3.10×`.
pub fn ratio2(v: f64) -> String {
    format!("{v:.2}×")
}

/// A number rounded to two decimals, for the JSON: `3.1`.
pub fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// A number rounded to three decimals, for the JSON: `0.025`.
pub fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// A count with thousands separators: `12,345`.
pub fn int(v: u64) -> String {
    let digits = v.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A per-second rate of events, rounded to a whole number with separators: `412,345`.
pub fn per_s(v: f64) -> String {
    int(v.max(0.0).round() as u64)
}

/// A rate with two decimals, for slow rates such as wake-ups: `0.25`.
pub fn dec2(v: f64) -> String {
    format!("{v:.2}")
}

/// A duration in ns as µs, for the JSON: `12.5`.
pub fn ns_to_us(ns: Option<u64>) -> Option<f64> {
    ns.map(|n| n as f64 / 1e3)
}

/// Formats an optional value, or [`ABSENT`].
pub fn opt<T>(v: Option<T>, f: impl FnOnce(T) -> String) -> String {
    v.map_or_else(|| ABSENT.to_string(), f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(us(12_000.0), "12.0 µs");
        assert_eq!(us(12_345.0), "12.3 µs");
        assert_eq!(dur_ns(999_949.0), "999.9 µs");
        assert_eq!(dur_ns(1_800_000.0), "1.8 ms");
        assert_eq!(ms(-0.25), "-0.2 ms");
        assert_eq!(minutes(852.0), "14.2 min");
    }

    #[test]
    fn percentages() {
        assert_eq!(pct(100.0), "100 %");
        assert_eq!(pct(66.666), "66.7 %");
        assert_eq!(pct(49.96), "50 %");
        assert_eq!(fraction(9, 10), "9/10 (90 %)");
        assert_eq!(fraction(2, 3), "2/3 (66.7 %)");
        assert_eq!(fraction(2499, 2500), "2499/2500 (99.9 %)");
        assert_eq!(fraction(1, 2500), "1/2500 (0.1 %)");
        assert_eq!(fraction(0, 4), "0/4 (0 %)");
        assert_eq!(fraction(0, 0), "0/0");
        assert_eq!(cpu_pct(0.0042), "0.004 %");
    }

    #[test]
    fn ratios_and_counts() {
        assert_eq!(ratio(1.8), "1.8×");
        assert_eq!(ratio(1.02), "1.02×");
        assert_eq!(ratio(0.69), "0.7×");
        assert_eq!(ratio2(3.1), "3.10×");
        assert_eq!(ratio2(12.0), "12.00×");
        assert_eq!(round2(3.10555), 3.11);
        assert_eq!(round2(12.0), 12.0);
        assert_eq!(round3(0.1 * 250.0 / 1000.0), 0.025);
        assert_eq!(round3(1000.0 / 300.0), 3.333);
        assert_eq!(int(0), "0");
        assert_eq!(int(999), "999");
        assert_eq!(int(1000), "1,000");
        assert_eq!(int(1_234_567), "1,234,567");
        assert_eq!(per_s(412_345.4), "412,345");
        assert_eq!(opt(None::<f64>, ms), "—");
        assert_eq!(opt(Some(1.0), ms), "1.0 ms");
    }
}
