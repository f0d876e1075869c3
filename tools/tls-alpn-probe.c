/*
 * tls-alpn-probe: which application protocols a server accepts, which it
 * selects for a list, and in which order it prefers them (RFC 7301).
 * Many targets run at once on one loop (lib/runner), results in input
 * order; each target's probes are lib/alpntarget's (over lib/alpnprobe).
 * This file wires the options and prints.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alpntarget.h"
#include "escape.h"
#include "report.h"
#include "runner.h"
#include "tool.h"

#include "banned.h"

#define TOOL "tls-alpn-probe"

struct app {
	struct tk_tool_ctx t;
	struct tk_runner *rn;
	struct tk_alpntarget_conf ac;
	size_t ntargets;             /* after --shard */
	struct tk_tally tally;        /* results emitted */
	char bad[1024];              /* the target the check refused */
};

/* One target of the runner. */
struct job {
	struct tk_alpntarget at;
	struct app *app;
};

static const struct tk_alpn_probe *
each(const struct tk_alpntarget *a, size_t i)
{
	return tk_alpnprobe_each(a->ap, i);
}

static const char *
each_word(enum tk_alpn_outcome o)
{
	return o == TK_ALPN_SELECTED ? "accepted" : tk_alpn_outcome_name(o);
}

static bool
expect_met(const struct tk_alpntarget *a)
{
	return a->main == NULL ||
	    tk_alpn_probe_expect(a->main, a->conf->t->s.expect);
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

/* --each: "accepted: h2, http/1.1; 3 refused" (then ignored, errors) */
static void
print_summary(const struct tk_alpntarget *a)
{
	size_t n[TK_ALPN_ERROR + 1] = { 0 }, o;
	char line[4096];

	o = (size_t)snprintf(line, sizeof(line), "accepted:");
	for (size_t i = 0; i < a->neach; i++) {
		const struct tk_alpn_probe *p = each(a, i);
		char esc[TK_ALPN_NAME_MAX * 4 + 1];

		if (p->out == TK_ALPN_SELECTED && o + 1 < sizeof(line)) {
			tk_escape(p->offer.names[0],
			    strlen(p->offer.names[0]), esc, sizeof(esc));
			o += (size_t)snprintf(line + o, sizeof(line) - o,
			    "%s %s", n[TK_ALPN_SELECTED] ? "," : "", esc);
		}
		n[p->out]++;
	}
	if (n[TK_ALPN_SELECTED] == 0) {
		snprintf(line + o, sizeof(line) - o, " none");
	}
	printf("%s; %zu refused", line, n[TK_ALPN_REFUSED]);
	if (n[TK_ALPN_IGNORED] > 0) {
		printf("; %zu ignored", n[TK_ALPN_IGNORED]);
	}
	if (n[TK_ALPN_ERROR] + n[TK_ALPN_PENDING] > 0) {
		printf("; %zu %s", n[TK_ALPN_ERROR] + n[TK_ALPN_PENDING],
		    n[TK_ALPN_ERROR] + n[TK_ALPN_PENDING] == 1 ? "error" :
		    "errors");
	}
	putchar('\n');
}

static void
print_text(const struct tk_alpntarget *a)
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
		} else if (p->out == TK_ALPN_REFUSED &&
		    strcmp(tk_alpn_probe_describe(p, d, sizeof(d)),
		    "refused (alert no_application_protocol)") != 0) {
			/* another alert than RFC 7301's: name it */
			printf(" %s", d + strlen("refused "));
		} else if (p->out == TK_ALPN_SELECTED &&
		    strcmp(p->r.tls.alpn, p->offer.names[0]) != 0) {
			printf(" (the server answered another protocol)");
		}
		putchar('\n');
	}
	if (a->conf->t->s.order) {
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
	if (a->conf->t->s.expect != NULL && a->main != NULL) {
		printf("expect %s: %s\n", a->conf->t->s.expect,
		    expect_met(a) ? "met" : "not met");
	}
	if (a->neach > 0) {
		print_summary(a);
	}
}

static json_t *
json_names(char *const *names, size_t n)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < n; i++) {
		json_array_append_new(arr, tk_report_json_str(names[i],
		    strlen(names[i])));
	}
	return arr;
}

static json_t *
json_probe(const struct tk_alpn_probe *p)
{
	json_t *o = json_object();
	char abuf[48];
	const char *al = tk_alpn_probe_alert(p, abuf, sizeof(abuf));

	json_object_set_new(o, "offered", json_names(p->offer.names,
	    p->offer.n));
	json_object_set_new(o, "outcome",
	    json_string(tk_alpn_outcome_name(p->out)));
	json_object_set_new(o, "selected", p->out == TK_ALPN_SELECTED ?
	    tk_report_json_str(p->r.tls.alpn, strlen(p->r.tls.alpn)) :
	    json_null());
	json_object_set_new(o, "alert", al != NULL ? json_string(al) :
	    json_null());
	json_object_set_new(o, "error", p->out == TK_ALPN_ERROR ?
	    tk_report_json_str(p->r.err.msg, strlen(p->r.err.msg)) :
	    json_null());
	return o;
}

