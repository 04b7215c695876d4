# guard-tier: board
# Issue 14 on a board: an unbounded hog runs into a global OOM with the default guard. The first
# round releases what one zone needs to pass its min watermark plus release_chunk (block-rounded),
# not a sum over every zone of the machine (before the fix: 1 792 pages on the 6 GiB guest where
# Normal needed 414, DMA32's reserve counted in); every round stays under the per-call cap; the
# kernel kills once the pool is spent; the pool refills once memory is calm. Swap is off for this
# test (44-board-zram covers it), so the OOM comes within seconds.
. /guard/lib.sh
board_profile || skip "not a board-profile guest (guard.board=1)"
swapoff /dev/zram0 2>/dev/null
load
chunk=$(stat config release_chunk)
guardctl set refill_delay_ms=500 || fail "set refill_delay_ms"
kills=$(vmstat oom_kill)
memhog 64G >/dev/null 2>&1
rc=$?
[ "$rc" = 137 ] || fail "the unbounded hog was not killed (exit $rc)"
[ "$(vmstat oom_kill)" -gt "$kills" ] || fail "oom_kill did not move"
wait_for 10 "no KILL event within 10 s" kill_reported
guardctl read -n >/tmp/ev 2>/dev/null
contiguous 0 </tmp/ev || fail "events not contiguous"
first=$(grep -m1 'kind=oom action=release' /tmp/ev) || fail "the pool was never released"
echo "first release: $(echo "$first" | cut -c1-200)"
# The zones as that OOM found them, name:state:free:min:low:high:boost:reserve per zone.
freed=$(echo "$first" | sed 's/.* freed=\([0-9]*\).*/\1/')
echo "$first" | sed 's/.* marks=\([^ ]*\).*/\1/' | tr , '\n' | awk -F: -v freed="$freed" -v chunk="$chunk" '
	{ floor = $4 + $7 + $8; d = floor + 1 - $3; if (d < 0) d = 0
	  printf "  zone %s: free %d, floor %d (min %d + boost %d + reserve %d): needs %d\n", $1, $3, floor, $4, $7, $8, d
	  sum += d; if (d < 8192 && d > maxd) maxd = d }
	END { printf "  first round released %d pages; the zones needed %d in all, one at most %d; release_chunk %d\n", freed, sum, maxd, chunk
	      # One zone: at most the largest single deficit the pool can cover, plus the chunk and
	      # the rounding to whole 64-page blocks.
	      if (freed > maxd + chunk + 64) { print "  released more than one zone needs"; exit 1 } }' ||
	fail "the first round released $freed pages: more than one zone's deficit plus release_chunk"
awk '/kind=oom action=release/ { for (i = 1; i <= NF; i++) if ($i ~ /^freed=/) { f = substr($i, 7) + 0; if (f > 8192) bad = 1 } }
	END { exit bad }' /tmp/ev || fail "a round released more than 8192 pages"
grep -Eq 'kind=oom action=(pool-empty|pool-short)' /tmp/ev || fail "no OOM record saying why the kill went ahead"
target=$(stat stats pool_target)
wait_for 30 "pool did not refill within 30 s: $(stat stats pool_pages)/$target" pool_full
echo "rounds: $(grep -c 'kind=oom action=release' /tmp/ev) releases, $(stat stats pages_released) pages; pool back to $target pages"
unload
swapon /dev/zram0 || fail "swapon /dev/zram0"
true
