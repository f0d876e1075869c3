/*
 * tls-scan's output (docs/ARCHITECTURE.md, "tls-scan").
 */
#include "scanreport.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "escape.h"
#include "report.h"
#include "suites.h"

#include "banned.h"

static const char *
yn(int v)
{
	return v == TK_SCAN_YES ? "yes" : v == TK_SCAN_NO ? "no" : "unknown";
}

static const char *
hs_yn(const struct tk_scanhs *p)
{
	return p == NULL ? "not probed" : tk_scanhs_yes_name(p->yes);
}

static json_t *
jyn(int v)
{
	return v == TK_SCAN_YES ? json_true() : v == TK_SCAN_NO ?
	    json_false() : json_null();
}

static json_t *
jhs(const struct tk_scanhs *p, bool early)
{
	if (p == NULL) {
		return json_null();
	}
	return jyn(early ? p->early_data : p->yes);
}

static const char *
ver_name(int v)
{
	return tk_suites_version_name(tk_scan_ver_wire((enum tk_scan_ver)v));
}

/* "TLS1.3", ..., most recent first, as the report lists them */
#define FOR_VERSIONS_DOWN(v) for (int v = TK_SCAN_TLS13; v >= 0; v--)

static const char *
outcome(enum tk_class cls)
{
	switch (cls) {
	case TK_OK:
		return "ok";
	case TK_WARN:
		return "warning";
	case TK_CHECK:
		return "fail";
	default:
		return "error";
	}
}

static const char *
suite_name(int v, uint32_t code, char *buf, size_t len)
{
	if (v == TK_SCAN_SSL2) {
		const struct tk_suites_v2 *k = tk_suites_v2_by_code(code);

		return k != NULL ? k->name : "?";
	}
	const struct tk_suite *s = tk_suites_by_code((uint16_t)code);

	if (s == NULL) {
		snprintf(buf, len, "0x%04X", code);
		return buf;
	}
	return s->name;
}

static void
list_names(const uint16_t *codes, size_t n, bool groups, FILE *out)
{
	for (size_t i = 0; i < n; i++) {
		const char *name = NULL;

		if (groups) {
			const struct tk_suites_group *g =
			    tk_suites_group_by_code(codes[i]);

			name = g != NULL ? g->name : NULL;
		} else {
			const struct tk_suites_sigalg *a =
			    tk_suites_sigalg_by_code(codes[i]);

			name = a != NULL ? a->name : NULL;
		}
		if (name != NULL) {
			fprintf(out, "%s%s", i > 0 ? " " : "", name);
		} else {
			fprintf(out, "%s0x%04x", i > 0 ? " " : "", codes[i]);
		}
	}
}

static void
text_certs(const struct tk_scan_res *res, FILE *out)
{
	bool any = false;

	for (size_t i = 0; i < TK_SCAN_CERTS; i++) {
		const struct tk_scanhs *p = res->certs[i].p;
		const struct tk_certinfo *leaf;

		if (p == NULL) {
			continue;
		}
		if (!any) {
			fprintf(out, "Certificates\n");
			any = true;
		}
		fprintf(out, "  %-7s %-7s ",
		    tk_scanhs_key_name(res->certs[i].key),
		    res->certs[i].no_sni ? "no SNI" : "SNI");
		if (p->yes != TK_SCANHS_YES || p->r.chain.n == 0) {
			fprintf(out, "%s\n", p->yes == TK_SCANHS_NO ? "none" :
			    p->why[0] != '\0' ? p->why : "unknown");
			continue;
		}
		leaf = &p->r.chain.certs[0];
		fprintf(out, "%-8s %s, %s, %ld days left, sha256 %.23s\n",
		    tk_outcome_word(p->r.outcome), leaf->subject, leaf->key,
		    leaf->days_left, leaf->sha256);
	}
}

