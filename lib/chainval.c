/*
 * Certificate path validation: RFC 5280 section 6 path processing with
 * the CA/Browser Forum Baseline Requirements (BR) profile on top.  GnuTLS
 * parses certificates, reads keys and checks signatures; the rest is here,
 * so that each defect is its own named reason and so that a failing first
 * path does not end the search (RFC 4158 path building).
 *
 * The reason codes, their severities and the rule set each comes from
 * (RFC 5280, the BR, tlskit's own) are in lib/codes.c; the profile in
 * force decides whether BR-only reasons fail (docs/verification.md).
 *
 * Trust anchors are judged like the other CA certificates (validity,
 * basicConstraints, keyUsage, key, extensions, name constraints), as
 * x509-limbo expects, but not by the rules that only serve to find or
 * identify an issuer (serial, AKI presence, SKI presence): an anchor is a
 * name and a key (RFC 5280 6.1.1 (d)), and trusted roots break those rules.
 */
#include "chainval.h"

#include <arpa/inet.h>
#include <gnutls/abstract.h>
#include <idn2.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "der.h"
#include "dn.h"
#include "names.h"
#include "policy.h"

#include "banned.h"

#define DEPTH_MAX 12        /* certificates in one path, leaf and anchor too */
#define VISITS_MAX 1024     /* path-building steps per validation */
#define SIGS_MAX 512        /* signatures checked per validation */
#define EVALS_MAX 128       /* complete or dead-end paths judged */
/*
 * One budget per validation for everything that grows with the product of
 * two hostile lists: names x constraints, SANs x the host name, policy
 * graph edges.  Enough for any real chain by orders of magnitude; a
 * pathological one stops with a named reason in well under 0.5 s.
 */
#define WORK_MAX 2000000
#define EXT_MAX 48          /* extensions kept per certificate */
#define LOOKUPS_MAX 16      /* anchors asked of the trust list by issuer */

enum prio {
	P_TRUST,
	P_TIME,
	P_NAME,
	P_SIG,
	P_CHAIN,
	P_USE,
	P_KEY,
	P_FORM,
	P_INFO,     /* never fails: what the reader should know */
};

/* How important each code is (the order reasons are reported in). */
static const struct code_info {
	const char *code;
	enum prio prio;
	unsigned bits;  /* the nearest GnuTLS status bits, for --debug */
} codes[] = {
	{"unknown-issuer", P_TRUST, GNUTLS_CERT_SIGNER_NOT_FOUND},
	{"self-signed", P_TRUST, GNUTLS_CERT_SIGNER_NOT_FOUND},
	{"path-limit", P_TRUST, GNUTLS_CERT_SIGNER_NOT_FOUND},
	{"engine-disagreement", P_TRUST, 0},
	{"expired", P_TIME, GNUTLS_CERT_EXPIRED},
	{"not-yet-valid", P_TIME, GNUTLS_CERT_NOT_ACTIVATED},
	{"name-mismatch", P_NAME, GNUTLS_CERT_UNEXPECTED_OWNER},
	{"bad-wildcard", P_NAME, GNUTLS_CERT_UNEXPECTED_OWNER},
	{"name-from-cn", P_NAME, 0},
	{"no-san", P_NAME, GNUTLS_CERT_UNEXPECTED_OWNER},
	{"bad-san", P_NAME, GNUTLS_CERT_UNEXPECTED_OWNER},
	{"bad-cn", P_NAME, GNUTLS_CERT_UNEXPECTED_OWNER},
	{"bad-signature", P_SIG, GNUTLS_CERT_SIGNATURE_FAILURE},
	{"insecure-algorithm", P_SIG, GNUTLS_CERT_INSECURE_ALGORITHM},
	{"signature-algorithm-mismatch", P_SIG, GNUTLS_CERT_SIGNATURE_FAILURE},
	{"issuer-not-ca", P_CHAIN, GNUTLS_CERT_SIGNER_NOT_CA},
	{"basic-constraints-not-critical", P_CHAIN, GNUTLS_CERT_SIGNER_NOT_CA},
	{"ca-as-leaf", P_CHAIN, GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE},
	{"path-length", P_CHAIN, GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE},
	{"name-constraints", P_CHAIN, GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE},
	{"bad-name-constraints", P_CHAIN,
	    GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE},
	{"policy", P_CHAIN, GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE},
	{"eku-missing", P_USE, GNUTLS_CERT_PURPOSE_MISMATCH},
	{"any-eku", P_USE, GNUTLS_CERT_PURPOSE_MISMATCH},
	{"purpose-mismatch", P_USE, GNUTLS_CERT_PURPOSE_MISMATCH},
	{"root-has-eku", P_USE, GNUTLS_CERT_PURPOSE_MISMATCH},
	{"bad-key-usage", P_USE, GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE},
	{"unknown-critical-extension", P_USE,
	    GNUTLS_CERT_UNKNOWN_CRIT_EXTENSIONS},
	{"weak-key", P_KEY, GNUTLS_CERT_INSECURE_ALGORITHM},
	{"bad-key", P_KEY, GNUTLS_CERT_INSECURE_ALGORITHM},
	{"unusable-key", P_KEY, GNUTLS_CERT_INSECURE_ALGORITHM},
	{"duplicate-extension", P_FORM, 0},
	{"malformed-extension", P_FORM, 0},
	{"bad-criticality", P_FORM, 0},
	{"br-criticality", P_FORM, 0},
	{"missing-aki", P_FORM, 0},
	{"bad-aki", P_FORM, 0},
	{"missing-ski", P_FORM, 0},
	{"bad-serial", P_FORM, 0},
	{"bad-version", P_FORM, 0},
	{"empty-name", P_FORM, 0},
	{"malformed-certificate", P_FORM, 0},
	{"gnutls-differs", P_INFO, 0},
	{"pinned-leaf", P_INFO, 0},
};

/* ---- certificates --------------------------------------------------- */

enum ext_id {
	X_BC,
	X_KU,
	X_EKU,
	X_SAN,
	X_IAN,
	X_NC,
	X_AKI,
	X_SKI,
	X_PC,
	X_CP,
	X_PM,
	X_IAP,
	X_CRLDP,
	X_FRESHEST,
	X_AIA,
	X_SIA,
	X_TLSFEAT,
	X_SCT,
	X_SDA,
	X_COUNT,
};

/*
 * The extensions tlskit recognises.  RFC 5280 4.2: a critical extension
 * must be rejected unless it is processed, so only those marked processed
 * may be critical; those RFC 5280 says MUST be non-critical are named so
 * (critical is then bad-criticality, not unknown-critical-extension).
 */
enum crit_rule {
	C_PROCESSED,  /* acted on: may be critical */
	C_IGNORED,    /* recognised but not acted on: critical is unknown */
	C_NONCRIT,    /* MUST be non-critical (RFC 5280 4.2.1.x, 4.2.2.x) */
};

static const struct {
	const char *oid;
	const char *name;
	enum crit_rule crit;
} known[X_COUNT] = {
	[X_BC] = {"2.5.29.19", "basicConstraints", C_PROCESSED},
	[X_KU] = {"2.5.29.15", "keyUsage", C_PROCESSED},
	[X_EKU] = {"2.5.29.37", "extKeyUsage", C_PROCESSED},
	[X_SAN] = {"2.5.29.17", "subjectAltName", C_PROCESSED},
	[X_IAN] = {"2.5.29.18", "issuerAltName", C_IGNORED},
	[X_NC] = {"2.5.29.30", "nameConstraints", C_PROCESSED},
	[X_AKI] = {"2.5.29.35", "authorityKeyIdentifier", C_NONCRIT},
	[X_SKI] = {"2.5.29.14", "subjectKeyIdentifier", C_NONCRIT},
	[X_PC] = {"2.5.29.36", "policyConstraints", C_PROCESSED},
	[X_CP] = {"2.5.29.32", "certificatePolicies", C_PROCESSED},
	[X_PM] = {"2.5.29.33", "policyMappings", C_PROCESSED},
	[X_IAP] = {"2.5.29.54", "inhibitAnyPolicy", C_PROCESSED},
	[X_CRLDP] = {"2.5.29.31", "cRLDistributionPoints", C_IGNORED},
	[X_FRESHEST] = {"2.5.29.46", "freshestCRL", C_NONCRIT},
	[X_AIA] = {"1.3.6.1.5.5.7.1.1", "authorityInfoAccess", C_NONCRIT},
	[X_SIA] = {"1.3.6.1.5.5.7.1.11", "subjectInfoAccess", C_NONCRIT},
	/* processed: tls-check-cert requires the staple it asks for */
	[X_TLSFEAT] = {"1.3.6.1.5.5.7.1.24", "TLS feature", C_PROCESSED},
	[X_SCT] = {"1.3.6.1.4.1.11129.2.4.2", "SCT list", C_IGNORED},
	[X_SDA] = {"2.5.29.9", "subjectDirectoryAttributes", C_NONCRIT},
};

#define KU_DIGITAL_SIGNATURE 0x8000u
#define KU_KEY_CERT_SIGN 0x0400u

#define OID_ANY_EKU "2.5.29.37.0"
#define OID_CN "2.5.4.3"
#define OID_EMAIL "1.2.840.113549.1.9.1"
#define OID_EC_PUBLIC_KEY "1.2.840.10045.2.1"

struct ext {
	struct tk_der oid;
	char oidtext[64];
	bool critical;
	struct tk_der val;
};

struct node {
	gnutls_x509_crt_t crt;      /* served[] entry (borrowed) or owned */
	bool owned;
	bool anchor;
	gnutls_datum_t der;         /* owned (gnutls_free) */
	gnutls_pubkey_t pk;         /* imported on first use */
	int pk_state;               /* 0 not tried, 1 ok, -1 unusable */
	int priv;                   /* anchor_private(): 0 not asked, 1, -1 */
	bool ok;                    /* the DER is a certificate */
	char why[96];               /* what is wrong with it otherwise */
	char label[128];            /* CN or subject, printable */
	struct tk_der tbs, outer_alg, inner_alg, sig, serial, issuer, subject;
	struct tk_der spki;
	/* issuer and subject in RFC 5280 7.1 canonical form (lib/dn.c), or
	 * the raw TLVs when they do not canonicalise */
	struct tk_der icanon, scanon;
	unsigned char *canon;       /* owned: both canonical forms */
	unsigned version;           /* 1, 2 or 3 */
	struct ext ext[EXT_MAX];
	size_t next;
	bool ext_overflow;
	int dup_ext;                /* index of a repeated extension, or -1 */
	const struct ext *x[X_COUNT];
	unsigned bad_ext;           /* bit per X_* that does not decode */
	bool self_issued;
	bool has_bc, bc_ca;
	long pathlen;               /* -1: none */
	unsigned ku;                /* KU_* bits, when x[X_KU] */
	bool aki_keyid, aki_issuer, aki_serial;
	struct tk_der aki_id, ski_id;
	struct tk_der eku;           /* SEQUENCE OF OID contents */
	struct tk_der san;           /* SEQUENCE OF GeneralName contents */
	time_t not_before, not_after;
};

/* Result of judging one path. */
struct pathres {
	struct tk_verdict v;
	enum prio prio[TK_REASONS_MAX];
	size_t nfail;               /* reasons of severity FAIL */
	const struct tk_judging *j; /* borrowed: --ignore */
	enum tk_profile profile;    /* WEB or RFC5280: this path's */
	bool complete;
	size_t len;
	size_t idx[DEPTH_MAX];
};

enum sig_state {
	SIG_OK,
	SIG_BAD,
	SIG_INSECURE,   /* GnuTLS would not check it */
	SIG_NO_KEY,     /* the issuer's key is unusable */
};

