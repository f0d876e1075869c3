#include "certcheck.h"

#include <ctype.h>
#include <gnutls/ocsp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chainval.h"
#include "dn.h"

#include "banned.h"

/*
 * The codes, severities and descriptions are in lib/codes.c; this file
 * adds the findings of the chain as served, expiry, strength and the OCSP
 * staple to the path verdict's.
 */

/*
 * Does issuer's subject name cert's issuer?  Compared as RFC 5280 7.1
 * says (lib/dn.c), as the path builder does, so a re-encoded name is the
 * same name here too.
 */
static bool
issues(gnutls_x509_crt_t issuer, gnutls_x509_crt_t cert)
{
	gnutls_datum_t in = {NULL, 0}, sn = {NULL, 0};
	bool same;

	if (gnutls_x509_crt_get_raw_issuer_dn(cert, &in) < 0 ||
	    gnutls_x509_crt_get_raw_dn(issuer, &sn) < 0) {
		gnutls_free(in.data);
		return gnutls_x509_crt_check_issuer(cert, issuer) != 0;
	}
	same = tk_dn_equal(in.data, in.size, sn.data, sn.size) ||
	    (in.size == sn.size && memcmp(in.data, sn.data, in.size) == 0);
	gnutls_free(in.data);
	gnutls_free(sn.data);
	return same;
}

static bool
self_signed(gnutls_x509_crt_t c)
{
	return issues(c, c);
}

static const char *
label(const struct tk_chain *ch, size_t i)
{
	if (i < ch->n) {
		return ch->certs[i].cn[0] ? ch->certs[i].cn :
		    ch->certs[i].subject;
	}
	return "?";
}

/* Position of served cert i in the validated path, or -1. */
static int
path_pos(const struct tk_chain *path, const struct tk_certinfo *ci)
{
	for (size_t k = 0; path != NULL && k < path->n; k++) {
		if (strcmp(path->certs[k].sha256, ci->sha256) == 0) {
			return (int)k;
		}
	}
	return -1;
}

static bool
is_ca(gnutls_x509_crt_t c)
{
	unsigned ca = 0;

	return gnutls_x509_crt_get_basic_constraints(c, NULL, &ca, NULL) >= 0 &&
	    ca != 0;
}

/*
 * A chain that starts with a CA certificate which issued another of the
 * certificates sent, itself not a CA, is in reverse order: the real leaf
 * comes later (`cat intermediate.crt leaf.crt`).  Clients take the first
 * certificate for the leaf (RFC 8446 4.4.2), so this fails, and saying so
 * explains the name-mismatch and ca-as-leaf that follow.
 */
static void
check_reversed(gnutls_x509_crt_t *served, size_t n,
    const struct tk_chain *info, struct tk_findings *f)
{
	if (n < 2 || !is_ca(served[0])) {
		return;
	}
	for (size_t i = 1; i < n && i < info->n; i++) {
		unsigned status = GNUTLS_CERT_SIGNATURE_FAILURE;

		/* the name, then the signature: served[0] really issued it */
		if (!is_ca(served[i]) && issues(served[0], served[i]) &&
		    gnutls_x509_crt_verify(served[i], &served[0], 1,
		    GNUTLS_VERIFY_ALLOW_BROKEN |
		    GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1 |
		    GNUTLS_VERIFY_DISABLE_TIME_CHECKS |
		    GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS, &status) >= 0 &&
		    !(status & GNUTLS_CERT_SIGNATURE_FAILURE)) {
			tk_findings_add(f, "chain-reversed", TK_SEV_FAIL,
			    "the chain is in reverse order: it starts with "
			    "the CA '%s', which issued certificate #%zu '%s', "
			    "the leaf; put the leaf first, then each issuer",
			    label(info, 0), i, label(info, i));
			return;
		}
	}
}

/*
 * The chain as served, judged against the path that validated (when one
 * did) or, failing that, against the issuers found among what was sent.
 * Certificates that are not on the path are "unused" and do not make the
 * order wrong: the order is that of the path's certificates among
 * themselves.
 */
