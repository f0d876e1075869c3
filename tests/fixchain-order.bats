#!/usr/bin/env bats
#
# tls-check-cert --fix-chain on chain files whose leaf is not first
# (cat intermediate.crt leaf.crt > fullchain.pem): the leaf is found and
# put first, then each issuer, the root dropped; when no single
# certificate can be the leaf, the chain is INCOMPLETE and no certificate
# is printed.  Whatever the case, the output never holds a chain without
# its leaf.  The exit status is that of the chain as given (man page,
# "Fixing the chain"): a file that needs fixing fails the check.
# Runs the built tools from $TK_BUILD (default: build/ next to tests/).

# shellcheck disable=SC2154 # stderr: set by bats' run --separate-stderr
load lib

setup() {
	tk_setup
	LEAF=$TESTDATA/localhost-rsa.crt
	INTER=$TESTDATA/intermediate.crt
	ROOT=$TESTDATA/ca.crt
	D=$BATS_TEST_TMPDIR
}

# chain FILE...: the files concatenated into $D/in.pem, as a user would.
chain() {
	cat "$@" >"$D/in.pem"
}

# fix [ARGS...]: --fix-chain --file $D/in.pem ARGS; the exit status must
# be the one the check gives the file without --fix-chain (non-zero here:
# every file in this suite needs fixing).  Sets output, stderr, status.
fix() {
	local want

	run --separate-stderr tk_check --file "$D/in.pem"
	want=$status
	((want != 0)) || fail "the check passes $D/in.pem: not a case to fix"
	run --separate-stderr tk_check --fix-chain --file "$D/in.pem" "$@"
	((status == want)) ||
	    fail "--fix-chain exits $status, the check $want: $stderr"
	split_output
}

# split_output: the certificates of $output to $D/out/cert1.pem,
# cert2.pem...; NOUT is their number, $D/out/rest.pem all but the first.
split_output() {
	rm -rf "$D/out"
	mkdir "$D/out"
	grep -v '^#' <<<"$output" | awk -v d="$D/out" '
	    /^-----BEGIN CERTIFICATE-----$/ { n++ }
	    n { print > (d "/cert" n ".pem") }'
	NOUT=$(find "$D/out" -name 'cert*.pem' | wc -l)
	: >"$D/out/rest.pem"
	for ((i = 2; i <= NOUT; i++)); do
		cat "$D/out/cert$i.pem" >>"$D/out/rest.pem"
	done
}

# leaf_kept: the output has no certificate at all (and says INCOMPLETE),
# or the leaf first: never a chain without it.
leaf_kept() {
	if ((NOUT == 0)); then
		assert_line -n 0 --regexp ': 0 certificates, INCOMPLETE$'
		return 0
	fi
	[[ $(tk_fingerprint "$D/out/cert1.pem") == \
	    "$(tk_fingerprint "$LEAF")" ]] ||
	    fail "the first certificate printed is not the leaf:
$(openssl x509 -in "$D/out/cert1.pem" -noout -subject)"
}

