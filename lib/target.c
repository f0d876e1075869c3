#include "target.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <idn2.h>
#include <stdio.h>
#include <string.h>

#include "banned.h"

struct scheme {
	const char *name;
	uint16_t port;
	const char *starttls;  /* NULL: TLS from the first byte */
};

static const struct scheme schemes[] = {
	{"ftp", 21, "ftp"},
	{"ftps", 990, NULL},
	{"https", 443, NULL},
	{"imap", 143, "imap"},
	{"imaps", 993, NULL},
	{"ldap", 389, "ldap"},
	{"ldaps", 636, NULL},
	{"lmtp", 24, "lmtp"},
	{"nntp", 119, "nntp"},
	{"nntps", 563, NULL},
	{"pop3", 110, "pop3"},
	{"pop3s", 995, NULL},
	{"postgres", 5432, "postgres"},
	{"postgresql", 5432, "postgres"},
	{"sieve", 4190, "sieve"},
	{"smtp", 25, "smtp"},
	{"smtps", 465, NULL},
	{"submission", 587, "smtp"},
	{"submissions", 465, NULL},
	{"xmpp", 5222, "xmpp"},
	{"xmpp-server", 5269, "xmpp-server"},
};

uint16_t
tk_target_scheme_port(const char *scheme, const char **starttls)
{
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		if (strcmp(schemes[i].name, scheme) == 0) {
			if (starttls != NULL) {
				*starttls = schemes[i].starttls;
			}
			return schemes[i].port;
		}
	}
	if (starttls != NULL) {
		*starttls = NULL;
	}
	return 0;
}

bool
tk_target_is_ip_literal(const char *s)
{
	struct in6_addr a6;
	struct in_addr a4;

	return inet_pton(AF_INET, s, &a4) == 1 ||
	    inet_pton(AF_INET6, s, &a6) == 1;
}

static int
parse_port(const char *s, size_t len, uint16_t *port, const char *text,
    struct tk_err *err)
{
	unsigned long v = 0;

	if (len == 0 || len > 5) {
		return tk_err_set(err, TK_USAGE, "target",
		    "bad port in target '%s'", text);
	}
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i])) {
			return tk_err_set(err, TK_USAGE, "target",
			    "bad port in target '%s'", text);
		}
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v == 0 || v > 65535) {
		return tk_err_set(err, TK_USAGE, "target",
		    "port out of range (1-65535) in target '%s'", text);
	}
	*port = (uint16_t)v;
	return 0;
}

/* RFC 1123 host name syntax on the A-label form; '_' is tolerated. */
static bool
valid_hostname(const char *h)
{
	size_t label = 0, total = strlen(h);

	if (total == 0 || total > 253) {
		return false;
	}
	for (const char *p = h; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '.') {
			if (label == 0 || p[-1] == '-') {
				return false;
			}
			label = 0;
			continue;
		}
		if (!(isalnum(c) || c == '-' || c == '_')) {
			return false;
		}
		if (label == 0 && c == '-') {
			return false;
		}
		if (++label > 63) {
			return false;
		}
	}
	return label > 0 && h[total - 1] != '-';
}

static int
set_host(struct tk_target *t, const char *h, size_t len, const char *text,
    struct tk_err *err)
{
	char buf[TK_HOST_MAX * 4];
	char *ascii = NULL;
	bool ascii_only = true;
	int rc;

