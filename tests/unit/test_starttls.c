/*
 * Unit tests for lib/starttls.h: the "line" dialogue, and every
 * protocol's dialogue played against a scripted server, over a
 * socketpair and again one byte at a time over memory callbacks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "starttls.h"
#include "tls.h"

#include "ldap_msgs.h"
#include "tk_test.h"

static void
test_new(void)
{
	struct tk_starttls *st;
	struct tk_err err;

	TK_CASE("new");
	tk_err_clear(&err);
	st = tk_starttls_new("line", &err);
	EXPECT_TRUE(st != NULL);
	EXPECT_EQ_INT(err.cls, TK_OK);
	tk_starttls_free(st);
	tk_starttls_free(NULL);

	st = tk_starttls_new("nope", &err);
	EXPECT_TRUE(st == NULL);
	EXPECT_EQ_INT(err.cls, TK_USAGE);
	EXPECT_TRUE(strstr(err.msg, "nope") != NULL);

	EXPECT_TRUE(tk_starttls_known("line"));
	EXPECT_TRUE(!tk_starttls_known("nope"));
	EXPECT_TRUE(!tk_starttls_known(""));
	EXPECT_TRUE(strstr(tk_starttls_names(), "line") != NULL);
	TK_CASE(NULL);
}

/*
 * The "line" dialogue against a scripted server on the other end of a
 * socketpair: the client sends STARTTLS, the server answers each reply
 * chunk in turn (NULL: close the connection instead).
 */
static const struct {
	const char *name;
	const char *replies[2];
	bool close_after;
	int rc;
	enum tk_class cls;
	size_t injected;
} dialogues[] = {
	{"READY", {"READY\r\n", NULL}, false, 0, TK_OK, 0},
	{"READY LF", {"READY\n", NULL}, false, 0, TK_OK, 0},
	{"READY split", {"REA", "DY\r\n"}, false, 0, TK_OK, 0},
	{"READY and injected bytes", {"READY\r\nEVIL", NULL}, false, 0, TK_OK,
	    4},
	{"NO", {"NO\r\n", NULL}, false, -1, TK_NET, 0},
	{"closed", {NULL, NULL}, true, -1, TK_NET, 0},
	{"partial then closed", {"REA", NULL}, true, -1, TK_NET, 0},
};

static int
step_until_blocked(struct tk_starttls *st, int fd)
{
	int rc = TK_WANT_WRITE;

	for (int i = 0; i < 100 && rc == TK_WANT_WRITE; i++) {
		rc = tk_starttls_step(st, fd);
	}
	return rc;
}

