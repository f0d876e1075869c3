/*
 * Unit tests for lib/srvlog.h: tls-echo-server's log of a connection, as
 * a text line and as a JSON record, from a struct tk_server_client_info
 * filled by hand; peer bytes escaped in both.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "srvlog.h"

#include "tk_test.h"

/* What the client offered: SNI with an ESC byte, two protocols. */
static void
fill_hello(struct tk_hello *h)
{
	static const unsigned char alpn[] = "\x02h2\x08http/1.1";
	static const uint16_t vers[] = { 0x0304, 0x0303 };
	static const uint16_t groups[] = { 0x001d };
	static const uint16_t sigs[] = { 0x0403, 0x0804 };

	tk_hello_init(h);
	h->seen = true;
	h->sni_present = true;
	memcpy(h->sni, "a\x1b" "b.example", 11);
	h->sni_len = 11;
	h->alpn_present = true;
	memcpy(h->alpn, alpn, sizeof(alpn) - 1);
	h->alpn_len = sizeof(alpn) - 1;
	h->legacy_version = 0x0303;
	h->versions_present = true;
	memcpy(h->versions, vers, sizeof(vers));
	h->nversions = 2;
	memcpy(h->groups, groups, sizeof(groups));
	h->ngroups = 1;
	memcpy(h->sigalgs, sigs, sizeof(sigs));
	h->nsigalgs = 2;
}

/* A clean TLS 1.3 connection that negotiated h2. */
static void
fill_ok(struct tk_server_client_info *c, const struct tk_hello *h,
    const struct tk_err *e)
{
	memset(c, 0, sizeof(*c));
	c->peer = "127.0.0.1:50000";
	c->tls_done = true;
	snprintf(c->tls.version, sizeof(c->tls.version), "TLS1.3");
	snprintf(c->tls.cipher, sizeof(c->tls.cipher),
	    "TLS_AES_128_GCM_SHA256");
	snprintf(c->tls.kx, sizeof(c->tls.kx), "ECDHE-X25519");
	snprintf(c->tls.group, sizeof(c->tls.group), "X25519");
	snprintf(c->tls.alpn, sizeof(c->tls.alpn), "h2");
	c->tls.alpn_negotiated = true;
	c->hello = h;
	c->handshake_ms = 3;
	c->bytes_in = 5;
	c->bytes_out = 5;
	c->duration_ms = 7;
	c->err = e;
}

/* Runs the log of c under conf: *out gets out's bytes, *log log's. */
static void
run(const struct tk_srvlog_conf *conf, const struct tk_server_client_info *c,
    char **out, char **log)
{
	size_t on = 0, ln = 0;
	FILE *fo = open_memstream(out, &on);
	FILE *fl = open_memstream(log, &ln);

	if (fo == NULL || fl == NULL) {
		abort();
	}
	tk_srvlog_connection(conf, c, fo, fl);
	fclose(fo);
	fclose(fl);
}

struct text_case {
	const char *name;
	bool verbose, quiet, hello, fail, client_cert, verified;
	const char *log;     /* the whole text line, "" for none */
};

static const struct text_case text_cases[] = {
	{"ok", false, false, true, false, false, false,
	    "127.0.0.1:50000 TLS1.3 TLS_AES_128_GCM_SHA256 group=X25519 "
	    "alpn=h2 sni=a\\x1Bb.example offered_alpn=h2,http/1.1 "
	    "offered_versions=TLS1.3,TLS1.2 in=5 out=5 7ms ok\n"},
	{"-v adds groups and sigalgs", true, false, true, false, false,
	    false,
	    "127.0.0.1:50000 TLS1.3 TLS_AES_128_GCM_SHA256 group=X25519 "
	    "alpn=h2 sni=a\\x1Bb.example offered_alpn=h2,http/1.1 "
	    "offered_versions=TLS1.3,TLS1.2 offered_groups=X25519 "
	    "offered_sigalgs=ecdsa_secp256r1_sha256,rsa_pss_rsae_sha256 "
	    "in=5 out=5 7ms ok\n"},
	{"-q: nothing for a clean end", false, true, true, false, false,
	    false, ""},
	{"-q keeps a failure", false, true, false, true, false, false,
	    "127.0.0.1:50000 - - group=- alpn=none in=0 out=0 7ms "
	    "error: handshake: bad \\x0A record\n"},
	{"an untrusted client certificate", false, false, false, true, true,
	    false,
	    "127.0.0.1:50000 - - group=- alpn=none client=\"CN=c\\x07\" "
	    "(untrusted) in=0 out=0 7ms error: handshake: bad \\x0A "
	    "record\n"},
	{"a trusted client certificate", false, false, true, false, true,
	    true,
	    "127.0.0.1:50000 TLS1.3 TLS_AES_128_GCM_SHA256 group=X25519 "
	    "alpn=h2 sni=a\\x1Bb.example offered_alpn=h2,http/1.1 "
	    "offered_versions=TLS1.3,TLS1.2 client=\"CN=c\\x07\" in=5 out=5 "
	    "7ms ok\n"},
};

static void
fill_case(struct tk_server_client_info *c, const struct tk_hello *h,
    struct tk_err *e, bool hello, bool fail, bool cert, bool verified)
{
	tk_err_clear(e);
	fill_ok(c, hello ? h : NULL, e);
	if (fail) {
		tk_err_set(e, TK_TLS, "handshake", "bad \n record");
		c->tls_done = false;
		memset(&c->tls, 0, sizeof(c->tls));
		c->bytes_in = c->bytes_out = 0;
	}
	if (cert) {
		c->client_cert = true;
		c->client_verified = verified;
		c->client_subject = "CN=c\a";
	}
}