static void
check_served(gnutls_x509_crt_t *served, size_t n,
    gnutls_x509_trust_list_t trust, const struct tk_chain *info,
    const struct tk_chain *path, struct tk_findings *f)
{
	bool on_path[TK_CHAIN_MAX] = {false};
	size_t cur = 0, steps = 0;
	bool in_order = true;
	gnutls_x509_crt_t anchor = NULL;

	if (n > TK_CHAIN_MAX) {
		n = TK_CHAIN_MAX;
	}
	if (n > info->n) {
		n = info->n;
	}
	check_reversed(served, n, info, f);
	if (path != NULL && path->n > 0) {
		int last = 0;
		bool stray = false;

		/* the path's certificates first, each followed by its
		 * issuer; anything unrelated may only come after them */
		for (size_t i = 0; i < n; i++) {
			int pos = path_pos(path, &info->certs[i]);

			if (pos < 0) {
				stray = true;
				continue;
			}
			on_path[i] = true;
			if (pos < last || (stray && pos > 0)) {
				in_order = false;
			}
			last = pos;
		}
		/* path certificates that were not served (a root anchor
		 * never needs to be) */
		for (size_t k = 1; k < path->n; k++) {
			bool sent = false;

			if (k + 1 == path->n && path->certs[k].self_issued) {
				break;
			}

			for (size_t i = 0; i < n && !sent; i++) {
				sent = strcmp(path->certs[k].sha256,
				    info->certs[i].sha256) == 0;
			}
			if (!sent) {
				tk_findings_add(f, "incomplete-chain",
				    TK_SEV_WARN, "the intermediate '%s' was "
				    "not sent; it was found in the local "
				    "trust store, which other clients may "
				    "lack", path->certs[k].cn[0] ?
				    path->certs[k].cn : path->certs[k].subject);
				break;
			}
		}
	} else {
		size_t prev = 0;

		/* follow issuers through what was served, in any order */
		on_path[0] = true;
		while (!self_signed(served[cur]) && steps++ < n) {
			size_t next = n;

			for (size_t i = 1; i < n; i++) {
				if (!on_path[i] &&
				    issues(served[i], served[cur])) {
					next = i;
					break;
				}
			}
			if (next == n) {
				break;
			}
			if (next < prev) {
				in_order = false;
			}
			prev = next;
			on_path[next] = true;
			cur = next;
		}
		if (!self_signed(served[cur])) {
			int rc = gnutls_x509_trust_list_get_issuer(trust,
			    served[cur], &anchor, GNUTLS_TL_GET_COPY);

			if (rc < 0) {
				tk_findings_add(f, "missing-intermediate",
				    TK_SEV_FAIL, "the issuer '%s' of "
				    "certificate #%zu was not sent and is not "
				    "a trust anchor", info->certs[cur].issuer,
				    cur);
			} else {
				if (!self_signed(anchor)) {
					tk_findings_add(f, "incomplete-chain",
					    TK_SEV_WARN, "the issuer of "
					    "certificate #%zu was not sent; it "
					    "was found in the local trust "
					    "store, which other clients may "
					    "lack", cur);
				}
				gnutls_x509_crt_deinit(anchor);
			}
		}
	}
	if (!in_order) {
		tk_findings_add(f, "chain-order", TK_SEV_WARN,
		    "the certificates are not sent in issuing order (each "
		    "should be followed by its issuer, RFC 8446 4.4.2)");
	}
	for (size_t i = 1; i < n; i++) {
		if (self_signed(served[i]) && on_path[i]) {
			tk_findings_add(f, "root-sent", TK_SEV_INFO,
			    "the root '%s' (#%zu) was sent; clients use "
			    "their own copy, so it only costs bytes",
			    label(info, i), i);
		} else if (!on_path[i]) {
			tk_findings_add(f, "unused-certificate", TK_SEV_WARN,
			    "certificate #%zu '%s' is not on the path from "
			    "the leaf", i, label(info, i));
		}
	}
	if (info->n > 0 && info->certs[0].is_ca) {
		tk_findings_add(f, "leaf-is-ca", TK_SEV_FAIL,
		    "the leaf certificate '%s' is a CA certificate",
		    label(info, 0));
	}
}

