#include "starttls.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tls.h"

#include "banned.h"

void
tk_linebuf_init(struct tk_linebuf *lb)
{
	memset(lb, 0, sizeof(*lb));
}

static size_t
cap_total(const struct tk_linebuf *lb)
{
	return lb->max_total ? lb->max_total : TK_DIALOGUE_MAX;
}

ssize_t
tk_linebuf_fill(struct tk_linebuf *lb, int fd, const char *step,
    struct tk_err *err)
{
	size_t room = sizeof(lb->buf) - lb->len;
	ssize_t n;

	if (lb->total >= cap_total(lb)) {
		return tk_err_set(err, TK_NET, step,
		    "the peer sent more than %zu bytes of plaintext",
		    cap_total(lb));
	}
	if (room == 0) {
		return tk_err_set(err, TK_NET, step,
		    "the peer sent a line longer than %d bytes", TK_LINE_MAX);
	}
	if (room > cap_total(lb) - lb->total) {
		room = cap_total(lb) - lb->total;
	}
	n = read(fd, lb->buf + lb->len, room);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
			return TK_WANT_READ;
		}
		return tk_err_sys(err, TK_NET, step, "read failed");
	}
	lb->len += (size_t)n;
	lb->total += (size_t)n;
	return n;
}

size_t
tk_linebuf_feed(struct tk_linebuf *lb, const void *data, size_t len)
{
	size_t room = sizeof(lb->buf) - lb->len;

	if (len > room) {
		len = room;
	}
	memcpy(lb->buf + lb->len, data, len);
	lb->len += len;
	lb->total += len;
	return len;
}

int
tk_linebuf_next(struct tk_linebuf *lb, char *out, size_t outlen,
    const char *step, struct tk_err *err)
{
	char *nl = memchr(lb->buf, '\n', lb->len);
	size_t linelen, take;

	if (nl == NULL) {
		if (lb->len > TK_LINE_MAX) {
			return tk_err_set(err, TK_NET, step,
			    "the peer sent a line longer than %d bytes",
			    TK_LINE_MAX);
		}
		return 0;
	}
	if (lb->lines >= (lb->max_lines ? lb->max_lines : TK_LINES_MAX)) {
		return tk_err_set(err, TK_NET, step,
		    "the peer sent more than %zu lines", lb->max_lines ?
		    lb->max_lines : (size_t)TK_LINES_MAX);
	}
	linelen = (size_t)(nl - lb->buf);
	take = linelen;
	if (take > 0 && lb->buf[take - 1] == '\r') {
		take--;
	}
	/* the cap is on the line's content, whatever its ending */
	if (take > TK_LINE_MAX) {
		return tk_err_set(err, TK_NET, step,
		    "the peer sent a line longer than %d bytes", TK_LINE_MAX);
	}
	if (outlen > 0) {
		size_t c = take < outlen - 1 ? take : outlen - 1;

		memcpy(out, lb->buf, c);
		out[c] = '\0';
	}
	lb->len -= linelen + 1;
	memmove(lb->buf, nl + 1, lb->len);
	lb->lines++;
	return 1;
}

/* Protocol tables */

enum step_op {
	ST_END,
	ST_SEND,        /* send text */
	ST_EXPECT,      /* read one line; it must start with text */
};

struct step {
	enum step_op op;
	const char *text;
	const char *refused;  /* message when EXPECT fails */
};

struct proto {
	const char *name;
	const struct step *steps;
};

/*
 * tlskit's own line protocol: the client sends STARTTLS, the server says
 * READY (CRLF on the wire, LF accepted).
 */
static const struct step line_steps[] = {
	{ST_SEND, "STARTTLS\r\n", NULL},
	{ST_EXPECT, "READY", "the server did not answer READY to STARTTLS"},
	{ST_END, NULL, NULL},
};

static const struct proto protos[] = {
	{"line", line_steps},
};