static void
print_json(const struct tk_alpntarget *a, enum tk_class cls)
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
	if (a->conf->t->s.order) {
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
	if (a->conf->t->s.expect != NULL) {
		json_t *ex = json_object();

		json_object_set_new(ex, "protocol",
		    json_string(a->conf->t->s.expect));
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

/* Several targets: one line each, the verdict first (as tls-check-cert) */
static void
print_brief(const struct tk_alpntarget *j, enum tk_class cls)
{
	const struct tk_settings *s = &j->conf->t->s;
	char esc[1024], list[4096], d[1200];
	size_t n = 0;

	tk_escape(j->text, strlen(j->text), esc, sizeof(esc));
	printf("%-7s %s: ", tk_outcome_word(cls == TK_OK ? TK_OUTCOME_OK :
	    cls == TK_WARN ? TK_OUTCOME_WARNING : cls == TK_CHECK ?
	    TK_OUTCOME_FAIL : TK_OUTCOME_ERROR), esc);
	if (j->main != NULL) {
		join(j->main->offer.names, j->main->offer.n, ",", list,
		    sizeof(list));
		printf("offered %s: %s", list,
		    tk_alpn_probe_describe(j->main, d, sizeof(d)));
	} else {
		for (size_t i = 0; i < j->neach; i++) {
			n += each(j, i)->out == TK_ALPN_SELECTED;
		}
		printf("%zu of %zu protocols accepted", n, j->neach);
	}
	if (s->order) {
		printf("; order: %s", tk_alpn_order_name(j->mode));
	}
	if (s->expect != NULL && j->main != NULL) {
		printf("; expect %s: %s", s->expect,
		    expect_met(j) ? "met" : "not met");
	}
	putchar('\n');
}

static void
job_done(void *arg)
{
	struct job *j = arg;

	tk_runner_done(j->app->rn, j);
}

/* The runner starts a target. */
static void
start_job(void *arg, void *p, const char *text)
{
	struct app *a = arg;
	struct job *j = p;

	j->app = a;
	tk_alpntarget_start(&j->at, &a->ac, text, job_done, j);
}

/* The runner hands a finished target over, in input order. */
static enum tk_class
emit_job(void *arg, void *p)
{
	struct app *a = arg;
	struct tk_alpntarget *at = &((struct job *)p)->at;
	const struct tk_alpn_probe *p0 = NULL;
	struct tk_err why;
	enum tk_class cls = tk_alpntarget_finish(at, &why);

	if (at->ap != NULL) {
		if (a->t.s.json) {
			print_json(at, cls);
		} else if (a->ntargets > 1) {
			print_brief(at, cls);
		}
		if (!a->t.s.json && (a->ntargets <= 1 || a->t.s.verbose)) {
			print_text(at);
		}
		fflush(stdout);
		p0 = tk_alpnprobe_first(at->ap);
	}
	if (!a->t.s.json && !a->t.s.quiet && p0 != NULL) {
		tk_report_warnings(TOOL, &p0->r, stderr);
	}
	/* -q keeps errors; on a terminal the result line said it once */
	if (tk_err_is_set(&why) && (at->ap == NULL ||
	    tk_tool_stderr_copy(&a->t))) {
		tk_report_error_line(TOOL, at->text, &why, stderr);
	}
	tk_tally_add(&a->tally, cls);
	return cls;
}

static void
release_job(void *arg, void *p)
{
	(void)arg;
	tk_alpntarget_release(&((struct job *)p)->at);
}

/* The runner's check of one target; main() names it on the error line */
static int
check_target(void *arg, const char *text, const char *where,
    struct tk_err *e)
{
	struct app *a = arg;

	if (tk_alpntarget_check(text, where, TOOL, e) == 0) {
		return 0;
	}
	snprintf(a->bad, sizeof(a->bad), "%s", text);
	return -1;
}

static int
prepare(struct app *a, struct tk_err *e)
{
	struct tk_settings *s = &a->t.s;
	struct tk_runner_conf rc;

	if (s->nargs == 0 && s->targets == NULL) {
		return tk_err_set(e, TK_USAGE, "options", "missing argument: "
		    "%s %s", TOOL, tk_tool_info(a->t.tool)->synopsis);
	}
	if (tk_tool_runner_conf(&a->t, &rc, e) < 0) {
		return -1;
	}
	rc.job_size = sizeof(struct job);
	rc.check = check_target;
	rc.start = start_job;
	rc.emit = emit_job;
	rc.release = release_job;
	rc.arg = a;
	a->rn = tk_runner_new(&rc, e);
	if (a->rn == NULL || tk_tool_derive(&a->t, e) < 0) {
		return -1;
	}
	a->ntargets = tk_runner_count(a->rn);
	if (tk_alpntarget_prepare(&a->ac, &a->t, TOOL, a->ntargets, e) < 0) {
		return -1;
	}
	return tk_tool_creds(&a->t, e);
}

int
main(int argc, char **argv)
{
	static struct app a;
	struct tk_err e;
	int code;

	tk_err_clear(&e);
	code = tk_tool_start(&a.t, TK_TOOL_ALPN_PROBE, TOOL, argc, argv);
	if (code >= 0) {
		return code;
	}
	if (prepare(&a, &e) < 0 || tk_tool_loop(&a.t, &e) < 0 ||
	    tk_runner_run(a.rn, a.t.loop, &e) < 0) {
		/* one target on the command line: the line names it */
		tk_report_error_line(TOOL, a.bad[0] != '\0' ? a.bad :
		    a.t.s.nargs == 1 && a.t.s.targets == NULL ? a.t.s.args[0] :
		    NULL, &e, stderr);
		code = tk_err_exit_code(e.cls);
	} else {
		if (!a.t.s.json && !a.t.s.quiet) {
			tk_tally_print(&a.tally, "targets", stdout);
		}
		code = tk_err_exit_code(tk_runner_worst(a.rn));
	}
	fflush(stdout);
	tk_runner_free(a.rn);
	tk_alpntarget_conf_release(&a.ac);
	tk_tool_end(&a.t);
	return code;
}
