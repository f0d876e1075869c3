#!/usr/bin/env bats
# tls-scan (issue #15) against hostile servers (tests/peers/scan_hostile.py):
# one that accepts every suite offered, one that answers garbage, one that
# closes right after its ServerHello, one that stalls.  tls-scan ends in
# bounded time (--timeout 1, --deadline 20, and timeout 60 around it as a
# backstop, never an assertion) with the exit code of tlskit(7) and one
# stderr line naming the target and the step.

load lib

HOSTILE=$TK_PEERS/scan_hostile.py

setup_file() {
	local BATS_TEST_TMPDIR=$BATS_FILE_TMPDIR kind

	TK_PIDS=$BATS_FILE_TMPDIR/servers.pids
	: >"$TK_PIDS"
	for kind in acceptall closehello garbage stall; do
		tk_start_server "$kind" "$TK_PYTHON" "$HOSTILE" "$kind"
		printf -v "PORT_${kind^^}" '%s' "$PORT"
	done
	export PORT_ACCEPTALL PORT_CLOSEHELLO PORT_GARBAGE PORT_STALL
}

teardown_file() {
	local BATS_TEST_COMPLETED=1

	TK_PIDS=$BATS_FILE_TMPDIR/servers.pids tk_stop_servers
}

setup() {
	tk_setup
	[[ -x $TK_SCAN ]] || fail "$TK_SCAN is not built"
}

# scan WANT PORT [ARGS...]: tls-scan --json against 127.0.0.1:PORT exits
# WANT; stdout is one JSON object for the target; stderr is one line
# "tls-scan: 127.0.0.1:PORT: STEP: REASON" when WANT is 3 or 4, and
# names the target when it is 1.
# shellcheck disable=SC2154 # stderr: set by bats' run --separate-stderr
scan() {
	local want=$1 port=$2 target=127.0.0.1:$2

	shift 2
	run -"$want" --separate-stderr timeout 60 "$TK_SCAN" --json \
	    --timeout 1 --deadline 20 "$@" "$target"
	tk_jqx ".target == \"$target\"" "$output"
	# the JSON says the exit status the process gave (tlskit(7))
	[[ $(jq .exit_code <<<"$output") == "$want" ]] ||
	    fail "exit $want, but the JSON's exit_code is $(jq -c '[.exit_code, .error]' <<<"$output")"
	case $want in
	3 | 4)
		assert_equal "$(grep -c . <<<"$stderr")" 1
		[[ $stderr =~ ^tls-scan:\ 127\.0\.0\.1:$port:\ [a-z][a-z0-9\ -]*:\ . ]] ||
		    fail "stderr does not name the target and the step: $stderr"
		;;
	1)
		[[ $stderr == "tls-scan: $target: "* ]] ||
		    fail "stderr does not name the target: $stderr"
		;;
	esac
}

@test "tls-scan: a server that stalls (accepts, never answers): exit 3, a timeout named, bounded" {
	scan 3 "$PORT_STALL"
	tk_jqx '.verdict == "error"' "$output"
	[[ $stderr == *"timed out"* ]] || fail "no timeout named: $stderr"
}

@test "tls-scan: a server that answers garbage: exit 4 (handshake), not a scan of nothing" {
	scan 4 "$PORT_GARBAGE"
	tk_jqx '.verdict == "error"' "$output"
	[[ $stderr == *handshake* ]] || fail "step is not the handshake: $stderr"
	tk_jqx '[.protocols // {} | .[] | select(. == true)] | length == 0' "$output"
}

@test "tls-scan: a server that closes after its ServerHello: exit 1 (handshake-failed), its one suite seen" {
	# tls-scan(1): 4 is "the server accepted no version offered"; this
	# one answers a hello that offers 0xC02F with a TLS 1.2 ServerHello
	# choosing it, so TLS 1.2 and that suite are seen, and no handshake
	# finishes: the fail finding handshake-failed, exit 1.
	scan 1 "$PORT_CLOSEHELLO"
	tk_jqx '.verdict == "fail"' "$output"
	tk_jqx 'any(.findings[]; .code == "handshake-failed" and .severity == "fail")' "$output"
	tk_jqx '[.protocols | to_entries[] | select(.value) | .key] == ["TLS1.2"]' "$output"
	tk_jqx '[.suites[].accepted[].code] == ["0xC02F"]' "$output"
}

@test "tls-scan: a server that 'accepts' every suite offered is not a normal server: exit 1, a fail finding" {
	# It answers any ClientHello with a ServerHello for the hello's first
	# suite (NULL, export, anonymous, unassigned codes, TLS 1.3 suites in a
	# TLS 1.0 hello) and no handshake can finish.  sslscan 2.0.7 lists
	# 1326 accepted suites and every version from SSL 2.0 up for it.
	# tls-scan must say the server is broken or lying (a finding at
	# "fail" severity, exit 1), not list what it echoed as accepted.
	scan 1 "$PORT_ACCEPTALL"
	tk_jqx '.verdict == "fail"' "$output"
	tk_jqx 'any(.findings[]; .code == "accepts-everything" and .severity == "fail")' "$output"
	# bounded work: elimination, not one connection per registry entry
	tk_jqx '.connections | type == "number" and . < 2000' "$output"
}

@test "tls-scan: the four hostile servers in one run end together, the worst exit (3) wins, one type per field" {
	run -3 --separate-stderr timeout 60 "$TK_SCAN" --json --timeout 1 \
	    --deadline 20 "127.0.0.1:$PORT_STALL" "127.0.0.1:$PORT_GARBAGE" \
	    "127.0.0.1:$PORT_CLOSEHELLO" "127.0.0.1:$PORT_ACCEPTALL"
	assert_equal "$(jq -s length <<<"$output")" 4
	# tlskit(7): a field's type never changes (null aside)
	local types
	types=$(jq -s -c 'map(.error | type) | map(select(. != "null")) | unique' <<<"$output")
	[[ $types == '[]' || $types =~ ^\[\"[a-z]+\"\]$ ]] ||
	    fail "the error field has several types: $types"
	local p
	for p in "$PORT_STALL" "$PORT_GARBAGE" "$PORT_CLOSEHELLO"; do
		grep -q "^tls-scan: 127\.0\.0\.1:$p: " <<<"$stderr" ||
		    fail "no error line for port $p: $stderr"
	done
}