#define TRANSCRIPT_MAX 1024

struct tk_starttls {
	const struct proto *p;
	size_t step;
	size_t sent;          /* bytes of the current SEND already written */
	struct tk_linebuf lb;
	struct tk_err err;
	char transcript[TRANSCRIPT_MAX];
};

bool
tk_starttls_known(const char *proto)
{
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
		if (strcmp(protos[i].name, proto) == 0) {
			return true;
		}
	}
	return false;
}

const char *
tk_starttls_names(void)
{
	return "line";
}

struct tk_starttls *
tk_starttls_new(const char *proto, struct tk_err *err)
{
	struct tk_starttls *st;

	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
		if (strcmp(protos[i].name, proto) != 0) {
			continue;
		}
		st = calloc(1, sizeof(*st));
		if (st == NULL) {
			tk_err_sys(err, TK_INTERNAL, "starttls",
			    "out of memory");
			return NULL;
		}
		st->p = &protos[i];
		tk_linebuf_init(&st->lb);
		return st;
	}
	tk_err_set(err, TK_USAGE, "options",
	    "unknown STARTTLS protocol '%s' (known: %s)", proto,
	    tk_starttls_names());
	return NULL;
}

void
tk_starttls_free(struct tk_starttls *st)
{
	free(st);
}

static void
note(struct tk_starttls *st, const char *who, const char *text)
{
	size_t len = strlen(st->transcript);
	size_t tl = strcspn(text, "\r\n");

	if (len + 8 >= sizeof(st->transcript)) {
		return;
	}
	snprintf(st->transcript + len, sizeof(st->transcript) - len,
	    "%s%s: %.*s", len ? " | " : "", who,
	    (int)(tl > 200 ? 200 : tl), text);
}

int
tk_starttls_step(struct tk_starttls *st, int fd)
{
	char line[TK_LINE_MAX + 1];

	for (;;) {
		const struct step *s = &st->p->steps[st->step];

		switch (s->op) {
		case ST_END:
			return 0;
		case ST_SEND: {
			size_t len = strlen(s->text);
			ssize_t n;

			if (st->sent == 0) {
				note(st, "C", s->text);
			}
			n = write(fd, s->text + st->sent, len - st->sent);
			if (n < 0) {
				if (errno == EAGAIN || errno == EINTR) {
					return TK_WANT_WRITE;
				}
				return tk_err_sys(&st->err, TK_NET, "starttls",
				    "cannot send '%.*s'",
				    (int)strcspn(s->text, "\r\n"), s->text);
			}
			st->sent += (size_t)n;
			if (st->sent < len) {
				return TK_WANT_WRITE;
			}
			st->sent = 0;
			st->step++;
			break;
		}
		case ST_EXPECT: {
			int r = tk_linebuf_next(&st->lb, line, sizeof(line),
			    "starttls", &st->err);
			ssize_t n;

			if (r < 0) {
				return -1;
			}
			if (r == 0) {
				n = tk_linebuf_fill(&st->lb, fd, "starttls",
				    &st->err);
				if (n == 0) {
					return tk_err_set(&st->err, TK_NET,
					    "starttls", "the server closed "
					    "the connection during the "
					    "plaintext dialogue");
				}
				if (n < 0) {
					return (int)n;
				}
				break;
			}
			note(st, "S", line);
			if (strncmp(line, s->text, strlen(s->text)) != 0) {
				return tk_err_set(&st->err, TK_NET,
				    "starttls", "%s (it said '%.80s')",
				    s->refused, line);
			}
			st->step++;
			break;
		}
		}
	}
}

const struct tk_err *
tk_starttls_error(const struct tk_starttls *st)
{
	return &st->err;
}

size_t
tk_starttls_injected(const struct tk_starttls *st)
{
	return st->lb.len;
}

const char *
tk_starttls_transcript(const struct tk_starttls *st)
{
	return st->transcript;
}
