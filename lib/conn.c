#include "conn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "connect.h"
#include "starttls.h"
#include "stream.h"
#include "verify.h"

#include "banned.h"

enum state {
	S_IDLE,
	S_RESOLVE,
	S_CONNECT,
	S_STARTTLS,
	S_HANDSHAKE,
	S_RAW,          /* raw mode: the hello written, its answer read */
	S_INJECTION,    /* waiting for an answer to the pipelined probe */
	S_AFTER,        /* the dialogue's phase inside TLS */
	S_DONE,
};

/* How long an answer to the injection probe is waited for. */
#define INJECTION_WAIT_MS 1000
/* Bytes of a plaintext answer's first line quoted in the error. */
#define PLAIN_LINE_MAX 80
/* What the data phase's stream holds at most (lib/stream.h). */
#define STREAM_CAP (64u << 10)

struct tk_conn {
	struct tk_loop *loop;
	struct tk_conn_conf conf;
	struct tk_result *r;           /* borrowed */
	tk_conn_cb cb;
	void *arg;
	enum state state;
	struct tk_lookup *lookup;
	struct tk_connect *connect;
	struct tk_tunnel *tunnel;      /* CONNECT through conf.proxy */
	struct tk_starttls *st;
	struct tk_tls *tls;
	struct tk_stream *stream;      /* inside TLS: the data phase */
	int fd;
	bool ready;
	size_t raw_sent, raw_len;      /* raw mode */
	bool raw_closed;
	struct tk_timer deadline;
	uint64_t t0, tstep;
	char verify_name[TK_HOST_MAX];
};

static const char *
step_name(enum state s)
{
	switch (s) {
	case S_IDLE:
		return "start";
	case S_RESOLVE:
		return "resolve";
	case S_CONNECT:
		return "connect";
	case S_STARTTLS:
		return "starttls";
	case S_HANDSHAKE:
	case S_RAW:
		return "handshake";
	case S_INJECTION:
		return "injection";
	case S_AFTER:
		return "starttls";
	case S_DONE:
		return "done";
	}
	return "?";
}

static void
finish(struct tk_conn *c, bool ready)
{
	struct tk_err e;

	tk_err_clear(&e);
	c->state = S_DONE;
	c->ready = ready;
	tk_loop_timer_stop(c->loop, &c->deadline);
	if (c->st != NULL) {
		/* the report shows its transcript, capabilities and answer */
		if (c->tls != NULL) {
			/* bytes after the go-ahead; before it, just unread */
			c->r->injected_bytes = tk_starttls_injected(c->st);
		}
		snprintf(c->r->transcript, sizeof(c->r->transcript), "%s",
		    tk_starttls_transcript(c->st));
		if (tk_result_keep_dialogue(c->r, c->st, &e) < 0) {
			tk_err_set(&c->r->err, e.cls, e.step, "%s", e.msg);
			c->r->cls = tk_class_worst(c->r->cls, e.cls);
		}
		tk_starttls_free(c->st);
		c->st = NULL;
	}
	if (c->stream != NULL) {
		/* parked: what it holds waits for tk_conn_stream() */
		tk_stream_set_cb(c->stream, NULL, NULL);
	} else if (c->fd >= 0) {
		tk_loop_unwatch(c->loop, c->fd);
	}
	c->r->t_total_us = tk_loop_now_us() - c->t0;
	tk_result_finish(c->r);
	c->cb(c, c->arg);
}

static void
fail(struct tk_conn *c, const struct tk_err *e)
{
	c->r->err = *e;
	c->r->cls = e->cls;
	/* through a proxy the environment chose, say which and from where
	 * (https_proxy ...): the user may not know of it */
	if (c->conf.proxy != NULL &&
	    strcmp(c->conf.proxy->from, "--proxy") != 0) {
		char name[TK_HOST_MAX + 48];
		size_t l = strlen(c->r->err.msg);

		tk_proxy_name(c->conf.proxy, name, sizeof(name));
		snprintf(c->r->err.msg + l, sizeof(c->r->err.msg) - l,
		    "; via proxy %s", name);
	}
	finish(c, false);
}

/* ms, or less when the whole run's --deadline comes sooner */
static uint64_t
step_ms(const struct tk_conn *c, uint64_t ms)
{
	return tk_loop_deadline_clip(c->conf.deadline_ms, ms);
}

static bool
past_deadline(const struct tk_conn *c)
{
	return tk_loop_deadline_passed(c->conf.deadline_ms);
}

