# guard-tier: core
# guard-also: series
# The guest kernel has what the module and the later tests rely on.
. /guard/lib.sh
grep -q '^MemAvailable:' /proc/meminfo || fail "no MemAvailable in /proc/meminfo"
[ -r /proc/pressure/memory ] || fail "no PSI: /proc/pressure/memory missing (CONFIG_PSI)"
grep -qw memory /sys/fs/cgroup/cgroup.controllers || fail "no memory controller in cgroup v2 (CONFIG_MEMCG)"
[ -n "$(vmstat oom_kill)" ] || fail "no oom_kill counter in /proc/vmstat (CONFIG_VM_EVENT_COUNTERS)"
[ -w /proc/sysrq-trigger ] || fail "no /proc/sysrq-trigger (CONFIG_MAGIC_SYSRQ)"
[ -r /proc/modules ] || fail "no /proc/modules (CONFIG_MODULES)"
[ -r /proc/zoneinfo ] || fail "no /proc/zoneinfo"
grep -q ' __traceiter_mark_victim$' /proc/kallsyms || fail "no oom:mark_victim tracepoint (CONFIG_TRACEPOINTS)"
grep -q '^Node 0, zone' /proc/zoneinfo || fail "no populated zone in /proc/zoneinfo"
grep -q 'SwapTotal: *0 kB' /proc/meminfo || fail "guests must have no swap"
echo "kernel $(uname -r) $(uname -m); MemTotal $(meminfo MemTotal) kB; $(grep -c '^processor' /proc/cpuinfo) CPUs"
