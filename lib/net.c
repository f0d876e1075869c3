#include "net.h"

#include <arpa/inet.h>
#include <ares.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <idn2.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "banned.h"

/* Targets */

struct scheme {
	const char *name;
	uint16_t port;
	const char *starttls;  /* NULL: TLS from the first byte */
};

static const struct scheme schemes[] = {
	{"ftp", 21, "ftp"},
	{"ftps", 990, NULL},
	{"https", 443, NULL},
	{"imap", 143, "imap"},
	{"imaps", 993, NULL},
	{"ldap", 389, "ldap"},
	{"ldaps", 636, NULL},
	{"lmtp", 24, "lmtp"},
	{"nntp", 119, "nntp"},
	{"nntps", 563, NULL},
	{"pop3", 110, "pop3"},
	{"pop3s", 995, NULL},
	{"postgres", 5432, "postgres"},
	{"postgresql", 5432, "postgres"},
	{"sieve", 4190, "sieve"},
	{"smtp", 25, "smtp"},
	{"smtps", 465, NULL},
	{"submission", 587, "smtp"},
	{"submissions", 465, NULL},
	{"xmpp", 5222, "xmpp"},
	{"xmpp-server", 5269, "xmpp-server"},
};

uint16_t
tk_scheme_port(const char *scheme, const char **starttls)
{
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		if (strcmp(schemes[i].name, scheme) == 0) {
			if (starttls != NULL) {
				*starttls = schemes[i].starttls;
			}
			return schemes[i].port;
		}
	}
	if (starttls != NULL) {
		*starttls = NULL;
	}
	return 0;
}

bool
tk_is_ip_literal(const char *s)
{
	struct in6_addr a6;
	struct in_addr a4;

	return inet_pton(AF_INET, s, &a4) == 1 ||
	    inet_pton(AF_INET6, s, &a6) == 1;
}

static int
parse_port(const char *s, size_t len, uint16_t *port, const char *text,
    struct tk_err *err)
{
	unsigned long v = 0;

	if (len == 0 || len > 5) {
		return tk_err_set(err, TK_USAGE, "target",
		    "bad port in target '%s'", text);
	}
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i])) {
			return tk_err_set(err, TK_USAGE, "target",
			    "bad port in target '%s'", text);
		}
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v == 0 || v > 65535) {
		return tk_err_set(err, TK_USAGE, "target",
		    "port out of range (1-65535) in target '%s'", text);
	}
	*port = (uint16_t)v;
	return 0;
}

/* RFC 1123 host name syntax on the A-label form; '_' is tolerated. */
static bool
valid_hostname(const char *h)
{
	size_t label = 0, total = strlen(h);

	if (total == 0 || total > 253) {
		return false;
	}
	for (const char *p = h; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '.') {
			if (label == 0 || p[-1] == '-') {
				return false;
			}
			label = 0;
			continue;
		}
		if (!(isalnum(c) || c == '-' || c == '_')) {
			return false;
		}
		if (label == 0 && c == '-') {
			return false;
		}
		if (++label > 63) {
			return false;
		}
	}
	return label > 0 && h[total - 1] != '-';
}

static int
set_host(struct tk_target *t, const char *h, size_t len, const char *text,
    struct tk_err *err)
{
	char buf[TK_HOST_MAX * 4];
	char *ascii = NULL;
	bool ascii_only = true;
	int rc;

	if (len == 0) {
		return tk_err_set(err, TK_USAGE, "target",
		    "no host name in target '%s'", text);
	}
	if (len >= sizeof(buf)) {
		return tk_err_set(err, TK_USAGE, "target",
		    "host name too long in target '%s'", text);
	}
	memcpy(buf, h, len);
	buf[len] = '\0';
	/* RFC 6066 3: SNI carries no final dot; neither do our names */
	if (len > 1 && buf[len - 1] == '.') {
		buf[--len] = '\0';
	}
	if (tk_is_ip_literal(buf)) {
		struct in_addr a4;

		if (len >= sizeof(t->host)) {
			return tk_err_set(err, TK_USAGE, "target",
			    "bad address in target '%s'", text);
		}

		memcpy(t->host, buf, len + 1);  /* an IP literal is short */
		t->ip_family = inet_pton(AF_INET, buf, &a4) == 1 ? AF_INET :
		    AF_INET6;
		return 0;
	}
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)buf[i] >= 0x80) {
			ascii_only = false;
		}
	}
	if (ascii_only) {
		for (size_t i = 0; i < len; i++) {
			buf[i] = (char)tolower((unsigned char)buf[i]);
		}
		if (!valid_hostname(buf)) {
			return tk_err_set(err, TK_USAGE, "target",
			    "invalid host name in target '%s'", text);
		}
		/*
		 * An A-label must decode.  What it decodes to is not judged:
		 * names such as xn--n3h.com (a snowman, not IDNA2008-valid)
		 * exist in DNS and in certificates, and a checker must be
		 * able to check them.
		 */
		if (strstr(buf, "xn--") != NULL) {
			rc = idn2_to_unicode_8z8z(buf, &ascii, 0);
			if (rc != IDN2_OK) {
				return tk_err_set(err, TK_USAGE, "target",
				    "invalid IDN A-label in target '%s': %s",
				    text, idn2_strerror(rc));
			}
			idn2_free(ascii);
		}
		memcpy(t->host, buf, len + 1);  /* <= 253, checked above */
		return 0;
	}
	rc = idn2_to_ascii_8z(buf, &ascii,
	    IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT);
	if (rc != IDN2_OK) {
		return tk_err_set(err, TK_USAGE, "target",
		    "invalid international host name in target '%s': %s",
		    text, idn2_strerror(rc));
	}
	if (!valid_hostname(ascii) || strlen(ascii) >= sizeof(t->host)) {
		idn2_free(ascii);
		return tk_err_set(err, TK_USAGE, "target",
		    "invalid host name in target '%s'", text);
	}
	snprintf(t->host, sizeof(t->host), "%s", ascii);
	idn2_free(ascii);
	return 0;
}

