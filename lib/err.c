#include "err.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "banned.h"

void
tk_err_clear(struct tk_err *err)
{
	err->cls = TK_OK;
	err->step = NULL;
	err->gnutls_rc = 0;
	err->sys_errno = 0;
	err->msg[0] = '\0';
}

static void
vset(struct tk_err *err, enum tk_class cls, const char *step, int errnum,
    const char *fmt, va_list ap)
{
	size_t len;

	err->cls = cls;
	err->step = step;
	err->sys_errno = errnum;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	if (errnum != 0) {
		len = strlen(err->msg);
		snprintf(err->msg + len, sizeof(err->msg) - len, ": %s",
		    strerror(errnum));
	}
}

int
tk_err_set(struct tk_err *err, enum tk_class cls, const char *step,
    const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || tk_err_is_set(err)) {
		return -1;
	}
	va_start(ap, fmt);
	vset(err, cls, step, 0, fmt, ap);
	va_end(ap);
	return -1;
}

int
tk_err_sys(struct tk_err *err, enum tk_class cls, const char *step,
    const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	if (err == NULL || tk_err_is_set(err)) {
		return -1;
	}
	va_start(ap, fmt);
	vset(err, cls, step, saved, fmt, ap);
	va_end(ap);
	errno = saved;
	return -1;
}

int
tk_err_reset(struct tk_err *err, enum tk_class cls, const char *step,
    const char *fmt, ...)
{
	va_list ap;

	if (err == NULL) {
		return -1;
	}
	err->gnutls_rc = 0;
	va_start(ap, fmt);
	vset(err, cls, step, 0, fmt, ap);
	va_end(ap);
	return -1;
}

bool
tk_err_is_set(const struct tk_err *err)
{
	return err->cls != TK_OK;
}

int
tk_err_exit_code(enum tk_class cls)
{
	switch (cls) {
#define TK_CLASS_CODE(name, code, rank, label)                               \
	case TK_##name:                                                      \
		return code;
		TK_CLASSES(TK_CLASS_CODE)
#undef TK_CLASS_CODE
	}
	return 70;
}

static int
rank(enum tk_class cls)
{
	switch (cls) {
#define TK_CLASS_RANK(name, code, r, label)                                  \
	case TK_##name:                                                      \
		return r;
		TK_CLASSES(TK_CLASS_RANK)
#undef TK_CLASS_RANK
	}
	return 99;
}

const char *
tk_class_label(enum tk_class cls)
{
	switch (cls) {
#define TK_CLASS_LABEL(name, code, r, label)                                 \
	case TK_##name:                                                      \
		return label;
		TK_CLASSES(TK_CLASS_LABEL)
#undef TK_CLASS_LABEL
	}
	return "unknown";
}

const char *
tk_class_name(enum tk_class cls)
{
	switch (cls) {
	case TK_OK:
		return "ok";
	case TK_CHECK:
		return "check";
	case TK_USAGE:
		return "usage";
	case TK_NET:
		return "network";
	case TK_TLS:
		return "tls";
	case TK_WARN:
		return "warning";
	case TK_INTERNAL:
		return "internal";
	}
	return "unknown";
}

enum tk_class
tk_class_worst(enum tk_class a, enum tk_class b)
{
	return rank(a) >= rank(b) ? a : b;
}
