/*
 * tk-verify: a test harness for lib/chainval.c.  It validates one chain
 * file against one set of anchors and prints the verdict; the x509-limbo
 * runner (tests/limbo/run.sh) drives it.  Not installed.
 *
 *   tk-verify --file CHAIN --ca CA [--hostname NAME]... [--at TIME]
 *             [--purpose OID] [--min-rsa-bits N]
 *
 * CHAIN holds the leaf first, then any intermediates in any order (PEM or
 * DER).  TIME is ISO 8601 or seconds since the epoch ("@EPOCH" too).
 * With several --hostname options the last one is checked (the runner
 * passes at most one).  Output: a first line "valid" or "invalid: CODE,
 * ...", then one line per reason and the path chosen.  Exit status: 0
 * valid, 1 invalid, 2 bad input, 70 internal error.
 *
 * A certificate in CHAIN that GnuTLS cannot parse makes the verdict
 * "invalid" (malformed-certificate): the peer sent something no verifier
 * can accept.  One in CA is skipped with a warning, as trust stores do.
 */
#include <errno.h>
#include <getopt.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "certcheck.h"
#include "certinfo.h"
#include "chainval.h"
#include "creds.h"
#include "err.h"
#include "verify.h"

#include "banned.h"

#define TOOL "tk-verify"
#define CERTS_MAX 4096

struct certs {
	gnutls_x509_crt_t *crt;
	size_t n;
	size_t bad;          /* blocks GnuTLS refused */
	char why[256];       /* the first refusal */
};

static void
certs_clear(struct certs *c)
{
	for (size_t i = 0; i < c->n; i++) {
		gnutls_x509_crt_deinit(c->crt[i]);
	}
	free(c->crt);
	memset(c, 0, sizeof(*c));
}

static int
certs_add(struct certs *c, const gnutls_datum_t *d, gnutls_x509_crt_fmt_t fmt,
    struct tk_err *err)
{
	gnutls_x509_crt_t crt;
	gnutls_x509_crt_t *grown;
	int rc;

	if (c->n == CERTS_MAX) {
		return tk_err_set(err, TK_USAGE, "load",
		    "more than %d certificates", CERTS_MAX);
	}
	if (gnutls_x509_crt_init(&crt) < 0) {
		return tk_err_set(err, TK_INTERNAL, "load", "out of memory");
	}
	rc = gnutls_x509_crt_import(crt, d, fmt);
	if (rc < 0) {
		gnutls_x509_crt_deinit(crt);
		if (c->bad++ == 0) {
			snprintf(c->why, sizeof(c->why), "certificate #%zu: %s",
			    c->n + c->bad - 1, gnutls_strerror(rc));
		}
		return 0;
	}
	grown = realloc(c->crt, (c->n + 1) * sizeof(*grown));
	if (grown == NULL) {
		gnutls_x509_crt_deinit(crt);
		return tk_err_set(err, TK_INTERNAL, "load", "out of memory");
	}
	c->crt = grown;
	c->crt[c->n++] = crt;
	return 0;
}

/*
 * Loads every certificate of a PEM or DER file, one PEM block at a time
 * so that one malformed certificate does not hide the others.  The file
 * must hold at least one certificate block (exit 2 otherwise).
 */
