/*
 * tls-echo-client: connects, verifies, sends stdin (or --message) and
 * checks that every byte comes back; --count/--size measure throughput and
 * round trips; --handshake-only stops after verification.  --connections C
 * --duration S is a load generator: after one verified connection, C
 * connections at once on the one loop, each a full handshake (no
 * resumption) then --size blocks echoed (or, with --handshake-only, none),
 * close_notify, and again, until S seconds have passed.  The engines are
 * lib/echo.c and lib/load.c; this file wires the options and writes the
 * output.
 */
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "escape.h"
#include "echo.h"
#include "load.h"
#include "opts.h"
#include "tool.h"
#include "report.h"

#include "banned.h"

#define TOOL "tls-echo-client"

struct app {
	struct tk_tool_ctx t;
	struct tk_conn *conn;
	struct tk_result r;
	const char *message;
	unsigned timeout_ms;
	struct tk_echo *echo;
	struct tk_load *load;        /* --connections; freed after output */
};

static void
stop(struct app *a, const struct tk_err *e)
{
	if (e != NULL && tk_err_is_set(e)) {
		a->r.err = *e;
		a->r.cls = e->cls;
	}
	tk_loop_stop(a->t.loop);
}

static void
on_echo_done(struct tk_echo *e, void *arg)
{
	(void)e;
	stop(arg, NULL);
}

static void
on_load_done(struct tk_load *l, void *arg)
{
	struct app *a = arg;

	tk_load_report(l, &a->r);
	stop(a, NULL);
}

/* After the first, verified, connection: the load generator. */
static void
load_start(struct app *a)
{
	struct tk_load_conf lc;
	struct tk_err e;

	tk_err_clear(&e);
	memset(&lc, 0, sizeof(lc));
	lc.peer.len = sizeof(lc.peer.ss);
	if (getpeername(tk_conn_fd(a->conn), (struct sockaddr *)&lc.peer.ss,
	    &lc.peer.len) < 0) {
		tk_err_sys(&e, TK_NET, "connect", "getpeername failed");
		stop(a, &e);
		return;
	}
	lc.tc.priority = a->t.d.priority;
	lc.tc.alpn = &a->t.d.alpn;
	lc.tc.sni = a->r.sni[0] != '\0' ? a->r.sni : NULL;
	lc.creds = a->t.creds;
	lc.connections = (size_t)a->t.s.connections;
	lc.duration = a->t.s.duration;
	lc.size = a->t.s.size;
	lc.count = a->t.s.count;
	lc.handshake_only = a->t.s.handshake_only;
	lc.timeout_ms = a->timeout_ms;
	/* the first connection is only the probe: close it */
	tk_tls_bye(tk_conn_tls(a->conn), false);
	tk_conn_free(a->conn);
	a->conn = NULL;
	a->load = tk_load_start(a->t.loop, &lc, on_load_done, a, &e);
	if (a->load == NULL) {
		stop(a, &e);
	}
}

static void
print_swarm(const struct app *a)
{
	const struct tk_load_result *lr = tk_load_result(a->load);
	const struct tk_load_stats *l = &a->r.load;
	double secs = l->seconds > 0 ? l->seconds : 1;

	printf("%zu connections for %.3f s: %llu handshakes (%.1f/s), "
	    "handshake p50 %.3f ms p99 %.3f ms", lr->connections, l->seconds,
	    (unsigned long long)lr->handshakes,
	    (double)lr->handshakes / secs, tk_samples_percentile(&lr->hs, 50),
	    tk_samples_percentile(&lr->hs, 99));
	if (!a->t.s.handshake_only) {
		printf("; %llu blocks of %llu bytes: %.1f MB/s, rtt p50 %.3f "
		    "ms p99 %.3f ms", (unsigned long long)l->count,
		    (unsigned long long)l->size, l->mbps, l->rtt_p50_ms,
		    l->rtt_p99_ms);
	}
	printf("; %llu errors\n", (unsigned long long)lr->errors);
}

/*
 * The JSON report with the load generator's fields added to "load":
 * rendered by report, then extended here (report knows only the common
 * load fields).
 */
