#!/usr/bin/env bats
# What the tools print, the same way in every tool (man/tlskit.7, OUTPUT
# and JSON OUTPUT): JSON timings of steps that never ran, the key fields
# of the chain, peer control bytes in JSON and text, -q, colour, the
# failing certificate marked, and each failure said once on a terminal.
# Terminals are real: `script` gives the tool a pty for stdout.
#
# Two servers for the whole file (setup_file): a plain one (-q, so its
# stderr holds only errors) and an SMTP STARTTLS one.

load lib

setup_file() {
	local BATS_TEST_TMPDIR=$BATS_FILE_TMPDIR

	TK_PIDS=$BATS_FILE_TMPDIR/servers.pids
	: >"$TK_PIDS"
	tk_start_echo plain -q
	PLAIN_PORT=$PORT
	PLAIN_ERR=$SERVER_ERR
	PLAIN_OUT=$SERVER_OUT
	tk_start_echo smtp --starttls smtp
	SMTP_PORT=$PORT
	tk_closed_port
	# a certificate whose name holds ESC: peer text with a control byte
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$BATS_FILE_TMPDIR/esc.key" -out "$BATS_FILE_TMPDIR/esc.pem" \
	    -days 30 -utf8 -subj "/CN=evil$(printf '\033')[31mred" 2>/dev/null ||
	    fail "openssl could not make the ESC certificate"
	export PLAIN_PORT PLAIN_ERR PLAIN_OUT SMTP_PORT CLOSED_PORT
}

teardown_file() {
	local BATS_TEST_COMPLETED=1

	TK_PIDS=$BATS_FILE_TMPDIR/servers.pids tk_stop_servers
}

# on_tty CMD: CMD with a pty for stdout and stderr (both in $output, with
# CR LF line ends as a terminal gets them); the status is CMD's.
on_tty() {
	run timeout 60 script -qec "$1" /dev/null </dev/null
}

# count TEXT: how many lines of $output hold TEXT.
count() {
	grep -cF -- "$1" <<<"$output" || true
}

st() {
	timeout 20 "$TK_STARTTLS" --ca "$TK_CA" --timeout 5 "$@"
}

# --- 1. JSON -----------------------------------------------------------------

@test "JSON timings_ms: a refused connect has a connect time and handshake null, not 0" {
	run -3 --separate-stderr tk_check --json "127.0.0.1:$CLOSED_PORT"
	jq -e '.timings_ms | (.connect | type == "number") and
	    (.resolve | type == "number") and .handshake == null and
	    (.total | type == "number")' <<<"$output" || fail "$output"
	run -3 --separate-stderr st --json --proto smtp "127.0.0.1:$CLOSED_PORT"
	jq -e '.timings_ms | .starttls == null and .handshake == null and
	    (.connect | type == "number")' <<<"$output" || fail "$output"
	# a run that got through has every step timed
	run -0 --separate-stderr tk_check --json "localhost:$PLAIN_PORT"
	jq -e '.timings_ms | [.resolve, .connect, .handshake, .total] |
	    all(type == "number")' <<<"$output" || fail "$output"
}

@test "JSON verdict in every client tool: a target that could not be judged is \"error\" with the failed step as reason" {
	local tool
	for tool in tls-check-cert tls-echo-client tls-alpn-probe; do
		run -3 --separate-stderr "$TK_BUILD/tools/$tool" --json \
		    "127.0.0.1:$CLOSED_PORT"
		jq -e '.verdict == "error" and .reason == "connect" and
		    .exit_code == 3 and .findings == []' <<<"$output" ||
		    fail "$tool: $output"
	done
	run -3 --separate-stderr st --json --proto smtp "127.0.0.1:$CLOSED_PORT"
	jq -e '.verdict == "error" and .reason == "connect"' <<<"$output" ||
	    fail "tls-starttls: $output"
}

@test "JSON chain[]: key_type and key_bits beside key (RSA 2048, ECDSA 256)" {
	run -0 --separate-stderr tk_check --json "localhost:$PLAIN_PORT"
	jq -e '.chain[0] | .key == "RSA 2048" and .key_type == "RSA" and
	    .key_bits == 2048' <<<"$output" || fail "$output"
	run -0 --separate-stderr tk_check --json --hostname localhost \
	    --file "$TESTDATA/localhost-ecdsa-chain.pem"
	jq -e '.chain[0] | .key_type == "ECDSA" and .key_bits == 256 and
	    (.key | startswith("ECDSA "))' <<<"$output" || fail "$output"
}

@test "peer control bytes: JSON has the byte (\\u001b), text the visible \\x1B" {
	run -1 --separate-stderr tk_check --json --file "$BATS_FILE_TMPDIR/esc.pem"
	# the JSON text escapes the byte itself; no literal backslash-x
	grep -qiF '"subject":"CN=evil\u001b[31mred"' <<<"$output" || fail "$output"
	[[ $output != *'\\x1B'* ]] || fail "JSON holds the text escape: $output"
	jq -e '.chain[0].subject == "CN=evil\u001b[31mred"' <<<"$output" ||
	    fail "$output"
	run -1 --separate-stderr tk_check --file "$BATS_FILE_TMPDIR/esc.pem"
	assert_line '  #0 CN=evil\x1B[31mred'
	[[ $output != *$'\033'* ]] || fail "raw ESC in the text output"
}

# --- 2. -q -------------------------------------------------------------------

@test "-q, tls-check-cert: the verdict line on stdout, nothing on stderr" {
	run -0 --separate-stderr tk_check -q "localhost:$PLAIN_PORT"
	assert_equal "${#lines[@]}" 1
	assert_line -n 0 --regexp "^OK +localhost:$PLAIN_PORT: valid for localhost "
	assert_equal "$stderr" ''
}

@test "-q, tls-starttls: the verdict line on success too, nothing on stderr" {
	run -0 --separate-stderr st -q "smtp://localhost:$SMTP_PORT"
	assert_equal "${#lines[@]}" 1
	assert_line -n 0 --regexp "^OK +smtp://localhost:$SMTP_PORT: valid for localhost "
	assert_equal "$stderr" ''
}

@test "-q, tls-alpn-probe: stdout as without -q, nothing on stderr" {
	local plain

	run -0 --separate-stderr tk_probe "localhost:$PLAIN_PORT"
	plain=$output
	[[ -n $plain ]] || fail "no result without -q"
	run -0 --separate-stderr tk_probe -q "localhost:$PLAIN_PORT"
	assert_equal "$output" "$plain"
	assert_equal "$stderr" ''
}

@test "-q, tls-echo-client: the echo on stdout, no warning on stderr" {
	run -0 --separate-stderr tk_client --insecure --message hello \
	    "localhost:$PLAIN_PORT"
	assert_output hello
	[[ $stderr == *'not verified'* ]] || fail "no --insecure warning: $stderr"
	run -0 --separate-stderr tk_client -q --insecure --message hello \
	    "localhost:$PLAIN_PORT"
	assert_output hello
	assert_equal "$stderr" ''
}

@test "--insecure says so on stderr in tls-alpn-probe and tls-starttls as in tls-echo-client; -q keeps it quiet" {
	run -0 --separate-stderr tk_probe --insecure "localhost:$PLAIN_PORT"
	assert_equal "$stderr" "tls-alpn-probe: localhost:$PLAIN_PORT: warning: certificate not verified (--insecure)"
	run -0 --separate-stderr st --insecure "smtp://localhost:$SMTP_PORT"
	assert_equal "$stderr" "tls-starttls: smtp://localhost:$SMTP_PORT: warning: certificate not verified (--insecure)"
	run -0 --separate-stderr tk_probe -q --insecure "localhost:$PLAIN_PORT"
	assert_equal "$stderr" ''
	run -0 --separate-stderr st -q --insecure "smtp://localhost:$SMTP_PORT"
	assert_equal "$stderr" ''
}

@test "-q, tls-echo-server: the ready line on stdout, no record of a clean connection" {
	run -0 --separate-stderr tk_client --ca "$TK_CA" --message q \
	    "localhost:$PLAIN_PORT"
	grep -q "^listening on 127.0.0.1:$PLAIN_PORT\$" "$PLAIN_OUT" ||
	    fail "$(cat "$PLAIN_OUT")"
	[[ ! -s $PLAIN_ERR ]] || fail "server stderr: $(cat "$PLAIN_ERR")"
}

@test "-q keeps errors: a refused target is on stderr when stdout is redirected" {
	local tool

	for tool in tk_check tk_probe "st --proto smtp"; do
		run -3 --separate-stderr $tool -q "127.0.0.1:$CLOSED_PORT"
		assert_equal "${#lines[@]}" 1
		[[ $stderr == *"127.0.0.1:$CLOSED_PORT: connect: "* ]] ||
		    fail "$tool -q: no error on stderr: $stderr"
	done
	run -3 --separate-stderr tk_client -q --ca "$TK_CA" --message x \
	    "127.0.0.1:$CLOSED_PORT"
	[[ $stderr == *"127.0.0.1:$CLOSED_PORT: connect: "* ]] ||
	    fail "tls-echo-client -q: no error on stderr: $stderr"
}

# --- 3. colour and the chain -------------------------------------------------

@test "colour: a terminal gets it, TERM=dumb and NO_COLOR do not" {
	local cmd="$TK_CHECK --ca $TK_CA 127.0.0.1:$CLOSED_PORT"

	on_tty "env -u NO_COLOR TERM=xterm $cmd"
	assert_equal "$status" 3
	[[ $output == *$'\033[31m'* ]] || fail "no colour on a terminal: $output"
	on_tty "env -u NO_COLOR TERM=dumb $cmd"
	assert_equal "$status" 3
	assert_output --partial 'ERROR'
	[[ $output != *$'\033'* ]] || fail "colour with TERM=dumb: $output"
	on_tty "env NO_COLOR=1 TERM=xterm $cmd"
	[[ $output != *$'\033'* ]] || fail "colour with NO_COLOR: $output"
	on_tty "env -u NO_COLOR TERM=dumb $cmd --color always"
	[[ $output == *$'\033[31m'* ]] || fail "--color always: $output"
}

@test "the failing certificate is marked, and expiry reads 'expired N days ago'" {
	run -1 --separate-stderr tk_check --hostname localhost \
	    --file "$TESTDATA/expired-chain.pem"
	assert_line '! #0 CN=localhost  <- expired'
	assert_line '  #1 CN=tlskit Test Intermediate CA'
	assert_line --regexp '^     valid     2010-01-01T00:00:00Z to 2011-01-01T00:00:00Z \(expired [0-9]+ days ago\)$'
	refute_output --regexp '-[0-9]+ days'
	# the JSON keeps its number
	run -1 --separate-stderr tk_check --json --hostname localhost \
	    --file "$TESTDATA/expired-chain.pem"
	jq -e '.chain[0].days_left < 0' <<<"$output" || fail "$output"
}

# --- 4. once on a terminal ---------------------------------------------------

@test "a failure is printed once on a terminal, copied to stderr when redirected" {
	local t="127.0.0.1:$CLOSED_PORT" msg="connect: cannot connect to"
	local -a tools=("$TK_CHECK --ca $TK_CA" "$TK_PROBE --ca $TK_CA"
	    "$TK_STARTTLS --ca $TK_CA --proto smtp")
	local tool

	for tool in "${tools[@]}"; do
		on_tty "$tool $t"
		assert_equal "$status" 3
		assert_equal "$(count "$msg")" 1
		# stdout redirected: the verdict line there, the copy on stderr
		run -3 --separate-stderr $tool "$t"
		assert_equal "$(count "$msg")" 1
		[[ $stderr == *"$t: $msg"* ]] || fail "$tool: no stderr copy"
		# --json on a terminal: stderr still says it
		on_tty "$tool --json $t"
		assert_equal "$(grep -c "^tls-[a-z-]*: $t: $msg" <<<"$output")" 1
	done
}

@test "tls-alpn-probe on a terminal: a chain that fails verification is said once (its probe lines cannot say it)" {
	on_tty "$TK_PROBE --ca $TK_CA --hostname wrong.example 127.0.0.1:$PLAIN_PORT"
	assert_equal "$status" 1
	assert_equal "$(count "name-mismatch")" 1
	# a probe error its line quotes stays once
	on_tty "$TK_PROBE --ca $TK_CA 127.0.0.1:$CLOSED_PORT"
	assert_equal "$(count "connect: cannot connect to")" 1
}
