/*
 * Fuzzes option parsing and the checks of how options combine: the input
 * is one byte choosing the tool, then argv words separated by NUL bytes
 * (at most 64).  Bad values must be USAGE errors, never a crash.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "opts.h"
#include "tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ARGS_MAX 64

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum tk_tool tools[] = {TK_TOOL_ECHO_SERVER,
	    TK_TOOL_ECHO_CLIENT, TK_TOOL_CHECK_CERT, TK_TOOL_STARTTLS,
	    TK_TOOL_ALPN_PROBE};
	char *argv[ARGS_MAX + 2];
	char *buf;
	int argc = 1;
	struct tk_settings s;
	struct tk_derived d;
	struct tk_err err;
	enum tk_tool tool;

	if (size < 1) {
		return 0;
	}
	tool = tools[data[0] % 5];
	/* a tool not (yet) in tk_opts_tools[]: tk_opts_parse needs its info */
	if (tk_tool_info(tool) == NULL) {
		return 0;
	}
	buf = malloc(size);
	if (buf == NULL) {
		return 0;
	}
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	argv[0] = (char *)"fuzz";
	for (size_t i = 0; i < size - 1 && argc <= ARGS_MAX;) {
		argv[argc++] = buf + i;
		i += strlen(buf + i) + 1;
	}
	argv[argc] = NULL;
	memset(&s, 0, sizeof(s));
	memset(&d, 0, sizeof(d));
	tk_err_clear(&err);
	if (tk_opts_parse(tool, argc, argv, &s, &err) == 0) {
		tk_err_clear(&err);
		if (tk_settings_derive(tool, &s, &d, &err) == 0) {
			tk_alpn_clear(&d.alpn);
		}
	}
	free(buf);
	return 0;
}
