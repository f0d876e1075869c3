#!/usr/bin/env bats
#
# tls-check-cert end to end: the testdata matrix against tlskit's own
# server, openssl s_server and gnutls-serv; the chain as served; name,
# time and threshold rules with --file (proved offline under strace);
# OCSP staples made at test time; many targets on one loop (order, exit
# status, --stream, --shard); --nagios, --pem, --save-chain; bad input.
# Runs the built tools from $TK_BUILD (default: build/ next to tests/).

load lib

# --- helpers local to this file ---------------------------------------

# jq_ok FILTER: the JSON in $output satisfies FILTER (one object).
jq_ok() {
	if ! jq -e "$1" >/dev/null <<<"$output"; then
		fail "JSON does not satisfy: $1
$output"
	fi
}

# has_code CODE [SEVERITY]: a jq filter, true when the findings carry CODE
# (with SEVERITY).
has_code() {
	if [[ -n ${2:-} ]]; then
		printf 'any(.findings[]; .code == "%s" and .severity == "%s")' \
		    "$1" "$2"
	else
		printf 'any(.findings[]; .code == "%s")' "$1"
	fi
}

# matrix TYPE CASE EXIT CODE-REGEX [HOSTNAME]: serve testdata/CASE-chain.pem
# with server TYPE; check the text verdict line and the JSON.  CODE-REGEX is
# empty for a passing case; HOSTNAME replaces the default "localhost".
matrix() {
	local type=$1 name=$2 want=$3 code=$4 host=${5:-} target
	local chain=$TESTDATA/$name-chain.pem key=$TESTDATA/$name.key ncerts fp
	local -a hn=()

	tk_serve "$type" "$name" "$chain" "$key"
	if [[ -n $host ]]; then
		target=127.0.0.1:$PORT
		hn=(--hostname "$host")
	else
		host=localhost
		target=localhost:$PORT
	fi
	ncerts=$(grep -c -- '-----BEGIN CERTIFICATE-----' "$chain")
	fp=$(tk_fingerprint "$chain")

	# text: the first line is the verdict line
	run -"$want" --separate-stderr tk_check -t 10 "${hn[@]}" "$target"
	if [[ -z $code ]]; then
		assert_line -n 0 --regexp "^OK +$target: valid for $host until 2099-12-31 "
		assert_equal "$stderr" ""
	else
		assert_line -n 0 --regexp "^FAIL +$target: [a-z-]+: "
		assert_line --regexp "^  fail +($code): "
		# one stderr line per failure, naming the target
		assert_equal "$(grep -c . <<<"$stderr")" 1
		[[ $stderr == "tls-check-cert: $target: "* ]] ||
		    fail "stderr does not name the target: $stderr"
	fi

	# JSON: one object, its verdict, codes, chain and exit_code
	run -"$want" --separate-stderr tk_check -t 10 --json "${hn[@]}" "$target"
	assert_equal "${#lines[@]}" 1
	jq_ok ".tool == \"tls-check-cert\" and .target == \"$target\""
	jq_ok ".exit_code == $want"
	jq_ok '.error == null or (.verdict == "fail" and .error.class == "check")'
	jq_ok ".address == \"127.0.0.1:$PORT\" and .tls.version != null"
	jq_ok "(.chain | length) == $ncerts and .chain[0].sha256 == \"$fp\""
	if [[ -z $code ]]; then
		jq_ok '.verdict == "ok" and .reason == null'
		jq_ok '.verification.status == "ok"'
		jq_ok 'all(.findings[]; .severity == "info")'
	else
		jq_ok '.verdict == "fail" and .reason != null'
		jq_ok "any(.findings[]; (.code | test(\"^($code)\$\")) and .severity == \"fail\")"
		jq_ok '.reason as $r | any(.findings[]; .code == $r and .severity == "fail")'
	fi
}

# --- the testdata matrix, per server ------------------------------------

@test "matrix tlskit server: localhost-rsa is OK" {
	matrix echo localhost-rsa 0 ''
}
@test "matrix tlskit server: localhost-ecdsa is OK" {
	matrix echo localhost-ecdsa 0 ''
}
@test "matrix tlskit server: example-ecdsa for www.example.com is OK" {
	matrix echo example-ecdsa 0 '' www.example.com
}
@test "matrix tlskit server: expired" {
	matrix echo expired 1 expired
}
@test "matrix tlskit server: notyet is not-yet-valid" {
	matrix echo notyet 1 not-yet-valid
}
@test "matrix tlskit server: wrongname is name-mismatch" {
	matrix echo wrongname 1 name-mismatch
}
@test "matrix tlskit server: selfsigned is self-signed" {
	matrix echo selfsigned 1 self-signed
}
@test "matrix tlskit server: unknownca is unknown-issuer" {
	matrix echo unknownca 1 unknown-issuer
}
@test "matrix tlskit server: missing-intermediate" {
	matrix echo missing-intermediate 1 missing-intermediate
}
@test "matrix tlskit server: rsa1024 is weak-key" {
	matrix echo rsa1024 1 weak-key
}
@test "matrix tlskit server: sha1 is insecure-algorithm or weak-signature" {
	matrix echo sha1 1 'insecure-algorithm|weak-signature'
}

@test "matrix openssl s_server: localhost-rsa is OK" {
	matrix openssl localhost-rsa 0 ''
}
@test "matrix openssl s_server: localhost-ecdsa is OK" {
	matrix openssl localhost-ecdsa 0 ''
}
@test "matrix openssl s_server: example-ecdsa for www.example.com is OK" {
	matrix openssl example-ecdsa 0 '' www.example.com
}
@test "matrix openssl s_server: expired" {
	matrix openssl expired 1 expired
}
@test "matrix openssl s_server: notyet is not-yet-valid" {
	matrix openssl notyet 1 not-yet-valid
}
@test "matrix openssl s_server: wrongname is name-mismatch" {
	matrix openssl wrongname 1 name-mismatch
}
@test "matrix openssl s_server: selfsigned is self-signed" {
	matrix openssl selfsigned 1 self-signed
}
@test "matrix openssl s_server: unknownca is unknown-issuer" {
	matrix openssl unknownca 1 unknown-issuer
}
@test "matrix openssl s_server: missing-intermediate" {
	matrix openssl missing-intermediate 1 missing-intermediate
}
@test "matrix openssl s_server: rsa1024 is weak-key" {
	matrix openssl rsa1024 1 weak-key
}
@test "matrix openssl s_server: sha1 is insecure-algorithm or weak-signature" {
	matrix openssl sha1 1 'insecure-algorithm|weak-signature'
}

