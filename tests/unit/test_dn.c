/*
 * Unit tests for lib/dn.h: RFC 5280 7.1 comparison of distinguished names
 * (string kinds, case, spaces, multi-valued RDNs, raw values), the
 * directoryName subtree check of RFC 5280 4.2.1.10, the canonical form,
 * and hostile DER (truncated, bad lengths, indefinite length, trailing
 * bytes, too deep, too many RDNs or attributes, too long).
 *
 * Names are written in a small notation and turned into DER here:
 *   RDNs separated by '/', attributes of one RDN by '+', each attribute
 *   TYPE=K:VALUE.  TYPE is CN, SN (serialNumber), C, L, O, OU, E
 *   (emailAddress) or DC.  K is the value's kind: P PrintableString, U
 *   UTF8String, T TeletexString, I IA5String, V VisibleString (the bytes
 *   as written), B BMPString, S UniversalString (the UTF-8 written is
 *   transcoded), or X: VALUE is the hex of a whole TLV.  In VALUE, \xHH is
 *   a byte and \/ \+ \\ stand for themselves.  "" is the empty Name.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "dn.h"

#include "tk_test.h"

#define BUF_MAX 16384

struct buf {
	unsigned char b[BUF_MAX];
	size_t n;
	bool bad;       /* the notation did not parse, or overflowed */
};

static struct buf *
buf_new(void)
{
	struct buf *b = calloc(1, sizeof(*b));

	if (b == NULL) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	return b;
}

static void
put(struct buf *o, const unsigned char *p, size_t n)
{
	if (o->bad || BUF_MAX - o->n < n) {
		o->bad = true;
		return;
	}
	if (n > 0) {
		memcpy(o->b + o->n, p, n);
	}
	o->n += n;
}

/* A DER TLV of tag and contents p[0..n). */
static void
put_tlv(struct buf *o, unsigned char tag, const unsigned char *p, size_t n)
{
	unsigned char h[4] = {tag, 0, 0, 0};
	size_t hl = 2;

	if (n < 0x80) {
		h[1] = (unsigned char)n;
	} else if (n <= 0xff) {
		h[1] = 0x81;
		h[2] = (unsigned char)n;
		hl = 3;
	} else {
		h[1] = 0x82;
		h[2] = (unsigned char)(n >> 8);
		h[3] = (unsigned char)n;
		hl = 4;
	}
	put(o, h, hl);
	put(o, p, n);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	if (c >= 'a' && c <= 'f') {
		return c - 'a' + 10;
	}
	if (c >= 'A' && c <= 'F') {
		return c - 'A' + 10;
	}
	return -1;
}

/* Hex text s[0..n) (spaces ignored) into o. */
static void
put_hex(struct buf *o, const char *s, size_t n)
{
	int hi = -1;

	for (size_t i = 0; i < n; i++) {
		int v = hexval(s[i]);
		unsigned char c;

		if (s[i] == ' ') {
			continue;
		}
		if (v < 0) {
			o->bad = true;
			return;
		}
		if (hi < 0) {
			hi = v;
			continue;
		}
		c = (unsigned char)(hi << 4 | v);
		put(o, &c, 1);
		hi = -1;
	}
	if (hi >= 0) {
		o->bad = true;
	}
}

static const struct {
	const char *name;
	const char *oid;    /* DER contents, hex */
} types[] = {
	{"CN", "550403"},
	{"SN", "550405"},
	{"C", "550406"},
	{"L", "550407"},
	{"O", "55040a"},
	{"OU", "55040b"},
	{"E", "2a864886f70d010901"},
	{"DC", "0992268993f22c640119"},
};

/*
 * The UTF-8 in s[0..n) as UCS-2 (width 2) or UCS-4 (width 4), big-endian.
 * Only for well-formed test text.
 */
static void
put_ucs(struct buf *o, const unsigned char *s, size_t n, size_t width)
{
	for (size_t i = 0; i < n;) {
		uint32_t c = s[i];
		size_t len = 1;
		unsigned char b[4];

		if (c >= 0xf0) {
			c &= 0x07;
			len = 4;
		} else if (c >= 0xe0) {
			c &= 0x0f;
			len = 3;
		} else if (c >= 0xc0) {
			c &= 0x1f;
			len = 2;
		}
		for (size_t k = 1; k < len && i + k < n; k++) {
			c = c << 6 | (s[i + k] & 0x3fu);
		}
		i += len;
		b[0] = (unsigned char)(c >> 24);
		b[1] = (unsigned char)(c >> 16);
		b[2] = (unsigned char)(c >> 8);
		b[3] = (unsigned char)c;
		put(o, b + 4 - width, width);
	}
}

