/* Unit tests for lib/loop.h: timers, fd watches, signals. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "loop.h"

#include "tk_test.h"

#define NTIMERS 64

/* What the callbacks saw, in order. */
struct log {
	int ids[NTIMERS * 2];
	uint64_t at[NTIMERS * 2];   /* when it ran */
	uint64_t due[NTIMERS * 2];  /* when it was due */
	size_t n;
};

struct tt {
	struct tk_timer t;
	struct log *log;
	int id;
};

static void
on_timer(struct tk_loop *loop, void *arg)
{
	struct tt *x = arg;

	(void)loop;
	if (x->log->n < NTIMERS * 2) {
		x->log->ids[x->log->n] = x->id;
		x->log->at[x->log->n] = tk_loop_now_ms();
		x->log->due[x->log->n] = x->t.due_ms;
		x->log->n++;
	}
}

static struct tk_loop *
new_loop(void)
{
	struct tk_err err;
	struct tk_loop *loop;

	tk_err_clear(&err);
	loop = tk_loop_new(&err);
	EXPECT_TRUE(loop != NULL);
	if (loop == NULL) {
		fprintf(stderr, "  tk_loop_new: %s\n", err.msg);
	}
	return loop;
}

static int
run_loop(struct tk_loop *loop)
{
	struct tk_err err;
	int rc;

	tk_err_clear(&err);
	rc = tk_loop_run(loop, &err);
	EXPECT_EQ_INT(rc, 0);
	return rc;
}

static const struct {
	const char *name;
	uint64_t start[3];     /* ms for timers 0, 1, 2 */
	int stop;              /* timer stopped before running, or -1 */
	int restart;           /* timer restarted (or -1) ... */
	uint64_t restart_ms;   /* ... with this delay */
	int order[3];          /* ids fired, -1 ends */
} timer_cases[] = {
	{"due order", {30, 10, 20}, -1, -1, 0, {1, 2, 0}},
	{"stop", {10, 20, 30}, 0, -1, 0, {1, 2, -1}},
	{"stop last", {10, 20, 30}, 2, -1, 0, {0, 1, -1}},
	{"restart later", {10, 20, 30}, -1, 0, 40, {1, 2, 0}},
	{"restart sooner", {10, 20, 30}, -1, 2, 0, {2, 0, 1}},
};

static void
test_timer_table(void)
{
	for (size_t i = 0; i < sizeof(timer_cases) / sizeof(timer_cases[0]);
	     i++) {
		struct tk_loop *loop;
		struct log log;
		struct tt x[3];
		uint64_t t0;
		size_t n;

		TK_CASE(timer_cases[i].name);
		loop = new_loop();
		if (loop == NULL) {
			return;
		}
		memset(&log, 0, sizeof(log));
		t0 = tk_loop_now_ms();
		for (int k = 0; k < 3; k++) {
			x[k].log = &log;
			x[k].id = k;
			tk_timer_init(&x[k].t, on_timer, &x[k]);
			EXPECT_TRUE(!tk_timer_active(&x[k].t));
			EXPECT_EQ_INT(tk_loop_timer_start(loop, &x[k].t,
			    timer_cases[i].start[k]), 0);
			EXPECT_TRUE(tk_timer_active(&x[k].t));
		}
		if (timer_cases[i].stop >= 0) {
			tk_loop_timer_stop(loop, &x[timer_cases[i].stop].t);
			EXPECT_TRUE(!tk_timer_active(
			    &x[timer_cases[i].stop].t));
			/* stopping twice is harmless */
			tk_loop_timer_stop(loop, &x[timer_cases[i].stop].t);
		}
		if (timer_cases[i].restart >= 0) {
			tk_loop_timer_start(loop,
			    &x[timer_cases[i].restart].t,
			    timer_cases[i].restart_ms);
		}
		run_loop(loop);
		for (n = 0; n < 3 && timer_cases[i].order[n] >= 0; n++) {
		}
		EXPECT_EQ_SIZE(log.n, n);
		for (size_t k = 0; k < n && k < log.n; k++) {
			EXPECT_EQ_INT(log.ids[k], timer_cases[i].order[k]);
			/* never early */
			EXPECT_TRUE(log.at[k] - t0 >= (timer_cases[i].restart ==
			    log.ids[k] ? timer_cases[i].restart_ms :
			    timer_cases[i].start[log.ids[k]]));
		}
		for (int k = 0; k < 3; k++) {
			EXPECT_TRUE(!tk_timer_active(&x[k].t));
		}
		tk_loop_free(loop);
	}
	TK_CASE(NULL);
}

