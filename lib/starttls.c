#include "starttls.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ldap.h"
#include "linebuf.h"
#include "target.h"

#include "banned.h"

/*
 * How a dialogue reads and writes: a socket before TLS, callbacks inside
 * it.  sys says whether errno explains a -1.
 */
struct io {
	tk_starttls_read_fn rd;
	tk_starttls_write_fn wr;
	void *arg;
	bool sys;
};

static ssize_t
fd_write(void *arg, const void *buf, size_t len)
{
	int fd = *(const int *)arg;
	/* a peer that closed must not kill us with SIGPIPE */
	ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

	if (n < 0 && errno == ENOTSOCK) {
		n = write(fd, buf, len);
	}
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR)) {
		return TK_WANT_WRITE;
	}
	return n;
}


/*
 * Protocol tables.  A dialogue is a list of steps run in order; ST_TLS
 * marks the go-ahead, where tk_starttls_step() returns 0 and the steps
 * after it run inside TLS through tk_starttls_after().  Each reading step
 * consumes exactly one reply, so bytes left over at ST_TLS were sent after
 * the go-ahead.
 */
enum step_op {
	ST_END,
	ST_TLS,         /* the go-ahead: TLS starts here */
	ST_SEND,        /* send text, "$E" = EHLO name, "$D" = XMPP domain;
			 * msg names it in messages (NULL: the line) */
	ST_SEND_BIN,    /* send len bytes of text as they are */
	ST_SEND_LDAP,   /* send the LDAP StartTLS extended request */
	ST_EXPECT,      /* read one line; it must start with text */
	ST_CODE,        /* a numeric reply (SMTP, FTP, NNTP); codes in text */
	ST_TAGGED,      /* IMAP: untagged lines, then the reply tagged text */
	ST_POP,         /* POP3: one line, +OK or -ERR */
	ST_DOTLIST,     /* lines up to a lone ".", dot-stuffing undone */
	ST_SIEVE,       /* ManageSieve: quoted lines, then OK, NO or BYE */
	ST_HAVE_CAP,    /* text was announced (at most one per protocol) */
	ST_XML_FEATURES,  /* XMPP: up to the end of <stream:features> */
	ST_XML_PROCEED, /* XMPP: <proceed/> or <failure/> */
	ST_LDAP,        /* one BER LDAPMessage: the extended response */
	ST_BYTE,        /* one byte: text[0] goes on */
};

/* Step flags */
#define F_CAPS 0x01     /* the reply lists capabilities */
#define F_INNER 0x02    /* ST_CODE: not the last line (FTP FEAT) */
#define F_OPTIONAL 0x04 /* ST_CODE: a refusal is not an error */
#define F_CMDCAP 0x08   /* on success, the command sent is a capability */
#define F_NOCASE 0x10   /* ST_EXPECT: case-insensitive */

struct step {
	enum step_op op;
	const char *text;
	size_t len;           /* ST_SEND_BIN: bytes of text */
	unsigned flags;
	/*
	 * Reads: the message when the reply is not the expected one.
	 * Binary sends: the name of what is sent, for the transcript.
	 */
	const char *msg;
};

struct proto {
	const char *name;
	const struct step *steps;
	bool raw;             /* reads bytes, not lines: XML, BER, a byte */
	/*
	 * --check-injection: a harmless command sent in the same packet as
	 * the STARTTLS command; NULL where the protocol has no such command
	 * (XML, BER, binary).
	 */
	const char *probe;
};

/*
 * tlskit's own line protocol: the client sends STARTTLS, the server says
 * READY (CRLF on the wire, LF accepted).
 */
static const struct step line_steps[] = {
	{ST_SEND, "STARTTLS\r\n", 0, 0, NULL},
	{ST_EXPECT, "READY", 0, 0,
	    "the server did not answer READY to STARTTLS"},
	{ST_TLS, NULL, 0, 0, NULL},
	{ST_END, NULL, 0, 0, NULL},
};

/*
 * SMTP, RFC 5321 section 4.1.1.1 and RFC 3207 section 4: EHLO, STARTTLS
 * among the keywords, STARTTLS answered 220 (454: TLS not available).
 * Section 4.2 of RFC 3207: the client discards what it knew and says
 * EHLO again inside TLS; the keywords may differ (AUTH often appears).
 */
static const struct step smtp_steps[] = {
	{ST_CODE, "220", 0, 0, "the server's greeting is not 220"},
	{ST_SEND, "EHLO $E\r\n", 0, 0, NULL},
	{ST_CODE, "250", 0, F_CAPS, "the server refused EHLO"},
	{ST_HAVE_CAP, "STARTTLS", 0, 0,
	    "the server does not advertise STARTTLS"},
	{ST_SEND, "STARTTLS\r\n", 0, 0, NULL},
	{ST_CODE, "220", 0, 0, "the server refused STARTTLS"},
	{ST_TLS, NULL, 0, 0, NULL},
	{ST_SEND, "EHLO $E\r\n", 0, 0, NULL},
	{ST_CODE, "250", 0, F_CAPS, "the server refused EHLO inside TLS"},
	{ST_END, NULL, 0, 0, NULL},
};

/* LMTP, RFC 2033 section 4.1: SMTP with LHLO instead of EHLO. */
static const struct step lmtp_steps[] = {
	{ST_CODE, "220", 0, 0, "the server's greeting is not 220"},
	{ST_SEND, "LHLO $E\r\n", 0, 0, NULL},
	{ST_CODE, "250", 0, F_CAPS, "the server refused LHLO"},
	{ST_HAVE_CAP, "STARTTLS", 0, 0,
	    "the server does not advertise STARTTLS"},
	{ST_SEND, "STARTTLS\r\n", 0, 0, NULL},
	{ST_CODE, "220", 0, 0, "the server refused STARTTLS"},
	{ST_TLS, NULL, 0, 0, NULL},
	{ST_SEND, "LHLO $E\r\n", 0, 0, NULL},
	{ST_CODE, "250", 0, F_CAPS, "the server refused LHLO inside TLS"},
	{ST_END, NULL, 0, 0, NULL},
};

/*
 * IMAP, RFC 9051 sections 6.1.1 and 6.2.1 (RFC 3501 the same): STARTTLS
 * only in the not-authenticated state, so the greeting must be "* OK"
 * (PREAUTH and BYE are refusals); a tagged OK is the go-ahead.
 */
static const struct step imap_steps[] = {
	{ST_EXPECT, "* OK", 0, F_NOCASE, "the server's greeting is not * OK"},
	{ST_SEND, "a1 CAPABILITY\r\n", 0, 0, NULL},
	{ST_TAGGED, "a1", 0, F_CAPS, "the server refused CAPABILITY"},
	{ST_HAVE_CAP, "STARTTLS", 0, 0,
	    "the server does not advertise STARTTLS"},
	{ST_SEND, "a2 STARTTLS\r\n", 0, 0, NULL},
	{ST_TAGGED, "a2", 0, 0, "the server refused STARTTLS"},
	{ST_TLS, NULL, 0, 0, NULL},
	/* section 6.2.1: capabilities learnt before TLS are void */
	{ST_SEND, "a3 CAPABILITY\r\n", 0, 0, NULL},
	{ST_TAGGED, "a3", 0, F_CAPS,
	    "the server refused CAPABILITY inside TLS"},
	{ST_END, NULL, 0, 0, NULL},
};

/* POP3, RFC 2449 section 5 (CAPA) and RFC 2595 section 4 (STLS). */
static const struct step pop3_steps[] = {
	{ST_POP, NULL, 0, 0, "the server's greeting is not +OK"},
	{ST_SEND, "CAPA\r\n", 0, 0, NULL},
	{ST_POP, NULL, 0, 0,
	    "the server refused CAPA, so it does not advertise STLS"},
	{ST_DOTLIST, NULL, 0, F_CAPS, NULL},
	{ST_HAVE_CAP, "STLS", 0, 0, "the server does not advertise STLS"},
	{ST_SEND, "STLS\r\n", 0, 0, NULL},
	{ST_POP, NULL, 0, 0, "the server refused STLS"},
	{ST_TLS, NULL, 0, 0, NULL},
	/* RFC 2595 section 4: the client must discard what CAPA said */
	{ST_SEND, "CAPA\r\n", 0, 0, NULL},
	{ST_POP, NULL, 0, 0, "the server refused CAPA inside TLS"},
	{ST_DOTLIST, NULL, 0, F_CAPS, NULL},
	{ST_END, NULL, 0, 0, NULL},
};

/*
 * ManageSieve, RFC 5804 sections 1.7 and 2.2: the server greets with its
 * capabilities and OK; after TLS it MUST announce them again, unasked.
 */
