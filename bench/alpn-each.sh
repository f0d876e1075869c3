#!/usr/bin/env bash
# Wall time of probing every protocol of the IANA ALPN registry one at a
# time against nginx (listen ... ssl http2): tls-alpn-probe --each (all
# probes concurrently on one event loop, one process) against one
# `openssl s_client -alpn P` process per protocol, in turn.  Same nginx,
# same run, same list (taken from tls-alpn-probe --each --json); REPS
# repetitions of each (default 5), interleaved; prints the medians and
# their ratio, and checks that both ways find the same accepted protocols.
#
# Usage: bench/alpn-each.sh [REPS]      (TK_BUILD: the build dir, default build/)
#
# Bounded: every command runs under `timeout`, REPS is at most 20 and the
# whole run stops after DEADLINE seconds (default 300).
#
# nginx rejects "listen 127.0.0.1:0", so its port is the one exception to
# "bind port 0 and read the port back": python3 asks the kernel for a free
# port just before the start, and a start that loses it to another
# process (bind() failed in its error log) is retried with a new port, at
# most 3 times.
set -euo pipefail

BENCH_NAME=alpn-each
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
NGINX=${NGINX:-/usr/sbin/nginx}
REPS=${1:-5}
DEADLINE=${DEADLINE:-300}
NGINX_PID=
DIR=$BENCH_DIR

bench_count REPS "$REPS" 1 20
[[ -x $PROBE ]] || bench_die "$PROBE is not built (set TK_BUILD)"
[[ -x $NGINX ]] || bench_die "$NGINX is missing (Debian package nginx-light)"
bench_need openssl jq bc

# The ports of the IPv4 TCP sockets PID listens on (/proc/PID/fd inodes
# against the LISTEN entries, state 0A, of /proc/net/tcp).
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

# write_conf PORT: nginx.conf in DIR, from the template the tests use.
write_conf() {
	sed -e "s|@DIR@|$DIR|g" -e "s|@PORT@|$1|g" -e "s|@TESTDATA@|$TD|g" \
	    "$SRC/tests/peers/nginx.conf.in" >"$DIR/nginx.conf"
}

# start_nginx: sets PORT; at most 3 tries, each polled for at most 10 s.
start_nginx() {
	local try i port

	for ((try = 1; try <= 3; try++)); do
		port=$(bench_free_port)
		rm -f "$DIR/error.log" "$DIR/nginx.pid"
		write_conf "$port"
		bench_spawn nginx "$NGINX" -p "$DIR/" -e "$DIR/error.log" \
		    -c "$DIR/nginx.conf"
		NGINX_PID=$BENCH_PID
		for ((i = 0; i < 400; i++)); do
			if grep -q "bind() to 127\.0\.0\.1:$port failed (98" \
			    "$DIR/error.log" "$DIR/nginx.err" 2>/dev/null; then
				break
			fi
			if [[ $(cat "$DIR/nginx.pid" 2>/dev/null) == "$NGINX_PID" ]] &&
			    listen_ports "$NGINX_PID" | grep -qx "$port"; then
				PORT=$port
				return 0
			fi
			bench_gone "$NGINX_PID" && break
			sleep 0.025
		done
		bench_stop "$NGINX_PID"
		echo "alpn-each: nginx did not start on port $port (try $try)" >&2
		cat "$DIR/nginx.err" "$DIR/error.log" 2>/dev/null >&2 || true
	done
	bench_die "nginx could not start"
}

start_nginx
TARGET=localhost:$PORT

# The list, and the verdicts of tls-alpn-probe (also a warm-up run).
timeout 60 "$PROBE" --ca "$TD/ca.crt" -t 10 --each --json "$TARGET" \
    >"$DIR/each.json" || bench_die "tls-alpn-probe --each failed"
mapfile -t LIST < <(jq -r '.each[].protocol' "$DIR/each.json")
((${#LIST[@]} > 0)) || bench_die "no protocols in tls-alpn-probe's JSON"
probe_accepted=$(jq -r '[.each[] | select(.result == "accepted") |
    .protocol] | sort | join(",")' "$DIR/each.json")

# one_by_one: openssl s_client once per protocol, in turn; prints the
# accepted ones.  (nginx's HTTP/2 preface in s_client's output holds NUL
# bytes: they are dropped.)
one_by_one() {
	local p out

	for p in "${LIST[@]}"; do
		out=$(timeout 20 openssl s_client -alpn "$p" \
		    -connect "127.0.0.1:$PORT" -servername localhost \
		    -CAfile "$TD/ca.crt" </dev/null 2>/dev/null |
		    tr -d '\0') || true
		if grep -qxF "ALPN protocol: $p" <<<"$out"; then
			echo "$p"
		fi
	done
}

openssl_accepted=$(one_by_one | sort | paste -sd, -)

: >"$DIR/probe.ms"
: >"$DIR/openssl.ms"
for ((r = 1; r <= REPS; r++)); do
	bench_deadline
	t0=$(bench_now_ns)
	timeout 60 "$PROBE" --ca "$TD/ca.crt" -t 10 --each "$TARGET" \
	    >/dev/null || bench_die "tls-alpn-probe --each failed"
	t1=$(bench_now_ns)
	echo "scale=3; ($t1 - $t0) / 1000000" | bc >>"$DIR/probe.ms"
	bench_deadline
	t0=$(bench_now_ns)
	one_by_one >/dev/null
	t1=$(bench_now_ns)
	echo "scale=3; ($t1 - $t0) / 1000000" | bc >>"$DIR/openssl.ms"
done

m_probe=$(bench_median <"$DIR/probe.ms")
m_openssl=$(bench_median <"$DIR/openssl.ms")
echo "nginx $("$NGINX" -v 2>&1 | sed 's/^nginx version: //') on $TARGET;" \
    "${#LIST[@]} protocols (IANA registry), $REPS repetitions each"
echo "accepted, tls-alpn-probe --each: $probe_accepted"
echo "accepted, openssl s_client one by one: $openssl_accepted"
printf 'tls-alpn-probe --each:           median %9.1f ms  (runs: %s)\n' \
    "$m_probe" "$(paste -sd' ' "$DIR/probe.ms")"
printf 'openssl s_client, one at a time: median %9.1f ms  (runs: %s)\n' \
    "$m_openssl" "$(paste -sd' ' "$DIR/openssl.ms")"
printf 'ratio (openssl / tls-alpn-probe): %.1f\n' \
    "$(echo "scale=3; $m_openssl / $m_probe" | bc)"
[[ $probe_accepted == "$openssl_accepted" ]] ||
    bench_die "the two ways disagree on the accepted protocols"
