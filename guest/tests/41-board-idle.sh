# guard-tier: board
# Issue 14, "quiet on a warm board": with the module loaded and the board guest idle, the level
# is ok, the monitor samples at most once a second and no peek timer wakes it. Two phases of
# two 6 s windows: the warm cache of board_setup with most memory free, then with the page
# cache filling memory (cache_fill), where kswapd leaves free memory near the high watermarks, as
# on a board that has been up for days. Prints every window's figures before judging any. Leaves
# the page cache full.
# The CPU share (monitor_ns + peek_ns over the window) is printed, not judged: it is time measured
# in a TCG guest on a shared host, and a host busy elsewhere multiplied it by five in one CI run
# (0.05 % -> 0.25 %) with the same samples and peek runs. What the monitor does is judged here
# (wake-ups, samples); what that costs on this machine is a figure of `make bench` (P6).
. /guard/lib.sh
board_profile || skip "not a board-profile guest (guard.board=1)"
# The warm cache of board_setup, as it was before the tests that ran first on this profile.
board_rewarm
load
s() { field "$2" <"$1"; }
: >/tmp/idle
idle_window() { # idle_window LABEL [SETTLE_S]: 6 s idle after SETTLE_S, figures kept in /tmp/idle
	sleep "${2:-0}"
	stats_snap /tmp/i0
	sleep 6
	stats_snap /tmp/i1
	window_ms=$(($(cat /tmp/i1.t) - $(cat /tmp/i0.t)))
	samples=$(($(s /tmp/i1 samples) - $(s /tmp/i0 samples)))
	peeks=$(($(s /tmp/i1 peek_runs) - $(s /tmp/i0 peek_runs)))
	wakes=$(($(s /tmp/i1 peek_wakes) - $(s /tmp/i0 peek_wakes)))
	work_ns=$(($(s /tmp/i1 monitor_ns) - $(s /tmp/i0 monitor_ns) + $(s /tmp/i1 peek_ns) - $(s /tmp/i0 peek_ns)))
	cpu=$(awk -v w="$work_ns" -v t="$window_ms" 'BEGIN { printf "%.4f", w / (t * 1e6) * 100 }')
	rate=$(awk -v n="$samples" -v t="$window_ms" 'BEGIN { printf "%.2f", n * 1000 / t }')
	echo "idle, $1: $samples samples in $window_ms ms ($rate/s), $peeks peek timer runs ($wakes woke the monitor)," \
		"monitor+peek $work_ns ns = $cpu % of one CPU; level=$(s /tmp/i1 level)" \
		"Cached=$(meminfo Cached) kB MemFree=$(meminfo MemFree) kB"
	guardctl zones | grep '^zone' | sed 's/^/  /'
	echo "$samples $window_ms $cpu $(s /tmp/i1 level) $(meminfo Cached) $wakes $1" >>/tmp/idle
}
# Two windows a phase, so that a window disturbed by the guest itself (a late kswapd pass after
# cache_fill) shows beside an undisturbed one in the log; every window is judged.
# The first window of a phase starts 2 s after the load or the fill; the second right after the
# first.
idle_window "warm cache" 2
idle_window "warm cache"
cache_fill
idle_window "cache filling memory" 2
idle_window "cache filling memory"
# A monitor that sees no zone is idle for nothing: its figures would not count.
[ "$(stat zones nr_zones)" -gt 0 ] || fail "the module sees no zone (guardctl zones: nr_zones=0)"
while read -r samples window_ms cpu level cached wakes label; do
	[ "$level" = 0 ] || fail "$label: level $level on an idle board, expected 0 (ok)"
	[ "$cached" -ge $((250 * 1024)) ] || fail "$label: the page cache is not warm: Cached $cached kB"
	# At most one a second: a window of T s holds at most T + 1 ticks of a 1 s period.
	[ "$samples" -le $(((window_ms + 999) / 1000 + 1)) ] ||
		fail "$label: $samples samples in $window_ms ms (more than 1/s)"
	# Free memory that does not move never falls by 1/64 of managed memory between two peeks.
	[ "$wakes" = 0 ] || fail "$label: the peek timers woke the monitor $wakes times on an idle board"
done </tmp/idle
unload
