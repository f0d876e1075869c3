/*
 * Unit tests for lib/rawhello.h: ClientHellos built and read back (their
 * extensions through lib/hello.c, GnuTLS's walker, and a small reader
 * here), replies of real servers (rawhello_vectors.h) read whole, byte by
 * byte and re-split into records, and hand-made replies: alerts, SSL 2.0
 * by the spec, truncated and hostile ones.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hello.h"
#include "rawhello.h"

#include "rawhello_vectors.h"
#include "tk_test.h"

static unsigned
rd16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static const uint16_t suites[] = { 0xC02F, 0x002F, 0x0004, 0x0003 };
static const uint16_t groups[] = { 0x001D, 0x0017 };
static const uint16_t sigalgs[] = { 0x0804, 0x0403, 0x0201 };
static const char *const alpn[] = { "h2", "http/1.1" };

static void
base(struct tk_rawhello_conf *c, uint16_t version)
{
	memset(c, 0, sizeof(*c));
	c->version = version;
	c->suites = suites;
	c->nsuites = 4;
	for (size_t i = 0; i < 32; i++) {
		c->random[i] = (unsigned char)i;
		c->share[i] = (unsigned char)(0x80 + i);
	}
}

static void
full(struct tk_rawhello_conf *c, uint16_t version)
{
	base(c, version);
	c->sni = "example.test";
	c->groups = groups;
	c->ngroups = 2;
	c->sigalgs = sigalgs;
	c->nsigalgs = 3;
	c->alpn = alpn;
	c->nalpn = 2;
	c->point_formats = true;
	c->reneg_info = true;
	c->ems = true;
	c->etm = true;
	c->session_ticket = true;
}

/* The extension types of a ClientHello body, in order; -1: malformed. */
static int
ext_types(const unsigned char *m, size_t n, uint16_t *types, size_t max,
    const unsigned char **ks, size_t *kslen)
{
	size_t off = 2 + 32, end, k = 0;

	off += 1 + m[off];
	off += 2 + rd16(m + off);
	off += 1 + m[off];
	if (off == n) {
		return 0;
	}
	end = off + 2 + rd16(m + off);
	if (end != n) {
		return -1;
	}
	off += 2;
	while (off < end) {
		unsigned t = rd16(m + off), l = rd16(m + off + 2);

		if (off + 4 + l > end || k == max) {
			return -1;
		}
		if (t == TK_RAWHELLO_EXT_KEY_SHARE) {
			*ks = m + off + 4;
			*kslen = l;
		}
		types[k++] = (uint16_t)t;
		off += 4 + l;
	}
	return (int)k;
}

static void
test_build_tls12(void)
{
	struct tk_rawhello_conf c;
	struct tk_err err;
	struct tk_hello h;
	unsigned char buf[2048];
	const unsigned char *m, *ks = NULL;
	uint16_t types[32];
	size_t len, kslen = 0, off;
	static const uint16_t want[] = { 0, 11, 10, 13, 35, 16, 22, 23,
		0xff01 };

	TK_CASE("TLS 1.2, all extensions");
	full(&c, 0x0303);
	c.scsv_reneg = true;
	c.scsv_fallback = true;
	tk_err_clear(&err);
	EXPECT_EQ_INT(tk_rawhello_build(&c, buf, sizeof(buf), &len, &err), 0);
	EXPECT_EQ_INT(buf[0], 22);
	EXPECT_EQ_INT(rd16(buf + 1), 0x0301);
	EXPECT_EQ_SIZE(rd16(buf + 3), len - 5);
	EXPECT_EQ_INT(buf[5], 1);
	EXPECT_EQ_SIZE((size_t)buf[6] << 16 | rd16(buf + 7), len - 9);
	m = buf + 9;
	EXPECT_EQ_INT(rd16(m), 0x0303);
	EXPECT_TRUE(memcmp(m + 2, c.random, 32) == 0);
	EXPECT_EQ_INT(m[34], 0);          /* no session id */
	off = 35;
	EXPECT_EQ_INT(rd16(m + off), 12); /* 4 suites and 2 SCSVs */
	EXPECT_EQ_INT(rd16(m + off + 2), 0xC02F);
	EXPECT_EQ_INT(rd16(m + off + 8), 0x0003);
	EXPECT_EQ_INT(rd16(m + off + 10), 0x00FF);
	EXPECT_EQ_INT(rd16(m + off + 12), 0x5600);
	off += 14;
	EXPECT_EQ_INT(m[off], 1);
	EXPECT_EQ_INT(m[off + 1], 0);
	EXPECT_EQ_INT(ext_types(m, len - 9, types, 32, &ks, &kslen), 9);
	for (size_t i = 0; i < 9; i++) {
		EXPECT_EQ_INT(types[i], want[i]);
	}
	EXPECT_TRUE(ks == NULL);
	EXPECT_EQ_INT(tk_hello_parse(&h, m, len - 9), 0);
	EXPECT_TRUE(!h.malformed);
	EXPECT_EQ_STR(h.sni, "example.test");
	EXPECT_EQ_SIZE(h.alpn_len, 12);
	EXPECT_TRUE(memcmp(h.alpn, "\x02h2\x08http/1.1", 12) == 0);
	EXPECT_EQ_SIZE(h.ngroups, 2);
	EXPECT_EQ_INT(h.groups[1], 0x0017);
	EXPECT_EQ_SIZE(h.nsigalgs, 3);
	EXPECT_EQ_INT(h.sigalgs[2], 0x0201);
	EXPECT_TRUE(!h.versions_present);

	TK_CASE("every smaller buffer fails, the exact one does not");
	for (size_t cap = 0; cap < len; cap++) {
		size_t l2 = 99;

		tk_err_clear(&err);
		EXPECT_EQ_INT(tk_rawhello_build(&c, buf, cap, &l2, &err), -1);
		EXPECT_EQ_INT(err.cls, TK_INTERNAL);
		EXPECT_EQ_SIZE(l2, 0);
	}
	tk_err_clear(&err);
	EXPECT_EQ_INT(tk_rawhello_build(&c, buf, len, &kslen, &err), 0);
	EXPECT_EQ_SIZE(kslen, len);
	TK_CASE(NULL);
}

static void
test_build_tls13(void)
{
	struct tk_rawhello_conf c;
	struct tk_err err;
	struct tk_hello h;
	unsigned char buf[2048];
	const unsigned char *ks = NULL;
	uint16_t types[32];
	size_t len, kslen = 0;

	TK_CASE("TLS 1.3, X25519 share");
	full(&c, 0x0304);
	c.key_share_group = TK_RAWHELLO_X25519;
	c.session_id_len = 32;
	memset(c.session_id, 0xAB, 32);
	tk_err_clear(&err);
	EXPECT_EQ_INT(tk_rawhello_build(&c, buf, sizeof(buf), &len, &err), 0);
	EXPECT_EQ_INT(rd16(buf + 1), 0x0301);
	EXPECT_EQ_INT(rd16(buf + 9), 0x0303);   /* legacy_version */
	EXPECT_EQ_INT(buf[9 + 34], 32);
	EXPECT_EQ_INT(tk_hello_parse(&h, buf + 9, len - 9), 0);
	EXPECT_TRUE(h.versions_present);
	EXPECT_EQ_SIZE(h.nversions, 2);
	EXPECT_EQ_INT(h.versions[0], 0x0304);
	EXPECT_EQ_INT(h.versions[1], 0x0303);
	EXPECT_EQ_INT(ext_types(buf + 9, len - 9, types, 32, &ks, &kslen), 11);
	EXPECT_EQ_SIZE(kslen, 38);
	if (ks != NULL && kslen == 38) {
		EXPECT_EQ_INT(rd16(ks), 36);
		EXPECT_EQ_INT(rd16(ks + 2), 0x001D);
		EXPECT_EQ_INT(rd16(ks + 4), 32);
		EXPECT_TRUE(memcmp(ks + 6, c.share, 32) == 0);
	}

	TK_CASE("TLS 1.3, versions given");
	{
		static const uint16_t v[] = { 0x0304 };

		c.versions = v;
		c.nversions = 1;
		EXPECT_EQ_INT(tk_rawhello_build(&c, buf, sizeof(buf), &len,
		    &err), 0);
		EXPECT_EQ_INT(tk_hello_parse(&h, buf + 9, len - 9), 0);
		EXPECT_EQ_SIZE(h.nversions, 1);
	}

	TK_CASE("TLS 1.3, empty key share (RFC 8446 4.2.8)");
	full(&c, 0x0304);
	c.key_share_empty = true;
	ks = NULL;
	kslen = 99;
	tk_err_clear(&err);
	EXPECT_EQ_INT(tk_rawhello_build(&c, buf, sizeof(buf), &len, &err), 0);
	EXPECT_EQ_INT(ext_types(buf + 9, len - 9, types, 32, &ks, &kslen), 11);
	EXPECT_EQ_INT(types[9], TK_RAWHELLO_EXT_KEY_SHARE);
	EXPECT_EQ_SIZE(kslen, 2);
	if (ks != NULL && kslen == 2) {
		/* 00 33, length 00 02, client_shares length 00 00 */
		EXPECT_TRUE(memcmp(ks - 4, "\x00\x33\x00\x02\x00\x00", 6) ==
		    0);
	}
	EXPECT_EQ_INT(tk_hello_parse(&h, buf + 9, len - 9), 0);
	EXPECT_TRUE(!h.malformed);

	TK_CASE("status_request (RFC 6066 8)");
	full(&c, 0x0303);
	c.status_request = true;
	EXPECT_EQ_INT(tk_rawhello_build(&c, buf, sizeof(buf), &len, &err), 0);
	EXPECT_EQ_INT(ext_types(buf + 9, len - 9, types, 32, &ks, &kslen), 10);
	EXPECT_EQ_INT(types[1], TK_RAWHELLO_EXT_STATUS_REQUEST);
	{
		static const unsigned char sr[] = {
			0x00, 0x05, 0x00, 0x05, 0x01, 0x00, 0x00, 0x00, 0x00,
		};
		bool found = false;

		for (size_t i = 9; i + sizeof(sr) <= len; i++) {
			found = found || memcmp(buf + i, sr, sizeof(sr)) == 0;
		}
		EXPECT_TRUE(found);
	}
	base(&c, 0x0303);
	c.status_request = true;   /* alone: an extensions block */
	EXPECT_EQ_INT(tk_rawhello_build(&c, buf, sizeof(buf), &len, &err), 0);
	EXPECT_EQ_INT(ext_types(buf + 9, len - 9, types, 32, &ks, &kslen), 1);
	TK_CASE(NULL);
}