int
tk_target_parse(const char *text, uint16_t default_port,
    struct tk_target *t, struct tk_err *err)
{
	const char *p = text, *sep, *end, *host, *colon;
	size_t hostlen;
	uint16_t sport = 0;

	memset(t, 0, sizeof(*t));
	snprintf(t->display, sizeof(t->display), "%s", text);
	for (const char *q = text; *q != '\0'; q++) {
		if ((unsigned char)*q < 0x20 || *q == 0x7f) {
			return tk_err_set(err, TK_USAGE, "target",
			    "control character in target");
		}
	}
	sep = strstr(p, "://");
	if (sep != NULL) {
		size_t slen = (size_t)(sep - p);

		if (slen == 0 || slen >= sizeof(t->scheme)) {
			return tk_err_set(err, TK_USAGE, "target",
			    "bad scheme in target '%s'", text);
		}
		for (size_t i = 0; i < slen; i++) {
			t->scheme[i] = (char)tolower((unsigned char)p[i]);
		}
		sport = tk_scheme_port(t->scheme, NULL);
		if (sport == 0) {
			return tk_err_set(err, TK_USAGE, "target",
			    "unknown scheme '%s' in target '%s'", t->scheme,
			    text);
		}
		p = sep + 3;
		end = p + strcspn(p, "/?#");
		if (strchr(p, '@') != NULL && strchr(p, '@') < end) {
			return tk_err_set(err, TK_USAGE, "target",
			    "user information is not supported in target "
			    "'%s'", text);
		}
	} else {
		end = p + strlen(p);
	}
	if (p == end) {
		return tk_err_set(err, TK_USAGE, "target", "empty target%s%s",
		    *text ? " " : "", text);
	}
	t->port = sport ? sport : default_port;
	if (*p == '[') {
		const char *close = memchr(p, ']', (size_t)(end - p));

		if (close == NULL) {
			return tk_err_set(err, TK_USAGE, "target",
			    "missing ']' in target '%s'", text);
		}
		host = p + 1;
		hostlen = (size_t)(close - host);
		if (close + 1 < end) {
			if (close[1] != ':') {
				return tk_err_set(err, TK_USAGE, "target",
				    "unexpected text after ']' in target "
				    "'%s'", text);
			}
			if (parse_port(close + 2, (size_t)(end - close - 2),
			    &t->port, text, err) < 0) {
				return -1;
			}
			t->had_port = true;
		}
		if (set_host(t, host, hostlen, text, err) < 0) {
			return -1;
		}
		if (t->ip_family != AF_INET6) {
			return tk_err_set(err, TK_USAGE, "target",
			    "brackets hold no IPv6 address in target '%s'",
			    text);
		}
		return 0;
	}
	colon = memchr(p, ':', (size_t)(end - p));
	if (colon != NULL && memchr(colon + 1, ':', (size_t)(end - colon - 1))
	    != NULL) {
		/* two colons and no brackets: a bare IPv6 address */
		if (set_host(t, p, (size_t)(end - p), text, err) < 0) {
			return -1;
		}
		if (t->ip_family != AF_INET6) {
			return tk_err_set(err, TK_USAGE, "target",
			    "invalid IPv6 address in target '%s' (use "
			    "[ADDR]:PORT)", text);
		}
		return 0;
	}
	if (colon != NULL) {
		if (parse_port(colon + 1, (size_t)(end - colon - 1), &t->port,
		    text, err) < 0) {
			return -1;
		}
		t->had_port = true;
		end = colon;
	}
	return set_host(t, p, (size_t)(end - p), text, err);
}

