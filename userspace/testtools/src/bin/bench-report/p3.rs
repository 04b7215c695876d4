//! P3, our levels' detection delay, in jiffies of the guest's HZ: from the P2 lines'
//! `<level>_delay` (the hog's accounting) and optional `<level>_kdelay` (the kernel's count) keys,
//! in ms, and the `hz=` of the input's meta line; P3 has no lines of its own.

use crate::measure::{About, Summary, Verdict};
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
    target: "≤ 2 jiffies of the guest's HZ at every rate (judged on the max)",
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
delay is known. The delays are judged in jiffies of the guest's kernel: its HZ is the `hz=` \
of the input's meta line (the guest counts jiffies against the clock in /proc/timer_list \
over 2 s and takes the nearest HZ the kernel offers), one jiffy is 1000 / HZ ms (4 ms at HZ \
250), and a delay in jiffies is its ms × HZ / 1000. Why jiffies: the monitor samples memory \
on timers, and a timer fires on a tick, so a delay of one or two ticks is the floor of any \
timer-driven sampler on that kernel, whatever the machine; the same delay in ms depends on \
the kernel's HZ and, under TCG emulation, on how slowly the guest runs, so ms measured in an \
emulated guest do not carry to a board, while a count of ticks does. An input whose meta \
line has no `hz=` (or `hz=-`) is not judged; its delays are still shown in ms. The verdict \
judges the max over every rate and level of the kernel count when an input has any \
kernel-count value, else of the hog accounting, and says which; the medians are given \
beside it.",
    definitions: &[(
        "P3.jiffies",
        "median_jiffies and max_jiffies: the cell's median_ms and max_ms × hz / 1000, rounded \
         to 3 decimals (exact for ms with one decimal at HZ 100, 250, 300 or 1000); hz: the \
         guest's HZ from the hz= of its meta line, null without one (and then every jiffies \
         figure is null and P3 is not judged); jiffy_ms: 1000 / hz, rounded to 3 decimals; \
         goal_jiffies: the most the judged max may be",
    )],
};

/// The error for a line of P3's own.
pub const NO_LINES: &str = "P3 has no lines of its own: its figures come from the P2 lines' \
                            low_delay, medium_delay and critical_delay (and the optional \
                            *_kdelay)";

/// The detection-delay goal in jiffies of the guest's HZ.
const GOAL_JIFFIES: u32 = 2;

/// The not-measured reason of an input without `hz=`.
const NO_HZ: &str = "the input has no hz= in its meta line: P3 is judged in jiffies of the \
                     guest's HZ";

/// The guest's HZ, as the `hz=` of the input's meta line gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuestHz {
    /// `hz=N` with N a positive whole number.
    Known(u32),
    /// No `hz=`, or `hz=-` (inputs from before the guest printed it, or a guest that could not
    /// tell).
    Absent,
    /// `hz=` with anything else: the value as given.
    Invalid(String),
}

impl GuestHz {
    /// The `hz=` of the meta keys.
    pub fn from_meta(meta: &[(String, String)]) -> Self {
        match meta
            .iter()
            .find(|(k, _)| k == "hz")
            .map(|(_, v)| v.as_str())
        {
            None | Some("-") => GuestHz::Absent,
            Some(v) => match v.parse::<u32>() {
                Ok(hz) if hz > 0 => GuestHz::Known(hz),
                _ => GuestHz::Invalid(v.to_string()),
            },
        }
    }

    /// The HZ, if known.
    pub fn hz(&self) -> Option<u32> {
        match self {
            GuestHz::Known(hz) => Some(*hz),
            GuestHz::Absent | GuestHz::Invalid(_) => None,
        }
    }

    /// Why P3 cannot be judged without it; `None` when the HZ is known.
    fn unknown_reason(&self) -> Option<String> {
        match self {
            GuestHz::Known(_) => None,
            GuestHz::Absent => Some(NO_HZ.to_string()),
            GuestHz::Invalid(v) => Some(format!(
                "the input's meta line has hz={v}, not a positive whole number: P3 is judged \
                 in jiffies of the guest's HZ"
            )),
        }
    }
}

/// A delay in ms as jiffies of `hz`: ms × HZ / 1000.
pub fn jiffies(ms: f64, hz: u32) -> f64 {
    ms * f64::from(hz) / 1000.0
}

