#!/usr/bin/env bats
#
# The certificates real users bring (testdata/users/, made by
# testdata/gen-users.sh) through every client tool under each profile
# (docs/verification.md): a self-signed server.pem made by `openssl req
# -x509` (cA TRUE, no EKU) pinned by --ca, the usual EC dev certificate, an
# internal CA's leaf without EKU, a CN-only legacy leaf, and a leaf whose
# issuer name re-encodes its CA's subject.  The default profile (auto)
# judges a chain whose anchor is the user's own --ca by RFC 5280 alone, so
# these pass with the CA/Browser Forum findings as info; --profile web
# fails them; --ignore demotes named codes.  The verdict is the same in
# tls-check-cert, tls-echo-client, tls-alpn-probe and tls-starttls, and in
# tls-echo-server for client certificates.

load lib

setup() {
	tk_setup
	U=$TESTDATA/users
}

TOOLS=(tls-check-cert tls-echo-client tls-alpn-probe tls-starttls)

# serve NAME CHAIN KEY: a plain server (PORT) and an SMTP STARTTLS one
# (SMTP_PORT) with that certificate.
serve() {
	tk_serve echo "$1-smtp" "$2" "$3" --starttls smtp
	SMTP_PORT=$PORT
	tk_serve echo "$1" "$2" "$3"
}

# tool_json TOOL ARGS...: the tool's JSON verdict of the served chain;
# sets RC.  The last argument is the name to check.
tool_json() {
	local tool=$1 host=${*: -1}
	local -a args=("${@:2:$#-2}" --hostname "$host" --json -t 10)

	case $tool in
	tls-echo-client) args+=(-m hi "127.0.0.1:$PORT") ;;
	tls-starttls) args+=(--proto smtp "127.0.0.1:$SMTP_PORT") ;;
	*) args+=("127.0.0.1:$PORT") ;;
	esac
	RC=0
	JSON=$(timeout 60 "$TK_BUILD/tools/$tool" "${args[@]}" </dev/null \
	    2>/dev/null) || RC=$?
}

