/*
 * ALPN probing (RFC 7301): which application protocols a server accepts,
 * which it selects for a list, and in which order it prefers them.  Every
 * probe is one full handshake (tk_conn) on the caller's loop; the probes
 * of one target share its resolver and run up to `parallel` at once.
 * When every probe has ended the done callback runs once; the outcomes
 * stay readable until tk_alpnprobe_free().
 */
#ifndef TK_ALPNPROBE_H
#define TK_ALPNPROBE_H

#include <stdbool.h>
#include <stddef.h>

#include "conn.h"

enum tk_alpn_outcome {
	TK_ALPN_PENDING,        /* not ended: never in a finished result */
	TK_ALPN_SELECTED,       /* the server chose a protocol */
	TK_ALPN_IGNORED,        /* handshake without ALPN in the answer */
	TK_ALPN_REFUSED,        /* alert no_application_protocol; under
	                         * --each any fatal alert when another
	                         * protocol's handshake completed */
	TK_ALPN_ERROR,          /* any other failure: r.err */
};

enum tk_alpn_order {
	TK_ALPN_ORDER_NONE,     /* fewer than two protocols accepted */
	TK_ALPN_ORDER_SERVER,   /* the server's preference: pref[] */
	TK_ALPN_ORDER_CLIENT,   /* the first protocol the client offers */
	TK_ALPN_ORDER_MIXED,    /* neither */
};

/* One handshake offering `offer` (names borrowed from the list). */
struct tk_alpn_probe {
	struct tk_alpn offer;
	struct tk_result r;
	enum tk_alpn_outcome out;
	struct tk_conn *conn;   /* while it runs */
	struct tk_alpnprobe *ap;
};

struct tk_alpnprobe_conf {
	/* how to connect (borrowed, copied per probe; its alpn is
	 * replaced by each probe's offer) */
	const struct tk_conn_conf *cc;
	const char *tool;       /* for the results */
	const char *target;     /* as given, for the results */
	const struct tk_alpn *list;  /* borrowed: what is asked about */
	bool whole;             /* one handshake offering the whole list */
	bool each;              /* one handshake per protocol */
	bool order;             /* the preference order (implies each) */
	size_t parallel;        /* handshakes at once (the whole-list and
	                         * --order probes count), >= 1 */
};

struct tk_alpnprobe;

#define TK_ALPNPROBE_DEFAULT "h2,http/1.1"

/*
 * The protocols to ask about: given (moved into out, given left empty),
 * or without one (NULL) TK_ALPNPROBE_DEFAULT, or for a per-protocol run
 * (each) every protocol of the IANA registry.  Each name must be one
 * GnuTLS offers alone (USAGE otherwise).  *whole says whether the list
 * is offered in one handshake too: not the registry, and at most
 * TK_ALPN_GNUTLS_MAX names.  out must be released (tk_alpn_clear).
 * 0, or -1 with err.
 */
int tk_alpnprobe_list(struct tk_alpn *given, bool each, struct tk_alpn *out,
    bool *whole, struct tk_err *err);

/*
 * Nothing runs until tk_alpnprobe_start().  conf is copied (not what it
 * points to).  NULL with err (INTERNAL) without memory.
 */
struct tk_alpnprobe *tk_alpnprobe_new(struct tk_loop *loop,
    const struct tk_alpnprobe_conf *conf, void (*done)(void *arg),
    void *arg, struct tk_err *err);

/* Starts the probes; done may run before this returns. */
void tk_alpnprobe_start(struct tk_alpnprobe *ap);

/* The whole-list probe, or NULL when conf->whole was false. */
const struct tk_alpn_probe *tk_alpnprobe_whole(const struct tk_alpnprobe *ap);

/* The per-protocol probes in list order: count, then each. */
size_t tk_alpnprobe_neach(const struct tk_alpnprobe *ap);
const struct tk_alpn_probe *tk_alpnprobe_each(const struct tk_alpnprobe *ap,
    size_t i);

/*
 * The probe whose result carries the session and the chain: the whole
 * list's, else the first per-protocol probe whose handshake completed,
 * else the first protocol's; NULL when there was none.
 */
const struct tk_alpn_probe *tk_alpnprobe_first(const struct tk_alpnprobe *ap);

/*
 * --order: the mode, the accepted protocols (list order) and, for
 * TK_ALPN_ORDER_SERVER, the server's preference, most preferred first.
 * The arrays are the engine's, valid until tk_alpnprobe_free().
 */
enum tk_alpn_order tk_alpnprobe_order(const struct tk_alpnprobe *ap,
    char *const **accepted, size_t *naccepted, char *const **pref,
    size_t *npref);

/*
 * The class of a finished target: the probes' errors, the refusal of the
 * whole list, the chain's verdict (CHECK, or WARN for its warnings) and
 * --expect (NULL: none; judged on the whole-list probe).  *why gets the
 * cause to print, when there is one (left alone otherwise).
 */
enum tk_class tk_alpnprobe_class(const struct tk_alpnprobe *ap,
    const char *expect, struct tk_err *why);

/* "selected", "ignored", "refused", "error", "pending": the JSON words */
const char *tk_alpn_outcome_name(enum tk_alpn_outcome o);
/* "server", "client", "inconsistent", "undetermined" */
const char *tk_alpn_order_name(enum tk_alpn_order m);
/* One line for a probe: "selected h2", "refused (alert ...)", ... */
const char *tk_alpn_probe_describe(const struct tk_alpn_probe *p, char *buf,
    size_t len);

/* The alert the server sent ("no_application_protocol"), or NULL. */
const char *tk_alpn_probe_alert(const struct tk_alpn_probe *p, char *buf,
    size_t len);

/*
 * Did the whole-list probe get what --expect says: that protocol, or
 * for "none" an answer without ALPN?  expect NULL: true.
 */
bool tk_alpn_probe_expect(const struct tk_alpn_probe *whole,
    const char *expect);

/* Stops what runs and frees everything.  NULL is fine. */
void tk_alpnprobe_free(struct tk_alpnprobe *ap);

#endif