static void
test_build_ssl3(void)
{
	struct tk_rawhello_conf c;
	struct tk_err err;
	unsigned char buf[256];
	size_t len;

	TK_CASE("SSL 3.0: no extensions block");
	base(&c, 0x0300);
	c.deflate = true;
	tk_err_clear(&err);
	EXPECT_EQ_INT(tk_rawhello_build(&c, buf, sizeof(buf), &len, &err), 0);
	/* header 5 + 4, version 2, random 32, sid 1, suites 2 + 8, comp 3 */
	EXPECT_EQ_SIZE(len, 5 + 4 + 2 + 32 + 1 + 10 + 3);
	EXPECT_EQ_INT(rd16(buf + 1), 0x0300);
	EXPECT_EQ_INT(rd16(buf + 9), 0x0300);
	EXPECT_EQ_INT(buf[len - 3], 2);   /* DEFLATE, then null */
	EXPECT_EQ_INT(buf[len - 2], 1);
	EXPECT_EQ_INT(buf[len - 1], 0);
	c.record_version = 0x0303;
	EXPECT_EQ_INT(tk_rawhello_build(&c, buf, sizeof(buf), &len, &err), 0);
	EXPECT_EQ_INT(rd16(buf + 1), 0x0303);
	TK_CASE(NULL);
}

static void
test_build_errors(void)
{
	struct tk_rawhello_conf c;
	struct tk_err err;
	static unsigned char buf[70000];
	static const char *many[100];
	static char name[256];
	size_t len;

	memset(name, 'a', 255);
	for (size_t i = 0; i < 100; i++) {
		many[i] = name;
	}

	TK_CASE("version 0x0200");
	base(&c, 0x0200);
	tk_err_clear(&err);
	EXPECT_EQ_INT(tk_rawhello_build(&c, buf, sizeof(buf), &len, &err), -1);
	EXPECT_EQ_INT(err.cls, TK_USAGE);
	EXPECT_CONTAINS(err.msg, "not SSL 3.0 to TLS 1.3");
	TK_CASE("version 0x0305");
	base(&c, 0x0305);
	tk_err_clear(&err);
	EXPECT_EQ_INT(tk_rawhello_build(&c, buf, sizeof(buf), &len, &err), -1);
	TK_CASE("no suite");
	base(&c, 0x0303);
	c.nsuites = 0;
	tk_err_clear(&err);
	EXPECT_EQ_INT(tk_rawhello_build(&c, buf, sizeof(buf), &len, &err), -1);
	EXPECT_CONTAINS(err.msg, "cipher suites");
	TK_CASE("an SCSV alone is a suite list");
	c.scsv_fallback = true;
	tk_err_clear(&err);
	EXPECT_EQ_INT(tk_rawhello_build(&c, buf, sizeof(buf), &len, &err), 0);
	TK_CASE("SNI empty");
	base(&c, 0x0303);
	c.sni = "";
	tk_err_clear(&err);
	EXPECT_EQ_INT(tk_rawhello_build(&c, buf, sizeof(buf), &len, &err), -1);
	EXPECT_CONTAINS(err.msg, "server name");
	TK_CASE("SNI of 256 bytes");
	{
		static char big[257];

		memset(big, 'b', 256);
		c.sni = big;
		tk_err_clear(&err);
		EXPECT_EQ_INT(tk_rawhello_build(&c, buf, sizeof(buf), &len,
		    &err), -1);
		c.sni = name;   /* 255: fine */
		tk_err_clear(&err);
		EXPECT_EQ_INT(tk_rawhello_build(&c, buf, sizeof(buf), &len,
		    &err), 0);
	}
	TK_CASE("empty ALPN name");
	{
		static const char *const e[] = { "h2", "" };

		base(&c, 0x0303);
		c.alpn = e;
		c.nalpn = 2;
		tk_err_clear(&err);
		EXPECT_EQ_INT(tk_rawhello_build(&c, buf, sizeof(buf), &len,
		    &err), -1);
		EXPECT_CONTAINS(err.msg, "ALPN name 2");
	}
	TK_CASE("key share P-256");
	base(&c, 0x0304);
	c.key_share_group = 0x0017;
	tk_err_clear(&err);
	EXPECT_EQ_INT(tk_rawhello_build(&c, buf, sizeof(buf), &len, &err), -1);
	EXPECT_CONTAINS(err.msg, "only X25519");
	TK_CASE("empty key share below TLS 1.3");
	base(&c, 0x0303);
	c.key_share_empty = true;
	tk_err_clear(&err);
	EXPECT_EQ_INT(tk_rawhello_build(&c, buf, sizeof(buf), &len, &err), -1);
	EXPECT_EQ_INT(err.cls, TK_USAGE);
	EXPECT_CONTAINS(err.msg, "empty key share");
	TK_CASE("empty key share and a key share group");
	base(&c, 0x0304);
	c.key_share_empty = true;
	c.key_share_group = TK_RAWHELLO_X25519;
	tk_err_clear(&err);
	EXPECT_EQ_INT(tk_rawhello_build(&c, buf, sizeof(buf), &len, &err), -1);
	EXPECT_CONTAINS(err.msg, "empty key share");
	TK_CASE("session id of 33 bytes");
	base(&c, 0x0303);
	c.session_id_len = 33;
	tk_err_clear(&err);
	EXPECT_EQ_INT(tk_rawhello_build(&c, buf, sizeof(buf), &len, &err), -1);
	TK_CASE("more than one record");
	base(&c, 0x0303);
	c.alpn = many;
	c.nalpn = 100;   /* 100 x 256 bytes */
	tk_err_clear(&err);
	EXPECT_EQ_INT(tk_rawhello_build(&c, buf, sizeof(buf), &len, &err), -1);
	EXPECT_CONTAINS(err.msg, "does not fit one record");
	TK_CASE(NULL);
}

static void
test_build_v2(void)
{
	static const uint32_t kinds[] = { 0x010080, 0x0700C0, 0x00002F };
	static const unsigned char want[] = {
		0x80, 0x22,             /* 2-byte header: 34 bytes */
		0x01, 0x00, 0x02,       /* CLIENT-HELLO, version 2 */
		0x00, 0x09, 0x00, 0x00, 0x00, 0x10,
		0x01, 0x00, 0x80, 0x07, 0x00, 0xC0, 0x00, 0x00, 0x2F,
	};
	unsigned char ch[16], buf[64];
	struct tk_err err;
	size_t len;

	TK_CASE("SSL 2.0 CLIENT-HELLO");
	memset(ch, 0x5A, 16);
	tk_err_clear(&err);
	EXPECT_EQ_INT(tk_rawhello_build_v2(kinds, 3, ch, buf, sizeof(buf),
	    &len, &err), 0);
	EXPECT_EQ_SIZE(len, sizeof(want) + 16);
	EXPECT_TRUE(memcmp(buf, want, sizeof(want)) == 0);
	EXPECT_TRUE(memcmp(buf + sizeof(want), ch, 16) == 0);
	tk_err_clear(&err);
	EXPECT_EQ_INT(tk_rawhello_build_v2(kinds, 3, ch, buf, len - 1, &len,
	    &err), -1);
	tk_err_clear(&err);
	EXPECT_EQ_INT(tk_rawhello_build_v2(kinds, 0, ch, buf, sizeof(buf),
	    &len, &err), -1);
	TK_CASE(NULL);
}

/* A real reply: whole, then every prefix (MORE until the answer ends). */
static void
whole_and_prefixes(const char *name, const unsigned char *v, size_t n,
    struct tk_rawhello_reply *r)
{
	struct tk_rawhello_reply p;
	enum tk_rawhello_kind k;

	TK_CASE(name);
	k = tk_rawhello_parse(r, v, n);
	EXPECT_TRUE(k != TK_RAWHELLO_MORE && k != TK_RAWHELLO_MALFORMED);
	EXPECT_TRUE(r->used > 0 && r->used <= n);
	for (size_t i = 0; i < r->used; i++) {
		if (tk_rawhello_parse(&p, v, i) != TK_RAWHELLO_MORE) {
			EXPECT_EQ_INT(p.kind, TK_RAWHELLO_MORE);
			break;
		}
	}
	EXPECT_EQ_INT(tk_rawhello_parse(&p, v, r->used), k);
	EXPECT_EQ_INT(p.suite, r->suite);
	EXPECT_EQ_SIZE(p.used, r->used);
}

