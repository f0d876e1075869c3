#include "fixchain.h"

#include <gnutls/pkcs7.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

#define AIA_CERTS_MAX 8

/* issuer's name is cert's issuer name and its key signed cert */
static bool
issues(gnutls_x509_crt_t issuer, gnutls_x509_crt_t cert)
{
	unsigned status = 0;

	if (gnutls_x509_crt_check_issuer(cert, issuer) == 0) {
		return false;
	}
	if (gnutls_x509_crt_verify(cert, &issuer, 1,
	    GNUTLS_VERIFY_DISABLE_TIME_CHECKS |
	    GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS |
	    GNUTLS_VERIFY_ALLOW_BROKEN, &status) < 0) {
		return false;
	}
	return (status & (GNUTLS_CERT_SIGNATURE_FAILURE |
	    GNUTLS_CERT_SIGNER_NOT_FOUND)) == 0;
}

static bool
self_signed(gnutls_x509_crt_t c)
{
	return gnutls_x509_crt_check_issuer(c, c) != 0;
}

/* basicConstraints cA TRUE; absent means an end entity (RFC 5280 4.2.1.9) */
static bool
is_ca(gnutls_x509_crt_t c)
{
	unsigned crit = 0;

	return gnutls_x509_crt_get_ca_status(c, &crit) > 0;
}

/* The CN, or the whole subject, for notes (peer bytes: escaped later). */
static void
label(gnutls_x509_crt_t c, char *buf, size_t len)
{
	size_t l = len;

	if (gnutls_x509_crt_get_dn_by_oid(c, GNUTLS_OID_X520_COMMON_NAME, 0, 0,
	    buf, &l) == 0 && buf[0] != '\0') {
		return;
	}
	l = len;
	if (gnutls_x509_crt_get_dn(c, buf, &l) < 0) {
		snprintf(buf, len, "?");
	}
}

static void
issuer_dn(gnutls_x509_crt_t c, char *buf, size_t len)
{
	size_t l = len;

	if (gnutls_x509_crt_get_issuer_dn(c, buf, &l) < 0) {
		snprintf(buf, len, "?");
	}
}

static void note(struct tk_fixed_chain *f, const char *action,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
note(struct tk_fixed_chain *f, const char *action, const char *fmt, ...)
{
	va_list ap;

	if (f->nnotes == TK_FIX_NOTES_MAX) {
		return;
	}
	f->notes[f->nnotes].action = action;
	va_start(ap, fmt);
	vsnprintf(f->notes[f->nnotes].message,
	    sizeof(f->notes[f->nnotes].message), fmt, ap);
	va_end(ap);
	f->nnotes++;
}

struct link {
	gnutls_x509_crt_t crt;   /* borrowed, or owned when src is TRUST */
	enum tk_fix_src src;
	const char *origin;
	long served;             /* index in what was served, or -1 */
};

void
tk_fixchain_free(struct tk_fixed_chain *f)
{
	if (f == NULL) {
		return;
	}
	free(f->pem);
	free(f);
}

static bool
in_chain(const struct link *ch, size_t n, gnutls_x509_crt_t c)
{
	for (size_t i = 0; i < n; i++) {
		if (gnutls_x509_crt_equals(ch[i].crt, c)) {
			return true;
		}
	}
	return false;
}

/* The first caIssuers URL of c not fetched yet, or false. */
static bool
next_url(gnutls_x509_crt_t c, const struct tk_fix_input *in, char *url,
    size_t len, bool *has_any)
{
	*has_any = false;
	for (unsigned seq = 0; seq < 16; seq++) {
		gnutls_datum_t d = {NULL, 0};
		unsigned crit = 0;
		bool tried = false;
		int rc;

		rc = gnutls_x509_crt_get_authority_info_access(c, seq,
		    GNUTLS_IA_CAISSUERS_URI, &d, &crit);
		if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) {
			break;
		}
		if (rc < 0) {
			/* another access method at this position */
			continue;
		}
		*has_any = true;
		if (d.size >= len || memchr(d.data, '\0', d.size) != NULL) {
			gnutls_free(d.data);
			continue;
		}
		memcpy(url, d.data, d.size);
		url[d.size] = '\0';
		gnutls_free(d.data);
		for (size_t i = 0; i < in->ntried; i++) {
			tried = tried || strcmp(in->tried[i].url, url) == 0;
		}
		if (!tried) {
			return true;
		}
	}
	return false;
}

