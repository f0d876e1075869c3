/*
 * The start and end of every tool's main(): the option parse with
 * --help, --version and --list-options, the derived settings, the
 * credentials, the loop and its one resolver, the --deadline clip and the
 * per-target connection configuration (docs/ARCHITECTURE.md, "Modules").
 * Each step is its own call, so that a tool runs its own checks between
 * them (a tool that never connects skips the loop).
 */
#ifndef TK_TOOL_H
#define TK_TOOL_H

#include <stdbool.h>
#include <stdint.h>

#include "conn.h"
#include "opts.h"
#include "runner.h"

struct tk_tool_ctx {
	enum tk_tool tool;
	const char *name;           /* "tls-check-cert", for messages */
	struct tk_settings s;
	struct tk_derived d;        /* after tk_tool_derive() */
	struct tk_certcheck_opts co;  /* d.check, plus the anchor origin
	                               * once the creds exist */
	struct tk_creds *creds;     /* after tk_tool_creds(); owned */
	gnutls_x509_trust_list_t trust;  /* borrowed from creds */
	struct tk_loop *loop;       /* after tk_tool_loop(); owned */
	struct tk_resolver *res;    /* on loop, with --resolve; owned */
	struct tk_err start_err;    /* why tk_tool_start() returned 2 */
};

/*
 * Ignores SIGPIPE, clears t and parses argv for tool into t->s.
 * Returns -1 to go on, or the exit code main() returns at once: 0 when
 * --help, --version or --list-options was printed on stdout, 2 when the
 * command line is bad (said on stderr, "name: options: why", and kept
 * in t->start_err).
 */
int tk_tool_start(struct tk_tool_ctx *t, enum tk_tool tool,
    const char *name, int argc, char **argv);

/* tk_settings_derive() into t->d and t->co.  0 or -1 with err. */
int tk_tool_derive(struct tk_tool_ctx *t, struct tk_err *err);

/*
 * Loads the credentials of t->d.creds; fills t->trust and the anchor
 * origin of t->co (tk_creds_anchor_private).  0 or -1 with err.
 */
int tk_tool_creds(struct tk_tool_ctx *t, struct tk_err *err);

/*
 * Sets the GnuTLS debug level (--debug) and makes the loop; for a client
 * tool also the one resolver every connection shares, with the --resolve
 * map (tls-echo-server gets none: t->res stays NULL).  A server that
 * forks calls it in each worker.  0 or -1 with err.
 */
int tk_tool_loop(struct tk_tool_ctx *t, struct tk_err *err);

/*
 * ms, or what is left of --deadline when that is sooner (0 once it has
 * run out).  For every wait a tool arms outside tk_conn.
 */
uint64_t tk_tool_left_ms(const struct tk_tool_ctx *t, uint64_t ms);

/* --timeout in ms, clipped by --deadline (tk_tool_left_ms). */
uint64_t tk_tool_timeout_ms(const struct tk_tool_ctx *t);

/*
 * The connection configuration the options say for target: --hostname,
 * --no-sni, -4/-6, --timeout, --deadline, the priority string, the ALPN
 * list of t->d, the creds, the resolver and the proxy when the target's
 * host goes through it (with -v, said on stderr when a proxy is
 * configured: which, or why none).  STARTTLS, --insecure and how the
 * chain is judged are the tool's: cc->no_verify is true (the tool calls
 * tk_certcheck itself) and cc->starttls is NULL.  Pointers in cc borrow
 * from t.
 */
void tk_tool_conn_conf(const struct tk_tool_ctx *t,
    const struct tk_target *target, struct tk_conn_conf *cc);

/* Does a credentials file of s (--cert, --key, --ca) read standard
 * input ("-")?  It can be read only once: a tool that reads its data or
 * targets from stdin too refuses the pair (exit 2). */
bool tk_tool_creds_stdin(const struct tk_settings *s);

/*
 * The runner configuration the options say: the targets of argv and
 * --targets, --parallel, --shard (parsed: a bad one is USAGE), --stream
 * with --json.  The tool adds job_size, its callbacks and arg.  0, or -1
 * with err.
 */
int tk_tool_runner_conf(const struct tk_tool_ctx *t,
    struct tk_runner_conf *rc, struct tk_err *err);

/*
 * Whether a target's failure, already on stdout (the verdict line), is
 * copied to stderr as "tool: target: step: message": only when stdout is
 * not a terminal (redirected: a script or a log sees it) or carries JSON.
 * On a terminal the failure is printed once (man/tlskit.7, "OUTPUT").
 */
bool tk_tool_stderr_copy(const struct tk_tool_ctx *t);

/* Frees the loop, resolver, creds and derived ALPN list; t may be zeroed. */
void tk_tool_end(struct tk_tool_ctx *t);

#endif
