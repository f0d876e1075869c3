/*
 * Unit tests for lib/verify.h and lib/certinfo.h: status bits to named
 * reasons, key sizes, and the fields read from testdata certificates.
 */
#include <ctype.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "certinfo.h"
#include "creds.h"
#include "verify.h"

#include "tk_test.h"

#ifndef TK_TESTDATA
#error "TK_TESTDATA must name the testdata directory"
#endif

#define NOW ((time_t)1893456000)  /* 2030-01-01T00:00:00Z */
#define DAY ((time_t)86400)

/* A leaf for example.com (expired 10 days before NOW) and its issuer. */
static struct tk_certinfo certs[2];

static void
make_chain(void)
{
	struct tk_certinfo *leaf = &certs[0], *ca = &certs[1];

	memset(certs, 0, sizeof(certs));
	snprintf(leaf->subject, sizeof(leaf->subject), "CN=example.com");
	snprintf(leaf->issuer, sizeof(leaf->issuer), "CN=Test CA");
	snprintf(leaf->cn, sizeof(leaf->cn), "example.com");
	leaf->sans[0].type = TK_SAN_DNS;
	snprintf(leaf->sans[0].value, sizeof(leaf->sans[0].value),
	    "example.com");
	leaf->sans[0].len = strlen(leaf->sans[0].value);
	leaf->nsans = leaf->nsans_total = 1;
	leaf->not_before = NOW - 400 * DAY;
	leaf->not_after = NOW - 10 * DAY;
	leaf->days_left = -10;
	snprintf(leaf->key, sizeof(leaf->key), "RSA 2048");
	leaf->key_bits = 2048;

	snprintf(ca->subject, sizeof(ca->subject), "CN=Test CA");
	snprintf(ca->issuer, sizeof(ca->issuer), "CN=Test Root");
	snprintf(ca->cn, sizeof(ca->cn), "Test CA");
	ca->not_before = NOW - 1000 * DAY;
	ca->not_after = NOW + 1000 * DAY;
	ca->days_left = 1000;
	snprintf(ca->key, sizeof(ca->key), "RSA 4096");
	ca->key_bits = 4096;
	ca->is_ca = true;
}

/* The self-signed leaf of a one-certificate chain. */
static struct tk_certinfo self;

static void
make_self(void)
{
	memset(&self, 0, sizeof(self));
	snprintf(self.subject, sizeof(self.subject), "CN=lonely.test");
	snprintf(self.issuer, sizeof(self.issuer), "CN=lonely.test");
	snprintf(self.cn, sizeof(self.cn), "lonely.test");
	self.self_issued = true;
	self.not_before = NOW - DAY;
	self.not_after = NOW + DAY;
	self.days_left = 1;
	snprintf(self.key, sizeof(self.key), "ECDSA SECP256R1");
	self.key_bits = 256;
}

enum which { NO_CHAIN, CHAIN2, SELF1 };

#define R_MAX 4

static const struct {
	const char *name;
	unsigned status;
	enum which chain;
	const char *hostname;
	const char *codes[R_MAX];     /* in order; NULL ends */
	const char *contains[R_MAX];  /* in the message of the same index */
	const char *contains2[R_MAX];
} cases[] = {
	{"ok", 0, CHAIN2, "example.com", {NULL}, {NULL}, {NULL}},
	{"expired", GNUTLS_CERT_INVALID | GNUTLS_CERT_EXPIRED, CHAIN2, NULL,
	    {"expired", NULL}, {"#0", NULL}, {"example.com", NULL}},
	{"expired, no chain", GNUTLS_CERT_INVALID | GNUTLS_CERT_EXPIRED,
	    NO_CHAIN, NULL, {"expired", NULL}, {"expired", NULL}, {NULL}},
	{"name mismatch",
	    GNUTLS_CERT_INVALID | GNUTLS_CERT_UNEXPECTED_OWNER, CHAIN2,
	    "other.test", {"name-mismatch", NULL}, {"example.com", NULL},
	    {"'other.test'", NULL}},
	{"self-signed", GNUTLS_CERT_INVALID | GNUTLS_CERT_SIGNER_NOT_FOUND,
	    SELF1, "lonely.test", {"self-signed", NULL},
	    {"lonely.test", NULL}, {NULL}},
	{"unknown issuer",
	    GNUTLS_CERT_INVALID | GNUTLS_CERT_SIGNER_NOT_FOUND, CHAIN2,
	    "example.com", {"unknown-issuer", NULL}, {"CN=Test Root", NULL},
	    {NULL}},
	{"insecure algorithm",
	    GNUTLS_CERT_INVALID | GNUTLS_CERT_INSECURE_ALGORITHM, CHAIN2,
	    "example.com", {"insecure-algorithm", NULL}, {NULL}, {NULL}},
	{"revoked", GNUTLS_CERT_INVALID | GNUTLS_CERT_REVOKED, CHAIN2,
	    "example.com", {"revoked", NULL}, {NULL}, {NULL}},
	{"purpose", GNUTLS_CERT_INVALID | GNUTLS_CERT_PURPOSE_MISMATCH,
	    CHAIN2, "example.com", {"purpose-mismatch", NULL}, {NULL},
	    {NULL}},
	{"unnamed bit only", GNUTLS_CERT_INVALID, CHAIN2, "example.com",
	    {"invalid", NULL}, {"0x2", NULL}, {NULL}},
	/* several bits: one reason each, always in the same order */
	{"several", GNUTLS_CERT_INVALID | GNUTLS_CERT_REVOKED |
	    GNUTLS_CERT_SIGNER_NOT_FOUND | GNUTLS_CERT_EXPIRED |
	    GNUTLS_CERT_UNEXPECTED_OWNER, CHAIN2, "other.test",
	    {"name-mismatch", "expired", "unknown-issuer", "revoked"},
	    {"other.test", "#0", NULL, NULL}, {NULL}},
};

