# guard-tier: core
# Every parameter out of range (or malformed) fails the load with EINVAL and one pr_err naming
# it, leaving no memory behind; in-range custom values are accepted.
. /guard/lib.sh
for bad in pool_kib=4194305 release_chunk=0 release_chunk=65537 policy=2 avert_budget=1001 \
	budget_window_ms=99 ring_size=63 ring_size=65537 refill_delay_ms=600001 \
	sample_slow_ms=9 sample_fast_ms=0 "sample_fast_ms=500 sample_slow_ms=100" \
	headroom_unit=2 headroom_low=101 headroom_low=0 headroom_medium=20 headroom_critical=10 \
	headroom_hysteresis=101 headroom_medium=2147483649 sample_min_ms=0 sample_min_ms=11 \
	reclaim_quiet_ms=9 reclaim_quiet_ms=60001; do
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
# Malformed values: the kernel's parameter parser rejects them with one line naming the
# parameter, before the module's init runs.
for bad in pool_kib=abc ring_size=-1 policy= sample_slow_ms=0x; do
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
for kv in headroom_unit=1 headroom_low=200000 headroom_medium=100000 headroom_critical=50000 \
	headroom_hysteresis=8192 sample_min_ms=2 reclaim_quiet_ms=250; do
	[ "$(stat config "${kv%%=*}")" = "${kv#*=}" ] || fail "$kv not applied"
	[ "$(cat /sys/module/rust_oom_guard/parameters/${kv%%=*})" = "${kv#*=}" ] || fail "sysfs ${kv%%=*} is not ${kv#*=}"
done
unload
