//! P3, our levels' detection delay: from the P2 lines' `<level>_delay` (the hog's accounting)
//! and optional `<level>_kdelay` (the kernel's count) keys; P3 has no lines of its own.

use crate::measure::{times_target, About, Summary, Verdict};
use crate::p2::{
    by_rate, missing_rates, missing_rates_text, push_missing_rates, rate_json, Level, P2Run, Rate,
};
use crate::stats::{max_f64, median_f64};
use crate::table::{n_ms, table};
use crate::units::{self, ABSENT};
use serde_json::{json, Map, Value};

/// What the report says about P3.
pub const ABOUT: About = About {
    id: "P3",
    host: false,
    measure: "Level detection delay",
    target: "≤ 10 ms at every rate (judged on the max)",
    method: "\
From the same runs as P2, for the first event of each of our levels, by two measures of the \
moment available memory crossed the level's threshold; the delay is the event's time minus \
that moment, in ms. (1) Hog accounting (`*_delay`): the event's own record says how far \
available memory already was below the threshold (threshold − available, in pages); the \
hog's progress log (the KiB it had touched, over CLOCK_MONOTONIC time) says when the hog had \
taken that many pages fewer than at the event, and that is taken as the crossing. An event \
that found available memory not yet below the threshold counts as 0. Its weakness: the \
kernel counts free pages in per-CPU batches (the per-CPU page lists hold free pages the count \
leaves out), so available memory falls in steps of up to a few MiB; an event can only come \
after the step that crossed the threshold, and that step's size divided by the hog's rate \
shows up as delay, larger in ms at slow rates; a single value can also be off by a few ms \
either way, and come out negative. (2) Kernel count (`*_kdelay`, when the lines have it): \
the hog reads MemAvailable from /proc/meminfo (the same si_mem_available() the module \
compares) after every 64 KiB step it touches and writes it into its progress log; the \
crossing is the moment that count first fell below the threshold, interpolated between the \
two log lines around it, so it is the kernel's own, within one step of the hog (about 1.3 ms \
at 50 MiB/s). Reading /proc/meminfo slows the hog's fastest rate. n counts the runs where a \
delay is known. The verdict judges the max over every rate and level of the kernel count when \
an input has any kernel-count value, else of the hog accounting, and says which; the medians \
are given beside it.",
    definitions: &[],
};

/// The error for a line of P3's own.
pub const NO_LINES: &str = "P3 has no lines of its own: its figures come from the P2 lines' \
                            low_delay, medium_delay and critical_delay (and the optional \
                            *_kdelay)";

/// The detection-delay target in ms.
const MAX_MS: f64 = 10.0;

/// P3: the two measures of the detection delay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DelayMeasure {
    /// The `*_delay` keys: the crossing moment from the hog's own accounting of the pages it
    /// touched.
    HogAccounting,
    /// The optional `*_kdelay` keys: the crossing moment from the kernel's own count
    /// (MemAvailable, read by the hog after every 64 KiB step).
    KernelCount,
}

impl DelayMeasure {
    /// The measure, for prose: `hog accounting`, `kernel count`.
    pub fn name(self) -> &'static str {
        match self {
            DelayMeasure::HogAccounting => "hog accounting",
            DelayMeasure::KernelCount => "kernel count",
        }
    }

    /// The measure as a JSON key.
    pub fn key(self) -> &'static str {
        match self {
            DelayMeasure::HogAccounting => "hog_accounting",
            DelayMeasure::KernelCount => "kernel_count",
        }
    }
}

/// P3: detection delay of one level at one rate by one measure, in ms.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DelayStats {
    pub level: Level,
    pub n: usize,
    pub median_ms: Option<f64>,
    pub max_ms: Option<f64>,
}

impl DelayStats {
    fn new(level: Level, runs: &[&P2Run], get: impl Fn(&P2Run, Level) -> Option<f64>) -> Self {
        let v: Vec<f64> = runs.iter().filter_map(|r| get(r, level)).collect();
        Self {
            level,
            n: v.len(),
            median_ms: median_f64(v.iter().copied()),
            max_ms: max_f64(v.iter().copied()),
        }
    }
}

/// P3: the detection delays at one rate, in `Level::ALL` order.
#[derive(Debug, Clone, PartialEq)]
pub struct RateDelays {
    pub rate: Rate,
    pub runs: usize,
    /// By the hog's accounting (`*_delay`).
    pub levels: Vec<DelayStats>,
    /// By the kernel's count (`*_kdelay`).
    pub kernel_levels: Vec<DelayStats>,
}

