#!/usr/bin/env bash
# gen-users.sh - (re)generate testdata/users/: the certificates real users
# bring to tls-check-cert, made the way they make them, with openssl.
#
#   testdata/gen-users.sh          regenerate everything (new keys),
#                                  self-check, install into users/
#   testdata/gen-users.sh --check  only check the committed files (present,
#                                  parse, keys match, properties, verify)
#
# What is made (README.md, "Certificates real users bring", says more):
#   seed.{key,crt,pem}        openssl req -x509 with its defaults, RSA
#   dev-localhost.{key,crt}   the usual P-256 localhost dev certificate
#   internal-ca.{key,crt}     a home-made CA, and under it:
#   internal-leaf.{key,crt}, internal-leaf-chain.pem   no extKeyUsage
#   cn-only.{key,crt}, cn-only-chain.pem               CN only, no SAN
#   reencoded-ca.{key,crt}    a CA whose subject is PrintableString, and:
#   reencoded-issuer.{key,crt}, reencoded-issuer-chain.pem   a leaf whose
#                             issuer field is that name as UTF8String in
#                             other letter case (the same name, RFC 5280
#                             7.1), made by editing the DER and signing
#                             again (the der helper below)
#
# seed and dev-localhost are made with openssl's defaults on purpose (the
# system openssl.cnf, OpenSSL 3: basicConstraints critical cA TRUE, SKI,
# AKI, no keyUsage, no extKeyUsage); the check fails if the defaults gave
# something else.  openssl 3.0 `req -x509` and `x509 -req` take no start
# date (-not_before came in 3.4), so every certificate is made with -days 1
# and its validity is then set to 2020-01-01 00:00:00 .. 2099-12-31 23:59:59
# UTC by editing the DER and signing again with the same issuer key
# (redate): nothing else changes, and the files do not depend on the clock
# of the machine that made them.  Names, dates, serials (but those of seed
# and dev-localhost, random as openssl makes them) and extensions are fixed.
set -euo pipefail

export TZ=UTC
export LC_ALL=C.UTF-8

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
OUT=$HERE/users

for tool in openssl certtool; do
	command -v "$tool" >/dev/null ||
	    { echo "gen-users.sh: $tool not found" >&2; exit 1; }
done
# the der helper: the system Python, standard library only
PY=/usr/bin/python3
[[ -x $PY ]] || PY=python3

die() { echo "gen-users.sh: $*" >&2; exit 1; }

LOG=/dev/null
run() {
	if ! "$@" >>"$LOG" 2>&1; then
		echo "gen-users.sh: command failed: $*" >&2
		tail -n 20 "$LOG" >&2
		exit 1
	fi
}

# every file the script owns
FILES=(seed.key seed.crt seed.pem dev-localhost.key dev-localhost.crt
    internal-ca.key internal-ca.crt internal-leaf.key internal-leaf.crt
    internal-leaf-chain.pem cn-only.key cn-only.crt cn-only-chain.pem
    reencoded-ca.key reencoded-ca.crt reencoded-issuer.key
    reencoded-issuer.crt reencoded-issuer-chain.pem)

LOCAL_SAN='DNS:localhost,IP:127.0.0.1,IP:::1'

