#!/usr/bin/env bats
# Bad local input to tls-echo-client and tls-echo-server: exit 2, nothing
# on stdout, exactly one line on stderr naming the problem, and no network
# I/O.  The proof of "no network I/O": no server runs and the client's
# target is a port where nothing listens, so a tool that went to the
# network would report a connect error instead (exit 3); the server never
# prints its "listening" line; and, under strace, neither tool makes an
# IPv4 or IPv6 socket at all.

load lib

setup() {
	tk_setup
	tk_closed_port
	T=127.0.0.1:$CLOSED_PORT
	# the server's good credentials, for cases where something else is bad
	C=(--cert "$TESTDATA/localhost-rsa-chain.pem" --key "$TESTDATA/localhost-rsa.key")
	L=(--listen 127.0.0.1:0)
	TRACE=$BATS_TEST_TMPDIR/strace.log
}

# traced CMD...: CMD under strace (its socket calls in $TRACE) when strace
# is installed, bounded in time.  strace exits with CMD's status.
# LeakSanitizer cannot run under ptrace: leak checks are off here only.
traced() {
	rm -f "$TRACE"
	if command -v strace >/dev/null; then
		ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		    timeout 10 strace -f -o "$TRACE" \
		    -e trace=socket,connect,bind,listen "$@"
	else
		timeout 10 "$@"
	fi
}

# check_bad TOOL REGEX: the last run was a bad-input refusal by TOOL:
# exit 2 (checked by run -2), no stdout, one stderr line "TOOL: ..."
# matching the extended REGEX, no network error and no network socket.
check_bad() {
	local tool=$1 regex=$2 n

	assert_output ''
	n=$(printf '%s' "$stderr" | grep -c '')
	[[ $n == 1 ]] || fail "expected exactly one line on stderr, got $n:
$stderr"
	[[ $stderr == "$tool: "* ]] || fail "stderr does not start with '$tool: ': $stderr"
	grep -Eq -- "$regex" <<<"$stderr" ||
	    fail "stderr does not match /$regex/: $stderr"
	if grep -Eiq 'cannot connect|refused|timed out|resolve|listening' \
	    <<<"$stderr"; then
		fail "a network error instead of the local one: $stderr"
	fi
	if [[ -f $TRACE ]]; then
		grep -q '+++ exited with' "$TRACE" ||
		    fail "strace did not trace the tool: $(cat "$TRACE")"
		if grep -E 'socket\(AF_INET6?,' "$TRACE"; then
			fail "$tool opened a network socket"
		fi
	fi
}

# bad_client REGEX ARGS...: tls-echo-client ARGS (with -m x and the
# closed target $T where the case does not give its own) is refused.
bad_client() {
	local regex=$1

	shift
	run -2 --separate-stderr traced "$TK_CLIENT" "$@"
	check_bad tls-echo-client "$regex"
}

# bad_server REGEX ARGS...: tls-echo-server ARGS is refused, never ready.
bad_server() {
	local regex=$1

	shift
	run -2 --separate-stderr traced "$TK_SERVER" "$@"
	check_bad tls-echo-server "$regex"
}

# --- tls-echo-client: options ----------------------------------------------

@test "client: unknown flag --bogus" {
	bad_client "unknown option.*--bogus" --bogus --ca "$TESTDATA/ca.crt" -m x "$T"
}

@test "client: --min-version 1.4" {
	bad_client "1\.4" --min-version 1.4 --ca "$TESTDATA/ca.crt" -m x "$T"
}

@test "client: --min-version ssl3" {
	bad_client "SSL|ssl3" --min-version ssl3 --ca "$TESTDATA/ca.crt" -m x "$T"
}

@test "client: --max-version 1.4" {
	bad_client "1\.4" --max-version 1.4 --ca "$TESTDATA/ca.crt" -m x "$T"
}

@test "client: --min-version 1.3 above --max-version 1.2" {
	bad_client "min-version" --min-version 1.3 --max-version 1.2 \
	    --ca "$TESTDATA/ca.crt" -m x "$T"
}

@test "client: --alpn with an empty protocol name" {
	bad_client "ALPN|alpn" --alpn 'h2,,http/1.1' --ca "$TESTDATA/ca.crt" -m x "$T"
}

@test "client: --starttls bogus (no such protocol)" {
	bad_client "bogus" --starttls bogus --ca "$TESTDATA/ca.crt" -m x "$T"
}

@test "client: --priority that GnuTLS cannot parse" {
	bad_client "priority" --priority 'NORMAL:+BOGUS-THING' \
	    --ca "$TESTDATA/ca.crt" -m x "$T"
}

@test "client: --count 0" {
	bad_client "count" --count 0 --ca "$TESTDATA/ca.crt" "$T"
}

