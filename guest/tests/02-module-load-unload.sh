# insmod and rmmod work, repeatedly, and give every page back: 10 rounds of a 32 MiB pool
# (320 MiB in all, more than the guest has) can only all load if nothing leaks.
. /guard/lib.sh
[ -f "$MODULE" ] || fail "$MODULE is not in the initramfs"
module_loaded && fail "module loaded before the test"
free_before=$(free_kib)
i=0
while [ $i -lt 10 ]; do
	i=$((i + 1))
	insmod "$MODULE" pool_kib=32768 || fail "insmod failed (round $i): leaked pages?"
	module_loaded || fail "/sys/module/rust_oom_guard missing after insmod (round $i)"
	grep -q '^rust_oom_guard ' /proc/modules || fail "not in /proc/modules (round $i)"
	rmmod rust_oom_guard || fail "rmmod failed (round $i)"
	module_loaded && fail "/sys/module/rust_oom_guard still there after rmmod (round $i)"
done
loads=$(dmesg | grep -c 'rust_oom_guard: loaded')
unloads=$(dmesg | grep -c 'rust_oom_guard: unloaded')
[ "$loads" -ge 10 ] || fail "expected 10 'loaded' lines in dmesg, found $loads"
[ "$unloads" -ge 10 ] || fail "expected 10 'unloaded' lines in dmesg, found $unloads"
# Free memory (per-CPU lists included) is back within 4 MiB: module text, slab and vmalloc
# caches, not pool pages.
free_after=$(free_kib)
drift=$(((free_before - free_after) / 1024))
echo "free memory $free_before KiB -> $free_after KiB after 10 rounds (drift $drift MiB, slack 4 MiB)"
[ "$drift" -lt 4 ] || fail "free memory dropped by $drift MiB over 10 load/unload rounds"
echo "10 load/unload rounds of a 32 MiB pool; dmesg: $loads loaded, $unloads unloaded"