static void
test_real(void)
{
	struct tk_rawhello_reply r;

	whole_and_prefixes("openssl TLS 1.2", v_oss_tls12,
	    sizeof(v_oss_tls12), &r);
	EXPECT_EQ_INT(r.kind, TK_RAWHELLO_SERVER_HELLO);
	EXPECT_EQ_INT(r.record_version, 0x0303);
	EXPECT_EQ_INT(r.version, 0x0303);
	EXPECT_TRUE(!r.versions_ext);
	EXPECT_EQ_INT(r.suite, 0xC02F);
	EXPECT_EQ_INT(r.compression, 0);
	EXPECT_TRUE(r.reneg_info);
	EXPECT_EQ_SIZE(r.reneg_len, 0);
	EXPECT_TRUE(tk_rawhello_has_ext(&r, TK_RAWHELLO_EXT_EMS));
	EXPECT_TRUE(tk_rawhello_has_ext(&r, TK_RAWHELLO_EXT_POINT_FORMATS));
	EXPECT_EQ_INT(r.key_share_group, 0);
	/* the same record carries Certificate and more after it */
	EXPECT_TRUE(r.used < sizeof(v_oss_tls12));

	whole_and_prefixes("openssl TLS 1.2 of a TLS 1.3 server",
	    v_oss_tls12_on13, sizeof(v_oss_tls12_on13), &r);
	EXPECT_EQ_INT(r.kind, TK_RAWHELLO_SERVER_HELLO);
	EXPECT_EQ_INT(r.version, 0x0303);
	EXPECT_EQ_INT(r.downgrade, 0x0303);
	/* the ServerHello fills its record; a Certificate record follows */
	EXPECT_EQ_SIZE(r.used, 5 + 0x41);

	whole_and_prefixes("openssl TLS 1.3", v_oss_tls13,
	    sizeof(v_oss_tls13), &r);
	EXPECT_EQ_INT(r.kind, TK_RAWHELLO_SERVER_HELLO);
	EXPECT_EQ_INT(r.legacy_version, 0x0303);
	EXPECT_EQ_INT(r.version, 0x0304);
	EXPECT_TRUE(r.versions_ext);
	EXPECT_EQ_INT(r.suite, 0x1301);
	EXPECT_EQ_INT(r.key_share_group, 0x001D);
	EXPECT_EQ_SIZE(r.session_id_len, 32);
	EXPECT_EQ_INT(r.downgrade, 0);

	whole_and_prefixes("openssl HRR", v_oss_hrr, sizeof(v_oss_hrr), &r);
	EXPECT_EQ_INT(r.kind, TK_RAWHELLO_HRR);
	EXPECT_EQ_INT(r.version, 0x0304);
	EXPECT_EQ_INT(r.key_share_group, 0x0017);

	whole_and_prefixes("openssl RC4 refused", v_oss_rc4,
	    sizeof(v_oss_rc4), &r);
	EXPECT_EQ_INT(r.kind, TK_RAWHELLO_ALERT);
	EXPECT_EQ_INT(r.alert_level, 2);
	EXPECT_EQ_INT(r.alert_desc, 40);

	whole_and_prefixes("gnutls TLS 1.2", v_gnutls_tls12,
	    sizeof(v_gnutls_tls12), &r);
	EXPECT_EQ_INT(r.kind, TK_RAWHELLO_SERVER_HELLO);
	EXPECT_EQ_INT(r.suite, 0xC02F);
	EXPECT_EQ_SIZE(r.alpn_len, 8);
	EXPECT_TRUE(memcmp(r.alpn, "http/1.1", 8) == 0);
	/* TLS 1.3 disabled: no downgrade sentinel (RFC 8446 4.1.3) */
	EXPECT_EQ_INT(r.downgrade, 0);

	whole_and_prefixes("gnutls TLS 1.3", v_gnutls_tls13,
	    sizeof(v_gnutls_tls13), &r);
	EXPECT_EQ_INT(r.kind, TK_RAWHELLO_SERVER_HELLO);
	EXPECT_EQ_INT(r.version, 0x0304);
	EXPECT_EQ_INT(r.key_share_group, 0x001D);

	whole_and_prefixes("gnutls refuses SSL 2.0", v_gnutls_ssl2,
	    sizeof(v_gnutls_ssl2), &r);
	EXPECT_EQ_INT(r.kind, TK_RAWHELLO_ALERT);
	EXPECT_EQ_INT(r.alert_desc, 70);
	TK_CASE(NULL);
}

/*
 * The ServerHello of a real reply re-framed into records of `each` bytes
 * of handshake data: the same answer.
 */
static void
test_split(void)
{
	static const size_t sizes[] = { 1, 2, 3, 4, 5, 7, 50 };
	static unsigned char out[8192];
	struct tk_rawhello_reply a, b;
	const unsigned char *hs = v_oss_tls12 + 5;
	size_t hs_len;

	tk_rawhello_parse(&a, v_oss_tls12, sizeof(v_oss_tls12));
	hs_len = a.used - 5;
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		size_t n = 0;

		TK_CASE("re-split ServerHello");
		for (size_t off = 0; off < hs_len; off += sizes[s]) {
			size_t k = hs_len - off < sizes[s] ? hs_len - off :
			    sizes[s];

			out[n++] = 22;
			out[n++] = 3;
			out[n++] = 3;
			out[n++] = 0;
			out[n++] = (unsigned char)k;
			memcpy(out + n, hs + off, k);
			n += k;
		}
		EXPECT_EQ_INT(tk_rawhello_parse(&b, out, n),
		    TK_RAWHELLO_SERVER_HELLO);
		EXPECT_EQ_SIZE(b.used, n);
		EXPECT_EQ_INT(b.suite, a.suite);
		EXPECT_EQ_SIZE(b.nexts, a.nexts);
		EXPECT_TRUE(memcmp(b.random, a.random, 32) == 0);
		for (size_t i = 0; i + 1 < n; i++) {
			if (tk_rawhello_parse(&b, out, i) !=
			    TK_RAWHELLO_MORE) {
				EXPECT_EQ_INT(b.kind, TK_RAWHELLO_MORE);
				break;
			}
		}
		if (sizes[s] == 7 && n > 20) {
			/* an alert between two fragments (RFC 8446 5.1) */
			static unsigned char al[8192];

			memcpy(al, out, 24);
			memcpy(al + 24, "\x15\x03\x03\x00\x02\x02\x28", 7);
			memcpy(al + 31, out + 24, n - 24);
			EXPECT_EQ_INT(tk_rawhello_parse(&b, al, n + 7),
			    TK_RAWHELLO_MALFORMED);
			EXPECT_CONTAINS(b.why, "inside a split");
		}
	}
	TK_CASE(NULL);
}

/* A ServerHello record from parts: body is after the 4-byte header. */
static size_t
sh_record(unsigned char *out, const unsigned char *body, size_t n)
{
	out[0] = 22;
	out[1] = 3;
	out[2] = 3;
	out[3] = (unsigned char)((n + 4) >> 8);
	out[4] = (unsigned char)(n + 4);
	out[5] = 2;
	out[6] = 0;
	out[7] = (unsigned char)(n >> 8);
	out[8] = (unsigned char)n;
	memcpy(out + 9, body, n);
	return n + 9;
}

/* version 0x0303, random of 0x11, no session id, suite, null comp. */
static size_t
sh_body(unsigned char *b, uint16_t suite, const unsigned char *ext,
    size_t ext_len)
{
	size_t n = 0;

	b[n++] = 3;
	b[n++] = 3;
	memset(b + n, 0x11, 32);
	n += 32;
	b[n++] = 0;
	b[n++] = (unsigned char)(suite >> 8);
	b[n++] = (unsigned char)suite;
	b[n++] = 0;
	if (ext != NULL) {
		b[n++] = (unsigned char)(ext_len >> 8);
		b[n++] = (unsigned char)ext_len;
		memcpy(b + n, ext, ext_len);
		n += ext_len;
	}
	return n;
}

struct hostile {
	const char *name;
	const char *ext;    /* extensions block, NULL: none */
	size_t ext_len;
	enum tk_rawhello_kind kind;
	const char *why;
};

#define E(s) s, sizeof(s) - 1
static const struct hostile sh_cases[] = {
	{ "no extensions", NULL, 0, TK_RAWHELLO_SERVER_HELLO, NULL },
	{ "empty extensions block", E(""), TK_RAWHELLO_SERVER_HELLO, NULL },
	{ "EMS", E("\x00\x17\x00\x00"), TK_RAWHELLO_SERVER_HELLO, NULL },
	{ "EMS with data", E("\x00\x17\x00\x01\x00"),
	    TK_RAWHELLO_MALFORMED, "must be empty" },
	{ "EMS twice", E("\x00\x17\x00\x00\x00\x17\x00\x00"),
	    TK_RAWHELLO_MALFORMED, "repeats" },
	{ "extension cut", E("\x00\x17\x00\x05\x00"),
	    TK_RAWHELLO_MALFORMED, "cut short" },
	{ "versions of 3 bytes", E("\x00\x2b\x00\x03\x03\x04\x00"),
	    TK_RAWHELLO_MALFORMED, "supported_versions" },
	{ "key_share short", E("\x00\x33\x00\x03\x00\x1d\x00"),
	    TK_RAWHELLO_MALFORMED, "key_share" },
	{ "key_share length off", E("\x00\x33\x00\x06\x00\x1d\x00\x03\xaa\xbb"),
	    TK_RAWHELLO_MALFORMED, "key_share" },
	{ "ALPN two names", E("\x00\x10\x00\x07\x00\x05\x02h2\x01x"),
	    TK_RAWHELLO_MALFORMED, "ALPN" },
	{ "ALPN empty name", E("\x00\x10\x00\x03\x00\x01\x00"),
	    TK_RAWHELLO_MALFORMED, "ALPN" },
	{ "reneg_info wrong", E("\xff\x01\x00\x02\x05\x00"),
	    TK_RAWHELLO_MALFORMED, "renegotiation_info" },
	{ "reneg_info with data", E("\xff\x01\x00\x03\x02\xaa\xbb"),
	    TK_RAWHELLO_SERVER_HELLO, NULL },
	{ "unknown extension", E("\xfe\xfe\x00\x01\x07"),
	    TK_RAWHELLO_SERVER_HELLO, NULL },
};
#undef E

