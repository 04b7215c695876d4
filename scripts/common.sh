# Shared helpers for rust_oom_guard's host scripts. Sourced, not run.
# shellcheck shell=bash

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=versions.env
. "$ROOT/scripts/versions.env"

CACHE=${OOM_GUARD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rust-oom-guard}
# Where set-up puts the kernel source, tools and per-arch builds.
SRC_DIR=$CACHE/src
TOOLS_DIR=$CACHE/tools
KBUILD_ROOT=$CACHE/build
# Build output that belongs to this checkout (initramfs, logs).
OUT=${OUT:-$ROOT/build}

export RUSTUP_TOOLCHAIN=$RUST_VERSION
export PATH=$TOOLS_DIR/bin:$HOME/.cargo/bin:$PATH

msg() { printf '==> %s\n' "$*" >&2; }
warn() { printf 'WARNING: %s\n' "$*" >&2; }
die() {
	printf 'error: %s\n' "$*" >&2
	exit 1
}

# Map a user-facing arch name to the kernel's ARCH and image path.
kernel_arch() {
	case $1 in
	x86_64 | x86 | amd64) echo x86_64 ;;
	arm64 | aarch64) echo arm64 ;;
	*) die "unsupported ARCH '$1' (supported: x86_64, arm64)" ;;
	esac
}

# Kernel series (scripts/versions.env). A series argument or $SERIES names one of
# KERNEL_SERIES_ALL; empty means the default KERNEL_SERIES. Kernel build directories and suite
# names carry a series other than the default as a suffix: x86_64-6.12.
# series_of SERIES: the series as the suffix has it, '' for the default; dies on an unknown one.
series_of() {
	local s=${1:-}
	if [ -z "$s" ] || [ "$s" = "$KERNEL_SERIES" ]; then
		return 0
	fi
	case ",$KERNEL_SERIES_ALL," in
	*",$s,"*) echo "$s" ;;
	*) die "unknown kernel series '$s' (scripts/versions.env has: $KERNEL_SERIES_ALL)" ;;
	esac
}
# series_var SERIES FIELD: the series' row in versions.env, KERNEL_<6_12>_<FIELD>.
series_var() {
	local v="KERNEL_${1//./_}_$2"
	echo "${!v:-}"
}

# The kernel source tree of a series, prepared by setup.sh.
kernel_src() { # kernel_src [SERIES]
	local s f
	s=$(series_of "${1:-}")
	if [ -z "$s" ]; then
		f=$SRC_DIR/current
		[ -e "$f" ] || die "no kernel source in $SRC_DIR: run 'scripts/setup.sh' (or 'make setup')"
	else
		f=$SRC_DIR/linux-source-$s
		[ -f "$f/.guard-source" ] ||
			die "no linux-source-$s in $SRC_DIR: run 'SERIES=$s scripts/setup.sh' (or 'make SERIES=$s setup')"
	fi
	readlink -f "$f"
}

# Build directory of one kernel: <arch>[-debug][-<series>].
kernel_build_dir() { # kernel_build_dir ARCH [VARIANT] [SERIES]
	local arch=$1 variant=${2:-} s
	s=$(series_of "${3:-}")
	echo "$KBUILD_ROOT/$arch${variant:+-$variant}${s:+-$s}"
}

# The module's source files, mirrored into DEST (a build directory, or a kernel tree's
# drivers/misc/rust_oom_guard): Kbuild, the crate's .rs files at the top and in its folders, the
# C shim. rsync keeps mtimes (an unchanged tree rebuilds nothing) and deletes stale sources, but
# never build output, which no rule includes.
MODULE_DIRS="ffi common"
mirror_module_sources() { # mirror_module_sources DEST
	local d filter=(--include=/Kbuild --include='/*.rs' --include='/*.c' --include='/*.h')
	for d in $MODULE_DIRS; do
		filter+=("--include=/$d/" "--include=/$d/**/" "--include=/$d/**.rs" "--include=/$d/**.c" "--include=/$d/**.h")
	done
	mkdir -p "$1"
	rsync -a --delete "${filter[@]}" --exclude='*' "$ROOT/" "$1/"
}

