/*
 * Unit tests for lib/fixchain.h: which certificate tk_fixchain_build takes
 * as the leaf of a chain sent or read from a file, and the chain it builds
 * from it.  The leaf may be anywhere in a file (cat intermediate.crt
 * leaf.crt); the fixed chain must start with it, or be empty and
 * incomplete when the leaf cannot be told, never lack it.  The testdata
 * PKI, plus a few certificates made here with GnuTLS: a leaf without
 * basicConstraints signed by testdata/intermediate, and two CAs that
 * issue each other.
 */
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "creds.h"
#include "fixchain.h"

#include "tk_test.h"

#ifndef TK_TESTDATA
#error "TK_TESTDATA must name the testdata directory"
#endif

#define NOW ((time_t)1893456000)  /* 2030-01-01T00:00:00Z */
#define YEAR ((time_t)365 * 86400)

/* The certificates the cases are made of; END ends a list. */
enum cert {
	END = -1,
	LEAF,        /* localhost-rsa.crt, by the intermediate, CA:FALSE */
	INTER,       /* intermediate.crt, CA */
	ROOT,        /* ca.crt, self-signed CA */
	OTHER,       /* other-ca.crt, another self-signed CA */
	WRONG,       /* wrongname.crt, by the intermediate, CA:FALSE */
	NOBC,        /* made here: by the intermediate, no basicConstraints */
	LOOP_A,      /* made here: CA 'loop A', issued by 'loop B' */
	LOOP_B,      /* made here: CA 'loop B', issued by 'loop A' */
	NCERTS
};

static gnutls_x509_crt_t certs[NCERTS];

static const char *const files[] = {
	[LEAF] = "localhost-rsa.crt",
	[INTER] = "intermediate.crt",
	[ROOT] = "ca.crt",
	[OTHER] = "other-ca.crt",
	[WRONG] = "wrongname.crt",
};

static int
read_td(const char *file, gnutls_datum_t *d)
{
	char path[512];
	struct tk_err e;

	tk_err_clear(&e);
	snprintf(path, sizeof(path), "%s/%s", TK_TESTDATA, file);
	if (tk_creds_read_file(path, "test file", d, &e) < 0) {
		fprintf(stderr, "cannot read %s: %s\n", path, e.msg);
		return -1;
	}
	return 0;
}

static gnutls_x509_crt_t
load_crt(const char *file)
{
	gnutls_datum_t d = {NULL, 0};
	gnutls_x509_crt_t c = NULL;

	if (read_td(file, &d) < 0) {
		return NULL;
	}
	if (gnutls_x509_crt_init(&c) < 0 ||
	    gnutls_x509_crt_import(c, &d, GNUTLS_X509_FMT_PEM) < 0) {
		fprintf(stderr, "cannot parse %s\n", file);
		gnutls_x509_crt_deinit(c);
		c = NULL;
	}
	gnutls_free(d.data);
	return c;
}

/*
 * c exported and parsed again, as every certificate tlskit sees is: GnuTLS
 * keeps the raw names that gnutls_x509_crt_check_issuer compares only for
 * an imported certificate.  Takes c.
 */
static gnutls_x509_crt_t
reimport(gnutls_x509_crt_t c)
{
	gnutls_datum_t der = {NULL, 0};
	gnutls_x509_crt_t out = NULL;

	if (gnutls_x509_crt_export2(c, GNUTLS_X509_FMT_DER, &der) < 0 ||
	    gnutls_x509_crt_init(&out) < 0 ||
	    gnutls_x509_crt_import(out, &der, GNUTLS_X509_FMT_DER) < 0) {
		gnutls_x509_crt_deinit(out);
		out = NULL;
	}
	gnutls_free(der.data);
	gnutls_x509_crt_deinit(c);
	return out;
}

/*
 * A certificate for cn with key, signed by issuer/ikey (issuer NULL: by
 * itself).  ca < 0 leaves basicConstraints out.
 */
