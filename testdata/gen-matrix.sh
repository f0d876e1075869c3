#!/usr/bin/env bash
# gen-matrix.sh - (re)generate the verification matrix in testdata/matrix/:
# chains that tls-check-cert must never call OK, each with the reason it must
# name, and a few positive controls that must be OK.
#
#   testdata/gen-matrix.sh          regenerate everything (new random keys),
#                                   self-check, install into testdata/matrix/
#   testdata/gen-matrix.sh --check  only check the committed files (present,
#                                   parse, keys match, controls verify)
#   testdata/gen-matrix.sh --new    make only the cases added later
#                                   (generate_added) whose files are missing,
#                                   under the committed root and int; every
#                                   existing file stays as it is, and the
#                                   new cases' lines go to the manifest's end
#
# The matrix has a root CA of its own (root.crt): nothing here is signed by
# testdata/ca.crt, and nothing outside testdata/matrix/ is read or written.
# Made with GnuTLS certtool.  certtool cannot make three kinds of case, which
# are made from a certtool certificate by editing its DER and signing it
# again with openssl (the small Python helper below does the DER work):
#   - an MD5 signature (GnuTLS refuses to sign with MD5);
#   - a NUL byte inside a CN or dNSName ("example.com\0.evil.com");
#   - a CA certificate without basicConstraints (certtool always adds one).
# The cases added later (generate_added) also need what certtool cannot
# write: a UTF8String where it writes a PrintableString, several
# emailAddress attributes, an issuer field that re-encodes the issuer's
# subject, rfc822Name SANs.  The second helper, der, builds those Names
# and extension values; certtool's add_extension and add_critical_extension
# template lines put the extensions in (policies, policy constraints and
# mappings, inhibitAnyPolicy, extensions critical against RFC 5280).
#
# The file `manifest` lists the cases, one a line; tests/verify-matrix.bats
# reads it.  Validity is 2020-01-01..2099-12-31 wherever validity is not the
# point, so the files do not expire under the tests.
set -euo pipefail

# certtool reads activation_date/expiration_date in the local time zone.
export TZ=UTC
export LC_ALL=C.UTF-8

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
OUT=$HERE/matrix

for tool in certtool openssl python3; do
	command -v "$tool" >/dev/null ||
	    { echo "gen-matrix.sh: $tool not found" >&2; exit 1; }
done
# the der helper: the system Python, standard library only
PY=/usr/bin/python3
[[ -x $PY ]] || PY=python3

die() { echo "gen-matrix.sh: $*" >&2; exit 1; }

LOG=/dev/null
run() {
	if ! "$@" >>"$LOG" 2>&1; then
		echo "gen-matrix.sh: command failed: $*" >&2
		tail -n 20 "$LOG" >&2
		exit 1
	fi
}

# genkey OUT rsa2048|rsa1024|ecdsa
genkey() {
	case $2 in
	rsa2048) run certtool --generate-privkey --key-type rsa --bits 2048 \
	    --no-text --outfile "$1" ;;
	rsa1024) run certtool --generate-privkey --key-type rsa --bits 1024 \
	    --no-text --outfile "$1" ;;
	ecdsa) run certtool --generate-privkey --key-type ecdsa \
	    --curve secp256r1 --no-text --outfile "$1" ;;
	*) die "genkey: bad key type $2" ;;
	esac
}

SERIAL=100
# tmpl NAME CN VALIDITY PROFILE [LINE...]: writes $T/NAME.tmpl.
#   VALIDITY: long | expired | notyet
#   PROFILE:  ca | leaf (serverAuth) | bare (the LINEs say everything)
#   LINE:     dns:NAME, ip:ADDR, or a certtool template line as is
tmpl() {
	local name=$1 cn=$2 validity=$3 profile=$4 l
	shift 4
	SERIAL=$((SERIAL + 1))
	{
		printf 'cn = "%s"\n' "$cn"
		printf 'serial = %d\n' "$SERIAL"
		case $validity in
		long)
			echo 'activation_date = "2020-01-01 00:00:00"'
			echo 'expiration_date = "2099-12-31 23:59:59"' ;;
		expired)
			echo 'activation_date = "2010-01-01 00:00:00"'
			echo 'expiration_date = "2011-01-01 00:00:00"' ;;
		notyet)
			echo 'activation_date = "2090-01-01 00:00:00"'
			echo 'expiration_date = "2099-12-31 23:59:59"' ;;
		*) die "tmpl: bad validity $validity" ;;
		esac
		case $profile in
		ca) printf '%s\n' ca cert_signing_key crl_signing_key ;;
		leaf) printf '%s\n' tls_www_server signing_key ;;
		bare) ;;
		*) die "tmpl: bad profile $profile" ;;
		esac
		for l in "$@"; do
			case $l in
			dns:*) printf 'dns_name = "%s"\n' "${l#dns:}" ;;
			ip:*) printf 'ip_address = "%s"\n' "${l#ip:}" ;;
			*) printf '%s\n' "$l" ;;
			esac
		done
	} >"$T/$name.tmpl"
}

# selfsign NAME KEY
selfsign() {
	run certtool --generate-self-signed --hash SHA256 --no-text \
	    --load-privkey "$2" --template "$T/$1.tmpl" --outfile "$1.crt"
}

# sign NAME KEY ISSUER-CRT ISSUER-KEY [HASH]
sign() {
	run certtool --generate-certificate --hash "${5:-SHA256}" --no-text \
	    --load-privkey "$2" --template "$T/$1.tmpl" \
	    --load-ca-certificate "$3" --load-ca-privkey "$4" \
	    --outfile "$1.crt"
}

