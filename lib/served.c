/* The chain a server served and its judgement; see served.h. */
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "served.h"

#include "banned.h"

void
tk_served_clear(struct tk_served *s)
{
	for (size_t i = 0; i < s->n; i++) {
		gnutls_free(s->der[i].data);
	}
	free(s->der);
	s->der = NULL;
	s->n = 0;
}

static int
keep(struct tk_served *s, const gnutls_datum_t *list, size_t n)
{
	s->der = calloc(n ? n : 1, sizeof(*s->der));
	if (s->der == NULL) {
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		s->der[i].data = gnutls_malloc(list[i].size);
		if (s->der[i].data == NULL) {
			return -1;
		}
		memcpy(s->der[i].data, list[i].data, list[i].size);
		s->der[i].size = list[i].size;
		s->n = i + 1;
	}
	return 0;
}

/* The certificates in the order the server sent them. */
static int
import(const struct tk_served *s, gnutls_x509_crt_t **out, unsigned *n,
    struct tk_err *err)
{
	gnutls_x509_crt_t *crts = calloc(s->n ? s->n : 1, sizeof(*crts));

	*out = crts;
	*n = 0;
	if (crts == NULL) {
		return tk_err_set(err, TK_INTERNAL, "verify",
		    "out of memory");
	}
	for (size_t i = 0; i < s->n; i++) {
		if (gnutls_x509_crt_init(&crts[i]) < 0) {
			return tk_err_set(err, TK_INTERNAL, "verify",
			    "out of memory");
		}
		(*n)++;
		if (gnutls_x509_crt_import(crts[i], &s->der[i],
		    GNUTLS_X509_FMT_DER) < 0) {
			return tk_err_set(err, TK_CHECK, "verify",
			    "certificate #%zu sent by the server cannot be "
			    "parsed", i);
		}
	}
	return 0;
}

void
tk_served_check(const struct tk_certcheck_opts *opts,
    gnutls_x509_trust_list_t trust, gnutls_x509_crt_t *crts, size_t n,
    gnutls_session_t session, struct tk_result *r)
{
	struct tk_certcheck_opts co = *opts;
	const struct tk_finding *mf;
	struct tk_err e;

	tk_err_clear(&e);
	co.hostname = r->hostname[0] ? r->hostname : NULL;
	tk_chain_clear(&r->chain);
	if (tk_certcheck(crts, n, trust, &co, session, &r->chain,
	    &r->verdict, &r->findings, &r->ocsp, &e) < 0) {
		r->err = e;
		r->cls = e.cls;
		return;
	}
	r->checked = true;
	if (co.hostname == NULL) {
		tk_findings_add(&r->findings, "name-not-checked", TK_SEV_INFO,
		    "no --hostname: the certificate was not checked against "
		    "any name");
	}
	tk_result_starttls_findings(r);
	r->cls = tk_findings_class(&r->findings);
	mf = tk_result_main_finding(r);
	if (mf != NULL && r->cls == TK_CHECK) {
		tk_err_set(&r->err, TK_CHECK, tk_result_finding_step(mf),
		    "%s: %s",
		    mf->code, mf->message);
	}
}

void
tk_served_from_conn(struct tk_served *s, struct tk_conn *conn,
    const struct tk_certcheck_opts *co, gnutls_x509_trust_list_t trust,
    struct tk_result *r)
{
	gnutls_session_t session = tk_tls_session(tk_conn_tls(conn));
	const gnutls_datum_t *peers;
	gnutls_x509_crt_t *crts = NULL;
	unsigned n = 0;

	peers = gnutls_certificate_get_peers(session, &n);
	if (peers == NULL || n == 0) {
		tk_err_set(&r->err, TK_TLS, "handshake",
		    "the server sent no certificate");
	} else if (keep(s, peers, n) < 0) {
		tk_err_set(&r->err, TK_INTERNAL, "verify", "out of memory");
	} else if (import(s, &crts, &n, &r->err) == 0) {
		tk_served_check(co, trust, crts, n, session, r);
	}
	if (tk_err_is_set(&r->err) && !r->checked) {
		r->cls = r->err.cls;
	}
	for (unsigned i = 0; i < n && crts != NULL; i++) {
		gnutls_x509_crt_deinit(crts[i]);
	}
	free(crts);
}

