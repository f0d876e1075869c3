#include "server.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "escape.h"
#include "starttls.h"
#include "starttls_srv.h"
#include "stream.h"

#include "banned.h"

#define ECHO_CAP (64u << 10)  /* echo bytes held per client at most */
#define ACCEPT_BURST 64
#define EMFILE_PAUSE_MS 100
#define WORKERS_MAX 1024
#define FD_RESERVE 64        /* stdio, listeners, epoll, signalfd, files */
#define DRAIN_MS 500         /* lingering close after a failed handshake */
#define DRAIN_MAX (64u << 10)
#define HTTP_REPLY_MAX 4096  /* the --http reply, head and body */

/*
 * With --dh-params the group given is served: GnuTLS otherwise serves the
 * first RFC 7919 group of its priorities (ffdhe2048) even to a client that
 * offered none.  So a client that offered no ffdhe group gets these
 * priorities, without them, set from the ClientHello hook; a client that
 * offered one still negotiates it (RFC 7919 4).
 */
static const char DH_PRIORITY[] = ":-GROUP-FFDHE2048:-GROUP-FFDHE3072:"
    "-GROUP-FFDHE4096:-GROUP-FFDHE6144:-GROUP-FFDHE8192";

/*
 * C_PLAIN: the plaintext phase (--starttls); C_DIALOGUE: the smtp, imap or
 * pop3 dialogue going on inside TLS, in place of the echo; C_HTTP: the
 * --http request read, then its reply.
 */
enum cstate {
	C_PLAIN, C_HANDSHAKE, C_ECHO, C_DIALOGUE, C_HTTP, C_CLOSING, C_DRAIN
};

struct client {
	struct tk_server *srv;
	struct client *prev, *next;
	int fd;
	enum cstate state;
	struct tk_tls *tls;
	struct tk_stream *st;        /* from the handshake's end */
	struct tk_linebuf *lb;       /* the --starttls dialogue only */
	struct tk_starttls_srv *ss;  /* the --starttls dialogue */
	bool close_after;            /* QUIT or LOGOUT: close once replied */
	char *out;                   /* a dialogue reply going out */
	size_t ooff, olen;
	struct tk_timer timer;       /* handshake, then idle deadline */
	uint64_t t0_ms, bytes_in, bytes_out;
	uint64_t tls_ms, handshake_ms;  /* the handshake's start, length */
	struct tk_hello hello;          /* from the ClientHello hook */
	size_t injected;
	char peer[TK_ADDRSTR_MAX];
	char client_subject[512];
	bool client_cert, client_verified;
	char client_reasons[512];
	struct tk_err err;
};

struct tk_server {
	struct tk_server_conf conf;
	struct tk_loop *loop;
	struct tk_creds *creds;       /* new sessions take a reference */
	gnutls_priority_t prio;       /* conf.priority parsed once, or NULL */
	gnutls_priority_t prio_dh;    /* with DH_PRIORITY (--dh-params) */
	bool accepting;
	struct tk_timer resume;       /* accept again after EMFILE */
	struct client *clients;
	size_t nclients;
	uint64_t served;
	enum tk_class once_outcome;
	bool once_done;
};

static void client_io(struct client *c);

static void
client_free(struct client *c)
{
	struct tk_server *srv = c->srv;
	struct tk_server_client_info info;

	memset(&info, 0, sizeof(info));
	info.peer = c->peer;
	if (c->tls != NULL && tk_tls_handshake_done(c->tls)) {
		gnutls_session_t s = tk_tls_session(c->tls);

		info.tls_done = true;
		tk_tls_info(c->tls, &info.tls);
		info.handshake_ms = c->handshake_ms;
		if (info.tls.group[0] == '\0' &&
		    strncmp(info.tls.kx, "DHE", 3) == 0 &&
		    gnutls_dh_get_prime_bits(s) > 0) {
			snprintf(info.tls.group, sizeof(info.tls.group),
			    "DHE-%d", gnutls_dh_get_prime_bits(s));
		}
	}
	if (c->hello.seen) {
		info.hello = &c->hello;
	}
	info.client_cert = c->client_cert;
	info.client_verified = c->client_verified;
	info.client_subject = c->client_subject;
	info.bytes_in = c->bytes_in;
	if (c->st != NULL) {
		size_t held;

		/* read, not yet echoed or taken into a line */
		(void)tk_stream_data(c->st, &held);
		info.bytes_in += held;
	}
	info.bytes_out = c->bytes_out;
	info.duration_ms = tk_loop_now_ms() - c->t0_ms;
	info.injected = c->injected;
	info.err = &c->err;
	srv->conf.on_client(&info, srv->conf.arg);
	if (srv->conf.once && !srv->once_done) {
		srv->once_done = true;
		srv->once_outcome = c->err.cls;
		tk_loop_stop(srv->loop);
	}
	tk_loop_timer_stop(srv->loop, &c->timer);
	tk_stream_free(c->st);
	tk_loop_unwatch(srv->loop, c->fd);
	close(c->fd);
	tk_tls_free(c->tls);
	tk_starttls_srv_free(c->ss);
	free(c->lb);
	free(c->out);
	if (c->prev != NULL) {
		c->prev->next = c->next;
	} else {
		srv->clients = c->next;
	}
	if (c->next != NULL) {
		c->next->prev = c->prev;
	}
	srv->nclients--;
	free(c);
}

