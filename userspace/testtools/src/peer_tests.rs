use super::*;
use std::io::{self, Read, Write};

#[test]
fn psi_triggers() {
    let t = PsiTrigger::parse("some 150000 1000000").unwrap();
    assert_eq!(
        t,
        PsiTrigger {
            kind: PsiKind::Some,
            stall_us: 150_000,
            window_us: 1_000_000
        }
    );
    assert_eq!(t.to_bytes(), b"some 150000 1000000\0");
    let t = PsiTrigger::parse("  full\t50000   500000 ").unwrap();
    assert_eq!(t.kind, PsiKind::Full);
    assert_eq!(t.to_string(), "full 50000 500000");
    // The kernel's limits: 0 < stall <= window <= 10 s.
    assert!(PsiTrigger::parse("some 10000000 10000000").is_ok());
    assert!(PsiTrigger::parse("some 1 1").is_ok());
    // The longest trigger still fits the kernel's 32-byte buffer with its NUL.
    assert!(
        PsiTrigger::parse("full 10000000 10000000")
            .unwrap()
            .to_bytes()
            .len()
            <= 32
    );
}

#[test]
fn bad_psi_triggers() {
    for bad in [
        "",
        "some",
        "some 1000",
        "some 1000 500000 7",
        "half 1000 500000",
        "SOME 1000 500000",
        "some -1 500000",
        "some 1e3 500000",
        "some 0 500000",
        "some 1000 0",
        "some 600000 500000",
        "some 1000 10000001",
        "some 1000 99999999999",
    ] {
        assert!(PsiTrigger::parse(bad).is_err(), "{bad:?}");
    }
    let msg = PsiTrigger::parse("some 0 1").unwrap_err().to_string();
    assert!(msg.contains("'some 0 1'") && msg.contains("stall"), "{msg}");
}

#[test]
fn psi_event_lines() {
    assert_eq!(psi_event_line(42, 0), "time_ns=42 trigger=0");
    assert_eq!(
        psi_event_line(u64::MAX, 3),
        format!("time_ns={} trigger=3", u64::MAX)
    );
}

/// A reader that returns the given chunks, one per `read()`, with an interruption first.
struct Chunks {
    chunks: Vec<&'static [u8]>,
    interrupted: bool,
}

impl Read for Chunks {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if !self.interrupted {
            self.interrupted = true;
            return Err(io::ErrorKind::Interrupted.into());
        }
        if self.chunks.is_empty() {
            return Ok(0);
        }
        let c = self.chunks.remove(0);
        buf[..c.len()].copy_from_slice(c);
        Ok(c.len())
    }
}

/// A writer that records what it holds at every flush.
#[derive(Default)]
struct Flushes {
    data: Vec<u8>,
    flushed: Vec<usize>,
}

impl Write for Flushes {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.data.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        self.flushed.push(self.data.len());
        Ok(())
    }
}

fn run(chunks: Vec<&'static [u8]>) -> (String, usize) {
    let input = Chunks {
        chunks,
        interrupted: false,
    };
    let mut out = Flushes::default();
    // Read number n (from 1) happens at time 100 * n.
    let mut t = 0;
    timestamp_lines(input, &mut out, || {
        t += 100;
        t
    })
    .unwrap();
    // Every line was flushed as soon as it was written.
    let ends: Vec<usize> = out
        .data
        .iter()
        .enumerate()
        .filter(|(_, &b)| b == b'\n')
        .map(|(i, _)| i + 1)
        .collect();
    assert_eq!(out.flushed, ends);
    (String::from_utf8(out.data).unwrap(), ends.len())
}

#[test]
fn lines_get_the_time_of_their_first_byte() {
    let (text, lines) = run(vec![b"one\ntw", b"o\n", b"thr", b"ee\nfour\n\nfi", b"ve"]);
    assert_eq!(
        text,
        "time_ns=100 one\n\
         time_ns=100 two\n\
         time_ns=300 three\n\
         time_ns=400 four\n\
         time_ns=400 \n\
         time_ns=400 five\n"
    );
    assert_eq!(lines, 6);
}

#[test]
fn a_line_starting_a_read_gets_that_reads_time() {
    let (text, _) = run(vec![b"a\n", b"b\n"]);
    assert_eq!(text, "time_ns=100 a\ntime_ns=200 b\n");
}

#[test]
fn empty_input_prints_nothing() {
    assert_eq!(run(vec![]), (String::new(), 0));
}

#[test]
fn write_errors_are_returned() {
    struct Broken;
    impl Write for Broken {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let err = timestamp_lines(&b"x\n"[..], Broken, || 0).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
}
