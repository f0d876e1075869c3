/*
 * Raw ClientHellos and the server's first reply (lib/rawhello.h).
 * Wire formats: RFC 5246 7.4.1 and RFC 8446 4.1 (hellos), 4.2 (extensions),
 * 5.1 (records); RFC 5246 7.4.2 to 7.4.5, RFC 8422 5.4, RFC 6066 8 and
 * RFC 6961 2.2 (the rest of a TLS 1.2 server's first flight); RFC 6101
 * 5.6 (SSL 3.0); draft-hickman-netscape-ssl-00 (SSL 2.0 CLIENT-HELLO and
 * SERVER-HELLO, 2-byte record header).
 */
#include "rawhello.h"

#include <string.h>

#include "banned.h"

#define REC_HANDSHAKE 22
#define REC_ALERT 21
#define HS_CLIENT_HELLO 1
#define HS_SERVER_HELLO 2
#define HS_HELLO_REQUEST 0
#define HS_CERTIFICATE 11
#define HS_SERVER_KEY_EXCHANGE 12
#define HS_CERTIFICATE_REQUEST 13
#define HS_SERVER_HELLO_DONE 14
#define HS_CERTIFICATE_STATUS 22
#define REC_MAX 16384      /* RFC 8446 5.1: 2^14 bytes of plaintext */
#define V2_CLIENT_HELLO 1
#define V2_SERVER_HELLO 4
#define V2_ERROR 0

/* RFC 8446 4.1.3: SHA-256("HelloRetryRequest") */
static const unsigned char hrr_random[32] = {
	0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C,
	0x02, 0x1E, 0x65, 0xB8, 0x91, 0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB,
	0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
};
/* RFC 8446 4.1.3: the last 8 bytes of a downgrading server's random */
static const unsigned char downgrd[7] = {
	0x44, 0x4F, 0x57, 0x4E, 0x47, 0x52, 0x44,
};

/* A bounded writer: once over, it writes nothing more. */
struct w {
	unsigned char *p;
	size_t cap;
	size_t n;
	bool over;
};

static void
put(struct w *w, const void *p, size_t n)
{
	if (w->over || n > w->cap - w->n) {
		w->over = true;
		return;
	}
	if (n > 0) {
		memcpy(w->p + w->n, p, n);
	}
	w->n += n;
}

static void
put8(struct w *w, unsigned v)
{
	unsigned char b = (unsigned char)v;

	put(w, &b, 1);
}

static void
put16(struct w *w, unsigned v)
{
	unsigned char b[2] = { (unsigned char)(v >> 8), (unsigned char)v };

	put(w, b, 2);
}

/* Reserves n length bytes; returns where they are. */
static size_t
hold(struct w *w, size_t n)
{
	size_t at = w->n;
	static const unsigned char zero[3];

	put(w, zero, n);
	return at;
}

/* Fills the n length bytes at `at` with the length of what followed. */
static void
patch(struct w *w, size_t at, size_t n)
{
	size_t v;

	if (w->over) {
		return;
	}
	v = w->n - at - n;
	for (size_t i = 0; i < n; i++) {
		w->p[at + n - 1 - i] = (unsigned char)(v >> (8 * i));
	}
}

static void
put_list16(struct w *w, const uint16_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		put16(w, v[i]);
	}
}

/* An extension with a 2-byte list length inside (groups, sigalgs). */
static void
ext_list16(struct w *w, unsigned type, const uint16_t *v, size_t n)
{
	size_t at;

	put16(w, type);
	at = hold(w, 2);
	put16(w, (unsigned)(2 * n));
	put_list16(w, v, n);
	patch(w, at, 2);
}

static void
ext_empty(struct w *w, unsigned type)
{
	put16(w, type);
	put16(w, 0);
}

static int
check_conf(const struct tk_rawhello_conf *c, struct tk_err *err)
{
	const char *step = "build ClientHello";
	size_t n;

	if (c->version < 0x0300 || c->version > 0x0304) {
		return tk_err_set(err, TK_USAGE, step,
		    "version 0x%04x is not SSL 3.0 to TLS 1.3", c->version);
	}
	n = c->nsuites + (c->scsv_reneg ? 1 : 0) + (c->scsv_fallback ? 1 : 0);
	if (n == 0 || n > TK_RAWHELLO_SUITES_MAX) {
		return tk_err_set(err, TK_USAGE, step,
		    "%zu cipher suites: 1 to %d can be offered", n,
		    TK_RAWHELLO_SUITES_MAX);
	}
	if (c->sni != NULL && (c->sni[0] == '\0' || strlen(c->sni) > 255)) {
		return tk_err_set(err, TK_USAGE, step,
		    "server name must be 1 to 255 bytes");
	}
	for (size_t i = 0; i < c->nalpn; i++) {
		n = strlen(c->alpn[i]);
		if (n == 0 || n > 255) {
			return tk_err_set(err, TK_USAGE, step,
			    "ALPN name %zu must be 1 to 255 bytes", i + 1);
		}
	}
	if (c->key_share_group != 0 &&
	    c->key_share_group != TK_RAWHELLO_X25519) {
		return tk_err_set(err, TK_USAGE, step,
		    "key share group 0x%04x: only X25519 can be offered",
		    c->key_share_group);
	}
	if (c->key_share_empty &&
	    (c->version != 0x0304 || c->key_share_group != 0)) {
		return tk_err_set(err, TK_USAGE, step,
		    "an empty key share is for TLS 1.3 and without a key "
		    "share group");
	}
	if (c->session_id_len > 32) {
		return tk_err_set(err, TK_USAGE, step,
		    "session id of %zu bytes (at most 32)", c->session_id_len);
	}
	if (c->ngroups > 1000 || c->nsigalgs > 1000 || c->nversions > 100 ||
	    c->nalpn > 1000) {
		return tk_err_set(err, TK_USAGE, step,
		    "too many groups, signature algorithms, versions or "
		    "ALPN names");
	}
	return 0;
}

