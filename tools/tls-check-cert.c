/*
 * tls-check-cert: is this endpoint's (or this file's) certificate right
 * for this name, until when, and if not, exactly why?  Many targets run
 * at once on one loop (lib/runner); results come out in input order.
 * Each target's pipeline is lib/checktarget's; this file wires the
 * options and the output.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checktarget.h"
#include "escape.h"
#include "report.h"
#include "runner.h"
#include "starttls.h"
#include "tool.h"

#include "banned.h"

#define TOOL "tls-check-cert"

/* One target of the runner. */
struct job {
	struct tk_checktarget ct;
};

struct app {
	struct tk_tool_ctx t;
	struct tk_runner *rn;
	struct tk_checktarget_conf cc;
	struct tk_fixfetch_conf fc;   /* --fix-chain, --intermediates */
	gnutls_x509_crt_t *inter;
	size_t ntargets;              /* after --shard */
	struct tk_tally tally;        /* results emitted */
	struct tk_nagios nagios;      /* --nagios: the summary so far */
	bool color;
	struct tk_checktarget file;   /* --file */
	enum tk_class save_cls;       /* --save-chain failed: USAGE */
	struct tk_err save_err;       /* and why */
};

/* The runner's check of one target: it parses, and its dialogue is known */
static int
check_target(void *arg, const char *text, const char *where,
    struct tk_err *err)
{
	struct app *a = arg;
	struct tk_target t;
	const char *st;

	if (tk_target_parse_line(text, 443, &t, err) < 0) {
		if (where != NULL) {
			size_t l = strlen(err->msg);

			snprintf(err->msg + l, sizeof(err->msg) - l, " (%s)",
			    where);
		}
		return -1;
	}
	st = NULL;
	if (t.scheme[0] != '\0') {
		tk_target_scheme_port(t.scheme, &st);
	}
	if (a->t.s.starttls != NULL) {
		st = a->t.s.starttls;
	}
	if (st != NULL && !tk_starttls_known(st)) {
		return tk_err_set(err, TK_USAGE, "target",
		    "'%s' needs the STARTTLS dialogue '%s', which this "
		    "version does not speak yet (known: %s)", text, st,
		    tk_starttls_names());
	}
	return 0;
}

/* --fix-chain in text: the chain as PEM, each change a '#' line before. */
static void
print_fixed(const struct tk_check *j, FILE *out)
{
	const struct tk_fixed_chain *f = j->r.fixed;
	char esc[1024];

	if (f == NULL) {
		return;
	}
	tk_escape(j->r.target, strlen(j->r.target), esc, sizeof(esc));
	fprintf(out, "# tls-check-cert --fix-chain %s%s%s: %zu certificate%s, "
	    "%s\n", esc, j->grouped ? " at " : "",
	    j->grouped ? j->r.address : "", f->ncerts,
	    f->ncerts == 1 ? "" : "s",
	    !f->complete ? "INCOMPLETE" : f->changed ? "changed" :
	    "unchanged");
	for (size_t i = 0; i < f->nnotes; i++) {
		tk_escape(f->notes[i].message, strlen(f->notes[i].message),
		    esc, sizeof(esc));
		fprintf(out, "# %s: %s\n", f->notes[i].action, esc);
	}
	fputs(f->pem, out);
}

static void
print_check(struct app *a, struct tk_check *j)
{
	bool brief = a->t.s.quiet || a->ntargets > 1 ||
	    tk_checktarget_count(j->ct) > 1;

	tk_result_finish(&j->r);
	if (a->t.s.nagios) {
		return;
	}
	if (a->t.s.pem) {
		tk_served_pem(&j->served, stdout);
	} else if (a->t.s.fix_chain && !a->t.s.json) {
		print_fixed(j, stdout);
	} else if (a->t.s.json) {
		if (tk_report_json(&j->r, stdout) < 0) {
			j->r.cls = TK_INTERNAL;
		}
	} else {
		tk_report_text_check(&j->r, brief ? a->t.s.verbose == 0 :
		    false, a->color, stdout);
	}
	fflush(stdout);
	/* -q keeps errors; on a terminal the verdict line said it once
	 * (--pem and --fix-chain print no verdict line) */
	if (tk_err_is_set(&j->r.err) && (a->t.s.pem || a->t.s.fix_chain ||
	    tk_tool_stderr_copy(&a->t))) {
		char who[sizeof(j->r.target) + sizeof(j->r.address) + 8];

		/* --all-addresses: say which address of the name failed */
		snprintf(who, sizeof(who), "%s%s%s", j->r.target,
		    j->grouped ? " at " : "", j->grouped ? j->r.address : "");
		tk_report_error_line(TOOL, who, &j->r.err, stderr);
	}
}