# der name RDN... | der field CERT issuer|subject | der resign IN OUT KEY
# EDIT...: the DER helper of gen-matrix.sh, cut down to what is used here:
#   name:   prints the hex of a Name, one RDN per argument, "K:TYPE=VALUE"
#           with K p (PrintableString) or u (UTF8String), TYPE a dotted OID
#           or c, o, cn;
#   field:  prints the hex of the issuer or subject Name of CERT, as
#           encoded;
#   resign: replaces the issuer (issuer=HEX) and/or the validity
#           (validity=NOTBEFORE:NOTAFTER, YYYYMMDDHHMMSSZ each; UTCTime up
#           to 2049, GeneralizedTime after, RFC 5280 4.1.2.5) of the
#           TBSCertificate of IN and signs it again with KEY (sha256; the signature algorithm of
#           IN is kept, so KEY must be of the kind that signed IN).
der() {
	[[ -s $T/der.py ]] || cat >"$T/der.py" <<'EOF'
import base64, subprocess, sys

def enc(tag, body):
    n = len(body)
    if n < 0x80:
        h = bytes([n])
    else:
        lb = n.to_bytes((n.bit_length() + 7) // 8, "big")
        h = bytes([0x80 | len(lb)]) + lb
    return bytes([tag]) + h + body

def tlv(b, i):
    """(start of contents, end) of the TLV at b[i]."""
    n, j = b[i + 1], i + 2
    if n & 0x80:
        k = n & 0x7F
        n, j = int.from_bytes(b[j:j + k], "big"), j + k
    return j, j + n

def items(b):
    out, i = [], 0
    while i < len(b):
        s, e = tlv(b, i)
        out.append(b[i:e])
        i = e
    return out

def body(x):
    s, e = tlv(x, 0)
    return x[s:e]

SHORT = {"c": "2.5.4.6", "o": "2.5.4.10", "cn": "2.5.4.3"}

def oid(s):
    a = [int(x) for x in SHORT.get(s, s).split(".")]
    out = bytes([40 * a[0] + a[1]])
    for v in a[2:]:
        b = [v & 0x7F]
        v >>= 7
        while v:
            b.append(0x80 | (v & 0x7F))
            v >>= 7
        out += bytes(reversed(b))
    return enc(0x06, out)

STR = {"p": 0x13, "u": 0x0C}

def name(rdns):
    out = b""
    for r in rdns:
        k, rest = r.split(":", 1)
        t, v = rest.split("=", 1)
        out += enc(0x31, enc(0x30, oid(t) + enc(STR[k], v.encode())))
    return enc(0x30, out)

def tbs_of(src):
    """the first certificate of a PEM file: [TBS items], [cert items]"""
    pem = open(src).read()
    der = base64.b64decode("".join(
        l for l in pem.split("-----END")[0].splitlines()
        if l and not l.startswith("-----")))
    cert = items(body(der))
    return items(body(cert[0])), cert

def resign(src, dst, key, edits):
    tbs, cert = tbs_of(src)
    v = 1 if tbs[0][0] == 0xA0 else 0    # tbs[v+2] is the issuer
    for ed in edits:
        what, arg = ed.split("=", 1)
        if what == "issuer":
            tbs[v + 2] = bytes.fromhex(arg)
        elif what == "validity":
            tbs[v + 3] = enc(0x30, b"".join(
                enc(0x17, t[2:].encode()) if t < "2050" else
                enc(0x18, t.encode()) for t in arg.split(":")))
        else:
            sys.exit("der resign: bad edit " + ed)
    tbsder = enc(0x30, b"".join(tbs))
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key],
                         input=tbsder, capture_output=True,
                         check=True).stdout
    out = enc(0x30, tbsder + cert[1] + enc(0x03, b"\0" + sig))
    b64 = base64.b64encode(out).decode()
    with open(dst, "w") as f:
        f.write("-----BEGIN CERTIFICATE-----\n")
        for i in range(0, len(b64), 64):
            f.write(b64[i:i + 64] + "\n")
        f.write("-----END CERTIFICATE-----\n")

cmd, args = sys.argv[1], sys.argv[2:]
if cmd == "name":
    print(name(args).hex())
elif cmd == "field":                     # CERT issuer|subject
    tbs = tbs_of(args[0])[0]
    v = 1 if tbs[0][0] == 0xA0 else 0
    print(tbs[v + (2 if args[1] == "issuer" else 4)].hex())
elif cmd == "resign":
    resign(args[0], args[1], args[2], args[3:])
else:
    sys.exit("der: bad command " + cmd)
EOF
	"$PY" "$T/der.py" "$@"
}

VALIDITY=validity=20200101000000Z:20991231235959Z

# redate CERT KEY [EDIT...]: the validity of CERT set to VALIDITY (and the
# EDITs of der resign made), signed again by KEY, its issuer's key
redate() {
	der resign "$1" "$1" "$2" "$VALIDITY" "${@:3}"
}

# leaf NAME CA SERIAL EXTENSION-LINES: a CSR with a new RSA key and
# CN=localhost, signed by CA with `openssl x509 -req` and an -extfile
leaf() {
	local name=$1 ca=$2 serial=$3
	printf '%s\n' "$4" >"$T/$name.ext"
	run openssl req -new -newkey rsa:2048 -nodes -keyout "$name.key" \
	    -subj /CN=localhost -out "$T/$name.csr"
	run openssl x509 -req -in "$T/$name.csr" -CA "$ca.crt" \
	    -CAkey "$ca.key" -set_serial "$serial" -days 1 -sha256 \
	    -extfile "$T/$name.ext" -out "$name.crt"
}