static void
extensions(struct w *w, const struct tk_rawhello_conf *c)
{
	static const uint16_t v13[] = { 0x0304, 0x0303 };
	const uint16_t *vers = c->versions;
	size_t nvers = c->nversions, block, at, at2;

	if (c->version == 0x0304 && nvers == 0) {
		vers = v13;
		nvers = 2;
	}
	if (c->sni == NULL && c->ngroups == 0 && c->nsigalgs == 0 &&
	    nvers == 0 && c->nalpn == 0 && !c->point_formats &&
	    !c->reneg_info && !c->ems && !c->etm && !c->session_ticket &&
	    !c->status_request && c->key_share_group == 0 &&
	    !c->key_share_empty) {
		return;
	}
	block = hold(w, 2);
	if (c->sni != NULL) {   /* RFC 6066 3 */
		size_t n = strlen(c->sni);

		put16(w, TK_RAWHELLO_EXT_SERVER_NAME);
		put16(w, (unsigned)(n + 5));
		put16(w, (unsigned)(n + 3));
		put8(w, 0);     /* host_name */
		put16(w, (unsigned)n);
		put(w, c->sni, n);
	}
	if (c->status_request) {
		/* RFC 6066 8: ocsp, no responder ids, no extensions */
		put16(w, TK_RAWHELLO_EXT_STATUS_REQUEST);
		put16(w, 5);
		put8(w, 1);
		put16(w, 0);
		put16(w, 0);
	}
	if (c->point_formats) {   /* RFC 8422 5.1.2 */
		put16(w, TK_RAWHELLO_EXT_POINT_FORMATS);
		put16(w, 2);
		put8(w, 1);
		put8(w, 0);     /* uncompressed */
	}
	if (c->ngroups > 0) {
		ext_list16(w, TK_RAWHELLO_EXT_GROUPS, c->groups, c->ngroups);
	}
	if (c->nsigalgs > 0) {
		ext_list16(w, TK_RAWHELLO_EXT_SIGALGS, c->sigalgs,
		    c->nsigalgs);
	}
	if (c->session_ticket) {
		ext_empty(w, TK_RAWHELLO_EXT_SESSION_TICKET);
	}
	if (c->nalpn > 0) {   /* RFC 7301 3.1 */
		put16(w, TK_RAWHELLO_EXT_ALPN);
		at = hold(w, 2);
		at2 = hold(w, 2);
		for (size_t i = 0; i < c->nalpn; i++) {
			size_t n = strlen(c->alpn[i]);

			put8(w, (unsigned)n);
			put(w, c->alpn[i], n);
		}
		patch(w, at2, 2);
		patch(w, at, 2);
	}
	if (c->etm) {
		ext_empty(w, TK_RAWHELLO_EXT_ETM);
	}
	if (c->ems) {
		ext_empty(w, TK_RAWHELLO_EXT_EMS);
	}
	if (nvers > 0) {   /* RFC 8446 4.2.1 */
		put16(w, TK_RAWHELLO_EXT_VERSIONS);
		put16(w, (unsigned)(1 + 2 * nvers));
		put8(w, (unsigned)(2 * nvers));
		put_list16(w, vers, nvers);
	}
	if (c->key_share_group != 0) {   /* RFC 8446 4.2.8 */
		put16(w, TK_RAWHELLO_EXT_KEY_SHARE);
		put16(w, 2 + 2 + 2 + 32);
		put16(w, 2 + 2 + 32);
		put16(w, c->key_share_group);
		put16(w, 32);
		put(w, c->share, 32);
	} else if (c->key_share_empty) {
		/* RFC 8446 4.2.8: client_shares may be empty, to have the
		 * server name its group in a HelloRetryRequest */
		put16(w, TK_RAWHELLO_EXT_KEY_SHARE);
		put16(w, 2);
		put16(w, 0);
	}
	if (c->reneg_info) {   /* RFC 5746 3.4 */
		put16(w, TK_RAWHELLO_EXT_RENEG_INFO);
		put16(w, 1);
		put8(w, 0);
	}
	patch(w, block, 2);
}

