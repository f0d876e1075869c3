/*
 * Unit tests for lib/report.h and lib/escape.h: escaping of peer strings,
 * JSON output and its extension by a tool, the text verdict line, Nagios.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "report.h"

#include "tk_test.h"

/* Inputs carry their length: some hold NUL bytes. */
#define IN(s) s, sizeof(s) - 1

/* An escaper's case: input, room for the output, the output. */
struct esc_case {
	const char *name;
	const char *in;
	size_t inlen;
	size_t outlen;
	const char *out;
};

static const struct esc_case esc_cases[] = {
	{"plain ASCII", IN("hello, world ~!"), 64, "hello, world ~!"},
	{"empty", IN(""), 8, ""},
	{"LF", IN("a\nb"), 64, "a\\x0Ab"},
	{"CR TAB ESC", IN("\r\t\x1b"), 64, "\\x0D\\x09\\x1B"},
	{"NUL inside", IN("a\0b"), 64, "a\\x00b"},
	{"DEL", IN("\x7f"), 64, "\\x7F"},
	{"backslash", IN("a\\b"), 64, "a\\\\b"},
	{"valid UTF-8", IN("b\xc3\xbc" "cher"), 64, "b\xc3\xbc" "cher"},
	{"valid 3 bytes", IN("\xe2\x82\xac"), 64, "\xe2\x82\xac"},
	{"valid 4 bytes", IN("\xf0\x9f\x92\xa9"), 64, "\xf0\x9f\x92\xa9"},
	{"U+10FFFF", IN("\xf4\x8f\xbf\xbf"), 64, "\xf4\x8f\xbf\xbf"},
	{"invalid byte", IN("\xff"), 64, "\\xFF"},
	{"overlong /", IN("\xc0\xaf"), 64, "\\xC0\\xAF"},
	{"overlong 3 bytes", IN("\xe0\x80\xaf"), 64, "\\xE0\\x80\\xAF"},
	{"surrogate", IN("\xed\xa0\x80"), 64, "\\xED\\xA0\\x80"},
	{"past U+10FFFF", IN("\xf4\x90\x80\x80"), 64,
	    "\\xF4\\x90\\x80\\x80"},
	{"C1 NEL", IN("\xc2\x85"), 64, "\\xC2\\x85"},
	{"C1 CSI", IN("\xc2\x9b"), 64, "\\xC2\\x9B"},
	{"first after C1", IN("\xc2\xa0"), 64, "\xc2\xa0"},
	{"lone continuation", IN("\x80x"), 64, "\\x80x"},
	{"cut sequence", IN("\xe2\x82"), 64, "\\xE2\\x82"},
	{"cut then ASCII", IN("\xc3" "a"), 64, "\\xC3a"},
	/* truncation: whole characters and escapes only, always a NUL */
	{"fits exactly", IN("abc"), 4, "abc"},
	{"cut ASCII", IN("abcdef"), 4, "abc"},
	{"no room for U+00FC", IN("b\xc3\xbc"), 3, "b"},
	{"room for U+00FC", IN("b\xc3\xbc"), 4, "b\xc3\xbc"},
	{"no room for U+1F4A9", IN("a\xf0\x9f\x92\xa9"), 5, "a"},
	{"no room for an escape", IN("a\nb"), 5, "a"},
	{"room for an escape", IN("a\nb"), 6, "a\\x0A"},
	{"no room for \\\\", IN("\\"), 2, ""},
	{"room for \\\\", IN("\\"), 3, "\\\\"},
	{"one byte", IN("abc"), 1, ""},
};

