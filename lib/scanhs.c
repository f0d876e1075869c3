/*
 * tls-scan's probes over completed GnuTLS handshakes; see scanhs.h.  One
 * connection at a time: the first handshake fills p->r; a resumption's
 * second handshake, and the later rounds of SIGALGS13, use priv.r2.
 */
#include "scanhs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

enum phase {
	PH_FIRST,       /* the first handshake */
	PH_TICKET,      /* TLS 1.3: reading until the NewSessionTicket */
	PH_SECOND,      /* the resuming handshake */
	PH_RENEG,       /* the renegotiation on the first session */
	PH_SIG,         /* SIGALGS13's later rounds */
	PH_DONE,
};

/*
 * How long a TLS 1.3 client waits for the server's NewSessionTicket
 * after its Finished (RFC 8446 4.6.1: the server sends it "after
 * receiving the client's Finished"), and for the answer to a
 * renegotiation; both within the step's --timeout.
 */
#define TICKET_WAIT_MS 1000
#define RENEG_WAIT_MS 2000
/* Bytes of application data read and dropped while waiting, at most. */
#define DRAIN_MAX (64u << 10)

/*
 * 0-RTT data: one empty line, which HTTP servers skip before a request
 * (RFC 9112 2.2) and which changes no state: RFC 8470 asks for replay-safe
 * early data.
 */
static const char early_bytes[] = "\r\n";

static const struct sigalg {
	uint16_t code;          /* IANA TLS SignatureScheme */
	int gnutls;             /* gnutls_sign_algorithm_t */
	const char *prio;       /* GnuTLS priority keyword */
	const char *name;       /* RFC 8446 4.2.3 */
} sigalgs[] = {
	{0x0403, GNUTLS_SIGN_ECDSA_SECP256R1_SHA256,
	    "SIGN-ECDSA-SECP256R1-SHA256", "ecdsa_secp256r1_sha256"},
	{0x0503, GNUTLS_SIGN_ECDSA_SECP384R1_SHA384,
	    "SIGN-ECDSA-SECP384R1-SHA384", "ecdsa_secp384r1_sha384"},
	{0x0603, GNUTLS_SIGN_ECDSA_SECP521R1_SHA512,
	    "SIGN-ECDSA-SECP521R1-SHA512", "ecdsa_secp521r1_sha512"},
	{0x0804, GNUTLS_SIGN_RSA_PSS_RSAE_SHA256,
	    "SIGN-RSA-PSS-RSAE-SHA256", "rsa_pss_rsae_sha256"},
	{0x0805, GNUTLS_SIGN_RSA_PSS_RSAE_SHA384,
	    "SIGN-RSA-PSS-RSAE-SHA384", "rsa_pss_rsae_sha384"},
	{0x0806, GNUTLS_SIGN_RSA_PSS_RSAE_SHA512,
	    "SIGN-RSA-PSS-RSAE-SHA512", "rsa_pss_rsae_sha512"},
	{0x0807, GNUTLS_SIGN_EDDSA_ED25519, "SIGN-EdDSA-Ed25519", "ed25519"},
	{0x0808, GNUTLS_SIGN_EDDSA_ED448, "SIGN-EdDSA-Ed448", "ed448"},
	{0x0809, GNUTLS_SIGN_RSA_PSS_SHA256, "SIGN-RSA-PSS-SHA256",
	    "rsa_pss_pss_sha256"},
	{0x080a, GNUTLS_SIGN_RSA_PSS_SHA384, "SIGN-RSA-PSS-SHA384",
	    "rsa_pss_pss_sha384"},
	{0x080b, GNUTLS_SIGN_RSA_PSS_SHA512, "SIGN-RSA-PSS-SHA512",
	    "rsa_pss_pss_sha512"},
};
#define NSIGALGS (sizeof(sigalgs) / sizeof(sigalgs[0]))

/*
 * RFC 8446 4.2.3: in TLS 1.3 the rsa_pkcs1 schemes sign certificates
 * only, never a handshake.  Offered with every restricted list so that a
 * server that checks its chain's signatures against the list still sends
 * the chain; they cannot be the server's pick in TLS 1.3.
 */
#define CHAIN_SIGS ":+SIGN-RSA-SHA256:+SIGN-RSA-SHA384:+SIGN-RSA-SHA512"

