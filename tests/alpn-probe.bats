#!/usr/bin/env bats
#
# tls-alpn-probe end to end against real ALPN servers: nginx (listen ...
# ssl http2), openssl s_server -alpn, gnutls-serv --alpn with and without
# --alpn-fatal, tlskit's own tls-echo-server with and without
# --alpn-optional, and servers with no ALPN at all.  Selection, refusal
# (alert 120, no_application_protocol), "ignored", --each, --order,
# --expect, the JSON of every run (parsed by jq), and bad input (exit 2,
# one stderr line, no network I/O: checked under strace against a closed
# port).  Runs the built tools from $TK_BUILD (default: build/ next to
# tests/).

# SC2016: the jq filters name jq variables ($l, $p, ...) bound by --arg.
# SC2154: $stderr is set by bats' run --separate-stderr.
# shellcheck disable=SC2016,SC2154

load lib

# --- helpers local to this file ---------------------------------------

# probe_text EXIT ARGS...: the text run; output in $output, $stderr.
probe_text() {
	local want=$1

	shift
	run -"$want" --separate-stderr tk_probe "$@"
}

# probe_json EXIT ARGS...: the same with --json: exactly one line on
# stdout, one JSON object from tls-alpn-probe whose exit_code is EXIT.
# Every JSON run also checks that an error never goes with exit_code 0
# and that no probe is left "pending".
probe_json() {
	local want=$1

	shift
	run -"$want" --separate-stderr tk_probe --json "$@"
	assert_equal "$(grep -c . <<<"$output")" 1
	jq_ok "type == \"object\" and .tool == \"tls-alpn-probe\"
	    and .exit_code == $want"
	jq_ok '.error == null or .exit_code != 0'
	jq_ok '[.probe, (.each // [])[] | select(. != null) | .outcome] |
	    all(. != "pending")'
}

# jq_ok FILTER [jq options...]: the JSON in $output satisfies FILTER.
jq_ok() {
	local filter=$1

	shift
	if ! jq -e "$@" "$filter" >/dev/null <<<"$output"; then
		fail "JSON does not satisfy: $filter
$output"
	fi
}

# no_stderr: the run said nothing on stderr.
no_stderr() {
	assert_equal "$stderr" ""
}

# one_error STEP REGEX: exactly one stderr line, naming the target
# localhost:$PORT and STEP, whose reason matches REGEX.
one_error() {
	assert_equal "$(grep -c . <<<"$stderr")" 1
	[[ $stderr =~ ^tls-alpn-probe:\ localhost:$PORT:\ $1:\ .*$2 ]] ||
	    fail "stderr is not '$1: $2' for localhost:$PORT: $stderr"
}

# The alert as the JSON gives it: no_application_protocol (RFC 8446 name
# of alert 120) in whatever case and prefix.
NO_APP='ascii_downcase | test("no_application_protocol$")'

# selects LIST PROTO: offering LIST in one handshake, the server selects
# PROTO (text and JSON, exit 0).
selects() {
	probe_text 0 --alpn "$1" "localhost:$PORT"
	assert_output "offered $1: selected $2"
	no_stderr
	probe_json 0 --alpn "$1" "localhost:$PORT"
	jq_ok '.probe.offered == ($l | split(",")) and
	    .probe.outcome == "selected" and .probe.selected == $p and
	    .probe.alert == null and .probe.error == null and
	    .tls.alpn == $p and .verification.status == "ok" and
	    .error == null and .each == null and .order == null and
	    .expect == null' --arg l "$1" --arg p "$2"
}

# refuses LIST: the server ends the handshake with alert 120 when offered
# LIST (exit 4, one stderr line).
refuses() {
	probe_text 4 --alpn "$1" "localhost:$PORT"
	assert_output "offered $1: refused (alert no_application_protocol)"
	one_error handshake 'no ALPN protocol in common'
	probe_json 4 --alpn "$1" "localhost:$PORT"
	jq_ok ".probe.offered == (\$l | split(\",\")) and
	    .probe.outcome == \"refused\" and .probe.selected == null and
	    (.probe.alert | $NO_APP) and .tls == null and
	    .error.class == \"tls\" and .error.step == \"handshake\"" \
	    --arg l "$1"
}

