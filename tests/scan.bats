#!/usr/bin/env bats
# tls-scan against real servers whose configuration the test chose, so each
# answer is known: tls-echo-server limited to TLS 1.2 and 1.3 (and its SMTP
# side), openssl s_server with legacy suites (TLS 1.0 and 1.1, anonymous
# suites, a 1024-bit DH group, no TLS 1.3), and gnutls-serv with RC4, 3DES,
# TLS 1.0 and its own order.  The exit codes, the JSON contract, --require,
# -q, several targets and the errors.  tests/scan-peers.bats compares the
# versions and suites with sslscan, testssl.sh and nmap; tests/scan-hostile
# .bats the servers that misbehave.  Servers start once (setup_file).

load lib

SCAN=$TK_BUILD/tools/tls-scan

setup_file() {
	BATS_TEST_TMPDIR=$BATS_FILE_TMPDIR
	TK_PIDS=$BATS_FILE_TMPDIR/servers.pids
	: >"$TK_PIDS"
	tk_start_echo echo --min-version 1.2
	export ECHO_PORT=$PORT
	tk_start_echo smtp --starttls smtp --min-version 1.2
	export SMTP_PORT=$PORT
	tk_start_openssl legacy -cipher 'ALL:@SECLEVEL=0' -no_tls1_3 \
	    -dhparam "$TESTDATA/dh1024.pem"
	export LEGACY_PORT=$PORT
	tk_start_gnutls gt --dhparams "$TESTDATA/dh1024.pem" --priority \
	    'NORMAL:+VERS-TLS1.0:+3DES-CBC:+ARCFOUR-128:+DHE-RSA:+SHA1:%SERVER_PRECEDENCE'
	export GT_PORT=$PORT
	export TK_FILE_PIDS=$TK_PIDS
	# one scan of each, read by several tests
	"$SCAN" --json --ca "$TK_CA" --hostname localhost \
	    "127.0.0.1:$ECHO_PORT" >"$BATS_FILE_TMPDIR/echo.json" || true
	"$SCAN" --json --ca "$TK_CA" --hostname localhost \
	    "127.0.0.1:$LEGACY_PORT" >"$BATS_FILE_TMPDIR/legacy.json" || true
	"$SCAN" --json --ca "$TK_CA" --hostname localhost \
	    "127.0.0.1:$GT_PORT" >"$BATS_FILE_TMPDIR/gt.json" || true
}

teardown_file() {
	BATS_TEST_TMPDIR=$BATS_FILE_TMPDIR
	TK_PIDS=$TK_FILE_PIDS
	BATS_TEST_COMPLETED=1 tk_stop_servers
}

# bad_input ARGS...: exit 2, one line on stderr, no socket opened
bad_input() {
	run -2 --separate-stderr tk_traced "$SCAN" "$@"
	assert_output ''
	assert_equal "$(grep -c . <<<"$stderr")" 1
	[[ $stderr == 'tls-scan: '* ]] || fail "stderr: $stderr"
	tk_no_inet "$BATS_TEST_TMPDIR/strace.log"
}

# jqf NAME FILTER: jq -r FILTER over the setup's scan of NAME
jqf() {
	jq -r "$2" "$BATS_FILE_TMPDIR/$1.json"
}

# suites NAME VERSION: the accepted suites' IANA names, sorted
suites() {
	jq -r --arg v "$2" '.suites[$v].accepted[].name' \
	    "$BATS_FILE_TMPDIR/$1.json" | sort
}

@test "tls-scan: TLS 1.2 and 1.3 only (tls-echo-server --min-version 1.2): versions, suites, groups, certificate" {
	run -0 jqf echo '[.protocols["SSL2.0","SSL3.0","TLS1.0","TLS1.1","TLS1.2","TLS1.3"]] | @csv'
	assert_output 'false,false,false,false,true,true'
	run -0 suites echo TLS1.3
	assert_line TLS_AES_128_GCM_SHA256
	assert_line TLS_AES_256_GCM_SHA384
	assert_line TLS_CHACHA20_POLY1305_SHA256
	run -0 suites echo TLS1.2
	assert_line TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
	refute_line --partial _ECDSA_
	refute_line --partial RC4
	# the tool's own GnuTLS handshake agrees with the raw hellos
	run -0 jqf echo '.tls.version'
	assert_output TLS1.3
	run -0 jqf echo '.groups["TLS1.3"] | index("x25519") != null'
	assert_output true
	run -0 jqf echo '[.certificates[] | select(.served) | .key_type] | unique | @csv'
	assert_output '"rsa"'
	run -0 jqf echo '[.certificates[] | select(.key_type == "rsa" and .sni) | .verdict, .subject] | @tsv'
	assert_output $'ok\tCN=localhost'
	run -0 jqf echo '[.renegotiation.secure, .fallback_scsv, .compression, .extended_master_secret] | @csv'
	assert_output 'true,true,false,true'
	# GnuTLS's NORMAL has static-RSA suites: a warning, exit 5
	run -0 jqf echo '.verdict + " " + .reason'
	assert_output 'warning static-kx'
	run -0 jqf echo '.connections > 20 and .connections < 200'
	assert_output true
}