/* tk_escape_json(): the bytes JSON escapes itself pass, the rest U+FFFD */
#define FFFD "\xef\xbf\xbd"
static const struct esc_case jesc_cases[] = {
	{"plain ASCII", IN("hello, world ~!"), 64, "hello, world ~!"},
	{"empty", IN(""), 8, ""},
	{"LF", IN("a\nb"), 64, "a\nb"},
	{"CR TAB ESC", IN("\r\t\x1b"), 64, "\r\t\x1b"},
	{"NUL inside", IN("a\0b"), 64, "a" FFFD "b"},
	{"DEL", IN("\x7f"), 64, "\x7f"},
	{"backslash", IN("a\\b"), 64, "a\\b"},
	{"text escape stays text", IN("\\x1B"), 64, "\\x1B"},
	{"valid UTF-8", IN("b\xc3\xbc" "cher"), 64, "b\xc3\xbc" "cher"},
	{"valid 4 bytes", IN("\xf0\x9f\x92\xa9"), 64, "\xf0\x9f\x92\xa9"},
	{"invalid byte", IN("\xff"), 64, FFFD},
	{"overlong /", IN("\xc0\xaf"), 64, FFFD FFFD},
	{"surrogate", IN("\xed\xa0\x80"), 64, FFFD FFFD FFFD},
	{"C1 CSI", IN("\xc2\x9b"), 64, "\xc2\x9b"},
	{"lone continuation", IN("\x80x"), 64, FFFD "x"},
	{"cut sequence", IN("\xe2\x82"), 64, FFFD FFFD},
	{"no room for U+FFFD", IN("a\xff"), 4, "a"},
	{"room for U+FFFD", IN("a\xff"), 5, "a" FFFD},
	{"no room for U+00FC", IN("b\xc3\xbc"), 3, "b"},
	{"one byte", IN("abc"), 1, ""},
};

static void
test_escape_json_table(void)
{
	for (size_t i = 0; i < sizeof(jesc_cases) / sizeof(jesc_cases[0]);
	     i++) {
		char out[128];
		size_t n;

		TK_CASE(jesc_cases[i].name);
		memset(out, 'Z', sizeof(out));
		n = tk_escape_json(jesc_cases[i].in, jesc_cases[i].inlen, out,
		    jesc_cases[i].outlen);
		EXPECT_TRUE(memchr(out, '\0', jesc_cases[i].outlen) != NULL);
		EXPECT_EQ_STR(out, jesc_cases[i].out);
		EXPECT_EQ_SIZE(n, strlen(jesc_cases[i].out));
	}
	TK_CASE(NULL);
}

static void
test_escape_table(void)
{
	for (size_t i = 0; i < sizeof(esc_cases) / sizeof(esc_cases[0]);
	     i++) {
		char out[128];

		TK_CASE(esc_cases[i].name);
		memset(out, 'Z', sizeof(out));
		tk_escape(esc_cases[i].in, esc_cases[i].inlen, out,
		    esc_cases[i].outlen);
		EXPECT_TRUE(memchr(out, '\0', esc_cases[i].outlen) != NULL);
		EXPECT_EQ_STR(out, esc_cases[i].out);
	}
	TK_CASE(NULL);
}

/* Strict RFC 3629 check of what tk_escape produced. */
static bool
valid_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p != '\0') {
		unsigned cp;
		size_t len;

		if (*p < 0x80) {
			p++;
			continue;
		}
		if ((*p & 0xe0) == 0xc0) {
			len = 2;
			cp = *p & 0x1fu;
		} else if ((*p & 0xf0) == 0xe0) {
			len = 3;
			cp = *p & 0x0fu;
		} else if ((*p & 0xf8) == 0xf0) {
			len = 4;
			cp = *p & 0x07u;
		} else {
			return false;
		}
		for (size_t i = 1; i < len; i++) {
			if ((p[i] & 0xc0) != 0x80) {
				return false;
			}
			cp = (cp << 6) | (p[i] & 0x3fu);
		}
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
		    (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff)) {
			return false;
		}
		p += len;
	}
	return true;
}

/*
 * For every output size, the result is a prefix of the untruncated one
 * that ends where a whole input character ends, is the longest such that
 * fits, is valid UTF-8, and is NUL-terminated inside the buffer.
 */
