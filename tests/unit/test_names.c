/*
 * Unit tests for lib/names.h: host names against presented identifiers
 * (RFC 6125 with RFC 9525's wildcard rule and the Public Suffix List),
 * GeneralNames read one at a time, and name-constraint coverage
 * (RFC 5280 4.2.1.10).  The whole engine is test_chainval's and limbo's.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "names.h"

#include "tk_test.h"

/* A reference host against one presented dNSName: match, or refused why. */
static const struct {
	const char *host;
	const char *id;
	bool match;
	const char *why;    /* NULL: no wildcard refused */
} host_cases[] = {
	{"www.example.com", "www.example.com", true, NULL},
	{"WWW.Example.COM.", "www.example.com", true, NULL},
	{"www.example.com", "WWW.EXAMPLE.COM", true, NULL},
	{"www.example.com", "example.com", false, NULL},
	{"www.example.com", "*.example.com", true, NULL},
	{"a.b.example.com", "*.example.com", false,
	    "a wildcard covers exactly one label"},
	{"example.com", "*.example.com", false, NULL},
	{"www.example.com", "w*.example.com", false,
	    "the '*' must be the whole left-most label"},
	{"www.example.com", "*", false, "a lone '*' covers every name"},
	{"example.com", "*.com", false, "it covers a whole top-level domain"},
	{"foo.co.uk", "*.co.uk", false, "'co.uk' is a public suffix"},
	{"www.example.com", "*.*.com", false,
	    "a wildcard covers exactly one label"},
	{"www.example.com", "x*.com", false, NULL},
};

static void
test_host_dns(void)
{
	for (size_t i = 0; i < sizeof(host_cases) / sizeof(host_cases[0]);
	     i++) {
		struct tk_names_host h;

		TK_CASE(host_cases[i].id);
		tk_names_host_init(&h, host_cases[i].host);
		EXPECT_EQ_INT(tk_names_host_dns(&h, host_cases[i].id,
		    strlen(host_cases[i].id)), host_cases[i].match);
		if (host_cases[i].why != NULL) {
			EXPECT_EQ_STR(h.refused, host_cases[i].id);
			EXPECT_EQ_STR(h.why, host_cases[i].why);
		} else {
			EXPECT_EQ_STR(h.refused, "");
		}
	}
	TK_CASE("a NUL inside the identifier");
	{
		struct tk_names_host h;

		tk_names_host_init(&h, "a.example");
		EXPECT_TRUE(!tk_names_host_dns(&h, "a.example\0.evil", 15));
	}
	TK_CASE(NULL);
}

static void
test_host_init(void)
{
	struct tk_names_host h;

	TK_CASE("IPv6 in brackets");
	tk_names_host_init(&h, "[2001:db8::1]");
	EXPECT_EQ_SIZE(h.iplen, 16);
	EXPECT_EQ_STR(h.host, "2001:db8::1");
	EXPECT_TRUE(h.dot == NULL);
	TK_CASE("IPv4");
	tk_names_host_init(&h, "192.0.2.1");
	EXPECT_EQ_SIZE(h.iplen, 4);
	EXPECT_EQ_INT(h.ip[0], 192);
	TK_CASE("a name: lower case, no final dot");
	tk_names_host_init(&h, "Mail.Example.ORG.");
	EXPECT_EQ_SIZE(h.iplen, 0);
	EXPECT_EQ_STR(h.host, "mail.example.org");
	EXPECT_EQ_STR(h.shown, "mail.example.org");
	EXPECT_TRUE(h.dot == h.host + 4);
	EXPECT_EQ_INT(h.psl_memo, -1);
	TK_CASE(NULL);
}

#define D(lit) {(const unsigned char *)(lit), sizeof(lit) - 1}

