/*
 * What is shown about each certificate of a chain.  Every string here
 * comes from a remote peer: renderers escape it (report.c).
 */
#ifndef TK_CERTINFO_H
#define TK_CERTINFO_H

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "err.h"

#define TK_CHAIN_MAX 64   /* certificates described; more are counted */
#define TK_SANS_MAX 32    /* SANs kept per certificate; more are counted */
#define TK_NAME_MAX 256

enum tk_san_type { TK_SAN_DNS, TK_SAN_IP, TK_SAN_EMAIL, TK_SAN_URI };

struct tk_san {
	enum tk_san_type type;
	char value[TK_NAME_MAX];  /* raw bytes, NUL-terminated */
	size_t len;               /* true length (may hold a NUL) */
};

struct tk_certinfo {
	char subject[512];
	char issuer[512];
	char cn[TK_NAME_MAX];
	struct tk_san sans[TK_SANS_MAX];
	size_t nsans, nsans_total;
	time_t not_before, not_after;
	long days_left;           /* whole days from "now" to not_after */
	char key[48];             /* "RSA 2048", "ECDSA P-256" */
	char key_type[16];        /* "RSA", "RSA-PSS", "ECDSA", "Ed25519" */
	unsigned key_bits;        /* 2048, 256 (the curve's); 0 unknown */
	char signature[48];       /* "RSA-SHA256" */
	char serial[100];         /* hex, colon-separated */
	char sha256[100];         /* hex, colon-separated */
	bool is_ca;
	bool self_issued;         /* subject == issuer */
};

struct tk_chain {
	struct tk_certinfo *certs;
	size_t n;
	size_t total;             /* certificates the peer sent */
};

/* Fills *ci from crt; now is the reference time for days_left. */
int tk_certinfo_from_crt(gnutls_x509_crt_t crt, time_t now,
    struct tk_certinfo *ci, struct tk_err *err);

/* Describes the chain the peer sent in session s. */
int tk_chain_from_session(gnutls_session_t s, time_t now,
    struct tk_chain *chain, struct tk_err *err);

void tk_chain_clear(struct tk_chain *chain);

/* "2031-05-01T12:00:00Z" from a time_t (UTC, gmtime_r). */
void tk_certinfo_iso_time(time_t t, char *buf, size_t len);

const char *tk_san_type_name(enum tk_san_type t);

#endif
