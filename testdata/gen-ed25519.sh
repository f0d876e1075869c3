#!/usr/bin/env bash
# gen-ed25519.sh - (re)generate the Ed25519 localhost leaf (RFC 8410) under
# the committed intermediate CA, for tls-scan's certificate probes
# (tests/scanhs.bats): a server holding RSA, ECDSA and Ed25519 chains.
#
#   testdata/gen-ed25519.sh          make localhost-ed25519.{key,crt} and
#                                    localhost-ed25519-chain.pem (new key)
#   testdata/gen-ed25519.sh --check  only check the committed files
#
# As gen.sh: certtool, TZ=UTC, the "long" validity (2020-01-01 00:00:00 to
# 2099-12-31 23:59:59), SANs localhost, 127.0.0.1, ::1; serial 1003 is
# example-rsa's in gen.sh, so this one is 1101.
set -euo pipefail
export TZ=UTC
cd "$(dirname "$0")"

# the PEM block alone of certtool's output
pem() {
	sed -n '/BEGIN PUBLIC KEY/,/END PUBLIC KEY/p'
}

check() {
	certtool -i --infile localhost-ed25519.crt --no-text >/dev/null
	certtool -k --infile localhost-ed25519.key --no-text >/dev/null
	certtool -i --infile localhost-ed25519.crt | grep -q 'EdDSA (Ed25519)' ||
	    { echo "gen-ed25519.sh: not an Ed25519 key" >&2; exit 1; }
	[[ $(certtool --pubkey-info --infile localhost-ed25519.crt | pem) == \
	    "$(certtool --pubkey-info --load-privkey localhost-ed25519.key |
	    pem)" ]] ||
	    { echo "gen-ed25519.sh: key does not match" >&2; exit 1; }
	[[ $(grep -c 'BEGIN CERTIFICATE' localhost-ed25519-chain.pem) == 2 ]] ||
	    { echo "gen-ed25519.sh: chain must hold 2 certificates" >&2; exit 1; }
	certtool --verify --load-ca-certificate ca.crt \
	    --infile localhost-ed25519-chain.pem >/dev/null 2>&1 ||
	    { echo "gen-ed25519.sh: chain does not verify" >&2; exit 1; }
}

if [[ ${1:-} == --check ]]; then
	check
	echo "gen-ed25519.sh: ok"
	exit 0
fi

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cat >"$T/tmpl" <<'TMPL'
cn = "localhost"
serial = 1101
activation_date = "2020-01-01 00:00:00"
expiration_date = "2099-12-31 23:59:59"
dns_name = "localhost"
ip_address = "127.0.0.1"
ip_address = "::1"
tls_www_server
signing_key
TMPL
certtool --generate-privkey --key-type ed25519 --no-text \
    --outfile "$T/localhost-ed25519.key" 2>/dev/null
certtool --generate-certificate --hash SHA256 --no-text \
    --load-privkey "$T/localhost-ed25519.key" --template "$T/tmpl" \
    --load-ca-certificate intermediate.crt \
    --load-ca-privkey intermediate.key \
    --outfile "$T/localhost-ed25519.crt" 2>/dev/null
cat "$T/localhost-ed25519.crt" intermediate.crt \
    >"$T/localhost-ed25519-chain.pem"
cp "$T/localhost-ed25519.key" "$T/localhost-ed25519.crt" \
    "$T/localhost-ed25519-chain.pem" .
check
echo "gen-ed25519.sh: made localhost-ed25519.{key,crt} and its chain"
