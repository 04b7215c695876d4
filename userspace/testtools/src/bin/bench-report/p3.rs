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
mod tests;