@test "matrix gnutls-serv: localhost-rsa is OK" {
	matrix gnutls localhost-rsa 0 ''
}
@test "matrix gnutls-serv: localhost-ecdsa is OK" {
	matrix gnutls localhost-ecdsa 0 ''
}
@test "matrix gnutls-serv: example-ecdsa for www.example.com is OK" {
	matrix gnutls example-ecdsa 0 '' www.example.com
}
@test "matrix gnutls-serv: expired" {
	matrix gnutls expired 1 expired
}
@test "matrix gnutls-serv: notyet is not-yet-valid" {
	matrix gnutls notyet 1 not-yet-valid
}
@test "matrix gnutls-serv: wrongname is name-mismatch" {
	matrix gnutls wrongname 1 name-mismatch
}
@test "matrix gnutls-serv: selfsigned is self-signed" {
	matrix gnutls selfsigned 1 self-signed
}
@test "matrix gnutls-serv: unknownca is unknown-issuer" {
	matrix gnutls unknownca 1 unknown-issuer
}
@test "matrix gnutls-serv: missing-intermediate" {
	matrix gnutls missing-intermediate 1 missing-intermediate
}
@test "matrix gnutls-serv: rsa1024 is weak-key" {
	matrix gnutls rsa1024 1 weak-key
}
@test "matrix gnutls-serv: sha1 is insecure-algorithm or weak-signature" {
	matrix gnutls sha1 1 'insecure-algorithm|weak-signature'
}

# --- the chain as served ------------------------------------------------

@test "chain served with its root: root-sent (info), still OK" {
	cat "$TESTDATA/localhost-rsa-chain.pem" "$TESTDATA/ca.crt" >"$BATS_TEST_TMPDIR/full.pem"
	tk_serve echo full "$BATS_TEST_TMPDIR/full.pem" "$TESTDATA/localhost-rsa.key"
	run -0 --separate-stderr tk_check --json "localhost:$PORT"
	jq_ok '.verdict == "ok" and (.chain | length) == 3'
	jq_ok "$(has_code root-sent info)"
	jq_ok '[.findings[] | select(.severity != "info")] == []'
}

@test "chain served with its root by openssl: root-sent" {
	cat "$TESTDATA/intermediate.crt" "$TESTDATA/ca.crt" >"$BATS_TEST_TMPDIR/rest.pem"
	tk_start_openssl full -cert "$TESTDATA/localhost-rsa.crt" \
	    -key "$TESTDATA/localhost-rsa.key" -cert_chain "$BATS_TEST_TMPDIR/rest.pem"
	run -0 --separate-stderr tk_check "localhost:$PORT"
	assert_line -n 0 --regexp "^OK +localhost:$PORT: "
	assert_line --regexp '^  info +root-sent: '
}

@test "unrelated CA between leaf and intermediate: chain-order and unused-certificate" {
	cat "$TESTDATA/other-ca.crt" "$TESTDATA/intermediate.crt" >"$BATS_TEST_TMPDIR/rest.pem"
	tk_start_openssl mixed -cert "$TESTDATA/localhost-rsa.crt" \
	    -key "$TESTDATA/localhost-rsa.key" -cert_chain "$BATS_TEST_TMPDIR/rest.pem"
	run -5 --separate-stderr tk_check --json "localhost:$PORT"
	jq_ok '.verdict == "warning" and .exit_code == 5'
	jq_ok '(.chain | length) == 3'
	jq_ok "$(has_code chain-order warning)"
	jq_ok "$(has_code unused-certificate warning)"
	jq_ok '.chain[1].subject == "CN=tlskit Other Root CA"'
}

@test "unrelated CA after the intermediate: unused-certificate" {
	cat "$TESTDATA/intermediate.crt" "$TESTDATA/other-ca.crt" >"$BATS_TEST_TMPDIR/rest.pem"
	tk_start_openssl extra -cert "$TESTDATA/localhost-rsa.crt" \
	    -key "$TESTDATA/localhost-rsa.key" -cert_chain "$BATS_TEST_TMPDIR/rest.pem"
	run -5 --separate-stderr tk_check --json "localhost:$PORT"
	jq_ok '.verdict == "warning"'
	jq_ok "$(has_code unused-certificate warning)"
	jq_ok '[.findings[] | select(.severity == "fail")] == []'
}

@test "root before the intermediate: chain-order, root-sent, nothing unused" {
	cat "$TESTDATA/ca.crt" "$TESTDATA/intermediate.crt" >"$BATS_TEST_TMPDIR/rest.pem"
	tk_start_openssl rootfirst -cert "$TESTDATA/localhost-rsa.crt" \
	    -key "$TESTDATA/localhost-rsa.key" -cert_chain "$BATS_TEST_TMPDIR/rest.pem"
	run -5 --separate-stderr tk_check --json "localhost:$PORT"
	jq_ok "$(has_code chain-order warning)"
	jq_ok "$(has_code root-sent info)"
	jq_ok "$(has_code unused-certificate) | not"
}

