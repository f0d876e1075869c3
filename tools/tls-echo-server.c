/*
 * tls-echo-server: a TLS echo server for testing clients.  Many clients on
 * one loop; echo with back-pressure; optional plaintext phase upgraded by
 * STARTTLS (the line protocol, or minimal smtp, imap and pop3 dialogues
 * from lib/starttls_srv.c, which go on inside TLS); client certificates;
 * ALPN; SIGHUP reloads credentials.  --workers N forks N workers after
 * the credentials are loaded and the listeners bound; each runs its own
 * loop on the shared listeners, and the parent only supervises.
 */
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <netinet/tcp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "certinfo.h"
#include "linebuf.h"
#include "listen.h"
#include "opts.h"
#include "report.h"
#include "starttls.h"
#include "starttls_srv.h"
#include "tls.h"
#include "verify.h"

#include "banned.h"

#define TOOL "tls-echo-server"
#define BUF_CAP (64u << 10)   /* echo bytes held per client at most */
#define ACCEPT_BURST 64
#define EMFILE_PAUSE_MS 100
#define WORKERS_MAX 1024
#define FD_RESERVE 64        /* stdio, listeners, epoll, signalfd, files */

/*
 * C_PLAIN: the plaintext phase (--starttls); C_DIALOGUE: the smtp, imap or
 * pop3 dialogue going on inside TLS, in place of the echo.
 */
enum cstate {
	C_PLAIN, C_HANDSHAKE, C_ECHO, C_DIALOGUE, C_CLOSING, C_DRAIN
};

#define DRAIN_MS 500       /* lingering close after a failed handshake */
#define DRAIN_MAX (64u << 10)

struct server;

struct client {
	struct server *srv;
	struct client *prev, *next;
	int fd;
	enum cstate state;
	struct tk_tls *tls;
	struct tk_linebuf *lb;       /* the --starttls dialogue only */
	struct tk_starttls_srv *ss;  /* the --starttls dialogue */
	bool close_after;            /* QUIT or LOGOUT: close once replied */
	unsigned char *buf;          /* allocated while bytes are held */
	size_t off, len;
	bool peer_closed;
	struct tk_timer timer;       /* handshake, then idle deadline */
	struct tk_timer pending;     /* records decrypted inside GnuTLS */
	uint64_t t0_ms, bytes_in, bytes_out;
	size_t injected;
	char peer[TK_ADDRSTR_MAX];
	char client_subject[512];
	bool client_cert, client_verified;
	char client_reasons[512];
	struct tk_err err;
};

struct server {
	struct tk_settings s;
	struct tk_derived d;
	struct tk_loop *loop;
	struct tk_creds *creds;       /* new sessions take a reference */
	gnutls_priority_t prio;       /* d.priority parsed once, or NULL */
	int lfds[TK_LISTEN_MAX * 2];
	int nl;
	bool accepting;
	struct tk_timer resume;       /* accept again after EMFILE */
	struct client *clients;
	size_t nclients;
	uint64_t served, refused;
	bool stopping;
	enum tk_class once_outcome;
	bool once_done;
	/* --workers */
	unsigned nworkers;
	pid_t pid;                    /* this process: the "worker" field */
	char prog[48];                /* TOOL, or TOOL[PID] in a worker */
};

static void client_io(struct client *c);