/* The next unescaped c in [p, e), or e. */
static const char *
find_sep(const char *p, const char *e, char c)
{
	while (p < e && *p != c) {
		p += *p == '\\' && p + 1 < e ? 2 : 1;
	}
	return p < e ? p : e;
}

/* One attribute, "TYPE=K:VALUE" in [p, e), into o as a whole TLV. */
static void
put_ava(struct buf *o, const char *p, const char *e)
{
	struct buf *a = buf_new(), *v = buf_new(), *t = buf_new();
	const char *eq = memchr(p, '=', (size_t)(e - p));
	const char *s;
	unsigned char tag;
	size_t i;

	if (eq == NULL || e - eq < 3 || eq[2] != ':') {
		o->bad = true;
		goto out;
	}
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (strlen(types[i].name) == (size_t)(eq - p) &&
		    memcmp(types[i].name, p, (size_t)(eq - p)) == 0) {
			put_hex(t, types[i].oid, strlen(types[i].oid));
			break;
		}
	}
	if (t->n == 0) {
		o->bad = true;
		goto out;
	}
	put_tlv(a, 0x06, t->b, t->n);
	t->n = 0;
	s = eq + 3;
	if (eq[1] == 'X') {
		put_hex(a, s, (size_t)(e - s));
		goto wrap;
	}
	while (s < e) {
		unsigned char c = (unsigned char)*s++;

		if (c == '\\' && s < e && *s == 'x' && e - s >= 3) {
			put_hex(v, s + 1, 2);
			s += 3;
			continue;
		}
		if (c == '\\' && s < e) {
			c = (unsigned char)*s++;
		}
		put(v, &c, 1);
	}
	switch (eq[1]) {
	case 'P':
		tag = 0x13;
		break;
	case 'U':
		tag = 0x0c;
		break;
	case 'T':
		tag = 0x14;
		break;
	case 'I':
		tag = 0x16;
		break;
	case 'V':
		tag = 0x1a;
		break;
	case 'B':
		put_ucs(t, v->b, v->n, 2);
		tag = 0x1e;
		break;
	case 'S':
		put_ucs(t, v->b, v->n, 4);
		tag = 0x1c;
		break;
	default:
		o->bad = true;
		goto out;
	}
	if (tag == 0x1e || tag == 0x1c) {
		put_tlv(a, tag, t->b, t->n);
	} else {
		put_tlv(a, tag, v->b, v->n);
	}
wrap:
	put_tlv(o, 0x30, a->b, a->n);
	o->bad = o->bad || a->bad || v->bad || t->bad;
out:
	free(a);
	free(v);
	free(t);
}

/* The DER Name for spec, in o (o->bad if the notation is wrong). */
static void
build(struct buf *o, const char *spec)
{
	struct buf *nc = buf_new(), *r = buf_new();
	const char *p = spec, *e = spec + strlen(spec);

	o->n = 0;
	o->bad = false;
	while (p < e) {
		const char *re = find_sep(p, e, '/');

		r->n = 0;
		while (p < re) {
			const char *ae = find_sep(p, re, '+');

			put_ava(r, p, ae);
			p = ae < re ? ae + 1 : re;
		}
		put_tlv(nc, 0x31, r->b, r->n);
		nc->bad = nc->bad || r->bad;
		p = re < e ? re + 1 : e;
	}
	put_tlv(o, 0x30, nc->b, nc->n);
	o->bad = o->bad || nc->bad;
	free(nc);
	free(r);
}

static bool
same_bytes(const unsigned char *a, size_t an, const unsigned char *b,
    size_t bn)
{
	return an == bn && (an == 0 || memcmp(a, b, an) == 0);
}

/*
 * What must hold of every well-formed name: the canonical form fits both
 * bounds, is itself well-formed with the same RDN count, is its own
 * canonical form, and the name is equal to and within itself.
 */
