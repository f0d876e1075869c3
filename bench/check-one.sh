#!/usr/bin/env bash
# Whole-process wall time of checking one local TLS server (issue 8, item
# 4): tls-check-cert against `openssl s_client -connect ... </dev/null` and
# `gnutls-cli --print-cert ... </dev/null`, each verifying the chain
# against testdata/ca.crt and the name localhost, REPS runs each
# (default 20), interleaved, after one warm-up run of each.  Prints the
# medians and tls-check-cert's ratio to each; a run that does not exit 0
# is an error (every tool must have verified).
#
# Usage: bench/check-one.sh [REPS]
#   TK_BUILD: build dir (default build/); SAMPLES_OUT: also append samples
#   (kind one, tool, 1, wall_ms, value) to this TSV, as bench/run.sh does.
# Timing: bash's $EPOCHREALTIME around each command (no extra process), so
# every figure includes the same fork + exec by bash.  Bounded: each
# command under `timeout 10`, REPS at most 200.
set -euo pipefail

BENCH_NAME=check-one
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
REPS=${1:-20}
SAMPLES_OUT=${SAMPLES_OUT:-}

bench_count REPS "$REPS" 1 200
[[ -x $CHECK && -x $SERVER ]] || bench_die "tlskit is not built in $TK_BUILD"
bench_need openssl gnutls-cli

bench_spawn srv "$SERVER" -q -l 127.0.0.1:0 \
    --cert "$TD/localhost-ecdsa-chain.pem" --key "$TD/localhost-ecdsa.key"
bench_ready srv
PORT=$BENCH_PORT

TOOLS=(tls-check-cert openssl gnutls-cli)

# run TOOL: one run, its wall time in µs on stdout
run() {
	local t0 t1 rc=0

	t0=$EPOCHREALTIME
	case $1 in
	tls-check-cert)
		timeout 10 "$CHECK" --ca "$TD/ca.crt" "localhost:$PORT" \
		    </dev/null >/dev/null 2>&1 || rc=$?
		;;
	openssl)
		timeout 10 openssl s_client -connect "localhost:$PORT" \
		    -servername localhost -verify_hostname localhost \
		    -CAfile "$TD/ca.crt" -verify_return_error \
		    </dev/null >/dev/null 2>&1 || rc=$?
		;;
	gnutls-cli)
		timeout 10 gnutls-cli --print-cert --x509cafile "$TD/ca.crt" \
		    -p "$PORT" localhost </dev/null >/dev/null 2>&1 || rc=$?
		;;
	esac
	t1=$EPOCHREALTIME
	((rc == 0)) || bench_die "$1 failed (exit $rc)"
	echo $((${t1/./} - ${t0/./}))
}

for t in "${TOOLS[@]}"; do
	run "$t" >/dev/null # warm-up: page cache, the server's first accept
	: >"$BENCH_DIR/$t.us"
done
for ((r = 1; r <= REPS; r++)); do
	for t in "${TOOLS[@]}"; do
		run "$t" >>"$BENCH_DIR/$t.us"
	done
done

declare -A MED
for t in "${TOOLS[@]}"; do
	MED[$t]=$(bench_median <"$BENCH_DIR/$t.us" |
	    awk '{ printf "%.2f", $1 / 1000 }')
	[[ -z $SAMPLES_OUT ]] ||
	    awk -v t="$t" '{ printf "one\t%s\t1\twall_ms\t%.3f\n", t, $1 / 1000 }' \
	    "$BENCH_DIR/$t.us" >>"$SAMPLES_OUT"
	printf '%-15s %8s ms (median of %d)\n' "$t" "${MED[$t]}" "$REPS"
done
awk -v a="${MED[tls-check-cert]}" -v o="${MED[openssl]}" \
    -v g="${MED[gnutls-cli]}" 'BEGIN {
	f = (o < g ? o : g)
	printf "ratio tls-check-cert / openssl %.2f, / gnutls-cli %.2f, / faster %.2f\n", a / o, a / g, a / f }'
