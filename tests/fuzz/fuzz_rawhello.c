/*
 * Fuzzes lib/rawhello.c's reader of a server's first reply (remote bytes,
 * tls-scan's raw probes): any outcome is fine but a crash, a field past
 * its cap, `used` past the input, MORE at the cap, or an answer that the
 * bytes up to `used` alone do not give again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rawhello.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tk_rawhello_reply r, again;
	enum tk_rawhello_kind k;

	k = tk_rawhello_parse(&r, data, size);
	if (r.used > size || r.nexts > TK_RAWHELLO_EXTS_MAX ||
	    r.alpn_len > sizeof(r.alpn) || r.v2_nkinds > TK_RAWHELLO_V2_MAX ||
	    r.session_id_len > 32 || r.head_len > sizeof(r.head) ||
	    (k == TK_RAWHELLO_MORE && size >= TK_RAWHELLO_READ_MAX) ||
	    ((k == TK_RAWHELLO_MALFORMED || k == TK_RAWHELLO_NOT_TLS) &&
	    r.why == NULL)) {
		abort();
	}
	if (k != TK_RAWHELLO_MORE && k != TK_RAWHELLO_MALFORMED &&
	    k != TK_RAWHELLO_NOT_TLS) {
		if (tk_rawhello_parse(&again, data, r.used) != k ||
		    again.suite != r.suite || again.used != r.used) {
			abort();
		}
	}
	return 0;
}
