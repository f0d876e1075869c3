/*
 * tls-scan's engine for one target (docs/ARCHITECTURE.md, "tls-scan").
 *
 * Work is split into tasks, each holding at most one connection at a
 * time: a lane is a sequence of raw ClientHellos where each depends on
 * the answer before (elimination); a handshake task is one lib/scanhs
 * probe; the ALPN task is lib/alpnprobe with one handshake at a time.  A
 * task asks the gate for a connection to its host before each probe and
 * gives it back after, so lanes of one target, and of every target on the
 * same host, take turns within --max-per-host.  Phases: the first GnuTLS
 * handshake alone (it resolves, and pins the address); then versions,
 * suites, their order, SSL 2.0 and TLS 1.3 groups; then what needs their
 * answers (TLS 1.2 groups and signature algorithms, DH size, fallback,
 * compression, the handshake probes, ALPN).
 */
#include "scan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>

#include "rawhello.h"
#include "suites.h"

#include "banned.h"

/* ------------------------------------------------------------------ */
/* The gate: connections per host, shared by every target's scan */

struct task;

struct gate_host {
	char key[TK_HOST_MAX];
	unsigned inflight;
	struct task *head, *tail;   /* waiting, first come first served */
	struct gate_host *next;
};

struct tk_scan_gate {
	unsigned per_host;
	struct gate_host *hosts;     /* only hosts in use */
};

struct task {
	struct tk_scan *s;
	void (*go)(struct task *t);  /* a connection is held: next probe */
	struct tk_timer kick;
	struct task *qnext;
	bool queued, holding;
};

struct tk_scan_gate *
tk_scan_gate_new(unsigned per_host)
{
	struct tk_scan_gate *g = calloc(1, sizeof(*g));

	if (g != NULL) {
		g->per_host = per_host > 0 ? per_host : 1;
	}
	return g;
}

void
tk_scan_gate_free(struct tk_scan_gate *g)
{
	struct gate_host *h, *next;

	if (g == NULL) {
		return;
	}
	for (h = g->hosts; h != NULL; h = next) {
		next = h->next;
		free(h);
	}
	free(g);
}

static struct gate_host *
gate_host(struct tk_scan_gate *g, const char *key, bool make)
{
	struct gate_host *h;

	for (h = g->hosts; h != NULL; h = h->next) {
		if (strcmp(h->key, key) == 0) {
			return h;
		}
	}
	if (!make || (h = calloc(1, sizeof(*h))) == NULL) {
		return NULL;
	}
	snprintf(h->key, sizeof(h->key), "%s", key);
	h->next = g->hosts;
	g->hosts = h;
	return h;
}

static void
gate_drop_idle(struct tk_scan_gate *g, struct gate_host *h)
{
	struct gate_host **pp;

	if (h->inflight > 0 || h->head != NULL) {
		return;
	}
	for (pp = &g->hosts; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == h) {
			*pp = h->next;
			free(h);
			return;
		}
	}
}

/* ------------------------------------------------------------------ */
/* The scan */

enum lane_kind {
	L_SUITES,       /* a version's suites by elimination, then order */
	L_SSL2,         /* one SSL 2.0 CLIENT-HELLO */
	L_GROUPS13,     /* TLS 1.3 groups by HelloRetryRequest */
	L_GROUPS12,     /* ECDHE curves by ServerKeyExchange */
	L_SIGALGS12,    /* TLS 1.2 signature algorithms by ServerKeyExchange */
	L_DH,           /* the DHE prime's size */
	L_FALLBACK,     /* TLS_FALLBACK_SCSV (RFC 7507) */
	L_COMPRESSION,  /* DEFLATE */
};

#define CAND_MAX 512
#define OUT_MAX 4096

struct lane {
	struct task t;               /* first: a task is a lane's head */
	enum lane_kind kind;
	enum tk_scan_ver ver;
	uint16_t wire;               /* the version offered */
	uint16_t cand[CAND_MAX];     /* what is still offered */
	size_t ncand;
	uint16_t suites[CAND_MAX];   /* the suites of lanes over another list */
	size_t nsuites;
	bool ordering;               /* L_SUITES: the order probe runs */
	unsigned probes;
	bool done;
	struct tk_conn *conn;
	struct tk_result r;
	unsigned char out[OUT_MAX];
	size_t outlen;
	unsigned char *in;           /* TK_RAWHELLO_FLIGHT_MAX bytes */
	struct tk_rawhello_reply reply;
	bool flight;                 /* read on to ServerHelloDone */
	struct tk_scan *s;
	struct lane *next;
};

/* A lib/scanhs probe or the ALPN engine, as a task. */
struct hstask {
	struct task t;
	struct tk_scanhs *p;         /* NULL: the ALPN task */
	struct tk_scanhs_conf conf;
	bool started, done;
	struct hstask *next;
};

struct tk_scan {
	struct tk_loop *loop;
	struct tk_scan_conf conf;
	struct tk_conn_conf cc;      /* the target's own */
	struct tk_conn_conf pinned;  /* later probes: the address of the
	                              * first handshake */
	char pin_host[TK_HOST_MAX];
	char verify_name[TK_HOST_MAX];
	struct tk_scan_res *res;
	void (*done)(void *arg);
	void *arg;
	int phase;                   /* 0 main, 1, 2, 3 over */
	unsigned outstanding;        /* tasks of the phase not done */
	struct task main;
	struct tk_conn *main_conn;
	struct lane *lanes;
	struct hstask *hs;
	struct tk_alpn alpn_list;
	bool alpn_whole;
	struct hstask *alpn_task;
	/* the answers of the ServerHellos of TLS 1.2 and lower */
	unsigned reneg_yes, reneg_no, ems_yes, ems_no, etm_yes, etm_no;
	struct tk_timer end;         /* the done callback, off the stack */
	bool finished;
};

static const char *
gate_key(const struct tk_scan *s)
{
	return s->cc.target.host;
}

static void
task_kick(struct tk_loop *loop, void *arg)
{
	struct task *t = arg;

	(void)loop;
	t->go(t);
}

