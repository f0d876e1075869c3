/*
 * Fuzzes lib/der.h, the DER reader under chainval (remote certificates)
 * and dn (Names).  The input is walked as nested TLVs, both ways, to a
 * bounded depth.  Beyond not crashing, what must hold (abort() otherwise):
 *   - a TLV read lies inside its input, its contents inside it, and the
 *     input moves past exactly that TLV; a refused one moves nothing;
 *   - what the strict reader takes, the lenient one takes the same way;
 *   - tk_der_want() agrees with tk_der_get() and tk_der_peek();
 *   - an OID's dotted text is NUL-ended within its buffer.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "der.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DEPTH_MAX 32

static void
walk(struct tk_der in, unsigned depth)
{
	while (in.n > 0 && depth < DEPTH_MAX) {
		struct tk_der s = in, l = in, w = in;
		struct tk_der sv, sa, lv, la, wv;
		unsigned char st, lt, peek = tk_der_peek(&in);
		bool sok = tk_der_get_strict(&s, &st, &sv, &sa);
		bool lok = tk_der_get(&l, &lt, &lv, &la);

		if (sok && (!lok || st != lt || sv.p != lv.p || sv.n != lv.n ||
		    sa.n != la.n || s.n != l.n)) {
			abort();
		}
		if (!lok) {
			if (l.p != in.p || l.n != in.n) {
				abort();
			}
			return;
		}
		if (lt != peek || la.p != in.p || la.n > in.n ||
		    lv.p < la.p || lv.p + lv.n != la.p + la.n ||
		    l.p != in.p + la.n || l.n != in.n - la.n) {
			abort();
		}
		if (!tk_der_want(&w, lt, &wv, NULL) || !tk_der_eq(wv, lv) ||
		    w.n != l.n || tk_der_want(&in, (unsigned char)(lt ^ 1),
		    &wv, NULL)) {
			abort();
		}
		if (lt == 0x06) {
			char buf[64];

			if (tk_der_oid_text(lv, buf, sizeof(buf)) &&
			    memchr(buf, '\0', sizeof(buf)) == NULL) {
				abort();
			}
			(void)tk_der_oid_ok(lv);
		}
		if (lt & 0x20) {
			walk(lv, depth + 1);
		}
		in = l;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tk_der in = {data, size};

	walk(in, 0);
	return 0;
}
