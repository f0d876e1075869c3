#!/usr/bin/env bats
# tls-starttls against tlskit's own server dialogues (tls-echo-server
# --starttls smtp, imap, pop3, line): the report in text and JSON, the
# transcript, verification failures, the injection probe, the default
# ports of the schemes, and --relay over the upgraded channel.  The real
# servers are in starttls-real.bats, the hostile ones in
# starttls-hostile.bats.

load lib

# st ARGS...: tls-starttls trusting the test CA, bounded in time.
st() {
	timeout 20 "$TK_STARTTLS" --ca "$TK_CA" --timeout 5 "$@"
}

# jq_ok FILTER: the JSON object in $output satisfies FILTER.
jq_ok() {
	jq -e "$1" >/dev/null <<<"$output" ||
	    fail "JSON does not satisfy: $1
$output"
}

@test "smtp://: OK, advertised, the answer and the capabilities before and inside TLS" {
	tk_start_echo smtp --starttls smtp
	run -0 --separate-stderr st "smtp://localhost:$PORT"
	assert_line --index 0 --regexp "^OK +smtp://localhost:$PORT: valid for localhost until 2099-12-31"
	assert_line "  starttls  smtp, advertised, answered '220 2.0.0 Ready to start TLS'"
	assert_line --regexp '^  before    .*STARTTLS'
	assert_line --regexp '^  inside    '
	assert_line --partial '#1 CN=tlskit Test Intermediate CA'
	assert_equal "$stderr" ''
}

@test "--json for smtp, imap, pop3 and line: the documented starttls fields" {
	local proto

	for proto in smtp imap pop3 line; do
		tk_start_echo "$proto" --starttls "$proto"
		run -0 st --json --proto "$proto" "localhost:$PORT"
		jq_ok ".tool == \"tls-starttls\" and .verdict == \"ok\" and
		    .exit_code == 0 and .error == null and
		    .starttls.protocol == \"$proto\" and
		    .starttls.injected_bytes == 0 and .starttls.injection == null"
		jq_ok '.starttls | (.caps_before | type) == "array" and
		    (.caps_after | type) == "array" and
		    (.transcript | length) >= 2 and .transcript_dropped == 0'
		jq_ok '[.starttls.transcript[] | keys] | unique ==
		    [["dir", "line", "t_ms", "tls"]]'
		jq_ok '[.starttls.transcript[].dir] | index("C") != null and
		    index("S") != null'
		jq_ok '.chain | length == 2'
		if [[ $proto == line ]]; then
			jq_ok '.starttls.advertised == null and
			    .starttls.answer == "READY"'
		else
			jq_ok '.starttls.advertised == true and
			    (.starttls.caps_before | length) > 0'
		fi
		tk_stop_servers
	done
}

@test "smtp: the phase inside TLS is in the transcript, after the go-ahead" {
	tk_start_echo smtp --starttls smtp
	run -0 st --json "smtp://localhost:$PORT"
	jq_ok '.starttls.transcript | map(select(.tls)) | length >= 2'
	jq_ok '.starttls.transcript | map(select(.tls))[0] |
	    .dir == "C" and (.line | startswith("EHLO "))'
	jq_ok '.starttls.transcript | map(.t_ms) | . == sort'
	jq_ok '.starttls.transcript | map(select(.tls | not)) | last |
	    .line == "220 2.0.0 Ready to start TLS"'
	jq_ok '.timings_ms | .starttls > 0 and .handshake > 0'
}

@test "-v: the plaintext transcript on stderr, line by line" {
	tk_start_echo imap --starttls imap
	run -0 --separate-stderr st -v "imap://localhost:$PORT"
	[[ $stderr == *' C: a2 STARTTLS'* ]] || fail "no STARTTLS in: $stderr"
	[[ $stderr == *' S: a2 OK '* ]] || fail "no tagged OK in: $stderr"
	[[ $stderr =~ [0-9]\.[0-9]\ ms\ S:\ \*\ OK ]] || fail "no greeting: $stderr"
}

@test "a name the certificate does not have: exit 1, one stderr line naming verify" {
	tk_start_echo smtp --starttls smtp
	run -1 --separate-stderr st --hostname wrong.example "smtp://127.0.0.1:$PORT"
	assert_line --index 0 --regexp '^FAIL .*name-mismatch'
	assert_equal "$stderr" "tls-starttls: smtp://127.0.0.1:$PORT: verify: name-mismatch: the certificate is for localhost, 127.0.0.1, ::1, not 'wrong.example'"
	# the same without verification failing the run
	run -0 st --insecure --hostname wrong.example "smtp://127.0.0.1:$PORT"
	assert_line --index 0 --regexp '^SKIPPED '
	# and in JSON as every client tool says it: judged, then skipped
	run -0 --separate-stderr st --insecure --json --hostname wrong.example \
	    "smtp://127.0.0.1:$PORT"
	jq_ok '.verdict == "skipped" and .verification.status == "skipped" and
	    (.findings | map(.code) | index("name-mismatch") != null)'
}

