/*
 * tls-echo-client: connects, verifies, sends stdin (or --message) and
 * checks that every byte comes back; --count/--size measure throughput and
 * round trips; --handshake-only stops after verification.  --connections C
 * --duration S is a load generator: after one verified connection, C
 * connections at once on the one loop, each a full handshake (no
 * resumption) then --size blocks echoed (or, with --handshake-only, none),
 * close_notify, and again, until S seconds have passed.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conn.h"
#include "escape.h"
#include "opts.h"
#include "report.h"

#include "banned.h"

#define TOOL "tls-echo-client"
#define CHUNK 16384
#define OUTSTANDING_MAX (1u << 20)  /* bytes sent and not yet echoed */

enum phase { P_CONNECT, P_ECHO, P_LOAD, P_BYE, P_DONE };

/* --connections: one slot per concurrent connection */
enum sstate { S_IDLE, S_CONNECT, S_HANDSHAKE, S_ECHO, S_BYE };

#define SAMPLES_MAX (4u << 20)   /* latencies kept for the percentiles */
#define RETRY_MS 10              /* pause after a failed connection */
#define GRACE_MS 2000            /* for the closes after --duration */

struct app;

struct slot {
	struct app *a;
	enum sstate state;
	int fd;
	struct tk_tls *tls;
	struct tk_timer timer;       /* step deadline, or the retry pause */
	uint64_t t0_us, blk_t0_us;
	size_t sent, recv;           /* of the current block */
	uint64_t blocks;             /* on this connection */
};

struct samples {
	double *v;
	size_t n, cap;
};

struct swarm {
	struct slot *slots;
	size_t n;
	struct tk_addr peer;
	struct tk_creds *creds;      /* borrowed from run() */
	struct tk_tls_conf tc;
	char sni[256];
	struct tk_timer end;
	uint64_t start_us, end_us;
	bool over;
	uint64_t handshakes, blocks, bytes, errors;
	struct samples hs, rtt;
	struct tk_err first;         /* the first error, for the report */
};

struct app {
	struct tk_settings s;
	struct tk_derived d;
	struct tk_loop *loop;
	struct tk_conn *conn;
	struct tk_tls *tls;
	struct tk_result r;
	struct tk_timer io_timer;
	enum phase phase;
	int fd;
	unsigned timeout_ms;
	/* echo mode: bytes sent and not yet echoed, in order */
	unsigned char *expect;
	size_t exp_off, exp_len;
	unsigned char out[CHUNK];   /* read from the source, not yet sent */
	size_t out_off, out_len;
	bool src_eof, src_pollable;
	int src_fd;
	const char *message;
	size_t message_off;
	/* load mode */
	unsigned char *block;
	size_t blk_sent, blk_recv;
	uint64_t blk_start_us, load_start_us;
	uint64_t done_blocks;
	double *rtts;
	struct swarm sw;             /* --connections */
	struct tk_creds *creds;
};

static void step(struct app *a);

static void
stop(struct app *a, const struct tk_err *e)
{
	if (e != NULL && tk_err_is_set(e)) {
		a->r.err = *e;
		a->r.cls = e->cls;
	}
	a->phase = P_DONE;
	tk_loop_timer_stop(a->loop, &a->io_timer);
	if (a->src_pollable) {
		tk_loop_unwatch(a->loop, a->src_fd);
	}
	tk_loop_stop(a->loop);
}

static void
on_io_timeout(struct tk_loop *loop, void *arg)
{
	struct app *a = arg;
	struct tk_err e;

	(void)loop;
	tk_err_clear(&e);
	if (a->d.deadline_ms != 0 && tk_now_ms() >= a->d.deadline_ms) {
		tk_err_set(&e, TK_NET, a->phase == P_BYE ? "close" : "echo",
		    "--deadline of %.3g s ran out in the %s step",
		    a->d.deadline_total_ms / 1000.0, a->phase == P_BYE ?
		    "close" : "echo");
	}
	tk_err_set(&e, TK_NET, a->phase == P_BYE ? "close" : "echo",
	    "timed out after %.3g s waiting for the server",
	    a->timeout_ms / 1000.0);
	stop(a, &e);
}

static void
progress(struct app *a)
{
	uint64_t ms = a->timeout_ms, now = tk_now_ms();

	/* --deadline bounds the echo too */
	if (a->d.deadline_ms != 0) {
		ms = now >= a->d.deadline_ms ? 0 :
		    a->d.deadline_ms - now < ms ? a->d.deadline_ms - now : ms;
	}
	tk_loop_timer_start(a->loop, &a->io_timer, ms);
}

static void
on_sock(struct tk_loop *loop, int fd, unsigned events, void *arg)
{
	(void)loop;
	(void)fd;
	(void)events;
	step(arg);
}