# ignores LIST: the handshake succeeds with no ALPN in the server's answer
# (exit 0).
ignores() {
	probe_text 0 --alpn "$1" "localhost:$PORT"
	assert_output "offered $1: ignored (no ALPN in the server's answer)"
	no_stderr
	probe_json 0 --alpn "$1" "localhost:$PORT"
	jq_ok '.probe.offered == ($l | split(",")) and
	    .probe.outcome == "ignored" and .probe.selected == null and
	    .probe.alert == null and .probe.error == null and
	    .tls.alpn == null and .tls.version != null and
	    .verification.status == "ok" and .error == null' --arg l "$1"
}

# order_is LIST MODE PREF-TEXT PREF-JSON: --order over LIST; JSON order
# {mode, preference} and the accepted list is LIST; then the text run (in
# $output after it) has the order line.
order_is() {
	probe_json 0 --alpn "$1" --order "localhost:$PORT"
	jq_ok '.order.mode == $m and .order.preference == $p and
	    (.order.accepted | sort) == ($l | split(",") | sort) and
	    all(.each[]; .result == "accepted")' \
	    --arg l "$1" --arg m "$2" --argjson p "$4"
	probe_text 0 --alpn "$1" --order "localhost:$PORT"
	assert_line "order: $3"
	no_stderr
}

# expect_none EXIT: --expect none against localhost:$PORT exits EXIT.
expect_none() {
	local met=true

	[[ $1 == 0 ]] || met=false
	probe_text "$1" --expect none "localhost:$PORT"
	if [[ $1 == 0 ]]; then
		assert_line -n 1 "expect none: met"
		no_stderr
	else
		assert_line -n 1 "expect none: not met"
		one_error expect "expected ALPN 'none', the server selected h2"
	fi
	probe_json "$1" --expect none "localhost:$PORT"
	jq_ok ".expect == {protocol: \"none\", met: $met}"
}

# The 20 protocols for --each: h2 and http/1.1 among 18 that nginx does
# not take (nginx also takes http/1.0 and http/0.9: they are left out).
LIST20=spdy/1,spdy/2,spdy/3,stun.turn,stun.nat-discovery,h2c,webrtc,h2
LIST20+=,c-webrtc,ftp,imap,pop3,managesieve,coap,xmpp-client,http/1.1
LIST20+=,xmpp-server,acme-tls/1,mqtt,dot

# The IANA registry as tls-alpn-probe(1) lists it.
REGISTRY=h2,http/1.1,http/1.0,http/0.9,spdy/1,spdy/2,spdy/3,stun.turn
REGISTRY+=,stun.nat-discovery,h2c,webrtc,c-webrtc,ftp,imap,pop3
REGISTRY+=,managesieve,coap,xmpp-client,xmpp-server,acme-tls/1,mqtt,dot
REGISTRY+=,ntske/1,sunrpc,h3,smb,irc,nntp,nnsp,doq,sip/2,tds/8.0,dicom
REGISTRY+=,postgresql,radius/1.0,radius/1.1