int
tk_rawhello_build(const struct tk_rawhello_conf *c, unsigned char *buf,
    size_t cap, size_t *len, struct tk_err *err)
{
	struct w w = { buf, cap, 0, false };
	uint16_t rv = c->record_version;
	size_t rec, hs, at;

	*len = 0;
	if (check_conf(c, err) == -1) {
		return -1;
	}
	if (rv == 0) {
		rv = c->version == 0x0300 ? 0x0300 : 0x0301;
	}
	put8(&w, REC_HANDSHAKE);
	put16(&w, rv);
	rec = hold(&w, 2);
	put8(&w, HS_CLIENT_HELLO);
	hs = hold(&w, 3);
	put16(&w, c->version > 0x0303 ? 0x0303 : c->version);
	put(&w, c->random, 32);
	put8(&w, (unsigned)c->session_id_len);
	put(&w, c->session_id, c->session_id_len);
	at = hold(&w, 2);
	put_list16(&w, c->suites, c->nsuites);
	if (c->scsv_reneg) {
		put16(&w, 0x00FF);
	}
	if (c->scsv_fallback) {
		put16(&w, 0x5600);
	}
	patch(&w, at, 2);
	if (c->deflate) {
		put8(&w, 2);
		put8(&w, 1);
	} else {
		put8(&w, 1);
	}
	put8(&w, 0);
	extensions(&w, c);
	if (w.over) {
		return tk_err_set(err, TK_INTERNAL, "build ClientHello",
		    "buffer of %zu bytes too small", cap);
	}
	if (w.n - rec - 2 > REC_MAX) {
		return tk_err_set(err, TK_INTERNAL, "build ClientHello",
		    "ClientHello of %zu bytes does not fit one record",
		    w.n - rec - 2);
	}
	patch(&w, hs, 3);
	patch(&w, rec, 2);
	*len = w.n;
	return 0;
}

int
tk_rawhello_build_v2(const uint32_t *kinds, size_t nkinds,
    const unsigned char challenge[16], unsigned char *buf, size_t cap,
    size_t *len, struct tk_err *err)
{
	struct w w = { buf, cap, 0, false };
	size_t body;

	*len = 0;
	/* the 2-byte header holds 15 bits of length */
	if (nkinds == 0 || nkinds > (0x7fff - 9 - 16) / 3) {
		return tk_err_set(err, TK_USAGE, "build SSL 2.0 CLIENT-HELLO",
		    "%zu cipher kinds: 1 to %d can be offered", nkinds,
		    (0x7fff - 9 - 16) / 3);
	}
	body = 9 + 3 * nkinds + 16;
	put8(&w, 0x80 | (unsigned)(body >> 8));
	put8(&w, (unsigned)(body & 0xff));
	put8(&w, V2_CLIENT_HELLO);
	put16(&w, 0x0002);
	put16(&w, (unsigned)(3 * nkinds));
	put16(&w, 0);           /* no session id */
	put16(&w, 16);
	for (size_t i = 0; i < nkinds; i++) {
		put8(&w, (kinds[i] >> 16) & 0xff);
		put16(&w, kinds[i] & 0xffff);
	}
	put(&w, challenge, 16);
	if (w.over) {
		return tk_err_set(err, TK_INTERNAL,
		    "build SSL 2.0 CLIENT-HELLO",
		    "buffer of %zu bytes too small", cap);
	}
	*len = w.n;
	return 0;
}

/* A bounded reader over one message. */
struct rd {
	const unsigned char *p;
	size_t n;
	size_t off;
};

static bool
get8(struct rd *r, unsigned *v)
{
	if (r->n - r->off < 1) {
		return false;
	}
	*v = r->p[r->off++];
	return true;
}

static bool
get16(struct rd *r, unsigned *v)
{
	if (r->n - r->off < 2) {
		return false;
	}
	*v = (unsigned)r->p[r->off] << 8 | r->p[r->off + 1];
	r->off += 2;
	return true;
}

static bool
getn(struct rd *r, size_t n, const unsigned char **p)
{
	if (r->n - r->off < n) {
		return false;
	}
	*p = r->p + r->off;
	r->off += n;
	return true;
}

static enum tk_rawhello_kind
bad(struct tk_rawhello_reply *r, const char *why)
{
	r->kind = TK_RAWHELLO_MALFORMED;
	r->why = why;
	return r->kind;
}

/*
 * The record header at buf + off (its 5 bytes are there): a handshake or
 * alert record of 1 to 2^14 bytes in version 3.x (RFC 8446 5.1, RFC 5246
 * 6.2.1).  Its length to *rlen, how much of its body buf holds to
 * *avail.  NULL, or why it is refused (upto: "the ServerHello" or "the
 * ServerHelloDone", what it came before).
 */
static const char *
record_head(const unsigned char *buf, size_t off, size_t len, bool done,
    size_t *rlen, size_t *avail)
{
	uint8_t type = buf[off];

	if (type != REC_HANDSHAKE && type != REC_ALERT) {
		return done ? "a record other than handshake or alert came "
		    "before the ServerHelloDone" : "a record other than "
		    "handshake or alert came before the ServerHello";
	}
	if (buf[off + 1] != 3) {
		return "a record's version is not 3.x";
	}
	*rlen = (size_t)buf[off + 3] << 8 | buf[off + 4];
	if (*rlen == 0) {
		return "an empty record";
	}
	if (*rlen > REC_MAX) {
		return "a record longer than 16384 bytes";
	}
	*avail = len - off - 5;
	if (*avail > *rlen) {
		*avail = *rlen;
	}
	return NULL;
}

