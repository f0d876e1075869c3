#include "resolve.h"

#include <arpa/inet.h>
#include <ares.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

/* One address, bare or in brackets; false when it is not an IP literal. */
static bool
parse_lite(const char *s, size_t len, struct tk_addr_lite *a)
{
	char buf[INET6_ADDRSTRLEN + 2];

	if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
		s++;
		len -= 2;
	}
	if (len == 0 || len >= sizeof(buf)) {
		return false;
	}
	memcpy(buf, s, len);
	buf[len] = '\0';
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, buf, a->bytes) == 1) {
		a->family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, buf, a->bytes) == 1) {
		a->family = AF_INET6;
		return true;
	}
	return false;
}

/* ADDR[,ADDR...] into e; the first bad one goes to *bad. */
static bool
parse_addr_list(const char *s, struct tk_resolve_entry *e, const char **bad,
    size_t *badlen)
{
	e->n = 0;
	for (;;) {
		size_t len = strcspn(s, ",");

		if (e->n == TK_RESOLVE_ADDRS || !parse_lite(s, len,
		    &e->addrs[e->n])) {
			*bad = s;
			*badlen = len;
			return false;
		}
		e->n++;
		if (s[len] == '\0') {
			return true;
		}
		s += len + 1;
	}
}

int
tk_resolve_map_add(struct tk_resolve_map *m, const char *spec,
    struct tk_err *err)
{
	struct tk_resolve_entry e;
	struct tk_target t;
	struct tk_err inner;
	const char *colon = strchr(spec, ':'), *rest, *bad = "";
	char name[TK_HOST_MAX * 4];
	size_t nlen, badlen = 0, digits;
	bool ok = false;

	memset(&e, 0, sizeof(e));
	if (colon == NULL || colon[1] == '\0') {
		return tk_err_set(err, TK_USAGE, "options",
		    "--resolve '%.200s' has no address (use NAME:PORT:ADDR or "
		    "NAME:ADDR)", spec);
	}
	nlen = (size_t)(colon - spec);
	if (nlen == 0 || nlen >= sizeof(name)) {
		return tk_err_set(err, TK_USAGE, "options",
		    "--resolve '%.200s' has no name", spec);
	}
	memcpy(name, spec, nlen);
	name[nlen] = '\0';
	tk_err_clear(&inner);
	if (tk_target_parse(name, 1, &t, &inner) < 0 || t.had_port ||
	    t.scheme[0] != '\0' || t.ip_family != 0) {
		return tk_err_set(err, TK_USAGE, "options",
		    "--resolve '%.200s': '%.200s' is not a host name", spec,
		    name);
	}
	snprintf(e.host, sizeof(e.host), "%s", t.host);
	rest = colon + 1;
	/* NAME:PORT:ADDR when a port and a colon come first */
	digits = strspn(rest, "0123456789");
	if (rest[digits] == '\0') {
		return tk_err_set(err, TK_USAGE, "options",
		    "--resolve '%.200s' has no address after the port (use "
		    "NAME:PORT:ADDR)", spec);
	}
	if (digits > 0 && rest[digits] == ':') {
		unsigned long port = strtoul(rest, NULL, 10);

		if (rest[digits + 1] == '\0') {
			return tk_err_set(err, TK_USAGE, "options",
			    "--resolve '%.200s' has no address", spec);
		}
		ok = parse_addr_list(rest + digits + 1, &e, &bad, &badlen);
		if (ok && (digits > 5 || port == 0 || port > 65535)) {
			return tk_err_set(err, TK_USAGE, "options",
			    "--resolve '%.200s': port out of range (1-65535)",
			    spec);
		}
		if (ok) {
			e.port = (uint16_t)port;
		}
	}
	/* else NAME:ADDR (any port); also "1::2", which looked like a port */
	if (!ok) {
		const char *bad1 = bad;
		size_t badlen1 = badlen;

		ok = parse_addr_list(rest, &e, &bad, &badlen);
		if (!ok && digits > 0 && rest[digits] == ':') {
			bad = bad1;
			badlen = badlen1;
		}
	}
	if (!ok) {
		if (badlen == 0) {
			return tk_err_set(err, TK_USAGE, "options",
			    "--resolve '%.200s' has an empty address", spec);
		}
		return tk_err_set(err, TK_USAGE, "options",
		    "--resolve '%.200s': '%.*s' is not an IP address%s", spec,
		    (int)(badlen > 64 ? 64 : badlen), bad,
		    e.n == TK_RESOLVE_ADDRS ? " (or one too many)" : "");
	}
	/* entries for the same name and port add up */
	for (size_t i = 0; i < m->n; i++) {
		struct tk_resolve_entry *o = &m->e[i];

		if (strcmp(o->host, e.host) != 0 || o->port != e.port) {
			continue;
		}
		for (size_t k = 0; k < e.n; k++) {
			if (o->n == TK_RESOLVE_ADDRS) {
				return tk_err_set(err, TK_USAGE, "options",
				    "--resolve: more than %d addresses for "
				    "'%s'", TK_RESOLVE_ADDRS, e.host);
			}
			o->addrs[o->n++] = e.addrs[k];
		}
		return 0;
	}
	if (m->n == TK_RESOLVE_MAX) {
		return tk_err_set(err, TK_USAGE, "options",
		    "at most %d --resolve entries", TK_RESOLVE_MAX);
	}
	m->e[m->n++] = e;
	return 0;
}

