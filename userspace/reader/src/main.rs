//! `oom-guard`: follows rust_oom_guard's `/dev/oom_guard` and reports memory pressure, headroom,
//! reclaim, OOM notifier calls, emergency pool changes and OOM kills. A thin layer over the `oom_guard`
//! library: argument parsing, signals, exit codes.
#![warn(rust_2018_idioms, clippy::undocumented_unsafe_blocks)]
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use anyhow::{Context, Result};
use clap::builder::TypedValueParser as _;
use clap::parser::ValueSource;
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use oom_guard::cgroup;
use oom_guard::config::{self, ConfigError};
use oom_guard::decode::DecodeError;
use oom_guard::device::{Device, DeviceError, OpenOptions, DEFAULT_DEVICE};
use oom_guard::enrich::{self, EnrichOptions, MAX_TOP, PROC_ROOT};
use oom_guard::format::{system_page_size, Format, FormatOptions};
use oom_guard::hooks::Hook;
use oom_guard::metrics;
use oom_guard::sink::{self, SinkKind, SinkPaths, JOURNAL_SOCKET, KMSG, SYSLOG_SOCKET};
use oom_guard::survive::{self, DEFAULT_OOM_SCORE_ADJ, OOM_SCORE_ADJ};
use oom_guard::watch::{self, End, Wake, WatchError, WatchOptions, DEFAULT_QUEUE};
use oom_guard::{report, Warn};
use std::io::{self, Write};
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

/// Exit status: success, also when stopped by SIGINT/SIGTERM or when stdout was closed.
const EXIT_OK: u8 = 0;
/// Exit status: a runtime error (read, decode, sink, ioctl).
const EXIT_ERROR: u8 = 1;
/// Exit status: bad usage or a bad configuration value.
const EXIT_USAGE: u8 = 2;
/// Exit status: the device is missing or unusable.
const EXIT_UNAVAILABLE: u8 = 3;
/// Exit status: permission denied.
const EXIT_DENIED: u8 = 4;
/// Exit status after a second SIGINT/SIGTERM during shutdown.
const EXIT_FORCED: i32 = 130;
/// How often `--wait` retries opening the device.
const WAIT_INTERVAL: Duration = Duration::from_millis(250);

const AFTER_HELP: &str = "\
Exit status:
  0  success; also after SIGINT/SIGTERM, at the end of a capture, or when stdout is closed
  1  runtime error (reading, decoding, writing events, an ioctl)
  2  bad usage, or a bad configuration key or value
  3  the device is missing (module not loaded) or not the oom_guard device, or the
     module or capture speaks an incompatible ABI major version
  4  permission denied: the device node is mode 0600, run as root; also a capture,
     socket or file the reader may not open
  130  a second SIGINT/SIGTERM while shutting down

Examples:
  oom-guard                                  follow /dev/oom_guard, text on stdout
  oom-guard --format json --sink stdout      JSON Lines (schema in the README)
  oom-guard --sink journald --exec-on min='systemctl stop batch.slice'
  oom-guard --exec-on headroom-critical='systemctl stop batch.slice'
  oom-guard config set release_chunk=512 avert_budget=4
  oom-guard config set headroom_unit=kib headroom_low=524288 headroom_medium=262144 \\
      headroom_critical=131072";

/// Follows rust_oom_guard's /dev/oom_guard and reports memory pressure, headroom levels,
/// reclaim episodes, OOM notifier calls, emergency pool changes and OOM kills.
///
/// Without a subcommand it runs `watch`.
#[derive(Debug, Parser)]
#[command(name = "oom-guard", version, after_help = AFTER_HELP)]
struct Cli {
    /// The device to open; for `watch`, a capture file or FIFO works too.
    #[arg(short, long, global = true, value_name = "PATH", default_value = DEFAULT_DEVICE)]
    device: PathBuf,

    /// If the device is missing, wait for it to appear (retrying every 250 ms) instead of
    /// failing.
    #[arg(long, global = true)]
    wait: bool,

