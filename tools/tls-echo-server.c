/*
 * tls-echo-server: a TLS echo server for testing clients.  Many clients on
 * one loop; echo with back-pressure; optional plaintext phase upgraded by
 * STARTTLS (the line protocol, or minimal smtp, imap and pop3 dialogues
 * from lib/starttls_srv.c, which go on inside TLS); client certificates;
 * ALPN; SIGHUP reloads credentials.  --workers N forks N workers after
 * the credentials are loaded and the listeners bound; each runs its own
 * loop on the shared listeners, and the parent only supervises.  The
 * connections themselves are lib/server.c's; this file wires the options
 * and writes the output.
 */
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "creds.h"
#include "escape.h"
#include "hello.h"
#include "listen.h"
#include "opts.h"
#include "report.h"
#include "server.h"
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
	pid_t pid;                    /* this process: the "worker" field */
	char prog[48];                /* TOOL, or TOOL[PID] in a worker */
};

/* A list of 16-bit ids by name, into a JSON array. */
static json_t *
json_ids(const uint16_t *ids, size_t n,
    const char *(*name)(uint16_t, char *, size_t))
{
	json_t *a = json_array();
	char hex[16];

	for (size_t i = 0; i < n; i++) {
		json_array_append_new(a, json_string(name(ids[i], hex,
		    sizeof(hex))));
	}
	return a;
}

/* The same as text: "a,b,c", or "none". */
static void
text_ids(char *out, size_t len, const uint16_t *ids, size_t n,
    const char *(*name)(uint16_t, char *, size_t))
{
	size_t used = 0;
	char hex[16];

	snprintf(out, len, "none");
	for (size_t i = 0; i < n; i++) {
		int k = snprintf(out + used, len - used, "%s%s",
		    i ? "," : "", name(ids[i], hex, sizeof(hex)));

		if (k < 0 || (size_t)k >= len - used) {
			break;
		}
		used += (size_t)k;
	}
}

/*
 * The verdict vocabulary of the clients (tlskit(7), VERDICTS): ok; fail
 * when the client's certificate was refused; error for the rest.
 */
static const char *
verdict(const struct tk_server_client_info *c)
{
	if (!tk_err_is_set(c->err)) {
		return "ok";
	}
	return c->client_cert && !c->client_verified ? "fail" : "error";
}

/* What the client offered, as the "client_hello" object. */
static json_t *
json_hello(const struct tk_hello *h, bool verbose)
{
	json_t *o = json_object(), *a;
	const unsigned char *name;
	const uint16_t *ids;
	size_t off = 0, nl, n;

	json_object_set_new(o, "sni", h->sni_present ?
	    tk_report_json_str(h->sni, h->sni_len) : json_null());
	a = h->alpn_present ? json_array() : json_null();
	while (h->alpn_present && tk_hello_alpn_next(h, &off, &name, &nl)) {
		json_array_append_new(a,
		    tk_report_json_str((const char *)name, nl));
	}
	json_object_set_new(o, "alpn", a);
	n = tk_hello_versions(h, &ids);
	json_object_set_new(o, "versions", json_ids(ids, n,
	    tk_hello_version_name));
	if (verbose) {
		json_object_set_new(o, "groups", json_ids(h->groups,
		    h->ngroups, tk_hello_group_name));
		json_object_set_new(o, "signature_algorithms",
		    json_ids(h->sigalgs, h->nsigalgs, tk_hello_sigalg_name));
	}
	json_object_set_new(o, "malformed", json_boolean(h->malformed));
	return o;
}

/*
 * One JSON record per ended connection, in the clients' schema (tool,
 * tls{}, verdict, error{}, exit_code, timings_ms): man
 * tls-echo-server(1), JSON OUTPUT.
 */