static void
log_connection(struct client *c)
{
	struct server *srv = c->srv;
	struct tk_tls_info info;
	bool ok = !tk_err_is_set(&c->err);
	uint64_t dur = tk_now_ms() - c->t0_ms;
	char esc[1024], sub[1100];

	memset(&info, 0, sizeof(info));
	if (c->tls != NULL && tk_tls_handshake_done(c->tls)) {
		tk_tls_info(c->tls, &info);
	}
	if (srv->s.json) {
		json_t *o = json_object();

		json_object_set_new(o, "event", json_string("connection"));
		if (srv->nworkers > 1) {
			json_object_set_new(o, "worker",
			    json_integer(srv->pid));
		}
		json_object_set_new(o, "peer", json_string(c->peer));
		json_object_set_new(o, "version", info.version[0] ?
		    json_string(info.version) : json_null());
		json_object_set_new(o, "cipher", info.cipher[0] ?
		    json_string(info.cipher) : json_null());
		json_object_set_new(o, "group", info.group[0] ?
		    json_string(info.group) : json_null());
		tk_escape(info.alpn, strlen(info.alpn), esc, sizeof(esc));
		json_object_set_new(o, "alpn", info.alpn_negotiated ?
		    json_string(esc) : json_null());
		tk_escape(c->client_subject, strlen(c->client_subject), esc,
		    sizeof(esc));
		json_object_set_new(o, "client_cert", c->client_cert ?
		    json_string(esc) : json_null());
		json_object_set_new(o, "client_cert_verified", c->client_cert ?
		    json_boolean(c->client_verified) : json_null());
		json_object_set_new(o, "bytes_in",
		    json_integer((json_int_t)c->bytes_in));
		json_object_set_new(o, "bytes_out",
		    json_integer((json_int_t)c->bytes_out));
		json_object_set_new(o, "outcome", json_string(ok ? "ok" :
		    tk_class_name(c->err.cls)));
		tk_escape(c->err.msg, strlen(c->err.msg), esc, sizeof(esc));
		json_object_set_new(o, "error", ok ? json_null() :
		    json_string(esc));
		json_object_set_new(o, "duration_ms",
		    json_integer((json_int_t)dur));
		json_dumpf(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
		fflush(stdout);
		json_decref(o);
		return;
	}
	if (srv->s.quiet && ok) {
		return;
	}
	sub[0] = '\0';
	if (c->client_cert) {
		tk_escape(c->client_subject, strlen(c->client_subject), esc,
		    sizeof(esc));
		snprintf(sub, sizeof(sub), " client=\"%s\"%s", esc,
		    c->client_verified ? "" : " (untrusted)");
	}
	tk_escape(info.alpn, strlen(info.alpn), esc, sizeof(esc));
	fprintf(stderr, "%s %s %s group=%s alpn=%s%s in=%llu out=%llu "
	    "%llums ", c->peer, info.version[0] ? info.version : "-",
	    info.cipher[0] ? info.cipher : "-",
	    info.group[0] ? info.group : "-",
	    info.alpn_negotiated ? esc : "none", sub,
	    (unsigned long long)c->bytes_in, (unsigned long long)c->bytes_out,
	    (unsigned long long)dur);
	if (ok) {
		fprintf(stderr, "ok%s\n", c->injected ?
		    " (plaintext after STARTTLS discarded)" : "");
	} else {
		tk_escape(c->err.msg, strlen(c->err.msg), esc, sizeof(esc));
		fprintf(stderr, "error: %s: %s\n",
		    c->err.step ? c->err.step : "?", esc);
	}
}

static void
client_free(struct client *c)
{
	struct server *srv = c->srv;

	log_connection(c);
	if (srv->s.once && !srv->once_done) {
		srv->once_done = true;
		srv->once_outcome = c->err.cls;
		tk_loop_stop(srv->loop);
	}
	tk_loop_timer_stop(srv->loop, &c->timer);
	tk_loop_timer_stop(srv->loop, &c->pending);
	tk_loop_unwatch(srv->loop, c->fd);
	close(c->fd);
	tk_tls_free(c->tls);
	tk_starttls_srv_free(c->ss);
	free(c->lb);
	free(c->buf);
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
on_pending(struct tk_loop *loop, void *arg)
{
	(void)loop;
	client_io(arg);
}

static void
on_client_timer(struct tk_loop *loop, void *arg)
{
	struct client *c = arg;

	(void)loop;
	if (c->state == C_ECHO || c->state == C_DIALOGUE) {
		tk_err_set(&c->err, TK_NET, "idle",
		    "no data for %.3g s (--idle-timeout)",
		    c->srv->s.idle_timeout);
	} else if (c->state == C_PLAIN) {
		tk_err_set(&c->err, TK_NET, "plaintext",
		    "no STARTTLS handshake within %.3g s "
		    "(--handshake-timeout)", c->srv->s.handshake_timeout);
	} else if (c->state == C_CLOSING || c->state == C_DRAIN) {
		/* the peer did not take our close_notify in time: done */
	} else {
		tk_err_set(&c->err, TK_TLS, "handshake",
		    "not finished within %.3g s (--handshake-timeout)",
		    c->srv->s.handshake_timeout);
	}
	client_free(c);
}

static int
ensure_buf(struct client *c)
{
	if (c->buf == NULL) {
		c->buf = malloc(BUF_CAP);
		if (c->buf == NULL) {
			return tk_err_set(&c->err, TK_INTERNAL, "echo",
			    "out of memory");
		}
		c->off = c->len = 0;
	}
	return 0;
}

/* Buffer space: compact first so the unsent bytes start the buffer. */
static size_t
room(struct client *c)
{
	if (c->off > 0) {
		memmove(c->buf, c->buf + c->off, c->len - c->off);
		c->len -= c->off;
		c->off = 0;
	}
	return BUF_CAP - c->len;
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
	struct server *srv = c->srv;
	struct tk_certcheck_opts co = srv->d.check;
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

static void
start_tls(struct client *c)
{
	struct server *srv = c->srv;
	struct tk_tls_conf tc = {0};

	tc.server = true;
	tc.priority = srv->d.priority;
	tc.priority_cache = srv->prio;
	tc.alpn = &srv->d.alpn;
	tc.alpn_mandatory = !srv->s.alpn_optional;
	tc.client_cert = srv->s.require_client_cert ? TK_CLIENT_CERT_REQUIRE :
	    srv->s.request_client_cert ? TK_CLIENT_CERT_REQUEST :
	    TK_CLIENT_CERT_IGNORE;
	tc.verify_peer = verify_client;
	tc.verify_arg = c;
	c->tls = tk_tls_new(c->fd, &tc, srv->creds, &c->err);
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
		if (c->len > c->off) {
			n = write(c->fd, c->buf + c->off, c->len - c->off);
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
			c->off += (size_t)n;
			c->bytes_out += (uint64_t)n;
			if (c->off < c->len) {
				continue;
			}
			c->off = c->len = 0;
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
		if (ensure_buf(c) < 0) {
			client_free(c);
			return;
		}
		/* the buffer is empty here: the last reply went out */
		next = tk_starttls_srv_line(c->ss, line, (char *)c->buf,
		    BUF_CAP, &rlen, &c->err);
		if (next < 0) {
			client_free(c);
			return;
		}
		c->off = 0;
		c->len = rlen;
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

/*
 * The smtp, imap or pop3 dialogue inside TLS: lines read through TLS into
 * the same capped line reader (a fresh one: nothing from the plaintext
 * phase), each answered before the next is read, under --idle-timeout.
 */
static void
dialogue_io(struct client *c)
{
	struct server *srv = c->srv;
	char line[TK_LINE_MAX + 1];
	char in[sizeof(c->lb->buf)];
	size_t rlen;
	ssize_t n;
	int next;

	for (int round = 0; round < 64; round++) {
		if (c->buf != NULL && c->len > c->off) {
			n = tk_tls_write(c->tls, c->buf + c->off,
			    c->len - c->off);
			if (n == TK_WANT_WRITE || n == TK_WANT_READ) {
				tk_loop_rewatch(srv->loop, c->fd,
				    n == TK_WANT_READ ? TK_READ : TK_WRITE);
				return;
			}
			if (n < 0) {
				client_fail(c, tk_tls_error(c->tls));
				return;
			}
			c->off += (size_t)n;
			c->bytes_out += (uint64_t)n;
			continue;
		}
		if (c->buf != NULL) {
			free(c->buf);
			c->buf = NULL;
			c->off = c->len = 0;
		}
		if (c->close_after || c->peer_closed) {
			c->state = C_CLOSING;
			client_io(c);
			return;
		}
		n = tk_linebuf_next(c->lb, line, sizeof(line), "dialogue",
		    &c->err);
		if (n < 0) {
			client_free(c);
			return;
		}
		if (n == 1) {
			if (ensure_buf(c) < 0) {
				client_free(c);
				return;
			}
			next = tk_starttls_srv_line(c->ss, line,
			    (char *)c->buf, BUF_CAP, &rlen, &c->err);
			if (next < 0) {
				client_free(c);
				return;
			}
			c->off = 0;
			c->len = rlen;
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
		n = tk_tls_read(c->tls, in, sizeof(in) - c->lb->len);
		if (n == TK_WANT_READ || n == TK_WANT_WRITE) {
			tk_loop_rewatch(srv->loop, c->fd,
			    n == TK_WANT_READ ? TK_READ : TK_WRITE);
			return;
		}
		if (n < 0) {
			client_fail(c, tk_tls_error(c->tls));
			return;
		}
		if (n == 0) {
			/* the client left without QUIT: not an error */
			c->peer_closed = true;
			continue;
		}
		tk_linebuf_feed(c->lb, in, (size_t)n);
		c->bytes_in += (uint64_t)n;
		tk_loop_timer_start(srv->loop, &c->timer,
		    (uint64_t)(srv->s.idle_timeout * 1000));
	}
	/* still busy: come back on the next round, others go first */
	tk_loop_timer_start(srv->loop, &c->pending, 0);
}

static void
after_handshake(struct client *c)
{
	struct server *srv = c->srv;
	gnutls_session_t s = tk_tls_session(c->tls);

	c->state = C_ECHO;
	if (c->ss != NULL && tk_starttls_srv_in_tls(c->ss)) {
		tk_starttls_srv_tls_up(c->ss);
		c->state = C_DIALOGUE;
	} else if (c->lb != NULL) {
		free(c->lb);
		c->lb = NULL;
	}
	tk_loop_timer_start(srv->loop, &c->timer,
	    (uint64_t)(srv->s.idle_timeout * 1000));
	if (!srv->s.require_client_cert && !srv->s.request_client_cert) {
		return;
	}
	if (gnutls_certificate_get_peers(s, &(unsigned){0}) != NULL) {
		judge_client(c, s);
	}
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

static void
echo_io(struct client *c)
{
	struct server *srv = c->srv;
	unsigned want = 0;
	bool moved = false;

	/*
	 * At most 16 rounds per wakeup so that one busy client cannot starve
	 * the others; if it still had work, a 0 ms timer brings it back.
	 */
	for (int round = 0; round < 16; round++) {
		ssize_t n;

		moved = false;
		want = 0;
		if (c->buf != NULL && c->len > c->off) {
			n = tk_tls_write(c->tls, c->buf + c->off,
			    c->len - c->off);
			if (n > 0) {
				c->off += (size_t)n;
				c->bytes_out += (uint64_t)n;
				moved = true;
			} else if (n == TK_WANT_WRITE) {
				want |= TK_WRITE;
			} else if (n == TK_WANT_READ) {
				want |= TK_READ;
			} else {
				client_fail(c, tk_tls_error(c->tls));
				return;
			}
		}
		if (c->buf != NULL && c->off == c->len) {
			/* idle clients hold no buffer */
			free(c->buf);
			c->buf = NULL;
			c->off = c->len = 0;
		}
		if (!c->peer_closed && (c->buf == NULL || room(c) > 0)) {
			if (ensure_buf(c) < 0) {
				client_free(c);
				return;
			}
			n = tk_tls_read(c->tls, c->buf + c->len,
			    BUF_CAP - c->len);
			if (n > 0) {
				c->len += (size_t)n;
				c->bytes_in += (uint64_t)n;
				moved = true;
			} else if (n == 0) {
				c->peer_closed = true;
			} else if (n == TK_WANT_READ) {
				want |= TK_READ;
			} else if (n == TK_WANT_WRITE) {
				want |= TK_WRITE;
			} else {
				client_fail(c, tk_tls_error(c->tls));
				return;
			}
		}
		if (c->buf != NULL && c->off == c->len) {
			/*
			 * Nothing held after the read either (it would block):
			 * an idle client keeps no 64 KiB buffer
			 */
			free(c->buf);
			c->buf = NULL;
			c->off = c->len = 0;
		}
		if (c->peer_closed && (c->buf == NULL || c->off == c->len)) {
			c->state = C_CLOSING;
			client_io(c);
			return;
		}
		if (!moved) {
			break;
		}
		tk_loop_timer_start(srv->loop, &c->timer,
		    (uint64_t)(srv->s.idle_timeout * 1000));
	}
	if (moved || (c->buf != NULL && room(c) > 0 && !c->peer_closed &&
	    tk_tls_pending(c->tls))) {
		tk_loop_timer_start(srv->loop, &c->pending, 0);
	}
	if (want == 0) {
		want = TK_READ;
	}
	tk_loop_rewatch(srv->loop, c->fd, want);
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
start_drain(struct client *c)
{
	c->state = C_DRAIN;
	shutdown(c->fd, SHUT_WR);
	tk_loop_timer_start(c->srv->loop, &c->timer, DRAIN_MS);
	drain(c);
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
		if (c->len > c->off) {
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
			start_drain(c);
			return;
		}
		after_handshake(c);
		client_io(c);
		return;
	case C_ECHO:
		echo_io(c);
		return;
	case C_DIALOGUE:
		dialogue_io(c);
		return;
	case C_DRAIN:
		drain(c);
		return;
	case C_CLOSING:
		rc = tk_tls_bye(c->tls, false);
		if (rc == TK_WANT_READ || rc == TK_WANT_WRITE) {
			tk_loop_rewatch(c->srv->loop, c->fd,
			    rc == TK_WANT_READ ? TK_READ : TK_WRITE);
			return;
		}
		client_free(c);
		return;
	}
}

static void
add_client(struct server *srv, int fd, const struct tk_addr *peer)
{
	struct client *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		close(fd);
		return;
	}
	c->srv = srv;
	c->fd = fd;
	c->t0_ms = tk_now_ms();
	tk_err_clear(&c->err);
	tk_sockaddr_str((const struct sockaddr *)&peer->ss, c->peer,
	    sizeof(c->peer));
	tk_timer_init(&c->timer, on_client_timer, c);
	tk_timer_init(&c->pending, on_pending, c);
	c->next = srv->clients;
	if (c->next != NULL) {
		c->next->prev = c;
	}
	srv->clients = c;
	srv->nclients++;
	srv->served++;
	tk_loop_timer_start(srv->loop, &c->timer,
	    (uint64_t)(srv->s.handshake_timeout * 1000));
	if (tk_loop_watch(srv->loop, fd, TK_READ, on_client_fd, c,
	    &c->err) < 0) {
		client_free(c);
		return;
	}
	if (srv->s.starttls != NULL) {
		const char *greeting;

		c->state = C_PLAIN;
		c->lb = malloc(sizeof(*c->lb));
		if (c->lb == NULL) {
			tk_err_set(&c->err, TK_INTERNAL, "accept",
			    "out of memory");
			client_free(c);
			return;
		}
		tk_linebuf_init(c->lb);
		c->ss = tk_starttls_srv_new(srv->s.starttls, NULL, &c->err);
		if (c->ss == NULL) {
			client_free(c);
			return;
		}
		greeting = tk_starttls_srv_greeting(c->ss);
		if (greeting[0] != '\0') {
			if (ensure_buf(c) < 0) {
				client_free(c);
				return;
			}
			c->len = strlen(greeting);
			memcpy(c->buf, greeting, c->len);
			tk_loop_rewatch(srv->loop, fd, TK_WRITE);
		}
		return;
	}
	start_tls(c);
	if (c->tls == NULL) {
		client_free(c);
	}
}

static void set_accepting(struct server *srv, bool on);

static void
on_accept(struct tk_loop *loop, int lfd, unsigned events, void *arg)
{
	struct server *srv = arg;

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
				if (!srv->s.quiet) {
					fprintf(stderr, "%s: accept: %s; "
					    "pausing new connections\n", srv->prog,
					    strerror(errno));
				}
				set_accepting(srv, false);
				tk_loop_timer_start(srv->loop, &srv->resume,
				    EMFILE_PAUSE_MS);
			}
			return;
		}
		if (srv->nclients >= srv->s.max_connections ||
		    (srv->s.once && srv->served > 0)) {
			srv->refused++;
			close(fd);
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		add_client(srv, fd, &peer);
	}
}

static void
set_accepting(struct server *srv, bool on)
{
	srv->accepting = on;
	for (int i = 0; i < srv->nl; i++) {
		tk_loop_rewatch(srv->loop, srv->lfds[i], on ? TK_READ : 0);
	}
}

static void
on_resume(struct tk_loop *loop, void *arg)
{
	(void)loop;
	set_accepting(arg, true);
}

static void
on_stop_signal(struct tk_loop *loop, int signo, void *arg)
{
	struct server *srv = arg;

	(void)signo;
	srv->stopping = true;
	/* a last close_notify to each live client; no waiting for replies */
	for (struct client *c = srv->clients; c != NULL; c = c->next) {
		if (c->tls != NULL && tk_tls_handshake_done(c->tls)) {
			tk_tls_bye(c->tls, false);
		}
	}
	tk_loop_stop(loop);
}

static void
on_reload(struct tk_loop *loop, int signo, void *arg)
{
	struct server *srv = arg;
	struct tk_creds *fresh;
	struct tk_err e;

	(void)loop;
	(void)signo;
	tk_err_clear(&e);
	fresh = tk_creds_new(&srv->d.creds, &e);
	if (fresh == NULL) {
		tk_report_error_line(srv->prog, NULL, &e, stderr);
		fprintf(stderr, "%s: reload failed; keeping the old "
		    "credentials\n", srv->prog);
		return;
	}
	tk_creds_unref(srv->creds);
	srv->creds = fresh;
	if (!srv->s.quiet) {
		fprintf(stderr, "%s: reloaded credentials from '%s'\n",
		    srv->prog, srv->s.cert);
	}
}

/*
 * Everything a worker shares: options, credentials (loaded once) and the
 * bound listeners, with the ready lines printed once.
 */
static int
setup(struct server *srv, struct tk_err *e)
{
	const char *deflisten = "127.0.0.1:4433";
	size_t nspec = srv->s.nlisten ? srv->s.nlisten : 1;

	if (tk_settings_derive(TK_TOOL_ECHO_SERVER, &srv->s, &srv->d, e) < 0) {
		return -1;
	}
	srv->creds = tk_creds_new(&srv->d.creds, e);
	if (srv->creds == NULL) {
		return -1;
	}
	tk_tls_set_debug((int)srv->s.debug);
	/*
	 * Parsed once for every session: gnutls_priority_set_direct() per
	 * accept cost each idle connection 8 KiB of heap.  On failure the
	 * sessions parse it themselves and report the error.
	 */
	if (gnutls_priority_init(&srv->prio, srv->d.priority, NULL) < 0) {
		srv->prio = NULL;
	}
	for (size_t i = 0; i < nspec; i++) {
		struct tk_addr bound[2];
		const char *spec = srv->s.nlisten ? srv->s.listen[i] :
		    deflisten;
		int n = tk_listen(spec, 1024, srv->lfds + srv->nl, bound,
		    (int)(sizeof(srv->lfds) / sizeof(srv->lfds[0])) - srv->nl,
		    e);

		if (n < 0) {
			return -1;
		}
		for (int k = 0; k < n; k++) {
			char a[TK_ADDRSTR_MAX];

			tk_sockaddr_str((const struct sockaddr *)&bound[k].ss,
			    a, sizeof(a));
			if (srv->s.json) {
				printf("{\"event\":\"listening\","
				    "\"address\":\"%s\"}\n", a);
			} else {
				printf("listening on %s\n", a);
			}
		}
		srv->nl += n;
	}
	/* before any fork: nothing buffered may be written twice */
	fflush(stdout);
	fflush(stderr);
	return 0;
}

/* One process's loop: in the only process, or in each worker. */
static int
setup_loop(struct server *srv, struct tk_err *e)
{
	srv->loop = tk_loop_new(e);
	if (srv->loop == NULL) {
		return -1;
	}
	tk_timer_init(&srv->resume, on_resume, srv);
	for (int i = 0; i < srv->nl; i++) {
		if (tk_loop_watch(srv->loop, srv->lfds[i], TK_READ, on_accept,
		    srv, e) < 0) {
			return -1;
		}
	}
	srv->accepting = true;
	if (tk_loop_signal(srv->loop, SIGINT, on_stop_signal, srv, e) < 0 ||
	    tk_loop_signal(srv->loop, SIGTERM, on_stop_signal, srv, e) < 0 ||
	    tk_loop_signal(srv->loop, SIGHUP, on_reload, srv, e) < 0) {
		return -1;
	}
	return 0;
}

/* Runs the loop until stopped; returns the process's exit status. */
static int
serve(struct server *srv)
{
	struct tk_err e;
	int code = 0;

	tk_err_clear(&e);
	if (setup_loop(srv, &e) < 0 || tk_loop_run(srv->loop, &e) < 0) {
		tk_report_error_line(srv->prog, NULL, &e, stderr);
		code = tk_err_exit_code(e.cls);
	} else if (srv->s.once && srv->once_done) {
		code = tk_err_exit_code(srv->once_outcome);
	}
	while (srv->clients != NULL) {
		if (!tk_err_is_set(&srv->clients->err)) {
			tk_err_set(&srv->clients->err, TK_NET, "stop",
			    "server stopped");
		}
		client_free(srv->clients);
	}
	fflush(stdout);
	return code;
}

/*
 * The supervisor of --workers: it only waits for signals.  SIGINT, SIGTERM
 * and SIGHUP go to every live worker; a worker that ends when no stop was
 * asked for is logged and not replaced; the parent ends when the last
 * worker is gone, with 0 when each ended with 0, 70 when one was killed by
 * a signal, else the first non-zero status.
 */
static int
supervise(pid_t *pids, unsigned n, const sigset_t *set)
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
				fprintf(stderr, "%s: worker %u (pid %ld) %s; "
				    "%u of %u left, not restarted\n", TOOL,
				    i + 1, (long)p, how, live, n);
			}
		}
	}
	return code;
}

