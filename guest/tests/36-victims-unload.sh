# guard-tier: core
# guard-also: series
# The victim probe attaches and detaches cleanly while OOM kills run: 20 loads and unloads
# under a storm of hogs, each killed by the OOM killer, with no splat (the runner judges the
# kernel log; on the debug kernel with KASAN, lockdep and atomic-sleep checks). The first load
# waits until the probe has named a victim, so the storm really runs through the probe.
. /guard/lib.sh
stop=/tmp/storm.stop
rm -f $stop
(
	while [ ! -e $stop ]; do
		memhog 4G >/dev/null 2>&1
	done
) &
storm=$!
trap 'touch $stop; kill $storm 2>/dev/null' EXIT
kills0=$(vmstat oom_kill)
named=0
i=0
while [ $i -lt 20 ]; do
	i=$((i + 1))
	load policy=observe pool_kib=0
	if [ $i = 1 ]; then
		wait_for 120 "no victim named during the storm" eval 'guardctl read -n 2>/dev/null | grep -q "kind=kill kills=1 kill_flags=3 "'
	else
		sleep "0.$((i % 4 * 2))"
	fi
	named=$((named + $(guardctl read -n 2>/dev/null | grep -c 'kind=kill kills=1 kill_flags=')))
	unload
done
touch $stop
wait $storm
kills=$(($(vmstat oom_kill) - kills0))
echo "20 loads and unloads under the storm: $kills OOM kills, $named victims named while loaded"
[ "$named" -ge 1 ] || fail "no victim named while loaded"
module_loaded && fail "the module is still loaded"
load
[ "$(guardctl version)" = "abi=2.1" ] || fail "the module does not work after the storm"
unload