const char *
tk_scanhs_kind_name(enum tk_scanhs_kind k)
{
	switch (k) {
	case TK_SCANHS_CERT:
		return "certificate";
	case TK_SCANHS_RESUME_ID:
		return "session-id";
	case TK_SCANHS_RESUME_TICKET:
		return "session-ticket";
	case TK_SCANHS_RESUME_PSK:
		return "psk";
	case TK_SCANHS_RENEG:
		return "renegotiation";
	case TK_SCANHS_SIGALGS13:
		return "sigalgs-tls13";
	}
	return "?";
}

const char *
tk_scanhs_key_name(enum tk_scanhs_key k)
{
	switch (k) {
	case TK_SCANHS_KEY_RSA:
		return "rsa";
	case TK_SCANHS_KEY_ECDSA:
		return "ecdsa";
	case TK_SCANHS_KEY_ED25519:
		return "ed25519";
	}
	return "?";
}

const char *
tk_scanhs_yes_name(int yes)
{
	return yes == TK_SCANHS_YES ? "yes" : yes == TK_SCANHS_NO ? "no" :
	    "unknown";
}

uint16_t
tk_scanhs_sigalg_code(int gnutls_sign)
{
	/* GnuTLS may name the TLS 1.3 ECDSA schemes by hash only */
	switch (gnutls_sign) {
	case GNUTLS_SIGN_ECDSA_SHA256:
		return 0x0403;
	case GNUTLS_SIGN_ECDSA_SHA384:
		return 0x0503;
	case GNUTLS_SIGN_ECDSA_SHA512:
		return 0x0603;
	default:
		break;
	}
	for (size_t i = 0; i < NSIGALGS; i++) {
		if (sigalgs[i].gnutls == gnutls_sign) {
			return sigalgs[i].code;
		}
	}
	return 0;
}

size_t
tk_scanhs_nsigalgs(void)
{
	return NSIGALGS;
}

uint16_t
tk_scanhs_sigalg_at(size_t i, const char **prio_name)
{
	if (i >= NSIGALGS) {
		if (prio_name != NULL) {
			*prio_name = NULL;
		}
		return 0;
	}
	if (prio_name != NULL) {
		*prio_name = sigalgs[i].prio;
	}
	return sigalgs[i].code;
}

const char *
tk_scanhs_sigalg_name(uint16_t code)
{
	for (size_t i = 0; i < NSIGALGS; i++) {
		if (sigalgs[i].code == code) {
			return sigalgs[i].name;
		}
	}
	return NULL;
}

/* appends s to buf; false when it did not fit */
static bool
add(char *buf, size_t len, size_t *used, const char *s)
{
	size_t n = strlen(s);

	if (*used + n >= len) {
		return false;
	}
	memcpy(buf + *used, s, n + 1);
	*used += n;
	return true;
}

/* TLS 1.2 and lower: what session IDs, tickets and renegotiation need */
#define TLS12 "NORMAL:-VERS-ALL:+VERS-TLS1.2:+VERS-TLS1.1:+VERS-TLS1.0"