    #[command(subcommand)]
    command: Option<Cmd>,

    #[command(flatten)]
    watch: WatchArgs,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Follow the device and write one line per event (the default).
    Watch(WatchArgs),
    /// Decode a captured record stream (bytes as read() returns them) offline.
    Decode(DecodeArgs),
    /// Print the module's counters.
    Stats {
        /// Print one JSON object instead of aligned lines.
        #[arg(long)]
        json: bool,
    },
    /// Print the zones with their free pages and watermarks.
    Zones {
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Read or change the runtime configuration.
    #[command(subcommand)]
    Config(ConfigCmd),
    /// Write the module's counters, levels and pool in the Prometheus text format, for
    /// node_exporter's textfile collector (metric names in the README).
    Metrics {
        /// Replace this file atomically (a temporary file in its directory, then rename), e.g.
        /// /var/lib/prometheus/node-exporter/oom_guard.prom; if the module cannot be read, the
        /// file still gets `oom_guard_up 0` [default: standard output].
        #[arg(long, value_name = "PATH")]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum ConfigCmd {
    /// Print the configuration as KEY=VALUE lines.
    Get {
        /// Print one JSON object instead.
        #[arg(long)]
        json: bool,
    },
    /// Change settings (needs CAP_SYS_ADMIN); all are checked before any is applied.
    #[command(after_long_help = config::keys_help())]
    Set {
        /// Settings such as release_chunk=512.
        #[arg(value_name = "KEY=VALUE", required = true)]
        settings: Vec<String>,
    },
}

#[derive(Debug, Clone, Args)]
struct WatchArgs {
    /// Output format: text (human), json (JSON Lines) or logfmt.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,

    /// Where events go. syslog, journald and kmsg stamp their own time; their write
    /// failures are counted, not fatal.
    #[arg(long, value_enum, default_value_t = SinkKind::Stdout)]
    sink: SinkKind,

    /// The syslog socket for --sink syslog.
    #[arg(long, value_name = "PATH", default_value = SYSLOG_SOCKET)]
    syslog_socket: PathBuf,

    /// journald's native socket for --sink journald.
    #[arg(long, value_name = "PATH", default_value = JOURNAL_SOCKET)]
    journal_socket: PathBuf,

    /// The kernel log device for --sink kmsg.
    #[arg(long, value_name = "PATH", default_value = KMSG)]
    kmsg_path: PathBuf,

    /// Capacity of the queue between the reader and the sink, in records. When it is full,
    /// the reader waits for room and the module's ring holds the rest (its LOST records say
    /// what it loses).
    #[arg(long, value_name = "RECORDS", default_value_t = DEFAULT_QUEUE,
          value_parser = clap::value_parser!(u32).range(1..=1_000_000).map(|v| v as usize))]
    queue_size: usize,

    /// Stop after this many records [default: never].
    #[arg(long, value_name = "N")]
    count: Option<u64>,

