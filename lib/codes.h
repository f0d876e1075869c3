/*
 * The one table of finding codes: every code any tool can report, its
 * step, its default severity, the rule set it comes from and a one-line
 * description.  The verification engine (chainval, certcheck), --ignore,
 * the renderers and the man pages' FINDINGS sections (tk-gendoc) all read
 * it, so a code means the same thing everywhere (docs/verification.md).
 */
#ifndef TK_CODES_H
#define TK_CODES_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

enum tk_severity { TK_SEV_INFO, TK_SEV_WARN, TK_SEV_FAIL };

/*
 * Which rules judge a chain.  WEB: RFC 5280 and RFC 6125 plus the CA/Browser
 * Forum Baseline Requirements (public web PKI).  RFC5280: RFC 5280 and RFC
 * 6125 only; BR-only findings are shown as info.  AUTO resolves per path:
 * WEB when its trust anchor came from the system store, RFC5280 when it
 * came from the user's own --ca.
 */
enum tk_profile { TK_PROFILE_AUTO, TK_PROFILE_WEB, TK_PROFILE_RFC5280 };

/* Where a rule comes from, which decides whether a profile applies it. */
enum tk_scope {
	TK_SCOPE_RFC,    /* RFC 5280 / RFC 6125 / TLS RFCs: every profile */
	TK_SCOPE_BR,     /* CA/Browser Forum BR: the web profile only */
	TK_SCOPE_TLSKIT, /* tlskit's own judgement (strength, served chain) */
};

/* The part of the check a code belongs to, for the man pages. */
enum tk_code_group {
	TK_GROUP_PATH,      /* path validation (lib/chainval.c) */
	TK_GROUP_CHAIN,     /* the chain as served */
	TK_GROUP_TIME,      /* expiry thresholds */
	TK_GROUP_STRENGTH,  /* keys and signature algorithms */
	TK_GROUP_OCSP,      /* the stapled OCSP response */
	TK_GROUP_STARTTLS,  /* the plaintext dialogue */
	TK_GROUP_TARGET,    /* several addresses of one name */
	TK_GROUP_CONFIG,    /* the server's configuration (tls-scan) */
};

struct tk_code {
	const char *code;
	enum tk_code_group group;
	enum tk_severity sev;    /* the default severity */
	enum tk_scope scope;
	const char *summary;     /* one sentence, plain words */
};

#define TK_CODES_MAX 96

extern const struct tk_code tk_codes[];
extern const size_t tk_codes_count;

/* The entry of a code, or NULL. */
const struct tk_code *tk_code_find(const char *code);
/* Its index in tk_codes[], or -1. */
int tk_code_index(const char *code);

/* "web", "rfc5280", "auto" */
const char *tk_profile_name(enum tk_profile p);
/* "info", "warning", "fail" */
const char *tk_severity_name(enum tk_severity s);
/* The heading of a group in the man pages. */
const char *tk_code_group_name(enum tk_code_group g);

/*
 * How the user wants findings judged: the profile and the codes demoted to
 * info by --ignore (by tk_codes[] index).  A plain value, copied freely.
 */
struct tk_judging {
	enum tk_profile profile;
	bool ignore[TK_CODES_MAX];
};

/* Why a finding's severity is not its default one. */
enum tk_demotion { TK_DEMOTED_NONE, TK_DEMOTED_PROFILE, TK_DEMOTED_IGNORE };

/* "", "profile", "ignore" */
const char *tk_demotion_name(enum tk_demotion d);

/*
 * The severity code gets under j (profile is WEB or RFC5280 here, never
 * AUTO), starting from sev: BR-scoped codes are info under RFC5280, and
 * ignored codes are info.  *why (may be NULL) says which demoted it.
 */
enum tk_severity tk_judging_severity(const struct tk_judging *j,
    enum tk_profile profile, const char *code, enum tk_severity sev,
    enum tk_demotion *why);

/*
 * --ignore CODE[,CODE]: marks each code in j->ignore.  An unknown code is
 * a USAGE error naming it.  Returns 0 or -1 with err.
 */
int tk_judging_ignore(struct tk_judging *j, const char *list,
    struct tk_err *err);

#endif