static void
test_hostile_sh(void)
{
	static unsigned char body[1024], rec[1100];
	struct tk_rawhello_reply r;
	size_t n;

	for (size_t i = 0; i < sizeof(sh_cases) / sizeof(sh_cases[0]); i++) {
		const struct hostile *h = &sh_cases[i];

		TK_CASE(h->name);
		n = sh_body(body, 0x002F, (const unsigned char *)h->ext,
		    h->ext_len);
		n = sh_record(rec, body, n);
		EXPECT_EQ_INT(tk_rawhello_parse(&r, rec, n), h->kind);
		if (h->why != NULL) {
			EXPECT_CONTAINS(r.why, h->why);
		}
	}
	TK_CASE("reneg_info with data");
	n = sh_body(body, 0x002F, (const unsigned char *)"\xff\x01\x00\x03"
	    "\x02\xaa\xbb", 7);
	n = sh_record(rec, body, n);
	tk_rawhello_parse(&r, rec, n);
	EXPECT_EQ_SIZE(r.reneg_len, 2);

	TK_CASE("extensions length says more");
	n = sh_body(body, 0x002F, (const unsigned char *)"\x00\x17\x00\x00",
	    4);
	body[n - 5] = 9;
	n = sh_record(rec, body, n);
	EXPECT_EQ_INT(tk_rawhello_parse(&r, rec, n), TK_RAWHELLO_MALFORMED);
	EXPECT_CONTAINS(r.why, "does not match");

	TK_CASE("one byte after compression");
	n = sh_body(body, 0x002F, NULL, 0);
	body[n++] = 0;
	n = sh_record(rec, body, n);
	EXPECT_EQ_INT(tk_rawhello_parse(&r, rec, n), TK_RAWHELLO_MALFORMED);

	TK_CASE("session id of 33");
	n = sh_body(body, 0x002F, NULL, 0);
	body[34] = 33;
	n = sh_record(rec, body, n);
	EXPECT_EQ_INT(tk_rawhello_parse(&r, rec, n), TK_RAWHELLO_MALFORMED);

	TK_CASE("version 2.0 in a ServerHello");
	n = sh_body(body, 0x002F, NULL, 0);
	body[0] = 2;
	n = sh_record(rec, body, n);
	EXPECT_EQ_INT(tk_rawhello_parse(&r, rec, n), TK_RAWHELLO_MALFORMED);

	TK_CASE("too short");
	n = sh_record(rec, body, 20);
	EXPECT_EQ_INT(tk_rawhello_parse(&r, rec, n), TK_RAWHELLO_MALFORMED);

	TK_CASE("downgrade sentinels");
	n = sh_body(body, 0x002F, NULL, 0);
	memcpy(body + 2 + 24, "DOWNGRD\x01", 8);
	n = sh_record(rec, body, n);
	EXPECT_EQ_INT(tk_rawhello_parse(&r, rec, n), TK_RAWHELLO_SERVER_HELLO);
	EXPECT_EQ_INT(r.downgrade, 0x0303);
	body[2 + 31] = 0;
	n = sh_record(rec, body, n - 9);
	tk_rawhello_parse(&r, rec, n);
	EXPECT_EQ_INT(r.downgrade, 0x0302);
	TK_CASE(NULL);
}

struct raw {
	const char *name;
	const char *bytes;
	size_t len;
	enum tk_rawhello_kind kind;
	const char *why;
};

#define R(s) s, sizeof(s) - 1
static const struct raw raws[] = {
	{ "nothing", R(""), TK_RAWHELLO_MORE, NULL },
	{ "one handshake byte", R("\x16"), TK_RAWHELLO_MORE, NULL },
	{ "record header cut", R("\x16\x03\x03\x00"), TK_RAWHELLO_MORE, NULL },
	{ "alert", R("\x15\x03\x03\x00\x02\x02\x46"), TK_RAWHELLO_ALERT,
	    NULL },
	{ "alert cut", R("\x15\x03\x03\x00\x02\x02"), TK_RAWHELLO_MORE,
	    NULL },
	{ "alert of 1 byte", R("\x15\x03\x03\x00\x01\x02"),
	    TK_RAWHELLO_MALFORMED, "shorter than 2" },
	{ "HTTP", R("HTTP/1.1 400 Bad Request\r\n"), TK_RAWHELLO_NOT_TLS,
	    "does not start with a TLS record" },
	{ "SSH banner", R("SSH-2.0-OpenSSH_9.2\r\n"), TK_RAWHELLO_NOT_TLS,
	    NULL },
	{ "handshake type, version 2", R("\x16\x02\x00\x00\x04"),
	    TK_RAWHELLO_NOT_TLS, NULL },
	{ "application data first", R("\x17\x03\x03\x00\x01\x00"),
	    TK_RAWHELLO_NOT_TLS, NULL },
	{ "CCS after a split message", R("\x16\x03\x03\x00\x02\x02\x00"
	    "\x14\x03\x03\x00\x01\x01"), TK_RAWHELLO_MALFORMED,
	    "other than handshake" },
	{ "empty record", R("\x16\x03\x03\x00\x00"), TK_RAWHELLO_MALFORMED,
	    "empty record" },
	{ "record of 16385", R("\x16\x03\x03\x40\x01\x02"),
	    TK_RAWHELLO_MALFORMED, "longer than 16384" },
	{ "second record version 4.x", R("\x16\x03\x03\x00\x01\x02"
	    "\x16\x04\x03\x00\x01\x00"), TK_RAWHELLO_MALFORMED, "not 3.x" },
	{ "Certificate first", R("\x16\x03\x03\x00\x04\x0b\x00\x00\x00"),
	    TK_RAWHELLO_MALFORMED, "not a ServerHello" },
	{ "ServerHello of 16 MiB", R("\x16\x03\x03\x00\x04\x02\xff\xff\xff"),
	    TK_RAWHELLO_MALFORMED, "longer than" },
	{ "ServerHello cut", R("\x16\x03\x03\x00\x30\x02\x00\x00\x46\x03"),
	    TK_RAWHELLO_MORE, NULL },
	/* SSL 2.0 (draft-hickman), written from the spec: SERVER-HELLO with
	 * no certificate (a session-id hit), two kinds, 16-byte conn id */
	{ "SSL 2.0 SERVER-HELLO", R("\x80\x21\x04\x01\x01\x00\x02"
	    "\x00\x00\x00\x06\x00\x10"
	    "\x01\x00\x80\x07\x00\xc0"
	    "0123456789abcdef"), TK_RAWHELLO_SSL2_HELLO, NULL },
	{ "SSL 2.0 SERVER-HELLO cut", R("\x80\x21\x04\x01\x01\x00\x02"
	    "\x00\x00\x00\x06\x00\x10\x01\x00"), TK_RAWHELLO_MORE, NULL },
	{ "SSL 2.0 lengths disagree", R("\x80\x21\x04\x01\x01\x00\x02"
	    "\x00\x01\x00\x06\x00\x10"
	    "\x01\x00\x80\x07\x00\xc0"
	    "0123456789abcdef"), TK_RAWHELLO_MALFORMED, "do not match" },
	{ "SSL 2.0 kinds not of 3", R("\x80\x20\x04\x01\x01\x00\x02"
	    "\x00\x00\x00\x05\x00\x10"
	    "\x01\x00\x80\x07\x00"
	    "0123456789abcdef"), TK_RAWHELLO_MALFORMED, "cipher list" },
	{ "SSL 2.0 conn id of 8", R("\x80\x19\x04\x01\x01\x00\x02"
	    "\x00\x00\x00\x06\x00\x08"
	    "\x01\x00\x80\x07\x00\xc0"
	    "01234567"), TK_RAWHELLO_MALFORMED, "connection id" },
	{ "SSL 2.0 too short", R("\x80\x05\x04\x01\x01\x00\x02"),
	    TK_RAWHELLO_MALFORMED, "too short" },
	{ "SSL 2.0 ERROR", R("\x80\x03\x00\x00\x01"),
	    TK_RAWHELLO_SSL2_ERROR, NULL },
	{ "SSL 2.0 ERROR of 4", R("\x80\x04\x00\x00\x01\x00"),
	    TK_RAWHELLO_MALFORMED, "not 3 bytes" },
	{ "SSL 2.0 of 32767", R("\xff\xff\x04"), TK_RAWHELLO_MALFORMED,
	    "longer than" },
	{ "high bit, not SSL 2.0", R("\x80\x10\x09"), TK_RAWHELLO_NOT_TLS,
	    "neither TLS nor SSL 2.0" },
};
#undef R

static void
test_raw(void)
{
	struct tk_rawhello_reply r;

	for (size_t i = 0; i < sizeof(raws) / sizeof(raws[0]); i++) {
		const struct raw *c = &raws[i];

		TK_CASE(c->name);
		EXPECT_EQ_INT(tk_rawhello_parse(&r,
		    (const unsigned char *)c->bytes, c->len), c->kind);
		if (c->why != NULL) {
			EXPECT_CONTAINS(r.why, c->why);
		}
		EXPECT_EQ_SIZE(r.head_len, c->len < 16 ? c->len : 16);
	}
	TK_CASE("SSL 2.0 fields");
	tk_rawhello_parse(&r, (const unsigned char *)raws[17].bytes,
	    raws[17].len);
	EXPECT_EQ_INT(r.v2_version, 2);
	EXPECT_TRUE(r.v2_session_hit);
	EXPECT_EQ_INT(r.v2_cert_type, 1);
	EXPECT_EQ_SIZE(r.v2_nkinds, 2);
	EXPECT_EQ_INT(r.v2_kinds[1], 0x0700C0);
	EXPECT_EQ_SIZE(r.used, 35);
	tk_rawhello_parse(&r, (const unsigned char *)"\x80\x03\x00\x00\x01",
	    5);
	EXPECT_EQ_INT(r.v2_error, 1);
	EXPECT_EQ_STR(tk_rawhello_kind_name(TK_RAWHELLO_HRR),
	    "hello-retry-request");
	TK_CASE(NULL);
}

/* Bounds: never a complete answer in the cap, many extensions, many
 * SSL 2.0 kinds. */