impl RateDelays {
    /// The stats of one measure.
    pub fn by(&self, m: DelayMeasure) -> &[DelayStats] {
        match m {
            DelayMeasure::HogAccounting => &self.levels,
            DelayMeasure::KernelCount => &self.kernel_levels,
        }
    }
}

/// P3: detection delay of our levels, per rate, by both measures.
#[derive(Debug, Clone, PartialEq)]
pub struct P3Summary {
    pub rates: Vec<RateDelays>,
    pub missing_rates: Vec<Rate>,
    /// The measure the verdict judges: the kernel count if any `*_kdelay` value is known, else
    /// the hog accounting.
    pub judged: DelayMeasure,
}

impl P3Summary {
    pub fn new(runs: &[P2Run]) -> Option<Self> {
        if runs.is_empty() {
            return None;
        }
        let groups = by_rate(runs);
        let rates: Vec<RateDelays> = groups
            .iter()
            .map(|(&rate, runs)| RateDelays {
                rate,
                runs: runs.len(),
                levels: Level::ALL
                    .iter()
                    .map(|&l| DelayStats::new(l, runs, P2Run::delay))
                    .collect(),
                kernel_levels: Level::ALL
                    .iter()
                    .map(|&l| DelayStats::new(l, runs, P2Run::kdelay))
                    .collect(),
            })
            .collect();
        let any_kernel = rates
            .iter()
            .any(|r| r.kernel_levels.iter().any(|l| l.n > 0));
        Some(Self {
            rates,
            missing_rates: missing_rates(&groups),
            judged: if any_kernel {
                DelayMeasure::KernelCount
            } else {
                DelayMeasure::HogAccounting
            },
        })
    }

    fn cells(&self, m: DelayMeasure) -> impl Iterator<Item = (Rate, &DelayStats)> {
        self.rates
            .iter()
            .flat_map(move |r| r.by(m).iter().map(move |l| (r.rate, l)))
    }

    /// The cell with the largest max by one measure: its rate, level stats and max.
    fn worst(&self, m: DelayMeasure) -> Option<(Rate, &DelayStats, f64)> {
        self.cells(m)
            .filter_map(|(rate, l)| l.max_ms.map(|x| (rate, l, x)))
            .max_by(|a, b| a.2.total_cmp(&b.2))
    }

    /// The largest of the per-cell medians by one measure.
    fn worst_median(&self, m: DelayMeasure) -> Option<f64> {
        max_f64(self.cells(m).filter_map(|(_, l)| l.median_ms))
    }

    /// `max 4.0 ms, medians ≤ 3.0 ms` by one measure, if it has any value.
    fn figures(&self, m: DelayMeasure) -> Option<String> {
        match (self.worst(m), self.worst_median(m)) {
            (Some((_, _, max)), Some(med)) => Some(format!(
                "max {}, medians ≤ {}",
                units::ms(max),
                units::ms(med)
            )),
            _ => None,
        }
    }
}

impl Summary for P3Summary {
    fn verdict(&self) -> Verdict {
        let m = self.judged;
        let Some((rate, cell, max)) = self.worst(m) else {
            return Verdict::not_measured("no detection delay known");
        };
        let mut missed = Vec::new();
        if max > MAX_MS {
            let over = self
                .cells(m)
                .filter(|(_, l)| l.max_ms.is_some_and(|x| x > MAX_MS))
                .count();
            let mut s = format!(
                "max {} ({} at {}, median there {}), {}",
                units::ms(max),
                cell.level.name(),
                rate.label(),
                units::opt(cell.median_ms, units::ms),
                times_target(max, MAX_MS, "10 ms")
            );
            if over > 1 {
                s.push_str(&format!(
                    "; {over} of {} rate × level cells over the target",
                    self.cells(m).count()
                ));
            }
            missed.push(s);
        }
        let mut unmeasured: Vec<String> = missing_rates_text(&self.missing_rates)
            .into_iter()
            .collect();
        for (rate, l) in self.cells(m) {
            if l.n == 0 {
                unmeasured.push(format!(
                    "{} delay unknown at {}",
                    l.level.name(),
                    rate.label()
                ));
            }
        }
        let mut v = Verdict::from_parts(missed, unmeasured);
        let judged = format!("judged on the {}", m.name());
        v.detail = Some(match v.detail {
            Some(d) => format!("{judged}: {d}"),
            None => judged,
        });
        v
    }

