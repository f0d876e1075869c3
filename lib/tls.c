#include "tls.h"

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "banned.h"

struct tk_tls {
	gnutls_session_t s;
	struct tk_creds *creds;  /* one reference held */
	struct tk_err err;
	bool server;
	bool handshake_done;
	bool write_again;        /* a send returned AGAIN: finish it first */
	bool bye_sent;
	int fatal_alert;         /* received, or -1 */
	char last_alert[64];
	int (*verify_peer)(gnutls_session_t s, void *arg);
	void *verify_arg;
	void (*client_hello)(const unsigned char *msg, size_t len, void *arg);
	void *client_hello_arg;
	int fd;
	/* the peer's first bytes, kept for the diagnosis of a plaintext
	 * answer (tk_tls_first_bytes()) */
	unsigned char first[TK_TLS_FIRST_MAX];
	size_t nfirst;
};

/*
 * GnuTLS's pull, as its default one over the fd, keeping a copy of the
 * first TK_TLS_FIRST_MAX bytes the peer sent.
 */
static ssize_t
pull(gnutls_transport_ptr_t p, void *buf, size_t len)
{
	struct tk_tls *t = p;
	ssize_t n = read(t->fd, buf, len);

	if (n < 0) {
		gnutls_transport_set_errno(t->s, errno);
	} else if (n > 0 && t->nfirst < sizeof(t->first)) {
		size_t k = sizeof(t->first) - t->nfirst;

		if (k > (size_t)n) {
			k = (size_t)n;
		}
		memcpy(t->first + t->nfirst, buf, k);
		t->nfirst += k;
	}
	return n;
}

/* GnuTLS asks whether data waits; ms is 0 on a non-blocking session. */
static int
pull_timeout(gnutls_transport_ptr_t p, unsigned int ms)
{
	struct tk_tls *t = p;
	struct pollfd pfd = {t->fd, POLLIN, 0};
	int rc = poll(&pfd, 1, ms == GNUTLS_INDEFINITE_TIMEOUT ? -1 :
	    (int)ms);

	if (rc < 0) {
		gnutls_transport_set_errno(t->s, errno);
	}
	return rc;
}

/*
 * GnuTLS's certificate verify hook (on the shared credentials): runs the
 * session's own verify_peer, if any.  Negative refuses the certificate.
 */
static int
verify_hook(gnutls_session_t s)
{
	struct tk_tls *t = gnutls_session_get_ptr(s);

	if (t == NULL || t->verify_peer == NULL) {
		return 0;
	}
	return t->verify_peer(s, t->verify_arg) != 0 ? -1 : 0;
}

/* GnuTLS's handshake hook: the ClientHello to the server's caller. */
static int
hello_hook(gnutls_session_t s, unsigned htype, unsigned when,
    unsigned incoming, const gnutls_datum_t *msg)
{
	struct tk_tls *t = gnutls_session_get_ptr(s);

	(void)when;
	if (t != NULL && t->client_hello != NULL && incoming &&
	    htype == GNUTLS_HANDSHAKE_CLIENT_HELLO && msg != NULL) {
		t->client_hello(msg->data, msg->size, t->client_hello_arg);
	}
	return 0;
}

/* ALPN lists */

void
tk_alpn_clear(struct tk_alpn *a)
{
	for (size_t i = 0; i < a->n; i++) {
		free(a->names[i]);
	}
	free(a->names);
	a->names = NULL;
	a->n = 0;
}

