/*
 * Unit tests for lib/conn.h: one tk_conn against a loopback listener that
 * this process serves on the same loop (tk_listen, then a server tk_tls
 * per accepted socket): a good handshake and its result, a chain that
 * fails verification (with and without --insecure), a refused port, a
 * handshake refused by the server, a server that never answers (the
 * per-step timeout and --deadline, docs/ARCHITECTURE.md "The poll loop"),
 * and a server that asks for a client certificate.
 */
#include <arpa/inet.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "creds.h"
#include "loop.h"
#include "listen.h"
#include "resolve.h"
#include "target.h"
#include "report.h"
#include "tls.h"

#include "tk_test.h"

#ifndef TK_TESTDATA
#error "TK_TESTDATA must name the testdata directory"
#endif

#define TD(f) TK_TESTDATA "/" f
#define TLS12 "NORMAL:-VERS-ALL:+VERS-TLS1.2"
#define TLS13 "NORMAL:-VERS-ALL:+VERS-TLS1.3"

/* ---- the server: accepts one client and runs its handshake ---------- */

enum srv_mode {
	SRV_TLS,      /* handshake with the chain given */
	SRV_SILENT,   /* the kernel completes TCP; nobody ever reads */
	SRV_CLOSED,   /* the port was bound, then closed: refused */
};

struct server {
	struct tk_loop *loop;
	enum srv_mode mode;
	int lfd, cfd;
	uint16_t port;
	struct tk_creds *creds;
	const char *priority;
	enum tk_client_cert client_cert;
	struct tk_tls *tls;
	int hs_rc;             /* the server's handshake: 0, -1, 1 running */
	unsigned accepted;
};

static void
srv_drive(struct tk_loop *loop, int fd, unsigned events, void *arg)
{
	struct server *s = arg;
	int rc = tk_tls_handshake(s->tls);

	(void)events;
	if (rc == TK_WANT_READ || rc == TK_WANT_WRITE) {
		tk_loop_rewatch(loop, fd, rc == TK_WANT_WRITE ? TK_WRITE :
		    TK_READ);
		return;
	}
	s->hs_rc = rc;
	/* done either way: the client's side decides the test */
	tk_loop_unwatch(loop, fd);
}

static void
srv_accept(struct tk_loop *loop, int lfd, unsigned events, void *arg)
{
	struct server *s = arg;
	struct tk_tls_conf tc = {0};
	struct tk_err e;

	(void)events;
	s->cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (s->cfd < 0) {
		return;
	}
	s->accepted++;
	/* one client per test */
	tk_loop_unwatch(loop, lfd);
	tc.server = true;
	tc.priority = s->priority;
	tc.client_cert = s->client_cert;
	tk_err_clear(&e);
	s->tls = tk_tls_new(s->cfd, &tc, s->creds, &e);
	EXPECT_TRUE(s->tls != NULL);
	if (s->tls == NULL) {
		fprintf(stderr, "  server: %s\n", e.msg);
		return;
	}
	s->hs_rc = 1;
	tk_loop_watch(loop, s->cfd, TK_READ, srv_drive, s, &e);
}

static int
srv_start(struct server *s, struct tk_loop *loop, enum srv_mode mode,
    const char *chain, const char *key)
{
	struct tk_addr bound;
	struct tk_creds_conf cc = {0};
	struct tk_err e;

	memset(s, 0, sizeof(*s));
	s->loop = loop;
	s->mode = mode;
	s->lfd = s->cfd = -1;
	tk_err_clear(&e);
	if (tk_listen("127.0.0.1:0", 16, &s->lfd, &bound, 1, &e) != 1) {
		fprintf(stderr, "  listen: %s\n", e.msg);
		return -1;
	}
	s->port = ntohs(((const struct sockaddr_in *)&bound.ss)->sin_port);
	if (mode == SRV_CLOSED) {
		close(s->lfd);
		s->lfd = -1;
		return 0;
	}
	if (mode == SRV_SILENT) {
		return 0;
	}
	cc.cert_file = chain;
	cc.key_file = key;
	cc.ca[cc.nca++] = TD("ca.crt");
	s->creds = tk_creds_new(&cc, &e);
	if (s->creds == NULL) {
		fprintf(stderr, "  server creds: %s\n", e.msg);
		return -1;
	}
	return tk_loop_watch(loop, s->lfd, TK_READ, srv_accept, s, &e);
}

