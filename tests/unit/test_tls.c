/*
 * Unit tests for lib/tls.h: ALPN lists, versions, priority strings, and
 * in-process handshakes over a non-blocking socketpair (docs/ARCHITECTURE.md,
 * "Tests").
 */
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "creds.h"
#include "tls.h"

#include "tk_test.h"
#include "tk_testdata.h"

#ifndef TK_TESTDATA
#error "TK_TESTDATA must name the testdata directory"
#endif

#define ROUNDS_MAX 1000

/* ALPN lists */

static const struct {
	const char *in;
	size_t n;
	const char *first, *last;
} alpn_good[] = {
	{"h2", 1, "h2", "h2"},
	{"h2,http/1.1", 2, "h2", "http/1.1"},
	{"a,b,c", 3, "a", "c"},
	{"H2,h2", 2, "H2", "h2"},  /* bytes compare: case matters */
};

static const char *const alpn_bad[] = {
	"",
	",",
	"h2,",
	",h2",
	"h2,,x",
	"h 2",
	"h2, http/1.1",
	"h\x7f",
	"h\x80",
	"\xc3\xbc",
	"h\t2",
	"h2,h2",
	"h2,http/1.1,h2",
};

static void
expect_alpn_fails(const char *list)
{
	struct tk_alpn a = {(char **)1, 7};
	struct tk_err err;

	tk_err_clear(&err);
	EXPECT_EQ_INT(tk_alpn_parse(list, &a, &err), -1);
	EXPECT_EQ_INT(err.cls, TK_USAGE);
	EXPECT_TRUE(a.names == NULL);
	EXPECT_EQ_SIZE(a.n, 0);
}

/* n distinct names of len bytes each, comma-separated, plus one extra
 * name of extra_len bytes when extra_len > 0. */
static char *
make_list(size_t n, size_t len, size_t extra_len)
{
	size_t total = (n + 1) * (len + 1) + extra_len + 1;
	char *s = malloc(total), *p = s;

	if (s == NULL) {
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		memset(p, 'a', len);
		/* the index makes each name distinct */
		snprintf(p, len + 1, "%05zu", i);
		p[5] = 'a';
		p += len;
		*p++ = ',';
	}
	if (extra_len > 0) {
		memset(p, 'z', extra_len);
		p += extra_len;
	} else if (p > s) {
		p--;
	}
	*p = '\0';
	return s;
}

static void
test_alpn_parse(void)
{
	char name[300];
	char *list;
	struct tk_alpn a;
	struct tk_err err;

	for (size_t i = 0; i < sizeof(alpn_good) / sizeof(alpn_good[0]);
	     i++) {
		TK_CASE(alpn_good[i].in);
		tk_err_clear(&err);
		EXPECT_EQ_INT(tk_alpn_parse(alpn_good[i].in, &a, &err), 0);
		EXPECT_EQ_SIZE(a.n, alpn_good[i].n);
		if (a.n == alpn_good[i].n) {
			EXPECT_EQ_STR(a.names[0], alpn_good[i].first);
			EXPECT_EQ_STR(a.names[a.n - 1], alpn_good[i].last);
		}
		tk_alpn_clear(&a);
		EXPECT_TRUE(a.names == NULL);
		EXPECT_EQ_SIZE(a.n, 0);
	}
	for (size_t i = 0; i < sizeof(alpn_bad) / sizeof(alpn_bad[0]); i++) {
		TK_CASE(alpn_bad[i]);
		expect_alpn_fails(alpn_bad[i]);
	}

	/* RFC 7301 3.1: a name is 1 to 255 bytes */
	memset(name, 'x', 255);
	name[255] = '\0';
	TK_CASE("255-byte name");
	tk_err_clear(&err);
	EXPECT_EQ_INT(tk_alpn_parse(name, &a, &err), 0);
	EXPECT_EQ_SIZE(a.n, 1);
	tk_alpn_clear(&a);
	name[255] = 'x';
	name[256] = '\0';
	TK_CASE("256-byte name");
	expect_alpn_fails(name);

	/* and the list at most 2^16-1 bytes: 300 x (1 + 255) is 76800 */
	list = make_list(300, 255, 0);
	TK_CASE("300 names of 255 bytes");
	EXPECT_TRUE(list != NULL);
	if (list != NULL) {
		expect_alpn_fails(list);
		free(list);
	}

	/* the boundary: 2 length bytes + 65533 bytes of names fit */
	list = make_list(255, 255, 252);
	TK_CASE("65535 wire bytes");
	if (list != NULL) {
		tk_err_clear(&err);
		EXPECT_EQ_INT(tk_alpn_parse(list, &a, &err), 0);
		EXPECT_EQ_SIZE(a.n, 256);
		tk_alpn_clear(&a);
		free(list);
	}
	list = make_list(255, 255, 253);
	TK_CASE("65536 wire bytes");
	if (list != NULL) {
		expect_alpn_fails(list);
		free(list);
	}
	TK_CASE(NULL);
}