/* Why the AIA URLs of c gave nothing, for the "incomplete" note. */
static void
aia_story(gnutls_x509_crt_t c, const struct tk_fix_input *in, bool has_any,
    char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	if (!has_any) {
		snprintf(buf, len, "it names no AIA caIssuers URL");
		return;
	}
	for (size_t i = 0; i < in->ntried; i++) {
		char url[1024];
		bool mine = false;

		for (unsigned seq = 0; seq < 16 && !mine; seq++) {
			gnutls_datum_t d = {NULL, 0};
			unsigned crit = 0;
			int rc = gnutls_x509_crt_get_authority_info_access(c,
			    seq, GNUTLS_IA_CAISSUERS_URI, &d, &crit);

			if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) {
				break;
			}
			if (rc < 0) {
				continue;
			}
			snprintf(url, sizeof(url), "%.*s", (int)d.size,
			    (const char *)d.data);
			mine = strcmp(url, in->tried[i].url) == 0;
			gnutls_free(d.data);
		}
		if (mine) {
			int w = snprintf(buf + used, len - used,
			    "%sAIA '%.120s' %s%.160s", used ? "; " : "",
			    in->tried[i].url, in->tried[i].error[0] ?
			    "failed: " : "gave another certificate",
			    in->tried[i].error);

			if (w < 0 || (size_t)w >= len - used) {
				break;
			}
			used += (size_t)w;
		}
	}
	if (used == 0) {
		snprintf(buf, len, "its AIA caIssuers URL was not fetched");
	}
}

static int
export_pem(struct tk_fixed_chain *f, const struct link *ch, size_t n,
    struct tk_err *err)
{
	size_t used = 0, cap = 1;
	gnutls_datum_t pems[TK_FIX_DEPTH_MAX];
	size_t npem = 0;
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		if (gnutls_x509_crt_export2(ch[i].crt, GNUTLS_X509_FMT_PEM,
		    &pems[npem]) < 0) {
			rc = tk_err_set(err, TK_INTERNAL, "fix",
			    "cannot export a certificate as PEM");
			goto out;
		}
		cap += pems[npem++].size;
	}
	f->pem = malloc(cap);
	if (f->pem == NULL) {
		rc = tk_err_set(err, TK_INTERNAL, "fix", "out of memory");
		goto out;
	}
	for (size_t i = 0; i < npem; i++) {
		memcpy(f->pem + used, pems[i].data, pems[i].size);
		used += pems[i].size;
	}
	f->pem[used] = '\0';
	f->ncerts = n;
out:
	for (size_t i = 0; i < npem; i++) {
		gnutls_free(pems[i].data);
	}
	return rc;
}

/* served[i] issues another certificate that was served, not a copy. */
static bool
issues_another(const struct tk_fix_input *in, size_t i)
{
	for (size_t j = 0; j < in->nserved; j++) {
		if (j != i && !gnutls_x509_crt_equals(in->served[i],
		    in->served[j]) && issues(in->served[i], in->served[j])) {
			return true;
		}
	}
	return false;
}

/* served[i] is the first of its copies in what was served. */
static bool
first_copy(const struct tk_fix_input *in, size_t i)
{
	for (size_t k = 0; k < i; k++) {
		if (gnutls_x509_crt_equals(in->served[k], in->served[i])) {
			return false;
		}
	}
	return true;
}

