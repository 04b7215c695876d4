#!/bin/bash
# Self-test of the guest-log judge (scripts/judge-console.sh): a clean log
# with an ordinary OOM-killer report must pass; the same log with one kernel
# splat, a failed or missing test result, or no sentinel must fail. Prints
# KTAP; exits non-zero if the judge misjudged any case.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
JUDGE=$ROOT/scripts/judge-console.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A clean test-mode console log, OOM report included (not a splat).
cat >"$tmp/clean.log" <<'LOG'
[    0.000000] Linux version 7.3.4 (root@vm) #1 SMP PREEMPT
[    1.100000] Run /init as init process
# guard-test: running 01-a
[    3.200000] memhog invoked oom-killer: gfp_mask=0x140dca(GFP_HIGHUSER_MOVABLE|__GFP_ZERO), order=0, oom_score_adj=0
[    3.200100] CPU: 1 UID: 0 PID: 80 Comm: memhog Not tainted 7.3.4 #1 PREEMPT
[    3.200200] Call Trace:
[    3.200300]  <TASK>
[    3.200400]  dump_stack_lvl+0x5d/0x80
[    3.200500]  out_of_memory+0x2a0/0x4e0
[    3.200600] Out of memory: Killed process 80 (memhog) total-vm:500000kB, anon-rss:230000kB
KTAP version 1
1..3
# something a test printed
ok 1 01-a
ok 2 02-b # SKIP not the debug kernel
# FAIL-looking text inside diagnostics is fine
ok 3 03-c
# totals: pass:2 fail:0 skip:1
----- guest dmesg -----
[    0.000000] Linux version 7.3.4 (root@vm) #1 SMP PREEMPT
----- end guest dmesg -----
OOM_GUARD_SENTINEL mode=test
[    9.000000] reboot: Restarting system
LOG

n=0 bad=0
expect() { # expect pass|fail NAME LOGFILE
	local want=$1 name=$2 file=$3 got
	n=$((n + 1))
	# A fail must be the judge's verdict (a "not ok" line), not the judge crashing.
	if "$JUDGE" --name "$name" --mode "${JMODE:-test}" "$file" >"$tmp/out" 2>&1; then
		got=pass
	elif grep -q 'not ok' "$tmp/out"; then
		got=fail
	else
		got=crash
	fi
	if [ "$got" = "$want" ]; then
		echo "ok $n judge: $name -> $want"
	else
		echo "not ok $n judge: $name -> expected $want, got $got"
		sed 's/^/# /' "$tmp/out"
		bad=$((bad + 1))
	fi
}
# variant NAME SED-SCRIPT: the clean log edited by sed.
variant() {
	sed "$2" "$tmp/clean.log" >"$tmp/$1.log"
	echo "$tmp/$1.log"
}
splat_after_boot() { variant "$1" "/Run \/init/a $2"; }

