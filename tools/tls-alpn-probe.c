/*
 * tls-alpn-probe: which application protocols a server accepts, which it
 * selects for a list, and in which order it prefers them (RFC 7301).
 * Every probe is one full handshake on the shared loop.
 */
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "escape.h"
#include "opts.h"
#include "report.h"

#include "banned.h"

#define TOOL "tls-alpn-probe"
#define DEFAULT_LIST "h2,http/1.1"

enum outcome { O_PENDING, O_SELECTED, O_IGNORED, O_REFUSED, O_ERROR };

struct app;

struct probe {
	struct app *app;
	struct tk_alpn offer;      /* names borrowed from app->list */
	struct tk_result r;
	struct tk_conn *conn;
	enum outcome out;
};

enum order_mode { ORDER_NONE, ORDER_SERVER, ORDER_CLIENT, ORDER_MIXED };

struct app {
	struct tk_settings s;
	struct tk_derived d;
	struct tk_target target;
	struct tk_loop *loop;
	struct tk_resolver *res;
	struct tk_creds *creds;
	struct tk_alpn list;         /* what the user asked about, owned */
	struct probe main;           /* the whole list in one handshake */
	bool main_used;
	struct probe *each;          /* one per protocol */
	size_t neach, next_each, running, each_done;
	/* --order */
	char *accepted[TK_ALPN_GNUTLS_MAX];
	size_t naccepted;
	struct probe fwd, rev, round;
	enum order_mode mode;
	char *pref[TK_ALPN_GNUTLS_MAX];
	size_t npref;
	char *reversed[TK_ALPN_GNUTLS_MAX];
	char *remaining[TK_ALPN_GNUTLS_MAX];
	size_t nremaining;
	size_t order_pending;
};

static const char *
outcome_name(enum outcome o)
{
	switch (o) {
	case O_PENDING:
		return "pending";
	case O_SELECTED:
		return "selected";
	case O_IGNORED:
		return "ignored";
	case O_REFUSED:
		return "refused";
	case O_ERROR:
		return "error";
	}
	return "error";
}

static void
classify(struct probe *p)
{
	const struct tk_result *r = &p->r;

	if (r->handshake_done) {
		p->out = r->tls.alpn_negotiated ? O_SELECTED : O_IGNORED;
	} else if (r->err.gnutls_rc == GNUTLS_E_FATAL_ALERT_RECEIVED &&
	    r->tls.fatal_alert == GNUTLS_A_NO_APPLICATION_PROTOCOL) {
		p->out = O_REFUSED;
	} else {
		p->out = O_ERROR;
	}
}

static void after_probe(struct app *a, struct probe *p);

static void
on_conn(struct tk_conn *c, void *arg)
{
	struct probe *p = arg;

	classify(p);
	if (tk_conn_ready(c)) {
		tk_tls_bye(tk_conn_tls(c), false);
	}
	tk_conn_free(c);
	p->conn = NULL;
	p->app->running--;
	after_probe(p->app, p);
}

static void
start_probe(struct app *a, struct probe *p, char **names, size_t n)
{
	struct tk_conn_conf cc;
	struct tk_err e;

	tk_err_clear(&e);
	p->app = a;
	p->offer.names = names;
	p->offer.n = n;
	p->out = O_PENDING;
	tk_result_init(&p->r, TOOL, a->s.args[0]);
	memset(&cc, 0, sizeof(cc));
	cc.target = a->target;
	cc.hostname = a->s.hostname != NULL ? a->d.hostname : NULL;
	cc.no_sni = a->s.no_sni;
	cc.insecure = a->s.insecure;
	cc.check = &a->d.check;
	cc.family = a->s.ipv4 ? AF_INET : a->s.ipv6 ? AF_INET6 : AF_UNSPEC;
	cc.timeout_ms = (unsigned)(a->s.timeout * 1000);
	cc.starttls = a->s.starttls;
	cc.priority = a->d.priority;
	cc.alpn = &p->offer;
	cc.creds = a->creds;
	cc.resolver = a->res;
	cc.proxy = tk_proxy_use(&a->d.proxy, cc.target.host) ?
	    &a->d.proxy.proxy : NULL;
	cc.deadline_ms = a->d.deadline_ms;
	cc.deadline_total_ms = a->d.deadline_total_ms;
	a->running++;
	p->conn = tk_conn_new(a->loop, &cc, &p->r, on_conn, p, &e);
	if (p->conn == NULL) {
		p->r.err = e;
		p->r.cls = e.cls;
		p->out = O_ERROR;
		a->running--;
		after_probe(a, p);
		return;
	}
	tk_conn_start(p->conn);
}