	if (len == 0) {
		return tk_err_set(err, TK_USAGE, "target",
		    "no host name in target '%s'", text);
	}
	if (len >= sizeof(buf)) {
		return tk_err_set(err, TK_USAGE, "target",
		    "host name too long in target '%s'", text);
	}
	memcpy(buf, h, len);
	buf[len] = '\0';
	/* RFC 6066 3: SNI carries no final dot; neither do our names */
	if (len > 1 && buf[len - 1] == '.') {
		buf[--len] = '\0';
	}
	if (tk_target_is_ip_literal(buf)) {
		struct in_addr a4;

		if (len >= sizeof(t->host)) {
			return tk_err_set(err, TK_USAGE, "target",
			    "bad address in target '%s'", text);
		}

		memcpy(t->host, buf, len + 1);  /* an IP literal is short */
		t->ip_family = inet_pton(AF_INET, buf, &a4) == 1 ? AF_INET :
		    AF_INET6;
		return 0;
	}
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)buf[i] >= 0x80) {
			ascii_only = false;
		}
	}
	if (ascii_only) {
		for (size_t i = 0; i < len; i++) {
			buf[i] = (char)tolower((unsigned char)buf[i]);
		}
		if (!valid_hostname(buf)) {
			return tk_err_set(err, TK_USAGE, "target",
			    "invalid host name in target '%s'", text);
		}
		/*
		 * An A-label must decode.  What it decodes to is not judged:
		 * names such as xn--n3h.com (a snowman, not IDNA2008-valid)
		 * exist in DNS and in certificates, and a checker must be
		 * able to check them.
		 */
		if (strstr(buf, "xn--") != NULL) {
			rc = idn2_to_unicode_8z8z(buf, &ascii, 0);
			if (rc != IDN2_OK) {
				return tk_err_set(err, TK_USAGE, "target",
				    "invalid IDN A-label in target '%s': %s",
				    text, idn2_strerror(rc));
			}
			idn2_free(ascii);
		}
		memcpy(t->host, buf, len + 1);  /* <= 253, checked above */
		return 0;
	}
	rc = idn2_to_ascii_8z(buf, &ascii,
	    IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT);
	if (rc != IDN2_OK) {
		return tk_err_set(err, TK_USAGE, "target",
		    "invalid international host name in target '%s': %s",
		    text, idn2_strerror(rc));
	}
	if (!valid_hostname(ascii) || strlen(ascii) >= sizeof(t->host)) {
		idn2_free(ascii);
		return tk_err_set(err, TK_USAGE, "target",
		    "invalid host name in target '%s'", text);
	}
	snprintf(t->host, sizeof(t->host), "%s", ascii);
	idn2_free(ascii);
	return 0;
}

/*
 * An unbracketed IPv6 literal h[0..len) whose last group could be a port:
 * 1 to 5 decimal digits, and what comes before its colon is itself an IPv6
 * address.  "::1:443" is both ::1 port 443 and the address ::1:443
 * (::0.1.4.67); openssl s_client refuses it too.  "::1", "2001:db8::1"
 * and "2001:db8::443" are not ambiguous: without the last group the rest
 * is no address.
 */
static bool
port_looking(const char *h, size_t len)
{
	char buf[64];
	unsigned char a6[16];
	size_t i = len, digits = 0;

	while (i > 0 && isdigit((unsigned char)h[i - 1])) {
		i--;
		digits++;
	}
	if (digits == 0 || digits > 5 || i == 0 || h[i - 1] != ':' ||
	    i - 1 >= sizeof(buf)) {
		return false;
	}
	memcpy(buf, h, i - 1);
	buf[i - 1] = '\0';
	return inet_pton(AF_INET6, buf, a6) == 1;
}

int
tk_target_parse(const char *text, uint16_t default_port,
    struct tk_target *t, struct tk_err *err)
{
	const char *p = text, *sep, *end, *host, *colon;
	size_t hostlen;
	uint16_t sport = 0;

