#!/usr/bin/env bash
# gen.sh - (re)generate the tlskit test PKI in the directory this script lives in.
#
#   testdata/gen.sh           regenerate every fixture (new random keys), self-check, install
#   testdata/gen.sh --check   only check the committed fixtures (exist, parse, keys match,
#                             good chains verify, malformed inputs still malformed);
#                             regenerates nothing, exits non-zero on any problem
#   testdata/gen.sh --new     make only the fixtures added since the PKI was first
#                             committed (ADDED below) that are missing, signed by the
#                             committed CAs; every existing file stays as it is
#
# Everything is made with GnuTLS certtool from templates written to a temp dir.
# openssl is NOT needed: certtool 3.7.9 can sign with SHA-1 itself (--hash SHA1),
# so no case required falling back to openssl.
#
# Regenerating is idempotent in structure (same file set, names, serials, dates,
# SANs, extensions) but keys are random, so every file changes: commit them together.
# Nothing in the target directory is touched unless generation and the self-check
# both succeed.  See README.md for what each file is for.
set -euo pipefail

# certtool reads activation_date/expiration_date in the *local* time zone; pin UTC.
export TZ=UTC
export LC_ALL=C.UTF-8

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)

command -v certtool >/dev/null || { echo "gen.sh: certtool (gnutls-bin) not found" >&2; exit 1; }

# ---------------------------------------------------------------------------
# The fixture set.  Used by both generation and --check.
# ---------------------------------------------------------------------------
CAS=(ca intermediate other-ca)
# leaves whose NAME.crt is followed by intermediate.crt in NAME-chain.pem
CHAINED=(localhost-rsa localhost-ecdsa example-rsa example-ecdsa
         expired notyet wrongname rsa1024 sha1 wildcard idn ip-only
         client client-expired)
# leaves whose NAME-chain.pem holds the leaf only (the case is about the chain)
LEAF_ONLY_CHAIN=(selfsigned unknownca missing-intermediate aia)
# added later: made by generate_added(), which --new runs alone
ADDED=(aia)
# the AIA caIssuers URL in aia.crt: a name that never resolves (.test, RFC
# 6761) on a fixed port; tests map it with --resolve to a loopback address
AIA_URL=http://aia.tlskit.test:48080/tlskit/intermediate.der
# leaves with no chain file at all
NO_CHAIN=(client-other)
# positive cases: chain must verify against ca.crt (other-ca.crt for client-other)
GOOD=(localhost-rsa localhost-ecdsa example-rsa example-ecdsa wildcard idn ip-only client)

# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------
die() { echo "gen.sh: $*" >&2; exit 1; }

LOG=/dev/null
run() {  # run a command, keep its chatter in $LOG, show it on failure
    if ! "$@" >>"$LOG" 2>&1; then
        echo "gen.sh: command failed: $*" >&2
        tail -n 20 "$LOG" >&2
        exit 1
    fi
}

# genkey OUT rsa2048|rsa1024|ecdsa
genkey() {
    case $2 in
        rsa2048) run certtool --generate-privkey --key-type rsa --bits 2048 --no-text --outfile "$1" ;;
        rsa1024) run certtool --generate-privkey --key-type rsa --bits 1024 --no-text --outfile "$1" ;;
        ecdsa)   run certtool --generate-privkey --key-type ecdsa --curve secp256r1 --no-text --outfile "$1" ;;
        *) die "genkey: bad key type $2" ;;
    esac
}

