/*
 * Credentials: own certificate and key, trust anchors, DH parameters,
 * loaded once into GnuTLS certificate credentials that sessions share by
 * reference count.  Every loading error is class USAGE (exit 2) and names
 * the file and what is wrong with it, before any network I/O.
 */
#ifndef TK_CREDS_H
#define TK_CREDS_H

#include <gnutls/gnutls.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"

#define TK_CA_MAX 16
#define TK_FILE_MAX (4u << 20)  /* largest PEM/DER file we read: 4 MiB */

struct tk_creds_conf {
	const char *cert_file;  /* PEM chain, may also hold the key */
	const char *key_file;   /* NULL: the key is in cert_file */
	const char *ca[TK_CA_MAX];  /* files or directories */
	size_t nca;
	bool system_trust;      /* load the system store even with ca[] */
	bool want_trust;        /* no ca[]: fall back to env or system */
	const char *dh_file;    /* PEM PKCS#3, or NULL */
};

struct tk_creds;

/* Loads everything conf names.  NULL with err (USAGE, or INTERNAL). */
struct tk_creds *tk_creds_new(const struct tk_creds_conf *conf,
    struct tk_err *err);

/* Takes one more reference; returns c. */
struct tk_creds *tk_creds_ref(struct tk_creds *c);
/* Drops one reference; the last one frees.  NULL is accepted. */
void tk_creds_unref(struct tk_creds *c);

/* Borrowed: valid while a reference is held. */
gnutls_certificate_credentials_t tk_creds_gnutls(const struct tk_creds *c);
bool tk_creds_has_cert(const struct tk_creds *c);
/* The bits of the --dh-params group's prime; 0 without DH parameters. */
unsigned tk_creds_dh_bits(const struct tk_creds *c);
/* Number of trust anchors and where they came from ("system", a path). */
unsigned tk_creds_trust_count(const struct tk_creds *c);
const char *tk_creds_trust_source(const struct tk_creds *c);

/*
 * Did this trust anchor (DER) come from the user's own --ca rather than
 * the system store (or SSL_CERT_FILE/SSL_CERT_DIR, which stand in for
 * it)?  arg is the tk_creds.  The auto profile judges a path by its
 * anchor's origin (docs/verification.md).
 */
bool tk_creds_anchor_private(const gnutls_datum_t *der, void *arg);

/* Is path "-", standard input? */
bool tk_creds_is_stdin(const char *path);

/*
 * Reads a whole file of at most TK_FILE_MAX bytes: a regular file, a pipe
 * or FIFO (/dev/stdin, a shell's <(...)), or standard input when path is
 * "-".  A pipe is read to its end, refused once past the bound.  what
 * names the file's role in messages ("certificate file").  Caller frees
 * data->data with gnutls_free().  Returns 0 or -1 with err (USAGE).
 */
int tk_creds_read_file(const char *path, const char *what, gnutls_datum_t *data,
    struct tk_err *err);

/*
 * Parses every certificate in a PEM or DER buffer, in its order, or in a
 * certs-only PKCS#7 (PEM or DER), in path order (leaf first: a PKCS#7
 * holds a set).  On success *list and *n are the caller's (free each with gnutls_x509_crt_deinit, then
 * gnutls_free(list)).  Returns 0 or -1 with err (USAGE) naming what
 * ("CA file", as tk_creds_read_file()) and path.
 */
int tk_creds_load_certs(const gnutls_datum_t *data, const char *what,
    const char *path, gnutls_x509_crt_t **list, unsigned *n,
    struct tk_err *err);

#endif
