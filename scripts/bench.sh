#!/bin/bash
# `make bench`: set up, build, boot one bench guest per arch (x86_64 and arm64, TCG) and
# profile (the 256 MiB small guest, then the board-shaped one of qemu/board-<arch>.conf, which
# runs the measures that depend on memory shape), collect the raw `bench:` lines each prints,
# add the host's own figures (set-up and `make test` wall times, P9), and write
# docs/BENCHMARKS.md and docs/benchmarks.json with bench-report. Figures are printed and
# written, never judged as pass/fail.
set -euo pipefail
. "$(dirname "$0")/common.sh"

usage() {
	cat <<USAGE
usage: $0
Environment (defaults):
  BENCH_ARCHES="${BENCH_ARCHES:-x86_64 arm64}"   guests' arches
  BENCH_PROFILES="${BENCH_PROFILES:-small board}"  guests' memory shapes (board: P2, P6, P10 only)
  BENCH=${BENCH:-}             measurements (P1..P8, P10, comma-separated; default all)
  BENCH_RUNS=${BENCH_RUNS:-10}        runs per rate in P2 (a board guest: half as many); P6's
                               idle windows last 3 s per run, 10 to 30 s
  BENCH_SPIKES=${BENCH_SPIKES:-twice BENCH_RUNS}  spikes per mode in P5 and in P10 (its capped run:
                               a quarter, at least 1); P10 is judged over 20 or more
  BENCH_MD=${BENCH_MD:-docs/BENCHMARKS.md}  BENCH_JSON=${BENCH_JSON:-docs/benchmarks.json}
Raw lines: build/<arch>/bench.txt; host figures: build/bench-host.txt;
timings of earlier set-ups and test runs: \$CACHE/timings.log
USAGE
}
case ${1:-} in -h | --help) usage; exit 0 ;; "") ;; *) usage >&2; exit 2 ;; esac
BENCH_ARCHES=${BENCH_ARCHES:-x86_64 arm64}
BENCH_MD=${BENCH_MD:-docs/BENCHMARKS.md}
BENCH_JSON=${BENCH_JSON:-docs/benchmarks.json}
BENCH_PROFILES=${BENCH_PROFILES:-small board}
BENCH_RUNS=${BENCH_RUNS:-10}
# A quick `make bench BENCH_RUNS=2` shortens the spikes with the runs.
BENCH_SPIKES=${BENCH_SPIKES:-$((2 * BENCH_RUNS))}
export BENCH BENCH_RUNS BENCH_SPIKES

cd "$ROOT"
scripts/setup.sh
host_target=$(host_arch)
make -s userspace ARCH="$host_target" >/dev/null
report=$ROOT/userspace/target/$(. "qemu/$host_target.conf" && echo "$RUST_TARGET")/release/bench-report

inputs=()
for profile in $BENCH_PROFILES; do
	case $profile in small | board) ;; *) die "BENCH_PROFILES: unknown profile '$profile' (small, board)" ;; esac
done
for arch in $BENCH_ARCHES; do
	arch=$(kernel_arch "$arch")
	msg "bench: building the $arch guest"
	make -s initramfs ARCH="$arch" VARIANT=
done
for profile in $BENCH_PROFILES; do
	for arch in $BENCH_ARCHES; do
		arch=$(kernel_arch "$arch")
		name=$arch qprofile=''
		[ "$profile" = board ] && name=board-$arch qprofile=board
		rm -f "$OUT/$name/bench.txt"
		if ! scripts/qemu-run.sh --mode bench --profile "$qprofile" "$arch"; then
			warn "the $name bench guest failed (console: $OUT/$name/console-bench.log); its figures are partial"
		fi
		# Inputs are named relative to the repository (the report names them), not by this
		# machine's absolute paths.
		[ -s "$OUT/$name/bench.txt" ] && inputs+=(--input "$name=${OUT#"$ROOT"/}/$name/bench.txt")
	done
done

# P9 from the timings scripts/test.sh records: the newest fresh run (set-up installed
# something) and the newest warm one.
host=$OUT/bench-host.txt
timings=$CACHE/timings.log
last() { # last FRESH FIELD
	[ -f "$timings" ] || { echo -; return; }
	# Whole suites only (a TESTS= or SUITES= subset is not 'make test').
	awk -v fresh="$1" -v k="$2" -v whole="$(default_suites test | tr ' ' ',')" '$1 == "test" {
		f = ""; v = ""; su = ""
		for (i = 2; i <= NF; i++) {
			split($i, kv, "=")
			if (kv[1] == "fresh") f = kv[2]
			if (kv[1] == "suites") su = kv[2]
			if (kv[1] == k) v = kv[2]
		}
		if (f == fresh && v != "" && su == whole) last = v
	} END { print last == "" ? "-" : last }' "$timings"
}
echo "bench: P9 fresh_setup_s=$(last 1 setup_s) fresh_test_s=$(last 1 wall_s) warm_test_s=$(last 0 wall_s)" >"$host"
inputs+=(--input "host=${host#"$ROOT"/}")

"$report" "${inputs[@]}" --md "$BENCH_MD" --json "$BENCH_JSON"
msg "bench: wrote $BENCH_MD and $BENCH_JSON"
