#!/usr/bin/env bats
# tls-echo-client against tls-echo-server: the Twisted-style server.pem
# case, client certificates, versions, key types, broken chains, ALPN,
# STARTTLS, DHE, many clients at once, SIGHUP reload, IPv6, --once, load
# mode, signals and the JSON output of both tools.

load lib

# --- helpers local to this file -------------------------------------------

# same_key CERT JSON: the client's JSON shows CERT as the served leaf.
same_key() {
	tk_jqx ".chain[0].sha256 == \"$(tk_fingerprint "$1")\"" "$2"
}

# bad_chain NAME CODE: the server serves testdata/NAME-chain.pem; the
# client trusting ca.crt exits 1 with CODE among verification.reasons.
bad_chain() {
	local name=$1 code=$2

	tk_start_echo "$name" --cert "$TESTDATA/$name-chain.pem" \
	    --key "$TESTDATA/$name.key"
	run -1 --separate-stderr tk_client --json --ca "$TK_CA" -m hi \
	    "127.0.0.1:$PORT"
	tk_jqx '.exit_code == 1 and .verification.status == "failed"' "$output"
	tk_jqx "any(.verification.reasons[]; .code == \"$code\")" "$output"
	tk_jqx '.error.class == "check" and .error.step == "verify"' "$output"
	[[ $stderr == *"$code"* ]] || fail "stderr does not name $code: $stderr"
}

# --- the issue's case: Twisted-style server.pem ---------------------------

@test "server.pem: client trusting public.pem verifies example.com and gets the echo" {
	tk_start_server twisted "$TK_SERVER" --listen 127.0.0.1:0 \
	    --cert "$TESTDATA/server.pem"
	run -0 --separate-stderr tk_client --ca "$TESTDATA/public.pem" \
	    --hostname example.com -m 'hello example' "127.0.0.1:$PORT"
	assert_output 'hello example'
	assert_equal "$stderr" ''
}

@test "server.pem: --hostname wrong.example.com exits 1 and names the mismatch" {
	tk_start_server twisted "$TK_SERVER" --listen 127.0.0.1:0 \
	    --cert "$TESTDATA/server.pem"
	run -1 --separate-stderr tk_client --ca "$TESTDATA/public.pem" \
	    --hostname wrong.example.com -m hi "127.0.0.1:$PORT"
	assert_output ''
	[[ $stderr == *name-mismatch* && $stderr == *wrong.example.com* ]] ||
	    fail "stderr does not name the mismatch: $stderr"
	run -1 --separate-stderr tk_client --json --ca "$TESTDATA/public.pem" \
	    --hostname wrong.example.com -m hi "127.0.0.1:$PORT"
	tk_jqx '[.verification.reasons[] | select(.severity == "fail") | .code] == ["name-mismatch"]' "$output"
	# server.pem is its own anchor: pinned, said as info
	tk_jqx 'any(.findings[]; .code == "pinned-leaf" and .severity == "info")' "$output"
	tk_jqx '.verdict == "fail" and .reason == "name-mismatch" and .profile == "rfc5280"' "$output"
	tk_jqx '.sni == "wrong.example.com"' "$output"
}

# --- client certificates ---------------------------------------------------

@test "--require-client-cert: a client without a certificate gets 4, TLS 1.3" {
	tk_start_echo mtls --json --require-client-cert --ca "$TK_CA"
	run -4 --separate-stderr tk_client --ca "$TK_CA" --min-version 1.3 -m hi \
	    "127.0.0.1:$PORT"
	assert_output ''
	[[ $stderr == *'client certificate is required'* ]] ||
	    fail "stderr does not say a client certificate is required: $stderr"
	tk_conn_log mtls 1
	tk_jqx '.error.class == "tls" and .client_cert == null' "$CONN"
	tk_jqx '.error.message | test("no certificate")' "$CONN"
}

@test "--require-client-cert: a client without a certificate gets 4, TLS 1.2" {
	tk_start_echo mtls --json --require-client-cert --ca "$TK_CA"
	run -4 --separate-stderr tk_client --ca "$TK_CA" --max-version 1.2 -m hi \
	    "127.0.0.1:$PORT"
	assert_output ''
	# TLS 1.2 has no certificate_required alert: the client says what
	# the server asked for
	[[ $stderr =~ client\ certificate.*(is\ required|none\ was\ given) ]] ||
	    fail "stderr does not say a client certificate is required: $stderr"
	tk_conn_log mtls 1
	tk_jqx '.error.class == "tls" and .client_cert == null' "$CONN"
	tk_jqx '.error.message | test("no certificate")' "$CONN"
}

