# guard-tier: core
# guard-also: series
# A transient spike a little larger than what can be allocated but smaller than the pool: the
# OOM notifier releases pool pages, the kernel skips the kill, the spiking process completes,
# and the OOM events say `release` with contiguous sequence numbers. The same spike with the same
# memory taken but no guard is killed.
. /guard/lib.sh
cap=$(capacity_mib)
echo "capacity without the module: $cap MiB"
load pool_kib=65536 release_chunk=2048
kills=$(vmstat oom_kill)
# The module holds 64 MiB of pool (and its ring); the spike needs about 24 MiB of it, plus
# whatever watermark boost the kernel left in place (up to 5 MiB here), which each release must
# first fill, give or take the noise of a capacity measured by running into the OOM killer
# (several MiB).
spike=$((cap - 41))
memhog "${spike}M" >/tmp/hog.out 2>&1
rc=$?
cat /tmp/hog.out
guardctl read -n >/tmp/ev 2>/dev/null
cut -c1-200 /tmp/ev
[ "$rc" = 0 ] || fail "the spike of $spike MiB did not complete: exit $rc"
[ "$(vmstat oom_kill)" = "$kills" ] || fail "oom_kill moved: $kills -> $(vmstat oom_kill)"
grep -q 'kind=oom action=release .*comm=memhog' /tmp/ev || fail "no OOM event with action=release"
grep 'kind=oom' /tmp/ev | grep -qv 'action=release' && fail "an OOM round was not averted"
contiguous 0 </tmp/ev || fail "events not contiguous"
averts=$(stat stats averts)
released=$(stat stats pages_released)
[ "$averts" -ge 1 ] || fail "stats.averts=$averts"
# Each avert releases release_chunk pages plus what lifts the zone back above its min watermark.
[ "$released" -ge $((averts * 2048)) ] || fail "pages_released=$released for $averts averts of at least 2048"
echo "spike of $spike MiB survived: $averts avert(s), $released pages released, oom_kill unchanged"
unload
# Baseline: the same memory taken (a 65 MiB holder stands in for the pool and ring), no guard.
hold_mib 65
holder=$HOLDER
memhog "${spike}M" >/dev/null 2>&1
rc=$?
kill $holder
wait $holder
[ "$rc" = 137 ] || fail "without the module the spike should be OOM-killed, got exit $rc"
[ "$(vmstat oom_kill)" = $((kills + 1)) ] || fail "without the module: expected one kill, oom_kill $kills -> $(vmstat oom_kill)"
echo "without the module: the same spike was killed (oom_kill $kills -> $(vmstat oom_kill))"
