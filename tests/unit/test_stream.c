/*
 * Unit tests for lib/stream.h: a handshake over a non-blocking socketpair
 * (docs/ARCHITECTURE.md, "Tests"), then the stream on a loop on one side
 * and a plain tk_tls on the other.  The peer writes all its records before
 * the loop runs, so they wait in one socket buffer: every one must come
 * out without a further byte arriving, with a small buffer, a consumer
 * outside the callback, and the round limit.
 */
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "creds.h"
#include "loop.h"
#include "stream.h"
#include "tls.h"

#include "tk_test.h"
#include "tk_testdata.h"

#ifndef TK_TESTDATA
#error "TK_TESTDATA must name the testdata directory"
#endif

#define ROUNDS_MAX 1000
#define GUARD_MS 3000      /* a stalled stream fails the case, not the run */

static struct tk_creds *server_creds, *client_creds;

/* The testdata certificates are valid 2020-2099: pin the clock inside. */
static time_t
fixed_time(time_t *t)
{
	time_t now = 1893456000;  /* 2030-01-01T00:00:00Z */

	if (t != NULL) {
		*t = now;
	}
	return now;
}

static int
load_creds(void)
{
	int rc = tk_test_creds_pair(&server_creds, &client_creds);

	EXPECT_EQ_INT(rc, 0);
	return rc;
}

/* One side under test (s: the stream's), one peer (p), both handshaken. */
struct fix {
	int sv[2];
	struct tk_tls *s, *p;
	struct tk_loop *loop;
	struct tk_stream *st;
	struct tk_timer guard, later;
	unsigned char got[8192];
	size_t ngot, want;  /* the loop stops once want bytes came */
	size_t take;        /* bytes consumed per callback; 0: all */
	bool outside;       /* consume from a 0 ms timer, not the callback */
	bool free_in_cb;
	bool hold;          /* the callback consumes nothing */
	unsigned calls;
	bool stalled;
};

static void
on_guard(struct tk_loop *loop, void *arg)
{
	struct fix *f = arg;

	f->stalled = true;
	tk_loop_stop(loop);
}

static void on_later(struct tk_loop *loop, void *arg);

static bool
settled(int rc)
{
	return rc == 0 || rc == -1;
}

static int
fix_open(struct fix *f)
{
	struct tk_tls_conf sconf, cconf;
	struct tk_err err;
	int src = TK_WANT_READ, crc = TK_WANT_READ;

	memset(f, 0, sizeof(*f));
	tk_timer_init(&f->guard, on_guard, f);
	tk_timer_init(&f->later, on_later, f);
	tk_err_clear(&err);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
	    f->sv) < 0) {
		perror("socketpair");
		return -1;
	}
	memset(&sconf, 0, sizeof(sconf));
	sconf.server = true;
	sconf.priority = "NORMAL";
	f->s = tk_tls_new(f->sv[0], &sconf, server_creds, &err);
	memset(&cconf, 0, sizeof(cconf));
	cconf.priority = "NORMAL";
	cconf.sni = "localhost";
	f->p = tk_tls_new(f->sv[1], &cconf, client_creds, &err);
	f->loop = tk_loop_new(&err);
	EXPECT_TRUE(f->s != NULL && f->p != NULL && f->loop != NULL);
	if (f->s == NULL || f->p == NULL || f->loop == NULL) {
		return -1;
	}
	for (int i = 0; i < ROUNDS_MAX && !(settled(src) && settled(crc));
	     i++) {
		if (!settled(crc)) {
			crc = tk_tls_handshake(f->p);
		}
		if (!settled(src)) {
			src = tk_tls_handshake(f->s);
		}
	}
	EXPECT_EQ_INT(crc, 0);
	EXPECT_EQ_INT(src, 0);
	return crc == 0 && src == 0 ? 0 : -1;
}

static void
fix_close(struct fix *f)
{
	if (f->loop != NULL) {
		tk_loop_timer_stop(f->loop, &f->guard);
		tk_loop_timer_stop(f->loop, &f->later);
	}
	tk_stream_free(f->st);
	tk_tls_free(f->s);
	tk_tls_free(f->p);
	tk_loop_free(f->loop);
	close(f->sv[0]);
	close(f->sv[1]);
}