int
tk_alpn_parse(const char *list, struct tk_alpn *out, struct tk_err *err)
{
	const char *p = list;
	size_t wire = 0;

	out->names = NULL;
	out->n = 0;
	if (*list == '\0') {
		return tk_err_set(err, TK_USAGE, "options",
		    "empty ALPN protocol list");
	}
	for (;;) {
		size_t len = strcspn(p, ",");
		char **grown;

		if (len == 0) {
			tk_alpn_clear(out);
			return tk_err_set(err, TK_USAGE, "options",
			    "empty protocol name in ALPN list '%.64s'", list);
		}
		if (len > TK_ALPN_NAME_MAX) {
			tk_alpn_clear(out);
			return tk_err_set(err, TK_USAGE, "options",
			    "ALPN protocol name of %zu bytes (at most %d, RFC "
			    "7301)", len, TK_ALPN_NAME_MAX);
		}
		for (size_t i = 0; i < len; i++) {
			unsigned char c = (unsigned char)p[i];

			if (c <= 0x20 || c >= 0x7f) {
				tk_alpn_clear(out);
				return tk_err_set(err, TK_USAGE, "options",
				    "bad character 0x%02x in ALPN protocol "
				    "name", c);
			}
		}
		for (size_t i = 0; i < out->n; i++) {
			if (strlen(out->names[i]) == len &&
			    memcmp(out->names[i], p, len) == 0) {
				tk_alpn_clear(out);
				return tk_err_set(err, TK_USAGE, "options",
				    "ALPN protocol '%.*s' listed twice",
				    (int)len, p);
			}
		}
		wire += len + 1;
		if (wire > TK_ALPN_WIRE_MAX - 2) {
			tk_alpn_clear(out);
			return tk_err_set(err, TK_USAGE, "options",
			    "ALPN list longer than %d bytes on the wire "
			    "(RFC 7301)", TK_ALPN_WIRE_MAX);
		}
		grown = realloc(out->names, (out->n + 1) * sizeof(char *));
		if (grown == NULL) {
			tk_alpn_clear(out);
			return tk_err_set(err, TK_INTERNAL, "options",
			    "out of memory");
		}
		out->names = grown;
		out->names[out->n] = strndup(p, len);
		if (out->names[out->n] == NULL) {
			tk_alpn_clear(out);
			return tk_err_set(err, TK_INTERNAL, "options",
			    "out of memory");
		}
		out->n++;
		p += len;
		if (*p == '\0') {
			break;
		}
		p++;
		if (*p == '\0') {
			tk_alpn_clear(out);
			return tk_err_set(err, TK_USAGE, "options",
			    "empty protocol name in ALPN list '%.64s'", list);
		}
	}
	return 0;
}

int
tk_alpn_check_gnutls(const struct tk_alpn *a, struct tk_err *err)
{
	if (a->n > TK_ALPN_GNUTLS_MAX) {
		return tk_err_set(err, TK_USAGE, "options",
		    "GnuTLS offers at most %d ALPN protocols in one handshake "
		    "(%zu given)", TK_ALPN_GNUTLS_MAX, a->n);
	}
	for (size_t i = 0; i < a->n; i++) {
		if (strlen(a->names[i]) > TK_ALPN_GNUTLS_NAME_MAX) {
			return tk_err_set(err, TK_USAGE, "options",
			    "GnuTLS takes ALPN names of at most %d bytes: "
			    "'%.40s...'", TK_ALPN_GNUTLS_NAME_MAX,
			    a->names[i]);
		}
	}
	return 0;
}

/* Versions and priorities */

static const struct {
	const char *name;
	int v;
} versions[] = {
	{"1.0", 10}, {"1.1", 11}, {"1.2", 12}, {"1.3", 13},
	{"tls1.0", 10}, {"tls1.1", 11}, {"tls1.2", 12}, {"tls1.3", 13},
	{"tlsv1.0", 10}, {"tlsv1.1", 11}, {"tlsv1.2", 12}, {"tlsv1.3", 13},
	{"tls1", 10}, {"tlsv1", 10},
};

