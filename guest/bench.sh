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
# The reader during an OOM storm: VmRSS and RssAnon of `oom-guard watch --format json` (memory
# locked, as it runs by default), sampled every 50 ms while an unbounded hog drives the module
# through averted OOM rounds to a kill; the maximum over the storm. Then its static binary.
insmod "$MODULE" avert_budget=1000 || { echo "bench: insmod failed"; exit 1; }
oom-guard watch --format json >/tmp/bench.json 2>/tmp/bench.err &
reader=$!
sleep 1
while kill -0 $reader 2>/dev/null; do
	cat /proc/$reader/status 2>/dev/null
	sleep 0.05
done >/tmp/reader.status &
sampler=$!
memhog 64G >/dev/null 2>&1
sleep 1
kill $sampler
kill -TERM $reader
wait $reader
rmmod rust_oom_guard
peak() { awk -v k="$1:" '$1 == k && $2 + 0 > m { m = $2 + 0 } END { print m + 0 }' /tmp/reader.status; }
echo "bench: reader_records $(grep -c '"seq":' /tmp/bench.json) records"
echo "bench: reader_rss_kib $(peak VmRSS) kib"
echo "bench: reader_rss_anon_kib $(peak RssAnon) kib"
echo "bench: reader_binary_bytes $(wc -c </guard/bin/oom-guard) bytes"
