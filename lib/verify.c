#include "verify.h"

#include <stdio.h>

#include "banned.h"

const char *
tk_verify_status_name(enum tk_verify_status s)
{
	switch (s) {
	case TK_VERIFY_NOT_DONE:
		return "not-done";
	case TK_VERIFY_OK:
		return "ok";
	case TK_VERIFY_FAILED:
		return "failed";
	case TK_VERIFY_SKIPPED:
		return "skipped";
	}
	return "not-done";
}

void
tk_verdict_summary(const struct tk_verdict *v, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < v->n && o + 1 < len; i++) {
		o += (size_t)snprintf(buf + o, len - o, "%s%s: %s",
		    i ? "; " : "", v->reasons[i].code, v->reasons[i].message);
	}
}
