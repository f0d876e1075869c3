/*
 * Unit tests for lib/policy.h: RFC 5280 6.1 policy processing with the
 * RFC 9618 policy graph.  Each case is a path written as one string per
 * certificate (issued by the anchor first, the leaf last); the extensions
 * are DER built here by hand:
 *
 *   cp=P1,P2/cps,any   certificatePolicies (any = anyPolicy; P<n> is the
 *                      NIST PKITS test policy 2.16.840.1.101.3.2.1.48.<n>;
 *                      /cps, /unotice, /q<oid> add a qualifier)
 *   crit               certificatePolicies is critical
 *   pm=P1>P2,P1>P3     policyMappings
 *   req=N inh=N        policyConstraints (either or both)
 *   iap=N              inhibitAnyPolicy
 *   cp!=HEX pm!=HEX pc!=HEX iap!=HEX   an extension's raw bytes
 *   si                 self-issued
 *   name=X             the label shown in messages
 *
 * The cases follow NIST PKITS sections 4.8-4.12 and x509-limbo's policy
 * tests where a path can be written this way, plus the exponential
 * mapping path of RFC 9618 section 3.1 and malformed DER.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policy.h"

#include "tk_test.h"

#define CERTS_MAX 24
#define DER_MAX 131072

/* ---- DER by hand ------------------------------------------------------ */

struct buf {
	unsigned char b[DER_MAX];
	size_t n;
};

static void
put(struct buf *o, const void *p, size_t n)
{
	if (o->n + n > sizeof(o->b)) {
		fprintf(stderr, "test DER buffer too small\n");
		exit(2);
	}
	if (n > 0) {
		memcpy(o->b + o->n, p, n);
		o->n += n;
	}
}

static void
put_byte(struct buf *o, unsigned char c)
{
	put(o, &c, 1);
}

/* Appends tag, DER length and contents. */
static void
tlv(struct buf *o, unsigned char tag, const unsigned char *c, size_t n)
{
	put_byte(o, tag);
	if (n < 0x80) {
		put_byte(o, (unsigned char)n);
	} else if (n < 0x100) {
		put_byte(o, 0x81);
		put_byte(o, (unsigned char)n);
	} else if (n < 0x10000) {
		put_byte(o, 0x82);
		put_byte(o, (unsigned char)(n >> 8));
		put_byte(o, (unsigned char)n);
	} else {
		put_byte(o, 0x83);
		put_byte(o, (unsigned char)(n >> 16));
		put_byte(o, (unsigned char)(n >> 8));
		put_byte(o, (unsigned char)n);
	}
	put(o, c, n);
}

/* Wraps all of o in one TLV. */
static void
wrap(struct buf *o, unsigned char tag)
{
	static struct buf tmp;

	tmp.n = 0;
	tlv(&tmp, tag, o->b, o->n);
	memcpy(o->b, tmp.b, tmp.n);
	o->n = tmp.n;
}

/* An OID TLV from dotted text, or from an alias (any, P<n>). */
static void
put_oid(struct buf *o, const char *s, size_t len)
{
	char text[128];
	unsigned char c[64];
	unsigned long long arcs[32];
	size_t na = 0, n = 0;
	char *p, *end;

	if (len == 3 && memcmp(s, "any", 3) == 0) {
		snprintf(text, sizeof(text), "2.5.29.32.0");
	} else if (len > 1 && s[0] == 'P') {
		snprintf(text, sizeof(text), "2.16.840.1.101.3.2.1.48.%.*s",
		    (int)len - 1, s + 1);
	} else {
		snprintf(text, sizeof(text), "%.*s", (int)len, s);
	}
	for (p = text; na < 32; p = end + 1) {
		arcs[na++] = strtoull(p, &end, 10);
		if (*end != '.') {
			break;
		}
	}
	for (size_t k = 1; k < na; k++) {
		unsigned long long v = k == 1 ? arcs[0] * 40 + arcs[1] :
		    arcs[k];
		unsigned char t[10];
		size_t m = 0;

		do {
			t[m++] = (unsigned char)(v & 0x7f);
			v >>= 7;
		} while (v > 0);
		while (m > 0) {
			m--;
			c[n++] = (unsigned char)(t[m] | (m > 0 ? 0x80 : 0));
		}
	}
	tlv(o, 0x06, c, n);
}

static void
put_int(struct buf *o, unsigned char tag, unsigned long v)
{
	unsigned char c[9];
	size_t n = 0;

	/* big-endian, with a leading 0 when the top bit is set */
	for (int sh = 56; sh >= 0; sh -= 8) {
		unsigned char b = (unsigned char)(v >> sh);

		if (n > 0 || b != 0 || sh == 0) {
			if (n == 0 && (b & 0x80)) {
				c[n++] = 0;
			}
			c[n++] = b;
		}
	}
	tlv(o, tag, c, n);
}

static void
put_hex(struct buf *o, const char *h, size_t len)
{
	for (size_t k = 0; k + 1 < len; k += 2) {
		char two[3] = {h[k], h[k + 1], '\0'};

		put_byte(o, (unsigned char)strtoul(two, NULL, 16));
	}
}

