/* tls-check-cert's pipeline for one target; see checktarget.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checktarget.h"

#include "banned.h"

static void
check_free(struct tk_check *c)
{
	tk_conn_free(c->conn);
	c->conn = NULL;
	tk_fixfetch_free(c->fx);
	c->fx = NULL;
	tk_served_clear(&c->served);
	tk_result_release(&c->r);
}

/* One check ended (its --fix-chain step too). */
static void
check_done(void *arg)
{
	struct tk_check *c = arg;
	struct tk_checktarget *ct = c->ct;

	if (ct->file) {
		tk_loop_stop(ct->conf->t->loop);   /* the AIA fetches ended */
		return;
	}
	if (c != &ct->one && --ct->pending > 0) {
		return;
	}
	if (c != &ct->one) {
		struct tk_result *rs[TK_ADDRGROUP_MAX];

		for (size_t k = 0; k < ct->naddrs; k++) {
			rs[k] = &ct->addrs[k].r;
		}
		tk_addrgroup_compare(rs, ct->naddrs, ct->vhost);
	}
	ct->done(ct->arg);
}

/* --fix-chain after the check; false when nothing runs on */
static bool
fix_run(struct tk_check *c)
{
	const struct tk_checktarget_conf *conf = c->ct->conf;

	return conf->fix != NULL && tk_fixfetch_run(&c->fx, conf->fix,
	    &c->served, &c->r, check_done, c) == 1;
}

static void
on_conn(struct tk_conn *conn, void *arg)
{
	struct tk_check *c = arg;
	const struct tk_tool_ctx *t = c->ct->conf->t;

	if (tk_conn_ready(conn)) {
		tk_served_from_conn(&c->served, conn, &t->co, t->trust,
		    &c->r);
		/* best effort close_notify; no waiting for the reply */
		tk_tls_bye(tk_conn_tls(conn), false);
	}
	tk_conn_free(conn);
	c->conn = NULL;
	if (!fix_run(c)) {
		check_done(c);
	}
}

static void
start_check(struct tk_checktarget *ct, struct tk_check *c)
{
	const struct tk_tool_ctx *t = ct->conf->t;
	struct tk_conn_conf cc;
	struct tk_err e;

	tk_err_clear(&e);
	tk_tool_conn_conf(t, &c->target, &cc);
	if (c->grouped) {
		cc.hostname = ct->vhost;
		/* each address through the proxy, if the name goes through
		 * it */
		cc.proxy = tk_proxy_use(&t->d.proxy, ct->vhost) ?
		    &t->d.proxy.proxy : NULL;
	}
	cc.starttls = ct->starttls;
	c->conn = tk_conn_new(t->loop, &cc, &c->r, on_conn, c, &e);
	if (c->conn == NULL) {
		c->r.err = e;
		c->r.cls = e.cls;
		check_done(c);
		return;
	}
	tk_conn_start(c->conn);
}

/* --all-addresses: the name resolved (or not): one check per address */
static void
on_resolved(void *arg)
{
	struct tk_checktarget *ct = arg;
	struct tk_addrgroup *g = &ct->group;
	size_t n = g->n;

	ct->addrs = n > 0 ? calloc(n, sizeof(*ct->addrs)) : NULL;
	if (ct->addrs == NULL) {
		struct tk_check *c = &ct->one;

		c->r.err = g->err;
		if (n > 0) {
			tk_err_set(&c->r.err, TK_INTERNAL, "resolve",
			    "out of memory");
		}
		c->r.cls = c->r.err.cls;
		c->r.t_resolve_us = g->us;
		c->r.t_total_us = g->us;
		check_done(c);
		return;
	}
	ct->naddrs = ct->pending = n;
	for (size_t k = 0; k < n; k++) {
		struct tk_check *c = &ct->addrs[k];

		c->ct = ct;
		c->grouped = true;
		tk_result_init(&c->r, ct->conf->tool, ct->one.r.target);
		tk_addrgroup_target(g, k, &ct->one.target, &c->target,
		    c->r.address, sizeof(c->r.address));
	}
	for (size_t k = 0; k < n; k++) {
		start_check(ct, &ct->addrs[k]);
	}
}

void
tk_checktarget_start(struct tk_checktarget *ct,
    const struct tk_checktarget_conf *conf, const char *text,
    void (*done)(void *arg), void *arg)
{
	const struct tk_tool_ctx *t = conf->t;
	struct tk_err e;

	tk_err_clear(&e);
	ct->conf = conf;
	ct->done = done;
	ct->arg = arg;
	ct->one.ct = ct;
	tk_target_parse_line(text, 443, &ct->one.target, &e);
	if (ct->one.target.scheme[0] != '\0') {
		tk_target_scheme_port(ct->one.target.scheme, &ct->starttls);
	}
	if (t->s.starttls != NULL) {
		ct->starttls = t->s.starttls;
	}
	tk_result_init(&ct->one.r, conf->tool, text);
	if (!t->s.all_addresses) {
		start_check(ct, &ct->one);
		return;
	}
	snprintf(ct->vhost, sizeof(ct->vhost), "%s", t->s.hostname != NULL ?
	    t->d.hostname : ct->one.target.name[0] != '\0' ?
	    ct->one.target.name : ct->one.target.host);
	tk_addrgroup_resolve(&ct->group, t, &ct->one.target, on_resolved,
	    ct);
}

int
tk_checktarget_file(struct tk_checktarget *ct,
    const struct tk_checktarget_conf *conf, const char *path,
    struct tk_err *err)
{
	const struct tk_tool_ctx *t = conf->t;
	struct tk_check *c = &ct->one;

	ct->conf = conf;
	ct->file = true;
	c->ct = ct;
	tk_result_init(&c->r, conf->tool, path);
	if (t->s.hostname != NULL) {
		snprintf(c->r.hostname, sizeof(c->r.hostname), "%s",
		    t->d.hostname);
	}
	if (tk_served_from_file(&c->served, path, &t->co, t->trust, &c->r,
	    err) < 0) {
		return -1;
	}
	/* the AIA fetches of --fix-chain run on the loop */
	return fix_run(c) ? tk_loop_run(t->loop, err) : 0;
}

size_t
tk_checktarget_count(const struct tk_checktarget *ct)
{
	return ct->addrs != NULL ? ct->naddrs : 1;
}

struct tk_check *
tk_checktarget_result(struct tk_checktarget *ct, size_t i)
{
	return ct->addrs != NULL ? &ct->addrs[i] : &ct->one;
}

void
tk_checktarget_release(struct tk_checktarget *ct)
{
	tk_addrgroup_release(&ct->group);
	check_free(&ct->one);
	for (size_t k = 0; k < ct->naddrs; k++) {
		check_free(&ct->addrs[k]);
	}
	free(ct->addrs);
	ct->addrs = NULL;
	ct->naddrs = 0;
}
