#!/bin/bash
# `make test` and `make test-full`: set up, build, then run the tier's suites: host unit
# tests, lints, and the QEMU guest suites. Ends with one line `N passed, N failed, N skipped`;
# exits non-zero on any failure. Tiers (docs/TESTING.md says why each test is where it is):
#   test  (make test, CI): every test on x86_64 and arm64, the `board` tests on the
#         board-shaped guests (board-x86_64, board-arm64: qemu/board-*.conf), the module's own
#         code paths (`# guard-tier: core` tests) on the x86_64 KASAN + lockdep kernel
#   full  (make test-full): also the arm64 debug kernel, every test on both debug kernels,
#         and the soaks (`# guard-tier: soak`)
set -euo pipefail
. "$(dirname "$0")/common.sh"

usage() {
	cat <<USAGE
usage: $0
Environment (defaults):
  TIER=${TIER:-test}   test (make test) or full (make test-full)
  SUITES="${SUITES:-$(default_suites "${TIER:-test}")}"
          which suites to run, in order
  TESTS=${TESTS:-}   comma-separated globs of guest test names (default: each suite's tier list)
Logs: build/<suite>-*.log (build steps), build/<suite>/console-test.log (guests);
per-test times: \$CACHE/test-times.log (scripts/test-times.sh)
USAGE
}
case ${1:-} in -h | --help) usage; exit 0 ;; "") ;; *) usage >&2; exit 2 ;; esac
TIER=${TIER:-test}
SUITES=${SUITES:-$(default_suites "$TIER")}
export TIER
# This run's name in the per-test time log.
RUN_ID=$(date -u +%Y%m%dT%H%M%SZ)-$$

mkdir -p "$OUT"
TOTAL_PASS=0 TOTAL_FAIL=0 TOTAL_SKIP=0
SUMMARY=()
t0=$(date +%s)
add() { # add SUITE PASS FAIL SKIP
	TOTAL_PASS=$((TOTAL_PASS + $2)) TOTAL_FAIL=$((TOTAL_FAIL + $3)) TOTAL_SKIP=$((TOTAL_SKIP + $4))
	SUMMARY+=("$(printf '%-14s %3d passed, %3d failed, %3d skipped' "$1" "$2" "$3" "$4")")
}
# Runs a build step; on failure shows the tail of its log and counts one failure.
step() { # step SUITE WHAT CMD...
	local suite=$1 what=$2 log
	shift 2
	log=$OUT/$suite-$(tr ' /' '__' <<<"$what").log
	msg "$suite: $what"
	if "$@" >"$log" 2>&1; then
		return 0
	fi
	tail -n 30 "$log" | sed 's/^/    /' >&2
	warn "$suite: $what failed (full log: $log)"
	return 1
}

