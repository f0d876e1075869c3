/*
 * The event loop: fd watches, monotonic timers and signals.  It knows nothing
 * of TLS or sockets beyond file descriptors (docs/ARCHITECTURE.md,
 * "The poll loop").
 *
 * Callbacks run on the loop's thread.  A callback may add or remove any
 * watch or timer, its own included; the loop re-checks a watch's mask before
 * every dispatch, so an event for a watch removed earlier in the same round
 * is never delivered.  Callbacks must tolerate a spurious wake-up (an fd
 * closed and reused within one round): non-blocking I/O then says EAGAIN.
 */
#ifndef TK_LOOP_H
#define TK_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct tk_loop;

enum {
	TK_READ = 1 << 0,
	TK_WRITE = 1 << 1,
	/* delivered, never requested: hang-up or error on the fd */
	TK_HUP = 1 << 2,
};

typedef void (*tk_fd_cb)(struct tk_loop *loop, int fd, unsigned events,
    void *arg);
typedef void (*tk_timer_cb)(struct tk_loop *loop, void *arg);
typedef void (*tk_signal_cb)(struct tk_loop *loop, int signo, void *arg);

/*
 * A timer lives inside its owner's struct (no allocation).  Initialise it
 * once with tk_timer_init(); start and stop it as often as needed; stop it
 * before freeing its owner.
 */
struct tk_timer {
	uint64_t due_ms;  /* monotonic milliseconds */
	size_t slot;      /* index in the loop's heap, or SIZE_MAX when idle */
	tk_timer_cb cb;
	void *arg;
};

/* Returns NULL and fills err (class INTERNAL) when the kernel refuses. */
struct tk_loop *tk_loop_new(struct tk_err *err);
void tk_loop_free(struct tk_loop *loop);

/*
 * Sets the events (TK_READ|TK_WRITE) wanted on fd, replacing any earlier
 * watch of the same fd; events == 0 keeps the registration but waits for
 * nothing.  Returns 0, or -1 with err set.
 */
int tk_loop_watch(struct tk_loop *loop, int fd, unsigned events,
    tk_fd_cb cb, void *arg, struct tk_err *err);

/* Changes only the mask of an existing watch. */
int tk_loop_rewatch(struct tk_loop *loop, int fd, unsigned events);

/* Forgets fd.  Call it before close(fd).  Unknown fds are ignored. */
void tk_loop_unwatch(struct tk_loop *loop, int fd);

void tk_timer_init(struct tk_timer *t, tk_timer_cb cb, void *arg);
/* (Re)starts t to fire once after ms milliseconds (0: in the next round). */
int tk_loop_timer_start(struct tk_loop *loop, struct tk_timer *t,
    uint64_t ms);
void tk_loop_timer_stop(struct tk_loop *loop, struct tk_timer *t);
bool tk_timer_active(const struct tk_timer *t);

/*
 * Delivers signo through the loop (signalfd) instead of asynchronously.
 * The signal is blocked for the whole process.  Returns 0 or -1.
 */
int tk_loop_signal(struct tk_loop *loop, int signo, tk_signal_cb cb,
    void *arg, struct tk_err *err);

/*
 * Runs until tk_loop_stop() or until nothing is left to wait for (no watch
 * with a mask and no timer).  Returns 0, or -1 with err set when the poller
 * itself fails (never exits the process).
 */
int tk_loop_run(struct tk_loop *loop, struct tk_err *err);
void tk_loop_stop(struct tk_loop *loop);

/* Monotonic clock in milliseconds and microseconds. */
uint64_t tk_loop_now_ms(void);

/*
 * A --deadline: deadline_ms is a tk_loop_now_ms() instant, 0 for none.
 * tk_loop_deadline_clip() is ms, or what is left before the deadline when that
 * is sooner (0 once it has passed); tk_loop_deadline_passed() says whether it
 * has.  Every wait under a deadline is armed through these.
 */
uint64_t tk_loop_deadline_clip(uint64_t deadline_ms, uint64_t ms);
bool tk_loop_deadline_passed(uint64_t deadline_ms);
uint64_t tk_loop_now_us(void);

#endif
