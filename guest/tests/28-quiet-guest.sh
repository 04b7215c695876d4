# Issue 6: a quiet guest costs next to nothing. Over 10 s with nothing allocating, the module
# sends no event (no pressure, headroom or reclaim change) and its monitor wakes at most once a
# second; the headroom estimate says memory is not falling.
. /guard/lib.sh
load
sleep 2
events=$(stat stats events)
samples=$(stat stats samples)
episodes=$(stat stats reclaim_episodes)
sleep 10
wakeups=$(($(stat stats samples) - samples))
echo "monitor wake-ups in 10 s: $wakeups; headroom=$(stat stats headroom) tte_ms=$(stat stats tte_ms) fall_rate=$(stat stats fall_rate)"
[ "$wakeups" -le 11 ] || fail "$wakeups wake-ups in 10 s (more than 1/s)"
[ "$(stat stats events)" = "$events" ] || fail "events while quiet: $(guardctl read -n | tail -3)"
[ "$(stat stats reclaim_episodes)" = "$episodes" ] || fail "reclaim while quiet"
[ "$(stat stats headroom)" = 0 ] || fail "headroom is not plenty on a quiet guest"
unload
