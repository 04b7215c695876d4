#!/bin/bash
# Boot a guest under QEMU (TCG), run one mode, keep the whole console log,
# and judge the run: KTAP results, the sentinel, and kernel splats.
set -euo pipefail
. "$(dirname "$0")/common.sh"

usage() {
	cat <<USAGE
usage: $0 [--mode test|demo|bench] [--profile board] [ARCH] [VARIANT] [SERIES]
  --mode     test (default): run guest/tests, report KTAP; demo: 'make run'; bench: 'make bench'
  --profile  board: the board-shaped guest of qemu/board-<arch>.conf (memory, NUMA, CMA, data
             disk, zram swap; default \$PROFILE or none: the small guest)
  ARCH       x86_64 or arm64 (default: \$ARCH or the host's)
  VARIANT    '' (default), debug or intree (the guard built in: make test-full)
  SERIES     kernel series (default: \$SERIES or $KERNEL_SERIES; scripts/versions.env)
Environment (defaults):
  TIER=${TIER:-test}          test: what 'make test' runs on this kernel; full: 'make test-full'
  TESTS=${TESTS:-}           comma-separated globs of guest test names (default: the tier's)
  MEM=${MEM:-256M, 512M for debug, or the profile table value}  guest memory
  SMP=${SMP:-2, or the profile table value}               guest CPUs
  CPU=${CPU:-}                QEMU CPU model and flags (default: the arch's table in qemu/)
  GUARD_ARGS=${GUARD_ARGS:-}         more kernel arguments (guard.soak_rounds=200, say)
  TIMEOUT=${TIMEOUT:-900 (2400 for the debug kernel and in bench mode)}  seconds before the guest is killed
  BENCH=${BENCH:-}             bench mode: comma-separated measurements (P1..P8; default all)
  BENCH_RUNS=${BENCH_RUNS:-10}        bench mode: runs per rate in P2
  BENCH_SPIKES=${BENCH_SPIKES:-20}      bench mode: spikes per mode in P5 and in P10 (its capped run: a quarter)
  INTERACTIVE=${INTERACTIVE:-0}     1: a shell in the guest after the mode (demo)
Logs: build/[<profile>-]<arch>[-debug][-<series>]/console-<mode>.log
USAGE
}
MODE=test
PROFILE=${PROFILE:-}
while [ $# -gt 0 ]; do
	case $1 in
	--mode) MODE=${2:?--mode needs a value}; shift 2 ;;
	--profile) PROFILE=${2?--profile needs a value}; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	-*) usage >&2; exit 2 ;;
	*) break ;;
	esac
done
case $MODE in test | demo | bench) ;; *) die "unknown mode '$MODE'" ;; esac
ARCH=$(kernel_arch "${1:-${ARCH:-$(host_arch)}}")
VARIANT=${2:-${VARIANT:-}}
SERIES=$(series_of "${3-${SERIES:-}}")
KV=$ARCH${VARIANT:+-$VARIANT}${SERIES:+-$SERIES}
# shellcheck source=../qemu/x86_64.conf
. "$ROOT/qemu/$ARCH.conf"
# A profile's table adds to the arch's: PROFILE_MEM, PROFILE_SMP, PROFILE_QEMU_ARGS (an array),
# PROFILE_DISK_DEVICE (the QEMU device of the data disk, none without) and PROFILE_APPEND.
PROFILE_MEM='' PROFILE_SMP='' PROFILE_QEMU_ARGS=() PROFILE_DISK_DEVICE='' PROFILE_APPEND=''
if [ -n "$PROFILE" ]; then
	conf=$ROOT/qemu/$PROFILE-$ARCH.conf
	[ -f "$conf" ] || die "unknown profile '$PROFILE' for $ARCH: no $conf"
	# shellcheck source=../qemu/board-x86_64.conf
	. "$conf"
fi
# The suite's name: its logs and results go to build/<name>/.
NAME=${PROFILE:+$PROFILE-}$KV
TIER=${TIER:-test}
TESTS=${TESTS:-$(tier_tests "$TIER" "$VARIANT" "$PROFILE" "$SERIES")}
SMP=${SMP:-${PROFILE_SMP:-2}}
[ -n "${CPU:-}" ] && QEMU_CPU="-cpu $CPU"
# The KASAN + lockdep guest runs make test's core tests in about 7 minutes on an idle machine;
# every test took 12 minutes there and 23 on a busy host (make test-full runs them all).
if [ "$MODE" = bench ] || [ "$VARIANT" = debug ]; then
	TIMEOUT=${TIMEOUT:-2400}
else
	TIMEOUT=${TIMEOUT:-900}
fi
INTERACTIVE=${INTERACTIVE:-0}
if [ -z "${MEM:-}" ]; then
	MEM=${PROFILE_MEM:-256M}
	[ "$VARIANT" = debug ] && [ -z "$PROFILE_MEM" ] && MEM=512M
