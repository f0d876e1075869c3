/*
 * Name resolution: --resolve answers from the command line, then c-ares
 * on the loop (docs/ARCHITECTURE.md, "The client data path").
 */
#ifndef TK_RESOLVE_H
#define TK_RESOLVE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "loop.h"
#include "sockaddr.h"
#include "target.h"

/*
 * --resolve NAME:PORT:ADDR[,ADDR...] (curl's form) or NAME:ADDR[,ADDR...]
 * (any port): answers for NAME from the command line instead of DNS.
 * Entries for the same name and port add up, so one name can map to an
 * IPv4 and an IPv6 address given in two options.  IPv6 addresses may be
 * written in brackets, and must be when NAME:ADDR would be ambiguous.
 */
#define TK_RESOLVE_MAX 32        /* entries */
#define TK_RESOLVE_ADDRS 8       /* addresses per entry */

struct tk_resolve_entry {
	char host[TK_HOST_MAX];   /* A-label, lower case */
	uint16_t port;            /* 0: any port */
	struct tk_addr_lite {
		int family;
		unsigned char bytes[16];
	} addrs[TK_RESOLVE_ADDRS];
	size_t n;
};

struct tk_resolve_map {
	struct tk_resolve_entry e[TK_RESOLVE_MAX];
	size_t n;
};

/*
 * Adds one --resolve value to m.  Returns 0, or -1 with err (USAGE) for
 * a bad name, port or address, or a missing address.
 */
int tk_resolve_map_add(struct tk_resolve_map *m, const char *spec,
    struct tk_err *err);

/*
 * Resolver: one c-ares channel per loop, shared by all lookups on it.
 */
struct tk_resolver;
struct tk_lookup;

typedef void (*tk_resolve_cb)(void *arg, const struct tk_addr *addrs,
    size_t n, const struct tk_err *err);

struct tk_resolver *tk_resolver_new(struct tk_loop *loop,
    struct tk_err *err);
void tk_resolver_free(struct tk_resolver *r);

/*
 * Answers names found in map (borrowed, must outlive r) from it instead
 * of DNS, for every lookup on r.  NULL removes the map.
 */
void tk_resolver_set_map(struct tk_resolver *r,
    const struct tk_resolve_map *map);

/*
 * Looks up host (family AF_UNSPEC, AF_INET or AF_INET6) and calls cb once,
 * from the loop, with at most TK_ADDRS_MAX addresses (ports set) or an
 * error of class NET.  IP literals are answered without c-ares.  The
 * returned handle may be cancelled until cb runs; after cb it is gone.
 * NULL with err on failure.
 */
struct tk_lookup *tk_resolve(struct tk_resolver *r, const char *host,
    uint16_t port, int family, tk_resolve_cb cb, void *arg,
    struct tk_err *err);
void tk_resolve_cancel(struct tk_lookup *l);

#endif
