#!/bin/sh
# `make bench`: figures measured inside the guest, as `bench: KEY VALUE UNIT` lines.
. /guard/lib.sh
echo "bench: boot_to_init $(cut -d' ' -f1 /proc/uptime) s"
# Module load and unload wall time, median of 21 rounds.
: >/tmp/load
: >/tmp/unload
for i in $(seq 21); do
	timeit insmod "$MODULE" 2>>/tmp/load || { echo "bench: insmod failed"; exit 1; }
	timeit rmmod rust_oom_guard 2>>/tmp/unload || { echo "bench: rmmod failed"; exit 1; }
done
median() { awk '/^timeit:/ { print $2 }' "$1" | sort -n | sed -n 11p; }
echo "bench: insmod_median $(median /tmp/load) us"
echo "bench: rmmod_median $(median /tmp/unload) us"
# OOM callback cost with the default chunk (256 pages): an unbounded hog drains the whole 16 MiB
# pool, one averted OOM round per chunk (64 rounds), until the pool is empty and the kernel kills.
insmod "$MODULE" avert_budget=1000 || { echo "bench: insmod failed"; exit 1; }
memhog 64G >/dev/null 2>&1
echo "bench: oom_rounds $(stat stats oom_calls) calls"
echo "bench: oom_callback_max $(stat stats callback_max_ns) ns"
echo "bench: oom_callback_avg $(stat stats callback_avg_ns) ns"
rmmod rust_oom_guard
