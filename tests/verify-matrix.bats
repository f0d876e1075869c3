#!/usr/bin/env bats
#
# The verification matrix: every chain in testdata/matrix/manifest (made by
# testdata/gen-matrix.sh) is checked with tls-check-cert --file and, where
# the manifest says so, served by tls-echo-server and checked over TLS by
# every client tool: tls-check-cert, tls-echo-client, tls-alpn-probe, and
# tls-starttls against the server's SMTP STARTTLS.  A bad chain must never
# be OK and must carry its named reason; the positive controls must be OK,
# so the test fails both ways.  Each run prints "N chains tried, 0 false
# OKs".  The matrix is a public-web PKI: its chains are judged under
# --profile web; under rfc5280 every case whose reasons are RFC rules
# (not BR-only ones, lib/codes.c) must fail just the same.

load lib

setup() {
	tk_setup
	MX=$TESTDATA/matrix
	MANIFEST=$MX/manifest
	[[ -s $MANIFEST ]] || fail "$MANIFEST is missing (testdata/gen-matrix.sh)"
}

# der_hex CERT: the DER of a PEM certificate as one line of hex.
der_hex() {
	openssl x509 -in "$1" -outform DER | od -An -tx1 -v | tr -d ' \n'
}

# cases: the manifest's case lines, comments dropped.
cases() {
	grep -v -e '^#' -e '^[[:space:]]*$' "$MANIFEST"
}