@test "client: --size -5" {
	bad_client "size" --count 1 --size -5 --ca "$TESTDATA/ca.crt" "$T"
}

@test "client: --timeout abc" {
	bad_client "timeout" --timeout abc --ca "$TESTDATA/ca.crt" -m x "$T"
}

# --- tls-echo-client: target -----------------------------------------------

@test "client: target host:99999" {
	bad_client "port" --ca "$TESTDATA/ca.crt" -m x host:99999
}

@test "client: target 127.0.0.1:0" {
	bad_client "port" --ca "$TESTDATA/ca.crt" -m x 127.0.0.1:0
}

@test "client: target [::1 (no closing bracket)" {
	bad_client "\]|bracket" --ca "$TESTDATA/ca.crt" -m x '[::1'
}

@test "client: no target" {
	bad_client "missing|target" --ca "$TESTDATA/ca.crt" -m x
}

# --- tls-echo-client: files ------------------------------------------------

@test "client: --ca that does not exist" {
	bad_client "no/such/ca\.pem" --ca "$BATS_TEST_TMPDIR/no/such/ca.pem" \
	    -m x "$T"
}

@test "client: --ca garbage.pem" {
	bad_client "garbage\.pem" --ca "$TESTDATA/garbage.pem" -m x "$T"
}

@test "client: --ca truncated.pem" {
	bad_client "truncated\.pem" --ca "$TESTDATA/truncated.pem" -m x "$T"
}

@test "client: --ca empty.pem" {
	bad_client "empty" --ca "$TESTDATA/empty.pem" -m x "$T"
}

@test "client: --cert garbage.pem" {
	bad_client "garbage\.pem" --ca "$TESTDATA/ca.crt" --cert "$TESTDATA/garbage.pem" \
	    --key "$TESTDATA/client.key" -m x "$T"
}

@test "client: --cert truncated.pem" {
	bad_client "truncated\.pem" --ca "$TESTDATA/ca.crt" \
	    --cert "$TESTDATA/truncated.pem" --key "$TESTDATA/client.key" -m x "$T"
}

@test "client: --cert empty.pem" {
	bad_client "empty" --ca "$TESTDATA/ca.crt" --cert "$TESTDATA/empty.pem" \
	    --key "$TESTDATA/client.key" -m x "$T"
}

@test "client: --cert that does not exist" {
	bad_client "no/such/client\.pem" --ca "$TESTDATA/ca.crt" \
	    --cert "$BATS_TEST_TMPDIR/no/such/client.pem" \
	    --key "$TESTDATA/client.key" -m x "$T"
}

@test "client: --cert is a directory" {
	bad_client "regular file|directory" --ca "$TESTDATA/ca.crt" --cert "$TESTDATA" \
	    --key "$TESTDATA/client.key" -m x "$T"
}

@test "client: --key garbage.pem" {
	bad_client "garbage\.pem" --ca "$TESTDATA/ca.crt" \
	    --cert "$TESTDATA/client-chain.pem" --key "$TESTDATA/garbage.pem" -m x "$T"
}

@test "client: --key empty.pem" {
	bad_client "empty" --ca "$TESTDATA/ca.crt" --cert "$TESTDATA/client-chain.pem" \
	    --key "$TESTDATA/empty.pem" -m x "$T"
}

@test "client: --key that does not exist" {
	bad_client "no/such/client\.key" --ca "$TESTDATA/ca.crt" \
	    --cert "$TESTDATA/client-chain.pem" \
	    --key "$BATS_TEST_TMPDIR/no/such/client.key" -m x "$T"
}

@test "client: --key is a directory" {
	bad_client "regular file|directory" --ca "$TESTDATA/ca.crt" \
	    --cert "$TESTDATA/client-chain.pem" --key "$TESTDATA" -m x "$T"
}

@test "client: --cert and --key that do not belong together" {
	bad_client "match" --ca "$TESTDATA/ca.crt" --cert "$TESTDATA/localhost-rsa.crt" \
	    --key "$TESTDATA/example-rsa.key" -m x "$T"
}

@test "client: --cert without a key anywhere" {
	bad_client "private key|--key" --ca "$TESTDATA/ca.crt" \
	    --cert "$TESTDATA/client-chain.pem" -m x "$T"
}

@test "client: --key without --cert" {
	bad_client "--cert" --ca "$TESTDATA/ca.crt" --key "$TESTDATA/client.key" -m x "$T"
}

# --- tls-echo-server: options ----------------------------------------------

@test "server: unknown flag --bogus" {
	bad_server "unknown option.*--bogus" "${L[@]}" "${C[@]}" --bogus
}

@test "server: --min-version 1.4" {
	bad_server "1\.4" "${L[@]}" "${C[@]}" --min-version 1.4
}

