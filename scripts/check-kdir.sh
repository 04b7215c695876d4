#!/bin/bash
# Checks a kernel build tree before the module is built against it (make modules, make check):
# says in one line what the tree lacks, the way the kernel's scripts/rust_is_available.sh does
# for the toolchain, instead of leaving it to a compiler error, and which of the module's
# optional features the tree gives it.
set -euo pipefail
# The compiler the module build will use: the caller's RUSTUP_TOOLCHAIN, which common.sh would
# otherwise set to the pinned one.
caller_toolchain=${RUSTUP_TOOLCHAIN:-}
. "$(dirname "$0")/common.sh"
[ -z "$caller_toolchain" ] || export RUSTUP_TOOLCHAIN=$caller_toolchain

usage() {
	cat <<USAGE
usage: $0 [--quiet] KDIR
  KDIR     a configured and built kernel tree (O= of your kernel build)
  --quiet  print nothing when the tree is fine (our own kernels)
Exit 1 with one line naming what is missing.
USAGE
}
QUIET=0
case ${1:-} in
-h | --help) usage; exit 0 ;;
--quiet) QUIET=1; shift ;;
esac
[ $# -eq 1 ] || { usage >&2; exit 2; }
K=$1
cfg=$K/.config

[ -f "$cfg" ] || die "$K is not a configured kernel build tree (no .config): configure and build your kernel first, then 'make KDIR=$K modules'"
opt() { sed -n "s/^$1=//p" "$cfg" | tr -d '"'; }
rel=$(cat "$K/include/config/kernel.release" 2>/dev/null || true)
if [ -z "$rel" ] || [ ! -f "$K/Module.symvers" ]; then
	die "the kernel in $K is configured but not built (no kernel.release or Module.symvers): run make in it first"
fi
series=$(sed -n 's/^\([0-9]*\.[0-9]*\).*/\1/p' <<<"$rel")
oldest=$(tr ',' '\n' <<<"$KERNEL_SERIES_ALL" | sort -V | head -n1)
if [ "$(printf '%s\n%s\n' "$oldest" "$series" | sort -V | head -n1)" != "$oldest" ]; then
	die "Linux $rel in $K is older than $oldest, the oldest series the module supports (tested: ${KERNEL_SERIES_ALL//,/, })"
fi
[ "$(opt CONFIG_RUST)" = y ] ||
	die "CONFIG_RUST is not set in $cfg: enable 'Rust support' (General setup; 'make rustavailable' in the kernel tree says whether the toolchain allows it), rebuild the kernel, then the module"
[ "$(opt CONFIG_MODULES)" = y ] || die "CONFIG_MODULES is not set in $cfg: the module cannot be loaded into this kernel"
[ "$(opt CONFIG_MODULE_UNLOAD)" = y ] || die "CONFIG_MODULE_UNLOAD is not set in $cfg: the module could never be removed (rmmod); enable it"
[ -f "$K/rust/libkernel.rmeta" ] ||
	die "$K has CONFIG_RUST=y but no rust/libkernel.rmeta: the kernel's Rust crates are not built (run make in the tree)"
# A module's crate must come from the very compiler that built the kernel's crates.
want=$(opt CONFIG_RUSTC_VERSION_TEXT)
have=$(rustc --version 2>/dev/null || echo "no rustc")
if [ -n "$want" ] && [ "$want" != "$have" ]; then
	v=$(awk '{ print $2 }' <<<"$want")
	die "the kernel in $K was built with $want, but this build would use $have: build with the same compiler (RUSTUP_TOOLCHAIN=$v make KDIR=$K modules, if rustup has $v)"
fi
case ",$KERNEL_SERIES_ALL," in
*",$series,"*) tested=yes ;;
*) tested=no ;;
esac
[ "$QUIET" = 1 ] && [ "$tested" = yes ] && exit 0
[ "$tested" = yes ] ||
	warn "Linux $series is not one of the series tested here (${KERNEL_SERIES_ALL//,/, }): the build picks its compat layer by version; report what fails"
[ "$tested" = yes ] && [ "$(series_var "$series" TESTS)" = build ] &&
	warn "Linux $series is build-tested here, not booted (scripts/versions.env): the module builds against it; its tests run on ${KERNEL_SERIES_ALL//,$series/}"
features="victim probe $( [ "$(opt CONFIG_TRACEPOINTS)" = y ] && echo on || echo 'off (no CONFIG_TRACEPOINTS: KILL events count kills without naming victims)')"
features="$features; memcg victims' cgroups $( [ "$(opt CONFIG_MEMCG)" = y ] && echo on || echo 'off (no CONFIG_MEMCG)')"
features="$features; per-CPU peek timers follow CPU hotplug $( [ "$(opt CONFIG_HOTPLUG_CPU)" = y ] && echo yes || echo 'n/a (no CONFIG_HOTPLUG_CPU)')"
msg "rust_oom_guard for Linux $rel ($(opt CONFIG_RUSTC_VERSION_TEXT)): $features"