static void
test_dialogues(void)
{
	for (size_t i = 0; i < sizeof(dialogues) / sizeof(dialogues[0]);
	     i++) {
		struct tk_starttls *st;
		struct tk_err err;
		char buf[64];
		int sv[2], rc;
		ssize_t n;

		TK_CASE(dialogues[i].name);
		tk_err_clear(&err);
		st = tk_starttls_new("line", &err);
		if (st == NULL || socketpair(AF_UNIX, SOCK_STREAM |
		    SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0) {
			EXPECT_TRUE(false);
			tk_starttls_free(st);
			continue;
		}
		/* the client speaks first and then waits */
		EXPECT_EQ_INT(step_until_blocked(st, sv[0]), TK_WANT_READ);
		n = read(sv[1], buf, sizeof(buf) - 1);
		EXPECT_EQ_INT(n, 10);
		if (n >= 0) {
			buf[n] = '\0';
			EXPECT_EQ_STR(buf, "STARTTLS\r\n");
		}
		rc = TK_WANT_READ;
		for (size_t k = 0; k < 2 && dialogues[i].replies[k] != NULL;
		     k++) {
			const char *s = dialogues[i].replies[k];

			EXPECT_EQ_INT(write(sv[1], s, strlen(s)),
			    (ssize_t)strlen(s));
			rc = step_until_blocked(st, sv[0]);
		}
		if (dialogues[i].close_after) {
			if (dialogues[i].replies[0] != NULL) {
				EXPECT_EQ_INT(rc, TK_WANT_READ);
			}
			close(sv[1]);
			sv[1] = -1;
			rc = step_until_blocked(st, sv[0]);
		}
		EXPECT_EQ_INT(rc, dialogues[i].rc);
		EXPECT_EQ_INT(tk_starttls_error(st)->cls, dialogues[i].cls);
		if (rc == 0) {
			EXPECT_EQ_SIZE(tk_starttls_injected(st),
			    dialogues[i].injected);
			EXPECT_EQ_STR(tk_starttls_transcript(st),
			    "C: STARTTLS | S: READY");
		} else {
			EXPECT_TRUE(tk_starttls_error(st)->msg[0] != '\0');
		}
		tk_starttls_free(st);
		close(sv[0]);
		if (sv[1] >= 0) {
			close(sv[1]);
		}
	}
	TK_CASE(NULL);
}

static void
test_names(void)
{
	char names[256];
	size_t n = 0;

	TK_CASE("names");
	snprintf(names, sizeof(names), "%s", tk_starttls_names());
	for (char *w = names; *w != '\0'; n++) {
		size_t len = strcspn(w, " ");
		char one[32];

		snprintf(one, sizeof(one), "%.*s", (int)len, w);
		TK_CASE(one);
		EXPECT_TRUE(tk_starttls_known(one));
		w += len;
		w += strspn(w, " ");
	}
	TK_CASE("names");
	EXPECT_EQ_SIZE(n, 12);
	EXPECT_EQ_STR(tk_starttls_names(), "ftp imap ldap line lmtp nntp "
	    "pop3 postgres sieve smtp xmpp xmpp-server");
	EXPECT_TRUE(!tk_starttls_known("SMTP"));
	EXPECT_TRUE(!tk_starttls_known("xmpp-"));
	TK_CASE(NULL);
}

/* tk_starttls_new_ex: which names are accepted, which protocols have a
 * phase inside TLS. */
static const struct {
	const char *name;
	const char *proto;
	struct tk_starttls_conf conf;
	enum tk_class cls;
	bool after;
} conf_cases[] = {
	{"smtp defaults", "smtp", {NULL, NULL, NULL, false}, TK_OK, true},
	{"lmtp", "lmtp", {NULL, NULL, NULL, false}, TK_OK, true},
	{"ftp", "ftp", {NULL, NULL, NULL, false}, TK_OK, true},
	{"sieve", "sieve", {NULL, NULL, NULL, false}, TK_OK, true},
	{"imap", "imap", {NULL, NULL, NULL, false}, TK_OK, true},
	{"pop3", "pop3", {NULL, NULL, NULL, false}, TK_OK, true},
	{"nntp", "nntp", {NULL, NULL, NULL, false}, TK_OK, true},
	{"ldap", "ldap", {NULL, NULL, NULL, false}, TK_OK, false},
	{"postgres", "postgres", {NULL, NULL, NULL, false}, TK_OK, false},
	{"line", "line", {NULL, NULL, NULL, false}, TK_OK, false},
	{"xmpp with host", "xmpp", {"example.org", NULL, NULL, false}, TK_OK, true},
	{"xmpp-server with domain", "xmpp-server", {NULL, "example.org",
	    NULL, false}, TK_OK, true},
	{"xmpp without a domain", "xmpp", {NULL, NULL, NULL, false}, TK_USAGE,
	    false},
	{"xmpp-server without a domain", "xmpp-server", {NULL, NULL, NULL, false},
	    TK_USAGE, false},
	{"ehlo name", "smtp", {NULL, NULL, "client.example", false}, TK_OK, true},
	{"ehlo literal", "smtp", {NULL, NULL, "[IPv6:2001:db8::1]", false}, TK_OK,
	    true},
	{"ehlo with a space", "smtp", {NULL, NULL, "a b", false}, TK_USAGE, false},
	{"ehlo with CRLF", "smtp", {NULL, NULL, "a\r\nRCPT TO:<x>", false},
	    TK_USAGE, false},
	{"ehlo empty", "smtp", {NULL, NULL, "", false}, TK_USAGE, false},
	{"domain with a quote", "xmpp", {NULL, "a'b", NULL, false}, TK_USAGE,
	    false},
	{"host with an angle bracket", "xmpp", {"a>b", NULL, NULL, false},
	    TK_USAGE, false},
	{"unknown protocol", "smtps", {NULL, NULL, NULL, false}, TK_USAGE,
	    false},
	{"injection probe smtp", "smtp", {NULL, NULL, NULL, true}, TK_OK,
	    true},
	{"injection probe ldap", "ldap", {NULL, NULL, NULL, true},
	    TK_USAGE, false},
	{"injection probe xmpp", "xmpp", {"example.org", NULL, NULL, true},
	    TK_USAGE, false},
};

static void
test_conf(void)
{
	char longname[300];

	for (size_t i = 0; i < sizeof(conf_cases) / sizeof(conf_cases[0]);
	     i++) {
		struct tk_starttls *st;
		struct tk_err err;

		TK_CASE(conf_cases[i].name);
		tk_err_clear(&err);
		st = tk_starttls_new_ex(conf_cases[i].proto,
		    &conf_cases[i].conf, &err);
		EXPECT_EQ_INT(err.cls, conf_cases[i].cls);
		EXPECT_EQ_INT(st != NULL, conf_cases[i].cls == TK_OK);
		if (st != NULL) {
			EXPECT_EQ_INT(tk_starttls_has_after(st),
			    conf_cases[i].after);
			EXPECT_TRUE(tk_starttls_caps(st)[0] == NULL);
			EXPECT_TRUE(tk_starttls_caps_after(st)[0] == NULL);
			/* nothing inside TLS before the go-ahead */
			EXPECT_EQ_INT(tk_starttls_after(st, NULL, NULL, NULL),
			    -1);
			EXPECT_EQ_INT(tk_starttls_error(st)->cls, TK_INTERNAL);
		} else {
			EXPECT_TRUE(err.msg[0] != '\0');
		}
		tk_starttls_free(st);
	}
	TK_CASE("name too long");
	{
		struct tk_starttls_conf c = {NULL, NULL, longname, false};
		struct tk_err err;

		memset(longname, 'a', sizeof(longname) - 1);
		longname[sizeof(longname) - 1] = '\0';
		tk_err_clear(&err);
		EXPECT_TRUE(tk_starttls_new_ex("smtp", &c, &err) == NULL);
		EXPECT_EQ_INT(err.cls, TK_USAGE);
	}
	TK_CASE(NULL);
}

/*
 * Scripted servers.  Each exchange checks what the client sent since the
 * last one (c, exactly) and then answers s, closes, or floods s forever.
 */
enum how { X_END, X_REPLY, X_CLOSE, X_FLOOD };

struct exch {
	enum how how;
	const char *c;
	size_t clen;          /* 0: strlen(c) */
	const char *s;
	size_t slen;          /* 0: strlen(s) */
};

#define R(cl, sl) {X_REPLY, cl, 0, sl, 0}
#define RB(cl, sl) {X_REPLY, cl, sizeof(cl) - 1, sl, sizeof(sl) - 1}
#define CLOSE(cl) {X_CLOSE, cl, 0, NULL, 0}
#define FLOOD(cl, sl) {X_FLOOD, cl, 0, sl, 0}
#define MAXEX 6

struct dcase {
	const char *name;
	const char *proto;
	struct exch ex[MAXEX];
	int rc;
	const char *msg;      /* in the error message; NULL: none */
	const char *caps;     /* "|"-joined; NULL: not checked */
	size_t injected;
	struct exch after[MAXEX];
	int arc;
	enum tk_class acls;
	const char *amsg;
	const char *caps_after;
	const char *transcript;  /* NULL: not checked */
};

#define SMTP_EHLO                                                            \
	"250-mx.example.org\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"      \
	"250-STARTTLS\r\n250 8BITMIME\r\n"
#define XMPP_C(ns, to)                                                       \
	"<?xml version='1.0'?><stream:stream xmlns='" ns "' "                \
	"xmlns:stream='http://etherx.jabber.org/streams' to='" to "' "       \
	"version='1.0'>"
#define XMPP_S                                                               \
	"<?xml version='1.0'?><stream:stream xmlns='jabber:client' "         \
	"xmlns:stream='http://etherx.jabber.org/streams' id='x1' "           \
	"from='example.org' version='1.0' xml:lang='en'>\n"
#define XMPP_FEATURES                                                        \
	"<stream:features>\n  <starttls "                                    \
	"xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>\n"  \
	"  <mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"            \
	"<mechanism>PLAIN</mechanism></mechanisms>\n</stream:features>"
#define XMPP_STARTTLS "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
#define XMPP_PROCEED "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
#define SIEVE_CAPS                                                           \
	"\"IMPLEMENTATION\" \"Dovecot Pigeonhole\"\r\n"                      \
	"\"SIEVE\" \"fileinto vacation\"\r\n\"STARTTLS\"\r\n"                \
	"\"VERSION\" \"1.0\"\r\nOK \"Ready.\"\r\n"
#define PG_SSLREQ "\x00\x00\x00\x08\x04\xd2\x16\x2f"

static char longline[3001];   /* "250-yyy...\r\n": fills the byte cap */

static const struct dcase dcases[] = {
	/* smtp */
	{"smtp", "smtp", {
		R("", "220 mx.example.org ESMTP\r\n"),
		R("EHLO localhost\r\n", SMTP_EHLO),
		R("STARTTLS\r\n", "220 2.0.0 Ready to start TLS\r\n")},
	    0, NULL, "PIPELINING|SIZE 10240000|STARTTLS|8BITMIME", 0, {
		R("EHLO localhost\r\n", "250-mx.example.org\r\n"
		    "250-AUTH PLAIN LOGIN\r\n250 PIPELINING\r\n")},
	    0, TK_OK, NULL, "AUTH PLAIN LOGIN|PIPELINING",
	    "S: 220 mx.example.org ESMTP | C: EHLO localhost | "
	    "S: 250-mx.example.org ... 250 8BITMIME (5 lines) | "
	    "C: STARTTLS | S: 220 2.0.0 Ready to start TLS | "
	    "C(tls): EHLO localhost | "
	    "S(tls): 250-mx.example.org ... 250 PIPELINING (3 lines)"},
	{"smtp multi-line greeting, LF only", "smtp", {
		R("", "220-mx.example.org\n220-no UCE\n220 ready\n"),
		R("EHLO localhost\r\n", "250-mx\n250 STARTTLS\n"),
		R("STARTTLS\r\n", "220 go\n")},
	    0, NULL, "STARTTLS", 0, {R("EHLO localhost\r\n", "250 mx\r\n")},
	    0, TK_OK, NULL, "", NULL},
	{"smtp reply split in pieces", "smtp", {
		R("", "22"), R("", "0 mx\r"), R("", "\n"),
		R("EHLO localhost\r\n", "250-mx\r\n250-STAR"),
		R("", "TTLS\r\n250 SIZE\r\n"),
		R("STARTTLS\r\n", "220 go\r\n")},
	    0, NULL, "STARTTLS|SIZE", 0, {{X_END, NULL, 0, NULL, 0}},
	    TK_WANT_READ, TK_OK, NULL, "", NULL},
	{"smtp STARTTLS not advertised", "smtp", {
		R("", "220 mx\r\n"),
		R("EHLO localhost\r\n", "250-mx\r\n250 PIPELINING\r\n")},
	    -1, "does not advertise STARTTLS (it offers: PIPELINING)",
	    "PIPELINING", 0, {{X_END, NULL, 0, NULL, 0}}, 0, TK_OK, NULL, "",
	    NULL},
	{"smtp EHLO single line", "smtp", {
		R("", "220 mx\r\n"), R("EHLO localhost\r\n", "250 mx\r\n")},
	    -1, "does not advertise STARTTLS (it announced no capabilities)",
	    "", 0, {{X_END, NULL, 0, NULL, 0}}, 0, TK_OK, NULL, "", NULL},
	{"smtp 454", "smtp", {
		R("", "220 mx\r\n"), R("EHLO localhost\r\n", SMTP_EHLO),
		R("STARTTLS\r\n", "454 4.7.0 TLS not available\r\n")},
	    -1, "refused STARTTLS (it said '454 4.7.0 TLS not available')",
	    "PIPELINING|SIZE 10240000|STARTTLS|8BITMIME", 0,
	    {{X_END, NULL, 0, NULL, 0}}, 0, TK_OK, NULL, "", NULL},
	{"smtp 554 greeting", "smtp", {R("", "554 go away\r\n")},
	    -1, "greeting is not 220 (it said '554 go away')", "", 0,
	    {{X_END, NULL, 0, NULL, 0}}, 0, TK_OK, NULL, "", NULL},
	{"smtp EHLO refused", "smtp", {
		R("", "220 mx\r\n"),
		R("EHLO localhost\r\n", "500-no\r\n500 such command\r\n")},
	    -1, "refused EHLO (it said '500 such command')", "", 0,
	    {{X_END, NULL, 0, NULL, 0}}, 0, TK_OK, NULL, "", NULL},
	{"smtp closed after EHLO", "smtp", {
		R("", "220 mx\r\n"), CLOSE("EHLO localhost\r\n")},
	    -1, "closed the connection during the plaintext dialogue "
	    "(waiting for the reply to 'EHLO localhost')", "", 0,
	    {{X_END, NULL, 0, NULL, 0}}, 0, TK_OK, NULL, "", NULL},
	{"smtp closed before the greeting", "smtp", {CLOSE("")},
	    -1, "(waiting for its greeting)", "", 0,
	    {{X_END, NULL, 0, NULL, 0}}, 0, TK_OK, NULL, "", NULL},
	{"smtp garbage", "smtp", {R("", "\x16\x03\x01\x02\x05hello\r\n")},
	    -1, "a TLS handshake record, not smtp plaintext", "", 0,
	    {{X_END, NULL, 0, NULL, 0}}, 0, TK_OK, NULL, "", NULL},
	{"smtp 10 MB line", "smtp", {FLOOD("", "x")},
	    -1, "a line longer than 4096 bytes", "", 0,
	    {{X_END, NULL, 0, NULL, 0}}, 0, TK_OK, NULL, "", NULL},
	{"smtp banner that never ends", "smtp", {FLOOD("", "220-banner\r\n")},
	    -1, "more than 512 lines", NULL, 0, {{X_END, NULL, 0, NULL, 0}}, 0,
	    TK_OK, NULL, "", NULL},
	{"smtp EHLO reply past the byte cap", "smtp", {
		R("", "220 mx\r\n"), FLOOD("EHLO localhost\r\n", longline)},
	    -1, "more than 65536 bytes", NULL, 0, {{X_END, NULL, 0, NULL, 0}},
	    0, TK_OK, NULL, "", NULL},
	{"smtp injected after 220", "smtp", {
		R("", "220 mx\r\n"), R("EHLO localhost\r\n", SMTP_EHLO),
		R("STARTTLS\r\n", "220 go ahead\r\n250 injected\r\n")},
	    0, NULL, "PIPELINING|SIZE 10240000|STARTTLS|8BITMIME", 14,
	    {{X_END, NULL, 0, NULL, 0}}, TK_WANT_READ, TK_OK, NULL, "", NULL},
	{"smtp EHLO refused inside TLS", "smtp", {
		R("", "220 mx\r\n"), R("EHLO localhost\r\n", SMTP_EHLO),
		R("STARTTLS\r\n", "220 go\r\n")},
	    0, NULL, "PIPELINING|SIZE 10240000|STARTTLS|8BITMIME", 0,
	    {R("EHLO localhost\r\n", "503 5.5.1 bad sequence\r\n")},
	    -1, TK_CHECK, "refused EHLO inside TLS", "", NULL},
	{"smtp closed inside TLS", "smtp", {
		R("", "220 mx\r\n"), R("EHLO localhost\r\n", SMTP_EHLO),
		R("STARTTLS\r\n", "220 go\r\n")},
	    0, NULL, "PIPELINING|SIZE 10240000|STARTTLS|8BITMIME", 0,
	    {CLOSE("EHLO localhost\r\n")},
	    -1, TK_NET, "closed the TLS session", "", NULL},

	/* lmtp */
	{"lmtp", "lmtp", {
		R("", "220 lmtp ready\r\n"),
		R("LHLO localhost\r\n", "250-lmtp\r\n250-STARTTLS\r\n"
		    "250 ENHANCEDSTATUSCODES\r\n"),
		R("STARTTLS\r\n", "220 2.0.0 go\r\n")},
	    0, NULL, "STARTTLS|ENHANCEDSTATUSCODES", 0,
	    {R("LHLO localhost\r\n", "250-lmtp\r\n250 PIPELINING\r\n")},
	    0, TK_OK, NULL, "PIPELINING", NULL},
	{"lmtp not advertised", "lmtp", {
		R("", "220 lmtp\r\n"), R("LHLO localhost\r\n",
		    "250-lmtp\r\n250 8BITMIME\r\n")},
	    -1, "does not advertise STARTTLS", "8BITMIME", 0,
	    {{X_END, NULL, 0, NULL, 0}}, 0, TK_OK, NULL, "", NULL},
	{"lmtp 454", "lmtp", {
		R("", "220 lmtp\r\n"), R("LHLO localhost\r\n",
		    "250-lmtp\r\n250 STARTTLS\r\n"),
		R("STARTTLS\r\n", "454 no\r\n")},
	    -1, "refused STARTTLS", "STARTTLS", 0,
	    {{X_END, NULL, 0, NULL, 0}}, 0, TK_OK, NULL, "", NULL},

	/* imap */
	{"imap", "imap", {
		R("", "* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n"),
		R("a1 CAPABILITY\r\n", "* CAPABILITY IMAP4rev1 STARTTLS "
		    "LOGINDISABLED\r\na1 OK done\r\n"),
		R("a2 STARTTLS\r\n", "a2 OK Begin TLS negotiation now\r\n")},
	    0, NULL, "IMAP4rev1|STARTTLS|LOGINDISABLED", 0,
	    {R("a3 CAPABILITY\r\n", "* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n"
		"a3 OK done\r\n")}, 0, TK_OK, NULL, "IMAP4rev1|AUTH=PLAIN",
	    "S: * OK [CAPABILITY IMAP4rev1 STARTTLS] ready | "
	    "C: a1 CAPABILITY | S: * CAPABILITY IMAP4rev1 STARTTLS "
	    "LOGINDISABLED ... a1 OK done (2 lines) | C: a2 STARTTLS | "
	    "S: a2 OK Begin TLS negotiation now | C(tls): a3 CAPABILITY | "
	    "S(tls): * CAPABILITY IMAP4rev1 AUTH=PLAIN ... a3 OK done "
	    "(2 lines)"},
	{"imap lower case, untagged noise", "imap", {
		R("", "* ok hi\r\n"),
		R("a1 CAPABILITY\r\n", "* capability imap4rev1 starttls\r\n"
		    "* 3 EXISTS\r\na1 ok\r\n"),
		R("a2 STARTTLS\r\n", "a2 ok\r\n")},
	    0, NULL, "imap4rev1|starttls", 0,
	    {R("a3 CAPABILITY\r\n", "a3 ok\r\n")}, 0, TK_OK, NULL, "",
	    NULL},
	{"imap not advertised", "imap", {
		R("", "* OK ready\r\n"), R("a1 CAPABILITY\r\n",
		    "* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\na1 OK done\r\n")},
	    -1, "does not advertise STARTTLS (it offers: IMAP4rev1, "
	    "AUTH=PLAIN)", "IMAP4rev1|AUTH=PLAIN", 0,
	    {{X_END, NULL, 0, NULL, 0}}, 0, TK_OK, NULL, "", NULL},
	{"imap NO", "imap", {
		R("", "* OK ready\r\n"), R("a1 CAPABILITY\r\n",
		    "* CAPABILITY IMAP4rev1 STARTTLS\r\na1 OK\r\n"),
		R("a2 STARTTLS\r\n", "a2 NO TLS unavailable\r\n")},
	    -1, "refused STARTTLS (it said 'a2 NO TLS unavailable')",
	    "IMAP4rev1|STARTTLS", 0, {{X_END, NULL, 0, NULL, 0}}, 0, TK_OK,
	    NULL, "", NULL},
	{"imap BAD", "imap", {
		R("", "* OK ready\r\n"), R("a1 CAPABILITY\r\n",
		    "* CAPABILITY STARTTLS\r\na1 OK\r\n"),
		R("a2 STARTTLS\r\n", "a2 BAD unknown command\r\n")},
	    -1, "refused STARTTLS", "STARTTLS", 0,
	    {{X_END, NULL, 0, NULL, 0}}, 0, TK_OK, NULL, "", NULL},
	{"imap PREAUTH", "imap", {R("", "* PREAUTH welcome\r\n")},
	    -1, "greeting is not * OK", "", 0, {{X_END, NULL, 0, NULL, 0}},
	    0, TK_OK, NULL, "", NULL},
	{"imap BYE greeting", "imap", {R("", "* BYE too busy\r\n")},
	    -1, "greeting is not * OK", "", 0, {{X_END, NULL, 0, NULL, 0}},
	    0, TK_OK, NULL, "", NULL},
	{"imap BYE in CAPABILITY", "imap", {
		R("", "* OK\r\n"), R("a1 CAPABILITY\r\n",
		    "* BYE shutting down\r\n")},
	    -1, "ended the session (it said '* BYE shutting down')", "", 0,
	    {{X_END, NULL, 0, NULL, 0}}, 0, TK_OK, NULL, "", NULL},
	{"imap closed", "imap", {
		R("", "* OK\r\n"), CLOSE("a1 CAPABILITY\r\n")},
	    -1, "(waiting for the reply to 'a1 CAPABILITY')", "", 0,
	    {{X_END, NULL, 0, NULL, 0}}, 0, TK_OK, NULL, "", NULL},
	{"imap garbage tag", "imap", {
		R("", "* OK\r\n"), R("a1 CAPABILITY\r\n", "zz OK\r\n")},
	    -1, "refused CAPABILITY (it said 'zz OK')", "", 0,
	    {{X_END, NULL, 0, NULL, 0}}, 0, TK_OK, NULL, "", NULL},
	{"imap untagged flood", "imap", {
		R("", "* OK\r\n"), FLOOD("a1 CAPABILITY\r\n", "* 1 EXISTS\r\n")},
	    -1, "more than 512 lines", NULL, 0, {{X_END, NULL, 0, NULL, 0}}, 0,
	    TK_OK, NULL, "", NULL},
	{"imap long line", "imap", {FLOOD("", "* OK aaaaaaaaaaaaaaaaaaaa")},
	    -1, "longer than 4096", "", 0, {{X_END, NULL, 0, NULL, 0}}, 0,
	    TK_OK, NULL, "", NULL},

	/* pop3 */
	{"pop3", "pop3", {
		R("", "+OK POP3 ready\r\n"),
		R("CAPA\r\n", "+OK Capability list follows\r\nTOP\r\nUIDL\r\n"
		    "STLS\r\nSASL PLAIN\r\n..odd\r\n.\r\n"),
		R("STLS\r\n", "+OK Begin TLS negotiation\r\n")},
	    0, NULL, "TOP|UIDL|STLS|SASL PLAIN|.odd", 0,
	    {R("CAPA\r\n", "+OK\r\nUSER\r\nSASL PLAIN\r\n.\r\n")}, 0,
	    TK_OK, NULL, "USER|SASL PLAIN",
	    "S: +OK POP3 ready | C: CAPA | S: +OK Capability list follows | "
	    "S: TOP ... . (6 lines) | C: STLS | S: +OK Begin TLS "
	    "negotiation | C(tls): CAPA | S(tls): +OK | "
	    "S(tls): USER ... . (3 lines)"},
	{"pop3 CAPA refused", "pop3", {
		R("", "+OK\r\n"), R("CAPA\r\n", "-ERR unknown command\r\n")},
	    -1, "refused CAPA, so it does not advertise STLS", "", 0,
	    {{X_END, NULL, 0, NULL, 0}}, 0, TK_OK, NULL, "", NULL},
	{"pop3 not advertised", "pop3", {
		R("", "+OK\r\n"), R("CAPA\r\n", "+OK\r\nUSER\r\n.\r\n")},
	    -1, "does not advertise STLS (it offers: USER)", "USER", 0,
	    {{X_END, NULL, 0, NULL, 0}}, 0, TK_OK, NULL, "", NULL},
	{"pop3 -ERR", "pop3", {
		R("", "+OK\r\n"), R("CAPA\r\n", "+OK\r\nSTLS\r\n.\r\n"),
		R("STLS\r\n", "-ERR TLS not available\r\n")},
	    -1, "refused STLS (it said '-ERR TLS not available')", "STLS", 0,
	    {{X_END, NULL, 0, NULL, 0}}, 0, TK_OK, NULL, "", NULL},
	{"pop3 -ERR greeting", "pop3", {R("", "-ERR go away\r\n")},
	    -1, "greeting is not +OK", "", 0, {{X_END, NULL, 0, NULL, 0}}, 0,
	    TK_OK, NULL, "", NULL},
	{"pop3 +OKAY is not +OK", "pop3", {R("", "+OKAY\r\n")},
	    -1, "greeting is not +OK", "", 0, {{X_END, NULL, 0, NULL, 0}}, 0,
	    TK_OK, NULL, "", NULL},
	{"pop3 closed in CAPA", "pop3", {
		R("", "+OK\r\n"), R("CAPA\r\n", "+OK\r\nTOP\r\n"), CLOSE("")},
	    -1, "(waiting for the reply to 'CAPA')", "TOP", 0,
	    {{X_END, NULL, 0, NULL, 0}}, 0, TK_OK, NULL, "", NULL},
	{"pop3 CAPA without end", "pop3", {
		R("", "+OK\r\n"), FLOOD("CAPA\r\n", "+OK\r\nX\r\n")},
	    -1, "more than 512 lines", NULL, 0, {{X_END, NULL, 0, NULL, 0}}, 0,
	    TK_OK, NULL, "", NULL},
	{"pop3 injected", "pop3", {
		R("", "+OK\r\n"), R("CAPA\r\n", "+OK\r\nSTLS\r\n.\r\n"),
		R("STLS\r\n", "+OK\r\n+OK fake\r\n")},
	    0, NULL, "STLS", 10, {R("CAPA\r\n", "+OK\r\n.\r\n")}, 0,
	    TK_OK, NULL, "", NULL},

	/* sieve */
	{"sieve", "sieve", {
		R("", SIEVE_CAPS),
		R("STARTTLS\r\n", "OK \"Begin TLS negotiation now.\"\r\n")},
	    0, NULL, "IMPLEMENTATION Dovecot Pigeonhole|SIEVE fileinto "
	    "vacation|STARTTLS|VERSION 1.0", 0,
	    {R("", "\"IMPLEMENTATION\" \"Dovecot Pigeonhole\"\r\n"
		"\"SASL\" \"PLAIN\"\r\nOK\r\n")},
	    0, TK_OK, NULL, "IMPLEMENTATION Dovecot Pigeonhole|SASL PLAIN",
	    "S: \"IMPLEMENTATION\" \"Dovecot Pigeonhole\" ... OK \"Ready.\" "
	    "(5 lines) | C: STARTTLS | S: OK \"Begin TLS negotiation now.\" | "
	    "S(tls): \"IMPLEMENTATION\" \"Dovecot Pigeonhole\" ... OK "
	    "(3 lines)"},
	{"sieve not advertised", "sieve", {
		R("", "\"IMPLEMENTATION\" \"x\"\r\n\"SASL\" \"PLAIN\"\r\nOK\r\n")},
	    -1, "does not advertise STARTTLS", "IMPLEMENTATION x|SASL PLAIN",
	    0, {{X_END, NULL, 0, NULL, 0}}, 0, TK_OK, NULL, "", NULL},
	{"sieve NO", "sieve", {
		R("", "\"STARTTLS\"\r\nOK\r\n"),
		R("STARTTLS\r\n", "NO \"TLS not available\"\r\n")},
	    -1, "refused STARTTLS (it said 'NO \"TLS not available\"')",
	    "STARTTLS", 0, {{X_END, NULL, 0, NULL, 0}}, 0, TK_OK, NULL, "",
	    NULL},
	{"sieve BYE", "sieve", {R("", "BYE \"busy\"\r\n")},
	    -1, "greeting does not end in OK", "", 0,
	    {{X_END, NULL, 0, NULL, 0}}, 0, TK_OK, NULL, "", NULL},
	{"sieve escaped quote", "sieve", {
		R("", "\"STARTTLS\"\r\n\"NOTIFY\" \"a\\\"b\"\r\nOK\r\n"),
		R("STARTTLS\r\n", "OK\r\n")},
	    0, NULL, "STARTTLS|NOTIFY a\"b", 0, {CLOSE("")}, -1, TK_NET,
	    "closed the TLS session", "", NULL},
	{"sieve capabilities inside TLS refused", "sieve", {
		R("", "\"STARTTLS\"\r\nOK\r\n"), R("STARTTLS\r\n", "OK\r\n")},
	    0, NULL, "STARTTLS", 0, {R("", "\"SASL\" \"\"\r\nNO\r\n")},
	    -1, TK_CHECK, "inside TLS do not end in OK", "SASL", NULL},

	/* nntp */
	{"nntp", "nntp", {
		R("", "200 news.example.org ready\r\n"),
		R("CAPABILITIES\r\n", "101 Capability list:\r\nVERSION 2\r\n"
		    "READER\r\nSTARTTLS\r\n.\r\n"),
		R("STARTTLS\r\n", "382 Continue with TLS negotiation\r\n")},
	    0, NULL, "VERSION 2|READER|STARTTLS", 0,
	    {R("CAPABILITIES\r\n", "101 list\r\nVERSION 2\r\nREADER\r\n"
		".\r\n")}, 0, TK_OK, NULL, "VERSION 2|READER", NULL},
	{"nntp 201", "nntp", {
		R("", "201 no posting\r\n"),
		R("CAPABILITIES\r\n", "101\r\nSTARTTLS\r\n.\r\n"),
		R("STARTTLS\r\n", "382 go\r\n")},
	    0, NULL, "STARTTLS", 0, {R("CAPABILITIES\r\n", "101\r\n.\r\n")},
	    0, TK_OK, NULL, "", NULL},
	{"nntp 400 greeting", "nntp", {R("", "400 service unavailable\r\n")},
	    -1, "greeting is not 200 or 201", "", 0,
	    {{X_END, NULL, 0, NULL, 0}}, 0, TK_OK, NULL, "", NULL},
	{"nntp CAPABILITIES refused", "nntp", {
		R("", "200 ok\r\n"), R("CAPABILITIES\r\n", "500 what?\r\n")},
	    -1, "refused CAPABILITIES", "", 0, {{X_END, NULL, 0, NULL, 0}},
	    0, TK_OK, NULL, "", NULL},
	{"nntp not advertised", "nntp", {
		R("", "200 ok\r\n"),
		R("CAPABILITIES\r\n", "101\r\nVERSION 2\r\nREADER\r\n.\r\n")},
	    -1, "does not advertise STARTTLS", "VERSION 2|READER", 0,
	    {{X_END, NULL, 0, NULL, 0}}, 0, TK_OK, NULL, "", NULL},
	{"nntp 580", "nntp", {
		R("", "200 ok\r\n"),
		R("CAPABILITIES\r\n", "101\r\nSTARTTLS\r\n.\r\n"),
		R("STARTTLS\r\n", "580 Can not initiate TLS negotiation\r\n")},
	    -1, "refused STARTTLS (it said '580 Can not", "STARTTLS", 0,
	    {{X_END, NULL, 0, NULL, 0}}, 0, TK_OK, NULL, "", NULL},
	{"nntp list without end", "nntp", {
		R("", "200 ok\r\n"), FLOOD("CAPABILITIES\r\n", "101\r\nX\r\n")},
	    -1, "more than 512 lines", NULL, 0, {{X_END, NULL, 0, NULL, 0}}, 0,
	    TK_OK, NULL, "", NULL},

	/* ftp */
	{"ftp", "ftp", {
		R("", "220-Welcome\r\n to the server\r\n220 ready\r\n"),
		R("FEAT\r\n", "211-Features:\r\n AUTH TLS\r\n PBSZ\r\n PROT\r\n"
		    " UTF8\r\n211 End\r\n"),
		R("AUTH TLS\r\n", "234 Proceed with negotiation.\r\n")},
	    0, NULL, "AUTH TLS|PBSZ|PROT|UTF8", 0, {
		R("PBSZ 0\r\n", "200 PBSZ=0\r\n"),
		R("PROT P\r\n", "200 Protection level set to P\r\n")},
	    0, TK_OK, NULL, "PBSZ 0|PROT P",
	    "S: 220-Welcome ... 220 ready (3 lines) | C: FEAT | "
	    "S: 211-Features: ... 211 End (6 lines) | C: AUTH TLS | "
	    "S: 234 Proceed with negotiation. | C(tls): PBSZ 0 | "
	    "S(tls): 200 PBSZ=0 | C(tls): PROT P | "
	    "S(tls): 200 Protection level set to P"},
	{"ftp without FEAT", "ftp", {
		R("", "220 ready\r\n"),
		R("FEAT\r\n", "500-Unknown\r\n command\r\n500 FEAT\r\n"),
		R("AUTH TLS\r\n", "234 go\r\n")},
	    0, NULL, "", 0, {
		R("PBSZ 0\r\n", "200 ok\r\n"),
		R("PROT P\r\n", "536 PROT P not supported\r\n")},
	    -1, TK_CHECK, "refused PROT P: data connections would be in "
	    "plaintext (it said '536 PROT P not supported')", "PBSZ 0", NULL},
	{"ftp AUTH TLS refused", "ftp", {
		R("", "220 ready\r\n"), R("FEAT\r\n", "211 no features\r\n"),
		R("AUTH TLS\r\n", "504 Unknown AUTH type\r\n")},
	    -1, "refused AUTH TLS (it said '504 Unknown AUTH type')", "", 0,
	    {{X_END, NULL, 0, NULL, 0}}, 0, TK_OK, NULL, "", NULL},
	{"ftp 421 greeting", "ftp", {R("", "421 too many users\r\n")},
	    -1, "greeting is not 220", "", 0, {{X_END, NULL, 0, NULL, 0}}, 0,
	    TK_OK, NULL, "", NULL},
	{"ftp malformed FEAT reply", "ftp", {
		R("", "220 ready\r\n"), R("FEAT\r\n", "hello\r\n")},
	    -1, "malformed reply to 'FEAT'", "", 0,
	    {{X_END, NULL, 0, NULL, 0}}, 0, TK_OK, NULL, "", NULL},
	{"ftp closed", "ftp", {
		R("", "220 ready\r\n"), R("FEAT\r\n", "211 none\r\n"),
		CLOSE("AUTH TLS\r\n")},
	    -1, "(waiting for the reply to 'AUTH TLS')", "", 0,
	    {{X_END, NULL, 0, NULL, 0}}, 0, TK_OK, NULL, "", NULL},

	/* xmpp */
	{"xmpp", "xmpp", {
		R(XMPP_C("jabber:client", "example.org"),
		    XMPP_S XMPP_FEATURES),
		R(XMPP_STARTTLS, XMPP_PROCEED)},
	    0, NULL, "starttls required|mechanisms PLAIN", 0, {
		R(XMPP_C("jabber:client", "example.org"), XMPP_S
		    "<stream:features><mechanisms xmlns='x'><mechanism>PLAIN"
		    "</mechanism><mechanism>SCRAM-SHA-1</mechanism>"
		    "</mechanisms><bind xmlns='urn:ietf:params:xml:ns:"
		    "xmpp-bind'/><!-- c --><sm:sm xmlns:sm='urn:xmpp:sm:3'/>"
		    "</stream:features>")},
	    0, TK_OK, NULL, "mechanisms PLAIN SCRAM-SHA-1|bind|sm", NULL},
	{"xmpp split, <proceed></proceed>", "xmpp", {
		R(XMPP_C("jabber:client", "example.org"), XMPP_S),
		R("", "<stream:features><starttls xmlns='a'/></stream:"),
		R("", "features>"),
		R(XMPP_STARTTLS, "<proceed xmlns='a'>"),
		R("", "</proceed>")},
	    0, NULL, "starttls", 0, {{X_END, NULL, 0, NULL, 0}}, TK_WANT_READ,
	    TK_OK, NULL, "", NULL},
	{"xmpp empty features", "xmpp", {
		R(XMPP_C("jabber:client", "example.org"),
		    XMPP_S "<stream:features/>")},
	    -1, "does not offer <starttls/>", "", 0,
	    {{X_END, NULL, 0, NULL, 0}}, 0, TK_OK, NULL, "", NULL},
	{"xmpp not offered", "xmpp", {
		R(XMPP_C("jabber:client", "example.org"), XMPP_S
		    "<stream:features><mechanisms xmlns='x'><mechanism>PLAIN"
		    "</mechanism></mechanisms></stream:features>")},
	    -1, "does not offer <starttls/> in its stream features (it "
	    "offers: mechanisms PLAIN)", "mechanisms PLAIN", 0,
	    {{X_END, NULL, 0, NULL, 0}}, 0, TK_OK, NULL, "", NULL},
	{"xmpp failure", "xmpp", {
		R(XMPP_C("jabber:client", "example.org"),
		    XMPP_S XMPP_FEATURES),
		R(XMPP_STARTTLS, "<failure xmlns='urn:ietf:params:xml:ns:"
		    "xmpp-tls'/></stream:stream>")},
	    -1, "refused STARTTLS (it said '<failure", "starttls required|"
	    "mechanisms PLAIN", 0, {{X_END, NULL, 0, NULL, 0}}, 0, TK_OK,
	    NULL, "", NULL},
	{"xmpp stream error", "xmpp", {
		R(XMPP_C("jabber:client", "example.org"), XMPP_S
		    "<stream:error><host-unknown xmlns='urn:ietf:params:xml:"
		    "ns:xmpp-streams'/></stream:error></stream:stream>")},
	    -1, "XMPP stream error: host-unknown", "", 0,
	    {{X_END, NULL, 0, NULL, 0}}, 0, TK_OK, NULL, "", NULL},
	{"xmpp stream closed", "xmpp", {
		R(XMPP_C("jabber:client", "example.org"),
		    XMPP_S "</stream:stream>")},
	    -1, "closed the XMPP stream (waiting for the reply to 'stream "
	    "header')", "", 0, {{X_END, NULL, 0, NULL, 0}}, 0, TK_OK, NULL,
	    "", NULL},
	{"xmpp connection closed", "xmpp", {
		R(XMPP_C("jabber:client", "example.org"), XMPP_S),
		CLOSE("")},
	    -1, "closed the connection during the plaintext dialogue", "", 0,
	    {{X_END, NULL, 0, NULL, 0}}, 0, TK_OK, NULL, "", NULL},
	{"xmpp features without end", "xmpp", {
		FLOOD(XMPP_C("jabber:client", "example.org"), "<a/>")},
	    -1, "more than 16384 bytes without ending its reply to 'stream "
	    "header'", "", 0, {{X_END, NULL, 0, NULL, 0}}, 0, TK_OK, NULL,
	    "", NULL},
	{"xmpp injected after proceed", "xmpp", {
		R(XMPP_C("jabber:client", "example.org"),
		    XMPP_S XMPP_FEATURES),
		R(XMPP_STARTTLS, XMPP_PROCEED "<message>evil</message>")},
	    0, NULL, "starttls required|mechanisms PLAIN", 23,
	    {{X_END, NULL, 0, NULL, 0}}, TK_WANT_READ, TK_OK, NULL, "", NULL},
	{"xmpp-server", "xmpp-server", {
		R(XMPP_C("jabber:server", "example.org"),
		    XMPP_S XMPP_FEATURES),
		R(XMPP_STARTTLS, XMPP_PROCEED)},
	    0, NULL, "starttls required|mechanisms PLAIN", 0, {
		R(XMPP_C("jabber:server", "example.org"),
		    XMPP_S "<stream:features><dialback xmlns='urn:xmpp:"
		    "features:dialback'><errors/></dialback>"
		    "</stream:features>")},
	    0, TK_OK, NULL, "dialback errors", NULL},
	{"xmpp-server stream error inside TLS", "xmpp-server", {
		R(XMPP_C("jabber:server", "example.org"),
		    XMPP_S XMPP_FEATURES),
		R(XMPP_STARTTLS, XMPP_PROCEED)},
	    0, NULL, "starttls required|mechanisms PLAIN", 0, {
		R(XMPP_C("jabber:server", "example.org"),
		    XMPP_S "<stream:error><not-authorized/></stream:error>")},
	    -1, TK_CHECK, "stream error: not-authorized", "", NULL},

	/* ldap */
	{"ldap", "ldap", {RB(LDAP_REQ, LDAP_OK)},
	    0, NULL, "", 0, {{X_END, NULL, 0, NULL, 0}}, 0, TK_OK, NULL, "",
	    "C: ExtendedRequest 1.3.6.1.4.1.1466.20037 | "
	    "S: ExtendedResponse success (0)"},
	{"ldap with responseName, split", "ldap", {
		{X_REPLY, LDAP_REQ, sizeof(LDAP_REQ) - 1, LDAP_OK_NAMED, 1},
		{X_REPLY, "", 0, &LDAP_OK_NAMED[1], 5},
		{X_REPLY, "", 0, &LDAP_OK_NAMED[6], sizeof(LDAP_OK_NAMED) - 7}},
	    0, NULL, "", 0, {{X_END, NULL, 0, NULL, 0}}, 0, TK_OK, NULL, "",
	    NULL},
	{"ldap four-byte lengths", "ldap", {RB(LDAP_REQ, LDAP_OK_LONGLEN)},
	    0, NULL, "", 0, {{X_END, NULL, 0, NULL, 0}}, 0, TK_OK, NULL, "",
	    NULL},
	{"ldap unavailable", "ldap", {RB(LDAP_REQ, LDAP_UNAVAILABLE)},
	    -1, "refused StartTLS: LDAP result unavailable (52) 'no TLS!'",
	    "", 0, {{X_END, NULL, 0, NULL, 0}}, 0, TK_OK, NULL, "", NULL},
	{"ldap protocolError", "ldap", {RB(LDAP_REQ, LDAP_PROTOCOL_ERROR)},
	    -1, "LDAP result protocolError (2)", "", 0,
	    {{X_END, NULL, 0, NULL, 0}}, 0, TK_OK, NULL, "", NULL},
	{"ldap unknown code", "ldap", {RB(LDAP_REQ, LDAP_UNKNOWN99)},
	    -1, "LDAP result unknown (99)", "", 0,
	    {{X_END, NULL, 0, NULL, 0}}, 0, TK_OK, NULL, "", NULL},
	{"ldap notice of disconnection", "ldap", {RB(LDAP_REQ, LDAP_NOTICE)},
	    -1, "notice of disconnection: unavailable (52)", "", 0,
	    {{X_END, NULL, 0, NULL, 0}}, 0, TK_OK, NULL, "", NULL},
	{"ldap wrong message", "ldap", {RB(LDAP_REQ, LDAP_MSGID2)},
	    -1, "answered LDAP message 2", "", 0, {{X_END, NULL, 0, NULL, 0}},
	    0, TK_OK, NULL, "", NULL},
	{"ldap bind response", "ldap", {RB(LDAP_REQ, LDAP_BIND_RESP)},
	    -1, "not an LDAP extended response", "", 0,
	    {{X_END, NULL, 0, NULL, 0}}, 0, TK_OK, NULL, "", NULL},
	{"ldap truncated message", "ldap", {RB(LDAP_REQ, LDAP_TRUNCATED)},
	    -1, "not an LDAP extended response", "", 0,
	    {{X_END, NULL, 0, NULL, 0}}, 0, TK_OK, NULL, "", NULL},
	{"ldap garbage", "ldap", {RB(LDAP_REQ, "HTTP/1.0 400 Bad\r\n")},
	    -1, "not an LDAP message (it starts with byte 0x48)", "", 0,
	    {{X_END, NULL, 0, NULL, 0}}, 0, TK_OK, NULL, "", NULL},
	{"ldap too long", "ldap", {RB(LDAP_REQ, "\x30\x84\x00\x01\x00\x00")},
	    -1, "longer than 16384 bytes", "", 0,
	    {{X_END, NULL, 0, NULL, 0}}, 0, TK_OK, NULL, "", NULL},
	{"ldap indefinite length", "ldap", {RB(LDAP_REQ, "\x30\x80\x02")},
	    -1, "indefinite length", "", 0, {{X_END, NULL, 0, NULL, 0}}, 0,
	    TK_OK, NULL, "", NULL},
	{"ldap closed", "ldap", {
		{X_REPLY, LDAP_REQ, sizeof(LDAP_REQ) - 1, LDAP_OK, 4},
		CLOSE("")},
	    -1, "(waiting for the reply to 'ExtendedRequest", "", 0,
	    {{X_END, NULL, 0, NULL, 0}}, 0, TK_OK, NULL, "", NULL},
	{"ldap injected", "ldap", {RB(LDAP_REQ, LDAP_OK "EVIL")},
	    0, NULL, "", 4, {{X_END, NULL, 0, NULL, 0}}, 0, TK_OK, NULL, "",
	    NULL},

	/* postgres */
	{"postgres", "postgres", {RB(PG_SSLREQ, "S")},
	    0, NULL, "", 0, {{X_END, NULL, 0, NULL, 0}}, 0, TK_OK, NULL, "",
	    "C: SSLRequest | S: S"},
	{"postgres N", "postgres", {RB(PG_SSLREQ, "N")},
	    -1, "refused SSL (it answered 'N')", "", 0,
	    {{X_END, NULL, 0, NULL, 0}}, 0, TK_OK, NULL, "", NULL},
	{"postgres E", "postgres", {RB(PG_SSLREQ, "E\x00\x00\x00\x10SFATAL")},
	    -1, "an error message", "", 0, {{X_END, NULL, 0, NULL, 0}}, 0,
	    TK_OK, NULL, "", NULL},
	{"postgres garbage", "postgres", {RB(PG_SSLREQ, "\x01")},
	    -1, "byte 0x01", "", 0, {{X_END, NULL, 0, NULL, 0}}, 0, TK_OK,
	    NULL, "", NULL},
	{"postgres closed", "postgres", {{X_CLOSE, PG_SSLREQ, 8, NULL, 0}},
	    -1, "closed", "", 0, {{X_END, NULL, 0, NULL, 0}}, 0, TK_OK, NULL,
	    "", NULL},
	/* a port that speaks TLS directly answers with an alert record */
	{"postgres TLS port", "postgres",
	    {RB(PG_SSLREQ, "\x15\x03\x03\x00\x02\x02\x0a")},
	    -1, "TLS alert record, not postgres plaintext: the port seems "
	    "to speak TLS directly", "", 0, {{X_END, NULL, 0, NULL, 0}}, 0,
	    TK_OK, NULL, "", NULL},
	{"line TLS port", "line",
	    {RB("STARTTLS\r\n", "\x15\x03\x01\x00\x02\x02\x32"),
	    CLOSE("")},
	    -1, "seems to speak TLS directly", "", 0,
	    {{X_END, NULL, 0, NULL, 0}}, 0, TK_OK, NULL, "", NULL},
	{"postgres injected", "postgres", {RB(PG_SSLREQ, "Sinjected")},
	    0, NULL, "", 8, {{X_END, NULL, 0, NULL, 0}}, 0, TK_OK, NULL, "",
	    NULL},

	/* line */
	{"line", "line", {R("STARTTLS\r\n", "READY\r\n")},
	    0, NULL, "", 0, {{X_END, NULL, 0, NULL, 0}}, 0, TK_OK, NULL, "",
	    "C: STARTTLS | S: READY"},
	{"line refused", "line", {R("STARTTLS\r\n", "NO\r\n")},
	    -1, "did not answer READY", "", 0, {{X_END, NULL, 0, NULL, 0}},
	    0, TK_OK, NULL, "", NULL},
	{"line long", "line", {FLOOD("STARTTLS\r\n", "READY")},
	    -1, "longer than 4096", "", 0, {{X_END, NULL, 0, NULL, 0}}, 0,
	    TK_OK, NULL, "", NULL},
};

static size_t
xlen(const char *s, size_t len)
{
	return len != 0 ? len : strlen(s);
}

static void
join_caps(const char *const *caps, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; caps[i] != NULL; i++) {
		int n = snprintf(buf + o, len - o, "%s%s", i ? "|" : "",
		    caps[i]);

		if (n < 0 || (size_t)n >= len - o) {
			break;
		}
		o += (size_t)n;
	}
}