/* Asks for a connection; t->go runs once one is held. */
static void
task_want(struct task *t)
{
	struct tk_scan_gate *g = t->s->conf.gate;
	struct gate_host *h = gate_host(g, gate_key(t->s), true);

	if (h == NULL) {
		/* no memory for the entry: go on without the cap */
		t->holding = false;
		tk_loop_timer_start(t->s->loop, &t->kick, 0);
		return;
	}
	if (h->inflight < g->per_host) {
		h->inflight++;
		t->holding = true;
		tk_loop_timer_start(t->s->loop, &t->kick, 0);
		return;
	}
	t->queued = true;
	t->qnext = NULL;
	if (h->tail != NULL) {
		h->tail->qnext = t;
	} else {
		h->head = t;
	}
	h->tail = t;
}

/* Gives the connection back, or leaves the queue. */
static void
task_release(struct task *t)
{
	struct tk_scan_gate *g = t->s->conf.gate;
	struct gate_host *h = gate_host(g, gate_key(t->s), false);
	struct task **pp, *prev = NULL;

	tk_loop_timer_stop(t->s->loop, &t->kick);
	if (h == NULL) {
		t->queued = t->holding = false;
		return;
	}
	if (t->queued) {
		for (pp = &h->head; *pp != NULL; prev = *pp, pp = &(*pp)->qnext) {
			if (*pp == t) {
				*pp = t->qnext;
				if (h->tail == t) {
					h->tail = prev;
				}
				break;
			}
		}
		t->queued = false;
	}
	if (t->holding) {
		t->holding = false;
		h->inflight--;
		if (h->head != NULL) {
			struct task *n = h->head;

			h->head = n->qnext;
			if (h->head == NULL) {
				h->tail = NULL;
			}
			n->queued = false;
			n->holding = true;
			h->inflight++;
			tk_loop_timer_start(n->s->loop, &n->kick, 0);
		}
	}
	gate_drop_idle(g, h);
}

static void
task_init(struct task *t, struct tk_scan *s, void (*go)(struct task *))
{
	t->s = s;
	t->go = go;
	tk_timer_init(&t->kick, task_kick, t);
}

uint16_t
tk_scan_ver_wire(enum tk_scan_ver v)
{
	static const uint16_t wire[TK_SCAN_NVER] = {
		TK_SUITES_SSL2, TK_SUITES_SSL3, TK_SUITES_TLS10,
		TK_SUITES_TLS11, TK_SUITES_TLS12, TK_SUITES_TLS13,
	};

	return v < TK_SCAN_NVER ? wire[v] : 0;
}

static void start_phase(struct tk_scan *s, int phase);

static void
on_end(struct tk_loop *loop, void *arg)
{
	struct tk_scan *s = arg;

	(void)loop;
	s->done(s->arg);
}

/* One task of the phase is done: the next phase, or the end. */
static void
task_done(struct tk_scan *s)
{
	if (s->outstanding > 0) {
		s->outstanding--;
	}
	if (s->outstanding == 0 && !s->finished) {
		start_phase(s, s->phase + 1);
	}
}

/* ------------------------------------------------------------------ */
/* What a ClientHello offers */

/* The groups of a kind (TLS 1.3 or ECDHE), in table order. */
static size_t
groups_of(uint8_t flag, uint16_t *out, size_t cap)
{
	size_t n, k = 0;
	const struct tk_suites_group *g = tk_suites_groups_all(&n);

	/* the common ones first: a server that takes the first it knows
	 * then picks what clients get */
	static const uint16_t first[] = {29, 23, 24, 25, 30};

	for (size_t i = 0; i < sizeof(first) / sizeof(first[0]); i++) {
		const struct tk_suites_group *f =
		    tk_suites_group_by_code(first[i]);

		if (f != NULL && (f->flags & flag) && k < cap) {
			out[k++] = f->code;
		}
	}
	for (size_t i = 0; i < n && k < cap; i++) {
		bool dup = false;

		if (!(g[i].flags & flag)) {
			continue;
		}
		for (size_t j = 0; j < k; j++) {
			dup = dup || out[j] == g[i].code;
		}
		if (!dup) {
			out[k++] = g[i].code;
		}
	}
	return k;
}

static size_t
sigalgs_of(uint8_t flag, uint16_t *out, size_t cap)
{
	size_t n, k = 0;
	const struct tk_suites_sigalg *a = tk_suites_sigalgs_all(&n);

	/* strongest first, as clients order them */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < n && k < cap; i++) {
			bool modern = a[i].code >= 0x0403 &&
			    (a[i].code & 0xff) != 0x02;

			if ((a[i].flags & flag) && modern == (pass == 0)) {
				out[k++] = a[i].code;
			}
		}
	}
	return k;
}

/* The IANA suites a version can negotiate. */
static size_t
suites_of(enum tk_scan_ver v, uint16_t *out, size_t cap)
{
	size_t n, k = 0;
	const struct tk_suite *all = tk_suites_all(&n);
	uint16_t w = tk_scan_ver_wire(v);

	for (size_t i = 0; i < n && k < cap; i++) {
		const struct tk_suite *st = &all[i];

		if (st->flags & TK_SUITES_SCSV) {
			continue;
		}
		if (v == TK_SCAN_TLS13 ? st->min_version == TK_SUITES_TLS13 :
		    v == TK_SCAN_SSL3 ? st->min_version == TK_SUITES_SSL3 :
		    st->min_version <= w) {
			out[k++] = st->code;
		}
	}
	return k;
}

static void
remove_code(uint16_t *list, size_t *n, uint16_t code)
{
	for (size_t i = 0; i < *n; i++) {
		if (list[i] == code) {
			memmove(&list[i], &list[i + 1],
			    (*n - i - 1) * sizeof(list[0]));
			(*n)--;
			return;
		}
	}
}

static bool
has_code(const uint16_t *list, size_t n, uint16_t code)
{
	for (size_t i = 0; i < n; i++) {
		if (list[i] == code) {
			return true;
		}
	}
	return false;
}

/* Bytes that need not be secret: a probe never finishes a handshake. */
static void
fill_random(unsigned char *b, size_t n)
{
	gnutls_rnd(GNUTLS_RND_NONCE, b, n);
}

