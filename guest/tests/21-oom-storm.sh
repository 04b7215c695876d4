# guard-tier: core
# guard-also: series
# An OOM storm: 20 consecutive global OOMs (each hog unbounded, each ending in a kill once the
# avert budget is spent; 6 on the debug kernel, where one takes 5 to 15 s). No crash, the
# counters agree with each other and with the records, and the oom-guard reader (mlocked,
# oom_score_adj -1000) is alive and has every sequence number.
. /guard/lib.sh
load pool_kib=32768 release_chunk=1024 avert_budget=8 budget_window_ms=3600000
oom-guard watch --format json >/tmp/storm.json 2>/tmp/storm.err &
reader=$!
sleep 1
hogs=20
debug_kernel && hogs=6
kills0=$(vmstat oom_kill)
i=0
while [ $i -lt $hogs ]; do
	i=$((i + 1))
	memhog 4G >/dev/null 2>&1
	rc=$?
	[ "$rc" = 137 ] || fail "hog $i was not killed (exit $rc)"
	kill -0 $reader 2>/dev/null || fail "the reader died in OOM $i"
done
kills=$(($(vmstat oom_kill) - kills0))
[ "$kills" -ge $hogs ] || fail "$hogs hogs, but oom_kill moved by $kills"
# The monitor reports kills within its sampling period.
all_kills() { [ "$(stat stats kills)" -ge "$kills" ]; }
wait_for 5 "stats.kills below $kills after 5 s" all_kills
# The last reclaim episode ends reclaim_quiet_ms after the storm with one more record; the
# reader stops once the stream is still and the reader has every record.
settled() { [ "$(stat stats reclaim_active)" = 0 ] && [ "$(grep -c '"seq":' /tmp/storm.json)" -ge "$(stat stats events)" ]; }
wait_for 10 "the stream did not settle: $(stat stats events) events" settled
sleep 0.5
wait_for 5 "the reader is behind the events" settled
kill -TERM $reader
wait $reader
rc=$?
tail -n 3 /tmp/storm.err
[ "$rc" = 0 ] || fail "reader exited $rc"
guardctl stats >/tmp/stats
cat /tmp/stats
s() { field "$1" </tmp/stats; }
n() { grep -c "\"type\":\"$1\"" /tmp/storm.json; }
lines=$(grep -c '"seq":' /tmp/storm.json)
[ "$lines" = "$(s events)" ] || fail "reader has $lines records, stats.events=$(s events)"
awk -F'"seq":' '{ split($2, a, /[,}]/); if (a[1] + 0 != NR - 1) { print "gap at line " NR ": " a[1]; exit 1 } }' /tmp/storm.json ||
	fail "sequence numbers not contiguous"
[ "$(n lost)" = 0 ] || fail "the reader lost records"
# Calls while a victim is dying are coalesced into one kill-pending record with their count.
calls=$(awk -F'"calls":' '/"type":"oom"/ { split($2, a, /[,}]/); s += a[1] } END { print s + 0 }' /tmp/storm.json)
[ "$calls" = "$(s oom_calls)" ] || fail "OOM records stand for $calls calls, stats.oom_calls=$(s oom_calls)"
pending=$(grep -c '"type":"oom".*"action":"kill-pending"' /tmp/storm.json)
# ABI 2.1: span_us is the time from the first to the last call a record stands for: 0 for one
# call, more for several (the kernel serializes the calls, each takes microseconds).
spans=$(awk '/"type":"oom"/ {
	c = $0; sub(/.*"calls":/, "", c); sub(/[,}].*/, "", c); c += 0
	u = $0; sub(/.*"span_us":/, "", u); sub(/[,}].*/, "", u); u += 0
	if ((c > 1) != (u > 0)) { print substr($0, 1, 300) >"/tmp/badspan"; bad = 1 }
	if (c > 1) { n++; if (u > max) { max = u; longest = $0 } }
} END { print n + 0, max + 0; print longest >"/tmp/longspan"; exit bad }' /tmp/storm.json) ||
	{ cat /tmp/badspan; fail "an OOM record's span_us does not match its calls"; }
echo "coalesced OOM records: ${spans% *}, the longest over ${spans#* } us:"
cut -c1-200 /tmp/longspan
[ "$(n pressure)" = "$(s level_changes)" ] || fail "$(n pressure) pressure records, stats.level_changes=$(s level_changes)"
averted=$(grep -c '"type":"oom".*"action":"release"' /tmp/storm.json)
[ "$averted" = "$(s averts)" ] || fail "$averted averted OOM records, stats.averts=$(s averts)"
# The budget counts OOM episodes (one spike's rounds of releases are one episode): each episode
# that opens takes one from averts_left, so the release records show as many distinct values.
episodes=$(awk -F'"averts_left":' '/"type":"oom".*"action":"release"/ { split($2, a, /[,}]/); print a[1] }' /tmp/storm.json | sort -u | wc -l)
[ "$episodes" -le 8 ] || fail "$episodes OOM episodes released pool pages, more than the budget of 8"
[ "$(s kills)" = "$kills" ] || fail "stats.kills=$(s kills), oom_kill moved by $kills"
# Each kill's victim is named by the probe, in a record of its own (issue 17; our kernels have
# the tracepoint, 01-kernel-config checks it).
# A victim that was already exiting is named too, with kills 0.
named=$(grep '"type":"kill"' /tmp/storm.json | grep '"kills":1,' | grep -c '"victim_pid":[1-9]')
[ "$named" = "$kills" ] || fail "$named kill records name a killed victim, oom_kill moved by $kills"
[ "$(s victims)" -ge "$kills" ] || fail "stats.victims=$(s victims), oom_kill moved by $kills"
echo "probe cost per victim: mean $(s probe_avg_ns) ns, max $(s probe_max_ns) ns over $(s victims) victims"
[ "$(n headroom)" = "$(s headroom_changes)" ] || fail "$(n headroom) headroom records, stats.headroom_changes=$(s headroom_changes)"
onsets=$(grep -c '"type":"reclaim".*"phase":"onset"' /tmp/storm.json)
[ "$onsets" = "$(s reclaim_episodes)" ] || fail "$onsets reclaim onsets, stats.reclaim_episodes=$(s reclaim_episodes)"
sum=$(($(n oom) + $(n pressure) + $(n pool) + $(n kill) + $(n headroom) + $(n reclaim)))
[ "$sum" = "$(s events)" ] || fail "oom+pressure+pool+kill+headroom+reclaim records = $sum, stats.events=$(s events)"
echo "storm: $hogs hogs, $kills kills, $(s oom_calls) OOM calls in $(n oom) records ($averted released in $episodes episodes, $pending kill-pending), $(s events) events ($(n headroom) headroom, $(n reclaim) reclaim), reader has all of them"
unload
