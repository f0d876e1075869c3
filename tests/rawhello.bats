#!/usr/bin/env bats
# lib/rawhello.c against a real server on loopback: tests/rawhello_probe
# (a test driver, not a tool) sends a raw ClientHello and reads the reply
# up to the ServerHello or alert, and a TLS <= 1.2 flight on to the
# ServerHelloDone.  The groundwork of tls-scan (issue #15).  Two servers,
# kept cheap: the byte-level cases, and the replies of gnutls-serv, are
# tests/unit/test_rawhello.c's.

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
	assert_line flight=done
	assert_line ske_group=0x001d
	run -0 "$PROBE" "$PORT" tls12-rc4
	assert_line kind=alert
	assert_line alert=2.40
	run -0 "$PROBE" "$PORT" ssl2
	assert_line kind=alert
}

@test "rawhello: openssl s_server -groups secp384r1 -dhparam 1024: the flight's SKE names the group and DH size; an empty key_share gets an HRR" {
	[[ -x $PROBE ]] || fail "$PROBE is not built"
	tk_start_openssl oss -groups secp384r1 -dhparam "$TESTDATA/dh1024.pem"
	run -0 "$PROBE" "$PORT" tls12
	assert_line kind=server-hello
	assert_line suite=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
	assert_line flight=done
	assert_line ncerts=2
	assert_line ske=1
	assert_line ske_curve_type=3
	assert_line ske_group=0x0018
	assert_line ske_sigalg=0x0804
	run -0 "$PROBE" "$PORT" tls12-dhe
	assert_line suite=TLS_DHE_RSA_WITH_AES_128_GCM_SHA256
	assert_line flight=done
	assert_line ske_dh_bits=1024
	assert_line ske_group=0x0000
	run -0 "$PROBE" "$PORT" tls12-rsa
	assert_line suite=TLS_RSA_WITH_AES_128_GCM_SHA256
	assert_line flight=done
	assert_line ske=0
	# RFC 8446 4.2.8: no share offered, the server names its group
	run -0 "$PROBE" "$PORT" tls13-empty
	assert_line kind=hello-retry-request
	assert_line version=0x0304
	assert_line key_share=0x0018
}
