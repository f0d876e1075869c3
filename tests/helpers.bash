# Helpers shared by the tls-echo-* bats tests (echo-tlskit.bats,
# echo-peers.bats, bad-input.bats): paths, servers started in the
# background on port 0 with the real port read back, peer clients fed
# through a FIFO, bounded polls, teardown by PID and log dumps on failure.
#
# - Servers bind port 0.  tlskit's server reports the port in its ready
#   line ("listening on ADDR:PORT", or the JSON "listening" event); peers
#   that cannot (gnutls-serv -p 0 prints no port) have it read from /proc:
#   the socket inodes of THAT PID against the LISTEN entries of
#   /proc/net/tcp and tcp6.  No port is ever guessed.
# - Every wait is a poll every 50 ms with a bound (about 10 s) that fails
#   at once if the process died; there is no sleep-and-hope.
# - Every server is started with setsid, </dev/null, its own log files and
#   fd 3 closed (bats waits for fd 3 holders); it is stopped by its PID,
#   never by name.
#
# Every function here starts with a name no other helper file uses
# (alpn-helpers.bash uses ap_*, check-cert-helpers.bash cc_* and is never
# loaded next to this file).

# shellcheck disable=SC2034 # EXIT_STATUS, PORT6, PEER_* are read by the tests

bats_require_minimum_version 1.5.0

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

TK_SRC=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
TK_BUILD=${TK_BUILD:-$BATS_TEST_DIRNAME/../build}
TESTDATA=${TESTDATA:-$TK_SRC/testdata}
TK_SERVER=$TK_BUILD/tools/tls-echo-server
TK_CLIENT=$TK_BUILD/tools/tls-echo-client
# Debian's python3-* and the ssl module as the system built it (the python3
# on PATH may be a pyenv interpreter: docs/ARCHITECTURE.md, "Real peers")
TK_PYTHON=${TK_PYTHON:-/usr/bin/python3}
export NO_COLOR=1

# tk_setup: the per-test checks and state; call it from setup().
tk_setup() {
	local tool

	for tool in "$TK_SERVER" "$TK_CLIENT"; do
		[[ -x $tool ]] ||
		    fail "$tool is not built (ninja -C build, or set TK_BUILD)"
	done
	TK_PIDS=$BATS_TEST_TMPDIR/servers.pids
	: >"$TK_PIDS"
}

# tk_teardown: stop the servers; call it from teardown().
tk_teardown() {
	stop_servers
}

# client ARGS...: tlskit's echo client, bounded in time.
client() {
	timeout 20 "$TK_CLIENT" "$@"
}

# --- processes -------------------------------------------------------------

