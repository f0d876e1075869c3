#include "report.h"

#include <jansson.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "escape.h"

#include "banned.h"

/*
 * JSON building: every peer string goes through tk_escape_json() first,
 * so that it is valid UTF-8 and jansson escapes its control bytes
 * (\u001b); text shows the same bytes as \xNN (tk_escape()).
 */

json_t *
tk_report_json_str(const char *s, size_t len)
{
	char buf[2048];
	size_t n = tk_escape_json(s, len, buf, sizeof(buf));

	return json_stringn(buf, n);
}

static json_t *
jstr(const char *s)
{
	return tk_report_json_str(s, strlen(s));
}

static json_t *
jstr_or_null(const char *s)
{
	return s != NULL && *s != '\0' ? jstr(s) : json_null();
}

/* One field table drives the "tls" section in both renderers. */
enum ftype { F_STR, F_BOOL };

struct field {
	const char *json_key;
	const char *text_label;
	enum ftype type;
	size_t off;
};

static const struct field tls_fields[] = {
	{"version", "version", F_STR, offsetof(struct tk_tls_info, version)},
	{"cipher", "cipher suite", F_STR,
	    offsetof(struct tk_tls_info, cipher)},
	{"kx", "key exchange", F_STR, offsetof(struct tk_tls_info, kx)},
	{"group", "group", F_STR, offsetof(struct tk_tls_info, group)},
	{"alpn", "ALPN", F_STR, offsetof(struct tk_tls_info, alpn)},
	{"resumed", "resumed", F_BOOL, offsetof(struct tk_tls_info, resumed)},
};

static json_t *
json_tls(const struct tk_tls_info *t)
{
	json_t *o = json_object();

	for (size_t i = 0; i < sizeof(tls_fields) / sizeof(tls_fields[0]);
	     i++) {
		const struct field *f = &tls_fields[i];
		const char *base = (const char *)t + f->off;

		if (f->type == F_STR) {
			json_object_set_new(o, f->json_key,
			    jstr_or_null(base));
		} else {
			json_object_set_new(o, f->json_key,
			    json_boolean(*(const bool *)(const void *)base));
		}
	}
	return o;
}

static json_t *
json_cert(const struct tk_certinfo *c)
{
	json_t *o = json_object(), *sans = json_array();
	char t[32];

	json_object_set_new(o, "subject", jstr(c->subject));
	json_object_set_new(o, "issuer", jstr(c->issuer));
	for (size_t i = 0; i < c->nsans; i++) {
		char buf[TK_NAME_MAX * 3 + 16];
		size_t l = (size_t)snprintf(buf, sizeof(buf), "%s:",
		    tk_san_type_name(c->sans[i].type));

		l += tk_escape_json(c->sans[i].value, c->sans[i].len, buf + l,
		    sizeof(buf) - l);
		json_array_append_new(sans, json_stringn(buf, l));
	}
	json_object_set_new(o, "sans", sans);
	tk_certinfo_iso_time(c->not_before, t, sizeof(t));
	json_object_set_new(o, "not_before", json_string(t));
	tk_certinfo_iso_time(c->not_after, t, sizeof(t));
	json_object_set_new(o, "not_after", json_string(t));
	json_object_set_new(o, "days_left", json_integer(c->days_left));
	json_object_set_new(o, "key", json_string(c->key));
	json_object_set_new(o, "key_type", json_string(c->key_type));
	json_object_set_new(o, "key_bits", c->key_bits > 0 ?
	    json_integer((json_int_t)c->key_bits) : json_null());
	json_object_set_new(o, "signature", json_string(c->signature));
	json_object_set_new(o, "serial", json_string(c->serial));
	json_object_set_new(o, "sha256", json_string(c->sha256));
	json_object_set_new(o, "is_ca", json_boolean(c->is_ca));
	return o;
}

static json_t *
json_ms(uint64_t us)
{
	return json_real((double)(us / 10) / 100.0);
}

static json_t *
json_caps(const char *const *caps)
{
	json_t *a = json_array();

	for (size_t i = 0; caps != NULL && caps[i] != NULL; i++) {
		json_array_append_new(a, jstr(caps[i]));
	}
	return a;
}

