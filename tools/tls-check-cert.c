/*
 * tls-check-cert: is this endpoint's (or this file's) certificate right
 * for this name, until when, and if not, exactly why?  Many targets run
 * at once on one loop; results come out in input order.
 */
#include <errno.h>
#include <gnutls/x509.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "certcheck.h"
#include "conn.h"
#include "escape.h"
#include "fixchain.h"
#include "http.h"
#include "opts.h"
#include "report.h"
#include "starttls.h"

#include "banned.h"

#define TOOL "tls-check-cert"
#define TARGETS_FILE_MAX (16u << 20)
#define TARGETS_MAX 1000000
#define TK_ADDRS_GROUP_MAX 16   /* addresses checked per name */
#define FIX_FETCH_MAX 4         /* AIA URLs fetched per chain */
#define FIX_AIA_BYTES (256u << 10)  /* cap on one AIA response */

/* --fix-chain's state for one job: the AIA URLs fetched and their certs */
struct fixstate {
	struct tk_fix_tried tried[FIX_FETCH_MAX];
	char urls[FIX_FETCH_MAX][TK_HTTP_URL_MAX];
	char errors[FIX_FETCH_MAX][256];
	size_t ntried;
	struct tk_fix_extra got[FIX_FETCH_MAX * 8];
	size_t ngot;
	struct tk_http_get *get;
};

struct app;

struct job {
	struct app *app;
	const char *text;             /* as given (owned by app->texts) */
	struct tk_target target;
	const char *starttls;
	struct tk_result r;
	struct tk_conn *conn;
	gnutls_datum_t *raw;          /* the served chain, DER */
	size_t nraw;
	bool done;
	/* --all-addresses: the jobs of one name are consecutive */
	size_t head;                  /* the group's first job */
	size_t gsize;                 /* on the head: jobs in the group */
	bool grouped;
	char vhost[TK_NAME_BUF];      /* the name, when the target is one
	                               * of its addresses */
	struct fixstate *fx;          /* --fix-chain, owned */
};

struct app {
	struct tk_settings s;
	struct tk_derived d;
	struct tk_loop *loop;
	struct tk_resolver *res;
	struct tk_creds *creds;
	gnutls_x509_trust_list_t trust;  /* borrowed from creds */
	struct tk_certcheck_opts co;
	struct job *jobs;
	size_t njobs, next_start, running, next_print;
	char *file_text;              /* --targets content, owned */
	size_t pending;               /* --all-addresses lookups running */
	gnutls_x509_crt_t *inter;     /* --intermediates, owned */
	unsigned ninter;
	bool color;
};

/* ms, or less when --deadline comes sooner */
static uint64_t
left_ms(const struct app *a, uint64_t ms)
{
	uint64_t now = tk_now_ms();

	if (a->d.deadline_ms == 0) {
		return ms;
	}
	if (now >= a->d.deadline_ms) {
		return 0;
	}
	return a->d.deadline_ms - now < ms ? a->d.deadline_ms - now : ms;
}

