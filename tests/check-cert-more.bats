#!/usr/bin/env bats
#
# tls-check-cert beyond one address (issue 6): --resolve (shared by every
# client tool), --all-addresses against two servers with different
# certificates on one port number of 127.0.0.1 and [::1], --fix-chain
# (reordered, root dropped, intermediate filled from --intermediates, the
# trust store and an AIA caIssuers URL served by a local HTTP server),
# --proxy through a CONNECT proxy, --deadline, and the bad input of each.
# Runs the built tools from $TK_BUILD (default: build/ next to tests/).

# shellcheck disable=SC2154 # stderr: set by bats' run --separate-stderr
load lib

# jq_ok FILTER: every JSON line in $output satisfies FILTER.
jq_ok() {
	if ! jq -s -e "all(.[]; $1)" >/dev/null <<<"$output"; then
		fail "JSON does not satisfy: $1
$output"
	fi
}

# start_v6_same_port NAME CHAIN KEY: tlskit's server on [::1]:$PORT, the
# port number a server already holds on 127.0.0.1.  Fails (so the caller
# can retry with another port) when that port is taken on [::1].
start_v6_same_port() {
	local name=$1 chain=$2 key=$3 i

	tk_spawn "$name" "$TK_SERVER" --cert "$chain" --key "$key" \
	    --listen "[::1]:$PORT"
	for ((i = 0; i < 400; i++)); do
		tk_out_has "^listening on \[::1\]:$PORT\$" && return 0
		tk_gone "$SERVER_PID" && return 1
		sleep 0.025
	done
	fail "server on [::1]:$PORT not ready: $(cat "$SERVER_OUT" "$SERVER_ERR")"
}

# start_pair V4-CASE V6-CASE: testdata/V4-CASE on 127.0.0.1:PORT and
# testdata/V6-CASE on [::1]:PORT, the same PORT (retried when the port
# number is taken on [::1]).
start_pair() {
	local v4=$1 v6=$2 try

	for ((try = 0; try < 5; try++)); do
		tk_serve echo "v4-$try" "$TESTDATA/$v4-chain.pem" "$TESTDATA/$v4.key"
		if start_v6_same_port "v6-$try" "$TESTDATA/$v6-chain.pem" \
		    "$TESTDATA/$v6.key"; then
			return 0
		fi
	done
	fail "no port number free on both 127.0.0.1 and [::1]"
}

# --- --resolve --------------------------------------------------------

@test "--resolve NAME:PORT:ADDR answers a name DNS does not know, for check-cert and echo-client" {
	tk_start_echo good
	run -0 --separate-stderr tk_check --json --hostname localhost \
	    --resolve "shop.tlskit.test:$PORT:127.0.0.1" "shop.tlskit.test:$PORT"
	jq_ok '.verdict == "ok" and .address == "127.0.0.1:'"$PORT"'"'
	jq_ok '.target == "shop.tlskit.test:'"$PORT"'" and .hostname == "localhost"'
	# the certificate is for localhost: name the verified name by --resolve
	run -0 --separate-stderr tk_check --resolve "localhost:$PORT:127.0.0.1" \
	    "localhost:$PORT"
	assert_line -n 0 --regexp "^OK +localhost:$PORT: valid for localhost"
	run -0 --separate-stderr timeout 30 "$TK_CLIENT" --ca "$TESTDATA/ca.crt" \
	    --hostname localhost --resolve "shop.tlskit.test:127.0.0.1" \
	    --handshake-only "shop.tlskit.test:$PORT"
}

@test "--resolve for another port, or without the family asked for, is not used" {
	tk_start_echo good
	# another port: DNS is asked, and .test names never resolve
	run -3 --separate-stderr tk_check --json -t 5 \
	    --resolve "nowhere.tlskit.test:1:127.0.0.1" "nowhere.tlskit.test:$PORT"
	jq_ok '.verdict == "error" and .reason == "resolve"'
	run -3 --separate-stderr tk_check --json -4 \
	    --resolve "v6only.tlskit.test:[::1]" "v6only.tlskit.test:$PORT"
	jq_ok '.reason == "resolve"'
	[[ $stderr == *"no IPv4 address in --resolve"* ]] || fail "stderr: $stderr"
}

