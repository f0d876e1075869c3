/*
 * The result of one operation and its two renderers.  Renderers only read
 * the struct: they never call GnuTLS and never decide a verdict.  Strings
 * from peers are escaped in both formats (control bytes and invalid UTF-8
 * become \xNN in text; JSON gets valid UTF-8 with the same escapes).
 */
#ifndef TK_REPORT_H
#define TK_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "certcheck.h"
#include "certinfo.h"
#include "err.h"
#include "fixchain.h"
#include "starttls.h"
#include "tls.h"
#include "verify.h"

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

struct tk_result {
	const char *tool;
	char target[512];       /* as given */
	char address[64];       /* connected to, "" if none */
	char hostname[256];     /* name verified, "" if none */
	char sni[256];          /* sent, "" if none */
	uint64_t t_resolve_us, t_connect_us, t_starttls_us, t_handshake_us,
	    t_after_us, t_total_us;
	bool handshake_done;
	struct tk_tls_info tls;
	char starttls[16];
	char transcript[1024];  /* the short form, for -v */
	/* the dialogue (owned; NULL without STARTTLS): lines, caps, answer */
	struct tk_starttls *st;
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
	bool verdict_always;    /* JSON: "verdict": "error" when not checked */
	struct tk_findings findings;
	struct tk_ocsp_info ocsp;
	struct tk_echo_stats echo;
	struct tk_load_stats load;
	struct tk_err err;      /* cls OK when nothing failed */
	enum tk_class cls;      /* the outcome (exit code class) */
	/* tls-check-cert --all-addresses: one of the addresses of a name */
	struct tk_addr_group {
		size_t count;         /* addresses checked; 0: not used */
		size_t certificates;  /* distinct leaf certificates seen */
		size_t failed;        /* addresses that showed none */
	} group;
	/* tls-check-cert --fix-chain (owned; NULL when not asked) */
	struct tk_fixed_chain *fixed;
};

void tk_result_init(struct tk_result *r, const char *tool,
    const char *target);
void tk_result_release(struct tk_result *r);

/* One JSON object on one line (jansson).  Returns 0 or -1 (out of mem). */
int tk_report_json(const struct tk_result *r, FILE *out);

/* The -v session summary: version, cipher, group, ALPN, chain. */
void tk_report_text_session(const struct tk_result *r, FILE *out);

/*
 * tls-check-cert's text: a verdict line (OK / WARNING / FAIL, the target
 * and the main reason), then unless brief the chain, every finding and
 * the session.
 */
void tk_report_text_check(const struct tk_result *r, bool brief,
    bool color, FILE *out);

/*
 * The STARTTLS section of tk_report_text_check(): protocol, whether it
 * was advertised, the server's answer, the capabilities before and inside
 * TLS, plaintext injected and the injection probe.  Nothing without one.
 */
void tk_report_text_starttls(const struct tk_result *r, FILE *out);

/* The plaintext dialogue line by line ("  12.3 ms S: 220 ..."), for -v. */
void tk_report_text_transcript(const struct tk_result *r, FILE *out);

/*
 * Adds the findings of the STARTTLS dialogue, next to the certificate's:
 * plaintext after the go-ahead (starttls-plaintext-injected) and an
 * answered injection probe (starttls-command-injection), both FAIL.
 */
void tk_result_starttls_findings(struct tk_result *r);

/* The step a finding belongs to: "starttls" or "verify". */
const char *tk_finding_step(const struct tk_finding *f);

/* The finding that explains the outcome best (first FAIL, then WARN). */
const struct tk_finding *tk_report_main_finding(const struct tk_result *r);

/*
 * --nagios: one status line with perfdata for all results; returns the
 * plugin exit code (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).
 */
int tk_report_nagios(const struct tk_result *const *rs, size_t n,
    unsigned warn_days, unsigned crit_days, FILE *out);

/*
 * The chain's warnings, one "tool: target: verify: warning: code: message"
 * line each, for stderr (the client tools without --json).
 */
void tk_report_warnings(const char *tool, const struct tk_result *r,
    FILE *out);

/* "tool: target: step: message" on one line, for stderr. */
void tk_report_error_line(const char *tool, const char *target,
    const struct tk_err *err, FILE *out);

/*
 * Escapes untrusted bytes: printable ASCII and valid UTF-8 pass, control
 * bytes, DEL and invalid UTF-8 become \xNN, a backslash becomes \\.
 * Always NUL-terminates; truncates at a character boundary.
 */
void tk_escape(const char *in, size_t inlen, char *out, size_t outlen);

#endif