/* certificatePolicies from "P1,P2/cps,any/q1.2.3" */
static void
build_cp(struct buf *o, const char *s, size_t len)
{
	const char *end = s + len;

	o->n = 0;
	while (s < end) {
		const char *comma = memchr(s, ',', (size_t)(end - s));
		const char *e = comma != NULL ? comma : end;
		const char *slash = memchr(s, '/', (size_t)(e - s));
		struct buf *pi = calloc(1, sizeof(*pi));
		struct buf *qs = calloc(1, sizeof(*qs));

		put_oid(pi, s, (size_t)((slash != NULL ? slash : e) - s));
		while (slash != NULL) {
			const char *q = slash + 1;
			const char *qe;
			struct buf *pqi = calloc(1, sizeof(*pqi));

			slash = memchr(q, '/', (size_t)(e - q));
			qe = slash != NULL ? slash : e;
			if ((size_t)(qe - q) == 3 && memcmp(q, "cps", 3) == 0) {
				put_oid(pqi, "1.3.6.1.5.5.7.2.1", 17);
				tlv(pqi, 0x16, (const unsigned char *)
				    "http://x/cps", 12);
			} else if ((size_t)(qe - q) == 7 &&
			    memcmp(q, "unotice", 7) == 0) {
				put_oid(pqi, "1.3.6.1.5.5.7.2.2", 17);
				tlv(pqi, 0x30, NULL, 0);
			} else {
				put_oid(pqi, q + 1, (size_t)(qe - q - 1));
				tlv(pqi, 0x0c, (const unsigned char *)"x", 1);
			}
			wrap(pqi, 0x30);
			put(qs, pqi->b, pqi->n);
			free(pqi);
		}
		if (qs->n > 0) {
			wrap(qs, 0x30);
			put(pi, qs->b, qs->n);
		}
		wrap(pi, 0x30);
		put(o, pi->b, pi->n);
		free(pi);
		free(qs);
		s = comma != NULL ? comma + 1 : end;
	}
	wrap(o, 0x30);
}

/* policyMappings from "P1>P2,P1>P3" */
static void
build_pm(struct buf *o, const char *s, size_t len)
{
	const char *end = s + len;

	o->n = 0;
	while (s < end) {
		const char *comma = memchr(s, ',', (size_t)(end - s));
		const char *e = comma != NULL ? comma : end;
		const char *gt = memchr(s, '>', (size_t)(e - s));
		struct buf m = {.n = 0};

		put_oid(&m, s, (size_t)(gt - s));
		put_oid(&m, gt + 1, (size_t)(e - gt - 1));
		wrap(&m, 0x30);
		put(o, m.b, m.n);
		s = comma != NULL ? comma + 1 : end;
	}
	wrap(o, 0x30);
}

struct path {
	struct tk_policy_cert c[CERTS_MAX];
	struct buf cp[CERTS_MAX], pm[CERTS_MAX], pc[CERTS_MAX],
	    iap[CERTS_MAX];
	char names[CERTS_MAX][32];
	size_t n;
};

/* Builds certificate k of p from its description. */
static void
build_cert(struct path *p, size_t k, const char *spec)
{
	struct tk_policy_cert *c = &p->c[k];
	long req = -1, inh = -1;
	const char *s = spec;

	memset(c, 0, sizeof(*c));
	while (*s != '\0') {
		size_t len = strcspn(s, " ");
		const char *v = memchr(s, '=', len);
		size_t vl = v != NULL ? len - (size_t)(v + 1 - s) : 0;

		v = v != NULL ? v + 1 : NULL;
		if (strncmp(s, "cp=", 3) == 0) {
			build_cp(&p->cp[k], v, vl);
			c->cp = p->cp[k].b;
			c->cp_len = p->cp[k].n;
		} else if (strncmp(s, "cp!=", 4) == 0) {
			p->cp[k].n = 0;
			put_hex(&p->cp[k], v, vl);
			c->cp = p->cp[k].b;
			c->cp_len = p->cp[k].n;
		} else if (strncmp(s, "pm=", 3) == 0) {
			build_pm(&p->pm[k], v, vl);
			c->pm = p->pm[k].b;
			c->pm_len = p->pm[k].n;
		} else if (strncmp(s, "pm!=", 4) == 0) {
			p->pm[k].n = 0;
			put_hex(&p->pm[k], v, vl);
			c->pm = p->pm[k].b;
			c->pm_len = p->pm[k].n;
		} else if (strncmp(s, "pc!=", 4) == 0) {
			p->pc[k].n = 0;
			put_hex(&p->pc[k], v, vl);
			c->pc = p->pc[k].b;
			c->pc_len = p->pc[k].n;
		} else if (strncmp(s, "iap!=", 5) == 0) {
			p->iap[k].n = 0;
			put_hex(&p->iap[k], v, vl);
			c->iap = p->iap[k].b;
			c->iap_len = p->iap[k].n;
		} else if (strncmp(s, "req=", 4) == 0) {
			req = strtol(v, NULL, 10);
		} else if (strncmp(s, "inh=", 4) == 0) {
			inh = strtol(v, NULL, 10);
		} else if (strncmp(s, "iap=", 4) == 0) {
			p->iap[k].n = 0;
			put_int(&p->iap[k], 0x02, strtoul(v, NULL, 10));
			c->iap = p->iap[k].b;
			c->iap_len = p->iap[k].n;
		} else if (strncmp(s, "si", len) == 0 && len == 2) {
			c->self_issued = true;
		} else if (strncmp(s, "crit", len) == 0 && len == 4) {
			c->cp_critical = true;
		} else if (strncmp(s, "name=", 5) == 0) {
			snprintf(p->names[k], sizeof(p->names[k]), "%.*s",
			    (int)vl, v);
			c->name = p->names[k];
		} else {
			fprintf(stderr, "bad test spec '%s'\n", s);
			exit(2);
		}
		s += len;
		while (*s == ' ') {
			s++;
		}
	}
	if (req >= 0 || inh >= 0) {
		p->pc[k].n = 0;
		if (req >= 0) {
			put_int(&p->pc[k], 0x80, (unsigned long)req);
		}
		if (inh >= 0) {
			put_int(&p->pc[k], 0x81, (unsigned long)inh);
		}
		wrap(&p->pc[k], 0x30);
		c->pc = p->pc[k].b;
		c->pc_len = p->pc[k].n;
	}
}

