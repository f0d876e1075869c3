/* Unit tests for lib/target.h: targets, --hostname, schemes, literals. */
#include <arpa/inet.h>
#include <idn2.h>
#include <stdio.h>
#include <string.h>

#include "target.h"

#include "tk_test.h"

#define DEFPORT 4433

static const struct {
	const char *in;
	const char *host;
	uint16_t port;
	const char *scheme;
	int family;
	bool had_port;
} good[] = {
	{"example.com", "example.com", DEFPORT, "", 0, false},
	{"example.com:8443", "example.com", 8443, "", 0, true},
	/* lower case; RFC 6066 3: no final dot */
	{"EXAMPLE.com.", "example.com", DEFPORT, "", 0, false},
	{"[::1]:443", "::1", 443, "", AF_INET6, true},
	{"[::1]", "::1", DEFPORT, "", AF_INET6, false},
	{"::1", "::1", DEFPORT, "", AF_INET6, false},
	/* bare IPv6 whose last group cannot be a port: not ambiguous */
	{"2001:db8::1", "2001:db8::1", DEFPORT, "", AF_INET6, false},
	{"2001:db8::443", "2001:db8::443", DEFPORT, "", AF_INET6, false},
	{"2001:db8::1:abcd", "2001:db8::1:abcd", DEFPORT, "", AF_INET6,
	    false},
	{"::ffff:127.0.0.1", "::ffff:127.0.0.1", DEFPORT, "", AF_INET6,
	    false},
	{"1:2:3:4:5:6:7:443", "1:2:3:4:5:6:7:443", DEFPORT, "", AF_INET6,
	    false},
	{"127.0.0.1:1", "127.0.0.1", 1, "", AF_INET, true},
	{"127.0.0.1:65535", "127.0.0.1", 65535, "", AF_INET, true},
	{"b\xc3\xbc" "cher.example", "xn--bcher-kva.example", DEFPORT, "", 0,
	    false},
	{"xn--bcher-kva.example", "xn--bcher-kva.example", DEFPORT, "", 0,
	    false},
	{"https://example.com/path", "example.com", 443, "https", 0, false},
	{"HTTPS://example.com", "example.com", 443, "https", 0, false},
	{"smtps://mail.example:2465", "mail.example", 2465, "smtps", 0, true},
	{"imap://x", "x", 143, "imap", 0, false},
	{"https://[::1]:8443/", "::1", 8443, "https", AF_INET6, true},
	{"https://example.com?q=a@b", "example.com", 443, "https", 0, false},
	{"under_score.example", "under_score.example", DEFPORT, "", 0,
	    false},
};

/* Every one fails with class USAGE before any I/O. */
static const char *const bad[] = {
	"",
	":443",
	"host:0",
	"host:65536",
	"host:99999999",
	"host:abc",
	"host:",
	"host:-1",
	"[::1",
	"[127.0.0.1]:443",
	"[example.com]:443",
	"[::1]x",
	"[::1]:",
	"[]:443",
	"gopher://x",
	"://x",
	"https://",
	"a..b",
	".a.com",
	"-a.com",
	"a-.com",
	"exa mple.com",
	"https://user@host/",
	"1:2:3",
	"a\tb.com",
	"a\x01.com",
	"exa\x7fmple.com",
	"host:443\r\n",
	"xn--zz.example",
};

static void
test_target_good(void)
{
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct tk_target t;
		struct tk_err err;
		int rc;

		TK_CASE(good[i].in);
		tk_err_clear(&err);
		rc = tk_target_parse(good[i].in, DEFPORT, &t, &err);
		EXPECT_EQ_INT(rc, 0);
		EXPECT_EQ_INT(err.cls, TK_OK);
		if (rc != 0) {
			fprintf(stderr, "  error: %s\n", err.msg);
			continue;
		}
		EXPECT_EQ_STR(t.host, good[i].host);
		EXPECT_EQ_INT(t.port, good[i].port);
		EXPECT_EQ_STR(t.scheme, good[i].scheme);
		EXPECT_EQ_INT(t.ip_family, good[i].family);
		EXPECT_EQ_INT(t.had_port, good[i].had_port);
		EXPECT_EQ_STR(t.display, good[i].in);
	}
	TK_CASE(NULL);
}

