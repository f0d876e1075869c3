/*
 * Unit tests for lib/http.h (URLs, the response parser, a GET on the loop
 * against a socket served in-process) and lib/fixchain.h (AIA bodies,
 * chain building over testdata).
 */
#include <arpa/inet.h>
#include <gnutls/pkcs7.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "creds.h"
#include "fixchain.h"
#include "http.h"
#include "listen.h"

#include "tk_test.h"

static const struct {
	const char *in;
	bool ok;
	const char *host;
	uint16_t port;
	const char *path;
} urls[] = {
	{"http://example.com/a.der", true, "example.com", 80, "/a.der"},
	{"HTTP://Example.COM:8080/x/y?z=1#frag", true, "example.com", 8080,
	    "/x/y?z=1"},
	{"http://example.com", true, "example.com", 80, "/"},
	{"http://example.com?q", true, "example.com", 80, "/?q"},
	{"http://[::1]:81/c", true, "::1", 81, "/c"},
	{"http://127.0.0.1/", true, "127.0.0.1", 80, "/"},
	{"https://example.com/", false, NULL, 0, NULL},
	{"ldap://example.com/", false, NULL, 0, NULL},
	{"http://", false, NULL, 0, NULL},
	{"http:///path", false, NULL, 0, NULL},
	{"http://user@example.com/", false, NULL, 0, NULL},
	{"http://example.com:0/", false, NULL, 0, NULL},
	{"http://example.com:99999/", false, NULL, 0, NULL},
	{"http://exa mple.com/", false, NULL, 0, NULL},
	{"http://example.com/a b", false, NULL, 0, NULL},
	{"http://example.com/\x01", false, NULL, 0, NULL},
	{"http://example.com/\xc3\xa9", false, NULL, 0, NULL},
	{"http://[::1/", false, NULL, 0, NULL},
};

static void
test_urls(void)
{
	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		struct tk_http_url u;
		struct tk_err err;
		int rc;

		TK_CASE(urls[i].in);
		tk_err_clear(&err);
		rc = tk_http_url_parse(urls[i].in, &u, TK_USAGE, &err);
		if (!urls[i].ok) {
			EXPECT_EQ_INT(rc, -1);
			EXPECT_EQ_INT(err.cls, TK_USAGE);
			continue;
		}
		EXPECT_EQ_INT(rc, 0);
		EXPECT_EQ_STR(u.host, urls[i].host);
		EXPECT_EQ_INT(u.port, urls[i].port);
		EXPECT_EQ_STR(u.path, urls[i].path);
	}
	TK_CASE(NULL);
}

#define OK 0
#define MORE TK_HTTP_INCOMPLETE
#define BAD (-1)