static gnutls_x509_crt_t
mk(const char *cn, int ca, gnutls_x509_privkey_t key,
    gnutls_x509_crt_t issuer, gnutls_x509_privkey_t ikey, unsigned char sn)
{
	unsigned char serial[2] = {0x7f, sn};
	gnutls_x509_crt_t c = NULL;
	int rc = 0;

	if (gnutls_x509_crt_init(&c) < 0) {
		return NULL;
	}
	rc |= gnutls_x509_crt_set_version(c, 3);
	rc |= gnutls_x509_crt_set_serial(c, serial, sizeof(serial));
	rc |= gnutls_x509_crt_set_activation_time(c, NOW - YEAR);
	rc |= gnutls_x509_crt_set_expiration_time(c, NOW + YEAR);
	rc |= gnutls_x509_crt_set_dn_by_oid(c, GNUTLS_OID_X520_COMMON_NAME, 0,
	    cn, (unsigned)strlen(cn));
	rc |= gnutls_x509_crt_set_key(c, key);
	if (ca >= 0) {
		rc |= gnutls_x509_crt_set_basic_constraints(c, (unsigned)ca,
		    -1);
	}
	rc |= gnutls_x509_crt_sign2(c, issuer != NULL ? issuer : c,
	    issuer != NULL ? ikey : key, GNUTLS_DIG_SHA256, 0);
	if (rc < 0) {
		gnutls_x509_crt_deinit(c);
		return NULL;
	}
	return reimport(c);
}

static gnutls_x509_privkey_t
new_key(void)
{
	gnutls_x509_privkey_t k = NULL;

	if (gnutls_x509_privkey_init(&k) < 0) {
		return NULL;
	}
	if (gnutls_x509_privkey_generate2(k, GNUTLS_PK_ECDSA,
	    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0, NULL, 0) < 0) {
		gnutls_x509_privkey_deinit(k);
		return NULL;
	}
	return k;
}

/* Fills certs[]; false if any could not be loaded or made. */
static bool
setup(void)
{
	gnutls_x509_privkey_t ikey = NULL, ka = NULL, kb = NULL, kl = NULL;
	gnutls_x509_crt_t b0 = NULL;
	gnutls_datum_t d = {NULL, 0};
	bool ok = true;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		certs[i] = load_crt(files[i]);
		ok = ok && certs[i] != NULL;
	}
	if (!ok || read_td("intermediate.key", &d) < 0 ||
	    gnutls_x509_privkey_init(&ikey) < 0 ||
	    gnutls_x509_privkey_import(ikey, &d, GNUTLS_X509_FMT_PEM) < 0) {
		ok = false;
		goto out;
	}
	kl = new_key();
	ka = new_key();
	kb = new_key();
	if (kl == NULL || ka == NULL || kb == NULL) {
		ok = false;
		goto out;
	}
	certs[NOBC] = mk("nobc.example", -1, kl, certs[INTER], ikey, 1);
	/* A is issued by B and B by A: b0 only lends A its issuer name */
	b0 = mk("loop B", 1, kb, NULL, NULL, 2);
	certs[LOOP_A] = b0 != NULL ? mk("loop A", 1, ka, b0, kb, 3) : NULL;
	certs[LOOP_B] = certs[LOOP_A] != NULL ?
	    mk("loop B", 1, kb, certs[LOOP_A], ka, 4) : NULL;
	ok = certs[NOBC] != NULL && certs[LOOP_A] != NULL &&
	    certs[LOOP_B] != NULL;
out:
	gnutls_free(d.data);
	gnutls_x509_crt_deinit(b0);
	gnutls_x509_privkey_deinit(ikey);
	gnutls_x509_privkey_deinit(kl);
	gnutls_x509_privkey_deinit(ka);
	gnutls_x509_privkey_deinit(kb);
	return ok;
}