static void
on_src(struct tk_loop *loop, int fd, unsigned events, void *arg)
{
	struct app *a = arg;
	ssize_t n;

	(void)loop;
	(void)events;
	if (a->out_len == 0 && !a->src_eof) {
		/* poll said readable: one read does not block */
		n = read(fd, a->out, sizeof(a->out));
		if (n <= 0) {
			a->src_eof = true;
			tk_loop_unwatch(a->loop, fd);
			a->src_pollable = false;
		} else {
			a->out_off = 0;
			a->out_len = (size_t)n;
		}
	}
	step(a);
}

/* Fills a->out from --message or a source that never blocks. */
static void
fill_out(struct app *a)
{
	ssize_t n;

	if (a->out_len > 0 || a->src_eof || a->src_pollable) {
		return;
	}
	if (a->message != NULL) {
		size_t left = strlen(a->message) - a->message_off;

		if (left == 0) {
			a->src_eof = true;
			return;
		}
		if (left > sizeof(a->out)) {
			left = sizeof(a->out);
		}
		memcpy(a->out, a->message + a->message_off, left);
		a->message_off += left;
		a->out_off = 0;
		a->out_len = left;
		return;
	}
	n = read(a->src_fd, a->out, sizeof(a->out));
	if (n <= 0) {
		a->src_eof = true;
		return;
	}
	a->out_off = 0;
	a->out_len = (size_t)n;
}

static int
watch_for(struct app *a, int rc)
{
	return tk_loop_rewatch(a->loop, a->fd,
	    rc == TK_WANT_WRITE ? TK_WRITE : TK_READ);
}

static void
check_echo(struct app *a, const unsigned char *buf, size_t n)
{
	struct tk_err e;
	size_t avail = a->exp_len - a->exp_off;

	tk_err_clear(&e);
	for (size_t i = 0; i < n; i++) {
		if (i >= avail || buf[i] != a->expect[a->exp_off + i]) {
			a->r.echo.match = false;
			a->r.echo.mismatch_at = a->r.echo.bytes_received + i;
			if (i >= avail) {
				tk_err_set(&e, TK_CHECK, "echo", "the server "
				    "sent %zu bytes more than it was sent",
				    n - i);
			} else {
				tk_err_set(&e, TK_CHECK, "echo", "the echo "
				    "differs from what was sent at byte %llu",
				    (unsigned long long)a->r.echo.mismatch_at);
			}
			if (!a->s.json) {
				fwrite(buf, 1, i, stdout);
			}
			stop(a, &e);
			return;
		}
	}
	if (!a->s.json) {
		fwrite(buf, 1, n, stdout);
	}
	a->exp_off += n;
	a->r.echo.bytes_received += n;
	if (a->exp_off == a->exp_len) {
		a->exp_off = a->exp_len = 0;
	}
}

static void
begin_bye(struct app *a)
{
	a->phase = P_BYE;
	fflush(stdout);
	step(a);
}

static void
echo_step(struct app *a)
{
	unsigned char buf[CHUNK];
	struct tk_err e;
	bool moved = true;

	for (int round = 0; moved && round < 64 && a->phase == P_ECHO;
	     round++) {
		ssize_t n;

		moved = false;
		fill_out(a);
		if (a->out_len > a->out_off &&
		    a->exp_len + (a->out_len - a->out_off) <= OUTSTANDING_MAX) {
			n = tk_tls_write(a->tls, a->out + a->out_off,
			    a->out_len - a->out_off);
			if (n > 0) {
				/* remember what must come back */
				if (a->exp_off > 0) {
					memmove(a->expect,
					    a->expect + a->exp_off,
					    a->exp_len - a->exp_off);
					a->exp_len -= a->exp_off;
					a->exp_off = 0;
				}
				memcpy(a->expect + a->exp_len,
				    a->out + a->out_off, (size_t)n);
				a->exp_len += (size_t)n;
				a->out_off += (size_t)n;
				a->r.echo.bytes_sent += (uint64_t)n;
				if (a->out_off == a->out_len) {
					a->out_off = a->out_len = 0;
				}
				moved = true;
				progress(a);
			} else if (n == TK_WANT_WRITE || n == TK_WANT_READ) {
				watch_for(a, (int)n);
				return;
			} else {
				stop(a, tk_tls_error(a->tls));
				return;
			}
		}
		n = tk_tls_read(a->tls, buf, sizeof(buf));
		if (n > 0) {
			check_echo(a, buf, (size_t)n);
			moved = true;
			progress(a);
		} else if (n == 0) {
			tk_err_clear(&e);
			if (a->exp_len > a->exp_off || !a->src_eof ||
			    a->out_len > 0) {
				tk_err_set(&e, TK_CHECK, "echo",
				    "the server closed the connection after "
				    "echoing %llu of %llu bytes",
				    (unsigned long long)a->r.echo.bytes_received,
				    (unsigned long long)a->r.echo.bytes_sent);
				a->r.echo.match = false;
			}
			stop(a, &e);
			return;
		} else if (n < 0 && n != TK_WANT_READ && n != TK_WANT_WRITE) {
			stop(a, tk_tls_error(a->tls));
			return;
		}
		if (a->src_eof && a->out_len == 0 && a->exp_len == a->exp_off) {
			begin_bye(a);
			return;
		}
	}
	tk_loop_rewatch(a->loop, a->fd,
	    TK_READ | (a->out_len > a->out_off ? TK_WRITE : 0));
}

