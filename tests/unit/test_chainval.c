/*
 * Unit tests for lib/chainval.h: path validation of the testdata chains,
 * then of small PKIs made here with GnuTLS (ECDSA P-256, so key
 * generation is quick) for the host name, wildcard, extKeyUsage, basic
 * constraints, path length, name constraints and path-building rules.
 * Every case is validated at a fixed time, so nothing here expires.
 */
#include <arpa/inet.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "certinfo.h"
#include "chainval.h"
#include "creds.h"
#include "verify.h"

#include "tk_test.h"
#include "tk_testdata.h"

#ifndef TK_TESTDATA
#error "TK_TESTDATA must name the testdata directory"
#endif

#define NOW ((time_t)1893456000)  /* 2030-01-01T00:00:00Z */
#define YEAR ((time_t)365 * 86400)

static bool
has_reason(const struct tk_verdict *v, const char *code)
{
	for (size_t i = 0; i < v->n; i++) {
		if (strcmp(v->reasons[i].code, code) == 0) {
			return true;
		}
	}
	return false;
}

static void
show(const char *name, const struct tk_verdict *v)
{
	for (size_t i = 0; i < v->n; i++) {
		fprintf(stderr, "  [%s] %s: %s\n", name, v->reasons[i].code,
		    v->reasons[i].message);
	}
}

/* ---- the testdata chains ------------------------------------------- */

static void
free_list(gnutls_x509_crt_t *list, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		gnutls_x509_crt_deinit(list[i]);
	}
	gnutls_free(list);
}

static gnutls_x509_trust_list_t
trust_from(const char *file)
{
	gnutls_x509_trust_list_t tl = NULL;
	gnutls_x509_crt_t *list;
	unsigned n;

	list = tk_test_certs(file, &n);
	if (gnutls_x509_trust_list_init(&tl, 0) < 0) {
		return NULL;
	}
	/* the trust list owns the certificates now */
	gnutls_x509_trust_list_add_cas(tl, list, n, 0);
	gnutls_free(list);
	return tl;
}

static const struct file_case {
	const char *name;
	const char *chain;
	const char *host;      /* NULL: no name check */
	const char *code;      /* expected reason, NULL: valid */
} file_cases[] = {
	{"localhost", "localhost-rsa-chain.pem", "localhost", NULL},
	{"localhost v4", "localhost-rsa-chain.pem", "127.0.0.1", NULL},
	{"localhost v6", "localhost-rsa-chain.pem", "::1", NULL},
	{"localhost no name", "localhost-rsa-chain.pem", NULL, NULL},
	{"localhost ecdsa", "localhost-ecdsa-chain.pem", "localhost", NULL},
	{"wrong name", "wrongname-chain.pem", "localhost", "name-mismatch"},
	{"expired", "expired-chain.pem", "localhost", "expired"},
	{"not yet valid", "notyet-chain.pem", "localhost", "not-yet-valid"},
	{"wildcard one label", "wildcard-chain.pem", "foo.example.com",
	    NULL},
	{"wildcard apex", "wildcard-chain.pem", "example.com",
	    "name-mismatch"},
	{"wildcard two labels", "wildcard-chain.pem", "a.b.example.com",
	    "bad-wildcard"},
	{"ip-only v4", "ip-only-chain.pem", "127.0.0.1", NULL},
	{"ip-only v6", "ip-only-chain.pem", "::1", NULL},
	{"ip-only by name", "ip-only-chain.pem", "localhost",
	    "name-mismatch"},
	{"missing intermediate", "missing-intermediate-chain.pem",
	    "localhost", "unknown-issuer"},
	{"unknown CA", "unknownca-chain.pem", "localhost", "unknown-issuer"},
	{"self-signed", "selfsigned-chain.pem", "localhost", "self-signed"},
	{"rsa1024", "rsa1024-chain.pem", "localhost", "weak-key"},
	{"sha1", "sha1-chain.pem", "localhost", "insecure-algorithm"},
};

static void
test_files(void)
{
	gnutls_x509_trust_list_t tl = trust_from("ca.crt");

	EXPECT_TRUE(tl != NULL);
	for (size_t k = 0; k < sizeof(file_cases) / sizeof(file_cases[0]);
	    k++) {
		const struct file_case *fc = &file_cases[k];
		struct tk_chainval_opts o = {0};
		struct tk_verdict v;
		struct tk_chain path;
		struct tk_err e;
		gnutls_x509_crt_t *list;
		unsigned n;

		TK_CASE(fc->name);
		tk_err_clear(&e);
		list = tk_test_certs(fc->chain, &n);
		EXPECT_TRUE(n > 0);
		if (n == 0) {
			continue;
		}
		o.hostname = fc->host;
		o.at = NOW;
		EXPECT_EQ_INT(tk_chainval(list, n, tl, &o, &v, &path, &e), 0);
		if (fc->code == NULL) {
			EXPECT_EQ_INT(v.status, TK_VERIFY_OK);
			EXPECT_EQ_SIZE(v.n, 0);
			EXPECT_EQ_SIZE(path.n, 3);
			if (path.n == 3) {
				EXPECT_EQ_STR(path.certs[2].cn,
				    "tlskit Test Root CA");
			}
		} else {
			EXPECT_EQ_INT(v.status, TK_VERIFY_FAILED);
			EXPECT_TRUE(has_reason(&v, fc->code));
			EXPECT_TRUE(v.gnutls_status != 0);
			EXPECT_TRUE(path.n >= 1);
		}
		if (fc->code == NULL ? v.n != 0 : !has_reason(&v, fc->code)) {
			show(fc->name, &v);
		}
		tk_chain_clear(&path);
		free_list(list, n);
	}
	TK_CASE(NULL);
	gnutls_x509_trust_list_deinit(tl, 1);
}

