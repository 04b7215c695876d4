// SPDX-License-Identifier: GPL-2.0
/*
 * A small C client of include/oom_guard.h, used by tests/c_header.rs.
 *
 *   c_client FILE         print one key=value line per record of the record stream in FILE
 *   c_client --ioctls     print the ioctl numbers and the ABI constants
 *
 * Records are walked by their header's size and copied out of the byte buffer with memcpy()
 * into the header's structs, as a real client of /dev/oom_guard would: a size smaller than the
 * header or than the struct of a known type, or larger than the bytes left, is refused; bytes
 * a newer minor version appended are ignored; unknown types are skipped by size.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oom_guard.h"

/* Prints a NUL-padded name field, which is not NUL-terminated when it is full. */
static void print_name(const char *field, size_t len)
{
	size_t n = 0;

	while (n < len && field[n] != '\0')
		n++;
	printf("%.*s", (int)n, field);
}

static void print_zones(const struct oom_guard_zone *zones, uint32_t nr_zones)
{
	uint32_t i;

	if (nr_zones > OOM_GUARD_MAX_ZONES)
		nr_zones = OOM_GUARD_MAX_ZONES;
	for (i = 0; i < nr_zones; i++) {
		const struct oom_guard_zone *z = &zones[i];

		printf(" zone%u=%u:%u:%u:", (unsigned)i, (unsigned)z->node, (unsigned)z->zone_idx,
		       (unsigned)z->state);
		print_name(z->name, sizeof(z->name));
		printf(":%llu:%llu:%llu:%llu:%llu:%llu:%llu", (unsigned long long)z->free,
		       (unsigned long long)z->min, (unsigned long long)z->low,
		       (unsigned long long)z->high, (unsigned long long)z->boost,
		       (unsigned long long)z->reserve, (unsigned long long)z->managed);
	}
}

