//! P7, the reader's memory against earlyoom's: one `bench: P7 reader_rss_kib=N
//! reader_anon_kib=N earlyoom_rss_kib=N earlyoom_anon_kib=N reader_bytes=N earlyoom_bytes=N`.

use crate::input::{Fields, Tokens};
use crate::measure::{About, Status, Summary, Verdict};
use crate::table::{n_int, table};
use crate::units;
use serde_json::{json, Value};

/// What the report says about P7.
pub const ABOUT: About = About {
    id: "P7",
    host: false,
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
    definitions: &[],
};

/// The P7 memory footprints of the reader and of earlyoom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct P7Mem {
    pub line: usize,
    pub reader_rss_kib: Option<u64>,
    pub reader_anon_kib: Option<u64>,
    pub earlyoom_rss_kib: Option<u64>,
    pub earlyoom_anon_kib: Option<u64>,
    pub reader_bytes: Option<u64>,
    pub earlyoom_bytes: Option<u64>,
}

/// Parses the `P7` line, which is given once.
pub fn parse(tokens: Tokens<'_>, line: usize, mem: &mut Option<P7Mem>) -> Result<(), String> {
    if let Some(prev) = mem {
        return Err(format!("P7 already given on line {}", prev.line));
    }
    let f = Fields::new(
        "P7",
        &[
            "reader_rss_kib",
            "reader_anon_kib",
            "earlyoom_rss_kib",
            "earlyoom_anon_kib",
            "reader_bytes",
            "earlyoom_bytes",
        ],
        &[],
        tokens,
    )?;
    *mem = Some(P7Mem {
        line,
        reader_rss_kib: f.opt_u64("reader_rss_kib")?,
        reader_anon_kib: f.opt_u64("reader_anon_kib")?,
        earlyoom_rss_kib: f.opt_u64("earlyoom_rss_kib")?,
        earlyoom_anon_kib: f.opt_u64("earlyoom_anon_kib")?,
        reader_bytes: f.opt_u64("reader_bytes")?,
        earlyoom_bytes: f.opt_u64("earlyoom_bytes")?,
    });
    Ok(())
}

/// P7: reader vs earlyoom memory.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct P7Summary {
    pub mem: P7Mem,
    /// Reader VmRSS / earlyoom VmRSS.
    pub rss_ratio: Option<f64>,
}

impl P7Summary {
    pub fn new(mem: Option<P7Mem>) -> Option<Self> {
        let m = mem?;
        let rss_ratio = m
            .reader_rss_kib
            .zip(m.earlyoom_rss_kib)
            .filter(|&(r, e)| r > 0 && e > 0)
            .map(|(r, e)| r as f64 / e as f64);
        Some(Self { mem: m, rss_ratio })
    }
}

impl Summary for P7Summary {
    fn verdict(&self) -> Verdict {
        // A live process always has resident pages: a VmRSS of 0 means it was never sampled.
        match (self.mem.reader_rss_kib, self.mem.earlyoom_rss_kib) {
            (None, _) => Verdict::not_measured("reader VmRSS not measured"),
            (_, None) => Verdict::not_measured("earlyoom VmRSS not measured"),
            (Some(0), _) => Verdict::not_measured("reader VmRSS is 0 KiB: not sampled"),
            (_, Some(0)) => Verdict::not_measured("earlyoom VmRSS is 0 KiB: not sampled"),
            (Some(r), Some(e)) if r <= e => Verdict::met(),
            (Some(r), Some(e)) => Verdict::new(
                Status::Missed,
                format!(
                    "reader {} KiB, {} earlyoom's {} KiB",
                    units::int(r),
                    units::opt(self.rss_ratio, units::ratio),
                    units::int(e)
                ),
            ),
        }
    }

    fn headline(&self) -> String {
        format!(
            "reader {} vs earlyoom {} VmRSS",
            units::opt(self.mem.reader_rss_kib, |k| format!(
                "{} KiB",
                units::int(k)
            )),
            units::opt(self.mem.earlyoom_rss_kib, |k| format!(
                "{} KiB",
                units::int(k)
            ))
        )
    }

