# Helpers for tests/check-cert.bats: paths, peer servers on port 0 with the
# real port read back (tls-echo-server's and openssl s_server's ready lines,
# /proc for gnutls-serv), teardown by PID, and fixtures made at test time
# (OCSP responses, short-lived and must-staple leaves) in the bats temp dir.
#
# Every server is started with setsid, </dev/null, its own log files and fd
# 3 closed; readiness is a bounded poll, never a sleep; stop is by PID.

bats_require_minimum_version 1.5.0

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

# cc_init: the variables every test uses.
cc_init() {
	SRC=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
	TK_BUILD=${TK_BUILD:-$SRC/build}
	CHECK=$TK_BUILD/tools/tls-check-cert
	ECHO_SERVER=$TK_BUILD/tools/tls-echo-server
	TD=$SRC/testdata
	CC_PIDS=${CC_PIDS:-$BATS_TEST_TMPDIR/server.pids}
	[[ -x $CHECK ]] || fail "$CHECK is not built (set TK_BUILD)"
	[[ -x $ECHO_SERVER ]] || fail "$ECHO_SERVER is not built (set TK_BUILD)"
	export NO_COLOR=1
}

# cc_check ARGS...: tls-check-cert with the test CA, bounded in time.
cc_check() {
	timeout 60 "$CHECK" --ca "$TD/ca.crt" "$@"
}

