#include "hello.h"

#include <gnutls/gnutls.h>
#include <stdio.h>
#include <string.h>

#include "escape.h"

#include "banned.h"

void
tk_hello_init(struct tk_hello *h)
{
	memset(h, 0, sizeof(*h));
}

static uint16_t
rd16(const unsigned char *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

/*
 * A list of 16-bit ids behind a length prefix of pfx (1 or 2) bytes that
 * must cover the payload exactly (RFC 8446 4.2.1, 4.2.3, 4.2.7).
 */
static int
ids(struct tk_hello *h, const unsigned char *d, size_t len, size_t pfx,
    uint16_t *out, size_t *n)
{
	size_t l;

	if (len < pfx) {
		return -1;
	}
	l = pfx == 1 ? d[0] : rd16(d);
	if (l != len - pfx || l % 2 != 0) {
		return -1;
	}
	*n = 0;
	for (size_t i = pfx; i + 1 < len; i += 2) {
		if (*n == TK_HELLO_IDS_MAX) {
			h->cut = true;
			break;
		}
		out[(*n)++] = rd16(d + i);
	}
	return 0;
}

/* RFC 6066 3: the first host_name of the ServerNameList. */
static int
server_name(struct tk_hello *h, const unsigned char *d, size_t len)
{
	size_t off = 2;

	if (len < 2 || rd16(d) != len - 2) {
		return -1;
	}
	while (off < len) {
		size_t l;
		unsigned type;

		if (len - off < 3) {
			return -1;
		}
		type = d[off];
		l = rd16(d + off + 1);
		off += 3;
		if (l > len - off) {
			return -1;
		}
		if (type == 0 && !h->sni_present) {
			h->sni_present = true;
			h->sni_len = l > TK_HELLO_SNI_MAX ? TK_HELLO_SNI_MAX : l;
			h->cut = h->cut || l > TK_HELLO_SNI_MAX;
			memcpy(h->sni, d + off, h->sni_len);
			h->sni[h->sni_len] = '\0';
		}
		off += l;
	}
	return 0;
}

/* RFC 7301 3.1: ProtocolNameList, names of 1..255 bytes. */
static int
alpn(struct tk_hello *h, const unsigned char *d, size_t len)
{
	size_t off = 2;

	if (len < 2 || rd16(d) != len - 2) {
		return -1;
	}
	h->alpn_present = true;
	h->alpn_len = 0;
	while (off < len) {
		size_t l = d[off];

		if (l == 0 || l > len - off - 1) {
			return -1;
		}
		if (h->alpn_len + 1 + l <= sizeof(h->alpn)) {
			memcpy(h->alpn + h->alpn_len, d + off, 1 + l);
			h->alpn_len += 1 + l;
		} else {
			h->cut = true;
		}
		off += 1 + l;
	}
	return 0;
}

int
tk_hello_ext(struct tk_hello *h, unsigned type, const unsigned char *data,
    size_t len)
{
	int rc = 0;

	switch (type) {
	case TK_HELLO_EXT_SERVER_NAME:
		rc = server_name(h, data, len);
		break;
	case TK_HELLO_EXT_ALPN:
		rc = alpn(h, data, len);
		break;
	case TK_HELLO_EXT_VERSIONS:
		rc = ids(h, data, len, 1, h->versions, &h->nversions);
		h->versions_present = rc == 0;
		break;
	case TK_HELLO_EXT_GROUPS:
		rc = ids(h, data, len, 2, h->groups, &h->ngroups);
		break;
	case TK_HELLO_EXT_SIGALGS:
		rc = ids(h, data, len, 2, h->sigalgs, &h->nsigalgs);
		break;
	default:
		break;
	}
	if (rc < 0) {
		h->malformed = true;
	}
	return rc;
}

static int
on_ext(void *ctx, unsigned tls_id, const unsigned char *data, unsigned size)
{
	/* a malformed extension is noted; the others are still read */
	(void)tk_hello_ext(ctx, tls_id, data, size);
	return 0;
}

int
tk_hello_parse(struct tk_hello *h, const unsigned char *msg, size_t len)
{
	gnutls_datum_t d;
	size_t off;
	int rc;

	tk_hello_init(h);
	h->seen = true;
	if (len < 2 || len > UINT32_MAX) {
		h->malformed = true;
		return -1;
	}
	h->legacy_version = rd16(msg);
	/* version, random, session id, suites, compression methods */
	off = 2 + 32;
	if (off < len) {
		off += 1 + msg[off];
	}
	if (off + 1 < len) {
		off += 2 + rd16(msg + off);
	}
	if (off < len) {
		off += 1 + msg[off];
	}
	if (off == len) {
		return 0;   /* no extensions: a TLS 1.2 or older client */
	}
	d.data = (unsigned char *)(uintptr_t)msg;  /* GnuTLS only reads it */
	d.size = (unsigned)len;
	/* bounded by d.size: GnuTLS's own reader of the extension block */
	rc = gnutls_ext_raw_parse(h, on_ext, &d,
	    GNUTLS_EXT_RAW_FLAG_TLS_CLIENT_HELLO);
	if (rc < 0) {
		h->malformed = true;
	}
	return h->malformed ? -1 : 0;
}

bool
tk_hello_alpn_next(const struct tk_hello *h, size_t *off,
    const unsigned char **name, size_t *len)
{
	size_t l;

	if (*off >= h->alpn_len) {
		return false;
	}
	l = h->alpn[*off];
	if (l == 0 || l > h->alpn_len - *off - 1) {
		return false;
	}
	*name = h->alpn + *off + 1;
	*len = l;
	*off += 1 + l;
	return true;
}

size_t
tk_hello_versions(const struct tk_hello *h, const uint16_t **out)
{
	if (h->versions_present) {
		*out = h->versions;
		return h->nversions;
	}
	*out = &h->legacy_version;
	return h->seen ? 1 : 0;
}

/* RFC 8701: 0x0A0A, 0x1A1A ... 0xFAFA */
static bool
grease(uint16_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 12) == ((v >> 4) & 0xf);
}

