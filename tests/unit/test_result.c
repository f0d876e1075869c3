/*
 * Unit tests for lib/result.h: the one verdict (every class, checked or
 * not, every verification status) and what derives from it (the text
 * word, JSON's value, the Nagios state, the exit code); the copy of a
 * STARTTLS dialogue; the STARTTLS findings and the main finding.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "result.h"
#include "starttls.h"
#include "tls.h"

#include "tk_test.h"

static const enum tk_class classes[] = {TK_OK, TK_WARN, TK_CHECK, TK_TLS,
    TK_NET, TK_USAGE, TK_INTERNAL};
static const enum tk_verify_status statuses[] = {TK_VERIFY_NOT_DONE,
    TK_VERIFY_OK, TK_VERIFY_FAILED, TK_VERIFY_SKIPPED};

#define NCLASSES (sizeof(classes) / sizeof(classes[0]))
#define NSTATUSES (sizeof(statuses) / sizeof(statuses[0]))

/*
 * The mapping of man/tlskit.7, "VERDICTS", written out: one row per
 * class, the verdict when checked with the chain's verification OK, when
 * checked under --insecure (SKIPPED), and when never checked.
 */
static const struct {
	enum tk_class cls;
	enum tk_outcome checked, insecure, unchecked;
	int nagios_checked;
	int exit_code;
} rows[] = {
	{TK_OK, TK_OUTCOME_OK, TK_OUTCOME_SKIPPED, TK_OUTCOME_ERROR, 0, 0},
	{TK_WARN, TK_OUTCOME_WARNING, TK_OUTCOME_SKIPPED, TK_OUTCOME_ERROR,
	    1, 5},
	{TK_CHECK, TK_OUTCOME_FAIL, TK_OUTCOME_FAIL, TK_OUTCOME_FAIL, 2, 1},
	{TK_TLS, TK_OUTCOME_ERROR, TK_OUTCOME_ERROR, TK_OUTCOME_ERROR, 2, 4},
	{TK_NET, TK_OUTCOME_ERROR, TK_OUTCOME_ERROR, TK_OUTCOME_ERROR, 2, 3},
	{TK_USAGE, TK_OUTCOME_ERROR, TK_OUTCOME_ERROR, TK_OUTCOME_ERROR, 3,
	    2},
	{TK_INTERNAL, TK_OUTCOME_ERROR, TK_OUTCOME_ERROR, TK_OUTCOME_ERROR, 3,
	    70},
};

static const struct {
	enum tk_outcome o;
	const char *word, *name;
} words[] = {
	{TK_OUTCOME_OK, "OK", "ok"},
	{TK_OUTCOME_WARNING, "WARNING", "warning"},
	{TK_OUTCOME_FAIL, "FAIL", "fail"},
	{TK_OUTCOME_ERROR, "ERROR", "error"},
	{TK_OUTCOME_SKIPPED, "SKIPPED", "skipped"},
};

static enum tk_outcome
decide(enum tk_class cls, bool checked, enum tk_verify_status st)
{
	struct tk_result r;
	enum tk_outcome o;

	tk_result_init(&r, "tls-check-cert", "example.org:443");
	r.cls = cls;
	r.checked = checked;
	r.verdict.status = st;
	tk_result_finish(&r);
	o = r.outcome;
	tk_result_release(&r);
	return o;
}

static void
test_rows(void)
{
	EXPECT_EQ_SIZE(sizeof(rows) / sizeof(rows[0]), NCLASSES);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct tk_result r;

		TK_CASE(tk_class_name(rows[i].cls));
		EXPECT_EQ_INT(decide(rows[i].cls, true, TK_VERIFY_OK),
		    rows[i].checked);
		EXPECT_EQ_INT(decide(rows[i].cls, true, TK_VERIFY_FAILED),
		    rows[i].checked);
		EXPECT_EQ_INT(decide(rows[i].cls, true, TK_VERIFY_SKIPPED),
		    rows[i].insecure);
		EXPECT_EQ_INT(decide(rows[i].cls, false, TK_VERIFY_NOT_DONE),
		    rows[i].unchecked);
		tk_result_init(&r, "tls-check-cert", "example.org:443");
		r.cls = rows[i].cls;
		r.checked = true;
		r.verdict.status = TK_VERIFY_OK;
		tk_result_finish(&r);
		EXPECT_EQ_INT(tk_result_nagios(&r), rows[i].nagios_checked);
		EXPECT_EQ_INT(tk_result_exit_code(&r), rows[i].exit_code);
		tk_result_release(&r);
	}
	TK_CASE(NULL);
}

/*
 * Every class x checked x verification status: the verdict is one of
 * the five, its words are each other's case, the exit code is always the
 * class's, and the Nagios state follows the verdict.
 */
