/*
 * tls-alpn-probe's pipeline for one target: the target checked, the
 * list to ask about prepared once from the options, then the target's
 * probes (alpnprobe) with the connection the options say (tool), and
 * what they found.  The caller renders it (docs/ARCHITECTURE.md, "The
 * target runner").
 */
#ifndef TK_ALPNTARGET_H
#define TK_ALPNTARGET_H

#include <stdbool.h>
#include <stddef.h>

#include "alpnprobe.h"
#include "tool.h"

/* What every target shares: made by tk_alpntarget_prepare(). */
struct tk_alpntarget_conf {
	const struct tk_tool_ctx *t;  /* options, loop, creds (borrowed) */
	const char *tool;             /* for the results */
	struct tk_alpn list;          /* what is asked about, owned */
	bool whole;                   /* the whole list in one handshake */
};

/* One target, embedded in its owner and zeroed before the start. */
struct tk_alpntarget {
	const struct tk_alpntarget_conf *conf;
	const char *text;             /* as given (borrowed) */
	struct tk_alpnprobe *ap;      /* NULL when it could not start */
	struct tk_err err;            /* why it could not start */
	/* after done, filled by tk_alpntarget_finish() */
	const struct tk_alpn_probe *main;   /* NULL unless whole */
	size_t neach;
	enum tk_alpn_order mode;
	char *const *accepted, *const *pref;
	size_t naccepted, npref;
};

/*
 * Checks one target before anything runs: it parses and is HOST[:PORT]
 * or an https:// URL.  where (the runner's "targets file line 3", or
 * NULL) ends the message.  0, or -1 with err (USAGE).
 */
int tk_alpntarget_check(const char *text, const char *where,
    const char *tool, struct tk_err *err);

/*
 * The shared part, after tk_tool_derive(), for ntargets targets:
 * --stream only with --json, --hostname only for one target, --expect
 * one protocol, the list to ask about (tk_alpnprobe_list, t's derived
 * --alpn moved into conf) and whether it fits one handshake.  0, or -1
 * with err (USAGE, INTERNAL without memory).  conf->list is released by
 * tk_alpntarget_conf_release(), even after a failure.
 */
int tk_alpntarget_prepare(struct tk_alpntarget_conf *conf,
    struct tk_tool_ctx *t, const char *tool, size_t ntargets,
    struct tk_err *err);
void tk_alpntarget_conf_release(struct tk_alpntarget_conf *conf);

/*
 * Starts the probes of text (checked already, living until the
 * release), up to --parallel at once.  done(arg) runs once, maybe before
 * this returns; when the probes could not start at all, at->ap is NULL
 * and at->err says why.
 */
void tk_alpntarget_start(struct tk_alpntarget *at,
    const struct tk_alpntarget_conf *conf, const char *text,
    void (*done)(void *arg), void *arg);

/*
 * After done: fills the outcome fields of at and returns the target's
 * class (tk_alpnprobe_class with --expect); *why gets the cause to print,
 * if any (it starts cleared).
 */
enum tk_class tk_alpntarget_finish(struct tk_alpntarget *at,
    struct tk_err *why);

/* Stops what runs and frees what at holds. */
void tk_alpntarget_release(struct tk_alpntarget *at);

#endif