static const struct {
	const char *name;
	const char *in;
	bool eof;
	int rc;
	int status;
	const char *body;
	const char *location;
} responses[] = {
	{"content-length", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc",
	    false, OK, 200, "abc", ""},
	{"extra bytes after the body are ignored",
	    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nabc", false, OK, 200,
	    "ab", ""},
	{"LF only", "HTTP/1.0 200 OK\nContent-Length: 1\n\nx", false, OK,
	    200, "x", ""},
	{"no reason phrase", "HTTP/1.1 204\r\n\r\n", false, OK, 204, "", ""},
	{"short body, more to come",
	    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab", false, MORE, 0,
	    NULL, NULL},
	{"short body, closed",
	    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab", true, BAD, 0,
	    NULL, NULL},
	{"header not done", "HTTP/1.1 200 OK\r\nContent-Len", false, MORE, 0,
	    NULL, NULL},
	{"header not done, closed", "HTTP/1.1 200 OK\r\nContent-Len", true,
	    BAD, 0, NULL, NULL},
	{"empty, closed", "", true, BAD, 0, NULL, NULL},
	{"to the close", "HTTP/1.0 200 OK\r\n\r\nall of it", true, OK, 200,
	    "all of it", ""},
	{"to the close, still open", "HTTP/1.0 200 OK\r\n\r\nall", false,
	    MORE, 0, NULL, NULL},
	{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "3\r\nabc\r\n2;x=y\r\nde\r\n0\r\nT: 1\r\n\r\n", false, OK, 200,
	    "abcde", ""},
	{"chunked, upper-case hex", "HTTP/1.1 200 OK\r\nTransfer-Encoding: "
	    "Chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n", false, OK, 200,
	    "0123456789", ""},
	{"chunked, not done", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked"
	    "\r\n\r\n3\r\nab", false, MORE, 0, NULL, NULL},
	{"chunked, no last chunk, closed", "HTTP/1.1 200 OK\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n", true, BAD, 0,
	    NULL, NULL},
	{"chunked, bad size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked"
	    "\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", false, BAD, 0, NULL, NULL},
	{"chunked, huge size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked"
	    "\r\n\r\nfffffffff\r\nabc\r\n", false, BAD, 0, NULL, NULL},
	{"chunked, size larger than the data, closed", "HTTP/1.1 200 OK\r\n"
	    "Transfer-Encoding: chunked\r\n\r\nffff\r\nabc\r\n", true, BAD, 0,
	    NULL, NULL},
	{"chunked, no CRLF after data", "HTTP/1.1 200 OK\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n3\r\nabcX0\r\n\r\n", false, BAD,
	    0, NULL, NULL},
	{"chunked and a length", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", false,
	    BAD, 0, NULL, NULL},
	{"gzip transfer coding", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip"
	    "\r\n\r\n", false, BAD, 0, NULL, NULL},
	{"two lengths that differ", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n"
	    "Content-Length: 2\r\n\r\nab", false, BAD, 0, NULL, NULL},
	{"two lengths that agree", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n"
	    "Content-Length: 1\r\n\r\na", false, OK, 200, "a", ""},
	{"negative length", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
	    false, BAD, 0, NULL, NULL},
	{"length with a sign", "HTTP/1.1 200 OK\r\nContent-Length: +1\r\n\r\n"
	    "a", false, BAD, 0, NULL, NULL},
	{"huge length", "HTTP/1.1 200 OK\r\nContent-Length: "
	    "99999999999999999999\r\n\r\n", false, BAD, 0, NULL, NULL},
	{"redirect", "HTTP/1.1 302 Found\r\nLocation:  http://x/y \r\n"
	    "Content-Length: 0\r\n\r\n", false, OK, 302, "", "http://x/y"},
	{"404", "HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno",
	    false, OK, 404, "no", ""},
	{"interim 100 skipped", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK"
	    "\r\nContent-Length: 1\r\n\r\nz", false, OK, 200, "z", ""},
	{"not HTTP", "SSH-2.0-OpenSSH_9.2\r\n\r\n", false, BAD, 0, NULL, NULL},
	{"HTTP/2 status line", "HTTP/2 200\r\n\r\n", false, BAD, 0, NULL,
	    NULL},
	{"status 999", "HTTP/1.1 999 X\r\n\r\n", false, BAD, 0, NULL, NULL},
	{"status 099", "HTTP/1.1 099 X\r\n\r\n", false, BAD, 0, NULL, NULL},
	{"status with letters", "HTTP/1.1 2x0 OK\r\n\r\n", false, BAD, 0, NULL,
	    NULL},
	{"no space after the code", "HTTP/1.1 200OK\r\n\r\n", false, BAD, 0,
	    NULL, NULL},
	{"folded header", "HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n", false, BAD,
	    0, NULL, NULL},
	{"header without a colon", "HTTP/1.1 200 OK\r\nNoColon\r\n\r\n",
	    false, BAD, 0, NULL, NULL},
	{"space before the colon", "HTTP/1.1 200 OK\r\nX : a\r\n\r\n", false,
	    BAD, 0, NULL, NULL},
	{"NUL in a header", "HTTP/1.1 200 OK\r\nX: a\0b\r\n\r\n", false, BAD,
	    0, NULL, NULL},
};

static void
test_responses(void)
{
	for (size_t i = 0; i < sizeof(responses) / sizeof(responses[0]);
	     i++) {
		struct tk_http_response r;
		struct tk_err err;
		const char *in = responses[i].in;
		size_t len = strlen(in);
		int rc;

		TK_CASE(responses[i].name);
		if (strcmp(responses[i].name, "NUL in a header") == 0) {
			len = 26;  /* the string holds a NUL */
		}
		tk_err_clear(&err);
		rc = tk_http_response_parse((const unsigned char *)in, len,
		    responses[i].eof, &r, &err);
		EXPECT_EQ_INT(rc, responses[i].rc);
		if (rc == BAD) {
			EXPECT_EQ_INT(err.cls, TK_CHECK);
			EXPECT_EQ_STR(err.step, "fetch");
		}
		if (rc != OK) {
			continue;
		}
		EXPECT_EQ_INT(r.status, responses[i].status);
		EXPECT_EQ_SIZE(r.body_len, strlen(responses[i].body));
		EXPECT_TRUE(r.body != NULL && memcmp(r.body, responses[i].body,
		    r.body_len) == 0);
		EXPECT_EQ_STR(r.location, responses[i].location);
		tk_http_response_clear(&r);
	}
	TK_CASE("every prefix of a chunked response is incomplete, not bad");
	{
		const char *in = responses[11].in;
		size_t len = strlen(in);

		for (size_t k = 0; k < len; k++) {
			struct tk_http_response r;
			struct tk_err err;

			tk_err_clear(&err);
			EXPECT_EQ_INT(tk_http_response_parse(
			    (const unsigned char *)in, k, false, &r, &err),
			    MORE);
		}
	}
	TK_CASE("a header section over the cap is refused");
	{
		size_t len = TK_HTTP_HEADER_MAX + 100;
		char *big = malloc(len);
		struct tk_http_response r;
		struct tk_err err;

		if (big != NULL) {
			memset(big, 'a', len);
			memcpy(big, "HTTP/1.1 200 OK\r\nX: ", 20);
			tk_err_clear(&err);
			EXPECT_EQ_INT(tk_http_response_parse(
			    (unsigned char *)big, len, false, &r, &err), BAD);
			free(big);
		}
	}
	TK_CASE(NULL);
}