static void
test_next(void)
{
	/* dNSName a.test, iPAddress 192.0.2.1, directoryName CN=x */
	struct tk_der it = D("\x82\x06" "a.test" "\x87\x04\xc0\x00\x02\x01"
	    "\xa4\x0e\x30\x0c\x31\x0a\x30\x08\x06\x03\x55\x04\x03\x0c\x01x");
	struct tk_names_gn g;
	char buf[64];

	TK_CASE("GeneralNames");
	EXPECT_TRUE(tk_names_next(&it, &g));
	EXPECT_EQ_INT(g.tag, 0x82);
	EXPECT_EQ_SIZE(g.v.n, 6);
	EXPECT_TRUE(tk_names_next(&it, &g));
	EXPECT_EQ_INT(g.tag, 0x87);
	tk_names_ip_text(g.v, buf, sizeof(buf));
	EXPECT_EQ_STR(buf, "192.0.2.1");
	EXPECT_TRUE(tk_names_next(&it, &g));
	EXPECT_EQ_INT(g.tag, 0xa4);
	EXPECT_EQ_SIZE(g.v.n, 14);    /* the Name TLV */
	EXPECT_EQ_INT(g.v.p[0], 0x30);
	EXPECT_TRUE(!tk_names_next(&it, &g));
	EXPECT_TRUE(tk_names_tag_ok(0x82) && tk_names_tag_ok(0x88));
	EXPECT_TRUE(!tk_names_tag_ok(0x89) && !tk_names_tag_ok(0x30));

	TK_CASE("text for messages");
	tk_names_printable(buf, sizeof(buf), "a\x01\xff" "b", 4);
	EXPECT_EQ_STR(buf, "a??b");
	tk_names_printable(buf, 3, "abcdef", 6);
	EXPECT_EQ_STR(buf, "ab");
	tk_names_ip_text((struct tk_der)D("\x01\x02\x03"), buf, sizeof(buf));
	EXPECT_EQ_STR(buf, "(3-byte address)");
	TK_CASE(NULL);
}

/* One name of type tag against one base: permitted, and excluded. */
static const struct {
	const char *name;
	unsigned char tag;
	struct tk_der n, base;
	bool permitted, excluded;
} nc_cases[] = {
	{"dNSName inside", 0x82, D("a.example.com"), D("example.com"), true,
	    true},
	{"dNSName equal, other case", 0x82, D("Example.COM"), D("example.com"),
	    true, true},
	{"dNSName beside", 0x82, D("badexample.com"), D("example.com"), false,
	    false},
	{"empty base covers all", 0x82, D("x.test"), D(""), true, true},
	{"wildcard inside", 0x82, D("*.example.com"), D("example.com"), true,
	    true},
	{"wildcard over an excluded host", 0x82, D("*.example.com"),
	    D("x.example.com"), false, true},
	{"IPv4 in the subnet", 0x87, D("\xc0\x00\x02\x07"),
	    D("\xc0\x00\x02\x00\xff\xff\xff\x00"), true, true},
	{"IPv4 outside", 0x87, D("\xc0\x00\x03\x07"),
	    D("\xc0\x00\x02\x00\xff\xff\xff\x00"), false, false},
	{"mailbox in the domain", 0x81, D("me@example.com"), D("example.com"),
	    true, true},
	{"mailbox, subdomains only", 0x81, D("me@example.com"),
	    D(".example.com"), false, false},
	{"URI host", 0x86, D("https://user@www.example.com:8443/x"),
	    D(".example.com"), true, true},
	{"URI with an IP literal", 0x86, D("https://[::1]/"), D(".example.com"),
	    false, false},
};

static void
test_nc(void)
{
	for (size_t i = 0; i < sizeof(nc_cases) / sizeof(nc_cases[0]); i++) {
		TK_CASE(nc_cases[i].name);
		EXPECT_EQ_INT(tk_names_nc_covers(nc_cases[i].tag, nc_cases[i].n,
		    nc_cases[i].base, false), nc_cases[i].permitted);
		EXPECT_EQ_INT(tk_names_nc_covers(nc_cases[i].tag, nc_cases[i].n,
		    nc_cases[i].base, true), nc_cases[i].excluded);
	}
	TK_CASE("supported types");
	EXPECT_TRUE(tk_names_nc_supported(0xa4));
	EXPECT_TRUE(!tk_names_nc_supported(0xa0));

	TK_CASE("syntax");
	/* permitted dNSName example.com */
	EXPECT_TRUE(tk_names_nc_validate((struct tk_der)D("\x30\x11\xa0\x0f"
	    "\x30\x0d\x82\x0b" "example.com")) == NULL);
	/* a wildcard base */
	EXPECT_TRUE(tk_names_nc_validate((struct tk_der)D("\x30\x0f\xa0\x0d"
	    "\x30\x0b\x82\x09" "*.example")) != NULL);
	/* neither subtree */
	EXPECT_TRUE(tk_names_nc_validate((struct tk_der)D("\x30\x00")) !=
	    NULL);
	/* a mask that is not a prefix */
	EXPECT_TRUE(tk_names_nc_validate((struct tk_der)D("\x30\x0e\xa0\x0c"
	    "\x30\x0a\x87\x08\xc0\x00\x02\x00\xff\x00\xff\x00")) != NULL);
	TK_CASE(NULL);
}

static void
run(void)
{
	test_host_init();
	test_host_dns();
	test_next();
	test_nc();
}

TK_TEST_MAIN("test_names", run)
