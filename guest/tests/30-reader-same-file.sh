# guard-tier: core
# guard-also: series
# guard-also: board
# Two readers on one open file (two threads, as a forked child would share it): the second
# waits for the first in interruptible sleep, never in D state; poll() answers at once;
# O_NONBLOCK never blocks; a signal ends either wait. Before ABI 1.3's module the second reader
# sat in uninterruptible mutex_lock() until the next event.
. /guard/lib.sh
load
# Nothing to read: a fresh load has no record unless the level moved; drain what is there.
guardctl read -n >/dev/null 2>&1
samefile || fail "two readers on one file (see above)"
# The device still works for everyone.
guardctl read -n >/dev/null 2>&1
# guardctl's own open is the one reader left.
[ "$(stat stats readers)" = 1 ] || fail "readers=$(stat stats readers) after every other reader closed"
unload
