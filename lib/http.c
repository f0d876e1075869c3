#include "http.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "connect.h"

#include "banned.h"

/* URLs */

int
tk_http_url_parse(const char *url, struct tk_http_url *u, enum tk_class cls,
    struct tk_err *err)
{
	struct tk_target t;
	struct tk_err inner;
	char auth[TK_HOST_MAX + 16];
	const char *p, *end, *frag;
	size_t alen, plen;

	memset(u, 0, sizeof(*u));
	if (strncasecmp(url, "http://", 7) != 0) {
		return tk_err_set(err, cls, "fetch",
		    "'%.200s' is not an http:// URL", url);
	}
	p = url + 7;
	end = p + strcspn(p, "/?#");
	alen = (size_t)(end - p);
	if (alen == 0 || alen >= sizeof(auth)) {
		return tk_err_set(err, cls, "fetch",
		    "bad host in URL '%.200s'", url);
	}
	if (memchr(p, '@', alen) != NULL) {
		return tk_err_set(err, cls, "fetch",
		    "user information is not supported in URL '%.200s'", url);
	}
	memcpy(auth, p, alen);
	auth[alen] = '\0';
	tk_err_clear(&inner);
	if (tk_target_parse(auth, 80, &t, &inner) < 0 || t.scheme[0] != '\0') {
		return tk_err_set(err, cls, "fetch", "bad host in URL '%.200s'",
		    url);
	}
	snprintf(u->host, sizeof(u->host), "%s", t.host);
	u->port = t.port;
	frag = strchr(end, '#');
	plen = frag != NULL ? (size_t)(frag - end) : strlen(end);
	for (size_t i = 0; i < plen; i++) {
		unsigned char c = (unsigned char)end[i];

		/* the request line carries the path as it is */
		if (c <= 0x20 || c >= 0x7f) {
			return tk_err_set(err, cls, "fetch",
			    "unsupported character in URL '%.200s'", url);
		}
	}
	if (plen + 2 > sizeof(u->path)) {
		return tk_err_set(err, cls, "fetch", "URL too long '%.200s'",
		    url);
	}
	if (plen == 0 || end[0] != '/') {
		u->path[0] = '/';
		memcpy(u->path + 1, end, plen);
		u->path[plen + 1] = '\0';
	} else {
		memcpy(u->path, end, plen);
		u->path[plen] = '\0';
	}
	return 0;
}

/* Responses */

/*
 * The line at buf[pos..): *end is where it ends (before an optional CR),
 * *next where the next one starts.  False when no LF is there yet.
 */
static bool
find_line(const unsigned char *buf, size_t len, size_t pos, size_t *end,
    size_t *next)
{
	const unsigned char *nl = memchr(buf + pos, '\n', len - pos);

	if (nl == NULL) {
		return false;
	}
	*next = (size_t)(nl - buf) + 1;
	*end = (size_t)(nl - buf);
	if (*end > pos && buf[*end - 1] == '\r') {
		(*end)--;
	}
	return true;
}

