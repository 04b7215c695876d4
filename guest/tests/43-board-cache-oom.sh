# guard-tier: board
# Issue 14 on a board: with the page cache filling memory (as on a board up for days), a hog
# grows into a global OOM under policy observe. The guard warns before it: a critical HEADROOM
# record and a level change to low or min come before the first OOM record, and the page cache
# was reclaimed on the way (Cached fell), so the warning counted it as available, not as used.
. /guard/lib.sh
board_profile || skip "not a board-profile guest (guard.board=1)"
swapoff /dev/zram0 2>/dev/null
cache_fill >/dev/null
cached0=$(meminfo Cached)
load policy=0
guardctl read -n >/dev/null 2>&1
memhog 64G >/dev/null 2>&1
rc=$?
[ "$rc" = 137 ] || fail "the hog was not killed (exit $rc)"
guardctl read -n >/tmp/ev 2>/dev/null
contiguous 0 </tmp/ev || fail "events not contiguous"
awk '/kind=oom/ { print "first OOM record at line " NR; exit }
	/kind=headroom .*new=255/ && !crit { crit = NR; print "critical headroom at line " NR ": " substr($0, 1, 160) }
	/kind=pressure .*new=[12]/ && !lvl { lvl = NR; print "level change at line " NR ": " substr($0, 1, 160) }' /tmp/ev
oom=$(grep -n -m1 'kind=oom' /tmp/ev | cut -d: -f1)
crit=$(grep -n -m1 'kind=headroom .*new=255' /tmp/ev | cut -d: -f1)
[ -n "$oom" ] || fail "no OOM record"
[ -n "$crit" ] && [ "$crit" -lt "$oom" ] || fail "no critical headroom record before the OOM"
cached1=$(meminfo Cached)
echo "page cache: $cached0 kB before the hog, $cached1 kB after the kill"
[ "$cached1" -lt "$cached0" ] || fail "the page cache was not reclaimed on the way to the OOM"
unload
swapon /dev/zram0 || fail "swapon /dev/zram0"
true
