/*
 * Unit tests for lib/scanfind.h: the configuration's findings of a scan
 * result built here by hand, and the --require rules (parse and judge);
 * lib/suites.h's group and signature algorithm tables.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scanfind.h"
#include "suites.h"

#include "tk_test.h"

/* A zeroed result: every version refused, nothing else known. */
static struct tk_scan_res *
res_new(void)
{
	struct tk_scan_res *r = calloc(1, sizeof(*r));

	for (int v = 0; v < TK_SCAN_NVER; v++) {
		r->v[v].accepted = TK_SCAN_NO;
		r->v[v].server_order = TK_SCAN_UNKNOWN;
	}
	r->fallback_scsv = r->compression = r->secure_reneg = r->ems =
	    r->etm = r->ocsp_stapling = TK_SCAN_UNKNOWN;
	r->main.handshake_done = true;
	return r;
}

static void
take(struct tk_scan_res *r, enum tk_scan_ver v, const uint32_t *codes,
    size_t n)
{
	r->v[v].accepted = TK_SCAN_YES;
	memcpy(r->v[v].suites, codes, n * sizeof(codes[0]));
	r->v[v].nsuites = n;
}

static const struct tk_finding *
finding(const struct tk_findings *fs, const char *code)
{
	for (size_t i = 0; i < fs->n; i++) {
		if (strcmp(fs->f[i].code, code) == 0) {
			return &fs->f[i];
		}
	}
	return NULL;
}

/* A modern server: TLS 1.2 and 1.3, AEAD with forward secrecy only. */
static void
test_clean(void)
{
	static const uint32_t s13[] = {0x1302, 0x1301};
	static const uint32_t s12[] = {0xC030, 0xC02F};
	struct tk_scan_res *r = res_new();
	struct tk_findings fs;

	take(r, TK_SCAN_TLS13, s13, 2);
	take(r, TK_SCAN_TLS12, s12, 2);
	r->v[TK_SCAN_TLS12].server_order = TK_SCAN_NO;
	r->secure_reneg = r->ems = r->fallback_scsv = TK_SCAN_YES;
	r->compression = TK_SCAN_NO;
	memset(&fs, 0, sizeof(fs));
	tk_scanfind_judge(r, &fs);
	/* client order with strong suites only: info, nothing else */
	EXPECT_EQ_SIZE(fs.n, 1);
	EXPECT_EQ_STR(fs.f[0].code, "no-server-order");
	EXPECT_EQ_INT(fs.f[0].sev, TK_SEV_INFO);
	EXPECT_EQ_INT(tk_findings_class(&fs), TK_OK);
	free(r);
}