int
tk_tls_version_parse(const char *s, int *out, struct tk_err *err)
{
	char low[16];
	size_t n = strlen(s);

	if (n >= sizeof(low)) {
		return tk_err_set(err, TK_USAGE, "options",
		    "unknown TLS version '%.32s' (use 1.0, 1.1, 1.2 or 1.3)",
		    s);
	}
	for (size_t i = 0; i <= n; i++) {
		low[i] = (char)tolower((unsigned char)s[i]);
	}
	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		if (strcmp(low, versions[i].name) == 0) {
			*out = versions[i].v;
			return 0;
		}
	}
	if (strstr(low, "ssl") != NULL || strcmp(low, "2") == 0 ||
	    strcmp(low, "3") == 0 || strcmp(low, "3.0") == 0) {
		return tk_err_set(err, TK_USAGE, "options",
		    "SSL 2.0 and 3.0 are not supported: they are broken and "
		    "prohibited (RFC 6176, RFC 7568); use 1.0 to 1.3");
	}
	return tk_err_set(err, TK_USAGE, "options",
	    "unknown TLS version '%s' (use 1.0, 1.1, 1.2 or 1.3)", s);
}

int
tk_tls_priority(char *buf, size_t len, const char *base, int minv, int maxv,
    struct tk_err *err)
{
	gnutls_priority_t p;
	const char *errpos = NULL;
	size_t used;
	int rc;

	if (base == NULL || *base == '\0') {
		base = "NORMAL";
	}
	if (minv != 0 && maxv != 0 && minv > maxv) {
		return tk_err_set(err, TK_USAGE, "options",
		    "--min-version 1.%d is above --max-version 1.%d",
		    minv - 10, maxv - 10);
	}
	used = (size_t)snprintf(buf, len, "%s", base);
	if (minv != 0 || maxv != 0) {
		int lo = minv ? minv : 10, hi = maxv ? maxv : 13;

		used += (size_t)snprintf(buf + used, used < len ? len - used : 0,
		    ":-VERS-ALL");
		for (int v = lo; v <= hi; v++) {
			used += (size_t)snprintf(buf + used,
			    used < len ? len - used : 0, ":+VERS-TLS1.%d",
			    v - 10);
		}
	}
	if (used >= len) {
		return tk_err_set(err, TK_USAGE, "options",
		    "priority string too long");
	}
	rc = gnutls_priority_init(&p, buf, &errpos);
	if (rc < 0) {
		return tk_err_set(err, TK_USAGE, "options",
		    "bad priority string '%s' at '%.40s': %s", base,
		    errpos != NULL ? errpos : "", gnutls_strerror(rc));
	}
	gnutls_priority_deinit(p);
	return 0;
}

/* Sessions */

static void
log_to_stderr(int level, const char *msg)
{
	fprintf(stderr, "gnutls[%d]: %s", level, msg);
}

void
tk_tls_set_debug(int level)
{
	if (level > 0) {
		gnutls_global_set_log_function(log_to_stderr);
	}
	gnutls_global_set_log_level(level);
}

struct tk_tls *
tk_tls_new(int fd, const struct tk_tls_conf *conf, struct tk_creds *creds,
    struct tk_err *err)
{
	struct tk_tls *t;
	const char *errpos = NULL;
	unsigned flags;
	int rc;