@test "--require-client-cert: a trusted client certificate is accepted and logged" {
	tk_start_echo mtls --json --require-client-cert --ca "$TK_CA"
	run -0 --separate-stderr tk_client --ca "$TK_CA" \
	    --cert "$TESTDATA/client-chain.pem" --key "$TESTDATA/client.key" \
	    -m 'mutual' "127.0.0.1:$PORT"
	assert_output 'mutual'
	tk_conn_log mtls 1
	tk_jqx '.verdict == "ok" and .client_cert.verified == true' "$CONN"
	tk_jqx '.client_cert.subject == "CN=tlskit test client"' "$CONN"
}

@test "--require-client-cert: a client certificate from another CA gets 4" {
	tk_start_echo mtls --json --require-client-cert --ca "$TK_CA"
	run -4 --separate-stderr tk_client --ca "$TK_CA" \
	    --cert "$TESTDATA/client-other.crt" \
	    --key "$TESTDATA/client-other.key" -m hi "127.0.0.1:$PORT"
	assert_output ''
	tk_conn_log mtls 1
	tk_jqx '.error.class == "tls"' "$CONN"
	tk_jqx '.error.message | test("unknown-issuer")' "$CONN"
}

@test "--require-client-cert: an expired client certificate gets 4" {
	tk_start_echo mtls --json --require-client-cert --ca "$TK_CA"
	run -4 --separate-stderr tk_client --ca "$TK_CA" \
	    --cert "$TESTDATA/client-expired-chain.pem" \
	    --key "$TESTDATA/client-expired.key" -m hi "127.0.0.1:$PORT"
	assert_output ''
	tk_conn_log mtls 1
	tk_jqx '.error.class == "tls"' "$CONN"
	tk_jqx '.error.message | test("expired")' "$CONN"
}

@test "--request-client-cert: no client certificate is fine and logged as null" {
	tk_start_echo req --json --request-client-cert --ca "$TK_CA"
	run -0 --separate-stderr tk_client --ca "$TK_CA" -m 'no cert' \
	    "127.0.0.1:$PORT"
	assert_output 'no cert'
	tk_conn_log req 1
	tk_jqx '.verdict == "ok" and .client_cert == null' "$CONN"
	run -0 tk_client --ca "$TK_CA" --cert "$TESTDATA/client-chain.pem" \
	    --key "$TESTDATA/client.key" -m 'with cert' "127.0.0.1:$PORT"
	tk_conn_log req 2
	tk_jqx '.client_cert.subject == "CN=tlskit test client"' "$CONN"
	tk_jqx '.client_cert.verified == true' "$CONN"
}

# --- versions and key types ------------------------------------------------

@test "TLS 1.3 and TLS 1.2 as asked, in -v, --json and the server log" {
	tk_start_echo vers --json
	run -0 --separate-stderr tk_client -v --ca "$TK_CA" --min-version 1.3 -m a \
	    "127.0.0.1:$PORT"
	assert_output a
	grep -Eq '^version +TLS1\.3$' <<<"$stderr" || fail "-v: $stderr"
	run -0 --separate-stderr tk_client -v --ca "$TK_CA" --max-version 1.2 -m b \
	    "127.0.0.1:$PORT"
	assert_output b
	grep -Eq '^version +TLS1\.2$' <<<"$stderr" || fail "-v: $stderr"
	run -0 --separate-stderr tk_client --json --ca "$TK_CA" --max-version 1.2 -m c \
	    "127.0.0.1:$PORT"
	tk_jqx '.tls.version == "TLS1.2" and .echo.match == true' "$output"
	tk_conn_log vers 1
	tk_jqx '.tls.version == "TLS1.3"' "$CONN"
	tk_conn_log vers 2
	tk_jqx '.tls.version == "TLS1.2"' "$CONN"
}