/* The peer writes n records of len bytes each, all before the loop runs. */
static void
peer_records(struct fix *f, size_t n, size_t len)
{
	unsigned char rec[64];

	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < len; k++) {
			rec[k] = (unsigned char)('a' + (i + k) % 26);
		}
		EXPECT_EQ_INT(tk_tls_write(f->p, rec, len), (ssize_t)len);
	}
}

static void
take(struct fix *f)
{
	const unsigned char *p;
	size_t len;

	p = tk_stream_data(f->st, &len);
	if (f->take > 0 && len > f->take) {
		len = f->take;
	}
	if (len > sizeof(f->got) - f->ngot) {
		len = sizeof(f->got) - f->ngot;
	}
	if (len > 0) {
		memcpy(f->got + f->ngot, p, len);
		f->ngot += len;
		tk_stream_consume(f->st, len);
	}
	if (f->want > 0 && f->ngot >= f->want) {
		tk_loop_stop(f->loop);
	}
}

static void
on_later(struct tk_loop *loop, void *arg)
{
	(void)loop;
	take(arg);
}

static void
on_data(struct tk_stream *st, void *arg)
{
	struct fix *f = arg;

	(void)st;
	f->calls++;
	if (f->free_in_cb) {
		tk_stream_free(f->st);
		f->st = NULL;
		tk_loop_stop(f->loop);
		return;
	}
	if (f->hold) {
		/* nothing */
	} else if (f->outside) {
		tk_loop_timer_start(f->loop, &f->later, 0);
	} else {
		take(f);
	}
	if (tk_stream_eof(f->st) || tk_stream_error(f->st) != NULL) {
		tk_loop_stop(f->loop);
	}
}

/* Runs the loop until the callback stops it or the guard fires. */
static void
run_until(struct fix *f, size_t want)
{
	struct tk_err err;

	tk_err_clear(&err);
	f->want = want;
	tk_loop_timer_start(f->loop, &f->guard, GUARD_MS);
	if (f->ngot < want) {
		EXPECT_EQ_INT(tk_loop_run(f->loop, &err), 0);
	}
	tk_loop_timer_stop(f->loop, &f->guard);
}

static void
check_records(const struct fix *f, size_t n, size_t len)
{
	size_t at = 0;
	bool same = true;

	for (size_t i = 0; i < n && same; i++) {
		for (size_t k = 0; k < len; k++, at++) {
			same = same && at < f->ngot &&
			    f->got[at] == (unsigned char)('a' + (i + k) % 26);
		}
	}
	EXPECT_TRUE(same);
}

static const struct {
	const char *name;
	size_t records, len;  /* the peer's records */
	size_t cap;           /* the stream's buffer */
	size_t take;          /* consumed per callback (0: all) */
	bool outside;
} drains[] = {
	{"one segment, big buffer", 200, 5, 65536, 0, false},
	{"one segment, buffer of 8", 200, 5, 8, 0, false},
	{"buffer of 1", 50, 7, 1, 0, false},
	{"consumed outside the callback", 150, 3, 16, 0, true},
	{"outside, buffer of 3", 40, 9, 3, 0, true},
};

/*
 * All the records wait in the socket before the loop starts; GnuTLS pulls
 * them in with its first read, after which the fd never turns readable
 * again.  Every byte must still come out.
 */
static void
test_drain(void)
{
	for (size_t i = 0; i < sizeof(drains) / sizeof(drains[0]); i++) {
		struct fix f;
		struct tk_err err;
		size_t want = drains[i].records * drains[i].len;

		TK_CASE(drains[i].name);
		if (fix_open(&f) < 0) {
			fix_close(&f);
			continue;
		}
		tk_err_clear(&err);
		f.take = drains[i].take;
		f.outside = drains[i].outside;
		peer_records(&f, drains[i].records, drains[i].len);
		f.st = tk_stream_new(f.loop, f.s, f.sv[0], drains[i].cap,
		    on_data, &f, &err);
		EXPECT_TRUE(f.st != NULL);
		if (f.st != NULL) {
			run_until(&f, want);
		}
		EXPECT_TRUE(!f.stalled);
		EXPECT_EQ_SIZE(f.ngot, want);
		check_records(&f, drains[i].records, drains[i].len);
		fix_close(&f);
	}
	TK_CASE(NULL);
}