int
tk_hostname_check(const char *in, char *out, size_t outlen,
    struct tk_err *err)
{
	struct tk_target t;
	struct tk_err inner;

	if (strchr(in, '/') != NULL || strchr(in, ':') != NULL ||
	    strchr(in, '[') != NULL) {
		if (!tk_is_ip_literal(in)) {
			return tk_err_set(err, TK_USAGE, "options",
			    "--hostname takes a name or an IP address, not "
			    "'%s'", in);
		}
	}
	tk_err_clear(&inner);
	if (tk_target_parse(in, 1, &t, &inner) < 0 || t.had_port ||
	    t.scheme[0] != '\0') {
		return tk_err_set(err, TK_USAGE, "options",
		    "invalid --hostname '%s'", in);
	}
	snprintf(out, outlen, "%s", t.host);
	return 0;
}

void
tk_sockaddr_str(const struct sockaddr *sa, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
		snprintf(buf, len, "[%s]:%u", ip, ntohs(s6->sin6_port));
	} else if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)sa;

		inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
		snprintf(buf, len, "%s:%u", ip, ntohs(s4->sin_port));
	} else {
		snprintf(buf, len, "(family %d)", sa->sa_family);
	}
}

int
tk_fd_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		return -1;
	}
	return fcntl(fd, F_SETFD, FD_CLOEXEC);
}

static bool
literal_addr(const char *host, uint16_t port, struct tk_addr *a)
{
	struct sockaddr_in *s4 = (void *)&a->ss;
	struct sockaddr_in6 *s6 = (void *)&a->ss;

	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		a->len = sizeof(*s4);
		return true;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		a->len = sizeof(*s6);
		return true;
	}
	return false;
}

/* --resolve */

/* One address, bare or in brackets; false when it is not an IP literal. */
static bool
parse_lite(const char *s, size_t len, struct tk_addr_lite *a)
{
	char buf[INET6_ADDRSTRLEN + 2];

	if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
		s++;
		len -= 2;
	}
	if (len == 0 || len >= sizeof(buf)) {
		return false;
	}
	memcpy(buf, s, len);
	buf[len] = '\0';
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, buf, a->bytes) == 1) {
		a->family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, buf, a->bytes) == 1) {
		a->family = AF_INET6;
		return true;
	}
	return false;
}

/* ADDR[,ADDR...] into e; the first bad one goes to *bad. */
static bool
parse_addr_list(const char *s, struct tk_resolve_entry *e, const char **bad,
    size_t *badlen)
{
	e->n = 0;
	for (;;) {
		size_t len = strcspn(s, ",");

		if (e->n == TK_RESOLVE_ADDRS || !parse_lite(s, len,
		    &e->addrs[e->n])) {
			*bad = s;
			*badlen = len;
			return false;
		}
		e->n++;
		if (s[len] == '\0') {
			return true;
		}
		s += len + 1;
	}
}

int
tk_resolve_map_add(struct tk_resolve_map *m, const char *spec,
    struct tk_err *err)
{
	struct tk_resolve_entry e;
	struct tk_target t;
	struct tk_err inner;
	const char *colon = strchr(spec, ':'), *rest, *bad = "";
	char name[TK_HOST_MAX * 4];
	size_t nlen, badlen = 0, digits;
	bool ok = false;

