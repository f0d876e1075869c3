/*
 * Unit tests for lib/creds.h: loading the testdata certificates, keys, CA
 * files and directories and DH parameters, the USAGE errors for missing,
 * empty, garbage, truncated and mismatched files (each names the file),
 * reference counting, and which trust anchors count as the user's own
 * (tk_creds_anchor_private, docs/verification.md).
 */
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "creds.h"

#include "tk_test.h"

#ifndef TK_TESTDATA
#error "TK_TESTDATA must name the testdata directory"
#endif

#define TD(f) TK_TESTDATA "/" f

/* tk_creds_read_file and tk_creds_load_certs on their own */

static void
test_read_and_parse(void)
{
	static const struct {
		const char *file;
		unsigned n;
	} good[] = {
		{TD("ca.crt"), 1},
		{TD("localhost-rsa-chain.pem"), 2},
		{TD("server.pem"), 1},     /* key first, then the certificate */
		/* certs-only PKCS#7, PEM and DER (testdata/gen-containers.sh) */
		{TD("containers/localhost-rsa-chain.p7b"), 2},
		{TD("containers/localhost-rsa-chain.p7c"), 2},
	};
	static const struct {
		const char *file;
		int read_rc;
		const char *msg;
	} bad[] = {
		{TD("no-such-file.pem"), -1, "cannot read test file '"},
		{TD("empty.pem"), -1, "is empty"},
		{TD("garbage.pem"), 0, "(neither PEM nor DER)"},
		{TD("truncated.pem"), 0, "malformed certificate in test file '"},
		{TD("localhost-rsa.key"), 0, "(it holds other PEM blocks)"},
		{TK_TESTDATA, -1, "is not a regular file"},
		{TD("containers/empty.p7b"), 0,
		    "is a PKCS#7 that holds no certificate"},
		{TD("containers/localhost-rsa.p12"), 0,
		    "is PKCS#12 (a key store), not a chain: extract"},
	};
	gnutls_datum_t d;
	gnutls_x509_crt_t *list;
	unsigned n;
	struct tk_err e;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		TK_CASE(good[i].file);
		tk_err_clear(&e);
		EXPECT_EQ_INT(tk_creds_read_file(good[i].file, "test file", &d,
		    &e), 0);
		EXPECT_EQ_INT(tk_creds_load_certs(&d, "test file",
		    good[i].file, &list, &n, &e), 0);
		EXPECT_EQ_INT(n, good[i].n);
		for (unsigned j = 0; j < n; j++) {
			gnutls_x509_crt_deinit(list[j]);
		}
		gnutls_free(list);
		gnutls_free(d.data);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc;

		TK_CASE(bad[i].file);
		tk_err_clear(&e);
		list = NULL;
		n = 7;
		rc = tk_creds_read_file(bad[i].file, "test file", &d, &e);
		EXPECT_EQ_INT(rc, bad[i].read_rc);
		if (rc == 0) {
			EXPECT_EQ_INT(tk_creds_load_certs(&d, "test file",
			    bad[i].file, &list, &n, &e), -1);
			EXPECT_TRUE(list == NULL);
			EXPECT_EQ_INT(n, 0);
			gnutls_free(d.data);
		} else {
			EXPECT_TRUE(d.data == NULL);
			EXPECT_EQ_INT(d.size, 0);
		}
		EXPECT_EQ_INT(e.cls, TK_USAGE);
		EXPECT_EQ_STR(e.step, "load");
		EXPECT_CONTAINS(e.msg, bad[i].file);
		EXPECT_CONTAINS(e.msg, bad[i].msg);
	}
	TK_CASE(NULL);

	/* DER: the first byte of a SEQUENCE decides */
	tk_err_clear(&e);
	EXPECT_EQ_INT(tk_creds_read_file(TD("ca.crt"), "test file", &d, &e), 0);
	{
		gnutls_datum_t der = {NULL, 0};

		EXPECT_EQ_INT(gnutls_pem_base64_decode2("CERTIFICATE", &d,
		    &der), 0);
		EXPECT_EQ_INT(tk_creds_load_certs(&der, "test file", "der",
		    &list, &n, &e),
		    0);
		EXPECT_EQ_INT(n, 1);
		if (n == 1) {
			gnutls_x509_crt_deinit(list[0]);
		}
		gnutls_free(list);
		gnutls_free(der.data);
	}
	gnutls_free(d.data);
}

