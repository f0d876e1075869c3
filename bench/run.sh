#!/usr/bin/env bash
# The tlskit benchmark: builds tlskit optimised (build-bench, release),
# starts each server on loopback, drives load with tls-echo-client's load
# generator (--connections/--duration) and openssl s_time, and prints a
# table of medians over REPS runs with tlskit's ratio to each peer, all
# measured in the same run, interleaved (rep 1 of every cell, then rep 2,
# ...), so that a noisy machine hurts every server alike.
#
#   - full TLS 1.3 handshakes/s, ECDSA P-256 certificate + x25519, at
#     concurrency 1, 16 and 256: tls-echo-server (--workers 1 and auto) vs
#     gnutls-serv vs openssl s_server; with each server's own CPU time per
#     handshake (from /proc/PID/stat, workers included) and the load
#     generator's CPU share (to show whether it is the bottleneck);
#   - the crypto bound: gnutls-cli --benchmark-tls-kx, same key exchange
#     and signature (client and server in one process);
#   - echo throughput, 16 KiB blocks, 1 and 64 connections: tls-echo-server
#     vs gnutls-serv --echo vs a 20-line Twisted echo server
#     (bench/twisted-echo.py); and the AES-128-GCM bound from
#     gnutls-cli --benchmark-ciphers;
#   - openssl s_time -new (one connection at a time) against each server,
#     as a load generator that is not tlskit's;
#   - 10 000 idle TLS connections held at once, RSS per connection:
#     tls-echo-server vs gnutls-serv (bench/idle.sh);
#   - tls-check-cert against one local server, whole-process wall time, vs
#     openssl s_client and gnutls-cli --print-cert (bench/check-one.sh);
#   - 1000 targets: tls-check-cert --targets vs a sequential openssl
#     s_client loop and xargs -P 32 of it (bench/check-many.sh);
#   - the goals of issue 8, item 6, each with its measured ratio.
#
# Usage: bench/run.sh [--quick] [--reps N] [--secs S] [--no-build]
#                     [--no-install]
#   --quick: 1 rep of 1 s, no kx or cipher benchmark, 500 idle connections,
#   5 single checks, 100 targets (under a minute)
#   default: 4 reps of 2 s (handshakes), 1.5 s (echo), 1 s (s_time), 10 000
#   idle connections, 20 single checks, 3 reps of 1000 targets; about 7.5
#   minutes.  Output: the table on stdout and in bench/out/results.md,
#   the raw samples in bench/out/samples.tsv, the plot in bench/out/bench.png
#   (when gnuplot is installed).
#   --no-install: do not apt-get install the bench's own tools
#   (python3-twisted, python3-openssl, gnuplot-nox; never in scripts/deps.sh:
#   the bench is not part of CI); without Twisted its column stays empty.
#
# Bounded: every command runs under `timeout`, REPS is at most 20, and the
# run stops after DEADLINE seconds (default 480).  Servers are stopped by
# their PIDs on exit.
set -euo pipefail

BENCH_NAME=bench
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
BUILD=${TK_BENCH_BUILD:-$SRC/build-bench}
OUT=$SRC/bench/out
QUICK=0
REPS=4
HS_SECS=2
ECHO_SECS=1.5
STIME_SECS=1
BUILD_IT=1
DEADLINE=${DEADLINE:-480}
PRIO='NORMAL:-GROUP-ALL:+GROUP-X25519'
# echo: AES-128-GCM for every server (the OpenSSL- and GnuTLS-based servers
# would otherwise pick AES-256-GCM or not alike), the cipher of the bound
ECHO_PRIO="$PRIO:-CIPHER-ALL:+AES-128-GCM"
CONCS=(1 16 256)
ECHO_CONNS=(1 64)
INSTALL=1
IDLE_N=10000
ONE_REPS=20
MANY_N=1000
MANY_REPS=3

while (($#)); do
	case $1 in
	--quick)
		QUICK=1 REPS=1 HS_SECS=1 ECHO_SECS=1
		IDLE_N=500 ONE_REPS=5 MANY_N=100 MANY_REPS=1
		;;
	--reps) REPS=${2:-}; shift ;;
	--secs) HS_SECS=${2:-}; ECHO_SECS=${2:-}; shift ;;
	--no-build) BUILD_IT=0 ;;
	--no-install) INSTALL=0 ;;
	-h | --help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) bench_die "unknown argument '$1' (see --help)" ;;
	esac
	shift
