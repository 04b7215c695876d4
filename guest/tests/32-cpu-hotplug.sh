# guard-tier: core
# guard-also: board
# CPU hotplug under the monitor: the per-CPU peek timers follow CPUs going offline and coming
# back (cpuhp callbacks), a CPU that comes back peeks again, and unloading with a CPU offline
# or after the cycles is clean (the debug kernel checks the timers with DEBUG_OBJECTS_TIMERS).
. /guard/lib.sh
cpu=/sys/devices/system/cpu/cpu1/online
[ -w $cpu ] || skip "cpu1 cannot go offline here"
load
spin() { # spin SECONDS: keep cpu1 busy, so its deferrable timer runs
	taskset -c 1 timeout "$1" sh -c 'while :; do :; done' 2>/dev/null
	true
}
for round in 1 2 3; do
	echo 0 >$cpu || fail "offlining cpu1 (round $round)"
	sleep 0.3
	echo 1 >$cpu || fail "onlining cpu1 (round $round)"
	# Deferrable 10 ms timers run only on a CPU that is awake: a second with cpu1 spinning
	# must see many more runs than a quiet one, or cpu1 has no timer.
	r0=$(stat stats peek_runs)
	sleep 1
	r1=$(stat stats peek_runs)
	spin 1
	r2=$(stat stats peek_runs)
	quiet=$((r1 - r0)) busy=$((r2 - r1))
	[ "$busy" -ge $((quiet + 40)) ] ||
		fail "round $round: $busy peek runs in 1 s with cpu1 busy, $quiet in a quiet second"
	echo "round $round: cpu1 off and on; peek runs: $quiet in a quiet second, $busy with cpu1 busy"
done
echo 0 >$cpu || fail "offlining cpu1"
unload
echo 1 >$cpu || fail "onlining cpu1"
load
echo 0 >$cpu && echo 1 >$cpu || fail "cycle after reload"
unload
dmesg | grep -E "ODEBUG|WARNING|BUG" && fail "kernel warnings during hotplug"
echo "clean"
