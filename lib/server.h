/*
 * The server side of a connection, for tls-echo-server: accept on the
 * given listeners, an optional plaintext phase (the line protocol or a
 * starttls_srv dialogue), the handshake (a client's chain judged by
 * certcheck, purpose clientAuth), then the echo or the dialogue inside
 * TLS over a stream, the idle timeout and close_notify
 * (docs/ARCHITECTURE.md, "The server side").  Many clients on one loop.
 * The module prints nothing: each ended connection goes to a callback.
 * tk_server_workers() runs the --workers supervisor.
 */
#ifndef TK_SERVER_H
#define TK_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "certcheck.h"
#include "creds.h"
#include "hello.h"
#include "loop.h"
#include "sockaddr.h"
#include "tls.h"

/* What one ended connection did, for the tool's log line. */
struct tk_server_client_info {
	const char *peer;             /* "ADDR:PORT" */
	bool tls_done;                /* tls is filled */
	/*
	 * tls.group: a TLS 1.2 DHE session on --dh-params names its group
	 * "DHE-BITS" (GnuTLS names only the RFC 7919 groups)
	 */
	struct tk_tls_info tls;
	const struct tk_hello *hello; /* what the client offered, or NULL */
	uint64_t handshake_ms;        /* handshake time, when tls_done */
	bool client_cert;             /* the client sent a chain: judged */
	bool client_verified;
	const char *client_subject;
	uint64_t bytes_in, bytes_out; /* plaintext and TLS payload */
	uint64_t duration_ms;
	size_t injected;              /* plaintext after STARTTLS, discarded */
	const struct tk_err *err;     /* class OK: a clean end */
};

struct tk_server_conf {
	const char *starttls;         /* tk_starttls_srv_known(), or NULL */
	const char *priority;         /* built by tk_tls_priority() */
	const struct tk_alpn *alpn;   /* borrowed */
	bool alpn_optional;           /* no overlap is not a failure */
	enum tk_client_cert client_cert;
	/* how a client's chain is judged (borrowed; purpose clientAuth) */
	const struct tk_certcheck_opts *check;
	double handshake_timeout;     /* seconds, plaintext phase included */
	double idle_timeout;          /* seconds without a byte moving */
	uint64_t max_connections;     /* more are accepted and closed */
	bool once;                    /* one client, then the loop stops */
	/*
	 * --http: after the handshake one HTTP/1.1 request (at most
	 * TK_SERVER_HTTP_MAX bytes, within handshake_timeout) is answered
	 * with 200 and a summary of the session, then the connection closes
	 */
	bool http;
	const int *lfds;              /* listening sockets, borrowed */
	int nl;
	/* each connection as it ends; info lives for the call */
	void (*on_client)(const struct tk_server_client_info *info,
	    void *arg);
	/* accept failed for want of descriptors or memory: paused 100 ms */
	void (*on_pause)(int errnum, void *arg);
	void *arg;
};

#define TK_SERVER_HTTP_MAX 8192   /* bytes of an --http request head */

struct tk_server;

/*
 * Watches conf->lfds on loop (borrowed) and serves; takes a reference on
 * creds.  NULL with err (INTERNAL).
 */
struct tk_server *tk_server_new(struct tk_loop *loop,
    const struct tk_server_conf *conf, struct tk_creds *creds,
    struct tk_err *err);
/*
 * Ends every live client (each reported, class NET "server stopped" if it
 * had no error) and frees; the listeners stay open.  Accepts NULL.
 */
void tk_server_free(struct tk_server *srv);
/* New sessions use creds (a reference taken); live ones keep theirs. */
void tk_server_set_creds(struct tk_server *srv, struct tk_creds *creds);
/* A last close_notify to each client past its handshake; no waiting. */
void tk_server_bye_all(struct tk_server *srv);
/*
 * With conf->once: true once the client ended, its class in *cls (the
 * loop was stopped then).
 */
bool tk_server_once_done(const struct tk_server *srv, enum tk_class *cls);

/*
 * --max-connections needs that many descriptors: raises the soft
 * RLIMIT_NOFILE up to the hard limit, and says on log (prefixed prog)
 * when even that is too low.
 */
void tk_server_raise_fd_limit(uint64_t max_connections, const char *prog,
    FILE *log);

/*
 * --workers n > 1: forks n workers, each calling serve(arg, pid) and
 * exiting with what it returns; the parent forwards SIGINT, SIGTERM and
 * SIGHUP to them and collects exits.  Returns 0 when each worker ended
 * with 0, 70 when one was killed by a signal or none could start, else
 * the first non-zero status.  Worker starts (unless quiet) and unexpected
 * ends are told on log, prefixed prog.
 */
int tk_server_workers(unsigned n, int (*serve)(void *arg, pid_t pid),
    void *arg, bool quiet, const char *prog, FILE *log);

#endif