@test "an untrusted chain: exit 1, unknown-issuer in JSON" {
	tk_start_echo pop3 --starttls pop3
	run -1 --separate-stderr timeout 20 "$TK_STARTTLS" --ca "$TESTDATA/other-ca.crt" \
	    --json "pop3://localhost:$PORT"
	jq_ok '.verdict == "fail" and .exit_code == 1 and
	    (.findings | map(.code) | index("unknown-issuer") != null)'
}

@test "--check-injection: tlskit's server discards the pipelined command" {
	local proto

	for proto in smtp imap pop3; do
		tk_start_echo "$proto" --starttls "$proto"
		run -0 st --json --check-injection "$proto://localhost:$PORT"
		jq_ok '.starttls.injection | .vulnerable == false and .evidence == null and .handshake_broken == false'
		jq_ok '[.starttls.transcript[] | select(.dir == "C" and
		    (.tls | not)) | .line] | index("NOOP") != null or
		    index("a9 NOOP") != null'
		tk_stop_servers
	done
	tk_start_echo smtp-text --starttls smtp
	run -0 st --check-injection "smtp://localhost:$PORT"
	assert_line '  injection not vulnerable: a command sent with STARTTLS was not answered inside TLS'
}

@test "schemes and --proto give the well-known ports (nothing listens: exit 3 names the port)" {
	local spec

	for spec in "smtp://127.0.0.1 25" "submission://127.0.0.1 587" \
	    "--proto imap 127.0.0.1 143" "sieve://127.0.0.1 4190" \
	    "--proto nntp 127.0.0.1 119" "xmpp-server://127.0.0.1 5269" \
	    "ldap://127.0.0.1 389" "postgres://127.0.0.1 5432"; do
		local port=${spec##* } args

		read -r -a args <<<"${spec% *}"
		if (exec 9<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			continue    # something really listens there
		fi
		run -3 --separate-stderr st "${args[@]}"
		[[ $stderr == *"127.0.0.1:$port"* ]] ||
		    fail "${args[*]}: port $port not in: $stderr"
		[[ $stderr == *': connect: '* ]] || fail "step: $stderr"
	done
}

@test "--relay: lines go to the server over TLS and its echo comes back on stdout" {
	tk_start_echo line --starttls line
	run -0 --separate-stderr st --relay --proto line "localhost:$PORT" \
	    <<<$'hello\nsecond line'
	assert_output $'hello\nsecond line'
	# the report went to stderr: its verdict line
	[[ $stderr == 'OK '*"localhost:$PORT"* ]] || fail "stderr: $stderr"
}

@test "--relay --crlf: LF becomes CRLF on the wire, CRLF stays CRLF" {
	tk_start_echo line --starttls line
	printf 'one\ntwo\r\n' >"$BATS_TEST_TMPDIR/in"
	# stdin a regular file: not pollable, read without the loop's watch
	st --relay --crlf --proto line "localhost:$PORT" \
	    <"$BATS_TEST_TMPDIR/in" >"$BATS_TEST_TMPDIR/out" 2>/dev/null
	run od -An -c "$BATS_TEST_TMPDIR/out"
	assert_output --regexp '^ +o +n +e +\\r +\\n +t +w +o +\\r +\\n$'
}

@test "--relay from a pipe that stays open: the server's close ends the run" {
	tk_start_echo line --starttls line --idle-timeout 1
	# the server drops the idle session without close_notify: exit 3
	run -3 --separate-stderr st --relay --proto line "localhost:$PORT" \
	    < <(echo ping; sleep 30)
	assert_output ping
	[[ $stderr == *"tls-starttls: localhost:$PORT: read: the server closed the connection without close_notify"* ]] ||
	    fail "stderr: $stderr"
}

@test "tls-check-cert --starttls: the same starttls object in its JSON" {
	tk_start_echo smtp --starttls smtp
	run -0 timeout 20 "$TK_BUILD/tools/tls-check-cert" --ca "$TK_CA" --json \
	    "smtp://localhost:$PORT"
	jq_ok '.starttls.protocol == "smtp" and .starttls.advertised == true and
	    .starttls.answer == "220 2.0.0 Ready to start TLS" and
	    (.starttls.transcript | length) >= 5'
}

@test "tls-alpn-probe --starttls smtp: ALPN negotiated inside the upgraded session" {
	tk_start_echo smtp --starttls smtp --alpn http/1.1
	run -0 --separate-stderr timeout 20 "$TK_BUILD/tools/tls-alpn-probe" \
	    --ca "$TK_CA" --json --starttls smtp --alpn h2,http/1.1 \
	    "localhost:$PORT"
	jq_ok '.probe.outcome == "selected" and .probe.selected == "http/1.1"'
	jq_ok '.starttls.protocol == "smtp" and .starttls.advertised == true'
}
