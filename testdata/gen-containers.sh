#!/usr/bin/env bash
# gen-containers.sh - (re)make testdata/containers/: the committed
# localhost-rsa chain packed the ways users receive chains, with openssl.
#
#   localhost-rsa-chain.p7b      PEM PKCS#7 (certs only), leaf then intermediate
#   localhost-rsa-chain.p7c      the same as DER
#   empty.p7b                    PEM PKCS#7 with no certificate
#   localhost-rsa.p12            PKCS#12 (leaf, key, intermediate), password "tlskit"
#
# Nothing random but the PKCS#12 salt; run after gen.sh.
set -euo pipefail

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
OUT=$HERE/containers
mkdir -p "$OUT"
cd "$HERE"
openssl crl2pkcs7 -nocrl -certfile localhost-rsa-chain.pem \
    -out "$OUT/localhost-rsa-chain.p7b"
openssl crl2pkcs7 -nocrl -certfile localhost-rsa-chain.pem -outform DER \
    -out "$OUT/localhost-rsa-chain.p7c"
openssl crl2pkcs7 -nocrl -out "$OUT/empty.p7b"
openssl pkcs12 -export -in localhost-rsa-chain.pem -inkey localhost-rsa.key \
    -passout pass:tlskit -out "$OUT/localhost-rsa.p12"
