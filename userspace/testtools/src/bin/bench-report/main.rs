//! `bench-report`: turns the `bench:` lines printed by the `make bench` guests into
//! `docs/BENCHMARKS.md` (a Markdown report) and `docs/benchmarks.json` (every raw number, the
//! computed summaries and the verdicts). Runs on the host.
//!
//! One module per measurement, `p1` to `p10`, holds its line records and parser, its summary and
//! verdict, its Markdown section, its JSON value and its texts; `report` lists them in one table
//! and holds the verdicts they share, `input` the line grammar, `markdown` and `json` the two
//! documents around the measurements' parts, `stats` the nearest-rank order statistics and
//! `units` the number formatting. This file is the command line and the file I/O.
#![warn(rust_2018_idioms)]
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod input;
mod json;
mod markdown;
mod measure;
mod p1;
mod p10;
mod p2;
mod p3;
mod p4;
mod p5;
mod p6;
mod p7;
mod p8;
mod p9;
mod report;
mod stats;
mod table;
mod units;

use anyhow::{anyhow, bail, Context, Result};
use clap::{ArgGroup, Parser};
use report::Analysis;
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Exit status: the report was written (whether or not the targets were met).
const EXIT_OK: u8 = 0;
/// Exit status: an input could not be read or has a malformed line, or an output could not be
/// written.
const EXIT_ERROR: u8 = 1;

const AFTER_HELP: &str = "\
Input lines: `bench: <ID> key=value ...`, ID one of meta, P1, P2, P4-P10 (P3 comes from the P2
lines); `-` as a value means absent. P1 lines take an optional reader=normal or reader=rt
(absent: normal); `P1 floor reader=normal|rt lat_ns=N,...` lines hold the wake-up floor
measured beside that reader, and each reader is judged against its own floor. P2 lines take
optional low_kdelay=, medium_kdelay= and critical_kdelay= (P3 by the kernel's count; judged when
present); P3 is judged in jiffies of the guest's HZ, the hz= of the meta line (not measured
without it). `P4 share oom_seq=N callback_ns=N select_ns=N` lines hold one OOM that ended in a
kill each (whole numbers; judged on callback_ns / select_ns), `P4 avert storm=N oom_seq=N
callback_ns=N free_ns=N blocks=N` lines one averted OOM that freed pool blocks each (whole numbers, blocks ≥ 1,
free_ns ≤ callback_ns; judged on (callback_ns − free_ns) / (free_ns / blocks)); P4 is met when
both kinds are. `P4 storm=N ...` lines hold the storms of averted OOMs (shown, not judged). `P10 pcp=default|capped spike=N pool_kib=N
held_kib=N reach_kib=N released_pages=N` lines hold one spike each (pcp=default judged).
`bench: note <text>` is shown in the report, `bench: done` marks a complete guest run. Lines
that do not start with `bench: ` are ignored; an unknown id or key, a missing key or a bad value
is an error naming FILE:LINE.

Exit status:
  0  the report was written, whether or not the targets were met
  1  an input is missing or has a malformed line, or an output could not be written
  2  bad usage

Example:
  bench-report --input x86_64=build/x86_64/bench.txt --input arm64=build/arm64/bench.txt \\
      --input host=build/bench-host.txt --md docs/BENCHMARKS.md --json docs/benchmarks.json";

/// Turns the `bench:` lines printed by the `make bench` guests into a Markdown report and a
/// JSON file with every raw number, the summaries and the verdicts against the targets.
#[derive(Debug, Parser)]
#[command(name = "bench-report", version, after_help = AFTER_HELP)]
#[command(group(ArgGroup::new("output").args(["md", "json"]).required(true).multiple(true)))]
struct Cli {
    /// An input as LABEL=PATH, e.g. x86_64=build/x86_64/bench.txt; repeat it for each guest.
    /// Inputs are reported in the given order; the label `host` marks host measurements (P9).
    /// Labels are letters, digits, `_`, `-` and `.`, each used once.
    #[arg(long = "input", value_name = "LABEL=PATH", required = true, value_parser = parse_input)]
    inputs: Vec<InputArg>,

    /// Write the Markdown report to PATH (via a temporary file in the same directory, renamed
    /// into place).
    #[arg(long, value_name = "PATH")]
    md: Option<PathBuf>,

    /// Write the JSON report to PATH (via a temporary file in the same directory, renamed into
    /// place).
    #[arg(long, value_name = "PATH")]
    json: Option<PathBuf>,
}

/// One `--input LABEL=PATH`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct InputArg {
    label: String,
    path: PathBuf,
}