/*
 * --workers N > 1: the children inherit the credentials and the shared
 * listeners (one accept queue per address: an idle worker takes the next
 * connection, and a worker that dies strands none).  Each builds its own
 * epoll loop and signalfd after the fork.
 */
static int
run_workers(struct server *srv)
{
	static pid_t pids[WORKERS_MAX];
	pid_t parent = getpid();
	sigset_t set, old;
	unsigned n = srv->nworkers;

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
			fprintf(stderr, "%s: cannot start worker %u: %s\n",
			    TOOL, i + 1, strerror(errno));
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
			srv->pid = getpid();
			snprintf(srv->prog, sizeof(srv->prog), "%s[%ld]", TOOL,
			    (long)srv->pid);
			code = serve(srv);
			fflush(stdout);
			fflush(stderr);
			_exit(code);
		}
		pids[i] = p;
		if (!srv->s.quiet) {
			fprintf(stderr, "%s: worker %u pid %ld\n", TOOL, i + 1,
			    (long)p);
		}
	}
	return supervise(pids, n, &set);
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
static void
raise_fd_limit(const struct server *srv)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)srv->s.max_connections + FD_RESERVE;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= need) {
		return;
	}
	rl.rlim_cur = rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need ?
	    rl.rlim_max : need;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur < need) {
		getrlimit(RLIMIT_NOFILE, &rl);
		fprintf(stderr, "%s: warning: open-file limit %llu; about "
		    "%llu clients at once, not --max-connections %llu\n", TOOL,
		    (unsigned long long)rl.rlim_cur,
		    rl.rlim_cur > FD_RESERVE ?
		    (unsigned long long)(rl.rlim_cur - FD_RESERVE) : 0ULL,
		    (unsigned long long)srv->s.max_connections);
	}
}