static ssize_t
sock_rd(void *io, void *buf, size_t len)
{
	ssize_t n = read(*(int *)io, buf, len);

	if (n < 0 && errno == EAGAIN) {
		return TK_WANT_READ;
	}
	return n;
}

static ssize_t
sock_wr(void *io, const void *buf, size_t len)
{
	ssize_t n = write(*(int *)io, buf, len);

	if (n < 0 && errno == EAGAIN) {
		return TK_WANT_WRITE;
	}
	return n;
}

/* Runs one phase of the client until it blocks on reading or ends. */
static int
pump(struct tk_starttls *st, int *fd, bool after)
{
	int rc = TK_WANT_WRITE;

	for (int i = 0; i < 1000 && rc == TK_WANT_WRITE; i++) {
		if (after) {
			rc = tk_starttls_after(st, sock_rd, sock_wr, fd);
		} else {
			rc = tk_starttls_step(st, *fd);
		}
	}
	return rc;
}

static size_t
drain(int fd, char *buf, size_t len)
{
	size_t o = 0;
	ssize_t n;

	while (o < len && (n = read(fd, buf + o, len - o)) > 0) {
		o += (size_t)n;
	}
	return o;
}

/* Writes s over and over, letting the client read, until it gives up. */
static int
flood(struct tk_starttls *st, int sv[2], const char *s, bool after)
{
	static char chunk[65536];
	size_t sl = strlen(s), total = 0;
	int rc = TK_WANT_READ;

	for (size_t o = 0; o + sl <= sizeof(chunk); o += sl) {
		memcpy(chunk + o, s, sl);
	}
	while (rc == TK_WANT_READ && total < (10u << 20)) {
		ssize_t n = write(sv[1], chunk, sizeof(chunk) / sl * sl);

		if (n > 0) {
			total += (size_t)n;
		}
		rc = pump(st, &sv[0], after);
	}
	return rc;
}

