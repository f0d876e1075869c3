#include "result.h"

#include <stdalign.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codes.h"
#include "starttls.h"
#include "target.h"

#include "banned.h"

/* The copy keeps all that the dialogue itself keeps (see result.h). */
_Static_assert(TK_DIALOGUE_LINES_MAX >= TK_STARTTLS_LOG_MAX,
    "the dialogue copy drops lines starttls kept");
_Static_assert(TK_DIALOGUE_CAPS_MAX >= TK_STARTTLS_CAPS_MAX,
    "the dialogue copy drops capabilities starttls kept");
_Static_assert(TK_DIALOGUE_TEXT_MAX >= TK_STARTTLS_CAP_LEN,
    "the dialogue copy cuts lines starttls kept whole");

void
tk_result_init(struct tk_result *r, const char *tool, const char *target)
{
	memset(r, 0, sizeof(*r));
	r->tool = tool;
	size_t n = strcspn(target, TK_TARGET_LABEL_SEP);

	if (target[n] != '\0') {
		snprintf(r->label, sizeof(r->label), "%s", target + n + 1);
	}
	while (n > 0 && (target[n - 1] == ' ' || target[n - 1] == '\t')) {
		n--;
	}
	snprintf(r->target, sizeof(r->target), "%.*s", (int)n, target);
	tk_err_clear(&r->err);
	r->cls = TK_OK;
	tk_result_finish(r);
}

void
tk_result_release(struct tk_result *r)
{
	tk_fixchain_free(r->fixed);
	r->fixed = NULL;
	tk_chain_clear(&r->chain);
	free(r->dialogue);
	r->dialogue = NULL;
}

/* The kept length of a peer string: at most TK_DIALOGUE_TEXT_MAX bytes. */
static size_t
text_len(const char *s)
{
	return s == NULL ? 0 : strnlen(s, TK_DIALOGUE_TEXT_MAX);
}

static size_t
caps_count(const char *const *caps)
{
	size_t n = 0;

	while (caps != NULL && caps[n] != NULL && n < TK_DIALOGUE_CAPS_MAX) {
		n++;
	}
	return n;
}

/* Copies s (len bytes) to *pool, NUL-terminated; returns the copy. */
static const char *
pool_str(char **pool, const char *s, size_t len)
{
	char *p = *pool;

	memcpy(p, s, len);
	p[len] = '\0';
	*pool += len + 1;
	return p;
}

static const char *const *
copy_caps(const char **to, const char *const *caps, size_t n, char **pool)
{
	for (size_t i = 0; i < n; i++) {
		to[i] = pool_str(pool, caps[i], text_len(caps[i]));
	}
	to[n] = NULL;
	return to;
}

/*
 * One allocation: the struct, the lines, both NULL-terminated capability
 * arrays, then every string.  The struct and the arrays keep the
 * alignment of what follows them (their sizes are multiples of it).
 */
int
tk_result_keep_dialogue(struct tk_result *r, const struct tk_starttls *st,
    struct tk_err *err)
{
	const struct tk_starttls_line *l;
	const char *const *caps[2];
	const char *answer;
	size_t n, dropped, ncaps[2], size;
	struct tk_dialogue *d;
	struct tk_dialogue_line *lines;
	const char **cv;
	char *pool;

	free(r->dialogue);
	r->dialogue = NULL;
	if (st == NULL) {
		return 0;
	}
	l = tk_starttls_lines(st, &n, &dropped);
	if (n > TK_DIALOGUE_LINES_MAX) {
		dropped += n - TK_DIALOGUE_LINES_MAX;
		n = TK_DIALOGUE_LINES_MAX;
	}
	caps[0] = tk_starttls_caps(st);
	caps[1] = tk_starttls_caps_after(st);
	answer = tk_starttls_answer(st);
	ncaps[0] = caps_count(caps[0]);
	ncaps[1] = caps_count(caps[1]);
	size = sizeof(*d) + n * sizeof(*lines) +
	    (ncaps[0] + 1 + ncaps[1] + 1) * sizeof(*cv);
	for (size_t i = 0; i < n; i++) {
		size += text_len(l[i].text) + 1;
	}
	for (size_t k = 0; k < 2; k++) {
		for (size_t i = 0; i < ncaps[k]; i++) {
			size += text_len(caps[k][i]) + 1;
		}
	}
	size += text_len(answer) + 1;
	_Static_assert(sizeof(struct tk_dialogue) %
	    alignof(struct tk_dialogue_line) == 0, "layout");
	_Static_assert(sizeof(struct tk_dialogue_line) %
	    alignof(const char *) == 0, "layout");
	d = malloc(size);
	if (d == NULL) {
		tk_err_set(err, TK_INTERNAL, "starttls", "out of memory");
		return -1;
	}
	lines = (struct tk_dialogue_line *)(void *)(d + 1);
	cv = (const char **)(void *)(lines + n);
	pool = (char *)(cv + ncaps[0] + 1 + ncaps[1] + 1);
	d->advertised = tk_starttls_advertised(st);
	d->answer = answer != NULL ?
	    pool_str(&pool, answer, text_len(answer)) : NULL;
	d->caps_before = copy_caps(cv, caps[0], ncaps[0], &pool);
	d->caps_after = copy_caps(cv + ncaps[0] + 1, caps[1], ncaps[1],
	    &pool);
	for (size_t i = 0; i < n; i++) {
		lines[i].t_us = l[i].t_us;
		lines[i].client = l[i].client;
		lines[i].tls = l[i].tls;
		lines[i].text = pool_str(&pool, l[i].text,
		    text_len(l[i].text));
	}
	d->lines = lines;
	d->nlines = n;
	d->dropped = dropped;
	r->dialogue = d;
	return 0;
}