static int
load(const char *name, gnutls_x509_crt_t **list, unsigned *n)
{
	char path[512];
	gnutls_datum_t d = {NULL, 0};
	struct tk_err err;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", TK_TESTDATA, name);
	tk_err_clear(&err);
	if (tk_creds_read_file(path, "test file", &d, &err) < 0) {
		return -1;
	}
	rc = tk_creds_load_certs(&d, "test file", path, list, n, &err);
	gnutls_free(d.data);
	return rc;
}

static void
free_list(gnutls_x509_crt_t *list, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		gnutls_x509_crt_deinit(list[i]);
	}
	gnutls_free(list);
}

static void
test_aia_bodies(void)
{
	gnutls_x509_crt_t *inter = NULL, *got = NULL;
	unsigned ni = 0, ng = 0;
	gnutls_datum_t der = {NULL, 0}, pem = {NULL, 0};
	struct tk_err err;

	if (load("intermediate.crt", &inter, &ni) < 0 || ni != 1) {
		EXPECT_TRUE(!"cannot load intermediate.crt");
		return;
	}
	gnutls_x509_crt_export2(inter[0], GNUTLS_X509_FMT_DER, &der);
	gnutls_x509_crt_export2(inter[0], GNUTLS_X509_FMT_PEM, &pem);
	TK_CASE("DER");
	tk_err_clear(&err);
	EXPECT_EQ_INT(tk_fixchain_parse_aia(der.data, der.size, &got, &ng,
	    &err), 0);
	EXPECT_EQ_INT(ng, 1);
	if (ng == 1) {
		EXPECT_TRUE(gnutls_x509_crt_equals(got[0], inter[0]));
	}
	free_list(got, ng);
	TK_CASE("PEM");
	EXPECT_EQ_INT(tk_fixchain_parse_aia(pem.data, pem.size, &got, &ng,
	    &err), 0);
	EXPECT_EQ_INT(ng, 1);
	free_list(got, ng);
	TK_CASE("PKCS#7 certs-only");
	{
		gnutls_pkcs7_t p7;
		gnutls_datum_t out = {NULL, 0};

		gnutls_pkcs7_init(&p7);
		gnutls_pkcs7_set_crt(p7, inter[0]);
		gnutls_pkcs7_export2(p7, GNUTLS_X509_FMT_DER, &out);
		gnutls_pkcs7_deinit(p7);
		EXPECT_EQ_INT(tk_fixchain_parse_aia(out.data, out.size, &got,
		    &ng, &err), 0);
		EXPECT_EQ_INT(ng, 1);
		free_list(got, ng);
		gnutls_free(out.data);
	}
	TK_CASE("garbage, empty, truncated DER");
	EXPECT_EQ_INT(tk_fixchain_parse_aia((const unsigned char *)"hello", 5,
	    &got, &ng, &err), -1);
	EXPECT_EQ_INT(err.cls, TK_CHECK);
	EXPECT_EQ_INT(tk_fixchain_parse_aia(der.data, 0, &got, &ng, &err),
	    -1);
	EXPECT_EQ_INT(tk_fixchain_parse_aia(der.data, der.size / 2, &got, &ng,
	    &err), -1);
	gnutls_free(der.data);
	gnutls_free(pem.data);
	free_list(inter, ni);
	TK_CASE(NULL);
}