generate() {
	local x

	# 1. openssl req -x509 with every default (RSA 2048 named by hand:
	#    OpenSSL 3.0's default key would be the same)
	run openssl req -x509 -newkey rsa:2048 -nodes -keyout seed.key \
	    -out seed.crt -days 1 -subj /CN=example.com \
	    -addext "subjectAltName=DNS:example.com,DNS:www.example.com,$LOCAL_SAN"
	redate seed.crt seed.key
	cat seed.key seed.crt >seed.pem

	# 2. the usual localhost development certificate
	run openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	    -nodes -keyout dev-localhost.key -out dev-localhost.crt \
	    -days 1 -subj /CN=localhost \
	    -addext "subjectAltName=$LOCAL_SAN"
	redate dev-localhost.crt dev-localhost.key

	# 3. a home-made CA, and a leaf it signs without extKeyUsage
	run openssl req -x509 -newkey rsa:2048 -nodes -keyout internal-ca.key \
	    -out internal-ca.crt -days 1 -set_serial 1 \
	    -subj "/CN=tlskit Internal CA" \
	    -addext "basicConstraints=critical,CA:TRUE" \
	    -addext "keyUsage=critical,keyCertSign,cRLSign"
	redate internal-ca.crt internal-ca.key
	leaf internal-leaf internal-ca 0x1001 "basicConstraints = CA:FALSE
keyUsage = digitalSignature, keyEncipherment
subjectAltName = $LOCAL_SAN
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always"
	redate internal-leaf.crt internal-ca.key
	cat internal-leaf.crt internal-ca.crt >internal-leaf-chain.pem

	# 4. a legacy leaf: CN=localhost and no subjectAltName at all
	leaf cn-only internal-ca 0x1002 "basicConstraints = CA:FALSE
keyUsage = digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always"
	redate cn-only.crt internal-ca.key
	cat cn-only.crt internal-ca.crt >cn-only-chain.pem

	# 5. a CA whose subject is all PrintableString (string_mask default
	#    picks it for printable text; OpenSSL's own default is UTF8String)
	cat >"$T/reencoded-ca.cnf" <<'EOF'
[ req ]
distinguished_name = dn
string_mask = default
x509_extensions = ca
[ dn ]
[ ca ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
EOF
	run openssl req -x509 -config "$T/reencoded-ca.cnf" -newkey rsa:2048 \
	    -nodes -keyout reencoded-ca.key -out reencoded-ca.crt \
	    -days 1 -set_serial 2 \
	    -subj "/C=US/O=Internal Corp/CN=Internal Reencoded CA"
	redate reencoded-ca.crt reencoded-ca.key
	#    a leaf it signs, whose issuer field then becomes the same name as
	#    UTF8String in other letter case (countryName stays a
	#    PrintableString: X.520 allows no other), signed again by the CA
	leaf reencoded-issuer reencoded-ca 0x1003 "basicConstraints = CA:FALSE
keyUsage = digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = $LOCAL_SAN
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always"
	x=$(der name "p:c=US" "u:o=INTERNAL corp" "u:cn=internal REENCODED ca")
	redate reencoded-issuer.crt reencoded-ca.key "issuer=$x"
	cat reencoded-issuer.crt reencoded-ca.crt >reencoded-issuer-chain.pem
}

# ---------------------------------------------------------------------------
# check (in the directory to check)
# ---------------------------------------------------------------------------
ERRORS=0
bad() { echo "FAIL: $*" >&2; ERRORS=$((ERRORS + 1)); }

# ext CERT NAME: openssl's text of one extension ("" when absent)
ext() { openssl x509 -in "$1" -noout -ext "$2" 2>/dev/null || true; }
# ncerts FILE
ncerts() { grep -c -- '-----BEGIN CERTIFICATE-----' "$1" || true; }
# ossl_ok CA CERT [ARGS...]: openssl verify passes
ossl_ok() {
	local ca=$1 crt=$2
	shift 2
	openssl verify -CAfile "$ca" "$@" "$crt" >/dev/null 2>&1
}
check() {
	local f k want

	for f in "${FILES[@]}"; do
		[[ -s $f ]] || { bad "$f: missing"; continue; }
		case $f in
		*.key)
			openssl pkey -in "$f" -noout 2>/dev/null ||
			    bad "$f: key does not parse" ;;
		*)
			openssl x509 -in "$f" -noout 2>/dev/null ||
			    bad "$f: openssl cannot read the certificate"
			certtool -i --infile "$f" >/dev/null 2>&1 ||
			    bad "$f: certtool cannot read the certificate" ;;
		esac
	done
	((ERRORS == 0)) || return 0

	for f in "${FILES[@]}"; do
		case $f in
		*-chain.pem) want=2 ;;
		*.crt | seed.pem) want=1 ;;
		*) continue ;;
		esac
		[[ $(ncerts "$f") == "$want" ]] ||
		    bad "$f: not $want certificate(s)"
	done
	for k in seed dev-localhost internal-ca internal-leaf cn-only \
	    reencoded-ca reencoded-issuer; do
		[[ $(openssl x509 -in "$k.crt" -noout -pubkey) == \
		    "$(openssl pkey -in "$k.key" -pubout)" ]] ||
		    bad "$k.key is not the key of $k.crt"
	done
	grep -q 'PRIVATE KEY-----' <(head -n 1 seed.pem) ||
	    bad "seed.pem: the key is not first"
	cmp -s seed.crt <(sed -n '/-----BEGIN CERTIFICATE-----/,$p' seed.pem) ||
	    bad "seed.pem: its certificate is not seed.crt"
	cmp -s seed.key <(sed '/-----BEGIN CERTIFICATE-----/,$d' seed.pem) ||
	    bad "seed.pem: its key is not seed.key"
	for k in internal-leaf cn-only; do
		cmp -s "$k-chain.pem" <(cat "$k.crt" internal-ca.crt) ||
		    bad "$k-chain.pem is not $k.crt then internal-ca.crt"
	done
	cmp -s reencoded-issuer-chain.pem \
	    <(cat reencoded-issuer.crt reencoded-ca.crt) ||
	    bad "reencoded-issuer-chain.pem is not the leaf then the CA"

	# the properties each file is there for
	for k in seed dev-localhost internal-ca internal-leaf cn-only \
	    reencoded-ca reencoded-issuer; do
		[[ $(openssl x509 -in "$k.crt" -noout -startdate -enddate) == \
		    "notBefore=Jan  1 00:00:00 2020 GMT"*"notAfter=Dec 31 23:59:59 2099 GMT" ]] ||
		    bad "$k.crt: not valid 2020-01-01 .. 2099-12-31"
	done
	for k in seed dev-localhost; do
		[[ $(ext "$k.crt" basicConstraints) == *critical*CA:TRUE* ]] ||
		    bad "$k.crt: not basicConstraints critical CA:TRUE"
		[[ -n $(ext "$k.crt" subjectKeyIdentifier) &&
		    -n $(ext "$k.crt" authorityKeyIdentifier) ]] ||
		    bad "$k.crt: no SKI or AKI"
		[[ -z $(ext "$k.crt" extendedKeyUsage) ]] ||
		    bad "$k.crt: has extKeyUsage"
	done
	[[ $(openssl x509 -in seed.crt -noout -text) == *"Public-Key: (2048 bit)"* ]] ||
	    bad "seed.crt: not RSA 2048"
	[[ $(openssl x509 -in dev-localhost.crt -noout -text) == *"NIST CURVE: P-256"* ]] ||
	    bad "dev-localhost.crt: not P-256"
	[[ $(ext seed.crt subjectAltName) == *"DNS:example.com, DNS:www.example.com, DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1"* ]] ||
	    bad "seed.crt: not the SANs it should have"
	for k in dev-localhost internal-leaf reencoded-issuer; do
		[[ $(ext "$k.crt" subjectAltName) == *"DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1"* ]] ||
		    bad "$k.crt: not the local SANs"
	done
	for k in internal-ca reencoded-ca; do
		[[ $(ext "$k.crt" basicConstraints) == *critical*CA:TRUE* &&
		    $(ext "$k.crt" keyUsage) == *critical*"Certificate Sign, CRL Sign"* ]] ||
		    bad "$k.crt: not a CA with keyCertSign and cRLSign"
	done
	for k in internal-leaf cn-only reencoded-issuer; do
		[[ $(ext "$k.crt" basicConstraints) == *CA:FALSE* &&
		    $(ext "$k.crt" keyUsage) == *"Digital Signature, Key Encipherment"* ]] ||
		    bad "$k.crt: not CA:FALSE with digitalSignature+keyEncipherment"
	done
	[[ -z $(ext internal-leaf.crt extendedKeyUsage) ]] ||
	    bad "internal-leaf.crt: has extKeyUsage"
	[[ -z $(ext cn-only.crt subjectAltName) &&
	    $(ext cn-only.crt extendedKeyUsage) == *"TLS Web Server Authentication"* &&
	    $(openssl x509 -in cn-only.crt -noout -subject) == "subject=CN = localhost" ]] ||
	    bad "cn-only.crt: not CN=localhost, serverAuth, no SAN"
	# the re-encoding: the same name as RFC 5280 7.1 compares it, other
	# bytes (PrintableString in the CA, UTF8String in the leaf)
	[[ $(der field reencoded-ca.crt subject) == \
	    "$(der name "p:c=US" "p:o=Internal Corp" "p:cn=Internal Reencoded CA")" ]] ||
	    bad "reencoded-ca.crt: subject not all PrintableString"
	[[ $(der field reencoded-issuer.crt issuer) == \
	    "$(der name "p:c=US" "u:o=INTERNAL corp" "u:cn=internal REENCODED ca")" ]] ||
	    bad "reencoded-issuer.crt: issuer field not the re-encoded name"

	# verification: every chain passes openssl (no purpose, no host)
	ossl_ok seed.crt seed.crt || bad "seed.crt does not verify (openssl)"
	ossl_ok dev-localhost.crt dev-localhost.crt ||
	    bad "dev-localhost.crt does not verify (openssl)"
	for k in internal-leaf cn-only; do
		ossl_ok internal-ca.crt "$k.crt" ||
		    bad "$k.crt does not verify against internal-ca.crt (openssl)"
	done
	ossl_ok reencoded-ca.crt reencoded-issuer.crt ||
	    bad "reencoded-issuer.crt does not verify against reencoded-ca.crt (openssl)"
	# and GnuTLS (certtool) fails the re-encoded issuer: it matches names
	# byte for byte (README.md); everything else passes it
	for k in seed dev-localhost; do
		certtool --verify --load-ca-certificate "$k.crt" \
		    --infile "$k.crt" >/dev/null 2>&1 ||
		    bad "$k.crt does not verify (certtool)"
	done
	for k in internal-leaf cn-only; do
		certtool --verify --load-ca-certificate internal-ca.crt \
		    --infile "$k-chain.pem" >/dev/null 2>&1 ||
		    bad "$k-chain.pem does not verify (certtool)"
	done
	if certtool --verify --load-ca-certificate reencoded-ca.crt \
	    --infile reencoded-issuer-chain.pem >/dev/null 2>&1; then
		echo "gen-users.sh: note: certtool now verifies" \
		    "reencoded-issuer-chain.pem (README.md says it does not)" >&2
	fi
}