static void
test_escape_truncation(void)
{
	static const char in[] = "a\xc3\xbc\n\\\xe2\x82\xac\xff\xf0\x9f\x92"
	    "\xa9z\xed\xa0\x80" "b";
	size_t inlen = sizeof(in) - 1;
	char full[256], part[256];
	size_t bounds[64], nb = 0;

	tk_escape(in, inlen, full, sizeof(full));
	/* where each input prefix's escape ends inside the full escape */
	for (size_t j = 0; j <= inlen; j++) {
		char pre[256];

		tk_escape(in, j, pre, sizeof(pre));
		if (strncmp(full, pre, strlen(pre)) == 0 &&
		    (nb == 0 || bounds[nb - 1] != strlen(pre))) {
			bounds[nb++] = strlen(pre);
		}
	}
	EXPECT_EQ_SIZE(bounds[nb - 1], strlen(full));

	for (size_t outlen = 1; outlen <= strlen(full) + 1; outlen++) {
		size_t len, k;

		TK_CASE("truncation");
		memset(part, 'Z', sizeof(part));
		tk_escape(in, inlen, part, outlen);
		EXPECT_TRUE(memchr(part, '\0', outlen) != NULL);
		part[outlen - 1] = '\0';
		len = strlen(part);
		EXPECT_TRUE(strncmp(full, part, len) == 0);
		EXPECT_TRUE(valid_utf8(part));
		for (k = 0; k < nb && bounds[k] < len; k++) {
		}
		EXPECT_TRUE(k < nb && bounds[k] == len);
		/* greedy: the next character would not have fitted */
		EXPECT_TRUE(k + 1 == nb || bounds[k + 1] >= outlen);
	}
	TK_CASE(NULL);
}

static char *
json_of(const struct tk_result *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL) {
		return NULL;
	}
	EXPECT_EQ_INT(tk_report_json(r, f), 0);
	fclose(f);
	return buf;
}

static const char *
get_str(json_t *o, const char *path1, const char *path2)
{
	json_t *v = json_object_get(o, path1);

	if (path2 != NULL) {
		v = json_object_get(v, path2);
	}
	return json_string_value(v);
}