static void
test_explain(void)
{
	make_chain();
	make_self();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tk_chain chain = {NULL, 0, 0};
		struct tk_verdict v, again;
		size_t n;

		TK_CASE(cases[i].name);
		if (cases[i].chain == CHAIN2) {
			chain.certs = certs;
			chain.n = chain.total = 2;
		} else if (cases[i].chain == SELF1) {
			chain.certs = &self;
			chain.n = chain.total = 1;
		}
		memset(&v, 0xa5, sizeof(v));
		tk_verify_explain(cases[i].status, &chain, cases[i].hostname,
		    NOW, &v);
		for (n = 0; n < R_MAX && cases[i].codes[n] != NULL; n++) {
		}
		EXPECT_EQ_INT(v.status, cases[i].status == 0 ? TK_VERIFY_OK :
		    TK_VERIFY_FAILED);
		EXPECT_EQ_INT(v.gnutls_status, cases[i].status);
		EXPECT_EQ_SIZE(v.n, n);
		for (size_t k = 0; k < n && k < v.n; k++) {
			EXPECT_EQ_STR(v.reasons[k].code, cases[i].codes[k]);
			if (cases[i].contains[k] != NULL) {
				EXPECT_TRUE(strstr(v.reasons[k].message,
				    cases[i].contains[k]) != NULL);
			}
			if (cases[i].contains2[k] != NULL) {
				EXPECT_TRUE(strstr(v.reasons[k].message,
				    cases[i].contains2[k]) != NULL);
			}
			EXPECT_TRUE(v.reasons[k].message[0] != '\0');
		}
		/* pure: the same input gives the same output */
		tk_verify_explain(cases[i].status, &chain, cases[i].hostname,
		    NOW, &again);
		EXPECT_EQ_SIZE(again.n, v.n);
		for (size_t k = 0; k < v.n && k < again.n; k++) {
			EXPECT_EQ_STR(again.reasons[k].message,
			    v.reasons[k].message);
		}
	}
	TK_CASE(NULL);
}

static void
test_not_yet_and_summary(void)
{
	struct tk_chain chain = {certs, 2, 2};
	struct tk_verdict v;
	char sum[1024];

	make_chain();
	certs[0].not_before = NOW + 5 * DAY;
	certs[0].not_after = NOW + 400 * DAY;
	certs[0].days_left = 400;
	TK_CASE("not yet valid");
	tk_verify_explain(GNUTLS_CERT_INVALID | GNUTLS_CERT_NOT_ACTIVATED,
	    &chain, "example.com", NOW, &v);
	EXPECT_EQ_SIZE(v.n, 1);
	EXPECT_EQ_STR(v.reasons[0].code, "not-yet-valid");
	EXPECT_TRUE(strstr(v.reasons[0].message, "#0") != NULL);

	TK_CASE("summary");
	make_chain();
	tk_verify_explain(GNUTLS_CERT_INVALID | GNUTLS_CERT_EXPIRED |
	    GNUTLS_CERT_UNEXPECTED_OWNER, &chain, "other.test", NOW, &v);
	tk_verdict_summary(&v, sum, sizeof(sum));
	EXPECT_TRUE(strncmp(sum, "name-mismatch: ", 15) == 0);
	EXPECT_TRUE(strstr(sum, "; expired: ") != NULL);

	TK_CASE("status names");
	EXPECT_EQ_STR(tk_verify_status_name(TK_VERIFY_OK), "ok");
	EXPECT_EQ_STR(tk_verify_status_name(TK_VERIFY_FAILED), "failed");
	EXPECT_EQ_STR(tk_verify_status_name(TK_VERIFY_SKIPPED), "skipped");
	EXPECT_EQ_STR(tk_verify_status_name(TK_VERIFY_NOT_DONE), "not-done");
	TK_CASE(NULL);
}