/* Incomplete: MORE, unless the cap was reached. */
static enum tk_rawhello_kind
more(struct tk_rawhello_reply *r, size_t len)
{
	if (len >= TK_RAWHELLO_READ_MAX) {
		return bad(r, "no complete ServerHello or alert in the first "
		    "16389 bytes");
	}
	r->kind = TK_RAWHELLO_MORE;
	return r->kind;
}

/* One extension of a ServerHello or HelloRetryRequest (RFC 8446 4.2). */
static const char *
sh_ext(struct tk_rawhello_reply *r, unsigned type, const unsigned char *d,
    size_t n, bool hrr)
{
	switch (type) {
	case TK_RAWHELLO_EXT_VERSIONS:
		if (n != 2) {
			return "supported_versions is not 2 bytes";
		}
		r->versions_ext = true;
		r->version = (uint16_t)(d[0] << 8 | d[1]);
		break;
	case TK_RAWHELLO_EXT_KEY_SHARE:
		/* HRR: the group alone; ServerHello: a KeyShareEntry */
		if (hrr ? n != 2 :
		    n < 5 || (size_t)(d[2] << 8 | d[3]) != n - 4) {
			return "key_share has a wrong length";
		}
		r->key_share_group = (uint16_t)(d[0] << 8 | d[1]);
		if (r->key_share_group == 0) {
			return "key_share names group 0";
		}
		break;
	case TK_RAWHELLO_EXT_RENEG_INFO:
		if (n < 1 || d[0] != n - 1) {
			return "renegotiation_info has a wrong length";
		}
		r->reneg_info = true;
		r->reneg_len = d[0];
		break;
	case TK_RAWHELLO_EXT_EMS:
	case TK_RAWHELLO_EXT_ETM:
	case TK_RAWHELLO_EXT_SESSION_TICKET:
		if (n != 0) {
			return "an extension that must be empty is not";
		}
		break;
	case TK_RAWHELLO_EXT_ALPN:
		/* RFC 7301 3.1: exactly one name */
		if (n < 4 || (size_t)(d[0] << 8 | d[1]) != n - 2 ||
		    d[2] == 0 || d[2] != n - 3) {
			return "ALPN does not hold exactly one name";
		}
		r->alpn_len = d[2];
		memcpy(r->alpn, d + 3, r->alpn_len);
		break;
	case TK_RAWHELLO_EXT_POINT_FORMATS:
		if (n < 2 || d[0] != n - 1) {
			return "ec_point_formats has a wrong length";
		}
		break;
	default:
		break;
	}
	return NULL;
}

/* The extensions block of a ServerHello: what is wrong, or NULL. */
static const char *
sh_exts(struct tk_rawhello_reply *r, struct rd *rd, bool hrr)
{
	unsigned char seen[8192];   /* one bit per extension type */
	const unsigned char *d;
	unsigned total, type, elen;
	const char *why;

	r->has_exts = true;
	if (!get16(rd, &total) || total != rd->n - rd->off) {
		return "ServerHello extensions length does not match";
	}
	memset(seen, 0, sizeof(seen));
	while (rd->off < rd->n) {
		if (!get16(rd, &type) || !get16(rd, &elen) ||
		    !getn(rd, elen, &d)) {
			return "ServerHello extension cut short";
		}
		if (seen[type >> 3] & (1u << (type & 7))) {
			return "ServerHello repeats an extension";
		}
		seen[type >> 3] |= (unsigned char)(1u << (type & 7));
		if (r->nexts < TK_RAWHELLO_EXTS_MAX) {
			r->exts[r->nexts++] = (uint16_t)type;
		} else {
			r->exts_cut = true;
		}
		why = sh_ext(r, type, d, elen, hrr);
		if (why != NULL) {
			return why;
		}
	}
	return NULL;
}

static enum tk_rawhello_kind
server_hello(struct tk_rawhello_reply *r, const unsigned char *p, size_t n)
{
	struct rd rd = { p, n, 0 };
	const unsigned char *d;
	unsigned v, sid, comp;
	bool hrr;

	if (!get16(&rd, &v) || !getn(&rd, 32, &d) || !get8(&rd, &sid)) {
		return bad(r, "ServerHello too short");
	}
	if (v >> 8 != 3) {
		return bad(r, "ServerHello version is not 3.x");
	}
	r->legacy_version = (uint16_t)v;
	r->version = (uint16_t)v;
	memcpy(r->random, d, 32);
	if (sid > 32 || !getn(&rd, sid, &d)) {
		return bad(r, "ServerHello session id too long");
	}
	r->session_id_len = sid;
	memcpy(r->session_id, d, sid);
	if (!get16(&rd, &v) || !get8(&rd, &comp)) {
		return bad(r, "ServerHello too short");
	}
	r->suite = (uint16_t)v;
	r->compression = (uint8_t)comp;
	hrr = memcmp(r->random, hrr_random, 32) == 0;
	if (memcmp(r->random + 24, downgrd, 7) == 0) {
		if (r->random[31] == 1) {
			r->downgrade = 0x0303;
		} else if (r->random[31] == 0) {
			r->downgrade = 0x0302;
		}
	}
	if (rd.off < rd.n) {
		const char *why = sh_exts(r, &rd, hrr);

		if (why != NULL) {
			return bad(r, why);
		}
	}
	r->kind = hrr ? TK_RAWHELLO_HRR : TK_RAWHELLO_SERVER_HELLO;
	return r->kind;
}