/* The plaintext dialogue as the result kept it, peer bytes escaped. */
static json_t *
json_starttls(const struct tk_result *r)
{
	json_t *v = json_object(), *a = json_array();
	const struct tk_dialogue *d = r->dialogue;

	json_object_set_new(v, "protocol", json_string(r->starttls));
	json_object_set_new(v, "advertised", d == NULL || d->advertised < 0 ?
	    json_null() : json_boolean(d->advertised == 1));
	json_object_set_new(v, "answer", d != NULL ?
	    jstr_or_null(d->answer) : json_null());
	json_object_set_new(v, "caps_before", json_caps(d != NULL ?
	    d->caps_before : NULL));
	json_object_set_new(v, "caps_after", json_caps(d != NULL ?
	    d->caps_after : NULL));
	for (size_t i = 0; d != NULL && i < d->nlines; i++) {
		const struct tk_dialogue_line *l = &d->lines[i];
		json_t *e = json_object();

		json_object_set_new(e, "t_ms", json_ms(l->t_us));
		json_object_set_new(e, "dir",
		    json_string(l->client ? "C" : "S"));
		json_object_set_new(e, "tls", json_boolean(l->tls));
		json_object_set_new(e, "line", jstr(l->text));
		json_array_append_new(a, e);
	}
	json_object_set_new(v, "transcript", a);
	json_object_set_new(v, "transcript_dropped", json_integer(
	    (json_int_t)(d != NULL ? d->dropped : 0)));
	json_object_set_new(v, "injected_bytes",
	    json_integer((json_int_t)r->injected_bytes));
	if (r->injection.checked) {
		json_t *in = json_object();

		json_object_set_new(in, "vulnerable",
		    json_boolean(r->injection.vulnerable));
		json_object_set_new(in, "evidence",
		    jstr_or_null(r->injection.evidence));
		/* the server took the probe for TLS bytes and ended the
		 * handshake; the report is from a second session */
		json_object_set_new(in, "handshake_broken",
		    json_boolean(r->injection.retried));
		json_object_set_new(in, "detail",
		    jstr_or_null(r->injection.detail));
		json_object_set_new(v, "injection", in);
	} else {
		json_object_set_new(v, "injection", json_null());
	}
	return v;
}

/* null, "profile" or "ignore": why a finding is below its severity */
static json_t *
jdemoted(enum tk_demotion d)
{
	return d == TK_DEMOTED_NONE ? json_null() :
	    json_string(tk_demotion_name(d));
}

/* The client's steps in their order, for timings_ms. */
enum step { STEP_RESOLVE, STEP_CONNECT, STEP_STARTTLS, STEP_HANDSHAKE,
	STEP_AFTER };

/*
 * How many of the steps ran (STEP_AFTER: all): the steps run one after
 * another, so a step ran when it took time, when the error is its own or
 * when a later one ran.  A step that never started is null in JSON, not
 * 0 (a refused connect has no handshake time).
 */
static enum step
steps_run(const struct tk_result *r)
{
	static const char *const names[] = {"resolve", "connect", "starttls",
		"handshake"};
	const uint64_t t[] = {r->t_resolve_us, r->t_connect_us,
		r->t_starttls_us, r->t_handshake_us};
	enum step ran = STEP_RESOLVE;

	if (r->handshake_done) {
		return STEP_AFTER;
	}
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (t[i] > 0 || (tk_err_is_set(&r->err) && r->err.step !=
		    NULL && strcmp(r->err.step, names[i]) == 0)) {
			ran = (enum step)(i + 1);
		}
	}
	/* connected: resolve and connect ran, however fast */
	if (r->address[0] != '\0' && ran < STEP_STARTTLS) {
		ran = STEP_STARTTLS;
	}
	return ran;
}

