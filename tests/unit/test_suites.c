/* Unit tests for lib/suites.h: the IANA cipher suite table. */
#include <stdint.h>
#include <string.h>

#include "suites.h"

#include "tk_test.h"

struct known {
	uint16_t code;
	const char *name;
	unsigned kx, auth, enc, bits, mac;
	uint16_t min_version;
	unsigned flags;
};

static const struct known known[] = {
	{ 0x0000, "TLS_NULL_WITH_NULL_NULL", TK_SUITES_KX_NULL,
	    TK_SUITES_AUTH_NULL, TK_SUITES_ENC_NULL, 0, TK_SUITES_MAC_NULL,
	    0x0300, 0 },
	{ 0x0003, "TLS_RSA_EXPORT_WITH_RC4_40_MD5", TK_SUITES_KX_RSA,
	    TK_SUITES_AUTH_RSA, TK_SUITES_ENC_RC4, 40, TK_SUITES_MAC_MD5,
	    0x0300, TK_SUITES_EXPORT },
	{ 0x0004, "TLS_RSA_WITH_RC4_128_MD5", TK_SUITES_KX_RSA,
	    TK_SUITES_AUTH_RSA, TK_SUITES_ENC_RC4, 128, TK_SUITES_MAC_MD5,
	    0x0300, 0 },
	{ 0x000A, "TLS_RSA_WITH_3DES_EDE_CBC_SHA", TK_SUITES_KX_RSA,
	    TK_SUITES_AUTH_RSA, TK_SUITES_ENC_3DES, 112, TK_SUITES_MAC_SHA1,
	    0x0300, 0 },
	{ 0x0018, "TLS_DH_anon_WITH_RC4_128_MD5", TK_SUITES_KX_DHE,
	    TK_SUITES_AUTH_ANON, TK_SUITES_ENC_RC4, 128, TK_SUITES_MAC_MD5,
	    0x0300, TK_SUITES_FS | TK_SUITES_ANON },
	{ 0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA", TK_SUITES_KX_RSA,
	    TK_SUITES_AUTH_RSA, TK_SUITES_ENC_AES_CBC, 128,
	    TK_SUITES_MAC_SHA1, 0x0301, 0 },
	{ 0x003B, "TLS_RSA_WITH_NULL_SHA256", TK_SUITES_KX_RSA,
	    TK_SUITES_AUTH_RSA, TK_SUITES_ENC_NULL, 0, TK_SUITES_MAC_SHA256,
	    0x0303, 0 },
	{ 0x009E, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", TK_SUITES_KX_DHE,
	    TK_SUITES_AUTH_RSA, TK_SUITES_ENC_AES_GCM, 128,
	    TK_SUITES_MAC_AEAD, 0x0303, TK_SUITES_AEAD | TK_SUITES_FS },
	{ 0x00FF, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV", TK_SUITES_KX_NONE,
	    TK_SUITES_AUTH_NONE, TK_SUITES_ENC_NONE, 0, TK_SUITES_MAC_NONE, 0,
	    TK_SUITES_SCSV },
	{ 0x1301, "TLS_AES_128_GCM_SHA256", TK_SUITES_KX_TLS13,
	    TK_SUITES_AUTH_TLS13, TK_SUITES_ENC_AES_GCM, 128,
	    TK_SUITES_MAC_AEAD, 0x0304, TK_SUITES_AEAD | TK_SUITES_FS },
	{ 0x1303, "TLS_CHACHA20_POLY1305_SHA256", TK_SUITES_KX_TLS13,
	    TK_SUITES_AUTH_TLS13, TK_SUITES_ENC_CHACHA20_POLY1305, 256,
	    TK_SUITES_MAC_AEAD, 0x0304, TK_SUITES_AEAD | TK_SUITES_FS },
	{ 0x5600, "TLS_FALLBACK_SCSV", TK_SUITES_KX_NONE,
	    TK_SUITES_AUTH_NONE, TK_SUITES_ENC_NONE, 0, TK_SUITES_MAC_NONE, 0,
	    TK_SUITES_SCSV },
	{ 0xC011, "TLS_ECDHE_RSA_WITH_RC4_128_SHA", TK_SUITES_KX_ECDHE,
	    TK_SUITES_AUTH_RSA, TK_SUITES_ENC_RC4, 128, TK_SUITES_MAC_SHA1,
	    0x0301, TK_SUITES_FS },
	{ 0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", TK_SUITES_KX_ECDHE,
	    TK_SUITES_AUTH_RSA, TK_SUITES_ENC_AES_GCM, 128,
	    TK_SUITES_MAC_AEAD, 0x0303, TK_SUITES_AEAD | TK_SUITES_FS },
	{ 0xC0AE, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8", TK_SUITES_KX_ECDHE,
	    TK_SUITES_AUTH_ECDSA, TK_SUITES_ENC_AES_CCM_8, 128,
	    TK_SUITES_MAC_AEAD, 0x0303, TK_SUITES_AEAD | TK_SUITES_FS },
	{ 0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
	    TK_SUITES_KX_ECDHE, TK_SUITES_AUTH_RSA,
	    TK_SUITES_ENC_CHACHA20_POLY1305, 256, TK_SUITES_MAC_AEAD, 0x0303,
	    TK_SUITES_AEAD | TK_SUITES_FS },
};

