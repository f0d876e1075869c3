#include "names.h"

#include <arpa/inet.h>
#include <libpsl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "dn.h"

#include "banned.h"

void
tk_names_printable(char *dst, size_t len, const char *src, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o + 1 < len; i++) {
		unsigned char ch = (unsigned char)src[i];

		dst[o++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	dst[o] = '\0';
}

bool
tk_names_tag_ok(unsigned char t)
{
	switch (t) {
	case 0xa0:  /* otherName */
	case 0x81:  /* rfc822Name */
	case 0x82:  /* dNSName */
	case 0xa3:  /* x400Address */
	case 0xa4:  /* directoryName */
	case 0xa5:  /* ediPartyName */
	case 0x86:  /* uniformResourceIdentifier */
	case 0x87:  /* iPAddress */
	case 0x88:  /* registeredID */
		return true;
	default:
		return false;
	}
}

bool
tk_names_next(struct tk_der *it, struct tk_names_gn *g)
{
	struct tk_der inner;

	if (it->n == 0 || !tk_der_get(it, &g->tag, &g->v, NULL)) {
		return false;
	}
	if (g->tag == 0xa4) {
		inner = g->v;
		if (!tk_der_want(&inner, 0x30, &g->v, &g->v)) {
			g->v.n = 0;
		}
	}
	return true;
}

void
tk_names_ip_text(struct tk_der ip, char *buf, size_t len)
{
	if (ip.n == 4) {
		inet_ntop(AF_INET, ip.p, buf, (socklen_t)len);
	} else if (ip.n == 16) {
		inet_ntop(AF_INET6, ip.p, buf, (socklen_t)len);
	} else {
		snprintf(buf, len, "(%zu-byte address)", ip.n);
	}
}


/* ---- host names (RFC 6125, RFC 9525) ---- */

static char
lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

bool
tk_names_caseeq(const char *a, size_t an, const char *b, size_t bn)
{
	if (an != bn) {
		return false;
	}
	for (size_t i = 0; i < an; i++) {
		if (lower(a[i]) != lower(b[i])) {
			return false;
		}
	}
	return true;
}

static size_t
count_labels(const char *s, size_t n)
{
	size_t k = n > 0 ? 1 : 0;

	for (size_t i = 0; i < n; i++) {
		k += s[i] == '.';
	}
	return k;
}

bool
tk_names_dns_syntax_ok(const char *s, size_t n, bool wild)
{
	size_t lab = 0, start = 0;
	bool digits = true;

	if (n == 0 || n > 253) {
		return false;
	}
	for (size_t i = 0; i <= n; i++) {
		char c = i < n ? s[i] : '.';

		if (c == '.') {
			if (lab == 0 || lab > 63 || s[start] == '-' ||
			    s[i - 1] == '-') {
				return false;
			}
			if (i == n && digits) {
				return false;
			}
			lab = 0;
			start = i + 1;
			digits = true;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || (wild && c == '*'))) {
			return false;
		}
		if (!(c >= '0' && c <= '9')) {
			digits = false;
		}
		lab++;
	}
	return true;
}

/* "a.b" is inside constraint "b" and "a.b"; "" covers everything. */
static bool
dns_within(const char *name, size_t n, const char *con, size_t cn)
{
	if (cn == 0) {
		return true;
	}
	if (n == cn) {
		return tk_names_caseeq(name, n, con, cn);
	}
	return n > cn && name[n - cn - 1] == '.' &&
	    tk_names_caseeq(name + n - cn, cn, con, cn);
}

/* Case-insensitive glob where '*' matches any run of characters. */
static bool
glob_match(const char *p, size_t pn, const char *s, size_t sn)
{
	size_t pi = 0, si = 0, star = SIZE_MAX, mark = 0;

	while (si < sn) {
		if (pi < pn && p[pi] == '*') {
			star = pi++;
			mark = si;
		} else if (pi < pn && lower(p[pi]) == lower(s[si])) {
			pi++;
			si++;
		} else if (star != SIZE_MAX) {
			pi = star + 1;
			si = ++mark;
		} else {
			return false;
		}
	}
	while (pi < pn && p[pi] == '*') {
		pi++;
	}
	return pi == pn;
}

