#!/usr/bin/env bats
#
# The target runner (lib/runner) through tls-check-cert: a long target
# list comes out in input order, one result per target, with the peak RSS
# bounded by the runner's window rather than the number of targets.  The
# targets are distinct loopback addresses on port 1, which refuse.  No
# timing is asserted.  Runs the built tools from $TK_BUILD.

load lib

setup() {
	tk_setup
	[[ -x /usr/bin/time ]] || skip "GNU time (/usr/bin/time) is missing"
}

# write_targets N FILE: N distinct refused targets, 127.A.B.C:1, with a
# comment and a blank line among them.
write_targets() {
	awk -v n="$1" 'BEGIN {
		print "# many refused targets"
		for (i = 0; i < n; i++) {
			printf "127.%d.%d.%d:1\n", int(i / 65536) % 256,
			    int(i / 256) % 256, i % 256 + 1
			if (i == 1000) print ""
			if (i == 2000) print "   # a comment line"
		}
	}' >"$2"
}

# peak_rss_kib FILE: GNU time -v's maximum resident set size.
peak_rss_kib() {
	sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' "$1"
}

# assert_rss_bounded FILE: the peak RSS of GNU time's report is under
# 64 MiB.  Not under AddressSanitizer, whose quarantine keeps freed
# memory (256 MiB by default) and whose shadow grows with it: the bound
# is the plain build's; the order and counts are checked in both.
assert_rss_bounded() {
	local rss

	if nm -D "$TK_CHECK" 2>/dev/null | grep -q ' __asan_init'; then
		return 0
	fi
	rss=$(peak_rss_kib "$1")
	[[ -n $rss ]] || fail "no RSS from /usr/bin/time"
	((rss < 64 * 1024)) || fail "peak RSS $rss KiB, bound 64 MiB"
}

@test "20 000 targets: in input order, one JSON line each, exit 3, RSS bounded" {
	local f=$BATS_TEST_TMPDIR/targets.txt
	write_targets 20000 "$f"
	grep -v '^[[:space:]]*#' "$f" | grep -v '^[[:space:]]*$' \
	    >"$BATS_TEST_TMPDIR/want"

	run -3 --separate-stderr /usr/bin/time -v \
	    -o "$BATS_TEST_TMPDIR/time" timeout 300 "$TK_CHECK" --json -t 5 \
	    --targets "$f"
	assert_equal "${#lines[@]}" 20000
	printf '%s\n' "$output" | jq -r .target >"$BATS_TEST_TMPDIR/got"
	diff -q "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/got" >/dev/null ||
	    fail "targets are not in input order"
	assert_equal "$(printf '%s\n' "$output" |
	    jq -c 'select(.exit_code == 3 and .error.class == "network")' |
	    wc -l)" 20000
	# before the runner every result was held to the end: ~29 KB each,
	# over 500 MiB here; now the window's results and the list's text
	assert_rss_bounded "$BATS_TEST_TMPDIR/time"
}

@test "the same list from stdin with --parallel 3: the same order" {
	local f=$BATS_TEST_TMPDIR/targets.txt
	write_targets 3000 "$f"
	grep -v '^[[:space:]]*#' "$f" | grep -v '^[[:space:]]*$' \
	    >"$BATS_TEST_TMPDIR/want"

	run -3 --separate-stderr tk_check --json -j 3 -t 5 --targets - <"$f"
	assert_equal "${#lines[@]}" 3000
	printf '%s\n' "$output" | jq -r .target >"$BATS_TEST_TMPDIR/got"
	diff -q "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/got" >/dev/null ||
	    fail "targets are not in input order"
}

@test "text mode over many targets: one line each in order, then the summary" {
	local f=$BATS_TEST_TMPDIR/targets.txt
	write_targets 2000 "$f"

	run -3 --separate-stderr tk_check -t 5 --targets "$f"
	assert_equal "${#lines[@]}" 2001
	assert_equal "${lines[2000]}" \
	    "2000 targets: 0 ok, 0 warning, 2000 failed"
	[[ ${lines[0]} == *127.0.0.1:1* && ${lines[1999]} == *127.0.7.208:1* ]] ||
	    fail "first or last line is not the first or last target:
${lines[0]}
${lines[1999]}"
}

@test "--nagios over 20 000 targets: one line, CRITICAL, RSS bounded (results are not kept)" {
	local f=$BATS_TEST_TMPDIR/targets.txt
	write_targets 20000 "$f"

	run -2 --separate-stderr /usr/bin/time -v \
	    -o "$BATS_TEST_TMPDIR/time" timeout 300 "$TK_CHECK" --nagios -t 5 \
	    --targets "$f"
	assert_equal "${#lines[@]}" 1
	[[ ${lines[0]} == "TLS CRITICAL - 20000 of 20000 targets failed; 127.0.0.1:1: connect: "* ]] ||
	    fail "unexpected line: ${lines[0]:0:200}"
	assert_rss_bounded "$BATS_TEST_TMPDIR/time"
}