# each_verdicts LIST ACCEPTED: the JSON of --each over LIST (in $output)
# has one entry per protocol in order, ACCEPTED (comma-separated)
# accepted and every other one refused with alert 120.
each_verdicts() {
	jq_ok "(.each | length) == (\$l | split(\",\") | length) and
	    [.each[].protocol] == (\$l | split(\",\")) and
	    all(.each[]; .offered == [.protocol] and .error == null and
		if .protocol | IN(\$a | split(\",\")[]) then
		    .result == \"accepted\" and .outcome == \"selected\" and
		    .selected == .protocol and .alert == null
		else
		    .result == \"refused\" and .outcome == \"refused\" and
		    .selected == null and (.alert | $NO_APP)
		end)" --arg l "$1" --arg a "$2"
}

# each_text LIST ACCEPTED: the text of --each over LIST (in $output) has
# one line per protocol with its verdict.
each_text() {
	local p word
	local -a names

	IFS=, read -r -a names <<<"$1"
	for p in "${names[@]}"; do
		word=refused
		[[ ,$2, == *,$p,* ]] && word=accepted
		assert_line --regexp "^  ${p//./\\.} +$word\$"
	done
	assert_equal "$(grep -c '^  ' <<<"$output")" "${#names[@]}"
}

# --- nginx ------------------------------------------------------------

@test "nginx: offered h2,http/1.1 (the default), it selects h2" {
	tk_start_nginx nginx
	probe_text 0 "localhost:$PORT"
	assert_output "offered h2,http/1.1: selected h2"
	no_stderr
	probe_json 0 "localhost:$PORT"
	jq_ok '.probe == {offered: ["h2", "http/1.1"], outcome: "selected",
	    selected: "h2", alert: null, error: null} and .tls.alpn == "h2" and
	    .verification.status == "ok" and .error == null and
	    .each == null and .order == null and .expect == null and
	    .target == $t' --arg t "localhost:$PORT"
	selects h2,http/1.1 h2
}

@test "nginx: server preference: offered http/1.1,h2, it still selects h2" {
	tk_start_nginx nginx
	selects http/1.1,h2 h2
	# it does take http/1.1 when that is all there is
	selects http/1.1 http/1.1
}

@test "nginx: --order finds server preference h2 > http/1.1" {
	tk_start_nginx nginx
	order_is h2,http/1.1 server 'server preference: h2 > http/1.1' \
	    '["h2", "http/1.1"]'
	assert_line -n 0 "offered h2,http/1.1: selected h2"
	assert_line --regexp '^  h2 +accepted$'
	assert_line --regexp '^  http/1\.1 +accepted$'
	# the same answer whichever order the client lists them in
	order_is http/1.1,h2 server 'server preference: h2 > http/1.1' \
	    '["h2", "http/1.1"]'
}

@test "nginx: an unknown protocol alone is refused with alert 120" {
	tk_start_nginx nginx
	refuses x-unknown/1
	# what the tool calls no_application_protocol is alert 120 on the wire
	run timeout 30 openssl s_client -alpn x-unknown/1 \
	    -connect "127.0.0.1:$PORT" </dev/null
	assert_output --partial 'alert number 120'
}

@test "nginx: --each over 20 protocols: exactly h2 and http/1.1 accepted, 18 refused" {
	tk_start_nginx nginx
	probe_text 0 --each --alpn "$LIST20" "localhost:$PORT"
	no_stderr
	# more than 8: no single offer, one line per protocol and the summary
	assert_equal "${#lines[@]}" 21
	each_text "$LIST20" h2,http/1.1
	assert_line -n 20 "accepted: h2, http/1.1; 18 refused"
	probe_json 0 --each --alpn "$LIST20" "localhost:$PORT"
	jq_ok '.probe == null and .order == null and .expect == null'
	each_verdicts "$LIST20" h2,http/1.1
	jq_ok '[.each[] | select(.result == "accepted")] | length == 2'
	jq_ok '[.each[] | select(.result == "refused")] | length == 18'
}

@test "nginx: --each --order over the IANA registry (no --alpn)" {
	local accepted=h2,http/1.1,http/1.0,http/0.9

	tk_start_nginx nginx
	probe_text 0 --each --order "localhost:$PORT"
	no_stderr
	assert_line "order: server preference: h2 > http/1.1 > http/1.0 > http/0.9"
	each_text "$REGISTRY" "$accepted"
	probe_json 0 --each --order "localhost:$PORT"
	# the candidates are the registry of the man page, each once
	jq_ok '([.each[].protocol] | sort) == ($l | split(",") | sort)' \
	    --arg l "$REGISTRY"
	jq_ok '.probe == null and .order.mode == "server" and
	    .order.preference == ["h2", "http/1.1", "http/1.0", "http/0.9"]'
	jq_ok "all(.each[]; .offered == [.protocol] and .error == null and
	    if .protocol | IN(\$a | split(\",\")[]) then
		.result == \"accepted\" and .selected == .protocol
	    else
		.result == \"refused\" and (.alert | $NO_APP)
	    end)" --arg a "$accepted"
}

@test "nginx: --expect h2 is met (exit 0); --alpn http/1.1 --expect h2 is not (exit 1)" {
	tk_start_nginx nginx
	probe_text 0 --expect h2 "localhost:$PORT"
	assert_output "offered h2,http/1.1: selected h2
expect h2: met"
	no_stderr
	probe_json 0 --expect h2 "localhost:$PORT"
	jq_ok '.expect == {protocol: "h2", met: true} and
	    .probe.selected == "h2" and .error == null'

	probe_text 1 --alpn http/1.1 --expect h2 "localhost:$PORT"
	assert_output "offered http/1.1: selected http/1.1
expect h2: not met"
	one_error expect "expected ALPN 'h2', the server selected http/1\.1"
	probe_json 1 --alpn http/1.1 --expect h2 "localhost:$PORT"
	jq_ok '.expect == {protocol: "h2", met: false} and
	    .probe.selected == "http/1.1" and .tls.alpn == "http/1.1"'
}

@test "--expect none: met without ALPN (exit 0), not met against nginx (exit 1)" {
	tk_start_echo plain
	expect_none 0
	tk_start_nginx nginx
	expect_none 1
}

# --- openssl s_server -alpn h2,http/1.1 -www --------------------------

@test "openssl s_server -alpn h2,http/1.1: selects by its own preference" {
	tk_start_openssl openssl -alpn h2,http/1.1
	selects h2,http/1.1 h2
	selects http/1.1,h2 h2
	selects x-other,http/1.1 http/1.1
	order_is h2,http/1.1 server 'server preference: h2 > http/1.1' \
	    '["h2", "http/1.1"]'
}

@test "openssl s_server -alpn h2,http/1.1: no overlap is refused (exit 4)" {
	tk_start_openssl openssl -alpn h2,http/1.1
	refuses x-one,x-two
}

# --- gnutls-serv --alpn=h2 --alpn=http/1.1 ----------------------------

@test "gnutls-serv without --alpn-fatal: no overlap is ignored (exit 0)" {
	tk_start_gnutls gnutls --alpn=h2 --alpn=http/1.1
	ignores x-one,x-two
	# and an overlap is still selected
	selects h2,http/1.1 h2
}

@test "gnutls-serv: client preference: http/1.1,h2 gives http/1.1; --order says so" {
	tk_start_gnutls gnutls --alpn=h2 --alpn=http/1.1
	selects http/1.1,h2 http/1.1
	order_is h2,http/1.1 client \
	    'client preference (the server takes the first protocol the client offers)' \
	    null
}

@test "gnutls-serv --alpn-fatal: no overlap is refused (exit 4)" {
	tk_start_gnutls gnutls --alpn=h2 --alpn=http/1.1 --alpn-fatal
	refuses x-one,x-two
	selects http/1.1,h2 http/1.1
}

# --- tls-echo-server --alpn h2,http/1.1 -------------------------------

@test "tls-echo-server --alpn h2,http/1.1: server preference; no overlap refused" {
	tk_start_echo echo --alpn h2,http/1.1
	selects http/1.1,h2 h2
	order_is http/1.1,h2 server 'server preference: h2 > http/1.1' \
	    '["h2", "http/1.1"]'
	refuses x-one,x-two
}

@test "tls-echo-server --alpn h2,http/1.1 --alpn-optional: no overlap is ignored" {
	tk_start_echo echo --alpn h2,http/1.1 --alpn-optional
	ignores x-one,x-two
	selects http/1.1,h2 h2
}

# --- servers without ALPN ---------------------------------------------

@test "tls-echo-server without --alpn: ignored; --each says ignored; --expect none met" {
	tk_start_echo plain
	ignores h2,http/1.1
	probe_text 0 --each --alpn h2,http/1.1,x-one "localhost:$PORT"
	no_stderr
	assert_line -n 0 "offered h2,http/1.1,x-one: ignored (no ALPN in the server's answer)"
	assert_line --regexp '^  h2 +ignored$'
	assert_line --regexp '^  http/1\.1 +ignored$'
	assert_line --regexp '^  x-one +ignored$'
	probe_json 0 --each --order --alpn h2,http/1.1 "localhost:$PORT"
	jq_ok 'all(.each[]; .result == "ignored" and .selected == null) and
	    (.each | length) == 2 and .order.mode == "undetermined"'
	expect_none 0
	probe_text 1 --expect h2 "localhost:$PORT"
	assert_line "expect h2: not met"
}

@test "openssl s_server without -alpn: ignored; --expect none met" {
	tk_start_openssl openssl
	ignores h2,http/1.1
	ignores x-one
	expect_none 0
}

# --- bad input: exit 2, one stderr line, no network --------------------

# traced ARGS...: tls-alpn-probe under strace, its socket calls in
# $BATS_TEST_TMPDIR/strace.log; strace exits with the tool's status.
# LeakSanitizer cannot run under ptrace: leak checks are off here only.
traced() {
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
	    timeout 60 strace -f -o "$BATS_TEST_TMPDIR/strace.log" \
	    -e trace=socket,connect "$TK_PROBE" --ca "$TESTDATA/ca.crt" "$@"
}

# no_inet: the strace log shows the tool ran to its end and opened no
# IPv4 or IPv6 socket.
no_inet() {
	local log=$BATS_TEST_TMPDIR/strace.log

	grep -q '+++ exited with' "$log" ||
	    fail "strace did not trace the tool: $(cat "$log")"
	if grep -E 'socket\(AF_INET6?,' "$log"; then
		fail "the tool opened a network socket"
	fi
}

# input_error REGEX: $stderr is one line, "tls-alpn-probe: ...", about the
# input (matches REGEX), not about the connection.  An error found by the
# option parser may add the usage hint "Try 'tls-alpn-probe --help'.".
input_error() {
	local first rest

	first=$(head -n 1 <<<"$stderr")
	rest=$(tail -n +2 <<<"$stderr")
	[[ -z $rest || $rest == "Try 'tls-alpn-probe --help'." ]] ||
	    fail "more than one error line on stderr: $stderr"
	[[ $first == 'tls-alpn-probe: '* ]] || fail "stderr: $stderr"
	[[ $first =~ $1 ]] || fail "stderr does not match '$1': $first"
	[[ $first != *connect* && $first != *refused* ]] ||
	    fail "stderr is about the network, not the input: $first"
}

# bad_input REGEX ARGS...: exit 2 before any network I/O, nothing on
# stdout (text or --json), one stderr line matching REGEX.
bad_input() {
	local re=$1

	shift
	run -2 --separate-stderr traced "$@"
	assert_output ''
	input_error "$re"
	no_inet
	run -2 --separate-stderr tk_probe --json "$@"
	assert_output ''
	input_error "$re"
}

# names COUNT LEN: COUNT distinct names of LEN bytes (LEN >= 3), joined
# with commas.
names() {
	local pad i out=

	printf -v pad '%*s' $(($2 - 3)) ''
	pad=${pad// /x}
	for ((i = 0; i < $1; i++)); do
		printf -v out '%s%03d%s,' "$out" "$i" "$pad"
	done
	printf '%s' "${out%,}"
}

@test "control: valid input against the closed port is a network error (exit 3)" {
	tk_closed_port
	run -3 --separate-stderr tk_probe --alpn h2 "localhost:$CLOSED_PORT"
	assert_output "offered h2: error: connect: cannot connect to 127.0.0.1:$CLOSED_PORT: Connection refused"
	[[ $stderr == *connect* ]] || fail "stderr: $stderr"
	run -3 --separate-stderr tk_probe --json --alpn h2 "localhost:$CLOSED_PORT"
	jq_ok '.exit_code == 3 and .error.class == "network" and
	    .probe.outcome == "error"'
}

@test "bad input: --alpn ''" {
	tk_closed_port
	bad_input 'empty' --alpn '' "localhost:$CLOSED_PORT"
}

@test "bad input: --alpn 'h2,' (an empty name last)" {
	tk_closed_port
	bad_input "empty protocol name in ALPN list 'h2,'" --alpn 'h2,' \
	    "localhost:$CLOSED_PORT"
	bad_input 'empty protocol name' --alpn ',h2' "localhost:$CLOSED_PORT"
	bad_input 'empty protocol name' --alpn 'h2,,x' "localhost:$CLOSED_PORT"
}

@test "bad input: a protocol name of 256 bytes" {
	tk_closed_port
	bad_input '256 bytes.*255' --alpn "$(names 1 256)" "localhost:$CLOSED_PORT"
	bad_input '256 bytes.*255' --each --alpn "h2,$(names 1 256)" \
	    "localhost:$CLOSED_PORT"
}

@test "bad input: a list over 65535 bytes (300 names of 255 bytes)" {
	local list

	list=$(names 300 255)
	assert_equal "${#list}" $((300 * 256 - 1))
	tk_closed_port
	bad_input '65535' --alpn "$list" "localhost:$CLOSED_PORT"
	bad_input '65535' --each --alpn "$list" "localhost:$CLOSED_PORT"
}

@test "bad input: a list encoded in 65536 bytes; 65535 is not refused for its length" {
	local list

	# The encoding is a 2-byte length, then each name after its 1-byte
	# length; it is the whole extension_data<0..2^16-1> of RFC 7301.
	# 255 names of 255 bytes and one of 253: 2 + 255 x 256 + 254 = 65536
	list=$(names 255 255),$(names 1 253 | sed 's/^000/zzz/')
	tk_closed_port
	bad_input '65535' --each --alpn "$list" "localhost:$CLOSED_PORT"
	# one byte less (the last name of 252 bytes): 65535
	list=$(names 255 255),$(names 1 252 | sed 's/^000/zzz/')
	run --separate-stderr tk_probe --each --alpn "$list" "localhost:$CLOSED_PORT"
	[[ $stderr != *65535* ]] ||
	    fail "a list encoded in 65535 bytes is refused for its length: $stderr"
	[[ $status != 0 ]] || fail "no error against the closed port"
}

@test "bad input: --alpn 'h 2' (a space)" {
	tk_closed_port
	bad_input 'bad character 0x20' --alpn 'h 2' "localhost:$CLOSED_PORT"
}

@test "bad input: --alpn 'hé' (non-ASCII)" {
	tk_closed_port
	bad_input 'bad character 0xc3' --alpn 'hé' "localhost:$CLOSED_PORT"
}

@test "bad input: 9 protocols in one offer without --each" {
	tk_closed_port
	bad_input 'at most 8 .*\(9 given\)' --alpn a,b,c,d,e,f,g,h,i \
	    "localhost:$CLOSED_PORT"
	# with --each they are 9 offers of one: the input is fine and the
	# closed port is what fails
	run -3 --separate-stderr tk_probe --each --alpn a,b,c,d,e,f,g,h,i \
	    "localhost:$CLOSED_PORT"
	assert_equal "$(grep -c '^  [a-i] .*error.*connect' <<<"$output")" 9
}

@test "bad input: --expect a,b" {
	tk_closed_port
	bad_input 'expect.*one protocol' --expect a,b "localhost:$CLOSED_PORT"
}

@test "bad input: target gopher://x" {
	bad_input "scheme 'gopher'" gopher://x
}

# --- -j: the per-protocol probes at once --------------------------------

# same_each SUMMARY ARGS...: --json ARGS with -j 1, -j 2 and the default
# give the same probes, order and exit code (in $want_json after it); the
# text runs too, with no "pending" and the summary line SUMMARY last.
same_each() {
	local j got first= summary=$1

	shift
	for j in 1 2 default; do
		local jopt=(-j "$j")

		[[ $j != default ]] || jopt=()
		probe_json 0 "${jopt[@]}" "$@" "localhost:$PORT"
		got=$(jq -c '[.exit_code, .probe, .each, .order,
		    .verification.status]' <<<"$output")
		[[ -n $first ]] || first=$got
		assert_equal "$got" "$first"
		probe_text 0 "${jopt[@]}" "$@" "localhost:$PORT"
		no_stderr
		refute_output --partial pending
		assert_line -n $((${#lines[@]} - 1)) "$summary"
	done
	want_json=$first
}

@test "-j 1, -j 2 and the default: --each and --order give the same results" {
	tk_start_echo echo --alpn h2,http/1.1
	same_each 'accepted: h2, http/1.1; 1 refused' \
	    --each --alpn h2,http/1.1,x-one
	# every protocol was probed: none pending, the refusal found
	tk_jqx '.[2] | map(.result) == ["accepted", "accepted", "refused"]' \
	    "$want_json"
	same_each 'accepted: http/1.1, h2; 1 refused' \
	    --order --alpn http/1.1,x-one,h2
	tk_jqx '.[3] == {mode: "server", preference: ["h2", "http/1.1"],
	    accepted: ["http/1.1", "h2"]}' "$want_json"
	probe_text 0 -j 1 --order --alpn http/1.1,x-one,h2 "localhost:$PORT"
	assert_line 'order: server preference: h2 > http/1.1'
}

# --- the chain is judged on a completed handshake -----------------------

@test "--each without --alpn: the chain is verified on the first accepted protocol" {
	# the registry's first protocols are refused: http/1.1 is accepted
	tk_start_echo echo --alpn http/1.1
	probe_json 0 --each "localhost:$PORT"
	jq_ok '.verification.status == "ok" and .tls.alpn == "http/1.1" and
	    .error == null and .probe == null and
	    ([.each[] | select(.result == "accepted") | .protocol] ==
	    ["http/1.1"])'
	probe_text 0 --each "localhost:$PORT"
	assert_line -n $((${#lines[@]} - 1)) --regexp \
	    '^accepted: http/1\.1; [0-9]+ refused$'
	# a certificate for another name fails (exit 1), even so
	tk_start_echo wrong --alpn http/1.1 \
	    --cert "$TESTDATA/wrongname-chain.pem" \
	    --key "$TESTDATA/wrongname.key"
	probe_json 1 --each "localhost:$PORT"
	jq_ok '.verification.status == "failed" and .tls.alpn == "http/1.1" and
	    .error.class == "check"'
}

@test "--each of 9 protocols all refused: no handshake completed, exit 4" {
	tk_start_echo echo --alpn h2
	probe_json 4 --each --alpn a,b,c,d,e,f,g,h,i "localhost:$PORT"
	jq_ok '.probe == null and all(.each[]; .result == "refused") and
	    .error != null'
	probe_text 4 --each --alpn a,b,c,d,e,f,g,h,i "localhost:$PORT"
	assert_line -n 9 "accepted: none; 9 refused"
	one_error handshake 'refused every protocol offered alone \(9\)'
}

# --- a refusal with another alert (Twisted on OpenSSL 3) ----------------

# tests/peers/alpn_twisted.py: pyOpenSSL answering no overlap as Twisted
# does, which OpenSSL 3 turns into alert internal_error (80).
start_twisted() {
	tk_start_server twisted "$TK_PYTHON" "$TK_PEERS/alpn_twisted.py" \
	    "$TESTDATA/localhost-rsa-chain.pem" "$TESTDATA/localhost-rsa.key" \
	    h2,http/1.1
}

@test "a server refusing with internal_error: a refusal under --each when others are accepted" {
	start_twisted
	probe_text 0 --each --alpn h2,http/1.1,x-one "localhost:$PORT"
	no_stderr
	assert_line --regexp '^  h2 +accepted$'
	assert_line --regexp '^  http/1\.1 +accepted$'
	assert_line --regexp '^  x-one +refused \(alert internal_error\)$'
	assert_line -n 4 "accepted: h2, http/1.1; 1 refused"
	probe_json 0 --each --alpn h2,http/1.1,x-one "localhost:$PORT"
	jq_ok '.each[2] == {offered: ["x-one"], outcome: "refused",
	    selected: null, alert: "internal_error", error: null,
	    protocol: "x-one", result: "refused"} and .error == null and
	    .verification.status == "ok"'
	# the alert is on the wire: what openssl s_client sees
	run timeout 30 openssl s_client -alpn x-one \
	    -connect "127.0.0.1:$PORT" </dev/null
	assert_output --partial 'alert internal error'
}

@test "a server refusing with internal_error: with nothing accepted it stays an error (exit 4)" {
	start_twisted
	probe_json 4 --each --alpn x-one,x-two "localhost:$PORT"
	jq_ok 'all(.each[]; .result == "error" and
	    .alert == "internal_error") and .error.class == "tls"'
	probe_text 4 --alpn x-one "localhost:$PORT"
	assert_output --partial "offered x-one: error: handshake: "
}