# tmpl OUT CN SERIAL long|expired|notyet PROFILE [dns:NAME|ip:ADDR ...]
#   PROFILE: root | intermediate | server-rsa | server-ecdsa | client
tmpl() {
    local out=$1 cn=$2 serial=$3 validity=$4 profile=$5 san
    shift 5
    {
        printf 'cn = "%s"\n' "$cn"
        printf 'serial = %s\n' "$serial"
        case $validity in
            long)    echo 'activation_date = "2020-01-01 00:00:00"'
                     echo 'expiration_date = "2099-12-31 23:59:59"' ;;
            expired) echo 'activation_date = "2010-01-01 00:00:00"'
                     echo 'expiration_date = "2011-01-01 00:00:00"' ;;
            notyet)  echo 'activation_date = "2090-01-01 00:00:00"'
                     echo 'expiration_date = "2099-12-31 23:59:59"' ;;
            *) die "tmpl: bad validity $validity" ;;
        esac
        for san in "$@"; do
            case $san in
                dns:*) printf 'dns_name = "%s"\n' "${san#dns:}" ;;
                ip:*)  printf 'ip_address = "%s"\n' "${san#ip:}" ;;
                aia:*) printf 'ca_issuers_uri = "%s"\n' "${san#aia:}" ;;
                *) die "tmpl: bad SAN $san" ;;
            esac
        done
        # subject/authority key identifiers are added by certtool automatically
        case $profile in
            root)         printf '%s\n' ca cert_signing_key crl_signing_key ;;
            intermediate) printf '%s\n' ca cert_signing_key crl_signing_key 'path_len = 0' ;;
            server-rsa)   printf '%s\n' tls_www_server signing_key encryption_key ;;
            server-ecdsa) printf '%s\n' tls_www_server signing_key ;;  # no keyEncipherment for EC
            client)       printf '%s\n' tls_www_client signing_key ;;
            *) die "tmpl: bad profile $profile" ;;
        esac
    } >"$out"
}

# selfsign NAME          (NAME.key + $T/NAME.tmpl -> NAME.crt)
selfsign() {
    run certtool --generate-self-signed --hash SHA256 --no-text \
        --load-privkey "$1.key" --template "$T/$1.tmpl" --outfile "$1.crt"
}

# sign NAME ISSUER [HASH]   (NAME.key + $T/NAME.tmpl, signed by ISSUER.crt/.key -> NAME.crt)
sign() {
    run certtool --generate-certificate --hash "${3:-SHA256}" --no-text \
        --load-privkey "$1.key" --template "$T/$1.tmpl" \
        --load-ca-certificate "$2.crt" --load-ca-privkey "$2.key" --outfile "$1.crt"
}

LOCAL=(dns:localhost ip:127.0.0.1 ip:::1)
EXAMPLE=(dns:example.com dns:www.example.com)