/* Prints a check and counts it; returns its class. */
static enum tk_class
emit_check(struct app *a, struct tk_check *c)
{
	struct tk_err e;

	tk_err_clear(&e);
	print_check(a, c);
	/* --save-chain takes one target: saved when it has one result */
	if (a->t.s.save_chain != NULL && tk_checktarget_count(c->ct) == 1 &&
	    tk_served_save(&c->served, a->t.s.save_chain, &e) < 0) {
		tk_report_error_line(TOOL, NULL, &e, stderr);
		a->save_cls = TK_USAGE;
		a->save_err = e;
	}
	tk_tally_add(&a->tally, c->r.cls);
	if (a->t.s.nagios && tk_nagios_add(&a->nagios, &c->r) < 0) {
		return TK_INTERNAL;
	}
	return c->r.cls;
}

/* The runner starts a target. */
static void
start_job(void *arg, void *p, const char *text)
{
	struct app *a = arg;
	struct job *job = p;

	tk_checktarget_start(&job->ct, &a->cc, text, tk_runner_done, job);
}

/* The runner hands a finished target over, in input order. */
static enum tk_class
emit_job(void *arg, void *p)
{
	struct job *job = p;
	enum tk_class worst = TK_OK;

	for (size_t k = 0; k < tk_checktarget_count(&job->ct); k++) {
		worst = tk_class_worst(worst, emit_check(arg,
		    tk_checktarget_result(&job->ct, k)));
	}
	return worst;
}

static void
release_job(void *arg, void *p)
{
	struct job *job = p;

	(void)arg;
	tk_checktarget_release(&job->ct);
}

/* How many of the files the options name are "-" (standard input). */
static unsigned
stdin_uses(const struct tk_settings *s)
{
	const char *one[] = {s->file, s->targets, s->intermediates,
	    s->cert, s->key};
	unsigned k = 0;

	for (size_t i = 0; i < sizeof(one) / sizeof(one[0]); i++) {
		k += one[i] != NULL && tk_creds_is_stdin(one[i]);
	}
	for (size_t i = 0; i < s->nca; i++) {
		k += tk_creds_is_stdin(s->ca[i]);
	}
	return k;
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
	if (s->file != NULL && (s->nargs > 0 || s->targets != NULL)) {
		return tk_err_set(e, TK_USAGE, "options",
		    "--file checks a local chain: give no targets with it");
	}
	if (stdin_uses(s) > 1) {
		return tk_err_set(e, TK_USAGE, "options",
		    "'-' (standard input) is given for more than one of "
		    "--file, --targets, --intermediates, --ca, --cert, --key: "
		    "it can be read only once");
	}
	if (s->pem + s->json + s->nagios > 1) {
		return tk_err_set(e, TK_USAGE, "options",
		    "--pem, --json and --nagios exclude each other");
	}
	if (s->fix_chain && (s->pem || s->nagios)) {
		return tk_err_set(e, TK_USAGE, "options",
		    "--fix-chain prints a chain: not with --pem or --nagios");
	}
	if (s->intermediates != NULL && !s->fix_chain) {
		return tk_err_set(e, TK_USAGE, "options",
		    "--intermediates goes with --fix-chain");
	}
	if (s->intermediates != NULL) {
		gnutls_datum_t data = {NULL, 0};
		int rc2;

		if (tk_creds_read_file(s->intermediates, "intermediates file",
		    &data, e) < 0) {
			return -1;
		}
		rc2 = tk_creds_load_certs(&data, "intermediates file",
		    s->intermediates, &a->inter,
		    &a->fc.ninter, e);
		gnutls_free(data.data);
		if (rc2 < 0) {
			return -1;
		}
	}
	if (s->all_addresses && s->file != NULL) {
		return tk_err_set(e, TK_USAGE, "options",
		    "--all-addresses checks servers: not with --file");
	}
	if (s->stream && !s->json) {
		return tk_err_set(e, TK_USAGE, "options",
		    "--stream goes with --json");
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
	if (s->file == NULL && a->ntargets == 0 && rc.shard_n == 0) {
		return tk_err_set(e, TK_USAGE, "options",
		    "no target: give HOST[:PORT], URL, --targets FILE or "
		    "--file CHAIN");
	}
	if (s->save_chain != NULL && a->ntargets + (s->file != NULL) > 1) {
		return tk_err_set(e, TK_USAGE, "options",
		    "--save-chain takes one target");
	}
	if (s->hostname != NULL && a->ntargets > 1) {
		return tk_err_set(e, TK_USAGE, "options",
		    "--hostname takes one target (each target is checked "
		    "for its own host name)");
	}
	return tk_tool_creds(&a->t, e);
}

static int
run(struct app *a, struct tk_err *e)
{
	a->fc.t = &a->t;
	a->fc.inter = a->inter;
	a->cc.t = &a->t;
	a->cc.tool = TOOL;
	a->cc.fix = a->t.s.fix_chain ? &a->fc : NULL;
	if (a->t.s.file == NULL) {
		return tk_tool_loop(&a->t, e) < 0 ? -1 :
		    tk_runner_run(a->rn, a->t.loop, e);
	}
	/* --fix-chain: AIA fetches run on the loop */
	if ((a->t.s.fix_chain && tk_tool_loop(&a->t, e) < 0) ||
	    tk_checktarget_file(&a->file, &a->cc, a->t.s.file, e) < 0) {
		return -1;
	}
	emit_check(a, &a->file.one);
	return 0;
}
/*
 * Whether the command line asks for --nagios (or a prefix getopt takes
 * for it), even when the parse stopped before it.
 */
static bool
nagios_asked(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		size_t len = strlen(argv[i]);

		if (strcmp(argv[i], "--") == 0) {
			break;
		}
		if (len >= 4 && strncmp(argv[i], "--nagios", len) == 0) {
			return true;
		}
	}
	return false;
}