static void
test_target_bad(void)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct tk_target t;
		struct tk_err err;

		TK_CASE(bad[i]);
		/* only if libidn2 itself refuses the A-label */
		if (strncmp(bad[i], "xn--zz", 6) == 0) {
			char *u = NULL;

			if (idn2_to_unicode_8z8z("xn--zz", &u, 0) == IDN2_OK) {
				idn2_free(u);
				continue;
			}
		}
		tk_err_clear(&err);
		EXPECT_EQ_INT(tk_target_parse(bad[i], DEFPORT, &t, &err), -1);
		EXPECT_EQ_INT(err.cls, TK_USAGE);
		EXPECT_TRUE(err.msg[0] != '\0');
	}
	TK_CASE(NULL);
}

/*
 * An unbracketed IPv6 literal whose last group could be a port is refused
 * (as openssl s_client does): "::1:443" is ::1 port 443 or ::0.1.4.67.
 * The message shows the bracketed form.
 */
static void
test_target_ipv6_port_ambiguous(void)
{
	static const struct {
		const char *in, *want;
	} amb[] = {
		{"::1:443", "[::1]:443"},
		{"fe80::1:8443", "[fe80::1]:8443"},
		{"2001:db8::1:0", "[2001:db8::1]:0"},
	};

	for (size_t i = 0; i < sizeof(amb) / sizeof(amb[0]); i++) {
		struct tk_target t;
		struct tk_err err;

		TK_CASE(amb[i].in);
		tk_err_clear(&err);
		EXPECT_EQ_INT(tk_target_parse(amb[i].in, DEFPORT, &t, &err),
		    -1);
		EXPECT_EQ_INT(err.cls, TK_USAGE);
		EXPECT_TRUE(strstr(err.msg, amb[i].want) != NULL);
	}
	TK_CASE(NULL);
}

/* Targets-file lines: name=HOST, HOST:PORT{IP}, the label left out. */
static void
test_target_line_fields(void)
{
	static const struct {
		const char *in, *host, *name, *display;
		uint16_t port;
		int family;
	} ok[] = {
		{"203.0.113.7:443 name=shop.example", "203.0.113.7",
		    "shop.example", "203.0.113.7:443 name=shop.example", 443,
		    AF_INET},
		{"203.0.113.7:443\tname=SHOP.example.\x1fmy label",
		    "203.0.113.7", "shop.example",
		    "203.0.113.7:443\tname=SHOP.example.", 443, AF_INET},
		{"shop.example:8443{203.0.113.7}", "203.0.113.7",
		    "shop.example", "shop.example:8443{203.0.113.7}", 8443,
		    AF_INET},
		{"shop.example{2001:db8::7}", "2001:db8::7", "shop.example",
		    "shop.example{2001:db8::7}", DEFPORT, AF_INET6},
		{"[::1]:443 name=b\xc3\xbc" "cher.example", "::1",
		    "xn--bcher-kva.example", NULL, 443, AF_INET6},
		{"lb1.internal:443 name=192.0.2.1", "lb1.internal",
		    "192.0.2.1", NULL, 443, 0},
		{"example.com\x1flabel only", "example.com", "", "example.com",
		    DEFPORT, 0},
		{"example.com", "example.com", "", "example.com", DEFPORT, 0},
	};
	static const char *const refused[] = {
		"203.0.113.7:443 nme=shop.example",
		"203.0.113.7:443 name=",
		"203.0.113.7:443 name=a/b",
		"203.0.113.7:443 name=a name=b",
		"203.0.113.7:443 extra",
		"shop.example:443{not-an-ip}",
		"shop.example:443{}",
		"{203.0.113.7}",
		"203.0.113.8:443{203.0.113.7}",
		"shop.example:443{203.0.113.7} name=x",
		"::1:443 name=x",
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct tk_target t;
		struct tk_err err;

		TK_CASE(ok[i].in);
		tk_err_clear(&err);
		EXPECT_EQ_INT(tk_target_parse_line(ok[i].in, DEFPORT, &t, &err), 0);
		EXPECT_EQ_STR(t.host, ok[i].host);
		EXPECT_EQ_STR(t.name, ok[i].name);
		EXPECT_EQ_INT(t.port, ok[i].port);
		EXPECT_EQ_INT(t.ip_family, ok[i].family);
		if (ok[i].display != NULL) {
			EXPECT_EQ_STR(t.display, ok[i].display);
		}
	}
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		struct tk_target t;
		struct tk_err err;

		TK_CASE(refused[i]);
		tk_err_clear(&err);
		EXPECT_EQ_INT(tk_target_parse_line(refused[i], DEFPORT, &t, &err), -1);
		EXPECT_EQ_INT(err.cls, TK_USAGE);
	}
	/* tk_target_parse takes a target alone: no fields (URLs, --proxy,
	 * --resolve and AIA fetches parse with it) */
	for (size_t i = 0; i < 4; i++) {
		struct tk_target t;
		struct tk_err err;

		TK_CASE(ok[i].in);
		tk_err_clear(&err);
		EXPECT_EQ_INT(tk_target_parse(ok[i].in, DEFPORT, &t, &err), -1);
	}
	TK_CASE(NULL);
}

