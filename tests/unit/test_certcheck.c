/*
 * Unit tests for lib/certcheck.h: tk_certcheck() on the testdata chains
 * (testdata/README.md says what each one is) and on chains put together
 * here from its certificates, served in odd orders.  Each case lists the
 * findings expected, in order, as "code:severity"; the verdict, the
 * profile and the described chain are checked too.  Then the expiry
 * thresholds, --ignore, the web profile and tk_certcheck_parse_time().
 */
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "certcheck.h"
#include "codes.h"
#include "creds.h"
#include "verify.h"

#include "tk_test.h"
#include "tk_testdata.h"

#define NOW ((time_t)1893456000)  /* 2030-01-01T00:00:00Z */
#define SERVED_MAX 8

struct served {
	gnutls_x509_crt_t c[SERVED_MAX];
	size_t n;
};

/* Appends every certificate of a testdata file to s. */
static void
add_file(struct served *s, const char *file)
{
	unsigned n;
	gnutls_x509_crt_t *list = tk_test_certs(file, &n);

	for (unsigned i = 0; i < n; i++) {
		if (s->n < SERVED_MAX) {
			s->c[s->n++] = list[i];
		} else {
			gnutls_x509_crt_deinit(list[i]);
		}
	}
	gnutls_free(list);
}

/* files: space-separated testdata names, served in that order */
static void
served_of(struct served *s, const char *files)
{
	char buf[256], *save = NULL;

	s->n = 0;
	snprintf(buf, sizeof(buf), "%s", files);
	for (char *p = strtok_r(buf, " ", &save); p != NULL;
	     p = strtok_r(NULL, " ", &save)) {
		add_file(s, p);
	}
}

static void
served_free(struct served *s)
{
	for (size_t i = 0; i < s->n; i++) {
		gnutls_x509_crt_deinit(s->c[i]);
	}
	s->n = 0;
}

static gnutls_x509_trust_list_t
trust_of(const char *file)
{
	struct served s;
	gnutls_x509_trust_list_t tl = NULL;

	served_of(&s, file);
	if (gnutls_x509_trust_list_init(&tl, 0) < 0) {
		served_free(&s);
		return NULL;
	}
	for (size_t i = 0; i < s.n; i++) {
		/* the list takes the certificate */
		if (gnutls_x509_trust_list_add_cas(tl, &s.c[i], 1, 0) != 1) {
			gnutls_x509_crt_deinit(s.c[i]);
		}
	}
	return tl;
}

/* "code:sev,code:sev" of every finding, in order */
static void
findings_str(const struct tk_findings *f, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < f->n && o < len; i++) {
		o += (size_t)snprintf(buf + o, len - o, "%s%s:%s",
		    i ? "," : "", f->f[i].code, tk_severity_name(f->f[i].sev));
	}
}

struct outcome {
	int rc;
	enum tk_verify_status status;
	enum tk_profile profile;
	char findings[512];
	enum tk_class cls;
	size_t chain_n;
	bool ocsp_checked;
	char first_msg[384];
};

static void
check(const char *files, const char *trust, const struct tk_certcheck_opts *o,
    struct outcome *out)
{
	struct served s;
	gnutls_x509_trust_list_t tl = trust_of(trust);
	struct tk_chain info;
	struct tk_verdict v;
	struct tk_findings f;
	struct tk_ocsp_info ocsp;
	struct tk_err e;

	memset(out, 0, sizeof(*out));
	memset(&v, 0, sizeof(v));
	memset(&f, 0, sizeof(f));
	tk_err_clear(&e);
	served_of(&s, files);
	out->rc = tk_certcheck(s.c, s.n, tl, o, NULL, &info, &v, &f, &ocsp,
	    &e);
	out->status = v.status;
	out->profile = v.profile;
	findings_str(&f, out->findings, sizeof(out->findings));
	out->cls = tk_findings_class(&f);
	out->chain_n = info.n;
	out->ocsp_checked = ocsp.checked;
	if (f.n > 0) {
		snprintf(out->first_msg, sizeof(out->first_msg), "%s",
		    f.f[0].message);
	}
	tk_chain_clear(&info);
	served_free(&s);
	gnutls_x509_trust_list_deinit(tl, 1);
}

