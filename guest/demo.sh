#!/bin/sh
# `make run`: load the guard, show it working, unload it.
. /guard/lib.sh
echo "=== rust_oom_guard demo on $(uname -r) $(uname -m), $(($(meminfo MemTotal) / 1024)) MiB RAM ==="
echo "--- insmod $MODULE"
insmod "$MODULE" || { echo "demo: insmod failed"; exit 1; }
dmesg | grep rust_oom_guard
echo "--- /proc/modules:"
grep rust_oom_guard /proc/modules
echo "--- memory pressure: memhog 64M at 32M/s"
memhog 64M 32M
echo "--- MemAvailable: $(meminfo MemAvailable) kB"
echo "--- rmmod rust_oom_guard"
rmmod rust_oom_guard && dmesg | grep rust_oom_guard | tail -n 1
echo "=== demo done ==="