host_arch() {
	case $(uname -m) in
	x86_64) echo x86_64 ;;
	aarch64) echo arm64 ;;
	*) uname -m ;;
	esac
}

# The guest tests a tier runs on one kernel, comma-separated, from each test's `# guard-tier:`
# line: `core` tests exercise the module's own code paths and run on every kernel; `plain`
# ones (tools, peers, the reader's userspace, timing estimates) only on the plain kernels in
# `make test` and on the debug kernels too in `make test-full`; `soak` ones only in
# `make test-full`, on the plain kernels. A board profile (PROFILE board, qemu/board-*.conf)
# runs its own `board` tests, in both tiers, and only those: the others run on the small guests.
# The `intree` kernel (the guard built in, make test-full) runs the `builtin` tests, and only
# it does.
# The suites a tier runs, in order: what `make test` (tier test) and `make test-full` run.
default_suites() { # default_suites TIER
	local boot
	boot=$(for arch in x86_64 arm64; do for s in $(series_with boot); do echo -n " $arch-$s"; done; done)
	case $1 in
	test) echo "host harness lint x86_64 arm64$boot board-x86_64 board-arm64 x86_64-debug" ;;
	full) echo "host harness lint x86_64 arm64$boot board-x86_64 board-arm64 x86_64-debug arm64-debug x86_64-intree" ;;
	*) die "unknown TIER '$1' (test or full)" ;;
	esac
}
# series_with WHAT: the series other than the default whose row in versions.env says
# TESTS=WHAT (boot: suites of their own; build: the lint suite builds the module against them).
series_with() {
	local s
	for s in ${KERNEL_SERIES_ALL//,/ }; do
		[ "$s" != "$KERNEL_SERIES" ] && [ "$(series_var "$s" TESTS)" = "$1" ] && echo "$s"
	done
	return 0
}
# A series other than the default (SERIES=6.12) runs, in `make test`, the tests of the code that
# differs between series (`# guard-also: series`: load and unload, parameters, the device, its
# ioctls and readers, averted and not averted OOMs, the storm, the victims), and in
# `make test-full` what a debug kernel runs there (`core` and `plain`).
tier_tests() { # tier_tests TIER VARIANT [PROFILE] [SERIES]
	local want t tier names='' variant=$2 series
	series=$(series_of "${4:-}") || return 1
	[ -n "$series" ] && [ -z "${3:-}" ] && variant=${variant:-series}
	case $1:$variant:${3:-} in
	test:*:board | full:*:board) want="board" ;;
	*:*:?*) die "unknown profile '$3' (board or none)" ;;
	*:intree:) want="builtin" ;;
	test:debug:) want="core" ;;
	test:series:) want="series" ;;
	test::) want="core plain" ;;
	full:debug: | full:series:) want="core plain" ;;
	full::) want="core plain soak" ;;
	*) die "unknown tier '$1' (test or full) or variant '$2' ('', debug or intree)" ;;
	esac
	for t in "$ROOT"/guest/tests/*.sh; do
		tier=$(sed -n '1,5s/^# guard-tier: *\([a-z]*\).*/\1/p' "$t")
		# `# guard-also: board`: a core or plain test that also runs on the board profiles.
		[ "${3:-}" = board ] && sed -n '1,5p' "$t" | grep -qx '# guard-also: board' && tier=board
		# `# guard-also: series`: a core test that make test runs on the other kernel series too.
		[ "$1:$variant" = test:series ] && sed -n '1,5p' "$t" | grep -qx '# guard-also: series' && tier=series
		case " $want " in *" $tier "*) names="$names${names:+,}$(basename "$t" .sh)" ;; esac
	done
	echo "$names"
}
