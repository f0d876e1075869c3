# The one helper library of the bats suites: every tests/*.bats loads it
# (`load lib`) and nothing else.  Paths and tools, a default setup() and
# teardown(), servers started in the background on port 0 with the real
# port read back, peer clients fed through a FIFO, bounded polls, teardown
# by PID and log dumps on failure, and fixtures made at test time.  The
# real STARTTLS daemons (postfix, dovecot, ...) are in lib-starttls.bash,
# tls-scan's differently configured peers and the normalizers of sslscan,
# testssl.sh and nmap in lib-scan.bash; this file sources both.
#
# - Every function starts with tk_ and every setting or internal state
#   with TK_, so a .bats file may name its own helpers freely.  What the
#   tests read back is named for what it holds: TESTDATA, PORT, PORT6,
#   CLOSED_PORT, SERVER_PID/_NAME/_OUT/_ERR, PEER_*, CONN, EXIT_STATUS
#   and the daemons' NAME_PID and NAME_PORT (lib-starttls.bash).
# - Servers bind port 0.  tlskit's server reports the port in its ready
#   line ("listening on ADDR:PORT", or the JSON "listening" event); peers
#   that cannot (gnutls-serv -p 0 prints no port, openssl s_server binds
#   [::]) have it read from /proc: the socket inodes of THAT PID against
#   the LISTEN entries of /proc/net/tcp and tcp6.  No port is guessed; the
#   one exception, nginx, which rejects port 0, gets one the kernel had
#   free a moment before and is retried on a new one when it lost it
#   (docs/ARCHITECTURE.md, "Real peers").
# - Every wait is a poll every 50 ms with a bound (about 10 s) that fails
#   at once if the process died; there is no sleep-and-hope.
# - Every server is started with setsid, </dev/null, its own log files and
#   fd 3 closed (bats waits for fd 3 holders); it is stopped by its PID,
#   never by name.

# shellcheck disable=SC2034 # PORT6, PEER_*, SERVER_*, TK_* are read by tests

bats_require_minimum_version 1.5.0

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

TK_SRC=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
TK_BUILD=${TK_BUILD:-$TK_SRC/build}
TESTDATA=${TESTDATA:-$TK_SRC/testdata}
TK_CA=$TESTDATA/ca.crt
TK_SERVER=$TK_BUILD/tools/tls-echo-server
TK_CLIENT=$TK_BUILD/tools/tls-echo-client
TK_CHECK=$TK_BUILD/tools/tls-check-cert
TK_PROBE=$TK_BUILD/tools/tls-alpn-probe
TK_STARTTLS=$TK_BUILD/tools/tls-starttls
TK_PEERS=$TK_SRC/tests/peers
TK_NGINX=${NGINX:-/usr/sbin/nginx}
# Debian's python3-* and the ssl module as the system built it (the python3
# on PATH may be a pyenv interpreter: docs/ARCHITECTURE.md, "Real peers")
TK_PYTHON=${TK_PYTHON:-/usr/bin/python3}
export NO_COLOR=1

# tk_setup: the per-test checks and state.  The default setup(); a file
# with setup() of its own calls it first.
tk_setup() {
	local tool

	for tool in "$TK_SERVER" "$TK_CLIENT" "$TK_CHECK" "$TK_PROBE" \
	    "$TK_STARTTLS"; do
		[[ -x $tool ]] ||
		    fail "$tool is not built (ninja -C build, or set TK_BUILD)"
	done
	TK_PIDS=$BATS_TEST_TMPDIR/servers.pids
	: >"$TK_PIDS"
}

# tk_teardown: stop the servers.  The default teardown().
tk_teardown() {
	tk_stop_servers
}

setup() {
	tk_setup
}

teardown() {
	tk_teardown
}

# --- the tools ---------------------------------------------------------------

# tk_client ARGS...: tlskit's echo client, bounded in time.
tk_client() {
	timeout 20 "$TK_CLIENT" "$@"
}

# tk_check ARGS...: tls-check-cert trusting the test CA, bounded in time.
tk_check() {
	timeout 60 "$TK_CHECK" --ca "$TK_CA" "$@"
}