static const struct step sieve_steps[] = {
	{ST_SIEVE, NULL, 0, F_CAPS, "the server's greeting does not end in OK"},
	{ST_HAVE_CAP, "STARTTLS", 0, 0,
	    "the server does not advertise STARTTLS"},
	{ST_SEND, "STARTTLS\r\n", 0, 0, NULL},
	{ST_SIEVE, NULL, 0, 0, "the server refused STARTTLS"},
	{ST_TLS, NULL, 0, 0, NULL},
	{ST_SIEVE, NULL, 0, F_CAPS,
	    "the server's capabilities inside TLS do not end in OK"},
	{ST_END, NULL, 0, 0, NULL},
};

/*
 * NNTP, RFC 3977 sections 5.1 (200/201 greeting) and 5.2 (CAPABILITIES,
 * 101 and a dot-ended list), RFC 4642 section 2.2 (STARTTLS, 382; 580
 * when TLS cannot start).
 */
static const struct step nntp_steps[] = {
	{ST_CODE, "200 201", 0, 0, "the server's greeting is not 200 or 201"},
	{ST_SEND, "CAPABILITIES\r\n", 0, 0, NULL},
	{ST_CODE, "101", 0, 0,
	    "the server refused CAPABILITIES, so it does not advertise "
	    "STARTTLS"},
	{ST_DOTLIST, NULL, 0, F_CAPS, NULL},
	{ST_HAVE_CAP, "STARTTLS", 0, 0,
	    "the server does not advertise STARTTLS"},
	{ST_SEND, "STARTTLS\r\n", 0, 0, NULL},
	{ST_CODE, "382", 0, 0, "the server refused STARTTLS"},
	{ST_TLS, NULL, 0, 0, NULL},
	/* RFC 4642 section 2.2.2: the capabilities may change */
	{ST_SEND, "CAPABILITIES\r\n", 0, 0, NULL},
	{ST_CODE, "101", 0, 0,
	    "the server refused CAPABILITIES inside TLS"},
	{ST_DOTLIST, NULL, 0, F_CAPS, NULL},
	{ST_END, NULL, 0, 0, NULL},
};

/*
 * FTP, RFC 4217 sections 4 (AUTH TLS, 234) and 9 (PBSZ 0 and PROT P, 200,
 * sent inside TLS so that data connections are protected too).  FEAT (RFC
 * 2389) only lists the features: many servers do not list AUTH there, and
 * some do not know FEAT at all, so it decides nothing.
 */
static const struct step ftp_steps[] = {
	{ST_CODE, "220", 0, 0, "the server's greeting is not 220"},
	{ST_SEND, "FEAT\r\n", 0, 0, NULL},
	{ST_CODE, "211", 0, F_CAPS | F_INNER | F_OPTIONAL, NULL},
	{ST_SEND, "AUTH TLS\r\n", 0, 0, NULL},
	{ST_CODE, "234", 0, 0, "the server refused AUTH TLS"},
	{ST_TLS, NULL, 0, 0, NULL},
	{ST_SEND, "PBSZ 0\r\n", 0, 0, NULL},
	{ST_CODE, "200", 0, F_CMDCAP, "the server refused PBSZ 0"},
	{ST_SEND, "PROT P\r\n", 0, 0, NULL},
	{ST_CODE, "200", 0, F_CMDCAP,
	    "the server refused PROT P: data connections would be in "
	    "plaintext"},
	{ST_END, NULL, 0, 0, NULL},
};

/*
 * XMPP, RFC 6120 section 5.4: stream header, <starttls/> among the stream
 * features, <proceed/> (or <failure/>); inside TLS the client restarts the
 * stream (section 5.4.3.3) and reads the new features.
 */
#define XMPP_NS_TLS "urn:ietf:params:xml:ns:xmpp-tls"
#define XMPP_NS_STREAM "http://etherx.jabber.org/streams"
#define XMPP_STREAM(ns)                                                      \
	"<?xml version='1.0'?><stream:stream xmlns='" ns "' "                \
	"xmlns:stream='" XMPP_NS_STREAM "' to='$D' version='1.0'>"

static const struct step xmpp_steps[] = {
	{ST_SEND, XMPP_STREAM("jabber:client"), 0, 0, "stream header"},
	{ST_XML_FEATURES, NULL, 0, F_CAPS, NULL},
	{ST_HAVE_CAP, "starttls", 0, 0,
	    "the server does not offer <starttls/> in its stream features"},
	{ST_SEND, "<starttls xmlns='" XMPP_NS_TLS "'/>", 0, 0,
	    "<starttls/>"},
	{ST_XML_PROCEED, NULL, 0, 0, "the server refused STARTTLS"},
	{ST_TLS, NULL, 0, 0, NULL},
	{ST_SEND, XMPP_STREAM("jabber:client"), 0, 0, "stream header"},
	{ST_XML_FEATURES, NULL, 0, F_CAPS, NULL},
	{ST_END, NULL, 0, 0, NULL},
};

/* The same between servers (RFC 6120 section 4.7.5: jabber:server). */
static const struct step xmpp_server_steps[] = {
	{ST_SEND, XMPP_STREAM("jabber:server"), 0, 0, "stream header"},
	{ST_XML_FEATURES, NULL, 0, F_CAPS, NULL},
	{ST_HAVE_CAP, "starttls", 0, 0,
	    "the server does not offer <starttls/> in its stream features"},
	{ST_SEND, "<starttls xmlns='" XMPP_NS_TLS "'/>", 0, 0,
	    "<starttls/>"},
	{ST_XML_PROCEED, NULL, 0, 0, "the server refused STARTTLS"},
	{ST_TLS, NULL, 0, 0, NULL},
	{ST_SEND, XMPP_STREAM("jabber:server"), 0, 0, "stream header"},
	{ST_XML_FEATURES, NULL, 0, F_CAPS, NULL},
	{ST_END, NULL, 0, 0, NULL},
};

/* LDAP, RFC 4511 section 4.14: the StartTLS extended operation. */
static const struct step ldap_steps[] = {
	{ST_SEND_LDAP, NULL, 0, 0, NULL},
	{ST_LDAP, NULL, 0, 0, "the server refused StartTLS"},
	{ST_TLS, NULL, 0, 0, NULL},
	{ST_END, NULL, 0, 0, NULL},
};

/*
 * PostgreSQL, "Message Formats" in its protocol documentation: SSLRequest
 * is Int32 length 8 and Int32 80877103 (1234 << 16 | 5679); the server
 * answers one byte, 'S' to go on or 'N' to refuse.
 */
static const struct step postgres_steps[] = {
	{ST_SEND_BIN, "\x00\x00\x00\x08\x04\xd2\x16\x2f", 8, 0, "SSLRequest"},
	{ST_BYTE, "S", 0, 0, "the server refused SSL"},
	{ST_TLS, NULL, 0, 0, NULL},
	{ST_END, NULL, 0, 0, NULL},
};

/*
 * The one list of the protocols: name, steps, raw, probe.  protos[],
 * the choices lib/opts.c offers the clients and the names in messages all
 * come from it.  The well-known ports are the URL schemes' of the same
 * name (lib/target.c).
 */
#define PROTOS(X)                                                            \
	X("ftp", ftp_steps, false, "NOOP\r\n")                               \
	X("imap", imap_steps, false, "a9 NOOP\r\n")                          \
	X("ldap", ldap_steps, true, NULL)                                    \
	X("line", line_steps, false, "PING\r\n")                             \
	X("lmtp", lmtp_steps, false, "NOOP\r\n")                             \
	X("nntp", nntp_steps, false, "DATE\r\n")                             \
	X("pop3", pop3_steps, false, "NOOP\r\n")                             \
	X("postgres", postgres_steps, true, NULL)                            \
	X("sieve", sieve_steps, false, "NOOP\r\n")                           \
	X("smtp", smtp_steps, false, "NOOP\r\n")                             \
	X("xmpp", xmpp_steps, true, NULL)                                    \
	X("xmpp-server", xmpp_server_steps, true, NULL)

#define PROTO_ENTRY(name, steps, raw, probe) {name, steps, raw, probe},
#define PROTO_NAME(name, steps, raw, probe) name,
#define PROTO_WORD(name, steps, raw, probe) " " name

static const struct proto protos[] = {PROTOS(PROTO_ENTRY)};

const char *const tk_starttls_protocols[] = {PROTOS(PROTO_NAME) NULL};

#define TRANSCRIPT_MAX 1024
#define CAPS_POOL 8192
#define OUT_MAX 512
#define ARG_MAX_LEN 255
#define FIRST_MAX 80
#define SAMPLE_MAX 64

struct caps {
	const char *v[TK_STARTTLS_CAPS_MAX + 1];  /* into pool; NULL-ended */
	size_t n;
	size_t used;          /* bytes of pool in use */
	bool want_seen;       /* the one ST_HAVE_CAP asks for, kept or not */
	char pool[CAPS_POOL];
};

