/*
 * Everything a client tool says about a served chain, the same in every
 * tool: the path validation verdict (chainval), the chain as served (order,
 * missing intermediates, roots and strays), expiry thresholds, key and
 * signature strength, and the stapled OCSP response.  Each finding has a
 * stable code and severity (lib/codes.c), judged under the profile in
 * force and --ignore.
 */
#ifndef TK_CERTCHECK_H
#define TK_CERTCHECK_H

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdbool.h>
#include <time.h>

#include "certinfo.h"
#include "err.h"
#include "verify.h"

struct tk_certcheck_opts {
	const char *hostname;    /* A-label or IP literal; NULL: no check */
	time_t at;               /* the time to check against */
	unsigned warn_days;      /* 0: off */
	unsigned crit_days;      /* 0: off */
	unsigned min_key_bits;   /* RSA/DSA; 0: 2048 */
	bool require_staple;
	const char *purpose_oid; /* NULL: serverAuth; clientAuth for clients */
	struct tk_judging judging;  /* --profile (AUTO default), --ignore */
	/* AUTO: is this anchor the user's own (tk_creds_anchor_private)? */
	bool (*anchor_private)(const gnutls_datum_t *der, void *arg);
	void *anchor_arg;
};

struct tk_ocsp_info {
	bool checked;            /* a live session was looked at */
	bool stapled;
	char status[16];         /* "good", "revoked", "unknown", "" */
	time_t this_update, next_update, revoked_at;
	bool signature_ok;
	bool must_staple;        /* the leaf carries the TLS feature */
};

/*
 * served[0] is the leaf; the rest in the order received.  session may be
 * NULL (a local file): then OCSP is not looked at.  Fills served_info,
 * v (the path verdict), findings and ocsp.  Returns 0, or -1 with err for
 * internal failures only.
 */
int tk_certcheck(gnutls_x509_crt_t *served, size_t n,
    gnutls_x509_trust_list_t trust, const struct tk_certcheck_opts *o,
    gnutls_session_t session, struct tk_chain *served_info,
    struct tk_verdict *v, struct tk_findings *f, struct tk_ocsp_info *ocsp,
    struct tk_err *err);

/*
 * tk_certcheck() on the chain the server of a live session sent.  Returns
 * 0, or -1 with err: TLS when the server sent no certificate, CHECK when
 * one cannot be parsed, INTERNAL when out of memory.
 */
int tk_certcheck_session(gnutls_session_t session,
    gnutls_x509_trust_list_t trust, const struct tk_certcheck_opts *o,
    struct tk_chain *served_info, struct tk_verdict *v,
    struct tk_findings *f, struct tk_ocsp_info *ocsp, struct tk_err *err);

/*
 * Parses an ISO 8601 time ("2030-01-02", "2030-01-02T03:04:05Z",
 * "2030-01-02 03:04:05", with Z or +hh:mm) or "@EPOCH".  Returns 0 or -1
 * with err (USAGE).
 */
int tk_certcheck_parse_time(const char *s, time_t *out, struct tk_err *err);

#endif