done
bench_count --reps "$REPS" 1 20
[[ $HS_SECS =~ ^[0-9]+(\.[0-9]+)?$ ]] || bench_die "--secs takes seconds"
bench_need gnutls-serv gnutls-cli openssl python3 timeout jq xargs

# The bench's own tools, installed here only (idempotent: nothing is done
# when they are present).  Debian's python3-twisted imports only under
# /usr/bin/python3 (python3 on PATH may be another interpreter).
TWISTED_PY=/usr/bin/python3
have_twisted() {
	"$TWISTED_PY" -c 'import twisted.internet.ssl, OpenSSL' 2>/dev/null
}
if ((INSTALL)) && { ! have_twisted || ! command -v gnuplot >/dev/null; }; then
	if ((EUID == 0)) && command -v apt-get >/dev/null; then
		echo "bench: apt-get install python3-twisted python3-openssl gnuplot-nox" >&2
		DEBIAN_FRONTEND=noninteractive timeout 300 apt-get install -y -q \
		    --no-install-recommends --no-upgrade python3-twisted \
		    python3-openssl gnuplot-nox >/dev/null ||
		    echo "bench: apt-get install failed; going on without" >&2
	else
		echo "bench: not root: install python3-twisted and gnuplot-nox yourself" >&2
	fi
fi

if ((BUILD_IT)); then
	if [[ ! -f $BUILD/build.ninja ]]; then
		meson setup "$BUILD" --buildtype=release >/dev/null ||
		    bench_die "meson setup $BUILD failed"
	fi
	ninja -C "$BUILD" tools/tls-echo-server tools/tls-echo-client \
	    tools/tls-check-cert >/dev/null || bench_die "build failed"
fi
SERVER=$BUILD/tools/tls-echo-server
CLIENT=$BUILD/tools/tls-echo-client
[[ -x $SERVER && -x $CLIENT ]] || bench_die "tlskit is not built in $BUILD"

mkdir -p "$OUT"
DIR=$BENCH_DIR
SAMPLES=$OUT/samples.tsv
BENCH_PARTIAL="partial samples in $SAMPLES"
: >"$SAMPLES"
declare -A PID PORT
CLK=$(getconf CLK_TCK)

# wait_port NAME: poll (at most 10 s) until server NAME accepts on its port.
wait_port() {
	local name=$1 i

	for ((i = 0; i < 200; i++)); do
		bench_gone "${PID[$name]}" && bench_die "server $name exited: $(cat "$DIR/$name.err")"
		if timeout 1 bash -c ": </dev/tcp/127.0.0.1/${PORT[$name]}" \
		    2>/dev/null; then
			return 0
		fi
		sleep 0.05
	done
	bench_die "server $name does not listen"
}

# spawn NAME CMD...: a server in its own session, its output in DIR.
spawn() {
	bench_spawn "$@"
	PID[$1]=$BENCH_PID
}

start_tlskit() {
	local name=$1 workers=$2

	spawn "$name" "$SERVER" -q --workers "$workers" --listen 127.0.0.1:0 \
	    --max-connections 100000 --cert "$TD/localhost-ecdsa-chain.pem" \
	    --key "$TD/localhost-ecdsa.key"
	bench_ready "$name"
	PORT[$name]=$BENCH_PORT
}

start_gnutls() {
	PORT[gnutls-serv]=$(bench_free_port)
	# no session tickets, like the others: a full handshake each time
	spawn gnutls-serv gnutls-serv --echo -q --noticket \
	    -p "${PORT[gnutls-serv]}" \
	    --x509certfile "$TD/localhost-ecdsa-chain.pem" \
	    --x509keyfile "$TD/localhost-ecdsa.key"
	wait_port gnutls-serv
}

start_twisted() {
	spawn twisted "$TWISTED_PY" "$SRC/bench/twisted-echo.py" \
	    "$TD/localhost-ecdsa.crt" "$TD/intermediate.crt" \
	    "$TD/localhost-ecdsa.key"
	bench_ready twisted
	PORT[twisted]=$BENCH_PORT
}