static void
json_connection(const struct app *a, const struct tk_server_client_info *c)
{
	const struct tk_tls_info *info = &c->tls;
	bool ok = !tk_err_is_set(c->err);
	json_t *o = json_object(), *v;

	json_object_set_new(o, "tool", json_string(TOOL));
	json_object_set_new(o, "event", json_string("connection"));
	if (a->nworkers > 1) {
		json_object_set_new(o, "worker", json_integer(a->pid));
	}
	json_object_set_new(o, "peer", json_string(c->peer));
	json_object_set_new(o, "client_hello", c->hello != NULL ?
	    json_hello(c->hello, a->t.s.verbose > 0) : json_null());
	if (c->tls_done) {
		v = json_object();
		json_object_set_new(v, "version", json_string(info->version));
		json_object_set_new(v, "cipher", json_string(info->cipher));
		json_object_set_new(v, "kx", json_string(info->kx));
		json_object_set_new(v, "group", info->group[0] ?
		    json_string(info->group) : json_null());
		json_object_set_new(v, "alpn", info->alpn_negotiated ?
		    tk_report_json_str(info->alpn, strlen(info->alpn)) :
		    json_null());
		json_object_set_new(v, "resumed", json_boolean(info->resumed));
		json_object_set_new(o, "tls", v);
	} else {
		json_object_set_new(o, "tls", json_null());
	}
	if (c->client_cert) {
		v = json_object();
		json_object_set_new(v, "subject",
		    tk_report_json_str(c->client_subject,
		    strlen(c->client_subject)));
		json_object_set_new(v, "verified",
		    json_boolean(c->client_verified));
		json_object_set_new(o, "client_cert", v);
	} else {
		json_object_set_new(o, "client_cert", json_null());
	}
	json_object_set_new(o, "bytes_in",
	    json_integer((json_int_t)c->bytes_in));
	json_object_set_new(o, "bytes_out",
	    json_integer((json_int_t)c->bytes_out));
	json_object_set_new(o, "verdict", json_string(verdict(c)));
	if (ok) {
		json_object_set_new(o, "error", json_null());
	} else {
		v = json_object();
		json_object_set_new(v, "class",
		    json_string(tk_class_name(c->err->cls)));
		json_object_set_new(v, "step",
		    json_string(c->err->step ? c->err->step : ""));
		json_object_set_new(v, "message",
		    tk_report_json_str(c->err->msg, strlen(c->err->msg)));
		json_object_set_new(o, "error", v);
	}
	json_object_set_new(o, "exit_code",
	    json_integer(tk_err_exit_code(c->err->cls)));
	v = json_object();
	json_object_set_new(v, "handshake", c->tls_done ?
	    json_integer((json_int_t)c->handshake_ms) : json_null());
	json_object_set_new(v, "total",
	    json_integer((json_int_t)c->duration_ms));
	json_object_set_new(o, "timings_ms", v);
	json_dumpf(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	fflush(stdout);
	json_decref(o);
}

/* One line per ended connection: JSON on stdout, or text on stderr. */
static void
log_connection(const struct tk_server_client_info *c, void *arg)
{
	struct app *a = arg;
	const struct tk_tls_info *info = &c->tls;   /* zeros before TLS */
	bool ok = !tk_err_is_set(c->err);
	char esc[1024], sub[1100], offered[2400];

	if (a->t.s.json) {
		json_connection(a, c);
		return;
	}
	if (a->t.s.quiet && ok) {
		return;
	}
	sub[0] = '\0';
	if (c->client_cert) {
		tk_escape(c->client_subject, strlen(c->client_subject), esc,
		    sizeof(esc));
		snprintf(sub, sizeof(sub), " client=\"%s\"%s", esc,
		    c->client_verified ? "" : " (untrusted)");
	}
	offered[0] = '\0';
	if (c->hello != NULL) {
		const struct tk_hello *h = c->hello;
		const uint16_t *ids;
		char alpn[600], vers[200], groups[600], sigs[1200];
		size_t n = tk_hello_versions(h, &ids);

		tk_escape(h->sni, h->sni_len, esc, sizeof(esc));
		tk_hello_alpn_text(h, alpn, sizeof(alpn));
		text_ids(vers, sizeof(vers), ids, n, tk_hello_version_name);
		groups[0] = sigs[0] = '\0';
		if (a->t.s.verbose > 0) {
			char g[500], sa[1100];

			text_ids(g, sizeof(g), h->groups, h->ngroups,
			    tk_hello_group_name);
			text_ids(sa, sizeof(sa), h->sigalgs, h->nsigalgs,
			    tk_hello_sigalg_name);
			snprintf(groups, sizeof(groups), " offered_groups=%s",
			    g);
			snprintf(sigs, sizeof(sigs), " offered_sigalgs=%s",
			    sa);
		}
		snprintf(offered, sizeof(offered), " sni=%s offered_alpn=%s "
		    "offered_versions=%s%s%s%s", h->sni_present ? esc : "none",
		    alpn, vers, groups, sigs,
		    h->malformed ? " (malformed hello)" : "");
	}
	tk_escape(info->alpn, strlen(info->alpn), esc, sizeof(esc));
	fprintf(stderr, "%s %s %s group=%s alpn=%s%s%s in=%llu out=%llu "
	    "%llums ", c->peer, info->version[0] ? info->version : "-",
	    info->cipher[0] ? info->cipher : "-",
	    info->group[0] ? info->group : "-",
	    info->alpn_negotiated ? esc : "none", offered, sub,
	    (unsigned long long)c->bytes_in, (unsigned long long)c->bytes_out,
	    (unsigned long long)c->duration_ms);
	if (ok) {
		fprintf(stderr, "ok%s\n", c->injected ?
		    " (plaintext after STARTTLS discarded)" : "");
	} else {
		tk_escape(c->err->msg, strlen(c->err->msg), esc, sizeof(esc));
		fprintf(stderr, "error: %s: %s\n",
		    c->err->step ? c->err->step : "?", esc);
	}
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
			if (a->t.s.json) {
				printf("{\"event\":\"listening\","
				    "\"address\":\"%s\"}\n", addr);
			} else {
				printf("listening on %s\n", addr);
			}
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