/* ---- the table -------------------------------------------------------- */

enum {
	O_EXPLICIT = 1,    /* initial-explicit-policy */
	O_NOMAP = 2,       /* initial-policy-mapping-inhibit */
	O_NOANY = 4,       /* initial-any-policy-inhibit */
	O_LEAF0 = 8,       /* number_from_leaf */
};

#define P(n) "2.16.840.1.101.3.2.1.48." #n
#define ANY TK_POLICY_ANY
#define NOCERT (-1)

static const struct pcase {
	const char *name;
	const char *certs[8];       /* anchor-issued first; NULL ends */
	const char *initial[4];     /* NULL ends; none: {anyPolicy} */
	unsigned opts;
	bool ok;
	long cert;                  /* res.cert when !ok */
	const char *msg;            /* a part of the message when !ok */
	const char *valid[5];       /* the expected set when ok (NULL ends) */
} cases[] = {
	/* ---- no policies, explicit policy (PKITS 4.8.1-4.8.2) ---- */
	{"no extensions anywhere", {"name=ica", "name=leaf"}, {NULL}, 0,
	    true, 0, NULL, {NULL}},
	{"anchor alone", {NULL}, {NULL}, 0, true, 0, NULL, {ANY}},
	{"no policies, explicit required (4.8.2)", {"name=ica",
	    "name=leaf"}, {NULL}, O_EXPLICIT, false, 0,
	    "an explicit policy is required (initial-explicit-policy) and no "
	    "policy is valid for the path: "
	    "certificate #0 'ica' has no certificatePolicies extension",
	    {NULL}},
	{"all certificates same policy (4.8.1)", {"cp=P1", "cp=P1",
	    "cp=P1"}, {NULL}, O_EXPLICIT, true, 0, NULL, {P(1)}},
	{"anyPolicy everywhere", {"cp=any", "cp=any"}, {NULL}, O_EXPLICIT,
	    true, 0, NULL, {ANY}},
	{"requireExplicitPolicy 0, leaf without policies", {"cp=P1 req=0 "
	    "name=ica", "name=leaf"}, {NULL}, 0, false, 1,
	    "certificate #0 'ica' requires an explicit policy "
	    "(requireExplicitPolicy 0) and no policy is valid for the path: "
	    "certificate #1 'leaf' has no certificatePolicies extension",
	    {NULL}},
	{"requireExplicitPolicy 0, same policy everywhere", {"cp=P1 req=0",
	    "cp=P1 req=0", "cp=P1"}, {NULL}, 0, true, 0, NULL, {P(1)}},
	{"leaf policy not in the intermediate", {"cp=P1", "cp=P2"}, {NULL},
	    0, true, 0, NULL, {NULL}},
	{"leaf policy not in the intermediate, explicit", {"cp=P1 name=ica",
	    "cp=P2 name=leaf"}, {NULL}, O_EXPLICIT, false, 1,
	    "certificate #1 'leaf' has no policy its issuers allow", {NULL}},
	{"different policies (4.8.3-like)", {"cp=P1", "cp=P2", "cp=P1"},
	    {NULL}, O_EXPLICIT, false, 1, "certificate #1 ", {NULL}},
	{"overlapping policies (4.8.6-like)", {"cp=P1,P2", "cp=P2,P3",
	    "cp=P2,P3"}, {NULL}, O_EXPLICIT, true, 0, NULL, {P(2)}},
	{"requireExplicitPolicy 1 counts down to the leaf", {"req=1",
	    "name=ica2", "name=leaf"}, {NULL}, 0, false, 2,
	    "certificate #0 requires an explicit policy "
	    "(requireExplicitPolicy 1) and no policy is valid for the path: "
	    "certificate #0 has no certificatePolicies extension", {NULL}},
	{"requireExplicitPolicy 2 reached at wrap-up (4.9-like)", {"req=2",
	    "", ""}, {NULL}, 0, false, 2, "(requireExplicitPolicy 2)",
	    {NULL}},
	{"requireExplicitPolicy 2, self-issued intermediate not counted",
	    {"req=2", "si", ""}, {NULL}, 0, true, 0, NULL, {NULL}},
	{"requireExplicitPolicy 0 in the leaf (6.1.5 (b))", {"cp=P1",
	    "name=leaf req=0"}, {NULL}, 0, false, 1,
	    "certificate #1 'leaf' requires an explicit policy "
	    "(requireExplicitPolicy 0)", {NULL}},
	{"requireExplicitPolicy 0 in the leaf, leaf has the policy",
	    {"cp=P1", "cp=P1 req=0"}, {NULL}, 0, true, 0, NULL, {P(1)}},
	{"numbered from the leaf", {"cp=P1 req=0 name=ica", "name=ica2",
	    "name=leaf"}, {NULL}, O_LEAF0, false, 1,
	    "certificate #2 'ica' requires an explicit policy "
	    "(requireExplicitPolicy 0) and no policy is valid for the path: "
	    "certificate #1 'ica2' has no certificatePolicies extension",
	    {NULL}},

	/* ---- policy mapping (PKITS 4.10, RFC 9618 section 3) ---- */
	{"mapping P1 to P2 (4.10.1-like)", {"cp=P1 pm=P1>P2", "cp=P2"},
	    {NULL}, O_EXPLICIT, true, 0, NULL, {P(1)}},
	{"mapping, initial set {P1} (4.10.1)", {"cp=P1 pm=P1>P2", "cp=P2"},
	    {P(1)}, O_EXPLICIT, true, 0, NULL, {P(1)}},
	{"mapping, initial set {P2} (4.10.1 invalid)", {"cp=P1 pm=P1>P2",
	    "cp=P2"}, {P(2)}, O_EXPLICIT, false, 1,
	    "no policy valid for the path is in the initial policy set",
	    {NULL}},
	{"mapping under anyPolicy (6.1.4 (b)(2))", {"cp=any pm=P1>P2",
	    "cp=P2"}, {NULL}, O_EXPLICIT, true, 0, NULL, {P(1)}},
	{"RFC 9618 figure 1", {"cp=P1,P2,P5 pm=P1>P3,P1>P4",
	    "cp=P2,P3,P6"}, {NULL}, O_EXPLICIT, true, 0, NULL,
	    {P(1), P(2)}},
	{"mapping one policy to two", {"cp=P1 pm=P1>P2,P1>P3", "cp=P3"},
	    {NULL}, O_EXPLICIT, true, 0, NULL, {P(1)}},
	{"two policies mapped to one (graph: one node, two parents)",
	    {"cp=P1,P2 pm=P1>P3,P2>P3", "cp=P3"}, {NULL}, O_EXPLICIT, true,
	    0, NULL, {P(1), P(2)}},
	{"unmapped policy keeps its name", {"cp=P1,P2 pm=P1>P3",
	    "cp=P2"}, {NULL}, O_EXPLICIT, true, 0, NULL, {P(2)}},
	{"mapped policy no longer matches its old name", {"cp=P1 pm=P1>P3",
	    "cp=P1"}, {NULL}, O_EXPLICIT, false, 1, "has no policy its",
	    {NULL}},
	{"inhibitPolicyMapping 0 deletes the mapped node (4.10.3-like)",
	    {"cp=P1 inh=0 name=ica", "cp=P1 pm=P1>P2 name=ica2", "cp=P2"},
	    {NULL}, O_EXPLICIT, false, 2,
	    "policy mapping is inhibited and certificate #1 'ica2' maps "
	    "every remaining policy", {NULL}},
	{"inhibitPolicyMapping 0, not explicit: ok, empty set", {"cp=P1 "
	    "inh=0", "cp=P1 pm=P1>P2", "cp=P2"}, {NULL}, 0, true, 0, NULL,
	    {NULL}},
	{"inhibitPolicyMapping 0 keeps the unmapped policies", {"cp=P1,P2 "
	    "inh=0", "cp=P1,P2 pm=P1>P3", "cp=P2,P3"}, {NULL}, O_EXPLICIT,
	    true, 0, NULL, {P(2)}},
	{"initial-policy-mapping-inhibit", {"cp=P1 pm=P1>P2", "cp=P2"},
	    {NULL}, O_EXPLICIT | O_NOMAP, false, 1, "mapping is inhibited",
	    {NULL}},
	{"inhibitPolicyMapping 1: the next CA may still map",
	    {"cp=P1 inh=1", "cp=P1 pm=P1>P2", "cp=P2"}, {NULL}, O_EXPLICIT,
	    true, 0, NULL, {P(1)}},
	{"inhibitPolicyMapping 1: the one after may not (4.10.5-like)",
	    {"cp=P1 inh=1", "cp=P1", "cp=P1 pm=P1>P2 name=ica3", "cp=P2"},
	    {NULL}, O_EXPLICIT, false, 3,
	    "mapping is inhibited and certificate #2 'ica3' maps", {NULL}},
	{"inhibitPolicyMapping 1, self-issued CA not counted (4.10.7-like)",
	    {"cp=P1 inh=1", "cp=P1 si", "cp=P1 pm=P1>P2", "cp=P2"}, {NULL},
	    O_EXPLICIT, true, 0, NULL, {P(1)}},
	{"mapping from anyPolicy (6.1.4 (a))", {"cp=any pm=any>P1 "
	    "name=ica", "cp=P1"}, {NULL}, 0, false, 0,
	    "certificate #0 'ica' maps anyPolicy to "
	    "2.16.840.1.101.3.2.1.48.1 in policyMappings, which is forbidden "
	    "(RFC 5280 6.1.4 (a))", {NULL}},
	{"mapping to anyPolicy (6.1.4 (a))", {"cp=P1", "cp=P1 pm=P1>any "
	    "name=ica2", "cp=P1"}, {NULL}, 0, false, 1,
	    "certificate #1 'ica2' maps 2.16.840.1.101.3.2.1.48.1 to "
	    "anyPolicy in policyMappings, which is forbidden", {NULL}},
	{"the leaf's policyMappings is not processed (6.1.5)", {"cp=P1",
	    "cp=P1 pm=P1>any"}, {NULL}, 0, true, 0, NULL, {P(1)}},

	/* ---- inhibitAnyPolicy (PKITS 4.12) ---- */
	{"inhibitAnyPolicy 0, leaf only anyPolicy, explicit", {"cp=any "
	    "iap=0 name=ica", "cp=any name=leaf"}, {NULL}, O_EXPLICIT,
	    false, 1, "an explicit policy is required "
	    "(initial-explicit-policy) and no policy is valid for the path: "
	    "certificate #1 'leaf' has no policy its issuers allow; its "
	    "anyPolicy is inhibited (inhibitAnyPolicy in certificate #0 "
	    "'ica')", {NULL}},
	{"inhibitAnyPolicy 0, leaf only anyPolicy, not explicit",
	    {"cp=any iap=0", "cp=any"}, {NULL}, 0, true, 0, NULL, {NULL}},
	{"inhibitAnyPolicy 0, the CA's anyPolicy still matches P1",
	    {"cp=any iap=0", "cp=P1"}, {NULL}, O_EXPLICIT, true, 0, NULL,
	    {P(1)}},
	{"initial-any-policy-inhibit", {"cp=any", "cp=P1"}, {NULL},
	    O_EXPLICIT | O_NOANY, false, 0, "initial-any-policy-inhibit",
	    {NULL}},
	{"inhibitAnyPolicy 1: one more CA may use it (4.12.7-like)",
	    {"cp=any iap=1", "cp=any", "cp=any"}, {NULL}, O_EXPLICIT, false,
	    2, "inhibitAnyPolicy", {NULL}},
	{"inhibitAnyPolicy 0, self-issued CA may use it (4.12.8-like)",
	    {"cp=any iap=0", "cp=any si", "cp=P1"}, {NULL}, O_EXPLICIT,
	    true, 0, NULL, {P(1)}},
	{"inhibitAnyPolicy 0, non-self-issued CA may not", {"cp=any iap=0",
	    "cp=any", "cp=P1"}, {NULL}, O_EXPLICIT, false, 1,
	    "inhibitAnyPolicy", {NULL}},
	{"inhibitAnyPolicy 0, self-issued leaf may not", {"cp=any iap=0",
	    "cp=any si"}, {NULL}, O_EXPLICIT, false, 1, "inhibitAnyPolicy",
	    {NULL}},

	/* ---- the user-initial-policy-set (6.1.6, PKITS 4.8.1.x) ---- */
	{"initial set restricts", {"cp=P1,P2", "cp=P1,P2"}, {P(1)},
	    O_EXPLICIT, true, 0, NULL, {P(1)}},
	{"initial set not met, explicit", {"cp=P1", "cp=P1"}, {P(3)},
	    O_EXPLICIT, false, 1, "initial policy set", {NULL}},
	{"initial set not met, not explicit: ok, empty", {"cp=P1",
	    "cp=P1"}, {P(3)}, 0, true, 0, NULL, {NULL}},
	{"anyPolicy path yields the initial set", {"cp=any", "cp=any"},
	    {P(3), P(1)}, O_EXPLICIT, true, 0, NULL, {P(1), P(3)}},
	{"initial set with anyPolicy in it", {"cp=P1"}, {P(2), ANY},
	    O_EXPLICIT, true, 0, NULL, {P(1)}},
	{"initial set repeats a policy", {"cp=P1"}, {P(1), P(1)},
	    O_EXPLICIT, true, 0, NULL, {P(1)}},
	{"initial set not an OID", {"cp=P1"}, {"1.2.x"}, 0, false, NOCERT,
	    "the initial policy '1.2.x' is not a dotted OID", {NULL}},
	{"initial set bad first arc", {"cp=P1"}, {"3.1"}, 0, false, NOCERT,
	    "not a dotted OID", {NULL}},

	/* ---- qualifiers (RFC 5280 4.2.1.4) ---- */
	{"critical, CPS and user notice qualifiers", {"crit "
	    "cp=P1/cps/unotice", "cp=P1/cps"}, {NULL}, 0, true, 0, NULL,
	    {P(1)}},
	{"unknown qualifier, not critical", {"cp=P1/q1.2.3.4",
	    "cp=P1"}, {NULL}, 0, true, 0, NULL, {P(1)}},
	{"unknown qualifier, critical", {"cp=P1", "crit cp=P1/cps/q1.2.3.4 "
	    "name=ica2"}, {NULL}, 0, false, 1,
	    "certificate #1 'ica2' has an unknown critical policy qualifier "
	    "1.2.3.4 in certificatePolicies (RFC 5280 4.2.1.4)", {NULL}},
	{"unknown UUID qualifier under anyPolicy, critical", {"crit "
	    "cp!=302530230604551d2000301b301906146983f09da7ebcfdee0c7a1a7b2c0"
	    "948cc8f9d7760c0178"}, {NULL}, 0, false, 0,
	    "qualifier 2.25.329800735698586629295641978511506172918 in",
	    {NULL}},
	{"a first arc over 64 bits",
	    {"cp!=3010300e060cd4da82e3f8a9afb480804f05"}, {NULL}, 0, true, 0,
	    NULL, {"2.99999999999999999999999.5"}},

	/* ---- malformed extensions ---- */
	{"duplicate policy", {"cp=P1,P2,P1 name=ica", "cp=P1"}, {NULL}, 0,
	    false, 0, "certificate #0 'ica' lists the policy "
	    "2.16.840.1.101.3.2.1.48.1 twice in certificatePolicies", {NULL}},
	{"duplicate anyPolicy", {"cp=any,any"}, {NULL}, 0, false, 0,
	    "lists the policy anyPolicy twice", {NULL}},
	{"certificatePolicies empty SEQUENCE", {"cp!=3000"}, {NULL}, 0,
	    false, 0, "malformed certificatePolicies extension: no policy",
	    {NULL}},
	{"certificatePolicies empty value", {"cp!="}, {NULL}, 0, false, 0,
	    "malformed certificatePolicies", {NULL}},
	{"certificatePolicies truncated", {"cp!=300506036086"}, {NULL}, 0,
	    false, 0, "malformed certificatePolicies", {NULL}},
	{"certificatePolicies trailing byte", {"cp!=3005300306012a00"},
	    {NULL}, 0, false, 0, "malformed certificatePolicies", {NULL}},
	{"certificatePolicies long-form length not minimal",
	    {"cp!=308105300306012a"}, {NULL}, 0, false, 0,
	    "malformed certificatePolicies", {NULL}},
	{"certificatePolicies indefinite length", {"cp!=3080300306012a0000"},
	    {NULL}, 0, false, 0, "malformed certificatePolicies", {NULL}},
	{"certificatePolicies OID with 0x80 padding",
	    {"cp!=3006300406028001"}, {NULL}, 0, false, 0,
	    "malformed certificatePolicies", {NULL}},
	{"certificatePolicies empty policyQualifiers",
	    {"cp!=3007300506012a3000"}, {NULL}, 0, false, 0,
	    "bad policyQualifiers", {NULL}},
	{"certificatePolicies qualifier without value",
	    {"cp!=300c300a06012a3005300306012a"}, {NULL}, 0, false, 0,
	    "bad PolicyQualifierInfo", {NULL}},
	{"certificatePolicies not a SEQUENCE", {"cp!=0403300106"}, {NULL},
	    0, false, 0, "malformed certificatePolicies", {NULL}},
	{"policyMappings empty", {"cp=P1 pm!=3000", "cp=P1"}, {NULL}, 0,
	    false, 0, "malformed policyMappings extension: no mapping",
	    {NULL}},
	{"policyMappings one OID", {"cp=P1 pm!=3005300306012a", "cp=P1"},
	    {NULL}, 0, false, 0, "malformed policyMappings", {NULL}},
	{"policyMappings three OIDs", {"cp=P1 "
	    "pm!=300b300906012a06012b06012c", "cp=P1"}, {NULL}, 0, false, 0,
	    "malformed policyMappings", {NULL}},
	{"policyConstraints empty (4.2.1.11)", {"cp=P1 pc!=3000 name=ica",
	    "cp=P1"}, {NULL}, 0, false, 0,
	    "certificate #0 'ica' has a malformed policyConstraints "
	    "extension: an empty SEQUENCE (RFC 5280 4.2.1.11)", {NULL}},
	{"policyConstraints negative", {"cp=P1 pc!=30038001ff", "cp=P1"},
	    {NULL}, 0, false, 0, "requireExplicitPolicy is not a "
	    "non-negative INTEGER", {NULL}},
	{"policyConstraints [0] twice", {"cp=P1 pc!=3006800100800100",
	    "cp=P1"}, {NULL}, 0, false, 0, "unexpected fields", {NULL}},
	{"policyConstraints [1] before [0]", {"cp=P1 pc!=3006810100800100",
	    "cp=P1"}, {NULL}, 0, false, 0, "unexpected fields", {NULL}},
	{"policyConstraints INTEGER not minimal", {"cp=P1 pc!=300481020001",
	    "cp=P1"}, {NULL}, 0, false, 0, "inhibitPolicyMapping is not",
	    {NULL}},
	{"policyConstraints empty INTEGER", {"cp=P1 pc!=30028000",
	    "cp=P1"}, {NULL}, 0, false, 0, "malformed policyConstraints",
	    {NULL}},
	{"policyConstraints huge value is no limit", {"cp=P1 "
	    "pc!=300b80097fffffffffffffffff", "", ""}, {NULL}, 0, true, 0,
	    NULL, {NULL}},
	{"inhibitAnyPolicy negative", {"cp=any iap!=0201ff", "cp=any"},
	    {NULL}, 0, false, 0, "malformed inhibitAnyPolicy", {NULL}},
	{"inhibitAnyPolicy wrong type", {"cp=any iap!=0101ff", "cp=any"},
	    {NULL}, 0, false, 0, "malformed inhibitAnyPolicy", {NULL}},
	{"inhibitAnyPolicy trailing byte", {"cp=any iap!=02010000",
	    "cp=any"}, {NULL}, 0, false, 0, "malformed inhibitAnyPolicy",
	    {NULL}},
	{"inhibitAnyPolicy huge value is no limit", {"cp=any "
	    "iap!=020900ffffffffffffffff", "cp=any", "cp=any"}, {NULL},
	    O_EXPLICIT, true, 0, NULL, {ANY}},
	{"malformed extension after the graph became NULL", {"cp=P1",
	    "", "cp!=3000"}, {NULL}, 0, false, 2,
	    "malformed certificatePolicies", {NULL}},
	{"malformed leaf policyMappings still fails", {"cp=P1",
	    "cp=P1 pm!=3000"}, {NULL}, 0, false, 1,
	    "malformed policyMappings", {NULL}},
};

