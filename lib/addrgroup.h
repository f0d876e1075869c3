/*
 * tls-check-cert --all-addresses: a name's addresses, each checked as a
 * target of its own (verified for the name), and the comparison of what
 * they served: different leaf certificates behind one name are the
 * finding address-mismatch on each address that served one.
 */
#ifndef TK_ADDRGROUP_H
#define TK_ADDRGROUP_H

#include "result.h"
#include "tool.h"

#define TK_ADDRGROUP_MAX 16     /* addresses checked per name */

/* One name's resolution (embedded in its owner; zeroed before use). */
struct tk_addrgroup {
	const struct tk_tool_ctx *t;      /* borrowed */
	struct tk_lookup *lookup;
	struct tk_timer timer;
	bool armed;                       /* the timer was initialised */
	struct tk_addr addrs[TK_ADDRGROUP_MAX];
	size_t n;                         /* addresses found (capped) */
	struct tk_err err;                /* why none, when n is 0 */
	uint64_t t0, us;                  /* start, time taken */
	void (*cb)(void *arg);
	void *arg;
};

/*
 * Resolves target's host with t's resolver, family (-4/-6), --timeout
 * and --deadline; cb(arg) runs once, maybe before this returns, with
 * g->n and g->addrs, or g->err (class NET) when nothing was found.
 */
void tk_addrgroup_resolve(struct tk_addrgroup *g, const struct tk_tool_ctx *t,
    const struct tk_target *target, void (*cb)(void *arg), void *arg);

/*
 * Address i as a target: name's port and scheme, the address as host;
 * its text (tk_sockaddr_str) into addr.
 */
void tk_addrgroup_target(const struct tk_addrgroup *g, size_t i,
    const struct tk_target *name, struct tk_target *out, char *addr,
    size_t addrlen);

/* Cancels a running resolution.  Safe on a zeroed g. */
void tk_addrgroup_release(struct tk_addrgroup *g);

/*
 * Once every address of name is checked: fills each result's group
 * counts and adds address-mismatch (FAIL) to those that were checked
 * when the leaves differ, the main finding becoming the error.
 */
void tk_addrgroup_compare(struct tk_result *const *rs, size_t n,
    const char *name);

#endif
