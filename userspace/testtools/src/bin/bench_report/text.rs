//! The report's prose, in one place so that it can be edited without touching the code: the
//! title, the paragraph on how the figures were produced, and per id the measure's name, its
//! target and its method. The thresholds the verdicts apply are in `analyze.rs`; keep the
//! target texts in step with them.

use crate::parse::Id;

/// The tool's name and version, recorded in the JSON.
pub const GENERATED_BY: &str = concat!(
    "bench-report (oom-guard-testtools ",
    env!("CARGO_PKG_VERSION"),
    ")"
);

/// The Markdown title.
pub const TITLE: &str = "rust_oom_guard benchmarks";

/// The paragraph under the title. The inputs are listed after it.
pub const INTRO: &str = "\
This file is generated: edit the tool, `userspace/testtools/src/bin/bench-report.rs` (its \
texts are in `userspace/testtools/src/bin/bench_report/text.rs`), not this file. `make bench` boots the module in QEMU TCG guests (one \
per architecture), runs the benchmark scenarios there and collects the `bench:` lines they \
print; `bench-report` turns those lines into this report and into `docs/benchmarks.json`, \
which holds every raw number. TCG emulates the CPU, so absolute times are slower than on \
hardware; what carries over are the medians and the ratios, each taken from one and the same \
guest run. No figure comes from timing the tests. Percentiles and medians are nearest-rank \
(the median of an even count is the lower middle sample), so every figure is a measured \
sample. A missing figure is reported as not measured, never estimated; `—` in a table means \
the value was absent from the line (the event did not happen or was not recorded).";

/// The texts of one id.
pub struct IdText {
    /// What is measured, for the summary table and the section heading.
    pub measure: &'static str,
    /// The target, as judged by the verdict.
    pub target: &'static str,
    /// How it was measured and how the figures are computed.
    pub method: &'static str,
}

/// The texts of an id.
pub fn id_text(id: Id) -> &'static IdText {
    match id {
        Id::P1 => &P1,
        Id::P2 => &P2,
        Id::P3 => &P3,
        Id::P4 => &P4,
        Id::P5 => &P5,
        Id::P6 => &P6,
        Id::P7 => &P7,
        Id::P8 => &P8,
        Id::P9 => &P9,
    }
}

const P1: IdText = IdText {
    measure: "Event latency, kernel → reader",
    target: "p50 ≤ 100 µs, p99 ≤ 1 ms",
    method: "\
Each sample is one record's delivery latency: the reader's CLOCK_MONOTONIC when it decoded \
the record, right after read() returned it, minus the record's time_ns, stamped by the module \
when the event happened, in ns. Two readers follow the same runs side by side (the P2 runs \
and P4 storms 1 and 4), each keeping the latencies of up to 65536 records: `normal` is the \
reader with its default settings (a normal CFS task, its memory mlocked as it is by \
default), `rt` the same reader with `--rt-priority 1` (its reading thread under SCHED_FIFO \
1). The verdict judges `normal`, the default configuration; `rt` is shown beside it, not \
judged. Why they differ: the kernel 7.3 guest uses PREEMPT_LAZY at HZ=250, so a normal task \
woken while the CPU is busy in the kernel (for example with the hog's page faults and \
reclaim) waits for the next tick, up to 4 ms, before it runs; a SCHED_FIFO thread preempts at \
once. The percentiles are nearest-rank over each reader's samples. Events counts the \
samples; lost is the reader's count of records the ring dropped before it read them. Lines \
without `reader=` (inputs from before there were two readers) count as `normal`.",
};

const P2: IdText = IdText {
    measure: "Warning lead before the OOM",
    target: "ours `critical` before the OOM in 100 % of runs, at every rate",
    method: "\
A memory hog allocates at a fixed rate (50, 200 or 800 MiB/s, or as fast as it can: `max`) \
until the kernel's OOM killer kills it, several runs per rate. For every signal the run \
records when it first arrived, as a lead in ms before the OOM (negative: it came only after \
the OOM). Ours are the module's low, medium and critical headroom levels and the onset of a \
reclaim episode. The peers watch the same runs, so every signal is measured in one and the \
same run: earlyoom with `--dryrun` and its default thresholds (SIGTERM at ≤ 10 % available \
memory, SIGKILL at ≤ 5 %), which reports the signal it would send without sending it, so \
that the hog still reaches the OOM, its lines stamped with CLOCK_MONOTONIC as they arrive; \
and two PSI triggers armed by our psiwatch tool, `some 1000 500000` and `some 50000 500000` \
(1 ms and 50 ms of `some` memory stall in a 500 ms window, the smallest window the kernel \
allows). A run is covered by a signal when its lead is positive; the median and min lead are \
over the covered runs only. Reached is the median over the runs of the rate the hog reached \
over its last 64 MiB. The hog is paced on a fixed CLOCK_MONOTONIC schedule and catches up \
after a stall, so a 50 MiB/s run can show a higher rate at its end. A run without an OOM \
prints a note instead of a line and is not counted; with `meta runs=N`, a rate with fewer \
runs makes the verdict incomplete. Only our `critical` is judged; the peers are shown beside \
it for comparison, not judged.",
};

