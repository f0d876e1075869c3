#!/usr/bin/env bats
# tls-starttls over many targets through lib/runner: arguments and
# --targets FILE|-, each target with its own protocol (its URL's scheme),
# results in input order in text and JSON, the worst exit code, bad input
# refused before any socket, --check-injection per target.  No timing is
# asserted.

load lib

setup() {
	tk_setup
	tk_closed_port
	# an OK smtp server, an imap server whose certificate has expired
	tk_start_echo smtp --starttls smtp
	P_OK=$PORT
	tk_start_echo imap-expired --starttls imap \
	    --cert "$TESTDATA/expired-chain.pem" --key "$TESTDATA/expired.key"
	P_EXP=$PORT
	T=("smtp://localhost:$P_OK" "imap://localhost:$CLOSED_PORT"
	    "imap://localhost:$P_EXP")
}

# st ARGS...: tls-starttls trusting the test CA, bounded in time.
st() {
	timeout 60 "$TK_STARTTLS" --ca "$TK_CA" --timeout 5 "$@"
}

# order_is TARGET...: the targets of the JSON lines in $output, in order.
order_is() {
	assert_equal "$(jq -r .target <<<"$output")" "$(printf '%s\n' "$@")"
}

@test "three targets: one line each in input order, the summary, exit 3" {
	run -3 --separate-stderr st "${T[@]}"
	assert_equal "${#lines[@]}" 4
	assert_line --index 0 --regexp "^OK +smtp://localhost:$P_OK: "
	assert_line --index 1 --regexp "^ERROR +imap://localhost:$CLOSED_PORT: "
	assert_line --index 2 --regexp "^FAIL +imap://localhost:$P_EXP: "
	assert_line --index 3 "3 targets: 1 ok, 0 warning, 2 failed"
	# the error lines name their targets, in input order
	assert_equal "$(awk '{ print $2 }' <<<"$stderr")" \
	    "imap://localhost:$CLOSED_PORT:
imap://localhost:$P_EXP:"
}

@test "--json: one object per target in input order, each its own protocol" {
	run -3 --separate-stderr st --json "${T[@]}"
	assert_equal "${#lines[@]}" 3
	order_is "${T[@]}"
	assert_equal "$(jq -c '[.exit_code, .starttls.protocol // null]' \
	    <<<"$output" | paste -sd' ')" '[0,"smtp"] [3,null] [1,"imap"]'
}

@test "the failing check alone: exit 1, the worst of OK and FAIL" {
	run -1 --separate-stderr st "${T[0]}" "${T[2]}"
	assert_line --index 2 "2 targets: 1 ok, 0 warning, 1 failed"
}

@test "--targets FILE with comments and blank lines, after the arguments" {
	local f=$BATS_TEST_TMPDIR/targets.txt

	printf '# mail servers\n%s\n\n   # the refused one\n%s\n' "${T[1]}" \
	    "${T[2]}" >"$f"
	run -3 --separate-stderr st --json "${T[0]}" --targets "$f"
	order_is "${T[@]}"
}

@test "--targets - reads the list from stdin" {
	run -3 --separate-stderr st --json --targets - \
	    < <(printf '%s\n' "${T[@]}")
	order_is "${T[@]}"
}

@test "--parallel 1: the same order" {
	run -3 --separate-stderr st --json --parallel 1 "${T[@]}" "${T[@]}"
	order_is "${T[@]}" "${T[@]}"
}

@test "--proto for targets without a scheme: every one speaks it" {
	run -0 --separate-stderr st --json --proto smtp "localhost:$P_OK" \
	    "127.0.0.1:$P_OK"
	assert_equal "$(jq -r '.starttls.protocol' <<<"$output" |
	    paste -sd' ')" 'smtp smtp'
}

@test "--check-injection on each target" {
	run -0 --separate-stderr st --json --check-injection \
	    "smtp://localhost:$P_OK" "smtp://127.0.0.1:$P_OK"
	assert_equal "${#lines[@]}" 2
	assert_equal "$(jq -c '.starttls.injection.vulnerable' <<<"$output" |
	    paste -sd' ')" 'false false'
}

@test "a bad target in the list: exit 2 naming it, no socket opened" {
	local f=$BATS_TEST_TMPDIR/targets.txt

	printf '%s\n' "${T[0]}" "localhost:$P_OK" >"$f"
	run -2 --separate-stderr tk_traced "$TK_STARTTLS" --ca "$TK_CA" \
	    --targets "$f"
	assert_output ''
	[[ $stderr == "tls-starttls: localhost:$P_OK: options: no protocol: "* &&
	    $stderr == *" (targets file line 2)" ]] || fail "stderr: $stderr"
	tk_no_inet "$BATS_TEST_TMPDIR/strace.log"
}
