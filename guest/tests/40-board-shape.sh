# guard-tier: board
# Issue 14: the board-profile guest has the shape its profile promises (qemu/board-*.conf). On
# x86_64: DMA, DMA32 and Normal populated with managed pages, two NUMA nodes online; on arm64: a
# CMA area of at least 60 MiB and two or more populated zones. On both: a warm page cache
# (Cached >= 250 MiB after board_setup read the data disk), zram swap on, the module loads and
# unloads cleanly, and `guardctl zones` lists every populated zone of /proc/zoneinfo.
. /guard/lib.sh
board_profile || skip "not a board-profile guest (guard.board=1)"
echo "shape at boot: $(cat /tmp/board.shape 2>/dev/null)"
echo "shape now:     $(board_shape)"
# The warm cache of board_setup, as it was before the tests that ran first on this profile.
board_rewarm
zones_populated >/tmp/zones
managed() { # managed NAME: the managed pages of every populated zone of that name, summed
	awk -v z="$1" '{ split($1, a, ":") } a[2] == z { s += $2; n++ } END { print (n ? s : -1) }' /tmp/zones
}
case $(uname -m) in
x86_64)
	for z in DMA DMA32 Normal; do
		m=$(managed "$z")
		[ "$m" -gt 0 ] || fail "zone $z not populated or no managed pages ($m)"
	done
	online=$(cat /sys/devices/system/node/online 2>/dev/null)
	[ "$online" = 0-1 ] || fail "NUMA nodes online: '$online', expected 0-1"
	[ "$(cut -d: -f1 /tmp/zones | sort -u | wc -l)" = 2 ] || fail "populated zones on $(cut -d: -f1 /tmp/zones | sort -u | wc -l) nodes"
	;;
aarch64)
	cma=$(meminfo CmaTotal)
	[ "${cma:-0}" -ge $((60 * 1024)) ] || fail "CmaTotal ${cma:-none} kB, expected >= 60 MiB (cma=64M)"
	n=$(awk '$2 > 0' /tmp/zones | wc -l)
	[ "$n" -ge 2 ] || fail "$n populated zones with managed pages, expected >= 2"
	;;
*) fail "unexpected machine $(uname -m)" ;;
esac
cached=$(meminfo Cached)
[ "$cached" -ge $((250 * 1024)) ] || fail "Cached $cached kB after the warm-up, expected >= 250 MiB"
[ "$(meminfo SwapTotal)" -gt 0 ] || fail "no swap"
grep -q '^/dev/zram0 ' /proc/swaps || fail "no zram swap in /proc/swaps: $(cat /proc/swaps)"

load
guardctl zones >/tmp/gz || fail "guardctl zones"
cat /tmp/gz
# Each populated zone as NODE:NAME, from the kernel and from the module.
cut -d' ' -f1 /tmp/zones | sort >/tmp/want
sed -n 's/^zone[0-9]*=\([0-9]*\):[0-9]*:\([A-Za-z0-9]*\) .*/\1:\2/p' /tmp/gz | sort >/tmp/got
cmp -s /tmp/want /tmp/got || fail "guardctl zones lists $(paste -sd' ' /tmp/got), /proc/zoneinfo has $(paste -sd' ' /tmp/want)"
[ "$(field nr_zones </tmp/gz)" = "$(wc -l </tmp/want)" ] || fail "nr_zones $(field nr_zones </tmp/gz), expected $(wc -l </tmp/want)"
unload
module_loaded && fail "module still loaded after rmmod"
echo "populated zones (node:name managed pages): $(paste -sd, /tmp/zones)"