/*
 * Whether dom (ASCII, lower case, no trailing dot) is a public suffix by
 * the Public Suffix List, private section included, as browsers read it:
 * libpsl's built-in list, so no file is read and a missing file cannot
 * make it fail open.  A single label always is one.
 */
static bool
public_suffix(const char *dom)
{
	const psl_ctx_t *psl;

	if (count_labels(dom, strlen(dom)) < 2) {
		return true;
	}
	psl = psl_builtin();
	if (psl == NULL) {
		return true;    /* no list at all: refuse rather than guess */
	}
	return psl_is_public_suffix2(psl, dom, PSL_TYPE_ANY) != 0;
}

void
tk_names_host_init(struct tk_names_host *h, const char *hostname)
{
	size_t hn;

	memset(h, 0, sizeof(*h));
	h->psl_memo = -1;
	hn = strlen(hostname);
	if (hostname[0] == '[' && hn > 2 &&
	    hostname[hn - 1] == ']') {
		snprintf(h->host, sizeof(h->host), "%.*s", (int)(hn - 2),
		    hostname + 1);
	} else {
		snprintf(h->host, sizeof(h->host), "%s", hostname);
	}
	h->hn = strlen(h->host);
	if (inet_pton(AF_INET, h->host, h->ip) == 1) {
		h->iplen = 4;
	} else if (inet_pton(AF_INET6, h->host, h->ip) == 1) {
		h->iplen = 16;
	} else {
		if (h->hn > 1 && h->host[h->hn - 1] == '.') {
			h->host[--h->hn] = '\0';    /* RFC 6125 6.2.1 */
		}
		for (size_t i = 0; i < h->hn; i++) {
			h->host[i] = lower(h->host[i]);
		}
		h->dot = strchr(h->host, '.');
	}
	tk_names_printable(h->shown, sizeof(h->shown), h->host, h->hn);
}

bool
tk_names_host_dns(struct tk_names_host *h, const char *s, size_t sn)
{
	const char *dot = h->dot;
	char why[96] = "";

	if (memchr(s, '\0', sn) != NULL) {
		return false;
	}
	if (memchr(s, '*', sn) == NULL) {
		return tk_names_caseeq(s, sn, h->host, h->hn);
	}
	if (sn > 2 && s[0] == '*' && s[1] == '.' &&
	    memchr(s + 1, '*', sn - 1) == NULL && dot != NULL &&
	    dot != h->host && tk_names_caseeq(s + 2, sn - 2, dot + 1,
	    h->hn - (size_t)(dot + 1 - h->host))) {
		if (count_labels(s + 2, sn - 2) < 2) {
			snprintf(why, sizeof(why), "it covers a whole "
			    "top-level domain");
		} else {
			if (h->psl_memo < 0) {
				h->psl_memo = public_suffix(dot + 1);
			}
			if (!h->psl_memo) {
				return true;
			}
			snprintf(why, sizeof(why), "'%s' is a public suffix",
			    dot + 1);
		}
	} else if (!glob_match(s, sn, h->host, h->hn)) {
		return false;
	} else if (sn == 1) {
		snprintf(why, sizeof(why), "a lone '*' covers every name");
	} else if (s[0] == '*' && s[1] == '.') {
		snprintf(why, sizeof(why), "a wildcard covers exactly one "
		    "label");
	} else {
		snprintf(why, sizeof(why), "the '*' must be the whole "
		    "left-most label");
	}
	if (h->refused[0] == '\0') {
		tk_names_printable(h->refused, sizeof(h->refused), s, sn);
		snprintf(h->why, sizeof(h->why), "%s", why);
	}
	return false;
}