static int
json_swarm(const struct app *a, FILE *out)
{
	const struct tk_load_result *lr = tk_load_result(a->load);
	double secs = a->r.load.seconds > 0 ? a->r.load.seconds : 1;
	json_t *o = tk_report_json_object(&a->r), *l;
	int rc = -1;

	l = o != NULL ? json_object_get(o, "load") : NULL;
	if (l != NULL && json_object_update_new(l, json_pack("{s:I,s:b,s:I,s:f,"
	    "s:{s:f,s:f,s:f},s:I,s:I}", "connections",
	    (json_int_t)lr->connections, "handshake_only", a->t.s.handshake_only,
	    "handshakes", (json_int_t)lr->handshakes, "handshakes_per_s",
	    (double)lr->handshakes / secs, "handshake_ms", "p50",
	    tk_samples_percentile(&lr->hs, 50), "p90",
	    tk_samples_percentile(&lr->hs, 90), "p99",
	    tk_samples_percentile(&lr->hs, 99), "bytes", (json_int_t)lr->bytes,
	    "errors", (json_int_t)lr->errors)) == 0) {
		rc = tk_report_json_write(o, out);
	}
	json_decref(o);
	return rc;
}

static void
on_conn(struct tk_conn *c, void *arg)
{
	struct app *a = arg;
	struct tk_echo_conf ec;
	struct tk_stream *st;
	struct tk_err e;

	tk_err_clear(&e);
	if (!tk_conn_ready(c) || a->r.cls == TK_CHECK) {
		stop(a, NULL);
		return;
	}
	if (a->t.s.alpn != NULL && !a->t.s.quiet && !a->t.s.json) {
		char esc[TK_ALPN_NAME_MAX * 4 + 1];

		tk_escape(a->r.tls.alpn, strlen(a->r.tls.alpn), esc,
		    sizeof(esc));
		fprintf(stderr, "ALPN: %s\n", a->r.tls.alpn_negotiated ? esc :
		    "none");
	}
	if (a->r.verdict.status == TK_VERIFY_SKIPPED && !a->t.s.quiet) {
		fprintf(stderr, "%s: warning: certificate not verified "
		    "(--insecure)\n", TOOL);
	}
	if (a->t.s.connections > 0) {
		load_start(a);
		return;
	}
	st = tk_conn_stream(c, &e);
	if (st == NULL) {
		stop(a, &e);
		return;
	}
	memset(&ec, 0, sizeof(ec));
	ec.message = a->message;
	ec.src_fd = STDIN_FILENO;
	ec.sink = a->t.s.json ? NULL : stdout;
	ec.count = a->t.s.count;
	ec.size = a->t.s.size;
	ec.handshake_only = a->t.s.handshake_only;
	ec.crlf = a->t.s.crlf;
	ec.timeout_ms = a->timeout_ms;
	ec.deadline_ms = a->t.d.deadline_ms;
	ec.deadline_total_ms = a->t.d.deadline_total_ms;
	a->echo = tk_echo_new(a->t.loop, st, &ec, &a->r, on_echo_done, a, &e);
	if (a->echo == NULL) {
		stop(a, &e);
	}
}

static void
print_load(const struct app *a)
{
	const struct tk_load_stats *l = &a->r.load;

	printf("%llu round trips of %llu bytes in %.3f s: %.1f MB/s, rtt p50 "
	    "%.3f ms p90 %.3f ms p99 %.3f ms\n", (unsigned long long)l->count,
	    (unsigned long long)l->size, l->seconds, l->mbps, l->rtt_p50_ms,
	    l->rtt_p90_ms, l->rtt_p99_ms);
}

