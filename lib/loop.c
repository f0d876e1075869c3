#include "loop.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "banned.h"

/*
 * epoll behind a poll-style interface: watches are indexed by fd, so looking
 * one up is O(1) and 10 000 idle connections cost nothing per round.
 */

struct watch {
	tk_fd_cb cb;
	void *arg;
	unsigned events;
	bool used;
	bool in_kernel;  /* registered with epoll: only while events != 0 */
};

struct sigwatch {
	tk_signal_cb cb;
	void *arg;
};

struct tk_loop {
	int epfd;
	struct watch *watches;
	size_t nwatches;   /* capacity, indexed by fd */
	size_t nactive;    /* watches with a non-zero mask */
	struct tk_timer **heap;
	size_t nheap, heapcap;
	int sigfd;
	sigset_t sigmask;
	struct sigwatch sigs[65];
	bool stop;
};

uint64_t
tk_loop_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t
tk_loop_now_ms(void)
{
	return tk_loop_now_us() / 1000u;
}

uint64_t
tk_loop_deadline_clip(uint64_t deadline_ms, uint64_t ms)
{
	uint64_t now = tk_loop_now_ms();

	if (deadline_ms == 0) {
		return ms;
	}
	if (now >= deadline_ms) {
		return 0;
	}
	return deadline_ms - now < ms ? deadline_ms - now : ms;
}

bool
tk_loop_deadline_passed(uint64_t deadline_ms)
{
	return deadline_ms != 0 && tk_loop_now_ms() >= deadline_ms;
}

struct tk_loop *
tk_loop_new(struct tk_err *err)
{
	struct tk_loop *loop;

	loop = calloc(1, sizeof(*loop));
	if (loop == NULL) {
		tk_err_sys(err, TK_INTERNAL, "loop", "cannot allocate loop");
		return NULL;
	}
	loop->sigfd = -1;
	sigemptyset(&loop->sigmask);
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		tk_err_sys(err, TK_INTERNAL, "loop", "cannot create epoll");
		free(loop);
		return NULL;
	}
	return loop;
}

void
tk_loop_free(struct tk_loop *loop)
{
	if (loop == NULL) {
		return;
	}
	if (loop->sigfd >= 0) {
		close(loop->sigfd);
		sigprocmask(SIG_UNBLOCK, &loop->sigmask, NULL);
	}
	close(loop->epfd);
	free(loop->watches);
	free(loop->heap);
	free(loop);
}

static uint32_t
to_epoll(unsigned events)
{
	uint32_t ev = 0;

	if (events & TK_READ) {
		ev |= EPOLLIN;
	}
	if (events & TK_WRITE) {
		ev |= EPOLLOUT;
	}
	return ev;
}

static int
grow_watches(struct tk_loop *loop, int fd)
{
	size_t n = loop->nwatches ? loop->nwatches : 64;
	struct watch *w;

	while (n <= (size_t)fd) {
		n *= 2;
	}
	w = realloc(loop->watches, n * sizeof(*w));
	if (w == NULL) {
		return -1;
	}
	memset(w + loop->nwatches, 0, (n - loop->nwatches) * sizeof(*w));
	loop->watches = w;
	loop->nwatches = n;
	return 0;
}

/*
 * An fd with an empty mask is removed from epoll: the kernel reports
 * EPOLLHUP and EPOLLERR whatever the mask, and a level-triggered hang-up
 * on an fd nobody waits for would spin the loop.
 */
static int
apply(struct tk_loop *loop, int fd, struct watch *w, unsigned events)
{
	struct epoll_event ev = {0};
	int op;

	if (events == 0) {
		if (w->in_kernel &&
		    epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL) < 0) {
			return -1;
		}
		w->in_kernel = false;
	} else {
		op = w->in_kernel ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
		ev.events = to_epoll(events);
		ev.data.fd = fd;
		if (epoll_ctl(loop->epfd, op, fd, &ev) < 0) {
			return -1;
		}
		w->in_kernel = true;
	}
	if (w->events != 0) {
		loop->nactive--;
	}
	if (events != 0) {
		loop->nactive++;
	}
	w->events = events;
	return 0;
}