# tk_gone PID: the process has exited (absent, or a zombie that PID 1 has
# not reaped yet: kill -0 still succeeds on those).
tk_gone() {
	local stat state

	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
	state=${stat##*) }
	state=${state%% *}
	[[ -z $state || $state == Z || $state == X ]]
}

# wait_for PID WHAT CMD...: run CMD every 50 ms until it succeeds, at most
# about 10 s; fail if PID (0: none) exits first or the time runs out.
# WHAT names the condition in the failure message.
wait_for() {
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

# wait_exit PID: wait (bounded, about 10 s) for a background child of this
# shell to exit; sets EXIT_STATUS.
wait_exit() {
	local pid=$1

	wait_for 0 "process $pid to exit" tk_gone "$pid"
	EXIT_STATUS=0
	wait "$pid" || EXIT_STATUS=$?
}

# file_has FILE REGEX [COUNT]: FILE has at least COUNT (default 1) lines
# matching the extended REGEX.
file_has() {
	local n

	n=$(grep -Ec -- "$2" "$1" 2>/dev/null) || n=0
	((n >= ${3:-1}))
}

# --- servers ---------------------------------------------------------------

# tk_spawn NAME CMD...: start CMD in its own session with fd 3 closed, its
# output in $BATS_TEST_TMPDIR/NAME.out and NAME.err; records its PID
# (SERVER_PID) for stop_servers.
tk_spawn() {
	local name=$1 dir=$BATS_TEST_TMPDIR

	shift
	[[ ! -e $dir/$name.out ]] || fail "server name $name used twice"
	setsid "$@" </dev/null >"$dir/$name.out" 2>"$dir/$name.err" 3>&- &
	SERVER_PID=$!
	printf '%s %s\n' "$SERVER_PID" "$name" >>"$TK_PIDS"
}

# listen_addrs FILE: the addresses (ADDR:PORT) of the ready lines of
# tls-echo-server, text ("listening on ADDR:PORT") or JSON
# ({"event":"listening","address":"ADDR:PORT"}), one a line.
listen_addrs() {
	sed -n -e 's/^listening on \(.*:[0-9][0-9]*\)$/\1/p' \
	    -e '/^{.*"event":"listening"/s/^.*"address":"\([^"]*:[0-9][0-9]*\)".*$/\1/p' \
	    "$1" 2>/dev/null
}

# start_server NAME CMD...: start a tls-echo-server command line and wait
# until it printed one ready line per --listen/-l (at least one).  Sets
# SERVER_PID, PORT (from the first ready line) and PORT6 (from the first
# [::1] one, if any).
start_server() {
	local name=$1 want=0 arg out addrs

	shift
	for arg in "$@"; do
		[[ $arg == --listen || $arg == -l || $arg == --listen=* ]] &&
		    want=$((want + 1))
	done
	((want > 0)) || want=1
	tk_spawn "$name" "$@"
	out=$BATS_TEST_TMPDIR/$name.out
	wait_for "$SERVER_PID" "$want ready line(s) from server $name" \
	    tk_ready "$out" "$want"
	addrs=$(listen_addrs "$out")
	PORT=$(head -n 1 <<<"$addrs")
	PORT=${PORT##*:}
	PORT6=$(grep -m 1 '^\[::1\]:' <<<"$addrs" || true)
	PORT6=${PORT6##*:}
	[[ $PORT =~ ^[0-9]+$ && $PORT != 0 ]] ||
	    fail "server $name: no port in its ready line: $(cat "$out")"
}

tk_ready() {
	(($(listen_addrs "$1" | wc -l) >= $2))
}

# start_echo NAME [ARGS...]: tls-echo-server on 127.0.0.1:0 (unless ARGS
# has a --listen) with the localhost RSA chain (unless ARGS has a --cert).
start_echo() {
	local name=$1 args=("$TK_SERVER")

	shift
	[[ " $* " == *' --listen '* ]] || args+=(--listen 127.0.0.1:0)
	[[ " $* " == *' --cert '* ]] || args+=(
	    --cert "$TESTDATA/localhost-rsa-chain.pem"
	    --key "$TESTDATA/localhost-rsa.key")
	start_server "$name" "${args[@]}" "$@"
}

# listen_ports PID: the TCP ports PID listens on, as "4 PORT" (from
# /proc/net/tcp) or "6 PORT ADDR" (from /proc/net/tcp6, ADDR in the
# kernel's hex), one a line: its socket inodes from /proc/PID/fd matched
# against the entries in state 0A (LISTEN).
listen_ports() {
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

	ports=$(listen_ports "$1")
	p=$(awk '$1 == 4 { print $2; exit }' <<<"$ports")
	if [[ -z $p && $(cat /proc/sys/net/ipv6/bindv6only 2>/dev/null) == 0 ]]; then
		p=$(awk '$1 == 6 && $3 ~ /^0+$/ { print $2; exit }' <<<"$ports")
	fi
	[[ -n $p ]] && echo "$p"
}

tk_has_v4_port() {
	[[ -n $(tk_v4_port "$1") ]]
}

# start_peer_on_free_port NAME CMD...: start a peer server that binds port
# 0 but cannot say which port it got (CMD must ask for port 0: gnutls-serv
# -p 0, openssl s_server -accept 0); wait until THAT process listens and
# read its port from /proc.  Sets SERVER_PID and PORT (IPv4).
start_peer_on_free_port() {
	local name=$1

	shift
	tk_spawn "$name" "$@"
	wait_for "$SERVER_PID" "peer $name to listen" tk_has_v4_port "$SERVER_PID"
	PORT=$(tk_v4_port "$SERVER_PID")
	[[ $PORT =~ ^[0-9]+$ && $PORT != 0 ]] || fail "peer $name: no port"
}

# server_log NAME: the stdout and stderr of server NAME.
server_log() {
	cat "$BATS_TEST_TMPDIR/$1.out" "$BATS_TEST_TMPDIR/$1.err" 2>/dev/null
}

# stop_pid PID: SIGTERM, wait (about 3 s) until it is gone, else SIGKILL
# (the process, then its session's process group).
stop_pid() {
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

# stop_servers: stop every server the test started, by PID; when the test
# did not complete, dump each one's stdout and stderr into the bats output.
stop_servers() {
	local pid name dir=$BATS_TEST_TMPDIR

	[[ -n ${TK_PIDS:-} && -f $TK_PIDS ]] || return 0
	while read -r pid name; do
		[[ -n $pid ]] || continue
		stop_pid "$pid"
		if [[ ${BATS_TEST_COMPLETED:-} != 1 ]]; then
			echo "# --- server $name (pid $pid) stdout:" >&2
			sed 's/^/# /' "$dir/$name.out" >&2 2>/dev/null
			echo "# --- server $name (pid $pid) stderr:" >&2
			sed 's/^/# /' "$dir/$name.err" >&2 2>/dev/null
		fi
	done <"$TK_PIDS"
	: >"$TK_PIDS"
}

# --- peers and ports -------------------------------------------------------

# closed_port: a port on 127.0.0.1 that nothing listens on (the kernel had
# it free a moment ago, and no LISTEN entry has it).  Sets CLOSED_PORT.
closed_port() {
	local hex

	CLOSED_PORT=$("$TK_PYTHON" -c '
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()')
	[[ $CLOSED_PORT =~ ^[0-9]+$ ]] || fail "no free port from python3"
	hex=$(printf '%04X' "$CLOSED_PORT")
	if awk -v h="$hex" 'FNR > 1 && $4 == "0A" && $2 ~ (":" h "$")' \
	    /proc/net/tcp /proc/net/tcp6 | grep -q .; then
		fail "port $CLOSED_PORT is listening"
	fi
}

# peer_echo TEXT CMD...: run a line-oriented TLS client CMD (openssl
# s_client, gnutls-cli) with its stdin on a FIFO, bounded by timeout 20:
# send TEXT and a newline, wait (bounded) until TEXT comes back as a line
# of its stdout, then close its stdin so that it ends.  Sets PEER_STATUS,
# PEER_OUT and PEER_ERR (files).
peer_echo() {
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
	# a failure shows in assert_peer_echo, with the client's output
	wait_for "$pid" "the echo of '$text' from $1" \
	    tk_has_echo "$PEER_OUT" "$text" 2>/dev/null || true
	exec {fd}>&-
	PEER_STATUS=0
	wait "$pid" || PEER_STATUS=$?
	rm -f "$fifo"
}

tk_has_echo() {
	tr -d '\r' <"$1" | grep -qxF -- "$2"
}

# assert_peer_echo TEXT: the last peer_echo ended with status 0 and TEXT
# came back as a line.
assert_peer_echo() {
	if [[ $PEER_STATUS != 0 ]] || ! tk_has_echo "$PEER_OUT" "$1"; then
		fail "peer client: status $PEER_STATUS, echo of '$1' $(
		    tk_has_echo "$PEER_OUT" "$1" && echo seen || echo missing)
--- stdout:
$(cat "$PEER_OUT")
--- stderr:
$(cat "$PEER_ERR")"
	fi
}