static void
opts_at(struct tk_certcheck_opts *o, const char *hostname, time_t at)
{
	memset(o, 0, sizeof(*o));
	o->hostname = hostname;
	o->at = at;
}

static const struct {
	const char *name;
	const char *served;   /* testdata files, in the order served */
	const char *trust;
	const char *hostname;
	const char *findings;
	enum tk_verify_status status;
	enum tk_class cls;
} chains[] = {
	{"ok chain", "localhost-rsa-chain.pem", "ca.crt", "localhost", "",
	    TK_VERIFY_OK, TK_OK},
	{"ok ECDSA chain", "localhost-ecdsa-chain.pem", "ca.crt", "localhost",
	    "", TK_VERIFY_OK, TK_OK},
	{"ok by IP", "localhost-rsa-chain.pem", "ca.crt", "127.0.0.1", "",
	    TK_VERIFY_OK, TK_OK},
	{"no name asked", "wrongname-chain.pem", "ca.crt", NULL, "",
	    TK_VERIFY_OK, TK_OK},
	{"wrong name", "wrongname-chain.pem", "ca.crt", "localhost",
	    "name-mismatch:fail", TK_VERIFY_FAILED, TK_CHECK},
	{"IP-only cert, DNS name", "ip-only-chain.pem", "ca.crt", "localhost",
	    "name-mismatch:fail", TK_VERIFY_FAILED, TK_CHECK},
	{"IP-only cert, its IP", "ip-only-chain.pem", "ca.crt", "::1", "",
	    TK_VERIFY_OK, TK_OK},
	{"wildcard, one label", "wildcard-chain.pem", "ca.crt",
	    "foo.example.com", "", TK_VERIFY_OK, TK_OK},
	/* RFC 6125 6.4.3: '*' covers one label; the reason says why */
	{"wildcard, two labels", "wildcard-chain.pem", "ca.crt",
	    "a.b.example.com", "name-mismatch:fail,bad-wildcard:fail",
	    TK_VERIFY_FAILED, TK_CHECK},
	{"expired", "expired-chain.pem", "ca.crt", "localhost",
	    "expired:fail", TK_VERIFY_FAILED, TK_CHECK},
	{"not yet valid", "notyet-chain.pem", "ca.crt", "localhost",
	    "not-yet-valid:fail", TK_VERIFY_FAILED, TK_CHECK},
	{"missing intermediate", "missing-intermediate-chain.pem", "ca.crt",
	    "localhost", "missing-intermediate:fail,unknown-issuer:fail",
	    TK_VERIFY_FAILED, TK_CHECK},
	{"untrusted root", "unknownca-chain.pem", "ca.crt", "localhost",
	    "missing-intermediate:fail,unknown-issuer:fail", TK_VERIFY_FAILED,
	    TK_CHECK},
	{"good chain, other anchor", "localhost-rsa-chain.pem", "other-ca.crt",
	    "localhost", "missing-intermediate:fail,unknown-issuer:fail",
	    TK_VERIFY_FAILED, TK_CHECK},
	{"trusted by its own root", "unknownca-chain.pem", "other-ca.crt",
	    "localhost", "", TK_VERIFY_OK, TK_OK},
	{"self-signed", "selfsigned-chain.pem", "ca.crt", "localhost",
	    "self-signed:fail", TK_VERIFY_FAILED, TK_CHECK},
	{"RSA-1024 leaf", "rsa1024-chain.pem", "ca.crt", "localhost",
	    "weak-key:fail", TK_VERIFY_FAILED, TK_CHECK},
	{"SHA-1 signature", "sha1-chain.pem", "ca.crt", "localhost",
	    "insecure-algorithm:fail", TK_VERIFY_FAILED, TK_CHECK},
	{"root sent", "localhost-rsa.crt intermediate.crt ca.crt", "ca.crt",
	    "localhost", "root-sent:info", TK_VERIFY_OK, TK_OK},
	{"root before intermediate", "localhost-rsa.crt ca.crt "
	    "intermediate.crt", "ca.crt", "localhost",
	    "chain-order:warning,root-sent:info", TK_VERIFY_OK, TK_WARN},
	{"stray certificate", "localhost-rsa.crt intermediate.crt "
	    "other-ca.crt", "ca.crt", "localhost",
	    "unused-certificate:warning", TK_VERIFY_OK, TK_WARN},
};

