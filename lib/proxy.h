/*
 * HTTP CONNECT proxies (RFC 9110 9.3.6) for every client tool: which proxy
 * a target goes through (--proxy, or https_proxy/all_proxy and no_proxy
 * from the environment, as curl reads them), and the CONNECT exchange on a
 * connected socket, run on the loop inside the connect step.  The proxy
 * resolves the target's name; the client resolves only the proxy's.
 */
#ifndef TK_PROXY_H
#define TK_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "loop.h"
#include "target.h"

struct tk_proxy {
	char host[TK_HOST_MAX];   /* A-label or IP literal, no brackets */
	uint16_t port;            /* 1080 unless given, as in curl */
	char url[256];            /* as given, for messages */
	char from[16];            /* where it came from: "--proxy",
	                           * "https_proxy", "ALL_PROXY", ... */
};

/*
 * Parses http://HOST[:PORT][/] or HOST[:PORT] (http assumed, as curl
 * does).  Other schemes (https, socks) and user information are refused.
 * what names the source in messages ("--proxy", "https_proxy").  Returns
 * 0 or -1 with err (USAGE).
 */
int tk_proxy_parse(const char *url, const char *what, struct tk_proxy *p,
    struct tk_err *err);

/*
 * The proxy settings of a run: the --proxy value (may be NULL) or else
 * the environment (https_proxy, HTTPS_PROXY, all_proxy, ALL_PROXY, in that
 * order), and the no_proxy list (no_proxy, NO_PROXY).  An empty --proxy
 * "" means no proxy at all.  Malformed values are USAGE errors, found
 * before any network I/O.
 */
#define TK_NOPROXY_MAX 512
struct tk_proxy_conf {
	bool set;                 /* a proxy is configured */
	bool off;                 /* --proxy '' turned the environment's off */
	struct tk_proxy proxy;
	char no_proxy[TK_NOPROXY_MAX];  /* as read, comma-separated */
};

int tk_proxy_conf_init(struct tk_proxy_conf *pc, const char *opt,
    struct tk_err *err);

/*
 * Does host (A-label or IP literal) go through the proxy?  False when no
 * proxy is set or no_proxy names it: "*" matches every host; an entry
 * matches the host itself and its subdomains (a leading dot is ignored);
 * IP literals match exactly.  Case is ignored.
 */
bool tk_proxy_use(const struct tk_proxy_conf *pc, const char *host);

/*
 * tk_proxy_use() with the reason, for -v as curl -v says it: "via
 * 127.0.0.1:3128 (from https_proxy)", "none: 'a.example' matches
 * no_proxy entry 'example'", "none (--proxy '')", "none configured".
 * Writes into why (NUL-terminated, truncated to len).
 */
bool tk_proxy_explain(const struct tk_proxy_conf *pc, const char *host,
    char *why, size_t len);

/* "127.0.0.1:3128 (from https_proxy)": the proxy for messages. */
void tk_proxy_name(const struct tk_proxy *p, char *buf, size_t len);

/*
 * Parses the proxy's reply to CONNECT in buf[0..len): the status line and
 * header fields up to the empty line.  Returns 0 with *status and
 * *consumed (the reply's length: bytes after it belong to the tunnel),
 * TK_PROXY_INCOMPLETE when more bytes are needed, or -1 with err (class
 * NET, step "connect") when it is not an HTTP reply.  reason gets the
 * reason phrase, made printable.
 */
#define TK_PROXY_INCOMPLETE 1
int tk_proxy_reply_parse(const unsigned char *buf, size_t len, int *status,
    char *reason, size_t reasonlen, size_t *consumed, struct tk_err *err);

/*
 * Sends CONNECT host:port on fd (connected to the proxy; still the
 * caller's) and reads the reply without reading past it.  cb runs once
 * from the loop: err NULL when the tunnel is up (fd is then unwatched and
 * ready for the TLS handshake), else why not (class NET, step "connect").
 * tk_tunnel_free() before cb cancels; after cb the handle is gone.
 */
struct tk_tunnel;
typedef void (*tk_tunnel_cb)(void *arg, const struct tk_err *err);

struct tk_tunnel *tk_tunnel_start(struct tk_loop *loop, int fd,
    const struct tk_proxy *proxy, const char *host, uint16_t port,
    tk_tunnel_cb cb, void *arg, struct tk_err *err);
void tk_tunnel_free(struct tk_tunnel *t);

#endif
