#!/usr/bin/env bash
# tls-scan (issue #15) against the scanners people use instead, in the
# same run on the same machine:
#
# 1. One full scan of one local nginx (tests/peers/nginx-scan-pref.conf.in:
#    TLS 1.2 and 1.3, 8 + 2 suites in the server's order, RSA and ECDSA
#    certificates): whole-process wall time of
#      tls-scan --json                  (versions, suites per version,
#                                        server order, groups, certificates,
#                                        resumption: its default scan)
#      testssl.sh -p -E -P -S           (protocols, suites per protocol,
#                                        server preference, server defaults:
#                                        certificates, resumption, tickets)
#      sslscan                          (its default scan: versions, suites,
#                                        groups, certificate, renegotiation,
#                                        compression, heartbleed)
#    REPS runs of each (default 3), interleaved, after one warm-up run of
#    each; the medians, tls-scan's ratio to each, and the TCP connections
#    each run made, counted by the server: nginx's stub_status "accepts"
#    on a second, plain-HTTP port, read before and after each run (the
#    read after counts itself: one is taken off).
# 2. N (default 100) local servers (tls-echo-servers with 8 listeners
#    each, every listener its own port) scanned by one tls-scan run
#    (--targets FILE) against `xargs -P 8 -n 1 sslscan` over the same
#    list: wall time.  The servers share one host, so --max-per-host is
#    tls-scan's concurrency: it runs with its default (4) and with 8, as
#    many at once as xargs -P 8.
#
# Usage: bench/scan.sh [REPS] [N]
#   TK_BUILD: build dir (default build/); NGINX: nginx binary.
# Bounded: every command under `timeout`, REPS at most 20, N at most 1000,
# the whole run stops after DEADLINE seconds (default 1800); every process
# started here is stopped by PID on exit (bench/lib.sh).
set -euo pipefail

BENCH_NAME=scan
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
SCAN=$TK_BUILD/tools/tls-scan
NGINX=${NGINX:-/usr/sbin/nginx}
REPS=${1:-3}
N=${2:-100}
DEADLINE=${DEADLINE:-1800}
DIR=$BENCH_DIR

bench_count REPS "$REPS" 1 20
bench_count N "$N" 1 1000
[[ -x $SCAN && -x $SERVER ]] || bench_die "tls-scan is not built in $TK_BUILD"
[[ -x $NGINX ]] || bench_die "$NGINX is missing (Debian package nginx-light)"
bench_need sslscan testssl curl jq python3

