#!/usr/bin/env bats
# tls-echo-server as a test server for clients (issue #14): the log says
# what the client offered (SNI, ALPN, versions; -v groups and signature
# algorithms), --http answers curl, --dh-params serves the group given,
# a server name GnuTLS refuses is named, the JSON record is in the
# clients' schema, and --starttls offers only what the server speaks.

# shellcheck disable=SC2154 # stderr: set by bats' run --separate-stderr
load lib

# --- what the client offered ------------------------------------------------

@test "the text log names the client's SNI, ALPN list and versions; -v adds groups and sigalgs" {
	tk_start_echo offered --alpn http/1.1
	run -0 tk_client --ca "$TK_CA" --resolve localhost:127.0.0.1 \
	    --alpn h2,http/1.1 --min-version 1.2 -m hi "localhost:$PORT"
	tk_wait_for "$SERVER_PID" "the connection line" \
	    tk_file_has "$SERVER_ERR" ' ok$'
	run -0 grep ' ok$' "$SERVER_ERR"
	[[ $output == *' sni=localhost '* ]] || fail "no sni: $output"
	[[ $output == *' offered_alpn=h2,http/1.1 '* ]] ||
	    fail "no offered ALPN: $output"
	[[ $output =~ \ offered_versions=(TLS1.2,TLS1.3|TLS1.3,TLS1.2)\  ]] ||
	    fail "no offered versions: $output"
	[[ $output != *offered_groups=* ]] || fail "groups without -v: $output"

	tk_start_echo offered-v -v
	run -0 tk_client --ca "$TK_CA" -m hi "127.0.0.1:$PORT"
	tk_wait_for "$SERVER_PID" "the connection line" \
	    tk_file_has "$SERVER_ERR" ' ok$'
	run -0 grep ' ok$' "$SERVER_ERR"
	# an IP literal is sent as no SNI (RFC 6066 3)
	[[ $output == *' sni=none offered_alpn=none '* ]] ||
	    fail "IP target: $output"
	[[ $output =~ \ offered_groups=[A-Z0-9,]*X25519 ]] ||
	    fail "no offered groups with -v: $output"
	[[ $output =~ \ offered_sigalgs=[a-z0-9_,]*rsa_pss_rsae_sha256 ]] ||
	    fail "no offered sigalgs with -v: $output"
}

@test "the JSON record: client_hello with sni, alpn and versions; -v adds groups and signature_algorithms" {
	tk_start_echo hello-json --json -v
	run -0 tk_client --ca "$TK_CA" --resolve localhost:127.0.0.1 \
	    --alpn h2,http/1.1 -m hi "localhost:$PORT"
	tk_conn_log hello-json 1
	tk_jqx '.client_hello.sni == "localhost"' "$CONN"
	tk_jqx '.client_hello.alpn == ["h2", "http/1.1"]' "$CONN"
	tk_jqx '.client_hello.versions[0] == "TLS1.3"' "$CONN"
	tk_jqx '.client_hello.groups | index("X25519") != null' "$CONN"
	tk_jqx '.client_hello.signature_algorithms | index("rsa_pss_rsae_sha256") != null' "$CONN"
	tk_jqx '.client_hello.malformed == false' "$CONN"
}

@test "the JSON record escapes the client's control bytes as JSON does (\\u001b), the text log as \\x1B" {
	tk_start_echo hello-esc --json
	printf 'hi\n' | timeout 10 openssl s_client -quiet -no_ign_eof -alpn $'a\x1bb,h2' \
	    -connect "127.0.0.1:$PORT" >/dev/null 2>&1 || true
	tk_conn_log hello-esc 1
	tk_jqx '.client_hello.alpn == ["a\u001bb", "h2"]' "$CONN"
	[[ $CONN != *x1B* ]] || fail "the text escape in JSON: $CONN"
	tk_start_echo hello-esc-text
	printf 'hi\n' | timeout 10 openssl s_client -quiet -no_ign_eof -alpn $'a\x1bb,h2' \
	    -connect "127.0.0.1:$PORT" >/dev/null 2>&1 || true
	tk_wait_for "$SERVER_PID" "the connection line" \
	    tk_file_has "$SERVER_ERR" 'offered_alpn='
	run -0 grep -F 'offered_alpn=a\x1Bb,h2 ' "$SERVER_ERR"
}

# --- the clients' JSON schema -------------------------------------------------

