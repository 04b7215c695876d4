#!/bin/bash
# Configure and build one of our guest kernels, out of tree and incrementally.
set -euo pipefail
. "$(dirname "$0")/common.sh"

usage() {
	cat <<USAGE
usage: $0 [ARCH] [VARIANT] [SERIES]
  ARCH     x86_64 or arm64 (default: \$ARCH or the host's, now ${ARCH:-$(host_arch)})
  VARIANT  empty for the test kernel, 'debug' for KASAN+lockdep+kmemleak+UBSAN, 'intree' for
           the guard built in from the in-tree drop-in (scripts/intree.sh)
  SERIES   kernel series, one of ${KERNEL_SERIES_ALL//,/, } (default: \$SERIES or $KERNEL_SERIES)
  JOBS     parallel jobs (default: nproc = $(nproc))
Output: $KBUILD_ROOT/<arch>[-debug][-<series> unless $KERNEL_SERIES]
USAGE
}
case ${1:-} in -h | --help) usage; exit 0 ;; esac

ARCH=$(kernel_arch "${1:-${ARCH:-$(host_arch)}}")
VARIANT=${2:-${VARIANT:-}}
SERIES=$(series_of "${3:-${SERIES:-}}")
JOBS=${JOBS:-$(nproc)}
# Run from a recipe of `make -jN initramfs` (test.sh), this script is no part of that make's
# jobserver: its own make runs with -j$JOBS, and the quick queries with -j1, without a warning.
unset MAKEFLAGS MFLAGS
SRC=$(kernel_src "$SERIES")
B=$(kernel_build_dir "$ARCH" "$VARIANT" "$SERIES")
FRAG_DIR=$ROOT/qemu/kconfig
frags=("$FRAG_DIR/base.config" "$FRAG_DIR/$ARCH.config")
# What one series needs beyond the others, if anything (qemu/kconfig/series-6.12.config).
[ -n "$SERIES" ] && [ -f "$FRAG_DIR/series-$SERIES.config" ] && frags+=("$FRAG_DIR/series-$SERIES.config")
case $VARIANT in
"") ;;
debug) frags+=("$FRAG_DIR/debug.config") ;;
intree)
	# The guard built in: the drop-in goes into a hard-linked copy of the source (kept beside
	# it, so rebuilds are incremental), which scripts/intree.sh refreshes every time.
	frags+=("$FRAG_DIR/intree.config")
	copy=$SRC_DIR/intree-$(basename "$SRC")
	if [ ! -f "$copy/.guard-source" ] || [ "$(cat "$copy/.guard-source")" != "$(cat "$SRC/.guard-source")" ]; then
		msg "hard-linking $SRC to $copy for the in-tree drop-in"
		rm -rf "$copy"
		cp -al "$SRC" "$copy"
	fi
	"$ROOT/scripts/intree.sh" "$copy" 2>/dev/null
	SRC=$copy
	;;
*) die "unknown VARIANT '$VARIANT' (expected '', 'debug' or 'intree')" ;;
esac
mkdir -p "$B"

kmake() { make -C "$SRC" O="$B" ARCH="$ARCH" LLVM="-$LLVM_VERSION" "$@"; }

# Reconfigure only when the fragments, the source or the toolchain changed,
# so a warm build is a no-op.
stamp=$( (cat "${frags[@]}"; echo "$SRC $RUST_VERSION $BINDGEN_VERSION $LLVM_VERSION") | sha256sum | cut -c1-16)
if [ ! -f "$B/.config" ] || [ "$(cat "$B/.guard-config" 2>/dev/null)" != "$stamp" ]; then
	msg "configuring $ARCH${VARIANT:+ ($VARIANT)}${SERIES:+ $SERIES} kernel in $B"
	kmake -s tinyconfig >/dev/null
	KCONFIG_CONFIG=$B/.config "$SRC/scripts/kconfig/merge_config.sh" -m -O "$B" "$B/.config" "${frags[@]}" >"$B/merge.log"
	kmake -s olddefconfig >/dev/null
	# merge_config only warns when Kconfig drops an option: check ourselves.
	missing=0
	while IFS= read -r line; do
		case $line in CONFIG_*=*) ;; *) continue ;; esac
		opt=${line%%=*} val=${line#*=}
		if [ "$val" = n ]; then
			if grep -q "^$opt=[ym]" "$B/.config"; then warn "$opt is set but the fragment says n"; missing=1; fi
		elif ! grep -qx "$opt=$val" "$B/.config"; then
			warn "$opt=$val did not stick (got: $(grep "^$opt=\|# $opt is" "$B/.config" || echo unset))"
			missing=1
		fi
	done < <(cat "${frags[@]}")
	if [ "$missing" = 1 ]; then
		if [ "$(grep -c '^CONFIG_RUST=y' "$B/.config")" = 0 ]; then
			kmake rustavailable || true
			die "CONFIG_RUST could not be enabled for $ARCH: see the lines above"
		fi
		die "kernel config for $ARCH${VARIANT:+-$VARIANT}${SERIES:+-$SERIES} lacks options the tests need (see above)"
	fi
	echo "$stamp" >"$B/.guard-config"
fi

msg "building $ARCH${VARIANT:+ ($VARIANT)}${SERIES:+ $SERIES} kernel ($JOBS jobs), log: $B/build.log"
start=$(date +%s)
if ! kmake -j"$JOBS" >"$B/build.log" 2>&1; then
	tail -n 40 "$B/build.log" >&2
	die "kernel build failed for $ARCH${VARIANT:+-$VARIANT}${SERIES:+-$SERIES}; full log: $B/build.log"
fi
msg "kernel $ARCH${VARIANT:+-$VARIANT}${SERIES:+-$SERIES} ready in $(($(date +%s) - start)) s: $(kmake -s image_name)"