# ---------------------------------------------------------------------------
# generation (into the current directory, which is a fresh temp dir)
# ---------------------------------------------------------------------------
generate() {
    # --- CAs -------------------------------------------------------------
    genkey ca.key rsa2048
    tmpl "$T/ca.tmpl" "tlskit Test Root CA" 1 long root
    selfsign ca

    genkey intermediate.key rsa2048
    tmpl "$T/intermediate.tmpl" "tlskit Test Intermediate CA" 2 long intermediate
    sign intermediate ca

    genkey other-ca.key rsa2048
    tmpl "$T/other-ca.tmpl" "tlskit Other Root CA" 3 long root
    selfsign other-ca

    cp ca.crt ca-bundle.pem

    # --- good server leaves (signed by the intermediate) -------------------
    genkey localhost-rsa.key rsa2048
    tmpl "$T/localhost-rsa.tmpl" localhost 1001 long server-rsa "${LOCAL[@]}"
    sign localhost-rsa intermediate

    genkey localhost-ecdsa.key ecdsa
    tmpl "$T/localhost-ecdsa.tmpl" localhost 1002 long server-ecdsa "${LOCAL[@]}"
    sign localhost-ecdsa intermediate

    genkey example-rsa.key rsa2048
    tmpl "$T/example-rsa.tmpl" example.com 1003 long server-rsa "${EXAMPLE[@]}"
    sign example-rsa intermediate

    genkey example-ecdsa.key ecdsa
    tmpl "$T/example-ecdsa.tmpl" example.com 1004 long server-ecdsa "${EXAMPLE[@]}"
    sign example-ecdsa intermediate

    # --- Twisted-style server.pem: key then self-signed cert ---------------
    genkey "$T/server.key" rsa2048
    tmpl "$T/server.tmpl" example.com 1005 long server-rsa \
        "${EXAMPLE[@]}" dns:localhost ip:127.0.0.1
    run certtool --generate-self-signed --hash SHA256 --no-text \
        --load-privkey "$T/server.key" --template "$T/server.tmpl" --outfile public.pem
    cat "$T/server.key" public.pem >server.pem

    # --- bad / edge-case server leaves ------------------------------------
    genkey expired.key rsa2048
    tmpl "$T/expired.tmpl" localhost 2001 expired server-rsa "${LOCAL[@]}"
    sign expired intermediate

    genkey notyet.key rsa2048
    tmpl "$T/notyet.tmpl" localhost 2002 notyet server-rsa "${LOCAL[@]}"
    sign notyet intermediate

    genkey wrongname.key rsa2048
    tmpl "$T/wrongname.tmpl" wrong.example.net 2003 long server-rsa dns:wrong.example.net
    sign wrongname intermediate

    genkey selfsigned.key rsa2048
    tmpl "$T/selfsigned.tmpl" localhost 2004 long server-rsa "${LOCAL[@]}"
    selfsign selfsigned

    genkey unknownca.key rsa2048
    tmpl "$T/unknownca.tmpl" localhost 2005 long server-rsa "${LOCAL[@]}"
    sign unknownca other-ca

    genkey missing-intermediate.key rsa2048
    tmpl "$T/missing-intermediate.tmpl" localhost 2006 long server-rsa "${LOCAL[@]}"
    sign missing-intermediate intermediate

    genkey rsa1024.key rsa1024
    tmpl "$T/rsa1024.tmpl" localhost 2007 long server-rsa "${LOCAL[@]}"
    sign rsa1024 intermediate

    genkey sha1.key rsa2048
    tmpl "$T/sha1.tmpl" localhost 2008 long server-rsa "${LOCAL[@]}"
    sign sha1 intermediate SHA1

    genkey wildcard.key rsa2048
    tmpl "$T/wildcard.tmpl" '*.example.com' 2009 long server-rsa 'dns:*.example.com'
    sign wildcard intermediate

    # IDN bücher.example: written directly as its A-label so the result does not
    # depend on certtool's libidn2 build or the locale.
    genkey idn.key rsa2048
    tmpl "$T/idn.tmpl" xn--bcher-kva.example 2010 long server-rsa \
        dns:xn--bcher-kva.example dns:localhost
    sign idn intermediate

    genkey ip-only.key rsa2048
    tmpl "$T/ip-only.tmpl" 127.0.0.1 2011 long server-rsa ip:127.0.0.1 ip:::1
    sign ip-only intermediate

    # --- client certificates ---------------------------------------------
    genkey client.key rsa2048
    tmpl "$T/client.tmpl" "tlskit test client" 3001 long client
    sign client intermediate

    genkey client-other.key rsa2048
    tmpl "$T/client-other.tmpl" "tlskit test client (other CA)" 3002 long client
    sign client-other other-ca

    genkey client-expired.key rsa2048
    tmpl "$T/client-expired.tmpl" "tlskit test client (expired)" 3003 expired client
    sign client-expired intermediate

    generate_added

    # --- chain files ------------------------------------------------------
    local n
    for n in "${CHAINED[@]}"; do cat "$n.crt" intermediate.crt >"$n-chain.pem"; done
    for n in "${LEAF_ONLY_CHAIN[@]}"; do cp "$n.crt" "$n-chain.pem"; done

    # --- DH parameters ----------------------------------------------------
    run certtool --generate-dh-params --sec-param medium --no-text --outfile dh.pem
    # a weak group, for testing that clients refuse it (tls-echo-server)
    run certtool --generate-dh-params --bits 1024 --no-text --outfile dh1024.pem

    # --- malformed inputs -------------------------------------------------
    printf 'this is not PEM\n' >garbage.pem
    : >empty.pem
    # BEGIN line + 9 full base64 lines + half of the 10th; no END line.
    awk 'NR <= 10 { print; next } { print substr($0, 1, 32); exit }' localhost-rsa.crt >truncated.pem
}