struct ctx {
	const struct tk_chainval_opts *o;
	gnutls_x509_trust_list_t trust;  /* borrowed, may be NULL */
	const char *purpose;
	unsigned min_rsa;
	struct node *nodes;          /* cap slots, nn used; never moved */
	size_t nn, cap;
	size_t lookups;
	struct sigmemo {
		size_t child, parent;
		enum sig_state state;
	} sig[SIGS_MAX];             /* the signatures checked so far */
	/* host name reasons, found once per profile (the CN counts only
	 * under rfc5280) */
	struct pathres name[2];
	struct pathres cur;          /* scratch for the path being judged */
	struct pathres best;
	bool have_best, found;
	size_t path[DEPTH_MAX];
	size_t visits, sigs, evals;
	bool limit;                  /* a bound stopped the search */
	bool depth_hit;              /* a path reached DEPTH_MAX */
	size_t work;                 /* WORK_MAX budget spent */
	bool work_out;
	struct tk_judging none;      /* when o->judging is NULL */
	bool name_done[2];
	bool any_public;             /* an anchor is not the user's own */
};

static const struct code_info *
code_find(const char *code)
{
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		if (strcmp(codes[i].code, code) == 0) {
			return &codes[i];
		}
	}
	return NULL;
}

static void
add(struct pathres *r, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Adds a reason, with the severity this path's profile and --ignore give
 * its code.  When the list is full, a more important reason replaces the
 * least important one (an info one first).  The same code with the same
 * message is kept once.
 */
static void
add(struct pathres *r, const char *code, const char *fmt, ...)
{
	const struct code_info *ci = code_find(code);
	const struct tk_code *tc = tk_code_find(code);
	enum prio p = ci != NULL ? ci->prio : P_FORM;
	enum tk_demotion why = TK_DEMOTED_NONE;
	enum tk_severity sev = tk_judging_severity(r->j, r->profile, code,
	    tc != NULL ? tc->sev : TK_SEV_FAIL, &why);
	char msg[sizeof(r->v.reasons[0].message)];
	size_t slot = r->v.n;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < r->v.n; i++) {
		if (strcmp(r->v.reasons[i].code, code) == 0 &&
		    strcmp(r->v.reasons[i].message, msg) == 0) {
			return;
		}
	}
	if (slot == TK_REASONS_MAX) {
		size_t worst = 0;

		for (size_t i = 1; i < r->v.n; i++) {
			bool wi = r->v.reasons[i].sev < r->v.reasons[worst].sev;
			bool eq = r->v.reasons[i].sev ==
			    r->v.reasons[worst].sev;

			if (wi || (eq && r->prio[i] >= r->prio[worst])) {
				worst = i;
			}
		}
		if (r->v.reasons[worst].sev > sev ||
		    (r->v.reasons[worst].sev == sev && r->prio[worst] <= p)) {
			return;
		}
		if (r->v.reasons[worst].sev == TK_SEV_FAIL) {
			r->nfail--;
		}
		slot = worst;
	} else {
		r->v.n++;
	}
	r->v.reasons[slot].code = tc != NULL ? tc->code : ci != NULL ?
	    ci->code : code;
	r->v.reasons[slot].sev = sev;
	r->v.reasons[slot].demoted = why;
	r->prio[slot] = p;
	if (sev == TK_SEV_FAIL) {
		r->nfail++;
	}
	snprintf(r->v.reasons[slot].message,
	    sizeof(r->v.reasons[slot].message), "%s", msg);
}

/* Spends n units of the validation's work budget; false once it is out. */
static bool
spend(struct ctx *c, size_t n)
{
	if (c->work_out || n > WORK_MAX - c->work) {
		c->work_out = true;
		return false;
	}
	c->work += n;
	return true;
}

static void
set_label(struct node *nd)
{
	char buf[256];
	size_t sz = sizeof(buf);
	gnutls_datum_t dn = {NULL, 0};

	if (gnutls_x509_crt_get_dn_by_oid(nd->crt, OID_CN, 0, 0, buf, &sz) ==
	    0 && sz > 0) {
		tk_names_printable(nd->label, sizeof(nd->label), buf, sz);
		return;
	}
	if (gnutls_x509_crt_get_dn3(nd->crt, &dn, 0) >= 0 && dn.size > 0) {
		tk_names_printable(nd->label, sizeof(nd->label),
		    (const char *)dn.data, dn.size);
	} else {
		snprintf(nd->label, sizeof(nd->label), "(empty subject)");
	}
	gnutls_free(dn.data);
}

static bool
decode_bc(struct node *nd, struct tk_der v)
{
	struct tk_der seq, b;

	if (!tk_der_want(&v, 0x30, &seq, NULL) || v.n != 0) {
		return false;
	}
	nd->has_bc = true;
	if (tk_der_want(&seq, 0x01, &b, NULL)) {
		if (b.n != 1) {
			return false;
		}
		nd->bc_ca = b.p[0] != 0;
	}
	if (tk_der_want(&seq, 0x02, &b, NULL)) {
		long pl = 0;

		if (b.n == 0 || b.n > 4 || (b.p[0] & 0x80)) {
			return false;
		}
		for (size_t i = 0; i < b.n; i++) {
			pl = pl << 8 | b.p[i];
		}
		nd->pathlen = pl;
	}
	return seq.n == 0;
}

static bool
decode_ku(struct node *nd, struct tk_der v)
{
	struct tk_der bits;

	if (!tk_der_want(&v, 0x03, &bits, NULL) || v.n != 0 || bits.n < 2 ||
	    bits.n > 3 || bits.p[0] > 7) {
		return false;
	}
	nd->ku = (unsigned)bits.p[1] << 8 | (bits.n > 2 ? bits.p[2] : 0);
	/* RFC 5280 4.2.1.3: at least one bit set */
	return nd->ku != 0;
}

/* SEQUENCE SIZE (1..MAX) OF tag: its contents, all elements tagged so. */
static bool
decode_seq_of(struct tk_der v, unsigned char tag, struct tk_der *out)
{
	struct tk_der seq, it, el;
	unsigned char t;

	if (!tk_der_want(&v, 0x30, &seq, NULL) || v.n != 0 || seq.n == 0) {
		return false;
	}
	it = seq;
	while (it.n > 0) {
		if (!tk_der_get(&it, &t, &el, NULL) || (tag != 0 && t != tag)) {
			return false;
		}
	}
	*out = seq;
	return true;
}

static bool
decode_general_names(struct tk_der v, struct tk_der *out)
{
	struct tk_der seq, it, el;
	unsigned char t;

	if (!tk_der_want(&v, 0x30, &seq, NULL) || v.n != 0 || seq.n == 0) {
		return false;
	}
	it = seq;
	while (it.n > 0) {
		if (!tk_der_get(&it, &t, &el, NULL) ||
		    !tk_names_tag_ok(t)) {
			return false;
		}
		if (t == 0xa4) {
			struct tk_der name;

			if (!tk_der_want(&el, 0x30, &name, NULL) || el.n != 0) {
				return false;
			}
		}
	}
	*out = seq;
	return true;
}

static bool
decode_aki(struct node *nd, struct tk_der v)
{
	struct tk_der seq, el;

	if (!tk_der_want(&v, 0x30, &seq, NULL) || v.n != 0) {
		return false;
	}
	if (tk_der_want(&seq, 0x80, &el, NULL)) {
		nd->aki_keyid = true;
		nd->aki_id = el;
	}
	if (tk_der_want(&seq, 0xa1, &el, NULL)) {
		nd->aki_issuer = true;
	}
	if (tk_der_want(&seq, 0x82, &el, NULL)) {
		nd->aki_serial = true;
	}
	return seq.n == 0;
}

static bool
decode_aia(struct tk_der v)
{
	struct tk_der seq, ad, oid, gn;
	unsigned char t;

	if (!tk_der_want(&v, 0x30, &seq, NULL) || v.n != 0 || seq.n == 0) {
		return false;
	}
	while (seq.n > 0) {
		if (!tk_der_want(&seq, 0x30, &ad, NULL) ||
		    !tk_der_want(&ad, 0x06, &oid, NULL) ||
		    !tk_der_get(&ad, &t, &gn, NULL) ||
		    !tk_names_tag_ok(t) || ad.n != 0) {
			return false;
		}
	}
	return true;
}

static bool
decode_pc(struct tk_der v)
{
	struct tk_der seq, el;
	bool any = false;

	if (!tk_der_want(&v, 0x30, &seq, NULL) || v.n != 0) {
		return false;
	}
	if (tk_der_want(&seq, 0x80, &el, NULL)) {
		any = true;
	}
	if (tk_der_want(&seq, 0x81, &el, NULL)) {
		any = true;
	}
	/* RFC 5280 4.2.1.11: MUST NOT be an empty sequence */
	return any && seq.n == 0;
}

/* Decodes the extensions we act on; a bit in bad_ext for each failure. */
static void
decode_extensions(struct node *nd)
{
	struct tk_der v, tmp;

	for (int id = 0; id < X_COUNT; id++) {
		bool ok = true;

		if (nd->x[id] == NULL) {
			continue;
		}
		v = nd->x[id]->val;
		switch ((enum ext_id)id) {
		case X_BC:
			ok = decode_bc(nd, v);
			break;
		case X_KU:
			ok = decode_ku(nd, v);
			break;
		case X_EKU:
			ok = decode_seq_of(v, 0x06, &nd->eku);
			break;
		case X_SAN:
			ok = decode_general_names(v, &nd->san);
			break;
		case X_IAN:
			ok = decode_general_names(v, &tmp);
			break;
		case X_AKI:
			ok = decode_aki(nd, v);
			break;
		case X_SKI:
			ok = tk_der_want(&v, 0x04, &nd->ski_id, NULL) &&
			    v.n == 0 && nd->ski_id.n > 0;
			break;
		case X_AIA:
		case X_SIA:
			ok = decode_aia(v);
			break;
		case X_PC:
			ok = decode_pc(v);
			break;
		case X_NC:      /* checked where it is used */
		case X_CP:
		case X_PM:
		case X_IAP:
		case X_CRLDP:
		case X_FRESHEST:
		case X_TLSFEAT:
		case X_SCT:
		case X_SDA:
		case X_COUNT:
			break;
		}
		if (!ok) {
			nd->bad_ext |= 1u << id;
		}
	}
}

static bool
parse_extensions(struct node *nd, struct tk_der exts)
{
	struct tk_der seq, e, oid, b, val;

	if (!tk_der_want(&exts, 0x30, &seq, NULL) || exts.n != 0) {
		return false;
	}
	while (seq.n > 0) {
		struct ext *x;

		if (!tk_der_want(&seq, 0x30, &e, NULL) ||
		    !tk_der_want(&e, 0x06, &oid, NULL)) {
			return false;
		}
		if (nd->next == EXT_MAX) {
			nd->ext_overflow = true;
			continue;
		}
		x = &nd->ext[nd->next];
		memset(x, 0, sizeof(*x));
		x->oid = oid;
		if (!tk_der_oid_text(oid, x->oidtext, sizeof(x->oidtext))) {
			return false;
		}
		if (tk_der_want(&e, 0x01, &b, NULL)) {
			if (b.n != 1) {
				return false;
			}
			x->critical = b.p[0] != 0;
		}
		if (!tk_der_want(&e, 0x04, &val, NULL) || e.n != 0) {
			return false;
		}
		x->val = val;
		for (size_t i = 0; i < nd->next; i++) {
			if (tk_der_eq(nd->ext[i].oid, oid) && nd->dup_ext < 0) {
				nd->dup_ext = (int)nd->next;
			}
		}
		for (int id = 0; id < X_COUNT; id++) {
			if (strcmp(known[id].oid, x->oidtext) == 0 &&
			    nd->x[id] == NULL) {
				nd->x[id] = x;
			}
		}
		nd->next++;
	}
	return true;
}

/*
 * The issuer and subject in the form RFC 5280 7.1 compares (lib/dn.c):
 * names chain when these are equal bytes.
 */
static void
canonicalise(struct node *nd)
{
	unsigned char ib[TK_DN_CANON_MAX], sb[TK_DN_CANON_MAX];
	ssize_t a, b;

	nd->icanon = nd->issuer;
	nd->scanon = nd->subject;
	/* each name on its own: one that does not canonicalise (malformed)
	 * is compared as its bytes */
	a = tk_dn_canon(nd->issuer.p, nd->issuer.n, ib, sizeof(ib));
	b = tk_dn_canon(nd->subject.p, nd->subject.n, sb, sizeof(sb));
	nd->canon = malloc((a > 0 ? (size_t)a : 0) + (b > 0 ? (size_t)b : 0) +
	    1);
	if (nd->canon == NULL) {
		return;
	}
	if (a >= 0) {
		memcpy(nd->canon, ib, (size_t)a);
		nd->icanon.p = nd->canon;
		nd->icanon.n = (size_t)a;
	}
	if (b >= 0) {
		memcpy(nd->canon + (a > 0 ? a : 0), sb, (size_t)b);
		nd->scanon.p = nd->canon + (a > 0 ? a : 0);
		nd->scanon.n = (size_t)b;
	}
}

