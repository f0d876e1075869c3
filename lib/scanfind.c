/*
 * The judgement of a scan: findings and --require rules
 * (docs/ARCHITECTURE.md, "tls-scan").
 */
#include "scanfind.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "suites.h"
#include "tls.h"

#include "banned.h"

/* ------------------------------------------------------------------ */
/* Suites */

/* What a suite of an accepted list is, SSL 2.0's kinds included. */
struct kind {
	const char *name;
	bool fs, aead, anon, export, null, rc4, des, tdes, cbc, static_kx;
};

static bool
kind_of(enum tk_scan_ver v, uint32_t code, struct kind *k)
{
	memset(k, 0, sizeof(*k));
	if (v == TK_SCAN_SSL2) {
		const struct tk_suites_v2 *c = tk_suites_v2_by_code(code);

		if (c == NULL) {
			return false;
		}
		k->name = c->name;
		k->export = (c->flags & TK_SUITES_EXPORT) != 0;
		k->rc4 = c->enc == TK_SUITES_ENC_RC4;
		k->des = c->enc == TK_SUITES_ENC_DES ||
		    c->enc == TK_SUITES_ENC_RC2 || c->enc == TK_SUITES_ENC_IDEA;
		k->tdes = c->enc == TK_SUITES_ENC_3DES;
		k->static_kx = true;
		return true;
	}
	const struct tk_suite *s = tk_suites_by_code((uint16_t)code);

	if (s == NULL) {
		return false;
	}
	k->name = s->name;
	k->fs = (s->flags & TK_SUITES_FS) != 0 || s->kx == TK_SUITES_KX_TLS13;
	k->aead = (s->flags & TK_SUITES_AEAD) != 0;
	k->anon = (s->flags & TK_SUITES_ANON) != 0;
	k->export = (s->flags & TK_SUITES_EXPORT) != 0;
	k->null = s->enc == TK_SUITES_ENC_NULL;
	k->rc4 = s->enc == TK_SUITES_ENC_RC4;
	k->des = s->enc == TK_SUITES_ENC_DES || s->enc == TK_SUITES_ENC_RC2 ||
	    s->enc == TK_SUITES_ENC_IDEA;
	k->tdes = s->enc == TK_SUITES_ENC_3DES;
	k->cbc = !k->aead && !k->null && !k->rc4;
	k->static_kx = !k->fs && !k->anon && s->kx != TK_SUITES_KX_PSK &&
	    s->kx != TK_SUITES_KX_NONE;
	return true;
}

/* Which property a finding is about. */
enum prop { P_NULL, P_ANON, P_EXPORT, P_RC4, P_DES, P_3DES, P_STATIC, P_CBC,
    P_NOT_FS, P_NOT_AEAD };

static bool
has_prop(const struct kind *k, enum prop p)
{
	switch (p) {
	case P_NULL:
		return k->null;
	case P_ANON:
		return k->anon;
	case P_EXPORT:
		return k->export;
	case P_RC4:
		return k->rc4;
	case P_DES:
		return k->des;
	case P_3DES:
		return k->tdes;
	case P_STATIC:
		return k->static_kx;
	case P_CBC:
		return k->cbc;
	case P_NOT_FS:
		return !k->fs;
	case P_NOT_AEAD:
		return !k->aead;
	}
	return false;
}

/*
 * The accepted suites with property p: how many, and a sentence naming
 * the first ones and the versions ("TLS_RSA_WITH_RC4_128_SHA (TLS1.0,
 * TLS1.2) and 2 more").  0 when none.
 */
static size_t
with_prop(const struct tk_scan_res *res, enum prop p, char *buf, size_t len)
{
	size_t count = 0, shown = 0, l;
	char names[200] = "", vers[64] = "";

	for (int v = 0; v < TK_SCAN_NVER; v++) {
		const struct tk_scan_version *sv = &res->v[v];
		bool in_v = false;

		if (sv->accepted != TK_SCAN_YES) {
			continue;
		}
		for (size_t i = 0; i < sv->nsuites; i++) {
			struct kind k;

			if (!kind_of((enum tk_scan_ver)v, sv->suites[i], &k) ||
			    !has_prop(&k, p)) {
				continue;
			}
			in_v = true;
			count++;
			if (shown < 2 && strstr(names, k.name) == NULL) {
				l = strlen(names);
				snprintf(names + l, sizeof(names) - l, "%s%s",
				    shown > 0 ? ", " : "", k.name);
				shown++;
			}
		}
		if (in_v) {
			l = strlen(vers);
			snprintf(vers + l, sizeof(vers) - l, "%s%s",
			    vers[0] != '\0' ? ", " : "",
			    tk_suites_version_name(tk_scan_ver_wire(
			    (enum tk_scan_ver)v)));
		}
	}
	buf[0] = '\0';
	if (count > shown) {
		snprintf(buf, len, "%.200s and %zu more (%.64s)", names,
		    count - shown, vers);
	} else if (count > 0) {
		snprintf(buf, len, "%.200s (%.64s)", names, vers);
	}
	return count;
}