    /// Value written to /proc/self/oom_score_adj, -1000 to 1000; -1000 means the OOM killer
    /// never picks the reader. A failure is a warning.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_OOM_SCORE_ADJ, allow_negative_numbers = true,
          value_parser = clap::value_parser!(i32).range(-1000..=1000))]
    oom_score_adj: i32,

    /// Run the thread that reads the device under SCHED_FIFO at this priority (1 to 99; 0, the
    /// default, leaves it a normal task), so an event wakes it at once even when a memory hog
    /// keeps the CPUs busy, as Android's lmkd does. The output and hook threads stay normal
    /// tasks. A failure is a warning.
    #[arg(long, value_name = "N", default_value_t = 0,
          value_parser = clap::value_parser!(i32).range(0..=99))]
    rt_priority: i32,

    /// Do not lock the reader's memory with mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT),
    /// which keeps every page the reader has used resident.
    #[arg(long)]
    no_mlock: bool,

    /// Run COMMAND with /bin/sh -c on events of KIND: any, pressure, ok, low, min (pressure
    /// changes to that level), oom, pool, kill, lost, headroom, headroom-plenty, headroom-low,
    /// headroom-medium, headroom-critical (headroom changes to that level), reclaim,
    /// reclaim-onset, reclaim-direct, reclaim-end. Repeatable. The event is in OOM_GUARD_*
    /// environment variables (OOM_GUARD_EVENT, OOM_GUARD_LEVEL, OOM_GUARD_HEADROOM,
    /// OOM_GUARD_SEQ, OOM_GUARD_TIME_NS, payload fields); hook output goes to stderr.
    #[arg(long, value_name = "KIND=COMMAND")]
    exec_on: Vec<Hook>,

    /// Least time between two runs of one --exec-on hook, in milliseconds; events in between
    /// do not run it.
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    exec_rate_limit_ms: u64,

    /// At OOM, kill and pressure `min` events, attach a snapshot: MemAvailable, MemFree and
    /// SwapFree from /proc/meminfo, /proc/pressure/memory when present, and the processes
    /// with the most resident memory with their oom_score and oom_score_adj. A snapshot stops
    /// after --enrich-max-ms or 4096 processes and says so.
    #[arg(long)]
    enrich: bool,

    /// Processes listed in an --enrich snapshot, 0 to 32.
    #[arg(long, value_name = "N", default_value_t = enrich::DEFAULT_TOP,
          value_parser = clap::value_parser!(u32).range(0..=MAX_TOP as i64).map(|v| v as usize))]
    enrich_top: usize,

    /// Least time between two --enrich snapshots, in milliseconds; events in between get none.
    #[arg(long, value_name = "MS", default_value_t = 200)]
    enrich_interval_ms: u64,

    /// Most time one --enrich snapshot may take, in milliseconds (1 to 10000); the scan of
    /// /proc stops there and the snapshot says it was truncated.
    #[arg(long, value_name = "MS", default_value_t = 50,
          value_parser = clap::value_parser!(u64).range(1..=10_000))]
    enrich_max_ms: u64,

    /// The /proc to read --enrich snapshots from (for tests).
    #[arg(long, value_name = "PATH", default_value = PROC_ROOT, hide = true)]
    proc_root: PathBuf,

    /// Keep FILE up to date with the module's metrics (as `oom-guard metrics --output FILE`)
    /// and this watch's counts of records by type and of kills by kind of OOM, replaced
    /// atomically every --metrics-interval-s and at exit.
    #[arg(long, value_name = "FILE")]
    metrics_file: Option<PathBuf>,

    /// Seconds between two writes of --metrics-file, 1 to 3600.
    #[arg(long, value_name = "S", default_value_t = 15,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    metrics_interval_s: u64,

    /// Resolve kill victims' cgroup ids under this cgroup v2 tree, even when the source is a
    /// capture (for tests); by default they are resolved only when following the device, under
    /// the cgroup2 mount named in /proc/self/mountinfo (or /sys/fs/cgroup).
    #[arg(long, value_name = "PATH", hide = true)]
    cgroup_root: Option<PathBuf>,

    /// Benchmarks: at exit, write the delivery latency of the first 65536 records (the
    /// reader's CLOCK_MONOTONIC when it decoded each one minus the end of its event: the
    /// record's time_ns, or for an OOM record time_ns + span_us * 1000, when the last of the
    /// notifier calls it coalesces came) to FILE, as lines of up to 100 records, each three
    /// parallel lists: `lat_ns=N,N,...` the latencies, `time_ns=N,N,...` those ends of the
    /// events (ns) and `pos=N,N,...` each record's place among those its read() returned (0
    /// for the first).
    #[arg(long, value_name = "FILE", hide = true)]
    latency_log: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct DecodeArgs {
    /// The capture to decode, or - for standard input.
    #[arg(value_name = "FILE")]
    file: PathBuf,

    /// Hides the global `--device`, which `decode` does not use, from its help; given, it is a
    /// usage error (`parse_cli`).
    #[arg(short, long, value_name = "PATH", hide = true)]
    device: Option<PathBuf>,

    /// Hides the global `--wait` as `device` does.
    #[arg(long, hide = true)]
    wait: bool,

    /// Output format: text (human), json (JSON Lines) or logfmt.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,

    /// Page size in bytes of the machine the capture came from [default: this system's].
    #[arg(long, value_name = "BYTES", value_parser = clap::value_parser!(u64).range(512..=(1 << 30)))]
    page_size: Option<u64>,
}