static void
begin_step(struct tk_conn *c, enum state s)
{
	c->state = s;
	c->tstep = tk_loop_now_us();
	tk_loop_timer_start(c->loop, &c->deadline,
	    step_ms(c, c->conf.timeout_ms));
}

static void after_injection(struct tk_conn *c);
static void after_tls(struct tk_conn *c);

static void
on_deadline(struct tk_loop *loop, void *arg)
{
	struct tk_conn *c = arg;
	struct tk_err e;

	(void)loop;
	tk_err_clear(&e);
	if (past_deadline(c)) {
		/* the whole run's bound, not this step's: name the step */
		tk_err_set(&e, TK_NET, step_name(c->state), "--deadline of "
		    "%.3g s ran out in the %s step%s",
		    c->conf.deadline_total_ms / 1000.0, step_name(c->state),
		    c->tunnel != NULL ?
		    " (waiting for the proxy's reply to CONNECT)" : "");
		if (c->state == S_INJECTION || c->state == S_AFTER) {
			/* the session worked: the report shows the chain */
			c->r->err = e;
			c->r->cls = e.cls;
			finish(c, true);
			return;
		}
	}
	if (c->state == S_INJECTION) {
		/* no answer to the probe: what a correct server does */
		after_injection(c);
		return;
	}
	if (c->state == S_AFTER) {
		/* the session worked: the report still shows the chain */
		tk_err_set(&e, TK_NET, "starttls", "timed out after %.3g s "
		    "inside TLS, waiting for the reply to '%.40s'",
		    c->conf.timeout_ms / 1000.0,
		    tk_starttls_last_command(c->st));
		c->r->t_after_us = tk_loop_now_us() - c->tstep;
		c->r->err = e;
		c->r->cls = e.cls;
		finish(c, true);
		return;
	}
	if (c->state == S_STARTTLS) {
		c->r->t_starttls_us = tk_loop_now_us() - c->tstep;
		tk_err_set(&e, TK_NET, "starttls", "timed out after %.3g s "
		    "in the plaintext dialogue%s%.40s%s",
		    c->conf.timeout_ms / 1000.0,
		    tk_starttls_last_command(c->st)[0] ? ", waiting for the "
		    "reply to '" : " (waiting for the greeting; a port that "
		    "speaks TLS directly sends none: try it without STARTTLS, "
		    "tls-check-cert HOST:PORT",
		    tk_starttls_last_command(c->st),
		    tk_starttls_last_command(c->st)[0] ? "'" : ")");
	}
	if (c->tunnel != NULL) {
		tk_err_set(&e, TK_NET, "connect", "timed out after %.3g s "
		    "waiting for the proxy's reply to CONNECT",
		    c->conf.timeout_ms / 1000.0);
	}
	tk_err_set(&e, TK_NET, step_name(c->state),
	    "timed out after %.3g s", c->conf.timeout_ms / 1000.0);
	tk_resolve_cancel(c->lookup);
	c->lookup = NULL;
	tk_connect_free(c->connect);
	c->connect = NULL;
	tk_tunnel_free(c->tunnel);
	c->tunnel = NULL;
	fail(c, &e);
}

static void drive(struct tk_conn *c);

static void
on_fd(struct tk_loop *loop, int fd, unsigned events, void *arg)
{
	(void)loop;
	(void)fd;
	(void)events;
	drive(arg);
}

static void
want(struct tk_conn *c, int w)
{
	tk_loop_watch(c->loop, c->fd, w == TK_WANT_WRITE ? TK_WRITE : TK_READ,
	    on_fd, c, NULL);
}

static void
start_handshake(struct tk_conn *c)
{
	struct tk_tls_conf tc = {0};
	struct tk_err e;
	const char *sni = NULL;

	tk_err_clear(&e);
	if (c->conf.raw_out != NULL) {
		begin_step(c, S_RAW);
		drive(c);
		return;
	}
	/* RFC 6066 section 3: SNI carries a DNS name, never an IP literal */
	if (!c->conf.no_sni && !tk_target_is_ip_literal(c->verify_name)) {
		sni = c->verify_name;
		snprintf(c->r->sni, sizeof(c->r->sni), "%s", sni);
	}
	tc.server = false;
	tc.priority = c->conf.priority;
	tc.sni = sni;
	tc.alpn = c->conf.alpn;
	tc.resume = c->conf.resume;
	tc.no_tickets = c->conf.no_tickets;
	tc.early_data = c->conf.early_data;
	tc.early = c->conf.early;
	tc.early_len = c->conf.early_len;
	c->tls = tk_tls_new(c->fd, &tc, c->conf.creds, &e);
	if (c->tls == NULL) {
		fail(c, &e);
		return;
	}
	begin_step(c, S_HANDSHAKE);
	drive(c);
}

