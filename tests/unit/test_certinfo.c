/*
 * Unit tests for lib/certinfo.h: the fields shown for the testdata
 * certificates (testdata/README.md lists what each one holds: names,
 * serials, dates, keys), the ISO 8601 dates, and days_left's rounding.
 * The fingerprint is checked against SHA-256 of the DER decoded here from
 * the PEM, a path that does not go through the certinfo code.
 */
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "certinfo.h"
#include "creds.h"

#include "tk_test.h"
#include "tk_testdata.h"

#define NOW ((time_t)1893456000)  /* 2030-01-01T00:00:00Z */
#define LONG_BEFORE ((time_t)1577836800)  /* 2020-01-01T00:00:00Z */
#define LONG_AFTER ((time_t)4102444799)   /* 2099-12-31T23:59:59Z */

/* The first certificate of a testdata file, or NULL. */
static gnutls_x509_crt_t
load_first(const char *file)
{
	unsigned n;
	gnutls_x509_crt_t *list = tk_test_certs(file, &n), crt = NULL;

	if (n > 0) {
		crt = list[0];
		for (unsigned i = 1; i < n; i++) {
			gnutls_x509_crt_deinit(list[i]);
		}
	}
	gnutls_free(list);
	return crt;
}

/* "AB:CD:..." of SHA-256 over the first PEM block of a testdata file. */
static void
sha256_of_file(const char *file, char *out, size_t len)
{
	char path[512];
	gnutls_datum_t pem = {NULL, 0}, der = {NULL, 0};
	unsigned char sha[32];
	struct tk_err e;
	size_t o = 0;

	out[0] = '\0';
	tk_err_clear(&e);
	snprintf(path, sizeof(path), "%s/%s", TK_TESTDATA, file);
	if (tk_creds_read_file(path, "test file", &pem, &e) < 0) {
		return;
	}
	if (gnutls_pem_base64_decode2("CERTIFICATE", &pem, &der) == 0 &&
	    gnutls_hash_fast(GNUTLS_DIG_SHA256, der.data, der.size,
	    sha) == 0) {
		for (size_t i = 0; i < sizeof(sha); i++) {
			o += (size_t)snprintf(out + o, len - o, "%s%02X",
			    i ? ":" : "", sha[i]);
		}
	}
	gnutls_free(der.data);
	gnutls_free(pem.data);
}

struct san_want {
	enum tk_san_type type;
	const char *value;
};

