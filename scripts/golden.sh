#!/usr/bin/env bash
# golden.sh: golden-file tests of what every tool prints.
#
#   scripts/golden.sh [--check] [--only TOOL]  compare with the expected files
#   scripts/golden.sh --update [--only TOOL]   rewrite tests/golden/expected
#   scripts/golden.sh --list [--only TOOL]     print the case names
#
# Each case runs one command line against servers this script starts on
# free loopback ports and writes tests/golden/expected/TOOL.CASE.out: the
# command line, the exit status, standard output and standard error, after
# the normalization below.  --check (the default) writes the same files
# into a temp dir and prints a unified diff of every file that differs
# (or is missing, or is stale), exiting 1 on any drift.  TOOL is a tool's
# name (tls-check-cert) or its short form (check-cert).
#
# The binaries come from $TK_BUILD/tools (default build/).  Servers are
# tls-echo-server processes on 127.0.0.1:0, their ports read back from
# their ready lines; they are stopped by PID on exit.  tls-echo-server's
# own cases run a --once server per case and record what the server
# prints.  Times that depend on the day are pinned with --at where a tool
# has it; where it has not, the days left are normalized (below).
#
# Some of what is pinned is not tlskit's own: cipher suites, groups and
# alert texts come from the linked GnuTLS (Debian 12's), fingerprints and
# PEM from the committed testdata/.  A new GnuTLS or testdata/gen.sh run
# shows as drift too: read the diff, then --update.
set -euo pipefail

# a TK_BUILD relative to the caller's directory, made absolute first
if [[ -n ${TK_BUILD:-} ]]; then
	TK_BUILD=$(cd "$TK_BUILD" && pwd)
fi
cd "$(dirname "$0")/.."
SRC=$PWD
TK_BUILD=${TK_BUILD:-$SRC/build}
TOOLS=$TK_BUILD/tools
EXPECTED=tests/golden/expected
# relative paths, so that the command lines recorded carry no local path
TD=testdata
# Debian's python3, as tests/helpers.bash (only for a free port)
TK_PYTHON=${TK_PYTHON:-/usr/bin/python3}

mode=check
only=
while (($#)); do
	case $1 in
	--check) mode=check ;;
	--update) mode=update ;;
	--list) mode=list ;;
	--only)
		if [[ $# -lt 2 ]]; then
			echo "golden.sh: --only needs a tool" >&2
			exit 2
		fi
		only=${2#tls-}
		shift
		;;
	-h | --help)
		sed -n '2,/^set /{/^set /d;s/^# \{0,1\}//;p}' "$0"
		exit 0
		;;
	*)
		echo "golden.sh: unknown argument '$1' (see --help)" >&2
		exit 2
		;;
	esac
	shift
done
case ${only:-all} in
all | echo-server | echo-client | check-cert | starttls | alpn-probe) ;;
*) echo "golden.sh: no such tool '$only'" >&2; exit 2 ;;
esac

for t in tls-echo-server tls-echo-client tls-check-cert tls-starttls \
    tls-alpn-probe; do
	if [[ ! -x $TOOLS/$t ]]; then
		echo "golden.sh: $TOOLS/$t is not built" \
		    "(ninja -C build, or set TK_BUILD)" >&2
		exit 2
	fi
done

# The environment the tools read: no colour, no proxy, C locale, UTC.
export NO_COLOR=1 LC_ALL=C TZ=UTC
unset https_proxy HTTPS_PROXY http_proxy HTTP_PROXY all_proxy ALL_PROXY \
    no_proxy NO_PROXY SSL_CERT_FILE SSL_CERT_DIR

WORK=$(mktemp -d "${TMPDIR:-/tmp}/golden.XXXXXX")
# the shared servers (never reaped before cleanup, so their PIDs stay
# ours) and the --once server of the case running, until it is reaped
PIDS=()
ONCE_PID=
# the ports of the servers started here and their names, for normalize
PORTS=()
PORT_NAMES=()
# the port of the --once server of the tls-echo-server case running
ONCE_PORT=

# --- processes --------------------------------------------------------------

