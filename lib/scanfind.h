/*
 * The judgement of a scan (tls-scan): its findings, with codes from the
 * one table (lib/codes.c, group "Server configuration"), and the --require
 * rules a CI job asserts.  Pure: reads a finished struct tk_scan_res.
 */
#ifndef TK_SCANFIND_H
#define TK_SCANFIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "findings.h"
#include "scan.h"

#define TK_SCANFIND_RULES_MAX 32

enum tk_scanfind_kind {
	TK_RULE_MIN_VERSION,      /* min-version=1.2: nothing older */
	TK_RULE_FORWARD_SECRECY,  /* forward-secrecy: every suite FS */
	TK_RULE_AEAD,             /* aead-only: every suite AEAD */
	TK_RULE_TLS13,            /* tls13: TLS 1.3 accepted */
	TK_RULE_SERVER_ORDER,     /* server-order: every version */
	TK_RULE_MAX_SEVERITY,     /* max-severity=info|warning */
	TK_RULE_NO_FINDING,       /* no-finding=CODE */
};

struct tk_scanfind_rule {
	enum tk_scanfind_kind kind;
	uint16_t version;         /* MIN_VERSION: the wire value */
	int sev;                  /* MAX_SEVERITY: enum tk_severity */
	char code[48];            /* NO_FINDING */
	char text[64];            /* the rule as given, normalized */
};

struct tk_scanfind_rules {
	struct tk_scanfind_rule r[TK_SCANFIND_RULES_MAX];
	size_t n;
};

/*
 * Parses --require values (each a comma-separated list of rules) into
 * out.  0, or -1 with err (USAGE) naming the bad rule.
 */
int tk_scanfind_parse(const char *const *args, size_t n,
    struct tk_scanfind_rules *out, struct tk_err *err);

/* The scan's findings, added to fs (judged by fs's judging). */
void tk_scanfind_judge(const struct tk_scan_res *res, struct tk_findings *fs);

/* A rule's outcome. */
struct tk_scanfind_outcome {
	bool met;
	char why[256];            /* not met: what broke it */
};

/* Each rule of rules against res and all its findings, into out[]. */
void tk_scanfind_require(const struct tk_scan_res *res,
    const struct tk_findings *all, const struct tk_scanfind_rules *rules,
    struct tk_scanfind_outcome *out);

/* The list of rules for --help and the man page. */
#define TK_SCANFIND_RULES_HELP                                               \
	"min-version=1.2, forward-secrecy, aead-only, tls13, server-order, " \
	"max-severity=info|warning, no-finding=CODE"

#endif