static bool
in_set(const struct tk_policy_result *r, const char *oid)
{
	for (size_t k = 0; k < r->n_valid && k < 4; k++) {
		if (strcmp(r->valid[k], oid) == 0) {
			return true;
		}
	}
	return false;
}

static void
set_opts(struct tk_policy_opts *o, unsigned flags)
{
	o->require_explicit = (flags & O_EXPLICIT) != 0;
	o->inhibit_mapping = (flags & O_NOMAP) != 0;
	o->inhibit_any = (flags & O_NOANY) != 0;
	o->number_from_leaf = (flags & O_LEAF0) != 0;
}

static struct path p;

static void
test_cases(void)
{

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		const struct pcase *tc = &cases[k];
		struct tk_policy_opts o = {0};
		struct tk_policy_result r;
		size_t nv = 0;

		TK_CASE(tc->name);
		p.n = 0;
		while (p.n < 8 && tc->certs[p.n] != NULL) {
			build_cert(&p, p.n, tc->certs[p.n]);
			p.n++;
		}
		while (o.n_initial < 4 && tc->initial[o.n_initial] != NULL) {
			o.n_initial++;
		}
		o.initial = o.n_initial > 0 ? tc->initial : NULL;
		set_opts(&o, tc->opts);
		EXPECT_EQ_INT(tk_policy_check(p.c, p.n, &o, &r), 0);
		EXPECT_EQ_INT(r.ok, tc->ok);
		if (r.ok != tc->ok) {
			fprintf(stderr, "  message: %s\n", r.message);
		}
		if (!tc->ok) {
			EXPECT_EQ_SIZE(r.cert, tc->cert == NOCERT ?
			    TK_POLICY_NO_CERT : (size_t)tc->cert);
			EXPECT_TRUE(r.message[0] != '\0');
			if (tc->msg != NULL &&
			    strstr(r.message, tc->msg) == NULL) {
				EXPECT_EQ_STR(r.message, tc->msg);
			}
			EXPECT_EQ_SIZE(r.n_valid, 0);
			continue;
		}
		EXPECT_EQ_SIZE(r.cert, TK_POLICY_NO_CERT);
		while (nv < 5 && tc->valid[nv] != NULL) {
			EXPECT_TRUE(in_set(&r, tc->valid[nv]));
			nv++;
		}
		EXPECT_EQ_SIZE(r.n_valid, nv);
		EXPECT_EQ_INT(r.any_policy, nv == 1 &&
		    strcmp(tc->valid[0], ANY) == 0);
		if (r.n_valid != nv) {
			for (size_t j = 0; j < r.n_valid && j < 4; j++) {
				fprintf(stderr, "  valid: %s\n", r.valid[j]);
			}
		}
	}
	TK_CASE(NULL);
}

