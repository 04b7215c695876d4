# guard-tier: core
# An OOM driven by unreclaimable kernel memory (pipe buffers) instead of anonymous memory: the
# same guarantees as for an anonymous hog. pipehog makes itself the OOM killer's first choice
# (oom_score_adj 1000), since pipe buffers are not in anybody's RSS.
. /guard/lib.sh
load
unbounded_oom pipehog 4G
unload
