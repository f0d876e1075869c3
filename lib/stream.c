#include "stream.h"

#include <stdlib.h>
#include <string.h>

#include "banned.h"

/*
 * Callbacks per wake-up at most: a busy peer cannot starve the others on
 * the loop; when it still had work, the 0 ms timer brings it back.
 */
#define ROUNDS 16

struct tk_stream {
	struct tk_loop *loop;
	struct tk_tls *tls;      /* borrowed */
	int fd;                  /* borrowed */
	tk_stream_cb cb;
	void *arg;
	unsigned char *buf;      /* allocated while bytes are held */
	size_t cap, off, len;
	struct tk_timer kick;    /* the 0 ms timer of the drain */
	int rd_want;             /* last read: TK_WANT_*, or 0 */
	int wr_want;             /* a write waits for this, or 0 */
	int bye_want;            /* the close_notify waits for this, or 0 */
	bool eof, closing, closed, failed;
	bool wake;               /* call back even without new bytes */
	bool busy, dead;         /* inside run(); freed from the callback */
	struct tk_err err;
};

static void arrange(struct tk_stream *st);

static void
fail(struct tk_stream *st)
{
	if (!st->failed) {
		st->failed = true;
		st->err = *tk_tls_error(st->tls);
		if (!tk_err_is_set(&st->err)) {
			tk_err_set(&st->err, TK_INTERNAL, "read",
			    "the TLS session failed");
		}
	}
}

static bool
can_read(const struct tk_stream *st)
{
	/* consumed bytes at the front are room: fill() compacts */
	return !st->eof && !st->failed && st->len - st->off < st->cap;
}

/*
 * Reads until the buffer is full or the session would block: records
 * decrypted inside GnuTLS come out here too.  Returns true when something
 * changed (bytes, EOF, an error).
 */
static bool
fill(struct tk_stream *st)
{
	bool news = false;

	st->rd_want = 0;
	while (can_read(st)) {
		ssize_t n;

		if (st->buf == NULL) {
			st->buf = malloc(st->cap);
			if (st->buf == NULL) {
				tk_err_set(&st->err, TK_INTERNAL, "read",
				    "out of memory");
				st->failed = true;
				return true;
			}
			st->off = st->len = 0;
		} else if (st->off > 0) {
			/* compact: the held bytes start the buffer */
			memmove(st->buf, st->buf + st->off, st->len - st->off);
			st->len -= st->off;
			st->off = 0;
		}
		n = tk_tls_read(st->tls, st->buf + st->len,
		    st->cap - st->len);
		if (n > 0) {
			st->len += (size_t)n;
			news = true;
		} else if (n == 0) {
			st->eof = true;
			news = true;
		} else if (n == TK_WANT_READ || n == TK_WANT_WRITE) {
			st->rd_want = (int)n;
			break;
		} else if (st->closed &&
		    tk_tls_error(st->tls)->cls == TK_NET) {
			/* a reset or EOF after our close_notify: its end */
			st->eof = true;
			news = true;
		} else {
			fail(st);
			news = true;
		}
	}
	return news;
}

/* Our close_notify, begun by tk_stream_shutdown(). */
static bool
bye(struct tk_stream *st)
{
	int rc;

	if (!st->closing || st->closed || st->failed) {
		return false;
	}
	rc = tk_tls_bye(st->tls, false);
	st->bye_want = 0;
	if (rc == TK_WANT_READ || rc == TK_WANT_WRITE) {
		st->bye_want = rc;
		return false;
	}
	if (rc < 0) {
		fail(st);
	} else {
		st->closed = true;
	}
	return true;
}

static void
release(struct tk_stream *st)
{
	free(st->buf);
	free(st);
}

static void
run(struct tk_stream *st)
{
	int round;

	if (st->cb == NULL) {
		return;  /* parked */
	}
	st->busy = true;
	for (round = 0; round < ROUNDS; round++) {
		bool news = st->wake;

		st->wake = false;
		news = bye(st) || news;
		news = fill(st) || news;
		if (!news) {
			break;
		}
		st->cb(st, st->arg);
		if (st->dead) {
			release(st);
			return;
		}
		if (st->cb == NULL) {
			break;   /* parked by its callback */
		}
	}
	st->busy = false;
	if (round == ROUNDS && st->cb != NULL) {
		/* still busy: come back on the next round, others go first */
		st->wake = true;
		tk_loop_timer_start(st->loop, &st->kick, 0);
	}
	arrange(st);
}

static void
on_fd(struct tk_loop *loop, int fd, unsigned events, void *arg)
{
	struct tk_stream *st = arg;

	(void)loop;
	(void)fd;
	(void)events;
	if (st->wr_want != 0) {
		/* a write that waited may go on: its owner retries */
		st->wr_want = 0;
		st->wake = true;
	}
	run(st);
}

static void
on_kick(struct tk_loop *loop, void *arg)
{
	(void)loop;
	run(arg);
}