int
tk_scanhs_priority(enum tk_scanhs_kind kind, enum tk_scanhs_key key,
    unsigned long offered, char *buf, size_t len, struct tk_err *err)
{
	size_t used = 0;
	bool ok = true;

	if (len > 0) {
		buf[0] = '\0';
	}
	switch (kind) {
	case TK_SCANHS_CERT:
		/*
		 * Only that key type's signatures (TLS 1.3 picks the
		 * certificate by them) and key exchanges (TLS 1.2 picks it
		 * by the suite): a server without such a certificate has
		 * nothing to present.
		 */
		ok = add(buf, len, &used, "NORMAL:-SIGN-ALL");
		switch (key) {
		case TK_SCANHS_KEY_RSA:
			ok = ok && add(buf, len, &used,
			    ":+SIGN-RSA-PSS-RSAE-SHA256:+SIGN-RSA-PSS-RSAE-SHA384"
			    ":+SIGN-RSA-PSS-RSAE-SHA512" CHAIN_SIGS
			    ":+SIGN-RSA-SHA1:-KX-ALL:+ECDHE-RSA:+DHE-RSA:+RSA");
			break;
		case TK_SCANHS_KEY_ECDSA:
			ok = ok && add(buf, len, &used,
			    ":+SIGN-ECDSA-SECP256R1-SHA256"
			    ":+SIGN-ECDSA-SECP384R1-SHA384"
			    ":+SIGN-ECDSA-SECP521R1-SHA512:+SIGN-ECDSA-SHA256"
			    ":+SIGN-ECDSA-SHA384:+SIGN-ECDSA-SHA512"
			    ":+SIGN-ECDSA-SHA1" CHAIN_SIGS
			    ":-KX-ALL:+ECDHE-ECDSA");
			break;
		case TK_SCANHS_KEY_ED25519:
			/* RFC 8422 5.1.1: EdDSA under the ECDSA suites */
			ok = ok && add(buf, len, &used,
			    ":+SIGN-EdDSA-Ed25519" CHAIN_SIGS
			    ":-KX-ALL:+ECDHE-ECDSA");
			break;
		}
		break;
	case TK_SCANHS_RESUME_ID:
	case TK_SCANHS_RESUME_TICKET:
		ok = add(buf, len, &used, TLS12);
		break;
	case TK_SCANHS_RENEG:
		/* ask even a server without RFC 5746: the status says so */
		ok = add(buf, len, &used, TLS12 ":%UNSAFE_RENEGOTIATION");
		break;
	case TK_SCANHS_RESUME_PSK:
		ok = add(buf, len, &used, "NORMAL:-VERS-ALL:+VERS-TLS1.3");
		break;
	case TK_SCANHS_SIGALGS13:
		ok = add(buf, len, &used,
		    "NORMAL:-VERS-ALL:+VERS-TLS1.3:-SIGN-ALL");
		for (size_t i = 0; ok && i < NSIGALGS; i++) {
			if ((offered & (1ul << i)) != 0) {
				ok = add(buf, len, &used, ":+") &&
				    add(buf, len, &used, sigalgs[i].prio);
			}
		}
		ok = ok && add(buf, len, &used, CHAIN_SIGS);
		break;
	}
	if (!ok) {
		return tk_err_set(err, TK_INTERNAL, "start",
		    "priority string longer than %zu bytes", len);
	}
	return 0;
}

/* ------------------------------------------------------------------ */

static void start_conn(struct tk_scanhs *p, struct tk_result *r);

static void
close_conn(struct tk_scanhs *p)
{
	struct tk_conn *c = p->priv.conn;

	if (c == NULL) {
		return;
	}
	p->priv.conn = NULL;
	if (tk_conn_ready(c) && tk_conn_tls(c) != NULL) {
		/* best effort, never waits */
		(void)tk_tls_bye(tk_conn_tls(c), false);
	}
	tk_conn_free(c);
}

static void
drop_r2(struct tk_scanhs *p)
{
	if (p->priv.r2 != NULL) {
		tk_result_release(p->priv.r2);
		free(p->priv.r2);
		p->priv.r2 = NULL;
	}
}

static void
stop(struct tk_scanhs *p)
{
	if (p->priv.loop != NULL) {
		tk_loop_timer_stop(p->priv.loop, &p->priv.timer);
	}
	close_conn(p);
	drop_r2(p);
	if (p->priv.session.data != NULL) {
		gnutls_free(p->priv.session.data);
		p->priv.session.data = NULL;
		p->priv.session.size = 0;
	}
}

static void
finish(struct tk_scanhs *p)
{
	if (p->priv.over) {
		return;
	}
	p->priv.over = true;
	p->priv.phase = PH_DONE;
	stop(p);
	if (p->priv.done != NULL) {
		p->priv.done(p->priv.arg);
	}
}

static void
why(struct tk_scanhs *p, const char *what, const struct tk_err *e)
{
	if (e != NULL && tk_err_is_set(e)) {
		/* the cause, cut to fit: why is shorter than a message */
		snprintf(p->why, sizeof(p->why), "%s: %.190s", what, e->msg);
	} else {
		snprintf(p->why, sizeof(p->why), "%s", what);
	}
}

/* the step's bound: ms, within --timeout and --deadline */
static uint64_t
bound_ms(const struct tk_scanhs *p, uint64_t ms)
{
	if (p->priv.cc.timeout_ms != 0 && p->priv.cc.timeout_ms < ms) {
		ms = p->priv.cc.timeout_ms;
	}
	return tk_loop_deadline_clip(p->priv.cc.deadline_ms, ms);
}

