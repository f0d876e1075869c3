#include "load.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "stream.h"

#include "banned.h"

#define STREAM_CAP 16384
#define RETRY_MS 10              /* pause after a failed connection */
#define GRACE_MS 2000            /* for the closes after --duration */

enum sstate { S_IDLE, S_CONNECT, S_HANDSHAKE, S_ECHO, S_BYE };

struct slot {
	struct tk_load *l;
	enum sstate state;
	int fd;
	struct tk_tls *tls;
	struct tk_stream *st;
	struct tk_timer timer;       /* step deadline, or the retry pause */
	uint64_t t0_us, blk_t0_us;
	size_t sent, recv;           /* of the current block */
	uint64_t blocks;             /* on this connection */
};

struct tk_load {
	struct tk_loop *loop;
	struct tk_load_conf conf;
	tk_load_cb done;
	void *arg;
	struct slot *slots;
	unsigned char *block;
	struct tk_timer end;
	uint64_t start_us;
	bool over, finished;
	struct tk_load_result res;
};

static void slot_step(struct slot *sl);
static void slot_start(struct slot *sl);

static void
slot_close(struct slot *sl)
{
	struct tk_load *l = sl->l;

	tk_loop_timer_stop(l->loop, &sl->timer);
	tk_stream_free(sl->st);
	sl->st = NULL;
	if (sl->fd >= 0) {
		tk_loop_unwatch(l->loop, sl->fd);
		close(sl->fd);
		sl->fd = -1;
	}
	tk_tls_free(sl->tls);
	sl->tls = NULL;
	sl->state = S_IDLE;
}

static void
finish(struct tk_load *l)
{
	struct tk_load_result *r = &l->res;

	if (l->finished) {
		return;
	}
	l->finished = true;
	tk_loop_timer_stop(l->loop, &l->end);
	tk_samples_sort(&r->hs);
	tk_samples_sort(&r->rtt);
	l->done(l, l->arg);
}

/* After --duration, the last slot closed ends the run. */
static void
maybe_done(struct tk_load *l)
{
	for (size_t i = 0; i < l->conf.connections; i++) {
		if (l->slots[i].state != S_IDLE) {
			return;
		}
	}
	finish(l);
}

/* A failed connection: counted, the first one kept, retried after 10 ms. */
static void
slot_fail(struct slot *sl, const struct tk_err *e)
{
	struct tk_load *l = sl->l;
	struct tk_err copy;

	/* e may live in the session that slot_close() frees */
	tk_err_clear(&copy);
	if (e != NULL) {
		copy = *e;
	}
	slot_close(sl);
	if (l->over) {
		maybe_done(l);  /* not counted after the end */
		return;
	}
	l->res.errors++;
	if (!tk_err_is_set(&l->res.first)) {
		l->res.first = copy;
	}
	tk_loop_timer_start(l->loop, &sl->timer, RETRY_MS);
}

static void
on_slot_fd(struct tk_loop *loop, int fd, unsigned events, void *arg)
{
	(void)loop;
	(void)fd;
	(void)events;
	slot_step(arg);
}

static void
on_slot_stream(struct tk_stream *st, void *arg)
{
	(void)st;
	slot_step(arg);
}

static void
on_slot_timer(struct tk_loop *loop, void *arg)
{
	struct slot *sl = arg;
	struct tk_err e;

	(void)loop;
	if (sl->state == S_IDLE) {
		slot_start(sl);  /* the pause after an error is over */
		return;
	}
	tk_err_clear(&e);
	tk_err_set(&e, sl->state == S_HANDSHAKE ? TK_TLS : TK_NET,
	    sl->state == S_CONNECT ? "connect" : sl->state == S_HANDSHAKE ?
	    "handshake" : sl->state == S_ECHO ? "echo" : "close",
	    "timed out after %.3g s", sl->l->conf.timeout_ms / 1000.0);
	slot_fail(sl, &e);
}

