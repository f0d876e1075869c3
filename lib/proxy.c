#include "proxy.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http.h"

#include "banned.h"

/* curl's default proxy port */
#define PROXY_PORT 1080

int
tk_proxy_parse(const char *url, const char *what, struct tk_proxy *p,
    struct tk_err *err)
{
	struct tk_target t;
	struct tk_err inner;
	const char *rest = url, *sep = strstr(url, "://");
	char auth[TK_HOST_MAX + 16];
	size_t alen;

	memset(p, 0, sizeof(*p));
	snprintf(p->url, sizeof(p->url), "%s", url);
	snprintf(p->from, sizeof(p->from), "%s", what);
	/* user information first, whatever the scheme, and without the
	 * URL: it holds a password that would end up in logs */
	alen = strcspn(sep != NULL ? sep + 3 : url, "/");
	if (memchr(sep != NULL ? sep + 3 : url, '@', alen) != NULL) {
		return tk_err_set(err, TK_USAGE, "options",
		    "%s: proxy user information (USER:PASSWORD@) is not "
		    "supported (the URL is not shown: it holds a password)",
		    what);
	}
	if (sep != NULL) {
		if ((size_t)(sep - url) != 4 || strncasecmp(url, "http", 4) !=
		    0) {
			return tk_err_set(err, TK_USAGE, "options",
			    "%s '%.200s': only http:// proxies are supported",
			    what, url);
		}
		rest = sep + 3;
	}
	alen = strcspn(rest, "/");
	if (rest[alen] == '/' && rest[alen + 1] != '\0') {
		return tk_err_set(err, TK_USAGE, "options",
		    "%s '%.200s': a proxy URL has no path", what, url);
	}
	if (alen == 0 || alen >= sizeof(auth)) {
		return tk_err_set(err, TK_USAGE, "options",
		    "%s '%.200s' has no proxy host", what, url);
	}
	memcpy(auth, rest, alen);
	auth[alen] = '\0';
	tk_err_clear(&inner);
	if (tk_target_parse(auth, PROXY_PORT, &t, &inner) < 0 ||
	    t.scheme[0] != '\0') {
		return tk_err_set(err, TK_USAGE, "options",
		    "%s '%.200s' is not a proxy URL (http://HOST[:PORT])", what,
		    url);
	}
	snprintf(p->host, sizeof(p->host), "%s", t.host);
	p->port = t.port;
	return 0;
}

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

int
tk_proxy_conf_init(struct tk_proxy_conf *pc, const char *opt,
    struct tk_err *err)
{
	/* curl's order for an https:// URL; the upper-case forms too */
	static const char *const names[] = {"https_proxy", "HTTPS_PROXY",
	    "all_proxy", "ALL_PROXY"};
	const char *np = env("no_proxy");

	memset(pc, 0, sizeof(*pc));
	snprintf(pc->no_proxy, sizeof(pc->no_proxy), "%s",
	    np != NULL ? np : env("NO_PROXY") != NULL ? env("NO_PROXY") : "");
	if (opt != NULL) {
		if (*opt == '\0') {
			pc->off = true;
			return 0;  /* --proxy "": none, whatever the env says */
		}
		if (tk_proxy_parse(opt, "--proxy", &pc->proxy, err) < 0) {
			return -1;
		}
		pc->set = true;
		return 0;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *v = env(names[i]);

		if (v == NULL) {
			continue;
		}
		if (tk_proxy_parse(v, names[i], &pc->proxy, err) < 0) {
			return -1;
		}
		pc->set = true;
		return 0;
	}
	return 0;
}

/*
 * The no_proxy entry that names host, with its length in *mlen, or NULL
 * when none does.
 */