static int
load(const char *path, const char *what, struct certs *c, struct tk_err *err)
{
	static const char begin[] = "-----BEGIN CERTIFICATE-----";
	static const char end[] = "-----END CERTIFICATE-----";
	gnutls_datum_t data = {NULL, 0};
	gnutls_x509_crt_t *list = NULL;
	unsigned nlist = 0;
	struct tk_err quiet;
	const char *p, *lim;
	int rc = -1;

	memset(c, 0, sizeof(*c));
	if (tk_creds_read_file(path, what, &data, err) < 0) {
		return -1;
	}
	/* the common case: everything parses */
	tk_err_clear(&quiet);
	if (tk_creds_load_certs(&data, what, path, &list, &nlist, &quiet) == 0) {
		c->crt = calloc(nlist, sizeof(*c->crt));
		if (c->crt == NULL) {
			for (unsigned i = 0; i < nlist; i++) {
				gnutls_x509_crt_deinit(list[i]);
			}
			tk_err_set(err, TK_INTERNAL, "load", "out of memory");
			goto out;
		}
		memcpy(c->crt, list, nlist * sizeof(*list));
		c->n = nlist;
		rc = 0;
		goto out;
	}
	if (quiet.gnutls_rc == 0) {
		/* not a certificate file at all */
		*err = quiet;
		goto out;
	}
	p = (const char *)data.data;
	lim = p + data.size;
	if (memmem(p, data.size, begin, sizeof(begin) - 1) == NULL) {
		if (certs_add(c, &data, GNUTLS_X509_FMT_DER, err) < 0) {
			goto out;
		}
	}
	while (p < lim) {
		const char *b = memmem(p, (size_t)(lim - p), begin,
		    sizeof(begin) - 1);
		const char *e;
		gnutls_datum_t blk;

		if (b == NULL) {
			break;
		}
		e = memmem(b, (size_t)(lim - b), end, sizeof(end) - 1);
		if (e == NULL) {
			e = lim;
		} else {
			e += sizeof(end) - 1;
		}
		blk.data = data.data + (b - (const char *)data.data);
		blk.size = (unsigned)(e - b);
		if (certs_add(c, &blk, GNUTLS_X509_FMT_PEM, err) < 0) {
			goto out;
		}
		p = e;
	}
	if (c->n + c->bad == 0) {
		tk_err_set(err, TK_USAGE, "load", "no certificate in '%s'",
		    path);
		goto out;
	}
	rc = 0;
out:
	gnutls_free(list);
	gnutls_free(data.data);
	return rc;
}

static int
parse_at(const char *s, time_t *at, struct tk_err *err)
{
	char buf[64];
	size_t i;

	for (i = 0; s[i] >= '0' && s[i] <= '9'; i++) {
		continue;
	}
	if (i > 0 && s[i] == '\0' && i < sizeof(buf) - 1) {
		snprintf(buf, sizeof(buf), "@%s", s);
		return tk_certcheck_parse_time(buf, at, err);
	}
	return tk_certcheck_parse_time(s, at, err);
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: %s --file CHAIN --ca CA [--hostname NAME] "
	    "[--at ISO8601|EPOCH]\n"
	    "       [--purpose OID] [--min-rsa-bits N] "
	    "[--profile auto|web|rfc5280]\n", TOOL);
}

