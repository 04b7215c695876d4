# guard-tier: core
# A hog that approaches the watermarks slowly drives the level ok -> low -> min (an OOM the
# pool averts in one chunk), and back to ok: every change reported once, in order, with
# contiguous sequence numbers, and the per-zone numbers in each event justify the change the
# way the allocator decides for a user page: the best zone counts (the DMA zone of these
# guests serves user pages too, once DMA32 is below its marks). The kernel's own counters
# agree: kswapd ran (low) and allocations stalled in direct reclaim (min).
. /guard/lib.sh
# One chunk is the whole (32 MiB) pool, so a single avert lifts memory well above high.
load pool_kib=32768 release_chunk=8192 refill_delay_ms=600000
# On a 256 MiB guest the watermarks sit about 0.5 MiB apart, less than one refill of the per-CPU
# page lists, so the free count can step over a whole band between two samples. Spread them the
# way integrators of small boards do (vm.watermark_scale_factor, 2% of memory between marks).
wsf=/proc/sys/vm/watermark_scale_factor
old_wsf=$(cat $wsf)
echo 200 >$wsf || fail "cannot set watermark_scale_factor"
# The kernel boosts the watermarks for a moment after fragmenting allocations; on a 256 MiB guest
# that lifts min above the current free pages and goes straight to an OOM between two samples.
# Turn boosting off so this test sees the plain watermarks (the boost itself is covered by the
# classification's unit tests).
knob=/proc/sys/vm/watermark_boost_factor
boost=$(cat $knob)
echo 0 >$knob || fail "cannot turn watermark boosting off"
trap 'echo $boost >$knob; echo $old_wsf >$wsf' EXIT
# A boost left by an earlier OOM lingers until kswapd next runs, so this test runs before the
# other OOM tests of the suite; skip if some boost is there anyway.
guardctl zones | grep '^zone' | grep -qv ' boost=0 ' &&
	skip "a watermark boost from an earlier test is in place: $(guardctl zones | grep '^zone')"
# Fill fast to about 6 MiB above the high watermark and hold, then creep down at 2 MiB/s in
# 64 KiB steps into the first OOM.
avail=$(meminfo MemAvailable)
memhog "$((avail / 1024 - 6))M" 0 60 >/tmp/bulk &
bulk=$!
i=0
until grep -q done /tmp/bulk; do
	i=$((i + 1))
	[ $i -le 300 ] || fail "bulk hog did not finish"
	sleep 0.1
done
samples=$(stat stats samples)
stalls() { awk '$1 ~ /^allocstall_/ { s += $2 } END { print s + 0 }' /proc/vmstat; }
stall0=$(stalls) scan0=$(vmstat pageoutrun)
# Creep until the first OOM, then let go of everything.
memhog 128M 2M 0 64K >/dev/null 2>&1 &
creep=$!
i=0
until [ "$(stat stats oom_calls)" -ge 1 ]; do
	i=$((i + 1))
	[ $i -le 600 ] || fail "no OOM within 60 s of creeping"
	sleep 0.1
done
kill $creep $bulk
wait $creep
wait $bulk
[ "$(stat stats kills)" = 0 ] || fail "a hog was killed: the pool should have averted the OOM"
echo "monitor samples during the creep: $(($(stat stats samples) - samples))"
stall1=$(stalls) scan1=$(vmstat pageoutrun)
echo "kernel: allocstall $stall0 -> $stall1, kswapd runs (pageoutrun) $scan0 -> $scan1"
i=0
until [ "$(stat stats level)" = 0 ]; do
	i=$((i + 1))
	[ $i -le 50 ] || fail "level did not return to ok"
	sleep 0.1
done
guardctl read -n >/tmp/ev
grep -E 'kind=(pressure|oom)' /tmp/ev | cut -c1-220
contiguous 0 </tmp/ev || fail "events not contiguous"
grep kind=pressure /tmp/ev | awk '
	{ for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] } }
	NR == 1 && f["old"] != 0 { print "first change does not start at ok"; exit 1 }
	NR > 1 && f["old"] != prev { print "transition does not chain: " $0; exit 1 }
	{
		# Each zone: name:state:free:min:low:high:boost:reserve; a zone with its reserve
		# above its size serves nothing and passes no mark. The best zone decides.
		nz = split(f["marks"], zs, ",")
		above_high = 0; below_low = 1
		for (j = 1; j <= nz; j++) {
			split(zs[j], m, ":")
			extra = m[7] + m[8]
			if (m[3] > m[6] + extra) above_high = 1
			if (m[3] > m[5] + extra) below_low = 0
		}
		if (f["new"] == 0 && !above_high) { print "back to ok while no zone is above high: " $0; exit 1 }
		if (f["new"] == 1 && f["old"] == 0 && !below_low) { print "low while a zone is above low: " $0; exit 1 }
		if (f["new"] == 1 && f["old"] == 2 && below_low) { print "min -> low while every zone is still at or below low: " $0; exit 1 }
	}
	{ prev = f["new"]; seen[f["new"]] = 1 }
	END { if (!seen[1] || !seen[2]) { print "did not see both low (1) and min (2)"; exit 1 }
	      if (prev != 0) { print "did not end at ok"; exit 1 } }' || fail "bad level sequence"
n=$(grep -c kind=pressure /tmp/ev)
# ok > low > min > ok, with a stop at low on the way back at most, and a few ok <-> low turns
# on the way down when the DMA zone, which user pages reach last, passes high again (kswapd then
# stops too: pgdat_balanced()).
[ "$n" -ge 3 ] && [ "$n" -le 10 ] || fail "expected 3 to 10 level changes for one dip, got $n"
[ "$stall1" -gt "$stall0" ] || fail "level min, but no allocation stalled in direct reclaim"
[ "$scan1" -gt "$scan0" ] || fail "level low, but kswapd never ran"
[ "$(stat stats level_changes)" = "$n" ] || fail "stats.level_changes disagrees"
grep -q 'kind=oom action=release' /tmp/ev || fail "no averted OOM"
echo "ok -> low -> min -> ok in $n changes, each justified by the zones' numbers"
unload