/* ---- name constraints (RFC 5280 4.2.1.10) ---- */

static bool
ip_mask_ok(const unsigned char *m, size_t n)
{
	bool zero = false;

	for (size_t i = 0; i < n; i++) {
		for (int b = 7; b >= 0; b--) {
			bool set = (m[i] >> b) & 1;

			if (set && zero) {
				return false;
			}
			zero |= !set;
		}
	}
	return true;
}

static bool
email_ok(const char *s, size_t n)
{
	const char *at = memchr(s, '@', n);

	if (n == 0) {
		return false;
	}
	if (at == NULL) {
		return true;
	}
	return at != s && at + 1 < s + n &&
	    memchr(at + 1, '@', (size_t)(s + n - at - 1)) == NULL;
}

const char *
tk_names_nc_validate(struct tk_der v)
{
	struct tk_der seq, subs, st, base;
	bool any = false;

	if (!tk_der_want(&v, 0x30, &seq, NULL) || v.n != 0) {
		return "it does not decode";
	}
	for (unsigned char want = 0xa0; want <= 0xa1; want++) {
		if (!tk_der_want(&seq, want, &subs, NULL)) {
			continue;
		}
		any = true;
		if (subs.n == 0) {
			return "a subtree list is empty (RFC 5280 4.2.1.10)";
		}
		while (subs.n > 0) {
			struct tk_names_gn g;
			struct tk_der el;

			if (!tk_der_want(&subs, 0x30, &st, NULL)) {
				return "a subtree does not decode";
			}
			if (!tk_names_next(&st, &g) ||
			    !tk_names_tag_ok(g.tag)) {
				return "a subtree has no valid base name";
			}
			base = g.v;
			if (tk_der_want(&st, 0x80, &el, NULL) &&
			    !(el.n == 1 && el.p[0] == 0)) {
				return "a subtree has a minimum other than 0";
			}
			if (tk_der_want(&st, 0x81, &el, NULL) || st.n != 0) {
				return "a subtree has a maximum";
			}
			switch (g.tag) {
			case 0x82:
				if (base.n > 0 && (memchr(base.p, '*',
				    base.n) != NULL || base.p[0] == '.' ||
				    !tk_names_dns_syntax_ok(
				    (const char *)base.p, base.n, false))) {
					return "a dNSName constraint is not a "
					    "host name (no wildcards or "
					    "leading dots)";
				}
				break;
			case 0x87:
				if ((base.n != 8 && base.n != 32) ||
				    !ip_mask_ok(base.p + base.n / 2,
				    base.n / 2)) {
					return "an iPAddress constraint is not "
					    "an address and a CIDR mask";
				}
				break;
			case 0x81:
				if (!email_ok((const char *)base.p, base.n)) {
					return "an rfc822Name constraint is "
					    "not a mailbox, host or domain";
				}
				break;
			case 0xa4:
				if (base.n == 0 ||
				    tk_dn_count_rdns(base.p, base.n) < 0) {
					return "a directoryName constraint "
					    "does not decode";
				}
				break;
			default:
				break;
			}
		}
	}
	if (!any || seq.n != 0) {
		return "it has neither permitted nor excluded subtrees "
		    "(BR 7.1.2.5.2)";
	}
	return NULL;
}

/* Host part of a URI ("scheme://[user@]host[:port]..."), or empty. */
static struct tk_der
uri_host(struct tk_der u)
{
	struct tk_der h = {NULL, 0};
	const unsigned char *p = u.p, *end = u.p + u.n, *s;

	for (s = p; s + 2 < end; s++) {
		if (s[0] == ':' && s[1] == '/' && s[2] == '/') {
			break;
		}
	}
	if (s + 2 >= end) {
		return h;
	}
	p = s + 3;
	for (s = p; s < end && *s != '/' && *s != '?' && *s != '#'; s++) {
		if (*s == '@') {
			p = s + 1;
		}
	}
	end = s;
	if (p < end && *p == '[') {
		return h;    /* an IP literal: no host name */
	}
	for (s = p; s < end && *s != ':'; s++) {
		continue;
	}
	h.p = p;
	h.n = (size_t)(s - p);
	return h;
}