struct tk_starttls {
	const struct proto *p;
	size_t step;
	size_t answer_step;   /* the read that answers the STARTTLS command */
	bool probe;           /* --check-injection: pipeline p->probe */
	int advertised;       /* -1 not known, 0 no, 1 yes */
	char answer[TK_STARTTLS_CAP_LEN + 1];
	uint64_t t0_us;       /* the first step, for the transcript */
	struct tk_starttls_line *log;
	size_t nlog, logcap, log_dropped;
	const char *want;     /* the capability ST_HAVE_CAP needs, or NULL */
	bool ready;           /* the go-ahead came */
	bool after;           /* running the steps inside TLS */
	int fd;               /* for the EHLO address literal; -1 */
	char ehlo[ARG_MAX_LEN + 1];    /* "" until first needed */
	char domain[ARG_MAX_LEN + 1];
	/* the send in progress */
	unsigned char out[OUT_MAX];
	size_t outlen, sent;
	char cmd[64];         /* the last command, for messages */
	/* the reply in progress */
	size_t r_lines;
	size_t r_caps0;       /* capabilities before it */
	char r_code[4];
	char r_first[FIRST_MAX + 1];
	/* input */
	struct tk_linebuf lb;
	unsigned char *raw;   /* TK_STARTTLS_RAW_MAX bytes, raw protocols */
	size_t rawlen;
	size_t injected;
	char sample[SAMPLE_MAX + 1];
	struct caps caps[2];  /* before TLS, inside TLS */
	struct tk_err err;
	char transcript[TRANSCRIPT_MAX];
	/* the first bytes of the plaintext phase: a TLS record there means
	 * the port speaks TLS directly (direct_tls()) */
	unsigned char first[3];
	size_t nfirst;
};

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static const struct proto *
find_proto(const char *name)
{
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
		if (strcmp(protos[i].name, name) == 0) {
			return &protos[i];
		}
	}
	return NULL;
}

/*
 * How each protocol's server greets before a client says anything, for
 * tk_starttls_guess(): a port where TLS was expected but the server
 * greeted in plaintext.  First match wins: FTP (RFC 959) and LMTP (RFC
 * 2033) greet with 220 like SMTP (RFC 5321 4.2), told apart by their
 * name in the text.
 */
static const struct {
	const char *prefix;
	const char *word;     /* also in the first line (any case), or NULL */
	const char *proto;
} greetings[] = {
	{"220", "FTP", "ftp"},
	{"220", "LMTP", "lmtp"},
	{"220", NULL, "smtp"},
	{"* OK", NULL, "imap"},           /* RFC 9051 7.1.1 */
	{"* PREAUTH", NULL, "imap"},
	{"+OK", NULL, "pop3"},            /* RFC 1939 4 */
	{"200", NULL, "nntp"},            /* RFC 3977 5.1 */
	{"201", NULL, "nntp"},
	{"\"IMPLEMENTATION\"", NULL, "sieve"},  /* RFC 5804 1.7 */
	{"\"SIEVE\"", NULL, "sieve"},
	{"<?xml", NULL, "xmpp"},          /* RFC 6120 4.2 */
	{"<stream", NULL, "xmpp"},
	{"HTTP/", NULL, "http"},
	{"SSH-", NULL, "ssh"},            /* RFC 4253 4.2 */
};

/* Whether needle occurs in the first len bytes of hay, in any case. */
static bool
has_word(const unsigned char *hay, size_t len, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = 0; i + n <= len; i++) {
		if (strncasecmp((const char *)hay + i, needle, n) == 0) {
			return true;
		}
	}
	return false;
}

const char *
tk_starttls_guess(const unsigned char *buf, size_t len)
{
	size_t line = 0;

	if (len == 0) {
		return NULL;
	}
	/* the first line must be text: no control bytes but tab and CR */
	while (line < len && buf[line] != '\n') {
		unsigned char c = buf[line];

		if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f) {
			return NULL;
		}
		line++;
	}
	for (size_t i = 0; i < sizeof(greetings) / sizeof(greetings[0]);
	     i++) {
		size_t n = strlen(greetings[i].prefix);

		if (line >= n && memcmp(buf, greetings[i].prefix, n) == 0 &&
		    (greetings[i].word == NULL ||
		    has_word(buf, line, greetings[i].word))) {
			return greetings[i].proto;
		}
	}
	return "";
}

bool
tk_starttls_known(const char *proto)
{
	return find_proto(proto) != NULL;
}

const char *
tk_starttls_names(void)
{
	static const char names[] = PROTOS(PROTO_WORD);

	return names + 1;    /* past the first word's space */
}

/*
 * A name goes into a command line or an XML attribute between single
 * quotes: no controls, spaces, quotes, angle brackets, ampersands or
 * backslashes, so it can inject nothing.
 */
static bool
valid_arg(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > ARG_MAX_LEN) {
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= ' ' || c == 0x7f || strchr("'\"<>&\\", c) != NULL) {
			return false;
		}
	}
	return true;
}

struct tk_starttls *
tk_starttls_new_ex(const char *proto, const struct tk_starttls_conf *conf,
    struct tk_err *err)
{
	static const struct tk_starttls_conf none = {0};
	const struct proto *p = find_proto(proto);
	struct tk_starttls *st;
	const char *domain;

	if (p == NULL) {
		tk_err_set(err, TK_USAGE, "options",
		    "unknown STARTTLS protocol '%s' (known: %s)", proto,
		    tk_starttls_names());
		return NULL;
	}
	if (conf == NULL) {
		conf = &none;
	}
	domain = conf->xmpp_domain != NULL ? conf->xmpp_domain : conf->host;
	if (conf->ehlo_name != NULL && !valid_arg(conf->ehlo_name)) {
		tk_err_set(err, TK_USAGE, "options",
		    "invalid EHLO name '%.64s': one word of printable "
		    "characters without quotes or angle brackets",
		    conf->ehlo_name);
		return NULL;
	}
	if (domain != NULL && !valid_arg(domain)) {
		tk_err_set(err, TK_USAGE, "options",
		    "invalid XMPP domain '%.64s': one word of printable "
		    "characters without quotes or angle brackets", domain);
		return NULL;
	}
	if (domain == NULL && strncmp(p->name, "xmpp", 4) == 0) {
		tk_err_set(err, TK_USAGE, "options",
		    "STARTTLS protocol '%s' needs a domain for the stream "
		    "(a host name or --xmpp-domain)", p->name);
		return NULL;
	}
	st = calloc(1, sizeof(*st));
	if (st == NULL) {
		tk_err_sys(err, TK_INTERNAL, "starttls", "out of memory");
		return NULL;
	}
	if (p->raw) {
		st->raw = malloc(TK_STARTTLS_RAW_MAX);
		if (st->raw == NULL) {
			free(st);
			tk_err_sys(err, TK_INTERNAL, "starttls",
			    "out of memory");
			return NULL;
		}
	}
	st->p = p;
	st->fd = -1;
	st->advertised = -1;
	st->t0_us = now_us();
	for (const struct step *s = p->steps; s->op != ST_END; s++) {
		if (s->op == ST_HAVE_CAP) {
			st->want = s->text;
		}
		if (s->op == ST_TLS && st->answer_step == 0) {
			st->answer_step = (size_t)(s - p->steps) - 1;
		}
	}
	if (conf->check_injection) {
		if (p->probe == NULL) {
			free(st->raw);
			free(st);
			tk_err_set(err, TK_USAGE, "options",
			    "--check-injection needs a line protocol, not "
			    "'%s'", p->name);
			return NULL;
		}
		st->probe = true;
	}
	if (conf->ehlo_name != NULL) {
		snprintf(st->ehlo, sizeof(st->ehlo), "%s", conf->ehlo_name);
	}
	if (domain != NULL) {
		snprintf(st->domain, sizeof(st->domain), "%s", domain);
	}
	tk_linebuf_init(&st->lb);
	tk_err_clear(&st->err);
	return st;
}

struct tk_starttls *
tk_starttls_new(const char *proto, struct tk_err *err)
{
	return tk_starttls_new_ex(proto, NULL, err);
}

void
tk_starttls_free(struct tk_starttls *st)
{
	if (st == NULL) {
		return;
	}
	free(st->raw);
	free(st->log);
	free(st);
}

/* Transcript, messages, capabilities */

static const char *
who(const struct tk_starttls *st, bool client)
{
	if (st->after) {
		return client ? "C(tls)" : "S(tls)";
	}
	return client ? "C" : "S";
}

/*
 * One line of the transcript: what was sent or received, when, and
 * whether inside TLS.  Past TK_STARTTLS_LOG_MAX lines only a count is
 * kept; a failed allocation drops the line the same way.
 */