# Fixtures added after the first commit.  They need only the CAs, so --new
# can make them next to the committed PKI without touching it.
generate_added() {
    # a leaf that names its issuer's URL (AIA caIssuers, RFC 5280 4.2.2.1),
    # served without the intermediate: tls-check-cert --fix-chain fetches it
    genkey aia.key rsa2048
    tmpl "$T/aia.tmpl" localhost 2012 long server-rsa "${LOCAL[@]}" "aia:$AIA_URL"
    sign aia intermediate
    cp aia.crt aia-chain.pem
}

# every file the script owns
all_files() {
    local n
    for n in "${CAS[@]}"; do echo "$n.crt"; echo "$n.key"; done
    echo ca-bundle.pem
    for n in "${CHAINED[@]}"; do echo "$n.crt"; echo "$n.key"; echo "$n-chain.pem"; done
    for n in "${LEAF_ONLY_CHAIN[@]}"; do echo "$n.crt"; echo "$n.key"; echo "$n-chain.pem"; done
    for n in "${NO_CHAIN[@]}"; do echo "$n.crt"; echo "$n.key"; done
    printf '%s\n' server.pem public.pem dh.pem dh1024.pem garbage.pem truncated.pem empty.pem
}

# ---------------------------------------------------------------------------
# check (runs in the directory to check)
# ---------------------------------------------------------------------------
ERRORS=0
bad() { echo "FAIL: $*" >&2; ERRORS=$((ERRORS + 1)); }

ncerts() { grep -c -- '-----BEGIN CERTIFICATE-----' "$1" || true; }
cert_keyid() { certtool --key-id --hash sha256 --infile "$1" 2>/dev/null; }
key_keyid() {
    certtool --key-info --infile "$1" 2>/dev/null |
        sed -n 's/^[[:space:]]*sha256:\([0-9a-f]*\)$/\1/p' | head -n 1
}

check() {
    local f n want

    while read -r f; do
        [[ -e $f ]] || { bad "$f: missing"; continue; }
        case $f in
            empty.pem) [[ ! -s $f ]] || bad "$f: should be empty" ;;
            garbage.pem|truncated.pem)
                if certtool --certificate-info --infile "$f" >/dev/null 2>&1; then
                    bad "$f: parses as a certificate, should not"
                fi ;;
            dh.pem | dh1024.pem)
                certtool --dh-info --infile "$f" >/dev/null 2>&1 || bad "$f: DH params do not parse" ;;
            server.pem)
                certtool --key-info --infile "$f" >/dev/null 2>&1 || bad "$f: no parsable key"
                certtool --certificate-info --infile "$f" >/dev/null 2>&1 || bad "$f: no parsable cert"
                grep -q 'PRIVATE KEY-----' <(head -n 1 "$f") || bad "$f: key is not first" ;;
            *.key)
                certtool --key-info --infile "$f" >/dev/null 2>&1 || bad "$f: key does not parse" ;;
            *.crt|*.pem)
                certtool --certificate-info --infile "$f" >/dev/null 2>&1 || bad "$f: cert does not parse" ;;
        esac
    done < <(all_files)
    ((ERRORS == 0)) || return 0   # no point going on with missing/broken files

    # each .crt holds exactly one cert; chain files hold the expected number
    while read -r f; do
        case $f in *.crt|public.pem|ca-bundle.pem)
            [[ $(ncerts "$f") == 1 ]] || bad "$f: expected exactly 1 certificate" ;;
        esac
    done < <(all_files)
    for n in "${CHAINED[@]}"; do
        [[ $(ncerts "$n-chain.pem") == 2 ]] || bad "$n-chain.pem: expected leaf + intermediate"
    done
    for n in "${LEAF_ONLY_CHAIN[@]}"; do
        [[ $(ncerts "$n-chain.pem") == 1 ]] || bad "$n-chain.pem: expected leaf only"
    done
    cmp -s ca.crt ca-bundle.pem || bad "ca-bundle.pem differs from ca.crt"

    # every key matches its certificate
    for n in "${CAS[@]}" "${CHAINED[@]}" "${LEAF_ONLY_CHAIN[@]}" "${NO_CHAIN[@]}"; do
        want=$(cert_keyid "$n.crt")
        [[ -n $want && $want == "$(key_keyid "$n.key")" ]] || bad "$n.key does not match $n.crt"
    done
    [[ $(cert_keyid public.pem) == "$(key_keyid server.pem)" ]] || bad "server.pem: key does not match cert"
    cmp -s public.pem <(sed -n '/-----BEGIN CERTIFICATE-----/,$p' server.pem) ||
        bad "public.pem is not the certificate in server.pem"

    # positive cases verify (dates are good until 2099)
    for n in "${GOOD[@]}"; do
        certtool --verify --load-ca-certificate ca.crt --infile "$n-chain.pem" >/dev/null 2>&1 ||
            bad "$n-chain.pem does not verify against ca.crt"
    done
    certtool --verify --load-ca-certificate other-ca.crt --infile client-other.crt >/dev/null 2>&1 ||
        bad "client-other.crt does not verify against other-ca.crt"
    certtool --verify --load-ca-certificate ca.crt --infile intermediate.crt >/dev/null 2>&1 ||
        bad "intermediate.crt does not verify against ca.crt"
}

