/*
 * tls-scan's probes that need a completed GnuTLS handshake: the chain
 * served for one key type, session resumption (session IDs, TLS 1.2
 * tickets, TLS 1.3 PSK and 0-RTT), client-initiated and secure
 * renegotiation, and the TLS 1.3 signature algorithms the server signs
 * with.  Each probe is a small state machine on the caller's loop over
 * tk_conn (lib/conn.h), one connection at a time: a probe of two
 * handshakes runs them one after the other.
 */
#ifndef TK_SCANHS_H
#define TK_SCANHS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conn.h"

enum tk_scanhs_kind {
	TK_SCANHS_CERT,         /* the chain served for one key type, with
	                         * or without SNI */
	TK_SCANHS_RESUME_ID,    /* TLS 1.2 session-ID resumption (tickets
	                         * off: GNUTLS_NO_TICKETS) */
	TK_SCANHS_RESUME_TICKET, /* TLS 1.2 RFC 5077 ticket resumption */
	TK_SCANHS_RESUME_PSK,   /* TLS 1.3 PSK resumption; then 0-RTT
	                         * (early data) accepted? */
	TK_SCANHS_RENEG,        /* TLS 1.2: client-initiated renegotiation
	                         * accepted? and RFC 5746 secure
	                         * renegotiation status */
	TK_SCANHS_SIGALGS13,    /* TLS 1.3 signature algorithms the server
	                         * signs with, by elimination (offer all,
	                         * remove the one used, repeat) */
};
enum tk_scanhs_key { TK_SCANHS_KEY_RSA, TK_SCANHS_KEY_ECDSA,
	TK_SCANHS_KEY_ED25519 };
enum tk_scanhs_yes { TK_SCANHS_UNKNOWN = -1, TK_SCANHS_NO = 0,
	TK_SCANHS_YES = 1 };

struct tk_scanhs_conf {
	enum tk_scanhs_kind kind;
	/*
	 * Borrowed, copied per connection: target (maybe pinned to an
	 * address), hostname, SNI, STARTTLS, proxy, creds, timeouts,
	 * deadline.  Its priority and alpn are replaced; the injection
	 * probe and the dialogue's phase inside TLS are not run.
	 */
	const struct tk_conn_conf *cc;
	enum tk_scanhs_key key;         /* CERT */
	bool no_sni;                    /* CERT: without SNI */
	const char *tool, *target;      /* for the tk_result fields */
};

#define TK_SCANHS_SIGALGS_MAX 32

struct tk_scanhs {              /* the outcome; plain data once done */
	enum tk_scanhs_kind kind;
	/*
	 * The (first) handshake's result: chain, verdict, TLS info, err and
	 * cls when it failed.  CERT judges the chain as cc says; the other
	 * probes keep the session whatever the chain (verdict skipped).
	 * CERT refused for want of such a certificate: yes NO, cls OK.
	 */
	struct tk_result r;
	int yes;                    /* CERT: that key type's chain served;
	                             * RESUME_*: resumed; RENEG: client
	                             * renegotiation accepted */
	int early_data;             /* RESUME_PSK: 0-RTT accepted */
	int secure_reneg;           /* RENEG: RFC 5746 (TK_SCANHS_*) */
	int ems, etm;               /* the first handshake, TLS <= 1.2;
	                             * UNKNOWN for TLS 1.3 */
	/* SIGALGS13: IANA SignatureScheme codes, the server's pick order */
	uint16_t sigalgs[TK_SCANHS_SIGALGS_MAX];
	size_t nsigalgs;
	char why[256];              /* when a yes/no could not be decided:
	                             * why, plain words */
	unsigned connections;       /* connections this probe opened */

	/* private: the running state */
	struct {
		struct tk_loop *loop;
		struct tk_scanhs_conf conf;
		struct tk_conn_conf cc;
		void (*done)(void *arg);
		void *arg;
		struct tk_conn *conn;
		struct tk_result *r2;   /* the later handshakes' result */
		int phase;
		bool over;
		struct tk_timer timer;  /* the ticket wait, renegotiation */
		gnutls_datum_t session; /* to resume (gnutls_free) */
		unsigned long offered;  /* SIGALGS13: bits of the table
		                         * still offered */
		size_t drained;         /* bytes read waiting for a ticket */
		char prio[768];
	} priv;
};

/*
 * Starts a probe on loop; done(arg) runs once when it ended (maybe before
 * this returns).  p is caller storage, filled from scratch;
 * tk_scanhs_release(p) frees what it holds (safe anytime: stops it; NULL
 * is fine; twice is fine).
 * 0 (a connection that cannot start ends the probe: done runs, p->r.err
 * says why), or -1 with err (INTERNAL) when the probe's priority string
 * cannot be built; then done never runs.
 */
int tk_scanhs_start(struct tk_scanhs *p, struct tk_loop *loop,
    const struct tk_scanhs_conf *conf, void (*done)(void *arg), void *arg,
    struct tk_err *err);
void tk_scanhs_release(struct tk_scanhs *p);

/* "certificate", "session-id", "session-ticket", "psk", "renegotiation",
 * "sigalgs-tls13" */
const char *tk_scanhs_kind_name(enum tk_scanhs_kind k);
/* "rsa", "ecdsa", "ed25519" */
const char *tk_scanhs_key_name(enum tk_scanhs_key k);
/* "yes", "no", "unknown" */
const char *tk_scanhs_yes_name(int yes);

/*
 * The GnuTLS priority string of a probe (pure): for CERT the signature
 * algorithms (and TLS 1.2 key exchanges) of that key type only; for
 * SIGALGS13 TLS 1.3 with the signature algorithms of the table whose bit
 * is set in offered.  0, or -1 with err (INTERNAL) when buf is too small.
 */
int tk_scanhs_priority(enum tk_scanhs_kind kind, enum tk_scanhs_key key,
    unsigned long offered, char *buf, size_t len, struct tk_err *err);

/*
 * The TLS 1.3 signature algorithms probed: the IANA SignatureScheme code
 * of a GnuTLS sign algorithm (0: none of the table), the table's size and
 * its entries' codes and GnuTLS priority names.
 */
uint16_t tk_scanhs_sigalg_code(int gnutls_sign);
size_t tk_scanhs_nsigalgs(void);
uint16_t tk_scanhs_sigalg_at(size_t i, const char **prio_name);
/* The RFC 8446 name of a SignatureScheme code ("rsa_pss_rsae_sha256"),
 * or NULL when the table lacks it. */
const char *tk_scanhs_sigalg_name(uint16_t code);

#endif