/* Many timers in a scrambled order, some stopped: the heap keeps order. */
static void
test_timer_heap(void)
{
	struct tk_loop *loop = new_loop();
	struct tt x[NTIMERS];
	struct log log;
	size_t stopped = 0;

	TK_CASE("heap");
	if (loop == NULL) {
		return;
	}
	memset(&log, 0, sizeof(log));
	for (int k = 0; k < NTIMERS; k++) {
		x[k].log = &log;
		x[k].id = (k * 37) % 23;  /* the delay, and the id */
		tk_timer_init(&x[k].t, on_timer, &x[k]);
		tk_loop_timer_start(loop, &x[k].t, (uint64_t)x[k].id);
	}
	for (int k = 0; k < NTIMERS; k += 5) {
		tk_loop_timer_stop(loop, &x[k].t);
		stopped++;
	}
	run_loop(loop);
	EXPECT_EQ_SIZE(log.n, NTIMERS - stopped);
	/* by due time: ids (the delays) may tie across a clock tick */
	for (size_t k = 1; k < log.n; k++) {
		EXPECT_TRUE(log.due[k - 1] <= log.due[k]);
		EXPECT_TRUE(log.at[k] >= log.due[k]);
	}
	tk_loop_free(loop);
	TK_CASE(NULL);
}

/* Watches */

struct pipewatch {
	int rfd, wfd;
	unsigned events;
	int calls;
	char got[16];
	struct pipewatch *other;  /* not owned */
};

static void
on_readable(struct tk_loop *loop, int fd, unsigned events, void *arg)
{
	struct pipewatch *pw = arg;
	ssize_t n;

	pw->calls++;
	pw->events |= events;
	n = read(fd, pw->got, sizeof(pw->got) - 1);
	pw->got[n > 0 ? n : 0] = '\0';
	tk_loop_unwatch(loop, fd);
}

static void
on_write_later(struct tk_loop *loop, void *arg)
{
	struct pipewatch *pw = arg;

	(void)loop;
	EXPECT_EQ_INT(write(pw->wfd, "hi", 2), 2);
}

static void
test_watch_pipe(void)
{
	struct tk_loop *loop = new_loop();
	struct pipewatch pw;
	struct tk_timer t;
	struct tk_err err;
	int p[2];

	TK_CASE("pipe");
	if (loop == NULL || pipe(p) < 0) {
		tk_loop_free(loop);
		return;
	}
	memset(&pw, 0, sizeof(pw));
	pw.rfd = p[0];
	pw.wfd = p[1];
	tk_err_clear(&err);
	EXPECT_EQ_INT(tk_loop_watch(loop, p[0], TK_READ, on_readable, &pw,
	    &err), 0);
	tk_timer_init(&t, on_write_later, &pw);
	tk_loop_timer_start(loop, &t, 5);
	run_loop(loop);
	EXPECT_EQ_INT(pw.calls, 1);
	EXPECT_TRUE(pw.events & TK_READ);
	EXPECT_EQ_STR(pw.got, "hi");

	/* the other end closed: a hang-up */
	TK_CASE("hang-up");
	memset(&pw, 0, sizeof(pw));
	EXPECT_EQ_INT(tk_loop_watch(loop, p[0], TK_READ, on_readable, &pw,
	    &err), 0);
	close(p[1]);
	run_loop(loop);
	EXPECT_EQ_INT(pw.calls, 1);
	EXPECT_TRUE(pw.events & TK_READ);
	EXPECT_EQ_STR(pw.got, "");

	TK_CASE("empty mask");
	memset(&pw, 0, sizeof(pw));
	EXPECT_EQ_INT(tk_loop_watch(loop, p[0], TK_READ, on_readable, &pw,
	    &err), 0);
	EXPECT_EQ_INT(tk_loop_rewatch(loop, p[0], 0), 0);
	/* nothing is waited for, so the loop returns at once */
	run_loop(loop);
	EXPECT_EQ_INT(pw.calls, 0);
	tk_loop_unwatch(loop, p[0]);
	tk_loop_unwatch(loop, p[0]);
	EXPECT_EQ_INT(tk_loop_rewatch(loop, p[0], TK_READ), -1);
	close(p[0]);

	TK_CASE("bad fd");
	tk_err_clear(&err);
	EXPECT_EQ_INT(tk_loop_watch(loop, -1, TK_READ, on_readable, &pw,
	    &err), -1);
	EXPECT_EQ_INT(err.cls, TK_INTERNAL);
	tk_loop_free(loop);
	TK_CASE(NULL);
}

/* Both fds are readable in the same round; whichever runs first
 * unwatches the other, which must then not be called. */
static void
on_unwatch_other(struct tk_loop *loop, int fd, unsigned events, void *arg)
{
	struct pipewatch *pw = arg;

	(void)events;
	pw->calls++;
	tk_loop_unwatch(loop, pw->other->rfd);
	tk_loop_unwatch(loop, fd);
}

