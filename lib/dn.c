/*
 * Distinguished names compared as RFC 5280 7.1 requires (see dn.h): one
 * strict DER walk that checks a Name and measures its canonical form, or
 * also writes it, and equality and subtree checks over canonical forms.
 *
 * The canonical form is built in the caller's buffer: each TLV's contents
 * are written first and its header is put in front afterwards (w_wrap),
 * and each RDN's attributes are sorted in place as they are added
 * (insert_sorted), so nothing is allocated and no scratch space is needed.
 * Only tk_dn_equal() and tk_dn_subtree() keep two canonical forms on the
 * stack.
 */
#include <stdint.h>
#include <string.h>

#include "der.h"
#include "dn.h"

#include "banned.h"

/*
 * Where the canonical form goes.  With out == NULL nothing is written but
 * pos still counts the bytes, so that a check alone applies the same
 * TK_DN_CANON_MAX bound as writing.
 */
struct wr {
	unsigned char *out;
	size_t cap;
	size_t pos;
};

/* The string kinds that are prepared (RFC 5280 7.1, RFC 4518 2.1). */
enum kind {
	K_NONE,     /* not a string: compared raw */
	K_UTF8,     /* UTF8String */
	K_ASCII,    /* PrintableString, IA5String, VisibleString: 7 bits */
	K_LATIN1,   /* TeletexString, read as ISO 8859-1 */
	K_UCS2,     /* BMPString, big-endian */
	K_UCS4,     /* UniversalString, big-endian */
};

struct cprange {
	uint32_t lo, hi;
};

/*
 * RFC 4518 2.2: "All other control code (e.g., Cc) points or code points
 * with a control function (e.g., Cf) are mapped to nothing", with the soft
 * hyphens, the combining grapheme joiner, the variation selectors, the
 * object replacement character and ZERO WIDTH SPACE.  Sorted, disjoint.
 */
static const struct cprange map_nothing[] = {
	{0x0000, 0x0008}, {0x000e, 0x001f}, {0x007f, 0x0084},
	{0x0086, 0x009f}, {0x00ad, 0x00ad}, {0x034f, 0x034f},
	{0x06dd, 0x06dd}, {0x070f, 0x070f}, {0x1806, 0x1806},
	{0x180b, 0x180e}, {0x200b, 0x200f}, {0x202a, 0x202e},
	{0x2060, 0x2063}, {0x206a, 0x206f}, {0xfe00, 0xfe0f},
	{0xfeff, 0xfeff}, {0xfff9, 0xfffc}, {0x1d173, 0x1d17a},
	{0xe0001, 0xe0001}, {0xe0020, 0xe007f},
};

/*
 * RFC 4518 2.2: TAB, LF, VT, FF, CR and NEL, and every separator (Zs, Zl,
 * Zp), are mapped to SPACE.  Sorted, disjoint.
 */
static const struct cprange map_space[] = {
	{0x0009, 0x000d}, {0x0020, 0x0020}, {0x0085, 0x0085},
	{0x00a0, 0x00a0}, {0x1680, 0x1680}, {0x2000, 0x200a},
	{0x2028, 0x2029}, {0x202f, 0x202f}, {0x205f, 0x205f},
	{0x3000, 0x3000},
};

/*
 * Case folding (RFC 5280 7.1 step 2, RFC 3454 B.2) beyond ASCII: the code
 * points of U+00B5, U+00C0-024F, U+0345, U+0370-052F and U+1E00-1FFF
 * whose full case folding in Unicode 14 is one code point.  Each run maps
 * lo, lo + step, ... hi to itself plus delta; runs are sorted, do not
 * overlap, and no target is itself folded (so folding is idempotent).
 * Generated with Python's str.casefold().
 */
struct foldrun {
	uint16_t lo, hi;
	uint8_t step;
	int32_t delta;
};