fn parse_input(s: &str) -> Result<InputArg, String> {
    let (label, path) = s
        .split_once('=')
        .ok_or_else(|| format!("'{s}' is not LABEL=PATH"))?;
    if label.is_empty()
        || !label
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        return Err(format!(
            "label '{label}': use letters, digits, '_', '-' and '.' only"
        ));
    }
    if path.is_empty() {
        return Err(format!("'{s}' has no path"));
    }
    Ok(InputArg {
        label: label.to_string(),
        path: PathBuf::from(path),
    })
}

/// Reads and parses one input; a malformed line is reported as `PATH:LINE: problem`.
fn load(input: &InputArg) -> Result<Analysis> {
    let bytes =
        fs::read(&input.path).with_context(|| format!("reading {}", input.path.display()))?;
    // Console logs may hold stray bytes in lines that are skipped anyway.
    let text = String::from_utf8_lossy(&bytes);
    let path = input.path.display().to_string();
    let data = report::parse(&text).map_err(|e| anyhow!("{path}:{}: {}", e.line, e.msg))?;
    Ok(Analysis::new(&input.label, &path, data))
}

/// Writes `contents` to `path` through a new temporary file in the same directory, synced and
/// renamed over `path`, so that readers see the old file or the new one, never a part.
fn write_atomically(path: &Path, contents: &[u8]) -> Result<()> {
    let name = path
        .file_name()
        .ok_or_else(|| anyhow!("{}: not a file path", path.display()))?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let tmp = dir.join(format!(
        ".{}.tmp.{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let written = (|| -> io::Result<()> {
        let mut f = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        f.write_all(contents)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("writing {}", path.display()));
    }
    Ok(())
}

fn run(cli: Cli) -> Result<ExitCode> {
    for (i, a) in cli.inputs.iter().enumerate() {
        if cli.inputs[..i].iter().any(|b| b.label == a.label) {
            bail!("--input label '{}' given twice", a.label);
        }
    }
    let inputs = cli.inputs.iter().map(load).collect::<Result<Vec<_>>>()?;
    // Render everything before writing anything.
    let md = cli
        .md
        .as_ref()
        .map(|p| (p, markdown::render(&inputs) + "\n"));
    let json = cli
        .json
        .as_ref()
        .map(|p| (p, json::to_text(&json::render(&inputs)) + "\n"));
    for (path, contents) in md.iter().chain(json.iter()) {
        write_atomically(path, contents.as_bytes())?;
    }
    Ok(ExitCode::from(EXIT_OK))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(io::stderr(), "bench-report: error: {e:#}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn cli_needs_an_input_and_an_output() {
        let ok = Cli::try_parse_from([
            "bench-report",
            "--input",
            "x86_64=a/b.txt",
            "--input",
            "host=c.txt",
            "--json",
            "o.json",
        ])
        .unwrap();
        assert_eq!(
            ok.inputs,
            vec![
                InputArg {
                    label: "x86_64".to_string(),
                    path: PathBuf::from("a/b.txt")
                },
                InputArg {
                    label: "host".to_string(),
                    path: PathBuf::from("c.txt")
                }
            ]
        );
        assert_eq!((ok.md, ok.json), (None, Some(PathBuf::from("o.json"))));
        assert!(Cli::try_parse_from(["bench-report", "--md", "x.md"]).is_err());
        assert!(Cli::try_parse_from(["bench-report", "--input", "a=b"]).is_err());
    }

    #[test]
    fn input_arguments() {
        assert_eq!(
            parse_input("arm64=x=y.txt").unwrap().path,
            PathBuf::from("x=y.txt")
        );
        assert!(parse_input("arm64").unwrap_err().contains("not LABEL=PATH"));
        assert!(parse_input("=x").unwrap_err().contains("label ''"));
        assert!(parse_input("a b=x").unwrap_err().contains("label 'a b'"));
        assert!(parse_input("a|b=x").is_err());
        assert!(parse_input("arm64=").unwrap_err().contains("no path"));
    }

    #[test]
    fn atomic_write_replaces_and_leaves_no_temporary() {
        let dir = std::env::temp_dir().join(format!("bench-report-unit-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let out = dir.join("r.md");
        fs::write(&out, "old").unwrap();
        write_atomically(&out, b"new").unwrap();
        assert_eq!(fs::read_to_string(&out).unwrap(), "new");
        let names: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("r.md")]);
        let e = write_atomically(&dir.join("missing/r.md"), b"x").unwrap_err();
        assert!(format!("{e:#}").contains("missing/r.md"), "{e:#}");
        fs::remove_dir_all(&dir).unwrap();
    }
}