/* ------------------------------------------------------------------ */
/* Findings */

static void
suite_findings(const struct tk_scan_res *res, struct tk_findings *fs)
{
	static const struct {
		enum prop p;
		const char *code, *what;
	} props[] = {
		{P_NULL, "null-suite", "without encryption (NULL)"},
		{P_ANON, "anon-suite", "without server authentication "
		    "(anonymous)"},
		{P_EXPORT, "export-suite", "of export grade"},
		{P_RC4, "rc4-suite", "with RC4"},
		{P_DES, "des-suite", "with single DES, RC2 or IDEA"},
		{P_3DES, "3des-suite", "with 3DES (SWEET32)"},
		{P_STATIC, "static-kx", "without forward secrecy"},
		{P_CBC, "cbc-suite", "with CBC, not AEAD"},
	};
	char buf[300];

	for (size_t i = 0; i < sizeof(props) / sizeof(props[0]); i++) {
		size_t n = with_prop(res, props[i].p, buf, sizeof(buf));
		const struct tk_code *c = tk_code_find(props[i].code);

		if (n > 0 && c != NULL) {
			tk_findings_add(fs, props[i].code, c->sev,
			    "%zu suite%s %s accepted: %s", n,
			    n == 1 ? "" : "s", props[i].what, buf);
		}
	}
}

