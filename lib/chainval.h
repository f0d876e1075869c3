/*
 * Certificate path validation for tls-check-cert: GnuTLS's verification
 * plus the checks it lacks, each reported as a named reason.
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
	const char *hostname;    /* DNS name (A-label) or IP literal; NULL: no name check */
	time_t at;               /* validation time */
	const char *purpose_oid; /* NULL: serverAuth */
	unsigned min_rsa_bits;   /* 0: 2048 */
};

/*
 * Validates served[0] (the leaf) using served[1..n-1] as untrusted
 * intermediates in any order and trust as anchors.  Fills v and, when
 * path != NULL, the path chosen.  Returns 0, or -1 with err for internal
 * failures only (a bad chain is a verdict, not an error).
 */
int tk_chainval(gnutls_x509_crt_t *served, size_t n,
    gnutls_x509_trust_list_t trust, const struct tk_chainval_opts *o,
    struct tk_verdict *v, struct tk_chain *path, struct tk_err *err);

#endif