static uint32_t
fnv1a(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

static int
parse_shard(const char *s, unsigned *k, unsigned *n, struct tk_err *err)
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

static int
add_job(struct app *a, const char *text, const char *where,
    struct tk_err *err)
{
	struct job *j;
	const char *st = NULL;

	if (a->njobs == TARGETS_MAX) {
		return tk_err_set(err, TK_USAGE, "targets",
		    "more than %d targets", TARGETS_MAX);
	}
	if (a->njobs % 256 == 0) {
		struct job *g = realloc(a->jobs, (a->njobs + 256) *
		    sizeof(*g));

		if (g == NULL) {
			return tk_err_set(err, TK_INTERNAL, "targets",
			    "out of memory");
		}
		a->jobs = g;
	}
	j = &a->jobs[a->njobs];
	memset(j, 0, sizeof(*j));
	j->app = a;
	j->text = text;
	if (tk_target_parse(text, 443, &j->target, err) < 0) {
		if (where != NULL) {
			size_t l = strlen(err->msg);

			snprintf(err->msg + l, sizeof(err->msg) - l, " (%s)",
			    where);
		}
		return -1;
	}
	if (j->target.scheme[0] != '\0') {
		tk_scheme_port(j->target.scheme, &st);
	}
	if (a->s.starttls != NULL) {
		st = a->s.starttls;
	}
	if (st != NULL && !tk_starttls_known(st)) {
		return tk_err_set(err, TK_USAGE, "target",
		    "'%s' needs the STARTTLS dialogue '%s', which this "
		    "version does not speak yet (known: %s)", text, st,
		    tk_starttls_names());
	}
	j->starttls = st;
	tk_result_init(&j->r, TOOL, text);
	j->r.verdict_always = true;
	a->njobs++;
	return 0;
}

/* One target per line; blank lines and '#' comments are skipped. */
static int
read_targets(struct app *a, struct tk_err *err)
{
	const char *path = a->s.targets;
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	size_t cap = 0, len = 0, lineno = 0;
	char *p;

	if (f == NULL) {
		return tk_err_sys(err, TK_USAGE, "targets",
		    "cannot read targets file '%s'", path);
	}
	for (;;) {
		size_t got;

		if (len + 65536 + 1 > cap) {
			char *g;

			cap = cap ? cap * 2 : 65536 * 2;
			if (cap > TARGETS_FILE_MAX + 65536) {
				if (f != stdin) {
					fclose(f);
				}
				return tk_err_set(err, TK_USAGE, "targets",
				    "targets file '%s' is larger than %u "
				    "MiB", path, TARGETS_FILE_MAX >> 20);
			}
			g = realloc(a->file_text, cap);
			if (g == NULL) {
				if (f != stdin) {
					fclose(f);
				}
				return tk_err_set(err, TK_INTERNAL, "targets",
				    "out of memory");
			}
			a->file_text = g;
		}
		got = fread(a->file_text + len, 1, 65536, f);
		len += got;
		if (got == 0) {
			break;
		}
	}
	if (ferror(f)) {
		if (f != stdin) {
			fclose(f);
		}
		return tk_err_sys(err, TK_USAGE, "targets",
		    "cannot read targets file '%s'", path);
	}
	if (f != stdin) {
		fclose(f);
	}
	if (a->file_text == NULL) {
		return 0;
	}
	a->file_text[len] = '\0';
	p = a->file_text;
	while (*p != '\0') {
		char *nl = strchr(p, '\n'), *end, *hash;
		char where[64];

		lineno++;
		if (nl != NULL) {
			*nl = '\0';
		}
		hash = strchr(p, '#');
		if (hash != NULL) {
			*hash = '\0';
		}
		while (*p == ' ' || *p == '\t') {
			p++;
		}
		end = p + strlen(p);
		while (end > p && (end[-1] == ' ' || end[-1] == '\t' ||
		    end[-1] == '\r')) {
			*--end = '\0';
		}
		if (*p != '\0') {
			snprintf(where, sizeof(where), "%s line %zu",
			    strcmp(path, "-") == 0 ? "stdin" : "targets file",
			    lineno);
			if (add_job(a, p, where, err) < 0) {
				return -1;
			}
		}
		if (nl == NULL) {
			break;
		}
		p = nl + 1;
	}
	return 0;
}

static void
free_raw(struct job *j)
{
	for (size_t i = 0; i < j->nraw; i++) {
		gnutls_free(j->raw[i].data);
	}
	free(j->raw);
	j->raw = NULL;
	j->nraw = 0;
}

static int
keep_raw(struct job *j, const gnutls_datum_t *list, size_t n)
{
	j->raw = calloc(n ? n : 1, sizeof(*j->raw));
	if (j->raw == NULL) {
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		j->raw[i].data = gnutls_malloc(list[i].size);
		if (j->raw[i].data == NULL) {
			return -1;
		}
		memcpy(j->raw[i].data, list[i].data, list[i].size);
		j->raw[i].size = list[i].size;
		j->nraw = i + 1;
	}
	return 0;
}

/* Runs every check on a chain; fills j->r.  session may be NULL. */
static void
check_chain(struct app *a, struct job *j, gnutls_x509_crt_t *crts, size_t n,
    gnutls_session_t session)
{
	struct tk_result *r = &j->r;
	struct tk_certcheck_opts co = a->co;
	const struct tk_finding *mf;
	struct tk_err e;

	tk_err_clear(&e);
	co.hostname = r->hostname[0] ? r->hostname : NULL;
	tk_chain_clear(&r->chain);
	if (tk_certcheck(crts, n, a->trust, &co, session, &r->chain,
	    &r->verdict, &r->findings, &r->ocsp, &e) < 0) {
		r->err = e;
		r->cls = e.cls;
		return;
	}
	r->checked = true;
	tk_result_starttls_findings(r);
	r->cls = tk_findings_class(&r->findings);
	mf = tk_result_main_finding(r);
	if (mf != NULL && r->cls == TK_CHECK) {
		tk_err_set(&r->err, TK_CHECK, tk_finding_step(mf), "%s: %s",
		    mf->code, mf->message);
	}
}

static void print_fixed(const struct job *j, FILE *out);

static void
print_job(struct app *a, struct job *j)
{
	tk_result_finish(&j->r);
	if (a->s.nagios) {
		return;
	}
	if (a->s.pem) {
		for (size_t i = 0; i < j->nraw; i++) {
			gnutls_datum_t pem = {NULL, 0};

			if (gnutls_pem_base64_encode2("CERTIFICATE",
			    &j->raw[i], &pem) == 0) {
				fwrite(pem.data, 1, pem.size, stdout);
				gnutls_free(pem.data);
			}
		}
	} else if (a->s.fix_chain && !a->s.json) {
		print_fixed(j, stdout);
	} else if (a->s.json) {
		if (tk_report_json(&j->r, stdout) < 0) {
			j->r.cls = TK_INTERNAL;
		}
	} else {
		tk_report_text_check(&j->r, a->s.quiet || a->njobs > 1 ?
		    a->s.verbose == 0 : false, a->color, stdout);
	}
	fflush(stdout);
	if (tk_err_is_set(&j->r.err) && !a->s.quiet) {
		char who[sizeof(j->r.target) + sizeof(j->r.address) + 8];

		/* --all-addresses: say which address of the name failed */
		snprintf(who, sizeof(who), "%s%s%s", j->r.target,
		    j->grouped ? " at " : "", j->grouped ? j->r.address : "");
		tk_report_error_line(TOOL, who, &j->r.err, stderr);
	}
}

/*
 * --all-addresses: once every address of a name is done, compare what
 * they served.  Different leaf certificates are a finding (FAIL) on each
 * address that served one; an address that failed fails on its own.
 */
static bool
group_done(struct app *a, size_t head)
{
	for (size_t i = head; i < head + a->jobs[head].gsize; i++) {
		if (!a->jobs[i].done) {
			return false;
		}
	}
	return true;
}

static void
compare_group(struct app *a, size_t head)
{
	struct job *g = &a->jobs[head];
	size_t n = g->gsize, distinct = 0, failed = 0;
	const char *seen[TK_ADDRS_GROUP_MAX];
	char msg[384];
	size_t used = 0;

	for (size_t i = 0; i < n; i++) {
		const struct tk_result *r = &g[i].r;
		bool dup = false;

		if (r->chain.n == 0) {
			failed++;
			continue;
		}
		for (size_t k = 0; k < distinct; k++) {
			dup = dup || strcmp(seen[k], r->chain.certs[0].sha256) ==
			    0;
		}
		if (!dup && distinct < TK_ADDRS_GROUP_MAX) {
			seen[distinct++] = r->chain.certs[0].sha256;
		}
	}
	msg[0] = '\0';
	for (size_t k = 0; k < distinct && distinct > 1; k++) {
		for (size_t i = 0; i < n; i++) {
			const struct tk_result *r = &g[i].r;
			int w;

			if (r->chain.n == 0 ||
			    strcmp(seen[k], r->chain.certs[0].sha256) != 0) {
				continue;
			}
			/* the CN comes from the peer: escaped when shown */
			w = snprintf(msg + used, sizeof(msg) - used,
			    "%s%s serves '%.60s' (sha256 %.23s...)",
			    used ? "; " : "", r->address,
			    r->chain.certs[0].cn[0] ? r->chain.certs[0].cn :
			    r->chain.certs[0].subject, seen[k]);
			if (w < 0 || (size_t)w >= sizeof(msg) - used) {
				break;
			}
			used += (size_t)w;
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct tk_result *r = &g[i].r;

		r->group.count = n;
		r->group.certificates = distinct;
		r->group.failed = failed;
		if (distinct < 2 || r->chain.n == 0 || !r->checked) {
			continue;
		}
		tk_findings_add(&r->findings, "address-mismatch", TK_SEV_FAIL,
		    "the %zu addresses of '%s' serve %zu different "
		    "certificates: %s", n, g->vhost, distinct, msg);
		if (r->cls == TK_OK || r->cls == TK_WARN) {
			const struct tk_finding *mf;

			r->cls = tk_findings_class(&r->findings);
			mf = tk_result_main_finding(r);
			if (mf != NULL) {
				tk_err_set(&r->err, TK_CHECK,
				    tk_finding_step(mf), "%s: %s", mf->code,
				    mf->message);
			}
		}
	}
}

/* A job may be printed: it is done, and so is its group. */
static bool
printable(struct app *a, size_t i)
{
	struct job *j = &a->jobs[i];

	if (!j->done) {
		return false;
	}
	if (!j->grouped) {
		return true;
	}
	if (!group_done(a, j->head)) {
		return false;
	}
	if (a->jobs[j->head].r.group.count == 0) {
		compare_group(a, j->head);
	}
	return true;
}

static void
flush_in_order(struct app *a)
{
	while (a->next_print < a->njobs && printable(a, a->next_print)) {
		struct job *j = &a->jobs[a->next_print++];

		if (!(a->s.json && a->s.stream)) {
			print_job(a, j);
		}
	}
}

static void start_more(struct app *a);

static void
job_done(struct app *a, struct job *j)
{
	j->done = true;
	a->running--;
	if (a->s.json && a->s.stream) {
		if (!j->grouped) {
			print_job(a, j);
		} else if (printable(a, (size_t)(j - a->jobs))) {
			for (size_t i = j->head; i < j->head +
			    a->jobs[j->head].gsize; i++) {
				print_job(a, &a->jobs[i]);
			}
		}
	}
	flush_in_order(a);
	start_more(a);
}

/* The certificates in the order the server sent them. */
static int
import_raw(struct job *j, gnutls_x509_crt_t **out, unsigned *n)
{
	gnutls_x509_crt_t *crts = calloc(j->nraw, sizeof(*crts));

	*out = crts;
	*n = 0;
	if (crts == NULL) {
		return tk_err_set(&j->r.err, TK_INTERNAL, "verify",
		    "out of memory");
	}
	for (size_t i = 0; i < j->nraw; i++) {
		if (gnutls_x509_crt_init(&crts[i]) < 0) {
			return tk_err_set(&j->r.err, TK_INTERNAL, "verify",
			    "out of memory");
		}
		(*n)++;
		if (gnutls_x509_crt_import(crts[i], &j->raw[i],
		    GNUTLS_X509_FMT_DER) < 0) {
			return tk_err_set(&j->r.err, TK_CHECK, "verify",
			    "certificate #%zu sent by the server cannot be "
			    "parsed", i);
		}
	}
	return 0;
}

/* --fix-chain */

static void
fix_release(struct job *j)
{
	if (j->fx == NULL) {
		return;
	}
	tk_http_get_free(j->fx->get);
	for (size_t i = 0; i < j->fx->ngot; i++) {
		gnutls_x509_crt_deinit(j->fx->got[i].crt);
	}
	free(j->fx);
	j->fx = NULL;
}

static void fix_done(struct app *a, struct job *j);
static bool fix_run(struct app *a, struct job *j);

static void
on_aia(void *arg, const struct tk_http_response *resp,
    const struct tk_err *err)
{
	struct job *j = arg;
	struct fixstate *fx = j->fx;
	char *why = fx->errors[fx->ntried - 1];
	gnutls_x509_crt_t *list = NULL;
	unsigned n = 0;
	struct tk_err e;

	fx->get = NULL;
	tk_err_clear(&e);
	if (err != NULL) {
		snprintf(why, sizeof(fx->errors[0]), "%.255s", err->msg);
	} else if (resp->status != 200) {
		/* the reason phrase is peer bytes: not repeated */
		snprintf(why, sizeof(fx->errors[0]), "HTTP status %d",
		    resp->status);
	} else if (tk_fixchain_parse_aia(resp->body, resp->body_len, &list,
	    &n, &e) < 0) {
		snprintf(why, sizeof(fx->errors[0]), "%.255s", e.msg);
	} else {
		for (unsigned i = 0; i < n; i++) {
			if (fx->ngot < sizeof(fx->got) / sizeof(fx->got[0])) {
				fx->got[fx->ngot++] = (struct tk_fix_extra){
				    list[i], TK_FIX_AIA,
				    fx->urls[fx->ntried - 1]};
			} else {
				gnutls_x509_crt_deinit(list[i]);
			}
		}
		gnutls_free(list);
	}
	if (!fix_run(j->app, j)) {
		fix_done(j->app, j);
	}
}

/*
 * Builds the fixed chain of j from what it served; when an AIA URL is
 * to be fetched, starts the fetch and returns true (on_aia goes on).
 */
static bool
fix_run(struct app *a, struct job *j)
{
	struct tk_fix_extra extra[64 + FIX_FETCH_MAX * 8];
	gnutls_x509_crt_t crts[TK_CHAIN_MAX];
	struct tk_fix_input in;
	size_t n = 0, ne = 0;
	char url[TK_HTTP_URL_MAX];
	struct tk_err e;
	int rc;

	if (j->nraw == 0) {
		return false;
	}
	if (j->fx == NULL) {
		j->fx = calloc(1, sizeof(*j->fx));
		if (j->fx == NULL) {
			tk_err_set(&j->r.err, TK_INTERNAL, "fix",
			    "out of memory");
			j->r.cls = TK_INTERNAL;
			return false;
		}
	}
	for (size_t i = 0; i < j->nraw && n < TK_CHAIN_MAX; i++) {
		if (gnutls_x509_crt_init(&crts[n]) < 0) {
			break;
		}
		if (gnutls_x509_crt_import(crts[n], &j->raw[i],
		    GNUTLS_X509_FMT_DER) < 0) {
			/* a broken certificate: reported by the check */
			gnutls_x509_crt_deinit(crts[n]);
			if (i == 0) {
				return false;
			}
			continue;
		}
		n++;
	}
	for (unsigned i = 0; i < a->ninter && ne < 64; i++) {
		extra[ne++] = (struct tk_fix_extra){a->inter[i], TK_FIX_FILE,
		    a->s.intermediates};
	}
	for (size_t i = 0; i < j->fx->ngot; i++) {
		extra[ne++] = j->fx->got[i];
	}
	for (size_t i = 0; i < j->fx->ntried; i++) {
		j->fx->tried[i].url = j->fx->urls[i];
		j->fx->tried[i].error = j->fx->errors[i];
	}
	memset(&in, 0, sizeof(in));
	in.served = crts;
	in.nserved = n;
	in.extra = extra;
	in.nextra = ne;
	in.trust = a->trust;
	in.tried = j->fx->tried;
	in.ntried = j->fx->ntried;
	/* no fetch once --deadline has run out */
	in.no_fetch = j->fx->ntried == FIX_FETCH_MAX || a->loop == NULL ||
	    left_ms(a, 1) == 0;
	tk_err_clear(&e);
	tk_fixchain_free(j->r.fixed);
	j->r.fixed = NULL;
	rc = tk_fixchain_build(&in, &j->r.fixed, url, sizeof(url), &e);
	for (size_t i = 0; i < n; i++) {
		gnutls_x509_crt_deinit(crts[i]);
	}
	if (rc < 0) {
		j->r.err = e;
		j->r.cls = e.cls;
		return false;
	}
	if (rc == TK_FIX_NEED_FETCH) {
		size_t k = j->fx->ntried++;

		snprintf(j->fx->urls[k], sizeof(j->fx->urls[k]), "%s", url);
		j->fx->errors[k][0] = '\0';
		j->fx->get = tk_http_get_start(a->loop, a->res, url,
		    (unsigned)left_ms(a, (uint64_t)(a->s.timeout * 1000)),
		    FIX_AIA_BYTES, on_aia, j, &e);
		if (j->fx->get == NULL) {
			snprintf(j->fx->errors[k], sizeof(j->fx->errors[k]),
			    "%.255s", e.msg);
			return fix_run(a, j);
		}
		return true;
	}
	return false;
}

static void
fix_done(struct app *a, struct job *j)
{
	if (a->s.file != NULL) {
		j->done = true;
		return;
	}
	job_done(a, j);
}

/* --fix-chain in text: the chain as PEM, each change a '#' line before. */
static void
print_fixed(const struct job *j, FILE *out)
{
	const struct tk_fixed_chain *f = j->r.fixed;
	char esc[1024];

	if (f == NULL) {
		return;
	}
	tk_escape(j->r.target, strlen(j->r.target), esc, sizeof(esc));
	fprintf(out, "# tls-check-cert --fix-chain %s%s%s: %zu certificate%s, "
	    "%s\n", esc, j->grouped ? " at " : "",
	    j->grouped ? j->r.address : "", f->ncerts,
	    f->ncerts == 1 ? "" : "s",
	    !f->complete ? "INCOMPLETE" : f->changed ? "changed" :
	    "unchanged");
	for (size_t i = 0; i < f->nnotes; i++) {
		tk_escape(f->notes[i].message, strlen(f->notes[i].message),
		    esc, sizeof(esc));
		fprintf(out, "# %s: %s\n", f->notes[i].action, esc);
	}
	fputs(f->pem, out);
}

static void
on_conn(struct tk_conn *c, void *arg)
{
	struct job *j = arg;
	const gnutls_datum_t *peers;
	gnutls_x509_crt_t *crts = NULL;
	unsigned n = 0;

	if (tk_conn_ready(c)) {
		gnutls_session_t s = tk_tls_session(tk_conn_tls(c));

		peers = gnutls_certificate_get_peers(s, &n);
		if (peers == NULL || n == 0) {
			tk_err_set(&j->r.err, TK_TLS, "handshake",
			    "the server sent no certificate");
		} else if (keep_raw(j, peers, n) < 0) {
			tk_err_set(&j->r.err, TK_INTERNAL, "verify",
			    "out of memory");
		} else if (import_raw(j, &crts, &n) == 0) {
			check_chain(j->app, j, crts, n, s);
		}
		if (tk_err_is_set(&j->r.err) && !j->r.checked) {
			j->r.cls = j->r.err.cls;
		}
		for (unsigned i = 0; i < n && crts != NULL; i++) {
			gnutls_x509_crt_deinit(crts[i]);
		}
		free(crts);
		/* best effort close_notify; no waiting for the reply */
		tk_tls_bye(tk_conn_tls(c), false);
	}
	tk_conn_free(c);
	j->conn = NULL;
	if (j->app->s.fix_chain && fix_run(j->app, j)) {
		return;  /* an AIA fetch runs: on_aia finishes the job */
	}
	job_done(j->app, j);
}

static void
start_job(struct app *a, struct job *j)
{
	struct tk_conn_conf cc;
	struct tk_err e;

	tk_err_clear(&e);
	memset(&cc, 0, sizeof(cc));
	cc.target = j->target;
	cc.hostname = a->s.hostname != NULL ? a->d.hostname : NULL;
	if (j->grouped) {
		cc.hostname = j->vhost;
	}
	cc.no_sni = a->s.no_sni;
	cc.no_verify = true;
	cc.family = a->s.ipv4 ? AF_INET : a->s.ipv6 ? AF_INET6 : AF_UNSPEC;
	cc.timeout_ms = (unsigned)(a->s.timeout * 1000);
	cc.starttls = j->starttls;
	cc.priority = a->d.priority;
	cc.alpn = &a->d.alpn;
	cc.creds = a->creds;
	cc.resolver = a->res;
	/* --all-addresses: each address through the proxy, if the name
	 * goes through it */
	cc.proxy = tk_proxy_use(&a->d.proxy, j->grouped ? j->vhost :
	    cc.target.host) ? &a->d.proxy.proxy : NULL;
	cc.deadline_ms = a->d.deadline_ms;
	cc.deadline_total_ms = a->d.deadline_total_ms;
	j->conn = tk_conn_new(a->loop, &cc, &j->r, on_conn, j, &e);
	if (j->conn == NULL) {
		j->r.err = e;
		j->r.cls = e.cls;
		a->running++;
		job_done(a, j);
		return;
	}
	a->running++;
	tk_conn_start(j->conn);
}

static void
start_more(struct app *a)
{
	while (a->running < a->s.parallel && a->next_start < a->njobs) {
		start_job(a, &a->jobs[a->next_start++]);
	}
	if (a->running == 0 && a->next_start == a->njobs) {
		tk_loop_stop(a->loop);
	}
}

/*
 * GnuTLS codes that mean the certificate's DER itself is bad, as opposed
 * to a file that is not a certificate file at all (broken base64, no
 * certificate in it: exit 2).
 */
static bool
malformed_cert(int rc)
{
	return rc < 0 && rc != GNUTLS_E_BASE64_DECODING_ERROR &&
	    rc != GNUTLS_E_BASE64_UNEXPECTED_HEADER_ERROR &&
	    rc != GNUTLS_E_MEMORY_ERROR && rc != GNUTLS_E_FILE_ERROR;
}

static int
check_file(struct app *a, struct tk_err *err)
{
	gnutls_datum_t data = {NULL, 0};
	gnutls_x509_crt_t *crts = NULL;
	unsigned n = 0;
	struct job *j;

	if (add_job(a, "localhost", NULL, err) < 0) {
		return -1;
	}
	j = &a->jobs[0];
	tk_result_init(&j->r, TOOL, a->s.file);
	j->r.verdict_always = true;
	if (tk_read_file(a->s.file, "chain file", &data, err) < 0) {
		return -1;
	}
	if (tk_load_certs(&data, a->s.file, &crts, &n, err) < 0) {
		gnutls_free(data.data);
		if (!malformed_cert(err->gnutls_rc)) {
			return -1;
		}
		/* the file holds a certificate, a broken one: that is the
		 * finding the user asked for, not a usage error */
		tk_findings_add(&j->r.findings, "malformed-certificate",
		    TK_SEV_FAIL, "%s", err->msg);
		tk_err_set(&j->r.err, TK_CHECK, "verify",
		    "malformed-certificate: %s", err->msg);
		tk_err_clear(err);
		j->r.checked = true;
		j->r.cls = TK_CHECK;
		j->done = true;
		return 0;
	}
	gnutls_free(data.data);
	j->raw = calloc(n, sizeof(*j->raw));
	for (unsigned i = 0; j->raw != NULL && i < n; i++) {
		if (gnutls_x509_crt_export2(crts[i], GNUTLS_X509_FMT_DER,
		    &j->raw[i]) == 0) {
			j->nraw = i + 1;
		}
	}
	if (a->s.hostname != NULL) {
		snprintf(j->r.hostname, sizeof(j->r.hostname), "%s",
		    a->d.hostname);
	}
	check_chain(a, j, crts, n, NULL);
	for (unsigned i = 0; i < n; i++) {
		gnutls_x509_crt_deinit(crts[i]);
	}
	gnutls_free(crts);
	if (a->s.fix_chain) {
		/* AIA fetches run on a loop of their own */
		a->loop = tk_loop_new(err);
		a->res = a->loop != NULL ? tk_resolver_new(a->loop, err) :
		    NULL;
		if (a->res == NULL) {
			return -1;
		}
		tk_resolver_set_map(a->res, &a->d.resolve);
		if (fix_run(a, j) && tk_loop_run(a->loop, err) < 0) {
			return -1;
		}
	}
	j->done = true;
	return 0;
}

static int
save_chain(const char *path, const struct job *j, struct tk_err *err)
{
	char tmp[4096];
	FILE *f;
	bool ok = true;

	/* written beside the target and renamed: never half a file */
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path,
	    (long)getpid()) >= sizeof(tmp)) {
		return tk_err_set(err, TK_USAGE, "save", "path too long");
	}
	f = fopen(tmp, "w");
	if (f == NULL) {
		return tk_err_sys(err, TK_USAGE, "save",
		    "cannot write '%s'", path);
	}
	for (size_t i = 0; i < j->nraw; i++) {
		gnutls_datum_t pem = {NULL, 0};

		if (gnutls_pem_base64_encode2("CERTIFICATE", &j->raw[i],
		    &pem) < 0) {
			ok = false;
			break;
		}
		ok = fwrite(pem.data, 1, pem.size, f) == pem.size && ok;
		gnutls_free(pem.data);
	}
	if (fclose(f) != 0 || !ok || rename(tmp, path) < 0) {
		unlink(tmp);
		return tk_err_sys(err, TK_USAGE, "save",
		    "cannot write '%s'", path);
	}
	return 0;
}