static const char *
no_proxy_match(const struct tk_proxy_conf *pc, const char *host, size_t *mlen)
{
	const char *p = pc->no_proxy;
	size_t hlen = strlen(host);

	while (*p != '\0') {
		size_t len;

		p += strspn(p, ", \t");
		len = strcspn(p, ", \t");
		if (len == 0) {
			break;
		}
		*mlen = len;
		if (len == 1 && *p == '*') {
			return p;
		}
		{
			const char *e = p;
			size_t elen = len;

			if (*e == '.') {
				e++;
				elen--;
			}
			/* the host itself, or one of its subdomains */
			if (elen > 0 && elen <= hlen &&
			    strncasecmp(host + hlen - elen, e, elen) == 0 &&
			    (elen == hlen || host[hlen - elen - 1] == '.')) {
				return p;
			}
		}
		p += len;
	}
	return NULL;
}

bool
tk_proxy_use(const struct tk_proxy_conf *pc, const char *host)
{
	size_t mlen;

	return pc->set && no_proxy_match(pc, host, &mlen) == NULL;
}

void
tk_proxy_name(const struct tk_proxy *p, char *buf, size_t len)
{
	bool v6 = strchr(p->host, ':') != NULL;

	snprintf(buf, len, "%s%s%s:%u (from %s)", v6 ? "[" : "", p->host,
	    v6 ? "]" : "", (unsigned)p->port, p->from);
}

bool
tk_proxy_explain(const struct tk_proxy_conf *pc, const char *host,
    char *why, size_t len)
{
	const char *m;
	size_t mlen = 0;
	char name[TK_HOST_MAX + 48];

	if (!pc->set) {
		snprintf(why, len, "%s", pc->off ? "none (--proxy '')" :
		    "none configured");
		return false;
	}
	m = no_proxy_match(pc, host, &mlen);
	if (m != NULL) {
		snprintf(why, len, "none: '%s' matches no_proxy entry '%.*s'",
		    host, (int)mlen, m);
		return false;
	}
	tk_proxy_name(&pc->proxy, name, sizeof(name));
	snprintf(why, len, "via %s", name);
	return true;
}

int
tk_proxy_reply_parse(const unsigned char *buf, size_t len, int *status,
    char *reason, size_t reasonlen, size_t *consumed, struct tk_err *err)
{
	struct tk_err inner;
	int rc;

	tk_err_clear(&inner);
	rc = tk_http_head_parse(buf, len, false, status, reason, reasonlen,
	    consumed, &inner);
	if (rc < 0) {
		return tk_err_set(err, inner.cls == TK_INTERNAL ? TK_INTERNAL :
		    TK_NET, "connect", "the proxy's reply to CONNECT is not "
		    "HTTP (%s)", inner.msg);
	}
	if (rc == 0) {
		/* the reason phrase goes into messages: printable only */
		for (char *c = reason; *c != '\0'; c++) {
			if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f) {
				*c = '?';
			}
		}
	}
	return rc;
}

/* CONNECT on the loop */

struct tk_tunnel {
	struct tk_loop *loop;
	int fd;
	tk_tunnel_cb cb;
	void *arg;
	char req[TK_HOST_MAX * 2 + 128];
	size_t req_len, sent;
	char target[TK_HOST_MAX + 16];
	char proxy[TK_ADDRSTR_MAX + TK_HOST_MAX];
	struct tk_timer start;
	unsigned char buf[TK_HTTP_HEADER_MAX];  /* the reply so far */
	size_t len;
};

void
tk_tunnel_free(struct tk_tunnel *t)
{
	if (t == NULL) {
		return;
	}
	tk_loop_timer_stop(t->loop, &t->start);
	tk_loop_unwatch(t->loop, t->fd);
	free(t);
}

static void
finish(struct tk_tunnel *t, const struct tk_err *err)
{
	tk_loop_unwatch(t->loop, t->fd);
	t->cb(t->arg, err);
	free(t);
}

