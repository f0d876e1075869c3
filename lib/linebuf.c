#include "linebuf.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "banned.h"

ssize_t
tk_linebuf_read_fd(void *io, void *buf, size_t len)
{
	ssize_t n = read(*(const int *)io, buf, len);

	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR)) {
		return TK_WANT_READ;
	}
	return n;
}

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
tk_linebuf_fill_io(struct tk_linebuf *lb, tk_linebuf_read_fn rd,
    void *io, bool sys, const char *step, struct tk_err *err)
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
	n = rd(io, lb->buf + lb->len, room);
	if (n == TK_WANT_READ || n == TK_WANT_WRITE) {
		return n;
	}
	if (n < 0) {
		if (sys) {
			return tk_err_sys(err, TK_NET, step, "read failed");
		}
		return tk_err_set(err, TK_NET, step, "read failed");
	}
	if ((size_t)n > room) {
		return tk_err_set(err, TK_INTERNAL, step,
		    "a reader returned more bytes than asked for");
	}
	lb->len += (size_t)n;
	lb->total += (size_t)n;
	return n;
}

ssize_t
tk_linebuf_fill(struct tk_linebuf *lb, int fd, const char *step,
    struct tk_err *err)
{
	return tk_linebuf_fill_io(lb, tk_linebuf_read_fd, &fd, true, step,
	    err);
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
