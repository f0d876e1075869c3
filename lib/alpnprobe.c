/*
 * ALPN probing; see alpnprobe.h.  The order is found in rounds: the
 * accepted protocols offered forward and reversed; the same winner both
 * ways is the server's choice, and the winner among the rest, offered
 * again without it, is the next preferred (RFC 7301 3.2 leaves the
 * choice to the server).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alpnprobe.h"
#include "escape.h"

#include "banned.h"

struct tk_alpnprobe {
	struct tk_alpnprobe_conf c;
	struct tk_conn_conf cc;       /* copied; alpn set per probe */
	struct tk_loop *loop;
	void (*done)(void *arg);
	void *arg;
	struct tk_alpn_probe whole;
	struct tk_alpn_probe *each;   /* one per protocol */
	size_t neach, next_each, running, each_done;
	bool over;
	/* --order */
	char *accepted[TK_ALPN_GNUTLS_MAX];
	size_t naccepted;
	struct tk_alpn_probe fwd, rev, round;
	enum tk_alpn_order mode;
	char *pref[TK_ALPN_GNUTLS_MAX];
	size_t npref;
	char *reversed[TK_ALPN_GNUTLS_MAX];
	char *remaining[TK_ALPN_GNUTLS_MAX];
	size_t nremaining;
	size_t order_pending;
	bool rev_started;             /* -j 1: after the forward probe */
};

const char *
tk_alpn_outcome_name(enum tk_alpn_outcome o)
{
	switch (o) {
	case TK_ALPN_PENDING:
		return "pending";
	case TK_ALPN_SELECTED:
		return "selected";
	case TK_ALPN_IGNORED:
		return "ignored";
	case TK_ALPN_REFUSED:
		return "refused";
	case TK_ALPN_ERROR:
		return "error";
	}
	return "error";
}

const char *
tk_alpn_order_name(enum tk_alpn_order m)
{
	switch (m) {
	case TK_ALPN_ORDER_NONE:
		return "undetermined";
	case TK_ALPN_ORDER_SERVER:
		return "server";
	case TK_ALPN_ORDER_CLIENT:
		return "client";
	case TK_ALPN_ORDER_MIXED:
		return "inconsistent";
	}
	return "undetermined";
}

const char *
tk_alpn_probe_describe(const struct tk_alpn_probe *p, char *buf, size_t len)
{
	char esc[TK_ALPN_NAME_MAX * 4 + 1];

	switch (p->out) {
	case TK_ALPN_SELECTED:
		tk_escape(p->r.tls.alpn, strlen(p->r.tls.alpn), esc,
		    sizeof(esc));
		snprintf(buf, len, "selected %s", esc);
		break;
	case TK_ALPN_IGNORED:
		snprintf(buf, len, "ignored (no ALPN in the server's answer)");
		break;
	case TK_ALPN_REFUSED: {
		char abuf[48];
		const char *al = tk_alpn_probe_alert(p, abuf, sizeof(abuf));

		if (al == NULL) {
			al = "no_application_protocol";
		}
		snprintf(buf, len, "refused (alert %s)", al);
		break;
	}
	case TK_ALPN_PENDING:
	case TK_ALPN_ERROR:
		tk_escape(p->r.err.msg, strlen(p->r.err.msg), esc,
		    sizeof(esc));
		snprintf(buf, len, "error: %s: %s",
		    p->r.err.step ? p->r.err.step : "?", esc);
		break;
	}
	return buf;
}

const char *
tk_alpn_probe_alert(const struct tk_alpn_probe *p, char *buf, size_t len)
{
	if (p->r.err.gnutls_rc != GNUTLS_E_FATAL_ALERT_RECEIVED) {
		return NULL;
	}
	return tk_tls_alert_code(p->r.tls.fatal_alert, buf, len);
}

bool
tk_alpn_probe_expect(const struct tk_alpn_probe *whole, const char *expect)
{
	if (expect == NULL) {
		return true;
	}
	if (strcmp(expect, "none") == 0) {
		return whole->out == TK_ALPN_IGNORED;
	}
	return whole->out == TK_ALPN_SELECTED &&
	    strcmp(whole->r.tls.alpn, expect) == 0;
}