static void
check_time(const struct tk_chain *info, const struct tk_certcheck_opts *o,
    struct tk_findings *f)
{
	char when[32];
	size_t worst = info->n;
	long min_days = 0;

	for (size_t i = 0; i < info->n; i++) {
		const struct tk_certinfo *c = &info->certs[i];

		/* expired is a verdict already; a self-issued root the
		 * server sent is replaced by the client's own copy, but a
		 * self-issued leaf (pinned or self-signed) is what every
		 * client gets, so its expiry counts */
		if (c->not_after < o->at || (i > 0 && c->self_issued)) {
			continue;
		}
		if (worst == info->n || c->days_left < min_days) {
			worst = i;
			min_days = c->days_left;
		}
	}
	if (worst == info->n) {
		return;
	}
	tk_certinfo_iso_time(info->certs[worst].not_after, when, sizeof(when));
	if (o->crit_days > 0 && min_days < (long)o->crit_days) {
		tk_findings_add(f, "expires-soon", TK_SEV_FAIL,
		    "certificate #%zu '%s' expires on %s, in %ld days "
		    "(--crit-days %u)", worst, label(info, worst), when,
		    min_days, o->crit_days);
	} else if (o->warn_days > 0 && min_days < (long)o->warn_days) {
		tk_findings_add(f, "expires-soon", TK_SEV_WARN,
		    "certificate #%zu '%s' expires on %s, in %ld days "
		    "(--warn-days %u)", worst, label(info, worst), when,
		    min_days, o->warn_days);
	}
}

static void
check_strength(const struct tk_chain *info, const struct tk_chain *path,
    const struct tk_certcheck_opts *o, const struct tk_verdict *v,
    struct tk_findings *f)
{
	unsigned min_bits = o->min_key_bits ? o->min_key_bits :
	    TK_MIN_RSA_BITS;
	bool insecure = false;

	for (size_t i = 0; i < v->n; i++) {
		if (strcmp(v->reasons[i].code, "insecure-algorithm") == 0) {
			insecure = true;
		}
	}
	for (size_t i = 0; i < info->n; i++) {
		const struct tk_certinfo *c = &info->certs[i];
		bool rsa = strncmp(c->key, "RSA", 3) == 0 ||
		    strncmp(c->key, "DSA", 3) == 0;
		bool ec = strncmp(c->key, "ECDSA", 5) == 0;
		int pos = path_pos(path, c);
		/* a trust anchor's own signature is never checked */
		bool anchor = path != NULL && pos == (int)path->n - 1;

		if (path != NULL && pos < 0) {
			continue;  /* not on the validated path: unused */
		}
		if ((rsa && c->key_bits < min_bits) ||
		    (ec && c->key_bits > 0 && c->key_bits < 256)) {
			tk_findings_add(f, "weak-key", TK_SEV_FAIL,
			    "certificate #%zu '%s' has a %s key (%u bits; "
			    "at least %u needed)", i, label(info, i), c->key,
			    c->key_bits, rsa ? min_bits : 256u);
		}
		if (!c->self_issued && !anchor && !insecure &&
		    (strstr(c->signature, "SHA1") != NULL ||
		    strstr(c->signature, "MD5") != NULL ||
		    strstr(c->signature, "MD2") != NULL)) {
			tk_findings_add(f, "weak-signature", TK_SEV_FAIL,
			    "certificate #%zu '%s' is signed with %s, which "
			    "is broken", i, label(info, i), c->signature);
		}
	}
}

