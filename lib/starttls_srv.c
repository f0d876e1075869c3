#include "starttls_srv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "banned.h"

/*
 * Reply templates: %n is the server's name, %t the IMAP tag of the
 * command, %l the whole line (the line protocol's echo), %% a percent
 * sign.  Only templates are expanded, never the text put into them.
 */

enum phase {
	PRE = 1u << 0,   /* before TLS */
	TLS = 1u << 1,   /* inside TLS */
	BOTH = PRE | TLS,
};

enum args {
	ARGS_ANY,        /* with or without arguments */
	ARGS_NONE,       /* arguments: the bad reply */
	ARGS_REQ,        /* no arguments: the bad reply */
};

struct cmd {
	const char *verb;          /* matched without regard to case */
	unsigned phase;            /* where this entry applies */
	enum args args;
	enum tk_starttls_srv_next next;
	const char *reply;
	/* reply when args is not met; NULL: answered as any other line */
	const char *bad;
};

struct proto {
	const char *greeting;
	bool tagged;               /* IMAP: "tag SP command [SP args]" */
	bool in_tls;               /* the dialogue goes on inside TLS */
	const struct cmd *cmds;
	size_t ncmds;
	const char *other_pre;     /* any other command before TLS */
	const char *other_tls;     /* ... and inside TLS */
	/* an empty or non-alphabetic command; NULL: as any other */
	const char *garbage;
	const char *bad_tag;       /* IMAP: no valid tag (untagged reply) */
};

#define NCMDS(a) (sizeof(a) / sizeof((a)[0]))

/*
 * SMTP, RFC 5321 and RFC 3207.  No PIPELINING: each command is answered
 * before the next is read.  RFC 3207 section 4.2: inside TLS the EHLO
 * reply no longer offers STARTTLS, and STARTTLS again is a 503.  Before
 * TLS only the commands needed to get there are served, anything else is
 * 530 (RFC 3207 section 4).
 */
#define SMTP_EHLO_HEAD "250-%n greets you\r\n250-SIZE 10485760\r\n"
static const struct cmd smtp_cmds[] = {
	{"EHLO", PRE, ARGS_REQ, TK_STARTTLS_SRV_MORE,
	    SMTP_EHLO_HEAD "250-8BITMIME\r\n250 STARTTLS\r\n",
	    "501 5.5.4 Syntax: EHLO hostname\r\n"},
	{"EHLO", TLS, ARGS_REQ, TK_STARTTLS_SRV_MORE,
	    SMTP_EHLO_HEAD "250 8BITMIME\r\n",
	    "501 5.5.4 Syntax: EHLO hostname\r\n"},
	{"HELO", BOTH, ARGS_REQ, TK_STARTTLS_SRV_MORE, "250 %n\r\n",
	    "501 5.5.4 Syntax: HELO hostname\r\n"},
	{"STARTTLS", PRE, ARGS_NONE, TK_STARTTLS_SRV_STARTTLS,
	    "220 2.0.0 Ready to start TLS\r\n",
	    "501 5.5.4 Syntax error (no parameters allowed)\r\n"},
	{"STARTTLS", TLS, ARGS_ANY, TK_STARTTLS_SRV_MORE,
	    "503 5.5.1 TLS already active\r\n", NULL},
	{"NOOP", BOTH, ARGS_ANY, TK_STARTTLS_SRV_MORE, "250 2.0.0 OK\r\n",
	    NULL},
	{"QUIT", BOTH, ARGS_ANY, TK_STARTTLS_SRV_CLOSE,
	    "221 2.0.0 %n closing connection\r\n", NULL},
};

/*
 * IMAP, RFC 9051 and RFC 3501 (IMAP4rev1, which is what clients expect
 * to see).  LOGINDISABLED stays inside TLS: LOGIN is never served.
 */
