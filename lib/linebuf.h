/*
 * The capped line reader under the STARTTLS dialogues, client
 * (lib/starttls.c) and server (tools/tls-echo-server.c): lines end in LF
 * (a CR before it is dropped), and a peer can make it hold no more than
 * the caps below (docs/ARCHITECTURE.md, "Bounds on remote input").
 */
#ifndef TK_LINEBUF_H
#define TK_LINEBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "err.h"
#include "want.h"

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
 * A reader: the bytes read (>0), 0 at the end of the stream, TK_WANT_READ
 * or TK_WANT_WRITE when it would block, or -1 on failure.
 */
typedef ssize_t (*tk_linebuf_read_fn)(void *io, void *buf, size_t len);

/*
 * The reader over a non-blocking fd (io points to the int): read(2), with
 * EAGAIN, EWOULDBLOCK and EINTR as TK_WANT_READ; -1 leaves errno set.
 */
ssize_t tk_linebuf_read_fd(void *io, void *buf, size_t len);

/*
 * Reads what fits from fd.  Returns bytes read (>0), 0 at EOF,
 * TK_WANT_READ, or -1 with err (NET: read failed or a cap was passed).
 */
ssize_t tk_linebuf_fill(struct tk_linebuf *lb, int fd, const char *step,
    struct tk_err *err);

/*
 * As tk_linebuf_fill(), reading with rd(io, ...); rd's TK_WANT_* is
 * returned as it is.  sys says whether errno tells why rd returned -1
 * (it is then added to the message).  -1 with err (INTERNAL) when rd
 * returns more bytes than asked for.
 */
ssize_t tk_linebuf_fill_io(struct tk_linebuf *lb, tk_linebuf_read_fn rd,
    void *io, bool sys, const char *step, struct tk_err *err);

/*
 * Takes the next complete line into out (NUL-terminated, without CR/LF).
 * Returns 1 with a line, 0 when more input is needed, -1 with err (NET)
 * when a line exceeds TK_LINE_MAX.
 */
int tk_linebuf_next(struct tk_linebuf *lb, char *out, size_t outlen,
    const char *step, struct tk_err *err);

/*
 * Appends up to len bytes of data, as far as the buffer has room, as if
 * read (unit tests, fuzzing, a transport that is not an fd).  Returns how
 * many were taken.
 */
size_t tk_linebuf_feed(struct tk_linebuf *lb, const void *data, size_t len);

#endif
