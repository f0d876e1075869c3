/*
 * RFC 5280 section 6.1 certificate policy processing, with the policy
 * graph of RFC 9618 section 5.  Where RFC 5280 copies a node once for each
 * issuer policy mapped to it, the graph keeps one node per policy and depth
 * with several parents, so the graph stays linear in the policies and
 * mappings of the path.  The work is bounded on top of that: every node,
 * edge, expected policy and parsed element is charged, and reaching the
 * bound fails the path (RFC 9618 section 4.2).
 *
 * Depths: level d of the graph holds the nodes of RFC depth d; level 0 is
 * the initial anyPolicy node (6.1.2 (a)) and level i+1 is built from
 * certs[i], RFC certificate i+1.  In every level, at most one node per
 * policy OID exists (RFC 9618 section 5.2), and the nodes are kept sorted
 * by OID once a step is done, so lookups are binary searches.
 *
 * OIDs are compared as their DER content bytes, which the parser requires
 * to be minimal, so equal OIDs have equal bytes.
 */
#include "policy.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

/* the DER contents of the OIDs compared here */
static const unsigned char oid_any[] = {0x55, 0x1d, 0x20, 0x00};
static const unsigned char oid_cps[] = {0x2b, 0x06, 0x01, 0x05, 0x05,
    0x07, 0x02, 0x01};          /* id-qt-cps 1.3.6.1.5.5.7.2.1 */
static const unsigned char oid_unotice[] = {0x2b, 0x06, 0x01, 0x05, 0x05,
    0x07, 0x02, 0x02};          /* id-qt-unotice 1.3.6.1.5.5.7.2.2 */

/* longest DER OID accepted in opts->initial */
#define INIT_OID_MAX 64
/* SkipCerts values above this are clamped: no path is that long */
#define SKIP_CLAMP (SIZE_MAX / 4)
/* characters of a certificate's name shown in a message */
#define NAME_SHOWN 32
#define NONE ((size_t)-1)

enum der_tag {
	T_INTEGER = 0x02,
	T_OID = 0x06,
	T_SEQ = 0x30,
	T_CTX0 = 0x80,  /* [0] IMPLICIT, primitive */
	T_CTX1 = 0x81,
};

struct der {
	const unsigned char *p;
	size_t n;
};

struct oid {
	const unsigned char *p;  /* DER contents; not owned */
	size_t n;
};

struct map {
	struct oid from, to;      /* issuerDomainPolicy, subjectDomainPolicy */
};

/* The policy extensions of one certificate, as parsed. */
struct ext {
	bool has_cp, has_any;     /* certificatePolicies; anyPolicy in it */
	struct oid *pol;          /* its policies but anyPolicy, sorted */
	size_t npol, cappol;
	bool has_pm;
	struct map *map;          /* policyMappings, sorted by (from, to) */
	size_t nmap, capmap;
	bool has_req, has_inh, has_iap;
	size_t req, inh, iap;     /* the SkipCerts values, clamped */
};

struct node {
	struct oid oid;           /* valid_policy */
	size_t exp, nexp;         /* expected_policy_set: level exp[exp..] */
	size_t par, npar;         /* parents: level par[par..], in level d-1 */
	size_t kids;              /* live children, while pruning */
	bool any;                 /* valid_policy is anyPolicy */
	bool dead;
};

struct level {
	struct node *node;
	size_t n, cap, live;
	struct oid *exp;
	size_t nexp, capexp;
	size_t *par;
	size_t npar, cappar;
};

/* One entry of the expected-policy index of a level. */
struct ix {
	struct oid oid;
	size_t node;
};

/* Why the graph became NULL, for the explicit-policy message. */
enum why {
	W_NONE,
	W_NO_CP,          /* 6.1.3 (e) */
	W_NO_MATCH,       /* 6.1.3 (d): nothing matched */
	W_MAP_DELETED,    /* 6.1.4 (b)(2): mapping inhibited */
};

struct st {
	const struct tk_policy_cert *certs;
	size_t n;
	bool from_leaf;
	struct tk_policy_result *res;
	size_t work, work_max;
	bool failed;
	struct level *lv;         /* n + 1 levels */
	struct ext x;             /* the certificate being processed */
	struct ix *ix;
	size_t nix, capix;
	unsigned char *initbuf;   /* opts->initial as DER */
	struct oid *init;
	size_t ninit;
	bool init_any;
	bool null;                /* valid_policy_graph is NULL */
	enum why why;
	size_t why_cert;
	bool why_any_inhibited;   /* its anyPolicy was not honoured */
	/* 6.1.2 (d)-(f), and who set each (NONE: the opts) */
	size_t explicit_policy, inhibit_any, policy_mapping;
	size_t exp_src, exp_val, iap_src;
};

/* ---- small helpers ---------------------------------------------------- */

static int
grow(void *pp, size_t *cap, size_t need, size_t size)
{
	void **p = pp;
	size_t nc = *cap > 0 ? *cap : 8;
	void *q;

	if (need <= *cap) {
		return 0;
	}
	while (nc < need) {
		if (nc > SIZE_MAX / 2 / size) {
			errno = ENOMEM;
			return -1;
		}
		nc *= 2;
	}
	q = realloc(*p, nc * size);
	if (q == NULL) {
		return -1;
	}
	*p = q;
	*cap = nc;
	return 0;
}

static int
oid_cmp(const struct oid *a, const struct oid *b)
{
	size_t m = a->n < b->n ? a->n : b->n;
	int c = m > 0 ? memcmp(a->p, b->p, m) : 0;

	if (c != 0) {
		return c;
	}
	return a->n < b->n ? -1 : a->n > b->n ? 1 : 0;
}

static bool
oid_eq(const struct oid *a, const unsigned char *p, size_t n)
{
	return a->n == n && memcmp(a->p, p, n) == 0;
}

static bool
oid_is_any(const struct oid *a)
{
	return oid_eq(a, oid_any, sizeof(oid_any));
}

static int
qs_oid(const void *a, const void *b)
{
	return oid_cmp(a, b);
}

