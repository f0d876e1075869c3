/*
 * Findings: what every client tool reports about a chain, each with a
 * stable code from lib/codes.c and a severity judged by the profile and
 * --ignore (docs/verification.md).  A FAIL finding makes the exit code 1,
 * a WARN one 5 (unless something failed).
 */
#ifndef TK_FINDINGS_H
#define TK_FINDINGS_H

#include <stdbool.h>
#include <stddef.h>

#include "codes.h"
#include "err.h"

#define TK_FINDINGS_MAX 64

struct tk_finding {
	const char *code;
	enum tk_severity sev;
	enum tk_demotion demoted;  /* why sev is below the code's default */
	char message[384];
};

struct tk_findings {
	struct tk_finding f[TK_FINDINGS_MAX];
	size_t n;
	/* how findings are judged: set before the first one is added */
	struct tk_judging judging;
	enum tk_profile profile;   /* resolved (AUTO: no profile demotion) */
};

/*
 * Adds a finding unless one with the same code is already there.  Its
 * severity is sev as fs->judging and fs->profile have it (BR codes are info
 * under rfc5280, --ignore'd codes are info).
 */
void tk_findings_add(struct tk_findings *fs, const char *code,
    enum tk_severity sev, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
bool tk_findings_has(const struct tk_findings *fs, const char *code);
/* The class the findings call for: CHECK, WARN or OK. */
enum tk_class tk_findings_class(const struct tk_findings *fs);

/* One line of the findings of severity sev: "code: message; ..." */
void tk_findings_summary(const struct tk_findings *fs, enum tk_severity sev,
    char *buf, size_t len);

#endif