int
tk_loop_watch(struct tk_loop *loop, int fd, unsigned events, tk_fd_cb cb,
    void *arg, struct tk_err *err)
{
	struct watch *w;

	if (fd < 0) {
		return tk_err_set(err, TK_INTERNAL, "loop", "watch of fd %d",
		    fd);
	}
	if ((size_t)fd >= loop->nwatches && grow_watches(loop, fd) < 0) {
		return tk_err_sys(err, TK_INTERNAL, "loop",
		    "cannot grow watch table");
	}
	w = &loop->watches[fd];
	if (apply(loop, fd, w, events) < 0) {
		return tk_err_sys(err, TK_INTERNAL, "loop",
		    "cannot watch fd %d", fd);
	}
	w->used = true;
	w->cb = cb;
	w->arg = arg;
	return 0;
}

int
tk_loop_rewatch(struct tk_loop *loop, int fd, unsigned events)
{
	struct watch *w;

	if (fd < 0 || (size_t)fd >= loop->nwatches ||
	    !loop->watches[fd].used) {
		return -1;
	}
	w = &loop->watches[fd];
	if (w->events == events) {
		return 0;
	}
	return apply(loop, fd, w, events);
}

void
tk_loop_unwatch(struct tk_loop *loop, int fd)
{
	struct watch *w;

	if (fd < 0 || (size_t)fd >= loop->nwatches ||
	    !loop->watches[fd].used) {
		return;
	}
	w = &loop->watches[fd];
	if (w->in_kernel) {
		epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
	}
	if (w->events != 0) {
		loop->nactive--;
	}
	memset(w, 0, sizeof(*w));
}

/* Timers: a binary min-heap of pointers to the owners' tk_timer structs. */

void
tk_timer_init(struct tk_timer *t, tk_timer_cb cb, void *arg)
{
	t->due_ms = 0;
	t->slot = SIZE_MAX;
	t->cb = cb;
	t->arg = arg;
}

bool
tk_timer_active(const struct tk_timer *t)
{
	return t->slot != SIZE_MAX;
}

static void
heap_set(struct tk_loop *loop, size_t i, struct tk_timer *t)
{
	loop->heap[i] = t;
	t->slot = i;
}

static void
sift_up(struct tk_loop *loop, size_t i)
{
	struct tk_timer *t = loop->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (loop->heap[parent]->due_ms <= t->due_ms) {
			break;
		}
		heap_set(loop, i, loop->heap[parent]);
		i = parent;
	}
	heap_set(loop, i, t);
}

static void
sift_down(struct tk_loop *loop, size_t i)
{
	struct tk_timer *t = loop->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= loop->nheap) {
			break;
		}
		if (c + 1 < loop->nheap &&
		    loop->heap[c + 1]->due_ms < loop->heap[c]->due_ms) {
			c++;
		}
		if (t->due_ms <= loop->heap[c]->due_ms) {
			break;
		}
		heap_set(loop, i, loop->heap[c]);
		i = c;
	}
	heap_set(loop, i, t);
}

void
tk_loop_timer_stop(struct tk_loop *loop, struct tk_timer *t)
{
	size_t i = t->slot;
	struct tk_timer *last;

	if (i == SIZE_MAX) {
		return;
	}
	t->slot = SIZE_MAX;
	last = loop->heap[--loop->nheap];
	if (i == loop->nheap) {
		return;
	}
	heap_set(loop, i, last);
	sift_up(loop, i);
	sift_down(loop, last->slot);
}

int
tk_loop_timer_start(struct tk_loop *loop, struct tk_timer *t, uint64_t ms)
{
	tk_loop_timer_stop(loop, t);
	if (loop->nheap == loop->heapcap) {
		size_t n = loop->heapcap ? loop->heapcap * 2 : 64;
		struct tk_timer **h = realloc(loop->heap, n * sizeof(*h));

		if (h == NULL) {
			return -1;
		}
		loop->heap = h;
		loop->heapcap = n;
	}
	t->due_ms = tk_loop_now_ms() + ms;
	loop->heap[loop->nheap] = t;
	t->slot = loop->nheap++;
	sift_up(loop, t->slot);
	return 0;
}