@test "bad input: --resolve without an address" {
	tk_check_bad_input --resolve shop.tlskit.test:443 shop.tlskit.test
	[[ $stderr == *"--resolve"*"no address"* ]] || fail "stderr: $stderr"
	tk_check_bad_input --resolve shop.tlskit.test shop.tlskit.test
	tk_check_bad_input --resolve shop.tlskit.test:443: shop.tlskit.test
}

@test "bad input: --resolve with a bad address or port" {
	tk_check_bad_input --resolve shop.tlskit.test:443:localhost shop.tlskit.test
	[[ $stderr == *"'localhost' is not an IP address"* ]] || fail "stderr: $stderr"
	tk_check_bad_input --resolve shop.tlskit.test:0:127.0.0.1 shop.tlskit.test
	tk_check_bad_input --resolve ':443:127.0.0.1' shop.tlskit.test
}

# --- --all-addresses ----------------------------------------------------

@test "--all-addresses: 127.0.0.1 and ::1 serving different certificates is a mismatch (text)" {
	start_pair localhost-rsa localhost-ecdsa
	run -1 --separate-stderr tk_check --all-addresses \
	    --resolve "localhost:$PORT:127.0.0.1" --resolve "localhost:$PORT:::1" \
	    "localhost:$PORT"
	assert_line -n 0 --regexp "^FAIL +localhost:$PORT at 127\.0\.0\.1:$PORT: address-mismatch: the 2 addresses of 'localhost' serve 2 different certificates: "
	assert_line -n 1 --regexp "^FAIL +localhost:$PORT at \[::1\]:$PORT: address-mismatch: "
	assert_line -n 2 "2 addresses: 0 ok, 0 warning, 2 failed"
	# one stderr line per address, naming it
	assert_equal "$(grep -c . <<<"$stderr")" 2
	[[ $stderr == *"localhost:$PORT at [::1]:$PORT: verify: address-mismatch"* ]] ||
	    fail "stderr: $stderr"
}

@test "--all-addresses: the mismatch in JSON, one object per address" {
	start_pair localhost-rsa localhost-ecdsa
	run -1 --separate-stderr tk_check --json --all-addresses \
	    --resolve "shop.tlskit.test:$PORT:127.0.0.1,::1" --hostname localhost \
	    "shop.tlskit.test:$PORT"
	assert_equal "${#lines[@]}" 2
	jq_ok '.verdict == "fail" and .reason == "address-mismatch"'
	jq_ok '.all_addresses == {"count": 2, "certificates": 2, "failed": 0, "consistent": false}'
	jq_ok '.verification.status == "ok" and .hostname == "localhost"'
	run jq -s -r '[.[].address] | join(" ")' <<<"$output"
	assert_output "127.0.0.1:$PORT [::1]:$PORT"
	# --stream prints the group once it is complete
	run -1 --separate-stderr tk_check --json --stream --all-addresses \
	    --resolve "shop.tlskit.test:$PORT:127.0.0.1,::1" --hostname localhost \
	    "shop.tlskit.test:$PORT"
	assert_equal "${#lines[@]}" 2
	jq_ok '.reason == "address-mismatch"'
}

@test "--all-addresses: the same certificate on both addresses is OK" {
	start_pair localhost-rsa localhost-rsa
	run -0 --separate-stderr tk_check --json --all-addresses \
	    --resolve "localhost:$PORT:127.0.0.1,[::1]" "localhost:$PORT"
	assert_equal "${#lines[@]}" 2
	jq_ok '.verdict == "ok" and .all_addresses.consistent == true'
	run -0 --separate-stderr tk_check --all-addresses \
	    --resolve "localhost:$PORT:127.0.0.1,[::1]" "localhost:$PORT"
	assert_line -n 0 --regexp "^OK +localhost:$PORT at 127\.0\.0\.1:$PORT: valid for localhost"
	assert_line -n 1 --regexp "^OK +localhost:$PORT at \[::1\]:$PORT: valid for localhost"
}

@test "--all-addresses: an address that does not answer fails the check" {
	tk_start_echo good
	# 192.0.2.1 (TEST-NET-1) is never routed: a connect timeout
	run -3 --separate-stderr tk_check --json -t 1 --all-addresses \
	    --resolve "localhost:$PORT:127.0.0.1,192.0.2.1" "localhost:$PORT"
	assert_equal "${#lines[@]}" 2
	jq_ok '.all_addresses.failed == 1 and .all_addresses.consistent == false'
	run jq -s -r 'map(.verdict + " " + .address) | join(",")' <<<"$output"
	assert_output "ok 127.0.0.1:$PORT,error 192.0.2.1:$PORT"
}