# fixed_ok FP...: the output is the leaf and the certificates with these
# fingerprints, in this order; openssl verifies the leaf with the rest as
# untrusted and ca.crt as the only anchor; tls-check-cert passes the
# output as it is, comments included.
fixed_ok() {
	local i=2 f

	leaf_kept
	((NOUT == $# + 1)) || fail "$NOUT certificates printed, not $(($# + 1)):
$output"
	for f in "$@"; do
		[[ $(tk_fingerprint "$D/out/cert$i.pem") == "$f" ]] ||
		    fail "certificate $i is not the one expected"
		i=$((i + 1))
	done
	printf '%s\n' "$output" >"$D/fixed.pem"
	run openssl verify -CAfile "$ROOT" -untrusted "$D/out/rest.pem" \
	    "$D/out/cert1.pem"
	assert_success
	assert_output "$D/out/cert1.pem: OK"
	run -0 tk_check --file "$D/fixed.pem" --hostname localhost
}

@test "reversed two-certificate file: the leaf first, then the intermediate" {
	chain "$INTER" "$LEAF"
	fix
	assert_line -n 0 "# tls-check-cert --fix-chain $D/in.pem: 2 certificates, changed"
	assert_line -n 1 "# reordered: the leaf is #1 'localhost', not #0: it issues none of the others and is not a CA; the issuing order is #1, #0: the leaf goes first, each certificate followed by the one that issued it (RFC 8446 4.4.2)"
	(($(grep -c '^#' <<<"$output") == 2)) || fail "more than one note: $output"
	# the leaf's fingerprint first, the intermediate's after it
	[[ $(tk_fingerprint "$D/out/cert1.pem") == \
	    "$(tk_fingerprint "$LEAF")" ]] ||
	    fail "the output does not start with the leaf"
	fixed_ok "$(tk_fingerprint "$INTER")"
	# and the PEM is the good chain file, byte for byte
	cmp "$D/out/cert1.pem" "$LEAF"
	cmp <(cat "$D/out/cert1.pem" "$D/out/rest.pem") "$TESTDATA/localhost-rsa-chain.pem"
	# JSON: the same chain in fixed_chain
	run -1 --separate-stderr tk_check --json --fix-chain --file "$D/in.pem"
	jq -e '.fixed_chain.complete and .fixed_chain.changed and
	    .fixed_chain.certificates == 2 and
	    [.fixed_chain.changes[].action] == ["reordered"]' <<<"$output"
	cmp <(jq -j .fixed_chain.pem <<<"$output") "$TESTDATA/localhost-rsa-chain.pem"
}

@test "reversed three-certificate file with the root: reordered, root dropped" {
	chain "$ROOT" "$INTER" "$LEAF"
	fix
	assert_line -n 0 "# tls-check-cert --fix-chain $D/in.pem: 2 certificates, changed"
	assert_line -n 1 --partial "# reordered: the leaf is #2 'localhost', not #0: it issues none of the others and is not a CA; the issuing order is #2, #1, #0:"
	assert_line -n 2 "# dropped-root: #0 'tlskit Test Root CA' is a root (self-signed): clients use their own copy, so sending it only costs bytes"
	fixed_ok "$(tk_fingerprint "$INTER")"
	# the root is nowhere in the output
	[[ $(tk_fingerprint "$D/out/cert1.pem") != "$(tk_fingerprint "$ROOT")" &&
	    $(tk_fingerprint "$D/out/cert2.pem") != "$(tk_fingerprint "$ROOT")" ]] ||
	    fail "the root was printed"
}

@test "leaf in the middle: intermediate, leaf, root" {
	chain "$INTER" "$LEAF" "$ROOT"
	fix
	assert_line -n 0 --regexp ': 2 certificates, changed$'
	assert_line -n 1 --partial "the leaf is #1 'localhost', not #0"
	assert_line -n 1 --partial "the issuing order is #1, #0, #2"
	assert_line -n 2 --partial "# dropped-root: #2 'tlskit Test Root CA'"
	fixed_ok "$(tk_fingerprint "$INTER")"
}

@test "duplicated certificates in reverse order: one copy of each, leaf first" {
	chain "$INTER" "$INTER" "$LEAF" "$LEAF" "$ROOT" "$ROOT"
	fix
	assert_line -n 0 --regexp ': 2 certificates, changed$'
	assert_line -n 1 --partial "the leaf is #2 'localhost', not #0"
	assert_line "# dropped-duplicate: #1 'tlskit Test Intermediate CA' is a second copy of #0"
	assert_line "# dropped-duplicate: #3 'localhost' is a second copy of #2"
	assert_line "# dropped-duplicate: #5 'tlskit Test Root CA' is a second copy of #4"
	fixed_ok "$(tk_fingerprint "$INTER")"
}

@test "a stray root before the leaf, the intermediate from --intermediates" {
	chain "$TESTDATA/other-ca.crt" "$LEAF"
	fix --intermediates "$INTER"
	assert_line -n 0 --regexp ': 2 certificates, changed$'
	assert_line -n 1 --partial "the leaf is #1 'localhost', not #0"
	assert_line "# added: 'tlskit Test Intermediate CA', the issuer of 'localhost', was not sent; taken from --intermediates '$INTER'"
	fixed_ok "$(tk_fingerprint "$INTER")"
}

@test "the leaf first: as before, the chain as given or only put right" {
	# leaf, root, intermediate: the order as before the leaf search
	chain "$LEAF" "$ROOT" "$INTER"
	fix
	assert_line -n 0 --regexp ': 2 certificates, changed$'
	assert_line -n 1 "# reordered: the certificates were not sent in issuing order, which is #0, #2, #1: each must be followed by the one that issued it (RFC 8446 4.4.2)"
	assert_line -n 2 --partial "# dropped-root: #1 "
	fixed_ok "$(tk_fingerprint "$INTER")"
	# leaf first and a second leaf: #0 stays the leaf, as before
	chain "$LEAF" "$INTER" "$TESTDATA/wrongname.crt"
	fix
	assert_line -n 1 "# dropped-unrelated: #2 'wrong.example.net' is not on the path from the leaf"
	fixed_ok "$(tk_fingerprint "$INTER")"
	# a right chain file: unchanged, and the check passes
	run -0 --separate-stderr tk_check --fix-chain --file "$TESTDATA/localhost-rsa-chain.pem"
	assert_line -n 0 --regexp ': 2 certificates, unchanged$'
	split_output
	leaf_kept
}

@test "no single leaf: INCOMPLETE, why, and no certificate printed" {
	# two end-entity certificates after the CA that issued both
	chain "$INTER" "$LEAF" "$TESTDATA/wrongname.crt"
	fix
	assert_line -n 0 "# tls-check-cert --fix-chain $D/in.pem: 0 certificates, INCOMPLETE"
	assert_line -n 1 "# incomplete: cannot tell which certificate is the leaf: #1 'localhost', #2 'wrong.example.net' issue none of the others and are not CAs; no chain is printed, since one without its leaf breaks the server: put the leaf first"
	((${#lines[@]} == 2)) || fail "more than the two comment lines: $output"
	((NOUT == 0)) || fail "certificates printed: $output"
	leaf_kept
	run -1 --separate-stderr tk_check --json --fix-chain --file "$D/in.pem"
	jq -e '(.fixed_chain.complete | not) and (.fixed_chain.changed | not)
	    and .fixed_chain.certificates == 0 and .fixed_chain.pem == "" and
	    [.fixed_chain.changes[].action] == ["incomplete"]' <<<"$output"
	# CA certificates only, two of which issue nothing
	chain "$ROOT" "$INTER" "$TESTDATA/other-ca.crt"
	fix
	assert_line -n 0 --regexp ': 0 certificates, INCOMPLETE$'
	assert_line -n 1 --partial "#1 'tlskit Test Intermediate CA', #2 'tlskit Other Root CA' issue none of the others, and all are CAs"
	((NOUT == 0)) || fail "certificates printed: $output"
}

@test "reversed and incomplete: the leaf is still first" {
	# no trust store knows the root, nothing is fetched: the chain
	# cannot be finished, but what is printed starts with the leaf
	chain "$INTER" "$LEAF"
	run --separate-stderr timeout 60 "$TK_CHECK" --ca "$TESTDATA/other-ca.crt" \
	    --fix-chain --file "$D/in.pem"
	((status != 0)) || fail "the check passed"
	assert_line -n 0 --regexp ': 2 certificates, INCOMPLETE$'
	assert_line -n 1 --partial "the leaf is #1 'localhost', not #0"
	assert_line -n 2 --partial "# incomplete: the issuer 'CN=tlskit Test Root CA' of 'tlskit Test Intermediate CA' was found nowhere"
	split_output
	leaf_kept
	((NOUT == 2)) || fail "$NOUT certificates printed"
}
