/*
 * Plaintext dialogues that upgrade a connection to TLS, one const table of
 * steps per protocol, over the capped line reader of lib/linebuf.h.  Runs
 * on the loop: tk_starttls_step() never blocks.
 *
 * A dialogue has two phases.  The first, before TLS, runs on the socket
 * (tk_starttls_step) and ends with the server's go-ahead.  Some protocols
 * have a second phase inside the new TLS session (SMTP and LMTP say EHLO
 * or LHLO again, FTP sends PBSZ 0 and PROT P, ManageSieve re-announces its
 * capabilities, XMPP restarts the stream); tk_starttls_after() runs it over
 * read and write callbacks, so this module never depends on tls.c.
 */
#ifndef TK_STARTTLS_H
#define TK_STARTTLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"
#include "want.h"

#define TK_STARTTLS_RAW_MAX (16u << 10)  /* one XML or BER unit at most */
#define TK_STARTTLS_CAPS_MAX 64   /* capabilities kept per phase */
#define TK_STARTTLS_CAP_LEN 200   /* longer capabilities are truncated */

struct tk_starttls;

/*
 * I/O callbacks for tk_starttls_step_io() and tk_starttls_after(), called
 * with the io pointer given there.  A reader returns the bytes read (>0),
 * 0 at the end of the stream, TK_WANT_READ or TK_WANT_WRITE when it would
 * block, or -1 on failure; a writer returns the bytes written (>0),
 * TK_WANT_READ, TK_WANT_WRITE or -1.  After a TK_WANT_* the writer is
 * called again with the same bytes (what tk_tls_write() asks for).
 * Plain wrappers around tk_tls_read() and tk_tls_write() fit.
 */
typedef ssize_t (*tk_starttls_read_fn)(void *io, void *buf, size_t len);
typedef ssize_t (*tk_starttls_write_fn)(void *io, const void *buf,
    size_t len);

/* What a dialogue says about the client; every field may be NULL. */
struct tk_starttls_conf {
	/* The target's host name (A-label) or address: XMPP's 'to'. */
	const char *host;
	/* The XMPP domain for the stream's 'to'; NULL: host. */
	const char *xmpp_domain;
	/*
	 * The name sent in EHLO and LHLO; NULL: the address literal of the
	 * socket's local end ("[192.0.2.1]", "[IPv6:2001:db8::1]", RFC 5321
	 * section 4.1.4), or "localhost" when that is not known.
	 */
	const char *ehlo_name;
	/*
	 * Sends a harmless command (NOOP, DATE, PING) in the same write as
	 * the STARTTLS command: a server that answers it inside TLS has the
	 * plaintext command injection flaw (CVE-2011-0411).  Line protocols
	 * only (tk_starttls_can_probe()).
	 */
	bool check_injection;
};

#define TK_STARTTLS_LOG_MAX 256   /* transcript lines kept per dialogue */

/* One line of the transcript. */
struct tk_starttls_line {
	uint64_t t_us;        /* since the dialogue was created */
	bool client;          /* we sent it */
	bool tls;             /* inside TLS */
	char text[TK_STARTTLS_CAP_LEN + 1];  /* peer bytes: escape them */
};

/*
 * What a server's first bytes (buf, len) look like when TLS was expected:
 * NULL when their first line is not text (a TLS record, binary, nothing);
 * else the protocol whose greeting they are ("smtp", "ftp", "imap",
 * "pop3", "nntp", "sieve", "xmpp", "lmtp"), "http" or "ssh" for those,
 * "" for text of no known kind.  Pure; reads at most len bytes.
 */
const char *tk_starttls_guess(const unsigned char *buf, size_t len);

/* true if name is a protocol this build speaks. */
bool tk_starttls_known(const char *proto);
/* The protocol's well-known port (smtp 25, imap 143, ...); 0: none. */
uint16_t tk_starttls_port(const char *proto);
/* true if --check-injection works with the protocol. */
bool tk_starttls_can_probe(const char *proto);
/* Space-separated list of the protocols, for messages. */
const char *tk_starttls_names(void);
/* The same names, NULL-terminated: the option table's choices. */
extern const char *const tk_starttls_protocols[];

/* NULL with err (USAGE: unknown protocol; INTERNAL: memory). */
struct tk_starttls *tk_starttls_new(const char *proto, struct tk_err *err);
/*
 * As tk_starttls_new(), with names for the dialogue (conf may be NULL;
 * its strings are copied).  NULL with err: USAGE for an unknown protocol,
 * a name with spaces, quotes, angle brackets or control characters, or
 * xmpp/xmpp-server with neither host nor xmpp_domain; INTERNAL: memory.
 */