start_openssl() {
	PORT[s_server]=$(bench_free_port)
	spawn s_server openssl s_server -quiet -naccept 100000000 \
	    -accept "127.0.0.1:${PORT[s_server]}" -num_tickets 0 \
	    -cert "$TD/localhost-ecdsa.crt" -key "$TD/localhost-ecdsa.key" \
	    -cert_chain "$TD/intermediate.crt"
	wait_port s_server
}

# ticks NAME: CPU clock ticks (user + system) of server NAME and its
# worker processes, from /proc/PID/stat.
ticks() {
	local p=${PID[$1]} kids k total=0 f

	kids=$(cat "/proc/$p/task/$p/children" 2>/dev/null || true)
	for k in $p $kids; do
		f=$(sed 's/^.*) //' "/proc/$k/stat" 2>/dev/null) || continue
		# fields 14 and 15 of stat are the 12th and 13th after "comm)"
		total=$((total + $(awk '{ print $12 + $13 }' <<<"$f")))
	done
	echo "$total"
}

# sample KIND SERVER PARAM METRIC VALUE
sample() {
	printf '%s\t%s\t%s\t%s\t%s\n' "$@" >>"$SAMPLES"
}

# load_run KIND NAME CONC SECS [ARGS...]: one run of tls-echo-client's load
# generator against server NAME; records the rate, the server's CPU per
# operation and the generator's CPU share.
load_run() {
	local kind=$1 name=$2 conc=$3 secs=$4 t0 t1 json u s r rate ops
	local cpu_us gen prio=$PRIO

	[[ $kind == echo ]] && prio=$ECHO_PRIO
	shift 4
	bench_deadline
	t0=$(ticks "$name")
	{
		TIMEFORMAT='%U %S %R'
		time timeout 60 "$CLIENT" -q --json --ca "$TD/ca.crt" \
		    --hostname localhost --priority "$prio" \
		    --connections "$conc" --duration "$secs" "$@" \
		    "127.0.0.1:${PORT[$name]}" >"$DIR/run.json" 2>"$DIR/run.err"
	} 2>"$DIR/time" || true
	t1=$(ticks "$name")
	json=$(cat "$DIR/run.json")
	if ! jq -e '.load' >/dev/null 2>&1 <<<"$json"; then
		echo "bench: $kind $name c=$conc failed: $(cat "$DIR/run.err")" >&2
		return 0
	fi
	read -r u s r <"$DIR/time"
	gen=$(awk -v u="$u" -v s="$s" -v r="$r" \
	    'BEGIN { printf "%.0f", (r > 0 ? 100 * (u + s) / r : 0) }')
	if [[ $kind == hs ]]; then
		rate=$(jq '.load.handshakes_per_s' <<<"$json")
		ops=$(jq '.load.handshakes' <<<"$json")
	else
		rate=$(jq '.load.mbps' <<<"$json")
		ops=$(jq '.load.count' <<<"$json")
	fi
	cpu_us=$(awk -v t=$((t1 - t0)) -v k="$CLK" -v n="$ops" \
	    'BEGIN { printf "%.1f", (n > 0 ? t / k * 1e6 / n : 0) }')
	sample "$kind" "$name" "$conc" rate "$rate"
	sample "$kind" "$name" "$conc" cpu_us "$cpu_us"
	sample "$kind" "$name" "$conc" gen_cpu "$gen"
	sample "$kind" "$name" "$conc" errors "$(jq '.load.errors' <<<"$json")"
}

