/*
 * The target runner; see runner.h.  The window is a ring of the targets
 * started and not yet emitted, oldest first: emitting pops from its head,
 * starting pushes at its tail, so a result waits only for the ones
 * before it and the memory held is at most `window` targets' state.
 */
#include <errno.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner.h"
#include "target.h"

#include "banned.h"

/* One started target: the runner's header, then the tool's bytes. */
struct rjob {
	struct tk_runner *rn;   /* tk_runner_done() needs only the job */
	bool done;
	bool emitted;           /* unordered: already handed over */
	alignas(max_align_t) unsigned char data[];
};

struct tk_runner {
	struct tk_runner_conf c;
	struct tk_loop *loop;
	/* the list, as NUL-separated targets (see tidy()) */
	char *text;
	size_t len;
	size_t next_arg;        /* argv targets started */
	size_t pos;             /* next byte of text to look at */
	size_t count;           /* targets that run */
	struct rjob **ring;     /* window slots */
	size_t head, inflight;  /* oldest slot, slots used */
	size_t running;
	enum tk_class worst;
	bool pumping;
	bool exhausted;         /* every target started */
	bool nomem;             /* a target's state could not be allocated */
	bool over;              /* the loop was stopped */
};

/* FNV-1a of s up to its end or its label (TK_TARGET_LABEL_SEP). */
static uint32_t
fnv1a(const char *s)
{
	uint32_t h = 2166136261u;
	size_t n = strcspn(s, TK_TARGET_LABEL_SEP);

	/* blanks before the label are not the target's */
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t')) {
		n--;
	}
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h;
}

/* --shard: by the target alone, so a comment added keeps its shard. */
static bool
kept(const struct tk_runner *rn, const char *text)
{
	return rn->c.shard_n == 0 ||
	    fnv1a(text) % rn->c.shard_n == rn->c.shard_k - 1;
}

static int
slurp(struct tk_runner *rn, struct tk_err *err)
{
	const char *path = rn->c.file;
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	size_t cap = 0;
	int rc = 0;

	if (f == NULL) {
		return tk_err_sys(err, TK_USAGE, "targets",
		    "cannot read targets file '%s'", path);
	}
	for (;;) {
		size_t got;

		if (rn->len + 65536 + 1 > cap) {
			char *g;

			cap = cap ? cap * 2 : 65536 * 2;
			if (cap > TK_RUNNER_FILE_MAX + 65536) {
				rc = tk_err_set(err, TK_USAGE, "targets",
				    "targets file '%s' is larger than %u "
				    "MiB", path, TK_RUNNER_FILE_MAX >> 20);
				break;
			}
			g = realloc(rn->text, cap);
			if (g == NULL) {
				rc = tk_err_set(err, TK_INTERNAL, "targets",
				    "out of memory");
				break;
			}
			rn->text = g;
		}
		got = fread(rn->text + rn->len, 1, 65536, f);
		rn->len += got;
		if (got == 0) {
			break;
		}
	}
	if (rc == 0 && ferror(f)) {
		rc = tk_err_sys(err, TK_USAGE, "targets",
		    "cannot read targets file '%s'", path);
	}
	if (f != stdin) {
		fclose(f);
	}
	return rc;
}

/*
 * The comment of a line p, from its '#' at hash to eol: kept as the
 * target's label, right after the target and TK_TARGET_LABEL_SEP (which
 * takes the blanks before the '#'), blanks around it cut; a blank comment
 * is dropped.
 */
static void
keep_label(char *p, char *hash, char *eol)
{
	char *l = hash + 1, *e = eol, *at = hash;

	while (l < e && (*l == ' ' || *l == '\t')) {
		l++;
	}
	while (e > l && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r')) {
		e--;
	}
	if (e == l) {
		memset(hash, '\0', (size_t)(eol - hash));
		return;
	}
	while (at > p && (at[-1] == ' ' || at[-1] == '\t')) {
		at--;
	}
	at[0] = TK_TARGET_LABEL_SEP[0];
	memmove(at + 1, l, (size_t)(e - l));
	memset(at + 1 + (e - l), '\0', (size_t)(eol - (at + 1 + (e - l))));
}

