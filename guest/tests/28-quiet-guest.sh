# Issue 6: a quiet guest costs next to nothing. Over 10 s with nothing allocating, the module
# sends no event (no pressure, headroom or reclaim change) and its monitor wakes at most once a
# second; the headroom estimate says memory is not falling. The ABI 1.2 cost counters move with
# the work: every sample adds to monitor_ns, peek timer runs add to peek_ns, and no peek wakes
# the monitor.
. /guard/lib.sh
load
sleep 2
events=$(stat stats events)
samples=$(stat stats samples)
episodes=$(stat stats reclaim_episodes)
monitor_ns=$(stat stats monitor_ns)
peek_runs=$(stat stats peek_runs)
peek_wakes=$(stat stats peek_wakes)
sleep 10
wakeups=$(($(stat stats samples) - samples))
work=$(($(stat stats monitor_ns) - monitor_ns))
peeks=$(($(stat stats peek_runs) - peek_runs))
echo "monitor work in 10 s: $work ns over $wakeups samples; $peeks peek timer runs"
[ "$wakeups" -ge 5 ] || fail "only $wakeups samples in 10 s"
[ "$work" -gt 0 ] || fail "monitor_ns did not move over $wakeups samples"
# A sample takes microseconds, not milliseconds, even under TCG.
[ "$work" -lt $((wakeups * 5000000)) ] || fail "monitor_ns grew by $work ns for $wakeups samples"
[ "$peeks" -gt 0 ] || fail "no peek timer ran in 10 s"
[ "$(stat stats peek_ns)" -gt 0 ] || fail "peek_ns is 0 after $peeks peek runs"
[ "$(stat stats peek_wakes)" = "$peek_wakes" ] || fail "a peek woke the monitor on a quiet guest"

echo "monitor wake-ups in 10 s: $wakeups; headroom=$(stat stats headroom) tte_ms=$(stat stats tte_ms) fall_rate=$(stat stats fall_rate)"
[ "$wakeups" -le 11 ] || fail "$wakeups wake-ups in 10 s (more than 1/s)"
[ "$(stat stats events)" = "$events" ] || fail "events while quiet: $(guardctl read -n | tail -3)"
[ "$(stat stats reclaim_episodes)" = "$episodes" ] || fail "reclaim while quiet"
[ "$(stat stats headroom)" = 0 ] || fail "headroom is not plenty on a quiet guest"
unload