static void
maybe_stop(struct app *a)
{
	if (a->running == 0 && a->next_each == a->neach &&
	    a->order_pending == 0) {
		tk_loop_stop(a->loop);
	}
}

static void
start_round(struct app *a)
{
	/* server preference: the winner of the rest is the next preferred */
	a->order_pending++;
	start_probe(a, &a->round, a->remaining, a->nremaining);
}

static void
order_step(struct app *a, struct probe *p)
{
	a->order_pending--;
	if (p == &a->round) {
		size_t k;

		if (p->out != O_SELECTED) {
			a->mode = ORDER_MIXED;
			maybe_stop(a);
			return;
		}
		for (k = 0; k < a->nremaining; k++) {
			if (strcmp(a->remaining[k], p->r.tls.alpn) == 0) {
				break;
			}
		}
		if (k == a->nremaining) {
			a->mode = ORDER_MIXED;
			maybe_stop(a);
			return;
		}
		a->pref[a->npref++] = a->remaining[k];
		memmove(&a->remaining[k], &a->remaining[k + 1],
		    (a->nremaining - k - 1) * sizeof(char *));
		a->nremaining--;
		tk_result_release(&p->r);
		if (a->nremaining == 1) {
			a->pref[a->npref++] = a->remaining[0];
		} else {
			start_round(a);
		}
		maybe_stop(a);
		return;
	}
	if (a->order_pending > 0) {
		return;  /* wait for the other of the two */
	}
	if (a->fwd.out != O_SELECTED || a->rev.out != O_SELECTED) {
		a->mode = ORDER_MIXED;
	} else if (strcmp(a->fwd.r.tls.alpn, a->rev.r.tls.alpn) == 0) {
		a->mode = ORDER_SERVER;
		memcpy(a->remaining, a->accepted,
		    a->naccepted * sizeof(char *));
		a->nremaining = a->naccepted;
		/* the forward probe was the first round */
		for (size_t k = 0; k < a->nremaining; k++) {
			if (strcmp(a->remaining[k], a->fwd.r.tls.alpn) == 0) {
				a->pref[a->npref++] = a->remaining[k];
				memmove(&a->remaining[k],
				    &a->remaining[k + 1],
				    (a->nremaining - k - 1) *
				    sizeof(char *));
				a->nremaining--;
				break;
			}
		}
		if (a->nremaining == 1) {
			a->pref[a->npref++] = a->remaining[0];
		} else if (a->nremaining > 1) {
			start_round(a);
		}
	} else if (strcmp(a->fwd.r.tls.alpn, a->accepted[0]) == 0 &&
	    strcmp(a->rev.r.tls.alpn,
	    a->accepted[a->naccepted - 1]) == 0) {
		a->mode = ORDER_CLIENT;
	} else {
		a->mode = ORDER_MIXED;
	}
	maybe_stop(a);
}

static void
start_order(struct app *a)
{
	for (size_t i = 0; i < a->neach && a->naccepted < TK_ALPN_GNUTLS_MAX;
	     i++) {
		if (a->each[i].out == O_SELECTED) {
			a->accepted[a->naccepted++] = a->each[i].offer.names[0];
		}
	}
	if (a->naccepted < 2) {
		a->mode = ORDER_NONE;
		return;
	}
	for (size_t i = 0; i < a->naccepted; i++) {
		a->reversed[i] = a->accepted[a->naccepted - 1 - i];
	}
	a->order_pending = 2;
	start_probe(a, &a->fwd, a->accepted, a->naccepted);
	start_probe(a, &a->rev, a->reversed, a->naccepted);
}