static void
classify(struct tk_alpn_probe *p)
{
	const struct tk_result *r = &p->r;

	if (r->handshake_done) {
		p->out = r->tls.alpn_negotiated ? TK_ALPN_SELECTED :
		    TK_ALPN_IGNORED;
	} else if (r->err.gnutls_rc == GNUTLS_E_FATAL_ALERT_RECEIVED &&
	    r->tls.fatal_alert == GNUTLS_A_NO_APPLICATION_PROTOCOL) {
		p->out = TK_ALPN_REFUSED;
	} else {
		p->out = TK_ALPN_ERROR;
	}
}

static void after_probe(struct tk_alpnprobe *ap, struct tk_alpn_probe *p);

static void
on_conn(struct tk_conn *c, void *arg)
{
	struct tk_alpn_probe *p = arg;

	classify(p);
	if (tk_conn_ready(c)) {
		tk_tls_bye(tk_conn_tls(c), false);
	}
	tk_conn_free(c);
	p->conn = NULL;
	p->ap->running--;
	after_probe(p->ap, p);
}

static void
start_probe(struct tk_alpnprobe *ap, struct tk_alpn_probe *p, char **names,
    size_t n)
{
	struct tk_conn_conf cc = ap->cc;
	struct tk_err e;

	tk_err_clear(&e);
	p->ap = ap;
	p->offer.names = names;
	p->offer.n = n;
	p->out = TK_ALPN_PENDING;
	tk_result_init(&p->r, ap->c.tool, ap->c.target);
	cc.alpn = &p->offer;
	ap->running++;
	p->conn = tk_conn_new(ap->loop, &cc, &p->r, on_conn, p, &e);
	if (p->conn == NULL) {
		p->r.err = e;
		p->r.cls = e.cls;
		p->out = TK_ALPN_ERROR;
		ap->running--;
		after_probe(ap, p);
		return;
	}
	tk_conn_start(p->conn);
}

static void alerts_are_refusals(struct tk_alpnprobe *ap);

static void
maybe_done(struct tk_alpnprobe *ap)
{
	if (ap->running == 0 && ap->next_each == ap->neach &&
	    ap->order_pending == 0 && !ap->over) {
		ap->over = true;
		alerts_are_refusals(ap);
		ap->done(ap->arg);
	}
}

static void
start_round(struct tk_alpnprobe *ap)
{
	/* server preference: the winner of the rest is the next preferred */
	ap->order_pending++;
	start_probe(ap, &ap->round, ap->remaining, ap->nremaining);
}

/* Takes remaining[k] out of the rest and makes it the next preferred. */
static void
prefer(struct tk_alpnprobe *ap, size_t k)
{
	ap->pref[ap->npref++] = ap->remaining[k];
	memmove(&ap->remaining[k], &ap->remaining[k + 1],
	    (ap->nremaining - k - 1) * sizeof(char *));
	ap->nremaining--;
}

static size_t
find_rest(const struct tk_alpnprobe *ap, const char *name)
{
	size_t k;

	for (k = 0; k < ap->nremaining; k++) {
		if (strcmp(ap->remaining[k], name) == 0) {
			break;
		}
	}
	return k;
}

static void
round_step(struct tk_alpnprobe *ap, struct tk_alpn_probe *p)
{
	size_t k;

	if (p->out != TK_ALPN_SELECTED) {
		ap->mode = TK_ALPN_ORDER_MIXED;
		return;
	}
	k = find_rest(ap, p->r.tls.alpn);
	if (k == ap->nremaining) {
		ap->mode = TK_ALPN_ORDER_MIXED;
		return;
	}
	prefer(ap, k);
	tk_result_release(&p->r);
	if (ap->nremaining == 1) {
		ap->pref[ap->npref++] = ap->remaining[0];
	} else {
		start_round(ap);
	}
}

