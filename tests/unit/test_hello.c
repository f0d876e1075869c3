/* Unit tests for lib/hello.h: what a ClientHello offers, read bounded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hello.h"

#include "tk_test.h"

/* A ClientHello body under construction. */
struct msg {
	unsigned char b[4096];
	size_t n;
	size_t ext_len_at;   /* where the extensions' length goes */
};

static void
put(struct msg *m, const void *p, size_t n)
{
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

static void
put8(struct msg *m, unsigned v)
{
	m->b[m->n++] = (unsigned char)v;
}

static void
put16(struct msg *m, unsigned v)
{
	put8(m, v >> 8);
	put8(m, v & 0xff);
}

/* legacy_version, random, session id, one suite, null compression */
static void
head(struct msg *m, unsigned legacy)
{
	m->n = 0;
	put16(m, legacy);
	for (int i = 0; i < 32; i++) {
		put8(m, (unsigned)i);
	}
	put8(m, 0);
	put16(m, 2);
	put16(m, 0x1301);
	put8(m, 1);
	put8(m, 0);
	m->ext_len_at = m->n;
	put16(m, 0);
}

static void
ext(struct msg *m, unsigned type, const void *p, size_t n)
{
	size_t total;

	put16(m, type);
	put16(m, (unsigned)n);
	put(m, p, n);
	total = m->n - m->ext_len_at - 2;
	m->b[m->ext_len_at] = (unsigned char)(total >> 8);
	m->b[m->ext_len_at + 1] = (unsigned char)(total & 0xff);
}

static const unsigned char SNI_DMARC[] = {
	0, 17, 0, 0, 14, '_', 'd', 'm', 'a', 'r', 'c', '.', 'e', 'x', 'a',
	'm', 'p', 'l', 'e',
};
static const unsigned char ALPN_H2_H11[] = {
	0, 12, 2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1',
};
static const unsigned char VERSIONS[] = {6, 0x0a, 0x0a, 3, 4, 3, 3};
static const unsigned char GROUPS[] = {0, 6, 0, 29, 0, 23, 1, 0};
static const unsigned char SIGALGS[] = {0, 6, 4, 3, 8, 4, 0x12, 0x34};

static void
alpn_list(const struct tk_hello *h, char *out, size_t len)
{
	const unsigned char *name;
	size_t off = 0, nl, used = 0;

	out[0] = '\0';
	while (tk_hello_alpn_next(h, &off, &name, &nl)) {
		used += (size_t)snprintf(out + used, len - used, "%s%.*s",
		    used ? "," : "", (int)nl, (const char *)name);
	}
}

static void
run(void)
{
	struct msg m;
	struct tk_hello h;
	const uint16_t *ids;
	char buf[512], hex[16];

	TK_CASE("a full hello: SNI with an underscore, ALPN, versions");
	head(&m, 0x0303);
	ext(&m, TK_HELLO_EXT_SERVER_NAME, SNI_DMARC, sizeof(SNI_DMARC));
	ext(&m, TK_HELLO_EXT_ALPN, ALPN_H2_H11, sizeof(ALPN_H2_H11));
	ext(&m, 0xff01, "\0", 1);          /* not read */
	ext(&m, TK_HELLO_EXT_VERSIONS, VERSIONS, sizeof(VERSIONS));
	ext(&m, TK_HELLO_EXT_GROUPS, GROUPS, sizeof(GROUPS));
	ext(&m, TK_HELLO_EXT_SIGALGS, SIGALGS, sizeof(SIGALGS));
	EXPECT_EQ_INT(tk_hello_parse(&h, m.b, m.n), 0);
	EXPECT_TRUE(h.seen && !h.malformed && !h.cut);
	EXPECT_TRUE(h.sni_present);
	EXPECT_EQ_STR(h.sni, "_dmarc.example");
	EXPECT_EQ_SIZE(h.sni_len, 14);
	alpn_list(&h, buf, sizeof(buf));
	EXPECT_EQ_STR(buf, "h2,http/1.1");
	EXPECT_EQ_SIZE(tk_hello_versions(&h, &ids), 3);
	EXPECT_EQ_STR(tk_hello_version_name(ids[0], hex, sizeof(hex)),
	    "GREASE");
	EXPECT_EQ_STR(tk_hello_version_name(ids[1], hex, sizeof(hex)),
	    "TLS1.3");
	EXPECT_EQ_STR(tk_hello_version_name(ids[2], hex, sizeof(hex)),
	    "TLS1.2");
	EXPECT_EQ_SIZE(h.ngroups, 3);
	EXPECT_EQ_STR(tk_hello_group_name(h.groups[0], hex, sizeof(hex)),
	    "X25519");
	EXPECT_EQ_STR(tk_hello_group_name(h.groups[2], hex, sizeof(hex)),
	    "FFDHE2048");
	EXPECT_EQ_SIZE(h.nsigalgs, 3);
	EXPECT_EQ_STR(tk_hello_sigalg_name(h.sigalgs[0], hex, sizeof(hex)),
	    "ecdsa_secp256r1_sha256");
	EXPECT_EQ_STR(tk_hello_sigalg_name(h.sigalgs[1], hex, sizeof(hex)),
	    "rsa_pss_rsae_sha256");
	EXPECT_EQ_STR(tk_hello_sigalg_name(h.sigalgs[2], hex, sizeof(hex)),
	    "0x1234");

	TK_CASE("no extensions: the legacy version alone, nothing else");
	head(&m, 0x0302);
	m.n -= 2;                          /* no extension block at all */
	EXPECT_EQ_INT(tk_hello_parse(&h, m.b, m.n), 0);
	EXPECT_TRUE(!h.sni_present && !h.alpn_present && !h.versions_present);
	EXPECT_EQ_SIZE(tk_hello_versions(&h, &ids), 1);
	EXPECT_EQ_STR(tk_hello_version_name(ids[0], hex, sizeof(hex)),
	    "TLS1.1");

	TK_CASE("a truncated message");
	head(&m, 0x0303);
	ext(&m, TK_HELLO_EXT_ALPN, ALPN_H2_H11, sizeof(ALPN_H2_H11));
	EXPECT_EQ_INT(tk_hello_parse(&h, m.b, m.n - 3), -1);
	EXPECT_TRUE(h.malformed);
	EXPECT_EQ_INT(tk_hello_parse(&h, m.b, 1), -1);
	EXPECT_EQ_INT(tk_hello_parse(&h, m.b, 0), -1);

	TK_CASE("extension payloads that lie about their lengths");
	{
		static const unsigned char sni_long[] = {0, 5, 0, 0, 9, 'a'};
		static const unsigned char sni_list[] = {0, 9, 0, 0, 1, 'a'};
		static const unsigned char alpn_zero[] = {0, 1, 0};
		static const unsigned char alpn_over[] = {0, 2, 5, 'a'};
		static const unsigned char odd[] = {0, 3, 0, 29, 0};
		static const unsigned char vers_odd[] = {3, 3, 4, 3};

		tk_hello_init(&h);
		EXPECT_EQ_INT(tk_hello_ext(&h, 0, sni_long, sizeof(sni_long)),
		    -1);
		EXPECT_EQ_INT(tk_hello_ext(&h, 0, sni_list, sizeof(sni_list)),
		    -1);
		EXPECT_TRUE(!h.sni_present);
		EXPECT_EQ_INT(tk_hello_ext(&h, 16, alpn_zero,
		    sizeof(alpn_zero)), -1);
		EXPECT_EQ_INT(tk_hello_ext(&h, 16, alpn_over,
		    sizeof(alpn_over)), -1);
		EXPECT_EQ_INT(tk_hello_ext(&h, 10, odd, sizeof(odd)), -1);
		EXPECT_EQ_INT(tk_hello_ext(&h, 43, vers_odd, sizeof(vers_odd)),
		    -1);
		EXPECT_EQ_INT(tk_hello_ext(&h, 0, NULL, 0), -1);
		EXPECT_EQ_INT(tk_hello_ext(&h, 13, NULL, 0), -1);
		EXPECT_TRUE(h.malformed);
	}

	TK_CASE("lists past their caps are cut, never overrun");
	{
		unsigned char big[2 + 2 * 100];
		unsigned char names[2 + 100 * 10];
		size_t k = 2;

		big[0] = 0;
		big[1] = 200;
		for (int i = 0; i < 100; i++) {
			big[2 + 2 * i] = 0;
			big[3 + 2 * i] = (unsigned char)(i + 1);
		}
		tk_hello_init(&h);
		EXPECT_EQ_INT(tk_hello_ext(&h, 10, big, sizeof(big)), 0);
		EXPECT_EQ_SIZE(h.ngroups, TK_HELLO_IDS_MAX);
		EXPECT_TRUE(h.cut);
		for (int i = 0; i < 100; i++) {
			names[k++] = 9;
			memcpy(names + k, "protocolX", 9);
			k += 9;
		}
		names[0] = (unsigned char)((k - 2) >> 8);
		names[1] = (unsigned char)((k - 2) & 0xff);
		tk_hello_init(&h);
		EXPECT_EQ_INT(tk_hello_ext(&h, 16, names, k), 0);
		EXPECT_TRUE(h.cut && h.alpn_len <= TK_HELLO_ALPN_WIRE);
		EXPECT_EQ_SIZE(h.alpn_len, (TK_HELLO_ALPN_WIRE / 10) * 10);
	}

	TK_CASE("a server name longer than the cap");
	{
		unsigned char sni[5 + 300];

		sni[0] = (unsigned char)((3 + 300) >> 8);
		sni[1] = (unsigned char)((3 + 300) & 0xff);
		sni[2] = 0;
		sni[3] = (unsigned char)(300 >> 8);
		sni[4] = (unsigned char)(300 & 0xff);
		memset(sni + 5, 'a', 300);
		tk_hello_init(&h);
		EXPECT_EQ_INT(tk_hello_ext(&h, 0, sni, sizeof(sni)), 0);
		EXPECT_EQ_SIZE(h.sni_len, TK_HELLO_SNI_MAX);
		EXPECT_EQ_SIZE(strlen(h.sni), TK_HELLO_SNI_MAX);
		EXPECT_TRUE(h.cut);
	}

	TK_CASE("names");
	EXPECT_EQ_STR(tk_hello_version_name(0x7f1c, hex, sizeof(hex)),
	    "0x7f1c");
	EXPECT_EQ_STR(tk_hello_group_name(0xfafa, hex, sizeof(hex)),
	    "GREASE");
	EXPECT_EQ_STR(tk_hello_group_name(0xfa0a, hex, sizeof(hex)),
	    "0xfa0a");

}

TK_TEST_MAIN("test_hello", run)
