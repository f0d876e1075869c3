/*
 * tls-scan's pipeline for one target (docs/ARCHITECTURE.md, "tls-scan").
 */
#include "scantarget.h"

#include <stdio.h>
#include <stdlib.h>
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

static void
addr_done(void *arg)
{
	struct tk_scanaddr *sa = arg;
	struct tk_scantarget *st = sa->st;

	if (st->addrs != NULL && --st->pending > 0) {
		return;
	}
	st->done(st->arg);
}

/* Starts the scan of one server; its end counts down st->pending. */
static void
start_addr(struct tk_scantarget *st, struct tk_scanaddr *sa,
    const char *starttls, const char *hostname)
{
	const struct tk_tool_ctx *t = st->conf->t;
	struct tk_scan_conf sc;

	sa->st = st;
	tk_tool_conn_conf(t, &sa->target, &sa->cc);
	sa->cc.no_verify = false;   /* the chain is judged as told */
	sa->cc.insecure = t->s.insecure;
	sa->cc.check = &t->co;
	sa->cc.starttls = t->s.starttls != NULL ? t->s.starttls : starttls;
	sa->cc.alpn = NULL;
	if (hostname != NULL) {
		sa->cc.hostname = hostname;
	}
	memset(&sc, 0, sizeof(sc));
	sc.cc = &sa->cc;
	sc.tool = st->conf->tool;
	sc.target = st->text;
	sc.gate = st->conf->gate;
	sa->scan = tk_scan_start(t->loop, &sc, &sa->res, addr_done, sa,
	    &st->err);
	if (sa->scan == NULL) {
		addr_done(sa);
	}
}

static void
on_resolved(void *arg)
{
	struct tk_scantarget *st = arg;
	const struct tk_addrgroup *g = &st->group;
	const char *starttls = NULL;
	size_t n = g->n;

	if (n == 0) {
		st->err = g->err;
		st->done(st->arg);
		return;
	}
	st->addrs = calloc(n, sizeof(*st->addrs));
	if (st->addrs == NULL) {
		tk_err_set(&st->err, TK_INTERNAL, "start", "out of memory");
		st->done(st->arg);
		return;
	}
	if (st->one.target.scheme[0] != '\0') {
		tk_target_scheme_port(st->one.target.scheme, &starttls);
	}
	st->naddrs = st->pending = n;
	for (size_t k = 0; k < n; k++) {
		char addr[64];

		tk_addrgroup_target(g, k, &st->one.target,
		    &st->addrs[k].target, addr, sizeof(addr));
	}
	for (size_t k = 0; k < n; k++) {
		start_addr(st, &st->addrs[k], starttls, st->vhost);
	}
}

void
tk_scantarget_start(struct tk_scantarget *st,
    const struct tk_scantarget_conf *conf, const char *text,
    void (*done)(void *arg), void *arg)
{
	const struct tk_tool_ctx *t = conf->t;
	const char *starttls = NULL;

	st->conf = conf;
	st->text = text;
	st->done = done;
	st->arg = arg;
	st->one.st = st;
	tk_err_clear(&st->err);
	if (tk_target_parse_line(text, 443, &st->one.target, &st->err) < 0) {
		done(arg);
		return;
	}
	if (t->s.all_addresses) {
		const char *name = t->s.hostname != NULL ? t->d.hostname :
		    st->one.target.name[0] != '\0' ? st->one.target.name :
		    st->one.target.host;

		snprintf(st->vhost, sizeof(st->vhost), "%.*s",
		    (int)sizeof(st->vhost) - 1, name);
		tk_addrgroup_resolve(&st->group, t, &st->one.target,
		    on_resolved, st);
		return;
	}
	if (st->one.target.scheme[0] != '\0') {
		tk_target_scheme_port(st->one.target.scheme, &starttls);
	}
	start_addr(st, &st->one, starttls, NULL);
}

size_t
tk_scantarget_count(const struct tk_scantarget *st)
{
	return st->conf != NULL && st->conf->t->s.all_addresses ?
	    st->naddrs : 1;
}

const struct tk_scanaddr *
tk_scantarget_at(const struct tk_scantarget *st, size_t i)
{
	return st->addrs != NULL ? &st->addrs[i] : &st->one;
}

