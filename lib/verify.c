#include "verify.h"

#include <gnutls/x509.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "banned.h"

const char *
tk_verify_status_name(enum tk_verify_status s)
{
	switch (s) {
	case TK_VERIFY_NOT_DONE:
		return "not-done";
	case TK_VERIFY_OK:
		return "ok";
	case TK_VERIFY_FAILED:
		return "failed";
	case TK_VERIFY_SKIPPED:
		return "skipped";
	}
	return "not-done";
}

/* The status bits we name, in the order they are reported. */
static const struct {
	unsigned bit;
	const char *code;
	const char *message;
} bits[] = {
	{GNUTLS_CERT_UNEXPECTED_OWNER, "name-mismatch",
	    "the certificate is not for this name"},
	{GNUTLS_CERT_EXPIRED, "expired", "a certificate has expired"},
	{GNUTLS_CERT_NOT_ACTIVATED, "not-yet-valid",
	    "a certificate is not yet valid"},
	{GNUTLS_CERT_SIGNER_NOT_FOUND, "unknown-issuer",
	    "the issuer is not trusted"},
	{GNUTLS_CERT_SIGNER_NOT_CA, "issuer-not-ca",
	    "a certificate was signed by one that is not a CA"},
	{GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE, "constraints-violated",
	    "a CA's constraints (path length, name constraints or key "
	    "usage) are violated"},
	{GNUTLS_CERT_INSECURE_ALGORITHM, "insecure-algorithm",
	    "an insecure algorithm or key size is used (e.g. SHA-1, MD5, RSA "
	    "under 2048 bits)"},
	{GNUTLS_CERT_SIGNATURE_FAILURE, "bad-signature",
	    "a signature in the chain does not verify"},
	{GNUTLS_CERT_PURPOSE_MISMATCH, "purpose-mismatch",
	    "the certificate is not for this purpose (extended key usage)"},
	{GNUTLS_CERT_REVOKED, "revoked", "a certificate is revoked"},
	{GNUTLS_CERT_MISSING_OCSP_STATUS, "missing-ocsp-status",
	    "the certificate requires a stapled OCSP response and none was "
	    "sent"},
	{GNUTLS_CERT_INVALID_OCSP_STATUS, "invalid-ocsp-status",
	    "the stapled OCSP response is invalid"},
	{GNUTLS_CERT_REVOCATION_DATA_SUPERSEDED, "revocation-data-old",
	    "the revocation data is superseded"},
	{GNUTLS_CERT_REVOCATION_DATA_ISSUED_IN_FUTURE,
	    "revocation-data-future", "the revocation data is from the future"},
	{GNUTLS_CERT_MISMATCH, "certificate-mismatch",
	    "the certificate does not match the expected one"},
	{GNUTLS_CERT_UNKNOWN_CRIT_EXTENSIONS, "unknown-critical-extension",
	    "a certificate has an unknown critical extension"},
};

static void
add(struct tk_verdict *v, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
add(struct tk_verdict *v, const char *code, const char *fmt, ...)
{
	va_list ap;
	struct tk_reason *r;

	if (v->n == TK_REASONS_MAX) {
		return;
	}
	r = &v->reasons[v->n++];
	r->code = code;
	va_start(ap, fmt);
	vsnprintf(r->message, sizeof(r->message), fmt, ap);
	va_end(ap);
}

static const char *
cert_label(const struct tk_certinfo *ci)
{
	return ci->cn[0] ? ci->cn : ci->subject;
}

static void
names_of(const struct tk_certinfo *leaf, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < leaf->nsans && o + 1 < len; i++) {
		if (leaf->sans[i].type != TK_SAN_DNS &&
		    leaf->sans[i].type != TK_SAN_IP) {
			continue;
		}
		o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? ", " : "",
		    leaf->sans[i].value);
	}
	if (o == 0 && leaf->cn[0] != '\0') {
		snprintf(buf, len, "CN %.200s (no subject alternative names)",
		    leaf->cn);
	} else if (leaf->nsans_total > leaf->nsans && o + 1 < len) {
		snprintf(buf + o, len - o, ", ...");
	}
}

