/*
 * The one error value of tlskit.  Every failure is a class (which is the exit
 * code, docs/ARCHITECTURE.md, "Errors and exit codes"), the step that
 * failed, and a message in plain words.  GnuTLS and errno codes are kept
 * beside it for callers that branch.
 */
#ifndef TK_ERR_H
#define TK_ERR_H

#include <stdarg.h>
#include <stdbool.h>

/*
 * X(name, exit code, rank, label).  rank orders classes when several targets
 * are combined: the highest rank wins (70, 2, 3, 4, 1, 5, 0; a
 * usage error normally ends the run before any target).
 */
#define TK_CLASSES(X)                                                        \
	X(OK, 0, 0, "ok")                                                    \
	X(CHECK, 1, 2, "check failed")                                       \
	X(USAGE, 2, 6, "usage")                                              \
	X(NET, 3, 4, "network error")                                        \
	X(TLS, 4, 3, "TLS handshake failed")                                 \
	X(WARN, 5, 1, "warning")                                             \
	X(INTERNAL, 70, 7, "internal error")

enum tk_class {
#define TK_CLASS_ENUM(name, code, rank, label) TK_##name,
	TK_CLASSES(TK_CLASS_ENUM)
#undef TK_CLASS_ENUM
};

#define TK_ERR_MSG_MAX 512

struct tk_err {
	enum tk_class cls;
	const char *step;  /* static string: "resolve", "connect", ... */
	int gnutls_rc;     /* 0 when not from GnuTLS */
	int sys_errno;     /* 0 when not from a system call */
	char msg[TK_ERR_MSG_MAX];
};

/* Clears *err to class OK with no step and an empty message. */
void tk_err_clear(struct tk_err *err);

/*
 * Sets the error unless a more specific one is already set (a class other
 * than OK): the first cause wins, a generic follow-up never overwrites it.
 * Returns -1 so that callers can write `return tk_err_set(...)`.
 */
int tk_err_set(struct tk_err *err, enum tk_class cls, const char *step,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* As tk_err_set(), and appends ": " and strerror(errno); records errno. */
int tk_err_sys(struct tk_err *err, enum tk_class cls, const char *step,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Overwrites whatever was set (for callers that refine a message). */
int tk_err_reset(struct tk_err *err, enum tk_class cls, const char *step,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

bool tk_err_is_set(const struct tk_err *err);

/* The process exit code of a class: 0, 1, 2, 3, 4, 5 or 70. */
int tk_err_exit_code(enum tk_class cls);

/* A short label for a class ("network error"), and its stable JSON name. */
const char *tk_class_label(enum tk_class cls);
const char *tk_class_name(enum tk_class cls);

/* Of two classes, the one that decides a combined exit code. */
enum tk_class tk_class_worst(enum tk_class a, enum tk_class b);

#endif