static const struct cmd imap_cmds[] = {
	{"CAPABILITY", PRE, ARGS_NONE, TK_STARTTLS_SRV_MORE,
	    "* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\n"
	    "%t OK CAPABILITY completed\r\n",
	    "%t BAD CAPABILITY takes no arguments\r\n"},
	{"CAPABILITY", TLS, ARGS_NONE, TK_STARTTLS_SRV_MORE,
	    "* CAPABILITY IMAP4rev1 LOGINDISABLED\r\n"
	    "%t OK CAPABILITY completed\r\n",
	    "%t BAD CAPABILITY takes no arguments\r\n"},
	{"NOOP", BOTH, ARGS_NONE, TK_STARTTLS_SRV_MORE,
	    "%t OK NOOP completed\r\n", "%t BAD NOOP takes no arguments\r\n"},
	{"LOGOUT", BOTH, ARGS_NONE, TK_STARTTLS_SRV_CLOSE,
	    "* BYE tlskit logging out\r\n%t OK LOGOUT completed\r\n",
	    "%t BAD LOGOUT takes no arguments\r\n"},
	{"STARTTLS", PRE, ARGS_NONE, TK_STARTTLS_SRV_STARTTLS,
	    "%t OK Begin TLS negotiation now\r\n",
	    "%t BAD STARTTLS takes no arguments\r\n"},
	{"STARTTLS", TLS, ARGS_ANY, TK_STARTTLS_SRV_MORE,
	    "%t BAD TLS already active\r\n", NULL},
};

/*
 * POP3, RFC 1939, RFC 2449 (CAPA) and RFC 2595 (STLS).  The session
 * stays in the AUTHORIZATION state, where NOOP is not valid either.
 */
static const struct cmd pop3_cmds[] = {
	{"CAPA", PRE, ARGS_NONE, TK_STARTTLS_SRV_MORE,
	    "+OK capability list follows\r\nSTLS\r\n"
	    "IMPLEMENTATION tlskit\r\n.\r\n",
	    "-ERR CAPA takes no arguments\r\n"},
	{"CAPA", TLS, ARGS_NONE, TK_STARTTLS_SRV_MORE,
	    "+OK capability list follows\r\nIMPLEMENTATION tlskit\r\n.\r\n",
	    "-ERR CAPA takes no arguments\r\n"},
	{"STLS", PRE, ARGS_NONE, TK_STARTTLS_SRV_STARTTLS,
	    "+OK Begin TLS negotiation\r\n",
	    "-ERR STLS takes no arguments\r\n"},
	{"STLS", TLS, ARGS_ANY, TK_STARTTLS_SRV_MORE,
	    "-ERR command not permitted when TLS active\r\n", NULL},
	{"QUIT", BOTH, ARGS_NONE, TK_STARTTLS_SRV_CLOSE,
	    "+OK tlskit signing off\r\n", "-ERR QUIT takes no arguments\r\n"},
};

/* The line protocol: lines echoed until "STARTTLS", answered READY. */
static const struct cmd line_cmds[] = {
	{"STARTTLS", PRE, ARGS_NONE, TK_STARTTLS_SRV_STARTTLS, "READY\r\n",
	    NULL},
};

/*
 * The protocols served, the one list of them (the option table offers
 * exactly these to tls-echo-server), and their dialogues by index.
 */
enum { P_LINE, P_SMTP, P_IMAP, P_POP3, P_COUNT };

const char *const tk_starttls_srv_protocols[P_COUNT + 1] = {
	[P_LINE] = "line",
	[P_SMTP] = "smtp",
	[P_IMAP] = "imap",
	[P_POP3] = "pop3",
};

static const struct proto protos[P_COUNT] = {
	[P_LINE] = {"", false, false, line_cmds, NCMDS(line_cmds), "%l\r\n",
	    NULL, NULL, NULL},
	[P_SMTP] = {"220 %n ESMTP tlskit\r\n", false, true, smtp_cmds,
	    NCMDS(smtp_cmds),
	    "530 5.7.0 Must issue a STARTTLS command first\r\n",
	    "502 5.5.1 not implemented: tlskit echo server\r\n",
	    "500 5.5.2 Syntax error, command unrecognized\r\n", NULL},
	[P_IMAP] = {"* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] "
	    "tlskit ready\r\n", true, true, imap_cmds, NCMDS(imap_cmds),
	    "%t NO not implemented: tlskit echo server\r\n",
	    "%t NO not implemented: tlskit echo server\r\n",
	    "%t BAD command unknown or arguments invalid\r\n",
	    "* BAD invalid tag\r\n"},
	[P_POP3] = {"+OK tlskit ready\r\n", false, true, pop3_cmds,
	    NCMDS(pop3_cmds), "-ERR not implemented: tlskit echo server\r\n",
	    "-ERR not implemented: tlskit echo server\r\n",
	    "-ERR unknown command\r\n", NULL},
};