# every_tool WANT_RC JQ ARGS... HOST: each client tool exits WANT_RC and
# its JSON satisfies JQ.
every_tool() {
	local want=$1 filter=$2 tool
	local -a bad=()

	shift 2
	for tool in "${TOOLS[@]}"; do
		tool_json "$tool" "$@"
		if [[ $RC != "$want" ]]; then
			bad+=("$tool: exit $RC, not $want: $JSON")
		elif ! jq -e "$filter" <<<"$JSON" >/dev/null 2>&1; then
			bad+=("$tool: JSON does not satisfy $filter: $JSON")
		fi
	done
	((${#bad[@]} == 0)) || fail "$(printf '%s\n' "${bad[@]}")"
}

info() {
	printf 'any(.findings[]; .code == "%s" and .severity == "info" and .demoted == "%s")' "$1" "$2"
}

failing() {
	printf 'any(.findings[]; .code == "%s" and .severity == "fail")' "$1"
}

@test "seed server.pem (openssl req -x509: cA TRUE, no EKU) pinned by --ca: OK under auto in every tool" {
	serve seed "$U/seed.pem" "$U/seed.pem"
	every_tool 0 '.verdict == "ok" and .profile == "rfc5280" and
	    '"$(info leaf-is-ca profile)"' and '"$(info eku-missing profile)"' and
	    any(.findings[]; .code == "pinned-leaf" and .severity == "info")' \
	    --ca "$U/seed.crt" example.com
	every_tool 0 '.profile == "rfc5280"' --profile rfc5280 \
	    --ca "$U/seed.crt" example.com
}

@test "seed server.pem under --profile web: leaf-is-ca fails in every tool" {
	serve seed "$U/seed.pem" "$U/seed.pem"
	every_tool 1 '.verdict == "fail" and .profile == "web" and
	    '"$(failing leaf-is-ca)"' and '"$(failing eku-missing)" \
	    --profile web --ca "$U/seed.crt" example.com
}

@test "--ignore demotes the named codes to info in every tool" {
	serve seed "$U/seed.pem" "$U/seed.pem"
	every_tool 0 '.verdict == "ok" and '"$(info leaf-is-ca ignore)"' and
	    '"$(info eku-missing ignore)" --profile web \
	    --ignore leaf-is-ca,ca-as-leaf --ignore eku-missing \
	    --ca "$U/seed.crt" example.com
	# ignoring one of them is not enough
	every_tool 1 "$(failing eku-missing)" --profile web \
	    --ignore leaf-is-ca,ca-as-leaf --ca "$U/seed.crt" example.com
}

@test "--ignore: an unknown code is a usage error, exit 2, before any I/O, in every tool" {
	local tool

	for tool in "${TOOLS[@]}"; do
		run -2 --separate-stderr "$TK_BUILD/tools/$tool" \
		    --ignore expired,no-such-code 127.0.0.1:9
		[[ $stderr == *"unknown finding code 'no-such-code'"* ]] ||
		    fail "$tool: $stderr"
	done
	run -2 --separate-stderr "$TK_BUILD/tools/tls-echo-server" \
	    --ignore no-such-code --cert "$U/seed.pem" --listen 127.0.0.1:0
	[[ $stderr == *"unknown finding code 'no-such-code'"* ]] ||
	    fail "tls-echo-server: $stderr"
	run -2 --separate-stderr "$TK_CHECK" --profile nope --file "$U/seed.crt"
	[[ $stderr == *"--profile takes one of auto, web, rfc5280"* ]] ||
	    fail "$stderr"
}

@test "the usual EC dev certificate (cA TRUE, no EKU) for localhost: OK under auto" {
	serve dev "$U/dev-localhost.crt" "$U/dev-localhost.key"
	every_tool 0 '.verdict == "ok" and '"$(info leaf-is-ca profile)" \
	    --ca "$U/dev-localhost.crt" localhost
	every_tool 1 "$(failing leaf-is-ca)" --profile web \
	    --ca "$U/dev-localhost.crt" localhost
}

@test "an internal CA's leaf without EKU: OK under auto, eku-missing under web" {
	serve internal "$U/internal-leaf-chain.pem" "$U/internal-leaf.key"
	every_tool 0 '.verdict == "ok" and '"$(info eku-missing profile)" \
	    --ca "$U/internal-ca.crt" localhost
	every_tool 1 "$(failing eku-missing)" --profile web \
	    --ca "$U/internal-ca.crt" localhost
}

@test "a CN-only legacy leaf: its CN matches under rfc5280 (RFC 6125 6.4.4), never under web" {
	serve cnonly "$U/cn-only-chain.pem" "$U/cn-only.key"
	every_tool 0 '.verdict == "ok" and
	    any(.findings[]; .code == "name-from-cn" and .severity == "info") and
	    '"$(info no-san profile)" --ca "$U/internal-ca.crt" localhost
	every_tool 1 "$(failing name-mismatch) and $(failing no-san)" \
	    --profile web --ca "$U/internal-ca.crt" localhost
	# another name never matches the CN; an IP address never does
	every_tool 1 "$(failing name-mismatch)" --ca "$U/internal-ca.crt" \
	    other.example
	every_tool 1 "$(failing name-mismatch)" --ca "$U/internal-ca.crt" \
	    127.0.0.1
}

@test "a leaf whose issuer re-encodes its CA's subject (UTF8String, other case) chains (RFC 5280 7.1)" {
	serve reenc "$U/reencoded-issuer-chain.pem" "$U/reencoded-issuer.key"
	every_tool 0 '.verdict == "ok"' --ca "$U/reencoded-ca.crt" localhost
	every_tool 0 '.verdict == "ok" and .profile == "web"' --profile web \
	    --ca "$U/reencoded-ca.crt" localhost
	run -0 --separate-stderr "$TK_CHECK" --file "$U/reencoded-issuer-chain.pem" \
	    --ca "$U/reencoded-ca.crt" --hostname localhost --json
}

@test "--file: the same verdicts without a server, and the profile in text and JSON" {
	run -0 --separate-stderr "$TK_CHECK" --file "$U/seed.crt" \
	    --ca "$U/seed.crt" --hostname example.com
	assert_line --regexp '^  profile +rfc5280 '
	assert_line --regexp '^  info +pinned-leaf: '
	assert_line --regexp '^  info +leaf-is-ca: .*\[BR rule: info under the rfc5280 profile\]$'
	run -1 --separate-stderr "$TK_CHECK" --file "$U/seed.crt" --profile web \
	    --ca "$U/seed.crt" --hostname example.com
	assert_line -n 0 --regexp '^FAIL +.*seed\.crt: leaf-is-ca: '
	assert_line --regexp '^  profile +web '
	run -1 --separate-stderr "$TK_CHECK" --file "$U/seed.crt" --profile web \
	    --ca "$U/seed.crt" --hostname example.com --json
	jq -e '.verification.profile == "web" and
	    all(.verification.reasons[]; has("severity") and has("demoted"))' \
	    <<<"$output"
}

@test "auto: anchors from SSL_CERT_FILE stand for the system store (web); --ca beside --system-trust is the user's (rfc5280)" {
	run -1 --separate-stderr env SSL_CERT_FILE="$U/seed.crt" "$TK_CHECK" \
	    --file "$U/seed.crt" --hostname example.com --json
	jq -e '.profile == "web" and '"$(failing leaf-is-ca)" <<<"$output"
	run -0 --separate-stderr "$TK_CHECK" --system-trust --ca "$U/seed.crt" \
	    --file "$U/seed.crt" --hostname example.com --json
	jq -e '.profile == "rfc5280" and .verdict == "ok"' <<<"$output"
}

@test "--nagios follows the severities: OK under auto, CRITICAL under web" {
	run -0 --separate-stderr "$TK_CHECK" --nagios --file "$U/seed.crt" \
	    --ca "$U/seed.crt" --hostname example.com
	assert_output --regexp '^TLS OK '
	run -2 --separate-stderr "$TK_CHECK" --nagios --profile web \
	    --file "$U/seed.crt" --ca "$U/seed.crt" --hostname example.com
	assert_output --regexp '^TLS CRITICAL .*leaf-is-ca'
}

@test "tls-echo-server: client certificates judged by the same engine (clientAuth)" {
	local args=(--ca "$U/internal-ca.crt" --require-client-cert)

	# the internal leaf has no EKU: a BR finding, info for the server's
	# own --ca; under --profile web the server refuses it
	tk_start_echo srv "${args[@]}"
	run -0 --separate-stderr "$TK_BUILD/tools/tls-echo-client" \
	    --ca "$TESTDATA/ca.crt" --cert "$U/internal-leaf-chain.pem" \
	    --key "$U/internal-leaf.key" -m hi "localhost:$PORT"
	assert_output hi
	tk_stop_servers
	tk_start_echo srvweb "${args[@]}" --profile web
	run -4 --separate-stderr "$TK_BUILD/tools/tls-echo-client" \
	    --ca "$TESTDATA/ca.crt" --cert "$U/internal-leaf-chain.pem" \
	    --key "$U/internal-leaf.key" -m hi "localhost:$PORT"
	tk_stop_servers
	grep -q 'client certificate refused: eku-missing: ' "$SERVER_ERR" ||
	    fail "the server does not say why: $(cat "$SERVER_ERR")"
	# a server certificate (EKU serverAuth only) is no client certificate
	tk_start_echo srv2 --ca "$TESTDATA/ca.crt" --require-client-cert
	run -4 --separate-stderr "$TK_BUILD/tools/tls-echo-client" \
	    --ca "$TESTDATA/ca.crt" --cert "$TESTDATA/localhost-rsa-chain.pem" \
	    --key "$TESTDATA/localhost-rsa.key" -m hi "localhost:$PORT"
	tk_stop_servers
	grep -q 'client certificate refused: purpose-mismatch: ' "$SERVER_ERR" ||
	    fail "the server does not say why: $(cat "$SERVER_ERR")"
}

@test "a warning (intermediate only in the local store): exit 5 and the same verdict in every tool" {
	cat "$TESTDATA/ca.crt" "$TESTDATA/intermediate.crt" >"$BATS_TEST_TMPDIR/store.pem"
	serve leafonly "$TESTDATA/localhost-rsa.crt" "$TESTDATA/localhost-rsa.key"
	every_tool 5 '.verdict == "warning" and .reason == "incomplete-chain"' \
	    --ca "$BATS_TEST_TMPDIR/store.pem" localhost
	# named on standard error by the tools whose stdout is the data
	run -5 --separate-stderr "$TK_BUILD/tools/tls-echo-client" \
	    --ca "$BATS_TEST_TMPDIR/store.pem" -m hi "localhost:$PORT"
	assert_output hi
	[[ $stderr == *"verify: warning: incomplete-chain: "* ]] || fail "$stderr"
	run -5 --separate-stderr "$TK_BUILD/tools/tls-alpn-probe" \
	    --ca "$BATS_TEST_TMPDIR/store.pem" "localhost:$PORT"
	[[ $stderr == *"verify: warning: incomplete-chain: "* ]] || fail "$stderr"
}

@test "--insecure: the chain is still judged and reported, verdict skipped, exit 0" {
	serve seed "$U/seed.pem" "$U/seed.pem"
	run -0 --separate-stderr "$TK_BUILD/tools/tls-echo-client" --insecure \
	    --json -m hi "127.0.0.1:$PORT"
	jq -e '.verdict == "skipped" and .verification.status == "skipped" and
	    any(.findings[]; .severity == "fail")' <<<"$output"
	[[ $stderr == *"not verified (--insecure)"* ]] || fail "$stderr"
}
