/*
 * The data phase over one TLS session on the loop: reads into a bounded
 * buffer (reading stops while it is full: back-pressure), writes, the
 * close_notify, EOF and errors.  It drains the records GnuTLS has already
 * decrypted, which never make the fd readable: a read that stops before
 * TK_WANT_READ (a full buffer, the round limit) re-arms a 0 ms timer
 * (docs/ARCHITECTURE.md, "The poll loop").
 *
 * The stream takes over the fd's watch on the loop (tk_loop_watch replaces
 * any earlier one) and calls its callback when something changed: bytes
 * arrived, the peer closed, an error, our close_notify went out, or a
 * write that waited may go on.  The callback may call any tk_stream_*
 * function, tk_stream_free() included.
 */
#ifndef TK_STREAM_H
#define TK_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "loop.h"
#include "tls.h"

struct tk_stream;
typedef void (*tk_stream_cb)(struct tk_stream *st, void *arg);

/*
 * tls and fd are borrowed (the fd is the session's) and must outlive the
 * stream; cap bounds the bytes held (> 0).  The buffer is allocated while
 * bytes are held only: an idle stream holds none.  Reading starts at once
 * (on a 0 ms timer: records may wait inside GnuTLS already).  NULL with
 * err (INTERNAL) when out of memory or the loop refuses the fd.
 */
struct tk_stream *tk_stream_new(struct tk_loop *loop, struct tk_tls *tls,
    int fd, size_t cap, tk_stream_cb cb, void *arg, struct tk_err *err);
/*
 * Hands the stream to another owner (conn's dialogue, then the tool); the
 * new owner is called back at once.  cb NULL parks it: no watch, no
 * reading, bytes held kept, until the next owner.
 */
void tk_stream_set_cb(struct tk_stream *st, tk_stream_cb cb, void *arg);
/*
 * Forgets the fd's watch and the timer at once; never closes the fd or
 * frees the session.  Safe from the callback and with NULL.
 */
void tk_stream_free(struct tk_stream *st);

/* The bytes received and not consumed, in order; NULL and 0 when none. */
const unsigned char *tk_stream_data(const struct tk_stream *st, size_t *len);
/* Drops the first n held bytes (n at most what tk_stream_data gave). */
void tk_stream_consume(struct tk_stream *st, size_t n);
/*
 * tk_tls_read()'s contract over the buffer: copies and consumes up to len
 * held bytes; 0 once the peer's close_notify came and nothing is held;
 * TK_WANT_READ when nothing is held yet (the callback runs when bytes
 * come); -1 after an error (tk_stream_error()), held bytes first.
 */
ssize_t tk_stream_read(struct tk_stream *st, void *buf, size_t len);

/*
 * tk_tls_write()'s contract: a byte count (> 0), or TK_WANT_READ or
 * TK_WANT_WRITE (the stream watches for it and calls back; pass the same
 * bytes again then), or -1 with tk_stream_error() set.
 */
ssize_t tk_stream_write(struct tk_stream *st, const void *buf, size_t len);
/*
 * Sends our close_notify (the write side only: reading goes on, so the
 * peer's own close_notify shows as tk_stream_eof()).  0 when it is out,
 * TK_WANT_* when the stream finishes it and calls back
 * (tk_stream_closed()), -1 with tk_stream_error() set.  Once it is out, a
 * read that ends by a TCP reset or EOF (class NET) counts as the peer's
 * close, as gnutls_bye() takes it.
 */
int tk_stream_shutdown(struct tk_stream *st);

/* The peer's close_notify came (held bytes may remain). */
bool tk_stream_eof(const struct tk_stream *st);
/* Our close_notify is out. */
bool tk_stream_closed(const struct tk_stream *st);
/* The first error of the session, or NULL. */
const struct tk_err *tk_stream_error(const struct tk_stream *st);

#endif
