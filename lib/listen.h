/*
 * Listening sockets for tls-echo-server.
 */
#ifndef TK_LISTEN_H
#define TK_LISTEN_H

#include "err.h"
#include "sockaddr.h"

/*
 * Listen on "ADDR:PORT", "[V6]:PORT", "*:PORT" (all IPv4 and IPv6),
 * "localhost:PORT" (127.0.0.1 and ::1) or ":PORT" (all).  No DNS is used.
 * Fills up to max fds (non-blocking, close-on-exec) and their bound
 * addresses; returns how many, or -1 with err (USAGE for a bad spec, NET
 * when the bind fails).
 */
int tk_listen(const char *spec, int backlog, int *fds, struct tk_addr *bound,
    int max, struct tk_err *err);

#endif