static int
run(struct app *a)
{
	struct tk_conn_conf cc;
	struct tk_target target;
	struct tk_err e;
	char msgbuf[8192];

	tk_err_clear(&e);
	if (tk_target_parse(a->t.s.args[0], 4433, &target, &e) < 0 ||
	    tk_tool_derive(&a->t, &e) < 0) {
		goto out;
	}
	if (target.scheme[0] != '\0') {
		tk_err_set(&e, TK_USAGE, "target", "%s takes HOST[:PORT], "
		    "not a URL: '%s'", TOOL, a->t.s.args[0]);
		goto out;
	}
	if (a->t.s.connections > 0 && (a->t.s.message != NULL ||
	    a->t.s.starttls != NULL)) {
		tk_err_set(&e, TK_USAGE, "options", "--connections excludes "
		    "--message and --starttls");
		goto out;
	}
	if (a->t.s.crlf && (a->t.s.count > 0 || a->t.s.connections > 0 ||
	    a->t.s.handshake_only)) {
		tk_err_set(&e, TK_USAGE, "options", "--crlf goes with lines "
		    "sent: --message or stdin, not --count, --connections or "
		    "--handshake-only");
		goto out;
	}
	if (a->t.s.connections == 0 && (a->t.s.count > 0) +
	    (a->t.s.message != NULL) + a->t.s.handshake_only > 1) {
		tk_err_set(&e, TK_USAGE, "options", "--count, --message and "
		    "--handshake-only exclude each other");
		goto out;
	}
	if (a->t.s.connections > 0 && a->t.s.count > 0 && a->t.s.handshake_only) {
		tk_err_set(&e, TK_USAGE, "options", "--count (blocks per "
		    "connection) and --handshake-only exclude each other");
		goto out;
	}
	if (tk_tool_creds_stdin(&a->t.s) && a->t.s.message == NULL &&
	    a->t.s.count == 0 && a->t.s.connections == 0 &&
	    !a->t.s.handshake_only) {
		tk_err_set(&e, TK_USAGE, "options", "'-' (standard input) is "
		    "given for a credentials file, and the data sent is read "
		    "from standard input too: give --message or "
		    "--handshake-only");
		goto out;
	}
	if (a->t.s.message != NULL) {
		/* one line: LF, or CRLF for a CRLF line server */
		snprintf(msgbuf, sizeof(msgbuf), "%s%s", a->t.s.message,
		    a->t.s.crlf ? "\r\n" : "\n");
		if (strlen(a->t.s.message) + 2 >= sizeof(msgbuf)) {
			tk_err_set(&e, TK_USAGE, "options", "--message is "
			    "longer than %zu bytes", sizeof(msgbuf) - 3);
			goto out;
		}
		a->message = msgbuf;
	}
	if (tk_tool_creds(&a->t, &e) < 0 || tk_tool_loop(&a->t, &e) < 0) {
		goto out;
	}
	a->timeout_ms = (unsigned)(a->t.s.timeout * 1000);
	tk_tool_conn_conf(&a->t, &target, &cc);
	cc.no_verify = false;
	cc.insecure = a->t.s.insecure;
	cc.check = &a->t.d.check;
	cc.starttls = a->t.s.starttls;
	a->conn = tk_conn_new(a->t.loop, &cc, &a->r, on_conn, a, &e);
	if (a->conn == NULL) {
		goto out;
	}
	tk_conn_start(a->conn);
	if (tk_loop_run(a->t.loop, &e) < 0) {
		goto out;
	}
out:
	if (tk_err_is_set(&e)) {
		a->r.err = e;
		a->r.cls = e.cls;
	}
	tk_echo_free(a->echo);
	tk_conn_free(a->conn);
	return 0;
}

int
main(int argc, char **argv)
{
	static struct app a;
	int code;

	code = tk_tool_start(&a.t, TK_TOOL_ECHO_CLIENT, TOOL, argc, argv);
	if (code >= 0) {
		return code;
	}
	tk_result_init(&a.r, TOOL, a.t.s.args[0]);
	run(&a);
	tk_result_finish(&a.r);
	if (a.t.s.json) {
		if ((a.load != NULL && a.r.load.used ? json_swarm(&a, stdout) :
		    tk_report_json(&a.r, stdout)) < 0) {
			a.r.cls = TK_INTERNAL;
		}
	} else {
		if (a.r.load.used && a.load != NULL) {
			print_swarm(&a);
		} else if (a.r.load.used) {
			print_load(&a);
		}
		if (a.t.s.verbose > 0 && !a.t.s.quiet) {
			tk_report_text_session(&a.r, stderr);
		}
	}
	if (!a.t.s.json && !a.t.s.quiet) {
		tk_report_warnings(TOOL, &a.r, stderr);
	}
	if (tk_err_is_set(&a.r.err)) {
		tk_report_error_line(TOOL, a.r.target, &a.r.err, stderr);
	}
	fflush(stdout);
	code = tk_err_exit_code(a.r.cls);
	tk_load_free(a.load);
	tk_tool_end(&a.t);
	tk_result_release(&a.r);
	return code;
}