static int
cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

static double
percentile(const double *sorted, size_t n, double p)
{
	size_t i;

	if (n == 0) {
		return 0;
	}
	/* nearest rank */
	i = (size_t)ceil(p / 100.0 * (double)n);
	return sorted[i > 0 ? i - 1 : 0];
}

static void
finish_load(struct app *a)
{
	struct tk_load_stats *l = &a->r.load;
	double secs = (double)(tk_now_us() - a->load_start_us) / 1e6;

	qsort(a->rtts, a->done_blocks, sizeof(double), cmp_double);
	l->used = true;
	l->count = a->done_blocks;
	l->size = a->s.size;
	l->seconds = secs;
	l->mbps = secs > 0 ? (double)(a->done_blocks * a->s.size) / secs /
	    1e6 : 0;
	l->rtt_p50_ms = percentile(a->rtts, a->done_blocks, 50);
	l->rtt_p90_ms = percentile(a->rtts, a->done_blocks, 90);
	l->rtt_p99_ms = percentile(a->rtts, a->done_blocks, 99);
	begin_bye(a);
}

static void
load_step(struct app *a)
{
	unsigned char buf[CHUNK];
	struct tk_err e;

	for (int round = 0; round < 256 && a->phase == P_LOAD; round++) {
		ssize_t n;

		if (a->blk_sent < a->s.size) {
			if (a->blk_sent == 0 && a->blk_recv == 0) {
				a->blk_start_us = tk_now_us();
			}
			n = tk_tls_write(a->tls, a->block + a->blk_sent,
			    a->s.size - a->blk_sent);
			if (n > 0) {
				a->blk_sent += (size_t)n;
				a->r.echo.bytes_sent += (uint64_t)n;
				progress(a);
				continue;
			}
			if (n != TK_WANT_WRITE && n != TK_WANT_READ) {
				stop(a, tk_tls_error(a->tls));
				return;
			}
			/* read the echo while the send waits */
		}
		n = tk_tls_read(a->tls, buf, sizeof(buf));
		if (n == TK_WANT_READ || n == TK_WANT_WRITE) {
			tk_loop_rewatch(a->loop, a->fd, TK_READ |
			    (a->blk_sent < a->s.size ? TK_WRITE : 0));
			return;
		}
		if (n <= 0) {
			tk_err_clear(&e);
			if (n == 0) {
				tk_err_set(&e, TK_CHECK, "echo", "the server "
				    "closed the connection during block %llu",
				    (unsigned long long)a->done_blocks + 1);
			}
			stop(a, n == 0 ? &e : tk_tls_error(a->tls));
			return;
		}
		progress(a);
		if (a->blk_recv + (size_t)n > a->blk_sent ||
		    memcmp(buf, a->block + a->blk_recv, (size_t)n) != 0) {
			tk_err_clear(&e);
			tk_err_set(&e, TK_CHECK, "echo", "the echo of block "
			    "%llu differs from what was sent",
			    (unsigned long long)a->done_blocks + 1);
			a->r.echo.match = false;
			stop(a, &e);
			return;
		}
		a->blk_recv += (size_t)n;
		a->r.echo.bytes_received += (uint64_t)n;
		if (a->blk_recv == a->s.size) {
			a->rtts[a->done_blocks++] =
			    (double)(tk_now_us() - a->blk_start_us) / 1000.0;
			a->blk_sent = a->blk_recv = 0;
			if (a->done_blocks == a->s.count) {
				finish_load(a);
				return;
			}
		}
	}
	/* yield to the loop now and then; come back at once */
	tk_loop_rewatch(a->loop, a->fd, TK_READ | TK_WRITE);
}

static void
bye_step(struct app *a)
{
	int rc = tk_tls_bye(a->tls, true);

	if (rc == TK_WANT_READ || rc == TK_WANT_WRITE) {
		watch_for(a, rc);
		return;
	}
	stop(a, rc < 0 ? tk_tls_error(a->tls) : NULL);
}

static void
step(struct app *a)
{
	switch (a->phase) {
	case P_ECHO:
		echo_step(a);
		break;
	case P_LOAD:
		load_step(a);
		break;
	case P_BYE:
		bye_step(a);
		break;
	case P_CONNECT:
	case P_DONE:
		break;
	}
}

