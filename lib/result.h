/*
 * The result of one operation as plain data, and its one verdict.  conn
 * and the tools fill it; tk_result_finish() decides the verdict once; the
 * renderers of lib/report.h, the Nagios state and the exit code all read
 * that one field (man/tlskit.7, "VERDICTS").  Nothing here prints.
 */
#ifndef TK_RESULT_H
#define TK_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "certcheck.h"
#include "certinfo.h"
#include "err.h"
#include "fixchain.h"
#include "tls.h"
#include "verify.h"

struct tk_starttls;

struct tk_echo_stats {
	bool used;
	uint64_t bytes_sent, bytes_received;
	bool match;
	uint64_t mismatch_at;   /* first differing byte, when !match */
};

struct tk_load_stats {
	bool used;
	uint64_t count, size;
	double seconds, mbps;
	double rtt_p50_ms, rtt_p90_ms, rtt_p99_ms;
};

/*
 * The verdict on one target: text shows tk_outcome_word(), JSON's
 * "verdict" tk_outcome_name().  The exit code stays the class's.
 */
enum tk_outcome {
	TK_OUTCOME_OK,       /* judged, nothing wrong (exit 0) */
	TK_OUTCOME_WARNING,  /* judged, warnings only (exit 5) */
	TK_OUTCOME_FAIL,     /* judged and found failing (exit 1) */
	TK_OUTCOME_ERROR,    /* not judged: network, TLS, usage or internal
			      * error (exit 3, 4, 2, 70) */
	TK_OUTCOME_SKIPPED,  /* --insecure: judged and reported, not held
			      * against the server */
};

/*
 * The STARTTLS dialogue, copied out of the dialogue object when it ends
 * (tk_result_keep_dialogue()).  Bounded: at most TK_DIALOGUE_LINES_MAX
 * lines (the rest counted in dropped), TK_DIALOGUE_CAPS_MAX capabilities
 * per phase, TK_DIALOGUE_TEXT_MAX bytes per line, capability and answer;
 * one allocation sized to what was kept, under 85 KiB at the very most.
 * The bounds are at least starttls's own, so nothing it kept is lost.
 * Every string is the peer's bytes: escape them.
 */
#define TK_DIALOGUE_LINES_MAX 256
#define TK_DIALOGUE_CAPS_MAX 64
#define TK_DIALOGUE_TEXT_MAX 200

struct tk_dialogue_line {
	uint64_t t_us;        /* since the dialogue began */
	bool client;          /* we sent it */
	bool tls;             /* inside TLS */
	const char *text;
};

struct tk_dialogue {
	int advertised;       /* STARTTLS advertised: 1, 0, -1 unknown */
	const char *answer;   /* the answer to STARTTLS; NULL: none */
	const char *const *caps_before;  /* NULL-terminated */
	const char *const *caps_after;   /* inside TLS; NULL-terminated */
	const struct tk_dialogue_line *lines;
	size_t nlines;
	size_t dropped;       /* lines not kept */
};

struct tk_result {
	const char *tool;
	char target[512];       /* as given */
	char label[256];        /* a targets-file line's comment, "" if none */
	char address[64];       /* connected to, "" if none */
	char hostname[256];     /* name verified, "" if none */
	char sni[256];          /* sent, "" if none */
	uint64_t t_resolve_us, t_connect_us, t_starttls_us, t_handshake_us,
	    t_after_us, t_total_us;
	bool handshake_done;
	struct tk_tls_info tls;
	char starttls[16];
	char transcript[1024];  /* the short form, for -v */
	/* the dialogue (owned; NULL without STARTTLS) */
	struct tk_dialogue *dialogue;
	size_t injected_bytes;  /* plaintext after the go-ahead, discarded */
	struct tk_injection {
		bool checked;       /* --check-injection */
		bool vulnerable;    /* the probe was answered inside TLS */
		char evidence[200]; /* the answer's first line (peer bytes) */
		bool retried;       /* the probe broke the handshake: again
				     * without it, for the session */
		char detail[300];   /* how the handshake with the probe ended */
	} injection;
	struct tk_chain chain;  /* owned */
	struct tk_verdict verdict;
	bool checked;           /* tls-check-cert: findings and ocsp filled */
	struct tk_findings findings;
	struct tk_ocsp_info ocsp;
	struct tk_echo_stats echo;
	struct tk_load_stats load;
	struct tk_err err;      /* cls OK when nothing failed */
	enum tk_class cls;      /* the outcome (exit code class) */
	enum tk_outcome outcome;  /* tk_result_finish() */
	/* tls-check-cert --all-addresses: one of the addresses of a name */
	struct tk_addr_group {
		size_t count;         /* addresses checked; 0: not used */
		size_t certificates;  /* distinct leaf certificates seen */
		size_t failed;        /* addresses that showed none */
	} group;
	/* tls-check-cert --fix-chain (owned; NULL when not asked) */
	struct tk_fixed_chain *fixed;
};

/*
 * An empty result for target: a target's text as the runner keeps it,
 * its comment (after TK_TARGET_LABEL_SEP) into r->label, blanks before it
 * left out of r->target.
 */
void tk_result_init(struct tk_result *r, const char *tool,
    const char *target);
void tk_result_release(struct tk_result *r);

/*
 * Copies what the renderers show of a finished dialogue (st borrowed;
 * NULL keeps none) into r->dialogue, replacing an earlier copy.  Returns
 * 0, or -1 with err (INTERNAL: out of memory) and r->dialogue NULL.
 */
int tk_result_keep_dialogue(struct tk_result *r, const struct tk_starttls *st,
    struct tk_err *err);

/*
 * Adds the findings of the STARTTLS dialogue, next to the certificate's:
 * plaintext after the go-ahead (starttls-plaintext-injected) and an
 * answered injection probe (starttls-command-injection), both FAIL.
 */
void tk_result_starttls_findings(struct tk_result *r);

/* The step a finding belongs to: "starttls" or "verify". */
const char *tk_result_finding_step(const struct tk_finding *f);

/*
 * The finding that explains the outcome best: the first FAIL held against
 * the server (under --insecure only a STARTTLS one is), then the first
 * FAIL, then the first WARN; NULL when there is none.
 */
const struct tk_finding *tk_result_main_finding(const struct tk_result *r);

/*
 * Decides r->outcome from r->cls, r->checked and r->verdict.status, the
 * first rule that applies winning: a NET, TLS, USAGE or INTERNAL class is
 * ERROR; CHECK is FAIL; a result never checked is ERROR; --insecure's
 * skipped verification is SKIPPED; WARN is WARNING; OK is OK.  Whoever
 * changes cls, checked or the verification afterwards calls it again.
 */
void tk_result_finish(struct tk_result *r);

/* "OK", "WARNING", "FAIL", "ERROR", "SKIPPED": the text's word. */
const char *tk_outcome_word(enum tk_outcome o);
/* "ok", "warning", "fail", "error", "skipped": JSON's "verdict". */
const char *tk_outcome_name(enum tk_outcome o);

/*
 * The Nagios plugin state of a finished result: 0 OK (OK, SKIPPED),
 * 1 WARNING, 2 CRITICAL (FAIL; ERROR of class NET or TLS: the service is
 * down for its users), 3 UNKNOWN (any other ERROR: usage, internal).
 */
int tk_result_nagios(const struct tk_result *r);
/* "OK", "WARNING", "CRITICAL", "UNKNOWN" for a plugin state 0-3. */
const char *tk_result_nagios_name(int state);

/* The exit code: the class's (tk_err_exit_code(r->cls)). */
int tk_result_exit_code(const struct tk_result *r);

#endif
