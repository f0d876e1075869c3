#!/usr/bin/env bash
# Memory and rate of tls-check-cert over many targets (issue 13, item 2):
# N targets that all refuse (127.0.0.1 on a port found closed), one per
# line in a --targets file, checked with the default --parallel.  Reports
# the peak RSS (/usr/bin/time -v, "Maximum resident set size") and the
# targets per second of each run, and the median of REPS runs (default 3).
# N is 50000 and 1000000 by default; the 1000000 run happens only when the
# 50000 run's rate says it ends within 3 minutes.
#
# Usage: bench/many-targets.sh [REPS] [N ...]
#   TK_CHECK: the tls-check-cert to measure (default build/tools/...)
#   SAMPLES_OUT: also append the samples (kind targets, N, rss_kib,
#   targets_per_s) to this TSV (bench/run.sh's format).
# Bounded: every run is under `timeout` (600 s), REPS is at most 9.
set -euo pipefail

BENCH_NAME=many-targets
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
CHECK=${TK_CHECK:-$CHECK}
REPS=${1:-3}
shift || true
SIZES=("$@")
((${#SIZES[@]} > 0)) || SIZES=(50000 1000000)
SAMPLES_OUT=${SAMPLES_OUT:-}
LIMIT_S=180

bench_count REPS "$REPS" 1 9
[[ -x $CHECK ]] || bench_die "no tls-check-cert at $CHECK"
[[ -x /usr/bin/time ]] || bench_die "/usr/bin/time (GNU time) is missing"
DIR=$BENCH_DIR

# a port nobody listens on: bound then closed, checked refused with bash
PORT=
for ((i = 0; i < 50; i++)); do
	p=$((20000 + RANDOM % 20000))
	if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
		PORT=$p
		break
	fi
done
[[ -n $PORT ]] || bench_die "no closed port found on 127.0.0.1"

# run_once N: prints "rss_kib targets_per_s"
run_once() {
	local n=$1 t0 t1 rc lines

	t0=$(bench_now_ns)
	rc=0
	timeout 600 /usr/bin/time -v -o "$DIR/time" "$CHECK" --json \
	    --targets "$DIR/targets.$n" >"$DIR/out" 2>/dev/null || rc=$?
	t1=$(bench_now_ns)
	# every target is refused: exit 3, one line each
	((rc == 3)) || bench_die "N=$n: exit $rc, not 3"
	lines=$(wc -l <"$DIR/out")
	((lines == n)) || bench_die "N=$n: $lines results, not $n"
	awk -v n="$n" -v ns=$((t1 - t0)) '
	    /Maximum resident set size/ { rss = $NF }
	    END { printf "%d %.0f\n", rss, n / (ns / 1e9) }' "$DIR/time"
}

echo "machine: $(nproc) cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)"
echo "tool: $CHECK"
echo "targets: 127.0.0.1:$PORT (refused), default --parallel, --json"
printf '%-9s %14s %14s  (median of %d)\n' N "peak RSS MiB" "targets/s" \
    "$REPS"
rate=0
for n in "${SIZES[@]}"; do
	if ((n > 50000 && rate > 0 && n / rate > LIMIT_S)); then
		echo "N=$n skipped: about $((n / rate)) s at $rate targets/s"
		continue
	fi
	seq "$n" | sed "s/.*/127.0.0.1:$PORT/" >"$DIR/targets.$n"
	: >"$DIR/rss"
	: >"$DIR/rate"
	for ((r = 1; r <= REPS; r++)); do
		run_once "$n" >"$DIR/once"
		read -r rss tps <"$DIR/once"
		echo "$rss" >>"$DIR/rss"
		echo "$tps" >>"$DIR/rate"
		if [[ -n $SAMPLES_OUT ]]; then
			printf 'targets\t%s\trss_kib\t%s\n' "$n" "$rss" \
			    >>"$SAMPLES_OUT"
			printf 'targets\t%s\ttargets_per_s\t%s\n' "$n" "$tps" \
			    >>"$SAMPLES_OUT"
		fi
	done
	rss=$(bench_median <"$DIR/rss")
	rate=$(bench_median <"$DIR/rate")
	rate=${rate%.*}
	printf '%-9s %14.1f %14s\n' "$n" "$(awk -v k="$rss" \
	    'BEGIN { print k / 1024 }')" "$rate"
	rm -f "$DIR/targets.$n"
done
