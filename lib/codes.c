#include "codes.h"

#include <string.h>

#include "banned.h"

#define RFC TK_SCOPE_RFC
#define BR TK_SCOPE_BR
#define OWN TK_SCOPE_TLSKIT
#define FAIL TK_SEV_FAIL
#define WARN TK_SEV_WARN
#define INFO TK_SEV_INFO

/*
 * Path validation codes first, in the order chainval reports them (most
 * important first), then the rest by group.  The man pages list them in
 * this order; a docs test keeps the pages in step.
 */
const struct tk_code tk_codes[] = {
	/* ---- path validation ---- */
	{"unknown-issuer", TK_GROUP_PATH, FAIL, RFC,
	    "no path reaches a trust anchor: the issuer of the last "
	    "certificate is neither sent nor trusted (the message names an "
	    "untrusted root the peer sent)"},
	{"self-signed", TK_GROUP_PATH, FAIL, RFC,
	    "the leaf is self-signed and not a trust anchor"},
	{"path-limit", TK_GROUP_PATH, FAIL, RFC,
	    "path building stopped at its bounds (12 certificates deep, or "
	    "its work budget) before reaching a trust anchor"},
	{"expired", TK_GROUP_PATH, FAIL, RFC,
	    "a certificate on the path is past its notAfter (RFC 5280 "
	    "4.1.2.5)"},
	{"not-yet-valid", TK_GROUP_PATH, FAIL, RFC,
	    "a certificate on the path is before its notBefore"},
	{"name-mismatch", TK_GROUP_PATH, FAIL, RFC,
	    "no subjectAltName of the leaf matches the name (RFC 6125; the "
	    "CN only for a leaf without any subjectAltName under the "
	    "rfc5280 profile)"},
	{"bad-wildcard", TK_GROUP_PATH, FAIL, RFC,
	    "a wildcard that would cover the name is not honoured: '*' not "
	    "the whole left-most label, a lone '*', or a public suffix (Public "
	    "Suffix List) after it (RFC 6125 6.4.3, 7.2)"},
	{"name-from-cn", TK_GROUP_PATH, INFO, RFC,
	    "the leaf has no subjectAltName, so its CN was matched (RFC 6125 "
	    "6.4.4; rfc5280 profile only)"},
	{"name-not-checked", TK_GROUP_PATH, INFO, OWN,
	    "no name to check: --file without --hostname, so the leaf was "
	    "not matched against any host name (the verdict says nothing "
	    "about names)"},
	{"no-san", TK_GROUP_PATH, FAIL, BR,
	    "the leaf has no subjectAltName (BR 7.1.2.7.12)"},
	{"bad-san", TK_GROUP_PATH, FAIL, RFC,
	    "a SAN of the leaf is malformed: a dNSName not in preferred name "
	    "syntax, an IP address in a dNSName, an iPAddress of the wrong "
	    "length (RFC 5280 4.2.1.6)"},
	{"bad-cn", TK_GROUP_PATH, FAIL, BR,
	    "the leaf's CN spells a SAN differently or is not ASCII (BR "
	    "7.1.4.3)"},
	{"bad-signature", TK_GROUP_PATH, FAIL, RFC,
	    "a signature on the path does not verify, or the issuer's key "
	    "cannot check it"},
	{"insecure-algorithm", TK_GROUP_PATH, FAIL, OWN,
	    "a certificate is signed with MD5, SHA-1 or another algorithm "
	    "unfit for certificates"},
	{"signature-algorithm-mismatch", TK_GROUP_PATH, FAIL, RFC,
	    "signatureAlgorithm differs from tbsCertificate.signature (RFC "
	    "5280 4.1.1.2)"},
	{"issuer-not-ca", TK_GROUP_PATH, FAIL, RFC,
	    "an issuer has no basicConstraints or cA FALSE (RFC 5280 "
	    "4.2.1.9)"},
	{"basic-constraints-not-critical", TK_GROUP_PATH, FAIL, RFC,
	    "a CA's basicConstraints is not critical (RFC 5280 4.2.1.9)"},
	{"ca-as-leaf", TK_GROUP_PATH, FAIL, BR,
	    "the leaf has basicConstraints cA TRUE (BR 7.1.2.7.8)"},
	{"path-length", TK_GROUP_PATH, FAIL, RFC,
	    "a CA's pathLenConstraint is exceeded (RFC 5280 4.2.1.9)"},
	{"name-constraints", TK_GROUP_PATH, FAIL, RFC,
	    "a name on the path is outside a CA's permitted subtrees or "
	    "inside its excluded ones; names compare as RFC 5280 7.1 says "
	    "(RFC 5280 4.2.1.10)"},
	{"bad-name-constraints", TK_GROUP_PATH, FAIL, RFC,
	    "name constraints that are malformed, in a leaf, or too large to "
	    "check within the work budget"},
	{"policy", TK_GROUP_PATH, FAIL, RFC,
	    "certificate policy processing fails: an explicit policy is "
	    "required and none is valid, a mapping to or from anyPolicy, an "
	    "unknown critical policy qualifier, or a malformed policy "
	    "extension (RFC 5280 6.1, RFC 9618)"},
	{"eku-missing", TK_GROUP_PATH, FAIL, BR,
	    "the leaf has no extKeyUsage (BR 7.1.2.7.10)"},
	{"any-eku", TK_GROUP_PATH, FAIL, BR,
	    "the leaf's extKeyUsage includes anyExtendedKeyUsage (BR "
	    "7.1.2.7.10)"},
	{"purpose-mismatch", TK_GROUP_PATH, FAIL, RFC,
	    "the extKeyUsage of the leaf or of a CA does not allow the purpose "
	    "(TLS server, or TLS client for client certificates; RFC 5280 "
	    "4.2.1.12)"},
	{"root-has-eku", TK_GROUP_PATH, FAIL, BR,
	    "a root carries extKeyUsage (BR 7.1.2.1.2)"},
	{"bad-key-usage", TK_GROUP_PATH, FAIL, RFC,
	    "keyUsage contradicts the role: a CA without keyCertSign, a leaf "
	    "with it, or a leaf whose keyUsage does not allow TLS "
	    "(digitalSignature; keyEncipherment for RSA key transport; RFC "
	    "5280 4.2.1.3, RFC 8446 4.4.2.2)"},
	{"unknown-critical-extension", TK_GROUP_PATH, FAIL, RFC,
	    "a critical extension that tlskit does not process (RFC 5280 "
	    "4.2)"},
	{"weak-key", TK_GROUP_PATH, FAIL, OWN,
	    "an RSA or DSA key under --min-key-bits (2048), an EC key under "
	    "256 bits"},
	{"bad-key", TK_GROUP_PATH, FAIL, BR,
	    "a key the BR forbid: DSA, an RSA modulus not a multiple of 8 "
	    "bits, a curve other than P-256, P-384, P-521 (BR 6.1.5, "
	    "7.1.3.1)"},
	{"unusable-key", TK_GROUP_PATH, FAIL, RFC,
	    "a public key that cannot be read, or an EC key without a named "
	    "curve (RFC 5480 2.1.1)"},
	{"duplicate-extension", TK_GROUP_PATH, FAIL, RFC,
	    "an extension appears twice (RFC 5280 4.2)"},
	{"malformed-extension", TK_GROUP_PATH, FAIL, RFC,
	    "an extension that does not decode, or that is empty where it "
	    "must not be"},
	{"bad-criticality", TK_GROUP_PATH, FAIL, RFC,
	    "an extension marked critical or not against RFC 5280 (AKI, SKI, "
	    "AIA, SIA, subjectDirectoryAttributes, freshestCRL must not be "
	    "critical; policyConstraints, inhibitAnyPolicy must be; "
	    "subjectAltName with an empty subject must be)"},
	{"br-criticality", TK_GROUP_PATH, FAIL, BR,
	    "the leaf marks extKeyUsage critical, or subjectAltName critical "
	    "with a subject (BR 7.1.2.7)"},
	{"missing-aki", TK_GROUP_PATH, FAIL, RFC,
	    "no authorityKeyIdentifier keyIdentifier in a certificate below "
	    "the anchor that is not self-issued (RFC 5280 4.2.1.1)"},
	{"bad-aki", TK_GROUP_PATH, FAIL, BR,
	    "a root's authorityKeyIdentifier lacks the keyIdentifier or "
	    "differs from its SKI (BR 7.1.2.1.3)"},
	{"missing-ski", TK_GROUP_PATH, FAIL, RFC,
	    "an intermediate CA without subjectKeyIdentifier (RFC 5280 "
	    "4.2.1.2)"},
	{"bad-serial", TK_GROUP_PATH, FAIL, RFC,
	    "a serial number below the anchor that is zero, negative or "
	    "longer than 20 octets (RFC 5280 4.1.2.2)"},
	{"bad-version", TK_GROUP_PATH, FAIL, BR,
	    "not an X.509 v3 certificate (BR 7.1.1)"},
	{"empty-name", TK_GROUP_PATH, FAIL, RFC,
	    "an empty issuer, or a CA with an empty subject (RFC 5280 4.1.2.4, "
	    "4.1.2.6)"},
	{"malformed-certificate", TK_GROUP_PATH, FAIL, RFC,
	    "a certificate whose DER structure is not a certificate"},
	{"engine-disagreement", TK_GROUP_PATH, FAIL, OWN,
	    "tlskit accepted the path but GnuTLS, asked to verify exactly that "
	    "path, refused it (defence in depth; see docs/verification.md)"},
	{"gnutls-differs", TK_GROUP_PATH, INFO, OWN,
	    "GnuTLS refuses the accepted path for a reason it is known to get "
	    "wrong (the message names it; docs/verification.md)"},
	{"pinned-leaf", TK_GROUP_PATH, INFO, RFC,
	    "the leaf is itself a trust anchor (pinned): trusted as given"},
	/* ---- the chain as served ---- */
	{"chain-reversed", TK_GROUP_CHAIN, FAIL, RFC,
	    "the chain starts with an issuer of the leaf instead of the leaf "
	    "(reverse order; RFC 8446 4.4.2 wants the leaf first)"},
	{"missing-intermediate", TK_GROUP_CHAIN, FAIL, RFC,
	    "the issuer of the last certificate sent was not sent and is not "
	    "a trust anchor"},
	{"chain-order", TK_GROUP_CHAIN, WARN, RFC,
	    "the certificates are not sent in issuing order (RFC 8446 4.4.2)"},
	{"incomplete-chain", TK_GROUP_CHAIN, WARN, OWN,
	    "the path was completed from the local trust store only; other "
	    "clients may lack the intermediate"},
	{"root-sent", TK_GROUP_CHAIN, INFO, OWN,
	    "a self-signed root was sent needlessly"},
	{"unused-certificate", TK_GROUP_CHAIN, WARN, OWN,
	    "a certificate not on the path was sent"},
	{"leaf-is-ca", TK_GROUP_CHAIN, FAIL, BR,
	    "the leaf has basicConstraints cA TRUE (BR 7.1.2.7.8)"},
	/* ---- expiry ---- */
	{"expires-soon", TK_GROUP_TIME, WARN, OWN,
	    "a certificate expires within --warn-days (warning) or "
	    "--crit-days (fail)"},
	/* ---- strength ---- */
	{"weak-signature", TK_GROUP_STRENGTH, FAIL, OWN,
	    "a certificate below the anchor is signed with SHA-1 or MD5"},
	/* ---- OCSP ---- */
	{"ocsp-good", TK_GROUP_OCSP, INFO, OWN,
	    "the stapled OCSP response says good"},
	{"ocsp-revoked", TK_GROUP_OCSP, FAIL, RFC,
	    "the stapled OCSP response says revoked"},
	{"ocsp-unknown", TK_GROUP_OCSP, WARN, OWN,
	    "the stapled OCSP response says unknown"},
	{"ocsp-stale", TK_GROUP_OCSP, FAIL, RFC,
	    "the stapled OCSP response is past its nextUpdate"},
	{"ocsp-bad-signature", TK_GROUP_OCSP, FAIL, RFC,
	    "the stapled OCSP response is not signed by the issuer or its "
	    "responder"},
	{"ocsp-other-cert", TK_GROUP_OCSP, FAIL, RFC,
	    "the stapled OCSP response is for another certificate"},
	{"ocsp-unparsable", TK_GROUP_OCSP, FAIL, RFC,
	    "the stapled OCSP response cannot be parsed"},
	{"no-staple", TK_GROUP_OCSP, INFO, OWN,
	    "no stapled OCSP response"},
	{"staple-missing", TK_GROUP_OCSP, FAIL, OWN,
	    "--require-staple and no stapled response"},
	{"must-staple-missing", TK_GROUP_OCSP, FAIL, RFC,
	    "the leaf demands a stapled response (TLS feature, RFC 7633) and "
	    "none was sent"},
	/* ---- STARTTLS ---- */
	{"starttls-plaintext-injected", TK_GROUP_STARTTLS, FAIL, RFC,
	    "the server sent plaintext after its STARTTLS go-ahead, before "
	    "TLS (discarded)"},
	{"starttls-command-injection", TK_GROUP_STARTTLS, FAIL, RFC,
	    "the server answered, inside TLS, a command pipelined with "
	    "STARTTLS in plaintext (CVE-2011-0411)"},
	/* ---- several addresses ---- */
	{"address-mismatch", TK_GROUP_TARGET, FAIL, OWN,
	    "--all-addresses: the addresses of the name serve different "
	    "leaves, or some serve none"},
	/* ---- the server's configuration (tls-scan) ---- */
	{"ssl2-enabled", TK_GROUP_CONFIG, FAIL, RFC,
	    "the server accepts SSL 2.0 (prohibited by RFC 6176)"},
	{"ssl3-enabled", TK_GROUP_CONFIG, FAIL, RFC,
	    "the server accepts SSL 3.0 (prohibited by RFC 7568)"},
	{"tls10-enabled", TK_GROUP_CONFIG, WARN, RFC,
	    "the server accepts TLS 1.0 (deprecated by RFC 8996)"},
	{"tls11-enabled", TK_GROUP_CONFIG, WARN, RFC,
	    "the server accepts TLS 1.1 (deprecated by RFC 8996)"},
	{"no-modern-version", TK_GROUP_CONFIG, FAIL, RFC,
	    "the server accepts neither TLS 1.2 nor TLS 1.3 (RFC 9325 3.1)"},
	{"no-tls13", TK_GROUP_CONFIG, INFO, OWN,
	    "the server does not accept TLS 1.3"},
	{"null-suite", TK_GROUP_CONFIG, FAIL, RFC,
	    "a suite without encryption (NULL) is accepted"},
	{"anon-suite", TK_GROUP_CONFIG, FAIL, RFC,
	    "an anonymous suite (no server authentication) is accepted"},
	{"export-suite", TK_GROUP_CONFIG, FAIL, RFC,
	    "an export suite (40 or 56-bit keys, FREAK, Logjam) is accepted"},
	{"rc4-suite", TK_GROUP_CONFIG, FAIL, RFC,
	    "an RC4 suite is accepted (prohibited by RFC 7465)"},
	{"des-suite", TK_GROUP_CONFIG, FAIL, OWN,
	    "a single-DES, RC2 or IDEA suite is accepted (56-bit or "
	    "64-bit-block ciphers RFC 5469 withdrew)"},
	{"3des-suite", TK_GROUP_CONFIG, WARN, OWN,
	    "a 3DES suite is accepted (64-bit blocks: SWEET32)"},
	{"static-kx", TK_GROUP_CONFIG, WARN, RFC,
	    "a suite without forward secrecy (static RSA or DH key exchange) "
	    "is accepted (RFC 9325 4.1)"},
	{"cbc-suite", TK_GROUP_CONFIG, INFO, RFC,
	    "a suite that is not AEAD (CBC with HMAC) is accepted (RFC 9325 "
	    "4.2 recommends AEAD only)"},
	{"dh-under-1024", TK_GROUP_CONFIG, FAIL, RFC,
	    "the DHE group is smaller than 1024 bits (Logjam)"},
	{"dh-under-2048", TK_GROUP_CONFIG, WARN, RFC,
	    "the DHE group is smaller than 2048 bits (RFC 9325 4.1)"},
	{"weak-group", TK_GROUP_CONFIG, WARN, OWN,
	    "an elliptic curve of fewer than 224 bits is accepted"},
	{"no-server-order", TK_GROUP_CONFIG, WARN, OWN,
	    "the server takes the client's suite order while it accepts "
	    "weaker suites (info when every suite is AEAD with forward "
	    "secrecy)"},
	{"insecure-renegotiation", TK_GROUP_CONFIG, FAIL, RFC,
	    "the server does not support secure renegotiation (RFC 5746)"},
	{"client-renegotiation", TK_GROUP_CONFIG, WARN, OWN,
	    "the server renegotiates when the client asks (a cheap way to "
	    "make it work)"},
	{"no-fallback-scsv", TK_GROUP_CONFIG, WARN, RFC,
	    "the server ignores TLS_FALLBACK_SCSV (RFC 7507) while it accepts "
	    "more than one version"},
	{"compression", TK_GROUP_CONFIG, FAIL, RFC,
	    "the server accepts TLS compression (CRIME; RFC 9325 3.3)"},
	{"no-ems", TK_GROUP_CONFIG, INFO, RFC,
	    "TLS 1.2 without the extended master secret (RFC 7627)"},
	{"early-data", TK_GROUP_CONFIG, INFO, RFC,
	    "the server accepts TLS 1.3 early data (0-RTT), which an attacker "
	    "can replay (RFC 8446 8)"},
	{"protocol-violation", TK_GROUP_CONFIG, FAIL, RFC,
	    "the server chose a version, suite or group the client did not "
	    "offer"},
	{"accepts-everything", TK_GROUP_CONFIG, FAIL, OWN,
	    "the server accepts nearly every suite offered, no real "
	    "implementation has them all: its answers cannot be trusted"},
	{"handshake-failed", TK_GROUP_CONFIG, FAIL, OWN,
	    "no handshake with a modern client (GnuTLS) completed: the "
	    "certificate was not checked"},
};