static void
test_unwatch_in_round(void)
{
	struct tk_loop *loop = new_loop();
	struct pipewatch a, b;
	struct tk_err err;
	int pa[2], pb[2];

	TK_CASE("unwatch in the same round");
	if (loop == NULL || pipe(pa) < 0 || pipe(pb) < 0) {
		tk_loop_free(loop);
		return;
	}
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.rfd = pa[0];
	b.rfd = pb[0];
	a.other = &b;
	b.other = &a;
	tk_err_clear(&err);
	tk_loop_watch(loop, pa[0], TK_READ, on_unwatch_other, &a, &err);
	tk_loop_watch(loop, pb[0], TK_READ, on_unwatch_other, &b, &err);
	EXPECT_EQ_INT(write(pa[1], "x", 1), 1);
	EXPECT_EQ_INT(write(pb[1], "y", 1), 1);
	run_loop(loop);
	EXPECT_EQ_INT(a.calls + b.calls, 1);
	close(pa[0]);
	close(pa[1]);
	close(pb[0]);
	close(pb[1]);
	tk_loop_free(loop);
	TK_CASE(NULL);
}

/* Run and stop */

struct ticker {
	struct tk_timer t;
	int n, stop_at;
};

static void
on_tick(struct tk_loop *loop, void *arg)
{
	struct ticker *tk = arg;

	if (++tk->n == tk->stop_at) {
		tk_loop_stop(loop);
		return;
	}
	tk_loop_timer_start(loop, &tk->t, 0);
}

static void
test_run_stop(void)
{
	struct tk_loop *loop = new_loop();
	struct ticker tk = {.n = 0, .stop_at = 5};

	TK_CASE("nothing to do");
	if (loop == NULL) {
		return;
	}
	run_loop(loop);

	TK_CASE("stop");
	tk_timer_init(&tk.t, on_tick, &tk);
	tk_loop_timer_start(loop, &tk.t, 0);
	run_loop(loop);
	EXPECT_EQ_INT(tk.n, 5);
	EXPECT_TRUE(!tk_timer_active(&tk.t));
	tk_loop_free(loop);
	tk_loop_free(NULL);
	TK_CASE(NULL);
}

/* Signals */

struct sigseen {
	int signo;
	int calls;
	struct tk_timer guard;
	bool guard_fired;
};

static void
on_sig(struct tk_loop *loop, int signo, void *arg)
{
	struct sigseen *s = arg;

	s->signo = signo;
	s->calls++;
	tk_loop_timer_stop(loop, &s->guard);
}

static void
on_guard(struct tk_loop *loop, void *arg)
{
	struct sigseen *s = arg;

	(void)loop;
	s->guard_fired = true;
}

static void
test_signal(void)
{
	struct tk_loop *loop = new_loop();
	struct sigseen s;
	struct tk_err err;

	TK_CASE("SIGUSR1");
	if (loop == NULL) {
		return;
	}
	memset(&s, 0, sizeof(s));
	tk_err_clear(&err);
	EXPECT_EQ_INT(tk_loop_signal(loop, SIGUSR1, on_sig, &s, &err), 0);
	/* blocked now: it waits in the signalfd instead of killing us */
	EXPECT_EQ_INT(raise(SIGUSR1), 0);
	/* a signal watch alone does not keep the loop running */
	tk_timer_init(&s.guard, on_guard, &s);
	tk_loop_timer_start(loop, &s.guard, 2000);
	run_loop(loop);
	EXPECT_EQ_INT(s.calls, 1);
	EXPECT_EQ_INT(s.signo, SIGUSR1);
	EXPECT_TRUE(!s.guard_fired);

	TK_CASE("bad signal");
	tk_err_clear(&err);
	EXPECT_EQ_INT(tk_loop_signal(loop, 0, on_sig, &s, &err), -1);
	EXPECT_EQ_INT(err.cls, TK_INTERNAL);
	tk_loop_free(loop);
	TK_CASE(NULL);
}

/* --deadline: no deadline, one far off, one close, one passed. */
static void
test_deadline(void)
{
	uint64_t now = tk_loop_now_ms();

	TK_CASE("deadline");
	EXPECT_TRUE(tk_loop_deadline_clip(0, 5000) == 5000);
	EXPECT_TRUE(!tk_loop_deadline_passed(0));
	EXPECT_TRUE(tk_loop_deadline_clip(now + 3600000, 5000) == 5000);
	EXPECT_TRUE(!tk_loop_deadline_passed(now + 3600000));
	/* a deadline 2 s off clips a 10 s wait to at most 2 s */
	EXPECT_TRUE(tk_loop_deadline_clip(now + 2000, 10000) <= 2000);
	EXPECT_TRUE(tk_loop_deadline_clip(now + 2000, 10000) > 1000);
	EXPECT_TRUE(tk_loop_deadline_clip(now > 0 ? now - 1 : 1, 10000) == 0);
	EXPECT_TRUE(tk_loop_deadline_passed(now > 0 ? now - 1 : 1));
	TK_CASE(NULL);
}

static void
run(void)
{
	test_deadline();
	test_timer_table();
	test_timer_heap();
	test_watch_pipe();
	test_unwatch_in_round();
	test_run_stop();
	test_signal();
}

TK_TEST_MAIN("test_loop", run)