@test "--file intermediate first, then leaf: named as reverse order, fails" {
	cat "$TESTDATA/intermediate.crt" "$TESTDATA/localhost-rsa.crt" >"$BATS_TEST_TMPDIR/rev.pem"
	run -1 --separate-stderr tk_traced "$TK_CHECK" --ca "$TESTDATA/ca.crt" --json \
	    --hostname localhost --file "$BATS_TEST_TMPDIR/rev.pem"
	jq_ok "$(has_code chain-reversed fail)"
	jq_ok '.reason == "chain-reversed" and .verdict == "fail"'
	# the CA taken for the leaf: a BR rule, info under rfc5280 (own --ca)
	jq_ok "$(has_code leaf-is-ca info)"
	jq_ok '.profile == "rfc5280"'
	run -1 --separate-stderr "$TK_BUILD/tools/tls-check-cert" --profile web \
	    --ca "$TESTDATA/ca.crt" --json --hostname localhost \
	    --file "$BATS_TEST_TMPDIR/rev.pem"
	jq_ok "$(has_code leaf-is-ca fail)"
	jq_ok '.reason == "chain-reversed" and .profile == "web"'
	tk_no_inet "$BATS_TEST_TMPDIR/strace.log"
}

@test "--file leaf alone, intermediate only in --ca: incomplete-chain" {
	cat "$TESTDATA/ca.crt" "$TESTDATA/intermediate.crt" >"$BATS_TEST_TMPDIR/store.pem"
	run -5 --separate-stderr timeout 60 "$TK_CHECK" \
	    --ca "$BATS_TEST_TMPDIR/store.pem" --json --hostname localhost \
	    --file "$TESTDATA/missing-intermediate-chain.pem"
	jq_ok "$(has_code incomplete-chain warning)"
	jq_ok "$(has_code missing-intermediate) | not"
	jq_ok '.verdict == "warning"'
}

# --- names with --file ----------------------------------------------------

# name_case FILE HOST EXIT: --file FILE --hostname HOST gives EXIT; a
# failure is a name-mismatch.
name_case() {
	run -"$3" --separate-stderr tk_check --json --file "$TESTDATA/$1" \
	    --hostname "$2"
	if [[ $3 == 0 ]]; then
		jq_ok '.verdict == "ok" and .findings == []'
	else
		jq_ok '.verdict == "fail" and .reason == "name-mismatch"'
		jq_ok "$(has_code name-mismatch fail)"
	fi
}

@test "wildcard *.example.com matches foo.example.com" {
	name_case wildcard-chain.pem foo.example.com 0
}

@test "wildcard *.example.com does not match a.b.example.com" {
	name_case wildcard-chain.pem a.b.example.com 1
}

@test "wildcard *.example.com does not match example.com" {
	name_case wildcard-chain.pem example.com 1
}

@test "IDN: --hostname bücher.example (Unicode) matches the A-label SAN" {
	name_case idn-chain.pem 'bücher.example' 0
	jq_ok '.hostname == "xn--bcher-kva.example"'
}

@test "IDN: the A-label matches too, a different name does not" {
	name_case idn-chain.pem xn--bcher-kva.example 0
	name_case idn-chain.pem buecher.example 1
}

@test "IDN: Unicode --hostname against a server: SNI is the A-label" {
	tk_serve echo idn "$TESTDATA/idn-chain.pem" "$TESTDATA/idn.key"
	run -0 --separate-stderr tk_check --json --hostname 'bücher.example' \
	    "127.0.0.1:$PORT"
	jq_ok '.sni == "xn--bcher-kva.example" and .verdict == "ok"'
}

@test "ip-only: 127.0.0.1 and ::1 match" {
	name_case ip-only-chain.pem 127.0.0.1 0
	name_case ip-only-chain.pem ::1 0
}

@test "ip-only: localhost does not match IP SANs" {
	name_case ip-only-chain.pem localhost 1
}

@test "IP name against a certificate with DNS names only fails" {
	name_case example-rsa-chain.pem 127.0.0.1 1
}

@test "IP target against a server with DNS names only fails" {
	tk_serve echo example "$TESTDATA/example-rsa-chain.pem" "$TESTDATA/example-rsa.key"
	run -1 --separate-stderr tk_check --json "127.0.0.1:$PORT"
	jq_ok '.reason == "name-mismatch" and .hostname == "127.0.0.1"'
}

# --- --file and --at, without network ----------------------------------

@test "--file good chain: OK, no network socket (strace)" {
	run -0 --separate-stderr tk_traced "$TK_CHECK" --ca "$TESTDATA/ca.crt" \
	    --hostname localhost --file "$TESTDATA/localhost-rsa-chain.pem"
	assert_line -n 0 --regexp '^OK +.*localhost-rsa-chain\.pem: valid for localhost until 2099-12-31 '
	tk_no_inet "$BATS_TEST_TMPDIR/strace.log"
}

@test "--file --at 2019-06-01: not-yet-valid, no network" {
	run -1 --separate-stderr tk_traced "$TK_CHECK" --ca "$TESTDATA/ca.crt" --json \
	    --hostname localhost --file "$TESTDATA/localhost-rsa-chain.pem" \
	    --at 2019-06-01
	jq_ok '.reason == "not-yet-valid" and .verdict == "fail"'
	tk_no_inet "$BATS_TEST_TMPDIR/strace.log"
}

@test "--file --at 2100-01-02: expired, no network" {
	run -1 --separate-stderr tk_traced "$TK_CHECK" --ca "$TESTDATA/ca.crt" --json \
	    --hostname localhost --file "$TESTDATA/localhost-rsa-chain.pem" \
	    --at 2100-01-02
	jq_ok '.reason == "expired" and .days_left < 0'
	tk_no_inet "$BATS_TEST_TMPDIR/strace.log"
}

@test "--file --at @EPOCH and full ISO time agree" {
	run -1 --separate-stderr tk_check --json --hostname localhost \
	    --file "$TESTDATA/localhost-rsa-chain.pem" --at @4102444800
	jq_ok '.reason == "expired"'
	run -0 --separate-stderr tk_check --json --hostname localhost \
	    --file "$TESTDATA/localhost-rsa-chain.pem" --at 2099-12-31T23:59:58Z \
	    --warn-days 0
	jq_ok '.verdict == "ok" and .days_left == 0'
}

