#!/usr/bin/env bats
# lib/scanhs.c, tls-scan's probes over completed GnuTLS handshakes, through
# the test driver tests/scanhs_probe (one line of key=value per probe)
# against real peers, each outcome both ways: nginx with RSA, ECDSA and
# Ed25519 chains (no TLS 1.3 in Debian 12's nginx 1.22 defaults), openssl
# s_server with RSA and ECDSA chains (tickets; client renegotiation refused,
# OpenSSL 3.0's default) and with -no_ticket -client_renegotiation,
# gnutls-serv with --earlydata and with --noticket and a priority string
# without RFC 5746, RFC 7627 and AEAD-first, and tls-echo-server (no
# session cache, no tickets; plain, behind SMTP STARTTLS, and serving a
# chain for another name), and a Python ssl server that stops reading after
# the handshake.  The servers
# start once for the file (setup_file) and are stopped by PID.

load lib

setup_file() {
	BATS_TEST_TMPDIR=$BATS_FILE_TMPDIR
	TK_PIDS=$BATS_FILE_TMPDIR/servers.pids
	: >"$TK_PIDS"
	tk_start_echo echo
	export ECHO_PORT=$PORT
	tk_start_echo smtp --starttls smtp
	export SMTP_PORT=$PORT
	tk_start_echo wrong --cert "$TESTDATA/wrongname-chain.pem" \
	    --key "$TESTDATA/wrongname.key"
	export WRONG_PORT=$PORT
	tk_start_openssl osl \
	    -dcert "$TESTDATA/localhost-ecdsa.crt" \
	    -dcert_chain "$TESTDATA/intermediate.crt" \
	    -dkey "$TESTDATA/localhost-ecdsa.key"
	export OSL_PORT=$PORT
	tk_start_openssl oslr -no_ticket -client_renegotiation
	export OSLR_PORT=$PORT
	tk_start_gnutls gt --earlydata
	export GT_PORT=$PORT
	# TLS 1.2 picks CBC (server order) so that encrypt-then-MAC applies
	tk_start_gnutls gnt --noticket --priority \
	    'NORMAL:%DISABLE_SAFE_RENEGOTIATION:%NO_SESSION_HASH:-CIPHER-ALL:+AES-128-CBC:+AES-128-GCM:%SERVER_PRECEDENCE'
	export GNT_PORT=$PORT
	# completes the handshake, then never reads: a renegotiation
	# waits unanswered
	tk_start_server mute "$TK_PYTHON" -c '
import socket, ssl, sys, threading
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(16)
print("listening on 127.0.0.1:%d" % ls.getsockname()[1], flush=True)
held = []
def serve(c):
    try:
        held.append(ctx.wrap_socket(c, server_side=True))
    except (OSError, ssl.SSLError):
        c.close()
while True:
    c, _ = ls.accept()
    c.settimeout(10)
    threading.Thread(target=serve, args=(c,), daemon=True).start()
' "$TESTDATA/localhost-rsa-chain.pem" "$TESTDATA/localhost-rsa.key"
	export MUTE_PORT=$PORT
	TK_NGINX_TEMPLATE=$TK_PEERS/nginx-scan.conf.in tk_start_nginx nginx
	export NGINX_PORT=$PORT
	export TK_FILE_PIDS=$TK_PIDS
}

teardown_file() {
	BATS_TEST_TMPDIR=$BATS_FILE_TMPDIR
	TK_PIDS=$TK_FILE_PIDS
	BATS_TEST_COMPLETED=1 tk_stop_servers
}

# probe PORT KIND [ARGS...]: one probe, its line in $output
probe() {
	local port=$1 kind=$2

	shift 2
	timeout 60 "$TK_BUILD/tests/scanhs_probe" "$port" "$kind" "$TK_CA" "$@"
}