/* Every kind of weak suite, each named once with its count. */
static void
test_weak(void)
{
	static const uint32_t s10[] = {
		0x0004,     /* TLS_RSA_WITH_RC4_128_MD5 */
		0x0003,     /* TLS_RSA_EXPORT_WITH_RC4_40_MD5 */
		0x0001,     /* TLS_RSA_WITH_NULL_MD5 */
		0x0018,     /* TLS_DH_anon_WITH_RC4_128_MD5 */
		0x0009,     /* TLS_RSA_WITH_DES_CBC_SHA */
		0x000A,     /* TLS_RSA_WITH_3DES_EDE_CBC_SHA */
		0x002F,     /* TLS_RSA_WITH_AES_128_CBC_SHA */
	};
	static const uint32_t v2[] = {0x010080, 0x0700C0};
	struct tk_scan_res *r = res_new();
	struct tk_findings fs;
	const struct tk_finding *f;

	take(r, TK_SCAN_TLS10, s10, sizeof(s10) / sizeof(s10[0]));
	take(r, TK_SCAN_SSL3, s10, 2);
	take(r, TK_SCAN_SSL2, v2, 2);
	r->dh_bits = 768;
	r->compression = TK_SCAN_YES;
	r->secure_reneg = TK_SCAN_NO;
	r->fallback_scsv = TK_SCAN_NO;
	r->ems = TK_SCAN_NO;
	r->ngroups12 = 2;
	r->groups12[0] = 19;    /* secp192r1 */
	r->groups12[1] = 23;
	memset(&fs, 0, sizeof(fs));
	tk_scanfind_judge(r, &fs);
	EXPECT_TRUE(finding(&fs, "ssl2-enabled") != NULL);
	EXPECT_TRUE(finding(&fs, "ssl3-enabled") != NULL);
	EXPECT_TRUE(finding(&fs, "tls10-enabled") != NULL);
	EXPECT_TRUE(finding(&fs, "tls11-enabled") == NULL);
	EXPECT_TRUE(finding(&fs, "no-modern-version") != NULL);
	EXPECT_TRUE(finding(&fs, "no-tls13") == NULL);
	f = finding(&fs, "rc4-suite");
	EXPECT_TRUE(f != NULL);
	/* RC4 128 MD5 (TLS1.0, SSL3.0, SSL2.0), export RC4, anon RC4 */
	if (f != NULL) {
		EXPECT_EQ_STR(f->message, "6 suites with RC4 accepted: "
		    "TLS_RSA_WITH_RC4_128_MD5, TLS_RSA_EXPORT_WITH_RC4_40_MD5 "
		    "and 4 more (TLS1.0, SSL3.0, SSL2.0)");
		EXPECT_EQ_INT(f->sev, TK_SEV_FAIL);
	}
	EXPECT_TRUE(finding(&fs, "export-suite") != NULL);
	EXPECT_TRUE(finding(&fs, "null-suite") != NULL);
	EXPECT_TRUE(finding(&fs, "anon-suite") != NULL);
	EXPECT_TRUE(finding(&fs, "des-suite") != NULL);
	f = finding(&fs, "3des-suite");
	EXPECT_TRUE(f != NULL && f->sev == TK_SEV_WARN);
	EXPECT_TRUE(finding(&fs, "static-kx") != NULL);
	EXPECT_TRUE(finding(&fs, "cbc-suite") != NULL);
	EXPECT_TRUE(finding(&fs, "dh-under-1024") != NULL);
	EXPECT_TRUE(finding(&fs, "dh-under-2048") == NULL);
	f = finding(&fs, "weak-group");
	EXPECT_TRUE(f != NULL && strstr(f->message, "secp192r1") != NULL &&
	    strstr(f->message, "secp256r1") == NULL);
	EXPECT_TRUE(finding(&fs, "compression") != NULL);
	EXPECT_TRUE(finding(&fs, "insecure-renegotiation") != NULL);
	EXPECT_TRUE(finding(&fs, "no-fallback-scsv") != NULL);
	EXPECT_TRUE(finding(&fs, "no-ems") != NULL);
	EXPECT_EQ_INT(tk_findings_class(&fs), TK_CHECK);
	free(r);
}

/* A server that takes whatever is offered, and one that answered what
 * was not offered; a handshake GnuTLS could not complete. */
static void
test_hostile(void)
{
	struct tk_scan_res *r = res_new();
	struct tk_findings fs;
	size_t n;
	const struct tk_suite *all = tk_suites_all(&n);

	for (size_t i = 0; i < n && r->v[TK_SCAN_TLS12].nsuites < 300; i++) {
		if (!(all[i].flags & TK_SUITES_SCSV) &&
		    all[i].min_version < TK_SUITES_TLS13) {
			r->v[TK_SCAN_TLS12].suites[
			    r->v[TK_SCAN_TLS12].nsuites++] = all[i].code;
		}
	}
	r->v[TK_SCAN_TLS12].accepted = TK_SCAN_YES;
	r->violation = true;
	snprintf(r->violation_why, sizeof(r->violation_why), "why");
	r->main.handshake_done = false;
	memset(&fs, 0, sizeof(fs));
	tk_scanfind_judge(r, &fs);
	EXPECT_TRUE(finding(&fs, "accepts-everything") != NULL);
	EXPECT_TRUE(finding(&fs, "protocol-violation") != NULL);
	EXPECT_TRUE(finding(&fs, "handshake-failed") != NULL);
	free(r);
}