static void
client_fail(struct client *c, const struct tk_err *e)
{
	if (e != NULL && !tk_err_is_set(&c->err)) {
		c->err = *e;
	}
	client_free(c);
}

static void
on_client_fd(struct tk_loop *loop, int fd, unsigned events, void *arg)
{
	(void)loop;
	(void)fd;
	(void)events;
	client_io(arg);
}

static void
on_client_timer(struct tk_loop *loop, void *arg)
{
	struct client *c = arg;
	const struct tk_server_conf *cf = &c->srv->conf;

	(void)loop;
	if (c->state == C_HTTP) {
		tk_err_set(&c->err, TK_NET, "http",
		    "no complete request within %.3g s "
		    "(--handshake-timeout)", cf->handshake_timeout);
	} else if (c->state == C_ECHO || c->state == C_DIALOGUE) {
		tk_err_set(&c->err, TK_NET, "idle",
		    "no data for %.3g s (--idle-timeout)", cf->idle_timeout);
	} else if (c->state == C_PLAIN) {
		tk_err_set(&c->err, TK_NET, "plaintext",
		    "no STARTTLS handshake within %.3g s "
		    "(--handshake-timeout)", cf->handshake_timeout);
	} else if (c->state == C_CLOSING || c->state == C_DRAIN) {
		/* the peer did not take our close_notify in time: done */
	} else {
		tk_err_set(&c->err, TK_TLS, "handshake",
		    "not finished within %.3g s (--handshake-timeout)",
		    cf->handshake_timeout);
	}
	client_free(c);
}

static void
idle_restart(struct client *c)
{
	tk_loop_timer_start(c->srv->loop, &c->timer,
	    (uint64_t)(c->srv->conf.idle_timeout * 1000));
}

/* The buffer of dialogue replies, allocated while the dialogue runs. */
static int
ensure_out(struct client *c)
{
	if (c->out == NULL) {
		c->out = malloc(TK_STARTTLS_SRV_REPLY_MAX);
		if (c->out == NULL) {
			return tk_err_set(&c->err, TK_INTERNAL, "echo",
			    "out of memory");
		}
		c->ooff = c->olen = 0;
	}
	return 0;
}

/*
 * The client's chain, judged by the one verification engine
 * (lib/certcheck.c) for the clientAuth purpose, no name: the same
 * findings and verdict a client tool would give.  Fills the client's
 * verdict fields; returns non-zero when the chain fails.
 */
static int
judge_client(struct client *c, gnutls_session_t s)
{
	struct tk_server *srv = c->srv;
	struct tk_certcheck_opts co = *srv->conf.check;
	gnutls_x509_trust_list_t trust = NULL;
	struct tk_chain chain;
	struct tk_verdict v;
	struct tk_findings *f;
	struct tk_ocsp_info ocsp;
	struct tk_err e;
	int bad = 1;

	if (c->client_cert) {
		return c->client_verified ? 0 : 1;   /* judged already */
	}
	f = calloc(1, sizeof(*f));
	if (f == NULL) {
		snprintf(c->client_reasons, sizeof(c->client_reasons),
		    "out of memory");
		return 1;
	}
	tk_err_clear(&e);
	co.hostname = NULL;
	co.anchor_private = tk_creds_anchor_private;
	co.anchor_arg = srv->creds;
	gnutls_certificate_get_trust_list(tk_creds_gnutls(srv->creds), &trust);
	if (tk_certcheck_session(s, trust, &co, &chain, &v, f, &ocsp,
	    &e) < 0) {
		snprintf(c->client_reasons, sizeof(c->client_reasons), "%s",
		    e.msg);
		free(f);
		return 1;
	}
	c->client_cert = true;
	if (chain.n > 0) {
		snprintf(c->client_subject, sizeof(c->client_subject), "%s",
		    chain.certs[0].subject);
	}
	c->client_verified = tk_findings_class(f) != TK_CHECK;
	tk_findings_summary(f, TK_SEV_FAIL, c->client_reasons,
	    sizeof(c->client_reasons));
	bad = c->client_verified ? 0 : 1;
	tk_chain_clear(&chain);
	free(f);
	return bad;
}

/* tk_tls's in-handshake hook (--require-client-cert). */
static int
verify_client(gnutls_session_t s, void *arg)
{
	return judge_client(arg, s);
}

/* tk_tls's ClientHello hook: what the client offered, for the log. */
static void
on_hello(const unsigned char *msg, size_t len, void *arg)
{
	struct client *c = arg;
	bool ffdhe = false;

	(void)tk_hello_parse(&c->hello, msg, len);
	if (c->srv->prio_dh == NULL) {
		return;
	}
	for (size_t i = 0; i < c->hello.ngroups; i++) {
		ffdhe = ffdhe || (c->hello.groups[i] >= 256 &&
		    c->hello.groups[i] <= 511);   /* RFC 7919 range */
	}
	if (!ffdhe) {
		/* read before GnuTLS reads the hello: the file's group */
		gnutls_priority_set(tk_tls_session(c->tls), c->srv->prio_dh);
	}
}

