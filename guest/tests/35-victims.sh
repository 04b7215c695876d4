# guard-tier: core
# guard-also: series
# Every OOM victim is named (issue 17): the oom:mark_victim probe reports each as a KILL record
# with its pid, tgid, uid, name, oom_score_adj, memory and page tables as /proc showed them just
# before, global (the notifier ran for it: what it did, how long until the victim was picked)
# or memcg; a memory.oom.group kill gives one record per member; victims = oom_kill delta.
. /guard/lib.sh
CG=/sys/fs/cgroup
grep -qw memory $CG/cgroup.controllers || fail "memory controller missing (CONFIG_MEMCG)"
echo +memory >$CG/cgroup.subtree_control || fail "cannot enable the memory controller"
# One key of a record line.
key() { # key LINE KEY
	echo "$1" | tr ' ' '\n' | field "$2"
}
# The named victims (KILL records with the victim flag, bit 0) on the device since $1 records.
victims() {
	guardctl read -n 2>/dev/null | grep 'kind=kill' | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^kill_flags=/) { f = substr($i, 12) + 0 } } f % 2 == 1'
}
pids=
trap '[ -n "$pids" ] && kill $pids 2>/dev/null; rmdir $CG/t35 $CG/t35g 2>/dev/null' EXIT

load policy=observe
dmesg | grep -q 'victims: each OOM victim is named' ||
	fail "the module does not say it names victims: $(dmesg | grep 'rust_oom_guard: victims' | tail -n 1)"
# The reader's text lines for every victim, as a user sees them.
oom-guard --format text >/tmp/v.txt 2>/tmp/v.txt.err &
text_reader=$!
trap '[ -n "$pids" ] && kill $pids 2>/dev/null; kill $text_reader 2>/dev/null; rmdir $CG/t35 $CG/t35g 2>/dev/null' EXIT
wait_for 10 "the text reader did not open the device" eval '[ "$(stat stats readers)" -ge 1 ]'

# --- A global OOM: a holder of half the available memory is the largest killable task; a hog
# that the OOM killer must spare (oom_score_adj -1000) needs more than is left, so the holder
# dies, and then the hog has room.
kills0=$(vmstat oom_kill)
avail=$(($(meminfo MemAvailable) / 1024))
rm -f /tmp/holder
(
	echo 0 >/proc/self/oom_score_adj
	MEMHOG_COMM=victim-holder exec memhog $((avail / 2))M 0 600 >/tmp/holder 2>&1
) &
holder=$!
pids="$pids $holder"
wait_for 20 "the holder did not allocate: $(cat /tmp/holder)" eval 'grep -q done /tmp/holder'
rss=$(awk '$1 == "VmRSS:" { print $2 }' /proc/$holder/status)
anon=$(awk '$1 == "RssAnon:" { print $2 }' /proc/$holder/status)
uid=$(awk '$1 == "Uid:" { print $2 }' /proc/$holder/status)
ptes=$(awk '$1 == "VmPTE:" { print $2 }' /proc/$holder/status)
(
	echo -1000 >/proc/self/oom_score_adj
	exec memhog $((avail * 3 / 5))M >/dev/null 2>&1
)
wait "$holder"
rc=$?
pids=
[ "$rc" = 137 ] || fail "the holder was not OOM-killed (exit $rc)"
wait_for 5 "no named KILL record" eval '[ -n "$(victims)" ]'
v=$(victims | tail -n 1)
echo "global: $v"
echo "/proc before: pid $holder uid $uid VmRSS $rss kB RssAnon $anon kB VmPTE $ptes kB"
[ "$(key "$v" victim_pid)" = "$holder" ] || fail "victim pid $(key "$v" victim_pid), the holder was $holder"
[ "$(key "$v" victim_tgid)" = "$holder" ] || fail "victim tgid $(key "$v" victim_tgid), expected $holder"
[ "$(key "$v" victim_comm)" = victim-holder ] || fail "victim name '$(key "$v" victim_comm)'"
[ "$(key "$v" victim_uid)" = "$uid" ] || fail "victim uid $(key "$v" victim_uid), /proc said $uid"
[ "$(key "$v" oom_score_adj)" = 0 ] || fail "victim oom_score_adj $(key "$v" oom_score_adj)"
[ "$(key "$v" kills)" = 1 ] || fail "a kill counts 1, not $(key "$v" kills)"
# Resident memory as /proc said a moment before (the holder was idle): within 5 %.
got=$(key "$v" victim_rss_kib)
awk -v a="$got" -v b="$rss" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d * 20 <= b) }' ||
	fail "victim rss ${got} KiB, /proc said VmRSS $rss kB"
got=$(key "$v" anon_kib)
awk -v a="$got" -v b="$anon" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d * 20 <= b) }' ||
	fail "victim anon ${got} KiB, /proc said RssAnon $anon kB"
[ "$(key "$v" pgtables_kib)" -gt 0 ] || fail "no page tables counted"
flags=$(key "$v" kill_flags)
[ $((flags & 2)) = 2 ] || fail "a global OOM's victim without the global flag (flags $flags)"
[ $((flags & 12)) = 0 ] || fail "a killed victim marked memcg or exiting (flags $flags)"
[ "$(key "$v" notifier_action)" = 0 ] || fail "the notifier's action $(key "$v" notifier_action), not observe (0)"
[ "$(key "$v" select_ns)" -gt 0 ] || fail "no time from the notifier call to the selection"