# stime_run NAME: openssl s_time -new against server NAME.
stime_run() {
	local name=$1 t0 t1 n u s r rate cpu_us

	bench_deadline
	t0=$(ticks "$name")
	{
		TIMEFORMAT='%U %S %R'
		time timeout 30 openssl s_time -new -connect \
		    "127.0.0.1:${PORT[$name]}" -time "$STIME_SECS" \
		    >"$DIR/stime.out" 2>&1
	} 2>"$DIR/time" || true
	t1=$(ticks "$name")
	n=$(sed -n 's/^\([0-9]*\) connections in .* real seconds.*/\1/p' \
	    "$DIR/stime.out")
	[[ -n $n ]] || { echo "bench: s_time $name failed" >&2; return 0; }
	read -r u s r <"$DIR/time"
	rate=$(awk -v n="$n" -v r="$r" 'BEGIN { printf "%.1f", n / r }')
	cpu_us=$(awk -v t=$((t1 - t0)) -v k="$CLK" -v n="$n" \
	    'BEGIN { printf "%.1f", (n > 0 ? t / k * 1e6 / n : 0) }')
	sample stime "$name" 1 rate "$rate"
	sample stime "$name" 1 cpu_us "$cpu_us"
	sample stime "$name" 1 gen_cpu "$(awk -v u="$u" -v s="$s" -v r="$r" \
	    'BEGIN { printf "%.0f", 100 * (u + s) / r }')"
}

# kx_bound FILE: handshakes/s of gnutls-cli --benchmark-tls-kx for
# (TLS1.3)-(ECDHE-X25519)-(ECDSA-SECP256R1-SHA256); stopped (by its PID)
# once that result is complete, i.e. the next key exchange began: the
# rest of its list (FFDHE, RSA, GOST) would take another minute.
kx_bound() {
	local f=$1 p i v

	timeout 180 gnutls-cli --benchmark-tls-kx >"$f" 2>&1 &
	p=$!
	for ((i = 0; i < 1800; i++)); do
		awk 'f && /^\(/ { n = 1; exit }
		    index($0, "(TLS1.3)-(ECDHE-X25519)-(ECDSA-SECP256R1-SHA256)") {
			    f = 1 }
		    END { exit !n }' "$f" && break
		bench_gone "$p" && break
		sleep 0.1
	done
	kill -TERM "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
	v=$(awk '/\(TLS1.3\)-\(ECDHE-X25519\)-\(ECDSA-SECP256R1-SHA256\)/ {
		    getline; print $2; exit }' "$f")
	echo "${v:--}"
}

# aes_bound FILE: AES-128-GCM encryption speed of `gnutls-cli
# --benchmark-ciphers` (16 KiB payloads, one core) in MB/s (10^6 bytes).
# It benchmarks AES-128-GCM first and then a dozen more: it is stopped (by
# its PID) once the AES-128-GCM line is complete, i.e. the next one began.
aes_bound() {
	local f=$1 p i v="-"

	timeout 120 gnutls-cli --benchmark-ciphers >"$f" 2>&1 &
	p=$!
	for ((i = 0; i < 300; i++)); do
		grep -q 'AES-128-CCM' "$f" && break
		bench_gone "$p" && break
		sleep 0.1
	done
	kill -TERM "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
	# "AES-128-GCM 1.23 GB/sec": GnuTLS's units are powers of 1024
	v=$(awk '$1 == "AES-128-GCM" && $3 ~ /B\/sec$/ {
		m = ($3 ~ /^GB/ ? 1073741824 : $3 ~ /^MB/ ? 1048576 : \
		    $3 ~ /^KB/ ? 1024 : 1)
		printf "%.0f", $2 * m / 1e6; exit }' "$f")
	echo "${v:--}"
}

# median KIND SERVER PARAM METRIC
median() {
	awk -F'\t' -v k="$1" -v n="$2" -v p="$3" -v m="$4" \
	    '$1 == k && $2 == n && $3 == p && $4 == m { print $5 }' "$SAMPLES" |
	    bench_median
}

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a == "-" || b == "-" || b == 0) print "-"
		else printf "%.2f", a / b }'
}

fmt() {
	awk -v v="$1" -v f="$2" 'BEGIN { if (v == "-") print "-"; else printf f, v }'
}

# --- run -------------------------------------------------------------------

NPROC=$(nproc)
CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
echo "bench: $NPROC cores, $CPU; $REPS rep(s); servers starting" >&2
start_tlskit tlskit-w1 1
start_tlskit tlskit-auto auto
start_gnutls
start_openssl
HS_SERVERS=(tlskit-w1 tlskit-auto gnutls-serv s_server)
ECHO_SERVERS=(tlskit-w1 tlskit-auto gnutls-serv)
if have_twisted; then
	start_twisted
	ECHO_SERVERS+=(twisted)
else
	echo "bench: no Twisted under $TWISTED_PY: its column stays empty" >&2
