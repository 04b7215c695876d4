# guard-tier: plain
# A real global OOM without the module: the kernel kills the hog and counts
# it in /proc/vmstat. This is the baseline the guard is measured against, and
# proves the harness survives OOM reports without calling them splats.
. /guard/lib.sh
module_loaded && fail "module must not be loaded for the baseline"
kills_before=$(vmstat oom_kill)
total_mib=$(($(meminfo MemTotal) / 1024))
memhog "$((total_mib * 2))M" >/dev/null 2>&1
rc=$?
kills_after=$(vmstat oom_kill)
echo "memhog of $((total_mib * 2)) MiB on a $total_mib MiB guest: exit $rc; oom_kill $kills_before -> $kills_after"
[ "$rc" -eq 137 ] || fail "expected the hog to be SIGKILLed (exit 137), got $rc"
[ "$kills_after" -eq $((kills_before + 1)) ] || fail "expected exactly one OOM kill"
dmesg | grep -q 'Out of memory: Killed process [0-9]* (memhog)' || fail "no OOM-killer report for memhog in dmesg"