static void
log_line(struct tk_starttls *st, bool client, const char *text, size_t len)
{
	struct tk_starttls_line *l;

	if (st->nlog == st->logcap) {
		size_t cap = st->logcap ? st->logcap * 2 : 16;
		struct tk_starttls_line *g;

		if (st->logcap >= TK_STARTTLS_LOG_MAX ||
		    (g = realloc(st->log, cap * sizeof(*g))) == NULL) {
			st->log_dropped++;
			return;
		}
		st->log = g;
		st->logcap = cap;
	}
	l = &st->log[st->nlog++];
	l->t_us = now_us() - st->t0_us;
	l->client = client;
	l->tls = st->after;
	len = strnlen(text, len);
	if (len > TK_STARTTLS_CAP_LEN) {
		len = TK_STARTTLS_CAP_LEN;
	}
	memcpy(l->text, text, len);
	l->text[len] = '\0';
}

/*
 * Appends "who: text" (text cut at CR or LF and at 200 bytes) to the
 * summary.  Lines of line protocols go into the transcript as they are
 * read (line_reply); here what we send and the raw protocols' units.
 */
static void
note(struct tk_starttls *st, const char *w, const char *text)
{
	size_t len = strlen(st->transcript);
	size_t tl = strcspn(text, "\r\n");
	bool client = w[0] == 'C';

	if (client || st->p->raw) {
		log_line(st, client, text, tl);
	}
	if (!client && st->p->raw && st->step == st->answer_step) {
		snprintf(st->answer, sizeof(st->answer), "%.*s",
		    (int)(tl > TK_STARTTLS_CAP_LEN ? TK_STARTTLS_CAP_LEN : tl),
		    text);
	}

	if (len + 8 >= sizeof(st->transcript)) {
		return;
	}
	snprintf(st->transcript + len, sizeof(st->transcript) - len,
	    "%s%s: %.*s", len ? " | " : "", w,
	    (int)(tl > 200 ? 200 : tl), text);
}

/* As note(), for bytes that may hold newlines (XML): whitespace runs
 * become one space. */
static void
note_bytes(struct tk_starttls *st, const char *w, const void *data,
    size_t len)
{
	const unsigned char *p = data;
	char buf[201];
	size_t o = 0;

	for (size_t i = 0; i < len && o < sizeof(buf) - 1; i++) {
		if (isspace(p[i])) {
			if (o > 0 && buf[o - 1] != ' ') {
				buf[o++] = ' ';
			}
		} else if (p[i] == '\0') {
			buf[o++] = '.';
		} else {
			buf[o++] = (char)p[i];
		}
	}
	buf[o] = '\0';
	note(st, w, buf);
}

/* The reply that just ended: its only line, or first ... last (N lines). */
static void
note_reply(struct tk_starttls *st, const char *last)
{
	char buf[256];

	if (st->r_lines <= 1) {
		note(st, who(st, false), last);
		return;
	}
	snprintf(buf, sizeof(buf), "%s ... %.*s (%zu lines)", st->r_first,
	    (int)strcspn(last, "\r\n") > FIRST_MAX ? FIRST_MAX :
	    (int)strcspn(last, "\r\n"), last, st->r_lines);
	note(st, who(st, false), buf);
}

/* Copies up to max bytes of a peer's text for a message: '?' for bytes
 * other than printable ASCII, so an error line stays one clean line. */
static void
clean(char *dst, size_t dstlen, const void *src, size_t len, size_t max)
{
	const unsigned char *s = src;
	size_t o = 0;

	for (size_t i = 0; i < len && i < max && o + 1 < dstlen; i++) {
		dst[o++] = s[i] >= 0x20 && s[i] < 0x7f ? (char)s[i] : '?';
	}
	if (dstlen > 0) {
		dst[o] = '\0';
	}
}

/* A refusal: NET before TLS, CHECK inside it (the connection worked). */
static int
refuse(struct tk_starttls *st, const char *msg, const char *line)
{
	char said[96];

	clean(said, sizeof(said), line, strlen(line), 80);
	return tk_err_set(&st->err, st->after ? TK_CHECK : TK_NET,
	    "starttls", "%s (it said '%s')", msg, said);
}

static struct caps *
caps_now(struct tk_starttls *st)
{
	return &st->caps[st->after ? 1 : 0];
}

static bool
cap_is(const char *v, size_t vlen, const char *name)
{
	size_t len = strlen(name);

	return vlen >= len && strncasecmp(v, name, len) == 0 &&
	    (vlen == len || v[len] == ' ' || v[len] == '=');
}

/*
 * Records one capability (trimmed, truncated).  Past the caps it is
 * dropped from the list, but a server cannot hide STARTTLS from the check
 * by announcing it after a hundred other keywords.
 */
static void
cap_add(struct tk_starttls *st, const char *s, size_t len)
{
	struct caps *c = caps_now(st);

	len = strnlen(s, len);   /* a NUL from the peer ends it */
	while (len > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' ||
	    s[len - 1] == '\r')) {
		len--;
	}
	if (st->want != NULL && cap_is(s, len, st->want)) {
		c->want_seen = true;
	}
	if (len == 0 || c->n >= TK_STARTTLS_CAPS_MAX) {
		return;
	}
	if (len > TK_STARTTLS_CAP_LEN) {
		len = TK_STARTTLS_CAP_LEN;
	}
	if (c->used + len + 1 > sizeof(c->pool)) {
		return;
	}
	memcpy(c->pool + c->used, s, len);
	c->pool[c->used + len] = '\0';
	c->v[c->n++] = c->pool + c->used;
	c->v[c->n] = NULL;
	c->used += len + 1;
}

/* Forgets the capabilities recorded after the first n. */
static void
caps_truncate(struct tk_starttls *st, size_t n)
{
	struct caps *c = caps_now(st);

	if (n >= c->n) {
		return;
	}
	c->used = (size_t)(c->v[n] - c->pool);
	c->n = n;
	c->v[n] = NULL;
}

static int
have_cap(struct tk_starttls *st, const struct step *s)
{
	const struct caps *c = caps_now(st);
	char list[200];
	size_t o = 0;

	st->advertised = c->want_seen ? 1 : 0;
	if (c->want_seen) {
		return 0;
	}
	list[0] = '\0';
	for (size_t i = 0; i < c->n && o + 8 < sizeof(list); i++) {
		char one[64];
		int n;

		clean(one, sizeof(one), c->v[i], strlen(c->v[i]), 40);
		n = snprintf(list + o, sizeof(list) - o, "%s%s", i ? ", " : "",
		    one);
		if (n < 0 || (size_t)n >= sizeof(list) - o) {
			snprintf(list + o, sizeof(list) - o, ", ...");
			break;
		}
		o += (size_t)n;
	}
	if (c->n == 0) {
		return tk_err_set(&st->err, TK_NET, "starttls",
		    "%s (it announced no capabilities)", s->msg);
	}
	return tk_err_set(&st->err, TK_NET, "starttls", "%s (it offers: %s)",
	    s->msg, list);
}

/* Sending */

/* RFC 5321 section 4.1.4: without a name, an address literal (4.1.3). */
static void
ehlo_default(struct tk_starttls *st)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char a[INET6_ADDRSTRLEN];

	snprintf(st->ehlo, sizeof(st->ehlo), "localhost");
	if (st->fd < 0 ||
	    getsockname(st->fd, (struct sockaddr *)&ss, &sl) < 0) {
		return;
	}
	if (ss.ss_family == AF_INET && inet_ntop(AF_INET,
	    &((struct sockaddr_in *)&ss)->sin_addr, a, sizeof(a)) != NULL) {
		snprintf(st->ehlo, sizeof(st->ehlo), "[%s]", a);
	} else if (ss.ss_family == AF_INET6 && inet_ntop(AF_INET6,
	    &((struct sockaddr_in6 *)&ss)->sin6_addr, a, sizeof(a)) != NULL) {
		snprintf(st->ehlo, sizeof(st->ehlo), "[IPv6:%s]", a);
	}
}

/* Expands "$E" and "$D" in text into st->out. */
static int
expand(struct tk_starttls *st, const char *text)
{
	size_t o = 0;

	for (const char *p = text; *p != '\0'; p++) {
		const char *ins = NULL;
		size_t len;

		if (p[0] == '$' && p[1] == 'E') {
			if (st->ehlo[0] == '\0') {
				ehlo_default(st);
			}
			ins = st->ehlo;
		} else if (p[0] == '$' && p[1] == 'D') {
			ins = st->domain;
		}
		if (ins != NULL) {
			p++;
		} else {
			ins = p;
		}
		len = ins == p ? 1 : strlen(ins);
		if (o + len > sizeof(st->out)) {
			return tk_err_set(&st->err, TK_INTERNAL, "starttls",
			    "a command longer than %zu bytes",
			    sizeof(st->out));
		}
		memcpy(st->out + o, ins, len);
		o += len;
	}
	st->outlen = o;
	return 0;
}

