/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * oom_guard.h - userspace ABI of /dev/oom_guard (rust_oom_guard), version 2.1.
 *
 * This is a C rendering of common/abi/, the single definition of the ABI; the structs below have the
 * same fields in the same order, and the assertions at the end pin every size and the key
 * offsets documented in docs/ABI.md. userspace/guard-core/tests/c_header.rs compiles a client
 * against this header and checks it against the Rust definition.
 *
 * All integers are in the machine's native byte order. Reserved and padding bytes read as zero.
 * A read() returns whole records; each starts with a struct oom_guard_header whose size field
 * gives the length of the whole record, header included: step through the buffer with it, and
 * skip record types you do not know. Copy records out of the byte buffer with memcpy() rather
 * than casting pointers into it (records are not guaranteed to be 8-byte aligned in a buffer
 * you assembled yourself). Refuse a size smaller than the header or than the struct of a type
 * you know, or larger than the bytes left: the stream is not what you think it is (and a size
 * of 0 would loop forever).
 *
 * ABI 2.0 is the first stable version, and these are its compatibility rules: records and
 * ioctl structs only grow at the end; a newer abi_minor may append fields (size is then larger
 * than the struct: use the fields you know, ignore the rest) and add record types (skip them by
 * size); a struct that grows gets a new ioctl number (its size is part of the number) and the
 * old number keeps working; a different abi_major is incompatible: stop. A client must also
 * accept an older minor's shorter record: ABI 2.1 appended free_ns, blocks_freed and span_us to
 * struct oom_guard_oom, so an OOM record of a 2.0 module is OOM_GUARD_OOM_RECORD_SIZE_2_0 bytes
 * and lacks them (treat them as 0).
 */
#ifndef OOM_GUARD_H
#define OOM_GUARD_H

#include <stddef.h>
#include <stdint.h>
#include <linux/ioctl.h>

/* ---- versions and limits ------------------------------------------------------------------ */

#define OOM_GUARD_ABI_MAJOR 2
#define OOM_GUARD_ABI_MINOR 1
/* OOM_GUARD_GET_VERSION returns (major << 8) | minor. */
#define OOM_GUARD_ABI_VERSION ((OOM_GUARD_ABI_MAJOR << 8) | OOM_GUARD_ABI_MINOR)

#define OOM_GUARD_DEVICE_NAME "oom_guard"
#define OOM_GUARD_DEVICE_PATH "/dev/oom_guard"

/* Most zone snapshots a record carries; more zones set OOM_GUARD_FLAG_ZONES_TRUNCATED. */
#define OOM_GUARD_MAX_ZONES 8
/* Length of a task name (TASK_COMM_LEN). */
#define OOM_GUARD_COMM_LEN 16
/* Length of a zone name field. */
#define OOM_GUARD_ZONE_NAME_LEN 8

/* Header flag: the system had more populated zones than OOM_GUARD_MAX_ZONES. */
#define OOM_GUARD_FLAG_ZONES_TRUNCATED (1u << 0)

/* A time to exhaustion that is not known: available memory is not falling. */
#define OOM_GUARD_TTE_UNKNOWN UINT64_MAX

/* ---- enumerations ------------------------------------------------------------------------- */

/* Record types, in oom_guard_header.rtype. */
#define OOM_GUARD_RECORD_PRESSURE 1 /* struct oom_guard_pressure */
#define OOM_GUARD_RECORD_OOM 2      /* struct oom_guard_oom */
#define OOM_GUARD_RECORD_POOL 3     /* struct oom_guard_pool */
#define OOM_GUARD_RECORD_KILL 4     /* struct oom_guard_kill */
#define OOM_GUARD_RECORD_LOST 5     /* struct oom_guard_lost */
#define OOM_GUARD_RECORD_HEADROOM 6 /* struct oom_guard_headroom */
#define OOM_GUARD_RECORD_RECLAIM 7  /* struct oom_guard_reclaim */

/* Memory pressure levels. */
#define OOM_GUARD_LEVEL_OK 0
#define OOM_GUARD_LEVEL_LOW 1
#define OOM_GUARD_LEVEL_MIN 2

/*
 * Headroom levels from available memory, in rising severity. The numbers are GLib's
 * G_MEMORY_MONITOR_WARNING_LEVEL_* values.
 */
