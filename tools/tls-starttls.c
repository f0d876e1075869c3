/*
 * tls-starttls: upgrade a plaintext protocol to TLS the way its RFC says,
 * report the dialogue, the session and the certificate (with the checks
 * and renderer of tls-check-cert), optionally probe for the STARTTLS
 * command injection flaw, and optionally go on talking over the upgraded
 * channel (--relay), like `openssl s_client -starttls`.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "certcheck.h"
#include "conn.h"
#include "opts.h"
#include "report.h"
#include "starttls.h"

#include "banned.h"

#define TOOL "tls-starttls"
#define RELAY_CHUNK 16384

/*
 * --relay: stdin to the server over TLS, the server's data to stdout.
 * Each direction holds at most one chunk; while it is not flushed, its
 * source is not read (backpressure instead of unbounded buffers).
 */
struct relay {
	bool active;
	bool stdin_eof;        /* close_notify sent after it */
	bool cr_pending;       /* --crlf: the last chunk ended in CR */
	unsigned char up[2 * RELAY_CHUNK];   /* LF -> CRLF at most doubles */
	size_t uplen;
	/* the session's data phase; what it holds goes to stdout */
	struct tk_stream *st;
	int flags0, flags1;    /* stdin/stdout flags, restored at exit */
	/*
	 * A regular file or /dev/null cannot be polled (epoll says EPERM)
	 * and never blocks: such a stdin is read from a 0 ms timer, such a
	 * stdout written at once.
	 */
	bool in_direct, out_direct;
	struct tk_timer kick;  /* reads a direct stdin */
	struct tk_timer idle;  /* after stdin's EOF: --timeout for the rest */
};

struct app {
	struct tk_settings s;
	struct tk_derived d;
	struct tk_loop *loop;
	struct tk_resolver *res;
	struct tk_creds *creds;
	gnutls_x509_trust_list_t trust;   /* borrowed from creds */
	struct tk_certcheck_opts co;
	struct tk_target target;
	const char *proto;
	struct tk_result r;
	struct tk_conn *conn;
	struct relay rl;
	bool color;
};

static void relay_start(struct app *a);

/* --- the check ------------------------------------------------------------ */

static void
check_session(struct app *a)
{
	struct tk_result *r = &a->r;
	struct tk_certcheck_opts co = a->co;
	const struct tk_finding *mf;
	struct tk_err after = r->err, e;

	/* an error of the phase inside TLS; the chain is checked anyway */
	tk_err_clear(&r->err);
	tk_err_clear(&e);
	co.hostname = r->hostname[0] ? r->hostname : NULL;
	if (tk_certcheck_session(tk_tls_session(tk_conn_tls(a->conn)),
	    a->trust, &co, &r->chain, &r->verdict, &r->findings, &r->ocsp,
	    &e) < 0) {
		r->err = e;
		r->cls = e.cls;
		return;
	}
	r->checked = true;
	tk_result_starttls_findings(r);
	r->cls = tk_findings_class(&r->findings);
	if (a->s.insecure && r->cls == TK_CHECK) {
		r->cls = TK_OK;
	}
	mf = tk_report_main_finding(r);
	if (mf != NULL && r->cls == TK_CHECK) {
		tk_err_set(&r->err, TK_CHECK, tk_finding_step(mf), "%s: %s",
		    mf->code, mf->message);
	}
	if (tk_err_is_set(&after) &&
	    tk_class_worst(after.cls, r->cls) == after.cls) {
		r->err = after;
		r->cls = after.cls;
	}
}

static void
print_report(struct app *a)
{
	/* with --relay stdout carries the server's data */
	FILE *out = a->s.relay ? stderr : stdout;

	if (a->s.verbose > 0 && !a->s.json) {
		tk_report_text_transcript(&a->r, stderr);
	}
	if (a->s.json) {
		if (tk_report_json(&a->r, out) < 0) {
			a->r.cls = TK_INTERNAL;
		}
	} else if (!a->s.quiet || a->r.cls != TK_OK) {
		tk_report_text_check(&a->r, a->s.quiet || a->s.relay,
		    a->color, out);
	}
	fflush(out);
	if (tk_err_is_set(&a->r.err) && !a->s.quiet) {
		tk_report_error_line(TOOL, a->r.target, &a->r.err, stderr);
	}
}

static int start_conn(struct app *a, bool probe, struct tk_err *e);

/*
 * Many servers (dovecot, vsftpd) take the probe pipelined after STARTTLS
 * as the first bytes of the handshake and end it: they did not run the
 * command, so they are not vulnerable, but the session is lost.
 */