void
tk_scanreport_text(const struct tk_scantarget *st, FILE *out)
{
	const struct tk_scan_res *res = &st->res;
	const struct tk_tls_info *ti = &res->main.tls;
	char buf[32];
	bool first = true;

	fprintf(out, "%s (%s)\n", st->text, res->main.address[0] != '\0' ?
	    res->main.address : "no address");
	if (res->main.handshake_done) {
		fprintf(out, "Handshake   %s %s %s%s%s\n", ti->version,
		    ti->cipher, ti->group, ti->group[0] ? " " : "",
		    res->main.sni[0] ? "(SNI sent)" : "(no SNI)");
	}
	fprintf(out, "Protocols   ");
	FOR_VERSIONS_DOWN(v) {
		fprintf(out, "%s%s %s", first ? "" : ", ", ver_name(v),
		    yn(res->v[v].accepted));
		first = false;
	}
	fputc('\n', out);
	FOR_VERSIONS_DOWN(v) {
		const struct tk_scan_version *sv = &res->v[v];

		if (sv->accepted == TK_SCAN_UNKNOWN &&
		    strcmp(sv->why, "not probed") != 0) {
			fprintf(out, "  %s unknown: %s\n", ver_name(v), sv->why);
		}
		if (sv->accepted != TK_SCAN_YES) {
			continue;
		}
		fprintf(out, "%s suites (%zu%s, %s)\n", ver_name(v),
		    sv->nsuites, sv->cut ? "+" : "",
		    sv->server_order == TK_SCAN_YES ? "server order" :
		    sv->server_order == TK_SCAN_NO ? "client order" :
		    "order unknown");
		for (size_t i = 0; i < sv->nsuites; i++) {
			const struct tk_suite *s = v == TK_SCAN_SSL2 ? NULL :
			    tk_suites_by_code((uint16_t)sv->suites[i]);

			fprintf(out, "  %-48s %s%s%s\n", suite_name(v,
			    sv->suites[i], buf, sizeof(buf)),
			    s != NULL && (s->flags & TK_SUITES_AEAD) ? "AEAD" :
			    "    ", s != NULL && (s->flags & TK_SUITES_FS ||
			    s->kx == TK_SUITES_KX_TLS13) ? " FS" : "",
			    s != NULL && (s->flags & (TK_SUITES_EXPORT |
			    TK_SUITES_ANON)) ? " WEAK" : "");
		}
	}
	if (res->groups13_done || res->groups12_done) {
		fprintf(out, "Groups      ");
		if (res->ngroups13 > 0) {
			fprintf(out, "TLS1.3: ");
			list_names(res->groups13, res->ngroups13, true, out);
		}
		if (res->ngroups12 > 0) {
			fprintf(out, "%sTLS1.2 and lower: ",
			    res->ngroups13 > 0 ? "; " : "");
			list_names(res->groups12, res->ngroups12, true, out);
		}
		fputc('\n', out);
	}
	if (res->dh_bits > 0) {
		fprintf(out, "DHE group   %u bits\n", res->dh_bits);
	}
	if (res->nsigalgs12 > 0 || (res->sigalgs13 != NULL &&
	    res->sigalgs13->nsigalgs > 0)) {
		fprintf(out, "Signatures  ");
		if (res->sigalgs13 != NULL && res->sigalgs13->nsigalgs > 0) {
			fprintf(out, "TLS1.3: ");
			list_names(res->sigalgs13->sigalgs,
			    res->sigalgs13->nsigalgs, false, out);
			fprintf(out, "%s", res->nsigalgs12 > 0 ? "; " : "");
		}
		if (res->nsigalgs12 > 0) {
			fprintf(out, "TLS1.2: ");
			list_names(res->sigalgs12, res->nsigalgs12, false, out);
		}
		fputc('\n', out);
	}
	text_certs(res, out);
	fprintf(out, "Resumption  session ID %s, ticket %s, TLS1.3 PSK %s, "
	    "0-RTT %s\n", hs_yn(res->resume_id), hs_yn(res->resume_ticket),
	    hs_yn(res->resume_psk), res->resume_psk != NULL ?
	    tk_scanhs_yes_name(res->resume_psk->early_data) : "not probed");
	fprintf(out, "Renegotiation secure %s, client-initiated %s\n",
	    yn(res->secure_reneg), hs_yn(res->reneg));
	fprintf(out, "Features    fallback SCSV %s, compression %s, OCSP "
	    "stapling %s, extended master secret %s, encrypt-then-MAC %s\n",
	    yn(res->fallback_scsv), yn(res->compression),
	    yn(res->ocsp_stapling), yn(res->ems), yn(res->etm));
	if (res->alpn != NULL) {
		char *const *acc, *const *pref;
		size_t nacc, npref;
		enum tk_alpn_order m = tk_alpnprobe_order(res->alpn, &acc,
		    &nacc, &pref, &npref);

		fprintf(out, "ALPN        ");
		for (size_t i = 0; i < nacc; i++) {
			fprintf(out, "%s%s", i > 0 ? " " : "", acc[i]);
		}
		fprintf(out, "%s (order %s)\n", nacc == 0 ? "none accepted" :
		    "", tk_alpn_order_name(m));
	}
	if (st->findings.n > 0) {
		fprintf(out, "Findings\n");
		for (size_t i = 0; i < st->findings.n; i++) {
			const struct tk_finding *f = &st->findings.f[i];

			fprintf(out, "  %-7s %s: %s\n", f->sev == TK_SEV_FAIL ?
			    "FAIL" : f->sev == TK_SEV_WARN ? "WARNING" : "info",
			    f->code, f->message);
		}
	}
	for (size_t i = 0; i < st->conf->rules.n; i++) {
		fprintf(out, "%s %s%s%s\n", i == 0 ? "Require    " :
		    "           ", st->conf->rules.r[i].text,
		    st->req[i].met ? ": met" : ": NOT MET, ", st->req[i].why);
	}
	fprintf(out, "Scan        %u connections, %.2f s\n", res->connections,
	    (double)res->time_us / 1e6);
}

