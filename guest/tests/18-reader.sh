# The oom-guard reader on the real device: JSON Lines through an averted OOM, every sequence
# number present, a summary on SIGTERM, its oom_score_adj at -1000, and usable errors.
. /guard/lib.sh
out=$(oom-guard stats 2>&1)
rc=$?
[ "$rc" = 3 ] || fail "stats without the module: expected exit 3, got $rc: $out"
echo "$out" | grep -q 'is the module loaded' || fail "no hint to load the module: $out"
load release_chunk=1024
oom-guard watch --format json >/tmp/json 2>/tmp/json.err &
reader=$!
sleep 1
[ "$(cat /proc/$reader/oom_score_adj)" = -1000 ] || fail "reader oom_score_adj is $(cat /proc/$reader/oom_score_adj)"
memhog "$(($(meminfo MemAvailable) / 1024 + 8))M" >/dev/null 2>&1 || fail "spike not averted"
sleep 1
kill -TERM $reader
wait $reader
rc=$?
cat /tmp/json.err
[ "$rc" = 0 ] || fail "reader exited $rc on SIGTERM"
head -n 3 /tmp/json | cut -c1-200
total=$(stat stats events)
lines=$(grep -c '"seq":' /tmp/json)
[ "$lines" = "$total" ] || fail "reader wrote $lines records, the module produced $total"
# Every sequence number from 0 to total-1, in order.
awk -F'"seq":' '{ split($2, a, /[,}]/); if (a[1] + 0 != NR - 1) { print "gap at line " NR ": " a[1]; exit 1 } }' /tmp/json ||
	fail "sequence numbers not contiguous"
grep -q '"type":"oom"' /tmp/json || fail "no oom record in the JSON"
grep -qi 'summary\|records' /tmp/json.err || fail "no summary on exit"
oom-guard stats | head -n 3
oom-guard config set policy=7 >/tmp/cfg 2>&1
rc=$?
[ "$rc" = 2 ] || fail "config set policy=7: expected exit 2, got $rc: $(cat /tmp/cfg)"
echo "bad config value: exit 2: $(cat /tmp/cfg)"
unload