static const struct {
	const char *file;
	const char *subject, *issuer, *cn;
	struct san_want sans[3];
	size_t nsans;
	time_t not_before, not_after;
	const char *key;
	unsigned key_bits;
	const char *signature;
	const char *serial;
	bool is_ca, self_issued;
} certs[] = {
	{"ca.crt", "CN=tlskit Test Root CA", "CN=tlskit Test Root CA",
	    "tlskit Test Root CA", {{TK_SAN_DNS, NULL}}, 0,
	    LONG_BEFORE, LONG_AFTER, "RSA 2048", 2048, "RSA-SHA256", "01",
	    true, true},
	{"intermediate.crt", "CN=tlskit Test Intermediate CA",
	    "CN=tlskit Test Root CA", "tlskit Test Intermediate CA",
	    {{TK_SAN_DNS, NULL}}, 0, LONG_BEFORE, LONG_AFTER, "RSA 2048", 2048,
	    "RSA-SHA256", "02", true, false},
	{"localhost-rsa.crt", "CN=localhost", "CN=tlskit Test Intermediate CA",
	    "localhost", {{TK_SAN_DNS, "localhost"}, {TK_SAN_IP, "127.0.0.1"},
	    {TK_SAN_IP, "::1"}}, 3, LONG_BEFORE, LONG_AFTER, "RSA 2048", 2048,
	    "RSA-SHA256", "03:E9", false, false},
	{"example-ecdsa.crt", "CN=example.com",
	    "CN=tlskit Test Intermediate CA", "example.com",
	    {{TK_SAN_DNS, "example.com"}, {TK_SAN_DNS, "www.example.com"}}, 2,
	    LONG_BEFORE, LONG_AFTER, "ECDSA SECP256R1", 256, "RSA-SHA256",
	    "03:EC", false, false},
	{"expired.crt", "CN=localhost", "CN=tlskit Test Intermediate CA",
	    "localhost", {{TK_SAN_DNS, "localhost"}, {TK_SAN_IP, "127.0.0.1"},
	    {TK_SAN_IP, "::1"}}, 3, (time_t)1262304000, (time_t)1293840000,
	    "RSA 2048", 2048, "RSA-SHA256", "07:D1", false, false},
	{"rsa1024.crt", "CN=localhost", "CN=tlskit Test Intermediate CA",
	    "localhost", {{TK_SAN_DNS, "localhost"}, {TK_SAN_IP, "127.0.0.1"},
	    {TK_SAN_IP, "::1"}}, 3, LONG_BEFORE, LONG_AFTER, "RSA 1024", 1024,
	    "RSA-SHA256", "07:D7", false, false},
	{"sha1.crt", "CN=localhost", "CN=tlskit Test Intermediate CA",
	    "localhost", {{TK_SAN_DNS, "localhost"}, {TK_SAN_IP, "127.0.0.1"},
	    {TK_SAN_IP, "::1"}}, 3, LONG_BEFORE, LONG_AFTER, "RSA 2048", 2048,
	    "RSA-SHA1", "07:D8", false, false},
	{"wildcard.crt", "CN=*.example.com", "CN=tlskit Test Intermediate CA",
	    "*.example.com", {{TK_SAN_DNS, "*.example.com"}}, 1, LONG_BEFORE,
	    LONG_AFTER, "RSA 2048", 2048, "RSA-SHA256", "07:D9", false, false},
	{"idn.crt", "CN=xn--bcher-kva.example",
	    "CN=tlskit Test Intermediate CA", "xn--bcher-kva.example",
	    {{TK_SAN_DNS, "xn--bcher-kva.example"}, {TK_SAN_DNS, "localhost"}},
	    2, LONG_BEFORE, LONG_AFTER, "RSA 2048", 2048, "RSA-SHA256",
	    "07:DA", false, false},
	{"ip-only.crt", "CN=127.0.0.1", "CN=tlskit Test Intermediate CA",
	    "127.0.0.1", {{TK_SAN_IP, "127.0.0.1"}, {TK_SAN_IP, "::1"}}, 2,
	    LONG_BEFORE, LONG_AFTER, "RSA 2048", 2048, "RSA-SHA256", "07:DB",
	    false, false},
	/* self-signed but not a CA: self_issued without is_ca */
	{"selfsigned.crt", "CN=localhost", "CN=localhost", "localhost",
	    {{TK_SAN_DNS, "localhost"}, {TK_SAN_IP, "127.0.0.1"},
	    {TK_SAN_IP, "::1"}}, 3, LONG_BEFORE, LONG_AFTER, "RSA 2048", 2048,
	    "RSA-SHA256", "07:D4", false, true},
};

