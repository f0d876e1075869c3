#!/usr/bin/env bats
# tls-scan (issue #15) against six differently configured real servers:
# its accepted versions and suites per version agree with sslscan's and
# testssl.sh's (and nmap ssl-enum-ciphers', a third opinion).  Every
# difference is in a named allow-list per server, with which tool is right
# and why; tk_scan_diff fails on an unexplained difference and on an
# explained one that no longer occurs.
#
# Slow by nature (testssl.sh needs about 40 s per server; the file takes
# about 3 minutes on 2 cores): every server is started once and every
# scanner run once per server, two servers at a time, all in setup_file,
# their normalized reports cached in $BATS_FILE_TMPDIR.  The
# ASan pass of scripts/test.sh skips this file: the agreement of three
# tools does not depend on tlskit's memory checks (tests/scan.bats runs
# tls-scan under ASan).

load lib

# the servers: NAME START-FUNCTION [smtp]
SCAN_SERVERS=(
	"nginx_pref tk_scan_start_nginx_pref"
	"nginx_legacy tk_scan_start_nginx_legacy"
	"openssl_legacy tk_scan_start_openssl_legacy"
	"gnutls_legacy tk_scan_start_gnutls_legacy"
	"echo tk_scan_start_echo"
	"smtp tk_scan_start_smtp smtp"
)

