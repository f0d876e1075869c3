#include "echo.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "banned.h"

#define CHUNK 16384
#define OUTSTANDING_MAX (1u << 20)  /* bytes sent and not yet echoed */
#define SAMPLES_MAX (4u << 20)      /* latencies kept for percentiles */
#define ROUNDS 64                   /* steps per wake-up at most */

enum phase { P_ECHO, P_LOAD, P_BYE, P_DONE };

struct tk_echo {
	struct tk_loop *loop;
	struct tk_stream *st;        /* borrowed */
	struct tk_echo_conf conf;
	struct tk_result *r;         /* borrowed */
	tk_echo_cb done;
	void *arg;
	enum phase phase;
	struct tk_timer io_timer;    /* --timeout, within --deadline */
	struct tk_timer more;        /* the round limit hit: go on soon */
	/* the source: bytes sent and not yet echoed, in order */
	unsigned char *expect;
	size_t exp_off, exp_len;
	unsigned char out[CHUNK];    /* read from the source, not yet sent */
	size_t out_off, out_len;
	bool src_eof, src_pollable;
	bool cr_last;                /* --crlf: the source's last byte was CR */
	size_t message_off;
	/* --count */
	unsigned char *block;
	size_t blk_sent, blk_recv;
	uint64_t blk_start_us, load_start_us, done_blocks;
	struct tk_samples rtts;
};

void
tk_samples_add(struct tk_samples *s, double v)
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

static int
cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

void
tk_samples_sort(struct tk_samples *s)
{
	if (s->n > 0) {
		qsort(s->v, s->n, sizeof(double), cmp_double);
	}
}

double
tk_samples_percentile(const struct tk_samples *s, double p)
{
	size_t i;

	if (s->n == 0) {
		return 0;
	}
	/* nearest rank */
	i = (size_t)ceil(p / 100.0 * (double)s->n);
	return s->v[i > 0 ? i - 1 : 0];
}