static void
srv_stop(struct server *s)
{
	tk_tls_free(s->tls);
	if (s->cfd >= 0) {
		tk_loop_unwatch(s->loop, s->cfd);
		close(s->cfd);
	}
	if (s->lfd >= 0) {
		tk_loop_unwatch(s->loop, s->lfd);
		close(s->lfd);
	}
	tk_creds_unref(s->creds);
}

/* ---- the client: one tk_conn, run to its callback ------------------- */

struct run {
	/* in */
	enum srv_mode mode;
	const char *chain, *key;      /* the server's (SRV_TLS) */
	const char *server_priority;
	enum tk_client_cert client_cert;
	const char *hostname;         /* NULL: the target's host */
	const char *client_priority;
	bool insecure, no_verify;
	unsigned timeout_ms;
	unsigned deadline_in_ms;      /* 0: no --deadline */
	/* out */
	struct tk_loop *loop;
	struct tk_result r;
	unsigned calls;
	bool ready, had_tls;
	int fd;
	uint64_t elapsed_ms;
	int server_hs;
	unsigned accepted;
};

static void
on_done(struct tk_conn *c, void *arg)
{
	struct run *run = arg;

	run->calls++;
	run->ready = tk_conn_ready(c);
	run->had_tls = tk_conn_tls(c) != NULL;
	run->fd = tk_conn_fd(c);
	/* the server may still be waiting for a byte that never comes */
	tk_loop_stop(run->loop);
}

/* Serves run->mode on a new port and connects one tk_conn to it. */
static void
run_one(struct run *run)
{
	struct server srv;
	struct tk_creds_conf cc = {0};
	struct tk_conn_conf conf = {0};
	struct tk_creds *creds = NULL;
	struct tk_resolver *res = NULL;
	struct tk_conn *c = NULL;
	struct tk_err e;
	char target[64];
	uint64_t t0;

	memset(&run->r, 0, sizeof(run->r));
	run->calls = 0;
	run->ready = run->had_tls = false;
	run->fd = -1;
	tk_err_clear(&e);
	run->loop = tk_loop_new(&e);
	EXPECT_TRUE(run->loop != NULL);
	if (run->loop == NULL) {
		return;
	}
	if (srv_start(&srv, run->loop, run->mode, run->chain, run->key) < 0) {
		EXPECT_TRUE(!"server start");
		tk_loop_free(run->loop);
		return;
	}
	srv.priority = run->server_priority;
	srv.client_cert = run->client_cert;
	snprintf(target, sizeof(target), "127.0.0.1:%u", srv.port);
	tk_result_init(&run->r, "test_conn", target);

	cc.ca[cc.nca++] = TD("ca.crt");
	creds = tk_creds_new(&cc, &e);
	res = tk_resolver_new(run->loop, &e);
	EXPECT_TRUE(creds != NULL && res != NULL);
	EXPECT_EQ_INT(tk_target_parse(target, 443, &conf.target, &e), 0);
	conf.hostname = run->hostname;
	conf.insecure = run->insecure;
	conf.no_verify = run->no_verify;
	conf.family = AF_UNSPEC;
	conf.timeout_ms = run->timeout_ms != 0 ? run->timeout_ms : 5000;
	if (run->deadline_in_ms != 0) {
		conf.deadline_ms = tk_loop_now_ms() + run->deadline_in_ms;
		conf.deadline_total_ms = run->deadline_in_ms;
	}
	conf.priority = run->client_priority;
	conf.creds = creds;
	conf.resolver = res;
	if (creds != NULL && res != NULL) {
		c = tk_conn_new(run->loop, &conf, &run->r, on_done, run, &e);
	}
	EXPECT_TRUE(c != NULL);
	if (c != NULL) {
		t0 = tk_loop_now_ms();
		tk_conn_start(c);
		EXPECT_EQ_INT(tk_loop_run(run->loop, &e), 0);
		run->elapsed_ms = tk_loop_now_ms() - t0;
	}
	run->server_hs = srv.hs_rc;
	run->accepted = srv.accepted;
	tk_conn_free(c);
	srv_stop(&srv);
	tk_resolver_free(res);
	tk_creds_unref(creds);
	tk_loop_free(run->loop);
	run->loop = NULL;
}