static void
test_fields(void)
{
	for (size_t i = 0; i < sizeof(certs) / sizeof(certs[0]); i++) {
		gnutls_x509_crt_t crt = load_first(certs[i].file);
		struct tk_certinfo ci;
		struct tk_err e;
		char sha[100];

		TK_CASE(certs[i].file);
		EXPECT_TRUE(crt != NULL);
		if (crt == NULL) {
			continue;
		}
		tk_err_clear(&e);
		EXPECT_EQ_INT(tk_certinfo_from_crt(crt, NOW, &ci, &e), 0);
		gnutls_x509_crt_deinit(crt);
		EXPECT_EQ_STR(ci.subject, certs[i].subject);
		EXPECT_EQ_STR(ci.issuer, certs[i].issuer);
		EXPECT_EQ_STR(ci.cn, certs[i].cn);
		EXPECT_EQ_SIZE(ci.nsans, certs[i].nsans);
		EXPECT_EQ_SIZE(ci.nsans_total, certs[i].nsans);
		for (size_t j = 0; j < ci.nsans && j < certs[i].nsans; j++) {
			EXPECT_EQ_INT(ci.sans[j].type, certs[i].sans[j].type);
			EXPECT_EQ_STR(ci.sans[j].value,
			    certs[i].sans[j].value);
			EXPECT_EQ_SIZE(ci.sans[j].len,
			    strlen(certs[i].sans[j].value));
		}
		EXPECT_EQ_INT(ci.not_before, certs[i].not_before);
		EXPECT_EQ_INT(ci.not_after, certs[i].not_after);
		EXPECT_EQ_STR(ci.key, certs[i].key);
		EXPECT_EQ_INT(ci.key_bits, certs[i].key_bits);
		EXPECT_EQ_STR(ci.signature, certs[i].signature);
		EXPECT_EQ_STR(ci.serial, certs[i].serial);
		EXPECT_EQ_INT(ci.is_ca, certs[i].is_ca);
		EXPECT_EQ_INT(ci.self_issued, certs[i].self_issued);
		sha256_of_file(certs[i].file, sha, sizeof(sha));
		EXPECT_EQ_SIZE(strlen(sha), 32 * 3 - 1);
		EXPECT_EQ_STR(ci.sha256, sha);
	}
	TK_CASE(NULL);
}

/*
 * days_left counts whole days to not_after, rounded down: a certificate
 * that expired an hour ago has -1, one expiring in 23 hours has 0.
 */
static void
test_days_left(void)
{
	static const struct {
		const char *name;
		time_t now;
		long days;
	} cases[] = {
		{"at not_after", LONG_AFTER, 0},
		{"23 h before", LONG_AFTER - 23 * 3600, 0},
		{"exactly 1 day before", LONG_AFTER - 86400, 1},
		{"1 s after", LONG_AFTER + 1, -1},
		{"25 h after", LONG_AFTER + 25 * 3600, -2},
		{"2030-01-01", NOW, (LONG_AFTER - NOW) / 86400},
	};
	gnutls_x509_crt_t crt = load_first("localhost-rsa.crt");
	struct tk_certinfo ci;
	struct tk_err e;

	EXPECT_TRUE(crt != NULL);
	if (crt == NULL) {
		return;
	}
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		TK_CASE(cases[i].name);
		tk_err_clear(&e);
		EXPECT_EQ_INT(tk_certinfo_from_crt(crt, cases[i].now, &ci,
		    &e), 0);
		EXPECT_EQ_INT(ci.days_left, cases[i].days);
	}
	TK_CASE(NULL);
	gnutls_x509_crt_deinit(crt);
}

static void
test_time_iso(void)
{
	char buf[32];

	tk_certinfo_iso_time(NOW, buf, sizeof(buf));
	EXPECT_EQ_STR(buf, "2030-01-01T00:00:00Z");
	tk_certinfo_iso_time(LONG_AFTER, buf, sizeof(buf));
	EXPECT_EQ_STR(buf, "2099-12-31T23:59:59Z");
	tk_certinfo_iso_time(0, buf, sizeof(buf));
	EXPECT_EQ_STR(buf, "1970-01-01T00:00:00Z");
	tk_certinfo_iso_time((time_t)-1, buf, sizeof(buf));
	EXPECT_EQ_STR(buf, "unknown");
}

static void
test_san_names(void)
{
	EXPECT_EQ_STR(tk_san_type_name(TK_SAN_DNS), "DNS");
	EXPECT_EQ_STR(tk_san_type_name(TK_SAN_IP), "IP");
	EXPECT_EQ_STR(tk_san_type_name(TK_SAN_EMAIL), "email");
	EXPECT_EQ_STR(tk_san_type_name(TK_SAN_URI), "URI");
}

static void
run(void)
{
	test_fields();
	test_days_left();
	test_time_iso();
	test_san_names();
}

TK_TEST_MAIN("test_certinfo", run)