fi

image=$(kernel_build_dir "$ARCH" "$VARIANT" "$SERIES")/$KERNEL_IMAGE
# Every profile boots the arch's initramfs; only the logs are the profile's own.
initrd=$OUT/$KV/initramfs.cpio.gz
outdir=$OUT/$NAME
mkdir -p "$outdir"
log=$outdir/console-$MODE.log
results=$outdir/results-$MODE.txt
[ -f "$image" ] || die "no kernel image $image: run 'make ARCH=$ARCH VARIANT=$VARIANT SERIES=$SERIES kernel'"
[ -f "$initrd" ] || die "no initramfs $initrd: run 'make ARCH=$ARCH VARIANT=$VARIANT SERIES=$SERIES initramfs'"
command -v "$QEMU_BIN" >/dev/null || die "$QEMU_BIN not found: run 'scripts/setup.sh'"

# norandmaps: no address-space randomisation for guest processes. TCG keys translated code by
# virtual address, so every run of a position-independent binary (our static-pie tools, earlyoom
# and its glibc) at a new random base translated its code again and hung thousands of
# translation blocks on the same physical page-cache pages. When compaction later moved such a
# page and the freed page was cleared for a hog, QEMU 7.2 invalidated those blocks one by one,
# each removal a walk of the page's whole list: a hog crawled for 20 to 140 s (the x86_64
# stalls of issue 13; `90-fault-soak` with guard.soak_aslr=2 brings them back on demand). Fixed
# addresses let every run reuse the translations, which also makes process start-up about 2.7x
# faster. Nothing the module does depends on user-space ASLR.
append="console=$CONSOLE panic=-1 oops=panic loglevel=5 norandmaps guard.mode=$MODE"
[ "$VARIANT" = debug ] && append="$append guard.debug=1${DEBUG_APPEND:+ $DEBUG_APPEND}"
# The guard built in (VARIANT intree) takes its parameters from here; 38-builtin compares
# every rust_oom_guard.* argument with sysfs. Not the defaults, so that they show.
[ "$VARIANT" = intree ] && append="$append rust_oom_guard.pool_kib=8192 rust_oom_guard.policy=observe rust_oom_guard.headroom_unit=kib rust_oom_guard.headroom_low=65536 rust_oom_guard.headroom_medium=32768 rust_oom_guard.headroom_critical=16384"
[ "$MODE" = test ] && append="$append guard.tests=$TESTS"
if [ "$MODE" = bench ]; then
	[ -n "${BENCH:-}" ] && append="$append guard.bench=$BENCH"
	[ -n "${BENCH_RUNS:-}" ] && append="$append guard.bench_runs=$BENCH_RUNS"
	[ -n "${BENCH_SPIKES:-}" ] && append="$append guard.bench_spikes=$BENCH_SPIKES"
fi
[ "$INTERACTIVE" = 1 ] && append="$append guard.shell=1"
[ -n "$PROFILE_APPEND" ] && append="$append $PROFILE_APPEND"
[ -n "${GUARD_ARGS:-}" ] && append="$append $GUARD_ARGS"
qemu=("$QEMU_BIN" $QEMU_MACHINE $QEMU_CPU -smp "$SMP" -m "$MEM" -no-reboot
	-kernel "$image" -initrd "$initrd" -append "$append" "${PROFILE_QEMU_ARGS[@]}")
if [ -n "$PROFILE_DISK_DEVICE" ]; then
	# The data disk (scripts/mkdisk.sh builds it once): read-only, so guests share the image
	# and nothing writes it.
	disk=$("$ROOT/scripts/mkdisk.sh")
	qemu+=(-drive "file=$disk,format=raw,if=none,id=disk0,readonly=on" -device "$PROFILE_DISK_DEVICE,drive=disk0")
fi

msg "booting $NAME guest ($MODE, $MEM, ${SMP%%,*} CPUs, ${QEMU_CPU#-cpu }, TCG); console log: $log"
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

tr -d '\r' <"$log" >"$log.tmp" && mv "$log.tmp" "$log"
[ "$MODE" = bench ] && { grep "^bench:" "$log" >"$outdir/bench.txt" || true; }
set +e
rm -f "$results"
"$ROOT/scripts/judge-console.sh" --name "$NAME" --mode "$MODE" --qemu-exit "$qrc" --timeout "$TIMEOUT" \
	--results "$results" "$log"
rc=$?
set -e
# A judge that died before writing its results is one failure, never stale numbers.
[ -s "$results" ] || echo "0 1 0" >"$results"
msg "$NAME $MODE: $(awk '{ printf "%d passed, %d failed, %d skipped", $1, $2, $3 }' "$results") in $elapsed s (log: $log)"
exit $rc