fn warner() -> Warn {
    Arc::new(|msg: &str| {
        // Nothing sensible is left to do if stderr itself fails.
        let _ = writeln!(io::stderr(), "oom-guard: warning: {msg}");
    })
}

/// Registers SIGINT and SIGTERM: the first makes the returned stream readable, a second one
/// exits at once with status 130.
fn shutdown_signals() -> Result<UnixStream> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let (read, write) = UnixStream::pair().context("creating the signal pipe")?;
    let armed = Arc::new(AtomicBool::new(false));
    for sig in [SIGINT, SIGTERM] {
        signal_hook::flag::register_conditional_shutdown(sig, EXIT_FORCED, Arc::clone(&armed))
            .context("registering signal handlers")?;
        signal_hook::flag::register(sig, Arc::clone(&armed))
            .context("registering signal handlers")?;
        let w = write.try_clone().context("creating the signal pipe")?;
        signal_hook::low_level::pipe::register(sig, w).context("registering signal handlers")?;
    }
    Ok(read)
}

/// Opens the device, waiting for it with `--wait`. `stop` ends the wait (SIGINT/SIGTERM);
/// `Ok(None)` means it did.
fn open_device_or_stop(
    path: &Path,
    wait: bool,
    stop: Option<&UnixStream>,
) -> Result<Option<Device>> {
    if !wait {
        return Ok(Some(Device::open(path)?));
    }
    let mut told = false;
    let mut stopped = false;
    let dev = Device::open_wait(path, OpenOptions::default(), WAIT_INTERVAL, |interval| {
        if !told {
            let _ = writeln!(
                io::stderr(),
                "oom-guard: waiting for {} to appear (insmod rust_oom_guard.ko)",
                path.display()
            );
            told = true;
        }
        let ms = i32::try_from(interval.as_millis()).unwrap_or(i32::MAX);
        match stop {
            Some(s) => {
                let woke = watch::wait(None, Some(s.as_fd()), ms);
                stopped = matches!(woke, Ok(Wake::Stop) | Err(_));
                stopped
            }
            None => {
                std::thread::sleep(interval);
                false
            }
        }
    });
    match dev {
        Err(e) if stopped && e.is_missing() => Ok(None),
        other => Ok(Some(other?)),
    }
}

/// Opens the device, waiting for it with `--wait` (until killed).
fn open_device(path: &Path, wait: bool) -> Result<Device> {
    open_device_or_stop(path, wait, None)?
        .ok_or_else(|| anyhow::anyhow!("{}: gave up waiting", path.display()))
}