static void
test_bounds(void)
{
	static unsigned char big[TK_RAWHELLO_READ_MAX + 100];
	static unsigned char body[4096];
	struct tk_rawhello_reply r;
	size_t n = 0, b;

	TK_CASE("1-byte records past the cap");
	while (n + 6 <= sizeof(big)) {
		memcpy(big + n, "\x16\x03\x03\x00\x01", 5);
		big[n + 5] = n == 0 ? 2 : 0;
		n += 6;
	}
	/* a ServerHello of 16368 bytes: under its cap, but in 1-byte
	 * records it never fits the first TK_RAWHELLO_READ_MAX bytes */
	big[11] = 0;
	big[17] = 0x3f;
	big[23] = 0xf0;
	EXPECT_EQ_INT(tk_rawhello_parse(&r, big, 1000), TK_RAWHELLO_MORE);
	EXPECT_EQ_INT(tk_rawhello_parse(&r, big, n), TK_RAWHELLO_MALFORMED);
	EXPECT_CONTAINS(r.why, "first 16389 bytes");

	TK_CASE("40 extensions");
	for (size_t i = 0; i < 40; i++) {
		body[4 * i] = 0xfa;
		body[4 * i + 1] = (unsigned char)i;
		body[4 * i + 2] = 0;
		body[4 * i + 3] = 0;
	}
	{
		static unsigned char sh[4096], rec[4200];

		b = sh_body(sh, 0x1301, body, 160);
		b = sh_record(rec, sh, b);
		EXPECT_EQ_INT(tk_rawhello_parse(&r, rec, b),
		    TK_RAWHELLO_SERVER_HELLO);
		EXPECT_EQ_SIZE(r.nexts, TK_RAWHELLO_EXTS_MAX);
		EXPECT_TRUE(r.exts_cut);
	}

	TK_CASE("SSL 2.0 with 100 kinds");
	{
		static unsigned char v2[2 + 11 + 300 + 16];
		size_t rl = 11 + 300 + 16;

		memset(v2, 0, sizeof(v2));
		v2[0] = (unsigned char)(0x80 | rl >> 8);
		v2[1] = (unsigned char)rl;
		v2[2] = 4;
		v2[9] = 300 >> 8;
		v2[10] = 300 & 0xff;
		v2[12] = 16;
		EXPECT_EQ_INT(tk_rawhello_parse(&r, v2, sizeof(v2)),
		    TK_RAWHELLO_SSL2_HELLO);
		EXPECT_EQ_SIZE(r.v2_nkinds, TK_RAWHELLO_V2_MAX);
		EXPECT_TRUE(r.v2_cut);
	}
	TK_CASE(NULL);
}

/* Every prefix and every single-byte corruption of the real replies:
 * no crash, and `used` stays in the input (ASan and UBSan in CI). */
static void
test_mangled(void)
{
	static unsigned char m[2048];
	struct tk_rawhello_reply r;
	const struct {
		const unsigned char *v;
		size_t n;
	} vs[] = {
		{ v_oss_hrr, sizeof(v_oss_hrr) },
		{ v_gnutls_tls13, sizeof(v_gnutls_tls13) },
	};

	for (size_t k = 0; k < 2; k++) {
		for (size_t i = 0; i < vs[k].n; i++) {
			memcpy(m, vs[k].v, vs[k].n);
			m[i] ^= 0xff;
			tk_rawhello_parse(&r, m, vs[k].n);
			EXPECT_TRUE(r.used <= vs[k].n);
		}
	}
}

/* --- the rest of the first flight (tk_rawhello_parse_flight) --- */

/* What a real flight says, read whole. */
struct flight {
	const char *name;
	const unsigned char *v;
	size_t n;
	enum tk_rawhello_ske ske;
	bool anon;
	uint16_t version;
	uint16_t suite;
	unsigned ncerts;
	size_t cert_bytes;
	bool cert_status;
	bool cert_request;
	bool has_ske;
	uint8_t curve_type;
	uint16_t group;
	unsigned bits;
	uint16_t sigalg;
};

#define V(a) a, sizeof(a)
static const struct flight flights[] = {
	{ "openssl ECDHE_RSA", V(v_fl_ecdhe), TK_RAWHELLO_SKE_ECDHE, false,
	  0x0303, 0xC02F, 2, 1682, false, false, true, 3, 0x001D, 0, 0x0804 },
	{ "openssl static RSA", V(v_fl_rsa), TK_RAWHELLO_SKE_NONE, false,
	  0x0303, 0x009C, 2, 1682, false, false, false, 0, 0, 0, 0 },
	{ "openssl DHE 1024", V(v_fl_dhe1024), TK_RAWHELLO_SKE_DHE, false,
	  0x0303, 0x009E, 2, 1682, false, false, true, 0, 0, 1024, 0x0804 },
	{ "openssl TLS 1.0 DHE 2048", V(v_fl_tls10_dhe2048),
	  TK_RAWHELLO_SKE_DHE, false, 0x0301, 0x0033, 2, 1682, false, false,
	  true, 0, 0, 2048, 0 },
	{ "openssl ECDSA", V(v_fl_ecdsa), TK_RAWHELLO_SKE_ECDHE, false,
	  0x0303, 0xC02B, 2, 1479, false, false, true, 3, 0x001D, 0, 0x0403 },
	{ "openssl secp384r1", V(v_fl_p384), TK_RAWHELLO_SKE_ECDHE, false,
	  0x0303, 0xC02F, 2, 1682, false, false, true, 3, 0x0018, 0, 0x0804 },
	{ "openssl OCSP staple", V(v_fl_status), TK_RAWHELLO_SKE_ECDHE, false,
	  0x0303, 0xC02F, 2, 1682, true, false, true, 3, 0x001D, 0, 0x0804 },
	{ "openssl client certificate", V(v_fl_certreq),
	  TK_RAWHELLO_SKE_ECDHE, false, 0x0303, 0xC02F, 2, 1682, false, true,
	  true, 3, 0x001D, 0, 0x0804 },
	{ "openssl ECDH_anon", V(v_fl_anon), TK_RAWHELLO_SKE_ECDHE, true,
	  0x0303, 0xC018, 0, 0, false, false, true, 3, 0x001D, 0, 0 },
	{ "gnutls DHE", V(v_fl_gnutls_dhe), TK_RAWHELLO_SKE_DHE, false,
	  0x0303, 0x009E, 2, 1682, false, true, true, 0, 0, 2048, 0x0804 },
	{ "gnutls OCSP staple", V(v_fl_gnutls_status), TK_RAWHELLO_SKE_ECDHE,
	  false, 0x0303, 0xC02F, 2, 1682, true, true, true, 3, 0x001D, 0,
	  0x0804 },
	{ "openssl 23 certificates", V(v_fl_bigchain), TK_RAWHELLO_SKE_ECDHE,
	  false, 0x0303, 0xC02F, 23, 19067, false, false, true, 3, 0x001D, 0,
	  0x0804 },
	{ "openssl TLS 1.2 (older capture)", V(v_oss_tls12),
	  TK_RAWHELLO_SKE_ECDHE, false, 0x0303, 0xC02F, 1, 865, false, false,
	  true, 3, 0x001D, 0, 0x0804 },
	{ "gnutls TLS 1.2 (older capture)", V(v_gnutls_tls12),
	  TK_RAWHELLO_SKE_ECDHE, false, 0x0303, 0xC02F, 1, 865, false, true,
	  true, 3, 0x001D, 0, 0x0804 },
};

static void
expect_flight(const struct flight *f, const struct tk_rawhello_reply *r)
{
	EXPECT_EQ_INT(r->kind, TK_RAWHELLO_SERVER_HELLO);
	EXPECT_TRUE(r->flight_done);
	EXPECT_EQ_INT(r->version, f->version);
	EXPECT_EQ_INT(r->suite, f->suite);
	EXPECT_EQ_INT(r->ncerts, f->ncerts);
	EXPECT_EQ_SIZE(r->cert_bytes, f->cert_bytes);
	EXPECT_EQ_INT(r->cert_status, f->cert_status);
	EXPECT_EQ_INT(r->cert_request, f->cert_request);
	EXPECT_EQ_INT(r->ske, f->has_ske);
	EXPECT_EQ_INT(r->ske_curve_type, f->curve_type);
	EXPECT_EQ_INT(r->ske_group, f->group);
	EXPECT_EQ_INT(r->ske_dh_bits, f->bits);
	EXPECT_EQ_INT(r->ske_sigalg, f->sigalg);
}

/* The handshake bytes of a reply's records, and their length. */
static size_t
unframe(unsigned char *hs, const unsigned char *v, size_t n)
{
	size_t off = 0, k = 0;

	while (off + 5 <= n) {
		size_t l = rd16(v + off + 3);

		if (v[off] == 22) {
			memcpy(hs + k, v + off + 5, l);
			k += l;
		}
		off += 5 + l;
	}
	return k;
}

/* Handshake bytes into records of `each` bytes (the last one shorter). */
static size_t
frame(unsigned char *out, const unsigned char *hs, size_t n, size_t each)
{
	size_t k = 0;

	for (size_t off = 0; off < n; off += each) {
		size_t l = n - off < each ? n - off : each;

		out[k++] = 22;
		out[k++] = 3;
		out[k++] = 3;
		out[k++] = (unsigned char)(l >> 8);
		out[k++] = (unsigned char)l;
		memcpy(out + k, hs + off, l);
		k += l;
	}
	return k;
}

/*
 * Each real flight read whole (the ServerHello first, as a caller does),
 * then cut at every byte (MORE), then re-framed: all messages in one
 * record, and records of 1, 3 and 1000 bytes (messages split over
 * records): the same fields.
 */
