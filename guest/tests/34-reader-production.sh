# guard-tier: plain
# The shipped reader (the static musl binary in the guest) where a production log pipeline
# depends on it (issue 16): --rt-priority really puts the reading thread under SCHED_FIFO; a
# hostile task name (quotes, a backslash, `=`, a newline that would forge a second line, ESC)
# reaches every format and sink escaped: no raw control byte, no forged line; SIGTERM ends a
# reader whose stdout stalls within the bound; a kmsg record too long for a line is split into
# marked parts that join intact.
. /guard/lib.sh
pids=
trap readers_and_sinks_down EXIT
# Field N (from 1) of /proc/PID/task/TID/stat after the `(comm)` field, which may hold spaces.
stat_after_comm() {
	sed 's/.*) //' "$1" | awk -v n="$2" '{ print $n }'
}

load refill_delay_ms=600000 policy=0

# --rt-priority: the thread that reads the device runs SCHED_FIFO (policy 1) at that priority;
# the others (output, hooks) stay SCHED_OTHER.
oom-guard --rt-priority 7 >/dev/null 2>/tmp/rt.err &
rpid=$!
pids="$pids $rpid"
wait_for 10 "the rt reader did not open the device: $(cat /tmp/rt.err)" eval '[ "$(stat stats readers)" -ge 2 ]'
fifo=0
threads=0
for t in /proc/$rpid/task/*; do
	threads=$((threads + 1))
	# Fields 40 and 41 of stat: rt_priority and policy (38 and 39 after the comm).
	prio=$(stat_after_comm "$t/stat" 38)
	policy=$(stat_after_comm "$t/stat" 39)
	echo "thread ${t##*/} ($(cat "$t/comm")): policy $policy rt_priority $prio"
	if [ "$policy" = 1 ]; then
		[ "$prio" = 7 ] || fail "thread ${t##*/} is SCHED_FIFO at $prio, not 7"
		fifo=$((fifo + 1))
	fi
done
[ "$fifo" = 1 ] || fail "$fifo of $threads reader threads run SCHED_FIFO, expected exactly the reading one: $(cat /tmp/rt.err)"
grep -i warn /tmp/rt.err && fail "the rt reader warned: $(cat /tmp/rt.err)"
kill -TERM $rpid
wait $rpid || fail "the rt reader exited $? on SIGTERM"
pids=

# A reader whose stdout stalls: a FIFO whose reader never reads, filled to its 64 KiB (16 pipe
# pages of 4096-byte writes), so the reader's first line blocks its output thread. The records
# of the OOM below then wait in its queue; SIGTERM must still end it within a second (the
# README's bound), saying what was not written.
rm -f /tmp/stall
mkfifo /tmp/stall
# shellcheck disable=SC2217 # it holds the FIFO's read end open and never reads
sleep 600 </tmp/stall &
stall_hold=$!
pids="$pids $stall_hold"
dd if=/dev/zero of=/tmp/stall bs=4096 count=16 2>/dev/null || fail "could not fill the FIFO"