/* Reads the first certificate of a testdata file into ci. */
static int
load_info(const char *file, time_t now, struct tk_certinfo *ci)
{
	char path[512];
	gnutls_datum_t data = {NULL, 0};
	gnutls_x509_crt_t *list = NULL;
	unsigned n = 0;
	struct tk_err err;
	int rc = -1;

	snprintf(path, sizeof(path), "%s/%s", TK_TESTDATA, file);
	tk_err_clear(&err);
	if (tk_read_file(path, "certificate file", &data, &err) < 0 ||
	    tk_load_certs(&data, path, &list, &n, &err) < 0) {
		fprintf(stderr, "  %s: %s\n", file, err.msg);
		goto out;
	}
	rc = tk_certinfo_from_crt(list[0], now, ci, &err);
	if (rc < 0) {
		fprintf(stderr, "  %s: %s\n", file, err.msg);
	}
out:
	for (unsigned i = 0; i < n; i++) {
		gnutls_x509_crt_deinit(list[i]);
	}
	gnutls_free(list);
	gnutls_free(data.data);
	return rc;
}

/* "AB:CD:..." with n bytes of upper-case hex */
static bool
hex_colon_bytes(const char *s, size_t n)
{
	if (strlen(s) != n * 3 - 1) {
		return false;
	}
	for (size_t i = 0; i < n * 3 - 1; i++) {
		bool colon = i % 3 == 2;

		if (colon ? s[i] != ':' : !isxdigit((unsigned char)s[i]) ||
		    islower((unsigned char)s[i])) {
			return false;
		}
	}
	return true;
}

static void
test_certinfo(void)
{
	struct tk_certinfo *ci = calloc(1, sizeof(*ci));
	char t[32];
	time_t now = time(NULL);

	if (ci == NULL) {
		EXPECT_TRUE(false);
		return;
	}
	TK_CASE("example-rsa.crt");
	EXPECT_EQ_INT(load_info("example-rsa.crt", now, ci), 0);
	EXPECT_EQ_STR(ci->cn, "example.com");
	EXPECT_EQ_STR(ci->subject, "CN=example.com");
	EXPECT_EQ_STR(ci->issuer, "CN=tlskit Test Intermediate CA");
	EXPECT_EQ_SIZE(ci->nsans, 2);
	EXPECT_EQ_SIZE(ci->nsans_total, 2);
	EXPECT_EQ_INT(ci->sans[0].type, TK_SAN_DNS);
	EXPECT_EQ_STR(ci->sans[0].value, "example.com");
	EXPECT_EQ_SIZE(ci->sans[0].len, 11);
	EXPECT_EQ_INT(ci->sans[1].type, TK_SAN_DNS);
	EXPECT_EQ_STR(ci->sans[1].value, "www.example.com");
	EXPECT_EQ_STR(ci->key, "RSA 2048");
	EXPECT_EQ_INT(ci->key_bits, 2048);
	EXPECT_EQ_STR(ci->signature, "RSA-SHA256");
	EXPECT_TRUE(ci->days_left > 0);
	EXPECT_TRUE(hex_colon_bytes(ci->sha256, 32));
	EXPECT_TRUE(ci->serial[0] != '\0');
	EXPECT_TRUE(!ci->is_ca);
	EXPECT_TRUE(!ci->self_issued);
	tk_time_iso(ci->not_before, t, sizeof(t));
	EXPECT_EQ_STR(t, "2020-01-01T00:00:00Z");
	tk_time_iso(ci->not_after, t, sizeof(t));
	EXPECT_EQ_STR(t, "2099-12-31T23:59:59Z");

	/* days are whole days, rounded down */
	TK_CASE("days_left");
	EXPECT_EQ_INT(load_info("example-rsa.crt", ci->not_after - DAY / 2,
	    ci), 0);
	EXPECT_EQ_INT(ci->days_left, 0);
	EXPECT_EQ_INT(load_info("example-rsa.crt", ci->not_after + DAY / 2,
	    ci), 0);
	EXPECT_EQ_INT(ci->days_left, -1);
	EXPECT_EQ_INT(load_info("example-rsa.crt", ci->not_after - 3 * DAY,
	    ci), 0);
	EXPECT_EQ_INT(ci->days_left, 3);

	TK_CASE("localhost-ecdsa.crt");
	EXPECT_EQ_INT(load_info("localhost-ecdsa.crt", now, ci), 0);
	EXPECT_TRUE(strncmp(ci->key, "ECDSA ", 6) == 0);
	EXPECT_EQ_INT(ci->key_bits, 256);
	EXPECT_EQ_SIZE(ci->nsans, 3);
	EXPECT_EQ_INT(ci->sans[1].type, TK_SAN_IP);
	EXPECT_EQ_STR(ci->sans[1].value, "127.0.0.1");
	EXPECT_EQ_INT(ci->sans[2].type, TK_SAN_IP);
	EXPECT_EQ_STR(ci->sans[2].value, "::1");

	TK_CASE("intermediate.crt");
	EXPECT_EQ_INT(load_info("intermediate.crt", now, ci), 0);
	EXPECT_TRUE(ci->is_ca);
	EXPECT_TRUE(!ci->self_issued);

	TK_CASE("selfsigned.crt");
	EXPECT_EQ_INT(load_info("selfsigned.crt", now, ci), 0);
	EXPECT_TRUE(ci->self_issued);
	EXPECT_TRUE(!ci->is_ca);

	TK_CASE("sha1.crt");
	EXPECT_EQ_INT(load_info("sha1.crt", now, ci), 0);
	EXPECT_EQ_STR(ci->signature, "RSA-SHA1");
	free(ci);
	TK_CASE(NULL);
}