static void
test_flight_real(void)
{
	static const size_t sizes[] = { 16384, 1000, 3, 1 };
	static unsigned char hs[TK_RAWHELLO_FLIGHT_MAX];
	static unsigned char out[6 * TK_RAWHELLO_FLIGHT_MAX];
	struct tk_rawhello_reply sh, r;

	for (size_t i = 0; i < sizeof(flights) / sizeof(flights[0]); i++) {
		const struct flight *f = &flights[i];
		size_t hs_len;

		TK_CASE(f->name);
		EXPECT_EQ_INT(tk_rawhello_parse(&sh, f->v, f->n),
		    TK_RAWHELLO_SERVER_HELLO);
		r = sh;
		EXPECT_EQ_INT(tk_rawhello_parse_flight(&r, f->v, f->n, f->ske,
		    f->anon), TK_RAWHELLO_SERVER_HELLO);
		expect_flight(f, &r);
		EXPECT_EQ_SIZE(r.used, f->n);
		EXPECT_TRUE(r.why == NULL);
		/* the ServerHello's fields are left as they were */
		EXPECT_TRUE(memcmp(r.random, sh.random, 32) == 0);
		EXPECT_EQ_SIZE(r.nexts, sh.nexts);
		for (size_t k = 0; k < f->n; k++) {
			r = sh;
			if (tk_rawhello_parse_flight(&r, f->v, k, f->ske,
			    f->anon) != TK_RAWHELLO_MORE) {
				EXPECT_EQ_INT(r.kind, TK_RAWHELLO_MORE);
				EXPECT_EQ_SIZE(k, f->n);
				break;
			}
			EXPECT_TRUE(!r.flight_done);
		}
		hs_len = unframe(hs, f->v, f->n);
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			size_t n = frame(out, hs, hs_len, sizes[s]);

			if (n > TK_RAWHELLO_FLIGHT_MAX) {
				/* over the cap in 1-byte records */
				r = sh;
				EXPECT_EQ_INT(tk_rawhello_parse_flight(&r, out,
				    n, f->ske, f->anon),
				    TK_RAWHELLO_MALFORMED);
				EXPECT_CONTAINS(r.why, "first 65536 bytes");
				continue;
			}
			r = sh;
			EXPECT_EQ_INT(tk_rawhello_parse_flight(&r, out, n,
			    f->ske, f->anon), TK_RAWHELLO_SERVER_HELLO);
			expect_flight(f, &r);
			EXPECT_EQ_SIZE(r.used, n);
		}
		/* the same bytes read as another key exchange: not done */
		r = sh;
		if (f->ske == TK_RAWHELLO_SKE_DHE) {
			EXPECT_EQ_INT(tk_rawhello_parse_flight(&r, f->v, f->n,
			    TK_RAWHELLO_SKE_ECDHE, f->anon),
			    TK_RAWHELLO_MALFORMED);
		} else if (f->ske == TK_RAWHELLO_SKE_ECDHE) {
			EXPECT_EQ_INT(tk_rawhello_parse_flight(&r, f->v, f->n,
			    TK_RAWHELLO_SKE_DHE, f->anon),
			    TK_RAWHELLO_MALFORMED);
		} else {
			/* no SKE came, but one is due */
			EXPECT_EQ_INT(tk_rawhello_parse_flight(&r, f->v, f->n,
			    TK_RAWHELLO_SKE_ECDHE, f->anon),
			    TK_RAWHELLO_MALFORMED);
			EXPECT_CONTAINS(r.why, "no ServerKeyExchange");
		}
	}
	TK_CASE("TLS 1.3 ServerHello: no such flight");
	EXPECT_EQ_INT(tk_rawhello_parse(&sh, v_oss_tls13, sizeof(v_oss_tls13)),
	    TK_RAWHELLO_SERVER_HELLO);
	EXPECT_EQ_INT(tk_rawhello_parse_flight(&sh, v_oss_tls13,
	    sizeof(v_oss_tls13), TK_RAWHELLO_SKE_ECDHE, false),
	    TK_RAWHELLO_MALFORMED);
	EXPECT_CONTAINS(sh.why, "TLS 1.3");

	TK_CASE("the empty key share's HelloRetryRequest");
	EXPECT_EQ_INT(tk_rawhello_parse(&sh, v_oss_hrr_empty,
	    sizeof(v_oss_hrr_empty)), TK_RAWHELLO_HRR);
	EXPECT_EQ_INT(sh.key_share_group, 0x0018);
	TK_CASE(NULL);
}

/* Hand-made flights: the ServerHello of v_fl_ecdhe, then these messages. */
struct hostile_flight {
	const char *name;
	const char *msgs;
	size_t len;
	enum tk_rawhello_ske ske;
	bool anon;
	uint16_t version;       /* r->version to read with; 0: 0x0303 */
	enum tk_rawhello_kind want;
	const char *why;        /* MALFORMED: part of r->why */
};

/* a Certificate of one 2-byte certificate */
#define CERT1 "\x0b\x00\x00\x08\x00\x00\x05\x00\x00\x02\x30\x00"
/* an ECDHE SKE: secp256r1, a 1-byte point, rsa_pkcs1_sha256, 3 bytes */
#define SKE_EC                                                               \
	"\x0c\x00\x00\x0c\x03\x00\x17\x01\x04\x04\x01\x00\x03\xaa\xbb\xcc"
#define DONE "\x0e\x00\x00\x00"
#define M(s) s, sizeof(s) - 1

