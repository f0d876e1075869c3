/*
 * Fuzzes RFC 5280 6.1 policy processing (lib/policy.c) with hostile
 * extensions.  Input: one options byte, then certificates, each a header
 * byte and the extensions it says are present:
 *
 *   options  bit 0 require_explicit, 1 inhibit_mapping, 2 inhibit_any,
 *            3 number_from_leaf, 4 an initial policy set, 5 anyPolicy in
 *            it, bits 6-7 the work bound (default, 64, 2000, 50000)
 *   header   bit 0 certificatePolicies critical, 1 self-issued, 2-5
 *            certificatePolicies, policyMappings, policyConstraints,
 *            inhibitAnyPolicy present
 *   each     2-byte big-endian length, then that many bytes (cut short
 *            at the end of the input)
 *
 * Each extension is copied to a buffer of its own size, so AddressSanitizer
 * sees any read past it.  The result's invariants are checked.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

#define CERTS_MAX 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A copy of the next extension, or NULL/0 when it is absent. */
static const unsigned char *
take(const uint8_t **p, size_t *left, bool present, size_t *len)
{
	unsigned char *b;
	size_t n;

	*len = 0;
	if (!present) {
		return NULL;
	}
	n = *left >= 2 ? (size_t)((*p)[0] << 8 | (*p)[1]) : 0;
	*p += *left >= 2 ? 2 : *left;
	*left -= *left >= 2 ? 2 : *left;
	if (n > *left) {
		n = *left;
	}
	b = malloc(n > 0 ? n : 1);
	if (b == NULL) {
		abort();
	}
	if (n > 0) {
		memcpy(b, *p, n);
	}
	*p += n;
	*left -= n;
	*len = n;
	return b;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t work[4] = {0, 64, 2000, 50000};
	static const char *const initial[] = {"2.16.840.1.101.3.2.1.48.1",
	    "2.16.840.1.101.3.2.1.48.2", TK_POLICY_ANY};
	struct tk_policy_cert certs[CERTS_MAX];
	struct tk_policy_opts o = {0};
	struct tk_policy_result r;
	const uint8_t *p = data;
	size_t left = size, n = 0;
	uint8_t opt;
	int rc;

	if (size < 1) {
		return 0;
	}
	opt = p[0];
	p++;
	left--;
	o.require_explicit = opt & 1;
	o.inhibit_mapping = opt & 2;
	o.inhibit_any = opt & 4;
	o.number_from_leaf = opt & 8;
	if (opt & 16) {
		o.initial = initial;
		o.n_initial = opt & 32 ? 3 : 2;
	}
	o.work_max = work[opt >> 6];
	memset(certs, 0, sizeof(certs));
	while (left > 0 && n < CERTS_MAX) {
		struct tk_policy_cert *c = &certs[n++];
		uint8_t h = p[0];

		p++;
		left--;
		c->cp_critical = h & 1;
		c->self_issued = h & 2;
		c->name = n % 2 ? "ca" : NULL;
		c->cp = take(&p, &left, h & 4, &c->cp_len);
		c->pm = take(&p, &left, h & 8, &c->pm_len);
		c->pc = take(&p, &left, h & 16, &c->pc_len);
		c->iap = take(&p, &left, h & 32, &c->iap_len);
	}
	rc = tk_policy_check(certs, n, &o, &r);
	if (rc != 0 && rc != -1) {
		abort();
	}
	/* the result is always a consistent, terminated value */
	if (memchr(r.message, '\0', sizeof(r.message)) == NULL) {
		abort();
	}
	for (size_t k = 0; k < 4; k++) {
		if (memchr(r.valid[k], '\0', sizeof(r.valid[k])) == NULL) {
			abort();
		}
	}
	if (r.ok ? r.cert != TK_POLICY_NO_CERT || r.message[0] != '\0' :
	    r.message[0] == '\0' || r.n_valid != 0 ||
	    (r.cert != TK_POLICY_NO_CERT && r.cert >= n)) {
		abort();
	}
	if (r.any_policy && strcmp(r.valid[0], TK_POLICY_ANY) != 0) {
		abort();
	}
	for (size_t k = 0; k < n; k++) {
		free((void *)(uintptr_t)certs[k].cp);
		free((void *)(uintptr_t)certs[k].pm);
		free((void *)(uintptr_t)certs[k].pc);
		free((void *)(uintptr_t)certs[k].iap);
	}
	return 0;
}