void
tk_scanreport_brief(const struct tk_scantarget *st, FILE *out)
{
	const struct tk_scan_res *res = &st->res;
	char esc[1024];
	int lo = -1, hi = -1;
	size_t nsuites = 0, nfail = 0, nwarn = 0;

	tk_escape(st->text, strlen(st->text), esc, sizeof(esc));
	for (int v = 0; v < TK_SCAN_NVER; v++) {
		if (res->v[v].accepted == TK_SCAN_YES) {
			lo = lo < 0 ? v : lo;
			hi = v;
			nsuites += res->v[v].nsuites;
		}
	}
	for (size_t i = 0; i < st->findings.n; i++) {
		nfail += st->findings.f[i].sev == TK_SEV_FAIL;
		nwarn += st->findings.f[i].sev == TK_SEV_WARN;
	}
	if (lo < 0) {
		fprintf(out, "%-7s %s: %s\n", "ERROR", esc,
		    tk_err_is_set(&st->err) ? st->err.msg : res->err.msg);
		return;
	}
	fprintf(out, "%-7s %s: %s%s%s, %zu suites, %zu failed, %zu "
	    "warnings%s\n", st->cls == TK_OK ? "OK" : st->cls == TK_WARN ?
	    "WARNING" : "FAIL", esc, ver_name(lo), lo != hi ? " to " : "",
	    lo != hi ? ver_name(hi) : "", nsuites, nfail, nwarn,
	    st->nreq_failed > 0 ? ", --require not met" : "");
}

static json_t *
json_suites(const struct tk_scan_res *res)
{
	json_t *o = json_object();
	char buf[32];

	for (int v = 0; v < TK_SCAN_NVER; v++) {
		const struct tk_scan_version *sv = &res->v[v];
		json_t *one, *a;

		if (sv->accepted != TK_SCAN_YES) {
			continue;
		}
		one = json_object();
		a = json_array();
		for (size_t i = 0; i < sv->nsuites; i++) {
			json_t *e = json_object();
			const struct tk_suite *s = v == TK_SCAN_SSL2 ? NULL :
			    tk_suites_by_code((uint16_t)sv->suites[i]);

			snprintf(buf, sizeof(buf), v == TK_SCAN_SSL2 ?
			    "0x%06X" : "0x%04X", sv->suites[i]);
			json_object_set_new(e, "code", json_string(buf));
			json_object_set_new(e, "name", json_string(suite_name(v,
			    sv->suites[i], buf, sizeof(buf))));
			if (s != NULL) {
				json_object_set_new(e, "kx", json_string(
				    tk_suites_kx_name(s->kx)));
				json_object_set_new(e, "auth", json_string(
				    tk_suites_auth_name(s->auth)));
				json_object_set_new(e, "enc", json_string(
				    tk_suites_enc_name(s->enc)));
				json_object_set_new(e, "bits",
				    json_integer(s->bits));
				json_object_set_new(e, "mac", json_string(
				    tk_suites_mac_name(s->mac)));
				json_object_set_new(e, "fs", json_boolean(
				    (s->flags & TK_SUITES_FS) ||
				    s->kx == TK_SUITES_KX_TLS13));
				json_object_set_new(e, "aead", json_boolean(
				    (s->flags & TK_SUITES_AEAD) != 0));
			}
			json_array_append_new(a, e);
		}
		json_object_set_new(one, "server_order",
		    jyn(sv->server_order));
		json_object_set_new(one, "accepted", a);
		json_object_set_new(o, ver_name(v), one);
	}
	return o;
}

