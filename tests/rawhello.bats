#!/usr/bin/env bats
# lib/rawhello.c against a real server on loopback: tests/rawhello_probe
# (a test driver, not a tool) sends a raw ClientHello and reads the reply
# up to the ServerHello or alert.  The groundwork of tls-scan (issue #15).
# One server, kept cheap: the byte-level cases, and the replies of
# gnutls-serv, are tests/unit/test_rawhello.c's.

load lib

PROBE=$TK_BUILD/tests/rawhello_probe

@test "rawhello: openssl s_server: TLS 1.3 and 1.2 ServerHellos, RC4/export and SSL 2.0 refused by alert" {
	[[ -x $PROBE ]] || fail "$PROBE is not built"
	tk_start_openssl oss -alpn http/1.1
	run -0 "$PROBE" "$PORT" tls13
	assert_line kind=server-hello
	assert_line version=0x0304
	assert_line suite=TLS_AES_128_GCM_SHA256
	assert_line key_share=0x001d
	run -0 "$PROBE" "$PORT" tls12
	assert_line kind=server-hello
	assert_line version=0x0303
	assert_line suite=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
	assert_line reneg_info=1
	assert_line ems=1
	assert_line alpn=http/1.1
	run -0 "$PROBE" "$PORT" tls12-rc4
	assert_line kind=alert
	assert_line alert=2.40
	run -0 "$PROBE" "$PORT" ssl2
	assert_line kind=alert
}