# tk_probe ARGS...: tls-alpn-probe trusting the test CA, bounded in time.
tk_probe() {
	timeout 60 "$TK_PROBE" --ca "$TK_CA" -t 10 "$@"
}

# tk_traced TOOL ARGS...: TOOL under strace, its socket calls in
# $BATS_TEST_TMPDIR/strace.log.  strace exits with the tool's status.
# LeakSanitizer cannot run under ptrace: leak checks are off here only.
tk_traced() {
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
	    timeout 60 strace -f -o "$BATS_TEST_TMPDIR/strace.log" \
	    -e trace=socket,connect "$@"
}

# tk_no_inet TRACE: the strace log shows the tool ran to its end and made
# no IPv4 or IPv6 socket.
tk_no_inet() {
	grep -q '+++ exited with' "$1" ||
	    fail "strace did not trace the tool: $(cat "$1")"
	if grep -E 'socket\(AF_INET6?,' "$1"; then
		fail "the tool opened a network socket"
	fi
}

# tk_check_bad_input ARGS...: tls-check-cert ARGS exits 2 with nothing
# on stdout, one "tls-check-cert: " line on stderr and no IPv4/IPv6 socket
# (strace): bad local input stops it before any network I/O.
# shellcheck disable=SC2154 # stderr: set by bats' run --separate-stderr
tk_check_bad_input() {
	run -2 --separate-stderr tk_traced "$TK_CHECK" --ca "$TK_CA" "$@"
	assert_output ''
	assert_equal "$(grep -c . <<<"$stderr")" 1
	[[ $stderr == 'tls-check-cert: '* ]] || fail "stderr: $stderr"
	tk_no_inet "$BATS_TEST_TMPDIR/strace.log"
}

# --- JSON and certificates ---------------------------------------------------

# tk_jqx FILTER JSON: jq FILTER is true for JSON.
tk_jqx() {
	jq -e "$1" >/dev/null <<<"$2" || fail "jq '$1' is false for: $2"
}

# tk_fingerprint CERT: its SHA-256 as openssl prints it (AB:CD:...).
tk_fingerprint() {
	openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/^.*=//'
}

# tk_conn_log NAME N: wait until the --json server NAME logged N
# connections; sets CONN to the Nth "connection" event.
tk_conn_log() {
	local out=$BATS_TEST_TMPDIR/$1.out

	tk_wait_for 0 "$2 connection event(s) from server $1" \
	    tk_file_has "$out" '^\{.*"event":"connection"' "$2"
	CONN=$(grep -E '^\{.*"event":"connection"' "$out" | sed -n "${2}p")
	jq -e . >/dev/null <<<"$CONN" || fail "not JSON: $CONN"
}

# tk_leaf NAME TEMPLATE-LINES: an ECDSA P-256 leaf for localhost and
# 127.0.0.1 signed by testdata/intermediate, made now with certtool;
# writes NAME.key, NAME.crt, NAME-chain.pem in the test's temp dir.
tk_leaf() {
	local name=$1 extra=$2 d=$BATS_TEST_TMPDIR

	timeout 30 certtool --generate-privkey --key-type ecdsa \
	    --curve secp256r1 --no-text --outfile "$d/$name.key" 2>/dev/null ||
	    fail "certtool could not make a key"
	cat >"$d/$name.tmpl" <<-EOF
	cn = "localhost"
	dns_name = "localhost"
	ip_address = "127.0.0.1"
	tls_www_server
	signing_key
	$extra
	EOF
	TZ=UTC timeout 30 certtool --generate-certificate \
	    --load-privkey "$d/$name.key" \
	    --load-ca-certificate "$TESTDATA/intermediate.crt" \
	    --load-ca-privkey "$TESTDATA/intermediate.key" \
	    --template "$d/$name.tmpl" --no-text \
	    --outfile "$d/$name.crt" >/dev/null 2>&1 ||
	    fail "certtool could not make $name.crt"
	cat "$d/$name.crt" "$TESTDATA/intermediate.crt" >"$d/$name-chain.pem"
}

