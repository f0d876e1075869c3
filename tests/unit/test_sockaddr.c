/* Unit tests for lib/sockaddr.h: addresses as text, literals. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "sockaddr.h"

#include "tk_test.h"

static void
test_sockaddr_str(void)
{
	struct sockaddr_in s4;
	struct sockaddr_in6 s6;
	char buf[TK_ADDRSTR_MAX];

	memset(&s4, 0, sizeof(s4));
	s4.sin_family = AF_INET;
	s4.sin_port = htons(443);
	inet_pton(AF_INET, "192.0.2.1", &s4.sin_addr);
	tk_sockaddr_str((const struct sockaddr *)&s4, buf, sizeof(buf));
	EXPECT_EQ_STR(buf, "192.0.2.1:443");

	memset(&s6, 0, sizeof(s6));
	s6.sin6_family = AF_INET6;
	s6.sin6_port = htons(8443);
	inet_pton(AF_INET6, "2001:db8::1", &s6.sin6_addr);
	tk_sockaddr_str((const struct sockaddr *)&s6, buf, sizeof(buf));
	EXPECT_EQ_STR(buf, "[2001:db8::1]:8443");
}

static void
test_sockaddr_literal(void)
{
	struct tk_addr a;
	char buf[TK_ADDRSTR_MAX];

	EXPECT_TRUE(tk_sockaddr_literal("192.0.2.1", 25, &a));
	EXPECT_EQ_INT(a.ss.ss_family, AF_INET);
	EXPECT_EQ_SIZE(a.len, sizeof(struct sockaddr_in));
	tk_sockaddr_str((const struct sockaddr *)&a.ss, buf, sizeof(buf));
	EXPECT_EQ_STR(buf, "192.0.2.1:25");

	EXPECT_TRUE(tk_sockaddr_literal("::", 0, &a));
	EXPECT_EQ_INT(a.ss.ss_family, AF_INET6);
	EXPECT_EQ_SIZE(a.len, sizeof(struct sockaddr_in6));
	tk_sockaddr_str((const struct sockaddr *)&a.ss, buf, sizeof(buf));
	EXPECT_EQ_STR(buf, "[::]:0");

	/* names and bracketed literals are not literals here */
	EXPECT_TRUE(!tk_sockaddr_literal("localhost", 1, &a));
	EXPECT_EQ_SIZE(a.len, 0);
	EXPECT_TRUE(!tk_sockaddr_literal("[::1]", 1, &a));
	EXPECT_TRUE(!tk_sockaddr_literal("", 1, &a));
}

static void
run(void)
{
	test_sockaddr_str();
	test_sockaddr_literal();
}

TK_TEST_MAIN("test_sockaddr", run)