static void
start_tls(struct client *c)
{
	struct tk_server *srv = c->srv;
	struct tk_tls_conf tc = {0};

	tc.server = true;
	tc.priority = srv->conf.priority;
	tc.priority_cache = srv->prio;
	tc.alpn = srv->conf.alpn;
	tc.alpn_mandatory = !srv->conf.alpn_optional;
	tc.client_cert = srv->conf.client_cert;
	tc.verify_peer = verify_client;
	tc.verify_arg = c;
	tc.client_hello = on_hello;
	tc.client_hello_arg = c;
	c->tls = tk_tls_new(c->fd, &tc, srv->creds, &c->err);
	c->tls_ms = tk_loop_now_ms();
	c->state = C_HANDSHAKE;
}

/*
 * The plaintext phase of --starttls: the greeting, then one line at a time
 * answered by the dialogue (lib/starttls_srv.c); the next line is read
 * only once the reply is out.  On STARTTLS the go-ahead goes out, then the
 * handshake starts.
 */
static void
plain_io(struct client *c)
{
	char line[TK_LINE_MAX + 1];
	ssize_t n;
	size_t rlen;
	int next;

	for (int round = 0; round < 64; round++) {
		if (c->olen > c->ooff) {
			n = write(c->fd, c->out + c->ooff, c->olen - c->ooff);
			if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
				tk_loop_rewatch(c->srv->loop, c->fd, TK_WRITE);
				return;
			}
			if (n < 0) {
				tk_err_sys(&c->err, TK_NET, "plaintext",
				    "write failed");
				client_free(c);
				return;
			}
			c->ooff += (size_t)n;
			c->bytes_out += (uint64_t)n;
			if (c->ooff < c->olen) {
				continue;
			}
			c->ooff = c->olen = 0;
			if (c->close_after) {
				client_free(c);
				return;
			}
			if (c->state == C_HANDSHAKE) {
				/* the go-ahead is out: now TLS */
				client_io(c);
				return;
			}
		}
		n = tk_linebuf_next(c->lb, line, sizeof(line), "plaintext",
		    &c->err);
		if (n < 0) {
			client_free(c);
			return;
		}
		if (n == 0) {
			n = tk_linebuf_fill(c->lb, c->fd, "plaintext",
			    &c->err);
			if (n == TK_WANT_READ) {
				tk_loop_rewatch(c->srv->loop, c->fd, TK_READ);
				return;
			}
			if (n <= 0) {
				if (n == 0) {
					tk_err_set(&c->err, TK_NET,
					    "plaintext", "the client closed "
					    "the connection before STARTTLS");
				}
				client_free(c);
				return;
			}
			c->bytes_in += (uint64_t)n;
			continue;
		}
		if (ensure_out(c) < 0) {
			client_free(c);
			return;
		}
		/* the buffer is empty here: the last reply went out */
		next = tk_starttls_srv_line(c->ss, line, c->out,
		    TK_STARTTLS_SRV_REPLY_MAX, &rlen, &c->err);
		if (next < 0) {
			client_free(c);
			return;
		}
		c->ooff = 0;
		c->olen = rlen;
		if (next == TK_STARTTLS_SRV_CLOSE) {
			c->close_after = true;
		} else if (next == TK_STARTTLS_SRV_STARTTLS) {
			/*
			 * Bytes already buffered after the STARTTLS line were
			 * sent before our go-ahead: plaintext injection
			 * (CVE-2011-0411).  They never reach TLS: the line
			 * reader starts again, empty, inside TLS.
			 */
			c->injected = c->lb->len;
			tk_linebuf_init(c->lb);
			start_tls(c);
			if (c->tls == NULL) {
				client_free(c);
				return;
			}
		}
	}
	tk_loop_rewatch(c->srv->loop, c->fd, TK_READ | TK_WRITE);
}

/* Starts our close_notify; the client ends once it is out. */
static void
begin_close(struct client *c)
{
	int rc;

	c->state = C_CLOSING;
	rc = tk_stream_shutdown(c->st);
	if (rc != TK_WANT_READ && rc != TK_WANT_WRITE) {
		client_free(c);
	}
}

/*
 * Writes what is left of c->out to the stream, each write restarting the
 * idle timer: 1 when all is written, 0 when the stream will call back,
 * -1 when the client failed (and is being closed).
 */
static int
flush_out(struct client *c)
{
	while (c->olen > c->ooff) {
		ssize_t n = tk_stream_write(c->st, c->out + c->ooff,
		    c->olen - c->ooff);

		if (n == TK_WANT_WRITE || n == TK_WANT_READ) {
			return 0;   /* the stream calls back */
		}
		if (n < 0) {
			client_fail(c, tk_stream_error(c->st));
			return -1;
		}
		c->ooff += (size_t)n;
		c->bytes_out += (uint64_t)n;
		idle_restart(c);
	}
	return 1;
}

/*
 * The smtp, imap or pop3 dialogue inside TLS: lines from the stream into
 * the same capped line reader (a fresh one: nothing from the plaintext
 * phase), each answered before the next is taken, under --idle-timeout.
 */