/* SSL 2.0 SERVER-HELLO or ERROR behind a 2-byte header. */
static enum tk_rawhello_kind
ssl2(struct tk_rawhello_reply *r, const unsigned char *buf, size_t len)
{
	size_t rlen = (size_t)(buf[0] & 0x7f) << 8 | buf[1];
	const unsigned char *p = buf + 2;
	size_t cert, specs, connid;

	if (rlen + 2 > TK_RAWHELLO_READ_MAX) {
		return bad(r, "SSL 2.0 record longer than 16387 bytes");
	}
	if (p[0] == V2_ERROR && rlen != 3) {
		return bad(r, "SSL 2.0 ERROR is not 3 bytes");
	}
	if (p[0] == V2_SERVER_HELLO && rlen < 11) {
		return bad(r, "SSL 2.0 SERVER-HELLO too short");
	}
	if (len < rlen + 2) {
		return more(r, len);
	}
	r->used = rlen + 2;
	if (p[0] == V2_ERROR) {
		r->v2_error = (uint16_t)(p[1] << 8 | p[2]);
		r->kind = TK_RAWHELLO_SSL2_ERROR;
		return r->kind;
	}
	r->v2_session_hit = p[1] != 0;
	r->v2_cert_type = p[2];
	r->v2_version = (uint16_t)(p[3] << 8 | p[4]);
	cert = (size_t)p[5] << 8 | p[6];
	specs = (size_t)p[7] << 8 | p[8];
	connid = (size_t)p[9] << 8 | p[10];
	if (11 + cert + specs + connid != rlen) {
		return bad(r, "SSL 2.0 SERVER-HELLO lengths do not match");
	}
	if (specs % 3 != 0 || connid < 16 || connid > 32) {
		return bad(r, "SSL 2.0 SERVER-HELLO has a bad cipher list or "
		    "connection id");
	}
	r->v2_cert_len = cert;
	p += 11 + cert;
	for (size_t i = 0; i < specs; i += 3) {
		if (r->v2_nkinds == TK_RAWHELLO_V2_MAX) {
			r->v2_cut = true;
			break;
		}
		r->v2_kinds[r->v2_nkinds++] = (uint32_t)p[i] << 16 |
		    (uint32_t)p[i + 1] << 8 | p[i + 2];
	}
	r->kind = TK_RAWHELLO_SSL2_HELLO;
	return r->kind;
}

enum tk_rawhello_kind
tk_rawhello_parse(struct tk_rawhello_reply *r, const unsigned char *buf,
    size_t len)
{
	unsigned char hs[TK_RAWHELLO_READ_MAX];
	size_t hs_len = 0, off = 0;

	memset(r, 0, sizeof(*r));
	r->head_len = len < sizeof(r->head) ? len : sizeof(r->head);
	if (r->head_len > 0) {
		memcpy(r->head, buf, r->head_len);
	}
	if (len > TK_RAWHELLO_READ_MAX) {
		len = TK_RAWHELLO_READ_MAX;
	}
	if (len == 0) {
		return more(r, len);
	}
	if (buf[0] & 0x80) {
		/* SSL 2.0 (2-byte header): SERVER-HELLO or ERROR */
		if (len < 3) {
			return more(r, len);
		}
		if (buf[2] == V2_SERVER_HELLO || buf[2] == V2_ERROR) {
			return ssl2(r, buf, len);
		}
		r->kind = TK_RAWHELLO_NOT_TLS;
		r->why = "the reply is neither TLS nor SSL 2.0";
		return r->kind;
	}
	if ((buf[0] != REC_HANDSHAKE && buf[0] != REC_ALERT) ||
	    (len >= 2 && buf[1] != 3)) {
		r->kind = TK_RAWHELLO_NOT_TLS;
		r->why = "the reply does not start with a TLS record";
		return r->kind;
	}
	for (;;) {
		size_t rlen, avail;
		unsigned type;

		if (len - off < 5) {
			return more(r, len);
		}
		type = buf[off];
		if (off == 0) {
			r->record_version = (uint16_t)(buf[1] << 8 | buf[2]);
		}
		const char *refused = record_head(buf, off, len, false,
		    &rlen, &avail);

		if (refused != NULL) {
			return bad(r, refused);
		}
		if (type == REC_ALERT) {
			/* RFC 8446 5.1: not between a message's fragments */
			if (hs_len > 0) {
				return bad(r, "an alert inside a split "
				    "handshake message");
			}
			if (rlen < 2) {
				return bad(r, "an alert record shorter than "
				    "2 bytes");
			}
			if (avail < 2) {
				return more(r, len);
			}
			r->alert_level = buf[off + 5];
			r->alert_desc = buf[off + 6];
			r->used = off + 5 + 2;
			r->kind = TK_RAWHELLO_ALERT;
			return r->kind;
		}
		memcpy(hs + hs_len, buf + off + 5, avail);
		hs_len += avail;
		if (hs_len >= 4) {
			size_t mlen = (size_t)hs[1] << 16 |
			    (size_t)hs[2] << 8 | hs[3];

			if (hs[0] != HS_SERVER_HELLO) {
				return bad(r, "the first handshake message is "
				    "not a ServerHello");
			}
			if (mlen > TK_RAWHELLO_READ_MAX - 9) {
				return bad(r, "a ServerHello longer than 16380 "
				    "bytes");
			}
			if (hs_len >= 4 + mlen) {
				r->used = off + 5 + avail - (hs_len - 4 - mlen);
				return server_hello(r, hs + 4, mlen);
			}
		}
		if (avail < rlen) {
			return more(r, len);
		}
		off += 5 + rlen;
	}
}

