# guard-tier: plain
# The peers the benchmarks compare against work in the guest: Debian's earlyoom 1.7 (with its
# own glibc, from scripts/setup.sh) runs, and its messages come through tsline with
# CLOCK_MONOTONIC times; psiwatch arms PSI memory triggers and reports what fires while a paced
# hog runs into the OOM killer (earlyoom in --dryrun mode only says what it would do). PSI
# events are counted, not required: the kill may come before a trigger's window fills.
. /guard/lib.sh
EO=/usr/bin/earlyoom
pids=
cleanup() {
	# shellcheck disable=SC2086
	[ -n "$pids" ] && kill $pids 2>/dev/null
	rm -f /tmp/eo.fifo.out /tmp/eo.fifo.err
}
trap cleanup EXIT
# Whether all the given processes have exited (gone, or zombies not yet reaped).
exited() {
	for p in "$@"; do
		[ -d "/proc/$p" ] && ! grep -q '^[0-9]* (.*) Z ' "/proc/$p/stat" 2>/dev/null && return 1
	done
	return 0
}
# Whether FILE has at least N lines.
has_lines() { # has_lines N FILE
	[ -f "$2" ] && [ "$(wc -l <"$2")" -ge "$1" ]
}

[ -x "$EO" ] || fail "$EO missing from the initramfs (scripts/setup.sh, then make initramfs)"
v=$("$EO" -v 2>/tmp/eo.v.err)
rc=$?
echo "earlyoom -v: exit $rc, stdout '$v', stderr '$(tr '\n' '|' </tmp/eo.v.err)'"
[ "$rc" = 0 ] || fail "earlyoom -v failed (exit $rc)"
printf '%s\n' "$v" | cat - /tmp/eo.v.err | grep -q '^earlyoom v1\.7$' || fail "not earlyoom v1.7"
"$EO" -h >/tmp/eo.h.out 2>/tmp/eo.h.err
rc=$?
echo "earlyoom -h: exit $rc, $(wc -l </tmp/eo.h.out) stdout lines, $(wc -l </tmp/eo.h.err) stderr lines"
grep -h -- '--dryrun' /tmp/eo.h.out /tmp/eo.h.err || fail "earlyoom -h does not offer --dryrun"

# earlyoom's stdout and stderr each through their own tsline, so the logs tell the streams
# apart and show when each line left earlyoom.
mkfifo /tmp/eo.fifo.out /tmp/eo.fifo.err || fail "mkfifo"
tsline </tmp/eo.fifo.out >/tmp/eo.out &
ts_pids=$!
tsline </tmp/eo.fifo.err >/tmp/eo.err &
ts_pids="$ts_pids $!"
pids="$pids $ts_pids"
"$EO" --dryrun >/tmp/eo.fifo.out 2>/tmp/eo.fifo.err &
eo_pid=$!
pids="$pids $eo_pid"
# A memory report a second: three within 5 s.
wait_for 5 "no 3 memory reports from earlyoom within 5 s: $(cat /tmp/eo.out /tmp/eo.err 2>/dev/null)" \
	has_lines 3 /tmp/eo.out
kill -0 "$eo_pid" 2>/dev/null || fail "earlyoom exited: $(cat /tmp/eo.err)"
echo "earlyoom stderr at start:"
cat /tmp/eo.err
echo "earlyoom stdout, first lines:"
head -n 3 /tmp/eo.out
grep -Eqv '^time_ns=[0-9]+ ' /tmp/eo.out && fail "a line without a time_ns= prefix"
grep -q '^time_ns=[0-9]* mem avail: ' /tmp/eo.out || fail "no 'mem avail:' report on stdout"
# The reports left earlyoom one by one (line-buffered through the pipe): about 1 s apart. The
# times are CLOCK_MONOTONIC, which matches /proc/uptime's clock in a guest that never sleeps.
head -n 3 /tmp/eo.out | awk -v up="$(cut -d' ' -f1 /proc/uptime)" '
	{ t = substr($1, 9) / 1e9; if (NR > 1) gaps = gaps sprintf(" %.2f", t - prev); prev = t }
	END { printf "gaps between reports:%s s; last report %.2f s before uptime %.2f\n", gaps, up - prev, up
		exit !(up - prev >= 0 && up - prev < 5) }' || fail "tsline's times are not on the monotonic clock"

psiwatch 'some 1000 500000' 'full 50000 500000' >/tmp/psi.out 2>/tmp/psi.err &
psi_pid=$!
pids="$pids $psi_pid"
wait_for 5 "psiwatch did not arm: $(cat /tmp/psi.err 2>/dev/null)" grep -q 'armed 2 triggers' /tmp/psi.err
cat /tmp/psi.err

# A hog paced at 64 MiB/s into the OOM killer: seconds of growing pressure for PSI and for
# earlyoom's below-10% check (it polls up to 10 times a second when memory is low).
kills=$(vmstat oom_kill)
out0=$(wc -l </tmp/eo.out)
err0=$(wc -l </tmp/eo.err)
start=$(cut -d' ' -f1 /proc/uptime)
MEMHOG_PROGRESS_LOG=/tmp/hog.log memhog 64G 64M >/dev/null 2>&1
rc=$?
end=$(cut -d' ' -f1 /proc/uptime)
echo "memhog 64G at 64 MiB/s: exit $rc after $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }') s; oom_kill $kills -> $(vmstat oom_kill)"
[ "$rc" = 137 ] || fail "the hog should be OOM-killed, got exit $rc"
echo "memhog's first and last progress: $(head -n 1 /tmp/hog.log); $(tail -n 1 /tmp/hog.log)"
sleep 1.5
kill -0 "$psi_pid" 2>/dev/null || fail "psiwatch exited: $(cat /tmp/psi.err)"
kill -0 "$eo_pid" 2>/dev/null || fail "earlyoom exited: $(cat /tmp/eo.err)"
echo "psiwatch events: $(wc -l </tmp/psi.out) (some: $(grep -c 'trigger=0$' /tmp/psi.out), full: $(grep -c 'trigger=1$' /tmp/psi.out))"
head -n 5 /tmp/psi.out
grep -Eqv '^time_ns=[0-9]+ trigger=[01]$' /tmp/psi.out && fail "a malformed psiwatch line"
echo "earlyoom stdout from the hog's start:"
tail -n +$((out0 + 1)) /tmp/eo.out
echo "earlyoom stderr from the hog's start (at most 40 lines):"
tail -n +$((err0 + 1)) /tmp/eo.err | head -n 40
echo "earlyoom lines: $(wc -l </tmp/eo.out) on stdout, $(wc -l </tmp/eo.err) on stderr"

kill "$eo_pid" "$psi_pid"
# With earlyoom gone, the tslines see the end of their input and exit by themselves.
# shellcheck disable=SC2086
wait_for 3 "tsline did not exit at the end of its input" exited $ts_pids
pids=
for p in $ts_pids; do
	wait "$p" || fail "tsline exited $?"
done
echo "earlyoom and psiwatch stopped; tsline exited 0 at end of input"
