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
	guardctl "$1" | awk -F= -v k="$2" '$1 == k { print $2 }'
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