static int
prepare(struct app *a, struct tk_err *e)
{
	unsigned k = 0, n = 0;

	if (tk_settings_derive(TK_TOOL_CHECK_CERT, &a->s, &a->d, e) < 0) {
		return -1;
	}
	a->co = a->d.check;
	if (a->s.shard != NULL && parse_shard(a->s.shard, &k, &n, e) < 0) {
		return -1;
	}
	if (a->s.file != NULL && (a->s.nargs > 0 || a->s.targets != NULL)) {
		return tk_err_set(e, TK_USAGE, "options",
		    "--file checks a local chain: give no targets with it");
	}
	if (a->s.pem + a->s.json + a->s.nagios > 1) {
		return tk_err_set(e, TK_USAGE, "options",
		    "--pem, --json and --nagios exclude each other");
	}
	if (a->s.fix_chain && (a->s.pem || a->s.nagios)) {
		return tk_err_set(e, TK_USAGE, "options",
		    "--fix-chain prints a chain: not with --pem or --nagios");
	}
	if (a->s.intermediates != NULL && !a->s.fix_chain) {
		return tk_err_set(e, TK_USAGE, "options",
		    "--intermediates goes with --fix-chain");
	}
	if (a->s.intermediates != NULL) {
		gnutls_datum_t data = {NULL, 0};
		int rc;

		if (tk_read_file(a->s.intermediates, "intermediates file",
		    &data, e) < 0) {
			return -1;
		}
		rc = tk_load_certs(&data, a->s.intermediates, &a->inter,
		    &a->ninter, e);
		gnutls_free(data.data);
		if (rc < 0) {
			return -1;
		}
	}
	if (a->s.all_addresses && a->s.file != NULL) {
		return tk_err_set(e, TK_USAGE, "options",
		    "--all-addresses checks servers: not with --file");
	}
	if (a->s.stream && !a->s.json) {
		return tk_err_set(e, TK_USAGE, "options",
		    "--stream goes with --json");
	}
	for (size_t i = 0; i < a->s.nargs; i++) {
		if (add_job(a, a->s.args[i], NULL, e) < 0) {
			return -1;
		}
	}
	if (a->s.targets != NULL && read_targets(a, e) < 0) {
		return -1;
	}
	if (a->s.file == NULL && a->njobs == 0) {
		return tk_err_set(e, TK_USAGE, "options",
		    "no target: give HOST[:PORT], URL, --targets FILE or "
		    "--file CHAIN");
	}
	if (n > 0) {
		size_t kept = 0;

		for (size_t i = 0; i < a->njobs; i++) {
			if (fnv1a(a->jobs[i].text) % n == k - 1) {
				a->jobs[kept++] = a->jobs[i];
			}
		}
		a->njobs = kept;
	}
	if (a->s.save_chain != NULL && a->njobs + (a->s.file != NULL) > 1) {
		return tk_err_set(e, TK_USAGE, "options",
		    "--save-chain takes one target");
	}
	if (a->s.hostname != NULL && a->njobs > 1) {
		return tk_err_set(e, TK_USAGE, "options",
		    "--hostname takes one target (each target is checked "
		    "for its own host name)");
	}
	a->creds = tk_creds_new(&a->d.creds, e);
	if (a->creds == NULL) {
		return -1;
	}
	gnutls_certificate_get_trust_list(tk_creds_gnutls(a->creds),
	    &a->trust);
	a->co.anchor_private = tk_creds_anchor_private;
	a->co.anchor_arg = a->creds;
	return 0;
}

