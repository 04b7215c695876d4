# guard-tier: core
# guard-also: series
# The device node, the version, stats, config and zone ioctls, and unload with an open file.
. /guard/lib.sh
load
ls -l "$DEV"
mode=$(ls -l "$DEV" | awk '{ print $1, $3, $4 }')
[ "$mode" = "crw------- root root" ] || fail "$DEV is '$mode', expected 'crw------- root root'"
[ "$(guardctl version)" = "abi=2.1" ] || fail "unexpected ABI version: $(guardctl version)"
pages=$((16384 * 1024 / $(getconf PAGESIZE 2>/dev/null || echo 4096)))
[ "$(stat stats pool_pages)" = "$pages" ] || fail "pool_pages=$(stat stats pool_pages), expected $pages"
[ "$(stat stats pool_target)" = "$pages" ] || fail "pool_target wrong"
[ "$(stat config policy)" = 1 ] || fail "default policy is not avert"
[ "$(stat config release_chunk)" = 256 ] || fail "default release_chunk is not 256"
hr="$(stat config headroom_unit) $(stat config headroom_low) $(stat config headroom_medium) $(stat config headroom_critical) $(stat config headroom_hysteresis)"
[ "$hr" = "0 20 10 5 2" ] || fail "default headroom thresholds are '$hr', expected '0 20 10 5 2'"
# Every zone the ioctl reports matches /proc/zoneinfo's watermarks.
guardctl zones
n=$(stat zones nr_zones)
[ "$n" -ge 1 ] || fail "no zones reported"
guardctl zones | grep '^zone' | while read -r z rest; do
	name=${z#*:*:}
	set -- $rest
	min=${3#min=} low=${4#low=} high=${5#high=}
	zi=$(awk -v n="$name" '$1 == "Node" && $4 == n { f = 1; next } f && $1 == "min" { m = $2 } f && $1 == "low" { l = $2 } f && $1 == "high" { h = $2; print m, l, h; exit }' /proc/zoneinfo)
	[ "$zi" = "$min $low $high" ] || fail "zone $name: ioctl says $min $low $high, /proc/zoneinfo says $zi"
	echo "zone $name watermarks $zi match /proc/zoneinfo"
done || exit 1
# Non-root cannot open the node.
out=$(guardctl -u 65534 version 2>&1)
echo "$out" | grep -q EACCES || fail "non-root open: expected EACCES, got: $out"
# rmmod is refused while a file is open, and works after close.
guardctl read -t 3000 -c 1 >/dev/null 2>&1 &
reader=$!
sleep 0.5
if rmmod rust_oom_guard 2>/dev/null; then fail "rmmod succeeded with an open file"; fi
kill $reader
wait $reader
unload
[ ! -e "$DEV" ] || fail "$DEV still there after rmmod"
# Parameters are readable under /sys/module with their load values, and follow the runtime
# configuration.
load pool_kib=8192 release_chunk=64 ring_size=256 policy=0
P=/sys/module/rust_oom_guard/parameters
ls -l $P
for kv in pool_kib=8192 release_chunk=64 ring_size=256 policy=observe avert_budget=8 \
	budget_window_ms=60000 refill_delay_ms=5000 sample_slow_ms=1000 sample_fast_ms=10; do
	k=${kv%=*} v=${kv#*=}
	[ "$(cat $P/$k)" = "$v" ] || fail "$P/$k is '$(cat $P/$k)', expected $v"
	[ "$(ls -l $P/$k | cut -c1-10)" = "-r--r--r--" ] || fail "$P/$k is not read-only"
done
echo 5 >$P/avert_budget 2>/dev/null && fail "a parameter file was writable"
guardctl set avert_budget=3 policy=1 || fail "set failed"
[ "$(cat $P/avert_budget)" = 3 ] || fail "$P/avert_budget does not follow the runtime config"
[ "$(cat $P/policy)" = avert ] || fail "$P/policy does not follow the runtime config"
echo "parameters: $(for f in $P/*; do printf '%s=%s ' "${f##*/}" "$(cat "$f")"; done)"
unload