static const struct foldrun fold_runs[] = {
	{0x00b5, 0x00b5, 1, 775}, {0x00c0, 0x00d6, 1, 32},
	{0x00d8, 0x00de, 1, 32}, {0x0100, 0x012e, 2, 1},
	{0x0132, 0x0136, 2, 1}, {0x0139, 0x0147, 2, 1},
	{0x014a, 0x0176, 2, 1}, {0x0178, 0x0178, 1, -121},
	{0x0179, 0x017d, 2, 1}, {0x017f, 0x017f, 1, -268},
	{0x0181, 0x0181, 1, 210}, {0x0182, 0x0184, 2, 1},
	{0x0186, 0x0186, 1, 206}, {0x0187, 0x0187, 1, 1},
	{0x0189, 0x018a, 1, 205}, {0x018b, 0x018b, 1, 1},
	{0x018e, 0x018e, 1, 79}, {0x018f, 0x018f, 1, 202},
	{0x0190, 0x0190, 1, 203}, {0x0191, 0x0191, 1, 1},
	{0x0193, 0x0193, 1, 205}, {0x0194, 0x0194, 1, 207},
	{0x0196, 0x0196, 1, 211}, {0x0197, 0x0197, 1, 209},
	{0x0198, 0x0198, 1, 1}, {0x019c, 0x019c, 1, 211},
	{0x019d, 0x019d, 1, 213}, {0x019f, 0x019f, 1, 214},
	{0x01a0, 0x01a4, 2, 1}, {0x01a6, 0x01a6, 1, 218},
	{0x01a7, 0x01a7, 1, 1}, {0x01a9, 0x01a9, 1, 218},
	{0x01ac, 0x01ac, 1, 1}, {0x01ae, 0x01ae, 1, 218},
	{0x01af, 0x01af, 1, 1}, {0x01b1, 0x01b2, 1, 217},
	{0x01b3, 0x01b5, 2, 1}, {0x01b7, 0x01b7, 1, 219},
	{0x01b8, 0x01b8, 1, 1}, {0x01bc, 0x01bc, 1, 1},
	{0x01c4, 0x01c4, 1, 2}, {0x01c5, 0x01c5, 1, 1},
	{0x01c7, 0x01c7, 1, 2}, {0x01c8, 0x01c8, 1, 1},
	{0x01ca, 0x01ca, 1, 2}, {0x01cb, 0x01db, 2, 1},
	{0x01de, 0x01ee, 2, 1}, {0x01f1, 0x01f1, 1, 2},
	{0x01f2, 0x01f4, 2, 1}, {0x01f6, 0x01f6, 1, -97},
	{0x01f7, 0x01f7, 1, -56}, {0x01f8, 0x021e, 2, 1},
	{0x0220, 0x0220, 1, -130}, {0x0222, 0x0232, 2, 1},
	{0x023a, 0x023a, 1, 10795}, {0x023b, 0x023b, 1, 1},
	{0x023d, 0x023d, 1, -163}, {0x023e, 0x023e, 1, 10792},
	{0x0241, 0x0241, 1, 1}, {0x0243, 0x0243, 1, -195},
	{0x0244, 0x0244, 1, 69}, {0x0245, 0x0245, 1, 71},
	{0x0246, 0x024e, 2, 1}, {0x0345, 0x0345, 1, 116},
	{0x0370, 0x0372, 2, 1}, {0x0376, 0x0376, 1, 1},
	{0x037f, 0x037f, 1, 116}, {0x0386, 0x0386, 1, 38},
	{0x0388, 0x038a, 1, 37}, {0x038c, 0x038c, 1, 64},
	{0x038e, 0x038f, 1, 63}, {0x0391, 0x03a1, 1, 32},
	{0x03a3, 0x03ab, 1, 32}, {0x03c2, 0x03c2, 1, 1},
	{0x03cf, 0x03cf, 1, 8}, {0x03d0, 0x03d0, 1, -30},
	{0x03d1, 0x03d1, 1, -25}, {0x03d5, 0x03d5, 1, -15},
	{0x03d6, 0x03d6, 1, -22}, {0x03d8, 0x03ee, 2, 1},
	{0x03f0, 0x03f0, 1, -54}, {0x03f1, 0x03f1, 1, -48},
	{0x03f4, 0x03f4, 1, -60}, {0x03f5, 0x03f5, 1, -64},
	{0x03f7, 0x03f7, 1, 1}, {0x03f9, 0x03f9, 1, -7},
	{0x03fa, 0x03fa, 1, 1}, {0x03fd, 0x03ff, 1, -130},
	{0x0400, 0x040f, 1, 80}, {0x0410, 0x042f, 1, 32},
	{0x0460, 0x0480, 2, 1}, {0x048a, 0x04be, 2, 1},
	{0x04c0, 0x04c0, 1, 15}, {0x04c1, 0x04cd, 2, 1},
	{0x04d0, 0x052e, 2, 1}, {0x1e00, 0x1e94, 2, 1},
	{0x1e9b, 0x1e9b, 1, -58}, {0x1ea0, 0x1efe, 2, 1},
	{0x1f08, 0x1f0f, 1, -8}, {0x1f18, 0x1f1d, 1, -8},
	{0x1f28, 0x1f2f, 1, -8}, {0x1f38, 0x1f3f, 1, -8},
	{0x1f48, 0x1f4d, 1, -8}, {0x1f59, 0x1f5f, 2, -8},
	{0x1f68, 0x1f6f, 1, -8}, {0x1fb8, 0x1fb9, 1, -8},
	{0x1fba, 0x1fbb, 1, -74}, {0x1fbe, 0x1fbe, 1, -7173},
	{0x1fc8, 0x1fcb, 1, -86}, {0x1fd8, 0x1fd9, 1, -8},
	{0x1fda, 0x1fdb, 1, -100}, {0x1fe8, 0x1fe9, 1, -8},
	{0x1fea, 0x1feb, 1, -112}, {0x1fec, 0x1fec, 1, -7},
	{0x1ff8, 0x1ff9, 1, -128}, {0x1ffa, 0x1ffb, 1, -126},
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static bool
in_ranges(uint32_t cp, const struct cprange *t, size_t n)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cp < t[mid].lo) {
			hi = mid;
		} else if (cp > t[mid].hi) {
			lo = mid + 1;
		} else {
			return true;
		}
	}
	return false;
}