static int
qs_map(const void *a, const void *b)
{
	const struct map *x = a, *y = b;
	int c = oid_cmp(&x->from, &y->from);

	return c != 0 ? c : oid_cmp(&x->to, &y->to);
}

static int
qs_node(const void *a, const void *b)
{
	const struct node *x = a, *y = b;

	return oid_cmp(&x->oid, &y->oid);
}

static int
qs_ix(const void *a, const void *b)
{
	const struct ix *x = a, *y = b;
	int c = oid_cmp(&x->oid, &y->oid);

	if (c != 0) {
		return c;
	}
	return x->node < y->node ? -1 : x->node > y->node ? 1 : 0;
}

/* Sorts OIDs and drops repeats; returns how many remain. */
static size_t
sort_unique(struct oid *a, size_t n)
{
	size_t m = 0;

	if (n > 1) {
		qsort(a, n, sizeof(*a), qs_oid);
	}
	for (size_t k = 0; k < n; k++) {
		if (m == 0 || oid_cmp(&a[m - 1], &a[k]) != 0) {
			a[m++] = a[k];
		}
	}
	return m;
}

/* Appends to buf at *off, never past len. */
static void
app(char *buf, size_t len, size_t *off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
app(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (*off + 1 >= len) {
		return;
	}
	va_start(ap, fmt);
	r = vsnprintf(buf + *off, len - *off, fmt, ap);
	va_end(ap);
	if (r > 0) {
		*off += (size_t)r < len - *off ? (size_t)r : len - *off - 1;
	}
}

/*
 * The decimal form of one arc, given as base-128 digits d[0..k) (most
 * significant first, high bits already cleared).  Arcs wider than 64 bits
 * (UUID arcs under 2.25) are divided by 10 digit by digit.
 */
static void
arc_text(unsigned char *d, size_t k, char *buf, size_t len, size_t *off)
{
	char dec[160];
	size_t nd = 0, first = 0;

	if (k <= 9) {
		uint64_t v = 0;

		for (size_t i = 0; i < k; i++) {
			v = v << 7 | d[i];
		}
		app(buf, len, off, "%llu", (unsigned long long)v);
		return;
	}
	while (first < k && nd < sizeof(dec)) {
		unsigned rem = 0;

		for (size_t i = first; i < k; i++) {
			unsigned cur = rem * 128 + d[i];

			d[i] = (unsigned char)(cur / 10);
			rem = cur % 10;
		}
		dec[nd++] = (char)('0' + rem);
		while (first < k && d[first] == 0) {
			first++;
		}
	}
	while (nd > 0) {
		app(buf, len, off, "%c", dec[--nd]);
	}
}

/* Subtracts 80 from the base-128 number d[0..k) (at least 80). */
static void
sub80(unsigned char *d, size_t k)
{
	unsigned borrow = 80;

	for (size_t j = k; j-- > 0 && borrow > 0;) {
		unsigned sub = borrow % 128;

		borrow /= 128;
		if (d[j] < sub) {
			d[j] = (unsigned char)(d[j] + 128 - sub);
			borrow++;
		} else {
			d[j] = (unsigned char)(d[j] - sub);
		}
	}
}

/* The dotted form of a DER OID (already checked by oid_ok()). */
static void
oid_text(const struct oid *o, char *buf, size_t len)
{
	unsigned char d[64];
	size_t off = 0, k = 0;
	bool firstarc = true;

	buf[0] = '\0';
	for (size_t i = 0; i < o->n; i++) {
		if (k < sizeof(d)) {
			d[k] = o->p[i] & 0x7f;
		}
		k++;
		if (o->p[i] & 0x80) {
			continue;
		}
		if (off > 0) {
			app(buf, len, &off, ".");
		}
		if (k > sizeof(d)) {
			app(buf, len, &off, "?");
		} else if (firstarc) {
			/* X.690 8.19.4: the first two arcs share one value */
			uint64_t v = 0;
			bool big = k > 9;

			for (size_t j = 0; j < k && !big; j++) {
				v = v << 7 | d[j];
			}
			if (big || v >= 80) {
				app(buf, len, &off, "2.");
				if (big) {
					sub80(d, k);
					arc_text(d, k, buf, len, &off);
				} else {
					app(buf, len, &off, "%llu",
					    (unsigned long long)(v - 80));
				}
			} else {
				app(buf, len, &off, "%u.%u",
				    (unsigned)(v / 40), (unsigned)(v % 40));
			}
		} else {
			arc_text(d, k, buf, len, &off);
		}
		firstarc = false;
		k = 0;
	}
}

/*
 * Encodes a dotted OID as DER contents into out (INIT_OID_MAX bytes).
 * Returns the length, or 0 when s is not an OID (X.690 8.19).
 */
static size_t
oid_from_text(const char *s, unsigned char *out)
{
	uint64_t arcs[2] = {0, 0};
	size_t na = 0, o = 0;
	const char *p = s;

	while (true) {
		uint64_t v = 0;
		const char *start = p;

		while (*p >= '0' && *p <= '9') {
			if (v > (UINT64_MAX - 9) / 10 - 80) {
				return 0;
			}
			v = v * 10 + (uint64_t)(*p - '0');
			p++;
		}
		if (p == start || (*start == '0' && p - start > 1)) {
			return 0;
		}
		if (na < 2) {
			arcs[na] = v;
		}
		na++;
		if (na >= 2) {
			unsigned char tmp[10];
			size_t k = 0;

			if (na == 2) {
				if (arcs[0] > 2 ||
				    (arcs[0] < 2 && arcs[1] >= 40)) {
					return 0;
				}
				v = arcs[0] * 40 + arcs[1];
			}
			do {
				tmp[k++] = (unsigned char)(v & 0x7f);
				v >>= 7;
			} while (v > 0);
			if (o + k > INIT_OID_MAX) {
				return 0;
			}
			while (k > 0) {
				k--;
				out[o++] = (unsigned char)(tmp[k] |
				    (k > 0 ? 0x80 : 0));
			}
		}
		if (*p == '\0') {
			break;
		}
		if (*p != '.') {
			return 0;
		}
		p++;
	}
	return na >= 2 ? o : 0;
}

/* "#k 'name'" for certificate i, in the numbering the caller chose. */
static void
cert_text(const struct st *s, size_t i, char *buf, size_t len)
{
	const char *name = s->certs[i].name;
	size_t off = 0;

	app(buf, len, &off, "certificate #%zu",
	    s->from_leaf ? s->n - 1 - i : i);
	if (name == NULL || name[0] == '\0') {
		return;
	}
	app(buf, len, &off, " '");
	for (size_t k = 0; name[k] != '\0' && k < NAME_SHOWN; k++) {
		unsigned char c = (unsigned char)name[k];

		app(buf, len, &off, "%c",
		    c >= 0x20 && c < 0x7f ? (char)c : '?');
	}
	if (strlen(name) > NAME_SHOWN) {
		app(buf, len, &off, "...");
	}
	app(buf, len, &off, "'");
}

/* Records the failure (the first one only) and stops processing. */
static void
fail(struct st *s, size_t cert, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
fail(struct st *s, size_t cert, const char *fmt, ...)
{
	va_list ap;

	if (s->failed) {
		return;
	}
	s->failed = true;
	s->res->ok = false;
	s->res->cert = cert;
	va_start(ap, fmt);
	vsnprintf(s->res->message, sizeof(s->res->message), fmt, ap);
	va_end(ap);
}

/*
 * Counts units of work against the bound; false (and the path fails) once
 * it is reached.  Each unit is one node, edge, expected policy or index
 * entry made or visited, or one element read from an extension; all
 * memory grows with these counts, so it is bounded too.
 */
static bool
charge(struct st *s, size_t cert, size_t units)
{
	char c[96];

	if (s->failed) {
		return false;
	}
	if (units <= s->work_max - s->work) {
		s->work += units;
		return true;
	}
	cert_text(s, cert, c, sizeof(c));
	fail(s, cert, "the policy graph is too large to process: %s takes it "
	    "past %zu nodes, edges and policies (RFC 9618)", c, s->work_max);
	return false;
}

/* ---- DER -------------------------------------------------------------- */

/* Reads one TLV (X.690 DER: definite, minimal lengths) and advances d. */
static int
der_next(struct der *d, unsigned char *tag, struct der *val)
{
	size_t len, hl;

	if (d->n < 2 || (d->p[0] & 0x1f) == 0x1f) {
		return -1;  /* short, or a high tag number (never used here) */
	}
	*tag = d->p[0];
	if (d->p[1] < 0x80) {
		len = d->p[1];
		hl = 2;
	} else {
		size_t k = d->p[1] & 0x7f;

		/* 0x80 is indefinite (BER only); over 4 bytes is absurd */
		if (k == 0 || k > 4 || d->n - 2 < k || d->p[2] == 0) {
			return -1;
		}
		len = 0;
		for (size_t i = 0; i < k; i++) {
			len = len << 8 | d->p[2 + i];
		}
		if (len < 0x80) {
			return -1;  /* DER: the short form was required */
		}
		hl = 2 + k;
	}
	if (d->n - hl < len) {
		return -1;
	}
	val->p = d->p + hl;
	val->n = len;
	d->p += hl + len;
	d->n -= hl + len;
	return 0;
}

static int
der_expect(struct der *d, unsigned char tag, struct der *val)
{
	unsigned char t;

	if (der_next(d, &t, val) < 0 || t != tag) {
		return -1;
	}
	return 0;
}

/* X.690 8.19.2: subidentifiers complete and without leading 0x80 bytes. */
static bool
oid_ok(const struct der *v)
{
	if (v->n == 0 || (v->p[v->n - 1] & 0x80)) {
		return false;
	}
	for (size_t i = 0; i < v->n; i++) {
		if (v->p[i] == 0x80 && (i == 0 || !(v->p[i - 1] & 0x80))) {
			return false;
		}
	}
	return true;
}

static int
der_oid(struct der *d, struct oid *o)
{
	struct der v;

	if (der_expect(d, T_OID, &v) < 0 || !oid_ok(&v)) {
		return -1;
	}
	o->p = v.p;
	o->n = v.n;
	return 0;
}

/*
 * SkipCerts ::= INTEGER (0..MAX) from the contents of an INTEGER (X.690
 * 8.3, minimal).  Negative is malformed; values past any path length are
 * clamped, which changes nothing since the counters start at n+1.
 */
static int
der_skipcerts(const struct der *v, size_t *out)
{
	size_t x = 0;

	if (v->n == 0 || (v->p[0] & 0x80)) {
		return -1;
	}
	if (v->n > 1 && v->p[0] == 0 && !(v->p[1] & 0x80)) {
		return -1;
	}
	for (size_t i = 0; i < v->n; i++) {
		if (x > SKIP_CLAMP >> 8) {
			x = SKIP_CLAMP;
			break;
		}
		x = x << 8 | v->p[i];
	}
	*out = x < SKIP_CLAMP ? x : SKIP_CLAMP;
	return 0;
}

/* ---- parsing the four extensions -------------------------------------- */

static void
malformed(struct st *s, size_t i, const char *ext, const char *what)
{
	char c[96];

	cert_text(s, i, c, sizeof(c));
	fail(s, i, "%s has a malformed %s extension: %s", c, ext, what);
}

/*
 * certificatePolicies (RFC 5280 4.2.1.4):
 *   SEQUENCE SIZE (1..MAX) OF PolicyInformation ::= SEQUENCE {
 *     policyIdentifier OBJECT IDENTIFIER,
 *     policyQualifiers SEQUENCE SIZE (1..MAX) OF PolicyQualifierInfo
 *       OPTIONAL }
 *   PolicyQualifierInfo ::= SEQUENCE { policyQualifierId OID,
 *     qualifier ANY DEFINED BY policyQualifierId }
 * The qualifier itself is only required to be one DER element: it is
 * never used (RFC 9618 section 3.3).
 */
static int
parse_cp(struct st *s, size_t i)
{
	const struct tk_policy_cert *c = &s->certs[i];
	struct der top = {c->cp, c->cp_len}, seq;
	struct ext *x = &s->x;
	const char *e = "certificatePolicies";

	x->has_cp = true;
	if (der_expect(&top, T_SEQ, &seq) < 0 || top.n != 0) {
		malformed(s, i, e, "not one DER SEQUENCE");
		return 0;
	}
	if (seq.n == 0) {
		malformed(s, i, e, "no policy in it");
		return 0;
	}
	while (seq.n > 0) {
		struct der pi, quals;
		struct oid o;

		if (!charge(s, i, 1)) {
			return 0;
		}
		if (der_expect(&seq, T_SEQ, &pi) < 0 || der_oid(&pi, &o) < 0) {
			malformed(s, i, e, "a PolicyInformation without a "
			    "policy OID");
			return 0;
		}
		if (pi.n > 0) {
			if (der_expect(&pi, T_SEQ, &quals) < 0 || pi.n != 0 ||
			    quals.n == 0) {
				malformed(s, i, e, "bad policyQualifiers");
				return 0;
			}
		} else {
			quals.n = 0;
		}
		while (quals.n > 0) {
			struct der pqi, qv;
			struct oid q;
			unsigned char t;

			if (!charge(s, i, 1)) {
				return 0;
			}
			if (der_expect(&quals, T_SEQ, &pqi) < 0 ||
			    der_oid(&pqi, &q) < 0 ||
			    der_next(&pqi, &t, &qv) < 0 || pqi.n != 0) {
				malformed(s, i, e, "bad PolicyQualifierInfo");
				return 0;
			}
			/*
			 * RFC 5280 4.2.1.4: when the extension is critical, the
			 * software MUST be able to interpret it, qualifiers
			 * included; only CPS and user notice are defined.
			 */
			if (c->cp_critical &&
			    !oid_eq(&q, oid_cps, sizeof(oid_cps)) &&
			    !oid_eq(&q, oid_unotice, sizeof(oid_unotice))) {
				char cn[96], qt[64];

				cert_text(s, i, cn, sizeof(cn));
				oid_text(&q, qt, sizeof(qt));
				fail(s, i, "%s has an unknown critical policy "
				    "qualifier %s in certificatePolicies (RFC "
				    "5280 4.2.1.4)", cn, qt);
				return 0;
			}
		}
		if (oid_is_any(&o)) {
			if (x->has_any) {
				char cn[96];

				cert_text(s, i, cn, sizeof(cn));
				fail(s, i, "%s lists the policy anyPolicy "
				    "twice in certificatePolicies (RFC 5280 "
				    "4.2.1.4)", cn);
				return 0;
			}
			x->has_any = true;
			continue;
		}
		if (grow(&x->pol, &x->cappol, x->npol + 1, sizeof(*x->pol)) <
		    0) {
			return -1;
		}
		x->pol[x->npol++] = o;
	}
	if (x->npol > 1) {
		qsort(x->pol, x->npol, sizeof(*x->pol), qs_oid);
	}
	for (size_t k = 1; k < x->npol; k++) {
		if (oid_cmp(&x->pol[k - 1], &x->pol[k]) == 0) {
			char cn[96], ot[64];

			cert_text(s, i, cn, sizeof(cn));
			oid_text(&x->pol[k], ot, sizeof(ot));
			fail(s, i, "%s lists the policy %s twice in "
			    "certificatePolicies (RFC 5280 4.2.1.4)", cn, ot);
			return 0;
		}
	}
	return 0;
}

/*
 * policyMappings (RFC 5280 4.2.1.5): SEQUENCE SIZE (1..MAX) OF SEQUENCE {
 * issuerDomainPolicy OID, subjectDomainPolicy OID }.
 */
static int
parse_pm(struct st *s, size_t i)
{
	const struct tk_policy_cert *c = &s->certs[i];
	struct der top = {c->pm, c->pm_len}, seq;
	struct ext *x = &s->x;
	const char *e = "policyMappings";

	x->has_pm = true;
	if (der_expect(&top, T_SEQ, &seq) < 0 || top.n != 0) {
		malformed(s, i, e, "not one DER SEQUENCE");
		return 0;
	}
	if (seq.n == 0) {
		malformed(s, i, e, "no mapping in it");
		return 0;
	}
	while (seq.n > 0) {
		struct der m;
		struct map mp;

		if (!charge(s, i, 1)) {
			return 0;
		}
		if (der_expect(&seq, T_SEQ, &m) < 0 ||
		    der_oid(&m, &mp.from) < 0 || der_oid(&m, &mp.to) < 0 ||
		    m.n != 0) {
			malformed(s, i, e, "a mapping that is not two policy "
			    "OIDs");
			return 0;
		}
		if (grow(&x->map, &x->capmap, x->nmap + 1, sizeof(*x->map)) <
		    0) {
			return -1;
		}
		x->map[x->nmap++] = mp;
	}
	if (x->nmap > 1) {
		qsort(x->map, x->nmap, sizeof(*x->map), qs_map);
	}
	return 0;
}

/*
 * policyConstraints (RFC 5280 4.2.1.11): SEQUENCE {
 * requireExplicitPolicy [0] SkipCerts OPTIONAL,
 * inhibitPolicyMapping [1] SkipCerts OPTIONAL }, and "conforming CAs
 * MUST NOT issue certificates where policy constraints is an empty
 * sequence".  The module uses IMPLICIT tags.
 */
static void
parse_pc(struct st *s, size_t i)
{
	const struct tk_policy_cert *c = &s->certs[i];
	struct der top = {c->pc, c->pc_len}, seq, v;
	struct ext *x = &s->x;
	const char *e = "policyConstraints";
	unsigned char t;

	if (der_expect(&top, T_SEQ, &seq) < 0 || top.n != 0) {
		malformed(s, i, e, "not one DER SEQUENCE");
		return;
	}
	if (seq.n == 0) {
		malformed(s, i, e, "an empty SEQUENCE (RFC 5280 4.2.1.11)");
		return;
	}
	if (der_next(&seq, &t, &v) < 0) {
		malformed(s, i, e, "bad DER");
		return;
	}
	if (t == T_CTX0) {
		if (der_skipcerts(&v, &x->req) < 0) {
			malformed(s, i, e, "requireExplicitPolicy is not a "
			    "non-negative INTEGER");
			return;
		}
		x->has_req = true;
		if (seq.n == 0) {
			return;
		}
		if (der_next(&seq, &t, &v) < 0) {
			malformed(s, i, e, "bad DER");
			return;
		}
	}
	if (t != T_CTX1 || seq.n != 0) {
		malformed(s, i, e, "unexpected fields");
		return;
	}
	if (der_skipcerts(&v, &x->inh) < 0) {
		malformed(s, i, e, "inhibitPolicyMapping is not a "
		    "non-negative INTEGER");
		return;
	}
	x->has_inh = true;
}

/* inhibitAnyPolicy (RFC 5280 4.2.1.14): SkipCerts ::= INTEGER (0..MAX). */
static void
parse_iap(struct st *s, size_t i)
{
	const struct tk_policy_cert *c = &s->certs[i];
	struct der top = {c->iap, c->iap_len}, v;

	if (der_expect(&top, T_INTEGER, &v) < 0 || top.n != 0 ||
	    der_skipcerts(&v, &s->x.iap) < 0) {
		malformed(s, i, "inhibitAnyPolicy", "not a non-negative DER "
		    "INTEGER");
		return;
	}
	s->x.has_iap = true;
}

/* Reads the four extensions of certs[i] into s->x; -1 only for ENOMEM. */
static int
parse_cert(struct st *s, size_t i)
{
	const struct tk_policy_cert *c = &s->certs[i];
	struct ext *x = &s->x;

	x->has_cp = x->has_any = x->has_pm = false;
	x->has_req = x->has_inh = x->has_iap = false;
	x->npol = x->nmap = 0;
	if (c->cp != NULL && parse_cp(s, i) < 0) {
		return -1;
	}
	if (!s->failed && c->pm != NULL && parse_pm(s, i) < 0) {
		return -1;
	}
	if (!s->failed && c->pc != NULL) {
		parse_pc(s, i);
	}
	if (!s->failed && c->iap != NULL) {
		parse_iap(s, i);
	}
	return 0;
}

/* ---- the graph -------------------------------------------------------- */

/* Adds a node for oid with expected_policy_set {oid} and no parents yet. */
static int
add_node(struct st *s, size_t i, struct level *L, const struct oid *oid)
{
	struct node *nd;

	if (!charge(s, i, 2)) {
		return 0;
	}
	if (grow(&L->node, &L->cap, L->n + 1, sizeof(*L->node)) < 0 ||
	    grow(&L->exp, &L->capexp, L->nexp + 1, sizeof(*L->exp)) < 0) {
		return -1;
	}
	nd = &L->node[L->n++];
	memset(nd, 0, sizeof(*nd));
	nd->oid = *oid;
	nd->any = oid_is_any(oid);
	nd->exp = L->nexp;
	nd->nexp = 1;
	L->exp[L->nexp++] = *oid;
	nd->par = L->npar;
	L->live++;
	return 0;
}

/* Adds parent p to the node added last to L. */
static int
add_parent(struct st *s, size_t i, struct level *L, size_t p)
{
	if (!charge(s, i, 1)) {
		return 0;
	}
	if (grow(&L->par, &L->cappar, L->npar + 1, sizeof(*L->par)) < 0) {
		return -1;
	}
	L->par[L->npar++] = p;
	L->node[L->n - 1].npar++;
	return 0;
}

/* The live node of L whose valid_policy is oid, among the first n. */
static struct node *
find_node(struct level *L, size_t n, const struct oid *oid)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = oid_cmp(&L->node[mid].oid, oid);

		if (c == 0) {
			return L->node[mid].dead ? NULL : &L->node[mid];
		}
		if (c < 0) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return NULL;
}

static size_t
find_any(const struct level *L)
{
	for (size_t k = 0; k < L->n; k++) {
		if (L->node[k].any && !L->node[k].dead) {
			return k;
		}
	}
	return NONE;
}

/* The first entry of s->ix whose OID is not below oid. */
static size_t
ix_lower(const struct st *s, const struct oid *oid)
{
	size_t lo = 0, hi = s->nix;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (oid_cmp(&s->ix[mid].oid, oid) < 0) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return lo;
}

/*
 * Deletes, from level top-1 up to level 0, every node left without a live
 * child (RFC 9618 5.3 (d)(3), 5.4 (b)(3)(ii)).  A level where nothing dies
 * leaves the levels above as they were.
 */
static void
prune(struct st *s, size_t i, size_t top)
{
	for (size_t d = top; d-- > 0;) {
		struct level *L = &s->lv[d], *C = &s->lv[d + 1];
		size_t killed = 0;

		if (!charge(s, i, L->n + C->n + C->npar)) {
			return;
		}
		for (size_t k = 0; k < L->n; k++) {
			L->node[k].kids = 0;
		}
		for (size_t k = 0; k < C->n; k++) {
			const struct node *nd = &C->node[k];

			for (size_t j = 0; !nd->dead && j < nd->npar; j++) {
				L->node[C->par[nd->par + j]].kids++;
			}
		}
		for (size_t k = 0; k < L->n; k++) {
			if (!L->node[k].dead && L->node[k].kids == 0) {
				L->node[k].dead = true;
				L->live--;
				killed++;
			}
		}
		if (killed == 0) {
			return;
		}
	}
}

/* Indexes the expected_policy_sets of level d's live nodes, by OID. */
static int
build_index(struct st *s, size_t i, size_t d)
{
	const struct level *L = &s->lv[d];

	s->nix = 0;
	if (!charge(s, i, L->nexp)) {
		return 0;
	}
	if (grow(&s->ix, &s->capix, L->nexp, sizeof(*s->ix)) < 0) {
		return -1;
	}
	for (size_t k = 0; k < L->n; k++) {
		const struct node *nd = &L->node[k];

		for (size_t j = 0; !nd->dead && j < nd->nexp; j++) {
			s->ix[s->nix].oid = L->exp[nd->exp + j];
			s->ix[s->nix].node = k;
			s->nix++;
		}
	}
	if (s->nix > 1) {
		qsort(s->ix, s->nix, sizeof(*s->ix), qs_ix);
	}
	return 0;
}

/*
 * RFC 5280 6.1.3 (d) as replaced by RFC 9618 section 5.3: builds level
 * i+1 from the policies of certs[i] and the expected_policy_sets of level
 * i, then prunes.  s->x holds the parsed extensions.
 */
static int
process_policies(struct st *s, size_t i)
{
	struct level *prev = &s->lv[i], *cur = &s->lv[i + 1];
	const struct ext *x = &s->x;
	size_t prev_any = find_any(prev), n1;
	bool leaf = i + 1 == s->n;

	s->why_any_inhibited = false;
	if (build_index(s, i, i) < 0) {
		return -1;
	}
	/* (d)(1): each policy P but anyPolicy, in OID order */
	for (size_t k = 0; k < x->npol && !s->failed; k++) {
		const struct oid *p = &x->pol[k];
		size_t lo = ix_lower(s, p), hi = lo;

		while (hi < s->nix && oid_cmp(&s->ix[hi].oid, p) == 0) {
			hi++;
		}
		if (!charge(s, i, 1)) {
			return 0;
		}
		if (hi > lo) {
			/* (i): one node, whose parents are all the matches */
			if (add_node(s, i, cur, p) < 0) {
				return -1;
			}
			for (size_t j = lo; j < hi && !s->failed; j++) {
				if (add_parent(s, i, cur, s->ix[j].node) < 0) {
					return -1;
				}
			}
		} else if (prev_any != NONE) {
			/* (ii): no match, but anyPolicy at depth i-1 */
			if (add_node(s, i, cur, p) < 0 ||
			    add_parent(s, i, cur, prev_any) < 0) {
				return -1;
			}
		}
	}
	/*
	 * (d)(2): anyPolicy, honoured when inhibit_anyPolicy > 0 or when an
	 * intermediate is self-issued: each expected policy of depth i-1 not
	 * yet at depth i gets one node, with all the nodes expecting it as
	 * parents.  The nodes of (d)(1) are in OID order: a binary search.
	 */
	n1 = cur->n;
	if (x->has_any && (s->inhibit_any > 0 || (!leaf &&
	    s->certs[i].self_issued))) {
		for (size_t lo = 0; lo < s->nix && !s->failed;) {
			const struct oid *p = &s->ix[lo].oid;
			size_t hi = lo;

			while (hi < s->nix && oid_cmp(&s->ix[hi].oid, p) == 0) {
				hi++;
			}
			if (!charge(s, i, 1)) {
				return 0;
			}
			if (find_node(cur, n1, p) == NULL) {
				if (add_node(s, i, cur, p) < 0) {
					return -1;
				}
				for (size_t j = lo; j < hi && !s->failed; j++) {
					if (add_parent(s, i, cur,
					    s->ix[j].node) < 0) {
						return -1;
					}
				}
			}
			lo = hi;
		}
	} else if (x->has_any) {
		s->why_any_inhibited = true;
	}
	if (s->failed) {
		return 0;
	}
	if (cur->n > 1) {
		qsort(cur->node, cur->n, sizeof(*cur->node), qs_node);
	}
	/* (d)(3) */
	prune(s, i, i + 1);
	if (cur->live == 0 && !s->failed) {
		s->null = true;
		s->why = W_NO_MATCH;
		s->why_cert = i;
	}
	return 0;
}

/*
 * RFC 5280 6.1.4 (b) as replaced by RFC 9618 section 5.4, for certs[i]
 * (not the leaf): level i+1 holds depth i.  Mappings are sorted by
 * issuerDomainPolicy, so each ID-P is one run.
 */
static int
process_mappings(struct st *s, size_t i)
{
	struct level *cur = &s->lv[i + 1];
	const struct ext *x = &s->x;
	size_t n0 = cur->n, any = find_any(cur), deleted = 0;

	for (size_t lo = 0; lo < x->nmap && !s->failed;) {
		const struct oid *idp = &x->map[lo].from;
		struct node *nd = find_node(cur, n0, idp);
		size_t hi = lo;

		while (hi < x->nmap && oid_cmp(&x->map[hi].from, idp) == 0) {
			hi++;
		}
		if (!charge(s, i, hi - lo)) {
			return 0;
		}
		if (s->policy_mapping == 0) {
			/* (3)(i): mapping inhibited, the node is deleted */
			if (nd != NULL) {
				nd->dead = true;
				cur->live--;
				deleted++;
			}
			lo = hi;
			continue;
		}
		if (nd == NULL && any != NONE) {
			/* (2): a node under depth i-1's anyPolicy */
			size_t anypar = cur->par[cur->node[any].par];

			if (add_node(s, i, cur, idp) < 0 ||
			    add_parent(s, i, cur, anypar) < 0) {
				return -1;
			}
			if (s->failed) {
				return 0;
			}
			nd = &cur->node[cur->n - 1];
		}
		if (nd != NULL) {
			/* (1), (2)(iii): the subjectDomainPolicy values */
			if (grow(&cur->exp, &cur->capexp, cur->nexp + (hi - lo),
			    sizeof(*cur->exp)) < 0) {
				return -1;
			}
			nd->exp = cur->nexp;
			nd->nexp = 0;
			for (size_t j = lo; j < hi; j++) {
				if (j > lo && oid_cmp(&x->map[j].to,
				    &x->map[j - 1].to) == 0) {
					continue;
				}
				cur->exp[cur->nexp++] = x->map[j].to;
				nd->nexp++;
			}
		}
		lo = hi;
	}
	if (s->failed) {
		return 0;
	}
	if (cur->n > n0 && cur->n > 1) {
		qsort(cur->node, cur->n, sizeof(*cur->node), qs_node);
	}
	if (deleted > 0) {
		/* (3)(ii) */
		prune(s, i, i + 1);
		if (cur->live == 0 && !s->failed) {
			s->null = true;
			s->why = W_MAP_DELETED;
			s->why_cert = i;
		}
	}
	return 0;
}

/* ---- results ---------------------------------------------------------- */

/*
 * The failure of 6.1.3 (f) or of the final check of 6.1.5: explicit_policy
 * is 0 and no policy is valid.  at: where it was found; user: the graph
 * was not NULL but nothing in it is in the initial policy set.
 */
static void
fail_explicit(struct st *s, size_t at, bool user)
{
	char who[160], why[200], c[96];
	size_t off = 0;

	if (s->exp_src == NONE) {
		snprintf(who, sizeof(who), "an explicit policy is required "
		    "(initial-explicit-policy)");
	} else {
		cert_text(s, s->exp_src, c, sizeof(c));
		snprintf(who, sizeof(who), "%s requires an explicit policy "
		    "(requireExplicitPolicy %zu)", c, s->exp_val);
	}
	why[0] = '\0';
	if (user) {
		app(why, sizeof(why), &off, "no policy valid for the path is "
		    "in the initial policy set (RFC 5280 6.1.5 (g))");
	} else if (s->why != W_NONE) {
		cert_text(s, s->why_cert, c, sizeof(c));
		switch (s->why) {
		case W_NO_CP:
			app(why, sizeof(why), &off, "%s has no "
			    "certificatePolicies extension", c);
			break;
		case W_NO_MATCH:
			app(why, sizeof(why), &off, "%s has no policy its "
			    "issuers allow", c);
			if (s->why_any_inhibited && s->iap_src == NONE) {
				app(why, sizeof(why), &off, "; its anyPolicy "
				    "is inhibited "
				    "(initial-any-policy-inhibit)");
			} else if (s->why_any_inhibited) {
				cert_text(s, s->iap_src, c, sizeof(c));
				app(why, sizeof(why), &off, "; its anyPolicy "
				    "is inhibited (inhibitAnyPolicy in %s)", c);
			}
			break;
		case W_MAP_DELETED:
			app(why, sizeof(why), &off, "policy mapping is "
			    "inhibited and %s maps every remaining policy", c);
			break;
		case W_NONE:
			break;
		}
	}
	fail(s, at, "%s and no policy is valid for the path%s%s", who,
	    why[0] != '\0' ? ": " : "", why);
}

/*
 * RFC 5280 6.1.5 (g) as replaced by RFC 9618 section 5.5: the
 * authority_constrained_policy_set is the valid_policy of each node whose
 * only parent is an anyPolicy node, plus anyPolicy when depth n has it;
 * the user_constrained_policy_set is that set within the initial set,
 * where anyPolicy stands for every initial policy.  Fills res.
 */
static int
user_set(struct st *s)
{
	struct tk_policy_result *r = s->res;
	size_t at = s->n > 0 ? s->n - 1 : 0, na = 0;
	struct oid *auth = NULL;
	size_t cap = 0;
	bool has_any = false;

	r->n_valid = 0;
	r->any_policy = false;
	if (s->null) {
		return 0;
	}
	for (size_t d = 1; d <= s->n; d++) {
		const struct level *L = &s->lv[d], *P = &s->lv[d - 1];

		if (!charge(s, at, L->n)) {
			goto out;
		}
		for (size_t k = 0; k < L->n; k++) {
			const struct node *nd = &L->node[k];

			if (nd->dead || nd->any || nd->npar != 1 ||
			    !P->node[L->par[nd->par]].any) {
				continue;
			}
			if (grow(&auth, &cap, na + 1, sizeof(*auth)) < 0) {
				free(auth);
				return -1;
			}
			auth[na++] = nd->oid;
		}
	}
	has_any = find_any(&s->lv[s->n]) != NONE;
	na = sort_unique(auth, na);
	if (s->init_any) {
		r->any_policy = has_any;
		if (has_any) {
			snprintf(r->valid[r->n_valid++], sizeof(r->valid[0]),
			    "%s", TK_POLICY_ANY);
		}
		for (size_t k = 0; k < na; k++) {
			if (r->n_valid < 4) {
				oid_text(&auth[k], r->valid[r->n_valid],
				    sizeof(r->valid[0]));
			}
			r->n_valid++;
		}
		goto out;
	}
	for (size_t k = 0; k < s->ninit; k++) {
		const struct oid *p = &s->init[k];
		bool in = has_any;

		for (size_t lo = 0, hi = na; !in && lo < hi;) {
			size_t mid = lo + (hi - lo) / 2;
			int c = oid_cmp(&auth[mid], p);

			in = c == 0;
			if (c < 0) {
				lo = mid + 1;
			} else {
				hi = mid;
			}
		}
		if (in) {
			if (r->n_valid < 4) {
				oid_text(p, r->valid[r->n_valid],
				    sizeof(r->valid[0]));
			}
			r->n_valid++;
		}
	}
out:
	free(auth);
	return 0;
}

/* opts->initial as sorted, distinct DER OIDs (6.1.1 (c)). */
static int
parse_initial(struct st *s, const struct tk_policy_opts *o)
{
	s->init_any = o == NULL || o->initial == NULL || o->n_initial == 0;
	if (s->init_any) {
		return 0;
	}
	if (o->n_initial > SIZE_MAX / INIT_OID_MAX / 2) {
		errno = ENOMEM;
		return -1;
	}
	s->initbuf = malloc(o->n_initial * INIT_OID_MAX);
	s->init = calloc(o->n_initial, sizeof(*s->init));
	if (s->initbuf == NULL || s->init == NULL) {
		return -1;
	}
	for (size_t k = 0; k < o->n_initial; k++) {
		unsigned char *b = s->initbuf + k * INIT_OID_MAX;
		const char *t = o->initial[k] != NULL ? o->initial[k] : "";
		size_t len = oid_from_text(t, b);

		if (len == 0) {
			char shown[64];

			snprintf(shown, sizeof(shown), "%s", t);
			for (char *p = shown; *p != '\0'; p++) {
				if (*p < 0x20 || *p == 0x7f) {
					*p = '?';
				}
			}
			fail(s, NONE, "the initial policy '%s' is not a dotted "
			    "OID", shown);
			return 0;
		}
		s->init[k].p = b;
		s->init[k].n = len;
		s->init_any |= oid_is_any(&s->init[k]);
	}
	s->ninit = sort_unique(s->init, o->n_initial);
	return 0;
}

/* ---- the algorithm ---------------------------------------------------- */

/* 6.1.4 (a): no mapping from or to anyPolicy. */
static void
check_any_mapping(struct st *s, size_t i)
{
	for (size_t k = 0; k < s->x.nmap; k++) {
		const struct map *m = &s->x.map[k];
		char c[96], t[64];

		if (!oid_is_any(&m->from) && !oid_is_any(&m->to)) {
			continue;
		}
		cert_text(s, i, c, sizeof(c));
		if (oid_is_any(&m->from)) {
			oid_text(&m->to, t, sizeof(t));
			fail(s, i, "%s maps anyPolicy to %s in policyMappings, "
			    "which is forbidden (RFC 5280 6.1.4 (a))", c, t);
		} else {
			oid_text(&m->from, t, sizeof(t));
			fail(s, i, "%s maps %s to anyPolicy in policyMappings, "
			    "which is forbidden (RFC 5280 6.1.4 (a))", c, t);
		}
		return;
	}
}

/* One certificate: 6.1.3 (d)-(f), then 6.1.4 or 6.1.5 (a)-(b). */
static int
process_cert(struct st *s, size_t i)
{
	const struct tk_policy_cert *c = &s->certs[i];
	const struct ext *x = &s->x;
	bool leaf = i + 1 == s->n;

	if (parse_cert(s, i) < 0) {
		return -1;
	}
	if (s->failed) {
		return 0;
	}
	if (!s->null && !x->has_cp) {
		/* (e) */
		s->null = true;
		s->why = W_NO_CP;
		s->why_cert = i;
	} else if (!s->null && process_policies(s, i) < 0) {
		return -1;
	}
	if (s->failed) {
		return 0;
	}
	/* (f) */
	if (s->explicit_policy == 0 && s->null) {
		fail_explicit(s, i, false);
		return 0;
	}
	if (leaf) {
		/* 6.1.5 (a), (b) */
		if (s->explicit_policy > 0) {
			s->explicit_policy--;
		}
		if (x->has_req && x->req == 0) {
			s->explicit_policy = 0;
			s->exp_src = i;
			s->exp_val = 0;
		}
		return 0;
	}
	check_any_mapping(s, i);
	if (s->failed) {
		return 0;
	}
	if (x->has_pm && !s->null && process_mappings(s, i) < 0) {
		return -1;
	}
	if (s->failed) {
		return 0;
	}
	/* (h): a self-issued intermediate does not count */
	if (!c->self_issued) {
		s->explicit_policy -= s->explicit_policy > 0;
		s->policy_mapping -= s->policy_mapping > 0;
		s->inhibit_any -= s->inhibit_any > 0;
	}
	/* (i), (j) */
	if (x->has_req && x->req < s->explicit_policy) {
		s->explicit_policy = x->req;
		s->exp_src = i;
		s->exp_val = x->req;
	}
	if (x->has_inh && x->inh < s->policy_mapping) {
		s->policy_mapping = x->inh;
	}
	if (x->has_iap && x->iap < s->inhibit_any) {
		s->inhibit_any = x->iap;
		s->iap_src = i;
	}
	return 0;
}

static int
run(struct st *s, const struct tk_policy_opts *o)
{
	static const struct oid any = {oid_any, sizeof(oid_any)};

	if (parse_initial(s, o) < 0) {
		return -1;
	}
	if (s->failed) {
		return 0;
	}
	if (s->n > SIZE_MAX / 4 / sizeof(*s->lv)) {
		errno = ENOMEM;
		return -1;
	}
	s->lv = calloc(s->n + 1, sizeof(*s->lv));
	if (s->lv == NULL) {
		return -1;
	}
	/* 6.1.2 (a), (d)-(f) */
	if (add_node(s, 0, &s->lv[0], &any) < 0) {
		return -1;
	}
	s->explicit_policy = o != NULL && o->require_explicit ? 0 : s->n + 1;
	s->inhibit_any = o != NULL && o->inhibit_any ? 0 : s->n + 1;
	s->policy_mapping = o != NULL && o->inhibit_mapping ? 0 : s->n + 1;
	s->exp_src = s->iap_src = NONE;
	for (size_t i = 0; i < s->n && !s->failed; i++) {
		if (process_cert(s, i) < 0) {
			return -1;
		}
	}
	if (s->failed) {
		return 0;
	}
	if (s->n == 0) {
		/* 6.1.5 (a) with no certificate: the anchor alone */
		s->explicit_policy -= s->explicit_policy > 0;
	}
	if (user_set(s) < 0) {
		return -1;
	}
	if (s->failed) {
		return 0;
	}
	/* RFC 9618 5.5: explicit_policy > 0 or a non-empty user set */
	if (s->explicit_policy == 0 && s->res->n_valid == 0) {
		fail_explicit(s, s->n > 0 ? s->n - 1 : NONE, !s->null);
		return 0;
	}
	s->res->ok = true;
	return 0;
}

int
tk_policy_check(const struct tk_policy_cert *certs, size_t n,
    const struct tk_policy_opts *o, struct tk_policy_result *res)
{
	struct st s;
	int rc;

	memset(res, 0, sizeof(*res));
	res->cert = TK_POLICY_NO_CERT;
	memset(&s, 0, sizeof(s));
	s.certs = certs;
	s.n = certs != NULL ? n : 0;
	s.from_leaf = o != NULL && o->number_from_leaf;
	s.res = res;
	s.work_max = o != NULL && o->work_max > 0 ? o->work_max :
	    TK_POLICY_WORK_DEFAULT;
	rc = run(&s, o);
	if (rc < 0) {
		res->ok = false;
		res->cert = TK_POLICY_NO_CERT;
		res->n_valid = 0;
		res->any_policy = false;
		snprintf(res->message, sizeof(res->message), "out of memory "
		    "in certificate policy processing");
		errno = ENOMEM;
	}
	if (s.lv != NULL) {
		for (size_t d = 0; d <= s.n; d++) {
			free(s.lv[d].node);
			free(s.lv[d].exp);
			free(s.lv[d].par);
		}
	}
	free(s.lv);
	free(s.ix);
	free(s.x.pol);
	free(s.x.map);
	free(s.init);
	free(s.initbuf);
	return rc;
}
