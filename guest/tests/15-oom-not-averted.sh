# guard-tier: core
# guard-also: series
# An unbounded hog: the pool is released chunk by chunk, then the kill happens and is
# reported; the guard keeps working and the pool refills once memory is back.
. /guard/lib.sh
load
unbounded_oom memhog 4G
unload