static uint32_t
fold(uint32_t cp)
{
	size_t lo = 0, hi = NELEM(fold_runs);

	if (cp < 0x80) {
		return cp >= 'A' && cp <= 'Z' ? cp + ('a' - 'A') : cp;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct foldrun *r = &fold_runs[mid];

		if (cp < r->lo) {
			hi = mid;
		} else if (cp > r->hi) {
			lo = mid + 1;
		} else if ((cp - r->lo) % r->step == 0) {
			return (uint32_t)((int32_t)cp + r->delta);
		} else {
			return cp;
		}
	}
	return cp;
}

/*
 * RFC 4518 2.4: private use code points, non-characters, surrogates and
 * U+FFFD REPLACEMENT CHARACTER are prohibited.  Surrogates never get here
 * (they are invalid encodings in every kind).
 */
static bool
prohibited(uint32_t cp)
{
	return (cp >= 0xe000 && cp <= 0xf8ff) ||
	    (cp >= 0xfdd0 && cp <= 0xfdef) || cp == 0xfffd ||
	    (cp & 0xfffe) == 0xfffe || cp >= 0xf0000;
}

static bool
is_surrogate(uint32_t cp)
{
	return cp >= 0xd800 && cp <= 0xdfff;
}

/*
 * Reads one code point of kind k from s into *cp.  False for an invalid
 * encoding: UTF-8 that is overlong, truncated, a surrogate or above
 * U+10FFFF (RFC 3629 3); a byte over 0x7f in a 7-bit kind; a surrogate or
 * a short tail in a BMPString (UCS-2, not UTF-16) or a UniversalString.
 */
static bool
next_cp(struct tk_der *s, enum kind k, uint32_t *cp)
{
	const unsigned char *p = s->p;
	size_t len = 0;
	uint32_t c = 0, min = 0;

	switch (k) {
	case K_ASCII:
		if (p[0] > 0x7f) {
			return false;
		}
		c = p[0];
		len = 1;
		break;
	case K_LATIN1:
		c = p[0];
		len = 1;
		break;
	case K_UCS2:
		if (s->n < 2) {
			return false;
		}
		c = (uint32_t)p[0] << 8 | p[1];
		len = 2;
		break;
	case K_UCS4:
		if (s->n < 4) {
			return false;
		}
		c = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		    (uint32_t)p[2] << 8 | p[3];
		len = 4;
		break;
	case K_UTF8:
		if (p[0] < 0x80) {
			c = p[0];
			len = 1;
			min = 0;
		} else if (p[0] >= 0xc2 && p[0] <= 0xdf) {
			c = p[0] & 0x1fu;
			len = 2;
			min = 0x80;
		} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
			c = p[0] & 0x0fu;
			len = 3;
			min = 0x800;
		} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
			c = p[0] & 0x07u;
			len = 4;
			min = 0x10000;
		} else {
			return false;
		}
		if (s->n < len) {
			return false;
		}
		for (size_t i = 1; i < len; i++) {
			if ((p[i] & 0xc0) != 0x80) {
				return false;
			}
			c = c << 6 | (p[i] & 0x3fu);
		}
		if (c < min) {
			return false;
		}
		break;
	case K_NONE:
		return false;
	}
	if (c > 0x10ffff || is_surrogate(c)) {
		return false;
	}
	s->p += len;
	s->n -= len;
	*cp = c;
	return true;
}

