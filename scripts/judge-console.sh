#!/bin/bash
# Judge one guest console log: the sentinel, kernel splats and (in test mode)
# the KTAP results. Prints a report, writes "PASS FAIL SKIP" to the results
# file and exits non-zero if anything failed. Used by qemu-run.sh and tested
# on fixture logs by scripts/selftest-harness.sh.
set -euo pipefail

usage() {
	cat <<USAGE
usage: $0 [--name NAME] [--mode test|demo|bench] [--qemu-exit N] [--timeout S] [--results FILE] LOG
  --name      label for the report (default: the log's file name)
  --mode      what the guest ran (default: test); the sentinel must name it
  --qemu-exit QEMU's exit code, for the diagnosis (default: 0; 124 = timed out)
  --timeout   the timeout QEMU ran under, for the diagnosis
  --results   where to write "PASS FAIL SKIP" (default: none)
USAGE
}
NAME='' MODE=test QRC=0 TIMEOUT='?' RESULTS=''
while [ $# -gt 0 ]; do
	case $1 in
	--name) NAME=$2; shift 2 ;;
	--mode) MODE=$2; shift 2 ;;
	--qemu-exit) QRC=$2; shift 2 ;;
	--timeout) TIMEOUT=$2; shift 2 ;;
	--results) RESULTS=$2; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	-*) usage >&2; exit 2 ;;
	*) break ;;
	esac
done
[ $# -eq 1 ] || { usage >&2; exit 2; }
log=$1
[ -r "$log" ] || { echo "error: cannot read console log $log" >&2; exit 2; }
KV=${NAME:-$(basename "$log")}

# --- Judge the run -------------------------------------------------------------------
pass=0 fail=0 skip=0
report=()
check() { # check NAME OK DETAIL
	if [ "$2" = 1 ]; then
		pass=$((pass + 1))
		report+=("ok - $KV: $1")
	else
		fail=$((fail + 1))
		report+=("not ok - $KV: $1${3:+ ($3)}")
	fi
}

if grep -q "^OOM_GUARD_SENTINEL mode=$MODE" "$log"; then
	check "guest ran to completion" 1
else
	why="no sentinel"
	[ "$QRC" = 124 ] && why="timed out after $TIMEOUT s"
	grep -q 'Kernel panic' "$log" && why="kernel panic"
	check "guest ran to completion" 0 "$why; QEMU exit $QRC"
fi

SPLAT='WARNING:|BUG:|Oops|KASAN:|UBSAN:|kernel BUG|Kernel panic|general protection fault|Unable to handle kernel|panicked at|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|unreferenced object|suspected memory leak|hung_task|soft lockup'
splats=$(grep -E "$SPLAT" "$log" | sort -u | head -n 20 || true)
if [ -z "$splats" ]; then
	check "kernel log free of splats" 1
else
	check "kernel log free of splats" 0 "$(wc -l <<<"$splats") distinct line(s)"
fi

if [ "$MODE" = demo ]; then
	# The demo exists to show one thing: its verdict line says whether it did.
	verdict=$(grep -m1 '^VERDICT: ' "$log" || true)
	if [ "$verdict" = "${verdict#VERDICT: FAILED}" ] && [ -n "$verdict" ]; then
		check "demo verdict: ${verdict#VERDICT: }" 1
	else
		check "demo verdict" 0 "${verdict:-no VERDICT line}"
	fi
fi

if [ "$MODE" = test ]; then
	ktap=$(sed -n '/^KTAP version 1$/,/^# totals:/p' "$log")
	plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' <<<"$ktap" | head -n1)
	g_pass=$(grep -cE '^ok [0-9]+ ' <<<"$ktap" || true)
	g_skip=$(grep -cE '^ok [0-9]+ .*# SKIP' <<<"$ktap" || true)
	g_fail=$(grep -cE '^not ok [0-9]+ ' <<<"$ktap" || true)
	g_pass=$((g_pass - g_skip))
	pass=$((pass + g_pass)) fail=$((fail + g_fail)) skip=$((skip + g_skip))
	if [ -z "$plan" ]; then
		check "KTAP results present" 0 "no KTAP plan in the console log"
	elif [ $((g_pass + g_fail + g_skip)) -ne "$plan" ]; then
		check "KTAP results complete" 0 "plan 1..$plan, got $((g_pass + g_fail + g_skip)) results"
	elif [ "$plan" -eq 0 ]; then
		check "KTAP results present" 0 "no guest test matched TESTS='${TESTS:-*}'"
	fi
	grep -E '^(ok|not ok) [0-9]+ ' <<<"$ktap" | sed "s/^/    $KV: /" || true
	# Show the diagnostics of failed guest tests.
	awk '/^# / { buf = buf "      " $0 "\n"; next } /^not ok / { printf "%s", buf } { buf = "" }' <<<"$ktap"
fi

for line in "${report[@]}"; do echo "    $line"; done
if [ -n "$splats" ]; then
	echo "    kernel splats in $log:"
	sed 's/^/      /' <<<"$splats"
fi
[ -n "$RESULTS" ] && echo "$pass $fail $skip" >"$RESULTS"
echo "    $KV: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
