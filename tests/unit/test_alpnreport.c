/*
 * Unit tests for lib/alpnreport.h's pure parts: protocol names joined as
 * text (escaped, cut), the --each word, one probe as JSON (names from
 * the peer escaped as JSON does).
 */
#include <gnutls/gnutls.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alpnreport.h"

#include "tk_test.h"

struct join_case {
	const char *name;
	char *names[3];
	size_t n;
	const char *sep;
	size_t len;
	const char *out;
};

static const struct join_case join_cases[] = {
	{"none", {NULL}, 0, ",", 64, ""},
	{"one", {"h2"}, 1, ",", 64, "h2"},
	{"two by ','", {"h2", "http/1.1"}, 2, ",", 64, "h2,http/1.1"},
	{"order's ' > '", {"h2", "http/1.1", "h3"}, 3, " > ", 64,
	    "h2 > http/1.1 > h3"},
	{"a control byte escaped", {"a\x1b", "b"}, 2, ",", 64, "a\\x1B,b"},
	{"cut when short", {"h2", "http/1.1"}, 2, ",", 6, "h2,ht"},
	{"one byte: empty", {"h2"}, 1, ",", 1, ""},
};

static void
test_join(void)
{
	for (size_t i = 0; i < sizeof(join_cases) / sizeof(join_cases[0]);
	    i++) {
		const struct join_case *c = &join_cases[i];
		char buf[64];

		TK_CASE(c->name);
		memset(buf, 'x', sizeof(buf));
		tk_alpnreport_join(c->names, c->n, c->sep, buf,
		    c->len);
		EXPECT_EQ_STR(buf, c->out);
	}
	TK_CASE(NULL);
}

static void
test_each_word(void)
{
	EXPECT_EQ_STR(tk_alpnreport_each_word(TK_ALPN_SELECTED), "accepted");
	EXPECT_EQ_STR(tk_alpnreport_each_word(TK_ALPN_REFUSED), "refused");
	EXPECT_EQ_STR(tk_alpnreport_each_word(TK_ALPN_IGNORED), "ignored");
	EXPECT_EQ_STR(tk_alpnreport_each_word(TK_ALPN_ERROR), "error");
	EXPECT_EQ_STR(tk_alpnreport_each_word(TK_ALPN_PENDING), "pending");
}

static char *
dump(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);

	json_decref(o);
	return s;
}

/* A probe's result is large: one, zeroed per case. */
static struct tk_alpn_probe probe;

static void
test_json_probe(void)
{
	char *names[] = { "h2", "http/1.1" };
	const char *al;
	json_t *o;
	char *s;

	/* selected: the server's answer, with a control byte */
	memset(&probe, 0, sizeof(probe));
	probe.offer.names = names;
	probe.offer.n = 2;
	probe.out = TK_ALPN_SELECTED;
	snprintf(probe.r.tls.alpn, sizeof(probe.r.tls.alpn), "h2\x1b");
	s = dump(tk_alpnreport_json_probe(&probe));
	EXPECT_EQ_STR(s, "{\"offered\":[\"h2\",\"http/1.1\"],"
	    "\"outcome\":\"selected\",\"selected\":\"h2\\u001B\","
	    "\"alert\":null,\"error\":null}");
	free(s);

	/* refused by RFC 7301's alert */
	memset(&probe, 0, sizeof(probe));
	probe.offer.names = names;
	probe.offer.n = 1;
	probe.out = TK_ALPN_REFUSED;
	probe.r.err.gnutls_rc = GNUTLS_E_FATAL_ALERT_RECEIVED;
	probe.r.tls.fatal_alert = GNUTLS_A_NO_APPLICATION_PROTOCOL;
	o = tk_alpnreport_json_probe(&probe);
	EXPECT_EQ_STR(json_string_value(json_object_get(o, "outcome")),
	    "refused");
	EXPECT_TRUE(json_is_null(json_object_get(o, "selected")));
	EXPECT_TRUE(json_is_null(json_object_get(o, "error")));
	/* the RFC 8446 name of alert 120, not GnuTLS's enum name */
	al = json_string_value(json_object_get(o, "alert"));
	EXPECT_TRUE(al != NULL);
	EXPECT_EQ_STR(al, "no_application_protocol");
	json_decref(o);

	/* an error: its message, escaped as JSON does */
	memset(&probe, 0, sizeof(probe));
	probe.offer.names = names + 1;
	probe.offer.n = 1;
	probe.out = TK_ALPN_ERROR;
	tk_err_set(&probe.r.err, TK_NET, "connect", "refused \"x\"\n");
	s = dump(tk_alpnreport_json_probe(&probe));
	EXPECT_EQ_STR(s, "{\"offered\":[\"http/1.1\"],\"outcome\":\"error\","
	    "\"selected\":null,\"alert\":null,"
	    "\"error\":\"refused \\\"x\\\"\\n\"}");
	free(s);
}

static void
body(void)
{
	test_join();
	test_each_word();
	test_json_probe();
}

TK_TEST_MAIN("test_alpnreport", body)