/*
 * A handshake that failed because the server spoke plaintext (a STARTTLS
 * port without --starttls, an HTTP port): say what it said, its first
 * line bounded, and what the port looks like.  The line goes into the
 * message as the server sent it (tk_starttls_guess() let no control byte
 * through): the renderers escape a message, text and JSON each its own
 * way, so escaping it here too would show a backslash twice.  Leaves e as
 * it is when the server's first bytes are not text.
 */
static void
plaintext_answer(struct tk_conn *c, struct tk_err *e)
{
	const unsigned char *buf;
	size_t len = tk_tls_first_bytes(c->tls, &buf);
	const char *proto = tk_starttls_guess(buf, len);
	char line[PLAIN_LINE_MAX + 1];
	size_t n = 0;

	if (proto == NULL || c->conf.starttls != NULL) {
		return;
	}
	while (n < len && n < PLAIN_LINE_MAX && buf[n] != '\r' &&
	    buf[n] != '\n') {
		n++;
	}
	memcpy(line, buf, n);
	line[n] = '\0';
	if (tk_starttls_known(proto)) {
		tk_err_reset(e, e->cls, "handshake", "the server answered in "
		    "plaintext ('%s%s'), not TLS: --starttls %s?", line,
		    n == PLAIN_LINE_MAX ? "..." : "", proto);
	} else if (proto[0] != '\0') {
		tk_err_reset(e, e->cls, "handshake", "the server answered in "
		    "plaintext ('%s%s'), not TLS: this port speaks plain %s",
		    line, n == PLAIN_LINE_MAX ? "..." : "",
		    strcmp(proto, "http") == 0 ? "HTTP" : "SSH");
	} else {
		tk_err_reset(e, e->cls, "handshake", "the server answered in "
		    "plaintext ('%s%s'), not TLS: a STARTTLS port? "
		    "(--starttls PROTO)", line,
		    n == PLAIN_LINE_MAX ? "..." : "");
	}
}

/* The alert a client sends when it refuses a chain (RFC 8446 6.2). */
static gnutls_alert_description_t
alert_for(const struct tk_findings *f)
{
	const char *code = "";

	for (size_t i = 0; i < f->n; i++) {
		if (f->f[i].sev == TK_SEV_FAIL) {
			code = f->f[i].code;
			if (strcmp(code, "name-mismatch") != 0) {
				break;
			}
		}
	}
	if (strcmp(code, "expired") == 0 ||
	    strcmp(code, "not-yet-valid") == 0) {
		return GNUTLS_A_CERTIFICATE_EXPIRED;
	}
	if (strcmp(code, "unknown-issuer") == 0 ||
	    strcmp(code, "self-signed") == 0 ||
	    strcmp(code, "missing-intermediate") == 0) {
		return GNUTLS_A_UNKNOWN_CA;
	}
	if (strcmp(code, "ocsp-revoked") == 0) {
		return GNUTLS_A_CERTIFICATE_REVOKED;
	}
	return GNUTLS_A_BAD_CERTIFICATE;
}

/*
 * The one verification engine (lib/certcheck.c) judges the chain the
 * server sent, as in every other tool: the same findings, the same
 * verdict.  A failing chain gets an alert and ends the session unless
 * --insecure; warnings make the outcome WARN (exit 5) when nothing else
 * goes wrong.
 */
