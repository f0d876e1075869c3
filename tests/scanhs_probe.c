/*
 * A test driver for lib/scanhs.c (not an installed tool): runs one probe
 * against 127.0.0.1:PORT (SNI and verified name "localhost"), trusting
 * testdata's CA (the CA file is the last argument), and prints its
 * outcome on one line of key=value fields.  Every step waits 5 s at most.
 *
 *   scanhs_probe PORT KIND CAFILE [rsa|ecdsa|ed25519|no-sni|starttls=P]...
 *
 * KIND is a tk_scanhs_kind_name().  Exit 0 when the probe ended.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loop.h"
#include "resolve.h"
#include "scanhs.h"
#include "target.h"

static void
on_done(void *arg)
{
	tk_loop_stop(arg);
}

static int
kind_of(const char *s, enum tk_scanhs_kind *k)
{
	static const enum tk_scanhs_kind all[] = {
		TK_SCANHS_CERT, TK_SCANHS_RESUME_ID, TK_SCANHS_RESUME_TICKET,
		TK_SCANHS_RESUME_PSK, TK_SCANHS_RENEG, TK_SCANHS_SIGALGS13,
	};

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (strcmp(s, tk_scanhs_kind_name(all[i])) == 0) {
			*k = all[i];
			return 0;
		}
	}
	return -1;
}

static void
show(const struct tk_scanhs *p)
{
	const struct tk_result *r = &p->r;

	printf("kind=%s yes=%s", tk_scanhs_kind_name(p->kind),
	    tk_scanhs_yes_name(p->yes));
	printf(" early=%s secure_reneg=%s ems=%s etm=%s",
	    tk_scanhs_yes_name(p->early_data),
	    tk_scanhs_yes_name(p->secure_reneg), tk_scanhs_yes_name(p->ems),
	    tk_scanhs_yes_name(p->etm));
	printf(" sigalgs=");
	for (size_t i = 0; i < p->nsigalgs; i++) {
		const char *n = tk_scanhs_sigalg_name(p->sigalgs[i]);

		printf("%s%s", i ? "," : "", n != NULL ? n : "?");
	}
	printf(" sni=%s version=%s leaf=%s conns=%u cls=%s",
	    r->sni[0] ? r->sni : "-", r->handshake_done ?
	    r->tls.version : "-", r->chain.n > 0 ?
	    r->chain.certs[0].key_type : "-", p->connections,
	    tk_class_name(r->cls));
	printf(" why=%s\n", p->why[0] ? p->why : "-");
}

int
main(int argc, char **argv)
{
	struct tk_creds_conf crc = {0};
	struct tk_conn_conf cc = {0};
	struct tk_scanhs_conf sc = {0};
	struct tk_scanhs p;
	struct tk_loop *loop = NULL;
	struct tk_resolver *res = NULL;
	struct tk_creds *creds = NULL;
	struct tk_err e;
	char target[64];
	int rc = 1;

	tk_err_clear(&e);
	if (argc < 4 || kind_of(argv[2], &sc.kind) < 0) {
		fprintf(stderr, "usage: scanhs_probe PORT KIND CAFILE "
		    "[rsa|ecdsa|ed25519|no-sni|starttls=P]...\n");
		return 2;
	}
	for (int i = 4; i < argc; i++) {
		if (strcmp(argv[i], "rsa") == 0) {
			sc.key = TK_SCANHS_KEY_RSA;
		} else if (strcmp(argv[i], "ecdsa") == 0) {
			sc.key = TK_SCANHS_KEY_ECDSA;
		} else if (strcmp(argv[i], "ed25519") == 0) {
			sc.key = TK_SCANHS_KEY_ED25519;
		} else if (strcmp(argv[i], "no-sni") == 0) {
			sc.no_sni = true;
		} else if (strncmp(argv[i], "starttls=", 9) == 0) {
			cc.starttls = argv[i] + 9;
		} else {
			fprintf(stderr, "scanhs_probe: unknown '%s'\n",
			    argv[i]);
			return 2;
		}
	}
	snprintf(target, sizeof(target), "127.0.0.1:%s", argv[1]);
	crc.ca[0] = argv[3];
	crc.nca = 1;
	if (tk_target_parse(target, 443, &cc.target, &e) < 0 ||
	    (loop = tk_loop_new(&e)) == NULL ||
	    (res = tk_resolver_new(loop, &e)) == NULL ||
	    (creds = tk_creds_new(&crc, &e)) == NULL) {
		goto out;
	}
	cc.hostname = "localhost";
	cc.timeout_ms = 5000;
	cc.creds = creds;
	cc.resolver = res;
	sc.cc = &cc;
	sc.tool = "scanhs_probe";
	sc.target = target;
	if (tk_scanhs_start(&p, loop, &sc, on_done, loop, &e) < 0) {
		goto out;
	}
	if (tk_loop_run(loop, &e) == 0) {
		show(&p);
		rc = 0;
	}
	tk_scanhs_release(&p);
out:
	if (tk_err_is_set(&e)) {
		fprintf(stderr, "scanhs_probe: %s\n", e.msg);
	}
	tk_creds_unref(creds);
	tk_resolver_free(res);
	tk_loop_free(loop);
	return rc;
}
