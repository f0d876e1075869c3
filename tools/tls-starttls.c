/*
 * tls-starttls: upgrade a plaintext protocol to TLS the way its RFC says,
 * report the dialogue, the session and the certificate (with the checks
 * and renderer of tls-check-cert), optionally probe for the STARTTLS
 * command injection flaw, and optionally go on talking over the upgraded
 * channel (--relay, lib/relay), like `openssl s_client -starttls`.  Many
 * targets run at once on one loop (lib/runner); results come out in input
 * order.  Each target's pipeline is lib/upgrade's; this file wires the
 * options and the output.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "relay.h"
#include "report.h"
#include "runner.h"
#include "tool.h"
#include "upgrade.h"

#include "banned.h"

#define TOOL "tls-starttls"

struct app;

/* One target of the runner. */
struct job {
	struct tk_upgrade u;
	struct app *app;
	bool printed;                 /* --relay: reported before relaying */
};

struct app {
	struct tk_tool_ctx t;
	struct tk_runner *rn;
	struct tk_relay *rl;          /* --relay */
	size_t ntargets;              /* after --shard */
	struct tk_tally tally;        /* results emitted */
	char bad[512];                /* the target the check refused */
	bool color;
};

/* The runner's check of one target: its dialogue, port and names. */
static int
check_target(void *arg, const char *text, const char *where,
    struct tk_err *err)
{
	struct app *a = arg;

	if (tk_upgrade_check(&a->t, text, err) == 0) {
		return 0;
	}
	snprintf(a->bad, sizeof(a->bad), "%s", text);
	if (where != NULL) {
		size_t l = strlen(err->msg);

		snprintf(err->msg + l, sizeof(err->msg) - l, " (%s)", where);
	}
	return -1;
}

static void
print_report(struct app *a, struct tk_result *r)
{
	/* with --relay stdout carries the server's data */
	FILE *out = a->t.s.relay ? stderr : stdout;
	bool brief = a->t.s.quiet || a->t.s.relay ||
	    (a->ntargets > 1 && a->t.s.verbose == 0);

	tk_result_finish(r);
	if (a->t.s.verbose > 0 && !a->t.s.json) {
		tk_report_text_transcript(r, stderr);
	}
	if (a->t.s.json) {
		if (tk_report_json(r, out) < 0) {
			r->cls = TK_INTERNAL;
		}
	} else {
		/* -q too: the verdict line is the result */
		tk_report_text_check(r, brief, a->color, out);
	}
	fflush(out);
	if (r->verdict.status == TK_VERIFY_SKIPPED && !a->t.s.quiet) {
		/* --insecure says so on stderr, as tls-echo-client does */
		char esc[600];

		tk_escape(r->target, strlen(r->target), esc, sizeof(esc));
		fprintf(stderr, "%s: %s: warning: certificate not verified "
		    "(--insecure)\n", TOOL, esc);
	}
	/* -q keeps errors; on a terminal the verdict line said it once
	 * (--relay: the report is on stderr itself) */
	if (tk_err_is_set(&r->err) && !a->t.s.relay &&
	    tk_tool_stderr_copy(&a->t)) {
		tk_report_error_line(TOOL, r->target, &r->err, stderr);
	}
}

static void
on_relay_end(void *arg, const struct tk_err *e)
{
	struct job *job = arg;
	struct tk_result *r = &job->u.r;

	if (e != NULL && !tk_err_is_set(&r->err)) {
		r->err = *e;
		r->cls = e->cls;
		tk_report_error_line(TOOL, r->target, e, stderr);
	}
	tk_runner_done(job);
}

/* The target's pipeline ended: --relay goes on over the session. */
static void
job_done(void *arg)
{
	struct job *job = arg;
	struct app *a = job->app;
	struct tk_conn *c = tk_upgrade_conn(&job->u);

	if (c != NULL && a->rl != NULL &&
	    (job->u.r.cls == TK_OK || job->u.r.cls == TK_WARN)) {
		/* the report first, on stderr, then the server's data */
		print_report(a, &job->u.r);
		job->printed = true;
		tk_relay_start(a->rl, c, on_relay_end, job);
		return;
	}
	if (c != NULL) {
		tk_tls_bye(tk_conn_tls(c), false);
	}
	tk_runner_done(job);
}

/* The runner starts a target. */
static void
start_job(void *arg, void *p, const char *text)
{
	struct app *a = arg;
	struct job *job = p;

	job->app = a;
	tk_upgrade_start(&job->u, &a->t, TOOL, text, job_done, job);
}

