# guard-tier: board
# Issue 14, "quiet on a warm board": with the module loaded and the board guest idle for 10 s
# with its warm page cache, the level is ok, and the monitor costs at most one sample a second
# and 0.1 % of one CPU (monitor_ns + peek_ns over the window). Prints the figures first, so a
# failing run still reports them.
. /guard/lib.sh
board_profile || skip "not a board-profile guest (guard.board=1)"
load
sleep 2
s() { field "$2" <"$1"; }
stats_snap /tmp/i0
sleep 10
stats_snap /tmp/i1
window_ms=$(($(cat /tmp/i1.t) - $(cat /tmp/i0.t)))
samples=$(($(s /tmp/i1 samples) - $(s /tmp/i0 samples)))
peeks=$(($(s /tmp/i1 peek_runs) - $(s /tmp/i0 peek_runs)))
work_ns=$(($(s /tmp/i1 monitor_ns) - $(s /tmp/i0 monitor_ns) + $(s /tmp/i1 peek_ns) - $(s /tmp/i0 peek_ns)))
cpu=$(awk -v w="$work_ns" -v t="$window_ms" 'BEGIN { printf "%.4f", w / (t * 1e6) * 100 }')
rate=$(awk -v n="$samples" -v t="$window_ms" 'BEGIN { printf "%.2f", n * 1000 / t }')
echo "idle: $samples samples in $window_ms ms ($rate/s), $peeks peek timer runs," \
	"monitor+peek $work_ns ns = $cpu % of one CPU; level=$(s /tmp/i1 level)" \
	"Cached=$(meminfo Cached) kB MemFree=$(meminfo MemFree) kB"
# A monitor that sees no zone is idle for nothing: its figures would not count.
[ "$(stat zones nr_zones)" -gt 0 ] || fail "the module sees no zone (guardctl zones: nr_zones=0)"
[ "$(s /tmp/i1 level)" = 0 ] || fail "level $(s /tmp/i1 level) on an idle board, expected 0 (ok)"
[ "$(meminfo Cached)" -ge $((250 * 1024)) ] || fail "the page cache is not warm: Cached $(meminfo Cached) kB"
# At most one a second: a window of T s holds at most T + 1 ticks of a 1 s period.
[ "$samples" -le $(((window_ms + 999) / 1000 + 1)) ] || fail "$samples samples in $window_ms ms (more than 1/s)"
awk -v c="$cpu" 'BEGIN { exit !(c <= 0.1) }' || fail "the monitor took $cpu % of one CPU (more than 0.1 %)"
unload