void
tk_verify_explain(unsigned status, const struct tk_chain *chain,
    const char *hostname, time_t now, struct tk_verdict *v)
{
	char when[32], names[256];
	bool have = chain != NULL && chain->n > 0;

	v->n = 0;
	v->gnutls_status = status;
	v->status = status == 0 ? TK_VERIFY_OK : TK_VERIFY_FAILED;
	if (status == 0) {
		return;
	}
	for (size_t b = 0; b < sizeof(bits) / sizeof(bits[0]); b++) {
		if (!(status & bits[b].bit)) {
			continue;
		}
		if (bits[b].bit == GNUTLS_CERT_UNEXPECTED_OWNER && have &&
		    hostname != NULL) {
			names_of(&chain->certs[0], names, sizeof(names));
			add(v, bits[b].code, "the certificate is for %s, not "
			    "'%s'", names, hostname);
			continue;
		}
		if ((bits[b].bit == GNUTLS_CERT_EXPIRED ||
		    bits[b].bit == GNUTLS_CERT_NOT_ACTIVATED) && have) {
			bool exp = bits[b].bit == GNUTLS_CERT_EXPIRED;
			size_t found = 0;

			for (size_t i = 0; i < chain->n; i++) {
				const struct tk_certinfo *c = &chain->certs[i];

				if (exp && c->not_after < now) {
					tk_time_iso(c->not_after, when,
					    sizeof(when));
					add(v, bits[b].code, "certificate #%zu "
					    "'%s' expired on %s (%ld days ago)",
					    i, cert_label(c), when,
					    -c->days_left);
					found++;
				} else if (!exp && c->not_before > now) {
					tk_time_iso(c->not_before, when,
					    sizeof(when));
					add(v, bits[b].code, "certificate #%zu "
					    "'%s' is not valid before %s", i,
					    cert_label(c), when);
					found++;
				}
			}
			if (found > 0) {
				continue;
			}
		}
		if (bits[b].bit == GNUTLS_CERT_SIGNER_NOT_FOUND && have) {
			const struct tk_certinfo *last =
			    &chain->certs[chain->n - 1];

			if (chain->total == 1 && last->self_issued) {
				add(v, "self-signed", "the certificate '%s' "
				    "is self-signed and not trusted",
				    cert_label(last));
			} else if (last->self_issued) {
				add(v, bits[b].code, "the root '%s' sent by "
				    "the peer is not trusted",
				    cert_label(last));
			} else {
				add(v, bits[b].code, "the issuer '%s' of "
				    "certificate #%zu is not trusted (unknown "
				    "CA, or an intermediate is missing)",
				    last->issuer, chain->n - 1);
			}
			continue;
		}
		add(v, bits[b].code, "%s", bits[b].message);
	}
	if (v->n == 0) {
		add(v, "invalid", "the certificate chain is invalid (GnuTLS "
		    "status 0x%x)", status);
	}
}

