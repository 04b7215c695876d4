#!/bin/sh
# Runs the guest tests in /guard/tests and prints their results as KTAP.
#
# Each test is a POSIX sh script: exit 0 = pass, 4 = skip (kselftest's
# KSFT_SKIP, the last output line is the reason), anything else = fail; it
# times out after GUARD_TEST_TIMEOUT seconds (300, or 600 on the debug kernel, whose tests
# run 3 to 5 times slower and twice that on a busy host). Its output becomes KTAP
# diagnostic lines. The KTAP block and a dump of the kernel log are printed
# at the end with console logging muted, so kernel messages cannot tear a
# result line apart.
filter=${1:-*}
. /guard/lib.sh
# The KASAN + lockdep kernel.
debug=0
debug_kernel && debug=1
timeout_s=${GUARD_TEST_TIMEOUT:-300}
[ "$debug" = 1 ] && timeout_s=${GUARD_TEST_TIMEOUT:-600}
res=/tmp/ktap.results
# A test still running after watchdog_s (then again after twice that) gets a snapshot of what
# the guest's tasks wait on, printed after its output: the x86_64 TCG guests have been seen to
# stall for 100 to 140 s now and then, with and without the module, and a hog making no
# progress while memory was free.
watchdog_s=60
[ "$debug" = 1 ] && watchdog_s=240
watchdog_s=$(cmdline_arg guard.watchdog_s "$watchdog_s")
snapshot() { # snapshot LABEL
	echo "watchdog: $1: uptime $(cut -d' ' -f1 /proc/uptime) s, load $(cut -d' ' -f1-3 /proc/loadavg)"
	awk '$1 == "MemFree:" || $1 == "MemAvailable:" { printf "watchdog: %s %s kB\n", $1, $2 }' /proc/meminfo
	awk '$1 == "pages" && $2 == "free" { f = $3 } $1 == "boost" && f > 0 { printf "watchdog: zone free %s pages, boost %s\n", f, $2 }' /proc/zoneinfo
	[ -r /proc/pressure/memory ] && sed 's/^/watchdog: psi memory /' /proc/pressure/memory
	for d in /proc/[0-9]*; do
		st=$(cut -d' ' -f3 "$d/stat" 2>/dev/null) || continue
		comm=$(cat "$d/comm" 2>/dev/null)
		case "$st:$comm" in
		R:* | D:* | *:memhog | *:pipehog | *:guardctl | *:oom-guard | *:insmod | *:rmmod) ;;
		*) continue ;;
		esac
		# syscall: the number and arguments, -1 in a page fault, "running" while on a CPU.
		echo "watchdog: pid ${d#/proc/} $comm state $st wchan $(cat "$d/wchan" 2>/dev/null)" \
			"utime+stime $(cut -d' ' -f14,15 "$d/stat" 2>/dev/null) ticks, syscall $(cut -d' ' -f1-3 "$d/syscall" 2>/dev/null)"
	done
	# Interrupts and softirqs taken in one second, per source (an interrupt storm slows a
	# vCPU without showing as a task), and where each CPU's time went meanwhile.
	cat /proc/interrupts >/tmp/wd.irq0; cat /proc/softirqs >/tmp/wd.sirq0; head -n 3 /proc/stat >/tmp/wd.stat0
	sleep 1
	cat /proc/interrupts >/tmp/wd.irq1; cat /proc/softirqs >/tmp/wd.sirq1; head -n 3 /proc/stat >/tmp/wd.stat1
	for f in irq sirq stat; do
		awk -v f="$f" 'NR == FNR { for (i = 2; i <= NF; i++) a[FNR, i] = $i; next }
			FNR > (f == "stat" ? 0 : 1) { line = $1; any = 0
				for (i = 2; i <= NF; i++) if ($i ~ /^[0-9]+$/) { d = $i - a[FNR, i]; line = line " " d; if (d) any = 1 }
				if (any) print "watchdog: per second " f ": " line }' "/tmp/wd.${f}0" "/tmp/wd.${f}1"
	done
	# The kernel's own view: blocked (D state) tasks with their stacks, and a backtrace of
	# every CPU (what a task spinning in the kernel is doing).
	mark="guard-watchdog-mark-$(cut -d' ' -f1 /proc/uptime)"
	echo "$mark" >/dev/kmsg 2>/dev/null
	echo w >/proc/sysrq-trigger 2>/dev/null
	echo l >/proc/sysrq-trigger 2>/dev/null
	sleep 0.5
	dmesg | sed -n "/$mark/,\$p" | head -n 200 | sed 's/^/watchdog: /'
}
: >"$res"
n=0 pass=0 fail=0 skip=0
for t in /guard/tests/*.sh; do
	name=$(basename "$t" .sh)
	# The filter is a comma-separated list of globs.
	match=
	set -f
	for f in $(echo "$filter" | tr ',' ' '); do
		case $name in $f) match=1 ;; esac
	done
	set +f
	[ -n "$match" ] || continue
	n=$((n + 1))
	echo "# guard-test: running $name"
	out=/tmp/test.$n.out
	start=$(cut -d' ' -f1 /proc/uptime)
	(sleep "$watchdog_s" && snapshot "$name after $watchdog_s s" && sleep "$watchdog_s" &&
		snapshot "$name after $((2 * watchdog_s)) s") >"$out.wd" 2>&1 &
	wd=$!
	timeout "$timeout_s" sh "$t" >"$out" 2>&1
	rc=$?
	end=$(cut -d' ' -f1 /proc/uptime)
	kill $wd 2>/dev/null
	sed 's/^/# /' "$out" "$out.wd" >>"$res"
	echo "# $name: exit $rc, $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }') s" >>"$res"
	case $rc in
	0) echo "ok $n $name" >>"$res"; pass=$((pass + 1)) ;;
	4) echo "ok $n $name # SKIP $(tail -n 1 "$out")" >>"$res"; skip=$((skip + 1)) ;;
	143 | 124) echo "not ok $n $name # TIMEOUT after ${timeout_s} s" >>"$res"; fail=$((fail + 1)) ;;
	*) echo "not ok $n $name" >>"$res"; fail=$((fail + 1)) ;;
	esac
	echo "# guard-test: $name exit $rc"
	# Leave a clean guest for the next test, whatever this one left behind.
	killall -q memhog pipehog guardctl guardfuzz oom-guard timeit 2>/dev/null
	sleep 0.1
	[ -d /sys/module/rust_oom_guard ] && rmmod rust_oom_guard 2>/dev/null
	# The kernel's own per-CPU list sizing (27 and 33 cap it), also after a test that failed.
	echo 0 >/proc/sys/vm/percpu_pagelist_high_fraction 2>/dev/null
done

# A kmemleak scan at the end, on kernels that have it (the debug variant).
if [ -w /sys/kernel/debug/kmemleak ]; then
	echo scan >/sys/kernel/debug/kmemleak
	sleep 1
	echo scan >/sys/kernel/debug/kmemleak
	leaks=$(grep -c 'unreferenced object' /sys/kernel/debug/kmemleak)
	echo "# kmemleak: scan done, $leaks leak report(s)" >>"$res"
	[ "$leaks" -gt 0 ] && cat /sys/kernel/debug/kmemleak >>"$res"
fi

dmesg -n 1
echo "KTAP version 1"
echo "1..$n"
cat "$res"
echo "# totals: pass:$pass fail:$fail skip:$skip"
echo "----- guest dmesg -----"
dmesg
echo "----- end guest dmesg -----"