/* The leaf candidates of one kind (not a CA, or a CA), for find_leaf. */
struct cands {
	size_t n;
	size_t idx[3];           /* the first three, for the note */
};

/* "#1 'a', #2 'b'" for the note on an ambiguous leaf. */
static void
cand_list(const struct tk_fix_input *in, const struct cands *c, char *buf,
    size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t k = 0; k < c->n && k < 3; k++) {
		char lb[256];
		int w;

		label(in->served[c->idx[k]], lb, sizeof(lb));
		w = snprintf(buf + used, len - used, "%s#%zu '%.48s'",
		    k ? ", " : "", c->idx[k], lb);
		if (w < 0 || (size_t)w >= len - used) {
			return;
		}
		used += (size_t)w;
	}
	if (c->n > 3) {
		snprintf(buf + used, len - used, " and %zu more", c->n - 3);
	}
}

/*
 * Which certificate is the leaf.  TLS sends it first (RFC 8446 4.4.2),
 * but a chain file may hold it anywhere (cat intermediate.crt leaf.crt).
 * The leaf issues no other certificate of the set (name and signature,
 * copies ignored), and a non-CA one is preferred, since a CA is never a
 * server's leaf.  #0 stays the leaf when it is such a certificate, or
 * issues nothing and no non-CA certificate does either.  Otherwise the
 * leaf is the one non-CA certificate that issues nothing, or failing
 * that the one CA that issues nothing.  Returns its index, or -1 with
 * why filled when there is no such single certificate: guessing could
 * print a chain without its leaf, which breaks the server it is put on.
 */
static long
find_leaf(const struct tk_fix_input *in, bool *leaf_ca, char *why,
    size_t len)
{
	struct cands c[2] = {{0, {0}}, {0, {0}}};  /* [1]: the CAs */
	bool first_free;
	char list[320];

	*leaf_ca = is_ca(in->served[0]);
	first_free = !issues_another(in, 0);
	if (first_free && !*leaf_ca) {
		return 0;
	}
	for (size_t i = 0; i < in->nserved; i++) {
		size_t k;

		if (!first_copy(in, i) || issues_another(in, i)) {
			continue;
		}
		k = is_ca(in->served[i]) ? 1 : 0;
		if (c[k].n < 3) {
			c[k].idx[c[k].n] = i;
		}
		c[k].n++;
	}
	if (first_free && c[0].n == 0) {
		return 0;
	}
	if (c[0].n == 1) {
		*leaf_ca = false;
		return (long)c[0].idx[0];
	}
	if (c[0].n == 0 && c[1].n == 1) {
		*leaf_ca = true;
		return (long)c[1].idx[0];
	}
	if (c[0].n == 0 && c[1].n == 0) {
		snprintf(why, len, "each certificate sent issues another of "
		    "them, so none of them can be the leaf");
		return -1;
	}
	cand_list(in, &c[c[0].n > 0 ? 0 : 1], list, sizeof(list));
	snprintf(why, len, "%s issue none of the others%s", list,
	    c[0].n > 0 ? " and are not CAs" : ", and all are CAs");
	return -1;
}