static int
setup_source(struct app *a, struct tk_err *err)
{
	struct stat st;

	a->expect = malloc(OUTSTANDING_MAX + CHUNK);
	if (a->expect == NULL) {
		return tk_err_set(err, TK_INTERNAL, "echo", "out of memory");
	}
	a->r.echo.used = true;
	a->r.echo.match = true;
	if (a->message != NULL) {
		return 0;
	}
	a->src_fd = STDIN_FILENO;
	if (fstat(a->src_fd, &st) < 0) {
		return tk_err_sys(err, TK_USAGE, "echo", "cannot use stdin");
	}
	/* epoll cannot watch regular files; they never block anyway */
	if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode)) {
		a->src_pollable = true;
		return tk_loop_watch(a->loop, a->src_fd, TK_READ, on_src, a,
		    err);
	}
	if (S_ISCHR(st.st_mode) && isatty(a->src_fd)) {
		a->src_pollable = true;
		return tk_loop_watch(a->loop, a->src_fd, TK_READ, on_src, a,
		    err);
	}
	return 0;
}


/* --- --connections: the load generator ---------------------------------- */

static void slot_step(struct slot *sl);

static void
sample_add(struct samples *s, double v)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 4096;
		double *nv;

		if (cap > SAMPLES_MAX) {
			return;  /* enough for the percentiles */
		}
		nv = realloc(s->v, cap * sizeof(*nv));
		if (nv == NULL) {
			return;
		}
		s->v = nv;
		s->cap = cap;
	}
	s->v[s->n++] = v;
}

static void
slot_close(struct slot *sl)
{
	struct app *a = sl->a;

	tk_loop_timer_stop(a->loop, &sl->timer);
	if (sl->fd >= 0) {
		tk_loop_unwatch(a->loop, sl->fd);
		close(sl->fd);
		sl->fd = -1;
	}
	tk_tls_free(sl->tls);
	sl->tls = NULL;
	sl->state = S_IDLE;
}

static void slot_start(struct slot *sl);

/* After --duration, the last slot closed ends the run. */
static void
swarm_maybe_done(struct app *a)
{
	struct swarm *sw = &a->sw;

	for (size_t i = 0; i < sw->n; i++) {
		if (sw->slots[i].state != S_IDLE) {
			return;
		}
	}
	tk_loop_timer_stop(a->loop, &sw->end);
	stop(a, NULL);
}

/* A failed connection: counted, the first one kept, retried after 10 ms. */
static void
slot_fail(struct slot *sl, const struct tk_err *e)
{
	struct swarm *sw = &sl->a->sw;
	struct tk_err copy;

	/* e may live in the session that slot_close() frees */
	tk_err_clear(&copy);
	if (e != NULL) {
		copy = *e;
	}
	slot_close(sl);
	if (sw->over) {
		swarm_maybe_done(sl->a);  /* not counted after the end */
		return;
	}
	sw->errors++;
	if (!tk_err_is_set(&sw->first)) {
		sw->first = copy;
	}
	tk_loop_timer_start(sl->a->loop, &sl->timer, RETRY_MS);
}

static void
slot_want(struct slot *sl, ssize_t rc, unsigned extra)
{
	tk_loop_rewatch(sl->a->loop, sl->fd,
	    (rc == TK_WANT_WRITE ? TK_WRITE : TK_READ) | extra);
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
	    "timed out after %.3g s", sl->a->timeout_ms / 1000.0);
	slot_fail(sl, &e);
}

