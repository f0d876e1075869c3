/*
 * Plaintext dialogues that upgrade a connection to TLS, one const table of
 * steps per protocol, over one line reader with hard caps.  Runs on the
 * loop: tk_starttls_step() never blocks.
 */
#ifndef TK_STARTTLS_H
#define TK_STARTTLS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "err.h"

#define TK_LINE_MAX 4096          /* longest line accepted */
#define TK_DIALOGUE_MAX (64u << 10)  /* plaintext bytes read per dialogue */
#define TK_LINES_MAX 512          /* lines read per dialogue */

/*
 * A line reader over a non-blocking fd.  Lines end in LF (a CR before it is
 * dropped).  Bytes past the last complete line stay buffered: after an
 * upgrade they are plaintext injected before TLS and must be discarded.
 */
struct tk_linebuf {
	char buf[TK_LINE_MAX + 2];
	size_t len;          /* bytes buffered */
	size_t total;        /* bytes read so far */
	size_t lines;        /* lines returned so far */
	size_t max_total;    /* cap on total (0: TK_DIALOGUE_MAX) */
	size_t max_lines;    /* cap on lines (0: TK_LINES_MAX) */
};

void tk_linebuf_init(struct tk_linebuf *lb);

/*
 * Reads what fits from fd.  Returns bytes read (>0), 0 at EOF,
 * TK_WANT_READ, or -1 with err (NET: read failed or a cap was passed).
 */
ssize_t tk_linebuf_fill(struct tk_linebuf *lb, int fd, const char *step,
    struct tk_err *err);

/*
 * Takes the next complete line into out (NUL-terminated, without CR/LF).
 * Returns 1 with a line, 0 when more input is needed, -1 with err (NET)
 * when a line exceeds TK_LINE_MAX.
 */
int tk_linebuf_next(struct tk_linebuf *lb, char *out, size_t outlen,
    const char *step, struct tk_err *err);

/* Same as tk_linebuf_next on an in-memory buffer: for unit tests, fuzz. */
size_t tk_linebuf_feed(struct tk_linebuf *lb, const void *data, size_t len);

/* Protocols */

struct tk_starttls;

/* true if name is a protocol this build speaks. */
bool tk_starttls_known(const char *proto);
/* Space-separated list of the protocols, for messages. */
const char *tk_starttls_names(void);

/* NULL with err (USAGE: unknown protocol; INTERNAL: memory). */
struct tk_starttls *tk_starttls_new(const char *proto, struct tk_err *err);
void tk_starttls_free(struct tk_starttls *st);

/*
 * Advances the dialogue on fd.  Returns 0 when the peer has agreed to
 * start TLS, TK_WANT_READ/TK_WANT_WRITE, or -1 with tk_starttls_error()
 * set (NET: refused, not offered, closed, caps; a protocol error).
 */
int tk_starttls_step(struct tk_starttls *st, int fd);
const struct tk_err *tk_starttls_error(const struct tk_starttls *st);

/* Plaintext received after the go-ahead and before TLS (discarded). */
size_t tk_starttls_injected(const struct tk_starttls *st);
/* A short transcript ("C: STARTTLS | S: READY"), capped, escaped later. */
const char *tk_starttls_transcript(const struct tk_starttls *st);

#endif