# tk_ocsp OUT CERT STATUS [SIGNER-CRT SIGNER-KEY]: a DER OCSP response
# for CERT (issued by testdata/intermediate) with STATUS good, revoked or
# unknown, signed by the intermediate unless another signer is given.
tk_ocsp() {
	local out=$1 cert=$2 status=$3 scrt=${4:-$TESTDATA/intermediate.crt}
	local skey=${5:-$TESTDATA/intermediate.key} serial subject idx

	idx=$BATS_TEST_TMPDIR/index.$RANDOM.txt
	serial=$(openssl x509 -in "$cert" -noout -serial | sed 's/^serial=//')
	subject=/CN=$(openssl x509 -in "$cert" -noout -subject \
	    -nameopt multiline | sed -n 's/^ *commonName *= *//p')
	case $status in
	good)
		printf 'V\t21000101000000Z\t\t%s\tunknown\t%s\n' \
		    "$serial" "$subject" >"$idx"
		;;
	revoked)
		printf 'R\t21000101000000Z\t240101000000Z,keyCompromise\t%s\tunknown\t%s\n' \
		    "$serial" "$subject" >"$idx"
		;;
	unknown)
		: >"$idx"
		;;
	esac
	timeout 30 openssl ocsp -index "$idx" -rsigner "$scrt" -rkey "$skey" \
	    -CA "$TESTDATA/intermediate.crt" \
	    -issuer "$TESTDATA/intermediate.crt" \
	    -cert "$cert" -respout "$out" -ndays 7 -no_nonce \
	    >/dev/null 2>&1 || fail "openssl ocsp could not make $out"
	[[ -s $out ]] || fail "openssl ocsp wrote no $out"
}

# --- processes ---------------------------------------------------------------