static void
slot_start(struct slot *sl)
{
	struct app *a = sl->a;
	struct swarm *sw = &a->sw;
	struct tk_err e;
	int one = 1;

	tk_err_clear(&e);
	if (sw->over) {
		swarm_maybe_done(a);
		return;
	}
	sl->t0_us = tk_now_us();
	sl->blocks = 0;
	sl->fd = socket(sw->peer.ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (sl->fd < 0) {
		tk_err_sys(&e, TK_NET, "connect", "cannot create a socket");
		slot_fail(sl, &e);
		return;
	}
	setsockopt(sl->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(sl->fd, (const struct sockaddr *)&sw->peer.ss,
	    sw->peer.len) < 0 && errno != EINPROGRESS) {
		tk_err_sys(&e, TK_NET, "connect", "connect failed");
		slot_fail(sl, &e);
		return;
	}
	sl->state = S_CONNECT;
	if (tk_loop_watch(a->loop, sl->fd, TK_WRITE, on_slot_fd, sl,
	    &e) < 0) {
		slot_fail(sl, &e);
		return;
	}
	tk_loop_timer_start(a->loop, &sl->timer, a->timeout_ms);
}

/* Echo of --size blocks, one outstanding at a time, checked. */
static void
slot_echo(struct slot *sl)
{
	struct app *a = sl->a;
	struct swarm *sw = &a->sw;
	unsigned char buf[CHUNK];
	struct tk_err e;

	for (int round = 0; round < 64; round++) {
		ssize_t n;

		if (sl->sent < a->s.size) {
			if (sl->sent == 0 && sl->recv == 0) {
				sl->blk_t0_us = tk_now_us();
			}
			n = tk_tls_write(sl->tls, a->block + sl->sent,
			    a->s.size - sl->sent);
			if (n > 0) {
				sl->sent += (size_t)n;
				continue;
			}
			if (n != TK_WANT_WRITE && n != TK_WANT_READ) {
				slot_fail(sl, tk_tls_error(sl->tls));
				return;
			}
		}
		n = tk_tls_read(sl->tls, buf, sizeof(buf));
		if (n == TK_WANT_READ || n == TK_WANT_WRITE) {
			slot_want(sl, n, sl->sent < a->s.size ? TK_WRITE : 0);
			return;
		}
		tk_err_clear(&e);
		if (n <= 0) {
			if (n == 0) {
				tk_err_set(&e, TK_CHECK, "echo", "the server "
				    "closed the connection during a block");
			}
			slot_fail(sl, n == 0 ? &e : tk_tls_error(sl->tls));
			return;
		}
		if (sl->recv + (size_t)n > sl->sent ||
		    memcmp(buf, a->block + sl->recv, (size_t)n) != 0) {
			tk_err_set(&e, TK_CHECK, "echo", "the echo differs "
			    "from what was sent");
			slot_fail(sl, &e);
			return;
		}
		sl->recv += (size_t)n;
		tk_loop_timer_start(a->loop, &sl->timer, a->timeout_ms);
		if (sl->recv == a->s.size) {
			sample_add(&sw->rtt,
			    (double)(tk_now_us() - sl->blk_t0_us) / 1000.0);
			sw->blocks++;
			sw->bytes += a->s.size;
			sl->blocks++;
			sl->sent = sl->recv = 0;
			if (a->s.count > 0 && sl->blocks >= a->s.count) {
				sl->state = S_BYE;
				slot_step(sl);
				return;
			}
		}
	}
	/* fair to the other slots: come back on the next round */
	tk_loop_rewatch(a->loop, sl->fd, TK_READ | TK_WRITE);
}

static void
slot_step(struct slot *sl)
{
	struct app *a = sl->a;
	struct swarm *sw = &a->sw;
	struct tk_err e;
	int rc, soerr = 0;
	socklen_t sl_len = sizeof(soerr);

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
		sl->tls = tk_tls_new(sl->fd, &sw->tc, sw->creds, &e);
		if (sl->tls == NULL) {
			slot_fail(sl, &e);
			return;
		}
		sl->state = S_HANDSHAKE;
		/* fall through */
	case S_HANDSHAKE:
		rc = tk_tls_handshake(sl->tls);
		if (rc == TK_WANT_READ || rc == TK_WANT_WRITE) {
			slot_want(sl, rc, 0);
			return;
		}
		if (rc < 0) {
			slot_fail(sl, tk_tls_error(sl->tls));
			return;
		}
		if (!sw->over) {
			sw->handshakes++;
			sample_add(&sw->hs,
			    (double)(tk_now_us() - sl->t0_us) / 1000.0);
		}
		tk_loop_timer_start(a->loop, &sl->timer, a->timeout_ms);
		sl->sent = sl->recv = 0;
		sl->state = a->s.handshake_only || sw->over ? S_BYE : S_ECHO;
		slot_step(sl);
		return;
	case S_ECHO:
		slot_echo(sl);
		return;
	case S_BYE:
		/* close_notify, and the server's in reply */
		rc = tk_tls_bye(sl->tls, true);
		if (rc == TK_WANT_READ || rc == TK_WANT_WRITE) {
			slot_want(sl, rc, 0);
			return;
		}
		if (rc < 0) {
			slot_fail(sl, tk_tls_error(sl->tls));
			return;
		}
		slot_close(sl);
		slot_start(sl);  /* again: a new full handshake */
		return;
	}
}

/*
 * --duration is over: nothing counts any more and nothing starts again;
 * connections in their echo say close_notify now, handshakes under way
 * finish and close.  What is still open GRACE_MS later is cut.
 */
static void
on_swarm_end(struct tk_loop *loop, void *arg)
{
	struct app *a = arg;
	struct swarm *sw = &a->sw;

	(void)loop;
	if (sw->over) {
		for (size_t i = 0; i < sw->n; i++) {
			slot_close(&sw->slots[i]);
		}
		stop(a, NULL);
		return;
	}
	sw->over = true;
	sw->end_us = tk_now_us();
	tk_loop_timer_start(a->loop, &sw->end, GRACE_MS);
	for (size_t i = 0; i < sw->n; i++) {
		struct slot *sl = &sw->slots[i];

		if (sl->state == S_IDLE) {
			tk_loop_timer_stop(a->loop, &sl->timer);
		} else if (sl->state == S_ECHO) {
			sl->state = S_BYE;
			slot_step(sl);
		}
	}
	swarm_maybe_done(a);
}

