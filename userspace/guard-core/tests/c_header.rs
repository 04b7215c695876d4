//! `include/oom_guard.h` against the Rust ABI: a C client (`tests/c_client.c`) compiled with the
//! system C compiler decodes a record stream written by `abi::encode`, and its output must match
//! what `abi::decode` makes of the same bytes, line by line. The ioctl numbers and constants of
//! the header are checked against `common/abi/` the same way.
//!
//! A missing C compiler fails these tests: the header would otherwise go unchecked.

use oom_guard_core::abi::*;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

/// A temporary directory, removed when dropped (also when a test fails).
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let path = std::env::temp_dir().join(format!(
            "oom-guard-c-header-{tag}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir(&path).unwrap_or_else(|e| panic!("creating {}: {e}", path.display()));
        Self(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Compiles `tests/c_client.c` against `include/oom_guard.h` into `dir`; returns the program.
fn compile_client(dir: &Path) -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let include = manifest.join("../../include");
    let source = manifest.join("tests/c_client.c");
    assert!(
        include.join("oom_guard.h").is_file(),
        "{} is missing",
        include.join("oom_guard.h").display()
    );
    let exe = dir.join("c_client");
    let cc = std::env::var_os("CC").unwrap_or_else(|| "cc".into());
    let output = Command::new(&cc)
        .args(["-std=c99", "-Wall", "-Wextra", "-Werror", "-I"])
        .arg(&include)
        .arg("-o")
        .arg(&exe)
        .arg(&source)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run the C compiler {:?} ({e}): these tests need a C compiler to check \
                 include/oom_guard.h; install one (e.g. `apt-get install gcc`) or set CC",
                cc
            )
        });
    assert!(
        output.status.success(),
        "compiling {} against include/oom_guard.h failed ({}):\n{}{}",
        source.display(),
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    exe
}