static void
check_props(const struct buf *x)
{
	unsigned char *c1 = malloc(TK_DN_CANON_MAX);
	unsigned char *c2 = malloc(TK_DN_CANON_MAX);
	ssize_t l1, l2;
	int count = tk_dn_count_rdns(x->b, x->n);

	if (c1 == NULL || c2 == NULL) {
		exit(1);
	}
	l1 = tk_dn_canon(x->b, x->n, c1, TK_DN_CANON_MAX);
	EXPECT_TRUE(count >= 0);
	EXPECT_TRUE(l1 > 0);
	if (l1 > 0) {
		EXPECT_TRUE((size_t)l1 <= 2 * x->n);
		EXPECT_TRUE((size_t)l1 <= TK_DN_CANON_MAX);
		EXPECT_EQ_INT(tk_dn_count_rdns(c1, (size_t)l1), count);
		l2 = tk_dn_canon(c1, (size_t)l1, c2, TK_DN_CANON_MAX);
		EXPECT_TRUE(l2 == l1 &&
		    same_bytes(c1, (size_t)l1, c2, (size_t)l2));
		EXPECT_TRUE(tk_dn_equal(x->b, x->n, c1, (size_t)l1));
	}
	EXPECT_TRUE(tk_dn_equal(x->b, x->n, x->b, x->n));
	EXPECT_EQ_INT(tk_dn_subtree(x->b, x->n, x->b, x->n), 1);
	free(c1);
	free(c2);
}

/* ---- equality (RFC 5280 7.1) ---------------------------------------- */

