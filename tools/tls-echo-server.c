/*
 * tls-echo-server: a TLS echo server for testing clients.  Many clients on
 * one loop; echo with back-pressure; optional plaintext phase upgraded by
 * STARTTLS (the line protocol, or minimal smtp, imap and pop3 dialogues
 * from lib/starttls_srv.c, which go on inside TLS); client certificates;
 * ALPN; SIGHUP reloads credentials.  --workers N forks N workers after
 * the credentials are loaded and the listeners bound; each runs its own
 * loop on the shared listeners, and the parent only supervises.  The
 * connections themselves are lib/server.c's, their log lines
 * lib/srvlog.c's; this file wires the options.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "creds.h"
#include "listen.h"
#include "opts.h"
#include "report.h"
#include "server.h"
#include "srvlog.h"
#include "starttls_srv.h"
#include "tls.h"
#include "tool.h"

#include "banned.h"

#define TOOL "tls-echo-server"
#define WORKERS_MAX 1024

struct app {
	struct tk_tool_ctx t;
	struct tk_server *srv;
	int lfds[TK_LISTEN_MAX * 2];
	int nl;
	unsigned nworkers;
	pid_t pid;                    /* this process */
	char prog[48];                /* TOOL, or TOOL[PID] in a worker */
	struct tk_srvlog_conf log;    /* .worker set in each worker */
};

/* One record per ended connection: JSON on stdout, or text on stderr. */
static void
log_connection(const struct tk_server_client_info *c, void *arg)
{
	struct app *a = arg;

	tk_srvlog_connection(&a->log, c, stdout, stderr);
}

static void
on_pause(int errnum, void *arg)
{
	struct app *a = arg;

	if (!a->t.s.quiet) {
		fprintf(stderr, "%s: accept: %s; pausing new connections\n",
		    a->prog, strerror(errnum));
	}
}

static void
on_stop_signal(struct tk_loop *loop, int signo, void *arg)
{
	struct app *a = arg;

	(void)signo;
	/* a last close_notify to each live client; no waiting for replies */
	tk_server_bye_all(a->srv);
	tk_loop_stop(loop);
}

static void
on_reload(struct tk_loop *loop, int signo, void *arg)
{
	struct app *a = arg;
	struct tk_creds *fresh;
	struct tk_err e;

	(void)loop;
	(void)signo;
	tk_err_clear(&e);
	fresh = tk_creds_new(&a->t.d.creds, &e);
	if (fresh == NULL) {
		tk_report_error_line(a->prog, NULL, &e, stderr);
		fprintf(stderr, "%s: reload failed; keeping the old "
		    "credentials\n", a->prog);
		return;
	}
	tk_server_set_creds(a->srv, fresh);
	tk_creds_unref(a->t.creds);
	a->t.creds = fresh;
	if (!a->t.s.quiet) {
		fprintf(stderr, "%s: reloaded credentials from '%s'\n",
		    a->prog, a->t.s.cert);
	}
}

/*
 * Everything a worker shares: options, credentials (loaded once) and the
 * bound listeners, with the ready lines printed once.
 */
static int
setup(struct app *a, struct tk_err *e)
{
	const char *deflisten = "127.0.0.1:4433";
	size_t nspec = a->t.s.nlisten ? a->t.s.nlisten : 1;
	unsigned dh_bits;

	if (a->t.s.http && a->t.s.starttls != NULL &&
	    strcmp(a->t.s.starttls, "line") != 0) {
		return tk_err_set(e, TK_USAGE, "options", "--http answers "
		    "HTTP inside TLS; --starttls %s speaks its own dialogue "
		    "there (only --starttls line goes with --http)",
		    a->t.s.starttls);
	}
	if (tk_tool_derive(&a->t, e) < 0 || tk_tool_creds(&a->t, e) < 0) {
		return -1;
	}
	dh_bits = tk_creds_dh_bits(a->t.creds);
	if (dh_bits > 0 && dh_bits < 2048) {
		fprintf(stderr, "%s: serving a %u-bit DH group from '%s': "
		    "clients should refuse it\n", TOOL, dh_bits,
		    a->t.s.dh_params);
	}
	for (size_t i = 0; i < nspec; i++) {
		struct tk_addr bound[2];
		const char *spec = a->t.s.nlisten ? a->t.s.listen[i] : deflisten;
		int n = tk_listen(spec, 1024, a->lfds + a->nl, bound,
		    (int)(sizeof(a->lfds) / sizeof(a->lfds[0])) - a->nl, e);

		if (n < 0) {
			return -1;
		}
		for (int k = 0; k < n; k++) {
			char addr[TK_ADDRSTR_MAX];

			tk_sockaddr_str((const struct sockaddr *)&bound[k].ss,
			    addr, sizeof(addr));
			tk_srvlog_listening(&a->log, addr, stdout);
		}
		a->nl += n;
	}
	/* before any fork: nothing buffered may be written twice */
	fflush(stdout);
	fflush(stderr);
	return 0;
}

