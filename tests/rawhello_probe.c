/*
 * A test driver for lib/rawhello.c (not an installed tool): connects to
 * 127.0.0.1:PORT, sends one raw hello and prints what the first reply was,
 * one "key=value" a line.  MODE: tls12 (TLS 1.2, ECDHE/RSA suites), tls13
 * (TLS 1.3 with an X25519 key share), tls13-empty (TLS 1.3 with an empty
 * key_share: a HelloRetryRequest is due), ssl3 (SSL 3.0, no extensions),
 * ssl2 (an SSL 2.0 CLIENT-HELLO), tls12-rc4 (RC4 and export suites only),
 * tls12-dhe (DHE suites only), tls12-rsa (static RSA suites only),
 * tls12-anon (anonymous ECDH and DH suites only), tls10 (TLS 1.0, ECDHE,
 * DHE and RSA CBC suites).  A ServerHello of TLS 1.2 or lower is read on
 * to the ServerHelloDone (tk_rawhello_parse_flight(), the SKE read as the
 * chosen suite says) and the flight's fields printed too.  With a third
 * argument, the reply's bytes as read are written to that file (how
 * tests/unit/rawhello_vectors.h was captured).  Every read waits 5 s at
 * most; the reply is read up to TK_RAWHELLO_FLIGHT_MAX bytes.  Exit 0
 * when the reply was read (whatever it said), 1 otherwise.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "err.h"
#include "rawhello.h"
#include "suites.h"

static const uint16_t suites12[] = {
	0xC02F, 0xC030, 0xC02B, 0xC02C, 0xCCA8, 0xCCA9, 0x009E, 0x009C,
	0xC013, 0xC014, 0x002F, 0x0035, 0x000A,
};
static const uint16_t suites13[] = { 0x1301, 0x1302, 0x1303 };
static const uint16_t suites_rc4[] = { 0x0004, 0x0005, 0x0003, 0x0008 };
static const uint16_t suites_dhe[] = {
	0x009E, 0x009F, 0x0067, 0x006B, 0x0033, 0x0039,
};
static const uint16_t suites_rsa[] = { 0x009C, 0x009D, 0x002F, 0x0035 };
static const uint16_t suites_anon[] = { 0xC018, 0xC019, 0x00A6, 0x0034 };
static const uint16_t suites10[] = {
	0xC013, 0xC014, 0xC009, 0xC00A, 0x0033, 0x0039, 0x002F, 0x0035,
};
static const uint16_t groups[] = { 0x001D, 0x0017, 0x0018, 0x0100 };
static const uint16_t sigalgs[] = {
	0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601,
	0x0201,
};
static const uint32_t v2kinds[] = {
	0x010080, 0x020080, 0x030080, 0x040080, 0x050080, 0x060040, 0x0700C0,
};
static const char *const alpn[] = { "h2", "http/1.1" };

static int
build(const char *mode, unsigned char *buf, size_t cap, size_t *len,
    struct tk_err *err)
{
	struct tk_rawhello_conf c;

	memset(&c, 0, sizeof(c));
	for (size_t i = 0; i < 32; i++) {
		c.random[i] = (unsigned char)(i * 7 + 1);
		c.share[i] = (unsigned char)(i * 5 + 9);
	}
	if (strcmp(mode, "ssl2") == 0) {
		return tk_rawhello_build_v2(v2kinds,
		    sizeof(v2kinds) / sizeof(v2kinds[0]), c.random, buf, cap,
		    len, err);
	}
	c.sni = "localhost";
	c.groups = groups;
	c.ngroups = sizeof(groups) / sizeof(groups[0]);
	c.sigalgs = sigalgs;
	c.nsigalgs = sizeof(sigalgs) / sizeof(sigalgs[0]);
	c.point_formats = true;
	c.reneg_info = true;
	c.ems = true;
	c.session_ticket = true;
	c.status_request = true;
	c.alpn = alpn;
	c.nalpn = 2;
	if (strcmp(mode, "tls13") == 0) {
		c.version = 0x0304;
		c.suites = suites13;
		c.nsuites = 3;
		c.key_share_group = TK_RAWHELLO_X25519;
		c.session_id_len = 32;
		memcpy(c.session_id, c.share, 32);
	} else if (strcmp(mode, "tls13-empty") == 0) {
		c.version = 0x0304;
		c.suites = suites13;
		c.nsuites = 3;
		c.key_share_empty = true;
		c.session_id_len = 32;
		memcpy(c.session_id, c.share, 32);
	} else if (strcmp(mode, "ssl3") == 0) {
		memset(&c, 0, sizeof(c));
		c.version = 0x0300;
		c.suites = suites12 + 10;
		c.nsuites = 3;
		c.scsv_reneg = true;
	} else if (strcmp(mode, "tls12-rc4") == 0) {
		c.version = 0x0303;
		c.suites = suites_rc4;
		c.nsuites = 4;
	} else if (strcmp(mode, "tls12-dhe") == 0) {
		c.version = 0x0303;
		c.suites = suites_dhe;
		c.nsuites = sizeof(suites_dhe) / sizeof(suites_dhe[0]);
	} else if (strcmp(mode, "tls12-rsa") == 0) {
		c.version = 0x0303;
		c.suites = suites_rsa;
		c.nsuites = sizeof(suites_rsa) / sizeof(suites_rsa[0]);
	} else if (strcmp(mode, "tls12-anon") == 0) {
		c.version = 0x0303;
		c.suites = suites_anon;
		c.nsuites = sizeof(suites_anon) / sizeof(suites_anon[0]);
	} else if (strcmp(mode, "tls10") == 0) {
		c.version = 0x0301;
		c.suites = suites10;
		c.nsuites = sizeof(suites10) / sizeof(suites10[0]);
		c.nsigalgs = 0;
		c.nalpn = 0;
		c.ems = false;
		c.session_ticket = false;
		c.status_request = false;
	} else if (strcmp(mode, "tls12") == 0) {
		c.version = 0x0303;
		c.suites = suites12;
		c.nsuites = sizeof(suites12) / sizeof(suites12[0]);
	} else {
		return tk_err_set(err, TK_USAGE, "mode", "unknown mode '%s'",
		    mode);
	}
	return tk_rawhello_build(&c, buf, cap, len, err);
}

static void
show(const struct tk_rawhello_reply *r)
{
	const struct tk_suite *s;

	printf("kind=%s\n", tk_rawhello_kind_name(r->kind));
	switch (r->kind) {
	case TK_RAWHELLO_SERVER_HELLO:
	case TK_RAWHELLO_HRR:
		s = tk_suites_by_code(r->suite);
		printf("version=0x%04x\n", r->version);
		printf("suite=%s\n", s != NULL ? s->name : "?");
		printf("compression=%u\n", r->compression);
		printf("key_share=0x%04x\n", r->key_share_group);
		printf("reneg_info=%d\n", r->reneg_info);
		printf("ems=%d\n", tk_rawhello_has_ext(r,
		    TK_RAWHELLO_EXT_EMS));
		printf("alpn=%.*s\n", (int)r->alpn_len, r->alpn);
		if (r->flight_done) {
			printf("flight=done\n");
			printf("ncerts=%u\n", r->ncerts);
			printf("cert_bytes=%zu\n", r->cert_bytes);
			printf("cert_status=%d\n", r->cert_status);
			printf("cert_request=%d\n", r->cert_request);
			printf("ske=%d\n", r->ske);
			printf("ske_curve_type=%u\n", r->ske_curve_type);
			printf("ske_group=0x%04x\n", r->ske_group);
			printf("ske_dh_bits=%u\n", r->ske_dh_bits);
			printf("ske_sigalg=0x%04x\n", r->ske_sigalg);
		}
		break;
	case TK_RAWHELLO_ALERT:
		printf("alert=%u.%u\n", r->alert_level, r->alert_desc);
		break;
	case TK_RAWHELLO_SSL2_HELLO:
		printf("v2_kinds=%zu\n", r->v2_nkinds);
		break;
	case TK_RAWHELLO_SSL2_ERROR:
		printf("v2_error=%u\n", r->v2_error);
		break;
	case TK_RAWHELLO_MORE:
	case TK_RAWHELLO_NOT_TLS:
	case TK_RAWHELLO_MALFORMED:
		printf("why=%s\n", r->why != NULL ? r->why : "closed early");
		break;
	}
}

/* How the chosen suite's ServerKeyExchange is laid out. */
static enum tk_rawhello_ske
ske_of(uint16_t suite, bool *anon)
{
	const struct tk_suite *s = tk_suites_by_code(suite);

	*anon = s != NULL && (s->flags & TK_SUITES_ANON) != 0;
	if (s == NULL) {
		return TK_RAWHELLO_SKE_NONE;
	}
	if (s->kx == TK_SUITES_KX_ECDHE) {
		return TK_RAWHELLO_SKE_ECDHE;
	}
	if (s->kx == TK_SUITES_KX_DHE) {
		return TK_RAWHELLO_SKE_DHE;
	}
	if (s->kx == TK_SUITES_KX_RSA && (s->flags & TK_SUITES_EXPORT)) {
		return TK_RAWHELLO_SKE_RSA;
	}
	return TK_RAWHELLO_SKE_NONE;
}