#define OOM_GUARD_HEADROOM_PLENTY 0    /* above every threshold */
#define OOM_GUARD_HEADROOM_LOW 50      /* below headroom_low: a good time to drop caches */
#define OOM_GUARD_HEADROOM_MEDIUM 100  /* below headroom_medium: free what can be freed */
#define OOM_GUARD_HEADROOM_CRITICAL 255 /* below headroom_critical: the OOM killer is near */

/* oom_guard_reclaim.phase. */
#define OOM_GUARD_RECLAIM_PHASE_ONSET 1  /* the kernel called the shrinker after a quiet period */
#define OOM_GUARD_RECLAIM_PHASE_DIRECT 2 /* direct reclaim joined a kswapd-only episode */
#define OOM_GUARD_RECLAIM_PHASE_END 3    /* no reclaim for reclaim_quiet_ms */

/* oom_guard_reclaim.who bits: who reclaimed during the episode so far. */
#define OOM_GUARD_RECLAIM_KSWAPD (1u << 0)
#define OOM_GUARD_RECLAIM_DIRECT (1u << 1)

/* oom_guard_zone.state: where a zone stands against its watermarks. */
#define OOM_GUARD_ZONE_ABOVE_HIGH 0
#define OOM_GUARD_ZONE_BELOW_HIGH 1 /* at or below high */
#define OOM_GUARD_ZONE_BELOW_LOW 2  /* at or below low */
#define OOM_GUARD_ZONE_BELOW_MIN 3  /* at or below min */

/* oom_guard_pressure.source. */
#define OOM_GUARD_SOURCE_WATERMARKS 1

/* oom_guard_oom.action: what the OOM notifier did. */
#define OOM_GUARD_OOM_OBSERVE 0      /* policy observe: pool untouched, the kernel kills */
#define OOM_GUARD_OOM_AVERT 1        /* "release": pages released and reported freed: the kernel */
                                     /* skips this round's kill (not for a sysrq-f OOM) */
#define OOM_GUARD_OOM_BUDGET_SPENT 2 /* avert budget of the window spent: the kernel kills */
#define OOM_GUARD_OOM_POOL_EMPTY 3   /* pool empty: the kernel kills */
#define OOM_GUARD_OOM_KILL_PENDING 4 /* a victim is still dying: nothing released, coalesced */
#define OOM_GUARD_OOM_POOL_SHORT 5   /* no zone's pool pages can lift it: the kernel kills */

/* oom_guard_pool.op. */
#define OOM_GUARD_POOL_RELEASE 1
#define OOM_GUARD_POOL_REFILL 2
#define OOM_GUARD_POOL_REFILL_FAILED 3

/* oom_guard_config.policy. */
#define OOM_GUARD_POLICY_OBSERVE 0
#define OOM_GUARD_POLICY_AVERT 1

/* oom_guard_kill.flags. */
#define OOM_GUARD_KILL_VICTIM (1u << 0)  /* the victim fields are valid (oom:mark_victim probe) */
#define OOM_GUARD_KILL_GLOBAL (1u << 1)  /* a global OOM: notifier_action and select_ns valid */
#define OOM_GUARD_KILL_MEMCG (1u << 2)   /* a memcg OOM (memory.max): the notifier did not run */
#define OOM_GUARD_KILL_EXITING (1u << 3) /* marked without a kill: already exiting (kills 0) */
#define OOM_GUARD_KILL_GROUP (1u << 4)   /* a further victim of the same OOM (memory.oom.group) */

/* oom_guard_config.headroom_unit. */
#define OOM_GUARD_HEADROOM_PERCENT 0 /* percent of the pages managed by the allocator */
#define OOM_GUARD_HEADROOM_KIB 1

/* ---- records ------------------------------------------------------------------------------ */

/* The header that starts every record (32 bytes). */
struct oom_guard_header {
	uint32_t size;     /* size of the whole record in bytes, header included */
	uint16_t rtype;    /* OOM_GUARD_RECORD_* ("type" in docs/ABI.md) */
	uint8_t abi_major; /* OOM_GUARD_ABI_MAJOR of the producer */
	uint8_t abi_minor; /* OOM_GUARD_ABI_MINOR of the producer */
	uint32_t flags;    /* OOM_GUARD_FLAG_* */
	uint32_t reserved;
	uint64_t seq;      /* one per event, from 0 at module load */
	uint64_t time_ns;  /* CLOCK_MONOTONIC time of the event */
};