static void
test_chains(void)
{
	struct tk_certcheck_opts o;
	struct outcome out;

	for (size_t i = 0; i < sizeof(chains) / sizeof(chains[0]); i++) {
		TK_CASE(chains[i].name);
		opts_at(&o, chains[i].hostname, NOW);
		check(chains[i].served, chains[i].trust, &o, &out);
		EXPECT_EQ_INT(out.rc, 0);
		EXPECT_EQ_STR(out.findings, chains[i].findings);
		EXPECT_EQ_INT(out.status, chains[i].status);
		EXPECT_EQ_INT(out.cls, chains[i].cls);
		/* private anchors (no callback): RFC 5280 alone */
		EXPECT_EQ_INT(out.profile, TK_PROFILE_RFC5280);
		EXPECT_TRUE(out.chain_n >= 1);
		EXPECT_TRUE(!out.ocsp_checked);
	}
	TK_CASE(NULL);
}

/* The messages name what is wrong in plain words. */
static void
test_messages(void)
{
	struct tk_certcheck_opts o;
	struct outcome out;

	opts_at(&o, "localhost", NOW);
	check("wrongname-chain.pem", "ca.crt", &o, &out);
	EXPECT_TRUE(strstr(out.first_msg, "wrong.example.net") != NULL);
	EXPECT_TRUE(strstr(out.first_msg, "'localhost'") != NULL);
	check("expired-chain.pem", "ca.crt", &o, &out);
	EXPECT_TRUE(strstr(out.first_msg, "2011-01-01T00:00:00Z") != NULL);
	check("missing-intermediate-chain.pem", "ca.crt", &o, &out);
	EXPECT_TRUE(strstr(out.first_msg, "tlskit Test Intermediate CA") !=
	    NULL);
	EXPECT_EQ_INT(out.chain_n, 1);
	check("localhost-rsa.crt intermediate.crt ca.crt", "ca.crt", &o,
	    &out);
	EXPECT_EQ_INT(out.chain_n, 3);
}

/* --warn-days and --crit-days: the leaf expires 2099-12-31T23:59:59Z */
static void
test_expiry(void)
{
	static const struct {
		const char *name;
		const char *at;
		unsigned warn, crit;
		const char *findings;
		enum tk_class cls;
	} cases[] = {
		{"far from expiry", "2099-01-01", 30, 7, "", TK_OK},
		{"inside warn", "2099-12-15", 30, 7,
		    "expires-soon:warning", TK_WARN},
		{"inside crit", "2099-12-28", 30, 7, "expires-soon:fail",
		    TK_CHECK},
		{"warn off", "2099-12-15", 0, 7, "", TK_OK},
		{"both off", "2099-12-31", 0, 0, "", TK_OK},
		{"expired: a verdict, not expires-soon", "2100-01-02", 30, 7,
		    "expired:fail", TK_CHECK},
	};
	struct tk_certcheck_opts o;
	struct outcome out;
	struct tk_err e;
	time_t at;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		TK_CASE(cases[i].name);
		tk_err_clear(&e);
		EXPECT_EQ_INT(tk_certcheck_parse_time(cases[i].at, &at, &e), 0);
		opts_at(&o, "localhost", at);
		o.warn_days = cases[i].warn;
		o.crit_days = cases[i].crit;
		check("localhost-rsa-chain.pem", "ca.crt", &o, &out);
		EXPECT_EQ_STR(out.findings, cases[i].findings);
		EXPECT_EQ_INT(out.cls, cases[i].cls);
	}
	TK_CASE(NULL);
}

/* --ignore, --profile web, the anchor-origin callback, min key bits */
static bool
never_private(const gnutls_datum_t *der, void *arg)
{
	(void)der;
	(*(unsigned *)arg)++;
	return false;
}