static void
begin_second(struct tk_scanhs *p)
{
	close_conn(p);
	p->priv.phase = PH_SECOND;
	p->priv.r2 = malloc(sizeof(*p->priv.r2));
	if (p->priv.r2 == NULL) {
		tk_err_sys(&p->r.err, TK_INTERNAL, "start", "out of memory");
		p->r.cls = TK_INTERNAL;
		finish(p);
		return;
	}
	tk_result_init(p->priv.r2, p->priv.conf.tool, p->priv.conf.target);
	start_conn(p, p->priv.r2);
}

/* After the first handshake of a resumption probe: the session kept. */
static void
take_session(struct tk_scanhs *p, gnutls_session_t s)
{
	int rc = gnutls_session_get_data2(s, &p->priv.session);

	if (rc < 0) {
		p->priv.session.data = NULL;
		p->yes = TK_SCANHS_NO;
		snprintf(p->why, sizeof(p->why), "GnuTLS kept no session to "
		    "resume (%s)", gnutls_strerror(rc));
		finish(p);
		return;
	}
	begin_second(p);
}

static void on_fd(struct tk_loop *loop, int fd, unsigned events, void *arg);

static void
watch(struct tk_scanhs *p, int w)
{
	struct tk_err e;

	tk_err_clear(&e);
	if (tk_loop_watch(p->priv.loop, tk_conn_fd(p->priv.conn),
	    w == TK_WANT_WRITE ? TK_WRITE : TK_READ, on_fd, p, &e) < 0) {
		p->r.err = e;
		p->r.cls = e.cls;
		why(p, "cannot watch the connection", &e);
		finish(p);
	}
}

/*
 * TLS 1.3: GnuTLS takes the NewSessionTicket in gnutls_record_recv();
 * what the server sends besides is dropped, DRAIN_MAX bytes at most.
 */
static void
drive_ticket(struct tk_scanhs *p)
{
	struct tk_tls *t = tk_conn_tls(p->priv.conn);
	gnutls_session_t s = tk_tls_session(t);
	char buf[4096];

	for (;;) {
		ssize_t n;

		if ((gnutls_session_get_flags(s) &
		    GNUTLS_SFLAGS_SESSION_TICKET) != 0) {
			tk_loop_timer_stop(p->priv.loop, &p->priv.timer);
			tk_loop_unwatch(p->priv.loop,
			    tk_conn_fd(p->priv.conn));
			take_session(p, s);
			return;
		}
		if (p->priv.drained >= DRAIN_MAX) {
			p->yes = TK_SCANHS_NO;
			why(p, "no session ticket among the first 64 KiB the "
			    "server sent after the handshake", NULL);
			finish(p);
			return;
		}
		n = tk_tls_read(t, buf, sizeof(buf));
		if (n == TK_WANT_READ || n == TK_WANT_WRITE) {
			watch(p, (int)n);
			return;
		}
		if (n <= 0) {
			p->yes = TK_SCANHS_NO;
			why(p, n == 0 ? "the server closed the session without "
			    "sending a session ticket" : "the session ended "
			    "before a session ticket came", n < 0 ?
			    tk_tls_error(t) : NULL);
			finish(p);
			return;
		}
		p->priv.drained += (size_t)n;
	}
}

static void
drive_reneg(struct tk_scanhs *p)
{
	struct tk_tls *t = tk_conn_tls(p->priv.conn);
	int rc = tk_tls_rehandshake(t);

	if (rc == TK_WANT_READ || rc == TK_WANT_WRITE) {
		watch(p, rc);
		return;
	}
	tk_loop_timer_stop(p->priv.loop, &p->priv.timer);
	if (rc == 0) {
		p->yes = TK_SCANHS_YES;
	} else {
		/* an alert, a close, a reset: the server said no */
		p->yes = TK_SCANHS_NO;
		why(p, "refused", tk_tls_error(t));
	}
	finish(p);
}

