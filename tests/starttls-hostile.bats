#!/usr/bin/env bats
# tls-starttls against scripted STARTTLS servers, hostile and broken
# (issue 4, "Tests", second paragraph): STARTTLS not advertised; refused
# (SMTP 454, IMAP NO, POP3 -ERR, LDAP result unavailable); a banner that
# never ends, fast and slow; a 10 MB line; a close mid-dialogue; garbage
# for a ServerHello; plaintext injected after the go-ahead; a server that
# answers a command pipelined after STARTTLS inside TLS (CVE-2011-0411)
# next to one that does not; a server that never handshakes, one that
# trickles its handshake, one silent inside TLS, and one that sends its
# plaintext a byte at a time with bare LF endings.  Each case:
# the exit code, exactly one stderr line "tls-starttls: TARGET: STEP:
# message", finished within --timeout 2 plus a margin, and the JSON.
# tls-check-cert --starttls smtp meets two of the servers too.
# The servers: tests/peers/starttls_hostile.py --mode MODE.

# SC2016: the jq filters name jq variables ($c, $s, $p), bound by --arg.
# shellcheck disable=SC2016

load lib

SCRIPTED=$BATS_TEST_DIRNAME/peers/starttls_hostile.py

# --- helpers local to this file -------------------------------------------

# scripted MODE: start starttls_hostile.py --mode MODE; sets PORT.
scripted() {
	tk_start_server "scripted-$1" "$TK_PYTHON" "$SCRIPTED" --mode "$1"
}

# bounded_run CODES MAXMS CMD...: run CMD (bounded by timeout 20) with
# stdout and stderr apart; its status is one of CODES (space separated)
# and it took at most MAXMS milliseconds.
bounded_run() {
	local codes=$1 max=$2 t0 t1 took

	shift 2
	t0=${EPOCHREALTIME/./}
	run --separate-stderr timeout 20 "$@"
	t1=${EPOCHREALTIME/./}
	took=$(((t1 - t0) / 1000))
	[[ " $codes " == *" $status "* ]] ||
	    fail "${1##*/}: status $status, want one of: $codes
--- stdout:
$output
--- stderr:
$stderr"
	((took <= max)) || fail "${1##*/}: took ${took} ms, bound ${max} ms"
}

# starttls CODES MAXMS ARGS...: tls-starttls --timeout 2, trusting the test
# CA and verifying the name localhost, with ARGS (the target last).
starttls() {
	local codes=$1 max=$2

	shift 2
	[[ -x $TK_STARTTLS ]] ||
	    fail "$TK_STARTTLS is not built (ninja -C build, or set TK_BUILD)"
	bounded_run "$codes" "$max" "$TK_STARTTLS" --timeout 2 --ca "$TK_CA" \
	    --hostname localhost "$@"
}

# bounded_memory: a prefix for CMD that caps its address space at 256 MiB
# (a reader that buffered an endless banner would pass it in well under
# the 2 s), unless CMD is built with AddressSanitizer, which reserves
# terabytes of shadow memory.  Sets MEMCAP (an array).
bounded_memory() {
	MEMCAP=()
	if ! ldd "$1" 2>/dev/null | grep -q 'libasan'; then
		# shellcheck disable=SC2016 # expanded by the inner bash
		MEMCAP=(bash -c 'ulimit -v 262144 && exec "$@"' _)
	fi
}