static void
order_step(struct tk_alpnprobe *ap, struct tk_alpn_probe *p)
{
	ap->order_pending--;
	if (p == &ap->round) {
		round_step(ap, p);
		maybe_done(ap);
		return;
	}
	if (p == &ap->fwd && !ap->rev_started) {
		/* one probe at a time (-j 1): the reversed one now */
		ap->rev_started = true;
		start_probe(ap, &ap->rev, ap->reversed, ap->naccepted);
		return;
	}
	if (ap->order_pending > 0) {
		return;  /* wait for the other of the two */
	}
	if (ap->fwd.out != TK_ALPN_SELECTED ||
	    ap->rev.out != TK_ALPN_SELECTED) {
		ap->mode = TK_ALPN_ORDER_MIXED;
	} else if (strcmp(ap->fwd.r.tls.alpn, ap->rev.r.tls.alpn) == 0) {
		size_t k;

		ap->mode = TK_ALPN_ORDER_SERVER;
		memcpy(ap->remaining, ap->accepted,
		    ap->naccepted * sizeof(char *));
		ap->nremaining = ap->naccepted;
		/* the forward probe was the first round */
		k = find_rest(ap, ap->fwd.r.tls.alpn);
		if (k < ap->nremaining) {
			prefer(ap, k);
		}
		if (ap->nremaining == 1) {
			ap->pref[ap->npref++] = ap->remaining[0];
		} else if (ap->nremaining > 1) {
			start_round(ap);
		}
	} else if (strcmp(ap->fwd.r.tls.alpn, ap->accepted[0]) == 0 &&
	    strcmp(ap->rev.r.tls.alpn,
	    ap->accepted[ap->naccepted - 1]) == 0) {
		ap->mode = TK_ALPN_ORDER_CLIENT;
	} else {
		ap->mode = TK_ALPN_ORDER_MIXED;
	}
	maybe_done(ap);
}

static void
start_order(struct tk_alpnprobe *ap)
{
	for (size_t i = 0; i < ap->neach &&
	    ap->naccepted < TK_ALPN_GNUTLS_MAX; i++) {
		if (ap->each[i].out == TK_ALPN_SELECTED) {
			ap->accepted[ap->naccepted++] =
			    ap->each[i].offer.names[0];
		}
	}
	if (ap->naccepted < 2) {
		ap->mode = TK_ALPN_ORDER_NONE;
		return;
	}
	for (size_t i = 0; i < ap->naccepted; i++) {
		ap->reversed[i] = ap->accepted[ap->naccepted - 1 - i];
	}
	ap->order_pending = 2;
	/* at most parallel at once: with 1, the reversed after */
	ap->rev_started = ap->c.parallel >= 2;
	start_probe(ap, &ap->fwd, ap->accepted, ap->naccepted);
	if (ap->rev_started) {
		start_probe(ap, &ap->rev, ap->reversed, ap->naccepted);
	}
}

static bool
completed(const struct tk_alpn_probe *p)
{
	return p->out == TK_ALPN_SELECTED || p->out == TK_ALPN_IGNORED;
}

/*
 * Once every protocol was offered alone: when the server completed a
 * handshake for one of them, a fatal alert on another's offer is its
 * refusal of that protocol, whatever alert it chose (Twisted on OpenSSL 3
 * sends internal_error where RFC 7301 says no_application_protocol).
 * The alert stays in the result (tk_alpn_probe_alert).
 */
static void
alerts_are_refusals(struct tk_alpnprobe *ap)
{
	bool any = ap->c.whole && completed(&ap->whole);

	for (size_t i = 0; i < ap->neach && !any; i++) {
		any = completed(&ap->each[i]);
	}
	if (!any) {
		return;
	}
	for (size_t i = 0; i < ap->neach; i++) {
		struct tk_alpn_probe *p = &ap->each[i];

		if (p->out == TK_ALPN_ERROR &&
		    p->r.err.gnutls_rc == GNUTLS_E_FATAL_ALERT_RECEIVED) {
			p->out = TK_ALPN_REFUSED;
		}
	}
}

static void
start_more_each(struct tk_alpnprobe *ap)
{
	while (ap->running < ap->c.parallel && ap->next_each < ap->neach) {
		struct tk_alpn_probe *p = &ap->each[ap->next_each++];

		start_probe(ap, p, p->offer.names, 1);
	}
}

