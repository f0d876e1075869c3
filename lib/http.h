/*
 * A minimal HTTP/1.1 client for one job: fetching the certificate an AIA
 * caIssuers URL points at (RFC 5280 4.2.2.1: plain http, a DER
 * certificate or a certs-only CMS message).  The response parser is pure
 * (unit-tested and fuzzed); the GET runs on the loop like every other
 * step, with its own deadline and a cap on the bytes it accepts.
 */
#ifndef TK_HTTP_H
#define TK_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "loop.h"
#include "resolve.h"

#define TK_HTTP_URL_MAX 1024
#define TK_HTTP_HEADER_MAX 16384   /* status line and headers together */

struct tk_http_url {
	char host[TK_HOST_MAX];      /* A-label or IP literal, no brackets */
	uint16_t port;               /* 80 unless given */
	char path[TK_HTTP_URL_MAX];  /* from the first '/', "/" when none */
};

/*
 * Parses http://HOST[:PORT][/PATH] (scheme case-insensitive, no user
 * information, no fragment kept).  Returns 0, or -1 with err (class
 * given by cls: USAGE for a user's URL, CHECK for a certificate's).
 */
int tk_http_url_parse(const char *url, struct tk_http_url *u,
    enum tk_class cls, struct tk_err *err);

struct tk_http_response {
	int status;                  /* 100..599 */
	char reason[64];             /* peer bytes, for messages (escape!) */
	char location[TK_HTTP_URL_MAX];  /* Location header, "" if none */
	unsigned char *body;         /* owned (malloc), de-chunked */
	size_t body_len;
};

#define TK_HTTP_INCOMPLETE 1

/*
 * Parses a whole response held in buf[0..len).  eof says the peer has
 * closed: a body without Content-Length or chunking ends there.
 * Returns 0 with r filled (free with tk_http_response_clear), or
 * TK_HTTP_INCOMPLETE when more bytes are needed, or -1 with err (class
 * CHECK, step "fetch") for a malformed response.  A 1xx response is
 * skipped.  Never reads outside buf.
 */
int tk_http_response_parse(const unsigned char *buf, size_t len, bool eof,
    struct tk_http_response *r, struct tk_err *err);
void tk_http_response_clear(struct tk_http_response *r);

/*
 * The status line and header fields only, for replies whose body is not
 * read (a proxy's answer to CONNECT).  Returns 0 with *status, reason
 * (peer bytes) and *head_len (up to and with the empty line),
 * TK_HTTP_INCOMPLETE, or -1 with err as tk_http_response_parse().
 */
int tk_http_head_parse(const unsigned char *buf, size_t len, bool eof,
    int *status, char *reason, size_t reasonlen, size_t *head_len,
    struct tk_err *err);

/*
 * GET url on the loop: resolve (through r, so --resolve applies),
 * connect, send, read at most max_bytes, parse; redirects to other http
 * URLs are followed (at most 3).  The whole is bounded by timeout_ms.  cb
 * runs once from the loop, with the response (status may be any; the
 * body is borrowed for the callback) or an error (class NET for the
 * network, CHECK for a bad response, step "fetch").  The handle may be
 * freed until cb runs, which cancels everything; after cb it is freed.
 */
struct tk_http_get;
typedef void (*tk_http_cb)(void *arg, const struct tk_http_response *resp,
    const struct tk_err *err);

struct tk_http_get *tk_http_get_start(struct tk_loop *loop,
    struct tk_resolver *r, const char *url, unsigned timeout_ms,
    size_t max_bytes, tk_http_cb cb, void *arg, struct tk_err *err);
void tk_http_get_free(struct tk_http_get *g);

#endif