static void
test_text(void)
{
	struct tk_hello h;

	fill_hello(&h);
	for (size_t i = 0; i < sizeof(text_cases) / sizeof(text_cases[0]);
	    i++) {
		const struct text_case *tc = &text_cases[i];
		struct tk_srvlog_conf conf = { .tool = "tls-echo-server",
			.quiet = tc->quiet, .verbose = tc->verbose };
		struct tk_server_client_info c;
		struct tk_err e;
		char *out = NULL, *log = NULL;

		TK_CASE(tc->name);
		fill_case(&c, &h, &e, tc->hello, tc->fail, tc->client_cert,
		    tc->verified);
		run(&conf, &c, &out, &log);
		EXPECT_EQ_STR(out, "");
		EXPECT_EQ_STR(log, tc->log);
		free(out);
		free(log);
	}
	TK_CASE(NULL);
}

/* The clients' verdict words (tlskit(7), VERDICTS). */
static void
test_verdict(void)
{
	struct tk_hello h;
	struct tk_server_client_info c;
	struct tk_err e;

	fill_hello(&h);
	fill_case(&c, &h, &e, true, false, false, false);
	EXPECT_EQ_STR(tk_srvlog_verdict(&c), "ok");
	fill_case(&c, &h, &e, true, true, false, false);
	EXPECT_EQ_STR(tk_srvlog_verdict(&c), "error");
	fill_case(&c, &h, &e, true, true, true, false);
	EXPECT_EQ_STR(tk_srvlog_verdict(&c), "fail");
	fill_case(&c, &h, &e, true, true, true, true);
	EXPECT_EQ_STR(tk_srvlog_verdict(&c), "error");
}

static void
test_json(void)
{
	struct tk_hello h;
	struct tk_server_client_info c;
	struct tk_err e;
	struct tk_srvlog_conf conf = { .tool = "tls-echo-server",
		.json = true, .quiet = true, .worker = 4242 };
	char *out = NULL, *log = NULL;
	json_t *o;

	fill_hello(&h);
	fill_case(&c, &h, &e, true, false, false, false);
	run(&conf, &c, &out, &log);
	EXPECT_EQ_STR(log, "");
	/* key order kept; the ESC byte as JSON escapes it */
	EXPECT_EQ_STR(out, "{\"tool\":\"tls-echo-server\","
	    "\"event\":\"connection\",\"worker\":4242,"
	    "\"peer\":\"127.0.0.1:50000\",\"client_hello\":{"
	    "\"sni\":\"a\\u001Bb.example\",\"alpn\":[\"h2\",\"http/1.1\"],"
	    "\"versions\":[\"TLS1.3\",\"TLS1.2\"],\"malformed\":false},"
	    "\"tls\":{\"version\":\"TLS1.3\","
	    "\"cipher\":\"TLS_AES_128_GCM_SHA256\",\"kx\":\"ECDHE-X25519\","
	    "\"group\":\"X25519\",\"alpn\":\"h2\",\"resumed\":false},"
	    "\"client_cert\":null,\"bytes_in\":5,\"bytes_out\":5,"
	    "\"verdict\":\"ok\",\"error\":null,\"exit_code\":0,"
	    "\"timings_ms\":{\"handshake\":3,\"total\":7}}\n");
	free(out);
	free(log);

	/* -v: groups and sigalgs; no worker field; a failure */
	conf.verbose = true;
	conf.worker = 0;
	fill_case(&c, &h, &e, true, true, true, false);
	o = tk_srvlog_json(&conf, &c);
	EXPECT_TRUE(o != NULL);
	EXPECT_TRUE(json_object_get(o, "worker") == NULL);
	EXPECT_EQ_SIZE(json_array_size(json_object_get(json_object_get(o,
	    "client_hello"), "groups")), 1);
	EXPECT_EQ_STR(json_string_value(json_array_get(json_object_get(
	    json_object_get(o, "client_hello"), "signature_algorithms"), 1)),
	    "rsa_pss_rsae_sha256");
	EXPECT_TRUE(json_is_null(json_object_get(o, "tls")));
	EXPECT_EQ_STR(json_string_value(json_object_get(o, "verdict")),
	    "fail");
	EXPECT_EQ_STR(json_string_value(json_object_get(json_object_get(o,
	    "error"), "message")), "bad \n record");
	EXPECT_EQ_STR(json_string_value(json_object_get(json_object_get(o,
	    "error"), "class")), tk_class_name(TK_TLS));
	EXPECT_EQ_INT(json_integer_value(json_object_get(o, "exit_code")),
	    tk_err_exit_code(TK_TLS));
	EXPECT_TRUE(json_is_null(json_object_get(json_object_get(o,
	    "timings_ms"), "handshake")));
	EXPECT_EQ_STR(json_string_value(json_object_get(json_object_get(o,
	    "client_cert"), "subject")), "CN=c\a");
	json_decref(o);

	/* no hello seen: client_hello is null */
	fill_case(&c, &h, &e, false, false, false, false);
	o = tk_srvlog_json(&conf, &c);
	EXPECT_TRUE(o != NULL && json_is_null(json_object_get(o,
	    "client_hello")));
	json_decref(o);
}

static void
test_listening(void)
{
	struct tk_srvlog_conf conf = { .tool = "tls-echo-server" };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL) {
		abort();
	}
	tk_srvlog_listening(&conf, "127.0.0.1:4433", f);
	conf.json = true;
	tk_srvlog_listening(&conf, "[::1]:4433", f);
	fclose(f);
	EXPECT_EQ_STR(buf, "listening on 127.0.0.1:4433\n"
	    "{\"event\":\"listening\",\"address\":\"[::1]:4433\"}\n");
	free(buf);
}

static void
body(void)
{
	test_text();
	test_verdict();
	test_json();
	test_listening();
}

TK_TEST_MAIN("test_srvlog", body)
