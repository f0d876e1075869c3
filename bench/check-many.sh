#!/usr/bin/env bash
# Wall time of checking 300 local TLS endpoints: tls-check-cert with its
# default --parallel (one process, one event loop) against a sequential
# loop of `openssl s_client -verify_return_error` (one process per target,
# what a shell script does today).  Same servers, same target list, same
# run; REPS repetitions of each (default 5), interleaved; prints the
# medians and their ratio, and checks that both ways agree on how many
# targets verify.
#
# Usage: bench/check-many.sh [REPS]     (TK_BUILD: the build dir, default build/)
#
# The targets: 6 tls-echo-server processes (port 0, the port read back
# from their ready line), three with the localhost chain and three with an
# expired one, each named as localhost:P and 127.0.0.1:P, repeated to 300.  Bounded: every command runs under `timeout`, REPS is at most
# 20, and the whole run stops after DEADLINE seconds (default 300).
set -euo pipefail

cd "$(dirname "$0")/.."
SRC=$PWD
TK_BUILD=${TK_BUILD:-$SRC/build}
CHECK=$TK_BUILD/tools/tls-check-cert
SERVER=$TK_BUILD/tools/tls-echo-server
TD=$SRC/testdata
REPS=${1:-5}
N=${N:-300}
DEADLINE=${DEADLINE:-300}
START=$SECONDS

die() {
	echo "check-many: $*" >&2
	exit 1
}

if ! [[ $REPS =~ ^[0-9]+$ ]] || ((REPS < 1 || REPS > 20)); then
	die "REPS must be 1 to 20"
fi
[[ -x $CHECK && -x $SERVER ]] || die "tlskit is not built in $TK_BUILD"
command -v openssl >/dev/null || die "openssl is missing"

DIR=$(mktemp -d /tmp/check-many.XXXXXX)
PIDS=()

gone() {
	local state

	[[ -r /proc/$1/stat ]] || return 0
	state=$(sed 's/^.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null) || return 0
	[[ -z $state || $state == Z || $state == X ]]
}

cleanup() {
	local p i

	for p in "${PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
		for ((i = 0; i < 200; i++)); do
			gone "$p" && break
			sleep 0.025
		done
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_server NAME CHAIN KEY: prints the port
start_server() {
	local i port

	setsid "$SERVER" -q -l 127.0.0.1:0 --cert "$2" --key "$3" \
	    </dev/null >"$DIR/$1.out" 2>"$DIR/$1.err" 3>&- &
	PIDS+=($!)
	for ((i = 0; i < 400; i++)); do
		port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' \
		    "$DIR/$1.out" | head -n 1)
		if [[ -n $port ]]; then
			echo "$port"
			return 0
		fi
		gone "${PIDS[-1]}" && break
		sleep 0.025
	done
	cat "$DIR/$1.err" >&2
	die "tls-echo-server $1 did not start"
}

ports=()
for i in 1 2 3; do
	ports+=("$(start_server "good$i" "$TD/localhost-rsa-chain.pem" \
	    "$TD/localhost-rsa.key")")
	ports+=("$(start_server "expired$i" "$TD/expired-chain.pem" \
	    "$TD/expired.key")")
done
: >"$DIR/targets"
while (($(wc -l <"$DIR/targets") < N)); do
	for p in "${ports[@]}"; do
		printf 'localhost:%s\n127.0.0.1:%s\n' "$p" "$p" >>"$DIR/targets"
	done
done
head -n "$N" "$DIR/targets" >"$DIR/t" && mv "$DIR/t" "$DIR/targets"
mapfile -t TARGETS <"$DIR/targets"

now_ns() {
	date +%s%N
}

median() {
	sort -n | awk '{ v[NR] = $1 } END {
		if (NR % 2) print v[(NR + 1) / 2]
		else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# tlskit: prints how many targets verified
tlskit_once() {
	timeout 120 "$CHECK" --ca "$TD/ca.crt" --targets "$DIR/targets" \
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

tlskit_once >/dev/null  # warm-up
: >"$DIR/tk.times"
: >"$DIR/os.times"
for ((r = 1; r <= REPS; r++)); do
	((SECONDS - START < DEADLINE)) || die "deadline of $DEADLINE s reached"
	t0=$(now_ns)
	tk_ok=$(tlskit_once)
	t1=$(now_ns)
	os_ok=$(openssl_once)
	t2=$(now_ns)
	echo $(((t1 - t0) / 1000000)) >>"$DIR/tk.times"
	echo $(((t2 - t1) / 1000000)) >>"$DIR/os.times"
	[[ $tk_ok == "$os_ok" ]] ||
	    die "run $r: tls-check-cert verified $tk_ok targets, openssl $os_ok"
done
tk=$(median <"$DIR/tk.times")
os=$(median <"$DIR/os.times")
echo "machine: $(nproc) cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)"
echo "targets: $N ($((N / 2)) verify, $((N / 2)) expired; 6 servers)"
printf '%-44s %8s ms (median of %d)\n' \
    "tls-check-cert --targets (default --parallel)" "$tk" "$REPS"
printf '%-44s %8s ms (median of %d)\n' \
    "openssl s_client, one per target, in turn" "$os" "$REPS"
awk -v a="$os" -v b="$tk" 'BEGIN { printf "ratio: %.1fx\n", a / b }'
echo "both verified $tk_ok of $N"