/* Splits the DER of a certificate (RFC 5280 4.1) into its fields. */
static bool
parse_der(struct node *nd)
{
	struct tk_der in = {nd->der.data, nd->der.size};
	struct tk_der cert, tbs, el, ver;
	unsigned char t;

	if (!tk_der_want(&in, 0x30, &cert, NULL) || in.n != 0 ||
	    !tk_der_want(&cert, 0x30, &tbs, &nd->tbs) ||
	    !tk_der_want(&cert, 0x30, &el, &nd->outer_alg) ||
	    !tk_der_want(&cert, 0x03, &nd->sig, NULL) || cert.n != 0) {
		snprintf(nd->why, sizeof(nd->why), "not a certificate");
		return false;
	}
	if (nd->sig.n < 1 || nd->sig.p[0] != 0) {
		snprintf(nd->why, sizeof(nd->why), "bad signature bit string");
		return false;
	}
	nd->sig.p++;
	nd->sig.n--;
	nd->version = 1;
	if (tk_der_want(&tbs, 0xa0, &el, NULL)) {
		if (!tk_der_want(&el, 0x02, &ver, NULL) || ver.n != 1 ||
		    el.n != 0) {
			snprintf(nd->why, sizeof(nd->why), "bad version");
			return false;
		}
		nd->version = ver.p[0] + 1u;
	}
	if (!tk_der_want(&tbs, 0x02, &nd->serial, NULL) ||
	    !tk_der_want(&tbs, 0x30, &el, &nd->inner_alg) ||
	    !tk_der_want(&tbs, 0x30, &el, &nd->issuer) ||
	    !tk_der_want(&tbs, 0x30, &el, NULL) ||
	    !tk_der_want(&tbs, 0x30, &el, &nd->subject) ||
	    !tk_der_want(&tbs, 0x30, &el, &nd->spki)) {
		snprintf(nd->why, sizeof(nd->why), "truncated tbsCertificate");
		return false;
	}
	tk_der_want(&tbs, 0x81, &el, NULL);
	tk_der_want(&tbs, 0x82, &el, NULL);
	if (tk_der_peek(&tbs) == 0xa3) {
		tk_der_get(&tbs, &t, &el, NULL);
		if (!parse_extensions(nd, el)) {
			snprintf(nd->why, sizeof(nd->why),
			    "malformed extensions");
			return false;
		}
	}
	if (tbs.n != 0) {
		snprintf(nd->why, sizeof(nd->why),
		    "trailing data in tbsCertificate");
		return false;
	}
	canonicalise(nd);
	nd->self_issued = tk_der_eq(nd->icanon, nd->scanon);
	decode_extensions(nd);
	return true;
}

static int
node_init(struct node *nd, gnutls_x509_crt_t crt, bool owned, bool anchor,
    struct tk_err *err)
{
	int rc;

	memset(nd, 0, sizeof(*nd));
	nd->crt = crt;
	nd->owned = owned;
	nd->anchor = anchor;
	nd->dup_ext = -1;
	nd->pathlen = -1;
	rc = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &nd->der);
	if (rc < 0) {
		return tk_err_set(err, TK_INTERNAL, "verify",
		    "cannot export a certificate: %s", gnutls_strerror(rc));
	}
	set_label(nd);
	nd->ok = parse_der(nd);
	nd->not_before = gnutls_x509_crt_get_activation_time(crt);
	nd->not_after = gnutls_x509_crt_get_expiration_time(crt);
	return 0;
}

static void
node_release(struct node *nd)
{
	if (nd->pk != NULL) {
		gnutls_pubkey_deinit(nd->pk);
	}
	if (nd->owned) {
		gnutls_x509_crt_deinit(nd->crt);
	}
	free(nd->canon);
	gnutls_free(nd->der.data);
}

static gnutls_pubkey_t
node_pubkey(struct node *nd)
{
	if (nd->pk_state == 0) {
		nd->pk_state = -1;
		if (gnutls_pubkey_init(&nd->pk) < 0) {
			nd->pk = NULL;
			return NULL;
		}
		if (gnutls_pubkey_import_x509(nd->pk, nd->crt, 0) < 0) {
			gnutls_pubkey_deinit(nd->pk);
			nd->pk = NULL;
			return NULL;
		}
		nd->pk_state = 1;
	}
	return nd->pk_state == 1 ? nd->pk : NULL;
}

/* ---- names ---------------------------------------------------------- */

/* "a.example, b.example, 192.0.2.1" for messages. */
static void
san_list(const struct node *leaf, char *buf, size_t len)
{
	struct tk_der it = leaf->san;
	struct tk_names_gn g;
	size_t o = 0;

	buf[0] = '\0';
	while (o + 16 < len && tk_names_next(&it, &g)) {
		char one[TK_NAME_MAX];

		if (g.tag == 0x82) {
			tk_names_printable(one, sizeof(one),
			    (const char *)g.v.p, g.v.n);
		} else if (g.tag == 0x87) {
			tk_names_ip_text(g.v, one, sizeof(one));
		} else {
			continue;
		}
		o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? ", " : "",
		    one);
	}
	if (it.n > 0 && o + 5 < len) {
		snprintf(buf + o, len - o, ", ...");
	}
	if (o == 0) {
		snprintf(buf, len, "no DNS name or IP address");
	}
}

/*
 * The leaf's last (most specific) CN, for RFC 6125 6.4.4.  false when it
 * has none.
 */
static bool
last_cn(const struct node *leaf, char *cn, size_t len, size_t *n)
{
	bool found = false;

	for (unsigned k = 0; k < 64; k++) {
		char buf[TK_NAME_MAX];
		size_t sz = sizeof(buf);

		if (gnutls_x509_crt_get_dn_by_oid(leaf->crt, OID_CN, k, 0, buf,
		    &sz) < 0) {
			break;
		}
		if (sz >= len) {
			continue;
		}
		memcpy(cn, buf, sz);
		cn[sz] = '\0';
		*n = sz;
		found = true;
	}
	return found;
}

/*
 * RFC 6125 6.4 / RFC 9525 host name check.  Under the web profile (r is
 * c->name[0]) only the SANs count; under rfc5280 (c->name[1]) a leaf with
 * no subjectAltName at all is matched by its CN (RFC 6125 6.4.4), never
 * for an IP address.  Found once per validation and profile; merged into
 * every path's result.
 */
static void
check_hostname(struct ctx *c, const struct node *leaf, struct pathres *r,
    bool cn_fallback)
{
	struct tk_names_host *h = calloc(1, sizeof(*h));
	char names[300];
	struct tk_der it;
	struct tk_names_gn g;
	bool matched = false;

	if (h == NULL) {
		add(r, "name-mismatch", "out of memory checking the name");
		return;
	}
	tk_names_host_init(h, c->o->hostname);
	if (leaf->x[X_SAN] == NULL && cn_fallback && h->iplen == 0) {
		char cn[TK_NAME_MAX];
		size_t cnn = 0;

		if (last_cn(leaf, cn, sizeof(cn), &cnn) &&
		    tk_names_host_dns(h, cn, cnn)) {
			add(r, "name-from-cn", "the leaf has no "
			    "subjectAltName, so its CN '%s' was matched (RFC "
			    "6125 6.4.4; the web profile would refuse it)",
			    h->shown);
			goto out;
		}
	}
	if (leaf->x[X_SAN] == NULL || (leaf->bad_ext & (1u << X_SAN))) {
		add(r, "name-mismatch", "the certificate has no usable "
		    "subjectAltName, so it is for no name%s, not '%s'",
		    !cn_fallback ? " (the CN is not used)" : h->iplen ?
		    " (an IP address is never matched against the CN)" :
		    " (nor does its CN match)", h->shown);
		if (h->refused[0] != '\0') {
			add(r, "bad-wildcard", "the wildcard CN '%s' does not "
			    "cover '%s': %s", h->refused, h->shown, h->why);
		}
		goto out;
	}
	it = leaf->san;
	while (!matched && tk_names_next(&it, &g)) {
		if (!spend(c, 1 + g.v.n / 64)) {
			break;
		}
		if (h->iplen > 0) {
			matched = g.tag == 0x87 && g.v.n == h->iplen &&
			    memcmp(g.v.p, h->ip, h->iplen) == 0;
		} else if (g.tag == 0x82) {
			matched = tk_names_host_dns(h, (const char *)g.v.p,
			    g.v.n);
		}
	}
	if (matched) {
		goto out;
	}
	san_list(leaf, names, sizeof(names));
	add(r, "name-mismatch", "the certificate is for %s, not '%s'%s%s",
	    names, h->shown, h->iplen > 0 ? " (an IP address matches IP "
	    "SANs only)" : "", c->work_out ? " (stopped at the work budget "
	    "before the last SAN)" : "");
	if (h->refused[0] != '\0') {
		add(r, "bad-wildcard", "the wildcard '%s' does not cover '%s': "
		    "%s", h->refused, h->shown, h->why);
	}
out:
	free(h);
}

/* ---- checks of one certificate -------------------------------------- */

enum role {
	R_LEAF,
	R_CA,       /* an intermediate, or the top of a dead-end path */
	R_ANCHOR,
};

/* The X_* of an extension, or -1 when tlskit does not know it. */
static int
ext_id_of(const struct ext *x)
{
	for (int id = 0; id < X_COUNT; id++) {
		if (strcmp(known[id].oid, x->oidtext) == 0) {
			return id;
		}
	}
	return -1;
}

static const char *
ext_name(const struct ext *x)
{
	int id = ext_id_of(x);

	return id >= 0 ? known[id].name : x->oidtext;
}

/* Structure: version, serial, extensions, names, algorithm fields. */
static void
check_form(const struct node *nd, size_t i, enum role role,
    struct pathres *r)
{
	static const int crit[] = {X_PC, X_IAP};
	const struct tk_der s = nd->serial;
	bool zero = true;

