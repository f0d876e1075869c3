/* --all-addresses; see addrgroup.h. */
#include <stdio.h>
#include <string.h>

#include "addrgroup.h"

#include "banned.h"

static void
found(void *arg, const struct tk_addr *addrs, size_t n,
    const struct tk_err *err)
{
	struct tk_addrgroup *g = arg;

	g->lookup = NULL;
	tk_loop_timer_stop(g->t->loop, &g->timer);
	if (err != NULL) {
		g->err = *err;
	} else {
		g->n = n < TK_ADDRGROUP_MAX ? n : TK_ADDRGROUP_MAX;
		memcpy(g->addrs, addrs, g->n * sizeof(*addrs));
	}
	g->us = tk_loop_now_us() - g->t0;
	g->cb(g->arg);
}

static void
timed_out(struct tk_loop *loop, void *arg)
{
	struct tk_addrgroup *g = arg;
	struct tk_err e;

	(void)loop;
	tk_resolve_cancel(g->lookup);
	g->lookup = NULL;
	tk_err_clear(&e);
	if (tk_tool_left_ms(g->t, 1) == 0) {
		tk_err_set(&e, TK_NET, "resolve", "--deadline of %.3g s "
		    "ran out in the resolve step", g->t->s.deadline);
	}
	tk_err_set(&e, TK_NET, "resolve", "timed out after %.3g s",
	    g->t->s.timeout);
	found(g, NULL, 0, &e);
}

void
tk_addrgroup_resolve(struct tk_addrgroup *g, const struct tk_tool_ctx *t,
    const struct tk_target *target, void (*cb)(void *arg), void *arg)
{
	int family = t->s.ipv4 ? AF_INET : t->s.ipv6 ? AF_INET6 : AF_UNSPEC;
	struct tk_err e;

	tk_err_clear(&e);
	g->t = t;
	g->cb = cb;
	g->arg = arg;
	g->t0 = tk_loop_now_us();
	tk_err_clear(&g->err);
	tk_timer_init(&g->timer, timed_out, g);
	g->armed = true;
	tk_loop_timer_start(t->loop, &g->timer, tk_tool_timeout_ms(t));
	g->lookup = tk_resolve(t->res, target->host, target->port, family,
	    found, g, &e);
	if (g->lookup == NULL) {
		found(g, NULL, 0, &e);
	}
}

void
tk_addrgroup_target(const struct tk_addrgroup *g, size_t i,
    const struct tk_target *name, struct tk_target *out, char *addr,
    size_t addrlen)
{
	const struct tk_addr *a = &g->addrs[i];
	char ip[TK_ADDRSTR_MAX];

	*out = *name;
	tk_sockaddr_str((const struct sockaddr *)&a->ss, addr, addrlen);
	/* the address itself, without brackets or port */
	snprintf(ip, sizeof(ip), "%s", addr + (addr[0] == '['));
	ip[strcspn(ip, a->ss.ss_family == AF_INET6 ? "]" : ":")] = '\0';
	snprintf(out->host, sizeof(out->host), "%s", ip);
	out->ip_family = a->ss.ss_family;
}

void
tk_addrgroup_release(struct tk_addrgroup *g)
{
	if (g->armed) {
		tk_loop_timer_stop(g->t->loop, &g->timer);
		tk_resolve_cancel(g->lookup);
		g->lookup = NULL;
	}
}

void
tk_addrgroup_compare(struct tk_result *const *rs, size_t n,
    const char *name)
{
	size_t distinct = 0, failed = 0;
	const char *seen[TK_ADDRGROUP_MAX];
	char msg[384];
	size_t used = 0;

	for (size_t i = 0; i < n; i++) {
		const struct tk_result *r = rs[i];
		bool dup = false;

		if (r->chain.n == 0) {
			failed++;
			continue;
		}
		for (size_t k = 0; k < distinct; k++) {
			dup = dup ||
			    strcmp(seen[k], r->chain.certs[0].sha256) == 0;
		}
		if (!dup && distinct < TK_ADDRGROUP_MAX) {
			seen[distinct++] = r->chain.certs[0].sha256;
		}
	}
	msg[0] = '\0';
	for (size_t k = 0; k < distinct && distinct > 1; k++) {
		for (size_t i = 0; i < n; i++) {
			const struct tk_result *r = rs[i];
			int w;

			if (r->chain.n == 0 ||
			    strcmp(seen[k], r->chain.certs[0].sha256) != 0) {
				continue;
			}
			/* the CN comes from the peer: escaped when shown */
			w = snprintf(msg + used, sizeof(msg) - used,
			    "%s%s serves '%.60s' (sha256 %.23s...)",
			    used ? "; " : "", r->address,
			    r->chain.certs[0].cn[0] ? r->chain.certs[0].cn :
			    r->chain.certs[0].subject, seen[k]);
			if (w < 0 || (size_t)w >= sizeof(msg) - used) {
				break;
			}
			used += (size_t)w;
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct tk_result *r = rs[i];

		r->group.count = n;
		r->group.certificates = distinct;
		r->group.failed = failed;
		if (distinct < 2 || r->chain.n == 0 || !r->checked) {
			continue;
		}
		tk_findings_add(&r->findings, "address-mismatch", TK_SEV_FAIL,
		    "the %zu addresses of '%s' serve %zu different "
		    "certificates: %s", n, name, distinct, msg);
		if (r->cls == TK_OK || r->cls == TK_WARN) {
			const struct tk_finding *mf;

			r->cls = tk_findings_class(&r->findings);
			mf = tk_result_main_finding(r);
			if (mf != NULL) {
				tk_err_set(&r->err, TK_CHECK,
				    tk_result_finding_step(mf), "%s: %s",
				    mf->code,
				    mf->message);
			}
		}
	}
}