@test "--file expired chain: expired, nothing but the file is read" {
	run -1 --separate-stderr tk_traced "$TK_CHECK" --ca "$TESTDATA/ca.crt" --json \
	    --hostname localhost --file "$TESTDATA/expired-chain.pem"
	jq_ok "$(has_code expired fail) and .address == null and .tls == null"
	tk_no_inet "$BATS_TEST_TMPDIR/strace.log"
}

@test "--file works without any network (unshare -n)" {
	if ! timeout 10 unshare -n true 2>/dev/null; then
		skip "unshare -n is not permitted here"
	fi
	run -0 --separate-stderr timeout 60 unshare -n "$TK_CHECK" \
	    --ca "$TESTDATA/ca.crt" --hostname localhost \
	    --file "$TESTDATA/localhost-rsa-chain.pem"
	assert_line -n 0 --regexp '^OK '
}

# --- expiry thresholds ---------------------------------------------------

@test "--at 2099-12-10: expires-soon warning, exit 5" {
	run -5 --separate-stderr tk_check --json --hostname localhost \
	    --file "$TESTDATA/localhost-rsa-chain.pem" --at 2099-12-10
	jq_ok '.verdict == "warning" and .reason == "expires-soon"'
	jq_ok "$(has_code expires-soon warning) and .days_left == 21"
	run -5 --separate-stderr tk_check --hostname localhost \
	    --file "$TESTDATA/localhost-rsa-chain.pem" --at 2099-12-10
	assert_line -n 0 --regexp '^WARNING +.*: expires-soon: '
}

@test "--at 2099-12-10 --crit-days 30: expires-soon fails, exit 1" {
	run -1 --separate-stderr tk_check --json --hostname localhost \
	    --file "$TESTDATA/localhost-rsa-chain.pem" --at 2099-12-10 --crit-days 30
	jq_ok '.verdict == "fail" and .reason == "expires-soon"'
	jq_ok "$(has_code expires-soon fail)"
}

@test "--at 2099-12-10 --warn-days 0: OK, exit 0" {
	run -0 --separate-stderr tk_check --json --hostname localhost \
	    --file "$TESTDATA/localhost-rsa-chain.pem" --at 2099-12-10 --warn-days 0
	jq_ok '.verdict == "ok" and .findings == []'
}

@test "--at 2099-12-10 --warn-days 21 passes, --warn-days 22 warns" {
	run -0 --separate-stderr tk_check --json --hostname localhost \
	    --file "$TESTDATA/localhost-rsa-chain.pem" --at 2099-12-10 --warn-days 21
	run -5 --separate-stderr tk_check --json --hostname localhost \
	    --file "$TESTDATA/localhost-rsa-chain.pem" --at 2099-12-10 --warn-days 22
}

@test "a pinned self-signed leaf near its end: expires-soon counts (the leaf is what clients get)" {
	run -1 --separate-stderr "$TK_CHECK" --json --ca "$TESTDATA/public.pem" \
	    --hostname example.com --file "$TESTDATA/server.pem" \
	    --at 2099-12-25 --crit-days 10
	jq_ok '.verdict == "fail" and .reason == "expires-soon"'
	jq_ok "$(has_code expires-soon fail)"
	run -5 --separate-stderr "$TK_CHECK" --ca "$TESTDATA/public.pem" \
	    --hostname example.com --file "$TESTDATA/server.pem" --at 2099-12-25
	assert_line -n 0 --regexp '^WARNING +.*: expires-soon: certificate #0 '
}

@test "a live leaf expiring in 10 days: expires-soon warning, exit 5" {
	tk_leaf soon 'expiration_days = 10'
	tk_serve echo soon "$BATS_TEST_TMPDIR/soon-chain.pem" "$BATS_TEST_TMPDIR/soon.key"
	run -5 --separate-stderr tk_check --json "localhost:$PORT"
	jq_ok '.reason == "expires-soon" and (.days_left == 9 or .days_left == 10)'
}

# --- OCSP stapling ----------------------------------------------------

# serve_stapled RESP [LEAF KEY]: openssl s_server stapling RESP.
serve_stapled() {
	local leaf=${2:-$TESTDATA/localhost-rsa.crt} key=${3:-$TESTDATA/localhost-rsa.key}

	tk_start_openssl stapled -cert "$leaf" -key "$key" \
	    -cert_chain "$TESTDATA/intermediate.crt" -status_file "$1"
}

@test "OCSP staple good: ocsp-good, exit 0" {
	tk_ocsp "$BATS_TEST_TMPDIR/good.der" "$TESTDATA/localhost-rsa.crt" good
	serve_stapled "$BATS_TEST_TMPDIR/good.der"
	run -0 --separate-stderr tk_check --json "localhost:$PORT"
	jq_ok "$(has_code ocsp-good info) and .verdict == \"ok\""
	jq_ok '.ocsp.stapled == true and .ocsp.status == "good"'
	jq_ok '.ocsp.this_update != null and .ocsp.next_update > .ocsp.this_update'
}

@test "OCSP staple revoked: ocsp-revoked, exit 1" {
	tk_ocsp "$BATS_TEST_TMPDIR/rev.der" "$TESTDATA/localhost-rsa.crt" revoked
	serve_stapled "$BATS_TEST_TMPDIR/rev.der"
	run -1 --separate-stderr tk_check --json "localhost:$PORT"
	jq_ok '.reason == "ocsp-revoked" and .ocsp.status == "revoked"'
	run -1 --separate-stderr tk_check "localhost:$PORT"
	assert_line -n 0 --regexp "^FAIL +localhost:$PORT: ocsp-revoked: "
}

@test "OCSP staple unknown: ocsp-unknown warning, exit 5" {
	tk_ocsp "$BATS_TEST_TMPDIR/unk.der" "$TESTDATA/localhost-rsa.crt" unknown
	serve_stapled "$BATS_TEST_TMPDIR/unk.der"
	run -5 --separate-stderr tk_check --json "localhost:$PORT"
	jq_ok "$(has_code ocsp-unknown warning)"
}