static void
on_io(struct tk_loop *loop, int fd, unsigned events, void *arg)
{
	struct tk_tunnel *t = arg;
	char reason[64];
	size_t used = 0;
	struct tk_err e;
	int status = 0, rc;
	ssize_t n;

	(void)events;
	tk_err_clear(&e);
	if (t->sent < t->req_len) {
		n = send(fd, t->req + t->sent, t->req_len - t->sent,
		    MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			return;
		}
		if (n < 0) {
			tk_err_sys(&e, TK_NET, "connect", "cannot send CONNECT "
			    "to the proxy %s", t->proxy);
			finish(t, &e);
			return;
		}
		t->sent += (size_t)n;
		if (t->sent == t->req_len) {
			tk_loop_rewatch(loop, fd, TK_READ);
		}
		return;
	}
	/*
	 * Peek, then take off the socket only what belongs to the reply:
	 * whatever follows it is the TLS server's.
	 */
	n = recv(fd, t->buf + t->len, sizeof(t->buf) - t->len, MSG_PEEK);
	if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
		return;
	}
	if (n < 0) {
		tk_err_sys(&e, TK_NET, "connect", "no reply to CONNECT from "
		    "the proxy %s", t->proxy);
		finish(t, &e);
		return;
	}
	if (n == 0) {
		tk_err_set(&e, TK_NET, "connect", "the proxy %s closed the "
		    "connection without answering CONNECT %s", t->proxy,
		    t->target);
		finish(t, &e);
		return;
	}
	rc = tk_proxy_reply_parse(t->buf, t->len + (size_t)n, &status,
	    reason, sizeof(reason), &used, &e);
	if (rc < 0) {
		finish(t, &e);
		return;
	}
	if (rc == TK_PROXY_INCOMPLETE) {
		used = t->len + (size_t)n;  /* all of it is reply */
	}
	if (recv(fd, t->buf + t->len, used - t->len, 0) !=
	    (ssize_t)(used - t->len)) {
		tk_err_sys(&e, TK_NET, "connect", "reading the proxy's reply");
		finish(t, &e);
		return;
	}
	t->len = used;
	if (rc == TK_PROXY_INCOMPLETE) {
		if (t->len == sizeof(t->buf)) {
			tk_err_set(&e, TK_NET, "connect", "the proxy's reply "
			    "to CONNECT is longer than %zu bytes",
			    sizeof(t->buf));
			finish(t, &e);
		}
		return;
	}
	if (status / 100 != 2) {
		tk_err_set(&e, TK_NET, "connect", "the proxy %s refused "
		    "CONNECT %s: %d %s%s", t->proxy, t->target, status, reason,
		    status == 407 ? " (proxy authentication is not supported)" :
		    "");
		finish(t, &e);
		return;
	}
	finish(t, NULL);
}

static void
on_start(struct tk_loop *loop, void *arg)
{
	struct tk_tunnel *t = arg;
	struct tk_err e;

	tk_err_clear(&e);
	if (tk_loop_watch(loop, t->fd, TK_WRITE, on_io, t, &e) < 0) {
		finish(t, &e);
	}
}

struct tk_tunnel *
tk_tunnel_start(struct tk_loop *loop, int fd, const struct tk_proxy *proxy,
    const char *host, uint16_t port, tk_tunnel_cb cb, void *arg,
    struct tk_err *err)
{
	struct tk_tunnel *t = calloc(1, sizeof(*t));
	bool v6 = strchr(host, ':') != NULL;
	int w;

	if (t == NULL) {
		tk_err_set(err, TK_INTERNAL, "connect", "out of memory");
		return NULL;
	}
	t->loop = loop;
	t->fd = fd;
	t->cb = cb;
	t->arg = arg;
	snprintf(t->target, sizeof(t->target), "%s%s%s:%u", v6 ? "[" : "",
	    host, v6 ? "]" : "", port);
	snprintf(t->proxy, sizeof(t->proxy), "'%s'", proxy->url);
	/* RFC 9110 9.3.6: the authority form, and Host the same */
	w = snprintf(t->req, sizeof(t->req), "CONNECT %s HTTP/1.1\r\n"
	    "Host: %s\r\nUser-Agent: tlskit/%s\r\n\r\n", t->target, t->target,
	    TK_VERSION);
	if (w < 0 || (size_t)w >= sizeof(t->req)) {
		free(t);
		tk_err_set(err, TK_INTERNAL, "connect", "CONNECT too long");
		return NULL;
	}
	t->req_len = (size_t)w;
	tk_timer_init(&t->start, on_start, t);
	/* from the loop, so cb never runs inside this call */
	tk_loop_timer_start(loop, &t->start, 0);
	return t;
}