/* Plays the script ex on the server side of sv; returns the client's
 * last return code. */
static int
play(struct tk_starttls *st, int sv[2], const struct exch *ex, bool after)
{
	int rc = pump(st, &sv[0], after);
	char got[4096];

	for (size_t i = 0; i < MAXEX && ex[i].how != X_END; i++) {
		size_t n;

		if (rc != TK_WANT_READ) {
			EXPECT_EQ_INT(rc, TK_WANT_READ);
			EXPECT_EQ_SIZE(i, 99);   /* stopped before this one */
			return rc;
		}
		n = drain(sv[1], got, sizeof(got));
		EXPECT_EQ_SIZE(n, xlen(ex[i].c, ex[i].clen));
		EXPECT_TRUE(n == xlen(ex[i].c, ex[i].clen) &&
		    memcmp(got, ex[i].c, n) == 0);
		switch (ex[i].how) {
		case X_REPLY:
			EXPECT_EQ_INT(write(sv[1], ex[i].s, xlen(ex[i].s,
			    ex[i].slen)), (ssize_t)xlen(ex[i].s, ex[i].slen));
			break;
		case X_CLOSE:
			shutdown(sv[1], SHUT_WR);
			break;
		case X_FLOOD:
			return flood(st, sv, ex[i].s, after);
		case X_END:
			break;
		}
		rc = pump(st, &sv[0], after);
	}
	return rc;
}