static void
after_probe(struct tk_alpnprobe *ap, struct tk_alpn_probe *p)
{
	if (p == &ap->fwd || p == &ap->rev || p == &ap->round) {
		order_step(ap, p);
		return;
	}
	if (p != &ap->whole) {
		ap->each_done++;
	}
	/* the whole-list probe took a slot too (-j 1): start the next */
	start_more_each(ap);
	if (p != &ap->whole && ap->each_done == ap->neach && ap->c.order) {
		start_order(ap);
	}
	maybe_done(ap);
}

int
tk_alpnprobe_list(struct tk_alpn *given, bool each, struct tk_alpn *out,
    bool *whole, struct tk_err *err)
{
	*whole = true;
	if (given == NULL) {
		if (!each) {
			return tk_alpn_parse(TK_ALPNPROBE_DEFAULT, out, err);
		}
		/* the whole registry, one protocol at a time */
		*whole = false;
		out->names = calloc(tk_alpn_nregistry, sizeof(char *));
		if (out->names == NULL) {
			return tk_err_set(err, TK_INTERNAL, "options",
			    "out of memory");
		}
		for (size_t i = 0; i < tk_alpn_nregistry; i++) {
			out->names[i] = strdup(tk_alpn_registry[i].id);
			if (out->names[i] == NULL) {
				return tk_err_set(err, TK_INTERNAL, "options",
				    "out of memory");
			}
			out->n++;
		}
	} else {
		*out = *given;
		memset(given, 0, sizeof(*given));
	}
	for (size_t i = 0; i < out->n; i++) {
		/* every name is offered at least alone: GnuTLS must take it */
		struct tk_alpn one = { .names = &out->names[i], .n = 1 };

		if (tk_alpn_check_gnutls(&one, err) < 0) {
			return -1;
		}
	}
	if (*whole && out->n > TK_ALPN_GNUTLS_MAX) {
		/* too many for one handshake: only --each can probe them */
		*whole = false;
	}
	return 0;
}

struct tk_alpnprobe *
tk_alpnprobe_new(struct tk_loop *loop, const struct tk_alpnprobe_conf *conf,
    void (*done)(void *arg), void *arg, struct tk_err *err)
{
	struct tk_alpnprobe *ap = calloc(1, sizeof(*ap));

	if (ap == NULL) {
		tk_err_set(err, TK_INTERNAL, "probe", "out of memory");
		return NULL;
	}
	ap->c = *conf;
	ap->cc = *conf->cc;
	ap->loop = loop;
	ap->done = done;
	ap->arg = arg;
	if (ap->c.parallel == 0) {
		ap->c.parallel = 1;
	}
	if (conf->each || conf->order) {
		/* --order needs to know what is accepted: it implies each */
		ap->each = calloc(conf->list->n ? conf->list->n : 1,
		    sizeof(*ap->each));
		if (ap->each == NULL) {
			free(ap);
			tk_err_set(err, TK_INTERNAL, "probe", "out of memory");
			return NULL;
		}
		ap->neach = conf->list->n;
		for (size_t i = 0; i < ap->neach; i++) {
			ap->each[i].offer.names = &conf->list->names[i];
			ap->each[i].offer.n = 1;
		}
	}
	return ap;
}

void
tk_alpnprobe_start(struct tk_alpnprobe *ap)
{
	if (ap->c.whole) {
		start_probe(ap, &ap->whole, ap->c.list->names,
		    ap->c.list->n);
	}
	start_more_each(ap);
	maybe_done(ap);
}

const struct tk_alpn_probe *
tk_alpnprobe_whole(const struct tk_alpnprobe *ap)
{
	return ap->c.whole ? &ap->whole : NULL;
}

size_t
tk_alpnprobe_neach(const struct tk_alpnprobe *ap)
{
	return ap->neach;
}

const struct tk_alpn_probe *
tk_alpnprobe_each(const struct tk_alpnprobe *ap, size_t i)
{
	return &ap->each[i];
}

