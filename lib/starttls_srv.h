/*
 * The server side of STARTTLS: minimal, correct plaintext dialogues for
 * tls-echo-server (smtp, imap, pop3 and the simple line protocol), one
 * const table of commands and replies per protocol.
 *
 * This module does no I/O.  The tool reads lines with the shared line
 * reader (struct tk_linebuf, lib/linebuf.h) under its own caps and
 * timers, hands each line to tk_starttls_srv_line() and sends the reply
 * it gets back; so the dialogues are tested and fuzzed without sockets.
 *
 * After the upgrade, smtp, imap and pop3 go on answering commands inside
 * TLS (EHLO, CAPABILITY and CAPA then no longer offer STARTTLS); the line
 * protocol has no dialogue inside TLS: the tool echoes bytes.
 */
#ifndef TK_STARTTLS_SRV_H
#define TK_STARTTLS_SRV_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "linebuf.h"

/* Room enough for any reply: an echoed line or IMAP tag plus text. */
#define TK_STARTTLS_SRV_REPLY_MAX (TK_LINE_MAX + 512)
/* Longest name in greetings (a DNS name at most). */
#define TK_STARTTLS_SRV_NAME_MAX 253

/* What the tool does once the reply to a line has been sent. */
enum tk_starttls_srv_next {
	TK_STARTTLS_SRV_MORE = 0,  /* read the next line */
	/*
	 * Start the TLS handshake.  Bytes the client sent after the command
	 * and before this reply are plaintext injection (CVE-2011-0411):
	 * discard them, never read them as if they came over TLS.
	 */
	TK_STARTTLS_SRV_STARTTLS,
	TK_STARTTLS_SRV_CLOSE,     /* close the connection (QUIT, LOGOUT) */
};

struct tk_starttls_srv;

/* true if the server speaks proto ("line", "smtp", "imap", "pop3"). */
bool tk_starttls_srv_known(const char *proto);
/* The protocols served, NULL-terminated: the option table's choices for
 * tls-echo-server's --starttls. */
extern const char *const tk_starttls_srv_protocols[];

/*
 * A dialogue for one client.  name goes into greetings and replies (SMTP
 * 220 and 250, NULL: "localhost"); it is copied.  NULL with err: USAGE
 * for an unknown protocol or a name that is empty, too long, or has
 * spaces or bytes other than printable ASCII; INTERNAL: out of memory.
 */
struct tk_starttls_srv *tk_starttls_srv_new(const char *proto,
    const char *name, struct tk_err *err);
/* Accepts NULL. */
void tk_starttls_srv_free(struct tk_starttls_srv *ss);

/* The greeting to send on connect, owned by ss ("" for line). */
const char *tk_starttls_srv_greeting(const struct tk_starttls_srv *ss);

/*
 * Answers one line (without its CR LF, NUL-terminated, as
 * tk_linebuf_next() gives it): writes the reply, CR LF terminated, to
 * out (outsz at least TK_STARTTLS_SRV_REPLY_MAX; not NUL-terminated) and
 * its length to *outlen.  Returns a TK_STARTTLS_SRV_* value, or -1 with
 * err (INTERNAL: out too small, or called after CLOSE, after STARTTLS
 * before tk_starttls_srv_tls_up(), or inside TLS for the line protocol).
 */
int tk_starttls_srv_line(struct tk_starttls_srv *ss, const char *line,
    char *out, size_t outsz, size_t *outlen, struct tk_err *err);

/* The handshake is done: later lines are answered as inside TLS. */
void tk_starttls_srv_tls_up(struct tk_starttls_srv *ss);

/*
 * true if the dialogue goes on inside TLS (smtp, imap, pop3); false for
 * the line protocol, whose TLS phase is the echo.
 */
bool tk_starttls_srv_in_tls(const struct tk_starttls_srv *ss);

#endif
