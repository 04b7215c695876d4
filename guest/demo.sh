#!/bin/sh
# `make run`: show the guard averting a real OOM kill, sized from figures measured here, and
# fail (exit 1, "VERDICT: FAILED") unless the spike is averted with the guard and killed
# without it.
. /guard/lib.sh
echo "=== rust_oom_guard demo on $(uname -r) $(uname -m), $(($(meminfo MemTotal) / 1024)) MiB RAM ==="
echo "--- zones of this guest (pages):"
insmod "$MODULE" policy=0 || { echo "demo: insmod failed"; exit 1; }
dmesg | grep rust_oom_guard: | tail -n 1 | sed 's/^\[[ 0-9.]*\] //'
guardctl zones | grep -E '^(level|zone)'
rmmod rust_oom_guard
# A reader follows the device in the background, like a logging daemon would.
(until [ -c /dev/oom_guard ]; do sleep 0.05; done; oom-guard watch >/tmp/events 2>/tmp/events.err) &
reader=$!
echo "--- the scenario (default parameters):"
avert_scenario 1
verdict=$?
kill $reader 2>/dev/null
pkill -f "oom-guard watch" 2>/dev/null
wait $reader 2>/dev/null
echo "--- what the oom-guard reader logged:"
cut -c1-200 /tmp/events 2>/dev/null
cat /tmp/events.err 2>/dev/null
echo "=== demo done ==="
exit $verdict
