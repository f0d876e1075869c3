/*
 * tls-starttls's pipeline for one target (upgrade.h): the dialogue and
 * port from --proto or the URL's scheme, tk_conn with the dialogue and
 * the phase inside TLS, the chain judged as tls-check-cert judges it, and
 * the injection probe (docs/ARCHITECTURE.md, "The client data path").
 */
#include <stdlib.h>
#include <string.h>

#include "certcheck.h"
#include "conn.h"
#include "escape.h"
#include "starttls.h"
#include "upgrade.h"

#include "banned.h"

/* The target's address and dialogue; 0 or -1 with err (USAGE). */
static int
target_conf(const struct tk_tool_ctx *t, const char *text,
    struct tk_target *target, const char **proto, struct tk_err *e)
{
	const char *scheme_proto = NULL;

	if (tk_target_parse_line(text, 0, target, e) < 0) {
		return -1;
	}
	if (target->scheme[0] != '\0') {
		tk_target_scheme_port(target->scheme, &scheme_proto);
		if (scheme_proto == NULL) {
			return tk_err_set(e, TK_USAGE, "target",
			    "'%s' is a TLS-from-the-start scheme: use "
			    "tls-check-cert for it, or a STARTTLS scheme "
			    "(smtp, submission, lmtp, imap, pop3, sieve, nntp, "
			    "ftp, xmpp, xmpp-server, ldap, postgres)", text);
		}
	}
	*proto = t->s.starttls != NULL ? t->s.starttls : scheme_proto;
	if (*proto == NULL) {
		return tk_err_set(e, TK_USAGE, "options",
		    "no protocol: give --proto PROTO (%s) or a URL such as "
		    "smtp://HOST", tk_starttls_names());
	}
	if (scheme_proto != NULL && strcmp(scheme_proto, *proto) != 0) {
		return tk_err_set(e, TK_USAGE, "options",
		    "--proto %s contradicts the URL's scheme '%s'", *proto,
		    target->scheme);
	}
	if (target->port == 0) {
		target->port = tk_starttls_port(*proto);
		if (target->port == 0) {
			return tk_err_set(e, TK_USAGE, "target",
			    "'%s' has no port, and protocol '%s' has no "
			    "well-known one", text, *proto);
		}
	}
	if (t->s.check_injection && !tk_starttls_can_probe(*proto)) {
		return tk_err_set(e, TK_USAGE, "options",
		    "--check-injection needs a line protocol (smtp, lmtp, "
		    "imap, pop3, sieve, nntp, ftp, line), not '%s'", *proto);
	}
	return 0;
}

int
tk_upgrade_check(const struct tk_tool_ctx *t, const char *text,
    struct tk_err *err)
{
	struct tk_target target;
	struct tk_starttls_conf sc;
	struct tk_starttls *st;
	const char *proto;

	if (target_conf(t, text, &target, &proto, err) < 0) {
		return -1;
	}
	/* the dialogue's names are checked before any network I/O */
	memset(&sc, 0, sizeof(sc));
	sc.host = t->s.hostname != NULL ? t->d.hostname :
	    target.name[0] != '\0' ? target.name : target.host;
	sc.xmpp_domain = t->s.xmpp_domain;
	sc.ehlo_name = t->s.ehlo_name;
	sc.check_injection = t->s.check_injection;
	st = tk_starttls_new_ex(proto, &sc, err);
	if (st == NULL) {
		return -1;
	}
	tk_starttls_free(st);
	return 0;
}