/* tk_creds_new */

static const struct {
	const char *name;
	const char *cert, *key, *ca, *dh;
	bool has_cert;
	unsigned ntrust;
	const char *source;
} creds_good[] = {
	{"cert and key", TD("localhost-rsa-chain.pem"),
	    TD("localhost-rsa.key"), NULL, NULL, true, 0, "none"},
	{"ECDSA cert and key", TD("localhost-ecdsa-chain.pem"),
	    TD("localhost-ecdsa.key"), NULL, NULL, true, 0, "none"},
	{"key in the cert file", TD("server.pem"), NULL, NULL, NULL, true, 0,
	    "none"},
	{"CA only", NULL, NULL, TD("ca.crt"), NULL, false, 1, TD("ca.crt")},
	{"everything", TD("localhost-rsa-chain.pem"), TD("localhost-rsa.key"),
	    TD("ca-bundle.pem"), TD("dh.pem"), true, 1, TD("ca-bundle.pem")},
};

static const struct {
	const char *name;
	const char *cert, *key, *ca, *dh;
	const char *msg1, *msg2;
} creds_bad[] = {
	{"missing cert", TD("nope.crt"), TD("localhost-rsa.key"), NULL, NULL,
	    "cannot read certificate file '" TD("nope.crt") "'", NULL},
	{"missing key", TD("localhost-rsa.crt"), TD("nope.key"), NULL, NULL,
	    "cannot read key file '" TD("nope.key") "'", NULL},
	{"empty cert", TD("empty.pem"), TD("localhost-rsa.key"), NULL, NULL,
	    "certificate file '" TD("empty.pem") "' is empty", NULL},
	{"garbage cert", TD("garbage.pem"), TD("localhost-rsa.key"), NULL,
	    NULL, TD("garbage.pem"), "neither PEM nor DER"},
	{"truncated cert", TD("truncated.pem"), TD("localhost-rsa.key"), NULL,
	    NULL, TD("truncated.pem"), "malformed certificate"},
	{"garbage key", TD("localhost-rsa.crt"), TD("garbage.pem"), NULL,
	    NULL, "no private key in key file '" TD("garbage.pem") "'", NULL},
	{"no key at all", TD("localhost-rsa.crt"), NULL, NULL, NULL,
	    "no private key in '" TD("localhost-rsa.crt") "'", "--key"},
	{"key mismatch", TD("localhost-rsa.crt"), TD("example-rsa.key"), NULL,
	    NULL, "certificate '" TD("localhost-rsa.crt") "' does not match "
	    "private key '" TD("example-rsa.key") "'", NULL},
	{"key without cert", NULL, TD("localhost-rsa.key"), NULL, NULL,
	    "--key needs --cert", NULL},
	{"missing CA", NULL, NULL, TD("nope-ca.pem"), NULL,
	    "cannot read CA file '" TD("nope-ca.pem") "'", NULL},
	{"garbage CA", NULL, NULL, TD("garbage.pem"), NULL, TD("garbage.pem"),
	    "neither PEM nor DER"},
	{"empty CA", NULL, NULL, TD("empty.pem"), NULL,
	    "CA file '" TD("empty.pem") "' is empty", NULL},
	{"key as CA", NULL, NULL, TD("localhost-rsa.key"), NULL,
	    TD("localhost-rsa.key"), "other PEM blocks"},
	{"garbage DH", NULL, NULL, NULL, TD("garbage.pem"),
	    "malformed DH parameters in '" TD("garbage.pem") "'", NULL},
	{"missing DH", NULL, NULL, NULL, TD("nope-dh.pem"),
	    "cannot read DH parameters file '" TD("nope-dh.pem") "'", NULL},
};

/* tk_creds_new() of what a table row names (NULL: not given) */
static struct tk_creds *
creds_of(const char *cert, const char *key, const char *ca, const char *dh,
    struct tk_err *e)
{
	struct tk_creds_conf conf;

	memset(&conf, 0, sizeof(conf));
	conf.cert_file = cert;
	conf.key_file = key;
	conf.dh_file = dh;
	if (ca != NULL) {
		conf.ca[conf.nca++] = ca;
	}
	tk_err_clear(e);
	return tk_creds_new(&conf, e);
}