/* Resolver: c-ares driven by the loop's watches and one timer. */

struct tk_resolver {
	struct tk_loop *loop;
	ares_channel ch;
	bool ready;
	struct tk_timer timer;
	const struct tk_resolve_map *map;  /* borrowed; may be NULL */
};

void
tk_resolver_set_map(struct tk_resolver *r, const struct tk_resolve_map *map)
{
	r->map = map;
}

struct tk_lookup {
	struct tk_resolver *r;
	tk_resolve_cb cb;
	void *arg;
	struct tk_timer deliver;  /* results always arrive from the loop */
	struct tk_addr addrs[TK_ADDRS_MAX];
	size_t n;
	struct tk_err err;
	uint16_t port;
	int family;
	bool in_ares;             /* c-ares still owns a callback to us */
	bool cancelled;
	char host[TK_HOST_MAX];
};

static void rearm(struct tk_resolver *r);

static void
on_ares_fd(struct tk_loop *loop, int fd, unsigned events, void *arg)
{
	struct tk_resolver *r = arg;

	(void)loop;
	ares_process_fd(r->ch,
	    (events & (TK_READ | TK_HUP)) ? fd : ARES_SOCKET_BAD,
	    (events & TK_WRITE) ? fd : ARES_SOCKET_BAD);
	rearm(r);
}