/* One zone's free pages and watermarks, in pages (72 bytes). */
struct oom_guard_zone {
	uint16_t node;     /* NUMA node */
	uint8_t zone_idx;  /* zone index in the node (enum zone_type) */
	uint8_t state;     /* OOM_GUARD_ZONE_* */
	uint32_t reserved;
	char name[OOM_GUARD_ZONE_NAME_LEN]; /* "DMA", "DMA32", "Normal"..., NUL-padded */
	uint64_t free;
	uint64_t min;
	uint64_t low;
	uint64_t high;
	uint64_t boost;    /* watermark boost, added to every watermark */
	uint64_t reserve;  /* lowmem_reserve against the node's highest zone */
	uint64_t managed;  /* pages managed by the buddy allocator */
};

/* Payload of OOM_GUARD_RECORD_PRESSURE (624 bytes): the pressure level changed. */
struct oom_guard_pressure {
	uint8_t source;    /* OOM_GUARD_SOURCE_* */
	uint8_t old_level; /* OOM_GUARD_LEVEL_* */
	uint8_t new_level;
	uint8_t reserved;
	uint32_t nr_zones; /* valid entries in zones */
	uint64_t free_pages;
	uint64_t available_pages; /* si_mem_available() */
	struct oom_guard_zone zones[OOM_GUARD_MAX_ZONES];
	uint8_t headroom;  /* OOM_GUARD_HEADROOM_* at the time */
	uint8_t reserved2[7];
	uint64_t fall_rate; /* pages/s available memory falls, 0 if not falling */
	uint64_t tte_ms;   /* ms until the min watermarks at that rate, or OOM_GUARD_TTE_UNKNOWN */
};

/* Payload of OOM_GUARD_RECORD_OOM (672 bytes; 656 in ABI 2.0): the OOM notifier was called. */
struct oom_guard_oom {
	uint8_t action;    /* OOM_GUARD_OOM_* */
	uint8_t level;     /* OOM_GUARD_LEVEL_* at the time */
	uint16_t calls;    /* notifier calls this record stands for (coalesced kill-pending) */
	uint32_t pid;      /* task that hit the OOM */
	char comm[OOM_GUARD_COMM_LEN]; /* its name, NUL-padded (not terminated if 16 long) */
	uint64_t free_pages;
	uint64_t available_pages;
	uint64_t pool_before;
	uint64_t pool_after;
	uint64_t freed_reported; /* pages reported freed; non-zero: the kill is skipped */
	uint64_t callback_ns;
	uint32_t averts_left;
	uint32_t nr_zones;
	struct oom_guard_zone zones[OOM_GUARD_MAX_ZONES];
	/* ABI 2.1 (absent from a record of OOM_GUARD_OOM_RECORD_SIZE_2_0 bytes: read as 0): */
	uint64_t free_ns;      /* of callback_ns, ns spent freeing pool blocks; 0 if none freed */
	uint32_t blocks_freed; /* pool blocks freed (__free_pages calls) */
	uint32_t span_us;      /* us from the first to the last call this record stands for: 0 for
				* one call, saturating at UINT32_MAX; the event ended at
				* time_ns + span_us * 1000 */
};

/* Payload of OOM_GUARD_RECORD_POOL (32 bytes): the emergency pool changed. */
struct oom_guard_pool {
	uint8_t op;        /* OOM_GUARD_POOL_* */
	uint8_t reserved[7];
	uint64_t pages;    /* released or refilled by this operation */
	uint64_t pool_pages; /* after the operation */
	uint64_t target_pages;
};

/*
 * Payload of OOM_GUARD_RECORD_KILL (104 bytes): an OOM victim, or (flags without
 * OOM_GUARD_KILL_VICTIM: a kernel without CONFIG_TRACEPOINTS) OOM kills counted. The victim
 * fields are valid with OOM_GUARD_KILL_VICTIM only, notifier_action and select_ns with
 * OOM_GUARD_KILL_GLOBAL only.
 */
struct oom_guard_kill {
	uint64_t kills;    /* oom_kill increase: 1 killed, 0 exiting; count-only: since last look */
	uint32_t victim_pid;  /* thread id, 0 if unknown */
	uint32_t victim_tgid; /* process id */
	uint32_t victim_uid;
	int16_t oom_score_adj;
	uint16_t flags;    /* OOM_GUARD_KILL_* */
	char victim_comm[OOM_GUARD_COMM_LEN]; /* NUL-padded (not terminated if 16 long) */
	uint64_t victim_rss_kib; /* anon + file + shmem */
	uint64_t anon_kib;
	uint64_t file_kib;
	uint64_t shmem_kib;
	uint64_t pgtables_kib;
	uint64_t cgroup_id; /* memory cgroup: inode number of its /sys/fs/cgroup directory, 0 unknown */
	uint64_t select_ns; /* global OOM: ns from the notifier call to the victim's selection */
	uint8_t notifier_action; /* OOM_GUARD_OOM_* of that notifier call */
	uint8_t reserved[7];
};