const struct tk_alpn_probe *
tk_alpnprobe_first(const struct tk_alpnprobe *ap)
{
	if (ap->c.whole) {
		return &ap->whole;
	}
	/* the first handshake that completed: its chain is the one judged */
	for (size_t i = 0; i < ap->neach; i++) {
		if (completed(&ap->each[i])) {
			return &ap->each[i];
		}
	}
	return ap->neach > 0 ? &ap->each[0] : NULL;
}

enum tk_alpn_order
tk_alpnprobe_order(const struct tk_alpnprobe *ap, char *const **accepted,
    size_t *naccepted, char *const **pref, size_t *npref)
{
	*accepted = ap->accepted;
	*naccepted = ap->naccepted;
	*pref = ap->pref;
	*npref = ap->npref;
	return ap->mode;
}

enum tk_class
tk_alpnprobe_class(const struct tk_alpnprobe *ap, const char *expect,
    struct tk_err *why)
{
	enum tk_class cls = TK_OK;
	const struct tk_alpn_probe *p0 = tk_alpnprobe_first(ap);
	const struct tk_alpn_probe *all = tk_alpnprobe_whole(ap);

	for (size_t i = 0; i < ap->neach; i++) {
		if (ap->each[i].out == TK_ALPN_PENDING) {
			/* a broken invariant: done ran before this probe */
			cls = tk_class_worst(cls, TK_INTERNAL);
			if (!tk_err_is_set(why)) {
				tk_err_set(why, TK_INTERNAL, "probe", "the "
				    "probe of one protocol never ran");
			}
		} else if (ap->each[i].out == TK_ALPN_ERROR) {
			cls = tk_class_worst(cls, ap->each[i].r.err.cls);
			if (!tk_err_is_set(why)) {
				*why = ap->each[i].r.err;
			}
		}
	}
	if (all != NULL && all->out != TK_ALPN_SELECTED &&
	    all->out != TK_ALPN_IGNORED) {
		cls = tk_class_worst(cls, all->r.err.cls);
		*why = all->r.err;
	}
	if (all == NULL && p0 != NULL && !completed(p0) &&
	    p0->out != TK_ALPN_ERROR) {
		/* no handshake completed: nothing was verified, no exit 0 */
		cls = tk_class_worst(cls, p0->r.err.cls != TK_OK ?
		    p0->r.err.cls : TK_TLS);
		if (!tk_err_is_set(why)) {
			tk_err_set(why, TK_TLS, "handshake", "the server "
			    "refused every protocol offered alone (%zu): no "
			    "handshake completed, the certificate was not "
			    "checked", ap->neach);
		}
	}
	if (p0 != NULL && p0->r.cls == TK_WARN) {
		/* the chain's warnings: exit 5 as in every client tool */
		cls = tk_class_worst(cls, TK_WARN);
	} else if (p0 != NULL && p0->r.cls != TK_OK) {
		/* the chain's verdict (CHECK), or what ended the handshake
		 * that carries the result: its error is the JSON's */
		cls = tk_class_worst(cls, p0->r.cls);
		if (!tk_err_is_set(why)) {
			*why = p0->r.err;
		}
	}
	if (all != NULL && !tk_alpn_probe_expect(all, expect)) {
		char d[1200];

		cls = tk_class_worst(cls, TK_CHECK);
		tk_err_clear(why);
		tk_err_set(why, TK_CHECK, "expect", "expected ALPN '%s', the "
		    "server %s", expect,
		    tk_alpn_probe_describe(all, d, sizeof(d)));
	}
	return cls;
}

static void
release(struct tk_alpn_probe *p)
{
	tk_conn_free(p->conn);
	p->conn = NULL;
	tk_result_release(&p->r);
}

void
tk_alpnprobe_free(struct tk_alpnprobe *ap)
{
	if (ap == NULL) {
		return;
	}
	release(&ap->whole);
	release(&ap->fwd);
	release(&ap->rev);
	release(&ap->round);
	for (size_t i = 0; i < ap->neach; i++) {
		release(&ap->each[i]);
	}
	free(ap->each);
	free(ap);
}
