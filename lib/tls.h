/*
 * One GnuTLS session on a non-blocking fd.  Every call that could block
 * returns TK_WANT_READ or TK_WANT_WRITE instead; the caller sets its watch
 * to that one direction and calls again (docs/ARCHITECTURE.md,
 * "The poll loop").  tk_tls never polls and never closes the fd, which
 * stays its caller's.
 */
#ifndef TK_TLS_H
#define TK_TLS_H

#include <gnutls/gnutls.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "creds.h"
#include "err.h"
#include "want.h"

/* RFC 7301 3.1: names of 1-255 bytes, the list at most 2^16-1 bytes. */
#define TK_ALPN_NAME_MAX 255
#define TK_ALPN_WIRE_MAX 65535
/*
 * GnuTLS 3.7 keeps at most 8 protocols per session, each in a 32-byte
 * buffer that also holds a terminating NUL: 31 bytes of name at most.
 */
#define TK_ALPN_GNUTLS_MAX 8
#define TK_ALPN_GNUTLS_NAME_MAX 31

struct tk_alpn {
	char **names;  /* owned */
	size_t n;
};

/*
 * Parses a comma-separated protocol list ("h2,http/1.1").  Rejects empty
 * names, names over 255 bytes, control or non-ASCII bytes, duplicates and
 * a list whose encoding exceeds 65535 bytes.  Returns 0 or -1 with err
 * (USAGE).  Release with tk_alpn_clear().
 */
int tk_alpn_parse(const char *list, struct tk_alpn *out, struct tk_err *err);
void tk_alpn_clear(struct tk_alpn *a);
/* Checks that GnuTLS can offer the list in one session (8 x 32 bytes). */
int tk_alpn_check_gnutls(const struct tk_alpn *a, struct tk_err *err);

/* An entry of the IANA ALPN protocol ID registry (lib/alpnreg.c). */
struct tk_alpn_id {
	const char *id;
	const char *protocol;
	const char *reference;
};
extern const struct tk_alpn_id tk_alpn_registry[];
extern const size_t tk_alpn_nregistry;

/* Versions as 10, 11, 12, 13; 0 means "not limited". */
int tk_tls_version_parse(const char *s, int *out, struct tk_err *err);

/*
 * Builds a GnuTLS priority string from base (NULL: "NORMAL") limited to
 * versions min..max, and checks it with GnuTLS.  Returns 0 or -1 with err
 * (USAGE) naming the offending part.
 */
int tk_tls_priority(char *buf, size_t len, const char *base, int minv,
    int maxv, struct tk_err *err);

enum tk_client_cert {
	TK_CLIENT_CERT_IGNORE,
	TK_CLIENT_CERT_REQUEST,
	TK_CLIENT_CERT_REQUIRE,
};

struct tk_tls_conf {
	bool server;
	const char *priority;       /* as built by tk_tls_priority() */
	/*
	 * Optional, borrowed: the same priorities parsed once
	 * (gnutls_priority_init of priority), used instead of parsing the
	 * string again for this session; it must outlive the session.  A
	 * server holding many sessions saves 8 KiB of heap and a parse each.
	 */
	gnutls_priority_t priority_cache;
	const char *sni;            /* client: NULL sends none */
	const struct tk_alpn *alpn; /* borrowed; NULL or empty: no ALPN */
	/*
	 * Client, for tls-scan's probes (lib/scanhs.c): resume the session
	 * of resume (borrowed, gnutls_session_get_data2()'s; NULL: a full
	 * handshake); send no session ticket extension (no_tickets:
	 * GNUTLS_NO_TICKETS); offer early (early_len bytes, borrowed) as
	 * TLS 1.3 0-RTT data when the resumed ticket allows that much
	 * (early_data: GNUTLS_ENABLE_EARLY_DATA).
	 */
	const gnutls_datum_t *resume;
	bool no_tickets;
	bool early_data;
	const void *early;
	size_t early_len;
	bool alpn_mandatory;        /* server: no overlap fails the handshake */
	enum tk_client_cert client_cert;  /* server only */
	/*
	 * Server, client_cert REQUIRE: judges the client's chain during the
	 * handshake; non-zero refuses it (the handshake fails with an
	 * alert).  The caller's verification engine, never GnuTLS's own.
	 */
	int (*verify_peer)(gnutls_session_t s, void *arg);
	void *verify_arg;
	/*
	 * Server, optional: each ClientHello's body (the message without its
	 * handshake header) before GnuTLS reads it, for the caller's log;
	 * called even when GnuTLS then refuses the hello.
	 */
	void (*client_hello)(const unsigned char *msg, size_t len, void *arg);
	void *client_hello_arg;
};