/*
 * --all-addresses: every target is resolved first (all at once, each
 * bounded by --timeout); then each address becomes a job of its own,
 * verified for the target's name.  A target that does not resolve stays
 * one job, failed in the resolve step.
 */
struct slot {
	struct app *app;
	struct tk_lookup *l;
	struct tk_timer timer;
	struct tk_addr addrs[TK_ADDRS_GROUP_MAX];
	size_t n;
	struct tk_err err;
	uint64_t t0;
	uint64_t us;
};

static void
slot_finish(struct slot *sl)
{
	sl->us = tk_now_us() - sl->t0;
	if (--sl->app->pending == 0) {
		tk_loop_stop(sl->app->loop);
	}
}

static void
on_slot_resolved(void *arg, const struct tk_addr *addrs, size_t n,
    const struct tk_err *err)
{
	struct slot *sl = arg;

	sl->l = NULL;
	tk_loop_timer_stop(sl->app->loop, &sl->timer);
	if (err != NULL) {
		sl->err = *err;
	} else {
		sl->n = n < TK_ADDRS_GROUP_MAX ? n : TK_ADDRS_GROUP_MAX;
		memcpy(sl->addrs, addrs, sl->n * sizeof(*addrs));
	}
	slot_finish(sl);
}

static void
on_slot_timeout(struct tk_loop *loop, void *arg)
{
	struct slot *sl = arg;

	(void)loop;
	tk_lookup_cancel(sl->l);
	sl->l = NULL;
	if (left_ms(sl->app, 1) == 0) {
		tk_err_set(&sl->err, TK_NET, "resolve", "--deadline of %.3g s "
		    "ran out in the resolve step", sl->app->s.deadline);
	}
	tk_err_set(&sl->err, TK_NET, "resolve", "timed out after %.3g s",
	    sl->app->s.timeout);
	slot_finish(sl);
}