static void
on_fd(struct tk_loop *loop, int fd, unsigned events, void *arg)
{
	struct tk_scanhs *p = arg;

	(void)loop;
	(void)fd;
	(void)events;
	if (p->priv.phase == PH_TICKET) {
		drive_ticket(p);
	} else if (p->priv.phase == PH_RENEG) {
		drive_reneg(p);
	}
}

static void
on_timer(struct tk_loop *loop, void *arg)
{
	struct tk_scanhs *p = arg;

	(void)loop;
	if (p->priv.phase == PH_TICKET) {
		p->yes = TK_SCANHS_NO;
		snprintf(p->why, sizeof(p->why), "no session ticket within "
		    "%.3g s after the handshake",
		    (double)bound_ms(p, TICKET_WAIT_MS) / 1000.0);
	} else if (p->priv.phase == PH_RENEG) {
		/* a server that ignores the new ClientHello refuses it */
		p->yes = TK_SCANHS_NO;
		snprintf(p->why, sizeof(p->why), "no answer to the "
		    "renegotiation within %.3g s",
		    (double)bound_ms(p, RENEG_WAIT_MS) / 1000.0);
	}
	finish(p);
}

/* TLS 1.2 and lower: EMS (RFC 7627) and EtM (RFC 7366) as negotiated */
static void
extensions(struct tk_scanhs *p, gnutls_session_t s)
{
	if (gnutls_protocol_get_version(s) == GNUTLS_TLS1_3) {
		return;
	}
	p->ems = gnutls_session_ext_master_secret_status(s) != 0 ?
	    TK_SCANHS_YES : TK_SCANHS_NO;
	p->etm = gnutls_session_etm_status(s) != 0 ? TK_SCANHS_YES :
	    TK_SCANHS_NO;
}

/*
 * The first handshake failed on the version alone (alert
 * protocol_version, RFC 8446 6.2, or no version in common): the probe's
 * versions are not the server's, which is an answer, not an error.
 */
static bool
version_refused(const struct tk_result *r)
{
	return r->cls == TK_TLS &&
	    ((r->err.gnutls_rc == GNUTLS_E_FATAL_ALERT_RECEIVED &&
	    r->tls.fatal_alert == GNUTLS_A_PROTOCOL_VERSION) ||
	    r->err.gnutls_rc == GNUTLS_E_UNSUPPORTED_VERSION_PACKET);
}

static void
not_this_version(struct tk_scanhs *p)
{
	p->yes = TK_SCANHS_NO;
	why(p, p->kind == TK_SCANHS_RESUME_PSK ||
	    p->kind == TK_SCANHS_SIGALGS13 ? "the server does not speak "
	    "TLS 1.3" : "the server speaks no TLS version below 1.3",
	    &p->r.err);
	p->r.cls = TK_OK;
}

/* SIGALGS13: the server's pick of this round, then the next round. */
static void
sig_round(struct tk_scanhs *p, struct tk_conn *c, const struct tk_result *r)
{
	struct tk_err e;
	uint16_t code;
	size_t i;

	if (!r->handshake_done) {
		/* nothing left it can sign with; or the round failed */
		if (p->nsigalgs == 0 && version_refused(r)) {
			not_this_version(p);
		} else if (p->nsigalgs == 0 || r->cls != TK_TLS) {
			why(p, p->nsigalgs == 0 ? "the TLS 1.3 handshake failed"
			    : "a later round failed, the list may be short",
			    &r->err);
		}
		finish(p);
		return;
	}
	code = tk_scanhs_sigalg_code(gnutls_sign_algorithm_get(
	    tk_tls_session(tk_conn_tls(c))));
	for (i = 0; i < NSIGALGS && sigalgs[i].code != code; i++) {
	}
	if (i == NSIGALGS || (p->priv.offered & (1ul << i)) == 0) {
		snprintf(p->why, sizeof(p->why), "the server signed with "
		    "0x%04x, which was not offered", code);
		finish(p);
		return;
	}
	p->yes = TK_SCANHS_YES;
	p->sigalgs[p->nsigalgs++] = code;
	p->priv.offered &= ~(1ul << i);
	if (p->priv.offered == 0 || p->nsigalgs == TK_SCANHS_SIGALGS_MAX) {
		finish(p);
		return;
	}
	close_conn(p);
	tk_err_clear(&e);
	if (tk_scanhs_priority(p->kind, p->priv.conf.key, p->priv.offered,
	    p->priv.prio, sizeof(p->priv.prio), &e) < 0) {
		why(p, "cannot build the next round", &e);
		finish(p);
		return;
	}
	if (p->priv.r2 == NULL) {
		p->priv.r2 = malloc(sizeof(*p->priv.r2));
		if (p->priv.r2 == NULL) {
			why(p, "out of memory", NULL);
			finish(p);
			return;
		}
	} else {
		tk_result_release(p->priv.r2);
	}
	tk_result_init(p->priv.r2, p->priv.conf.tool, p->priv.conf.target);
	p->priv.phase = PH_SIG;
	start_conn(p, p->priv.r2);
}

