# guard-tier: plain
# The reader's logging sinks on the real device through real pressure and an OOM kill: kmsg
# lines in the kernel log with their priorities, syslog messages through busybox syslogd,
# journald's native protocol through a socket stand-in (dgram-listen), and --enrich snapshots
# at the OOM events in JSON and journald fields. Each sink gets every event.
. /guard/lib.sh
pids=
trap readers_and_sinks_down EXIT

# No refill: once the hog is gone and the level is back to ok, the stream is complete.
load refill_delay_ms=600000
sinks_up
oom-guard --sink kmsg 2>/tmp/kmsg.err &
kpid=$!
oom-guard --sink syslog 2>/tmp/syslog.err &
spid=$!
oom-guard --sink journald --journal-socket "$JOURNAL" --enrich 2>/tmp/jr.err &
jpid=$!
# Reading 40 processes of /proc at the height of an OOM storm takes 20 to 80 ms on a TCG guest,
# around the default 50 ms budget: this reader gets 2 s, so its scans reach the hog (the
# youngest pid).
oom-guard --format json --enrich --enrich-interval-ms 0 --enrich-max-ms 2000 >/tmp/json 2>/tmp/json.err &
opid=$!
pids="$pids $kpid $spid $jpid $opid"
# Four readers and the guardctl that asks.
wait_for 10 "4 readers did not open the device: $(stat stats readers) $(cat /tmp/kmsg.err /tmp/syslog.err /tmp/jr.err /tmp/json.err)" eval '[ "$(stat stats readers)" -ge 5 ]'

# An unbounded hog: pressure low and min, averted OOM rounds until the avert budget is spent,
# then an OOM kill (whatever the guest's capacity). Paced at 32 MiB/s, so the episode outlives
# the readers' /proc scans: flat out, the whole episode (min, every OOM round, the kill) took
# about 50 ms once x86_64 pages were cleared without ERMS, and the JSON reader's first scan
# started after the kill in 2 of 5 suite runs.
kills=$(vmstat oom_kill)
MEMHOG_RATE=32 memhog 64G >/dev/null 2>&1
rc=$?
[ "$rc" = 137 ] || fail "the hog should be OOM-killed, got exit $rc"
[ "$(vmstat oom_kill)" -gt "$kills" ] || fail "oom_kill did not move"
# Let the stream settle: the monitor reports the kill and the way back to ok a little after the
# hog; then no new event for a second.
prev=-1
i=0
while [ "$(stat stats events)" != "$prev" ] || [ "$(stat stats level)" != 0 ]; do
	prev=$(stat stats events)
	i=$((i + 1))
	[ $i -le 30 ] || fail "the event stream did not settle: $(stat stats events) events, level $(stat stats level)"
	sleep 1
done
total=$(stat stats events)
echo "$total events"
# Every reader has it all once its JSON line count reaches the total (the sinks are written from
# the same kind of queue; a second more lets syslogd and dgram-listen write theirs).
wait_for 10 "the JSON reader has $(grep -c '"seq":' /tmp/json) of $total records" eval '[ "$(grep -c "\"seq\":" /tmp/json)" -ge "$total" ]'
sleep 1
for p in $kpid $spid $jpid $opid; do
	kill -0 $p || fail "reader $p did not survive the OOM kill"
	kill -TERM $p
	wait $p
	rc=$?
	[ "$rc" = 0 ] || fail "reader $p exited $rc on SIGTERM"
done
cat /tmp/kmsg.err /tmp/syslog.err /tmp/jr.err /tmp/json.err
sleep 0.5