/* The runner hands a finished target over, in input order. */
static enum tk_class
emit_job(void *arg, void *p)
{
	struct app *a = arg;
	struct job *job = p;
	enum tk_class cls;

	if (!job->printed) {
		print_report(a, &job->u.r);
	}
	cls = job->u.r.cls;
	tk_tally_add(&a->tally, cls);
	return cls;
}

static void
release_job(void *arg, void *p)
{
	struct job *job = p;

	(void)arg;
	tk_upgrade_release(&job->u);
}

static int
prepare(struct app *a, struct tk_err *e)
{
	struct tk_settings *s = &a->t.s;
	struct tk_runner_conf rc;

	if (tk_tool_derive(&a->t, e) < 0) {
		return -1;
	}
	if (tk_tool_runner_conf(&a->t, &rc, e) < 0) {
		return -1;
	}
	if (s->relay && s->targets != NULL && strcmp(s->targets, "-") == 0) {
		return tk_err_set(e, TK_USAGE, "options",
		    "--relay reads stdin: give its target as an argument, "
		    "not with --targets -");
	}
	if (s->relay && tk_tool_creds_stdin(s)) {
		return tk_err_set(e, TK_USAGE, "options",
		    "--relay reads stdin: a credentials file cannot be '-' "
		    "(standard input) with it");
	}
	rc.job_size = sizeof(struct job);
	rc.check = check_target;
	rc.start = start_job;
	rc.emit = emit_job;
	rc.release = release_job;
	rc.arg = a;
	a->rn = tk_runner_new(&rc, e);
	if (a->rn == NULL) {
		return -1;
	}
	a->ntargets = tk_runner_count(a->rn);
	if (s->relay && s->json) {
		return tk_err_set(e, TK_USAGE, "options",
		    "--relay and --json exclude each other (stdout carries "
		    "the server's data)");
	}
	if (s->crlf && !s->relay) {
		return tk_err_set(e, TK_USAGE, "options",
		    "--crlf goes with --relay");
	}
	if (s->relay && a->ntargets > 1) {
		return tk_err_set(e, TK_USAGE, "options",
		    "--relay takes one target (stdin and stdout carry one "
		    "session), not %zu", a->ntargets);
	}
	if (s->stream && !s->json) {
		return tk_err_set(e, TK_USAGE, "options",
		    "--stream goes with --json");
	}
	if (a->ntargets == 0 && rc.shard_n == 0) {
		return tk_err_set(e, TK_USAGE, "options",
		    "no target: give HOST[:PORT], URL or --targets FILE");
	}
	if (s->hostname != NULL && a->ntargets > 1) {
		return tk_err_set(e, TK_USAGE, "options",
		    "--hostname takes one target (each target is checked "
		    "for its own host name)");
	}
	if (s->relay) {
		a->rl = tk_relay_new(s->crlf, (unsigned)(s->timeout * 1000), e);
		if (a->rl == NULL) {
			return -1;
		}
	}
	if (tk_tool_creds(&a->t, e) < 0) {
		return -1;
	}
	a->color = tk_opts_use_color(s, s->relay ? stderr : stdout);
	return 0;
}

static int
run(struct app *a, struct tk_err *e)
{
	if (tk_tool_loop(&a->t, e) < 0 ||
	    (a->rl != NULL && tk_relay_attach(a->rl, a->t.loop, e) < 0)) {
		return -1;
	}
	return tk_runner_run(a->rn, a->t.loop, e);
}

int
main(int argc, char **argv)
{
	static struct app a;
	struct tk_err e;
	int code;

	tk_err_clear(&e);
	code = tk_tool_start(&a.t, TK_TOOL_STARTTLS, TOOL, argc, argv);
	if (code >= 0) {
		return code;
	}
	if (prepare(&a, &e) < 0 || run(&a, &e) < 0) {
		/* name the target refused, or the one target given */
		tk_report_error_line(TOOL, a.bad[0] != '\0' ? a.bad :
		    a.t.s.nargs == 1 && a.t.s.targets == NULL ?
		    a.t.s.args[0] : NULL, &e, stderr);
		code = tk_err_exit_code(e.cls);
	} else {
		if (!a.t.s.json && !a.t.s.quiet) {
			tk_tally_print(&a.tally, "targets", stdout);
		}
		code = tk_err_exit_code(tk_runner_worst(a.rn));
	}
	fflush(stdout);
	tk_relay_free(a.rl);
	tk_runner_free(a.rn);
	tk_tool_end(&a.t);
	return code;
}