static void
test_alpn_gnutls(void)
{
	struct tk_alpn a;
	struct tk_err err;
	char *list;

	TK_CASE("9 names");
	tk_err_clear(&err);
	EXPECT_EQ_INT(tk_alpn_parse("a,b,c,d,e,f,g,h,i", &a, &err), 0);
	EXPECT_EQ_INT(tk_alpn_check_gnutls(&a, &err), -1);
	EXPECT_EQ_INT(err.cls, TK_USAGE);
	tk_alpn_clear(&a);

	TK_CASE("8 names");
	tk_err_clear(&err);
	EXPECT_EQ_INT(tk_alpn_parse("a,b,c,d,e,f,g,h", &a, &err), 0);
	EXPECT_EQ_INT(tk_alpn_check_gnutls(&a, &err), 0);
	tk_alpn_clear(&a);

	TK_CASE("32-byte name");
	list = make_list(0, 0, 32);
	tk_err_clear(&err);
	EXPECT_EQ_INT(tk_alpn_parse(list, &a, &err), 0);
	EXPECT_EQ_INT(tk_alpn_check_gnutls(&a, &err), -1);
	EXPECT_EQ_INT(err.cls, TK_USAGE);
	tk_alpn_clear(&a);
	free(list);

	TK_CASE("8 x 31 bytes");
	list = make_list(8, 31, 0);
	tk_err_clear(&err);
	EXPECT_EQ_INT(tk_alpn_parse(list, &a, &err), 0);
	EXPECT_EQ_SIZE(a.n, 8);
	EXPECT_EQ_INT(tk_alpn_check_gnutls(&a, &err), 0);
	EXPECT_EQ_INT(err.cls, TK_OK);
	tk_alpn_clear(&a);
	free(list);
	TK_CASE(NULL);
}

/* Versions and priorities */

static const struct {
	const char *in;
	int v;            /* 0: fails */
	const char *msg;  /* a failure's message contains this */
} versions[] = {
	{"1.0", 10, NULL},
	{"1.1", 11, NULL},
	{"1.2", 12, NULL},
	{"1.3", 13, NULL},
	{"tls1.2", 12, NULL},
	{"TLSv1.3", 13, NULL},
	{"TLS1.0", 10, NULL},
	{"ssl3", 0, "SSL"},
	{"3.0", 0, "SSL"},
	{"sslv2", 0, "SSL"},
	{"SSLv3", 0, "SSL"},
	{"1.4", 0, "1.4"},
	{"", 0, NULL},
	{"1.3 ", 0, NULL},
	{"tlsv1.3-and-some-more-text", 0, NULL},
};

static void
test_version_parse(void)
{
	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		struct tk_err err;
		int v = -1;

		TK_CASE(versions[i].in);
		tk_err_clear(&err);
		if (versions[i].v != 0) {
			EXPECT_EQ_INT(tk_tls_version_parse(versions[i].in, &v,
			    &err), 0);
			EXPECT_EQ_INT(v, versions[i].v);
			continue;
		}
		EXPECT_EQ_INT(tk_tls_version_parse(versions[i].in, &v, &err),
		    -1);
		EXPECT_EQ_INT(err.cls, TK_USAGE);
		EXPECT_EQ_INT(v, -1);
		if (versions[i].msg != NULL) {
			EXPECT_TRUE(strstr(err.msg, versions[i].msg) != NULL);
		}
	}
	TK_CASE(NULL);
}

