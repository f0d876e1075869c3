#include "certinfo.h"

#include <arpa/inet.h>
#include <gnutls/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

void
tk_certinfo_iso_time(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (t == (time_t)-1 || gmtime_r(&t, &tm) == NULL) {
		snprintf(buf, len, "unknown");
		return;
	}
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

const char *
tk_san_type_name(enum tk_san_type t)
{
	switch (t) {
	case TK_SAN_DNS:
		return "DNS";
	case TK_SAN_IP:
		return "IP";
	case TK_SAN_EMAIL:
		return "email";
	case TK_SAN_URI:
		return "URI";
	}
	return "?";
}

static void
hex_colon(const unsigned char *p, size_t n, char *out, size_t len)
{
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n && o + 4 < len; i++) {
		o += (size_t)snprintf(out + o, len - o, "%s%02X", i ? ":" : "",
		    p[i]);
	}
}

static void
get_dn(gnutls_x509_crt_t crt, bool issuer, char *buf, size_t len)
{
	gnutls_datum_t dn = {NULL, 0};
	int rc;

	rc = issuer ? gnutls_x509_crt_get_issuer_dn3(crt, &dn, 0) :
	    gnutls_x509_crt_get_dn3(crt, &dn, 0);
	if (rc < 0) {
		snprintf(buf, len, "(unreadable: %s)", gnutls_strerror(rc));
		return;
	}
	snprintf(buf, len, "%.*s", (int)dn.size, (const char *)dn.data);
	gnutls_free(dn.data);
}

static void
get_sans(gnutls_x509_crt_t crt, struct tk_certinfo *ci)
{
	for (unsigned i = 0;; i++) {
		char buf[1024];
		size_t sz = sizeof(buf);
		unsigned critical;
		int type = gnutls_x509_crt_get_subject_alt_name(crt, i, buf,
		    &sz, &critical);
		struct tk_san *s;

		if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) {
			break;
		}
		if (type == GNUTLS_E_SHORT_MEMORY_BUFFER) {
			ci->nsans_total++;
			continue;
		}
		if (type < 0) {
			break;
		}
		if (type != GNUTLS_SAN_DNSNAME &&
		    type != GNUTLS_SAN_IPADDRESS &&
		    type != GNUTLS_SAN_RFC822NAME && type != GNUTLS_SAN_URI) {
			continue;
		}
		ci->nsans_total++;
		if (ci->nsans == TK_SANS_MAX) {
			continue;
		}
		s = &ci->sans[ci->nsans++];
		memset(s, 0, sizeof(*s));
		if (type == GNUTLS_SAN_IPADDRESS) {
			s->type = TK_SAN_IP;
			if (sz == 4) {
				snprintf(s->value, sizeof(s->value),
				    "%u.%u.%u.%u", (unsigned char)buf[0],
				    (unsigned char)buf[1],
				    (unsigned char)buf[2],
				    (unsigned char)buf[3]);
			} else if (sz == 16) {
				inet_ntop(AF_INET6, buf, s->value,
				    sizeof(s->value));
			} else {
				snprintf(s->value, sizeof(s->value),
				    "(bad IP of %zu bytes)", sz);
			}
			s->len = strlen(s->value);
			continue;
		}
		s->type = type == GNUTLS_SAN_DNSNAME ? TK_SAN_DNS :
		    type == GNUTLS_SAN_URI ? TK_SAN_URI : TK_SAN_EMAIL;
		s->len = sz < sizeof(s->value) ? sz : sizeof(s->value) - 1;
		memcpy(s->value, buf, s->len);
		s->value[s->len] = '\0';
	}
}

static void
get_key(gnutls_x509_crt_t crt, struct tk_certinfo *ci)
{
	unsigned bits = 0;
	int algo = gnutls_x509_crt_get_pk_algorithm(crt, &bits);

	ci->key_bits = bits;
	snprintf(ci->key_type, sizeof(ci->key_type), "%s",
	    algo == GNUTLS_PK_RSA ? "RSA" : algo == GNUTLS_PK_RSA_PSS ?
	    "RSA-PSS" : algo == GNUTLS_PK_DSA ? "DSA" :
	    algo == GNUTLS_PK_ECDSA ? "ECDSA" :
	    algo == GNUTLS_PK_EDDSA_ED25519 ? "Ed25519" :
	    algo == GNUTLS_PK_EDDSA_ED448 ? "Ed448" : "unknown");
	if (algo == GNUTLS_PK_ECDSA) {
		gnutls_ecc_curve_t curve = GNUTLS_ECC_CURVE_INVALID;
		const char *cn;

		gnutls_x509_crt_get_pk_ecc_raw(crt, &curve, NULL, NULL);
		cn = gnutls_ecc_curve_get_name(curve);
		snprintf(ci->key, sizeof(ci->key), "ECDSA %s",
		    cn != NULL ? cn : "unknown curve");
	} else if (algo == GNUTLS_PK_EDDSA_ED25519 ||
	    algo == GNUTLS_PK_EDDSA_ED448) {
		snprintf(ci->key, sizeof(ci->key), "%s",
		    gnutls_pk_get_name((gnutls_pk_algorithm_t)algo));
	} else if (algo >= 0) {
		const char *n = gnutls_pk_get_name((gnutls_pk_algorithm_t)algo);

		snprintf(ci->key, sizeof(ci->key), "%s %u", n ? n : "unknown",
		    bits);
	} else {
		snprintf(ci->key, sizeof(ci->key), "unknown");
	}
}