static void
test_json_hostile(void)
{
	static const char target[] = "bad\x01\xff\xc0\xaf.example\x1b[31m";
	static const char reason[] = "name 'x\xed\xa0\x80y\n' \xc2\x85 \\ ok";
	static const char san[] = "a\0b\xff";
	struct tk_result r;
	json_error_t jerr;
	json_t *o, *sans;
	char want[1024];
	char *text;

	TK_CASE("hostile JSON");
	tk_result_init(&r, "tls-check-cert", target);
	r.verdict.status = TK_VERIFY_FAILED;
	r.verdict.n = 1;
	r.verdict.reasons[0].code = "name-mismatch";
	snprintf(r.verdict.reasons[0].message,
	    sizeof(r.verdict.reasons[0].message), "%s", reason);
	snprintf(r.hostname, sizeof(r.hostname), "h\x7f\xfe");
	r.chain.certs = calloc(1, sizeof(*r.chain.certs));
	if (r.chain.certs != NULL) {
		struct tk_certinfo *c = &r.chain.certs[0];

		r.chain.n = r.chain.total = 1;
		snprintf(c->subject, sizeof(c->subject), "CN=evil\r\n\xff");
		snprintf(c->issuer, sizeof(c->issuer), "CN=ca");
		c->sans[0].type = TK_SAN_DNS;
		memcpy(c->sans[0].value, san, sizeof(san));
		c->sans[0].len = sizeof(san) - 1;
		c->nsans = c->nsans_total = 1;
		snprintf(c->key, sizeof(c->key), "RSA 2048");
	}
	tk_err_set(&r.err, TK_CHECK, "verify", "reason \x02\xf8 '%s'", target);
	r.cls = TK_CHECK;

	text = json_of(&r);
	EXPECT_TRUE(text != NULL);
	if (text == NULL) {
		tk_result_release(&r);
		return;
	}
	/* one object on one line */
	EXPECT_TRUE(strchr(text, '\n') == text + strlen(text) - 1);
	o = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	EXPECT_TRUE(o != NULL);
	if (o == NULL) {
		fprintf(stderr, "  json_loads: %s: %s\n", jerr.text, text);
		free(text);
		tk_result_release(&r);
		return;
	}
	EXPECT_EQ_STR(get_str(o, "tool", NULL), "tls-check-cert");
	tk_escape_json(target, strlen(target), want, sizeof(want));
	EXPECT_EQ_STR(get_str(o, "target", NULL), want);
	/* JSON carries the control bytes themselves (\\u001b), each
	 * invalid byte as U+FFFD, never the text form \\x1B */
	EXPECT_EQ_STR(get_str(o, "target", NULL),
	    "bad\x01\xef\xbf\xbd" "\xef\xbf\xbd" "\xef\xbf\xbd" ".example\x1b[31m");
	EXPECT_TRUE(strstr(text, "\\u001B[31m") != NULL ||
	    strstr(text, "\\u001b[31m") != NULL);
	EXPECT_TRUE(strstr(text, "\\\\x1B") == NULL);
	EXPECT_EQ_STR(get_str(o, "hostname", NULL), "h\x7f\xef\xbf\xbd");
	EXPECT_EQ_STR(get_str(o, "verification", "status"), "failed");
	{
		json_t *rs = json_object_get(json_object_get(o,
		    "verification"), "reasons");

		EXPECT_EQ_SIZE(json_array_size(rs), 1);
		EXPECT_EQ_STR(get_str(json_array_get(rs, 0), "code", NULL),
		    "name-mismatch");
		EXPECT_EQ_STR(get_str(json_array_get(rs, 0), "message", NULL),
		    "name 'x\xef\xbf\xbd" "\xef\xbf\xbd" "\xef\xbf\xbd" "y\n' \xc2\x85 \\ ok");
	}
	EXPECT_TRUE(json_is_object(json_object_get(o, "error")));
	EXPECT_EQ_STR(get_str(o, "error", "class"), "check");
	EXPECT_EQ_STR(get_str(o, "error", "step"), "verify");
	EXPECT_TRUE(get_str(o, "error", "message") != NULL);
	EXPECT_TRUE(json_is_integer(json_object_get(o, "exit_code")));
	EXPECT_EQ_INT(json_integer_value(json_object_get(o, "exit_code")), 1);
	sans = json_object_get(json_array_get(json_object_get(o, "chain"), 0),
	    "sans");
	EXPECT_EQ_STR(json_string_value(json_array_get(sans, 0)),
	    "DNS:a\xef\xbf\xbd" "b\xef\xbf\xbd");
	EXPECT_EQ_STR(get_str(json_array_get(json_object_get(o, "chain"), 0),
	    "subject", NULL), "CN=evil\r\n\xef\xbf\xbd");
	json_decref(o);
	free(text);
	tk_result_release(&r);
	TK_CASE(NULL);
}

static void
test_json_empty(void)
{
	struct tk_result r;
	json_error_t jerr;
	json_t *o;
	char *text;

	TK_CASE("empty result");
	tk_result_init(&r, "tls-echo-client", "localhost:4433");
	text = json_of(&r);
	o = text != NULL ? json_loads(text, JSON_REJECT_DUPLICATES, &jerr) :
	    NULL;
	EXPECT_TRUE(o != NULL);
	if (o != NULL) {
		EXPECT_EQ_STR(get_str(o, "target", NULL), "localhost:4433");
		EXPECT_EQ_STR(get_str(o, "verification", "status"),
		    "not-done");
		EXPECT_TRUE(json_is_null(json_object_get(o, "error")));
		EXPECT_TRUE(json_is_null(json_object_get(o, "tls")));
		EXPECT_TRUE(json_is_null(json_object_get(o, "address")));
		EXPECT_EQ_INT(json_integer_value(json_object_get(o,
		    "exit_code")), 0);
		json_decref(o);
	}
	free(text);
	tk_result_release(&r);
	TK_CASE(NULL);
}

