#!/usr/bin/env bats
# tlskit against other TLS stacks: tls-echo-client against openssl
# s_server (handshake only: it is no echo server) and gnutls-serv --echo;
# tls-echo-server against openssl s_client and gnutls-cli.  Every peer
# client is bounded by timeout 20; peer servers bind port 0 and their port
# is read from /proc.

load lib

need() {
	command -v "$1" >/dev/null ||
	    skip "$1 is not installed (Debian package $2)"
}

# s_client TEXT ARGS...: tk_peer_echo TEXT through openssl s_client to
# tlskit's server on PORT, verifying the chain against ca.crt and the name
# localhost, with a brief summary on stderr.
s_client() {
	tk_peer_echo "$1" openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$TK_CA" \
	    -verify_return_error -servername localhost \
	    -verify_hostname localhost -brief "${@:2}"
}

# g_cli TEXT ARGS...: tk_peer_echo TEXT through gnutls-cli to tlskit's server
# on PORT, trusting ca.crt.
g_cli() {
	tk_peer_echo "$1" gnutls-cli --x509cafile "$TK_CA" -p "$PORT" "${@:2}" \
	    localhost
}

# --- tls-echo-client against openssl s_server ------------------------------

@test "client vs openssl s_server -tls1_3: handshake-only, chain verified" {
	need openssl openssl
	tk_start_openssl ossl -tls1_3
	run -0 --separate-stderr tk_client --json --handshake-only --ca "$TK_CA" \
	    "127.0.0.1:$PORT"
	tk_jqx '.tls.version == "TLS1.3" and .verification.status == "ok"' "$output"
	tk_jqx '(.chain | length) == 2 and .chain[0].subject == "CN=localhost"' "$output"
	tk_jqx '.exit_code == 0 and .error == null' "$output"
}

@test "client vs openssl s_server -tls1_2: handshake-only, -v says TLS1.2" {
	need openssl openssl
	tk_start_openssl ossl -tls1_2
	run -0 --separate-stderr tk_client -v --handshake-only --ca "$TK_CA" \
	    "127.0.0.1:$PORT"
	grep -Eq '^version +TLS1\.2$' <<<"$stderr" || fail "-v: $stderr"
	grep -Eq '^verification +ok$' <<<"$stderr" || fail "-v: $stderr"
	run -0 --separate-stderr tk_client --json --handshake-only --ca "$TK_CA" \
	    "127.0.0.1:$PORT"
	tk_jqx '.tls.version == "TLS1.2"' "$output"
}

@test "client vs openssl s_server -alpn h2,http/1.1: ALPN h2 in --json" {
	need openssl openssl
	tk_start_openssl ossl -alpn h2,http/1.1
	run -0 --separate-stderr tk_client --json --handshake-only --ca "$TK_CA" \
	    --alpn h2 "127.0.0.1:$PORT"
	tk_jqx '.tls.alpn == "h2"' "$output"
	# openssl selects in its own order
	run -0 --separate-stderr tk_client --json --handshake-only --ca "$TK_CA" \
	    --alpn http/1.1,h2 "127.0.0.1:$PORT"
	tk_jqx '.tls.alpn == "h2"' "$output"
	run -4 --separate-stderr tk_client --handshake-only --ca "$TK_CA" \
	    --alpn spdy/3 "127.0.0.1:$PORT"
	[[ $stderr == *'no ALPN protocol in common'* ]] || fail "stderr: $stderr"
}

# --- tls-echo-client against gnutls-serv --echo ----------------------------

@test "client vs gnutls-serv --echo: several lines come back" {
	need gnutls-serv gnutls-bin
	tk_start_gnutls gserv --echo --crlf
	run -0 --separate-stderr tk_client --ca "$TK_CA" "127.0.0.1:$PORT" \
	    <<<$'first line\nsecond line\nthird line, the last'
	assert_output $'first line\nsecond line\nthird line, the last'
	run -0 --separate-stderr tk_client --json --ca "$TK_CA" -m 'json line' \
	    "127.0.0.1:$PORT"
	tk_jqx '.echo.match and .echo.bytes_received == 10' "$output"
	tk_jqx '.verification.status == "ok" and .tls.version == "TLS1.3"' "$output"
}