static void
run_timers(struct tk_loop *loop)
{
	uint64_t now = tk_loop_now_ms();

	/*
	 * A timer started by a callback with 0 ms is due now too; the bound
	 * keeps one round finite when callbacks keep re-arming themselves.
	 */
	for (size_t budget = loop->nheap; budget > 0 && loop->nheap > 0 &&
	     loop->heap[0]->due_ms <= now && !loop->stop;
	     budget--) {
		struct tk_timer *t = loop->heap[0];

		tk_loop_timer_stop(loop, t);
		t->cb(loop, t->arg);
	}
}

/* Signals through signalfd, so handlers run as ordinary callbacks. */

static void
on_signal(struct tk_loop *loop, int fd, unsigned events, void *arg)
{
	struct signalfd_siginfo si;

	(void)arg;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		int signo = (int)si.ssi_signo;

		if (signo > 0 && signo < 65 && loop->sigs[signo].cb != NULL) {
			loop->sigs[signo].cb(loop, signo,
			    loop->sigs[signo].arg);
		}
	}
}

int
tk_loop_signal(struct tk_loop *loop, int signo, tk_signal_cb cb, void *arg,
    struct tk_err *err)
{
	int fd;

	if (signo <= 0 || signo >= 65) {
		return tk_err_set(err, TK_INTERNAL, "loop", "bad signal %d",
		    signo);
	}
	sigaddset(&loop->sigmask, signo);
	if (sigprocmask(SIG_BLOCK, &loop->sigmask, NULL) < 0) {
		return tk_err_sys(err, TK_INTERNAL, "loop",
		    "cannot block signal %d", signo);
	}
	fd = signalfd(loop->sigfd, &loop->sigmask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0) {
		return tk_err_sys(err, TK_INTERNAL, "loop",
		    "cannot create signalfd");
	}
	loop->sigs[signo].cb = cb;
	loop->sigs[signo].arg = arg;
	if (loop->sigfd < 0) {
		loop->sigfd = fd;
		if (tk_loop_watch(loop, fd, TK_READ, on_signal, NULL,
		    err) < 0) {
			return -1;
		}
		/* a signal watch alone must not keep the loop running */
		loop->nactive--;
	}
	return 0;
}

void
tk_loop_stop(struct tk_loop *loop)
{
	loop->stop = true;
}

#define MAX_EVENTS 256

int
tk_loop_run(struct tk_loop *loop, struct tk_err *err)
{
	struct epoll_event evs[MAX_EVENTS];

	loop->stop = false;
	while (!loop->stop && (loop->nactive > 0 || loop->nheap > 0)) {
		int timeout = -1;
		int n;

		if (loop->nheap > 0) {
			uint64_t now = tk_loop_now_ms();
			uint64_t due = loop->heap[0]->due_ms;

			timeout = due <= now ? 0 :
			    (due - now > 60000 ? 60000 : (int)(due - now));
		}
		n = epoll_wait(loop->epfd, evs, MAX_EVENTS, timeout);
		if (n < 0) {
			if (errno == EINTR) {
				continue;
			}
			return tk_err_sys(err, TK_INTERNAL, "loop",
			    "epoll_wait failed");
		}
		for (int i = 0; i < n && !loop->stop; i++) {
			int fd = evs[i].data.fd;
			struct watch *w;
			unsigned got = 0;

			if ((size_t)fd >= loop->nwatches) {
				continue;
			}
			w = &loop->watches[fd];
			if (!w->used) {
				continue;
			}
			if (evs[i].events & (EPOLLIN | EPOLLRDHUP)) {
				got |= TK_READ;
			}
			if (evs[i].events & EPOLLOUT) {
				got |= TK_WRITE;
			}
			if (evs[i].events & (EPOLLERR | EPOLLHUP)) {
				got |= TK_HUP | (w->events & (TK_READ |
				    TK_WRITE));
			}
			/* the mask may have changed earlier in this round */
			got &= w->events | TK_HUP;
			if (got == 0 || w->events == 0) {
				continue;
			}
			w->cb(loop, fd, got, w->arg);
		}
		run_timers(loop);
	}
	return 0;
}
