/*
 * Unit tests for lib/runner.h: results in input order whatever order the
 * targets finish in, at most `parallel` running and `window` held, a
 * finished target waiting only for earlier ones, the target list's
 * syntax, --shard, the worst class, and release of what was not emitted.
 * Targets are "ID:MS": the target finishes MS ms after it starts (0: at
 * once, inside the start callback), on loop timers; nothing is timed.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runner.h"

#include "tk_test.h"

#define MAXT 64

struct fix;

struct fjob {
	struct fix *f;
	int id;
	struct tk_timer t;
	bool timer;
};

struct fix {
	struct tk_loop *loop;
	struct tk_runner *rn;
	int started[MAXT], emitted[MAXT];
	size_t nstarted, nemitted, nreleased;
	size_t running, held, max_running, max_held;
	/* at each start: how many had been emitted */
	size_t emitted_at_start[MAXT];
	/* at each emit: how many had finished */
	size_t done_at_emit[MAXT];
	size_t ndone;
	enum tk_class cls_of_id[MAXT];
	const char *bad;              /* check rejects this text */
	char *last_text;              /* check copies each text here */
};

static void
finish(struct fjob *j)
{
	j->f->running--;
	j->f->ndone++;
	tk_runner_done(j);
}

static void
on_timer(struct tk_loop *loop, void *arg)
{
	(void)loop;
	finish(arg);
}

static int
check(void *arg, const char *text, const char *where, struct tk_err *err)
{
	struct fix *f = arg;

	size_t n = strcspn(text, "\x1f");  /* the target, not its label */

	if (f->last_text != NULL) {
		snprintf(f->last_text, 128, "%s", text);
	}
	if (f->bad != NULL && strlen(f->bad) == n &&
	    strncmp(text, f->bad, n) == 0) {
		return tk_err_set(err, TK_USAGE, "target", "bad '%s' (%s)",
		    text, where != NULL ? where : "argv");
	}
	return 0;
}

static void
start(void *arg, void *p, const char *text)
{
	struct fix *f = arg;
	struct fjob *j = p;
	int ms = 0;

	j->f = f;
	sscanf(text, "%d:%d", &j->id, &ms);
	if (f->nstarted < MAXT) {
		f->emitted_at_start[f->nstarted] = f->nemitted;
		f->started[f->nstarted++] = j->id;
	}
	f->running++;
	f->held++;
	f->max_running = f->running > f->max_running ? f->running :
	    f->max_running;
	f->max_held = f->held > f->max_held ? f->held : f->max_held;
	if (ms == 0) {
		finish(j);
		return;
	}
	tk_timer_init(&j->t, on_timer, j);
	j->timer = true;
	tk_loop_timer_start(f->loop, &j->t, (uint64_t)ms);
}

static enum tk_class
emit(void *arg, void *p)
{
	struct fix *f = arg;
	struct fjob *j = p;

	if (f->nemitted < MAXT) {
		f->done_at_emit[f->nemitted] = f->ndone;
		f->emitted[f->nemitted++] = j->id;
	}
	return j->id >= 0 && j->id < MAXT ? f->cls_of_id[j->id] : TK_OK;
}

static void
release(void *arg, void *p)
{
	struct fix *f = arg;
	struct fjob *j = p;

	if (j->timer) {
		tk_loop_timer_stop(f->loop, &j->t);
	}
	f->held--;
	f->nreleased++;
}

static void
conf_init(struct tk_runner_conf *c, struct fix *f, size_t parallel,
    size_t window)
{
	memset(c, 0, sizeof(*c));
	c->parallel = parallel;
	c->window = window;
	c->job_size = sizeof(struct fjob);
	c->check = check;
	c->start = start;
	c->emit = emit;
	c->release = release;
	c->arg = f;
}

/* Runs args through a runner; returns tk_runner_run's value. */
static int
run_args(struct fix *f, struct tk_runner_conf *c, const char *const *args,
    size_t n)
{
	struct tk_err err;
	int rc;

	tk_err_clear(&err);
	f->loop = tk_loop_new(&err);
	c->args = args;
	c->nargs = n;
	f->rn = tk_runner_new(c, &err);
	if (f->loop == NULL || f->rn == NULL) {
		return -2;
	}
	rc = tk_runner_run(f->rn, f->loop, &err);
	return rc;
}

