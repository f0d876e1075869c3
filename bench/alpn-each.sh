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

cd "$(dirname "$0")/.."
SRC=$PWD
TK_BUILD=${TK_BUILD:-$SRC/build}
PROBE=$TK_BUILD/tools/tls-alpn-probe
NGINX=${NGINX:-/usr/sbin/nginx}
TD=$SRC/testdata
REPS=${1:-5}
DEADLINE=${DEADLINE:-300}
START=$SECONDS

die() {
	echo "alpn-each: $*" >&2
	exit 1
}

if ! [[ $REPS =~ ^[0-9]+$ ]] || ((REPS < 1 || REPS > 20)); then
	die "REPS must be 1 to 20"
fi
[[ -x $PROBE ]] || die "$PROBE is not built (set TK_BUILD)"
[[ -x $NGINX ]] || die "$NGINX is missing (Debian package nginx-light)"
command -v openssl >/dev/null || die "openssl is missing"
command -v jq >/dev/null || die "jq is missing"

DIR=$(mktemp -d /tmp/alpn-each.XXXXXX)
NGINX_PID=

gone() {
	local state

	[[ -r /proc/$1/stat ]] || return 0
	state=$(sed 's/^.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null) || return 0
	[[ -z $state || $state == Z || $state == X ]]
}

stop_nginx() {
	local i

	[[ -n $NGINX_PID ]] || return 0
	kill -TERM "$NGINX_PID" 2>/dev/null || true
	for ((i = 0; i < 200; i++)); do
		gone "$NGINX_PID" && break
		sleep 0.025
	done
	gone "$NGINX_PID" || kill -KILL -- "-$NGINX_PID" 2>/dev/null || true
	wait "$NGINX_PID" 2>/dev/null || true
	NGINX_PID=
}

cleanup() {
	stop_nginx
	rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

check_deadline() {
	((SECONDS - START < DEADLINE)) || die "deadline of $DEADLINE s reached"
}

free_port() {
	/usr/bin/python3 -c '
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

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

write_conf() {
	cat >"$DIR/nginx.conf" <<-EOF
	daemon off;
	user root root;
	worker_processes 1;
	pid $DIR/nginx.pid;
	error_log $DIR/error.log;
	events {
	    worker_connections 1024;
	}
	http {
	    access_log off;
	    client_body_temp_path $DIR/client_body;
	    proxy_temp_path $DIR/proxy;
	    fastcgi_temp_path $DIR/fastcgi;
	    uwsgi_temp_path $DIR/uwsgi;
	    scgi_temp_path $DIR/scgi;
	    server {
	        listen 127.0.0.1:$1 ssl http2;
	        server_name localhost;
	        ssl_certificate $TD/localhost-rsa-chain.pem;
	        ssl_certificate_key $TD/localhost-rsa.key;
	        location / {
	            return 200 "ok\n";
	        }
	    }
	}
	EOF
}

# start_nginx: sets PORT; at most 3 tries, each polled for at most 10 s.
start_nginx() {
	local try i port

	for ((try = 1; try <= 3; try++)); do
		port=$(free_port)
		rm -f "$DIR/error.log" "$DIR/nginx.pid"
		write_conf "$port"
		setsid "$NGINX" -p "$DIR/" -e "$DIR/error.log" \
		    -c "$DIR/nginx.conf" </dev/null >"$DIR/nginx.out" \
		    2>"$DIR/nginx.err" 3>&- &
		NGINX_PID=$!
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
			gone "$NGINX_PID" && break
			sleep 0.025
		done
		stop_nginx
		echo "alpn-each: nginx did not start on port $port (try $try)" >&2
		cat "$DIR/nginx.err" "$DIR/error.log" 2>/dev/null >&2 || true
	done
	die "nginx could not start"
}

now_ns() {
	date +%s%N
}

# median of the numbers on stdin
median() {
	sort -n | awk '{ v[NR] = $1 } END {
		if (NR % 2) print v[(NR + 1) / 2]
		else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

start_nginx
TARGET=localhost:$PORT

# The list, and the verdicts of tls-alpn-probe (also a warm-up run).
timeout 60 "$PROBE" --ca "$TD/ca.crt" -t 10 --each --json "$TARGET" \
    >"$DIR/each.json" || die "tls-alpn-probe --each failed"
mapfile -t LIST < <(jq -r '.each[].protocol' "$DIR/each.json")
((${#LIST[@]} > 0)) || die "no protocols in tls-alpn-probe's JSON"
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
	check_deadline
	t0=$(now_ns)
	timeout 60 "$PROBE" --ca "$TD/ca.crt" -t 10 --each "$TARGET" \
	    >/dev/null || die "tls-alpn-probe --each failed"
	t1=$(now_ns)
	echo "scale=3; ($t1 - $t0) / 1000000" | bc >>"$DIR/probe.ms"
	check_deadline
	t0=$(now_ns)
	one_by_one >/dev/null
	t1=$(now_ns)
	echo "scale=3; ($t1 - $t0) / 1000000" | bc >>"$DIR/openssl.ms"
done

m_probe=$(median <"$DIR/probe.ms")
m_openssl=$(median <"$DIR/openssl.ms")
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
    die "the two ways disagree on the accepted protocols"