@test "tls-scan: openssl s_server with legacy suites: TLS 1.0, anonymous suites, 1024-bit DH: exit 1, named findings" {
	run -0 jqf legacy '[.protocols["TLS1.0","TLS1.1","TLS1.2","TLS1.3"]] | @csv'
	assert_output 'true,true,true,false'
	run -0 jqf legacy '.dh_bits'
	assert_output 1024
	run -0 suites legacy TLS1.2
	assert_line TLS_DH_anon_WITH_AES_128_GCM_SHA256
	assert_line TLS_DHE_RSA_WITH_AES_256_GCM_SHA384
	run -0 jqf legacy '[.findings[].code] | join(" ")'
	assert_output --partial anon-suite
	assert_output --partial dh-under-2048
	assert_output --partial tls10-enabled
	assert_output --partial no-tls13
	run -0 jqf legacy '.verdict + " " + .reason'
	assert_output 'fail anon-suite'
	# OpenSSL takes the client's order unless told otherwise
	run -0 jqf legacy '.suites["TLS1.2"].server_order'
	assert_output false
	run -1 --separate-stderr "$SCAN" -q --ca "$TK_CA" --hostname localhost \
	    "127.0.0.1:$LEGACY_PORT"
	assert_output --regexp '^FAIL +127\.0\.0\.1:[0-9]+: TLS1\.0 to TLS1\.2, [0-9]+ suites, 1 failed'
	[[ $stderr == *"scan: anon-suite: "* ]] || fail "stderr: $stderr"
}

