# guard-tier: plain
# The static test helper runs in the guest and commits the memory it asks for.
. /guard/lib.sh
out=$(memhog 32M 64M) || fail "memhog 32M 64M failed: $out"
echo "$out"
echo "$out" | grep -q 'done 32768 KiB' || fail "unexpected output: $out"
memhog 12Q >/dev/null 2>&1
[ $? -eq 2 ] || fail "memhog with a bad size should exit 2"
# While memhog holds 48 MiB, all of it is resident: RssAnon >= 48 MiB.
# (MemAvailable is no good here: pages freed by an earlier process can sit
# in per-CPU lists, uncounted, for a while.)
memhog 48M 0 60 >/tmp/hog.out &
pid=$!
i=0
until grep -q 'done 49152 KiB' /tmp/hog.out; do
	i=$((i + 1))
	[ $i -le 300 ] || fail "memhog 48M did not finish allocating within 30 s"
	sleep 0.1
done
rss=$(awk '$1 == "RssAnon:" { print $2 }' /proc/$pid/status)
kill $pid
wait $pid
echo "memhog holding 48 MiB: RssAnon $rss kB"
[ "$rss" -ge 49152 ] || fail "only $rss kB of 49152 kB resident"