json_t *
tk_report_json_object(const struct tk_result *r)
{
	json_t *o = json_object(), *v, *a;
	enum step ran;

	if (o == NULL) {
		return NULL;
	}
	json_object_set_new(o, "tool", json_string(r->tool));
	json_object_set_new(o, "target", jstr(r->target));
	if (r->label[0] != '\0') {
		json_object_set_new(o, "label", jstr(r->label));
	}
	json_object_set_new(o, "address", jstr_or_null(r->address));
	json_object_set_new(o, "hostname", jstr_or_null(r->hostname));
	json_object_set_new(o, "sni", jstr_or_null(r->sni));
	if (r->starttls[0] != '\0') {
		json_object_set_new(o, "starttls", json_starttls(r));
	}
	json_object_set_new(o, "tls", r->handshake_done ? json_tls(&r->tls) :
	    json_null());
	v = json_object();
	json_object_set_new(v, "status",
	    json_string(tk_verify_status_name(r->verdict.status)));
	a = json_array();
	for (size_t i = 0; i < r->verdict.n; i++) {
		json_t *e = json_object();

		json_object_set_new(e, "code",
		    json_string(r->verdict.reasons[i].code));
		json_object_set_new(e, "severity", json_string(
		    tk_severity_name(r->verdict.reasons[i].sev)));
		json_object_set_new(e, "demoted", jdemoted(
		    r->verdict.reasons[i].demoted));
		json_object_set_new(e, "message",
		    jstr(r->verdict.reasons[i].message));
		json_array_append_new(a, e);
	}
	json_object_set_new(v, "reasons", a);
	json_object_set_new(v, "profile", r->verdict.status ==
	    TK_VERIFY_NOT_DONE ? json_null() :
	    json_string(tk_profile_name(r->verdict.profile)));
	json_object_set_new(o, "verification", v);
	json_object_set_new(o, "profile", r->verdict.status ==
	    TK_VERIFY_NOT_DONE ? json_null() :
	    json_string(tk_profile_name(r->verdict.profile)));
	a = json_array();
	for (size_t i = 0; i < r->chain.n; i++) {
		json_array_append_new(a, json_cert(&r->chain.certs[i]));
	}
	json_object_set_new(o, "chain", a);
	if (r->checked) {
		const struct tk_finding *mf = tk_result_main_finding(r);
		bool error = r->outcome == TK_OUTCOME_ERROR;
		char t[32];

		json_object_set_new(o, "verdict",
		    json_string(tk_outcome_name(r->outcome)));
		/* checked, then a later step failed (the dialogue inside
		 * TLS): that step is the reason, whatever the chain was */
		json_object_set_new(o, "reason", error && r->err.step ?
		    json_string(r->err.step) : mf != NULL ?
		    json_string(mf->code) : json_null());
		a = json_array();
		for (size_t i = 0; i < r->findings.n; i++) {
			const struct tk_finding *f = &r->findings.f[i];
			json_t *e = json_object();

			json_object_set_new(e, "code", json_string(f->code));
			json_object_set_new(e, "severity",
			    json_string(tk_severity_name(f->sev)));
			json_object_set_new(e, "demoted", jdemoted(f->demoted));
			json_object_set_new(e, "message", jstr(f->message));
			json_array_append_new(a, e);
		}
		json_object_set_new(o, "findings", a);
		if (r->chain.n > 0) {
			long min = r->chain.certs[0].days_left;

			for (size_t i = 1; i < r->chain.n; i++) {
				if (!r->chain.certs[i].self_issued &&
				    r->chain.certs[i].days_left < min) {
					min = r->chain.certs[i].days_left;
				}
			}
			json_object_set_new(o, "days_left", json_integer(min));
			tk_certinfo_iso_time(r->chain.certs[0].not_after, t,
			    sizeof(t));
			json_object_set_new(o, "not_after", json_string(t));
		} else {
			json_object_set_new(o, "days_left", json_null());
			json_object_set_new(o, "not_after", json_null());
		}
		if (r->ocsp.checked) {
			v = json_object();
			json_object_set_new(v, "stapled",
			    json_boolean(r->ocsp.stapled));
			json_object_set_new(v, "status", r->ocsp.status[0] ?
			    json_string(r->ocsp.status) : json_null());
			tk_certinfo_iso_time(r->ocsp.this_update, t, sizeof(t));
			json_object_set_new(v, "this_update",
			    r->ocsp.stapled && r->ocsp.this_update !=
			    (time_t)-1 ? json_string(t) : json_null());
			tk_certinfo_iso_time(r->ocsp.next_update, t, sizeof(t));
			json_object_set_new(v, "next_update",
			    r->ocsp.stapled && r->ocsp.next_update !=
			    (time_t)-1 ? json_string(t) : json_null());
			json_object_set_new(v, "must_staple",
			    json_boolean(r->ocsp.must_staple));
			json_object_set_new(o, "ocsp", v);
		} else {
			json_object_set_new(o, "ocsp", json_null());
		}
	} else {
		/* the check could not run: scripts still find a verdict,
		 * in every tool (tlskit(7), VERDICTS) */
		json_object_set_new(o, "verdict",
		    json_string(tk_outcome_name(r->outcome)));
		json_object_set_new(o, "reason", json_string(
		    r->err.step != NULL ? r->err.step : "error"));
		json_object_set_new(o, "findings", json_array());
		json_object_set_new(o, "days_left", json_null());
		json_object_set_new(o, "not_after", json_null());
		json_object_set_new(o, "ocsp", json_null());
	}
	if (r->group.count > 0) {
		v = json_object();
		json_object_set_new(v, "count",
		    json_integer((json_int_t)r->group.count));
		json_object_set_new(v, "certificates",
		    json_integer((json_int_t)r->group.certificates));
		json_object_set_new(v, "failed",
		    json_integer((json_int_t)r->group.failed));
		json_object_set_new(v, "consistent", json_boolean(
		    r->group.certificates <= 1 && r->group.failed == 0));
		json_object_set_new(o, "all_addresses", v);
	}
	if (r->fixed != NULL) {
		v = json_object();
		json_object_set_new(v, "complete",
		    json_boolean(r->fixed->complete));
		json_object_set_new(v, "changed",
		    json_boolean(r->fixed->changed));
		json_object_set_new(v, "certificates",
		    json_integer((json_int_t)r->fixed->ncerts));
		a = json_array();
		for (size_t i = 0; i < r->fixed->nnotes; i++) {
			json_t *e = json_object();

			json_object_set_new(e, "action",
			    json_string(r->fixed->notes[i].action));
			json_object_set_new(e, "message",
			    jstr(r->fixed->notes[i].message));
			json_array_append_new(a, e);
		}
		json_object_set_new(v, "changes", a);
		json_object_set_new(v, "pem", json_string(r->fixed->pem));
		json_object_set_new(o, "fixed_chain", v);
	}
	if (r->echo.used) {
		v = json_object();
		json_object_set_new(v, "bytes_sent",
		    json_integer((json_int_t)r->echo.bytes_sent));
		json_object_set_new(v, "bytes_received",
		    json_integer((json_int_t)r->echo.bytes_received));
		json_object_set_new(v, "match", json_boolean(r->echo.match));
		json_object_set_new(o, "echo", v);
	}
	if (r->load.used) {
		json_t *rtt = json_object();

		v = json_object();
		json_object_set_new(v, "count",
		    json_integer((json_int_t)r->load.count));
		json_object_set_new(v, "size",
		    json_integer((json_int_t)r->load.size));
		json_object_set_new(v, "seconds", json_real(r->load.seconds));
		json_object_set_new(v, "mbps", json_real(r->load.mbps));
		json_object_set_new(rtt, "p50", json_real(r->load.rtt_p50_ms));
		json_object_set_new(rtt, "p90", json_real(r->load.rtt_p90_ms));
		json_object_set_new(rtt, "p99", json_real(r->load.rtt_p99_ms));
		json_object_set_new(v, "rtt_ms", rtt);
		json_object_set_new(o, "load", v);
	}
	if (tk_err_is_set(&r->err)) {
		v = json_object();
		json_object_set_new(v, "class",
		    json_string(tk_class_name(r->err.cls)));
		json_object_set_new(v, "step",
		    json_string(r->err.step ? r->err.step : ""));
		json_object_set_new(v, "message", jstr(r->err.msg));
		json_object_set_new(o, "error", v);
	} else {
		json_object_set_new(o, "error", json_null());
	}
	json_object_set_new(o, "exit_code",
	    json_integer(tk_result_exit_code(r)));
	v = json_object();
	ran = steps_run(r);
	json_object_set_new(v, "resolve", ran > STEP_RESOLVE ?
	    json_ms(r->t_resolve_us) : json_null());
	json_object_set_new(v, "connect", ran > STEP_CONNECT ?
	    json_ms(r->t_connect_us) : json_null());
	if (r->starttls[0] != '\0') {
		json_object_set_new(v, "starttls", ran > STEP_STARTTLS ?
		    json_ms(r->t_starttls_us) : json_null());
	}
	json_object_set_new(v, "handshake", ran > STEP_HANDSHAKE ?
	    json_ms(r->t_handshake_us) : json_null());
	if (r->t_after_us > 0) {
		/* the dialogue's phase inside TLS (EHLO again, PROT P) */
		json_object_set_new(v, "after_tls", json_ms(r->t_after_us));
	}
	json_object_set_new(v, "total", json_ms(r->t_total_us));
	json_object_set_new(o, "timings_ms", v);
	return o;
}