	if (nd->version != 3) {
		add(r, "bad-version", "certificate #%zu '%s' is X.509 v%u, not "
		    "v3 (BR 7.1.1)", i, nd->label, nd->version);
	}
	for (size_t k = 0; k < s.n; k++) {
		zero &= s.p[k] == 0;
	}
	if (role == R_ANCHOR) {
		/*
		 * A trust anchor is a name and a key (RFC 5280 6.1.1 (d)): its
		 * serial and issuer linkage are never used.  Real roots have
		 * serial 0 (Starfield G2), or lack an AKI although issued by
		 * another CA.
		 */
	} else if (s.n == 0 || zero) {
		add(r, "bad-serial", "certificate #%zu '%s' has serial number "
		    "zero (RFC 5280 4.1.2.2)", i, nd->label);
	} else if (s.p[0] & 0x80) {
		add(r, "bad-serial", "certificate #%zu '%s' has a negative "
		    "serial number (RFC 5280 4.1.2.2)", i, nd->label);
	} else if (s.n > 21 || (s.n == 21 && s.p[0] != 0)) {
		add(r, "bad-serial", "certificate #%zu '%s' has a serial "
		    "number longer than 20 octets (RFC 5280 4.1.2.2)", i,
		    nd->label);
	}
	if (nd->dup_ext >= 0) {
		add(r, "duplicate-extension", "certificate #%zu '%s' has the "
		    "%s extension more than once (RFC 5280 4.2)", i,
		    nd->label, ext_name(&nd->ext[nd->dup_ext]));
	}
	if (nd->ext_overflow) {
		add(r, "malformed-extension", "certificate #%zu '%s' has more "
		    "than %d extensions", i, nd->label, EXT_MAX);
	}
	for (size_t k = 0; k < nd->next; k++) {
		const struct ext *x = &nd->ext[k];
		int id = ext_id_of(x);

		if (!x->critical) {
			continue;
		}
		if (id >= 0 && known[id].crit == C_NONCRIT) {
			add(r, "bad-criticality", "certificate #%zu '%s' marks "
			    "%s critical (RFC 5280 requires non-critical)", i,
			    nd->label, known[id].name);
		} else if (id < 0 || known[id].crit == C_IGNORED) {
			add(r, "unknown-critical-extension", "certificate #%zu "
			    "'%s' has the critical extension %s%s%s%s, which "
			    "tlskit does not process (RFC 5280 4.2)", i,
			    nd->label, id >= 0 ? known[id].name : x->oidtext,
			    id >= 0 ? " (" : "", id >= 0 ? x->oidtext : "",
			    id >= 0 ? ")" : "");
		}
	}
	for (int id = 0; id < X_COUNT; id++) {
		if (nd->bad_ext & (1u << id)) {
			add(r, "malformed-extension", "certificate #%zu '%s' "
			    "has a malformed or empty %s extension", i,
			    nd->label, known[id].name);
		}
	}
	/* RFC 5280 4.2.1.11, 4.2.1.14: MUST be critical */
	for (size_t k = 0; k < sizeof(crit) / sizeof(crit[0]); k++) {
		const struct ext *x = nd->x[crit[k]];

		if (x != NULL && !x->critical) {
			add(r, "bad-criticality", "certificate #%zu '%s' does "
			    "not mark %s critical (RFC 5280 requires it)", i,
			    nd->label, known[crit[k]].name);
		}
	}
	if (nd->issuer.n <= 2) {
		add(r, "empty-name", "certificate #%zu '%s' has an empty "
		    "issuer name (RFC 5280 4.1.2.4)", i, nd->label);
	}
	if (nd->subject.n <= 2) {
		if (role != R_LEAF) {
			add(r, "empty-name", "CA certificate #%zu has an empty "
			    "subject name (RFC 5280 4.1.2.6)", i);
		} else if (nd->x[X_SAN] != NULL && !nd->x[X_SAN]->critical) {
			add(r, "bad-criticality", "certificate #%zu has an "
			    "empty subject but a non-critical subjectAltName "
			    "(RFC 5280 4.2.1.6)", i);
		}
	} else if (role == R_LEAF && nd->x[X_SAN] != NULL &&
	    nd->x[X_SAN]->critical) {
		add(r, "br-criticality", "certificate #%zu '%s' marks "
		    "subjectAltName critical although its subject is not "
		    "empty (BR 7.1.2.7.12)", i, nd->label);
	}
	if (!tk_der_eq(nd->inner_alg, nd->outer_alg)) {
		add(r, "signature-algorithm-mismatch", "certificate #%zu '%s' "
		    "names different algorithms in signatureAlgorithm and "
		    "tbsCertificate.signature (RFC 5280 4.1.1.2)", i,
		    nd->label);
	}
	/*
	 * RFC 5280 4.2.1.1: every certificate but a self-signed one carries
	 * the authority key identifier.
	 */
	if (!nd->self_issued && !nd->aki_keyid && role != R_ANCHOR) {
		add(r, "missing-aki", "certificate #%zu '%s' has no "
		    "authorityKeyIdentifier key identifier (RFC 5280 4.2.1.1)",
		    i, nd->label);
	}
	/*
	 * Anchors are spared two rules that trusted roots break in practice:
	 * no SKI (TWCA Global Root CA) and an AKI naming issuer and serial
	 * (QuoVadis Root CA 2 and 3, Certigna); neither matters once the
	 * anchor is found.
	 */
	if (role == R_CA && nd->x[X_SKI] == NULL) {
		add(r, "missing-ski", "CA certificate #%zu '%s' has no "
		    "subjectKeyIdentifier (RFC 5280 4.2.1.2)", i, nd->label);
	}
	if (role == R_ANCHOR && nd->self_issued && nd->x[X_AKI] != NULL) {
		if (!nd->aki_keyid) {
			add(r, "bad-aki", "root #%zu '%s' has an "
			    "authorityKeyIdentifier without keyIdentifier (BR "
			    "7.1.2.1.3)", i, nd->label);
		} else if (nd->x[X_SKI] != NULL &&
		    !tk_der_eq(nd->aki_id, nd->ski_id)) {
			add(r, "bad-aki", "root #%zu '%s' has an "
			    "authorityKeyIdentifier that differs from its "
			    "subjectKeyIdentifier (BR 7.1.2.1.3)", i,
			    nd->label);
		}
	}
}

static void
check_time(struct ctx *c, const struct node *nd, size_t i, struct pathres *r)
{
	char when[32];

	/*
	 * RFC 5280 4.1.2.5: both ends inclusive, at one-second granularity.
	 * GnuTLS reads 99991231235959Z ("no well-defined expiration") as -1.
	 */
	if (nd->not_after != (time_t)-1 && c->o->at > nd->not_after) {
		tk_certinfo_iso_time(nd->not_after, when, sizeof(when));
		add(r, "expired", "certificate #%zu '%s' expired on %s", i,
		    nd->label, when);
	}
	if (c->o->at < nd->not_before) {
		tk_certinfo_iso_time(nd->not_before, when, sizeof(when));
		add(r, "not-yet-valid", "certificate #%zu '%s' is not valid "
		    "before %s", i, nd->label, when);
	}
}

/* BR 6.1.5 and 7.1.3.1: which keys may appear at all. */
static void
check_key(struct ctx *c, struct node *nd, size_t i, struct pathres *r)
{
	gnutls_pubkey_t pk = node_pubkey(nd);
	struct tk_der spki = nd->spki, seq, alg, oid, params;
	char oidt[64] = "";
	unsigned bits = 0;
	int algo;

	if (tk_der_want(&spki, 0x30, &seq, NULL) &&
	    tk_der_want(&seq, 0x30, &alg, NULL) &&
	    tk_der_want(&alg, 0x06, &oid, NULL) &&
	    tk_der_oid_text(oid, oidt, sizeof(oidt)) &&
	    strcmp(oidt, OID_EC_PUBLIC_KEY) == 0 &&
	    (!tk_der_want(&alg, 0x06, &params, NULL) || alg.n != 0)) {
		add(r, "unusable-key", "certificate #%zu '%s' has an EC key "
		    "without a named curve (RFC 5480 2.1.1)", i, nd->label);
		return;
	}
	if (pk == NULL) {
		add(r, "unusable-key", "certificate #%zu '%s' has a public key "
		    "that "
		    "cannot be read", i, nd->label);
		return;
	}
	algo = gnutls_pubkey_get_pk_algorithm(pk, &bits);
	switch (algo) {
	case GNUTLS_PK_RSA:
	case GNUTLS_PK_RSA_PSS:
		if (bits < c->min_rsa) {
			add(r, "weak-key", "certificate #%zu '%s' has a %u-bit "
			    "RSA key (at least %u bits are needed)", i,
			    nd->label, bits, c->min_rsa);
		} else if (bits % 8 != 0) {
			add(r, "bad-key", "certificate #%zu '%s' has an RSA "
			    "modulus of %u bits, not a multiple of 8 (BR "
			    "6.1.5)", i, nd->label, bits);
		}
		break;
	case GNUTLS_PK_DSA:
		add(r, "bad-key", "certificate #%zu '%s' has a DSA key, which "
		    "the Baseline Requirements do not allow (BR 6.1.5)", i,
		    nd->label);
		break;
	case GNUTLS_PK_ECDSA: {
		gnutls_ecc_curve_t curve = GNUTLS_ECC_CURVE_INVALID;

		if (gnutls_pubkey_export_ecc_raw2(pk, &curve, NULL, NULL, 0) <
		    0) {
			curve = GNUTLS_ECC_CURVE_INVALID;
		}
		if (curve == GNUTLS_ECC_CURVE_SECP256R1 ||
		    curve == GNUTLS_ECC_CURVE_SECP384R1 ||
		    curve == GNUTLS_ECC_CURVE_SECP521R1) {
			break;
		}
		if (curve == GNUTLS_ECC_CURVE_SECP192R1 ||
		    curve == GNUTLS_ECC_CURVE_SECP224R1) {
			add(r, "weak-key", "certificate #%zu '%s' has a %s key "
			    "(P-256, P-384 or P-521 are needed)", i, nd->label,
			    gnutls_ecc_curve_get_name(curve));
		} else {
			add(r, "bad-key", "certificate #%zu '%s' has an EC key "
			    "on a curve the Baseline Requirements do not allow",
			    i, nd->label);
		}
		break;
	}
	case GNUTLS_PK_EDDSA_ED25519:
	case GNUTLS_PK_EDDSA_ED448:
		break;
	default:
		add(r, "bad-key", "certificate #%zu '%s' has a %s key", i,
		    nd->label, algo >= 0 ?
		    gnutls_pk_get_name((gnutls_pk_algorithm_t)algo) :
		    "unknown");
		break;
	}
}

/* The purpose in words, for messages. */
static const char *
purpose_text(const char *oid)
{
	if (strcmp(oid, GNUTLS_KP_TLS_WWW_SERVER) == 0) {
		return "TLS server authentication (serverAuth)";
	}
	if (strcmp(oid, GNUTLS_KP_TLS_WWW_CLIENT) == 0) {
		return "TLS client authentication (clientAuth)";
	}
	return oid;
}

/* Whether an EKU contents slice lists oid. */
static bool
eku_has(struct tk_der eku, const char *oid)
{
	struct tk_der el;
	char t[64];

	while (tk_der_want(&eku, 0x06, &el, NULL)) {
		if (tk_der_oid_text(el, t, sizeof(t)) && strcmp(t, oid) == 0) {
			return true;
		}
	}
	return false;
}

static void
check_ca(struct ctx *c, const struct node *nd, size_t i, enum role role,
    struct pathres *r)
{
	if (!nd->has_bc) {
		add(r, "issuer-not-ca", "certificate #%zu '%s' issues "
		    "certificates but has no basicConstraints extension (RFC "
		    "5280 4.2.1.9)", i, nd->label);
	} else if (!nd->bc_ca) {
		add(r, "issuer-not-ca", "certificate #%zu '%s' issues "
		    "certificates but is not a CA (basicConstraints cA is "
		    "FALSE)", i, nd->label);
	} else if (!nd->x[X_BC]->critical) {
		add(r, "basic-constraints-not-critical", "CA certificate #%zu "
		    "'%s' does not mark basicConstraints critical (RFC 5280 "
		    "4.2.1.9)", i, nd->label);
	}
	/*
	 * RFC 5280 4.2.1.10: conforming CAs MUST mark nameConstraints
	 * critical; the BR (7.1.2.5.2) allow it non-critical, so only the
	 * rfc5280 profile holds a CA to it.
	 */
	if (nd->x[X_NC] != NULL && !nd->x[X_NC]->critical &&
	    r->profile == TK_PROFILE_RFC5280) {
		add(r, "bad-criticality", "CA certificate #%zu '%s' does not "
		    "mark nameConstraints critical (RFC 5280 4.2.1.10)", i,
		    nd->label);
	}
	if (nd->x[X_KU] != NULL && !(nd->bad_ext & (1u << X_KU)) &&
	    !(nd->ku & KU_KEY_CERT_SIGN)) {
		add(r, "bad-key-usage", "CA certificate #%zu '%s' has a "
		    "keyUsage without keyCertSign (RFC 5280 4.2.1.3)", i,
		    nd->label);
	}
	if (nd->x[X_EKU] != NULL && !(nd->bad_ext & (1u << X_EKU))) {
		if (role == R_ANCHOR && nd->self_issued) {
			add(r, "root-has-eku", "root #%zu '%s' has an "
			    "extKeyUsage extension (BR 7.1.2.1.2)", i,
			    nd->label);
		}
		if (!eku_has(nd->eku, c->purpose) &&
		    !eku_has(nd->eku, OID_ANY_EKU)) {
			add(r, "purpose-mismatch", "CA certificate #%zu '%s' "
			    "restricts its extKeyUsage to purposes without %s",
			    i, nd->label, purpose_text(c->purpose));
		}
	}
}

