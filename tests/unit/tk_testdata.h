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
	    tk_creds_load_certs(&d, path, &list, n, &e) < 0) {
		fprintf(stderr, "cannot load %s: %s\n", path, e.msg);
	}
	gnutls_free(d.data);
	return list;
}

#endif