@test "server: --min-version ssl3" {
	bad_server "SSL|ssl3" "${L[@]}" "${C[@]}" --min-version ssl3
}

@test "server: --max-version 1.4" {
	bad_server "1\.4" "${L[@]}" "${C[@]}" --max-version 1.4
}

@test "server: no --cert" {
	bad_server "--cert" "${L[@]}"
}

@test "server: an extra argument" {
	bad_server "extra-arg" "${L[@]}" "${C[@]}" extra-arg
}

@test "server: --require-client-cert without --ca" {
	bad_server "--ca" "${L[@]}" "${C[@]}" --require-client-cert
}

@test "server: --request-client-cert without --ca" {
	bad_server "--ca" "${L[@]}" "${C[@]}" --request-client-cert
}

@test "server: --alpn-optional without --alpn" {
	bad_server "--alpn" "${L[@]}" "${C[@]}" --alpn-optional
}

@test "server: --starttls bogus (it speaks line, smtp, imap, pop3)" {
	bad_server "bogus.*|line, smtp, imap, pop3" "${L[@]}" "${C[@]}" \
	    --starttls bogus
}

@test "server: --priority that GnuTLS cannot parse" {
	bad_server "priority" "${L[@]}" "${C[@]}" --priority 'NORMAL:+BOGUS-THING'
}

@test "server: --max-connections 0" {
	bad_server "max-connections" "${L[@]}" "${C[@]}" --max-connections 0
}

@test "server: --handshake-timeout abc" {
	bad_server "handshake-timeout" "${L[@]}" "${C[@]}" \
	    --handshake-timeout abc
}

# --- tls-echo-server: listen address ---------------------------------------

@test "server: --listen 127.0.0.1:99999" {
	bad_server "port" "${C[@]}" --listen 127.0.0.1:99999
}

@test "server: --listen bogus" {
	bad_server "bogus" "${C[@]}" --listen bogus
}

@test "server: --listen [::1 (no closing bracket)" {
	bad_server "\[::1" "${C[@]}" --listen '[::1'
}

# --- tls-echo-server: files ------------------------------------------------

@test "server: --cert garbage.pem" {
	bad_server "garbage\.pem" "${L[@]}" --cert "$TESTDATA/garbage.pem" \
	    --key "$TESTDATA/localhost-rsa.key"
}

@test "server: --cert truncated.pem" {
	bad_server "truncated\.pem" "${L[@]}" --cert "$TESTDATA/truncated.pem" \
	    --key "$TESTDATA/localhost-rsa.key"
}

@test "server: --cert empty.pem" {
	bad_server "empty" "${L[@]}" --cert "$TESTDATA/empty.pem" \
	    --key "$TESTDATA/localhost-rsa.key"
}

@test "server: --cert that does not exist" {
	bad_server "no/such/server\.pem" "${L[@]}" \
	    --cert "$BATS_TEST_TMPDIR/no/such/server.pem" \
	    --key "$TESTDATA/localhost-rsa.key"
}

@test "server: --cert is a directory" {
	bad_server "regular file|directory" "${L[@]}" --cert "$TESTDATA" \
	    --key "$TESTDATA/localhost-rsa.key"
}

@test "server: --key garbage.pem" {
	bad_server "garbage\.pem" "${L[@]}" \
	    --cert "$TESTDATA/localhost-rsa-chain.pem" --key "$TESTDATA/garbage.pem"
}

@test "server: --key empty.pem" {
	bad_server "empty" "${L[@]}" --cert "$TESTDATA/localhost-rsa-chain.pem" \
	    --key "$TESTDATA/empty.pem"
}

@test "server: --key that does not exist" {
	bad_server "no/such/server\.key" "${L[@]}" \
	    --cert "$TESTDATA/localhost-rsa-chain.pem" \
	    --key "$BATS_TEST_TMPDIR/no/such/server.key"
}

@test "server: --key is a directory" {
	bad_server "regular file|directory" "${L[@]}" \
	    --cert "$TESTDATA/localhost-rsa-chain.pem" --key "$TESTDATA"
}

@test "server: --cert and --key that do not belong together" {
	bad_server "match" "${L[@]}" --cert "$TESTDATA/localhost-rsa.crt" \
	    --key "$TESTDATA/example-rsa.key"
}

@test "server: --cert without a key anywhere" {
	bad_server "private key|--key" "${L[@]}" \
	    --cert "$TESTDATA/localhost-rsa-chain.pem"
}

@test "server: --ca garbage.pem" {
	bad_server "garbage\.pem" "${L[@]}" "${C[@]}" --require-client-cert \
	    --ca "$TESTDATA/garbage.pem"
}

@test "server: --ca truncated.pem" {
	bad_server "truncated\.pem" "${L[@]}" "${C[@]}" --require-client-cert \
	    --ca "$TESTDATA/truncated.pem"
}