@test "tls-scan: gnutls-serv with RC4, 3DES and its own order: server order is its preference, client renegotiation" {
	run -0 jqf gt '[.suites["TLS1.2"].server_order, .suites["TLS1.3"].server_order] | @csv'
	assert_output 'true,true'
	run -0 jqf gt '[.findings[].code] | join(" ")'
	assert_output --partial rc4-suite
	assert_output --partial 3des-suite
	assert_output --partial client-renegotiation
	# the first suite of the server's order is what a full offer gets:
	# gnutls-cli offering the same legacy list agrees
	run -0 jqf gt '.suites["TLS1.2"].accepted[0].name'
	local first=$output
	run -0 timeout 10 gnutls-cli --insecure --port "$GT_PORT" \
	    --priority 'NORMAL:-VERS-TLS1.3:+3DES-CBC:+ARCFOUR-128:+DHE-RSA:+SHA1' \
	    127.0.0.1 </dev/null
	# "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384": (ECDHE-...)-(AES-256-GCM)
	local kx=${first#TLS_} enc=${first#*_WITH_}
	kx=${kx%%_*}
	enc=${enc%_SHA*}
	assert_output --partial "($kx-"
	assert_output --partial "(${enc//_/-})"
	run -0 jqf gt '[.resumption.session_id, .resumption.ticket, .resumption.tls13_psk] | @csv'
	assert_output 'true,true,true'
	run -0 jqf gt '.groups["TLS1.2"][0]'
	assert_output secp256r1
}

@test "tls-scan --require: each rule met or named with what broke it (exit 1); bad rules exit 2 before any connection" {
	run -0 "$SCAN" -q --ca "$TK_CA" --hostname localhost \
	    --require min-version=1.2,tls13 \
	    --ignore static-kx,cbc-suite,no-server-order \
	    "127.0.0.1:$ECHO_PORT"
	run -1 --separate-stderr "$SCAN" -q --ca "$TK_CA" --hostname localhost \
	    --require forward-secrecy "127.0.0.1:$ECHO_PORT"
	[[ $stderr == *"require: --require forward-secrecy: accepted without forward secrecy: TLS_RSA_"* ]] ||
	    fail "stderr: $stderr"
	run -1 --separate-stderr "$SCAN" --json --ca "$TK_CA" --hostname localhost \
	    --require min-version=TLS1.2 --require aead-only "127.0.0.1:$LEGACY_PORT"
	run -0 jq -r '.require[] | [.rule, .met, .why] | @tsv' <<<"$output"
	assert_line $'min-version=TLS1.2\tfalse\tTLS1.0 is accepted'
	assert_line --regexp $'^aead-only\tfalse\taccepted, not AEAD: '
	run -1 "$SCAN" -q --ca "$TK_CA" --hostname localhost \
	    --require max-severity=info "127.0.0.1:$ECHO_PORT"
	run -1 "$SCAN" -q --ca "$TK_CA" --hostname localhost \
	    --require no-finding=static-kx "127.0.0.1:$ECHO_PORT"
	bad_input --require fast 127.0.0.1:1
	[[ $stderr == *"unknown rule 'fast'"* ]] || fail "stderr: $stderr"
	bad_input --require min-version=1.4 127.0.0.1:1
	bad_input --require no-finding=nosuch 127.0.0.1:1
	[[ $stderr == *"no finding is called 'nosuch'"* ]] || fail "stderr: $stderr"
	bad_input --max-per-host 0 127.0.0.1:1
}

@test "tls-scan: a STARTTLS target (smtp://) is scanned after its dialogue" {
	run -0 --separate-stderr "$SCAN" --json --ca "$TK_CA" --hostname localhost \
	    --ignore static-kx,no-server-order "smtp://127.0.0.1:$SMTP_PORT"
	run -0 jq -r '[.starttls.protocol, .protocols["TLS1.2"], .protocols["TLS1.3"], (.suites["TLS1.3"].accepted | length > 0)] | @csv' <<<"$output"
	assert_output '"smtp",true,true,true'
}

@test "tls-scan --max-per-host 1: the same answers and connection count as the default (4)" {
	run -1 --separate-stderr "$SCAN" --json --max-per-host 1 --ca "$TK_CA" \
	    --hostname localhost "127.0.0.1:$GT_PORT"
	local one=$output
	run -0 diff <(jq -S '[.protocols, .suites, .groups, .dh_bits]' <<<"$one") \
	    <(jqf gt '[.protocols, .suites, .groups, .dh_bits]' | jq -S .)
	run -0 jq -r '.connections' <<<"$one"
	[[ $output -eq $(jqf gt '.connections') ]] ||
	    fail "connections: $output with 1, $(jqf gt '.connections') with 4"
}

# max_open LOG: the most TCP sockets open at once in an strace log of
# socket() and close() (tls-scan has one thread)
max_open() {
	awk '/socket\(AF_INET6?, SOCK_STREAM/ { if ($NF + 0 >= 0) { open[$NF] = 1; n++ } }
	    /^close\(/ { fd = $1; sub(/close\(/, "", fd); sub(/\).*/, "", fd)
		    if (fd in open) { delete open[fd]; n-- } }
	    n > max { max = n } END { print max + 0 }' "$1"
}

@test "tls-scan --max-per-host N: never more than N connections open at once" {
	local log=$BATS_TEST_TMPDIR/strace.log

	for n in 1 3; do
		run -1 --separate-stderr strace -o "$log" -e trace=socket,close \
		    "$SCAN" --json --max-per-host "$n" --ca "$TK_CA" \
		    --hostname localhost "127.0.0.1:$GT_PORT"
		run -0 max_open "$log"
		[[ $output -le $n ]] || fail "--max-per-host $n: $output open at once"
		# and the cap is used: lanes run side by side
		[[ $n -eq 1 || $output -eq $n ]] ||
		    fail "--max-per-host $n: at most $output open at once"
	done
}

@test "tls-scan: several targets: one line each, a summary, the worst exit code; a closed port is a network error" {
	tk_closed_port
	run -1 --separate-stderr "$SCAN" --ca "$TK_CA" --resolve localhost:127.0.0.1 \
	    "localhost:$ECHO_PORT" "localhost:$LEGACY_PORT"
	assert_line --index 0 --regexp "^WARNING +localhost:$ECHO_PORT: TLS1\.2 to TLS1\.3, "
	assert_line --index 1 --regexp "^FAIL +localhost:$LEGACY_PORT: TLS1\.0 to TLS1\.2, "
	assert_line --index 2 --partial "2 targets"
	run -3 --separate-stderr "$SCAN" --json "127.0.0.1:$CLOSED_PORT"
	run -0 jq -r '[.verdict, .reason, .connections] | @csv' <<<"$output"
	assert_output '"error","connect",1'
	[[ $stderr == "tls-scan: 127.0.0.1:$CLOSED_PORT: connect: "* ]] ||
	    fail "stderr: $stderr"
}