@test "OCSP staple for another certificate: ocsp-other-cert, exit 1" {
	tk_ocsp "$BATS_TEST_TMPDIR/other.der" "$TESTDATA/example-rsa.crt" good
	serve_stapled "$BATS_TEST_TMPDIR/other.der"
	run -1 --separate-stderr tk_check --json "localhost:$PORT"
	jq_ok "$(has_code ocsp-other-cert fail)"
	jq_ok "$(has_code ocsp-good) | not"
}

@test "OCSP staple for another certificate: JSON times are not the epoch" {
	tk_ocsp "$BATS_TEST_TMPDIR/other.der" "$TESTDATA/example-rsa.crt" good
	serve_stapled "$BATS_TEST_TMPDIR/other.der"
	run -1 --separate-stderr tk_check --json "localhost:$PORT"
	jq_ok '.ocsp.stapled == true'
	# the response's own times, or null: never 1970 made up from zero
	jq_ok '.ocsp.this_update != "1970-01-01T00:00:00Z"'
	jq_ok '.ocsp.next_update != "1970-01-01T00:00:00Z"'
}

@test "OCSP staple signed by an unrelated CA: ocsp-bad-signature, exit 1" {
	tk_ocsp "$BATS_TEST_TMPDIR/bad.der" "$TESTDATA/localhost-rsa.crt" good \
	    "$TESTDATA/other-ca.crt" "$TESTDATA/other-ca.key"
	serve_stapled "$BATS_TEST_TMPDIR/bad.der"
	run -1 --separate-stderr tk_check --json "localhost:$PORT"
	jq_ok "$(has_code ocsp-bad-signature fail)"
}

@test "OCSP staple past its next update (--at): ocsp-stale, exit 1" {
	tk_ocsp "$BATS_TEST_TMPDIR/good.der" "$TESTDATA/localhost-rsa.crt" good
	serve_stapled "$BATS_TEST_TMPDIR/good.der"
	run -1 --separate-stderr tk_check --json --at "$(date -u -d '+30 days' +%Y-%m-%d)" \
	    "localhost:$PORT"
	jq_ok "$(has_code ocsp-stale fail)"
}

@test "no staple: no-staple info, exit 0; --require-staple: staple-missing, exit 1" {
	tk_start_echo plain
	run -0 --separate-stderr tk_check --json "localhost:$PORT"
	jq_ok "$(has_code no-staple info) and .ocsp.stapled == false"
	run -1 --separate-stderr tk_check --json --require-staple "localhost:$PORT"
	jq_ok "$(has_code staple-missing fail) and .verdict == \"fail\""
}

@test "--require-staple with a good staple: exit 0" {
	tk_ocsp "$BATS_TEST_TMPDIR/good.der" "$TESTDATA/localhost-rsa.crt" good
	serve_stapled "$BATS_TEST_TMPDIR/good.der"
	run -0 --separate-stderr tk_check --json --require-staple "localhost:$PORT"
	jq_ok "$(has_code staple-missing) | not"
}

@test "must-staple leaf served without a staple: must-staple-missing, exit 1" {
	tk_leaf must 'tls_feature = 5
activation_date = "2020-01-01 00:00:00"
expiration_date = "2099-12-31 23:59:59"'
	tk_serve echo must "$BATS_TEST_TMPDIR/must-chain.pem" "$BATS_TEST_TMPDIR/must.key"
	run -1 --separate-stderr tk_check --json "localhost:$PORT"
	jq_ok '.reason == "must-staple-missing" and .ocsp.must_staple == true'
	jq_ok "$(has_code must-staple-missing fail)"
}

@test "must-staple leaf with a good staple: OK" {
	tk_leaf must 'tls_feature = 5
activation_date = "2020-01-01 00:00:00"
expiration_date = "2099-12-31 23:59:59"'
	tk_ocsp "$BATS_TEST_TMPDIR/must.der" "$BATS_TEST_TMPDIR/must.crt" good
	serve_stapled "$BATS_TEST_TMPDIR/must.der" "$BATS_TEST_TMPDIR/must.crt" \
	    "$BATS_TEST_TMPDIR/must.key"
	run -0 --separate-stderr tk_check --json "localhost:$PORT"
	jq_ok '.ocsp.must_staple == true and .ocsp.status == "good"'
	jq_ok "$(has_code must-staple-missing) | not"
}

# --- many targets -------------------------------------------------------

# three_servers: good (127.0.0.1 and ::1), expired and wrongname tlskit
# servers; sets GOOD, GOOD6, EXPIRED, WRONG.
three_servers() {
	if timeout 10 python3 -c 'import socket; s = socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null; then
		tk_start_echo good --listen 127.0.0.1:0 --listen '[::1]:0'
		GOOD6=$PORT6
	else
		tk_start_echo good
		GOOD6=
	fi
	GOOD=$PORT
	tk_serve echo expired "$TESTDATA/expired-chain.pem" "$TESTDATA/expired.key"
	EXPIRED=$PORT
	tk_serve echo wrong "$TESTDATA/wrongname-chain.pem" "$TESTDATA/wrongname.key"
	WRONG=$PORT
}