/* UTF-8 of cp (at most U+10FFFF) into out when not NULL; its length. */
static size_t
put_utf8(unsigned char *out, uint32_t cp)
{
	unsigned char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (unsigned char)(0xc0 | cp >> 6);
		b[1] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (unsigned char)(0xe0 | cp >> 12);
		b[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		b[2] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (unsigned char)(0xf0 | cp >> 18);
		b[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
		b[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		b[3] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	if (out != NULL) {
		memcpy(out, b, n);
	}
	return n;
}

/*
 * RFC 4518 string preparation (as dn.h lists it) of the contents s of a
 * string of kind k, written as UTF-8 to out when out is not NULL.
 * Returns the prepared length, or -1 when s is an invalid encoding or
 * holds a prohibited code point: the value is then compared raw.  The
 * caller measures first (out == NULL), then writes.
 */
static ssize_t
prep(struct tk_der s, enum kind k, unsigned char *out)
{
	size_t len = 0;
	bool started = false, space = false;
	uint32_t cp;

	while (s.n > 0) {
		if (!next_cp(&s, k, &cp)) {
			return -1;
		}
		if (cp > 0x20 && cp < 0x7f) {
			/* the common case: printable ASCII, only folded */
			cp = fold(cp);
		} else if (in_ranges(cp, map_nothing, NELEM(map_nothing))) {
			continue;
		} else if (in_ranges(cp, map_space, NELEM(map_space))) {
			/* RFC 4518 2.6.1: no leading, trailing or repeated
			 * spaces */
			space = started;
			continue;
		} else {
			cp = fold(cp);
			if (prohibited(cp)) {
				return -1;
			}
		}
		if (space) {
			if (out != NULL) {
				out[len] = ' ';
			}
			len++;
			space = false;
		}
		len += put_utf8(out != NULL ? out + len : NULL, cp);
		started = true;
	}
	return (ssize_t)len;
}

static enum kind
string_kind(unsigned char tag)
{
	switch (tag) {
	case 0x0c:
		return K_UTF8;
	case 0x13:  /* PrintableString */
	case 0x16:  /* IA5String: emailAddress, domainComponent */
	case 0x1a:  /* VisibleString */
		return K_ASCII;
	case 0x14:
		return K_LATIN1;
	case 0x1c:
		return K_UCS4;
	case 0x1e:
		return K_UCS2;
	default:
		return K_NONE;
	}
}

/*
 * Checks that in is a run of well-formed TLVs at nesting depth depth,
 * constructed ones recursively.  The recursion stops at TK_DN_MAX_DEPTH.
 */
static bool
check_tlvs(struct tk_der in, unsigned depth)
{
	unsigned char tag;
	struct tk_der v;

	while (in.n > 0) {
		if (depth > TK_DN_MAX_DEPTH ||
		    !tk_der_get_strict(&in, &tag, &v, NULL)) {
			return false;
		}
		if ((tag & 0x20) != 0 && !check_tlvs(v, depth + 1)) {
			return false;
		}
	}
	return true;
}

static bool
w_put(struct wr *w, const unsigned char *p, size_t n)
{
	if (w->cap - w->pos < n) {
		return false;
	}
	if (w->out != NULL) {
		memcpy(w->out + w->pos, p, n);
	}
	w->pos += n;
	return true;
}

/* Puts a DER tag and length in front of w->out[start..pos). */
static bool
w_wrap(struct wr *w, size_t start, unsigned char tag)
{
	size_t len = w->pos - start, hl;
	unsigned char h[4];

	h[0] = tag;
	if (len < 0x80) {
		h[1] = (unsigned char)len;
		hl = 2;
	} else if (len <= 0xff) {
		h[1] = 0x81;
		h[2] = (unsigned char)len;
		hl = 3;
	} else if (len <= 0xffff) {
		h[1] = 0x82;
		h[2] = (unsigned char)(len >> 8);
		h[3] = (unsigned char)(len & 0xff);
		hl = 4;
	} else {
		return false;
	}
	if (w->cap - w->pos < hl) {
		return false;
	}
	if (w->out != NULL) {
		memmove(w->out + start + hl, w->out + start, len);
		memcpy(w->out + start, h, hl);
	}
	w->pos += hl;
	return true;
}

/* Byte order, the shorter first on a common prefix: a total order. */
static int
bytes_cmp(const unsigned char *a, size_t an, const unsigned char *b,
    size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);

	if (c != 0) {
		return c;
	}
	return an < bn ? -1 : an > bn ? 1 : 0;
}

static void
reverse(unsigned char *p, size_t n)
{
	for (size_t i = 0, j = n; i + 1 < j; i++, j--) {
		unsigned char t = p[i];

		p[i] = p[j - 1];
		p[j - 1] = t;
	}
}

/*
 * base holds k sorted attributes of lengths lens[0..k), then a new one of
 * length n: moves the new one to its place (by rotating the tail) and
 * records its length.  The order makes an RDN a canonical multiset.
 */
static void
insert_sorted(unsigned char *base, size_t *lens, size_t k, size_t n)
{
	size_t off = 0, total = 0, i;
	unsigned char *nw;

	for (i = 0; i < k; i++) {
		total += lens[i];
	}
	nw = base + total;
	for (i = 0; i < k; i++) {
		if (bytes_cmp(nw, n, base + off, lens[i]) < 0) {
			break;
		}
		off += lens[i];
	}
	if (i < k) {
		/* rotate base[off..total + n) right by n */
		reverse(base + off, total - off + n);
		reverse(base + off, n);
		reverse(base + off + n, total - off);
		memmove(lens + i + 1, lens + i, (k - i) * sizeof(*lens));
	}
	lens[i] = n;
}

/*
 * AttributeTypeAndValue ::= SEQUENCE { type OID, value ANY } (RFC 5280
 * 4.1.2.4), contents a.  Writes SEQUENCE { type, prepared value as a
 * UTF8String, or the value's TLV as it was }.
 */
static bool
ava(struct tk_der a, struct wr *w)
{
	struct tk_der type, type_all, val, val_all;
	unsigned char tag;
	size_t start, vstart;
	enum kind k;
	ssize_t plen = -1;

	if (!tk_der_get_strict(&a, &tag, &type, &type_all) || tag != 0x06 ||
	    !tk_der_oid_ok(type)) {
		return false;
	}
	/* the AVA at depth 3, its value at 4 */
	if (!tk_der_get_strict(&a, &tag, &val, &val_all) || a.n != 0) {
		return false;
	}
	if ((tag & 0x20) != 0 && !check_tlvs(val, 5)) {
		return false;
	}
	start = w->pos;
	if (!w_put(w, type_all.p, type_all.n)) {
		return false;
	}
	k = string_kind(tag);
	if (k != K_NONE) {
		plen = prep(val, k, NULL);
	}
	if (plen < 0) {
		/* not a string, or one that cannot be prepared */
		if (!w_put(w, val_all.p, val_all.n)) {
			return false;
		}
	} else {
		vstart = w->pos;
		if (w->cap - w->pos < (size_t)plen) {
			return false;
		}
		if (w->out != NULL) {
			prep(val, k, w->out + w->pos);
		}
		w->pos += (size_t)plen;
		if (!w_wrap(w, vstart, 0x0c)) {
			return false;
		}
	}
	return w_wrap(w, start, 0x30);
}

/*
 * RelativeDistinguishedName ::= SET SIZE (1..MAX) OF
 * AttributeTypeAndValue, contents r.  Writes the SET with its attributes
 * sorted by their canonical bytes.
 */
static bool
rdn(struct tk_der r, struct wr *w)
{
	size_t lens[TK_DN_MAX_AVAS], k = 0, start = w->pos, astart;
	unsigned char tag;
	struct tk_der a;

	if (r.n == 0) {
		return false;
	}
	while (r.n > 0) {
		if (k == TK_DN_MAX_AVAS) {
			return false;
		}
		astart = w->pos;
		if (!tk_der_get_strict(&r, &tag, &a, NULL) || tag != 0x30 ||
		    !ava(a, w)) {
			return false;
		}
		if (w->out != NULL) {
			insert_sorted(w->out + start, lens, k, w->pos - astart);
		}
		k++;
	}
	return w_wrap(w, start, 0x31);
}

/*
 * Name ::= SEQUENCE OF RelativeDistinguishedName (RFC 5280 4.1.2.4), the
 * whole of der[0..n).  Checks it, measures its canonical form against
 * w->cap and, when w->out is not NULL, writes it.  Returns the number of
 * RDNs, or -1.
 */
static int
walk(const unsigned char *der, size_t n, struct wr *w)
{
	struct tk_der in, seq, r;
	unsigned char tag;
	int count = 0;

	if (der == NULL || n > TK_DN_DER_MAX) {
		return -1;
	}
	in.p = der;
	in.n = n;
	if (!tk_der_get_strict(&in, &tag, &seq, NULL) || tag != 0x30 ||
	    in.n != 0) {
		return -1;
	}
	while (seq.n > 0) {
		if (count == TK_DN_MAX_RDNS) {
			return -1;
		}
		if (!tk_der_get_strict(&seq, &tag, &r, NULL) || tag != 0x31 ||
		    !rdn(r, w)) {
			return -1;
		}
		count++;
	}
	if (!w_wrap(w, 0, 0x30)) {
		return -1;
	}
	return count;
}

ssize_t
tk_dn_canon(const unsigned char *der, size_t n, unsigned char *out,
    size_t cap)
{
	struct wr w = {out, cap < TK_DN_CANON_MAX ? cap : TK_DN_CANON_MAX, 0};

	if (out == NULL || walk(der, n, &w) < 0) {
		return -1;
	}
	return (ssize_t)w.pos;
}

int
tk_dn_count_rdns(const unsigned char *der, size_t n)
{
	struct wr w = {NULL, TK_DN_CANON_MAX, 0};

	return walk(der, n, &w);
}

bool
tk_dn_equal(const unsigned char *a, size_t an, const unsigned char *b,
    size_t bn)
{
	unsigned char ca[TK_DN_CANON_MAX], cb[TK_DN_CANON_MAX];
	ssize_t la, lb;

	la = tk_dn_canon(a, an, ca, sizeof(ca));
	if (la < 0) {
		return false;
	}
	lb = tk_dn_canon(b, bn, cb, sizeof(cb));
	return la == lb && memcmp(ca, cb, (size_t)la) == 0;
}

int
tk_dn_canon_subtree(const unsigned char *cname, size_t cn,
    const unsigned char *cbase, size_t cbn)
{
	struct tk_der in, rn, rb;
	unsigned char tag;

	if (cname == NULL || cbase == NULL) {
		return -1;
	}
	in.p = cname;
	in.n = cn;
	if (!tk_der_get_strict(&in, &tag, &rn, NULL) || tag != 0x30 ||
	    in.n != 0) {
		return -1;
	}
	in.p = cbase;
	in.n = cbn;
	if (!tk_der_get_strict(&in, &tag, &rb, NULL) || tag != 0x30 ||
	    in.n != 0) {
		return -1;
	}
	/*
	 * The contents are the canonical RDNs one after the other, and equal
	 * RDNs have equal canonical bytes: base's RDNs are a prefix of
	 * name's iff its contents are a prefix of name's (the TLV headers in
	 * the common prefix fix the RDN boundaries).
	 */
	return rb.n <= rn.n && memcmp(rb.p, rn.p, rb.n) == 0 ? 1 : 0;
}

int
tk_dn_subtree(const unsigned char *name, size_t nn,
    const unsigned char *base, size_t bn)
{
	unsigned char cn[TK_DN_CANON_MAX], cb[TK_DN_CANON_MAX];
	ssize_t ln, lb;

	ln = tk_dn_canon(name, nn, cn, sizeof(cn));
	lb = tk_dn_canon(base, bn, cb, sizeof(cb));
	if (ln < 0 || lb < 0) {
		return -1;
	}
	return tk_dn_canon_subtree(cn, (size_t)ln, cb, (size_t)lb);
}

bool
tk_dn_within(const unsigned char *name, size_t nn,
    const unsigned char *base, size_t bn)
{
	return tk_dn_subtree(name, nn, base, bn) == 1;
}
