/*
 * Fuzzes the STARTTLS line reader with remote bytes fed in pieces whose
 * sizes come from the input itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "linebuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tk_linebuf lb;
	struct tk_err err;
	char line[TK_LINE_MAX + 1];
	size_t pos = 0;

	tk_linebuf_init(&lb);
	tk_err_clear(&err);
	while (pos < size) {
		size_t piece = 1 + data[pos] % 97;
		int r;

		if (piece > size - pos) {
			piece = size - pos;
		}
		pos += tk_linebuf_feed(&lb, data + pos, piece);
		while ((r = tk_linebuf_next(&lb, line, sizeof(line), "fuzz",
		    &err)) == 1) {
			if (strlen(line) > TK_LINE_MAX) {
				abort();
			}
		}
		if (r < 0) {
			return 0;  /* a cap was hit: the reader says so */
		}
		if (lb.len >= sizeof(lb.buf)) {
			return 0;
		}
	}
	return 0;
}
