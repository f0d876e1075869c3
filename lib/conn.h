/*
 * One target's client pipeline: resolve -> connect -> STARTTLS -> handshake
 * -> verify, each step under its own deadline on the loop.  The result
 * struct is filled as the steps go; when the pipeline ends (ready for data
 * or failed), the callback runs once.
 */
#ifndef TK_CONN_H
#define TK_CONN_H

#include <stdbool.h>

#include "certcheck.h"
#include "creds.h"
#include "loop.h"
#include "resolve.h"
#include "proxy.h"
#include "result.h"
#include "stream.h"
#include "tls.h"

struct tk_conn_conf {
	struct tk_target target;
	const char *hostname;       /* A-label name to verify; NULL: host */
	bool no_sni;
	bool insecure;              /* verify, but do not fail on it */
	bool no_verify;             /* the caller verifies the chain itself */
	/* how the chain is judged (borrowed; NULL: defaults, now) */
	const struct tk_certcheck_opts *check;
	int family;                 /* AF_UNSPEC, AF_INET, AF_INET6 */
	unsigned timeout_ms;        /* per step */
	/*
	 * --deadline: when the whole run ends (tk_loop_now_ms() clock;
	 * 0: never)
	 * and how long it was, for the message naming the step it ended.
	 */
	uint64_t deadline_ms;
	unsigned deadline_total_ms;
	const char *starttls;       /* protocol name or NULL */
	const char *xmpp_domain;    /* XMPP stream 'to'; NULL: the name */
	const char *ehlo_name;      /* EHLO/LHLO name; NULL: address literal */
	bool starttls_after;        /* run the dialogue's phase inside TLS */
	/*
	 * Pipeline a harmless command after STARTTLS and wait (at most
	 * 1 s, within timeout_ms) for an answer inside TLS: the
	 * CVE-2011-0411 flaw.  result->injection says what was found.
	 */
	bool check_injection;
	const char *priority;       /* built by tk_tls_priority() */
	const struct tk_alpn *alpn; /* borrowed */
	/* tls-scan's probes (lib/scanhs.c), as in struct tk_tls_conf:
	 * the session to resume (borrowed), no tickets, 0-RTT data */
	const gnutls_datum_t *resume;
	bool no_tickets;
	bool early_data;
	const void *early;
	size_t early_len;
	struct tk_creds *creds;     /* borrowed; the session takes a ref */
	struct tk_resolver *resolver;  /* borrowed, shared by conns */
	/* borrowed; NULL: direct.  The proxy resolves the target's name,
	 * and result->address is the proxy's */
	const struct tk_proxy *proxy;
	/*
	 * Raw mode (tls-scan, lib/scan.c): instead of a GnuTLS handshake,
	 * write raw_out (a ClientHello tlskit built) and read the answer
	 * into raw_in (at most raw_cap bytes) until raw_done(raw_arg, raw_in,
	 * len) says it is whole, the peer closes or resets, or raw_cap
	 * bytes came; then the callback runs with tk_conn_ready() true (the
	 * length and whether the peer closed: tk_conn_raw()).  A timeout
	 * still fails the "handshake" step.  No verification, no session.
	 */
	const unsigned char *raw_out;
	size_t raw_out_len;
	unsigned char *raw_in;
	size_t raw_cap;
	bool (*raw_done)(void *raw_arg, const unsigned char *in, size_t len);
	void *raw_arg;
};

struct tk_conn;
typedef void (*tk_conn_cb)(struct tk_conn *c, void *arg);

/*
 * result is borrowed and must outlive the conn.  Nothing happens until
 * tk_conn_start().  NULL with err on allocation failure.
 */
struct tk_conn *tk_conn_new(struct tk_loop *loop,
    const struct tk_conn_conf *conf, struct tk_result *result,
    tk_conn_cb cb, void *arg, struct tk_err *err);
void tk_conn_start(struct tk_conn *c);

/*
 * After the callback: true when the handshake finished (the data phase
 * may begin; verification may still have failed: see result->verdict).
 * On failure result->err and result->cls say why.
 */
bool tk_conn_ready(const struct tk_conn *c);
int tk_conn_fd(const struct tk_conn *c);
/* Raw mode, after the callback: the bytes read into conf.raw_in, and
 * whether the peer closed (or reset) the connection. */
size_t tk_conn_raw(const struct tk_conn *c, bool *closed);
struct tk_tls *tk_conn_tls(const struct tk_conn *c);
/*
 * After the callback, when ready: the data phase over the session
 * (lib/stream.h), parked until its owner calls tk_stream_set_cb(); what
 * the dialogue inside TLS read past its replies is still held.  Owned by
 * c.  NULL with err (INTERNAL).
 */
struct tk_stream *tk_conn_stream(struct tk_conn *c, struct tk_err *err);

/* Closes the fd and frees everything; safe from any callback. */
void tk_conn_free(struct tk_conn *c);

#endif
