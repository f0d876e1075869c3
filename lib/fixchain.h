/*
 * tls-check-cert --fix-chain: the chain a server should send, built from
 * what it sent, from --intermediates, from the trust store and from the
 * certificates' AIA caIssuers URLs, with one note per change saying why.
 *
 * The builder is pure: it never does I/O.  When it needs a URL fetched it
 * says so (TK_FIX_NEED_FETCH); the caller fetches on its loop (http.h)
 * and calls it again with what the URL gave, or why it gave nothing.
 */
#ifndef TK_FIXCHAIN_H
#define TK_FIXCHAIN_H

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"

#define TK_FIX_NOTES_MAX 24
#define TK_FIX_DEPTH_MAX 8        /* certificates in a fixed chain */

/*
 * The result: the certificates in order as PEM (no root), and one note
 * per change.  complete is false when an issuer could not be found, or
 * when the leaf could not be told (then ncerts is 0, pem is "", changed
 * is false and an "incomplete" note says why): a chain is never given
 * without its leaf.
 */
struct tk_fixed_chain {
	char *pem;              /* owned; "" when empty */
	size_t ncerts;
	bool complete;
	bool changed;           /* differs from what was served */
	struct tk_fix_note {
		/* "reordered", "dropped-root", "dropped-duplicate",
		 * "dropped-unrelated", "added", "incomplete", "none" */
		const char *action;
		char message[384];  /* quotes peer data: escape on output */
	} notes[TK_FIX_NOTES_MAX];
	size_t nnotes;
};

enum tk_fix_src { TK_FIX_SERVED, TK_FIX_FILE, TK_FIX_TRUST, TK_FIX_AIA };

/* A candidate issuer that was not served. */
struct tk_fix_extra {
	gnutls_x509_crt_t crt;   /* borrowed */
	enum tk_fix_src src;     /* TK_FIX_FILE or TK_FIX_AIA */
	const char *origin;      /* the file name or the URL; borrowed */
};

/* An AIA URL fetched already, and why it gave nothing ("" if it did). */
struct tk_fix_tried {
	const char *url;
	const char *error;
};

struct tk_fix_input {
	/*
	 * As sent, or as read from a chain file; borrowed.  [0] is taken
	 * as the leaf when it issues none of the others and is not a CA
	 * (or no non-CA certificate issues none of them either); otherwise
	 * the leaf is the one certificate that issues none of the others,
	 * a non-CA one preferred, and the chain is reordered from it.
	 */
	gnutls_x509_crt_t *served;
	size_t nserved;
	const struct tk_fix_extra *extra;
	size_t nextra;
	gnutls_x509_trust_list_t trust;  /* may be NULL */
	const struct tk_fix_tried *tried;
	size_t ntried;
	bool no_fetch;                /* never ask for a URL */
};

#define TK_FIX_NEED_FETCH 1

/*
 * Builds the chain.  Returns 0 with *out set (free with
 * tk_fixchain_free), TK_FIX_NEED_FETCH with url filled (an AIA
 * caIssuers URL not in in->tried), or -1 with err (INTERNAL only).
 */
int tk_fixchain_build(const struct tk_fix_input *in,
    struct tk_fixed_chain **out, char *url, size_t urllen,
    struct tk_err *err);
void tk_fixchain_free(struct tk_fixed_chain *f);

/*
 * The certificates of an AIA caIssuers response body (RFC 5280 4.2.2.1):
 * one DER certificate, a certs-only PKCS#7/CMS message (DER or PEM) or
 * PEM certificates.  At most 8.  Returns 0 with *list (deinit each, then
 * gnutls_free) and *n, or -1 with err (CHECK, step "fetch").
 */
int tk_fixchain_parse_aia(const unsigned char *body, size_t len,
    gnutls_x509_crt_t **list, unsigned *n, struct tk_err *err);

#endif