static void
test_load_errors(void)
{
	static const char *const files[] = {
		"garbage.pem", "empty.pem", "truncated.pem", "ca.key",
		"no-such-file.pem",
	};

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[512];
		gnutls_datum_t data = {NULL, 0};
		gnutls_x509_crt_t *list = NULL;
		unsigned n = 0;
		struct tk_err err;

		TK_CASE(files[i]);
		snprintf(path, sizeof(path), "%s/%s", TK_TESTDATA, files[i]);
		tk_err_clear(&err);
		if (tk_read_file(path, "certificate file", &data, &err) == 0) {
			EXPECT_EQ_INT(tk_load_certs(&data, path, &list, &n,
			    &err), -1);
			EXPECT_TRUE(list == NULL);
			EXPECT_EQ_INT(n, 0);
		}
		EXPECT_EQ_INT(err.cls, TK_USAGE);
		EXPECT_TRUE(strstr(err.msg, files[i]) != NULL);
		gnutls_free(data.data);
	}
	TK_CASE(NULL);
}

static void
test_key_sizes(void)
{
	struct tk_certinfo *ci = calloc(2, sizeof(*ci));
	struct tk_chain chain = {ci, 2, 2};
	struct tk_verdict v;

	if (ci == NULL) {
		EXPECT_TRUE(false);
		return;
	}
	TK_CASE("rsa1024");
	EXPECT_EQ_INT(load_info("rsa1024.crt", NOW, &ci[0]), 0);
	EXPECT_EQ_INT(load_info("intermediate.crt", NOW, &ci[1]), 0);
	EXPECT_EQ_STR(ci[0].key, "RSA 1024");
	tk_verify_explain(0, &chain, "localhost", NOW, &v);
	EXPECT_EQ_INT(v.status, TK_VERIFY_OK);
	tk_verify_key_sizes(&chain, &v);
	EXPECT_EQ_INT(v.status, TK_VERIFY_FAILED);
	EXPECT_EQ_SIZE(v.n, 1);
	EXPECT_EQ_STR(v.reasons[0].code, "weak-key");
	EXPECT_TRUE(strstr(v.reasons[0].message, "#0") != NULL);
	EXPECT_TRUE(strstr(v.reasons[0].message, "1024") != NULL);

	TK_CASE("strong keys");
	EXPECT_EQ_INT(load_info("localhost-ecdsa.crt", NOW, &ci[0]), 0);
	tk_verify_explain(0, &chain, "localhost", NOW, &v);
	tk_verify_key_sizes(&chain, &v);
	EXPECT_EQ_INT(v.status, TK_VERIFY_OK);
	EXPECT_EQ_SIZE(v.n, 0);

	TK_CASE("no chain");
	tk_verify_key_sizes(NULL, &v);
	EXPECT_EQ_SIZE(v.n, 0);
	free(ci);
	TK_CASE(NULL);
}

static void
run(void)
{
	test_explain();
	test_not_yet_and_summary();
	test_certinfo();
	test_load_errors();
	test_key_sizes();
}

TK_TEST_MAIN("test_verify", run)
