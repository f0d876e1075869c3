/*
 * tls-scan's pipeline for one target: the target checked, its connection
 * made from the options (STARTTLS from --starttls or the URL's scheme),
 * the scan (lib/scan) run, then judged (lib/scanfind): the chain's findings
 * of the first handshake, the configuration's findings and the --require
 * rules, into one class.
 */
#ifndef TK_SCANTARGET_H
#define TK_SCANTARGET_H

#include <stdbool.h>
#include <stddef.h>

#include "scan.h"
#include "scanfind.h"
#include "tool.h"

/* What every target shares: made by tk_scantarget_prepare(). */
struct tk_scantarget_conf {
	const struct tk_tool_ctx *t;  /* options, loop, creds (borrowed) */
	const char *tool;
	struct tk_scan_gate *gate;    /* owned */
	struct tk_scanfind_rules rules;
};

/* One target, embedded in its owner and zeroed before the start. */
struct tk_scantarget {
	const struct tk_scantarget_conf *conf;
	const char *text;             /* as given (borrowed) */
	struct tk_target target;
	struct tk_conn_conf cc;
	struct tk_scan *scan;         /* NULL when it could not start */
	struct tk_scan_res res;
	struct tk_err err;            /* why it could not start */
	/* after tk_scantarget_finish() */
	struct tk_findings findings;  /* the chain's and the scan's */
	struct tk_scanfind_outcome req[TK_SCANFIND_RULES_MAX];
	size_t nreq_failed;
	enum tk_class cls;
};

/* The runner's check of one target: HOST[:PORT], a URL of a known
 * scheme.  0, or -1 with err (USAGE). */
int tk_scantarget_check(const char *text, const char *where,
    const char *tool, struct tk_err *err);

/* The shared part, from the options (--require, --max-per-host).  0, or
 * -1 with err. */
int tk_scantarget_prepare(struct tk_scantarget_conf *conf,
    struct tk_tool_ctx *t, const char *tool, size_t ntargets,
    struct tk_err *err);
void tk_scantarget_conf_release(struct tk_scantarget_conf *conf);

/* Starts one target; done(arg) runs once it ended, maybe at once. */
void tk_scantarget_start(struct tk_scantarget *st,
    const struct tk_scantarget_conf *conf, const char *text,
    void (*done)(void *arg), void *arg);

/*
 * Judges a finished target: its findings, the rules, its class (also in
 * st->cls).  *why gets the error to print, when there is one.
 */
enum tk_class tk_scantarget_finish(struct tk_scantarget *st,
    struct tk_err *why);

/* Stops what runs and frees what st holds. */
void tk_scantarget_release(struct tk_scantarget *st);

#endif
