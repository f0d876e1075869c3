/*
 * --relay: stdin to the server over TLS, the server's data to stdout.
 * Each direction holds at most one chunk; while it is not flushed, its
 * source is not read (backpressure instead of unbounded buffers).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "relay.h"

#include "banned.h"

#define RELAY_CHUNK 16384

struct tk_relay {
	struct tk_loop *loop;
	struct tk_conn *conn;       /* borrowed */
	tk_relay_cb cb;
	void *arg;
	bool crlf;                  /* LF from stdin goes out as CRLF */
	unsigned timeout_ms;        /* after stdin's EOF */
	bool restore;               /* flags0 and flags1 are set */
	bool active;
	bool stdin_eof;        /* close_notify sent after it */
	bool cr_pending;       /* --crlf: the last chunk ended in CR */
	unsigned char up[2 * RELAY_CHUNK];   /* LF -> CRLF at most doubles */
	size_t uplen;
	/* the session's data phase; what it holds goes to stdout */
	struct tk_stream *st;
	int flags0, flags1;    /* stdin/stdout flags, restored at exit */
	/*
	 * A regular file or /dev/null cannot be polled (epoll says EPERM)
	 * and never blocks: such a stdin is read from a 0 ms timer, such a
	 * stdout written at once.
	 */
	bool in_direct, out_direct;
	struct tk_timer kick;  /* reads a direct stdin */
	struct tk_timer idle;  /* after stdin's EOF: --timeout for the rest */
};

static void relay_update(struct tk_relay *rl);

static void
relay_end(struct tk_relay *rl, const struct tk_err *e)
{
	rl->active = false;
	tk_loop_timer_stop(rl->loop, &rl->idle);
	tk_loop_timer_stop(rl->loop, &rl->kick);
	if (!rl->in_direct) {
		tk_loop_unwatch(rl->loop, STDIN_FILENO);
	}
	if (!rl->out_direct) {
		tk_loop_unwatch(rl->loop, STDOUT_FILENO);
	}
	if (rl->st != NULL) {
		tk_stream_set_cb(rl->st, NULL, NULL);
	}
	rl->cb(rl->arg, e);
}

/* Copies n bytes of stdin into up, LF as CRLF with --crlf. */
static void
relay_take(struct tk_relay *rl, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (rl->crlf && p[i] == '\n' && !rl->cr_pending) {
			rl->up[rl->uplen++] = '\r';
		}
		rl->cr_pending = p[i] == '\r';
		rl->up[rl->uplen++] = p[i];
	}
}

static void
relay_stdin(struct tk_relay *rl)
{
	unsigned char buf[RELAY_CHUNK];
	ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
	struct tk_err e;

	if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
		return;
	}
	if (n < 0) {
		tk_err_clear(&e);
		tk_err_sys(&e, TK_NET, "relay", "cannot read stdin");
		relay_end(rl, &e);
		return;
	}
	if (n == 0) {
		/* no more input: close_notify, then the server's last words */
		rl->stdin_eof = true;
		tk_stream_shutdown(rl->st);
		tk_loop_timer_start(rl->loop, &rl->idle,
		    rl->timeout_ms);
		return;
	}
	relay_take(rl, buf, (size_t)n);
}

/* 1 when up is flushed, 0 when the session wants to wait, -1 on error. */
static int
relay_send(struct tk_relay *rl)
{
	ssize_t n;

	while (rl->uplen > 0) {
		n = tk_stream_write(rl->st, rl->up, rl->uplen);
		if (n == TK_WANT_READ || n == TK_WANT_WRITE) {
			return 0;
		}
		if (n < 0) {
			return -1;
		}
		memmove(rl->up, rl->up + n, rl->uplen - (size_t)n);
		rl->uplen -= (size_t)n;
	}
	return 1;
}

/*
 * What the stream holds, to stdout: 1 when all is out, 0 when stdout
 * would block (the stream stops reading once full), -1 on error.
 */
static int
relay_stdout(struct tk_relay *rl)
{
	const unsigned char *p;
	size_t len;

	for (p = tk_stream_data(rl->st, &len); len > 0;
	     p = tk_stream_data(rl->st, &len)) {
		ssize_t n = write(STDOUT_FILENO, p, len);

		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			return 0;
		}
		if (n <= 0) {
			return -1;
		}
		tk_stream_consume(rl->st, (size_t)n);
	}
	return 1;
}

/* Moves what can move: stdin to the server, the server's data out. */
static void
relay_pump(struct tk_relay *rl, bool stdin_ready)
{
	const struct tk_err *se;
	struct tk_err e;
	int rc;

	tk_err_clear(&e);
	if (stdin_ready && rl->uplen == 0 && !rl->stdin_eof) {
		relay_stdin(rl);
		if (!rl->active) {
			return;
		}
	}
	if (!rl->stdin_eof && relay_send(rl) < 0) {
		relay_end(rl, tk_stream_error(rl->st));
		return;
	}
	rc = relay_stdout(rl);
	if (rc < 0) {
		tk_err_sys(&e, TK_NET, "relay", "cannot write to stdout");
		relay_end(rl, &e);
		return;
	}
	se = tk_stream_error(rl->st);
	if (rc == 1 && se != NULL) {
		/*
		 * after our close_notify a server may close or reset at
		 * once (postfix after QUIT): the end of the conversation,
		 * not a failure
		 */
		relay_end(rl, rl->stdin_eof ? NULL : se);
		return;
	}
	if (rc == 1 && tk_stream_eof(rl->st)) {
		relay_end(rl, NULL);   /* the server closed */
		return;
	}
	relay_update(rl);
}