@test "--all-addresses: a name that does not resolve fails in the resolve step" {
	run -3 --separate-stderr tk_check --json -t 5 --all-addresses \
	    nowhere.tlskit.test:443
	jq_ok '.verdict == "error" and .reason == "resolve" and .exit_code == 3'
}

@test "bad input: --all-addresses with --file" {
	tk_check_bad_input --all-addresses --file "$TESTDATA/localhost-rsa-chain.pem"
}

# --- --fix-chain --------------------------------------------------------

# The URL in testdata/aia.crt (gen.sh): a .test name on a fixed port.
AIA_NAME=aia.tlskit.test
AIA_PORT=48080

# start_aia MODE: tests/peers/aia_http.py answering MODE with the
# intermediate (DER) on port 48080 of the first free address among
# 127.84.65.1-20 (a fixed port is safe on an address nobody else uses);
# sets AIA_ADDR, which the tests map the URL's name to with --resolve, and
# AIA_LOG, its stdout.
start_aia() {
	local mode=$1 n i

	openssl x509 -in "$TESTDATA/intermediate.crt" -outform DER \
	    -out "$BATS_TEST_TMPDIR/intermediate.der"
	for ((n = 1; n <= 20; n++)); do
		AIA_ADDR=127.84.65.$n
		tk_spawn "aia-$mode-$n" "$TK_PYTHON" "$TK_PEERS/aia_http.py" \
		    "$AIA_ADDR" "$AIA_PORT" "$mode" \
		    "$BATS_TEST_TMPDIR/intermediate.der"
		for ((i = 0; i < 400; i++)); do
			if tk_out_has "^listening on $AIA_ADDR:$AIA_PORT\$"; then
				AIA_LOG=$SERVER_OUT
				return 0
			fi
			tk_gone "$SERVER_PID" && break
			sleep 0.025
		done
	done
	fail "no loopback address with port $AIA_PORT free"
}

# The certificates of a PEM text on stdin, comments dropped.
pem_only() {
	grep -v '^#'
}

@test "--fix-chain: out of order, with the root: reordered, root dropped (openssl s_server keeps the order)" {
	local served=$BATS_TEST_TMPDIR/served.pem fixed=$BATS_TEST_TMPDIR/fixed.pem
	cat "$TESTDATA/localhost-rsa.crt" "$TESTDATA/ca.crt" "$TESTDATA/intermediate.crt" >"$served"
	tk_serve openssl ooo "$served" "$TESTDATA/localhost-rsa.key"
	run -5 --separate-stderr tk_check --fix-chain "localhost:$PORT"
	assert_line -n 0 "# tls-check-cert --fix-chain localhost:$PORT: 2 certificates, changed"
	assert_line -n 1 "# reordered: the certificates were not sent in issuing order, which is #0, #2, #1: each must be followed by the one that issued it (RFC 8446 4.4.2)"
	assert_line -n 2 "# dropped-root: #1 'tlskit Test Root CA' is a root (self-signed): clients use their own copy, so sending it only costs bytes"
	# the certificates are the good chain, byte for byte
	pem_only <<<"$output" >"$fixed"
	cmp "$fixed" "$TESTDATA/localhost-rsa-chain.pem" ||
	    fail "the fixed chain is not leaf + intermediate"
	# and the whole output, comments included, is a chain file that checks
	printf '%s\n' "$output" >"$fixed"
	run -0 tk_check --file "$fixed" --hostname localhost
	# JSON: the report, with the fixed chain in it
	run -5 --separate-stderr tk_check --json --fix-chain "localhost:$PORT"
	jq_ok '.verdict == "warning" and .reason == "chain-order"'
	jq_ok '.fixed_chain.complete and .fixed_chain.changed and .fixed_chain.certificates == 2'
	jq_ok '[.fixed_chain.changes[].action] == ["reordered", "dropped-root"]'
	jq_ok '.fixed_chain.pem | startswith("-----BEGIN CERTIFICATE-----")'
}

@test "--fix-chain: a right chain is left as it is" {
	tk_start_echo good
	run -0 --separate-stderr tk_check --fix-chain "localhost:$PORT"
	assert_line -n 0 "# tls-check-cert --fix-chain localhost:$PORT: 2 certificates, unchanged"
	assert_line -n 1 "# none: the chain as sent is right: nothing to change"
	cmp <(pem_only <<<"$output") "$TESTDATA/localhost-rsa-chain.pem"
}

