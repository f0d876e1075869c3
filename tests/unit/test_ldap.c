/*
 * Unit tests for lib/ldap.h: the StartTLS request against RFC 4511's
 * encoding, extended responses decoded, BER framing.
 */
#include <stdio.h>
#include <string.h>

#include "ldap.h"

#include "ldap_msgs.h"
#include "tk_test.h"

#define S(lit) lit, sizeof(lit) - 1

static const struct {
	const char *name;
	const char *der;
	size_t len;
	int rc;
	long msgid;
	long code;
	const char *code_name;
	const char *diag;
	const char *oid;
} ldap_cases[] = {
	{"success", S(LDAP_OK), 0, 1, 0, "success", "", ""},
	{"success with responseName", S(LDAP_OK_NAMED), 0, 1, 0, "success",
	    "", "1.3.6.1.4.1.1466.20037"},
	{"unavailable", S(LDAP_UNAVAILABLE), 0, 1, 52, "unavailable",
	    "no TLS!", ""},
	{"protocolError", S(LDAP_PROTOCOL_ERROR), 0, 1, 2, "protocolError",
	    "", ""},
	{"notice of disconnection", S(LDAP_NOTICE), 0, 0, 52,
	    "unavailable", "", "1.3.6.1.4.1.1466.20036"},
	{"four-byte lengths", S(LDAP_OK_LONGLEN), 0, 1, 0, "success", "",
	    ""},
	{"unknown code", S(LDAP_UNKNOWN99), 0, 1, 99, "unknown", "", ""},
	{"with a control", S(LDAP_WITH_CONTROL), 0, 1, 0, "success", "", ""},
	{"bind response", S(LDAP_BIND_RESP), -1, 0, 0, NULL, NULL, NULL},
	{"the request", S(LDAP_REQ), -1, 0, 0, NULL, NULL, NULL},
	{"truncated", S(LDAP_TRUNCATED), -1, 0, 0, NULL, NULL, NULL},
	{"trailing byte", S(LDAP_OK "\x00"), -1, 0, 0, NULL, NULL, NULL},
	{"negative message ID", S(LDAP_NEGATIVE_ID), -1, 0, 0, NULL, NULL,
	    NULL},
	{"empty", "", 0, -1, 0, 0, NULL, NULL, NULL},
	{"text", S("HTTP/1.0 400 Bad Request\r\n"), -1, 0, 0, NULL, NULL,
	    NULL},
};

static void
test_ldap_codec(void)
{
	unsigned char buf[64];
	size_t len = sizeof(buf);
	struct tk_err err;

	TK_CASE("request");
	tk_err_clear(&err);
	EXPECT_EQ_INT(tk_ldap_request(1, buf, &len, &err), 0);
	EXPECT_EQ_SIZE(len, sizeof(LDAP_REQ) - 1);
	EXPECT_TRUE(memcmp(buf, LDAP_REQ, sizeof(LDAP_REQ) - 1) == 0);
	len = 10;
	EXPECT_EQ_INT(tk_ldap_request(1, buf, &len, &err), -1);
	EXPECT_EQ_INT(err.cls, TK_INTERNAL);
	tk_err_clear(&err);
	len = sizeof(buf);
	EXPECT_EQ_INT(tk_ldap_request(0, buf, &len, &err), -1);

	for (size_t i = 0; i < sizeof(ldap_cases) / sizeof(ldap_cases[0]);
	     i++) {
		struct tk_ldap_result res;

		TK_CASE(ldap_cases[i].name);
		tk_err_clear(&err);
		EXPECT_EQ_INT(tk_ldap_decode(ldap_cases[i].der,
		    ldap_cases[i].len, &res, &err), ldap_cases[i].rc);
		if (ldap_cases[i].rc < 0) {
			EXPECT_EQ_INT(err.cls, TK_NET);
			EXPECT_TRUE(err.msg[0] != '\0');
			continue;
		}
		EXPECT_EQ_INT(res.msgid, ldap_cases[i].msgid);
		EXPECT_EQ_INT(res.code, ldap_cases[i].code);
		EXPECT_EQ_STR(tk_ldap_result_name(res.code),
		    ldap_cases[i].code_name);
		EXPECT_EQ_STR(res.diag, ldap_cases[i].diag);
		EXPECT_EQ_STR(res.oid, ldap_cases[i].oid);
	}
	TK_CASE("names");
	EXPECT_EQ_STR(tk_ldap_result_name(0), "success");
	EXPECT_EQ_STR(tk_ldap_result_name(52), "unavailable");
	EXPECT_EQ_STR(tk_ldap_result_name(53), "unwillingToPerform");
	EXPECT_EQ_STR(tk_ldap_result_name(-1), "unknown");
	TK_CASE(NULL);
}

/* The size of the message at the start of a buffer, whole or not. */
static const struct {
	const char *name;
	const char *p;
	size_t len;
	long want;
} frame_cases[] = {
	{"empty", S(""), 0},
	{"one byte", S("\x30"), 0},
	{"short form", S(LDAP_OK), sizeof(LDAP_OK) - 1},
	{"short form, body not yet in", S("\x30\x0c\x02"), 14},
	{"short form, more behind", S(LDAP_OK LDAP_OK), sizeof(LDAP_OK) - 1},
	{"four-byte length", S(LDAP_OK_LONGLEN), sizeof(LDAP_OK_LONGLEN) - 1},
	{"long form, header cut", S("\x30\x84\x00\x00"), 0},
	{"at the cap", S("\x30\x82\x3f\xfc"), TK_LDAP_MSG_MAX},
	{"over the cap", S("\x30\x82\x3f\xfd"), -1},
	{"five length bytes", S("\x30\x85\x00\x00\x00\x00\x0c"), -1},
	{"indefinite length", S("\x30\x80"), -1},
	{"not a SEQUENCE", S("HTTP/1.0 400"), -1},
};

static void
test_ldap_frame(void)
{
	struct tk_err err;

	for (size_t i = 0; i < sizeof(frame_cases) / sizeof(frame_cases[0]);
	     i++) {
		TK_CASE(frame_cases[i].name);
		tk_err_clear(&err);
		EXPECT_EQ_INT(tk_ldap_frame((const unsigned char *)
		    frame_cases[i].p, frame_cases[i].len, &err),
		    frame_cases[i].want);
		if (frame_cases[i].want < 0) {
			EXPECT_EQ_INT(err.cls, TK_NET);
		}
	}
	TK_CASE(NULL);
}

static void
run(void)
{
	test_ldap_codec();
	test_ldap_frame();
}

TK_TEST_MAIN("test_ldap", run)