	memset(t, 0, sizeof(*t));
	snprintf(t->display, sizeof(t->display), "%s", text);
	for (const char *q = text; *q != '\0'; q++) {
		if ((unsigned char)*q < 0x20 || *q == 0x7f) {
			return tk_err_set(err, TK_USAGE, "target",
			    "control character in target");
		}
	}
	sep = strstr(p, "://");
	if (sep != NULL) {
		size_t slen = (size_t)(sep - p);

		if (slen == 0 || slen >= sizeof(t->scheme)) {
			return tk_err_set(err, TK_USAGE, "target",
			    "bad scheme in target '%s'", text);
		}
		for (size_t i = 0; i < slen; i++) {
			t->scheme[i] = (char)tolower((unsigned char)p[i]);
		}
		sport = tk_target_scheme_port(t->scheme, NULL);
		if (sport == 0) {
			return tk_err_set(err, TK_USAGE, "target",
			    "unknown scheme '%s' in target '%s'", t->scheme,
			    text);
		}
		p = sep + 3;
		end = p + strcspn(p, "/?#");
		if (strchr(p, '@') != NULL && strchr(p, '@') < end) {
			return tk_err_set(err, TK_USAGE, "target",
			    "user information is not supported in target "
			    "'%s'", text);
		}
	} else {
		end = p + strlen(p);
	}
	if (p == end) {
		return tk_err_set(err, TK_USAGE, "target", "empty target%s%s",
		    *text ? " " : "", text);
	}
	t->port = sport ? sport : default_port;
	if (*p == '[') {
		const char *close = memchr(p, ']', (size_t)(end - p));

		if (close == NULL) {
			return tk_err_set(err, TK_USAGE, "target",
			    "missing ']' in target '%s'", text);
		}
		host = p + 1;
		hostlen = (size_t)(close - host);
		if (close + 1 < end) {
			if (close[1] != ':') {
				return tk_err_set(err, TK_USAGE, "target",
				    "unexpected text after ']' in target "
				    "'%s'", text);
			}
			if (parse_port(close + 2, (size_t)(end - close - 2),
			    &t->port, text, err) < 0) {
				return -1;
			}
			t->had_port = true;
		}
		if (set_host(t, host, hostlen, text, err) < 0) {
			return -1;
		}
		if (t->ip_family != AF_INET6) {
			return tk_err_set(err, TK_USAGE, "target",
			    "brackets hold no IPv6 address in target '%s'",
			    text);
		}
		return 0;
	}
	colon = memchr(p, ':', (size_t)(end - p));
	if (colon != NULL && memchr(colon + 1, ':', (size_t)(end - colon - 1))
	    != NULL) {
		/* two colons and no brackets: a bare IPv6 address */
		if (port_looking(p, (size_t)(end - p))) {
			const char *last = p + (size_t)(end - p) - 1;

			while (*last != ':') {
				last--;
			}
			return tk_err_set(err, TK_USAGE, "target",
			    "ambiguous target '%s': an IPv6 address with a "
			    "port is written [%.*s]:%.*s (the address alone: "
			    "[%.*s])", text, (int)(last - p), p,
			    (int)(end - last - 1), last + 1, (int)(end - p),
			    p);
		}
		if (set_host(t, p, (size_t)(end - p), text, err) < 0) {
			return -1;
		}
		if (t->ip_family != AF_INET6) {
			return tk_err_set(err, TK_USAGE, "target",
			    "invalid IPv6 address in target '%s' (use "
			    "[ADDR]:PORT)", text);
		}
		return 0;
	}
	if (colon != NULL) {
		if (parse_port(colon + 1, (size_t)(end - colon - 1), &t->port,
		    text, err) < 0) {
			return -1;
		}
		t->had_port = true;
		end = colon;
	}
	return set_host(t, p, (size_t)(end - p), text, err);
}

int
tk_target_hostname_check(const char *in, char *out, size_t outlen,
    struct tk_err *err)
{
	struct tk_target t;
	struct tk_err inner;

	/* a name alone: none of a targets-file line's fields */
	if (strpbrk(in, " \t{}" TK_TARGET_LABEL_SEP) != NULL) {
		return tk_err_set(err, TK_USAGE, "options",
		    "invalid --hostname '%s'", in);
	}
	if (strchr(in, '/') != NULL || strchr(in, ':') != NULL ||
	    strchr(in, '[') != NULL) {
		if (!tk_target_is_ip_literal(in)) {
			return tk_err_set(err, TK_USAGE, "options",
			    "--hostname takes a name or an IP address, not "
			    "'%s'", in);
		}
	}
	tk_err_clear(&inner);
	if (strchr(in, ':') != NULL && in[0] != '[') {
		/* an IPv6 address: --hostname has no port, so nothing is
		 * ambiguous ("2001:db8::1:0:0:1" is the address) */
		char br[TK_HOST_MAX + 3];

		snprintf(br, sizeof(br), "[%s]", in);
		if (tk_target_parse(br, 1, &t, &inner) < 0 || t.had_port) {
			return tk_err_set(err, TK_USAGE, "options",
			    "invalid --hostname '%s'", in);
		}
		snprintf(out, outlen, "%s", t.host);
		return 0;
	}
	if (tk_target_parse(in, 1, &t, &inner) < 0 || t.had_port ||
	    t.scheme[0] != '\0') {
		return tk_err_set(err, TK_USAGE, "options",
		    "invalid --hostname '%s'", in);
	}
	snprintf(out, outlen, "%s", t.host);
	return 0;
}

/* Is c a blank between the fields of a targets-file line? */
static bool
blank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * HOST:PORT{IP} (sslyze): connect to IP, verify and send SNI for HOST.
 * spec is the whole field, ending in '}'.
 */