@test "--fix-chain: the missing intermediate from --intermediates" {
	tk_serve echo missing "$TESTDATA/missing-intermediate-chain.pem" \
	    "$TESTDATA/missing-intermediate.key"
	run -1 --separate-stderr tk_check --fix-chain \
	    --intermediates "$TESTDATA/intermediate.crt" "localhost:$PORT"
	assert_line -n 0 "# tls-check-cert --fix-chain localhost:$PORT: 2 certificates, changed"
	assert_line -n 1 "# added: 'tlskit Test Intermediate CA', the issuer of 'localhost', was not sent; taken from --intermediates '$TESTDATA/intermediate.crt'"
	cmp <(pem_only <<<"$output") <(cat "$TESTDATA/missing-intermediate.crt" "$TESTDATA/intermediate.crt")
	# the served chain still fails, and says so on stderr
	[[ $stderr == *"verify: missing-intermediate"* ]] || fail "stderr: $stderr"
	# without anything to fill it from: incomplete, and why
	run -1 --separate-stderr tk_check --fix-chain "localhost:$PORT"
	assert_line -n 0 "# tls-check-cert --fix-chain localhost:$PORT: 1 certificate, INCOMPLETE"
	assert_line -n 1 "# incomplete: the issuer 'CN=tlskit Test Intermediate CA' of 'localhost' was found nowhere: not sent, not in --intermediates, not in the trust store; it names no AIA caIssuers URL"
}

@test "--fix-chain: the missing intermediate fetched from the AIA caIssuers URL (DER)" {
	start_aia ok
	tk_serve echo aia "$TESTDATA/aia-chain.pem" "$TESTDATA/aia.key"
	run -1 --separate-stderr tk_check --fix-chain \
	    --resolve "$AIA_NAME:$AIA_PORT:$AIA_ADDR" "localhost:$PORT"
	assert_line -n 0 "# tls-check-cert --fix-chain localhost:$PORT: 2 certificates, changed"
	assert_line -n 1 "# added: 'tlskit Test Intermediate CA', the issuer of 'localhost', was not sent; fetched from its AIA caIssuers URL 'http://$AIA_NAME:$AIA_PORT/tlskit/intermediate.der'"
	cmp <(pem_only <<<"$output") <(cat "$TESTDATA/aia.crt" "$TESTDATA/intermediate.crt")
	# one plain GET, with the name and port of the URL as Host
	run grep -c "^GET /tlskit/intermediate.der Host: $AIA_NAME:$AIA_PORT\$" \
	    "$AIA_LOG"
	assert_output 1
	run -1 --separate-stderr tk_check --json --fix-chain \
	    --resolve "$AIA_NAME:$AIA_PORT:$AIA_ADDR" "localhost:$PORT"
	jq_ok '.reason == "missing-intermediate" and .fixed_chain.complete and .fixed_chain.certificates == 2'
	jq_ok '.fixed_chain.changes[0].action == "added"'
}

@test "--fix-chain: AIA responses chunked, read to the close, or redirected" {
	local mode

	tk_serve echo aia "$TESTDATA/aia-chain.pem" "$TESTDATA/aia.key"
	local echo_port=$PORT
	for mode in chunked close redirect; do
		start_aia "$mode"
		run -1 --separate-stderr tk_check --json --fix-chain \
		    --resolve "$AIA_NAME:$AIA_PORT:$AIA_ADDR" "localhost:$echo_port"
		jq_ok '.fixed_chain.complete and .fixed_chain.certificates == 2'
		kill "$SERVER_PID"
	done
}

@test "--fix-chain: an AIA fetch that fails leaves the chain incomplete and says why" {
	local mode want

	tk_serve echo aia "$TESTDATA/aia-chain.pem" "$TESTDATA/aia.key"
	local echo_port=$PORT
	for mode in 404 garbage big hang; do
		case $mode in
		404) want='failed: HTTP status 404' ;;
		garbage) want='failed: malformed HTTP response: no HTTP/1.x status line' ;;
		big) want='failed: the response is larger than 262144 bytes' ;;
		hang) want='failed: timed out after 1 s' ;;
		esac
		start_aia "$mode"
		SECONDS=0
		run -1 --separate-stderr tk_check -t 1 --fix-chain \
		    --resolve "$AIA_NAME:$AIA_PORT:$AIA_ADDR" "localhost:$echo_port"
		((SECONDS < 10)) || fail "$mode took $SECONDS s"
		assert_line -n 0 --regexp ': 1 certificate, INCOMPLETE$'
		assert_line -n 1 --partial "; AIA 'http://$AIA_NAME:$AIA_PORT/tlskit/intermediate.der' $want"
		kill "$SERVER_PID"
	done
	# a name nobody maps: the resolve step of the fetch fails
	run -1 --separate-stderr tk_check -t 2 --fix-chain "localhost:$echo_port"
	assert_line -n 1 --regexp "AIA 'http://$AIA_NAME:$AIA_PORT/tlskit/intermediate.der' failed: (cannot resolve|timed out)"
}

