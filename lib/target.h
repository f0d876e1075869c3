/*
 * Targets: what the user names on the command line, parsed once, before
 * any I/O, so bad input is reported with exit 2 (docs/ARCHITECTURE.md,
 * "The client data path").
 */
#ifndef TK_TARGET_H
#define TK_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define TK_HOST_MAX 254    /* RFC 1035: 253 octets, plus NUL */

struct tk_target {
	char host[TK_HOST_MAX];   /* A-label form, no brackets, no final dot */
	char display[512];        /* as given (Unicode kept), for messages */
	char scheme[16];          /* lower case, "" when none was given */
	uint16_t port;
	int ip_family;            /* AF_INET/AF_INET6 for literals, else 0 */
	bool had_port;
	/* the name to verify and send as SNI instead of host: a
	 * targets-file line's name=HOST or HOST:PORT{IP}; "" when none */
	char name[TK_HOST_MAX];
};

/*
 * Between a targets-file line's target and its '# comment' in the text
 * the runner keeps (lib/runner.c): the comment follows this byte (ASCII
 * unit separator), which no target holds.
 */
#define TK_TARGET_LABEL_SEP "\x1f"

/*
 * Parses HOST, HOST:PORT, [V6]:PORT, a bare IPv6 literal, or
 * SCHEME://HOST[:PORT][/PATH].  IDN names become A-labels (IDNA2008,
 * libidn2).  default_port is used when neither a port nor a known scheme
 * gives one.  A bare IPv6 literal whose last group could be a port
 * ("::1:443") is refused as ambiguous.  Returns 0, or -1 with err (class
 * USAGE) set.
 */
int tk_target_parse(const char *text, uint16_t default_port,
    struct tk_target *t, struct tk_err *err);

/*
 * A target as the runner hands it over (a targets-file line, or argv):
 * tk_target_parse's TARGET, then optionally "name=HOST" after a blank, or
 * sslyze's "HOST:PORT{IP}"; both set t->name (the host connected to is
 * TARGET's, or IP).  TK_TARGET_LABEL_SEP and what follows (the line's
 * comment) are left out; t->display is the rest.  Returns 0, or -1 with
 * err (class USAGE) set.
 */
int tk_target_parse_line(const char *text, uint16_t default_port,
    struct tk_target *t, struct tk_err *err);

/* The well-known port of a URL scheme, or 0; *starttls gets the protocol
 * to speak before TLS ("smtp", ...) or NULL for implicit TLS. */
uint16_t tk_target_scheme_port(const char *scheme, const char **starttls);

/* Validates a --hostname value (a name or IP literal, no port) and
 * writes its A-label form.  Returns 0 or -1 with err (USAGE). */
int tk_target_hostname_check(const char *in, char *out, size_t outlen,
    struct tk_err *err);

/* True when s is an IPv4 or IPv6 literal (no brackets). */
bool tk_target_is_ip_literal(const char *s);

#endif