/* Builds from files in testdata: the served chain, extras, trust. */
static const struct {
	const char *name;
	const char *served[4];
	const char *extra;       /* --intermediates */
	const char *trust;
	int rc;
	size_t ncerts;
	bool complete, changed;
	const char *actions;     /* the notes' actions, space-separated */
} builds[] = {
	{"right as served", {"localhost-rsa.crt", "intermediate.crt"}, NULL,
	    "ca.crt", 0, 2, true, false, "none"},
	{"root sent", {"localhost-rsa.crt", "intermediate.crt", "ca.crt"},
	    NULL, "ca.crt", 0, 2, true, true, "dropped-root"},
	{"root first", {"localhost-rsa.crt", "ca.crt", "intermediate.crt"},
	    NULL, "ca.crt", 0, 2, true, true, "reordered dropped-root"},
	{"duplicate and stray", {"localhost-rsa.crt", "intermediate.crt",
	    "intermediate.crt", "wrongname.crt"}, NULL, "ca.crt", 0, 2, true,
	    true, "dropped-duplicate dropped-unrelated"},
	{"missing, from --intermediates", {"missing-intermediate.crt"},
	    "intermediate.crt", "ca.crt", 0, 2, true, true, "added"},
	{"missing, from the trust store", {"missing-intermediate.crt"}, NULL,
	    "intermediate.crt", 0, 2, true, true, "added"},
	{"missing, nowhere", {"missing-intermediate.crt"}, NULL, "ca.crt", 0,
	    1, false, false, "incomplete"},
	{"missing, AIA to fetch", {"aia.crt"}, NULL, "ca.crt",
	    TK_FIX_NEED_FETCH, 0, false, false, ""},
	{"self-signed leaf", {"selfsigned.crt"}, NULL, "ca.crt", 0, 1, true,
	    false, "none"},
	{"another CA's leaf", {"unknownca.crt"}, "intermediate.crt", "ca.crt",
	    0, 1, false, false, "incomplete"},
};

static void
test_builds(void)
{
	for (size_t i = 0; i < sizeof(builds) / sizeof(builds[0]); i++) {
		gnutls_x509_crt_t served[4], *extra = NULL, *tmp;
		gnutls_x509_trust_list_t tl;
		struct tk_fix_extra ex[4];
		struct tk_fix_input in;
		struct tk_fixed_chain *f = NULL;
		unsigned ne = 0, nt;
		size_t ns = 0;
		char url[1024], actions[256] = "", path[512];
		struct tk_err err;
		int rc;

		TK_CASE(builds[i].name);
		for (; ns < 4 && builds[i].served[ns] != NULL; ns++) {
			if (load(builds[i].served[ns], &tmp, &nt) < 0) {
				EXPECT_TRUE(!"cannot load a served file");
				return;
			}
			served[ns] = tmp[0];
			gnutls_free(tmp);
		}
		if (builds[i].extra != NULL) {
			load(builds[i].extra, &extra, &ne);
		}
		for (unsigned k = 0; k < ne; k++) {
			ex[k] = (struct tk_fix_extra){extra[k], TK_FIX_FILE,
			    "file.pem"};
		}
		gnutls_x509_trust_list_init(&tl, 0);
		snprintf(path, sizeof(path), "%s/%s", TK_TESTDATA,
		    builds[i].trust);
		gnutls_x509_trust_list_add_trust_file(tl, path, NULL,
		    GNUTLS_X509_FMT_PEM, 0, 0);
		memset(&in, 0, sizeof(in));
		in.served = served;
		in.nserved = ns;
		in.extra = ex;
		in.nextra = ne;
		in.trust = tl;
		tk_err_clear(&err);
		rc = tk_fixchain_build(&in, &f, url, sizeof(url), &err);
		EXPECT_EQ_INT(rc, builds[i].rc);
		if (rc == TK_FIX_NEED_FETCH) {
			EXPECT_EQ_STR(url, "http://aia.tlskit.test:48080/"
			    "tlskit/intermediate.der");
			/* tried and failed: incomplete, saying why */
			in.tried = &(struct tk_fix_tried){url, "HTTP 404"};
			in.ntried = 1;
			rc = tk_fixchain_build(&in, &f, url, sizeof(url),
			    &err);
			EXPECT_EQ_INT(rc, 0);
			EXPECT_TRUE(f != NULL && !f->complete &&
			    strstr(f->notes[0].message, "HTTP 404") != NULL);
		} else if (rc == 0 && f != NULL) {
			for (size_t k = 0; k < f->nnotes; k++) {
				size_t l = strlen(actions);

				snprintf(actions + l, sizeof(actions) - l,
				    "%s%s", k ? " " : "", f->notes[k].action);
			}
			EXPECT_EQ_STR(actions, builds[i].actions);
			EXPECT_EQ_SIZE(f->ncerts, builds[i].ncerts);
			EXPECT_EQ_INT(f->complete, builds[i].complete);
			EXPECT_EQ_INT(f->changed, builds[i].changed);
			EXPECT_TRUE(strncmp(f->pem, "-----BEGIN CERTIFICATE",
			    22) == 0);
		}
		tk_fixchain_free(f);
		gnutls_x509_trust_list_deinit(tl, 1);
		for (size_t k = 0; k < ns; k++) {
			gnutls_x509_crt_deinit(served[k]);
		}
		free_list(extra, ne);
	}
	TK_CASE(NULL);
}

