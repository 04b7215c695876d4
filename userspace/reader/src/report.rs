//! One-shot output: decoding a capture, and the `stats`, `zones` and `config` reports.

use crate::config;
use crate::decode::{DecodeError, Item, StreamDecoder};
use crate::device::READ_BUFFER;
use crate::format::{
    self, headroom_name, human_bytes, human_ns, human_rate, json_object, level_name, name_text,
    tte_value, valid_zones, zone_state_name, Field, Format, FormatOptions, Value,
};
use oom_guard_core::abi::{Config, StatKind, Stats, Zones, STATS_FIELDS};
use std::fmt::Write as _;
use std::io::{self, Read, Write};

/// Why decoding a capture failed.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    /// Reading the input failed.
    #[error("reading {name}")]
    Read {
        /// The input's name.
        name: String,
        /// The error.
        #[source]
        source: io::Error,
    },
    /// The input is not a valid record stream.
    #[error("decoding {name}")]
    Decode {
        /// The input's name.
        name: String,
        /// The error.
        #[source]
        source: DecodeError,
    },
    /// Writing the output failed.
    #[error("writing the output")]
    Write(#[source] io::Error),
}

/// Decodes a captured record stream from `input` and writes one `format` line per record to
/// `output`. Forward-compatibility notices go to `warn`. Returns the number of records
/// written; skipped records of unknown types are not counted.
pub fn decode_to(
    input: &mut dyn Read,
    name: &str,
    output: &mut dyn Write,
    format: Format,
    opts: &FormatOptions,
    warn: &dyn Fn(&str),
) -> Result<u64, StreamError> {
    let mut dec = StreamDecoder::new();
    let mut buf = vec![0u8; READ_BUFFER];
    let mut n_records = 0u64;
    let decode_err = |source| StreamError::Decode {
        name: name.to_string(),
        source,
    };
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(source) => {
                return Err(StreamError::Read {
                    name: name.to_string(),
                    source,
                })
            }
        };
        dec.push(buf.get(..n).unwrap_or_default());
        while let Some(item) = dec.next_item().map_err(decode_err)? {
            match item {
                Item::Record(r) => {
                    writeln!(
                        output,
                        "{}",
                        format::line(format, &r, format::Extra::NONE, opts)
                    )
                    .map_err(StreamError::Write)?;
                    n_records += 1;
                }
                Item::Warning(w) => warn(&w.to_string()),
                Item::Skipped(_) => {}
            }
        }
    }
    dec.finish().map_err(decode_err)?;
    output.flush().map_err(StreamError::Write)?;
    Ok(n_records)
}

fn stats_fields(s: &Stats, abi: Option<(u8, u8)>, opts: &FormatOptions) -> Vec<Field> {
    use Value::{Bool, Str, U64};
    let mut f: Vec<Field> = Vec::new();
    if let Some((major, minor)) = abi {
        f.push(("abi", Str(format!("{major}.{minor}"))));
    }
    for field in &STATS_FIELDS {
        let v = (field.get)(s);
        let name = |n: fn(u8) -> String| u8::try_from(v).map_or_else(|_| format!("unknown-{v}"), n);
        f.push((
            field.key,
            match field.kind {
                StatKind::Count | StatKind::Pages | StatKind::PagesPerS | StatKind::Ns => U64(v),
                StatKind::Level => Str(name(level_name)),
                StatKind::Headroom => Str(name(headroom_name)),
                StatKind::Tte => tte_value(v),
                StatKind::Flag => Bool(v != 0),
            },
        ));
    }
    f.push(("page_size_bytes", U64(opts.page_size)));
    f
}

/// The counters as one JSON object (field names as in `struct oom_guard_stats`, with the unit
/// added where the name lacks it: `pool_target_pages`, `fall_rate_pages_per_s`; plus `abi` when
/// known, `level` and `headroom` as names, `tte_ms` `null` when unknown, `reclaim_active` a
/// boolean, and `page_size_bytes`).
pub fn stats_json(s: &Stats, abi: Option<(u8, u8)>, opts: &FormatOptions) -> String {
    json_object(&stats_fields(s, abi, opts))
}