static int
build_send(struct tk_starttls *st, const struct step *s)
{
	const char *label = NULL;
	size_t l;

	switch (s->op) {
	case ST_SEND:
		if (expand(st, s->text) < 0) {
			return -1;
		}
		/* the transcript shows the line, messages its name */
		l = 0;
		while (l < st->outlen && st->out[l] != '\r' &&
		    st->out[l] != '\n') {
			l++;
		}
		note_bytes(st, who(st, true), st->out, l);
		snprintf(st->cmd, sizeof(st->cmd), "%.*s", (int)l,
		    s->msg != NULL ? s->msg : (const char *)st->out);
		if (st->probe && !st->after && st->step + 1 == st->answer_step) {
			/* the same write, so the same TCP segment */
			size_t pl = strlen(st->p->probe);

			if (st->outlen + pl > sizeof(st->out)) {
				return tk_err_set(&st->err, TK_INTERNAL,
				    "starttls", "a command longer than %zu "
				    "bytes", sizeof(st->out));
			}
			memcpy(st->out + st->outlen, st->p->probe, pl);
			st->outlen += pl;
			log_line(st, true, st->p->probe,
			    strcspn(st->p->probe, "\r\n"));
		}
		return 0;
	case ST_SEND_BIN:
		if (s->len > sizeof(st->out)) {
			return tk_err_set(&st->err, TK_INTERNAL, "starttls",
			    "a message longer than %zu bytes",
			    sizeof(st->out));
		}
		memcpy(st->out, s->text, s->len);
		st->outlen = s->len;
		label = s->msg;
		break;
	case ST_SEND_LDAP:
		st->outlen = sizeof(st->out);
		if (tk_ldap_request(1, st->out, &st->outlen,
		    &st->err) < 0) {
			return -1;
		}
		label = "ExtendedRequest " TK_LDAP_STARTTLS_OID;
		break;
	case ST_END:
	case ST_TLS:
	case ST_EXPECT:
	case ST_CODE:
	case ST_TAGGED:
	case ST_POP:
	case ST_DOTLIST:
	case ST_SIEVE:
	case ST_HAVE_CAP:
	case ST_XML_FEATURES:
	case ST_XML_PROCEED:
	case ST_LDAP:
	case ST_BYTE:
		return tk_err_set(&st->err, TK_INTERNAL, "starttls",
		    "step %zu of '%s' is not a send", st->step, st->p->name);
	}
	snprintf(st->cmd, sizeof(st->cmd), "%s", label);
	note(st, who(st, true), label);
	return 0;
}

/* 1 when the whole send went out, TK_WANT_*, or -1. */
static int
do_send(struct tk_starttls *st, const struct step *s, const struct io *io)
{
	ssize_t n;

	if (st->outlen == 0) {
		if (build_send(st, s) < 0) {
			return -1;
		}
		st->sent = 0;
	}
	while (st->sent < st->outlen) {
		n = io->wr(io->arg, st->out + st->sent, st->outlen - st->sent);
		if (n == TK_WANT_READ || n == TK_WANT_WRITE) {
			return (int)n;
		}
		if (n < 0) {
			if (io->sys) {
				return tk_err_sys(&st->err, TK_NET,
				    "starttls", "cannot send '%s'", st->cmd);
			}
			return tk_err_set(&st->err, TK_NET, "starttls",
			    "cannot send '%s'", st->cmd);
		}
		if (n == 0 || (size_t)n > st->outlen - st->sent) {
			return tk_err_set(&st->err, TK_INTERNAL, "starttls",
			    "a writer returned %zd for %zu bytes", n,
			    st->outlen - st->sent);
		}
		st->sent += (size_t)n;
	}
	st->outlen = 0;
	st->sent = 0;
	return 1;
}

/* Line replies: each returns 1 when the reply is complete and accepted,
 * 0 for more lines, -1 with st->err. */

static bool
word_is(const char *p, const char *w)
{
	size_t len = strlen(w);

	return strncasecmp(p, w, len) == 0 &&
	    (p[len] == '\0' || p[len] == ' ' || p[len] == '(' ||
	    p[len] == '[');
}

static void
reply_first(struct tk_starttls *st, const char *line)
{
	if (st->r_lines == 0) {
		snprintf(st->r_first, sizeof(st->r_first), "%.*s", FIRST_MAX,
		    line);
	}
	st->r_lines++;
}

static int
on_expect(struct tk_starttls *st, const struct step *s, const char *line)
{
	size_t len = strlen(s->text);
	int d;

	note(st, who(st, false), line);
	if (s->flags & F_NOCASE) {
		d = strncasecmp(line, s->text, len);
	} else {
		d = strncmp(line, s->text, len);
	}
	if (d != 0) {
		return refuse(st, s->msg, line);
	}
	return 1;
}

static bool
code_in(const char code[4], const char *list)
{
	for (const char *p = list; *p != '\0'; p += strspn(p, " ")) {
		if (strncmp(p, code, 3) == 0) {
			return true;
		}
		p += strcspn(p, " ");
	}
	return false;
}

/*
 * A numeric reply (RFC 5321 section 4.2.1, RFC 959 section 4.2): "ddd-"
 * opens a multi-line reply that ends with a line "ddd " or "ddd".  Lines
 * in between may lack the code (FTP); SMTP repeats it with '-'.
 */
static int
on_code(struct tk_starttls *st, const struct step *s, const char *line)
{
	const char *text;

	if (st->r_lines == 0) {
		if (!isdigit((unsigned char)line[0]) ||
		    !isdigit((unsigned char)line[1]) ||
		    !isdigit((unsigned char)line[2]) ||
		    (line[3] != '\0' && line[3] != ' ' && line[3] != '-')) {
			note(st, who(st, false), line);
			if (s->msg == NULL) {
				return tk_err_set(&st->err, TK_NET,
				    "starttls", "the server sent a malformed "
				    "reply to '%s'", st->cmd);
			}
			return refuse(st, s->msg, line);
		}
		memcpy(st->r_code, line, 3);
		st->r_code[3] = '\0';
		st->r_caps0 = caps_now(st)->n;
		reply_first(st, line);
		if (line[3] == '-') {
			return 0;
		}
	} else if (strncmp(line, st->r_code, 3) == 0 &&
	    (line[3] == '\0' || line[3] == ' ')) {
		st->r_lines++;
		if ((s->flags & F_CAPS) && !(s->flags & F_INNER)) {
			cap_add(st, line + 3, strlen(line + 3));
		}
	} else {
		st->r_lines++;
		text = line;
		if (strncmp(line, st->r_code, 3) == 0 && line[3] == '-') {
			text = line + 4;
		}
		if (s->flags & F_CAPS) {
			cap_add(st, text, strlen(text));
		}
		return 0;
	}
	note_reply(st, line);
	if (code_in(st->r_code, s->text)) {
		if (s->flags & F_CMDCAP) {
			cap_add(st, st->cmd, strlen(st->cmd));
		}
		return 1;
	}
	caps_truncate(st, st->r_caps0);
	if (s->flags & F_OPTIONAL) {
		return 1;
	}
	return refuse(st, s->msg, line);
}

/* IMAP, RFC 9051 section 7: untagged "* ..." data, then "tag OK". */
static int
on_tagged(struct tk_starttls *st, const struct step *s, const char *line)
{
	size_t tl = strlen(s->text);
	const char *p;

	if (line[0] == '*' && line[1] == ' ') {
		reply_first(st, line);
		p = line + 2;
		if (word_is(p, "BYE")) {
			note_reply(st, line);
			return refuse(st, "the server ended the session", line);
		}
		if ((s->flags & F_CAPS) && word_is(p, "CAPABILITY")) {
			p += strlen("CAPABILITY");
			for (;;) {
				size_t len;

				p += strspn(p, " ");
				len = strcspn(p, " ");
				if (len == 0) {
					break;
				}
				cap_add(st, p, len);
				p += len;
			}
		}
		return 0;
	}
	reply_first(st, line);
	note_reply(st, line);
	if (strncmp(line, s->text, tl) != 0 || line[tl] != ' ') {
		return refuse(st, s->msg, line);
	}
	if (!word_is(line + tl + 1, "OK")) {
		return refuse(st, s->msg, line);
	}
	return 1;
}

/* POP3, RFC 1939 section 3: "+OK" or "-ERR", one line. */
static int
on_pop(struct tk_starttls *st, const struct step *s, const char *line)
{
	note(st, who(st, false), line);
	if (strncmp(line, "+OK", 3) != 0 ||
	    (line[3] != '\0' && line[3] != ' ')) {
		return refuse(st, s->msg, line);
	}
	return 1;
}

/* RFC 1939 section 3 and RFC 3977 section 3.1.1: a multi-line block ends
 * with a lone ".", and a line starting with "." has one more in front. */
