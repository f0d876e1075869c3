#!/usr/bin/env bats
#
# The x509-limbo suite (shared/x509-limbo beside the checkout: 9,780
# certificate-path validation cases) through tls-check-cert --file, as a
# user would run it:
# the pass rates must stay at or above tests/limbo/gate and no case in the
# groups of tests/limbo/protected may be accepted when it should fail.
# The same suite through the bare validator (tk-verify) proves that the
# checker's extra findings (served chain, strength) never turn a valid
# path into a failure the validator did not find.

bats_require_minimum_version 1.5.0

load lib


# Under AddressSanitizer each case costs several times more: a sample of
# the 9,491 BetterTLS name-constraint cases (tests/limbo/run.sh), every
# other case in full.  The plain build runs the whole suite.
setup() {
	if nm -D "$TK_BUILD/tools/tk-verify" 2>/dev/null | grep -q ' __asan_init'; then
		export LIMBO_SAMPLE=1
	fi
}

@test "x509-limbo through tls-check-cert --file: gate passes" {
	# warnings (exit 5: an intermediate found only in the store) are
	# still a valid path
	LIMBO_OK_CODES=0,5 run sh "$TK_SRC/tests/limbo/run.sh" \
	    "$TK_BUILD/tools/tls-check-cert"
	echo "$output" | tail -n 30
	assert_success
	assert_line 'limbo gate: passed'
}

@test "x509-limbo through tk-verify (the validator alone): gate passes" {
	run sh "$TK_SRC/tests/limbo/run.sh" "$TK_BUILD/tools/tk-verify"
	echo "$output" | tail -n 30
	assert_success
	assert_line 'limbo gate: passed'
}
