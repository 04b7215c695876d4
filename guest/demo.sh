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
echo "--- the scenario (default parameters; the oom-guard reader follows the guard like a logging daemon):"
avert_scenario 1 /tmp/events
verdict=$?
echo "--- what the oom-guard reader logged while the guard averted the spike:"
cut -c1-200 /tmp/events 2>/dev/null
cat /tmp/events.err 2>/dev/null
echo "=== demo done ==="
exit $verdict