static json_t *
json_names(const uint16_t *codes, size_t n, bool groups)
{
	json_t *a = json_array();
	char buf[16];

	for (size_t i = 0; i < n; i++) {
		const char *name = NULL;

		if (groups) {
			const struct tk_suites_group *g =
			    tk_suites_group_by_code(codes[i]);

			name = g != NULL ? g->name : NULL;
		} else {
			const struct tk_suites_sigalg *s =
			    tk_suites_sigalg_by_code(codes[i]);

			name = s != NULL ? s->name : NULL;
		}
		if (name == NULL) {
			snprintf(buf, sizeof(buf), "0x%04x", codes[i]);
			name = buf;
		}
		json_array_append_new(a, json_string(name));
	}
	return a;
}

static json_t *
json_certs(const struct tk_scan_res *res)
{
	json_t *a = json_array();

	for (size_t i = 0; i < TK_SCAN_CERTS; i++) {
		const struct tk_scanhs *p = res->certs[i].p;
		json_t *e, *f;

		if (p == NULL) {
			continue;
		}
		e = json_object();
		json_object_set_new(e, "key_type", json_string(
		    tk_scanhs_key_name(res->certs[i].key)));
		json_object_set_new(e, "sni", json_boolean(
		    !res->certs[i].no_sni));
		json_object_set_new(e, "served", jhs(p, false));
		if (p->yes == TK_SCANHS_YES && p->r.chain.n > 0) {
			const struct tk_certinfo *c = &p->r.chain.certs[0];
			char t[32];
			struct tm tm;

			json_object_set_new(e, "verdict", json_string(
			    tk_outcome_name(p->r.outcome)));
			json_object_set_new(e, "subject",
			    tk_report_json_str(c->subject, strlen(c->subject)));
			json_object_set_new(e, "issuer",
			    tk_report_json_str(c->issuer, strlen(c->issuer)));
			gmtime_r(&c->not_after, &tm);
			strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%SZ", &tm);
			json_object_set_new(e, "not_after", json_string(t));
			json_object_set_new(e, "days_left",
			    json_integer(c->days_left));
			json_object_set_new(e, "key", json_string(c->key));
			json_object_set_new(e, "sha256", json_string(c->sha256));
			json_object_set_new(e, "chain_length",
			    json_integer((json_int_t)p->r.chain.n));
			f = json_array();
			for (size_t k = 0; k < p->r.findings.n; k++) {
				json_array_append_new(f, json_string(
				    p->r.findings.f[k].code));
			}
			json_object_set_new(e, "findings", f);
		} else if (p->why[0] != '\0') {
			json_object_set_new(e, "why", tk_report_json_str(p->why,
			    strlen(p->why)));
		}
		json_array_append_new(a, e);
	}
	return a;
}

static json_t *
json_alpn(const struct tk_scan_res *res)
{
	json_t *o, *a;
	char *const *acc, *const *pref;
	size_t nacc, npref;
	enum tk_alpn_order m;
	const struct tk_alpn_probe *w;

	if (res->alpn == NULL) {
		return json_null();
	}
	m = tk_alpnprobe_order(res->alpn, &acc, &nacc, &pref, &npref);
	w = tk_alpnprobe_whole(res->alpn);
	o = json_object();
	json_object_set_new(o, "selected", w != NULL &&
	    w->out == TK_ALPN_SELECTED ? tk_report_json_str(w->r.tls.alpn,
	    strlen(w->r.tls.alpn)) : json_null());
	a = json_array();
	for (size_t i = 0; i < nacc; i++) {
		json_array_append_new(a, tk_report_json_str(acc[i],
		    strlen(acc[i])));
	}
	json_object_set_new(o, "accepted", a);
	json_object_set_new(o, "order", json_string(tk_alpn_order_name(m)));
	return o;
}

