/*
 * LDAP messages (RFC 4511) for test_ldap, which decodes them, and
 * test_starttls, whose scripted servers send them: the StartTLS request
 * as RFC 4511 section 4.14.1 encodes it, and extended responses.
 */
#ifndef TK_LDAP_MSGS_H
#define TK_LDAP_MSGS_H

#define LDAP_REQ                                                             \
	"\x30\x1d\x02\x01\x01\x77\x18\x80\x16"                               \
	"1.3.6.1.4.1.1466.20037"
#define LDAP_OK "\x30\x0c\x02\x01\x01\x78\x07\x0a\x01\x00\x04\x00\x04\x00"
#define LDAP_OK_NAMED                                                        \
	"\x30\x24\x02\x01\x01\x78\x1f\x0a\x01\x00\x04\x00\x04\x00\x8a\x16"   \
	"1.3.6.1.4.1.1466.20037"
#define LDAP_UNAVAILABLE                                                     \
	"\x30\x13\x02\x01\x01\x78\x0e\x0a\x01\x34\x04\x00\x04\x07"           \
	"no TLS!"
#define LDAP_PROTOCOL_ERROR                                                  \
	"\x30\x0c\x02\x01\x01\x78\x07\x0a\x01\x02\x04\x00\x04\x00"
#define LDAP_NOTICE                                                          \
	"\x30\x24\x02\x01\x00\x78\x1f\x0a\x01\x34\x04\x00\x04\x00\x8a\x16"   \
	"1.3.6.1.4.1.1466.20036"
#define LDAP_MSGID2 "\x30\x0c\x02\x01\x02\x78\x07\x0a\x01\x00\x04\x00\x04\x00"
/* Active Directory writes every length in four bytes */
#define LDAP_OK_LONGLEN                                                      \
	"\x30\x84\x00\x00\x00\x10\x02\x01\x01\x78\x84\x00\x00\x00\x07"       \
	"\x0a\x01\x00\x04\x00\x04\x00"
#define LDAP_UNKNOWN99                                                       \
	"\x30\x0c\x02\x01\x01\x78\x07\x0a\x01\x63\x04\x00\x04\x00"
#define LDAP_BIND_RESP                                                       \
	"\x30\x0c\x02\x01\x01\x61\x07\x0a\x01\x00\x04\x00\x04\x00"
#define LDAP_TRUNCATED "\x30\x03\x02\x01\x01"
#define LDAP_NEGATIVE_ID                                                     \
	"\x30\x0c\x02\x01\xff\x78\x07\x0a\x01\x00\x04\x00\x04\x00"
#define LDAP_WITH_CONTROL                                                    \
	"\x30\x18\x02\x01\x01\x78\x07\x0a\x01\x00\x04\x00\x04\x00"           \
	"\xa0\x0a\x30\x08\x04\x03" "1.2" "\x01\x01\x01"

#endif
