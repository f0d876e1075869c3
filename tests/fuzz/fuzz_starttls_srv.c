/*
 * Fuzzes the server side of the STARTTLS dialogues (lib/starttls_srv.c)
 * with arbitrary client bytes, through the same capped line reader the
 * server uses.  The first input byte picks the protocol (line, smtp, imap,
 * pop3), the second how the bytes are cut into reads; the rest is what
 * the client sends.  On STARTTLS the buffered bytes are discarded, as the
 * server does, and the dialogue goes on as inside TLS.  Any outcome is
 * fine but a crash, an internal error, a reply that is not CR LF
 * terminated lines of printable ASCII, or STARTTLS offered inside TLS.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "linebuf.h"
#include "starttls_srv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const protos[] = {"line", "smtp", "imap", "pop3"};

/* CR LF terminated lines; printable ASCII in them, or a tab. */
static void
check_reply(const char *out, size_t n, bool echo)
{
	if (n < 2 || out[n - 2] != '\r' || out[n - 1] != '\n') {
		abort();
	}
	for (size_t i = 0; i + 2 < n; i++) {
		unsigned char ch = (unsigned char)out[i];

		if (ch == '\r' && out[i + 1] == '\n') {
			i++;
			continue;
		}
		/* the line protocol echoes the client's bytes as they are */
		if (!echo && (ch < ' ' || ch >= 0x7f) && ch != '\t') {
			abort();
		}
	}
}

/*
 * The reply offers STARTTLS: an SMTP EHLO keyword, an IMAP capability
 * (no tag starts with '*'), a POP3 CAPA line.  Never from echoed bytes.
 */
static bool
offers(const char *out, size_t n)
{
	static const char *const marks[] = {"250 STARTTLS\r\n",
	    "250-STARTTLS\r\n", "* CAPABILITY IMAP4rev1 STARTTLS",
	    "\r\nSTLS\r\n"};

	for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
		if (memmem(out, n, marks[i], strlen(marks[i])) != NULL) {
			return true;
		}
	}
	return false;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char out[TK_STARTTLS_SRV_REPLY_MAX];
	char line[TK_LINE_MAX + 1];
	struct tk_starttls_srv *ss;
	struct tk_linebuf lb;
	struct tk_err err;
	bool tls = false, echo;
	uint8_t cut;
	size_t pos = 2;

	if (size < 2) {
		return 0;
	}
	echo = data[0] % 4 == 0;
	cut = data[1];
	tk_err_clear(&err);
	ss = tk_starttls_srv_new(protos[data[0] % 4], NULL, &err);
	if (ss == NULL) {
		abort();
	}
	tk_linebuf_init(&lb);
	while (pos < size) {
		size_t piece = (cut & 0x80) ? size - pos :
		    1 + (size_t)((data[pos] + cut) % 97);
		int r;

		if (piece > size - pos) {
			piece = size - pos;
		}
		pos += tk_linebuf_feed(&lb, data + pos, piece);
		while ((r = tk_linebuf_next(&lb, line, sizeof(line), "fuzz",
		    &err)) == 1) {
			size_t n;
			int next = tk_starttls_srv_line(ss, line, out,
			    sizeof(out), &n, &err);

			if (next < 0) {
				abort();
			}
			check_reply(out, n, echo);
			if (tls && offers(out, n)) {
				abort();  /* offered again inside TLS */
			}
			if (next == TK_STARTTLS_SRV_CLOSE) {
				goto out;
			}
			if (next == TK_STARTTLS_SRV_STARTTLS) {
				if (echo) {
					goto out;  /* the echo follows */
				}
				/* injected plaintext: discarded */
				tk_linebuf_init(&lb);
				tk_starttls_srv_tls_up(ss);
				tls = true;
			}
		}
		if (r < 0 || lb.len >= sizeof(lb.buf)) {
			goto out;  /* a cap was hit: the server closes */
		}
	}
out:
	tk_starttls_srv_free(ss);
	return 0;
}
