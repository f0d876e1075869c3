/*
 * Fuzzes what an HTTP proxy answers to CONNECT: the reply parser on every
 * prefix (as reads arrive) and on the whole input; what it says it
 * consumed must lie inside the input.  Also the proxy URL parser and the
 * no_proxy matcher, which read the environment (user input).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tk_err err;
	char reason[64];
	size_t used = 0;
	int status = 0, rc;

	for (size_t k = 0; k <= size; k += 1 + k / 4) {
		tk_err_clear(&err);
		rc = tk_proxy_reply_parse(data, k, &status, reason,
		    sizeof(reason), &used, &err);
		if (rc == 0 && (used > k || used == 0 || status < 100 ||
		    status > 599 || strlen(reason) >= sizeof(reason))) {
			abort();
		}
	}
	if (size < 512) {
		char s[512];
		struct tk_proxy p;
		struct tk_proxy_conf pc;

		memcpy(s, data, size);
		s[size] = '\0';
		tk_err_clear(&err);
		(void)tk_proxy_parse(s, "--proxy", &p, &err);
		memset(&pc, 0, sizeof(pc));
		pc.set = true;
		memcpy(pc.no_proxy, s, size < sizeof(pc.no_proxy) ? size + 1 :
		    sizeof(pc.no_proxy) - 1);
		pc.no_proxy[sizeof(pc.no_proxy) - 1] = '\0';
		(void)tk_proxy_use(&pc, "www.example.com");
		(void)tk_proxy_use(&pc, "");
	}
	return 0;
}