/* ---- the cases ------------------------------------------------------ */

static void
test_ok(void)
{
	struct run run = {
		.mode = SRV_TLS,
		.chain = TD("localhost-rsa-chain.pem"),
		.key = TD("localhost-rsa.key"),
		.hostname = "localhost",
	};

	TK_CASE("good chain, by name");
	run_one(&run);
	EXPECT_EQ_INT(run.calls, 1);
	EXPECT_TRUE(run.ready);
	EXPECT_TRUE(run.had_tls);
	EXPECT_TRUE(run.fd >= 0);
	EXPECT_EQ_INT(run.r.cls, TK_OK);
	EXPECT_EQ_INT(run.r.err.cls, TK_OK);
	EXPECT_TRUE(run.r.handshake_done);
	EXPECT_TRUE(run.r.checked);
	EXPECT_EQ_INT(run.r.verdict.status, TK_VERIFY_OK);
	/* a live session: the OCSP staple was looked for */
	EXPECT_TRUE(run.r.ocsp.checked);
	EXPECT_TRUE(!run.r.ocsp.stapled);
	EXPECT_EQ_INT(tk_findings_class(&run.r.findings), TK_OK);
	EXPECT_TRUE(tk_findings_has(&run.r.findings, "no-staple"));
	EXPECT_EQ_STR(run.r.hostname, "localhost");
	EXPECT_EQ_STR(run.r.sni, "localhost");
	EXPECT_TRUE(strncmp(run.r.address, "127.0.0.1", 9) == 0);
	EXPECT_TRUE(run.r.tls.version[0] != '\0');
	/* the chain the server sent: leaf and intermediate */
	EXPECT_EQ_SIZE(run.r.chain.n, 2);
	if (run.r.chain.n == 2) {
		EXPECT_EQ_STR(run.r.chain.certs[0].subject, "CN=localhost");
		EXPECT_EQ_STR(run.r.chain.certs[1].subject,
		    "CN=tlskit Test Intermediate CA");
	}
	EXPECT_TRUE(run.r.t_handshake_us > 0);
	EXPECT_TRUE(run.r.t_total_us >= run.r.t_handshake_us);
	EXPECT_EQ_INT(run.accepted, 1);
	tk_result_release(&run.r);

	/* RFC 6066 3: no SNI for an IP literal; the IP SAN is checked */
	TK_CASE("good chain, by IP");
	run.hostname = NULL;
	run_one(&run);
	EXPECT_EQ_INT(run.calls, 1);
	EXPECT_TRUE(run.ready);
	EXPECT_EQ_INT(run.r.cls, TK_OK);
	EXPECT_EQ_STR(run.r.hostname, "127.0.0.1");
	EXPECT_EQ_STR(run.r.sni, "");
	EXPECT_EQ_INT(run.r.verdict.status, TK_VERIFY_OK);
	tk_result_release(&run.r);

	TK_CASE("ECDSA, TLS 1.2");
	run.chain = TD("localhost-ecdsa-chain.pem");
	run.key = TD("localhost-ecdsa.key");
	run.client_priority = TLS12;
	run_one(&run);
	EXPECT_TRUE(run.ready);
	EXPECT_EQ_INT(run.r.cls, TK_OK);
	EXPECT_EQ_STR(run.r.tls.version, "TLS1.2");
	EXPECT_EQ_STR(run.r.chain.n > 0 ? run.r.chain.certs[0].key : "",
	    "ECDSA SECP256R1");
	tk_result_release(&run.r);
	TK_CASE(NULL);
}