static void
dialogue(struct client *c)
{
	char line[TK_LINE_MAX + 1];
	const unsigned char *p;
	size_t rlen, len, k;
	ssize_t n;
	int next;

	for (;;) {
		if (flush_out(c) <= 0) {
			return;
		}
		c->ooff = c->olen = 0;
		if (c->close_after) {
			begin_close(c);
			return;
		}
		n = tk_linebuf_next(c->lb, line, sizeof(line), "dialogue",
		    &c->err);
		if (n < 0) {
			client_free(c);
			return;
		}
		if (n == 1) {
			next = tk_starttls_srv_line(c->ss, line, c->out,
			    TK_STARTTLS_SRV_REPLY_MAX, &rlen, &c->err);
			if (next < 0) {
				client_free(c);
				return;
			}
			c->olen = rlen;
			c->close_after = next == TK_STARTTLS_SRV_CLOSE;
			continue;
		}
		if (c->lb->total >= TK_DIALOGUE_MAX) {
			tk_err_set(&c->err, TK_NET, "dialogue",
			    "the client sent more than %u bytes",
			    (unsigned)TK_DIALOGUE_MAX);
			client_free(c);
			return;
		}
		p = tk_stream_data(c->st, &len);
		if (len > 0) {
			k = tk_linebuf_feed(c->lb, p, len);
			tk_stream_consume(c->st, k);
			c->bytes_in += k;
			idle_restart(c);
			continue;
		}
		if (tk_stream_error(c->st) != NULL) {
			client_fail(c, tk_stream_error(c->st));
		} else if (tk_stream_eof(c->st)) {
			/* the client left without QUIT: not an error */
			begin_close(c);
		}
		return;
	}
}

/*
 * The echo: what the stream holds goes back out of its own buffer, at
 * most ECHO_CAP held; while it is full the stream stops reading.
 */
static void
echo(struct client *c)
{
	const unsigned char *p;
	size_t len;
	ssize_t n;

	p = tk_stream_data(c->st, &len);
	if (len > 0) {
		idle_restart(c);
	}
	while (len > 0) {
		n = tk_stream_write(c->st, p, len);
		if (n == TK_WANT_WRITE || n == TK_WANT_READ) {
			return;   /* the stream calls back */
		}
		if (n < 0) {
			client_fail(c, tk_stream_error(c->st));
			return;
		}
		tk_stream_consume(c->st, (size_t)n);
		c->bytes_in += (uint64_t)n;
		c->bytes_out += (uint64_t)n;
		p = tk_stream_data(c->st, &len);
	}
	if (tk_stream_error(c->st) != NULL) {
		client_fail(c, tk_stream_error(c->st));
	} else if (tk_stream_eof(c->st)) {
		begin_close(c);
	}
}

/* The end of the request head in p[0..len), or NULL. */
static const unsigned char *
http_head_end(const unsigned char *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (p[i] == '\n' && p[i + 1] == '\n') {
			return p + i + 2;
		}
		if (i + 3 < len && memcmp(p + i, "\r\n\r\n", 4) == 0) {
			return p + i + 4;
		}
	}
	return NULL;
}

/* Appends a printf'd line to the reply body; cut at the buffer's end. */
static void __attribute__((format(printf, 3, 4)))
body_add(char *b, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off >= HTTP_REPLY_MAX) {
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(b + *off, HTTP_REPLY_MAX - *off, fmt, ap);
	va_end(ap);
	if (n > 0) {
		*off += (size_t)n;
		if (*off >= HTTP_REPLY_MAX) {
			*off = HTTP_REPLY_MAX - 1;
		}
	}
}

/*
 * The --http reply: 200 and a plain-text summary of the session, as
 * openssl s_server -www and gnutls-serv --http give; 400 or 431 for a
 * request we cannot take.  HEAD gets the head alone.
 */