static const struct fix_case {
	const char *name;
	enum cert served[8];     /* in the order sent, END-terminated */
	bool trust;              /* ca.crt in the trust store */
	enum cert want[4];       /* the fixed chain, END-terminated */
	bool complete, changed;
	const char *actions;     /* the notes' actions, space-separated */
	const char *note0;       /* in the first note's message, or NULL */
} cases[] = {
	/* the leaf first: as before */
	{"leaf first, right", {LEAF, INTER, END}, true, {LEAF, INTER, END},
	    true, false, "none", NULL},
	{"leaf first, copies", {LEAF, LEAF, INTER, INTER, END}, true,
	    {LEAF, INTER, END}, true, true,
	    "dropped-duplicate dropped-duplicate",
	    "#1 'localhost' is a second copy of #0"},
	{"leaf first, a second leaf", {LEAF, INTER, WRONG, END}, true,
	    {LEAF, INTER, END}, true, true, "dropped-unrelated",
	    "#2 'wrong.example.net' is not on the path"},
	{"leaf alone, no issuer anywhere", {LEAF, END}, true, {LEAF, END},
	    false, false, "incomplete", "was found nowhere"},
	{"a self-signed CA alone", {ROOT, END}, true, {ROOT, END}, true,
	    false, "none", NULL},
	{"a CA that issues nothing, no end entity", {INTER, OTHER, END},
	    true, {INTER, END}, true, true, "dropped-root", NULL},
	/* the leaf elsewhere: found and put first */
	{"reversed, two", {INTER, LEAF, END}, true, {LEAF, INTER, END}, true,
	    true, "reordered",
	    "the leaf is #1 'localhost', not #0: it issues none of the "
	    "others and is not a CA; the issuing order is #1, #0"},
	{"reversed, two, no trust store", {INTER, LEAF, END}, false,
	    {LEAF, INTER, END}, false, true, "reordered incomplete",
	    "the leaf is #1 'localhost'"},
	{"reversed, three with the root", {ROOT, INTER, LEAF, END}, true,
	    {LEAF, INTER, END}, true, true, "reordered dropped-root",
	    "the issuing order is #2, #1, #0"},
	{"leaf in the middle", {INTER, LEAF, ROOT, END}, true,
	    {LEAF, INTER, END}, true, true, "reordered dropped-root",
	    "the issuing order is #1, #0, #2"},
	{"reversed, every one twice",
	    {INTER, INTER, ROOT, LEAF, ROOT, LEAF, END}, true,
	    {LEAF, INTER, END}, true, true,
	    "reordered dropped-duplicate dropped-root dropped-duplicate "
	    "dropped-duplicate", "the leaf is #3 'localhost'"},
	{"a stray root first", {OTHER, LEAF, INTER, END}, true,
	    {LEAF, INTER, END}, true, true, "reordered dropped-root",
	    "the leaf is #1 'localhost'"},
	{"reversed, leaf without basicConstraints", {INTER, NOBC, END},
	    true, {NOBC, INTER, END}, true, true, "reordered",
	    "the leaf is #1 'nobc.example', not #0: it issues none of the "
	    "others and is not a CA"},
	{"CA certificates only, reversed", {ROOT, INTER, END}, true,
	    {INTER, END}, true, true, "reordered dropped-root",
	    "(though it is a CA)"},
	/* no single leaf: refused, nothing printed */
	{"two leaves after their CA", {INTER, LEAF, WRONG, END}, true,
	    {END}, false, false, "incomplete",
	    "cannot tell which certificate is the leaf: #1 'localhost', "
	    "#2 'wrong.example.net' issue none of the others and are not "
	    "CAs; no chain is printed"},
	{"two leaves after their CA, with copies",
	    {INTER, WRONG, LEAF, WRONG, END}, true, {END}, false, false,
	    "incomplete", "#1 'wrong.example.net', #2 'localhost' issue"},
	{"CAs only, two that issue nothing", {ROOT, INTER, OTHER, END}, true,
	    {END}, false, false, "incomplete",
	    "#1 'tlskit Test Intermediate CA', #2 'tlskit Other Root CA' "
	    "issue none of the others, and all are CAs"},
	{"two CAs that issue each other", {LOOP_A, LOOP_B, END}, true,
	    {END}, false, false, "incomplete",
	    "each certificate sent issues another of them"},
};

/* The PEM of a list of certificates, as tk_fixchain_build writes it. */
static char *
pem_of(const enum cert *list)
{
	size_t used = 0;
	char *out = calloc(1, 1);

	for (size_t i = 0; out != NULL && list[i] != END; i++) {
		gnutls_datum_t pem = {NULL, 0};
		char *bigger;

		if (gnutls_x509_crt_export2(certs[list[i]],
		    GNUTLS_X509_FMT_PEM, &pem) < 0) {
			free(out);
			return NULL;
		}
		bigger = realloc(out, used + pem.size + 1);
		if (bigger == NULL) {
			gnutls_free(pem.data);
			free(out);
			return NULL;
		}
		out = bigger;
		memcpy(out + used, pem.data, pem.size);
		used += pem.size;
		out[used] = '\0';
		gnutls_free(pem.data);
	}
	return out;
}

