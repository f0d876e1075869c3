/*
 * ClientHellos built byte by byte, and the server's first reply read up to
 * the ServerHello or alert: what GnuTLS cannot speak (SSL 2.0 and 3.0,
 * export, RC4, NULL, anonymous suites and the IANA suites GnuTLS lacks) is
 * probed this way (issue #15, tls-scan; testssl.sh's socket mode does the
 * same).  Pure: no I/O, no randomness (the caller passes the random bytes),
 * no allocation.  The reply parsers read remote bytes: bounded (they look
 * at no more than TK_RAWHELLO_READ_MAX bytes, and the rest of a TLS 1.2
 * flight at no more than TK_RAWHELLO_FLIGHT_MAX) and strict.
 */
#ifndef TK_RAWHELLO_H
#define TK_RAWHELLO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/*
 * The most a caller reads before the reply must be whole: one record of
 * 2^14 bytes (RFC 8446 5.1) and its header.  A ServerHello, or an alert,
 * not complete by then is MALFORMED.
 */
#define TK_RAWHELLO_READ_MAX (16384 + 5)
#define TK_RAWHELLO_SUITES_MAX 4096   /* suites in one ClientHello */
#define TK_RAWHELLO_EXTS_MAX 32       /* extension types kept in order */
#define TK_RAWHELLO_V2_MAX 64         /* SSL 2.0 cipher kinds kept */

/* Extension types (IANA TLS ExtensionType Values) the builder writes. */
enum {
	TK_RAWHELLO_EXT_SERVER_NAME = 0,
	TK_RAWHELLO_EXT_STATUS_REQUEST = 5,
	TK_RAWHELLO_EXT_GROUPS = 10,
	TK_RAWHELLO_EXT_POINT_FORMATS = 11,
	TK_RAWHELLO_EXT_SIGALGS = 13,
	TK_RAWHELLO_EXT_ALPN = 16,
	TK_RAWHELLO_EXT_ETM = 22,
	TK_RAWHELLO_EXT_EMS = 23,
	TK_RAWHELLO_EXT_SESSION_TICKET = 35,
	TK_RAWHELLO_EXT_VERSIONS = 43,
	TK_RAWHELLO_EXT_KEY_SHARE = 51,
	TK_RAWHELLO_EXT_RENEG_INFO = 0xff01,
};

#define TK_RAWHELLO_X25519 0x001D

/*
 * What one ClientHello offers.  Lists are in wire order; a list of length
 * 0 leaves its extension out, and a ClientHello that asks for no
 * extension has no extensions block at all (as SSL 3.0 wrote them).
 */
struct tk_rawhello_conf {
	/* the highest version offered, 0x0300 (SSL 3.0) to 0x0304 (TLS 1.3);
	 * legacy_version is at most 0x0303 (RFC 8446 4.1.2) */
	uint16_t version;
	/* the record header's version; 0: 0x0300 for SSL 3.0, else 0x0301
	 * (what most clients send, RFC 8446 5.1) */
	uint16_t record_version;
	const uint16_t *suites;
	size_t nsuites;
	bool scsv_reneg;        /* append TLS_EMPTY_RENEGOTIATION_INFO_SCSV */
	bool scsv_fallback;     /* append TLS_FALLBACK_SCSV (RFC 7507) */
	bool deflate;           /* offer DEFLATE compression before null */
	const char *sni;        /* host_name (1 to 255 bytes), NULL: none */
	const uint16_t *groups; /* supported_groups */
	size_t ngroups;
	const uint16_t *sigalgs; /* signature_algorithms */
	size_t nsigalgs;
	/* supported_versions; for version 0x0304 with none given,
	 * { 0x0304, 0x0303 } */
	const uint16_t *versions;
	size_t nversions;
	const char *const *alpn; /* ALPN names, 1 to 255 bytes each */
	size_t nalpn;
	bool point_formats;     /* ec_point_formats: uncompressed */
	bool reneg_info;        /* an empty renegotiation_info (RFC 5746) */
	bool ems;               /* extended_master_secret (RFC 7627) */
	bool etm;               /* encrypt_then_mac (RFC 7366) */
	bool session_ticket;    /* an empty SessionTicket (RFC 5077) */
	bool status_request;    /* status_request, OCSP (RFC 6066 8) */
	/* a key_share of this group, 0 for none; only X25519 (any 32 bytes
	 * are a public key of it, RFC 7748 5) */
	uint16_t key_share_group;
	unsigned char share[32];    /* the X25519 public key */
	/* a key_share with an empty client_shares list (version 0x0304
	 * only, not with key_share_group): RFC 8446 4.2.8 allows it, and the
	 * server must answer with a HelloRetryRequest naming its group */
	bool key_share_empty;
	unsigned char random[32];
	unsigned char session_id[32];
	size_t session_id_len;      /* 0 to 32 */
};