echo "KTAP version 1"
echo "1..23"
expect pass "clean log with an OOM-killer report" "$tmp/clean.log"
expect fail "WARNING splat" "$(splat_after_boot warn '[    2.0] WARNING: CPU: 0 PID: 1 at mm/page_alloc.c:4500 __alloc_pages+0x1/0x2')"
expect fail "BUG splat" "$(splat_after_boot bug '[    2.0] BUG: sleeping function called from invalid context at mm/slub.c:4100')"
expect fail "KASAN report" "$(splat_after_boot kasan '[    2.0] BUG: KASAN: slab-out-of-bounds in foo+0x10/0x20')"
expect fail "UBSAN report" "$(splat_after_boot ubsan '[    2.0] UBSAN: shift-out-of-bounds in lib/foo.c:10:5')"
expect fail "lockdep report" "$(splat_after_boot lockdep '[    2.0] WARNING: possible circular locking dependency detected')"
expect fail "kmemleak report" "$(splat_after_boot leak 'unreferenced object 0xffff888003a1b000 (size 64):')"
expect fail "Oops" "$(splat_after_boot oops '[    2.0] Oops: general protection fault, probably for non-canonical address')"
expect fail "Rust panic" "$(splat_after_boot rpanic '[    2.0] rust_kernel: panicked at oom_guard_main.rs:10:5:')"
expect fail "a failed guest test" "$(variant notok 's/^ok 3 03-c$/not ok 3 03-c/')"
expect fail "incomplete KTAP plan" "$(variant short '/^ok 3 03-c$/d')"
expect fail "no guest test ran (plan 1..0)" "$(variant empty 's/^1\.\.3$/1..0/; /^ok [0-9] /d')"
expect fail "no KTAP at all" "$(variant noktap '/^KTAP version 1$/,/^# totals/d')"
# Demo mode: the demo's VERDICT line is the whole point of `make run`.
demo_log() { # demo_log NAME VERDICT-LINE
	sed -e 's/mode=test/mode=demo/' -e '/^KTAP version 1$/,/^# totals/d' "$tmp/clean.log" >"$tmp/$1.log"
	[ -n "$2" ] && sed -i "/^OOM_GUARD_SENTINEL/i $2" "$tmp/$1.log"
	echo "$tmp/$1.log"
}
JMODE=demo expect pass "demo: averted with the guard, killed without" \
	"$(demo_log demo_ok 'VERDICT: averted with the guard (1 of 1 spikes), killed without')"
JMODE=demo expect fail "demo: the verdict says it failed" \
	"$(demo_log demo_bad 'VERDICT: FAILED: averted 0 of 1 spikes with the guard, killed without')"
JMODE=demo expect fail "demo: no verdict line" "$(demo_log demo_none '')"
expect fail "missing sentinel (guest died)" "$(variant nosentinel '/^OOM_GUARD_SENTINEL/d')"
expect fail "sentinel of another mode" "$(variant othermode 's/mode=test/mode=demo/')"