static size_t
http_reply(struct client *c, const unsigned char *req, size_t len,
    int status, char *out)
{
	struct tk_tls_info ti;
	char body[HTTP_REPLY_MAX], esc[1024], line[512];
	const struct tk_hello *h = &c->hello;
	size_t b = 0, rl = 0;
	const uint16_t *ids;
	size_t nv;
	int n;

	while (rl < len && rl < sizeof(line) - 1 && req[rl] != '\r' &&
	    req[rl] != '\n') {
		rl++;
	}
	memcpy(line, req, rl);
	line[rl] = '\0';
	tk_tls_info(c->tls, &ti);
	if (status == 200) {
		body_add(body, &b, "tls-echo-server: your TLS session\n");
		body_add(body, &b, "version: %s\n", ti.version);
		body_add(body, &b, "cipher: %s\n", ti.cipher);
		body_add(body, &b, "kx: %s\n", ti.kx);
		if (ti.group[0] == '\0' && strncmp(ti.kx, "DHE", 3) == 0) {
			snprintf(ti.group, sizeof(ti.group), "DHE-%d",
			    gnutls_dh_get_prime_bits(tk_tls_session(c->tls)));
		}
		body_add(body, &b, "group: %s\n", ti.group[0] ? ti.group :
		    "none");
		tk_escape(ti.alpn, strlen(ti.alpn), esc, sizeof(esc));
		body_add(body, &b, "alpn: %s\n", ti.alpn_negotiated ? esc :
		    "none");
		tk_escape(h->sni, h->sni_len, esc, sizeof(esc));
		body_add(body, &b, "sni: %s\n", h->sni_present ? esc : "none");
		tk_hello_alpn_text(h, esc, sizeof(esc));
		body_add(body, &b, "offered alpn: %s\n", esc);
		nv = tk_hello_versions(h, &ids);
		body_add(body, &b, "offered versions:");
		for (size_t i = 0; i < nv; i++) {
			char hex[16];

			body_add(body, &b, "%s%s", i ? "," : " ",
			    tk_hello_version_name(ids[i], hex, sizeof(hex)));
		}
		body_add(body, &b, "%s\n", nv ? "" : " none");
		if (c->client_cert) {
			tk_escape(c->client_subject, strlen(c->client_subject),
			    esc, sizeof(esc));
			body_add(body, &b, "client certificate: %s (%s)\n",
			    esc, c->client_verified ? "verified" :
			    "untrusted");
		} else {
			body_add(body, &b, "client certificate: none\n");
		}
		tk_escape(line, rl, esc, sizeof(esc));
		body_add(body, &b, "request: %s\n", esc);
	} else {
		body_add(body, &b, "%s\n", status == 431 ?
		    "request head too large" : "bad request");
	}
	n = snprintf(out, HTTP_REPLY_MAX + 256, "HTTP/1.1 %d %s\r\n"
	    "Content-Type: text/plain; charset=us-ascii\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n\r\n", status,
	    status == 200 ? "OK" : status == 431 ?
	    "Request Header Fields Too Large" : "Bad Request", b);
	if (n < 0) {
		return 0;
	}
	if (strncmp(line, "HEAD ", 5) != 0) {
		memcpy(out + n, body, b);
		n += (int)b;
	}
	return (size_t)n;
}

/*
 * --http: the request head is read from the stream (at most
 * TK_SERVER_HTTP_MAX bytes, the stream's whole buffer), answered once,
 * then the connection closes.
 */
static void
http_io(struct client *c)
{
	const unsigned char *p, *end;
	size_t len;
	int status = 0;

	if (c->out == NULL) {
		p = tk_stream_data(c->st, &len);
		end = http_head_end(p, len);
		if (end != NULL) {
			status = 200;
			len = (size_t)(end - p);
		} else if (len >= TK_SERVER_HTTP_MAX) {
			status = 431;
		} else if (len > 0 && (memchr(p, '\0', len) != NULL)) {
			status = 400;
		}
		if (status == 0) {
			if (tk_stream_error(c->st) != NULL) {
				client_fail(c, tk_stream_error(c->st));
			} else if (tk_stream_eof(c->st)) {
				tk_err_set(&c->err, TK_NET, "http", "the "
				    "client closed before a whole request");
				begin_close(c);
			}
			return;
		}
		c->out = malloc(HTTP_REPLY_MAX + 256);
		if (c->out == NULL) {
			tk_err_set(&c->err, TK_INTERNAL, "http",
			    "out of memory");
			client_free(c);
			return;
		}
		c->olen = http_reply(c, p, len, status, c->out);
		c->ooff = 0;
		tk_stream_consume(c->st, len);
		c->bytes_in += len;
		if (status != 200) {
			tk_err_set(&c->err, TK_NET, "http", "%s", status == 431 ?
			    "the request head is over 8192 bytes" :
			    "not an HTTP request");
		}
	}
	if (flush_out(c) > 0) {
		begin_close(c);
	}
}

static void
on_stream(struct tk_stream *st, void *arg)
{
	struct client *c = arg;

	(void)st;
	switch (c->state) {
	case C_ECHO:
		echo(c);
		return;
	case C_DIALOGUE:
		dialogue(c);
		return;
	case C_HTTP:
		http_io(c);
		return;
	case C_CLOSING:
		if (tk_stream_closed(c->st) || tk_stream_error(c->st) != NULL) {
			client_free(c);
		}
		return;
	case C_PLAIN:
	case C_HANDSHAKE:
	case C_DRAIN:
		return;
	}
}

static void
after_handshake(struct client *c)
{
	struct tk_server *srv = c->srv;
	gnutls_session_t s = tk_tls_session(c->tls);

	c->handshake_ms = tk_loop_now_ms() - c->tls_ms;
	c->state = C_ECHO;
	if (c->ss != NULL && tk_starttls_srv_in_tls(c->ss)) {
		tk_starttls_srv_tls_up(c->ss);
		c->state = C_DIALOGUE;
	} else {
		free(c->lb);
		c->lb = NULL;
		free(c->out);
		c->out = NULL;
		c->ooff = c->olen = 0;
		if (srv->conf.http) {
			c->state = C_HTTP;
		}
	}
	if (c->state == C_HTTP) {
		/* the whole request head within --handshake-timeout */
		tk_loop_timer_start(srv->loop, &c->timer,
		    (uint64_t)(srv->conf.handshake_timeout * 1000));
	} else {
		idle_restart(c);
	}
	if (srv->conf.client_cert != TK_CLIENT_CERT_IGNORE &&
	    gnutls_certificate_get_peers(s, &(unsigned){0}) != NULL) {
		judge_client(c, s);
	}
	c->st = tk_stream_new(srv->loop, c->tls, c->fd,
	    c->state == C_ECHO ? ECHO_CAP : c->state == C_HTTP ?
	    TK_SERVER_HTTP_MAX : TK_STARTTLS_SRV_REPLY_MAX,
	    on_stream, c, &c->err);
	if (c->st == NULL || (c->state == C_DIALOGUE && ensure_out(c) < 0)) {
		client_free(c);
	}
}