static struct tk_starttls *
new_case(const struct dcase *d)
{
	struct tk_starttls_conf conf = {"example.org", NULL, NULL, false};
	struct tk_starttls *st;
	struct tk_err err;

	tk_err_clear(&err);
	st = tk_starttls_new_ex(d->proto, &conf, &err);
	EXPECT_TRUE(st != NULL);
	return st;
}

static void
check_result(const struct dcase *d, struct tk_starttls *st, int rc,
    bool after)
{
	const char *want = after ? d->amsg : d->msg;
	enum tk_class cls = after ? d->acls : (d->rc == 0 ? TK_OK : TK_NET);
	char caps[1024];

	EXPECT_EQ_INT(rc, after ? d->arc : d->rc);
	if (rc == -1 || rc == 0) {
		EXPECT_EQ_INT(tk_starttls_error(st)->cls, cls);
	}
	if (want != NULL) {
		EXPECT_TRUE(strstr(tk_starttls_error(st)->msg, want) != NULL);
		if (strstr(tk_starttls_error(st)->msg, want) == NULL) {
			EXPECT_EQ_STR(tk_starttls_error(st)->msg, want);
		}
	}
	join_caps(after ? tk_starttls_caps_after(st) : tk_starttls_caps(st),
	    caps, sizeof(caps));
	if ((after ? d->caps_after : d->caps) != NULL) {
		EXPECT_EQ_STR(caps, after ? d->caps_after : d->caps);
	}
}

