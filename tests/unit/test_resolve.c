/* Unit tests for lib/resolve.h: --resolve values. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "resolve.h"

#include "tk_test.h"

/* --resolve values: host, port (0: any), addresses, or a USAGE error. */
static const struct {
	const char *in;
	bool ok;
	const char *host;
	uint16_t port;
	size_t n;
	int family0;
} resolve_cases[] = {
	{"a.test:443:127.0.0.1", true, "a.test", 443, 1, AF_INET},
	{"a.test:443:::1", true, "a.test", 443, 1, AF_INET6},
	{"a.test:443:[::1]", true, "a.test", 443, 1, AF_INET6},
	{"A.Test.:8443:[::1],10.0.0.1", true, "a.test", 8443, 2, AF_INET6},
	{"a.test:127.0.0.1", true, "a.test", 0, 1, AF_INET},
	{"a.test:[::1]", true, "a.test", 0, 1, AF_INET6},
	{"a.test:::1", true, "a.test", 0, 1, AF_INET6},
	/* looks like PORT:ADDR, is an IPv6 address */
	{"a.test:1::2", true, "a.test", 0, 1, AF_INET6},
	{"a.test:1:2::3", true, "a.test", 1, 1, AF_INET6},
	{"b\xc3\xbc" "cher.example:1:127.0.0.1", true, "xn--bcher-kva.example",
	    1, 1, AF_INET},
	{"a.test", false, NULL, 0, 0, 0},
	{"a.test:", false, NULL, 0, 0, 0},
	{"a.test:443", false, NULL, 0, 0, 0},
	{"a.test:443:", false, NULL, 0, 0, 0},
	{"a.test:0:127.0.0.1", false, NULL, 0, 0, 0},
	{"a.test:65536:127.0.0.1", false, NULL, 0, 0, 0},
	{"a.test:443:localhost", false, NULL, 0, 0, 0},
	{"a.test:443:127.0.0.1,", false, NULL, 0, 0, 0},
	{"a.test:443:,127.0.0.1", false, NULL, 0, 0, 0},
	{"a.test:443:[127.0.0.1", false, NULL, 0, 0, 0},
	{"a.test:443:1.2.3.4.5", false, NULL, 0, 0, 0},
	{":443:127.0.0.1", false, NULL, 0, 0, 0},
	{"a b:443:127.0.0.1", false, NULL, 0, 0, 0},
	{"127.0.0.1:443:127.0.0.1", false, NULL, 0, 0, 0},
	{"a.test:443:1,2,3,4,5,6,7,8,9", false, NULL, 0, 0, 0},
};

static void
test_resolve_map(void)
{
	for (size_t i = 0; i < sizeof(resolve_cases) / sizeof(resolve_cases[0]);
	     i++) {
		static struct tk_resolve_map m;
		struct tk_err err;
		int rc;

		TK_CASE(resolve_cases[i].in);
		memset(&m, 0, sizeof(m));
		tk_err_clear(&err);
		rc = tk_resolve_map_add(&m, resolve_cases[i].in, &err);
		if (!resolve_cases[i].ok) {
			EXPECT_EQ_INT(rc, -1);
			EXPECT_EQ_INT(err.cls, TK_USAGE);
			EXPECT_EQ_SIZE(m.n, 0);
			continue;
		}
		EXPECT_EQ_INT(rc, 0);
		EXPECT_EQ_SIZE(m.n, 1);
		EXPECT_EQ_STR(m.e[0].host, resolve_cases[i].host);
		EXPECT_EQ_INT(m.e[0].port, resolve_cases[i].port);
		EXPECT_EQ_SIZE(m.e[0].n, resolve_cases[i].n);
		EXPECT_EQ_INT(m.e[0].addrs[0].family, resolve_cases[i].family0);
	}
	TK_CASE("entries for one name and port add up");
	{
		static struct tk_resolve_map m;
		struct tk_err err;

		memset(&m, 0, sizeof(m));
		tk_err_clear(&err);
		EXPECT_EQ_INT(tk_resolve_map_add(&m, "x.test:1:127.0.0.1",
		    &err), 0);
		EXPECT_EQ_INT(tk_resolve_map_add(&m, "x.test:1:::1", &err),
		    0);
		EXPECT_EQ_INT(tk_resolve_map_add(&m, "x.test:2:::1", &err),
		    0);
		EXPECT_EQ_SIZE(m.n, 2);
		EXPECT_EQ_SIZE(m.e[0].n, 2);
		EXPECT_EQ_INT(m.e[0].addrs[1].family, AF_INET6);
	}
	TK_CASE(NULL);
}

static void
run(void)
{
	test_resolve_map();
}

TK_TEST_MAIN("test_resolve", run)