#define IMAP_TAG_MAX 64

enum sstate { S_PRE, S_UPGRADING, S_TLS, S_CLOSED };

struct tk_starttls_srv {
	const struct proto *p;
	enum sstate state;
	char name[TK_STARTTLS_SRV_NAME_MAX + 1];
	char greeting[TK_STARTTLS_SRV_NAME_MAX + 128];
};

static const struct proto *
find_proto(const char *name)
{
	if (name == NULL) {
		return NULL;
	}
	for (size_t i = 0; i < P_COUNT; i++) {
		if (strcmp(tk_starttls_srv_protocols[i], name) == 0) {
			return &protos[i];
		}
	}
	return NULL;
}

bool
tk_starttls_srv_known(const char *proto)
{
	return find_proto(proto) != NULL;
}

/* Appends s[0..n) to out at *pos; false when it does not fit. */
static bool
put(char *out, size_t outsz, size_t *pos, const char *s, size_t n)
{
	if (n > outsz - *pos) {
		return false;
	}
	memcpy(out + *pos, s, n);
	*pos += n;
	return true;
}

static bool
expand(const char *tpl, const char *name, const char *tag, size_t taglen,
    const char *line, char *out, size_t outsz, size_t *outlen)
{
	size_t pos = 0;

	for (const char *t = tpl; *t != '\0'; t++) {
		bool ok;

		if (t[0] != '%' || t[1] == '\0') {
			ok = put(out, outsz, &pos, t, 1);
		} else {
			t++;
			switch (*t) {
			case 'n':
				ok = put(out, outsz, &pos, name, strlen(name));
				break;
			case 't':
				ok = put(out, outsz, &pos, tag, taglen);
				break;
			case 'l':
				ok = put(out, outsz, &pos, line, strlen(line));
				break;
			default:
				ok = put(out, outsz, &pos, t, 1);
				break;
			}
		}
		if (!ok) {
			return false;
		}
	}
	*outlen = pos;
	return true;
}

static bool
name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > TK_STARTTLS_SRV_NAME_MAX) {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if (name[i] <= ' ' || name[i] >= 0x7f) {
			return false;
		}
	}
	return true;
}

struct tk_starttls_srv *
tk_starttls_srv_new(const char *proto, const char *name, struct tk_err *err)
{
	const struct proto *p = find_proto(proto);
	struct tk_starttls_srv *ss;
	size_t n;

	if (p == NULL) {
		char names[64] = "";
		size_t o = 0;

		for (size_t i = 0; i < P_COUNT && o < sizeof(names); i++) {
			o += (size_t)snprintf(names + o, sizeof(names) - o,
			    "%s%s", i ? ", " : "", tk_starttls_srv_protocols[i]);
		}
		tk_err_set(err, TK_USAGE, "starttls",
		    "the server speaks no STARTTLS protocol '%.32s' (it "
		    "speaks %s)", proto != NULL ? proto : "", names);
		return NULL;
	}
	if (name == NULL) {
		name = "localhost";
	}
	if (!name_ok(name)) {
		tk_err_set(err, TK_USAGE, "starttls",
		    "bad server name '%.64s' for the greeting: 1 to %d "
		    "printable ASCII characters without spaces", name,
		    TK_STARTTLS_SRV_NAME_MAX);
		return NULL;
	}
	ss = calloc(1, sizeof(*ss));
	if (ss == NULL) {
		tk_err_set(err, TK_INTERNAL, "starttls", "out of memory");
		return NULL;
	}
	ss->p = p;
	ss->state = S_PRE;
	memcpy(ss->name, name, strlen(name) + 1);
	/* the greeting has no %t or %l; the name fits by its cap */
	if (!expand(p->greeting, ss->name, "", 0, "", ss->greeting,
	    sizeof(ss->greeting) - 1, &n)) {
		free(ss);
		tk_err_set(err, TK_INTERNAL, "starttls",
		    "greeting too long");
		return NULL;
	}
	ss->greeting[n] = '\0';
	return ss;
}