static void
on_ares_timer(struct tk_loop *loop, void *arg)
{
	struct tk_resolver *r = arg;

	(void)loop;
	ares_process_fd(r->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	rearm(r);
}

static void
rearm(struct tk_resolver *r)
{
	struct timeval tv, *tvp;

	tvp = ares_timeout(r->ch, NULL, &tv);
	if (tvp == NULL) {
		tk_loop_timer_stop(r->loop, &r->timer);
		return;
	}
	tk_loop_timer_start(r->loop, &r->timer,
	    (uint64_t)tvp->tv_sec * 1000u + (uint64_t)tvp->tv_usec / 1000u + 1);
}

static void
on_sock_state(void *data, ares_socket_t s, int readable, int writable)
{
	struct tk_resolver *r = data;
	unsigned ev = (readable ? TK_READ : 0) | (writable ? TK_WRITE : 0);

	if (ev == 0) {
		tk_loop_unwatch(r->loop, s);
	} else {
		tk_loop_watch(r->loop, s, ev, on_ares_fd, r, NULL);
	}
}

struct tk_resolver *
tk_resolver_new(struct tk_loop *loop, struct tk_err *err)
{
	struct tk_resolver *r = calloc(1, sizeof(*r));

	if (r == NULL) {
		tk_err_sys(err, TK_INTERNAL, "resolve", "out of memory");
		return NULL;
	}
	r->loop = loop;
	tk_timer_init(&r->timer, on_ares_timer, r);
	return r;
}

/* The channel is made on first use: literals never pay for resolv.conf. */
static int
resolver_ready(struct tk_resolver *r, struct tk_err *err)
{
	struct ares_options o = {0};
	int rc;

	if (r->ready) {
		return 0;
	}
	rc = ares_library_init(ARES_LIB_INIT_ALL);
	if (rc != ARES_SUCCESS) {
		return tk_err_set(err, TK_INTERNAL, "resolve",
		    "cannot initialise c-ares: %s", ares_strerror(rc));
	}
	o.sock_state_cb = on_sock_state;
	o.sock_state_cb_data = r;
	rc = ares_init_options(&r->ch, &o, ARES_OPT_SOCK_STATE_CB);
	if (rc != ARES_SUCCESS) {
		ares_library_cleanup();
		return tk_err_set(err, TK_INTERNAL, "resolve",
		    "cannot initialise c-ares: %s", ares_strerror(rc));
	}
	r->ready = true;
	return 0;
}

void
tk_resolver_free(struct tk_resolver *r)
{
	if (r == NULL) {
		return;
	}
	if (r->ready) {
		/* pending lookups get ARES_EDESTRUCTION and free themselves */
		ares_destroy(r->ch);
		ares_library_cleanup();
	}
	tk_loop_timer_stop(r->loop, &r->timer);
	free(r);
}

static void
on_deliver(struct tk_loop *loop, void *arg)
{
	struct tk_lookup *l = arg;

	(void)loop;
	l->cb(l->arg, l->addrs, l->n, tk_err_is_set(&l->err) ? &l->err : NULL);
	free(l);
}

/* RFC 8305 section 4: interleave the families, the first one first. */
static void
interleave(struct tk_addr *a, size_t n)
{
	struct tk_addr tmp[TK_ADDRS_MAX];
	size_t i6 = 0, i4 = 0, k = 0;
	int first;

	if (n < 2) {
		return;
	}
	first = a[0].ss.ss_family;
	memcpy(tmp, a, n * sizeof(*a));
	while (k < n) {
		int want = (k % 2 == 0) ? first :
		    (first == AF_INET6 ? AF_INET : AF_INET6);
		size_t *idx = want == AF_INET6 ? &i6 : &i4;
		bool found = false;

		while (*idx < n) {
			if (tmp[*idx].ss.ss_family == want) {
				a[k++] = tmp[(*idx)++];
				found = true;
				break;
			}
			(*idx)++;
		}
		if (!found) {
			/* one family ran out: append the rest of the other */
			size_t *o = want == AF_INET6 ? &i4 : &i6;
			int other = want == AF_INET6 ? AF_INET : AF_INET6;

			for (; *o < n; (*o)++) {
				if (tmp[*o].ss.ss_family == other) {
					a[k++] = tmp[*o];
				}
			}
		}
	}
}

static void
on_addrinfo(void *arg, int status, int timeouts, struct ares_addrinfo *ai)
{
	struct tk_lookup *l = arg;

	(void)timeouts;
	l->in_ares = false;
	if (l->cancelled || status == ARES_EDESTRUCTION) {
		ares_freeaddrinfo(ai);
		free(l);
		return;
	}
	if (status != ARES_SUCCESS) {
		tk_err_set(&l->err, TK_NET, "resolve",
		    "cannot resolve '%s': %s", l->host,
		    status == ARES_ENOTFOUND ? "no such host" :
		    ares_strerror(status));
	} else {
		for (struct ares_addrinfo_node *nd = ai->nodes;
		     nd != NULL && l->n < TK_ADDRS_MAX; nd = nd->ai_next) {
			struct tk_addr *a = &l->addrs[l->n];
			bool dup = false;

			if ((nd->ai_family != AF_INET &&
			    nd->ai_family != AF_INET6) ||
			    (size_t)nd->ai_addrlen > sizeof(a->ss)) {
				continue;
			}
			memset(a, 0, sizeof(*a));
			memcpy(&a->ss, nd->ai_addr, nd->ai_addrlen);
			a->len = (socklen_t)nd->ai_addrlen;
			for (size_t i = 0; i < l->n; i++) {
				if (l->addrs[i].len == a->len &&
				    memcmp(&l->addrs[i].ss, &a->ss, a->len) ==
				    0) {
					dup = true;
				}
			}
			if (!dup) {
				l->n++;
			}
		}
		if (l->n == 0) {
			tk_err_set(&l->err, TK_NET, "resolve",
			    "'%s' has no %saddress", l->host,
			    l->family == AF_INET ? "IPv4 " :
			    l->family == AF_INET6 ? "IPv6 " : "");
		}
		interleave(l->addrs, l->n);
	}
	ares_freeaddrinfo(ai);
	tk_loop_timer_start(l->r->loop, &l->deliver, 0);
}

/*
 * Answers l from the --resolve map: entries for its port first, then
 * those for any port, in the order given.  False when no entry names it.
 */
static bool
from_map(struct tk_lookup *l)
{
	const struct tk_resolve_map *m = l->r->map;
	bool named = false;

	for (int pass = 0; m != NULL && pass < 2; pass++) {
		for (size_t i = 0; i < m->n; i++) {
			const struct tk_resolve_entry *e = &m->e[i];

			if (strcmp(e->host, l->host) != 0 ||
			    (pass == 0 ? e->port != l->port : e->port != 0)) {
				continue;
			}
			named = true;
			for (size_t k = 0; k < e->n && l->n < TK_ADDRS_MAX;
			     k++) {
				struct tk_addr *a = &l->addrs[l->n];
				struct sockaddr_in *s4 = (void *)&a->ss;
				struct sockaddr_in6 *s6 = (void *)&a->ss;

				if (l->family != AF_UNSPEC &&
				    l->family != e->addrs[k].family) {
					continue;
				}
				memset(a, 0, sizeof(*a));
				if (e->addrs[k].family == AF_INET) {
					s4->sin_family = AF_INET;
					s4->sin_port = htons(l->port);
					memcpy(&s4->sin_addr, e->addrs[k].bytes,
					    4);
					a->len = sizeof(*s4);
				} else {
					s6->sin6_family = AF_INET6;
					s6->sin6_port = htons(l->port);
					memcpy(&s6->sin6_addr,
					    e->addrs[k].bytes, 16);
					a->len = sizeof(*s6);
				}
				l->n++;
			}
		}
	}
	if (named && l->n == 0) {
		tk_err_set(&l->err, TK_NET, "resolve",
		    "'%s' has no %saddress in --resolve", l->host,
		    l->family == AF_INET ? "IPv4 " :
		    l->family == AF_INET6 ? "IPv6 " : "");
	}
	return named;
}

struct tk_lookup *
tk_resolve(struct tk_resolver *r, const char *host, uint16_t port,
    int family, tk_resolve_cb cb, void *arg, struct tk_err *err)
{
	struct ares_addrinfo_hints hints = {0};
	struct tk_lookup *l;
	char service[8];

	l = calloc(1, sizeof(*l));
	if (l == NULL) {
		tk_err_sys(err, TK_INTERNAL, "resolve", "out of memory");
		return NULL;
	}
	l->r = r;
	l->cb = cb;
	l->arg = arg;
	l->port = port;
	l->family = family;
	snprintf(l->host, sizeof(l->host), "%s", host);
	tk_timer_init(&l->deliver, on_deliver, l);
	if (tk_sockaddr_literal(host, port, &l->addrs[0])) {
		if (family != AF_UNSPEC &&
		    l->addrs[0].ss.ss_family != family) {
			tk_err_set(&l->err, TK_NET, "resolve",
			    "'%s' is not an %s address", host,
			    family == AF_INET ? "IPv4" : "IPv6");
		} else {
			l->n = 1;
		}
		tk_loop_timer_start(r->loop, &l->deliver, 0);
		return l;
	}
	if (from_map(l)) {
		tk_loop_timer_start(r->loop, &l->deliver, 0);
		return l;
	}
	if (resolver_ready(r, err) < 0) {
		free(l);
		return NULL;
	}
	snprintf(service, sizeof(service), "%u", port);
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = ARES_AI_NUMERICSERV | ARES_AI_NOSORT;
	l->in_ares = true;
	ares_getaddrinfo(r->ch, host, service, &hints, on_addrinfo, l);
	if (l->in_ares) {
		rearm(r);
	}
	return l;
}

void
tk_resolve_cancel(struct tk_lookup *l)
{
	if (l == NULL) {
		return;
	}
	if (l->in_ares) {
		l->cancelled = true;  /* on_addrinfo frees it */
		return;
	}
	tk_loop_timer_stop(l->r->loop, &l->deliver);
	free(l);
}