void
tk_samples_clear(struct tk_samples *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static void step(struct tk_echo *e);

static void
stop(struct tk_echo *e, const struct tk_err *err)
{
	if (e->phase == P_DONE) {
		return;
	}
	if (err != NULL && tk_err_is_set(err)) {
		e->r->err = *err;
		e->r->cls = err->cls;
	}
	e->phase = P_DONE;
	tk_loop_timer_stop(e->loop, &e->io_timer);
	tk_loop_timer_stop(e->loop, &e->more);
	if (e->src_pollable) {
		tk_loop_unwatch(e->loop, e->conf.src_fd);
		e->src_pollable = false;
	}
	tk_stream_set_cb(e->st, NULL, NULL);
	e->done(e, e->arg);
}

static void
on_io_timeout(struct tk_loop *loop, void *arg)
{
	struct tk_echo *e = arg;
	const char *what = e->phase == P_BYE ? "close" : "echo";
	struct tk_err err;

	(void)loop;
	tk_err_clear(&err);
	if (tk_loop_deadline_passed(e->conf.deadline_ms)) {
		tk_err_set(&err, TK_NET, what, "--deadline of %.3g s ran out "
		    "in the %s step", e->conf.deadline_total_ms / 1000.0,
		    what);
	}
	tk_err_set(&err, TK_NET, what, "timed out after %.3g s waiting for "
	    "the server", e->conf.timeout_ms / 1000.0);
	stop(e, &err);
}

/* Something moved: --timeout starts again, within --deadline. */
static void
progress(struct tk_echo *e)
{
	tk_loop_timer_start(e->loop, &e->io_timer,
	    tk_loop_deadline_clip(e->conf.deadline_ms, e->conf.timeout_ms));
}

static void
on_stream(struct tk_stream *st, void *arg)
{
	(void)st;
	step(arg);
}

static void
on_more(struct tk_loop *loop, void *arg)
{
	(void)loop;
	step(arg);
}

/*
 * One read of the source into out (which is empty).  With --crlf a LF
 * not after a CR goes out as CRLF (as tls-starttls --relay --crlf): half
 * a chunk is read so that the doubled bytes fit.  What is sent is what
 * the echo must match.
 */
static ssize_t
read_src(struct tk_echo *e, int fd)
{
	unsigned char in[CHUNK / 2];
	ssize_t n;
	size_t o = 0;

	if (!e->conf.crlf) {
		return read(fd, e->out, sizeof(e->out));
	}
	n = read(fd, in, sizeof(in));
	for (ssize_t i = 0; i < n; i++) {
		if (in[i] == '\n' && !e->cr_last) {
			e->out[o++] = '\r';
		}
		e->out[o++] = in[i];
		e->cr_last = in[i] == '\r';
	}
	return n <= 0 ? n : (ssize_t)o;
}

static void
on_src(struct tk_loop *loop, int fd, unsigned events, void *arg)
{
	struct tk_echo *e = arg;
	ssize_t n;

	(void)loop;
	(void)events;
	if (e->out_len == 0 && !e->src_eof) {
		/* poll said readable: one read does not block */
		n = read_src(e, fd);
		if (n <= 0) {
			e->src_eof = true;
			tk_loop_unwatch(e->loop, fd);
			e->src_pollable = false;
		} else {
			e->out_off = 0;
			e->out_len = (size_t)n;
		}
	}
	step(e);
}

/* Fills out from --message or a source that never blocks. */
static void
fill_out(struct tk_echo *e)
{
	ssize_t n;

	if (e->out_len > 0 || e->src_eof || e->src_pollable) {
		return;
	}
	if (e->conf.message != NULL) {
		size_t left = strlen(e->conf.message) - e->message_off;

		if (left == 0) {
			e->src_eof = true;
			return;
		}
		if (left > sizeof(e->out)) {
			left = sizeof(e->out);
		}
		memcpy(e->out, e->conf.message + e->message_off, left);
		e->message_off += left;
		e->out_off = 0;
		e->out_len = left;
		return;
	}
	n = read_src(e, e->conf.src_fd);
	if (n <= 0) {
		e->src_eof = true;
		return;
	}
	e->out_off = 0;
	e->out_len = (size_t)n;
}

#define SHOWN_MAX 64  /* bytes of a wrong reply quoted in the error */

/*
 * What came back where the echo went wrong: the line of buf (n bytes)
 * holding byte i, from its start in buf to its LF, at most SHOWN_MAX
 * bytes, up to a NUL (a server speaking a protocol inside TLS, such as
 * tls-echo-server --starttls smtp, answers a reply line, not the echo).
 * Raw bytes: the renderers escape the error's message.
 */
static const char *
wrong_line(const unsigned char *buf, size_t n, size_t i, char *out,
    size_t len)
{
	size_t from = i, to = i;

	while (from > 0 && buf[from - 1] != '\n' && i - from < SHOWN_MAX / 2) {
		from--;
	}
	while (to < n && to - from < SHOWN_MAX && buf[to] != '\n') {
		to++;
	}
	if (to < n && to - from < SHOWN_MAX) {
		to++;  /* the LF too: CRLF or LF shows */
	}
	if (len > 0) {
		size_t k = 0;

		for (; from + k < to && k + 1 < len && buf[from + k] != 0;
		    k++) {
			out[k] = (char)buf[from + k];
		}
		out[k] = '\0';
	}
	return out;
}

/* Checks n echoed bytes against what was sent; false when they differ. */
static bool
check_echo(struct tk_echo *e, const unsigned char *buf, size_t n)
{
	struct tk_echo_stats *es = &e->r->echo;
	struct tk_err err;
	size_t avail = e->exp_len - e->exp_off;
	char got[SHOWN_MAX + 1];

	tk_err_clear(&err);
	for (size_t i = 0; i < n; i++) {
		if (i < avail && buf[i] == e->expect[e->exp_off + i]) {
			continue;
		}
		es->match = false;
		es->mismatch_at = es->bytes_received + i;
		if (i >= avail) {
			tk_err_set(&err, TK_CHECK, "echo", "the server sent "
			    "%zu bytes more than it was sent: '%s'", n - i,
			    wrong_line(buf, n, i, got, sizeof(got)));
		} else {
			tk_err_set(&err, TK_CHECK, "echo", "the echo differs "
			    "from what was sent at byte %llu: the server sent "
			    "'%s'", (unsigned long long)es->mismatch_at,
			    wrong_line(buf, n, i, got, sizeof(got)));
		}
		if (e->conf.sink != NULL) {
			fwrite(buf, 1, i, e->conf.sink);
		}
		stop(e, &err);
		return false;
	}
	if (e->conf.sink != NULL) {
		fwrite(buf, 1, n, e->conf.sink);
	}
	e->exp_off += n;
	es->bytes_received += n;
	if (e->exp_off == e->exp_len) {
		e->exp_off = e->exp_len = 0;
	}
	return true;
}

static void
begin_bye(struct tk_echo *e)
{
	e->phase = P_BYE;
	if (e->conf.sink != NULL) {
		fflush(e->conf.sink);
	}
	progress(e);
	tk_stream_shutdown(e->st);
	step(e);
}

/* The end of the stream in the echo: an error, or did all come back? */
static void
echo_end(struct tk_echo *e)
{
	struct tk_err err;

	tk_err_clear(&err);
	if (tk_stream_error(e->st) != NULL) {
		stop(e, tk_stream_error(e->st));
		return;
	}
	if (e->exp_len > e->exp_off || !e->src_eof || e->out_len > 0) {
		tk_err_set(&err, TK_CHECK, "echo", "the server closed the "
		    "connection after echoing %llu of %llu bytes",
		    (unsigned long long)e->r->echo.bytes_received,
		    (unsigned long long)e->r->echo.bytes_sent);
		e->r->echo.match = false;
	}
	stop(e, &err);
}

/* One round of the source's echo; true when something moved. */
static bool
echo_round(struct tk_echo *e)
{
	const unsigned char *p;
	size_t len;
	ssize_t n;
	bool moved = false;

	fill_out(e);
	if (e->out_len > e->out_off &&
	    e->exp_len + (e->out_len - e->out_off) <= OUTSTANDING_MAX) {
		n = tk_stream_write(e->st, e->out + e->out_off,
		    e->out_len - e->out_off);
		if (n > 0) {
			/* remember what must come back */
			if (e->exp_off > 0) {
				memmove(e->expect, e->expect + e->exp_off,
				    e->exp_len - e->exp_off);
				e->exp_len -= e->exp_off;
				e->exp_off = 0;
			}
			memcpy(e->expect + e->exp_len, e->out + e->out_off,
			    (size_t)n);
			e->exp_len += (size_t)n;
			e->out_off += (size_t)n;
			e->r->echo.bytes_sent += (uint64_t)n;
			if (e->out_off == e->out_len) {
				e->out_off = e->out_len = 0;
			}
			moved = true;
		} else if (n == -1) {
			stop(e, tk_stream_error(e->st));
			return false;
		}
	}
	p = tk_stream_data(e->st, &len);
	if (len > 0) {
		if (!check_echo(e, p, len)) {
			return false;
		}
		tk_stream_consume(e->st, len);
		moved = true;
	} else if (tk_stream_eof(e->st) || tk_stream_error(e->st) != NULL) {
		echo_end(e);
		return false;
	}
	if (moved) {
		progress(e);
	}
	if (e->src_eof && e->out_len == 0 && e->exp_len == e->exp_off) {
		begin_bye(e);
		return false;
	}
	return moved;
}

static void
finish_load(struct tk_echo *e)
{
	struct tk_load_stats *l = &e->r->load;
	double secs = (double)(tk_loop_now_us() - e->load_start_us) / 1e6;

	tk_samples_sort(&e->rtts);
	l->used = true;
	l->count = e->done_blocks;
	l->size = e->conf.size;
	l->seconds = secs;
	l->mbps = secs > 0 ? (double)(e->done_blocks * e->conf.size) / secs /
	    1e6 : 0;
	l->rtt_p50_ms = tk_samples_percentile(&e->rtts, 50);
	l->rtt_p90_ms = tk_samples_percentile(&e->rtts, 90);
	l->rtt_p99_ms = tk_samples_percentile(&e->rtts, 99);
	begin_bye(e);
}

/* One round of --count; true when something moved. */
static bool
load_round(struct tk_echo *e)
{
	const unsigned char *p;
	size_t len, size = e->conf.size;
	struct tk_err err;
	bool moved = false;
	ssize_t n;

	tk_err_clear(&err);
	if (e->blk_sent < size) {
		if (e->blk_sent == 0 && e->blk_recv == 0) {
			e->blk_start_us = tk_loop_now_us();
		}
		n = tk_stream_write(e->st, e->block + e->blk_sent,
		    size - e->blk_sent);
		if (n > 0) {
			e->blk_sent += (size_t)n;
			e->r->echo.bytes_sent += (uint64_t)n;
			moved = true;
		} else if (n == -1) {
			stop(e, tk_stream_error(e->st));
			return false;
		}
		/* else: read the echo while the send waits */
	}
	p = tk_stream_data(e->st, &len);
	if (len == 0) {
		if (tk_stream_error(e->st) != NULL) {
			stop(e, tk_stream_error(e->st));
			return false;
		}
		if (tk_stream_eof(e->st)) {
			tk_err_set(&err, TK_CHECK, "echo", "the server closed "
			    "the connection during block %llu",
			    (unsigned long long)e->done_blocks + 1);
			stop(e, &err);
			return false;
		}
		if (moved) {
			progress(e);
		}
		return moved;
	}
	progress(e);
	if (len > size - e->blk_recv) {
		len = size - e->blk_recv;  /* the rest is the next block's */
	}
	if (e->blk_recv + len > e->blk_sent ||
	    memcmp(p, e->block + e->blk_recv, len) != 0) {
		tk_err_set(&err, TK_CHECK, "echo", "the echo of block %llu "
		    "differs from what was sent",
		    (unsigned long long)e->done_blocks + 1);
		e->r->echo.match = false;
		stop(e, &err);
		return false;
	}
	tk_stream_consume(e->st, len);
	e->blk_recv += len;
	e->r->echo.bytes_received += len;
	if (e->blk_recv == size) {
		tk_samples_add(&e->rtts,
		    (double)(tk_loop_now_us() - e->blk_start_us) / 1000.0);
		e->done_blocks++;
		e->blk_sent = e->blk_recv = 0;
		if (e->done_blocks == e->conf.count) {
			finish_load(e);
			return false;
		}
	}
	return true;
}

/* close_notify out, then the server's (what it sends is dropped). */
static void
bye_step(struct tk_echo *e)
{
	size_t len;

	(void)tk_stream_data(e->st, &len);
	tk_stream_consume(e->st, len);
	if (tk_stream_error(e->st) != NULL) {
		stop(e, tk_stream_error(e->st));
	} else if (tk_stream_closed(e->st) && tk_stream_eof(e->st)) {
		stop(e, NULL);
	}
}

static void
step(struct tk_echo *e)
{
	for (int round = 0; round < ROUNDS; round++) {
		bool moved = false;

		switch (e->phase) {
		case P_ECHO:
			moved = echo_round(e);
			break;
		case P_LOAD:
			moved = load_round(e);
			break;
		case P_BYE:
			bye_step(e);
			return;
		case P_DONE:
			return;
		}
		if (!moved || e->phase == P_DONE) {
			return;
		}
	}
	/* fair to the loop: the rest on the next round */
	tk_loop_timer_start(e->loop, &e->more, 0);
}

/* stdin: epoll cannot watch regular files; they never block anyway. */
static int
setup_source(struct tk_echo *e, struct tk_err *err)
{
	struct stat st;

	e->expect = malloc(OUTSTANDING_MAX + CHUNK);
	if (e->expect == NULL) {
		return tk_err_set(err, TK_INTERNAL, "echo", "out of memory");
	}
	e->r->echo.used = true;
	e->r->echo.match = true;
	if (e->conf.message != NULL) {
		return 0;
	}
	if (fstat(e->conf.src_fd, &st) < 0) {
		return tk_err_sys(err, TK_USAGE, "echo", "cannot use stdin");
	}
	if ((!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode)) ||
	    (S_ISCHR(st.st_mode) && isatty(e->conf.src_fd))) {
		e->src_pollable = true;
		return tk_loop_watch(e->loop, e->conf.src_fd, TK_READ, on_src,
		    e, err);
	}
	return 0;
}