/*
 * GnuTLS refuses a server name with a byte other than a letter, a digit,
 * '-' or '.' ("_dmarc.example") with illegal_parameter, in its own
 * extension parser, which no API replaces (lib/ext/server_name.c): say
 * so, naming the name.  The name goes into the message as the client sent
 * it (up to a NUL; the log's sni field has it whole): the tool escapes the
 * message, text and JSON each its own way, so escaping it here too would
 * show a control byte as "\\x1B" in text and as the text "\x1B" in JSON.
 */
static void
explain_refused_sni(struct client *c)
{
	const struct tk_hello *h = &c->hello;

	if (!h->sni_present || strstr(c->err.msg, gnutls_strerror(
	    GNUTLS_E_RECEIVED_DISALLOWED_NAME)) == NULL) {
		return;
	}
	tk_err_reset(&c->err, TK_TLS, "handshake", "GnuTLS refuses the "
	    "client's server name '%.*s' (only letters, digits, '-' and '.' "
	    "pass its check) with illegal_parameter", (int)h->sni_len,
	    h->sni);
}

/* A handshake the client's chain failed: say why, from the engine. */
static void
explain_refused_cert(struct client *c)
{
	if (!c->client_cert || c->client_verified) {
		return;
	}
	tk_err_reset(&c->err, TK_TLS, "handshake",
	    "client certificate refused: %s", c->client_reasons);
}

/*
 * Lingering close: closing a socket with unread input sends a TCP reset,
 * and a reset can destroy the alert we just sent before the client reads
 * it.  So half-close, read and discard (bounded), then close.
 */
static void
drain(struct client *c)
{
	char sink[4096];

	for (;;) {
		ssize_t n = read(c->fd, sink, sizeof(sink));

		if (n > 0 && c->bytes_in < DRAIN_MAX) {
			c->bytes_in += (uint64_t)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			tk_loop_rewatch(c->srv->loop, c->fd, TK_READ);
			return;
		}
		client_free(c);
		return;
	}
}

static void
client_io(struct client *c)
{
	int rc;

	switch (c->state) {
	case C_PLAIN:
		plain_io(c);
		return;
	case C_HANDSHAKE:
		if (c->olen > c->ooff) {
			/* READY still going out in plaintext */
			plain_io(c);
			return;
		}
		rc = tk_tls_handshake(c->tls);
		if (rc == TK_WANT_READ || rc == TK_WANT_WRITE) {
			tk_loop_rewatch(c->srv->loop, c->fd,
			    rc == TK_WANT_READ ? TK_READ : TK_WRITE);
			return;
		}
		if (rc < 0) {
			c->err = *tk_tls_error(c->tls);
			explain_refused_cert(c);
			explain_refused_sni(c);
			c->state = C_DRAIN;
			shutdown(c->fd, SHUT_WR);
			tk_loop_timer_start(c->srv->loop, &c->timer, DRAIN_MS);
			drain(c);
			return;
		}
		after_handshake(c);
		return;
	case C_DRAIN:
		drain(c);
		return;
	case C_ECHO:
	case C_DIALOGUE:
	case C_HTTP:
	case C_CLOSING:
		/* the stream has the fd */
		return;
	}
}

static void
add_client(struct tk_server *srv, int fd, const struct tk_addr *peer)
{
	struct client *c = calloc(1, sizeof(*c));
	const char *greeting;

	if (c == NULL) {
		close(fd);
		return;
	}
	c->srv = srv;
	c->fd = fd;
	c->t0_ms = tk_loop_now_ms();
	tk_err_clear(&c->err);
	tk_sockaddr_str((const struct sockaddr *)&peer->ss, c->peer,
	    sizeof(c->peer));
	tk_timer_init(&c->timer, on_client_timer, c);
	c->next = srv->clients;
	if (c->next != NULL) {
		c->next->prev = c;
	}
	srv->clients = c;
	srv->nclients++;
	srv->served++;
	tk_loop_timer_start(srv->loop, &c->timer,
	    (uint64_t)(srv->conf.handshake_timeout * 1000));
	if (tk_loop_watch(srv->loop, fd, TK_READ, on_client_fd, c,
	    &c->err) < 0) {
		client_free(c);
		return;
	}
	if (srv->conf.starttls == NULL) {
		start_tls(c);
		if (c->tls == NULL) {
			client_free(c);
		}
		return;
	}
	c->state = C_PLAIN;
	c->lb = malloc(sizeof(*c->lb));
	if (c->lb == NULL) {
		tk_err_set(&c->err, TK_INTERNAL, "accept", "out of memory");
		client_free(c);
		return;
	}
	tk_linebuf_init(c->lb);
	c->ss = tk_starttls_srv_new(srv->conf.starttls, NULL, &c->err);
	if (c->ss == NULL || ensure_out(c) < 0) {
		client_free(c);
		return;
	}
	greeting = tk_starttls_srv_greeting(c->ss);
	if (greeting[0] != '\0') {
		c->olen = strlen(greeting);
		memcpy(c->out, greeting, c->olen);
		tk_loop_rewatch(srv->loop, fd, TK_WRITE);
	}
}