/* The hello of the lane's next probe into l->out. */
static int
build(struct lane *l, struct tk_err *err)
{
	struct tk_scan *s = l->s;
	struct tk_rawhello_conf hc;
	uint16_t groups[TK_SCAN_LIST_MAX], sigalgs[TK_SCAN_LIST_MAX];
	uint16_t rev[CAND_MAX];
	const uint16_t *suites = l->cand;
	size_t nsuites = l->ncand;
	static const uint16_t v13[] = {TK_SUITES_TLS13};

	if (l->kind == L_SSL2) {
		size_t n;
		const struct tk_suites_v2 *k = tk_suites_v2_all(&n);
		uint32_t kinds[TK_RAWHELLO_V2_MAX];
		unsigned char challenge[16];

		n = n < TK_RAWHELLO_V2_MAX ? n : TK_RAWHELLO_V2_MAX;
		for (size_t i = 0; i < n; i++) {
			kinds[i] = k[i].code;
		}
		fill_random(challenge, sizeof(challenge));
		return tk_rawhello_build_v2(kinds, n, challenge, l->out,
		    sizeof(l->out), &l->outlen, err);
	}
	memset(&hc, 0, sizeof(hc));
	hc.version = l->wire;
	fill_random(hc.random, sizeof(hc.random));
	if (s->verify_name[0] != '\0' && !s->cc.no_sni) {
		hc.sni = s->verify_name;
	}
	hc.groups = groups;
	hc.ngroups = groups_of(l->wire == TK_SUITES_TLS13 ?
	    TK_SUITES_GROUP_TLS13 : TK_SUITES_GROUP_EC, groups,
	    TK_SCAN_LIST_MAX);
	hc.sigalgs = sigalgs;
	hc.nsigalgs = sigalgs_of(l->wire == TK_SUITES_TLS13 ?
	    TK_SUITES_SIGALG_TLS13 : TK_SUITES_SIGALG_TLS12, sigalgs,
	    TK_SCAN_LIST_MAX);
	if (l->wire < TK_SUITES_TLS12) {
		hc.nsigalgs = 0;    /* RFC 5246 7.4.1.4.1: TLS 1.2's */
	}
	hc.point_formats = l->wire < TK_SUITES_TLS13;
	hc.reneg_info = l->wire < TK_SUITES_TLS13;
	hc.ems = l->wire < TK_SUITES_TLS13;
	hc.etm = l->wire < TK_SUITES_TLS13;
	if (l->wire == TK_SUITES_TLS13) {
		hc.versions = v13;
		hc.nversions = 1;
		hc.key_share_group = TK_RAWHELLO_X25519;
		fill_random(hc.share, sizeof(hc.share));
		hc.session_id_len = 32;    /* RFC 8446 D.4 middlebox mode */
		fill_random(hc.session_id, sizeof(hc.session_id));
	}
	switch (l->kind) {
	case L_SUITES:
		if (l->ordering) {
			/* the accepted suites, the other way round */
			const struct tk_scan_version *v = &s->res->v[l->ver];

			nsuites = 0;
			for (size_t i = v->nsuites; i-- > 0;) {
				rev[nsuites++] = (uint16_t)v->suites[i];
			}
			suites = rev;
		}
		break;
	case L_GROUPS13:
		hc.groups = l->cand;
		hc.ngroups = l->ncand;
		hc.key_share_group = 0;
		hc.key_share_empty = true;
		suites = l->suites;
		nsuites = l->nsuites;
		break;
	case L_GROUPS12:
		hc.groups = l->cand;
		hc.ngroups = l->ncand;
		suites = l->suites;
		nsuites = l->nsuites;
		break;
	case L_SIGALGS12:
		hc.sigalgs = l->cand;
		hc.nsigalgs = l->ncand;
		suites = l->suites;
		nsuites = l->nsuites;
		break;
	case L_DH:
	case L_COMPRESSION:
	case L_FALLBACK:
		suites = l->suites;
		nsuites = l->nsuites;
		hc.deflate = l->kind == L_COMPRESSION;
		hc.scsv_fallback = l->kind == L_FALLBACK;
		break;
	case L_SSL2:
		break;
	}
	hc.suites = suites;
	hc.nsuites = nsuites;
	return tk_rawhello_build(&hc, l->out, sizeof(l->out), &l->outlen,
	    err);
}

/* How the ServerKeyExchange of a suite is laid out. */
static enum tk_rawhello_ske
ske_of(uint16_t code, bool *anon)
{
	const struct tk_suite *st = tk_suites_by_code(code);

	*anon = st != NULL && st->auth == TK_SUITES_AUTH_ANON;
	if (st == NULL) {
		return TK_RAWHELLO_SKE_NONE;
	}
	if (st->kx == TK_SUITES_KX_ECDHE) {
		return TK_RAWHELLO_SKE_ECDHE;
	}
	if (st->kx == TK_SUITES_KX_DHE) {
		return TK_RAWHELLO_SKE_DHE;
	}
	if (st->kx == TK_SUITES_KX_RSA && (st->flags & TK_SUITES_EXPORT)) {
		return TK_RAWHELLO_SKE_RSA;
	}
	return TK_RAWHELLO_SKE_NONE;
}

/* conn's raw mode: is the answer whole? */
static bool
raw_done(void *arg, const unsigned char *in, size_t len)
{
	struct lane *l = arg;
	enum tk_rawhello_kind k = tk_rawhello_parse(&l->reply, in, len);
	bool anon = false;

	if (k == TK_RAWHELLO_MORE) {
		return len >= TK_RAWHELLO_READ_MAX && !l->flight;
	}
	if (k != TK_RAWHELLO_SERVER_HELLO || !l->flight ||
	    l->reply.version > TK_SUITES_TLS12) {
		return true;
	}
	k = tk_rawhello_parse_flight(&l->reply, in, len,
	    ske_of(l->reply.suite, &anon), anon);
	return k != TK_RAWHELLO_MORE;
}

/* ------------------------------------------------------------------ */
/* Lanes */

static void lane_go(struct task *t);