struct tk_starttls *tk_starttls_new_ex(const char *proto,
    const struct tk_starttls_conf *conf, struct tk_err *err);
void tk_starttls_free(struct tk_starttls *st);

/*
 * Advances the dialogue on fd.  Returns 0 when the peer has agreed to
 * start TLS, TK_WANT_READ/TK_WANT_WRITE, or -1 with tk_starttls_error()
 * set (NET: refused, not offered, closed, caps; a protocol error).
 * Calls after it returned 0 return 0 again.
 */
int tk_starttls_step(struct tk_starttls *st, int fd);
/*
 * Same as tk_starttls_step(), over callbacks instead of an fd (unit tests,
 * fuzzing, or a transport that is not a socket).  When a callback
 * returns -1, errno is not used: the error says which step failed.
 */
int tk_starttls_step_io(struct tk_starttls *st, tk_starttls_read_fn rd,
    tk_starttls_write_fn wr, void *io);
const struct tk_err *tk_starttls_error(const struct tk_starttls *st);

/* true if the protocol has a phase inside TLS (smtp, lmtp, ftp, ...). */
bool tk_starttls_has_after(const struct tk_starttls *st);
/*
 * Runs the phase inside TLS once the handshake is done, reading with rd
 * and writing with wr (e.g. wrappers around tk_tls_read/tk_tls_write with
 * io the struct tk_tls).  Returns 0 when it is over (at once for a
 * protocol without one), TK_WANT_READ/TK_WANT_WRITE (call again when the
 * fd is ready), or -1 with tk_starttls_error() set: class CHECK when the
 * server refused a command (PROT P refused, EHLO answered 5xx), NET when
 * the session ended, a cap was passed or a callback failed (the
 * transport's own error then tells why), INTERNAL when called before
 * tk_starttls_step() returned 0.
 */
int tk_starttls_after(struct tk_starttls *st, tk_starttls_read_fn rd,
    tk_starttls_write_fn wr, void *io);

/*
 * The capabilities the server announced before TLS and inside TLS: a
 * NULL-terminated array of at most TK_STARTTLS_CAPS_MAX strings owned by
 * st (SMTP EHLO keywords such as "SIZE 10240000", IMAP CAPABILITY atoms,
 * POP3 CAPA lines, ManageSieve capabilities as "SIEVE fileinto", NNTP
 * CAPABILITIES lines, FTP FEAT lines, XMPP stream features as
 * "starttls required" or "mechanisms PLAIN SCRAM-SHA-1").  For FTP the
 * list inside TLS names the commands the server accepted ("PBSZ 0",
 * "PROT P").  Empty for line, ldap and postgres.  The strings are the
 * peer's bytes: escape them when rendering.
 */
const char *const *tk_starttls_caps(const struct tk_starttls *st);
const char *const *tk_starttls_caps_after(const struct tk_starttls *st);

/*
 * Bytes received after the go-ahead and before TLS (discarded): a server
 * or a man in the middle injecting plaintext that a careless client would
 * read as if it came over TLS (CVE-2011-0411 style).  Non-zero is a
 * finding.  The sample holds the first 64 of them, with bytes other than
 * printable ASCII shown as '.'.
 */
size_t tk_starttls_injected(const struct tk_starttls *st);
const char *tk_starttls_injected_sample(const struct tk_starttls *st);
const char *tk_starttls_protocol(const struct tk_starttls *st);
/*
 * Whether the server advertised STARTTLS (or STLS, or <starttls/>) among
 * its capabilities: 1 yes, 0 no, -1 when the protocol has no such list
 * (ftp, ldap, postgres, line) or the dialogue did not get that far.
 */
int tk_starttls_advertised(const struct tk_starttls *st);
/*
 * The server's answer to the STARTTLS command (its last line: "220 2.0.0
 * Ready to start TLS", "<proceed/>", "S"), the refusal when it refused,
 * or NULL when it never answered.  Peer bytes: escape them.
 */
const char *tk_starttls_answer(const struct tk_starttls *st);
/* The command whose reply is awaited or was last read ("" before any). */
const char *tk_starttls_last_command(const struct tk_starttls *st);
/*
 * Every line sent and received, in order, with times; *dropped counts
 * the lines past TK_STARTTLS_LOG_MAX.  Valid until the next step.
 */
const struct tk_starttls_line *tk_starttls_lines(
    const struct tk_starttls *st, size_t *n, size_t *dropped);
/*
 * A short transcript ("C: STARTTLS | S: READY"), capped, escaped later.
 * A multi-line reply shows its first and last lines and the count; the
 * phase inside TLS is tagged "C(tls)" and "S(tls)".
 */
const char *tk_starttls_transcript(const struct tk_starttls *st);

#endif