# judge NAME WHY WANT CODES RC JSON: compares one tls-check-cert --json result
# with the manifest.  Prints one line per problem, tagged FALSE-OK,
# FALSE-FAIL or WRONG; prints nothing when the result is right.
judge() {
	local name="$1 ($2)" want=$3 codes=$4 rc=$5 json=$6 verdict code have

	verdict=$(jq -r '.verdict' <<<"$json" 2>/dev/null) || verdict=
	if [[ $want == 0 ]]; then
		if [[ $verdict != ok || $rc != 0 ]]; then
			echo "FALSE-FAIL $name: verdict '$verdict', exit $rc:" \
			    "$(jq -c '[.findings[] | .code]' <<<"$json" 2>&1)"
		elif ! jq -e 'all(.findings[]; .severity == "info") and
		    .verification.status == "ok"' <<<"$json" >/dev/null; then
			echo "WRONG $name: OK with findings above info:" \
			    "$(jq -c '.findings' <<<"$json")"
		fi
		return 0
	fi
	if [[ $verdict == ok || $rc == 0 ]]; then
		echo "FALSE-OK $name: verdict '$verdict', exit $rc"
		return 0
	fi
	if [[ $rc != "$want" ]]; then
		echo "WRONG $name: exit $rc, not $want"
	fi
	if ! jq -e ".exit_code == $rc and .reason != null" <<<"$json" \
	    >/dev/null 2>&1; then
		echo "WRONG $name: exit_code or reason: $json"
	fi
	# the headline reason is one of the expected codes
	code=$(jq -r '.reason' <<<"$json" 2>/dev/null) || code=
	if [[ ,$codes, != *,"$code",* ]]; then
		echo "WRONG $name: the reason is '$code', not one of $codes"
	fi
	have=$(jq -r '[.findings[] | .code] | join(",")' <<<"$json")
	for code in ${codes//,/ }; do
		if [[ ,$have, != *,"$code",* ]]; then
			echo "WRONG $name: no '$code' among the findings ($have)"
		fi
	done
}

# report MODE TRIED PROBLEMS...: the summary line (on the TAP stream) and
# the verdict of the test.
report() {
	local mode=$1 tried=$2 falseok falsefail wrong

	shift 2
	falseok=$(printf '%s\n' "$@" | grep -c '^FALSE-OK ' || true)
	falsefail=$(printf '%s\n' "$@" | grep -c '^FALSE-FAIL ' || true)
	wrong=$(printf '%s\n' "$@" | grep -c '^WRONG ' || true)
	echo "# $mode: $tried chains tried, $falseok false OKs," \
	    "$wrong wrong reasons, $falsefail failed controls" >&3
	((tried > 0)) || fail "no case was tried"
	if (($# > 0)); then
		fail "$(printf '%s\n' "$@")"
	fi
}

@test "manifest: every kind of bad chain in issue 7 item 4 and the controls" {
	local want=(ok-dns ok-ip ok-wildcard ok-nc ok-pathlen ok-idn
	    expired-leaf notyet-leaf expired-int notyet-int expired-root
	    notyet-root nc-dns-permitted nc-dns-excluded nc-ip-permitted
	    nc-ip-excluded pathlen-exceeded issuer-no-bc issuer-ca-false
	    eku-client eku-codesign wc-tld wc-inner wc-apex wc-two-labels
	    idn-lookalike ip-in-dns-san ip-san-as-name cn-only cn-not-in-san
	    nul-san nul-cn sha1-leaf md5-leaf rsa1024-leaf) n missing=()
	local names

	names=$(cases | awk '{ print $1 }')
	for n in "${want[@]}"; do
		grep -qx -- "$n" <<<"$names" || missing+=("$n")
	done
	((${#missing[@]} == 0)) || fail "cases missing: ${missing[*]}"
	# names are unique; every line has all its fields
	assert_equal "$(sort <<<"$names" | uniq -d)" ""
	# shellcheck disable=SC2016 # awk's own $0
	run -0 awk 'NF < 9 { print FILENAME ":" FNR ": " $0; bad = 1 }
	    END { exit bad }' <(cases)
	# the NUL cases really hold "example.com\0.evil.com" (in the SAN
	# and CN of one, the CN of the other), and certificates still parse
	for n in nul-san nul-cn; do
		run -0 der_hex "$MX/$n.crt"
		assert_output --partial 6578616d706c652e636f6d002e6576696c2e636f6d
	done
}

@test "gen-matrix.sh --check: every file parses, keys match, controls verify" {
	run -0 timeout 120 "$TK_SRC/testdata/gen-matrix.sh" --check
}

@test "--file: no bad chain is OK, each names its reason, controls are OK" {
	local name chain key ca host want codes live why rc json tried=0
	local -a problems=()

	while read -r -u 4 name chain key ca host want codes live why; do
		tried=$((tried + 1))
		rc=0
		json=$(timeout 60 "$TK_CHECK" --file "$MX/$chain" --profile web \
		    --ca "$MX/$ca" --hostname "$host" --json \
		    </dev/null 2>/dev/null) ||
		    rc=$?
		mapfile -t -O "${#problems[@]}" problems < <(judge "$name" \
		    "$why" "$want" "$codes" "$rc" "$json")
	done 4< <(cases)
	report "--file" "$tried" "${problems[@]}"
}

# br_only CODES: every code of the comma list is a BR rule (lib/codes.c)
br_only() {
	local code

	for code in ${1//,/ }; do
		grep -q "{\"$code\", TK_GROUP_[A-Z]*, [A-Z]*, BR," \
		    "$TK_SRC/lib/codes.c" || return 1
	done
}

@test "--file --profile rfc5280: cases that break RFC rules still fail" {
	local name chain key ca host want codes live why rc json tried=0
	local -a problems=()

	while read -r -u 4 name chain key ca host want codes live why; do
		[[ $want == 0 ]] || ! br_only "$codes" || continue
		# a leaf without SANs: RFC 6125 6.4.4 lets its CN match under
		# rfc5280 (profiles.bats tests that)
		[[ ,$codes, != *,no-san,* ]] || continue
		tried=$((tried + 1))
		rc=0
		json=$(timeout 60 "$TK_CHECK" --file "$MX/$chain" \
		    --profile rfc5280 --ca "$MX/$ca" --hostname "$host" --json \
		    </dev/null 2>/dev/null) ||
		    rc=$?
		mapfile -t -O "${#problems[@]}" problems < <(judge "$name" \
		    "$why" "$want" "$codes" "$rc" "$json")
	done 4< <(cases)
	report "--file rfc5280" "$tried" "${problems[@]}"
}

@test "--file --profile rfc5280: BR-only cases pass with their codes as info" {
	local name chain key ca host want codes live why json tried=0 code
	local -a problems=()

	while read -r -u 4 name chain key ca host want codes live why; do
		[[ $want != 0 ]] && br_only "$codes" || continue
		tried=$((tried + 1))
		json=$(timeout 60 "$TK_CHECK" --file "$MX/$chain" \
		    --profile rfc5280 --ca "$MX/$ca" --hostname "$host" --json \
		    </dev/null 2>/dev/null) || true
		for code in ${codes//,/ }; do
			jq -e --arg c "$code" 'any(.findings[]; .code == $c and
			    .severity == "info" and .demoted == "profile")' \
			    <<<"$json" >/dev/null ||
			    problems+=("WRONG $name: $code is not info: $json")
		done
	done 4< <(cases)
	report "--file rfc5280 BR-only" "$tried" "${problems[@]}"
}

# asan_build: the tools link AddressSanitizer.
asan_build() {
	nm -D "$TK_BUILD/tools/tls-check-cert" 2>/dev/null | grep -q ' __asan_init'
}

# live_tool TOOL PORT CA HOST: one client tool's JSON verdict of the server
# at PORT (tls-starttls speaks SMTP to the STARTTLS server at PORT).
live_tool() {
	local tool=$1 port=$2 ca=$3 host=$4
	local -a args=(--profile web --ca "$ca" --hostname "$host" --json -t 10)

	case $tool in
	tls-check-cert) args+=("127.0.0.1:$port") ;;
	tls-echo-client) args+=(-m hi "127.0.0.1:$port") ;;
	tls-alpn-probe) args+=("127.0.0.1:$port") ;;
	tls-starttls) args+=(--proto smtp "127.0.0.1:$port") ;;
	esac
	timeout 60 "$TK_BUILD/tools/$tool" "${args[@]}" </dev/null 2>/dev/null
}

@test "live: served by tls-echo-server, the same verdicts in every client tool" {
	local name chain key ca host want codes live why rc json tried=0 n
	local tool port
	local -a problems=() tools

	while read -r -u 4 name chain key ca host want codes live why; do
		[[ $live == yes ]] || continue
		tried=$((tried + 1))
		tk_serve echo "$name" "$MX/$chain" "$MX/$key"
		port=$PORT
		tk_serve echo "$name-smtp" "$MX/$chain" "$MX/$key" --starttls smtp
		n=$(grep -c -- '-----BEGIN CERTIFICATE-----' "$MX/$chain")
		tools=(tls-check-cert tls-echo-client tls-alpn-probe
		    tls-starttls)
		if asan_build; then
			# sanitizers: tls-check-cert and one other tool per
			# case, in turn, so every tool still sees a share
			tools=(tls-check-cert "${tools[1 + tried % 3]}")
		fi
		for tool in "${tools[@]}"; do
			rc=0
			if [[ $tool == tls-starttls ]]; then
				json=$(live_tool "$tool" "$PORT" "$MX/$ca" "$host") ||
				    rc=$?
			else
				json=$(live_tool "$tool" "$port" "$MX/$ca" "$host") ||
				    rc=$?
			fi
			if ! jq -e ".tls.version != null and
			    (.chain | length) == $n" <<<"$json" >/dev/null 2>&1
			then
				problems+=("WRONG $name ($tool): no handshake or" \
				    "not the served chain: $json")
				continue
			fi
			mapfile -t -O "${#problems[@]}" problems < <(judge \
			    "$name [$tool]" "$why" "$want" "$codes" "$rc" "$json")
		done
		tk_stop_servers
	done 4< <(cases)
	report "live, 4 tools" "$tried" "${problems[@]}"
}

@test "--at: validity bounds are inclusive at both ends, one second matters" {
	# RFC 5280 4.1.2.5: the certificate is valid from notBefore through
	# notAfter, both included (the ok chain: 2020-01-01..2099-12-31)
	local args=(--file "$MX/ok-chain.pem" --ca "$MX/root.crt"
	    --hostname www.example.com --json --profile web)

	run -0 --separate-stderr "$TK_CHECK" "${args[@]}" --at 2020-01-01T00:00:00Z
	run -1 --separate-stderr "$TK_CHECK" "${args[@]}" --at 2019-12-31T23:59:59Z
	jq -e 'any(.findings[]; .code == "not-yet-valid")' <<<"$output"
	# the last second is still valid (a warning that it expires soon)
	run -5 --separate-stderr "$TK_CHECK" "${args[@]}" --at 2099-12-31T23:59:59Z
	jq -e '.verdict == "warning" and
	    all(.findings[]; .code != "expired")' <<<"$output"
	run -1 --separate-stderr "$TK_CHECK" "${args[@]}" --at 2100-01-01T00:00:00Z
	jq -e 'any(.findings[]; .code == "expired")' <<<"$output"
}

@test "text output: a bad chain's first line is FAIL with its reason" {
	# the human output agrees with the JSON (one case per kind of reason)
	run -1 --separate-stderr "$TK_CHECK" --file "$MX/nul-san-chain.pem" \
	    --ca "$MX/root.crt" --hostname example.com
	assert_line -n 0 --regexp '^FAIL +.*nul-san-chain\.pem: (name-mismatch|bad-san): '
	# the NUL byte is shown escaped, never written raw
	# shellcheck disable=SC2016 # expanded by the inner bash
	run -0 bash -c '"$1" --file "$2" --ca "$3" --hostname example.com \
	    2>/dev/null |
	    LC_ALL=C tr -dc "\\000" | wc -c' - "$TK_CHECK" \
	    "$MX/nul-san-chain.pem" "$MX/root.crt"
	assert_output 0
	run -1 --separate-stderr "$TK_CHECK" --file "$MX/expired-int-chain.pem" \
	    --ca "$MX/root.crt" --hostname www.example.com
	assert_line -n 0 --regexp '^FAIL +.*: expired: '
}

@test "the judge itself: a false OK, a wrong reason and a failed control are caught" {
	local ok='{"verdict":"ok","exit_code":0,"reason":null,"findings":[],"verification":{"status":"ok"}}'
	local bad='{"verdict":"fail","exit_code":1,"reason":"expired","findings":[{"code":"expired","severity":"fail"}]}'

	run -0 judge x why 1 expired 0 "$ok"
	assert_output --regexp '^FALSE-OK x'
	run -0 judge x why 1 name-mismatch 1 "$bad"
	assert_line --regexp "^WRONG x .*the reason is 'expired'"
	assert_line --regexp "^WRONG x .*no 'name-mismatch'"
	run -0 judge x why 0 - 1 "$bad"
	assert_output --regexp '^FALSE-FAIL x'
	run -0 judge x why 1 expired 1 "$bad"
	assert_output ''
	run -0 judge x why 0 - 0 "$ok"
	assert_output ''
}

@test "GnuTLS's second opinion: a refusal fails the check unless it is a known GnuTLS error, which is named" {
	local args=(--ca "$MX/root.crt" --hostname www.example.com --json)

	# --ignore cannot wave a bad signature through: GnuTLS refuses the
	# path chainval would accept, and that fails
	run -1 --separate-stderr "$TK_CHECK" "${args[@]}" --ignore bad-signature \
	    --file "$MX/bad-sig-leaf-chain.pem"
	jq -e '.reason == "engine-disagreement" and
	    any(.findings[]; .code == "bad-signature" and .severity == "info")' \
	    <<<"$output"
	# known GnuTLS errors (docs/verification.md): the chain passes and
	# the finding says which
	run -0 --separate-stderr "$TK_CHECK" "${args[@]}" \
	    --file "$MX/ok-policy-chain.pem"
	jq -e 'any(.findings[]; .code == "gnutls-differs" and
	    (.message | contains("policy constraint")))' <<<"$output"
	run -0 --separate-stderr "$TK_CHECK" "${args[@]}" --profile web \
	    --file "$MX/ok-reencoded-chain.pem"
	jq -e 'any(.findings[]; .code == "gnutls-differs" and
	    (.message | contains("byte for byte")))' <<<"$output"
	# an ordinary good chain: GnuTLS agrees, nothing to say
	run -0 --separate-stderr "$TK_CHECK" "${args[@]}" --file "$MX/ok-chain.pem"
	jq -e 'all(.findings[]; .code != "gnutls-differs")' <<<"$output"
}