/* The first certificate of a PEM text, or NULL. */
static gnutls_x509_crt_t
first_of(const char *pem)
{
	gnutls_datum_t d = {(unsigned char *)(uintptr_t)pem,
	    (unsigned)strlen(pem)};
	gnutls_x509_crt_t c = NULL;

	if (gnutls_x509_crt_init(&c) < 0) {
		return NULL;
	}
	if (gnutls_x509_crt_import(c, &d, GNUTLS_X509_FMT_PEM) < 0) {
		gnutls_x509_crt_deinit(c);
		return NULL;
	}
	return c;
}

static void
run_case(const struct fix_case *tc, gnutls_x509_trust_list_t tl)
{
	gnutls_x509_crt_t served[8];
	struct tk_fix_input in;
	struct tk_fixed_chain *f = NULL;
	char url[256], actions[256];
	size_t n = 0, nwant = 0, used = 0;
	struct tk_err e;
	char *want;
	int rc;

	TK_CASE(tc->name);
	while (tc->served[n] != END) {
		served[n] = certs[tc->served[n]];
		n++;
	}
	while (tc->want[nwant] != END) {
		nwant++;
	}
	memset(&in, 0, sizeof(in));
	in.served = served;
	in.nserved = n;
	in.trust = tc->trust ? tl : NULL;
	in.no_fetch = true;
	tk_err_clear(&e);
	rc = tk_fixchain_build(&in, &f, url, sizeof(url), &e);
	EXPECT_EQ_INT(rc, 0);
	if (rc != 0 || f == NULL) {
		return;
	}
	EXPECT_EQ_SIZE(f->ncerts, nwant);
	EXPECT_TRUE(f->complete == tc->complete);
	EXPECT_TRUE(f->changed == tc->changed);
	want = pem_of(tc->want);
	EXPECT_TRUE(want != NULL);
	EXPECT_EQ_STR(f->pem, want != NULL ? want : "");
	free(want);
	/* whatever else happens, the chain never starts with anything but
	 * the leaf the case names: an empty chain, or the leaf first */
	if (f->ncerts > 0) {
		gnutls_x509_crt_t first = first_of(f->pem);

		EXPECT_TRUE(first != NULL &&
		    gnutls_x509_crt_equals(first, certs[tc->want[0]]));
		gnutls_x509_crt_deinit(first);
	} else {
		EXPECT_EQ_STR(f->pem, "");
		EXPECT_TRUE(!f->complete);
	}
	actions[0] = '\0';
	for (size_t i = 0; i < f->nnotes; i++) {
		int w = snprintf(actions + used, sizeof(actions) - used,
		    "%s%s", i ? " " : "", f->notes[i].action);

		if (w < 0 || (size_t)w >= sizeof(actions) - used) {
			break;
		}
		used += (size_t)w;
	}
	EXPECT_EQ_STR(actions, tc->actions);
	if (tc->note0 != NULL) {
		bool found = f->nnotes > 0 &&
		    strstr(f->notes[0].message, tc->note0) != NULL;

		EXPECT_TRUE(found);
		if (!found && f->nnotes > 0) {
			fprintf(stderr, "  note: %s\n", f->notes[0].message);
		}
	}
	tk_fixchain_free(f);
}

static void
test_fixchain(void)
{
	gnutls_x509_trust_list_t tl = NULL;
	gnutls_x509_crt_t root = NULL;

	TK_CASE("setup");
	EXPECT_TRUE(setup());
	if (certs[LOOP_B] == NULL) {
		goto out;
	}
	/* the trust list owns what it is given: a copy of the root */
	root = load_crt("ca.crt");
	EXPECT_TRUE(root != NULL);
	EXPECT_EQ_INT(gnutls_x509_trust_list_init(&tl, 0), 0);
	EXPECT_EQ_INT(gnutls_x509_trust_list_add_cas(tl, &root, 1, 0), 1);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		run_case(&cases[i], tl);
	}
	TK_CASE(NULL);
	gnutls_x509_trust_list_deinit(tl, 1);
out:
	for (size_t i = 0; i < NCERTS; i++) {
		gnutls_x509_crt_deinit(certs[i]);
	}
}

TK_TEST_MAIN("test_fixchain", test_fixchain)