# A fresh machine (set-up has something to install, or a kernel to build): recorded with the
# wall time in \$CACHE/timings.log, which 'make bench' reports (P9).
fresh=0
# The kernel series the suites need besides the default (x86_64-6.12: 6.12; the lint suite: every
# other series), for set-up.
need_series=$(for suite in $SUITES; do
	[ "$suite" != lint ] || { series_with boot; series_with build; }
	kv=${suite#board-}
	rest=${kv#*-}
	[ "$rest" != "$kv" ] || continue
	rest=${rest#debug}
	rest=${rest#intree}
	rest=${rest#-}
	[ -z "$rest" ] || echo "$rest"
done | sort -u | tr '\n' ' ')
# Only set-up gets them: every build step below names its series (SERIES= the default).
SERIES=$need_series scripts/setup.sh --check >/dev/null 2>&1 || fresh=1
for k in x86_64/arch/x86/boot/bzImage arm64/arch/arm64/boot/Image x86_64-debug/arch/x86/boot/bzImage \
	$(for s in $(series_with boot); do echo "x86_64-$s/arch/x86/boot/bzImage arm64-$s/arch/arm64/boot/Image"; done) \
	$(for s in $(series_with build); do echo "x86_64-$s/arch/x86/boot/bzImage"; done); do
	[ -f "$KBUILD_ROOT/$k" ] || fresh=1
done
msg "set-up (skips what is installed)"
SERIES=$need_series scripts/setup.sh || die "set-up failed: see the line above"
setup_s=$(($(date +%s) - t0))

for suite in $SUITES; do
	s0=$(date +%s)
	case $suite in
	host)
		# cargo's own summary lines are summed; a build failure is one failure. The static
		# musl binary the project ships is built first: tests/musl.rs runs it (scheduling,
		# mlock, signals, exit statuses), and cargo cannot build it from inside `cargo test`.
		log=$OUT/host-cargo-test.log
		msg "host: make userspace (the musl binary), cargo test (userspace crates)"
		set +e
		{
			make -C "$ROOT" userspace ARCH="$(host_arch)" &&
				(cd "$ROOT/userspace" && cargo test --locked --workspace --no-fail-fast)
		} >"$log" 2>&1
		rc=$?
		set -e
		p=$(awk '/^test result:/ { s += $4 } END { print s + 0 }' "$log")
		f=$(awk '/^test result:/ { s += $6 } END { print s + 0 }' "$log")
		sk=$(awk '/^test result:/ { s += $8 } END { print s + 0 }' "$log")
		if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
			tail -n 30 "$log" | sed 's/^/    /' >&2
			f=1
		fi
		grep -E '^test .* FAILED$' "$log" | sed 's/^/    /' || true
		add host "$p" "$f" "$sk"
		;;
	harness)
		# The console judge itself, on fixture logs.
		log=$OUT/harness.log
		msg "harness: self-test of the console judge"
		set +e
		"$ROOT/scripts/selftest-harness.sh" >"$log" 2>&1
		set -e
		p=$(grep -c '^ok ' "$log" || true)
		f=$(grep -c '^not ok ' "$log" || true)
		[ "$p" -gt 0 ] || f=$((f + 1))
		grep -A5 '^not ok ' "$log" | sed 's/^/    /' || true
		add harness "$p" "$f" 0
		;;
	lint)
		p=0 f=0
		for what in fmtcheck check intree-check; do
			if step lint "make $what" make -C "$ROOT" -j"$(nproc)" "$what" ARCH="$(host_arch)" SERIES=; then
				p=$((p + 1))
			else
				f=$((f + 1))
			fi
		done
		# The other series (versions.env: booted or build-only): the module with that kernel's
		# clippy lints as errors, with and without the probe, against its x86_64 kernel. For a
		# build-only series (7.2) this is its whole check.
		for s in $(series_with boot) $(series_with build); do
			if step lint "make check SERIES=$s" make -C "$ROOT" -j"$(nproc)" check ARCH=x86_64 SERIES="$s"; then
				p=$((p + 1))
			else
				f=$((f + 1))
			fi
		done
		add lint "$p" "$f" 0
		;;
	*)
		# <arch>[-debug|-intree][-<series>], or board-<arch>: the arch's kernel and initramfs in
		# the board profile.
		profile='' kv=$suite
		case $suite in board-*) profile=board kv=${suite#board-} ;; esac
		arch=${kv%%-*}
		variant='' series=''
		case ${kv#"$arch"} in
		"") ;;
		-debug | -intree) variant=${kv#"$arch"-} ;;
		-debug-* | -intree-*) variant=${kv#"$arch"-} series=${variant#*-} variant=${variant%%-*} ;;
		-*) series=${kv#"$arch"-} ;;
		esac
		if ! step "$suite" "build (kernel, module, userspace, initramfs)" \
			make -C "$ROOT" -j"$(nproc)" initramfs ARCH="$arch" VARIANT="$variant" SERIES="$series"; then
			add "$suite" 0 1 0
			continue
		fi
		set +e
		"$ROOT/scripts/qemu-run.sh" --mode test --profile "$profile" "$arch" "$variant" "$series"
		qrc=$?
		set -e
		res=$OUT/$suite/results-test.txt
		if [ -f "$res" ]; then
			read -r p f sk <"$res"
			# A failed run never counts as clean, whatever the results file says.
			if [ "$qrc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
			add "$suite" "$p" "$f" "$sk"
		else
			add "$suite" 0 1 0
		fi
		"$ROOT/scripts/test-times.sh" record "$RUN_ID" "$suite" "$OUT/$suite/console-test.log"
		;;
	esac
	"$ROOT/scripts/test-times.sh" suite "$RUN_ID" "$suite" "$(($(date +%s) - s0))"
	msg "$suite: done in $(($(date +%s) - s0)) s"
done

echo
echo "Summary ($(($(date +%s) - t0)) s, tier $TIER):"
printf '  %s\n' "${SUMMARY[@]}"
"$ROOT/scripts/test-times.sh" report "$RUN_ID" || true
mkdir -p "$CACHE"
echo "test date=$(date -u +%Y-%m-%dT%H:%M:%SZ) fresh=$fresh setup_s=$setup_s wall_s=$(($(date +%s) - t0))" \
	"tier=$TIER suites=$(tr ' ' ',' <<<"$SUITES")$([ -z "${TESTS:-}" ] || echo "-filtered") failed=$TOTAL_FAIL" >>"$CACHE/timings.log"
echo "$TOTAL_PASS passed, $TOTAL_FAIL failed, $TOTAL_SKIP skipped"
[ "$TOTAL_FAIL" -eq 0 ]
