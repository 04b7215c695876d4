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
# ABI 2.1: every release says how many pool blocks it freed and how long freeing them took, a
# part of the callback's time.
awk '/kind=oom action=release/ {
	for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	n++
	if (v["size"] != 704 || v["blocks_freed"] < 1 || v["free_ns"] < 1 ||
	    v["free_ns"] + 0 > v["callback_ns"] + 0) { print "bad release record: " $0; bad++ }
} END { exit !(n > 0 && bad == 0) }' /tmp/ev || fail "release records without free_ns/blocks_freed"
# A client built for ABI 2.0 reads with its 688-byte OOM_GUARD_MAX_RECORD: it still gets every
# record, the OOM records in their 2.0 size.
guardctl read -n -b 688 >/tmp/ev688 2>/dev/null
[ "$(wc -l </tmp/ev688)" = "$(wc -l </tmp/ev)" ] ||
	fail "a 688-byte reader got $(wc -l </tmp/ev688) records of $(wc -l </tmp/ev)"
grep -q 'size=688 .*kind=oom action=release .*free_ns=0 blocks_freed=0' /tmp/ev688 ||
	fail "no 2.0-sized OOM record for a 688-byte buffer"
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