/*
 * Turns the list into targets separated by NUL bytes, in place: comment
 * lines, blanks around a target and line ends become NUL, so that both
 * passes (the check, then the run) walk the same bytes without a copy.
 * A target's comment stays, after TK_TARGET_LABEL_SEP (keep_label).  Each
 * target is checked here, with its line number.
 */
static int
tidy(struct tk_runner *rn, struct tk_err *err)
{
	char *p = rn->text, *stop = rn->text + rn->len;
	size_t lineno = 0;
	char where[64];

	while (p < stop) {
		char *nl = memchr(p, '\n', (size_t)(stop - p));
		char *eol = nl != NULL ? nl : stop, *hash, *end;

		lineno++;
		*eol = '\0';
		/* a NUL would split the line into a checked target and
		 * text the run would take as one more, never checked */
		if (memchr(p, TK_TARGET_LABEL_SEP[0], (size_t)(eol - p)) !=
		    NULL || memchr(p, '\0', (size_t)(eol - p)) != NULL) {
			return tk_err_set(err, TK_USAGE, "targets",
			    "a NUL or 0x1f byte in %s line %zu",
			    strcmp(rn->c.file, "-") == 0 ? "stdin" :
			    "targets file", lineno);
		}
		while (*p == ' ' || *p == '\t') {
			*p++ = '\0';
		}
		hash = strchr(p, '#');
		if (hash != NULL && hash == p) {
			/* a comment line */
			memset(hash, '\0', (size_t)(eol - hash));
		} else if (hash != NULL) {
			keep_label(p, hash, eol);
		}
		end = p + strlen(p);
		while (end > p && (end[-1] == ' ' || end[-1] == '\t' ||
		    end[-1] == '\r')) {
			*--end = '\0';
		}
		if (*p != '\0' && kept(rn, p)) {
			if (rn->count == TK_RUNNER_TARGETS_MAX) {
				return tk_err_set(err, TK_USAGE, "targets",
				    "more than %d targets",
				    TK_RUNNER_TARGETS_MAX);
			}
			snprintf(where, sizeof(where), "%s line %zu",
			    strcmp(rn->c.file, "-") == 0 ? "stdin" :
			    "targets file", lineno);
			if (rn->c.check != NULL &&
			    rn->c.check(rn->c.arg, p, where, err) < 0) {
				return -1;
			}
			rn->count++;
		} else if (*p != '\0') {
			/* not in this shard: not a target of this run */
			memset(p, '\0', (size_t)(end - p));
		}
		p = eol + 1;
	}
	return 0;
}