static void
lane_end(struct lane *l)
{
	if (l->done) {
		return;
	}
	l->done = true;
	task_release(&l->t);
	free(l->in);
	l->in = NULL;
	task_done(l->s);
}

/* The first thing the server did that no ClientHello asked for. */
static void
violation(struct lane *l, const char *what, unsigned code)
{
	struct tk_scan_res *res = l->s->res;

	if (!res->violation) {
		res->violation = true;
		snprintf(res->violation_why, sizeof(res->violation_why),
		    "the server chose %s 0x%04x, which the %s ClientHello did "
		    "not offer", what, code, tk_suites_version_name(l->wire));
	}
}

/* The ServerHello extensions of TLS 1.2 and lower, tallied. */
static void
note_extensions(struct tk_scan *s, const struct tk_rawhello_reply *r)
{
	const struct tk_suite *st = tk_suites_by_code(r->suite);

	if (r->version > TK_SUITES_TLS12) {
		return;
	}
	if (r->reneg_info) {
		s->reneg_yes++;
	} else {
		s->reneg_no++;
	}
	if (r->version >= TK_SUITES_TLS10) {
		if (tk_rawhello_has_ext(r, TK_RAWHELLO_EXT_EMS)) {
			s->ems_yes++;
		} else {
			s->ems_no++;
		}
	}
	/* RFC 7366 2: only a block cipher's suite takes it */
	if (st != NULL && !(st->flags & TK_SUITES_AEAD) &&
	    st->enc != TK_SUITES_ENC_RC4 && st->enc != TK_SUITES_ENC_NULL &&
	    r->version >= TK_SUITES_TLS10) {
		if (tk_rawhello_has_ext(r, TK_RAWHELLO_EXT_ETM)) {
			s->etm_yes++;
		} else {
			s->etm_no++;
		}
	}
}

/* Why a probe got no usable answer, in plain words. */
static void
no_answer(struct lane *l, char *buf, size_t len)
{
	const struct tk_rawhello_reply *r = &l->reply;
	bool closed = false;

	tk_conn_raw(l->conn, &closed);
	if (tk_err_is_set(&l->r.err)) {
		snprintf(buf, len, "%.20s: %.150s", l->r.err.step != NULL ?
		    l->r.err.step : "connect", l->r.err.msg);
	} else if (r->kind == TK_RAWHELLO_NOT_TLS ||
	    r->kind == TK_RAWHELLO_MALFORMED) {
		snprintf(buf, len, "the answer was %s: %s",
		    r->kind == TK_RAWHELLO_NOT_TLS ? "not TLS" : "malformed",
		    r->why != NULL ? r->why : "?");
	} else if (r->kind == TK_RAWHELLO_MORE) {
		snprintf(buf, len, closed ? "the server closed the "
		    "connection in the middle of its answer" : "the answer "
		    "did not end within its size limit");
	} else {
		snprintf(buf, len, "no answer");
	}
}

/* Whether the reply refuses the offer (alert, close, SSL 2.0 error). */
static bool
refused(struct lane *l)
{
	bool closed = false;
	size_t n = tk_conn_raw(l->conn, &closed);

	if (tk_err_is_set(&l->r.err)) {
		return false;
	}
	return l->reply.kind == TK_RAWHELLO_ALERT ||
	    l->reply.kind == TK_RAWHELLO_SSL2_ERROR ||
	    (closed && n == 0);
}

static void
suites_answer(struct lane *l)
{
	struct tk_scan_version *v = &l->s->res->v[l->ver];
	const struct tk_rawhello_reply *r = &l->reply;
	bool hello = r->kind == TK_RAWHELLO_SERVER_HELLO ||
	    (r->kind == TK_RAWHELLO_HRR && l->wire == TK_SUITES_TLS13);

	if (l->ordering) {
		if (hello && r->version == l->wire) {
			v->server_order = r->suite == v->suites[0] ?
			    TK_SCAN_YES : TK_SCAN_NO;
		}
		lane_end(l);
		return;
	}
	if (hello && r->version > l->wire) {
		violation(l, "version", r->version);
		hello = false;
	}
	if (hello && r->version == l->wire) {
		if (!has_code(l->cand, l->ncand, r->suite)) {
			violation(l, "suite", r->suite);
			lane_end(l);
			return;
		}
		if (r->kind == TK_RAWHELLO_SERVER_HELLO) {
			note_extensions(l->s, r);
		}
		v->accepted = TK_SCAN_YES;
		if (v->nsuites < TK_SCAN_ACCEPTED_MAX) {
			v->suites[v->nsuites++] = r->suite;
		} else {
			v->cut = true;
		}
		remove_code(l->cand, &l->ncand, r->suite);
		if (l->ncand > 0) {
			task_want(&l->t);
			return;
		}
	} else if (l->probes == 1) {
		/* the version itself: an answer of a lower version, a
		 * refusal, or no usable answer at all */
		if (hello || refused(l)) {
			v->accepted = TK_SCAN_NO;
		} else {
			v->accepted = TK_SCAN_UNKNOWN;
			no_answer(l, v->why, sizeof(v->why));
		}
	}
	if (v->nsuites >= 2) {
		l->ordering = true;
		task_want(&l->t);
		return;
	}
	lane_end(l);
}

static void
ssl2_answer(struct lane *l)
{
	struct tk_scan_version *v = &l->s->res->v[TK_SCAN_SSL2];
	const struct tk_rawhello_reply *r = &l->reply;

	if (r->kind == TK_RAWHELLO_SSL2_HELLO) {
		v->accepted = TK_SCAN_YES;
		for (size_t i = 0; i < r->v2_nkinds &&
		    v->nsuites < TK_SCAN_ACCEPTED_MAX; i++) {
			v->suites[v->nsuites++] = r->v2_kinds[i];
		}
		v->cut = r->v2_cut;
	} else if (refused(l) || r->kind == TK_RAWHELLO_SERVER_HELLO ||
	    r->kind == TK_RAWHELLO_MALFORMED || r->kind == TK_RAWHELLO_NOT_TLS) {
		/* a TLS server reads an SSL 2.0 hello as a TLS one, or not
		 * at all: either way, no SSL 2.0 */
		v->accepted = TK_SCAN_NO;
	} else {
		v->accepted = TK_SCAN_UNKNOWN;
		no_answer(l, v->why, sizeof(v->why));
	}
	lane_end(l);
}