void
tk_starttls_srv_free(struct tk_starttls_srv *ss)
{
	free(ss);
}

const char *
tk_starttls_srv_greeting(const struct tk_starttls_srv *ss)
{
	return ss->greeting;
}

void
tk_starttls_srv_tls_up(struct tk_starttls_srv *ss)
{
	if (ss->state == S_UPGRADING) {
		ss->state = S_TLS;
	}
}

bool
tk_starttls_srv_in_tls(const struct tk_starttls_srv *ss)
{
	return ss->p->in_tls;
}

/* An IMAP tag: atom characters except '+' (RFC 9051 section 9, "tag"). */
static bool
tag_char(char ch)
{
	return ch > ' ' && ch < 0x7f && strchr("(){%*\"\\]+", ch) == NULL;
}

static bool
alpha(const char *s, size_t n)
{
	if (n == 0) {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];

		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z'))) {
			return false;
		}
	}
	return true;
}

static const struct cmd *
find_cmd(const struct proto *p, unsigned phase, const char *verb,
    size_t len)
{
	for (size_t i = 0; i < p->ncmds; i++) {
		const struct cmd *c = &p->cmds[i];

		if ((c->phase & phase) != 0 && strlen(c->verb) == len &&
		    strncasecmp(c->verb, verb, len) == 0) {
			return c;
		}
	}
	return NULL;
}

int
tk_starttls_srv_line(struct tk_starttls_srv *ss, const char *line,
    char *out, size_t outsz, size_t *outlen, struct tk_err *err)
{
	const struct proto *p = ss->p;
	unsigned phase = ss->state == S_TLS ? TLS : PRE;
	const char *verb = line, *tpl, *sp;
	const struct cmd *c = NULL;
	size_t taglen = 0, verblen;
	bool has_args;
	int next = TK_STARTTLS_SRV_MORE;

	*outlen = 0;
	if (ss->state == S_CLOSED || ss->state == S_UPGRADING ||
	    (ss->state == S_TLS && !p->in_tls)) {
		return tk_err_set(err, TK_INTERNAL, "starttls",
		    "a line answered in the wrong state");
	}
	if (p->tagged) {
		while (tag_char(line[taglen]) && taglen <= IMAP_TAG_MAX) {
			taglen++;
		}
		if (taglen == 0 || taglen > IMAP_TAG_MAX ||
		    (line[taglen] != ' ' && line[taglen] != '\0')) {
			tpl = p->bad_tag;
			taglen = 0;
			goto reply;
		}
		verb = line[taglen] == ' ' ? line + taglen + 1 :
		    line + taglen;
	}
	sp = strchr(verb, ' ');
	verblen = sp != NULL ? (size_t)(sp - verb) : strlen(verb);
	has_args = sp != NULL;
	if (p->garbage != NULL && !alpha(verb, verblen)) {
		tpl = p->garbage;
		goto reply;
	}
	c = find_cmd(p, phase, verb, verblen);
	if (c != NULL && ((c->args == ARGS_NONE && has_args) ||
	    (c->args == ARGS_REQ && (!has_args || sp[1] == '\0')))) {
		tpl = c->bad;
		if (tpl == NULL) {
			c = NULL;
		}
	} else if (c != NULL) {
		tpl = c->reply;
		next = (int)c->next;
	}
	if (c == NULL) {
		tpl = phase == TLS ? p->other_tls : p->other_pre;
	}
reply:
	if (outsz < TK_STARTTLS_SRV_REPLY_MAX ||
	    !expand(tpl, ss->name, line, taglen, line, out, outsz, outlen)) {
		*outlen = 0;
		return tk_err_set(err, TK_INTERNAL, "starttls",
		    "reply buffer too small");
	}
	if (next == TK_STARTTLS_SRV_STARTTLS) {
		ss->state = S_UPGRADING;
	} else if (next == TK_STARTTLS_SRV_CLOSE) {
		ss->state = S_CLOSED;
	}
	return next;
}