/// Runs the C client with one argument; returns its stdout lines.
fn run_client(exe: &Path, arg: &Path) -> Vec<String> {
    let output = Command::new(exe)
        .arg(arg)
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", exe.display()));
    assert!(
        output.status.success(),
        "{} {} failed ({}):\n{}",
        exe.display(),
        arg.display(),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .expect("the C client prints UTF-8")
        .lines()
        .map(str::to_owned)
        .collect()
}

fn zone(i: u8) -> ZoneSnapshot {
    let base = 0x0100_0000_0000_0000 * u64::from(i + 1);
    ZoneSnapshot {
        node: 0x0102 + u16::from(i),
        zone_idx: 3 + i,
        state: i % 4,
        reserved: 0,
        name: fixed_name(match i % 3 {
            0 => b"DMA32".as_slice(),
            1 => b"Normal".as_slice(),
            _ => b"Movable8".as_slice(), // fills the field: no NUL
        }),
        free: base + 1,
        min: base + 2,
        low: base + 3,
        high: base + 4,
        boost: base + 5,
        reserve: base + 6,
        managed: base + 7,
    }
}

/// One record of every type with distinctive values (a `KILL` with a victim and a count-only
/// one), plus a record of an unknown type, which a client must skip by `size`, and one from a
/// newer minor version with an appended field, which it must ignore.
fn fixture() -> Vec<u8> {
    let mut all = [ZoneSnapshot::default(); MAX_ZONES];
    for (i, z) in (0u8..).zip(all.iter_mut()) {
        *z = zone(i);
    }
    let mut three = [ZoneSnapshot::default(); MAX_ZONES];
    three[..3].copy_from_slice(&all[..3]);
    let records = [
        (
            FLAG_ZONES_TRUNCATED,
            Payload::Pressure(Pressure {
                source: 1,
                old_level: Level::Low as u8,
                new_level: Level::Min as u8,
                reserved: 0,
                nr_zones: MAX_ZONES as u32,
                free_pages: 0x1122_3344_5566_7788,
                available_pages: 0x8877_6655_4433_2211,
                zones: all,
                headroom: HeadroomLevel::Medium as u8,
                reserved2: [0; 7],
                fall_rate: 0x0F0E_0D0C_0B0A_0908,
                tte_ms: 0x1020_3040_5060_7080,
            }),
        ),
        (
            0,
            Payload::Oom(Oom {
                action: OomAction::BudgetSpent as u8,
                level: Level::Min as u8,
                calls: 1,
                pid: 0xDEAD_BEEF,
                comm: fixed_name(b"memhog"),
                free_pages: 0xA1,
                available_pages: 0xA2_0000_0000,
                pool_before: 0xA3_0000_0000_0000,
                pool_after: 0xA4,
                freed_reported: 0xA5_0000,
                callback_ns: u64::MAX,
                averts_left: 0xCAFE_F00D,
                nr_zones: 3,
                zones: three,
                free_ns: 0xC1_0000_0000_0002,
                blocks_freed: 0xC2_0003,
                span_us: 0xC3_0004,
            }),
        ),
        (
            0,
            Payload::Pool(Pool {
                op: PoolOp::RefillFailed as u8,
                reserved: [0; 7],
                pages: 0xB1_0000_0000_0001,
                pool_pages: 0xB2_0000_0002,
                target_pages: 0xB3_0003,
            }),
        ),
        (
            0,
            Payload::Kill(Kill {
                kills: 0xC1_0000_0000_0001,
                victim_pid: 0xFFFF_FFFE,
                victim_tgid: 0xFFFF_FFFD,
                victim_uid: 0xC0DE_0001,
                oom_score_adj: -1000,
                flags: KILL_VICTIM | KILL_MEMCG | KILL_EXITING | KILL_GROUP,
                victim_comm: fixed_name(b"a-very-long-process-name"),
                victim_rss_kib: 0xC2_0000_0000_0002,
                anon_kib: 0xC3_0000_0000_0003,
                file_kib: 0xC4_0000_0000_0004,
                shmem_kib: 0xC5_0000_0000_0005,
                pgtables_kib: 0xC6_0000_0000_0006,
                cgroup_id: 0xC7_0000_0000_0007,
                select_ns: 0xC8_0000_0000_0008,
                notifier_action: 0xC9,
                reserved: [0; 7],
            }),
        ),
        (
            0,
            Payload::Kill(Kill {
                kills: 3,
                ..Kill::default()
            }),
        ),
        (
            0,
            Payload::Lost(Lost {
                count: 0xD1_0000_0000_0001,
                first_seq: 0xD2_0000_0000_0002,
            }),
        ),
        (
            0,
            Payload::Headroom(Headroom {
                old_level: HeadroomLevel::Low as u8,
                new_level: HeadroomLevel::Critical as u8,
                wm_level: Level::Low as u8,
                wm_state: ZoneState::BelowLow as u8,
                reserved: 0,
                free_pages: 0xE1_0000_0000_0001,
                available_pages: 0xE2_0000_0000_0002,
                total_pages: 0xE3_0000_0000_0003,
                low_pages: 0xE4_0000_0000_0004,
                medium_pages: 0xE5_0000_0000_0005,
                critical_pages: 0xE6_0000_0000_0006,
                floor_pages: 0xE7_0000_0000_0007,
                fall_rate: 0xE8_0000_0000_0008,
                tte_ms: 0xE9_0000_0000_0009,
            }),
        ),
        (
            0,
            Payload::Headroom(Headroom {
                old_level: HeadroomLevel::Medium as u8,
                new_level: HeadroomLevel::Plenty as u8,
                total_pages: 65536,
                tte_ms: TTE_UNKNOWN,
                ..Headroom::default()
            }),
        ),
        (
            0,
            Payload::Reclaim(Reclaim {
                phase: ReclaimPhase::Direct as u8,
                who: RECLAIM_KSWAPD | RECLAIM_DIRECT,
                wm_level: Level::Min as u8,
                headroom: HeadroomLevel::Critical as u8,
                reserved: 0,
                kswapd_calls: 0xF1_0000_0000_0001,
                direct_calls: 0xF2_0000_0000_0002,
                duration_ms: 0xF3_0000_0000_0003,
                free_pages: 0xF4_0000_0000_0004,
                available_pages: 0xF5_0000_0000_0005,
            }),
        ),
        (
            0,
            Payload::Reclaim(Reclaim {
                phase: ReclaimPhase::Onset as u8,
                who: RECLAIM_KSWAPD,
                ..Reclaim::default()
            }),
        ),
    ];
    let mut out = Vec::new();
    let mut buf = [0u8; MAX_RECORD_SIZE + 64];
    for (seq, (flags, payload)) in (0u64..).zip(records.iter()) {
        let n = encode(
            0xF000_0000_0000_0000 + seq,
            0x0EEE_0000_0000_0000 + seq * 1_000_000_007,
            *flags,
            payload,
            &mut buf,
        )
        .expect("encode");
        out.extend_from_slice(&buf[..n]);
    }

    // A record type this ABI does not know: a LOST record relabelled as type 99.
    let n = encode(
        0xF000_0000_0000_0010,
        77,
        0,
        &Payload::Lost(Lost::default()),
        &mut buf,
    )
    .expect("encode");
    buf[4..6].copy_from_slice(&99u16.to_ne_bytes());
    out.extend_from_slice(&buf[..n]);

    // A POOL record from a newer minor version with an 8-byte field appended.
    let n = encode(
        0xF000_0000_0000_0011,
        78,
        0,
        &Payload::Pool(Pool {
            op: PoolOp::Release as u8,
            reserved: [0; 7],
            pages: 256,
            pool_pages: 3840,
            target_pages: 4096,
        }),
        &mut buf,
    )
    .expect("encode");
    let size = u32::try_from(n + 8).expect("small");
    buf[0..4].copy_from_slice(&size.to_ne_bytes());
    buf[7] = ABI_MINOR + 1;
    buf[n..n + 8].copy_from_slice(&[0xAB; 8]);
    out.extend_from_slice(&buf[..n + 8]);

    // An OOM record of a 2.0 module: 688 bytes, without `free_ns`, `blocks_freed` and `span_us`.
    let n = encode(
        0xF000_0000_0000_0012,
        79,
        0,
        &Payload::Oom(Oom {
            action: OomAction::Avert as u8,
            calls: 1,
            pid: 42,
            callback_ns: 31_000,
            ..Oom::default()
        }),
        &mut buf,
    )
    .expect("encode");
    assert_eq!(n, 704);
    let size = HEADER_SIZE + OOM_SIZE_2_0;
    buf[0..4].copy_from_slice(&u32::try_from(size).expect("small").to_ne_bytes());
    buf[7] = 0;
    out.extend_from_slice(&buf[..size]);
    out
}

fn name(field: &[u8]) -> String {
    String::from_utf8_lossy(name_bytes(field)).into_owned()
}

fn push_zones(line: &mut String, zones: &[ZoneSnapshot; MAX_ZONES], nr_zones: u32) {
    let nr = usize::try_from(nr_zones).map_or(MAX_ZONES, |n| n.min(MAX_ZONES));
    for (i, z) in zones.iter().take(nr).enumerate() {
        let _ = write!(
            line,
            " zone{i}={}:{}:{}:{}:{}:{}:{}:{}:{}:{}:{}",
            z.node,
            z.zone_idx,
            z.state,
            name(&z.name),
            z.free,
            z.min,
            z.low,
            z.high,
            z.boost,
            z.reserve,
            z.managed
        );
    }
}

/// The lines the C client must print for `stream`, computed with `abi::decode`.
fn expected_lines(stream: &[u8]) -> Vec<String> {
    let mut lines = Vec::new();
    let mut off = 0;
    while off < stream.len() {
        let (h, payload) = decode(&stream[off..]).expect("the fixture decodes");
        let mut line = format!(
            "seq={} time_ns={} type={} size={} abi={}.{} flags={}",
            h.seq, h.time_ns, h.rtype, h.size, h.abi_major, h.abi_minor, h.flags
        );
        match payload {
            Some(Payload::Pressure(p)) => {
                let _ = write!(
                    line,
                    " source={} old_level={} new_level={} nr_zones={} free_pages={} \
                     available_pages={}",
                    p.source, p.old_level, p.new_level, p.nr_zones, p.free_pages, p.available_pages
                );
                push_zones(&mut line, &p.zones, p.nr_zones);
                let _ = write!(
                    line,
                    " headroom={} fall_rate={} tte_ms={}",
                    p.headroom, p.fall_rate, p.tte_ms
                );
            }
            Some(Payload::Oom(o)) => {
                let _ = write!(
                    line,
                    " action={} level={} pid={} comm={} free_pages={} available_pages={} \
                     pool_before={} pool_after={} freed_reported={} callback_ns={} \
                     averts_left={} nr_zones={}",
                    o.action,
                    o.level,
                    o.pid,
                    name(&o.comm),
                    o.free_pages,
                    o.available_pages,
                    o.pool_before,
                    o.pool_after,
                    o.freed_reported,
                    o.callback_ns,
                    o.averts_left,
                    o.nr_zones
                );
                push_zones(&mut line, &o.zones, o.nr_zones);
                let _ = write!(
                    line,
                    " free_ns={} blocks_freed={} span_us={}",
                    o.free_ns, o.blocks_freed, o.span_us
                );
            }
            Some(Payload::Pool(p)) => {
                let _ = write!(
                    line,
                    " op={} pages={} pool_pages={} target_pages={}",
                    p.op, p.pages, p.pool_pages, p.target_pages
                );
            }
            Some(Payload::Kill(k)) => {
                let _ = write!(
                    line,
                    " kills={} victim_pid={} victim_tgid={} victim_uid={} oom_score_adj={} \
                     flags={} victim_comm={}",
                    k.kills,
                    k.victim_pid,
                    k.victim_tgid,
                    k.victim_uid,
                    k.oom_score_adj,
                    k.flags,
                    name(&k.victim_comm)
                );
                for (key, v) in [
                    ("victim_rss_kib", k.victim_rss_kib),
                    ("anon_kib", k.anon_kib),
                    ("file_kib", k.file_kib),
                    ("shmem_kib", k.shmem_kib),
                    ("pgtables_kib", k.pgtables_kib),
                    ("cgroup_id", k.cgroup_id),
                    ("select_ns", k.select_ns),
                    ("notifier_action", u64::from(k.notifier_action)),
                ] {
                    let _ = write!(line, " {key}={v}");
                }
                if k.flags & KILL_VICTIM == 0 {
                    line.push_str(" count-only");
                } else {
                    let kind = if k.flags & KILL_GLOBAL != 0 {
                        "global"
                    } else if k.flags & KILL_MEMCG != 0 {
                        "memcg"
                    } else {
                        "unknown"
                    };
                    let _ = write!(
                        line,
                        " {kind}{}{}",
                        if k.flags & KILL_EXITING != 0 {
                            ":exiting"
                        } else {
                            ":killed"
                        },
                        if k.flags & KILL_GROUP != 0 {
                            ":group"
                        } else {
                            ""
                        }
                    );
                }
            }
            Some(Payload::Lost(l)) => {
                let _ = write!(line, " count={} first_seq={}", l.count, l.first_seq);
            }
            Some(Payload::Headroom(r)) => {
                let _ = write!(
                    line,
                    " old_level={} new_level={} wm_level={} wm_state={} free_pages={} \
                     available_pages={} total_pages={} low_pages={} medium_pages={} \
                     critical_pages={} floor_pages={} fall_rate={} tte_ms={}",
                    r.old_level,
                    r.new_level,
                    r.wm_level,
                    r.wm_state,
                    r.free_pages,
                    r.available_pages,
                    r.total_pages,
                    r.low_pages,
                    r.medium_pages,
                    r.critical_pages,
                    r.floor_pages,
                    r.fall_rate,
                    r.tte_ms
                );
                if r.tte_ms == TTE_UNKNOWN {
                    line.push_str(" tte=unknown");
                }
            }
            Some(Payload::Reclaim(r)) => {
                let mut who = r.who.to_string();
                if r.who & RECLAIM_KSWAPD != 0 {
                    who.push_str(":kswapd");
                }
                if r.who & RECLAIM_DIRECT != 0 {
                    who.push_str(":direct");
                }
                let _ = write!(
                    line,
                    " phase={} who={who} wm_level={} headroom={} kswapd_calls={} \
                     direct_calls={} duration_ms={} free_pages={} available_pages={}",
                    r.phase,
                    r.wm_level,
                    r.headroom,
                    r.kswapd_calls,
                    r.direct_calls,
                    r.duration_ms,
                    r.free_pages,
                    r.available_pages
                );
            }
            None => line.push_str(" unknown"),
        }
        lines.push(line);
        off += h.size as usize;
    }
    lines
}

fn assert_same_lines(got: &[String], want: &[String]) {
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert_eq!(g, w, "line {} differs (left: C client, right: Rust)", i + 1);
    }
    assert_eq!(
        got.len(),
        want.len(),
        "the C client printed {} lines, Rust expects {}:\nC:\n{}\nRust:\n{}",
        got.len(),
        want.len(),
        got.join("\n"),
        want.join("\n")
    );
}