/*
 * SHA-256 over the DER the certificate was imported from.
 * gnutls_x509_crt_get_fingerprint() DER-encodes the parsed certificate
 * again (asn1_der_coding, twice) on every call: a third of this
 * function's cost, 6 % of the instructions of a whole tls-check-cert run
 * against one server (callgrind).  gnutls_x509_crt_export2() hands back the
 * stored DER of a certificate that was imported and not modified.
 */
static int
sha256_of(gnutls_x509_crt_t crt, unsigned char out[32])
{
	gnutls_datum_t der = { NULL, 0 };
	int rc;

	if (gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der) < 0) {
		return -1;
	}
	rc = gnutls_hash_fast(GNUTLS_DIG_SHA256, der.data, der.size, out);
	gnutls_free(der.data);
	return rc < 0 ? -1 : 0;
}

int
tk_certinfo_from_crt(gnutls_x509_crt_t crt, time_t now,
    struct tk_certinfo *ci, struct tk_err *err)
{
	unsigned char buf[64];
	size_t sz;
	int sig;
	unsigned ca = 0;

	memset(ci, 0, sizeof(*ci));
	get_dn(crt, false, ci->subject, sizeof(ci->subject));
	get_dn(crt, true, ci->issuer, sizeof(ci->issuer));
	sz = sizeof(ci->cn) - 1;
	if (gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0,
	    0, ci->cn, &sz) < 0) {
		ci->cn[0] = '\0';
	}
	get_sans(crt, ci);
	ci->not_before = gnutls_x509_crt_get_activation_time(crt);
	ci->not_after = gnutls_x509_crt_get_expiration_time(crt);
	if (ci->not_after != (time_t)-1) {
		double d = difftime(ci->not_after, now) / 86400.0;

		/* floor: a certificate expiring in 10 hours has 0 days */
		ci->days_left = (long)d - (d < 0 && d != (long)d ? 1 : 0);
	}
	get_key(crt, ci);
	sig = gnutls_x509_crt_get_signature_algorithm(crt);
	snprintf(ci->signature, sizeof(ci->signature), "%s",
	    sig >= 0 && gnutls_sign_get_name((gnutls_sign_algorithm_t)sig) ?
	    gnutls_sign_get_name((gnutls_sign_algorithm_t)sig) : "unknown");
	sz = sizeof(buf);
	if (gnutls_x509_crt_get_serial(crt, buf, &sz) == 0) {
		hex_colon(buf, sz, ci->serial, sizeof(ci->serial));
	}
	if (sha256_of(crt, buf) == 0) {
		hex_colon(buf, 32, ci->sha256, sizeof(ci->sha256));
	} else {
		return tk_err_set(err, TK_INTERNAL, "certinfo",
		    "cannot compute a certificate fingerprint");
	}
	ci->is_ca = gnutls_x509_crt_get_basic_constraints(crt, NULL, &ca,
	    NULL) >= 0 && ca != 0;
	ci->self_issued = strcmp(ci->subject, ci->issuer) == 0;
	return 0;
}

int
tk_chain_from_session(gnutls_session_t s, time_t now, struct tk_chain *chain,
    struct tk_err *err)
{
	const gnutls_datum_t *raw;
	unsigned n = 0;

	memset(chain, 0, sizeof(*chain));
	raw = gnutls_certificate_get_peers(s, &n);
	if (raw == NULL || n == 0) {
		return 0;
	}
	chain->total = n;
	if (n > TK_CHAIN_MAX) {
		n = TK_CHAIN_MAX;
	}
	chain->certs = calloc(n, sizeof(*chain->certs));
	if (chain->certs == NULL) {
		return tk_err_set(err, TK_INTERNAL, "certinfo",
		    "out of memory");
	}
	for (unsigned i = 0; i < n; i++) {
		gnutls_x509_crt_t crt;
		int rc;

		if (gnutls_x509_crt_init(&crt) < 0) {
			return tk_err_set(err, TK_INTERNAL, "certinfo",
			    "out of memory");
		}
		rc = gnutls_x509_crt_import(crt, &raw[i], GNUTLS_X509_FMT_DER);
		if (rc < 0) {
			gnutls_x509_crt_deinit(crt);
			snprintf(chain->certs[i].subject,
			    sizeof(chain->certs[i].subject),
			    "(unparsable certificate: %s)",
			    gnutls_strerror(rc));
			chain->n = i + 1;
			continue;
		}
		rc = tk_certinfo_from_crt(crt, now, &chain->certs[i], err);
		gnutls_x509_crt_deinit(crt);
		if (rc < 0) {
			return -1;
		}
		chain->n = i + 1;
	}
	return 0;
}

void
tk_chain_clear(struct tk_chain *chain)
{
	free(chain->certs);
	memset(chain, 0, sizeof(*chain));
}