struct idname {
	uint16_t id;
	const char *name;
};

static const char *
lookup(const struct idname *t, size_t n, uint16_t id, char *buf,
    size_t len)
{
	for (size_t i = 0; i < n; i++) {
		if (t[i].id == id) {
			return t[i].name;
		}
	}
	if (grease(id)) {
		return "GREASE";
	}
	snprintf(buf, len, "0x%04x", id);
	return buf;
}

#define LOOKUP(t, id, buf, len) \
	lookup((t), sizeof(t) / sizeof((t)[0]), (id), (buf), (len))

const char *
tk_hello_version_name(uint16_t v, char *buf, size_t len)
{
	static const struct idname t[] = {
		{0x0300, "SSL3.0"}, {0x0301, "TLS1.0"}, {0x0302, "TLS1.1"},
		{0x0303, "TLS1.2"}, {0x0304, "TLS1.3"},
	};

	return LOOKUP(t, v, buf, len);
}

/* IANA TLS Supported Groups, named as GnuTLS names the group settled. */
const char *
tk_hello_group_name(uint16_t g, char *buf, size_t len)
{
	static const struct idname t[] = {
		{23, "SECP256R1"}, {24, "SECP384R1"}, {25, "SECP521R1"},
		{29, "X25519"}, {30, "X448"}, {31, "BRAINPOOLP256R1TLS13"},
		{32, "BRAINPOOLP384R1TLS13"}, {33, "BRAINPOOLP512R1TLS13"},
		{34, "GC256A"}, {256, "FFDHE2048"}, {257, "FFDHE3072"},
		{258, "FFDHE4096"}, {259, "FFDHE6144"}, {260, "FFDHE8192"},
		{0x11eb, "SECP256R1MLKEM768"}, {0x11ec, "X25519MLKEM768"},
		{0x11ed, "SECP384R1MLKEM1024"},
		{0x6399, "X25519KYBER768DRAFT00"},
	};

	return LOOKUP(t, g, buf, len);
}

/* IANA TLS SignatureScheme names (RFC 8446 4.2.3). */
const char *
tk_hello_sigalg_name(uint16_t s, char *buf, size_t len)
{
	static const struct idname t[] = {
		{0x0201, "rsa_pkcs1_sha1"}, {0x0203, "ecdsa_sha1"},
		{0x0401, "rsa_pkcs1_sha256"}, {0x0501, "rsa_pkcs1_sha384"},
		{0x0601, "rsa_pkcs1_sha512"},
		{0x0403, "ecdsa_secp256r1_sha256"},
		{0x0503, "ecdsa_secp384r1_sha384"},
		{0x0603, "ecdsa_secp521r1_sha512"},
		{0x0804, "rsa_pss_rsae_sha256"}, {0x0805, "rsa_pss_rsae_sha384"},
		{0x0806, "rsa_pss_rsae_sha512"}, {0x0807, "ed25519"},
		{0x0808, "ed448"}, {0x0809, "rsa_pss_pss_sha256"},
		{0x080a, "rsa_pss_pss_sha384"}, {0x080b, "rsa_pss_pss_sha512"},
		{0x081a, "ecdsa_brainpoolP256r1tls13_sha256"},
		{0x081b, "ecdsa_brainpoolP384r1tls13_sha384"},
		{0x081c, "ecdsa_brainpoolP512r1tls13_sha512"},
		{0x0202, "dsa_sha1"}, {0x0301, "rsa_pkcs1_sha224"},
		{0x0302, "dsa_sha224"}, {0x0303, "ecdsa_sha224"},
		{0x0402, "dsa_sha256"}, {0x0502, "dsa_sha384"},
		{0x0602, "dsa_sha512"},
	};

	return LOOKUP(t, s, buf, len);
}

void
tk_hello_alpn_text(const struct tk_hello *h, char *out, size_t len)
{
	const unsigned char *name;
	size_t off = 0, used = 0, nl;
	char esc[255 * 4 + 1];   /* a name is 1 to 255 bytes (RFC 7301 3.1) */

	snprintf(out, len, "none");
	while (tk_hello_alpn_next(h, &off, &name, &nl)) {
		int n;

		tk_escape((const char *)name, nl, esc, sizeof(esc));
		n = snprintf(out + used, len - used, "%s%s", used ? "," : "",
		    esc);
		if (n < 0 || (size_t)n >= len - used) {
			break;
		}
		used += (size_t)n;
	}
}