# A hostile name into every format and sink: a holder named `"b\c=d<LF>[ 1] <ESC>` (13 bytes;
# the kernel keeps 15: a quote, a backslash and `=` that could end a field, a newline that could
# start a forged log line, an escape sequence) keeps 24 MiB and is spared by the OOM killer
# (oom_score_adj -1000); an unbounded hog then meets the OOM killer (policy observe). Every
# reader enriches the kill with the largest processes, read from /proc after the hog is gone:
# the holder leads them, its name as the kernel keeps it.
sinks_up
E="--enrich --enrich-interval-ms 0 --enrich-max-ms 2000"
# shellcheck disable=SC2086
oom-guard $E >/tmp/out.text 2>/tmp/text.err &
pids="$pids $!"
# shellcheck disable=SC2086
oom-guard --format json $E >/tmp/out.json 2>/tmp/json.err &
pids="$pids $!"
# shellcheck disable=SC2086
oom-guard --format logfmt $E >/tmp/out.logfmt 2>/tmp/logfmt.err &
pids="$pids $!"
# shellcheck disable=SC2086
oom-guard --sink kmsg --format json $E 2>/tmp/kmsg.err &
kpid=$!
pids="$pids $kpid"
# shellcheck disable=SC2086
oom-guard --sink syslog $E 2>/tmp/syslog.err &
spid=$!
pids="$pids $spid"
# shellcheck disable=SC2086
oom-guard --sink journald --journal-socket "$JOURNAL" $E 2>/tmp/jr.err &
pids="$pids $!"
# shellcheck disable=SC2086
oom-guard --format json $E >/tmp/stall 2>/tmp/stall.err &
stall=$!
pids="$pids $stall"
wait_for 10 "7 readers did not open the device" eval '[ "$(stat stats readers)" -ge 8 ]'
rm -f /tmp/holder
(
	echo -1000 >/proc/self/oom_score_adj
	MEMHOG_COMM='"b\\c=d\n[ 1] \e' exec memhog 24M 0 600 >/tmp/holder 2>&1
) &
holder=$!
pids="$pids $holder"
wait_for 10 "the holder did not allocate: $(cat /tmp/holder)" eval 'grep -q done /tmp/holder'
kills=$(vmstat oom_kill)
MEMHOG_RATE=64 memhog 64G >/dev/null 2>&1
[ "$(vmstat oom_kill)" -gt "$kills" ] || fail "the hog was not OOM-killed"
sleep 3
t0=$(cut -d' ' -f1 /proc/uptime)
kill -TERM $stall
wait $stall
rc=$?
took=$(since "$t0")
echo "SIGTERM with a stalled stdout: exit $rc after $took s; $(tail -n 1 /tmp/stall.err)"
[ "$rc" = 0 ] || fail "the stalled reader exited $rc on SIGTERM: $(cat /tmp/stall.err)"
awk -v t="$took" 'BEGIN { exit !(t <= 1.5) }' || fail "SIGTERM took $took s with a stalled stdout (bound: 1 s)"
grep -q 'not written' /tmp/stall.err || fail "the stalled reader did not stall or did not say what it left unwritten: $(cat /tmp/stall.err)"
pids=$(for p in $pids; do [ "$p" = "$stall" ] || printf ' %s' "$p"; done)
# shellcheck disable=SC2086
kill -TERM $pids 2>/dev/null
for p in $pids; do wait "$p"; done
pids=
dmesg -r | grep "oom-guard\[$kpid\]: " >/tmp/out.kmsg
grep "oom-guard\[$spid\]: " /tmp/messages >/tmp/out.syslog
cp /tmp/journal /tmp/out.journal
for f in text json logfmt kmsg syslog journal; do
	out=/tmp/out.$f
	n=$(grep -c 'c=d' "$out")
	[ "$n" -ge 1 ] || fail "$f: no record names the hostile hog: $(head -c 600 "$out")"
	grep 'c=d' "$out" | head -n 1 | cut -c1-240
	# No ESC anywhere, and no line that the name's newline began.
	grep -q "$(printf '\033')" "$out" && fail "$f: a raw ESC byte reached the output"
	grep -q '^\[ 1\] ' "$out" && fail "$f: the name's newline forged a line: $(grep '^\[ 1\] ' "$out" | head -n 1)"
	echo "$f: $n lines name the hog, escaped"
done

# kmsg: a record longer than a kmsg line arrives in parts marked `[cont N/M]`, numbered without
# a gap, that join into the record the JSON reader wrote for the same seq (less `timestamp`,
# which each reader computes, and `enrich`, which each reader takes at its own moment).
awk -v tag="oom-guard[$kpid]: " '
	{ i = index($0, tag); if (!i) next; m = substr($0, i + length(tag)) }
	m !~ /^\[cont [0-9]+\/[0-9]+\] / { next }
	{
		split(substr(m, 7, index(m, "]") - 7), nm, "/")
		if (nm[1] != want + 1) { print "gap: part " nm[1] "/" nm[2] " after " want > "/dev/stderr"; exit 1 }
		acc = acc substr(m, index(m, "] ") + 2); want = nm[1]
		if (nm[1] == nm[2]) { print acc; acc = ""; want = 0; joined++ }
	}
	END { if (want) { print "record cut after part " want > "/dev/stderr"; exit 1 } }' /tmp/out.kmsg >/tmp/kmsg.joined ||
	fail "kmsg parts do not join: $(grep -c 'cont ' /tmp/out.kmsg) parts"
joined=$(wc -l </tmp/kmsg.joined)
[ "$joined" -ge 1 ] || fail "no kmsg record was split: $(awk '{ print length($0) }' /tmp/out.kmsg | sort -n | tail -n 1) bytes at most"
strip() { sed 's/"timestamp":"[^"]*",//; s/,"enrich":{.*}}$/}/'; }
while read -r rec; do
	seq=$(echo "$rec" | sed -n 's/^{"seq":\([0-9]*\),.*/\1/p')
	[ -n "$seq" ] || fail "a joined kmsg record is not a JSON record: $(echo "$rec" | cut -c1-200)"
	want=$(grep "^{\"seq\":$seq," /tmp/out.json | strip)
	got=$(echo "$rec" | strip)
	[ -n "$want" ] && [ "$got" = "$want" ] || fail "kmsg record $seq joined differs from the JSON reader's:
$got
$want"
done </tmp/kmsg.joined
echo "kmsg: $joined records split into $(grep -c '\[cont ' /tmp/out.kmsg) parts, each joined intact"
unload