/* After the first, verified, connection: start the C slots. */
static void
swarm_start(struct app *a, int fd)
{
	struct swarm *sw = &a->sw;
	struct tk_err e;

	tk_err_clear(&e);
	sw->peer.len = sizeof(sw->peer.ss);
	if (getpeername(fd, (struct sockaddr *)&sw->peer.ss,
	    &sw->peer.len) < 0) {
		tk_err_sys(&e, TK_NET, "connect", "getpeername failed");
		stop(a, &e);
		return;
	}
	sw->creds = a->creds;
	sw->tc.priority = a->d.priority;
	sw->tc.alpn = &a->d.alpn;
	snprintf(sw->sni, sizeof(sw->sni), "%s", a->r.sni);
	sw->tc.sni = sw->sni[0] != '\0' ? sw->sni : NULL;
	sw->n = (size_t)a->s.connections;
	sw->slots = calloc(sw->n, sizeof(*sw->slots));
	if (!a->s.handshake_only) {
		a->block = malloc(a->s.size);
	}
	if (sw->slots == NULL || (!a->s.handshake_only && a->block == NULL)) {
		tk_err_set(&e, TK_INTERNAL, "load", "out of memory");
		stop(a, &e);
		return;
	}
	for (size_t i = 0; a->block != NULL && i < a->s.size; i++) {
		a->block[i] = (unsigned char)('a' + i % 26);
	}
	/* a line: line-based echo servers (gnutls-serv --echo) answer it */
	if (a->block != NULL) {
		a->block[a->s.size - 1] = '\n';
	}
	/* the first connection is only the probe: close it */
	tk_tls_bye(a->tls, false);
	tk_loop_unwatch(a->loop, a->fd);
	tk_conn_free(a->conn);
	a->conn = NULL;
	a->tls = NULL;
	a->phase = P_LOAD;
	tk_timer_init(&sw->end, on_swarm_end, a);
	sw->start_us = tk_now_us();
	tk_loop_timer_start(a->loop, &sw->end,
	    (uint64_t)(a->s.duration * 1000));
	for (size_t i = 0; i < sw->n; i++) {
		struct slot *sl = &sw->slots[i];

		sl->a = a;
		sl->fd = -1;
		tk_timer_init(&sl->timer, on_slot_timer, sl);
		slot_start(sl);
	}
}

static void
swarm_release(struct swarm *sw)
{
	free(sw->slots);
	free(sw->hs.v);
	free(sw->rtt.v);
}

/* The numbers, into the result (the common load fields) and sw. */
static void
swarm_finish(struct app *a)
{
	struct swarm *sw = &a->sw;
	struct tk_load_stats *l = &a->r.load;
	double secs = (double)(sw->end_us - sw->start_us) / 1e6;

	if (sw->hs.n > 0) {
		qsort(sw->hs.v, sw->hs.n, sizeof(double), cmp_double);
	}
	if (sw->rtt.n > 0) {
		qsort(sw->rtt.v, sw->rtt.n, sizeof(double), cmp_double);
	}
	l->used = true;
	l->count = sw->blocks;
	l->size = a->s.handshake_only ? 0 : a->s.size;
	l->seconds = secs;
	l->mbps = secs > 0 ? (double)sw->bytes / secs / 1e6 : 0;
	l->rtt_p50_ms = percentile(sw->rtt.v, sw->rtt.n, 50);
	l->rtt_p90_ms = percentile(sw->rtt.v, sw->rtt.n, 90);
	l->rtt_p99_ms = percentile(sw->rtt.v, sw->rtt.n, 99);
	if (tk_err_is_set(&sw->first)) {
		a->r.err = sw->first;
		a->r.cls = sw->first.cls;
	} else if (sw->handshakes == 0) {
		tk_err_set(&a->r.err, TK_NET, "load", "no handshake "
		    "completed in %.3g s", a->s.duration);
		a->r.cls = TK_NET;
	}
}

static void
print_swarm(const struct app *a)
{
	const struct swarm *sw = &a->sw;
	const struct tk_load_stats *l = &a->r.load;
	double secs = l->seconds > 0 ? l->seconds : 1;

	printf("%zu connections for %.3f s: %llu handshakes (%.1f/s), "
	    "handshake p50 %.3f ms p99 %.3f ms", sw->n, l->seconds,
	    (unsigned long long)sw->handshakes, (double)sw->handshakes / secs,
	    percentile(sw->hs.v, sw->hs.n, 50),
	    percentile(sw->hs.v, sw->hs.n, 99));
	if (!a->s.handshake_only) {
		printf("; %llu blocks of %llu bytes: %.1f MB/s, rtt p50 %.3f "
		    "ms p99 %.3f ms", (unsigned long long)l->count,
		    (unsigned long long)l->size, l->mbps, l->rtt_p50_ms,
		    l->rtt_p99_ms);
	}
	printf("; %llu errors\n", (unsigned long long)sw->errors);
}

/*
 * The JSON report with the load generator's fields added to "load":
 * rendered by report, then extended here (report knows only the common
 * load fields).
 */
