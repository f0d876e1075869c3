#!/usr/bin/env bats
# valgrind memcheck over the client and server smoke test
# (scripts/valgrind.sh): no memcheck error and no definite leak in
# tls-echo-server, tls-echo-client, tls-check-cert and tls-alpn-probe.

load lib

@test "valgrind: client and server smoke test has no errors and no definite leaks" {
	# ASan builds cannot run under valgrind
	if grep -q 'fsanitize' "$TK_BUILD/build.ninja" 2>/dev/null; then
		skip "sanitizer build: valgrind runs on the plain build"
	fi
	run -0 timeout 300 bash "$TK_SRC/scripts/valgrind.sh" "$TK_BUILD"
	assert_line 'server: ok (exit 0 after SIGTERM, no memcheck errors)'
}