fn run_watch(device: &Path, wait: bool, a: WatchArgs) -> Result<ExitCode> {
    let warn = warner();
    let stop = shutdown_signals()?;
    let Some(mut dev) = open_device_or_stop(device, wait, Some(&stop))? else {
        let _ = writeln!(
            io::stderr(),
            "oom-guard: stopped while waiting for {}",
            device.display()
        );
        return Ok(ExitCode::from(EXIT_OK));
    };
    dev.check_version()?;
    let opts = FormatOptions::default();
    let paths = SinkPaths {
        syslog: a.syslog_socket,
        journal: a.journal_socket,
        kmsg: a.kmsg_path,
    };
    let sink = sink::open(a.sink, a.format, opts, &paths)
        .with_context(|| format!("opening the {:?} sink", a.sink).to_lowercase())?;
    if let Err(e) = survive::set_oom_score_adj(Path::new(OOM_SCORE_ADJ), a.oom_score_adj) {
        warn(&oom_guard::chain(&e));
    }
    if !a.no_mlock {
        if let Err(e) = survive::lock_memory() {
            warn(&oom_guard::chain(&e));
        }
    }
    let _ = survive::warm_up(a.format, &opts);
    // A capture or FIFO may come from another boot, whose cgroup ids name other cgroups.
    let cgroup_root = match a.cgroup_root {
        Some(root) => Some(root),
        None if dev.is_char_device() => Some(cgroup::find_mount(&a.proc_root)),
        None => None,
    };
    let tally = a
        .metrics_file
        .as_ref()
        .map(|_| Arc::new(metrics::Tally::default()));
    let mut metrics_file = match (&a.metrics_file, &tally) {
        (Some(file), Some(tally)) => {
            // A dup of the watch's descriptor: the ioctls run on the metrics thread without
            // adding a reader; a capture or FIFO has no module to ask.
            let source: metrics::ModuleSource = if dev.is_char_device() {
                let d = dev.try_clone()?;
                Box::new(move || module_state(&d).ok())
            } else {
                Box::new(|| None)
            };
            Some(
                metrics::MetricsFile::start(
                    file.clone(),
                    Duration::from_secs(a.metrics_interval_s),
                    Arc::clone(tally),
                    source,
                    opts.page_size,
                    Arc::clone(&warn),
                )
                .context("starting the metrics thread")?,
            )
        }
        _ => None,
    };
    let opts = WatchOptions {
        queue_size: a.queue_size,
        count: a.count,
        hooks: a.exec_on,
        hook_interval: Duration::from_millis(a.exec_rate_limit_ms),
        format: opts,
        enrich: a.enrich.then(|| EnrichOptions {
            proc_root: a.proc_root,
            top: a.enrich_top,
            interval: Duration::from_millis(a.enrich_interval_ms),
            max_time: Duration::from_millis(a.enrich_max_ms),
            ..EnrichOptions::default()
        }),
        cgroup_root,
        tally,
        rt_priority: (a.rt_priority > 0).then_some(a.rt_priority),
        latency_samples: if a.latency_log.is_some() {
            LATENCY_SAMPLES
        } else {
            0
        },
    };
    let path = dev.path().to_path_buf();
    let report = watch::watch(&mut dev, &path, Some(stop.as_fd()), sink, opts, warn);
    if let Some(m) = metrics_file.as_mut() {
        m.finish();
    }
    if let Some(file) = &a.latency_log {
        write_latency_log(file, &report.latency)
            .with_context(|| format!("cannot write {}", file.display()))?;
    }
    let how = match &report.result {
        Ok(End::Eof) => "end of input",
        Ok(End::Stopped) => "stopped",
        Ok(End::Count) => "count reached",
        Err(WatchError::Sink(e)) if e.kind() == io::ErrorKind::BrokenPipe => "output closed",
        Err(_) => "failed",
    };
    let _ = writeln!(io::stderr(), "oom-guard: {how}: {}", report.counters);
    if report.abandoned {
        // The sink thread is blocked on the stalled output: returning from main would flush
        // stdout, and block on it too.
        let _ = writeln!(
            io::stderr(),
            "oom-guard: warning: the output did not drain within {} ms of the stop: {} \
             records not written",
            watch::DRAIN_MS,
            report.counters.dropped
        );
        watch::exit_now(EXIT_OK);
    }
    report.result?;
    Ok(ExitCode::from(EXIT_OK))
}

/// Records whose delivery latency `--latency-log` keeps.
const LATENCY_SAMPLES: usize = 65536;

/// Writes latencies as `lat_ns=N,... time_ns=N,... pos=N,...` lines of up to 100 records.
fn write_latency_log(file: &Path, lat: &[watch::Latency]) -> io::Result<()> {
    let mut out = io::BufWriter::new(std::fs::File::create(file)?);
    watch::write_latency_lines(&mut out, lat)?;
    out.flush()
}