# tk_gone PID: the process has exited (absent, or a zombie that PID 1 has
# not reaped yet: kill -0 still succeeds on those).
tk_gone() {
	local stat state

	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
	state=${stat##*) }
	state=${state%% *}
	[[ -z $state || $state == Z || $state == X ]]
}

# tk_rss_kb PID: its resident set in KiB.
tk_rss_kb() {
	sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB$/\1/p' "/proc/$1/status"
}

# tk_wait_for PID WHAT CMD...: run CMD every 50 ms until it succeeds, at
# most about 10 s; fail if PID (0: none) exits first or the time runs out.
# WHAT names the condition in the failure message.
tk_wait_for() {
	local pid=$1 what=$2 i

	shift 2
	for ((i = 0; i < 200; i++)); do
		if "$@"; then
			return 0
		fi
		if [[ $pid != 0 ]] && tk_gone "$pid"; then
			"$@" && return 0
			fail "process $pid exited while waiting for: $what"
			return 1
		fi
		sleep 0.05
	done
	fail "timed out (10 s) waiting for: $what"
	return 1
}

# tk_wait_exit PID: wait (bounded, about 10 s) for a background child of
# this shell to exit; sets EXIT_STATUS.
tk_wait_exit() {
	local pid=$1

	tk_wait_for 0 "process $pid to exit" tk_gone "$pid"
	EXIT_STATUS=0
	wait "$pid" || EXIT_STATUS=$?
}

# tk_file_has FILE REGEX [COUNT]: FILE has at least COUNT (default 1) lines
# matching the extended REGEX.
tk_file_has() {
	local n

	n=$(grep -Ec -- "$2" "$1" 2>/dev/null) || n=0
	((n >= ${3:-1}))
}

# --- servers -----------------------------------------------------------------

# tk_spawn NAME CMD...: start CMD in its own session with fd 3 closed, its
# output in $BATS_TEST_TMPDIR/NAME.out and NAME.err (SERVER_OUT,
# SERVER_ERR); records its PID (SERVER_PID) for tk_stop_servers.
tk_spawn() {
	local name=$1 dir=$BATS_TEST_TMPDIR

	shift
	[[ ! -e $dir/$name.out ]] || fail "server name $name used twice"
	SERVER_NAME=$name
	SERVER_OUT=$dir/$name.out
	SERVER_ERR=$dir/$name.err
	setsid "$@" </dev/null >"$SERVER_OUT" 2>"$SERVER_ERR" 3>&- &
	SERVER_PID=$!
	printf '%s %s\n' "$SERVER_PID" "$name" >>"$TK_PIDS"
}

# tk_out_has REGEX: the stdout of the server last started has a line
# matching the basic REGEX.
tk_out_has() {
	grep -q -- "$1" "$SERVER_OUT" 2>/dev/null
}

# tk_listen_addrs FILE: the addresses (ADDR:PORT) of the ready lines of
# tls-echo-server, text ("listening on ADDR:PORT") or JSON
# ({"event":"listening","address":"ADDR:PORT"}), one a line.  The scripted
# peers (tests/peers/*.py) print the same text line.
tk_listen_addrs() {
	sed -n -e 's/^listening on \(.*:[0-9][0-9]*\)$/\1/p' \
	    -e '/^{.*"event":"listening"/s/^.*"address":"\([^"]*:[0-9][0-9]*\)".*$/\1/p' \
	    "$1" 2>/dev/null
}

tk_ready() {
	(($(tk_listen_addrs "$1" | wc -l) >= $2))
}

# tk_start_server NAME CMD...: start a command that prints ready lines
# (tls-echo-server, a scripted peer) and wait until it printed one per
# --listen/-l (at least one).  Sets SERVER_PID, PORT (from the first ready
# line) and PORT6 (from the first [::1] one, if any).
tk_start_server() {
	local name=$1 want=0 arg addrs

	shift
	for arg in "$@"; do
		[[ $arg == --listen || $arg == -l || $arg == --listen=* ]] &&
		    want=$((want + 1))
	done
	((want > 0)) || want=1
	tk_spawn "$name" "$@"
	tk_wait_for "$SERVER_PID" "$want ready line(s) from server $name" \
	    tk_ready "$SERVER_OUT" "$want"
	addrs=$(tk_listen_addrs "$SERVER_OUT")
	PORT=$(head -n 1 <<<"$addrs")
	PORT=${PORT##*:}
	PORT6=$(grep -m 1 '^\[::1\]:' <<<"$addrs" || true)
	PORT6=${PORT6##*:}
	[[ $PORT =~ ^[0-9]+$ && $PORT != 0 ]] ||
	    fail "server $name: no port in its ready line: $(cat "$SERVER_OUT")"
}

# tk_start_echo NAME [ARGS...]: tls-echo-server on 127.0.0.1:0 (unless
# ARGS has a --listen) with the localhost RSA chain (unless ARGS has a
# --cert).  Sets SERVER_PID, PORT and PORT6.
tk_start_echo() {
	local name=$1 args=("$TK_SERVER")

	shift
	[[ " $* " == *' --listen '* ]] || args+=(--listen 127.0.0.1:0)
	[[ " $* " == *' --cert '* ]] || args+=(
	    --cert "$TESTDATA/localhost-rsa-chain.pem"
	    --key "$TESTDATA/localhost-rsa.key")
	tk_start_server "$name" "${args[@]}" "$@"
}

# tk_listen_ports PID: the TCP ports PID listens on, as "4 PORT" (from
# /proc/net/tcp) or "6 PORT ADDR" (from /proc/net/tcp6, ADDR in the
# kernel's hex), one a line: its socket inodes from /proc/PID/fd matched
# against the entries in state 0A (LISTEN).
tk_listen_ports() {
	local pid=$1 inodes f

	inodes=$(for f in "/proc/$pid/fd"/*; do readlink "$f"; done 2>/dev/null |
	    sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p' | tr '\n' ' ')
	[[ -n $inodes ]] || return 0
	awk -v inodes=" $inodes " '
	    FNR > 1 && $4 == "0A" && index(inodes, " " $10 " ") {
		    n = split($2, a, ":")
		    fam = FILENAME ~ /6$/ ? 6 : 4
		    print fam, a[n], a[1]
	    }' /proc/net/tcp /proc/net/tcp6 2>/dev/null |
	    while read -r fam hex addr; do
		if [[ $fam == 4 ]]; then
			echo "4 $((16#$hex))"
		else
			echo "6 $((16#$hex)) $addr"
		fi
	    done
}

# tk_v4_port PID: the port on which PID accepts IPv4 connections: an IPv4
# listener, or else an IPv6 one on :: when the kernel maps IPv4 onto it
# (net.ipv6.bindv6only=0, as openssl s_server -accept 0 binds [::]).
tk_v4_port() {
	local ports p

	ports=$(tk_listen_ports "$1")
	p=$(awk '$1 == 4 { print $2; exit }' <<<"$ports")
	if [[ -z $p && $(cat /proc/sys/net/ipv6/bindv6only 2>/dev/null) == 0 ]]; then
		p=$(awk '$1 == 6 && $3 ~ /^0+$/ { print $2; exit }' <<<"$ports")
	fi
	[[ -n $p ]] && echo "$p"
}

tk_has_v4_port() {
	[[ -n $(tk_v4_port "$1") ]]
}

# tk_start_peer NAME CMD...: start a peer server that binds port 0 but
# cannot say which port it got (CMD must ask for port 0: gnutls-serv -p 0,
# openssl s_server -accept 0); wait until THAT process listens and read
# its port from /proc.  Sets SERVER_PID and PORT (IPv4).
tk_start_peer() {
	local name=$1

	shift
	tk_spawn "$name" "$@"
	tk_wait_for "$SERVER_PID" "peer $name to listen" \
	    tk_has_v4_port "$SERVER_PID"
	PORT=$(tk_v4_port "$SERVER_PID")
	[[ $PORT =~ ^[0-9]+$ && $PORT != 0 ]] || fail "peer $name: no port"
}

# tk_start_openssl NAME [ARGS...]: openssl s_server -accept 0 -www
# serving the localhost RSA leaf with the intermediate unless ARGS has a
# -cert (-cert reads only the first certificate of a file: the rest goes
# with -cert_chain).  -www: it never reads its stdin, whose EOF would stop
# it after one connection.  SECLEVEL 0 so that it serves the weak test
# certificates at all.  Sets SERVER_PID and PORT.
tk_start_openssl() {
	local name=$1 args=(openssl s_server -accept 0 -www
	    -cipher 'DEFAULT:@SECLEVEL=0')

	shift
	[[ " $* " == *' -cert '* ]] || args+=(
	    -cert "$TESTDATA/localhost-rsa.crt"
	    -cert_chain "$TESTDATA/intermediate.crt"
	    -key "$TESTDATA/localhost-rsa.key")
	tk_start_peer "$name" "${args[@]}" "$@"
}

# tk_start_gnutls NAME [ARGS...]: gnutls-serv -p 0 serving the localhost
# RSA chain unless ARGS has an --x509certfile.  Sets SERVER_PID and PORT.
tk_start_gnutls() {
	local name=$1 args=(gnutls-serv -p 0)

	shift
	[[ " $* " == *' --x509certfile '* ]] || args+=(
	    --x509certfile "$TESTDATA/localhost-rsa-chain.pem"
	    --x509keyfile "$TESTDATA/localhost-rsa.key")
	tk_start_peer "$name" "${args[@]}" "$@"
}

# tk_serve TYPE NAME CHAIN KEY [ARGS...]: one of echo (tls-echo-server),
# openssl, gnutls serving CHAIN (leaf first) with KEY.  Sets PORT.
tk_serve() {
	local type=$1 name=$2 chain=$3 key=$4 leaf rest

	shift 4
	case $type in
	echo)
		tk_start_echo "$name" --cert "$chain" --key "$key" "$@"
		;;
	openssl)
		leaf=$BATS_TEST_TMPDIR/$name.leaf.pem
		rest=$BATS_TEST_TMPDIR/$name.rest.pem
		awk '{ print } /^-----END CERTIFICATE-----/ { exit }' \
		    "$chain" >"$leaf"
		awk 'n { print } /^-----END CERTIFICATE-----/ { n = 1 }' \
		    "$chain" >"$rest"
		if [[ -s $rest ]]; then
			set -- -cert_chain "$rest" "$@"
		fi
		tk_start_openssl "$name" -cert "$leaf" -key "$key" "$@"
		;;
	gnutls)
		tk_start_gnutls "$name" --x509certfile "$chain" \
		    --x509keyfile "$key" "$@"
		;;
	*)
		fail "unknown server type $type"
		;;
	esac
}

# tk_start_silent: a socket that listens and never answers (the kernel
# completes the connection; nothing reads).  Sets PORT.
tk_start_silent() {
	tk_start_server silent "$TK_PYTHON" -c '
import socket, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(1024)
print("listening on 127.0.0.1:%d" % s.getsockname()[1], flush=True)
while True:
    time.sleep(3600)
'
}

# tk_nginx_conf DIR PORT: a private nginx.conf in DIR (pid file, logs and
# every *_temp_path in DIR), serving the localhost RSA chain over TLS with
# HTTP/2 on 127.0.0.1:PORT, from tests/peers/nginx.conf.in (which
# bench/alpn-each.sh uses too), or from the template TK_NGINX_TEMPLATE
# names (the same placeholders).
tk_nginx_conf() {
	sed -e "s|@DIR@|$1|g" -e "s|@PORT@|$2|g" -e "s|@TESTDATA@|$TESTDATA|g" \
	    "${TK_NGINX_TEMPLATE:-$TK_PEERS/nginx.conf.in}" >"$1/nginx.conf"
}

# tk_nginx_state DIR PORT: 0 when nginx ($SERVER_PID) listens on PORT and
# has written its PID file (which it does after opening its sockets), 2
# when its error log says another process holds PORT, 1 otherwise (not
# yet).
tk_nginx_state() {
	local dir=$1 port=$2

	if grep -q "bind() to 127\.0\.0\.1:$port failed (98" \
	    "$dir/error.log" "$SERVER_ERR" 2>/dev/null; then
		return 2
	fi
	[[ $(cat "$dir/nginx.pid" 2>/dev/null) == "$SERVER_PID" ]] || return 1
	tk_listen_ports "$SERVER_PID" | grep -qx "4 $port"
}

# tk_start_nginx NAME: nginx as docs/ARCHITECTURE.md, "Real peers", says
# (foreground, private prefix), on a port from tk_free_port, retried with
# a new port (at most 3 tries) when another process took it first.  Sets
# PORT.
tk_start_nginx() {
	local name=$1 dir=$BATS_TEST_TMPDIR/$1 try port i rc

	[[ -x $TK_NGINX ]] ||
	    fail "$TK_NGINX is missing (Debian package nginx-light)"
	for ((try = 1; try <= 3; try++)); do
		rm -rf "$dir"
		mkdir -p "$dir"
		port=$(tk_free_port)
		[[ $port =~ ^[0-9]+$ ]] || fail "no free port from python3"
		tk_nginx_conf "$dir" "$port"
		rm -f "$BATS_TEST_TMPDIR/$name.out"
		tk_spawn "$name" "$TK_NGINX" -p "$dir/" -e "$dir/error.log" \
		    -c "$dir/nginx.conf"
		rc=1
		for ((i = 0; i < 200; i++)); do
			rc=0
			tk_nginx_state "$dir" "$port" || rc=$?
			[[ $rc == 1 ]] || break
			tk_gone "$SERVER_PID" &&
			    fail "nginx exited before it was ready: $(tk_server_log "$name")"
			sleep 0.05
		done
		if [[ $rc == 0 ]]; then
			PORT=$port
			return 0
		fi
		tk_stop_pid "$SERVER_PID"
		[[ $rc == 2 ]] ||
		    fail "nginx not ready in time: $(tk_server_log "$name")"
		echo "# nginx lost port $port to another process (try $try)" >&2
	done
	fail "nginx could not bind a free port in 3 tries"
}

# tk_server_log NAME: the stdout and stderr of server NAME (and its
# error.log, for the servers that keep their own).
tk_server_log() {
	cat "$BATS_TEST_TMPDIR/$1.out" "$BATS_TEST_TMPDIR/$1.err" \
	    "$BATS_TEST_TMPDIR/$1/error.log" 2>/dev/null
}

# tk_stop_pid PID: SIGTERM, wait (about 3 s) until it is gone, else SIGKILL
# (the process, then its session's process group: nginx's workers go with
# it).
tk_stop_pid() {
	local pid=$1 i

	if ! tk_gone "$pid"; then
		kill -TERM "$pid" 2>/dev/null
		for ((i = 0; i < 60; i++)); do
			tk_gone "$pid" && break
			sleep 0.05
		done
		if ! tk_gone "$pid"; then
			echo "# server $pid ignored SIGTERM: SIGKILL" >&2
			kill -KILL "$pid" 2>/dev/null
			kill -KILL -- "-$pid" 2>/dev/null
		fi
	fi
	wait "$pid" 2>/dev/null || true
}

# tk_stop_servers: stop every server the test started, by PID; when the
# test did not complete, dump each one's logs into the bats output.
tk_stop_servers() {
	local pid name

	[[ -n ${TK_PIDS:-} && -f $TK_PIDS ]] || return 0
	while read -r pid name; do
		[[ -n $pid ]] || continue
		tk_stop_pid "$pid"
		if [[ ${BATS_TEST_COMPLETED:-} != 1 ]]; then
			echo "# --- server $name (pid $pid) log:" >&2
			tk_server_log "$name" | sed 's/^/# /' >&2
		fi
	done <"$TK_PIDS"
	: >"$TK_PIDS"
}

# --- peers and ports ---------------------------------------------------------

# tk_free_port: a TCP port on 127.0.0.1 that the kernel had free a moment
# ago (bound to port 0, then closed).  Only for servers that cannot bind
# port 0 (nginx) and for a port that must be closed.
tk_free_port() {
	"$TK_PYTHON" -c '
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# tk_closed_port: a port on 127.0.0.1 that nothing listens on (the kernel
# had it free a moment ago, and no LISTEN entry has it).  Sets
# CLOSED_PORT.
tk_closed_port() {
	local hex

	CLOSED_PORT=$(tk_free_port)
	[[ $CLOSED_PORT =~ ^[0-9]+$ ]] || fail "no free port from python3"
	hex=$(printf '%04X' "$CLOSED_PORT")
	if awk -v h="$hex" 'FNR > 1 && $4 == "0A" && $2 ~ (":" h "$")' \
	    /proc/net/tcp /proc/net/tcp6 | grep -q .; then
		fail "port $CLOSED_PORT is listening"
	fi
}

# tk_peer_echo TEXT CMD...: run a line-oriented TLS client CMD (openssl
# s_client, gnutls-cli) with its stdin on a FIFO, bounded by timeout 20:
# send TEXT and a newline, wait (bounded) until TEXT comes back as a line
# of its stdout, then close its stdin so that it ends.  Sets PEER_STATUS,
# PEER_OUT and PEER_ERR (files).
tk_peer_echo() {
	local text=$1 fifo pid fd

	shift
	fifo=$(mktemp -u "$BATS_TEST_TMPDIR/peer.XXXXXX")
	mkfifo "$fifo"
	PEER_OUT=$fifo.out
	PEER_ERR=$fifo.err
	timeout 20 "$@" <"$fifo" >"$PEER_OUT" 2>"$PEER_ERR" 3>&- &
	pid=$!
	# read-write: opening never blocks, even if the client died early
	exec {fd}<>"$fifo"
	printf '%s\n' "$text" >&"$fd"
	# a failure shows in tk_assert_peer_echo, with the client's output
	tk_wait_for "$pid" "the echo of '$text' from $1" \
	    tk_has_echo "$PEER_OUT" "$text" 2>/dev/null || true
	exec {fd}>&-
	PEER_STATUS=0
	wait "$pid" || PEER_STATUS=$?
	rm -f "$fifo"
}

tk_has_echo() {
	tr -d '\r' <"$1" | grep -qxF -- "$2"
}

# tk_assert_peer_echo TEXT: the last tk_peer_echo ended with status 0 and
# TEXT came back as a line.
tk_assert_peer_echo() {
	if [[ $PEER_STATUS != 0 ]] || ! tk_has_echo "$PEER_OUT" "$1"; then
		fail "peer client: status $PEER_STATUS, echo of '$1' $(
		    tk_has_echo "$PEER_OUT" "$1" && echo seen || echo missing)
--- stdout:
$(cat "$PEER_OUT")
--- stderr:
$(cat "$PEER_ERR")"
	fi
}

# shellcheck source=tests/lib-starttls.bash
source "$BATS_TEST_DIRNAME/lib-starttls.bash"
# shellcheck source=tests/lib-scan.bash
source "$BATS_TEST_DIRNAME/lib-scan.bash"
