//! Where formatted events go: stdout/stderr, syslog (`/dev/log`), journald's native protocol,
//! or the kernel log (`/dev/kmsg`). Every path is injectable, so tests use sockets and files in
//! a temporary directory.

use crate::decode::Record;
use crate::format::{self, Extra, Format, FormatOptions, Priority};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// The syslog socket.
pub const SYSLOG_SOCKET: &str = "/dev/log";
/// journald's native protocol socket.
pub const JOURNAL_SOCKET: &str = "/run/systemd/journal/socket";
/// The kernel log device.
pub const KMSG: &str = "/dev/kmsg";
/// `SYSLOG_IDENTIFIER` and syslog tag.
pub const IDENT: &str = "oom-guard";
/// syslog facility `LOG_DAEMON`.
const FACILITY_DAEMON: u8 = 3;
/// Most bytes written to `/dev/kmsg` in one line, prefix and newline included: the kernel
/// rejects writes over 1024 bytes (`PRINTKRB_RECORD_MAX`), and a record printed with the
/// console's prefix of up to 48 bytes (`PRINTK_PREFIX_MAX`) must still fit in 1024.
pub const KMSG_LINE_MAX: usize = 975;

/// A sink choice.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum SinkKind {
    /// Standard output.
    #[default]
    Stdout,
    /// Standard error.
    Stderr,
    /// RFC 3164 datagrams to the syslog socket (facility daemon).
    Syslog,
    /// journald's native protocol, with structured `OOM_GUARD_*` fields.
    Journald,
    /// The kernel log, with a `<N>` priority prefix (facility daemon); longer messages split
    /// into lines marked `[cont N/M]`.
    Kmsg,
}

/// An event destination. Runs on the output thread.
pub trait Sink: Send {
    /// Writes one record, with its `--enrich` snapshot if it has one.
    fn emit(&mut self, rec: &Record, extra: Extra<'_>) -> io::Result<()>;

    /// Flushes buffered output; called whenever the queue runs empty.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// Whether a failed write ends the watch. Logging sinks (syslog, journald, kmsg) say no:
    /// their failures are counted and reported, and the next event is tried again.
    fn errors_are_fatal(&self) -> bool {
        true
    }
}

/// Writes one line per record to a stream (stdout, stderr, a file).
pub struct WriterSink<W: Write + Send> {
    out: BufWriter<W>,
    format: Format,
    opts: FormatOptions,
}

impl<W: Write + Send> WriterSink<W> {
    /// A sink writing `format` lines to `out`.
    pub fn new(out: W, format: Format, opts: FormatOptions) -> Self {
        Self {
            out: BufWriter::new(out),
            format,
            opts,
        }
    }
}

impl<W: Write + Send> Sink for WriterSink<W> {
    fn emit(&mut self, rec: &Record, extra: Extra<'_>) -> io::Result<()> {
        let line = format::line(self.format, rec, extra, &self.opts);
        writeln!(self.out, "{line}")
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// A datagram socket to a path, reconnected once when a send fails (the daemon restarted).
struct Datagram {
    sock: UnixDatagram,
    path: PathBuf,
}

impl Datagram {
    fn connect(path: &Path, what: &str) -> io::Result<Self> {
        let sock = UnixDatagram::unbound()?;
        sock.connect(path).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!(
                    "cannot connect to the {what} socket {}: {e}",
                    path.display()
                ),
            )
        })?;
        Ok(Self {
            sock,
            path: path.to_path_buf(),
        })
    }

    fn send(&mut self, msg: &[u8]) -> io::Result<()> {
        match self.sock.send(msg) {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => self.sock.send(msg).map(|_| ()),
            Err(_) => {
                let sock = UnixDatagram::unbound()?;
                sock.connect(&self.path)?;
                self.sock = sock;
                self.sock.send(msg).map(|_| ())
            }
        }
    }
}

/// RFC 3164-style messages to the syslog socket.
pub struct SyslogSink {
    sock: Datagram,
    format: Format,
    opts: FormatOptions,
    pid: u32,
}