static void
after_handshake(struct tk_conn *c)
{
	struct tk_result *r = c->r;
	struct tk_certcheck_opts co;
	gnutls_x509_trust_list_t trust = NULL;
	enum tk_class cls;
	struct tk_err e;
	char sum[1024];

	tk_err_clear(&e);
	r->t_handshake_us = tk_loop_now_us() - c->tstep;
	r->handshake_done = true;
	tk_tls_info(c->tls, &r->tls);
	if (c->conf.no_verify) {
		after_tls(c);
		return;
	}
	if (c->conf.check != NULL) {
		co = *c->conf.check;
	} else {
		memset(&co, 0, sizeof(co));
		co.at = time(NULL);
	}
	co.hostname = c->verify_name;
	if (co.anchor_private == NULL) {
		co.anchor_private = tk_creds_anchor_private;
		co.anchor_arg = c->conf.creds;
	}
	gnutls_certificate_get_trust_list(tk_creds_gnutls(c->conf.creds),
	    &trust);
	if (tk_certcheck_session(tk_tls_session(c->tls), trust, &co,
	    &r->chain, &r->verdict, &r->findings, &r->ocsp, &e) < 0) {
		fail(c, &e);
		return;
	}
	r->checked = true;
	cls = tk_findings_class(&r->findings);
	if (c->conf.insecure) {
		r->verdict.status = TK_VERIFY_SKIPPED;
	} else if (cls == TK_CHECK) {
		tk_tls_alert(c->tls, alert_for(&r->findings));
		tk_findings_summary(&r->findings, TK_SEV_FAIL, sum,
		    sizeof(sum));
		tk_err_set(&r->err, TK_CHECK, "verify",
		    "certificate verification failed: %s", sum);
		r->cls = TK_CHECK;
		/* the alert is sent: the session is over */
		finish(c, true);
		return;
	} else if (cls == TK_WARN) {
		r->cls = TK_WARN;
	}
	after_tls(c);
}

static ssize_t
tls_rd(void *io, void *buf, size_t len)
{
	return tk_stream_read(io, buf, len);
}

static ssize_t
tls_wr(void *io, const void *buf, size_t len)
{
	return tk_stream_write(io, buf, len);
}

static void
on_stream(struct tk_stream *st, void *arg)
{
	(void)st;
	drive(arg);
}

/*
 * Inside TLS: first the wait for an answer to the injection probe, then
 * the dialogue's own phase (EHLO again, PBSZ/PROT, the new stream).
 */
static void
after_tls(struct tk_conn *c)
{
	struct tk_err e;

	tk_err_clear(&e);
	if (c->st != NULL && (c->conf.check_injection ||
	    c->conf.starttls_after)) {
		/* the stream takes the fd's watch: drive() on its news */
		c->stream = tk_stream_new(c->loop, c->tls, c->fd, STREAM_CAP,
		    on_stream, c, &e);
		if (c->stream == NULL) {
			fail(c, &e);
			return;
		}
	}
	if (c->st != NULL && c->conf.check_injection) {
		c->r->injection.checked = true;
		c->state = S_INJECTION;
		c->tstep = tk_loop_now_us();
		tk_loop_timer_start(c->loop, &c->deadline, step_ms(c,
		    c->conf.timeout_ms < INJECTION_WAIT_MS ?
		    c->conf.timeout_ms : INJECTION_WAIT_MS));
		drive(c);
		return;
	}
	after_injection(c);
}

static void
after_injection(struct tk_conn *c)
{
	if (c->st == NULL || !c->conf.starttls_after ||
	    !tk_starttls_has_after(c->st) || c->r->injection.vulnerable) {
		/* a vulnerable server's replies are out of step: stop */
		finish(c, true);
		return;
	}
	begin_step(c, S_AFTER);
	drive(c);
}

/* Anything readable inside TLS before we said a word answers the probe. */
static void
drive_injection(struct tk_conn *c)
{
	struct tk_injection *in = &c->r->injection;
	char buf[512];
	ssize_t n = tk_stream_read(c->stream, buf, sizeof(buf) - 1);

	if (n == TK_WANT_READ) {
		return;   /* the stream calls back */
	}
	if (n > 0) {
		size_t l;

		buf[n] = '\0';   /* before strcspn() reads up to a NUL */
		l = strcspn(buf, "\r\n");
		in->vulnerable = true;
		snprintf(in->evidence, sizeof(in->evidence), "%.*s",
		    (int)(l < sizeof(in->evidence) ? l :
		    sizeof(in->evidence) - 1), buf);
	}
	/* 0 (close_notify) or an error: no answer to the probe */
	tk_loop_timer_stop(c->loop, &c->deadline);
	after_injection(c);
}

static void
drive_after(struct tk_conn *c)
{
	int rc = tk_starttls_after(c->st, tls_rd, tls_wr, c->stream);
	struct tk_err e;

	if (rc == TK_WANT_READ || rc == TK_WANT_WRITE) {
		return;   /* the stream calls back */
	}
	c->r->t_after_us = tk_loop_now_us() - c->tstep;
	if (rc < 0) {
		/* the session worked: the report still shows the chain */
		e = *tk_starttls_error(c->st);
		if (e.cls == TK_NET && tk_err_is_set(tk_tls_error(c->tls))) {
			e = *tk_tls_error(c->tls);
			e.step = "starttls";
		}
		c->r->err = e;
		c->r->cls = e.cls;
	}
	finish(c, true);
}