	memset(&e, 0, sizeof(e));
	if (colon == NULL || colon[1] == '\0') {
		return tk_err_set(err, TK_USAGE, "options",
		    "--resolve '%.200s' has no address (use NAME:PORT:ADDR or "
		    "NAME:ADDR)", spec);
	}
	nlen = (size_t)(colon - spec);
	if (nlen == 0 || nlen >= sizeof(name)) {
		return tk_err_set(err, TK_USAGE, "options",
		    "--resolve '%.200s' has no name", spec);
	}
	memcpy(name, spec, nlen);
	name[nlen] = '\0';
	tk_err_clear(&inner);
	if (tk_target_parse(name, 1, &t, &inner) < 0 || t.had_port ||
	    t.scheme[0] != '\0' || t.ip_family != 0) {
		return tk_err_set(err, TK_USAGE, "options",
		    "--resolve '%.200s': '%.200s' is not a host name", spec,
		    name);
	}
	snprintf(e.host, sizeof(e.host), "%s", t.host);
	rest = colon + 1;
	/* NAME:PORT:ADDR when a port and a colon come first */
	digits = strspn(rest, "0123456789");
	if (rest[digits] == '\0') {
		return tk_err_set(err, TK_USAGE, "options",
		    "--resolve '%.200s' has no address after the port (use "
		    "NAME:PORT:ADDR)", spec);
	}
	if (digits > 0 && rest[digits] == ':') {
		unsigned long port = strtoul(rest, NULL, 10);

		if (rest[digits + 1] == '\0') {
			return tk_err_set(err, TK_USAGE, "options",
			    "--resolve '%.200s' has no address", spec);
		}
		ok = parse_addr_list(rest + digits + 1, &e, &bad, &badlen);
		if (ok && (digits > 5 || port == 0 || port > 65535)) {
			return tk_err_set(err, TK_USAGE, "options",
			    "--resolve '%.200s': port out of range (1-65535)",
			    spec);
		}
		if (ok) {
			e.port = (uint16_t)port;
		}
	}
	/* else NAME:ADDR (any port); also "1::2", which looked like a port */
	if (!ok) {
		const char *bad1 = bad;
		size_t badlen1 = badlen;

		ok = parse_addr_list(rest, &e, &bad, &badlen);
		if (!ok && digits > 0 && rest[digits] == ':') {
			bad = bad1;
			badlen = badlen1;
		}
	}
	if (!ok) {
		if (badlen == 0) {
			return tk_err_set(err, TK_USAGE, "options",
			    "--resolve '%.200s' has an empty address", spec);
		}
		return tk_err_set(err, TK_USAGE, "options",
		    "--resolve '%.200s': '%.*s' is not an IP address%s", spec,
		    (int)(badlen > 64 ? 64 : badlen), bad,
		    e.n == TK_RESOLVE_ADDRS ? " (or one too many)" : "");
	}
	/* entries for the same name and port add up */
	for (size_t i = 0; i < m->n; i++) {
		struct tk_resolve_entry *o = &m->e[i];

		if (strcmp(o->host, e.host) != 0 || o->port != e.port) {
			continue;
		}
		for (size_t k = 0; k < e.n; k++) {
			if (o->n == TK_RESOLVE_ADDRS) {
				return tk_err_set(err, TK_USAGE, "options",
				    "--resolve: more than %d addresses for "
				    "'%s'", TK_RESOLVE_ADDRS, e.host);
			}
			o->addrs[o->n++] = e.addrs[k];
		}
		return 0;
	}
	if (m->n == TK_RESOLVE_MAX) {
		return tk_err_set(err, TK_USAGE, "options",
		    "at most %d --resolve entries", TK_RESOLVE_MAX);
	}
	m->e[m->n++] = e;
	return 0;
}

/* Resolver: c-ares driven by the loop's watches and one timer. */

struct tk_resolver {
	struct tk_loop *loop;
	ares_channel ch;
	bool ready;
	struct tk_timer timer;
	const struct tk_resolve_map *map;  /* borrowed; may be NULL */
};

void
tk_resolver_set_map(struct tk_resolver *r, const struct tk_resolve_map *map)
{
	r->map = map;
}

#define TK_ADDRS_MAX 16

struct tk_lookup {
	struct tk_resolver *r;
	tk_resolve_cb cb;
	void *arg;
	struct tk_timer deliver;  /* results always arrive from the loop */
	struct tk_addr addrs[TK_ADDRS_MAX];
	size_t n;
	struct tk_err err;
	uint16_t port;
	int family;
	bool in_ares;             /* c-ares still owns a callback to us */
	bool cancelled;
	char host[TK_HOST_MAX];
};

static void rearm(struct tk_resolver *r);

static void
on_ares_fd(struct tk_loop *loop, int fd, unsigned events, void *arg)
{
	struct tk_resolver *r = arg;

	(void)loop;
	ares_process_fd(r->ch,
	    (events & (TK_READ | TK_HUP)) ? fd : ARES_SOCKET_BAD,
	    (events & TK_WRITE) ? fd : ARES_SOCKET_BAD);
	rearm(r);
}