/* The leaf's names: SAN syntax (RFC 5280 4.2.1.6) and CN (BR 7.1.4.3). */
static void
check_leaf_names(const struct node *nd, struct pathres *r)
{
	struct tk_der it = nd->san;
	struct tk_names_gn g;
	char shown[TK_NAME_MAX];

	if (nd->x[X_SAN] == NULL) {
		add(r, "no-san", "CA/B: leaf has no subjectAltName (BR "
		    "7.1.2.7.12)");
		return;
	}
	while (tk_names_next(&it, &g)) {
		const char *s = (const char *)g.v.p;
		unsigned char ip[16];
		char buf[TK_NAME_MAX];

		if (g.tag == 0x87 && g.v.n != 4 && g.v.n != 16) {
			add(r, "bad-san", "the leaf has an iPAddress SAN of "
			    "%zu bytes (4 or 16 are allowed; RFC 5280 "
			    "4.2.1.6)", g.v.n);
		}
		if (g.tag != 0x82) {
			continue;
		}
		tk_names_printable(shown, sizeof(shown), s, g.v.n);
		if (memchr(s, '*', g.v.n) != NULL) {
			/* wildcards are judged when matching (bad-wildcard) */
			continue;
		}
		snprintf(buf, sizeof(buf), "%.*s", (int)g.v.n, s);
		if (g.v.n < sizeof(buf) && (inet_pton(AF_INET, buf, ip) == 1 ||
		    inet_pton(AF_INET6, buf, ip) == 1)) {
			add(r, "bad-san", "the leaf's dNSName SAN '%s' is an "
			    "IP address (use an iPAddress SAN; RFC 5280 "
			    "4.2.1.6)", shown);
		} else if (!tk_names_dns_syntax_ok(s, g.v.n, false)) {
			add(r, "bad-san", "the leaf's dNSName SAN '%s' is not "
			    "a valid host name (RFC 5280 4.2.1.6 preferred "
			    "name syntax)", shown);
		}
	}
}

/*
 * BR 7.1.4.3 wants the CN to be a character-for-character copy of a SAN.
 * A CN naming another host is tolerated, since the CN is never used (and
 * BetterTLS expects such leaves to pass); a CN that spells a SAN entry
 * differently (case, IP address form) or that is not ASCII (so cannot
 * copy any dNSName, RFC 5280 7.2) is reported, since software that still
 * reads the CN would see another name than the SAN says.
 */
static void
check_cn(const struct node *nd, struct pathres *r)
{
	for (unsigned k = 0; k < 8; k++) {
		char cn[TK_NAME_MAX], shown[TK_NAME_MAX];
		unsigned char ip[16];
		struct in_addr legacy;
		size_t sz = sizeof(cn) - 1, iplen = 0;
		struct tk_der it = nd->san;
		struct tk_names_gn g;
		bool exact = false, near = false;

		if (gnutls_x509_crt_get_dn_by_oid(nd->crt, OID_CN, k, 0, cn,
		    &sz) < 0) {
			break;
		}
		cn[sz] = '\0';
		tk_names_printable(shown, sizeof(shown), cn, sz);
		for (size_t i = 0; i < sz; i++) {
			near |= (unsigned char)cn[i] >= 0x80;
		}
		if (near) {
			add(r, "bad-cn", "CA/B: the leaf's CN '%s' is not "
			    "ASCII, so it is no copy of a SAN (use the "
			    "A-label; BR 7.1.4.3)", shown);
			continue;
		}
		if (inet_pton(AF_INET, cn, ip) == 1) {
			iplen = 4;
		} else if (inet_pton(AF_INET6, cn, ip) == 1) {
			iplen = 16;
		} else if (inet_aton(cn, &legacy) == 1) {
			memcpy(ip, &legacy, 4);
			iplen = 4;    /* 0xC0A80101, 192.168.001.001 */
		}
		while (!exact && tk_names_next(&it, &g)) {
			if (g.tag == 0x82) {
				exact = g.v.n == sz &&
				    memcmp(g.v.p, cn, sz) == 0;
				near |= tk_names_caseeq((const char *)g.v.p,
				    g.v.n, cn, sz);
			} else if (g.tag == 0x87) {
				char t[64];

				tk_names_ip_text(g.v, t, sizeof(t));
				exact = strcmp(t, cn) == 0;
				near |= iplen == g.v.n &&
				    memcmp(ip, g.v.p, iplen) == 0;
			}
		}
		if (!exact && near) {
			add(r, "bad-cn", "CA/B: the leaf's CN '%s' is not a "
			    "character-for-character copy of its SAN (BR "
			    "7.1.4.3)", shown);
		}
	}
}

#define KU_KEY_ENCIPHERMENT 0x2000u
#define KU_KEY_AGREEMENT 0x0800u

/*
 * The leaf's keyUsage, when present, must allow what a TLS peer does with
 * its key (RFC 5280 4.2.1.3 and 4.2.1.12; RFC 8446 4.4.2.2, RFC 5246
 * 7.4.2): sign the handshake (digitalSignature), or for an RSA server key
 * also decrypt the premaster secret (keyEncipherment, TLS 1.2 key
 * transport).  keyAgreement alone never lets an RSA, ECDSA or EdDSA key
 * authenticate a TLS peer.  Only for the two TLS purposes.
 */
static void
check_leaf_ku(struct ctx *c, struct node *nd, struct pathres *r)
{
	bool server = strcmp(c->purpose, GNUTLS_KP_TLS_WWW_SERVER) == 0;
	bool client = strcmp(c->purpose, GNUTLS_KP_TLS_WWW_CLIENT) == 0;
	gnutls_pubkey_t pk;
	int algo;

	if (nd->x[X_KU] == NULL || (nd->bad_ext & (1u << X_KU)) ||
	    (!server && !client) || (nd->ku & KU_DIGITAL_SIGNATURE)) {
		return;
	}
	pk = node_pubkey(nd);
	algo = pk != NULL ? gnutls_pubkey_get_pk_algorithm(pk, NULL) : -1;
	if (server && algo == GNUTLS_PK_RSA && (nd->ku & KU_KEY_ENCIPHERMENT)) {
		return;    /* RSA key transport (TLS 1.2 and earlier) */
	}
	add(r, "bad-key-usage", "the leaf '%s' has a keyUsage without "
	    "digitalSignature%s, so its %s key cannot authenticate a TLS %s "
	    "(RFC 5280 4.2.1.3)", nd->label, server && algo == GNUTLS_PK_RSA ?
	    " or keyEncipherment" : "", algo >= 0 ?
	    gnutls_pk_get_name((gnutls_pk_algorithm_t)algo) : "unreadable",
	    server ? "server" : "client");
}

static void
check_leaf(struct ctx *c, struct node *nd, struct pathres *r)
{
	if (nd->has_bc && nd->bc_ca) {
		add(r, "ca-as-leaf", "CA/B: the leaf '%s' is a CA certificate "
		    "(basicConstraints cA TRUE; BR 7.1.2.7.8)", nd->label);
	} else if (nd->x[X_KU] != NULL && (nd->ku & KU_KEY_CERT_SIGN)) {
		add(r, "bad-key-usage", "the leaf '%s' is not a CA but its "
		    "keyUsage has keyCertSign (RFC 5280 4.2.1.9)", nd->label);
	}
	if (nd->x[X_NC] != NULL) {
		add(r, "bad-name-constraints", "the leaf '%s' has a "
		    "nameConstraints extension, which only CA certificates "
		    "may carry (RFC 5280 4.2.1.10)", nd->label);
	}
	if (nd->x[X_EKU] == NULL) {
		add(r, "eku-missing", "CA/B: the leaf '%s' has no extKeyUsage "
		    "extension (BR 7.1.2.7.10)", nd->label);
	} else if (!(nd->bad_ext & (1u << X_EKU))) {
		if (eku_has(nd->eku, OID_ANY_EKU)) {
			add(r, "any-eku", "CA/B: the leaf '%s' allows "
			    "anyExtendedKeyUsage (BR 7.1.2.7.10)", nd->label);
		} else if (!eku_has(nd->eku, c->purpose)) {
			add(r, "purpose-mismatch", "the leaf '%s' is not for "
			    "%s (extKeyUsage)", nd->label,
			    purpose_text(c->purpose));
		}
		if (nd->x[X_EKU]->critical) {
			add(r, "br-criticality", "the leaf '%s' marks "
			    "extKeyUsage critical (BR 7.1.2.7.10)", nd->label);
		}
	}
	check_leaf_ku(c, nd, r);
	check_leaf_names(nd, r);
	check_cn(nd, r);
}

/* ---- signatures ----------------------------------------------------- */

static enum sig_state
sig_check(struct ctx *c, size_t child, size_t parent)
{
	struct node *ch = &c->nodes[child];
	gnutls_pubkey_t pk;
	gnutls_datum_t tbs, sig;
	enum sig_state st;
	int algo, rc;

	for (size_t i = 0; i < c->sigs; i++) {
		if (c->sig[i].child == child && c->sig[i].parent == parent) {
			return c->sig[i].state;
		}
	}
	if (c->sigs == SIGS_MAX) {
		c->limit = true;
		return SIG_BAD;
	}
	pk = node_pubkey(&c->nodes[parent]);
	algo = gnutls_x509_crt_get_signature_algorithm(ch->crt);
	if (pk == NULL || !ch->ok || algo <= 0) {
		st = SIG_NO_KEY;
	} else {
		tbs.data = (unsigned char *)(uintptr_t)ch->tbs.p;
		tbs.size = (unsigned)ch->tbs.n;
		sig.data = (unsigned char *)(uintptr_t)ch->sig.p;
		sig.size = (unsigned)ch->sig.n;
		rc = gnutls_pubkey_verify_data2(pk,
		    (gnutls_sign_algorithm_t)algo, GNUTLS_VERIFY_ALLOW_BROKEN |
		    GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1, &tbs, &sig);
		st = rc >= 0 ? SIG_OK :
		    rc == GNUTLS_E_INSUFFICIENT_SECURITY ? SIG_INSECURE :
		    rc == GNUTLS_E_PK_SIG_VERIFY_FAILED ? SIG_BAD : SIG_NO_KEY;
	}
	c->sig[c->sigs].child = child;
	c->sig[c->sigs].parent = parent;
	c->sig[c->sigs++].state = st;
	return st;
}

static void
check_sig(struct ctx *c, size_t child, size_t parent, size_t i,
    struct pathres *r)
{
	const struct node *ch = &c->nodes[child];
	int algo = gnutls_x509_crt_get_signature_algorithm(ch->crt);
	gnutls_digest_algorithm_t h = GNUTLS_DIG_UNKNOWN;

	if (algo > 0) {
		h = gnutls_sign_get_hash_algorithm((gnutls_sign_algorithm_t)
		    algo);
	}
	if (algo <= 0) {
		add(r, "insecure-algorithm", "certificate #%zu '%s' is signed "
		    "with an unknown algorithm", i, ch->label);
	} else if (h == GNUTLS_DIG_MD5 || h == GNUTLS_DIG_MD2 ||
	    h == GNUTLS_DIG_SHA1 ||
	    !gnutls_sign_is_secure2((gnutls_sign_algorithm_t)algo,
	    GNUTLS_SIGN_FLAG_SECURE_FOR_CERTS)) {
		add(r, "insecure-algorithm", "certificate #%zu '%s' is signed "
		    "with %s, which is not secure for certificates", i,
		    ch->label, gnutls_sign_get_name((gnutls_sign_algorithm_t)
		    algo));
	}
	switch (sig_check(c, child, parent)) {
	case SIG_OK:
		break;
	case SIG_INSECURE:
		add(r, "insecure-algorithm", "certificate #%zu '%s' is signed "
		    "with an algorithm GnuTLS will not check", i, ch->label);
		break;
	case SIG_BAD:
		add(r, "bad-signature", "the signature on certificate #%zu "
		    "'%s' does not verify with the key of '%s'", i, ch->label,
		    c->nodes[parent].label);
		break;
	case SIG_NO_KEY:
		add(r, "bad-signature", "the signature on certificate #%zu "
		    "'%s' cannot be checked with the key of '%s'", i,
		    ch->label, c->nodes[parent].label);
		break;
	}
}

/* ---- name constraints (RFC 5280 4.2.1.10, 6.1.3 (b)-(c), 6.1.4 (g)) - */