/* The served chain out of order, and with strangers in it. */
static void
test_order(void)
{
	gnutls_x509_trust_list_t tl = trust_from("ca.crt");
	gnutls_x509_crt_t *leaf, *inter, *root, *other, served[4];
	unsigned n1, n2, n3, n4;
	struct tk_chainval_opts o = {0};
	struct tk_verdict v;
	struct tk_err e;

	leaf = tk_test_certs("localhost-rsa.crt", &n1);
	inter = tk_test_certs("intermediate.crt", &n2);
	root = tk_test_certs("ca.crt", &n3);
	other = tk_test_certs("other-ca.crt", &n4);
	EXPECT_TRUE(n1 == 1 && n2 == 1 && n3 == 1 && n4 == 1);
	if (n1 + n2 + n3 + n4 != 4) {
		goto out;
	}
	o.hostname = "localhost";
	o.at = NOW;
	tk_err_clear(&e);

	TK_CASE("root, stranger, then intermediate");
	served[0] = leaf[0];
	served[1] = root[0];
	served[2] = other[0];
	served[3] = inter[0];
	EXPECT_EQ_INT(tk_chainval(served, 4, tl, &o, &v, NULL, &e), 0);
	EXPECT_EQ_INT(v.status, TK_VERIFY_OK);
	if (v.status != TK_VERIFY_OK) {
		show("order", &v);
	}

	TK_CASE("leaf alone, intermediate missing");
	EXPECT_EQ_INT(tk_chainval(served, 1, tl, &o, &v, NULL, &e), 0);
	EXPECT_TRUE(has_reason(&v, "unknown-issuer"));

	TK_CASE("no trust list at all");
	served[1] = inter[0];
	EXPECT_EQ_INT(tk_chainval(served, 2, NULL, &o, &v, NULL, &e), 0);
	EXPECT_TRUE(has_reason(&v, "unknown-issuer"));

	TK_CASE("the root sent, not trusted");
	served[2] = root[0];
	EXPECT_EQ_INT(tk_chainval(served, 3, NULL, &o, &v, NULL, &e), 0);
	EXPECT_TRUE(has_reason(&v, "unknown-issuer"));
	TK_CASE(NULL);
out:
	free_list(leaf, n1);
	free_list(inter, n2);
	free_list(root, n3);
	free_list(other, n4);
	gnutls_x509_trust_list_deinit(tl, 1);
}

/* ---- generated PKIs -------------------------------------------------- */

struct tcert {
	gnutls_x509_crt_t crt;
	gnutls_x509_privkey_t key;
};

#define EKU_NONE ""
#define EKU_ANY "2.5.29.37.0"

struct spec {
	const char *cn;
	bool ca;
	int pathlen;            /* -1: none */
	const char *sans[4];    /* "dns:NAME" or "ip:ADDR" */
	const char *eku;        /* NULL: serverAuth; EKU_NONE: no extension */
	const char *permit;     /* a permitted dNSName constraint, or NULL */
	time_t not_after;       /* 0: NOW + 10 years */
	const struct tcert *key_of;  /* reuse this certificate's key */
	unsigned ku;            /* 0: the usual for the role */
	const char *xoid;       /* one more extension (value NULL) ... */
	bool xcrit;             /* ... marked critical or not */
	const char *emails[6];  /* emailAddress attributes of the subject */
	const char *exclude_email;  /* an excluded rfc822Name constraint */
};

static unsigned serial_next = 100;

static void
tcert_free(struct tcert *t)
{
	if (t->crt != NULL) {
		gnutls_x509_crt_deinit(t->crt);
	}
	if (t->key != NULL) {
		gnutls_x509_privkey_deinit(t->key);
	}
	memset(t, 0, sizeof(*t));
}

