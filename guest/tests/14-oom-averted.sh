# A transient spike a little larger than free memory but smaller than the pool: the OOM
# notifier releases pool pages, the kernel skips the kill, the spiking process completes, and
# the OOM events say `avert` with contiguous sequence numbers.
. /guard/lib.sh
load release_chunk=1024
kills=$(vmstat oom_kill)
# MemAvailable (free plus what reclaim can get) + 8 MiB: more than there is, less than the pool.
avail=$(meminfo MemAvailable)
spike=$((avail / 1024 + 8))
memhog "${spike}M" >/tmp/hog.out 2>&1
rc=$?
cat /tmp/hog.out
guardctl read -n >/tmp/ev 2>/dev/null
cat /tmp/ev
[ "$rc" = 0 ] || fail "the spike of $spike MiB (MemAvailable $((avail / 1024)) MiB) did not complete: exit $rc"
[ "$(vmstat oom_kill)" = "$kills" ] || fail "oom_kill moved: $kills -> $(vmstat oom_kill)"
grep -q 'kind=oom action=avert .*comm=memhog' /tmp/ev || fail "no OOM event with action=avert"
grep 'kind=oom' /tmp/ev | grep -qv 'action=avert' && fail "an OOM round was not averted"
contiguous 0 </tmp/ev || fail "events not contiguous"
averts=$(stat stats averts)
released=$(stat stats pages_released)
[ "$averts" -ge 1 ] || fail "stats.averts=$averts"
[ "$released" = $((averts * 1024)) ] || fail "pages_released=$released for $averts averts of 1024"
echo "spike of $spike MiB survived: $averts avert(s), $released pages released, oom_kill unchanged"
unload
# The same spike (8 MiB more than available) without the module is killed: the baseline.
spike=$(($(meminfo MemAvailable) / 1024 + 8))
memhog "${spike}M" >/dev/null 2>&1
rc=$?
[ "$rc" = 137 ] || fail "without the module the spike should be OOM-killed, got exit $rc"
[ "$(vmstat oom_kill)" = $((kills + 1)) ] || fail "without the module: expected one kill"
echo "without the module: the same spike was killed (oom_kill $kills -> $(vmstat oom_kill))"