static int
json_swarm(const struct app *a, FILE *out)
{
	const struct swarm *sw = &a->sw;
	double secs = a->r.load.seconds > 0 ? a->r.load.seconds : 1;
	json_t *o = tk_report_json_object(&a->r), *l, *hs;
	int rc = -1;

	l = o != NULL ? json_object_get(o, "load") : NULL;
	if (l != NULL) {
		json_object_set_new(l, "connections",
		    json_integer((json_int_t)sw->n));
		json_object_set_new(l, "handshake_only",
		    json_boolean(a->s.handshake_only));
		json_object_set_new(l, "handshakes",
		    json_integer((json_int_t)sw->handshakes));
		json_object_set_new(l, "handshakes_per_s",
		    json_real((double)sw->handshakes / secs));
		hs = json_object();
		json_object_set_new(hs, "p50",
		    json_real(percentile(sw->hs.v, sw->hs.n, 50)));
		json_object_set_new(hs, "p90",
		    json_real(percentile(sw->hs.v, sw->hs.n, 90)));
		json_object_set_new(hs, "p99",
		    json_real(percentile(sw->hs.v, sw->hs.n, 99)));
		json_object_set_new(l, "handshake_ms", hs);
		json_object_set_new(l, "bytes",
		    json_integer((json_int_t)sw->bytes));
		json_object_set_new(l, "errors",
		    json_integer((json_int_t)sw->errors));
		rc = tk_report_json_write(o, out);
	}
	json_decref(o);
	return rc;
}

static void
on_conn(struct tk_conn *c, void *arg)
{
	struct app *a = arg;
	struct tk_err e;

	tk_err_clear(&e);
	if (!tk_conn_ready(c) || a->r.cls == TK_CHECK) {
		stop(a, NULL);
		return;
	}
	if (a->s.alpn != NULL && !a->s.quiet && !a->s.json) {
		char esc[TK_ALPN_NAME_MAX * 4 + 1];

		tk_escape(a->r.tls.alpn, strlen(a->r.tls.alpn), esc,
		    sizeof(esc));
		fprintf(stderr, "ALPN: %s\n", a->r.tls.alpn_negotiated ? esc :
		    "none");
	}
	if (a->r.verdict.status == TK_VERIFY_SKIPPED && !a->s.quiet) {
		fprintf(stderr, "%s: warning: certificate not verified "
		    "(--insecure)\n", TOOL);
	}
	a->tls = tk_conn_tls(c);
	a->fd = tk_conn_fd(c);
	if (tk_loop_watch(a->loop, a->fd, TK_READ, on_sock, a, &e) < 0) {
		stop(a, &e);
		return;
	}
	if (a->s.connections > 0) {
		swarm_start(a, a->fd);
		return;
	}
	progress(a);
	if (a->s.handshake_only) {
		begin_bye(a);
		return;
	}
	if (a->s.count > 0) {
		a->block = malloc(a->s.size);
		a->rtts = calloc(a->s.count, sizeof(double));
		if (a->block == NULL || a->rtts == NULL) {
			tk_err_set(&e, TK_INTERNAL, "load", "out of memory");
			stop(a, &e);
			return;
		}
		for (size_t i = 0; i < a->s.size; i++) {
			a->block[i] = (unsigned char)('a' + i % 26);
		}
		a->r.echo.used = true;
		a->r.echo.match = true;
		a->phase = P_LOAD;
		a->load_start_us = tk_now_us();
		step(a);
		return;
	}
	if (setup_source(a, &e) < 0) {
		stop(a, &e);
		return;
	}
	a->phase = P_ECHO;
	step(a);
}

static void
print_load(const struct app *a)
{
	const struct tk_load_stats *l = &a->r.load;

	printf("%llu round trips of %llu bytes in %.3f s: %.1f MB/s, rtt p50 "
	    "%.3f ms p90 %.3f ms p99 %.3f ms\n", (unsigned long long)l->count,
	    (unsigned long long)l->size, l->seconds, l->mbps, l->rtt_p50_ms,
	    l->rtt_p90_ms, l->rtt_p99_ms);
}