@test "--fix-chain with --file and --all-addresses" {
	local chain=$BATS_TEST_TMPDIR/dup.pem
	cat "$TESTDATA/localhost-rsa-chain.pem" "$TESTDATA/intermediate.crt" "$TESTDATA/wrongname.crt" >"$chain"
	run -5 --separate-stderr tk_check --fix-chain --file "$chain"
	assert_line -n 1 "# dropped-duplicate: #2 'tlskit Test Intermediate CA' is a second copy of #1"
	assert_line -n 2 "# dropped-unrelated: #3 'wrong.example.net' is not on the path from the leaf"
	start_pair localhost-rsa localhost-ecdsa
	run -1 --separate-stderr tk_check --fix-chain --all-addresses \
	    --resolve "localhost:$PORT:127.0.0.1,::1" "localhost:$PORT"
	assert_line -n 0 "# tls-check-cert --fix-chain localhost:$PORT at 127.0.0.1:$PORT: 2 certificates, unchanged"
	assert_line --regexp "^# tls-check-cert --fix-chain localhost:$PORT at \[::1\]:$PORT: 2 certificates, unchanged\$"
}

@test "bad input: --intermediates unreadable, not certificates, or without --fix-chain" {
	tk_check_bad_input --fix-chain --intermediates "$BATS_TEST_TMPDIR/no/such.pem" localhost
	[[ $stderr == *"no/such.pem"* ]] || fail "stderr: $stderr"
	tk_check_bad_input --fix-chain --intermediates "$TESTDATA/garbage.pem" localhost
	tk_check_bad_input --fix-chain --intermediates "$TESTDATA/empty.pem" localhost
	tk_check_bad_input --intermediates "$TESTDATA/intermediate.crt" localhost
	tk_check_bad_input --fix-chain --pem localhost
	tk_check_bad_input --fix-chain --intermediates "$TESTDATA/intermediate.crt" \
	    --intermediates "$TESTDATA/intermediate.crt" localhost
}

# --- --proxy --------------------------------------------------------------

# start_proxy MODE: tests/peers/connect_proxy.py on 127.0.0.1:0, which maps
# backend.tlskit.test (a name only the proxy knows) to 127.0.0.1; sets
# PROXY_PORT and PROXY_LOG (PORT stays the backend's).
start_proxy() {
	local backend=$PORT

	tk_start_server "proxy-$1" "$TK_PYTHON" "$TK_PEERS/connect_proxy.py" \
	    "$1" backend.tlskit.test=127.0.0.1
	PROXY_PORT=$PORT
	PROXY_LOG=$SERVER_OUT
	PORT=$backend
}

@test "--proxy: through an HTTP CONNECT proxy that resolves the name itself" {
	tk_start_echo good
	start_proxy ok
	run -0 --separate-stderr tk_check --json --hostname localhost \
	    --proxy "http://127.0.0.1:$PROXY_PORT" "backend.tlskit.test:$PORT"
	jq_ok '.verdict == "ok" and .hostname == "localhost" and .sni == "localhost"'
	# the address connected to is the proxy's
	jq_ok '.address == "127.0.0.1:'"$PROXY_PORT"'"'
	run grep -c "^CONNECT backend.tlskit.test:$PORT\$" "$PROXY_LOG"
	assert_output 1
	# text, and without a scheme (http:// assumed, as curl does)
	run -0 --separate-stderr tk_check --hostname localhost \
	    --proxy "127.0.0.1:$PROXY_PORT" "backend.tlskit.test:$PORT"
	assert_line -n 0 --regexp "^OK +backend.tlskit.test:$PORT: valid for localhost"
}