	t = calloc(1, sizeof(*t));
	if (t == NULL) {
		tk_err_sys(err, TK_INTERNAL, "handshake", "out of memory");
		return NULL;
	}
	t->server = conf->server;
	t->fatal_alert = -1;
	flags = (conf->server ? GNUTLS_SERVER : GNUTLS_CLIENT) |
	    GNUTLS_NONBLOCK | GNUTLS_NO_SIGNAL;
	if (conf->no_tickets) {
		flags |= GNUTLS_NO_TICKETS;
	}
	if (conf->early_data) {
		flags |= GNUTLS_ENABLE_EARLY_DATA;
	}
	rc = gnutls_init(&t->s, flags);
	if (rc < 0) {
		tk_err_set(err, TK_INTERNAL, "handshake",
		    "cannot create TLS session: %s", gnutls_strerror(rc));
		free(t);
		return NULL;
	}
	t->creds = tk_creds_ref(creds);
	if (conf->priority_cache != NULL) {
		rc = gnutls_priority_set(t->s, conf->priority_cache);
	} else {
		rc = gnutls_priority_set_direct(t->s,
		    conf->priority != NULL ? conf->priority : "NORMAL",
		    &errpos);
	}
	if (rc < 0) {
		tk_err_set(err, TK_USAGE, "handshake",
		    "bad priority string at '%.40s': %s",
		    errpos != NULL ? errpos : "", gnutls_strerror(rc));
		goto fail;
	}
	rc = gnutls_credentials_set(t->s, GNUTLS_CRD_CERTIFICATE,
	    tk_creds_gnutls(creds));
	if (rc < 0) {
		tk_err_set(err, TK_INTERNAL, "handshake",
		    "cannot set credentials: %s", gnutls_strerror(rc));
		goto fail;
	}
	if (!conf->server && conf->sni != NULL && *conf->sni != '\0') {
		rc = gnutls_server_name_set(t->s, GNUTLS_NAME_DNS, conf->sni,
		    strlen(conf->sni));
		if (rc < 0) {
			tk_err_set(err, TK_USAGE, "handshake",
			    "cannot send SNI '%s': %s", conf->sni,
			    gnutls_strerror(rc));
			goto fail;
		}
	}
	if (conf->alpn != NULL && conf->alpn->n > 0) {
		gnutls_datum_t protos[TK_ALPN_GNUTLS_MAX];
		unsigned aflags = 0;

		if (tk_alpn_check_gnutls(conf->alpn, err) < 0) {
			goto fail;
		}
		for (size_t i = 0; i < conf->alpn->n; i++) {
			protos[i].data = (unsigned char *)conf->alpn->names[i];
			protos[i].size = (unsigned)strlen(conf->alpn->names[i]);
		}
		if (conf->server) {
			aflags |= GNUTLS_ALPN_SERVER_PRECEDENCE;
			if (conf->alpn_mandatory) {
				aflags |= GNUTLS_ALPN_MANDATORY;
			}
		}
		rc = gnutls_alpn_set_protocols(t->s, protos,
		    (unsigned)conf->alpn->n, aflags);
		if (rc < 0) {
			tk_err_set(err, TK_USAGE, "handshake",
			    "cannot set ALPN protocols: %s",
			    gnutls_strerror(rc));
			goto fail;
		}
	}
	if (!conf->server && conf->resume != NULL) {
		rc = gnutls_session_set_data(t->s, conf->resume->data,
		    conf->resume->size);
		if (rc < 0) {
			tk_err_set(err, TK_INTERNAL, "handshake",
			    "cannot set the session to resume: %s",
			    gnutls_strerror(rc));
			goto fail;
		}
	}
	/* only as much as the ticket allows (RFC 8446 4.6.1): GnuTLS
	 * refuses more; none at all is no 0-RTT offer, not an error */
	if (!conf->server && conf->early != NULL && conf->early_len > 0 &&
	    conf->early_len <= gnutls_record_get_max_early_data_size(t->s)) {
		/* buffered until the ClientHello goes out: no I/O here */
		(void)gnutls_record_send_early_data(t->s, conf->early,
		    conf->early_len);
	}
	if (conf->server) {
		gnutls_session_set_ptr(t->s, t);
		t->client_hello = conf->client_hello;
		t->client_hello_arg = conf->client_hello_arg;
		if (conf->client_hello != NULL) {
			gnutls_handshake_set_hook_function(t->s,
			    GNUTLS_HANDSHAKE_CLIENT_HELLO, GNUTLS_HOOK_PRE,
			    hello_hook);
		}
		switch (conf->client_cert) {
		case TK_CLIENT_CERT_IGNORE:
			break;
		case TK_CLIENT_CERT_REQUEST:
			gnutls_certificate_server_set_request(t->s,
			    GNUTLS_CERT_REQUEST);
			break;
		case TK_CLIENT_CERT_REQUIRE:
			gnutls_certificate_server_set_request(t->s,
			    GNUTLS_CERT_REQUIRE);
			/* an untrusted certificate fails the handshake, judged
			 * by the caller's engine */
			t->verify_peer = conf->verify_peer;
			t->verify_arg = conf->verify_arg;
			gnutls_certificate_set_verify_function(
			    tk_creds_gnutls(creds), verify_hook);
			break;
		}
		/*
		 * Send no list of acceptable CA names: clients then present
		 * whatever certificate they have, and the server says why it
		 * is refused instead of seeing none.
		 */
		gnutls_certificate_send_x509_rdn_sequence(t->s, 1);
	}
	gnutls_handshake_set_timeout(t->s, 0);
	/* GnuTLS's own push (MSG_NOSIGNAL) on the fd; our pull on t */
	t->fd = fd;
	gnutls_transport_set_ptr2(t->s, t,
	    (gnutls_transport_ptr_t)(intptr_t)fd);
	gnutls_transport_set_pull_function(t->s, pull);
	gnutls_transport_set_pull_timeout_function(t->s, pull_timeout);
	return t;
fail:
	tk_tls_free(t);
	return NULL;
}

