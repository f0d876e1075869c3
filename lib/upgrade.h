/*
 * tls-starttls's pipeline for one target: its dialogue and port (--proto
 * or the URL's scheme), the connection (tk_conn) with the dialogue and
 * the phase inside TLS, the served chain judged (tk_certcheck_session)
 * with the dialogue's findings, and --check-injection with its retry
 * without the probe when the server ends the handshake over it.  The
 * outcome is one result; the caller renders it and may go on talking
 * over the session (--relay).
 */
#ifndef TK_UPGRADE_H
#define TK_UPGRADE_H

#include "result.h"
#include "tool.h"

/* Embedded in its owner, zeroed before tk_upgrade_start(). */
struct tk_upgrade {
	const struct tk_tool_ctx *t;  /* options, loop, creds (borrowed) */
	const char *tool;             /* for the result (borrowed) */
	const char *text;             /* the target as given (borrowed) */
	struct tk_result r;
	struct tk_target target;
	const char *proto;            /* static */
	struct tk_conn *conn;
	void (*done)(void *arg);
	void *arg;
};

/*
 * Checks the target text before any network I/O, as t's options say: it
 * parses; its dialogue (--proto or its URL's STARTTLS scheme, which must
 * agree) is known; it has a port (its own or the dialogue's well-known
 * one); --check-injection can probe that dialogue; and the names the
 * dialogue sends (--hostname or the host, --xmpp-domain, --ehlo-name)
 * are valid.  0, or -1 with err (USAGE; INTERNAL without memory).
 */
int tk_upgrade_check(const struct tk_tool_ctx *t, const char *text,
    struct tk_err *err);

/*
 * Starts the target text (checked by tk_upgrade_check(), living until
 * the release) on t's loop, with the injection probe under
 * --check-injection.  done(arg) runs once, maybe before this returns,
 * when u->r holds the outcome (not yet tk_result_finish()ed).
 */
void tk_upgrade_start(struct tk_upgrade *u, const struct tk_tool_ctx *t,
    const char *tool, const char *text, void (*done)(void *arg), void *arg);

/*
 * After done: the connection with its TLS session up and judged
 * (borrowed, until the release), or NULL when the target failed before.
 */
struct tk_conn *tk_upgrade_conn(const struct tk_upgrade *u);

/* Stops what runs and frees what u holds; u may be zeroed. */
void tk_upgrade_release(struct tk_upgrade *u);

#endif