@test "client vs gnutls-serv TLS 1.2 only" {
	need gnutls-serv gnutls-bin
	tk_start_gnutls gserv --echo --crlf \
	    --priority 'NORMAL:-VERS-ALL:+VERS-TLS1.2'
	run -0 --separate-stderr tk_client --json --ca "$TK_CA" -m twelve \
	    "127.0.0.1:$PORT"
	tk_jqx '.tls.version == "TLS1.2" and .echo.match' "$output"
}

@test "client vs gnutls-serv --alpn=h2: ALPN h2 in --json" {
	need gnutls-serv gnutls-bin
	tk_start_gnutls gserv --echo --crlf --alpn=h2 --alpn=http/1.1
	run -0 --separate-stderr tk_client --json --ca "$TK_CA" --alpn h2 -m a2 \
	    "127.0.0.1:$PORT"
	tk_jqx '.tls.alpn == "h2" and .echo.match' "$output"
	# gnutls-serv follows the client's order
	run -0 --separate-stderr tk_client --json --ca "$TK_CA" --alpn http/1.1,h2 \
	    -m a2 "127.0.0.1:$PORT"
	tk_jqx '.tls.alpn == "http/1.1"' "$output"
}

@test "client vs gnutls-serv requiring a client certificate: accepted with one" {
	need gnutls-serv gnutls-bin
	tk_start_gnutls gserv --echo --crlf --require-client-cert \
	    --verify-client-cert --x509cafile "$TK_CA"
	run -0 --separate-stderr tk_client --ca "$TK_CA" \
	    --cert "$TESTDATA/client-chain.pem" --key "$TESTDATA/client.key" \
	    -m 'with my cert' "127.0.0.1:$PORT"
	assert_output 'with my cert'
	run -0 --separate-stderr tk_client --handshake-only --ca "$TK_CA" \
	    --cert "$TESTDATA/client-chain.pem" --key "$TESTDATA/client.key" \
	    "127.0.0.1:$PORT"
}

