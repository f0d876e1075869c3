/*
 * Targets, name resolution, non-blocking connect and listen.
 *
 * A target is parsed once, before any I/O, so bad input is reported with
 * exit 2 (docs/ARCHITECTURE.md, "The client data path").  Resolution runs
 * on the loop through c-ares; connect races every address, IPv6 and IPv4
 * interleaved with a stagger (RFC 8305).
 */
#ifndef TK_NET_H
#define TK_NET_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "err.h"
#include "loop.h"

#define TK_HOST_MAX 254    /* RFC 1035: 253 octets, plus NUL */
#define TK_ADDRSTR_MAX 64  /* "[v6%scope]:port" */

struct tk_target {
	char host[TK_HOST_MAX];   /* A-label form, no brackets, no final dot */
	char display[512];        /* as given (Unicode kept), for messages */
	char scheme[16];          /* lower case, "" when none was given */
	uint16_t port;
	int ip_family;            /* AF_INET/AF_INET6 for literals, else 0 */
	bool had_port;
};

/*
 * Parses HOST, HOST:PORT, [V6]:PORT, a bare IPv6 literal, or
 * SCHEME://HOST[:PORT][/PATH].  IDN names become A-labels (IDNA2008,
 * libidn2).  default_port is used when neither a port nor a known scheme
 * gives one.  Returns 0, or -1 with err (class USAGE) set.
 */
int tk_target_parse(const char *text, uint16_t default_port,
    struct tk_target *t, struct tk_err *err);

/* The well-known port of a URL scheme, or 0; *starttls gets the protocol
 * to speak before TLS ("smtp", ...) or NULL for implicit TLS. */
uint16_t tk_scheme_port(const char *scheme, const char **starttls);

/* Validates a --hostname value (a name or IP literal, no port) and
 * writes its A-label form.  Returns 0 or -1 with err (USAGE). */
int tk_hostname_check(const char *in, char *out, size_t outlen,
    struct tk_err *err);

/* True when s is an IPv4 or IPv6 literal (no brackets). */
bool tk_is_ip_literal(const char *s);

/* "127.0.0.1:443" or "[::1]:443" into buf. */
void tk_sockaddr_str(const struct sockaddr *sa, char *buf, size_t len);

struct tk_addr {
	struct sockaddr_storage ss;
	socklen_t len;
};

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
 * from the loop, with the addresses (ports set) or an error of class NET.
 * IP literals are answered without c-ares.  The returned handle may be
 * cancelled until cb runs; after cb it is gone.  NULL with err on failure.
 */
struct tk_lookup *tk_resolve(struct tk_resolver *r, const char *host,
    uint16_t port, int family, tk_resolve_cb cb, void *arg,
    struct tk_err *err);
void tk_lookup_cancel(struct tk_lookup *l);

/*
 * Connect: tries addrs in RFC 8305 order (families interleaved, the first
 * family first), starting the next attempt after stagger_ms or as soon as
 * one fails; the first to connect wins and the others are closed.  cb gets
 * the connected non-blocking fd (the callee owns it) and the index of the
 * winning address, or fd -1 and an error of class NET naming every address
 * tried.  The caller bounds the whole with its own deadline by calling
 * tk_connect_free(), which closes every attempt still open.
 */
struct tk_connect;
typedef void (*tk_connect_cb)(void *arg, int fd, const struct tk_addr *addr,
    const struct tk_err *err);

struct tk_connect *tk_connect_start(struct tk_loop *loop,
    const struct tk_addr *addrs, size_t n, unsigned stagger_ms,
    tk_connect_cb cb, void *arg, struct tk_err *err);
void tk_connect_free(struct tk_connect *c);

/*
 * Listen on "ADDR:PORT", "[V6]:PORT", "*:PORT" (all IPv4 and IPv6),
 * "localhost:PORT" (127.0.0.1 and ::1) or ":PORT" (all).  No DNS is used.
 * Fills up to max fds (non-blocking, close-on-exec) and their bound
 * addresses; returns how many, or -1 with err (USAGE for a bad spec, NET
 * when the bind fails).
 */
int tk_listen(const char *spec, int backlog, int *fds, struct tk_addr *bound,
    int max, struct tk_err *err);

/* Sets O_NONBLOCK and FD_CLOEXEC; returns 0 or -1 (errno set). */
int tk_fd_nonblock(int fd);

#endif