static const struct eq_case {
	const char *name;
	const char *a, *b;
	bool equal;
} eq_cases[] = {
	{"byte-identical", "C=P:DE/O=P:Example/CN=P:Example CA",
	    "C=P:DE/O=P:Example/CN=P:Example CA", true},
	{"PrintableString = UTF8String", "CN=P:Example CA",
	    "CN=U:Example CA", true},
	{"case", "CN=U:Example CA", "CN=P:eXAMPLE ca", true},
	{"country case", "C=P:de", "C=P:DE", true},
	{"leading and trailing spaces", "CN=U:   Example CA  ",
	    "CN=P:Example CA", true},
	{"inner run of spaces", "CN=U:Example     CA", "CN=U:Example CA",
	    true},
	{"tab, CR, LF are spaces", "CN=U:Example\\x09\\x0d\\x0aCA",
	    "CN=U:Example CA", true},
	{"no-break space is a space", "CN=U:Example\\xc2\\xa0CA",
	    "CN=U:Example CA", true},
	{"soft hyphen mapped to nothing", "CN=U:Exam\\xc2\\xadple",
	    "CN=U:Example", true},
	{"control mapped to nothing", "CN=P:Exam\\x00ple", "CN=P:Example",
	    true},
	{"all spaces = empty", "CN=U:    ", "CN=P:", true},
	{"space inside a word is not insignificant", "CN=U:Exam ple",
	    "CN=U:Example", false},
	{"different text", "CN=U:Example CA", "CN=U:Example CB", false},
	{"different attribute type", "CN=U:Example", "O=U:Example", false},
	{"RDN order", "C=P:DE/O=U:Example", "O=U:Example/C=P:DE", false},
	{"multi-valued RDN, other order", "CN=U:a+O=U:b+OU=U:c",
	    "OU=P:C+O=P:B+CN=U:A", true},
	{"multi-valued RDN vs two RDNs", "CN=U:a+O=U:b", "CN=U:a/O=U:b",
	    false},
	{"multiset, not set", "CN=U:a+CN=U:a", "CN=U:a+CN=U:b", false},
	{"different RDN count", "C=P:DE/O=U:Example", "C=P:DE", false},
	{"empty = empty", "", "", true},
	{"empty vs one RDN", "", "CN=U:a", false},
	{"BMPString = UTF8String", "CN=B:Example CA", "CN=U:example ca",
	    true},
	{"BMPString non-ASCII", "O=B:Gr\xc3\xbc\xc3\x9f Gott",
	    "O=U:GR\xc3\x9c\xc3\x9f GOTT", true},
	{"UniversalString vs 8-bit PrintableString", "CN=S:Caf\xc3\xa9",
	    "CN=P:CAF\\xc3\\x89", false},
	{"UniversalString = UTF8String, case", "CN=S:Caf\xc3\xa9",
	    "CN=U:CAF\xc3\x89", true},
	{"TeletexString as ISO 8859-1", "O=T:\\xc4rger AG",
	    "O=U:\xc3\xa4rger ag", true},
	{"IA5String = UTF8String", "E=I:Alice@Example.COM",
	    "E=U:alice@example.com", true},
	{"VisibleString = PrintableString", "CN=V:Example", "CN=P:EXAMPLE",
	    true},
	{"domainComponent case", "DC=I:Example/DC=I:COM",
	    "DC=I:example/DC=I:com", true},
	{"non-ASCII identical", "L=U:M\xc3\xbcnchen", "L=U:M\xc3\xbcnchen",
	    true},
	{"non-ASCII differing", "L=U:M\xc3\xbcnchen", "L=U:Munchen", false},
	{"Latin-1 case", "L=U:M\xc3\x9cNCHEN", "L=U:m\xc3\xbcnchen", true},
	{"Latin Extended-A case", "L=U:\xc5\x81\xc3\x93\x44\xc5\xb9",
	    "L=U:\xc5\x82\xc3\xb3\x64\xc5\xba", true},
	{"Greek case", "O=U:\xce\xa3\xce\x9f\xce\xa6\xce\x8a\xce\x91",
	    "O=U:\xcf\x83\xce\xbf\xcf\x86\xce\xaf\xce\xb1", true},
	{"Greek final sigma", "O=U:\xce\x9f\xce\x94\xce\x9f\xce\xa3",
	    "O=U:\xce\xbf\xce\xb4\xce\xbf\xcf\x82", true},
	{"Cyrillic case, BMPString",
	    "O=U:\xd0\x9f\xd0\xa0\xd0\x98\xd0\x9c\xd0\x95\xd0\xa0",
	    "O=B:\xd0\xbf\xd1\x80\xd0\xb8\xd0\xbc\xd0\xb5\xd1\x80", true},
	{"Vietnamese (Latin Extended Additional)", "O=U:\xe1\xba\xa0",
	    "O=U:\xe1\xba\xa1", true},
	{"not done: NFKC (decomposed vs precomposed)", "L=U:A\xcc\x88",
	    "L=U:\xc3\x84", false},
	{"not done: sharp s to ss", "L=U:STRASSE", "L=U:stra\xc3\x9f\x65",
	    false},
	{"invalid UTF-8, same bytes", "CN=U:\\xff\\xfeA", "CN=U:\\xff\\xfeA",
	    true},
	{"invalid UTF-8 compared raw", "CN=U:\\xff\\xfeA",
	    "CN=U:\\xff\\xfea", false},
	{"overlong UTF-8 is not ASCII", "CN=U:\\xc1\\x81", "CN=U:A", false},
	{"overlong 3-byte UTF-8", "CN=U:\\xe0\\x81\\x81", "CN=U:A", false},
	{"overlong 4-byte UTF-8", "CN=U:\\xf0\\x80\\x81\\x81", "CN=U:A",
	    false},
	{"truncated UTF-8", "CN=U:A\\xc3", "CN=U:a\\xc3", false},
	{"UTF-8 above U+10FFFF", "CN=U:\\xf4\\x90\\x80\\x80",
	    "CN=U:\\xf4\\x90\\x80\\x80", true},
	{"4-byte UTF-8 = UniversalString", "CN=U:X\\xf0\\x9f\\x94\\x92",
	    "CN=S:x\xf0\x9f\x94\x92", true},
	{"UTF-8 surrogate is invalid", "CN=U:\\xed\\xa0\\x80",
	    "CN=U:\\xed\\xa0\\x80", true},
	{"8-bit byte in PrintableString compared raw", "CN=P:\\xc4",
	    "CN=T:\\xc4", false},
	{"private use compared raw", "CN=U:\\xee\\x80\\x80A",
	    "CN=U:\\xee\\x80\\x80a", false},
	{"U+FFFD compared raw", "CN=U:\\xef\\xbf\\xbd", "CN=U:\\xef\\xbf\\xbd",
	    true},
	{"BMPString of odd size compared raw", "CN=X:1e03004100",
	    "CN=X:1e03004100", true},
	{"BMPString of odd size vs text", "CN=X:1e03004100", "CN=U:A",
	    false},
	{"BMPString surrogate compared raw", "CN=X:1e02d800", "CN=U:A",
	    false},
	{"UniversalString above U+10FFFF compared raw", "CN=X:1c0400110000",
	    "CN=X:1c0400110000", true},
	{"OCTET STRING raw, same", "CN=X:0403414243", "CN=X:0403414243",
	    true},
	{"OCTET STRING raw, case counts", "CN=X:0403414243",
	    "CN=X:0403616263", false},
	{"OCTET STRING vs UTF8String", "CN=X:0403616263", "CN=U:abc", false},
	{"SEQUENCE value raw", "CN=X:3003020101", "CN=X:3003020101", true},
	{"constructed UTF8String raw", "CN=X:2c030c0161", "CN=U:a", false},
};