# gnutls-serv closes its socket right after its alert (no lingering
# close), and in TLS 1.3 the alert comes after the client has finished its
# handshake: the client must still report the refusal, every time.
@test "client vs gnutls-serv requiring a client certificate: 4 without one, every time" {
	local try bad=()

	# (not i: bats' run assigns a global i)
	need gnutls-serv gnutls-bin
	tk_start_gnutls gserv --echo --crlf --require-client-cert \
	    --verify-client-cert --x509cafile "$TK_CA"
	for ((try = 1; try <= 10; try++)); do
		run --separate-stderr tk_client --ca "$TK_CA" -m 'no cert' \
		    "127.0.0.1:$PORT"
		if [[ $status != 4 || $stderr != *'client certificate is required'* ]]; then
			bad+=("echo, try $try: exit $status: $stderr")
		fi
		run --separate-stderr tk_client --ca "$TK_CA" --handshake-only \
		    "127.0.0.1:$PORT"
		if [[ $status != 4 || $stderr != *'client certificate is required'* ]]; then
			bad+=("--handshake-only, try $try: exit $status: $stderr")
		fi
	done
	((${#bad[@]} == 0)) || fail "${#bad[@]} of 20 runs did not exit 4 saying a client certificate is required:
$(printf '%s\n' "${bad[@]}")"
}

# --- tls-echo-server against openssl s_client ------------------------------

@test "openssl s_client -tls1_3 to the server: line echoed" {
	need openssl openssl
	tk_start_echo echo --json
	s_client 'hello from openssl' -tls1_3
	tk_assert_peer_echo 'hello from openssl'
	grep -q 'Protocol version: TLSv1.3' "$PEER_ERR" || fail "$(cat "$PEER_ERR")"
	grep -q 'Verification: OK' "$PEER_ERR" || fail "$(cat "$PEER_ERR")"
	tk_conn_log echo 1
	tk_jqx '.tls.version == "TLS1.3" and .bytes_in == 19 and .bytes_out == 19' "$CONN"
}

@test "openssl s_client -tls1_2 to the server: line echoed" {
	need openssl openssl
	tk_start_echo echo --json
	s_client 'twelve' -tls1_2
	tk_assert_peer_echo 'twelve'
	grep -q 'Protocol version: TLSv1.2' "$PEER_ERR" || fail "$(cat "$PEER_ERR")"
	tk_conn_log echo 1
	tk_jqx '.tls.version == "TLS1.2" and .verdict == "ok"' "$CONN"
}

@test "openssl s_client -alpn http/1.1 to a server offering h2,http/1.1" {
	need openssl openssl
	tk_start_echo echo --json --alpn h2,http/1.1
	s_client 'alpn line' -alpn http/1.1
	tk_assert_peer_echo 'alpn line'
	tk_conn_log echo 1
	tk_jqx '.tls.alpn == "http/1.1"' "$CONN"
}

@test "openssl s_client with a client certificate to --require-client-cert" {
	need openssl openssl
	tk_start_echo echo --json --require-client-cert --ca "$TK_CA"
	s_client 'mutual' -cert "$TESTDATA/client.crt" \
	    -cert_chain "$TESTDATA/intermediate.crt" \
	    -key "$TESTDATA/client.key"
	tk_assert_peer_echo 'mutual'
	tk_conn_log echo 1
	tk_jqx '.client_cert.subject == "CN=tlskit test client" and .client_cert.verified' "$CONN"
}

@test "openssl s_client without a client certificate to --require-client-cert: refused" {
	need openssl openssl
	tk_start_echo echo --json --require-client-cert --ca "$TK_CA"
	s_client 'refused' -tls1_3
	[[ $PEER_STATUS != 0 ]] || ! tk_has_echo "$PEER_OUT" refused ||
	    fail "s_client got its echo without a certificate"
	tk_conn_log echo 1
	tk_jqx '.error.class == "tls" and (.error.message | test("no certificate"))' "$CONN"
}

# --- tls-echo-server against gnutls-cli ------------------------------------

@test "gnutls-cli to the server: line echoed, TLS 1.3, trusted" {
	need gnutls-cli gnutls-bin
	tk_start_echo echo --json
	g_cli 'hello from gnutls'
	tk_assert_peer_echo 'hello from gnutls'
	grep -q 'Description: (TLS1.3' "$PEER_OUT" || fail "$(cat "$PEER_OUT")"
	grep -q 'The certificate is trusted' "$PEER_OUT" || fail "$(cat "$PEER_OUT")"
	tk_conn_log echo 1
	tk_jqx '.tls.version == "TLS1.3" and .verdict == "ok"' "$CONN"
}

@test "gnutls-cli --alpn http/1.1 to a server offering h2,http/1.1" {
	need gnutls-cli gnutls-bin
	tk_start_echo echo --json --alpn h2,http/1.1
	g_cli 'alpn via gnutls' --alpn http/1.1
	tk_assert_peer_echo 'alpn via gnutls'
	grep -q 'Application protocol: http/1.1' "$PEER_OUT" ||
	    fail "$(cat "$PEER_OUT")"
	tk_conn_log echo 1
	tk_jqx '.tls.alpn == "http/1.1"' "$CONN"
}

@test "gnutls-cli --priority NORMAL:-VERS-ALL:+VERS-TLS1.2 to the server" {
	need gnutls-cli gnutls-bin
	tk_start_echo echo --json
	g_cli 'tls 1.2 via gnutls' \
	    --priority 'NORMAL:-VERS-ALL:+VERS-TLS1.2'
	tk_assert_peer_echo 'tls 1.2 via gnutls'
	grep -q 'Description: (TLS1.2' "$PEER_OUT" || fail "$(cat "$PEER_OUT")"
	tk_conn_log echo 1
	tk_jqx '.tls.version == "TLS1.2"' "$CONN"
}

@test "gnutls-cli with a client certificate to --require-client-cert" {
	need gnutls-cli gnutls-bin
	tk_start_echo echo --json --require-client-cert --ca "$TK_CA"
	g_cli 'gnutls mutual' \
	    --x509certfile "$TESTDATA/client-chain.pem" \
	    --x509keyfile "$TESTDATA/client.key"
	tk_assert_peer_echo 'gnutls mutual'
	tk_conn_log echo 1
	tk_jqx '.client_cert.subject == "CN=tlskit test client" and .client_cert.verified' "$CONN"
}