# listen_ports PID: the ports of the IPv4 TCP sockets PID listens on.
listen_ports() {
	local inodes f hex

	inodes=$(for f in "/proc/$1/fd"/*; do readlink "$f"; done 2>/dev/null |
	    sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p' | tr '\n' ' ')
	[[ -n $inodes ]] || return 0
	awk -v inodes=" $inodes" '
	    NR > 1 && $4 == "0A" && index(inodes, " " $10 " ") {
		    split($2, a, ":"); print a[2]
	    }' /proc/net/tcp | while read -r hex; do
		echo $((16#$hex))
	done
}

# write_conf PORT STATUS_PORT: the tests' template, plus a plain-HTTP
# server on STATUS_PORT with stub_status (the connection counter).
write_conf() {
	sed -e "s|@DIR@|$DIR|g" -e "s|@PORT@|$1|g" -e "s|@TESTDATA@|$TD|g" \
	    "$SRC/tests/peers/nginx-scan-pref.conf.in" | sed '$d' >"$DIR/nginx.conf"
	cat >>"$DIR/nginx.conf" <<-EOF
	    server {
	        listen 127.0.0.1:$2;
	        location = /status {
	            stub_status;
	        }
	    }
	}
	EOF
}

# start_nginx: sets PORT and STATUS_PORT; at most 3 tries (a free port
# taken by another process before nginx binds it), each polled for 10 s.
start_nginx() {
	local try i port sport

	for ((try = 1; try <= 3; try++)); do
		port=$(bench_free_port)
		sport=$(bench_free_port)
		[[ $port != "$sport" ]] || continue
		rm -f "$DIR/error.log" "$DIR/nginx.pid"
		write_conf "$port" "$sport"
		bench_spawn nginx "$NGINX" -p "$DIR/" -e "$DIR/error.log" \
		    -c "$DIR/nginx.conf"
		for ((i = 0; i < 400; i++)); do
			if grep -q "bind() to 127\.0\.0\.1:[0-9]* failed (98" \
			    "$DIR/error.log" "$DIR/nginx.err" 2>/dev/null; then
				break
			fi
			if [[ $(cat "$DIR/nginx.pid" 2>/dev/null) == "$BENCH_PID" ]] &&
			    [[ $(listen_ports "$BENCH_PID" | grep -cx "$port\|$sport") == 2 ]]; then
				PORT=$port
				STATUS_PORT=$sport
				return 0
			fi
			bench_gone "$BENCH_PID" && break
			sleep 0.025
		done
		bench_stop "$BENCH_PID"
		echo "scan: nginx did not start on ports $port, $sport (try $try)" >&2
		cat "$DIR/nginx.err" "$DIR/error.log" 2>/dev/null >&2 || true
	done
	bench_die "nginx could not start"
}

# accepts: nginx's count of accepted connections so far (this read's own
# connection included).
accepts() {
	timeout 10 curl -s "http://127.0.0.1:$STATUS_PORT/status" |
	    awk 'NR == 3 { print $1 }'
}

TOOLS=(tls-scan testssl.sh sslscan)

# run TOOL: one full scan of the nginx; "WALL_US CONNECTIONS" on stdout.
run() {
	local t0 t1 a0 a1 rc=0

	bench_deadline
	a0=$(accepts)
	t0=$EPOCHREALTIME
	case $1 in
	tls-scan)
		timeout 120 "$SCAN" --json --ca "$TD/ca.crt" "127.0.0.1:$PORT" \
		    </dev/null >"$DIR/tls-scan.json" 2>"$DIR/tls-scan.err" || rc=$?
		# 0 ok, 1 a check failed, 5 warnings: a scan that ended
		[[ $rc == 1 || $rc == 5 ]] && rc=0
		;;
	testssl.sh)
		rm -f "$DIR/testssl.json"
		timeout 600 testssl --quiet --color 0 --warnings off \
		    --openssl /usr/bin/openssl --ip one --nodns min \
		    -p -E -P -S --jsonfile "$DIR/testssl.json" \
		    "127.0.0.1:$PORT" </dev/null >"$DIR/testssl.txt" 2>&1 || rc=$?
		# testssl.sh exits with the count of findings it thinks bad
		jq -e 'any(.[]; .id | startswith("cipher-"))' \
		    "$DIR/testssl.json" >/dev/null 2>&1 && rc=0
		;;
	sslscan)
		timeout 120 sslscan --no-colour "127.0.0.1:$PORT" \
		    </dev/null >"$DIR/sslscan.txt" 2>&1 || rc=$?
		;;
	esac
	t1=$EPOCHREALTIME
	a1=$(accepts)
	((rc == 0)) || bench_die "$1 failed (exit $rc)"
	echo "$((${t1/./} - ${t0/./})) $((a1 - a0 - 1))"
}

start_nginx
echo "nginx on 127.0.0.1:$PORT (status on $STATUS_PORT); $REPS reps"
for t in "${TOOLS[@]}"; do
	run "$t" >/dev/null # warm-up
	: >"$DIR/$t.runs"
done
for ((r = 1; r <= REPS; r++)); do
	for t in "${TOOLS[@]}"; do
		run "$t" >>"$DIR/$t.runs"
	done
done

declare -A MED CONN
echo
echo "| tool | wall time (median of $REPS) | connections (median) |"
echo "| --- | ---: | ---: |"
for t in "${TOOLS[@]}"; do
	MED[$t]=$(awk '{ print $1 }' "$DIR/$t.runs" | bench_median |
	    awk '{ printf "%.2f", $1 / 1e6 }')
	CONN[$t]=$(awk '{ print $2 }' "$DIR/$t.runs" | bench_median)
	printf '| %s | %s s | %s |\n' "$t" "${MED[$t]}" "${CONN[$t]}"
done
awk -v s="${MED[tls-scan]}" -v t="${MED[testssl.sh]}" -v l="${MED[sslscan]}" \
    'BEGIN { printf "\ntestssl.sh / tls-scan: %.1fx; sslscan / tls-scan: %.1fx\n", t / s, l / s }'

# --- N servers in one run ----------------------------------------------------

bench_deadline
: >"$DIR/targets"
# tls-echo-server takes at most 8 --listen: N / 8 of them, 8 ports each
for ((i = 0; i < N; i += 8)); do
	args=()
	for ((j = i; j < N && j < i + 8; j++)); do
		args+=(-l 127.0.0.1:0)
	done
	bench_spawn "many$i" "$SERVER" -q "${args[@]}" \
	    --cert "$TD/localhost-ecdsa-chain.pem" --key "$TD/localhost-ecdsa.key"
	for ((k = 0; k < 400; k++)); do
		(($(grep -c '^listening on ' "$DIR/many$i.out") >= ${#args[@]})) && break
		bench_gone "$BENCH_PID" &&
		    bench_die "tls-echo-server: $(cat "$DIR/many$i.err")"
		sleep 0.025
	done
	sed -n 's/^listening on //p' "$DIR/many$i.out" >>"$DIR/targets"
done
(($(wc -l <"$DIR/targets") == N)) || bench_die "not $N listeners"

# many MAX: one tls-scan run over the list with --max-per-host MAX (the
# N servers share the host 127.0.0.1: MAX is the run's concurrency); its
# wall time in µs on stdout
many() {
	local t0 t1 rc=0

	bench_deadline
	t0=$EPOCHREALTIME
	timeout 900 "$SCAN" --json --ca "$TD/ca.crt" --max-per-host "$1" \
	    --targets "$DIR/targets" >"$DIR/many.json" 2>"$DIR/many.scan.err" ||
	    rc=$?
	t1=$EPOCHREALTIME
	[[ $rc == 0 || $rc == 1 || $rc == 5 ]] ||
	    bench_die "tls-scan --targets: exit $rc: $(head -3 "$DIR/many.scan.err")"
	[[ $(jq -s length "$DIR/many.json") == "$N" ]] ||
	    bench_die "tls-scan --targets: not $N results"
	echo $((${t1/./} - ${t0/./}))
}
many_scan4=$(many 4)
many_scan8=$(many 8)
many_conn=$(jq -s 'map(.connections) | add' "$DIR/many.json")

bench_deadline
t0=$EPOCHREALTIME
rc=0
timeout 900 xargs -P 8 -n 1 timeout 120 sslscan --no-colour <"$DIR/targets" \
    >"$DIR/many-sslscan.txt" 2>&1 || rc=$?
t1=$EPOCHREALTIME
many_ssl=$((${t1/./} - ${t0/./}))
((rc == 0)) || bench_die "xargs sslscan: exit $rc"

echo
echo "| $N servers | wall time |"
echo "| --- | ---: |"
awk -v s4="$many_scan4" -v s8="$many_scan8" -v l="$many_ssl" -v n="$N" \
    -v c="$many_conn" 'BEGIN {
	printf "| tls-scan --targets (one run, --max-per-host 4, the default) | %.2f s |\n", s4 / 1e6
	printf "| tls-scan --targets (one run, --max-per-host 8) | %.2f s |\n", s8 / 1e6
	printf "| xargs -P 8 sslscan | %.2f s |\n", l / 1e6
	printf "\nxargs sslscan / tls-scan (8 at once both): %.1fx; tls-scan: %d connections for %d servers\n", l / s8, c, n }'
