/*
 * A tiny unit test harness: EXPECT_* macros that count checks and failures
 * and print "file:line: expected ... got ..." for each failure, and
 * TK_TEST_MAIN, which runs a test body and prints one summary line:
 * "test_target: 57 checks, 0 failed".  The exit status is 1 when any check
 * failed, so meson reports the executable as failed.
 *
 * Table-driven tests name the case they are in with TK_CASE(); a failure
 * then also prints the case, since the line number is the loop's.
 */
#ifndef TK_TEST_H
#define TK_TEST_H

#include <stdio.h>
#include <string.h>

static unsigned tk_test_checks;
static unsigned tk_test_failed;
static const char *tk_test_case;

/* Names the case that the following checks belong to (NULL: none). */
#define TK_CASE(name) (tk_test_case = (name))

static inline void
tk_test_fail_head(const char *file, int line)
{
	tk_test_failed++;
	fprintf(stderr, "%s:%d: ", file, line);
	if (tk_test_case != NULL) {
		fprintf(stderr, "[%s] ", tk_test_case);
	}
}

static inline void
tk_test_true(int ok, const char *expr, const char *file, int line)
{
	tk_test_checks++;
	if (!ok) {
		tk_test_fail_head(file, line);
		fprintf(stderr, "expected true: %s\n", expr);
	}
}

static inline void
tk_test_int(long long got, long long want, const char *expr,
    const char *file, int line)
{
	tk_test_checks++;
	if (got != want) {
		tk_test_fail_head(file, line);
		fprintf(stderr, "expected %lld got %lld: %s\n", want, got,
		    expr);
	}
}

static inline void
tk_test_size(size_t got, size_t want, const char *expr, const char *file,
    int line)
{
	tk_test_checks++;
	if (got != want) {
		tk_test_fail_head(file, line);
		fprintf(stderr, "expected %zu got %zu: %s\n", want, got, expr);
	}
}

static inline void
tk_test_str(const char *got, const char *want, const char *expr,
    const char *file, int line)
{
	tk_test_checks++;
	if (got == NULL || want == NULL) {
		if (got == want) {
			return;
		}
	} else if (strcmp(got, want) == 0) {
		return;
	}
	tk_test_fail_head(file, line);
	fprintf(stderr, "expected \"%s\" got \"%s\": %s\n",
	    want != NULL ? want : "(null)", got != NULL ? got : "(null)",
	    expr);
}

static inline void
tk_test_contains(const char *got, const char *want, const char *expr,
    const char *file, int line)
{
	tk_test_checks++;
	if (got != NULL && want != NULL && strstr(got, want) != NULL) {
		return;
	}
	tk_test_fail_head(file, line);
	fprintf(stderr, "expected \"%s\" in \"%s\": %s\n",
	    want != NULL ? want : "(null)", got != NULL ? got : "(null)",
	    expr);
}

/* Each macro evaluates its arguments once. */
#define EXPECT_TRUE(cond)                                                    \
	tk_test_true((cond) ? 1 : 0, #cond, __FILE__, __LINE__)
#define EXPECT_EQ_INT(got, want)                                             \
	tk_test_int((long long)(got), (long long)(want), #got, __FILE__,     \
	    __LINE__)
#define EXPECT_EQ_SIZE(got, want)                                            \
	tk_test_size((size_t)(got), (size_t)(want), #got, __FILE__, __LINE__)
#define EXPECT_EQ_STR(got, want)                                             \
	tk_test_str((got), (want), #got, __FILE__, __LINE__)
/* got holds want as a substring (messages: the words that matter) */
#define EXPECT_CONTAINS(got, want)                                           \
	tk_test_contains((got), (want), #got, __FILE__, __LINE__)

static inline int
tk_test_summary(const char *name)
{
	printf("%s: %u checks, %u failed\n", name, tk_test_checks,
	    tk_test_failed);
	fflush(stdout);
	return tk_test_failed > 0 ? 1 : 0;
}

/*
 * Defines main(): runs body (a static void function of no arguments), then
 * prints the summary line and returns 1 if any check failed.
 */
#define TK_TEST_MAIN(name, body)                                             \
	int                                                                  \
	main(void)                                                           \
	{                                                                    \
		body();                                                      \
		return tk_test_summary(name);                                \
	}

#endif