static void
add(struct tk_findings *fs, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
add(struct tk_findings *fs, const char *code, const char *fmt, ...)
{
	const struct tk_code *c = tk_code_find(code);
	char msg[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c != NULL) {
		tk_findings_add(fs, code, c->sev, "%s", msg);
	}
}

static bool
yes(const struct tk_scanhs *p)
{
	return p != NULL && p->yes == TK_SCANHS_YES;
}

void
tk_scanfind_judge(const struct tk_scan_res *res, struct tk_findings *fs)
{
	const struct tk_scan_version *v = res->v;
	bool strong = true, modern = v[TK_SCAN_TLS12].accepted == TK_SCAN_YES ||
	    v[TK_SCAN_TLS13].accepted == TK_SCAN_YES;
	int nlegacy = 0;
	char buf[320];

	if (v[TK_SCAN_SSL2].accepted == TK_SCAN_YES) {
		add(fs, "ssl2-enabled", "SSL 2.0 is accepted");
	}
	if (v[TK_SCAN_SSL3].accepted == TK_SCAN_YES) {
		add(fs, "ssl3-enabled", "SSL 3.0 is accepted");
	}
	if (v[TK_SCAN_TLS10].accepted == TK_SCAN_YES) {
		add(fs, "tls10-enabled", "TLS 1.0 is accepted");
	}
	if (v[TK_SCAN_TLS11].accepted == TK_SCAN_YES) {
		add(fs, "tls11-enabled", "TLS 1.1 is accepted");
	}
	for (int i = TK_SCAN_SSL2; i <= TK_SCAN_TLS11; i++) {
		nlegacy += v[i].accepted == TK_SCAN_YES;
	}
	if (!modern && nlegacy > 0) {
		add(fs, "no-modern-version", "neither TLS 1.2 nor TLS 1.3 is "
		    "accepted");
	}
	if (modern && v[TK_SCAN_TLS13].accepted == TK_SCAN_NO) {
		add(fs, "no-tls13", "TLS 1.3 is not accepted");
	}
	suite_findings(res, fs);
	for (int i = 0; i < TK_SCAN_NVER; i++) {
		if (v[i].nsuites > 200) {
			add(fs, "accepts-everything", "%zu %s suites accepted: "
			    "the server takes whatever is offered",
			    v[i].nsuites, tk_suites_version_name(
			    tk_scan_ver_wire((enum tk_scan_ver)i)));
			break;
		}
	}
	if (res->dh_bits > 0 && res->dh_bits < 1024) {
		add(fs, "dh-under-1024", "the DHE group has %u bits",
		    res->dh_bits);
	} else if (res->dh_bits > 0 && res->dh_bits < 2048) {
		add(fs, "dh-under-2048", "the DHE group has %u bits",
		    res->dh_bits);
	}
	buf[0] = '\0';
	for (size_t i = 0; i < res->ngroups12; i++) {
		const struct tk_suites_group *g =
		    tk_suites_group_by_code(res->groups12[i]);

		if (g != NULL && g->bits < 224) {
			size_t l = strlen(buf);

			snprintf(buf + l, sizeof(buf) - l, "%s%s (%u bits)",
			    l > 0 ? ", " : "", g->name, g->bits);
		}
	}
	if (buf[0] != '\0') {
		add(fs, "weak-group", "weak curves accepted: %s", buf);
	}
	strong = with_prop(res, P_NOT_FS, buf, sizeof(buf)) == 0 &&
	    with_prop(res, P_NOT_AEAD, buf, sizeof(buf)) == 0;
	for (int i = TK_SCAN_TLS13; i >= TK_SCAN_SSL3; i--) {
		const struct tk_code *c = tk_code_find("no-server-order");

		if (v[i].server_order == TK_SCAN_NO && c != NULL) {
			tk_findings_add(fs, "no-server-order", strong ?
			    TK_SEV_INFO : c->sev, "%s: the server takes the "
			    "client's order of suites%s",
			    tk_suites_version_name(tk_scan_ver_wire(
			    (enum tk_scan_ver)i)), strong ? " (all are AEAD "
			    "with forward secrecy)" : ", weaker ones included");
			break;
		}
	}
	if (res->secure_reneg == TK_SCAN_NO) {
		add(fs, "insecure-renegotiation", "the ServerHello of TLS 1.2 "
		    "or lower carries no renegotiation_info");
	}
	if (yes(res->reneg)) {
		add(fs, "client-renegotiation", "a client-initiated "
		    "renegotiation completed");
	}
	if (res->fallback_scsv == TK_SCAN_NO) {
		add(fs, "no-fallback-scsv", "a ClientHello below the highest "
		    "version with TLS_FALLBACK_SCSV was answered, not refused "
		    "with inappropriate_fallback");
	}
	if (res->compression == TK_SCAN_YES) {
		add(fs, "compression", "the server chose DEFLATE compression");
	}
	if (res->ems == TK_SCAN_NO) {
		add(fs, "no-ems", "the ServerHello of TLS 1.2 or lower carries "
		    "no extended_master_secret");
	}
	if (res->resume_psk != NULL &&
	    res->resume_psk->early_data == TK_SCANHS_YES) {
		add(fs, "early-data", "early data sent on resumption was "
		    "accepted");
	}
	if (res->violation) {
		add(fs, "protocol-violation", "%s", res->violation_why);
	}
	if (!res->main.handshake_done && (modern || nlegacy > 0)) {
		add(fs, "handshake-failed", "%s", tk_err_is_set(&res->main.err) ?
		    res->main.err.msg : "the handshake did not complete");
	}
}

/* ------------------------------------------------------------------ */
/* --require */

static int
parse_one(const char *text, struct tk_scanfind_rule *r, struct tk_err *err)
{
	const char *eq = strchr(text, '=');
	size_t nlen = eq != NULL ? (size_t)(eq - text) : strlen(text);
	const char *val = eq != NULL ? eq + 1 : NULL;

	memset(r, 0, sizeof(*r));
	snprintf(r->text, sizeof(r->text), "%s", text);
#define IS(s) (nlen == strlen(s) && strncmp(text, s, nlen) == 0)
	if (IS("min-version") && val != NULL) {
		int v;
		struct tk_err e;

		if (strncasecmp(val, "tlsv", 4) == 0) {
			val += 4;
		} else if (strncasecmp(val, "tls", 3) == 0) {
			val += 3;
		}
		if (tk_tls_version_parse(val, &v, &e) < 0) {
			return tk_err_set(err, TK_USAGE, "options", "--require "
			    "'%s': the version is 1.0, 1.1, 1.2 or 1.3", text);
		}
		r->kind = TK_RULE_MIN_VERSION;
		r->version = (uint16_t)(0x0301 + (v - 10));
		return 0;
	}
	if (IS("max-severity") && val != NULL) {
		r->kind = TK_RULE_MAX_SEVERITY;
		if (strcmp(val, "info") == 0) {
			r->sev = TK_SEV_INFO;
		} else if (strcmp(val, "warning") == 0) {
			r->sev = TK_SEV_WARN;
		} else {
			return tk_err_set(err, TK_USAGE, "options", "--require "
			    "'%s': the severity is info or warning", text);
		}
		return 0;
	}
	if (IS("no-finding") && val != NULL) {
		if (tk_code_find(val) == NULL) {
			return tk_err_set(err, TK_USAGE, "options", "--require "
			    "'%s': no finding is called '%s' (see FINDINGS in "
			    "the man page)", text, val);
		}
		r->kind = TK_RULE_NO_FINDING;
		snprintf(r->code, sizeof(r->code), "%s", val);
		return 0;
	}
	if (val == NULL && IS("forward-secrecy")) {
		r->kind = TK_RULE_FORWARD_SECRECY;
	} else if (val == NULL && IS("aead-only")) {
		r->kind = TK_RULE_AEAD;
	} else if (val == NULL && IS("tls13")) {
		r->kind = TK_RULE_TLS13;
	} else if (val == NULL && IS("server-order")) {
		r->kind = TK_RULE_SERVER_ORDER;
	} else {
		return tk_err_set(err, TK_USAGE, "options", "--require: unknown "
		    "rule '%s' (rules: %s)", text, TK_SCANFIND_RULES_HELP);
	}
#undef IS
	return 0;
}

int
tk_scanfind_parse(const char *const *args, size_t n,
    struct tk_scanfind_rules *out, struct tk_err *err)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < n; i++) {
		const char *p = args[i];

		while (*p != '\0') {
			size_t l = strcspn(p, ",");
			char one[128];

			if (l == 0 || l >= sizeof(one)) {
				return tk_err_set(err, TK_USAGE, "options",
				    "--require: %s rule in '%s'", l == 0 ?
				    "an empty" : "a too long", args[i]);
			}
			if (out->n == TK_SCANFIND_RULES_MAX) {
				return tk_err_set(err, TK_USAGE, "options",
				    "--require: more than %d rules",
				    TK_SCANFIND_RULES_MAX);
			}
			memcpy(one, p, l);
			one[l] = '\0';
			if (parse_one(one, &out->r[out->n], err) < 0) {
				return -1;
			}
			out->n++;
			p += l + (p[l] == ',');
		}
	}
	return 0;
}