static void
test_equal(void)
{
	struct buf *a = buf_new(), *b = buf_new();

	for (size_t i = 0; i < sizeof(eq_cases) / sizeof(eq_cases[0]); i++) {
		const struct eq_case *c = &eq_cases[i];

		TK_CASE(c->name);
		build(a, c->a);
		build(b, c->b);
		EXPECT_TRUE(!a->bad && !b->bad);
		EXPECT_EQ_INT(tk_dn_equal(a->b, a->n, b->b, b->n), c->equal);
		EXPECT_EQ_INT(tk_dn_equal(b->b, b->n, a->b, a->n), c->equal);
		/* equal names are within each other */
		if (c->equal) {
			EXPECT_EQ_INT(tk_dn_subtree(a->b, a->n, b->b, b->n),
			    1);
			EXPECT_EQ_INT(tk_dn_subtree(b->b, b->n, a->b, a->n),
			    1);
		}
		check_props(a);
		check_props(b);
	}
	TK_CASE(NULL);
	free(a);
	free(b);
}

/* ---- subtrees (RFC 5280 4.2.1.10) ----------------------------------- */

static const struct within_case {
	const char *name;
	const char *dn, *base;
	int want;
} within_cases[] = {
	{"prefix", "C=P:DE/O=U:Example/CN=U:host", "C=P:DE/O=U:Example", 1},
	{"equal", "C=P:DE/O=U:Example", "C=P:DE/O=U:Example", 1},
	{"longer base", "C=P:DE/O=U:Example",
	    "C=P:DE/O=U:Example/CN=U:host", 0},
	{"empty base", "C=P:DE/CN=U:x", "", 1},
	{"both empty", "", "", 1},
	{"empty name", "", "C=P:DE", 0},
	{"re-encoded: UTF8String name, PrintableString base",
	    "C=U:de/O=U:  example   CORP /CN=U:host",
	    "C=P:DE/O=P:Example Corp", 1},
	{"re-encoded: BMPString name", "C=B:DE/O=B:EXAMPLE CORP/CN=U:h",
	    "C=P:de/O=U:example corp", 1},
	{"re-encoded: TeletexString name", "O=T:\\xc4RGER AG/CN=U:h",
	    "O=U:\xc3\xa4rger ag", 1},
	{"other value", "C=P:DE/O=U:Other/CN=U:h", "C=P:DE/O=U:Example", 0},
	{"RDN order", "O=U:Example/C=P:DE", "C=P:DE/O=U:Example", 0},
	{"base RDN part of a multi-valued RDN", "O=U:a+OU=U:b/CN=U:c",
	    "O=U:a", 0},
	{"multi-valued RDN reordered", "OU=U:b+O=U:a/CN=U:c",
	    "O=P:A+OU=P:B", 1},
	{"value prefix is not an RDN prefix", "CN=U:example",
	    "CN=U:exam", 0},
	{"base RDN at another position", "C=P:DE/O=U:Example",
	    "O=U:Example", 0},
};

static void
test_within(void)
{
	struct buf *n = buf_new(), *b = buf_new();
	unsigned char cn[TK_DN_CANON_MAX], cb[TK_DN_CANON_MAX];
	ssize_t ln, lb;

	for (size_t i = 0;
	    i < sizeof(within_cases) / sizeof(within_cases[0]); i++) {
		const struct within_case *c = &within_cases[i];

		TK_CASE(c->name);
		build(n, c->dn);
		build(b, c->base);
		EXPECT_TRUE(!n->bad && !b->bad);
		EXPECT_EQ_INT(tk_dn_subtree(n->b, n->n, b->b, b->n), c->want);
		EXPECT_EQ_INT(tk_dn_within(n->b, n->n, b->b, b->n),
		    c->want == 1);
		/* the same on canonical forms */
		ln = tk_dn_canon(n->b, n->n, cn, sizeof(cn));
		lb = tk_dn_canon(b->b, b->n, cb, sizeof(cb));
		EXPECT_TRUE(ln > 0 && lb > 0);
		EXPECT_EQ_INT(tk_dn_canon_subtree(cn, (size_t)ln, cb,
		    (size_t)lb), c->want);
	}
	TK_CASE("tk_dn_canon_subtree, not a SEQUENCE");
	cn[0] = 0x30;
	cn[1] = 0x00;
	cn[2] = 0x00;
	EXPECT_EQ_INT(tk_dn_canon_subtree(cn, 2, cn, 2), 1);
	EXPECT_EQ_INT(tk_dn_canon_subtree(cn, 3, cn, 2), -1);
	EXPECT_EQ_INT(tk_dn_canon_subtree(cn, 2, cn, 1), -1);
	EXPECT_EQ_INT(tk_dn_canon_subtree(NULL, 0, cn, 2), -1);
	EXPECT_EQ_INT(tk_dn_canon_subtree(cn, 2, NULL, 0), -1);
	cn[0] = 0x31;
	EXPECT_EQ_INT(tk_dn_canon_subtree(cn, 2, cn, 2), -1);
	TK_CASE(NULL);
	free(n);
	free(b);
}