static bool
probe_broke_handshake(const struct app *a)
{
	const struct tk_result *r = &a->r;

	return a->s.check_injection && !r->injection.retried &&
	    r->err.step != NULL && strcmp(r->err.step, "handshake") == 0 &&
	    (r->cls == TK_TLS || r->cls == TK_NET);
}

/* The same target again without the probe, for the session and chain. */
static void
retry_without_probe(struct app *a)
{
	struct tk_injection in = a->r.injection;
	struct tk_err e;

	tk_escape(a->r.err.msg, strlen(a->r.err.msg), in.detail,
	    sizeof(in.detail));
	in.checked = true;
	in.vulnerable = false;
	in.retried = true;
	tk_conn_free(a->conn);
	a->conn = NULL;
	tk_result_release(&a->r);
	tk_result_init(&a->r, TOOL, a->s.args[0]);
	a->r.verdict_always = true;
	a->r.injection = in;
	tk_err_clear(&e);
	if (start_conn(a, false, &e) < 0) {
		a->r.err = e;
		a->r.cls = e.cls;
		print_report(a);
		tk_loop_stop(a->loop);
	}
}

static void
on_conn(struct tk_conn *c, void *arg)
{
	struct app *a = arg;

	if (!tk_conn_ready(c) && probe_broke_handshake(a)) {
		retry_without_probe(a);
		return;
	}
	if (tk_conn_ready(c)) {
		check_session(a);
	}
	print_report(a);
	if (tk_conn_ready(c) && a->s.relay &&
	    (a->r.cls == TK_OK || a->r.cls == TK_WARN)) {
		relay_start(a);
		return;
	}
	if (tk_conn_ready(c)) {
		tk_tls_bye(tk_conn_tls(c), false);
	}
	tk_loop_stop(a->loop);
}

/* --- --relay -------------------------------------------------------------- */

static void relay_update(struct app *a);

static void
relay_end(struct app *a, const struct tk_err *e)
{
	if (e != NULL && !tk_err_is_set(&a->r.err)) {
		a->r.err = *e;
		a->r.cls = e->cls;
		tk_report_error_line(TOOL, a->r.target, e, stderr);
	}
	a->rl.active = false;
	tk_loop_timer_stop(a->loop, &a->rl.idle);
	tk_loop_timer_stop(a->loop, &a->rl.kick);
	if (!a->rl.in_direct) {
		tk_loop_unwatch(a->loop, STDIN_FILENO);
	}
	if (!a->rl.out_direct) {
		tk_loop_unwatch(a->loop, STDOUT_FILENO);
	}
	if (a->rl.st != NULL) {
		tk_stream_set_cb(a->rl.st, NULL, NULL);
	}
	tk_loop_stop(a->loop);
}

/* Copies n bytes of stdin into up, LF as CRLF with --crlf. */
static void
relay_take(struct app *a, const unsigned char *p, size_t n)
{
	struct relay *rl = &a->rl;

	for (size_t i = 0; i < n; i++) {
		if (a->s.crlf && p[i] == '\n' && !rl->cr_pending) {
			rl->up[rl->uplen++] = '\r';
		}
		rl->cr_pending = p[i] == '\r';
		rl->up[rl->uplen++] = p[i];
	}
}

static void
relay_stdin(struct app *a)
{
	unsigned char buf[RELAY_CHUNK];
	ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
	struct tk_err e;

	if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
		return;
	}
	if (n < 0) {
		tk_err_clear(&e);
		tk_err_sys(&e, TK_NET, "relay", "cannot read stdin");
		relay_end(a, &e);
		return;
	}
	if (n == 0) {
		/* no more input: close_notify, then the server's last words */
		a->rl.stdin_eof = true;
		tk_stream_shutdown(a->rl.st);
		tk_loop_timer_start(a->loop, &a->rl.idle,
		    (uint64_t)(a->s.timeout * 1000));
		return;
	}
	relay_take(a, buf, (size_t)n);
}

/* 1 when up is flushed, 0 when the session wants to wait, -1 on error. */
static int
relay_send(struct app *a)
{
	ssize_t n;

	while (a->rl.uplen > 0) {
		n = tk_stream_write(a->rl.st, a->rl.up, a->rl.uplen);
		if (n == TK_WANT_READ || n == TK_WANT_WRITE) {
			return 0;
		}
		if (n < 0) {
			return -1;
		}
		memmove(a->rl.up, a->rl.up + n, a->rl.uplen - (size_t)n);
		a->rl.uplen -= (size_t)n;
	}
	return 1;
}

