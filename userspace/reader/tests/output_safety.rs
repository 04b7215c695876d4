//! The output side against hostile and awkward input (issue 16, items 4–6 and the log-stack
//! fields): process and zone names that try to forge lines or fields, lists of names with
//! spaces, kmsg lines longer than the kernel takes, and the fields log stacks expect.

mod common;

use common::{record, TempDir};
use oom_guard::decode::Record;
use oom_guard::enrich::{EnrichOptions, Enricher, Snapshot};
use oom_guard::format::{self, Extra, Format, FormatOptions};
use oom_guard::sink::{self, KmsgSink, Sink};
use oom_guard_core::abi::{self, fixed_name, Kill, Oom, Payload, Pool, ZoneSnapshot, MAX_ZONES};
use std::collections::BTreeMap;
use std::path::Path;

const OPTS: FormatOptions = FormatOptions { page_size: 4096 };
/// The name from the issue: a quote, a backslash, an `=` and a newline that starts a forged
/// dmesg-style line, exactly `TASK_COMM_LEN` bytes.
const FORGER: &[u8; 16] = b"a\"b\\c=d\n[ 1.0] x";
/// ESC, DEL, a C1 control (U+0085, NEL) and a byte that is not UTF-8.
const BINARY: &[u8] = b"\x1b[31mred\x7f\xc2\x85\xff";

fn oom(comm: &[u8], zone: &[u8]) -> Record {
    let mut zones = [ZoneSnapshot::default(); MAX_ZONES];
    zones[0] = ZoneSnapshot {
        name: fixed_name(zone),
        managed: 1000,
        free: 10,
        ..ZoneSnapshot::default()
    };
    record(
        3,
        5_000_000_000,
        Payload::Oom(Oom {
            pid: 4321,
            comm: fixed_name(comm),
            nr_zones: 1,
            zones,
            ..Oom::default()
        }),
    )
}

fn kill(comm: &[u8]) -> Record {
    record(
        4,
        5_000_000_001,
        Payload::Kill(Kill {
            kills: 1,
            victim_pid: 78,
            victim_tgid: 77,
            victim_uid: 1000,
            flags: abi::KILL_VICTIM | abi::KILL_MEMCG,
            victim_comm: fixed_name(comm),
            victim_rss_kib: 1024,
            cgroup_id: 99,
            ..Kill::default()
        }),
    )
}

/// A fixture `/proc` with `n` processes, named by `name(i)`.
fn proc_tree(dir: &Path, n: u32, name: impl Fn(u32) -> String) -> Snapshot {
    std::fs::write(dir.join("meminfo"), "MemFree: 7 kB\nMemAvailable: 9 kB\n").unwrap();
    for i in 0..n {
        let pid = 100 + i;
        let d = dir.join(pid.to_string());
        std::fs::create_dir_all(&d).unwrap();
        let rss = 1000 * (n - i) as u64;
        std::fs::write(d.join("statm"), format!("{rss} {rss} 0 0 0 0 0\n")).unwrap();
        std::fs::write(d.join("comm"), format!("{}\n", name(i))).unwrap();
        std::fs::write(d.join("oom_score"), "10\n").unwrap();
        std::fs::write(d.join("oom_score_adj"), "0\n").unwrap();
    }
    let opts = EnrichOptions {
        proc_root: dir.to_path_buf(),
        top: 32,
        max_time: std::time::Duration::from_secs(10),
        ..EnrichOptions::default()
    };
    Enricher::new(opts, 4096).snapshot()
}