/* ---- RFC 9618 section 3.1: the exponential tree ------------------------ */

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/*
 * ncas intermediates, each asserting npol policies and mapping each to
 * every other (npol * npol mappings), then a leaf asserting them all.  The
 * RFC 5280 tree would have npol^ncas leaves; the graph has npol nodes and
 * npol^2 edges a level.
 */
static void
exponential(size_t ncas, size_t npol, size_t work_max, bool want_ok,
    const char *label)
{
	static char spec[262144];
	struct tk_policy_opts o = {0};
	struct tk_policy_result r;
	size_t off;
	double t0, ms;

	for (size_t k = 0; k <= ncas; k++) {
		off = (size_t)snprintf(spec, sizeof(spec), "cp=");
		for (size_t a = 1; a <= npol; a++) {
			off += (size_t)snprintf(spec + off, sizeof(spec) - off,
			    "%sP%zu", a > 1 ? "," : "", a);
		}
		if (k < ncas) {
			off += (size_t)snprintf(spec + off, sizeof(spec) - off,
			    " pm=");
			for (size_t a = 1; a <= npol; a++) {
				for (size_t b = 1; b <= npol; b++) {
					off += (size_t)snprintf(spec + off,
					    sizeof(spec) - off, "%sP%zu>P%zu",
					    a + b > 2 ? "," : "", a, b);
				}
			}
		}
		build_cert(&p, k, spec);
	}
	p.n = ncas + 1;
	o.require_explicit = true;
	o.work_max = work_max;
	t0 = now_ms();
	EXPECT_EQ_INT(tk_policy_check(p.c, p.n, &o, &r), 0);
	ms = now_ms() - t0;
	EXPECT_EQ_INT(r.ok, want_ok);
	if (want_ok) {
		EXPECT_EQ_SIZE(r.n_valid, npol);
	} else {
		EXPECT_TRUE(strstr(r.message, "the policy graph is too large "
		    "to process") != NULL);
		EXPECT_TRUE(r.cert < p.n);
	}
	EXPECT_TRUE(ms < 2000.0);
	printf("test_policy: %s: %zu CAs x %zu policies, %zu mappings each "
	    "(RFC 5280 tree: %zu^%zu leaves): %s in %.2f ms%s%s\n", label,
	    ncas, npol, npol * npol, npol, ncas, r.ok ? "valid" : "failed",
	    ms, r.ok ? "" : ": ", r.ok ? "" : r.message);
}

