#!/usr/bin/env bats
#
# tls-echo-client's lines: --crlf against a TLS line server that wants
# CRLF (tests/peers/crlf_echo.py answers a bare-LF line with an error, as
# strict line servers do), and --starttls PROTO against tls-echo-server
# --starttls PROTO, whose server speaks PROTO inside TLS: the echo check
# fails, and the error says what came back.  The two servers are started
# once for the file (setup_file) and stopped by PID (teardown_file).

# SC2154: $stderr is set by bats' run --separate-stderr.
# shellcheck disable=SC2154

load lib

setup_file() {
	# the servers' logs and PIDs for the file, not one test
	BATS_TEST_TMPDIR=$BATS_FILE_TMPDIR
	TK_PIDS=$BATS_FILE_TMPDIR/servers.pids
	: >"$TK_PIDS"
	tk_start_server crlf "$TK_PYTHON" "$TK_PEERS/crlf_echo.py" \
	    "$TESTDATA/localhost-rsa-chain.pem" "$TESTDATA/localhost-rsa.key"
	export CRLF_PORT=$PORT
	tk_start_echo smtp --starttls smtp
	export SMTP_PORT=$PORT
	tk_start_echo line --starttls line
	export LINE_PORT=$PORT
	export TK_FILE_PIDS=$TK_PIDS
}

teardown_file() {
	BATS_TEST_TMPDIR=$BATS_FILE_TMPDIR
	TK_PIDS=$TK_FILE_PIDS
	BATS_TEST_COMPLETED=1 tk_stop_servers
}

# client ARGS...: tls-echo-client trusting the test CA, 10 s per step.
client() {
	tk_client --ca "$TK_CA" -t 10 "$@"
}

@test "--crlf: --message against a CRLF line server comes back (exit 0); without it, the server's complaint is shown (exit 1)" {
	run -0 --separate-stderr client --crlf --message hello \
	    "localhost:$CRLF_PORT"
	assert_output $'hello\r'
	assert_equal "$stderr" ''
	run -0 --separate-stderr client --json --crlf --message hello \
	    "localhost:$CRLF_PORT"
	tk_jqx '.echo.match == true and .echo.bytes_sent == 7 and
	    .echo.bytes_received == 7 and .error == null' "$output"
	# the control: LF alone is refused by this server
	run -1 --separate-stderr client --message hello "localhost:$CRLF_PORT"
	assert_equal "$stderr" "tls-echo-client: localhost:$CRLF_PORT: echo: the echo differs from what was sent at byte 0: the server sent '500 bare LF: lines end in CRLF\\x0D\\x0A'"
}

@test "--crlf: stdin's lines go out with CRLF, a CRLF already there is kept" {
	run -0 --separate-stderr client --crlf "localhost:$CRLF_PORT" \
	    < <(printf 'one\ntwo\r\nthree\n')
	assert_output "$(printf 'one\r\ntwo\r\nthree\r')"
	assert_equal "$stderr" ''
	run -0 --separate-stderr client --json --crlf "localhost:$CRLF_PORT" \
	    < <(printf 'one\ntwo\r\nthree\n')
	tk_jqx '.echo.match == true and .echo.bytes_sent == 17' "$output"
	# --crlf goes with lines: not with --count (exit 2, before I/O)
	run -2 --separate-stderr client --crlf -n 2 "localhost:$CRLF_PORT"
	[[ $stderr == *"--crlf goes with lines sent"* ]] || fail "stderr: $stderr"
}

@test "--starttls smtp against tls-echo-server --starttls smtp: the echo fails with the SMTP reply line; --handshake-only passes" {
	run -1 --separate-stderr client --starttls smtp --crlf --message NOOP \
	    "localhost:$SMTP_PORT"
	[[ $stderr =~ ^tls-echo-client:\ localhost:$SMTP_PORT:\ echo:\ the\ echo\ differs\ from\ what\ was\ sent\ at\ byte\ 0:\ the\ server\ sent\ \'250\ .*\\x0D\\x0A\'$ ]] ||
	    fail "stderr: $stderr"
	run -1 --separate-stderr client --json --starttls smtp \
	    --message hello "localhost:$SMTP_PORT"
	tk_jqx '.error.step == "echo" and .echo.match == false and
	    (.error.message | test("the server sent .5[0-9][0-9] "))' "$output"
	# the pair does work for the handshake
	run -0 --separate-stderr client --starttls smtp --handshake-only \
	    "localhost:$SMTP_PORT"
}

@test "--starttls line against tls-echo-server --starttls line: the echo inside TLS works" {
	run -0 --separate-stderr client --starttls line --message hello \
	    "localhost:$LINE_PORT"
	assert_output hello
}