/*
 * What the stream holds, to stdout: 1 when all is out, 0 when stdout
 * would block (the stream stops reading once full), -1 on error.
 */
static int
relay_stdout(struct app *a)
{
	const unsigned char *p;
	size_t len;

	for (p = tk_stream_data(a->rl.st, &len); len > 0;
	     p = tk_stream_data(a->rl.st, &len)) {
		ssize_t n = write(STDOUT_FILENO, p, len);

		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			return 0;
		}
		if (n <= 0) {
			return -1;
		}
		tk_stream_consume(a->rl.st, (size_t)n);
	}
	return 1;
}

/* Moves what can move: stdin to the server, the server's data out. */
static void
relay_pump(struct app *a, bool stdin_ready)
{
	const struct tk_err *se;
	struct tk_err e;
	int rc;

	tk_err_clear(&e);
	if (stdin_ready && a->rl.uplen == 0 && !a->rl.stdin_eof) {
		relay_stdin(a);
		if (!a->rl.active) {
			return;
		}
	}
	if (!a->rl.stdin_eof && relay_send(a) < 0) {
		relay_end(a, tk_stream_error(a->rl.st));
		return;
	}
	rc = relay_stdout(a);
	if (rc < 0) {
		tk_err_sys(&e, TK_NET, "relay", "cannot write to stdout");
		relay_end(a, &e);
		return;
	}
	se = tk_stream_error(a->rl.st);
	if (rc == 1 && se != NULL) {
		/*
		 * after our close_notify a server may close or reset at
		 * once (postfix after QUIT): the end of the conversation,
		 * not a failure
		 */
		relay_end(a, a->rl.stdin_eof ? NULL : se);
		return;
	}
	if (rc == 1 && tk_stream_eof(a->rl.st)) {
		relay_end(a, NULL);   /* the server closed */
		return;
	}
	relay_update(a);
}

static void
on_relay_fd(struct tk_loop *loop, int fd, unsigned events, void *arg)
{
	(void)loop;
	(void)events;
	relay_pump(arg, fd == STDIN_FILENO);
}

static void
on_relay_stream(struct tk_stream *st, void *arg)
{
	(void)st;
	relay_pump(arg, false);
}

static void
on_relay_idle(struct tk_loop *loop, void *arg)
{
	(void)loop;
	relay_end(arg, NULL);
}

static void
on_relay_kick(struct tk_loop *loop, void *arg)
{
	(void)loop;
	relay_pump(arg, true);
}

/*
 * Watches what can move: a full buffer stops its source.  The socket is
 * the stream's: it reads while it has room and wakes on_relay_stream().
 */
static void
relay_update(struct app *a)
{
	struct tk_err e;
	size_t held;

	tk_err_clear(&e);
	if (!a->rl.active) {
		return;
	}
	(void)tk_stream_data(a->rl.st, &held);
	if (a->rl.in_direct) {
		if (a->rl.uplen == 0 && !a->rl.stdin_eof &&
		    !tk_timer_active(&a->rl.kick)) {
			tk_loop_timer_start(a->loop, &a->rl.kick, 0);
		}
	} else if (tk_loop_watch(a->loop, STDIN_FILENO, a->rl.uplen == 0 &&
	    !a->rl.stdin_eof ? TK_READ : 0, on_relay_fd, a, &e) < 0) {
		relay_end(a, &e);
		return;
	}
	if (!a->rl.out_direct && tk_loop_watch(a->loop, STDOUT_FILENO,
	    held > 0 ? TK_WRITE : 0, on_relay_fd, a, &e) < 0) {
		relay_end(a, &e);
	}
}

/* The session is verified: the relay takes its stream. */
static void
relay_start(struct app *a)
{
	struct tk_err e;

	tk_err_clear(&e);
	a->rl.active = true;
	a->rl.st = tk_conn_stream(a->conn, &e);
	if (a->rl.st == NULL) {
		relay_end(a, &e);
		return;
	}
	tk_stream_set_cb(a->rl.st, on_relay_stream, a);
	relay_update(a);
}