/*
 * Writes the ClientHello of conf as one handshake record into buf (cap
 * bytes) and its length to *len.  Returns 0, or -1 with err set: class
 * USAGE for a conf out of range (version, SNI or ALPN lengths, a key share
 * group other than X25519, no suite at all), INTERNAL when buf is too small
 * or the message would pass one record (2^14 bytes).
 */
int tk_rawhello_build(const struct tk_rawhello_conf *conf,
    unsigned char *buf, size_t cap, size_t *len, struct tk_err *err);

/*
 * Writes an SSL 2.0 CLIENT-HELLO (draft-hickman SSL 2.0, 2-byte header)
 * offering kinds (3-byte cipher kinds; 0x00XXYY offers TLS suite XXYY) with
 * challenge (16 bytes) and no session id, into buf (cap bytes); its length
 * to *len.  Returns 0, or -1 with err set (no kind, buf too small).
 */
int tk_rawhello_build_v2(const uint32_t *kinds, size_t nkinds,
    const unsigned char challenge[16], unsigned char *buf, size_t cap,
    size_t *len, struct tk_err *err);

enum tk_rawhello_kind {
	TK_RAWHELLO_MORE,          /* incomplete: call again with more bytes */
	TK_RAWHELLO_SERVER_HELLO,
	TK_RAWHELLO_HRR,           /* a HelloRetryRequest (RFC 8446 4.1.4) */
	TK_RAWHELLO_ALERT,
	TK_RAWHELLO_SSL2_HELLO,    /* an SSL 2.0 SERVER-HELLO */
	TK_RAWHELLO_SSL2_ERROR,    /* an SSL 2.0 ERROR message */
	TK_RAWHELLO_NOT_TLS,       /* neither TLS nor SSL 2.0: see head */
	TK_RAWHELLO_MALFORMED,     /* TLS or SSL 2.0, broken: see why */
};

/* The server's first reply, as read. */
struct tk_rawhello_reply {
	enum tk_rawhello_kind kind;
	/* MALFORMED and NOT_TLS: what was wrong, in plain words (static) */
	const char *why;
	unsigned char head[16];    /* the reply's first bytes */
	size_t head_len;
	size_t used;               /* bytes read up to the end of the answer */
	uint16_t record_version;   /* of the first record (TLS) */
	/* SERVER_HELLO and HRR */
	uint16_t legacy_version;
	uint16_t version;          /* supported_versions, else legacy_version */
	bool versions_ext;         /* supported_versions was sent */
	unsigned char random[32];
	unsigned char session_id[32];
	size_t session_id_len;
	uint16_t suite;
	uint8_t compression;
	bool has_exts;             /* an extensions block was sent */
	uint16_t exts[TK_RAWHELLO_EXTS_MAX];  /* extension types, in order */
	size_t nexts;
	bool exts_cut;             /* more than TK_RAWHELLO_EXTS_MAX */
	uint16_t key_share_group;  /* 0: no key_share */
	bool reneg_info;           /* renegotiation_info was sent */
	size_t reneg_len;          /* its renegotiated_connection length */
	unsigned char alpn[255];   /* the protocol chosen, raw bytes */
	size_t alpn_len;           /* 0: no ALPN */
	/* RFC 8446 4.1.3 downgrade sentinel in the random: 0x0303 when the
	 * server could do TLS 1.3 and chose TLS 1.2, 0x0302 when it could do
	 * TLS 1.2 and chose less, 0 for none */
	uint16_t downgrade;
	/* ALERT */
	uint8_t alert_level;
	uint8_t alert_desc;
	/* SSL2_HELLO and SSL2_ERROR */
	uint16_t v2_version;
	bool v2_session_hit;
	uint8_t v2_cert_type;
	size_t v2_cert_len;
	uint32_t v2_kinds[TK_RAWHELLO_V2_MAX];
	size_t v2_nkinds;
	bool v2_cut;               /* more kinds than TK_RAWHELLO_V2_MAX */
	uint16_t v2_error;
	/* the rest of the first flight (tk_rawhello_parse_flight) */
	bool flight_done;          /* ServerHelloDone read */
	unsigned ncerts;           /* certificates in the Certificate message */
	size_t cert_bytes;         /* its certificate_list length */
	bool cert_status;          /* a CertificateStatus (stapled OCSP) came */
	bool cert_request;         /* a CertificateRequest came */
	bool ske;                  /* a ServerKeyExchange came */
	/* ECDHE: the named curve (curve_type 3); 0 otherwise */
	uint16_t ske_group;
	/* ECDHE: 1 explicit_prime, 2 explicit_char2, 3 named_curve */
	uint8_t ske_curve_type;
	/* DHE: bits of dh_p (leading zero bits not counted); RSA export:
	 * modulus bits */
	unsigned ske_dh_bits;
	/* TLS 1.2: SignatureAndHashAlgorithm (hash<<8|sig); 0 when none */
	uint16_t ske_sigalg;
};