/* The PKCS#7 keeps its order: leaf first, as it was packed. */
static void
test_pkcs7_order(void)
{
	gnutls_datum_t d, dn = {NULL, 0};
	gnutls_x509_crt_t *list = NULL;
	unsigned n = 0;
	struct tk_err e;

	TK_CASE("p7b order");
	tk_err_clear(&e);
	EXPECT_EQ_INT(tk_creds_read_file(TD("containers/localhost-rsa-chain.p7b"),
	    "test file", &d, &e), 0);
	EXPECT_EQ_INT(tk_creds_load_certs(&d, "test file", "p7b", &list, &n,
	    &e), 0);
	EXPECT_EQ_INT(n, 2);
	if (n == 2 && gnutls_x509_crt_get_dn2(list[0], &dn) == 0) {
		EXPECT_EQ_STR((const char *)dn.data, "CN=localhost");
	}
	gnutls_free(dn.data);
	for (unsigned j = 0; j < n; j++) {
		gnutls_x509_crt_deinit(list[j]);
	}
	gnutls_free(list);
	gnutls_free(d.data);
	TK_CASE(NULL);
}

/* A pipe (/dev/fd/N) is read to its end, as a shell's <(...) is. */
static void
test_read_pipe(void)
{
	int fds[2];
	char path[64];
	gnutls_datum_t d = {NULL, 0};
	struct tk_err e;
	static const char text[] = "not a certificate, but bytes\n";

	TK_CASE("pipe");
	EXPECT_EQ_INT(pipe(fds), 0);
	EXPECT_EQ_INT((int)write(fds[1], text, sizeof(text) - 1),
	    (int)sizeof(text) - 1);
	close(fds[1]);
	snprintf(path, sizeof(path), "/dev/fd/%d", fds[0]);
	tk_err_clear(&e);
	EXPECT_EQ_INT(tk_creds_read_file(path, "test file", &d, &e), 0);
	EXPECT_EQ_INT((int)d.size, (int)sizeof(text) - 1);
	gnutls_free(d.data);
	close(fds[0]);
	TK_CASE(NULL);
}

static void
test_creds_new(void)
{
	struct tk_creds_conf conf;
	struct tk_creds *c;
	struct tk_err e;

	for (size_t i = 0; i < sizeof(creds_good) / sizeof(creds_good[0]);
	     i++) {
		TK_CASE(creds_good[i].name);
		c = creds_of(creds_good[i].cert, creds_good[i].key,
		    creds_good[i].ca, creds_good[i].dh, &e);
		EXPECT_TRUE(c != NULL);
		if (c == NULL) {
			fprintf(stderr, "  %s\n", e.msg);
			continue;
		}
		EXPECT_EQ_INT(e.cls, TK_OK);
		EXPECT_TRUE(tk_creds_gnutls(c) != NULL);
		EXPECT_EQ_INT(tk_creds_has_cert(c), creds_good[i].has_cert);
		EXPECT_EQ_INT(tk_creds_trust_count(c), creds_good[i].ntrust);
		EXPECT_EQ_STR(tk_creds_trust_source(c), creds_good[i].source);
		tk_creds_unref(c);
	}
	for (size_t i = 0; i < sizeof(creds_bad) / sizeof(creds_bad[0]);
	     i++) {
		TK_CASE(creds_bad[i].name);
		c = creds_of(creds_bad[i].cert, creds_bad[i].key,
		    creds_bad[i].ca, creds_bad[i].dh, &e);
		EXPECT_TRUE(c == NULL);
		tk_creds_unref(c);
		EXPECT_EQ_INT(e.cls, TK_USAGE);
		EXPECT_EQ_STR(e.step, "load");
		EXPECT_CONTAINS(e.msg, creds_bad[i].msg1);
		if (creds_bad[i].msg2 != NULL) {
			EXPECT_CONTAINS(e.msg, creds_bad[i].msg2);
		}
	}
	TK_CASE(NULL);

	/* several CA files add up, and the source names each */
	memset(&conf, 0, sizeof(conf));
	conf.ca[conf.nca++] = TD("ca.crt");
	conf.ca[conf.nca++] = TD("other-ca.crt");
	tk_err_clear(&e);
	c = tk_creds_new(&conf, &e);
	EXPECT_TRUE(c != NULL);
	if (c != NULL) {
		EXPECT_EQ_INT(tk_creds_trust_count(c), 2);
		EXPECT_EQ_STR(tk_creds_trust_source(c),
		    TD("ca.crt") ", " TD("other-ca.crt"));
		/* references: the last unref frees (LeakSanitizer sees it) */
		EXPECT_TRUE(tk_creds_ref(c) == c);
		tk_creds_unref(c);
		EXPECT_EQ_INT(tk_creds_trust_count(c), 2);
		tk_creds_unref(c);
	}
	tk_creds_unref(NULL);
}