# The PID of a server is gone (exited or a zombie).
cc_gone() {
	local state

	[[ -r /proc/$1/stat ]] || return 0
	state=$(sed 's/^.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null) || return 0
	[[ -z $state || $state == Z || $state == X ]]
}

# cc_spawn NAME CMD...: start a server in its own session; its PID goes to
# CC_PID and to the PID file, its output to $BATS_TEST_TMPDIR/NAME.{out,err}.
cc_spawn() {
	local name=$1

	shift
	CC_OUT=$BATS_TEST_TMPDIR/$name.out
	CC_ERR=$BATS_TEST_TMPDIR/$name.err
	setsid "$@" </dev/null >"$CC_OUT" 2>"$CC_ERR" 3>&- &
	CC_PID=$!
	printf '%s %s\n' "$CC_PID" "$name" >>"$CC_PIDS"
}

# cc_wait_for CMD...: poll CMD (bounded, about 10 s) until it succeeds;
# fail with the server's logs if the server dies or never gets ready.
cc_wait_for() {
	local i

	for ((i = 0; i < 400; i++)); do
		if "$@"; then
			return 0
		fi
		if cc_gone "$CC_PID"; then
			fail "server $CC_PID exited before it was ready:
$(cat "$CC_OUT" "$CC_ERR")"
		fi
		sleep 0.025
	done
	fail "server $CC_PID not ready in time:
$(cat "$CC_OUT" "$CC_ERR")"
}

cc_has_line() {
	grep -q "$1" "$CC_OUT" 2>/dev/null
}

# cc_listen_port PID: the port of a TCP socket PID listens on, IPv4 first
# (from the socket inodes in /proc/PID/fd and the LISTEN entries, state
# 0A, of /proc/net/tcp and tcp6).  Prints nothing if there is none yet.
cc_listen_port() {
	local pid=$1 inodes f

	inodes=$(for f in "/proc/$pid/fd"/*; do readlink "$f"; done 2>/dev/null |
	    sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p' | tr '\n' ' ')
	[[ -n $inodes ]] || return 0
	for f in /proc/net/tcp /proc/net/tcp6; do
		awk -v inodes=" $inodes" '
		    NR > 1 && $4 == "0A" && index(inodes, " " $10 " ") {
			    split($2, a, ":"); print a[2]; exit
		    }' "$f" | while read -r hex; do
			echo $((16#$hex))
		done | grep . && return 0
	done
	return 0
}

cc_has_listen_port() {
	[[ -n $(cc_listen_port "$CC_PID") ]]
}

# start_echo NAME CHAIN KEY [ARGS...]: tlskit's server on 127.0.0.1:0;
# sets PORT (and PORT6 when ARGS add a [::1]:0 listener).
start_echo() {
	local name=$1 chain=$2 key=$3

	shift 3
	cc_spawn "$name" "$ECHO_SERVER" --cert "$chain" --key "$key" \
	    --listen 127.0.0.1:0 "$@"
	cc_wait_for cc_has_line '^listening on 127\.0\.0\.1:[0-9]*$'
	if [[ " $* " == *' [::1]:0 '* ]]; then
		cc_wait_for cc_has_line '^listening on \[::1\]:[0-9]*$'
		# shellcheck disable=SC2034 # used by the tests
		PORT6=$(sed -n 's/^listening on \[::1\]:\([0-9]*\)$/\1/p' \
		    "$CC_OUT")
	fi
	PORT=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$CC_OUT")
	[[ $PORT =~ ^[0-9]+$ ]] || fail "no port in $(cat "$CC_OUT")"
}

# start_openssl NAME ARGS...: openssl s_server -accept 0 -www; sets PORT.
# SECLEVEL 0 so that it serves the weak test certificates at all.
start_openssl() {
	local name=$1

	shift
	cc_spawn "$name" openssl s_server -accept 0 -www \
	    -cipher 'DEFAULT:@SECLEVEL=0' "$@"
	cc_wait_for cc_has_line '^ACCEPT .*:[0-9]*$'
	PORT=$(sed -n 's/^ACCEPT .*:\([0-9]*\)$/\1/p' "$CC_OUT" | head -n 1)
	[[ $PORT =~ ^[0-9]+$ ]] || fail "no port in $(cat "$CC_OUT")"
}

# start_gnutls NAME CHAIN KEY [ARGS...]: gnutls-serv -p 0, which reports
# no port: it is read from /proc.  Sets PORT.
start_gnutls() {
	local name=$1 chain=$2 key=$3

	shift 3
	cc_spawn "$name" gnutls-serv -p 0 --x509certfile "$chain" \
	    --x509keyfile "$key" "$@"
	cc_wait_for cc_has_listen_port
	PORT=$(cc_listen_port "$CC_PID")
	[[ $PORT =~ ^[0-9]+$ ]] || fail "no port for gnutls-serv"
}

# start_server TYPE NAME CHAIN KEY: one of echo, openssl, gnutls serving
# CHAIN (leaf first) with KEY.
start_server() {
	local type=$1 name=$2 chain=$3 key=$4 rest

	case $type in
	echo)
		start_echo "$name" "$chain" "$key"
		;;
	openssl)
		rest=$BATS_TEST_TMPDIR/$name.rest.pem
		awk 'n { print } /^-----END CERTIFICATE-----/ { n = 1 }' \
		    "$chain" >"$rest"
		local first=$BATS_TEST_TMPDIR/$name.leaf.pem
		awk '{ print } /^-----END CERTIFICATE-----/ { exit }' \
		    "$chain" >"$first"
		if [[ -s $rest ]]; then
			start_openssl "$name" -cert "$first" -key "$key" \
			    -cert_chain "$rest"
		else
			start_openssl "$name" -cert "$first" -key "$key"
		fi
		;;
	gnutls)
		start_gnutls "$name" "$chain" "$key"
		;;
	*)
		fail "unknown server type $type"
		;;
	esac
}

# start_silent: a socket that listens and never answers (the kernel
# completes the connection; nothing reads).  Sets PORT.
start_silent() {
	cc_spawn silent /usr/bin/python3 -c '
import socket, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(1024)
print("listening on 127.0.0.1:%d" % s.getsockname()[1], flush=True)
while True:
    time.sleep(3600)
'
	cc_wait_for cc_has_line '^listening on 127\.0\.0\.1:[0-9]*$'
	PORT=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$CC_OUT")
}

# stop_servers [PIDFILE]: TERM each server by PID, wait (bounded) until it
# is gone, KILL it otherwise.  Dumps the logs when the test failed.
stop_servers() {
	local pids=${1:-$CC_PIDS} pid name i

	[[ -f $pids ]] || return 0
	while read -r pid name; do
		if [[ ${BATS_TEST_COMPLETED:-} != 1 && -n $name ]]; then
			echo "# --- server $name (pid $pid) log:" >&2
			cat "${pids%/*}/$name.out" "${pids%/*}/$name.err" \
			    2>/dev/null | sed 's/^/# /' >&2
		fi
		kill -TERM "$pid" 2>/dev/null || continue
		for ((i = 0; i < 200; i++)); do
			cc_gone "$pid" && break
			sleep 0.025
		done
		cc_gone "$pid" || kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null || true
	done <"$pids"
	rm -f "$pids"
}

# cc_no_inet TRACE: the strace log shows the tool ran to its end and made
# no IPv4 or IPv6 socket.
cc_no_inet() {
	grep -q '+++ exited with' "$1" ||
	    fail "strace did not trace the tool: $(cat "$1")"
	if grep -E 'socket\(AF_INET6?,' "$1"; then
		fail "the tool opened a network socket"
	fi
}

# cc_traced ARGS...: tls-check-cert under strace, its socket calls in
# $BATS_TEST_TMPDIR/strace.log.  strace exits with the tool's status.
# LeakSanitizer cannot run under ptrace: leak checks are off here only.
cc_traced() {
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
	    timeout 60 strace -f -o "$BATS_TEST_TMPDIR/strace.log" \
	    -e trace=socket,connect "$CHECK" "$@"
}

# cc_leaf NAME TEMPLATE-LINES: an ECDSA P-256 leaf for localhost and
# 127.0.0.1 signed by testdata/intermediate, made now with certtool;
# writes NAME.key, NAME.crt, NAME-chain.pem in the test's temp dir.
cc_leaf() {
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
	    --load-ca-certificate "$TD/intermediate.crt" \
	    --load-ca-privkey "$TD/intermediate.key" \
	    --template "$d/$name.tmpl" --no-text \
	    --outfile "$d/$name.crt" >/dev/null 2>&1 ||
	    fail "certtool could not make $name.crt"
	cat "$d/$name.crt" "$TD/intermediate.crt" >"$d/$name-chain.pem"
}

# cc_ocsp OUT CERT STATUS [SIGNER-CRT SIGNER-KEY]: a DER OCSP response
# for CERT (issued by testdata/intermediate) with STATUS good, revoked or
# unknown, signed by the intermediate unless another signer is given.
cc_ocsp() {
	local out=$1 cert=$2 status=$3 scrt=${4:-$TD/intermediate.crt}
	local skey=${5:-$TD/intermediate.key} serial subject idx

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
	    -CA "$TD/intermediate.crt" -issuer "$TD/intermediate.crt" \
	    -cert "$cert" -respout "$out" -ndays 7 -no_nonce \
	    >/dev/null 2>&1 || fail "openssl ocsp could not make $out"
	[[ -s $out ]] || fail "openssl ocsp wrote no $out"
}