static void
test_exhaustive(void)
{
	for (size_t c = 0; c < NCLASSES; c++) {
		for (size_t s = 0; s < NSTATUSES; s++) {
			for (int checked = 0; checked < 2; checked++) {
				struct tk_result r;
				char lower[16];
				const char *w;
				int nag;

				TK_CASE(tk_class_name(classes[c]));
				tk_result_init(&r, "tls-starttls", "x");
				r.cls = classes[c];
				r.checked = checked;
				r.verdict.status = statuses[s];
				tk_result_finish(&r);
				w = tk_outcome_word(r.outcome);
				for (size_t k = 0; k <= strlen(w) &&
				    k < sizeof(lower); k++) {
					lower[k] = (char)(w[k] >= 'A' &&
					    w[k] <= 'Z' ? w[k] + 32 : w[k]);
				}
				EXPECT_EQ_STR(tk_outcome_name(r.outcome),
				    lower);
				EXPECT_EQ_INT(tk_result_exit_code(&r),
				    tk_err_exit_code(classes[c]));
				nag = tk_result_nagios(&r);
				switch (r.outcome) {
				case TK_OUTCOME_OK:
				case TK_OUTCOME_SKIPPED:
					EXPECT_EQ_INT(nag, 0);
					break;
				case TK_OUTCOME_WARNING:
					EXPECT_EQ_INT(nag, 1);
					break;
				case TK_OUTCOME_FAIL:
					EXPECT_EQ_INT(nag, 2);
					break;
				case TK_OUTCOME_ERROR:
					EXPECT_EQ_INT(nag, classes[c] ==
					    TK_NET || classes[c] == TK_TLS ?
					    2 : 3);
					break;
				}
				/* an error class is an error, whatever
				 * was checked */
				if (tk_class_worst(classes[c], TK_CHECK) !=
				    TK_CHECK) {
					EXPECT_EQ_INT(r.outcome,
					    TK_OUTCOME_ERROR);
				}
				tk_result_release(&r);
			}
		}
	}
	TK_CASE(NULL);
}

static void
test_words(void)
{
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		TK_CASE(words[i].word);
		EXPECT_EQ_STR(tk_outcome_word(words[i].o), words[i].word);
		EXPECT_EQ_STR(tk_outcome_name(words[i].o), words[i].name);
	}
	TK_CASE(NULL);
	EXPECT_EQ_STR(tk_result_nagios_name(0), "OK");
	EXPECT_EQ_STR(tk_result_nagios_name(1), "WARNING");
	EXPECT_EQ_STR(tk_result_nagios_name(2), "CRITICAL");
	EXPECT_EQ_STR(tk_result_nagios_name(3), "UNKNOWN");
	EXPECT_EQ_STR(tk_result_nagios_name(7), "UNKNOWN");
}

/* A fresh result is not judged; a finished one follows its fields. */
static void
test_init(void)
{
	struct tk_result r;

	tk_result_init(&r, "tls-echo-client", "localhost:4433");
	EXPECT_EQ_INT(r.outcome, TK_OUTCOME_ERROR);
	EXPECT_EQ_INT(r.cls, TK_OK);
	EXPECT_TRUE(r.dialogue == NULL);
	r.checked = true;
	r.verdict.status = TK_VERIFY_OK;
	tk_result_finish(&r);
	EXPECT_EQ_INT(r.outcome, TK_OUTCOME_OK);
	/* a later step fails: finishing again makes it an error */
	r.cls = TK_NET;
	tk_result_finish(&r);
	EXPECT_EQ_INT(r.outcome, TK_OUTCOME_ERROR);
	tk_result_release(&r);
}

static void
test_findings(void)
{
	struct tk_result r;
	const struct tk_finding *mf;

	tk_result_init(&r, "tls-starttls", "smtp://mx.example.org");
	EXPECT_TRUE(tk_result_main_finding(&r) == NULL);
	tk_findings_add(&r.findings, "expires-soon", TK_SEV_WARN, "soon");
	mf = tk_result_main_finding(&r);
	EXPECT_TRUE(mf != NULL && strcmp(mf->code, "expires-soon") == 0);
	r.injected_bytes = 12;
	r.injection.vulnerable = true;
	snprintf(r.injection.evidence, sizeof(r.injection.evidence),
	    "250 ok\x1b[2J");
	tk_result_starttls_findings(&r);
	EXPECT_EQ_SIZE(r.findings.n, 3);
	mf = tk_result_main_finding(&r);
	EXPECT_TRUE(mf != NULL &&
	    strcmp(mf->code, "starttls-plaintext-injected") == 0);
	if (mf != NULL) {
		EXPECT_EQ_STR(tk_result_finding_step(mf), "starttls");
		EXPECT_TRUE(strstr(mf->message, "12 bytes") != NULL);
	}
	EXPECT_EQ_STR(r.findings.f[2].code, "starttls-command-injection");
	/* the peer's bytes as they came: the renderers escape messages
	 * (text \x1B, JSON \u001b), so escaping here would do it twice */
	EXPECT_TRUE(strstr(r.findings.f[2].message, "'250 ok\x1b[2J'") !=
	    NULL);
	EXPECT_EQ_STR(tk_result_finding_step(&r.findings.f[0]), "verify");
	tk_result_release(&r);
}

