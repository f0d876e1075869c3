#!/usr/bin/env bats
#
# tls-check-cert's inputs as users meet them (issue 14): --file without
# --hostname says the name was not checked (name-not-checked); chains and
# trust read from standard input and pipes; ambiguous IPv6 targets
# refused; PKCS#7 and PKCS#12 files; targets-file lines with their own
# name and label.  Runs the built tools from $TK_BUILD.

# shellcheck disable=SC2154 # stderr: set by bats' run --separate-stderr
load lib

# --- name-not-checked --------------------------------------------------

@test "--file without --hostname reports name-not-checked (info, exit 0) in text and JSON" {
	run -0 --separate-stderr tk_check --file "$TESTDATA/wrongname-chain.pem"
	assert_line --regexp '^  info +name-not-checked: '
	run -0 --separate-stderr tk_check --json \
	    --file "$TESTDATA/wrongname-chain.pem"
	tk_jqx '.verdict == "ok" and .exit_code == 0 and
	    ([.findings[] | select(.code == "name-not-checked" and
	    .severity == "info")] | length) == 1' "$output"
}

@test "--file with --hostname has no name-not-checked" {
	run -0 --separate-stderr tk_check --json --hostname localhost \
	    --file "$TESTDATA/localhost-rsa-chain.pem"
	tk_jqx '[.findings[] | select(.code == "name-not-checked")] | length == 0' \
	    "$output"
	run -1 --separate-stderr tk_check --json --hostname localhost \
	    --file "$TESTDATA/wrongname-chain.pem"
	tk_jqx '.verdict == "fail" and
	    ([.findings[].code] | index("name-mismatch") != null) and
	    ([.findings[].code] | index("name-not-checked") == null)' "$output"
}

# --- standard input and pipes ------------------------------------------

@test "--file - reads the chain from standard input" {
	run -0 --separate-stderr tk_check --json --hostname localhost \
	    --file - <"$TESTDATA/localhost-rsa-chain.pem"
	tk_jqx '.verdict == "ok" and .target == "-" and (.chain | length) == 2' \
	    "$output"
	# a pipe, as from `kubectl ... | base64 -d`
	run -0 --separate-stderr bash -c 'cat "$1" | "$2" --ca "$3" --json \
	    --hostname localhost --file -' _ "$TESTDATA/localhost-rsa-chain.pem" \
	    "$TK_CHECK" "$TK_CA"
	tk_jqx '.verdict == "ok"' "$output"
}

@test "--file /dev/stdin and --file <(...) and --ca <(...) read pipes" {
	run -0 --separate-stderr bash -c 'cat "$1" | "$2" --ca "$3" \
	    --hostname localhost --file /dev/stdin' _ \
	    "$TESTDATA/localhost-rsa-chain.pem" "$TK_CHECK" "$TK_CA"
	run -0 --separate-stderr bash -c '"$1" --ca <(cat "$2") \
	    --hostname localhost --file <(cat "$3")' _ "$TK_CHECK" "$TK_CA" \
	    "$TESTDATA/localhost-rsa-chain.pem"
	assert_output --regexp '^OK '
	# and a DER leaf through a pipe (its intermediate missing: exit 1)
	run -1 --separate-stderr bash -c 'openssl x509 -in "$1" -outform DER |
	    "$2" --ca "$3" --json --file -' _ "$TESTDATA/localhost-rsa.crt" \
	    "$TK_CHECK" "$TK_CA"
	tk_jqx '(.chain | length) == 1' "$output"
}

@test "standard input past 4 MiB, empty, or named twice: exit 2 before any I/O" {
	head -c 5000000 /dev/zero >"$BATS_TEST_TMPDIR/big"
	tk_check_bad_input --file - <"$BATS_TEST_TMPDIR/big"
	assert_equal "$stderr" \
	    "tls-check-cert: load: chain file '-' (standard input) is larger than 4 MiB"
	run -2 --separate-stderr bash -c 'cat "$1" | "$2" --file -' _ \
	    "$BATS_TEST_TMPDIR/big" "$TK_CHECK"
	assert_equal "$stderr" \
	    "tls-check-cert: load: chain file '-' (standard input) is larger than 4 MiB"
	tk_check_bad_input --file - </dev/null
	assert_equal "$stderr" \
	    "tls-check-cert: load: chain file '-' (standard input) is empty"
	tk_check_bad_input --ca - --file - <"$TESTDATA/localhost-rsa-chain.pem"
	[[ $stderr == *"can be read only once"* ]] || fail "stderr: $stderr"
	# --targets - and --ca - in the tools that read targets
	run -2 --separate-stderr timeout 20 "$TK_PROBE" --ca - --targets - \
	    <"$TK_CA"
	[[ $stderr == *"can be read only once"* ]] || fail "stderr: $stderr"
	run -2 --separate-stderr timeout 20 "$TK_STARTTLS" --proto smtp \
	    --ca - --targets - <"$TK_CA"
	[[ $stderr == *"can be read only once"* ]] || fail "stderr: $stderr"
	tk_check_bad_input --file "$BATS_TEST_TMPDIR"
	[[ $stderr == *"is not a regular file, a pipe or standard input"* ]] ||
	    fail "stderr: $stderr"
}

