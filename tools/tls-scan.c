/*
 * tls-scan: what a server's TLS configuration accepts (versions, cipher
 * suites per version and the server's order, groups, DH size, signature
 * algorithms, the certificates of each key type with and without SNI,
 * resumption, 0-RTT, renegotiation, fallback SCSV, compression, OCSP
 * stapling, ALPN, EMS, ETM), judged into findings, with --require rules
 * for CI.  Many targets run at once on one loop (lib/runner), results in
 * input order; each target is lib/scantarget's (over lib/scan), rendered
 * by lib/scanreport.  This file wires the options.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "report.h"
#include "runner.h"
#include "scanreport.h"
#include "scantarget.h"
#include "tool.h"

#include "banned.h"

#define TOOL "tls-scan"

struct app {
	struct tk_tool_ctx t;
	struct tk_runner *rn;
	struct tk_scantarget_conf sc;
	size_t ntargets;             /* after --shard */
	struct tk_tally tally;       /* results emitted */
	char bad[1024];              /* the target the check refused */
};

/* One target of the runner. */
struct job {
	struct tk_scantarget st;
};

static void
start_job(void *arg, void *p, const char *text)
{
	struct app *a = arg;
	struct job *j = p;

	tk_scantarget_start(&j->st, &a->sc, text, tk_runner_done, j);
}

/* The runner hands a finished target over, in input order. */
static enum tk_class
emit_job(void *arg, void *p)
{
	struct app *a = arg;
	struct tk_scantarget *st = &((struct job *)p)->st;
	struct tk_err why;
	enum tk_class cls = tk_scantarget_finish(st, &why);
	bool scanned = st->scan != NULL && !tk_err_is_set(&st->res.err);

	/* -q: the one line, as with several targets */
	if (a->t.s.json) {
		tk_scanreport_json(st, stdout);
	} else if (a->ntargets > 1 || a->t.s.quiet) {
		tk_scanreport_brief(st, stdout);
	}
	if (!a->t.s.json && !a->t.s.quiet && scanned &&
	    (a->ntargets <= 1 || a->t.s.verbose)) {
		tk_scanreport_text(st, stdout);
	}
	fflush(stdout);
	if (!a->t.s.json && !a->t.s.quiet && scanned) {
		tk_report_warnings(TOOL, &st->res.main, stderr);
	}
	if (!a->t.s.quiet && scanned &&
	    st->res.main.verdict.status == TK_VERIFY_SKIPPED) {
		char esc[600];

		tk_escape(st->text, strlen(st->text), esc, sizeof(esc));
		fprintf(stderr, "%s: %s: warning: certificate not verified "
		    "(--insecure)\n", TOOL, esc);
	}
	/* the error, or what failed the check: on stderr when stdout did
	 * not already say it on a terminal */
	if (tk_err_is_set(&why) && (!scanned || tk_tool_stderr_copy(&a->t))) {
		tk_report_error_line(TOOL, st->text, &why, stderr);
	}
	tk_tally_add(&a->tally, cls);
	return cls;
}

static void
release_job(void *arg, void *p)
{
	(void)arg;
	tk_scantarget_release(&((struct job *)p)->st);
}

static int
check_target(void *arg, const char *text, const char *where,
    struct tk_err *e)
{
	struct app *a = arg;

	if (tk_scantarget_check(text, where, TOOL, e) == 0) {
		return 0;
	}
	snprintf(a->bad, sizeof(a->bad), "%s", text);
	return -1;
}

static int
prepare(struct app *a, struct tk_err *e)
{
	struct tk_settings *s = &a->t.s;
	struct tk_runner_conf rc;

	if (s->nargs == 0 && s->targets == NULL) {
		return tk_err_set(e, TK_USAGE, "options", "missing argument: "
		    "%s %s", TOOL, tk_tool_info(a->t.tool)->synopsis);
	}
	if (tk_tool_runner_conf(&a->t, &rc, e) < 0) {
		return -1;
	}
	rc.job_size = sizeof(struct job);
	rc.check = check_target;
	rc.start = start_job;
	rc.emit = emit_job;
	rc.release = release_job;
	rc.arg = a;
	a->rn = tk_runner_new(&rc, e);
	if (a->rn == NULL || tk_tool_derive(&a->t, e) < 0) {
		return -1;
	}
	a->ntargets = tk_runner_count(a->rn);
	if (tk_scantarget_prepare(&a->sc, &a->t, TOOL, a->ntargets, e) < 0) {
		return -1;
	}
	return tk_tool_creds(&a->t, e);
}

int
main(int argc, char **argv)
{
	static struct app a;
	struct tk_err e;
	int code;

	tk_err_clear(&e);
	code = tk_tool_start(&a.t, TK_TOOL_SCAN, TOOL, argc, argv);
	if (code >= 0) {
		return code;
	}
	if (prepare(&a, &e) < 0 || tk_tool_loop(&a.t, &e) < 0 ||
	    tk_runner_run(a.rn, a.t.loop, &e) < 0) {
		tk_report_error_line(TOOL, a.bad[0] != '\0' ? a.bad :
		    a.t.s.nargs == 1 && a.t.s.targets == NULL ? a.t.s.args[0] :
		    NULL, &e, stderr);
		code = tk_err_exit_code(e.cls);
	} else {
		if (!a.t.s.json && !a.t.s.quiet && a.ntargets > 1) {
			tk_tally_print(&a.tally, "targets", stdout);
		}
		code = tk_err_exit_code(tk_runner_worst(a.rn));
	}
	fflush(stdout);
	tk_runner_free(a.rn);
	tk_scantarget_conf_release(&a.sc);
	tk_tool_end(&a.t);
	return code;
}
