/*
 * The target runner: many targets on one loop, at most `parallel` running
 * at once, results handed back in input order (docs/ARCHITECTURE.md, "The
 * target runner").  Targets come from argv and from a target list (a
 * file or stdin).  Memory is bounded by the window, not by the number of
 * targets: a target's state is allocated when it starts and freed right
 * after it is emitted, and a finished target waits only for earlier
 * unfinished ones.  When the window is full no new target starts.
 */
#ifndef TK_RUNNER_H
#define TK_RUNNER_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "loop.h"

#define TK_RUNNER_FILE_MAX (16u << 20)  /* bytes of a target list */
#define TK_RUNNER_TARGETS_MAX 1000000

struct tk_runner;

struct tk_runner_conf {
	size_t parallel;        /* targets running at once, >= 1 */
	/* targets started and not yet emitted, >= parallel; 0: 4 x parallel */
	size_t window;
	bool unordered;         /* emit each target as soon as it is done */
	size_t job_size;        /* the tool's state per target, zeroed */
	const char *const *args;    /* targets from argv (borrowed) */
	size_t nargs;
	/* a target list, one a line ('#' comments, blanks skipped); "-" is
	 * stdin; NULL: none */
	const char *file;
	/* --shard K/N: only targets whose name hashes to K-1 mod N; 0: all */
	unsigned shard_k, shard_n;
	/*
	 * Checks one target before anything runs (bad input exits before
	 * any socket).  where is "targets file line 3", "stdin line 3" or
	 * NULL for argv.  0, or -1 with err.  NULL: every target is fine.
	 */
	int (*check)(void *arg, const char *text, const char *where,
	    struct tk_err *err);
	/*
	 * Starts one target: job is job_size zeroed bytes, owned by the
	 * runner; text lives as long as the runner.  The tool calls
	 * tk_runner_done(job) once the target is finished, maybe at once.
	 */
	void (*start)(void *arg, void *job, const char *text);
	/* Hands a finished target over; returns its class (tk_class_worst) */
	enum tk_class (*emit)(void *arg, void *job);
	/* Frees what the tool put in job (NULL: nothing), after emit or
	 * when the runner is freed early */
	void (*release)(void *arg, void *job);
	void *arg;
};

/*
 * --shard K/N: 1 <= K <= N <= 65536, into *k and *n (for
 * tk_runner_conf's shard_k and shard_n).  0, or -1 with err (USAGE).
 */
int tk_runner_parse_shard(const char *s, unsigned *k, unsigned *n,
    struct tk_err *err);

/*
 * Reads the target list (at most TK_RUNNER_FILE_MAX bytes and
 * TK_RUNNER_TARGETS_MAX targets, kept in memory) and checks every target
 * with conf->check; nothing starts yet.  NULL with err: USAGE for an
 * unreadable or too large list or a bad target, INTERNAL without memory.
 */
struct tk_runner *tk_runner_new(const struct tk_runner_conf *conf,
    struct tk_err *err);

/* How many targets will run (after --shard). */
size_t tk_runner_count(const struct tk_runner *rn);

/*
 * Runs every target on loop and returns when the last is emitted: 0, or
 * -1 with err when the loop itself fails.  Stops the loop at the end.
 */
int tk_runner_run(struct tk_runner *rn, struct tk_loop *loop,
    struct tk_err *err);

/*
 * The target of job is finished: emits every target that may now be
 * emitted, in order, and starts more.  Safe from the start callback and
 * from any loop callback.  Its type is a pipeline's done callback's, so
 * a tool passes it with the job as its argument.
 */
void tk_runner_done(void *job);

/* The worst class emit returned so far (TK_OK when none). */
enum tk_class tk_runner_worst(const struct tk_runner *rn);

/* Releases targets not emitted, the list and rn.  NULL is fine. */
void tk_runner_free(struct tk_runner *rn);

#endif
