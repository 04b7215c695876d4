# guard-tier: board
# Issue 14 on a board: zram swap in use. A hog larger than what is available beyond the pool
# pushes pages out to zram (SwapFree falls) and completes without an OOM kill: the guard's levels
# and headroom follow (a low headroom record), nothing is released from the pool for swap-backed
# memory, and the module stays usable.
. /guard/lib.sh
board_profile || skip "not a board-profile guest (guard.board=1)"
[ "$(meminfo SwapTotal)" -gt 0 ] || fail "no swap on a board profile"
load
swap0=$(meminfo SwapFree)
kills=$(vmstat oom_kill)
size=$(($(meminfo MemAvailable) / 1024 + 256))
# memhog's pages (one byte written per page) compress to almost nothing, so 1 GiB of zram holds
# the overflow without taking RAM back (a pattern-filled hog filled RAM and swap into an OOM).
memhog "${size}M" >/tmp/hog.out 2>&1 || fail "a $size MiB hog with swap did not complete: $(cat /tmp/hog.out)"
swap1=$(meminfo SwapFree)
echo "a $size MiB hog completed: SwapFree $swap0 -> $swap1 kB (after it exited)"
swapped=$(vmstat pswpout)
[ "$swapped" -gt 0 ] || fail "nothing was swapped out (pswpout=$swapped)"
[ "$(vmstat oom_kill)" = "$kills" ] || fail "an OOM kill with swap to spare"
guardctl read -n >/tmp/ev 2>/dev/null
grep -q 'kind=headroom .*new=\(50\|100\|255\)' /tmp/ev || fail "no headroom warning while swapping"
[ "$(stat stats pages_released)" = 0 ] || fail "the pool was released with swap to spare"
echo "pswpout=$swapped pages, headroom records: $(grep -c kind=headroom /tmp/ev), no release"
unload