/* Reads while the parse says MORE: 0, or -1 when no reply came in 5 s. */
static int
read_on(int fd, unsigned char *in, size_t cap, size_t *ilen,
    struct tk_rawhello_reply *r, bool flight)
{
	enum tk_rawhello_ske ske;
	bool anon;

	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;

		if (flight) {
			ske = ske_of(r->suite, &anon);
			tk_rawhello_parse_flight(r, in, *ilen, ske, anon);
		} else {
			tk_rawhello_parse(r, in, *ilen);
		}
		if (r->kind != TK_RAWHELLO_MORE) {
			return 0;
		}
		if (poll(&p, 1, 5000) != 1) {
			fprintf(stderr, "rawhello_probe: no reply in 5 s\n");
			return -1;
		}
		n = read(fd, in + *ilen, cap - *ilen);
		if (n <= 0) {
			return 0;
		}
		*ilen += (size_t)n;
	}
}

int
main(int argc, char **argv)
{
	static unsigned char in[TK_RAWHELLO_FLIGHT_MAX];
	unsigned char out[4096];
	struct sockaddr_in sa;
	struct tk_rawhello_reply r;
	struct tk_err err;
	size_t olen, ilen = 0;
	int fd;
	FILE *f;

	if (argc < 3) {
		fprintf(stderr, "usage: rawhello_probe PORT MODE [FILE]\n");
		return 2;
	}
	tk_err_clear(&err);
	if (build(argv[2], out, sizeof(out), &olen, &err) == -1) {
		fprintf(stderr, "rawhello_probe: %s\n", err.msg);
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)atoi(argv[1]));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd == -1 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    write(fd, out, olen) != (ssize_t)olen) {
		fprintf(stderr, "rawhello_probe: cannot send to port %s: %s\n",
		    argv[1], strerror(errno));
		return 1;
	}
	if (read_on(fd, in, TK_RAWHELLO_READ_MAX, &ilen, &r, false) == -1) {
		return 1;
	}
	if (r.kind == TK_RAWHELLO_SERVER_HELLO && r.version <= 0x0303 &&
	    read_on(fd, in, sizeof(in), &ilen, &r, true) == -1) {
		return 1;
	}
	close(fd);
	show(&r);
	if (argc > 3) {
		f = fopen(argv[3], "wb");
		if (f == NULL || fwrite(in, 1, ilen, f) != ilen ||
		    fclose(f) != 0) {
			fprintf(stderr, "rawhello_probe: cannot write '%s'\n",
			    argv[3]);
			return 1;
		}
	}
	return r.kind == TK_RAWHELLO_MORE ? 1 : 0;
}