@test "the JSON record is in the clients' schema: tool, tls{}, verdict, error{}, exit_code, timings_ms" {
	tk_start_echo schema --json --max-version 1.2
	run -0 tk_client --ca "$TK_CA" -m hi "127.0.0.1:$PORT"
	run -4 tk_client --ca "$TK_CA" --min-version 1.3 -m hi "127.0.0.1:$PORT"
	tk_conn_log schema 1
	tk_jqx '.tool == "tls-echo-server" and .event == "connection"' "$CONN"
	tk_jqx '.tls.version == "TLS1.2" and (.tls.cipher | length) > 0' "$CONN"
	tk_jqx '.verdict == "ok" and .error == null and .exit_code == 0' "$CONN"
	tk_jqx '(.timings_ms.handshake | type) == "number" and (.timings_ms.total | type) == "number"' "$CONN"
	tk_jqx 'has("outcome") or has("duration_ms") or has("version") | not' "$CONN"
	tk_conn_log schema 2
	tk_jqx '.tls == null and .verdict == "error" and .exit_code == 4' "$CONN"
	tk_jqx '.error.class == "tls" and .error.step == "handshake"' "$CONN"
	tk_jqx '(.error.message | length) > 0 and .timings_ms.handshake == null' "$CONN"
}

# --- --http -------------------------------------------------------------------

@test "--http: curl gets 200 and the session summary, with and without a client certificate" {
	tk_start_echo http --http --ca "$TK_CA" --request-client-cert
	run -0 timeout 20 curl -sS --cacert "$TK_CA" \
	    --resolve "localhost:$PORT:127.0.0.1" "https://localhost:$PORT/path"
	[[ $output == *'version: TLS1.3'* ]] || fail "no version: $output"
	[[ $output == *'cipher: TLS_AES_'* ]] || fail "no cipher: $output"
	[[ $output == *'sni: localhost'* ]] || fail "no sni: $output"
	[[ $output == *'client certificate: none'* ]] || fail "$output"
	[[ $output == *'request: GET /path HTTP/1.1'* ]] || fail "$output"
	run -0 timeout 20 curl -sS --cacert "$TK_CA" \
	    --cert "$TESTDATA/client-chain.pem" --key "$TESTDATA/client.key" \
	    --resolve "localhost:$PORT:127.0.0.1" "https://localhost:$PORT/"
	[[ $output == *'client certificate: CN=tlskit test client (verified)'* ]] ||
	    fail "no client certificate: $output"
	run -0 timeout 20 curl -sS -o /dev/null -w '%{http_code} %{http_version}' \
	    --cacert "$TK_CA" --tls-max 1.2 \
	    --resolve "localhost:$PORT:127.0.0.1" "https://localhost:$PORT/"
	assert_output '200 1.1'
	tk_wait_for "$SERVER_PID" "three connection lines" \
	    tk_file_has "$SERVER_ERR" ' ok$' 3
}

@test "--http: a request head over 8 KiB gets 431; without --http the bytes are echoed" {
	tk_start_echo http-big --http
	run -0 timeout 20 curl -sS -o /dev/null -w '%{http_code}' \
	    -H "X-Big: $(head -c 9000 /dev/zero | tr '\0' a)" \
	    --cacert "$TK_CA" --resolve "localhost:$PORT:127.0.0.1" \
	    "https://localhost:$PORT/"
	assert_output '431'
	tk_start_echo no-http
	run -0 tk_client --ca "$TK_CA" -m 'GET / HTTP/1.1' "127.0.0.1:$PORT"
	assert_output 'GET / HTTP/1.1'
}

@test "--http with --starttls smtp is refused before listening (exit 2)" {
	run -2 --separate-stderr "$TK_SERVER" --http --starttls smtp \
	    --listen 127.0.0.1:0 --cert "$TESTDATA/localhost-rsa-chain.pem" \
	    --key "$TESTDATA/localhost-rsa.key"
	assert_output ''
	[[ $stderr == 'tls-echo-server: '*'--http'*'--starttls smtp'* ]] ||
	    fail "stderr: $stderr"
}

# --- --dh-params --------------------------------------------------------------

@test "--dh-params with a 1024-bit group: warned at start, served as given, logged as DHE-1024" {
	tk_start_echo dh --dh-params "$TESTDATA/dh1024.pem"
	grep -q "serving a 1024-bit DH group .*: clients should refuse it" \
	    "$SERVER_ERR" || fail "no warning: $(cat "$SERVER_ERR")"
	# a client that allows weak DH sees the group given
	run -0 bash -c "timeout 20 openssl s_client -tls1_2 \
	    -cipher 'DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0' \
	    -connect 127.0.0.1:$PORT </dev/null 2>&1"
	assert_output --partial 'Server Temp Key: DH, 1024 bits'
	# gnutls-cli, offering no RFC 7919 group, is told the prime's size
	run -0 bash -c "timeout 20 gnutls-cli --dh-bits 1024 \
	    --x509cafile '$TK_CA' --priority \
	    'NORMAL:-VERS-TLS1.3:-KX-ALL:+DHE-RSA:-GROUP-FFDHE2048:-GROUP-FFDHE3072:-GROUP-FFDHE4096:-GROUP-FFDHE6144:-GROUP-FFDHE8192' \
	    -p $PORT localhost </dev/null 2>&1"
	assert_output --partial '(DHE-CUSTOM1024)'
	# openssl's default refuses it: the test a client needs
	run bash -c "timeout 20 openssl s_client -tls1_2 \
	    -cipher DHE-RSA-AES128-GCM-SHA256 -connect 127.0.0.1:$PORT \
	    </dev/null 2>&1"
	assert_output --partial 'dh key too small'
	# a client offering RFC 7919 groups negotiates one of them (RFC 7919 4)
	run -0 bash -c "timeout 20 gnutls-cli --x509cafile '$TK_CA' \
	    --priority 'NORMAL:-VERS-TLS1.3:-KX-ALL:+DHE-RSA' \
	    -p $PORT localhost </dev/null 2>&1"
	assert_output --partial '(DHE-FFDHE2048)'
	tk_wait_for "$SERVER_PID" "the FFDHE2048 session logged" \
	    tk_file_has "$SERVER_ERR" ' group=FFDHE2048 .* ok$'
	tk_wait_for "$SERVER_PID" "two DHE sessions logged" \
	    tk_file_has "$SERVER_ERR" ' TLS_DHE_RSA_[A-Z0-9_]* group=DHE-1024 .* ok$' 2
}