@test "certificate: each key type's chain where the server has one (nginx: RSA, ECDSA, Ed25519), no without one (no error), with and without SNI" {
	run -0 probe "$NGINX_PORT" certificate rsa
	assert_output --regexp '^kind=certificate yes=yes .* sni=localhost version=TLS1.2 leaf=RSA conns=1 cls=ok '
	run -0 probe "$NGINX_PORT" certificate ecdsa
	assert_output --regexp ' yes=yes .* leaf=ECDSA conns=1 cls=ok '
	run -0 probe "$NGINX_PORT" certificate ed25519
	assert_output --regexp ' yes=yes .* leaf=Ed25519 conns=1 cls=ok '
	run -0 probe "$NGINX_PORT" certificate ecdsa no-sni
	assert_output --regexp ' yes=yes .* sni=- version=TLS1.2 leaf=ECDSA '
	# openssl with RSA and ECDSA, over TLS 1.3: picked by signature
	run -0 probe "$OSL_PORT" certificate ecdsa
	assert_output --regexp ' yes=yes .* version=TLS1.3 leaf=ECDSA conns=1 cls=ok '
	run -0 probe "$OSL_PORT" certificate ed25519
	assert_output --regexp '^kind=certificate yes=no .* leaf=- conns=1 cls=ok why=no certificate for that key type: '
	run -0 probe "$ECHO_PORT" certificate ecdsa
	assert_output --regexp ' yes=no .* cls=ok why=no certificate for that key type'
	run -0 probe "$ECHO_PORT" certificate rsa
	assert_output --regexp ' yes=yes .* leaf=RSA conns=1 cls=ok '
}

@test "certificate: through SMTP STARTTLS, the chain judged by the one engine" {
	run -0 probe "$SMTP_PORT" certificate rsa starttls=smtp
	assert_output --regexp ' yes=yes .* leaf=RSA conns=1 cls=ok '
	run -0 probe "$SMTP_PORT" certificate ecdsa starttls=smtp
	assert_output --regexp ' yes=no .* cls=ok '
}

@test "certificate: a chain the engine refuses is still served (yes, class check); the other probes keep the session (verdict skipped)" {
	run -0 probe "$WRONG_PORT" certificate rsa
	assert_output --regexp ' yes=yes .* leaf=RSA conns=1 cls=check '
	run -0 probe "$WRONG_PORT" renegotiation
	assert_output --regexp ' yes=no .* secure_reneg=yes .* leaf=RSA conns=1 cls=ok '
}

@test "session-id: resumed by openssl's cache, not by tls-echo-server (a full handshake) nor nginx (no cache configured)" {
	run -0 probe "$OSL_PORT" session-id
	assert_output --regexp '^kind=session-id yes=yes .* version=TLS1.2 .* conns=2 cls=ok why=-$'
	run -0 probe "$OSLR_PORT" session-id
	assert_output --regexp ' yes=yes .* conns=2 '
	run -0 probe "$ECHO_PORT" session-id
	assert_output --regexp ' yes=no .* conns=2 cls=ok why=the server answered with a full handshake$'
	run -0 probe "$NGINX_PORT" session-id
	assert_output --regexp ' yes=no .* conns=2 cls=ok '
}

@test "session-ticket: resumed by gnutls-serv, openssl and nginx; none from -no_ticket, --noticket or tls-echo-server (one connection)" {
	run -0 probe "$GT_PORT" session-ticket
	assert_output --regexp '^kind=session-ticket yes=yes .* conns=2 cls=ok '
	run -0 probe "$OSL_PORT" session-ticket
	assert_output --regexp ' yes=yes .* conns=2 '
	run -0 probe "$NGINX_PORT" session-ticket
	assert_output --regexp ' yes=yes .* conns=2 '
	run -0 probe "$OSLR_PORT" session-ticket
	assert_output --regexp ' yes=no .* conns=1 cls=ok why=the server sent no session ticket \(RFC 5077\)$'
	run -0 probe "$GNT_PORT" session-ticket
	assert_output --regexp ' yes=no .* conns=1 '
	run -0 probe "$ECHO_PORT" session-ticket
	assert_output --regexp ' yes=no .* conns=1 '
}