/* A GET on the loop against an in-process listener. */
struct get_case {
	struct tk_loop *loop;
	int status;
	size_t body_len;
	struct tk_err err;
	bool called;
};

static void
on_get(void *arg, const struct tk_http_response *resp,
    const struct tk_err *err)
{
	struct get_case *gc = arg;

	gc->called = true;
	if (err != NULL) {
		gc->err = *err;
	} else {
		gc->status = resp->status;
		gc->body_len = resp->body_len;
	}
	tk_loop_stop(gc->loop);
}

struct peer {
	int lfd, cfd;
	const char *reply;
};

static void
on_peer_read(struct tk_loop *loop, int fd, unsigned events, void *arg)
{
	struct peer *p = arg;
	char buf[4096];

	(void)events;
	(void)!read(fd, buf, sizeof(buf));
	tk_loop_unwatch(loop, fd);
	if (p->reply != NULL) {
		(void)!write(fd, p->reply, strlen(p->reply));
		close(fd);
		p->cfd = -1;
	}
}

static void
on_accept(struct tk_loop *loop, int fd, unsigned events, void *arg)
{
	struct peer *p = arg;

	(void)events;
	p->cfd = accept(fd, NULL, NULL);
	tk_loop_unwatch(loop, fd);
	if (p->cfd >= 0) {
		tk_loop_watch(loop, p->cfd, TK_READ, on_peer_read, p, NULL);
	}
}

static void
test_get(void)
{
	static const struct {
		const char *name;
		const char *reply;   /* NULL: never answer */
		unsigned timeout_ms;
		size_t cap;
		int status;
		enum tk_class cls;
	} gets[] = {
		{"200", "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nabcd",
		    5000, 1024, 200, TK_OK},
		{"no answer: timeout", NULL, 200, 1024, 0, TK_NET},
		{"over the cap", "HTTP/1.1 200 OK\r\nContent-Length: 4000\r\n"
		    "\r\n", 5000, 64, 0, TK_CHECK},
	};

	for (size_t i = 0; i < sizeof(gets) / sizeof(gets[0]); i++) {
		struct get_case gc = {0};
		struct peer p = {-1, -1, NULL};
		struct tk_addr bound;
		struct tk_resolver *res;
		struct tk_http_get *g;
		struct tk_err err;
		char url[128], a[TK_ADDRSTR_MAX];
		int n;

		TK_CASE(gets[i].name);
		tk_err_clear(&err);
		tk_err_clear(&gc.err);
		gc.loop = tk_loop_new(&err);
		res = tk_resolver_new(gc.loop, &err);
		n = tk_listen("127.0.0.1:0", 4, &p.lfd, &bound, 1, &err);
		EXPECT_EQ_INT(n, 1);
		if (n != 1 || gc.loop == NULL || res == NULL) {
			return;
		}
		p.reply = gets[i].reply;
		tk_loop_watch(gc.loop, p.lfd, TK_READ, on_accept, &p, NULL);
		tk_sockaddr_str((const struct sockaddr *)&bound.ss, a,
		    sizeof(a));
		snprintf(url, sizeof(url), "http://%s/x", a);
		g = tk_http_get_start(gc.loop, res, url, gets[i].timeout_ms,
		    gets[i].cap, on_get, &gc, &err);
		EXPECT_TRUE(g != NULL);
		if (g != NULL) {
			tk_loop_run(gc.loop, &err);
		}
		EXPECT_TRUE(gc.called);
		EXPECT_EQ_INT(gc.status, gets[i].status);
		EXPECT_EQ_INT(gc.err.cls, gets[i].cls);
		if (gets[i].cls == TK_OK) {
			EXPECT_EQ_SIZE(gc.body_len, 4);
		}
		tk_loop_unwatch(gc.loop, p.lfd);
		close(p.lfd);
		if (p.cfd >= 0) {
			tk_loop_unwatch(gc.loop, p.cfd);
			close(p.cfd);
		}
		tk_resolver_free(res);
		tk_loop_free(gc.loop);
	}
	TK_CASE(NULL);
}

static void
run(void)
{
	test_urls();
	test_responses();
	test_aia_bodies();
	test_builds();
	test_get();
}

TK_TEST_MAIN("test_http", run)