enum nc_result {
	NC_OK,
	NC_NOT_PERMITTED,
	NC_EXCLUDED,
	NC_UNSUPPORTED,
	NC_TOO_MUCH,
};

/* One name against one NameConstraints extension. */
static enum nc_result
nc_check_name(struct ctx *c, struct tk_der nc, unsigned char tag,
    struct tk_der name)
{
	struct tk_der seq, subs, st;
	bool have_permitted = false, permitted = false;

	if (!tk_der_want(&nc, 0x30, &seq, NULL)) {
		return NC_OK;    /* reported by tk_names_nc_validate() */
	}
	for (unsigned char want = 0xa0; want <= 0xa1; want++) {
		if (!tk_der_want(&seq, want, &subs, NULL)) {
			continue;
		}
		while (tk_der_want(&subs, 0x30, &st, NULL)) {
			struct tk_names_gn g;

			/* every subtree costs, of whatever type */
			if (!spend(c, 1 + name.n / 64)) {
				return NC_TOO_MUCH;
			}
			if (!tk_names_next(&st, &g) || g.tag != tag) {
				continue;
			}
			if (!tk_names_nc_supported(tag)) {
				return NC_UNSUPPORTED;
			}
			if (want == 0xa1 &&
			    tk_names_nc_covers(tag, name, g.v, true)) {
				return NC_EXCLUDED;
			}
			if (want == 0xa0) {
				have_permitted = true;
				permitted |= tk_names_nc_covers(tag, name, g.v,
				    false);
			}
		}
	}
	return have_permitted && !permitted ? NC_NOT_PERMITTED : NC_OK;
}

static void
name_text(unsigned char tag, struct tk_der v, char *buf, size_t len)
{
	gnutls_datum_t dn = {NULL, 0};
	gnutls_datum_t raw;

	switch (tag) {
	case 0x87:
		tk_names_ip_text(v, buf, len);
		return;
	case 0xa4:
		raw.data = (unsigned char *)(uintptr_t)v.p;
		raw.size = (unsigned)v.n;
		if (gnutls_x509_rdn_get2(&raw, &dn, 0) >= 0) {
			tk_names_printable(buf, len, (const char *)dn.data,
			    dn.size);
			gnutls_free(dn.data);
			return;
		}
		snprintf(buf, len, "(a directory name)");
		return;
	case 0x82:
	case 0x81:
	case 0x86:
		tk_names_printable(buf, len, (const char *)v.p, v.n);
		return;
	default:
		snprintf(buf, len, "(a name of type [%u])", tag & 0x1fu);
		return;
	}
}

/* Reports res for a name of certificate #i against owner #o's NC. */
static void
nc_report(struct pathres *r, enum nc_result res, const struct node *nd,
    size_t i, const struct node *owner, size_t o, unsigned char tag,
    struct tk_der name)
{
	char text[TK_NAME_MAX];

	if (res == NC_OK) {
		return;
	}
	if (res == NC_TOO_MUCH) {
		add(r, "bad-name-constraints", "the name constraints of #%zu "
		    "'%s' are too many to check against the names of the "
		    "path (the work budget of %d comparisons is spent)", o,
		    owner->label, WORK_MAX);
		return;
	}
	name_text(tag, name, text, sizeof(text));
	add(r, "name-constraints", "the name '%s' of certificate #%zu '%s' %s "
	    "the name constraints of #%zu '%s'", text, i, nd->label,
	    res == NC_EXCLUDED ? "is excluded by" :
	    res == NC_UNSUPPORTED ? "is of a type that cannot be checked "
	    "against" : "is not permitted by", o, owner->label);
}

/*
 * RFC 5280 4.2.1.10: rfc822Name constraints apply to every emailAddress
 * attribute (1.2.840.113549.1.9.1) of the subject, whatever their number
 * or length, read straight from the DER.  false when the budget is spent.
 */
static bool
nc_check_emails(struct ctx *c, struct tk_der nc, const struct node *nd,
    size_t i, const struct node *ow, size_t opos, struct pathres *r)
{
	static const unsigned char email_oid[] = {0x2a, 0x86, 0x48, 0x86,
	    0xf7, 0x0d, 0x01, 0x09, 0x01};
	struct tk_der name = nd->subject, rdns, rdn, ava, oid, val;
	unsigned char t;

	if (!tk_der_want(&name, 0x30, &rdns, NULL)) {
		return true;
	}
	while (tk_der_want(&rdns, 0x31, &rdn, NULL)) {
		while (tk_der_want(&rdn, 0x30, &ava, NULL)) {
			enum nc_result res;

			if (!tk_der_want(&ava, 0x06, &oid, NULL) ||
			    oid.n != sizeof(email_oid) ||
			    memcmp(oid.p, email_oid, oid.n) != 0 ||
			    !tk_der_get(&ava, &t, &val, NULL)) {
				continue;
			}
			res = nc_check_name(c, nc, 0x81, val);
			nc_report(r, res, nd, i, ow, opos, 0x81, val);
			if (res == NC_TOO_MUCH) {
				return false;
			}
		}
	}
	return true;
}

/* The names of certificate #i against the constraints above it. */
static bool
nc_check_cert(struct ctx *c, const struct node *nd, size_t i,
    const size_t *owners, size_t nown, const size_t *owner_pos,
    struct pathres *r)
{
	for (size_t k = 0; k < nown; k++) {
		const struct node *ow = &c->nodes[owners[k]];
		struct tk_der nc = ow->x[X_NC]->val;
		struct tk_der it = nd->san;
		struct tk_names_gn g;
		enum nc_result res;

		/* the subject, when not empty, as a directoryName */
		if (nd->subject.n > 2) {
			res = nc_check_name(c, nc, 0xa4, nd->subject);
			nc_report(r, res, nd, i, ow, owner_pos[k], 0xa4,
			    nd->subject);
			if (res == NC_TOO_MUCH) {
				return false;
			}
		}
		/* every legacy emailAddress attribute of the subject */
		if (!nc_check_emails(c, nc, nd, i, ow, owner_pos[k], r)) {
			return false;
		}
		while (tk_names_next(&it, &g)) {
			res = nc_check_name(c, nc, g.tag, g.v);
			nc_report(r, res, nd, i, ow, owner_pos[k], g.tag, g.v);
			if (res == NC_TOO_MUCH) {
				return false;
			}
		}
	}
	return true;
}

static void
check_name_constraints(struct ctx *c, const size_t *path, size_t len,
    struct pathres *r)
{
	size_t owners[DEPTH_MAX], owner_pos[DEPTH_MAX], nown = 0;

	for (size_t k = len; k-- > 0;) {
		const struct node *nd = &c->nodes[path[k]];
		const char *bad;

		if (!nd->ok) {
			continue;
		}
		/* RFC 5280 6.1.3 (b), (c): not for self-issued CAs */
		if (nown > 0 && (k == 0 || !nd->self_issued)) {
			if (!nc_check_cert(c, nd, k, owners, nown, owner_pos,
			    r)) {
				return;
			}
		}
		if (k == 0 || nd->x[X_NC] == NULL) {
			continue;
		}
		bad = tk_names_nc_validate(nd->x[X_NC]->val);
		if (bad != NULL) {
			add(r, "bad-name-constraints", "the nameConstraints "
			    "of CA certificate #%zu '%s' are malformed: %s", k,
			    nd->label, bad);
			continue;
		}
		owners[nown] = path[k];
		owner_pos[nown++] = k;
	}
}

/* ---- whole paths ---------------------------------------------------- */

/* RFC 5280 6.1.4 (l), (m): max_path_length over non-self-issued CAs. */
static void
check_path_length(struct ctx *c, const size_t *path, size_t len,
    struct pathres *r)
{
	long remaining = -1;    /* -1: unlimited */
	size_t limiter = 0;

	for (size_t k = len; k-- > 1;) {
		const struct node *nd = &c->nodes[path[k]];

		if (k < len - 1 && !nd->self_issued) {
			if (remaining == 0) {
				add(r, "path-length", "CA certificate #%zu "
				    "'%s' is below #%zu '%s', whose "
				    "pathLenConstraint allows no more CA "
				    "certificates", k, nd->label, limiter,
				    c->nodes[path[limiter]].label);
				return;
			}
			if (remaining > 0) {
				remaining--;
			}
		}
		if (nd->has_bc && nd->pathlen >= 0 &&
		    (remaining < 0 || nd->pathlen < remaining)) {
			remaining = nd->pathlen;
			limiter = k;
		}
	}
}

/* Did the user bring this anchor (rfc5280 under AUTO)?  Asked once. */
static bool
anchor_private(struct ctx *c, struct node *nd)
{
	if (nd->priv == 0) {
		nd->priv = c->o->anchor_private == NULL ||
		    c->o->anchor_private(&nd->der, c->o->anchor_arg) ? 1 : -1;
	}
	return nd->priv > 0;
}

/*
 * The profile a path is judged by.  AUTO: web when its anchor came from
 * the system store, rfc5280 when it came from the user's own --ca; a
 * path that reaches no anchor, web when any anchor is the system's.
 */
static enum tk_profile
path_profile(struct ctx *c, size_t len, bool complete)
{
	enum tk_profile p = c->o->judging != NULL ? c->o->judging->profile :
	    TK_PROFILE_WEB;

	if (p != TK_PROFILE_AUTO) {
		return p;
	}
	if (complete) {
		struct node *a = &c->nodes[c->path[len - 1]];

		return anchor_private(c, a) ? TK_PROFILE_RFC5280 :
		    TK_PROFILE_WEB;
	}
	return c->any_public ? TK_PROFILE_WEB : TK_PROFILE_RFC5280;
}

/*
 * RFC 5280 6.1 policy processing over the path below its anchor, with
 * lib/policy.c's bounded graph (RFC 9618).
 */
static void
check_policies(struct ctx *c, size_t len, struct pathres *r)
{
	struct tk_policy_cert pc[DEPTH_MAX];
	struct tk_policy_opts po = {.number_from_leaf = true};
	struct tk_policy_result res;
	size_t n = len - 1;

	for (size_t k = 0; k < n; k++) {
		const struct node *nd = &c->nodes[c->path[n - 1 - k]];
		const struct ext *x;

		memset(&pc[k], 0, sizeof(pc[k]));
		if ((x = nd->x[X_CP]) != NULL) {
			pc[k].cp = x->val.p;
			pc[k].cp_len = x->val.n;
			pc[k].cp_critical = x->critical;
		}
		if ((x = nd->x[X_PM]) != NULL) {
			pc[k].pm = x->val.p;
			pc[k].pm_len = x->val.n;
		}
		if ((x = nd->x[X_PC]) != NULL) {
			pc[k].pc = x->val.p;
			pc[k].pc_len = x->val.n;
		}
		if ((x = nd->x[X_IAP]) != NULL) {
			pc[k].iap = x->val.p;
			pc[k].iap_len = x->val.n;
		}
		pc[k].self_issued = nd->self_issued;
		pc[k].name = nd->label;
	}
	if (tk_policy_check(pc, n, &po, &res) < 0) {
		add(r, "policy", "out of memory processing the certificate "
		    "policies");
		return;
	}
	if (!res.ok) {
		add(r, "policy", "%s", res.message);
	}
}