static void
test_target_lengths(void)
{
	char name[512], label[80];
	struct tk_target t;
	struct tk_err err;

	/* 300 bytes: labels of 9 and dots, longer than 253 */
	memset(name, 0, sizeof(name));
	for (size_t i = 0; i < 300; i++) {
		name[i] = (i % 10 == 9) ? '.' : 'a';
	}
	name[299] = 'a';
	TK_CASE("300-byte name");
	tk_err_clear(&err);
	EXPECT_EQ_INT(tk_target_parse(name, DEFPORT, &t, &err), -1);
	EXPECT_EQ_INT(err.cls, TK_USAGE);

	/* 253 bytes is the longest name (RFC 1035 2.3.4) */
	name[253] = '\0';
	name[252] = 'a';
	TK_CASE("253-byte name");
	tk_err_clear(&err);
	EXPECT_EQ_INT(tk_target_parse(name, DEFPORT, &t, &err), 0);
	EXPECT_EQ_SIZE(strlen(t.host), 253);

	/* a label is at most 63 bytes */
	memset(label, 'b', 63);
	snprintf(label + 63, sizeof(label) - 63, ".com");
	TK_CASE("63-byte label");
	tk_err_clear(&err);
	EXPECT_EQ_INT(tk_target_parse(label, DEFPORT, &t, &err), 0);

	memset(label, 'b', 64);
	snprintf(label + 64, sizeof(label) - 64, ".com");
	TK_CASE("64-byte label");
	tk_err_clear(&err);
	EXPECT_EQ_INT(tk_target_parse(label, DEFPORT, &t, &err), -1);
	EXPECT_EQ_INT(err.cls, TK_USAGE);

	/* the last label too */
	snprintf(label, sizeof(label), "com.");
	memset(label + 4, 'b', 64);
	label[68] = '\0';
	TK_CASE("64-byte last label");
	tk_err_clear(&err);
	EXPECT_EQ_INT(tk_target_parse(label, DEFPORT, &t, &err), -1);
	EXPECT_EQ_INT(err.cls, TK_USAGE);
	TK_CASE(NULL);
}