# resign IN.crt OUT.crt ISSUER-KEY EDIT...: edit the TBSCertificate of IN
# and sign it again with ISSUER-KEY (RSA, PKCS #1 v1.5).  EDITs:
#   nul=TEXT     replace the first '#' of every TEXT in the TBS by a NUL
#   drop-bc      remove the basicConstraints extension
#   md5          sign with md5WithRSAEncryption (else the algorithm stays)
#   badsig       flip a bit of the new signature, so that it fails
resign() {
	run python3 - "$@" <<'EOF'
import base64, subprocess, sys

src, dst, key = sys.argv[1:4]
edits = sys.argv[4:]
badsig = "badsig" in edits

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

def enc(tag, body):
    n = len(body)
    if n < 0x80:
        h = bytes([n])
    else:
        lb = n.to_bytes((n.bit_length() + 7) // 8, "big")
        h = bytes([0x80 | len(lb)]) + lb
    return bytes([tag]) + h + body

def body(x):
    s, e = tlv(x, 0)
    return x[s:e]

pem = open(src).read()
der = base64.b64decode("".join(
    l for l in pem.splitlines() if l and not l.startswith("-----")))
cert = items(body(der))
tbs = items(body(cert[0]))
alg, digest = cert[1], "-sha256"
MD5 = bytes.fromhex("300d06092a864886f70d0101040500")
BC = bytes.fromhex("0603551d13")
for ed in edits:
    if ed == "md5":
        alg, digest = MD5, "-md5"
        tbs[2] = MD5
    elif ed == "drop-bc":
        x = [i for i, t in enumerate(tbs) if t[0] == 0xA3][0]
        exts = [e for e in items(body(body(tbs[x])))
                if not body(e).startswith(BC)]
        tbs[x] = enc(0xA3, enc(0x30, b"".join(exts)))
    elif ed == "badsig":
        pass
    elif ed.startswith("nul="):
        old = ed[4:].encode()
        new = old.replace(b"#", b"\0", 1)
        joined = b"".join(tbs)
        if old not in joined:
            sys.exit("resign: %r not in %s" % (old, src))
        tbs = items(joined.replace(old, new))
    else:
        sys.exit("resign: bad edit " + ed)
tbsder = enc(0x30, b"".join(tbs))
sig = subprocess.run(["openssl", "dgst", digest, "-sign", key],
                     input=tbsder, capture_output=True, check=True).stdout
if badsig:
    sig = sig[:-1] + bytes([sig[-1] ^ 1])
out = enc(0x30, tbsder + alg + enc(0x03, b"\0" + sig))
b64 = base64.b64encode(out).decode()
with open(dst, "w") as f:
    f.write("-----BEGIN CERTIFICATE-----\n")
    for i in range(0, len(b64), 64):
        f.write(b64[i:i + 64] + "\n")
    f.write("-----END CERTIFICATE-----\n")
EOF
}

# der name RDN... | der ext KIND ARG... | der resign IN OUT KEY EDIT...
# The DER helper of the cases added later (Python, standard library only):
#   name:   prints the hex of a Name, one RDN per argument, "K:TYPE=VALUE"
#           with K p (PrintableString), u (UTF8String) or i (IA5String),
#           TYPE a dotted OID or c, o, ou, cn, email;
#   ext:    prints the hex of an extension value (extnValue's contents),
#           see ext_value below for the KINDs;
#   resign: replaces the issuer (issuer=HEX) and/or the subject
#           (subject=HEX) of the TBSCertificate of IN, or sets an extension
#           (ext=OID:crit|noncrit:HEX, in place of one with that OID, else
#           at the end), and signs it again with KEY (sha256; the signature
#           algorithm of IN is kept, so KEY must be of the kind that signed
#           IN).
der() {
	[[ -s $T/der.py ]] || cat >"$T/der.py" <<'EOF'
import base64, socket, subprocess, sys

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

SHORT = {"c": "2.5.4.6", "o": "2.5.4.10", "ou": "2.5.4.11",
         "cn": "2.5.4.3", "email": "1.2.840.113549.1.9.1",
         "any": "2.5.29.32.0"}

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

def uint(v):
    """the contents octets of a non-negative INTEGER"""
    return v.to_bytes(v.bit_length() // 8 + 1, "big")

STR = {"p": 0x13, "u": 0x0C, "i": 0x16}

def name(rdns):
    out = b""
    for r in rdns:
        k, rest = r.split(":", 1)
        t, v = rest.split("=", 1)
        out += enc(0x31, enc(0x30, oid(t) + enc(STR[k], v.encode())))
    return enc(0x30, out)

def ext_value(kind, a):
    if kind == "policies":            # OID... (any = anyPolicy)
        return enc(0x30, b"".join(enc(0x30, oid(p)) for p in a))
    if kind == "policy-qualifier":    # POLICY QUALIFIER-ID TEXT
        q = enc(0x30, oid(a[1]) + enc(0x16, a[2].encode()))
        return enc(0x30, enc(0x30, oid(a[0]) + enc(0x30, q)))
    if kind == "policy-constraints":  # REQUIRE INHIBIT, '-' = absent
        out = b""
        if a[0] != "-":
            out += enc(0x80, uint(int(a[0])))
        if a[1] != "-":
            out += enc(0x81, uint(int(a[1])))
        return enc(0x30, out)
    if kind == "inhibit-any":         # SKIPCERTS
        return enc(0x02, uint(int(a[0])))
    if kind == "policy-mappings":     # ISSUER-POLICY=SUBJECT-POLICY...
        return enc(0x30, b"".join(
            enc(0x30, oid(m.split("=")[0]) + oid(m.split("=")[1]))
            for m in a))
    if kind == "nc-excluded-dn":      # the RDNs of one directoryName
        return enc(0x30, enc(0xA1, enc(0x30, enc(0xA4, name(a)))))
    if kind == "san":                 # dns:NAME ip:ADDR email:ADDR...
        out = b""
        for g in a:
            t, v = g.split(":", 1)
            if t == "dns":
                out += enc(0x82, v.encode())
            elif t == "email":
                out += enc(0x81, v.encode())
            elif t == "ip":
                fam = socket.AF_INET6 if ":" in v else socket.AF_INET
                out += enc(0x87, socket.inet_pton(fam, v))
            else:
                sys.exit("der: bad SAN " + g)
        return enc(0x30, out)
    if kind == "key-usage":           # the named bits of RFC 5280 4.2.1.3
        bits = ["digitalSignature", "nonRepudiation", "keyEncipherment",
                "dataEncipherment", "keyAgreement", "keyCertSign",
                "cRLSign", "encipherOnly", "decipherOnly"]
        v = 0
        for b in a:
            v |= 1 << bits.index(b)
        n = v.bit_length()                # DER: no trailing zero bits
        nbytes = (n + 7) // 8
        r = int("{:0{}b}".format(v, n)[::-1], 2) << (nbytes * 8 - n)
        return enc(0x03, bytes([nbytes * 8 - n]) + r.to_bytes(nbytes, "big"))
    if kind == "sda":                 # subjectDirectoryAttributes with
        # one countryOfCitizenship (RFC 3739 3.2.2) "US"
        return enc(0x30, enc(0x30, oid("1.3.6.1.5.5.7.9.4") +
                             enc(0x31, enc(0x13, b"US"))))
    if kind == "freshest":            # URL: one distributionPoint fullName
        gn = enc(0x86, a[0].encode())
        return enc(0x30, enc(0x30, enc(0xA0, enc(0xA0, gn))))
    if kind == "sct":                 # a SignedCertificateTimestampList
        # (RFC 6962 3.3) holding one made-up v1 SCT: log id all zero,
        # 2020-01-01, no extensions, ecdsa-with-SHA256 "signature" r=s=1
        sig = bytes.fromhex("3006020101020101")
        sct = (b"\0" + bytes(32) + (1577836800000).to_bytes(8, "big") +
               b"\0\0" + b"\x04\x03" + len(sig).to_bytes(2, "big") + sig)
        lst = len(sct).to_bytes(2, "big") + sct
        return enc(0x04, len(lst).to_bytes(2, "big") + lst)
    sys.exit("der: bad extension kind " + kind)

def resign(src, dst, key, edits):
    pem = open(src).read()
    der = base64.b64decode("".join(
        l for l in pem.split("-----END")[0].splitlines()
        if l and not l.startswith("-----")))
    cert = items(body(der))
    tbs = items(body(cert[0]))
    v = 1 if tbs[0][0] == 0xA0 else 0    # tbs[v+2] issuer, [v+4] subject
    for ed in edits:
        what, arg = ed.split("=", 1)
        if what == "issuer":
            tbs[v + 2] = bytes.fromhex(arg)
        elif what == "subject":
            tbs[v + 4] = bytes.fromhex(arg)
        elif what == "ext":                # OID:crit|noncrit:HEX
            o, c, h = arg.split(":")
            e = enc(0x30, oid(o) + (b"\x01\x01\xff" if c == "crit" else b"") +
                    enc(0x04, bytes.fromhex(h)))
            x = [i for i, t in enumerate(tbs) if t[0] == 0xA3][0]
            exts = items(body(body(tbs[x])))
            same = [i for i, t in enumerate(exts) if body(t).startswith(oid(o))]
            if same:
                exts[same[0]] = e
            else:
                exts.append(e)
            tbs[x] = enc(0xA3, enc(0x30, b"".join(exts)))
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
elif cmd == "ext":
    print(ext_value(args[0], args[1:]).hex())
elif cmd == "resign":
    resign(args[0], args[1], args[2], args[3:])
else:
    sys.exit("der: bad command " + cmd)
EOF
	"$PY" "$T/der.py" "$@"
}

# xline crit|noncrit OID KIND ARG...: a certtool template line that adds
# the extension OID with the value `der ext KIND ARG...`.  Call it in an
# assignment of its own (x=$(xline ...)), so that a failure stops the script.
xline() {
	local hex
	hex=$(der ext "${@:3}")
	[[ $hex =~ ^[0-9a-f]+$ ]] || die "xline: no value for $*"
	case $1 in
	crit) printf 'add_critical_extension = "%s 0x%s"\n' "$2" "$hex" ;;
	noncrit) printf 'add_extension = "%s 0x%s"\n' "$2" "$hex" ;;
	*) die "xline: $1 is not crit or noncrit" ;;
	esac
}