/* Raw mode: write the hello, read until the answer is whole or closed */
static void
drive_raw(struct tk_conn *c)
{
	ssize_t n;

	while (c->raw_sent < c->conf.raw_out_len) {
		n = write(c->fd, c->conf.raw_out + c->raw_sent,
		    c->conf.raw_out_len - c->raw_sent);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			want(c, TK_WANT_WRITE);
			return;
		}
		if (n < 0) {
			/* refused before it read the hello: a close */
			c->raw_closed = true;
			finish(c, true);
			return;
		}
		c->raw_sent += (size_t)n;
	}
	for (;;) {
		if (c->raw_len >= c->conf.raw_cap) {
			finish(c, true);
			return;
		}
		n = read(c->fd, c->conf.raw_in + c->raw_len,
		    c->conf.raw_cap - c->raw_len);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			want(c, TK_WANT_READ);
			return;
		}
		if (n <= 0) {
			c->raw_closed = true;
			finish(c, true);
			return;
		}
		c->raw_len += (size_t)n;
		if (c->conf.raw_done(c->conf.raw_arg, c->conf.raw_in,
		    c->raw_len)) {
			c->r->t_handshake_us = tk_loop_now_us() - c->tstep;
			finish(c, true);
			return;
		}
	}
}

static void
drive(struct tk_conn *c)
{
	int rc;

	switch (c->state) {
	case S_STARTTLS:
		rc = tk_starttls_step(c->st, c->fd);
		if (rc == TK_WANT_READ || rc == TK_WANT_WRITE) {
			want(c, rc);
			return;
		}
		snprintf(c->r->transcript, sizeof(c->r->transcript), "%s",
		    tk_starttls_transcript(c->st));
		c->r->t_starttls_us = tk_loop_now_us() - c->tstep;
		if (rc < 0) {
			fail(c, tk_starttls_error(c->st));
			return;
		}
		start_handshake(c);
		return;
	case S_HANDSHAKE:
		rc = tk_tls_handshake(c->tls);
		if (rc == TK_WANT_READ || rc == TK_WANT_WRITE) {
			want(c, rc);
			return;
		}
		if (rc < 0) {
			struct tk_err e = *tk_tls_error(c->tls);

			c->r->t_handshake_us = tk_loop_now_us() - c->tstep;
			tk_tls_info(c->tls, &c->r->tls);
			plaintext_answer(c, &e);
			/* say what the server asked for when it refused us */
			if (c->r->tls.client_cert_requested &&
			    tk_creds_has_cert(c->conf.creds) == false) {
				size_t l = strlen(e.msg);

				snprintf(e.msg + l, sizeof(e.msg) - l,
				    " (the server asked for a client "
				    "certificate and none was given)");
			}
			fail(c, &e);
			return;
		}
		after_handshake(c);
		return;
	case S_RAW:
		drive_raw(c);
		return;
	case S_INJECTION:
		drive_injection(c);
		return;
	case S_AFTER:
		drive_after(c);
		return;
	case S_IDLE:
	case S_RESOLVE:
	case S_CONNECT:
	case S_DONE:
		return;
	}
}

static void after_connect(struct tk_conn *c);

static void
on_tunnel(void *arg, const struct tk_err *err)
{
	struct tk_conn *c = arg;

	c->tunnel = NULL;
	c->r->t_connect_us = tk_loop_now_us() - c->tstep;
	if (err != NULL) {
		fail(c, err);
		return;
	}
	after_connect(c);
}

static void
on_connected(void *arg, int fd, const struct tk_addr *addr,
    const struct tk_err *err)
{
	struct tk_conn *c = arg;
	struct tk_err e;

	c->r->t_connect_us = tk_loop_now_us() - c->tstep;
	if (fd >= 0) {
		tk_sockaddr_str((const struct sockaddr *)&addr->ss,
		    c->r->address, sizeof(c->r->address));
	}
	/* addr and err live in c->connect: use them before this */
	if (fd < 0) {
		struct tk_err copy = *err;

		tk_connect_free(c->connect);
		c->connect = NULL;
		fail(c, &copy);
		return;
	}
	tk_connect_free(c->connect);
	c->connect = NULL;
	c->fd = fd;
	if (c->conf.proxy != NULL) {
		/* inside the connect step and its deadline */
		tk_err_clear(&e);
		c->tunnel = tk_tunnel_start(c->loop, fd, c->conf.proxy,
		    c->conf.target.host, c->conf.target.port, on_tunnel, c,
		    &e);
		if (c->tunnel == NULL) {
			fail(c, &e);
		}
		return;
	}
	after_connect(c);
}

