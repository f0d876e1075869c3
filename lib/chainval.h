/*
 * Certificate path validation, the one verification engine of every tool:
 * RFC 5280 path processing (policies included) and RFC 6125 names, with
 * the CA/Browser Forum Baseline Requirements on top under the web profile,
 * built on GnuTLS for parsing and signatures, and GnuTLS asked to verify
 * the accepted path again (docs/verification.md).  Every check is a named
 * reason (lib/codes.c); when the first path fails, alternative paths
 * through the served intermediates and the trust store are tried.
 */
#ifndef TK_CHAINVAL_H
#define TK_CHAINVAL_H

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <time.h>

#include "certinfo.h"
#include "codes.h"
#include "err.h"
#include "verify.h"

struct tk_chainval_opts {
	/* DNS name (A-label, lower case) or IP literal; NULL: no name check */
	const char *hostname;
	time_t at;               /* validation time */
	/* NULL: serverAuth (GNUTLS_KP_TLS_WWW_SERVER) */
	const char *purpose_oid;
	unsigned min_rsa_bits;   /* 0: 2048 */
	/* profile (AUTO: per path, by anchor_private) and --ignore */
	const struct tk_judging *judging;  /* NULL: web, nothing ignored */
	/*
	 * AUTO: did this anchor (DER) come from the user's own trust rather
	 * than the system store?  NULL: every anchor counts as the user's.
	 */
	bool (*anchor_private)(const gnutls_datum_t *der, void *arg);
	void *anchor_arg;
	/* skip the GnuTLS second opinion (tests of the engine alone) */
	bool no_cross_check;
};

/*
 * Validates served[0] (the leaf) using served[1..n-1] as untrusted
 * intermediates in any order and `trust` as anchors.  Fills v (status, the
 * profile in force, named reasons with their severity, most important
 * first; the path is valid when no reason is FAIL) and, when path != NULL,
 * the path
 * that was chosen (leaf to anchor, tk_chain_clear() to free; the best
 * failing path when none validates).  Returns 0, or -1 with err only for
 * internal failures (a bad chain is a verdict, not an error).
 *
 * served and trust are only read; trust may be NULL (no anchors).  The
 * host name is matched against the leaf's subjectAltName (RFC 6125); its CN
 * only under the rfc5280 profile and only when the leaf has no
 * subjectAltName at all.  All work is bounded (depth, paths tried,
 * signatures checked, one budget of name comparisons), so hostile chains
 * cost little.
 */
int tk_chainval(gnutls_x509_crt_t *served, size_t n,
    gnutls_x509_trust_list_t trust, const struct tk_chainval_opts *o,
    struct tk_verdict *v, struct tk_chain *path, struct tk_err *err);

#endif