static const struct {
	const char *name;
	const char *base;
	int minv, maxv;
	int rc;
	const char *has, *lacks;  /* substrings of the result, or NULL */
} priorities[] = {
	{"default", NULL, 0, 0, 0, "NORMAL", "VERS"},
	{"empty base", "", 0, 0, 0, "NORMAL", NULL},
	{"min above max", NULL, 13, 12, -1, NULL, NULL},
	{"bogus keyword", "NORMAL:+BOGUS", 0, 0, -1, NULL, NULL},
	{"min 1.3", NULL, 13, 0, 0, "+VERS-TLS1.3", "+VERS-TLS1.2"},
	{"max 1.2", NULL, 0, 12, 0, "+VERS-TLS1.2", "+VERS-TLS1.3"},
	{"1.2 only", "SECURE256", 12, 12, 0, "SECURE256:-VERS-ALL:"
	    "+VERS-TLS1.2", "+VERS-TLS1.1"},
};

static void
test_priority(void)
{
	for (size_t i = 0; i < sizeof(priorities) / sizeof(priorities[0]);
	     i++) {
		char buf[256];
		struct tk_err err;

		TK_CASE(priorities[i].name);
		tk_err_clear(&err);
		EXPECT_EQ_INT(tk_tls_priority(buf, sizeof(buf),
		    priorities[i].base, priorities[i].minv, priorities[i].maxv,
		    &err), priorities[i].rc);
		if (priorities[i].rc < 0) {
			EXPECT_EQ_INT(err.cls, TK_USAGE);
			continue;
		}
		if (priorities[i].has != NULL) {
			EXPECT_TRUE(strstr(buf, priorities[i].has) != NULL);
		}
		if (priorities[i].lacks != NULL) {
			EXPECT_TRUE(strstr(buf, priorities[i].lacks) == NULL);
		}
	}

	TK_CASE("buffer too small");
	{
		char small[12];
		struct tk_err err;

		tk_err_clear(&err);
		EXPECT_EQ_INT(tk_tls_priority(small, sizeof(small), NULL, 10,
		    13, &err), -1);
		EXPECT_EQ_INT(err.cls, TK_USAGE);
	}
	TK_CASE(NULL);
}

/* Handshakes in one process */

/* The testdata certificates are valid 2020-2099: pin the clock inside. */
static time_t
fixed_time(time_t *t)
{
	time_t now = 1893456000;  /* 2030-01-01T00:00:00Z */

	if (t != NULL) {
		*t = now;
	}
	return now;
}

struct pair {
	int sv[2];
	struct tk_alpn calpn, salpn;
	struct tk_tls *c, *s;
	int crc, src;  /* last handshake result of each side */
};

static struct tk_creds *server_creds, *client_creds;

static int
load_creds(void)
{
	int rc = tk_test_creds_pair(&server_creds, &client_creds);

	EXPECT_EQ_INT(rc, 0);
	if (rc < 0) {
		return -1;
	}
	EXPECT_TRUE(tk_creds_has_cert(server_creds));
	EXPECT_EQ_INT(tk_creds_trust_count(client_creds), 1);
	return 0;
}

