/*
 * Unit tests for lib/proxy.h: proxy URLs, the environment and no_proxy as
 * curl reads them, and the parser of the proxy's reply to CONNECT.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"

#include "tk_test.h"

static const struct {
	const char *in;
	bool ok;
	const char *host;
	uint16_t port;
} urls[] = {
	{"http://proxy.example:3128", true, "proxy.example", 3128},
	{"http://proxy.example:3128/", true, "proxy.example", 3128},
	{"HTTP://Proxy.Example", true, "proxy.example", 1080},
	{"proxy.example:8080", true, "proxy.example", 8080},
	{"127.0.0.1:3128", true, "127.0.0.1", 3128},
	{"http://[::1]:3128", true, "::1", 3128},
	{"https://proxy.example:443", false, NULL, 0},
	{"socks5://proxy.example:1080", false, NULL, 0},
	{"http://user:pw@proxy.example:3128", false, NULL, 0},
	{"socks5://user:pw@proxy.example:1080", false, NULL, 0},
	{"user:pw@proxy.example:3128", false, NULL, 0},
	{"http://proxy.example:3128/path", false, NULL, 0},
	{"http://", false, NULL, 0},
	{"http://:3128", false, NULL, 0},
	{"http://proxy.example:0", false, NULL, 0},
	{"http://proxy.example:99999", false, NULL, 0},
	{"http://pro xy:1", false, NULL, 0},
	{"http://[::1:3128", false, NULL, 0},
};

static void
test_urls(void)
{
	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		struct tk_proxy p;
		struct tk_err err;
		int rc;

		TK_CASE(urls[i].in);
		tk_err_clear(&err);
		rc = tk_proxy_parse(urls[i].in, "--proxy", &p, &err);
		if (!urls[i].ok) {
			EXPECT_EQ_INT(rc, -1);
			EXPECT_EQ_INT(err.cls, TK_USAGE);
			EXPECT_TRUE(strstr(err.msg, "--proxy") != NULL);
			/* a password in the URL never reaches the message */
			EXPECT_TRUE(strstr(err.msg, "pw") == NULL);
			continue;
		}
		EXPECT_EQ_INT(rc, 0);
		EXPECT_EQ_STR(p.host, urls[i].host);
		EXPECT_EQ_INT(p.port, urls[i].port);
	}
	TK_CASE(NULL);
}

static void
clear_env(void)
{
	static const char *const names[] = {"https_proxy", "HTTPS_PROXY",
	    "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY", "http_proxy"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		unsetenv(names[i]);
	}
}

