#!/usr/bin/env bats
#
# tls-alpn-probe over many targets (lib/runner): several TARGET arguments,
# --targets FILE and --targets - (stdin).  Each target runs its own probes
# (--each, --order and --expect apply per target); the results come out in
# input order, one JSON object a line or one verdict line a target and a
# summary line, and the exit status is the worst of the targets' (70, 3,
# 4, 1, 5, 0).  A bad target anywhere in the list exits 2 before any
# network I/O.  The targets are tlskit's echo server offering h2 and
# http/1.1, one offering http/1.1 only, one with a certificate for another
# name, and a closed port.  No timing is asserted.  Runs the built tools
# from $TK_BUILD.

# SC2154: $stderr is set by bats' run --separate-stderr.
# shellcheck disable=SC2154

load lib

setup() {
	tk_setup
	tk_start_echo both --alpn h2,http/1.1
	BOTH=localhost:$PORT
	tk_start_echo http1 --alpn http/1.1
	HTTP1=localhost:$PORT
	tk_start_echo wrong --alpn h2,http/1.1 \
	    --cert "$TESTDATA/wrongname-chain.pem" \
	    --key "$TESTDATA/wrongname.key"
	WRONG=localhost:$PORT
	tk_closed_port
	CLOSED=127.0.0.1:$CLOSED_PORT
}

# targets_are T...: the JSON lines in $output are for T..., in this order;
# no line has an error with exit_code 0 or a probe left "pending".
targets_are() {
	local want got

	jq -e -s 'all(.[]; .error == null or .exit_code != 0) and
	    all(.[]; [.probe, (.each // [])[] | select(. != null) |
	    .outcome] | all(. != "pending"))' >/dev/null <<<"$output" ||
	    fail "an error with exit_code 0, or a probe pending: $output"
	want=$(printf '%s\n' "$@")
	got=$(jq -r .target <<<"$output")
	assert_equal "$got" "$want"
}

# write_list FILE: the mixed targets with comments and blank lines.
write_list() {
	{
		echo "# three targets, a comment and a blank line among them"
		echo "$BOTH"
		echo ""
		echo "   # the closed port"
		echo "$CLOSED"
		echo "$WRONG"
	} >"$1"
}

@test "text: one verdict line a target in input order, the summary, the worst exit (3)" {
	run -3 --separate-stderr tk_probe "$BOTH" "$CLOSED" "$WRONG"
	assert_equal "${#lines[@]}" 4
	assert_line -n 0 "OK      $BOTH: offered h2,http/1.1: selected h2"
	[[ ${lines[1]} == "ERROR   $CLOSED: offered h2,http/1.1: error: connect: "* ]] ||
	    fail "line 2: ${lines[1]}"
	[[ ${lines[2]} == "FAIL    $WRONG: offered h2,http/1.1: "* ]] ||
	    fail "line 3: ${lines[2]}"
	assert_line -n 3 "3 targets: 1 ok, 0 warning, 2 failed"
	# each error line on stderr names its target, in input order
	assert_equal "$(grep -c . <<<"$stderr")" 2
	[[ $(sed -n 1p <<<"$stderr") == "tls-alpn-probe: $CLOSED: connect: "* ]] ||
	    fail "stderr: $stderr"
	[[ $(sed -n 2p <<<"$stderr") == "tls-alpn-probe: $WRONG: verify: "*name-mismatch* ]] ||
	    fail "stderr: $stderr"
}

@test "JSON: one object a line in input order, each with its own exit code" {
	run -3 --separate-stderr tk_probe --json "$WRONG" "$BOTH" "$CLOSED"
	assert_equal "${#lines[@]}" 3
	targets_are "$WRONG" "$BOTH" "$CLOSED"
	assert_equal "$(jq -c '[.exit_code, .probe.outcome]' <<<"$output" |
	    paste -sd ' ')" '[1,"selected"] [0,"selected"] [3,"error"]'
	assert_equal "$(jq -r '.tool' <<<"$output" | sort -u)" tls-alpn-probe
}

@test "--expect per target: one not met makes the run exit 1" {
	run -1 --separate-stderr tk_probe --expect h2 "$BOTH" "$HTTP1"
	assert_line -n 0 "OK      $BOTH: offered h2,http/1.1: selected h2; expect h2: met"
	assert_line -n 1 "FAIL    $HTTP1: offered h2,http/1.1: selected http/1.1; expect h2: not met"
	assert_line -n 2 "2 targets: 1 ok, 0 warning, 1 failed"
	assert_equal "$stderr" "tls-alpn-probe: $HTTP1: expect: expected ALPN 'h2', the server selected http/1.1"
	run -1 --separate-stderr tk_probe --json --expect h2 "$BOTH" "$HTTP1"
	assert_equal "$(jq -c '[.expect.met, .exit_code]' <<<"$output" |
	    paste -sd ' ')" '[true,0] [false,1]'
	run -0 --separate-stderr tk_probe --expect h2 "$BOTH" "$BOTH"
	assert_line -n 2 "2 targets: 2 ok, 0 warning, 0 failed"
}