# kmsg: every event in the kernel log as `<FACILITY*8+SEVERITY>oom-guard[PID]: message`, daemon
# facility (3) as syslog and journald, the severity mapped from the event. A message longer than
# a kmsg line comes as lines marked `[cont N/M] ` after the tag: the first one is checked.
dmesg -r | grep "oom-guard\[$kpid\]: " >/tmp/kmsg
grep -m 3 'oom-guard' /tmp/kmsg | cut -c1-160
# Severity expected for a text message: oom/kill crit, min err, low/lost/refill-failed warning,
# release notice, ok/refill info.
SEVERITY='function sev(m) {
	if (m ~ /^(oom |kill)/) return 2
	if (m ~ /^pressure min/) return 3
	if (m ~ /^(pressure low|lost:|pool refill-failed)/) return 4
	if (m ~ /^pool release/) return 5
	if (m ~ /^headroom critical/) return 3
	if (m ~ /^(headroom medium|reclaim direct)/) return 4
	if (m ~ /^(headroom low|reclaim onset)/) return 5
	return 6
}'
awk -v tag="oom-guard[$kpid]: " "$SEVERITY"'
	{ f = int(substr($0, 2, index($0, ">") - 2) / 8); p = substr($0, 2, index($0, ">") - 2) % 8
	  m = substr($0, index($0, tag) + length(tag)) }
	m ~ /^\[cont [0-9]+\/[0-9]+\] / && m !~ /^\[cont 1\// { next }
	{ sub(/^\[cont [0-9]+\/[0-9]+\] /, "", m) }
	f != 3 { printf "kmsg facility %d, expected 3 (daemon): %s\n", f, $0; bad = 1 }
	p != sev(m) { printf "kmsg severity %d, expected %d: %s\n", p, sev(m), $0; bad = 1 }
	END { exit bad }' /tmp/kmsg || fail "kmsg severities"
grep -Eq '^<26>.*\]: (\[cont 1/[0-9]+\] )?oom ' /tmp/kmsg || fail "no oom line at <26> (daemon.crit) in the kernel log"
# A kill line names the victim (killed pid …, kill not needed: pid …), or only counts kills on
# a kernel without the victim probe (kill: N OOM kills observed).
grep -Eq '^<26>.*\]: (\[cont 1/[0-9]+\] )?kill(: |ed pid | not needed: pid )' /tmp/kmsg ||
	fail "no kill line at <26> in the kernel log"
grep -Eq '^<27>.*\]: (\[cont 1/[0-9]+\] )?pressure min' /tmp/kmsg || fail "no pressure min line at <27> (daemon.err)"
# One event per line but for the continuations of a split one.
n=$(grep -Evc '\]: \[cont ([2-9]|[1-9][0-9]+)/' /tmp/kmsg)
if [ -n "$sinks_devkmsg_on" ]; then
	[ "$n" = "$total" ] || fail "kmsg has $n of $total events"
fi
echo "kmsg: $n events, facility daemon, severities as mapped"

# syslog: busybox syslogd writes `TIME HOST daemon.SEVERITY oom-guard[PID]: message`.
grep "oom-guard\[$spid\]: " /tmp/messages >/tmp/syslog
grep -m 3 'oom-guard' /tmp/syslog | cut -c1-160
n=$(wc -l </tmp/syslog)
[ "$n" = "$total" ] || fail "syslog has $n of $total events"
awk -v tag="oom-guard[$spid]: " "$SEVERITY"'
	BEGIN { split("emerg alert crit err warn notice info debug", name) }
	{ m = substr($0, index($0, tag) + length(tag)) }
	index($0, " daemon." name[sev(m) + 1] " " tag) == 0 { print "syslog severity: " $0; bad = 1 }
	END { exit bad }' /tmp/syslog || fail "syslog facility or severity"
echo "syslog: $n messages, facility daemon, severities as mapped"

# journald: one datagram per event (dgram-listen ends each with an empty line), the native
# fields, contiguous OOM_GUARD_SEQ from 0, PRIORITY mapped from the event; with --enrich (one
# snapshot per 200 ms) OOM_GUARD_ENRICH_* fields on some oom/kill/min events and no others.
head -n 12 /tmp/journal | cut -c1-160
awk -v total="$total" '
	BEGIN { n = 0 }
	function check() {
		if (!f["MESSAGE"] || !f["PRIORITY"] || !f["OOM_GUARD_EVENT"] || f["SYSLOG_IDENTIFIER"] != "oom-guard") {
			print "datagram " n ": missing MESSAGE, PRIORITY, OOM_GUARD_EVENT or SYSLOG_IDENTIFIER"; bad = 1
		}
		if (f["OOM_GUARD_SEQ"] != n "") { print "datagram " n ": OOM_GUARD_SEQ=" f["OOM_GUARD_SEQ"]; bad = 1 }
		e = f["OOM_GUARD_EVENT"]
		want = (e == "oom" || e == "kill") ? 2 : (e == "pressure" && f["OOM_GUARD_LEVEL"] == "min") ? 3 : 0
		if (want && f["PRIORITY"] != want) { print "datagram " n ": " e " at PRIORITY " f["PRIORITY"]; bad = 1 }
		if (f["OOM_GUARD_ENRICH_TIME_NS"] != "") {
			enriched++
			if (!want) { print "datagram " n ": snapshot on a " e " event"; bad = 1 }
			# A scan cut by the 50 ms budget may list nobody.
			if (f["OOM_GUARD_ENRICH_MEM_AVAILABLE_KIB"] == "" ||
				(f["OOM_GUARD_ENRICH_TOP"] !~ /:/ && f["OOM_GUARD_ENRICH_TRUNCATED"] != "true")) {
				print "datagram " n ": snapshot without meminfo or processes"; bad = 1
			}
		}
		n++
		split("", f)
	}
	/^$/ { check(); next }
	{ k = substr($0, 1, index($0, "=") - 1); f[k] = substr($0, index($0, "=") + 1) }
	END {
		if (n != total) { print "journal has " n " of " total " datagrams"; bad = 1 }
		if (!enriched) { print "no datagram has a snapshot"; bad = 1 }
		printf "journald: %d datagrams, seq 0..%d, %d with a snapshot\n", n, n - 1, enriched
		exit bad
	}' /tmp/journal || fail "journald datagrams"

# JSON with a snapshot on every oom, kill and min event: an "enrich" object with meminfo and
# the top processes, and the hog among them in at least one snapshot of the episode.
echo "json: $(grep -c '"enrich":{' /tmp/json) records with a snapshot, $(grep -c '"truncated":true' /tmp/json) cut short"
grep '"enrich":{' /tmp/json | head -n 1 | sed 's/.*"enrich"/"enrich"/' | cut -c1-400
awk '/"type":"(oom|kill)"/ || /"type":"pressure","abi":"[^"]*","level":"min"/ { want = 1 }
	{ has = index($0, "\"enrich\":{") > 0 }
	want != has { print "enrich " (has ? "on" : "missing from") ": " substr($0, 1, 120); bad = 1 }
	{ want = 0 } END { exit bad }' /tmp/json || fail "snapshots on the wrong records"
grep '"type":"oom"' /tmp/json | grep -q '"enrich":{.*"mem_available_kib":[0-9]*,.*"top":\[{"pid":' ||
	fail "oom snapshot without meminfo or processes"
# The hog is in a snapshot taken during the episode (min, oom or kill): which one catches it
# depends on when the rate-limited scan runs relative to the kill.
# On the KASAN debug kernel a scan at the height of the OOM takes about a second, longer than
# the hog lives after the first min event: there the check is reported, not required.
if ! grep -q '"top":\[[^]]*"comm":"memhog"' /tmp/json; then
	debug_kernel || fail "the hog is in no snapshot's top list"
	echo "debug kernel: the hog is in no snapshot (scans took up to $(grep -o '"elapsed_us":[0-9]*' /tmp/json | cut -d: -f2 | sort -n | tail -n 1) us); not required here"
fi
unload