int
tk_scanreport_json(const struct tk_scantarget *st, FILE *out)
{
	const struct tk_scan_res *res = &st->res;
	json_t *o = tk_report_json_object(&res->main), *a, *v;
	const struct tk_err *e = tk_err_is_set(&st->err) ? &st->err :
	    &res->err;
	int rc;

	if (o == NULL) {
		return -1;
	}
	json_object_set_new(o, "verdict", json_string(outcome(st->cls)));
	if (tk_err_is_set(e)) {
		json_object_set_new(o, "reason", json_string(e->step != NULL ?
		    e->step : "scan"));
		json_object_set_new(o, "error", tk_report_json_str(e->msg,
		    strlen(e->msg)));
	} else {
		const struct tk_finding *worst = NULL;

		for (size_t i = 0; i < st->findings.n; i++) {
			if (worst == NULL ||
			    st->findings.f[i].sev > worst->sev) {
				worst = &st->findings.f[i];
			}
		}
		json_object_set_new(o, "reason", st->nreq_failed > 0 ?
		    json_string("require") : worst != NULL &&
		    worst->sev > TK_SEV_INFO ? json_string(worst->code) :
		    json_null());
	}
	a = json_array();
	for (size_t i = 0; i < st->findings.n; i++) {
		const struct tk_finding *f = &st->findings.f[i];
		json_t *x = json_object();

		json_object_set_new(x, "code", json_string(f->code));
		json_object_set_new(x, "severity",
		    json_string(tk_severity_name(f->sev)));
		json_object_set_new(x, "message", tk_report_json_str(f->message,
		    strlen(f->message)));
		json_array_append_new(a, x);
	}
	json_object_set_new(o, "findings", a);
	v = json_object();
	for (int k = 0; k < TK_SCAN_NVER; k++) {
		json_object_set_new(v, ver_name(k), jyn(res->v[k].accepted));
	}
	json_object_set_new(o, "protocols", v);
	json_object_set_new(o, "suites", json_suites(res));
	v = json_object();
	json_object_set_new(v, "TLS1.3", res->groups13_done &&
	    res->v[TK_SCAN_TLS13].accepted == TK_SCAN_YES ?
	    json_names(res->groups13, res->ngroups13, true) : json_null());
	json_object_set_new(v, "TLS1.2", res->groups12_done ?
	    json_names(res->groups12, res->ngroups12, true) : json_null());
	{
		const struct tk_suites_group *g = tk_suites_group_by_code(
		    res->ngroups13 > 0 ? res->groups13[0] :
		    res->ngroups12 > 0 ? res->groups12[0] : 0);

		json_object_set_new(v, "preferred", g != NULL ?
		    json_string(g->name) : json_null());
	}
	json_object_set_new(o, "groups", v);
	json_object_set_new(o, "dh_bits", res->dh_bits > 0 ?
	    json_integer(res->dh_bits) : json_null());
	v = json_object();
	json_object_set_new(v, "TLS1.2", res->sigalgs12_done ?
	    json_names(res->sigalgs12, res->nsigalgs12, false) : json_null());
	json_object_set_new(v, "TLS1.3", res->sigalgs13 != NULL ?
	    json_names(res->sigalgs13->sigalgs, res->sigalgs13->nsigalgs,
	    false) : json_null());
	json_object_set_new(o, "signature_algorithms", v);
	json_object_set_new(o, "certificates", json_certs(res));
	v = json_object();
	json_object_set_new(v, "session_id", jhs(res->resume_id, false));
	json_object_set_new(v, "ticket", jhs(res->resume_ticket, false));
	json_object_set_new(v, "tls13_psk", jhs(res->resume_psk, false));
	json_object_set_new(v, "early_data", jhs(res->resume_psk, true));
	json_object_set_new(o, "resumption", v);
	v = json_object();
	json_object_set_new(v, "secure", jyn(res->secure_reneg));
	json_object_set_new(v, "client_initiated", jhs(res->reneg, false));
	json_object_set_new(o, "renegotiation", v);
	json_object_set_new(o, "fallback_scsv", jyn(res->fallback_scsv));
	json_object_set_new(o, "compression", jyn(res->compression));
	json_object_set_new(o, "ocsp_stapling", jyn(res->ocsp_stapling));
	json_object_set_new(o, "extended_master_secret", jyn(res->ems));
	json_object_set_new(o, "encrypt_then_mac", jyn(res->etm));
	json_object_set_new(o, "alpn", json_alpn(res));
	a = json_array();
	for (size_t i = 0; i < st->conf->rules.n; i++) {
		json_t *x = json_object();

		json_object_set_new(x, "rule",
		    json_string(st->conf->rules.r[i].text));
		json_object_set_new(x, "met", json_boolean(st->req[i].met));
		json_object_set_new(x, "why", st->req[i].met ? json_null() :
		    tk_report_json_str(st->req[i].why,
		    strlen(st->req[i].why)));
		json_array_append_new(a, x);
	}
	json_object_set_new(o, "require", a);
	json_object_set_new(o, "connections", json_integer(res->connections));
	json_object_set_new(o, "time_ms",
	    json_integer((json_int_t)(res->time_us / 1000)));
	rc = tk_report_json_write(o, out);
	json_decref(o);
	return rc;
}
