# guard-tier: builtin
# Issue 18: the guard built into the kernel (CONFIG_RUST_OOM_GUARD=y from the in-tree drop-in,
# scripts/intree.sh; the `intree` kernel of make test-full) starts at boot without insmod, before
# /init, with its parameters from the kernel command line (rust_oom_guard.<name>=<value>), and
# works: the device answers, the pool holds what pool_kib asked for, a global OOM is seen, and
# the built-in guard cannot be removed.
. /guard/lib.sh
grep -q '^rust_oom_guard ' /proc/modules 2>/dev/null && fail "rust_oom_guard is a loaded module, not built in"
[ -c "$DEV" ] || fail "$DEV missing: the built-in guard did not start"
# It started before user space: its first kernel line comes before the kernel runs /init.
first=$(dmesg | grep -n 'rust_oom_guard:' | head -n 1 | cut -d: -f1)
init=$(dmesg | grep -n 'Run /init as init process' | head -n 1 | cut -d: -f1)
[ -n "$first" ] && [ -n "$init" ] && [ "$first" -lt "$init" ] ||
	fail "the guard's first line ($first) is not before /init ($init): $(dmesg | grep 'rust_oom_guard:' | head -n 3)"
dmesg | grep 'rust_oom_guard:' | head -n 3
# Every rust_oom_guard.* argument of the command line is the parameter's value in sysfs.
n=0
for arg in $(cat /proc/cmdline); do
	case $arg in rust_oom_guard.*=*) ;; *) continue ;; esac
	kv=${arg#rust_oom_guard.}
	k=${kv%%=*} v=${kv#*=}
	got=$(cat "/sys/module/rust_oom_guard/parameters/$k") || fail "no sysfs parameter $k"
	[ "$got" = "$v" ] || fail "$k=$v on the command line, sysfs says $got"
	n=$((n + 1))
done
[ "$n" -ge 2 ] || fail "only $n rust_oom_guard.* arguments on the command line: $(cat /proc/cmdline)"
echo "$n parameters from the command line: $(tr ' ' '\n' </proc/cmdline | grep '^rust_oom_guard\.' | tr '\n' ' ')"
# The live configuration follows: policy observe (0), the KiB thresholds.
[ "$(stat config policy)" = 0 ] || fail "policy $(stat config policy), the command line said observe"
[ "$(stat config headroom_low)" = 65536 ] || fail "headroom_low $(stat config headroom_low)"
# The pool holds pool_kib.
want=$((8192 * 1024 / $(getconf PAGESIZE 2>/dev/null || echo 4096)))
wait_for 30 "the pool did not fill to $want pages: $(stat stats pool_pages)" eval '[ "$(stat stats pool_pages)" = "$want" ]'
[ "$(stat stats pool_target)" = "$want" ] || fail "pool target $(stat stats pool_target), want $want"
# A global OOM under policy observe: the kernel kills, the guard reports the OOM and the victim.
calls=$(stat stats oom_calls)
memhog 64G >/dev/null 2>&1
[ $? = 137 ] || fail "the hog was not OOM-killed"
[ "$(stat stats oom_calls)" -gt "$calls" ] || fail "the notifier was not called"
wait_for 5 "no KILL record naming the hog" eval 'guardctl read -n 2>/dev/null | grep "kind=kill" | grep -q "victim_comm=memhog"'
# Built in, it stays.
rmmod rust_oom_guard 2>/dev/null && fail "rmmod removed a built-in guard"
[ -c "$DEV" ] || fail "$DEV gone after a refused rmmod"
echo "built in: device, $n command-line parameters, pool of $want pages, OOM and victim seen"