static void
on_relay_fd(struct tk_loop *loop, int fd, unsigned events, void *arg)
{
	(void)loop;
	(void)events;
	relay_pump(arg, fd == STDIN_FILENO);
}

static void
on_relay_stream(struct tk_stream *st, void *arg)
{
	(void)st;
	relay_pump(arg, false);
}

static void
on_relay_idle(struct tk_loop *loop, void *arg)
{
	(void)loop;
	relay_end(arg, NULL);
}

static void
on_relay_kick(struct tk_loop *loop, void *arg)
{
	(void)loop;
	relay_pump(arg, true);
}

/*
 * Watches what can move: a full buffer stops its source.  The socket is
 * the stream's: it reads while it has room and wakes on_relay_stream().
 */
static void
relay_update(struct tk_relay *rl)
{
	struct tk_err e;
	size_t held;

	tk_err_clear(&e);
	if (!rl->active) {
		return;
	}
	(void)tk_stream_data(rl->st, &held);
	if (rl->in_direct) {
		if (rl->uplen == 0 && !rl->stdin_eof &&
		    !tk_timer_active(&rl->kick)) {
			tk_loop_timer_start(rl->loop, &rl->kick, 0);
		}
	} else if (tk_loop_watch(rl->loop, STDIN_FILENO, rl->uplen == 0 &&
	    !rl->stdin_eof ? TK_READ : 0, on_relay_fd, rl, &e) < 0) {
		relay_end(rl, &e);
		return;
	}
	if (!rl->out_direct && tk_loop_watch(rl->loop, STDOUT_FILENO,
	    held > 0 ? TK_WRITE : 0, on_relay_fd, rl, &e) < 0) {
		relay_end(rl, &e);
	}
}

struct tk_relay *
tk_relay_new(bool crlf, unsigned timeout_ms, struct tk_err *e)
{
	struct tk_relay *rl = calloc(1, sizeof(*rl));

	if (rl == NULL) {
		tk_err_set(e, TK_INTERNAL, "relay", "out of memory");
		return NULL;
	}
	rl->crlf = crlf;
	rl->timeout_ms = timeout_ms;
	rl->flags0 = fcntl(STDIN_FILENO, F_GETFL);
	rl->flags1 = fcntl(STDOUT_FILENO, F_GETFL);
	if (rl->flags0 < 0 || rl->flags1 < 0) {
		tk_err_sys(e, TK_USAGE, "relay",
		    "--relay needs stdin and stdout open");
		free(rl);
		return NULL;
	}
	rl->restore = true;
	/* nothing blocks the loop: not even a slow terminal or pipe */
	if (fcntl(STDIN_FILENO, F_SETFL, rl->flags0 | O_NONBLOCK) < 0 ||
	    fcntl(STDOUT_FILENO, F_SETFL, rl->flags1 | O_NONBLOCK) < 0) {
		tk_err_sys(e, TK_INTERNAL, "relay",
		    "cannot make stdin and stdout non-blocking");
		tk_relay_free(rl);
		return NULL;
	}
	tk_timer_init(&rl->idle, on_relay_idle, rl);
	tk_timer_init(&rl->kick, on_relay_kick, rl);
	return rl;
}

/* Which of stdin and stdout the loop can poll (after the loop exists). */
int
tk_relay_attach(struct tk_relay *rl, struct tk_loop *loop, struct tk_err *e)
{
	struct tk_err ignore;

	rl->loop = loop;
	tk_err_clear(&ignore);
	if (tk_loop_watch(rl->loop, STDIN_FILENO, TK_READ, on_relay_fd, rl,
	    &ignore) < 0) {
		if (ignore.sys_errno != EPERM) {
			*e = ignore;
			return -1;
		}
		rl->in_direct = true;
	} else {
		tk_loop_unwatch(rl->loop, STDIN_FILENO);
	}
	tk_err_clear(&ignore);
	if (tk_loop_watch(rl->loop, STDOUT_FILENO, TK_WRITE, on_relay_fd, rl,
	    &ignore) < 0) {
		if (ignore.sys_errno != EPERM) {
			*e = ignore;
			return -1;
		}
		rl->out_direct = true;
	} else {
		tk_loop_unwatch(rl->loop, STDOUT_FILENO);
	}
	return 0;
}

void
tk_relay_start(struct tk_relay *rl, struct tk_conn *conn, tk_relay_cb cb,
    void *arg)
{
	struct tk_err e;

	tk_err_clear(&e);
	rl->conn = conn;
	rl->cb = cb;
	rl->arg = arg;
	rl->active = true;
	rl->st = tk_conn_stream(conn, &e);
	if (rl->st == NULL) {
		relay_end(rl, &e);
		return;
	}
	tk_stream_set_cb(rl->st, on_relay_stream, rl);
	relay_update(rl);
}

void
tk_relay_free(struct tk_relay *rl)
{
	if (rl == NULL) {
		return;
	}
	if (rl->restore) {
		fcntl(STDIN_FILENO, F_SETFL, rl->flags0);
		fcntl(STDOUT_FILENO, F_SETFL, rl->flags1);
	}
	free(rl);
}

