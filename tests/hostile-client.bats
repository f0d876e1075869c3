#!/usr/bin/env bats
# Hostile servers against the client tools (issue 7): a server that
# accepts and never answers, one that sends a TLS alert at once, one that
# resets, one that sends 10 MiB of garbage without a newline, and a TLS
# server with a chain of 200 certificates.  Each case: the right exit
# code, exactly one stderr line, finished within --timeout plus a margin.
# STARTTLS hostile servers live in the STARTTLS suite.

load lib

HOSTILE=$BATS_TEST_DIRNAME/peers/hostile.py

# hostile KIND: start tests/peers/hostile.py server KIND; sets PORT.
hostile() {
	tk_start_server "hostile-$1" "$TK_PYTHON" "$HOSTILE" server "$1"
}

# bounded CODES MAXSECS CMD...: run CMD; its status is one of CODES
# (space separated), stderr has exactly one line, it took <= MAXSECS.
bounded() {
	local codes=$1 max=$2 t0 took

	shift 2
	t0=$SECONDS
	run --separate-stderr timeout 60 "$@"
	took=$((SECONDS - t0))
	[[ " $codes " == *" $status "* ]] ||
	    fail "$1: status $status, want one of: $codes; stderr: $stderr"
	((took <= max)) || fail "$1: took ${took}s, bound ${max}s"
	[[ -n $stderr && $(wc -l <<<"$stderr") == 1 ]] ||
	    fail "$1: want exactly one stderr line, got: $stderr"
}

each_tool() {
	local codes=$1 max=$2

	bounded "$codes" "$max" "$TK_CLIENT" --timeout 2 --ca "$TESTDATA/ca.crt" \
	    -m hi "127.0.0.1:$PORT"
	bounded "$codes" "$max" "$TK_CHECK" --timeout 2 --ca "$TESTDATA/ca.crt" \
	    "127.0.0.1:$PORT"
	bounded "$codes" "$max" "$TK_PROBE" --timeout 2 --ca "$TESTDATA/ca.crt" \
	    --alpn h2,http/1.1 "127.0.0.1:$PORT"
}

@test "hostile server: accepts and never answers: 3 or 4 within --timeout" {
	hostile silent
	each_tool "3 4" 8
}

@test "hostile server: a fatal TLS alert at once: exit 4" {
	hostile alert
	each_tool "4" 8
}

@test "hostile server: reset on accept: exit 3 or 4" {
	hostile reset
	each_tool "3 4" 8
}

@test "hostile server: 10 MiB of garbage without a newline: exit 3 or 4, bounded" {
	hostile garbage
	each_tool "3 4" 8
}

@test "hostile server: a chain of 200 certificates: tls-check-cert exits 1, memory bounded" {
	local d=$BATS_TEST_TMPDIR/chain
	mkdir "$d"
	"$TK_PYTHON" - "$d" <<'PY'
import subprocess, sys
d = sys.argv[1]
def run(*a):
    subprocess.run(a, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
# 200 self-issued intermediates chained under one another, leaf last
run("openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", d + "/k.pem")
run("openssl", "req", "-x509", "-new", "-key", d + "/k.pem", "-subj", "/CN=c0",
    "-days", "30", "-out", d + "/c0.pem", "-addext", "basicConstraints=critical,CA:TRUE")
ext = d + "/ext.cnf"
open(ext, "w").write("[ca]\nbasicConstraints=critical,CA:TRUE\n[leaf]\nsubjectAltName=DNS:localhost\n")
for i in range(1, 200):
    sect = "leaf" if i == 199 else "ca"
    cn = "localhost" if i == 199 else "c%d" % i
    run("openssl", "req", "-new", "-key", d + "/k.pem", "-subj", "/CN=" + cn,
        "-out", d + "/r.csr")
    run("openssl", "x509", "-req", "-in", d + "/r.csr", "-CA", d + "/c%d.pem" % (i - 1),
        "-CAkey", d + "/k.pem", "-set_serial", str(i), "-days", "30",
        "-extfile", ext, "-extensions", sect, "-out", d + "/c%d.pem" % i)
with open(d + "/chain.pem", "w") as f:
    for i in range(198, -1, -1):
        f.write(open(d + "/c%d.pem" % i).read())
PY
	tk_start_peer big openssl s_server -accept 0 -naccept 10 \
	    -cert "$d/c199.pem" -key "$d/k.pem" -cert_chain "$d/chain.pem" -quiet
	# memory capped at 1 GiB, except under AddressSanitizer, which
	# reserves terabytes of shadow memory (its own checks bound it there)
	local cap=()
	if ! ldd "$TK_CHECK" 2>/dev/null | grep -q libasan; then
		# shellcheck disable=SC2016 # expanded by the inner bash
		cap=(bash -c 'ulimit -v 1048576; exec "$@"' _)
	fi
	bounded "1" 15 "${cap[@]}" "$TK_CHECK" \
	    --timeout 5 --ca "$TESTDATA/ca.crt" --hostname localhost \
	    "127.0.0.1:$PORT"
}