/* The notes on what was served: order, duplicates, the root, strays. */
static void
served_notes(struct tk_fixed_chain *f, const struct tk_fix_input *in,
    const struct link *ch, size_t n, long root, bool leaf_ca)
{
	char order[128], lb[256];
	size_t used = 0;
	long last = 0, seq[TK_FIX_DEPTH_MAX + 1];
	size_t nseq = 0;
	bool reordered = ch[0].served != 0;

	/* the issuing order of what was sent, the root (if sent) last */
	for (size_t k = 0; k < n; k++) {
		if (ch[k].served >= 0) {
			seq[nseq++] = ch[k].served;
		}
	}
	if (root >= 0) {
		seq[nseq++] = root;
	}
	for (size_t k = 0; k < nseq; k++) {
		if (seq[k] < last) {
			reordered = true;
		}
		last = seq[k];
	}
	if (reordered) {
		order[0] = '\0';
		for (size_t k = 0; k < nseq; k++) {
			int w = snprintf(order + used, sizeof(order) - used,
			    "%s#%ld", used ? ", " : "", seq[k]);

			if (w < 0 || (size_t)w >= sizeof(order) - used) {
				break;
			}
			used += (size_t)w;
		}
	}
	if (reordered && ch[0].served != 0) {
		label(ch[0].crt, lb, sizeof(lb));
		note(f, "reordered", "the leaf is #%ld '%.120s', not #0: it "
		    "issues none of the others%s; the issuing order is %s: "
		    "the leaf goes first, each certificate followed by the "
		    "one that issued it (RFC 8446 4.4.2)", ch[0].served, lb,
		    leaf_ca ? " (though it is a CA)" : " and is not a CA",
		    order);
	} else if (reordered) {
		note(f, "reordered", "the certificates were not sent in "
		    "issuing order, which is %s: each must be followed by the "
		    "one that issued it (RFC 8446 4.4.2)", order);
	}
	for (size_t i = 0; i < in->nserved; i++) {
		bool used_here = false;
		size_t dup = i;

		for (size_t k = 0; k < n; k++) {
			used_here = used_here || ch[k].served == (long)i;
		}
		if (used_here) {
			continue;
		}
		for (size_t k = 0; k < i && dup == i; k++) {
			if (gnutls_x509_crt_equals(in->served[k],
			    in->served[i])) {
				dup = k;
			}
		}
		label(in->served[i], lb, sizeof(lb));
		if (dup != i) {
			note(f, "dropped-duplicate", "#%zu '%.200s' is a "
			    "second copy of #%zu", i, lb, dup);
		} else if (self_signed(in->served[i])) {
			note(f, "dropped-root", "#%zu '%.200s' is a root "
			    "(self-signed): clients use their own copy, so "
			    "sending it only costs bytes", i, lb);
		} else {
			note(f, "dropped-unrelated", "#%zu '%.200s' is not on "
			    "the path from the leaf", i, lb);
		}
	}
}

int
tk_fixchain_build(const struct tk_fix_input *in,
    struct tk_fixed_chain **out, char *url, size_t urllen,
    struct tk_err *err)
{
	struct link ch[TK_FIX_DEPTH_MAX];
	struct tk_fixed_chain *f;
	gnutls_x509_crt_t owned[TK_FIX_DEPTH_MAX];
	size_t n = 0, nowned = 0;
	bool complete = false, leaf_ca;
	long leaf, root = -1;    /* the root's index, when it was sent */
	char missing[512] = "", noleaf[320];
	int rc = -1;

