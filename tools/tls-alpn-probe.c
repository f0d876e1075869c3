/*
 * tls-alpn-probe: which application protocols a server accepts, which it
 * selects for a list, and in which order it prefers them (RFC 7301).
 * The probing is lib/alpnprobe's; this file wires the options and prints.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alpnprobe.h"
#include "escape.h"
#include "report.h"
#include "tool.h"

#include "banned.h"

#define TOOL "tls-alpn-probe"

struct app {
	struct tk_tool_ctx t;
	struct tk_target target;
	struct tk_alpn list;         /* what the user asked about, owned */
	bool whole;                  /* the whole list in one handshake */
	struct tk_alpnprobe *ap;
	/* after the run: what the engine found */
	const struct tk_alpn_probe *main;   /* NULL unless whole */
	size_t neach;
	enum tk_alpn_order mode;
	char *const *accepted, *const *pref;
	size_t naccepted, npref;
};

static const struct tk_alpn_probe *
each(const struct app *a, size_t i)
{
	return tk_alpnprobe_each(a->ap, i);
}

static const char *
each_word(enum tk_alpn_outcome o)
{
	return o == TK_ALPN_SELECTED ? "accepted" : tk_alpn_outcome_name(o);
}

static bool
expect_met(const struct app *a)
{
	return a->main == NULL ||
	    tk_alpn_probe_expect(a->main, a->t.s.expect);
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

static void
print_text(const struct app *a)
{
	char list[4096], d[1200];

	if (a->main != NULL) {
		join(a->main->offer.names, a->main->offer.n, ",", list,
		    sizeof(list));
		printf("offered %s: %s\n", list,
		    tk_alpn_probe_describe(a->main, d, sizeof(d)));
	}
	for (size_t i = 0; i < a->neach; i++) {
		const struct tk_alpn_probe *p = each(a, i);
		char esc[TK_ALPN_NAME_MAX * 4 + 1];

		tk_escape(p->offer.names[0], strlen(p->offer.names[0]), esc,
		    sizeof(esc));
		printf("  %-20s %s", esc, each_word(p->out));
		if (p->out == TK_ALPN_ERROR) {
			printf(" (%s)",
			    tk_alpn_probe_describe(p, d, sizeof(d)));
		} else if (p->out == TK_ALPN_SELECTED &&
		    strcmp(p->r.tls.alpn, p->offer.names[0]) != 0) {
			printf(" (the server answered another protocol)");
		}
		putchar('\n');
	}
	if (a->t.s.order) {
		switch (a->mode) {
		case TK_ALPN_ORDER_SERVER:
			join(a->pref, a->npref, " > ", list, sizeof(list));
			printf("order: server preference: %s\n", list);
			break;
		case TK_ALPN_ORDER_CLIENT:
			printf("order: client preference (the server takes "
			    "the first protocol the client offers)\n");
			break;
		case TK_ALPN_ORDER_MIXED:
			printf("order: inconsistent (the selection follows "
			    "neither order)\n");
			break;
		case TK_ALPN_ORDER_NONE:
			printf("order: undetermined (fewer than two "
			    "protocols accepted)\n");
			break;
		}
	}
	if (a->t.s.expect != NULL && a->main != NULL) {
		printf("expect %s: %s\n", a->t.s.expect,
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
json_probe(const struct tk_alpn_probe *p)
{
	json_t *o = json_object();
	char abuf[48];
	const char *al = tk_alpn_probe_alert(p, abuf,
	    sizeof(abuf));

	json_object_set_new(o, "offered", json_names(p->offer.names,
	    p->offer.n));
	json_object_set_new(o, "outcome",
	    json_string(tk_alpn_outcome_name(p->out)));
	json_object_set_new(o, "selected", p->out == TK_ALPN_SELECTED ?
	    json_string(p->r.tls.alpn) : json_null());
	json_object_set_new(o, "alert", al != NULL ? json_string(al) :
	    json_null());
	json_object_set_new(o, "error", p->out == TK_ALPN_ERROR ?
	    json_string(p->r.err.msg) : json_null());
	return o;
}

static void
print_json(const struct app *a, enum tk_class cls)
{
	json_t *o = NULL, *arr;
	const struct tk_alpn_probe *p0 = tk_alpnprobe_first(a->ap);

	/* the generic result of the first probe carries TLS and chain */
	if (p0 != NULL) {
		o = tk_report_json_object(&p0->r);
	}
	if (o == NULL) {
		o = json_object();
	}
	json_object_set_new(o, "tool", json_string(TOOL));
	json_object_set_new(o, "probe", a->main != NULL ? json_probe(a->main) :
	    json_null());
	if (a->neach > 0) {
		arr = json_array();
		for (size_t i = 0; i < a->neach; i++) {
			const struct tk_alpn_probe *p = each(a, i);
			json_t *e = json_probe(p);

			json_object_set_new(e, "protocol",
			    json_string(p->offer.names[0]));
			json_object_set_new(e, "result",
			    json_string(each_word(p->out)));
			json_array_append_new(arr, e);
		}
		json_object_set_new(o, "each", arr);
	} else {
		json_object_set_new(o, "each", json_null());
	}
	if (a->t.s.order) {
		json_t *ord = json_object();

		json_object_set_new(ord, "mode",
		    json_string(tk_alpn_order_name(a->mode)));
		json_object_set_new(ord, "preference",
		    a->mode == TK_ALPN_ORDER_SERVER ?
		    json_names(a->pref, a->npref) : json_null());
		json_object_set_new(ord, "accepted",
		    json_names(a->accepted, a->naccepted));
		json_object_set_new(o, "order", ord);
	} else {
		json_object_set_new(o, "order", json_null());
	}
	if (a->t.s.expect != NULL) {
		json_t *ex = json_object();

		json_object_set_new(ex, "protocol",
		    json_string(a->t.s.expect));
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
	const struct tk_alpn_probe *p0 = tk_alpnprobe_first(a->ap);

	for (size_t i = 0; i < a->neach; i++) {
		if (each(a, i)->out == TK_ALPN_ERROR) {
			cls = tk_class_worst(cls, each(a, i)->r.err.cls);
			if (!tk_err_is_set(why)) {
				*why = each(a, i)->r.err;
			}
		}
	}
	if (a->main != NULL && a->main->out != TK_ALPN_SELECTED &&
	    a->main->out != TK_ALPN_IGNORED) {
		cls = tk_class_worst(cls, a->main->r.err.cls);
		*why = a->main->r.err;
	}
	if (p0 != NULL && p0->r.cls == TK_CHECK) {
		cls = tk_class_worst(cls, TK_CHECK);
		if (!tk_err_is_set(why)) {
			*why = p0->r.err;
		}
	} else if (p0 != NULL && p0->r.cls == TK_WARN) {
		/* the chain's warnings: exit 5 as in every client tool */
		cls = tk_class_worst(cls, TK_WARN);
	}
	if (!expect_met(a)) {
		char d[1200];

		cls = tk_class_worst(cls, TK_CHECK);
		tk_err_clear(why);
		tk_err_set(why, TK_CHECK, "expect", "expected ALPN '%s', the "
		    "server %s", a->t.s.expect,
		    tk_alpn_probe_describe(a->main, d, sizeof(d)));
	}
	return cls;
}

static int
prepare(struct app *a, struct tk_err *e)
{
	if (tk_target_parse(a->t.s.args[0], 443, &a->target, e) < 0 ||
	    tk_tool_derive(&a->t, e) < 0) {
		return -1;
	}
	if (a->target.scheme[0] != '\0' && strcmp(a->target.scheme,
	    "https") != 0) {
		return tk_err_set(e, TK_USAGE, "target", "%s takes "
		    "HOST[:PORT] or an https:// URL, not '%s'", TOOL,
		    a->t.s.args[0]);
	}
	if (a->t.s.expect != NULL && strcmp(a->t.s.expect, "none") != 0) {
		struct tk_alpn one;

		if (tk_alpn_parse(a->t.s.expect, &one, e) < 0) {
			return -1;
		}
		if (one.n != 1) {
			tk_alpn_clear(&one);
			return tk_err_set(e, TK_USAGE, "options",
			    "--expect takes one protocol, not a list");
		}
		tk_alpn_clear(&one);
	}
	if (tk_alpnprobe_list(a->t.s.alpn != NULL ? &a->t.d.alpn : NULL,
	    a->t.s.each || a->t.s.order, &a->list, &a->whole, e) < 0) {
		return -1;
	}
	if (a->t.s.expect != NULL && !a->whole) {
		return tk_err_set(e, TK_USAGE, "options", "--expect needs a "
		    "list of at most %d protocols to offer in one handshake",
		    TK_ALPN_GNUTLS_MAX);
	}
	if (!a->whole && !a->t.s.each && !a->t.s.order) {
		return tk_alpn_check_gnutls(&a->list, e);
	}
	return tk_tool_creds(&a->t, e);
}

static void
on_done(void *arg)
{
	tk_loop_stop(((struct app *)arg)->t.loop);
}

static int
run(struct app *a, struct tk_err *e)
{
	struct tk_alpnprobe_conf pc;
	struct tk_conn_conf cc;

	if (tk_tool_loop(&a->t, e) < 0) {
		return -1;
	}
	tk_tool_conn_conf(&a->t, &a->target, &cc);
	cc.no_verify = false;   /* the chain is judged as the options say */
	cc.insecure = a->t.s.insecure;
	cc.check = &a->t.d.check;
	cc.starttls = a->t.s.starttls;
	memset(&pc, 0, sizeof(pc));
	pc.cc = &cc;
	pc.tool = TOOL;
	pc.target = a->t.s.args[0];
	pc.list = &a->list;
	pc.whole = a->whole;
	pc.each = a->t.s.each;
	pc.order = a->t.s.order;
	pc.parallel = a->t.s.parallel;
	a->ap = tk_alpnprobe_new(a->t.loop, &pc, on_done, a, e);
	if (a->ap == NULL) {
		return -1;
	}
	tk_alpnprobe_start(a->ap);
	if (tk_loop_run(a->t.loop, e) < 0) {
		return -1;
	}
	a->main = tk_alpnprobe_whole(a->ap);
	a->neach = tk_alpnprobe_neach(a->ap);
	a->mode = tk_alpnprobe_order(a->ap, &a->accepted, &a->naccepted,
	    &a->pref, &a->npref);
	return 0;
}

int
main(int argc, char **argv)
{
	static struct app a;
	struct tk_err e, why;
	enum tk_class cls;
	const struct tk_alpn_probe *p0;
	int rc;

	tk_err_clear(&e);
	tk_err_clear(&why);
	rc = tk_tool_start(&a.t, TK_TOOL_ALPN_PROBE, TOOL, argc, argv);
	if (rc >= 0) {
		return rc;
	}
	if (prepare(&a, &e) < 0 || run(&a, &e) < 0) {
		tk_report_error_line(TOOL, a.t.s.nargs ? a.t.s.args[0] : NULL,
		    &e, stderr);
		cls = e.cls;
		goto out;
	}
	cls = outcome_class(&a, &why);
	if (a.t.s.json) {
		print_json(&a, cls);
	} else {
		print_text(&a);
	}
	p0 = tk_alpnprobe_first(a.ap);
	if (!a.t.s.json && !a.t.s.quiet && p0 != NULL) {
		tk_report_warnings(TOOL, &p0->r, stderr);
	}
	if (tk_err_is_set(&why) && !a.t.s.quiet) {
		tk_report_error_line(TOOL, a.t.s.args[0], &why, stderr);
	}
out:
	fflush(stdout);
	tk_alpnprobe_free(a.ap);
	tk_alpn_clear(&a.list);
	tk_tool_end(&a.t);
	return tk_err_exit_code(cls);
}
