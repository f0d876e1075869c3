/*
 * Fuzzes lib/dn.h, the RFC 5280 7.1 comparison of distinguished names.
 * The input is split at a point taken from its last byte into two
 * candidate Names a and b, and the whole input is tried as a third.
 * Beyond not crashing, what must hold (abort() otherwise):
 *   - tk_dn_count_rdns() and tk_dn_canon() agree on what is well-formed;
 *   - a canonical form is at most 2 * n and TK_DN_CANON_MAX bytes, is
 *     well-formed with the same RDN count, and is its own canonical form;
 *   - equality is reflexive and symmetric, and agrees with the canonical
 *     forms; equal names are within each other; within means at least as
 *     many RDNs; the empty Name covers every well-formed name; the
 *     subtree check on canonical forms agrees with the one on DER.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const unsigned char empty[] = {0x30, 0x00};

/* Checks one name alone; returns its canonical length or -1. */
static ssize_t
one(const unsigned char *p, size_t n, unsigned char *canon)
{
	ssize_t len = tk_dn_canon(p, n, canon, TK_DN_CANON_MAX);
	int rdns = tk_dn_count_rdns(p, n);
	unsigned char again[TK_DN_CANON_MAX];
	ssize_t len2;

	if ((len < 0) != (rdns < 0)) {
		abort();
	}
	if (len < 0) {
		if (tk_dn_equal(p, n, p, n) ||
		    tk_dn_subtree(p, n, p, n) != -1 ||
		    tk_dn_subtree(p, n, empty, sizeof(empty)) != -1) {
			abort();
		}
		return -1;
	}
	if ((size_t)len > 2 * n || (size_t)len > TK_DN_CANON_MAX ||
	    tk_dn_count_rdns(canon, (size_t)len) != rdns) {
		abort();
	}
	len2 = tk_dn_canon(canon, (size_t)len, again, sizeof(again));
	if (len2 != len || memcmp(again, canon, (size_t)len) != 0) {
		abort();
	}
	if (!tk_dn_equal(p, n, p, n) || !tk_dn_equal(p, n, canon,
	    (size_t)len) || tk_dn_subtree(p, n, p, n) != 1 ||
	    tk_dn_subtree(p, n, empty, sizeof(empty)) != 1 ||
	    tk_dn_subtree(empty, sizeof(empty), p, n) != (rdns == 0)) {
		abort();
	}
	return len;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char canon_a[TK_DN_CANON_MAX], canon_b[TK_DN_CANON_MAX];
	size_t cut;
	ssize_t la, lb;
	bool eq;
	int in_ab, in_ba;
	const unsigned char *a = data, *b;
	size_t an, bn;

	(void)one(data, size, canon_a);
	if (size < 1) {
		return 0;
	}
	cut = data[size - 1] % size;
	an = cut;
	b = data + cut;
	bn = size - 1 - cut;
	la = one(a, an, canon_a);
	lb = one(b, bn, canon_b);
	eq = tk_dn_equal(a, an, b, bn);
	if (eq != tk_dn_equal(b, bn, a, an)) {
		abort();
	}
	if (eq != (la >= 0 && lb >= 0 && la == lb &&
	    memcmp(canon_a, canon_b, (size_t)la) == 0)) {
		abort();
	}
	in_ab = tk_dn_subtree(a, an, b, bn);
	in_ba = tk_dn_subtree(b, bn, a, an);
	if ((in_ab == -1) != (la < 0 || lb < 0) ||
	    (in_ba == -1) != (la < 0 || lb < 0)) {
		abort();
	}
	if (eq && (in_ab != 1 || in_ba != 1)) {
		abort();
	}
	if (in_ab == 1 && tk_dn_count_rdns(a, an) < tk_dn_count_rdns(b, bn)) {
		abort();
	}
	if (in_ab == 1 && in_ba == 1 && !eq) {
		abort();
	}
	if (tk_dn_within(a, an, b, bn) != (in_ab == 1)) {
		abort();
	}
	if (in_ab != -1 && tk_dn_canon_subtree(canon_a, (size_t)la,
	    canon_b, (size_t)lb) != in_ab) {
		abort();
	}
	return 0;
}