@test "server --max-version 1.2 against a client that wants 1.3 only: 4" {
	tk_start_echo old --max-version 1.2
	run -0 --separate-stderr tk_client --json --ca "$TK_CA" -m hi "127.0.0.1:$PORT"
	tk_jqx '.tls.version == "TLS1.2"' "$output"
	run -4 --separate-stderr tk_client --ca "$TK_CA" --min-version 1.3 -m hi \
	    "127.0.0.1:$PORT"
	assert_output ''
	[[ -n $stderr ]] || fail "no reason on stderr"
}

@test "RSA chain: leaf RSA 2048 plus the intermediate, verified" {
	tk_start_echo rsa
	run -0 --separate-stderr tk_client --json --ca "$TK_CA" -m hi "127.0.0.1:$PORT"
	tk_jqx '.verification.status == "ok" and (.chain | length) == 2' "$output"
	tk_jqx '.chain[0].key == "RSA 2048" and .chain[0].subject == "CN=localhost"' "$output"
	tk_jqx '.chain[1].subject == "CN=tlskit Test Intermediate CA"' "$output"
}

@test "ECDSA chain: leaf ECDSA P-256, verified, in --json and -v" {
	tk_start_echo ecdsa --cert "$TESTDATA/localhost-ecdsa-chain.pem" \
	    --key "$TESTDATA/localhost-ecdsa.key"
	run -0 --separate-stderr tk_client --json --ca "$TK_CA" -m hi "127.0.0.1:$PORT"
	tk_jqx '.verification.status == "ok" and (.chain | length) == 2' "$output"
	tk_jqx '.chain[0].key | startswith("ECDSA")' "$output"
	run -0 --separate-stderr tk_client -v --ca "$TK_CA" -m hi "127.0.0.1:$PORT"
	assert_output hi
	grep -Eq '^ +key +ECDSA' <<<"$stderr" || fail "-v: $stderr"
	# TLS 1.2 with an ECDSA key means an ECDHE_ECDSA suite
	run -0 --separate-stderr tk_client --json --ca "$TK_CA" --max-version 1.2 -m hi \
	    "127.0.0.1:$PORT"
	tk_jqx '.tls.cipher | test("ECDHE_ECDSA")' "$output"
}

# --- broken chains: exit 1 with the reason code ---------------------------

@test "served chain expired: exit 1, reason expired" {
	bad_chain expired expired
}

@test "served chain not yet valid: exit 1, reason not-yet-valid" {
	bad_chain notyet not-yet-valid
}

@test "served chain from an unknown CA: exit 1, reason unknown-issuer" {
	bad_chain unknownca unknown-issuer
}

@test "served self-signed leaf: exit 1, reason self-signed" {
	bad_chain selfsigned self-signed
}

@test "served chain without its intermediate: exit 1, reason unknown-issuer" {
	bad_chain missing-intermediate unknown-issuer
}

@test "served RSA-1024 leaf: exit 1, reason weak-key" {
	bad_chain rsa1024 weak-key
}

@test "served SHA-1 signed leaf: exit 1, reason insecure-algorithm" {
	bad_chain sha1 insecure-algorithm
}

@test "served leaf for another name: exit 1, reason name-mismatch" {
	bad_chain wrongname name-mismatch
}

# --- ALPN ------------------------------------------------------------------

@test "ALPN: the server's preference wins (server h2,http/1.1, client http/1.1,h2)" {
	tk_start_echo alpn --json --alpn h2,http/1.1
	run -0 --separate-stderr tk_client --json --ca "$TK_CA" --alpn http/1.1,h2 -m hi \
	    "127.0.0.1:$PORT"
	tk_jqx '.tls.alpn == "h2"' "$output"
	run -0 --separate-stderr tk_client -v --ca "$TK_CA" --alpn http/1.1,h2 \
	    -m hi "127.0.0.1:$PORT"
	grep -Eq '^ALPN +h2$' <<<"$stderr" || fail "-v: $stderr"
	tk_conn_log alpn 1
	tk_jqx '.tls.alpn == "h2"' "$CONN"
	run -0 --separate-stderr tk_client --json --ca "$TK_CA" --alpn http/1.1 -m hi \
	    "127.0.0.1:$PORT"
	tk_jqx '.tls.alpn == "http/1.1"' "$output"
}