/// The counters as aligned `name value` lines, page counts, rates and times also in human
/// units.
pub fn stats_text(s: &Stats, abi: Option<(u8, u8)>, opts: &FormatOptions) -> String {
    let mut out = String::new();
    let kinds: Vec<_> = STATS_FIELDS.iter().map(|f| (f.key, f.kind)).collect();
    for (k, v) in stats_fields(s, abi, opts) {
        let kind = kinds
            .iter()
            .find(|(key, _)| *key == k)
            .map(|(_, kind)| *kind);
        let v = match (kind, v) {
            (None, _) if k == "page_size_bytes" => continue,
            (Some(StatKind::Pages), Value::U64(n)) => {
                format!("{n} ({})", human_bytes(n.saturating_mul(opts.page_size)))
            }
            (Some(StatKind::Ns), Value::U64(n)) => format!("{n} ({})", human_ns(n)),
            (Some(StatKind::PagesPerS), Value::U64(n)) => {
                format!("{n} ({})", human_rate(n.saturating_mul(opts.page_size)))
            }
            (Some(StatKind::Tte), Value::U64(n)) => format!("{n} ms"),
            (_, v) => format::value_text(&v),
        };
        let _ = writeln!(out, "{k:<21} {v}");
    }
    out
}

/// The zone snapshot as a JSON object: `level`, `free_pages`, `available_pages`,
/// `page_size_bytes`,
/// `nr_zones`, `zones_truncated` and `zones` (objects as in the event schema).
pub fn zones_json(z: &Zones, opts: &FormatOptions) -> String {
    use Value::{Bool, Str, U64};
    let level = u8::try_from(z.level).map_or_else(|_| format!("unknown-{}", z.level), level_name);
    json_object(&[
        ("level", Str(level)),
        ("free_pages", U64(z.free_pages)),
        ("available_pages", U64(z.available_pages)),
        ("page_size_bytes", U64(opts.page_size)),
        ("nr_zones", U64(u64::from(z.nr_zones))),
        (
            "zones_truncated",
            Bool(z.flags & oom_guard_core::abi::FLAG_ZONES_TRUNCATED != 0),
        ),
        (
            "zones",
            Value::Zones(valid_zones(&z.zones, z.nr_zones).to_vec()),
        ),
    ])
}

/// The zone snapshot as a table, sizes in KiB/MiB/GiB.
pub fn zones_table(z: &Zones, opts: &FormatOptions) -> String {
    let pages = |n: u64| human_bytes(n.saturating_mul(opts.page_size));
    let level = u8::try_from(z.level).map_or_else(|_| format!("unknown-{}", z.level), level_name);
    let mut out = format!(
        "level {level}, free {}, available {}\n",
        pages(z.free_pages),
        pages(z.available_pages)
    );
    let _ = writeln!(
        out,
        "{:>4} {:<8} {:<10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10}",
        "NODE", "ZONE", "STATE", "FREE", "MIN", "LOW", "HIGH", "BOOST", "RESERVE", "MANAGED"
    );
    for zone in valid_zones(&z.zones, z.nr_zones) {
        let _ = writeln!(
            out,
            "{:>4} {:<8} {:<10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10}",
            zone.node,
            name_text(&zone.name),
            zone_state_name(zone.state),
            pages(zone.free),
            pages(zone.min),
            pages(zone.low),
            pages(zone.high),
            pages(zone.boost),
            pages(zone.reserve),
            pages(zone.managed)
        );
    }
    if z.flags & oom_guard_core::abi::FLAG_ZONES_TRUNCATED != 0 {
        out.push_str("(more zones than the module reports)\n");
    }
    out
}