fi

KX="-"
AES="-"
if ((!QUICK)); then
	echo "bench: crypto bound (gnutls-cli --benchmark-tls-kx, ~1 min)" >&2
	KX=$(kx_bound "$DIR/kx.out")
	echo "bench: AES-128-GCM bound (gnutls-cli --benchmark-ciphers)" >&2
	timeout 180 gnutls-cli --benchmark-ciphers >"$DIR/ciphers.out" 2>&1 ||
	    true
	AES=$(aes_bound "$DIR/ciphers.out")
fi

for ((rep = 1; rep <= REPS; rep++)); do
	echo "bench: rep $rep/$REPS ($((SECONDS - START)) s)" >&2
	for conc in "${CONCS[@]}"; do
		for name in "${HS_SERVERS[@]}"; do
			load_run hs "$name" "$conc" "$HS_SECS" --handshake-only
		done
	done
	for conns in "${ECHO_CONNS[@]}"; do
		for name in "${ECHO_SERVERS[@]}"; do
			load_run echo "$name" "$conns" "$ECHO_SECS" --size 16384
		done
	done
	for name in tlskit-auto gnutls-serv s_server; do
		stime_run "$name"
	done
done

# --- idle connections, one target, many targets ------------------------------

# sub NAME ARGS...: a sibling script, its samples into SAMPLES, bounded by
# what is left of DEADLINE
sub() {
	local left=$((DEADLINE - (SECONDS - START))) script=$1

	shift
	((left > 10)) || { echo "bench: no time left for $script" >&2; return 0; }
	echo "bench: $script $* ($((SECONDS - START)) s)" >&2
	TK_BUILD=$BUILD SAMPLES_OUT=$SAMPLES DEADLINE=$left N=$MANY_N \
	    timeout "$left" "$SRC/bench/$script" "$@" >&2 ||
	    echo "bench: bench/$script failed" >&2
}
sub idle.sh "$IDLE_N"
sub check-one.sh "$ONE_REPS"
sub check-many.sh "$MANY_REPS"

# --- report ----------------------------------------------------------------

report_idle() {
	local tk gs

	echo "Idle TLS connections held at once (bench/idle.sh: bench/hold.py opens $IDLE_N TLS 1.3 connections, 64 handshakes in flight, and holds them; VmRSS from /proc/PID/status before and while held):"
	echo
	echo "| server | attempted | held at once | server after the ramp | VmRSS KiB per connection (at N held) |"
	echo "| --- | ---: | ---: | --- | ---: |"
	for name in tlskit gnutls-serv; do
		printf '| %s | %s | %s | %s | %s (%s) |\n' \
		    "$([[ $name == tlskit ]] && echo "tls-echo-server --workers 1" || echo "gnutls-serv --echo")" \
		    "$IDLE_N" "$(median idle "$name" "$IDLE_N" held)" \
		    "$(case $(median idle "$name" "$IDLE_N" alive) in 1) echo alive ;; 0) echo died ;; *) echo - ;; esac)" \
		    "$(median idle "$name" "$IDLE_N" rss_kib_per_conn)" \
		    "$(median idle "$name" "$IDLE_N" rss_at)"
	done
	tk=$(median idle tlskit "$IDLE_N" rss_kib_per_conn)
	gs=$(median idle gnutls-serv "$IDLE_N" rss_kib_per_conn)
	echo
	echo "RSS per connection, tlskit / gnutls-serv: $(ratio "$tk" "$gs")."
	echo
}

report_one() {
	local tk os gc

	tk=$(median one tls-check-cert 1 wall_ms)
	os=$(median one openssl 1 wall_ms)
	gc=$(median one gnutls-cli 1 wall_ms)
	echo "One target, whole-process wall time, verified against the test CA and the name localhost (bench/check-one.sh, median of $ONE_REPS, interleaved):"
	echo
	echo "| tool | wall ms | tls-check-cert / tool |"
	echo "| --- | ---: | ---: |"
	printf '| tls-check-cert --ca CA localhost:P | %s | 1.00 |\n' "$(fmt "$tk" '%.1f')"
	printf '| openssl s_client -connect localhost:P ... </dev/null | %s | %s |\n' \
	    "$(fmt "$os" '%.1f')" "$(ratio "$tk" "$os")"
	printf '| gnutls-cli --print-cert ... </dev/null | %s | %s |\n' \
	    "$(fmt "$gc" '%.1f')" "$(ratio "$tk" "$gc")"
	echo
}