static void
test_error_line(void)
{
	struct tk_err err;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	TK_CASE("error line");
	tk_err_clear(&err);
	tk_err_set(&err, TK_NET, "connect", "refused by\n'\x1b[2J'");
	f = open_memstream(&buf, &len);
	if (f == NULL) {
		EXPECT_TRUE(false);
		return;
	}
	tk_report_error_line("tls-echo-client", "x\ny", &err, f);
	fclose(f);
	EXPECT_EQ_STR(buf, "tls-echo-client: x\\x0Ay: connect: refused by"
	    "\\x0A'\\x1B[2J'\n");
	free(buf);
	TK_CASE(NULL);
}

/* Everything a renderer writes to a memory stream, as one string. */
struct mem {
	char *buf;
	size_t len;
	FILE *f;
};

static bool
mem_open(struct mem *m)
{
	m->buf = NULL;
	m->len = 0;
	m->f = open_memstream(&m->buf, &m->len);
	EXPECT_TRUE(m->f != NULL);
	return m->f != NULL;
}

static const char *
mem_close(struct mem *m)
{
	fclose(m->f);
	if (m->buf == NULL) {
		/* not even the empty string: out of memory */
		EXPECT_TRUE(m->buf != NULL);
		abort();
	}
	return m->buf;
}

/*
 * A tool's own fields through tk_report_json_object(): the common fields
 * come first and byte for byte as tk_report_json() writes them, new keys
 * follow in order, and a key set again keeps its place.
 */
static void
test_json_extend(void)
{
	struct tk_result r;
	struct mem plain, ext;
	json_t *o;
	size_t n;
	const char *a, *b;

	TK_CASE("JSON extension");
	tk_result_init(&r, "tls-echo-client", "localhost:4433");
	snprintf(r.address, sizeof(r.address), "127.0.0.1:4433");
	r.t_total_us = 1234567;
	r.checked = true;
	r.verdict.status = TK_VERIFY_OK;
	tk_result_finish(&r);
	if (!mem_open(&plain) || !mem_open(&ext)) {
		tk_result_release(&r);
		return;
	}
	EXPECT_EQ_INT(tk_report_json(&r, plain.f), 0);
	o = tk_report_json_object(&r);
	EXPECT_TRUE(o != NULL);
	if (o != NULL) {
		json_object_set_new(o, "tool", json_string("tls-alpn-probe"));
		json_object_set_new(o, "probe", json_null());
		json_object_set_new(o, "exit_code", json_integer(5));
		EXPECT_EQ_INT(tk_report_json_write(o, ext.f), 0);
		json_decref(o);
	}
	a = mem_close(&plain);
	b = mem_close(&ext);
	/* the same bytes, but for the two values set again and the key
	 * added at the end */
	EXPECT_TRUE(strstr(a, "\"verdict\":\"ok\"") != NULL);
	{
		static const char t1[] = "{\"tool\":\"tls-echo-client\",";
		static const char x1[] = "\"exit_code\":0,";
		const char *x = strstr(a, x1);
		char want[4096];

		n = strlen(a);
		EXPECT_TRUE(strncmp(a, t1, sizeof(t1) - 1) == 0);
		EXPECT_TRUE(x != NULL && n > 2 && n < 2048 &&
		    strcmp(a + n - 2, "}\n") == 0);
		if (x != NULL && n > 2 && n < 2048) {
			snprintf(want, sizeof(want), "{\"tool\":\"tls-alpn-"
			    "probe\",%.*s\"exit_code\":5,%.*s,\"probe\":null}"
			    "\n", (int)(x - a - (sizeof(t1) - 1)),
			    a + sizeof(t1) - 1, (int)(a + n - 2 - x -
			    (sizeof(x1) - 1)), x + sizeof(x1) - 1);
			EXPECT_EQ_STR(b, want);
		}
	}
	EXPECT_TRUE(strstr(b, "\"total\":1234.56}") != NULL);
	free(plain.buf);
	free(ext.buf);
	tk_result_release(&r);
	TK_CASE(NULL);
}

