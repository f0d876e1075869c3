/*
 * --fix-chain on the loop: the chain a server should send (fixchain),
 * built from what it served, --intermediates and the AIA caIssuers
 * certificates (RFC 5280 4.2.2.1) fetched over HTTP as fixchain asks for
 * them: at most 4 fetches of 256 KiB each, each under --timeout and
 * --deadline (docs/ARCHITECTURE.md, "Bounds on remote input").
 */
#ifndef TK_FIXFETCH_H
#define TK_FIXFETCH_H

#include "result.h"
#include "served.h"
#include "tool.h"

struct tk_fixfetch_conf {
	/* loop, resolver, trust, --timeout, --deadline, --intermediates'
	 * path (borrowed); no loop: no fetch */
	const struct tk_tool_ctx *t;
	const gnutls_x509_crt_t *inter;   /* --intermediates (borrowed) */
	unsigned ninter;
};

struct tk_fixfetch;

/*
 * Builds r->fixed for the chain in served (borrowed, like conf and r,
 * until the end).  Returns 1 when an AIA fetch runs: cb(arg) runs once
 * when r->fixed is final.  0 when it is final now (or cannot be built:
 * nothing served, r->err says why otherwise).  *fx holds the state: free
 * it with tk_fixfetch_free() after the end or to cancel.
 */
int tk_fixfetch_run(struct tk_fixfetch **fx,
    const struct tk_fixfetch_conf *conf, const struct tk_served *served,
    struct tk_result *r, void (*cb)(void *arg), void *arg);

/* Cancels a running fetch and frees fx.  NULL is fine. */
void tk_fixfetch_free(struct tk_fixfetch *fx);

#endif