static int
run(struct app *a)
{
	struct tk_conn_conf cc;
	struct tk_resolver *res = NULL;
	struct tk_creds *creds = NULL;
	struct tk_err e;
	char msgbuf[8192];

	tk_err_clear(&e);
	memset(&cc, 0, sizeof(cc));
	if (tk_target_parse(a->s.args[0], 4433, &cc.target, &e) < 0 ||
	    tk_settings_derive(TK_TOOL_ECHO_CLIENT, &a->s, &a->d, &e) < 0) {
		goto out;
	}
	if (cc.target.scheme[0] != '\0') {
		tk_err_set(&e, TK_USAGE, "target", "%s takes HOST[:PORT], "
		    "not a URL: '%s'", TOOL, a->s.args[0]);
		goto out;
	}
	if (a->s.connections > 0 && (a->s.message != NULL ||
	    a->s.starttls != NULL)) {
		tk_err_set(&e, TK_USAGE, "options", "--connections excludes "
		    "--message and --starttls");
		goto out;
	}
	if (a->s.connections == 0 && (a->s.count > 0) +
	    (a->s.message != NULL) + a->s.handshake_only > 1) {
		tk_err_set(&e, TK_USAGE, "options", "--count, --message and "
		    "--handshake-only exclude each other");
		goto out;
	}
	if (a->s.connections > 0 && a->s.count > 0 && a->s.handshake_only) {
		tk_err_set(&e, TK_USAGE, "options", "--count (blocks per "
		    "connection) and --handshake-only exclude each other");
		goto out;
	}
	if (a->s.message != NULL) {
		snprintf(msgbuf, sizeof(msgbuf), "%s\n", a->s.message);
		if (strlen(a->s.message) + 1 >= sizeof(msgbuf)) {
			tk_err_set(&e, TK_USAGE, "options", "--message is "
			    "longer than %zu bytes", sizeof(msgbuf) - 2);
			goto out;
		}
		a->message = msgbuf;
	}
	creds = tk_creds_new(&a->d.creds, &e);
	if (creds == NULL) {
		goto out;
	}
	a->creds = creds;
	tk_tls_set_debug((int)a->s.debug);
	a->loop = tk_loop_new(&e);
	if (a->loop == NULL) {
		goto out;
	}
	res = tk_resolver_new(a->loop, &e);
	if (res == NULL) {
		goto out;
	}
	tk_resolver_set_map(res, &a->d.resolve);
	a->timeout_ms = (unsigned)(a->s.timeout * 1000);
	tk_timer_init(&a->io_timer, on_io_timeout, a);
	cc.hostname = a->s.hostname != NULL ? a->d.hostname : NULL;
	cc.no_sni = a->s.no_sni;
	cc.insecure = a->s.insecure;
	cc.check = &a->d.check;
	cc.family = a->s.ipv4 ? AF_INET : a->s.ipv6 ? AF_INET6 : AF_UNSPEC;
	cc.timeout_ms = a->timeout_ms;
	cc.starttls = a->s.starttls;
	cc.priority = a->d.priority;
	cc.alpn = &a->d.alpn;
	cc.creds = creds;
	cc.resolver = res;
	cc.proxy = tk_proxy_use(&a->d.proxy, cc.target.host) ?
	    &a->d.proxy.proxy : NULL;
	cc.deadline_ms = a->d.deadline_ms;
	cc.deadline_total_ms = a->d.deadline_total_ms;
	a->conn = tk_conn_new(a->loop, &cc, &a->r, on_conn, a, &e);
	if (a->conn == NULL) {
		goto out;
	}
	tk_conn_start(a->conn);
	if (tk_loop_run(a->loop, &e) < 0) {
		goto out;
	}
	if (a->sw.slots != NULL && a->sw.over) {
		swarm_finish(a);
	}
out:
	if (tk_err_is_set(&e)) {
		a->r.err = e;
		a->r.cls = e.cls;
	}
	tk_conn_free(a->conn);
	tk_resolver_free(res);
	tk_loop_free(a->loop);
	tk_creds_unref(creds);
	return 0;
}

int
main(int argc, char **argv)
{
	static struct app a;
	struct tk_err e;
	int code;

	signal(SIGPIPE, SIG_IGN);
	tk_err_clear(&e);
	tk_result_init(&a.r, TOOL, argc > 1 ? argv[argc - 1] : "");
	if (tk_opts_parse(TK_TOOL_ECHO_CLIENT, argc, argv, &a.s, &e) < 0) {
		tk_report_error_line(TOOL, NULL, &e, stderr);
		return tk_err_exit_code(e.cls);
	}
	if (a.s.help) {
		tk_opts_help(TK_TOOL_ECHO_CLIENT, stdout);
		return 0;
	}
	if (a.s.version) {
		tk_opts_version(TK_TOOL_ECHO_CLIENT, stdout);
		return 0;
	}
	if (a.s.list_options) {
		tk_opts_list(TK_TOOL_ECHO_CLIENT, stdout);
		return 0;
	}
	tk_result_init(&a.r, TOOL, a.s.args[0]);
	run(&a);
	tk_result_finish(&a.r);
	if (a.s.json) {
		if ((a.sw.slots != NULL && a.r.load.used ?
		    json_swarm(&a, stdout) : tk_report_json(&a.r, stdout)) < 0) {
			a.r.cls = TK_INTERNAL;
		}
	} else {
		if (a.r.load.used && a.sw.slots != NULL) {
			print_swarm(&a);
		} else if (a.r.load.used) {
			print_load(&a);
		}
		if (a.s.verbose > 0 && !a.s.quiet) {
			tk_report_text_session(&a.r, stderr);
		}
	}
	if (!a.s.json && !a.s.quiet) {
		tk_report_warnings(TOOL, &a.r, stderr);
	}
	if (tk_err_is_set(&a.r.err)) {
		tk_report_error_line(TOOL, a.r.target, &a.r.err, stderr);
	}
	fflush(stdout);
	code = tk_err_exit_code(a.r.cls);
	tk_alpn_clear(&a.d.alpn);
	tk_result_release(&a.r);
	free(a.expect);
	free(a.block);
	free(a.rtts);
	swarm_release(&a.sw);
	return code;
}