int
main(int argc, char **argv)
{
	static struct app a;
	struct tk_err e;
	int code;

	tk_err_clear(&e);
	code = tk_tool_start(&a.t, TK_TOOL_CHECK_CERT, TOOL, argc, argv);
	if (code > 0 && nagios_asked(argc, argv)) {
		/* a plugin's bad command line is UNKNOWN, said on stdout
		 * too: the monitoring system shows only stdout */
		printf("TLS UNKNOWN - %s\n", a.t.start_err.msg);
		return 3;
	}
	if (code >= 0) {
		return code;
	}
	a.color = tk_opts_use_color(&a.t.s, stdout);
	if (prepare(&a, &e) < 0 || run(&a, &e) < 0) {
		tk_report_error_line(TOOL, NULL, &e, stderr);
		if (a.t.s.nagios) {
			printf("TLS UNKNOWN - %s\n", e.msg);
		}
		code = a.t.s.nagios ? 3 : tk_err_exit_code(e.cls);
	} else if (a.t.s.nagios && a.save_cls != TK_OK) {
		/* the chain was checked but not saved as asked: UNKNOWN,
		 * as any other local failure (the plugin guidelines) */
		printf("TLS UNKNOWN - %s\n", a.save_err.msg);
		code = 3;
	} else if (a.t.s.nagios) {
		code = tk_nagios_print(&a.nagios, a.t.co.warn_days,
		    a.t.co.crit_days, stdout);
	} else {
		if (!a.t.s.json && !a.t.s.pem && !a.t.s.quiet) {
			tk_tally_print(&a.tally, a.t.s.all_addresses ?
			    "addresses" : "targets", stdout);
		}
		code = tk_err_exit_code(tk_class_worst(a.save_cls,
		    a.t.s.file != NULL ? a.file.one.r.cls :
		    tk_runner_worst(a.rn)));
	}
	fflush(stdout);
	tk_runner_free(a.rn);
	tk_checktarget_release(&a.file);
	tk_nagios_release(&a.nagios);
	for (unsigned i = 0; i < a.fc.ninter; i++) {
		gnutls_x509_crt_deinit(a.inter[i]);
	}
	gnutls_free(a.inter);
	tk_tool_end(&a.t);
	return code;
}