/* The verdict line says what tk_result_finish() decided, nothing else. */
static const struct {
	const char *name;
	enum tk_class cls;
	bool checked;
	const char *line;
	const char *json;
} vcases[] = {
	{"network error", TK_NET, false,
	    "ERROR   smtp://mx: connect: refused\n", "error"},
	{"handshake error after the check", TK_TLS, true,
	    "ERROR   smtp://mx: connect: refused\n", "error"},
	{"failed check", TK_CHECK, true,
	    "FAIL    smtp://mx: expired: gone\n", "fail"},
	{"warning", TK_WARN, true,
	    "WARNING smtp://mx: expired: gone\n", "warning"},
};

static void
test_verdict_line(void)
{
	for (size_t i = 0; i < sizeof(vcases) / sizeof(vcases[0]); i++) {
		struct tk_result r;
		struct mem m, j;
		char want[64];

		TK_CASE(vcases[i].name);
		tk_result_init(&r, "tls-starttls", "smtp://mx");
		r.cls = vcases[i].cls;
		r.checked = vcases[i].checked;
		if (vcases[i].cls == TK_NET || vcases[i].cls == TK_TLS) {
			tk_err_set(&r.err, vcases[i].cls, "connect",
			    "refused");
		} else {
			tk_findings_add(&r.findings, "expired",
			    vcases[i].cls == TK_CHECK ? TK_SEV_FAIL :
			    TK_SEV_WARN, "gone");
		}
		tk_result_finish(&r);
		if (!mem_open(&m) || !mem_open(&j)) {
			tk_result_release(&r);
			return;
		}
		tk_report_text_check(&r, true, false, m.f);
		EXPECT_EQ_STR(mem_close(&m), vcases[i].line);
		EXPECT_EQ_INT(tk_report_json(&r, j.f), 0);
		snprintf(want, sizeof(want), "\"verdict\":\"%s\"",
		    vcases[i].json);
		EXPECT_TRUE(strstr(mem_close(&j), want) != NULL);
		free(m.buf);
		free(j.buf);
		tk_result_release(&r);
	}
	TK_CASE(NULL);
}

/* --nagios: a network error is CRITICAL, an internal one UNKNOWN. */
static void
test_nagios(void)
{
	struct tk_result a, b;
	const struct tk_result *rs[2] = {&a, &b};
	struct mem m;

	tk_result_init(&a, "tls-check-cert", "a:443");
	tk_result_init(&b, "tls-check-cert", "b:443");
	tk_err_set(&a.err, TK_NET, "connect", "refused");
	a.cls = TK_NET;
	tk_result_finish(&a);
	b.checked = true;
	b.verdict.status = TK_VERIFY_OK;
	tk_result_finish(&b);
	if (!mem_open(&m)) {
		return;
	}
	EXPECT_EQ_INT(tk_report_nagios(rs, 2, 30, 7, m.f), 2);
	EXPECT_EQ_STR(mem_close(&m), "TLS CRITICAL - 1 of 2 targets failed; "
	    "a:443: connect: refused\n");
	free(m.buf);
	tk_err_reset(&b.err, TK_INTERNAL, "verify", "out of memory");
	b.cls = TK_INTERNAL;
	tk_result_finish(&b);
	if (!mem_open(&m)) {
		return;
	}
	EXPECT_EQ_INT(tk_report_nagios(rs, 2, 30, 7, m.f), 3);
	EXPECT_EQ_STR(mem_close(&m), "TLS UNKNOWN - 2 of 2 targets failed; "
	    "b:443: verify: out of memory\n");
	free(m.buf);
	tk_result_release(&a);
	tk_result_release(&b);
}