/* Payload of OOM_GUARD_RECORD_LOST (16 bytes): this reader missed events. */
struct oom_guard_lost {
	uint64_t count;     /* events missed */
	uint64_t first_seq; /* the next record has seq == first_seq + count */
};

/*
 * Payload of OOM_GUARD_RECORD_HEADROOM (80 bytes): the headroom level changed. The
 * thresholds apply to available_pages; tte_ms counts down to floor_pages.
 */
struct oom_guard_headroom {
	uint8_t old_level; /* OOM_GUARD_HEADROOM_* */
	uint8_t new_level;
	uint8_t wm_level;  /* OOM_GUARD_LEVEL_* at the time */
	uint8_t wm_state;  /* the worst OOM_GUARD_ZONE_* at the time */
	uint32_t reserved;
	uint64_t free_pages;
	uint64_t available_pages; /* si_mem_available() */
	uint64_t total_pages;     /* managed by the allocator, all zones (what percentages are of) */
	uint64_t low_pages;       /* the thresholds, in available pages */
	uint64_t medium_pages;
	uint64_t critical_pages;
	uint64_t floor_pages;     /* sum over zones of min + boost + lowmem reserve */
	uint64_t fall_rate;       /* pages/s, 0 if not falling */
	uint64_t tte_ms;          /* ms until floor_pages, or OOM_GUARD_TTE_UNKNOWN */
};

/* Payload of OOM_GUARD_RECORD_RECLAIM (48 bytes): reclaim started, escalated, ended. */
struct oom_guard_reclaim {
	uint8_t phase;     /* OOM_GUARD_RECLAIM_PHASE_* */
	uint8_t who;       /* OOM_GUARD_RECLAIM_KSWAPD | OOM_GUARD_RECLAIM_DIRECT */
	uint8_t wm_level;  /* OOM_GUARD_LEVEL_* at the time */
	uint8_t headroom;  /* OOM_GUARD_HEADROOM_* at the time */
	uint32_t reserved;
	uint64_t kswapd_calls; /* shrinker calls from kswapd during the episode so far */
	uint64_t direct_calls; /* shrinker calls from direct reclaim during the episode so far */
	uint64_t duration_ms;  /* since the episode's onset (0 in the onset record) */
	uint64_t free_pages;
	uint64_t available_pages;
};

#define OOM_GUARD_HEADER_SIZE 32
#define OOM_GUARD_PRESSURE_RECORD_SIZE 656
#define OOM_GUARD_OOM_RECORD_SIZE 704
/* An OOM record of a 2.0 module, without free_ns, blocks_freed and span_us: the smallest. */
#define OOM_GUARD_OOM_RECORD_SIZE_2_0 688
#define OOM_GUARD_POOL_RECORD_SIZE 64
#define OOM_GUARD_KILL_RECORD_SIZE 136
#define OOM_GUARD_LOST_RECORD_SIZE 48
#define OOM_GUARD_HEADROOM_RECORD_SIZE 112
#define OOM_GUARD_RECLAIM_RECORD_SIZE 80
/* The smallest record; a smaller read() buffer fails with EINVAL. */
#define OOM_GUARD_MIN_RECORD OOM_GUARD_LOST_RECORD_SIZE
/* The largest record: a read() buffer of this size always holds the next record. */
#define OOM_GUARD_MAX_RECORD OOM_GUARD_OOM_RECORD_SIZE

/* ---- ioctls ------------------------------------------------------------------------------- */