/* RFC 7633: the TLS feature extension asking for status_request (5). */
static bool
must_staple(gnutls_x509_crt_t leaf)
{
	gnutls_x509_tlsfeatures_t feat;
	bool want = false;
	unsigned v;

	if (gnutls_x509_tlsfeatures_init(&feat) < 0) {
		return false;
	}
	if (gnutls_x509_crt_get_tlsfeatures(leaf, feat, 0, NULL) == 0) {
		for (unsigned i = 0;
		     gnutls_x509_tlsfeatures_get(feat, i, &v) == 0; i++) {
			if (v == 5) {
				want = true;
			}
		}
	}
	gnutls_x509_tlsfeatures_deinit(feat);
	return want;
}

static void
check_ocsp(gnutls_session_t s, gnutls_x509_crt_t *served, size_t n,
    gnutls_x509_trust_list_t trust, const struct tk_certcheck_opts *o,
    struct tk_ocsp_info *oc, struct tk_findings *f)
{
	gnutls_datum_t raw = {NULL, 0};
	gnutls_ocsp_resp_t resp = NULL;
	gnutls_x509_crt_t issuer = NULL;
	bool own_issuer = false;
	unsigned cert_status = 0, verify = 0;
	char when[32];
	int rc;

	oc->checked = true;
	oc->this_update = oc->next_update = (time_t)-1;
	oc->must_staple = must_staple(served[0]);
	if (gnutls_ocsp_status_request_get2(s, 0, &raw) < 0 ||
	    raw.size == 0) {
		if (oc->must_staple) {
			tk_findings_add(f, "must-staple-missing", TK_SEV_FAIL,
			    "the certificate requires a stapled OCSP response "
			    "(TLS feature status_request, RFC 7633) and none "
			    "was sent");
		} else if (o->require_staple) {
			tk_findings_add(f, "staple-missing", TK_SEV_FAIL,
			    "no stapled OCSP response (--require-staple)");
		} else {
			tk_findings_add(f, "no-staple", TK_SEV_INFO,
			    "no stapled OCSP response");
		}
		return;
	}
	oc->stapled = true;
	if (gnutls_ocsp_resp_init(&resp) < 0) {
		return;
	}
	rc = gnutls_ocsp_resp_import(resp, &raw);
	if (rc < 0) {
		tk_findings_add(f, "ocsp-unparsable", TK_SEV_FAIL,
		    "the stapled OCSP response cannot be parsed: %s",
		    gnutls_strerror(rc));
		goto out;
	}
	if (gnutls_ocsp_resp_check_crt(resp, 0, served[0]) < 0) {
		tk_findings_add(f, "ocsp-other-cert", TK_SEV_FAIL,
		    "the stapled OCSP response is for another certificate");
		goto out;
	}
	rc = gnutls_ocsp_resp_get_single(resp, 0, NULL, NULL, NULL, NULL,
	    &cert_status, &oc->this_update, &oc->next_update,
	    &oc->revoked_at, NULL);
	if (rc < 0) {
		tk_findings_add(f, "ocsp-unparsable", TK_SEV_FAIL,
		    "the stapled OCSP response holds no usable answer: %s",
		    gnutls_strerror(rc));
		goto out;
	}
	for (size_t i = 1; i < n && issuer == NULL; i++) {
		if (issues(served[i], served[0])) {
			issuer = served[i];
		}
	}
	if (issuer == NULL && gnutls_x509_trust_list_get_issuer(trust,
	    served[0], &issuer, GNUTLS_TL_GET_COPY) == 0) {
		own_issuer = true;
	}
	if (issuer != NULL) {
		rc = gnutls_ocsp_resp_verify_direct(resp, issuer, &verify, 0);
		oc->signature_ok = rc == 0 && verify == 0;
		if (!oc->signature_ok) {
			tk_findings_add(f, "ocsp-bad-signature", TK_SEV_FAIL,
			    "the stapled OCSP response is not signed by the "
			    "certificate's issuer or its responder");
		}
	}
	switch (cert_status) {
	case GNUTLS_OCSP_CERT_GOOD:
		snprintf(oc->status, sizeof(oc->status), "good");
		tk_certinfo_iso_time(oc->next_update, when, sizeof(when));
		tk_findings_add(f, "ocsp-good", TK_SEV_INFO,
		    "stapled OCSP response: good, next update %s",
		    oc->next_update == (time_t)-1 ? "not given" : when);
		break;
	case GNUTLS_OCSP_CERT_REVOKED:
		snprintf(oc->status, sizeof(oc->status), "revoked");
		tk_certinfo_iso_time(oc->revoked_at, when, sizeof(when));
		tk_findings_add(f, "ocsp-revoked", TK_SEV_FAIL,
		    "stapled OCSP response: the certificate was revoked on "
		    "%s", when);
		break;
	default:
		snprintf(oc->status, sizeof(oc->status), "unknown");
		tk_findings_add(f, "ocsp-unknown", TK_SEV_WARN,
		    "stapled OCSP response: status unknown to the responder");
		break;
	}
	if (oc->next_update != (time_t)-1 && oc->next_update < o->at) {
		tk_certinfo_iso_time(oc->next_update, when, sizeof(when));
		tk_findings_add(f, "ocsp-stale", TK_SEV_FAIL,
		    "the stapled OCSP response expired on %s", when);
	}
out:
	if (own_issuer) {
		gnutls_x509_crt_deinit(issuer);
	}
	gnutls_ocsp_resp_deinit(resp);
}