/* timings_ms: a step that never started is null, not 0 */
static void
test_json_timings(void)
{
	static const struct {
		const char *name;
		const char *step;    /* the error's, NULL: none */
		bool connected, handshake;
		uint64_t resolve, connect, handshake_us;
		bool want_resolve, want_connect, want_handshake;
	} cases[] = {
		{"refused connect", "connect", false, false, 30, 120, 0,
		    true, true, false},
		{"refused, resolve took no time", "connect", false, false, 0,
		    120, 0, true, true, false},
		{"resolve failed", "resolve", false, false, 0, 0, 0,
		    true, false, false},
		{"handshake failed", "handshake", true, false, 10, 20, 0,
		    true, true, true},
		{"done", NULL, true, true, 10, 20, 30, true, true, true},
		{"nothing ran", NULL, false, false, 0, 0, 0,
		    false, false, false},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tk_result r;
		json_error_t jerr;
		json_t *o, *t;
		char *text;

		TK_CASE(cases[i].name);
		tk_result_init(&r, "tls-check-cert", "localhost:1");
		r.t_resolve_us = cases[i].resolve;
		r.t_connect_us = cases[i].connect;
		r.t_handshake_us = cases[i].handshake_us;
		r.t_total_us = 200;
		r.handshake_done = cases[i].handshake;
		if (cases[i].connected) {
			snprintf(r.address, sizeof(r.address),
			    "127.0.0.1:1");
		}
		if (cases[i].step != NULL) {
			tk_err_set(&r.err, TK_NET, cases[i].step, "no");
			r.cls = TK_NET;
		}
		tk_result_finish(&r);
		text = json_of(&r);
		o = text != NULL ? json_loads(text, 0, &jerr) : NULL;
		EXPECT_TRUE(o != NULL);
		t = json_object_get(o, "timings_ms");
		EXPECT_EQ_INT(json_is_number(json_object_get(t, "resolve")),
		    cases[i].want_resolve);
		EXPECT_EQ_INT(json_is_number(json_object_get(t, "connect")),
		    cases[i].want_connect);
		EXPECT_EQ_INT(json_is_number(json_object_get(t, "handshake")),
		    cases[i].want_handshake);
		EXPECT_EQ_INT(json_is_null(json_object_get(t, "handshake")),
		    !cases[i].want_handshake);
		EXPECT_TRUE(json_is_number(json_object_get(t, "total")));
		json_decref(o);
		free(text);
		tk_result_release(&r);
	}
	TK_CASE(NULL);
}

/*
 * chain[]: key_type and key_bits beside key; the text marks the failing
 * certificate and says "expired N days ago", never "-N days left".
 */
static void
test_chain_output(void)
{
	struct tk_result r;
	struct mem m;
	json_error_t jerr;
	json_t *o, *c0;
	char *text;
	const char *t;

	TK_CASE("chain output");
	tk_result_init(&r, "tls-check-cert", "localhost:1");
	r.chain.certs = calloc(2, sizeof(*r.chain.certs));
	if (r.chain.certs == NULL) {
		EXPECT_TRUE(false);
		return;
	}
	r.chain.n = r.chain.total = 2;
	snprintf(r.chain.certs[0].subject, 64, "CN=localhost");
	snprintf(r.chain.certs[0].key, 48, "ECDSA SECP256R1");
	snprintf(r.chain.certs[0].key_type, 16, "ECDSA");
	r.chain.certs[0].key_bits = 256;
	r.chain.certs[0].days_left = -5816;
	snprintf(r.chain.certs[1].subject, 64, "CN=ca");
	snprintf(r.chain.certs[1].key, 48, "RSA 2048");
	snprintf(r.chain.certs[1].key_type, 16, "RSA");
	r.chain.certs[1].key_bits = 2048;
	r.chain.certs[1].days_left = 1;
	r.checked = true;
	r.verdict.status = TK_VERIFY_FAILED;
	tk_findings_add(&r.findings, "expired", TK_SEV_FAIL,
	    "certificate #0 'localhost' expired on 2011-01-01T00:00:00Z");
	tk_result_finish(&r);

	text = json_of(&r);
	o = text != NULL ? json_loads(text, 0, &jerr) : NULL;
	EXPECT_TRUE(o != NULL);
	c0 = json_array_get(json_object_get(o, "chain"), 0);
	EXPECT_EQ_STR(get_str(c0, "key", NULL), "ECDSA SECP256R1");
	EXPECT_EQ_STR(get_str(c0, "key_type", NULL), "ECDSA");
	EXPECT_EQ_INT(json_integer_value(json_object_get(c0, "key_bits")),
	    256);
	EXPECT_EQ_INT(json_integer_value(json_object_get(c0, "days_left")),
	    -5816);
	EXPECT_EQ_STR(get_str(json_array_get(json_object_get(o, "chain"), 1),
	    "key_type", NULL), "RSA");
	json_decref(o);
	free(text);

	if (!mem_open(&m)) {
		tk_result_release(&r);
		return;
	}
	tk_report_text_check(&r, false, false, m.f);
	t = mem_close(&m);
	EXPECT_TRUE(strstr(t, "\n! #0 CN=localhost  <- expired\n") != NULL);
	EXPECT_TRUE(strstr(t, "\n  #1 CN=ca\n") != NULL);
	EXPECT_TRUE(strstr(t, "(expired 5816 days ago)\n") != NULL);
	EXPECT_TRUE(strstr(t, "(1 day left)\n") != NULL);
	EXPECT_TRUE(strstr(t, "-5816") == NULL);
	free(m.buf);
	/* with colour the marked line is red as well */
	if (mem_open(&m)) {
		tk_report_text_check(&r, false, true, m.f);
		t = mem_close(&m);
		EXPECT_TRUE(strstr(t, "\033[31m! #0 CN=localhost  <- expired"
		    "\033[0m\n") != NULL);
		free(m.buf);
	}
	tk_result_release(&r);
	TK_CASE(NULL);
}

