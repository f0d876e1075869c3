# Helpers for tests/alpn-probe.bats: paths, the ALPN peers (nginx,
# openssl s_server, gnutls-serv, tlskit's own server) on free loopback
# ports with the real port read back, teardown by PID, log dumps on
# failure.  Every name starts with ap_ so that this file can be loaded next
# to tests/helpers.bash without a clash.
#
# Ports: the servers bind port 0 and the port is read back from their ready
# line (tls-echo-server: "listening on 127.0.0.1:P"; openssl s_server:
# "ACCEPT [::]:P") or from /proc (gnutls-serv -p 0 prints none).  The one
# exception is nginx, which rejects "listen 127.0.0.1:0" ("invalid port",
# nginx 1.22): for it ap_free_port asks the kernel for a free port just
# before the start, and a start that loses the port to another process
# (bind() failed, EADDRINUSE in its error log) is stopped and retried with
# a new port, at most 3 times.
#
# Every server is started with setsid, </dev/null, its own log files and fd
# 3 closed; readiness is a bounded poll, never a bare sleep; stop is by PID.

bats_require_minimum_version 1.5.0

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

# ap_init: the variables every test uses.
ap_init() {
	SRC=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
	TK_BUILD=${TK_BUILD:-$SRC/build}
	PROBE=$TK_BUILD/tools/tls-alpn-probe
	ECHO_SERVER=$TK_BUILD/tools/tls-echo-server
	TD=$SRC/testdata
	NGINX=${NGINX:-/usr/sbin/nginx}
	AP_PIDS=$BATS_TEST_TMPDIR/server.pids
	[[ -x $PROBE ]] || fail "$PROBE is not built (set TK_BUILD)"
	[[ -x $ECHO_SERVER ]] || fail "$ECHO_SERVER is not built (set TK_BUILD)"
	export NO_COLOR=1
}

# ap_probe ARGS...: tls-alpn-probe trusting the test CA, bounded in time.
ap_probe() {
	timeout 60 "$PROBE" --ca "$TD/ca.crt" -t 10 "$@"
}