report_many() {
	local tk os xa

	tk=$(median many tls-check-cert "$MANY_N" wall_ms)
	os=$(median many openssl-loop "$MANY_N" wall_ms)
	xa=$(median many xargs "$MANY_N" wall_ms)
	echo "$MANY_N targets, 6 local servers on 6 ports, each as localhost:P and 127.0.0.1:P, half of them expired (bench/check-many.sh, median of $MANY_REPS):"
	echo
	echo "| way | wall ms | speed-up of tls-check-cert |"
	echo "| --- | ---: | ---: |"
	printf '| tls-check-cert --targets FILE (default --parallel 64) | %s | 1.0 |\n' "$(fmt "$tk" '%.0f')"
	printf '| openssl s_client, one per target, in turn | %s | %s |\n' \
	    "$(fmt "$os" '%.0f')" "$(ratio "$os" "$tk")"
	printf '| xargs -P 32 openssl s_client | %s | %s |\n' \
	    "$(fmt "$xa" '%.0f')" "$(ratio "$xa" "$tk")"
	echo
}

# goal TEXT VALUE OP LIMIT: one row of the goals table
goal() {
	local met

	met=$(awk -v v="$2" -v op="$3" -v l="$4" 'BEGIN {
		if (v == "-" || v == "") { print "not measured"; exit }
		ok = (op == "<=" ? v <= l : v >= l)
		print (ok ? "**met**" : "not met") }')
	printf '| %s | %s | %s %s | %s |\n' "$1" "$2" "$3" "$4" "$met"
}

report_goals() {
	local c=256 w1 gs au hs_au hs_gs tw fast one held rss tk

	w1=$(median hs tlskit-w1 "$c" cpu_us)
	au=$(median hs tlskit-auto "$c" cpu_us)
	gs=$(median hs gnutls-serv "$c" cpu_us)
	hs_au=$(median hs tlskit-auto "$c" rate)
	hs_gs=$(median hs gnutls-serv "$c" rate)
	echo "Goals of issue 8, item 6, as measured in this run:"
	echo
	echo "| goal | measured | goal | |"
	echo "| --- | ---: | ---: | --- |"
	goal "server CPU per full handshake, tlskit w1 / gnutls-serv (C=256)" \
	    "$(ratio "$w1" "$gs")" "<=" 0.7
	goal "server CPU per full handshake, tlskit auto / gnutls-serv (C=256)" \
	    "$(ratio "$au" "$gs")" "<=" 0.7
	if [[ $KX != - ]]; then
		goal "server CPU per handshake (w1, C=256) / one kx-benchmark handshake (client + server: a loose bound)" \
		    "$(awk -v u="$w1" -v k="$KX" 'BEGIN { if (u == "-") print "-"; else printf "%.2f", u / (1e6 / k) }')" "<=" 1.25
	fi
	goal "handshakes/s, --workers auto / gnutls-serv (C=256)" \
	    "$(ratio "$hs_au" "$hs_gs")" ">=" 1.5
	for conns in "${ECHO_CONNS[@]}"; do
		w1=$(median echo tlskit-w1 "$conns" rate)
		goal "echo MB/s, tlskit w1 / gnutls-serv --echo (C=$conns)" \
		    "$(ratio "$w1" "$(median echo gnutls-serv "$conns" rate)")" ">=" 2
		tw=$(median echo twisted "$conns" rate)
		goal "echo MB/s, tlskit w1 / Twisted (C=$conns)" \
		    "$(ratio "$w1" "$tw")" ">=" 1.5
	done
	held=$(median idle tlskit "$IDLE_N" held)
	goal "idle connections held at once by tls-echo-server (of $IDLE_N)" \
	    "$held" ">=" "$IDLE_N"
	rss=$(median idle tlskit "$IDLE_N" rss_kib_per_conn)
	goal "VmRSS KiB per idle connection, tls-echo-server" "$rss" "<=" 20
	one=$(median one tls-check-cert 1 wall_ms)
	fast=$(awk -v a="$(median one openssl 1 wall_ms)" \
	    -v b="$(median one gnutls-cli 1 wall_ms)" 'BEGIN {
		if (a == "-" || b == "-") print "-"; else print (a < b ? a : b) }')
	goal "one target: tls-check-cert / the faster of s_client and gnutls-cli" \
	    "$(ratio "$one" "$fast")" "<=" 0.8
	tk=$(median many tls-check-cert "$MANY_N" wall_ms)
	goal "$MANY_N targets: speed-up over the sequential s_client loop" \
	    "$(ratio "$(median many openssl-loop "$MANY_N" wall_ms)" "$tk")" ">=" 20
	goal "$MANY_N targets: speed-up over xargs -P 32" \
	    "$(ratio "$(median many xargs "$MANY_N" wall_ms)" "$tk")" ">=" 1.5
	echo
}