static const struct {
	const char *in;
	const char *out;  /* NULL: rejected with USAGE */
} hostnames[] = {
	{"example.com", "example.com"},
	{"EXAMPLE.COM.", "example.com"},
	{"b\xc3\xbc" "cher.example", "xn--bcher-kva.example"},
	{"::1", "::1"},
	{"127.0.0.1", "127.0.0.1"},
	{"2001:db8::1", "2001:db8::1"},
	/* no port in --hostname: an address whose last group looks like
	 * one is the address (x509-limbo's webpki::cn::ipv6-* cases) */
	{"2001:db8::1:0:0:1", "2001:db8::1:0:0:1"},
	{"2001:db8::8a2e:370:7334", "2001:db8::8a2e:370:7334"},
	{"::1:443", "::1:443"},
	{"host:443", NULL},
	{"https://x", NULL},
	{"x/y", NULL},
	{"[::1]", NULL},
	{"[::1]:443", NULL},
	/* a targets-file line's fields are no host name */
	{"a.example name=b.example", NULL},
	{"a.example{192.0.2.1}", NULL},
	{"a.example\x1flabel", NULL},
	{"", NULL},
	{"a b", NULL},
	{"a..b", NULL},
};

static void
test_hostname_check(void)
{
	for (size_t i = 0; i < sizeof(hostnames) / sizeof(hostnames[0]);
	     i++) {
		char out[TK_HOST_MAX];
		struct tk_err err;
		int rc;

		TK_CASE(hostnames[i].in);
		tk_err_clear(&err);
		out[0] = '\0';
		rc = tk_target_hostname_check(hostnames[i].in, out,
		    sizeof(out), &err);
		if (hostnames[i].out != NULL) {
			EXPECT_EQ_INT(rc, 0);
			EXPECT_EQ_STR(out, hostnames[i].out);
		} else {
			EXPECT_EQ_INT(rc, -1);
			EXPECT_EQ_INT(err.cls, TK_USAGE);
		}
	}
	TK_CASE(NULL);
}

static const struct {
	const char *scheme;
	uint16_t port;
	const char *starttls;
} schemes[] = {
	{"https", 443, NULL},
	{"smtps", 465, NULL},
	{"imaps", 993, NULL},
	{"smtp", 25, "smtp"},
	{"submission", 587, "smtp"},
	{"imap", 143, "imap"},
	{"pop3", 110, "pop3"},
	{"ldap", 389, "ldap"},
	{"postgres", 5432, "postgres"},
	{"xmpp", 5222, "xmpp"},
	{"gopher", 0, NULL},
	{"", 0, NULL},
	{"http", 0, NULL},
};

static void
test_scheme_port(void)
{
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		const char *st = "unset";

		TK_CASE(schemes[i].scheme);
		EXPECT_EQ_INT(tk_target_scheme_port(schemes[i].scheme, &st),
		    schemes[i].port);
		EXPECT_EQ_STR(st, schemes[i].starttls);
		EXPECT_EQ_INT(tk_target_scheme_port(schemes[i].scheme, NULL),
		    schemes[i].port);
	}
	TK_CASE(NULL);
}

static void
test_ip_literal(void)
{
	EXPECT_TRUE(tk_target_is_ip_literal("127.0.0.1"));
	EXPECT_TRUE(tk_target_is_ip_literal("::1"));
	EXPECT_TRUE(tk_target_is_ip_literal("::ffff:1.2.3.4"));
	EXPECT_TRUE(!tk_target_is_ip_literal("[::1]"));
	EXPECT_TRUE(!tk_target_is_ip_literal("localhost"));
	EXPECT_TRUE(!tk_target_is_ip_literal("1.2.3"));
	EXPECT_TRUE(!tk_target_is_ip_literal(""));
}

static void
run(void)
{
	test_target_good();
	test_target_bad();
	test_target_ipv6_port_ambiguous();
	test_target_line_fields();
	test_target_lengths();
	test_hostname_check();
	test_scheme_port();
	test_ip_literal();
}

TK_TEST_MAIN("test_target", run)