void
tk_tls_free(struct tk_tls *t)
{
	if (t == NULL) {
		return;
	}
	gnutls_deinit(t->s);
	tk_creds_unref(t->creds);
	free(t);
}

static const char *
alert_name(gnutls_session_t s)
{
	const char *n = gnutls_alert_get_name(gnutls_alert_get(s));

	return n != NULL ? n : "unknown";
}

/*
 * Plain words for the GnuTLS codes users meet most; GnuTLS's own message
 * follows in parentheses, never alone.
 */
static void
set_fatal(struct tk_tls *t, int rc, const char *step, int saved_errno)
{
	struct tk_err *e = &t->err;
	bool hs = !t->handshake_done;
	enum tk_class cls = hs ? TK_TLS : TK_NET;
	const char *peer = t->server ? "client" : "server";

	switch (rc) {
	case GNUTLS_E_FATAL_ALERT_RECEIVED: {
		gnutls_alert_description_t a = gnutls_alert_get(t->s);

		t->fatal_alert = (int)a;
		if (a == GNUTLS_A_CERTIFICATE_REQUIRED ||
		    (!t->server && !hs && a == GNUTLS_A_HANDSHAKE_FAILURE)) {
			/* TLS 1.3 servers refuse the client's (missing)
			 * certificate after the client thinks it is done */
			tk_err_set(e, TK_TLS, "handshake",
			    "the %s refused the session: alert '%s'%s", peer,
			    alert_name(t->s),
			    a == GNUTLS_A_CERTIFICATE_REQUIRED ?
			    " (a client certificate is required)" : "");
		} else if (a == GNUTLS_A_NO_APPLICATION_PROTOCOL) {
			tk_err_set(e, TK_TLS, step,
			    "no ALPN protocol in common: the %s sent alert "
			    "'%s'", peer, alert_name(t->s));
		} else {
			tk_err_set(e, TK_TLS, hs ? step : "handshake",
			    "the %s sent fatal alert '%s'", peer,
			    alert_name(t->s));
		}
		break;
	}
	case GNUTLS_E_PREMATURE_TERMINATION:
	case GNUTLS_E_UNEXPECTED_PACKET_LENGTH:
		tk_err_set(e, cls, step, "the %s closed the connection %s",
		    peer, hs ? "during the handshake" :
		    "without close_notify");
		break;
	case GNUTLS_E_PULL_ERROR:
	case GNUTLS_E_PUSH_ERROR:
		errno = saved_errno;
		if (saved_errno != 0) {
			tk_err_sys(e, cls, step, "connection to the %s failed",
			    peer);
		} else {
			tk_err_set(e, cls, step,
			    "connection to the %s failed", peer);
		}
		break;
	case GNUTLS_E_NO_APPLICATION_PROTOCOL:
		tk_err_set(e, TK_TLS, step,
		    "no ALPN protocol in common with the %s", peer);
		break;
	case GNUTLS_E_UNSUPPORTED_VERSION_PACKET:
		tk_err_set(e, TK_TLS, step,
		    "no TLS version in common with the %s (%s)", peer,
		    gnutls_strerror(rc));
		break;
	case GNUTLS_E_NO_CIPHER_SUITES:
	case GNUTLS_E_UNKNOWN_CIPHER_SUITE:
	case GNUTLS_E_INSUFFICIENT_CREDENTIALS:
		tk_err_set(e, TK_TLS, step,
		    "no cipher suite in common with the %s (%s)", peer,
		    gnutls_strerror(rc));
		break;
	case GNUTLS_E_NO_COMMON_KEY_SHARE:
		tk_err_set(e, TK_TLS, step,
		    "no key-exchange group in common with the %s (%s)", peer,
		    gnutls_strerror(rc));
		break;
	case GNUTLS_E_NO_CERTIFICATE_FOUND:
	case GNUTLS_E_CERTIFICATE_REQUIRED:
		tk_err_set(e, TK_TLS, step, t->server ?
		    "the client sent no certificate, and one is required" :
		    "the server sent no certificate (%s)",
		    gnutls_strerror(rc));
		break;
	case GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR:
	case GNUTLS_E_CERTIFICATE_ERROR:
		tk_err_set(e, TK_TLS, step, "the %s's certificate was "
		    "refused (%s)", peer, gnutls_strerror(rc));
		break;
	default:
		tk_err_set(e, hs ? TK_TLS : cls, step, "TLS error with the "
		    "%s: %s", peer, gnutls_strerror(rc));
		break;
	}
	e->gnutls_rc = rc;
}

