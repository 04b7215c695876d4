# insmod and rmmod work, repeatedly, and the module says so in the kernel log.
. /guard/lib.sh
[ -f "$MODULE" ] || fail "$MODULE is not in the initramfs"
module_loaded && fail "module loaded before the test"
i=0
while [ $i -lt 5 ]; do
	i=$((i + 1))
	insmod "$MODULE" || fail "insmod failed (round $i)"
	module_loaded || fail "/sys/module/rust_oom_guard missing after insmod (round $i)"
	grep -q '^rust_oom_guard ' /proc/modules || fail "not in /proc/modules (round $i)"
	rmmod rust_oom_guard || fail "rmmod failed (round $i)"
	module_loaded && fail "/sys/module/rust_oom_guard still there after rmmod (round $i)"
done
loads=$(dmesg | grep -c 'rust_oom_guard: loaded')
unloads=$(dmesg | grep -c 'rust_oom_guard: unloaded')
[ "$loads" -ge 5 ] || fail "expected 5 'loaded' lines in dmesg, found $loads"
[ "$unloads" -ge 5 ] || fail "expected 5 'unloaded' lines in dmesg, found $unloads"
echo "5 load/unload rounds; dmesg: $loads loaded, $unloads unloaded"