/// Jiffies with one decimal: `22.8 jiffies`; two when one would read as the goal itself
/// (`2.04 jiffies`, not `2.0 jiffies`, for a miss).
fn jiffies_text(j: f64) -> String {
    let one = format!("{j:.1}");
    if one == format!("{:.1}", f64::from(GOAL_JIFFIES)) && j != f64::from(GOAL_JIFFIES) {
        format!("{j:.2} jiffies")
    } else {
        format!("{one} jiffies")
    }
}

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
    /// The guest's HZ, from the input's meta line: the delays are judged in its jiffies.
    pub hz: GuestHz,
}

impl P3Summary {
    pub fn new(runs: &[P2Run], meta: &[(String, String)]) -> Option<Self> {
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
            hz: GuestHz::from_meta(meta),
        })
    }

    /// A delay in ms as jiffies of the guest's HZ; `None` without either.
    pub fn to_jiffies(&self, ms: Option<f64>) -> Option<f64> {
        ms.zip(self.hz.hz()).map(|(ms, hz)| jiffies(ms, hz))
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

    /// By one measure, if it has any value: `max 0.9 jiffies (3.4 ms), medians ≤ 0.7 jiffies`
    /// with the HZ known, `max 3.4 ms, medians ≤ 2.8 ms` without.
    fn figures(&self, m: DelayMeasure) -> Option<String> {
        let (_, _, max) = self.worst(m)?;
        let med = self.worst_median(m)?;
        Some(match self.hz.hz() {
            Some(hz) => format!(
                "max {} ({}), medians ≤ {}",
                jiffies_text(jiffies(max, hz)),
                units::ms(max),
                jiffies_text(jiffies(med, hz))
            ),
            None => format!("max {}, medians ≤ {}", units::ms(max), units::ms(med)),
        })
    }
}