/*
 * A --ca directory holding a copy of ca.crt (GnuTLS reads its .pem and .crt
 * files), under $TMPDIR.
 */
static void
test_ca_dir(void)
{
	const char *tmp = getenv("TMPDIR");
	char dir[512], path[600], empty[512];
	gnutls_datum_t d = {NULL, 0}, der = {NULL, 0};
	struct tk_creds_conf conf;
	struct tk_creds *c;
	struct tk_err e;
	FILE *f;

	if (tmp == NULL || *tmp == '\0') {
		tmp = "/tmp";
	}
	snprintf(dir, sizeof(dir), "%s/tk-test-creds.XXXXXX", tmp);
	snprintf(empty, sizeof(empty), "%s/tk-test-creds-empty.XXXXXX", tmp);
	if (mkdtemp(dir) == NULL || mkdtemp(empty) == NULL) {
		EXPECT_TRUE(!"mkdtemp");
		return;
	}
	snprintf(path, sizeof(path), "%s/ca.crt", dir);
	tk_err_clear(&e);
	EXPECT_EQ_INT(tk_creds_read_file(TD("ca.crt"), "test file", &d, &e), 0);
	f = fopen(path, "w");
	EXPECT_TRUE(f != NULL);
	if (f != NULL) {
		fwrite(d.data, 1, d.size, f);
		fclose(f);
	}

	memset(&conf, 0, sizeof(conf));
	conf.ca[conf.nca++] = dir;
	c = tk_creds_new(&conf, &e);
	EXPECT_TRUE(c != NULL);
	if (c != NULL) {
		EXPECT_EQ_INT(tk_creds_trust_count(c), 1);
		EXPECT_EQ_STR(tk_creds_trust_source(c), dir);
		/* the directory's anchors are the user's own too */
		EXPECT_EQ_INT(gnutls_pem_base64_decode2("CERTIFICATE", &d,
		    &der), 0);
		EXPECT_TRUE(tk_creds_anchor_private(&der, c));
		tk_creds_unref(c);
	}

	TK_CASE("empty CA directory");
	conf.ca[0] = empty;
	tk_err_clear(&e);
	c = tk_creds_new(&conf, &e);
	EXPECT_TRUE(c == NULL);
	tk_creds_unref(c);
	EXPECT_EQ_INT(e.cls, TK_USAGE);
	EXPECT_CONTAINS(e.msg, "no certificate in CA directory");
	EXPECT_CONTAINS(e.msg, empty);
	TK_CASE(NULL);

	gnutls_free(der.data);
	gnutls_free(d.data);
	unlink(path);
	rmdir(dir);
	rmdir(empty);
}

/* tk_creds_anchor_private: who put this anchor there */

static void
der_of(const char *file, gnutls_datum_t *der)
{
	gnutls_datum_t pem = {NULL, 0};
	struct tk_err e;

	der->data = NULL;
	der->size = 0;
	tk_err_clear(&e);
	if (tk_creds_read_file(file, "test file", &pem, &e) == 0) {
		EXPECT_EQ_INT(gnutls_pem_base64_decode2("CERTIFICATE", &pem,
		    der), 0);
	}
	gnutls_free(pem.data);
}

static struct tk_creds *
creds_with(const char *ca, bool system, bool want)
{
	struct tk_creds_conf conf;
	struct tk_creds *c;
	struct tk_err e;

	memset(&conf, 0, sizeof(conf));
	if (ca != NULL) {
		conf.ca[conf.nca++] = ca;
	}
	conf.system_trust = system;
	conf.want_trust = want;
	tk_err_clear(&e);
	c = tk_creds_new(&conf, &e);
	if (c == NULL) {
		fprintf(stderr, "  creds: %s\n", e.msg);
	}
	return c;
}

