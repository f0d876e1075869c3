/*
 * The verdict: a list of named reasons, each with its severity.  The
 * findings every tool reports are lib/findings.h's, included here for the
 * modules that carry both.  Verification itself is lib/chainval.c and
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
#include "findings.h"

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

#define TK_MIN_RSA_BITS 2048

#endif
