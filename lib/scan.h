/*
 * tls-scan's engine for one target (docs/ARCHITECTURE.md, "tls-scan"):
 * what the server's TLS configuration accepts.  One GnuTLS handshake
 * first (the chain judged by the one engine, the address pinned for every
 * later connection), then ClientHellos built by lib/rawhello, read up to
 * the ServerHello, HelloRetryRequest, ServerKeyExchange or alert: versions
 * and suites by elimination (offer all, remove the one chosen, repeat),
 * the server's order, groups (TLS 1.3 by HelloRetryRequest, without a key
 * exchange), DH sizes, TLS 1.2 signature algorithms, fallback SCSV,
 * compression, the RFC 5746, 7627 and 7366 extensions; then what needs a
 * whole GnuTLS handshake (lib/scanhs: certificates per key type with and
 * without SNI, resumption, 0-RTT, renegotiation, TLS 1.3 signature
 * algorithms) and ALPN (lib/alpnprobe).  Each sequence of probes holds one
 * connection at a time; a gate shared by every target caps the
 * connections open to one host.  The outcome is plain data.
 */
#ifndef TK_SCAN_H
#define TK_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alpnprobe.h"
#include "conn.h"
#include "scanhs.h"

/* Versions in the order of the wire values: SSL 2.0 to TLS 1.3. */
enum tk_scan_ver {
	TK_SCAN_SSL2,
	TK_SCAN_SSL3,
	TK_SCAN_TLS10,
	TK_SCAN_TLS11,
	TK_SCAN_TLS12,
	TK_SCAN_TLS13,
	TK_SCAN_NVER,
};

#define TK_SCAN_ACCEPTED_MAX 512   /* suites kept per version */
#define TK_SCAN_LIST_MAX 48        /* groups, signature algorithms, ... */

/* Three answers: TK_SCAN_UNKNOWN when it could not be told (why says). */
enum { TK_SCAN_UNKNOWN = -1, TK_SCAN_NO = 0, TK_SCAN_YES = 1 };

/* What one version accepts. */
struct tk_scan_version {
	int accepted;               /* TK_SCAN_* */
	char why[200];              /* UNKNOWN: why */
	/* code points in the order the server picked them (SSL 2.0: the
	 * 3-byte cipher kinds of its SERVER-HELLO) */
	uint32_t suites[TK_SCAN_ACCEPTED_MAX];
	size_t nsuites;
	bool cut;                   /* more than TK_SCAN_ACCEPTED_MAX */
	/* YES: suites[] is the server's preference; NO: it takes the
	 * client's; UNKNOWN: fewer than two suites or no answer */
	int server_order;
};

/* The certificate probes: key type x SNI. */
#define TK_SCAN_CERTS 6

struct tk_scan_cert {
	enum tk_scanhs_key key;
	bool no_sni;
	struct tk_scanhs *p;         /* NULL: not run */
};

struct tk_scan_res {
	struct tk_result main;       /* the first GnuTLS handshake */
	struct tk_scan_version v[TK_SCAN_NVER];
	uint16_t groups13[TK_SCAN_LIST_MAX], groups12[TK_SCAN_LIST_MAX];
	size_t ngroups13, ngroups12;
	bool groups13_done, groups12_done;  /* probed (lists may be empty) */
	unsigned dh_bits;            /* DHE prime size; 0: no DHE */
	uint16_t sigalgs12[TK_SCAN_LIST_MAX];
	size_t nsigalgs12;
	bool sigalgs12_done;
	int fallback_scsv;           /* TK_SCAN_*: inappropriate_fallback */
	int compression;             /* DEFLATE accepted */
	int secure_reneg;            /* RFC 5746 renegotiation_info */
	int ems;                     /* RFC 7627 */
	int etm;                     /* RFC 7366 (only with a CBC suite) */
	int ocsp_stapling;           /* a stapled response came */
	bool violation;              /* the server chose what was not offered */
	char violation_why[200];
	/* lib/scanhs probes; kind TK_SCANHS_* as started, NULL: not run */
	struct tk_scan_cert certs[TK_SCAN_CERTS];
	struct tk_scanhs *resume_id, *resume_ticket, *resume_psk, *reneg,
	    *sigalgs13;
	struct tk_alpnprobe *alpn;   /* NULL: not run */
	unsigned connections;        /* every TCP connection of this scan */
	uint64_t time_us;
	/* why the scan could not run (the first handshake's network error,
	 * or no version at all answered) */
	struct tk_err err;
};

/* The connections open to one host, shared by every target's scan. */
struct tk_scan_gate;

/* per_host >= 1.  NULL without memory. */
struct tk_scan_gate *tk_scan_gate_new(unsigned per_host);
void tk_scan_gate_free(struct tk_scan_gate *g);

struct tk_scan_conf {
	/* the target's connection (copied per probe; its priority, alpn,
	 * raw fields and target address are replaced) */
	const struct tk_conn_conf *cc;
	const char *tool;
	const char *target;          /* as given */
	struct tk_scan_gate *gate;   /* shared */
	bool no_alpn;                /* leave ALPN out */
};

struct tk_scan;

/*
 * Starts a scan on loop into res (zeroed by the caller, owned by it);
 * done(arg) runs once when everything ended, maybe before this returns.
 * NULL with err without memory (done does not run).
 */
struct tk_scan *tk_scan_start(struct tk_loop *loop,
    const struct tk_scan_conf *conf, struct tk_scan_res *res,
    void (*done)(void *arg), void *arg, struct tk_err *err);

/* Stops what runs; the results so far stay.  NULL is fine. */
void tk_scan_free(struct tk_scan *s);

/* Frees what res holds (the probes' results). */
void tk_scan_res_release(struct tk_scan_res *res);

/* The wire value of a tk_scan_ver (TK_SUITES_SSL2 ...). */
uint16_t tk_scan_ver_wire(enum tk_scan_ver v);

#endif