{
	echo "Machine: $NPROC cores, $CPU; $(uname -sr); $(date -u +%Y-%m-%d)."
	echo "Medians of $REPS run(s); ratios are tlskit's figure over the peer's, measured in the same run."
	echo
	echo "Full TLS 1.3 handshakes/s (ECDSA P-256, x25519), tls-echo-client --connections C --handshake-only:"
	echo
	echo "| C | tlskit w1 | tlskit auto | gnutls-serv | s_server | auto/gnutls-serv | auto/s_server | w1/gnutls-serv | server CPU µs/hs: w1, auto, gnutls-serv, s_server | generator CPU % (auto) |"
	echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |"
	for conc in "${CONCS[@]}"; do
		w1=$(median hs tlskit-w1 "$conc" rate)
		au=$(median hs tlskit-auto "$conc" rate)
		gs=$(median hs gnutls-serv "$conc" rate)
		os=$(median hs s_server "$conc" rate)
		cpu=""
		for name in "${HS_SERVERS[@]}"; do
			cpu+="$(fmt "$(median hs "$name" "$conc" cpu_us)" '%.0f'), "
		done
		printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' \
		    "$conc" "$(fmt "$w1" '%.0f')" "$(fmt "$au" '%.0f')" \
		    "$(fmt "$gs" '%.0f')" "$(fmt "$os" '%.0f')" \
		    "$(ratio "$au" "$gs")" "$(ratio "$au" "$os")" \
		    "$(ratio "$w1" "$gs")" "${cpu%, }" \
		    "$(median hs tlskit-auto "$conc" gen_cpu)"
	done
	echo
	echo "Crypto bound, gnutls-cli --benchmark-tls-kx, (TLS1.3)-(ECDHE-X25519)-(ECDSA-SECP256R1-SHA256), client and server in one process: $KX handshakes/s (one core)."
	echo
	echo "Echo, 16 KiB blocks, one outstanding per connection, AES-128-GCM, MB/s (one way), tls-echo-client --connections C --size 16384:"
	echo
	echo "| C | tlskit w1 | tlskit auto | gnutls-serv --echo | Twisted | w1/gnutls-serv | auto/gnutls-serv | w1/Twisted | auto/Twisted | server CPU µs per 16 KiB echoed: w1, auto, gnutls-serv, Twisted | generator CPU % (w1) |"
	echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |"
	for conns in "${ECHO_CONNS[@]}"; do
		w1=$(median echo tlskit-w1 "$conns" rate)
		au=$(median echo tlskit-auto "$conns" rate)
		gs=$(median echo gnutls-serv "$conns" rate)
		tw=$(median echo twisted "$conns" rate)
		cpu=""
		for name in tlskit-w1 tlskit-auto gnutls-serv twisted; do
			cpu+="$(fmt "$(median echo "$name" "$conns" cpu_us)" '%.1f'), "
		done
		printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' \
		    "$conns" "$(fmt "$w1" '%.0f')" "$(fmt "$au" '%.0f')" \
		    "$(fmt "$gs" '%.0f')" "$(fmt "$tw" '%.0f')" \
		    "$(ratio "$w1" "$gs")" "$(ratio "$au" "$gs")" \
		    "$(ratio "$w1" "$tw")" "$(ratio "$au" "$tw")" "${cpu%, }" \
		    "$(median echo tlskit-w1 "$conns" gen_cpu)"
	done
	echo
	if [[ $AES != - ]]; then
		awk -v a="$AES" -v n="$NPROC" 'BEGIN {
			printf "AES-128-GCM bound, gnutls-cli --benchmark-ciphers (16 KiB, one core): %.0f MB/s.  ", a
			printf "A 16 KiB block echoed costs the server one decryption and one encryption: at least %.1f µs of server CPU per block; ", 2 * 16384 / a
			printf "the whole echo (4 passes per byte, client and server) on %d cores: at most %.0f MB/s one way.\n", n, a * n / 4 }'
	else
		echo "AES-128-GCM bound: not measured (--quick)."
	fi
	echo
	echo "Cross-check with another generator: openssl s_time -new (one connection at a time, TLS 1.3, x25519):"
	echo
	echo "| server | handshakes/s | ratio tlskit auto / server | server CPU µs/hs | s_time CPU % |"
	echo "| --- | ---: | ---: | ---: | ---: |"
	au=$(median stime tlskit-auto 1 rate)
	for name in tlskit-auto gnutls-serv s_server; do
		r=$(median stime "$name" 1 rate)
		printf '| %s | %s | %s | %s | %s |\n' "$name" "$(fmt "$r" '%.0f')" \
		    "$(ratio "$au" "$r")" \
		    "$(fmt "$(median stime "$name" 1 cpu_us)" '%.0f')" \
		    "$(median stime "$name" 1 gen_cpu)"
	done
	echo
	report_idle
	report_one
	report_many
	report_goals
	errs=$(awk -F'\t' '$4 == "errors" { s += $5 } END { print s + 0 }' "$SAMPLES")
	echo
	echo "Load generator errors over all runs: $errs."
} | tee "$OUT/results.md"

