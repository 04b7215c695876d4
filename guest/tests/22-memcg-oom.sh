# guard-tier: core
# A memory-cgroup OOM (cgroup v2 memory.max) is not a global OOM: the kernel kills inside the
# cgroup without calling the OOM notifier chain, so the guard is not called and its pool is
# untouched (the documented limitation); the victims stage still names the victim
# (35-victims).
. /guard/lib.sh
CG=/sys/fs/cgroup
mkdir -p $CG
grep -q " $CG cgroup2 " /proc/mounts || mount -t cgroup2 none $CG || skip "cgroup2 not mountable"
grep -qw memory $CG/cgroup.controllers || fail "memory controller missing (CONFIG_MEMCG)"
echo +memory >$CG/cgroup.subtree_control || fail "cannot enable the memory controller"
mkdir -p $CG/t10
echo 32M >$CG/t10/memory.max
load
calls=$(stat stats oom_calls)
pool=$(stat stats pool_pages)
kills=$(vmstat oom_kill)
sh -c "echo \$\$ >$CG/t10/cgroup.procs && exec memhog 128M" >/dev/null 2>&1
rc=$?
[ "$rc" = 137 ] || fail "the hog in a 32 MiB cgroup was not killed (exit $rc)"
cat $CG/t10/memory.events
[ "$(awk '$1 == "oom_kill" { print $2 }' $CG/t10/memory.events)" = 1 ] || fail "memory.events shows no cgroup OOM kill"
[ "$(vmstat oom_kill)" = $((kills + 1)) ] || fail "oom_kill $kills -> $(vmstat oom_kill)"
[ "$(stat stats oom_calls)" = "$calls" ] || fail "the notifier was called for a memcg OOM"
[ "$(stat stats pool_pages)" = "$pool" ] || fail "the pool changed: $pool -> $(stat stats pool_pages)"
guardctl read -n 2>/dev/null | grep 'kind=oom' && fail "an OOM record for a memcg OOM"
echo "memcg OOM: killed inside the cgroup, notifier not called, pool still $pool pages"
rmdir $CG/t10
unload
