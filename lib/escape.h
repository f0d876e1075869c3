/*
 * Escaping of untrusted bytes for output: every string a peer sent goes
 * through tk_escape() before text or JSON shows it (docs/ARCHITECTURE.md,
 * "Output contract").
 */
#ifndef TK_ESCAPE_H
#define TK_ESCAPE_H

#include <stddef.h>

/*
 * Escapes untrusted bytes: printable ASCII and valid UTF-8 pass, control
 * bytes, DEL and invalid UTF-8 become \xNN, a backslash becomes \\.
 * Always NUL-terminates; truncates at a character boundary.
 */
void tk_escape(const char *in, size_t inlen, char *out, size_t outlen);

#endif
