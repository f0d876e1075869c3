/* Unit tests for lib/listen.h: listen specs. */
#include <arpa/inet.h>
#include <stdio.h>
#include <unistd.h>

#include "listen.h"

#include "tk_test.h"

/* Bad specs are refused before any socket is made. */
static const char *const bad_listen[] = {
	"nonsense",
	"1.2.3.4:99999",
	"1.2.3.4:",
	"1.2.3.4:x1",
	"[::1]",
	"[::1]:",
	"[::1",
	"::1:443",
	"example.com:80",
	"",
};

static void
test_listen(void)
{
	int fds[2] = {-1, -1};
	struct tk_addr bound[2];
	struct tk_err err;
	int n;

	for (size_t i = 0; i < sizeof(bad_listen) / sizeof(bad_listen[0]);
	     i++) {
		TK_CASE(bad_listen[i]);
		tk_err_clear(&err);
		fds[0] = -1;
		EXPECT_EQ_INT(tk_listen(bad_listen[i], 16, fds, bound, 2,
		    &err), -1);
		EXPECT_EQ_INT(err.cls, TK_USAGE);
		EXPECT_EQ_INT(fds[0], -1);
	}

	/* port 0: the kernel picks one, and it is reported */
	TK_CASE("127.0.0.1:0");
	tk_err_clear(&err);
	n = tk_listen("127.0.0.1:0", 16, fds, bound, 2, &err);
	EXPECT_EQ_INT(n, 1);
	if (n == 1) {
		const struct sockaddr_in *s4 = (const void *)&bound[0].ss;

		EXPECT_TRUE(fds[0] >= 0);
		EXPECT_EQ_INT(s4->sin_family, AF_INET);
		EXPECT_TRUE(ntohs(s4->sin_port) != 0);
		EXPECT_EQ_INT(ntohl(s4->sin_addr.s_addr), INADDR_LOOPBACK);
		close(fds[0]);
	} else {
		fprintf(stderr, "  error: %s\n", err.msg);
	}
	TK_CASE(NULL);
}


static void
run(void)
{
	test_listen();
}

TK_TEST_MAIN("test_listen", run)