/*
 * GnuTLS codes that mean the certificate's DER itself is bad, as opposed
 * to a file that is not a certificate file at all (broken base64, no
 * certificate in it: exit 2).
 */
static bool
malformed_cert(int rc)
{
	return rc < 0 && rc != GNUTLS_E_BASE64_DECODING_ERROR &&
	    rc != GNUTLS_E_BASE64_UNEXPECTED_HEADER_ERROR &&
	    rc != GNUTLS_E_MEMORY_ERROR && rc != GNUTLS_E_FILE_ERROR;
}

int
tk_served_from_file(struct tk_served *s, const char *path,
    const struct tk_certcheck_opts *co, gnutls_x509_trust_list_t trust,
    struct tk_result *r, struct tk_err *err)
{
	gnutls_datum_t data = {NULL, 0};
	gnutls_x509_crt_t *crts = NULL;
	unsigned n = 0;

	if (tk_creds_read_file(path, "chain file", &data, err) < 0) {
		return -1;
	}
	if (tk_creds_load_certs(&data, "chain file", path, &crts, &n,
	    err) < 0) {
		gnutls_free(data.data);
		if (!malformed_cert(err->gnutls_rc)) {
			return -1;
		}
		/* the file holds a certificate, a broken one: that is the
		 * finding the user asked for, not a usage error */
		tk_findings_add(&r->findings, "malformed-certificate",
		    TK_SEV_FAIL, "%s", err->msg);
		tk_err_set(&r->err, TK_CHECK, "verify",
		    "malformed-certificate: %s", err->msg);
		tk_err_clear(err);
		r->checked = true;
		r->cls = TK_CHECK;
		return 0;
	}
	gnutls_free(data.data);
	s->der = calloc(n ? n : 1, sizeof(*s->der));
	for (unsigned i = 0; s->der != NULL && i < n; i++) {
		if (gnutls_x509_crt_export2(crts[i], GNUTLS_X509_FMT_DER,
		    &s->der[i]) == 0) {
			s->n = i + 1;
		}
	}
	tk_served_check(co, trust, crts, n, NULL, r);
	for (unsigned i = 0; i < n; i++) {
		gnutls_x509_crt_deinit(crts[i]);
	}
	gnutls_free(crts);
	return 0;
}

void
tk_served_pem(const struct tk_served *s, FILE *out)
{
	for (size_t i = 0; i < s->n; i++) {
		gnutls_datum_t pem = {NULL, 0};

		if (gnutls_pem_base64_encode2("CERTIFICATE", &s->der[i],
		    &pem) == 0) {
			fwrite(pem.data, 1, pem.size, out);
			gnutls_free(pem.data);
		}
	}
}

int
tk_served_save(const struct tk_served *s, const char *path,
    struct tk_err *err)
{
	char tmp[4096];
	FILE *f;
	bool ok = true;

	/* written beside the target and renamed: never half a file */
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path,
	    (long)getpid()) >= sizeof(tmp)) {
		return tk_err_set(err, TK_USAGE, "save", "path too long");
	}
	f = fopen(tmp, "w");
	if (f == NULL) {
		return tk_err_sys(err, TK_USAGE, "save",
		    "cannot write '%s'", path);
	}
	for (size_t i = 0; i < s->n; i++) {
		gnutls_datum_t pem = {NULL, 0};

		if (gnutls_pem_base64_encode2("CERTIFICATE", &s->der[i],
		    &pem) < 0) {
			ok = false;
			break;
		}
		ok = fwrite(pem.data, 1, pem.size, f) == pem.size && ok;
		gnutls_free(pem.data);
	}
	if (fclose(f) != 0 || !ok || rename(tmp, path) < 0) {
		unlink(tmp);
		return tk_err_sys(err, TK_USAGE, "save",
		    "cannot write '%s'", path);
	}
	return 0;
}