# chain NAME CERT...: NAME-chain.pem, the certificates as served, leaf first.
chain() {
	local name=$1
	shift
	cat "$@" >"$name-chain.pem"
}

# ---------------------------------------------------------------------------
# The cases.  One manifest line each:
#   NAME CHAIN KEY CA HOSTNAME EXIT CODES LIVE WHY
# CODES: finding codes that must all be present ('-' for a positive
# control, EXIT 0); LIVE: yes = also served by tls-echo-server; WHY: the
# rest of the line, what the case is about.
# ---------------------------------------------------------------------------
MANIFEST_HEAD='# tlskit verification matrix (made by testdata/gen-matrix.sh)
#
# name  chain  key  ca  hostname  exit  codes  live  why...
#
# exit:  1 for every bad chain: each case breaks a rule whose finding has
#        severity fail in tls-check-cert(1) (none is a warning by design);
#        0 for the positive controls (codes "-").
# codes: comma-separated finding codes that must all be in .findings[].code;
#        the headline .reason must be one of them.
# live:  yes = also served by tls-echo-server and checked over TLS (every
#        case the server can serve; the why of a "no" says why not).
# ca:    the trust anchor given with --ca (root.crt unless the case is
#        about the root itself: root-expired.crt and root-notyet.crt have
#        the subject and key of root.crt).'

CASES=()
# case NAME CHAIN KEY CA HOSTNAME EXIT CODES LIVE WHY...
case_() {
	local IFS=' '
	CASES+=("$*")
}