/* Counters returned by OOM_GUARD_GET_STATS (248 bytes). */
struct oom_guard_stats {
	uint64_t oom_calls;
	uint64_t averts;
	uint64_t pages_released;
	uint64_t pages_refilled;
	uint64_t refill_failures;
	uint64_t level_changes;
	uint64_t events;
	uint64_t events_lost;     /* summed over readers, counted as they read their LOST records */
	uint64_t callback_max_ns;
	uint64_t callback_avg_ns;
	uint64_t level;           /* OOM_GUARD_LEVEL_* */
	uint64_t pool_pages;
	uint64_t pool_target;
	uint64_t readers;
	uint64_t kills;
	uint64_t samples;         /* watermark monitor wake-ups */
	uint64_t headroom;        /* OOM_GUARD_HEADROOM_* now */
	uint64_t headroom_changes;
	uint64_t fall_rate;       /* pages/s available memory falls now, 0 if not falling */
	uint64_t tte_ms;          /* ms until the min watermarks, or OOM_GUARD_TTE_UNKNOWN */
	uint64_t reclaim_episodes;
	uint64_t reclaim_kswapd_calls; /* shrinker calls from kswapd since load */
	uint64_t reclaim_direct_calls; /* shrinker calls from direct reclaim since load */
	uint64_t reclaim_active;  /* 1 while a reclaim episode is running */
	uint64_t monitor_ns;      /* ns the watermark monitor spent in its samples */
	uint64_t peek_runs;       /* runs of the per-CPU peek timers */
	uint64_t peek_wakes;      /* peeks that woke the monitor */
	uint64_t peek_ns;         /* ns the peek timers spent */
	uint64_t victims;         /* OOM victims named by the victim probe (0 without it) */
	uint64_t probe_max_ns;    /* longest victim probe call */
	uint64_t probe_avg_ns;    /* mean victim probe call */
};

/* Zone snapshot returned by OOM_GUARD_GET_ZONES (608 bytes). */
struct oom_guard_zones {
	uint32_t nr_zones;
	uint32_t flags;           /* OOM_GUARD_FLAG_* */
	uint64_t free_pages;
	uint64_t available_pages;
	uint64_t level;           /* OOM_GUARD_LEVEL_* */
	struct oom_guard_zone zones[OOM_GUARD_MAX_ZONES];
};

/*
 * Runtime configuration (64 bytes); ranges in docs/ABI.md, SET_CONFIG checks them all, and the
 * rules between fields.
 */
struct oom_guard_config {
	uint32_t policy;          /* OOM_GUARD_POLICY_*, default avert */
	uint32_t release_chunk;   /* 1..65536 pages, default 256 */
	uint32_t avert_budget;    /* 0..1000 per window, default 8 */
	uint32_t budget_window_ms; /* 100..3600000, default 60000 */
	uint32_t refill_delay_ms; /* 0..600000, default 5000 */
	uint32_t sample_slow_ms;  /* 10..10000, default 1000 */
	uint32_t sample_fast_ms;  /* 1..1000 and <= sample_slow_ms, default 10 */
	uint32_t reserved;        /* must be 0 */
	uint32_t headroom_unit;   /* OOM_GUARD_HEADROOM_PERCENT (default) or _KIB */
	uint32_t headroom_low;    /* 1..2^31, > headroom_medium, <= 100 in percent, default 20 */
	uint32_t headroom_medium; /* 1..2^31, > headroom_critical, default 10 */
	uint32_t headroom_critical; /* 1..2^31, default 5 */
	uint32_t headroom_hysteresis; /* 0..2^31, <= 100 in percent, default 2 */
	uint32_t sample_min_ms;   /* 1..1000 and <= sample_fast_ms, default 1 */
	uint32_t reclaim_quiet_ms; /* 10..60000, default 500 */
	uint32_t reserved2;       /* must be 0 */
};

#define OOM_GUARD_IOCTL_MAGIC 0xB7

#define OOM_GUARD_GET_VERSION _IOR(OOM_GUARD_IOCTL_MAGIC, 0, uint32_t)
#define OOM_GUARD_GET_STATS _IOR(OOM_GUARD_IOCTL_MAGIC, 1, struct oom_guard_stats)
#define OOM_GUARD_GET_ZONES _IOR(OOM_GUARD_IOCTL_MAGIC, 2, struct oom_guard_zones)
#define OOM_GUARD_GET_CONFIG _IOR(OOM_GUARD_IOCTL_MAGIC, 3, struct oom_guard_config)
/* Needs CAP_SYS_ADMIN (EPERM); any value out of range fails with EINVAL, changing nothing. */
#define OOM_GUARD_SET_CONFIG _IOW(OOM_GUARD_IOCTL_MAGIC, 4, struct oom_guard_config)

/* ---- layout checks (docs/ABI.md) ---------------------------------------------------------- */