static int
parse_braced(const char *spec, uint16_t default_port, struct tk_target *t,
    struct tk_err *err)
{
	const char *open = strrchr(spec, '{');
	size_t len = strlen(spec);
	char buf[512], ip[64];
	struct tk_target named;

	if (open == NULL || open == spec || (size_t)(open - spec) >=
	    sizeof(buf) || (size_t)(spec + len - 1 - open - 1) >=
	    sizeof(ip)) {
		return tk_err_set(err, TK_USAGE, "target",
		    "bad target '%s' (HOST:PORT{IP} wants an address in the "
		    "braces)", spec);
	}
	memcpy(buf, spec, (size_t)(open - spec));
	buf[open - spec] = '\0';
	memcpy(ip, open + 1, (size_t)(spec + len - 1 - open - 1));
	ip[spec + len - 1 - open - 1] = '\0';
	if (!tk_target_is_ip_literal(ip)) {
		return tk_err_set(err, TK_USAGE, "target",
		    "'%s' in target '%s' is no IP address (HOST:PORT{IP})",
		    ip, spec);
	}
	if (tk_target_parse(buf, default_port, &named, err) < 0) {
		return -1;
	}
	if (named.ip_family != 0) {
		return tk_err_set(err, TK_USAGE, "target",
		    "target '%s': HOST:PORT{IP} wants a host name before "
		    "the braces", spec);
	}
	*t = named;
	snprintf(t->name, sizeof(t->name), "%s", named.host);
	snprintf(t->host, sizeof(t->host), "%s", ip);
	t->ip_family = strchr(ip, ':') != NULL ? AF_INET6 : AF_INET;
	return 0;
}

int
tk_target_parse_line(const char *text, uint16_t default_port,
    struct tk_target *t, struct tk_err *err)
{
	char spec[512], *field, *end, *name = NULL;
	size_t len = strcspn(text, TK_TARGET_LABEL_SEP);
	struct tk_err inner;

	/* the common case: a target alone */
	if (text[len] == '\0' && strpbrk(text, " \t") == NULL &&
	    (len == 0 || text[len - 1] != '}')) {
		return tk_target_parse(text, default_port, t, err);
	}
	while (len > 0 && blank(text[len - 1])) {
		len--;
	}
	while (len > 0 && blank(*text)) {
		text++;
		len--;
	}
	if (len >= sizeof(spec)) {
		memset(t, 0, sizeof(*t));
		return tk_err_set(err, TK_USAGE, "target", "target too long");
	}
	memcpy(spec, text, len);
	spec[len] = '\0';
	/* the target, then fields: only name=HOST */
	end = spec + strcspn(spec, " \t");
	field = end;
	while (*field != '\0') {
		char *next;

		*field++ = '\0';
		field += strspn(field, " \t");
		next = field + strcspn(field, " \t");
		if (field == next) {
			continue;
		}
		if (strncmp(field, "name=", 5) != 0 || name != NULL) {
			memset(t, 0, sizeof(*t));
			snprintf(t->display, sizeof(t->display), "%s", text);
			return tk_err_set(err, TK_USAGE, "target",
			    "unexpected '%.*s' after target '%s' (a line is "
			    "TARGET [name=HOST] [# LABEL])", (int)(next - field),
			    field, spec);
		}
		name = field + 5;
		field = next;
	}
	if (spec[0] != '\0' && end[-1] == '}' &&
	    strchr(spec, '{') != NULL) {
		if (name != NULL) {
			memset(t, 0, sizeof(*t));
			return tk_err_set(err, TK_USAGE, "target",
			    "target '%s' names its host twice: HOST:PORT{IP} "
			    "or name=HOST, not both", spec);
		}
		if (parse_braced(spec, default_port, t, err) < 0) {
			return -1;
		}
	} else if (tk_target_parse(spec, default_port, t, err) < 0) {
		return -1;
	}
	if (name != NULL) {
		tk_err_clear(&inner);
		if (*name == '\0' || tk_target_hostname_check(name, t->name,
		    sizeof(t->name), &inner) < 0) {
			return tk_err_set(err, TK_USAGE, "target",
			    "invalid name= '%s' for target '%s' (a host name "
			    "or IP address)", name, spec);
		}
	}
	/* display: the line without its label, as given */
	snprintf(t->display, sizeof(t->display), "%.*s", (int)len, text);
	return 0;
}
