/*
 * Fuzzes every STARTTLS dialogue with arbitrary server bytes, and
 * tk_starttls_guess() with the whole input.  The first
 * input byte picks the protocol (in tk_starttls_names() order), the second
 * how the bytes are cut into reads; the rest is what the server sends.
 * When the server gives the go-ahead, what is left of the input drives the
 * phase inside TLS.  Any outcome is fine but a crash, a broken cap or an
 * internal error.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "starttls.h"
#include "tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct feed {
	const uint8_t *data;
	size_t size, pos;
	uint8_t cut;          /* read sizes and pauses come from this */
	unsigned calls;
};

static ssize_t
feed_read(void *io, void *buf, size_t len)
{
	struct feed *f = io;
	size_t n;

	f->calls++;
	if ((f->cut & 0x80) && f->calls % 3 == 0) {
		return TK_WANT_READ;
	}
	if (f->pos >= f->size) {
		return 0;
	}
	n = (f->cut & 0x40) ? 1 + (f->data[f->pos] + f->cut) % 61 :
	    f->size - f->pos;
	if (n > f->size - f->pos) {
		n = f->size - f->pos;
	}
	if (n > len) {
		n = len;
	}
	memcpy(buf, f->data + f->pos, n);
	f->pos += n;
	return (ssize_t)n;
}

static ssize_t
feed_write(void *io, const void *buf, size_t len)
{
	struct feed *f = io;

	(void)buf;
	f->calls++;
	if ((f->cut & 0x20) && f->calls % 2 == 0) {
		return TK_WANT_WRITE;
	}
	if ((f->cut & 0x10) && len > 3) {
		return 3;
	}
	return (ssize_t)len;
}

static void
check_caps(const char *const *caps)
{
	size_t n;

	for (n = 0; caps[n] != NULL; n++) {
		if (strlen(caps[n]) == 0 ||
		    strlen(caps[n]) > TK_STARTTLS_CAP_LEN) {
			abort();
		}
	}
	if (n > TK_STARTTLS_CAPS_MAX) {
		abort();
	}
}

static int
drive(struct tk_starttls *st, struct feed *f, bool after)
{
	int rc = TK_WANT_READ;

	for (int i = 0; i < 1000000; i++) {
		rc = after ? tk_starttls_after(st, feed_read, feed_write, f) :
		    tk_starttls_step_io(st, feed_read, feed_write, f);
		if (rc != TK_WANT_READ && rc != TK_WANT_WRITE) {
			break;
		}
		/* input exhausted and the reader says so: it must end */
		if (f->pos >= f->size && i > 100000) {
			abort();
		}
	}
	if (rc != 0 && rc != -1) {
		abort();
	}
	if (rc == -1 && (tk_starttls_error(st)->msg[0] == '\0' ||
	    tk_starttls_error(st)->cls == TK_INTERNAL ||
	    tk_starttls_error(st)->cls == TK_OK)) {
		abort();
	}
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tk_starttls_conf conf = {"example.org", NULL, NULL, false};
	const char *names = tk_starttls_names();
	char proto[32];
	struct tk_starttls *st;
	struct tk_err err;
	struct feed f;
	size_t n = 0, pick, len;

	/* the greeting guess (a plaintext answer where TLS was expected)
	 * reads the same kind of bytes */
	{
		const char *g = tk_starttls_guess(data, size);

		if (g != NULL && g[0] != '\0' && !tk_starttls_known(g) &&
		    strcmp(g, "http") != 0 && strcmp(g, "ssh") != 0) {
			abort();
		}
	}
	if (size < 2) {
		return 0;
	}
	for (const char *p = names; *p != '\0'; p += strspn(p, " ")) {
		n++;
		p += strcspn(p, " ");
	}
	pick = data[0] % n;
	for (const char *p = names;; p += strspn(p, " ")) {
		len = strcspn(p, " ");
		if (pick-- == 0) {
			memcpy(proto, p, len);
			proto[len] = '\0';
			break;
		}
		p += len;
	}
	/* the high bit of the cut byte turns the injection probe on */
	conf.check_injection = (data[1] & 0x80) && tk_starttls_can_probe(proto);
	tk_err_clear(&err);
	st = tk_starttls_new_ex(proto, &conf, &err);
	if (st == NULL) {
		abort();
	}
	memset(&f, 0, sizeof(f));
	f.data = data + 2;
	f.size = size - 2;
	f.cut = data[1];
	if (drive(st, &f, false) == 0) {
		if (tk_starttls_injected(st) > f.size ||
		    strlen(tk_starttls_injected_sample(st)) > 64) {
			abort();
		}
		check_caps(tk_starttls_caps(st));
		drive(st, &f, true);
		check_caps(tk_starttls_caps_after(st));
	}
	check_caps(tk_starttls_caps(st));
	if (strlen(tk_starttls_transcript(st)) >= 1024) {
		abort();
	}
	{
		size_t nl, dropped;
		const struct tk_starttls_line *l =
		    tk_starttls_lines(st, &nl, &dropped);
		const char *ans = tk_starttls_answer(st);

		if (nl > TK_STARTTLS_LOG_MAX || (nl > 0 && l == NULL)) {
			abort();
		}
		for (size_t i = 0; i < nl; i++) {
			if (strlen(l[i].text) > TK_STARTTLS_CAP_LEN ||
			    (i > 0 && l[i].t_us < l[i - 1].t_us)) {
				abort();
			}
		}
		if (ans != NULL && strlen(ans) > TK_STARTTLS_CAP_LEN) {
			abort();
		}
		if (tk_starttls_advertised(st) < -1 ||
		    tk_starttls_advertised(st) > 1) {
			abort();
		}
	}
	tk_starttls_free(st);
	return 0;
}
