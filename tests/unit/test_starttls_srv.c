/*
 * The server side of STARTTLS (lib/starttls_srv.c): each protocol's
 * dialogue as a table of lines and the replies and next steps expected,
 * with the upgrade in the middle, plus names, tags and caps.
 */
#include <stdlib.h>
#include <string.h>

#include "starttls_srv.h"
#include "tk_test.h"

#include "banned.h"

#define UP "\001"  /* in a script: the handshake is done here */

struct exch {
	const char *line;   /* UP: call tk_starttls_srv_tls_up() */
	const char *reply;
	int next;           /* TK_STARTTLS_SRV_* or -1 */
};

struct script {
	const char *name;
	const char *proto;
	const char *greeting;
	struct exch ex[16];
};

#define MORE TK_STARTTLS_SRV_MORE
#define STLS TK_STARTTLS_SRV_STARTTLS
#define CLOSE TK_STARTTLS_SRV_CLOSE

static const struct script scripts[] = {
	{"smtp full", "smtp", "220 localhost ESMTP tlskit\r\n", {
		{"EHLO client.example", "250-localhost greets you\r\n"
		    "250-SIZE 10485760\r\n250-8BITMIME\r\n250 STARTTLS\r\n",
		    MORE},
		{"MAIL FROM:<a@b>",
		    "530 5.7.0 Must issue a STARTTLS command first\r\n", MORE},
		{"rcpt TO:<a@b>",
		    "530 5.7.0 Must issue a STARTTLS command first\r\n", MORE},
		{"noop", "250 2.0.0 OK\r\n", MORE},
		{"HELO x", "250 localhost\r\n", MORE},
		{"EHLO", "501 5.5.4 Syntax: EHLO hostname\r\n", MORE},
		{"EHLO ", "501 5.5.4 Syntax: EHLO hostname\r\n", MORE},
		{"", "500 5.5.2 Syntax error, command unrecognized\r\n", MORE},
		{"STARTTLS now",
		    "501 5.5.4 Syntax error (no parameters allowed)\r\n", MORE},
		{"StartTLS", "220 2.0.0 Ready to start TLS\r\n", STLS},
		{UP, NULL, 0},
		{"EHLO c", "250-localhost greets you\r\n"
		    "250-SIZE 10485760\r\n250 8BITMIME\r\n", MORE},
		{"STARTTLS", "503 5.5.1 TLS already active\r\n", MORE},
		{"MAIL FROM:<a@b>",
		    "502 5.5.1 not implemented: tlskit echo server\r\n", MORE},
		{"QUIT", "221 2.0.0 localhost closing connection\r\n", CLOSE},
		{NULL, NULL, 0},
	}},
	{"smtp quit before tls", "smtp", NULL, {
		{"quit", "221 2.0.0 localhost closing connection\r\n", CLOSE},
		{NULL, NULL, 0},
	}},
	{"imap full", "imap", "* OK [CAPABILITY IMAP4rev1 STARTTLS "
	    "LOGINDISABLED] tlskit ready\r\n", {
		{"a1 CAPABILITY", "* CAPABILITY IMAP4rev1 STARTTLS "
		    "LOGINDISABLED\r\na1 OK CAPABILITY completed\r\n", MORE},
		{"a2 LOGIN u p",
		    "a2 NO not implemented: tlskit echo server\r\n", MORE},
		{"a3 noop", "a3 OK NOOP completed\r\n", MORE},
		{"", "* BAD invalid tag\r\n", MORE},
		{"a(b NOOP", "* BAD invalid tag\r\n", MORE},
		{"+ NOOP", "* BAD invalid tag\r\n", MORE},
		{"a4", "a4 BAD command unknown or arguments invalid\r\n", MORE},
		{"a5 123", "a5 BAD command unknown or arguments invalid\r\n",
		    MORE},
		{"a6 CAPABILITY x", "a6 BAD CAPABILITY takes no arguments\r\n",
		    MORE},
		{"a7 STARTTLS", "a7 OK Begin TLS negotiation now\r\n", STLS},
		{UP, NULL, 0},
		{"b1 CAPABILITY", "* CAPABILITY IMAP4rev1 LOGINDISABLED\r\n"
		    "b1 OK CAPABILITY completed\r\n", MORE},
		{"b2 STARTTLS", "b2 BAD TLS already active\r\n", MORE},
		{"b3 SELECT INBOX",
		    "b3 NO not implemented: tlskit echo server\r\n", MORE},
		{"b4 LOGOUT", "* BYE tlskit logging out\r\n"
		    "b4 OK LOGOUT completed\r\n", CLOSE},
		{NULL, NULL, 0},
	}},
	{"pop3 full", "pop3", "+OK tlskit ready\r\n", {
		{"CAPA", "+OK capability list follows\r\nSTLS\r\n"
		    "IMPLEMENTATION tlskit\r\n.\r\n", MORE},
		{"USER bob", "-ERR not implemented: tlskit echo server\r\n",
		    MORE},
		{"NOOP", "-ERR not implemented: tlskit echo server\r\n", MORE},
		{"!!", "-ERR unknown command\r\n", MORE},
		{"STLS x", "-ERR STLS takes no arguments\r\n", MORE},
		{"stls", "+OK Begin TLS negotiation\r\n", STLS},
		{UP, NULL, 0},
		{"CAPA", "+OK capability list follows\r\n"
		    "IMPLEMENTATION tlskit\r\n.\r\n", MORE},
		{"STLS", "-ERR command not permitted when TLS active\r\n",
		    MORE},
		{"QUIT", "+OK tlskit signing off\r\n", CLOSE},
		{NULL, NULL, 0},
	}},
	{"line", "line", "", {
		{"hello", "hello\r\n", MORE},
		{"", "\r\n", MORE},
		{"STARTTLS now", "STARTTLS now\r\n", MORE},
		{"100% %n %t", "100% %n %t\r\n", MORE},
		{"starttls", "READY\r\n", STLS},
		{UP, NULL, 0},
		/* no dialogue inside TLS: the tool echoes bytes */
		{"anything", "", -1},
		{NULL, NULL, 0},
	}},
};