/* Judges the chain of the session up on u->conn, then the dialogue. */
static void
check_session(struct tk_upgrade *u)
{
	struct tk_result *r = &u->r;
	struct tk_certcheck_opts co = u->t->co;
	const struct tk_finding *mf;
	struct tk_err after = r->err, e;
	size_t n;

	/* an error of the phase inside TLS; the chain is checked anyway */
	tk_err_clear(&r->err);
	tk_err_clear(&e);
	co.hostname = r->hostname[0] ? r->hostname : NULL;
	if (tk_certcheck_session(tk_tls_session(tk_conn_tls(u->conn)),
	    u->t->trust, &co, &r->chain, &r->verdict, &r->findings, &r->ocsp,
	    &e) < 0) {
		r->err = e;
		r->cls = e.cls;
		return;
	}
	r->checked = true;
	r->cls = tk_findings_class(&r->findings);
	if (u->t->s.insecure) {
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

/*
 * Many servers (dovecot, vsftpd) take the probe pipelined after STARTTLS
 * as the first bytes of the handshake and end it: they did not run the
 * command, so they are not vulnerable, but the session is lost.
 */
static bool
probe_broke_handshake(const struct tk_upgrade *u)
{
	const struct tk_result *r = &u->r;

	return u->t->s.check_injection && !r->injection.retried &&
	    r->err.step != NULL && strcmp(r->err.step, "handshake") == 0 &&
	    (r->cls == TK_TLS || r->cls == TK_NET);
}

static void on_conn(struct tk_conn *c, void *arg);

static int
start_conn(struct tk_upgrade *u, bool probe, struct tk_err *e)
{
	struct tk_conn_conf cc;

	tk_tool_conn_conf(u->t, &u->target, &cc);
	/* no_verify: tk_certcheck judges the chain */
	cc.starttls = u->proto;
	cc.xmpp_domain = u->t->s.xmpp_domain;
	cc.ehlo_name = u->t->s.ehlo_name;
	cc.starttls_after = true;
	cc.check_injection = probe;
	u->conn = tk_conn_new(u->t->loop, &cc, &u->r, on_conn, u, e);
	if (u->conn == NULL) {
		return -1;
	}
	tk_conn_start(u->conn);
	return 0;
}

/* The same target again without the probe, for the session and chain. */
static void
retry_without_probe(struct tk_upgrade *u)
{
	struct tk_injection in = u->r.injection;
	struct tk_err e;

	tk_escape(u->r.err.msg, strlen(u->r.err.msg), in.detail,
	    sizeof(in.detail));
	in.checked = true;
	in.vulnerable = false;
	in.retried = true;
	tk_conn_free(u->conn);
	u->conn = NULL;
	tk_result_release(&u->r);
	tk_result_init(&u->r, u->tool, u->text);
	u->r.injection = in;
	tk_err_clear(&e);
	if (start_conn(u, false, &e) < 0) {
		u->r.err = e;
		u->r.cls = e.cls;
		u->done(u->arg);
	}
}

static void
on_conn(struct tk_conn *c, void *arg)
{
	struct tk_upgrade *u = arg;

	if (!tk_conn_ready(c) && probe_broke_handshake(u)) {
		retry_without_probe(u);
		return;
	}
	if (tk_conn_ready(c)) {
		check_session(u);
	}
	u->done(u->arg);
}

void
tk_upgrade_start(struct tk_upgrade *u, const struct tk_tool_ctx *t,
    const char *tool, const char *text, void (*done)(void *arg), void *arg)
{
	struct tk_err e;

	u->t = t;
	u->tool = tool;
	u->text = text;
	u->done = done;
	u->arg = arg;
	tk_result_init(&u->r, tool, text);
	tk_err_clear(&e);
	if (target_conf(t, text, &u->target, &u->proto, &e) < 0 ||
	    start_conn(u, t->s.check_injection, &e) < 0) {
		u->r.err = e;
		u->r.cls = e.cls;
		done(arg);
	}
}

struct tk_conn *
tk_upgrade_conn(const struct tk_upgrade *u)
{
	return u->conn != NULL && tk_conn_ready(u->conn) ? u->conn : NULL;
}

void
tk_upgrade_release(struct tk_upgrade *u)
{
	tk_conn_free(u->conn);
	u->conn = NULL;
	tk_result_release(&u->r);
}