/* The handshake finishes; the chain fails: class CHECK, step "verify". */
static void
test_verify(void)
{
	struct run run = {
		.mode = SRV_TLS,
		.chain = TD("wrongname-chain.pem"),
		.key = TD("wrongname.key"),
		.hostname = "localhost",
	};

	TK_CASE("wrong name");
	run_one(&run);
	EXPECT_EQ_INT(run.calls, 1);
	EXPECT_TRUE(run.ready);
	EXPECT_TRUE(run.r.handshake_done);
	EXPECT_EQ_INT(run.r.cls, TK_CHECK);
	EXPECT_EQ_INT(run.r.err.cls, TK_CHECK);
	EXPECT_EQ_STR(run.r.err.step, "verify");
	EXPECT_CONTAINS(run.r.err.msg, "certificate verification failed");
	EXPECT_EQ_INT(run.r.verdict.status, TK_VERIFY_FAILED);
	EXPECT_TRUE(tk_findings_has(&run.r.findings, "name-mismatch"));
	tk_result_release(&run.r);

	TK_CASE("missing intermediate");
	run.chain = TD("missing-intermediate-chain.pem");
	run.key = TD("missing-intermediate.key");
	run_one(&run);
	EXPECT_EQ_INT(run.r.cls, TK_CHECK);
	EXPECT_TRUE(tk_findings_has(&run.r.findings,
	    "missing-intermediate"));
	EXPECT_EQ_SIZE(run.r.chain.n, 1);
	tk_result_release(&run.r);

	/* --insecure: judged and reported, not failed */
	TK_CASE("wrong name, --insecure");
	run.chain = TD("wrongname-chain.pem");
	run.key = TD("wrongname.key");
	run.insecure = true;
	run_one(&run);
	EXPECT_TRUE(run.ready);
	EXPECT_EQ_INT(run.r.err.cls, TK_OK);
	EXPECT_TRUE(run.r.cls != TK_CHECK);
	EXPECT_EQ_INT(run.r.verdict.status, TK_VERIFY_SKIPPED);
	EXPECT_TRUE(tk_findings_has(&run.r.findings, "name-mismatch"));
	tk_result_release(&run.r);

	/* the caller verifies: nothing judged here */
	TK_CASE("wrong name, no_verify");
	run.insecure = false;
	run.no_verify = true;
	run_one(&run);
	EXPECT_TRUE(run.ready);
	EXPECT_EQ_INT(run.r.cls, TK_OK);
	EXPECT_TRUE(!run.r.checked);
	EXPECT_EQ_SIZE(run.r.findings.n, 0);
	tk_result_release(&run.r);
	TK_CASE(NULL);
}

static void
test_refused(void)
{
	struct run run = {.mode = SRV_CLOSED};

	TK_CASE("refused port");
	run_one(&run);
	EXPECT_EQ_INT(run.calls, 1);
	EXPECT_TRUE(!run.ready);
	EXPECT_TRUE(!run.had_tls);
	EXPECT_EQ_INT(run.r.cls, TK_NET);
	EXPECT_EQ_INT(run.r.err.cls, TK_NET);
	EXPECT_EQ_STR(run.r.err.step, "connect");
	EXPECT_CONTAINS(run.r.err.msg, "cannot connect to");
	EXPECT_CONTAINS(run.r.err.msg, "refused");
	EXPECT_TRUE(!run.r.handshake_done);
	EXPECT_EQ_STR(run.r.address, "");
	tk_result_release(&run.r);
	TK_CASE(NULL);
}

