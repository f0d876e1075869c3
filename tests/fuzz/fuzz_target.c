/*
 * Fuzzes target, targets-file line (name=, {IP}, label) and --hostname
 * parsing (user input, IDN via libidn2).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	struct tk_target t;
	struct tk_err err;
	char host[TK_HOST_MAX];

	if (s == NULL) {
		return 0;
	}
	memcpy(s, data, size);
	s[size] = '\0';
	tk_err_clear(&err);
	if (tk_target_parse(s, 443, &t, &err) == 0) {
		/* a parsed host is always a valid, bounded A-label or IP */
		if (strlen(t.host) == 0 || strlen(t.host) > 253 ||
		    t.port == 0) {
			abort();
		}
	}
	tk_err_clear(&err);
	if (tk_target_parse_line(s, 443, &t, &err) == 0) {
		if (strlen(t.host) == 0 || strlen(t.host) > 253 ||
		    t.port == 0 || strlen(t.name) > 253) {
			abort();
		}
	}
	tk_err_clear(&err);
	(void)tk_target_hostname_check(s, host, sizeof(host), &err);
	free(s);
	return 0;
}