static void
run_script(const struct script *sc)
{
	struct tk_starttls_srv *ss;
	struct tk_err err;
	char out[TK_STARTTLS_SRV_REPLY_MAX];
	size_t n;

	TK_CASE(sc->name);
	tk_err_clear(&err);
	ss = tk_starttls_srv_new(sc->proto, NULL, &err);
	EXPECT_TRUE(ss != NULL);
	if (ss == NULL) {
		return;
	}
	if (sc->greeting != NULL) {
		EXPECT_EQ_STR(tk_starttls_srv_greeting(ss), sc->greeting);
	}
	for (const struct exch *e = sc->ex; e->line != NULL; e++) {
		int r;

		if (strcmp(e->line, UP) == 0) {
			tk_starttls_srv_tls_up(ss);
			continue;
		}
		r = tk_starttls_srv_line(ss, e->line, out, sizeof(out), &n,
		    &err);
		EXPECT_EQ_INT(r, e->next);
		if (r < 0) {
			EXPECT_EQ_INT(err.cls, TK_INTERNAL);
			tk_err_clear(&err);
			continue;
		}
		out[n] = '\0';
		EXPECT_EQ_STR(out, e->reply);
	}
	tk_starttls_srv_free(ss);
	TK_CASE(NULL);
}

static void
test_states(void)
{
	struct tk_starttls_srv *ss;
	struct tk_err err;
	char out[TK_STARTTLS_SRV_REPLY_MAX];
	size_t n;

	tk_err_clear(&err);
	/* between STARTTLS and the handshake: no line is answered */
	ss = tk_starttls_srv_new("smtp", "mx.example", &err);
	EXPECT_TRUE(ss != NULL);
	EXPECT_EQ_STR(tk_starttls_srv_greeting(ss),
	    "220 mx.example ESMTP tlskit\r\n");
	EXPECT_TRUE(tk_starttls_srv_in_tls(ss));
	EXPECT_EQ_INT(tk_starttls_srv_line(ss, "STARTTLS", out, sizeof(out),
	    &n, &err), STLS);
	EXPECT_EQ_INT(tk_starttls_srv_line(ss, "NOOP", out, sizeof(out), &n,
	    &err), -1);
	EXPECT_EQ_INT(err.cls, TK_INTERNAL);
	tk_err_clear(&err);
	tk_starttls_srv_tls_up(ss);
	EXPECT_EQ_INT(tk_starttls_srv_line(ss, "NOOP", out, sizeof(out), &n,
	    &err), MORE);
	/* an output buffer below the documented minimum */
	EXPECT_EQ_INT(tk_starttls_srv_line(ss, "NOOP", out, 16, &n, &err), -1);
	EXPECT_EQ_INT(err.cls, TK_INTERNAL);
	tk_err_clear(&err);
	EXPECT_EQ_INT(tk_starttls_srv_line(ss, "QUIT", out, sizeof(out), &n,
	    &err), CLOSE);
	EXPECT_EQ_INT(tk_starttls_srv_line(ss, "NOOP", out, sizeof(out), &n,
	    &err), -1);
	tk_starttls_srv_free(ss);
	tk_starttls_srv_free(NULL);
	tk_err_clear(&err);
	ss = tk_starttls_srv_new("line", NULL, &err);
	EXPECT_TRUE(ss != NULL && !tk_starttls_srv_in_tls(ss));
	tk_starttls_srv_free(ss);
}