impl SyslogSink {
    /// Connects to the syslog socket at `path`.
    pub fn connect(path: &Path, format: Format, opts: FormatOptions) -> io::Result<Self> {
        Ok(Self {
            sock: Datagram::connect(path, "syslog")?,
            format,
            opts,
            pid: std::process::id(),
        })
    }
}

/// One syslog datagram: `<PRI>Mmm dd hh:mm:ss oom-guard[PID]: MESSAGE` with facility daemon.
pub fn syslog_message(prio: Priority, time: &str, pid: u32, body: &str) -> String {
    let pri = u32::from(FACILITY_DAEMON) * 8 + u32::from(prio.0);
    format!("<{pri}>{time} {IDENT}[{pid}]: {body}")
}

/// `Mmm dd hh:mm:ss` in local time, as RFC 3164 wants.
pub fn syslog_time(now: SystemTime) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let tm = crate::sys::local_time(secs);
    let month = usize::try_from(tm.tm_mon)
        .ok()
        .and_then(|m| MONTHS.get(m))
        .unwrap_or(&"Jan");
    format!(
        "{month} {:>2} {:02}:{:02}:{:02}",
        tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec
    )
}

impl Sink for SyslogSink {
    fn emit(&mut self, rec: &Record, extra: Extra<'_>) -> io::Result<()> {
        let msg = syslog_message(
            format::priority(rec),
            &syslog_time(SystemTime::now()),
            self.pid,
            &format::body(self.format, rec, extra, &self.opts),
        );
        self.sock.send(msg.as_bytes())
    }

    fn errors_are_fatal(&self) -> bool {
        false
    }
}

/// journald's native protocol: one datagram of `KEY=value` lines per record.
pub struct JournalSink {
    sock: Datagram,
    format: Format,
    opts: FormatOptions,
}

impl JournalSink {
    /// Connects to journald's socket at `path`.
    pub fn connect(path: &Path, format: Format, opts: FormatOptions) -> io::Result<Self> {
        Ok(Self {
            sock: Datagram::connect(path, "journald")?,
            format,
            opts,
        })
    }
}

/// Appends one field in journald's native format: `KEY=value\n`, or for a value with a
/// newline `KEY\n`, its length as little-endian `u64`, the value and `\n`.
fn journal_field(out: &mut Vec<u8>, key: &str, value: &str) {
    out.extend_from_slice(key.as_bytes());
    if value.contains('\n') {
        out.push(b'\n');
        out.extend_from_slice(&(value.len() as u64).to_le_bytes());
    } else {
        out.push(b'=');
    }
    out.extend_from_slice(value.as_bytes());
    out.push(b'\n');
}

/// The journald datagram for a record: `MESSAGE`, `MESSAGE_ID` (one per record kind, see
/// `contrib/oom-guard.catalog`), `PRIORITY`, `SYSLOG_IDENTIFIER`, `SYSLOG_FACILITY`,
/// `OBJECT_PID`, `OBJECT_COMM` and (for a kill) `OBJECT_UID` when the record names a process, then every field as `OOM_GUARD_*`
/// (`OOM_GUARD_EVENT`, `OOM_GUARD_SEQ`, `OOM_GUARD_TIME_NS`, `OOM_GUARD_TIMESTAMP`,
/// `OOM_GUARD_LEVEL`, …), and with a snapshot its fields as `OOM_GUARD_ENRICH_*`
/// (`OOM_GUARD_ENRICH_MEM_AVAILABLE_KIB`, `OOM_GUARD_ENRICH_TOP`, `OOM_GUARD_ENRICH_TOP_0_PID`,
/// `OOM_GUARD_ENRICH_TOP_0_COMM`, …). Every value is text without control characters: names
/// are escaped, so no field needs journald's binary form.
pub fn journal_message(
    rec: &Record,
    extra: Extra<'_>,
    format: Format,
    opts: &FormatOptions,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(1024);
    journal_field(&mut out, "MESSAGE", &format::body(format, rec, extra, opts));
    journal_field(&mut out, "MESSAGE_ID", format::message_id(rec.rtype()));
    journal_field(&mut out, "PRIORITY", &format::priority(rec).0.to_string());
    journal_field(&mut out, "SYSLOG_IDENTIFIER", IDENT);
    journal_field(&mut out, "SYSLOG_FACILITY", &FACILITY_DAEMON.to_string());
    for (k, v) in format::object_fields(rec) {
        journal_field(&mut out, k, &v);
    }
    let fields = format::event_fields(rec, extra, opts);
    for (k, v) in format::flat_fields(&fields) {
        journal_field(&mut out, &format::env_name(&k), &format::value_text(&v));
    }
    out
}