@test "psk: TLS 1.3 resumption and 0-RTT: gnutls-serv --earlydata takes both, openssl resumes without 0-RTT, --noticket sends no ticket, nginx speaks no TLS 1.3 (no, not an error)" {
	run -0 probe "$GT_PORT" psk
	assert_output --regexp '^kind=psk yes=yes early=yes .* version=TLS1.3 .* conns=2 cls=ok why=-$'
	run -0 probe "$OSL_PORT" psk
	assert_output --regexp '^kind=psk yes=yes early=no .* conns=2 cls=ok why=resumed without 0-RTT: '
	# OpenSSL's TLS 1.3 tickets without -no_ticket's stateless ones
	run -0 probe "$OSLR_PORT" psk
	assert_output --regexp ' yes=yes .* conns=2 '
	run -0 probe "$GNT_PORT" psk
	assert_output --regexp ' yes=no early=unknown .* conns=1 cls=ok why=no session ticket within 1 s after the handshake$'
	run -0 probe "$NGINX_PORT" psk
	assert_output --regexp ' yes=no .* conns=1 cls=ok why=the server does not speak TLS 1.3: '
}

@test "renegotiation: client-initiated accepted by -client_renegotiation and gnutls-serv, refused by openssl's default (no_renegotiation) and tls-echo-server; RFC 5746 yes or no" {
	run -0 probe "$OSLR_PORT" renegotiation
	assert_output --regexp '^kind=renegotiation yes=yes early=unknown secure_reneg=yes .* conns=1 cls=ok why=-$'
	run -0 probe "$OSL_PORT" renegotiation
	assert_output --regexp ' yes=no early=unknown secure_reneg=yes .* why=refused: the server refused renegotiation: alert '
	run -0 probe "$GNT_PORT" renegotiation
	assert_output --regexp ' yes=yes early=unknown secure_reneg=no '
	run -0 probe "$ECHO_PORT" renegotiation
	assert_output --regexp ' yes=no .* secure_reneg=yes .* why=refused: '
	run -0 probe "$SMTP_PORT" renegotiation starttls=smtp
	assert_output --regexp ' yes=no .* secure_reneg=yes '
}

@test "renegotiation: a server that never answers the new ClientHello refuses it, within the probe's bound" {
	run -0 probe "$MUTE_PORT" renegotiation
	assert_output --regexp '^kind=renegotiation yes=no .* secure_reneg=yes .* conns=1 cls=ok why=no answer to the renegotiation within 2 s$'
}

@test "ems and etm from the first TLS 1.2 handshake: yes from openssl (AEAD: no EtM), no EMS and EtM on CBC from gnutls-serv, unknown over TLS 1.3" {
	run -0 probe "$OSL_PORT" session-id
	assert_output --regexp ' ems=yes etm=no '
	run -0 probe "$GNT_PORT" session-id
	assert_output --regexp ' ems=no etm=yes '
	run -0 probe "$GT_PORT" certificate rsa
	assert_output --regexp ' ems=unknown etm=unknown .* version=TLS1.3 '
}

@test "sigalgs-tls13: by elimination, what each server signs with (RSA-PSS only; ECDSA and RSA-PSS), no without TLS 1.3" {
	run -0 probe "$GT_PORT" sigalgs-tls13
	assert_output --regexp '^kind=sigalgs-tls13 yes=yes .* sigalgs=rsa_pss_rsae_sha256,rsa_pss_rsae_sha384,rsa_pss_rsae_sha512 .* conns=4 cls=ok '
	run -0 probe "$OSL_PORT" sigalgs-tls13
	assert_output --regexp ' sigalgs=([a-z0-9_]+,)*ecdsa_secp256r1_sha256(,[a-z0-9_]+)* '
	assert_output --regexp ' sigalgs=([a-z0-9_]+,)*rsa_pss_rsae_sha512(,[a-z0-9_]+)* .* conns=5 '
	run -0 probe "$NGINX_PORT" sigalgs-tls13
	assert_output --regexp ' yes=no .* sigalgs= .* conns=1 cls=ok why=the server does not speak TLS 1.3'
}

@test "a refused connection: unknown with the reason, the error class kept" {
	tk_closed_port
	run -0 probe "$CLOSED_PORT" session-id
	assert_output --regexp '^kind=session-id yes=unknown .* conns=1 cls=network why=the first connection failed: cannot connect'
}