static void
test_judging(void)
{
	struct tk_certcheck_opts o;
	struct outcome out;
	struct tk_err e;
	unsigned asked = 0;

	TK_CASE("--ignore name-mismatch");
	opts_at(&o, "localhost", NOW);
	tk_err_clear(&e);
	EXPECT_EQ_INT(tk_judging_ignore(&o.judging, "name-mismatch", &e), 0);
	check("wrongname-chain.pem", "ca.crt", &o, &out);
	EXPECT_EQ_STR(out.findings, "name-mismatch:info");
	EXPECT_EQ_INT(out.cls, TK_OK);
	EXPECT_EQ_INT(out.status, TK_VERIFY_OK);
	/* only that code: an expired chain still fails */
	check("expired-chain.pem", "ca.crt", &o, &out);
	EXPECT_EQ_STR(out.findings, "expired:fail");

	TK_CASE("--profile web");
	opts_at(&o, "localhost", NOW);
	o.judging.profile = TK_PROFILE_WEB;
	check("rsa1024-chain.pem", "ca.crt", &o, &out);
	EXPECT_EQ_INT(out.profile, TK_PROFILE_WEB);
	EXPECT_EQ_STR(out.findings, "weak-key:fail");

	TK_CASE("auto, public anchor");
	opts_at(&o, "localhost", NOW);
	o.anchor_private = never_private;
	o.anchor_arg = &asked;
	check("localhost-rsa-chain.pem", "ca.crt", &o, &out);
	EXPECT_TRUE(asked > 0);
	EXPECT_EQ_INT(out.profile, TK_PROFILE_WEB);
	EXPECT_EQ_INT(out.rc, 0);

	TK_CASE("--min-key-bits 1024");
	opts_at(&o, "localhost", NOW);
	o.min_key_bits = 1024;
	check("rsa1024-chain.pem", "ca.crt", &o, &out);
	EXPECT_EQ_STR(out.findings, "");
	EXPECT_EQ_INT(out.status, TK_VERIFY_OK);
	TK_CASE(NULL);

	/* nothing served is the caller's bug: INTERNAL, not a finding */
	{
		struct tk_chain info;
		struct tk_verdict v;
		struct tk_findings f;
		struct tk_ocsp_info ocsp;

		memset(&f, 0, sizeof(f));
		tk_err_clear(&e);
		opts_at(&o, "localhost", NOW);
		EXPECT_EQ_INT(tk_certcheck(NULL, 0, NULL, &o, NULL, &info, &v,
		    &f, &ocsp, &e), -1);
		EXPECT_EQ_INT(e.cls, TK_INTERNAL);
	}
}

static void
test_time_parse(void)
{
	static const struct {
		const char *in;
		time_t want;
	} good[] = {
		{"2030-01-01", NOW},
		{"2030-01-01T00:00:00Z", NOW},
		{"2030-01-01 00:00:00", NOW},
		{"2030-01-01T01:30:00+01:30", NOW},
		{"2029-12-31T22:00:00-02:00", NOW},
		{"@1893456000", NOW},
		{"@0", 0},
		{"2000-02-29", 951782400},
		{"2099-12-31T23:59:59Z", 4102444799},
	};
	static const char *const bad[] = {
		"", "2030", "2030-13-01", "2030-02-30", "2031-02-29",
		"2030-01-01T25:00:00Z", "2030-01-01T00:60:00Z", "yesterday",
		"@", "@12x", "2030-01-01X", "2030-1-1",
	};
	struct tk_err e;
	time_t t;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		TK_CASE(good[i].in);
		tk_err_clear(&e);
		t = 1;
		EXPECT_EQ_INT(tk_certcheck_parse_time(good[i].in, &t, &e), 0);
		EXPECT_EQ_INT(t, good[i].want);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		TK_CASE(bad[i]);
		tk_err_clear(&e);
		EXPECT_EQ_INT(tk_certcheck_parse_time(bad[i], &t, &e), -1);
		EXPECT_EQ_INT(e.cls, TK_USAGE);
	}
	TK_CASE(NULL);
}

static void
run(void)
{
	test_chains();
	test_messages();
	test_expiry();
	test_judging();
	test_time_parse();
}

TK_TEST_MAIN("test_certcheck", run)