static void
test_exponential(void)
{
	TK_CASE("exponential 10 x 5");
	exponential(10, 5, 0, true, "RFC 9618 3.1");
	TK_CASE("exponential 20 x 2");
	exponential(20, 2, 0, true, "RFC 9618 3.1");
	TK_CASE("exponential 10 x 5, small bound");
	exponential(10, 5, 500, false, "work_max 500");
	TK_CASE("exponential 20 x 60");
	exponential(20, 60, 0, false, "default bound");
	TK_CASE("exponential 20 x 60, larger bound");
	exponential(20, 60, (size_t)1 << 22, true, "work_max 4M");
	TK_CASE(NULL);
}

/* Many policies in one certificate: long DER lengths, sorting, lookups. */
static void
test_wide(void)
{
	static char spec[65536];
	struct tk_policy_opts o = {.require_explicit = true};
	struct tk_policy_result r;
	size_t off = (size_t)snprintf(spec, sizeof(spec), "cp=");

	TK_CASE("1000 policies");
	for (size_t a = 1000; a >= 1; a--) {
		off += (size_t)snprintf(spec + off, sizeof(spec) - off,
		    "%sP%zu", a < 1000 ? "," : "", a);
	}
	build_cert(&p, 0, spec);
	build_cert(&p, 1, spec);
	build_cert(&p, 2, "cp=P777");
	EXPECT_EQ_INT(tk_policy_check(p.c, 3, &o, &r), 0);
	EXPECT_TRUE(r.ok);
	EXPECT_EQ_SIZE(r.n_valid, 1);
	EXPECT_EQ_STR(r.valid[0], P(777));
	TK_CASE(NULL);
}

