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

cd "$(dirname "$0")/.."
SRC=$PWD
TK_BUILD=${TK_BUILD:-$SRC/build}
CHECK=$TK_BUILD/tools/tls-check-cert
SERVER=$TK_BUILD/tools/tls-echo-server
TD=$SRC/testdata
REPS=${1:-20}
SAMPLES_OUT=${SAMPLES_OUT:-}

die() {
	echo "check-one: $*" >&2
	exit 1
}

if ! [[ $REPS =~ ^[0-9]+$ ]] || ((REPS < 1 || REPS > 200)); then
	die "REPS must be 1 to 200"
fi
[[ -x $CHECK && -x $SERVER ]] || die "tlskit is not built in $TK_BUILD"
for t in openssl gnutls-cli; do
	command -v "$t" >/dev/null || die "$t is missing"
done

DIR=$(mktemp -d /tmp/check-one.XXXXXX)
SPID=""

gone() {
	local state

	[[ -r /proc/$1/stat ]] || return 0
	state=$(sed 's/^.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null) || return 0
	[[ -z $state || $state == Z || $state == X ]]
}

cleanup() {
	local i

	if [[ -n $SPID ]]; then
		kill -TERM "$SPID" 2>/dev/null || true
		for ((i = 0; i < 100; i++)); do
			gone "$SPID" && break
			sleep 0.05
		done
		wait "$SPID" 2>/dev/null || true
	fi
	rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

: >"$DIR/srv.out"
setsid "$SERVER" -q -l 127.0.0.1:0 --cert "$TD/localhost-ecdsa-chain.pem" \
    --key "$TD/localhost-ecdsa.key" </dev/null >"$DIR/srv.out" \
    2>"$DIR/srv.err" 3>&- &
SPID=$!
PORT=""
for ((i = 0; i < 200; i++)); do
	PORT=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' \
	    "$DIR/srv.out")
	[[ -n $PORT ]] && break
	gone "$SPID" && break
	sleep 0.025
done
[[ -n $PORT ]] || die "tls-echo-server did not start: $(cat "$DIR/srv.err")"

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
	((rc == 0)) || die "$1 failed (exit $rc)"
	echo $((${t1/./} - ${t0/./}))
}

for t in "${TOOLS[@]}"; do
	run "$t" >/dev/null # warm-up: page cache, the server's first accept
	: >"$DIR/$t.us"
done
for ((r = 1; r <= REPS; r++)); do
	for t in "${TOOLS[@]}"; do
		run "$t" >>"$DIR/$t.us"
	done
done

median() {
	sort -n "$1" | awk '{ v[NR] = $1 } END {
		if (NR % 2) m = v[(NR + 1) / 2]
		else m = (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.2f", m / 1000 }'
}

declare -A MED
for t in "${TOOLS[@]}"; do
	MED[$t]=$(median "$DIR/$t.us")
	[[ -z $SAMPLES_OUT ]] ||
	    awk -v t="$t" '{ printf "one\t%s\t1\twall_ms\t%.3f\n", t, $1 / 1000 }' \
	    "$DIR/$t.us" >>"$SAMPLES_OUT"
	printf '%-15s %8s ms (median of %d)\n' "$t" "${MED[$t]}" "$REPS"
done
awk -v a="${MED[tls-check-cert]}" -v o="${MED[openssl]}" \
    -v g="${MED[gnutls-cli]}" 'BEGIN {
	f = (o < g ? o : g)
	printf "ratio tls-check-cert / openssl %.2f, / gnutls-cli %.2f, / faster %.2f\n", a / o, a / g, a / f }'