static void
start_more_each(struct app *a)
{
	while (a->running < a->s.parallel && a->next_each < a->neach) {
		struct probe *p = &a->each[a->next_each++];

		start_probe(a, p, p->offer.names, 1);
	}
}

static void
after_probe(struct app *a, struct probe *p)
{
	if (p == &a->fwd || p == &a->rev || p == &a->round) {
		order_step(a, p);
		return;
	}
	if (p != &a->main) {
		a->each_done++;
		start_more_each(a);
		if (a->each_done == a->neach && a->s.order) {
			start_order(a);
		}
	}
	maybe_stop(a);
}

static const char *
alert_of(const struct probe *p, char *buf, size_t len)
{
	if (p->r.err.gnutls_rc != GNUTLS_E_FATAL_ALERT_RECEIVED) {
		return NULL;
	}
	return tk_tls_alert_code(p->r.tls.fatal_alert, buf, len);
}

static const char *
each_word(enum outcome o)
{
	return o == O_SELECTED ? "accepted" : outcome_name(o);
}

static const char *
mode_name(enum order_mode m)
{
	switch (m) {
	case ORDER_NONE:
		return "undetermined";
	case ORDER_SERVER:
		return "server";
	case ORDER_CLIENT:
		return "client";
	case ORDER_MIXED:
		return "inconsistent";
	}
	return "undetermined";
}

static void
join(char *const *names, size_t n, const char *sep, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && o + 1 < len; i++) {
		char esc[TK_ALPN_NAME_MAX * 4 + 1];

		tk_escape(names[i], strlen(names[i]), esc, sizeof(esc));
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? sep : "",
		    esc);
	}
}

static bool
expect_met(const struct app *a)
{
	if (a->s.expect == NULL || !a->main_used) {
		return true;
	}
	if (strcmp(a->s.expect, "none") == 0) {
		return a->main.out == O_IGNORED;
	}
	return a->main.out == O_SELECTED &&
	    strcmp(a->main.r.tls.alpn, a->s.expect) == 0;
}

static const char *
describe(const struct probe *p, char *buf, size_t len)
{
	char esc[TK_ALPN_NAME_MAX * 4 + 1];

	switch (p->out) {
	case O_SELECTED:
		tk_escape(p->r.tls.alpn, strlen(p->r.tls.alpn), esc,
		    sizeof(esc));
		snprintf(buf, len, "selected %s", esc);
		break;
	case O_IGNORED:
		snprintf(buf, len, "ignored (no ALPN in the server's answer)");
		break;
	case O_REFUSED:
		snprintf(buf, len, "refused (alert no_application_protocol)");
		break;
	case O_PENDING:
	case O_ERROR:
		tk_escape(p->r.err.msg, strlen(p->r.err.msg), esc,
		    sizeof(esc));
		snprintf(buf, len, "error: %s: %s",
		    p->r.err.step ? p->r.err.step : "?", esc);
		break;
	}
	return buf;
}

