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

# The kernel source tree prepared by setup.sh.
kernel_src() {
	local f=$SRC_DIR/current
	[ -e "$f" ] || die "no kernel source in $SRC_DIR: run 'scripts/setup.sh' (or 'make setup')"
	readlink -f "$f"
}

# Build directory of one kernel variant: <arch> or <arch>-debug.
kernel_build_dir() {
	local arch=$1 variant=${2:-}
	echo "$KBUILD_ROOT/$arch${variant:+-$variant}"
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
# The suites a tier runs, in order: what `make test` (tier test) and `make test-full` run.
default_suites() { # default_suites TIER
	case $1 in
	test) echo "host harness lint x86_64 arm64 board-x86_64 board-arm64 x86_64-debug" ;;
	full) echo "host harness lint x86_64 arm64 board-x86_64 board-arm64 x86_64-debug arm64-debug" ;;
	*) die "unknown TIER '$1' (test or full)" ;;
	esac
}
tier_tests() { # tier_tests TIER VARIANT [PROFILE]
	local want t tier names=
	case $1:$2:${3:-} in
	test:*:board | full:*:board) want="board" ;;
	*:*:?*) die "unknown profile '$3' (board or none)" ;;
	test:debug:) want="core" ;;
	test::) want="core plain" ;;
	full:debug:) want="core plain" ;;
	full::) want="core plain soak" ;;
	*) die "unknown tier '$1' (test or full) or variant '$2' ('' or debug)" ;;
	esac
	for t in "$ROOT"/guest/tests/*.sh; do
		tier=$(sed -n '1,5s/^# guard-tier: *\([a-z]*\).*/\1/p' "$t")
		# `# guard-also: board`: a core or plain test that also runs on the board profiles.
		[ "${3:-}" = board ] && sed -n '1,5p' "$t" | grep -qx '# guard-also: board' && tier=board
		case " $want " in *" $tier "*) names="$names${names:+,}$(basename "$t" .sh)" ;; esac
	done
	echo "$names"
}