static int
on_dotlist(struct tk_starttls *st, const struct step *s, const char *line)
{
	if (strcmp(line, ".") == 0) {
		reply_first(st, line);
		note_reply(st, line);
		return 1;
	}
	reply_first(st, line);
	if (line[0] == '.') {
		line++;
	}
	if (s->flags & F_CAPS) {
		cap_add(st, line, strlen(line));
	}
	return 0;
}

/* Appends the quoted string at *pp to buf ("" when not a string). */
static void
sieve_string(const char **pp, char *buf, size_t buflen, size_t *o)
{
	const char *p = *pp;

	if (*p != '"') {
		return;
	}
	for (p++; *p != '\0' && *p != '"'; p++) {
		if (*p == '\\' && p[1] != '\0') {
			p++;
		}
		if (*o + 1 < buflen) {
			buf[(*o)++] = *p;
		}
	}
	if (*p == '"') {
		p++;
	}
	buf[*o] = '\0';
	*pp = p;
}

/*
 * ManageSieve, RFC 5804 section 1.7: capability lines are one or two
 * quoted strings ("SIEVE" "fileinto vacation"), recorded as "SIEVE
 * fileinto vacation"; the response is OK, NO or BYE (section 1.3).
 */
static int
on_sieve(struct tk_starttls *st, const struct step *s, const char *line)
{
	if (line[0] == '"') {
		char cap[TK_STARTTLS_CAP_LEN + 1];
		const char *p = line;
		size_t o = 0;

		reply_first(st, line);
		if (s->flags & F_CAPS) {
			cap[0] = '\0';
			sieve_string(&p, cap, sizeof(cap), &o);
			p += strspn(p, " ");
			if (*p == '"') {
				if (o + 1 < sizeof(cap)) {
					cap[o++] = ' ';
				}
				sieve_string(&p, cap, sizeof(cap), &o);
			}
			cap_add(st, cap, o);
		}
		return 0;
	}
	reply_first(st, line);
	note_reply(st, line);
	if (word_is(line, "OK")) {
		return 1;
	}
	return refuse(st, s->msg, line);
}

/* Reads the buffered lines into the step; 0 when more input is needed. */
static int
line_reply(struct tk_starttls *st, const struct step *s)
{
	char line[TK_LINE_MAX + 1];
	int r;

	for (;;) {
		r = tk_linebuf_next(&st->lb, line, sizeof(line), "starttls",
		    &st->err);
		if (r <= 0) {
			return r;
		}
		log_line(st, false, line, strlen(line));
		if (st->step == st->answer_step && !st->after) {
			snprintf(st->answer, sizeof(st->answer), "%.*s",
			    TK_STARTTLS_CAP_LEN, line);
		}
		switch (s->op) {
		case ST_EXPECT:
			r = on_expect(st, s, line);
			break;
		case ST_CODE:
			r = on_code(st, s, line);
			break;
		case ST_TAGGED:
			r = on_tagged(st, s, line);
			break;
		case ST_POP:
			r = on_pop(st, s, line);
			break;
		case ST_DOTLIST:
			r = on_dotlist(st, s, line);
			break;
		case ST_SIEVE:
			r = on_sieve(st, s, line);
			break;
		case ST_END:
		case ST_TLS:
		case ST_SEND:
		case ST_SEND_BIN:
		case ST_SEND_LDAP:
		case ST_HAVE_CAP:
		case ST_XML_FEATURES:
		case ST_XML_PROCEED:
		case ST_LDAP:
		case ST_BYTE:
			return tk_err_set(&st->err, TK_INTERNAL, "starttls",
			    "step %zu of '%s' reads no lines", st->step,
			    st->p->name);
		}
		if (r != 0) {
			return r;
		}
	}
}

/* XMPP: just enough XML to find elements in a bounded buffer */

static const unsigned char *
find(const unsigned char *p, const unsigned char *end, const char *tok)
{
	if (p >= end) {
		return NULL;
	}
	return memmem(p, (size_t)(end - p), tok, strlen(tok));
}

/* The '>' closing the tag that starts at p, past quoted values; NULL
 * when it has not arrived. */
static const unsigned char *
tag_end(const unsigned char *p, const unsigned char *end)
{
	unsigned char q = 0;

	for (p++; p < end; p++) {
		if (q != 0) {
			if (*p == q) {
				q = 0;
			}
		} else if (*p == '"' || *p == '\'') {
			q = *p;
		} else if (*p == '>') {
			return p;
		}
	}
	return NULL;
}

/* The earliest of the tokens in [p, end): index into toks, or -1. */
static int
first_of(const unsigned char *p, const unsigned char *end,
    const char *const *toks, size_t ntoks, const unsigned char **at)
{
	int best = -1;

	*at = NULL;
	for (size_t i = 0; i < ntoks; i++) {
		const unsigned char *f = find(p, end, toks[i]);

		if (f != NULL && (*at == NULL || f < *at)) {
			*at = f;
			best = (int)i;
		}
	}
	return best;
}

/* The element's local name at p (after '<'), prefix dropped. */
static size_t
xml_name(const unsigned char *p, const unsigned char *end,
    const unsigned char **name)
{
	size_t len = 0;

	while (p + len < end && !isspace(p[len]) && p[len] != '/' &&
	    p[len] != '>') {
		if (p[len] == ':') {
			p += len + 1;
			len = 0;
			continue;
		}
		len++;
	}
	*name = p;
	return len;
}

static void
buf_add(char *buf, size_t buflen, size_t *o, const void *s, size_t len)
{
	if (*o > 0 && *o + 1 < buflen) {
		buf[(*o)++] = ' ';
	}
	if (len > buflen - 1 - *o) {
		len = buflen - 1 - *o;
	}
	memcpy(buf + *o, s, len);
	*o += len;
	buf[*o] = '\0';
}

/*
 * Records each child of <stream:features> (p to end: its content) as its
 * name followed by its children's text or empty children's names:
 * "starttls required", "mechanisms PLAIN SCRAM-SHA-1", "bind".
 */
static void
xml_features(struct tk_starttls *st, const unsigned char *p,
    const unsigned char *end)
{
	char cap[TK_STARTTLS_CAP_LEN + 1];
	size_t o = 0;
	int depth = 0;

	cap[0] = '\0';
	while (p < end) {
		const unsigned char *lt = memchr(p, '<', (size_t)(end - p));
		const unsigned char *gt, *name;
		size_t nl;
		bool closing, empty;

		if (lt == NULL) {
			lt = end;
		}
		if (depth == 2 && lt > p) {
			const unsigned char *a = p, *b = lt;

			while (a < b && isspace(*a)) {
				a++;
			}
			while (b > a && isspace(b[-1])) {
				b--;
			}
			if (b > a) {
				buf_add(cap, sizeof(cap), &o, a,
				    (size_t)(b - a));
			}
		}
		if (lt == end) {
			break;
		}
		gt = tag_end(lt, end);
		if (gt == NULL) {
			break;
		}
		p = gt + 1;
		if (lt[1] == '?' || lt[1] == '!') {
			continue;
		}
		closing = lt[1] == '/';
		empty = gt[-1] == '/';
		if (closing) {
			depth--;
			if (depth == 0) {
				cap_add(st, cap, o);
				o = 0;
				cap[0] = '\0';
			}
			if (depth < 0) {
				break;
			}
			continue;
		}
		nl = xml_name(lt + 1, gt, &name);
		if (depth == 0) {
			o = 0;
			buf_add(cap, sizeof(cap), &o, name, nl);
			if (empty) {
				cap_add(st, cap, o);
				o = 0;
			} else {
				depth++;
			}
		} else {
			if (depth == 1 && empty) {
				buf_add(cap, sizeof(cap), &o, name, nl);
			}
			if (!empty) {
				depth++;
			}
		}
	}
}

static void
raw_consume(struct tk_starttls *st, size_t n)
{
	if (n > st->rawlen) {
		n = st->rawlen;
	}
	memmove(st->raw, st->raw + n, st->rawlen - n);
	st->rawlen -= n;
}

/* <stream:error> holds its condition as the first child (RFC 6120 4.9). */
static int
stream_error(struct tk_starttls *st, const unsigned char *at,
    const unsigned char *end)
{
	const unsigned char *gt = tag_end(at, end), *lt, *name;
	char cond[64];
	size_t nl;

	if (gt == NULL) {
		return 0;
	}
	lt = gt[-1] == '/' ? NULL : memchr(gt, '<', (size_t)(end - gt));
	if (lt == NULL || tag_end(lt, end) == NULL) {
		if (gt[-1] != '/') {
			return 0;
		}
		snprintf(cond, sizeof(cond), "none given");
	} else {
		nl = xml_name(lt + 1, end, &name);
		clean(cond, sizeof(cond), name, nl, 40);
	}
	note_bytes(st, who(st, false), at, (size_t)(end - at));
	return tk_err_set(&st->err, st->after ? TK_CHECK : TK_NET, "starttls",
	    "the server sent an XMPP stream error: %s", cond);
}