static int
pair_open(struct pair *p, const char *salpn, bool mandatory,
    const char *calpn)
{
	struct tk_tls_conf sconf, cconf;
	struct tk_err err;

	memset(p, 0, sizeof(*p));
	p->crc = p->src = TK_WANT_READ;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
	    p->sv) < 0) {
		perror("socketpair");
		return -1;
	}
	tk_err_clear(&err);
	if (salpn != NULL && tk_alpn_parse(salpn, &p->salpn, &err) < 0) {
		return -1;
	}
	if (calpn != NULL && tk_alpn_parse(calpn, &p->calpn, &err) < 0) {
		return -1;
	}
	memset(&sconf, 0, sizeof(sconf));
	sconf.server = true;
	sconf.priority = "NORMAL";
	sconf.alpn = &p->salpn;
	sconf.alpn_mandatory = mandatory;
	p->s = tk_tls_new(p->sv[0], &sconf, server_creds, &err);
	memset(&cconf, 0, sizeof(cconf));
	cconf.priority = "NORMAL";
	cconf.sni = "localhost";
	cconf.alpn = &p->calpn;
	p->c = tk_tls_new(p->sv[1], &cconf, client_creds, &err);
	EXPECT_TRUE(p->s != NULL && p->c != NULL);
	if (p->s == NULL || p->c == NULL) {
		fprintf(stderr, "  tk_tls_new: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static void
pair_close(struct pair *p)
{
	tk_tls_free(p->c);
	tk_tls_free(p->s);
	tk_alpn_clear(&p->calpn);
	tk_alpn_clear(&p->salpn);
	if (p->sv[0] >= 0) {
		close(p->sv[0]);
	}
	if (p->sv[1] >= 0) {
		close(p->sv[1]);
	}
}

static bool
settled(int rc)
{
	return rc == 0 || rc == -1;
}

/*
 * Runs both handshakes alternately until both are done, or one failed
 * and the other had a few rounds to see the alert.  Returns the rounds.
 */
static int
pump(struct pair *p)
{
	int rounds, after_fail = 0;

	for (rounds = 0; rounds < ROUNDS_MAX; rounds++) {
		if (!settled(p->crc)) {
			p->crc = tk_tls_handshake(p->c);
		}
		if (!settled(p->src)) {
			p->src = tk_tls_handshake(p->s);
		}
		if (settled(p->crc) && settled(p->src)) {
			break;
		}
		if ((p->crc == -1 || p->src == -1) && ++after_fail > 20) {
			break;
		}
	}
	return rounds;
}

static void
test_handshake_basic(void)
{
	struct pair p;
	struct tk_tls_info ci, si;
	char buf[64];
	ssize_t n = TK_WANT_READ;

	TK_CASE("handshake");
	if (pair_open(&p, NULL, false, NULL) < 0) {
		pair_close(&p);
		return;
	}
	EXPECT_TRUE(pump(&p) < ROUNDS_MAX);
	EXPECT_EQ_INT(p.crc, 0);
	EXPECT_EQ_INT(p.src, 0);
	if (p.crc != 0 || p.src != 0) {
		fprintf(stderr, "  client: %s\n  server: %s\n",
		    tk_tls_error(p.c)->msg, tk_tls_error(p.s)->msg);
		pair_close(&p);
		return;
	}
	EXPECT_TRUE(tk_tls_handshake_done(p.c));
	EXPECT_TRUE(tk_tls_handshake_done(p.s));

	EXPECT_EQ_INT(tk_tls_write(p.c, "ping", 4), 4);
	for (int i = 0; i < ROUNDS_MAX && n == TK_WANT_READ; i++) {
		n = tk_tls_read(p.s, buf, sizeof(buf));
	}
	EXPECT_EQ_INT(n, 4);
	if (n == 4) {
		EXPECT_TRUE(memcmp(buf, "ping", 4) == 0);
	}

	tk_tls_info(p.c, &ci);
	tk_tls_info(p.s, &si);
	EXPECT_EQ_STR(ci.version, "TLS1.3");
	EXPECT_EQ_STR(si.version, "TLS1.3");
	EXPECT_EQ_STR(ci.kx, "ECDHE");
	EXPECT_TRUE(ci.cipher[0] != '\0');
	EXPECT_TRUE(!ci.alpn_negotiated);
	EXPECT_EQ_STR(ci.alpn, "");
	EXPECT_TRUE(ci.peer_sent_cert);
	EXPECT_TRUE(!ci.client_cert_requested);
	EXPECT_TRUE(!ci.resumed);

	/* close_notify reads as 0 on the other side */
	EXPECT_EQ_INT(tk_tls_bye(p.c, false), 0);
	n = TK_WANT_READ;
	for (int i = 0; i < ROUNDS_MAX && n == TK_WANT_READ; i++) {
		n = tk_tls_read(p.s, buf, sizeof(buf));
	}
	EXPECT_EQ_INT(n, 0);
	pair_close(&p);
	TK_CASE(NULL);
}

static void
test_handshake_alpn(void)
{
	struct pair p;
	struct tk_tls_info ci, si;

	TK_CASE("alpn http/1.1");
	if (pair_open(&p, "h2,http/1.1", true, "http/1.1") < 0) {
		pair_close(&p);
		return;
	}
	pump(&p);
	EXPECT_EQ_INT(p.crc, 0);
	EXPECT_EQ_INT(p.src, 0);
	if (p.crc == 0 && p.src == 0) {
		tk_tls_info(p.c, &ci);
		tk_tls_info(p.s, &si);
		EXPECT_TRUE(ci.alpn_negotiated);
		EXPECT_EQ_STR(ci.alpn, "http/1.1");
		EXPECT_TRUE(si.alpn_negotiated);
		EXPECT_EQ_STR(si.alpn, "http/1.1");
	}
	pair_close(&p);

	TK_CASE("alpn no overlap");
	if (pair_open(&p, "h2,http/1.1", true, "spdy/3") < 0) {
		pair_close(&p);
		return;
	}
	EXPECT_TRUE(pump(&p) < ROUNDS_MAX);
	EXPECT_TRUE(p.crc == -1 || p.src == -1);
	if (p.src == -1) {
		EXPECT_EQ_INT(tk_tls_error(p.s)->cls, TK_TLS);
	}
	if (p.crc == -1) {
		EXPECT_EQ_INT(tk_tls_error(p.c)->cls, TK_TLS);
	}
	pair_close(&p);
	TK_CASE(NULL);
}

static void
test_new_errors(void)
{
	struct tk_tls_conf conf;
	struct tk_alpn a;
	struct tk_err err;
	struct tk_tls *t;

	TK_CASE("9 ALPN names");
	tk_err_clear(&err);
	EXPECT_EQ_INT(tk_alpn_parse("a,b,c,d,e,f,g,h,i", &a, &err), 0);
	memset(&conf, 0, sizeof(conf));
	conf.alpn = &a;
	t = tk_tls_new(-1, &conf, client_creds, &err);
	EXPECT_TRUE(t == NULL);
	EXPECT_EQ_INT(err.cls, TK_USAGE);
	tk_tls_free(t);
	tk_alpn_clear(&a);

	TK_CASE("bad priority");
	memset(&conf, 0, sizeof(conf));
	conf.priority = "NORMAL:+BOGUS";
	tk_err_clear(&err);
	t = tk_tls_new(-1, &conf, client_creds, &err);
	EXPECT_TRUE(t == NULL);
	EXPECT_EQ_INT(err.cls, TK_USAGE);
	tk_tls_free(t);
	TK_CASE(NULL);
}

/* A pair from two confs (fds filled in here); 0 or -1. */
static int
pair_open_conf(struct pair *p, const struct tk_tls_conf *sconf,
    const struct tk_tls_conf *cconf)
{
	struct tk_err err;

	memset(p, 0, sizeof(*p));
	p->crc = p->src = TK_WANT_READ;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
	    p->sv) < 0) {
		perror("socketpair");
		p->sv[0] = p->sv[1] = -1;
		return -1;
	}
	tk_err_clear(&err);
	p->s = tk_tls_new(p->sv[0], sconf, server_creds, &err);
	p->c = tk_tls_new(p->sv[1], cconf, client_creds, &err);
	EXPECT_TRUE(p->s != NULL && p->c != NULL);
	if (p->s == NULL || p->c == NULL) {
		fprintf(stderr, "  tk_tls_new: %s\n", err.msg);
		return -1;
	}
	return 0;
}