	*out = NULL;
	if (in->nserved == 0) {
		tk_err_set(err, TK_INTERNAL, "fix", "no certificate");
		return -1;
	}
	f = calloc(1, sizeof(*f));
	if (f == NULL) {
		tk_err_set(err, TK_INTERNAL, "fix", "out of memory");
		return -1;
	}
	leaf = find_leaf(in, &leaf_ca, noleaf, sizeof(noleaf));
	if (leaf >= 0) {
		ch[n++] = (struct link){in->served[leaf], TK_FIX_SERVED,
		    NULL, leaf};
	} else {
		/* no chain at all rather than one that may lack its leaf */
		snprintf(missing, sizeof(missing), "cannot tell which "
		    "certificate is the leaf: %.280s; no chain is printed, "
		    "since one without its leaf breaks the server: put the "
		    "leaf first", noleaf);
	}
	while (n > 0 && n < TK_FIX_DEPTH_MAX) {
		gnutls_x509_crt_t cur = ch[n - 1].crt, iss = NULL;
		struct link next = {NULL, TK_FIX_SERVED, NULL, -1};
		char lb[256], ib[512], why[512];
		bool has_any;

		if (self_signed(cur)) {
			/* a self-signed leaf: nothing can be added */
			complete = true;
			break;
		}
		/* what was served first, then --intermediates and fetches */
		for (size_t i = 0; i < in->nserved && next.crt == NULL; i++) {
			if (!in_chain(ch, n, in->served[i]) &&
			    issues(in->served[i], cur)) {
				next = (struct link){in->served[i],
				    TK_FIX_SERVED, NULL, (long)i};
			}
		}
		for (size_t i = 0; i < in->nextra && next.crt == NULL; i++) {
			if (!in_chain(ch, n, in->extra[i].crt) &&
			    issues(in->extra[i].crt, cur)) {
				next = (struct link){in->extra[i].crt,
				    in->extra[i].src, in->extra[i].origin, -1};
			}
		}
		if (next.crt != NULL && self_signed(next.crt)) {
			/* the root: clients have it; never sent */
			root = next.served;
			complete = true;
			break;
		}
		if (next.crt == NULL && in->trust != NULL &&
		    gnutls_x509_trust_list_get_issuer(in->trust, cur, &iss,
		    GNUTLS_TL_GET_COPY) == 0) {
			if (self_signed(iss)) {
				gnutls_x509_crt_deinit(iss);
				complete = true;
				break;
			}
			if (in_chain(ch, n, iss)) {
				gnutls_x509_crt_deinit(iss);
			} else {
				owned[nowned++] = iss;
				next = (struct link){iss, TK_FIX_TRUST, NULL,
				    -1};
			}
		}
		if (next.crt != NULL) {
			ch[n++] = next;
			continue;
		}
		if (ch[n - 1].src == TK_FIX_TRUST) {
			/* ends at a trust anchor that is not a root */
			complete = true;
			break;
		}
		if (!in->no_fetch && next_url(cur, in, url, urllen,
		    &has_any)) {
			rc = TK_FIX_NEED_FETCH;
			goto out;
		}
		(void)next_url(cur, in, url, urllen, &has_any);
		label(cur, lb, sizeof(lb));
		issuer_dn(cur, ib, sizeof(ib));
		aia_story(cur, in, has_any, why, sizeof(why));
		snprintf(missing, sizeof(missing), "the issuer '%.120s' of "
		    "'%.80s' was found nowhere: not sent, not in "
		    "--intermediates, not in the trust store; %.160s", ib, lb,
		    why);
		break;
	}
	if (n > 0) {
		served_notes(f, in, ch, n, root, leaf_ca);
	}
	for (size_t k = 1; k < n; k++) {
		char lb[256], sub[256];

		if (ch[k].src == TK_FIX_SERVED) {
			continue;
		}
		label(ch[k].crt, lb, sizeof(lb));
		label(ch[k - 1].crt, sub, sizeof(sub));
		switch (ch[k].src) {
		case TK_FIX_FILE:
			note(f, "added", "'%.100s', the issuer of '%.100s', was "
			    "not sent; taken from --intermediates '%.100s'",
			    lb, sub, ch[k].origin);
			break;
		case TK_FIX_AIA:
			note(f, "added", "'%.100s', the issuer of '%.100s', was "
			    "not sent; fetched from its AIA caIssuers URL "
			    "'%.120s'", lb, sub, ch[k].origin);
			break;
		case TK_FIX_TRUST:
			note(f, "added", "'%.100s', the issuer of '%.100s', was "
			    "not sent; taken from the local trust store, "
			    "which other clients may lack", lb, sub);
			break;
		case TK_FIX_SERVED:
			break;
		}
	}
	if (missing[0] != '\0') {
		note(f, "incomplete", "%s", missing);
	}
	f->complete = complete;
	/* with no leaf there is no fixed chain, so nothing changed */
	f->changed = n > 0 && n != in->nserved;
	for (size_t k = 0; k < n && !f->changed; k++) {
		f->changed = ch[k].served != (long)k;
	}
	if (!f->changed && complete) {
		note(f, "none", "the chain as sent is right: nothing to "
		    "change");
	}
	if (export_pem(f, ch, n, err) < 0) {
		goto out;
	}
	*out = f;
	f = NULL;
	rc = 0;
out:
	for (size_t i = 0; i < nowned; i++) {
		gnutls_x509_crt_deinit(owned[i]);
	}
	tk_fixchain_free(f);
	return rc;
}

