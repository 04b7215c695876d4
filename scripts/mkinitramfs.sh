#!/bin/bash
# Build a guest initramfs: static busybox, the module, the userspace static
# binaries, the guest scripts (guest/) and Debian's earlyoom with its libc.
set -euo pipefail
. "$(dirname "$0")/common.sh"

usage() {
	cat <<USAGE
usage: $0 ARCH OUTDIR
  ARCH    x86_64 or arm64
  OUTDIR  build directory holding module/rust_oom_guard.ko (from 'make modules') and
          module-noprobe/rust_oom_guard.ko (from 'make modules-noprobe');
          the image is written to OUTDIR/initramfs.cpio.gz
USAGE
}
[ $# -eq 2 ] || { usage >&2; exit 2; }
ARCH=$(kernel_arch "$1")
OUTDIR=$2
# shellcheck source=../qemu/x86_64.conf
. "$ROOT/qemu/$ARCH.conf"

ko=$OUTDIR/module/rust_oom_guard.ko
bins=$ROOT/userspace/target/$RUST_TARGET/release
bb=$CACHE/busybox/$BUSYBOX_ARCH/busybox
[ -f "$ko" ] || die "$ko missing: run 'make ARCH=$ARCH modules'"
[ -x "$bb" ] || die "$bb missing: run 'scripts/setup.sh'"
eo=$CACHE/earlyoom/$BUSYBOX_ARCH
[ -f "$eo/.guard-earlyoom" ] && [ -x "$eo/usr/bin/earlyoom" ] ||
	die "$eo missing (Debian's earlyoom and its libc for the $ARCH guest): run 'scripts/setup.sh'"
[ -x "$bins/memhog" ] || die "$bins/memhog missing: run 'make ARCH=$ARCH userspace'"

stage=$OUTDIR/initramfs
rm -rf "$stage"
mkdir -p "$stage"/{bin,sbin,dev,proc,sys,tmp,run,root,etc,guard/bin,guard/tests}
install -m 0755 "$bb" "$stage/bin/busybox"
install -m 0755 "$ROOT/guest/init" "$stage/init"
# earlyoom's sysroot (usr/bin/earlyoom, the ELF interpreter, lib/<triplet>/) goes into /.
cp -R "$eo/." "$stage/"
rm -f "$stage/.guard-earlyoom"
install -m 0644 "$ko" "$stage/guard/"
# The variant without the victim probe ('make modules-noprobe'), for 37-victims-noprobe.
noprobe=$OUTDIR/module-noprobe/rust_oom_guard.ko
[ -f "$noprobe" ] || die "$noprobe missing: run 'make ARCH=$ARCH modules-noprobe'"
mkdir -p "$stage/guard/noprobe"
install -m 0644 "$noprobe" "$stage/guard/noprobe/"
install -m 0644 "$ROOT"/guest/*.sh "$stage/guard/"
install -m 0644 "$ROOT"/guest/tests/*.sh "$stage/guard/tests/"
for b in "$bins"/*; do
	[ -f "$b" ] && [ -x "$b" ] && install -m 0755 "$b" "$stage/guard/bin/"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$stage/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$stage/etc/group"
# busybox's sh needs /bin/sh before --install runs for scripts started by the kernel.
ln -s busybox "$stage/bin/sh"
(cd "$stage" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc -R 0:0 --quiet) |
	gzip -1 >"$OUTDIR/initramfs.cpio.gz.tmp"
mv "$OUTDIR/initramfs.cpio.gz.tmp" "$OUTDIR/initramfs.cpio.gz"
msg "initramfs: $OUTDIR/initramfs.cpio.gz ($(du -k "$OUTDIR/initramfs.cpio.gz" | cut -f1) KiB)"
