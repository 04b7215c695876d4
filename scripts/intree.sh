#!/bin/bash
# Drops rust_oom_guard into a kernel source tree, for a BSP that carries its drivers in the
# kernel: drivers/misc/rust_oom_guard/ with the module's sources, a Kconfig entry
# (CONFIG_RUST_OOM_GUARD, tristate, depends on RUST) and a Makefile, hooked into
# drivers/misc/Kconfig and drivers/misc/Makefile. Then `CONFIG_RUST_OOM_GUARD=y` builds the guard
# into the kernel (it starts at boot, parameters from the command line:
# `rust_oom_guard.pool_kib=32768`) and `=m` builds rust_oom_guard.ko with the kernel's modules.
#
# Idempotent: a second run refreshes the sources and leaves the hooks as they are. Every file
# it changes in the tree is written beside and renamed into place, so a tree of hard links to
# another (`cp -al`) is changed without touching the original.
set -euo pipefail
. "$(dirname "$0")/common.sh"

usage() {
	cat <<USAGE
usage: $0 KSRC
  KSRC   a kernel source tree, 6.12 or later (${KERNEL_SERIES_ALL//,/, } tested here)
Writes KSRC/drivers/misc/rust_oom_guard/ and two lines into drivers/misc/{Kconfig,Makefile}.
USAGE
}
case ${1:-} in -h | --help) usage; exit 0 ;; esac
[ $# -eq 1 ] || { usage >&2; exit 2; }
KSRC=$(cd "$1" && pwd)
MISC=$KSRC/drivers/misc
if [ ! -f "$KSRC/Makefile" ] || [ ! -f "$MISC/Kconfig" ] || [ ! -f "$MISC/Makefile" ]; then
	die "$KSRC is not a kernel source tree (no Makefile, drivers/misc/Kconfig or drivers/misc/Makefile)"
fi
[ -d "$KSRC/rust/kernel" ] || die "$KSRC has no rust/kernel: the module needs a kernel with Rust support (6.12 or later)"
DEST=$MISC/rust_oom_guard

# Writes stdin to FILE through a temporary file and a rename.
write_file() { # write_file FILE
	cat >"$1.tmp.$$"
	mv -f "$1.tmp.$$" "$1"
}

mirror_module_sources "$DEST"
# Kbuild's own file would take precedence over the Makefile: the drop-in has the Makefile only.
rm -f "$DEST/Kbuild"
# The Makefile is the module's Kbuild with the object under the Kconfig symbol.
grep -q '^obj-m := rust_oom_guard.o$' "$ROOT/Kbuild" || die "Kbuild no longer has the line 'obj-m := rust_oom_guard.o' this script rewrites"
# shellcheck disable=SC2016 # $(CONFIG_…) is make's, written as it stands.
sed 's/^obj-m := rust_oom_guard.o$/obj-$(CONFIG_RUST_OOM_GUARD) += rust_oom_guard.o/' "$ROOT/Kbuild" | write_file "$DEST/Makefile"
write_file "$DEST/Kconfig" <<'KCONFIG'
# SPDX-License-Identifier: GPL-2.0
config RUST_OOM_GUARD
	tristate "Rust OOM guard: emergency page pool, early warning, OOM victims"
	depends on RUST && MMU
	help
	  An OOM notifier that, on a global out-of-memory, releases pages from an
	  emergency pool it reserved at start and reports them freed, so the
	  kernel can skip the kill and user space gets time to act; a monitor
	  of the zone watermarks and the available memory that raises pressure
	  levels before the OOM; and, with CONFIG_TRACEPOINTS, the name of every
	  OOM victim, global or memcg. Every event is a versioned binary record
	  read from /dev/oom_guard (the oom-guard reader turns them into logs).

	  Its parameters (pool_kib, policy, headroom thresholds, ...) are set on
	  the kernel command line as rust_oom_guard.<name>=<value> when built
	  in, as module parameters otherwise, and shown under
	  /sys/module/rust_oom_guard/parameters/.

	  To compile this driver as a module, choose M here: the module will be
	  called rust_oom_guard.

	  If unsure, say N.
KCONFIG

# The hooks: once each.
hook='source "drivers/misc/rust_oom_guard/Kconfig"'
if ! grep -qxF "$hook" "$MISC/Kconfig"; then
	# Inside the "Misc devices" menu: before its last endmenu.
	last=$(grep -n '^endmenu' "$MISC/Kconfig" | tail -n 1 | cut -d: -f1)
	[ -n "$last" ] || die "$MISC/Kconfig has no endmenu to add the source line before"
	awk -v at="$last" -v line="$hook" 'NR == at { print line } { print }' "$MISC/Kconfig" | write_file "$MISC/Kconfig"
fi
# shellcheck disable=SC2016 # make's variable, written as it stands.
mk='obj-$(CONFIG_RUST_OOM_GUARD)	+= rust_oom_guard/'
if ! grep -qxF "$mk" "$MISC/Makefile"; then
	{ cat "$MISC/Makefile"; echo "$mk"; } | write_file "$MISC/Makefile"
fi
msg "rust_oom_guard is in $DEST; enable CONFIG_RUST_OOM_GUARD (y: built in, m: a module) in Device Drivers > Misc devices"
