#!/usr/bin/env bash
# Wall time of checking N local TLS endpoints (issue 8, item 4; N = 1000 by
# default): tls-check-cert with its default --parallel (one process, one
# event loop) against a sequential loop of `openssl s_client
# -verify_return_error` (one process per target, what a shell script does
# today) and against `xargs -P 32` of the same s_client command.  Same
# servers, same target list, same run; REPS repetitions of each (default
# 5), interleaved; prints the medians and their ratios, and checks that the
# three ways agree on how many targets verify.
#
# Usage: bench/check-many.sh [REPS]
#   TK_BUILD: the build dir (default build/); N: targets (default 1000);
#   XARGS_P: xargs parallelism (default 32); SAMPLES_OUT: also append the
#   samples (kind many, way, N, wall_ms, value) to this TSV (bench/run.sh).
#
# The targets: 6 tls-echo-server processes (port 0, the port read back
# from their ready line), three with the localhost chain and three with an
# expired one, each named as localhost:P and 127.0.0.1:P, repeated to N.
# Bounded: every command runs under `timeout`, REPS is at most 20, and the
# whole run stops after DEADLINE seconds (default 300).
set -euo pipefail

BENCH_NAME=check-many
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
REPS=${1:-5}
N=${N:-1000}
XARGS_P=${XARGS_P:-32}
SAMPLES_OUT=${SAMPLES_OUT:-}
DEADLINE=${DEADLINE:-300}

bench_count REPS "$REPS" 1 20
bench_count N "$N" 1 100000
[[ -x $CHECK && -x $SERVER ]] || bench_die "tlskit is not built in $TK_BUILD"
bench_need openssl

# start_server NAME CHAIN KEY: appends its port to ports.
start_server() {
	bench_spawn "$1" "$SERVER" -q -l 127.0.0.1:0 --cert "$2" --key "$3"
	bench_ready "$1"
	ports+=("$BENCH_PORT")
}

ports=()
for i in 1 2 3; do
	start_server "good$i" "$TD/localhost-rsa-chain.pem" \
	    "$TD/localhost-rsa.key"
	start_server "expired$i" "$TD/expired-chain.pem" "$TD/expired.key"
done
: >"$BENCH_DIR/targets"
while (($(wc -l <"$BENCH_DIR/targets") < N)); do
	for p in "${ports[@]}"; do
		printf 'localhost:%s\n127.0.0.1:%s\n' "$p" "$p" >>"$BENCH_DIR/targets"
	done
done
head -n "$N" "$BENCH_DIR/targets" >"$BENCH_DIR/t" && mv "$BENCH_DIR/t" "$BENCH_DIR/targets"
mapfile -t TARGETS <"$BENCH_DIR/targets"
# the same s_client arguments, one target a line, for xargs -L 1
for t in "${TARGETS[@]}"; do
	if [[ ${t%:*} == localhost ]]; then
		echo "-connect $t -servername localhost -verify_hostname localhost"
	else
		echo "-connect $t -verify_ip ${t%:*}"
	fi
done >"$BENCH_DIR/xargs.in"

# tlskit: prints how many targets verified
tlskit_once() {
	timeout 120 "$CHECK" --ca "$TD/ca.crt" --targets "$BENCH_DIR/targets" \
	    --json 2>/dev/null |
	    grep -c '"verdict":"ok"' || true
}

# openssl: one s_client per target, in turn; prints how many verified
openssl_once() {
	local t host port name ok=0

	for t in "${TARGETS[@]}"; do
		host=${t%:*}
		port=${t##*:}
		if [[ $host == localhost ]]; then
			name=(-servername localhost -verify_hostname localhost)
		else
			name=(-verify_ip "$host")
		fi
		if timeout 20 openssl s_client -connect "$host:$port" \
		    "${name[@]}" -CAfile "$TD/ca.crt" -verify_return_error \
		    -brief </dev/null >/dev/null 2>&1; then
			ok=$((ok + 1))
		fi
	done
	echo "$ok"
}

# xargs -P: the same s_client per target, XARGS_P at once; prints how
# many verified (each s_client writes "Verification: OK" in one write(2),
# atomic on a pipe, but another's unfinished line may precede it: counted
# anywhere on a line; the count is compared with the others)
xargs_once() {
	timeout 120 xargs -P "$XARGS_P" -L 1 timeout 20 openssl s_client \
	    -CAfile "$TD/ca.crt" -verify_return_error -brief \
	    <"$BENCH_DIR/xargs.in" 2>&1 >/dev/null | grep -o 'Verification: OK' |
	    wc -l || true
}

tlskit_once >/dev/null  # warm-up
: >"$BENCH_DIR/tk.times"
: >"$BENCH_DIR/os.times"
: >"$BENCH_DIR/xa.times"
for ((r = 1; r <= REPS; r++)); do
	bench_deadline
	t0=$(bench_now_ns)
	tk_ok=$(tlskit_once)
	t1=$(bench_now_ns)
	os_ok=$(openssl_once)
	t2=$(bench_now_ns)
	xa_ok=$(xargs_once)
	t3=$(bench_now_ns)
	echo $(((t1 - t0) / 1000000)) >>"$BENCH_DIR/tk.times"
	echo $(((t2 - t1) / 1000000)) >>"$BENCH_DIR/os.times"
	echo $(((t3 - t2) / 1000000)) >>"$BENCH_DIR/xa.times"
	[[ $tk_ok == "$os_ok" ]] ||
	    bench_die "run $r: verified: tls-check-cert $tk_ok, openssl loop $os_ok"
	# 32 s_client at once on 2 cores: one may fail where the loop did
	# not; said, not fatal (the time is still that of N attempts)
	[[ $tk_ok == "$xa_ok" ]] ||
	    echo "check-many: run $r: xargs verified $xa_ok, not $tk_ok" >&2
done
tk=$(bench_median <"$BENCH_DIR/tk.times")
os=$(bench_median <"$BENCH_DIR/os.times")
xa=$(bench_median <"$BENCH_DIR/xa.times")
if [[ -n $SAMPLES_OUT ]]; then
	for w in tk:tls-check-cert os:openssl-loop xa:xargs; do
		sed "s/^/many\t${w#*:}\t$N\twall_ms\t/" "$BENCH_DIR/${w%%:*}.times" \
		    >>"$SAMPLES_OUT"
	done
fi
echo "machine: $(nproc) cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)"
echo "targets: $N ($((N / 2)) verify, $((N / 2)) expired; 6 servers)"
printf '%-44s %8s ms (median of %d)\n' \
    "tls-check-cert --targets (default --parallel)" "$tk" "$REPS"
printf '%-44s %8s ms (median of %d)\n' \
    "openssl s_client, one per target, in turn" "$os" "$REPS"
printf '%-44s %8s ms (median of %d)\n' \
    "xargs -P $XARGS_P openssl s_client" "$xa" "$REPS"
awk -v a="$os" -v x="$xa" -v b="$tk" \
    'BEGIN { printf "ratio: %.1fx the loop, %.1fx xargs -P\n", a / b, x / b }'
echo "all three verified $tk_ok of $N"