/* ---- counts and the canonical form ---------------------------------- */

static const struct canon_case {
	const char *name;
	const char *spec;
	int rdns;
	const char *canon;  /* hex */
} canon_cases[] = {
	{"empty", "", 0, "3000"},
	{"prepared PrintableString", "CN=P: Foo  Bar ", 1,
	    "30123110300e06035504030c07666f6f20626172"},
	{"sorted multi-valued RDN", "O=U:b+CN=U:a", 1,
	    "30163114300806035504030c0161300806035504 0a0c0162"},
	{"two RDNs kept in order", "O=U:b/CN=U:a", 2,
	    "3018310a300806035504 0a0c0162310a300806035504030c0161"},
	{"raw OCTET STRING", "CN=X:0403414243", 1,
	    "300e310c300a06035504030403414243"},
	{"invalid UTF-8 kept", "CN=U:\\xff", 1, "300c310a300806035504030c01ff"},
	{"TeletexString to UTF-8", "CN=T:\\xc4", 1,
	    "300d310b300906035504030c02c3a4"},
	{"BMPString to UTF-8", "CN=X:1e0400410042", 1,
	    "300d310b300906035504030c026162"},
	{"U+023A folds to a longer U+2C65", "CN=U:\xc8\xba", 1,
	    "300e310c300a06035504030c03e2b1a5"},
};

static void
test_canon(void)
{
	struct buf *x = buf_new(), *want = buf_new();
	unsigned char out[TK_DN_CANON_MAX];
	ssize_t len;

	for (size_t i = 0; i < sizeof(canon_cases) / sizeof(canon_cases[0]);
	    i++) {
		const struct canon_case *c = &canon_cases[i];

		TK_CASE(c->name);
		build(x, c->spec);
		want->n = 0;
		put_hex(want, c->canon, strlen(c->canon));
		EXPECT_TRUE(!x->bad && !want->bad);
		EXPECT_EQ_INT(tk_dn_count_rdns(x->b, x->n), c->rdns);
		len = tk_dn_canon(x->b, x->n, out, sizeof(out));
		EXPECT_EQ_INT(len, (long long)want->n);
		EXPECT_TRUE(len >= 0 && same_bytes(out, (size_t)len, want->b,
		    want->n));
		/* the exact size fits, one byte less does not */
		EXPECT_EQ_INT(tk_dn_canon(x->b, x->n, out, want->n),
		    (long long)want->n);
		EXPECT_EQ_INT(tk_dn_canon(x->b, x->n, out, want->n - 1), -1);
	}
	TK_CASE("NULL arguments");
	build(x, "CN=P:a");
	EXPECT_EQ_INT(tk_dn_canon(NULL, 0, out, sizeof(out)), -1);
	EXPECT_EQ_INT(tk_dn_canon(x->b, x->n, NULL, 0), -1);
	EXPECT_EQ_INT(tk_dn_count_rdns(NULL, 0), -1);
	EXPECT_TRUE(!tk_dn_equal(NULL, 0, x->b, x->n));
	EXPECT_TRUE(!tk_dn_equal(x->b, x->n, NULL, 0));
	EXPECT_EQ_INT(tk_dn_subtree(x->b, x->n, NULL, 0), -1);
	TK_CASE(NULL);
	free(x);
	free(want);
}

/* ---- malformed DER -------------------------------------------------- */