/* The lanes that take one item out of a list per answer. */
static void
list_answer(struct lane *l)
{
	struct tk_scan_res *res = l->s->res;
	const struct tk_rawhello_reply *r = &l->reply;
	uint16_t got = 0, *out = NULL;
	size_t *nout = NULL;

	switch (l->kind) {
	case L_GROUPS13:
		res->groups13_done = true;
		out = res->groups13;
		nout = &res->ngroups13;
		if (r->kind == TK_RAWHELLO_HRR ||
		    r->kind == TK_RAWHELLO_SERVER_HELLO) {
			got = r->key_share_group;
		}
		break;
	case L_GROUPS12:
		res->groups12_done = true;
		out = res->groups12;
		nout = &res->ngroups12;
		if (r->kind == TK_RAWHELLO_SERVER_HELLO && r->ske &&
		    r->ske_curve_type == 3) {
			got = r->ske_group;
		}
		break;
	case L_SIGALGS12:
		res->sigalgs12_done = true;
		out = res->sigalgs12;
		nout = &res->nsigalgs12;
		if (r->kind == TK_RAWHELLO_SERVER_HELLO && r->ske) {
			got = r->ske_sigalg;
		}
		break;
	default:
		lane_end(l);
		return;
	}
	if (got == 0) {
		lane_end(l);
		return;
	}
	if (!has_code(l->cand, l->ncand, got)) {
		/* a server signing with what was not offered (an old
		 * default) or choosing a group not offered */
		if (l->kind != L_SIGALGS12) {
			violation(l, "group", got);
		}
		lane_end(l);
		return;
	}
	if (*nout < TK_SCAN_LIST_MAX) {
		out[(*nout)++] = got;
	}
	remove_code(l->cand, &l->ncand, got);
	if (l->ncand > 0) {
		task_want(&l->t);
		return;
	}
	lane_end(l);
}

static void
once_answer(struct lane *l)
{
	struct tk_scan_res *res = l->s->res;
	const struct tk_rawhello_reply *r = &l->reply;

	switch (l->kind) {
	case L_DH:
		if (r->kind == TK_RAWHELLO_SERVER_HELLO && r->ske) {
			res->dh_bits = r->ske_dh_bits;
		}
		break;
	case L_FALLBACK:
		/* RFC 7507 3: inappropriate_fallback (86) */
		if (r->kind == TK_RAWHELLO_ALERT && r->alert_desc == 86) {
			res->fallback_scsv = TK_SCAN_YES;
		} else if (r->kind == TK_RAWHELLO_SERVER_HELLO) {
			res->fallback_scsv = TK_SCAN_NO;
		}
		break;
	case L_COMPRESSION:
		if (r->kind == TK_RAWHELLO_SERVER_HELLO) {
			res->compression = r->compression != 0 ? TK_SCAN_YES :
			    TK_SCAN_NO;
		}
		break;
	default:
		break;
	}
	lane_end(l);
}

static void
on_lane_conn(struct tk_conn *c, void *arg)
{
	struct lane *l = arg;
	bool closed = false;
	size_t n = tk_conn_raw(c, &closed);

	if (!tk_conn_ready(c)) {
		memset(&l->reply, 0, sizeof(l->reply));
		l->reply.kind = TK_RAWHELLO_MORE;
	} else {
		bool anon = false;

		tk_rawhello_parse(&l->reply, l->in, n);
		if (l->flight && l->reply.kind == TK_RAWHELLO_SERVER_HELLO &&
		    l->reply.version <= TK_SUITES_TLS12) {
			tk_rawhello_parse_flight(&l->reply, l->in, n,
			    ske_of(l->reply.suite, &anon), anon);
		}
	}
	task_release(&l->t);
	switch (l->kind) {
	case L_SUITES:
		suites_answer(l);
		break;
	case L_SSL2:
		ssl2_answer(l);
		break;
	case L_GROUPS13:
	case L_GROUPS12:
	case L_SIGALGS12:
		list_answer(l);
		break;
	case L_DH:
	case L_FALLBACK:
	case L_COMPRESSION:
		once_answer(l);
		break;
	}
	/* the conn is done with: after the answer was read from it */
	tk_conn_free(c);
	if (l->conn == c) {
		l->conn = NULL;
	}
}

static void
lane_go(struct task *t)
{
	struct lane *l = (struct lane *)t;
	struct tk_scan *s = l->s;
	struct tk_conn_conf cc = s->pinned;
	struct tk_err e;

	tk_err_clear(&e);
	if (l->in == NULL &&
	    (l->in = malloc(TK_RAWHELLO_FLIGHT_MAX)) == NULL) {
		lane_end(l);
		return;
	}
	if (build(l, &e) < 0) {
		/* nothing left that fits a hello: what was found stays */
		lane_end(l);
		return;
	}
	memset(&l->r, 0, sizeof(l->r));
	memset(&l->reply, 0, sizeof(l->reply));
	l->r.tool = s->conf.tool;
	cc.raw_out = l->out;
	cc.raw_out_len = l->outlen;
	cc.raw_in = l->in;
	cc.raw_cap = l->flight ? TK_RAWHELLO_FLIGHT_MAX : TK_RAWHELLO_READ_MAX;
	cc.raw_done = raw_done;
	cc.raw_arg = l;
	cc.alpn = NULL;
	cc.no_verify = true;
	l->conn = tk_conn_new(s->loop, &cc, &l->r, on_lane_conn, l, &e);
	if (l->conn == NULL) {
		lane_end(l);
		return;
	}
	l->probes++;
	s->res->connections++;
	tk_conn_start(l->conn);
}