    fn markdown(&self, out: &mut String) {
        let m = &self.mem;
        table(
            out,
            &["Process", "VmRSS (KiB)", "RssAnon (KiB)", "Binary (bytes)"],
            &[
                vec![
                    "reader".to_string(),
                    n_int(m.reader_rss_kib),
                    n_int(m.reader_anon_kib),
                    n_int(m.reader_bytes),
                ],
                vec![
                    "earlyoom".to_string(),
                    n_int(m.earlyoom_rss_kib),
                    n_int(m.earlyoom_anon_kib),
                    n_int(m.earlyoom_bytes),
                ],
            ],
        );
        if let Some(r) = self.rss_ratio {
            out.push_str(&format!(
                "Reader VmRSS / earlyoom VmRSS: {}.\n\n",
                units::ratio(r)
            ));
        }
    }

    fn json(&self) -> Value {
        let m = &self.mem;
        json!({
            "line": m.line,
            "reader_rss_kib": m.reader_rss_kib,
            "reader_anon_kib": m.reader_anon_kib,
            "earlyoom_rss_kib": m.earlyoom_rss_kib,
            "earlyoom_anon_kib": m.earlyoom_anon_kib,
            "reader_bytes": m.reader_bytes,
            "earlyoom_bytes": m.earlyoom_bytes,
            "rss_ratio": self.rss_ratio,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::testing::markdown;
    use crate::report::parse;
    use crate::report::testing::{measure, verdict};
    #[test]
    fn reader_against_earlyoom() {
        let p7 = "bench: P7 reader_rss_kib=2340 reader_anon_kib=300 earlyoom_rss_kib=1800 \
                  earlyoom_anon_kib=200 reader_bytes=900000 earlyoom_bytes=50000\n";
        assert_eq!(
            verdict(p7, measure("P7")).detail.as_deref(),
            Some("reader 2,340 KiB, 1.3× earlyoom's 1,800 KiB")
        );
        assert_eq!(
            verdict(&p7.replace("=2340", "=1800"), measure("P7")),
            Verdict::met()
        );
        assert_eq!(
            verdict(
                &p7.replace("earlyoom_rss_kib=1800", "earlyoom_rss_kib=-"),
                measure("P7")
            )
            .status,
            Status::NotMeasured
        );
        assert_eq!(
            verdict(
                &p7.replace("earlyoom_rss_kib=1800", "earlyoom_rss_kib=0"),
                measure("P7")
            ),
            Verdict::not_measured("earlyoom VmRSS is 0 KiB: not sampled")
        );
    }

    #[test]
    fn given_once() {
        let p7 = "bench: P7 reader_rss_kib=1 reader_anon_kib=1 earlyoom_rss_kib=1 earlyoom_anon_kib=1 reader_bytes=1 earlyoom_bytes=-";
        assert_eq!(parse(p7).unwrap().p7.unwrap().earlyoom_bytes, None);
        assert_eq!(parse(&format!("{p7}\n{p7}")).unwrap_err().line, 2);
    }

    #[test]
    fn table_and_json() {
        let s = P7Summary::new(
            parse(
                "bench: P7 reader_rss_kib=1200 reader_anon_kib=300 earlyoom_rss_kib=1800 \
                 earlyoom_anon_kib=200 reader_bytes=900000 earlyoom_bytes=-\n",
            )
            .unwrap()
            .p7,
        )
        .unwrap();
        let md = markdown(&s);
        assert!(md.contains("| reader | 1,200 | 300 | 900,000 |\n| earlyoom | 1,800 | 200 | — |"));
        assert!(md.ends_with("Reader VmRSS / earlyoom VmRSS: 0.7×.\n\n"));
        assert_eq!(s.json()["rss_ratio"], json!(1200.0 / 1800.0));
    }
}