static void
print_text(const struct app *a)
{
	char list[4096], d[1200];

	if (a->main_used) {
		join(a->main.offer.names, a->main.offer.n, ",", list,
		    sizeof(list));
		printf("offered %s: %s\n", list, describe(&a->main, d,
		    sizeof(d)));
	}
	if (a->neach > 0) {
		for (size_t i = 0; i < a->neach; i++) {
			const struct probe *p = &a->each[i];
			char esc[TK_ALPN_NAME_MAX * 4 + 1];

			tk_escape(p->offer.names[0],
			    strlen(p->offer.names[0]), esc, sizeof(esc));
			printf("  %-20s %s", esc, each_word(p->out));
			if (p->out == O_ERROR) {
				printf(" (%s)", describe(p, d, sizeof(d)));
			} else if (p->out == O_SELECTED &&
			    strcmp(p->r.tls.alpn, p->offer.names[0]) != 0) {
				printf(" (the server answered another "
				    "protocol)");
			}
			putchar('\n');
		}
	}
	if (a->s.order) {
		switch (a->mode) {
		case ORDER_SERVER:
			join(a->pref, a->npref, " > ", list, sizeof(list));
			printf("order: server preference: %s\n", list);
			break;
		case ORDER_CLIENT:
			printf("order: client preference (the server takes "
			    "the first protocol the client offers)\n");
			break;
		case ORDER_MIXED:
			printf("order: inconsistent (the selection follows "
			    "neither order)\n");
			break;
		case ORDER_NONE:
			printf("order: undetermined (fewer than two "
			    "protocols accepted)\n");
			break;
		}
	}
	if (a->s.expect != NULL && a->main_used) {
		printf("expect %s: %s\n", a->s.expect,
		    expect_met(a) ? "met" : "not met");
	}
}

static json_t *
json_names(char *const *names, size_t n)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < n; i++) {
		char esc[TK_ALPN_NAME_MAX * 4 + 1];

		tk_escape(names[i], strlen(names[i]), esc, sizeof(esc));
		json_array_append_new(arr, json_string(esc));
	}
	return arr;
}

static json_t *
json_probe(const struct probe *p)
{
	json_t *o = json_object();
	char abuf[48];
	const char *al = alert_of(p, abuf, sizeof(abuf));

	json_object_set_new(o, "offered", json_names(p->offer.names,
	    p->offer.n));
	json_object_set_new(o, "outcome", json_string(outcome_name(p->out)));
	json_object_set_new(o, "selected", p->out == O_SELECTED ?
	    json_string(p->r.tls.alpn) : json_null());
	json_object_set_new(o, "alert", al != NULL ? json_string(al) :
	    json_null());
	json_object_set_new(o, "error", p->out == O_ERROR ?
	    json_string(p->r.err.msg) : json_null());
	return o;
}

static void
print_json(const struct app *a, enum tk_class cls)
{
	json_t *o = NULL, *arr;
	const struct probe *first = a->main_used ? &a->main :
	    a->neach > 0 ? &a->each[0] : NULL;

	/* the generic result of the first probe carries TLS and chain */
	if (first != NULL) {
		o = tk_report_json_object(&first->r);
	}
	if (o == NULL) {
		o = json_object();
	}
	json_object_set_new(o, "tool", json_string(TOOL));
	json_object_set_new(o, "probe", a->main_used ? json_probe(&a->main) :
	    json_null());
	if (a->neach > 0) {
		arr = json_array();
		for (size_t i = 0; i < a->neach; i++) {
			json_t *e = json_probe(&a->each[i]);

			json_object_set_new(e, "protocol",
			    json_string(a->each[i].offer.names[0]));
			json_object_set_new(e, "result",
			    json_string(each_word(a->each[i].out)));
			json_array_append_new(arr, e);
		}
		json_object_set_new(o, "each", arr);
	} else {
		json_object_set_new(o, "each", json_null());
	}
	if (a->s.order) {
		json_t *ord = json_object();

		json_object_set_new(ord, "mode",
		    json_string(mode_name(a->mode)));
		json_object_set_new(ord, "preference",
		    a->mode == ORDER_SERVER ? json_names(a->pref, a->npref) :
		    json_null());
		json_object_set_new(ord, "accepted",
		    json_names(a->accepted, a->naccepted));
		json_object_set_new(o, "order", ord);
	} else {
		json_object_set_new(o, "order", json_null());
	}
	if (a->s.expect != NULL) {
		json_t *ex = json_object();

		json_object_set_new(ex, "protocol", json_string(a->s.expect));
		json_object_set_new(ex, "met", json_boolean(expect_met(a)));
		json_object_set_new(o, "expect", ex);
	} else {
		json_object_set_new(o, "expect", json_null());
	}
	json_object_set_new(o, "exit_code",
	    json_integer(tk_err_exit_code(cls)));
	tk_report_json_write(o, stdout);
	json_decref(o);
}