int
tk_report_json_write(const json_t *o, FILE *out)
{
	int rc = json_dumpf(o, out, JSON_COMPACT | JSON_PRESERVE_ORDER |
	    JSON_REAL_PRECISION(6));

	fputc('\n', out);
	fflush(out);
	return rc;
}

int
tk_report_json(const struct tk_result *r, FILE *out)
{
	json_t *o = tk_report_json_object(r);
	int rc;

	if (o == NULL) {
		return -1;
	}
	rc = tk_report_json_write(o, out);
	json_decref(o);
	return rc;
}

/*
 * The chain in text, in one of two layouts: the -v session summary
 * (check false) and tls-check-cert's report, which adds the serial, the
 * CA flag and the count of SANs not kept.
 */
#define RED "\033[31m"
#define YELLOW "\033[33m"
#define GREEN "\033[32m"
#define RESET "\033[0m"

/* "25536 days left", "expired 5816 days ago": never "-5816 days left" */
static const char *
days_text(long days, char *buf, size_t len)
{
	if (days < 0) {
		snprintf(buf, len, "expired %ld day%s ago", -days,
		    days == -1 ? "" : "s");
	} else {
		snprintf(buf, len, "%ld day%s left", days, days == 1 ? "" :
		    "s");
	}
	return buf;
}

/*
 * The code of the first failing finding about certificate #i of the
 * chain (its message names it "certificate #i "), or NULL.
 */
static const char *
cert_failure(const struct tk_findings *fs, size_t i)
{
	char needle[40];

	snprintf(needle, sizeof(needle), "certificate #%zu ", i);
	for (size_t k = 0; fs != NULL && k < fs->n; k++) {
		if (fs->f[k].sev == TK_SEV_FAIL &&
		    strstr(fs->f[k].message, needle) != NULL) {
			return fs->f[k].code;
		}
	}
	return NULL;
}