static int
stream_closed(struct tk_starttls *st, const unsigned char *at,
    const unsigned char *end)
{
	note_bytes(st, who(st, false), at, (size_t)(end - at));
	return tk_err_set(&st->err, TK_NET, "starttls",
	    "the server closed the XMPP stream (waiting for the reply to "
	    "'%.40s')", st->cmd);
}

/* RFC 6120 section 4.3.2: the features follow the server's header. */
static int
on_features(struct tk_starttls *st, const struct step *s)
{
	static const char *const toks[] = {
		"<stream:features", "<stream:error", "</stream:stream>",
	};
	const unsigned char *end = st->raw + st->rawlen, *at, *gt, *close;
	size_t stop;

	switch (first_of(st->raw, end, toks, 3, &at)) {
	case 0:
		break;
	case 1:
		return stream_error(st, at, end);
	case 2:
		return stream_closed(st, at, end);
	default:
		return 0;
	}
	gt = tag_end(at, end);
	if (gt == NULL) {
		return 0;
	}
	if (gt[-1] == '/') {
		close = gt + 1;
		stop = (size_t)(close - st->raw);
	} else {
		close = find(gt + 1, end, "</stream:features>");
		if (close == NULL) {
			return 0;
		}
		stop = (size_t)(close - st->raw) +
		    strlen("</stream:features>");
		if (s->flags & F_CAPS) {
			xml_features(st, gt + 1, close);
		}
	}
	note_bytes(st, who(st, false), at, (size_t)(st->raw + stop - at));
	raw_consume(st, stop);
	return 1;
}

/* RFC 6120 section 5.4.2.3 and 5.4.2.2: <proceed/> or <failure/>. */
static int
on_proceed(struct tk_starttls *st, const struct step *s)
{
	static const char *const toks[] = {
		"<proceed", "<failure", "<stream:error", "</stream:stream>",
	};
	const unsigned char *end = st->raw + st->rawlen, *at, *gt, *close;
	size_t stop;
	int which = first_of(st->raw, end, toks, 4, &at);
	char said[96];

	switch (which) {
	case 0:
	case 1:
		break;
	case 2:
		return stream_error(st, at, end);
	case 3:
		return stream_closed(st, at, end);
	default:
		return 0;
	}
	gt = tag_end(at, end);
	if (gt == NULL) {
		return 0;
	}
	if (which == 1) {
		note_bytes(st, who(st, false), at, (size_t)(gt + 1 - at));
		clean(said, sizeof(said), at, (size_t)(gt + 1 - at), 80);
		return tk_err_set(&st->err, TK_NET, "starttls",
		    "%s (it said '%s')", s->msg, said);
	}
	if (gt[-1] == '/') {
		stop = (size_t)(gt + 1 - st->raw);
	} else {
		close = find(gt + 1, end, "</proceed>");
		if (close == NULL) {
			return 0;
		}
		stop = (size_t)(close - st->raw) + strlen("</proceed>");
	}
	note_bytes(st, who(st, false), at, (size_t)(st->raw + stop - at));
	raw_consume(st, stop);
	return 1;
}

_Static_assert(TK_LDAP_MSG_MAX <= TK_STARTTLS_RAW_MAX,
    "one LDAP message fits the raw buffer");

/* RFC 4511 section 4.14.2: success, or a resultCode that says why not. */
static int
on_ldap(struct tk_starttls *st, const struct step *s)
{
	struct tk_ldap_result res;
	long total = tk_ldap_frame(st->raw, st->rawlen, &st->err);
	char line[128];

	if (total <= 0) {
		return (int)total;
	}
	if ((size_t)total > st->rawlen) {
		return 0;
	}
	if (tk_ldap_decode(st->raw, (size_t)total, &res,
	    &st->err) < 0) {
		note(st, who(st, false), "(not an LDAP extended response)");
		return -1;
	}
	raw_consume(st, (size_t)total);
	snprintf(line, sizeof(line), "ExtendedResponse %s (%ld)%s%.60s",
	    tk_ldap_result_name(res.code), res.code,
	    res.diag[0] ? " " : "", res.diag);
	note(st, who(st, false), line);
	/* RFC 4511 section 4.4.1: the server is about to close */
	if (res.msgid == 0 && strcmp(res.oid, TK_LDAP_NOTICE_OID) == 0) {
		return tk_err_set(&st->err, TK_NET, "starttls",
		    "the server sent a notice of disconnection: %s (%ld)%s%s%s",
		    tk_ldap_result_name(res.code), res.code,
		    res.diag[0] ? " '" : "", res.diag, res.diag[0] ? "'" : "");
	}
	if (res.msgid != 1) {
		return tk_err_set(&st->err, TK_NET, "starttls",
		    "the server answered LDAP message %ld, not the StartTLS "
		    "request (1)", res.msgid);
	}
	if (res.code != 0) {
		return tk_err_set(&st->err, TK_NET, "starttls",
		    "%s: LDAP result %s (%ld)%s%s%s", s->msg,
		    tk_ldap_result_name(res.code), res.code,
		    res.diag[0] ? " '" : "", res.diag, res.diag[0] ? "'" : "");
	}
	return 1;
}

/* PostgreSQL: 'S' goes on, 'N' refuses, 'E' is an older server's error. */
static int
on_byte(struct tk_starttls *st, const struct step *s)
{
	unsigned char b;
	char shown[8];

	if (st->rawlen == 0) {
		return 0;
	}
	b = st->raw[0];
	raw_consume(st, 1);
	clean(shown, sizeof(shown), &b, 1, 1);
	note(st, who(st, false), shown);
	if (b == (unsigned char)s->text[0]) {
		return 1;
	}
	if (b == 'N') {
		return tk_err_set(&st->err, TK_NET, "starttls",
		    "%s (it answered 'N')", s->msg);
	}
	if (b == 'E') {
		return tk_err_set(&st->err, TK_NET, "starttls",
		    "%s (it answered with an error message, 'E')", s->msg);
	}
	return tk_err_set(&st->err, TK_NET, "starttls",
	    "%s (it answered byte 0x%02x, not 'S' or 'N')", s->msg, b);
}

static ssize_t
raw_fill(struct tk_starttls *st, const struct io *io)
{
	size_t room = TK_STARTTLS_RAW_MAX - st->rawlen;
	ssize_t n;

	if (st->lb.total >= TK_DIALOGUE_MAX) {
		return tk_err_set(&st->err, TK_NET, "starttls",
		    "the peer sent more than %u bytes", TK_DIALOGUE_MAX);
	}
	if (room == 0) {
		return tk_err_set(&st->err, TK_NET, "starttls",
		    "the server sent more than %u bytes without ending its "
		    "reply to '%.40s'", TK_STARTTLS_RAW_MAX, st->cmd);
	}
	if (room > TK_DIALOGUE_MAX - st->lb.total) {
		room = TK_DIALOGUE_MAX - st->lb.total;
	}
	n = io->rd(io->arg, st->raw + st->rawlen, room);
	if (n == TK_WANT_READ || n == TK_WANT_WRITE) {
		return n;
	}
	if (n < 0) {
		if (io->sys) {
			return tk_err_sys(&st->err, TK_NET, "starttls",
			    "read failed");
		}
		return tk_err_set(&st->err, TK_NET, "starttls",
		    "read failed");
	}
	if ((size_t)n > room) {
		return tk_err_set(&st->err, TK_INTERNAL, "starttls",
		    "a reader returned more bytes than asked for");
	}
	st->rawlen += (size_t)n;
	st->lb.total += (size_t)n;
	return n;
}

/* The engine */

/* Parses what is buffered for a reading step: 1, 0 (more) or -1. */
static int
parse(struct tk_starttls *st, const struct step *s)
{
	switch (s->op) {
	case ST_XML_FEATURES:
		return on_features(st, s);
	case ST_XML_PROCEED:
		return on_proceed(st, s);
	case ST_LDAP:
		return on_ldap(st, s);
	case ST_BYTE:
		return on_byte(st, s);
	case ST_EXPECT:
	case ST_CODE:
	case ST_TAGGED:
	case ST_POP:
	case ST_DOTLIST:
	case ST_SIEVE:
		return line_reply(st, s);
	case ST_END:
	case ST_TLS:
	case ST_SEND:
	case ST_SEND_BIN:
	case ST_SEND_LDAP:
	case ST_HAVE_CAP:
		break;
	}
	return tk_err_set(&st->err, TK_INTERNAL, "starttls",
	    "step %zu of '%s' reads nothing", st->step, st->p->name);
}

