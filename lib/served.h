/*
 * The chain a server served (or a local file holds), kept as DER in the
 * order it came, and how tls-check-cert judges it: tk_certcheck into a
 * struct tk_result, with the main finding as the error.  Also its PEM
 * output (--pem) and its saving (--save-chain).
 */
#ifndef TK_SERVED_H
#define TK_SERVED_H

#include <stdio.h>

#include "conn.h"
#include "result.h"

struct tk_served {
	gnutls_datum_t *der;    /* owned, gnutls_malloc'd data */
	size_t n;
};

/* Frees the certificates; s is empty after. */
void tk_served_clear(struct tk_served *s);

/*
 * Judges the chain crts[0..n) for r->hostname (none when "") with co and
 * trust (borrowed) into r: chain, verdict, findings, OCSP, the STARTTLS
 * findings, the class and, for a failure, the main finding as r->err.
 * session may be NULL (a file).
 */
void tk_served_check(const struct tk_certcheck_opts *co,
    gnutls_x509_trust_list_t trust, gnutls_x509_crt_t *crts, size_t n,
    gnutls_session_t session, struct tk_result *r);

/*
 * After a handshake (conn ready): keeps the peer's chain in s and judges
 * it into r (tk_served_check).  A server that sent none fails with TLS, a
 * certificate that does not parse with CHECK; r->cls says so.
 */
void tk_served_from_conn(struct tk_served *s, struct tk_conn *conn,
    const struct tk_certcheck_opts *co, gnutls_x509_trust_list_t trust,
    struct tk_result *r);

/*
 * --file: reads the chain file at path into s and judges it into r.  A
 * file holding a certificate whose DER is broken is the finding
 * malformed-certificate (r->cls CHECK), not an error.  -1 with err
 * (USAGE) when the file cannot be read or holds no certificate.
 */
int tk_served_from_file(struct tk_served *s, const char *path,
    const struct tk_certcheck_opts *co, gnutls_x509_trust_list_t trust,
    struct tk_result *r, struct tk_err *err);

/* --pem: each certificate as PEM on out. */
void tk_served_pem(const struct tk_served *s, FILE *out);

/*
 * --save-chain: the chain as PEM into path, written beside it and renamed
 * (never half a file).  0 or -1 with err (USAGE).
 */
int tk_served_save(const struct tk_served *s, const char *path,
    struct tk_err *err);

#endif
