#include "der.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "banned.h"

/*
 * One TLV: at most maxk length octets; minimal refuses lengths that are
 * not in the shortest form (X.690 10.1).
 */
static bool
get(struct tk_der *in, size_t maxk, bool minimal, unsigned char *tag,
    struct tk_der *val, struct tk_der *all)
{
	size_t len, hl = 2;

	if (in->n < 2 || (in->p[0] & 0x1f) == 0x1f) {
		return false;
	}
	*tag = in->p[0];
	len = in->p[1];
	if (len & 0x80) {
		size_t k = len & 0x7f;

		/* k == 0 is the indefinite form (X.690 8.1.3.6) */
		if (k == 0 || k > maxk || in->n - 2 < k) {
			return false;
		}
		len = 0;
		for (size_t i = 0; i < k; i++) {
			len = len << 8 | in->p[2 + i];
		}
		if (minimal && (in->p[2] == 0 || len < 0x80)) {
			return false;
		}
		hl += k;
	}
	if (in->n - hl < len) {
		return false;
	}
	val->p = in->p + hl;
	val->n = len;
	if (all != NULL) {
		all->p = in->p;
		all->n = hl + len;
	}
	in->p += hl + len;
	in->n -= hl + len;
	return true;
}

bool
tk_der_get(struct tk_der *in, unsigned char *tag, struct tk_der *val,
    struct tk_der *all)
{
	return get(in, 4, false, tag, val, all);
}

bool
tk_der_get_strict(struct tk_der *in, unsigned char *tag, struct tk_der *val,
    struct tk_der *all)
{
	return get(in, 2, true, tag, val, all);
}

bool
tk_der_want(struct tk_der *in, unsigned char want, struct tk_der *val,
    struct tk_der *all)
{
	struct tk_der save = *in;
	unsigned char tag;

	if (!tk_der_get(in, &tag, val, all) || tag != want) {
		*in = save;
		return false;
	}
	return true;
}

unsigned char
tk_der_peek(const struct tk_der *in)
{
	return in->n > 0 ? in->p[0] : 0;
}

bool
tk_der_eq(struct tk_der a, struct tk_der b)
{
	return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

bool
tk_der_oid_text(struct tk_der o, char *buf, size_t len)
{
	size_t off = 0;
	uint64_t v = 0;
	bool first = true;

	if (o.n == 0 || len == 0) {
		return false;
	}
	buf[0] = '\0';
	for (size_t i = 0; i < o.n; i++) {
		if (v > (UINT64_MAX >> 7)) {
			return false;
		}
		v = v << 7 | (o.p[i] & 0x7f);
		if (o.p[i] & 0x80) {
			if (i + 1 == o.n) {
				return false;
			}
			continue;
		}
		if (first) {
			unsigned a = v < 40 ? 0 : v < 80 ? 1 : 2;

			off += (size_t)snprintf(buf + off, len - off, "%u.%llu",
			    a, (unsigned long long)(v - 40u * a));
			first = false;
		} else {
			off += (size_t)snprintf(buf + off, len - off, ".%llu",
			    (unsigned long long)v);
		}
		if (off >= len) {
			return false;
		}
		v = 0;
	}
	return true;
}

bool
tk_der_oid_ok(struct tk_der o)
{
	if (o.n == 0 || (o.p[o.n - 1] & 0x80) != 0) {
		return false;
	}
	for (size_t i = 0; i < o.n; i++) {
		if (o.p[i] == 0x80 && (i == 0 || (o.p[i - 1] & 0x80) == 0)) {
			return false;
		}
	}
	return true;
}