case ${1:-} in
--check)
	[[ -d $OUT ]] || die "--check: no $OUT"
	T=$(mktemp -d "${TMPDIR:-/tmp}/tlskit-users.XXXXXX")
	trap 'rm -rf -- "$T"' EXIT
	cd "$OUT"
	check
	((ERRORS == 0)) || die "--check: $ERRORS problem(s)"
	echo "gen-users.sh --check: ${#FILES[@]} files OK"
	;;
"")
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/tlskit-users.XXXXXX")
	trap 'rm -rf -- "$WORK"' EXIT
	T=$WORK/tmp
	mkdir -p "$T" "$WORK/out"
	LOG=$WORK/tools.log
	: >"$LOG"
	cd "$WORK/out"
	generate
	check
	((ERRORS == 0)) ||
	    die "self-check of the new files failed; nothing installed"
	diff <(printf '%s\n' ./* | sed 's|^\./||' | sort) \
	    <(printf '%s\n' "${FILES[@]}" | sort) >&2 ||
	    die "the files made are not the expected set"
	chmod 0644 ./*
	mkdir -p "$OUT"
	for f in "${FILES[@]}"; do
		cp -- "$f" "$OUT/$f"
	done
	echo "gen-users.sh: wrote ${#FILES[@]} files to $OUT"
	;;
-h | --help)
	sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
	;;
*)
	echo "usage: $0 [--check]" >&2
	exit 2
	;;
esac
