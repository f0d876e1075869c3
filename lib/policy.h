/*
 * Certificate policy processing for one certification path: RFC 5280
 * section 6.1, steps 6.1.2 (a), (d)-(f), 6.1.3 (d)-(f), 6.1.4 (a)-(b),
 * (h)-(j) and 6.1.5 (a)-(b), (g), with the valid_policy_graph of RFC 9618
 * in place of RFC 5280's valid_policy_tree, so that the work grows
 * linearly with the policies and mappings of the path, never
 * exponentially, and is bounded on top of that.
 *
 * The module reads the four policy extensions itself from their DER; it
 * checks nothing else of the path (signatures, names, validity).  Policy
 * qualifiers are checked but not returned (RFC 9618 section 3.3).
 */
#ifndef TK_POLICY_H
#define TK_POLICY_H

#include <stdbool.h>
#include <stddef.h>

/* The anyPolicy OID (RFC 5280 4.2.1.4), as it appears in valid[]. */
#define TK_POLICY_ANY "2.5.29.32.0"

/* res->cert when the result names no certificate. */
#define TK_POLICY_NO_CERT ((size_t)-1)

/* The work bound used when tk_policy_opts.work_max is 0. */
#define TK_POLICY_WORK_DEFAULT ((size_t)1 << 18)

/*
 * One certificate of the path, as raw DER extension values (the contents
 * of the extnValue OCTET STRING), NULL/0 when the extension is absent.  An
 * extension is present when its pointer is not NULL, even with length 0
 * (then it is malformed).  The bytes are only read, during the call.
 */
struct tk_policy_cert {
	/* certificatePolicies 2.5.29.32 */
	const unsigned char *cp; size_t cp_len;
	bool cp_critical;
	/* policyMappings 2.5.29.33 */
	const unsigned char *pm; size_t pm_len;
	/* policyConstraints 2.5.29.36 */
	const unsigned char *pc; size_t pc_len;
	/* inhibitAnyPolicy 2.5.29.54 */
	const unsigned char *iap; size_t iap_len;
	bool self_issued;         /* issuer DN == subject DN */
	/*
	 * Added: a label for messages, such as the subject CN; NULL or ""
	 * for none.  At most 32 bytes are shown, any byte outside printable
	 * ASCII as '?'.
	 */
	const char *name;
};

/* RFC 5280 6.1.1 inputs (c), (e)-(g). */
struct tk_policy_opts {
	/* dotted OIDs; NULL or n_initial 0: {anyPolicy} */
	const char *const *initial;
	size_t n_initial;
	bool require_explicit, inhibit_mapping, inhibit_any;
	/*
	 * A bound on the work: one unit per graph node, edge,
	 * expected-policy entry or index entry made or visited, and per
	 * policy, qualifier or mapping read.  Memory grows with it too.
	 * Reaching it fails the path ("too large to process").  0:
	 * TK_POLICY_WORK_DEFAULT, far above any real path (the RFC 9618
	 * example of 10 CAs x 5 policies x 25 mappings takes 1 694, a
	 * typical web path under 50).
	 */
	size_t work_max;
	/*
	 * Added: how messages number certificates.  false: "#k" is the
	 * index into certs[] (0 = issued by the anchor).  true: the leaf is
	 * #0 and certs[0] is #n-1, as lib/chainval.c numbers a path.
	 * res->cert is an index into certs[] either way.
	 */
	bool number_from_leaf;
};

struct tk_policy_result {
	bool ok;
	/*
	 * The index into certs[] of the certificate at which processing
	 * failed: the one with the malformed extension, the unknown critical
	 * qualifier, the mapping of anyPolicy, or the policies that took the
	 * graph past the work bound; for "explicit policy required", the
	 * certificate at which no valid policy was left while
	 * explicit_policy was 0 (6.1.3 (f)), or the leaf for the final check
	 * (6.1.5 (g)); the message also names the certificate whose
	 * requireExplicitPolicy imposed it.  TK_POLICY_NO_CERT when ok, and
	 * when opts->initial holds something that is not an OID.
	 */
	size_t cert;
	/*
	 * Plain words naming the certificate and the constraint that failed,
	 * e.g. "certificate #2 'x' requires an explicit policy
	 * (requireExplicitPolicy 0) and no policy is valid for the path:
	 * certificate #3 'y' has no certificatePolicies extension"; "" when
	 * ok.
	 */
	char message[256];
	/*
	 * The user_constrained_policy_set (RFC 9618 section 5.5, replacing
	 * RFC 5280 6.1.5 (g) and 6.1.6) when ok, in the anchor's policy
	 * domain (before mappings): its size, the first four members in
	 * dotted form ("2.5.29.32.0" for anyPolicy, first when present; the
	 * rest in DER order), and whether anyPolicy is a member, which
	 * happens only when the initial set is {anyPolicy} and means every
	 * policy is acceptable.  Empty, with ok true, when no certificate
	 * policy is valid but none was required; always empty when !ok.
	 */
	size_t n_valid;
	char valid[4][64];
	bool any_policy;
};

/*
 * certs[0] is the certificate issued by the trust anchor, certs[n-1] the
 * target (leaf); the anchor itself is not passed (RFC 5280 6.1: it is
 * input).  Returns 0 with res filled (res->ok false = the path fails
 * policy processing), or -1 only for out-of-memory (errno ENOMEM; res
 * then says so, with ok false and cert TK_POLICY_NO_CERT).
 *
 * certs and o are only read (o may be NULL: all defaults), nothing is kept
 * after the call and there is no global state.  n may be 0 (the anchor
 * alone: the valid set is the initial set).  Every extension is parsed as
 * strict DER and a malformed one fails the path, the leaf's policyMappings
 * and inhibitAnyPolicy included although 6.1.5 does not use them.  The
 * path fails, with the first failure reported, when:
 *   - an extension is malformed: bad or non-minimal DER, trailing bytes, an
 *     empty SEQUENCE, a negative or non-minimal INTEGER, a policy listed
 *     twice in certificatePolicies, an empty policyConstraints (RFC 5280
 *     4.2.1.4, 4.2.1.5, 4.2.1.11, 4.2.1.14);
 *   - a critical certificatePolicies has a qualifier other than id-qt-cps
 *     and id-qt-unotice (RFC 5280 4.2.1.4);
 *   - a CA's policyMappings maps anyPolicy or to it (6.1.4 (a));
 *   - no policy is valid while explicit_policy is 0 (6.1.3 (f), and RFC
 *     9618's final check replacing 6.1.5 (g));
 *   - the work bound is reached (RFC 9618 section 4.2).
 * SkipCerts values too large to matter are clamped, not rejected.
 */
int tk_policy_check(const struct tk_policy_cert *certs, size_t n,
    const struct tk_policy_opts *o, struct tk_policy_result *res);

#endif