static void
test_rules_parse(void)
{
	struct tk_scanfind_rules rules;
	struct tk_err e;
	const char *ok[] = {"min-version=1.2,forward-secrecy",
	    "aead-only", "tls13,server-order", "max-severity=warning",
	    "no-finding=rc4-suite", "min-version=TLSv1.3",
	    "min-version=TLS1.0"};
	const char *bad[] = {"", "fast", "min-version", "min-version=1.4",
	    "max-severity=fail", "no-finding=nosuch", "aead-only,",
	    "tls13=yes", ",aead-only"};

	tk_err_clear(&e);
	EXPECT_EQ_INT(tk_scanfind_parse(ok, sizeof(ok) / sizeof(ok[0]),
	    &rules, &e), 0);
	EXPECT_EQ_SIZE(rules.n, 9);
	EXPECT_EQ_INT(rules.r[0].kind, TK_RULE_MIN_VERSION);
	EXPECT_EQ_INT(rules.r[0].version, 0x0303);
	EXPECT_EQ_STR(rules.r[0].text, "min-version=1.2");
	EXPECT_EQ_INT(rules.r[1].kind, TK_RULE_FORWARD_SECRECY);
	EXPECT_EQ_INT(rules.r[5].sev, TK_SEV_WARN);
	EXPECT_EQ_STR(rules.r[6].code, "rc4-suite");
	EXPECT_EQ_INT(rules.r[7].version, 0x0304);
	EXPECT_EQ_INT(rules.r[8].version, 0x0301);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		TK_CASE(bad[i]);
		tk_err_clear(&e);
		EXPECT_EQ_INT(tk_scanfind_parse(&bad[i], 1, &rules, &e), -1);
		EXPECT_EQ_INT(e.cls, TK_USAGE);
	}
	TK_CASE(NULL);
}

static void
test_rules_judge(void)
{
	static const uint32_t s13[] = {0x1301};
	static const uint32_t s12[] = {0xC02F, 0x009C, 0xC013};
	const char *args[] = {"min-version=1.2,forward-secrecy,aead-only,"
	    "tls13,server-order,max-severity=info,no-finding=cbc-suite"};
	struct tk_scanfind_rules rules;
	struct tk_scanfind_outcome out[TK_SCANFIND_RULES_MAX];
	struct tk_scan_res *r = res_new();
	struct tk_findings fs;
	struct tk_err e;

	tk_err_clear(&e);
	EXPECT_EQ_INT(tk_scanfind_parse(args, 1, &rules, &e), 0);
	take(r, TK_SCAN_TLS13, s13, 1);
	take(r, TK_SCAN_TLS12, s12, 3);
	r->v[TK_SCAN_TLS12].server_order = TK_SCAN_NO;
	memset(&fs, 0, sizeof(fs));
	tk_scanfind_judge(r, &fs);
	tk_scanfind_require(r, &fs, &rules, out);
	EXPECT_TRUE(out[0].met);                    /* min-version=1.2 */
	EXPECT_TRUE(!out[1].met);                   /* forward-secrecy */
	EXPECT_EQ_STR(out[1].why, "accepted without forward secrecy: "
	    "TLS_RSA_WITH_AES_128_GCM_SHA256 (TLS1.2)");
	EXPECT_TRUE(!out[2].met);                   /* aead-only */
	EXPECT_EQ_STR(out[2].why, "accepted, not AEAD: "
	    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA (TLS1.2)");
	EXPECT_TRUE(out[3].met);                    /* tls13 */
	EXPECT_TRUE(!out[4].met);                   /* server-order */
	EXPECT_EQ_STR(out[4].why, "TLS1.2 takes the client's order");
	EXPECT_TRUE(!out[5].met);                   /* max-severity=info */
	EXPECT_TRUE(!out[6].met);                   /* no-finding=cbc-suite */
	r->v[TK_SCAN_TLS11].accepted = TK_SCAN_YES;
	tk_scanfind_require(r, &fs, &rules, out);
	EXPECT_TRUE(!out[0].met);
	EXPECT_EQ_STR(out[0].why, "TLS1.1 is accepted");
	free(r);
}

static void
test_tables(void)
{
	size_t n;
	const struct tk_suites_group *g = tk_suites_groups_all(&n);
	const struct tk_suites_sigalg *a;

	for (size_t i = 1; i < n; i++) {
		EXPECT_TRUE(g[i - 1].code < g[i].code);
	}
	EXPECT_EQ_STR(tk_suites_group_by_code(29)->name, "x25519");
	EXPECT_EQ_INT(tk_suites_group_by_code(256)->bits, 2048);
	EXPECT_TRUE(tk_suites_group_by_code(0x1234) == NULL);
	a = tk_suites_sigalgs_all(&n);
	for (size_t i = 1; i < n; i++) {
		EXPECT_TRUE(a[i - 1].code < a[i].code);
	}
	EXPECT_EQ_STR(tk_suites_sigalg_by_code(0x0804)->name,
	    "rsa_pss_rsae_sha256");
	EXPECT_TRUE(tk_suites_sigalg_by_code(0x0000) == NULL);
}

static void
run(void)
{
	test_clean();
	test_weak();
	test_hostile();
	test_rules_parse();
	test_rules_judge();
	test_tables();
}

TK_TEST_MAIN("test_scanfind", run)