/* Judges the path c->path[0..len-1]; complete: it ends at an anchor. */
static void
judge(struct ctx *c, size_t len, bool complete, struct pathres *r)
{
	const struct node *top = &c->nodes[c->path[len - 1]];
	int ni;

	memset(r, 0, sizeof(*r));
	r->complete = complete;
	r->len = len;
	r->j = c->o->judging != NULL ? c->o->judging : &c->none;
	r->profile = path_profile(c, len, complete);
	r->v.profile = r->profile;
	memcpy(r->idx, c->path, len * sizeof(c->path[0]));
	if (!complete) {
		if (len == 1 && top->self_issued) {
			add(r, "self-signed", "the certificate '%s' is "
			    "self-signed and not trusted", top->label);
		} else if (top->self_issued) {
			add(r, "unknown-issuer", "the root '%s' sent by the "
			    "peer is not trusted", top->label);
		} else if (len == DEPTH_MAX) {
			add(r, "path-limit", "the path is longer than %d "
			    "certificates without reaching a trusted root",
			    DEPTH_MAX);
		} else if (c->limit) {
			add(r, "path-limit", "path building stopped at its "
			    "limits before reaching a trusted root");
		} else {
			char issuer[256] = "";
			gnutls_datum_t dn = {NULL, 0};

			if (gnutls_x509_crt_get_issuer_dn3(top->crt, &dn, 0) >=
			    0) {
				tk_names_printable(issuer, sizeof(issuer),
				    (const char *)dn.data, dn.size);
				gnutls_free(dn.data);
			}
			add(r, "unknown-issuer", "the issuer '%s' of "
			    "certificate #%zu is not trusted (unknown CA, or "
			    "an intermediate is missing)", issuer, len - 1);
		}
	} else if (len == 1) {
		add(r, "pinned-leaf", "the leaf '%s' is itself a trust anchor "
		    "(pinned): trusted as given", top->label);
	}
	/* the name first: hostile constraints below cannot spend its budget */
	if (c->o->hostname != NULL && c->o->hostname[0] != '\0') {
		ni = r->profile == TK_PROFILE_RFC5280 ? 1 : 0;
		if (!c->name_done[ni]) {
			c->name[ni].j = r->j;
			c->name[ni].profile = r->profile;
			check_hostname(c, &c->nodes[c->path[0]], &c->name[ni],
			    ni == 1);
			c->name_done[ni] = true;
		}
		for (size_t i = 0; i < c->name[ni].v.n; i++) {
			add(r, c->name[ni].v.reasons[i].code, "%s",
			    c->name[ni].v.reasons[i].message);
		}
	}
	for (size_t i = 0; i < len; i++) {
		struct node *nd = &c->nodes[c->path[i]];
		enum role role = i == 0 ? R_LEAF :
		    complete && i == len - 1 ? R_ANCHOR : R_CA;

		if (!nd->ok) {
			add(r, "malformed-certificate", "certificate #%zu '%s' "
			    "is malformed: %s", i, nd->label, nd->why);
			continue;
		}
		check_form(nd, i, role, r);
		check_time(c, nd, i, r);
		check_key(c, nd, i, r);
		if (role == R_LEAF) {
			check_leaf(c, nd, r);
		} else {
			check_ca(c, nd, i, role, r);
		}
		if (i + 1 < len) {
			check_sig(c, c->path[i], c->path[i + 1], i, r);
		}
	}
	check_path_length(c, c->path, len, r);
	check_name_constraints(c, c->path, len, r);
	if (complete && len > 1) {
		check_policies(c, len, r);
	}
}

/* The importance of a path's most important failing reason. */
static enum prio
worst_prio(const struct pathres *r)
{
	enum prio w = P_INFO;

	for (size_t i = 0; i < r->v.n; i++) {
		if (r->v.reasons[i].sev == TK_SEV_FAIL && r->prio[i] < w) {
			w = r->prio[i];
		}
	}
	return w;
}

/*
 * Is a closer to valid than b?  A path to an anchor beats a dead end;
 * then fewer failing reasons; then failing reasons of less importance;
 * then, among dead ends, the one that got further.
 */
static bool
better(const struct pathres *a, const struct pathres *b)
{
	if (a->complete != b->complete) {
		return a->complete;
	}
	if (a->nfail != b->nfail) {
		return a->nfail < b->nfail;
	}
	if (worst_prio(a) != worst_prio(b)) {
		return worst_prio(a) > worst_prio(b);
	}
	return !a->complete && a->len > b->len;
}

/* Judges the current path; true when it is valid. */
static bool
evaluate(struct ctx *c, size_t len, bool complete)
{
	if (++c->evals > EVALS_MAX) {
		c->limit = true;
	}
	judge(c, len, complete, &c->cur);
	if (!c->have_best || better(&c->cur, &c->best)) {
		c->best = c->cur;
		c->have_best = true;
	}
	if (c->cur.nfail == 0) {
		c->found = true;
	}
	return c->found;
}

/* May parent have issued child?  Names chain; key identifiers agree. */
static bool
names_chain(const struct node *child, const struct node *parent)
{
	return child->ok && parent->ok &&
	    tk_der_eq(child->icanon, parent->scanon);
}

static bool
keyids_agree(const struct node *child, const struct node *parent)
{
	return !child->aki_keyid || parent->x[X_SKI] == NULL ||
	    tk_der_eq(child->aki_id, parent->ski_id);
}

static bool
in_path(const struct ctx *c, size_t depth, size_t j)
{
	for (size_t i = 0; i < depth; i++) {
		if (c->path[i] == j) {
			return true;
		}
	}
	return false;
}

static int add_node(struct ctx *c, gnutls_x509_crt_t crt, bool owned,
    bool anchor, size_t *idx, struct tk_err *err);

/*
 * Anchors were collected by iterating the trust list, which does not see
 * the anchors of a PKCS#11 trust module (GnuTLS's system store on some
 * systems).  When no collected anchor has the issuer's name, the trust
 * list is asked for the issuer itself.
 */
static void
lookup_issuer(struct ctx *c, size_t cur)
{
	gnutls_x509_crt_t issuer = NULL;
	struct tk_err ignored;
	size_t idx;

	if (c->trust == NULL || c->lookups >= LOOKUPS_MAX || c->nn == c->cap) {
		return;
	}
	for (size_t j = 0; j < c->nn; j++) {
		if (c->nodes[j].anchor &&
		    names_chain(&c->nodes[cur], &c->nodes[j])) {
			return;
		}
	}
	c->lookups++;
	if (gnutls_x509_trust_list_get_issuer(c->trust, c->nodes[cur].crt,
	    &issuer, GNUTLS_TL_GET_COPY) < 0 || issuer == NULL) {
		return;
	}
	tk_err_clear(&ignored);
	add_node(c, issuer, true, true, &idx, &ignored);
}

/*
 * Depth-first path building from c->path[depth - 1] upward: anchors are
 * tried before untrusted certificates, and an issuer whose signature or
 * key identifier does not fit is followed only when nothing better is
 * there (so that the verdict can say "bad signature").  Returns true once
 * a valid path is found.
 */
static bool
build(struct ctx *c, size_t depth)
{
	size_t cur = c->path[depth - 1], fallback = SIZE_MAX;
	bool any = false;

	if (c->nodes[cur].anchor) {
		return evaluate(c, depth, true);
	}
	if (depth == DEPTH_MAX || c->limit || ++c->visits > VISITS_MAX) {
		if (c->visits > VISITS_MAX) {
			c->limit = true;
		}
		return evaluate(c, depth, false);
	}
	lookup_issuer(c, cur);
	for (int pass = 0; pass < 2; pass++) {
		for (size_t j = 0; j < c->nn; j++) {
			struct node *p = &c->nodes[j];

			if ((pass == 0) != p->anchor || in_path(c, depth, j) ||
			    !names_chain(&c->nodes[cur], p)) {
				continue;
			}
			if (!keyids_agree(&c->nodes[cur], p) ||
			    sig_check(c, cur, j) != SIG_OK) {
				if (fallback == SIZE_MAX) {
					fallback = j;
				}
				continue;
			}
			any = true;
			c->path[depth] = j;
			if (build(c, depth + 1) || c->limit) {
				return c->found;
			}
		}
	}
	if (any) {
		return false;
	}
	if (fallback != SIZE_MAX) {
		c->path[depth] = fallback;
		return build(c, depth + 1);
	}
	return evaluate(c, depth, false);
}

/*
 * Adds crt as a node (or merges it into an equal one: a served copy of an
 * anchor is the anchor).  *idx gets its index.
 */
static int
add_node(struct ctx *c, gnutls_x509_crt_t crt, bool owned, bool anchor,
    size_t *idx, struct tk_err *err)
{
	struct node *nd = &c->nodes[c->nn];

	if (node_init(nd, crt, owned, anchor, err) < 0) {
		node_release(nd);
		return -1;
	}
	for (size_t i = 0; i < c->nn; i++) {
		struct node *o = &c->nodes[i];

		if (o->der.size == nd->der.size &&
		    memcmp(o->der.data, nd->der.data, nd->der.size) == 0) {
			o->anchor |= anchor;
			node_release(nd);
			*idx = i;
			return 0;
		}
	}
	*idx = c->nn++;
	return 0;
}

static int
collect_anchors(struct ctx *c, gnutls_x509_trust_list_t trust, size_t cap,
    struct tk_err *err)
{
	gnutls_x509_trust_list_iter_t iter = NULL;
	gnutls_x509_crt_t crt;
	int rc = 0;

	if (trust == NULL) {
		return 0;
	}
	while (c->nn < cap &&
	    gnutls_x509_trust_list_iter_get_ca(trust, &iter, &crt) == 0) {
		size_t idx;

		rc = add_node(c, crt, true, true, &idx, err);
		if (rc < 0) {
			break;
		}
	}
	gnutls_x509_trust_list_iter_deinit(iter);
	return rc;
}

static size_t
count_anchors(gnutls_x509_trust_list_t trust)
{
	gnutls_x509_trust_list_iter_t iter = NULL;
	gnutls_x509_crt_t crt;
	size_t n = 0;

	if (trust == NULL) {
		return 0;
	}
	while (gnutls_x509_trust_list_iter_get_ca(trust, &iter, &crt) == 0) {
		gnutls_x509_crt_deinit(crt);
		n++;
	}
	gnutls_x509_trust_list_iter_deinit(iter);
	return n;
}

static int
fill_path(struct ctx *c, const struct pathres *r, struct tk_chain *path,
    struct tk_err *err)
{
	memset(path, 0, sizeof(*path));
	path->certs = calloc(r->len, sizeof(*path->certs));
	if (path->certs == NULL) {
		return tk_err_set(err, TK_INTERNAL, "verify", "out of memory");
	}
	path->n = path->total = r->len;
	for (size_t i = 0; i < r->len; i++) {
		if (tk_certinfo_from_crt(c->nodes[r->idx[i]].crt, c->o->at,
		    &path->certs[i], err) < 0) {
			tk_chain_clear(path);
			return -1;
		}
	}
	return 0;
}

/*
 * GnuTLS applies dNSName constraints to the leaf's CN even when the leaf
 * has a subjectAltName; RFC 5280 4.2.1.10 constrains the SANs and the
 * subject as a directoryName, and RFC 6125 never reads that CN.  True when
 * a CN of the leaf, read as a dNSName, is outside a constraint of the path
 * while the leaf has SANs.
 */
static bool
gnutls_cn_constrained(struct ctx *c, const struct pathres *r)
{
	const struct node *leaf = &c->nodes[r->idx[0]];

	if (leaf->x[X_SAN] == NULL) {
		return false;
	}
	for (size_t k = 1; k < r->len; k++) {
		const struct node *ca = &c->nodes[r->idx[k]];

		if (ca->x[X_NC] == NULL) {
			continue;
		}
		for (unsigned i = 0; i < 8; i++) {
			char cn[TK_NAME_MAX];
			size_t sz = sizeof(cn);
			struct tk_der name;

			if (gnutls_x509_crt_get_dn_by_oid(leaf->crt, OID_CN, i,
			    0, cn, &sz) < 0) {
				break;
			}
			name.p = (const unsigned char *)cn;
			name.n = sz;
			if (nc_check_name(c, ca->x[X_NC]->val, 0x82, name) !=
			    NC_OK) {
				return true;
			}
		}
	}
	return false;
}

/*
 * GnuTLS 3.7 does not process policyConstraints, policyMappings or
 * inhibitAnyPolicy, so it calls them unknown when critical, as RFC 5280
 * requires the first and last to be.  tlskit processes them (RFC 5280
 * 6.1, lib/policy.c).  True when such an extension is critical on the
 * path.
 */
static bool
gnutls_policy_unknown(struct ctx *c, const struct pathres *r)
{
	static const int ids[] = {X_PC, X_PM, X_IAP};

	for (size_t k = 0; k < r->len; k++) {
		const struct node *nd = &c->nodes[r->idx[k]];

		for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
			if (nd->x[ids[i]] != NULL && nd->x[ids[i]]->critical) {
				return true;
			}
		}
	}
	return false;
}