static void
slot_start(struct slot *sl)
{
	struct tk_load *l = sl->l;
	const struct tk_addr *peer = &l->conf.peer;
	struct tk_err e;
	int one = 1;

	tk_err_clear(&e);
	if (l->over) {
		maybe_done(l);
		return;
	}
	sl->t0_us = tk_loop_now_us();
	sl->blocks = 0;
	sl->fd = socket(peer->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (sl->fd < 0) {
		tk_err_sys(&e, TK_NET, "connect", "cannot create a socket");
		slot_fail(sl, &e);
		return;
	}
	setsockopt(sl->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(sl->fd, (const struct sockaddr *)&peer->ss,
	    peer->len) < 0 && errno != EINPROGRESS) {
		tk_err_sys(&e, TK_NET, "connect", "connect failed");
		slot_fail(sl, &e);
		return;
	}
	sl->state = S_CONNECT;
	if (tk_loop_watch(l->loop, sl->fd, TK_WRITE, on_slot_fd, sl,
	    &e) < 0) {
		slot_fail(sl, &e);
		return;
	}
	tk_loop_timer_start(l->loop, &sl->timer, l->conf.timeout_ms);
}

/* Blocks of --size, one outstanding at a time, checked. */
static void
slot_echo(struct slot *sl)
{
	struct tk_load *l = sl->l;
	size_t size = l->conf.size, len;
	const unsigned char *p;
	struct tk_err e;
	ssize_t n;

	tk_err_clear(&e);
	for (;;) {
		if (sl->sent < size) {
			if (sl->sent == 0 && sl->recv == 0) {
				sl->blk_t0_us = tk_loop_now_us();
			}
			n = tk_stream_write(sl->st, l->block + sl->sent,
			    size - sl->sent);
			if (n > 0) {
				sl->sent += (size_t)n;
				continue;
			}
			if (n == -1) {
				slot_fail(sl, tk_stream_error(sl->st));
				return;
			}
			/* the stream calls back when it can go on */
		}
		p = tk_stream_data(sl->st, &len);
		if (len == 0) {
			if (tk_stream_error(sl->st) != NULL) {
				slot_fail(sl, tk_stream_error(sl->st));
			} else if (tk_stream_eof(sl->st)) {
				tk_err_set(&e, TK_CHECK, "echo", "the server "
				    "closed the connection during a block");
				slot_fail(sl, &e);
			}
			return;
		}
		if (len > size - sl->recv) {
			len = size - sl->recv;
		}
		if (sl->recv + len > sl->sent ||
		    memcmp(p, l->block + sl->recv, len) != 0) {
			tk_err_set(&e, TK_CHECK, "echo", "the echo differs "
			    "from what was sent");
			slot_fail(sl, &e);
			return;
		}
		tk_stream_consume(sl->st, len);
		sl->recv += len;
		tk_loop_timer_start(l->loop, &sl->timer, l->conf.timeout_ms);
		if (sl->recv < size) {
			continue;
		}
		tk_samples_add(&l->res.rtt,
		    (double)(tk_loop_now_us() - sl->blk_t0_us) / 1000.0);
		l->res.blocks++;
		l->res.bytes += size;
		sl->blocks++;
		sl->sent = sl->recv = 0;
		if (l->conf.count > 0 && sl->blocks >= l->conf.count) {
			sl->state = S_BYE;
			tk_stream_shutdown(sl->st);
			slot_step(sl);
			return;
		}
	}
}

static void
slot_step(struct slot *sl)
{
	struct tk_load *l = sl->l;
	struct tk_err e;
	int rc, soerr = 0;
	socklen_t sl_len = sizeof(soerr);
	size_t len;

	tk_err_clear(&e);
	switch (sl->state) {
	case S_IDLE:
		return;
	case S_CONNECT:
		if (getsockopt(sl->fd, SOL_SOCKET, SO_ERROR, &soerr,
		    &sl_len) < 0 || soerr != 0) {
			errno = soerr;
			tk_err_sys(&e, TK_NET, "connect", "connect failed");
			slot_fail(sl, &e);
			return;
		}
		sl->tls = tk_tls_new(sl->fd, &l->conf.tc, l->conf.creds, &e);
		if (sl->tls == NULL) {
			slot_fail(sl, &e);
			return;
		}
		sl->state = S_HANDSHAKE;
		/* fall through */
	case S_HANDSHAKE:
		rc = tk_tls_handshake(sl->tls);
		if (rc == TK_WANT_READ || rc == TK_WANT_WRITE) {
			tk_loop_rewatch(l->loop, sl->fd,
			    rc == TK_WANT_WRITE ? TK_WRITE : TK_READ);
			return;
		}
		if (rc < 0) {
			slot_fail(sl, tk_tls_error(sl->tls));
			return;
		}
		if (!l->over) {
			l->res.handshakes++;
			tk_samples_add(&l->res.hs,
			    (double)(tk_loop_now_us() - sl->t0_us) / 1000.0);
		}
		tk_loop_timer_start(l->loop, &sl->timer, l->conf.timeout_ms);
		sl->sent = sl->recv = 0;
		sl->st = tk_stream_new(l->loop, sl->tls, sl->fd, STREAM_CAP,
		    on_slot_stream, sl, &e);
		if (sl->st == NULL) {
			slot_fail(sl, &e);
			return;
		}
		sl->state = l->conf.handshake_only || l->over ? S_BYE : S_ECHO;
		if (sl->state == S_BYE) {
			tk_stream_shutdown(sl->st);
		}
		slot_step(sl);
		return;
	case S_ECHO:
		slot_echo(sl);
		return;
	case S_BYE:
		/* close_notify, and the server's in reply */
		(void)tk_stream_data(sl->st, &len);
		tk_stream_consume(sl->st, len);
		if (tk_stream_error(sl->st) != NULL) {
			slot_fail(sl, tk_stream_error(sl->st));
		} else if (tk_stream_closed(sl->st) && tk_stream_eof(sl->st)) {
			slot_close(sl);
			slot_start(sl);  /* again: a new full handshake */
		}
		return;
	}
}

/*
 * --duration is over: nothing counts any more and nothing starts again;
 * connections in their echo say close_notify now, handshakes under way
 * finish and close.  What is still open GRACE_MS later is cut.
 */
static void
on_end(struct tk_loop *loop, void *arg)
{
	struct tk_load *l = arg;

	(void)loop;
	if (l->over) {
		for (size_t i = 0; i < l->conf.connections; i++) {
			slot_close(&l->slots[i]);
		}
		finish(l);
		return;
	}
	l->over = true;
	l->res.seconds = (double)(tk_loop_now_us() - l->start_us) / 1e6;
	tk_loop_timer_start(l->loop, &l->end, GRACE_MS);
	for (size_t i = 0; i < l->conf.connections; i++) {
		struct slot *sl = &l->slots[i];

		if (sl->state == S_IDLE) {
			tk_loop_timer_stop(l->loop, &sl->timer);
		} else if (sl->state == S_ECHO) {
			sl->state = S_BYE;
			tk_stream_shutdown(sl->st);
			slot_step(sl);
		}
	}
	maybe_done(l);
}

struct tk_load *
tk_load_start(struct tk_loop *loop, const struct tk_load_conf *conf,
    tk_load_cb done, void *arg, struct tk_err *err)
{
	struct tk_load *l = calloc(1, sizeof(*l));

	if (l == NULL) {
		tk_err_set(err, TK_INTERNAL, "load", "out of memory");
		return NULL;
	}
	l->loop = loop;
	l->conf = *conf;
	l->done = done;
	l->arg = arg;
	l->res.connections = conf->connections;
	tk_err_clear(&l->res.first);
	l->slots = calloc(conf->connections, sizeof(*l->slots));
	if (!conf->handshake_only) {
		l->block = malloc(conf->size);
	}
	if (l->slots == NULL || (!conf->handshake_only && l->block == NULL)) {
		tk_err_set(err, TK_INTERNAL, "load", "out of memory");
		tk_load_free(l);
		return NULL;
	}
	for (size_t i = 0; l->block != NULL && i < conf->size; i++) {
		l->block[i] = (unsigned char)('a' + i % 26);
	}
	/* a line: line-based echo servers (gnutls-serv --echo) answer it */
	if (l->block != NULL) {
		l->block[conf->size - 1] = '\n';
	}
	tk_timer_init(&l->end, on_end, l);
	l->start_us = tk_loop_now_us();
	tk_loop_timer_start(loop, &l->end, (uint64_t)(conf->duration * 1000));
	for (size_t i = 0; i < conf->connections; i++) {
		struct slot *sl = &l->slots[i];

		sl->l = l;
		sl->fd = -1;
		tk_timer_init(&sl->timer, on_slot_timer, sl);
	}
	for (size_t i = 0; i < conf->connections; i++) {
		slot_start(&l->slots[i]);
	}
	return l;
}

const struct tk_load_result *
tk_load_result(const struct tk_load *l)
{
	return &l->res;
}

void
tk_load_free(struct tk_load *l)
{
	if (l == NULL) {
		return;
	}
	for (size_t i = 0; l->slots != NULL && i < l->conf.connections; i++) {
		slot_close(&l->slots[i]);
	}
	tk_loop_timer_stop(l->loop, &l->end);
	free(l->slots);
	free(l->block);
	tk_samples_clear(&l->res.hs);
	tk_samples_clear(&l->res.rtt);
	free(l);
}

void
tk_load_report(const struct tk_load *l, struct tk_result *r)
{
	const struct tk_load_result *lr = &l->res;
	struct tk_load_stats *ls = &r->load;

	ls->used = true;
	ls->count = lr->blocks;
	ls->size = l->conf.handshake_only ? 0 : l->conf.size;
	ls->seconds = lr->seconds;
	ls->mbps = lr->seconds > 0 ? (double)lr->bytes / lr->seconds / 1e6 :
	    0;
	ls->rtt_p50_ms = tk_samples_percentile(&lr->rtt, 50);
	ls->rtt_p90_ms = tk_samples_percentile(&lr->rtt, 90);
	ls->rtt_p99_ms = tk_samples_percentile(&lr->rtt, 99);
	if (tk_err_is_set(&lr->first)) {
		r->err = lr->first;
		r->cls = lr->first.cls;
	} else if (lr->handshakes == 0) {
		tk_err_set(&r->err, TK_NET, "load", "no handshake completed "
		    "in %.3g s", l->conf.duration);
		r->cls = TK_NET;
	}
}