@test "ALPN: no protocol in common fails the handshake with 4" {
	tk_start_echo alpn --json --alpn h2,http/1.1
	run -4 --separate-stderr tk_client --ca "$TK_CA" --alpn spdy/3,imap -m hi \
	    "127.0.0.1:$PORT"
	assert_output ''
	[[ $stderr == *'no ALPN protocol in common'* ]] || fail "stderr: $stderr"
	run -4 --separate-stderr tk_client --json --ca "$TK_CA" --alpn spdy/3 -m hi \
	    "127.0.0.1:$PORT"
	tk_jqx '.error.class == "tls" and .exit_code == 4' "$output"
	tk_conn_log alpn 1
	tk_jqx '.error.class == "tls" and (.error.message | test("ALPN"))' "$CONN"
}

@test "ALPN: no protocol in common with --alpn-optional goes on without ALPN" {
	tk_start_echo alpn --json --alpn h2,http/1.1 --alpn-optional
	run -0 --separate-stderr tk_client --json --ca "$TK_CA" --alpn spdy/3 -m hi \
	    "127.0.0.1:$PORT"
	tk_jqx '.tls.alpn == null and .echo.match == true' "$output"
	tk_conn_log alpn 1
	tk_jqx '.verdict == "ok" and .tls.alpn == null' "$CONN"
}

# --- STARTTLS (line protocol) ----------------------------------------------

@test "STARTTLS line: tlskit client to tlskit server, stdin echoed over TLS" {
	tk_start_echo stls --starttls line
	run -0 --separate-stderr tk_client -v --ca "$TK_CA" --starttls line \
	    "127.0.0.1:$PORT" <<<$'first line\nsecond line'
	assert_output $'first line\nsecond line'
	[[ $stderr == *'C: STARTTLS | S: READY'* ]] ||
	    fail "no STARTTLS transcript in -v: $stderr"
	grep -Eq '^version +TLS1\.3$' <<<"$stderr" || fail "-v: $stderr"
	run -0 --separate-stderr tk_client --json --ca "$TK_CA" --starttls line \
	    -m x "127.0.0.1:$PORT"
	tk_jqx '.echo.match == true and .timings_ms.starttls != null' "$output"
}

@test "STARTTLS line: raw client, plaintext lines echoed with CRLF, READY, then TLS" {
	tk_start_echo stls --starttls line
	run -0 "$TK_PYTHON" -c '
import socket, ssl, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
def line():
    b = b""
    while not b.endswith(b"\n"):
        c = s.recv(1)
        if not c:
            sys.exit("EOF in the plaintext phase after %r" % b)
        b += c
    return b
s.sendall(b"hello plain\r\n"); print(repr(line()))
s.sendall(b"lf only\n"); print(repr(line()))
s.sendall(b"STARTTLS\r\n"); print(repr(line()))
ctx = ssl.create_default_context(cafile=sys.argv[2])
t = ctx.wrap_socket(s, server_hostname="localhost")
t.sendall(b"over tls\n")
got = b""
while not got.endswith(b"\n"):
    d = t.recv(4096)
    if not d:
        break
    got += d
print(repr(got))
print(t.version())
t.unwrap()
t.close()
' "$PORT" "$TK_CA"
	assert_line -n 0 "b'hello plain\\r\\n'"
	assert_line -n 1 "b'lf only\\r\\n'"
	assert_line -n 2 "b'READY\\r\\n'"
	assert_line -n 3 "b'over tls\\n'"
	assert_line -n 4 'TLSv1.3'
}

@test "STARTTLS line: a client without --starttls is dropped by --handshake-timeout" {
	tk_start_echo stls --starttls line --handshake-timeout 0.5 --json
	run -4 --separate-stderr tk_client --ca "$TK_CA" -t 5 -m hi "127.0.0.1:$PORT"
	assert_output ''
	tk_conn_log stls 1
	tk_jqx '.verdict != "ok" and (.error.message | test("handshake-timeout"))' "$CONN"
}

# --- DHE -------------------------------------------------------------------

@test "--dh-params: TLS 1.2 DHE-RSA with the RSA chain" {
	tk_start_echo dhe --dh-params "$TESTDATA/dh.pem"
	run -0 --separate-stderr tk_client -v --ca "$TK_CA" --max-version 1.2 \
	    --priority 'NORMAL:-KX-ALL:+DHE-RSA' -m dhe "127.0.0.1:$PORT"
	assert_output dhe
	grep -Eq '^key exchange +DHE-RSA$' <<<"$stderr" || fail "-v: $stderr"
	grep -Eq '^version +TLS1\.2$' <<<"$stderr" || fail "-v: $stderr"
	run -0 --separate-stderr tk_client --json --ca "$TK_CA" --max-version 1.2 \
	    --priority 'NORMAL:-KX-ALL:+DHE-RSA' -m dhe "127.0.0.1:$PORT"
	tk_jqx '.tls.kx == "DHE-RSA" and (.tls.cipher | test("DHE_RSA"))' "$output"
}

