# guard-tier: core
# guard-also: series
# Every parameter out of range (or malformed) fails the load with EINVAL and one pr_err naming
# it, leaving no memory behind; in-range custom values are accepted.
. /guard/lib.sh
# The bounds come from the module's own table of tunables (`guardctl tunables`: name, min,
# max, default): one below the minimum (where there is one) and one above the maximum of every
# parameter. Then the rules between parameters, which no single range states.
guardctl tunables >/tmp/tunables || fail "guardctl tunables failed"
[ "$(wc -l </tmp/tunables)" -ge 16 ] || fail "guardctl tunables lists $(wc -l </tmp/tunables) tunables"
bads=$(awk '{ if ($2 > 0) print $1 "=" $2 - 1; printf "%s=%.0f\n", $1, $3 + 1 }' /tmp/tunables)
for bad in $bads "sample_fast_ms=500 sample_slow_ms=100" headroom_low=101 headroom_medium=20 \
	headroom_critical=10 headroom_hysteresis=101 sample_min_ms=11; do
	name=${bad%%=*}
	dmesg -c >/dev/null
	# shellcheck disable=SC2086
	out=$(guardctl insmod "$MODULE" $bad)
	[ "$out" = EINVAL ] || fail "insmod $bad: expected EINVAL, got: $out"
	module_loaded && fail "module loaded after insmod $bad"
	errs=$(dmesg | grep -c "rust_oom_guard: invalid $name=")
	[ "$errs" = 1 ] || fail "insmod $bad: expected one 'invalid $name=' line, got $errs: $(dmesg | tail -n 3)"
	echo "$bad -> EINVAL: $(dmesg | grep "invalid $name=")"
done
# Every parameter is in sysfs with its default after a load without arguments.
load
# A tunable with named values shows the name (policy: avert).
while read -r name min max default kind shown; do
	got=$(cat "/sys/module/rust_oom_guard/parameters/$name") || fail "no sysfs file for $name"
	[ "$got" = "$shown" ] || fail "sysfs $name is $got, the table's default is $shown = $default ($kind, $min..$max)"
done </tmp/tunables
unload
# Values by name, whatever their case; numbers stay accepted (below).
load policy=observe headroom_unit=KiB
[ "$(stat config policy)" = 0 ] || fail "policy=observe not applied"
[ "$(stat config headroom_unit)" = 1 ] || fail "headroom_unit=KiB not applied"
[ "$(cat /sys/module/rust_oom_guard/parameters/policy)" = observe ] || fail "sysfs policy is not observe"
[ "$(cat /sys/module/rust_oom_guard/parameters/headroom_unit)" = kib ] || fail "sysfs headroom_unit is not kib"
unload
load policy=AVERT
[ "$(stat config policy)" = 1 ] || fail "policy=AVERT not applied"
unload
# Malformed values: the kernel's parameter parser rejects them with one line naming the
# parameter, before the module's init runs.
for bad in pool_kib=abc ring_size=-1 policy= policy=kill headroom_unit=mib sample_slow_ms=0x; do
	name=${bad%%=*}
	dmesg -c >/dev/null
	out=$(guardctl insmod "$MODULE" $bad)
	[ "$out" = EINVAL ] || fail "insmod $bad: expected EINVAL, got: $out"
	module_loaded && fail "module loaded after insmod $bad"
	errs=$(dmesg | grep -c "invalid for parameter \`$name'")
	[ "$errs" = 1 ] || fail "insmod $bad: expected one 'invalid for parameter' line, got $errs: $(dmesg | tail -n 3)"
	echo "$bad -> EINVAL: $(dmesg | grep 'invalid for parameter')"
done
# Nothing leaked by the failed loads: a 1 GiB pool would have shown.
load pool_kib=4096 release_chunk=128 policy=0 avert_budget=3 ring_size=64 sample_fast_ms=5
[ "$(stat stats pool_pages)" = $((4096 * 1024 / 4096)) ] || fail "pool_kib=4096 not applied"
[ "$(stat config policy)" = 0 ] || fail "policy=0 not applied"
[ "$(stat config avert_budget)" = 3 ] || fail "avert_budget=3 not applied"
unload
# Headroom thresholds in KiB may exceed 100; each is live in sysfs.
load headroom_unit=1 headroom_low=200000 headroom_medium=100000 headroom_critical=50000 \
	headroom_hysteresis=8192 sample_min_ms=2 reclaim_quiet_ms=250
[ "$(stat config headroom_unit)" = 1 ] || fail "headroom_unit=1 not applied"
[ "$(cat /sys/module/rust_oom_guard/parameters/headroom_unit)" = kib ] || fail "sysfs headroom_unit is not kib"
for kv in headroom_low=200000 headroom_medium=100000 headroom_critical=50000 \
	headroom_hysteresis=8192 sample_min_ms=2 reclaim_quiet_ms=250; do
	[ "$(stat config "${kv%%=*}")" = "${kv#*=}" ] || fail "$kv not applied"
	[ "$(cat /sys/module/rust_oom_guard/parameters/${kv%%=*})" = "${kv#*=}" ] || fail "sysfs ${kv%%=*} is not ${kv#*=}"
done
unload