@test "tls-echo-client --ca - reads trust from standard input" {
	tk_start_echo good
	run -0 --separate-stderr bash -c 'timeout 20 "$1" --ca - --message hi \
	    "127.0.0.1:$3" <"$2"' _ "$TK_CLIENT" "$TK_CA" "$PORT"
}

@test "--ca - with data from standard input too: echo-client and starttls --relay refuse the pair (exit 2)" {
	run -2 --separate-stderr bash -c '"$1" --ca - 127.0.0.1:9 <"$2"' \
	    _ "$TK_CLIENT" "$TK_CA"
	assert_equal "$stderr" "tls-echo-client: 127.0.0.1:9: options: '-' (standard input) is given for a credentials file, and the data sent is read from standard input too: give --message or --handshake-only"
	run -2 --separate-stderr bash -c '"$1" --relay --ca - smtp://127.0.0.1:9 <"$2"' \
	    _ "$TK_BUILD/tools/tls-starttls" "$TK_CA"
	assert_equal "$stderr" "tls-starttls: smtp://127.0.0.1:9: options: --relay reads stdin: a credentials file cannot be '-' (standard input) with it"
}

@test "--file - on a terminal: exit 2 at once instead of waiting" {
	# script(1) gives the tool a terminal as standard input
	run -2 timeout 20 script -qec "$TK_CHECK --file -" /dev/null
	assert_output --partial "chain file '-' (standard input) is a terminal: pipe or redirect the file into it"
}

# --- ambiguous IPv6 targets --------------------------------------------

@test "::1:443 unbracketed is refused (exit 2, no socket); [::1]:PORT is taken" {
	tk_check_bad_input ::1:443
	assert_equal "$stderr" "tls-check-cert: target: ambiguous target '::1:443': an IPv6 address with a port is written [::1]:443 (the address alone: [::1:443])"
	run -2 --separate-stderr tk_traced "$TK_PROBE" ::1:443
	[[ $stderr == *'[::1]:443'* ]] || fail "stderr: $stderr"
	tk_no_inet "$BATS_TEST_TMPDIR/strace.log"
	# in a targets file too, before any I/O
	printf 'localhost:1\n::1:443\n' >"$BATS_TEST_TMPDIR/t"
	tk_check_bad_input --targets "$BATS_TEST_TMPDIR/t"
	# the bracketed form and a bare address without a port are taken
	tk_start_echo v6 --listen "[::1]:0"
	run -0 --separate-stderr tk_check --json "[::1]:$PORT"
	tk_jqx '.verdict == "ok" and .address == "[::1]:'"$PORT"'"' "$output"
}

# --- PKCS#7 and PKCS#12 ------------------------------------------------

@test "--file reads a certs-only PKCS#7 (PEM and DER) as the chain, put in path order (a SET has none)" {
	local f

	for f in localhost-rsa-chain.p7b localhost-rsa-chain.p7c; do
		run -0 --separate-stderr tk_check --json --hostname localhost \
		    --file "$TESTDATA/containers/$f"
		tk_jqx '.verdict == "ok" and (.chain | length) == 2 and
		    .chain[0].subject == "CN=localhost"' "$output"
	done
	# packed root first, as Windows and many CAs export a .p7b: the
	# leaf is found and leads, the path follows (RFC 5652 5.1: a SET)
	openssl x509 -in "$TK_CA" >"$BATS_TEST_TMPDIR/rev.pem"
	openssl x509 -in "$TESTDATA/intermediate.crt" >>"$BATS_TEST_TMPDIR/rev.pem"
	openssl x509 -in "$TESTDATA/localhost-rsa.crt" >>"$BATS_TEST_TMPDIR/rev.pem"
	openssl crl2pkcs7 -nocrl -certfile "$BATS_TEST_TMPDIR/rev.pem" \
	    -out "$BATS_TEST_TMPDIR/rev.p7b"
	run -0 --separate-stderr tk_check --json --hostname localhost \
	    --file "$BATS_TEST_TMPDIR/rev.p7b"
	tk_jqx '.verdict == "ok" and
	    [.chain[].subject] == ["CN=localhost",
	    "CN=tlskit Test Intermediate CA", "CN=tlskit Test Root CA"] and
	    ([.findings[].code] | index("chain-reversed") == null)' "$output"
	# and as trust: --ca takes a PKCS#7 too
	openssl crl2pkcs7 -nocrl -certfile "$TK_CA" -outform DER \
	    -out "$BATS_TEST_TMPDIR/ca.p7c"
	run -0 --separate-stderr timeout 60 "$TK_CHECK" --hostname localhost \
	    --ca "$BATS_TEST_TMPDIR/ca.p7c" \
	    --file "$TESTDATA/localhost-rsa-chain.pem"
}

