# guard-tier: core
# guard-also: series
# Issue 17: a kernel without CONFIG_TRACEPOINTS has no oom:mark_victim tracepoint. The module as
# Kbuild builds it for such a kernel (no victim probe; OOM_GUARD_NO_PROBE=y builds that variant
# here) loads, says once at load that kills are counted without their victims, and reports a
# global OOM kill as a count-only KILL record from the monitor.
. /guard/lib.sh
MODULE=/guard/noprobe/rust_oom_guard.ko
load policy=observe
said=$(dmesg | grep 'rust_oom_guard: victims:' | tail -n 1)
echo "$said"
echo "$said" | grep -q 'no oom:mark_victim probe' || fail "the module does not say it has no probe: $said"
# The kernel log from here on (an OOM report can push the load's lines out of a small log
# buffer, so a count would fall).
dmesg -c >/dev/null
kills0=$(vmstat oom_kill)
memhog 64G >/dev/null 2>&1
rc=$?
[ "$rc" = 137 ] || fail "the hog was not OOM-killed (exit $rc)"
kills=$(($(vmstat oom_kill) - kills0))
wait_for 5 "stats.kills did not reach $kills" eval '[ "$(stat stats kills)" -ge $kills ]'
guardctl read -n | grep 'kind=kill' >/tmp/kills
cat /tmp/kills
[ -s /tmp/kills ] || fail "no KILL record"
sum=$(awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^kills=/) k += substr($i, 7) } END { print k + 0 }' /tmp/kills)
[ "$sum" = "$kills" ] || fail "KILL records count $sum kills, oom_kill moved by $kills"
grep -v 'kill_flags=0 ' /tmp/kills && fail "a KILL record names a victim without the probe"
grep -v 'victim_pid=0 ' /tmp/kills && fail "a KILL record has a victim pid without the probe"
[ "$(stat stats victims)" = 0 ] || fail "stats.victims=$(stat stats victims) without the probe"
! dmesg | grep 'rust_oom_guard: victims:' || fail "the module said more about victims after load"
unload