impl Summary for P3Summary {
    /// Not measured without the guest's HZ; else the judged measure's max over every rate and
    /// level, in jiffies, against the goal.
    fn verdict(&self) -> Verdict {
        let Some(hz) = self.hz.hz() else {
            return Verdict::not_measured(self.hz.unknown_reason().unwrap_or_default());
        };
        let m = self.judged;
        let Some((rate, cell, max)) = self.worst(m) else {
            return Verdict::not_measured("no detection delay known");
        };
        let goal = f64::from(GOAL_JIFFIES);
        let max_j = jiffies(max, hz);
        let mut missed = Vec::new();
        if max_j > goal {
            let over = self
                .cells(m)
                .filter(|(_, l)| l.max_ms.is_some_and(|x| jiffies(x, hz) > goal))
                .count();
            let mut s = format!(
                "max {} = {} at HZ {hz} ({} at {}), {} the {GOAL_JIFFIES}-jiffy goal",
                units::ms(max),
                jiffies_text(max_j),
                cell.level.name(),
                rate.label(),
                units::ratio(max_j / goal)
            );
            if over > 1 {
                s.push_str(&format!(
                    "; {over} of {} rate × level cells over it",
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

    /// `HZ 250: kernel max 0.9 jiffies (3.4 ms), medians ≤ 0.7 jiffies (judged); hog …`, or the
    /// same in ms followed by `; no HZ` when the input does not give it.
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
        let both = format!("{}; {}", part(self.judged), part(other));
        match self.hz.hz() {
            Some(hz) => format!("HZ {hz}: {both}"),
            None => format!("{both}; no HZ"),
        }
    }

    fn markdown(&self, out: &mut String) {
        let hz = self.hz.hz();
        match hz {
            Some(hz) => {
                let jiffy = 1000.0 / f64::from(hz);
                out.push_str(&format!(
                    "HZ {hz} (the guest's, from its meta line): one jiffy is {}, the goal of \
                     {GOAL_JIFFIES} jiffies {}.\n\n",
                    units::ms(jiffy),
                    units::ms(jiffy * f64::from(GOAL_JIFFIES))
                ));
            }
            None => out.push_str(&format!(
                "Not measured: {}. The delays are shown in ms only.\n\n",
                self.hz.unknown_reason().unwrap_or_default()
            )),
        }
        // Two decimals: one would show 8.2 ms at HZ 250 (2.05 jiffies) as the goal itself.
        let j = |ms: Option<f64>| units::opt(self.to_jiffies(ms), units::dec2);
        let mut rows = Vec::new();
        for r in &self.rates {
            for (i, (h, k)) in r.levels.iter().zip(&r.kernel_levels).enumerate() {
                let rate = if i == 0 {
                    r.rate.to_string()
                } else {
                    String::new()
                };
                let mut row = vec![rate, h.level.name().to_string()];
                for s in [h, k] {
                    row.push(s.n.to_string());
                    row.push(n_ms(s.median_ms));
                    if hz.is_some() {
                        row.push(j(s.median_ms));
                    }
                    row.push(n_ms(s.max_ms));
                    if hz.is_some() {
                        row.push(j(s.max_ms));
                    }
                }
                rows.push(row);
            }
        }
        let header: &[&str] = if hz.is_some() {
            &[
                "Rate (MiB/s)",
                "Level",
                "Hog accounting: n",
                "Hog median (ms)",
                "Hog median (jiffies)",
                "Hog max (ms)",
                "Hog max (jiffies)",
                "Kernel count: n",
                "Kernel median (ms)",
                "Kernel median (jiffies)",
                "Kernel max (ms)",
                "Kernel max (jiffies)",
            ]
        } else {
            &[
                "Rate (MiB/s)",
                "Level",
                "Hog accounting: n",
                "Hog median (ms)",
                "Hog max (ms)",
                "Kernel count: n",
                "Kernel median (ms)",
                "Kernel max (ms)",
            ]
        };
        table(out, header, &rows);
        out.push_str(&format!("Judged on the {}.\n\n", self.judged.name()));
        push_missing_rates(out, &self.missing_rates);
    }

    fn json(&self) -> Value {
        let j = |ms: Option<f64>| self.to_jiffies(ms).map(units::round3);
        let levels = |stats: &[DelayStats]| -> Map<String, Value> {
            stats
                .iter()
                .map(|l| {
                    let v = json!({
                        "n": l.n,
                        "median_ms": l.median_ms,
                        "max_ms": l.max_ms,
                        "median_jiffies": j(l.median_ms),
                        "max_jiffies": j(l.max_ms),
                    });
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
        let hz = self.hz.hz();
        json!({
            "source": "levels: the *_delay fields of P2.runs (hog accounting); kernel_levels: the \
                       *_kdelay fields (kernel count, null when the line had none); hz: the hz= \
                       of the meta line",
            "judged": self.judged.key(),
            "hz": hz,
            "jiffy_ms": hz.map(|hz| units::round3(1000.0 / f64::from(hz))),
            "goal_jiffies": GOAL_JIFFIES,
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
    use crate::report::testing::{analysis, headline, measure, verdict};

    /// A meta line with the guest's HZ.
    const HZ250: &str = "bench: meta arch=x86_64 kernel=7.3.4 hz=250\n";

    fn summary(text: &str) -> P3Summary {
        let d = parse(text).unwrap();
        P3Summary::new(&d.p2, &d.meta).unwrap()
    }

    /// `line` with `keys` added before its newline.
    fn with_keys(line: String, keys: &str) -> String {
        line.replace('\n', &format!(" {keys}\n"))
    }

    #[test]
    fn guest_hz_from_the_meta_line() {
        let meta = |text: &str| GuestHz::from_meta(&parse(text).unwrap().meta);
        assert_eq!(meta(HZ250), GuestHz::Known(250));
        assert_eq!(meta("bench: meta arch=x86_64\n"), GuestHz::Absent);
        assert_eq!(meta("bench: meta hz=-\n"), GuestHz::Absent);
        assert_eq!(meta(""), GuestHz::Absent);
        assert_eq!(
            meta("bench: meta hz=0\n"),
            GuestHz::Invalid("0".to_string())
        );
        assert_eq!(
            meta("bench: meta hz=250.5\n"),
            GuestHz::Invalid("250.5".to_string())
        );
        assert_eq!(GuestHz::Known(1000).hz(), Some(1000));
        assert_eq!(GuestHz::Absent.hz(), None);
        // One jiffy is 1000 / HZ ms.
        assert_eq!(jiffies(4.0, 250), 1.0);
        assert_eq!(jiffies(91.3, 250), 22.825);
        assert_eq!(jiffies(10.0, 100), 1.0);
        assert_eq!(jiffies(-2.0, 1000), -2.0);
        assert_eq!(jiffies_text(22.825), "22.8 jiffies");
        assert_eq!(jiffies_text(2.0), "2.0 jiffies");
        // A narrow miss does not read as the goal.
        assert_eq!(jiffies_text(2.04), "2.04 jiffies");
        assert_eq!(jiffies_text(1.96), "1.96 jiffies");
    }

    #[test]
    fn p3_delays_judged_on_the_max_in_jiffies() {
        let s = summary(&format!("{HZ250}{}", all_rates("100")));
        let c = s.rates[0].levels[2];
        assert_eq!(
            (c.level, c.n, c.median_ms, c.max_ms),
            (Level::Critical, 2, Some(3.0), Some(4.0))
        );
        assert_eq!(s.hz, GuestHz::Known(250));
        assert_eq!(s.to_jiffies(c.max_ms), Some(1.0));
        assert_eq!(s.judged, DelayMeasure::HogAccounting);
        assert_eq!(s.rates[0].kernel_levels[2].n, 0);
        assert_eq!(
            s.verdict(),
            Verdict::new(Status::Met, "judged on the hog accounting")
        );
        assert_eq!(
            s.headline(),
            "HZ 250: hog max 1.0 jiffies (4.0 ms), medians ≤ 0.8 jiffies (judged); kernel —"
        );

        // 14.2 ms at HZ 250 is 3.55 jiffies.
        let text = HZ250.to_string()
            + &all_rates("100").replacen(
                &p2_line("800", 2, "250", "4"),
                &p2_line("800", 2, "250", "14.2"),
                1,
            );
        let v = verdict(&text, measure("P3"));
        assert_eq!(v.status, Status::Missed);
        assert_eq!(
            v.detail.as_deref(),
            Some(
                "judged on the hog accounting: max 14.2 ms = 3.5 jiffies at HZ 250 (critical at \
                 800 MiB/s), 1.8× the 2-jiffy goal"
            )
        );
        // The same delays at HZ 1000: 4 ms is 4 jiffies, over the goal at every rate; 2 ms is
        // 2 jiffies, within it.
        let text = format!("bench: meta hz=1000\n{}", all_rates("100"));
        assert_eq!(
            verdict(&text, measure("P3")).detail.as_deref(),
            Some(
                "judged on the hog accounting: max 4.0 ms = 4.0 jiffies at HZ 1000 (critical at \
                 max), 2.0× the 2-jiffy goal; 4 of 12 rate × level cells over it"
            )
        );
        // At exactly 2 jiffies the goal is met; a narrow miss reads as one.
        let at = |ms: &str| {
            verdict(
                &format!("{HZ250}{}", p2_line("50", 1, "1", ms)),
                measure("P3"),
            )
        };
        assert_eq!(
            at("8").detail.as_deref(),
            Some("judged on the hog accounting: rates 200 MiB/s, 800 MiB/s, max not measured")
        );
        assert_eq!(at("8").status, Status::Incomplete);
        // The table shows it too: 2.05 jiffies, not 2.0.
        assert!(markdown(&summary(&format!(
            "{HZ250}{}",
            p2_line("50", 1, "1", "8.2")
        )))
        .contains("|  | critical | 1 | 8.2 | 2.05 | 8.2 | 2.05 | 0 | — | — | — | — |"));
        assert_eq!(
            at("8.2").detail.as_deref(),
            Some(
                "judged on the hog accounting: max 8.2 ms = 2.05 jiffies at HZ 250 (critical at \
                 50 MiB/s), 1.02× the 2-jiffy goal; rates 200 MiB/s, 800 MiB/s, max not measured"
            )
        );
        let v = verdict(
            &format!("{HZ250}{}", p2_line("50", 1, "1", "-")),
            measure("P3"),
        );
        assert_eq!(v.status, Status::Incomplete);
        assert!(v
            .detail
            .unwrap()
            .contains("critical delay unknown at 50 MiB/s"));
    }

    #[test]
    fn p3_in_jiffies_the_example_of_a_wide_miss() {
        // Every cell over the goal, the worst 91.3 ms at HZ 250.
        let text: String = ["50", "200", "800", "max"]
            .iter()
            .map(|r| {
                let k = if *r == "50" { "91.3" } else { "20" };
                with_keys(
                    p2_line(r, 1, "100", "3"),
                    &format!("low_kdelay=20 medium_kdelay=20 critical_kdelay={k}"),
                )
            })
            .collect();
        let v = verdict(&format!("{HZ250}{text}"), measure("P3"));
        assert_eq!(v.status, Status::Missed);
        assert_eq!(
            v.detail.as_deref(),
            Some(
                "judged on the kernel count: max 91.3 ms = 22.8 jiffies at HZ 250 (critical at \
                 50 MiB/s), 11.4× the 2-jiffy goal; 12 of 12 rate × level cells over it"
            )
        );
    }

    #[test]
    fn p3_not_measured_without_the_guests_hz() {
        // Inputs from before the meta line had hz=: the delays are shown in ms, not judged.
        let s = summary(&all_rates("100"));
        assert_eq!(s.hz, GuestHz::Absent);
        assert_eq!(
            s.verdict(),
            Verdict::not_measured(
                "the input has no hz= in its meta line: P3 is judged in jiffies of the guest's HZ"
            )
        );
        assert_eq!(s.to_jiffies(Some(4.0)), None);
        assert_eq!(
            s.headline(),
            "hog max 4.0 ms, medians ≤ 3.0 ms (judged); kernel —; no HZ"
        );
        // Even a delay far over any goal is not judged without it.
        let over = all_rates("100").replace("critical_delay=4", "critical_delay=400");
        assert_eq!(verdict(&over, measure("P3")).status, Status::NotMeasured);
        assert_eq!(
            verdict(&format!("bench: meta hz=-\n{over}"), measure("P3")),
            s.verdict()
        );
        assert_eq!(
            verdict(&format!("bench: meta hz=fast\n{over}"), measure("P3")),
            Verdict::not_measured(
                "the input's meta line has hz=fast, not a positive whole number: P3 is judged in \
                 jiffies of the guest's HZ"
            )
        );
        // The overall verdict: one input judged, one not.
        let v = overall(
            &[
                analysis(&format!("{HZ250}{}", all_rates("100"))),
                analysis(&all_rates("100")),
            ],
            measure("P3"),
        );
        assert_eq!(
            (v.status, v.detail.as_deref()),
            (
                Status::Incomplete,
                Some("x86_64: met, judged on the hog accounting; x86_64 not measured")
            )
        );
        let v = s.json();
        assert_eq!(
            (
                v["hz"].clone(),
                v["jiffy_ms"].clone(),
                v["goal_jiffies"].clone()
            ),
            (Value::Null, Value::Null, json!(2))
        );
        assert_eq!(
            v["summary"][0]["levels"]["critical"],
            json!({"n": 2, "median_ms": 3.0, "max_ms": 4.0, "median_jiffies": null, "max_jiffies": null})
        );
    }

    #[test]
    fn p3_judged_on_the_kernel_count_when_present() {
        // Hog accounting over the goal (a step of the kernel's count at every rate), the
        // kernel count well under it: judged on the kernel count, so met.
        let text: String = HZ250.to_string()
            + &["50", "200", "800", "max"]
                .iter()
                .flat_map(|r| {
                    [
                        with_keys(
                            p2_line(r, 1, "100", "25"),
                            "low_kdelay=0.5 medium_kdelay=0.7 critical_kdelay=1.2",
                        ),
                        // A run without the keys, and one with `-`, add nothing to n.
                        p2_line(r, 2, "250", "4"),
                    ]
                })
                .collect::<String>();
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
            "HZ 250: kernel max 0.3 jiffies (1.2 ms), medians ≤ 0.3 jiffies (judged); \
             hog max 6.2 jiffies (25.0 ms), medians ≤ 1.0 jiffies"
        );
        // A kernel-count value over the goal is missed, whatever the hog accounting says.
        let text = text.replacen("critical_kdelay=1.2", "critical_kdelay=11", 1);
        let v = verdict(&text, measure("P3"));
        assert_eq!(v.status, Status::Missed);
        assert_eq!(
            v.detail.as_deref(),
            Some(
                "judged on the kernel count: max 11.0 ms = 2.8 jiffies at HZ 250 (critical at \
                 50 MiB/s), 1.4× the 2-jiffy goal"
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
        let v = overall(
            &[analysis(&format!("{HZ250}{}", all_rates("100")))],
            measure("P3"),
        );
        assert_eq!(
            (v.status, v.detail.as_deref()),
            (
                Status::Met,
                Some("x86_64: met, judged on the hog accounting")
            )
        );
        assert_eq!(
            headline(
                &format!("{HZ250}{}", p2_line("50", 1, "1", "-")),
                measure("P3")
            ),
            "HZ 250: hog max 0.5 jiffies (2.0 ms), medians ≤ 0.5 jiffies (judged); kernel —"
        );
    }

    #[test]
    fn table_and_json() {
        let k = with_keys(
            p2_line("50", 2, "120", "2"),
            "low_kdelay=0.6 medium_kdelay=- critical_kdelay=1.1",
        );
        let lines = p2_line("50", 1, "120", "2") + &k;
        let s = summary(&format!("{HZ250}{lines}"));
        assert_eq!(
            markdown(&s),
            "HZ 250 (the guest's, from its meta line): one jiffy is 4.0 ms, the goal of 2 \
             jiffies 8.0 ms.\n\n\
             | Rate (MiB/s) | Level | Hog accounting: n | Hog median (ms) | Hog median (jiffies) \
             | Hog max (ms) | Hog max (jiffies) | Kernel count: n | Kernel median (ms) \
             | Kernel median (jiffies) | Kernel max (ms) | Kernel max (jiffies) |\n\
             | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n\
             | 50 | low | 2 | 1.0 | 0.25 | 1.0 | 0.25 | 1 | 0.6 | 0.15 | 0.6 | 0.15 |\n\
             |  | medium | 2 | 2.0 | 0.50 | 2.0 | 0.50 | 0 | — | — | — | — |\n\
             |  | critical | 2 | 2.0 | 0.50 | 2.0 | 0.50 | 1 | 1.1 | 0.28 | 1.1 | 0.28 |\n\n\
             Judged on the kernel count.\n\n\
             Not measured: 200 MiB/s, 800 MiB/s, max.\n\n"
        );
        assert_eq!(
            s.headline(),
            "HZ 250: kernel max 0.3 jiffies (1.1 ms), medians ≤ 0.3 jiffies (judged); \
             hog max 0.5 jiffies (2.0 ms), medians ≤ 0.5 jiffies"
        );
        let v = s.json();
        assert_eq!(v["judged"], json!("kernel_count"));
        assert_eq!(v["hz"], json!(250));
        assert_eq!(v["jiffy_ms"], json!(4.0));
        assert_eq!(v["goal_jiffies"], json!(2));
        assert_eq!(
            v["summary"][0]["kernel_levels"]["low"],
            json!({"n": 1, "median_ms": 0.6, "max_ms": 0.6, "median_jiffies": 0.15, "max_jiffies": 0.15})
        );
        assert_eq!(
            v["summary"][0]["kernel_levels"]["medium"],
            json!({"n": 0, "median_ms": null, "max_ms": null, "median_jiffies": null, "max_jiffies": null})
        );
        assert_eq!(
            v["summary"][0]["levels"]["critical"]["max_jiffies"],
            json!(0.5)
        );
        assert_eq!(v["missing_rates"], json!([200, 800, "max"]));
        assert_eq!(
            summary(&format!("bench: meta hz=300\n{lines}")).json()["jiffy_ms"],
            json!(3.333)
        );

        // Without the HZ: the ms columns only, and why.
        let s = summary(&lines);
        assert_eq!(
            markdown(&s),
            "Not measured: the input has no hz= in its meta line: P3 is judged in jiffies of the \
             guest's HZ. The delays are shown in ms only.\n\n\
             | Rate (MiB/s) | Level | Hog accounting: n | Hog median (ms) | Hog max (ms) \
             | Kernel count: n | Kernel median (ms) | Kernel max (ms) |\n\
             | --- | --- | --- | --- | --- | --- | --- | --- |\n\
             | 50 | low | 2 | 1.0 | 1.0 | 1 | 0.6 | 0.6 |\n\
             |  | medium | 2 | 2.0 | 2.0 | 0 | — | — |\n\
             |  | critical | 2 | 2.0 | 2.0 | 1 | 1.1 | 1.1 |\n\n\
             Judged on the kernel count.\n\n\
             Not measured: 200 MiB/s, 800 MiB/s, max.\n\n"
        );
    }
}
