#!/bin/bash
# Boot a guest under QEMU (TCG), run one mode, keep the whole console log,
# and judge the run: KTAP results, the sentinel, and kernel splats.
set -euo pipefail
. "$(dirname "$0")/common.sh"

usage() {
	cat <<USAGE
usage: $0 [--mode test|demo|bench] [ARCH] [VARIANT]
  --mode     test (default): run guest/tests, report KTAP; demo: 'make run'; bench: 'make bench'
  ARCH       x86_64 or arm64 (default: \$ARCH or the host's)
  VARIANT    '' (default) or debug
Environment (defaults):
  TESTS=${TESTS:-*}          glob of guest test names to run
  MEM=${MEM:-256M (512M for debug)}  guest memory
  SMP=${SMP:-2}               guest CPUs
  TIMEOUT=${TIMEOUT:-900}     seconds before the guest is killed
  INTERACTIVE=${INTERACTIVE:-0}     1: a shell in the guest after the mode (demo)
Logs: build/<arch>[-debug]/console-<mode>.log
USAGE
}
MODE=test
while [ $# -gt 0 ]; do
	case $1 in
	--mode) MODE=${2:?--mode needs a value}; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	-*) usage >&2; exit 2 ;;
	*) break ;;
	esac
done
case $MODE in test | demo | bench) ;; *) die "unknown mode '$MODE'" ;; esac
ARCH=$(kernel_arch "${1:-${ARCH:-$(host_arch)}}")
VARIANT=${2:-${VARIANT:-}}
KV=$ARCH${VARIANT:+-$VARIANT}
# shellcheck source=../qemu/x86_64.conf
. "$ROOT/qemu/$ARCH.conf"
TESTS=${TESTS:-*}
SMP=${SMP:-2}
TIMEOUT=${TIMEOUT:-900}
INTERACTIVE=${INTERACTIVE:-0}
if [ -z "${MEM:-}" ]; then
	MEM=256M
	[ "$VARIANT" = debug ] && MEM=512M
fi

image=$(kernel_build_dir "$ARCH" "$VARIANT")/$KERNEL_IMAGE
outdir=$OUT/$KV
initrd=$outdir/initramfs.cpio.gz
log=$outdir/console-$MODE.log
results=$outdir/results-$MODE.txt
[ -f "$image" ] || die "no kernel image $image: run 'make ARCH=$ARCH VARIANT=$VARIANT kernel'"
[ -f "$initrd" ] || die "no initramfs $initrd: run 'make ARCH=$ARCH VARIANT=$VARIANT initramfs'"
command -v "$QEMU_BIN" >/dev/null || die "$QEMU_BIN not found: run 'scripts/setup.sh'"

append="console=$CONSOLE panic=-1 oops=panic loglevel=5 guard.mode=$MODE"
[ "$MODE" = test ] && append="$append guard.tests=$TESTS"
[ "$INTERACTIVE" = 1 ] && append="$append guard.shell=1"
qemu=("$QEMU_BIN" $QEMU_MACHINE $QEMU_CPU -smp "$SMP" -m "$MEM" -no-reboot
	-kernel "$image" -initrd "$initrd" -append "$append")

msg "booting $KV guest ($MODE, $MEM, $SMP CPUs, TCG); console log: $log"
start=$(date +%s)
set +e
if [ "$INTERACTIVE" = 1 ]; then
	"${qemu[@]}" -nographic -serial mon:stdio | tee "$log"
	qrc=${PIPESTATUS[0]}
else
	# Live view: the whole console in demo and bench mode, only the test
	# progress and results in test mode (everything is in the log).
	if [ "$MODE" = test ]; then
		filter=(grep --line-buffered -E '^(# guard-test|ok |not ok |# totals)')
	else
		filter=(cat)
	fi
	timeout -k 10 "$TIMEOUT" "${qemu[@]}" -display none -monitor none -serial stdio </dev/null |
		tee "$log" | "${filter[@]}"
	qrc=${PIPESTATUS[0]}
fi
set -e
elapsed=$(($(date +%s) - start))

# --- Judge the run -------------------------------------------------------------------
tr -d '\r' <"$log" >"$log.tmp" && mv "$log.tmp" "$log"
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
	[ "$qrc" = 124 ] && why="timed out after $TIMEOUT s"
	grep -q 'Kernel panic' "$log" && why="kernel panic"
	check "guest ran to completion" 0 "$why; QEMU exit $qrc"
fi

SPLAT='WARNING:|BUG:|Oops|KASAN:|UBSAN:|kernel BUG|Kernel panic|general protection fault|Unable to handle kernel|panicked at|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|unreferenced object|suspected memory leak|hung_task|soft lockup'
splats=$(grep -E "$SPLAT" "$log" | sort -u | head -n 20 || true)
if [ -z "$splats" ]; then
	check "kernel log free of splats" 1
else
	check "kernel log free of splats" 0 "$(wc -l <<<"$splats") distinct line(s)"
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
		check "KTAP results present" 0 "no guest test matched TESTS='$TESTS'"
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
[ "$MODE" = bench ] && { grep "^bench:" "$log" >"$outdir/bench.txt" || true; }
echo "$pass $fail $skip" >"$results"
msg "$KV $MODE: $pass passed, $fail failed, $skip skipped in $elapsed s (log: $log)"
[ "$fail" -eq 0 ]