static int
expand_addresses(struct app *a, struct tk_err *e)
{
	struct slot *slots = calloc(a->njobs ? a->njobs : 1, sizeof(*slots));
	struct job *jobs = NULL;
	size_t nj = 0, total = 0;
	int family = a->s.ipv4 ? AF_INET : a->s.ipv6 ? AF_INET6 : AF_UNSPEC;
	int rc = -1;

	if (slots == NULL) {
		return tk_err_set(e, TK_INTERNAL, "resolve", "out of memory");
	}
	a->pending = a->njobs;
	for (size_t i = 0; i < a->njobs; i++) {
		struct slot *sl = &slots[i];

		sl->app = a;
		sl->t0 = tk_now_us();
		tk_err_clear(&sl->err);
		tk_timer_init(&sl->timer, on_slot_timeout, sl);
		tk_loop_timer_start(a->loop, &sl->timer,
		    left_ms(a, (uint64_t)(a->s.timeout * 1000)));
		sl->l = tk_resolve(a->res, a->jobs[i].target.host,
		    a->jobs[i].target.port, family, on_slot_resolved, sl,
		    &sl->err);
		if (sl->l == NULL) {
			tk_loop_timer_stop(a->loop, &sl->timer);
			a->pending--;
		}
	}
	if (a->pending > 0 && tk_loop_run(a->loop, e) < 0) {
		goto out;
	}
	for (size_t i = 0; i < a->njobs; i++) {
		total += slots[i].n ? slots[i].n : 1;
	}
	jobs = calloc(total, sizeof(*jobs));
	if (jobs == NULL) {
		tk_err_set(e, TK_INTERNAL, "resolve", "out of memory");
		goto out;
	}
	for (size_t i = 0; i < a->njobs; i++) {
		struct slot *sl = &slots[i];
		struct job *o = &a->jobs[i];
		size_t head = nj;

		if (sl->n == 0) {
			struct job *j = &jobs[nj++];

			*j = *o;
			j->r.err = sl->err;
			j->r.cls = sl->err.cls;
			j->r.t_resolve_us = sl->us;
			j->r.t_total_us = sl->us;
			j->done = true;
			continue;
		}
		for (size_t k = 0; k < sl->n; k++) {
			struct job *j = &jobs[nj++];
			char ip[TK_ADDRSTR_MAX];

			*j = *o;
			j->grouped = true;
			j->head = head;
			j->gsize = sl->n;
			snprintf(j->vhost, sizeof(j->vhost), "%s",
			    a->s.hostname != NULL ? a->d.hostname :
			    o->target.host);
			tk_sockaddr_str((const struct sockaddr *)
			    &sl->addrs[k].ss, j->r.address,
			    sizeof(j->r.address));
			/* the address itself, without brackets or port */
			snprintf(ip, sizeof(ip), "%s", j->r.address +
			    (j->r.address[0] == '['));
			ip[strcspn(ip, sl->addrs[k].ss.ss_family == AF_INET6 ?
			    "]" : ":")] = '\0';
			snprintf(j->target.host, sizeof(j->target.host), "%s",
			    ip);
			j->target.ip_family = sl->addrs[k].ss.ss_family;
		}
	}
	free(a->jobs);
	a->jobs = jobs;
	a->njobs = nj;
	rc = 0;
out:
	for (size_t i = 0; i < a->njobs && rc < 0; i++) {
		tk_loop_timer_stop(a->loop, &slots[i].timer);
		tk_lookup_cancel(slots[i].l);
	}
	free(slots);
	return rc;
}