/* One server's findings, rules and class. */
static enum tk_class
judge(struct tk_scanaddr *sa)
{
	const struct tk_scantarget_conf *conf = sa->st->conf;
	const struct tk_result *m = &sa->res.main;
	struct tk_findings cfg;
	enum tk_class cls;

	tk_err_clear(&sa->why);
	if (sa->scan == NULL) {
		sa->why = sa->st->err;
		return sa->cls = sa->why.cls;
	}
	if (tk_err_is_set(&sa->res.err)) {
		sa->why = sa->res.err;
		return sa->cls = sa->why.cls;
	}
	/* the chain's findings (judged as the options say; not under
	 * --insecure), then the configuration's, judged the same way */
	memset(&cfg, 0, sizeof(cfg));
	cfg.judging = conf->t->co.judging;
	tk_scanfind_judge(&sa->res, &cfg);
	cls = tk_findings_class(&cfg);
	sa->findings = m->findings;
	sa->findings.judging = cfg.judging;
	if (m->checked && m->verdict.status != TK_VERIFY_SKIPPED) {
		cls = tk_class_worst(cls, tk_findings_class(&m->findings));
	}
	for (size_t i = 0; i < cfg.n &&
	    sa->findings.n < TK_FINDINGS_MAX; i++) {
		sa->findings.f[sa->findings.n++] = cfg.f[i];
	}
	tk_scanfind_require(&sa->res, &sa->findings, &conf->rules, sa->req);
	sa->nreq_failed = 0;
	for (size_t i = 0; i < conf->rules.n; i++) {
		if (!sa->req[i].met && sa->nreq_failed++ == 0) {
			tk_err_set(&sa->why, TK_CHECK, "require",
			    "--require %s: %s", conf->rules.r[i].text,
			    sa->req[i].why);
		}
	}
	if (sa->nreq_failed > 0) {
		cls = TK_CHECK;
	}
	if (!tk_err_is_set(&sa->why) && cls == TK_CHECK) {
		char sum[1024];

		tk_findings_summary(&sa->findings, TK_SEV_FAIL, sum,
		    sizeof(sum));
		tk_err_set(&sa->why, TK_CHECK, "scan", "%s", sum);
	}
	return sa->cls = cls;
}

/* Whether two servers accept the same versions and suites. */
static bool
same_config(const struct tk_scan_res *a, const struct tk_scan_res *b)
{
	for (int v = 0; v < TK_SCAN_NVER; v++) {
		const struct tk_scan_version *x = &a->v[v], *y = &b->v[v];

		if (x->accepted != y->accepted || x->nsuites != y->nsuites ||
		    memcmp(x->suites, y->suites,
		    x->nsuites * sizeof(x->suites[0])) != 0) {
			return false;
		}
	}
	return true;
}

enum tk_class
tk_scantarget_finish(struct tk_scantarget *st)
{
	enum tk_class cls = TK_OK;
	size_t n = tk_scantarget_count(st);

	if (n == 0) {
		return st->err.cls;
	}
	if (st->addrs != NULL) {
		/* different leaves: address-mismatch, as tls-check-cert says */
		struct tk_result *rs[TK_ADDRGROUP_MAX];

		for (size_t i = 0; i < n; i++) {
			rs[i] = &st->addrs[i].res.main;
		}
		tk_addrgroup_compare(rs, n, st->vhost);
	}
	for (size_t i = 0; i < n; i++) {
		cls = tk_class_worst(cls, judge(st->addrs != NULL ?
		    &st->addrs[i] : &st->one));
	}
	/* --all-addresses: one name, servers configured differently */
	for (size_t i = 1; i < n; i++) {
		struct tk_scanaddr *sa = &st->addrs[i];
		const struct tk_code *c = tk_code_find("addresses-differ");

		if (sa->scan == NULL || tk_err_is_set(&sa->res.err) ||
		    st->addrs[0].scan == NULL ||
		    tk_err_is_set(&st->addrs[0].res.err) || c == NULL ||
		    same_config(&st->addrs[0].res, &sa->res)) {
			continue;
		}
		for (size_t k = 0; k < n; k++) {
			struct tk_scanaddr *x = &st->addrs[k];

			if (x->findings.n < TK_FINDINGS_MAX) {
				tk_findings_add(&x->findings,
				    "addresses-differ", c->sev, "the "
				    "addresses of %s do not accept the same "
				    "versions and suites (%s and %s)",
				    st->vhost, st->addrs[0].res.main.address,
				    sa->res.main.address);
				x->cls = tk_class_worst(x->cls,
				    tk_findings_class(&x->findings));
				cls = tk_class_worst(cls, x->cls);
			}
		}
		break;
	}
	return cls;
}

void
tk_scantarget_release(struct tk_scantarget *st)
{
	tk_addrgroup_release(&st->group);
	tk_scan_free(st->one.scan);
	st->one.scan = NULL;
	tk_scan_res_release(&st->one.res);
	for (size_t k = 0; k < st->naddrs; k++) {
		tk_scan_free(st->addrs[k].scan);
		st->addrs[k].scan = NULL;
		tk_scan_res_release(&st->addrs[k].res);
	}
	free(st->addrs);
	st->addrs = NULL;
	st->naddrs = 0;
}