int
tk_certcheck(gnutls_x509_crt_t *served, size_t n,
    gnutls_x509_trust_list_t trust, const struct tk_certcheck_opts *o,
    gnutls_session_t session, struct tk_chain *info, struct tk_verdict *v,
    struct tk_findings *f, struct tk_ocsp_info *ocsp, struct tk_err *err)
{
	struct tk_chainval_opts co = {0};
	struct tk_chain path = {0};

	memset(info, 0, sizeof(*info));
	memset(ocsp, 0, sizeof(*ocsp));
	if (n == 0) {
		return tk_err_set(err, TK_INTERNAL, "verify",
		    "no certificate to check");
	}
	info->total = n;
	info->n = n > TK_CHAIN_MAX ? TK_CHAIN_MAX : n;
	info->certs = calloc(info->n, sizeof(*info->certs));
	if (info->certs == NULL) {
		return tk_err_set(err, TK_INTERNAL, "verify", "out of memory");
	}
	for (size_t i = 0; i < info->n; i++) {
		if (tk_certinfo_from_crt(served[i], o->at, &info->certs[i],
		    err) < 0) {
			return -1;
		}
	}
	co.hostname = o->hostname;
	co.at = o->at;
	co.min_rsa_bits = o->min_key_bits;
	co.purpose_oid = o->purpose_oid;
	co.judging = &o->judging;
	co.anchor_private = o->anchor_private;
	co.anchor_arg = o->anchor_arg;
	if (tk_chainval(served, n, trust, &co, v, &path, err) < 0) {
		return -1;
	}
	f->judging = o->judging;
	f->profile = v->profile;
	/* the chain as served first: "missing-intermediate" explains an
	 * "unknown-issuer" better than the verdict can */
	check_served(served, n, trust, info,
	    v->status == TK_VERIFY_OK ? &path : NULL, f);
	for (size_t i = 0; i < v->n; i++) {
		const struct tk_code *tc = tk_code_find(v->reasons[i].code);

		/* said once: the served-chain check already named it */
		if (strcmp(v->reasons[i].code, "ca-as-leaf") == 0 &&
		    tk_findings_has(f, "leaf-is-ca")) {
			continue;
		}
		/* judged again the same way: the demotion is kept */
		tk_findings_add(f, v->reasons[i].code, tc != NULL ? tc->sev :
		    TK_SEV_FAIL, "%s", v->reasons[i].message);
	}
	check_time(info, o, f);
	check_strength(info, v->status == TK_VERIFY_OK ? &path : NULL, o, v,
	    f);
	tk_chain_clear(&path);
	if (session != NULL) {
		check_ocsp(session, served, n, trust, o, ocsp, f);
	}
	return 0;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian, H. Hinnant). */
