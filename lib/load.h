/*
 * The load generator of tls-echo-client --connections C --duration S: C
 * connections at once on one loop to one address, each a full handshake
 * (no resumption) then blocks echoed over a stream and checked (or, with
 * handshake_only, none), close_notify, and again, until S seconds have
 * passed.  A failed connection is counted and retried after 10 ms.
 */
#ifndef TK_LOAD_H
#define TK_LOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "creds.h"
#include "echo.h"
#include "loop.h"
#include "sockaddr.h"
#include "tls.h"

struct tk_load_conf {
	struct tk_addr peer;         /* where the verified probe went */
	struct tk_tls_conf tc;       /* client; pointers borrowed */
	struct tk_creds *creds;      /* borrowed; sessions take a reference */
	size_t connections;
	double duration;             /* seconds */
	size_t size;                 /* block bytes; 0 with handshake_only */
	uint64_t count;              /* blocks per connection; 0: no limit */
	bool handshake_only;
	unsigned timeout_ms;         /* per step */
};

/* The numbers, sorted samples included. */
struct tk_load_result {
	size_t connections;
	double seconds;              /* from the start to --duration's end */
	uint64_t handshakes, blocks, bytes, errors;
	struct tk_samples hs, rtt;   /* milliseconds */
	struct tk_err first;         /* the first error, or clear */
};

struct tk_load;
typedef void (*tk_load_cb)(struct tk_load *l, void *arg);

/*
 * Starts the connections at once; done runs once, when the last closed
 * after the duration (or GRACE 2 s later, cutting what is left).  NULL
 * with err (INTERNAL).
 */
struct tk_load *tk_load_start(struct tk_loop *loop,
    const struct tk_load_conf *conf, tk_load_cb done, void *arg,
    struct tk_err *err);
/* After done: the numbers, samples sorted; owned by l. */
const struct tk_load_result *tk_load_result(const struct tk_load *l);
/*
 * After done: the common load fields of r (blocks, MB/s, round-trip
 * percentiles) and, when a connection failed, the first error (or NET
 * when no handshake completed).
 */
void tk_load_report(const struct tk_load *l, struct tk_result *r);
/* Closes what is open and frees.  Accepts NULL. */
void tk_load_free(struct tk_load *l);

#endif
