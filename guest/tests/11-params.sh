# Every parameter out of range (or malformed) fails the load with EINVAL and one pr_err naming
# it, leaving no memory behind; in-range custom values are accepted.
. /guard/lib.sh
for bad in pool_kib=4194305 release_chunk=0 release_chunk=65537 policy=2 avert_budget=1001 \
	budget_window_ms=99 ring_size=63 ring_size=65537 refill_delay_ms=600001 \
	sample_slow_ms=9 sample_fast_ms=0 "sample_fast_ms=500 sample_slow_ms=100"; do
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