static const struct {
	const char *name;
	const char *opt;          /* --proxy, NULL: none */
	const char *env[4];       /* NAME=VALUE */
	int rc;
	bool set;
	const char *host;         /* the proxy's */
	const char *target;       /* tk_proxy_use() for this ... */
	bool use;                 /* ... says */
} envs[] = {
	{"nothing", NULL, {NULL}, 0, false, "", "a.example", false},
	{"https_proxy", NULL, {"https_proxy=http://p1:1"}, 0, true, "p1",
	    "a.example", true},
	{"HTTPS_PROXY", NULL, {"HTTPS_PROXY=p2:2"}, 0, true, "p2", "a.example",
	    true},
	{"https_proxy before HTTPS_PROXY", NULL, {"https_proxy=p1:1",
	    "HTTPS_PROXY=p2:2"}, 0, true, "p1", "a.example", true},
	{"all_proxy", NULL, {"all_proxy=p3:3"}, 0, true, "p3", "a.example",
	    true},
	{"https_proxy before all_proxy", NULL, {"all_proxy=p3:3",
	    "https_proxy=p1:1"}, 0, true, "p1", "a.example", true},
	/* curl: http_proxy is for http:// only */
	{"http_proxy is not used", NULL, {"http_proxy=p4:4"}, 0, false, "",
	    "a.example", false},
	{"--proxy before the environment", "http://p5:5",
	    {"https_proxy=p1:1"}, 0, true, "p5", "a.example", true},
	{"--proxy '' turns it off", "", {"https_proxy=p1:1"}, 0, false, "",
	    "a.example", false},
	{"empty https_proxy is unset", NULL, {"https_proxy="}, 0, false, "",
	    "a.example", false},
	{"malformed https_proxy", NULL, {"https_proxy=socks5://x"}, -1,
	    false, "", "a.example", false},
	{"no_proxy domain", NULL, {"https_proxy=p1:1",
	    "no_proxy=example.com"}, 0, true, "p1", "www.example.com", false},
	{"no_proxy domain itself", NULL, {"https_proxy=p1:1",
	    "no_proxy=example.com"}, 0, true, "p1", "example.com", false},
	{"no_proxy leading dot", NULL, {"https_proxy=p1:1",
	    "no_proxy=.example.com"}, 0, true, "p1", "a.example.com", false},
	{"no_proxy is no suffix match", NULL, {"https_proxy=p1:1",
	    "no_proxy=example.com"}, 0, true, "p1", "badexample.com", true},
	{"no_proxy list", NULL, {"https_proxy=p1:1",
	    "no_proxy=a.test, localhost,127.0.0.1"}, 0, true, "p1", "localhost",
	    false},
	{"no_proxy IP", NULL, {"https_proxy=p1:1", "no_proxy=127.0.0.1"}, 0,
	    true, "p1", "127.0.0.1", false},
	{"no_proxy case", NULL, {"https_proxy=p1:1", "NO_PROXY=Example.COM"},
	    0, true, "p1", "example.com", false},
	{"no_proxy star", NULL, {"https_proxy=p1:1", "no_proxy=*"}, 0, true,
	    "p1", "anything.example", false},
	{"no_proxy applies to --proxy too", "p5:5", {"no_proxy=a.example"}, 0,
	    true, "p5", "a.example", false},
};

static void
test_env(void)
{
	for (size_t i = 0; i < sizeof(envs) / sizeof(envs[0]); i++) {
		struct tk_proxy_conf pc;
		struct tk_err err;
		int rc;

		TK_CASE(envs[i].name);
		clear_env();
		for (size_t k = 0; k < 4 && envs[i].env[k] != NULL; k++) {
			char buf[256];
			char *eq;

			snprintf(buf, sizeof(buf), "%s", envs[i].env[k]);
			eq = strchr(buf, '=');
			*eq = '\0';
			setenv(buf, eq + 1, 1);
		}
		tk_err_clear(&err);
		rc = tk_proxy_conf_init(&pc, envs[i].opt, &err);
		EXPECT_EQ_INT(rc, envs[i].rc);
		if (rc < 0) {
			EXPECT_EQ_INT(err.cls, TK_USAGE);
			continue;
		}
		EXPECT_EQ_INT(pc.set, envs[i].set);
		if (pc.set) {
			EXPECT_EQ_STR(pc.proxy.host, envs[i].host);
		}
		EXPECT_EQ_INT(tk_proxy_use(&pc, envs[i].target), envs[i].use);
	}
	clear_env();
	TK_CASE(NULL);
}

