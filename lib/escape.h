/*
 * Escaping of untrusted bytes for output: every string a peer sent goes
 * through tk_escape() before text shows it, tk_escape_json() before JSON
 * does (docs/ARCHITECTURE.md, "Output contract").
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

/*
 * The same bytes for a JSON string (the JSON encoder escapes them): valid
 * UTF-8 passes unchanged, control bytes, DEL and the backslash included,
 * so that JSON shows them as \u001b, \u007f and \\; each byte that is
 * not part of valid UTF-8, and NUL (which many JSON readers refuse or end
 * a string at), becomes U+FFFD.  Always NUL-terminates, truncates at a
 * character boundary; returns the length written.
 */
size_t tk_escape_json(const char *in, size_t inlen, char *out,
    size_t outlen);

#endif
