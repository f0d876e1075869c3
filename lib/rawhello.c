/*
 * Raw ClientHellos and the server's first reply (lib/rawhello.h).
 * Wire formats: RFC 5246 7.4.1 and RFC 8446 4.1 (hellos), 4.2 (extensions),
 * 5.1 (records); RFC 6101 5.6 (SSL 3.0); draft-hickman-netscape-ssl-00
 * (SSL 2.0 CLIENT-HELLO and SERVER-HELLO, 2-byte record header).
 */
#include "rawhello.h"

#include <string.h>

#include "banned.h"

#define REC_HANDSHAKE 22
#define REC_ALERT 21
#define HS_CLIENT_HELLO 1
#define HS_SERVER_HELLO 2
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
	    c->key_share_group == 0) {
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
		if (type != REC_HANDSHAKE && type != REC_ALERT) {
			return bad(r, "a record other than handshake or alert "
			    "came before the ServerHello");
		}
		if (buf[off + 1] != 3) {
			return bad(r, "a record's version is not 3.x");
		}
		rlen = (size_t)buf[off + 3] << 8 | buf[off + 4];
		if (rlen == 0) {
			return bad(r, "an empty record");
		}
		if (rlen > REC_MAX) {
			return bad(r, "a record longer than 16384 bytes");
		}
		avail = len - off - 5;
		if (avail > rlen) {
			avail = rlen;
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
