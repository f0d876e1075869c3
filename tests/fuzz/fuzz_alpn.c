/* Fuzzes ALPN list parsing and the GnuTLS limits check. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	struct tk_alpn a;
	struct tk_err err;

	if (s == NULL) {
		return 0;
	}
	memcpy(s, data, size);
	s[size] = '\0';
	tk_err_clear(&err);
	if (tk_alpn_parse(s, &a, &err) == 0) {
		size_t wire = 0;

		for (size_t i = 0; i < a.n; i++) {
			size_t l = strlen(a.names[i]);

			if (l == 0 || l > TK_ALPN_NAME_MAX) {
				abort();
			}
			wire += l + 1;
		}
		if (wire > TK_ALPN_WIRE_MAX) {
			abort();
		}
		tk_err_clear(&err);
		(void)tk_alpn_check_gnutls(&a, &err);
		tk_alpn_clear(&a);
	}
	free(s);
	return 0;
}
