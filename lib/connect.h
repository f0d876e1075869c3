/*
 * Non-blocking connect: every address raced, IPv6 and IPv4 interleaved
 * with a stagger (RFC 8305).
 */
#ifndef TK_CONNECT_H
#define TK_CONNECT_H

#include <stddef.h>

#include "err.h"
#include "loop.h"
#include "sockaddr.h"

/*
 * Connect: tries addrs in RFC 8305 order (families interleaved, the first
 * family first), starting the next attempt after stagger_ms or as soon as
 * one fails; the first to connect wins and the others are closed.  cb gets
 * the connected non-blocking fd (the callee owns it) and the index of the
 * winning address, or fd -1 and an error of class NET naming every address
 * tried.  The caller bounds the whole with its own deadline by calling
 * tk_connect_free(), which closes every attempt still open.  Addresses
 * past the first TK_ADDRS_MAX are not tried.
 */
struct tk_connect;
typedef void (*tk_connect_cb)(void *arg, int fd, const struct tk_addr *addr,
    const struct tk_err *err);

struct tk_connect *tk_connect_start(struct tk_loop *loop,
    const struct tk_addr *addrs, size_t n, unsigned stagger_ms,
    tk_connect_cb cb, void *arg, struct tk_err *err);
void tk_connect_free(struct tk_connect *c);

#endif