const size_t tk_codes_count = sizeof(tk_codes) / sizeof(tk_codes[0]);

_Static_assert(sizeof(tk_codes) / sizeof(tk_codes[0]) <= TK_CODES_MAX,
    "TK_CODES_MAX is too small for tk_codes[]");

int
tk_code_index(const char *code)
{
	for (size_t i = 0; i < tk_codes_count; i++) {
		if (strcmp(tk_codes[i].code, code) == 0) {
			return (int)i;
		}
	}
	return -1;
}

const struct tk_code *
tk_code_find(const char *code)
{
	int i = tk_code_index(code);

	return i < 0 ? NULL : &tk_codes[i];
}

const char *
tk_profile_name(enum tk_profile p)
{
	switch (p) {
	case TK_PROFILE_WEB:
		return "web";
	case TK_PROFILE_RFC5280:
		return "rfc5280";
	case TK_PROFILE_AUTO:
		break;
	}
	return "auto";
}

const char *
tk_severity_name(enum tk_severity s)
{
	switch (s) {
	case TK_SEV_INFO:
		return "info";
	case TK_SEV_WARN:
		return "warning";
	case TK_SEV_FAIL:
		return "fail";
	}
	return "info";
}

const char *
tk_code_group_name(enum tk_code_group g)
{
	switch (g) {
	case TK_GROUP_PATH:
		return "Path validation";
	case TK_GROUP_CHAIN:
		return "The chain as served";
	case TK_GROUP_TIME:
		return "Expiry";
	case TK_GROUP_STRENGTH:
		return "Strength";
	case TK_GROUP_OCSP:
		return "OCSP stapling";
	case TK_GROUP_STARTTLS:
		return "STARTTLS";
	case TK_GROUP_TARGET:
		return "Several addresses";
	case TK_GROUP_CONFIG:
		return "Server configuration";
	}
	return "Other";
}

