/*
 * Fuzzes lib/rawhello.c's readers of a server's first reply (remote bytes,
 * tls-scan's raw probes).  The first input byte picks how a
 * ServerKeyExchange is read (bits 0-1: enum tk_rawhello_ske; bit 2:
 * anonymous); the rest is the reply.  tk_rawhello_parse() reads it, and
 * when that gives a ServerHello of TLS 1.2 or lower,
 * tk_rawhello_parse_flight() reads on.  Any outcome is fine but a crash, a
 * field past its cap, `used` past the input, MORE at the cap, MALFORMED
 * without a why, flight_done without SERVER_HELLO, or an answer that the
 * bytes up to `used` alone do not give again.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rawhello.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_flight(const struct tk_rawhello_reply *sh, const uint8_t *data,
    size_t size, enum tk_rawhello_ske ske, bool anon)
{
	struct tk_rawhello_reply r = *sh, again;
	enum tk_rawhello_kind k;

	k = tk_rawhello_parse_flight(&r, data, size, ske, anon);
	if (r.used > size || r.kind != k ||
	    (k == TK_RAWHELLO_MORE && size >= TK_RAWHELLO_FLIGHT_MAX) ||
	    (k == TK_RAWHELLO_MALFORMED && r.why == NULL) ||
	    r.flight_done != (k == TK_RAWHELLO_SERVER_HELLO) ||
	    r.cert_bytes > size || (size_t)r.ncerts * 4 > r.cert_bytes ||
	    (k != TK_RAWHELLO_SERVER_HELLO && k != TK_RAWHELLO_ALERT &&
	    k != TK_RAWHELLO_MORE && k != TK_RAWHELLO_MALFORMED) ||
	    r.suite != sh->suite || r.version != sh->version) {
		abort();
	}
	if (k == TK_RAWHELLO_SERVER_HELLO || k == TK_RAWHELLO_ALERT) {
		again = *sh;
		if (tk_rawhello_parse_flight(&again, data, r.used, ske,
		    anon) != k || again.used != r.used ||
		    again.ncerts != r.ncerts ||
		    again.ske_group != r.ske_group ||
		    again.ske_dh_bits != r.ske_dh_bits ||
		    again.ske_sigalg != r.ske_sigalg) {
			abort();
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tk_rawhello_reply r, again;
	enum tk_rawhello_kind k;
	enum tk_rawhello_ske ske;
	bool anon;

	if (size == 0) {
		return 0;
	}
	ske = (enum tk_rawhello_ske)(data[0] & 3);
	anon = (data[0] & 4) != 0;
	data++;
	size--;
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
	if (k == TK_RAWHELLO_SERVER_HELLO && r.version <= 0x0303) {
		check_flight(&r, data, size, ske, anon);
	}
	return 0;
}