static const struct hostile_flight hflights[] = {
	{ "no Certificate, no SKE", M(DONE), TK_RAWHELLO_SKE_NONE, false, 0,
	  TK_RAWHELLO_SERVER_HELLO, NULL },
	{ "SKE with ske NONE: noted", M(CERT1 SKE_EC DONE),
	  TK_RAWHELLO_SKE_NONE, false, 0, TK_RAWHELLO_SERVER_HELLO, NULL },
	{ "RSA export without SKE", M(CERT1 DONE), TK_RAWHELLO_SKE_RSA, false,
	  0x0301, TK_RAWHELLO_SERVER_HELLO, NULL },
	{ "an empty HelloRequest is ignored", M(CERT1 "\x00\x00\x00\x00"
	  SKE_EC DONE), TK_RAWHELLO_SKE_ECDHE, false, 0,
	  TK_RAWHELLO_SERVER_HELLO, NULL },
	{ "ECDHE without SKE", M(CERT1 DONE), TK_RAWHELLO_SKE_ECDHE, false, 0,
	  TK_RAWHELLO_MALFORMED, "no ServerKeyExchange" },
	{ "DHE without SKE", M(CERT1 DONE), TK_RAWHELLO_SKE_DHE, false, 0,
	  TK_RAWHELLO_MALFORMED, "no ServerKeyExchange" },
	{ "SKE before Certificate", M(SKE_EC CERT1 DONE),
	  TK_RAWHELLO_SKE_ECDHE, false, 0, TK_RAWHELLO_MALFORMED,
	  "out of order" },
	{ "two Certificates", M(CERT1 CERT1 SKE_EC DONE),
	  TK_RAWHELLO_SKE_ECDHE, false, 0, TK_RAWHELLO_MALFORMED,
	  "out of order" },
	{ "two ServerHelloDone", M(CERT1 SKE_EC DONE DONE),
	  TK_RAWHELLO_SKE_ECDHE, false, 0, TK_RAWHELLO_MALFORMED,
	  "after the ServerHelloDone" },
	{ "CertificateStatus without Certificate",
	  M("\x16\x00\x00\x05\x01\x00\x00\x01\x30" SKE_EC DONE),
	  TK_RAWHELLO_SKE_ECDHE, false, 0, TK_RAWHELLO_MALFORMED,
	  "not right after a Certificate" },
	{ "CertificateStatus after SKE",
	  M(CERT1 SKE_EC "\x16\x00\x00\x05\x01\x00\x00\x01\x30" DONE),
	  TK_RAWHELLO_SKE_ECDHE, false, 0, TK_RAWHELLO_MALFORMED,
	  "out of order" },
	{ "CertificateStatus ocsp_multi",
	  M(CERT1 "\x16\x00\x00\x0a\x02\x00\x00\x06\x00\x00\x00\x00\x00\x00"
	  SKE_EC DONE), TK_RAWHELLO_SKE_ECDHE, false, 0,
	  TK_RAWHELLO_SERVER_HELLO, NULL },
	{ "CertificateStatus type 3",
	  M(CERT1 "\x16\x00\x00\x05\x03\x00\x00\x01\x30" SKE_EC DONE),
	  TK_RAWHELLO_SKE_ECDHE, false, 0, TK_RAWHELLO_MALFORMED,
	  "CertificateStatus type" },
	{ "CertificateStatus empty response",
	  M(CERT1 "\x16\x00\x00\x04\x01\x00\x00\x00" SKE_EC DONE),
	  TK_RAWHELLO_SKE_ECDHE, false, 0, TK_RAWHELLO_MALFORMED,
	  "CertificateStatus length" },
	{ "a Finished in the flight", M(CERT1 "\x14\x00\x00\x00" DONE),
	  TK_RAWHELLO_SKE_NONE, false, 0, TK_RAWHELLO_MALFORMED,
	  "no place" },
	{ "ServerHelloDone not empty", M(CERT1 SKE_EC "\x0e\x00\x00\x01\x00"),
	  TK_RAWHELLO_SKE_ECDHE, false, 0, TK_RAWHELLO_MALFORMED,
	  "not empty" },
	{ "a second ServerHello", M("\x02\x00\x00\x00" DONE),
	  TK_RAWHELLO_SKE_NONE, false, 0, TK_RAWHELLO_MALFORMED,
	  "out of order" },
	{ "Certificate list longer than the message",
	  M("\x0b\x00\x00\x08\x00\x00\x06\x00\x00\x02\x30\x00" DONE),
	  TK_RAWHELLO_SKE_NONE, false, 0, TK_RAWHELLO_MALFORMED,
	  "Certificate list length" },
	{ "an empty certificate",
	  M("\x0b\x00\x00\x06\x00\x00\x03\x00\x00\x00" DONE),
	  TK_RAWHELLO_SKE_NONE, false, 0, TK_RAWHELLO_MALFORMED,
	  "a certificate in the Certificate" },
	{ "an empty certificate list", M("\x0b\x00\x00\x03\x00\x00\x00" DONE),
	  TK_RAWHELLO_SKE_NONE, false, 0, TK_RAWHELLO_SERVER_HELLO, NULL },
	{ "curve type 4",
	  M(CERT1 "\x0c\x00\x00\x0c\x04\x00\x17\x01\x04\x04\x01\x00\x03\xaa"
	  "\xbb\xcc" DONE), TK_RAWHELLO_SKE_ECDHE, false, 0,
	  TK_RAWHELLO_MALFORMED, "curve type" },
	{ "curve 0",
	  M(CERT1 "\x0c\x00\x00\x0c\x03\x00\x00\x01\x04\x04\x01\x00\x03\xaa"
	  "\xbb\xcc" DONE), TK_RAWHELLO_SKE_ECDHE, false, 0,
	  TK_RAWHELLO_MALFORMED, "curve 0" },
	{ "empty EC point",
	  M(CERT1 "\x0c\x00\x00\x0b\x03\x00\x17\x00\x04\x01\x00\x03\xaa\xbb"
	  "\xcc" DONE), TK_RAWHELLO_SKE_ECDHE, false, 0,
	  TK_RAWHELLO_MALFORMED, "EC point" },
	{ "signature longer than the SKE",
	  M(CERT1 "\x0c\x00\x00\x0c\x03\x00\x17\x01\x04\x04\x01\x00\x04\xaa"
	  "\xbb\xcc" DONE), TK_RAWHELLO_SKE_ECDHE, false, 0,
	  TK_RAWHELLO_MALFORMED, "signature has a wrong length" },
	{ "bytes after the signature",
	  M(CERT1 "\x0c\x00\x00\x0c\x03\x00\x17\x01\x04\x04\x01\x00\x02\xaa"
	  "\xbb\xcc" DONE), TK_RAWHELLO_SKE_ECDHE, false, 0,
	  TK_RAWHELLO_MALFORMED, "after its end" },
	{ "TLS 1.0: no algorithm field",
	  M(CERT1 "\x0c\x00\x00\x0a\x03\x00\x17\x01\x04\x00\x03\xaa\xbb\xcc"
	  DONE), TK_RAWHELLO_SKE_ECDHE, false, 0x0301,
	  TK_RAWHELLO_SERVER_HELLO, NULL },
	{ "TLS 1.2 SKE without the algorithm field",
	  M(CERT1 "\x0c\x00\x00\x0a\x03\x00\x17\x01\x04\x00\x03\xaa\xbb\xcc"
	  DONE), TK_RAWHELLO_SKE_ECDHE, false, 0, TK_RAWHELLO_MALFORMED,
	  "signature" },
	{ "anonymous: no signature",
	  M("\x0c\x00\x00\x05\x03\x00\x1d\x01\x04" DONE),
	  TK_RAWHELLO_SKE_ECDHE, true, 0, TK_RAWHELLO_SERVER_HELLO, NULL },
	{ "anonymous SKE read as signed",
	  M("\x0c\x00\x00\x05\x03\x00\x1d\x01\x04" DONE),
	  TK_RAWHELLO_SKE_ECDHE, false, 0, TK_RAWHELLO_MALFORMED,
	  "signature" },
	{ "explicit_prime curve",
	  M(CERT1 "\x0c\x00\x00\x11\x01\x01\x07\x01\x01\x01\x02\x01\x03\x01"
	  "\x05\x01\x01\x01\x04\x00\x00" DONE), TK_RAWHELLO_SKE_ECDHE, false,
	  0x0302, TK_RAWHELLO_SERVER_HELLO, NULL },
	{ "explicit_char2 trinomial",
	  M(CERT1 "\x0c\x00\x00\x14\x02\x00\x71\x01\x01\x09\x01\x01\x01\x02"
	  "\x01\x03\x01\x05\x01\x01\x01\x04\x00\x00" DONE),
	  TK_RAWHELLO_SKE_ECDHE, false, 0x0302, TK_RAWHELLO_SERVER_HELLO,
	  NULL },
	{ "explicit_char2 basis 3",
	  M(CERT1 "\x0c\x00\x00\x14\x02\x00\x71\x03\x01\x09\x01\x01\x01\x02"
	  "\x01\x03\x01\x05\x01\x01\x01\x04\x00\x00" DONE),
	  TK_RAWHELLO_SKE_ECDHE, false, 0x0302, TK_RAWHELLO_MALFORMED,
	  "basis" },
	{ "explicit_prime curve cut short",
	  M(CERT1 "\x0c\x00\x00\x08\x01\x01\x07\x01\x01\x01\x02\x05" DONE),
	  TK_RAWHELLO_SKE_ECDHE, false, 0x0302, TK_RAWHELLO_MALFORMED,
	  "curve parameters" },
	{ "DHE: p with a leading zero byte (9 bits)",
	  M(CERT1 "\x0c\x00\x00\x0d\x00\x03\x00\x01\xff\x00\x01\x02\x00\x01"
	  "\x05\x00\x00" DONE), TK_RAWHELLO_SKE_DHE, false, 0x0302,
	  TK_RAWHELLO_SERVER_HELLO, NULL },
	{ "DHE: empty p",
	  M(CERT1 "\x0c\x00\x00\x0a\x00\x00\x00\x01\x02\x00\x01\x05\x00\x00"
	  DONE), TK_RAWHELLO_SKE_DHE, false, 0x0302, TK_RAWHELLO_MALFORMED,
	  "dh_p" },
	{ "DHE: Ys cut short",
	  M(CERT1 "\x0c\x00\x00\x09\x00\x01\x17\x00\x01\x02\x00\x02\x05"
	  DONE), TK_RAWHELLO_SKE_DHE, false, 0x0302, TK_RAWHELLO_MALFORMED,
	  "dh_Ys" },
	{ "RSA export: a 16-bit modulus",
	  M(CERT1 "\x0c\x00\x00\x0a\x00\x02\x80\x01\x00\x01\x03\x00\x01\x00"
	  DONE), TK_RAWHELLO_SKE_RSA, false, 0x0301,
	  TK_RAWHELLO_SERVER_HELLO, NULL },
	{ "RSA export: no exponent",
	  M(CERT1 "\x0c\x00\x00\x05\x00\x02\x80\x01\x00" DONE),
	  TK_RAWHELLO_SKE_RSA, false, 0x0301, TK_RAWHELLO_MALFORMED,
	  "exponent" },
	{ "CertificateRequest of TLS 1.2",
	  M(CERT1 SKE_EC "\x0d\x00\x00\x0d\x01\x01\x00\x02\x04\x01\x00\x05"
	  "\x00\x03\x30\x01\x00" DONE), TK_RAWHELLO_SKE_ECDHE, false, 0,
	  TK_RAWHELLO_SERVER_HELLO, NULL },
	{ "CertificateRequest: odd signature algorithms",
	  M(CERT1 SKE_EC "\x0d\x00\x00\x09\x01\x01\x00\x03\x04\x01\x00\x00"
	  "\x00" DONE), TK_RAWHELLO_SKE_ECDHE, false, 0,
	  TK_RAWHELLO_MALFORMED, "signature algorithms" },
	{ "CertificateRequest: an empty authority",
	  M(CERT1 SKE_EC "\x0d\x00\x00\x0a\x01\x01\x00\x02\x04\x01\x00\x02"
	  "\x00\x00" DONE), TK_RAWHELLO_SKE_ECDHE, false, 0,
	  TK_RAWHELLO_MALFORMED, "authority" },
	{ "CertificateRequest of TLS 1.1: no algorithms",
	  M(CERT1 "\x0d\x00\x00\x04\x01\x01\x00\x00" DONE),
	  TK_RAWHELLO_SKE_NONE, false, 0x0302, TK_RAWHELLO_SERVER_HELLO,
	  NULL },
	{ "CertificateRequest after ServerHelloDone",
	  M(CERT1 SKE_EC DONE "\x0d\x00\x00\x04\x01\x01\x00\x00"),
	  TK_RAWHELLO_SKE_ECDHE, false, 0, TK_RAWHELLO_MALFORMED,
	  "after the ServerHelloDone" },
	{ "a message over the flight's cap", M(CERT1 "\x0c\xff\xff\xff"),
	  TK_RAWHELLO_SKE_ECDHE, false, 0, TK_RAWHELLO_MALFORMED,
	  "passes the first 65536" },
};

/* The ServerHello message (4-byte header) that starts hand-made flights. */
static size_t
flight_sh(unsigned char *hs, struct tk_rawhello_reply *sh)
{
	size_t n = rd16(v_fl_ecdhe + 3);

	tk_rawhello_parse(sh, v_fl_ecdhe, sizeof(v_fl_ecdhe));
	memcpy(hs, v_fl_ecdhe + 5, n);
	return n;
}

static void
test_flight_hostile(void)
{
	static unsigned char hs[4096], out[8192];
	struct tk_rawhello_reply sh, r;
	size_t shn = flight_sh(hs, &sh), n;

	for (size_t i = 0; i < sizeof(hflights) / sizeof(hflights[0]); i++) {
		const struct hostile_flight *h = &hflights[i];

		TK_CASE(h->name);
		memcpy(hs + shn, h->msgs, h->len);
		/* in one record, and in 5-byte records */
		for (size_t each = 4096; each >= 5; each = each == 5 ? 0 : 5) {
			n = frame(out, hs, shn + h->len, each);
			r = sh;
			r.version = h->version != 0 ? h->version : 0x0303;
			EXPECT_EQ_INT(tk_rawhello_parse_flight(&r, out, n,
			    h->ske, h->anon), h->want);
			if (h->want == TK_RAWHELLO_MALFORMED) {
				EXPECT_CONTAINS(r.why, h->why);
			} else {
				EXPECT_TRUE(r.flight_done);
				EXPECT_EQ_SIZE(r.used, n);
			}
		}
	}

	TK_CASE("fields of hand-made SKEs");
	{
		static const struct {
			const char *name;
			uint8_t curve_type;
			uint16_t group;
			unsigned bits;
			uint16_t sigalg;
			bool ske;
		} want[] = {
			{ "SKE with ske NONE: noted", 0, 0, 0, 0, true },
			{ "an empty HelloRequest is ignored", 3, 0x0017, 0,
			  0x0401, true },
			{ "TLS 1.0: no algorithm field", 3, 0x0017, 0, 0,
			  true },
			{ "anonymous: no signature", 3, 0x001D, 0, 0, true },
			{ "explicit_prime curve", 1, 0, 0, 0, true },
			{ "explicit_char2 trinomial", 2, 0, 0, 0, true },
			{ "DHE: p with a leading zero byte (9 bits)", 0, 0, 9,
			  0, true },
			{ "RSA export: a 16-bit modulus", 0, 0, 16, 0, true },
			{ "RSA export without SKE", 0, 0, 0, 0, false },
		};

		for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
			const struct hostile_flight *h = NULL;

			for (size_t j = 0; j < sizeof(hflights) /
			    sizeof(hflights[0]); j++) {
				if (strcmp(hflights[j].name, want[k].name) ==
				    0) {
					h = &hflights[j];
				}
			}
			TK_CASE(want[k].name);
			EXPECT_TRUE(h != NULL);
			if (h == NULL) {
				continue;
			}
			memcpy(hs + shn, h->msgs, h->len);
			n = frame(out, hs, shn + h->len, 4096);
			r = sh;
			r.version = h->version != 0 ? h->version : 0x0303;
			EXPECT_EQ_INT(tk_rawhello_parse_flight(&r, out, n,
			    h->ske, h->anon), TK_RAWHELLO_SERVER_HELLO);
			EXPECT_EQ_INT(r.ske, want[k].ske);
			EXPECT_EQ_INT(r.ske_curve_type, want[k].curve_type);
			EXPECT_EQ_INT(r.ske_group, want[k].group);
			EXPECT_EQ_INT(r.ske_dh_bits, want[k].bits);
			EXPECT_EQ_INT(r.ske_sigalg, want[k].sigalg);
		}
	}
	TK_CASE(NULL);
}