int
tk_fixchain_parse_aia(const unsigned char *body, size_t len,
    gnutls_x509_crt_t **list, unsigned *n, struct tk_err *err)
{
	gnutls_datum_t d = {(unsigned char *)(uintptr_t)body,
	    (unsigned)len};
	gnutls_x509_crt_t c = NULL;
	gnutls_pkcs7_t p7 = NULL;
	int rc;

	*list = NULL;
	*n = 0;
	if (len == 0 || len > (1u << 24)) {
		return tk_err_set(err, TK_CHECK, "fetch",
		    "the AIA response is %s", len ? "too large" : "empty");
	}
	/* one DER certificate: what RFC 5280 4.2.2.1 asks for */
	if (gnutls_x509_crt_init(&c) < 0) {
		return tk_err_set(err, TK_INTERNAL, "fetch", "out of memory");
	}
	if (gnutls_x509_crt_import(c, &d, GNUTLS_X509_FMT_DER) == 0) {
		*list = gnutls_malloc(sizeof(**list));
		if (*list == NULL) {
			gnutls_x509_crt_deinit(c);
			return tk_err_set(err, TK_INTERNAL, "fetch",
			    "out of memory");
		}
		(*list)[0] = c;
		*n = 1;
		return 0;
	}
	gnutls_x509_crt_deinit(c);
	/* a certs-only CMS message (.p7c), DER or PEM */
	if (gnutls_pkcs7_init(&p7) < 0) {
		return tk_err_set(err, TK_INTERNAL, "fetch", "out of memory");
	}
	if (gnutls_pkcs7_import(p7, &d, GNUTLS_X509_FMT_DER) == 0 ||
	    gnutls_pkcs7_import(p7, &d, GNUTLS_X509_FMT_PEM) == 0) {
		int count = gnutls_pkcs7_get_crt_count(p7);

		if (count > AIA_CERTS_MAX) {
			count = AIA_CERTS_MAX;
		}
		*list = gnutls_calloc(count > 0 ? (size_t)count : 1,
		    sizeof(**list));
		for (int i = 0; *list != NULL && i < count; i++) {
			gnutls_datum_t raw = {NULL, 0};

			if (gnutls_pkcs7_get_crt_raw2(p7, (unsigned)i,
			    &raw) < 0) {
				continue;
			}
			if (gnutls_x509_crt_init(&c) == 0) {
				if (gnutls_x509_crt_import(c, &raw,
				    GNUTLS_X509_FMT_DER) == 0) {
					(*list)[(*n)++] = c;
				} else {
					gnutls_x509_crt_deinit(c);
				}
			}
			gnutls_free(raw.data);
		}
		gnutls_pkcs7_deinit(p7);
		if (*n > 0) {
			return 0;
		}
		gnutls_free(*list);
		*list = NULL;
		return tk_err_set(err, TK_CHECK, "fetch",
		    "the AIA response is a PKCS#7 message without a "
		    "certificate");
	}
	gnutls_pkcs7_deinit(p7);
	/* PEM certificates, which some servers send */
	rc = gnutls_x509_crt_list_import2(list, n, &d, GNUTLS_X509_FMT_PEM,
	    0);
	if (rc < 0 || *n == 0) {
		*list = NULL;
		*n = 0;
		return tk_err_set(err, TK_CHECK, "fetch",
		    "the AIA response holds no certificate (DER, PKCS#7 or "
		    "PEM)");
	}
	while (*n > AIA_CERTS_MAX) {
		gnutls_x509_crt_deinit((*list)[--(*n)]);
	}
	return 0;
}
