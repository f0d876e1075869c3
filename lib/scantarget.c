/*
 * tls-scan's pipeline for one target (docs/ARCHITECTURE.md, "tls-scan").
 */
#include "scantarget.h"

#include <stdio.h>
#include <string.h>

#include "banned.h"

/* Connections open at once to one host unless --max-per-host says. */
#define MAX_PER_HOST_DEFAULT 4

int
tk_scantarget_check(const char *text, const char *where, const char *tool,
    struct tk_err *err)
{
	struct tk_target t;
	const char *starttls = NULL;
	size_t l;

	if (tk_target_parse_line(text, 443, &t, err) == 0) {
		if (t.scheme[0] == '\0' ||
		    tk_target_scheme_port(t.scheme, &starttls) != 0) {
			return 0;
		}
		tk_err_set(err, TK_USAGE, "target", "%s: unknown URL scheme "
		    "'%s' in '%s'", tool, t.scheme, text);
	}
	l = strlen(err->msg);
	if (where != NULL) {
		snprintf(err->msg + l, sizeof(err->msg) - l, " (%s)", where);
	}
	return -1;
}

int
tk_scantarget_prepare(struct tk_scantarget_conf *conf,
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
		    "one target (each target is scanned for its own host "
		    "name)");
	}
	if (tk_scanfind_parse(s->require, s->nrequire, &conf->rules,
	    err) < 0) {
		return -1;
	}
	conf->gate = tk_scan_gate_new(s->max_per_host > 0 ?
	    (unsigned)s->max_per_host : MAX_PER_HOST_DEFAULT);
	if (conf->gate == NULL) {
		return tk_err_set(err, TK_INTERNAL, "start", "out of memory");
	}
	return 0;
}

void
tk_scantarget_conf_release(struct tk_scantarget_conf *conf)
{
	tk_scan_gate_free(conf->gate);
	conf->gate = NULL;
}

void
tk_scantarget_start(struct tk_scantarget *st,
    const struct tk_scantarget_conf *conf, const char *text,
    void (*done)(void *arg), void *arg)
{
	const struct tk_tool_ctx *t = conf->t;
	struct tk_scan_conf sc;
	const char *starttls = NULL;

	st->conf = conf;
	st->text = text;
	tk_err_clear(&st->err);
	if (tk_target_parse_line(text, 443, &st->target, &st->err) == 0) {
		if (st->target.scheme[0] != '\0') {
			tk_target_scheme_port(st->target.scheme, &starttls);
		}
		tk_tool_conn_conf(t, &st->target, &st->cc);
		st->cc.no_verify = false;   /* the chain is judged as told */
		st->cc.insecure = t->s.insecure;
		st->cc.check = &t->co;
		st->cc.starttls = t->s.starttls != NULL ? t->s.starttls :
		    starttls;
		st->cc.alpn = NULL;
		memset(&sc, 0, sizeof(sc));
		sc.cc = &st->cc;
		sc.tool = conf->tool;
		sc.target = text;
		sc.gate = conf->gate;
		st->scan = tk_scan_start(t->loop, &sc, &st->res, done, arg,
		    &st->err);
	}
	if (st->scan == NULL) {
		done(arg);
	}
}

enum tk_class
tk_scantarget_finish(struct tk_scantarget *st, struct tk_err *why)
{
	const struct tk_result *m = &st->res.main;
	enum tk_class cls = TK_OK;

	*why = st->err;
	if (st->scan == NULL) {
		return st->cls = st->err.cls;
	}
	if (tk_err_is_set(&st->res.err)) {
		*why = st->res.err;
		return st->cls = st->res.err.cls;
	}
	/* the chain's findings (judged as the options say; not under
	 * --insecure), then the configuration's, judged the same way */
	struct tk_findings cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.judging = st->conf->t->co.judging;
	tk_scanfind_judge(&st->res, &cfg);
	cls = tk_findings_class(&cfg);
	st->findings = m->findings;
	if (m->checked && m->verdict.status != TK_VERIFY_SKIPPED) {
		cls = tk_class_worst(cls, tk_findings_class(&m->findings));
	}
	for (size_t i = 0; i < cfg.n &&
	    st->findings.n < TK_FINDINGS_MAX; i++) {
		st->findings.f[st->findings.n++] = cfg.f[i];
	}
	tk_scanfind_require(&st->res, &st->findings, &st->conf->rules,
	    st->req);
	st->nreq_failed = 0;
	for (size_t i = 0; i < st->conf->rules.n; i++) {
		if (!st->req[i].met) {
			if (st->nreq_failed++ == 0) {
				tk_err_set(why, TK_CHECK, "require",
				    "--require %s: %s",
				    st->conf->rules.r[i].text, st->req[i].why);
			}
		}
	}
	if (st->nreq_failed > 0) {
		cls = TK_CHECK;
	}
	if (!tk_err_is_set(why) && cls == TK_CHECK) {
		char sum[1024];

		tk_findings_summary(&st->findings, TK_SEV_FAIL, sum,
		    sizeof(sum));
		tk_err_set(why, TK_CHECK, "scan", "%s", sum);
	}
	return st->cls = cls;
}

void
tk_scantarget_release(struct tk_scantarget *st)
{
	tk_scan_free(st->scan);
	st->scan = NULL;
	tk_scan_res_release(&st->res);
}