@test "--proxy: https_proxy and no_proxy from the environment, for every client tool" {
	tk_start_echo good
	start_proxy ok
	export https_proxy=http://127.0.0.1:$PROXY_PORT
	run -0 --separate-stderr tk_check --hostname localhost "backend.tlskit.test:$PORT"
	run -0 --separate-stderr timeout 30 "$TK_CLIENT" --ca "$TESTDATA/ca.crt" \
	    --hostname localhost --message hello "backend.tlskit.test:$PORT"
	assert_output hello
	run -0 --separate-stderr timeout 30 "$TK_BUILD/tools/tls-alpn-probe" \
	    --ca "$TESTDATA/ca.crt" --hostname localhost --json "backend.tlskit.test:$PORT"
	run grep -c "^CONNECT backend.tlskit.test:$PORT\$" "$PROXY_LOG"
	assert_output 3
	# no_proxy: the name is resolved here, and .test names never resolve
	NO_PROXY=tlskit.test run -3 --separate-stderr tk_check -t 5 --json \
	    --hostname localhost "backend.tlskit.test:$PORT"
	jq_ok '.reason == "resolve"'
	# --proxy '' turns the environment's proxy off
	run -0 --separate-stderr tk_check --proxy '' "localhost:$PORT"
	run grep -c "^CONNECT " "$PROXY_LOG"
	assert_output 3
	# curl's rule: http_proxy is for http:// only
	unset https_proxy
	http_proxy=http://127.0.0.1:1 run -0 --separate-stderr tk_check "localhost:$PORT"
}

@test "--proxy: a proxy that refuses, wants authentication, is not HTTP, or never answers" {
	local mode want

	for mode in refuse auth garbage close hang; do
		case $mode in
		refuse) want="the proxy 'http://127.0.0.1:[0-9]*' refused CONNECT localhost:1234: 403 Forbidden" ;;
		auth) want="refused CONNECT localhost:1234: 407 Proxy Authentication Required \(proxy authentication is not supported\)" ;;
		garbage) want="the proxy's reply to CONNECT is not HTTP" ;;
		close) want="closed the connection without answering CONNECT localhost:1234" ;;
		hang) want="timed out after 1 s waiting for the proxy's reply to CONNECT" ;;
		esac
		start_proxy "$mode"
		run -3 --separate-stderr tk_check -t 1 --json \
		    --proxy "http://127.0.0.1:$PROXY_PORT" localhost:1234
		jq_ok '.verdict == "error" and .reason == "connect" and .exit_code == 3'
		[[ $stderr =~ ^tls-check-cert:\ localhost:1234:\ connect:\ .*$want ]] ||
		    fail "$mode: stderr: $stderr"
		kill "$SERVER_PID"
	done
}

@test "--proxy: errors through the environment's proxy name it and the variable; -v says which proxy and why, or why none" {
	tk_start_echo good
	start_proxy refuse
	export https_proxy=http://127.0.0.1:$PROXY_PORT
	# the proxy's own refusal, and a proxy that is not there
	run -3 --separate-stderr tk_check -t 5 localhost:1234
	assert_regex "$stderr" "refused CONNECT localhost:1234: 403 Forbidden; via proxy 127.0.0.1:$PROXY_PORT \(from https_proxy\)\$"
	https_proxy= ALL_PROXY=http://127.0.0.1:1 run -3 --separate-stderr \
	    tk_check -t 5 localhost:1234
	assert_regex "$stderr" "^tls-check-cert: localhost:1234: connect: .*; via proxy 127.0.0.1:1 \(from ALL_PROXY\)\$"
	# -v: which proxy, or why none, once per target, in every client tool
	run -3 --separate-stderr tk_check -v -t 5 localhost:1234
	assert_equal "${stderr_lines[0]}" "tls-check-cert: localhost:1234: proxy: via 127.0.0.1:$PROXY_PORT (from https_proxy)"
	run -3 --separate-stderr timeout 30 "$TK_CLIENT" --ca "$TESTDATA/ca.crt" \
	    -v -t 5 localhost:1234 </dev/null
	assert_equal "${stderr_lines[0]}" "tls-echo-client: localhost:1234: proxy: via 127.0.0.1:$PROXY_PORT (from https_proxy)"
	no_proxy=example.org,localhost run -0 --separate-stderr tk_check -v "localhost:$PORT"
	assert_equal "${stderr_lines[0]}" "tls-check-cert: localhost:$PORT: proxy: none: 'localhost' matches no_proxy entry 'localhost'"
	run -0 --separate-stderr tk_check -v --proxy '' "localhost:$PORT"
	assert_equal "${stderr_lines[0]}" "tls-check-cert: localhost:$PORT: proxy: none (--proxy '')"
	# the target as given, as the error lines name it (a URL stays one)
	run -3 --separate-stderr timeout 30 "$TK_BUILD/tools/tls-starttls" -v \
	    -t 5 smtp://localhost:1234
	assert_equal "${stderr_lines[0]}" "tls-starttls: smtp://localhost:1234: proxy: via 127.0.0.1:$PROXY_PORT (from https_proxy)"
	# no proxy configured: -v says nothing about proxies
	unset https_proxy
	run -0 --separate-stderr tk_check -v "localhost:$PORT"
	[[ $stderr != *proxy:* ]] || fail "stderr: $stderr"
	# --proxy given: the user knows; errors stay as they were
	run -3 --separate-stderr tk_check -t 5 --proxy "127.0.0.1:$PROXY_PORT" localhost:1234
	assert_regex "$stderr" "403 Forbidden\$"
}