#ifdef __cplusplus
#define OOM_GUARD_ASSERT(expr) static_assert(expr, #expr)
#else
#define OOM_GUARD_ASSERT(expr) _Static_assert(expr, #expr)
#endif

OOM_GUARD_ASSERT(sizeof(struct oom_guard_header) == OOM_GUARD_HEADER_SIZE);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_header, size) == 0);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_header, rtype) == 4);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_header, abi_major) == 6);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_header, abi_minor) == 7);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_header, flags) == 8);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_header, reserved) == 12);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_header, seq) == 16);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_header, time_ns) == 24);

OOM_GUARD_ASSERT(sizeof(struct oom_guard_zone) == 72);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_zone, node) == 0);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_zone, zone_idx) == 2);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_zone, state) == 3);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_zone, reserved) == 4);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_zone, name) == 8);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_zone, free) == 16);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_zone, min) == 24);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_zone, low) == 32);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_zone, high) == 40);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_zone, boost) == 48);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_zone, reserve) == 56);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_zone, managed) == 64);

OOM_GUARD_ASSERT(sizeof(struct oom_guard_pressure) == 624);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_pressure, source) == 0);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_pressure, old_level) == 1);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_pressure, new_level) == 2);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_pressure, nr_zones) == 4);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_pressure, free_pages) == 8);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_pressure, available_pages) == 16);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_pressure, zones) == 24);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_pressure, headroom) == 600);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_pressure, reserved2) == 601);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_pressure, fall_rate) == 608);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_pressure, tte_ms) == 616);

OOM_GUARD_ASSERT(sizeof(struct oom_guard_oom) == 672);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_oom, action) == 0);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_oom, level) == 1);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_oom, pid) == 4);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_oom, comm) == 8);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_oom, free_pages) == 24);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_oom, available_pages) == 32);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_oom, pool_before) == 40);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_oom, pool_after) == 48);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_oom, freed_reported) == 56);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_oom, callback_ns) == 64);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_oom, averts_left) == 72);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_oom, nr_zones) == 76);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_oom, zones) == 80);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_oom, free_ns) == 656);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_oom, blocks_freed) == 664);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_oom, span_us) == 668);
OOM_GUARD_ASSERT(OOM_GUARD_HEADER_SIZE + offsetof(struct oom_guard_oom, free_ns) ==
		 OOM_GUARD_OOM_RECORD_SIZE_2_0);

OOM_GUARD_ASSERT(sizeof(struct oom_guard_pool) == 32);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_pool, op) == 0);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_pool, pages) == 8);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_pool, pool_pages) == 16);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_pool, target_pages) == 24);

OOM_GUARD_ASSERT(sizeof(struct oom_guard_kill) == 104);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_kill, kills) == 0);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_kill, victim_pid) == 8);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_kill, victim_tgid) == 12);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_kill, victim_uid) == 16);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_kill, oom_score_adj) == 20);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_kill, flags) == 22);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_kill, victim_comm) == 24);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_kill, victim_rss_kib) == 40);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_kill, anon_kib) == 48);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_kill, file_kib) == 56);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_kill, shmem_kib) == 64);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_kill, pgtables_kib) == 72);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_kill, cgroup_id) == 80);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_kill, select_ns) == 88);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_kill, notifier_action) == 96);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_kill, reserved) == 97);

OOM_GUARD_ASSERT(sizeof(struct oom_guard_lost) == 16);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_lost, count) == 0);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_lost, first_seq) == 8);

OOM_GUARD_ASSERT(sizeof(struct oom_guard_headroom) == 80);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_headroom, old_level) == 0);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_headroom, new_level) == 1);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_headroom, wm_level) == 2);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_headroom, wm_state) == 3);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_headroom, reserved) == 4);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_headroom, free_pages) == 8);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_headroom, available_pages) == 16);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_headroom, total_pages) == 24);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_headroom, low_pages) == 32);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_headroom, medium_pages) == 40);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_headroom, critical_pages) == 48);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_headroom, floor_pages) == 56);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_headroom, fall_rate) == 64);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_headroom, tte_ms) == 72);

OOM_GUARD_ASSERT(sizeof(struct oom_guard_reclaim) == 48);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_reclaim, phase) == 0);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_reclaim, who) == 1);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_reclaim, wm_level) == 2);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_reclaim, headroom) == 3);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_reclaim, reserved) == 4);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_reclaim, kswapd_calls) == 8);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_reclaim, direct_calls) == 16);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_reclaim, duration_ms) == 24);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_reclaim, free_pages) == 32);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_reclaim, available_pages) == 40);