static void
done_fix(struct fix *f)
{
	tk_runner_free(f->rn);
	tk_loop_free(f->loop);
}

static void
test_order(void)
{
	/* finishing 4, 2, 0, 3, 1, 5 (by delay); emitted 0..5 */
	static const char *const args[] = {
		"0:30", "1:50", "2:10", "3:40", "4:0", "5:60",
	};
	struct tk_runner_conf c;
	struct fix f;

	TK_CASE("input order");
	memset(&f, 0, sizeof(f));
	conf_init(&c, &f, 6, 0);
	EXPECT_EQ_INT(run_args(&f, &c, args, 6), 0);
	EXPECT_EQ_SIZE(f.nemitted, 6);
	for (int i = 0; i < 6; i++) {
		EXPECT_EQ_INT(f.emitted[i], i);
	}
	EXPECT_EQ_SIZE(tk_runner_count(f.rn), 6);
	EXPECT_EQ_SIZE(f.nreleased, 6);
	EXPECT_EQ_SIZE(f.held, 0);
	/* 0 ends third (after 4 and 2): 0 waits for nothing, so it goes
	 * out as soon as it ends, and 2 right after it */
	EXPECT_EQ_SIZE(f.done_at_emit[0], 3);
	EXPECT_EQ_SIZE(f.done_at_emit[1], 5);
	EXPECT_EQ_SIZE(f.done_at_emit[2], 5);
	done_fix(&f);
	TK_CASE(NULL);
}

static void
test_parallel_window(void)
{
	static const char *const args[] = {
		"0:40", "1:0", "2:0", "3:0", "4:0", "5:0", "6:0", "7:0",
		"8:0", "9:0",
	};
	struct tk_runner_conf c;
	struct fix f;

	TK_CASE("window full: nothing starts");
	memset(&f, 0, sizeof(f));
	conf_init(&c, &f, 2, 4);
	EXPECT_EQ_INT(run_args(&f, &c, args, 10), 0);
	EXPECT_EQ_SIZE(f.nemitted, 10);
	for (int i = 0; i < 10; i++) {
		EXPECT_EQ_INT(f.emitted[i], i);
		EXPECT_EQ_INT(f.started[i], i);
	}
	EXPECT_TRUE(f.max_running <= 2);
	EXPECT_EQ_SIZE(f.max_held, 4);
	/* 0..3 start before 0 ends; the fifth waits for 0's emission */
	EXPECT_EQ_SIZE(f.emitted_at_start[3], 0);
	EXPECT_TRUE(f.emitted_at_start[4] >= 1);
	done_fix(&f);

	TK_CASE("parallel bounds the running");
	{
		static const char *const slow[] = {
			"0:30", "1:20", "2:10", "3:30", "4:20", "5:10",
			"6:5", "7:5",
		};

		memset(&f, 0, sizeof(f));
		conf_init(&c, &f, 3, 0);
		EXPECT_EQ_INT(run_args(&f, &c, slow, 8), 0);
		EXPECT_EQ_SIZE(f.max_running, 3);
		EXPECT_TRUE(f.max_held <= 12);
		EXPECT_EQ_SIZE(f.nemitted, 8);
		for (int i = 0; i < 8; i++) {
			EXPECT_EQ_INT(f.emitted[i], i);
		}
		done_fix(&f);
	}
	TK_CASE(NULL);
}