#[test]
fn c_client_decodes_records_like_the_rust_abi() {
    let dir = TempDir::new("records");
    let exe = compile_client(&dir.0);
    let stream = fixture();
    let path = dir.0.join("fixture.bin");
    std::fs::write(&path, &stream).expect("writing the fixture");

    let want = expected_lines(&stream);
    // Every record type, both kinds of KILL, the unknown type and the newer minor version are
    // all in the fixture.
    assert_eq!(want.len(), 13);
    for t in 1..=7 {
        assert!(want.iter().any(|l| l.contains(&format!(" type={t} "))));
    }
    assert!(want.iter().any(|l| l.ends_with(" unknown")));
    let newer = format!(" size=72 abi={ABI_MAJOR}.{} ", ABI_MINOR + 1);
    assert!(want
        .iter()
        .any(|l| l.contains(&newer) && l.contains(" type=3 ")));
    assert!(want
        .iter()
        .any(|l| l.contains(" oom_score_adj=-1000 ") && l.ends_with(" memcg:exiting:group")));
    assert!(want.iter().any(|l| l.ends_with(" count-only")));
    assert!(want.iter().any(|l| l.ends_with(" tte=unknown")));
    assert!(want.iter().any(|l| l.contains(" who=3:kswapd:direct ")));
    assert!(want.iter().any(|l| l.contains(" size=688 abi=2.0 ")
        && l.contains(" callback_ns=31000 ")
        && l.ends_with(" free_ns=0 blocks_freed=0 span_us=0")));
    assert!(want
        .iter()
        .any(|l| l.ends_with(" blocks_freed=12713987 span_us=12779524")));

    assert_same_lines(&run_client(&exe, &path), &want);
}