static void
set_accepting(struct tk_server *srv, bool on)
{
	srv->accepting = on;
	for (int i = 0; i < srv->conf.nl; i++) {
		tk_loop_rewatch(srv->loop, srv->conf.lfds[i],
		    on ? TK_READ : 0);
	}
}

static void
on_accept(struct tk_loop *loop, int lfd, unsigned events, void *arg)
{
	struct tk_server *srv = arg;

	(void)loop;
	(void)events;
	for (int i = 0; i < ACCEPT_BURST && srv->accepting; i++) {
		struct tk_addr peer;
		int one = 1;
		int fd;

		peer.len = sizeof(peer.ss);
		fd = accept4(lfd, (struct sockaddr *)&peer.ss, &peer.len,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				/* out of descriptors: pause, keep serving */
				if (srv->conf.on_pause != NULL) {
					srv->conf.on_pause(errno,
					    srv->conf.arg);
				}
				set_accepting(srv, false);
				tk_loop_timer_start(srv->loop, &srv->resume,
				    EMFILE_PAUSE_MS);
			}
			return;
		}
		if (srv->nclients >= srv->conf.max_connections ||
		    (srv->conf.once && srv->served > 0)) {
			close(fd);
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		add_client(srv, fd, &peer);
	}
}

static void
on_resume(struct tk_loop *loop, void *arg)
{
	(void)loop;
	set_accepting(arg, true);
}

struct tk_server *
tk_server_new(struct tk_loop *loop, const struct tk_server_conf *conf,
    struct tk_creds *creds, struct tk_err *err)
{
	struct tk_server *srv = calloc(1, sizeof(*srv));

	if (srv == NULL) {
		tk_err_set(err, TK_INTERNAL, "listen", "out of memory");
		return NULL;
	}
	srv->conf = *conf;
	srv->loop = loop;
	srv->creds = tk_creds_ref(creds);
	/*
	 * Parsed once for every session: gnutls_priority_set_direct() per
	 * accept cost each idle connection 8 KiB of heap.  On failure the
	 * sessions parse it themselves and report the error.
	 */
	if (gnutls_priority_init(&srv->prio, conf->priority, NULL) < 0) {
		srv->prio = NULL;
	}
	if (srv->prio != NULL && tk_creds_dh_bits(creds) > 0) {
		char dhp[1024];
		int n = snprintf(dhp, sizeof(dhp), "%s%s", conf->priority !=
		    NULL ? conf->priority : "NORMAL", DH_PRIORITY);

		if (n < 0 || (size_t)n >= sizeof(dhp) ||
		    gnutls_priority_init(&srv->prio_dh, dhp, NULL) < 0) {
			srv->prio_dh = NULL;   /* ffdhe2048 it is, then */
		}
	}
	tk_timer_init(&srv->resume, on_resume, srv);
	for (int i = 0; i < conf->nl; i++) {
		if (tk_loop_watch(loop, conf->lfds[i], TK_READ, on_accept,
		    srv, err) < 0) {
			tk_server_free(srv);
			return NULL;
		}
	}
	srv->accepting = true;
	return srv;
}

void
tk_server_free(struct tk_server *srv)
{
	if (srv == NULL) {
		return;
	}
	while (srv->clients != NULL) {
		if (!tk_err_is_set(&srv->clients->err)) {
			tk_err_set(&srv->clients->err, TK_NET, "stop",
			    "server stopped");
		}
		client_free(srv->clients);
	}
	tk_loop_timer_stop(srv->loop, &srv->resume);
	for (int i = 0; i < srv->conf.nl; i++) {
		tk_loop_unwatch(srv->loop, srv->conf.lfds[i]);
	}
	if (srv->prio != NULL) {
		gnutls_priority_deinit(srv->prio);
	}
	if (srv->prio_dh != NULL) {
		gnutls_priority_deinit(srv->prio_dh);
	}
	tk_creds_unref(srv->creds);
	free(srv);
}

void
tk_server_set_creds(struct tk_server *srv, struct tk_creds *creds)
{
	struct tk_creds *old = srv->creds;

	srv->creds = tk_creds_ref(creds);
	tk_creds_unref(old);
}

void
tk_server_bye_all(struct tk_server *srv)
{
	for (struct client *c = srv->clients; c != NULL; c = c->next) {
		if (c->tls != NULL && tk_tls_handshake_done(c->tls)) {
			tk_tls_bye(c->tls, false);
		}
	}
}

bool
tk_server_once_done(const struct tk_server *srv, enum tk_class *cls)
{
	if (srv->once_done) {
		*cls = srv->once_outcome;
	}
	return srv->once_done;
}

