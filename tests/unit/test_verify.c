/*
 * Unit tests for lib/verify.h, lib/findings.h, lib/codes.h and
 * lib/certinfo.h: findings judged by profile and --ignore, and the fields
 * read from testdata certificates.
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

/* Findings judged by profile and --ignore (lib/codes.c, findings.c). */
static void
test_findings(void)
{
	struct tk_findings *f = calloc(1, sizeof(*f));
	struct tk_err e;
	char sum[512];

	if (f == NULL) {
		EXPECT_TRUE(false);
		return;
	}
	TK_CASE("web profile: a BR code fails");
	f->profile = TK_PROFILE_WEB;
	tk_findings_add(f, "ca-as-leaf", TK_SEV_FAIL, "leaf %d", 1);
	EXPECT_EQ_INT(f->f[0].sev, TK_SEV_FAIL);
	EXPECT_EQ_INT(f->f[0].demoted, TK_DEMOTED_NONE);
	EXPECT_EQ_INT(tk_findings_class(f), TK_CHECK);

	TK_CASE("rfc5280 profile: a BR code is info, an RFC code fails");
	memset(f, 0, sizeof(*f));
	f->profile = TK_PROFILE_RFC5280;
	tk_findings_add(f, "eku-missing", TK_SEV_FAIL, "no EKU");
	tk_findings_add(f, "expired", TK_SEV_FAIL, "expired");
	EXPECT_EQ_INT(f->f[0].sev, TK_SEV_INFO);
	EXPECT_EQ_INT(f->f[0].demoted, TK_DEMOTED_PROFILE);
	EXPECT_EQ_INT(f->f[1].sev, TK_SEV_FAIL);
	EXPECT_EQ_INT(tk_findings_class(f), TK_CHECK);
	tk_findings_summary(f, TK_SEV_FAIL, sum, sizeof(sum));
	EXPECT_EQ_STR(sum, "expired: expired");

	TK_CASE("--ignore demotes, whatever the profile");
	memset(f, 0, sizeof(*f));
	tk_err_clear(&e);
	f->profile = TK_PROFILE_WEB;
	EXPECT_EQ_INT(tk_judging_ignore(&f->judging, "expired,chain-order",
	    &e), 0);
	tk_findings_add(f, "expired", TK_SEV_FAIL, "expired");
	tk_findings_add(f, "chain-order", TK_SEV_WARN, "order");
	EXPECT_EQ_INT(f->f[0].sev, TK_SEV_INFO);
	EXPECT_EQ_INT(f->f[0].demoted, TK_DEMOTED_IGNORE);
	EXPECT_EQ_INT(f->f[1].sev, TK_SEV_INFO);
	EXPECT_EQ_INT(tk_findings_class(f), TK_OK);

	TK_CASE("a warning stays a warning");
	memset(f, 0, sizeof(*f));
	tk_findings_add(f, "chain-order", TK_SEV_WARN, "order");
	EXPECT_EQ_INT(tk_findings_class(f), TK_WARN);
	tk_findings_add(f, "chain-order", TK_SEV_WARN, "again");
	EXPECT_EQ_SIZE(f->n, 1);

	TK_CASE("--ignore: unknown codes and bad lists are usage errors");
	tk_err_clear(&e);
	EXPECT_EQ_INT(tk_judging_ignore(&f->judging, "no-such-code", &e), -1);
	EXPECT_EQ_INT(e.cls, TK_USAGE);
	EXPECT_TRUE(strstr(e.msg, "no-such-code") != NULL);
	EXPECT_EQ_INT(tk_judging_ignore(&f->judging, "expired,", &e), -1);
	EXPECT_EQ_INT(tk_judging_ignore(&f->judging, ",expired", &e), -1);
	EXPECT_EQ_INT(tk_judging_ignore(&f->judging, "", &e), -1);

	TK_CASE("the code table");
	for (size_t i = 0; i < tk_codes_count; i++) {
		EXPECT_TRUE(tk_code_index(tk_codes[i].code) == (int)i);
		EXPECT_TRUE(tk_codes[i].summary[0] != '\0');
	}
	EXPECT_TRUE(tk_code_find("name-mismatch") != NULL);
	EXPECT_TRUE(tk_code_find("nope") == NULL);
	EXPECT_EQ_STR(tk_profile_name(TK_PROFILE_RFC5280), "rfc5280");

	TK_CASE("status names");
	EXPECT_EQ_STR(tk_verify_status_name(TK_VERIFY_OK), "ok");
	EXPECT_EQ_STR(tk_verify_status_name(TK_VERIFY_FAILED), "failed");
	EXPECT_EQ_STR(tk_verify_status_name(TK_VERIFY_SKIPPED), "skipped");
	EXPECT_EQ_STR(tk_verify_status_name(TK_VERIFY_NOT_DONE), "not-done");
	free(f);
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
	if (tk_creds_read_file(path, "certificate file", &data, &err) < 0 ||
	    tk_creds_load_certs(&data, "test file", path, &list, &n,
	    &err) < 0) {
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
	tk_certinfo_iso_time(ci->not_before, t, sizeof(t));
	EXPECT_EQ_STR(t, "2020-01-01T00:00:00Z");
	tk_certinfo_iso_time(ci->not_after, t, sizeof(t));
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
		if (tk_creds_read_file(path, "certificate file", &data,
		    &err) == 0) {
			EXPECT_EQ_INT(tk_creds_load_certs(&data,
			    "test file", path, &list, &n, &err), -1);
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
run(void)
{
	test_findings();
	test_certinfo();
	test_load_errors();
}

TK_TEST_MAIN("test_verify", run)