# gone PID: the process has exited (absent, or a zombie not reaped yet).
gone() {
	local stat state

	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
	state=${stat##*) }
	state=${state%% *}
	[[ -z $state || $state == Z || $state == X ]]
}

# stop PID: SIGTERM, wait (about 3 s) until it is gone, else SIGKILL.
stop() {
	local pid=$1 i

	if ! gone "$pid"; then
		kill -TERM "$pid" 2>/dev/null || true
		for ((i = 0; i < 60; i++)); do
			gone "$pid" && break
			sleep 0.05
		done
		gone "$pid" || kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
}

cleanup() {
	local pid

	for pid in "${PIDS[@]}" $ONCE_PID; do
		stop "$pid"
	done
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ready_port FILE: the port of the first ready line of tls-echo-server in
# FILE, text or JSON; nothing if there is none yet.
ready_port() {
	sed -n -e 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' \
	    -e 's/^{"event":"listening","address":"[^"]*:\([0-9]*\)"}$/\1/p' \
	    "$1" 2>/dev/null | head -n 1
}

# wait_ready PID FILE: poll every 50 ms (at most 10 s) until FILE has a
# ready line; fails at once if PID exits first.  Prints the port.
wait_ready() {
	local pid=$1 file=$2 i port

	for ((i = 0; i < 200; i++)); do
		port=$(ready_port "$file")
		if [[ -n $port ]]; then
			echo "$port"
			return 0
		fi
		gone "$pid" && return 1
		sleep 0.05
	done
	return 1
}

# serve NAME ARGS...: a shared tls-echo-server on 127.0.0.1:0 with ARGS;
# sets P_NAME to its port.
serve() {
	local name=$1 pid port

	shift
	setsid "$TOOLS/tls-echo-server" --listen 127.0.0.1:0 "$@" \
	    </dev/null >"$WORK/srv-$name.out" 2>"$WORK/srv-$name.err" 3>&- &
	pid=$!
	PIDS+=("$pid")
	port=$(wait_ready "$pid" "$WORK/srv-$name.out") || {
		echo "golden.sh: server $name did not start:" >&2
		cat "$WORK/srv-$name.out" "$WORK/srv-$name.err" >&2
		exit 1
	}
	PORTS+=("$port")
	PORT_NAMES+=("$name")
	printf -v "P_$name" '%s' "$port"
}

# free_port: a loopback port nothing listens on (the kernel had it free a
# moment ago).
free_port() {
	"$TK_PYTHON" -c '
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# --- normalization ----------------------------------------------------------
#
# What changes from run to run is replaced by a placeholder; everything
# else stays byte for byte, so that a change in wording, field order,
# verdict words or exit status shows as a diff.
# - Ports: the port of each server started here (and the refused one)
#   becomes PORT-NAME after a colon (targets, addresses, messages): NAME
#   says which server, so that input order stays visible (PORT-ok,
#   PORT-wrong, PORT-closed, PORT-once for a case's own --once server).
#   The clients' own ephemeral ports in tls-echo-server's log lines and
#   records, and any other 4- or 5-digit port after 127.0.0.1 or [::1],
#   become PORT.
# - Times: JSON "t_ms" and "duration_ms" values and every value in a
#   "timings_ms" object become MS; in text, "12.3 ms" becomes "T ms",
#   "12ms" "Tms", and the right-aligned times of the tls-starttls -v
#   transcript "T ms".
# - Days left: only where the case has no --at (tls-echo-client and
#   tls-alpn-probe have none): "(26691 days left)" becomes "(N days left)"
#   and "days_left":26691 "days_left":N.  Cases with --at keep their
#   numbers: those are part of the output pinned.
# - Paths and PIDs: the temp dir is TMP, the build dir's tools/ prefix is
#   dropped, tls-echo-server[1234] and "pid 1234" become PID.
# - Session IDs, key shares and other random session values: none of the
#   tools prints them in the cases here, so nothing is replaced.
normalize() {
	local days=$1 i expr=()

	# first the clients' ports in tls-echo-server's log lines and JSON
	# records, which may by chance equal a port named below
	expr+=(-e 's/^127\.0\.0\.1:[0-9]+ /127.0.0.1:PORT /'
	    -e 's/"peer":"127\.0\.0\.1:[0-9]+"/"peer":"127.0.0.1:PORT"/')
	[[ -z $ONCE_PORT ]] || expr+=(-e "s/:$ONCE_PORT\\b/:PORT-once/g")
	for i in "${!PORTS[@]}"; do
		expr+=(-e "s/:${PORTS[i]}\\b/:PORT-${PORT_NAMES[i]}/g")
	done
	expr+=(
	    -e 's/(127\.0\.0\.1|\[::1\]):[0-9]{4,5}\b/\1:PORT/g'
	    -e 's/"(t_ms|duration_ms)":[0-9][0-9.e+-]*/"\1":MS/g'
	    -e ':t'
	    -e 's/("timings_ms":\{[^}]*"[a-z_]+":)[0-9][0-9.e+-]*/\1MS/'
	    -e 't t'
	    -e 's/^ *[0-9]+\.[0-9]+ ms ([CS])/T ms \1/'
	    -e 's/\b[0-9]+(\.[0-9]+)? ms\b/T ms/g'
	    -e 's/\b[0-9]+ms\b/Tms/g'
	    -e "s|$WORK|TMP|g"
	    -e "s|$TOOLS/||g"
	    -e 's/tls-echo-server\[[0-9]+\]/tls-echo-server[PID]/g'
	    -e 's/\bpid [0-9]+/pid PID/g')
	if [[ $days == yes ]]; then
		expr+=(
		    -e 's/\(-?[0-9]+ days( left)?\)/(N days\1)/g'
		    -e 's/"days_left":-?[0-9]+/"days_left":N/g')
	fi
	sed -E "${expr[@]}"
}

# --- cases ------------------------------------------------------------------

OUT=
CASES=()

# selected TOOL: the case belongs to the tool --only names (or to any).
selected() {
	[[ -z $only || $1 == "tls-$only" ]]
}

# days_mode ARGS...: "yes" when the days left must be normalized (no --at).
days_mode() {
	local a

	for a in "$@"; do
		[[ $a == --at || $a == --at=* ]] && { echo no; return; }
	done
	echo yes
}

# record FILE CMDLINE RC STDOUT STDERR [NOTE]: one case's file.
record() {
	local file=$1 cmd=$2 rc=$3 out=$4 err=$5 note=${6:-}

	{
		printf '$ %s\n' "$cmd"
		[[ -z $note ]] || printf '%s\n' "$note"
		printf 'exit %s\n' "$rc"
		echo '--- stdout'
		cat "$out"
		echo '--- stderr'
		cat "$err"
	} >"$file.raw"
}

# quote ARGS...: the words as a shell would need them, joined by spaces.
quote() {
	local s

	printf -v s '%q ' "$@"
	echo "${s% }"
}

# run NAME [--stdin TEXT] TOOL ARGS...: a client tool's case.
run() {
	local name=$1 input='' tool rc f

	shift
	if [[ $1 == --stdin ]]; then
		input=$2
		shift 2
	fi
	tool=$1
	shift
	selected "$tool" || return 0
	CASES+=("$tool.$name")
	[[ $mode != list ]] || return 0
	f=$WORK/run/$tool.$name
	rc=0
	printf '%s' "$input" | timeout 30 "$TOOLS/$tool" "$@" \
	    >"$f.stdout" 2>"$f.stderr" || rc=$?
	record "$f" "$(quote "$tool" "$@")" "$rc" "$f.stdout" "$f.stderr" \
	    "$([[ -z $input ]] || printf 'stdin: %q' "$input")"
	normalize "$(days_mode "$@")" <"$f.raw" >"$OUT/$tool.$name.out"
}

# server NAME SERVER-ARGS... -- [CLIENT ARGS...]: a tls-echo-server case.
# The server is started with SERVER-ARGS; once it is ready (or has exited:
# a usage or listen error), the client command, if any, runs with @PORT@
# replaced by the server's port, then the server (--once) is waited for,
# at most 10 s.  What is recorded is the server's command line and
# output; the client's command line and status are a note.
server() {
	local name=$1 sargs=() cargs=() pid port rc note='' crc i f

	shift
	while [[ $1 != -- ]]; do
		sargs+=("$1")
		shift
	done
	shift
	cargs=("$@")
	selected tls-echo-server || return 0
	CASES+=("tls-echo-server.$name")
	[[ $mode != list ]] || return 0
	f=$WORK/run/tls-echo-server.$name
	setsid "$TOOLS/tls-echo-server" "${sargs[@]}" </dev/null \
	    >"$f.stdout" 2>"$f.stderr" 3>&- &
	pid=$!
	ONCE_PID=$pid
	if port=$(wait_ready "$pid" "$f.stdout") && ((${#cargs[@]})); then
		ONCE_PORT=$port
		cargs=("${cargs[@]//@PORT@/$port}")
		crc=0
		timeout 30 "$TOOLS/${cargs[0]}" "${cargs[@]:1}" \
		    >"$f.client.out" 2>"$f.client.err" </dev/null || crc=$?
		note="client: $(quote "${cargs[@]}") => exit $crc"
	fi
	for ((i = 0; i < 200; i++)); do
		gone "$pid" && break
		sleep 0.05
	done
	if gone "$pid"; then
		rc=0
		wait "$pid" || rc=$?
	else
		stop "$pid"
		rc="(still running after 10 s: stopped)"
	fi
	ONCE_PID=
	record "$f" "$(quote tls-echo-server "${sargs[@]}")" "$rc" \
	    "$f.stdout" "$f.stderr" "$note"
	normalize yes <"$f.raw" >"$OUT/tls-echo-server.$name.out"
	ONCE_PORT=
}

# cases: every case, in the order they run.  The P_* ports are set by
# serve (printf -v) before this runs.
# shellcheck disable=SC2154
cases() {
	local ca=(--ca "$TD/ca.crt") inter=(--ca "$TD/intermediate.crt")
	local r=(--resolve localhost:127.0.0.1) L=localhost:
	local at=(--at 2030-01-01) soon=(--at 2099-12-15) lo=127.0.0.1:0
	local rsa=(--cert "$TD/localhost-rsa-chain.pem"
	    --key "$TD/localhost-rsa.key")
	local cc=(tls-check-cert "${ca[@]}" "${at[@]}" "${r[@]}")
	local ccsoon=(tls-check-cert "${ca[@]}" "${soon[@]}" "${r[@]}")
	local ccf=(tls-check-cert "${ca[@]}" "${at[@]}")
	local ec=(tls-echo-client "${ca[@]}" "${r[@]}")
	local st=(tls-starttls "${ca[@]}" "${at[@]}" "${r[@]}")
	local stsoon=(tls-starttls "${ca[@]}" "${soon[@]}" "${r[@]}")
	local ap=(tls-alpn-probe "${ca[@]}" "${r[@]}")

	# tls-check-cert: --at pins the days left.
	run ok "${cc[@]}" "$L$P_ok"
	run ok-json "${cc[@]}" --json "$L$P_ok"
	run ok-verbose "${cc[@]}" -v "$L$P_ok"
	run warn-expires-soon "${ccsoon[@]}" "$L$P_ok"
	run warn-expires-soon-json "${ccsoon[@]}" --json "$L$P_ok"
	run warn-incomplete-chain "${cc[@]}" "${inter[@]}" "$L$P_missing"
	run crit-days "${ccsoon[@]}" --crit-days 20 "$L$P_ok"
	run fail-wrong-name "${cc[@]}" "$L$P_wrong"
	run fail-wrong-name-json "${cc[@]}" --json "$L$P_wrong"
	run fail-expired "${cc[@]}" "$L$P_expired"
	run fail-untrusted "${cc[@]}" "$L$P_unknown"
	run fail-missing-intermediate "${cc[@]}" "$L$P_missing"
	run network-refused "${cc[@]}" "$L$P_closed"
	run network-refused-json "${cc[@]}" --json "$L$P_closed"
	run tls-version-mismatch "${cc[@]}" --min-version 1.3 "$L$P_tls12"
	run tls-version-mismatch-json "${cc[@]}" --json --min-version 1.3 \
	    "$L$P_tls12"
	run usage-unknown-option tls-check-cert --bogus "$L$P_ok"
	run usage-bad-number tls-check-cert --warn-days soon "$L$P_ok"
	run usage-no-target tls-check-cert "${ca[@]}"
	run file-ok "${ccf[@]}" --file "$TD/localhost-rsa-chain.pem"
	run file-ok-json "${ccf[@]}" --json --file "$TD/localhost-rsa-chain.pem"
	run file-wrong-name "${ccf[@]}" --hostname wrong.example \
	    --file "$TD/localhost-rsa-chain.pem"
	run file-garbage "${ccf[@]}" --file "$TD/garbage.pem"
	run nagios-ok "${cc[@]}" --nagios "$L$P_ok"
	run nagios-warning "${ccsoon[@]}" --nagios "$L$P_ok"
	run nagios-critical "${cc[@]}" --nagios "$L$P_wrong"
	run nagios-unknown "${cc[@]}" --nagios "$L$P_closed"
	run targets-input-order "${cc[@]}" "$L$P_wrong" "$L$P_ok" \
	    "$L$P_expired" "$L$P_closed"
	run targets-input-order-json "${cc[@]}" --json "$L$P_expired" "$L$P_ok"
	run all-addresses "${ccf[@]}" --all-addresses \
	    --resolve "localhost:127.0.0.1,127.0.0.2" "$L$P_ok"
	run pem "${cc[@]}" --pem "$L$P_ok"

	# tls-echo-client: no --at, the days left are normalized.
	run ok "${ec[@]}" -m hello "$L$P_ok"
	run ok-json "${ec[@]}" --json -m hello "$L$P_ok"
	run ok-verbose "${ec[@]}" -v -m hello "$L$P_tls12"
	run stdin-lines --stdin $'one\ntwo words\n\nthree\n' "${ec[@]}" \
	    "$L$P_ok"
	run starttls-line "${ec[@]}" --starttls line -m hello "$L$P_line"
	run warn-incomplete-chain "${ec[@]}" "${inter[@]}" -m hello \
	    "$L$P_missing"
	run warn-incomplete-chain-json "${ec[@]}" "${inter[@]}" --json \
	    -m hello "$L$P_missing"
	run fail-wrong-name "${ec[@]}" -m hello "$L$P_wrong"
	run fail-wrong-name-json "${ec[@]}" --json -m hello "$L$P_wrong"
	run fail-expired "${ec[@]}" -m hello "$L$P_expired"
	run fail-untrusted "${ec[@]}" -m hello "$L$P_unknown"
	run insecure "${ec[@]}" -k -m hello "$L$P_wrong"
	run network-refused "${ec[@]}" -m hello "$L$P_closed"
	run network-refused-json "${ec[@]}" --json -m hello "$L$P_closed"
	run tls-version-mismatch "${ec[@]}" --min-version 1.3 -m hello \
	    "$L$P_tls12"
	run tls-version-mismatch-json "${ec[@]}" --json --min-version 1.3 \
	    -m hello "$L$P_tls12"
	run usage-no-target tls-echo-client "${ca[@]}"
	run usage-bad-number tls-echo-client "${ca[@]}" --count x "$L$P_ok"

	# tls-starttls against tls-echo-server --starttls smtp (and imap).
	run smtp-ok "${st[@]}" --proto smtp "$L$P_smtp"
	run smtp-ok-json "${st[@]}" --json --proto smtp "$L$P_smtp"
	run smtp-ok-verbose "${st[@]}" -v --proto smtp "$L$P_smtp"
	run smtp-url "${st[@]}" "smtp://$L$P_smtp"
	run smtp-warn-expires-soon "${stsoon[@]}" --proto smtp "$L$P_smtp"
	run smtp-warn-expires-soon-json "${stsoon[@]}" --json --proto smtp \
	    "$L$P_smtp"
	run smtp-fail-wrong-name "${st[@]}" --hostname wrong.example \
	    --proto smtp "$L$P_smtp"
	run smtp-fail-wrong-name-json "${st[@]}" --json \
	    --hostname wrong.example --proto smtp "$L$P_smtp"
	run smtp-network-refused "${st[@]}" --proto smtp "$L$P_closed"
	run smtp-network-refused-json "${st[@]}" --json --proto smtp \
	    "$L$P_closed"
	run smtp-tls-version-mismatch "${st[@]}" --min-version 1.3 \
	    --proto smtp "$L$P_smtp12"
	run smtp-tls-version-mismatch-json "${st[@]}" --json --min-version 1.3 \
	    --proto smtp "$L$P_smtp12"
	run imap-ok "${st[@]}" --proto imap "$L$P_imap"
	run usage-no-proto tls-starttls "${ca[@]}" "$L$P_smtp"
	run usage-unknown-proto tls-starttls "${ca[@]}" --proto gopher \
	    "$L$P_smtp"

	# tls-alpn-probe against a server selecting from h2,http/1.1; no
	# --at, the days left are normalized.
	run ok "${ap[@]}" --alpn http/1.1,h2 "$L$P_ok"
	run ok-json "${ap[@]}" --json --alpn http/1.1,h2 "$L$P_ok"
	run ok-verbose "${ap[@]}" -v "$L$P_ok"
	run each-order "${ap[@]}" --order --alpn h2,http/1.1,spdy/3 "$L$P_ok"
	run each-order-json "${ap[@]}" --json --order \
	    --alpn h2,http/1.1,spdy/3 "$L$P_ok"
	run expect-not-met "${ap[@]}" --expect http/1.1 "$L$P_ok"
	run no-alpn-server "${ap[@]}" "$L$P_tls12"
	run warn-incomplete-chain "${ap[@]}" "${inter[@]}" "$L$P_missing"
	run fail-wrong-name "${ap[@]}" "$L$P_wrong"
	run fail-wrong-name-json "${ap[@]}" --json "$L$P_wrong"
	run network-refused "${ap[@]}" "$L$P_closed"
	run tls-no-common-protocol "${ap[@]}" --alpn foo "$L$P_ok"
	run tls-no-common-protocol-json "${ap[@]}" --json --alpn foo "$L$P_ok"
	run tls-version-mismatch "${ap[@]}" --min-version 1.3 "$L$P_tls12"
	run usage-no-target tls-alpn-probe "${ca[@]}"

	# tls-echo-server: one --once server per case, its output recorded.
	server once-ok --once --listen "$lo" "${rsa[@]}" -- \
	    "${ec[@]}" -m hello "${L}@PORT@"
	server once-ok-json --once --json --listen "$lo" "${rsa[@]}" \
	    --alpn h2 -- "${ec[@]}" --alpn h2 -m hello "${L}@PORT@"
	server once-tls-fail --once --listen "$lo" "${rsa[@]}" \
	    --max-version 1.2 -- \
	    "${ec[@]}" --min-version 1.3 -m hello "${L}@PORT@"
	server once-tls-fail-json --once --json --listen "$lo" "${rsa[@]}" \
	    --max-version 1.2 -- \
	    "${ec[@]}" --min-version 1.3 -m hello "${L}@PORT@"
	server once-client-cert-json --once --json --listen "$lo" "${rsa[@]}" \
	    "${ca[@]}" --require-client-cert -- \
	    "${ec[@]}" --cert "$TD/client-chain.pem" --key "$TD/client.key" \
	    -m hello "${L}@PORT@"
	server once-client-cert-untrusted --once --listen "$lo" "${rsa[@]}" \
	    "${ca[@]}" --request-client-cert -- \
	    "${ec[@]}" --cert "$TD/client-other.crt" \
	    --key "$TD/client-other.key" -m hello "${L}@PORT@"
	server once-smtp --once --listen "$lo" "${rsa[@]}" --starttls smtp -- \
	    "${st[@]}" --proto smtp "${L}@PORT@"
	server once-verbose --once -v --listen "$lo" "${rsa[@]}" -- \
	    "${ec[@]}" -m hello "${L}@PORT@"
	server listen-in-use --listen "127.0.0.1:$P_ok" "${rsa[@]}" --
	server listen-in-use-json --json --listen "127.0.0.1:$P_ok" \
	    "${rsa[@]}" --
	server usage-unknown-option --bogus --
	server usage-bad-starttls "${rsa[@]}" --starttls gopher --
	server usage-missing-cert --cert "$TD/no-such-file.pem" --
}

# --- main -------------------------------------------------------------------

if [[ $mode == list ]]; then
	for s in ok wrong expired unknown missing tls12 smtp smtp12 imap line \
	    closed; do
		printf -v "P_$s" '%s' 0
	done
	cases
	printf '%s\n' "${CASES[@]}"
	exit 0
fi

start=${EPOCHREALTIME/./}
mkdir -p "$WORK/run" "$WORK/actual"
serve ok --cert "$TD/localhost-rsa-chain.pem" \
    --key "$TD/localhost-rsa.key" --alpn h2,http/1.1
serve wrong --cert "$TD/wrongname-chain.pem" --key "$TD/wrongname.key"
serve expired --cert "$TD/expired-chain.pem" --key "$TD/expired.key"
serve unknown --cert "$TD/unknownca-chain.pem" --key "$TD/unknownca.key"
serve missing --cert "$TD/missing-intermediate-chain.pem" \
    --key "$TD/missing-intermediate.key"
serve tls12 --cert "$TD/localhost-rsa-chain.pem" \
    --key "$TD/localhost-rsa.key" --max-version 1.2
serve smtp --cert "$TD/localhost-rsa-chain.pem" \
    --key "$TD/localhost-rsa.key" --starttls smtp
serve smtp12 --cert "$TD/localhost-rsa-chain.pem" \
    --key "$TD/localhost-rsa.key" --starttls smtp --max-version 1.2
serve imap --cert "$TD/localhost-rsa-chain.pem" \
    --key "$TD/localhost-rsa.key" --starttls imap
serve line --cert "$TD/localhost-rsa-chain.pem" \
    --key "$TD/localhost-rsa.key" --starttls line
P_closed=$(free_port)
[[ $P_closed =~ ^[0-9]+$ ]] || { echo "golden.sh: no free port" >&2; exit 1; }
PORTS+=("$P_closed")
PORT_NAMES+=(closed)

if [[ $mode == update ]]; then
	OUT=$EXPECTED
	mkdir -p "$OUT"
	if [[ -z $only ]]; then
		rm -f "$OUT"/*.out
	else
		rm -f "$OUT/tls-$only".*.out
	fi
else
	OUT=$WORK/actual
fi
cases
elapsed=$(((${EPOCHREALTIME/./} - start) / 100000))
elapsed=$((elapsed / 10)).$((elapsed % 10))

if [[ $mode == update ]]; then
	printf 'golden.sh: wrote %d cases into %s in %s s\n' \
	    "${#CASES[@]}" "$EXPECTED" "$elapsed"
	exit 0
fi

drift=0
for c in "${CASES[@]}"; do
	if [[ ! -f $EXPECTED/$c.out ]]; then
		echo "golden.sh: $c: no expected file (golden.sh --update)"
		drift=1
	elif ! diff -u --label "expected/$c.out" --label "actual/$c.out" \
	    "$EXPECTED/$c.out" "$OUT/$c.out"; then
		drift=1
	fi
done
# an expected file no case writes any more is drift too
for f in "$EXPECTED"/*.out; do
	[[ -e $f ]] || continue
	c=$(basename "$f" .out)
	selected "${c%%.*}" || continue
	[[ -e $OUT/$c.out ]] || {
		echo "golden.sh: $c: expected file but no such case (stale)"
		drift=1
	}
done
if ((drift)); then
	echo "golden.sh: drift from $EXPECTED" \
	    "(scripts/golden.sh --update to accept it)"
	exit 1
fi
printf 'golden.sh: %d cases match %s (%s s)\n' "${#CASES[@]}" "$EXPECTED" \
    "$elapsed"