/// Whether `s` has a character no log line may carry raw: a C0 or C1 control, DEL, a line or
/// paragraph separator, or the replacement of an invalid byte.
fn has_raw_control(s: &str) -> bool {
    s.chars()
        .any(|c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{fffd}'))
}

/// logfmt pairs, values unquoted and unescaped (`\"`, `\\`, `\n`).
fn parse_logfmt(line: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut it = line.chars().peekable();
    loop {
        while it.peek() == Some(&' ') {
            it.next();
        }
        if it.peek().is_none() {
            return out;
        }
        let key: String = it.by_ref().take_while(|c| *c != '=').collect();
        let mut v = String::new();
        if it.peek() == Some(&'"') {
            it.next();
            while let Some(c) = it.next() {
                match c {
                    '"' => break,
                    '\\' => match it.next().unwrap() {
                        'n' => v.push('\n'),
                        c => v.push(c),
                    },
                    c => v.push(c),
                }
            }
        } else {
            while let Some(c) = it.peek().copied().filter(|c| *c != ' ') {
                v.push(c);
                it.next();
            }
        }
        assert!(
            key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "key {key:?} in {line}"
        );
        out.push((key, v));
    }
}

/// A native journal datagram as fields; panics on the binary (length-prefixed) form.
fn parse_journal(d: &[u8]) -> BTreeMap<String, String> {
    let text = std::str::from_utf8(d).expect("a journal datagram that is UTF-8");
    let mut m = BTreeMap::new();
    for line in text.lines() {
        let (k, v) = line
            .split_once('=')
            .unwrap_or_else(|| panic!("binary field {line:?} in {text:?}"));
        m.insert(k.to_string(), v.to_string());
    }
    m
}

#[test]
fn hostile_names_cannot_forge_lines_or_fields_in_any_format() {
    for r in [
        oom(FORGER, b"Nor\nmal"),
        kill(FORGER),
        oom(BINARY, b"\x1bZ"),
    ] {
        for f in [Format::Text, Format::Json, Format::Logfmt] {
            for s in [
                format::line(f, &r, Extra::NONE, &OPTS),
                format::body(f, &r, Extra::NONE, &OPTS),
            ] {
                assert!(!has_raw_control(&s), "{f:?}: {s:?}");
            }
        }
        let line = format::line(Format::Logfmt, &r, Extra::NONE, &OPTS);
        let keys: Vec<String> = parse_logfmt(&line).into_iter().map(|(k, _)| k).collect();
        let want: Vec<String> = format::flat_fields(&format::event_fields(&r, Extra::NONE, &OPTS))
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(keys, want, "a forged field in {line}");
    }
    // The same escaped text in every structured format: `\` doubled, the newline as `\n`.
    let escaped = r#"a"b\\c=d\n[ 1.0] x"#;
    let r = oom(FORGER, b"Normal");
    let j: serde_json::Value =
        serde_json::from_str(&format::line(Format::Json, &r, Extra::NONE, &OPTS)).unwrap();
    assert_eq!(j["comm"], escaped);
    let l = parse_logfmt(&format::line(Format::Logfmt, &r, Extra::NONE, &OPTS));
    assert!(l.contains(&("comm".into(), escaped.into())), "{l:?}");
    // Text quotes a name that is not a plain word, C-style.
    let t = format::line(Format::Text, &r, Extra::NONE, &OPTS);
    assert!(t.contains(r#"pid 4321 ("a\"b\\c=d\n[ 1.0] x")"#), "{t}");
    assert!(
        format::line(Format::Text, &oom(b"memhog", b"Normal"), Extra::NONE, &OPTS)
            .contains("pid 4321 (memhog)")
    );
    // Control characters and bytes that are not UTF-8 as `\xHH`, one per byte.
    let j: serde_json::Value = serde_json::from_str(&format::line(
        Format::Json,
        &oom(BINARY, b"N"),
        Extra::NONE,
        &OPTS,
    ))
    .unwrap();
    assert_eq!(j["comm"], r"\x1b[31mred\x7f\xc2\x85\xff");
}

#[test]
fn logging_sinks_get_escaped_messages_and_no_binary_fields() {
    for r in [oom(FORGER, b"Nor\nmal"), kill(BINARY)] {
        for f in [Format::Text, Format::Json, Format::Logfmt] {
            let d = sink::journal_message(&r, Extra::NONE, f, &OPTS);
            let m = parse_journal(&d);
            for (k, v) in &m {
                assert!(!has_raw_control(v), "{k}={v:?}");
            }
            let body = format::body(f, &r, Extra::NONE, &OPTS);
            let s = sink::syslog_message(format::priority(&r), "Nov 30 12:00:00", 1, &body);
            assert!(!has_raw_control(&s), "{s:?}");
            assert_eq!(m["MESSAGE"], body);
        }
    }
    let dir = TempDir::new();
    let path = dir.path().join("kmsg");
    std::fs::write(&path, b"").unwrap();
    let mut k = KmsgSink::open(&path, Format::Text, OPTS).unwrap();
    k.emit(&oom(FORGER, b"Normal"), Extra::NONE).unwrap();
    k.emit(&kill(BINARY), Extra::NONE).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let text = String::from_utf8(bytes).expect("kmsg lines that are UTF-8");
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(!has_raw_control(&text.replace('\n', "")), "{text:?}");
}

/// Reassembles kmsg lines: `PREFIX[cont N/M] PART` pieces joined in order.
fn reassemble(text: &str, tag: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut pending = String::new();
    for line in text.lines() {
        let body = &line[line.find(tag).unwrap() + tag.len()..];
        match body.strip_prefix("[cont ") {
            Some(rest) => {
                let (nm, part) = rest.split_once("] ").unwrap();
                let (n, m) = nm.split_once('/').unwrap();
                pending.push_str(part);
                if n == m {
                    out.push(std::mem::take(&mut pending));
                }
            }
            None => out.push(body.to_string()),
        }
    }
    assert!(pending.is_empty(), "an unfinished split message");
    out
}

#[test]
fn kmsg_splits_long_lines_with_a_marker_and_uses_facility_daemon() {
    let dir = TempDir::new();
    let snap = proc_tree(dir.path(), 32, |i| format!("Web Content {i:02}"));
    assert_eq!(snap.top().len(), 32);
    let r = oom(b"memhog", b"Normal");
    let path = dir.path().join("kmsg");
    let pid = std::process::id();
    let tag = format!("oom-guard[{pid}]: ");
    for f in [Format::Json, Format::Logfmt, Format::Text] {
        std::fs::write(&path, b"").unwrap();
        let mut k = KmsgSink::open(&path, f, OPTS).unwrap();
        k.emit(&r, Extra::enriched(&snap)).unwrap();
        k.emit(&kill(b"sh"), Extra::NONE).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let body = format::body(f, &r, Extra::enriched(&snap), &OPTS);
        assert!(body.len() > 1500, "{f:?}: long enough to split");
        for line in text.lines() {
            assert!(line.len() < 976, "{f:?}: {} bytes: {line}", line.len());
            // LOG_DAEMON (3) << 3 | LOG_CRIT (2).
            assert!(line.starts_with(&format!("<26>{tag}")), "{line}");
            assert!(!line.ends_with(' '), "{line:?}");
        }
        let msgs = reassemble(&text, &tag);
        assert_eq!(msgs.len(), 2, "{f:?}: {text}");
        assert_eq!(msgs[0], body, "{f:?}");
        assert_eq!(msgs[1], format::body(f, &kill(b"sh"), Extra::NONE, &OPTS));
        if f == Format::Json {
            let v: serde_json::Value = serde_json::from_str(&msgs[0]).unwrap();
            assert_eq!(v["enrich"]["top"][31]["comm"], "Web Content 31");
        }
    }
}

#[test]
fn lists_of_names_with_spaces_can_be_split() {
    let dir = TempDir::new();
    let snap = proc_tree(dir.path(), 3, |i| {
        ["memhog", "Web Content", "a, b[1]"][i as usize].into()
    });
    let r = oom(b"memhog", b"Normal");
    // logfmt: indexed keys.
    let l: BTreeMap<String, String> = parse_logfmt(&format::line(
        Format::Logfmt,
        &r,
        Extra::enriched(&snap),
        &OPTS,
    ))
    .into_iter()
    .collect();
    assert_eq!(l["enrich_top_0_pid"], "100");
    assert_eq!(l["enrich_top_0_comm"], "memhog");
    assert_eq!(l["enrich_top_1_comm"], "Web Content");
    assert_eq!(l["enrich_top_1_rss_kib"], "8000");
    assert_eq!(l["enrich_top_2_comm"], "a, b[1]");
    assert_eq!(l["enrich_top_2_oom_score_adj"], "0");
    // The compact list kept beside them: entries split on spaces, fields on `:`.
    let entries: Vec<&str> = l["enrich_top"].split(' ').collect();
    assert_eq!(entries.len(), 3, "{}", l["enrich_top"]);
    assert_eq!(entries[1], r"101:Web\x20Content:8000:10:0");
    // journald: the same indexed keys.
    let m = parse_journal(&sink::journal_message(
        &r,
        Extra::enriched(&snap),
        Format::Text,
        &OPTS,
    ));
    assert_eq!(m["OOM_GUARD_ENRICH_TOP_1_COMM"], "Web Content");
    assert_eq!(m["OOM_GUARD_ENRICH_TOP_1_PID"], "101");
    assert_eq!(m["OOM_GUARD_ENRICH_TOP_2_OOM_SCORE"], "10");
    // JSON: an array of objects.
    let j: serde_json::Value = serde_json::from_str(&format::line(
        Format::Json,
        &r,
        Extra::enriched(&snap),
        &OPTS,
    ))
    .unwrap();
    assert_eq!(j["enrich"]["top"][1]["comm"], "Web Content");
    // Text: names that are not plain words quoted.
    let t = format::line(Format::Text, &r, Extra::enriched(&snap), &OPTS);
    assert!(
        t.contains(r#"top memhog[100] 11.7 MiB score 10 adj 0, "Web Content"[101] 7.8 MiB"#),
        "{t}"
    );
    assert!(t.contains(r#", "a, b[1]"[102] "#), "{t}");
}

fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    assert_eq!(rc, 0);
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
fn is_rfc3339_us_utc(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 27
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            19 => *c == b'.',
            26 => *c == b'Z',
            _ => c.is_ascii_digit(),
        })
}

#[test]
fn json_and_logfmt_carry_a_wall_clock_timestamp() {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let r = record(9, monotonic_ns(), Payload::Pool(Pool::default()));
    let j: serde_json::Value =
        serde_json::from_str(&format::line(Format::Json, &r, Extra::NONE, &OPTS)).unwrap();
    let ts = j["timestamp"].as_str().expect("a timestamp string");
    assert!(is_rfc3339_us_utc(ts), "{ts}");
    assert_eq!(j["time_ns"], r.header.time_ns, "the monotonic time stays");
    let l: BTreeMap<String, String> =
        parse_logfmt(&format::line(Format::Logfmt, &r, Extra::NONE, &OPTS))
            .into_iter()
            .collect();
    assert_eq!(l["timestamp"], ts);
    // The record is from now: the timestamp is now, to the second or two.
    let secs_of_day = |t: &str| -> u64 {
        let h: u64 = t[11..13].parse().unwrap();
        let m: u64 = t[14..16].parse().unwrap();
        let s: u64 = t[17..19].parse().unwrap();
        h * 3600 + m * 60 + s
    };
    let diff = (secs_of_day(ts) as i64 - (now % 86_400) as i64).rem_euclid(86_400);
    assert!(diff <= 2 || diff >= 86_400 - 2, "{ts} vs {now}");
}

#[test]
fn journald_gets_a_message_id_per_event_type_and_the_object_fields() {
    let catalog = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("contrib/oom-guard.catalog"),
    )
    .expect("the journald catalog in contrib/");
    let recs = [
        oom(b"memhog", b"Normal"),
        kill(b"s\\h\x1b[1m"),
        record(1, 1, Payload::Pool(Pool::default())),
    ];
    let mut ids = Vec::new();
    for r in &recs {
        let m = parse_journal(&sink::journal_message(r, Extra::NONE, Format::Text, &OPTS));
        let id = m.get("MESSAGE_ID").expect("a MESSAGE_ID").clone();
        assert_eq!(id.len(), 32, "{id}");
        assert!(id
            .bytes()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert!(
            catalog.contains(&format!("\n-- {id}\n")),
            "{id} not in the catalog"
        );
        ids.push(id);
        let want = match r.payload {
            Payload::Oom(_) => Some("4321"),
            Payload::Kill(_) => Some("77"),
            _ => None,
        };
        assert_eq!(m.get("OBJECT_PID").map(String::as_str), want);
        // The name and (for a victim) the uid come from the record, escaped: journald cannot
        // look up a process that is gone.
        let (comm, uid) = match r.payload {
            Payload::Oom(_) => (Some("memhog"), None),
            Payload::Kill(_) => (Some(r"s\\h\x1b[1m"), Some("1000")),
            _ => (None, None),
        };
        assert_eq!(m.get("OBJECT_COMM").map(String::as_str), comm);
        assert_eq!(m.get("OBJECT_UID").map(String::as_str), uid);
        // The fields that were there stay.
        assert!(m.contains_key("OOM_GUARD_TIME_NS") && m.contains_key("PRIORITY"));
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 3, "one id per event type");
}

/// The bytes an escaped name stands for (C escapes `\\`, `\n`, `\r`, `\t`, `\xHH`).
fn unescape(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            out.push(b[i]);
            i += 1;
            continue;
        }
        match b[i + 1] {
            b'\\' => out.push(b'\\'),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'x' => {
                out.push(u8::from_str_radix(&s[i + 2..i + 4], 16).unwrap());
                i += 2;
            }
            c => panic!("unknown escape \\{} in {s:?}", c as char),
        }
        i += 2;
    }
    out
}

#[test]
fn random_names_stay_one_field_on_one_line_and_read_back() {
    // xorshift64: the same 3000 names every run.
    let mut x = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let alphabet: &[u8] = b"a Z0\"\\=:,()[]\n\r\t\x1b\x7f\x00\xc2\x85\x9b\xe2\x80\xa8\xae\xff{}";
    for _ in 0..3000 {
        let len = (next() % 17) as usize;
        let name: Vec<u8> = (0..len)
            .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
            .collect();
        let field: [u8; 16] = fixed_name(&name);
        let escaped = format::name_text(&field);
        assert_eq!(unescape(&escaped), abi::name_bytes(&field), "{name:?}");
        let r = oom(&name, &name);
        for f in [Format::Text, Format::Json, Format::Logfmt] {
            let line = format::line(f, &r, Extra::NONE, &OPTS);
            assert!(!has_raw_control(&line), "{f:?} {name:?}: {line:?}");
        }
        let j: serde_json::Value =
            serde_json::from_str(&format::line(Format::Json, &r, Extra::NONE, &OPTS)).unwrap();
        assert_eq!(j["comm"], escaped.as_str());
        let l = parse_logfmt(&format::line(Format::Logfmt, &r, Extra::NONE, &OPTS));
        let comm: Vec<&(String, String)> = l.iter().filter(|(k, _)| k == "comm").collect();
        assert_eq!(comm, [&("comm".to_string(), escaped.clone())], "{name:?}");
        assert_eq!(
            l.len(),
            format::flat_fields(&format::event_fields(&r, Extra::NONE, &OPTS)).len()
        );
        let m = parse_journal(&sink::journal_message(
            &r,
            Extra::NONE,
            Format::Logfmt,
            &OPTS,
        ));
        assert_eq!(m["OOM_GUARD_COMM"], escaped);
    }
}