static int
closed(struct tk_starttls *st)
{
	if (st->after) {
		return tk_err_set(&st->err, TK_NET, "starttls",
		    "the server closed the TLS session during the dialogue "
		    "after STARTTLS (waiting for the reply to '%.40s')",
		    st->cmd);
	}
	if (st->cmd[0] == '\0') {
		return tk_err_set(&st->err, TK_NET, "starttls",
		    "the server closed the connection during the plaintext "
		    "dialogue (waiting for its greeting); a port that speaks "
		    "TLS directly sends none");
	}
	return tk_err_set(&st->err, TK_NET, "starttls",
	    "the server closed the connection during the plaintext dialogue "
	    "(waiting for the reply to '%.40s')", st->cmd);
}

static void
keep_first(struct tk_starttls *st, const unsigned char *p, size_t n)
{
	size_t k = sizeof(st->first) - st->nfirst;

	if (k > n) {
		k = n;
	}
	memcpy(st->first + st->nfirst, p, k);
	st->nfirst += k;
}

/*
 * The plaintext phase failed: when the server's first bytes were a TLS
 * record header (RFC 8446 5.1: alert 21 or handshake 22, version 3.x;
 * neither byte starts a plaintext reply of any protocol here),
 * the port speaks TLS directly, and that is the reason to give.
 */
static void
direct_tls(struct tk_starttls *st)
{
	const unsigned char *f = st->first;

	/* a one-byte reply (postgres) may be all that was read */
	if (st->nfirst == 0 || (f[0] != 21 && f[0] != 22) ||
	    (st->nfirst > 1 && f[1] != 3) || (st->nfirst > 2 && f[2] > 4)) {
		return;
	}
	tk_err_reset(&st->err, st->err.cls, "starttls", "the server "
	    "answered with a TLS %s record, not %s plaintext: the port "
	    "seems to speak TLS directly; check it without "
	    "STARTTLS (tls-check-cert HOST:PORT, or no --starttls)",
	    f[0] == 21 ? "alert" : "handshake", st->p->name);
}

/* One reading step: 1 when done, TK_WANT_*, or -1. */
static int
do_read(struct tk_starttls *st, const struct step *s, const struct io *io)
{
	for (;;) {
		int r = parse(st, s);
		ssize_t n;

		if (r != 0) {
			return r;
		}
		if (st->p->raw) {
			n = raw_fill(st, io);
		} else {
			n = tk_linebuf_fill_io(&st->lb, io->rd, io->arg,
			    io->sys, "starttls", &st->err);
		}
		if (n == 0) {
			return closed(st);
		}
		if (n < 0) {
			return (int)n;
		}
		if (!st->after) {
			keep_first(st, st->p->raw ?
			    st->raw + st->rawlen - (size_t)n :
			    (const unsigned char *)st->lb.buf + st->lb.len -
			    (size_t)n, (size_t)n);
		}
	}
}

static void
next_step(struct tk_starttls *st)
{
	st->step++;
	st->r_lines = 0;
	st->r_first[0] = '\0';
	st->r_code[0] = '\0';
}

/* The go-ahead: whatever is buffered was sent after it. */
static void
go_ahead(struct tk_starttls *st)
{
	const unsigned char *p = st->p->raw ? st->raw :
	    (const unsigned char *)st->lb.buf;
	size_t n = st->p->raw ? st->rawlen : st->lb.len;

	if (st->ready) {
		return;
	}
	st->ready = true;
	st->injected = n;
	for (size_t i = 0; i < n && i < SAMPLE_MAX; i++) {
		st->sample[i] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '.';
	}
	st->sample[n < SAMPLE_MAX ? n : SAMPLE_MAX] = '\0';
}

static int
run(struct tk_starttls *st, const struct io *io)
{
	if (st->err.cls != TK_OK) {
		return -1;
	}
	for (;;) {
		const struct step *s = &st->p->steps[st->step];
		int r = 1;

		switch (s->op) {
		case ST_END:
			go_ahead(st);
			return 0;
		case ST_TLS:
			if (st->after) {
				return tk_err_set(&st->err, TK_INTERNAL,
				    "starttls", "two go-aheads in '%s'",
				    st->p->name);
			}
			go_ahead(st);
			return 0;
		case ST_SEND:
		case ST_SEND_BIN:
		case ST_SEND_LDAP:
			r = do_send(st, s, io);
			break;
		case ST_HAVE_CAP:
			r = have_cap(st, s) < 0 ? -1 : 1;
			break;
		case ST_EXPECT:
		case ST_CODE:
		case ST_TAGGED:
		case ST_POP:
		case ST_DOTLIST:
		case ST_SIEVE:
		case ST_XML_FEATURES:
		case ST_XML_PROCEED:
		case ST_LDAP:
		case ST_BYTE:
			r = do_read(st, s, io);
			break;
		}
		if (r != 1) {
			return r;
		}
		next_step(st);
	}
}

int
tk_starttls_step_io(struct tk_starttls *st, tk_starttls_read_fn rd,
    tk_starttls_write_fn wr, void *io)
{
	struct io cb = {rd, wr, io, false};
	int r;

	if (st->ready) {
		return 0;
	}
	r = run(st, &cb);
	if (r == -1) {
		direct_tls(st);
	}
	return r;
}

int
tk_starttls_step(struct tk_starttls *st, int fd)
{
	struct io io = {tk_linebuf_read_fd, fd_write, &fd, true};

	int r;

	if (st->ready) {
		return 0;
	}
	st->fd = fd;
	r = run(st, &io);
	if (r == -1) {
		direct_tls(st);
	}
	return r;
}

bool
tk_starttls_has_after(const struct tk_starttls *st)
{
	const struct step *s = st->p->steps;

	while (s->op != ST_TLS && s->op != ST_END) {
		s++;
	}
	return s->op == ST_TLS && s[1].op != ST_END;
}

int
tk_starttls_after(struct tk_starttls *st, tk_starttls_read_fn rd,
    tk_starttls_write_fn wr, void *io)
{
	struct io cb = {rd, wr, io, false};

	if (!st->ready) {
		return tk_err_set(&st->err, TK_INTERNAL, "starttls",
		    "the dialogue inside TLS cannot start before the "
		    "go-ahead");
	}
	if (!st->after) {
		/* inside TLS: a fresh reader, the plaintext is gone */
		st->after = true;
		next_step(st);
		st->fd = -1;
		tk_linebuf_init(&st->lb);
		st->rawlen = 0;
		st->cmd[0] = '\0';
	}
	return run(st, &cb);
}

const struct tk_err *
tk_starttls_error(const struct tk_starttls *st)
{
	return &st->err;
}

const char *const *
tk_starttls_caps(const struct tk_starttls *st)
{
	return st->caps[0].v;
}

const char *const *
tk_starttls_caps_after(const struct tk_starttls *st)
{
	return st->caps[1].v;
}

size_t
tk_starttls_injected(const struct tk_starttls *st)
{
	return st->ready ? st->injected : st->lb.len + st->rawlen;
}

const char *
tk_starttls_injected_sample(const struct tk_starttls *st)
{
	return st->sample;
}

const char *
tk_starttls_transcript(const struct tk_starttls *st)
{
	return st->transcript;
}

uint16_t
tk_starttls_port(const char *proto)
{
	/* "line" is no URL scheme: no port */
	return find_proto(proto) != NULL ?
	    tk_target_scheme_port(proto, NULL) : 0;
}

bool
tk_starttls_can_probe(const char *proto)
{
	const struct proto *p = find_proto(proto);

	return p != NULL && p->probe != NULL;
}

const char *
tk_starttls_protocol(const struct tk_starttls *st)
{
	return st->p->name;
}

int
tk_starttls_advertised(const struct tk_starttls *st)
{
	/*
	 * FTP: FEAT decides nothing (RFC 4217 servers need not list AUTH),
	 * but an "AUTH TLS" line there is an advertisement.
	 */
	if (st->advertised < 0 && strcmp(st->p->name, "ftp") == 0) {
		for (size_t i = 0; i < st->caps[0].n; i++) {
			const char *c = st->caps[0].v[i];

			if (strncasecmp(c, "AUTH ", 5) == 0 &&
			    strcasestr(c + 5, "TLS") != NULL) {
				return 1;
			}
		}
	}
	return st->advertised;
}

const char *
tk_starttls_answer(const struct tk_starttls *st)
{
	return st->answer[0] != '\0' ? st->answer : NULL;
}

const struct tk_starttls_line *
tk_starttls_lines(const struct tk_starttls *st, size_t *n, size_t *dropped)
{
	*n = st->nlog;
	if (dropped != NULL) {
		*dropped = st->log_dropped;
	}
	return st->log;
}

const char *
tk_starttls_last_command(const struct tk_starttls *st)
{
	return st->cmd;
}