/*
 * GnuTLS counts self-issued intermediates against pathLenConstraint;
 * RFC 5280 6.1.4 (l) does not.  True when the path has a self-issued
 * intermediate below a CA with a pathLenConstraint.
 */
static bool
gnutls_self_issued_pathlen(struct ctx *c, const struct pathres *r)
{
	bool self_below = false;

	for (size_t k = 1; k < r->len; k++) {
		const struct node *nd = &c->nodes[r->idx[k]];

		if (nd->has_bc && nd->pathlen >= 0 && self_below) {
			return true;
		}
		self_below |= nd->self_issued && k + 1 < r->len;
	}
	return false;
}

/*
 * GnuTLS refuses name constraints on name types it does not implement
 * (otherName, x400Address, ediPartyName, registeredID) even when the
 * leaf has no name of that type; RFC 5280 4.2.1.10 applies a constraint
 * only to names of its own type.  True when such a subtree is on the path
 * and no certificate below carries a name of its type (chainval reports
 * the other case itself).
 */
static bool
gnutls_nc_unsupported(struct ctx *c, const struct pathres *r)
{
	for (size_t k = 1; k < r->len; k++) {
		const struct node *ca = &c->nodes[r->idx[k]];
		struct tk_der v, seq, subs, st;

		if (ca->x[X_NC] == NULL) {
			continue;
		}
		v = ca->x[X_NC]->val;
		if (!tk_der_want(&v, 0x30, &seq, NULL)) {
			continue;
		}
		for (unsigned char want = 0xa0; want <= 0xa1; want++) {
			if (!tk_der_want(&seq, want, &subs, NULL)) {
				continue;
			}
			while (tk_der_want(&subs, 0x30, &st, NULL)) {
				struct tk_names_gn g;

				if (tk_names_next(&st, &g) &&
				    !tk_names_nc_supported(g.tag)) {
					return true;
				}
			}
		}
	}
	return false;
}

/*
 * GnuTLS finds an issuer by comparing name bytes; RFC 5280 7.1 compares
 * names case-insensitively, spaces folded, PrintableString as UTF8String.
 * True when a certificate on the path names its issuer by a different
 * encoding of the issuer's subject (chainval checked that link's
 * signature itself).
 */
static bool
gnutls_reencoded_name(struct ctx *c, const struct pathres *r)
{
	for (size_t k = 0; k + 1 < r->len; k++) {
		const struct node *ch = &c->nodes[r->idx[k]];
		const struct node *pa = &c->nodes[r->idx[k + 1]];

		if (!tk_der_eq(ch->issuer, pa->subject)) {
			return true;
		}
	}
	return false;
}

/*
 * Where GnuTLS, asked to verify a path tlskit accepted, is known to be
 * wrong: the status bits it sets, when the case applies, and why
 * (docs/verification.md keeps the same table).  A refusal whose every
 * bit is not explained by an entry that applies fails the check.
 */
static const struct gnutls_wrong {
	unsigned status;
	bool (*applies)(struct ctx *c, const struct pathres *r);
	const char *reason;
} gnutls_wrong[] = {
	{GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE, gnutls_cn_constrained,
	    "GnuTLS checks the CN against dNSName constraints although the "
	    "leaf has a subjectAltName"},
	{GNUTLS_CERT_UNKNOWN_CRIT_EXTENSIONS, gnutls_policy_unknown,
	    "GnuTLS 3.7 does not process the policy constraint extensions"},
	{GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE, gnutls_self_issued_pathlen,
	    "GnuTLS counts self-issued intermediates against "
	    "pathLenConstraint"},
	{GNUTLS_CERT_SIGNER_NOT_FOUND, gnutls_reencoded_name,
	    "GnuTLS compares issuer names byte for byte, not as RFC 5280 7.1 "
	    "says"},
	{GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE, gnutls_nc_unsupported,
	    "GnuTLS refuses constraints on name types it does not implement"},
};

/*
 * Defence in depth: GnuTLS verifies exactly the path chainval accepted
 * (the ordered certificates below the anchor, and the anchor alone as its
 * trust).  What chainval judges by itself is left out of GnuTLS's check:
 * time (the --at time), the host name (RFC 6125 differs from GnuTLS's),
 * signature algorithm strength and key sizes (insecure-algorithm,
 * weak-key).  Any other refusal is a finding that fails the check.
 */
static void
cross_check(struct ctx *c, struct pathres *r)
{
	gnutls_x509_trust_list_t tl = NULL;
	gnutls_x509_crt_t chain[DEPTH_MAX], anchor = NULL;
	gnutls_typed_vdata_st vd;
	gnutls_datum_t out = {NULL, 0};
	const struct node *an = &c->nodes[r->idx[r->len - 1]];
	char purpose[64];
	unsigned status = 0, flags, nchain, explained = 0;
	int rc;

	if (!r->complete || c->o->no_cross_check) {
		return;
	}
	if (gnutls_nc_unsupported(c, r)) {
		/*
		 * GnuTLS 3.7 refuses such constraints whatever the names, and
		 * leaks memory doing so (seen under LeakSanitizer): not asked.
		 */
		add(r, "gnutls-differs", "GnuTLS was not asked: it refuses "
		    "constraints on name types it does not implement "
		    "(otherName, x400Address, ediPartyName, registeredID)");
		return;
	}
	/* fresh copies from the DER: what GnuTLS sees is what was judged */
	nchain = r->len > 1 ? (unsigned)r->len - 1 : 1;
	for (unsigned i = 0; i < nchain; i++) {
		chain[i] = NULL;
		if (gnutls_x509_crt_init(&chain[i]) < 0 ||
		    gnutls_x509_crt_import(chain[i], &c->nodes[r->idx[i]].der,
		    GNUTLS_X509_FMT_DER) < 0) {
			nchain = i + 1;
			goto fail;
		}
	}
	if (gnutls_x509_trust_list_init(&tl, 0) < 0 ||
	    gnutls_x509_crt_init(&anchor) < 0) {
		goto fail;
	}
	if (gnutls_x509_crt_import(anchor, &an->der, GNUTLS_X509_FMT_DER) < 0 ||
	    gnutls_x509_trust_list_add_cas(tl, &anchor, 1, 0) != 1) {
		gnutls_x509_crt_deinit(anchor);
		goto fail;
	}
	snprintf(purpose, sizeof(purpose), "%s", c->purpose);
	vd.type = GNUTLS_DT_KEY_PURPOSE_OID;
	vd.data = (unsigned char *)purpose;
	vd.size = 0;
	flags = GNUTLS_VERIFY_DISABLE_TIME_CHECKS |
	    GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS |
	    GNUTLS_VERIFY_ALLOW_BROKEN | GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1 |
	    GNUTLS_VERIFY_DISABLE_CRL_CHECKS;
	rc = gnutls_x509_trust_list_verify_crt2(tl, chain, nchain, &vd, 1,
	    flags, &status, NULL);
	if (rc < 0) {
		add(r, "engine-disagreement", "GnuTLS could not verify the "
		    "path tlskit accepted: %s", gnutls_strerror(rc));
		goto out;
	}
	if (status == 0) {
		goto out;
	}
	for (size_t i = 0; i < sizeof(gnutls_wrong) / sizeof(gnutls_wrong[0]);
	     i++) {
		if ((status & gnutls_wrong[i].status) &&
		    gnutls_wrong[i].applies(c, r)) {
			explained |= gnutls_wrong[i].status;
		}
	}
	if ((status & ~(explained | GNUTLS_CERT_INVALID)) == 0) {
		for (size_t i = 0; i < sizeof(gnutls_wrong) /
		    sizeof(gnutls_wrong[0]); i++) {
			if ((status & gnutls_wrong[i].status) &&
			    gnutls_wrong[i].applies(c, r)) {
				add(r, "gnutls-differs", "GnuTLS refuses "
				    "this path, wrongly: %s",
				    gnutls_wrong[i].reason);
			}
		}
		goto out;
	}
	if (gnutls_certificate_verification_status_print(status,
	    GNUTLS_CRT_X509, &out, 0) < 0) {
		out.data = NULL;
	}
	add(r, "engine-disagreement", "tlskit accepted the path, but GnuTLS "
	    "refuses exactly that path: %s (status 0x%x)", out.data != NULL ?
	    (const char *)out.data : "no reason given", status);
	gnutls_free(out.data);
	goto out;
fail:
	add(r, "engine-disagreement", "out of memory asking GnuTLS to verify "
	    "the path");
out:
	for (unsigned i = 0; i < nchain; i++) {
		if (chain[i] != NULL) {
			gnutls_x509_crt_deinit(chain[i]);
		}
	}
	if (tl != NULL) {
		gnutls_x509_trust_list_deinit(tl, 1);
	}
}

/* Stable sort by importance and severity, then GnuTLS-like bits. */
static void
finish(const struct pathres *r, struct tk_verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->profile = r->profile;
	v->profile_auto = r->j != NULL && r->j->profile == TK_PROFILE_AUTO;
	for (int sev = TK_SEV_FAIL; sev >= TK_SEV_INFO; sev--) {
		for (int p = P_TRUST; p <= P_INFO; p++) {
			for (size_t i = 0; i < r->v.n; i++) {
				const struct tk_reason *re = &r->v.reasons[i];
				const struct code_info *ci;

				if ((int)r->prio[i] != p ||
				    (int)re->sev != sev) {
					continue;
				}
				v->reasons[v->n++] = *re;
				ci = code_find(re->code);
				if (ci != NULL && re->sev == TK_SEV_FAIL) {
					v->gnutls_status |= ci->bits |
					    GNUTLS_CERT_INVALID;
				}
			}
		}
	}
	v->status = r->nfail == 0 ? TK_VERIFY_OK : TK_VERIFY_FAILED;
}

int
tk_chainval(gnutls_x509_crt_t *served, size_t n,
    gnutls_x509_trust_list_t trust, const struct tk_chainval_opts *o,
    struct tk_verdict *v, struct tk_chain *path, struct tk_err *err)
{
	struct ctx *c;
	size_t cap;
	int rc = -1;

	memset(v, 0, sizeof(*v));
	if (path != NULL) {
		memset(path, 0, sizeof(*path));
	}
	if (o == NULL || served == NULL || n == 0) {
		return tk_err_set(err, TK_INTERNAL, "verify",
		    "no certificate to validate");
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		return tk_err_set(err, TK_INTERNAL, "verify", "out of memory");
	}
	c->o = o;
	c->trust = trust;
	c->none.profile = TK_PROFILE_WEB;
	c->purpose = o->purpose_oid != NULL ? o->purpose_oid :
	    GNUTLS_KP_TLS_WWW_SERVER;
	c->min_rsa = o->min_rsa_bits != 0 ? o->min_rsa_bits : TK_MIN_RSA_BITS;
	cap = n + count_anchors(trust) + (trust != NULL ? LOOKUPS_MAX : 0);
	c->cap = cap;
	c->nodes = calloc(cap, sizeof(*c->nodes));
	if (c->nodes == NULL) {
		tk_err_set(err, TK_INTERNAL, "verify", "out of memory");
		goto out;
	}
	/* anchors first: a served copy of an anchor then merges into it */
	if (collect_anchors(c, trust, cap - n - (trust != NULL ? LOOKUPS_MAX :
	    0), err) < 0) {
		goto out;
	}
	if (o->judging != NULL && o->judging->profile == TK_PROFILE_AUTO) {
		for (size_t i = 0; i < c->nn && !c->any_public; i++) {
			c->any_public = !anchor_private(c, &c->nodes[i]);
		}
	}
	for (size_t i = 0; i < n; i++) {
		size_t idx;

		if (add_node(c, served[i], false, false, &idx, err) < 0) {
			goto out;
		}
		if (i == 0) {
			c->path[0] = idx;
		}
	}
	build(c, 1);
	if (!c->have_best) {
		evaluate(c, 1, false);
	}
	if (c->best.nfail == 0) {
		cross_check(c, &c->best);
	}
	finish(&c->best, v);
	if (path != NULL && fill_path(c, &c->best, path, err) < 0) {
		goto out;
	}
	rc = 0;
out:
	for (size_t i = 0; c->nodes != NULL && i < c->nn; i++) {
		node_release(&c->nodes[i]);
	}
	free(c->nodes);
	free(c);
	return rc;
}