/* Several parents, then pruning through them (RFC 9618 5.3 (d)(3)). */
static void
test_graph_shapes(void)
{
	struct tk_policy_opts o = {.require_explicit = true};
	struct tk_policy_result r;

	/* P1 and P2 both map to P3; the leaf asserts P3: both survive */
	TK_CASE("two parents both kept");
	build_cert(&p, 0, "cp=P1,P2,P4");
	build_cert(&p, 1, "cp=P1,P2,P4 pm=P1>P3,P2>P3");
	build_cert(&p, 2, "cp=P3");
	EXPECT_EQ_INT(tk_policy_check(p.c, 3, &o, &r), 0);
	EXPECT_TRUE(r.ok);
	EXPECT_EQ_SIZE(r.n_valid, 2);
	EXPECT_TRUE(in_set(&r, P(1)) && in_set(&r, P(2)));
	EXPECT_TRUE(!in_set(&r, P(4)));
	/* more than four valid policies: only four shown */
	TK_CASE("five valid policies");
	build_cert(&p, 0, "cp=P1,P2,P3,P4,P5");
	EXPECT_EQ_INT(tk_policy_check(p.c, 1, &o, &r), 0);
	EXPECT_TRUE(r.ok);
	EXPECT_EQ_SIZE(r.n_valid, 5);
	EXPECT_EQ_STR(r.valid[0], P(1));
	EXPECT_TRUE(!r.any_policy);
	/* anyPolicy and specific policies together */
	TK_CASE("anyPolicy and P1");
	build_cert(&p, 0, "cp=any,P1");
	build_cert(&p, 1, "cp=any,P2");
	EXPECT_EQ_INT(tk_policy_check(p.c, 2, &o, &r), 0);
	EXPECT_TRUE(r.ok);
	EXPECT_EQ_SIZE(r.n_valid, 3);
	EXPECT_TRUE(r.any_policy);
	EXPECT_TRUE(in_set(&r, ANY) && in_set(&r, P(1)) && in_set(&r, P(2)));
	/* a NULL opts means all defaults */
	TK_CASE("NULL opts");
	EXPECT_EQ_INT(tk_policy_check(p.c, 2, NULL, &r), 0);
	EXPECT_TRUE(r.ok);
	TK_CASE(NULL);
}

static void
run(void)
{
	test_cases();
	test_graph_shapes();
	test_wide();
	test_exponential();
}

TK_TEST_MAIN("test_policy", run)
