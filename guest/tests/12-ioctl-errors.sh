# guard-tier: core
# guard-also: series
# Bad ioctls and reads get the right errno, and the device keeps working.
. /guard/lib.sh
load
expect() { # expect ERRNO CMD...
	want=$1
	shift
	out=$("$@" 2>&1)
	echo "$out" | grep -q "$want" || fail "$*: expected $want, got: $out"
	echo "$* -> $want"
}
expect ENOTTY guardctl ioctl-raw 0x4004b799
expect ENOTTY guardctl ioctl-raw 0x1234
# The retired ABI 1.x numbers (GET_STATS of 128 and 192 bytes, GET_CONFIG and SET_CONFIG of 32):
# unknown ioctls now, ENOTTY as the kernel convention says.
for cmd in 0x8080b701 0x80c0b701 0x8020b703 0x4020b704; do
	expect ENOTTY guardctl ioctl-raw $cmd
done
# GET_STATS (_IOR 0xB7 1, 248 bytes) and GET_VERSION to a bad user address.
expect EFAULT guardctl ioctl-raw 0x80f8b701 0x10
expect EFAULT guardctl ioctl-raw 0x8004b700 0xffffffffffff0000
expect EINVAL guardctl set policy=7
expect EINVAL guardctl set release_chunk=0
expect EINVAL guardctl set sample_fast_ms=2000
expect EINVAL guardctl set reserved=1
expect EPERM guardctl -x set avert_budget=5
[ "$(stat config avert_budget)" = 8 ] || fail "a rejected set changed the config"
guardctl set avert_budget=5 || fail "valid set failed"
[ "$(stat config avert_budget)" = 5 ] || fail "valid set not applied"
expect EAGAIN guardctl read -n
expect EINVAL guardctl read -n -b 16
[ "$(guardctl version)" = "abi=2.1" ] || fail "device broken after bad calls"
unload