    fn headline(&self) -> String {
        let part = |m: DelayMeasure| {
            let short = match m {
                DelayMeasure::HogAccounting => "hog",
                DelayMeasure::KernelCount => "kernel",
            };
            match self.figures(m) {
                Some(f) if m == self.judged => format!("{short} {f} (judged)"),
                Some(f) => format!("{short} {f}"),
                None => format!("{short} {ABSENT}"),
            }
        };
        if self.figures(self.judged).is_none() {
            return "no delay known".to_string();
        }
        let other = match self.judged {
            DelayMeasure::KernelCount => DelayMeasure::HogAccounting,
            DelayMeasure::HogAccounting => DelayMeasure::KernelCount,
        };
        format!("{}; {}", part(self.judged), part(other))
    }

    fn markdown(&self, out: &mut String) {
        let mut rows = Vec::new();
        for r in &self.rates {
            for (i, (h, k)) in r.levels.iter().zip(&r.kernel_levels).enumerate() {
                let rate = if i == 0 {
                    r.rate.to_string()
                } else {
                    String::new()
                };
                rows.push(vec![
                    rate,
                    h.level.name().to_string(),
                    h.n.to_string(),
                    n_ms(h.median_ms),
                    n_ms(h.max_ms),
                    k.n.to_string(),
                    n_ms(k.median_ms),
                    n_ms(k.max_ms),
                ]);
            }
        }
        table(
            out,
            &[
                "Rate (MiB/s)",
                "Level",
                "Hog accounting: n",
                "Hog median (ms)",
                "Hog max (ms)",
                "Kernel count: n",
                "Kernel median (ms)",
                "Kernel max (ms)",
            ],
            &rows,
        );
        out.push_str(&format!("Judged on the {}.\n\n", self.judged.name()));
        push_missing_rates(out, &self.missing_rates);
    }