/* A full buffer stops reading: nothing more is held until consumed. */
static void
test_backpressure(void)
{
	struct fix f;
	struct tk_err err;
	size_t len;

	TK_CASE("back-pressure");
	if (fix_open(&f) < 0) {
		fix_close(&f);
		return;
	}
	tk_err_clear(&err);
	f.hold = true;
	peer_records(&f, 10, 10);
	f.st = tk_stream_new(f.loop, f.s, f.sv[0], 16, on_data, &f, &err);
	/* nothing is consumed: only the guard ends the loop */
	tk_loop_timer_start(f.loop, &f.guard, 200);
	EXPECT_EQ_INT(tk_loop_run(f.loop, &err), 0);
	(void)tk_stream_data(f.st, &len);
	EXPECT_EQ_SIZE(len, 16);
	/* told once; no spinning while full */
	EXPECT_EQ_INT(f.calls, 1);
	/* consumed: the rest comes */
	f.stalled = false;
	f.hold = false;
	take(&f);
	run_until(&f, 100);
	EXPECT_EQ_SIZE(f.ngot, 100);
	check_records(&f, 10, 10);
	fix_close(&f);
	TK_CASE(NULL);
}

/* Data, then close_notify: the data first, then EOF; read says 0. */
static void
test_eof_and_read(void)
{
	struct fix f;
	struct tk_err err;
	char buf[64];

	TK_CASE("eof");
	if (fix_open(&f) < 0) {
		fix_close(&f);
		return;
	}
	tk_err_clear(&err);
	f.hold = true;
	EXPECT_EQ_INT(tk_tls_write(f.p, "hello", 5), 5);
	EXPECT_EQ_INT(tk_tls_bye(f.p, false), 0);
	f.st = tk_stream_new(f.loop, f.s, f.sv[0], 1024, on_data, &f, &err);
	EXPECT_EQ_INT(tk_stream_read(f.st, buf, sizeof(buf)), TK_WANT_READ);
	tk_loop_timer_start(f.loop, &f.guard, GUARD_MS);
	EXPECT_EQ_INT(tk_loop_run(f.loop, &err), 0);
	EXPECT_TRUE(tk_stream_eof(f.st));
	EXPECT_TRUE(tk_stream_error(f.st) == NULL);
	EXPECT_EQ_INT(tk_stream_read(f.st, buf, 3), 3);
	EXPECT_EQ_INT(tk_stream_read(f.st, buf + 3, sizeof(buf)), 2);
	EXPECT_TRUE(memcmp(buf, "hello", 5) == 0);
	EXPECT_EQ_INT(tk_stream_read(f.st, buf, sizeof(buf)), 0);
	fix_close(&f);
	TK_CASE(NULL);
}

/* The peer's socket closes without close_notify: class NET. */
static void
test_truncation(void)
{
	struct fix f;
	struct tk_err err;
	char buf[8];

	TK_CASE("truncation");
	if (fix_open(&f) < 0) {
		fix_close(&f);
		return;
	}
	tk_err_clear(&err);
	shutdown(f.sv[1], SHUT_WR);
	f.st = tk_stream_new(f.loop, f.s, f.sv[0], 1024, on_data, &f, &err);
	tk_loop_timer_start(f.loop, &f.guard, GUARD_MS);
	EXPECT_EQ_INT(tk_loop_run(f.loop, &err), 0);
	EXPECT_TRUE(!f.stalled);
	EXPECT_TRUE(!tk_stream_eof(f.st));
	EXPECT_TRUE(tk_stream_error(f.st) != NULL);
	if (tk_stream_error(f.st) != NULL) {
		EXPECT_EQ_INT(tk_stream_error(f.st)->cls, TK_NET);
	}
	EXPECT_EQ_INT(tk_stream_read(f.st, buf, sizeof(buf)), -1);
	EXPECT_EQ_INT(tk_stream_write(f.st, "x", 1), -1);
	fix_close(&f);
	TK_CASE(NULL);
}

