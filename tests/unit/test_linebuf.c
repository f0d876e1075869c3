/* Unit tests for lib/linebuf.h: the capped line reader. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "linebuf.h"

#include "tk_test.h"

/* A line reader fed from memory; out holds the longest line plus NUL. */
struct lr {
	struct tk_linebuf lb;
	struct tk_err err;
	char out[TK_LINE_MAX + 1];
};

static void
lr_init(struct lr *r)
{
	tk_linebuf_init(&r->lb);
	tk_err_clear(&r->err);
	r->out[0] = '\0';
}

static void
lr_feed(struct lr *r, const char *s)
{
	EXPECT_EQ_SIZE(tk_linebuf_feed(&r->lb, s, strlen(s)), strlen(s));
}

static int
lr_next(struct lr *r)
{
	return tk_linebuf_next(&r->lb, r->out, sizeof(r->out), "test",
	    &r->err);
}

/* Table: feeds, then the lines expected (NULL ends), then what is left. */
static const struct {
	const char *name;
	const char *feeds[3];
	const char *lines[4];
	size_t left;
} line_cases[] = {
	{"CRLF", {"READY\r\n", NULL, NULL}, {"READY", NULL, NULL, NULL}, 0},
	{"LF", {"READY\n", NULL, NULL}, {"READY", NULL, NULL, NULL}, 0},
	{"two lines", {"a\r\nb\n", NULL, NULL}, {"a", "b", NULL, NULL}, 0},
	{"split", {"HEL", "LO\r", "\n"}, {"HELLO", NULL, NULL, NULL}, 0},
	{"empty lines", {"\r\n\n", NULL, NULL}, {"", "", NULL, NULL}, 0},
	{"bare CR kept", {"a\rb\r\n", NULL, NULL}, {"a\rb", NULL, NULL, NULL},
	    0},
	{"leftover", {"READY\r\nGARBAGE", NULL, NULL},
	    {"READY", NULL, NULL, NULL}, 7},
	{"no line yet", {"partial", NULL, NULL}, {NULL, NULL, NULL, NULL}, 7},
};

static void
test_lines(void)
{
	for (size_t i = 0; i < sizeof(line_cases) / sizeof(line_cases[0]);
	     i++) {
		struct lr r;
		size_t k;

		TK_CASE(line_cases[i].name);
		lr_init(&r);
		for (k = 0; k < 3 && line_cases[i].feeds[k] != NULL; k++) {
			/* nothing complete before the last feed */
			if (k > 0) {
				EXPECT_EQ_INT(lr_next(&r), 0);
			}
			lr_feed(&r, line_cases[i].feeds[k]);
		}
		for (k = 0; line_cases[i].lines[k] != NULL; k++) {
			EXPECT_EQ_INT(lr_next(&r), 1);
			EXPECT_EQ_STR(r.out, line_cases[i].lines[k]);
		}
		EXPECT_EQ_INT(lr_next(&r), 0);
		EXPECT_EQ_SIZE(r.lb.len, line_cases[i].left);
		EXPECT_EQ_SIZE(r.lb.lines, k);
		EXPECT_EQ_INT(r.err.cls, TK_OK);
	}
	TK_CASE(NULL);
}

static void
test_line_limits(void)
{
	char *big = malloc(TK_LINE_MAX + 8);
	struct lr *r = malloc(sizeof(*r));
	char small[4];

	EXPECT_TRUE(big != NULL && r != NULL);
	if (big == NULL || r == NULL) {
		free(big);
		free(r);
		return;
	}

	TK_CASE("TK_LINE_MAX bytes and LF");
	lr_init(r);
	memset(big, 'x', TK_LINE_MAX);
	memcpy(big + TK_LINE_MAX, "\n", 2);
	lr_feed(r, big);
	EXPECT_EQ_INT(lr_next(r), 1);
	EXPECT_EQ_SIZE(strlen(r->out), TK_LINE_MAX);
	EXPECT_EQ_SIZE(r->lb.len, 0);

	/* the cap is on the content: CRLF does not count against it */
	TK_CASE("TK_LINE_MAX bytes and CRLF");
	lr_init(r);
	memcpy(big + TK_LINE_MAX, "\r\n", 3);
	lr_feed(r, big);
	if (lr_next(r) == 1) {
		EXPECT_EQ_SIZE(strlen(r->out), TK_LINE_MAX);
	} else {
		EXPECT_EQ_STR(r->err.msg, "");
	}

	TK_CASE("TK_LINE_MAX + 1 bytes and LF");
	lr_init(r);
	memset(big, 'x', TK_LINE_MAX + 1);
	memcpy(big + TK_LINE_MAX + 1, "\n", 2);
	lr_feed(r, big);
	EXPECT_EQ_INT(lr_next(r), -1);
	EXPECT_EQ_INT(r->err.cls, TK_NET);

	TK_CASE("TK_LINE_MAX + 1 bytes, no end yet");
	lr_init(r);
	big[TK_LINE_MAX + 1] = '\0';
	lr_feed(r, big);
	EXPECT_EQ_INT(lr_next(r), -1);
	EXPECT_EQ_INT(r->err.cls, TK_NET);

	TK_CASE("TK_LINE_MAX bytes, no end yet");
	lr_init(r);
	big[TK_LINE_MAX] = '\0';
	lr_feed(r, big);
	EXPECT_EQ_INT(lr_next(r), 0);
	EXPECT_EQ_INT(r->err.cls, TK_OK);

	TK_CASE("feed past the buffer");
	lr_init(r);
	memset(big, 'y', TK_LINE_MAX + 8);
	EXPECT_EQ_SIZE(tk_linebuf_feed(&r->lb, big, TK_LINE_MAX + 8),
	    TK_LINE_MAX + 2);
	EXPECT_EQ_SIZE(tk_linebuf_feed(&r->lb, big, 1), 0);
	EXPECT_EQ_INT(lr_next(r), -1);
	EXPECT_EQ_INT(r->err.cls, TK_NET);

	TK_CASE("max_lines");
	lr_init(r);
	r->lb.max_lines = 2;
	lr_feed(r, "a\nb\nc\n");
	EXPECT_EQ_INT(lr_next(r), 1);
	EXPECT_EQ_INT(lr_next(r), 1);
	EXPECT_EQ_INT(lr_next(r), -1);
	EXPECT_EQ_INT(r->err.cls, TK_NET);

	TK_CASE("small out buffer");
	lr_init(r);
	lr_feed(r, "abcdef\nz\n");
	EXPECT_EQ_INT(tk_linebuf_next(&r->lb, small, sizeof(small), "test",
	    &r->err), 1);
	EXPECT_EQ_STR(small, "abc");
	EXPECT_EQ_INT(lr_next(r), 1);
	EXPECT_EQ_STR(r->out, "z");

	free(big);
	free(r);
	TK_CASE(NULL);
}