static void
text_chain(const struct tk_chain *ch, const struct tk_findings *fs,
    bool check, bool color, FILE *out)
{
	const char *ind = check ? "     " : "  ";
	int w = check ? 10 : 12;
	char esc[1024], t1[32], t2[32], d[48];

	for (size_t i = 0; i < ch->n; i++) {
		const struct tk_certinfo *c = &ch->certs[i];
		const char *bad = cert_failure(fs, i);

		tk_escape(c->subject, strlen(c->subject), esc, sizeof(esc));
		if (check) {
			/* the failing certificate: '!' and the finding,
			 * red on a colour terminal */
			fprintf(out, "%s%c #%zu %s%s%s%s\n",
			    color && bad ? RED : "", bad ? '!' : ' ', i, esc,
			    bad ? "  <- " : "", bad ? bad : "",
			    color && bad ? RESET : "");
		} else {
			fprintf(out, "certificate #%zu  %s\n", i, esc);
		}
		tk_escape(c->issuer, strlen(c->issuer), esc, sizeof(esc));
		fprintf(out, "%s%-*s%s\n", ind, w, "issuer", esc);
		if (c->nsans > 0) {
			/* each name brings its own leading space */
			fprintf(out, "%s%-*s", ind, w - 1, "names");
			for (size_t k = 0; k < c->nsans; k++) {
				tk_escape(c->sans[k].value, c->sans[k].len,
				    esc, sizeof(esc));
				fprintf(out, " %s:%s",
				    tk_san_type_name(c->sans[k].type), esc);
			}
			if (check && c->nsans_total > c->nsans) {
				fprintf(out, " (+%zu more)",
				    c->nsans_total - c->nsans);
			}
			fputc('\n', out);
		}
		tk_certinfo_iso_time(c->not_before, t1, sizeof(t1));
		tk_certinfo_iso_time(c->not_after, t2, sizeof(t2));
		fprintf(out, "%s%-*s%s to %s (%s)\n", ind, w,
		    "valid", t1, t2, days_text(c->days_left, d, sizeof(d)));
		if (check) {
			fprintf(out, "%s%-*s%s, signature %s%s\n", ind, w,
			    "key", c->key, c->signature,
			    c->is_ca ? ", CA" : "");
			fprintf(out, "%s%-*s%s\n", ind, w, "serial",
			    c->serial);
		} else {
			fprintf(out, "%s%-*s%s, signed %s\n", ind, w, "key",
			    c->key, c->signature);
		}
		fprintf(out, "%s%-*s%s\n", ind, w, "sha256", c->sha256);
	}
	if (ch->total > ch->n) {
		fprintf(out, "%s(%zu more certificates not shown)\n",
		    check ? "  " : "", ch->total - ch->n);
	}
}

void
tk_report_text_session(const struct tk_result *r, FILE *out)
{
	char esc[1024];

	if (r->address[0] != '\0') {
		fprintf(out, "connected to %s", r->address);
		if (r->sni[0] != '\0') {
			tk_escape(r->sni, strlen(r->sni), esc, sizeof(esc));
			fprintf(out, " (SNI %s)", esc);
		}
		fputc('\n', out);
	}
	if (r->starttls[0] != '\0') {
		tk_escape(r->transcript, strlen(r->transcript), esc,
		    sizeof(esc));
		fprintf(out, "starttls %s: %s\n", r->starttls, esc);
	}
	if (r->handshake_done) {
		for (size_t i = 0; i < sizeof(tls_fields) /
		     sizeof(tls_fields[0]); i++) {
			const struct field *f = &tls_fields[i];
			const char *base = (const char *)&r->tls + f->off;

			if (f->type == F_STR) {
				tk_escape(base, strlen(base), esc,
				    sizeof(esc));
				fprintf(out, "%-13s %s\n", f->text_label,
				    esc[0] ? esc : "none");
			} else {
				fprintf(out, "%-13s %s\n", f->text_label,
				    *(const bool *)(const void *)base ? "yes" :
				    "no");
			}
		}
	}
	text_chain(&r->chain, NULL, false, false, out);
	fprintf(out, "verification  %s\n",
	    tk_verify_status_name(r->verdict.status));
	for (size_t i = 0; i < r->verdict.n; i++) {
		tk_escape(r->verdict.reasons[i].message,
		    strlen(r->verdict.reasons[i].message), esc, sizeof(esc));
		fprintf(out, "  %s: %s\n", r->verdict.reasons[i].code, esc);
	}
}

void
tk_report_error_line(const char *tool, const char *target,
    const struct tk_err *err, FILE *out)
{
	char t[600], m[TK_ERR_MSG_MAX * 4];

	tk_escape(err->msg, strlen(err->msg), m, sizeof(m));
	if (target != NULL && *target != '\0') {
		tk_escape(target, strlen(target), t, sizeof(t));
		fprintf(out, "%s: %s: %s: %s\n", tool, t,
		    err->step ? err->step : tk_class_label(err->cls), m);
	} else {
		fprintf(out, "%s: %s: %s\n", tool,
		    err->step ? err->step : tk_class_label(err->cls), m);
	}
}