@test "300 targets: one JSON line each, in input order, worst exit 3" {
	local f=$BATS_TEST_TMPDIR/targets.txt i t
	three_servers
	tk_start_silent
	local silent=$PORT
	{
		echo "# 300 targets for tls-check-cert"
		echo
		for ((i = 0; i < 298; i++)); do
			case $((i % 5)) in
			0) t=localhost:$GOOD ;;
			1) t=127.0.0.1:$GOOD ;;
			2) if [[ -n $GOOD6 ]]; then t=[::1]:$GOOD6; else t=https://localhost:$GOOD/; fi ;;
			3) t=localhost:$EXPIRED ;;
			4) t=localhost:$WRONG ;;
			esac
			echo "$t"
			((i % 50 == 7)) && echo "   # a comment line"
			((i == 100)) && echo "127.0.0.1:1"
			((i == 200)) && echo "127.0.0.1:$silent"
		done
	} >"$f"
	grep -v '^[[:space:]]*#' "$f" | grep -v '^[[:space:]]*$' >"$BATS_TEST_TMPDIR/want"
	assert_equal "$(wc -l <"$BATS_TEST_TMPDIR/want")" 300

	SECONDS=0
	run -3 --separate-stderr tk_check --json --parallel 64 -t 2 --targets "$f"
	((SECONDS < 30)) || fail "300 targets took ${SECONDS}s"
	assert_equal "${#lines[@]}" 300
	printf '%s\n' "$output" | jq -r .target >"$BATS_TEST_TMPDIR/got"
	diff -u "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/got" ||
	    fail "targets are not in input order"

	local j=$output
	count() { jq -c "select($1)" <<<"$j" | wc -l; }
	assert_equal "$(count '.target == "127.0.0.1:1" and .error.class == "network" and .exit_code == 3')" 1
	assert_equal "$(count ".target == \"127.0.0.1:$silent\" and .error.class == \"network\" and .exit_code == 3")" 1
	assert_equal "$(count ".target == \"localhost:$EXPIRED\" and .reason == \"expired\" and .exit_code == 1")" 59
	assert_equal "$(count ".target == \"localhost:$WRONG\" and .reason == \"name-mismatch\" and .exit_code == 1")" 59
	assert_equal "$(count '.verdict == "ok" and .exit_code == 0 and .error == null')" 180
}

@test "--stream: the same set of targets, each once" {
	local f=$BATS_TEST_TMPDIR/targets.txt i
	three_servers
	for ((i = 0; i < 60; i++)); do
		case $((i % 3)) in
		0) echo "localhost:$GOOD" ;;
		1) echo "localhost:$EXPIRED" ;;
		2) echo "localhost:$WRONG" ;;
		esac
	done >"$f"
	echo "127.0.0.1:1" >>"$f"
	run -3 --separate-stderr tk_check --json --stream --parallel 16 -t 5 --targets "$f"
	assert_equal "${#lines[@]}" 61
	diff -u <(sort "$f") <(printf '%s\n' "$output" | jq -r .target | sort) ||
	    fail "--stream gave another set of targets"
	assert_equal "$(jq -c 'select(.exit_code == 1)' <<<"$output" | wc -l)" 40
}

@test "--targets - reads standard input" {
	tk_start_echo good
	run -0 --separate-stderr bash -c 'printf "%s\n" "# c" "localhost:$1" "127.0.0.1:$1" |
	    timeout 60 "$2" --ca "$3" --json --targets -' _ "$PORT" "$TK_CHECK" "$TESTDATA/ca.crt"
	assert_equal "${#lines[@]}" 2
	jq_ok '.verdict == "ok"' <<<"${lines[0]}"
}

@test "text mode, several targets: one verdict line each plus the summary" {
	three_servers
	run -3 --separate-stderr tk_check -t 5 "localhost:$GOOD" \
	    "localhost:$EXPIRED" "localhost:$WRONG" 127.0.0.1:1
	assert_equal "${#lines[@]}" 5
	assert_line -n 0 --regexp "^OK +localhost:$GOOD: valid for localhost "
	assert_line -n 1 --regexp "^FAIL +localhost:$EXPIRED: expired: "
	assert_line -n 2 --regexp "^FAIL +localhost:$WRONG: name-mismatch: "
	assert_line -n 3 --regexp '^ERROR +127\.0\.0\.1:1: connect: '
	assert_line -n 4 '4 targets: 1 ok, 0 warning, 3 failed'
}

@test "worst exit status of several targets: 3 > 4 > 1 > 5 > 0" {
	three_servers
	tk_start_echo tls13 --min-version 1.3
	local tls13=$PORT
	# at 2099-12-10 every good chain expires soon: a warning
	run -5 --separate-stderr tk_check -q --at 2099-12-10 \
	    "localhost:$GOOD" "https://localhost:$GOOD/"
	run -1 --separate-stderr tk_check -q --at 2099-12-10 \
	    "localhost:$GOOD" "localhost:$WRONG"
	run -4 --separate-stderr tk_check -q --max-version 1.2 \
	    "localhost:$WRONG" "localhost:$tls13" "localhost:$GOOD"
	run -3 --separate-stderr tk_check -q --max-version 1.2 -t 5 \
	    "localhost:$tls13" 127.0.0.1:1 "localhost:$GOOD"
	run -0 --separate-stderr tk_check -q "localhost:$GOOD" \
	    "127.0.0.1:$GOOD" "https://localhost:$GOOD/"
	assert_equal "${#lines[@]}" 3
}

@test "--shard K/3 over 30 targets: the three shards partition the set" {
	local f=$BATS_TEST_TMPDIR/targets.txt i k
	tk_start_echo good
	for ((i = 0; i < 15; i++)); do
		echo "https://localhost:$PORT/p$i"
		echo "https://127.0.0.1:$PORT/q$i"
	done >"$f"
	: >"$BATS_TEST_TMPDIR/all"
	for k in 1 2 3; do
		run -0 --separate-stderr tk_check --json --shard "$k/3" --targets "$f"
		printf '%s\n' "$output" | jq -r .target | grep . |
		    tee "$BATS_TEST_TMPDIR/shard$k" >>"$BATS_TEST_TMPDIR/all"
		# a share of 30 is never all of them, and in practice never none
		(($(wc -l <"$BATS_TEST_TMPDIR/shard$k") < 30)) ||
		    fail "shard $k/3 holds every target"
	done
	assert_equal "$(sort "$BATS_TEST_TMPDIR/all" | uniq -d)" ""
	diff -u <(sort "$f") <(sort "$BATS_TEST_TMPDIR/all") ||
	    fail "the union of the shards is not the target set"
	# stable: the same shard twice gives the same targets
	run -0 --separate-stderr tk_check --json --shard 2/3 --targets "$f"
	diff -u "$BATS_TEST_TMPDIR/shard2" <(printf '%s\n' "$output" | jq -r .target | grep .)
}

