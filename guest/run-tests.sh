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
timeout_s=${GUARD_TEST_TIMEOUT:-300}
grep -q 'guard.debug=1' /proc/cmdline && timeout_s=${GUARD_TEST_TIMEOUT:-600}
res=/tmp/ktap.results
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
	timeout "$timeout_s" sh "$t" >"$out" 2>&1
	rc=$?
	end=$(cut -d' ' -f1 /proc/uptime)
	sed 's/^/# /' "$out" >>"$res"
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
