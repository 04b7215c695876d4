//! tsline and psiwatch end to end on the host: tsline's timestamped copy, psiwatch's usage
//! and error exits (arming a real trigger needs PSI and root, so it is left to the guest test).

use std::io::Write;
use std::process::{Command, Stdio};

fn monotonic_ns() -> u64 {
    oom_guard_testtools::monotonic_ns()
}

#[test]
fn tsline_prefixes_every_line_with_the_monotonic_time() {
    let before = monotonic_ns();
    let mut child = Command::new(env!("CARGO_BIN_EXE_tsline"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(b"mem avail: 1 of 2 MiB\n\nlast, no newline")
        .unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let after = monotonic_ns();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    let mut prev = 0;
    for (line, want) in lines
        .iter()
        .zip(["mem avail: 1 of 2 MiB", "", "last, no newline"])
    {
        let (stamp, rest) = line.split_once(' ').unwrap();
        assert_eq!(rest, want);
        let t: u64 = stamp.strip_prefix("time_ns=").unwrap().parse().unwrap();
        assert!(
            before <= t && t <= after && prev <= t,
            "{t} not in {before}..{after}"
        );
        prev = t;
    }
    assert!(text.ends_with('\n'));
}

#[test]
fn tsline_takes_no_arguments() {
    let out = Command::new(env!("CARGO_BIN_EXE_tsline"))
        .arg("x")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

fn psiwatch(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_psiwatch"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.stdout.is_empty());
    (out.status.code(), String::from_utf8(out.stderr).unwrap())
}

#[test]
fn psiwatch_usage_errors() {
    let (code, err) = psiwatch(&[]);
    assert_eq!(code, Some(2));
    assert!(err.contains("usage: psiwatch"), "{err}");
    let (code, err) = psiwatch(&["some 0 500000"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("invalid PSI trigger 'some 0 500000'"), "{err}");
    let (code, _) = psiwatch(&["-f"]);
    assert_eq!(code, Some(2));
    let (code, _) = psiwatch(&["-x", "some 1000 500000"]);
    assert_eq!(code, Some(2));
}

#[test]
fn psiwatch_names_the_file_it_cannot_use() {
    let (code, err) = psiwatch(&["-f", "/nonexistent/pressure", "some 1000 500000"]);
    assert_eq!(code, Some(1));
    assert!(
        err.contains("/nonexistent/pressure: cannot open:") && err.contains("No such file"),
        "{err}"
    );
}
