# guard-tier: core
# guard-also: series
# The oom-guard reader on the real device: JSON Lines through an OOM kill and an averted OOM,
# every sequence number present, a summary on SIGTERM, its oom_score_adj at -1000, and usable
# errors.
. /guard/lib.sh
out=$(oom-guard stats 2>&1)
rc=$?
[ "$rc" = 3 ] || fail "stats without the module: expected exit 3, got $rc: $out"
echo "$out" | grep -q 'is the module loaded' || fail "no hint to load the module: $out"
# Observe first: the reader must survive an OOM kill next to it.
load pool_kib=65536 release_chunk=2048 policy=0
oom-guard watch --format json >/tmp/json 2>/tmp/json.err &
reader=$!
sleep 1
[ "$(cat /proc/$reader/oom_score_adj)" = -1000 ] || fail "reader oom_score_adj is $(cat /proc/$reader/oom_score_adj)"
# What a process can allocate with the module and the (mlocked) reader in place; the hog that
# finds out is killed, not the reader.
cap=$(capacity_mib)
kill -0 $reader || fail "the reader did not survive the OOM kill"
# Then avert: a spike 24 MiB beyond that is saved by the 64 MiB pool (a capacity measured by
# running into the OOM killer varies by several MiB from one try to the next).
guardctl set policy=1 || fail "set policy=1"
memhog "$((cap + 24))M" >/dev/null 2>&1 || fail "spike not averted"
sleep 1
# Whatever the module produced before the SIGTERM reaches the output, however far behind the
# reader is (a stop drains the device); the pool refill may add events after it.
before=$(stat stats events)
kill -TERM $reader
wait $reader
rc=$?
cat /tmp/json.err
[ "$rc" = 0 ] || fail "reader exited $rc on SIGTERM"
head -n 3 /tmp/json | cut -c1-200
total=$(stat stats events)
lines=$(grep -c '"seq":' /tmp/json)
[ "$lines" -ge "$before" ] || fail "reader wrote $lines records, the module had produced $before before the SIGTERM"
[ "$lines" -le "$total" ] || fail "reader wrote $lines records, more than the module's $total"
echo "reader wrote $lines records: $before produced before the SIGTERM, $total in all"
# Every sequence number from 0 to total-1, in order.
awk -F'"seq":' '{ split($2, a, /[,}]/); if (a[1] + 0 != NR - 1) { print "gap at line " NR ": " a[1]; exit 1 } }' /tmp/json ||
	fail "sequence numbers not contiguous"
grep -q '"type":"oom".*"action":"release"' /tmp/json || fail "no averted oom record in the JSON"
grep -q '"type":"kill"' /tmp/json || fail "no kill record in the JSON"
grep -qi 'summary\|records' /tmp/json.err || fail "no summary on exit"
oom-guard stats | head -n 3
oom-guard config set policy=7 >/tmp/cfg 2>&1
rc=$?
[ "$rc" = 2 ] || fail "config set policy=7: expected exit 2, got $rc: $(cat /tmp/cfg)"
echo "bad config value: exit 2: $(cat /tmp/cfg)"
unload