@test "--file, --ca or --intermediates with a PKCS#12 or an empty PKCS#7: exit 2, said plainly with the option's file, no socket" {
	tk_check_bad_input --file "$TESTDATA/containers/localhost-rsa.p12"
	[[ $stderr == *"chain file '$TESTDATA/containers/localhost-rsa.p12' is PKCS#12 (a key store), not a chain: extract the certificates with 'openssl pkcs12 -in "*" -nokeys"* ]] ||
	    fail "stderr: $stderr"
	tk_check_bad_input --file "$TESTDATA/containers/empty.p7b"
	[[ $stderr == *"chain file '$TESTDATA/containers/empty.p7b' is a PKCS#7 that holds no certificate" ]] ||
	    fail "stderr: $stderr"
	# which of the options named the file is said too
	tk_check_bad_input --ca "$TESTDATA/containers/localhost-rsa.p12" \
	    --file "$TESTDATA/localhost-rsa-chain.pem"
	[[ $stderr == *"CA file '$TESTDATA/containers/localhost-rsa.p12' is PKCS#12"* ]] ||
	    fail "stderr: $stderr"
	tk_check_bad_input --fix-chain --intermediates "$TESTDATA/containers/empty.p7b" \
	    --file "$TESTDATA/localhost-rsa-chain.pem"
	[[ $stderr == *"intermediates file '$TESTDATA/containers/empty.p7b' is a PKCS#7 that holds no certificate" ]] ||
	    fail "stderr: $stderr"
}

# --- targets-file lines: name=, HOST:PORT{IP}, # label -------------------

# targets_file PORT: the lines every tool below reads
targets_file() {
	cat >"$BATS_TEST_TMPDIR/targets" <<-EOT
	# the shop, by address
	127.0.0.1:$1 name=localhost    #  node A  
	localhost:$1{127.0.0.1}	# node B (sslyze)
	shop.tlskit.test:$1 name=localhost
	127.0.0.1:$1 name=wrong.example #
	EOT
}

# labels_ok: $output (JSON lines of the four targets) carries the names
# and labels of targets_file
labels_ok() {
	local l

	l=$(jq -c '[.target, .["label"], .hostname, .sni, .address]' <<<"$output")
	assert_equal "$l" "[\"127.0.0.1:$PORT name=localhost\",\"node A\",\"localhost\",\"localhost\",\"127.0.0.1:$PORT\"]
[\"localhost:$PORT{127.0.0.1}\",\"node B (sslyze)\",\"localhost\",\"localhost\",\"127.0.0.1:$PORT\"]
[\"shop.tlskit.test:$PORT name=localhost\",null,\"localhost\",\"localhost\",\"127.0.0.1:$PORT\"]
[\"127.0.0.1:$PORT name=wrong.example\",null,\"wrong.example\",\"wrong.example\",\"127.0.0.1:$PORT\"]"
	# no label field at all when the line has no comment
	jq -s -e '.[2] | has("label") | not' >/dev/null <<<"$output" ||
	    fail "a label field without a comment: $output"
}

@test "targets file: name=HOST and HOST:PORT{IP} verify and send the name, # comment is label (check-cert)" {
	tk_start_echo good
	targets_file "$PORT"
	run -1 --separate-stderr tk_check --json --resolve \
	    "shop.tlskit.test:$PORT:127.0.0.1" --targets "$BATS_TEST_TMPDIR/targets"
	labels_ok
	run -0 jq -s -e '[.[].verdict] == ["ok", "ok", "ok", "fail"]' <<<"$output"
}

@test "targets file: name=, {IP} and label for tls-alpn-probe and tls-starttls too" {
	tk_start_echo good
	targets_file "$PORT"
	run -1 --separate-stderr tk_probe --json --resolve \
	    "shop.tlskit.test:$PORT:127.0.0.1" --targets "$BATS_TEST_TMPDIR/targets"
	labels_ok
	tk_stop_servers
	tk_start_echo smtp --starttls smtp
	targets_file "$PORT"
	run -1 --separate-stderr timeout 60 "$TK_STARTTLS" --ca "$TK_CA" \
	    --proto smtp --json --resolve "shop.tlskit.test:$PORT:127.0.0.1" \
	    --targets "$BATS_TEST_TMPDIR/targets"
	labels_ok
}

@test "targets file: a bad line exits 2 naming its line, before any I/O" {
	local line

	for line in '127.0.0.1:443 nme=shop.example' '127.0.0.1:443 name=' \
	    '127.0.0.1:443 name=a/b' 'shop.example:443{not-an-ip}' \
	    'shop.example:443{127.0.0.1} name=x' '127.0.0.1:443 extra # c'; do
		printf 'localhost:1 # fine\n%s\n' "$line" >"$BATS_TEST_TMPDIR/bad"
		tk_check_bad_input --targets "$BATS_TEST_TMPDIR/bad"
		[[ $stderr == *"(targets file line 2)" ]] ||
		    fail "line not named: $stderr"
	done
}