generate() {
	# --- CAs ---------------------------------------------------------------
	genkey root.key rsa2048
	tmpl root "tlskit Matrix Root CA" long ca
	selfsign root root.key
	# the same root (subject and key) outside its validity: the anchor of
	# the root-position cases
	tmpl root-expired "tlskit Matrix Root CA" expired ca
	selfsign root-expired root.key
	tmpl root-notyet "tlskit Matrix Root CA" notyet ca
	selfsign root-notyet root.key

	genkey int.key rsa2048
	tmpl int "tlskit Matrix Intermediate CA" long ca 'path_len = 0'
	sign int int.key root.crt root.key
	# the same intermediate (subject and key) expired, not yet valid,
	# signed with SHA-1
	tmpl int-expired "tlskit Matrix Intermediate CA" expired ca 'path_len = 0'
	sign int-expired int.key root.crt root.key
	tmpl int-notyet "tlskit Matrix Intermediate CA" notyet ca 'path_len = 0'
	sign int-notyet int.key root.crt root.key
	tmpl int-sha1 "tlskit Matrix Intermediate CA" long ca 'path_len = 0'
	sign int-sha1 int.key root.crt root.key SHA1

	# an intermediate with a 1024-bit RSA key
	genkey int-rsa1024.key rsa1024
	tmpl int-rsa1024 "tlskit Matrix RSA-1024 CA" long ca 'path_len = 0'
	sign int-rsa1024 int-rsa1024.key root.crt root.key

	# name constraints: permitted example.com and 10.0.0.0/8; excluded
	# example.com and 127.0.0.0/8
	genkey int-nc-permit.key ecdsa
	tmpl int-nc-permit "tlskit Matrix NC Permit CA" long ca 'path_len = 0' \
	    'nc_permit_dns = example.com' 'nc_permit_ip = 10.0.0.0/8'
	sign int-nc-permit int-nc-permit.key root.crt root.key
	genkey int-nc-exclude.key ecdsa
	tmpl int-nc-exclude "tlskit Matrix NC Exclude CA" long ca 'path_len = 0' \
	    'nc_exclude_dns = example.com' 'nc_exclude_ip = 127.0.0.0/8'
	sign int-nc-exclude int-nc-exclude.key root.crt root.key

	# path length: int (pathLen 0) -> sub-pl0 -> leaf exceeds it;
	# int-pl1 (pathLen 1) -> sub-pl1 -> leaf does not
	genkey sub-pl0.key ecdsa
	tmpl sub-pl0 "tlskit Matrix Sub CA under pathLen 0" long ca 'path_len = 0'
	sign sub-pl0 sub-pl0.key int.crt int.key
	genkey int-pl1.key ecdsa
	tmpl int-pl1 "tlskit Matrix PathLen 1 CA" long ca 'path_len = 1'
	sign int-pl1 int-pl1.key root.crt root.key
	genkey sub-pl1.key ecdsa
	tmpl sub-pl1 "tlskit Matrix Sub CA under pathLen 1" long ca 'path_len = 0'
	sign sub-pl1 sub-pl1.key int-pl1.crt int-pl1.key

	# a CA whose extKeyUsage allows clientAuth only
	genkey int-eku-client.key ecdsa
	tmpl int-eku-client "tlskit Matrix clientAuth CA" long ca \
	    'path_len = 0' tls_www_client
	sign int-eku-client int-eku-client.key root.crt root.key

	# issuers that are not CAs: basicConstraints cA FALSE, and none at all
	# (made as a CA, then the extension is cut out and root signs again)
	genkey int-ca-false.key ecdsa
	tmpl int-ca-false "tlskit Matrix CA FALSE Issuer" long bare \
	    cert_signing_key crl_signing_key
	sign int-ca-false int-ca-false.key root.crt root.key
	genkey int-no-bc.key ecdsa
	tmpl int-no-bc "tlskit Matrix No BC Issuer" long ca
	run certtool --generate-certificate --hash SHA256 --no-text \
	    --load-privkey int-no-bc.key --template "$T/int-no-bc.tmpl" \
	    --load-ca-certificate root.crt --load-ca-privkey root.key \
	    --outfile "$T/int-no-bc.crt"
	resign "$T/int-no-bc.crt" int-no-bc.crt root.key drop-bc

	# --- leaves ------------------------------------------------------------
	genkey leaf.key ecdsa
	genkey leaf-rsa1024.key rsa1024
	local WWW=(dns:www.example.com dns:example.com ip:127.0.0.1)

	# positive controls
	tmpl ok www.example.com long leaf "${WWW[@]}"
	sign ok leaf.key int.crt int.key
	chain ok ok.crt int.crt
	case_ ok-dns ok-chain.pem leaf.key root.crt www.example.com 0 - yes \
	    "control: a good leaf for www.example.com, example.com and 127.0.0.1"
	case_ ok-ip ok-chain.pem leaf.key root.crt 127.0.0.1 0 - yes \
	    "control: the same leaf checked for its IP SAN"
	tmpl ok-wildcard '*.example.com' long leaf 'dns:*.example.com'
	sign ok-wildcard leaf.key int.crt int.key
	chain ok-wildcard ok-wildcard.crt int.crt
	case_ ok-wildcard ok-wildcard-chain.pem leaf.key root.crt a.example.com \
	    0 - yes "control: *.example.com covers a.example.com"
	tmpl ok-nc www.example.com long leaf dns:www.example.com ip:10.1.2.3
	sign ok-nc leaf.key int-nc-permit.crt int-nc-permit.key
	chain ok-nc ok-nc.crt int-nc-permit.crt
	case_ ok-nc ok-nc-chain.pem leaf.key root.crt www.example.com 0 - yes \
	    "control: names inside the permitted subtrees"
	tmpl ok-pathlen www.example.com long leaf "${WWW[@]}"
	sign ok-pathlen leaf.key sub-pl1.crt sub-pl1.key
	chain ok-pathlen ok-pathlen.crt sub-pl1.crt int-pl1.crt
	case_ ok-pathlen ok-pathlen-chain.pem leaf.key root.crt \
	    www.example.com 0 - yes \
	    "control: one CA below a pathLen 1 CA is allowed"
	tmpl ok-idn xn--pple-43d.com long leaf dns:xn--pple-43d.com
	sign ok-idn leaf.key int.crt int.key
	chain ok-idn ok-idn.crt int.crt
	case_ ok-idn ok-idn-chain.pem leaf.key root.crt xn--pple-43d.com 0 - \
	    yes "control: the look-alike leaf is good for its own A-label"

	# validity at each position
	tmpl expired-leaf www.example.com expired leaf "${WWW[@]}"
	sign expired-leaf leaf.key int.crt int.key
	chain expired-leaf expired-leaf.crt int.crt
	case_ expired-leaf expired-leaf-chain.pem leaf.key root.crt \
	    www.example.com 1 expired yes "the leaf expired in 2011"
	tmpl notyet-leaf www.example.com notyet leaf "${WWW[@]}"
	sign notyet-leaf leaf.key int.crt int.key
	chain notyet-leaf notyet-leaf.crt int.crt
	case_ notyet-leaf notyet-leaf-chain.pem leaf.key root.crt \
	    www.example.com 1 not-yet-valid yes "the leaf starts in 2090"
	chain expired-int ok.crt int-expired.crt
	case_ expired-int expired-int-chain.pem leaf.key root.crt \
	    www.example.com 1 expired yes "the intermediate expired in 2011"
	chain notyet-int ok.crt int-notyet.crt
	case_ notyet-int notyet-int-chain.pem leaf.key root.crt \
	    www.example.com 1 not-yet-valid yes \
	    "the intermediate starts in 2090"
	case_ expired-root ok-chain.pem leaf.key root-expired.crt \
	    www.example.com 1 expired yes \
	    "the trust anchor expired in 2011 (RFC 5280 leaves this to the" \
	    "relying party; tlskit judges anchors' validity, as x509-limbo" \
	    "expects)"
	case_ notyet-root ok-chain.pem leaf.key root-notyet.crt \
	    www.example.com 1 not-yet-valid yes "the trust anchor starts in 2090"

	# name constraints
	tmpl nc-dns-permitted www.example.net long leaf dns:www.example.net
	sign nc-dns-permitted leaf.key int-nc-permit.crt int-nc-permit.key
	chain nc-dns-permitted nc-dns-permitted.crt int-nc-permit.crt
	case_ nc-dns-permitted nc-dns-permitted-chain.pem leaf.key root.crt \
	    www.example.net 1 name-constraints yes \
	    "dNSName outside the permitted example.com"
	tmpl nc-ip-permitted www.example.com long leaf dns:www.example.com \
	    ip:127.0.0.1
	sign nc-ip-permitted leaf.key int-nc-permit.crt int-nc-permit.key
	chain nc-ip-permitted nc-ip-permitted.crt int-nc-permit.crt
	case_ nc-ip-permitted nc-ip-permitted-chain.pem leaf.key root.crt \
	    127.0.0.1 1 name-constraints yes \
	    "iPAddress 127.0.0.1 outside the permitted 10.0.0.0/8"
	tmpl nc-dns-excluded www.example.com long leaf dns:www.example.com
	sign nc-dns-excluded leaf.key int-nc-exclude.crt int-nc-exclude.key
	chain nc-dns-excluded nc-dns-excluded.crt int-nc-exclude.crt
	case_ nc-dns-excluded nc-dns-excluded-chain.pem leaf.key root.crt \
	    www.example.com 1 name-constraints yes \
	    "dNSName inside the excluded example.com"
	tmpl nc-ip-excluded www.example.org long leaf dns:www.example.org \
	    ip:127.0.0.1
	sign nc-ip-excluded leaf.key int-nc-exclude.crt int-nc-exclude.key
	chain nc-ip-excluded nc-ip-excluded.crt int-nc-exclude.crt
	case_ nc-ip-excluded nc-ip-excluded-chain.pem leaf.key root.crt \
	    127.0.0.1 1 name-constraints yes \
	    "iPAddress 127.0.0.1 inside the excluded 127.0.0.0/8"

	# path length and basic constraints
	tmpl pathlen www.example.com long leaf "${WWW[@]}"
	sign pathlen leaf.key sub-pl0.crt sub-pl0.key
	chain pathlen pathlen.crt sub-pl0.crt int.crt
	case_ pathlen-exceeded pathlen-chain.pem leaf.key root.crt \
	    www.example.com 1 path-length yes \
	    "a CA below the pathLen 0 intermediate"
	tmpl issuer-ca-false www.example.com long leaf "${WWW[@]}"
	sign issuer-ca-false leaf.key int-ca-false.crt int-ca-false.key
	chain issuer-ca-false issuer-ca-false.crt int-ca-false.crt
	case_ issuer-ca-false issuer-ca-false-chain.pem leaf.key root.crt \
	    www.example.com 1 issuer-not-ca yes \
	    "the issuer has basicConstraints cA FALSE"
	tmpl issuer-no-bc www.example.com long leaf "${WWW[@]}"
	sign issuer-no-bc leaf.key int-no-bc.crt int-no-bc.key
	chain issuer-no-bc issuer-no-bc.crt int-no-bc.crt
	case_ issuer-no-bc issuer-no-bc-chain.pem leaf.key root.crt \
	    www.example.com 1 issuer-not-ca yes \
	    "the issuer has no basicConstraints at all"
	tmpl leaf-is-ca www.example.com long bare "${WWW[@]}" ca \
	    cert_signing_key tls_www_server signing_key
	sign leaf-is-ca leaf.key int.crt int.key
	chain leaf-is-ca leaf-is-ca.crt int.crt
	case_ leaf-is-ca leaf-is-ca-chain.pem leaf.key root.crt \
	    www.example.com 1 leaf-is-ca yes \
	    "the leaf has cA TRUE (chainval's ca-as-leaf is reported as" \
	    "certcheck's leaf-is-ca, the documented code)"

	# extended key usage
	tmpl eku-client www.example.com long bare "${WWW[@]}" tls_www_client \
	    signing_key
	sign eku-client leaf.key int.crt int.key
	chain eku-client eku-client.crt int.crt
	case_ eku-client eku-client-chain.pem leaf.key root.crt \
	    www.example.com 1 purpose-mismatch yes "EKU clientAuth only"
	tmpl eku-codesign www.example.com long bare "${WWW[@]}" \
	    code_signing_key signing_key
	sign eku-codesign leaf.key int.crt int.key
	chain eku-codesign eku-codesign.crt int.crt
	case_ eku-codesign eku-codesign-chain.pem leaf.key root.crt \
	    www.example.com 1 purpose-mismatch yes "EKU codeSigning only"

	tmpl eku-int www.example.com long leaf "${WWW[@]}"
	sign eku-int leaf.key int-eku-client.crt int-eku-client.key
	chain eku-int eku-int.crt int-eku-client.crt
	case_ eku-int eku-int-chain.pem leaf.key root.crt www.example.com 1 \
	    purpose-mismatch yes \
	    "a serverAuth leaf below a CA whose EKU is clientAuth only"
	tmpl unknown-critical www.example.com long leaf "${WWW[@]}" \
	    'add_critical_extension = "1.2.3.4.5 0x0500"'
	sign unknown-critical leaf.key int.crt int.key
	chain unknown-critical unknown-critical.crt int.crt
	case_ unknown-critical unknown-critical-chain.pem leaf.key root.crt \
	    www.example.com 1 unknown-critical-extension yes \
	    "the leaf has a critical extension no one understands"

	# wildcards
	tmpl wc-tld '*.com' long leaf 'dns:*.com'
	sign wc-tld leaf.key int.crt int.key
	chain wc-tld wc-tld.crt int.crt
	case_ wc-tld wc-tld-chain.pem leaf.key root.crt example.com 1 \
	    name-mismatch,bad-wildcard yes "*.com must not cover example.com"
	tmpl wc-inner a.b.example.com long leaf 'dns:a.*.example.com'
	sign wc-inner leaf.key int.crt int.key
	chain wc-inner wc-inner.crt int.crt
	case_ wc-inner wc-inner-chain.pem leaf.key root.crt a.b.example.com 1 \
	    name-mismatch,bad-wildcard yes \
	    "a '*' that is not the left-most label (a.*.example.com)"
	case_ wc-apex ok-wildcard-chain.pem leaf.key root.crt example.com 1 \
	    name-mismatch yes "*.example.com does not cover example.com"
	case_ wc-two-labels ok-wildcard-chain.pem leaf.key root.crt \
	    a.b.example.com 1 name-mismatch,bad-wildcard yes \
	    "*.example.com covers one label, not a.b.example.com"

	tmpl wc-psl '*.co.uk' long leaf 'dns:*.co.uk'
	sign wc-psl leaf.key int.crt int.key
	chain wc-psl wc-psl.crt int.crt
	case_ wc-psl wc-psl-chain.pem leaf.key root.crt example.co.uk 1 \
	    name-mismatch,bad-wildcard yes \
	    "*.co.uk must not cover example.co.uk (a public suffix)"
	tmpl wc-partial 'f*.example.com' long leaf 'dns:f*.example.com'
	sign wc-partial leaf.key int.crt int.key
	chain wc-partial wc-partial.crt int.crt
	case_ wc-partial wc-partial-chain.pem leaf.key root.crt \
	    foo.example.com 1 name-mismatch,bad-wildcard yes \
	    "a partial-label wildcard (f*.example.com; BR 3.2.2.6)"
	tmpl nc-wildcard '*.example.net' long leaf 'dns:*.example.net'
	sign nc-wildcard leaf.key int-nc-permit.crt int-nc-permit.key
	chain nc-wildcard nc-wildcard.crt int-nc-permit.crt
	case_ nc-wildcard nc-wildcard-chain.pem leaf.key root.crt \
	    a.example.net 1 name-constraints yes \
	    "a wildcard dNSName outside the permitted example.com"

	# IDN look-alike: Cyrillic a in xn--pple-43d.com
	case_ idn-lookalike ok-idn-chain.pem leaf.key root.crt apple.com 1 \
	    name-mismatch yes "a leaf for xn--pple-43d.com checked for apple.com"

	# IP addresses and DNS names
	tmpl ip-in-dns-san 127.0.0.1 long leaf dns:127.0.0.1
	sign ip-in-dns-san leaf.key int.crt int.key
	chain ip-in-dns-san ip-in-dns-san.crt int.crt
	case_ ip-in-dns-san ip-in-dns-san-chain.pem leaf.key root.crt \
	    127.0.0.1 1 name-mismatch,bad-san yes \
	    "DNS:127.0.0.1 is no iPAddress SAN"
	tmpl ip-san-only 127.0.0.1 long leaf ip:127.0.0.1
	sign ip-san-only leaf.key int.crt int.key
	chain ip-san-only ip-san-only.crt int.crt
	case_ ip-san-as-name ip-san-only-chain.pem leaf.key root.crt localhost \
	    1 name-mismatch yes "IP:127.0.0.1 does not name localhost"
	case_ ip-san-short-form ip-san-only-chain.pem leaf.key root.crt \
	    127.1 1 name-mismatch yes \
	    "'127.1' is a (numeric) host name, not the address 127.0.0.1"

	# the CN
	tmpl cn-only www.example.com long leaf
	sign cn-only leaf.key int.crt int.key
	chain cn-only cn-only.crt int.crt
	case_ cn-only cn-only-chain.pem leaf.key root.crt www.example.com 1 \
	    name-mismatch,no-san yes "CN www.example.com and no SAN"
	tmpl cn-only-ip 127.0.0.1 long leaf
	sign cn-only-ip leaf.key int.crt int.key
	chain cn-only-ip cn-only-ip.crt int.crt
	case_ cn-only-ip cn-only-ip-chain.pem leaf.key root.crt 127.0.0.1 1 \
	    name-mismatch,no-san yes "CN 127.0.0.1 and no SAN"
	tmpl cn-not-in-san www.example.com long leaf dns:other.example.net
	sign cn-not-in-san leaf.key int.crt int.key
	chain cn-not-in-san cn-not-in-san.crt int.crt
	case_ cn-not-in-san cn-not-in-san-chain.pem leaf.key root.crt \
	    www.example.com 1 name-mismatch yes \
	    "CN www.example.com, SAN other.example.net only"

	# NUL bytes (signed by int, an RSA key)
	tmpl nul-san-tmp 'example.com#.evil.com' long leaf \
	    'dns:example.com#.evil.com'
	sign nul-san-tmp leaf.key int.crt int.key
	resign nul-san-tmp.crt nul-san.crt int.key nul=example.com#.evil.com
	rm -f nul-san-tmp.crt
	chain nul-san nul-san.crt int.crt
	case_ nul-san nul-san-chain.pem leaf.key root.crt example.com 1 \
	    name-mismatch,bad-san yes \
	    "CN and dNSName 'example.com\\0.evil.com'"
	tmpl nul-cn-tmp 'example.com#.evil.com' long leaf dns:www.evil.com
	sign nul-cn-tmp leaf.key int.crt int.key
	resign nul-cn-tmp.crt nul-cn.crt int.key nul=example.com#.evil.com
	rm -f nul-cn-tmp.crt
	chain nul-cn nul-cn.crt int.crt
	case_ nul-cn nul-cn-chain.pem leaf.key root.crt example.com 1 \
	    name-mismatch yes \
	    "CN 'example.com\\0.evil.com', SAN www.evil.com"

	# signatures and keys
	tmpl sha1-leaf www.example.com long leaf "${WWW[@]}"
	sign sha1-leaf leaf.key int.crt int.key SHA1
	chain sha1-leaf sha1-leaf.crt int.crt
	case_ sha1-leaf sha1-leaf-chain.pem leaf.key root.crt www.example.com \
	    1 insecure-algorithm yes "the leaf is signed with RSA-SHA1"
	chain sha1-int ok.crt int-sha1.crt
	case_ sha1-int sha1-int-chain.pem leaf.key root.crt www.example.com \
	    1 insecure-algorithm yes "the intermediate is signed with RSA-SHA1"
	tmpl md5-leaf-tmp www.example.com long leaf "${WWW[@]}"
	sign md5-leaf-tmp leaf.key int.crt int.key
	resign md5-leaf-tmp.crt md5-leaf.crt int.key md5
	rm -f md5-leaf-tmp.crt
	chain md5-leaf md5-leaf.crt int.crt
	case_ md5-leaf md5-leaf-chain.pem leaf.key root.crt www.example.com \
	    1 insecure-algorithm yes "the leaf is signed with RSA-MD5"
	tmpl rsa1024-leaf www.example.com long bare "${WWW[@]}" tls_www_server \
	    signing_key encryption_key
	sign rsa1024-leaf leaf-rsa1024.key int.crt int.key
	chain rsa1024-leaf rsa1024-leaf.crt int.crt
	case_ rsa1024-leaf rsa1024-leaf-chain.pem leaf-rsa1024.key root.crt \
	    www.example.com 1 weak-key yes "the leaf has an RSA-1024 key"
	tmpl rsa1024-int www.example.com long leaf "${WWW[@]}"
	sign rsa1024-int leaf.key int-rsa1024.crt int-rsa1024.key
	chain rsa1024-int rsa1024-int.crt int-rsa1024.crt
	case_ rsa1024-int rsa1024-int-chain.pem leaf.key root.crt \
	    www.example.com 1 weak-key yes "the intermediate has an RSA-1024 key"

	# signatures that do not verify (one bit flipped after signing)
	resign ok.crt bad-sig-leaf.crt int.key badsig
	chain bad-sig-leaf bad-sig-leaf.crt int.crt
	case_ bad-sig-leaf bad-sig-leaf-chain.pem leaf.key root.crt \
	    www.example.com 1 bad-signature yes \
	    "the intermediate's signature on the leaf does not verify"
	resign int.crt int-bad-sig.crt root.key badsig
	chain bad-sig-int ok.crt int-bad-sig.crt
	case_ bad-sig-int bad-sig-int-chain.pem leaf.key root.crt \
	    www.example.com 1 bad-signature yes \
	    "the root's signature on the intermediate does not verify"

	# no path
	tmpl self-signed www.example.com long leaf "${WWW[@]}"
	selfsign self-signed leaf.key
	chain self-signed self-signed.crt
	case_ self-signed self-signed-chain.pem leaf.key root.crt \
	    www.example.com 1 self-signed yes "a self-signed leaf"
	chain no-intermediate ok.crt
	case_ no-intermediate no-intermediate-chain.pem leaf.key root.crt \
	    www.example.com 1 unknown-issuer,missing-intermediate yes \
	    "the intermediate is not sent"

	generate_added

	{
		printf '%s\n' "$MANIFEST_HEAD"
		printf '%s\n' "${CASES[@]}"
	} >manifest
}