static void
test_unordered_worst(void)
{
	static const char *const args[] = { "0:30", "1:10", "2:0", "3:20" };
	struct tk_runner_conf c;
	struct fix f;

	TK_CASE("unordered: as they end");
	memset(&f, 0, sizeof(f));
	conf_init(&c, &f, 4, 0);
	c.unordered = true;
	f.cls_of_id[1] = TK_WARN;
	f.cls_of_id[3] = TK_NET;
	f.cls_of_id[0] = TK_CHECK;
	EXPECT_EQ_INT(run_args(&f, &c, args, 4), 0);
	EXPECT_EQ_SIZE(f.nemitted, 4);
	EXPECT_EQ_INT(f.emitted[0], 2);
	EXPECT_EQ_INT(f.emitted[1], 1);
	EXPECT_EQ_INT(f.emitted[2], 3);
	EXPECT_EQ_INT(f.emitted[3], 0);
	EXPECT_EQ_INT(tk_runner_worst(f.rn), TK_NET);
	EXPECT_EQ_SIZE(f.nreleased, 4);
	done_fix(&f);

	TK_CASE("no target");
	memset(&f, 0, sizeof(f));
	conf_init(&c, &f, 4, 0);
	EXPECT_EQ_INT(run_args(&f, &c, NULL, 0), 0);
	EXPECT_EQ_SIZE(f.nemitted, 0);
	EXPECT_EQ_INT(tk_runner_worst(f.rn), TK_OK);
	done_fix(&f);
	TK_CASE(NULL);
}

static void
test_file(void)
{
	char path[] = "/tmp/test_runner.XXXXXX";
	static const char *const args[] = { "0:0" };
	const char *text = "# a comment\n"
	    "  1:5  \n"
	    "\n"
	    "2:0 # trailing comment\r\n"
	    "\t3:0\t\n"
	    "4:0";
	struct tk_runner_conf c;
	struct tk_err err;
	struct fix f;
	int fd = mkstemp(path);

	EXPECT_TRUE(fd >= 0);
	if (fd < 0) {
		return;
	}
	EXPECT_EQ_INT(write(fd, text, strlen(text)), (int)strlen(text));
	close(fd);

	TK_CASE("argv, then the list, comments and blanks skipped");
	memset(&f, 0, sizeof(f));
	conf_init(&c, &f, 2, 0);
	c.file = path;
	EXPECT_EQ_INT(run_args(&f, &c, args, 1), 0);
	EXPECT_EQ_SIZE(tk_runner_count(f.rn), 5);
	EXPECT_EQ_SIZE(f.nemitted, 5);
	for (int i = 0; i < 5; i++) {
		EXPECT_EQ_INT(f.emitted[i], i);
	}
	done_fix(&f);

	TK_CASE("a bad target: nothing starts, the line is named");
	memset(&f, 0, sizeof(f));
	conf_init(&c, &f, 2, 0);
	c.file = path;
	f.bad = "2:0";
	tk_err_clear(&err);
	f.rn = tk_runner_new(&c, &err);
	EXPECT_TRUE(f.rn == NULL);
	EXPECT_EQ_INT(err.cls, TK_USAGE);
	EXPECT_TRUE(strstr(err.msg, "targets file line 4") != NULL);
	EXPECT_EQ_SIZE(f.nstarted, 0);

	TK_CASE("a line's comment is its label, after the target and 0x1f");
	{
		char p2[] = "/tmp/test_runner.XXXXXX";
		char seen[128] = "";
		const char *t2 = "7:0 \t #  shop A \t\r\n";
		int fd2 = mkstemp(p2);

		EXPECT_TRUE(fd2 >= 0);
		if (fd2 >= 0) {
			EXPECT_EQ_INT(write(fd2, t2, strlen(t2)),
			    (int)strlen(t2));
			close(fd2);
			memset(&f, 0, sizeof(f));
			conf_init(&c, &f, 2, 0);
			c.file = p2;
			f.last_text = seen;
			tk_err_clear(&err);
			f.rn = tk_runner_new(&c, &err);
			EXPECT_TRUE(f.rn != NULL);
			EXPECT_EQ_STR(seen, "7:0\x1fshop A");
			tk_runner_free(f.rn);
			f.rn = NULL;
			/* a blank comment is no label */
			fd2 = open(p2, O_WRONLY | O_TRUNC);
			EXPECT_EQ_INT(write(fd2, "8:0 #  \n", 8), 8);
			close(fd2);
			memset(&f, 0, sizeof(f));
			conf_init(&c, &f, 2, 0);
			c.file = p2;
			f.last_text = seen;
			f.rn = tk_runner_new(&c, &err);
			EXPECT_EQ_STR(seen, "8:0");
			tk_runner_free(f.rn);
			f.rn = NULL;
			unlink(p2);
		}
	}

	TK_CASE("a NUL byte in a line is refused, not a second target");
	{
		char p3[] = "/tmp/test_runner.XXXXXX";
		static const char t3[] = "5:0\0" "6:0 # x\0y\n";
		int fd3 = mkstemp(p3);

		EXPECT_TRUE(fd3 >= 0);
		if (fd3 >= 0) {
			EXPECT_EQ_INT(write(fd3, t3, sizeof(t3) - 1),
			    (int)sizeof(t3) - 1);
			close(fd3);
			memset(&f, 0, sizeof(f));
			conf_init(&c, &f, 2, 0);
			c.file = p3;
			tk_err_clear(&err);
			f.rn = tk_runner_new(&c, &err);
			EXPECT_TRUE(f.rn == NULL);
			EXPECT_EQ_INT(err.cls, TK_USAGE);
			EXPECT_TRUE(strstr(err.msg, "line 1") != NULL);
			EXPECT_EQ_SIZE(f.nstarted, 0);
			tk_runner_free(f.rn);
			f.rn = NULL;
			unlink(p3);
		}
	}

	TK_CASE("--shard: the parts partition the targets");
	{
		size_t total = 0;
		int seen[5] = {0};

		for (unsigned k = 1; k <= 3; k++) {
			memset(&f, 0, sizeof(f));
			conf_init(&c, &f, 2, 0);
			c.file = path;
			c.shard_k = k;
			c.shard_n = 3;
			EXPECT_EQ_INT(run_args(&f, &c, args, 1), 0);
			EXPECT_EQ_SIZE(tk_runner_count(f.rn), f.nemitted);
			total += f.nemitted;
			for (size_t i = 0; i < f.nemitted; i++) {
				if (f.emitted[i] >= 0 && f.emitted[i] < 5) {
					seen[f.emitted[i]]++;
				}
				/* in input order within a shard too */
				EXPECT_TRUE(i == 0 ||
				    f.emitted[i] > f.emitted[i - 1]);
			}
			done_fix(&f);
		}
		EXPECT_EQ_SIZE(total, 5);
		for (int i = 0; i < 5; i++) {
			EXPECT_EQ_INT(seen[i], 1);
		}
	}

	TK_CASE("a missing list");
	memset(&f, 0, sizeof(f));
	conf_init(&c, &f, 2, 0);
	c.file = "/nonexistent/targets";
	tk_err_clear(&err);
	EXPECT_TRUE(tk_runner_new(&c, &err) == NULL);
	EXPECT_EQ_INT(err.cls, TK_USAGE);
	unlink(path);
	TK_CASE(NULL);
}