/* The server refuses the handshake: class TLS, step "handshake". */
static void
test_handshake_fails(void)
{
	struct run run = {
		.mode = SRV_TLS,
		.chain = TD("localhost-rsa-chain.pem"),
		.key = TD("localhost-rsa.key"),
		.hostname = "localhost",
		.server_priority = TLS12,
		.client_priority = TLS13,
	};

	TK_CASE("no common version");
	run_one(&run);
	EXPECT_EQ_INT(run.calls, 1);
	EXPECT_TRUE(!run.ready);
	EXPECT_EQ_INT(run.r.cls, TK_TLS);
	EXPECT_EQ_INT(run.r.err.cls, TK_TLS);
	EXPECT_EQ_STR(run.r.err.step, "handshake");
	EXPECT_CONTAINS(run.r.err.msg, "alert");
	EXPECT_TRUE(!run.r.handshake_done);
	EXPECT_TRUE(strncmp(run.r.address, "127.0.0.1", 9) == 0);
	EXPECT_EQ_INT(run.server_hs, -1);
	tk_result_release(&run.r);

	/* TLS 1.2: the refusal comes inside the client's handshake */
	TK_CASE("client certificate required, none given");
	run.server_priority = TLS12;
	run.client_priority = TLS12;
	run.client_cert = TK_CLIENT_CERT_REQUIRE;
	run_one(&run);
	EXPECT_TRUE(!run.ready);
	EXPECT_EQ_INT(run.r.cls, TK_TLS);
	EXPECT_EQ_STR(run.r.err.step, "handshake");
	EXPECT_TRUE(run.r.tls.client_cert_requested);
	EXPECT_CONTAINS(run.r.err.msg, "the server asked for a client "
	    "certificate and none was given");
	tk_result_release(&run.r);
	TK_CASE(NULL);
}

/*
 * A server that accepts TCP and never says a word: the handshake step
 * runs out of its own timeout, or of the whole run's --deadline, which
 * names the step it ended in.  Class NET (exit 3) either way.
 */
static void
test_timeouts(void)
{
	struct run run = {.mode = SRV_SILENT, .timeout_ms = 200};

	TK_CASE("handshake timeout");
	run_one(&run);
	EXPECT_EQ_INT(run.calls, 1);
	EXPECT_TRUE(!run.ready);
	EXPECT_EQ_INT(run.r.cls, TK_NET);
	EXPECT_EQ_STR(run.r.err.step, "handshake");
	EXPECT_EQ_STR(run.r.err.msg, "timed out after 0.2 s");
	EXPECT_TRUE(run.elapsed_ms >= 200);
	EXPECT_TRUE(run.elapsed_ms < 3000);
	EXPECT_TRUE(strncmp(run.r.address, "127.0.0.1", 9) == 0);
	tk_result_release(&run.r);

	/* the deadline comes before the step's own timeout */
	TK_CASE("--deadline");
	run.timeout_ms = 10000;
	run.deadline_in_ms = 250;
	run_one(&run);
	EXPECT_EQ_INT(run.calls, 1);
	EXPECT_TRUE(!run.ready);
	EXPECT_EQ_INT(run.r.cls, TK_NET);
	EXPECT_EQ_STR(run.r.err.step, "handshake");
	EXPECT_CONTAINS(run.r.err.msg,
	    "--deadline of 0.25 s ran out in the handshake step");
	EXPECT_TRUE(run.elapsed_ms >= 200);
	EXPECT_TRUE(run.elapsed_ms < 3000);
	tk_result_release(&run.r);

	/* a step's timeout shorter than what is left of the deadline */
	TK_CASE("timeout within --deadline");
	run.timeout_ms = 150;
	run.deadline_in_ms = 5000;
	run_one(&run);
	EXPECT_EQ_INT(run.r.cls, TK_NET);
	EXPECT_EQ_STR(run.r.err.msg, "timed out after 0.15 s");
	EXPECT_TRUE(run.elapsed_ms < 3000);
	tk_result_release(&run.r);
	TK_CASE(NULL);
}

static void
run(void)
{
	test_ok();
	test_verify();
	test_refused();
	test_handshake_fails();
	test_timeouts();
}

TK_TEST_MAIN("test_conn", run)