# ---------------------------------------------------------------------------
# Cases added after the first matrix: RFC 5280 rules that the verifier did
# not check when they were added (policies, extensions critical against the
# RFC, names compared as RFC 5280 7.1 says, emailAddress attributes, key
# usage against the TLS server role), and three controls.  They need only
# root.crt/.key, int.crt/.key and leaf.key, so --new makes them next to the
# committed matrix.  Their keys are reused when present (--new copies the
# committed ones in), and every new CA has an RSA key, whose PKCS #1 v1.5
# signatures are deterministic: with the same keys, a file made again is
# the same file.
# ---------------------------------------------------------------------------
ADDED_KEYS=(leaf-rsa.key int-pol.key int-pol-map.key int-pol-inhibit.key
    int-nc-dn.key int-nc-email.key)

# ku_leaf NAME KEY BIT: a serverAuth leaf from int for www.example.com
# whose keyUsage (critical) has the one named BIT, and NAME-chain.pem
ku_leaf() {
	local name=$1 key=$2 bit=$3 hex text
	tmpl "$name" www.example.com long leaf dns:www.example.com \
	    dns:example.com ip:127.0.0.1
	sign "$name" "$key" int.crt int.key
	hex=$(der ext key-usage "$bit")
	der resign "$name.crt" "$name.crt" int.key "ext=2.5.29.15:crit:$hex"
	# openssl's words for the bit: Data Encipherment, CRL Sign, ...
	text=$(openssl x509 -in "$name.crt" -noout -ext keyUsage | tail -n 1)
	case $bit:$text in
	cRLSign:*'CRL Sign' | dataEncipherment:*'Data Encipherment' | \
	    keyAgreement:*'Key Agreement') ;;
	*) die "$name: keyUsage is '$text', not $bit alone" ;;
	esac
	chain "$name" "$name.crt" int.crt
}

