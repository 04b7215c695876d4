# guard-tier: core
# On the debug kernel, the checkers the suite relies on are really active:
# KASAN, lockdep, kmemleak (its scan runs after the tests), atomic-sleep
# checks. Skipped on the other kernels.
. /guard/lib.sh
debug_kernel || skip "not the debug kernel"
dmesg | grep -q 'KernelAddressSanitizer initialized' || fail "KASAN is not initialized"
[ -r /proc/lockdep_stats ] || fail "no /proc/lockdep_stats: lockdep is off"
grep -q 'lock-classes:' /proc/lockdep_stats || fail "lockdep_stats unreadable"
debug_locks=$(awk -F: '/debug_locks:/ { gsub(/ /, "", $2); print $2 }' /proc/lockdep_stats)
[ "$debug_locks" = 1 ] || fail "lockdep turned itself off (debug_locks=$debug_locks)"
[ -w /sys/kernel/debug/kmemleak ] || fail "no /sys/kernel/debug/kmemleak"
echo "KASAN on; lockdep on ($(grep 'lock-classes:' /proc/lockdep_stats | tr -s ' ')); kmemleak on"