struct tk_runner *
tk_runner_new(const struct tk_runner_conf *conf, struct tk_err *err)
{
	struct tk_runner *rn = calloc(1, sizeof(*rn));

	if (rn == NULL) {
		tk_err_set(err, TK_INTERNAL, "targets", "out of memory");
		return NULL;
	}
	rn->c = *conf;
	if (rn->c.parallel == 0) {
		rn->c.parallel = 1;
	}
	if (rn->c.window < rn->c.parallel) {
		rn->c.window = rn->c.window == 0 ? 4 * rn->c.parallel :
		    rn->c.parallel;
	}
	rn->ring = calloc(rn->c.window, sizeof(*rn->ring));
	if (rn->ring == NULL) {
		tk_err_set(err, TK_INTERNAL, "targets", "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < rn->c.nargs; i++) {
		if (!kept(rn, rn->c.args[i])) {
			continue;
		}
		if (rn->c.check != NULL &&
		    rn->c.check(rn->c.arg, rn->c.args[i], NULL, err) < 0) {
			goto fail;
		}
		rn->count++;
	}
	if (rn->c.file != NULL && (slurp(rn, err) < 0 || tidy(rn, err) < 0)) {
		goto fail;
	}
	return rn;
fail:
	tk_runner_free(rn);
	return NULL;
}

int
tk_runner_parse_shard(const char *s, unsigned *k, unsigned *n,
    struct tk_err *err)
{
	char *end;
	unsigned long a, b;

	errno = 0;
	a = strtoul(s, &end, 10);
	if (end == s || *end != '/' || errno != 0) {
		goto bad;
	}
	b = strtoul(end + 1, &end, 10);
	if (*end != '\0' || errno != 0 || b == 0 || b > 65536 || a == 0 ||
	    a > b) {
		goto bad;
	}
	*k = (unsigned)a;
	*n = (unsigned)b;
	return 0;
bad:
	return tk_err_set(err, TK_USAGE, "options",
	    "bad --shard '%s' (use K/N with 1 <= K <= N <= 65536)", s);
}

size_t
tk_runner_count(const struct tk_runner *rn)
{
	return rn->count;
}

/* The next target to start, or NULL when none is left. */
static const char *
next_target(struct tk_runner *rn)
{
	while (rn->next_arg < rn->c.nargs) {
		const char *t = rn->c.args[rn->next_arg++];

		if (kept(rn, t)) {
			return t;
		}
	}
	while (rn->pos < rn->len && rn->text[rn->pos] == '\0') {
		rn->pos++;
	}
	if (rn->pos < rn->len) {
		const char *t = rn->text + rn->pos;

		rn->pos += strlen(t) + 1;
		return t;
	}
	return NULL;
}

static void
emit(struct tk_runner *rn, struct rjob *j)
{
	rn->worst = tk_class_worst(rn->worst, rn->c.emit(rn->c.arg, j->data));
	j->emitted = true;
}

static void
drop(struct tk_runner *rn, struct rjob *j)
{
	if (rn->c.release != NULL) {
		rn->c.release(rn->c.arg, j->data);
	}
	free(j);
}

/*
 * Emits what may be emitted and starts what may start, until neither
 * moves.  Re-entered from a start callback that finishes at once: the
 * outer call does the work.
 */
static void
pump(struct tk_runner *rn)
{
	if (rn->pumping) {
		return;
	}
	rn->pumping = true;
	for (;;) {
		const char *text;
		struct rjob *j;

		while (rn->inflight > 0 && rn->ring[rn->head]->done) {
			j = rn->ring[rn->head];
			rn->ring[rn->head] = NULL;
			rn->head = (rn->head + 1) % rn->c.window;
			rn->inflight--;
			if (!j->emitted) {
				emit(rn, j);
			}
			drop(rn, j);
		}
		if (rn->running == rn->c.parallel ||
		    rn->inflight == rn->c.window) {
			break;
		}
		text = rn->nomem ? NULL : next_target(rn);
		if (text == NULL) {
			rn->exhausted = true;
			break;
		}
		j = calloc(1, sizeof(*j) + rn->c.job_size);
		if (j == NULL) {
			/* the targets not started are not reported: the run
			 * fails (tk_runner_run) once the started ones end */
			rn->nomem = true;
			continue;
		}
		j->rn = rn;
		rn->ring[(rn->head + rn->inflight) % rn->c.window] = j;
		rn->inflight++;
		rn->running++;
		rn->c.start(rn->c.arg, j->data, text);
	}
	rn->pumping = false;
	if (rn->inflight == 0 && rn->exhausted && rn->loop != NULL &&
	    !rn->over) {
		rn->over = true;
		tk_loop_stop(rn->loop);
	}
}

void
tk_runner_done(void *job)
{
	struct rjob *j = (struct rjob *)((unsigned char *)job -
	    offsetof(struct rjob, data));
	struct tk_runner *rn = j->rn;

	j->done = true;
	rn->running--;
	if (rn->c.unordered) {
		emit(rn, j);
	}
	pump(rn);
}

int
tk_runner_run(struct tk_runner *rn, struct tk_loop *loop, struct tk_err *err)
{
	rn->loop = loop;
	pump(rn);
	if (!rn->over && tk_loop_run(loop, err) < 0) {
		return -1;
	}
	if (rn->nomem) {
		return tk_err_set(err, TK_INTERNAL, "targets",
		    "out of memory");
	}
	return 0;
}

enum tk_class
tk_runner_worst(const struct tk_runner *rn)
{
	return rn->worst;
}

void
tk_runner_free(struct tk_runner *rn)
{
	if (rn == NULL) {
		return;
	}
	for (size_t i = 0; i < rn->inflight && rn->ring != NULL; i++) {
		drop(rn, rn->ring[(rn->head + i) % rn->c.window]);
	}
	free(rn->ring);
	free(rn->text);
	free(rn);
}