struct tk_echo *
tk_echo_new(struct tk_loop *loop, struct tk_stream *st,
    const struct tk_echo_conf *conf, struct tk_result *r, tk_echo_cb done,
    void *arg, struct tk_err *err)
{
	struct tk_echo *e = calloc(1, sizeof(*e));

	if (e == NULL) {
		tk_err_set(err, TK_INTERNAL, "echo", "out of memory");
		return NULL;
	}
	e->loop = loop;
	e->st = st;
	e->conf = *conf;
	e->r = r;
	e->done = done;
	e->arg = arg;
	tk_timer_init(&e->io_timer, on_io_timeout, e);
	tk_timer_init(&e->more, on_more, e);
	if (conf->handshake_only) {
		e->phase = P_BYE;
	} else if (conf->count > 0) {
		e->block = malloc(conf->size);
		if (e->block == NULL) {
			tk_err_set(err, TK_INTERNAL, "load", "out of memory");
			tk_echo_free(e);
			return NULL;
		}
		for (size_t i = 0; i < conf->size; i++) {
			e->block[i] = (unsigned char)('a' + i % 26);
		}
		r->echo.used = true;
		r->echo.match = true;
		e->phase = P_LOAD;
		e->load_start_us = tk_loop_now_us();
	} else {
		e->phase = P_ECHO;
		if (setup_source(e, err) < 0) {
			tk_echo_free(e);
			return NULL;
		}
	}
	tk_stream_set_cb(st, on_stream, e);
	progress(e);
	if (e->phase == P_BYE) {
		e->phase = P_ECHO;   /* begin_bye() flushes and says so */
		begin_bye(e);
	}
	return e;
}

void
tk_echo_free(struct tk_echo *e)
{
	if (e == NULL) {
		return;
	}
	tk_loop_timer_stop(e->loop, &e->io_timer);
	tk_loop_timer_stop(e->loop, &e->more);
	if (e->src_pollable) {
		tk_loop_unwatch(e->loop, e->conf.src_fd);
	}
	if (e->phase != P_DONE) {
		tk_stream_set_cb(e->st, NULL, NULL);
	}
	free(e->expect);
	free(e->block);
	tk_samples_clear(&e->rtts);
	free(e);
}
