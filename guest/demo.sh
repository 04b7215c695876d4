#!/bin/sh
# `make run`: load the guard, show it averting a real OOM kill, unload it.
. /guard/lib.sh
echo "=== rust_oom_guard demo on $(uname -r) $(uname -m), $(($(meminfo MemTotal) / 1024)) MiB RAM, no swap ==="
echo "--- how much can one process allocate? (a hog runs into the OOM killer)"
cap=$(capacity_mib)
echo "$cap MiB"
echo "--- insmod $MODULE release_chunk=1024"
insmod "$MODULE" release_chunk=1024 || { echo "demo: insmod failed"; exit 1; }
dmesg | grep rust_oom_guard: | tail -n 1 | sed 's/^\[[ 0-9.]*\] //'
ls -l /dev/oom_guard
guardctl version
echo "--- zones (ioctl), pages:"
guardctl zones | grep -E '^(level|zone)'
# A reader follows the device in the background, like a logging daemon would.
oom-guard watch >/tmp/events 2>/tmp/events.err &
reader=$!
spike=$((cap - 12))
echo "--- a spike of $spike MiB: with the guard's 16 MiB pool held, that is about 5 MiB too many"
kills=$(vmstat oom_kill)
if memhog "${spike}M"; then echo "the spike completed"; else echo "the spike was killed"; fi
echo "oom_kill in /proc/vmstat: $kills -> $(vmstat oom_kill)"
sleep 1
echo "--- stats:"
guardctl stats | grep -E '^(oom_calls|averts|pages_released|events|callback_max_ns|pool_pages|samples)='
kill $reader
wait $reader 2>/dev/null
echo "--- what the oom-guard reader logged:"
cut -c1-200 /tmp/events
cat /tmp/events.err
echo "--- rmmod rust_oom_guard"
rmmod rust_oom_guard && dmesg | grep rust_oom_guard: | tail -n 1 | sed 's/^\[[ 0-9.]*\] //'
echo "--- the same spike without the guard (a 17 MiB process holds what the pool held):"
memhog 17M 0 600 >/tmp/holder &
holder=$!
until grep -q done /tmp/holder 2>/dev/null; do sleep 0.1; done
if memhog "${spike}M" >/dev/null 2>&1; then echo "the spike completed"; else echo "the spike was killed by the OOM killer"; fi
kill $holder
echo "oom_kill in /proc/vmstat: $(vmstat oom_kill)"
echo "=== demo done ==="
