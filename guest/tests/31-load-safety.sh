# guard-tier: core
# guard-also: board
# Loading never harms: a pool above half of managed memory fails the load with EINVAL and one
# pr_err naming pool_kib and the limit; a pool that fits that limit but not in the memory
# available now fails with ENOMEM and one pr_err; neither OOM-kills anyone (a holder process
# keeps its memory) and neither leaves memory behind.
. /guard/lib.sh
total_kib=$(meminfo MemTotal)
kills0=$(vmstat oom_kill)
dmesg -c >/dev/null
too_big=$((total_kib / 2 + 4096))
out=$(guardctl insmod "$MODULE" pool_kib=$too_big)
[ "$out" = EINVAL ] || fail "insmod pool_kib=$too_big (over half of $total_kib KiB): expected EINVAL, got $out"
module_loaded && fail "module loaded with pool_kib=$too_big"
[ "$(dmesg | grep -c 'rust_oom_guard: invalid pool_kib=')" = 1 ] || fail "expected one 'invalid pool_kib=' line: $(dmesg | tail -n 3)"
echo "pool_kib=$too_big -> EINVAL: $(dmesg | grep 'invalid pool_kib=' | sed 's/^\[[ 0-9.]*\] //')"
# A holder takes most of what is available; a pool under the limit but over what is left.
avail=$(meminfo MemAvailable)
hold=$((avail * 7 / 10 / 1024))
hold_mib "$hold"
holder=$HOLDER
left=$(meminfo MemAvailable)
pool=$((left + 8192))
[ "$pool" -lt $((total_kib / 2)) ] || skip "no room to test ENOMEM under the limit (available $left KiB)"
dmesg -c >/dev/null
out=$(guardctl insmod "$MODULE" pool_kib=$pool)
[ "$out" = ENOMEM ] || fail "insmod pool_kib=$pool with $left KiB available: expected ENOMEM, got $out"
module_loaded && fail "module loaded with pool_kib=$pool"
[ "$(dmesg | grep -c 'rust_oom_guard: pool_kib=')" = 1 ] || fail "expected one 'pool_kib=' line: $(dmesg | tail -n 3)"
echo "pool_kib=$pool with $left KiB available -> ENOMEM: $(dmesg | grep 'rust_oom_guard: pool_kib=' | sed 's/^\[[ 0-9.]*\] //')"
kill -0 $holder || fail "the holder was killed"
[ "$(vmstat oom_kill)" = "$kills0" ] || fail "a failed load OOM-killed a process"
kill $holder
wait $holder 2>/dev/null
# Nothing left behind: the default load works and its pool is all there.
load
pool_full || fail "pool not full after a normal load"
unload
echo "no kill, nothing leaked"