/*
 * --nagios perfdata as the Monitoring Plugins guidelines say: thresholds
 * in range syntax ("30:"), empty when off, min 0; with several targets a
 * label names each target, its reserved characters replaced.
 */
static void
test_nagios_perfdata(void)
{
	static const struct {
		const char *name;
		size_t n;
		unsigned warn, crit;
		const char *out;
	} cases[] = {
		{"one", 1, 30, 7, "TLS OK - a:443 valid until 1970-01-01 "
		    "(42 days) | 'days'=42;30:;7:;0;\n"},
		{"thresholds off", 1, 0, 0, "TLS OK - a:443 valid until "
		    "1970-01-01 (42 days) | 'days'=42;;;0;\n"},
		{"labels", 2, 30, 0, "TLS OK - 2 targets valid | "
		    "'a:443_days'=42;30:;;0; 'b_c_d:1_days'=-3;30:;;0;\n"},
	};
	struct tk_result a, b;
	const struct tk_result *rs[2] = {&a, &b};
	struct tk_certinfo ca, cb;

	memset(&ca, 0, sizeof(ca));
	memset(&cb, 0, sizeof(cb));
	tk_result_init(&a, "tls-check-cert", "a:443");
	tk_result_init(&b, "tls-check-cert", "b'c=d:1");
	a.chain.certs = &ca;
	b.chain.certs = &cb;
	a.checked = b.checked = true;
	a.verdict.status = b.verdict.status = TK_VERIFY_OK;
	a.chain.n = b.chain.n = 1;
	a.chain.certs[0].days_left = 42;
	b.chain.certs[0].days_left = -3;
	tk_result_finish(&a);
	tk_result_finish(&b);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mem m;

		TK_CASE(cases[i].name);
		if (!mem_open(&m)) {
			return;
		}
		EXPECT_EQ_INT(tk_report_nagios(rs, cases[i].n, cases[i].warn,
		    cases[i].crit, m.f), 0);
		EXPECT_EQ_STR(mem_close(&m), cases[i].out);
		free(m.buf);
	}
	a.chain.n = b.chain.n = 0;
	a.chain.certs = b.chain.certs = NULL;
	tk_result_release(&a);
	tk_result_release(&b);
	TK_CASE(NULL);
}

static void
run(void)
{
	test_escape_table();
	test_escape_json_table();
	test_escape_truncation();
	test_json_hostile();
	test_json_empty();
	test_error_line();
	test_json_extend();
	test_verdict_line();
	test_nagios();
	test_json_timings();
	test_chain_output();
	test_nagios_perfdata();
}

TK_TEST_MAIN("test_report", run)