# ap_gone PID: the process is gone (exited, or a zombie not yet reaped).
ap_gone() {
	local state

	[[ -r /proc/$1/stat ]] || return 0
	state=$(sed 's/^.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null) || return 0
	[[ -z $state || $state == Z || $state == X ]]
}

# ap_spawn NAME CMD...: start a server in its own session; its PID goes to
# AP_PID and to the PID file, its output to $BATS_TEST_TMPDIR/NAME.{out,err}.
ap_spawn() {
	local name=$1

	shift
	AP_NAME=$name
	AP_OUT=$BATS_TEST_TMPDIR/$name.out
	AP_ERR=$BATS_TEST_TMPDIR/$name.err
	setsid "$@" </dev/null >"$AP_OUT" 2>"$AP_ERR" 3>&- &
	AP_PID=$!
	printf '%s %s\n' "$AP_PID" "$name" >>"$AP_PIDS"
}

# ap_logs: the logs of the server last started.
ap_logs() {
	cat "$AP_OUT" "$AP_ERR" "$BATS_TEST_TMPDIR/$AP_NAME/error.log" \
	    2>/dev/null
}

# ap_wait_for CMD...: poll CMD (bounded, about 10 s) until it succeeds;
# fail with the server's logs if the server dies or never gets ready.
ap_wait_for() {
	local i

	for ((i = 0; i < 400; i++)); do
		if "$@"; then
			return 0
		fi
		if ap_gone "$AP_PID"; then
			fail "server $AP_NAME ($AP_PID) exited before it was ready:
$(ap_logs)"
		fi
		sleep 0.025
	done
	fail "server $AP_NAME ($AP_PID) not ready in time:
$(ap_logs)"
}

ap_has_line() {
	grep -q "$1" "$AP_OUT" 2>/dev/null
}

# ap_listen_ports PID: the ports of the IPv4 TCP sockets PID listens on
# (its socket inodes in /proc/PID/fd against the LISTEN entries, state 0A,
# of /proc/net/tcp), one a line.  Prints nothing if there is none yet.
ap_listen_ports() {
	local pid=$1 inodes f hex

	inodes=$(for f in "/proc/$pid/fd"/*; do readlink "$f"; done 2>/dev/null |
	    sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p' | tr '\n' ' ')
	[[ -n $inodes ]] || return 0
	awk -v inodes=" $inodes" '
	    NR > 1 && $4 == "0A" && index(inodes, " " $10 " ") {
		    split($2, a, ":"); print a[2]
	    }' /proc/net/tcp | while read -r hex; do
		echo $((16#$hex))
	done
}

ap_has_listen_port() {
	[[ -n $(ap_listen_ports "$AP_PID") ]]
}

# ap_free_port: a TCP port on 127.0.0.1 that the kernel had free a moment
# ago (bound to port 0, then closed).  Only for nginx (see the top) and for
# a port that must be closed.
ap_free_port() {
	/usr/bin/python3 -c '
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# ap_stop_pid PID: TERM, wait (bounded) until gone, then KILL its process
# group (setsid made it the leader: nginx's workers go with it).
ap_stop_pid() {
	local pid=$1 i

	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 200; i++)); do
		ap_gone "$pid" && break
		sleep 0.025
	done
	if ! ap_gone "$pid"; then
		kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null || true
}

# ap_stop_servers: stop every server the test started, by PID.  Dumps their
# logs when the test failed.
ap_stop_servers() {
	local pid name

	[[ -f ${AP_PIDS:-} ]] || return 0
	while read -r pid name; do
		if [[ ${BATS_TEST_COMPLETED:-} != 1 && -n $name ]]; then
			echo "# --- server $name (pid $pid) log:" >&2
			cat "$BATS_TEST_TMPDIR/$name.out" \
			    "$BATS_TEST_TMPDIR/$name.err" \
			    "$BATS_TEST_TMPDIR/$name/error.log" 2>/dev/null |
			    sed 's/^/# /' >&2
		fi
		ap_stop_pid "$pid"
	done <"$AP_PIDS"
	rm -f "$AP_PIDS"
}

# --- the servers ---------------------------------------------------------

# ap_start_echo NAME [ARGS...]: tls-echo-server with the localhost RSA
# chain on 127.0.0.1:0; sets PORT.
ap_start_echo() {
	local name=$1

	shift
	ap_spawn "$name" "$ECHO_SERVER" --cert "$TD/localhost-rsa-chain.pem" \
	    --key "$TD/localhost-rsa.key" --listen 127.0.0.1:0 "$@"
	ap_wait_for ap_has_line '^listening on 127\.0\.0\.1:[0-9]*$'
	PORT=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$AP_OUT")
	[[ $PORT =~ ^[0-9]+$ ]] || fail "no port in $(ap_logs)"
}

# ap_start_openssl NAME [ARGS...]: openssl s_server -accept 0 -www with the
# localhost RSA chain (-cert reads only the leaf: the rest goes with
# -cert_chain); sets PORT.
ap_start_openssl() {
	local name=$1 chain=$TD/localhost-rsa-chain.pem

	shift
	awk '{ print } /^-----END CERTIFICATE-----/ { exit }' "$chain" \
	    >"$BATS_TEST_TMPDIR/$name.leaf.pem"
	awk 'n { print } /^-----END CERTIFICATE-----/ { n = 1 }' "$chain" \
	    >"$BATS_TEST_TMPDIR/$name.rest.pem"
	ap_spawn "$name" openssl s_server -accept 0 -www \
	    -cert "$BATS_TEST_TMPDIR/$name.leaf.pem" \
	    -cert_chain "$BATS_TEST_TMPDIR/$name.rest.pem" \
	    -key "$TD/localhost-rsa.key" "$@"
	ap_wait_for ap_has_line '^ACCEPT .*:[0-9]*$'
	PORT=$(sed -n 's/^ACCEPT .*:\([0-9]*\)$/\1/p' "$AP_OUT" | head -n 1)
	[[ $PORT =~ ^[0-9]+$ ]] || fail "no port in $(ap_logs)"
}

# ap_start_gnutls NAME [ARGS...]: gnutls-serv -p 0 with the localhost RSA
# chain.  It prints no port and binds 0.0.0.0 and :: on different ports:
# the IPv4 one is read from /proc.  Sets PORT.
ap_start_gnutls() {
	local name=$1

	shift
	ap_spawn "$name" gnutls-serv -p 0 \
	    --x509certfile "$TD/localhost-rsa-chain.pem" \
	    --x509keyfile "$TD/localhost-rsa.key" "$@"
	ap_wait_for ap_has_listen_port
	PORT=$(ap_listen_ports "$AP_PID" | head -n 1)
	[[ $PORT =~ ^[0-9]+$ ]] || fail "no port for gnutls-serv"
}

# ap_nginx_conf DIR PORT: a private nginx.conf in DIR (pid file, logs and
# every *_temp_path in DIR), serving the localhost RSA chain over TLS with
# HTTP/2 on 127.0.0.1:PORT.
ap_nginx_conf() {
	local dir=$1 port=$2

	cat >"$dir/nginx.conf" <<-EOF
	daemon off;
	user root root;
	worker_processes 1;
	pid $dir/nginx.pid;
	error_log $dir/error.log;
	events {
	    worker_connections 1024;
	}
	http {
	    access_log off;
	    client_body_temp_path $dir/client_body;
	    proxy_temp_path $dir/proxy;
	    fastcgi_temp_path $dir/fastcgi;
	    uwsgi_temp_path $dir/uwsgi;
	    scgi_temp_path $dir/scgi;
	    server {
	        listen 127.0.0.1:$port ssl http2;
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

# ap_nginx_state DIR PORT: 0 when nginx ($AP_PID) listens on PORT and has
# written its PID file (which it does after opening its sockets), 2 when
# its error log says another process holds PORT, 1 otherwise (not yet).
ap_nginx_state() {
	local dir=$1 port=$2

	if grep -q "bind() to 127\.0\.0\.1:$port failed (98" \
	    "$dir/error.log" "$AP_ERR" 2>/dev/null; then
		return 2
	fi
	[[ $(cat "$dir/nginx.pid" 2>/dev/null) == "$AP_PID" ]] || return 1
	ap_listen_ports "$AP_PID" | grep -qx "$port"
}

# ap_start_nginx NAME: nginx as docs/ARCHITECTURE.md, "Real peers", says
# (foreground, private prefix), on a port from ap_free_port, retried with a
# new port (at most 3 tries) when another process took it first.  Sets PORT.
ap_start_nginx() {
	local name=$1 dir=$BATS_TEST_TMPDIR/$1 try port i rc

	[[ -x $NGINX ]] || fail "$NGINX is missing (Debian package nginx-light)"
	for ((try = 1; try <= 3; try++)); do
		rm -rf "$dir"
		mkdir -p "$dir"
		port=$(ap_free_port)
		[[ $port =~ ^[0-9]+$ ]] || fail "no free port from python3"
		ap_nginx_conf "$dir" "$port"
		ap_spawn "$name" "$NGINX" -p "$dir/" -e "$dir/error.log" \
		    -c "$dir/nginx.conf"
		rc=1
		for ((i = 0; i < 400; i++)); do
			rc=0
			ap_nginx_state "$dir" "$port" || rc=$?
			[[ $rc == 1 ]] || break
			if ap_gone "$AP_PID"; then
				fail "nginx exited before it was ready:
$(ap_logs)"
			fi
			sleep 0.025
		done
		if [[ $rc == 0 ]]; then
			PORT=$port
			return 0
		fi
		ap_stop_pid "$AP_PID"
		[[ $rc == 2 ]] || fail "nginx not ready in time:
$(ap_logs)"
		echo "# nginx lost port $port to another process (try $try)" >&2
	done
	fail "nginx could not bind a free port in 3 tries"
}

# ap_closed_port: a port on 127.0.0.1 nothing listens on (free a moment
# ago; checked against /proc/net/tcp).  Sets CLOSED.
ap_closed_port() {
	local hex

	CLOSED=$(ap_free_port)
	[[ $CLOSED =~ ^[0-9]+$ ]] || fail "no free port from python3"
	hex=$(printf '%04X' "$CLOSED")
	if awk -v h=":$hex" 'NR > 1 && $4 == "0A" && substr($2, 9) == h' \
	    /proc/net/tcp | grep -q .; then
		fail "port $CLOSED is listening"
	fi
}
