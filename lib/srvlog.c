/*
 * The server's log; see srvlog.h.
 */
#include <stdio.h>
#include <string.h>

#include "escape.h"
#include "hello.h"
#include "report.h"
#include "server.h"
#include "srvlog.h"

#include "banned.h"

void
tk_srvlog_listening(const struct tk_srvlog_conf *conf, const char *addr,
    FILE *out)
{
	/* addr is an address of ours: nothing in it to escape */
	if (conf->json) {
		fprintf(out, "{\"event\":\"listening\",\"address\":\"%s\"}\n",
		    addr);
	} else {
		fprintf(out, "listening on %s\n", addr);
	}
}

/* A list of 16-bit ids by name, into a JSON array. */
static json_t *
json_ids(const uint16_t *ids, size_t n,
    const char *(*name)(uint16_t, char *, size_t))
{
	json_t *a = json_array();
	char hex[16];

	for (size_t i = 0; i < n; i++) {
		json_array_append_new(a, json_string(name(ids[i], hex,
		    sizeof(hex))));
	}
	return a;
}

/* The same as text: "a,b,c", or "none". */
static void
text_ids(char *out, size_t len, const uint16_t *ids, size_t n,
    const char *(*name)(uint16_t, char *, size_t))
{
	size_t used = 0;
	char hex[16];

	snprintf(out, len, "none");
	for (size_t i = 0; i < n; i++) {
		int k = snprintf(out + used, len - used, "%s%s",
		    i ? "," : "", name(ids[i], hex, sizeof(hex)));

		if (k < 0 || (size_t)k >= len - used) {
			break;
		}
		used += (size_t)k;
	}
}

const char *
tk_srvlog_verdict(const struct tk_server_client_info *c)
{
	if (!tk_err_is_set(c->err)) {
		return "ok";
	}
	return c->client_cert && !c->client_verified ? "fail" : "error";
}

/* What the client offered, as the "client_hello" object. */
static json_t *
json_hello(const struct tk_hello *h, bool verbose)
{
	json_t *o = json_object(), *a;
	const unsigned char *name;
	const uint16_t *ids;
	size_t off = 0, nl, n;

	json_object_set_new(o, "sni", h->sni_present ?
	    tk_report_json_str(h->sni, h->sni_len) : json_null());
	a = h->alpn_present ? json_array() : json_null();
	while (h->alpn_present && tk_hello_alpn_next(h, &off, &name, &nl)) {
		json_array_append_new(a,
		    tk_report_json_str((const char *)name, nl));
	}
	json_object_set_new(o, "alpn", a);
	n = tk_hello_versions(h, &ids);
	json_object_set_new(o, "versions", json_ids(ids, n,
	    tk_hello_version_name));
	if (verbose) {
		json_object_set_new(o, "groups", json_ids(h->groups,
		    h->ngroups, tk_hello_group_name));
		json_object_set_new(o, "signature_algorithms",
		    json_ids(h->sigalgs, h->nsigalgs, tk_hello_sigalg_name));
	}
	json_object_set_new(o, "malformed", json_boolean(h->malformed));
	return o;
}

/*
 * The clients' schema (tool, tls{}, verdict, error{}, exit_code,
 * timings_ms): man tls-echo-server(1), JSON OUTPUT.
 */
json_t *
tk_srvlog_json(const struct tk_srvlog_conf *conf,
    const struct tk_server_client_info *c)
{
	const struct tk_tls_info *info = &c->tls;
	bool ok = !tk_err_is_set(c->err);
	json_t *o = json_object(), *v;

	if (o == NULL) {
		return NULL;
	}
	json_object_set_new(o, "tool", json_string(conf->tool));
	json_object_set_new(o, "event", json_string("connection"));
	if (conf->worker > 0) {
		json_object_set_new(o, "worker", json_integer(conf->worker));
	}
	json_object_set_new(o, "peer", json_string(c->peer));
	json_object_set_new(o, "client_hello", c->hello != NULL ?
	    json_hello(c->hello, conf->verbose) : json_null());
	if (c->tls_done) {
		v = json_object();
		json_object_set_new(v, "version", json_string(info->version));
		json_object_set_new(v, "cipher", json_string(info->cipher));
		json_object_set_new(v, "kx", json_string(info->kx));
		json_object_set_new(v, "group", info->group[0] ?
		    json_string(info->group) : json_null());
		json_object_set_new(v, "alpn", info->alpn_negotiated ?
		    tk_report_json_str(info->alpn, strlen(info->alpn)) :
		    json_null());
		json_object_set_new(v, "resumed", json_boolean(info->resumed));
		json_object_set_new(o, "tls", v);
	} else {
		json_object_set_new(o, "tls", json_null());
	}
	if (c->client_cert) {
		v = json_object();
		json_object_set_new(v, "subject",
		    tk_report_json_str(c->client_subject,
		    strlen(c->client_subject)));
		json_object_set_new(v, "verified",
		    json_boolean(c->client_verified));
		json_object_set_new(o, "client_cert", v);
	} else {
		json_object_set_new(o, "client_cert", json_null());
	}
	json_object_set_new(o, "bytes_in",
	    json_integer((json_int_t)c->bytes_in));
	json_object_set_new(o, "bytes_out",
	    json_integer((json_int_t)c->bytes_out));
	json_object_set_new(o, "verdict", json_string(tk_srvlog_verdict(c)));
	if (ok) {
		json_object_set_new(o, "error", json_null());
	} else {
		v = json_object();
		json_object_set_new(v, "class",
		    json_string(tk_class_name(c->err->cls)));
		json_object_set_new(v, "step",
		    json_string(c->err->step ? c->err->step : ""));
		json_object_set_new(v, "message",
		    tk_report_json_str(c->err->msg, strlen(c->err->msg)));
		json_object_set_new(o, "error", v);
	}
	json_object_set_new(o, "exit_code",
	    json_integer(tk_err_exit_code(c->err->cls)));
	v = json_object();
	json_object_set_new(v, "handshake", c->tls_done ?
	    json_integer((json_int_t)c->handshake_ms) : json_null());
	json_object_set_new(v, "total",
	    json_integer((json_int_t)c->duration_ms));
	json_object_set_new(o, "timings_ms", v);
	return o;
}