/* An opaque vector with an nb-byte length of at least min bytes. */
static bool
getvec(struct rd *r, size_t nb, size_t min, const unsigned char **p,
    size_t *n)
{
	size_t v = 0;

	if (r->n - r->off < nb) {
		return false;
	}
	for (size_t i = 0; i < nb; i++) {
		v = v << 8 | r->p[r->off + i];
	}
	r->off += nb;
	*n = v;
	return v >= min && getn(r, v, p);
}

/* The bits of a big-endian unsigned integer, leading zeros not counted. */
static unsigned
int_bits(const unsigned char *p, size_t n)
{
	unsigned b;

	while (n > 0 && p[0] == 0) {
		p++;
		n--;
	}
	if (n == 0) {
		return 0;
	}
	for (b = 0; p[0] >> b != 0; b++) {
	}
	return (unsigned)(8 * (n - 1)) + b;
}

/* RFC 5246 7.4.2: certificate_list<0..2^24-1> of ASN.1Cert<1..2^24-1>. */
static const char *
fl_certificate(struct tk_rawhello_reply *r, const unsigned char *p,
    size_t n)
{
	struct rd rd = { p, n, 0 }, l;
	const unsigned char *d;
	size_t total, cl;
	unsigned count = 0;

	if (!getvec(&rd, 3, 0, &d, &total) || rd.off != n) {
		return "Certificate list length does not match";
	}
	l = (struct rd){ d, total, 0 };
	while (l.off < l.n) {
		if (!getvec(&l, 3, 1, &d, &cl)) {
			return "a certificate in the Certificate message has "
			    "a wrong length";
		}
		count++;
	}
	r->ncerts = count;
	r->cert_bytes = total;
	return NULL;
}

/*
 * RFC 6066 8: status_type ocsp(1), OCSPResponse<1..2^24-1>; RFC 6961 2.2:
 * ocsp_multi(2), a list<1..2^24-1> of OCSPResponse<0..2^24-1>.
 */
static const char *
fl_status(const unsigned char *p, size_t n)
{
	struct rd rd = { p, n, 0 }, l;
	const unsigned char *d;
	unsigned type;
	size_t total, one;

	if (!get8(&rd, &type) || (type != 1 && type != 2)) {
		return "CertificateStatus type is not ocsp or ocsp_multi";
	}
	if (!getvec(&rd, 3, 1, &d, &total) || rd.off != n) {
		return "CertificateStatus length does not match";
	}
	if (type == 2) {
		l = (struct rd){ d, total, 0 };
		while (l.off < l.n) {
			if (!getvec(&l, 3, 0, &d, &one)) {
				return "CertificateStatus response list has a "
				    "wrong length";
			}
		}
	}
	return NULL;
}

/*
 * RFC 8422 5.4 (RFC 4492 5.4 for the explicit curves): ECParameters.
 * Explicit curves are read over, only their type kept.
 */
static const char *
ec_params(struct tk_rawhello_reply *r, struct rd *rd)
{
	const unsigned char *d;
	unsigned type, v;
	size_t n, nfields = 5;   /* explicit: a, b, base, order, cofactor */

	if (!get8(rd, &type)) {
		return "ServerKeyExchange too short";
	}
	r->ske_curve_type = (uint8_t)type;
	switch (type) {
	case 3:   /* named_curve */
		if (!get16(rd, &v)) {
			return "ServerKeyExchange too short";
		}
		if (v == 0) {
			return "ServerKeyExchange names curve 0";
		}
		r->ske_group = (uint16_t)v;
		return NULL;
	case 1:   /* explicit_prime: prime_p first */
		nfields++;
		break;
	case 2:   /* explicit_char2: m, basis and its k or k1 k2 k3 */
		if (!get16(rd, &v) || !get8(rd, &v)) {
			return "ServerKeyExchange too short";
		}
		if (v == 1) {
			nfields += 1;
		} else if (v == 2) {
			nfields += 3;
		} else {
			return "ServerKeyExchange curve basis is not "
			    "trinomial or pentanomial";
		}
		break;
	default:
		return "ServerKeyExchange curve type is not 1, 2 or 3";
	}
	for (size_t i = 0; i < nfields; i++) {
		if (!getvec(rd, 1, 1, &d, &n)) {
			return "ServerKeyExchange curve parameters have a "
			    "wrong length";
		}
	}
	return NULL;
}

/* RFC 5246 7.4.3, RFC 8422 5.4, RFC 2246 7.4.3 (RSA export). */
static const char *
fl_ske(struct tk_rawhello_reply *r, const unsigned char *p, size_t n,
    enum tk_rawhello_ske ske, bool anon)
{
	struct rd rd = { p, n, 0 };
	const unsigned char *d;
	const char *why;
	unsigned v;
	size_t l;