/* Record-level cases: alerts, other record types, bad records, the cap. */
static void
test_flight_records(void)
{
	static unsigned char hs[TK_RAWHELLO_FLIGHT_MAX],
	    out[8 * TK_RAWHELLO_FLIGHT_MAX];
	static const unsigned char alert[] = { 21, 3, 3, 0, 2, 2, 42 };
	struct tk_rawhello_reply sh, r;
	size_t shn = flight_sh(hs, &sh), n, at;

	memcpy(hs + shn, CERT1 SKE_EC DONE, sizeof(CERT1 SKE_EC DONE) - 1);
	n = frame(out, hs, shn + sizeof(CERT1 SKE_EC DONE) - 1, 4096);

	TK_CASE("an alert after the Certificate record");
	at = frame(out, hs, shn + sizeof(CERT1) - 1, 4096);
	memcpy(out + at, alert, sizeof(alert));
	r = sh;
	EXPECT_EQ_INT(tk_rawhello_parse_flight(&r, out, at + 3,
	    TK_RAWHELLO_SKE_ECDHE, false), TK_RAWHELLO_MORE);
	EXPECT_EQ_INT(tk_rawhello_parse_flight(&r, out, at + sizeof(alert),
	    TK_RAWHELLO_SKE_ECDHE, false), TK_RAWHELLO_ALERT);
	EXPECT_EQ_INT(r.alert_level, 2);
	EXPECT_EQ_INT(r.alert_desc, 42);
	EXPECT_EQ_SIZE(r.used, at + sizeof(alert));
	EXPECT_EQ_INT(r.ncerts, 1);
	EXPECT_TRUE(!r.flight_done);

	TK_CASE("an alert inside a split Certificate");
	at = frame(out, hs, shn + 5, 4096);
	memcpy(out + at, alert, sizeof(alert));
	r = sh;
	EXPECT_EQ_INT(tk_rawhello_parse_flight(&r, out, at + sizeof(alert),
	    TK_RAWHELLO_SKE_ECDHE, false), TK_RAWHELLO_MALFORMED);
	EXPECT_CONTAINS(r.why, "inside a split");

	TK_CASE("a short alert record");
	at = frame(out, hs, shn, 4096);
	memcpy(out + at, "\x15\x03\x03\x00\x01\x02", 6);
	r = sh;
	EXPECT_EQ_INT(tk_rawhello_parse_flight(&r, out, at + 6,
	    TK_RAWHELLO_SKE_ECDHE, false), TK_RAWHELLO_MALFORMED);

	TK_CASE("ChangeCipherSpec after the ServerHello (a resumption)");
	memcpy(out + at, "\x14\x03\x03\x00\x01\x01", 6);
	r = sh;
	EXPECT_EQ_INT(tk_rawhello_parse_flight(&r, out, at + 6,
	    TK_RAWHELLO_SKE_ECDHE, false), TK_RAWHELLO_MALFORMED);
	EXPECT_CONTAINS(r.why, "other than handshake or alert");

	TK_CASE("an empty handshake record");
	memcpy(out + at, "\x16\x03\x03\x00\x00", 5);
	r = sh;
	EXPECT_EQ_INT(tk_rawhello_parse_flight(&r, out, at + 5,
	    TK_RAWHELLO_SKE_ECDHE, false), TK_RAWHELLO_MALFORMED);
	EXPECT_CONTAINS(r.why, "empty record");

	TK_CASE("a record of 16385 bytes");
	memcpy(out + at, "\x16\x03\x03\x40\x01", 5);
	r = sh;
	EXPECT_EQ_INT(tk_rawhello_parse_flight(&r, out, at + 5,
	    TK_RAWHELLO_SKE_ECDHE, false), TK_RAWHELLO_MALFORMED);
	EXPECT_CONTAINS(r.why, "longer than 16384");

	TK_CASE("a record of version 2.0");
	memcpy(out + at, "\x16\x02\x00\x00\x04" DONE, 9);
	r = sh;
	EXPECT_EQ_INT(tk_rawhello_parse_flight(&r, out, at + 9,
	    TK_RAWHELLO_SKE_NONE, false), TK_RAWHELLO_MALFORMED);

	TK_CASE("handshake bytes after ServerHelloDone, same record");
	n = frame(out, hs, shn + sizeof(CERT1 SKE_EC DONE) - 1 + 1, 4096);
	r = sh;
	EXPECT_EQ_INT(tk_rawhello_parse_flight(&r, out, n,
	    TK_RAWHELLO_SKE_ECDHE, false), TK_RAWHELLO_MALFORMED);
	EXPECT_CONTAINS(r.why, "after the ServerHelloDone");

	TK_CASE("a later record after ServerHelloDone is not read");
	n = frame(out, hs, shn + sizeof(CERT1 SKE_EC DONE) - 1, 4096);
	memcpy(out + n, alert, sizeof(alert));
	r = sh;
	EXPECT_EQ_INT(tk_rawhello_parse_flight(&r, out, n + sizeof(alert),
	    TK_RAWHELLO_SKE_ECDHE, false), TK_RAWHELLO_SERVER_HELLO);
	EXPECT_EQ_SIZE(r.used, n);

	TK_CASE("the first message is not a ServerHello");
	n = frame(out, (const unsigned char *)CERT1 DONE,
	    sizeof(CERT1 DONE) - 1, 4096);
	r = sh;
	EXPECT_EQ_INT(tk_rawhello_parse_flight(&r, out, n,
	    TK_RAWHELLO_SKE_NONE, false), TK_RAWHELLO_MALFORMED);
	EXPECT_CONTAINS(r.why, "not a ServerHello");

	TK_CASE("a Certificate of 60000 bytes in 1-byte records: the cap");
	hs[shn] = 11;
	hs[shn + 1] = 0;
	hs[shn + 2] = 60000 >> 8;
	hs[shn + 3] = 60000 & 0xff;
	memset(hs + shn + 4, 0, 60000);
	n = frame(out, hs, shn + 4 + 60000, 1);
	r = sh;
	EXPECT_EQ_INT(tk_rawhello_parse_flight(&r, out, 20000,
	    TK_RAWHELLO_SKE_ECDHE, false), TK_RAWHELLO_MORE);
	EXPECT_EQ_INT(tk_rawhello_parse_flight(&r, out,
	    TK_RAWHELLO_FLIGHT_MAX - 1, TK_RAWHELLO_SKE_ECDHE, false),
	    TK_RAWHELLO_MORE);
	EXPECT_EQ_INT(tk_rawhello_parse_flight(&r, out, n,
	    TK_RAWHELLO_SKE_ECDHE, false), TK_RAWHELLO_MALFORMED);
	EXPECT_CONTAINS(r.why, "first 65536 bytes");
	EXPECT_EQ_INT(tk_rawhello_parse_flight(&r, out,
	    TK_RAWHELLO_FLIGHT_MAX, TK_RAWHELLO_SKE_ECDHE, false),
	    TK_RAWHELLO_MALFORMED);

	TK_CASE("a flight of 64 KiB in big records fits");
	/* a Certificate of 4 certificates of 16000 bytes */
	{
		size_t p = shn;

		hs[p++] = 11;
		hs[p++] = 0;
		hs[p++] = (4 * 16003 + 3) >> 8;
		hs[p++] = (4 * 16003 + 3) & 0xff;
		hs[p++] = 0;
		hs[p++] = (4 * 16003) >> 8;
		hs[p++] = (4 * 16003) & 0xff;
		for (size_t c = 0; c < 4; c++) {
			hs[p++] = 0;
			hs[p++] = 16000 >> 8;
			hs[p++] = 16000 & 0xff;
			memset(hs + p, 0x30, 16000);
			p += 16000;
		}
		memcpy(hs + p, DONE, 4);
		n = frame(out, hs, p + 4, 16384);
		EXPECT_TRUE(n <= TK_RAWHELLO_FLIGHT_MAX);
		r = sh;
		EXPECT_EQ_INT(tk_rawhello_parse_flight(&r, out, n,
		    TK_RAWHELLO_SKE_NONE, false), TK_RAWHELLO_SERVER_HELLO);
		EXPECT_EQ_INT(r.ncerts, 4);
		EXPECT_EQ_SIZE(r.cert_bytes, 4 * 16003);
	}
	TK_CASE(NULL);
}

/* Every single-byte corruption of two real flights: no crash, `used` in
 * the input, flight_done only with SERVER_HELLO (ASan and UBSan in CI). */
static void
test_flight_mangled(void)
{
	static unsigned char m[4096];
	struct tk_rawhello_reply sh, r;
	const struct flight *fs[] = { &flights[6], &flights[9] };

	for (size_t k = 0; k < 2; k++) {
		const struct flight *f = fs[k];

		tk_rawhello_parse(&sh, f->v, f->n);
		for (size_t i = 0; i < f->n; i++) {
			memcpy(m, f->v, f->n);
			m[i] ^= 0xff;
			r = sh;
			tk_rawhello_parse_flight(&r, m, f->n, f->ske, f->anon);
			EXPECT_TRUE(r.used <= f->n);
			EXPECT_TRUE(!r.flight_done ||
			    r.kind == TK_RAWHELLO_SERVER_HELLO);
			EXPECT_TRUE(r.kind != TK_RAWHELLO_MALFORMED ||
			    r.why != NULL);
		}
	}
}

static void
run(void)
{
	test_build_tls12();
	test_build_tls13();
	test_build_ssl3();
	test_build_errors();
	test_build_v2();
	test_real();
	test_split();
	test_hostile_sh();
	test_raw();
	test_bounds();
	test_mangled();
	test_flight_real();
	test_flight_hostile();
	test_flight_records();
	test_flight_mangled();
}

TK_TEST_MAIN("test_rawhello", run)