/* One process's loop and server: in the only process, or in a worker. */
static int
serve(void *arg, pid_t pid)
{
	struct app *a = arg;
	struct tk_server_conf sc;
	enum tk_class once = TK_OK;
	struct tk_err e;
	int code = 0;

	if (a->nworkers > 1) {
		a->pid = pid;
		a->log.worker = pid;
		snprintf(a->prog, sizeof(a->prog), "%s[%ld]", TOOL, (long)pid);
	}
	memset(&sc, 0, sizeof(sc));
	sc.starttls = a->t.s.starttls;
	sc.priority = a->t.d.priority;
	sc.alpn = &a->t.d.alpn;
	sc.alpn_optional = a->t.s.alpn_optional;
	sc.client_cert = a->t.s.require_client_cert ? TK_CLIENT_CERT_REQUIRE :
	    a->t.s.request_client_cert ? TK_CLIENT_CERT_REQUEST :
	    TK_CLIENT_CERT_IGNORE;
	sc.check = &a->t.d.check;
	sc.handshake_timeout = a->t.s.handshake_timeout;
	sc.idle_timeout = a->t.s.idle_timeout;
	sc.max_connections = a->t.s.max_connections;
	sc.once = a->t.s.once;
	sc.http = a->t.s.http;
	sc.lfds = a->lfds;
	sc.nl = a->nl;
	sc.on_client = log_connection;
	sc.on_pause = on_pause;
	sc.arg = a;
	tk_err_clear(&e);
	if (tk_tool_loop(&a->t, &e) < 0 ||
	    (a->srv = tk_server_new(a->t.loop, &sc, a->t.creds, &e)) == NULL ||
	    tk_loop_signal(a->t.loop, SIGINT, on_stop_signal, a, &e) < 0 ||
	    tk_loop_signal(a->t.loop, SIGTERM, on_stop_signal, a, &e) < 0 ||
	    tk_loop_signal(a->t.loop, SIGHUP, on_reload, a, &e) < 0 ||
	    tk_loop_run(a->t.loop, &e) < 0) {
		tk_report_error_line(a->prog, NULL, &e, stderr);
		code = tk_err_exit_code(e.cls);
	} else if (a->t.s.once && tk_server_once_done(a->srv, &once)) {
		code = tk_err_exit_code(once);
	}
	tk_server_free(a->srv);
	a->srv = NULL;
	fflush(stdout);
	return code;
}

int
main(int argc, char **argv)
{
	static struct app a;
	struct tk_err e;
	int code;

	code = tk_tool_start(&a.t, TK_TOOL_ECHO_SERVER, TOOL, argc, argv);
	if (code >= 0) {
		return code;
	}
	a.nworkers = (unsigned)a.t.s.workers;
	if (a.t.s.workers == 0) {
		long nc = sysconf(_SC_NPROCESSORS_ONLN);

		a.nworkers = nc < 1 ? 1 : nc > WORKERS_MAX ? WORKERS_MAX :
		    (unsigned)nc;
	}
	if (a.t.s.once && a.nworkers > 1) {
		fprintf(stderr, "%s: --once and --workers %u exclude each "
		    "other\n", TOOL, a.nworkers);
		return 2;
	}
	a.pid = getpid();
	snprintf(a.prog, sizeof(a.prog), "%s", TOOL);
	a.log.tool = TOOL;
	a.log.json = a.t.s.json;
	a.log.quiet = a.t.s.quiet;
	a.log.verbose = a.t.s.verbose > 0;
	tk_server_raise_fd_limit(a.t.s.max_connections, TOOL, stderr);
	tk_err_clear(&e);
	if (setup(&a, &e) < 0) {
		tk_report_error_line(TOOL, NULL, &e, stderr);
		code = tk_err_exit_code(e.cls);
	} else if (a.nworkers > 1) {
		code = tk_server_workers(a.nworkers, serve, &a, a.t.s.quiet, TOOL,
		    stderr);
	} else {
		code = serve(&a, a.pid);
	}
	for (int i = 0; i < a.nl; i++) {
		close(a.lfds[i]);
	}
	tk_tool_end(&a.t);
	return code;
}
