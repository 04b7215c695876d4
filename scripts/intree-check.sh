#!/bin/bash
# Checks the in-tree drop-in (scripts/intree.sh) against one of our kernels, without a kernel
# build: the drop-in goes into a copy of the kernel source made of hard links (the original stays
# as it was, which is checked), Kconfig offers CONFIG_RUST_OOM_GUARD under RUST and keeps it at m
# and y in our kernel's configuration, and the drop-in's own Makefile builds rust_oom_guard.ko as
# =m against our built kernel. `make test` runs it in its lint step; the built-in (=y) boot is
# scripts/intree-boot.sh's.
set -euo pipefail
. "$(dirname "$0")/common.sh"

usage() {
	cat <<USAGE
usage: $0 [ARCH] [SERIES]
  ARCH    x86_64 or arm64 (default: \$ARCH or the host's, now ${ARCH:-$(host_arch)})
  SERIES  kernel series (default: \$SERIES or $KERNEL_SERIES)
Needs that kernel built (make kernel). Work files in a temporary directory, removed after.
USAGE
}
case ${1:-} in -h | --help) usage; exit 0 ;; esac
ARCH=$(kernel_arch "${1:-${ARCH:-$(host_arch)}}")
SERIES=$(series_of "${2:-${SERIES:-}}")
SRC=$(kernel_src "$SERIES")
KB=$(kernel_build_dir "$ARCH" "" "$SERIES")
[ -f "$KB/Module.symvers" ] || die "the $ARCH${SERIES:+-$SERIES} kernel is not built: run 'make ARCH=$ARCH SERIES=$SERIES kernel'"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/intree-check.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
ksrc=$tmp/linux
cp -al "$SRC" "$ksrc"
before=$(sha256sum "$SRC/drivers/misc/Kconfig" "$SRC/drivers/misc/Makefile")

"$ROOT/scripts/intree.sh" "$ksrc"
# Twice: the hooks are not added again.
"$ROOT/scripts/intree.sh" "$ksrc" 2>/dev/null
[ "$(grep -c 'rust_oom_guard/Kconfig' "$ksrc/drivers/misc/Kconfig")" = 1 ] || die "drivers/misc/Kconfig: the source line is not there exactly once"
[ "$(grep -c 'CONFIG_RUST_OOM_GUARD' "$ksrc/drivers/misc/Makefile")" = 1 ] || die "drivers/misc/Makefile: the obj line is not there exactly once"
[ "$(sha256sum "$SRC/drivers/misc/Kconfig" "$SRC/drivers/misc/Makefile")" = "$before" ] ||
	die "intree.sh changed the original tree through the hard links"
[ ! -e "$SRC/drivers/misc/rust_oom_guard" ] || die "intree.sh wrote into the original tree"

# Kconfig: our kernel's configuration plus the symbol, as m and as y; and without Rust it is gone.
kconf() { # kconf VALUE [MORE-LINES]: prints the symbol's line after olddefconfig
	local obj=$tmp/obj-$1
	mkdir -p "$obj"
	{ cat "$KB/.config"; echo "CONFIG_RUST_OOM_GUARD=$1"; [ -z "${2:-}" ] || echo "$2"; } >"$obj/.config"
	make -s -C "$ksrc" O="$obj" ARCH="$ARCH" LLVM="-$LLVM_VERSION" olddefconfig >/dev/null 2>"$obj/kconfig.log" ||
		{ cat "$obj/kconfig.log" >&2; die "olddefconfig failed with CONFIG_RUST_OOM_GUARD=$1"; }
	grep -E '^(# )?CONFIG_RUST_OOM_GUARD[= ]' "$obj/.config" || echo "(absent)"
}
[ "$(kconf m)" = CONFIG_RUST_OOM_GUARD=m ] || die "Kconfig did not keep CONFIG_RUST_OOM_GUARD=m"
[ "$(kconf y)" = CONFIG_RUST_OOM_GUARD=y ] || die "Kconfig did not keep CONFIG_RUST_OOM_GUARD=y"
[ "$(kconf y '# CONFIG_RUST is not set')" = "(absent)" ] || die "CONFIG_RUST_OOM_GUARD stays without CONFIG_RUST"

# The drop-in's Makefile builds the module (=m) against our kernel.
make -C "$KB" M="$ksrc/drivers/misc/rust_oom_guard" ARCH="$ARCH" LLVM="-$LLVM_VERSION" \
	CONFIG_RUST_OOM_GUARD=m modules >"$tmp/build.log" 2>&1 ||
	{ tail -n 30 "$tmp/build.log" >&2; die "the drop-in did not build as a module"; }
ko=$ksrc/drivers/misc/rust_oom_guard/rust_oom_guard.ko
[ -f "$ko" ] || die "no $ko after the drop-in's build"
[ "$(modinfo -F name "$ko")" = rust_oom_guard ] || die "$ko is not named rust_oom_guard"
msg "in-tree drop-in: hooks once, original tree untouched, Kconfig m/y (and gone without RUST), built as =m against $ARCH${SERIES:+-$SERIES}: $(du -k "$ko" | cut -f1) KiB"