# one_error TOOL STEP REGEX: stderr is exactly one line, "TOOL:
# 127.0.0.1:PORT: STEP: MESSAGE" (or with the TARGET as given, a URL),
# and MESSAGE matches the extended REGEX.
one_error() {
	local tool=$1 step=$2 regex=$3 n msg

	n=$(grep -c '' <<<"$stderr")
	[[ -n $stderr && $n == 1 ]] ||
	    fail "want exactly one stderr line, got $n: $stderr"
	[[ $stderr =~ ^$tool:\ ([a-z]+://)?127\.0\.0\.1:$PORT:\ $step:\ (.*)$ ]] ||
	    fail "stderr is not '$tool: 127.0.0.1:$PORT: $step: ...': $stderr"
	msg=${BASH_REMATCH[2]}
	grep -Eq -- "$regex" <<<"$msg" ||
	    fail "the message does not match /$regex/: $msg"
}

# jq_ok FILTER [jq options...]: the JSON in $output is one object and
# satisfies FILTER.
jq_ok() {
	local filter=$1

	shift
	[[ $(jq -s length <<<"$output" 2>/dev/null) == 1 ]] ||
	    fail "stdout is not one JSON object: $output"
	if ! jq -e "$@" "$filter" >/dev/null <<<"$output"; then
		fail "JSON does not satisfy: $filter
$output"
	fi
}

# json_failed CODE STEP: the JSON of a failed run: tool, target, the exit
# code, the verdict "error" and the error's step.
json_failed() {
	jq_ok '.tool == "tls-starttls" and .exit_code == ($c | tonumber) and
	    .verdict == "error" and .error.step == $s and
	    (.error.message | type) == "string" and
	    (.target | test(":" + $p + "$"))' \
	    --arg c "$1" --arg s "$2" --arg p "$PORT"
}

# check_cert_error MESSAGE-REGEX: tls-check-cert --starttls smtp against
# the server on $PORT: exit 3, one stderr line naming the step starttls,
# the JSON verdict "error".
check_cert_error() {
	bounded_run 3 4000 "$TK_CHECK" --starttls smtp --timeout 2 --ca "$TK_CA" \
	    --hostname localhost "127.0.0.1:$PORT"
	one_error tls-check-cert starttls "$1"
	bounded_run 3 4000 "$TK_CHECK" --json --starttls smtp --timeout 2 \
	    --ca "$TK_CA" --hostname localhost "127.0.0.1:$PORT"
	jq_ok '.tool == "tls-check-cert" and .exit_code == 3 and
	    .verdict == "error" and .error.step == "starttls"'
}

# --- a well-behaved server ------------------------------------------------

@test "good SMTP server: exit 0, STARTTLS advertised and answered 220, EHLO again inside TLS" {
	scripted good
	starttls 0 4000 --proto smtp "127.0.0.1:$PORT"
	[[ -z $stderr ]] || fail "stderr on success: $stderr"
	starttls 0 4000 --json --proto smtp "127.0.0.1:$PORT"
	jq_ok '.tool == "tls-starttls" and .exit_code == 0 and .error == null
	    and .starttls.protocol == "smtp" and .starttls.advertised == true
	    and (.starttls.answer | startswith("220"))
	    and any(.starttls.caps_before[]; . == "STARTTLS")
	    and any(.starttls.caps_after[]; . == "AUTH PLAIN")
	    and all(.starttls.caps_after[]; . != "STARTTLS")
	    and .starttls.injected_bytes == 0 and .starttls.injection == null
	    and any(.starttls.transcript[];
	        .dir == "C" and .tls == false and .line == "STARTTLS")
	    and any(.starttls.transcript[];
	        .dir == "S" and .tls == true and (.line | test("250 AUTH PLAIN")))
	    and all(.starttls.transcript[]; (.t_ms | type) == "number")'
}

@test "good SMTP server, --check-injection: the pipelined command is discarded: exit 0, vulnerable false" {
	scripted good
	starttls 0 4000 --json --check-injection --proto smtp "127.0.0.1:$PORT"
	jq_ok '.exit_code == 0 and .error == null
	    and .starttls.injection.vulnerable == false'
	# the server saw the pipelined bytes and threw them away
	tk_file_has "$BATS_TEST_TMPDIR/scripted-good.err" \
	    'discarding [0-9]+ bytes pipelined after STARTTLS'
}

# --- refusals before TLS --------------------------------------------------

@test "not-advertised: EHLO without STARTTLS: exit 3, the server does not advertise STARTTLS" {
	scripted not-advertised
	starttls 3 4000 --proto smtp "127.0.0.1:$PORT"
	one_error tls-starttls starttls 'does not (advertise|offer) STARTTLS'
	starttls 3 4000 --json --proto smtp "127.0.0.1:$PORT"
	json_failed 3 starttls
	jq_ok '.starttls.advertised == false and .starttls.answer == null
	    and any(.starttls.caps_before[]; . == "PIPELINING")
	    and all(.starttls.transcript[]; .line != "STARTTLS")'
}

@test "refused-smtp: 454 to STARTTLS: exit 3, the reply named (also as smtp://)" {
	scripted refused-smtp
	starttls 3 4000 --proto smtp "127.0.0.1:$PORT"
	one_error tls-starttls starttls '454 4\.7\.0 TLS not available'
	starttls 3 4000 "smtp://127.0.0.1:$PORT"
	one_error tls-starttls starttls '454 4\.7\.0 TLS not available'
	starttls 3 4000 --json --proto smtp "127.0.0.1:$PORT"
	json_failed 3 starttls
	jq_ok '.starttls.advertised == true
	    and .starttls.answer == "454 4.7.0 TLS not available"'
}

@test "refused-imap: a2 NO to STARTTLS: exit 3, the reply named" {
	scripted refused-imap
	starttls 3 4000 --proto imap "127.0.0.1:$PORT"
	one_error tls-starttls starttls 'NO \[UNAVAILABLE\] TLS not available'
	starttls 3 4000 --json --proto imap "127.0.0.1:$PORT"
	json_failed 3 starttls
	jq_ok '.starttls.protocol == "imap" and .starttls.advertised == true
	    and (.starttls.answer | test("NO \\[UNAVAILABLE\\] TLS not available"))'
}

@test "refused-pop3: -ERR to STLS: exit 3, the reply named" {
	scripted refused-pop3
	starttls 3 4000 --proto pop3 "127.0.0.1:$PORT"
	one_error tls-starttls starttls '-ERR TLS not available'
	starttls 3 4000 --json --proto pop3 "127.0.0.1:$PORT"
	json_failed 3 starttls
	jq_ok '.starttls.protocol == "pop3" and .starttls.advertised == true
	    and .starttls.answer == "-ERR TLS not available"'
}

@test "refused-ldap: StartTLS answered unavailable (52): exit 3, the result named" {
	scripted refused-ldap
	starttls 3 4000 --proto ldap "127.0.0.1:$PORT"
	one_error tls-starttls starttls 'unavailable'
	starttls 3 4000 --json --proto ldap "127.0.0.1:$PORT"
	json_failed 3 starttls
	jq_ok '.starttls.protocol == "ldap"
	    and (.starttls.answer | test("unavailable"))'
}

@test "tls-check-cert --starttls smtp, not-advertised: exit 3, verdict error" {
	scripted not-advertised
	check_cert_error 'does not (advertise|offer) STARTTLS'
}

@test "tls-check-cert --starttls smtp, refused-smtp: exit 3, verdict error" {
	scripted refused-smtp
	check_cert_error '454 4\.7\.0 TLS not available'
}

# --- broken dialogues -----------------------------------------------------

@test "endless-banner: 220- lines as fast as read: exit 3 on a cap, memory bounded" {
	scripted endless-banner
	bounded_memory "$TK_STARTTLS"
	starttls 3 4000 --proto smtp "127.0.0.1:$PORT"
	one_error tls-starttls starttls 'more than [0-9]+ (lines|bytes)|timed out'
	bounded_run 3 4000 "${MEMCAP[@]}" "$TK_STARTTLS" --timeout 2 --ca "$TK_CA" \
	    --json --proto smtp "127.0.0.1:$PORT"
	json_failed 3 starttls
}

@test "endless-banner-slow: a 220- line every 0.2 s: exit 3 within --timeout" {
	scripted endless-banner-slow
	starttls 3 4000 --proto smtp "127.0.0.1:$PORT"
	one_error tls-starttls starttls 'timed out'
	starttls 3 4000 --json --proto smtp "127.0.0.1:$PORT"
	json_failed 3 starttls
}

@test "huge-line: 10 MB without a newline: exit 3 at once, line too long" {
	scripted huge-line
	bounded_memory "$TK_STARTTLS"
	starttls 3 1500 --proto smtp "127.0.0.1:$PORT"
	one_error tls-starttls starttls 'line (longer than|too long)'
	bounded_run 3 1500 "${MEMCAP[@]}" "$TK_STARTTLS" --timeout 2 --ca "$TK_CA" \
	    --json --proto smtp "127.0.0.1:$PORT"
	json_failed 3 starttls
}

@test "close-mid: the server closes after EHLO: exit 3, closed" {
	scripted close-mid
	starttls 3 4000 --proto smtp "127.0.0.1:$PORT"
	one_error tls-starttls starttls 'closed'
	starttls 3 4000 --json --proto smtp "127.0.0.1:$PORT"
	json_failed 3 starttls
	jq_ok '.starttls.answer == null'
}

@test "garbage-after-220: garbage instead of a ServerHello: exit 4, step handshake" {
	scripted garbage-after-220
	starttls 4 4000 --proto smtp "127.0.0.1:$PORT"
	one_error tls-starttls handshake '.'
	starttls 4 4000 --json --proto smtp "127.0.0.1:$PORT"
	json_failed 4 handshake
	jq_ok '.starttls.advertised == true
	    and (.starttls.answer | startswith("220"))
	    and .starttls.injected_bytes == 0'
}

@test "never-handshakes: 220, then silence: exit 3 or 4 within --timeout, step handshake" {
	scripted never-handshakes
	starttls "3 4" 4000 --proto smtp "127.0.0.1:$PORT"
	one_error tls-starttls handshake 'timed out'
	starttls "3 4" 4000 --json --proto smtp "127.0.0.1:$PORT"
	jq_ok '.exit_code == $c and .error.step == "handshake"
	    and .verdict == "error"' --argjson c "$status"
}

@test "trickle-handshake: a TLS record a byte every 0.25 s: exit 3 or 4 within --timeout, step handshake" {
	scripted trickle-handshake
	starttls "3 4" 4000 --proto smtp "127.0.0.1:$PORT"
	one_error tls-starttls handshake 'timed out'
	starttls "3 4" 4000 --json --proto smtp "127.0.0.1:$PORT"
	jq_ok '.exit_code == $c and .error.step == "handshake"
	    and .verdict == "error"' --argjson c "$status"
}

@test "silent-after-tls: EHLO inside TLS never answered: exit 3 within --timeout" {
	scripted silent-after-tls
	starttls 3 4000 --proto smtp "127.0.0.1:$PORT"
	one_error tls-starttls starttls 'timed out'
	starttls 3 4000 --json --proto smtp "127.0.0.1:$PORT"
	json_failed 3 starttls
	jq_ok '.tls.version != null
	    and any(.starttls.transcript[]; .dir == "C" and .tls == true)'
}

@test "dribble: every plaintext byte apart, bare LF endings: exit 0" {
	scripted dribble
	starttls 0 4000 --json --proto smtp "127.0.0.1:$PORT"
	jq_ok '.exit_code == 0 and .error == null
	    and .starttls.caps_before == ["PIPELINING", "8BITMIME", "STARTTLS"]
	    and .starttls.answer == "220 2.0.0 Ready to start TLS"
	    and .starttls.injected_bytes == 0
	    and any(.starttls.caps_after[]; . == "AUTH PLAIN")'
}

# --- injection ------------------------------------------------------------

@test "inject-plaintext: bytes after '220 Ready' are discarded and reported" {
	scripted inject-plaintext
	# the exit code follows the finding's severity: 1 for fail, 5 for warn
	starttls "1 5" 4000 --json --proto smtp "127.0.0.1:$PORT"
	# "250 injected\r\n" came in the same write as the go-ahead; TLS and
	# EHLO inside it went on
	jq_ok '.exit_code == $c and .starttls.injected_bytes == 14
	    and any(.findings[]; (.code | test("inject"))
	        and .severity == (if $c == 1 then "fail" else "warn" end))
	    and any(.starttls.caps_after[]; . == "AUTH PLAIN")
	    and .verification.status == "ok"' --argjson c "$status"
	starttls "1 5" 4000 --proto smtp "127.0.0.1:$PORT"
	one_error tls-starttls '[a-z-]+' 'plaintext'
}

@test "injection-vulnerable: the pipelined command answered inside TLS: --check-injection exits 1" {
	scripted injection-vulnerable
	starttls 1 4000 --json --check-injection --proto smtp "127.0.0.1:$PORT"
	jq_ok '.exit_code == 1 and .starttls.injection.vulnerable == true
	    and (.starttls.injection.evidence | type == "string"
	        and length > 0)
	    and .starttls.injected_bytes == 0
	    and any(.findings[]; .code | test("injection"))'
	tk_file_has "$BATS_TEST_TMPDIR/scripted-injection-vulnerable.err" \
	    'C\(pipelined\): '
	starttls 1 4000 --check-injection --proto smtp "127.0.0.1:$PORT"
	one_error tls-starttls '[a-z-]+' 'CVE-2011-0411|injection'
}

@test "injection answer with a backslash and an ESC: the finding quotes it escaped once in text, as \\u001b in JSON" {
	local esc=$'\x1b'

	scripted injection-odd
	starttls 1 4000 --check-injection --proto smtp "127.0.0.1:$PORT"
	[[ $output == *"('250 a\\\\b \\x1B[2J ok'): CVE-2011-0411"* ]] ||
	    fail "text: $output"
	starttls 1 4000 --json --check-injection --proto smtp "127.0.0.1:$PORT"
	jq_ok '.findings[] | select(.code == "starttls-command-injection")
	    | .message | contains($want)' \
	    --arg want "('250 a\\b ${esc}[2J ok')"
}

@test "injection-vulnerable with --insecure and a failing chain: FAIL names the injection, not the chain" {
	scripted injection-vulnerable
	# --at: the chain has expired then, which --insecure does not hold
	# against the server; the injection is held (-q: no --insecure note)
	starttls 1 4000 -q --insecure --at 2200-01-01 --check-injection \
	    --proto smtp "127.0.0.1:$PORT"
	[[ ${lines[0]} == "FAIL    127.0.0.1:$PORT: starttls-command-injection: "* ]] ||
	    fail "the verdict line: ${lines[0]}"
	one_error tls-starttls starttls 'CVE-2011-0411'
}