	switch (ske) {
	case TK_RAWHELLO_SKE_NONE:
		return NULL;
	case TK_RAWHELLO_SKE_ECDHE:
		why = ec_params(r, &rd);
		if (why != NULL) {
			return why;
		}
		if (!getvec(&rd, 1, 1, &d, &l)) {
			return "ServerKeyExchange EC point has a wrong length";
		}
		break;
	case TK_RAWHELLO_SKE_DHE:
		if (!getvec(&rd, 2, 1, &d, &l)) {
			return "ServerKeyExchange dh_p has a wrong length";
		}
		r->ske_dh_bits = int_bits(d, l);
		if (!getvec(&rd, 2, 1, &d, &l) || !getvec(&rd, 2, 1, &d, &l)) {
			return "ServerKeyExchange dh_g or dh_Ys has a wrong "
			    "length";
		}
		break;
	case TK_RAWHELLO_SKE_RSA:
		if (!getvec(&rd, 2, 1, &d, &l)) {
			return "ServerKeyExchange RSA modulus has a wrong "
			    "length";
		}
		r->ske_dh_bits = int_bits(d, l);
		if (!getvec(&rd, 2, 1, &d, &l)) {
			return "ServerKeyExchange RSA exponent has a wrong "
			    "length";
		}
		break;
	}
	if (!anon) {
		/* RFC 5246 4.7: TLS 1.2 names the algorithm first */
		if (r->version == 0x0303) {
			if (!get16(&rd, &v)) {
				return "ServerKeyExchange has no signature "
				    "algorithm";
			}
			r->ske_sigalg = (uint16_t)v;
		}
		if (!getvec(&rd, 2, 0, &d, &l)) {
			return "ServerKeyExchange signature has a wrong length";
		}
	}
	if (rd.off != rd.n) {
		return "ServerKeyExchange has bytes after its end";
	}
	return NULL;
}

/*
 * RFC 5246 7.4.4: certificate_types<1..2^8-1>, in TLS 1.2
 * supported_signature_algorithms<2..2^16-2>, certificate_authorities
 * <0..2^16-1> of DistinguishedName<1..2^16-1>.
 */
static const char *
fl_cert_request(const struct tk_rawhello_reply *r, const unsigned char *p,
    size_t n)
{
	struct rd rd = { p, n, 0 }, l;
	const unsigned char *d;
	size_t total, one;

	if (!getvec(&rd, 1, 1, &d, &one)) {
		return "CertificateRequest types have a wrong length";
	}
	if (r->version == 0x0303 &&
	    (!getvec(&rd, 2, 2, &d, &one) || one % 2 != 0)) {
		return "CertificateRequest signature algorithms have a wrong "
		    "length";
	}
	if (!getvec(&rd, 2, 0, &d, &total) || rd.off != n) {
		return "CertificateRequest authorities length does not match";
	}
	l = (struct rd){ d, total, 0 };
	while (l.off < l.n) {
		if (!getvec(&l, 2, 1, &d, &one)) {
			return "a CertificateRequest authority has a wrong "
			    "length";
		}
	}
	return NULL;
}

/*
 * Where a message may come in the server's first flight (RFC 5246 7.3,
 * RFC 6066 8): each after every one of a lower rank; -1: not at all.
 */
static int
fl_rank(unsigned type)
{
	switch (type) {
	case HS_SERVER_HELLO:
		return 0;
	case HS_CERTIFICATE:
		return 1;
	case HS_CERTIFICATE_STATUS:
		return 2;
	case HS_SERVER_KEY_EXCHANGE:
		return 3;
	case HS_CERTIFICATE_REQUEST:
		return 4;
	case HS_SERVER_HELLO_DONE:
		return 5;
	default:
		return -1;
	}
}

/* One whole handshake message of the flight; *last: the rank before. */
static const char *
fl_msg(struct tk_rawhello_reply *r, unsigned type, const unsigned char *p,
    size_t n, int *last, enum tk_rawhello_ske ske, bool anon)
{
	int rank = fl_rank(type);
	const char *why = NULL;

	if (*last == -1 && type != HS_SERVER_HELLO) {
		return "the first handshake message is not a ServerHello";
	}
	if (type == HS_HELLO_REQUEST && n == 0) {
		/* RFC 5246 7.4.1.1: ignored while negotiating */
		return NULL;
	}
	if (rank == -1) {
		return "a handshake message that has no place in the "
		    "server's first flight";
	}
	if (rank <= *last) {
		return "the server's first flight is out of order "
		    "(RFC 5246 7.3)";
	}
	if (type == HS_CERTIFICATE_STATUS && *last != fl_rank(HS_CERTIFICATE)) {
		/* RFC 6066 8: immediately after the Certificate */
		return "a CertificateStatus not right after a Certificate";
	}
	*last = rank;
	switch (type) {
	case HS_CERTIFICATE:
		why = fl_certificate(r, p, n);
		break;
	case HS_CERTIFICATE_STATUS:
		why = fl_status(p, n);
		r->cert_status = why == NULL;
		break;
	case HS_SERVER_KEY_EXCHANGE:
		r->ske = true;
		why = fl_ske(r, p, n, ske, anon);
		break;
	case HS_CERTIFICATE_REQUEST:
		why = fl_cert_request(r, p, n);
		r->cert_request = why == NULL;
		break;
	case HS_SERVER_HELLO_DONE:
		if (n != 0) {
			return "ServerHelloDone is not empty";
		}
		if (!r->ske && (ske == TK_RAWHELLO_SKE_ECDHE ||
		    ske == TK_RAWHELLO_SKE_DHE)) {
			return "no ServerKeyExchange for an ephemeral key "
			    "exchange";
		}
		r->flight_done = true;
		break;
	default:
		break;
	}
	return why;
}

