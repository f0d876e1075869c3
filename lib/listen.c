#include "listen.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "banned.h"

/* Listen */

static int
listen_one(const struct tk_addr *a, int backlog, int *fd_out,
    struct tk_addr *bound, const char *spec, struct tk_err *err)
{
	int one = 1;
	int fd;
	char s[TK_ADDRSTR_MAX];

	tk_sockaddr_str((const struct sockaddr *)&a->ss, s, sizeof(s));
	fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd < 0) {
		return tk_err_sys(err, TK_NET, "listen",
		    "cannot create socket for %s", s);
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (a->ss.ss_family == AF_INET6) {
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	}
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len) < 0 ||
	    listen(fd, backlog) < 0) {
		tk_err_sys(err, TK_NET, "listen", "cannot listen on %s (%s)",
		    s, spec);
		close(fd);
		return -1;
	}
	bound->len = sizeof(bound->ss);
	if (getsockname(fd, (struct sockaddr *)&bound->ss, &bound->len) < 0) {
		tk_err_sys(err, TK_NET, "listen", "getsockname on %s", s);
		close(fd);
		return -1;
	}
	*fd_out = fd;
	return 0;
}

int
tk_listen(const char *spec, int backlog, int *fds, struct tk_addr *bound,
    int max, struct tk_err *err)
{
	struct tk_addr want[2];
	const char *colon;
	char host[INET6_ADDRSTRLEN + 2];
	uint16_t port = 0;
	int nwant = 0, n = 0;
	size_t hlen;

	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');

		if (close == NULL || close[1] != ':') {
			return tk_err_set(err, TK_USAGE, "listen",
			    "bad listen address '%s' (use [ADDR]:PORT)",
			    spec);
		}
		hlen = (size_t)(close - spec - 1);
		if (hlen >= sizeof(host)) {
			return tk_err_set(err, TK_USAGE, "listen",
			    "bad listen address '%s'", spec);
		}
		memcpy(host, spec + 1, hlen);
		host[hlen] = '\0';
		colon = close + 1;
	} else {
		colon = strrchr(spec, ':');
		if (colon == NULL) {
			colon = spec - 1;  /* a bare port */
			hlen = 0;
		} else {
			hlen = (size_t)(colon - spec);
		}
		if (hlen >= sizeof(host) || memchr(spec, ':', hlen) != NULL) {
			return tk_err_set(err, TK_USAGE, "listen",
			    "bad listen address '%s' (IPv6 needs "
			    "[ADDR]:PORT)", spec);
		}
		memcpy(host, spec, hlen);
		host[hlen] = '\0';
	}
	{
		const char *ps = colon + 1;
		unsigned long v = 0;

		if (*ps == '\0' || strlen(ps) > 5) {
			return tk_err_set(err, TK_USAGE, "listen",
			    "bad port in listen address '%s'", spec);
		}
		for (; *ps != '\0'; ps++) {
			if (!isdigit((unsigned char)*ps)) {
				return tk_err_set(err, TK_USAGE, "listen",
				    "bad port in listen address '%s'", spec);
			}
			v = v * 10 + (unsigned long)(*ps - '0');
		}
		if (v > 65535) {
			return tk_err_set(err, TK_USAGE, "listen",
			    "port out of range in listen address '%s'", spec);
		}
		port = (uint16_t)v;
	}
	if (host[0] == '\0' || strcmp(host, "*") == 0) {
		tk_sockaddr_literal("0.0.0.0", port, &want[nwant++]);
		tk_sockaddr_literal("::", port, &want[nwant++]);
	} else if (strcmp(host, "localhost") == 0) {
		tk_sockaddr_literal("127.0.0.1", port, &want[nwant++]);
		tk_sockaddr_literal("::1", port, &want[nwant++]);
	} else if (tk_sockaddr_literal(host, port, &want[0])) {
		nwant = 1;
	} else {
		return tk_err_set(err, TK_USAGE, "listen",
		    "listen address '%s' must be an IP address, '*' or "
		    "'localhost'", spec);
	}
	for (int i = 0; i < nwant && n < max; i++) {
		struct tk_addr *b = &bound[n];

		/* one port for both families when 0 was asked */
		if (i > 0 && port == 0 && n > 0) {
			struct sockaddr_in *p4 = (void *)&bound[0].ss;
			struct sockaddr_in6 *p6 = (void *)&want[i].ss;

			p6->sin6_port = p4->sin_port;
		}
		if (listen_one(&want[i], backlog, &fds[n], b, spec, err) < 0) {
			for (int k = 0; k < n; k++) {
				close(fds[k]);
			}
			return -1;
		}
		n++;
	}
	return n;
}