static void
on_ares_timer(struct tk_loop *loop, void *arg)
{
	struct tk_resolver *r = arg;

	(void)loop;
	ares_process_fd(r->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	rearm(r);
}

static void
rearm(struct tk_resolver *r)
{
	struct timeval tv, *tvp;

	tvp = ares_timeout(r->ch, NULL, &tv);
	if (tvp == NULL) {
		tk_loop_timer_stop(r->loop, &r->timer);
		return;
	}
	tk_loop_timer_start(r->loop, &r->timer,
	    (uint64_t)tvp->tv_sec * 1000u + (uint64_t)tvp->tv_usec / 1000u + 1);
}

static void
on_sock_state(void *data, ares_socket_t s, int readable, int writable)
{
	struct tk_resolver *r = data;
	unsigned ev = (readable ? TK_READ : 0) | (writable ? TK_WRITE : 0);

	if (ev == 0) {
		tk_loop_unwatch(r->loop, s);
	} else {
		tk_loop_watch(r->loop, s, ev, on_ares_fd, r, NULL);
	}
}

struct tk_resolver *
tk_resolver_new(struct tk_loop *loop, struct tk_err *err)
{
	struct tk_resolver *r = calloc(1, sizeof(*r));

	if (r == NULL) {
		tk_err_sys(err, TK_INTERNAL, "resolve", "out of memory");
		return NULL;
	}
	r->loop = loop;
	tk_timer_init(&r->timer, on_ares_timer, r);
	return r;
}

/* The channel is made on first use: literals never pay for resolv.conf. */
static int
resolver_ready(struct tk_resolver *r, struct tk_err *err)
{
	struct ares_options o = {0};
	int rc;

	if (r->ready) {
		return 0;
	}
	rc = ares_library_init(ARES_LIB_INIT_ALL);
	if (rc != ARES_SUCCESS) {
		return tk_err_set(err, TK_INTERNAL, "resolve",
		    "cannot initialise c-ares: %s", ares_strerror(rc));
	}
	o.sock_state_cb = on_sock_state;
	o.sock_state_cb_data = r;
	rc = ares_init_options(&r->ch, &o, ARES_OPT_SOCK_STATE_CB);
	if (rc != ARES_SUCCESS) {
		ares_library_cleanup();
		return tk_err_set(err, TK_INTERNAL, "resolve",
		    "cannot initialise c-ares: %s", ares_strerror(rc));
	}
	r->ready = true;
	return 0;
}

void
tk_resolver_free(struct tk_resolver *r)
{
	if (r == NULL) {
		return;
	}
	if (r->ready) {
		/* pending lookups get ARES_EDESTRUCTION and free themselves */
		ares_destroy(r->ch);
		ares_library_cleanup();
	}
	tk_loop_timer_stop(r->loop, &r->timer);
	free(r);
}

static void
on_deliver(struct tk_loop *loop, void *arg)
{
	struct tk_lookup *l = arg;

	(void)loop;
	l->cb(l->arg, l->addrs, l->n, tk_err_is_set(&l->err) ? &l->err : NULL);
	free(l);
}

/* RFC 8305 section 4: interleave the families, the first one first. */
static void
interleave(struct tk_addr *a, size_t n)
{
	struct tk_addr tmp[TK_ADDRS_MAX];
	size_t i6 = 0, i4 = 0, k = 0;
	int first;

	if (n < 2) {
		return;
	}
	first = a[0].ss.ss_family;
	memcpy(tmp, a, n * sizeof(*a));
	while (k < n) {
		int want = (k % 2 == 0) ? first :
		    (first == AF_INET6 ? AF_INET : AF_INET6);
		size_t *idx = want == AF_INET6 ? &i6 : &i4;
		bool found = false;

		while (*idx < n) {
			if (tmp[*idx].ss.ss_family == want) {
				a[k++] = tmp[(*idx)++];
				found = true;
				break;
			}
			(*idx)++;
		}
		if (!found) {
			/* one family ran out: append the rest of the other */
			size_t *o = want == AF_INET6 ? &i4 : &i6;
			int other = want == AF_INET6 ? AF_INET : AF_INET6;

			for (; *o < n; (*o)++) {
				if (tmp[*o].ss.ss_family == other) {
					a[k++] = tmp[*o];
				}
			}
		}
	}
}

static void
on_addrinfo(void *arg, int status, int timeouts, struct ares_addrinfo *ai)
{
	struct tk_lookup *l = arg;

	(void)timeouts;
	l->in_ares = false;
	if (l->cancelled || status == ARES_EDESTRUCTION) {
		ares_freeaddrinfo(ai);
		free(l);
		return;
	}
	if (status != ARES_SUCCESS) {
		tk_err_set(&l->err, TK_NET, "resolve",
		    "cannot resolve '%s': %s", l->host,
		    status == ARES_ENOTFOUND ? "no such host" :
		    ares_strerror(status));
	} else {
		for (struct ares_addrinfo_node *nd = ai->nodes;
		     nd != NULL && l->n < TK_ADDRS_MAX; nd = nd->ai_next) {
			struct tk_addr *a = &l->addrs[l->n];
			bool dup = false;

			if ((nd->ai_family != AF_INET &&
			    nd->ai_family != AF_INET6) ||
			    (size_t)nd->ai_addrlen > sizeof(a->ss)) {
				continue;
			}
			memset(a, 0, sizeof(*a));
			memcpy(&a->ss, nd->ai_addr, nd->ai_addrlen);
			a->len = (socklen_t)nd->ai_addrlen;
			for (size_t i = 0; i < l->n; i++) {
				if (l->addrs[i].len == a->len &&
				    memcmp(&l->addrs[i].ss, &a->ss, a->len) ==
				    0) {
					dup = true;
				}
			}
			if (!dup) {
				l->n++;
			}
		}
		if (l->n == 0) {
			tk_err_set(&l->err, TK_NET, "resolve",
			    "'%s' has no %saddress", l->host,
			    l->family == AF_INET ? "IPv4 " :
			    l->family == AF_INET6 ? "IPv6 " : "");
		}
		interleave(l->addrs, l->n);
	}
	ares_freeaddrinfo(ai);
	tk_loop_timer_start(l->r->loop, &l->deliver, 0);
}

/*
 * Answers l from the --resolve map: entries for its port first, then
 * those for any port, in the order given.  False when no entry names it.
 */
static bool
from_map(struct tk_lookup *l)
{
	const struct tk_resolve_map *m = l->r->map;
	bool named = false;

	for (int pass = 0; m != NULL && pass < 2; pass++) {
		for (size_t i = 0; i < m->n; i++) {
			const struct tk_resolve_entry *e = &m->e[i];

			if (strcmp(e->host, l->host) != 0 ||
			    (pass == 0 ? e->port != l->port : e->port != 0)) {
				continue;
			}
			named = true;
			for (size_t k = 0; k < e->n && l->n < TK_ADDRS_MAX;
			     k++) {
				struct tk_addr *a = &l->addrs[l->n];
				struct sockaddr_in *s4 = (void *)&a->ss;
				struct sockaddr_in6 *s6 = (void *)&a->ss;

				if (l->family != AF_UNSPEC &&
				    l->family != e->addrs[k].family) {
					continue;
				}
				memset(a, 0, sizeof(*a));
				if (e->addrs[k].family == AF_INET) {
					s4->sin_family = AF_INET;
					s4->sin_port = htons(l->port);
					memcpy(&s4->sin_addr, e->addrs[k].bytes,
					    4);
					a->len = sizeof(*s4);
				} else {
					s6->sin6_family = AF_INET6;
					s6->sin6_port = htons(l->port);
					memcpy(&s6->sin6_addr,
					    e->addrs[k].bytes, 16);
					a->len = sizeof(*s6);
				}
				l->n++;
			}
		}
	}
	if (named && l->n == 0) {
		tk_err_set(&l->err, TK_NET, "resolve",
		    "'%s' has no %saddress in --resolve", l->host,
		    l->family == AF_INET ? "IPv4 " :
		    l->family == AF_INET6 ? "IPv6 " : "");
	}
	return named;
}

struct tk_lookup *
tk_resolve(struct tk_resolver *r, const char *host, uint16_t port,
    int family, tk_resolve_cb cb, void *arg, struct tk_err *err)
{
	struct ares_addrinfo_hints hints = {0};
	struct tk_lookup *l;
	char service[8];

	l = calloc(1, sizeof(*l));
	if (l == NULL) {
		tk_err_sys(err, TK_INTERNAL, "resolve", "out of memory");
		return NULL;
	}
	l->r = r;
	l->cb = cb;
	l->arg = arg;
	l->port = port;
	l->family = family;
	snprintf(l->host, sizeof(l->host), "%s", host);
	tk_timer_init(&l->deliver, on_deliver, l);
	if (literal_addr(host, port, &l->addrs[0])) {
		if (family != AF_UNSPEC &&
		    l->addrs[0].ss.ss_family != family) {
			tk_err_set(&l->err, TK_NET, "resolve",
			    "'%s' is not an %s address", host,
			    family == AF_INET ? "IPv4" : "IPv6");
		} else {
			l->n = 1;
		}
		tk_loop_timer_start(r->loop, &l->deliver, 0);
		return l;
	}
	if (from_map(l)) {
		tk_loop_timer_start(r->loop, &l->deliver, 0);
		return l;
	}
	if (resolver_ready(r, err) < 0) {
		free(l);
		return NULL;
	}
	snprintf(service, sizeof(service), "%u", port);
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = ARES_AI_NUMERICSERV | ARES_AI_NOSORT;
	l->in_ares = true;
	ares_getaddrinfo(r->ch, host, service, &hints, on_addrinfo, l);
	if (l->in_ares) {
		rearm(r);
	}
	return l;
}

void
tk_lookup_cancel(struct tk_lookup *l)
{
	if (l == NULL) {
		return;
	}
	if (l->in_ares) {
		l->cancelled = true;  /* on_addrinfo frees it */
		return;
	}
	tk_loop_timer_stop(l->r->loop, &l->deliver);
	free(l);
}

/* Connect: RFC 8305 racing over a list of addresses. */

#define TK_ERRLIST_MAX 384

struct tk_connect {
	struct tk_loop *loop;
	struct tk_addr addrs[TK_ADDRS_MAX];
	int fds[TK_ADDRS_MAX];
	size_t n, next, nopen;
	unsigned stagger_ms;
	struct tk_timer timer;
	tk_connect_cb cb;
	void *arg;
	char errs[TK_ERRLIST_MAX];
};

static void start_next(struct tk_loop *loop, void *arg);

static void
note_failure(struct tk_connect *c, size_t i, int errnum)
{
	char a[TK_ADDRSTR_MAX];
	size_t len = strlen(c->errs);

	tk_sockaddr_str((const struct sockaddr *)&c->addrs[i].ss, a,
	    sizeof(a));
	snprintf(c->errs + len, sizeof(c->errs) - len, "%s%s: %s",
	    len ? "; " : "", a, strerror(errnum));
}

static void
finish_failure(struct tk_connect *c)
{
	struct tk_err err;
	char a[TK_ADDRSTR_MAX];

	tk_err_clear(&err);
	tk_loop_timer_stop(c->loop, &c->timer);
	if (c->n == 1) {
		tk_sockaddr_str((const struct sockaddr *)&c->addrs[0].ss, a,
		    sizeof(a));
		tk_err_set(&err, TK_NET, "connect", "cannot connect to %s",
		    c->errs);
	} else {
		tk_err_set(&err, TK_NET, "connect",
		    "cannot connect to any of %zu addresses: %s", c->n,
		    c->errs);
	}
	c->cb(c->arg, -1, NULL, &err);
}

static void
on_connect_event(struct tk_loop *loop, int fd, unsigned events, void *arg)
{
	struct tk_connect *c = arg;
	int soerr = 0;
	socklen_t sl = sizeof(soerr);
	size_t i;

	for (i = 0; i < c->next && c->fds[i] != fd; i++) {
	}
	if (i == c->next) {
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0) {
		soerr = errno;
	}
	if (soerr == EINPROGRESS || (soerr == 0 && !(events & TK_WRITE))) {
		return;
	}
	tk_loop_unwatch(loop, fd);
	c->fds[i] = -1;
	c->nopen--;
	if (soerr != 0) {
		close(fd);
		note_failure(c, i, soerr);
		if (c->next < c->n) {
			tk_loop_timer_start(loop, &c->timer, 0);
		} else if (c->nopen == 0) {
			finish_failure(c);
		}
		return;
	}
	/* the winner: close the others now, hand the fd over */
	tk_loop_timer_stop(loop, &c->timer);
	for (size_t k = 0; k < c->next; k++) {
		if (c->fds[k] >= 0) {
			tk_loop_unwatch(loop, c->fds[k]);
			close(c->fds[k]);
			c->fds[k] = -1;
		}
	}
	c->nopen = 0;
	c->cb(c->arg, fd, &c->addrs[i], NULL);
}

static void
start_next(struct tk_loop *loop, void *arg)
{
	struct tk_connect *c = arg;

	while (c->next < c->n) {
		size_t i = c->next++;
		const struct tk_addr *a = &c->addrs[i];
		int one = 1;
		int fd;

		fd = socket(a->ss.ss_family,
		    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			note_failure(c, i, errno);
			continue;
		}
		/* no Nagle: a handshake is many small writes */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (connect(fd, (const struct sockaddr *)&a->ss, a->len) < 0 &&
		    errno != EINPROGRESS) {
			note_failure(c, i, errno);
			close(fd);
			continue;
		}
		if (tk_loop_watch(loop, fd, TK_WRITE, on_connect_event, c,
		    NULL) < 0) {
			note_failure(c, i, errno ? errno : ENOMEM);
			close(fd);
			continue;
		}
		c->fds[i] = fd;
		c->nopen++;
		if (c->next < c->n) {
			tk_loop_timer_start(loop, &c->timer, c->stagger_ms);
		}
		return;
	}
	if (c->nopen == 0) {
		finish_failure(c);
	}
}

struct tk_connect *
tk_connect_start(struct tk_loop *loop, const struct tk_addr *addrs, size_t n,
    unsigned stagger_ms, tk_connect_cb cb, void *arg, struct tk_err *err)
{
	struct tk_connect *c;

	if (n == 0) {
		tk_err_set(err, TK_INTERNAL, "connect", "no address given");
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		tk_err_sys(err, TK_INTERNAL, "connect", "out of memory");
		return NULL;
	}
	if (n > TK_ADDRS_MAX) {
		n = TK_ADDRS_MAX;
	}
	c->loop = loop;
	memcpy(c->addrs, addrs, n * sizeof(*addrs));
	for (size_t i = 0; i < TK_ADDRS_MAX; i++) {
		c->fds[i] = -1;
	}
	c->n = n;
	c->stagger_ms = stagger_ms;
	c->cb = cb;
	c->arg = arg;
	tk_timer_init(&c->timer, start_next, c);
	/* first attempt from the loop, so cb never runs inside this call */
	tk_loop_timer_start(loop, &c->timer, 0);
	return c;
}

void
tk_connect_free(struct tk_connect *c)
{
	if (c == NULL) {
		return;
	}
	tk_loop_timer_stop(c->loop, &c->timer);
	for (size_t i = 0; i < c->next; i++) {
		if (c->fds[i] >= 0) {
			tk_loop_unwatch(c->loop, c->fds[i]);
			close(c->fds[i]);
		}
	}
	free(c);
}

/* Listen */

static int
listen_one(const struct tk_addr *a, int backlog, int *fd_out,
    struct tk_addr *bound, const char *spec, struct tk_err *err)
{
	int one = 1;
	int fd;
	char s[TK_ADDRSTR_MAX];

	tk_sockaddr_str((const struct sockaddr *)&a->ss, s, sizeof(s));
	fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd < 0) {
		return tk_err_sys(err, TK_NET, "listen",
		    "cannot create socket for %s", s);
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (a->ss.ss_family == AF_INET6) {
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	}
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len) < 0 ||
	    listen(fd, backlog) < 0) {
		tk_err_sys(err, TK_NET, "listen", "cannot listen on %s (%s)",
		    s, spec);
		close(fd);
		return -1;
	}
	bound->len = sizeof(bound->ss);
	if (getsockname(fd, (struct sockaddr *)&bound->ss, &bound->len) < 0) {
		tk_err_sys(err, TK_NET, "listen", "getsockname on %s", s);
		close(fd);
		return -1;
	}
	*fd_out = fd;
	return 0;
}