@test "--dh-params with a 2048-bit group: no warning; an ECDHE client is unaffected" {
	tk_start_echo dh2048 --dh-params "$TESTDATA/dh.pem"
	run -0 tk_client --ca "$TK_CA" -m hi "127.0.0.1:$PORT"
	tk_wait_for "$SERVER_PID" "the connection line" \
	    tk_file_has "$SERVER_ERR" ' ok$'
	run ! grep -q 'DH group' "$SERVER_ERR"
}

# --- a server name GnuTLS refuses ----------------------------------------------

@test "SNI with an underscore: GnuTLS refuses it; the log names the name and why" {
	tk_start_echo underscore --json
	run bash -c "timeout 20 gnutls-cli --x509cafile '$TK_CA' \
	    --sni-hostname _dmarc.example --verify-hostname localhost \
	    -p $PORT 127.0.0.1 </dev/null 2>&1"
	tk_conn_log underscore 1
	tk_jqx '.client_hello.sni == "_dmarc.example"' "$CONN"
	tk_jqx '.error.message | test("server name .?_dmarc.example.? .*illegal_parameter")' "$CONN"
}

@test "a refused server name with a control byte is escaped once: \\x1B in text, \\u001b in JSON" {
	local esc=$'\x1b'

	tk_start_echo ctlsni
	run bash -c "timeout 20 openssl s_client -connect 127.0.0.1:$PORT \
	    -servername 'a${esc}b.example' </dev/null 2>&1"
	tk_wait_for "$SERVER_PID" "the connection line" \
	    tk_file_has "$SERVER_ERR" 'illegal_parameter$'
	run -0 grep 'illegal_parameter$' "$SERVER_ERR"
	[[ $output == *" sni=a\\x1Bb.example "* ]] || fail "sni: $output"
	[[ $output == *"server name 'a\\x1Bb.example' (only"* ]] ||
	    fail "the message escapes the name once: $output"

	tk_start_echo ctlsni-json --json
	run bash -c "timeout 20 openssl s_client -connect 127.0.0.1:$PORT \
	    -servername 'a${esc}b.example' </dev/null 2>&1"
	tk_conn_log ctlsni-json 1
	tk_jqx '.client_hello.sni == "a\u001bb.example"' "$CONN"
	tk_jqx '.error.message | contains("server name '"'"'a\u001bb.example'"'"' (only")' "$CONN"
}

# --- the --starttls choices ------------------------------------------------------

@test "--help, the man page and the completions offer only the server's --starttls protocols" {
	run -0 "$TK_SERVER" --help
	[[ $output == *--starttls* ]] || fail "--help: $output"
	[[ ! $output =~ ldap|xmpp|postgres|lmtp|nntp|sieve|ftp ]] ||
	    fail "--help offers a protocol the server does not speak: $output"
	run -0 grep -A2 '^\\fB\\-\\-starttls\\fR' "$TK_SRC/man/tls-echo-server.1"
	assert_output --partial '(one of: \fBline\fR, \fBsmtp\fR, \fBimap\fR, \fBpop3\fR)'
	run -0 grep -- "-c tls-echo-server -l starttls " "$TK_SRC/completions/tlskit.fish"
	assert_output --partial "-a 'line smtp imap pop3'"
	# shellcheck source=/dev/null
	source "$TK_SRC/completions/tlskit.bash"
	COMP_WORDS=(tls-echo-server --starttls "")
	COMP_CWORD=2
	_tlskit
	assert_equal "${COMPREPLY[*]}" 'line smtp imap pop3'
	run -0 awk '/^\(tls-echo-server\)/,/^\t\)/' "$TK_SRC/completions/_tlskit"
	assert_output --partial ':PROTO:(line smtp imap pop3)'
}