# --- --nagios -------------------------------------------------------------

@test "--nagios OK: one line with perfdata 'days', exit 0" {
	tk_start_echo good
	run -0 --separate-stderr tk_check --nagios "localhost:$PORT"
	assert_equal "${#lines[@]}" 1
	assert_output --regexp "^TLS OK - localhost:$PORT .*\| 'days'=[0-9]+;30:;;0;\$"
}

@test "--nagios expired server: TLS CRITICAL, exit 2" {
	tk_serve echo expired "$TESTDATA/expired-chain.pem" "$TESTDATA/expired.key"
	run -2 --separate-stderr tk_check --nagios "localhost:$PORT"
	assert_equal "${#lines[@]}" 1
	assert_output --regexp "^TLS CRITICAL - localhost:$PORT: expired: .*\| 'days'=-[0-9]+;30:;;0;\$"
}

@test "--nagios leaf expiring in 10 days: TLS WARNING, exit 1" {
	tk_leaf soon 'expiration_days = 10'
	tk_serve echo soon "$BATS_TEST_TMPDIR/soon-chain.pem" "$BATS_TEST_TMPDIR/soon.key"
	run -1 --separate-stderr tk_check --nagios "localhost:$PORT"
	assert_equal "${#lines[@]}" 1
	assert_output --regexp "^TLS WARNING - localhost:$PORT: expires-soon: .*\| 'days'=(9|10);30:;;0;\$"
}

@test "--nagios refused port: TLS CRITICAL, exit 2; bad option: UNKNOWN, exit 3" {
	run -2 --separate-stderr tk_check --nagios -t 5 127.0.0.1:1
	assert_output --regexp '^TLS CRITICAL - '
	# no perfdata, so no dangling '|'
	refute_output --partial '|'
	run -3 --separate-stderr tk_check --nagios --at yesterday localhost
	assert_output --regexp '^TLS UNKNOWN - '
}

@test "--nagios usage error before --nagios is parsed: TLS UNKNOWN on stdout, exit 3" {
	run -3 --separate-stderr tk_check --bogus --nagios localhost
	assert_output "TLS UNKNOWN - unknown option '--bogus' (see tls-check-cert --help)"
	run -3 --separate-stderr tk_check -w 5 -c 9 --nagios localhost
	assert_output "TLS UNKNOWN - --crit-days 9 is above --warn-days 5"
}

@test "--nagios with a --save-chain that cannot be written: TLS UNKNOWN, exit 3" {
	run -3 --separate-stderr tk_check --nagios --ca "$TK_CA" \
	    --file "$TESTDATA/localhost-rsa-chain.pem" \
	    --save-chain "$BATS_TEST_TMPDIR/no/such/dir/chain.pem"
	assert_output "TLS UNKNOWN - cannot write '$BATS_TEST_TMPDIR/no/such/dir/chain.pem': No such file or directory"
}

@test "--nagios -w/-c: thresholds in range syntax; several targets: one label each" {
	tk_start_echo good
	run -0 --separate-stderr tk_check --nagios -w 20 -c 5 "localhost:$PORT"
	assert_output --regexp "\| 'days'=[0-9]+;20:;5:;0;\$"
	run -0 --separate-stderr tk_check --nagios "localhost:$PORT" "127.0.0.1:$PORT"
	assert_output --regexp "^TLS OK - 2 targets valid \| 'localhost:${PORT}_days'=[0-9]+;30:;;0; '127.0.0.1:${PORT}_days'=[0-9]+;30:;;0;\$"
}

# --- --pem and --save-chain ------------------------------------------------

@test "--pem prints the served chain, which openssl parses" {
	tk_start_echo good
	run -0 --separate-stderr tk_check --pem "localhost:$PORT"
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/out.pem"
	timeout 10 openssl x509 -noout -in "$BATS_TEST_TMPDIR/out.pem" ||
	    fail "openssl cannot parse --pem output"
	assert_equal "$(grep -c -- '-----BEGIN CERTIFICATE-----' "$BATS_TEST_TMPDIR/out.pem")" 2
	assert_equal "$(tk_fingerprint "$BATS_TEST_TMPDIR/out.pem")" \
	    "$(tk_fingerprint "$TESTDATA/localhost-rsa.crt")"
	refute_output --partial 'valid for'
}

@test "--save-chain F writes the two served certificates, certtool reads them" {
	local f=$BATS_TEST_TMPDIR/saved.pem
	tk_start_echo good
	run -0 --separate-stderr tk_check --save-chain "$f" "localhost:$PORT"
	assert_line -n 0 --regexp "^OK +localhost:$PORT: "
	[[ -s $f ]] || fail "--save-chain wrote nothing"
	run -0 timeout 10 certtool -i --infile "$f"
	assert_equal "$(grep -c 'X.509 Certificate Information' <<<"$output")" 2
	assert_equal "$(tk_fingerprint "$f")" "$(tk_fingerprint "$TESTDATA/localhost-rsa.crt")"
	cmp <(sed -n '/-----BEGIN/,/-----END/p' "$f") "$TESTDATA/localhost-rsa-chain.pem" ||
	    fail "the saved chain is not the served chain"
}

# --- bad input: exit 2, one stderr line, no network ------------------------

@test "bad input: port out of range host:99999" {
	tk_check_bad_input host:99999
	[[ $stderr == *port* ]] || fail "stderr does not say port: $stderr"
}

@test "bad input: unclosed IPv6 bracket [::1" {
	tk_check_bad_input '[::1'
}

@test "bad input: unknown scheme gopher://x" {
	tk_check_bad_input gopher://x
	[[ $stderr == *gopher* ]] || fail "stderr does not name the scheme"
}

