/*
 * tls-alpn-probe's pipeline for one target; see alpntarget.h.
 */
#include <stdio.h>
#include <string.h>

#include "alpntarget.h"

#include "banned.h"

int
tk_alpntarget_check(const char *text, const char *where, const char *tool,
    struct tk_err *err)
{
	struct tk_target t;
	size_t l;

	if (tk_target_parse_line(text, 443, &t, err) == 0) {
		if (t.scheme[0] == '\0' || strcmp(t.scheme, "https") == 0) {
			return 0;
		}
		tk_err_set(err, TK_USAGE, "target", "%s takes HOST[:PORT] or "
		    "an https:// URL, not '%s'", tool, text);
	}
	/* which line of the list, as tls-check-cert says it */
	l = strlen(err->msg);
	if (where != NULL) {
		snprintf(err->msg + l, sizeof(err->msg) - l, " (%s)", where);
	}
	return -1;
}

int
tk_alpntarget_prepare(struct tk_alpntarget_conf *conf,
    struct tk_tool_ctx *t, const char *tool, size_t ntargets,
    struct tk_err *err)
{
	const struct tk_settings *s = &t->s;

	conf->t = t;
	conf->tool = tool;
	if (s->stream && !s->json) {
		return tk_err_set(err, TK_USAGE, "options",
		    "--stream goes with --json");
	}
	if (s->hostname != NULL && ntargets > 1) {
		return tk_err_set(err, TK_USAGE, "options", "--hostname takes "
		    "one target (each target is probed for its own host name)");
	}
	if (s->expect != NULL && strcmp(s->expect, "none") != 0) {
		struct tk_alpn one;

		if (tk_alpn_parse(s->expect, &one, err) < 0) {
			return -1;
		}
		if (one.n != 1) {
			tk_alpn_clear(&one);
			return tk_err_set(err, TK_USAGE, "options",
			    "--expect takes one protocol, not a list");
		}
		tk_alpn_clear(&one);
	}
	if (tk_alpnprobe_list(s->alpn != NULL ? &t->d.alpn : NULL,
	    s->each || s->order, &conf->list, &conf->whole, err) < 0) {
		return -1;
	}
	if (s->expect != NULL && !conf->whole) {
		return tk_err_set(err, TK_USAGE, "options", "--expect needs a "
		    "list of at most %d protocols to offer in one handshake",
		    TK_ALPN_GNUTLS_MAX);
	}
	if (!conf->whole && !s->each && !s->order) {
		/* more than one handshake takes, and no --each */
		return tk_alpn_check_gnutls(&conf->list, err);
	}
	return 0;
}

void
tk_alpntarget_conf_release(struct tk_alpntarget_conf *conf)
{
	tk_alpn_clear(&conf->list);
}

void
tk_alpntarget_start(struct tk_alpntarget *at,
    const struct tk_alpntarget_conf *conf, const char *text,
    void (*done)(void *arg), void *arg)
{
	const struct tk_tool_ctx *t = conf->t;
	struct tk_alpnprobe_conf pc;
	struct tk_conn_conf cc;
	struct tk_target target;

	at->conf = conf;
	at->text = text;
	if (tk_target_parse_line(text, 443, &target, &at->err) == 0) {
		tk_tool_conn_conf(t, &target, &cc);
		cc.no_verify = false;   /* the chain is judged as told */
		cc.insecure = t->s.insecure;
		cc.check = &t->d.check;
		cc.starttls = t->s.starttls;
		memset(&pc, 0, sizeof(pc));
		pc.cc = &cc;
		pc.tool = conf->tool;
		pc.target = text;
		pc.list = &conf->list;
		pc.whole = conf->whole;
		pc.each = t->s.each;
		pc.order = t->s.order;
		/* a target's probes run as before; the runner bounds targets */
		pc.parallel = t->s.parallel;
		at->ap = tk_alpnprobe_new(t->loop, &pc, done, arg, &at->err);
	}
	if (at->ap == NULL) {
		done(arg);
		return;
	}
	tk_alpnprobe_start(at->ap);
}

enum tk_class
tk_alpntarget_finish(struct tk_alpntarget *at, struct tk_err *why)
{
	*why = at->err;
	if (at->ap == NULL) {
		return at->err.cls;
	}
	at->main = tk_alpnprobe_whole(at->ap);
	at->neach = tk_alpnprobe_neach(at->ap);
	at->mode = tk_alpnprobe_order(at->ap, &at->accepted, &at->naccepted,
	    &at->pref, &at->npref);
	return tk_alpnprobe_class(at->ap, at->conf->t->s.expect, why);
}

void
tk_alpntarget_release(struct tk_alpntarget *at)
{
	tk_alpnprobe_free(at->ap);
	at->ap = NULL;
}
