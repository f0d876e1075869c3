/*
 * The renderers of a struct tk_result (lib/result.h): text, JSON and
 * --nagios.  They only read the struct: they never call GnuTLS, never add
 * a finding and never decide a verdict (tk_result_finish() did).  Strings
 * from peers are escaped in both formats (control bytes and invalid UTF-8
 * become \xNN in text; JSON gets valid UTF-8, control bytes as \u001b,
 * each invalid byte as U+FFFD).
 */
#ifndef TK_REPORT_H
#define TK_REPORT_H

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>

#include "err.h"
#include "result.h"

/*
 * The JSON object of a result, for a tool to add its own fields before
 * tk_report_json_write(): new keys go after the common ones, a key set
 * again keeps its place.  The caller owns it (json_decref()).  NULL when
 * out of memory.
 */
json_t *tk_report_json_object(const struct tk_result *r);

/*
 * Writes o (borrowed) as one compact line, keys in their order, and
 * flushes.  Returns 0, or -1 when jansson failed (a later write error
 * of out shows in ferror(), as for any stream).
 */
int tk_report_json_write(const json_t *o, FILE *out);

/*
 * A JSON string of peer bytes (s, len): valid UTF-8 whose control bytes
 * jansson escapes (\u001b), invalid bytes as U+FFFD (tk_escape_json()).
 */
json_t *tk_report_json_str(const char *s, size_t len);

/* Both at once: one JSON object on one line.  0, or -1 (out of mem). */
int tk_report_json(const struct tk_result *r, FILE *out);

/* The -v session summary: version, cipher, group, ALPN, chain. */
void tk_report_text_session(const struct tk_result *r, FILE *out);

/*
 * tls-check-cert's text: a verdict line (the word of r->outcome, the
 * target and the main reason), then unless brief the chain, every
 * finding and the session.
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
 * --nagios: one status line with perfdata for all results; the plugin
 * exit code is the worst tk_result_nagios() of them (0 OK, 1 WARNING,
 * 2 CRITICAL, 3 UNKNOWN).  Results are added as they come and need not
 * be kept: the summary holds the text about the worst one and each
 * target's leaf days left (8 bytes a target, for the perfdata).
 */
#define TK_NAGIOS_NO_DAYS LONG_MIN
#define TK_NAGIOS_LABEL_MAX 200  /* bytes of a perfdata label's target */
struct tk_nagios {
	size_t n, bad;
	int code;
	enum tk_class worst;   /* of the first bad result of the worst class */
	char msg[1200];        /* the text about that result */
	char first[1200];      /* a good first result's expiry */
	bool any_chain;
	long *days;            /* per target; TK_NAGIOS_NO_DAYS: no chain */
	size_t cap;
	/* the target of each entry of days with a chain, in order, each
	 * NUL-terminated: the perfdata label of several targets */
	char *labels;
	size_t labels_len, labels_cap;
};

void tk_nagios_init(struct tk_nagios *ns);
/* -1 when out of memory. */
int tk_nagios_add(struct tk_nagios *ns, const struct tk_result *r);
/*
 * Prints the line; returns the plugin exit code.  The perfdata follow the
 * Monitoring Plugins guidelines: 'days'=DAYS;WARN:;CRIT:;0; with a
 * threshold left empty when it is off (0); with several targets each
 * label names its target ('host:port_days').
 */
int tk_nagios_print(const struct tk_nagios *ns, unsigned warn_days,
    unsigned crit_days, FILE *out);
void tk_nagios_release(struct tk_nagios *ns);

/*
 * The last line of a text run over several targets or addresses:
 * "N targets: x ok, y warning, z failed" (ERROR counts as failed).
 */
struct tk_tally {
	size_t n, ok, warn;
};

void tk_tally_add(struct tk_tally *t, enum tk_class cls);
/* Prints the line when more than one was added; noun is "targets" or
 * "addresses". */
void tk_tally_print(const struct tk_tally *t, const char *noun, FILE *out);

/* The same for results at hand. */
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

#endif