/* Makes a certificate by spec, signed by issuer (NULL: self-signed). */
static int
mk(struct tcert *t, const struct spec *s, const struct tcert *issuer)
{
	unsigned char id[64], serial[4];
	size_t idlen = sizeof(id);
	int rc = 0;

	memset(t, 0, sizeof(*t));
	if (gnutls_x509_privkey_init(&t->key) < 0 ||
	    gnutls_x509_crt_init(&t->crt) < 0) {
		return -1;
	}
	if (s->key_of != NULL) {
		gnutls_datum_t der = {NULL, 0};

		rc |= gnutls_x509_privkey_export2(s->key_of->key,
		    GNUTLS_X509_FMT_DER, &der);
		rc |= gnutls_x509_privkey_import(t->key, &der,
		    GNUTLS_X509_FMT_DER);
		gnutls_free(der.data);
	} else {
		rc |= gnutls_x509_privkey_generate2(t->key, GNUTLS_PK_ECDSA,
		    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0, NULL,
		    0);
	}
	serial_next++;
	serial[0] = 0x01;
	serial[1] = (unsigned char)(serial_next >> 16);
	serial[2] = (unsigned char)(serial_next >> 8);
	serial[3] = (unsigned char)serial_next;
	rc |= gnutls_x509_crt_set_version(t->crt, 3);
	rc |= gnutls_x509_crt_set_serial(t->crt, serial, sizeof(serial));
	rc |= gnutls_x509_crt_set_activation_time(t->crt, NOW - YEAR);
	rc |= gnutls_x509_crt_set_expiration_time(t->crt, s->not_after != 0 ?
	    s->not_after : NOW + 10 * YEAR);
	rc |= gnutls_x509_crt_set_dn_by_oid(t->crt, GNUTLS_OID_X520_COMMON_NAME,
	    0, s->cn, (unsigned)strlen(s->cn));
	rc |= gnutls_x509_crt_set_key(t->crt, t->key);
	rc |= gnutls_x509_crt_set_basic_constraints(t->crt, s->ca,
	    s->pathlen);
	rc |= gnutls_x509_crt_set_key_usage(t->crt, s->ku != 0 ? s->ku :
	    s->ca ? GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN :
	    GNUTLS_KEY_DIGITAL_SIGNATURE);
	for (size_t i = 0; i < 6 && s->emails[i] != NULL; i++) {
		rc |= gnutls_x509_crt_set_dn_by_oid(t->crt,
		    GNUTLS_OID_PKCS9_EMAIL, 0, s->emails[i],
		    (unsigned)strlen(s->emails[i]));
	}
	if (s->xoid != NULL) {
		static const unsigned char null_der[] = {0x05, 0x00};

		rc |= gnutls_x509_crt_set_extension_by_oid(t->crt, s->xoid,
		    null_der, sizeof(null_der), s->xcrit);
	}
	if (s->exclude_email != NULL) {
		gnutls_x509_name_constraints_t enc;
		gnutls_datum_t ed;

		ed.data = (unsigned char *)(uintptr_t)s->exclude_email;
		ed.size = (unsigned)strlen(s->exclude_email);
		rc |= gnutls_x509_name_constraints_init(&enc);
		rc |= gnutls_x509_name_constraints_add_excluded(enc,
		    GNUTLS_SAN_RFC822NAME, &ed);
		rc |= gnutls_x509_crt_set_name_constraints(t->crt, enc, 1);
		gnutls_x509_name_constraints_deinit(enc);
	}
	if (!s->ca && (s->eku == NULL || s->eku[0] != '\0')) {
		rc |= gnutls_x509_crt_set_key_purpose_oid(t->crt,
		    s->eku != NULL ? s->eku : GNUTLS_KP_TLS_WWW_SERVER, 0);
	}
	for (size_t i = 0; i < 4 && s->sans[i] != NULL; i++) {
		unsigned char ip[16];

		if (strncmp(s->sans[i], "ip:", 3) == 0) {
			bool v4 = inet_pton(AF_INET, s->sans[i] + 3, ip) == 1;

			if (!v4 &&
			    inet_pton(AF_INET6, s->sans[i] + 3, ip) != 1) {
				return -1;
			}
			rc |= gnutls_x509_crt_set_subject_alt_name(t->crt,
			    GNUTLS_SAN_IPADDRESS, ip, v4 ? 4 : 16,
			    GNUTLS_FSAN_APPEND);
		} else {
			rc |= gnutls_x509_crt_set_subject_alt_name(t->crt,
			    GNUTLS_SAN_DNSNAME, s->sans[i] + 4,
			    (unsigned)strlen(s->sans[i] + 4),
			    GNUTLS_FSAN_APPEND);
		}
	}
	if (s->permit != NULL) {
		gnutls_x509_name_constraints_t nc;
		gnutls_datum_t d;

		d.data = (unsigned char *)(uintptr_t)s->permit;
		d.size = (unsigned)strlen(s->permit);
		rc |= gnutls_x509_name_constraints_init(&nc);
		rc |= gnutls_x509_name_constraints_add_permitted(nc,
		    GNUTLS_SAN_DNSNAME, &d);
		rc |= gnutls_x509_crt_set_name_constraints(t->crt, nc, 1);
		gnutls_x509_name_constraints_deinit(nc);
	}
	rc |= gnutls_x509_crt_get_key_id(t->crt, 0, id, &idlen);
	rc |= gnutls_x509_crt_set_subject_key_id(t->crt, id, idlen);
	if (issuer != NULL) {
		idlen = sizeof(id);
		rc |= gnutls_x509_crt_get_subject_key_id(issuer->crt, id,
		    &idlen, NULL);
		rc |= gnutls_x509_crt_set_authority_key_id(t->crt, id, idlen);
		rc |= gnutls_x509_crt_sign2(t->crt, issuer->crt, issuer->key,
		    GNUTLS_DIG_SHA256, 0);
	} else {
		rc |= gnutls_x509_crt_sign2(t->crt, t->crt, t->key,
		    GNUTLS_DIG_SHA256, 0);
	}
	return rc < 0 ? -1 : 0;
}

