# An unbounded hog: the pool is released chunk by chunk, then the kill happens and is
# reported; the guard keeps working and the pool refills once memory is back.
. /guard/lib.sh
load
guardctl set refill_delay_ms=200 || fail "set refill_delay_ms"
kills=$(vmstat oom_kill)
memhog 4G >/dev/null 2>&1
rc=$?
[ "$rc" = 137 ] || fail "the unbounded hog was not killed (exit $rc)"
[ "$(vmstat oom_kill)" -gt "$kills" ] || fail "oom_kill did not move"
# The monitor reports the kill within its sampling period.
i=0
until guardctl read -n 2>/dev/null | grep -q 'kind=kill'; do
	i=$((i + 1))
	[ $i -le 50 ] || fail "no KILL event within 5 s"
	sleep 0.1
done
guardctl read -n >/tmp/ev 2>/dev/null
grep -v 'kind=pool op=2' /tmp/ev
contiguous 0 </tmp/ev || fail "events not contiguous"
grep -q 'kind=oom action=avert' /tmp/ev || fail "the pool was never released"
grep -Eq 'kind=oom action=(pool-empty|budget-spent)' /tmp/ev || fail "no OOM event saying why the kill went ahead"
grep -q 'kind=kill kills=[1-9]' /tmp/ev || fail "no KILL event"
[ "$(stat stats kills)" -ge 1 ] || fail "stats.kills not counted"
# Memory is back: the pool refills to its target.
target=$(stat stats pool_target)
i=0
until [ "$(stat stats pool_pages)" = "$target" ]; do
	i=$((i + 1))
	[ $i -le 100 ] || fail "pool did not refill within 10 s: $(stat stats pool_pages)/$target"
	sleep 0.1
done
guardctl read -n 2>/dev/null | grep -q 'kind=pool op=2' || fail "no refill event"
echo "pool back to $target pages; refills: $(stat stats pages_refilled) pages"
[ "$(guardctl version)" = "abi=1.0" ] || fail "device broken after the OOM"
unload