/* " sni=... offered_alpn=... offered_versions=..." (-v: groups, sigalgs) */
static void
text_hello(const struct tk_hello *h, bool verbose, char *out, size_t len)
{
	const uint16_t *ids;
	char esc[1024], alpn[600], vers[200], groups[600], sigs[1200];
	size_t n = tk_hello_versions(h, &ids);

	tk_escape(h->sni, h->sni_len, esc, sizeof(esc));
	tk_hello_alpn_text(h, alpn, sizeof(alpn));
	text_ids(vers, sizeof(vers), ids, n, tk_hello_version_name);
	groups[0] = sigs[0] = '\0';
	if (verbose) {
		char g[500], sa[1100];

		text_ids(g, sizeof(g), h->groups, h->ngroups,
		    tk_hello_group_name);
		text_ids(sa, sizeof(sa), h->sigalgs, h->nsigalgs,
		    tk_hello_sigalg_name);
		snprintf(groups, sizeof(groups), " offered_groups=%s", g);
		snprintf(sigs, sizeof(sigs), " offered_sigalgs=%s", sa);
	}
	snprintf(out, len, " sni=%s offered_alpn=%s offered_versions=%s%s%s%s",
	    h->sni_present ? esc : "none", alpn, vers, groups, sigs,
	    h->malformed ? " (malformed hello)" : "");
}

void
tk_srvlog_text(const struct tk_srvlog_conf *conf,
    const struct tk_server_client_info *c, FILE *log)
{
	const struct tk_tls_info *info = &c->tls;   /* zeros before TLS */
	char esc[1024], sub[1100], offered[2400];

	sub[0] = '\0';
	if (c->client_cert) {
		tk_escape(c->client_subject, strlen(c->client_subject), esc,
		    sizeof(esc));
		snprintf(sub, sizeof(sub), " client=\"%s\"%s", esc,
		    c->client_verified ? "" : " (untrusted)");
	}
	offered[0] = '\0';
	if (c->hello != NULL) {
		text_hello(c->hello, conf->verbose, offered, sizeof(offered));
	}
	tk_escape(info->alpn, strlen(info->alpn), esc, sizeof(esc));
	fprintf(log, "%s %s %s group=%s alpn=%s%s%s in=%llu out=%llu "
	    "%llums ", c->peer, info->version[0] ? info->version : "-",
	    info->cipher[0] ? info->cipher : "-",
	    info->group[0] ? info->group : "-",
	    info->alpn_negotiated ? esc : "none", offered, sub,
	    (unsigned long long)c->bytes_in, (unsigned long long)c->bytes_out,
	    (unsigned long long)c->duration_ms);
	if (!tk_err_is_set(c->err)) {
		fprintf(log, "ok%s\n", c->injected ?
		    " (plaintext after STARTTLS discarded)" : "");
	} else {
		tk_escape(c->err->msg, strlen(c->err->msg), esc, sizeof(esc));
		fprintf(log, "error: %s: %s\n",
		    c->err->step ? c->err->step : "?", esc);
	}
}

void
tk_srvlog_connection(const struct tk_srvlog_conf *conf,
    const struct tk_server_client_info *c, FILE *out, FILE *log)
{
	json_t *o;

	if (conf->json) {
		o = tk_srvlog_json(conf, c);
		if (o != NULL) {
			json_dumpf(o, out, JSON_COMPACT | JSON_PRESERVE_ORDER);
			fputc('\n', out);
			fflush(out);
			json_decref(o);
		}
		return;
	}
	if (conf->quiet && !tk_err_is_set(c->err)) {
		return;
	}
	tk_srvlog_text(conf, c, log);
}
