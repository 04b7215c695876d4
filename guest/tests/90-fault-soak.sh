# guard-tier: soak
# The x86_64 stall reproducer (issue 13), on demand. Each round starts the static-pie tools many
# times (memhog, guardctl), has the kernel compact memory (which moves their page-cache pages
# and frees the old ones), then two hogs, one per CPU, fault in fresh pages; no round's hogs may
# cost three times the baseline round's (the same hogs before any of it). Under TCG with user-space ASLR (guard.soak_aslr=2) every
# tool run translates its code afresh at a new address and QEMU hangs the translations on the
# same physical pages; once such a page is freed and cleared for a hog, QEMU drops them one by
# one, each removal walking the page's whole list, and the hog crawls (133 s instead of 0.45 s
# for 150 MiB, seen here). The guests boot with norandmaps, which this test proves sufficient.
# Kernel arguments (qemu-run.sh GUARD_ARGS):
#   guard.soak_rounds=N   rounds (default 20)
#   guard.soak_procs=N    tool runs per round (default 300, each of memhog and guardctl)
#   guard.soak_aslr=0|2   kernel.randomize_va_space for the test (default: as booted, 0)
. /guard/lib.sh
rounds=$(cmdline_arg guard.soak_rounds 20)
procs=$(cmdline_arg guard.soak_procs 300)
aslr=$(cmdline_arg guard.soak_aslr "")
[ -n "$aslr" ] && echo "$aslr" >/proc/sys/kernel/randomize_va_space
[ -w /proc/sys/vm/compact_memory ] || skip "no /proc/sys/vm/compact_memory (CONFIG_COMPACTION)"
cpus=$(grep -c '^processor' /proc/cpuinfo)
echo "soak: $rounds rounds of $procs runs each of memhog and guardctl, compaction, then $cpus hogs;" \
	"randomize_va_space $(cat /proc/sys/kernel/randomize_va_space), $(uname -m), clear_page: $(clear_page_flavour)"
# hogs ROUND: two hogs (one per CPU) fault in 60 % of what is available between them (no OOM,
# most of free memory); one line per round in /tmp/soak.rounds: number, MiB, wall ms, ms per MiB.
hogs() {
	mib=$(($(meminfo MemAvailable) * 60 / 100 / 1024 / cpus))
	start=$(cut -d' ' -f1 /proc/uptime)
	pids=
	c=0
	while [ "$c" -lt "$cpus" ]; do
		c=$((c + 1))
		memhog "${mib}M" >/dev/null 2>&1 &
		pids="$pids $!"
	done
	for p in $pids; do
		wait "$p" || fail "round $1: a ${mib} MiB hog failed (exit $?)"
	done
	end=$(cut -d' ' -f1 /proc/uptime)
	awk -v r="$1" -v a="$start" -v b="$end" -v m="$((mib * cpus))" 'BEGIN {
		ms = (b - a) * 1000; printf "%d %d %.0f %.2f\n", r, m, ms, ms / m }' >>/tmp/soak.rounds
}
# Round 0, the baseline: the same hogs before any tool run or compaction (after one untimed
# round: QEMU maps the guest's RAM on first touch).
: >/tmp/soak.rounds
hogs 0
: >/tmp/soak.rounds
hogs 0
migrated0=$(vmstat pgmigrate_success)
r=0
while [ "$r" -lt "$rounds" ]; do
	r=$((r + 1))
	i=0
	while [ "$i" -lt "$procs" ]; do
		i=$((i + 1))
		memhog 64K >/dev/null 2>&1 || fail "round $r: memhog 64K failed"
		guardctl version >/dev/null 2>&1
	done
	echo 1 >/proc/sys/vm/compact_memory
	hogs "$r"
done
echo "soak: compaction moved $(($(vmstat pgmigrate_success) - migrated0)) pages in all"
# A stall is a round whose hogs cost three times the baseline per MiB and took 2 s longer than
# the baseline (a 10 ms uptime tick cannot make one).
set -- $(head -n 1 /tmp/soak.rounds)
base_t=$3 base=$4
sed 1d /tmp/soak.rounds | sort -n -k4 | awk -v base="$base" '{ c[NR] = $4 } END {
	printf "soak: hogs, ms per MiB: baseline %.2f; after tool runs and compaction min %.2f, median %.2f, max %.2f over %d rounds\n",
		base, c[1], c[int((NR + 1) / 2)], c[NR], NR }'
sed 1d /tmp/soak.rounds | awk -v base="$base" '$4 > 2 * base { printf "soak: slow round %d: %d MiB in %d ms (%.2f ms/MiB, %.1fx the baseline)\n",
	$1, $2, $3, $4, $4 / base }'
stalls=$(sed 1d /tmp/soak.rounds | awk -v base="$base" -v bt="$base_t" '$4 > 3 * base && $3 >= bt + 2000' | wc -l)
echo "soak: $stalls stalled round(s)"
[ "$stalls" = 0 ] || fail "$stalls round(s) stalled (3x the baseline cost per MiB and 2 s longer)"