static void
on_stop(struct tk_loop *loop, void *arg)
{
	(void)arg;
	tk_loop_stop(loop);
}

static void
test_free_early(void)
{
	static const char *const args[] = { "0:1000", "1:0", "2:1000" };
	struct tk_runner_conf c;
	struct tk_timer stop;
	struct tk_err err;
	struct fix f;

	TK_CASE("freed while targets run: each released once");
	memset(&f, 0, sizeof(f));
	conf_init(&c, &f, 3, 0);
	tk_err_clear(&err);
	f.loop = tk_loop_new(&err);
	c.args = args;
	c.nargs = 3;
	f.rn = tk_runner_new(&c, &err);
	EXPECT_TRUE(f.rn != NULL && f.loop != NULL);
	if (f.rn == NULL || f.loop == NULL) {
		return;
	}
	/* the loop stops (as when it fails) long before 0 and 2 end */
	tk_timer_init(&stop, on_stop, NULL);
	tk_loop_timer_start(f.loop, &stop, 5);
	EXPECT_EQ_INT(tk_runner_run(f.rn, f.loop, &err), 0);
	EXPECT_EQ_SIZE(f.nstarted, 3);
	EXPECT_EQ_SIZE(f.nemitted, 0);
	done_fix(&f);
	EXPECT_EQ_SIZE(f.nreleased, 3);
	EXPECT_EQ_SIZE(f.held, 0);
	TK_CASE(NULL);
}

static void
run(void)
{
	test_order();
	test_parallel_window();
	test_unordered_worst();
	test_file();
	test_free_early();
}

TK_TEST_MAIN("test_runner", run)
