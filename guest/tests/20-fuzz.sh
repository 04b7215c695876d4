# guard-tier: core
# Device security and robustness: reserved and padding bytes read back as zero, then 10 000
# random ioctls and reads (bad commands, sizes and pointers, NULL, kernel addresses, pointers
# straddling an unmapped page), each checked against the ABI; the device still works after.
# (Non-root open, EPERM without CAP_SYS_ADMIN, ENOTTY, EFAULT and short reads are in
# 10-device and 12-ioctl-errors.)
. /guard/lib.sh
load pool_kib=32768 release_chunk=1024
# Records of every kind to check: pressure, averted OOMs with pool releases, then a kill.
capacity_mib >/dev/null
wait_for 5 "no KILL event within 5 s" kill_reported
guardfuzz padding || fail "reserved or padding bytes not zero"
config_before=$(guardctl config)
seed=$(($(date +%s) % 100000))
guardfuzz fuzz -n 10000 -s $seed || fail "fuzz found a wrong answer (seed $seed)"
[ "$(guardctl config)" = "$config_before" ] || fail "the configuration changed under the fuzzer"
[ "$(guardctl version)" = "abi=2.1" ] || fail "device broken after fuzzing"
guardctl read -n >/tmp/ev 2>/dev/null
contiguous 0 </tmp/ev || fail "events not contiguous after fuzzing"
unload