/* A copy for a trust list, which takes ownership of what it is given. */
static gnutls_x509_crt_t
dup_crt(gnutls_x509_crt_t c)
{
	gnutls_datum_t der = {NULL, 0};
	gnutls_x509_crt_t out = NULL;

	if (gnutls_x509_crt_export2(c, GNUTLS_X509_FMT_DER, &der) < 0 ||
	    gnutls_x509_crt_init(&out) < 0 ||
	    gnutls_x509_crt_import(out, &der, GNUTLS_X509_FMT_DER) < 0) {
		gnutls_free(der.data);
		return NULL;
	}
	gnutls_free(der.data);
	return out;
}

static gnutls_x509_trust_list_t
trust_of(const struct tcert *a, const struct tcert *b)
{
	gnutls_x509_trust_list_t tl;
	gnutls_x509_crt_t list[2];
	unsigned n = 0;

	if (gnutls_x509_trust_list_init(&tl, 0) < 0) {
		return NULL;
	}
	list[n++] = dup_crt(a->crt);
	if (b != NULL) {
		list[n++] = dup_crt(b->crt);
	}
	gnutls_x509_trust_list_add_cas(tl, list, n, 0);
	return tl;
}

/* Validates served[0..n-1] against tl; checks the verdict. */
static void
expect(const char *name, gnutls_x509_crt_t *served, size_t n,
    gnutls_x509_trust_list_t tl, const char *host, const char *code)
{
	struct tk_chainval_opts o = {0};
	struct tk_verdict v;
	struct tk_err e;

	TK_CASE(name);
	tk_err_clear(&e);
	o.hostname = host;
	o.at = NOW;
	EXPECT_EQ_INT(tk_chainval(served, n, tl, &o, &v, NULL, &e), 0);
	if (code == NULL) {
		EXPECT_EQ_INT(v.status, TK_VERIFY_OK);
		if (v.status != TK_VERIFY_OK) {
			show(name, &v);
		}
	} else {
		EXPECT_EQ_INT(v.status, TK_VERIFY_FAILED);
		EXPECT_TRUE(has_reason(&v, code));
		if (!has_reason(&v, code)) {
			show(name, &v);
		}
	}
	TK_CASE(NULL);
}