# check NAME CMD...: one more KTAP result from a command's exit status.
check() {
	local name=$1
	shift
	n=$((n + 1))
	if "$@" >"$tmp/out" 2>&1; then
		echo "ok $n $name"
	else
		echo "not ok $n $name"
		sed 's/^/# /' "$tmp/out"
		bad=$((bad + 1))
	fi
}
# Every guest test names its tier on one of its first lines (scripts/common.sh's tier_tests).
tiers_named() {
	local t ok=0
	for t in "$ROOT"/guest/tests/*.sh; do
		sed -n '1,5p' "$t" | grep -Eq '^# guard-tier: (core|plain|soak|board|builtin)$' ||
			{ echo "$(basename "$t"): no '# guard-tier: core|plain|soak|board|builtin' line"; ok=1; }
	done
	return $ok
}
check "every guest test names its tier (core, plain, soak, board or builtin)" tiers_named
# The board profile runs the `board` tests and only those, and no other suite runs them.
# tier_tests of scripts/common.sh, in a shell of its own.
tier_tests() { bash -c '. "$0/scripts/common.sh" && tier_tests "$@"' "$ROOT" "$@"; }
series_with() { bash -c '. "$0/scripts/common.sh" && series_with "$@"' "$ROOT" "$@"; }
default_suites() { bash -c '. "$0/scripts/common.sh" && default_suites "$@"' "$ROOT" "$@"; }
board_tier() {
	local board t tv
	board=$(tier_tests test '' board)
	[ -n "$board" ] || { echo "no board tests"; return 1; }
	[ "$(tier_tests full '' board)" = "$board" ] || { echo "the full tier's board list differs"; return 1; }
	local only=
	for t in ${board//,/ }; do
		if grep -qx '# guard-tier: board' "$ROOT/guest/tests/$t.sh"; then
			only="$only,$t"
		elif ! sed -n '1,5p' "$ROOT/guest/tests/$t.sh" | grep -qx '# guard-also: board'; then
			echo "$t is neither a board test nor marked '# guard-also: board'"
			return 1
		fi
	done
	for tv in test: full: test:debug full:debug; do
		for t in $(tier_tests "${tv%%:*}" "${tv#*:}" | tr , ' '); do
			case "$only," in *",$t,"*) echo "$tv runs the board test $t"; return 1 ;; esac
		done
	done
}
check "the board profile runs the board tests (and the ones marked guard-also), and only it" board_tier
# The per-test time log (scripts/test-times.sh) on fixture consoles: four runs of two tests,
# the last with one test ten times slower than before.
times_fixture() { # times_fixture SLOW_SECONDS: writes the log, prints run 4's report
	local i secs
	export TEST_TIMES_LOG=$tmp/times.log
	rm -f "$TEST_TIMES_LOG"
	for i in 1 2 3 4; do
		secs=9.$i
		[ "$i" = 4 ] && secs=$1
		printf '# 01-a: exit 0, 1.0 s\nok 1 01-a\n# 29-b: exit 0, %s s\nok 2 29-b\n' "$secs" >"$tmp/c$i.log"
		"$ROOT/scripts/test-times.sh" record "r$i" x86_64 "$tmp/c$i.log"
		"$ROOT/scripts/test-times.sh" suite "r$i" x86_64 "20$i"
	done
	"$ROOT/scripts/test-times.sh" report r4
}
slow_named() { times_fixture 104.0 | tee /dev/stderr | grep -q 'slow: x86_64 *29-b *104.0 s, median 9.2 s'; }
none_slow() { times_fixture 9.5 | tee /dev/stderr | grep -q 'none of 3 tests'; }
first_run() { times_fixture 9.5 >/dev/null && "$ROOT/scripts/test-times.sh" report r1 | grep -q 'no history yet'; }
check "test times: a test ten times its median is listed as slow" slow_named
check "test times: a run like the earlier ones lists nothing" none_slow
check "test times: the first run has no history to judge" first_run
# Another kernel series (SERIES=6.12) runs in `make test` the core tests marked
# `# guard-also: series`, and in `make test-full` what the debug kernel runs there.
series_tier() {
	local t marked
	marked=$(tier_tests test '' '' 6.12)
	[ -n "$marked" ] || { echo "no test runs on 6.12"; return 1; }
	for t in ${marked//,/ }; do
		grep -qx '# guard-tier: core' "$ROOT/guest/tests/$t.sh" || { echo "$t runs on 6.12 but is not a core test"; return 1; }
	done
	[ "$(tier_tests full '' '' 6.12)" = "$(tier_tests full debug)" ] || { echo "6.12 in test-full is not the debug kernel's list"; return 1; }
	[ "$(tier_tests test '' '' 7.3)" = "$(tier_tests test '')" ] || { echo "the default series is not the plain kernel"; return 1; }
	! tier_tests test '' '' 5.4 2>/dev/null || { echo "an unknown series was accepted"; return 1; }
}
check "a kernel series other than the default runs its marked core tests; an unknown one is refused" series_tier
# The suites follow versions.env's rows: a `boot` series has a suite per arch in both tiers, a
# `build` series none (the lint suite builds the module against it).
series_suites() {
	local s t
	[ -n "$(series_with boot)" ] || { echo "no series is booted besides the default"; return 1; }
	for t in test full; do
		for s in $(series_with boot); do
			grep -qw "x86_64-$s" <<<"$(default_suites $t)" && grep -qw "arm64-$s" <<<"$(default_suites $t)" ||
				{ echo "$t: no suites for series $s: $(default_suites $t)"; return 1; }
		done
		for s in $(series_with build); do
			! grep -q -- "-$s\b" <<<"$(default_suites $t)" || { echo "$t: a suite boots build-only series $s"; return 1; }
		done
	done
}
check "the suites follow the series' rows in versions.env (boot: a suite per arch; build: none)" series_suites
# The `builtin` tests run on the intree kernel (the guard built in), and nowhere else: every
# other kernel loads the module with insmod.
builtin_tier() {
	local b t l
	b=$(tier_tests full intree)
	if [ -z "$b" ] || [ "$(tier_tests test intree)" != "$b" ]; then
		echo "intree runs '$b'"
		return 1
	fi
	for t in ${b//,/ }; do
		grep -qx '# guard-tier: builtin' "$ROOT/guest/tests/$t.sh" || { echo "$t on intree is not a builtin test"; return 1; }
		for l in "test ''" "full ''" "test debug" "full debug" "test '' board" "test '' '' 6.12" "full '' '' 6.12"; do
			eval "tier_tests $l" | tr , '\n' | grep -qx "$t" && { echo "$t runs in tier_tests $l"; return 1; }
		done
	done
	return 0
}
check "the builtin tests run on the intree kernel only" builtin_tier
# scripts/check-kdir.sh names what a kernel tree lacks, in one line, before the module build.
kdir_fixture() { # kdir_fixture NAME RELEASE CONFIG-LINES...: a fake built kernel tree
	local d=$tmp/kdir-$1 rel=$2
	shift 2
	mkdir -p "$d/include/config" "$d/rust"
	echo "$rel" >"$d/include/config/kernel.release"
	: >"$d/Module.symvers"
	: >"$d/rust/libkernel.rmeta"
	printf '%s\n' "$@" >"$d/.config"
	echo "$d"
}
kdir_says() { # kdir_says WORDS DIR: check-kdir.sh fails, saying WORDS
	local out
	if out=$("$ROOT/scripts/check-kdir.sh" "$2" 2>&1); then
		echo "accepted: $out"
		return 1
	fi
	grep -q "$1" <<<"$out" || { echo "did not say '$1': $out"; return 1; }
	[ "$(wc -l <<<"$out")" = 1 ] || { echo "more than one line: $out"; return 1; }
}
rustc_text=$(RUSTUP_TOOLCHAIN=$(bash -c '. "$0/scripts/versions.env" && echo "$RUST_VERSION"' "$ROOT") rustc --version 2>/dev/null || echo none)
kdir_checks() {
	local good="CONFIG_RUST=y" mods="CONFIG_MODULES=y" unload="CONFIG_MODULE_UNLOAD=y" rc="CONFIG_RUSTC_VERSION_TEXT=\"$rustc_text\""
	kdir_says "not a configured kernel" "$tmp/kdir-none" &&
		kdir_says "CONFIG_RUST is not set" "$(kdir_fixture norust 7.3.4 "$mods" "$unload")" &&
		kdir_says "older than 6.12" "$(kdir_fixture old 6.6.50 "$good" "$mods" "$unload" "$rc")" &&
		kdir_says "CONFIG_MODULE_UNLOAD is not set" "$(kdir_fixture nounload 6.12.117 "$good" "$mods" "$rc")" &&
		kdir_says "was built with rustc 0.0.1" "$(kdir_fixture oldrustc 7.3.4 "$good" "$mods" "$unload" 'CONFIG_RUSTC_VERSION_TEXT="rustc 0.0.1"')" &&
		"$ROOT/scripts/check-kdir.sh" "$(kdir_fixture ok 6.12.117 "$good" "$mods" "$unload" "$rc" CONFIG_MEMCG=y)" 2>&1 |
		grep -q "victim probe off (no CONFIG_TRACEPOINTS" &&
		"$ROOT/scripts/check-kdir.sh" "$(kdir_fixture built 7.2.13 "$good" "$mods" "$unload" "$rc")" 2>&1 |
		grep "Linux 7.2 is build-tested here, not booted" >/dev/null &&
		"$ROOT/scripts/check-kdir.sh" "$(kdir_fixture untested 7.1.5 "$good" "$mods" "$unload" "$rc")" 2>&1 |
		grep "Linux 7.1 is not one of the series tested here" >/dev/null
}
check "check-kdir: one line for each missing piece of a kernel tree, the optional features of a good one" kdir_checks
echo "# harness self-test: $((n - bad)) passed, $bad failed"
[ "$bad" -eq 0 ]