struct tk_tls;

/* Takes a reference on creds.  NULL with err (INTERNAL or USAGE). */
struct tk_tls *tk_tls_new(int fd, const struct tk_tls_conf *conf,
    struct tk_creds *creds, struct tk_err *err);
/* Frees the session and drops the creds reference; never closes fd. */
void tk_tls_free(struct tk_tls *t);

/*
 * Each returns 0 (handshake done / bye done), or a byte count (>0; 0 for
 * read means close_notify), TK_WANT_READ, TK_WANT_WRITE, or -1 with the
 * session's error set (tk_tls_error()).  Warning alerts are noted and the
 * call retried.  A read that fails with a TCP reset or EOF without
 * close_notify is class NET; alerts and protocol errors are class TLS.
 */
int tk_tls_handshake(struct tk_tls *t);
/*
 * Client, after a TLS 1.2 handshake: renegotiates (a new handshake on the
 * established session, RFC 5246 7.4.1.2).  0 when it completed,
 * TK_WANT_READ, TK_WANT_WRITE, or -1 with the session's error set: a
 * warning alert no_renegotiation is a refusal (class TLS, gnutls_rc
 * GNUTLS_E_WARNING_ALERT_RECEIVED), other warning alerts are retried.
 */
int tk_tls_rehandshake(struct tk_tls *t);
ssize_t tk_tls_read(struct tk_tls *t, void *buf, size_t len);
/*
 * After TK_WANT_*, call again with a buffer that starts with the same
 * bytes (length may grow): tk_tls finishes the record it began first.
 */
ssize_t tk_tls_write(struct tk_tls *t, const void *buf, size_t len);
/* Sends close_notify; with wait_peer, also waits for the peer's. */
int tk_tls_bye(struct tk_tls *t, bool wait_peer);

/*
 * Sends one fatal alert (best effort, never blocks: a full socket drops
 * it).  For a client refusing the server's certificate after verifying it
 * itself (RFC 8446 section 6.2).
 */
void tk_tls_alert(struct tk_tls *t, gnutls_alert_description_t desc);

/*
 * The RFC 8446 name of an alert, as JSON and scripts see it:
 * "no_application_protocol", "certificate_required"; "alert_N" when GnuTLS
 * does not know it.  Writes into buf (at least 48 bytes) and returns it.
 */
const char *tk_tls_alert_code(int desc, char *buf, size_t len);

/* Decrypted bytes held inside GnuTLS: the fd will not become readable. */
bool tk_tls_pending(const struct tk_tls *t);
bool tk_tls_handshake_done(const struct tk_tls *t);
const struct tk_err *tk_tls_error(const struct tk_tls *t);

/*
 * The first bytes the peer sent on the session's fd (at most
 * TK_TLS_FIRST_MAX, as received: not decrypted), so that a caller can say
 * what a peer that answered in plaintext said after a failed handshake.
 * GnuTLS stops reading at the first bad record header, so this first
 * reads what else is waiting on the fd, once and without blocking: call
 * it only when the session has failed.  Sets *buf (owned by t) and
 * returns the count; errno may change.
 */
#define TK_TLS_FIRST_MAX 512
size_t tk_tls_first_bytes(struct tk_tls *t, const unsigned char **buf);
gnutls_session_t tk_tls_session(const struct tk_tls *t);

/* What the handshake settled, for the report. */
struct tk_tls_info {
	char version[16];
	char cipher[96];     /* IANA suite name */
	char kx[32];
	char group[32];      /* "" when none (TLS 1.2 RSA key exchange) */
	char alpn[TK_ALPN_NAME_MAX + 1];  /* "" when none negotiated */
	bool alpn_negotiated;
	bool resumed;
	bool client_cert_requested;  /* client side */
	bool peer_sent_cert;
	char last_alert[64];         /* last warning alert seen, or "" */
	int fatal_alert;             /* fatal alert received, or -1 */
};
void tk_tls_info(const struct tk_tls *t, struct tk_tls_info *info);

/*
 * The GnuTLS debug level for this process (--debug N): GnuTLS's messages
 * go to stderr prefixed "gnutls[N]".  Process-wide by GnuTLS's design.
 */
void tk_tls_set_debug(int level);

#endif
