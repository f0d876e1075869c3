/*
 * tls-starttls --relay: stdin to the server over the upgraded session,
 * the server's data to stdout, on the loop, with back-pressure (at most
 * one 16 KiB chunk held each way).  After stdin's EOF a close_notify
 * goes out and the server's last words are read for timeout_ms.
 */
#ifndef TK_RELAY_H
#define TK_RELAY_H

#include <stdbool.h>

#include "conn.h"

struct tk_relay;

/* err is NULL when the conversation ended normally. */
typedef void (*tk_relay_cb)(void *arg, const struct tk_err *err);

/*
 * Before the loop runs: makes stdin and stdout non-blocking (their flags
 * come back in tk_relay_free).  crlf sends LF from stdin as CRLF.  NULL
 * with err: USAGE when stdin or stdout is closed.
 */
struct tk_relay *tk_relay_new(bool crlf, unsigned timeout_ms,
    struct tk_err *err);

/*
 * Once the loop exists: finds which of stdin and stdout it can poll (a
 * regular file or /dev/null cannot be: those are read and written
 * directly).  0 or -1 with err.
 */
int tk_relay_attach(struct tk_relay *rl, struct tk_loop *loop,
    struct tk_err *err);

/* Relays over conn's session (borrowed) until it ends: cb runs once. */
void tk_relay_start(struct tk_relay *rl, struct tk_conn *conn,
    tk_relay_cb cb, void *arg);

/* Restores stdin's and stdout's flags and frees rl.  NULL is fine. */
void tk_relay_free(struct tk_relay *rl);

#endif
