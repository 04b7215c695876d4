# guard-tier: core
# guard-also: series
# insmod and rmmod work, repeatedly, and give every page back: 50 rounds of a 32 MiB pool
# (1.6 GiB in all, six times what the guest has) can only all load if nothing leaks. Every
# other round a reader reads in between; every tenth, rmmod is refused while a reader holds
# the device open and works once it closes.
. /guard/lib.sh
[ -f "$MODULE" ] || fail "$MODULE is not in the initramfs"
module_loaded && fail "module loaded before the test"
ROUNDS=50
free_before=$(free_kib)
i=0
while [ $i -lt $ROUNDS ]; do
	i=$((i + 1))
	insmod "$MODULE" pool_kib=32768 || fail "insmod failed (round $i): leaked pages?"
	module_loaded || fail "/sys/module/rust_oom_guard missing after insmod (round $i)"
	grep -q '^rust_oom_guard ' /proc/modules || fail "not in /proc/modules (round $i)"
	if [ $((i % 2)) = 0 ]; then
		# Whatever records there are since load, then close.
		guardctl read -n >/dev/null 2>&1
		# The one open file is guardctl's own, asking.
		[ "$(stat stats readers)" = 1 ] || fail "a reader still counted after close (round $i)"
	fi
	if [ $((i % 10)) = 0 ]; then
		guardctl read -c 1000000 >/dev/null 2>&1 &
		r=$!
		one_reader() { [ "$(stat stats readers)" = 2 ]; }
		wait_for 5 "the reader did not open (round $i)" one_reader
		rmmod rust_oom_guard 2>/dev/null && fail "rmmod succeeded with an open file (round $i)"
		kill $r
		wait $r
	fi
	rmmod rust_oom_guard || fail "rmmod failed (round $i)"
	module_loaded && fail "/sys/module/rust_oom_guard still there after rmmod (round $i)"
done
last=$(dmesg | grep 'rust_oom_guard: ' | tail -n 1)
echo "$last" | grep -q 'unloaded' || fail "last module message is not 'unloaded': $last"
# Free memory (per-CPU lists included) is back within 4 MiB: module text, slab and vmalloc
# caches, not pool pages (one leaked pool would be 32 MiB).
free_after=$(free_kib)
drift=$(((free_before - free_after) / 1024))
echo "free memory $free_before KiB -> $free_after KiB after $ROUNDS rounds (drift $drift MiB, slack 4 MiB)"
[ "$drift" -lt 4 ] || fail "free memory dropped by $drift MiB over $ROUNDS load/unload rounds"
echo "$ROUNDS load/unload rounds of a 32 MiB pool, $((ROUNDS / 2)) with a reader in between, $((ROUNDS / 10)) refused rmmods"