int
tk_verify_peer(gnutls_session_t s, const char *hostname, bool server_purpose,
    const struct tk_chain *chain, struct tk_verdict *v, struct tk_err *err)
{
	gnutls_typed_vdata_st data[2];
	unsigned nd = 0, status = 0;
	char name[TK_NAME_MAX];
	char purpose[64];
	int rc;

	memset(data, 0, sizeof(data));
	if (hostname != NULL && *hostname != '\0') {
		snprintf(name, sizeof(name), "%s", hostname);
		data[nd].type = GNUTLS_DT_DNS_HOSTNAME;
		data[nd].data = (unsigned char *)name;
		nd++;
	}
	data[nd].type = GNUTLS_DT_KEY_PURPOSE_OID;
	snprintf(purpose, sizeof(purpose), "%s", server_purpose ?
	    GNUTLS_KP_TLS_WWW_SERVER : GNUTLS_KP_TLS_WWW_CLIENT);
	data[nd].data = (unsigned char *)purpose;
	nd++;
	rc = gnutls_certificate_verify_peers(s, data, nd, &status);
	if (rc == GNUTLS_E_NO_CERTIFICATE_FOUND) {
		v->n = 0;
		v->status = TK_VERIFY_FAILED;
		add(v, "no-certificate", "the peer sent no certificate");
		return 0;
	}
	if (rc < 0) {
		tk_err_set(err, TK_INTERNAL, "verify",
		    "cannot verify the peer: %s", gnutls_strerror(rc));
		return -1;
	}
	tk_verify_explain(status, chain, hostname, time(NULL), v);
	tk_verify_key_sizes(chain, v);
	return 0;
}

/*
 * GnuTLS's default profile lets RSA keys under 2048 bits through; the
 * CA/Browser Forum Baseline Requirements (6.1.5) and NIST SP 800-131A do
 * not.  Its "medium" profile would catch them but also flags sound chains
 * in GnuTLS 3.7, so the check is ours.
 */
void
tk_verify_key_sizes(const struct tk_chain *chain, struct tk_verdict *v)
{
	if (chain == NULL) {
		return;
	}
	for (size_t i = 0; i < chain->n; i++) {
		const struct tk_certinfo *c = &chain->certs[i];

		if ((strncmp(c->key, "RSA", 3) == 0 ||
		    strncmp(c->key, "DSA", 3) == 0) && c->key_bits > 0 &&
		    c->key_bits < TK_MIN_RSA_BITS) {
			add(v, "weak-key", "certificate #%zu '%s' has a "
			    "%u-bit %.3s key (at least %d bits are needed)", i,
			    cert_label(c), c->key_bits, c->key,
			    TK_MIN_RSA_BITS);
			v->status = TK_VERIFY_FAILED;
		}
	}
}

void
tk_verdict_summary(const struct tk_verdict *v, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < v->n && o + 1 < len; i++) {
		o += (size_t)snprintf(buf + o, len - o, "%s%s: %s",
		    i ? "; " : "", v->reasons[i].code, v->reasons[i].message);
	}
}

void
tk_findings_add(struct tk_findings *fs, const char *code,
    enum tk_severity sev, const char *fmt, ...)
{
	va_list ap;
	struct tk_finding *f;

	if (fs->n == TK_FINDINGS_MAX || tk_findings_has(fs, code)) {
		return;
	}
	f = &fs->f[fs->n++];
	f->code = code;
	f->sev = tk_judge_severity(&fs->judging, fs->profile, code, sev,
	    &f->demoted);
	va_start(ap, fmt);
	vsnprintf(f->message, sizeof(f->message), fmt, ap);
	va_end(ap);
}

bool
tk_findings_has(const struct tk_findings *fs, const char *code)
{
	for (size_t i = 0; i < fs->n; i++) {
		if (strcmp(fs->f[i].code, code) == 0) {
			return true;
		}
	}
	return false;
}

enum tk_class
tk_findings_class(const struct tk_findings *fs)
{
	enum tk_class c = TK_OK;

	for (size_t i = 0; i < fs->n; i++) {
		switch (fs->f[i].sev) {
		case TK_SEV_FAIL:
			return TK_CHECK;
		case TK_SEV_WARN:
			c = TK_WARN;
			break;
		case TK_SEV_INFO:
			break;
		}
	}
	return c;
}

void
tk_findings_summary(const struct tk_findings *fs, enum tk_severity sev,
    char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < fs->n && o + 1 < len; i++) {
		if (fs->f[i].sev != sev) {
			continue;
		}
		o += (size_t)snprintf(buf + o, len - o, "%s%s: %s",
		    o ? "; " : "", fs->f[i].code, fs->f[i].message);
	}
}