@test "--each and --order per target: each target its own probes" {
	local want

	run -0 --separate-stderr tk_probe --json --order --alpn h2,http/1.1 \
	    "$HTTP1" "$BOTH"
	assert_equal "${#lines[@]}" 2
	targets_are "$HTTP1" "$BOTH"
	assert_equal "$(jq -c '[.each[].result]' <<<"$output" |
	    paste -sd ' ')" '["refused","accepted"] ["accepted","accepted"]'
	assert_equal "$(jq -r .order.mode <<<"$output" | paste -sd ' ')" \
	    'undetermined server'
	# one probe at a time: the same probes, the same order
	want=$(jq -c '[.each, .order, .exit_code]' <<<"$output")
	run -0 --separate-stderr tk_probe --json --parallel 1 --order \
	    --alpn h2,http/1.1 "$HTTP1" "$BOTH"
	targets_are "$HTTP1" "$BOTH"
	assert_equal "$(jq -c '[.each, .order, .exit_code]' <<<"$output")" \
	    "$want"
	run -0 --separate-stderr tk_probe --each --alpn h2,http/1.1 \
	    "$HTTP1" "$BOTH"
	assert_line -n 0 "OK      $HTTP1: offered h2,http/1.1: selected http/1.1"
	assert_line -n 1 "OK      $BOTH: offered h2,http/1.1: selected h2"
	assert_line -n 2 "2 targets: 2 ok, 0 warning, 0 failed"
}

@test "one target stays as it was: the full report and no summary" {
	run -0 --separate-stderr tk_probe --each --alpn h2,http/1.1 "$HTTP1"
	assert_output "offered h2,http/1.1: selected http/1.1
  h2                   refused
  http/1.1             accepted
accepted: http/1.1; 1 refused"
	assert_equal "$stderr" ""
}

@test "--targets FILE with comments: the same as the arguments" {
	local f=$BATS_TEST_TMPDIR/targets.txt

	write_list "$f"
	run -3 --separate-stderr tk_probe --json --targets "$f"
	targets_are "$BOTH" "$CLOSED" "$WRONG"
	assert_equal "$(jq -c .exit_code <<<"$output" | paste -sd ' ')" \
	    '0 3 1'
	# arguments first, then the list
	run -3 --separate-stderr tk_probe --json --targets "$f" "$HTTP1"
	targets_are "$HTTP1" "$BOTH" "$CLOSED" "$WRONG"
}

@test "--targets - reads stdin" {
	run -3 --separate-stderr tk_probe --targets - < <(write_list /dev/stdout)
	assert_equal "${#lines[@]}" 4
	[[ ${lines[0]} == "OK      $BOTH: "* && ${lines[1]} == "ERROR   $CLOSED: "* &&
	    ${lines[2]} == "FAIL    $WRONG: "* ]] || fail "order: $output"
	assert_line -n 3 "3 targets: 1 ok, 0 warning, 2 failed"
}

@test "--parallel 1: the same order" {
	local f=$BATS_TEST_TMPDIR/targets.txt

	write_list "$f"
	echo "$HTTP1" >>"$f"
	run -3 --separate-stderr tk_probe --json --parallel 1 --targets "$f" \
	    "$BOTH"
	targets_are "$BOTH" "$BOTH" "$CLOSED" "$WRONG" "$HTTP1"
}

@test "a bad target in the list: exit 2 before any connection, naming it" {
	local f=$BATS_TEST_TMPDIR/targets.txt

	write_list "$f"
	echo "smtp://$BOTH" >>"$f"
	echo "$HTTP1" >>"$f"
	run -2 --separate-stderr tk_traced "$TK_PROBE" --ca "$TK_CA" \
	    --targets "$f" "$BOTH"
	assert_output ''
	assert_equal "$(grep -c . <<<"$stderr")" 1
	[[ $stderr == "tls-alpn-probe: smtp://$BOTH: target: "*"not 'smtp://$BOTH' (targets file line 7)" ]] ||
	    fail "stderr: $stderr"
	tk_no_inet "$BATS_TEST_TMPDIR/strace.log"
	# the same for a target that does not parse, given as an argument
	run -2 --separate-stderr tk_traced "$TK_PROBE" --ca "$TK_CA" \
	    --json "$BOTH" 'bad host:443'
	assert_output ''
	assert_equal "$(grep -c . <<<"$stderr")" 1
	[[ $stderr == "tls-alpn-probe: bad host:443: target: "* ]] ||
	    fail "stderr: $stderr"
	tk_no_inet "$BATS_TEST_TMPDIR/strace.log"
}

@test "options that take one target refuse several" {
	run -2 --separate-stderr tk_probe --hostname localhost "$BOTH" "$HTTP1"
	assert_output ''
	[[ $stderr == "tls-alpn-probe: options: --hostname takes one target"* ]] ||
	    fail "stderr: $stderr"
	run -2 --separate-stderr tk_probe --stream "$BOTH" "$HTTP1"
	[[ $stderr == "tls-alpn-probe: options: --stream goes with --json" ]] ||
	    fail "stderr: $stderr"
}

@test "--shard K/N: the shards partition the targets" {
	local k all=() got=

	for k in 1 2 3 4 5 6; do
		all+=("127.0.0.$k:$CLOSED_PORT")
	done
	for k in 1 2 3; do
		# a shard may be empty (the ports vary): exit 0, no line
		run --separate-stderr tk_probe --json --shard "$k/3" "${all[@]}"
		((status == 3 || (status == 0 && ${#output} == 0))) ||
		    fail "shard $k/3: exit $status: $output"
		got+=$(jq -r .target <<<"$output")$'\n'
	done
	assert_equal "$(sort <<<"$got" | grep .)" "$(printf '%s\n' "${all[@]}")"
}