@test "--dh-params: the file's group is used when the client offers no FFDHE group" {
	# a client offering RFC 7919 groups gets one of them whatever the
	# file says; without them only the server's own parameters can work
	local prio='NORMAL:-KX-ALL:+DHE-RSA:-GROUP-DH-ALL'

	tk_start_echo dhe --dh-params "$TESTDATA/dh.pem"
	run -0 --separate-stderr tk_client --json --ca "$TK_CA" --max-version 1.2 \
	    --priority "$prio" -m dhe "127.0.0.1:$PORT"
	tk_jqx '.tls.kx == "DHE-RSA" and .echo.match == true' "$output"
	tk_start_echo nodhe
	run -4 --separate-stderr tk_client --ca "$TK_CA" --max-version 1.2 \
	    --priority "$prio" -m dhe "127.0.0.1:$PORT"
	assert_output ''
}

# --- many clients at once --------------------------------------------------

@test "200 concurrent clients on one server each get their own echo" {
	local n=200 c rc d=$BATS_TEST_TMPDIR pids=() bad=()

	tk_start_echo many
	for ((c = 1; c <= n; c++)); do
		tk_client --ca "$TK_CA" -m "message number $c from client $c" \
		    "127.0.0.1:$PORT" >"$d/c$c.out" 2>"$d/c$c.err" 3>&- &
		pids[c]=$!
	done
	for ((c = 1; c <= n; c++)); do
		rc=0
		wait "${pids[c]}" || rc=$?
		if ((rc != 0)); then
			bad+=("client $c exited $rc: $(cat "$d/c$c.err")")
		elif [[ $(cat "$d/c$c.out") != "message number $c from client $c" ]]; then
			bad+=("client $c got: $(cat "$d/c$c.out")")
		fi
	done
	((${#bad[@]} == 0)) || fail "${#bad[@]} of $n clients failed:
$(printf '%s\n' "${bad[@]}" | head -n 20)"
	tk_wait_for "$SERVER_PID" "$n ok lines in the server log" \
	    tk_file_has "$d/many.err" ' ok$' "$n"
	assert_equal "$(grep -c ' ok$' "$d/many.err")" "$n"
}

# --- SIGHUP reload ---------------------------------------------------------

@test "SIGHUP reloads --cert: the next client sees the new ECDSA key" {
	local d=$BATS_TEST_TMPDIR

	cat "$TESTDATA/localhost-rsa-chain.pem" "$TESTDATA/localhost-rsa.key" \
	    >"$d/cur.pem"
	tk_start_echo hup --cert "$d/cur.pem"
	run -0 --separate-stderr tk_client --json --ca "$TK_CA" -m before "127.0.0.1:$PORT"
	same_key "$TESTDATA/localhost-rsa.crt" "$output"
	tk_jqx '.chain[0].key | startswith("RSA")' "$output"

	cat "$TESTDATA/localhost-ecdsa-chain.pem" "$TESTDATA/localhost-ecdsa.key" \
	    >"$d/new.pem"
	mv "$d/new.pem" "$d/cur.pem"
	kill -HUP "$SERVER_PID"
	tk_wait_for "$SERVER_PID" "the reloaded line" tk_file_has "$d/hup.err" 'reloaded'

	run -0 --separate-stderr tk_client --json --ca "$TK_CA" -m after "127.0.0.1:$PORT"
	tk_jqx '.chain[0].key | startswith("ECDSA")' "$output"
	same_key "$TESTDATA/localhost-ecdsa.crt" "$output"
	tk_jqx '.echo.match == true' "$output"
}

@test "SIGHUP with a broken --cert file keeps the old credentials and serving" {
	local d=$BATS_TEST_TMPDIR

	cat "$TESTDATA/localhost-rsa-chain.pem" "$TESTDATA/localhost-rsa.key" \
	    >"$d/cur.pem"
	tk_start_echo hup --cert "$d/cur.pem"
	cp "$TESTDATA/garbage.pem" "$d/new.pem"
	mv "$d/new.pem" "$d/cur.pem"
	kill -HUP "$SERVER_PID"
	tk_wait_for "$SERVER_PID" "the failed-reload line" \
	    tk_file_has "$d/hup.err" 'reload failed'
	run -0 --separate-stderr tk_client --json --ca "$TK_CA" -m still "127.0.0.1:$PORT"
	same_key "$TESTDATA/localhost-rsa.crt" "$output"
	tk_jqx '.echo.match == true' "$output"
	tk_gone "$SERVER_PID" && fail "the server exited"
	true
}

# --- IPv6 ------------------------------------------------------------------

@test "IPv6: server on [::1]:0, client to [::1]:PORT" {
	grep -q '^00000000000000000000000000000001 ' /proc/net/if_inet6 ||
	    skip "no IPv6 loopback (::1) on this machine"
	tk_start_echo v6 --json --listen '[::1]:0'
	[[ -n $PORT6 ]] || fail "no [::1] ready line: $(tk_server_log v6)"
	run -0 --separate-stderr tk_client --json --ca "$TK_CA" -m six "[::1]:$PORT6"
	tk_jqx ".address == \"[::1]:$PORT6\" and .echo.match == true" "$output"
	tk_jqx '.verification.status == "ok"' "$output"
	tk_conn_log v6 1
	tk_jqx '.peer | startswith("[::1]:")' "$CONN"
	run -0 tk_client --ca "$TK_CA" -6 -m localhost6 "localhost:$PORT6"
	assert_output localhost6
}

# --- --once, load mode, signals --------------------------------------------

@test "--once: exits with the outcome of its one connection (0 ok, 4 TLS, 3 network)" {
	tk_start_echo once-ok --once
	run -0 tk_client --ca "$TK_CA" -m once "127.0.0.1:$PORT"
	tk_wait_exit "$SERVER_PID"
	assert_equal "$EXIT_STATUS" 0

	# the client refuses the name and sends an alert: a TLS failure
	tk_start_echo once-tls --once
	run -1 tk_client --ca "$TK_CA" --hostname nope.example -m once \
	    "127.0.0.1:$PORT"
	tk_wait_exit "$SERVER_PID"
	assert_equal "$EXIT_STATUS" 4

	# a reset after the handshake: a network failure
	tk_start_echo once-net --once
	run -0 "$TK_PYTHON" -c '
import socket, ssl, struct, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
t = ctx.wrap_socket(s, server_hostname="localhost")
t.sendall(b"x\n")
assert t.recv(10) == b"x\n"
t.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
t.close()
' "$PORT" "$TK_CA"
	tk_wait_exit "$SERVER_PID"
	assert_equal "$EXIT_STATUS" 3
}

@test "load mode: --count 50 --size 65536 prints its one result line" {
	tk_start_echo load
	run -0 --separate-stderr tk_client --ca "$TK_CA" --timeout 3 --count 50 \
	    --size 65536 "127.0.0.1:$PORT"
	local n='[0-9]+(\.[0-9]+)?'

	assert_output --regexp "^50 round trips of 65536 bytes in $n s: $n MB/s, rtt p50 $n ms p90 $n ms p99 $n ms\$"
	tk_wait_for "$SERVER_PID" "the load connection's log line" \
	    tk_file_has "$BATS_TEST_TMPDIR/load.err" ' in=3276800 out=3276800 .* ok$'
}

@test "load mode --json: counts, sizes and percentiles" {
	tk_start_echo load
	run -0 --separate-stderr tk_client --json --ca "$TK_CA" --timeout 3 \
	    --count 20 --size 1000 "127.0.0.1:$PORT"
	tk_jqx '.load.count == 20 and .load.size == 1000' "$output"
	tk_jqx '.load.rtt_ms | .p50 <= .p90 and .p90 <= .p99' "$output"
	tk_jqx '.echo | .bytes_sent == 20000 and .bytes_received == 20000' "$output"
	tk_jqx '.echo.match' "$output"
}

@test "pipelined records: every burst of 1 to 40 records is echoed in full" {
	# the client writes the records while the server is stopped
	# (SIGSTOP), so they all wait in its socket when it wakes up
	tk_start_echo burst
	run -0 "$TK_PYTHON" -c '
import os, signal, socket, ssl, sys
port, ca, pid = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
ctx = ssl.create_default_context(cafile=ca)
bad = []
for n in range(1, 41):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    t = ctx.wrap_socket(s, server_hostname="localhost")
    t.settimeout(1)
    msgs = [b"%04d\n" % i for i in range(n)]
    os.kill(pid, signal.SIGSTOP)
    try:
        for m in msgs:
            t.sendall(m)          # one TLS record each
    finally:
        os.kill(pid, signal.SIGCONT)
    want, got = b"".join(msgs), b""
    try:
        while len(got) < len(want):
            d = t.recv(65536)
            if not d:
                break
            got += d
    except socket.timeout:
        pass
    if got != want:
        bad.append("%d records: %d of %d bytes echoed" % (n, len(got), len(want)))
    t.close()
print("\n".join(bad) or "all echoed")
' "$PORT" "$TK_CA" "$SERVER_PID"
	assert_output 'all echoed'
}

@test "SIGTERM and SIGINT stop the server with exit 0" {
	tk_start_echo term
	run -0 tk_client --ca "$TK_CA" -m hi "127.0.0.1:$PORT"
	kill -TERM "$SERVER_PID"
	tk_wait_exit "$SERVER_PID"
	assert_equal "$EXIT_STATUS" 0

	tk_start_echo int
	kill -INT "$SERVER_PID"
	tk_wait_exit "$SERVER_PID"
	assert_equal "$EXIT_STATUS" 0
	run -3 tk_client --ca "$TK_CA" -m hi "127.0.0.1:$PORT"
}

# --- JSON ------------------------------------------------------------------

@test "JSON: every server line and the client object parse with jq, with the documented fields" {
	local line keys

	tk_start_echo json --json --alpn h2
	run -0 --separate-stderr tk_client --json --ca "$TK_CA" --alpn h2 -m 'json check' \
	    "127.0.0.1:$PORT"
	tk_jqx '.tool == "tls-echo-client" and .exit_code == 0 and .error == null' "$output"
	keys=$(jq -c 'keys' <<<"$output")
	# the verdict fields are the same in every client tool
	assert_equal "$keys" "$(printf '"%s",' address chain days_left echo \
	    error exit_code findings hostname not_after ocsp profile reason \
	    sni target timings_ms tls tool verdict verification |
	    sed 's/^/[/; s/,$/]/')"
	tk_jqx '.verdict == "ok" and .reason == null' "$output"
	assert_equal "$(jq -c '.tls | keys' <<<"$output")" \
	    '["alpn","cipher","group","kx","resumed","version"]'
	tk_jqx '.echo == {"bytes_sent": 11, "bytes_received": 11, "match": true}' "$output"
	tk_jqx '.tls.alpn == "h2" and .target == "127.0.0.1:'"$PORT"'"' "$output"
	tk_jqx '.hostname == "127.0.0.1"' "$output"

	tk_conn_log json 1
	while IFS= read -r line; do
		jq -e . >/dev/null <<<"$line" || fail "server line is not JSON: $line"
	done <"$BATS_TEST_TMPDIR/json.out"
	tk_jqx '.event == "listening" and .address == "127.0.0.1:'"$PORT"'"' \
	    "$(head -n 1 "$BATS_TEST_TMPDIR/json.out")"
	# the clients' schema (tls-echo-server(1), JSON OUTPUT), in order
	assert_equal "$(jq -c 'keys_unsorted' <<<"$CONN")" \
	    "$(printf '"%s",' tool event peer client_hello tls client_cert \
	    bytes_in bytes_out verdict error exit_code timings_ms |
	    sed 's/^/[/; s/,$/]/')"
	assert_equal "$(jq -c '.tls | keys_unsorted' <<<"$CONN")" \
	    '["version","cipher","kx","group","alpn","resumed"]'
	tk_jqx '.tool == "tls-echo-server" and .exit_code == 0' "$CONN"
	tk_jqx '.client_hello.sni == null and .client_hello.alpn == ["h2"]' \
	    "$CONN"
	tk_jqx '.bytes_in == 11 and .bytes_out == 11' "$CONN"
	tk_jqx '.verdict == "ok" and .error == null' "$CONN"
	tk_jqx '.tls.alpn == "h2" and (.timings_ms.total | type) == "number"' "$CONN"
}