/*
 * --max-connections is a promise only if the process may open that many
 * descriptors: the soft RLIMIT_NOFILE is often 1024 while the hard one is
 * far higher, and a server left at 1024 stops accepting (EMFILE) near 1000
 * clients whatever --max-connections says.  Raise the soft limit to what
 * the option needs, up to the hard limit (never the hard limit itself),
 * and say so when even the hard limit is too low.  Each worker is its own
 * process with its own --max-connections clients, so the need is per
 * process.
 */
void
tk_server_raise_fd_limit(uint64_t max_connections, const char *prog,
    FILE *log)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)max_connections + FD_RESERVE;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= need) {
		return;
	}
	rl.rlim_cur = rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need ?
	    rl.rlim_max : need;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur < need) {
		getrlimit(RLIMIT_NOFILE, &rl);
		fprintf(log, "%s: warning: open-file limit %llu; about "
		    "%llu clients at once, not --max-connections %llu\n", prog,
		    (unsigned long long)rl.rlim_cur,
		    rl.rlim_cur > FD_RESERVE ?
		    (unsigned long long)(rl.rlim_cur - FD_RESERVE) : 0ULL,
		    (unsigned long long)max_connections);
	}
}

/*
 * The supervisor of --workers: it only waits for signals.  SIGINT, SIGTERM
 * and SIGHUP go to every live worker; a worker that ends when no stop was
 * asked for is logged and not replaced; the parent ends when the last
 * worker is gone, with 0 when each ended with 0, 70 when one was killed by
 * a signal, else the first non-zero status.
 */
static int
supervise(pid_t *pids, unsigned n, const sigset_t *set, const char *prog,
    FILE *log)
{
	unsigned live = n;
	bool stopping = false;
	int code = 0;

	while (live > 0) {
		siginfo_t si;
		int signo = sigwaitinfo(set, &si);

		if (signo < 0) {
			continue;  /* EINTR */
		}
		if (signo != SIGCHLD) {
			stopping = stopping || signo != SIGHUP;
			for (unsigned i = 0; i < n; i++) {
				if (pids[i] > 0) {
					kill(pids[i], signo);
				}
			}
			continue;
		}
		for (;;) {
			int st, wcode;
			pid_t p = waitpid(-1, &st, WNOHANG);
			unsigned i;

			if (p <= 0) {
				break;
			}
			for (i = 0; i < n && pids[i] != p; i++) {
			}
			if (i == n) {
				continue;
			}
			pids[i] = 0;
			live--;
			wcode = WIFEXITED(st) ? WEXITSTATUS(st) : 70;
			if (wcode != 0 && code == 0) {
				code = wcode;
			}
			if (WIFSIGNALED(st) && code != 70) {
				code = 70;
			}
			if (WIFSIGNALED(st) || wcode != 0 || !stopping) {
				char how[64];

				if (WIFSIGNALED(st)) {
					snprintf(how, sizeof(how),
					    "killed by signal %d",
					    WTERMSIG(st));
				} else {
					snprintf(how, sizeof(how),
					    "exited with status %d", wcode);
				}
				fprintf(log, "%s: worker %u (pid %ld) %s; "
				    "%u of %u left, not restarted\n", prog,
				    i + 1, (long)p, how, live, n);
			}
		}
	}
	return code;
}

/*
 * The children inherit the credentials and the shared listeners (one
 * accept queue per address: an idle worker takes the next connection, and
 * a worker that dies strands none).  Each builds its own epoll loop and
 * signalfd after the fork.
 */
int
tk_server_workers(unsigned n, int (*serve)(void *arg, pid_t pid),
    void *arg, bool quiet, const char *prog, FILE *log)
{
	static pid_t pids[WORKERS_MAX];
	pid_t parent = getpid();
	sigset_t set, old;

	if (n > WORKERS_MAX) {
		n = WORKERS_MAX;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	/* blocked before the fork: a signal early in a worker waits for its
	 * signalfd instead of killing it */
	sigprocmask(SIG_BLOCK, &set, &old);
	for (unsigned i = 0; i < n; i++) {
		pid_t p = fork();

		if (p < 0) {
			fprintf(log, "%s: cannot start worker %u: %s\n",
			    prog, i + 1, strerror(errno));
			for (unsigned k = 0; k < i; k++) {
				kill(pids[k], SIGTERM);
			}
			n = i;
			if (n == 0) {
				return 70;
			}
			break;
		}
		if (p == 0) {
			int code;
			sigset_t chld;

			sigemptyset(&chld);
			sigaddset(&chld, SIGCHLD);
			sigprocmask(SIG_UNBLOCK, &chld, NULL);
			/* never outlive the supervisor */
			prctl(PR_SET_PDEATHSIG, SIGTERM);
			if (getppid() != parent) {
				_exit(0);
			}
			code = serve(arg, getpid());
			fflush(stdout);
			fflush(stderr);
			_exit(code);
		}
		pids[i] = p;
		if (!quiet) {
			fprintf(log, "%s: worker %u pid %ld\n", prog, i + 1,
			    (long)p);
		}
	}
	return supervise(pids, n, &set, prog, log);
}
