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
#include "opts.h"
#include "report.h"
#include "starttls.h"

#include "banned.h"

#define TOOL "tls-check-cert"
#define TARGETS_FILE_MAX (16u << 20)
#define TARGETS_MAX 1000000

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
	bool color;
};

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
	mf = tk_report_main_finding(r);
	if (mf != NULL && r->cls == TK_CHECK) {
		tk_err_set(&r->err, TK_CHECK, tk_finding_step(mf), "%s: %s",
		    mf->code, mf->message);
	}
}

static void
print_job(struct app *a, struct job *j)
{
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
		tk_report_error_line(TOOL, j->r.target, &j->r.err, stderr);
	}
}

static void
flush_in_order(struct app *a)
{
	while (a->next_print < a->njobs && a->jobs[a->next_print].done) {
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
		print_job(a, j);
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
	cc.no_sni = a->s.no_sni;
	cc.no_verify = true;
	cc.family = a->s.ipv4 ? AF_INET : a->s.ipv6 ? AF_INET6 : AF_UNSPEC;
	cc.timeout_ms = (unsigned)(a->s.timeout * 1000);
	cc.starttls = j->starttls;
	cc.priority = a->d.priority;
	cc.alpn = &a->d.alpn;
	cc.creds = a->creds;
	cc.resolver = a->res;
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
	time_t now = time(NULL);

	if (tk_settings_derive(TK_TOOL_CHECK_CERT, &a->s, &a->d, e) < 0) {
		return -1;
	}
	a->co.at = now;
	if (a->s.at != NULL && tk_time_parse(a->s.at, &a->co.at, e) < 0) {
		return -1;
	}
	a->co.warn_days = (unsigned)a->s.warn_days;
	a->co.crit_days = (unsigned)a->s.crit_days;
	a->co.min_key_bits = (unsigned)a->s.min_key_bits;
	a->co.require_staple = a->s.require_staple;
	if (a->s.crit_days > 0 && a->s.warn_days > 0 &&
	    a->s.crit_days > a->s.warn_days) {
		return tk_err_set(e, TK_USAGE, "options",
		    "--crit-days %llu is above --warn-days %llu",
		    (unsigned long long)a->s.crit_days,
		    (unsigned long long)a->s.warn_days);
	}
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
	return 0;
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
	if (a->njobs == 0) {
		return 0;
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
			printf("%zu targets: %zu ok, %zu warning, %zu failed\n",
			    a.njobs, ok, warn, a.njobs - ok - warn);
		}
		code = tk_err_exit_code(worst);
	}
out:
	fflush(stdout);
	for (size_t i = 0; i < a.njobs; i++) {
		tk_conn_free(a.jobs[i].conn);
		free_raw(&a.jobs[i]);
		tk_result_release(&a.jobs[i].r);
	}
	free(a.jobs);
	free(a.file_text);
	tk_resolver_free(a.res);
	tk_loop_free(a.loop);
	tk_creds_unref(a.creds);
	tk_alpn_clear(&a.d.alpn);
	return code;
}