static struct lane *
lane_new(struct tk_scan *s, enum lane_kind kind, enum tk_scan_ver ver)
{
	struct lane *l = calloc(1, sizeof(*l));

	if (l == NULL) {
		return NULL;
	}
	l->s = s;
	l->kind = kind;
	l->ver = ver;
	l->wire = kind == L_SSL2 ? TK_SUITES_SSL2 : tk_scan_ver_wire(ver);
	task_init(&l->t, s, lane_go);
	l->next = s->lanes;
	s->lanes = l;
	return l;
}

static void
lane_start(struct tk_scan *s, struct lane *l)
{
	if (l == NULL) {
		return;
	}
	s->outstanding++;
	task_want(&l->t);
}

/* ------------------------------------------------------------------ */
/* Handshake probes (lib/scanhs) and ALPN (lib/alpnprobe) */

static void
hs_done(void *arg)
{
	struct hstask *h = arg;
	struct tk_scan *s = h->t.s;

	if (h->done) {
		return;
	}
	h->done = true;
	if (h->p != NULL) {
		s->res->connections += h->p->connections;
	} else if (s->res->alpn != NULL) {
		s->res->connections += (unsigned)tk_alpnprobe_neach(
		    s->res->alpn) + (tk_alpnprobe_whole(s->res->alpn) != NULL);
	}
	task_release(&h->t);
	task_done(s);
}

static void
hs_go(struct task *t)
{
	struct hstask *h = (struct hstask *)t;
	struct tk_scan *s = t->s;
	struct tk_err e;

	tk_err_clear(&e);
	h->started = true;
	if (h->p != NULL) {
		h->conf.cc = &s->pinned;
		if (tk_scanhs_start(h->p, s->loop, &h->conf, hs_done, h,
		    &e) < 0) {
			hs_done(h);
		}
		return;
	}
	{
		struct tk_alpnprobe_conf pc;
		struct tk_conn_conf cc = s->pinned;

		cc.no_verify = true;    /* the first handshake judged it */
		memset(&pc, 0, sizeof(pc));
		pc.cc = &cc;
		pc.tool = s->conf.tool;
		pc.target = s->conf.target;
		pc.list = &s->alpn_list;
		pc.whole = s->alpn_whole;
		pc.each = true;
		pc.order = true;
		pc.parallel = 1;
		s->res->alpn = tk_alpnprobe_new(s->loop, &pc, hs_done, h, &e);
		if (s->res->alpn == NULL) {
			hs_done(h);
			return;
		}
		tk_alpnprobe_start(s->res->alpn);
	}
}

static struct tk_scanhs **
hs_add(struct tk_scan *s, enum tk_scanhs_kind kind, enum tk_scanhs_key key,
    bool no_sni, struct tk_scanhs **slot)
{
	struct hstask *h = calloc(1, sizeof(*h));

	if (h == NULL || (h->p = calloc(1, sizeof(*h->p))) == NULL) {
		free(h);
		return NULL;
	}
	h->conf.kind = kind;
	h->conf.key = key;
	h->conf.no_sni = no_sni;
	h->conf.tool = s->conf.tool;
	h->conf.target = s->conf.target;
	task_init(&h->t, s, hs_go);
	h->next = s->hs;
	s->hs = h;
	*slot = h->p;
	s->outstanding++;
	task_want(&h->t);
	return slot;
}

/* ------------------------------------------------------------------ */
/* Phases */

/* The highest version of TLS 1.2 and lower that the server takes. */
static enum tk_scan_ver
best_legacy(const struct tk_scan_res *res)
{
	for (int v = TK_SCAN_TLS12; v >= TK_SCAN_SSL3; v--) {
		if (res->v[v].accepted == TK_SCAN_YES &&
		    res->v[v].nsuites > 0) {
			return (enum tk_scan_ver)v;
		}
	}
	return TK_SCAN_NVER;
}

/* The accepted suites of v whose key exchange is kx (any: KX_NONE),
 * signed when want_signed, into l->suites. */
static void
pick_suites(struct lane *l, const struct tk_scan_version *v, int kx,
    bool want_signed)
{
	l->nsuites = 0;
	for (size_t i = 0; i < v->nsuites && l->nsuites < CAND_MAX; i++) {
		const struct tk_suite *st =
		    tk_suites_by_code((uint16_t)v->suites[i]);

		if (st == NULL || (kx != TK_SUITES_KX_NONE && st->kx != kx) ||
		    (want_signed && st->auth == TK_SUITES_AUTH_ANON)) {
			continue;
		}
		l->suites[l->nsuites++] = st->code;
	}
}

static bool
has_kx(const struct tk_scan_version *v, int kx)
{
	for (size_t i = 0; i < v->nsuites; i++) {
		const struct tk_suite *st =
		    tk_suites_by_code((uint16_t)v->suites[i]);

		if (st != NULL && st->kx == kx) {
			return true;
		}
	}
	return false;
}

static void
phase_one(struct tk_scan *s)
{
	struct lane *l;

	for (int v = TK_SCAN_SSL3; v < TK_SCAN_NVER; v++) {
		l = lane_new(s, L_SUITES, (enum tk_scan_ver)v);
		if (l != NULL) {
			l->ncand = suites_of((enum tk_scan_ver)v, l->cand,
			    CAND_MAX);
		}
		lane_start(s, l);
	}
	lane_start(s, lane_new(s, L_SSL2, TK_SCAN_SSL2));
	l = lane_new(s, L_GROUPS13, TK_SCAN_TLS13);
	if (l != NULL) {
		l->ncand = groups_of(TK_SUITES_GROUP_TLS13, l->cand,
		    TK_SCAN_LIST_MAX);
		l->nsuites = suites_of(TK_SCAN_TLS13, l->suites, CAND_MAX);
	}
	lane_start(s, l);
}

