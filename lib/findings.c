#include "findings.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "banned.h"

void
tk_findings_add(struct tk_findings *fs, const char *code,
    enum tk_severity sev, const char *fmt, ...)
{
	va_list ap;
	struct tk_finding *f;

	if (fs->n == TK_FINDINGS_MAX || tk_findings_has(fs, code)) {
		return;
	}
	f = &fs->f[fs->n++];
	f->code = code;
	f->sev = tk_judging_severity(&fs->judging, fs->profile, code, sev,
	    &f->demoted);
	va_start(ap, fmt);
	vsnprintf(f->message, sizeof(f->message), fmt, ap);
	va_end(ap);
}

bool
tk_findings_has(const struct tk_findings *fs, const char *code)
{
	for (size_t i = 0; i < fs->n; i++) {
		if (strcmp(fs->f[i].code, code) == 0) {
			return true;
		}
	}
	return false;
}

enum tk_class
tk_findings_class(const struct tk_findings *fs)
{
	enum tk_class c = TK_OK;

	for (size_t i = 0; i < fs->n; i++) {
		switch (fs->f[i].sev) {
		case TK_SEV_FAIL:
			return TK_CHECK;
		case TK_SEV_WARN:
			c = TK_WARN;
			break;
		case TK_SEV_INFO:
			break;
		}
	}
	return c;
}

void
tk_findings_summary(const struct tk_findings *fs, enum tk_severity sev,
    char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < fs->n && o + 1 < len; i++) {
		if (fs->f[i].sev != sev) {
			continue;
		}
		o += (size_t)snprintf(buf + o, len - o, "%s%s: %s",
		    o ? "; " : "", fs->f[i].code, fs->f[i].message);
	}
}