void
tk_scanfind_require(const struct tk_scan_res *res,
    const struct tk_findings *all, const struct tk_scanfind_rules *rules,
    struct tk_scanfind_outcome *out)
{
	char buf[320];

	for (size_t i = 0; i < rules->n; i++) {
		const struct tk_scanfind_rule *r = &rules->r[i];
		struct tk_scanfind_outcome *o = &out[i];

		o->met = true;
		o->why[0] = '\0';
		switch (r->kind) {
		case TK_RULE_MIN_VERSION:
			for (int v = 0; v < TK_SCAN_NVER; v++) {
				uint16_t w = tk_scan_ver_wire(
				    (enum tk_scan_ver)v);

				if (res->v[v].accepted == TK_SCAN_YES &&
				    w < r->version) {
					o->met = false;
					snprintf(o->why, sizeof(o->why),
					    "%s is accepted",
					    tk_suites_version_name(w));
					break;
				}
			}
			break;
		case TK_RULE_FORWARD_SECRECY:
			if (with_prop(res, P_NOT_FS, buf, sizeof(buf)) > 0) {
				o->met = false;
				snprintf(o->why, sizeof(o->why), "accepted "
				    "without forward secrecy: %.200s", buf);
			}
			break;
		case TK_RULE_AEAD:
			if (with_prop(res, P_NOT_AEAD, buf, sizeof(buf)) > 0) {
				o->met = false;
				snprintf(o->why, sizeof(o->why), "accepted, not "
				    "AEAD: %.200s", buf);
			}
			break;
		case TK_RULE_TLS13:
			if (res->v[TK_SCAN_TLS13].accepted != TK_SCAN_YES) {
				o->met = false;
				snprintf(o->why, sizeof(o->why), "TLS 1.3 is "
				    "%s", res->v[TK_SCAN_TLS13].accepted ==
				    TK_SCAN_NO ? "not accepted" : "unknown");
			}
			break;
		case TK_RULE_SERVER_ORDER:
			for (int v = 0; v < TK_SCAN_NVER; v++) {
				if (res->v[v].server_order == TK_SCAN_NO) {
					o->met = false;
					snprintf(o->why, sizeof(o->why),
					    "%s takes the client's order",
					    tk_suites_version_name(
					    tk_scan_ver_wire(
					    (enum tk_scan_ver)v)));
					break;
				}
			}
			break;
		case TK_RULE_MAX_SEVERITY:
			for (size_t k = 0; k < all->n; k++) {
				if ((int)all->f[k].sev > r->sev) {
					o->met = false;
					snprintf(o->why, sizeof(o->why),
					    "%s %s", tk_severity_name(
					    all->f[k].sev), all->f[k].code);
					break;
				}
			}
			break;
		case TK_RULE_NO_FINDING:
			if (tk_findings_has(all, r->code)) {
				o->met = false;
				snprintf(o->why, sizeof(o->why), "%s was "
				    "found", r->code);
			}
			break;
		}
	}
}