/*
 * Reads the server's first reply from buf (len bytes from its start; at
 * most TK_RAWHELLO_READ_MAX of them are looked at) into *r and returns
 * r->kind.  Incremental: on MORE, read more and call again with all the
 * bytes so far.  TLS records up to the ServerHello may split it or carry
 * other handshake messages after it; an alert before it ends the reply.
 * Records of another type, interleaved alerts, records over 2^14 bytes,
 * empty records, lengths that disagree and duplicate extensions are
 * MALFORMED.  Never reads past len; keeps no pointer into buf.
 */
enum tk_rawhello_kind tk_rawhello_parse(struct tk_rawhello_reply *r,
    const unsigned char *buf, size_t len);

/* The most bytes the whole first flight may take (ServerHello to
 * ServerHelloDone). */
#define TK_RAWHELLO_FLIGHT_MAX (64u << 10)

/* How to read a ServerKeyExchange: it depends on the suite's key
 * exchange. */
enum tk_rawhello_ske {
	/* no SKE expected (static RSA, ...): read to ServerHelloDone */
	TK_RAWHELLO_SKE_NONE,
	TK_RAWHELLO_SKE_ECDHE,  /* ECParameters + point [+ signature] */
	TK_RAWHELLO_SKE_DHE,    /* dh_p, dh_g, dh_Ys [+ signature] */
	TK_RAWHELLO_SKE_RSA,    /* RSA export: modulus, exponent [+ sig] */
};

/*
 * After tk_rawhello_parse() returned SERVER_HELLO for a version <= TLS
 * 1.2, reads on through the same bytes (buf holds everything received so
 * far from the start of the reply, len of them; at most
 * TK_RAWHELLO_FLIGHT_MAX looked at) over Certificate, CertificateStatus,
 * ServerKeyExchange, CertificateRequest up to ServerHelloDone, and fills
 * r's flight fields.  ske says how the SKE is laid out; anon says there is
 * no signature in it (anonymous suites); the signature's algorithm field
 * exists only when r->version is TLS 1.2.  Returns TK_RAWHELLO_MORE (read
 * more, call again with all bytes), TK_RAWHELLO_SERVER_HELLO when
 * ServerHelloDone was read (r->flight_done true), TK_RAWHELLO_ALERT (an
 * alert record came instead; alert fields set), or TK_RAWHELLO_MALFORMED
 * (r->why).  Records of other types, a message order RFC 5246 7.3 does
 * not allow, bad lengths: MALFORMED.
 *
 * r->kind is set to the value returned and r->used to the end of the
 * ServerHelloDone's record (or of the alert); the flight fields, the
 * alert fields and r->why are reset on each call, the ServerHello's
 * fields are left as they are.  The first handshake message must be a
 * ServerHello (its body is not read again: r->version is
 * tk_rawhello_parse()'s); r->version above TLS 1.2 is MALFORMED.  A
 * CertificateStatus must follow the Certificate at once (RFC 6066 8); an
 * empty HelloRequest is skipped (RFC 5246 7.4.1.1).  With ske ECDHE or
 * DHE an SKE is required before ServerHelloDone; with RSA it is optional
 * (an export server whose key has 512 bits or less sends none, RFC 2246
 * 7.4.3); with NONE one that comes anyway is only noted (r->ske), its
 * body not read.  An alert at a message boundary is ALERT, inside a split
 * message MALFORMED; handshake bytes after ServerHelloDone in its record
 * are MALFORMED, later records are not looked at.  A flight not done
 * within TK_RAWHELLO_FLIGHT_MAX bytes is MALFORMED, never MORE.  Uses
 * about 64 KiB of stack (the handshake messages reassembled); never reads
 * past len; keeps no pointer into buf.
 */
enum tk_rawhello_kind tk_rawhello_parse_flight(struct tk_rawhello_reply *r,
    const unsigned char *buf, size_t len, enum tk_rawhello_ske ske,
    bool anon);

/* Whether the reply's extensions (as kept) include type. */
bool tk_rawhello_has_ext(const struct tk_rawhello_reply *r, uint16_t type);

/* "more", "server-hello", "hello-retry-request", "alert", "ssl2-hello",
 * "ssl2-error", "not-tls", "malformed". */
const char *tk_rawhello_kind_name(enum tk_rawhello_kind kind);

#endif
