# guard-tier: core
# Issue 6: a quiet guest costs next to nothing. Over 6 s with nothing allocating, the module
# sends no event (no pressure, headroom or reclaim change) and its monitor wakes at most once a
# second (its timer is deferrable: often less), yet runs once the CPUs are busy; the headroom
# estimate says memory is not falling. The cost counters move with the work: every sample adds
# to monitor_ns, peek timer runs add to peek_ns, and no peek wakes the monitor. (Long idle
# windows, and what they cost, are `make bench`'s P6.)
. /guard/lib.sh
load
sleep 2
# One snapshot at each end of the window, which is timed: on a slow guest (the KASAN kernel on
# a busy host) reading the stats takes a noticeable part of a second.
snap() { # snap FILE: the stats, then the uptime in ms at the moment they were read
	guardctl stats >"$1" || fail "guardctl stats"
	awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime >"$1.t"
}
s() { field "$2" <"$1"; }
snap /tmp/q0
sleep 6
snap /tmp/q1
window_ms=$(($(cat /tmp/q1.t) - $(cat /tmp/q0.t)))
events=$(s /tmp/q0 events)
episodes=$(s /tmp/q0 reclaim_episodes)
peek_wakes=$(s /tmp/q0 peek_wakes)
wakeups=$(($(s /tmp/q1 samples) - $(s /tmp/q0 samples)))
work=$(($(s /tmp/q1 monitor_ns) - $(s /tmp/q0 monitor_ns)))
peeks=$(($(s /tmp/q1 peek_runs) - $(s /tmp/q0 peek_runs)))
echo "monitor work in $window_ms ms: $work ns over $wakeups samples; $peeks peek timer runs"
# The monitor's timer is deferrable (issue 14): on a quiet guest it runs only when a CPU is
# awake anyway, so a quiet window can hold far fewer samples than one a second (3 in 10 s seen).
# It must run as soon as the CPUs are busy: both spin for 2 s.
busy0=$(stat stats samples)
for c in 1 2; do timeout 2 sh -c 'while :; do :; done' & done
wait
busy=$(($(stat stats samples) - busy0))
echo "monitor samples in 2 s with both CPUs busy: $busy"
[ "$busy" -ge 1 ] || fail "no monitor sample in 2 s with both CPUs busy"
[ "$wakeups" -eq 0 ] || [ "$work" -gt 0 ] || fail "monitor_ns did not move over $wakeups samples"
# A sample takes microseconds, not milliseconds, even under TCG.
[ "$work" -lt $((wakeups * 5000000)) ] || fail "monitor_ns grew by $work ns for $wakeups samples"
[ "$peeks" -gt 0 ] || fail "no peek timer ran in $window_ms ms"
[ "$(stat stats peek_ns)" -gt 0 ] || fail "peek_ns is 0 after $peeks peek runs"
[ "$(s /tmp/q1 peek_wakes)" = "$peek_wakes" ] || fail "a peek woke the monitor on a quiet guest"

echo "monitor wake-ups in $window_ms ms: $wakeups; headroom=$(s /tmp/q1 headroom) tte_ms=$(s /tmp/q1 tte_ms) fall_rate=$(s /tmp/q1 fall_rate)"
# At most one a second: a window of T s holds at most T + 1 ticks of a 1 s period (T rounded
# up: the two ends are timed just after their reads).
[ "$wakeups" -le $(((window_ms + 999) / 1000 + 1)) ] || fail "$wakeups wake-ups in $window_ms ms (more than 1/s)"
[ "$(s /tmp/q1 events)" = "$events" ] || fail "events while quiet: $(guardctl read -n | tail -3)"
[ "$(s /tmp/q1 reclaim_episodes)" = "$episodes" ] || fail "reclaim while quiet"
[ "$(stat stats headroom)" = 0 ] || fail "headroom is not plenty on a quiet guest"
unload