fn run_decode(a: DecodeArgs) -> Result<ExitCode> {
    let opts = FormatOptions {
        page_size: a.page_size.unwrap_or_else(system_page_size),
    };
    let warn = warner();
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    if a.file == Path::new("-") {
        report::decode_to(
            &mut io::stdin().lock(),
            "standard input",
            &mut out,
            a.format,
            &opts,
            &*warn,
        )?;
    } else {
        let name = a.file.display().to_string();
        let mut f = std::fs::File::open(&a.file).with_context(|| format!("cannot open {name}"))?;
        report::decode_to(&mut f, &name, &mut out, a.format, &opts, &*warn)?;
    }
    Ok(ExitCode::from(EXIT_OK))
}

fn print(text: &str) -> Result<ExitCode> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(ExitCode::from(EXIT_OK))
}

fn run_config_set(device: &Path, wait: bool, settings: &[String]) -> Result<ExitCode> {
    // Syntax, keys and each value's own range are checked before the device is touched.
    let settings = settings
        .iter()
        .map(|s| config::parse_setting(s))
        .collect::<Result<Vec<_>, ConfigError>>()?;
    let dev = open_device(device, wait)?;
    let new = config::apply(&dev.config()?, &settings)?;
    dev.set_config(&new)?;
    Ok(ExitCode::from(EXIT_OK))
}

fn run(cli: Cli) -> Result<ExitCode> {
    let opts = FormatOptions::default();
    let (device, wait) = (cli.device.as_path(), cli.wait);
    match cli.command {
        None => run_watch(device, wait, cli.watch),
        Some(Cmd::Watch(a)) => run_watch(device, wait, a),
        Some(Cmd::Decode(a)) => run_decode(a),
        Some(Cmd::Stats { json }) => {
            let dev = open_device(device, wait)?;
            let abi = dev.abi_version().ok();
            let stats = dev.stats()?;
            print(&if json {
                report::stats_json(&stats, abi, &opts) + "\n"
            } else {
                report::stats_text(&stats, abi, &opts)
            })
        }
        Some(Cmd::Zones { json }) => {
            let zones = open_device(device, wait)?.zones()?;
            print(&if json {
                report::zones_json(&zones, &opts) + "\n"
            } else {
                report::zones_table(&zones, &opts)
            })
        }
        Some(Cmd::Config(ConfigCmd::Get { json })) => {
            let c = open_device(device, wait)?.config()?;
            print(&if json {
                report::config_json(&c) + "\n"
            } else {
                report::config_text(&c)
            })
        }
        Some(Cmd::Config(ConfigCmd::Set { settings })) => run_config_set(device, wait, &settings),
        Some(Cmd::Metrics { output }) => run_metrics(device, wait, output.as_deref(), &opts),
    }
}

/// The module's state for the metrics: its version (checked) and counters.
fn module_state(dev: &Device) -> Result<metrics::ModuleState> {
    let abi = dev.abi_version()?;
    dev.check_version()?;
    Ok(metrics::ModuleState {
        abi,
        stats: dev.stats()?,
    })
}

fn run_metrics(
    device: &Path,
    wait: bool,
    output: Option<&Path>,
    opts: &FormatOptions,
) -> Result<ExitCode> {
    let state = open_device(device, wait).and_then(|d| module_state(&d));
    let text = metrics::render(state.as_ref().ok(), None, opts.page_size);
    let Some(path) = output else {
        state?;
        return print(&text);
    };
    // The collector is told the module is down rather than shown stale numbers.
    metrics::write_atomic(path, &text)
        .with_context(|| format!("cannot write {}", path.display()))?;
    state?;
    Ok(ExitCode::from(EXIT_OK))
}