/*
 * RDN-wise prefix: does constraint name c cover name n?  Both are Name
 * TLVs; attribute values compare as RFC 5280 7.1 says (lib/dn.c), so a
 * re-encoded name (UTF8String for PrintableString, other case, extra
 * spaces) cannot slip past an excluded subtree.
 */
static bool
dn_within(struct tk_der n, struct tk_der c)
{
	return tk_dn_within(n.p, n.n, c.p, c.n);
}

static bool
email_within(struct tk_der e, struct tk_der c)
{
	const char *s = (const char *)e.p, *k = (const char *)c.p;
	const char *at = memchr(s, '@', e.n);
	size_t dn;

	if (at == NULL) {
		return false;
	}
	if (memchr(k, '@', c.n) != NULL) {
		const char *kat = memchr(k, '@', c.n);
		size_t ll = (size_t)(at - s), kl = (size_t)(kat - k);

		return ll == kl && memcmp(s, k, ll) == 0 &&
		    tk_names_caseeq(at + 1, e.n - ll - 1, kat + 1,
		    c.n - kl - 1);
	}
	dn = e.n - (size_t)(at + 1 - s);
	if (c.n > 0 && k[0] == '.') {
		return dn > c.n && tk_names_caseeq(at + 1 + dn - c.n, c.n, k,
		    c.n);
	}
	return tk_names_caseeq(at + 1, dn, k, c.n);
}

static bool
uri_within(struct tk_der u, struct tk_der c)
{
	struct tk_der h = uri_host(u);
	const char *k = (const char *)c.p;

	if (h.n == 0) {
		return false;
	}
	if (c.n > 0 && k[0] == '.') {
		return h.n > c.n && tk_names_caseeq((const char *)h.p + h.n -
		    c.n, c.n, k, c.n);
	}
	return tk_names_caseeq((const char *)h.p, h.n, k, c.n);
}

bool
tk_names_nc_covers(unsigned char tag, struct tk_der name, struct tk_der base,
    bool excluded)
{
	const char *n = (const char *)name.p, *b = (const char *)base.p;

	switch (tag) {
	case 0x82:
		if (name.n > 2 && n[0] == '*' && n[1] == '.') {
			const char *rest = n + 2;
			size_t rn = name.n - 2;

			if (dns_within(rest, rn, b, base.n)) {
				return true;
			}
			if (!excluded || base.n <= rn + 1) {
				return false;
			}
			/* excluded x.B: the wildcard can match x.B itself */
			return b[base.n - rn - 1] == '.' &&
			    tk_names_caseeq(b + base.n - rn, rn, rest, rn) &&
			    memchr(b, '.', base.n - rn - 1) == NULL;
		}
		return dns_within(n, name.n, b, base.n);
	case 0x87: {
		size_t half = base.n / 2;

		if (name.n != half) {
			return false;
		}
		for (size_t i = 0; i < half; i++) {
			unsigned char m = base.p[half + i];

			if ((name.p[i] & m) != (base.p[i] & m)) {
				return false;
			}
		}
		return true;
	}
	case 0x81:
		return email_within(name, base);
	case 0x86:
		return uri_within(name, base);
	case 0xa4:
		/* a name that cannot be compared counts as excluded (fail
		 * closed) and as not permitted */
		return excluded ? tk_dn_subtree(name.p, name.n, base.p,
		    base.n) != 0 : dn_within(name, base);
	default:
		return false;
	}
}

bool
tk_names_nc_supported(unsigned char tag)
{
	return tag == 0x82 || tag == 0x87 || tag == 0x81 || tag == 0x86 ||
	    tag == 0xa4;
}