static void
run_socket(const struct dcase *d)
{
	struct tk_starttls *st = new_case(d);
	int sv[2], rc;

	if (st == NULL || socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0, sv) < 0) {
		EXPECT_TRUE(false);
		tk_starttls_free(st);
		return;
	}
	rc = play(st, sv, d->ex, false);
	check_result(d, st, rc, false);
	if (rc == 0) {
		char sample[65];

		EXPECT_EQ_SIZE(tk_starttls_injected(st), d->injected);
		EXPECT_EQ_SIZE(strlen(tk_starttls_injected_sample(st)),
		    d->injected < 64 ? d->injected : 64);
		snprintf(sample, sizeof(sample), "%s",
		    tk_starttls_injected_sample(st));
		/* a second call stays done */
		EXPECT_EQ_INT(tk_starttls_step(st, sv[0]), 0);
		rc = play(st, sv, d->after, true);
		check_result(d, st, rc, true);
		/* the injected count is kept for the report */
		EXPECT_EQ_SIZE(tk_starttls_injected(st), d->injected);
		EXPECT_EQ_STR(tk_starttls_injected_sample(st), sample);
	}
	if (d->transcript != NULL) {
		EXPECT_EQ_STR(tk_starttls_transcript(st), d->transcript);
	}
	tk_starttls_free(st);
	close(sv[0]);
	close(sv[1]);
}