/*
 * tls-scan's client settings (lib/scanhs.c): a TLS 1.2 session resumed
 * by its ticket, and not without the ticket extension (no_tickets); the
 * server holds no session cache, so only the ticket can resume.
 */
static void
test_resume(void)
{
	struct tk_tls_conf sconf = {0}, cconf = {0};
	gnutls_datum_t key = {NULL, 0}, data = {NULL, 0};
	struct pair p;
	int rc;

	TK_CASE("resume by ticket");
	rc = gnutls_session_ticket_key_generate(&key);
	EXPECT_EQ_INT(rc, 0);
	if (rc < 0) {
		return;
	}
	sconf.server = true;
	sconf.priority = "NORMAL:-VERS-ALL:+VERS-TLS1.2";
	cconf.priority = sconf.priority;
	cconf.sni = "localhost";
	if (pair_open_conf(&p, &sconf, &cconf) < 0) {
		goto out;
	}
	EXPECT_EQ_INT(gnutls_session_ticket_enable_server(
	    tk_tls_session(p.s), &key), 0);
	pump(&p);
	EXPECT_EQ_INT(p.crc, 0);
	EXPECT_EQ_INT(p.src, 0);
	EXPECT_EQ_INT(gnutls_session_get_data2(tk_tls_session(p.c), &data), 0);
	pair_close(&p);
	if (data.data == NULL) {
		goto out;
	}
	for (int no_tickets = 0; no_tickets <= 1; no_tickets++) {
		struct tk_tls_info ci;

		TK_CASE(no_tickets ? "resume: no_tickets" : "resume: ticket");
		cconf.resume = &data;
		cconf.no_tickets = no_tickets != 0;
		if (pair_open_conf(&p, &sconf, &cconf) < 0) {
			pair_close(&p);
			break;
		}
		EXPECT_EQ_INT(gnutls_session_ticket_enable_server(
		    tk_tls_session(p.s), &key), 0);
		pump(&p);
		EXPECT_EQ_INT(p.crc, 0);
		tk_tls_info(p.c, &ci);
		EXPECT_EQ_INT(ci.resumed, no_tickets == 0);
		pair_close(&p);
	}
out:
	gnutls_free(data.data);
	gnutls_free(key.data);
	TK_CASE(NULL);
}