static enum tk_rawhello_kind
fl_more(struct tk_rawhello_reply *r, size_t len)
{
	if (len >= TK_RAWHELLO_FLIGHT_MAX) {
		return bad(r, "no ServerHelloDone in the first 65536 bytes");
	}
	r->kind = TK_RAWHELLO_MORE;
	return r->kind;
}

enum tk_rawhello_kind
tk_rawhello_parse_flight(struct tk_rawhello_reply *r,
    const unsigned char *buf, size_t len, enum tk_rawhello_ske ske,
    bool anon)
{
	unsigned char hs[TK_RAWHELLO_FLIGHT_MAX];
	size_t hs_len = 0, msg = 0, off = 0;
	int last = -1;

	r->why = NULL;
	r->used = 0;
	r->alert_level = 0;
	r->alert_desc = 0;
	r->flight_done = false;
	r->ncerts = 0;
	r->cert_bytes = 0;
	r->cert_status = false;
	r->cert_request = false;
	r->ske = false;
	r->ske_group = 0;
	r->ske_curve_type = 0;
	r->ske_dh_bits = 0;
	r->ske_sigalg = 0;
	if (r->version > 0x0303) {
		return bad(r, "a TLS 1.3 ServerHello has no such flight");
	}
	if (len > TK_RAWHELLO_FLIGHT_MAX) {
		len = TK_RAWHELLO_FLIGHT_MAX;
	}
	for (;;) {
		size_t rlen, avail;
		unsigned type;

		if (len - off < 5) {
			return fl_more(r, len);
		}
		type = buf[off];
		const char *refused = record_head(buf, off, len, true,
		    &rlen, &avail);

		if (refused != NULL) {
			return bad(r, refused);
		}
		if (type == REC_ALERT) {
			/* RFC 5246 6.2.1: not between a message's fragments */
			if (msg != hs_len) {
				return bad(r, "an alert inside a split "
				    "handshake message");
			}
			if (rlen < 2) {
				return bad(r, "an alert record shorter than "
				    "2 bytes");
			}
			if (avail < 2) {
				return fl_more(r, len);
			}
			r->alert_level = buf[off + 5];
			r->alert_desc = buf[off + 6];
			r->used = off + 5 + 2;
			r->kind = TK_RAWHELLO_ALERT;
			return r->kind;
		}
		/* hs_len <= off, and off + 5 + avail <= len <= sizeof(hs) */
		memcpy(hs + hs_len, buf + off + 5, avail);
		hs_len += avail;
		while (hs_len - msg >= 4) {
			size_t mlen = (size_t)hs[msg + 1] << 16 |
			    (size_t)hs[msg + 2] << 8 | hs[msg + 3];
			const char *why;

			if (mlen > TK_RAWHELLO_FLIGHT_MAX - 4 - msg) {
				return bad(r, "a handshake message that "
				    "passes the first 65536 bytes");
			}
			if (hs_len - msg - 4 < mlen) {
				break;
			}
			why = fl_msg(r, hs[msg], hs + msg + 4, mlen, &last,
			    ske, anon);
			if (why != NULL) {
				return bad(r, why);
			}
			msg += 4 + mlen;
			if (r->flight_done) {
				if (msg != hs_len || avail != rlen) {
					r->flight_done = false;
					return bad(r, "handshake bytes after "
					    "the ServerHelloDone");
				}
				r->used = off + 5 + rlen;
				r->kind = TK_RAWHELLO_SERVER_HELLO;
				return r->kind;
			}
		}
		if (avail < rlen) {
			return fl_more(r, len);
		}
		off += 5 + rlen;
	}
}

bool
tk_rawhello_has_ext(const struct tk_rawhello_reply *r, uint16_t type)
{
	for (size_t i = 0; i < r->nexts; i++) {
		if (r->exts[i] == type) {
			return true;
		}
	}
	return false;
}

const char *
tk_rawhello_kind_name(enum tk_rawhello_kind kind)
{
	switch (kind) {
	case TK_RAWHELLO_MORE:
		return "more";
	case TK_RAWHELLO_SERVER_HELLO:
		return "server-hello";
	case TK_RAWHELLO_HRR:
		return "hello-retry-request";
	case TK_RAWHELLO_ALERT:
		return "alert";
	case TK_RAWHELLO_SSL2_HELLO:
		return "ssl2-hello";
	case TK_RAWHELLO_SSL2_ERROR:
		return "ssl2-error";
	case TK_RAWHELLO_NOT_TLS:
		return "not-tls";
	case TK_RAWHELLO_MALFORMED:
		return "malformed";
	}
	return "?";
}
