/*
 * The echo client's data phase over one verified session, for
 * tls-echo-client: the source (stdin or --message) sent and every byte of
 * the echo checked, or --count blocks of --size bytes sent one at a time
 * and timed, then close_notify and the server's; or, --handshake-only,
 * the close at once.  Over a stream (lib/stream.h), under --timeout and
 * --deadline.  Fills the result's echo, load and error fields.
 */
#ifndef TK_ECHO_H
#define TK_ECHO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "loop.h"
#include "result.h"
#include "stream.h"

/* Latencies in milliseconds, kept for percentiles. */
struct tk_samples {
	double *v;
	size_t n, cap;
};

/* Adds v; past 4 Mi samples (or out of memory) the rest are dropped. */
void tk_samples_add(struct tk_samples *s, double v);
void tk_samples_sort(struct tk_samples *s);
/* The nearest-rank percentile p (0-100) of sorted samples; 0 when none. */
double tk_samples_percentile(const struct tk_samples *s, double p);
void tk_samples_clear(struct tk_samples *s);

struct tk_echo_conf {
	const char *message;       /* sent as is (NULL: read src_fd) */
	int src_fd;                /* stdin: pollable, or a file */
	FILE *sink;                /* the echo as it comes; NULL: kept quiet */
	uint64_t count;            /* --count blocks; 0: the source */
	size_t size;               /* --size of a block */
	bool handshake_only;       /* close at once */
	bool crlf;                 /* a source's LF goes out as CRLF */
	unsigned timeout_ms;       /* without a byte moving */
	uint64_t deadline_ms;      /* --deadline (tk_loop_now_ms); 0: none */
	unsigned deadline_total_ms;
};

struct tk_echo;
typedef void (*tk_echo_cb)(struct tk_echo *e, void *arg);

/*
 * Takes over st (borrowed; it must outlive the echo) and starts; r is
 * borrowed.  done runs once, at the end, with r filled (r->err and
 * r->cls on failure).  NULL with err (INTERNAL, or USAGE for a stdin
 * that cannot be used).
 */
struct tk_echo *tk_echo_new(struct tk_loop *loop, struct tk_stream *st,
    const struct tk_echo_conf *conf, struct tk_result *r, tk_echo_cb done,
    void *arg, struct tk_err *err);
/* Stops everything of the echo (not the stream).  Accepts NULL. */
void tk_echo_free(struct tk_echo *e);

#endif