    fn json(&self) -> Value {
        let levels = |stats: &[DelayStats]| -> Map<String, Value> {
            stats
                .iter()
                .map(|l| {
                    let v = json!({"n": l.n, "median_ms": l.median_ms, "max_ms": l.max_ms});
                    (l.level.name().to_string(), v)
                })
                .collect()
        };
        let summary: Vec<Value> = self
            .rates
            .iter()
            .map(|r| {
                json!({
                    "rate": rate_json(r.rate),
                    "runs": r.runs,
                    "levels": levels(&r.levels),
                    "kernel_levels": levels(&r.kernel_levels),
                })
            })
            .collect();
        json!({
            "source": "levels: the *_delay fields of P2.runs (hog accounting); kernel_levels: the \
                       *_kdelay fields (kernel count, null when the line had none)",
            "judged": self.judged.key(),
            "summary": summary,
            "missing_rates": self.missing_rates.iter().map(|&r| rate_json(r)).collect::<Vec<Value>>(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::testing::markdown;
    use crate::measure::Status;
    use crate::p2::tests::{all_rates, p2_line};
    use crate::report::overall;
    use crate::report::parse;
    use crate::report::testing::{analysis, measure, verdict};

    fn summary(text: &str) -> P3Summary {
        P3Summary::new(&parse(text).unwrap().p2).unwrap()
    }

    #[test]
    fn p3_delays_judged_on_the_max() {
        let s = summary(&all_rates("100"));
        let c = s.rates[0].levels[2];
        assert_eq!(
            (c.level, c.n, c.median_ms, c.max_ms),
            (Level::Critical, 2, Some(3.0), Some(4.0))
        );
        assert_eq!(s.judged, DelayMeasure::HogAccounting);
        assert_eq!(s.rates[0].kernel_levels[2].n, 0);
        assert_eq!(
            s.verdict(),
            Verdict::new(Status::Met, "judged on the hog accounting")
        );
        assert_eq!(
            s.headline(),
            "hog max 4.0 ms, medians ≤ 3.0 ms (judged); kernel —"
        );

        let text = all_rates("100").replacen(
            &p2_line("800", 2, "250", "4"),
            &p2_line("800", 2, "250", "14.2"),
            1,
        );
        let v = verdict(&text, measure("P3"));
        assert_eq!(v.status, Status::Missed);
        assert_eq!(
            v.detail.as_deref(),
            Some(
                "judged on the hog accounting: max 14.2 ms (critical at 800 MiB/s, median there \
                 3.0 ms), 1.4× the 10 ms target"
            )
        );
        let v = verdict(&p2_line("50", 1, "1", "-"), measure("P3"));
        assert_eq!(v.status, Status::Incomplete);
        assert!(v
            .detail
            .unwrap()
            .contains("critical delay unknown at 50 MiB/s"));
    }

    #[test]
    fn p3_judged_on_the_kernel_count_when_present() {
        // Hog accounting over the target (a step of the kernel's count at every rate), the
        // kernel count well under it: judged on the kernel count, so met.
        let with_k = |line: String, k: &str| line.replace('\n', &format!(" {k}\n"));
        let text: String = ["50", "200", "800", "max"]
            .iter()
            .flat_map(|r| {
                [
                    with_k(
                        p2_line(r, 1, "100", "25"),
                        "low_kdelay=0.5 medium_kdelay=0.7 critical_kdelay=1.2",
                    ),
                    // A run without the keys, and one with `-`, add nothing to n.
                    p2_line(r, 2, "250", "4"),
                ]
            })
            .collect();
        let s = summary(&text);
        assert_eq!(s.judged, DelayMeasure::KernelCount);
        let k = s.rates[0].kernel_levels[2];
        assert_eq!(
            (k.level, k.n, k.median_ms, k.max_ms),
            (Level::Critical, 1, Some(1.2), Some(1.2))
        );
        assert_eq!(s.rates[0].levels[2].max_ms, Some(25.0));
        assert_eq!(
            s.verdict(),
            Verdict::new(Status::Met, "judged on the kernel count")
        );
        assert_eq!(
            s.headline(),
            "kernel max 1.2 ms, medians ≤ 1.2 ms (judged); hog max 25.0 ms, medians ≤ 4.0 ms"
        );
        // A kernel-count value over the target is missed, whatever the hog accounting says.
        let text = text.replacen("critical_kdelay=1.2", "critical_kdelay=11", 1);
        let v = verdict(&text, measure("P3"));
        assert_eq!(v.status, Status::Missed);
        assert_eq!(
            v.detail.as_deref(),
            Some(
                "judged on the kernel count: max 11.0 ms (critical at 50 MiB/s, median there \
                 11.0 ms), 1.1× the 10 ms target"
            )
        );
        // A cell without a kernel-count value is unmeasured by the judged measure.
        let text = text.replacen("medium_kdelay=0.7", "medium_kdelay=-", 1);
        let v = verdict(&text, measure("P3"));
        assert!(v
            .detail
            .unwrap()
            .contains("medium delay unknown at 50 MiB/s"));
        // The overall verdict names the measure of a met input too.
        let v = overall(&[analysis(&all_rates("100"))], measure("P3"));
        assert_eq!(
            (v.status, v.detail.as_deref()),
            (
                Status::Met,
                Some("x86_64: met, judged on the hog accounting")
            )
        );
    }

    #[test]
    fn table() {
        let k = p2_line("50", 2, "120", "2").replace(
            '\n',
            " low_kdelay=0.6 medium_kdelay=- critical_kdelay=1.1\n",
        );
        let s = summary(&(p2_line("50", 1, "120", "2") + &k));
        assert_eq!(
            markdown(&s),
            "| Rate (MiB/s) | Level | Hog accounting: n | Hog median (ms) | Hog max (ms) \
             | Kernel count: n | Kernel median (ms) | Kernel max (ms) |\n\
             | --- | --- | --- | --- | --- | --- | --- | --- |\n\
             | 50 | low | 2 | 1.0 | 1.0 | 1 | 0.6 | 0.6 |\n\
             |  | medium | 2 | 2.0 | 2.0 | 0 | — | — |\n\
             |  | critical | 2 | 2.0 | 2.0 | 1 | 1.1 | 1.1 |\n\n\
             Judged on the kernel count.\n\n\
             Not measured: 200 MiB/s, 800 MiB/s, max.\n\n"
        );
        assert_eq!(
            s.headline(),
            "kernel max 1.1 ms, medians ≤ 1.1 ms (judged); hog max 2.0 ms, medians ≤ 2.0 ms"
        );
        let v = s.json();
        assert_eq!(v["judged"], json!("kernel_count"));
        assert_eq!(
            v["summary"][0]["kernel_levels"]["low"],
            json!({"n": 1, "median_ms": 0.6, "max_ms": 0.6})
        );
    }
}
