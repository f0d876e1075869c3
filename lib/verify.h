/*
 * The verdict (a list of named reasons, each with its severity) and the
 * findings every tool reports.  Verification itself is lib/chainval.c and
 * lib/certcheck.c, the one engine; the client tools finish the handshake
 * first and judge afterwards, so the whole chain can still be shown
 * (docs/verification.md).
 */
#ifndef TK_VERIFY_H
#define TK_VERIFY_H

#include <gnutls/gnutls.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "certinfo.h"
#include "codes.h"
#include "err.h"

#define TK_REASONS_MAX 16

struct tk_reason {
	const char *code;      /* stable machine code: "expired", ... */
	enum tk_severity sev;  /* FAIL unless the profile or --ignore say */
	enum tk_demotion demoted;
	char message[384];     /* plain words, may quote remote strings */
};

enum tk_verify_status {
	TK_VERIFY_NOT_DONE,    /* no handshake, or not asked */
	TK_VERIFY_OK,
	TK_VERIFY_FAILED,
	TK_VERIFY_SKIPPED,     /* --insecure */
};

struct tk_verdict {
	enum tk_verify_status status;  /* FAILED iff a reason is FAIL */
	enum tk_profile profile;       /* the profile the path was judged by */
	bool profile_auto;             /* chosen by --profile auto */
	unsigned gnutls_status;  /* the raw bits, for --debug */
	struct tk_reason reasons[TK_REASONS_MAX];
	size_t n;
};

/* "ok", "failed", "skipped", "not-done" */
const char *tk_verify_status_name(enum tk_verify_status s);

/*
 * Findings: what every client tool reports about a chain, each with a
 * stable code from lib/codes.c.  A FAIL finding makes the exit code 1, a
 * WARN one 5 (unless something failed).
 */
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

#define TK_MIN_RSA_BITS 2048

/* One line: "name mismatch: ...; expired: ..." */
void tk_verdict_summary(const struct tk_verdict *v, char *buf, size_t len);

/* One line of the findings of severity sev: "code: message; ..." */
void tk_findings_summary(const struct tk_findings *fs, enum tk_severity sev,
    char *buf, size_t len);

#endif