# --- plot ------------------------------------------------------------------

if command -v gnuplot >/dev/null; then
	twplot=""
	if [[ " ${ECHO_SERVERS[*]} " == *" twisted "* ]]; then
		twplot=", \"$DIR/echo-twisted.dat\" with linespoints title \"Twisted (bench/twisted-echo.py)\""
	fi
	for name in "${HS_SERVERS[@]}"; do
		for conc in "${CONCS[@]}"; do
			printf '%s %s\n' "$conc" "$(median hs "$name" "$conc" rate)"
		done >"$DIR/hs-$name.dat"
	done
	for name in "${ECHO_SERVERS[@]}"; do
		for conns in "${ECHO_CONNS[@]}"; do
			printf '%s %s\n' "$conns" "$(median echo "$name" "$conns" rate)"
		done >"$DIR/echo-$name.dat"
	done
	timeout 60 gnuplot <<EOF || echo "bench: gnuplot failed" >&2
set terminal pngcairo size 1000,420 noenhanced
set output "$OUT/bench.png"
set multiplot layout 1,2 title "tlskit bench: $NPROC cores, $CPU (medians of $REPS)"
set logscale x 2
set grid
set key top left font ",9"
set xlabel "concurrent connections"
set ylabel "full TLS 1.3 handshakes/s"
set title "handshakes (ECDSA P-256, x25519)"
set xrange [0.8:320]
plot "$DIR/hs-tlskit-w1.dat" with linespoints title "tls-echo-server --workers 1", \
     "$DIR/hs-tlskit-auto.dat" with linespoints title "tls-echo-server --workers auto", \
     "$DIR/hs-gnutls-serv.dat" with linespoints title "gnutls-serv", \
     "$DIR/hs-s_server.dat" with linespoints title "openssl s_server"
set title "echo, 16 KiB blocks, AES-128-GCM"
set ylabel "MB/s (one way)"
set xrange [0.8:80]
plot "$DIR/echo-tlskit-w1.dat" with linespoints title "tls-echo-server --workers 1", \
     "$DIR/echo-tlskit-auto.dat" with linespoints title "tls-echo-server --workers auto", \
     "$DIR/echo-gnutls-serv.dat" with linespoints title "gnutls-serv --echo"$twplot
unset multiplot
EOF
	echo "bench: plot in $OUT/bench.png" >&2
fi
echo "bench: done in $((SECONDS - START)) s; samples in $SAMPLES" >&2