/*
 * The watch follows what can move: read while there is room (and the
 * last read said so), write while a write or the close_notify waits.  A
 * full buffer is not watched: the peer waits (back-pressure).  A reader
 * stopped by a full buffer, not by TK_WANT_READ, may have records inside
 * GnuTLS that no fd event announces: once there is room, the 0 ms timer.
 */
static void
arrange(struct tk_stream *st)
{
	unsigned ev = 0;

	if (st->busy || st->dead) {
		return;
	}
	if (st->cb == NULL) {
		/* parked: nothing read, nothing waited for */
		tk_loop_timer_stop(st->loop, &st->kick);
		tk_loop_rewatch(st->loop, st->fd, 0);
		return;
	}
	if (st->buf != NULL && st->off == st->len) {
		/* an idle stream holds no buffer */
		free(st->buf);
		st->buf = NULL;
		st->off = st->len = 0;
	}
	if (can_read(st)) {
		if (st->rd_want == 0) {
			tk_loop_timer_start(st->loop, &st->kick, 0);
		}
		ev |= st->rd_want == TK_WANT_WRITE ? TK_WRITE : TK_READ;
	}
	if (st->wr_want != 0) {
		ev |= st->wr_want == TK_WANT_WRITE ? TK_WRITE : TK_READ;
	}
	if (st->bye_want != 0) {
		ev |= st->bye_want == TK_WANT_WRITE ? TK_WRITE : TK_READ;
	}
	tk_loop_rewatch(st->loop, st->fd, ev);
}

struct tk_stream *
tk_stream_new(struct tk_loop *loop, struct tk_tls *tls, int fd, size_t cap,
    tk_stream_cb cb, void *arg, struct tk_err *err)
{
	struct tk_stream *st = calloc(1, sizeof(*st));

	if (st == NULL) {
		tk_err_set(err, TK_INTERNAL, "read", "out of memory");
		return NULL;
	}
	st->loop = loop;
	st->tls = tls;
	st->fd = fd;
	st->cap = cap;
	st->cb = cb;
	st->arg = arg;
	tk_err_clear(&st->err);
	tk_timer_init(&st->kick, on_kick, st);
	if (tk_loop_watch(loop, fd, 0, on_fd, st, err) < 0) {
		free(st);
		return NULL;
	}
	/* records may wait inside GnuTLS already (sent with the Finished) */
	tk_loop_timer_start(loop, &st->kick, 0);
	return st;
}

void
tk_stream_set_cb(struct tk_stream *st, tk_stream_cb cb, void *arg)
{
	st->cb = cb;
	st->arg = arg;
	if (cb != NULL) {
		/* the new owner hears of what is held already */
		st->wake = true;
		tk_loop_timer_start(st->loop, &st->kick, 0);
	}
	arrange(st);
}

void
tk_stream_free(struct tk_stream *st)
{
	if (st == NULL || st->dead) {
		return;
	}
	tk_loop_timer_stop(st->loop, &st->kick);
	tk_loop_unwatch(st->loop, st->fd);
	if (st->busy) {
		st->dead = true;  /* run() frees it once the callback is back */
		return;
	}
	release(st);
}

const unsigned char *
tk_stream_data(const struct tk_stream *st, size_t *len)
{
	*len = st->buf != NULL ? st->len - st->off : 0;
	return *len > 0 ? st->buf + st->off : NULL;
}

void
tk_stream_consume(struct tk_stream *st, size_t n)
{
	if (st->buf == NULL) {
		return;
	}
	if (n > st->len - st->off) {
		n = st->len - st->off;
	}
	st->off += n;
	arrange(st);
}

ssize_t
tk_stream_read(struct tk_stream *st, void *buf, size_t len)
{
	size_t have;
	const unsigned char *p = tk_stream_data(st, &have);

	if (have > 0) {
		if (len > have) {
			len = have;
		}
		memcpy(buf, p, len);
		tk_stream_consume(st, len);
		return (ssize_t)len;
	}
	if (st->failed) {
		return -1;
	}
	return st->eof ? 0 : TK_WANT_READ;
}

ssize_t
tk_stream_write(struct tk_stream *st, const void *buf, size_t len)
{
	ssize_t n;

	if (st->failed) {
		return -1;
	}
	n = tk_tls_write(st->tls, buf, len);
	st->wr_want = 0;
	if (n == TK_WANT_READ || n == TK_WANT_WRITE) {
		st->wr_want = (int)n;
	} else if (n < 0) {
		fail(st);
	}
	arrange(st);
	return n;
}

int
tk_stream_shutdown(struct tk_stream *st)
{
	if (st->failed) {
		return -1;
	}
	if (!st->closing) {
		st->closing = true;
		bye(st);
		arrange(st);
	}
	if (st->closed) {
		return 0;
	}
	return st->failed ? -1 : st->bye_want;
}

bool
tk_stream_eof(const struct tk_stream *st)
{
	return st->eof;
}

bool
tk_stream_closed(const struct tk_stream *st)
{
	return st->closed;
}

const struct tk_err *
tk_stream_error(const struct tk_stream *st)
{
	return st->failed ? &st->err : NULL;
}