/* The exit class: --expect, the single offer's refusal, probe errors. */
static enum tk_class
outcome_class(struct app *a, struct tk_err *why)
{
	enum tk_class cls = TK_OK;
	const struct probe *first = a->main_used ? &a->main :
	    a->neach > 0 ? &a->each[0] : NULL;

	for (size_t i = 0; i < a->neach; i++) {
		if (a->each[i].out == O_ERROR) {
			cls = tk_class_worst(cls, a->each[i].r.err.cls);
			if (!tk_err_is_set(why)) {
				*why = a->each[i].r.err;
			}
		}
	}
	if (a->main_used && a->main.out != O_SELECTED &&
	    a->main.out != O_IGNORED) {
		cls = tk_class_worst(cls, a->main.r.err.cls);
		*why = a->main.r.err;
	}
	if (first != NULL && first->r.cls == TK_CHECK) {
		cls = tk_class_worst(cls, TK_CHECK);
		if (!tk_err_is_set(why)) {
			*why = first->r.err;
		}
	} else if (first != NULL && first->r.cls == TK_WARN) {
		/* the chain's warnings: exit 5 as in every client tool */
		cls = tk_class_worst(cls, TK_WARN);
	}
	if (!expect_met(a)) {
		char d[1200];

		cls = tk_class_worst(cls, TK_CHECK);
		tk_err_clear(why);
		tk_err_set(why, TK_CHECK, "expect", "expected ALPN '%s', the "
		    "server %s", a->s.expect, describe(&a->main, d,
		    sizeof(d)));
	}
	return cls;
}

static int
prepare(struct app *a, struct tk_err *e)
{
	const char *list = a->s.alpn;

	if (tk_target_parse(a->s.args[0], 443, &a->target, e) < 0 ||
	    tk_settings_derive(TK_TOOL_ALPN_PROBE, &a->s, &a->d, e) < 0) {
		return -1;
	}
	if (a->target.scheme[0] != '\0' && strcmp(a->target.scheme,
	    "https") != 0) {
		return tk_err_set(e, TK_USAGE, "target", "%s takes "
		    "HOST[:PORT] or an https:// URL, not '%s'", TOOL,
		    a->s.args[0]);
	}
	if (a->s.expect != NULL && strcmp(a->s.expect, "none") != 0) {
		struct tk_alpn one;

		if (tk_alpn_parse(a->s.expect, &one, e) < 0) {
			return -1;
		}
		if (one.n != 1) {
			tk_alpn_clear(&one);
			return tk_err_set(e, TK_USAGE, "options",
			    "--expect takes one protocol, not a list");
		}
		tk_alpn_clear(&one);
	}
	a->main_used = true;
	if (list == NULL) {
		if (a->s.each || a->s.order) {
			/* the whole registry, one protocol at a time */
			a->main_used = false;
			a->list.names = calloc(tk_alpn_nregistry,
			    sizeof(char *));
			if (a->list.names == NULL) {
				return tk_err_set(e, TK_INTERNAL, "options",
				    "out of memory");
			}
			for (size_t i = 0; i < tk_alpn_nregistry; i++) {
				a->list.names[i] =
				    strdup(tk_alpn_registry[i].id);
				if (a->list.names[i] == NULL) {
					return tk_err_set(e, TK_INTERNAL,
					    "options", "out of memory");
				}
				a->list.n++;
			}
		} else if (tk_alpn_parse(DEFAULT_LIST, &a->list, e) < 0) {
			return -1;
		}
	} else {
		a->list = a->d.alpn;
		memset(&a->d.alpn, 0, sizeof(a->d.alpn));
	}
	for (size_t i = 0; i < a->list.n; i++) {
		/* every name is offered at least alone: GnuTLS must take it */
		struct tk_alpn one = { .names = &a->list.names[i], .n = 1 };

		if (tk_alpn_check_gnutls(&one, e) < 0) {
			return -1;
		}
	}
	if (a->main_used && a->list.n > TK_ALPN_GNUTLS_MAX) {
		/* too many for one handshake: only --each can probe them */
		a->main_used = false;
	}
	if (a->s.expect != NULL && !a->main_used) {
		return tk_err_set(e, TK_USAGE, "options", "--expect needs a "
		    "list of at most %d protocols to offer in one handshake",
		    TK_ALPN_GNUTLS_MAX);
	}
	if (!a->main_used && !a->s.each && !a->s.order) {
		return tk_alpn_check_gnutls(&a->list, e);
	}
	a->creds = tk_creds_new(&a->d.creds, e);
	return a->creds == NULL ? -1 : 0;
}