static int
relay_prepare(struct app *a, struct tk_err *e)
{
	a->rl.flags0 = fcntl(STDIN_FILENO, F_GETFL);
	a->rl.flags1 = fcntl(STDOUT_FILENO, F_GETFL);
	if (a->rl.flags0 < 0 || a->rl.flags1 < 0) {
		return tk_err_sys(e, TK_USAGE, "relay",
		    "--relay needs stdin and stdout open");
	}
	/* nothing blocks the loop: not even a slow terminal or pipe */
	if (fcntl(STDIN_FILENO, F_SETFL, a->rl.flags0 | O_NONBLOCK) < 0 ||
	    fcntl(STDOUT_FILENO, F_SETFL, a->rl.flags1 | O_NONBLOCK) < 0) {
		return tk_err_sys(e, TK_INTERNAL, "relay",
		    "cannot make stdin and stdout non-blocking");
	}
	tk_timer_init(&a->rl.idle, on_relay_idle, a);
	tk_timer_init(&a->rl.kick, on_relay_kick, a);
	return 0;
}

/* Which of stdin and stdout the loop can poll (after the loop exists). */
static int
relay_probe(struct app *a, struct tk_err *e)
{
	struct tk_err ignore;

	tk_err_clear(&ignore);
	if (tk_loop_watch(a->loop, STDIN_FILENO, TK_READ, on_relay_fd, a,
	    &ignore) < 0) {
		if (ignore.sys_errno != EPERM) {
			*e = ignore;
			return -1;
		}
		a->rl.in_direct = true;
	} else {
		tk_loop_unwatch(a->loop, STDIN_FILENO);
	}
	tk_err_clear(&ignore);
	if (tk_loop_watch(a->loop, STDOUT_FILENO, TK_WRITE, on_relay_fd, a,
	    &ignore) < 0) {
		if (ignore.sys_errno != EPERM) {
			*e = ignore;
			return -1;
		}
		a->rl.out_direct = true;
	} else {
		tk_loop_unwatch(a->loop, STDOUT_FILENO);
	}
	return 0;
}

static void
relay_restore(const struct app *a)
{
	if (a->s.relay) {
		fcntl(STDIN_FILENO, F_SETFL, a->rl.flags0);
		fcntl(STDOUT_FILENO, F_SETFL, a->rl.flags1);
	}
}

/* --- set-up --------------------------------------------------------------- */

static int
prepare(struct app *a, struct tk_err *e)
{
	const char *arg = a->s.args[0];
	const char *scheme_proto = NULL;

	if (tk_settings_derive(TK_TOOL_STARTTLS, &a->s, &a->d, e) < 0 ||
	    tk_target_parse(arg, 0, &a->target, e) < 0) {
		return -1;
	}
	if (a->target.scheme[0] != '\0') {
		tk_scheme_port(a->target.scheme, &scheme_proto);
		if (scheme_proto == NULL) {
			return tk_err_set(e, TK_USAGE, "target",
			    "'%s' is a TLS-from-the-start scheme: use "
			    "tls-check-cert for it, or a STARTTLS scheme "
			    "(smtp, submission, lmtp, imap, pop3, sieve, nntp, "
			    "ftp, xmpp, xmpp-server, ldap, postgres)", arg);
		}
	}
	a->proto = a->s.starttls != NULL ? a->s.starttls : scheme_proto;
	if (a->proto == NULL) {
		return tk_err_set(e, TK_USAGE, "options",
		    "no protocol: give --proto PROTO (%s) or a URL such as "
		    "smtp://HOST", tk_starttls_names());
	}
	if (scheme_proto != NULL && strcmp(scheme_proto, a->proto) != 0) {
		return tk_err_set(e, TK_USAGE, "options",
		    "--proto %s contradicts the URL's scheme '%s'", a->proto,
		    a->target.scheme);
	}
	if (a->target.port == 0) {
		a->target.port = tk_starttls_port(a->proto);
		if (a->target.port == 0) {
			return tk_err_set(e, TK_USAGE, "target",
			    "'%s' has no port, and protocol '%s' has no "
			    "well-known one", arg, a->proto);
		}
	}
	if (a->s.check_injection && !tk_starttls_can_probe(a->proto)) {
		return tk_err_set(e, TK_USAGE, "options",
		    "--check-injection needs a line protocol (smtp, lmtp, "
		    "imap, pop3, sieve, nntp, ftp, line), not '%s'",
		    a->proto);
	}
	if (a->s.relay && a->s.json) {
		return tk_err_set(e, TK_USAGE, "options",
		    "--relay and --json exclude each other (stdout carries "
		    "the server's data)");
	}
	if (a->s.crlf && !a->s.relay) {
		return tk_err_set(e, TK_USAGE, "options",
		    "--crlf goes with --relay");
	}
	a->co = a->d.check;
	/* the dialogue's names are checked before any network I/O */
	{
		struct tk_starttls_conf sc = {
			.host = a->s.hostname != NULL ? a->d.hostname :
			    a->target.host,
			.xmpp_domain = a->s.xmpp_domain,
			.ehlo_name = a->s.ehlo_name,
			.check_injection = a->s.check_injection,
		};
		struct tk_starttls *st = tk_starttls_new_ex(a->proto, &sc, e);

		if (st == NULL) {
			return -1;
		}
		tk_starttls_free(st);
	}
	if (a->s.relay && relay_prepare(a, e) < 0) {
		return -1;
	}
	a->creds = tk_creds_new(&a->d.creds, e);
	if (a->creds == NULL) {
		return -1;
	}
	gnutls_certificate_get_trust_list(tk_creds_gnutls(a->creds),
	    &a->trust);
	a->co.anchor_private = tk_creds_anchor_private;
	a->co.anchor_arg = a->creds;
	a->color = tk_use_color(&a->s, a->s.relay ? stderr : stdout);
	return 0;
}

