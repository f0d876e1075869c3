/*
 * tls-alpn-probe's output for one target; see alpnreport.h.
 */
#include <stdio.h>
#include <string.h>

#include "alpnprobe.h"
#include "alpnreport.h"
#include "alpntarget.h"
#include "escape.h"
#include "report.h"

#include "banned.h"

static const struct tk_alpn_probe *
each(const struct tk_alpntarget *a, size_t i)
{
	return tk_alpnprobe_each(a->ap, i);
}

const char *
tk_alpnreport_each_word(enum tk_alpn_outcome o)
{
	return o == TK_ALPN_SELECTED ? "accepted" : tk_alpn_outcome_name(o);
}

static bool
expect_met(const struct tk_alpntarget *a)
{
	return a->main == NULL ||
	    tk_alpn_probe_expect(a->main, a->conf->t->s.expect);
}

void
tk_alpnreport_join(char *const *names, size_t n, const char *sep, char *buf,
    size_t len)
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
print_summary(const struct tk_alpntarget *a, FILE *out)
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
	fprintf(out, "%s; %zu refused", line, n[TK_ALPN_REFUSED]);
	if (n[TK_ALPN_IGNORED] > 0) {
		fprintf(out, "; %zu ignored", n[TK_ALPN_IGNORED]);
	}
	if (n[TK_ALPN_ERROR] + n[TK_ALPN_PENDING] > 0) {
		fprintf(out, "; %zu %s", n[TK_ALPN_ERROR] + n[TK_ALPN_PENDING],
		    n[TK_ALPN_ERROR] + n[TK_ALPN_PENDING] == 1 ? "error" :
		    "errors");
	}
	fputc('\n', out);
}

void
tk_alpnreport_text(const struct tk_alpntarget *a, FILE *out)
{
	char list[4096], d[1200];

	if (a->main != NULL) {
		tk_alpnreport_join(a->main->offer.names, a->main->offer.n, ",",
		    list, sizeof(list));
		fprintf(out, "offered %s: %s\n", list,
		    tk_alpn_probe_describe(a->main, d, sizeof(d)));
	}
	for (size_t i = 0; i < a->neach; i++) {
		const struct tk_alpn_probe *p = each(a, i);
		char esc[TK_ALPN_NAME_MAX * 4 + 1];

		tk_escape(p->offer.names[0], strlen(p->offer.names[0]), esc,
		    sizeof(esc));
		fprintf(out, "  %-20s %s", esc,
		    tk_alpnreport_each_word(p->out));
		if (p->out == TK_ALPN_ERROR) {
			fprintf(out, " (%s)",
			    tk_alpn_probe_describe(p, d, sizeof(d)));
		} else if (p->out == TK_ALPN_REFUSED &&
		    strcmp(tk_alpn_probe_describe(p, d, sizeof(d)),
		    "refused (alert no_application_protocol)") != 0) {
			/* another alert than RFC 7301's: name it */
			fprintf(out, " %s", d + strlen("refused "));
		} else if (p->out == TK_ALPN_SELECTED &&
		    strcmp(p->r.tls.alpn, p->offer.names[0]) != 0) {
			fprintf(out, " (the server answered another protocol)");
		}
		fputc('\n', out);
	}
	if (a->conf->t->s.order) {
		switch (a->mode) {
		case TK_ALPN_ORDER_SERVER:
			tk_alpnreport_join(a->pref, a->npref, " > ", list,
			    sizeof(list));
			fprintf(out, "order: server preference: %s\n", list);
			break;
		case TK_ALPN_ORDER_CLIENT:
			fprintf(out, "order: client preference (the server "
			    "takes the first protocol the client offers)\n");
			break;
		case TK_ALPN_ORDER_MIXED:
			fprintf(out, "order: inconsistent (the selection "
			    "follows neither order)\n");
			break;
		case TK_ALPN_ORDER_NONE:
			fprintf(out, "order: undetermined (fewer than two "
			    "protocols accepted)\n");
			break;
		}
	}
	if (a->conf->t->s.expect != NULL && a->main != NULL) {
		fprintf(out, "expect %s: %s\n", a->conf->t->s.expect,
		    expect_met(a) ? "met" : "not met");
	}
	if (a->neach > 0) {
		print_summary(a, out);
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

json_t *
tk_alpnreport_json_probe(const struct tk_alpn_probe *p)
{
	json_t *o = json_object();
	char abuf[48];
	const char *al = tk_alpn_probe_alert(p, abuf, sizeof(abuf));

	if (o == NULL) {
		return NULL;
	}
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

void
tk_alpnreport_json(const struct tk_alpntarget *a, enum tk_class cls,
    FILE *out)
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
	json_object_set_new(o, "tool", json_string(a->conf->tool));
	json_object_set_new(o, "probe", a->main != NULL ?
	    tk_alpnreport_json_probe(a->main) : json_null());
	if (a->neach > 0) {
		arr = json_array();
		for (size_t i = 0; i < a->neach; i++) {
			const struct tk_alpn_probe *p = each(a, i);
			json_t *e = tk_alpnreport_json_probe(p);

			json_object_set_new(e, "protocol",
			    json_string(p->offer.names[0]));
			json_object_set_new(e, "result",
			    json_string(tk_alpnreport_each_word(p->out)));
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
	tk_report_json_write(o, out);
	json_decref(o);
}

void
tk_alpnreport_brief(const struct tk_alpntarget *j, enum tk_class cls,
    FILE *out)
{
	const struct tk_settings *s = &j->conf->t->s;
	char esc[1024], list[4096], d[1200];
	size_t n = 0;

	tk_escape(j->text, strlen(j->text), esc, sizeof(esc));
	fprintf(out, "%-7s %s: ", tk_outcome_word(cls == TK_OK ?
	    TK_OUTCOME_OK : cls == TK_WARN ? TK_OUTCOME_WARNING :
	    cls == TK_CHECK ? TK_OUTCOME_FAIL : TK_OUTCOME_ERROR), esc);
	if (j->main != NULL) {
		tk_alpnreport_join(j->main->offer.names, j->main->offer.n, ",",
		    list, sizeof(list));
		fprintf(out, "offered %s: %s", list,
		    tk_alpn_probe_describe(j->main, d, sizeof(d)));
	} else {
		for (size_t i = 0; i < j->neach; i++) {
			n += each(j, i)->out == TK_ALPN_SELECTED;
		}
		fprintf(out, "%zu of %zu protocols accepted", n, j->neach);
	}
	if (s->order) {
		fprintf(out, "; order: %s", tk_alpn_order_name(j->mode));
	}
	if (s->expect != NULL && j->main != NULL) {
		fprintf(out, "; expect %s: %s", s->expect,
		    expect_met(j) ? "met" : "not met");
	}
	fputc('\n', out);
}