static void
text_caps(const char *label, const char *const *caps, FILE *out)
{
	char esc[TK_DIALOGUE_TEXT_MAX * 4 + 1];

	if (caps == NULL || caps[0] == NULL) {
		return;
	}
	fprintf(out, "  %-9s", label);
	for (size_t i = 0; caps[i] != NULL; i++) {
		tk_escape(caps[i], strlen(caps[i]), esc, sizeof(esc));
		fprintf(out, "%s%s", i ? ", " : " ", esc);
	}
	fputc('\n', out);
}

void
tk_report_text_starttls(const struct tk_result *r, FILE *out)
{
	char esc[TK_DIALOGUE_TEXT_MAX * 4 + 1];
	const struct tk_dialogue *d = r->dialogue;

	if (d == NULL) {
		return;
	}
	fprintf(out, "  starttls  %s", r->starttls);
	if (d->advertised >= 0) {
		fprintf(out, ", %s", d->advertised ? "advertised" :
		    "not advertised");
	}
	if (d->answer != NULL) {
		tk_escape(d->answer, strlen(d->answer), esc, sizeof(esc));
		fprintf(out, ", answered '%s'", esc);
	}
	fputc('\n', out);
	text_caps("before", d->caps_before, out);
	text_caps("inside", d->caps_after, out);
	if (r->injected_bytes > 0) {
		fprintf(out, "  plaintext %zu bytes after the go-ahead, before "
		    "TLS (discarded)\n", r->injected_bytes);
	}
	if (r->injection.checked) {
		if (r->injection.vulnerable) {
			tk_escape(r->injection.evidence,
			    strlen(r->injection.evidence), esc, sizeof(esc));
			fprintf(out, "  injection VULNERABLE: a command sent "
			    "with STARTTLS was answered inside TLS ('%s')\n",
			    esc);
		} else if (r->injection.retried) {
			fprintf(out, "  injection not vulnerable: the server "
			    "took the command sent with STARTTLS for TLS "
			    "bytes and ended the handshake (checked again "
			    "without it)\n");
		} else {
			fprintf(out, "  injection not vulnerable: a command "
			    "sent with STARTTLS was not answered inside "
			    "TLS\n");
		}
	}
}

void
tk_report_text_transcript(const struct tk_result *r, FILE *out)
{
	char esc[TK_DIALOGUE_TEXT_MAX * 4 + 1];
	const struct tk_dialogue *d = r->dialogue;

	if (d == NULL) {
		return;
	}
	for (size_t i = 0; i < d->nlines; i++) {
		const struct tk_dialogue_line *l = &d->lines[i];

		tk_escape(l->text, strlen(l->text), esc, sizeof(esc));
		fprintf(out, "%8.1f ms %s%s: %s\n", (double)l->t_us / 1000.0,
		    l->client ? "C" : "S", l->tls ? "(tls)" : "", esc);
	}
	if (d->dropped > 0) {
		fprintf(out, "(%zu more lines not kept)\n", d->dropped);
	}
}