OOM_GUARD_ASSERT(OOM_GUARD_HEADER_SIZE + sizeof(struct oom_guard_pressure) ==
		 OOM_GUARD_PRESSURE_RECORD_SIZE);
OOM_GUARD_ASSERT(OOM_GUARD_HEADER_SIZE + sizeof(struct oom_guard_oom) ==
		 OOM_GUARD_OOM_RECORD_SIZE);
OOM_GUARD_ASSERT(OOM_GUARD_HEADER_SIZE + sizeof(struct oom_guard_pool) ==
		 OOM_GUARD_POOL_RECORD_SIZE);
OOM_GUARD_ASSERT(OOM_GUARD_HEADER_SIZE + sizeof(struct oom_guard_kill) ==
		 OOM_GUARD_KILL_RECORD_SIZE);
OOM_GUARD_ASSERT(OOM_GUARD_HEADER_SIZE + sizeof(struct oom_guard_lost) ==
		 OOM_GUARD_LOST_RECORD_SIZE);
OOM_GUARD_ASSERT(OOM_GUARD_HEADER_SIZE + sizeof(struct oom_guard_headroom) ==
		 OOM_GUARD_HEADROOM_RECORD_SIZE);
OOM_GUARD_ASSERT(OOM_GUARD_HEADER_SIZE + sizeof(struct oom_guard_reclaim) ==
		 OOM_GUARD_RECLAIM_RECORD_SIZE);
OOM_GUARD_ASSERT(OOM_GUARD_PRESSURE_RECORD_SIZE < OOM_GUARD_MAX_RECORD);
OOM_GUARD_ASSERT(OOM_GUARD_MAX_RECORD == 704);

OOM_GUARD_ASSERT(sizeof(struct oom_guard_stats) == 248);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_stats, samples) == 120);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_stats, headroom) == 128);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_stats, headroom_changes) == 136);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_stats, fall_rate) == 144);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_stats, tte_ms) == 152);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_stats, reclaim_episodes) == 160);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_stats, reclaim_kswapd_calls) == 168);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_stats, reclaim_direct_calls) == 176);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_stats, reclaim_active) == 184);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_stats, monitor_ns) == 192);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_stats, peek_runs) == 200);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_stats, peek_wakes) == 208);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_stats, peek_ns) == 216);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_stats, victims) == 224);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_stats, probe_max_ns) == 232);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_stats, probe_avg_ns) == 240);

OOM_GUARD_ASSERT(sizeof(struct oom_guard_zones) == 608);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_zones, nr_zones) == 0);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_zones, flags) == 4);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_zones, free_pages) == 8);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_zones, available_pages) == 16);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_zones, level) == 24);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_zones, zones) == 32);

OOM_GUARD_ASSERT(sizeof(struct oom_guard_config) == 64);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_config, policy) == 0);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_config, sample_fast_ms) == 24);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_config, reserved) == 28);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_config, headroom_unit) == 32);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_config, headroom_low) == 36);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_config, headroom_medium) == 40);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_config, headroom_critical) == 44);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_config, headroom_hysteresis) == 48);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_config, sample_min_ms) == 52);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_config, reclaim_quiet_ms) == 56);
OOM_GUARD_ASSERT(offsetof(struct oom_guard_config, reserved2) == 60);

/*
 * The documented numbers follow the asm-generic ioctl encoding, which x86, arm, arm64 and riscv
 * use (powerpc, mips and sparc encode directions differently; the macros above are right there
 * too, the literals below are not).
 */
#if defined(__x86_64__) || defined(__i386__) || defined(__aarch64__) || defined(__arm__) || \
	defined(__riscv)
OOM_GUARD_ASSERT(OOM_GUARD_GET_VERSION == 0x8004B700u);
OOM_GUARD_ASSERT(OOM_GUARD_GET_STATS == 0x80F8B701u);
OOM_GUARD_ASSERT(OOM_GUARD_GET_ZONES == 0x8260B702u);
OOM_GUARD_ASSERT(OOM_GUARD_GET_CONFIG == 0x8040B703u);
OOM_GUARD_ASSERT(OOM_GUARD_SET_CONFIG == 0x4040B704u);
#endif

#undef OOM_GUARD_ASSERT

#endif /* OOM_GUARD_H */