/*
 * The one place every blocking-capable GnuTLS call returns through:
 * AGAIN/INTERRUPTED become a WANT code from the record direction, warning
 * alerts are noted and retried (rc 1 asks the caller to retry), anything
 * fatal becomes t->err.
 */
static int
map_rc(struct tk_tls *t, int rc, const char *step, int saved_errno)
{
	if (rc >= 0) {
		return rc;
	}
	if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) {
		return gnutls_record_get_direction(t->s) == 0 ? TK_WANT_READ :
		    TK_WANT_WRITE;
	}
	if (rc == GNUTLS_E_WARNING_ALERT_RECEIVED) {
		snprintf(t->last_alert, sizeof(t->last_alert), "%s",
		    alert_name(t->s));
		return 1;
	}
	if (rc == GNUTLS_E_REHANDSHAKE || rc == GNUTLS_E_GOT_APPLICATION_DATA) {
		/* renegotiation is refused by ignoring it; keep going */
		return 1;
	}
	if (!gnutls_error_is_fatal(rc)) {
		return 1;
	}
	set_fatal(t, rc, step, saved_errno);
	if (!t->handshake_done && rc != GNUTLS_E_FATAL_ALERT_RECEIVED &&
	    rc != GNUTLS_E_PREMATURE_TERMINATION && rc != GNUTLS_E_PULL_ERROR &&
	    rc != GNUTLS_E_PUSH_ERROR) {
		/* tell the peer why (GnuTLS leaves this to the caller) */
		(void)gnutls_alert_send_appropriate(t->s, rc);
	}
	return -1;
}

#define TK_RETRY_MAX 64  /* non-fatal codes in a row before giving up */

/*
 * A peer that rejects us after its side of the handshake (TLS 1.3 client
 * certificate checks, say) sends a fatal alert and closes; our next write
 * then fails with EPIPE while the alert waits unread in the socket.  The
 * alert is the real reason, so read it before reporting the broken pipe.
 * Returns true when an alert was found and recorded as the error.
 */
static bool
reap_alert(struct tk_tls *t)
{
	char sink[512];

	for (int i = 0; i < 4; i++) {
		ssize_t rc = gnutls_record_recv(t->s, sink, sizeof(sink));

		if (rc == GNUTLS_E_FATAL_ALERT_RECEIVED) {
			set_fatal(t, (int)rc, "read", 0);
			return true;
		}
		if (rc <= 0 && rc != GNUTLS_E_WARNING_ALERT_RECEIVED) {
			return false;
		}
	}
	return false;
}

