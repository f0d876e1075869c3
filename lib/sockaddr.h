/*
 * Socket addresses: struct tk_addr, shared by the resolver, connect and
 * listen, and their text form for messages.
 */
#ifndef TK_SOCKADDR_H
#define TK_SOCKADDR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define TK_ADDRSTR_MAX 64  /* "[v6%scope]:port" */
#define TK_ADDRS_MAX 16    /* addresses kept per lookup and per connect */

struct tk_addr {
	struct sockaddr_storage ss;
	socklen_t len;
};

/* "127.0.0.1:443" or "[::1]:443" into buf. */
void tk_sockaddr_str(const struct sockaddr *sa, char *buf, size_t len);

/*
 * Fills a with the IPv4 or IPv6 literal host (no brackets) and port.
 * Returns true, or false (a zeroed) when host is not an IP literal.
 */
bool tk_sockaddr_literal(const char *host, uint16_t port, struct tk_addr *a);

#endif