static void
print_verdict(const struct tk_verdict *v, const struct tk_chain *path)
{
	if (v->status == TK_VERIFY_OK) {
		printf("valid\n");
	} else {
		bool first = true;

		printf("invalid:");
		for (size_t i = 0; i < v->n; i++) {
			if (v->reasons[i].sev == TK_SEV_FAIL) {
				printf("%s %s", first ? "" : ",",
				    v->reasons[i].code);
				first = false;
			}
		}
		printf("\n");
	}
	printf("  profile: %s\n", tk_profile_name(v->profile));
	for (size_t i = 0; i < v->n; i++) {
		printf("  %s%s: %s\n", v->reasons[i].code,
		    v->reasons[i].sev == TK_SEV_INFO ? " (info)" : "",
		    v->reasons[i].message);
	}
	for (size_t i = 0; path != NULL && i < path->n; i++) {
		const struct tk_certinfo *c = &path->certs[i];

		printf("  path #%zu: %s (issuer %s)\n", i, c->subject,
		    c->issuer);
	}
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"at", required_argument, NULL, 'a'},
		{"ca", required_argument, NULL, 'c'},
		{"file", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{"hostname", required_argument, NULL, 'n'},
		{"min-rsa-bits", required_argument, NULL, 'm'},
		{"profile", required_argument, NULL, 'P'},
		{"purpose", required_argument, NULL, 'p'},
		{NULL, 0, NULL, 0},
	};
	const char *file = NULL, *ca = NULL;
	struct tk_chainval_opts o = {0};
	struct tk_judging j = {.profile = TK_PROFILE_AUTO};
	struct certs chain = {0}, anchors = {0};
	gnutls_x509_trust_list_t trust = NULL;
	struct tk_verdict v;
	struct tk_chain path = {0};
	struct tk_err e;
	int opt, code = 2, rc;

	tk_err_clear(&e);
	o.at = time(NULL);
	o.judging = &j;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'a':
			if (parse_at(optarg, &o.at, &e) < 0) {
				goto fail;
			}
			break;
		case 'c':
			ca = optarg;
			break;
		case 'f':
			file = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'm': {
			char *end;
			unsigned long b;

			errno = 0;
			b = strtoul(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || errno != 0 ||
			    b > 16384) {
				tk_err_set(&e, TK_USAGE, "options",
				    "bad --min-rsa-bits '%s'", optarg);
				goto fail;
			}
			o.min_rsa_bits = (unsigned)b;
			break;
		}
		case 'n':
			o.hostname = optarg;
			break;
		case 'p':
			o.purpose_oid = optarg;
			break;
		case 'P':
			if (strcmp(optarg, "web") == 0) {
				j.profile = TK_PROFILE_WEB;
			} else if (strcmp(optarg, "rfc5280") == 0) {
				j.profile = TK_PROFILE_RFC5280;
			} else if (strcmp(optarg, "auto") != 0) {
				tk_err_set(&e, TK_USAGE, "options",
				    "bad --profile '%s' (auto, web, rfc5280)",
				    optarg);
				goto fail;
			}
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || file == NULL || ca == NULL) {
		usage(stderr);
		return 2;
	}
	rc = gnutls_global_init();
	if (rc < 0) {
		tk_err_set(&e, TK_INTERNAL, "init", "cannot start GnuTLS: %s",
		    gnutls_strerror(rc));
		goto fail;
	}
	if (load(file, "certificate file", &chain, &e) < 0 ||
	    load(ca, "CA file", &anchors, &e) < 0) {
		goto fail;
	}
	if (anchors.bad > 0) {
		fprintf(stderr, "%s: warning: skipped %zu malformed CA "
		    "certificate(s) in '%s' (%s)\n", TOOL, anchors.bad, ca,
		    anchors.why);
	}
	if (chain.bad > 0 || chain.n == 0) {
		printf("invalid: malformed-certificate\n"
		    "  malformed-certificate: '%s' holds a certificate that "
		    "cannot be parsed (%s)\n", file, chain.why);
		code = 1;
		goto out;
	}
	rc = gnutls_x509_trust_list_init(&trust, 0);
	if (rc < 0) {
		tk_err_set(&e, TK_INTERNAL, "init", "cannot make a trust list: "
		    "%s", gnutls_strerror(rc));
		goto fail;
	}
	rc = gnutls_x509_trust_list_add_cas(trust, anchors.crt,
	    (unsigned)anchors.n, 0);
	if (rc < 0) {
		tk_err_set(&e, TK_USAGE, "load", "cannot use the CAs in '%s': "
		    "%s", ca, gnutls_strerror(rc));
		goto fail;
	}
	/* the trust list owns them now */
	free(anchors.crt);
	anchors.crt = NULL;
	anchors.n = 0;
	memset(&v, 0, sizeof(v));
	if (tk_chainval(chain.crt, chain.n, trust, &o, &v, &path, &e) < 0) {
		goto fail;
	}
	print_verdict(&v, &path);
	tk_chain_clear(&path);
	code = v.status == TK_VERIFY_OK ? 0 : 1;
	goto out;
fail:
	fprintf(stderr, "%s: %s\n", TOOL, e.msg);
	code = tk_err_exit_code(e.cls);
out:
	fflush(stdout);
	if (trust != NULL) {
		gnutls_x509_trust_list_deinit(trust, 1);
	}
	certs_clear(&chain);
	certs_clear(&anchors);
	gnutls_global_deinit();
	return code;
}