static void
phase_two(struct tk_scan *s)
{
	struct tk_scan_res *res = s->res;
	enum tk_scan_ver best = best_legacy(res);
	bool named = !tk_target_is_ip_literal(s->verify_name) &&
	    s->verify_name[0] != '\0' && !s->cc.no_sni;
	struct lane *l;
	int nver = 0;

	res->secure_reneg = s->reneg_no > 0 ? TK_SCAN_NO : s->reneg_yes > 0 ?
	    TK_SCAN_YES : TK_SCAN_UNKNOWN;
	res->ems = s->ems_no > 0 ? TK_SCAN_NO : s->ems_yes > 0 ? TK_SCAN_YES :
	    TK_SCAN_UNKNOWN;
	res->etm = s->etm_yes > 0 ? TK_SCAN_YES : s->etm_no > 0 ? TK_SCAN_NO :
	    TK_SCAN_UNKNOWN;
	res->compression = best == TK_SCAN_NVER ? TK_SCAN_NO : TK_SCAN_UNKNOWN;
	for (int v = TK_SCAN_SSL3; v < TK_SCAN_NVER; v++) {
		nver += res->v[v].accepted == TK_SCAN_YES;
	}
	if (best != TK_SCAN_NVER) {
		const struct tk_scan_version *bv = &res->v[best];

		if (has_kx(bv, TK_SUITES_KX_ECDHE) && best >= TK_SCAN_TLS10) {
			l = lane_new(s, L_GROUPS12, best);
			if (l != NULL) {
				pick_suites(l, bv, TK_SUITES_KX_ECDHE, false);
				l->ncand = groups_of(TK_SUITES_GROUP_EC,
				    l->cand, TK_SCAN_LIST_MAX);
				l->flight = true;
			}
			lane_start(s, l);
		}
		if (best == TK_SCAN_TLS12 && (has_kx(bv, TK_SUITES_KX_ECDHE) ||
		    has_kx(bv, TK_SUITES_KX_DHE))) {
			l = lane_new(s, L_SIGALGS12, best);
			if (l != NULL) {
				pick_suites(l, bv, TK_SUITES_KX_ECDHE, true);
				if (l->nsuites == 0) {
					pick_suites(l, bv, TK_SUITES_KX_DHE,
					    true);
				}
				l->ncand = sigalgs_of(TK_SUITES_SIGALG_TLS12,
				    l->cand, TK_SCAN_LIST_MAX);
				l->flight = true;
			}
			if (l != NULL && l->nsuites > 0) {
				lane_start(s, l);
			}
		}
		for (int v = best; v >= TK_SCAN_SSL3; v--) {
			if (has_kx(&res->v[v], TK_SUITES_KX_DHE)) {
				l = lane_new(s, L_DH, (enum tk_scan_ver)v);
				if (l != NULL) {
					pick_suites(l, &res->v[v],
					    TK_SUITES_KX_DHE, false);
					l->flight = true;
				}
				lane_start(s, l);
				break;
			}
		}
		l = lane_new(s, L_COMPRESSION, best);
		if (l != NULL) {
			pick_suites(l, bv, TK_SUITES_KX_NONE, false);
		}
		lane_start(s, l);
	}
	/* RFC 7507: a fallback needs a version below the highest */
	if (nver >= 2 && best != TK_SCAN_NVER) {
		enum tk_scan_ver fb = best;

		if (res->v[TK_SCAN_TLS13].accepted != TK_SCAN_YES) {
			/* below TLS 1.2's best: the next lower version */
			fb = TK_SCAN_NVER;
			for (int v = best - 1; v >= TK_SCAN_SSL3; v--) {
				if (res->v[v].accepted == TK_SCAN_YES) {
					fb = (enum tk_scan_ver)v;
					break;
				}
			}
		}
		if (fb != TK_SCAN_NVER) {
			l = lane_new(s, L_FALLBACK, fb);
			if (l != NULL) {
				pick_suites(l, &res->v[fb], TK_SUITES_KX_NONE,
				    false);
			}
			lane_start(s, l);
		}
	}
	/* what only a whole handshake shows */
	static const enum tk_scanhs_key keys[] = {TK_SCANHS_KEY_RSA,
	    TK_SCANHS_KEY_ECDSA, TK_SCANHS_KEY_ED25519};
	size_t k = 0;

	for (size_t i = 0; i < 3; i++) {
		for (int no_sni = 0; no_sni <= (named ? 1 : 0); no_sni++) {
			res->certs[k].key = keys[i];
			res->certs[k].no_sni = no_sni;
			hs_add(s, TK_SCANHS_CERT, keys[i], no_sni,
			    &res->certs[k++].p);
		}
	}
	if (best >= TK_SCAN_TLS10 && best != TK_SCAN_NVER) {
		hs_add(s, TK_SCANHS_RESUME_ID, 0, false, &res->resume_id);
		hs_add(s, TK_SCANHS_RESUME_TICKET, 0, false,
		    &res->resume_ticket);
		hs_add(s, TK_SCANHS_RENEG, 0, false, &res->reneg);
	}
	if (res->v[TK_SCAN_TLS13].accepted == TK_SCAN_YES) {
		hs_add(s, TK_SCANHS_RESUME_PSK, 0, false, &res->resume_psk);
		hs_add(s, TK_SCANHS_SIGALGS13, 0, false, &res->sigalgs13);
	}
	if (!s->conf.no_alpn && (s->alpn_task = calloc(1,
	    sizeof(*s->alpn_task))) != NULL) {
		task_init(&s->alpn_task->t, s, hs_go);
		s->alpn_task->next = s->hs;
		s->hs = s->alpn_task;
		s->outstanding++;
		task_want(&s->alpn_task->t);
	}
}

static void
finish(struct tk_scan *s)
{
	struct tk_scan_res *res = s->res;
	bool any = false;

	s->finished = true;
	s->phase = 3;
	for (int v = 0; v < TK_SCAN_NVER; v++) {
		any = any || res->v[v].accepted == TK_SCAN_YES;
	}
	if (!any && !tk_err_is_set(&res->err)) {
		/* nothing took a hello: the first handshake's error says
		 * why, when it failed */
		if (tk_err_is_set(&res->main.err)) {
			res->err = res->main.err;
		} else {
			tk_err_set(&res->err, TK_TLS, "handshake", "the server "
			    "accepted no protocol version offered");
		}
	}
	res->ocsp_stapling = res->main.handshake_done ?
	    (res->main.ocsp.stapled ? TK_SCAN_YES : TK_SCAN_NO) :
	    TK_SCAN_UNKNOWN;
	res->time_us = tk_loop_now_us() - res->time_us;
	tk_loop_timer_start(s->loop, &s->end, 0);
}

