/* Unit tests for lib/err.h: classes, exit codes, and the three setters. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

#include "tk_test.h"

static const struct {
	enum tk_class cls;
	int code;
} codes[] = {
	{TK_OK, 0},
	{TK_CHECK, 1},
	{TK_USAGE, 2},
	{TK_NET, 3},
	{TK_TLS, 4},
	{TK_WARN, 5},
	{TK_INTERNAL, 70},
};

/* docs/ARCHITECTURE.md, "Errors and exit codes": with several targets the
 * worst one wins, in this order (bad input, 2, stops everything before
 * that can happen). */
static const enum tk_class worst_order[] = {
	TK_INTERNAL, TK_NET, TK_TLS, TK_CHECK, TK_WARN, TK_OK,
};

#define NCODES (sizeof(codes) / sizeof(codes[0]))
#define NORDER (sizeof(worst_order) / sizeof(worst_order[0]))

static void
test_exit_codes(void)
{
	for (size_t i = 0; i < NCODES; i++) {
		TK_CASE(tk_class_name(codes[i].cls));
		EXPECT_EQ_INT(tk_err_exit_code(codes[i].cls), codes[i].code);
		EXPECT_TRUE(tk_class_label(codes[i].cls) != NULL &&
		    tk_class_label(codes[i].cls)[0] != '\0');
		for (size_t k = 0; k < i; k++) {
			EXPECT_TRUE(strcmp(tk_class_name(codes[i].cls),
			    tk_class_name(codes[k].cls)) != 0);
		}
	}
	TK_CASE(NULL);
}

static void
test_worst(void)
{
	/* i < k means worst_order[i] is worse than worst_order[k] */
	for (size_t i = 0; i < NORDER; i++) {
		TK_CASE(tk_class_name(worst_order[i]));
		EXPECT_EQ_INT(tk_class_worst(worst_order[i], worst_order[i]),
		    worst_order[i]);
		for (size_t k = i + 1; k < NORDER; k++) {
			EXPECT_EQ_INT(tk_class_worst(worst_order[i],
			    worst_order[k]), worst_order[i]);
			EXPECT_EQ_INT(tk_class_worst(worst_order[k],
			    worst_order[i]), worst_order[i]);
		}
	}
	TK_CASE(NULL);
}

static void
test_set_first_wins(void)
{
	struct tk_err err;

	tk_err_clear(&err);
	EXPECT_TRUE(!tk_err_is_set(&err));
	EXPECT_EQ_INT(err.cls, TK_OK);
	EXPECT_EQ_STR(err.msg, "");
	EXPECT_TRUE(err.step == NULL);

	EXPECT_EQ_INT(tk_err_set(&err, TK_NET, "connect",
	    "cannot connect to '%s'", "a.example"), -1);
	EXPECT_TRUE(tk_err_is_set(&err));
	EXPECT_EQ_INT(err.cls, TK_NET);
	EXPECT_EQ_STR(err.step, "connect");
	EXPECT_EQ_STR(err.msg, "cannot connect to 'a.example'");

	/* a generic follow-up never overwrites the first cause */
	EXPECT_EQ_INT(tk_err_set(&err, TK_TLS, "handshake", "generic"), -1);
	EXPECT_EQ_INT(err.cls, TK_NET);
	EXPECT_EQ_STR(err.step, "connect");
	EXPECT_EQ_STR(err.msg, "cannot connect to 'a.example'");

	errno = EPIPE;
	EXPECT_EQ_INT(tk_err_sys(&err, TK_INTERNAL, "write", "generic"), -1);
	EXPECT_EQ_INT(err.cls, TK_NET);
	EXPECT_EQ_INT(err.sys_errno, 0);

	/* a NULL err is accepted */
	EXPECT_EQ_INT(tk_err_set(NULL, TK_NET, "x", "y"), -1);
	EXPECT_EQ_INT(tk_err_sys(NULL, TK_NET, "x", "y"), -1);
	EXPECT_EQ_INT(tk_err_reset(NULL, TK_NET, "x", "y"), -1);
}

static void
test_sys(void)
{
	struct tk_err err;
	char want[TK_ERR_MSG_MAX];

	tk_err_clear(&err);
	snprintf(want, sizeof(want), "cannot read CA file 'x.pem': %s",
	    strerror(ENOENT));
	errno = ENOENT;
	EXPECT_EQ_INT(tk_err_sys(&err, TK_USAGE, "load",
	    "cannot read CA file '%s'", "x.pem"), -1);
	EXPECT_EQ_INT(errno, ENOENT);
	EXPECT_EQ_INT(err.cls, TK_USAGE);
	EXPECT_EQ_INT(err.sys_errno, ENOENT);
	EXPECT_EQ_STR(err.step, "load");
	EXPECT_EQ_STR(err.msg, want);

	/* tk_err_set appends nothing, whatever errno says */
	tk_err_clear(&err);
	errno = EACCES;
	tk_err_set(&err, TK_USAGE, "load", "plain");
	EXPECT_EQ_STR(err.msg, "plain");
	EXPECT_EQ_INT(err.sys_errno, 0);

	/* a long message is cut, NUL-terminated */
	{
		char big[2 * TK_ERR_MSG_MAX];

		memset(big, 'a', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		tk_err_clear(&err);
		errno = ENOENT;
		tk_err_sys(&err, TK_NET, "x", "%s", big);
		EXPECT_EQ_SIZE(strlen(err.msg), TK_ERR_MSG_MAX - 1);
	}
}

static void
test_reset(void)
{
	struct tk_err err;

	tk_err_clear(&err);
	errno = ENOENT;
	tk_err_sys(&err, TK_NET, "connect", "first");
	err.gnutls_rc = -9;
	EXPECT_EQ_INT(tk_err_reset(&err, TK_TLS, "handshake",
	    "refined %d", 2), -1);
	EXPECT_EQ_INT(err.cls, TK_TLS);
	EXPECT_EQ_STR(err.step, "handshake");
	EXPECT_EQ_STR(err.msg, "refined 2");
	EXPECT_EQ_INT(err.gnutls_rc, 0);
	EXPECT_EQ_INT(err.sys_errno, 0);

	/* reset also works on a cleared error */
	tk_err_clear(&err);
	tk_err_reset(&err, TK_WARN, "verify", "w");
	EXPECT_EQ_INT(err.cls, TK_WARN);
	EXPECT_EQ_STR(err.msg, "w");

	tk_err_clear(&err);
	EXPECT_EQ_INT(err.cls, TK_OK);
	EXPECT_EQ_STR(err.msg, "");
	EXPECT_EQ_INT(err.gnutls_rc, 0);
	EXPECT_EQ_INT(err.sys_errno, 0);
}

static void
run(void)
{
	test_exit_codes();
	test_worst();
	test_set_first_wins();
	test_sys();
	test_reset();
}

TK_TEST_MAIN("test_err", run)