static const struct leaf_case {
	const char *name;
	struct spec leaf;
	const char *host;
	const char *code;      /* NULL: valid */
} leaf_cases[] = {
	{"exact name", {"www.example.com", .pathlen = -1,
	    .sans = {"dns:www.example.com"}}, "www.example.com", NULL},
	{"name case and trailing dot", {"www.example.com", .pathlen = -1,
	    .sans = {"dns:www.example.com"}}, "WWW.Example.COM.", NULL},
	{"no name asked", {"www.example.com", .pathlen = -1,
	    .sans = {"dns:www.example.com"}}, NULL, NULL},
	{"apex is another name", {"www.example.com", .pathlen = -1,
	    .sans = {"dns:www.example.com"}}, "example.com", "name-mismatch"},
	{"second SAN", {"a.example", .pathlen = -1,
	    .sans = {"dns:a.example", "dns:b.example"}}, "b.example", NULL},
	{"wildcard", {"*.example.com", .pathlen = -1,
	    .sans = {"dns:*.example.com"}}, "foo.example.com", NULL},
	{"wildcard, two labels", {"*.example.com", .pathlen = -1,
	    .sans = {"dns:*.example.com"}}, "a.b.example.com", "bad-wildcard"},
	{"wildcard, apex", {"*.example.com", .pathlen = -1,
	    .sans = {"dns:*.example.com"}}, "example.com", "name-mismatch"},
	{"wildcard over a TLD", {"*.com", .pathlen = -1,
	    .sans = {"dns:*.com"}}, "example.com", "bad-wildcard"},
	{"lone wildcard", {"x", .pathlen = -1, .sans = {"dns:*"}},
	    "example.com", "bad-wildcard"},
	{"partial-label wildcard", {"f*.example.com", .pathlen = -1,
	    .sans = {"dns:f*.example.com"}}, "foo.example.com",
	    "bad-wildcard"},
	{"wildcard never for IPs", {"*.0.2.1", .pathlen = -1,
	    .sans = {"dns:*.0.2.1"}}, "192.0.2.1", "name-mismatch"},
	{"IPv4 SAN", {"192.0.2.1", .pathlen = -1, .sans = {"ip:192.0.2.1"}},
	    "192.0.2.1", NULL},
	{"IPv6 SAN", {"2001:db8::1", .pathlen = -1,
	    .sans = {"ip:2001:db8::1"}}, "2001:db8::1", NULL},
	{"IPv6 SAN, bracketed name", {"2001:db8::1", .pathlen = -1,
	    .sans = {"ip:2001:db8::1"}}, "[2001:db8::1]", NULL},
	{"IP in a dNSName", {"192.0.2.1", .pathlen = -1,
	    .sans = {"dns:192.0.2.1"}}, "192.0.2.1", "bad-san"},
	{"IP SAN is no DNS name", {"192.0.2.1", .pathlen = -1,
	    .sans = {"ip:192.0.2.1"}}, "example.com", "name-mismatch"},
	{"underscore", {"a_b.example", .pathlen = -1,
	    .sans = {"dns:a_b.example"}}, "a_b.example", "bad-san"},
	{"CN only", {"example.com", .pathlen = -1}, "example.com", "no-san"},
	{"CN in another case", {"WWW.EXAMPLE.COM", .pathlen = -1,
	    .sans = {"dns:www.example.com"}}, "www.example.com", "bad-cn"},
	{"no EKU", {"a.example", .pathlen = -1, .sans = {"dns:a.example"},
	    .eku = EKU_NONE}, "a.example", "eku-missing"},
	{"anyEKU", {"a.example", .pathlen = -1, .sans = {"dns:a.example"},
	    .eku = EKU_ANY}, "a.example", "any-eku"},
	{"clientAuth only", {"a.example", .pathlen = -1,
	    .sans = {"dns:a.example"}, .eku = GNUTLS_KP_TLS_WWW_CLIENT},
	    "a.example", "purpose-mismatch"},
	{"CA as leaf", {"a.example", .ca = true, .pathlen = -1,
	    .sans = {"dns:a.example"}}, "a.example", "ca-as-leaf"},
	{"expired leaf", {"a.example", .pathlen = -1,
	    .sans = {"dns:a.example"}, .not_after = NOW - 1}, "a.example",
	    "expired"},
	{"valid to the second", {"a.example", .pathlen = -1,
	    .sans = {"dns:a.example"}, .not_after = NOW}, "a.example", NULL},
};

static void
test_leaves(const struct tcert *root, const struct tcert *inter)
{
	gnutls_x509_trust_list_t tl = trust_of(root, NULL);

	for (size_t k = 0; k < sizeof(leaf_cases) / sizeof(leaf_cases[0]);
	    k++) {
		const struct leaf_case *lc = &leaf_cases[k];
		struct tcert leaf;
		gnutls_x509_crt_t served[2];
		int rc = mk(&leaf, &lc->leaf, inter);

		TK_CASE(lc->name);
		EXPECT_EQ_INT(rc, 0);
		if (rc < 0) {
			tcert_free(&leaf);
			continue;
		}
		served[0] = leaf.crt;
		served[1] = inter->crt;
		expect(lc->name, served, 2, tl, lc->host, lc->code);
		tcert_free(&leaf);
	}
	gnutls_x509_trust_list_deinit(tl, 1);
}