/*
 * The same scripts one byte at a time over memory callbacks, the writer
 * refusing every other call with TK_WANT_WRITE.
 */
struct mem {
	const struct exch *ex;
	size_t i;             /* the exchange in progress */
	bool released;        /* its reply may be read */
	size_t pos;           /* bytes of it read */
	char got[4096];
	size_t glen;
	unsigned ticks;
};

static ssize_t
mem_rd(void *io, void *buf, size_t len)
{
	struct mem *m = io;
	const struct exch *e = &m->ex[m->i];

	if (len == 0 || !m->released) {
		return TK_WANT_READ;
	}
	if (e->how == X_CLOSE) {
		return 0;
	}
	if (m->pos >= xlen(e->s, e->slen)) {
		return TK_WANT_READ;
	}
	*(char *)buf = e->s[m->pos++];
	return 1;
}

static ssize_t
mem_wr(void *io, const void *buf, size_t len)
{
	struct mem *m = io;

	if (m->ticks++ % 2 == 0) {
		return TK_WANT_WRITE;
	}
	if (len > 0 && m->glen < sizeof(m->got)) {
		m->got[m->glen++] = *(const char *)buf;
	}
	return 1;
}

static int
play_mem(struct tk_starttls *st, const struct exch *ex, bool after)
{
	struct mem m;
	int rc = TK_WANT_READ;

	memset(&m, 0, sizeof(m));
	m.ex = ex;
	for (int round = 0; round < 100000; round++) {
		const struct exch *e = &ex[m.i];

		if (after) {
			rc = tk_starttls_after(st, mem_rd, mem_wr, &m);
		} else {
			rc = tk_starttls_step_io(st, mem_rd, mem_wr, &m);
		}
		if (rc == TK_WANT_WRITE) {
			continue;
		}
		if (rc != TK_WANT_READ) {
			break;
		}
		if (m.released && (e->how == X_CLOSE ||
		    m.pos < xlen(e->s, e->slen))) {
			EXPECT_TRUE(false);   /* blocked with input left */
			break;
		}
		if (m.released) {
			m.i++;
			m.released = false;
			m.pos = 0;
			e = &ex[m.i];
		}
		if (m.i >= MAXEX || e->how == X_END) {
			break;
		}
		EXPECT_EQ_SIZE(m.glen, xlen(e->c, e->clen));
		EXPECT_TRUE(m.glen == xlen(e->c, e->clen) &&
		    memcmp(m.got, e->c, m.glen) == 0);
		m.glen = 0;
		m.released = true;
	}
	return rc;
}

static void
run_mem(const struct dcase *d)
{
	struct tk_starttls *st;
	int rc;

	for (size_t i = 0; i < MAXEX; i++) {
		if (d->ex[i].how == X_FLOOD || d->after[i].how == X_FLOOD) {
			return;
		}
	}
	st = new_case(d);
	if (st == NULL) {
		return;
	}
	rc = play_mem(st, d->ex, false);
	check_result(d, st, rc, false);
	if (rc == 0) {
		rc = play_mem(st, d->after, true);
		check_result(d, st, rc, true);
	}
	if (d->transcript != NULL) {
		EXPECT_EQ_STR(tk_starttls_transcript(st), d->transcript);
	}
	tk_starttls_free(st);
}

static void
test_protocols(void)
{
	char name[128];

	memcpy(longline, "250-", 4);
	memset(longline + 4, 'y', sizeof(longline) - 7);
	memcpy(longline + sizeof(longline) - 3, "\r\n", 3);
	for (size_t i = 0; i < sizeof(dcases) / sizeof(dcases[0]); i++) {
		snprintf(name, sizeof(name), "%s (socket)", dcases[i].name);
		TK_CASE(name);
		run_socket(&dcases[i]);
		snprintf(name, sizeof(name), "%s (bytewise)", dcases[i].name);
		TK_CASE(name);
		run_mem(&dcases[i]);
	}
	TK_CASE(NULL);
}

/* Past TK_STARTTLS_CAPS_MAX keywords the list stops growing, yet a
 * STARTTLS announced last still counts; long keywords are cut. */
static void
test_caps_limits(void)
{
	static char ehlo[8192];
	struct exch ex[MAXEX] = {
		R("", "220 mx\r\n"),
		R("EHLO localhost\r\n", ehlo),
		R("STARTTLS\r\n", "220 go\r\n"),
	};
	struct tk_starttls *st;
	struct tk_err err;
	const char *const *caps;
	size_t o, n;
	int sv[2];

	TK_CASE("caps limits");
	o = (size_t)snprintf(ehlo, sizeof(ehlo), "250-mx\r\n250-");
	memset(ehlo + o, 'k', 300);
	o += 300;
	o += (size_t)snprintf(ehlo + o, sizeof(ehlo) - o, "\r\n");
	for (int i = 0; i < 100; i++) {
		o += (size_t)snprintf(ehlo + o, sizeof(ehlo) - o,
		    "250-X-KEYWORD-%d\r\n", i);
	}
	snprintf(ehlo + o, sizeof(ehlo) - o, "250 STARTTLS\r\n");
	tk_err_clear(&err);
	st = tk_starttls_new("smtp", &err);
	if (st == NULL || socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0, sv) < 0) {
		EXPECT_TRUE(false);
		tk_starttls_free(st);
		return;
	}
	EXPECT_EQ_INT(play(st, sv, ex, false), 0);
	caps = tk_starttls_caps(st);
	for (n = 0; caps[n] != NULL; n++) {
		EXPECT_TRUE(strlen(caps[n]) <= TK_STARTTLS_CAP_LEN);
	}
	EXPECT_EQ_SIZE(n, TK_STARTTLS_CAPS_MAX);
	EXPECT_EQ_SIZE(strlen(caps[0]), TK_STARTTLS_CAP_LEN);
	EXPECT_EQ_STR(caps[1], "X-KEYWORD-0");
	tk_starttls_free(st);
	close(sv[0]);
	close(sv[1]);
	TK_CASE(NULL);
}

/* Over TCP the default EHLO name is the local address (RFC 5321 4.1.4). */
static void
test_ehlo_literal(void)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	struct tk_starttls *st;
	struct tk_err err;
	struct pollfd pfd;
	char got[64];
	int l, c, s;
	ssize_t n;

	TK_CASE("EHLO address literal");
	tk_err_clear(&err);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	s = -1;
	if (l < 0 || c < 0 ||
	    bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(l, 1) < 0 ||
	    getsockname(l, (struct sockaddr *)&sa, &sl) < 0 ||
	    connect(c, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    (s = accept(l, NULL, NULL)) < 0 ||
	    fcntl(c, F_SETFL, O_NONBLOCK) < 0) {
		EXPECT_TRUE(false);
		goto out;
	}
	st = tk_starttls_new("smtp", &err);
	EXPECT_TRUE(st != NULL);
	if (st == NULL) {
		goto out;
	}
	EXPECT_EQ_INT(write(s, "220 hi\r\n", 8), 8);
	pfd.fd = c;
	pfd.events = POLLIN;
	EXPECT_EQ_INT(poll(&pfd, 1, 5000), 1);
	EXPECT_EQ_INT(tk_starttls_step(st, c), TK_WANT_READ);
	n = read(s, got, sizeof(got) - 1);
	EXPECT_EQ_INT(n, 18);
	if (n >= 0) {
		got[n] = '\0';
		EXPECT_EQ_STR(got, "EHLO [127.0.0.1]\r\n");
	}
	tk_starttls_free(st);
out:
	if (s >= 0) {
		close(s);
	}
	if (c >= 0) {
		close(c);
	}
	if (l >= 0) {
		close(l);
	}
	TK_CASE(NULL);
}