int
tk_tls_handshake(struct tk_tls *t)
{
	for (int i = 0; i < TK_RETRY_MAX; i++) {
		int rc, r;

		errno = 0;
		rc = gnutls_handshake(t->s);
		r = map_rc(t, rc, "handshake", errno);
		if (r == 0) {
			t->handshake_done = true;
			return 0;
		}
		if (r != 1) {
			return r;
		}
	}
	return tk_err_set(&t->err, TK_TLS, "handshake",
	    "too many warning alerts during the handshake");
}

int
tk_tls_rehandshake(struct tk_tls *t)
{
	for (int i = 0; i < TK_RETRY_MAX; i++) {
		int rc, r;

		errno = 0;
		rc = gnutls_handshake(t->s);
		if (rc == GNUTLS_E_WARNING_ALERT_RECEIVED &&
		    gnutls_alert_get(t->s) == GNUTLS_A_NO_RENEGOTIATION) {
			snprintf(t->last_alert, sizeof(t->last_alert), "%s",
			    alert_name(t->s));
			tk_err_set(&t->err, TK_TLS, "renegotiation",
			    "the server refused renegotiation: alert '%s'",
			    alert_name(t->s));
			t->err.gnutls_rc = rc;
			return -1;
		}
		r = map_rc(t, rc, "renegotiation", errno);
		if (r != 1) {
			return r;
		}
	}
	return tk_err_set(&t->err, TK_TLS, "renegotiation",
	    "too many warning alerts during the renegotiation");
}

ssize_t
tk_tls_read(struct tk_tls *t, void *buf, size_t len)
{
	for (int i = 0; i < TK_RETRY_MAX; i++) {
		ssize_t rc;
		int r;

		errno = 0;
		rc = gnutls_record_recv(t->s, buf, len);
		if (rc >= 0) {
			return rc;
		}
		r = map_rc(t, (int)rc, "read", errno);
		if (r != 1) {
			return r;
		}
	}
	return tk_err_set(&t->err, TK_TLS, "read",
	    "too many warning alerts or renegotiation requests");
}

ssize_t
tk_tls_write(struct tk_tls *t, const void *buf, size_t len)
{
	for (int i = 0; i < TK_RETRY_MAX; i++) {
		ssize_t rc;
		int r;

		errno = 0;
		/* gnutls_record_send doc: after AGAIN, NULL/0 resumes */
		rc = t->write_again ? gnutls_record_send(t->s, NULL, 0) :
		    gnutls_record_send(t->s, buf, len);
		if (rc >= 0) {
			t->write_again = false;
			return rc;
		}
		if (rc == GNUTLS_E_PUSH_ERROR && reap_alert(t)) {
			return -1;
		}
		r = map_rc(t, (int)rc, "write", errno);
		if (r == TK_WANT_READ || r == TK_WANT_WRITE) {
			t->write_again = true;
			return r;
		}
		if (r != 1) {
			return r;
		}
	}
	return tk_err_set(&t->err, TK_TLS, "write",
	    "too many warning alerts");
}

int
tk_tls_bye(struct tk_tls *t, bool wait_peer)
{
	int rc;

	errno = 0;
	rc = gnutls_bye(t->s, wait_peer ? GNUTLS_SHUT_RDWR : GNUTLS_SHUT_WR);
	if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) {
		return map_rc(t, rc, "close", errno);
	}
	if (rc < 0) {
		/* the peer's own close or reset after our close_notify */
		if (rc == GNUTLS_E_PUSH_ERROR && reap_alert(t)) {
			return -1;
		}
		if (rc == GNUTLS_E_PREMATURE_TERMINATION ||
		    rc == GNUTLS_E_PUSH_ERROR || rc == GNUTLS_E_PULL_ERROR) {
			return 0;
		}
		return map_rc(t, rc, "close", errno) == 1 ? 0 : -1;
	}
	return 0;
}