#[test]
fn c_header_ioctls_and_constants_match_the_rust_abi() {
    let dir = TempDir::new("ioctls");
    let exe = compile_client(&dir.0);
    let want: Vec<String> = [
        format!("OOM_GUARD_GET_VERSION={IOCTL_GET_VERSION:#010x}"),
        format!("OOM_GUARD_GET_STATS={IOCTL_GET_STATS:#010x}"),
        format!("OOM_GUARD_GET_ZONES={IOCTL_GET_ZONES:#010x}"),
        format!("OOM_GUARD_GET_CONFIG={IOCTL_GET_CONFIG:#010x}"),
        format!("OOM_GUARD_SET_CONFIG={IOCTL_SET_CONFIG:#010x}"),
        format!(
            "OOM_GUARD_ABI_VERSION={:#06x}",
            u16::from(ABI_MAJOR) << 8 | u16::from(ABI_MINOR)
        ),
        format!("OOM_GUARD_MAX_RECORD={MAX_RECORD_SIZE}"),
        format!("OOM_GUARD_MAX_ZONES={MAX_ZONES}"),
        format!("OOM_GUARD_FLAG_ZONES_TRUNCATED={FLAG_ZONES_TRUNCATED}"),
        format!("OOM_GUARD_POLICY_OBSERVE={POLICY_OBSERVE}"),
        format!("OOM_GUARD_POLICY_AVERT={POLICY_AVERT}"),
        format!("OOM_GUARD_TTE_UNKNOWN={TTE_UNKNOWN}"),
        format!(
            "OOM_GUARD_HEADROOM={},{},{},{}",
            HeadroomLevel::Plenty as u8,
            HeadroomLevel::Low as u8,
            HeadroomLevel::Medium as u8,
            HeadroomLevel::Critical as u8
        ),
        format!(
            "OOM_GUARD_RECLAIM_PHASE={},{},{}",
            ReclaimPhase::Onset as u8,
            ReclaimPhase::Direct as u8,
            ReclaimPhase::End as u8
        ),
        format!("OOM_GUARD_RECLAIM_WHO={RECLAIM_KSWAPD},{RECLAIM_DIRECT}"),
        format!("OOM_GUARD_HEADROOM_UNIT={HEADROOM_PERCENT},{HEADROOM_KIB}"),
        format!(
            "OOM_GUARD_RECORD={},{}",
            RecordType::Headroom as u16,
            RecordType::Reclaim as u16
        ),
        format!(
            "OOM_GUARD_KILL={KILL_VICTIM},{KILL_GLOBAL},{KILL_MEMCG},{KILL_EXITING},{KILL_GROUP}"
        ),
        format!(
            "record_sizes={},{},{},{},{},{},{}",
            RecordType::Pressure.record_size(),
            RecordType::Oom.record_size(),
            RecordType::Pool.record_size(),
            RecordType::Kill.record_size(),
            RecordType::Lost.record_size(),
            RecordType::Headroom.record_size(),
            RecordType::Reclaim.record_size()
        ),
        format!("sizeof_stats={}", std::mem::size_of::<Stats>()),
        format!("sizeof_zones={}", std::mem::size_of::<Zones>()),
        format!("sizeof_config={}", std::mem::size_of::<Config>()),
    ]
    .into();
    assert_same_lines(&run_client(&exe, Path::new("--ioctls")), &want);
}