int
main(int argc, char **argv)
{
	static struct server srv;
	struct tk_err e;
	int code = 0;

	signal(SIGPIPE, SIG_IGN);
	tk_err_clear(&e);
	if (tk_opts_parse(TK_TOOL_ECHO_SERVER, argc, argv, &srv.s, &e) < 0) {
		tk_report_error_line(TOOL, NULL, &e, stderr);
		return tk_err_exit_code(e.cls);
	}
	if (srv.s.help) {
		tk_opts_help(TK_TOOL_ECHO_SERVER, stdout);
		return 0;
	}
	if (srv.s.version) {
		tk_opts_version(TK_TOOL_ECHO_SERVER, stdout);
		return 0;
	}
	if (srv.s.list_options) {
		tk_opts_list(TK_TOOL_ECHO_SERVER, stdout);
		return 0;
	}
	srv.nworkers = (unsigned)srv.s.workers;
	if (srv.s.workers == 0) {
		long nc = sysconf(_SC_NPROCESSORS_ONLN);

		srv.nworkers = nc < 1 ? 1 : nc > WORKERS_MAX ? WORKERS_MAX :
		    (unsigned)nc;
	}
	if (srv.s.once && srv.nworkers > 1) {
		fprintf(stderr, "%s: --once and --workers %u exclude each "
		    "other\n", TOOL, srv.nworkers);
		return 2;
	}
	srv.pid = getpid();
	snprintf(srv.prog, sizeof(srv.prog), "%s", TOOL);
	raise_fd_limit(&srv);
	if (setup(&srv, &e) < 0) {
		tk_report_error_line(TOOL, NULL, &e, stderr);
		code = tk_err_exit_code(e.cls);
	} else if (srv.nworkers > 1) {
		code = run_workers(&srv);
	} else {
		code = serve(&srv);
	}
	for (int i = 0; i < srv.nl; i++) {
		close(srv.lfds[i]);
	}
	tk_loop_free(srv.loop);
	if (srv.prio != NULL) {
		gnutls_priority_deinit(srv.prio);
	}
	tk_creds_unref(srv.creds);
	tk_alpn_clear(&srv.d.alpn);
	return code;
}