/* A scripted SMTP server over memory: chunk i once the client wrote i. */
struct script {
	const char *const *chunks;
	size_t next, writes;
};

static ssize_t
script_rd(void *io, void *buf, size_t len)
{
	struct script *s = io;
	size_t n;

	if (s->chunks[s->next] == NULL) {
		return 0;
	}
	if (s->writes < s->next) {
		return TK_WANT_READ;
	}
	n = strlen(s->chunks[s->next]);
	if (n > len) {
		return -1;
	}
	memcpy(buf, s->chunks[s->next++], n);
	return (ssize_t)n;
}

static ssize_t
script_wr(void *io, const void *buf, size_t len)
{
	struct script *s = io;

	(void)buf;
	s->writes++;
	return (ssize_t)len;
}

static size_t
count(const char *const *v)
{
	size_t n = 0;

	while (v != NULL && v[n] != NULL) {
		n++;
	}
	return n;
}

static void
test_dialogue(void)
{
	static const char *const chunks[] = {
		"220 mx.example.org ESMTP\r\n",
		"250-mx.example.org\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
		"250-STARTTLS\r\n250 8BITMIME\r\n",
		"220 2.0.0 Ready to start TLS\r\n",
		NULL,
	};
	struct tk_starttls_conf conf = {"mx.example.org", NULL,
	    "client.example", false};
	struct script s = {chunks, 0, 0};
	const struct tk_starttls_line *l;
	const struct tk_dialogue *d;
	struct tk_starttls *st;
	struct tk_result r;
	struct tk_err err;
	size_t n, dropped;
	int rc = TK_WANT_READ;

	tk_err_clear(&err);
	tk_result_init(&r, "tls-starttls", "smtp://mx.example.org");
	/* no dialogue: nothing kept */
	EXPECT_EQ_INT(tk_result_keep_dialogue(&r, NULL, &err), 0);
	EXPECT_TRUE(r.dialogue == NULL);
	st = tk_starttls_new_ex("smtp", &conf, &err);
	EXPECT_TRUE(st != NULL);
	if (st == NULL) {
		tk_result_release(&r);
		return;
	}
	for (int i = 0; i < 100 && (rc == TK_WANT_READ ||
	    rc == TK_WANT_WRITE); i++) {
		rc = tk_starttls_step_io(st, script_rd, script_wr, &s);
	}
	EXPECT_EQ_INT(rc, 0);
	EXPECT_EQ_INT(tk_result_keep_dialogue(&r, st, &err), 0);
	/* kept twice: the first copy is replaced, not leaked */
	EXPECT_EQ_INT(tk_result_keep_dialogue(&r, st, &err), 0);
	d = r.dialogue;
	EXPECT_TRUE(d != NULL);
	if (d == NULL) {
		tk_starttls_free(st);
		tk_result_release(&r);
		return;
	}
	EXPECT_EQ_INT(d->advertised, 1);
	EXPECT_EQ_STR(d->answer, "220 2.0.0 Ready to start TLS");
	EXPECT_EQ_SIZE(count(d->caps_before), count(tk_starttls_caps(st)));
	EXPECT_TRUE(count(d->caps_before) >= 4);
	for (size_t i = 0; i < count(d->caps_before); i++) {
		EXPECT_EQ_STR(d->caps_before[i], tk_starttls_caps(st)[i]);
	}
	EXPECT_EQ_SIZE(count(d->caps_after), 0);
	l = tk_starttls_lines(st, &n, &dropped);
	EXPECT_EQ_SIZE(d->nlines, n);
	EXPECT_EQ_SIZE(d->dropped, dropped);
	EXPECT_TRUE(n >= 4);
	for (size_t i = 0; i < n && i < d->nlines; i++) {
		EXPECT_EQ_STR(d->lines[i].text, l[i].text);
		EXPECT_TRUE(d->lines[i].client == l[i].client);
		EXPECT_TRUE(d->lines[i].tls == l[i].tls);
		EXPECT_TRUE(d->lines[i].t_us == l[i].t_us);
	}
	if (d->nlines >= 2) {
		EXPECT_EQ_STR(d->lines[0].text, "220 mx.example.org ESMTP");
		EXPECT_TRUE(!d->lines[0].client);
		EXPECT_EQ_STR(d->lines[1].text, "EHLO client.example");
		EXPECT_TRUE(d->lines[1].client);
	}
	/* plain data: it outlives the dialogue */
	tk_starttls_free(st);
	EXPECT_EQ_STR(r.dialogue->answer, "220 2.0.0 Ready to start TLS");
	tk_result_release(&r);
	EXPECT_TRUE(r.dialogue == NULL);
}

static void
run(void)
{
	test_rows();
	test_exhaustive();
	test_words();
	test_init();
	test_findings();
	test_dialogue();
}

TK_TEST_MAIN("test_result", run)
