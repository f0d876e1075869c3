#!/usr/bin/env bats
# tls-echo-client's load generator (--connections C --duration S): full
# handshakes or echoed blocks from C connections at once, against tlskit's
# server (one process and --workers 2) and gnutls-serv; counts, fields and
# errors, never timings.

load lib

start_ecdsa() {
	tk_start_echo "$@" --cert "$TESTDATA/localhost-ecdsa-chain.pem" \
	    --key "$TESTDATA/localhost-ecdsa.key"
}

@test "--connections 8 --handshake-only: handshakes counted, no errors, one text line" {
	start_ecdsa hs -q
	run -0 --separate-stderr tk_client --ca "$TK_CA" --connections 8 \
	    --duration 1 --handshake-only "127.0.0.1:$PORT"
	local n='[0-9]+(\.[0-9]+)?'
	assert_output --regexp "^8 connections for $n s: [1-9][0-9]* handshakes \\($n/s\\), handshake p50 $n ms p99 $n ms; 0 errors\$"
	# the server saw only clean connections: no error lines with -q
	run grep -c 'error' "$BATS_TEST_TMPDIR/hs.err"
	assert_output 0
}

@test "--connections --json: every load field, echo of --size blocks" {
	start_ecdsa echo
	run -0 --separate-stderr tk_client --json --ca "$TK_CA" --connections 4 \
	    --duration 1 --size 4096 "127.0.0.1:$PORT"
	tk_jqx '.exit_code == 0 and .error == null' "$output"
	tk_jqx '.verification.status == "ok"' "$output"
	tk_jqx '.load | .connections == 4 and .handshake_only == false and .size == 4096' "$output"
	tk_jqx '.load | .handshakes >= 4 and .count > 0 and .errors == 0' "$output"
	tk_jqx '.load | .bytes == .count * 4096 and .mbps > 0 and .seconds > 0' "$output"
	tk_jqx '.load | .handshakes_per_s > 0' "$output"
	tk_jqx '.load.rtt_ms | .p50 <= .p90 and .p90 <= .p99' "$output"
	tk_jqx '.load.handshake_ms | .p50 <= .p90 and .p90 <= .p99' "$output"
}

@test "--connections with --count: N blocks per connection, then a new handshake" {
	start_ecdsa count -q
	run -0 --separate-stderr tk_client --json --ca "$TK_CA" --connections 2 \
	    --duration 1 --count 2 --size 100 "127.0.0.1:$PORT"
	# at most 2 blocks per handshake, and more than one handshake each
	tk_jqx '.load | .count <= 2 * .handshakes and .handshakes > 2' "$output"
	tk_jqx '.load.errors == 0' "$output"
}

@test "--connections 200 against --workers 2: both workers serve, no errors" {
	start_ecdsa w --json --workers 2
	run -0 --separate-stderr tk_client --json --ca "$TK_CA" --connections 200 \
	    --duration 1 --handshake-only "127.0.0.1:$PORT"
	tk_jqx '.load | .connections == 200 and .handshakes >= 200 and .errors == 0' "$output"
	tk_wait_for "$SERVER_PID" "connection records" \
	    tk_file_has "$BATS_TEST_TMPDIR/w.out" '"event":"connection"' 200
	run -0 jq -r 'select(.event == "connection") | .worker' \
	    "$BATS_TEST_TMPDIR/w.out"
	assert_equal "$(sort -u <<<"$output" | wc -l)" 2
}

@test "--connections against gnutls-serv --echo: handshakes and echo" {
	command -v gnutls-serv >/dev/null || skip "no gnutls-serv"
	tk_start_peer gserv gnutls-serv --echo -q -p 0 \
	    --x509certfile "$TESTDATA/localhost-ecdsa-chain.pem" \
	    --x509keyfile "$TESTDATA/localhost-ecdsa.key"
	run -0 --separate-stderr tk_client --json --ca "$TK_CA" --hostname localhost \
	    --connections 4 --duration 1 --size 1000 "127.0.0.1:$PORT"
	tk_jqx '.load | .handshakes >= 4 and .count > 0 and .errors == 0' "$output"
}

@test "--connections: a server that goes away counts errors, exit 3 or 4" {
	start_ecdsa gone
	# the first connection succeeds; then the server stops: connections
	# cut mid-handshake (4) or refused (3) are errors, the first one's
	# class is the exit status
	(sleep 0.3; kill -TERM "$SERVER_PID") 3>&- &
	run --separate-stderr tk_client --json --ca "$TK_CA" --connections 2 \
	    --duration 1 --handshake-only "127.0.0.1:$PORT"
	[[ $status == 3 || $status == 4 ]] || fail "exit $status: $output"
	tk_jqx '.load.errors > 0 and (.error.class == "network" or .error.class == "tls")' "$output"
	tk_jqx ".exit_code == $status" "$output"
	wait
}

@test "--connections: bad combinations and values are usage errors (exit 2)" {
	run -2 "$TK_CLIENT" --connections 2 -m hi 127.0.0.1:1
	assert_output --partial 'excludes'
	run -2 "$TK_CLIENT" --connections 2 --starttls line 127.0.0.1:1
	assert_output --partial 'excludes'
	run -2 "$TK_CLIENT" --connections 2 --count 2 --handshake-only 127.0.0.1:1
	assert_output --partial 'exclude'
	run -2 "$TK_CLIENT" --connections 0 127.0.0.1:1
	run -2 "$TK_CLIENT" --connections 2 --duration 0 127.0.0.1:1
	run -2 "$TK_CLIENT" --connections 2 --duration 3601 127.0.0.1:1
}