impl Sink for JournalSink {
    fn emit(&mut self, rec: &Record, extra: Extra<'_>) -> io::Result<()> {
        self.sock
            .send(&journal_message(rec, extra, self.format, &self.opts))
    }

    fn errors_are_fatal(&self) -> bool {
        false
    }
}

/// Lines with a `<N>` priority prefix (facility daemon) to `/dev/kmsg`, one `write()` each; a
/// message too long for one line is split ([`kmsg_lines`]).
pub struct KmsgSink {
    file: File,
    format: Format,
    opts: FormatOptions,
    pid: u32,
}

impl KmsgSink {
    /// Opens the kernel log device (or a file standing in for it) at `path` for writing.
    pub fn open(path: &Path, format: Format, opts: FormatOptions) -> io::Result<Self> {
        let file = std::fs::OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(|e| {
                io::Error::new(e.kind(), format!("cannot open {}: {e}", path.display()))
            })?;
        Ok(Self {
            file,
            format,
            opts,
            pid: std::process::id(),
        })
    }
}

/// The kmsg lines of one message: `<PRI>oom-guard[PID]: MESSAGE\n`, with `PRI` the syslog
/// priority at facility daemon (`3 << 3 | severity`), as syslog and journald get.
///
/// A message that does not fit in [`KMSG_LINE_MAX`] bytes is split at character boundaries
/// into `M` lines, each marked after the prefix: `<PRI>oom-guard[PID]: [cont N/M] PART\n`,
/// `N` from 1. Joining the parts 1 to M (each without its prefix and `[cont N/M] `) gives the
/// message back exactly; no part ends with a space, which log readers may trim.
pub fn kmsg_lines(prio: Priority, pid: u32, body: &str) -> Vec<String> {
    let pri = u32::from(FACILITY_DAEMON) << 3 | u32::from(prio.0);
    let prefix = format!("<{pri}>{IDENT}[{pid}]: ");
    if prefix.len() + body.len() < KMSG_LINE_MAX {
        return vec![format!("{prefix}{body}\n")];
    }
    // `[cont N/M] ` with N and M of at most as many digits as the body's length.
    let digits = body.len().to_string().len();
    let room = KMSG_LINE_MAX
        .saturating_sub(prefix.len() + "[cont /] \n".len() + 2 * digits)
        .max(16);
    let mut parts = Vec::new();
    let mut rest = body;
    while !rest.is_empty() {
        let mut end = rest.len().min(room);
        while !rest.is_char_boundary(end) {
            end -= 1;
        }
        while end > 1 && rest.as_bytes().get(end - 1) == Some(&b' ') && end < rest.len() {
            end -= 1;
        }
        let (part, tail) = rest.split_at(end);
        parts.push(part);
        rest = tail;
    }
    let m = parts.len();
    parts
        .iter()
        .enumerate()
        .map(|(i, part)| format!("{prefix}[cont {}/{m}] {part}\n", i + 1))
        .collect()
}

