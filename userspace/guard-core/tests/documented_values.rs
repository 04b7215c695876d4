//! The numbers written in docs/ABI.md: if this fails, the document (or the ABI) is wrong.
use oom_guard_core::abi::*;
use oom_guard_core::params;

#[test]
fn documented_ioctl_numbers() {
    // The values written in docs/ABI.md.
    assert_eq!(IOCTL_GET_VERSION, 0x8004_B700);
    assert_eq!(IOCTL_GET_STATS, 0x80F8_B701);
    assert_eq!(IOCTL_GET_ZONES, 0x8260_B702);
    assert_eq!(IOCTL_GET_CONFIG, 0x8040_B703);
    assert_eq!(IOCTL_SET_CONFIG, 0x4040_B704);
    assert_eq!((ABI_MAJOR, ABI_MINOR), (2, 1));
    assert_eq!(std::mem::size_of::<Zones>(), 608);
    assert_eq!(std::mem::size_of::<Stats>(), 248);
    assert_eq!(std::mem::size_of::<Config>(), 64);
    assert_eq!(RecordType::Pressure.record_size(), 656);
    assert_eq!(RecordType::Oom.record_size(), 704);
    assert_eq!(RecordType::Oom.min_record_size(), 688);
    assert_eq!(RecordType::Pool.record_size(), 64);
    assert_eq!(RecordType::Kill.record_size(), 136);
    assert_eq!(RecordType::Lost.record_size(), 48);
    assert_eq!(RecordType::Headroom.record_size(), 112);
    assert_eq!(RecordType::Reclaim.record_size(), 80);
    assert_eq!(MAX_RECORD_SIZE, 704);
    assert_eq!(TTE_UNKNOWN, u64::MAX);
}