static void
after_first(struct tk_scanhs *p, struct tk_conn *c)
{
	gnutls_session_t s;

	if (!p->r.handshake_done) {
		if (p->kind == TK_SCANHS_CERT && p->r.cls == TK_TLS) {
			/* refused for want of such a certificate: an answer */
			p->yes = TK_SCANHS_NO;
			why(p, "no certificate for that key type", &p->r.err);
			p->r.cls = TK_OK;
		} else if (version_refused(&p->r)) {
			not_this_version(p);
		} else {
			why(p, "the first connection failed", &p->r.err);
		}
		finish(p);
		return;
	}
	s = tk_tls_session(tk_conn_tls(c));
	extensions(p, s);
	switch (p->kind) {
	case TK_SCANHS_CERT:
		p->yes = TK_SCANHS_YES;
		finish(p);
		return;
	case TK_SCANHS_SIGALGS13:
		sig_round(p, c, &p->r);
		return;
	case TK_SCANHS_RESUME_ID: {
		gnutls_datum_t id = {NULL, 0};

		/* RFC 5246 7.4.1.3: an empty session ID, no caching */
		if (gnutls_session_get_id2(s, &id) < 0 || id.size == 0) {
			p->yes = TK_SCANHS_NO;
			why(p, "the server sent an empty session ID", NULL);
			finish(p);
			return;
		}
		take_session(p, s);
		return;
	}
	case TK_SCANHS_RESUME_TICKET:
		if ((gnutls_session_get_flags(s) &
		    GNUTLS_SFLAGS_SESSION_TICKET) == 0) {
			p->yes = TK_SCANHS_NO;
			why(p, "the server sent no session ticket (RFC 5077)",
			    NULL);
			finish(p);
			return;
		}
		take_session(p, s);
		return;
	case TK_SCANHS_RESUME_PSK:
		p->priv.phase = PH_TICKET;
		tk_loop_timer_start(p->priv.loop, &p->priv.timer,
		    bound_ms(p, TICKET_WAIT_MS));
		drive_ticket(p);
		return;
	case TK_SCANHS_RENEG:
		/* RFC 5746: did the server send renegotiation_info? */
		p->secure_reneg = gnutls_safe_renegotiation_status(s) != 0 ?
		    TK_SCANHS_YES : TK_SCANHS_NO;
		p->priv.phase = PH_RENEG;
		tk_loop_timer_start(p->priv.loop, &p->priv.timer,
		    bound_ms(p, RENEG_WAIT_MS));
		drive_reneg(p);
		return;
	}
	finish(p);
}

static void
after_second(struct tk_scanhs *p, struct tk_conn *c)
{
	const struct tk_result *r2 = p->priv.r2;
	gnutls_session_t s;

	if (!r2->handshake_done) {
		/* a full handshake would have done: the server broke it */
		p->yes = TK_SCANHS_UNKNOWN;
		why(p, "the resuming handshake failed", &r2->err);
		finish(p);
		return;
	}
	s = tk_tls_session(tk_conn_tls(c));
	p->yes = gnutls_session_is_resumed(s) != 0 ? TK_SCANHS_YES :
	    TK_SCANHS_NO;
	if (p->yes == TK_SCANHS_NO) {
		why(p, "the server answered with a full handshake", NULL);
	}
	if (p->kind == TK_SCANHS_RESUME_PSK && p->priv.cc.starttls == NULL) {
		p->early_data = (gnutls_session_get_flags(s) &
		    GNUTLS_SFLAGS_EARLY_DATA) != 0 ? TK_SCANHS_YES :
		    TK_SCANHS_NO;
		if (p->yes == TK_SCANHS_YES &&
		    p->early_data == TK_SCANHS_NO) {
			/* GnuTLS offers none when the ticket allows none */
			why(p, "resumed without 0-RTT: the ticket allowed no "
			    "early data, or the server refused it", NULL);
		}
	}
	finish(p);
}

