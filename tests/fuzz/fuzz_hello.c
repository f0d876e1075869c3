/*
 * Fuzzes lib/hello.c, the reader of what a client's ClientHello offers
 * (tls-echo-server's log): the first input byte picks a whole ClientHello
 * body (0) or one extension payload (1: server_name, 2: ALPN, 3:
 * supported_versions, 4: supported_groups, 5: signature_algorithms); the
 * rest is the input.  Any outcome is fine but a crash, a kept value past
 * its cap, or an ALPN walk that leaves the bytes kept.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hello.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const unsigned types[] = {
	TK_HELLO_EXT_SERVER_NAME, TK_HELLO_EXT_ALPN, TK_HELLO_EXT_VERSIONS,
	TK_HELLO_EXT_GROUPS, TK_HELLO_EXT_SIGALGS,
};

static void
check(const struct tk_hello *h)
{
	const unsigned char *name;
	const uint16_t *ids;
	size_t off = 0, len, total = 0;
	char buf[16];

	if (h->sni_len > TK_HELLO_SNI_MAX || h->sni[h->sni_len] != '\0' ||
	    h->alpn_len > TK_HELLO_ALPN_WIRE ||
	    h->nversions > TK_HELLO_IDS_MAX ||
	    h->ngroups > TK_HELLO_IDS_MAX || h->nsigalgs > TK_HELLO_IDS_MAX) {
		abort();
	}
	while (tk_hello_alpn_next(h, &off, &name, &len)) {
		if (len == 0 || name + len > h->alpn + h->alpn_len) {
			abort();
		}
		total += 1 + len;
	}
	if (total != h->alpn_len) {
		abort();
	}
	len = tk_hello_versions(h, &ids);
	for (size_t i = 0; i < len; i++) {
		if (strlen(tk_hello_version_name(ids[i], buf,
		    sizeof(buf))) == 0) {
			abort();
		}
	}
	for (size_t i = 0; i < h->ngroups; i++) {
		(void)tk_hello_group_name(h->groups[i], buf, sizeof(buf));
	}
	for (size_t i = 0; i < h->nsigalgs; i++) {
		(void)tk_hello_sigalg_name(h->sigalgs[i], buf, sizeof(buf));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tk_hello h;
	unsigned pick;

	if (size < 1) {
		return 0;
	}
	pick = data[0] % 6;
	if (pick == 0) {
		(void)tk_hello_parse(&h, data + 1, size - 1);
	} else {
		tk_hello_init(&h);
		(void)tk_hello_ext(&h, types[pick - 1], data + 1, size - 1);
	}
	check(&h);
	return 0;
}
