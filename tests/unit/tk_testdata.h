/*
 * The certificates of a testdata file (testdata/README.md), for the unit
 * tests that judge or describe them.  Read and parsed through creds.h as
 * the tools do; a file that cannot be loaded gives NULL and a message on
 * stderr, so the checks that follow fail rather than crash.
 */
#ifndef TK_TESTDATA_H
#define TK_TESTDATA_H

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <string.h>

#include "creds.h"

#ifndef TK_TESTDATA
#error "TK_TESTDATA must name the testdata directory"
#endif

/*
 * Every certificate of TK_TESTDATA/file, *n of them: the caller deinits
 * each and gnutls_free()s the list.
 */
static inline gnutls_x509_crt_t *
tk_test_certs(const char *file, unsigned *n)
{
	char path[512];
	gnutls_datum_t d = {NULL, 0};
	gnutls_x509_crt_t *list = NULL;
	struct tk_err e;

	tk_err_clear(&e);
	snprintf(path, sizeof(path), "%s/%s", TK_TESTDATA, file);
	*n = 0;
	if (tk_creds_read_file(path, "test file", &d, &e) < 0 ||
	    tk_creds_load_certs(&d, "test file", path, &list, n, &e) < 0) {
		fprintf(stderr, "cannot load %s: %s\n", path, e.msg);
	}
	gnutls_free(d.data);
	return list;
}

/*
 * The localhost ECDSA server credentials and a client trusting the test
 * CA, for the tests that run handshakes in one process.  0, or -1 with a
 * message on stderr (what was made is left for the caller to unref).
 */
static inline int
tk_test_creds_pair(struct tk_creds **server, struct tk_creds **client)
{
	struct tk_creds_conf sc, cc;
	struct tk_err e;

	memset(&sc, 0, sizeof(sc));
	sc.cert_file = TK_TESTDATA "/localhost-ecdsa-chain.pem";
	sc.key_file = TK_TESTDATA "/localhost-ecdsa.key";
	tk_err_clear(&e);
	*server = tk_creds_new(&sc, &e);
	if (*server == NULL) {
		fprintf(stderr, "  server creds: %s\n", e.msg);
		*client = NULL;
		return -1;
	}
	memset(&cc, 0, sizeof(cc));
	cc.ca[0] = TK_TESTDATA "/ca.crt";
	cc.nca = 1;
	cc.want_trust = true;
	tk_err_clear(&e);
	*client = tk_creds_new(&cc, &e);
	if (*client == NULL) {
		fprintf(stderr, "  client creds: %s\n", e.msg);
		return -1;
	}
	return 0;
}

#endif
