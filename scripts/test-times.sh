#!/bin/bash
# Per-test time records: every suite run appends each guest test's wall time (and each suite's)
# to a log in the cache, and the run's summary lists what took more than twice its recorded
# median, so a new stall or a slow regression shows the day it appears. A report, not a test:
# nothing here fails a run.
set -euo pipefail
. "$(dirname "$0")/common.sh"

LOG=${TEST_TIMES_LOG:-$CACHE/test-times.log}
# A test is slow when it took more than FACTOR times its median over the last HISTORY runs
# that have it, with at least MIN_RUNS of them, and at least MIN_EXTRA_S seconds more (a
# 0.1 s test taking 0.3 s is noise, not news).
FACTOR=${FACTOR:-2}
HISTORY=${HISTORY:-20}
MIN_RUNS=${MIN_RUNS:-3}
MIN_EXTRA_S=${MIN_EXTRA_S:-2}

usage() {
	cat <<USAGE
usage: $0 record RUN SUITE CONSOLE_LOG    each guest test's time in the log, from its console
       $0 suite RUN SUITE SECONDS         one suite's wall time
       $0 report RUN                      RUN's tests that took more than ${FACTOR}x their median
Log: $LOG (TEST_TIMES_LOG), one line per test and run:
  RUN DATE SUITE TEST SECONDS VERDICT   (TEST 'suite' for a suite's wall time)
Environment (defaults): FACTOR=$FACTOR HISTORY=$HISTORY MIN_RUNS=$MIN_RUNS MIN_EXTRA_S=$MIN_EXTRA_S
USAGE
}

now() { date -u +%Y-%m-%dT%H:%M:%SZ; }

record() { # record RUN SUITE CONSOLE_LOG
	local run=$1 suite=$2 console=$3
	[ -f "$console" ] || return 0
	mkdir -p "$(dirname "$LOG")"
	# run-tests.sh prints '# NAME: exit RC, SECONDS s' before each test's KTAP line.
	awk -v run="$run" -v date="$(now)" -v suite="$suite" '
		/^# [0-9][0-9]-[A-Za-z0-9_-]+: exit -?[0-9]+, [0-9.]+ s$/ {
			name = substr($2, 1, length($2) - 1); rc = $4; sub(/,$/, "", rc)
			verdict = rc == 0 ? "pass" : rc == 4 ? "skip" : "fail"
			printf "%s %s %s %s %s %s\n", run, date, suite, name, $5, verdict
		}' "$console" >>"$LOG"
}

suite_time() { # suite_time RUN SUITE SECONDS
	mkdir -p "$(dirname "$LOG")"
	echo "$1 $(now) $2 suite $3 -" >>"$LOG"
}

report() { # report RUN
	local run=$1
	[ -f "$LOG" ] || { echo "test times: no log yet ($LOG)"; return 0; }
	awk -v run="$run" -v factor="$FACTOR" -v hist="$HISTORY" -v minruns="$MIN_RUNS" \
		-v extra="$MIN_EXTRA_S" '
		# The log is in time order: the runs before RUN are its history (the last HISTORY
		# samples per suite and test count).
		$1 == run { mine[++m] = $0; seen = 1; next }
		!seen { k = $3 " " $4; n = ++cnt[k]; s[k, n] = $5 }
		END {
			judged = 0; slow = 0
			for (i = 1; i <= m; i++) {
				split(mine[i], f, " "); k = f[3] " " f[4]; t = f[5] + 0
				n = cnt[k]; if (n < minruns) continue
				lo = n > hist ? n - hist + 1 : 1; c = 0
				for (j = lo; j <= n; j++) v[++c] = s[k, j] + 0
				# Insertion sort: at most HISTORY values.
				for (a = 2; a <= c; a++) { x = v[a]; b = a - 1
					while (b >= 1 && v[b] > x) { v[b + 1] = v[b]; b-- } v[b + 1] = x }
				med = c % 2 ? v[(c + 1) / 2] : (v[c / 2] + v[c / 2 + 1]) / 2
				judged++
				if (t > factor * med && t - med >= extra) {
					slow++
					printf "  slow: %-14s %-24s %7.1f s, median %.1f s over the last %d runs (%.1fx)\n",
						f[3], f[4], t, med, c, (med > 0 ? t / med : 0)
				}
			}
			if (judged == 0)
				print "test times: no history yet (a test is judged once it has " minruns " earlier runs)"
			else if (slow == 0)
				printf "test times: none of %d tests with a history took more than %sx its median\n", judged, factor
			else
				printf "test times: %d of %d tests took more than %sx their median (see above)\n", slow, judged, factor
		}' "$LOG"
}

case ${1:-} in
record) [ $# -eq 4 ] || { usage >&2; exit 2; }; record "$2" "$3" "$4" ;;
suite) [ $# -eq 4 ] || { usage >&2; exit 2; }; suite_time "$2" "$3" "$4" ;;
report) [ $# -eq 2 ] || { usage >&2; exit 2; }; report "$2" ;;
-h | --help) usage ;;
*) usage >&2; exit 2 ;;
esac