static void
test_new_bad(void)
{
	static const struct {
		const char *proto, *name;
		enum tk_class cls;
	} cases[] = {
		{"ftp", NULL, TK_USAGE},
		{"", NULL, TK_USAGE},
		{NULL, NULL, TK_USAGE},
		{"SMTP", NULL, TK_USAGE},
		{"smtp", "", TK_USAGE},
		{"smtp", "two words", TK_USAGE},
		{"smtp", "tab\there", TK_USAGE},
		{"smtp", "cr\r\n250 injected", TK_USAGE},
		{"smtp", "caf\xc3\xa9", TK_USAGE},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tk_err err;

		tk_err_clear(&err);
		TK_CASE(cases[i].name != NULL ? cases[i].name :
		    cases[i].proto != NULL ? cases[i].proto : "(null)");
		EXPECT_TRUE(tk_starttls_srv_new(cases[i].proto, cases[i].name,
		    &err) == NULL);
		EXPECT_EQ_INT(err.cls, cases[i].cls);
	}
	TK_CASE(NULL);
	EXPECT_TRUE(tk_starttls_srv_known("pop3"));
	EXPECT_TRUE(!tk_starttls_srv_known("lmtp"));
	{
		struct tk_err err;
		size_t n = 0;

		for (; tk_starttls_srv_protocols[n] != NULL; n++) {
			TK_CASE(tk_starttls_srv_protocols[n]);
			EXPECT_TRUE(tk_starttls_srv_known(
			    tk_starttls_srv_protocols[n]));
		}
		TK_CASE("the list");
		EXPECT_EQ_SIZE(n, 4);
		tk_err_clear(&err);
		EXPECT_TRUE(tk_starttls_srv_new("lmtp", NULL, &err) == NULL);
		EXPECT_EQ_STR(err.msg, "the server speaks no STARTTLS protocol "
		    "'lmtp' (it speaks line, smtp, imap, pop3)");
		TK_CASE(NULL);
	}
}

/* The longest line the reader gives fits in a reply, echoed or tagged. */
static void
test_long_lines(void)
{
	static const char *const protos[] = {"line", "smtp", "imap", "pop3"};
	char *line = malloc(TK_LINE_MAX + 1);
	char out[TK_STARTTLS_SRV_REPLY_MAX];

	if (line == NULL) {
		EXPECT_TRUE(line != NULL);
		return;
	}
	memset(line, 'a', TK_LINE_MAX);
	line[TK_LINE_MAX] = '\0';
	line[10] = ' ';
	for (size_t i = 0; i < 4; i++) {
		struct tk_starttls_srv *ss;
		struct tk_err err;
		size_t n = 0;

		tk_err_clear(&err);
		TK_CASE(protos[i]);
		ss = tk_starttls_srv_new(protos[i], NULL, &err);
		EXPECT_EQ_INT(tk_starttls_srv_line(ss, line, out, sizeof(out),
		    &n, &err), MORE);
		EXPECT_TRUE(n >= 2 && out[n - 2] == '\r' && out[n - 1] == '\n');
		tk_starttls_srv_free(ss);
	}
	TK_CASE(NULL);
	free(line);
}

static void
run(void)
{
	for (size_t i = 0; i < sizeof(scripts) / sizeof(scripts[0]); i++) {
		run_script(&scripts[i]);
	}
	test_states();
	test_new_bad();
	test_long_lines();
}

TK_TEST_MAIN("test_starttls_srv", run)
