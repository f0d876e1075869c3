/*
 * Fuzzes the LDAP extended-response decoder (libtasn1 and lib/ldap.asn)
 * and the BER framing in front of it with arbitrary BER.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ldap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tk_ldap_result res;
	struct tk_err err;
	long framed;

	tk_err_clear(&err);
	framed = tk_ldap_frame(data, size, &err);
	if (framed > (long)TK_LDAP_MSG_MAX ||
	    (framed < 0 && (err.cls != TK_NET || err.msg[0] == '\0'))) {
		abort();
	}
	tk_err_clear(&err);
	if (tk_ldap_decode(data, size, &res, &err) < 0) {
		if (err.cls != TK_NET || err.msg[0] == '\0') {
			abort();
		}
		return 0;
	}
	if (res.msgid < 0 || res.code < 0 ||
	    memchr(res.diag, '\0', sizeof(res.diag)) == NULL ||
	    memchr(res.oid, '\0', sizeof(res.oid)) == NULL ||
	    tk_ldap_result_name(res.code) == NULL) {
		abort();
	}
	return 0;
}
