#include "connect.h"

#include <errno.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "banned.h"

/* Connect: RFC 8305 racing over a list of addresses. */

#define TK_ERRLIST_MAX 384

struct tk_connect {
	struct tk_loop *loop;
	struct tk_addr addrs[TK_ADDRS_MAX];
	int fds[TK_ADDRS_MAX];
	size_t n, next, nopen;
	unsigned stagger_ms;
	struct tk_timer timer;
	tk_connect_cb cb;
	void *arg;
	char errs[TK_ERRLIST_MAX];
};

static void start_next(struct tk_loop *loop, void *arg);

static void
note_failure(struct tk_connect *c, size_t i, int errnum)
{
	char a[TK_ADDRSTR_MAX];
	size_t len = strlen(c->errs);

	tk_sockaddr_str((const struct sockaddr *)&c->addrs[i].ss, a,
	    sizeof(a));
	snprintf(c->errs + len, sizeof(c->errs) - len, "%s%s: %s",
	    len ? "; " : "", a, strerror(errnum));
}

static void
finish_failure(struct tk_connect *c)
{
	struct tk_err err;
	char a[TK_ADDRSTR_MAX];

	tk_err_clear(&err);
	tk_loop_timer_stop(c->loop, &c->timer);
	if (c->n == 1) {
		tk_sockaddr_str((const struct sockaddr *)&c->addrs[0].ss, a,
		    sizeof(a));
		tk_err_set(&err, TK_NET, "connect", "cannot connect to %s",
		    c->errs);
	} else {
		tk_err_set(&err, TK_NET, "connect",
		    "cannot connect to any of %zu addresses: %s", c->n,
		    c->errs);
	}
	c->cb(c->arg, -1, NULL, &err);
}

static void
on_connect_event(struct tk_loop *loop, int fd, unsigned events, void *arg)
{
	struct tk_connect *c = arg;
	int soerr = 0;
	socklen_t sl = sizeof(soerr);
	size_t i;

	for (i = 0; i < c->next && c->fds[i] != fd; i++) {
	}
	if (i == c->next) {
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0) {
		soerr = errno;
	}
	if (soerr == EINPROGRESS || (soerr == 0 && !(events & TK_WRITE))) {
		return;
	}
	tk_loop_unwatch(loop, fd);
	c->fds[i] = -1;
	c->nopen--;
	if (soerr != 0) {
		close(fd);
		note_failure(c, i, soerr);
		if (c->next < c->n) {
			tk_loop_timer_start(loop, &c->timer, 0);
		} else if (c->nopen == 0) {
			finish_failure(c);
		}
		return;
	}
	/* the winner: close the others now, hand the fd over */
	tk_loop_timer_stop(loop, &c->timer);
	for (size_t k = 0; k < c->next; k++) {
		if (c->fds[k] >= 0) {
			tk_loop_unwatch(loop, c->fds[k]);
			close(c->fds[k]);
			c->fds[k] = -1;
		}
	}
	c->nopen = 0;
	c->cb(c->arg, fd, &c->addrs[i], NULL);
}

static void
start_next(struct tk_loop *loop, void *arg)
{
	struct tk_connect *c = arg;

	while (c->next < c->n) {
		size_t i = c->next++;
		const struct tk_addr *a = &c->addrs[i];
		int one = 1;
		int fd;

		fd = socket(a->ss.ss_family,
		    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			note_failure(c, i, errno);
			continue;
		}
		/* no Nagle: a handshake is many small writes */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (connect(fd, (const struct sockaddr *)&a->ss, a->len) < 0 &&
		    errno != EINPROGRESS) {
			note_failure(c, i, errno);
			close(fd);
			continue;
		}
		if (tk_loop_watch(loop, fd, TK_WRITE, on_connect_event, c,
		    NULL) < 0) {
			note_failure(c, i, errno ? errno : ENOMEM);
			close(fd);
			continue;
		}
		c->fds[i] = fd;
		c->nopen++;
		if (c->next < c->n) {
			tk_loop_timer_start(loop, &c->timer, c->stagger_ms);
		}
		return;
	}
	if (c->nopen == 0) {
		finish_failure(c);
	}
}

struct tk_connect *
tk_connect_start(struct tk_loop *loop, const struct tk_addr *addrs, size_t n,
    unsigned stagger_ms, tk_connect_cb cb, void *arg, struct tk_err *err)
{
	struct tk_connect *c;

	if (n == 0) {
		tk_err_set(err, TK_INTERNAL, "connect", "no address given");
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		tk_err_sys(err, TK_INTERNAL, "connect", "out of memory");
		return NULL;
	}
	if (n > TK_ADDRS_MAX) {
		n = TK_ADDRS_MAX;
	}
	c->loop = loop;
	memcpy(c->addrs, addrs, n * sizeof(*addrs));
	for (size_t i = 0; i < TK_ADDRS_MAX; i++) {
		c->fds[i] = -1;
	}
	c->n = n;
	c->stagger_ms = stagger_ms;
	c->cb = cb;
	c->arg = arg;
	tk_timer_init(&c->timer, start_next, c);
	/* first attempt from the loop, so cb never runs inside this call */
	tk_loop_timer_start(loop, &c->timer, 0);
	return c;
}

void
tk_connect_free(struct tk_connect *c)
{
	if (c == NULL) {
		return;
	}
	tk_loop_timer_stop(c->loop, &c->timer);
	for (size_t i = 0; i < c->next; i++) {
		if (c->fds[i] >= 0) {
			tk_loop_unwatch(c->loop, c->fds[i]);
			close(c->fds[i]);
		}
	}
	free(c);
}