static int
run(struct app *a, struct tk_err *e)
{
	tk_tls_set_debug((int)a->s.debug);
	a->loop = tk_loop_new(e);
	if (a->loop == NULL) {
		return -1;
	}
	a->res = tk_resolver_new(a->loop, e);
	if (a->res == NULL) {
		return -1;
	}
	tk_resolver_set_map(a->res, &a->d.resolve);
	if (a->s.each || a->s.order) {
		/* --order needs to know what is accepted: it implies --each */
		a->each = calloc(a->list.n, sizeof(*a->each));
		if (a->each == NULL) {
			return tk_err_set(e, TK_INTERNAL, "probe",
			    "out of memory");
		}
		a->neach = a->list.n;
		for (size_t i = 0; i < a->neach; i++) {
			a->each[i].offer.names = &a->list.names[i];
			a->each[i].offer.n = 1;
		}
	}
	if (a->main_used) {
		start_probe(a, &a->main, a->list.names, a->list.n);
	}
	start_more_each(a);
	maybe_stop(a);
	return tk_loop_run(a->loop, e);
}

static void
release(struct probe *p)
{
	tk_conn_free(p->conn);
	tk_result_release(&p->r);
}

int
main(int argc, char **argv)
{
	static struct app a;
	struct tk_err e, why;
	enum tk_class cls;

	signal(SIGPIPE, SIG_IGN);
	tk_err_clear(&e);
	tk_err_clear(&why);
	if (tk_opts_parse(TK_TOOL_ALPN_PROBE, argc, argv, &a.s, &e) < 0) {
		tk_report_error_line(TOOL, NULL, &e, stderr);
		return tk_err_exit_code(e.cls);
	}
	if (a.s.help) {
		tk_opts_help(TK_TOOL_ALPN_PROBE, stdout);
		return 0;
	}
	if (a.s.version) {
		tk_opts_version(TK_TOOL_ALPN_PROBE, stdout);
		return 0;
	}
	if (a.s.list_options) {
		tk_opts_list(TK_TOOL_ALPN_PROBE, stdout);
		return 0;
	}
	if (prepare(&a, &e) < 0 || run(&a, &e) < 0) {
		tk_report_error_line(TOOL, a.s.nargs ? a.s.args[0] : NULL, &e,
		    stderr);
		cls = e.cls;
		goto out;
	}
	cls = outcome_class(&a, &why);
	if (a.s.json) {
		print_json(&a, cls);
	} else {
		print_text(&a);
	}
	if (!a.s.json && !a.s.quiet) {
		const struct probe *first = a.main_used ? &a.main :
		    a.neach > 0 ? &a.each[0] : NULL;

		if (first != NULL) {
			tk_report_warnings(TOOL, &first->r, stderr);
		}
	}
	if (tk_err_is_set(&why) && !a.s.quiet) {
		tk_report_error_line(TOOL, a.s.args[0], &why, stderr);
	}
out:
	fflush(stdout);
	release(&a.main);
	release(&a.fwd);
	release(&a.rev);
	release(&a.round);
	for (size_t i = 0; i < a.neach; i++) {
		release(&a.each[i]);
	}
	free(a.each);
	tk_alpn_clear(&a.list);
	tk_alpn_clear(&a.d.alpn);
	tk_resolver_free(a.res);
	tk_loop_free(a.loop);
	tk_creds_unref(a.creds);
	return tk_err_exit_code(cls);
}