setup_file() {
	local BATS_TEST_TMPDIR=$BATS_FILE_TMPDIR d=$BATS_FILE_TMPDIR s name
	local start st pids=() t0=$SECONDS

	TK_PIDS=$d/servers.pids
	: >"$TK_PIDS"
	for s in "${SCAN_SERVERS[@]}"; do
		read -r name start st <<<"$s"
		"$start" "$name"
		echo "$name $PORT $st" >>"$d/ports"
	done
	# two servers' scans at a time: the machine has 2 cores and
	# testssl.sh is the bottleneck
	while read -r name port st; do
		tk_scan_all "$d" "$name" "$port" "$st" 3>&- &
		pids+=($!)
		if ((${#pids[@]} == 2)); then
			wait "${pids[@]}"
			pids=()
		fi
	done <"$d/ports"
	((${#pids[@]} == 0)) || wait "${pids[@]}"
	echo "setup_file: $((SECONDS - t0)) s" >"$d/time"
	export TK_PIDS
}

teardown_file() {
	local BATS_TEST_COMPLETED=1

	TK_PIDS=$BATS_FILE_TMPDIR/servers.pids tk_stop_servers
	cat "$BATS_FILE_TMPDIR/time" >&3 2>/dev/null || true
}

setup() {
	tk_setup
}

teardown() {
	:
}

# tool_ok NAME TOOL: TOOL's report of server NAME was normalized.
tool_ok() {
	local f=$BATS_FILE_TMPDIR/$1.$2

	if [[ -e $f.failed || ! -s $f.suites ]]; then
		fail "$2 against $1 failed: $(cat "$f.out.txt" 2>/dev/null)"
	fi
}

# agree NAME A B WHAT ALLOW: the WHAT (versions or suites) of tools A and
# B against server NAME differ by exactly ALLOW.
agree() {
	tool_ok "$1" "$2"
	tool_ok "$1" "$3"
	tk_scan_diff "$BATS_FILE_TMPDIR/$1.$2.$4" "$BATS_FILE_TMPDIR/$1.$3.$4" "$5"
}

# The allow-lists, one per server and pair of tools ("< LINE": only the
# first tool lists it, "> LINE": only the second).  A difference not
# listed here fails, and so does a listed one that is no longer seen.

# tls-echo-server (defaults) and its SMTP side: GnuTLS 3.7 without
# --dh-params negotiates DHE only in the RFC 7919 way, with an FFDHE group
# the client offered in supported_groups (a client offering none gets no
# DHE suite).  sslscan's hellos (OpenSSL 3.0's TLS 1.2 list, its own
# sockets) offer no FFDHE group, so it misses the seven DHE-RSA suites;
# testssl.sh and nmap offer ffdhe2048 and see them.  Right: testssl.sh,
# nmap and tls-scan: a client that offers FFDHE groups gets these suites,
# so the server accepts them.
DHE_7919_MISSED_BY_SSLSCAN='
	> TLS1.0 0x0033
	> TLS1.0 0x0039
	> TLS1.1 0x0033
	> TLS1.1 0x0039
	> TLS1.2 0x0033
	> TLS1.2 0x0039
	> TLS1.2 0x009E
	> TLS1.2 0x009F
	> TLS1.2 0xC09E
	> TLS1.2 0xC09F
	> TLS1.2 0xCCAA
'

# allow NAME A B: the allow-list of server NAME for tools A and B
allow() {
	case $1/$2/$3 in
	echo/sslscan/testssl | smtp/sslscan/testssl | \
	    echo/sslscan/tlsscan | smtp/sslscan/tlsscan)
		echo "$DHE_7919_MISSED_BY_SSLSCAN"
		;;
	esac
}

# check NAME A B: tools A and B agree on server NAME's versions and suites
# but for allow's list.
check() {
	agree "$1" "$2" "$3" versions ''
	agree "$1" "$2" "$3" suites "$(allow "$@")"
}

# tls-scan's own claims about server NAME: it could tell every version
# (no null), and it exits as its verdict says (0 ok, 1 a check failed, 5
# warnings only).
scan_sane() {
	local f=$BATS_FILE_TMPDIR/$1.tlsscan.out rc

	tool_ok "$1" tlsscan
	rc=$(cat "$f.rc")
	jq -e '.protocols | length == 6 and all(.[]; . != null)' "$f" >/dev/null ||
	    fail "tls-scan could not tell every version: $(jq -c .protocols "$f")"
	case $(jq -r .verdict "$f") in
	ok) [[ $rc == 0 ]] ;;
	warning) [[ $rc == 5 ]] ;;
	fail) [[ $rc == 1 ]] ;;
	*) false ;;
	esac || fail "verdict $(jq -r .verdict "$f") with exit $rc: $(cat "$f.txt")"
}

# order NAME: tls-scan and nmap (which finds the order by elimination, as
# tls-scan does) agree on whether each version has a server order, and
# on that order.
order() {
	local d=$BATS_FILE_TMPDIR/$1

	tool_ok "$1" tlsscan
	tool_ok "$1" nmap
	tk_scan_tlsscan_order "$d.tlsscan.out" >"$d.tlsscan.order"
	tk_scan_nmap_order "$d.nmap.out" >"$d.nmap.order"
	diff -u "$d.nmap.order" "$d.tlsscan.order" ||
	    fail "server order: nmap (-) vs tls-scan (+)"
}

# --- nginx: TLS 1.2 and 1.3, a chosen list, the server's order, RSA and
# ECDSA certificates ---------------------------------------------------------

@test "nginx (server order, RSA+ECDSA): sslscan and testssl.sh agree" {
	check nginx_pref sslscan testssl
}

@test "nginx (server order, RSA+ECDSA): nmap and testssl.sh agree" {
	check nginx_pref nmap testssl
}

@test "nginx (server order, RSA+ECDSA): tls-scan agrees with sslscan" {
	check nginx_pref sslscan tlsscan
}

@test "nginx (server order, RSA+ECDSA): tls-scan agrees with testssl.sh" {
	check nginx_pref testssl tlsscan
}

@test "nginx (server order, RSA+ECDSA): tls-scan's server order is nmap's" {
	scan_sane nginx_pref
	order nginx_pref
}

@test "nginx (server order, RSA+ECDSA): tls-scan finds both certificates" {
	local f=$BATS_FILE_TMPDIR/nginx_pref.tlsscan.out

	tool_ok nginx_pref tlsscan
	tk_jqx '[.certificates[] | select(.served) | .key_type] | unique == ["ecdsa", "rsa"]' "$(cat "$f")"
}

# --- nginx: TLS 1.0 to 1.3, DEFAULT at SECLEVEL 0, the client's order ------

@test "nginx (legacy, client order): sslscan and testssl.sh agree" {
	check nginx_legacy sslscan testssl
}

@test "nginx (legacy, client order): nmap and testssl.sh agree" {
	check nginx_legacy nmap testssl
}

@test "nginx (legacy, client order): tls-scan agrees with sslscan" {
	check nginx_legacy sslscan tlsscan
}

@test "nginx (legacy, client order): tls-scan agrees with testssl.sh" {
	check nginx_legacy testssl tlsscan
}

@test "nginx (legacy, client order): tls-scan sees no server order, as nmap" {
	scan_sane nginx_legacy
	order nginx_legacy
}

# --- openssl s_server: ALL at SECLEVEL 0 (anonymous suites too), TLS 1.0
# to 1.2, DHE 1024 -----------------------------------------------------------

@test "openssl s_server (ALL:@SECLEVEL=0): sslscan and testssl.sh agree" {
	check openssl_legacy sslscan testssl
}

@test "openssl s_server (ALL:@SECLEVEL=0): nmap and testssl.sh agree" {
	check openssl_legacy nmap testssl
}

@test "openssl s_server (ALL:@SECLEVEL=0): tls-scan agrees with sslscan" {
	check openssl_legacy sslscan tlsscan
}

@test "openssl s_server (ALL:@SECLEVEL=0): tls-scan agrees with testssl.sh" {
	check openssl_legacy testssl tlsscan
}

@test "openssl s_server (ALL:@SECLEVEL=0): tls-scan's server order is nmap's" {
	scan_sane openssl_legacy
	order openssl_legacy
}

@test "openssl s_server (ALL:@SECLEVEL=0): tls-scan fails it (old versions, anonymous suites, DH 1024)" {
	local f=$BATS_FILE_TMPDIR/openssl_legacy.tlsscan.out

	tool_ok openssl_legacy tlsscan
	assert_equal "$(cat "$f.rc")" 1
	tk_jqx '.verdict == "fail" and .dh_bits == 1024' "$(cat "$f")"
}

# --- gnutls-serv: +TLS 1.0/1.1, 3DES, RC4, DHE-RSA, the server's order -----

@test "gnutls-serv (3DES, RC4, DHE 1024): sslscan and testssl.sh agree" {
	check gnutls_legacy sslscan testssl
}

@test "gnutls-serv (3DES, RC4, DHE 1024): nmap and testssl.sh agree" {
	check gnutls_legacy nmap testssl
}

@test "gnutls-serv (3DES, RC4, DHE 1024): tls-scan agrees with sslscan" {
	check gnutls_legacy sslscan tlsscan
}

@test "gnutls-serv (3DES, RC4, DHE 1024): tls-scan agrees with testssl.sh" {
	check gnutls_legacy testssl tlsscan
}

@test "gnutls-serv (3DES, RC4, DHE 1024): tls-scan's server order is nmap's" {
	scan_sane gnutls_legacy
	order gnutls_legacy
}

# --- tls-echo-server with its defaults (GnuTLS NORMAL: TLS 1.0 to 1.3) -----

@test "tls-echo-server (defaults): sslscan and testssl.sh agree but for RFC 7919 DHE" {
	check echo sslscan testssl
}

@test "tls-echo-server (defaults): nmap and testssl.sh agree" {
	check echo nmap testssl
}

@test "tls-echo-server (defaults): tls-scan agrees with sslscan but for RFC 7919 DHE" {
	check echo sslscan tlsscan
}

@test "tls-echo-server (defaults): tls-scan agrees with testssl.sh" {
	check echo testssl tlsscan
}

@test "tls-echo-server (defaults): tls-scan sees no server order, as nmap" {
	scan_sane echo
	order echo
}

# --- tls-echo-server --starttls smtp ----------------------------------------
# nmap is left out here: ssl-enum-ciphers speaks STARTTLS only on a port it
# knows as SMTP (25, 465, 587) or after service detection (-sV), which
# costs about 25 s of probe timeouts on this server.

@test "tls-echo-server --starttls smtp: sslscan and testssl.sh agree but for RFC 7919 DHE" {
	check smtp sslscan testssl
}

@test "tls-echo-server --starttls smtp: tls-scan agrees with sslscan but for RFC 7919 DHE" {
	check smtp sslscan tlsscan
}

@test "tls-echo-server --starttls smtp: tls-scan agrees with testssl.sh" {
	check smtp testssl tlsscan
}

@test "tls-echo-server --starttls smtp: tls-scan's suites are the same as over direct TLS" {
	scan_sane smtp
	tool_ok echo tlsscan
	tk_scan_diff "$BATS_FILE_TMPDIR/echo.tlsscan.suites" \
	    "$BATS_FILE_TMPDIR/smtp.tlsscan.suites" ''
}