static const struct bad_case {
	const char *name;
	const char *hex;
} bad_cases[] = {
	{"no bytes", ""},
	{"one byte", "30"},
	{"truncated value", "300c310a300806035504031301"},
	{"truncated header", "300c310a3008060355040313"},
	{"Name length too long", "300d310a30080603550403130161"},
	{"RDN length past the Name", "300c310b30080603550403130161"},
	{"RDN length short", "300c310930080603550403130161"},
	{"value length past the AVA", "300c310a30080603550403130261"},
	{"indefinite length", "3080310a3008060355040313016100 00"},
	{"indefinite RDN", "300e3180300806035504031301610000"},
	{"trailing bytes", "300c310a3008060355040313016100"},
	{"length not in shortest form", "30810c310a30080603550403130161"},
	{"two-byte length with a leading zero",
	    "3082000c310a30080603550403130161"},
	{"three-byte length", "3083000010"},
	{"reserved length byte", "30ff"},
	{"not a SEQUENCE", "310c310a30080603550403130161"},
	{"RDN not a SET", "300c300a30080603550403130161"},
	{"empty RDN", "30023100"},
	{"AVA not a SEQUENCE", "300c310a31080603550403130161"},
	{"AVA without a value", "30093107300506035504 03"},
	{"AVA with a third element", "300e310c300a060355040313016105 00"},
	{"attribute type not an OID", "300c310a30080203550403130161"},
	{"empty OID", "300931073005060013016 1"},
	{"OID ends mid sub-identifier", "300c310a30080603550483130161"},
	{"OID sub-identifier with a leading 0x80",
	    "300c310a30080603800403130161"},
	{"high tag number value", "300d310b300906035504031f0a0161"},
	{"broken TLV inside a SEQUENCE value",
	    "300e310c300a06035504033003020500"},
	{"trailing partial TLV", "3000 30"},
};

static void
bad_everywhere(const char *name, const struct buf *x)
{
	struct buf *ok = buf_new();
	unsigned char out[TK_DN_CANON_MAX];

	TK_CASE(name);
	build(ok, "C=P:DE");
	EXPECT_TRUE(!x->bad);
	EXPECT_EQ_INT(tk_dn_count_rdns(x->b, x->n), -1);
	EXPECT_EQ_INT(tk_dn_canon(x->b, x->n, out, sizeof(out)), -1);
	EXPECT_TRUE(!tk_dn_equal(x->b, x->n, x->b, x->n));
	EXPECT_TRUE(!tk_dn_equal(x->b, x->n, ok->b, ok->n));
	EXPECT_EQ_INT(tk_dn_subtree(x->b, x->n, ok->b, ok->n), -1);
	EXPECT_EQ_INT(tk_dn_subtree(ok->b, ok->n, x->b, x->n), -1);
	EXPECT_EQ_INT(tk_dn_subtree(x->b, x->n, x->b, x->n), -1);
	EXPECT_TRUE(!tk_dn_within(x->b, x->n, ok->b, ok->n));
	EXPECT_TRUE(!tk_dn_within(ok->b, ok->n, x->b, x->n));
	free(ok);
}

static void
test_malformed(void)
{
	struct buf *x = buf_new();

	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]);
	    i++) {
		x->n = 0;
		x->bad = false;
		put_hex(x, bad_cases[i].hex, strlen(bad_cases[i].hex));
		bad_everywhere(bad_cases[i].name, x);
	}
	TK_CASE(NULL);
	free(x);
}

/* ---- bounds --------------------------------------------------------- */

/* "CN=P:a/CN=P:a/..." (sep '/') or "CN=P:a+CN=P:a+..." (sep '+'). */
static void
build_repeat(struct buf *o, size_t n, char sep)
{
	char *spec = malloc(n * 7 + 1);
	size_t len = 0;

	if (spec == NULL) {
		exit(1);
	}
	for (size_t i = 0; i < n; i++) {
		if (i > 0) {
			spec[len++] = sep;
		}
		memcpy(spec + len, "CN=P:a", 6);
		len += 6;
	}
	spec[len] = '\0';
	build(o, spec);
	free(spec);
}

/* CN=X:<k nested SEQUENCEs, the innermost empty>. */
static void
build_deep(struct buf *o, size_t k)
{
	struct buf *v = buf_new(), *t = buf_new(), *a = buf_new();
	struct buf *r = buf_new(), *nc = buf_new();
	static const unsigned char cn[] = {0x55, 0x04, 0x03};

	for (size_t i = 0; i < k; i++) {
		t->n = 0;
		put_tlv(t, 0x30, v->b, v->n);
		v->n = 0;
		put(v, t->b, t->n);
	}
	put_tlv(a, 0x06, cn, sizeof(cn));
	put(a, v->b, v->n);
	put_tlv(r, 0x30, a->b, a->n);
	put_tlv(nc, 0x31, r->b, r->n);
	o->n = 0;
	o->bad = false;
	put_tlv(o, 0x30, nc->b, nc->n);
	free(v);
	free(t);
	free(a);
	free(r);
	free(nc);
}

