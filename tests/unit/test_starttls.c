/* Unit tests for lib/starttls.h: the line reader and the "line" dialogue. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "starttls.h"
#include "tls.h"

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

static void
test_new(void)
{
	struct tk_starttls *st;
	struct tk_err err;

	TK_CASE("new");
	tk_err_clear(&err);
	st = tk_starttls_new("line", &err);
	EXPECT_TRUE(st != NULL);
	EXPECT_EQ_INT(err.cls, TK_OK);
	tk_starttls_free(st);
	tk_starttls_free(NULL);

	st = tk_starttls_new("nope", &err);
	EXPECT_TRUE(st == NULL);
	EXPECT_EQ_INT(err.cls, TK_USAGE);
	EXPECT_TRUE(strstr(err.msg, "nope") != NULL);

	EXPECT_TRUE(tk_starttls_known("line"));
	EXPECT_TRUE(!tk_starttls_known("nope"));
	EXPECT_TRUE(!tk_starttls_known(""));
	EXPECT_TRUE(strstr(tk_starttls_names(), "line") != NULL);
	TK_CASE(NULL);
}

/*
 * The "line" dialogue against a scripted server on the other end of a
 * socketpair: the client sends STARTTLS, the server answers each reply
 * chunk in turn (NULL: close the connection instead).
 */
static const struct {
	const char *name;
	const char *replies[2];
	bool close_after;
	int rc;
	enum tk_class cls;
	size_t injected;
} dialogues[] = {
	{"READY", {"READY\r\n", NULL}, false, 0, TK_OK, 0},
	{"READY LF", {"READY\n", NULL}, false, 0, TK_OK, 0},
	{"READY split", {"REA", "DY\r\n"}, false, 0, TK_OK, 0},
	{"READY and injected bytes", {"READY\r\nEVIL", NULL}, false, 0, TK_OK,
	    4},
	{"NO", {"NO\r\n", NULL}, false, -1, TK_NET, 0},
	{"closed", {NULL, NULL}, true, -1, TK_NET, 0},
	{"partial then closed", {"REA", NULL}, true, -1, TK_NET, 0},
};

static int
step_until_blocked(struct tk_starttls *st, int fd)
{
	int rc = TK_WANT_WRITE;

	for (int i = 0; i < 100 && rc == TK_WANT_WRITE; i++) {
		rc = tk_starttls_step(st, fd);
	}
	return rc;
}

static void
test_dialogues(void)
{
	for (size_t i = 0; i < sizeof(dialogues) / sizeof(dialogues[0]);
	     i++) {
		struct tk_starttls *st;
		struct tk_err err;
		char buf[64];
		int sv[2], rc;
		ssize_t n;

		TK_CASE(dialogues[i].name);
		tk_err_clear(&err);
		st = tk_starttls_new("line", &err);
		if (st == NULL || socketpair(AF_UNIX, SOCK_STREAM |
		    SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0) {
			EXPECT_TRUE(false);
			tk_starttls_free(st);
			continue;
		}
		/* the client speaks first and then waits */
		EXPECT_EQ_INT(step_until_blocked(st, sv[0]), TK_WANT_READ);
		n = read(sv[1], buf, sizeof(buf) - 1);
		EXPECT_EQ_INT(n, 10);
		if (n >= 0) {
			buf[n] = '\0';
			EXPECT_EQ_STR(buf, "STARTTLS\r\n");
		}
		rc = TK_WANT_READ;
		for (size_t k = 0; k < 2 && dialogues[i].replies[k] != NULL;
		     k++) {
			const char *s = dialogues[i].replies[k];

			EXPECT_EQ_INT(write(sv[1], s, strlen(s)),
			    (ssize_t)strlen(s));
			rc = step_until_blocked(st, sv[0]);
		}
		if (dialogues[i].close_after) {
			if (dialogues[i].replies[0] != NULL) {
				EXPECT_EQ_INT(rc, TK_WANT_READ);
			}
			close(sv[1]);
			sv[1] = -1;
			rc = step_until_blocked(st, sv[0]);
		}
		EXPECT_EQ_INT(rc, dialogues[i].rc);
		EXPECT_EQ_INT(tk_starttls_error(st)->cls, dialogues[i].cls);
		if (rc == 0) {
			EXPECT_EQ_SIZE(tk_starttls_injected(st),
			    dialogues[i].injected);
			EXPECT_EQ_STR(tk_starttls_transcript(st),
			    "C: STARTTLS | S: READY");
		} else {
			EXPECT_TRUE(tk_starttls_error(st)->msg[0] != '\0');
		}
		tk_starttls_free(st);
		close(sv[0]);
		if (sv[1] >= 0) {
			close(sv[1]);
		}
	}
	TK_CASE(NULL);
}

static void
run(void)
{
	test_lines();
	test_line_limits();
	test_fill();
	test_new();
	test_dialogues();
}

TK_TEST_MAIN("test_starttls", run)