/*
 * Write and shutdown: the peer reads the bytes and close_notify; then its
 * socket closes without its own close_notify, which counts as the end
 * once ours is out.
 */
static void
test_write_shutdown(void)
{
	struct fix f;
	struct tk_err err;
	char buf[64];
	ssize_t n = TK_WANT_READ;

	TK_CASE("write and shutdown");
	if (fix_open(&f) < 0) {
		fix_close(&f);
		return;
	}
	tk_err_clear(&err);
	f.st = tk_stream_new(f.loop, f.s, f.sv[0], 1024, on_data, &f, &err);
	EXPECT_EQ_INT(tk_stream_write(f.st, "ping", 4), 4);
	EXPECT_EQ_INT(tk_stream_shutdown(f.st), 0);
	EXPECT_TRUE(tk_stream_closed(f.st));
	for (int i = 0; i < ROUNDS_MAX && n == TK_WANT_READ; i++) {
		n = tk_tls_read(f.p, buf, sizeof(buf));
	}
	EXPECT_EQ_INT(n, 4);
	n = tk_tls_read(f.p, buf, sizeof(buf));
	EXPECT_EQ_INT(n, 0);
	shutdown(f.sv[1], SHUT_RDWR);
	tk_loop_timer_start(f.loop, &f.guard, GUARD_MS);
	EXPECT_EQ_INT(tk_loop_run(f.loop, &err), 0);
	EXPECT_TRUE(!f.stalled);
	EXPECT_TRUE(tk_stream_eof(f.st));
	EXPECT_TRUE(tk_stream_error(f.st) == NULL);
	fix_close(&f);
	TK_CASE(NULL);
}

/* Freed from its own callback; parked, then handed on. */
static void
test_owners(void)
{
	struct fix f;
	struct tk_err err;
	size_t len;

	TK_CASE("free in the callback");
	if (fix_open(&f) == 0) {
		tk_err_clear(&err);
		f.free_in_cb = true;
		peer_records(&f, 5, 5);
		f.st = tk_stream_new(f.loop, f.s, f.sv[0], 8, on_data, &f,
		    &err);
		tk_loop_timer_start(f.loop, &f.guard, GUARD_MS);
		EXPECT_EQ_INT(tk_loop_run(f.loop, &err), 0);
		EXPECT_TRUE(!f.stalled);
		EXPECT_TRUE(f.st == NULL);
		EXPECT_EQ_INT(f.calls, 1);
	}
	fix_close(&f);

	TK_CASE("parked, then handed on");
	if (fix_open(&f) == 0) {
		tk_err_clear(&err);
		peer_records(&f, 4, 5);
		f.st = tk_stream_new(f.loop, f.s, f.sv[0], 1024, NULL, NULL,
		    &err);
		tk_loop_timer_start(f.loop, &f.guard, 100);
		EXPECT_EQ_INT(tk_loop_run(f.loop, &err), 0);
		(void)tk_stream_data(f.st, &len);
		EXPECT_EQ_SIZE(len, 0);      /* parked: nothing read */
		f.stalled = false;
		tk_stream_set_cb(f.st, on_data, &f);
		run_until(&f, 20);
		EXPECT_TRUE(!f.stalled);
		EXPECT_EQ_SIZE(f.ngot, 20);
		check_records(&f, 4, 5);
	}
	fix_close(&f);
	TK_CASE(NULL);
}

static void
run(void)
{
	gnutls_global_set_time_function(fixed_time);
	if (load_creds() == 0) {
		test_drain();
		test_backpressure();
		test_eof_and_read();
		test_truncation();
		test_write_shutdown();
		test_owners();
	}
	tk_creds_unref(server_creds);
	tk_creds_unref(client_creds);
}

TK_TEST_MAIN("test_stream", run)
