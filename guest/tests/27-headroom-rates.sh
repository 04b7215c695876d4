# guard-tier: plain
# Issue 6: a hog allocating at 50, 200 and 800 MiB/s, and as fast as it can, runs into a real
# OOM under policy observe (the kernel kills it). In every run the monitor reports the critical
# headroom level before the OOM event, with contiguous sequence numbers, and the last pressure
# event the monitor sent before the OOM, and the critical event, estimate the time that was left
# within a factor of 2, or within the slack (50 ms) when that is looser (on the debug kernel only reported: see below).
# Prints each run's lead times (first low, medium and critical headroom events, reclaim onset)
# and the estimate against the time that remained.
. /guard/lib.sh
# Per-CPU page lists capped at about 1 MiB a CPU (README's "On a board"): the monitor counts
# the zones' free pages, which leave out the per-CPU lists, and with the default auto-tuned
# lists a hog's CPU kept up to ~14 MiB there that the allocator only drains at the end; at
# 50 MiB/s that hid ~200 ms, so the critical event estimated 140 ms while 355 ms remained with
# the hog at a steady 50 MiB/s (arm64, a clean-clone run). Restored at the end.
pcp_fraction=$(cat /proc/sys/vm/percpu_pagelist_high_fraction)
echo 1000 >/proc/sys/vm/percpu_pagelist_high_fraction || fail "cannot set vm.percpu_pagelist_high_fraction"
load policy=0 pool_kib=0 ring_size=4096
# The allocator's last direct-reclaim attempts after free memory reaches the floor usually take
# a few ms here, but up to about 40 ms (arm64, a clean-clone CI run: 6 ms estimated, 37.6 ms
# remained), tens of ms more on the KASAN debug kernel: the slack for the last event's estimate.
# On the debug kernel KASAN makes the hog's rate uneven: the estimates are printed, not judged
# (strict=0); the critical event must still come before the OOM.
slack=50 strict=1
debug_kernel && slack=100 strict=0
for rate in 50 200 800 0; do
	# Start from plenty of headroom, as a quiet system would be.
	i=0
	until [ "$(stat stats headroom)" = 0 ]; do
		i=$((i + 1))
		if [ $i -gt 200 ]; then
			echo w >/proc/sysrq-trigger
			fail "headroom did not recover to plenty before the $rate MiB/s run: $(grep MemAvail /proc/meminfo) $(guardctl stats | tr '\n' ' '); $(guardctl read -n | tail -n 3)"
		fi
		sleep 0.1
	done
	first=$(stat stats events)
	kills=$(vmstat oom_kill)
	# A fixed schedule that the hog may lag by at most 10 ms: short sleep overshoots are made
	# up (the average rate stays right), but after a stall the hog does not catch up in a burst
	# at many times its rate. An unbounded catch-up just before the critical event doubled the
	# fall rate the monitor measured (so halved its estimate) while the hog then went back to
	# its rate: 128 ms estimated, 368 ms remained (arm64, about one run in 35).
	MEMHOG_RATE=$rate MEMHOG_MAX_LAG_MS=10 MEMHOG_PROGRESS=/tmp/progress MEMHOG_PROGRESS_LOG=/tmp/plog memhog 64G 0 0 64K >/dev/null 2>&1
	[ "$(vmstat oom_kill)" -gt "$kills" ] || fail "the $rate MiB/s hog was not OOM-killed"
	wait_for 5 "no KILL record after the $rate MiB/s run" kill_reported
	guardctl read -n | awk -v from="$first" '{
		for (i = 1; i <= NF; i++) if ($i ~ /^seq=/) s = substr($i, 5) + 0
	} s >= from' >/tmp/run
	contiguous "$first" </tmp/run || fail "events of the $rate MiB/s run are not contiguous"
	grep -q kind=lost /tmp/run && fail "events lost in the $rate MiB/s run"
	# The hog's own pace over the 200 ms before the critical event and from it to the OOM, from
	# its progress log (the same clock as the records): what the estimate could know, and what
	# happened after.
	pace=$(awk -v plog=/tmp/plog '
		{ for (i = 1; i <= NF; i++) { n = index($i, "="); if (n) f[substr($i, 1, n - 1)] = substr($i, n + 1) } }
		f["kind"] == "oom" { t_oom = f["time_ns"] + 0; exit }
		f["kind"] == "headroom" && f["new"] == 255 && !t_crit { t_crit = f["time_ns"] + 0 }
		function kib_at(t,   line, a, b, k) {
			k = 0
			while ((getline line < plog) > 0) {
				split(line, a, " "); split(a[1], b, "="); if (b[2] + 0 > t) break
				split(a[2], b, "="); k = b[2] + 0
			}
			close(plog)
			return k
		}
		END {
			if (!t_crit || !t_oom) exit
			before = (kib_at(t_crit) - kib_at(t_crit - 2e8)) / 1024 / 0.2
			after = (kib_at(t_oom) - kib_at(t_crit)) / 1024 / ((t_oom - t_crit) / 1e9)
			printf "hog %.0f MiB/s over the 200 ms before the critical event, %.0f MiB/s from it to the OOM", before, after
		}' /tmp/run)
	# The judgement, on the run's records in order.
	awk -v rate="$rate" -v slack="$slack" -v strict="$strict" -v pace="$pace" '
		{ delete f; for (i = 1; i <= NF; i++) { n = index($i, "="); if (n) f[substr($i, 1, n - 1)] = substr($i, n + 1) } }
		f["kind"] == "oom" && !oom { oom = 1; t_oom = f["time_ns"] + 0; next }
		oom { next }
		f["kind"] == "headroom" && !(f["new"] in lead) { lead[f["new"]] = f["time_ns"]; tte[f["new"]] = f["tte_ms"] }
		f["kind"] == "reclaim" && f["phase"] == "onset" && !reclaim { reclaim = f["time_ns"] }
		(f["kind"] == "headroom" || f["kind"] == "pressure") { n_ev++; ev_t[n_ev] = f["time_ns"] + 0; ev_tte[n_ev] = f["tte_ms"]; ev_kind[n_ev] = f["kind"] }
		END {
			if (!oom) { print "no OOM record"; exit 1 }
			# The last event the monitor sent: the OOM path itself reports the min level
			# just before its OOM record, at the same time.
			for (j = n_ev; j >= 1 && ev_t[j] >= t_oom; j--) ;
			if (j >= 1) { last_t = ev_t[j]; last_tte = ev_tte[j]; last_kind = ev_kind[j] }
			line = sprintf("rate %s MiB/s:", rate == 0 ? "max" : rate)
			for (l = 1; l <= 3; l++) {
				lv = l == 1 ? 50 : (l == 2 ? 100 : 255)
				nm = l == 1 ? "low" : (l == 2 ? "medium" : "critical")
				if (lv in lead) line = line sprintf(" %s %.1f ms before,", nm, (t_oom - lead[lv]) / 1e6)
				else line = line sprintf(" %s -,", nm)
			}
			if (reclaim) line = line sprintf(" reclaim onset %.1f ms before,", (t_oom - reclaim) / 1e6)
			left = (t_oom - last_t) / 1e6
			line = line sprintf(" last %s event estimated %s ms, %.1f ms remained", last_kind, last_tte, left)
			print line
			if (!(255 in lead)) { print "no critical headroom event before the OOM"; exit 1 }
			crit_left = (t_oom - lead[255]) / 1e6
			printf "  critical event estimated %s ms, %.1f ms remained; %s\n", tte[255], crit_left, pace
			ct = tte[255] + 0
			cd = ct - crit_left; if (cd < 0) cd = -cd
			# The same slack as for the last event below: the allocator direct-reclaim
			# tries before the OOM call take a few ms no fall rate predicts.
			if (strict && (tte[255] == "unknown" || ((ct > 2 * crit_left || 2 * ct < crit_left) && cd > slack))) {
				print "the critical event estimate is off by more than a factor of 2 and more than " slack " ms"; exit 1
			}
			if (last_t == "" || last_tte == "" || last_tte == "unknown" || last_tte == 18446744073709551615) {
				print "the last pressure event before the OOM has no estimate"; exit 1
			}
			# Within a factor of 2, or within the slack when little time is left: the
			# monitor samples at best once a jiffy (4 ms at HZ=250), and after free memory
			# reaches the min watermarks the allocator still tries direct reclaim before it
			# calls the OOM killer, which takes a few ms that no fall rate predicts.
			lt = last_tte + 0
			d = lt - left; if (d < 0) d = -d
			if (strict && (lt > 2 * left || 2 * lt < left) && d > slack) {
				print "estimate off by more than a factor of 2 and more than " slack " ms"; exit 1
			}
		}' /tmp/run || fail "rate $rate MiB/s: see above"
	# The rate the hog really reached, over its last 64 MiB (TCG cannot do every rate asked).
	awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] } t[NR] = f["time_ns"]; k[NR] = f["kib"] }
		END { for (j = NR; j > 1 && k[NR] - k[j] < 65536; j--) ;
		      if (NR > 1 && t[NR] > t[j]) printf "  hog reached %d KiB, %.0f MiB/s over its last %d MiB\n", k[NR], (k[NR] - k[j]) / 1024 / ((t[NR] - t[j]) / 1e9), (k[NR] - k[j]) / 1024 }' /tmp/plog
done
unload
echo "$pcp_fraction" >/proc/sys/vm/percpu_pagelist_high_fraction