/// The configuration as `key=value` lines (the form `config set` takes), a value by name where
/// its tunable names it (`policy=avert`).
pub fn config_text(c: &Config) -> String {
    config::entries(c)
        .iter()
        .map(|(k, v)| {
            let name = oom_guard_core::params::Spec::by_name(k)
                .and_then(|s| s.names.iter().find(|(_, n)| n == v))
                .map(|(name, _)| *name);
            match name {
                Some(name) => format!("{k}={name}\n"),
                None => format!("{k}={v}\n"),
            }
        })
        .collect()
}

/// The configuration as a JSON object (numbers, keys as in `config_text`).
pub fn config_json(c: &Config) -> String {
    let fields: Vec<Field> = config::entries(c)
        .iter()
        .map(|(k, v)| (*k, Value::U64(u64::from(*v))))
        .collect();
    json_object(&fields)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::tests::{patched, samples, stream};
    use oom_guard_core::abi::{fixed_name, ZoneSnapshot, MAX_ZONES};
    use oom_guard_core::params;

    const OPTS: FormatOptions = FormatOptions { page_size: 4096 };

    #[test]
    fn decode_to_writes_lines_and_warns_once() {
        let mut bytes = stream();
        let pool = samples()[2];
        bytes.extend(patched(5, &pool, 42, 0, 0));
        bytes.extend(patched(6, &pool, 42, 0, 0));
        let mut out = Vec::new();
        let warnings = std::cell::RefCell::new(Vec::new());
        let n = decode_to(
            &mut bytes.as_slice(),
            "capture",
            &mut out,
            Format::Json,
            &OPTS,
            &|w| warnings.borrow_mut().push(w.to_string()),
        );
        assert_eq!(n.unwrap(), 7);
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.lines().count(), 7);
        for l in text.lines() {
            serde_json::from_str::<serde_json::Value>(l).unwrap();
        }
        assert_eq!(warnings.borrow().len(), 1);
    }

    #[test]
    fn decode_to_names_the_input_on_errors() {
        let mut bytes = stream();
        bytes.truncate(bytes.len() - 1);
        let mut out = Vec::new();
        let e = decode_to(
            &mut bytes.as_slice(),
            "cap.bin",
            &mut out,
            Format::Text,
            &OPTS,
            &|_| {},
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "decoding cap.bin");
        assert_eq!(String::from_utf8(out).unwrap().lines().count(), 6);
    }

    fn zones() -> Zones {
        let mut z = [ZoneSnapshot::default(); MAX_ZONES];
        z[0] = ZoneSnapshot {
            node: 0,
            zone_idx: 1,
            state: 2,
            name: fixed_name(b"DMA32"),
            free: 2600,
            min: 2048,
            low: 2560,
            high: 3072,
            boost: 0,
            reserve: 0,
            managed: 262_144,
            reserved: 0,
        };
        Zones {
            nr_zones: 1,
            flags: 0,
            free_pages: 2600,
            available_pages: 5000,
            level: 1,
            zones: z,
        }
    }

    #[test]
    fn zones_table_and_json() {
        let t = zones_table(&zones(), &OPTS);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines[0], "level low, free 10.1 MiB, available 19.5 MiB");
        assert!(lines[1].starts_with("NODE ZONE     STATE"));
        assert_eq!(
            lines[2],
            "   0 DMA32    below-low    10.1 MiB    8.0 MiB   10.0 MiB   12.0 MiB      0 KiB      \
             0 KiB    1.0 GiB"
        );
        assert_eq!(lines.len(), 3);
        let v: serde_json::Value = serde_json::from_str(&zones_json(&zones(), &OPTS)).unwrap();
        assert_eq!(v["level"], "low");
        assert_eq!(v["zones"][0]["name"], "DMA32");
        assert_eq!(v["zones"].as_array().unwrap().len(), 1);
    }

    fn stats() -> Stats {
        Stats {
            oom_calls: 3,
            averts: 2,
            pool_pages: 3840,
            callback_max_ns: 15_200,
            level: 2,
            headroom: 100,
            headroom_changes: 4,
            fall_rate: 2560,
            tte_ms: 1500,
            reclaim_episodes: 2,
            reclaim_kswapd_calls: 40,
            reclaim_direct_calls: 3,
            reclaim_active: 1,
            ..Stats::default()
        }
    }

    #[test]
    fn stats_text_and_json() {
        let s = stats();
        let t = stats_text(&s, Some((2, 0)), &OPTS);
        assert!(
            t.starts_with(
                "abi                   2.0\nlevel                 min\noom_calls             3\n"
            ),
            "{t}"
        );
        assert!(t.contains("pool_pages            3840 (15.0 MiB)\n"), "{t}");
        assert!(t.contains("pool_target_pages     0 (0 KiB)\n"), "{t}");
        assert!(t.contains("callback_max_ns       15200 (15.2 us)\n"), "{t}");
        assert!(
            t.contains(
                "samples               0\nheadroom              medium\nheadroom_changes      4\n\
                 fall_rate_pages_per_s 2560 (10.0 MiB/s)\ntte_ms                1500 ms\n\
                 reclaim_episodes      2\nreclaim_kswapd_calls  40\nreclaim_direct_calls  3\n\
                 reclaim_active        true\nmonitor_ns            0 (0 ns)\n"
            ),
            "{t}"
        );
        assert!(t.ends_with("probe_avg_ns          0 (0 ns)\n"), "{t}");
        let v: serde_json::Value = serde_json::from_str(&stats_json(&s, None, &OPTS)).unwrap();
        assert_eq!(v["averts"], 2);
        assert_eq!(v["level"], "min");
        assert_eq!(v["headroom"], "medium");
        assert_eq!(v["fall_rate_pages_per_s"], 2560);
        assert_eq!(v["tte_ms"], 1500);
        assert_eq!(v["reclaim_active"], true);
        assert!(v.get("abi").is_none());
        assert_eq!(v.as_object().unwrap().len(), 32);
        assert_eq!(v["peek_ns"], 0);
        let v: serde_json::Value =
            serde_json::from_str(&stats_json(&s, Some((2, 0)), &OPTS)).unwrap();
        assert_eq!(v["abi"], "2.0");
        assert_eq!(v.as_object().unwrap().len(), 33);
        // Not falling: the time to exhaustion is unknown.
        let s = Stats {
            fall_rate: 0,
            tte_ms: oom_guard_core::abi::TTE_UNKNOWN,
            ..stats()
        };
        assert!(stats_text(&s, None, &OPTS).contains("tte_ms                unknown\n"));
        let v: serde_json::Value = serde_json::from_str(&stats_json(&s, None, &OPTS)).unwrap();
        assert!(v["tte_ms"].is_null());
    }

    #[test]
    fn config_text_round_trips_through_set() {
        let c = params::default_config();
        let t = config_text(&c);
        assert!(t.starts_with("policy=avert\nrelease_chunk=256\n"), "{t}");
        assert!(
            t.ends_with(
                "sample_fast_ms=10\nheadroom_unit=percent\nheadroom_low=20\nheadroom_medium=10\n\
                 headroom_critical=5\nheadroom_hysteresis=2\nsample_min_ms=1\n\
                 reclaim_quiet_ms=500\n"
            ),
            "{t}"
        );
        let settings: Vec<_> = t
            .lines()
            .map(|l| config::parse_setting(l).unwrap())
            .collect();
        assert_eq!(config::apply(&Config::default(), &settings).unwrap(), c);
        let v: serde_json::Value = serde_json::from_str(&config_json(&c)).unwrap();
        assert_eq!(v["budget_window_ms"], 60_000);
        assert_eq!(v["reclaim_quiet_ms"], 500);
        assert_eq!(v.as_object().unwrap().len(), 14);
    }
}