/* tk_proxy_explain(): what -v says about a target's proxy (curl -v). */
static void
test_explain(void)
{
	static const struct {
		const char *name;
		const char *opt;
		const char *env[2];
		const char *target;
		bool use;
		const char *why;
	} cases[] = {
		{"none", NULL, {NULL}, "a.example", false, "none configured"},
		{"from https_proxy", NULL,
		    {"https_proxy=http://127.0.0.1:3128"}, "a.example", true,
		    "via 127.0.0.1:3128 (from https_proxy)"},
		{"from ALL_PROXY", NULL, {"ALL_PROXY=[::1]:8080"}, "a.example",
		    true, "via [::1]:8080 (from ALL_PROXY)"},
		{"from --proxy", "p5", {NULL}, "a.example", true,
		    "via p5:1080 (from --proxy)"},
		{"--proxy ''", "", {"https_proxy=p1:1"}, "a.example", false,
		    "none (--proxy '')"},
		{"no_proxy", NULL, {"https_proxy=p1:1",
		    "no_proxy=x.test, .example"}, "a.example", false,
		    "none: 'a.example' matches no_proxy entry '.example'"},
		{"no_proxy star", NULL, {"https_proxy=p1:1", "NO_PROXY=*"},
		    "a.example", false,
		    "none: 'a.example' matches no_proxy entry '*'"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tk_proxy_conf pc;
		struct tk_err err;
		char why[256];

		TK_CASE(cases[i].name);
		clear_env();
		for (size_t k = 0; k < 2 && cases[i].env[k] != NULL; k++) {
			char buf[256];
			char *eq;

			snprintf(buf, sizeof(buf), "%s", cases[i].env[k]);
			eq = strchr(buf, '=');
			*eq = '\0';
			setenv(buf, eq + 1, 1);
		}
		tk_err_clear(&err);
		EXPECT_EQ_INT(tk_proxy_conf_init(&pc, cases[i].opt, &err), 0);
		EXPECT_EQ_INT(tk_proxy_explain(&pc, cases[i].target, why,
		    sizeof(why)), cases[i].use);
		EXPECT_EQ_STR(why, cases[i].why);
		EXPECT_EQ_INT(tk_proxy_use(&pc, cases[i].target),
		    cases[i].use);
	}
	clear_env();
	TK_CASE(NULL);
}

#define MORE TK_PROXY_INCOMPLETE

static const struct {
	const char *name;
	const char *in;
	int rc;
	int status;
	size_t consumed;
	const char *reason;
} replies[] = {
	{"200", "HTTP/1.1 200 Connection established\r\n\r\n", 0, 200, 39,
	    "Connection established"},
	{"200 with headers, then TLS bytes", "HTTP/1.0 200 OK\r\nVia: x\r\n"
	    "\r\n\x16\x03\x03", 0, 200, 27, "OK"},
	{"403", "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n", 0, 403,
	    45, "Forbidden"},
	{"reason made printable", "HTTP/1.1 502 Bad\x7f" "Gate\r\n\r\n", 0,
	    502, 25, "Bad?Gate"},
	{"half a status line", "HTTP/1.1 20", MORE, 0, 0, ""},
	{"no empty line yet", "HTTP/1.1 200 OK\r\nVia: x\r\n", MORE, 0, 0,
	    ""},
	{"not HTTP", "SSH-2.0-OpenSSH_9.2\r\n\r\n", -1, 0, 0, ""},
	{"a TLS alert", "\x15\x03\x03", -1, 0, 0, ""},
	{"HTTP/2", "HTTP/2 200\r\n\r\n", -1, 0, 0, ""},
	{"bad header", "HTTP/1.1 200 OK\r\nno colon\r\n\r\n", -1, 0, 0, ""},
};

static void
test_replies(void)
{
	for (size_t i = 0; i < sizeof(replies) / sizeof(replies[0]); i++) {
		struct tk_err err;
		char reason[64] = "";
		size_t used = 0;
		int status = 0, rc;

		TK_CASE(replies[i].name);
		tk_err_clear(&err);
		rc = tk_proxy_reply_parse((const unsigned char *)replies[i].in,
		    strlen(replies[i].in), &status, reason, sizeof(reason),
		    &used, &err);
		EXPECT_EQ_INT(rc, replies[i].rc);
		if (rc < 0) {
			EXPECT_EQ_INT(err.cls, TK_NET);
			EXPECT_EQ_STR(err.step, "connect");
		}
		if (rc == 0) {
			EXPECT_EQ_INT(status, replies[i].status);
			EXPECT_EQ_SIZE(used, replies[i].consumed);
			EXPECT_EQ_STR(reason, replies[i].reason);
		}
	}
	TK_CASE(NULL);
}

static void
run(void)
{
	test_urls();
	test_env();
	test_explain();
	test_replies();
}

TK_TEST_MAIN("test_proxy", run)