/* Reads on the server until GnuTLS says the client renegotiates. */
static bool
server_sees_hello(struct pair *p)
{
	char buf[64];

	for (int i = 0; i < ROUNDS_MAX; i++) {
		ssize_t n = gnutls_record_recv(tk_tls_session(p->s), buf,
		    sizeof(buf));

		if (n == GNUTLS_E_REHANDSHAKE) {
			return true;
		}
		if (n != GNUTLS_E_AGAIN) {
			return false;
		}
		(void)tk_tls_rehandshake(p->c);
	}
	return false;
}

/*
 * tk_tls_rehandshake(): completed when the server renegotiates, a refusal
 * (-1, class TLS) on the warning alert no_renegotiation.
 */
static void
test_rehandshake(void)
{
	struct tk_tls_conf sconf = {0}, cconf = {0};
	struct pair p;

	sconf.server = true;
	sconf.priority = "NORMAL:-VERS-ALL:+VERS-TLS1.2";
	cconf.priority = sconf.priority;
	cconf.sni = "localhost";
	for (int accept = 0; accept <= 1; accept++) {
		int rc = TK_WANT_READ, src = TK_WANT_READ;

		TK_CASE(accept ? "renegotiation accepted" :
		    "renegotiation refused");
		if (pair_open_conf(&p, &sconf, &cconf) < 0) {
			pair_close(&p);
			break;
		}
		pump(&p);
		EXPECT_EQ_INT(p.crc, 0);
		EXPECT_EQ_INT(tk_tls_rehandshake(p.c), TK_WANT_READ);
		EXPECT_TRUE(server_sees_hello(&p));
		if (!accept) {
			EXPECT_EQ_INT(gnutls_alert_send(tk_tls_session(p.s),
			    GNUTLS_AL_WARNING, GNUTLS_A_NO_RENEGOTIATION), 0);
		}
		for (int i = 0; i < ROUNDS_MAX; i++) {
			if (rc != 0 && rc != -1) {
				rc = tk_tls_rehandshake(p.c);
			}
			if (accept && src != 0 && src != -1) {
				src = tk_tls_handshake(p.s);
			}
			if ((rc == 0 || rc == -1) &&
			    (!accept || src == 0 || src == -1)) {
				break;
			}
		}
		EXPECT_EQ_INT(rc, accept ? 0 : -1);
		if (!accept) {
			EXPECT_EQ_INT(tk_tls_error(p.c)->cls, TK_TLS);
			EXPECT_CONTAINS(tk_tls_error(p.c)->msg,
			    "refused renegotiation");
		}
		pair_close(&p);
	}
	TK_CASE(NULL);
}

static void
run(void)
{
	test_alpn_parse();
	test_alpn_gnutls();
	test_version_parse();
	test_priority();
	gnutls_global_set_time_function(fixed_time);
	if (load_creds() == 0) {
		test_handshake_basic();
		test_handshake_alpn();
		test_new_errors();
		test_resume();
		test_rehandshake();
	}
	tk_creds_unref(server_creds);
	tk_creds_unref(client_creds);
}

TK_TEST_MAIN("test_tls", run)
