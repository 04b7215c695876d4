# guard-tier: core
# sysrq-f forces an OOM kill: the notifier is called and its event recorded, but the kernel
# ignores the freed pages there (is_sysrq_oom) and kills anyway, as documented.
. /guard/lib.sh
load
# The victim: a 16 MiB holder the OOM killer prefers; this shell is protected.
echo -1000 >/proc/$$/oom_score_adj
MEMHOG_PROGRESS=/tmp/victim memhog 16M 0 600 >/dev/null 2>&1 &
victim=$!
echo 1000 >/proc/$victim/oom_score_adj
i=0
until [ "$(tr -d ' ' </tmp/victim 2>/dev/null)" = 16384 ]; do
	i=$((i + 1))
	[ $i -le 100 ] || fail "victim did not start"
	sleep 0.1
done
calls=$(stat stats oom_calls)
kills=$(vmstat oom_kill)
echo f >/proc/sysrq-trigger
wait $victim
rc=$?
[ "$rc" = 137 ] || fail "sysrq-f did not kill the victim (exit $rc)"
[ "$(vmstat oom_kill)" = $((kills + 1)) ] || fail "oom_kill $kills -> $(vmstat oom_kill)"
[ "$(stat stats oom_calls)" = $((calls + 1)) ] || fail "notifier calls $calls -> $(stat stats oom_calls)"
guardctl read -n >/tmp/ev 2>/dev/null
grep 'kind=oom' /tmp/ev | cut -c1-200
grep -q 'kind=oom' /tmp/ev || fail "no OOM record for sysrq-f"
wait_for 5 "no KILL event within 5 s" kill_reported
echo "sysrq-f: OOM event recorded, the kernel killed anyway (oom_kill $kills -> $(vmstat oom_kill))"
unload