static int start_conn(struct app *a, bool probe, struct tk_err *e);

static int
run(struct app *a, struct tk_err *e)
{
	tk_tls_set_debug((int)a->s.debug);
	a->loop = tk_loop_new(e);
	if (a->loop == NULL) {
		return -1;
	}
	a->res = tk_resolver_new(a->loop, e);
	if (a->res == NULL || (a->s.relay && relay_probe(a, e) < 0)) {
		return -1;
	}
	tk_resolver_set_map(a->res, &a->d.resolve);
	if (start_conn(a, a->s.check_injection, e) < 0) {
		return -1;
	}
	return tk_loop_run(a->loop, e);
}

static int
start_conn(struct app *a, bool probe, struct tk_err *e)
{
	struct tk_conn_conf cc;

	memset(&cc, 0, sizeof(cc));
	cc.target = a->target;
	cc.hostname = a->s.hostname != NULL ? a->d.hostname : NULL;
	cc.no_sni = a->s.no_sni;
	cc.no_verify = true;      /* tk_certcheck judges the chain */
	cc.family = a->s.ipv4 ? AF_INET : a->s.ipv6 ? AF_INET6 : AF_UNSPEC;
	cc.timeout_ms = (unsigned)(a->s.timeout * 1000);
	cc.starttls = a->proto;
	cc.xmpp_domain = a->s.xmpp_domain;
	cc.ehlo_name = a->s.ehlo_name;
	cc.starttls_after = true;
	cc.check_injection = probe;
	cc.priority = a->d.priority;
	cc.alpn = &a->d.alpn;
	cc.creds = a->creds;
	cc.resolver = a->res;
	cc.proxy = tk_proxy_use(&a->d.proxy, cc.target.host) ?
	    &a->d.proxy.proxy : NULL;
	cc.deadline_ms = a->d.deadline_ms;
	cc.deadline_total_ms = a->d.deadline_total_ms;
	a->conn = tk_conn_new(a->loop, &cc, &a->r, on_conn, a, e);
	if (a->conn == NULL) {
		return -1;
	}
	tk_conn_start(a->conn);
	return 0;
}

int
main(int argc, char **argv)
{
	static struct app a;
	struct tk_err e;
	enum tk_class cls;

	signal(SIGPIPE, SIG_IGN);
	tk_err_clear(&e);
	if (tk_opts_parse(TK_TOOL_STARTTLS, argc, argv, &a.s, &e) < 0) {
		tk_report_error_line(TOOL, NULL, &e, stderr);
		return tk_err_exit_code(e.cls);
	}
	if (a.s.help) {
		tk_opts_help(TK_TOOL_STARTTLS, stdout);
		return 0;
	}
	if (a.s.version) {
		tk_opts_version(TK_TOOL_STARTTLS, stdout);
		return 0;
	}
	if (a.s.list_options) {
		tk_opts_list(TK_TOOL_STARTTLS, stdout);
		return 0;
	}
	tk_result_init(&a.r, TOOL, a.s.args[0]);
	a.r.verdict_always = true;
	if (prepare(&a, &e) < 0 || run(&a, &e) < 0) {
		tk_report_error_line(TOOL, a.s.args[0], &e, stderr);
		cls = e.cls;
	} else {
		cls = a.r.cls;
	}
	relay_restore(&a);
	tk_conn_free(a.conn);
	tk_result_release(&a.r);
	tk_alpn_clear(&a.d.alpn);
	tk_resolver_free(a.res);
	tk_loop_free(a.loop);
	tk_creds_unref(a.creds);
	return tk_err_exit_code(cls);
}