static void
test_anchor_private(void)
{
	gnutls_datum_t root, other;
	struct tk_creds *c;
	char *old_file = getenv("SSL_CERT_FILE");
	char *old_dir = getenv("SSL_CERT_DIR");

	old_file = old_file != NULL ? strdup(old_file) : NULL;
	old_dir = old_dir != NULL ? strdup(old_dir) : NULL;
	der_of(TD("ca.crt"), &root);
	der_of(TD("other-ca.crt"), &other);

	/* only --ca: every anchor is the user's, asked about or not */
	TK_CASE("--ca only");
	c = creds_with(TD("ca.crt"), false, false);
	EXPECT_TRUE(c != NULL);
	if (c != NULL) {
		EXPECT_TRUE(tk_creds_anchor_private(&root, c));
		EXPECT_TRUE(tk_creds_anchor_private(&other, c));
		tk_creds_unref(c);
	}

	/*
	 * SSL_CERT_FILE stands in for the system store: its anchors are
	 * not the user's own, whatever they are
	 */
	unsetenv("SSL_CERT_DIR");
	setenv("SSL_CERT_FILE", TD("other-ca.crt"), 1);
	TK_CASE("SSL_CERT_FILE only");
	c = creds_with(NULL, false, true);
	EXPECT_TRUE(c != NULL);
	if (c != NULL) {
		EXPECT_EQ_INT(tk_creds_trust_count(c), 1);
		EXPECT_EQ_STR(tk_creds_trust_source(c), TD("other-ca.crt"));
		EXPECT_TRUE(!tk_creds_anchor_private(&root, c));
		EXPECT_TRUE(!tk_creds_anchor_private(&other, c));
		tk_creds_unref(c);
	}

	/* ca[] wins over the environment: SSL_CERT_FILE is not read */
	TK_CASE("--ca with want_trust");
	setenv("SSL_CERT_FILE", TD("nope.pem"), 1);
	c = creds_with(TD("ca.crt"), false, true);
	EXPECT_TRUE(c != NULL);
	if (c != NULL) {
		EXPECT_EQ_INT(tk_creds_trust_count(c), 1);
		EXPECT_TRUE(tk_creds_anchor_private(&root, c));
		tk_creds_unref(c);
	}

	/* without ca[], a bad SSL_CERT_FILE is a USAGE error naming it */
	TK_CASE("bad SSL_CERT_FILE");
	{
		struct tk_creds_conf conf = {.want_trust = true};
		struct tk_err e;

		tk_err_clear(&e);
		c = tk_creds_new(&conf, &e);
		EXPECT_TRUE(c == NULL);
		tk_creds_unref(c);
		EXPECT_EQ_INT(e.cls, TK_USAGE);
		EXPECT_CONTAINS(e.msg, TD("nope.pem"));
	}

	/*
	 * --ca beside the system store: only --ca's anchors (by SHA-256 of
	 * their DER) are private.  Checked when this machine has a store.
	 */
	unsetenv("SSL_CERT_FILE");
	TK_CASE("--ca and the system store");
	{
		struct tk_creds_conf conf = {.system_trust = true};
		struct tk_err e;

		conf.ca[conf.nca++] = TD("ca.crt");
		tk_err_clear(&e);
		c = tk_creds_new(&conf, &e);
		if (c != NULL) {
			EXPECT_TRUE(tk_creds_trust_count(c) > 1);
			EXPECT_CONTAINS(tk_creds_trust_source(c), "system");
			EXPECT_TRUE(tk_creds_anchor_private(&root, c));
			EXPECT_TRUE(!tk_creds_anchor_private(&other, c));
			tk_creds_unref(c);
		} else {
			/* no store here: that error, nothing else */
			EXPECT_CONTAINS(e.msg, "system trust store");
		}
	}
	TK_CASE(NULL);

	if (old_file != NULL) {
		setenv("SSL_CERT_FILE", old_file, 1);
	}
	if (old_dir != NULL) {
		setenv("SSL_CERT_DIR", old_dir, 1);
	}
	free(old_file);
	free(old_dir);
	gnutls_free(root.data);
	gnutls_free(other.data);
}

static void
run(void)
{
	test_read_and_parse();
	test_pkcs7_order();
	test_read_pipe();
	test_creds_new();
	test_ca_dir();
	test_anchor_private();
}

TK_TEST_MAIN("test_creds", run)