/* CN=<tag>:<n bytes of c>: a Name of n + 21 bytes when n >= 256. */
static void
build_long(struct buf *o, unsigned char tag, size_t n, unsigned char c)
{
	struct buf *v = buf_new(), *a = buf_new(), *r = buf_new();
	struct buf *nc = buf_new();
	static const unsigned char cn[] = {0x55, 0x04, 0x03};

	for (size_t i = 0; i < n; i++) {
		put(v, &c, 1);
	}
	put_tlv(a, 0x06, cn, sizeof(cn));
	put_tlv(a, tag, v->b, v->n);
	put_tlv(r, 0x30, a->b, a->n);
	put_tlv(nc, 0x31, r->b, r->n);
	o->n = 0;
	o->bad = false;
	put_tlv(o, 0x30, nc->b, nc->n);
	free(v);
	free(a);
	free(r);
	free(nc);
}

static void
test_bounds(void)
{
	struct buf *x = buf_new(), *y = buf_new();
	unsigned char out[TK_DN_CANON_MAX];
	ssize_t len;

	TK_CASE("256 RDNs");
	build_repeat(x, TK_DN_MAX_RDNS, '/');
	EXPECT_EQ_INT(tk_dn_count_rdns(x->b, x->n), TK_DN_MAX_RDNS);
	check_props(x);
	build_repeat(x, TK_DN_MAX_RDNS + 1, '/');
	bad_everywhere("257 RDNs", x);
	build_repeat(x, 300, '/');
	bad_everywhere("300 RDNs", x);

	TK_CASE("64 attributes in one RDN");
	build_repeat(x, TK_DN_MAX_AVAS, '+');
	EXPECT_EQ_INT(tk_dn_count_rdns(x->b, x->n), 1);
	check_props(x);
	build_repeat(x, TK_DN_MAX_AVAS + 1, '+');
	bad_everywhere("65 attributes in one RDN", x);

	/* Name 1, RDN 2, AVA 3, value 4: 13 nested values reach depth 16 */
	TK_CASE("depth 16");
	build_deep(x, TK_DN_MAX_DEPTH - 3);
	EXPECT_EQ_INT(tk_dn_count_rdns(x->b, x->n), 1);
	check_props(x);
	build_deep(x, TK_DN_MAX_DEPTH - 2);
	bad_everywhere("depth 17", x);
	build_deep(x, 200);
	bad_everywhere("depth 200", x);

	TK_CASE("TK_DN_DER_MAX bytes");
	build_long(x, 0x04, TK_DN_DER_MAX - 21, 'a');
	EXPECT_EQ_SIZE(x->n, TK_DN_DER_MAX);
	EXPECT_EQ_INT(tk_dn_count_rdns(x->b, x->n), 1);
	check_props(x);
	build_long(x, 0x04, TK_DN_DER_MAX - 20, 'a');
	EXPECT_EQ_SIZE(x->n, TK_DN_DER_MAX + 1);
	bad_everywhere("one byte over TK_DN_DER_MAX", x);

	/*
	 * The worst growth: every ISO 8859-1 byte becomes two.  c bytes
	 * give a canonical form of 2c + 21 bytes: 4085 fit, 4086 do not.
	 */
	TK_CASE("TeletexString doubled to TK_DN_CANON_MAX - 1");
	build_long(x, 0x14, (TK_DN_CANON_MAX - 22) / 2, 0xc4);
	len = tk_dn_canon(x->b, x->n, out, sizeof(out));
	EXPECT_EQ_INT(len, TK_DN_CANON_MAX - 1);
	EXPECT_EQ_INT(tk_dn_count_rdns(x->b, x->n), 1);
	check_props(x);
	build_long(y, 0x0c, 0, 0);
	EXPECT_TRUE(!tk_dn_equal(x->b, x->n, y->b, y->n));
	build_long(x, 0x14, (TK_DN_CANON_MAX - 22) / 2 + 1, 0xc4);
	EXPECT_TRUE(x->n < TK_DN_DER_MAX);
	bad_everywhere("TeletexString doubled past TK_DN_CANON_MAX", x);
	TK_CASE("a small cap is not malformed");
	build_long(x, 0x14, 100, 0xc4);
	EXPECT_EQ_INT(tk_dn_canon(x->b, x->n, out, 100), -1);
	EXPECT_EQ_INT(tk_dn_count_rdns(x->b, x->n), 1);

	TK_CASE("a 2000-character name equals its lower case");
	build_long(x, 0x13, 2000, 'Q');
	build_long(y, 0x0c, 2000, 'q');
	EXPECT_TRUE(tk_dn_equal(x->b, x->n, y->b, y->n));
	TK_CASE(NULL);
	free(x);
	free(y);
}

static void
run(void)
{
	test_equal();
	test_within();
	test_canon();
	test_malformed();
	test_bounds();
}

TK_TEST_MAIN("test_dn", run)