static void
after_connect(struct tk_conn *c)
{
	struct tk_err e;

	if (c->conf.starttls != NULL) {
		struct tk_starttls_conf sc = {
			.host = c->verify_name,
			.xmpp_domain = c->conf.xmpp_domain,
			.ehlo_name = c->conf.ehlo_name,
			.check_injection = c->conf.check_injection,
		};

		tk_err_clear(&e);
		c->st = tk_starttls_new_ex(c->conf.starttls, &sc, &e);
		if (c->st == NULL) {
			fail(c, &e);
			return;
		}
		snprintf(c->r->starttls, sizeof(c->r->starttls), "%s",
		    c->conf.starttls);
		begin_step(c, S_STARTTLS);
		drive(c);
		return;
	}
	start_handshake(c);
}

/* RFC 8305 section 5: 250 ms is the recommended Connection Attempt Delay */
#define STAGGER_MS 250

static void
on_resolved(void *arg, const struct tk_addr *addrs, size_t n,
    const struct tk_err *err)
{
	struct tk_conn *c = arg;
	struct tk_err e;

	c->lookup = NULL;
	c->r->t_resolve_us = tk_loop_now_us() - c->tstep;
	if (err != NULL) {
		fail(c, err);
		return;
	}
	tk_err_clear(&e);
	begin_step(c, S_CONNECT);
	c->connect = tk_connect_start(c->loop, addrs, n, STAGGER_MS,
	    on_connected, c, &e);
	if (c->connect == NULL) {
		fail(c, &e);
	}
}

struct tk_conn *
tk_conn_new(struct tk_loop *loop, const struct tk_conn_conf *conf,
    struct tk_result *result, tk_conn_cb cb, void *arg, struct tk_err *err)
{
	struct tk_conn *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		tk_err_sys(err, TK_INTERNAL, "start", "out of memory");
		return NULL;
	}
	c->loop = loop;
	c->conf = *conf;
	c->r = result;
	c->cb = cb;
	c->arg = arg;
	c->fd = -1;
	snprintf(c->verify_name, sizeof(c->verify_name), "%s",
	    conf->hostname != NULL ? conf->hostname : conf->target.host);
	snprintf(result->hostname, sizeof(result->hostname), "%s",
	    c->verify_name);
	tk_timer_init(&c->deadline, on_deadline, c);
	return c;
}

void
tk_conn_start(struct tk_conn *c)
{
	struct tk_err e;

	tk_err_clear(&e);
	c->t0 = tk_loop_now_us();
	begin_step(c, S_RESOLVE);
	/* through a proxy, the proxy resolves the target's name */
	c->lookup = tk_resolve(c->conf.resolver, c->conf.proxy != NULL ?
	    c->conf.proxy->host : c->conf.target.host, c->conf.proxy != NULL ?
	    c->conf.proxy->port : c->conf.target.port, c->conf.family,
	    on_resolved, c, &e);
	if (c->lookup == NULL) {
		fail(c, &e);
	}
}

bool
tk_conn_ready(const struct tk_conn *c)
{
	return c->ready;
}

int
tk_conn_fd(const struct tk_conn *c)
{
	return c->fd;
}

size_t
tk_conn_raw(const struct tk_conn *c, bool *closed)
{
	if (closed != NULL) {
		*closed = c->raw_closed;
	}
	return c->raw_len;
}

struct tk_tls *
tk_conn_tls(const struct tk_conn *c)
{
	return c->tls;
}

struct tk_stream *
tk_conn_stream(struct tk_conn *c, struct tk_err *err)
{
	if (c->stream == NULL) {
		c->stream = tk_stream_new(c->loop, c->tls, c->fd, STREAM_CAP,
		    NULL, NULL, err);
	}
	return c->stream;
}

void
tk_conn_free(struct tk_conn *c)
{
	if (c == NULL) {
		return;
	}
	tk_loop_timer_stop(c->loop, &c->deadline);
	tk_resolve_cancel(c->lookup);
	tk_connect_free(c->connect);
	tk_tunnel_free(c->tunnel);
	tk_starttls_free(c->st);
	tk_stream_free(c->stream);
	tk_tls_free(c->tls);
	if (c->fd >= 0) {
		tk_loop_unwatch(c->loop, c->fd);
		close(c->fd);
	}
	free(c);
}