static bool
tchar(unsigned char c)
{
	/* RFC 9110 5.6.2 token characters */
	return isalnum(c) || (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int
bad(struct tk_err *err, const char *what)
{
	return tk_err_set(err, TK_CHECK, "fetch", "malformed HTTP response: %s",
	    what);
}

struct head {
	int status;
	bool chunked;
	bool have_len;
	size_t clen;
	size_t body_at;
};

/* Status line and header fields from pos; INCOMPLETE, 0 or -1. */
static int
parse_head(const unsigned char *buf, size_t len, bool eof, size_t pos,
    struct head *h, struct tk_http_response *r, struct tk_err *err)
{
	size_t end, next, start = pos, nfields = 0;

	memset(h, 0, sizeof(*h));
	/* not HTTP at all (a TLS server, say): say so at once */
	if (memcmp(buf + pos, "HTTP/1.", len - pos < 7 ? len - pos : 7) != 0) {
		return bad(err, "no HTTP/1.x status line");
	}
	if (!find_line(buf, len, pos, &end, &next)) {
		goto more;
	}
	/* HTTP/1.x SP 3DIGIT [SP reason] (RFC 9112 4) */
	if (end - pos < 12 || memcmp(buf + pos, "HTTP/1.", 7) != 0 ||
	    !isdigit(buf[pos + 7]) || buf[pos + 8] != ' ' ||
	    !isdigit(buf[pos + 9]) || !isdigit(buf[pos + 10]) ||
	    !isdigit(buf[pos + 11]) ||
	    (end - pos > 12 && buf[pos + 12] != ' ')) {
		return bad(err, "no HTTP/1.x status line");
	}
	h->status = (buf[pos + 9] - '0') * 100 + (buf[pos + 10] - '0') * 10 +
	    (buf[pos + 11] - '0');
	if (h->status < 100 || h->status > 599) {
		return bad(err, "status code out of range");
	}
	if (end - pos > 13) {
		size_t rl = end - pos - 13;

		if (rl >= sizeof(r->reason)) {
			rl = sizeof(r->reason) - 1;
		}
		memcpy(r->reason, buf + pos + 13, rl);
		r->reason[rl] = '\0';
	} else {
		r->reason[0] = '\0';
	}
	r->status = h->status;
	pos = next;
	for (;;) {
		size_t colon, vs, ve;

		if (pos - start > TK_HTTP_HEADER_MAX) {
			return bad(err, "header section too large");
		}
		if (!find_line(buf, len, pos, &end, &next)) {
			goto more;
		}
		if (end == pos) {
			h->body_at = next;
			break;
		}
		if (++nfields > 100) {
			return bad(err, "too many header fields");
		}
		if (buf[pos] == ' ' || buf[pos] == '\t') {
			/* RFC 9112 5.2: obsolete line folding */
			return bad(err, "folded header field");
		}
		for (colon = pos; colon < end && tchar(buf[colon]); colon++) {
		}
		if (colon == pos || colon == end || buf[colon] != ':') {
			return bad(err, "bad header field");
		}
		for (vs = colon + 1; vs < end && (buf[vs] == ' ' ||
		    buf[vs] == '\t'); vs++) {
		}
		for (ve = end; ve > vs && (buf[ve - 1] == ' ' ||
		    buf[ve - 1] == '\t'); ve--) {
		}
		for (size_t i = vs; i < ve; i++) {
			if (buf[i] == 0 || buf[i] == '\r' || buf[i] == '\n') {
				return bad(err, "control byte in a header");
			}
		}
#define IS(name) (colon - pos == sizeof(name) - 1 &&                         \
	strncasecmp((const char *)buf + pos, name, sizeof(name) - 1) == 0)
		if (IS("content-length")) {
			size_t v = 0;

			if (ve == vs || ve - vs > 12) {
				return bad(err, "bad Content-Length");
			}
			for (size_t i = vs; i < ve; i++) {
				if (!isdigit(buf[i])) {
					return bad(err, "bad Content-Length");
				}
				v = v * 10 + (size_t)(buf[i] - '0');
			}
			if (h->have_len && v != h->clen) {
				return bad(err, "two Content-Length values");
			}
			h->have_len = true;
			h->clen = v;
		} else if (IS("transfer-encoding")) {
			if (ve - vs != 7 || strncasecmp((const char *)buf + vs,
			    "chunked", 7) != 0) {
				return bad(err,
				    "unsupported Transfer-Encoding");
			}
			h->chunked = true;
		} else if (IS("location")) {
			if (ve - vs >= sizeof(r->location)) {
				return bad(err, "Location too long");
			}
			memcpy(r->location, buf + vs, ve - vs);
			r->location[ve - vs] = '\0';
		}
#undef IS
		pos = next;
	}
	if (h->chunked && h->have_len) {
		/* RFC 9112 6.3: a sign of request smuggling; refuse */
		return bad(err, "both Content-Length and chunked");
	}
	return 0;
more:
	if (len - start > TK_HTTP_HEADER_MAX) {
		return bad(err, "header section too large");
	}
	if (eof) {
		return bad(err, "closed inside the header");
	}
	return TK_HTTP_INCOMPLETE;
}

/* RFC 9112 7.1: size [;ext] CRLF data CRLF ... 0 CRLF trailers CRLF */
static int
dechunk(const unsigned char *buf, size_t len, bool eof, size_t pos,
    struct tk_http_response *r, struct tk_err *err)
{
	unsigned char *out = malloc(len - pos + 1);
	size_t n = 0, end, next;

	if (out == NULL) {
		return tk_err_set(err, TK_INTERNAL, "fetch", "out of memory");
	}
	for (;;) {
		size_t size = 0, digits = 0, i;

		if (!find_line(buf, len, pos, &end, &next)) {
			goto more;
		}
		for (i = pos; i < end && isxdigit(buf[i]); i++) {
			if (++digits > 8) {
				free(out);
				return bad(err, "chunk size too large");
			}
			size = size * 16 + (size_t)(isdigit(buf[i]) ?
			    buf[i] - '0' : (tolower(buf[i]) - 'a' + 10));
		}
		if (digits == 0 || (i < end && buf[i] != ';' && buf[i] != ' ' &&
		    buf[i] != '\t')) {
			free(out);
			return bad(err, "bad chunk size");
		}
		pos = next;
		if (size == 0) {
			break;
		}
		if (len - pos < size + 1) {
			goto more;
		}
		memcpy(out + n, buf + pos, size);
		n += size;
		pos += size;
		if (buf[pos] == '\r') {
			pos++;
		}
		if (pos >= len) {
			goto more;
		}
		if (buf[pos] != '\n') {
			free(out);
			return bad(err, "no line end after a chunk");
		}
		pos++;
	}
	/* trailer fields, ignored, up to an empty line */
	for (size_t k = 0;; k++) {
		if (!find_line(buf, len, pos, &end, &next)) {
			goto more;
		}
		if (end == pos) {
			break;
		}
		if (k > 100) {
			free(out);
			return bad(err, "too many trailer fields");
		}
		pos = next;
	}
	r->body = out;
	r->body_len = n;
	return 0;
more:
	free(out);
	if (eof) {
		return bad(err, "closed inside a chunked body");
	}
	return TK_HTTP_INCOMPLETE;
}

int
tk_http_response_parse(const unsigned char *buf, size_t len, bool eof,
    struct tk_http_response *r, struct tk_err *err)
{
	struct head h;
	size_t pos = 0, blen;
	int rc;

	memset(r, 0, sizeof(*r));
	for (int skipped = 0;; skipped++) {
		rc = parse_head(buf, len, eof, pos, &h, r, err);
		if (rc != 0) {
			return rc;
		}
		if (h.status >= 200) {
			break;
		}
		/* 1xx: an interim response; the real one follows */
		if (skipped == 4) {
			return bad(err, "too many interim responses");
		}
		pos = h.body_at;
		r->location[0] = '\0';
	}
	pos = h.body_at;
	if (h.status == 204 || h.status == 304) {
		blen = 0;
	} else if (h.chunked) {
		return dechunk(buf, len, eof, pos, r, err);
	} else if (h.have_len) {
		if (len - pos < h.clen) {
			if (eof) {
				return bad(err, "closed before the end of the "
				    "body");
			}
			return TK_HTTP_INCOMPLETE;
		}
		blen = h.clen;
	} else {
		/* RFC 9112 6.3: the body runs to the close */
		if (!eof) {
			return TK_HTTP_INCOMPLETE;
		}
		blen = len - pos;
	}
	r->body = malloc(blen + 1);
	if (r->body == NULL) {
		return tk_err_set(err, TK_INTERNAL, "fetch", "out of memory");
	}
	memcpy(r->body, buf + pos, blen);
	r->body_len = blen;
	return 0;
}

int
tk_http_head_parse(const unsigned char *buf, size_t len, bool eof,
    int *status, char *reason, size_t reasonlen, size_t *head_len,
    struct tk_err *err)
{
	struct tk_http_response r;
	struct head h;
	int rc;

	memset(&r, 0, sizeof(r));
	rc = parse_head(buf, len, eof, 0, &h, &r, err);
	if (rc != 0) {
		return rc;
	}
	*status = h.status;
	*head_len = h.body_at;
	snprintf(reason, reasonlen, "%s", r.reason);
	return 0;
}

void
tk_http_response_clear(struct tk_http_response *r)
{
	free(r->body);
	r->body = NULL;
	r->body_len = 0;
}

/* GET on the loop */

#define REDIRECTS_MAX 3

struct tk_http_get {
	struct tk_loop *loop;
	struct tk_resolver *res;
	tk_http_cb cb;
	void *arg;
	size_t max;
	unsigned timeout_ms;
	unsigned redirects;
	struct tk_http_url u;
	char url[TK_HTTP_URL_MAX];
	struct tk_lookup *lookup;
	struct tk_connect *connect;
	int fd;
	struct tk_timer timer;
	char req[TK_HTTP_URL_MAX + TK_HOST_MAX + 256];
	size_t req_len, sent;
	unsigned char *buf;
	size_t len;
};

static void
drop_io(struct tk_http_get *g)
{
	tk_resolve_cancel(g->lookup);
	g->lookup = NULL;
	tk_connect_free(g->connect);
	g->connect = NULL;
	if (g->fd >= 0) {
		tk_loop_unwatch(g->loop, g->fd);
		close(g->fd);
		g->fd = -1;
	}
}

void
tk_http_get_free(struct tk_http_get *g)
{
	if (g == NULL) {
		return;
	}
	drop_io(g);
	tk_loop_timer_stop(g->loop, &g->timer);
	free(g->buf);
	free(g);
}

static void
done(struct tk_http_get *g, const struct tk_http_response *resp,
    const struct tk_err *err)
{
	drop_io(g);
	tk_loop_timer_stop(g->loop, &g->timer);
	g->cb(g->arg, resp, err);
	tk_http_get_free(g);
}

static void
on_timeout(struct tk_loop *loop, void *arg)
{
	struct tk_http_get *g = arg;
	struct tk_err e;

	(void)loop;
	tk_err_clear(&e);
	tk_err_set(&e, TK_NET, "fetch", "timed out after %.3g s",
	    g->timeout_ms / 1000.0);
	done(g, NULL, &e);
}

static void on_resolved(void *arg, const struct tk_addr *addrs, size_t n,
    const struct tk_err *err);

static int
begin(struct tk_http_get *g, struct tk_err *err)
{
	bool v6 = strchr(g->u.host, ':') != NULL;
	int w;

	w = snprintf(g->req, sizeof(g->req),
	    "GET %s HTTP/1.1\r\nHost: %s%s%s%s%.0u\r\n"
	    "User-Agent: tlskit/%s\r\nAccept: */*\r\nConnection: close\r\n\r\n",
	    g->u.path, v6 ? "[" : "", g->u.host, v6 ? "]" : "",
	    g->u.port != 80 ? ":" : "", g->u.port != 80 ? g->u.port : 0u,
	    TK_VERSION);
	if (w < 0 || (size_t)w >= sizeof(g->req)) {
		return tk_err_set(err, TK_CHECK, "fetch", "URL too long");
	}
	g->req_len = (size_t)w;
	g->sent = 0;
	g->len = 0;
	g->lookup = tk_resolve(g->res, g->u.host, g->u.port, AF_UNSPEC,
	    on_resolved, g, err);
	return g->lookup == NULL ? -1 : 0;
}

static void
on_io(struct tk_loop *loop, int fd, unsigned events, void *arg)
{
	struct tk_http_get *g = arg;
	struct tk_http_response resp;
	struct tk_err e;
	bool eof = false;
	ssize_t n;
	int rc;

	(void)events;
	if (g->sent < g->req_len) {
		n = send(fd, g->req + g->sent, g->req_len - g->sent,
		    MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			return;
		}
		if (n < 0) {
			tk_err_clear(&e);
			tk_err_sys(&e, TK_NET, "fetch", "cannot send the "
			    "request");
			done(g, NULL, &e);
			return;
		}
		g->sent += (size_t)n;
		if (g->sent == g->req_len) {
			tk_loop_rewatch(loop, fd, TK_READ);
		}
		return;
	}
	n = recv(fd, g->buf + g->len, g->max - g->len, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
		return;
	}
	if (n < 0) {
		tk_err_clear(&e);
		tk_err_sys(&e, TK_NET, "fetch", "cannot read the "
		    "response");
		done(g, NULL, &e);
		return;
	}
	g->len += (size_t)n;
	eof = n == 0;
	tk_err_clear(&e);
	rc = tk_http_response_parse(g->buf, g->len, eof, &resp, &e);
	if (rc == TK_HTTP_INCOMPLETE) {
		if (g->len == g->max) {
			tk_err_set(&e, TK_CHECK, "fetch", "the response is "
			    "larger than %zu bytes", g->max);
			done(g, NULL, &e);
		}
		return;
	}
	if (rc < 0) {
		done(g, NULL, &e);
		return;
	}
	if ((resp.status == 301 || resp.status == 302 || resp.status == 303 ||
	    resp.status == 307 || resp.status == 308) &&
	    strncasecmp(resp.location, "http://", 7) == 0 &&
	    g->redirects < REDIRECTS_MAX) {
		g->redirects++;
		snprintf(g->url, sizeof(g->url), "%s", resp.location);
		tk_http_response_clear(&resp);
		drop_io(g);
		if (tk_http_url_parse(g->url, &g->u, TK_CHECK, &e) < 0 ||
		    begin(g, &e) < 0) {
			done(g, NULL, &e);
		}
		return;
	}
	done(g, &resp, NULL);
	tk_http_response_clear(&resp);
}

static void
on_connected(void *arg, int fd, const struct tk_addr *addr,
    const struct tk_err *err)
{
	struct tk_http_get *g = arg;
	struct tk_err e;

	(void)addr;
	if (fd < 0) {
		e = *err;  /* err lives in g->connect */
		done(g, NULL, &e);
		return;
	}
	tk_connect_free(g->connect);
	g->connect = NULL;
	g->fd = fd;
	tk_err_clear(&e);
	if (tk_loop_watch(g->loop, fd, TK_WRITE, on_io, g, &e) < 0) {
		done(g, NULL, &e);
	}
}

static void
on_resolved(void *arg, const struct tk_addr *addrs, size_t n,
    const struct tk_err *err)
{
	struct tk_http_get *g = arg;
	struct tk_err e;

	g->lookup = NULL;
	if (err != NULL) {
		e = *err;
		done(g, NULL, &e);
		return;
	}
	tk_err_clear(&e);
	/* RFC 8305 section 5: 250 ms between attempts */
	g->connect = tk_connect_start(g->loop, addrs, n, 250, on_connected, g,
	    &e);
	if (g->connect == NULL) {
		done(g, NULL, &e);
	}
}

struct tk_http_get *
tk_http_get_start(struct tk_loop *loop, struct tk_resolver *r,
    const char *url, unsigned timeout_ms, size_t max_bytes, tk_http_cb cb,
    void *arg, struct tk_err *err)
{
	struct tk_http_get *g = calloc(1, sizeof(*g));

	if (g == NULL) {
		tk_err_set(err, TK_INTERNAL, "fetch", "out of memory");
		return NULL;
	}
	g->loop = loop;
	g->res = r;
	g->cb = cb;
	g->arg = arg;
	g->fd = -1;
	g->max = max_bytes;
	g->timeout_ms = timeout_ms;
	tk_timer_init(&g->timer, on_timeout, g);
	snprintf(g->url, sizeof(g->url), "%s", url);
	g->buf = malloc(max_bytes);
	if (g->buf == NULL) {
		free(g);
		tk_err_set(err, TK_INTERNAL, "fetch", "out of memory");
		return NULL;
	}
	if (tk_http_url_parse(url, &g->u, TK_CHECK, err) < 0 ||
	    begin(g, err) < 0) {
		tk_http_get_free(g);
		return NULL;
	}
	tk_loop_timer_start(loop, &g->timer, timeout_ms);
	return g;
}