/* Basic constraints, path length, name constraints, path building. */
static void
test_paths(const struct tcert *root, const struct tcert *inter)
{
	static const struct spec s_leaf = {"a.example.com", .pathlen = -1,
	    .sans = {"dns:a.example.com"}};
	static const struct spec s_evil = {"evil.test", .pathlen = -1,
	    .sans = {"dns:evil.test"}};
	static const struct spec s_notca = {"Not a CA", .pathlen = -1,
	    .eku = EKU_NONE};
	static const struct spec s_ca = {"Free CA", .ca = true, .pathlen = -1};
	static const struct spec s_nc = {"Constrained CA", .ca = true,
	    .pathlen = -1, .permit = "example.com"};
	struct tcert notca = {0}, l1 = {0}, sub = {0}, l2 = {0}, nc = {0};
	struct tcert l3 = {0}, l4 = {0}, old = {0}, stale = {0}, ca = {0};
	struct tcert x1 = {0}, x2 = {0}, l5 = {0};
	struct spec s_stale = {"Test Intermediate", .ca = true, .pathlen = 0,
	    .not_after = NOW - YEAR / 2, .key_of = inter};
	struct spec s_x1 = {"Loop One", .ca = true, .pathlen = -1};
	struct spec s_x2 = {"Loop Two", .ca = true, .pathlen = -1};
	gnutls_x509_trust_list_t tl = trust_of(root, NULL);
	gnutls_x509_trust_list_t tl_inter = trust_of(inter, NULL);
	gnutls_x509_crt_t s[4];
	int rc = 0;

	rc |= mk(&notca, &s_notca, root);
	rc |= mk(&l1, &s_leaf, &notca);
	rc |= mk(&sub, &s_ca, inter);          /* inter has pathLen 0 */
	rc |= mk(&l2, &s_leaf, &sub);
	rc |= mk(&nc, &s_nc, root);
	rc |= mk(&l3, &s_leaf, &nc);
	rc |= mk(&l4, &s_evil, &nc);
	rc |= mk(&ca, &s_ca, root);
	rc |= mk(&old, &s_leaf, inter);
	/* same subject and key as inter, but expired */
	rc |= mk(&stale, &s_stale, root);
	rc |= mk(&x1, &s_x1, NULL);
	rc |= mk(&x2, &s_x2, &x1);
	rc |= mk(&l5, &s_leaf, &x2);
	EXPECT_EQ_INT(rc, 0);
	if (rc != 0) {
		goto out;
	}

	s[0] = l1.crt;
	s[1] = notca.crt;
	expect("issuer is not a CA", s, 2, tl, "a.example.com",
	    "issuer-not-ca");

	s[0] = l2.crt;
	s[1] = sub.crt;
	s[2] = inter->crt;
	expect("pathLen 0 exceeded", s, 3, tl, "a.example.com",
	    "path-length");

	s[0] = l3.crt;
	s[1] = nc.crt;
	expect("name constraints met", s, 2, tl, "a.example.com", NULL);
	s[0] = l4.crt;
	expect("name constraints broken", s, 2, tl, "evil.test",
	    "name-constraints");

	s[0] = old.crt;
	s[1] = stale.crt;
	s[2] = inter->crt;
	expect("expired intermediate first, then a good one", s, 3, tl,
	    "a.example.com", NULL);
	expect("only the expired intermediate", s, 2, tl, "a.example.com",
	    "expired");

	s[1] = ca.crt;
	s[2] = root->crt;
	s[3] = inter->crt;
	expect("the root sent and trusted, intermediate last", s, 4, tl,
	    "a.example.com", NULL);
	expect("an intermediate as the anchor", s, 1, tl_inter,
	    "a.example.com", NULL);

	/* x1 self-signed, untrusted; x2 issued by it */
	s[0] = l5.crt;
	s[1] = x2.crt;
	s[2] = x1.crt;
	expect("untrusted root sent", s, 3, tl, "a.example.com",
	    "unknown-issuer");
out:
	tcert_free(&notca);
	tcert_free(&l1);
	tcert_free(&sub);
	tcert_free(&l2);
	tcert_free(&nc);
	tcert_free(&l3);
	tcert_free(&l4);
	tcert_free(&ca);
	tcert_free(&old);
	tcert_free(&stale);
	tcert_free(&x1);
	tcert_free(&x2);
	tcert_free(&l5);
	gnutls_x509_trust_list_deinit(tl, 1);
	gnutls_x509_trust_list_deinit(tl_inter, 1);
}

/* Validates with a profile and --ignore list; returns the verdict. */
static void
judge_with(gnutls_x509_crt_t *served, size_t n, gnutls_x509_trust_list_t tl,
    const char *host, enum tk_profile profile, const char *ignore,
    struct tk_verdict *v)
{
	struct tk_chainval_opts o = {0};
	struct tk_judging j = {.profile = profile};
	struct tk_err e;

	tk_err_clear(&e);
	if (ignore != NULL) {
		EXPECT_EQ_INT(tk_judging_ignore(&j, ignore, &e), 0);
	}
	o.hostname = host;
	o.at = NOW;
	o.judging = &j;
	EXPECT_EQ_INT(tk_chainval(served, n, tl, &o, v, NULL, &e), 0);
}

static bool
has_sev(const struct tk_verdict *v, const char *code,
    enum tk_severity sev)
{
	for (size_t i = 0; i < v->n; i++) {
		if (strcmp(v->reasons[i].code, code) == 0 &&
		    v->reasons[i].sev == sev) {
			return true;
		}
	}
	return false;
}

/*
 * Profiles (web, rfc5280, auto by anchor origin), a pinned self-signed
 * leaf, --ignore, the depth bound's own reason, the leaf's keyUsage.
 */