/* Names given in the configuration go on the wire as they are. */
static const struct {
	const char *proto;
	const char *greeting;
	const char *want;
} named_cases[] = {
	{"smtp", "220 hi\r\n", "EHLO client.example\r\n"},
	{"lmtp", "220 hi\r\n", "LHLO client.example\r\n"},
	{"xmpp", "", XMPP_C("jabber:client", "chat.example")},
	{"xmpp-server", "", XMPP_C("jabber:server", "chat.example")},
};

/* The per-line transcript, the answer, "advertised" and the probe. */
static void
test_transcript(void)
{
	static const struct exch ok[MAXEX] = {
		R("", "220 mx.example.org ESMTP\r\n"),
		R("EHLO localhost\r\n", SMTP_EHLO),
		R("STARTTLS\r\nNOOP\r\n", "220 2.0.0 Ready to start TLS\r\n"),
	};
	static const struct exch refused[MAXEX] = {
		R("", "220 mx\r\n"),
		R("EHLO localhost\r\n", SMTP_EHLO),
		R("STARTTLS\r\n", "454 4.7.0 TLS not available\r\n"),
	};
	static const struct exch absent[MAXEX] = {
		R("", "220 mx\r\n"),
		R("EHLO localhost\r\n", "250-mx\r\n250 SIZE\r\n"),
	};
	static const char *const want[] = {
		"S 220 mx.example.org ESMTP", "C EHLO localhost",
		"S 250-mx.example.org", "S 250-PIPELINING",
		"S 250-SIZE 10240000", "S 250-STARTTLS", "S 250 8BITMIME",
		"C STARTTLS", "C NOOP", "S 220 2.0.0 Ready to start TLS",
	};
	struct tk_starttls_conf conf = {NULL, "localhost", "localhost", true};
	const struct tk_starttls_line *l;
	struct tk_starttls *st;
	struct tk_err err;
	size_t n, dropped;
	int sv[2];

	TK_CASE("transcript: every line, in order, the probe pipelined");
	tk_err_clear(&err);
	st = tk_starttls_new_ex("smtp", &conf, &err);
	EXPECT_TRUE(st != NULL);
	if (st == NULL || socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK,
	    0, sv) < 0) {
		tk_starttls_free(st);
		return;
	}
	EXPECT_EQ_INT(tk_starttls_advertised(st), -1);
	EXPECT_TRUE(tk_starttls_answer(st) == NULL);
	EXPECT_EQ_INT(play(st, sv, ok, false), 0);
	l = tk_starttls_lines(st, &n, &dropped);
	EXPECT_EQ_SIZE(n, sizeof(want) / sizeof(want[0]));
	EXPECT_EQ_SIZE(dropped, 0);
	for (size_t i = 0; i < n && i < sizeof(want) / sizeof(want[0]);
	     i++) {
		char got[300];

		snprintf(got, sizeof(got), "%s %s", l[i].client ? "C" : "S",
		    l[i].text);
		EXPECT_EQ_STR(got, want[i]);
		EXPECT_TRUE(!l[i].tls);
		EXPECT_TRUE(i == 0 || l[i].t_us >= l[i - 1].t_us);
	}
	EXPECT_EQ_INT(tk_starttls_advertised(st), 1);
	EXPECT_EQ_STR(tk_starttls_answer(st) ? tk_starttls_answer(st) : "",
	    "220 2.0.0 Ready to start TLS");
	tk_starttls_free(st);
	close(sv[0]);
	close(sv[1]);

	TK_CASE("answer: the refusal");
	conf.check_injection = false;
	st = tk_starttls_new_ex("smtp", &conf, &err);
	EXPECT_TRUE(st != NULL);
	if (st != NULL && socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0,
	    sv) == 0) {
		EXPECT_EQ_INT(play(st, sv, refused, false), -1);
		EXPECT_EQ_INT(tk_starttls_advertised(st), 1);
		EXPECT_EQ_STR(tk_starttls_answer(st) ?
		    tk_starttls_answer(st) : "", "454 4.7.0 TLS not available");
		close(sv[0]);
		close(sv[1]);
	}
	tk_starttls_free(st);

	TK_CASE("advertised: no");
	st = tk_starttls_new_ex("smtp", &conf, &err);
	EXPECT_TRUE(st != NULL);
	if (st != NULL && socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0,
	    sv) == 0) {
		EXPECT_EQ_INT(play(st, sv, absent, false), -1);
		EXPECT_EQ_INT(tk_starttls_advertised(st), 0);
		EXPECT_TRUE(tk_starttls_answer(st) == NULL);
		close(sv[0]);
		close(sv[1]);
	}
	tk_starttls_free(st);

	TK_CASE("ports and probes");
	EXPECT_EQ_INT(tk_starttls_port("smtp"), 25);
	EXPECT_EQ_INT(tk_starttls_port("sieve"), 4190);
	EXPECT_EQ_INT(tk_starttls_port("xmpp-server"), 5269);
	EXPECT_EQ_INT(tk_starttls_port("line"), 0);
	EXPECT_EQ_INT(tk_starttls_port("nope"), 0);
	EXPECT_TRUE(tk_starttls_can_probe("imap"));
	EXPECT_TRUE(!tk_starttls_can_probe("ldap"));
	EXPECT_TRUE(!tk_starttls_can_probe("nope"));
	TK_CASE(NULL);
}

static void
test_named(void)
{
	struct tk_starttls_conf conf = {"example.org", "chat.example",
	    "client.example", false};

	for (size_t i = 0; i < sizeof(named_cases) / sizeof(named_cases[0]);
	     i++) {
		struct exch ex[MAXEX] = {
			R("", named_cases[i].greeting),
			R(named_cases[i].want, ""),
		};
		struct tk_starttls *st;
		struct tk_err err;
		int sv[2];

		TK_CASE(named_cases[i].proto);
		tk_err_clear(&err);
		st = tk_starttls_new_ex(named_cases[i].proto, &conf, &err);
		if (st == NULL || socketpair(AF_UNIX, SOCK_STREAM |
		    SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0) {
			EXPECT_TRUE(false);
			tk_starttls_free(st);
			continue;
		}
		if (named_cases[i].greeting[0] == '\0') {
			/* XMPP speaks first */
			ex[0] = ex[1];
			ex[1].how = X_END;
		}
		EXPECT_EQ_INT(play(st, sv, ex, false), TK_WANT_READ);
		tk_starttls_free(st);
		close(sv[0]);
		close(sv[1]);
	}
	TK_CASE(NULL);
}
/* tk_starttls_guess(): a plaintext greeting where TLS was expected. */
static void
test_guess(void)
{
	static const struct {
		const char *in;
		size_t len;          /* 0: strlen(in) */
		const char *proto;   /* NULL: not plaintext */
	} cases[] = {
		{"220 mail.example ESMTP Postfix\r\n", 0, "smtp"},
		{"220 mail", 0, "smtp"},
		{"220 ftp.example FTP server ready\r\n", 0, "ftp"},
		{"220 (vsFTPd 3.0.3)\r\n", 0, "ftp"},
		{"220 lmtp.example LMTP ready\r\n", 0, "lmtp"},
		{"* OK [CAPABILITY IMAP4rev1] Dovecot ready.\r\n", 0, "imap"},
		{"* PREAUTH ready\r\n", 0, "imap"},
		{"+OK Dovecot ready.\r\n", 0, "pop3"},
		{"200 news.example NNTP\r\n", 0, "nntp"},
		{"\"IMPLEMENTATION\" \"Dovecot Pigeonhole\"\r\n", 0,
		    "sieve"},
		{"<?xml version='1.0'?><stream:stream>", 0, "xmpp"},
		{"HTTP/1.1 400 Bad Request\r\n", 0, "http"},
		{"SSH-2.0-OpenSSH_9.6\r\n", 0, "ssh"},
		{"hello there\n\x01\x02", 0, ""},
		{"22", 0, ""},
		{"\x15\x03\x03\x00\x02\x02\x0a", 0, NULL},
		{"\x16\x03\x01\x00\x05", 0, NULL},
		{"", 0, NULL},
		{"\0", 1, NULL},
		{"220\x1b[31m", 0, NULL},
		{"+OK\x7f", 0, NULL},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = cases[i].len ? cases[i].len :
		    strlen(cases[i].in);
		const char *got = tk_starttls_guess(
		    (const unsigned char *)cases[i].in, len);

		TK_CASE(cases[i].in);
		if (cases[i].proto == NULL) {
			EXPECT_TRUE(got == NULL);
		} else {
			EXPECT_EQ_STR(got != NULL ? got : "(null)",
			    cases[i].proto);
		}
	}
	TK_CASE(NULL);
}

static void
run(void)
{
	test_new();
	test_guess();
	test_dialogues();
	test_names();
	test_conf();
	test_protocols();
	test_ehlo_literal();
	test_named();
	test_transcript();
	test_caps_limits();
}

TK_TEST_MAIN("test_starttls", run)