void
tk_report_text_check(const struct tk_result *r, bool brief, bool color,
    FILE *out)
{
	const struct tk_finding *mf = tk_result_main_finding(r);
	const char *col = GREEN;
	char esc[1024], t[32];

	switch (r->outcome) {
	case TK_OUTCOME_OK:
		break;
	case TK_OUTCOME_WARNING:
	case TK_OUTCOME_SKIPPED:
		col = YELLOW;
		break;
	case TK_OUTCOME_FAIL:
	case TK_OUTCOME_ERROR:
		col = RED;
		break;
	}
	tk_escape(r->target, strlen(r->target), esc, sizeof(esc));
	fprintf(out, "%s%-7s%s %s", color ? col : "",
	    tk_outcome_word(r->outcome), color ? RESET : "", esc);
	if (r->group.count > 0 && r->address[0] != '\0') {
		/* --all-addresses: which of the name's addresses this is */
		fprintf(out, " at %s", r->address);
	}
	if (tk_err_is_set(&r->err) && (!r->checked ||
	    r->outcome == TK_OUTCOME_ERROR)) {
		tk_escape(r->err.msg, strlen(r->err.msg), esc, sizeof(esc));
		fprintf(out, ": %s: %s\n", r->err.step ? r->err.step : "?",
		    esc);
	} else if (mf != NULL) {
		tk_escape(mf->message, strlen(mf->message), esc, sizeof(esc));
		fprintf(out, ": %s: %s\n", mf->code, esc);
	} else if (r->chain.n > 0) {
		tk_certinfo_iso_time(r->chain.certs[0].not_after, t, sizeof(t));
		tk_escape(r->hostname, strlen(r->hostname), esc, sizeof(esc));
		long days = r->chain.certs[0].days_left;

		/* a good result can only have expired under --insecure;
		 * no hostname (--file alone): the finding name-not-checked,
		 * said on the verdict line too, which -q keeps */
		fprintf(out, ": valid%s%s until %.10s (%s%ld days%s)%s\n",
		    esc[0] ? " for " : "", esc, t, days < 0 ? "expired " : "",
		    days < 0 ? -days : days, days < 0 ? " ago" : "",
		    esc[0] ? "" : "; no name checked (--hostname)");
	} else {
		fputc('\n', out);
	}
	if (brief) {
		return;
	}
	tk_report_text_starttls(r, out);
	text_chain(&r->chain, &r->findings, true, color, out);
	for (size_t i = 0; i < r->findings.n; i++) {
		const struct tk_finding *f = &r->findings.f[i];
		const char *fc = f->sev == TK_SEV_FAIL ? RED :
		    f->sev == TK_SEV_WARN ? YELLOW : "";

		tk_escape(f->message, strlen(f->message), esc, sizeof(esc));
		fprintf(out, "  %s%-7s%s %s: %s%s\n", color ? fc : "",
		    tk_severity_name(f->sev), color && fc[0] ? RESET : "",
		    f->code, esc, f->demoted == TK_DEMOTED_PROFILE ?
		    " [BR rule: info under the rfc5280 profile]" :
		    f->demoted == TK_DEMOTED_IGNORE ? " [--ignore]" : "");
	}
	if (r->verdict.status == TK_VERIFY_OK ||
	    r->verdict.status == TK_VERIFY_FAILED) {
		bool rfc = r->verdict.profile == TK_PROFILE_RFC5280;

		fprintf(out, "  profile   %s%s\n", rfc ?
		    "rfc5280 (RFC 5280 and RFC 6125; CA/Browser Forum rules "
		    "are info)" : "web (RFC 5280, RFC 6125 and the "
		    "CA/Browser Forum Baseline Requirements)",
		    !r->verdict.profile_auto ? "" : rfc ?
		    ", chosen for an anchor from your own --ca" :
		    ", chosen for an anchor from the system store");
	}
	if (r->handshake_done) {
		fprintf(out, "  session   %s, %s, group %s, ALPN %s",
		    r->tls.version, r->tls.cipher,
		    r->tls.group[0] ? r->tls.group : "none",
		    r->tls.alpn_negotiated ? r->tls.alpn : "none");
		if (r->ocsp.checked) {
			fprintf(out, ", OCSP %s", r->ocsp.stapled ?
			    r->ocsp.status : "not stapled");
		}
		fputc('\n', out);
	}
	if (r->address[0] != '\0') {
		/* up to the end of the handshake: what a user waits for */
		if (r->handshake_done) {
			fprintf(out, "  address   %s, handshake done in "
			    "%.1f ms\n", r->address, (double)(r->t_resolve_us +
			    r->t_connect_us + r->t_starttls_us +
			    r->t_handshake_us) / 1000.0);
		} else {
			fprintf(out, "  address   %s\n", r->address);
		}
	}
}

void
tk_nagios_init(struct tk_nagios *ns)
{
	memset(ns, 0, sizeof(*ns));
}

/*
 * The text about one result: the main finding or the error of a failed
 * one, the leaf's expiry of a good one.
 */
static void
nagios_text(const struct tk_result *r, bool bad, char *msg, size_t len)
{
	char esc[600];

	tk_escape(r->target, strlen(r->target), esc, sizeof(esc));
	msg[0] = '\0';
	if (bad) {
		const struct tk_finding *mf = tk_result_main_finding(r);

		if (mf != NULL) {
			snprintf(msg, len, "%s: %s: %.300s", esc, mf->code,
			    mf->message);
		} else {
			snprintf(msg, len, "%s: %s: %.300s", esc,
			    r->err.step ? r->err.step : "?", r->err.msg);
		}
	} else if (r->chain.n > 0) {
		char t[32];

		tk_certinfo_iso_time(r->chain.certs[0].not_after, t, sizeof(t));
		snprintf(msg, len, "%s valid until %.10s (%ld days)", esc, t,
		    r->chain.certs[0].days_left);
	}
	/* the plugin line must stay one line: no '|' in the text part */
	for (char *p = msg; *p != '\0'; p++) {
		if (*p == '|' || *p == '\n') {
			*p = '/';
		}
	}
}

/*
 * A target as a perfdata label: escaped, and without the characters the
 * guidelines reserve ('=' and the quote) or that would end the line.
 */
static int
nagios_label(struct tk_nagios *ns, const char *target)
{
	char esc[TK_NAGIOS_LABEL_MAX + 1];
	size_t len;

	tk_escape(target, strlen(target), esc, sizeof(esc));
	len = strlen(esc);
	if (ns->labels_cap - ns->labels_len < len + 1) {
		size_t cap = ns->labels_cap == 0 ? 1024 : 2 * ns->labels_cap;
		char *l;

		while (cap - ns->labels_len < len + 1) {
			cap *= 2;
		}
		l = realloc(ns->labels, cap);
		if (l == NULL) {
			return -1;
		}
		ns->labels = l;
		ns->labels_cap = cap;
	}
	for (size_t i = 0; i < len; i++) {
		char c = esc[i];

		ns->labels[ns->labels_len + i] = c == '=' || c == '\'' ||
		    c == '|' || c == ' ' ? '_' : c;
	}
	ns->labels[ns->labels_len + len] = '\0';
	ns->labels_len += len + 1;
	return 0;
}

