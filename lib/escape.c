#include "escape.h"

#include <stdio.h>
#include <string.h>

#include "banned.h"

/* Length of the valid UTF-8 sequence at p (RFC 3629), or 0. */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	size_t len;
	unsigned cp;

	if (p[0] < 0x80) {
		return 1;
	} else if ((p[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = p[0] & 0x1fu;
	} else if ((p[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = p[0] & 0x0fu;
	} else if ((p[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = p[0] & 0x07u;
	} else {
		return 0;
	}
	if (len > n) {
		return 0;
	}
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80) {
			return 0;
		}
		cp = (cp << 6) | (p[i] & 0x3fu);
	}
	/* overlong forms, surrogates and values past U+10FFFF */
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
	    (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff)) {
		return 0;
	}
	/* C1 controls (U+0080..U+009F) are escaped like C0 ones */
	if (cp >= 0x80 && cp <= 0x9f) {
		return 0;
	}
	return len;
}

void
tk_escape(const char *in, size_t inlen, char *out, size_t outlen)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t o = 0;

	if (outlen == 0) {
		return;
	}
	for (size_t i = 0; i < inlen;) {
		size_t l = utf8_len(p + i, inlen - i);

		if (l == 1 && (p[i] < 0x20 || p[i] == 0x7f)) {
			l = 0;
		}
		if (l == 0) {
			if (o + 4 >= outlen) {
				break;
			}
			snprintf(out + o, outlen - o, "\\x%02X", p[i]);
			o += 4;
			i++;
			continue;
		}
		if (l == 1 && p[i] == '\\') {
			if (o + 2 >= outlen) {
				break;
			}
			out[o++] = '\\';
			out[o++] = '\\';
			i++;
			continue;
		}
		if (o + l >= outlen) {
			break;
		}
		memcpy(out + o, p + i, l);
		o += l;
		i += l;
	}
	out[o] = '\0';
}

size_t
tk_escape_json(const char *in, size_t inlen, char *out, size_t outlen)
{
	static const char fffd[] = "\xef\xbf\xbd";
	const unsigned char *p = (const unsigned char *)in;
	size_t o = 0;

	if (outlen == 0) {
		return 0;
	}
	for (size_t i = 0; i < inlen;) {
		size_t l = utf8_len(p + i, inlen - i);

		if (l == 0 && p[i] == 0xc2 && inlen - i >= 2 &&
		    p[i + 1] >= 0x80 && p[i + 1] <= 0x9f) {
			l = 2;   /* a C1 control is valid UTF-8: JSON keeps it */
		}
		if (l == 1 && p[i] == '\0') {
			l = 0;   /* many JSON readers end a string there */
		}
		if (l == 0) {
			if (o + 3 >= outlen) {
				break;
			}
			memcpy(out + o, fffd, 3);
			o += 3;
			i++;
			continue;
		}
		if (o + l >= outlen) {
			break;
		}
		memcpy(out + o, p + i, l);
		o += l;
		i += l;
	}
	out[o] = '\0';
	return o;
}