static void
start_phase(struct tk_scan *s, int phase)
{
	s->phase = phase;
	switch (phase) {
	case 1:
		phase_one(s);
		break;
	case 2:
		phase_two(s);
		break;
	default:
		break;
	}
	if (s->outstanding == 0 && !s->finished) {
		if (phase >= 2) {
			finish(s);
		} else {
			start_phase(s, phase + 1);
		}
	}
}

/* The address of the first handshake ("[::1]:443", "10.0.0.1:443"),
 * without its port and brackets, into buf. */
static bool
address_host(const char *address, char *buf, size_t len)
{
	const char *colon = strrchr(address, ':');
	size_t n;

	if (colon == NULL) {
		return false;
	}
	if (address[0] == '[') {
		address++;
		colon--;
	}
	n = (size_t)(colon - address);
	if (n == 0 || n >= len) {
		return false;
	}
	memcpy(buf, address, n);
	buf[n] = '\0';
	return true;
}

static void
on_main(struct tk_conn *c, void *arg)
{
	struct tk_scan *s = arg;
	struct tk_scan_res *res = s->res;
	const char *step = res->main.err.step;
	char host[TK_HOST_MAX];

	task_release(&s->main);
	s->main_conn = NULL;
	res->connections++;
	if (!tk_conn_ready(c) && step != NULL &&
	    strcmp(step, "handshake") != 0) {
		/* no connection at all (resolve, connect, STARTTLS, the
		 * proxy): nothing to scan */
		res->err = res->main.err;
		tk_conn_free(c);
		finish(s);
		return;
	}
	tk_conn_free(c);
	s->pinned = s->cc;
	if (s->cc.proxy == NULL &&
	    address_host(res->main.address, host, sizeof(host))) {
		/* every later probe goes to the address this one reached */
		snprintf(s->pin_host, sizeof(s->pin_host), "%s", host);
		snprintf(s->pinned.target.host, sizeof(s->pinned.target.host),
		    "%s", host);
		s->pinned.target.ip_family = strchr(host, ':') != NULL ?
		    AF_INET6 : AF_INET;
		s->pinned.hostname = s->verify_name;
	}
	start_phase(s, 1);
}

static void
main_go(struct task *t)
{
	struct tk_scan *s = t->s;
	struct tk_err e;

	tk_err_clear(&e);
	s->main_conn = tk_conn_new(s->loop, &s->cc, &s->res->main, on_main, s,
	    &e);
	if (s->main_conn == NULL) {
		task_release(&s->main);
		s->res->err = e;
		finish(s);
		return;
	}
	tk_conn_start(s->main_conn);
}

struct tk_scan *
tk_scan_start(struct tk_loop *loop, const struct tk_scan_conf *conf,
    struct tk_scan_res *res, void (*done)(void *arg), void *arg,
    struct tk_err *err)
{
	struct tk_scan *s = calloc(1, sizeof(*s));

	if (s == NULL) {
		tk_err_sys(err, TK_INTERNAL, "start", "out of memory");
		return NULL;
	}
	s->loop = loop;
	s->conf = *conf;
	s->cc = *conf->cc;
	s->pinned = s->cc;
	s->res = res;
	s->done = done;
	s->arg = arg;
	snprintf(s->verify_name, sizeof(s->verify_name), "%s",
	    conf->cc->hostname != NULL ? conf->cc->hostname :
	    conf->cc->target.host);
	res->main.tool = conf->tool;
	snprintf(res->main.target, sizeof(res->main.target), "%s",
	    conf->target);
	for (int v = 0; v < TK_SCAN_NVER; v++) {
		res->v[v].accepted = TK_SCAN_UNKNOWN;
		res->v[v].server_order = TK_SCAN_UNKNOWN;
		snprintf(res->v[v].why, sizeof(res->v[v].why), "not probed");
	}
	res->fallback_scsv = res->compression = res->secure_reneg =
	    res->ems = res->etm = res->ocsp_stapling = TK_SCAN_UNKNOWN;
	res->time_us = tk_loop_now_us();
	if (!conf->no_alpn && tk_alpnprobe_list(NULL, false, &s->alpn_list,
	    &s->alpn_whole, err) < 0) {
		free(s);
		return NULL;
	}
	tk_timer_init(&s->end, on_end, s);
	task_init(&s->main, s, main_go);
	s->phase = 0;
	task_want(&s->main);
	return s;
}

void
tk_scan_free(struct tk_scan *s)
{
	struct lane *l, *ln;
	struct hstask *h, *hn;

	if (s == NULL) {
		return;
	}
	tk_loop_timer_stop(s->loop, &s->end);
	task_release(&s->main);
	tk_conn_free(s->main_conn);
	for (l = s->lanes; l != NULL; l = ln) {
		ln = l->next;
		task_release(&l->t);
		tk_conn_free(l->conn);
		free(l->in);
		free(l);
	}
	for (h = s->hs; h != NULL; h = hn) {
		hn = h->next;
		task_release(&h->t);
		if (h->started && !h->done) {
			/* stopped in the middle (the runner ends early):
			 * nothing of it is reported */
			if (h->p != NULL) {
				tk_scanhs_release(h->p);
			} else {
				tk_alpnprobe_free(s->res->alpn);
				s->res->alpn = NULL;
			}
		}
		free(h);
	}
	tk_alpn_clear(&s->alpn_list);
	free(s);
}

void
tk_scan_res_release(struct tk_scan_res *res)
{
	struct tk_scanhs **all[] = {&res->resume_id, &res->resume_ticket,
	    &res->resume_psk, &res->reneg, &res->sigalgs13};

	for (size_t i = 0; i < TK_SCAN_CERTS; i++) {
		tk_scanhs_release(res->certs[i].p);
		free(res->certs[i].p);
		res->certs[i].p = NULL;
	}
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		tk_scanhs_release(*all[i]);
		free(*all[i]);
		*all[i] = NULL;
	}
	tk_alpnprobe_free(res->alpn);
	res->alpn = NULL;
}
