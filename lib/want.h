/*
 * What a non-blocking call returns when it would block: the caller sets
 * its watch to that one direction and calls again (docs/ARCHITECTURE.md,
 * "The poll loop").  Shared by tls, starttls and linebuf, so that the
 * plaintext modules need not include tls.h.
 */
#ifndef TK_WANT_H
#define TK_WANT_H

/* Distinct from -1 (error) and from every byte count. */
#define TK_WANT_READ (-2)
#define TK_WANT_WRITE (-3)

#endif
