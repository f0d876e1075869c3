/*
 * tls-starttls: upgrade a plaintext protocol to TLS the way its RFC says,
 * report the dialogue, the session and the certificate (with the checks
 * and renderer of tls-check-cert), optionally probe for the STARTTLS
 * command injection flaw, and optionally go on talking over the upgraded
 * channel (--relay, lib/relay), like `openssl s_client -starttls`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certcheck.h"
#include "conn.h"
#include "escape.h"
#include "relay.h"
#include "report.h"
#include "starttls.h"
#include "tool.h"

#include "banned.h"

#define TOOL "tls-starttls"

struct app {
	struct tk_tool_ctx t;
	struct tk_target target;
	const char *proto;
	struct tk_result r;
	struct tk_conn *conn;
	struct tk_relay *rl;          /* --relay */
	bool color;
};

static void
check_session(struct app *a)
{
	struct tk_result *r = &a->r;
	struct tk_certcheck_opts co = a->t.co;
	const struct tk_finding *mf;
	struct tk_err after = r->err, e;
	size_t n;

	/* an error of the phase inside TLS; the chain is checked anyway */
	tk_err_clear(&r->err);
	tk_err_clear(&e);
	co.hostname = r->hostname[0] ? r->hostname : NULL;
	if (tk_certcheck_session(tk_tls_session(tk_conn_tls(a->conn)),
	    a->t.trust, &co, &r->chain, &r->verdict, &r->findings, &r->ocsp,
	    &e) < 0) {
		r->err = e;
		r->cls = e.cls;
		return;
	}
	r->checked = true;
	r->cls = tk_findings_class(&r->findings);
	if (a->t.s.insecure) {
		/* the chain is judged and shown, not held against the server */
		r->verdict.status = TK_VERIFY_SKIPPED;
		r->cls = TK_OK;
	}
	/* --insecure skips the certificate, not the dialogue's flaws */
	n = r->findings.n;
	tk_result_starttls_findings(r);
	for (size_t i = n; i < r->findings.n; i++) {
		if (r->findings.f[i].sev == TK_SEV_FAIL) {
			r->cls = TK_CHECK;
		}
	}
	mf = tk_result_main_finding(r);
	if (mf != NULL && r->cls == TK_CHECK) {
		tk_err_set(&r->err, TK_CHECK, tk_result_finding_step(mf),
		    "%s: %s",
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
	FILE *out = a->t.s.relay ? stderr : stdout;

	tk_result_finish(&a->r);
	if (a->t.s.verbose > 0 && !a->t.s.json) {
		tk_report_text_transcript(&a->r, stderr);
	}
	if (a->t.s.json) {
		if (tk_report_json(&a->r, out) < 0) {
			a->r.cls = TK_INTERNAL;
		}
	} else if (!a->t.s.quiet || a->r.cls != TK_OK) {
		tk_report_text_check(&a->r, a->t.s.quiet || a->t.s.relay,
		    a->color, out);
	}
	fflush(out);
	if (tk_err_is_set(&a->r.err) && !a->t.s.quiet) {
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

	return a->t.s.check_injection && !r->injection.retried &&
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
	tk_result_init(&a->r, TOOL, a->t.s.args[0]);
	a->r.verdict_always = true;
	a->r.injection = in;
	tk_err_clear(&e);
	if (start_conn(a, false, &e) < 0) {
		a->r.err = e;
		a->r.cls = e.cls;
		print_report(a);
		tk_loop_stop(a->t.loop);
	}
}

static void
on_relay_end(void *arg, const struct tk_err *e)
{
	struct app *a = arg;

	if (e != NULL && !tk_err_is_set(&a->r.err)) {
		a->r.err = *e;
		a->r.cls = e->cls;
		tk_report_error_line(TOOL, a->r.target, e, stderr);
	}
	tk_loop_stop(a->t.loop);
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
	if (tk_conn_ready(c) && a->t.s.relay &&
	    (a->r.cls == TK_OK || a->r.cls == TK_WARN)) {
		tk_relay_start(a->rl, c, on_relay_end, a);
		return;
	}
	if (tk_conn_ready(c)) {
		tk_tls_bye(tk_conn_tls(c), false);
	}
	tk_loop_stop(a->t.loop);
}

static int
prepare(struct app *a, struct tk_err *e)
{
	const char *arg = a->t.s.args[0];
	const char *scheme_proto = NULL;

	if (tk_tool_derive(&a->t, e) < 0 ||
	    tk_target_parse(arg, 0, &a->target, e) < 0) {
		return -1;
	}
	if (a->target.scheme[0] != '\0') {
		tk_target_scheme_port(a->target.scheme, &scheme_proto);
		if (scheme_proto == NULL) {
			return tk_err_set(e, TK_USAGE, "target",
			    "'%s' is a TLS-from-the-start scheme: use "
			    "tls-check-cert for it, or a STARTTLS scheme "
			    "(smtp, submission, lmtp, imap, pop3, sieve, nntp, "
			    "ftp, xmpp, xmpp-server, ldap, postgres)", arg);
		}
	}
	a->proto = a->t.s.starttls != NULL ? a->t.s.starttls : scheme_proto;
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
	if (a->t.s.check_injection && !tk_starttls_can_probe(a->proto)) {
		return tk_err_set(e, TK_USAGE, "options",
		    "--check-injection needs a line protocol (smtp, lmtp, "
		    "imap, pop3, sieve, nntp, ftp, line), not '%s'",
		    a->proto);
	}
	if (a->t.s.relay && a->t.s.json) {
		return tk_err_set(e, TK_USAGE, "options",
		    "--relay and --json exclude each other (stdout carries "
		    "the server's data)");
	}
	if (a->t.s.crlf && !a->t.s.relay) {
		return tk_err_set(e, TK_USAGE, "options",
		    "--crlf goes with --relay");
	}
	/* the dialogue's names are checked before any network I/O */
	{
		struct tk_starttls_conf sc = {
			.host = a->t.s.hostname != NULL ? a->t.d.hostname :
			    a->target.host,
			.xmpp_domain = a->t.s.xmpp_domain,
			.ehlo_name = a->t.s.ehlo_name,
			.check_injection = a->t.s.check_injection,
		};
		struct tk_starttls *st = tk_starttls_new_ex(a->proto, &sc, e);

		if (st == NULL) {
			return -1;
		}
		tk_starttls_free(st);
	}
	if (a->t.s.relay) {
		a->rl = tk_relay_new(a->t.s.crlf,
		    (unsigned)(a->t.s.timeout * 1000), e);
		if (a->rl == NULL) {
			return -1;
		}
	}
	if (tk_tool_creds(&a->t, e) < 0) {
		return -1;
	}
	a->color = tk_opts_use_color(&a->t.s, a->t.s.relay ? stderr : stdout);
	return 0;
}

static int
start_conn(struct app *a, bool probe, struct tk_err *e)
{
	struct tk_conn_conf cc;

	tk_tool_conn_conf(&a->t, &a->target, &cc);
	/* no_verify: tk_certcheck judges the chain */
	cc.starttls = a->proto;
	cc.xmpp_domain = a->t.s.xmpp_domain;
	cc.ehlo_name = a->t.s.ehlo_name;
	cc.starttls_after = true;
	cc.check_injection = probe;
	a->conn = tk_conn_new(a->t.loop, &cc, &a->r, on_conn, a, e);
	if (a->conn == NULL) {
		return -1;
	}
	tk_conn_start(a->conn);
	return 0;
}

static int
run(struct app *a, struct tk_err *e)
{
	if (tk_tool_loop(&a->t, e) < 0 ||
	    (a->rl != NULL && tk_relay_attach(a->rl, a->t.loop, e) < 0) ||
	    start_conn(a, a->t.s.check_injection, e) < 0) {
		return -1;
	}
	return tk_loop_run(a->t.loop, e);
}

int
main(int argc, char **argv)
{
	static struct app a;
	struct tk_err e;
	enum tk_class cls;
	int rc;

	tk_err_clear(&e);
	rc = tk_tool_start(&a.t, TK_TOOL_STARTTLS, TOOL, argc, argv);
	if (rc >= 0) {
		return rc;
	}
	tk_result_init(&a.r, TOOL, a.t.s.args[0]);
	a.r.verdict_always = true;
	if (prepare(&a, &e) < 0 || run(&a, &e) < 0) {
		tk_report_error_line(TOOL, a.t.s.args[0], &e, stderr);
		cls = e.cls;
	} else {
		cls = a.r.cls;
	}
	tk_relay_free(a.rl);
	tk_conn_free(a.conn);
	tk_result_release(&a.r);
	tk_tool_end(&a.t);
	return tk_err_exit_code(cls);
}