# --- A memcg OOM: memory.max; the notifier is not called, the victim is marked memcg with its
# cgroup's id, which is the inode of its directory.
mkdir -p $CG/t35
echo 32M >$CG/t35/memory.max
# The reader resolves the id to the cgroup's path.
oom-guard --format json >/tmp/v.json 2>/tmp/v.err &
reader=$!
pids="$pids $reader"
wait_for 10 "the reader did not open the device" eval '[ "$(stat stats readers)" -ge 2 ]'
calls=$(stat stats oom_calls)
n=$(victims | wc -l)
sh -c "echo \$\$ >$CG/t35/cgroup.procs && MEMHOG_COMM=memcg-hog exec memhog 128M" >/dev/null 2>&1
[ $? = 137 ] || fail "the hog in a 32 MiB cgroup was not killed"
wait_for 5 "no named KILL record for the memcg OOM" eval '[ "$(victims | wc -l)" -gt $n ]'
v=$(victims | tail -n 1)
echo "memcg: $v"
[ "$(key "$v" victim_comm)" = memcg-hog ] || fail "memcg victim name '$(key "$v" victim_comm)'"
flags=$(key "$v" kill_flags)
[ $((flags & 6)) = 4 ] || fail "a memcg OOM's victim not marked memcg only (flags $flags)"
ino=$(ls -di $CG/t35 | awk '{ print $1 }')
[ "$(key "$v" cgroup_id)" = "$ino" ] || fail "victim cgroup id $(key "$v" cgroup_id), $CG/t35 is inode $ino"
[ "$(stat stats oom_calls)" = "$calls" ] || fail "the notifier was called for a memcg OOM"
wait_for 10 "the reader wrote no record of the memcg victim: $(cat /tmp/v.err)" eval 'grep -q "\"victim_comm\":\"memcg-hog\"" /tmp/v.json'
grep '"victim_comm":"memcg-hog"' /tmp/v.json | grep -q '"oom":"memcg"' || fail "the reader does not say memcg: $(grep memcg-hog /tmp/v.json)"
grep '"victim_comm":"memcg-hog"' /tmp/v.json | grep -q '"cgroup":"/t35"' || fail "the reader did not resolve the cgroup to /t35: $(grep memcg-hog /tmp/v.json)"
kill -TERM $reader
wait $reader
pids=

# --- memory.oom.group: two members, one OOM, two victims, the second a group member.
mkdir -p $CG/t35g
echo 48M >$CG/t35g/memory.max
echo 1 >$CG/t35g/memory.oom.group
n=$(victims | wc -l)
sh -c "echo \$\$ >$CG/t35g/cgroup.procs && MEMHOG_COMM=group-idle exec memhog 8M 0 600" >/dev/null 2>&1 &
idle=$!
pids="$pids $idle"
sleep 1
sh -c "echo \$\$ >$CG/t35g/cgroup.procs && MEMHOG_COMM=group-hog exec memhog 128M" >/dev/null 2>&1
gone() { [ ! -e /proc/$idle ] || grep -q '^State:.*Z' /proc/$idle/status; }
wait_for 10 "the group's idle member was not killed" gone
wait "$idle"
pids=
wait_for 5 "not two named KILL records for the group OOM" eval '[ "$(victims | wc -l)" -ge $((n + 2)) ]'
victims | tail -n +$((n + 1)) >/tmp/group
cat /tmp/group
grep -q 'victim_comm=group-hog' /tmp/group || fail "the group's hog is not named"
grep -q 'victim_comm=group-idle' /tmp/group || fail "the group's idle member is not named"
[ "$(wc -l </tmp/group)" = 2 ] || fail "$(wc -l </tmp/group) victims for a group of two"
g=0
while read -r line; do
	[ $(($(key "$line" kill_flags) & 16)) = 16 ] && g=$((g + 1))
done </tmp/group
[ "$g" = 1 ] || fail "$g group members marked, expected the second victim only"

# Victims killed = the kernel's kill count moved, less one per group OOM: the kernel kills the
# group's first victim a second time as a member, counting it again, and marks it only once.
killed=$(victims | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^kills=/) k += substr($i, 7) } END { print k + 0 }')
delta=$(($(vmstat oom_kill) - kills0))
[ "$killed" = $((delta - 1)) ] || fail "$killed victims killed, oom_kill moved by $delta (one group OOM)"
echo "victims named: $(victims | wc -l), killed $killed = oom_kill delta $delta less the group's double count"
# The text reader's kill lines: the global victim with its pid, name, uid, memory and score, the
# memcg one with its cgroup's path.
wait_for 10 "the text reader has no line for the group's members: $(cat /tmp/v.txt.err)" eval 'grep -q "(group-idle)" /tmp/v.txt'
kill -TERM $text_reader
wait $text_reader
grep ' killed pid ' /tmp/v.txt
grep -q "killed pid $holder (victim-holder), uid $uid, rss [0-9.]* MiB, oom_score_adj 0" /tmp/v.txt ||
	fail "no text line names the global victim $holder: $(grep kill /tmp/v.txt)"
grep "(memcg-hog)" /tmp/v.txt | grep -q "memcg /t35" ||
	fail "the memcg victim's text line has no cgroup path: $(grep memcg-hog /tmp/v.txt)"
# The probe's cost per victim, from the counters.
[ "$(stat stats victims)" = "$(victims | wc -l)" ] || fail "stats.victims $(stat stats victims), $(victims | wc -l) records"
echo "probe cost per victim: mean $(stat stats probe_avg_ns) ns, max $(stat stats probe_max_ns) ns over $(stat stats victims) victims"
unload