static int
run_network(struct app *a, struct tk_err *e)
{
	tk_tls_set_debug((int)a->s.debug);
	a->loop = tk_loop_new(e);
	if (a->loop == NULL) {
		return -1;
	}
	a->res = tk_resolver_new(a->loop, e);
	if (a->res == NULL) {
		return -1;
	}
	tk_resolver_set_map(a->res, &a->d.resolve);
	if (a->njobs == 0) {
		return 0;
	}
	if (a->s.all_addresses && expand_addresses(a, e) < 0) {
		return -1;
	}
	start_more(a);
	return tk_loop_run(a->loop, e);
}

int
main(int argc, char **argv)
{
	static struct app a;
	struct tk_err e;
	enum tk_class worst = TK_OK;
	int code;

	signal(SIGPIPE, SIG_IGN);
	tk_err_clear(&e);
	if (tk_opts_parse(TK_TOOL_CHECK_CERT, argc, argv, &a.s, &e) < 0) {
		tk_report_error_line(TOOL, NULL, &e, stderr);
		return a.s.nagios ? 3 : tk_err_exit_code(e.cls);
	}
	if (a.s.help) {
		tk_opts_help(TK_TOOL_CHECK_CERT, stdout);
		return 0;
	}
	if (a.s.version) {
		tk_opts_version(TK_TOOL_CHECK_CERT, stdout);
		return 0;
	}
	if (a.s.list_options) {
		tk_opts_list(TK_TOOL_CHECK_CERT, stdout);
		return 0;
	}
	a.color = tk_use_color(&a.s, stdout);
	if (prepare(&a, &e) < 0 ||
	    (a.s.file != NULL ? check_file(&a, &e) : run_network(&a, &e)) <
	    0) {
		tk_report_error_line(TOOL, NULL, &e, stderr);
		if (a.s.nagios) {
			printf("TLS UNKNOWN - %s\n", e.msg);
		}
		code = a.s.nagios ? 3 : tk_err_exit_code(e.cls);
		goto out;
	}
	if (a.s.file != NULL) {
		print_job(&a, &a.jobs[0]);
	}
	if (a.s.save_chain != NULL && a.njobs == 1 &&
	    save_chain(a.s.save_chain, &a.jobs[0], &e) < 0) {
		tk_report_error_line(TOOL, NULL, &e, stderr);
		worst = TK_USAGE;
	}
	for (size_t i = 0; i < a.njobs; i++) {
		worst = tk_class_worst(worst, a.jobs[i].r.cls);
	}
	if (a.s.nagios) {
		const struct tk_result **rs = calloc(a.njobs ? a.njobs : 1,
		    sizeof(*rs));

		for (size_t i = 0; rs != NULL && i < a.njobs; i++) {
			rs[i] = &a.jobs[i].r;
		}
		code = rs == NULL ? 3 : tk_report_nagios(rs, a.njobs,
		    a.co.warn_days, a.co.crit_days, stdout);
		free(rs);
	} else {
		if (a.njobs > 1 && !a.s.json && !a.s.pem && !a.s.quiet) {
			size_t ok = 0, warn = 0;

			for (size_t i = 0; i < a.njobs; i++) {
				ok += a.jobs[i].r.cls == TK_OK;
				warn += a.jobs[i].r.cls == TK_WARN;
			}
			printf("%zu %s: %zu ok, %zu warning, %zu failed\n",
			    a.njobs, a.s.all_addresses ? "addresses" :
			    "targets", ok, warn, a.njobs - ok - warn);
		}
		code = tk_err_exit_code(worst);
	}
out:
	fflush(stdout);
	for (size_t i = 0; i < a.njobs; i++) {
		tk_conn_free(a.jobs[i].conn);
		fix_release(&a.jobs[i]);
		free_raw(&a.jobs[i]);
		tk_result_release(&a.jobs[i].r);
	}
	free(a.jobs);
	free(a.file_text);
	for (unsigned i = 0; i < a.ninter; i++) {
		gnutls_x509_crt_deinit(a.inter[i]);
	}
	gnutls_free(a.inter);
	tk_resolver_free(a.res);
	tk_loop_free(a.loop);
	tk_creds_unref(a.creds);
	tk_alpn_clear(&a.d.alpn);
	return code;
}