static long long
days_from_civil(long long y, unsigned m, unsigned d)
{
	long long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

static bool
digits(const char *s, size_t n, unsigned *out)
{
	unsigned v = 0;

	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i])) {
			return false;
		}
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*out = v;
	return true;
}

int
tk_certcheck_parse_time(const char *s, time_t *out, struct tk_err *err)
{
	unsigned y, mo, d, h = 0, mi = 0, se = 0, oh = 0, om = 0;
	const char *p = s;
	long long t;
	int sign = 0;
	static const unsigned mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30,
	    31, 30, 31};

	if (*s == '@') {
		char *end;
		long long v = strtoll(s + 1, &end, 10);

		if (s[1] == '\0' || *end != '\0') {
			goto bad;
		}
		*out = (time_t)v;
		return 0;
	}
	if (strlen(p) < 10 || !digits(p, 4, &y) || p[4] != '-' ||
	    !digits(p + 5, 2, &mo) || p[7] != '-' || !digits(p + 8, 2, &d)) {
		goto bad;
	}
	p += 10;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		if (strlen(p) < 6 || !digits(p + 1, 2, &h) || p[3] != ':' ||
		    !digits(p + 4, 2, &mi)) {
			goto bad;
		}
		p += 6;
		if (*p == ':') {
			if (!digits(p + 1, 2, &se)) {
				goto bad;
			}
			p += 3;
		}
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '+' ? 1 : -1;
		if (!digits(p + 1, 2, &oh) || p[3] != ':' ||
		    !digits(p + 4, 2, &om)) {
			goto bad;
		}
		p += 6;
	}
	if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    h > 23 || mi > 59 || se > 60 || oh > 23 || om > 59 ||
	    (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 ||
	    y % 400 == 0)))) {
		goto bad;
	}
	t = days_from_civil(y, mo, d) * 86400LL + h * 3600LL + mi * 60LL +
	    se - sign * (oh * 3600LL + om * 60LL);
	*out = (time_t)t;
	return 0;
bad:
	return tk_err_set(err, TK_USAGE, "options",
	    "bad time '%s' (use ISO 8601, e.g. 2030-01-31 or "
	    "2030-01-31T12:00:00Z, or @EPOCH)", s);
}

int
tk_certcheck_session(gnutls_session_t session,
    gnutls_x509_trust_list_t trust, const struct tk_certcheck_opts *o,
    struct tk_chain *served_info, struct tk_verdict *v,
    struct tk_findings *f, struct tk_ocsp_info *ocsp, struct tk_err *err)
{
	unsigned n = 0, got = 0;
	const gnutls_datum_t *peers = gnutls_certificate_get_peers(session,
	    &n);
	gnutls_x509_crt_t *crts;
	int rc = -1;

	if (peers == NULL || n == 0) {
		return tk_err_set(err, TK_TLS, "handshake",
		    "the server sent no certificate");
	}
	crts = calloc(n, sizeof(*crts));
	if (crts == NULL) {
		return tk_err_set(err, TK_INTERNAL, "verify", "out of memory");
	}
	for (; got < n; got++) {
		if (gnutls_x509_crt_init(&crts[got]) < 0) {
			tk_err_set(err, TK_INTERNAL, "verify",
			    "out of memory");
			goto out;
		}
		if (gnutls_x509_crt_import(crts[got], &peers[got],
		    GNUTLS_X509_FMT_DER) < 0) {
			tk_err_set(err, TK_CHECK, "verify", "certificate #%u "
			    "sent by the server cannot be parsed", got);
			got++;
			goto out;
		}
	}
	rc = tk_certcheck(crts, n, trust, o, session, served_info, v, f,
	    ocsp, err);
out:
	for (unsigned i = 0; i < got; i++) {
		gnutls_x509_crt_deinit(crts[i]);
	}
	free(crts);
	return rc;
}
