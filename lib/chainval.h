/*
 * Certificate path validation for tls-check-cert: RFC 5280 path
 * processing with the CA/Browser Forum Baseline Requirements profile on
 * top, built on GnuTLS for parsing and signatures.  Every failed check is
 * a named reason (chainval.c lists the codes); when the first path fails,
 * alternative paths through the served intermediates and the trust store
 * are tried.
 */
#ifndef TK_CHAINVAL_H
#define TK_CHAINVAL_H

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <time.h>

#include "certinfo.h"
#include "err.h"
#include "verify.h"

struct tk_chainval_opts {
	/* DNS name (A-label, lower case) or IP literal; NULL: no name check */
	const char *hostname;
	time_t at;               /* validation time */
	/* NULL: serverAuth (GNUTLS_KP_TLS_WWW_SERVER) */
	const char *purpose_oid;
	unsigned min_rsa_bits;   /* 0: 2048 */
};

/*
 * Validates served[0] (the leaf) using served[1..n-1] as untrusted
 * intermediates in any order and `trust` as anchors.  Fills v (status and
 * named reasons, most important first) and, when path != NULL, the path
 * that was chosen (leaf to anchor, tk_chain_clear() to free; the best
 * failing path when none validates).  Returns 0, or -1 with err only for
 * internal failures (a bad chain is a verdict, not an error).
 *
 * served and trust are only read; trust may be NULL (no anchors).  The
 * host name is matched against the leaf's subjectAltName only (RFC 6125),
 * never against its CN.  Path building is bounded (depth, paths tried,
 * signatures checked), so hostile chains cost little.
 */
int tk_chainval(gnutls_x509_crt_t *served, size_t n,
    gnutls_x509_trust_list_t trust, const struct tk_chainval_opts *o,
    struct tk_verdict *v, struct tk_chain *path, struct tk_err *err);

#endif
