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
module_loaded() {
	[ -d /sys/module/rust_oom_guard ]
}