impl Sink for KmsgSink {
    fn emit(&mut self, rec: &Record, extra: Extra<'_>) -> io::Result<()> {
        let body = format::body(self.format, rec, extra, &self.opts);
        for line in kmsg_lines(format::priority(rec), self.pid, &body) {
            // `/dev/kmsg` takes one record per `write()`: write each line in one call.
            let n = self.file.write(line.as_bytes())?;
            if n != line.len() {
                return Err(io::Error::new(
                    io::ErrorKind::WriteZero,
                    "short write to kmsg",
                ));
            }
        }
        Ok(())
    }

    fn errors_are_fatal(&self) -> bool {
        false
    }
}

/// Where each sink writes; the defaults are the system paths.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SinkPaths {
    /// The syslog socket.
    pub syslog: PathBuf,
    /// journald's socket.
    pub journal: PathBuf,
    /// The kernel log device.
    pub kmsg: PathBuf,
}

impl Default for SinkPaths {
    fn default() -> Self {
        Self {
            syslog: SYSLOG_SOCKET.into(),
            journal: JOURNAL_SOCKET.into(),
            kmsg: KMSG.into(),
        }
    }
}

/// Opens the sink `kind`.
pub fn open(
    kind: SinkKind,
    format: Format,
    opts: FormatOptions,
    paths: &SinkPaths,
) -> io::Result<Box<dyn Sink>> {
    Ok(match kind {
        SinkKind::Stdout => Box::new(WriterSink::new(io::stdout(), format, opts)),
        SinkKind::Stderr => Box::new(WriterSink::new(io::stderr(), format, opts)),
        SinkKind::Syslog => Box::new(SyslogSink::connect(&paths.syslog, format, opts)?),
        SinkKind::Journald => Box::new(JournalSink::connect(&paths.journal, format, opts)?),
        SinkKind::Kmsg => Box::new(KmsgSink::open(&paths.kmsg, format, opts)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::tests::{encoded, samples};
    use crate::decode::{decode_all, Item};
    use crate::testutil::TempDir;
    use std::collections::BTreeMap;

    const OPTS: FormatOptions = FormatOptions { page_size: 4096 };

    fn records() -> Vec<Record> {
        let bytes: Vec<u8> = samples()
            .iter()
            .enumerate()
            .flat_map(|(i, p)| encoded(i as u64, p))
            .collect();
        decode_all(&bytes)
            .unwrap()
            .into_iter()
            .filter_map(|i| match i {
                Item::Record(r) => Some(r),
                _ => None,
            })
            .collect()
    }

    fn recv_all(sock: &UnixDatagram, n: usize) -> Vec<Vec<u8>> {
        sock.set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        (0..n)
            .map(|_| {
                let mut buf = vec![0u8; 65536];
                let len = sock.recv(&mut buf).unwrap();
                buf.truncate(len);
                buf
            })
            .collect()
    }

    /// Parses a native journal datagram (both field encodings).
    fn parse_journal(mut b: &[u8]) -> BTreeMap<String, String> {
        let mut m = BTreeMap::new();
        while !b.is_empty() {
            let nl = b.iter().position(|c| *c == b'\n').unwrap();
            let line = &b[..nl];
            if let Some(eq) = line.iter().position(|c| *c == b'=') {
                let k = String::from_utf8(line[..eq].to_vec()).unwrap();
                m.insert(k, String::from_utf8(line[eq + 1..].to_vec()).unwrap());
                b = &b[nl + 1..];
            } else {
                let k = String::from_utf8(line.to_vec()).unwrap();
                let len = u64::from_le_bytes(b[nl + 1..nl + 9].try_into().unwrap()) as usize;
                let v = &b[nl + 9..nl + 9 + len];
                assert_eq!(b[nl + 9 + len], b'\n');
                m.insert(k, String::from_utf8(v.to_vec()).unwrap());
                b = &b[nl + 10 + len..];
            }
        }
        m
    }

    #[test]
    fn writer_sink_writes_lines_in_the_format() {
        let recs = records();
        for format in [Format::Text, Format::Json, Format::Logfmt] {
            let mut out = Vec::new();
            {
                let mut s = WriterSink::new(&mut out, format, OPTS);
                for r in &recs {
                    s.emit(r, Extra::NONE).unwrap();
                }
                s.flush().unwrap();
                assert!(s.errors_are_fatal());
            }
            let text = String::from_utf8(out).unwrap();
            let want: String = recs
                .iter()
                .map(|r| format::line(format, r, Extra::NONE, &OPTS) + "\n")
                .collect();
            assert_eq!(text, want);
        }
    }

    #[test]
    fn syslog_sink_sends_rfc3164_datagrams_with_priorities() {
        let dir = TempDir::new();
        let path = dir.path().join("log");
        let server = UnixDatagram::bind(&path).unwrap();
        let mut s = SyslogSink::connect(&path, Format::Text, OPTS).unwrap();
        assert!(!s.errors_are_fatal());
        let recs = records();
        for r in &recs {
            s.emit(r, Extra::NONE).unwrap();
        }
        let got = recv_all(&server, recs.len());
        let pid = std::process::id();
        // daemon (3) * 8 + warning/crit/notice/crit/warning.
        for ((msg, r), pri) in got.iter().zip(&recs).zip([28, 26, 29, 26, 28]) {
            let msg = String::from_utf8(msg.clone()).unwrap();
            let prefix = format!("<{pri}>");
            assert!(msg.starts_with(&prefix), "{msg}");
            // `<PRI>Mmm dd hh:mm:ss oom-guard[PID]: message`
            let rest = &msg[prefix.len()..];
            assert_eq!(rest.as_bytes()[3], b' ', "{msg}");
            assert_eq!(&rest[9..10], ":", "{msg}");
            let tail = format!(" {IDENT}[{pid}]: {}", format::message(r, &OPTS));
            assert_eq!(&rest[15..], tail, "{msg}");
        }
    }

    #[test]
    fn syslog_sink_reconnects_after_the_daemon_restarts() {
        let dir = TempDir::new();
        let path = dir.path().join("log");
        let server = UnixDatagram::bind(&path).unwrap();
        let mut s = SyslogSink::connect(&path, Format::Json, OPTS).unwrap();
        let r = records()[2];
        s.emit(&r, Extra::NONE).unwrap();
        drop(server);
        std::fs::remove_file(&path).unwrap();
        // Usually an error now (nobody listens), but a child forked by another test thread may
        // briefly hold a copy of the old socket, so do not insist.
        let _ = s.emit(&r, Extra::NONE);
        let server = UnixDatagram::bind(&path).unwrap();
        server
            .set_read_timeout(Some(std::time::Duration::from_millis(20)))
            .unwrap();
        // The sink reconnects once the old socket is really gone: within a second.
        let mut buf = [0u8; 65536];
        let mut got = None;
        for _ in 0..50 {
            let _ = s.emit(&r, Extra::NONE);
            if let Ok(n) = server.recv(&mut buf) {
                got = Some(vec![buf[..n].to_vec()]);
                break;
            }
        }
        let got = got.expect("the sink never reached the restarted daemon");
        let msg = String::from_utf8(got[0].clone()).unwrap();
        assert!(msg.ends_with(&format::json(&r, &OPTS)), "{msg}");
    }

    #[test]
    fn syslog_sink_needs_the_socket_at_start() {
        let dir = TempDir::new();
        let path = dir.path().join("log");
        let e = SyslogSink::connect(&path, Format::Text, OPTS)
            .err()
            .unwrap();
        assert!(
            e.to_string()
                .contains("cannot connect to the syslog socket"),
            "{e}"
        );
        assert!(e.to_string().contains(&path.display().to_string()), "{e}");
    }

    #[test]
    fn syslog_time_looks_like_rfc3164() {
        let t = syslog_time(UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000));
        assert_eq!(t.len(), 15, "{t}");
        assert!(t.starts_with("Nov 14 ") || t.starts_with("Nov 15 "), "{t}");
        let t = syslog_time(UNIX_EPOCH + std::time::Duration::from_secs(1_704_500_000));
        // Single-digit days are space-padded.
        assert!(t.starts_with("Jan  5 ") || t.starts_with("Jan  6 "), "{t}");
    }

    #[test]
    fn journald_sink_sends_structured_fields() {
        let dir = TempDir::new();
        let path = dir.path().join("journal.sock");
        let server = UnixDatagram::bind(&path).unwrap();
        let mut s = JournalSink::connect(&path, Format::Text, OPTS).unwrap();
        let recs = records();
        for r in &recs {
            s.emit(r, Extra::NONE).unwrap();
        }
        let got: Vec<_> = recv_all(&server, recs.len())
            .iter()
            .map(|d| parse_journal(d))
            .collect();
        let expect = [
            ("pressure", Some("low"), "4"),
            ("oom", Some("min"), "2"),
            ("pool", None, "5"),
            ("kill", None, "2"),
            ("lost", None, "4"),
        ];
        for (i, ((m, r), (event, level, prio))) in got.iter().zip(&recs).zip(expect).enumerate() {
            assert_eq!(m["MESSAGE"], format::message(r, &OPTS));
            assert_eq!(m["PRIORITY"], prio);
            assert_eq!(m["SYSLOG_IDENTIFIER"], "oom-guard");
            assert_eq!(m["SYSLOG_FACILITY"], "3");
            assert_eq!(m["OOM_GUARD_EVENT"], event);
            assert_eq!(m["OOM_GUARD_SEQ"], i.to_string());
            assert_eq!(m["OOM_GUARD_TIME_NS"], r.header.time_ns.to_string());
            assert_eq!(m.get("OOM_GUARD_LEVEL").map(String::as_str), level);
        }
        assert_eq!(got[1]["OOM_GUARD_COMM"], "memhog");
        assert_eq!(
            got[1]["OOM_GUARD_ZONES"],
            "0/DMA32:above-high:200000 0/Normal:below-low:2600"
        );
        assert_eq!(got[4]["OOM_GUARD_COUNT"], "17");
        for k in got[0].keys() {
            assert!(
                k.bytes()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_'),
                "{k}"
            );
        }
    }

    #[test]
    fn journald_and_kmsg_carry_the_snapshot() {
        let snap = crate::enrich::tests::sample();
        let r = records()[1];
        let m = parse_journal(&journal_message(
            &r,
            Extra::enriched(&snap),
            Format::Text,
            &OPTS,
        ));
        assert_eq!(
            m["MESSAGE"],
            format::event_message(&r, Extra::enriched(&snap), &OPTS)
        );
        assert_eq!(m["PRIORITY"], "2");
        assert_eq!(m["OOM_GUARD_COMM"], "memhog");
        assert_eq!(m["OOM_GUARD_ENRICH_MEM_AVAILABLE_KIB"], "20000");
        assert_eq!(m["OOM_GUARD_ENRICH_PSI_SOME_AVG10_PCT"], "12.34");
        assert_eq!(m["OOM_GUARD_ENRICH_TRUNCATED_BY"], "time");
        assert_eq!(
            m["OOM_GUARD_ENRICH_TOP"],
            "42:memhog:204800:900:0 99:oom-guard:1200:0:-1000"
        );
        assert_eq!(m["OOM_GUARD_ENRICH_TOP_1_COMM"], "oom-guard");
        assert_eq!(m["OOM_GUARD_ENRICH_TOP_1_OOM_SCORE_ADJ"], "-1000");
        assert!(!m.contains_key("OOM_GUARD_ENRICH_SWAP_FREE_KIB"));
        assert!(!m.contains_key("OOM_GUARD_ENRICH"));
        let plain = parse_journal(&journal_message(&r, Extra::NONE, Format::Text, &OPTS));
        assert!(plain.keys().all(|k| !k.starts_with("OOM_GUARD_ENRICH")));
        let dir = TempDir::new();
        let path = dir.path().join("kmsg");
        std::fs::write(&path, b"").unwrap();
        let mut s = KmsgSink::open(&path, Format::Text, OPTS).unwrap();
        s.emit(&r, Extra::enriched(&snap)).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("<26>oom-guard["), "{text}");
        assert!(text.contains("; enrich: available 19.5 MiB"), "{text}");
        assert!(text.trim_end().ends_with("(stopped early: time)"), "{text}");
    }

    #[test]
    fn journald_values_with_newlines_use_the_binary_form() {
        let mut out = Vec::new();
        journal_field(&mut out, "MESSAGE", "a\nb");
        journal_field(&mut out, "X", "y");
        assert_eq!(out, b"MESSAGE\n\x03\0\0\0\0\0\0\0a\nb\nX=y\n");
        let m = parse_journal(&out);
        assert_eq!(m["MESSAGE"], "a\nb");
        assert_eq!(m["X"], "y");
    }

    #[test]
    fn kmsg_sink_writes_prefixed_lines() {
        let dir = TempDir::new();
        let path = dir.path().join("kmsg");
        std::fs::write(&path, b"").unwrap();
        let mut s = KmsgSink::open(&path, Format::Text, OPTS).unwrap();
        let recs = records();
        for r in &recs {
            s.emit(r, Extra::NONE).unwrap();
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), recs.len());
        let pid = std::process::id();
        // daemon (3) * 8 + warning/crit/notice/crit/warning.
        for ((line, r), n) in lines.iter().zip(&recs).zip([28, 26, 29, 26, 28]) {
            assert_eq!(
                *line,
                format!("<{n}>oom-guard[{pid}]: {}", format::message(r, &OPTS))
            );
        }
    }

    #[test]
    fn kmsg_lines_are_split_with_a_marker() {
        let long = "é".repeat(1000);
        let lines = kmsg_lines(Priority::INFO, 1, &long);
        assert_eq!(lines.len(), 3);
        assert!(lines.iter().all(|l| l.len() <= KMSG_LINE_MAX), "{lines:?}");
        assert!(lines[0].starts_with("<30>oom-guard[1]: [cont 1/3] é"));
        assert!(lines[2].starts_with("<30>oom-guard[1]: [cont 3/3] é"));
        let joined: String = lines
            .iter()
            .map(|l| l.split_once("] ").unwrap().1)
            .map(|p| p.strip_suffix('\n').unwrap())
            .collect();
        assert_eq!(joined, long);
        // Cut before a space, never after.
        let words = format!("{}z", "ab ".repeat(700));
        for l in kmsg_lines(Priority::INFO, 1, &words) {
            assert!(!l.trim_end_matches('\n').ends_with(' '), "{l:?}");
        }
        assert_eq!(
            kmsg_lines(Priority::CRIT, 7, "short"),
            ["<26>oom-guard[7]: short\n"]
        );
        let e = KmsgSink::open(Path::new("/nonexistent/kmsg"), Format::Text, OPTS)
            .err()
            .unwrap();
        assert!(e.to_string().contains("/nonexistent/kmsg"));
    }

    #[test]
    fn open_picks_the_sink() {
        let dir = TempDir::new();
        let paths = SinkPaths {
            syslog: dir.path().join("log"),
            journal: dir.path().join("journal"),
            kmsg: dir.path().join("kmsg"),
        };
        let _log = UnixDatagram::bind(&paths.syslog).unwrap();
        let _journal = UnixDatagram::bind(&paths.journal).unwrap();
        std::fs::write(&paths.kmsg, b"").unwrap();
        for kind in [
            SinkKind::Stdout,
            SinkKind::Stderr,
            SinkKind::Syslog,
            SinkKind::Journald,
            SinkKind::Kmsg,
        ] {
            let s = open(kind, Format::Text, OPTS, &paths).unwrap();
            assert_eq!(
                s.errors_are_fatal(),
                matches!(kind, SinkKind::Stdout | SinkKind::Stderr)
            );
        }
        assert_eq!(SinkPaths::default().journal, Path::new(JOURNAL_SOCKET));
    }
}