static void
test_profiles(const struct tcert *root)
{
	static const struct spec s_self = {"self.example", .pathlen = -1,
	    .sans = {"dns:self.example"}, .eku = EKU_NONE};
	static const struct spec s_noeku = {"a.example.com", .pathlen = -1,
	    .sans = {"dns:a.example.com"}, .eku = EKU_NONE};
	struct spec s_ca = {"Chain CA", .ca = true, .pathlen = -1};
	char cn[13][32];
	static const struct spec s_leaf = {"a.example.com", .pathlen = -1,
	    .sans = {"dns:a.example.com"}};
	struct tcert self = {0}, noeku = {0}, cas[13], deep = {0};
	gnutls_x509_trust_list_t tl_self, tl = trust_of(root, NULL);
	gnutls_x509_crt_t s[14];
	struct tk_verdict v;
	int rc = 0;

	memset(cas, 0, sizeof(cas));
	rc |= mk(&self, &s_self, NULL);
	rc |= mk(&noeku, &s_noeku, root);
	for (size_t i = 0; i < 13 && rc == 0; i++) {
		snprintf(cn[i], sizeof(cn[i]), "Chain CA %zu", i);
		s_ca.cn = cn[i];
		rc |= mk(&cas[i], &s_ca, i == 0 ? root : &cas[i - 1]);
	}
	rc |= mk(&deep, &s_leaf, &cas[12]);
	EXPECT_EQ_INT(rc, 0);
	if (rc != 0) {
		goto out;
	}
	tl_self = trust_of(&self, NULL);

	TK_CASE("pinned self-signed leaf without EKU: web fails, rfc5280 "
	    "passes");
	s[0] = self.crt;
	judge_with(s, 1, tl_self, "self.example", TK_PROFILE_WEB, NULL, &v);
	EXPECT_EQ_INT(v.status, TK_VERIFY_FAILED);
	EXPECT_TRUE(has_sev(&v, "eku-missing", TK_SEV_FAIL));
	EXPECT_EQ_INT(v.profile, TK_PROFILE_WEB);
	judge_with(s, 1, tl_self, "self.example", TK_PROFILE_RFC5280, NULL,
	    &v);
	EXPECT_EQ_INT(v.status, TK_VERIFY_OK);
	EXPECT_TRUE(has_sev(&v, "eku-missing", TK_SEV_INFO));
	EXPECT_TRUE(has_sev(&v, "pinned-leaf", TK_SEV_INFO));
	EXPECT_EQ_INT(v.status, TK_VERIFY_OK);
	TK_CASE("auto without an origin callback: the user's own anchor");
	judge_with(s, 1, tl_self, "self.example", TK_PROFILE_AUTO, NULL, &v);
	EXPECT_EQ_INT(v.profile, TK_PROFILE_RFC5280);
	EXPECT_EQ_INT(v.status, TK_VERIFY_OK);
	TK_CASE("a pinned leaf is still checked for its name");
	judge_with(s, 1, tl_self, "other.example", TK_PROFILE_RFC5280, NULL,
	    &v);
	EXPECT_TRUE(has_sev(&v, "name-mismatch", TK_SEV_FAIL));

	TK_CASE("--ignore demotes; other codes still fail");
	s[0] = noeku.crt;
	judge_with(s, 1, tl, "a.example.com", TK_PROFILE_WEB, NULL, &v);
	EXPECT_TRUE(has_sev(&v, "eku-missing", TK_SEV_FAIL));
	judge_with(s, 1, tl, "a.example.com", TK_PROFILE_WEB, "eku-missing",
	    &v);
	EXPECT_EQ_INT(v.status, TK_VERIFY_OK);
	EXPECT_TRUE(has_sev(&v, "eku-missing", TK_SEV_INFO));
	EXPECT_EQ_INT(v.reasons[0].demoted, TK_DEMOTED_IGNORE);
	judge_with(s, 1, tl, "b.example.com", TK_PROFILE_WEB, "eku-missing",
	    &v);
	EXPECT_TRUE(has_sev(&v, "name-mismatch", TK_SEV_FAIL));

	TK_CASE("a path past the depth bound is path-limit");
	s[0] = deep.crt;
	for (size_t i = 0; i < 13; i++) {
		s[1 + i] = cas[12 - i].crt;
	}
	judge_with(s, 14, tl, "a.example.com", TK_PROFILE_WEB, NULL, &v);
	EXPECT_EQ_INT(v.status, TK_VERIFY_FAILED);
	EXPECT_EQ_STR(v.reasons[0].code, "path-limit");
	TK_CASE("twelve certificates deep is fine");
	s[0] = cas[10].crt;    /* a CA as leaf: judged, but reached */
	for (size_t i = 0; i < 10; i++) {
		s[1 + i] = cas[9 - i].crt;
	}
	judge_with(s, 11, tl, NULL, TK_PROFILE_RFC5280, NULL, &v);
	EXPECT_TRUE(!has_sev(&v, "path-limit", TK_SEV_FAIL));
	EXPECT_TRUE(!has_sev(&v, "unknown-issuer", TK_SEV_FAIL));
	gnutls_x509_trust_list_deinit(tl_self, 1);
out:
	tcert_free(&self);
	tcert_free(&noeku);
	tcert_free(&deep);
	for (size_t i = 0; i < 13; i++) {
		tcert_free(&cas[i]);
	}
	gnutls_x509_trust_list_deinit(tl, 1);
	TK_CASE(NULL);
}

/*
 * The false accepts closed in issue 12, one by one: critical extensions
 * tlskit does not process, extensions RFC 5280 says must not be critical,
 * the leaf's keyUsage for TLS, every emailAddress under an excluded
 * rfc822Name constraint.
 */
