/*
 * Fuzzes certificate parsing, the fields shown for it, and both
 * renderers: hostile names must come out escaped, as valid JSON.  The raw
 * input also goes through tk_escape_json() on its own: whatever the bytes,
 * jansson must take the result as a string (valid UTF-8, no NUL).
 */
#include <gnutls/x509.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certinfo.h"
#include "escape.h"
#include "report.h"
#include "verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gnutls_x509_crt_t crt;
	gnutls_datum_t d = {(unsigned char *)(uintptr_t)data,
	    (unsigned)size};
	struct tk_result *r;
	struct tk_err err;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	{
		char esc[2048];
		size_t n = tk_escape_json((const char *)data, size, esc,
		    sizeof(esc));
		json_t *js = json_stringn(esc, n);

		if (js == NULL || n != strlen(esc)) {
			abort();
		}
		json_decref(js);
	}
	if (gnutls_x509_crt_init(&crt) < 0) {
		return 0;
	}
	if (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER) < 0) {
		gnutls_x509_crt_deinit(crt);
		return 0;
	}
	r = calloc(1, sizeof(*r));
	tk_result_init(r, "fuzz", "fuzz");
	r->chain.certs = calloc(1, sizeof(*r->chain.certs));
	tk_err_clear(&err);
	if (tk_certinfo_from_crt(crt, 0, &r->chain.certs[0], &err) == 0) {
		r->chain.n = r->chain.total = 1;
		r->verdict.status = TK_VERIFY_FAILED;
		r->verdict.n = 1;
		r->verdict.reasons[0].code = "name-mismatch";
		snprintf(r->verdict.reasons[0].message,
		    sizeof(r->verdict.reasons[0].message), "for %s",
		    r->chain.certs[0].cn);
		f = open_memstream(&buf, &len);
		tk_report_json(r, f);
		fclose(f);
		json_t *parsed = json_loads(buf, 0, NULL);

		if (parsed == NULL) {
			abort();  /* the JSON renderer must always be valid */
		}
		json_decref(parsed);
		free(buf);
		f = fopen("/dev/null", "w");
		tk_report_text_session(r, f);
		/* the chain with a finding that names certificate #0 */
		r->checked = true;
		tk_findings_add(&r->findings, "expired", TK_SEV_FAIL,
		    "certificate #0 '%s' expired", r->chain.certs[0].cn);
		tk_result_finish(r);
		tk_report_text_check(r, false, true, f);
		fclose(f);
	}
	tk_result_release(r);
	free(r);
	gnutls_x509_crt_deinit(crt);
	return 0;
}
