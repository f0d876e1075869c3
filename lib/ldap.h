/*
 * The LDAP messages of the StartTLS extended operation (RFC 4511 section
 * 4.14), encoded and decoded with libtasn1 from lib/ldap.asn.  Pure: the
 * dialogue that sends and reads them is lib/starttls.c's.
 */
#ifndef TK_LDAP_H
#define TK_LDAP_H

#include <stddef.h>

#include "err.h"

#define TK_LDAP_STARTTLS_OID "1.3.6.1.4.1.1466.20037"
#define TK_LDAP_NOTICE_OID "1.3.6.1.4.1.1466.20036"
#define TK_LDAP_MSG_MAX (16u << 10)  /* one LDAPMessage at most */

struct tk_ldap_result {
	long msgid;           /* messageID */
	long code;            /* resultCode */
	char diag[256];       /* diagnosticMessage, truncated, NUL-ended */
	char oid[64];         /* responseName, "" when absent */
};

/*
 * Encodes the StartTLS extended request (RFC 4511 section 4.14.1) with
 * message ID msgid (1..2^31-1) into buf.  *len is buf's size on entry and
 * the encoding's on return.  0, or -1 with err (INTERNAL).
 */
int tk_ldap_request(long msgid, unsigned char *buf, size_t *len,
    struct tk_err *err);
/*
 * The size of the LDAPMessage that starts at p[0..len): its BER header
 * (X.690 section 8.1) and body.  0 while the header is incomplete, -1
 * with err (NET) when it is not an LDAPMessage, has an indefinite length
 * (RFC 4511 section 5.1 forbids it) or is longer than TK_LDAP_MSG_MAX.
 */
long tk_ldap_frame(const unsigned char *p, size_t len, struct tk_err *err);
/*
 * Decodes exactly one LDAPMessage holding an ExtendedResponse from
 * der[0..len).  0 with res filled (diag and oid with '?' for bytes other
 * than printable ASCII), or -1 with err (NET: malformed, not an extended
 * response, trailing bytes, a number out of range, longer than
 * TK_LDAP_MSG_MAX; INTERNAL: the ASN.1 module does not load).
 */
int tk_ldap_decode(const void *der, size_t len, struct tk_ldap_result *res,
    struct tk_err *err);
/* The name of an LDAP resultCode ("success", "unavailable"); "unknown". */
const char *tk_ldap_result_name(long code);

#endif