/// A file of the repository, as text.
fn repo_file(path: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The Markdown table rows of `doc` whose cell `col` (from 0) is a code span: `(name, cells)`,
/// where `cells[col + 1]` is that cell (`cells[0]` is the empty text before the first `|`).
fn table_rows(doc: &str, col: usize) -> Vec<(String, Vec<String>)> {
    doc.lines()
        .filter(|l| l.starts_with('|'))
        .filter_map(|l| {
            let cells: Vec<String> = l.split('|').map(|c| c.trim().to_string()).collect();
            let name = cells.get(col + 1)?.strip_prefix('`')?.strip_suffix('`')?;
            Some((name.to_string(), cells))
        })
        .collect()
}

/// The words of a configuration, in struct order (all of them: the size is checked).
fn config_words(c: &Config) -> [u32; 16] {
    assert_eq!(std::mem::size_of::<Config>(), 16 * 4);
    [
        c.policy,
        c.release_chunk,
        c.avert_budget,
        c.budget_window_ms,
        c.refill_delay_ms,
        c.sample_slow_ms,
        c.sample_fast_ms,
        c.reserved,
        c.headroom_unit,
        c.headroom_low,
        c.headroom_medium,
        c.headroom_critical,
        c.headroom_hysteresis,
        c.sample_min_ms,
        c.reclaim_quiet_ms,
        c.reserved2,
    ]
}

/// The byte offset of a tunable's field in `struct oom_guard_config`: the one word its setter
/// writes.
fn config_offset(spec: &params::Spec) -> usize {
    let field = spec.field.expect("a tunable of the configuration");
    let mut c = Config::default();
    (field.set)(&mut c, 1);
    let words = config_words(&c);
    assert_eq!(
        words.iter().filter(|w| **w != 0).count(),
        1,
        "{}",
        spec.name
    );
    4 * words.iter().position(|w| *w != 0).expect("one word set")
}

/// A range as the docs write it: `MIN–MAX`, the largest headroom value also as `2³¹`.
fn range_texts(spec: &params::Spec) -> [String; 2] {
    let max = if spec.max == 1 << 31 {
        "2³¹".to_string()
    } else {
        spec.max.to_string()
    };
    [
        format!("{}–{}", spec.min, spec.max),
        format!("{}–{max}", spec.min),
    ]
}

#[test]
fn docs_abi_md_lists_the_configuration_as_the_table() {
    // docs/ABI.md's configuration table: `| offset | `name` | range | default | meaning |`, the
    // tunables of the runtime configuration in struct order, reserved words as plain text.
    let doc = repo_file("docs/ABI.md");
    let start = doc
        .find("| offset | field | range | default | meaning |")
        .unwrap();
    let section = &doc[start..doc[start..].find("\n\n").map_or(doc.len(), |e| start + e)];
    let rows = table_rows(section, 1);
    let tunables: Vec<_> = params::config_tunables().map(|(s, _)| s).collect();
    assert_eq!(
        rows.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        tunables.iter().map(|s| s.name).collect::<Vec<_>>(),
        "docs/ABI.md's configuration rows"
    );
    for ((_, cells), spec) in rows.iter().zip(tunables) {
        assert_eq!(
            cells[1],
            config_offset(spec).to_string(),
            "{}: offset",
            spec.name
        );
        assert!(
            range_texts(spec)
                .iter()
                .any(|r| cells[3].starts_with(r.as_str())),
            "{}: range {:?}",
            spec.name,
            cells[3]
        );
        assert_eq!(cells[4], spec.default.to_string(), "{}: default", spec.name);
    }
}

#[test]
fn readme_lists_every_module_parameter_as_the_table() {
    let doc = repo_file("README.md");
    let rows = table_rows(&doc, 0);
    for spec in params::TUNABLES {
        let (_, cells) = rows
            .iter()
            .find(|(n, c)| n == spec.name && c.len() > 4 && c[2].contains('–'))
            .unwrap_or_else(|| panic!("README.md: no parameter row for {}", spec.name));
        assert!(
            range_texts(&spec)
                .iter()
                .any(|r| cells[2].starts_with(r.as_str())),
            "README.md {}: range {:?}",
            spec.name,
            cells[2]
        );
        assert_eq!(
            cells[3],
            spec.default.to_string(),
            "README.md {}: default",
            spec.name
        );
    }
}

#[test]
fn c_header_comments_the_configuration_as_the_table() {
    // `struct oom_guard_config` in include/oom_guard.h: one `uint32_t name; /* ... */` per word,
    // in struct order; each tunable's comment states its range (or its named values) and
    // default.
    let h = repo_file("include/oom_guard.h");
    let start = h.find("struct oom_guard_config {").unwrap();
    let body = &h[start..start + h[start..].find("};").unwrap()];
    let fields: Vec<(&str, &str)> = body
        .lines()
        .filter_map(|l| {
            let rest = l.trim().strip_prefix("uint32_t ")?;
            let (name, comment) = rest.split_once(';')?;
            Some((name.trim(), comment))
        })
        .filter(|(n, _)| !n.starts_with("reserved"))
        .collect();
    let tunables: Vec<_> = params::config_tunables().map(|(s, _)| s).collect();
    assert_eq!(
        fields.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
        tunables.iter().map(|s| s.name).collect::<Vec<_>>()
    );
    for ((_, comment), spec) in fields.iter().zip(tunables) {
        if spec.names.is_empty() {
            let max = if spec.max == 1 << 31 {
                "2^31".to_string()
            } else {
                spec.max.to_string()
            };
            let range = format!("{}..{max}", spec.min);
            assert!(
                comment.contains(&range),
                "{}: {comment} lacks {range}",
                spec.name
            );
            let default = format!("default {}", spec.default);
            assert!(
                comment.contains(&default),
                "{}: {comment} lacks {default}",
                spec.name
            );
        } else {
            // Named values: the comment names the default.
            let (name, _) = spec
                .names
                .iter()
                .find(|(_, v)| u64::from(*v) == spec.default)
                .unwrap();
            assert!(
                comment.to_lowercase().contains(&name.to_lowercase())
                    && comment.contains("default"),
                "{}: {comment} does not name the default {name}",
                spec.name
            );
        }
    }
}

#[test]
fn docs_abi_md_lists_the_kill_record_as_the_struct() {
    // docs/ABI.md's KILL table: `| offset | `type` | `field` | meaning |`, every field of
    // `Kill` at its offset, reserved bytes as plain text; then the flags with their bits.
    let doc = repo_file("docs/ABI.md");
    let start = doc.find("`KILL` (104 bytes)").unwrap();
    let table = &doc[start..];
    let table = &table[table.find("| offset |").unwrap()..];
    let table = &table[..table.find("\n\n").unwrap()];
    let rows = table_rows(table, 2);
    let want = [
        ("kills", std::mem::offset_of!(Kill, kills)),
        ("victim_pid", std::mem::offset_of!(Kill, victim_pid)),
        ("victim_tgid", std::mem::offset_of!(Kill, victim_tgid)),
        ("victim_uid", std::mem::offset_of!(Kill, victim_uid)),
        ("oom_score_adj", std::mem::offset_of!(Kill, oom_score_adj)),
        ("flags", std::mem::offset_of!(Kill, flags)),
        ("victim_comm", std::mem::offset_of!(Kill, victim_comm)),
        ("victim_rss_kib", std::mem::offset_of!(Kill, victim_rss_kib)),
        ("anon_kib", std::mem::offset_of!(Kill, anon_kib)),
        ("file_kib", std::mem::offset_of!(Kill, file_kib)),
        ("shmem_kib", std::mem::offset_of!(Kill, shmem_kib)),
        ("pgtables_kib", std::mem::offset_of!(Kill, pgtables_kib)),
        ("cgroup_id", std::mem::offset_of!(Kill, cgroup_id)),
        ("select_ns", std::mem::offset_of!(Kill, select_ns)),
        (
            "notifier_action",
            std::mem::offset_of!(Kill, notifier_action),
        ),
    ];
    assert_eq!(
        rows.iter()
            .map(|(n, c)| (n.as_str(), c[1].clone()))
            .collect::<Vec<_>>(),
        want.iter()
            .map(|(n, off)| (*n, off.to_string()))
            .collect::<Vec<_>>(),
        "docs/ABI.md's KILL rows"
    );
    assert!(table.contains(&format!(
        "| {} | `u8[7]` | reserved | 0 |",
        std::mem::offset_of!(Kill, reserved)
    )));
    for (name, bit) in [
        ("KILL_VICTIM", KILL_VICTIM),
        ("KILL_GLOBAL", KILL_GLOBAL),
        ("KILL_MEMCG", KILL_MEMCG),
        ("KILL_EXITING", KILL_EXITING),
        ("KILL_GROUP", KILL_GROUP),
    ] {
        let row = format!("| `{name}` | {} ({bit}) |", bit.trailing_zeros());
        assert!(doc.contains(&row), "docs/ABI.md lacks {row:?}");
    }
}

#[test]
fn docs_abi_md_states_these_numbers() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/ABI.md");
    let doc = std::fs::read_to_string(&path).unwrap();
    for (name, v) in [
        ("OOM_GUARD_GET_VERSION", IOCTL_GET_VERSION),
        ("OOM_GUARD_GET_STATS", IOCTL_GET_STATS),
        ("OOM_GUARD_GET_ZONES", IOCTL_GET_ZONES),
        ("OOM_GUARD_GET_CONFIG", IOCTL_GET_CONFIG),
        ("OOM_GUARD_SET_CONFIG", IOCTL_SET_CONFIG),
    ] {
        let row = format!("| `{name}` | `0x{v:08X}` ");
        assert!(doc.contains(&row), "{} lacks {row:?}", path.display());
    }
    assert!(doc.starts_with(&format!(
        "# `/dev/oom_guard` ABI, version {ABI_MAJOR}.{ABI_MINOR}\n"
    )));
    // What the header of every record carries, and what GET_VERSION returns.
    for row in [
        format!("| 6 | `u8` | `abi_major` | {ABI_MAJOR} |"),
        format!("| 7 | `u8` | `abi_minor` | {ABI_MINOR} |"),
        format!(
            "(`{:#06x}`)",
            u16::from(ABI_MAJOR) << 8 | u16::from(ABI_MINOR)
        ),
    ] {
        assert!(doc.contains(&row), "{} lacks {row:?}", path.display());
    }
    for (name, t) in [
        ("PRESSURE", RecordType::Pressure),
        ("OOM", RecordType::Oom),
        ("POOL", RecordType::Pool),
        ("KILL", RecordType::Kill),
        ("LOST", RecordType::Lost),
        ("HEADROOM", RecordType::Headroom),
        ("RECLAIM", RecordType::Reclaim),
    ] {
        let row = format!("| {} | `{name}` | {} ", t as u16, t.record_size());
        assert!(doc.contains(&row), "{} lacks {row:?}", path.display());
    }
}