int
tk_listen(const char *spec, int backlog, int *fds, struct tk_addr *bound,
    int max, struct tk_err *err)
{
	struct tk_addr want[2];
	const char *colon;
	char host[INET6_ADDRSTRLEN + 2];
	uint16_t port = 0;
	int nwant = 0, n = 0;
	size_t hlen;

	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');

		if (close == NULL || close[1] != ':') {
			return tk_err_set(err, TK_USAGE, "listen",
			    "bad listen address '%s' (use [ADDR]:PORT)",
			    spec);
		}
		hlen = (size_t)(close - spec - 1);
		if (hlen >= sizeof(host)) {
			return tk_err_set(err, TK_USAGE, "listen",
			    "bad listen address '%s'", spec);
		}
		memcpy(host, spec + 1, hlen);
		host[hlen] = '\0';
		colon = close + 1;
	} else {
		colon = strrchr(spec, ':');
		if (colon == NULL) {
			colon = spec - 1;  /* a bare port */
			hlen = 0;
		} else {
			hlen = (size_t)(colon - spec);
		}
		if (hlen >= sizeof(host) || memchr(spec, ':', hlen) != NULL) {
			return tk_err_set(err, TK_USAGE, "listen",
			    "bad listen address '%s' (IPv6 needs "
			    "[ADDR]:PORT)", spec);
		}
		memcpy(host, spec, hlen);
		host[hlen] = '\0';
	}
	{
		const char *ps = colon + 1;
		unsigned long v = 0;

		if (*ps == '\0' || strlen(ps) > 5) {
			return tk_err_set(err, TK_USAGE, "listen",
			    "bad port in listen address '%s'", spec);
		}
		for (; *ps != '\0'; ps++) {
			if (!isdigit((unsigned char)*ps)) {
				return tk_err_set(err, TK_USAGE, "listen",
				    "bad port in listen address '%s'", spec);
			}
			v = v * 10 + (unsigned long)(*ps - '0');
		}
		if (v > 65535) {
			return tk_err_set(err, TK_USAGE, "listen",
			    "port out of range in listen address '%s'", spec);
		}
		port = (uint16_t)v;
	}
	if (host[0] == '\0' || strcmp(host, "*") == 0) {
		literal_addr("0.0.0.0", port, &want[nwant++]);
		literal_addr("::", port, &want[nwant++]);
	} else if (strcmp(host, "localhost") == 0) {
		literal_addr("127.0.0.1", port, &want[nwant++]);
		literal_addr("::1", port, &want[nwant++]);
	} else if (literal_addr(host, port, &want[0])) {
		nwant = 1;
	} else {
		return tk_err_set(err, TK_USAGE, "listen",
		    "listen address '%s' must be an IP address, '*' or "
		    "'localhost'", spec);
	}
	for (int i = 0; i < nwant && n < max; i++) {
		struct tk_addr *b = &bound[n];

		/* one port for both families when 0 was asked */
		if (i > 0 && port == 0 && n > 0) {
			struct sockaddr_in *p4 = (void *)&bound[0].ss;
			struct sockaddr_in6 *p6 = (void *)&want[i].ss;

			p6->sin6_port = p4->sin_port;
		}
		if (listen_one(&want[i], backlog, &fds[n], b, spec, err) < 0) {
			for (int k = 0; k < n; k++) {
				close(fds[k]);
			}
			return -1;
		}
		n++;
	}
	return n;
}
