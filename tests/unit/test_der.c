/*
 * Unit tests for lib/der.h: one TLV read the lenient way (chainval's
 * certificates) and the strict way (dn's Names), and the OID helpers.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "der.h"

#include "tk_test.h"

#define S(lit) (const unsigned char *)(lit), sizeof(lit) - 1

/*
 * One TLV at the start of p: whether each reader takes it and, when one
 * does, the tag, the header's length and the contents' length.
 */
static const struct {
	const char *name;
	const unsigned char *p;
	size_t n;
	bool lenient, strict;
	unsigned char tag;
	size_t hl, len;
} get_cases[] = {
	{"empty", S(""), false, false, 0, 0, 0},
	{"one byte", S("\x30"), false, false, 0, 0, 0},
	{"empty SEQUENCE", S("\x30\x00"), true, true, 0x30, 2, 0},
	{"short form", S("\x04\x03" "abc"), true, true, 0x04, 2, 3},
	{"short form, more behind", S("\x04\x01" "ab"), true, true, 0x04, 2,
	    1},
	{"short form, truncated", S("\x04\x03" "ab"), false, false, 0, 0, 0},
	{"multi-byte tag", S("\x1f\x01\x00"), false, false, 0, 0, 0},
	{"context tag", S("\xa3\x01\x05"), true, true, 0xa3, 2, 1},
	{"indefinite length", S("\x30\x80\x00\x00"), false, false, 0, 0, 0},
	{"0x81 0x80", S("\x04\x81\x80"
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"),
	    true, true, 0x04, 3, 128},
	{"0x81 0x05: not the shortest form", S("\x04\x81\x05" "abcde"), true,
	    false, 0x04, 3, 5},
	{"0x82 0x00 0x01: a leading zero", S("\x04\x82\x00\x01" "a"), true,
	    false, 0x04, 4, 1},
	{"three length octets", S("\x04\x83\x00\x00\x01" "a"), true, false,
	    0x04, 5, 1},
	{"four length octets", S("\x04\x84\x00\x00\x00\x00"), true, false,
	    0x04, 6, 0},
	{"five length octets", S("\x04\x85\x00\x00\x00\x00\x00"), false,
	    false, 0, 0, 0},
	{"length octets cut", S("\x04\x82\x01"), false, false, 0, 0, 0},
	{"long length, contents cut", S("\x04\x82\x01\x00" "abc"), false,
	    false, 0, 0, 0},
	{"four octets, huge", S("\x04\x84\xff\xff\xff\xff" "a"), false, false,
	    0, 0, 0},
};

static void
check_get(size_t i, bool strict)
{
	struct tk_der in = {get_cases[i].p, get_cases[i].n};
	struct tk_der val = {NULL, 7}, all = {NULL, 7};
	unsigned char tag = 0;
	bool want = strict ? get_cases[i].strict : get_cases[i].lenient;
	bool got = strict ? tk_der_get_strict(&in, &tag, &val, &all) :
	    tk_der_get(&in, &tag, &val, &all);

	EXPECT_EQ_INT(got, want);
	if (!want) {
		/* nothing moves when the TLV is refused */
		EXPECT_TRUE(in.p == get_cases[i].p);
		EXPECT_EQ_SIZE(in.n, get_cases[i].n);
		EXPECT_TRUE(val.p == NULL && all.p == NULL);
		return;
	}
	EXPECT_EQ_INT(tag, get_cases[i].tag);
	EXPECT_TRUE(val.p == get_cases[i].p + get_cases[i].hl);
	EXPECT_EQ_SIZE(val.n, get_cases[i].len);
	EXPECT_TRUE(all.p == get_cases[i].p);
	EXPECT_EQ_SIZE(all.n, get_cases[i].hl + get_cases[i].len);
	EXPECT_TRUE(in.p == get_cases[i].p + all.n);
	EXPECT_EQ_SIZE(in.n, get_cases[i].n - all.n);
}

static void
test_get(void)
{
	for (size_t i = 0; i < sizeof(get_cases) / sizeof(get_cases[0]);
	     i++) {
		TK_CASE(get_cases[i].name);
		check_get(i, false);
		check_get(i, true);
	}
	TK_CASE(NULL);
}

static void
test_want_peek_eq(void)
{
	static const unsigned char two[] = "\x02\x01\x05\x04\x00";
	struct tk_der in = {two, sizeof(two) - 1};
	struct tk_der v, a, b;

	TK_CASE("want");
	EXPECT_EQ_INT(tk_der_peek(&in), 0x02);
	EXPECT_TRUE(!tk_der_want(&in, 0x04, &v, NULL));
	EXPECT_TRUE(in.p == two && in.n == 5);
	EXPECT_TRUE(tk_der_want(&in, 0x02, &v, &a));
	EXPECT_EQ_SIZE(v.n, 1);
	EXPECT_EQ_INT(v.p[0], 5);
	EXPECT_EQ_SIZE(a.n, 3);
	EXPECT_EQ_INT(tk_der_peek(&in), 0x04);
	EXPECT_TRUE(tk_der_want(&in, 0x04, &v, NULL));
	EXPECT_EQ_SIZE(v.n, 0);
	EXPECT_EQ_INT(tk_der_peek(&in), 0);
	EXPECT_TRUE(!tk_der_want(&in, 0x04, &v, NULL));

	TK_CASE("eq");
	a = (struct tk_der){two, 3};
	b = (struct tk_der){two + 3, 2};
	EXPECT_TRUE(tk_der_eq(a, a));
	EXPECT_TRUE(!tk_der_eq(a, b));
	b = (struct tk_der){(const unsigned char *)"\x02\x01\x05", 3};
	EXPECT_TRUE(tk_der_eq(a, b));
	a.n = b.n = 0;
	b.p = NULL;
	EXPECT_TRUE(tk_der_eq(a, b));
	TK_CASE(NULL);
}

/* OBJECT IDENTIFIER contents: the dotted text, and whether it is DER. */
static const struct {
	const char *name;
	const unsigned char *p;
	size_t n;
	const char *text;     /* NULL: tk_der_oid_text() refuses it */
	bool ok;
} oid_cases[] = {
	{"subjectAltName", S("\x55\x1d\x11"), "2.5.29.17", true},
	{"rsaEncryption", S("\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01"),
	    "1.2.840.113549.1.1.1", true},
	{"0.0", S("\x00"), "0.0", true},
	{"2.999", S("\x88\x37"), "2.999", true},
	{"leading 0x80", S("\x80\x01"), "0.1", false},
	{"inner leading 0x80", S("\x55\x80\x1d"), "2.5.29", false},
	{"last octet continues", S("\x55\x9d"), NULL, false},
	{"empty", S(""), NULL, false},
	{"over 64 bits", S("\x81\x80\x80\x80\x80\x80\x80\x80\x80\x80\x00"),
	    NULL, true},
};

static void
test_oid(void)
{
	char buf[64];

	for (size_t i = 0; i < sizeof(oid_cases) / sizeof(oid_cases[0]);
	     i++) {
		struct tk_der o = {oid_cases[i].p, oid_cases[i].n};
		bool got = tk_der_oid_text(o, buf, sizeof(buf));

		TK_CASE(oid_cases[i].name);
		EXPECT_EQ_INT(got, oid_cases[i].text != NULL);
		if (got && oid_cases[i].text != NULL) {
			EXPECT_EQ_STR(buf, oid_cases[i].text);
		}
		EXPECT_EQ_INT(tk_der_oid_ok(o), oid_cases[i].ok);
	}
	TK_CASE("text that does not fit");
	{
		struct tk_der o = {S("\x55\x1d\x11")};

		EXPECT_TRUE(!tk_der_oid_text(o, buf, 9));
		EXPECT_TRUE(tk_der_oid_text(o, buf, 10));
		EXPECT_TRUE(!tk_der_oid_text(o, buf, 0));
	}
	TK_CASE(NULL);
}

static void
run(void)
{
	test_get();
	test_want_peek_eq();
	test_oid();
}

TK_TEST_MAIN("test_der", run)