int
tk_nagios_add(struct tk_nagios *ns, const struct tk_result *r)
{
	int state = tk_result_nagios(r);

	if (ns->n == ns->cap) {
		size_t cap = ns->cap == 0 ? 16 : 2 * ns->cap;
		long *d = reallocarray(ns->days, cap, sizeof(*d));

		if (d == NULL) {
			return -1;
		}
		ns->days = d;
		ns->cap = cap;
	}
	ns->days[ns->n] = r->chain.n > 0 ? r->chain.certs[0].days_left :
	    TK_NAGIOS_NO_DAYS;
	ns->any_chain |= r->chain.n > 0;
	if (r->chain.n > 0 && nagios_label(ns, r->target) < 0) {
		return -1;
	}
	if (state > ns->code) {
		ns->code = state;
	}
	/* the message names the first result of the worst class */
	if (state != 0) {
		if (ns->bad == 0 ||
		    tk_class_worst(ns->worst, r->cls) != ns->worst) {
			ns->worst = r->cls;
			nagios_text(r, true, ns->msg, sizeof(ns->msg));
		}
		ns->bad++;
	} else if (ns->n == 0) {
		nagios_text(r, false, ns->first, sizeof(ns->first));
	}
	ns->n++;
	return 0;
}

int
tk_nagios_print(const struct tk_nagios *ns, unsigned warn_days,
    unsigned crit_days, FILE *out)
{
	const char *name = tk_result_nagios_name(ns->code);
	const char *label = ns->labels;
	char warn[16] = "", crit[16] = "";

	if (ns->n > 1 && ns->bad > 0) {
		fprintf(out, "TLS %s - %zu of %zu targets failed; %s", name,
		    ns->bad, ns->n, ns->msg);
	} else if (ns->bad > 0) {
		fprintf(out, "TLS %s - %s", name, ns->msg);
	} else if (ns->n == 1 && ns->first[0] != '\0') {
		fprintf(out, "TLS %s - %s", name, ns->first);
	} else {
		fprintf(out, "TLS %s - %zu targets valid", name, ns->n);
	}
	/* perfdata only where there is some: no dangling '|' */
	if (ns->any_chain) {
		fputs(" |", out);
	}
	/* range syntax: "30:" alerts below 30; empty when off */
	if (warn_days > 0) {
		snprintf(warn, sizeof(warn), "%u:", warn_days);
	}
	if (crit_days > 0) {
		snprintf(crit, sizeof(crit), "%u:", crit_days);
	}
	for (size_t i = 0; i < ns->n; i++) {
		if (ns->days[i] == TK_NAGIOS_NO_DAYS) {
			continue;
		}
		if (ns->n == 1) {
			fputs(" 'days'", out);
		} else {
			fprintf(out, " '%s_days'", label);
		}
		fprintf(out, "=%ld;%s;%s;0;", ns->days[i], warn, crit);
		label += strlen(label) + 1;
	}
	fputc('\n', out);
	return ns->code;
}

void
tk_nagios_release(struct tk_nagios *ns)
{
	free(ns->days);
	free(ns->labels);
	tk_nagios_init(ns);
}

int
tk_report_nagios(const struct tk_result *const *rs, size_t n,
    unsigned warn_days, unsigned crit_days, FILE *out)
{
	struct tk_nagios ns;
	int code = 3;

	tk_nagios_init(&ns);
	for (size_t i = 0; i < n; i++) {
		if (tk_nagios_add(&ns, rs[i]) < 0) {
			goto out;
		}
	}
	code = tk_nagios_print(&ns, warn_days, crit_days, out);
out:
	tk_nagios_release(&ns);
	return code;
}

void
tk_tally_add(struct tk_tally *t, enum tk_class cls)
{
	t->n++;
	t->ok += cls == TK_OK;
	t->warn += cls == TK_WARN;
}

void
tk_tally_print(const struct tk_tally *t, const char *noun, FILE *out)
{
	if (t->n > 1) {
		fprintf(out, "%zu %s: %zu ok, %zu warning, %zu failed\n",
		    t->n, noun, t->ok, t->warn, t->n - t->ok - t->warn);
	}
}

void
tk_report_warnings(const char *tool, const struct tk_result *r, FILE *out)
{
	char esc[1024], tgt[600];

	tk_escape(r->target, strlen(r->target), tgt, sizeof(tgt));
	for (size_t i = 0; i < r->findings.n; i++) {
		const struct tk_finding *f = &r->findings.f[i];

		if (f->sev != TK_SEV_WARN) {
			continue;
		}
		tk_escape(f->message, strlen(f->message), esc, sizeof(esc));
		fprintf(out, "%s: %s: %s: warning: %s: %s\n", tool, tgt,
		    tk_result_finding_step(f), f->code, esc);
	}
}