const char *
tk_tls_alert_code(int desc, char *buf, size_t len)
{
	const char *n = gnutls_alert_get_strname(
	    (gnutls_alert_description_t)desc);
	size_t i;

	if (len == 0) {
		return buf;
	}
	if (n == NULL) {
		snprintf(buf, len, "alert_%d", desc);
		return buf;
	}
	if (strncmp(n, "GNUTLS_A_", 9) == 0) {
		n += 9;   /* GnuTLS's enum name: the RFC's name follows */
	}
	for (i = 0; n[i] != '\0' && i + 1 < len; i++) {
		buf[i] = (char)tolower((unsigned char)n[i]);
	}
	buf[i] = '\0';
	return buf;
}

void
tk_tls_alert(struct tk_tls *t, gnutls_alert_description_t desc)
{
	(void)gnutls_alert_send(t->s, GNUTLS_AL_FATAL, desc);
}

bool
tk_tls_pending(const struct tk_tls *t)
{
	return gnutls_record_check_pending(t->s) > 0;
}

bool
tk_tls_handshake_done(const struct tk_tls *t)
{
	return t->handshake_done;
}

size_t
tk_tls_first_bytes(struct tk_tls *t, const unsigned char **buf)
{
	/* GnuTLS stops at a bad record header (5 bytes): take what else
	 * is already waiting, without blocking (the fd is non-blocking) */
	if (t->nfirst > 0 && t->nfirst < sizeof(t->first)) {
		ssize_t n = read(t->fd, t->first + t->nfirst,
		    sizeof(t->first) - t->nfirst);

		if (n > 0) {
			t->nfirst += (size_t)n;
		}
	}
	*buf = t->first;
	return t->nfirst;
}

const struct tk_err *
tk_tls_error(const struct tk_tls *t)
{
	return &t->err;
}

gnutls_session_t
tk_tls_session(const struct tk_tls *t)
{
	return t->s;
}

void
tk_tls_info(const struct tk_tls *t, struct tk_tls_info *info)
{
	gnutls_datum_t proto;
	const char *n;

	memset(info, 0, sizeof(*info));
	n = gnutls_protocol_get_name(gnutls_protocol_get_version(t->s));
	snprintf(info->version, sizeof(info->version), "%s", n ? n : "");
	n = gnutls_ciphersuite_get(t->s);
	snprintf(info->cipher, sizeof(info->cipher), "%s", n ? n : "");
	n = gnutls_group_get_name(gnutls_group_get(t->s));
	snprintf(info->group, sizeof(info->group), "%s", n ? n : "");
	if (gnutls_protocol_get_version(t->s) == GNUTLS_TLS1_3) {
		/* TLS 1.3 suites name no key exchange: it is the group's */
		snprintf(info->kx, sizeof(info->kx), "%s",
		    strncmp(info->group, "FFDHE", 5) == 0 ? "DHE" : "ECDHE");
	} else {
		n = gnutls_kx_get_name(gnutls_kx_get(t->s));
		snprintf(info->kx, sizeof(info->kx), "%s", n ? n : "");
	}
	if (gnutls_alpn_get_selected_protocol(t->s, &proto) == 0 &&
	    proto.size <= TK_ALPN_NAME_MAX) {
		memcpy(info->alpn, proto.data, proto.size);
		info->alpn[proto.size] = '\0';
		info->alpn_negotiated = true;
	}
	info->resumed = gnutls_session_is_resumed(t->s) != 0;
	if (!t->server) {
		info->client_cert_requested =
		    gnutls_certificate_client_get_request_status(t->s) != 0;
	}
	{
		unsigned n_peers = 0;

		info->peer_sent_cert = gnutls_certificate_get_peers(t->s,
		    &n_peers) != NULL && n_peers > 0;
	}
	snprintf(info->last_alert, sizeof(info->last_alert), "%s",
	    t->last_alert);
	info->fatal_alert = t->fatal_alert;
}
