/*
 * What a client offered in its ClientHello, for tls-echo-server's log:
 * the server name (SNI), the ALPN list, the versions, the groups and the
 * signature algorithms.  A parser of remote bytes, bounded: every list is
 * kept up to a cap (the rest counted as cut), names are kept as raw bytes
 * and escaped by whoever shows them.  No I/O; GnuTLS only walks the
 * extensions (gnutls_ext_raw_parse).
 */
#ifndef TK_HELLO_H
#define TK_HELLO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TK_HELLO_SNI_MAX 255     /* bytes of the host_name kept */
#define TK_HELLO_ALPN_WIRE 512   /* bytes of the ALPN list kept (wire form) */
#define TK_HELLO_IDS_MAX 32      /* versions, groups, sigalgs kept each */

/* RFC 8446 4.2 extension types the parser reads. */
enum {
	TK_HELLO_EXT_SERVER_NAME = 0,
	TK_HELLO_EXT_GROUPS = 10,
	TK_HELLO_EXT_SIGALGS = 13,
	TK_HELLO_EXT_ALPN = 16,
	TK_HELLO_EXT_VERSIONS = 43,
};

struct tk_hello {
	bool seen;                 /* a ClientHello was parsed */
	bool malformed;            /* part of it could not be read */
	bool cut;                  /* a list was longer than its cap */
	bool sni_present;          /* a host_name was sent */
	char sni[TK_HELLO_SNI_MAX + 1];  /* raw bytes, NUL added */
	size_t sni_len;
	bool alpn_present;         /* the extension was sent */
	/* the offered names as on the wire (length byte, name), whole
	 * names only; walk with tk_hello_alpn_next() */
	unsigned char alpn[TK_HELLO_ALPN_WIRE];
	size_t alpn_len;
	uint16_t legacy_version;
	bool versions_present;     /* supported_versions was sent */
	uint16_t versions[TK_HELLO_IDS_MAX];
	size_t nversions;
	uint16_t groups[TK_HELLO_IDS_MAX];
	size_t ngroups;
	uint16_t sigalgs[TK_HELLO_IDS_MAX];
	size_t nsigalgs;
};

void tk_hello_init(struct tk_hello *h);

/*
 * Parses a ClientHello body (the handshake message without its 4-byte
 * header) into h, which it resets first.  Returns 0, or -1 when the
 * message or an extension read is malformed (h->malformed; what was read
 * before stays).
 */
int tk_hello_parse(struct tk_hello *h, const unsigned char *msg,
    size_t len);

/*
 * One extension's payload (type from the enum above; others are
 * ignored).  Returns 0, or -1 when malformed.
 */
int tk_hello_ext(struct tk_hello *h, unsigned type,
    const unsigned char *data, size_t len);

/*
 * The next offered ALPN name from *off (start at 0): true with *name and
 * *len set, false at the end.
 */
bool tk_hello_alpn_next(const struct tk_hello *h, size_t *off,
    const unsigned char **name, size_t *len);

/*
 * The offered ALPN names as text, each escaped (tk_escape()), joined by
 * ',': "h2,http/1.1", or "none" when there is none; cut at a whole name
 * when out is short.
 */
void tk_hello_alpn_text(const struct tk_hello *h, char *out, size_t len);

/*
 * The versions offered: supported_versions when sent, else the legacy
 * version alone (the client's highest).  Returns the count; *ids points
 * into h or at the legacy version.
 */
size_t tk_hello_versions(const struct tk_hello *h, const uint16_t **ids);

/* Names as logged: "TLS1.3", "X25519", "ecdsa_secp256r1_sha256",
 * "GREASE", else "0x1234".  Write into buf (16 bytes at least for the
 * hex form) and return it, or the constant name. */
const char *tk_hello_version_name(uint16_t v, char *buf, size_t len);
const char *tk_hello_group_name(uint16_t g, char *buf, size_t len);
const char *tk_hello_sigalg_name(uint16_t s, char *buf, size_t len);

#endif