@test "server: --ca empty.pem" {
	bad_server "empty" "${L[@]}" "${C[@]}" --require-client-cert \
	    --ca "$TESTDATA/empty.pem"
}

@test "server: --ca that does not exist" {
	bad_server "no/such/ca\.pem" "${L[@]}" "${C[@]}" --require-client-cert \
	    --ca "$BATS_TEST_TMPDIR/no/such/ca.pem"
}

@test "server: --dh-params garbage.pem" {
	bad_server "garbage\.pem" "${L[@]}" "${C[@]}" \
	    --dh-params "$TESTDATA/garbage.pem"
}

@test "server: --dh-params empty.pem" {
	bad_server "empty" "${L[@]}" "${C[@]}" --dh-params "$TESTDATA/empty.pem"
}

@test "server: --dh-params that does not exist" {
	bad_server "no/such/dh\.pem" "${L[@]}" "${C[@]}" \
	    --dh-params "$BATS_TEST_TMPDIR/no/such/dh.pem"
}

@test "server: --dh-params is a certificate, not DH parameters" {
	bad_server "localhost-rsa\.crt|DH" "${L[@]}" "${C[@]}" \
	    --dh-params "$TESTDATA/localhost-rsa.crt"
}

# --- tls-starttls ------------------------------------------------------------

# bad_starttls REGEX ARGS...: tls-starttls ARGS is refused before any I/O.
bad_starttls() {
	local regex=$1

	shift
	run -2 --separate-stderr traced "$TK_BUILD/tools/tls-starttls" "$@"
	check_bad tls-starttls "$regex"
}

@test "starttls: no protocol (no --proto, no STARTTLS scheme)" {
	bad_starttls "no protocol.*--proto" --ca "$TESTDATA/ca.crt" "$T"
}

@test "starttls: --proto gopher" {
	bad_starttls "gopher" --proto gopher --ca "$TESTDATA/ca.crt" "$T"
}

@test "starttls: a TLS-from-the-start scheme (smtps://)" {
	bad_starttls "smtps.*TLS-from-the-start" --ca "$TESTDATA/ca.crt" \
	    "smtps://127.0.0.1:$CLOSED_PORT"
}

@test "starttls: --proto contradicting the URL's scheme" {
	bad_starttls "contradicts" --proto imap --ca "$TESTDATA/ca.crt" \
	    "smtp://127.0.0.1:$CLOSED_PORT"
}

@test "starttls: line without a port" {
	bad_starttls "no port.*line" --proto line --ca "$TESTDATA/ca.crt" 127.0.0.1
}

@test "starttls: --check-injection with ldap" {
	bad_starttls "check-injection.*ldap" --check-injection --ca "$TESTDATA/ca.crt" \
	    "ldap://127.0.0.1:$CLOSED_PORT"
}

@test "starttls: --relay with --json" {
	bad_starttls "relay.*json" --relay --json --ca "$TESTDATA/ca.crt" \
	    "smtp://127.0.0.1:$CLOSED_PORT"
}

@test "starttls: --crlf without --relay" {
	bad_starttls "crlf.*relay" --crlf --ca "$TESTDATA/ca.crt" \
	    "smtp://127.0.0.1:$CLOSED_PORT"
}

@test "starttls: --ehlo-name with a CRLF injection" {
	bad_starttls "EHLO name" --ehlo-name $'a\r\nRCPT TO:<x>' \
	    --ca "$TESTDATA/ca.crt" "smtp://127.0.0.1:$CLOSED_PORT"
}

@test "starttls: --xmpp-domain with a quote" {
	bad_starttls "XMPP domain" --xmpp-domain "a'b" --ca "$TESTDATA/ca.crt" \
	    "xmpp://127.0.0.1:$CLOSED_PORT"
}

@test "starttls: --relay with two targets" {
	bad_starttls "relay takes one target" --relay --ca "$TESTDATA/ca.crt" \
	    "smtp://127.0.0.1:$CLOSED_PORT" "smtp://127.0.0.1:$CLOSED_PORT"
}

@test "starttls: --relay with --targets - (stdin carries the session)" {
	bad_starttls "relay reads stdin" --relay --ca "$TESTDATA/ca.crt" \
	    --targets - </dev/null
}

@test "starttls: a target without a protocol among several" {
	bad_starttls "127\.0\.0\.1:$CLOSED_PORT: options: no protocol" \
	    --ca "$TESTDATA/ca.crt" "smtp://127.0.0.1:$CLOSED_PORT" \
	    "127.0.0.1:$CLOSED_PORT"
}

@test "starttls: unreadable --ca" {
	bad_starttls "ca|CA" --ca /nonexistent/ca.pem \
	    "smtp://127.0.0.1:$CLOSED_PORT"
}