@test "bad input: a malformed --proxy URL or https_proxy" {
	tk_check_bad_input --proxy socks5://127.0.0.1:1080 localhost
	[[ $stderr == *"only http:// proxies"* ]] || fail "stderr: $stderr"
	tk_check_bad_input --proxy http://user:secret@127.0.0.1:3128 localhost
	tk_check_bad_input --proxy http:// localhost
	tk_check_bad_input --proxy http://127.0.0.1:99999 localhost
	tk_check_bad_input --proxy 'http://[::1:3128' localhost
	https_proxy=https://127.0.0.1:3128 tk_check_bad_input localhost
	[[ $stderr == *https_proxy* ]] || fail "stderr does not name https_proxy: $stderr"
}

# --- --deadline -----------------------------------------------------------

@test "--deadline: the whole run ends in time, naming the step it ran out in" {
	local silent

	tk_start_server silent "$TK_PYTHON" "$TK_PEERS/hostile.py" server silent
	silent=$PORT
	SECONDS=0
	run -3 --separate-stderr tk_check -t 30 --deadline 1 "localhost:$silent"
	((SECONDS <= 5)) || fail "took $SECONDS s"
	assert_line -n 0 "ERROR   localhost:$silent: handshake: --deadline of 1 s ran out in the handshake step"
	assert_equal "$stderr" "tls-check-cert: localhost:$silent: handshake: --deadline of 1 s ran out in the handshake step"
	# several targets share the one deadline
	run -3 --separate-stderr tk_check -t 30 --deadline 0.5 --json \
	    "localhost:$silent" "127.0.0.1:$silent"
	assert_equal "${#lines[@]}" 2
	jq_ok '.verdict == "error" and .reason == "handshake" and (.error.message | test("^--deadline of 0.5 s ran out in the handshake step"))'
	# the other client tools, in their own steps
	run -3 --separate-stderr timeout 30 "$TK_CLIENT" --ca "$TESTDATA/ca.crt" \
	    --deadline 0.5 --message x "localhost:$silent"
	[[ $stderr == *"handshake: --deadline of 0.5 s ran out in the handshake step"* ]] ||
	    fail "stderr: $stderr"
	run -3 --separate-stderr timeout 30 "$TK_BUILD/tools/tls-starttls" \
	    --ca "$TESTDATA/ca.crt" --deadline 0.5 --proto smtp "localhost:$silent"
	[[ $stderr == *"starttls: --deadline of 0.5 s ran out in the starttls step"* ]] ||
	    fail "stderr: $stderr"
}

@test "--deadline: through a proxy that never answers, in the connect step" {
	start_proxy hang
	run -3 --separate-stderr tk_check -t 30 --deadline 0.5 \
	    --proxy "127.0.0.1:$PROXY_PORT" localhost:1234
	assert_equal "$stderr" "tls-check-cert: localhost:1234: connect: --deadline of 0.5 s ran out in the connect step (waiting for the proxy's reply to CONNECT)"
}

@test "--deadline: a fast target is not hurt by it" {
	tk_start_echo good
	run -0 --separate-stderr tk_check --deadline 30 "localhost:$PORT"
}

@test "bad input: --deadline 0, -1 or not a number" {
	tk_check_bad_input --deadline 0 localhost
	tk_check_bad_input --deadline -1 localhost
	tk_check_bad_input --deadline soon localhost
}