/// The exit status for an error, or `None` for a closed stdout, which is not an error.
fn exit_status(e: &anyhow::Error) -> Option<u8> {
    let broken_pipe = e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    });
    if broken_pipe {
        return None;
    }
    for cause in e.chain() {
        if let Some(d) = cause.downcast_ref::<DeviceError>() {
            return Some(match d {
                DeviceError::Missing { .. }
                | DeviceError::Open { .. }
                | DeviceError::Incompatible { .. } => EXIT_UNAVAILABLE,
                DeviceError::PermissionDenied { .. } => EXIT_DENIED,
                DeviceError::Ioctl { .. } if d.is_rejected_value() => EXIT_USAGE,
                DeviceError::Ioctl { source, .. } => match source.raw_os_error() {
                    // A request the device does not know: not the oom_guard device, or
                    // another ABI.
                    Some(libc::ENOTTY | libc::EINVAL) => EXIT_UNAVAILABLE,
                    Some(libc::EPERM | libc::EACCES) => EXIT_DENIED,
                    _ => EXIT_ERROR,
                },
            });
        }
        if let Some(DecodeError::Incompatible { .. }) = cause.downcast_ref::<DecodeError>() {
            return Some(EXIT_UNAVAILABLE);
        }
        if cause.is::<ConfigError>() {
            return Some(EXIT_USAGE);
        }
        // A capture, socket or file the reader may not open: permission denied, as for the
        // device.
        if let Some(io) = cause.downcast_ref::<io::Error>() {
            if io.kind() == io::ErrorKind::PermissionDenied {
                return Some(EXIT_DENIED);
            }
        }
    }
    Some(EXIT_ERROR)
}

/// Parses the command line. Watch options belong before no subcommand or after `watch`:
/// given before another subcommand they would be ignored, so they are a usage error.
fn parse_cli<I, T>(args: I) -> Result<Cli, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let mut cmd = Cli::command();
    let matches = cmd.try_get_matches_from_mut(args)?;
    if let Some(("decode", sub)) = matches.subcommand() {
        for (id, flag) in [("device", "--device"), ("wait", "--wait")] {
            let given = |m: &clap::ArgMatches| m.value_source(id) == Some(ValueSource::CommandLine);
            if given(&matches) || given(sub) {
                return Err(cmd.error(
                    clap::error::ErrorKind::ArgumentConflict,
                    format!("{flag} is not used by `decode`, which reads the FILE it is given"),
                ));
            }
        }
    }
    if let Some((name, _)) = matches.subcommand() {
        let watch_only = WatchArgs::augment_args(clap::Command::new("watch"));
        for arg in watch_only.get_arguments() {
            let id = arg.get_id().as_str();
            if matches.value_source(id) == Some(ValueSource::CommandLine) {
                let flag = arg.get_long().unwrap_or(id);
                return Err(cmd.error(
                    clap::error::ErrorKind::ArgumentConflict,
                    format!("--{flag} is a watch option; it cannot be used with `{name}`"),
                ));
            }
        }
    }
    Cli::from_arg_matches(&matches)
}