generate_added() {
	local k x_pc x_pm x_iap x_cp x_nc x_san x_e x_big i
	# policy OIDs under the documentation arc of RFC 5612
	local P1=1.3.6.1.4.1.32473.1.1 P2=1.3.6.1.4.1.32473.1.2
	local ANY=2.5.29.32.0
	local WWW=(dns:www.example.com dns:example.com ip:127.0.0.1)

	SERIAL=500
	for k in "${ADDED_KEYS[@]}"; do
		[[ -s $k ]] || genkey "$k" rsa2048
	done

	# --- certificate policies (RFC 5280 4.2.1.4, 4.2.1.5, 4.2.1.11,
	# 4.2.1.14, 6.1) --------------------------------------------------------
	# int-pol: asserts P1 and requires an explicit policy from here on
	x_pc=$(xline crit 2.5.29.36 policy-constraints 0 -)
	tmpl int-pol "tlskit Matrix Policy CA" long ca 'path_len = 0' \
	    "policy1 = $P1" "$x_pc"
	sign int-pol int-pol.key root.crt root.key
	tmpl ok-policy www.example.com long leaf "${WWW[@]}" "policy1 = $P1"
	sign ok-policy leaf.key int-pol.crt int-pol.key
	chain ok-policy ok-policy.crt int-pol.crt
	case_ ok-policy ok-policy-chain.pem leaf.key root.crt \
	    www.example.com 0 - yes \
	    "control: the intermediate asserts $P1 and requires an" \
	    "explicit policy (requireExplicitPolicy 0), the leaf asserts $P1"
	tmpl policy-require-explicit www.example.com long leaf "${WWW[@]}"
	sign policy-require-explicit leaf.key int-pol.crt int-pol.key
	chain policy-require-explicit policy-require-explicit.crt int-pol.crt
	case_ policy-require-explicit policy-require-explicit-chain.pem \
	    leaf.key root.crt www.example.com 1 policy yes \
	    "the intermediate requires an explicit policy" \
	    "(requireExplicitPolicy 0, critical) and the leaf has no" \
	    "certificatePolicies: no valid policy (RFC 5280 6.1.5 (g))"
	# a critical certificatePolicies whose one qualifier is not id-qt-cps
	# or id-qt-unotice; P1 itself is valid, only the qualifier is wrong
	x_cp=$(xline crit 2.5.29.32 policy-qualifier "$P1" \
	    1.3.6.1.5.5.7.2.99 "tlskit made-up qualifier")
	tmpl policy-critical-qualifier www.example.com long leaf "${WWW[@]}" \
	    "$x_cp"
	sign policy-critical-qualifier leaf.key int-pol.crt int-pol.key
	chain policy-critical-qualifier policy-critical-qualifier.crt \
	    int-pol.crt
	case_ policy-critical-qualifier policy-critical-qualifier-chain.pem \
	    leaf.key root.crt www.example.com 1 policy yes \
	    "the leaf's certificatePolicies ($P1) is critical and has a" \
	    "qualifier of unknown id 1.3.6.1.5.5.7.2.99 (RFC 5280 4.2.1.4:" \
	    "interpret it or reject the certificate)"

	# int-pol-map: asserts anyPolicy and maps anyPolicy to P2
	x_pm=$(xline crit 2.5.29.33 policy-mappings "any=$P2")
	tmpl int-pol-map "tlskit Matrix Policy Mapping CA" long ca \
	    'path_len = 0' "policy1 = $ANY" "$x_pm"
	sign int-pol-map int-pol-map.key root.crt root.key
	tmpl policy-map-any www.example.com long leaf "${WWW[@]}" \
	    "policy1 = $P2"
	sign policy-map-any leaf.key int-pol-map.crt int-pol-map.key
	chain policy-map-any policy-map-any.crt int-pol-map.crt
	case_ policy-map-any policy-map-any-chain.pem leaf.key root.crt \
	    www.example.com 1 policy yes \
	    "the intermediate's policyMappings maps anyPolicy to $P2" \
	    "(RFC 5280 6.1.4 (a)); the leaf asserts $P2"

	# int-pol-inhibit: asserts anyPolicy, requires an explicit policy and
	# inhibits anyPolicy below itself
	x_pc=$(xline crit 2.5.29.36 policy-constraints 0 -)
	x_iap=$(xline crit 2.5.29.54 inhibit-any 0)
	tmpl int-pol-inhibit "tlskit Matrix Inhibit anyPolicy CA" long ca \
	    'path_len = 0' "policy1 = $ANY" "$x_pc" "$x_iap"
	sign int-pol-inhibit int-pol-inhibit.key root.crt root.key
	tmpl policy-inhibit-any www.example.com long leaf "${WWW[@]}" \
	    "policy1 = $ANY"
	sign policy-inhibit-any leaf.key int-pol-inhibit.crt \
	    int-pol-inhibit.key
	chain policy-inhibit-any policy-inhibit-any.crt int-pol-inhibit.crt
	case_ policy-inhibit-any policy-inhibit-any-chain.pem leaf.key \
	    root.crt www.example.com 1 policy yes \
	    "the intermediate has inhibitAnyPolicy 0 and" \
	    "requireExplicitPolicy 0 (both critical); the leaf asserts" \
	    "only anyPolicy, which no longer counts (RFC 5280 6.1.3 (d)(2))"

	# --- extensions critical against RFC 5280 or not understood ----------
	x_e=$(xline crit 1.3.6.1.4.1.11129.2.4.2 sct)
	tmpl crit-sct www.example.com long leaf "${WWW[@]}" "$x_e"
	sign crit-sct leaf.key int.crt int.key
	chain crit-sct crit-sct.crt int.crt
	case_ crit-sct crit-sct-chain.pem leaf.key root.crt www.example.com \
	    1 unknown-critical-extension yes \
	    "the leaf's SCT list (1.3.6.1.4.1.11129.2.4.2, RFC 6962 3.3) is" \
	    "critical, and tlskit does not process SCTs"
	x_e=$(xline crit 2.5.29.9 sda)
	tmpl crit-sda www.example.com long leaf "${WWW[@]}" "$x_e"
	sign crit-sda leaf.key int.crt int.key
	chain crit-sda crit-sda.crt int.crt
	case_ crit-sda crit-sda-chain.pem leaf.key root.crt www.example.com \
	    1 bad-criticality yes \
	    "subjectDirectoryAttributes is critical (RFC 5280 4.2.1.8:" \
	    "MUST be non-critical)"
	x_e=$(xline crit 2.5.29.46 freshest http://crl.example.com/delta.crl)
	tmpl crit-freshest www.example.com long leaf "${WWW[@]}" "$x_e"
	sign crit-freshest leaf.key int.crt int.key
	chain crit-freshest crit-freshest.crt int.crt
	case_ crit-freshest crit-freshest-chain.pem leaf.key root.crt \
	    www.example.com 1 bad-criticality yes \
	    "freshestCRL is critical (RFC 5280 4.2.1.15: MUST be non-critical)"

	# --- names compared as RFC 5280 7.1 says -----------------------------
	# the leaf's issuer field: int's subject (CN PrintableString "tlskit
	# Matrix Intermediate CA") as a UTF8String in other letter case
	tmpl ok-reencoded www.example.com long leaf "${WWW[@]}"
	sign ok-reencoded leaf.key int.crt int.key
	x_e=$(der name "u:cn=tlskit MATRIX intermediate ca")
	der resign ok-reencoded.crt ok-reencoded.crt int.key "issuer=$x_e"
	chain ok-reencoded ok-reencoded.crt int.crt
	# not live: GnuTLS matches the names byte for byte when it loads the
	# chain, so tls-echo-server would send the leaf alone
	case_ ok-reencoded ok-reencoded-chain.pem leaf.key root.crt \
	    www.example.com 0 - no \
	    "control: the leaf's issuer is the intermediate's subject" \
	    "re-encoded (UTF8String 'tlskit MATRIX intermediate ca' for" \
	    "PrintableString 'tlskit Matrix Intermediate CA'), the same name" \
	    "under RFC 5280 7.1 (not live: GnuTLS compares the bytes, and" \
	    "tls-echo-server would send the leaf alone)"

	# excluded directoryName O=Evil Corp (PrintableString); the leaf's
	# subject O is a UTF8String in other case with a double space
	x_nc=$(xline crit 2.5.29.30 nc-excluded-dn "p:o=Evil Corp")
	tmpl int-nc-dn "tlskit Matrix NC DirName CA" long ca 'path_len = 0' \
	    "$x_nc"
	sign int-nc-dn int-nc-dn.key root.crt root.key
	tmpl nc-dn-reencoded www.example.com long leaf "${WWW[@]}"
	sign nc-dn-reencoded leaf.key int-nc-dn.crt int-nc-dn.key
	x_e=$(der name "u:o=evil  corp" "u:cn=www.example.com")
	der resign nc-dn-reencoded.crt nc-dn-reencoded.crt int-nc-dn.key \
	    "subject=$x_e"
	chain nc-dn-reencoded nc-dn-reencoded.crt int-nc-dn.crt
	case_ nc-dn-reencoded nc-dn-reencoded-chain.pem leaf.key root.crt \
	    www.example.com 1 name-constraints yes \
	    "the subject O=evil  corp (UTF8String) is the excluded" \
	    "directoryName O=Evil Corp (PrintableString) under RFC 4518" \
	    "(case folded, inner spaces one)"

	# rfc822Name constraints: excluded evil.example (every mailbox at that
	# host), nothing else
	tmpl int-nc-email "tlskit Matrix NC Email CA" long ca 'path_len = 0' \
	    'nc_exclude_email = evil.example'
	sign int-nc-email int-nc-email.key root.crt root.key
	x_san=$(xline noncrit 2.5.29.17 san "${WWW[@]}" \
	    email:webmaster@example.com email:hostmaster@example.com)
	tmpl ok-nc-email www.example.com long leaf "$x_san"
	sign ok-nc-email leaf.key int-nc-email.crt int-nc-email.key
	x_e=$(der name "p:cn=www.example.com" "i:email=admin@example.com" \
	    "i:email=security@example.com")
	der resign ok-nc-email.crt ok-nc-email.crt int-nc-email.key \
	    "subject=$x_e"
	chain ok-nc-email ok-nc-email.crt int-nc-email.crt
	case_ ok-nc-email ok-nc-email-chain.pem leaf.key root.crt \
	    www.example.com 0 - yes \
	    "control: two emailAddress attributes and two rfc822Name SANs" \
	    "at example.com, none inside the excluded evil.example"
	tmpl nc-email-many www.example.com long leaf "${WWW[@]}"
	sign nc-email-many leaf.key int-nc-email.crt int-nc-email.key
	x_e=$(der name "p:cn=www.example.com" "i:email=a@example.com" \
	    "i:email=b@example.com" "i:email=c@example.com" \
	    "i:email=d@example.com" "i:email=x@evil.example")
	der resign nc-email-many.crt nc-email-many.crt int-nc-email.key \
	    "subject=$x_e"
	chain nc-email-many nc-email-many.crt int-nc-email.crt
	case_ nc-email-many nc-email-many-chain.pem leaf.key root.crt \
	    www.example.com 1 name-constraints yes \
	    "five emailAddress attributes in the subject, the fifth" \
	    "x@evil.example inside the excluded evil.example"
	tmpl nc-email-long www.example.com long leaf "${WWW[@]}"
	sign nc-email-long leaf.key int-nc-email.crt int-nc-email.key
	# 300 characters: a 287-character local part, '@', evil.example
	x_big=$(printf 'x%.0s' {1..287})@evil.example
	((${#x_big} == 300)) || die "nc-email-long: ${#x_big} characters"
	x_e=$(der name "p:cn=www.example.com" "i:email=$x_big")
	der resign nc-email-long.crt nc-email-long.crt int-nc-email.key \
	    "subject=$x_e"
	chain nc-email-long nc-email-long.crt int-nc-email.crt
	case_ nc-email-long nc-email-long-chain.pem leaf.key root.crt \
	    www.example.com 1 name-constraints yes \
	    "an emailAddress of 300 characters (over ub-emailaddress-length" \
	    "255) at the excluded evil.example"
	x_e=()
	for i in 1 2 3 4 5 6 7 8 9; do
		x_e+=("email:user$i@example.com")
	done
	x_san=$(xline noncrit 2.5.29.17 san "${WWW[@]}" "${x_e[@]}" \
	    email:x@evil.example)
	tmpl nc-email-san www.example.com long leaf "$x_san"
	sign nc-email-san leaf.key int-nc-email.crt int-nc-email.key
	chain nc-email-san nc-email-san.crt int-nc-email.crt
	case_ nc-email-san nc-email-san-chain.pem leaf.key root.crt \
	    www.example.com 1 name-constraints yes \
	    "ten rfc822Name SANs, the tenth x@evil.example inside the" \
	    "excluded evil.example"

	# --- keyUsage that does not allow a TLS server -----------------------
	# certtool writes no keyUsage for cRLSign without cA and adds
	# digitalSignature to an EC key's: the leaves are made with the leaf
	# profile (digitalSignature), whose keyUsage is then replaced
	# none is live: tls-echo-server (GnuTLS) refuses to serve each, 'no
	# cipher suite in common'
	ku_leaf ku-crlsign-only leaf-rsa.key cRLSign
	case_ ku-crlsign-only ku-crlsign-only-chain.pem leaf-rsa.key root.crt \
	    www.example.com 1 bad-key-usage no \
	    "an RSA leaf whose keyUsage is cRLSign only (not live: GnuTLS" \
	    "will not serve it, 'no cipher suite in common')"
	ku_leaf ku-dataenc-only leaf-rsa.key dataEncipherment
	case_ ku-dataenc-only ku-dataenc-only-chain.pem leaf-rsa.key root.crt \
	    www.example.com 1 bad-key-usage no \
	    "an RSA leaf whose keyUsage is dataEncipherment only (not live:" \
	    "GnuTLS will not serve it, 'no cipher suite in common')"
	ku_leaf ku-ecdsa-keyagreement leaf.key keyAgreement
	case_ ku-ecdsa-keyagreement ku-ecdsa-keyagreement-chain.pem leaf.key \
	    root.crt www.example.com 1 bad-key-usage no \
	    "an ECDSA P-256 leaf whose keyUsage is keyAgreement only (not" \
	    "live: GnuTLS will not serve it, 'no cipher suite in common')"
}

# ---------------------------------------------------------------------------
# check (in the directory to check)
# ---------------------------------------------------------------------------
ERRORS=0
# controls that GnuTLS 3.7 rejects, checked with openssl instead: ok-policy
# (certtool knows no policyConstraints: "unknown critical extension") and
# ok-reencoded (certtool matches issuer names byte for byte: "issuer is
# unknown")
NOT_CERTTOOL=(ok-policy ok-reencoded)
bad() { echo "FAIL: $*" >&2; ERRORS=$((ERRORS + 1)); }

check() {
	local f name chain key ca host want codes live why n

	[[ -s manifest ]] || { bad "manifest: missing"; return 0; }
	for f in *.key; do
		certtool --key-info --infile "$f" >/dev/null 2>&1 ||
		    bad "$f: key does not parse"
	done
	for f in *.crt *.pem; do
		n=$(grep -c -- '-----BEGIN CERTIFICATE-----' "$f" || true)
		[[ $n -ge 1 ]] || bad "$f: no certificate"
		[[ $f != *.crt || $n == 1 ]] || bad "$f: not one certificate"
		openssl x509 -in "$f" -noout 2>/dev/null || bad "$f: unreadable"
	done
	n=0
	while read -r name chain key ca host want codes live why; do
		[[ $name == '#'* || -z $name ]] && continue
		n=$((n + 1))
		for f in "$chain" "$key" "$ca"; do
			[[ -e $f ]] || bad "$name: $f missing"
		done
		[[ $want =~ ^[01]$ && $live =~ ^(yes|no)$ && -n $why ]] ||
		    bad "$name: bad manifest line"
		if [[ $want == 0 && $codes != - ]] ||
		    [[ $want != 0 && $codes == - ]]; then
			bad "$name: exit $want with codes $codes"
		fi
		# the served key is the leaf's
		[[ $(openssl x509 -in "$chain" -noout -pubkey) == \
		    "$(openssl pkey -in "$key" -pubout 2>/dev/null)" ]] ||
		    bad "$name: $key is not the key of the leaf in $chain"
		if [[ $want == 0 && " ${NOT_CERTTOOL[*]} " == *" $name "* ]]
		then
			openssl verify -CAfile "$ca" -untrusted "$chain" \
			    -verify_hostname "$host" -x509_strict \
			    -policy_check -policy 2.5.29.32.0 \
			    <(openssl x509 -in "$chain") >/dev/null 2>&1 ||
			    bad "$name: control does not verify with openssl"
		elif [[ $want == 0 ]]; then
			certtool --verify --load-ca-certificate "$ca" \
			    --verify-hostname "$host" --infile "$chain" \
			    >/dev/null 2>&1 ||
			    bad "$name: control does not verify with certtool"
		fi
	done <manifest
	((n > 0)) || bad "manifest: no cases"
}

case ${1:-} in
--check)
	cd "$OUT"
	check
	((ERRORS == 0)) || die "--check: $ERRORS problem(s)"
	echo "gen-matrix.sh --check: $(find . -type f | wc -l) files OK"
	;;
"")
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/tlskit-matrix.XXXXXX")
	trap 'rm -rf -- "$WORK"' EXIT
	T=$WORK/tmpl
	mkdir -p "$T" "$WORK/out"
	LOG=$WORK/tools.log
	: >"$LOG"
	cd "$WORK/out"
	generate
	check
	((ERRORS == 0)) ||
	    die "self-check of the new files failed; nothing installed"
	chmod 0644 ./*
	mkdir -p "$OUT"
	rm -f "$OUT"/*.crt "$OUT"/*.key "$OUT"/*.pem "$OUT"/manifest
	cp -- ./* "$OUT"/
	echo "gen-matrix.sh: wrote $(find . -type f | wc -l) files to $OUT"
	;;
--new)
	[[ -s $OUT/manifest ]] || die "--new: no $OUT/manifest to add to"
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/tlskit-matrix.XXXXXX")
	trap 'rm -rf -- "$WORK"' EXIT
	T=$WORK/tmpl
	mkdir -p "$T" "$WORK/out"
	LOG=$WORK/tools.log
	: >"$LOG"
	cd "$WORK/out"
	for f in root.crt root.key int.crt int.key leaf.key; do
		cp -- "$OUT/$f" . || die "--new: $OUT/$f is missing"
	done
	for f in "${ADDED_KEYS[@]}"; do
		[[ ! -e $OUT/$f ]] || cp -- "$OUT/$f" .
	done
	generate_added
	# the self-check of the added cases alone, in the work directory
	{
		printf '%s\n' "$MANIFEST_HEAD"
		printf '%s\n' "${CASES[@]}"
	} >manifest
	check
	((ERRORS == 0)) ||
	    die "self-check of the new files failed; nothing installed"
	chmod 0644 ./*
	n=0
	for f in *; do
		[[ $f != manifest ]] || continue
		if [[ ! -e $OUT/$f ]]; then
			cp -- "$f" "$OUT/$f"
			n=$((n + 1))
		elif ! cmp -s -- "$f" "$OUT/$f"; then
			echo "gen-matrix.sh: $f exists and differs, kept" >&2
		fi
	done
	m=0
	for line in "${CASES[@]}"; do
		awk -v n="${line%% *}" '$1 == n { f = 1 } END { exit !f }' \
		    "$OUT/manifest" && continue
		printf '%s\n' "$line" >>"$OUT/manifest"
		m=$((m + 1))
	done
	cd "$OUT"
	check
	((ERRORS == 0)) || die "--new: $ERRORS problem(s) in $OUT"
	echo "gen-matrix.sh --new: wrote $n files, $m manifest lines to $OUT"
	;;
-h | --help)
	sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
	;;
*)
	echo "usage: $0 [--check | --new]" >&2
	exit 2
	;;
esac
