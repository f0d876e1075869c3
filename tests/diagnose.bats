#!/usr/bin/env bats
# Diagnoses of a wrong guess about the port (issue #14): a plaintext
# greeting where TLS was expected (--starttls forgotten) shows what the
# server said and the protocol it looks like, in every client tool
# (through conn); the reverse, a STARTTLS dialogue against a port that
# speaks TLS directly, says so.  Real peers: tls-echo-server's smtp, imap
# and pop3 dialogues greet in plaintext, its plain TLS side answers
# plaintext with an alert.

# shellcheck disable=SC2153  # PORT comes from tk_start_echo (tests/lib.bash)

load lib

@test "plaintext SMTP greeting on a TLS port: each client tool shows it and says --starttls smtp?" {
	local want="handshake: the server answered in plaintext ('220 localhost ESMTP tlskit'), not TLS: --starttls smtp?"

	tk_start_echo smtp --starttls smtp
	run -4 --separate-stderr tk_check "localhost:$PORT"
	assert_equal "$stderr" "tls-check-cert: localhost:$PORT: $want"
	run -4 --separate-stderr tk_client --ca "$TK_CA" "localhost:$PORT" </dev/null
	assert_equal "$stderr" "tls-echo-client: localhost:$PORT: $want"
	run -4 --separate-stderr tk_probe "localhost:$PORT"
	assert_equal "$stderr" "tls-alpn-probe: localhost:$PORT: $want"
	# JSON carries the same reason
	run -4 --separate-stderr tk_check --json "localhost:$PORT"
	assert_equal "$(jq -r .error.message <<<"$output")" \
	    "the server answered in plaintext ('220 localhost ESMTP tlskit'), not TLS: --starttls smtp?"
}

@test "plaintext IMAP and POP3 greetings on a TLS port: --starttls imap? / pop3?" {
	tk_start_echo imap --starttls imap
	run -4 --separate-stderr tk_check "localhost:$PORT"
	assert_regex "$stderr" "the server answered in plaintext \('\* OK[^']*'\), not TLS: --starttls imap\?\$"
	tk_start_echo pop3 --starttls pop3
	run -4 --separate-stderr tk_check "localhost:$PORT"
	assert_regex "$stderr" "the server answered in plaintext \('\+OK[^']*'\), not TLS: --starttls pop3\?\$"
}

@test "a plaintext greeting with a backslash and an invalid byte is escaped once, in text and JSON" {
	local want="handshake: the server answered in plaintext ('220 café \\xFF a\\\\b ESMTP'), not TLS: --starttls smtp?"
	local rep=$'\xef\xbf\xbd'   # U+FFFD

	tk_start_server odd "$TK_PYTHON" \
	    "$BATS_TEST_DIRNAME/peers/starttls_hostile.py" --mode odd-greeting
	run -4 --separate-stderr tk_check "localhost:$PORT"
	assert_equal "$stderr" "tls-check-cert: localhost:$PORT: $want"
	# JSON: the invalid byte is U+FFFD, the backslash one JSON escape
	run -4 --separate-stderr tk_check --json "localhost:$PORT"
	assert_equal "$(jq -r .error.message <<<"$output")" \
	    "the server answered in plaintext ('220 café $rep a\\b ESMTP'), not TLS: --starttls smtp?"
}

@test "STARTTLS on a port that speaks TLS directly: the alert is recognised, the advice given" {
	local p

	tk_start_echo tls
	for p in postgres xmpp ldap line; do
		run -3 --separate-stderr timeout 20 "$TK_STARTTLS" --ca "$TK_CA" \
		    --proto "$p" -t 10 "localhost:$PORT"
		assert_equal "$stderr" "tls-starttls: localhost:$PORT: starttls: the server answered with a TLS alert record, not $p plaintext: the port seems to speak TLS directly; check it without STARTTLS (tls-check-cert HOST:PORT, or no --starttls)"
	done
	run -3 --separate-stderr tk_client --ca "$TK_CA" --starttls line \
	    "localhost:$PORT" </dev/null
	assert_regex "$stderr" "starttls: the server answered with a TLS alert record, not line plaintext: the port seems to speak TLS directly"
}

@test "STARTTLS waiting for a greeting a TLS port never sends: the timeout says why it may be" {
	tk_start_echo tls
	run -3 --separate-stderr timeout 20 "$TK_STARTTLS" --ca "$TK_CA" \
	    --proto smtp -t 0.3 "localhost:$PORT"
	assert_equal "$stderr" "tls-starttls: localhost:$PORT: starttls: timed out after 0.3 s in the plaintext dialogue (waiting for the greeting; a port that speaks TLS directly sends none: try it without STARTTLS, tls-check-cert HOST:PORT)"
}