static void
test_false_accepts(const struct tcert *root)
{
	static const struct spec base = {"a.example.com", .pathlen = -1,
	    .sans = {"dns:a.example.com"}};
	static const struct {
		const char *name;
		const char *xoid;
		bool xcrit;
		unsigned ku;
		const char *code;    /* NULL: valid */
	} cases[] = {
		{"critical SCT list", "1.3.6.1.4.1.11129.2.4.2", true, 0,
		    "unknown-critical-extension"},
		{"non-critical SCT list", "1.3.6.1.4.1.11129.2.4.2", false, 0,
		    NULL},
		{"critical unknown extension", "1.2.3.4.5", true, 0,
		    "unknown-critical-extension"},
		{"critical CRL distribution points", "2.5.29.31", true, 0,
		    "unknown-critical-extension"},
		{"critical subjectDirectoryAttributes", "2.5.29.9", true, 0,
		    "bad-criticality"},
		{"critical freshestCRL", "2.5.29.46", true, 0,
		    "bad-criticality"},
		{"keyUsage cRLSign only", NULL, false, GNUTLS_KEY_CRL_SIGN,
		    "bad-key-usage"},
		{"keyUsage dataEncipherment only", NULL, false,
		    GNUTLS_KEY_DATA_ENCIPHERMENT, "bad-key-usage"},
		{"keyUsage keyAgreement only, ECDSA key", NULL, false,
		    GNUTLS_KEY_KEY_AGREEMENT, "bad-key-usage"},
		{"keyUsage keyEncipherment only, ECDSA key", NULL, false,
		    GNUTLS_KEY_KEY_ENCIPHERMENT, "bad-key-usage"},
		{"keyUsage digitalSignature", NULL, false,
		    GNUTLS_KEY_DIGITAL_SIGNATURE, NULL},
	};
	static const struct spec s_nca = {"Mail-constrained CA", .ca = true,
	    .pathlen = -1, .exclude_email = "evil.example"};
	gnutls_x509_trust_list_t tl = trust_of(root, NULL);
	struct tcert nca = {0}, m1 = {0}, m2 = {0};
	struct spec s_m1 = base, s_m2 = base;
	char longmail[320];
	gnutls_x509_crt_t s[2];
	int rc;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct spec sp = base;
		struct tcert leaf = {0};

		sp.xoid = cases[i].xoid;
		sp.xcrit = cases[i].xcrit;
		sp.ku = cases[i].ku;
		if (mk(&leaf, &sp, root) < 0) {
			EXPECT_TRUE(false);
			tcert_free(&leaf);
			continue;
		}
		s[0] = leaf.crt;
		expect(cases[i].name, s, 1, tl, "a.example.com",
		    cases[i].code);
		tcert_free(&leaf);
	}
	/* the fifth emailAddress, and one 300 characters long */
	memset(longmail, 'x', 290);
	snprintf(longmail + 290, sizeof(longmail) - 290, "@evil.example");
	s_m1.emails[0] = "a@good.example";
	s_m1.emails[1] = "b@good.example";
	s_m1.emails[2] = "c@good.example";
	s_m1.emails[3] = "d@good.example";
	s_m1.emails[4] = "e@evil.example";
	s_m2.emails[0] = longmail;
	rc = mk(&nca, &s_nca, root);
	rc |= mk(&m1, &s_m1, &nca);
	rc |= mk(&m2, &s_m2, &nca);
	EXPECT_EQ_INT(rc, 0);
	if (rc == 0) {
		s[1] = nca.crt;
		s[0] = m1.crt;
		expect("fifth emailAddress excluded", s, 2, tl,
		    "a.example.com", "name-constraints");
		s[0] = m2.crt;
		expect("a 300-character emailAddress excluded", s, 2, tl,
		    "a.example.com", "name-constraints");
	}
	tcert_free(&nca);
	tcert_free(&m1);
	tcert_free(&m2);
	gnutls_x509_trust_list_deinit(tl, 1);
}

static void
test_generated(void)
{
	static const struct spec s_root = {"Test Root", .ca = true,
	    .pathlen = -1};
	static const struct spec s_inter = {"Test Intermediate", .ca = true,
	    .pathlen = 0};
	struct tcert root = {0}, inter = {0};
	int rc = mk(&root, &s_root, NULL);

	if (rc == 0) {
		rc = mk(&inter, &s_inter, &root);
	}
	EXPECT_EQ_INT(rc, 0);
	if (rc < 0) {
		tcert_free(&root);
		tcert_free(&inter);
		return;
	}
	test_leaves(&root, &inter);
	test_paths(&root, &inter);
	test_profiles(&root);
	test_false_accepts(&root);
	tcert_free(&root);
	tcert_free(&inter);
}

static void
run(void)
{
	int rc = gnutls_global_init();

	EXPECT_EQ_INT(rc, 0);
	if (rc < 0) {
		return;
	}
	test_files();
	test_order();
	test_generated();
	gnutls_global_deinit();
}

TK_TEST_MAIN("test_chainval", run)
