/*
 * Fuzzes what an AIA caIssuers server sends back: the HTTP response
 * parser, on every prefix length the input chooses (as reads arrive),
 * then the certificate decoder on the body.  The first byte picks the
 * split and whether the peer has closed.
 */
#include <gnutls/x509.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fixchain.h"
#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tk_http_response r;
	struct tk_err err;
	size_t split;
	int rc;

	if (size < 1) {
		return 0;
	}
	split = size > 1 ? data[0] % size : 0;
	data++;
	size--;
	tk_err_clear(&err);
	/* a prefix first: it must be incomplete or bad, never out of bounds */
	rc = tk_http_response_parse(data, split < size ? split : size, false,
	    &r, &err);
	if (rc == 0) {
		tk_http_response_clear(&r);
	}
	tk_err_clear(&err);
	rc = tk_http_response_parse(data, size, (data[-1] & 0x80) != 0, &r,
	    &err);
	if (rc == 0) {
		gnutls_x509_crt_t *list = NULL;
		unsigned n = 0;

		if (r.body_len > size || r.status < 100 || r.status > 599) {
			abort();
		}
		tk_err_clear(&err);
		if (tk_fixchain_parse_aia(r.body, r.body_len, &list, &n,
		    &err) == 0) {
			for (unsigned i = 0; i < n; i++) {
				gnutls_x509_crt_deinit(list[i]);
			}
			gnutls_free(list);
		}
		if (r.location[0] != '\0') {
			struct tk_http_url u;

			tk_err_clear(&err);
			(void)tk_http_url_parse(r.location, &u, TK_CHECK, &err);
		}
		tk_http_response_clear(&r);
	}
	return 0;
}