@test "bad input: --starttls with a protocol tlskit does not speak" {
	tk_check_bad_input --starttls gopher localhost
	[[ $stderr == *starttls* ]] || fail "stderr does not name --starttls"
}

@test "STARTTLS schemes smtp://, imap://, pop3:// go through the dialogue to the certificate" {
	local proto

	for proto in smtp imap pop3; do
		tk_start_echo "st-$proto" --starttls "$proto"
		run -0 tk_check --json "$proto://localhost:$PORT"
		jq_ok ".verdict == \"ok\" and .starttls.protocol == \"$proto\""
		# the same through --starttls and a plain target
		run -0 tk_check --json --starttls "$proto" "localhost:$PORT"
		jq_ok '.chain | length == 2'
		tk_stop_servers
	done
}

@test "bad input: --at 2030-13-01" {
	tk_check_bad_input --at 2030-13-01 localhost
}

@test "bad input: --at yesterday" {
	tk_check_bad_input --at yesterday localhost
}

@test "bad input: --shard 0/3" {
	tk_check_bad_input --shard 0/3 localhost
}

@test "bad input: --shard 4/3" {
	tk_check_bad_input --shard 4/3 localhost
}

@test "bad input: --shard x" {
	tk_check_bad_input --shard x localhost
}

@test "bad input: --targets with a nonexistent file" {
	tk_check_bad_input --targets "$BATS_TEST_TMPDIR/no/such/file"
}

@test "bad input: a bad line in --targets, before any target is checked" {
	printf '%s\n' localhost:1 127.0.0.1:1 'host:99999' >"$BATS_TEST_TMPDIR/t"
	tk_check_bad_input --targets "$BATS_TEST_TMPDIR/t"
	[[ $stderr == *host:99999* ]] || fail "stderr does not name the line"
}

@test "bad input: --file garbage.pem" {
	tk_check_bad_input --file "$TESTDATA/garbage.pem"
}

@test "bad input: --file truncated.pem and empty.pem" {
	tk_check_bad_input --file "$TESTDATA/truncated.pem"
	tk_check_bad_input --file "$TESTDATA/empty.pem"
}

@test "bad input: --crit-days 40 --warn-days 10" {
	tk_check_bad_input --crit-days 40 --warn-days 10 localhost
}

@test "bad input: --stream without --json" {
	tk_check_bad_input --stream localhost
}

@test "bad input: --save-chain with two targets" {
	tk_check_bad_input --save-chain "$BATS_TEST_TMPDIR/x.pem" localhost:1 127.0.0.1:1
	[[ ! -e $BATS_TEST_TMPDIR/x.pem ]] || fail "--save-chain wrote a file"
}

@test "bad input: --hostname with several targets" {
	tk_check_bad_input --hostname localhost localhost:1 127.0.0.1:1
}

@test "bad input: no target at all" {
	tk_check_bad_input
}

# --- verdicts when the check cannot run or the input is broken -----------

@test "refused port in --json: verdict error, reason connect, exit 3" {
	run -3 --separate-stderr tk_check --json -t 5 127.0.0.1:1
	jq_ok '.verdict == "error" and .reason == "connect" and .exit_code == 3'
	jq_ok '.findings == [] and .days_left == null and .error.class == "network"'
}

@test "--file with a certificate whose DER is broken: malformed-certificate, exit 1" {
	local der=$BATS_TEST_TMPDIR/leaf.der bad=$BATS_TEST_TMPDIR/bad.pem
	openssl x509 -in "$TESTDATA/localhost-rsa.crt" -outform DER -out "$der"
	# cut the certificate short inside its TBS: valid base64, bad DER
	head -c 300 "$der" | base64 | {
		echo '-----BEGIN CERTIFICATE-----'
		cat
		echo '-----END CERTIFICATE-----'
	} >"$bad"
	run -1 --separate-stderr tk_check --json --file "$bad"
	jq_ok '.verdict == "fail" and .reason == "malformed-certificate"'
	assert_equal "$(grep -c . <<<"$stderr")" 1
}

@test "--hostname with an A-label that is not IDNA2008 (xn--n3h.com) is checked, not refused" {
	run -1 --separate-stderr tk_check --json --hostname xn--n3h.com \
	    --file "$TESTDATA/localhost-rsa-chain.pem"
	jq_ok '.hostname == "xn--n3h.com" and .reason == "name-mismatch"'
	run -2 --separate-stderr tk_check --hostname xn--zz.example \
	    --file "$TESTDATA/localhost-rsa-chain.pem"
}

@test "the README's CI snippet works as written" {
	local snippet dir=$BATS_TEST_TMPDIR/ci
	mkdir -p "$dir/bin"
	ln -s "$TK_CHECK" "$dir/bin/tls-check-cert"
	snippet=$(awk '/^A CI job that fails/ { f = 1 } f && /^```sh$/ { g = 1; next }
	    g && /^```$/ { exit } g { print }' "$TK_SRC/README.md")
	[[ $snippet == *'tls-check-cert --targets endpoints.txt'* ]] ||
	    fail "snippet not found in README.md: $snippet"
	tk_start_echo good
	printf '# fleet\nlocalhost:%s\n127.0.0.1:1\n' "$PORT" >"$dir/endpoints.txt"
	cd "$dir"
	SSL_CERT_FILE=$TESTDATA/ca.crt PATH=$dir/bin:$PATH run --separate-stderr \
	    bash -c "$snippet"
	assert_failure
	assert_output "127.0.0.1:1: error: cannot connect to 127.0.0.1:1: Connection refused"
	assert_equal "$stderr" "tls-check-cert: 127.0.0.1:1: connect: cannot connect to 127.0.0.1:1: Connection refused"
	assert_equal "$(wc -l <certs.jsonl)" 2
	jq -s -e 'map(select(.target | startswith("localhost")))[0].verdict == "ok"' certs.jsonl
}
