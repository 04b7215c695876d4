# Helpers for guest tests (POSIX sh, busybox applets only). Sourced.
MODULE=/guard/rust_oom_guard.ko

fail() {
	echo "FAIL: $*"
	exit 1
}
skip() {
	echo "$*"
	exit 4
}
# Prints one numbered field of /proc/vmstat.
vmstat() {
	awk -v k="$1" '$1 == k { print $2 }' /proc/vmstat
}
# Prints one /proc/meminfo field in KiB.
meminfo() {
	awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo
}
# Free memory in KiB counting the per-CPU page lists, which MemFree leaves out (pages freed a
# moment ago often sit there).
free_kib() {
	pcp=$(awk '$1 == "count:" { s += $2 } END { print s + 0 }' /proc/zoneinfo)
	echo $(($(meminfo MemFree) + pcp * $(getconf PAGESIZE 2>/dev/null || echo 4096) / 1024))
}
# KiB on the per-CPU page lists of all zones and CPUs.
pcp_kib() {
	awk -v kib=$(($(getconf PAGESIZE 2>/dev/null || echo 4096) / 1024)) '$1 == "count:" { s += $2 } END { print s * kib }' /proc/zoneinfo
}
# Whether this is the KASAN + lockdep debug kernel (everything there runs several times slower).
debug_kernel() {
	grep -q 'guard.debug=1' /proc/cmdline
}
# Prints the value of KEY=value on the kernel command line, or DEFAULT.
cmdline_arg() { # cmdline_arg KEY [DEFAULT]
	for w in $(cat /proc/cmdline); do
		case $w in "$1"=*) echo "${w#*=}"; return ;; esac
	done
	echo "${2:-}"
}
# Which page-clearing loop the kernel chose (x86: clear_pages() alternatives by CPU flags).
clear_page_flavour() {
	flags=$(awk -F': ' '$1 ~ /^flags/ { print " " $2 " "; exit }' /proc/cpuinfo)
	case $flags in
	"") echo "arch default" ;;
	*" erms "*) echo "rep stosb (erms)" ;;
	*" rep_good "*) echo "rep stosq (rep_good)" ;;
	*) echo "unrolled movq" ;;
	esac
}
module_loaded() {
	[ -d /sys/module/rust_oom_guard ]
}
DEV=/dev/oom_guard
# Loads the module with the given parameters, or fails the test.
load() {
	insmod "$MODULE" "$@" || fail "insmod $* failed"
	[ -c "$DEV" ] || fail "$DEV missing after insmod"
}
unload() {
	rmmod rust_oom_guard || fail "rmmod failed"
}
# Prints one key of `guardctl stats|config|zones`.
stat() {
	guardctl "$1" | field "$2"
}
# Prints one key of key=value lines on stdin (a saved `guardctl stats`, for example).
field() {
	awk -F= -v k="$1" '$1 == k { print $2 }'
}
# Checks that record lines on stdin have contiguous sequence numbers from $1.
contiguous() {
	awk -v want="$1" '{ for (i = 1; i <= NF; i++) if ($i ~ /^seq=/) { s = substr($i, 5) + 0 } }
		s != want { printf "sequence gap: expected %d, got %d\n", want, s; bad = 1; exit 1 }
		/kind=lost/ { for (i = 1; i <= NF; i++) if ($i ~ /^count=/) { want += substr($i, 7) - 1 } }
		{ want++ } END { exit bad }'
}
# Measures how much a process can allocate right now, in MiB: a hog runs into the OOM killer
# and reports how far it got. Costs one OOM kill.
capacity_mib() {
	MEMHOG_PROGRESS=/tmp/capacity memhog 64G >/dev/null 2>&1
	echo $(($(tr -d ' ' </tmp/capacity) / 1024))
}
# Waits up to SECONDS for CMD to succeed, checking every 0.1 s; fails the test with MESSAGE if
# it never does.
wait_for() { # wait_for SECONDS MESSAGE CMD...
	wf_tenths=$(($1 * 10)) wf_msg=$2
	shift 2
	wf_i=0
	until "$@"; do
		wf_i=$((wf_i + 1))
		[ $wf_i -le $wf_tenths ] || fail "$wf_msg"
		sleep 0.1
	done
}
# The far ends of the reader's logging sinks, for tests: busybox syslogd on /dev/log (writing
# /tmp/messages), dgram-listen standing in for journald on $JOURNAL (writing /tmp/journal), and
# /dev/kmsg without its rate limit for user writes (10 lines per 5 s) where printk_devkmsg can
# be switched on (then sinks_devkmsg_on=1). sinks_down, from the test's EXIT trap, undoes them.
JOURNAL=/tmp/journal.sock
sinks_pids=
sinks_devkmsg=
sinks_devkmsg_on=
sinks_up() {
	sinks_devkmsg=$(cat /proc/sys/kernel/printk_devkmsg 2>/dev/null)
	if echo on >/proc/sys/kernel/printk_devkmsg 2>/dev/null; then
		sinks_devkmsg_on=1
	else
		sinks_devkmsg=
	fi
	syslogd -n -O /tmp/messages &
	sinks_pids=$!
	dgram-listen "$JOURNAL" /tmp/journal 2>/tmp/journal.err &
	sinks_pids="$sinks_pids $!"
	wait_for 10 "syslogd or dgram-listen did not bind its socket" eval '[ -S /dev/log ] && [ -S "$JOURNAL" ]'
}
sinks_down() {
	# shellcheck disable=SC2086
	[ -n "$sinks_pids" ] && kill $sinks_pids 2>/dev/null
	[ -n "$sinks_devkmsg" ] && echo "$sinks_devkmsg" >/proc/sys/kernel/printk_devkmsg
	rm -f /dev/log "$JOURNAL"
}
# For a sink test's EXIT trap: kills the readers it started (their pids in $pids), then
# sinks_down.
readers_and_sinks_down() {
	# shellcheck disable=SC2086
	[ -n "$pids" ] && kill $pids 2>/dev/null
	sinks_down
}
# Whether the device has a KILL record (the monitor reports a kill within its sampling period).
kill_reported() {
	guardctl read -n 2>/dev/null | grep -q 'kind=kill'
}
# Whether the pool is back at its target size.
pool_full() {
	[ "$(stat stats pool_pages)" = "$(stat stats pool_target)" ]
}
# Runs an unbounded hog (the command given) under a loaded guard and checks what T8 asks: the
# pool is released chunk by chunk, the kill happens and is reported, the guard keeps working,
# and the pool refills once memory is back.
unbounded_oom() {
	guardctl set refill_delay_ms=200 || fail "set refill_delay_ms"
	kills=$(vmstat oom_kill)
	"$@" >/dev/null 2>&1
	rc=$?
	[ "$rc" = 137 ] || fail "the unbounded hog '$*' was not killed (exit $rc)"
	[ "$(vmstat oom_kill)" -gt "$kills" ] || fail "oom_kill did not move"
	wait_for 5 "no KILL event within 5 s" kill_reported
	guardctl read -n >/tmp/ev 2>/dev/null
	grep -v 'kind=pool op=2' /tmp/ev | cut -c1-240
	contiguous 0 </tmp/ev || fail "events not contiguous"
	grep -q 'kind=oom action=release' /tmp/ev || fail "the pool was never released"
	grep -Eq 'kind=oom action=(pool-empty|pool-short|budget-spent)' /tmp/ev ||
		fail "no OOM event saying why the kill went ahead"
	grep -q 'kind=kill kills=[1-9]' /tmp/ev || fail "no KILL event"
	[ "$(stat stats kills)" -ge 1 ] || fail "stats.kills not counted"
	# Memory is back: the pool refills to its target.
	target=$(stat stats pool_target)
	wait_for 10 "pool did not refill within 10 s: $(stat stats pool_pages)/$target" pool_full
	guardctl read -n 2>/dev/null | grep -q 'kind=pool op=2' || fail "no refill event"
	echo "pool back to $target pages; refills: $(stat stats pages_refilled) pages"
	[ "$(guardctl version)" = "abi=2.1" ] || fail "device broken after the OOM"
}
# How far a hog gets before the OOM killer stops it, in MiB, with whatever is loaded now. Costs
# one OOM kill (or, under an averting guard, the pool and then one kill).
reach_mib() {
	echo $(($(reach_kib) / 1024))
}
# The same in KiB.
reach_kib() {
	rm -f /tmp/reach
	MEMHOG_PROGRESS=/tmp/reach memhog 64G >/dev/null 2>&1
	tr -d ' ' </tmp/reach
}
# Starts a process holding MIB MiB (standing in for a pool), waits until it holds them; its pid
# is in $HOLDER.
hold_mib() { # hold_mib MIB
	# No stale "done" from an earlier holder: the new one's redirection may not have truncated
	# the file yet when the loop below first looks.
	rm -f /tmp/holder
	memhog "${1}M" 0 600 >/tmp/holder 2>&1 &
	HOLDER=$!
	until grep -q done /tmp/holder 2>/dev/null; do
		kill -0 $HOLDER 2>/dev/null || fail "the holder of $1 MiB died: $(cat /tmp/holder)"
		sleep 0.1
	done
}
# The demo's scenario, sized from figures measured in this guest with the module's default
# parameters. Before each spike, CAP: how far a hog gets while the guard holds its pool but
# releases nothing (policy observe, one OOM kill); the spike is CAP plus half the pool, which
# only the pool can cover. (A capacity measured by running into the OOM killer moves by several
# MiB from one run to the next, with what sits on the per-CPU page lists, so each spike is sized
# from a fresh one.) RUNS spikes with the guard averting, the pool refilled in between; then the
# same once without the guard, a process holding what the pool held. Prints the figures and one
# verdict line; returns 0 only for "averted every time with the guard, killed without".
avert_scenario() { # avert_scenario RUNS [READER_LOG]: with READER_LOG, oom-guard follows the guard there
	runs=$1
	# Per-CPU page lists capped at about 1 MiB a CPU, as README's "On a board" advises: with the
	# default auto-tuned size, the CPU that freed a killed hog's pages kept 12 to 16 MiB of them
	# on its list for about 10 s, free but invisible to the watermark check of an allocation on
	# the other CPU, so a spike right after the capacity measurement met up to 14 MiB less than
	# it and the pool (16 MiB) could not make up for it (9 of 10 and worse on both arches).
	pcp_fraction=$(cat /proc/sys/vm/percpu_pagelist_high_fraction)
	echo 1000 >/proc/sys/vm/percpu_pagelist_high_fraction || fail "cannot set vm.percpu_pagelist_high_fraction"
	# SCENARIO_PARAMS: module parameters besides the defaults (33 runs ten spikes back to back).
	# shellcheck disable=SC2086
	load ${SCENARIO_PARAMS:-}
	pool_mib=$(($(stat stats pool_target) * 4 / 1024))
	reader=
	if [ -n "${2:-}" ]; then
		oom-guard watch >"$2" 2>"$2.err" &
		reader=$!
	fi
	averted=0 i=0
	while [ $i -lt "$runs" ]; do
		i=$((i + 1))
		guardctl set policy=0 || fail "guardctl set policy=0"
		CAP=$(reach_mib)
		guardctl set policy=1 || fail "guardctl set policy=1"
		pcp="$(pcp_kib) KiB on the per-CPU lists after the capacity"
		SPIKE=$((CAP + pool_mib / 2))
		kills=$(vmstat oom_kill)
		released=$(stat stats pages_released)
		if memhog "${SPIKE}M" >/dev/null 2>&1 && [ "$(vmstat oom_kill)" = "$kills" ]; then
			averted=$((averted + 1))
			echo "spike $i: capacity with the $pool_mib MiB pool held $CAP MiB, spike $SPIKE MiB: averted, $(($(stat stats pages_released) - released)) pages released ($pcp)"
		else
			echo "spike $i: capacity with the $pool_mib MiB pool held $CAP MiB, spike $SPIKE MiB: KILLED ($pcp); the last OOM records:"
			guardctl read -n 2>/dev/null | grep 'kind=oom' | tail -n 6 | cut -c1-230
		fi
		wait_for 60 "the pool did not refill after spike $i" pool_full
	done
	if [ -n "$reader" ]; then
		kill "$reader"
		wait "$reader" 2>/dev/null
	fi
	unload
	hold_mib $((pool_mib + 1))
	CAP=$(reach_mib)
	SPIKE=$((CAP + pool_mib / 2))
	kills=$(vmstat oom_kill)
	if memhog "${SPIKE}M" >/dev/null 2>&1 && [ "$(vmstat oom_kill)" = "$kills" ]; then
		without=survived
	else
		without=killed
	fi
	kill $HOLDER
	wait $HOLDER 2>/dev/null
	echo "without the guard: capacity beside a $((pool_mib + 1)) MiB process holding what the pool held $CAP MiB, spike $SPIKE MiB: $without"
	echo "$pcp_fraction" >/proc/sys/vm/percpu_pagelist_high_fraction
	if [ "$averted" = "$runs" ] && [ "$without" = killed ]; then
		echo "VERDICT: averted with the guard ($averted of $runs spikes), killed without"
		return 0
	fi
	echo "VERDICT: FAILED: averted $averted of $runs spikes with the guard, $without without"
	return 1
}
# Saves `guardctl stats` in FILE and the uptime in ms at the moment they were read in FILE.t, so
# that a window between two snapshots is timed from the reads (on a slow guest reading the
# stats takes a noticeable part of a second).
stats_snap() { # stats_snap FILE
	guardctl stats >"$1" || fail "guardctl stats"
	awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime >"$1.t"
}
# ---- Board profiles (qemu/board-*.conf, docs/TESTING.md) ---------------------------------------
# Seconds since an uptime T0 read from /proc/uptime, to a tenth.
since() { # since T0
	awk -v a="$1" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%.1f", b - a }'
}
# Whether this guest boots in a board profile (guard.board=1 on the kernel command line).
board_profile() {
	[ "$(cmdline_arg guard.board)" = 1 ]
}
# Populated zones of /proc/zoneinfo (present pages > 0), one a line: NODE:NAME MANAGED_PAGES.
zones_populated() {
	awk '$1 == "Node" { node = $2; sub(",", "", node); zone = $4 }
		$1 == "present" { present = $2 }
		$1 == "managed" && present > 0 { print node ":" zone " " $2 }' /proc/zoneinfo
}
# The memory shape in one line: meminfo's totals in KiB, the nodes, and the populated zones as
# NODE:NAME:MANAGED_PAGES.
board_shape() {
	printf 'MemTotal=%s Cached=%s SwapTotal=%s CmaTotal=%s kB nodes=%s zones=%s' \
		"$(meminfo MemTotal)" "$(meminfo Cached)" "$(meminfo SwapTotal)" "$(meminfo CmaTotal)" \
		"$(zones_populated | cut -d: -f1 | sort -u | wc -l)" \
		"$(zones_populated | tr ' ' ':' | paste -sd, -)"
}
# Reads the data disk's files again, so that the page cache is warm as board_setup left it: a
# test that ran before on the board profile (31-load-safety's holder of most of memory) can have
# evicted it. Prints how long it took.
board_rewarm() {
	br_t0=$(cut -d' ' -f1 /proc/uptime)
	cat /mnt/data/data/* >/dev/null 2>&1 || fail "cannot read /mnt/data/data (board_setup's data disk)"
	echo "cache re-warmed in $(since "$br_t0") s: Cached=$(meminfo Cached) kB"
}
# Run by guest/init in a board profile, before the mode: mounts the data disk (scripts/mkdisk.sh)
# read-only at /mnt/data and reads every file on it to warm the page cache, then sets up 1 GiB
# of lz4 zram swap. Prints one line `board: <shape> warm=<s>` (kept in /tmp/board.shape for the
# tests) and a `board: ...` line for every step that failed; the board tests judge the shape.
board_setup() {
	bs_t0=$(cut -d' ' -f1 /proc/uptime)
	mkdir -p /mnt/data
	if mount -t ext4 -o ro /dev/vda /mnt/data; then
		cat /mnt/data/data/* >/dev/null || echo "board: reading /mnt/data failed"
	else
		echo "board: cannot mount /dev/vda (ext4) read-only at /mnt/data"
	fi
	bs_warm=$(since "$bs_t0")
	if [ -d /sys/block/zram0 ]; then
		# The algorithm must be set before the size; lz4 may already be the only one built.
		echo lz4 >/sys/block/zram0/comp_algorithm 2>/dev/null
		{ echo 1G >/sys/block/zram0/disksize && mkswap /dev/zram0 >/dev/null && swapon /dev/zram0; } ||
			echo "board: zram swap set-up failed"
	else
		echo "board: no /sys/block/zram0 (CONFIG_ZRAM)"
	fi
	echo "$(board_shape) warm=${bs_warm}s" >/tmp/board.shape
	echo "board: $(cat /tmp/board.shape)"
}
# Fills free memory with page cache, as on a board after days of uptime: reads the data disk's
# sparse file (holes: no disk I/O) for as many MiB as are free plus SLACK_MIB, so the allocator
# wakes kswapd and free memory ends where a full cache keeps it, near the high watermarks.
cache_fill() { # cache_fill [SLACK_MIB]
	[ -f /mnt/data/fill ] || fail "no /mnt/data/fill (the board data disk, scripts/mkdisk.sh)"
	cf_mib=$(($(meminfo MemFree) / 1024 + ${1:-64}))
	cf_t0=$(cut -d' ' -f1 /proc/uptime)
	dd if=/mnt/data/fill of=/dev/null bs=1M count=$cf_mib 2>/dev/null || fail "reading /mnt/data/fill failed"
	echo "cache_fill: read $cf_mib MiB in $(since "$cf_t0") s; Cached=$(meminfo Cached) kB MemFree=$(meminfo MemFree) kB"
}