static int print_ioctls(void)
{
	printf("OOM_GUARD_GET_VERSION=0x%08lx\n", (unsigned long)OOM_GUARD_GET_VERSION);
	printf("OOM_GUARD_GET_STATS=0x%08lx\n", (unsigned long)OOM_GUARD_GET_STATS);
	printf("OOM_GUARD_GET_ZONES=0x%08lx\n", (unsigned long)OOM_GUARD_GET_ZONES);
	printf("OOM_GUARD_GET_CONFIG=0x%08lx\n", (unsigned long)OOM_GUARD_GET_CONFIG);
	printf("OOM_GUARD_SET_CONFIG=0x%08lx\n", (unsigned long)OOM_GUARD_SET_CONFIG);
	printf("OOM_GUARD_ABI_VERSION=0x%04x\n", (unsigned)OOM_GUARD_ABI_VERSION);
	printf("OOM_GUARD_MAX_RECORD=%u\n", (unsigned)OOM_GUARD_MAX_RECORD);
	printf("OOM_GUARD_MAX_ZONES=%u\n", (unsigned)OOM_GUARD_MAX_ZONES);
	printf("OOM_GUARD_FLAG_ZONES_TRUNCATED=%u\n", (unsigned)OOM_GUARD_FLAG_ZONES_TRUNCATED);
	printf("OOM_GUARD_POLICY_OBSERVE=%u\n", (unsigned)OOM_GUARD_POLICY_OBSERVE);
	printf("OOM_GUARD_POLICY_AVERT=%u\n", (unsigned)OOM_GUARD_POLICY_AVERT);
	printf("OOM_GUARD_TTE_UNKNOWN=%llu\n", (unsigned long long)OOM_GUARD_TTE_UNKNOWN);
	printf("OOM_GUARD_HEADROOM=%u,%u,%u,%u\n", (unsigned)OOM_GUARD_HEADROOM_PLENTY,
	       (unsigned)OOM_GUARD_HEADROOM_LOW, (unsigned)OOM_GUARD_HEADROOM_MEDIUM,
	       (unsigned)OOM_GUARD_HEADROOM_CRITICAL);
	printf("OOM_GUARD_RECLAIM_PHASE=%u,%u,%u\n", (unsigned)OOM_GUARD_RECLAIM_PHASE_ONSET,
	       (unsigned)OOM_GUARD_RECLAIM_PHASE_DIRECT, (unsigned)OOM_GUARD_RECLAIM_PHASE_END);
	printf("OOM_GUARD_RECLAIM_WHO=%u,%u\n", (unsigned)OOM_GUARD_RECLAIM_KSWAPD,
	       (unsigned)OOM_GUARD_RECLAIM_DIRECT);
	printf("OOM_GUARD_HEADROOM_UNIT=%u,%u\n", (unsigned)OOM_GUARD_HEADROOM_PERCENT,
	       (unsigned)OOM_GUARD_HEADROOM_KIB);
	printf("OOM_GUARD_RECORD=%u,%u\n", (unsigned)OOM_GUARD_RECORD_HEADROOM,
	       (unsigned)OOM_GUARD_RECORD_RECLAIM);
	printf("OOM_GUARD_KILL=%u,%u,%u,%u,%u\n", (unsigned)OOM_GUARD_KILL_VICTIM,
	       (unsigned)OOM_GUARD_KILL_GLOBAL, (unsigned)OOM_GUARD_KILL_MEMCG,
	       (unsigned)OOM_GUARD_KILL_EXITING, (unsigned)OOM_GUARD_KILL_GROUP);
	printf("record_sizes=%u,%u,%u,%u,%u,%u,%u\n", (unsigned)OOM_GUARD_PRESSURE_RECORD_SIZE,
	       (unsigned)OOM_GUARD_OOM_RECORD_SIZE,
	       (unsigned)OOM_GUARD_POOL_RECORD_SIZE, (unsigned)OOM_GUARD_KILL_RECORD_SIZE,
	       (unsigned)OOM_GUARD_LOST_RECORD_SIZE, (unsigned)OOM_GUARD_HEADROOM_RECORD_SIZE,
	       (unsigned)OOM_GUARD_RECLAIM_RECORD_SIZE);
	printf("sizeof_stats=%u\n", (unsigned)sizeof(struct oom_guard_stats));
	printf("sizeof_zones=%u\n", (unsigned)sizeof(struct oom_guard_zones));
	printf("sizeof_config=%u\n", (unsigned)sizeof(struct oom_guard_config));
	return 0;
}