void
tk_result_starttls_findings(struct tk_result *r)
{
	if (r->injected_bytes > 0) {
		tk_findings_add(&r->findings, "starttls-plaintext-injected",
		    TK_SEV_FAIL, "the server sent %zu bytes of plaintext after "
		    "its go-ahead and before TLS (discarded; a careless client "
		    "would read them as if they came over TLS)",
		    r->injected_bytes);
	}
	if (r->injection.vulnerable) {
		/* the peer's bytes as they came: the renderers escape a
		 * finding's message, text and JSON each its own way */
		tk_findings_add(&r->findings, "starttls-command-injection",
		    TK_SEV_FAIL, "the server answered inside TLS a command "
		    "sent in plaintext with STARTTLS ('%s'): CVE-2011-0411 "
		    "command injection", r->injection.evidence);
	}
}

const char *
tk_result_finding_step(const struct tk_finding *f)
{
	return strncmp(f->code, "starttls-", 9) == 0 ? "starttls" : "verify";
}

/*
 * Whether a finding counts against the server: under --insecure (the
 * verdict skipped) the chain's do not, only the dialogue's
 * (man/tlskit.7, VERDICTS: SKIPPED).
 */
static bool
held(const struct tk_result *r, const struct tk_finding *f)
{
	const struct tk_code *c;

	if (r->verdict.status != TK_VERIFY_SKIPPED) {
		return true;
	}
	c = tk_code_find(f->code);
	return c != NULL && c->group == TK_GROUP_STARTTLS;
}

const struct tk_finding *
tk_result_main_finding(const struct tk_result *r)
{
	/* a failure held against the server first: under --insecure the
	 * chain's would name a failure that is not the verdict's */
	for (size_t i = 0; i < r->findings.n; i++) {
		if (r->findings.f[i].sev == TK_SEV_FAIL &&
		    held(r, &r->findings.f[i])) {
			return &r->findings.f[i];
		}
	}
	for (size_t i = 0; i < r->findings.n; i++) {
		if (r->findings.f[i].sev == TK_SEV_FAIL) {
			return &r->findings.f[i];
		}
	}
	for (size_t i = 0; i < r->findings.n; i++) {
		if (r->findings.f[i].sev == TK_SEV_WARN) {
			return &r->findings.f[i];
		}
	}
	return NULL;
}

void
tk_result_finish(struct tk_result *r)
{
	switch (r->cls) {
	case TK_NET:
	case TK_TLS:
	case TK_USAGE:
	case TK_INTERNAL:
		r->outcome = TK_OUTCOME_ERROR;
		return;
	case TK_CHECK:
		/* also under --insecure: what failed is not the chain
		 * (a command refused inside TLS) */
		r->outcome = TK_OUTCOME_FAIL;
		return;
	case TK_WARN:
	case TK_OK:
		break;
	}
	if (!r->checked) {
		/* nothing was judged: no verdict to give */
		r->outcome = TK_OUTCOME_ERROR;
	} else if (r->verdict.status == TK_VERIFY_SKIPPED) {
		r->outcome = TK_OUTCOME_SKIPPED;
	} else {
		r->outcome = r->cls == TK_WARN ? TK_OUTCOME_WARNING :
		    TK_OUTCOME_OK;
	}
}

const char *
tk_outcome_word(enum tk_outcome o)
{
	switch (o) {
	case TK_OUTCOME_OK:
		return "OK";
	case TK_OUTCOME_WARNING:
		return "WARNING";
	case TK_OUTCOME_FAIL:
		return "FAIL";
	case TK_OUTCOME_ERROR:
		return "ERROR";
	case TK_OUTCOME_SKIPPED:
		return "SKIPPED";
	}
	return "ERROR";
}

const char *
tk_outcome_name(enum tk_outcome o)
{
	switch (o) {
	case TK_OUTCOME_OK:
		return "ok";
	case TK_OUTCOME_WARNING:
		return "warning";
	case TK_OUTCOME_FAIL:
		return "fail";
	case TK_OUTCOME_ERROR:
		return "error";
	case TK_OUTCOME_SKIPPED:
		return "skipped";
	}
	return "error";
}

int
tk_result_nagios(const struct tk_result *r)
{
	switch (r->outcome) {
	case TK_OUTCOME_OK:
	case TK_OUTCOME_SKIPPED:
		return 0;
	case TK_OUTCOME_WARNING:
		return 1;
	case TK_OUTCOME_FAIL:
		return 2;
	case TK_OUTCOME_ERROR:
		/* unreachable or broken TLS is down for its users, as for
		 * the monitoring plugins' own check_tcp; bad input or a
		 * failure of ours says nothing about the server */
		return r->cls == TK_NET || r->cls == TK_TLS ? 2 : 3;
	}
	return 3;
}

const char *
tk_result_nagios_name(int state)
{
	static const char *const names[] = {"OK", "WARNING", "CRITICAL",
	    "UNKNOWN"};

	return state >= 0 && state <= 3 ? names[state] : "UNKNOWN";
}

int
tk_result_exit_code(const struct tk_result *r)
{
	return tk_err_exit_code(r->cls);
}
