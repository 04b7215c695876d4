# The static test helper runs in the guest and commits the memory it asks for.
. /guard/lib.sh
out=$(memhog 32M 64M) || fail "memhog 32M 64M failed: $out"
echo "$out"
echo "$out" | grep -q 'done 32768 KiB' || fail "unexpected output: $out"
memhog 12Q >/dev/null 2>&1
[ $? -eq 2 ] || fail "memhog with a bad size should exit 2"
# While memhog holds 48 MiB, MemAvailable must drop by at least 40 MiB.
before=$(meminfo MemAvailable)
memhog 48M 0 60 >/tmp/hog.out &
pid=$!
i=0
until grep -q 'done 49152 KiB' /tmp/hog.out; do
	i=$((i + 1))
	[ $i -le 300 ] || fail "memhog 48M did not finish allocating within 30 s"
	sleep 0.1
done
during=$(meminfo MemAvailable)
kill $pid
wait $pid
drop=$(((before - during) / 1024))
echo "MemAvailable $before kB -> $during kB while holding 48 MiB (drop $drop MiB)"
[ "$drop" -ge 40 ] || fail "MemAvailable dropped only $drop MiB"