static unsigned char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f) {
		perror(path);
		return NULL;
	}
	for (;;) {
		size_t got;

		if (n == cap) {
			unsigned char *nbuf;

			cap = cap ? cap * 2 : 4096;
			nbuf = realloc(buf, cap);
			if (!nbuf) {
				perror("realloc");
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nbuf;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		perror(path);
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	*len = n;
	return buf;
}

/* Copies the payload of the record at rec if the record is long enough for it. */
static int payload(void *dst, size_t dst_size, const unsigned char *rec, uint32_t size)
{
	if (size < OOM_GUARD_HEADER_SIZE + dst_size) {
		printf(" error=short-record\n");
		return -1;
	}
	memcpy(dst, rec + OOM_GUARD_HEADER_SIZE, dst_size);
	return 0;
}

static int print_records(const unsigned char *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		struct oom_guard_header h;
		const unsigned char *rec = buf + off;

		if (len - off < sizeof(h)) {
			fprintf(stderr, "truncated header at offset %lu\n", (unsigned long)off);
			return 1;
		}
		memcpy(&h, rec, sizeof(h));
		if (h.size < sizeof(h) || h.size > len - off) {
			fprintf(stderr, "bad size %lu at offset %lu\n", (unsigned long)h.size,
				(unsigned long)off);
			return 1;
		}
		if (h.abi_major != OOM_GUARD_ABI_MAJOR) {
			fprintf(stderr, "incompatible ABI %u.%u\n", (unsigned)h.abi_major,
				(unsigned)h.abi_minor);
			return 1;
		}
		printf("seq=%llu time_ns=%llu type=%u size=%lu abi=%u.%u flags=%lu",
		       (unsigned long long)h.seq, (unsigned long long)h.time_ns, (unsigned)h.rtype,
		       (unsigned long)h.size, (unsigned)h.abi_major, (unsigned)h.abi_minor,
		       (unsigned long)h.flags);
		switch (h.rtype) {
		case OOM_GUARD_RECORD_PRESSURE: {
			struct oom_guard_pressure p;

			if (payload(&p, sizeof(p), rec, h.size))
				return 1;
			printf(" source=%u old_level=%u new_level=%u nr_zones=%lu free_pages=%llu"
			       " available_pages=%llu",
			       (unsigned)p.source, (unsigned)p.old_level, (unsigned)p.new_level,
			       (unsigned long)p.nr_zones, (unsigned long long)p.free_pages,
			       (unsigned long long)p.available_pages);
			print_zones(p.zones, p.nr_zones);
			printf(" headroom=%u fall_rate=%llu tte_ms=%llu", (unsigned)p.headroom,
			       (unsigned long long)p.fall_rate, (unsigned long long)p.tte_ms);
			break;
		}
		case OOM_GUARD_RECORD_OOM: {
			struct oom_guard_oom o;

			/* A 2.0 module's record lacks free_ns, blocks_freed and span_us: 0. */
			memset(&o, 0, sizeof(o));
			if (h.size == OOM_GUARD_OOM_RECORD_SIZE_2_0) {
				memcpy(&o, rec + OOM_GUARD_HEADER_SIZE,
				       OOM_GUARD_OOM_RECORD_SIZE_2_0 - OOM_GUARD_HEADER_SIZE);
			} else if (payload(&o, sizeof(o), rec, h.size)) {
				return 1;
			}
			printf(" action=%u level=%u pid=%lu", (unsigned)o.action, (unsigned)o.level,
			       (unsigned long)o.pid);
			printf(" comm=");
			print_name(o.comm, sizeof(o.comm));
			printf(" free_pages=%llu available_pages=%llu pool_before=%llu pool_after=%llu"
			       " freed_reported=%llu callback_ns=%llu averts_left=%lu nr_zones=%lu",
			       (unsigned long long)o.free_pages, (unsigned long long)o.available_pages,
			       (unsigned long long)o.pool_before, (unsigned long long)o.pool_after,
			       (unsigned long long)o.freed_reported, (unsigned long long)o.callback_ns,
			       (unsigned long)o.averts_left, (unsigned long)o.nr_zones);
			print_zones(o.zones, o.nr_zones);
			printf(" free_ns=%llu blocks_freed=%lu span_us=%lu",
			       (unsigned long long)o.free_ns, (unsigned long)o.blocks_freed,
			       (unsigned long)o.span_us);
			break;
		}
		case OOM_GUARD_RECORD_POOL: {
			struct oom_guard_pool p;

			if (payload(&p, sizeof(p), rec, h.size))
				return 1;
			printf(" op=%u pages=%llu pool_pages=%llu target_pages=%llu", (unsigned)p.op,
			       (unsigned long long)p.pages, (unsigned long long)p.pool_pages,
			       (unsigned long long)p.target_pages);
			break;
		}
		case OOM_GUARD_RECORD_KILL: {
			struct oom_guard_kill k;

			if (payload(&k, sizeof(k), rec, h.size))
				return 1;
			printf(" kills=%llu victim_pid=%lu victim_tgid=%lu victim_uid=%lu"
			       " oom_score_adj=%d flags=%u",
			       (unsigned long long)k.kills, (unsigned long)k.victim_pid,
			       (unsigned long)k.victim_tgid, (unsigned long)k.victim_uid,
			       (int)k.oom_score_adj, (unsigned)k.flags);
			printf(" victim_comm=");
			print_name(k.victim_comm, sizeof(k.victim_comm));
			printf(" victim_rss_kib=%llu anon_kib=%llu file_kib=%llu shmem_kib=%llu"
			       " pgtables_kib=%llu cgroup_id=%llu select_ns=%llu notifier_action=%u",
			       (unsigned long long)k.victim_rss_kib, (unsigned long long)k.anon_kib,
			       (unsigned long long)k.file_kib, (unsigned long long)k.shmem_kib,
			       (unsigned long long)k.pgtables_kib, (unsigned long long)k.cgroup_id,
			       (unsigned long long)k.select_ns, (unsigned)k.notifier_action);
			if (k.flags & OOM_GUARD_KILL_VICTIM)
				printf(" %s%s%s",
				       (k.flags & OOM_GUARD_KILL_GLOBAL) ? "global" :
				       (k.flags & OOM_GUARD_KILL_MEMCG) ? "memcg" : "unknown",
				       (k.flags & OOM_GUARD_KILL_EXITING) ? ":exiting" : ":killed",
				       (k.flags & OOM_GUARD_KILL_GROUP) ? ":group" : "");
			else
				printf(" count-only");
			break;
		}
		case OOM_GUARD_RECORD_LOST: {
			struct oom_guard_lost l;

			if (payload(&l, sizeof(l), rec, h.size))
				return 1;
			printf(" count=%llu first_seq=%llu", (unsigned long long)l.count,
			       (unsigned long long)l.first_seq);
			break;
		}
		case OOM_GUARD_RECORD_HEADROOM: {
			struct oom_guard_headroom r;

			if (payload(&r, sizeof(r), rec, h.size))
				return 1;
			printf(" old_level=%u new_level=%u wm_level=%u wm_state=%u free_pages=%llu"
			       " available_pages=%llu total_pages=%llu low_pages=%llu medium_pages=%llu"
			       " critical_pages=%llu floor_pages=%llu fall_rate=%llu tte_ms=%llu",
			       (unsigned)r.old_level, (unsigned)r.new_level, (unsigned)r.wm_level,
			       (unsigned)r.wm_state, (unsigned long long)r.free_pages,
			       (unsigned long long)r.available_pages, (unsigned long long)r.total_pages,
			       (unsigned long long)r.low_pages, (unsigned long long)r.medium_pages,
			       (unsigned long long)r.critical_pages, (unsigned long long)r.floor_pages,
			       (unsigned long long)r.fall_rate, (unsigned long long)r.tte_ms);
			if (r.tte_ms == OOM_GUARD_TTE_UNKNOWN)
				printf(" tte=unknown");
			break;
		}
		case OOM_GUARD_RECORD_RECLAIM: {
			struct oom_guard_reclaim r;

			if (payload(&r, sizeof(r), rec, h.size))
				return 1;
			printf(" phase=%u who=%u%s%s wm_level=%u headroom=%u kswapd_calls=%llu"
			       " direct_calls=%llu duration_ms=%llu free_pages=%llu available_pages=%llu",
			       (unsigned)r.phase, (unsigned)r.who,
			       (r.who & OOM_GUARD_RECLAIM_KSWAPD) ? ":kswapd" : "",
			       (r.who & OOM_GUARD_RECLAIM_DIRECT) ? ":direct" : "", (unsigned)r.wm_level,
			       (unsigned)r.headroom, (unsigned long long)r.kswapd_calls,
			       (unsigned long long)r.direct_calls, (unsigned long long)r.duration_ms,
			       (unsigned long long)r.free_pages, (unsigned long long)r.available_pages);
			break;
		}
		default:
			printf(" unknown");
			break;
		}
		printf("\n");
		off += h.size;
	}
	return 0;
}

int main(int argc, char **argv)
{
	unsigned char *buf;
	size_t len = 0;
	int ret;

	if (argc != 2) {
		fprintf(stderr, "usage: %s FILE | --ioctls\n", argv[0]);
		return 2;
	}
	if (strcmp(argv[1], "--ioctls") == 0)
		return print_ioctls();
	buf = read_file(argv[1], &len);
	if (!buf)
		return 1;
	ret = print_records(buf, len);
	free(buf);
	if (fflush(stdout) != 0) {
		perror("stdout");
		return 1;
	}
	return ret;
}
