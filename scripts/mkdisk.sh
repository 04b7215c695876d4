#!/bin/bash
# The board-profile guests' data disk: an ext4 image of incompressible files, which the guest
# mounts read-only and reads at boot to warm its page cache (guest/lib.sh's board_setup), and
# one sparse file, `fill`, larger than any guest's memory: reading its holes fills the page
# cache at memory speed with no disk I/O (guest/lib.sh's cache_fill), as a board's cache is
# full after days of uptime. Built
# once into the cache with `mkfs.ext4 -d` (no root, no loop mount); a stamp of the recipe below
# rebuilds it when the recipe changes, so a warm run only checks the stamp. Guests attach it
# read-only, so any number of them share one image and nothing writes it. Prints its path.
set -euo pipefail
. "$(dirname "$0")/common.sh"

FILES=${DISK_FILES:-40}
FILE_MIB=${DISK_FILE_MIB:-8}
FILL_GIB=${DISK_FILL_GIB:-16}
usage() {
	cat <<USAGE
usage: $0
  Builds (if missing or its recipe changed) and prints the path of the board disk image.
Environment (defaults):
  DISK_FILES=$FILES       how many files
  DISK_FILE_MIB=$FILE_MIB      MiB per file (from /dev/urandom)
  DISK_FILL_GIB=$FILL_GIB     GiB of the sparse file fill (all holes: no space in the image)
Image: $CACHE/disk/board-ext4.img (stamp: board-ext4.stamp beside it)
USAGE
}
case ${1:-} in -h | --help) usage; exit 0 ;; "") ;; *) usage >&2; exit 2 ;; esac

dir=$CACHE/disk
img=$dir/board-ext4.img
command -v mkfs.ext4 >/dev/null ||
	die "mkfs.ext4 not found: install e2fsprogs (scripts/setup.sh does: 'apt-get install e2fsprogs')"
# The recipe is this script, its inputs and mkfs's version: a change to any makes another image.
stamp=$( (cat "$0"; echo "$FILES $FILE_MIB $FILL_GIB"; mkfs.ext4 -V 2>&1 | sed -n 1p) | sha256sum | cut -c1-16)
if [ -f "$img" ] && [ "$(cat "$dir/board-ext4.stamp" 2>/dev/null)" = "$stamp" ]; then
	echo "$img"
	exit 0
fi

msg "building the board disk image $img ($FILES x $FILE_MIB MiB, a sparse $FILL_GIB GiB)"
mkdir -p "$dir"
stage=$dir/stage.tmp
rm -rf "$stage" "$img.tmp"
trap 'rm -rf "$stage" "$img.tmp"' EXIT
mkdir -p "$stage/data"
for i in $(seq -w 1 "$FILES"); do
	head -c "$((FILE_MIB << 20))" /dev/urandom >"$stage/data/file$i"
done
truncate -s "${FILL_GIB}G" "$stage/fill"
# Room for the files plus an eighth (inode tables, bitmaps, directories), rounded to MiB.
size_mib=$((FILES * FILE_MIB * 9 / 8 + 16))
# No journal: the guests mount it read-only and never replay or write anything.
mkfs.ext4 -q -F -O ^has_journal -L board-data -d "$stage" "$img.tmp" "${size_mib}M" >/dev/null
mv "$img.tmp" "$img"
echo "$stamp" >"$dir/board-ext4.stamp"
msg "board disk image ready: $(du -m "$img" | cut -f1) MiB"
echo "$img"