const P3: IdText = IdText {
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
};

const P4: IdText = IdText {
    measure: "OOM callback cost",
    target: "max ≤ 20 µs over ≥ 100 rounds",
    method: "\
Four storms of averted OOMs per architecture: storms 1 and 4 followed by the two latency \
readers of P1, storm 2 by 8 plain readers and storm 3 by 1 plain reader. In each, the module \
is loaded afresh with a 64 MiB emergency pool and an unbounded hog drains it, one averted OOM \
round per released chunk, until the pool is empty and the hog is killed. The pool is made of \
order-6 blocks (64 pages each), so a release frees whole blocks. The callback time is the \
module's own ktime around its OOM notifier; after each storm the stats ioctl gives the rounds \
(oom_calls), callback_max_ns and callback_avg_ns, and the OOMs averted; kills are the \
guest's OOM kills (vmstat oom_kill). The max is the max over all storms; the mean is the \
storms' means weighted by their rounds. Fewer than 100 rounds in total are too few to judge \
the max.",
};

const P5: IdText = IdText {
    measure: "Kills averted in transient spikes",
    target: "0 kills with avert; a kill per spike with observe",
    method: "\
A hog briefly needs more memory than is free while the module holds its emergency pool \
(sized from the guest's measured capacity), then exits; the spike repeats once the pool has \
refilled. \
With policy `avert` the guard releases its emergency pool when the OOM notifier runs; with \
`observe` the same module keeps the same pool but only reports, so the memory layout is \
identical and only the avert differs. Kills are the guest's OOM kills during the spikes \
(vmstat oom_kill); averts are the module's count of averted OOMs.",
};

const P6: IdText = IdText {
    measure: "Module CPU and wake-ups",
    target: "quiet: ≤ 0.1 % of one CPU, ≤ 1 monitor wake-up/s",
    method: "\
The module's own counters (stats ioctl, ABI 1.2) over an interval of secs seconds, in two \
phases. `quiet`: nothing allocating for 30 s. `near`: for 20 s a holder keeps free memory \
between the zones' high watermark and twice it, where the monitor samples every \
sample_fast_ms (10 ms). CPU % of one CPU = (monitor_ns + peek_ns) / interval: the time spent \
in the monitor's samples and in the per-CPU 10 ms peek timers. Wake-ups are monitor samples \
per second. The peek timers are deferrable: they never wake an idle CPU, they run when it is \
awake anyway, so they are not counted as wake-ups; their runs per second are shown beside, \
with peek wakes (peek runs that saw free memory fall fast and woke the monitor). Repeated \
samples of a phase are each listed, with their median, which the verdict judges.",
};

const P7: IdText = IdText {
    measure: "Reader memory vs earlyoom",
    target: "reader VmRSS ≤ earlyoom's",
    method: "\
Peak VmRSS and RssAnon from /proc/PID/status of a plain reader and of earlyoom, sampled \
every 50 ms while both run through P4 storms 2 and 3 (the storms with plain readers) in the \
same guest, and the size of each binary on disk. The reader locks its memory with \
mlockall() and the flags MCL_CURRENT, MCL_FUTURE and MCL_ONFAULT, as earlyoom does, and runs \
its event path once at start (a warm-up), so what is resident is what the event path uses. earlyoom is \
Debian's 1.7, dynamically linked against glibc: its VmRSS counts the shared libc pages it \
touched. The reader is a static musl binary. The verdict compares VmRSS; RssAnon (the \
process's own memory rather than mapped file pages) is shown beside it. A VmRSS of 0 means \
the process was never sampled and counts as not measured.",
};

const P8: IdText = IdText {
    measure: "Event throughput in a burst",
    target: "no event lost while the readers keep up",
    method: "\
The records of P4 storm 2, followed by 8 readers at once, and of storm 3, followed by 1 \
reader. The burst is an averted-OOM storm: no synthetic event injection exists, so the rate \
is what the storm produced and the readers delivered, not the most they could take. Events \
is the fewest records any of the readers got, span the time between the first and the last \
record's time_ns, and the rate events / span. Lost is the sum over the readers of the counts \
their LOST records carry (records the ring dropped before they were read) plus the readers' \
own queue drops.",
};

const P9: IdText = IdText {
    measure: "Clean-clone CI time",
    target: "fresh ≤ 25 min, warm ≤ 3 min",
    method: "\
Wall-clock times on the host, from the timings `make test` records, over whole-suite runs \
only. Fresh is the whole wall time of the newest run whose set-up installed something, its \
set-up included, and is judged alone; of which set-up is the set-up's part of that time, \
already in it and not to be added. Warm is the whole wall time of the newest run that found \
everything in place.",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_id_has_texts() {
        for id in Id::ALL {
            let t = id_text(id);
            assert!(!t.measure.is_empty() && !t.target.is_empty(), "{id}");
            assert!(t.method.ends_with('.'), "{id}");
            assert!(!t.method.contains('|'), "{id}: would break a table");
        }
        assert!(GENERATED_BY.starts_with("bench-report (oom-guard-testtools "));
    }
}
