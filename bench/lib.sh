# shellcheck shell=bash disable=SC2034 # the paths: for the scripts
# What the bench scripts share.  Each sets BENCH_NAME (the prefix of its
# messages) and sources this file first:
#
#   BENCH_NAME=check-one
#   source "$(dirname "$0")/lib.sh"
#
# Sourcing moves to the top of the checkout, sets SRC, TK_BUILD (default
# build/), the tools in it (SERVER, CLIENT, CHECK, PROBE), TD (testdata/)
# and BENCH_DIR (a fresh temporary directory), and
# installs an EXIT trap that stops every process started with bench_spawn
# (by PID: TERM, then KILL after 5 s) and removes BENCH_DIR.  A script
# with more to undo sets BENCH_ON_EXIT to a function run first.  Every
# wait here is bounded; nothing sleeps and hopes.

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
SRC=$PWD
TK_BUILD=${TK_BUILD:-$SRC/build}
SERVER=$TK_BUILD/tools/tls-echo-server
CLIENT=$TK_BUILD/tools/tls-echo-client
CHECK=$TK_BUILD/tools/tls-check-cert
PROBE=$TK_BUILD/tools/tls-alpn-probe
TD=$SRC/testdata
START=$SECONDS
BENCH_PIDS=()
BENCH_ON_EXIT=
BENCH_DIR=$(mktemp -d -t "tlskit-$BENCH_NAME.XXXXXX")

# bench_die MESSAGE: says it on stderr, prefixed with the script's name,
# and exits 1 (the EXIT trap cleans up).
bench_die() {
	echo "$BENCH_NAME: $*" >&2
	exit 1
}

# bench_count WHAT VALUE MIN MAX: VALUE is an integer from MIN to MAX, or
# the script dies naming WHAT.
bench_count() {
	if ! [[ $2 =~ ^[0-9]+$ ]] || (($2 < $3 || $2 > $4)); then
		bench_die "$1 must be $3 to $4"
	fi
}

# bench_need CMD...: every CMD is on PATH, or the script dies.
bench_need() {
	local t

	for t in "$@"; do
		command -v "$t" >/dev/null ||
		    bench_die "$t is missing (scripts/deps.sh)"
	done
}

# bench_deadline: dies once DEADLINE seconds have passed since the start.
bench_deadline() {
	((SECONDS - START < DEADLINE)) ||
	    bench_die "deadline of $DEADLINE s reached${BENCH_PARTIAL:+; $BENCH_PARTIAL}"
}

# bench_gone PID: the process is gone (exited, or a zombie not yet reaped).
bench_gone() {
	local state

	[[ -r /proc/$1/stat ]] || return 0
	state=$(sed 's/^.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null) || return 0
	[[ -z $state || $state == Z || $state == X ]]
}

# bench_stop PID: SIGTERM, wait (at most 5 s) until it is gone, else
# SIGKILL to it and to its session's process group (setsid made it the
# leader: nginx's workers go with it).  An empty PID is ignored.
bench_stop() {
	local i

	[[ -n ${1:-} ]] || return 0
	kill -TERM "$1" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		bench_gone "$1" && break
		sleep 0.05
	done
	if ! bench_gone "$1"; then
		kill -KILL "$1" 2>/dev/null || true
		kill -KILL -- "-$1" 2>/dev/null || true
	fi
	wait "$1" 2>/dev/null || true
}

bench_cleanup() {
	local p

	[[ -z $BENCH_ON_EXIT ]] || "$BENCH_ON_EXIT"
	for p in "${BENCH_PIDS[@]}"; do
		bench_stop "$p"
	done
	rm -rf "$BENCH_DIR"
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

# bench_spawn NAME CMD...: CMD in its own session, stdin from /dev/null,
# stdout and stderr in $BENCH_DIR/NAME.out and NAME.err, fd 3 closed;
# sets BENCH_PID and adds it to what the EXIT trap stops.  Not in a
# command substitution: the PID must reach this shell.
bench_spawn() {
	local name=$1

	shift
	: >"$BENCH_DIR/$name.out"
	setsid "$@" </dev/null >"$BENCH_DIR/$name.out" \
	    2>"$BENCH_DIR/$name.err" 3>&- &
	BENCH_PID=$!
	BENCH_PIDS+=("$BENCH_PID")
}

# bench_ready NAME: wait (at most 10 s) until server NAME, the last
# spawned, printed its ready line ("listening on ADDR:PORT", as
# tls-echo-server and the Python peers do); sets BENCH_PORT to its port.
bench_ready() {
	local name=$1 i

	for ((i = 0; i < 200; i++)); do
		BENCH_PORT=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' \
		    "$BENCH_DIR/$name.out" | head -n 1)
		[[ -n $BENCH_PORT ]] && return 0
		bench_gone "$BENCH_PID" &&
		    bench_die "$name exited: $(cat "$BENCH_DIR/$name.err")"
		sleep 0.05
	done
	bench_die "$name printed no ready line"
}

# bench_free_port: a TCP port on 127.0.0.1 the kernel had free a moment
# ago, for servers that cannot bind port 0 and say which port they got.
bench_free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# bench_now_ns: the wall clock in nanoseconds.
bench_now_ns() {
	date +%s%N
}

# bench_median: the median of the numbers on stdin, one a line ("-" when
# there is none).
bench_median() {
	sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "-"; exit }
		if (NR % 2) print v[(NR + 1) / 2]
		else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# bench_rss_kb PID: its resident set in KiB (nothing when it is gone).
bench_rss_kb() {
	sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB$/\1/p' "/proc/$1/status" \
	    2>/dev/null || true
}
