# guard-tier: core
# Eight concurrent readers get identical, contiguous streams; epoll wakes on an event; a
# signal interrupts a blocked read with EINTR; closing the fd under a blocked read is safe
# (the read completes on the next event) and rmmod works afterwards. (A stopped reader's LOST
# record is in 16-readers, O_NONBLOCK's EAGAIN in 12-ioctl-errors.)
. /guard/lib.sh
load pool_kib=65536 release_chunk=2048 avert_budget=1000 refill_delay_ms=600000
pids=
for i in 1 2 3 4 5 6 7 8; do
	guardctl read >/tmp/r$i 2>/tmp/r$i.err &
	pids="$pids $!"
done
# stats counts open files, its own included.
eight() { [ "$(stat stats readers)" = 9 ]; }
wait_for 10 "8 readers did not open" eight
guardctl poll -e -t 60000 &
ep=$!
# Capacity measured with the pool kept (observe), so a spike beyond it needs the pool.
guardctl set policy=0
cap=$(capacity_mib)
guardctl set policy=1
wait $ep || fail "epoll did not report EPOLLIN on an event"
wait_for 5 "no KILL event within 5 s" kill_reported
# Let the stream settle (pressure returning to ok), so the blocked-read checks below block.
total=$(stat stats events)
while sleep 1; [ "$(stat stats events)" != "$total" ]; do total=$(stat stats events); done
has_all() { [ "$(wc -l <"$1")" -ge "$total" ]; }
for i in 1 2 3 4 5 6 7 8; do
	wait_for 10 "reader $i has $(wc -l </tmp/r$i) of $total records after 10 s" has_all /tmp/r$i
done
# shellcheck disable=SC2086
kill $pids
wait
head -n "$total" /tmp/r1 >/tmp/r1.head
for i in 2 3 4 5 6 7 8; do
	head -n "$total" /tmp/r$i | cmp -s /tmp/r1.head - || fail "reader $i's stream differs from reader 1's"
done
contiguous 0 </tmp/r1 || fail "stream not contiguous"
grep -q 'kind=lost' /tmp/r1 && fail "a reader that kept up lost records"
echo "8 readers: identical streams of $total records, none lost"
# A blocked read interrupted by a signal returns EINTR.
guardctl read -S -c $((total + 1)) >/tmp/s 2>&1 &
r=$!
caught_up() { [ "$(grep -c seq= "$1")" -ge "$total" ]; }
wait_for 10 "the reader did not catch up: $(tail -n 1 /tmp/s)" caught_up /tmp/s
sleep 0.3
kill -USR1 $r
wait $r
grep -q 'read: EINTR' /tmp/s || fail "a signal did not interrupt the blocked read: $(tail -n 1 /tmp/s)"
echo "signal during a blocked read: EINTR"
# The fd closed by another thread under a blocked read: the read completes on the next event.
guardctl read -C 300 -c $((total + 1)) >/tmp/c 2>&1 &
r=$!
wait_for 10 "the reader did not catch up: $(tail -n 1 /tmp/c)" caught_up /tmp/c
wait_for 5 "the closing thread did not run" grep -q closed /tmp/c
before=$(stat stats events)
# An unbounded hog under observe: an OOM event for certain (a spike near the measured capacity
# may fit without one).
guardctl set policy=0
memhog 4G >/dev/null 2>&1
echo "spike: events $before -> $(stat stats events)"
gone() { ! kill -0 "$1" 2>/dev/null; }
wait_for 10 "the read under a closed fd did not return: $(tail -n 2 /tmp/c)" gone $r
wait $r || fail "the read under a closed fd failed: $(tail -n 2 /tmp/c)"
[ "$(grep -c seq= /tmp/c)" -gt "$total" ] || fail "the blocked read did not return the next event"
[ "$(stat stats readers)" = 1 ] || fail "readers=$(stat stats readers) after every reader closed"
echo "close under a blocked read: the read returned the next event, every reader gone"
unload