const char *
tk_demotion_name(enum tk_demotion d)
{
	switch (d) {
	case TK_DEMOTED_PROFILE:
		return "profile";
	case TK_DEMOTED_IGNORE:
		return "ignore";
	case TK_DEMOTED_NONE:
		break;
	}
	return "";
}

enum tk_severity
tk_judging_severity(const struct tk_judging *j, enum tk_profile profile,
    const char *code, enum tk_severity sev, enum tk_demotion *why)
{
	int i = tk_code_index(code);

	if (why != NULL) {
		*why = TK_DEMOTED_NONE;
	}
	if (i < 0 || sev == TK_SEV_INFO) {
		return sev;
	}
	if (j != NULL && j->ignore[i]) {
		if (why != NULL) {
			*why = TK_DEMOTED_IGNORE;
		}
		return TK_SEV_INFO;
	}
	if (tk_codes[i].scope == TK_SCOPE_BR &&
	    profile == TK_PROFILE_RFC5280) {
		if (why != NULL) {
			*why = TK_DEMOTED_PROFILE;
		}
		return TK_SEV_INFO;
	}
	return sev;
}

int
tk_judging_ignore(struct tk_judging *j, const char *list,
    struct tk_err *err)
{
	const char *p = list;

	if (list == NULL || *list == '\0') {
		return tk_err_set(err, TK_USAGE, "options",
		    "--ignore needs a finding code (see FINDINGS in the man "
		    "page)");
	}
	while (*p != '\0') {
		size_t n = strcspn(p, ",");
		char code[64];
		int i;

		if (n == 0 || n >= sizeof(code)) {
			return tk_err_set(err, TK_USAGE, "options",
			    "bad --ignore '%s': a comma-separated list of "
			    "finding codes", list);
		}
		memcpy(code, p, n);
		code[n] = '\0';
		i = tk_code_index(code);
		if (i < 0) {
			return tk_err_set(err, TK_USAGE, "options",
			    "--ignore: unknown finding code '%s' (see "
			    "FINDINGS in the man page)", code);
		}
		j->ignore[i] = true;
		p += n;
		if (*p == ',') {
			p++;
			if (*p == '\0') {
				return tk_err_set(err, TK_USAGE, "options",
				    "bad --ignore '%s': a trailing comma",
				    list);
			}
		}
	}
	return 0;
}
