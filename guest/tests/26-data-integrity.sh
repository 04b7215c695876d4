# guard-tier: core
# Pages that went through the pool hold data correctly: a spike that needs released pool pages
# fills all its memory with an offset pattern and checks every word before exiting, and after
# several release and refill cycles a pattern test over most of free memory passes.
. /guard/lib.sh
load pool_kib=65536 release_chunk=2048 avert_budget=1000
guardctl set refill_delay_ms=100 || fail "set refill_delay_ms"
refilled() {
	wait_for 15 "pool did not refill within 15 s: $(stat stats pool_pages)/$(stat stats pool_target)" pool_full
}
cycle=0
while [ $cycle -lt 3 ]; do
	cycle=$((cycle + 1))
	# Capacity with the pool kept (observe), so the spike below lives partly on pool pages.
	guardctl set policy=0
	cap=$(capacity_mib)
	guardctl set policy=1
	# A spike beyond what is free, living partly on released pool pages, pattern-checked.
	MEMHOG_PATTERN=1 memhog "$((cap + 16))M" >/tmp/p 2>&1
	rc=$?
	cat /tmp/p
	[ "$rc" = 0 ] || fail "cycle $cycle: patterned spike of $((cap + 16)) MiB failed (exit $rc)"
	grep -q 'pattern intact' /tmp/p || fail "cycle $cycle: pattern not intact"
	refilled
done
[ "$(stat stats averts)" -ge 3 ] || fail "only $(stat stats averts) averts: the spikes never used the pool"
# After the cycles: a pattern over three quarters of free memory.
size=$(($(free_kib) * 3 / 4 / 1024))
MEMHOG_PATTERN=1 memhog "${size}M" >/tmp/p 2>&1 || fail "pattern over $size MiB failed: $(cat /tmp/p)"
cat /tmp/p
echo "3 release/refill cycles ($(stat stats pages_released) pages released, $(stat stats pages_refilled) refilled), patterns intact"
unload