static void
test_fill(void)
{
	struct tk_linebuf lb;
	struct tk_err err;
	int p[2];

	TK_CASE("fill");
	EXPECT_EQ_INT(pipe(p), 0);
	tk_linebuf_init(&lb);
	tk_err_clear(&err);
	lb.max_total = 10;
	EXPECT_EQ_INT(write(p[1], "0123456789abcdef", 16), 16);
	EXPECT_EQ_INT(tk_linebuf_fill(&lb, p[0], "test", &err), 10);
	EXPECT_EQ_SIZE(lb.total, 10);
	EXPECT_EQ_INT(tk_linebuf_fill(&lb, p[0], "test", &err), -1);
	EXPECT_EQ_INT(err.cls, TK_NET);

	tk_linebuf_init(&lb);
	tk_err_clear(&err);
	close(p[1]);
	EXPECT_EQ_INT(tk_linebuf_fill(&lb, p[0], "test", &err), 6);
	EXPECT_EQ_INT(tk_linebuf_fill(&lb, p[0], "test", &err), 0);
	close(p[0]);
	TK_CASE(NULL);
}

/* A reader over memory that answers what fill_io must pass on or refuse. */
struct script {
	ssize_t ret;      /* what to return; > 0: that many 'x' bytes */
	size_t calls;
};

static ssize_t
script_read(void *io, void *buf, size_t len)
{
	struct script *sc = io;

	sc->calls++;
	if (sc->ret > 0) {
		memset(buf, 'x', len);
	}
	return sc->ret;
}

static void
test_fill_io(void)
{
	struct tk_linebuf lb;
	struct tk_err err;
	struct script sc;

	TK_CASE("fill_io: would block");
	tk_linebuf_init(&lb);
	tk_err_clear(&err);
	sc = (struct script){TK_WANT_READ, 0};
	EXPECT_EQ_INT(tk_linebuf_fill_io(&lb, script_read, &sc, false, "test",
	    &err), TK_WANT_READ);
	sc.ret = TK_WANT_WRITE;
	EXPECT_EQ_INT(tk_linebuf_fill_io(&lb, script_read, &sc, false, "test",
	    &err), TK_WANT_WRITE);
	EXPECT_EQ_SIZE(lb.total, 0);
	EXPECT_EQ_INT(err.cls, TK_OK);

	TK_CASE("fill_io: failure, without errno");
	sc.ret = -1;
	errno = ENOENT;
	EXPECT_EQ_INT(tk_linebuf_fill_io(&lb, script_read, &sc, false, "test",
	    &err), -1);
	EXPECT_EQ_INT(err.cls, TK_NET);
	EXPECT_EQ_STR(err.msg, "read failed");

	TK_CASE("fill_io: more than asked for");
	tk_err_clear(&err);
	lb.max_total = 4;
	sc.ret = 5;
	EXPECT_EQ_INT(tk_linebuf_fill_io(&lb, script_read, &sc, false, "test",
	    &err), -1);
	EXPECT_EQ_INT(err.cls, TK_INTERNAL);

	TK_CASE("fill_io: the cap");
	tk_linebuf_init(&lb);
	tk_err_clear(&err);
	lb.max_total = 4;
	sc = (struct script){4, 0};
	EXPECT_EQ_INT(tk_linebuf_fill_io(&lb, script_read, &sc, false, "test",
	    &err), 4);
	EXPECT_EQ_INT(tk_linebuf_fill_io(&lb, script_read, &sc, false, "test",
	    &err), -1);
	EXPECT_EQ_INT(err.cls, TK_NET);
	EXPECT_EQ_SIZE(sc.calls, 1);
	TK_CASE(NULL);
}

static void
run(void)
{
	test_lines();
	test_line_limits();
	test_fill();
	test_fill_io();
}

TK_TEST_MAIN("test_linebuf", run)
