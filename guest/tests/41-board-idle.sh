# guard-tier: board
# Issue 14, "quiet on a warm board": with the module loaded and the board guest idle, the level
# is ok and the monitor costs at most one sample a second and 0.1 % of one CPU (monitor_ns +
# peek_ns over the window, the median of three). Two phases of three 10 s windows: the warm cache of board_setup with most memory
# free, then with the page cache filling memory (cache_fill), where kswapd leaves free memory
# near the high watermarks, as on a board that has been up for days. Prints every window's
# figures before judging any. Leaves the page cache full.
. /guard/lib.sh
board_profile || skip "not a board-profile guest (guard.board=1)"
load
s() { field "$2" <"$1"; }
: >/tmp/idle
idle_window() { # idle_window LABEL: 10 s idle, the figures printed and kept in /tmp/idle
	sleep 2
	stats_snap /tmp/i0
	sleep 10
	stats_snap /tmp/i1
	window_ms=$(($(cat /tmp/i1.t) - $(cat /tmp/i0.t)))
	samples=$(($(s /tmp/i1 samples) - $(s /tmp/i0 samples)))
	peeks=$(($(s /tmp/i1 peek_runs) - $(s /tmp/i0 peek_runs)))
	work_ns=$(($(s /tmp/i1 monitor_ns) - $(s /tmp/i0 monitor_ns) + $(s /tmp/i1 peek_ns) - $(s /tmp/i0 peek_ns)))
	cpu=$(awk -v w="$work_ns" -v t="$window_ms" 'BEGIN { printf "%.4f", w / (t * 1e6) * 100 }')
	rate=$(awk -v n="$samples" -v t="$window_ms" 'BEGIN { printf "%.2f", n * 1000 / t }')
	echo "idle, $1: $samples samples in $window_ms ms ($rate/s), $peeks peek timer runs," \
		"monitor+peek $work_ns ns = $cpu % of one CPU; level=$(s /tmp/i1 level)" \
		"Cached=$(meminfo Cached) kB MemFree=$(meminfo MemFree) kB"
	guardctl zones | grep '^zone' | sed 's/^/  /'
	echo "$samples $window_ms $cpu $(s /tmp/i1 level) $(meminfo Cached) $1" >>/tmp/idle
}
# Three windows a phase: the time a sample takes is measured in the guest, and under TCG a vCPU
# the host preempts in the middle of one, or code translated for the first time, can make one
# sample cost tens of ms. Every window is judged on samples/s and level; the CPU share on the
# phase's median window.
for w in 1 2 3; do idle_window "warm cache"; done
cache_fill
for w in 1 2 3; do idle_window "cache filling memory"; done
# A monitor that sees no zone is idle for nothing: its figures would not count.
[ "$(stat zones nr_zones)" -gt 0 ] || fail "the module sees no zone (guardctl zones: nr_zones=0)"
while read -r samples window_ms cpu level cached label; do
	[ "$level" = 0 ] || fail "$label: level $level on an idle board, expected 0 (ok)"
	[ "$cached" -ge $((250 * 1024)) ] || fail "$label: the page cache is not warm: Cached $cached kB"
	# At most one a second: a window of T s holds at most T + 1 ticks of a 1 s period.
	[ "$samples" -le $(((window_ms + 999) / 1000 + 1)) ] ||
		fail "$label: $samples samples in $window_ms ms (more than 1/s)"
done </tmp/idle
for phase in "warm cache" "cache filling memory"; do
	med=$(grep " $phase\$" /tmp/idle | awk '{ print $3 }' | sort -n | sed -n 2p)
	echo "$phase: median monitor+peek share $med % of one CPU"
	awk -v c="$med" 'BEGIN { exit !(c <= 0.1) }' || fail "$phase: the monitor took $med % of one CPU in the median window (more than 0.1 %)"
done
unload