static void
test_known(void)
{
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		const struct known *k = &known[i];
		const struct tk_suite *s = tk_suites_by_code(k->code);

		TK_CASE(k->name);
		EXPECT_TRUE(s != NULL);
		if (s == NULL) {
			continue;
		}
		EXPECT_EQ_STR(s->name, k->name);
		EXPECT_EQ_INT(s->kx, k->kx);
		EXPECT_EQ_INT(s->auth, k->auth);
		EXPECT_EQ_INT(s->enc, k->enc);
		EXPECT_EQ_INT(s->bits, k->bits);
		EXPECT_EQ_INT(s->mac, k->mac);
		EXPECT_EQ_INT(s->min_version, k->min_version);
		EXPECT_EQ_INT(s->flags, k->flags);
		EXPECT_TRUE(tk_suites_by_name(k->name) == s);
	}
	TK_CASE(NULL);
}

static void
test_table(void)
{
	size_t n, nexport = 0, nscsv = 0, n13 = 0, nanon = 0;
	const struct tk_suite *t = tk_suites_all(&n);

	/* the assigned values of the registry, SCSVs included */
	EXPECT_EQ_SIZE(n, 352);
	for (size_t i = 0; i < n; i++) {
		TK_CASE(t[i].name);
		if (i > 0) {
			EXPECT_TRUE(t[i - 1].code < t[i].code);
		}
		EXPECT_TRUE(strncmp(t[i].name, "TLS_", 4) == 0);
		EXPECT_TRUE(tk_suites_by_code(t[i].code) == &t[i]);
		EXPECT_TRUE(tk_suites_by_name(t[i].name) == &t[i]);
		/* every AEAD suite says AEAD as its MAC, and only those */
		EXPECT_EQ_INT((t[i].flags & TK_SUITES_AEAD) != 0,
		    t[i].mac == TK_SUITES_MAC_AEAD);
		EXPECT_TRUE(strcmp(tk_suites_kx_name(t[i].kx), "?") != 0);
		EXPECT_TRUE(strcmp(tk_suites_enc_name(t[i].enc), "?") != 0);
		nexport += (t[i].flags & TK_SUITES_EXPORT) != 0;
		nscsv += (t[i].flags & TK_SUITES_SCSV) != 0;
		nanon += (t[i].flags & TK_SUITES_ANON) != 0;
		n13 += t[i].min_version == TK_SUITES_TLS13;
	}
	TK_CASE(NULL);
	/* 0x0003, 06, 08, 0B, 0E, 11, 14, 17, 19, 0x0026-0x002B */
	EXPECT_EQ_SIZE(nexport, 15);
	EXPECT_EQ_SIZE(nscsv, 2);
	/* 0x1301-0x1307, SM4 (RFC 8998), integrity-only (RFC 9150), the
	 * TLS 1.3 GOST suites (RFC 9367) */
	EXPECT_EQ_SIZE(n13, 7 + 2 + 2 + 4);
	/* DH_anon: 0x0017-0x001B, 34, 3A, 46, 6C, 6D, 89, 9B, A6, A7, BF,
	 * C5, C046, C047, C05A, C05B, C084, C085; ECDH_anon: C015-C019 */
	EXPECT_EQ_SIZE(nanon, 5 + 11 + 6 + 5);
}

static void
test_misses(void)
{
	size_t n;
	const struct tk_suites_v2 *v2 = tk_suites_v2_all(&n);

	EXPECT_TRUE(tk_suites_by_code(0x0001) != NULL);
	EXPECT_TRUE(tk_suites_by_code(0x001C) == NULL);   /* reserved */
	EXPECT_TRUE(tk_suites_by_code(0x0060) == NULL);   /* EXPORT1024 */
	EXPECT_TRUE(tk_suites_by_code(0xFFFF) == NULL);
	EXPECT_TRUE(tk_suites_by_code(0x0A0A) == NULL);   /* GREASE */
	EXPECT_TRUE(tk_suites_by_name("tls_rsa_with_aes_128_cbc_sha") ==
	    tk_suites_by_code(0x002F));
	EXPECT_TRUE(tk_suites_by_name("TLS_RSA_WITH_AES_128_CBC") == NULL);
	EXPECT_TRUE(tk_suites_by_name("") == NULL);
	EXPECT_EQ_STR(tk_suites_kx_name(200), "?");
	EXPECT_EQ_STR(tk_suites_mac_name(TK_SUITES_MAC_AEAD), "AEAD");
	EXPECT_EQ_STR(tk_suites_enc_name(TK_SUITES_ENC_3DES), "3DES");
	EXPECT_EQ_STR(tk_suites_auth_name(TK_SUITES_AUTH_ANON), "ANON");
	EXPECT_EQ_STR(tk_suites_version_name(0x0303), "TLS1.2");
	EXPECT_EQ_STR(tk_suites_version_name(0x0002), "SSL2.0");
	EXPECT_TRUE(tk_suites_version_name(0x0305) == NULL);

	EXPECT_EQ_SIZE(n, 7);
	for (size_t i = 1; i < n; i++) {
		EXPECT_TRUE(v2[i - 1].code < v2[i].code);
	}
	EXPECT_EQ_STR(tk_suites_v2_by_code(0x020080)->name,
	    "SSL_CK_RC4_128_EXPORT40_WITH_MD5");
	EXPECT_EQ_INT(tk_suites_v2_by_code(0x020080)->flags,
	    TK_SUITES_EXPORT);
	EXPECT_EQ_INT(tk_suites_v2_by_code(0x0700C0)->bits, 112);
	EXPECT_TRUE(tk_suites_v2_by_code(0x080080) == NULL);
}

static void
run(void)
{
	test_known();
	test_table();
	test_misses();
}

TK_TEST_MAIN("test_suites", run)