# ---------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------
case ${1:-} in
    --check)
        cd "$HERE"
        check
        if ((ERRORS)); then echo "gen.sh --check: $ERRORS problem(s)" >&2; exit 1; fi
        echo "gen.sh --check: $(all_files | wc -l) files OK"
        ;;
    --new)
        WORK=$(mktemp -d "${TMPDIR:-/tmp}/tlskit-testdata.XXXXXX")
        trap 'rm -rf -- "$WORK"' EXIT
        T=$WORK/tmpl
        mkdir -p "$T" "$WORK/out"
        LOG=$WORK/certtool.log
        : >"$LOG"
        cd "$WORK/out"
        for f in ca.crt ca.key intermediate.crt intermediate.key; do
            cp -- "$HERE/$f" .
        done
        generate_added
        for n in "${ADDED[@]}"; do
            for f in "$n.crt" "$n.key" "$n-chain.pem"; do
                if [[ -e $HERE/$f ]]; then
                    echo "gen.sh: $f exists, kept" >&2
                else
                    chmod 0644 "$f"
                    cp -- "$f" "$HERE/$f"
                    echo "gen.sh: wrote $f"
                fi
            done
        done
        cd "$HERE"
        check
        if ((ERRORS)); then echo "gen.sh --new: $ERRORS problem(s)" >&2; exit 1; fi
        ;;
    "")
        WORK=$(mktemp -d "${TMPDIR:-/tmp}/tlskit-testdata.XXXXXX")
        trap 'rm -rf -- "$WORK"' EXIT
        T=$WORK/tmpl
        mkdir -p "$T" "$WORK/out"
        LOG=$WORK/certtool.log
        : >"$LOG"
        cd "$WORK/out"
        generate
        check
        if ((ERRORS)); then echo "gen.sh: self-check of the new files failed; nothing installed" >&2; exit 1; fi
        diff <(find . -mindepth 1 -printf '%P\n' | sort) <(all_files | sort) >&2 ||
            die "generated file set differs from the expected list"
        chmod 0644 ./*
        while read -r f; do cp -- "$f" "$HERE/$f"; done < <(all_files)
        echo "gen.sh: wrote $(all_files | wc -l) files to $HERE"
        ;;
    -h|--help)
        sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
        ;;
    *)
        echo "usage: $0 [--check]" >&2
        exit 2
        ;;
esac