static void
on_conn(struct tk_conn *c, void *arg)
{
	struct tk_scanhs *p = arg;

	switch ((enum phase)p->priv.phase) {
	case PH_FIRST:
		after_first(p, c);
		return;
	case PH_SECOND:
		after_second(p, c);
		return;
	case PH_SIG:
		sig_round(p, c, p->priv.r2);
		return;
	case PH_TICKET:
	case PH_RENEG:
	case PH_DONE:
		break;
	}
	finish(p);
}

static void
start_conn(struct tk_scanhs *p, struct tk_result *r)
{
	struct tk_conn_conf cc = p->priv.cc;
	struct tk_err e;

	tk_err_clear(&e);
	cc.priority = p->priv.prio;
	cc.alpn = NULL;
	/* the probe owns the session after the handshake */
	cc.check_injection = false;
	cc.starttls_after = false;
	cc.no_tickets = p->kind == TK_SCANHS_RESUME_ID;
	if (p->kind == TK_SCANHS_CERT) {
		cc.no_sni = cc.no_sni || p->priv.conf.no_sni;
	} else if (r == &p->r) {
		/* the chain is the CERT probes' matter: keep the session
		 * whatever it is (verdict skipped) */
		cc.insecure = true;
	} else {
		cc.no_verify = true;
	}
	if (p->priv.phase == PH_SECOND) {
		cc.resume = &p->priv.session;
		if (p->kind == TK_SCANHS_RESUME_PSK && cc.starttls == NULL) {
			cc.early_data = true;
			cc.early = early_bytes;
			cc.early_len = sizeof(early_bytes) - 1;
		}
	}
	p->priv.conn = tk_conn_new(p->priv.loop, &cc, r, on_conn, p, &e);
	if (p->priv.conn == NULL) {
		r->err = e;
		r->cls = e.cls;
		if (r != &p->r) {
			p->r.err = e;
			p->r.cls = e.cls;
		}
		why(p, "cannot start a connection", &e);
		finish(p);
		return;
	}
	p->connections++;
	tk_conn_start(p->priv.conn);
}

int
tk_scanhs_start(struct tk_scanhs *p, struct tk_loop *loop,
    const struct tk_scanhs_conf *conf, void (*done)(void *arg), void *arg,
    struct tk_err *err)
{
	memset(p, 0, sizeof(*p));
	p->kind = conf->kind;
	p->yes = TK_SCANHS_UNKNOWN;
	p->early_data = TK_SCANHS_UNKNOWN;
	p->secure_reneg = TK_SCANHS_UNKNOWN;
	p->ems = TK_SCANHS_UNKNOWN;
	p->etm = TK_SCANHS_UNKNOWN;
	p->priv.loop = loop;
	p->priv.conf = *conf;
	p->priv.cc = *conf->cc;
	p->priv.conf.cc = &p->priv.cc;
	p->priv.phase = PH_FIRST;
	p->priv.offered = (1ul << NSIGALGS) - 1;
	tk_timer_init(&p->priv.timer, on_timer, p);
	tk_result_init(&p->r, conf->tool, conf->target);
	if (tk_scanhs_priority(conf->kind, conf->key, p->priv.offered,
	    p->priv.prio, sizeof(p->priv.prio), err) < 0) {
		p->priv.over = true;
		return -1;
	}
	if (conf->kind == TK_SCANHS_RESUME_PSK && conf->cc->starttls != NULL) {
		/* early data would be a command of the dialogue */
		snprintf(p->why, sizeof(p->why), "0-RTT is not tried after "
		    "STARTTLS");
	}
	/* done runs only after this */
	p->priv.done = done;
	p->priv.arg = arg;
	start_conn(p, &p->r);
	return 0;
}

void
tk_scanhs_release(struct tk_scanhs *p)
{
	if (p == NULL) {
		return;
	}
	p->priv.over = true;
	stop(p);
	tk_result_release(&p->r);
}