fn main() -> ExitCode {
    let cli = parse_cli(std::env::args_os()).unwrap_or_else(|e| e.exit());
    match run(cli) {
        Ok(code) => code,
        Err(e) => match exit_status(&e) {
            None => ExitCode::from(EXIT_OK),
            Some(code) => {
                let _ = writeln!(io::stderr(), "oom-guard: error: {e:#}");
                ExitCode::from(code)
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn watch_is_the_default_and_takes_its_options_at_top_level() {
        let cli = parse_cli(["oom-guard", "--format", "json", "--oom-score-adj", "-500"]).unwrap();
        assert!(cli.command.is_none());
        assert_eq!(cli.watch.format, Format::Json);
        assert_eq!(cli.watch.oom_score_adj, -500);
        assert_eq!(cli.device, Path::new(DEFAULT_DEVICE));
        let cli = parse_cli(["oom-guard", "watch", "-d", "/tmp/x", "--sink", "kmsg"]).unwrap();
        let Some(Cmd::Watch(a)) = cli.command else {
            panic!("{cli:?}");
        };
        assert_eq!(a.sink, SinkKind::Kmsg);
        assert_eq!(a.oom_score_adj, -1000);
        assert_eq!(a.queue_size, DEFAULT_QUEUE);
        assert_eq!(a.exec_rate_limit_ms, 1000);
        assert!(!a.enrich);
        assert_eq!(
            (a.enrich_top, a.enrich_interval_ms, a.enrich_max_ms),
            (5, 200, 50)
        );
        assert_eq!(a.proc_root, Path::new("/proc"));
        assert_eq!(cli.device, Path::new("/tmp/x"));
    }

    #[test]
    fn bad_arguments_are_usage_errors() {
        for args in [
            &["oom-guard", "--format", "xml"][..],
            &["oom-guard", "--oom-score-adj", "-1001"],
            &["oom-guard", "--queue-size", "0"],
            &["oom-guard", "--exec-on", "boom=true"],
            &["oom-guard", "--exec-on", "no-equals"],
            &["oom-guard", "config", "set"],
            &["oom-guard", "--format", "json", "stats"],
            &["oom-guard", "--enrich-top", "33"],
            &["oom-guard", "--enrich-max-ms", "0"],
            &["oom-guard", "--enrich", "zones"],
            &["oom-guard", "decode", "-d", "/dev/null", "cap"],
            &["oom-guard", "-d", "/dev/null", "decode", "cap"],
            &["oom-guard", "decode", "--wait", "cap"],
        ] {
            let e = parse_cli(args).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{args:?}: {e}");
        }
        let cli = parse_cli([
            "oom-guard",
            "--exec-on",
            "min=echo hi",
            "--exec-on",
            "any=true",
        ])
        .unwrap();
        assert_eq!(cli.watch.exec_on.len(), 2);
    }

    #[test]
    fn errors_map_to_exit_statuses() {
        let dev = |e: DeviceError| exit_status(&anyhow::Error::new(e));
        let p = Path::new("/dev/oom_guard");
        let open = |errno| DeviceError::from_open(p, io::Error::from_raw_os_error(errno));
        assert_eq!(dev(open(libc::ENOENT)), Some(EXIT_UNAVAILABLE));
        assert_eq!(dev(open(libc::EACCES)), Some(EXIT_DENIED));
        let ioctl = |name, errno| DeviceError::Ioctl {
            path: p.into(),
            name,
            source: io::Error::from_raw_os_error(errno),
        };
        let get = |errno| ioctl("OOM_GUARD_GET_STATS", errno);
        assert_eq!(dev(get(libc::ENOTTY)), Some(EXIT_UNAVAILABLE));
        assert_eq!(dev(get(libc::EPERM)), Some(EXIT_DENIED));
        assert_eq!(dev(get(libc::EIO)), Some(EXIT_ERROR));
        // EINVAL is a value out of range only from a set; from a get, another device or ABI.
        let set = ioctl("OOM_GUARD_SET_CONFIG", libc::EINVAL);
        assert!(set.to_string().contains("rejected a value out of range"));
        assert_eq!(dev(set), Some(EXIT_USAGE));
        let e = get(libc::EINVAL);
        assert!(!e.to_string().contains("out of range"), "{e}");
        assert_eq!(dev(e), Some(EXIT_UNAVAILABLE));
        let cfg = config::parse_setting("x=1").unwrap_err();
        assert_eq!(exit_status(&anyhow::Error::new(cfg)), Some(EXIT_USAGE));
        let pipe = anyhow::Error::new(WatchError::Sink(io::ErrorKind::BrokenPipe.into()));
        assert_eq!(exit_status(&pipe), None);
        let other = anyhow::Error::new(io::Error::other("x")).context("reading");
        assert_eq!(exit_status(&other), Some(EXIT_ERROR));
        let denied = anyhow::Error::new(io::Error::from_raw_os_error(libc::EACCES))
            .context("cannot open capture");
        assert_eq!(exit_status(&denied), Some(EXIT_DENIED));
        let noise = DecodeError::NotRecords {
            offset: 0,
            header: vec![0; 4],
        };
        assert_eq!(exit_status(&anyhow::Error::new(noise)), Some(EXIT_ERROR));
    }
}
