/*
 * tls-alpn-probe: which application protocols a server accepts, which it
 * selects for a list, and in which order it prefers them (RFC 7301).
 * Many targets run at once on one loop (lib/runner), results in input
 * order; each target's probes are lib/alpntarget's (over lib/alpnprobe),
 * rendered by lib/alpnreport.  This file wires the options.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alpnreport.h"
#include "alpntarget.h"
#include "escape.h"
#include "report.h"
#include "runner.h"
#include "tool.h"

#include "banned.h"

#define TOOL "tls-alpn-probe"

struct app {
	struct tk_tool_ctx t;
	struct tk_runner *rn;
	struct tk_alpntarget_conf ac;
	size_t ntargets;             /* after --shard */
	struct tk_tally tally;        /* results emitted */
	char bad[1024];              /* the target the check refused */
};

/* One target of the runner. */
struct job {
	struct tk_alpntarget at;
};

/* The runner starts a target. */
static void
start_job(void *arg, void *p, const char *text)
{
	struct app *a = arg;
	struct job *j = p;

	tk_alpntarget_start(&j->at, &a->ac, text, tk_runner_done, j);
}

/*
 * Whether stdout's text already says why the target failed: a probe line
 * it printed quotes this error or the refusal, or the expect line says
 * "not met".  Otherwise (a chain that failed verification, no handshake
 * completed) only the stderr line says it, on a terminal too.
 */
static bool
why_in_text(const struct tk_alpntarget *at, const struct tk_err *why,
    bool brief)
{
	const struct tk_alpn_probe *m = at->main;

	if (why->step != NULL && strcmp(why->step, "expect") == 0) {
		return true;
	}
	if (m != NULL && (m->out == TK_ALPN_REFUSED ||
	    ((m->out == TK_ALPN_ERROR || m->out == TK_ALPN_PENDING) &&
	    strcmp(m->r.err.msg, why->msg) == 0))) {
		return true;
	}
	for (size_t i = 0; !brief && i < at->neach; i++) {
		const struct tk_alpn_probe *p = tk_alpnprobe_each(at->ap, i);

		if (p->out == TK_ALPN_ERROR &&
		    strcmp(p->r.err.msg, why->msg) == 0) {
			return true;
		}
	}
	return false;
}

/* The runner hands a finished target over, in input order. */
static enum tk_class
emit_job(void *arg, void *p)
{
	struct app *a = arg;
	struct tk_alpntarget *at = &((struct job *)p)->at;
	const struct tk_alpn_probe *p0 = NULL;
	struct tk_err why;
	enum tk_class cls = tk_alpntarget_finish(at, &why);

	if (at->ap != NULL) {
		if (a->t.s.json) {
			tk_alpnreport_json(at, cls, stdout);
		} else if (a->ntargets > 1) {
			tk_alpnreport_brief(at, cls, stdout);
		}
		if (!a->t.s.json && (a->ntargets <= 1 || a->t.s.verbose)) {
			tk_alpnreport_text(at, stdout);
		}
		fflush(stdout);
		p0 = tk_alpnprobe_first(at->ap);
	}
	if (!a->t.s.json && !a->t.s.quiet && p0 != NULL) {
		tk_report_warnings(TOOL, &p0->r, stderr);
	}
	if (!a->t.s.quiet && p0 != NULL &&
	    p0->r.verdict.status == TK_VERIFY_SKIPPED) {
		/* --insecure says so on stderr, as tls-echo-client does */
		char esc[600];

		tk_escape(at->text, strlen(at->text), esc, sizeof(esc));
		fprintf(stderr, "%s: %s: warning: certificate not verified "
		    "(--insecure)\n", TOOL, esc);
	}
	/* -q keeps errors; on a terminal the result lines said it once,
	 * unless they could not */
	if (tk_err_is_set(&why) && (at->ap == NULL ||
	    tk_tool_stderr_copy(&a->t) || !why_in_text(at, &why,
	    a->ntargets > 1 && !a->t.s.verbose))) {
		tk_report_error_line(TOOL, at->text, &why, stderr);
	}
	tk_tally_add(&a->tally, cls);
	return cls;
}

static void
release_job(void *arg, void *p)
{
	(void)arg;
	tk_alpntarget_release(&((struct job *)p)->at);
}

/* The runner's check of one target; main() names it on the error line */
static int
check_target(void *arg, const char *text, const char *where,
    struct tk_err *e)
{
	struct app *a = arg;

	if (tk_alpntarget_check(text, where, TOOL, e) == 0) {
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
	if (tk_alpntarget_prepare(&a->ac, &a->t, TOOL, a->ntargets, e) < 0) {
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
	code = tk_tool_start(&a.t, TK_TOOL_ALPN_PROBE, TOOL, argc, argv);
	if (code >= 0) {
		return code;
	}
	if (prepare(&a, &e) < 0 || tk_tool_loop(&a.t, &e) < 0 ||
	    tk_runner_run(a.rn, a.t.loop, &e) < 0) {
		/* one target on the command line: the line names it */
		tk_report_error_line(TOOL, a.bad[0] != '\0' ? a.bad :
		    a.t.s.nargs == 1 && a.t.s.targets == NULL ? a.t.s.args[0] :
		    NULL, &e, stderr);
		code = tk_err_exit_code(e.cls);
	} else {
		if (!a.t.s.json && !a.t.s.quiet) {
			tk_tally_print(&a.tally, "targets", stdout);
		}
		code = tk_err_exit_code(tk_runner_worst(a.rn));
	}
	fflush(stdout);
	tk_runner_free(a.rn);
	tk_alpntarget_conf_release(&a.ac);
	tk_tool_end(&a.t);
	return code;
}
