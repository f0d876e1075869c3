#include "opts.h"

#include <errno.h>
#include <getopt.h>
#include <gnutls/gnutls.h>
#include <math.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "resolve.h"
#include "starttls.h"
#include "starttls_srv.h"

#include "banned.h"

#define OFF(field) offsetof(struct tk_settings, field)

static const char *const color_choices[] = {"auto", "always", "never", NULL};
static const char *const profile_choices[] = {"auto", "web", "rfc5280",
    NULL};

#define CL TK_TOOLS_CLIENT
#define ALL TK_TOOLS_ALL
#define SRV TK_TOOL_ECHO_SERVER
#define ECL TK_TOOL_ECHO_CLIENT
#define CHK TK_TOOL_CHECK_CERT
#define APR TK_TOOL_ALPN_PROBE
#define STL TK_TOOL_STARTTLS
#define SCN TK_TOOL_SCAN

/* Sorted by long name: a unit test checks it (bsearch relies on it). */
const struct tk_opt tk_opts[] = {
	{"all-addresses", 0, TK_ARG_NONE, CHK, NULL,
	    "check every address the name resolves to (IPv4 and IPv6); "
	    "different certificates or a failing address fail the check",
	    OFF(all_addresses), 0, 0, NULL, false, false},
	{"alpn", 0, TK_ARG_STRING, ALL, "LIST",
	    "comma-separated ALPN protocols to offer (client) or select "
	    "from, in preference order (server)", OFF(alpn), 0, 0, NULL,
	    false, false},
	{"alpn-optional", 0, TK_ARG_NONE, SRV, NULL,
	    "go on without ALPN when the client offers none of --alpn "
	    "(default: refuse with no_application_protocol)",
	    OFF(alpn_optional), 0, 0, NULL, false, false},
	{"at", 0, TK_ARG_STRING, CHK | STL, "TIME",
	    "check validity at TIME instead of now (ISO 8601, e.g. "
	    "2030-01-31 or 2030-01-31T12:00:00Z, or @EPOCH)", OFF(at), 0, 0,
	    NULL, false, false},
	{"ca", 0, TK_ARG_PATH, ALL, "FILE|DIR",
	    "trust anchors (PEM file or directory; repeatable); replaces "
	    "the system store unless --system-trust", OFF(ca), 0, 0, NULL,
	    true, false},
	{"cacert", 0, TK_ARG_PATH, ALL, "FILE|DIR",
	    "the same as --ca (curl's name for it)", OFF(ca), 0, 0, NULL,
	    true, false},
	{"cert", 0, TK_ARG_FILE, ALL, "FILE",
	    "own certificate chain (PEM); may also hold the key",
	    OFF(cert), 0, 0, NULL, false, false},
	{"check-injection", 0, TK_ARG_NONE, STL, NULL,
	    "send a harmless command in the same packet as STARTTLS; exit 1 "
	    "if the server answers it inside TLS (CVE-2011-0411)",
	    OFF(check_injection), 0, 0, NULL, false, false},
	{"color", 0, TK_ARG_CHOICE, ALL, "WHEN",
	    "colour: auto (a terminal without NO_COLOR), always, never",
	    OFF(color), 0, 0, color_choices, false, false},
	{"connections", 0, TK_ARG_UINT, ECL, "C",
	    "load mode: C connections at once, each a full handshake then "
	    "--size blocks echoed (or none with --handshake-only), again "
	    "until --duration ends", OFF(connections), 1, 100000, NULL,
	    false, false},
	{"count", 'n', TK_ARG_UINT, ECL, "N",
	    "load mode: send N blocks of --size bytes, one round trip each, "
	    "and report throughput and round-trip percentiles", OFF(count),
	    1, 1e9, NULL, false, false},
	{"crit-days", 'c', TK_ARG_UINT, CHK | STL | SCN, "N",
	    "fail (exit 1) when a certificate expires within N days "
	    "(default 0: off)", OFF(crit_days), 0, 100000, NULL, false,
	    false},
	{"crlf", 0, TK_ARG_NONE, ECL | STL, NULL,
	    "send each line ending in CRLF, not LF (stdin's lines, and "
	    "--message; tls-starttls: with --relay)",
	    OFF(crlf), 0, 0, NULL, false, false},
	{"deadline", 0, TK_ARG_SECONDS, CL, "SECONDS",
	    "bound on the whole run; a target still running then fails, "
	    "naming the step it was in (default: none)", OFF(deadline),
	    0.001, 86400, NULL, false, false},
	{"debug", 0, TK_ARG_UINT, ALL, "N",
	    "GnuTLS debug level (0-99), on stderr", OFF(debug), 0, 99, NULL,
	    false, false},
	{"dh-params", 0, TK_ARG_FILE, SRV, "FILE",
	    "Diffie-Hellman parameters (PEM PKCS#3) for TLS 1.2 DHE",
	    OFF(dh_params), 0, 0, NULL, false, false},
	{"duration", 0, TK_ARG_SECONDS, ECL, "SECONDS",
	    "how long --connections runs (default 10)", OFF(duration), 0.01,
	    3600, NULL, false, false},
	{"each", 0, TK_ARG_NONE, APR, NULL,
	    "offer each protocol alone and say which the server accepts "
	    "(default list: the IANA ALPN registry)", OFF(each), 0, 0, NULL,
	    false, false},
	{"ehlo-name", 0, TK_ARG_STRING, CL, "NAME",
	    "the name said in SMTP EHLO and LMTP LHLO (default: the address "
	    "literal of the local end, RFC 5321)", OFF(ehlo_name), 0, 0,
	    NULL, false, false},
	{"expect", 0, TK_ARG_STRING, APR, "PROTO",
	    "exit 1 unless the server selects PROTO for the offered list "
	    "('none': unless it negotiates no ALPN)", OFF(expect), 0, 0, NULL,
	    false, false},
	{"file", 'f', TK_ARG_FILE, CHK, "PATH",
	    "check a local chain (PEM or DER, leaf first) instead of a "
	    "server; no network", OFF(file), 0, 0, NULL, false, false},
	{"fix-chain", 0, TK_ARG_NONE, CHK, NULL,
	    "print the chain the server should send (PEM, one '#' line per "
	    "change): reordered, root and strays dropped, missing "
	    "intermediates from --intermediates, the trust store or the "
	    "AIA caIssuers URL", OFF(fix_chain), 0, 0, NULL, false, false},
	{"handshake-only", 0, TK_ARG_NONE, ECL, NULL,
	    "connect, handshake, verify and close, sending no data",
	    OFF(handshake_only), 0, 0, NULL, false, false},
	{"handshake-timeout", 0, TK_ARG_SECONDS, SRV, "SECONDS",
	    "drop a client that has not finished its handshake (and any "
	    "plaintext phase) in time (default 10)", OFF(handshake_timeout),
	    0.001, 86400, NULL, false, false},
	{"help", 'h', TK_ARG_NONE, ALL, NULL, "show this help and exit",
	    OFF(help), 0, 0, NULL, false, false},
	{"hostname", 0, TK_ARG_STRING, CL, "NAME",
	    "name to verify and to send as SNI (default: the target's host)",
	    OFF(hostname), 0, 0, NULL, false, false},
	{"http", 0, TK_ARG_NONE, SRV, NULL,
	    "answer one HTTP/1.1 request after the handshake with 200 and a "
	    "summary of the session (for curl and browsers), then close",
	    OFF(http), 0, 0, NULL, false, false},
	{"idle-timeout", 0, TK_ARG_SECONDS, SRV, "SECONDS",
	    "drop a connection idle this long (default 300)",
	    OFF(idle_timeout), 0.001, 86400, NULL, false, false},
	{"ignore", 0, TK_ARG_STRING, ALL, "CODE[,CODE]",
	    "report these finding codes as info, never failing (repeatable; "
	    "codes in FINDINGS)", OFF(ignore), 0, 0, NULL, true, false},
	{"insecure", 'k', TK_ARG_NONE, ECL | APR | STL | SCN, NULL,
	    "do not verify the server's certificate, as curl -k does (says "
	    "so on stderr)",
	    OFF(insecure), 0, 0, NULL, false, false},
	{"intermediates", 0, TK_ARG_FILE, CHK, "FILE",
	    "with --fix-chain: intermediate certificates (PEM) to fill a "
	    "chain from", OFF(intermediates), 0, 0, NULL, false, false},
	{"ipv4", '4', TK_ARG_NONE, CL, NULL, "use IPv4 addresses only",
	    OFF(ipv4), 0, 0, NULL, false, false},
	{"ipv6", '6', TK_ARG_NONE, CL, NULL, "use IPv6 addresses only",
	    OFF(ipv6), 0, 0, NULL, false, false},
	{"json", 0, TK_ARG_NONE, ALL, NULL,
	    "machine output on stdout: one JSON object per line",
	    OFF(json), 0, 0, NULL, false, false},
	{"key", 0, TK_ARG_FILE, ALL, "FILE",
	    "private key for --cert (PEM, unencrypted)", OFF(key), 0, 0,
	    NULL, false, false},
	{"list-options", 0, TK_ARG_NONE, ALL, NULL,
	    "list options for completion scripts", OFF(list_options), 0, 0,
	    NULL, false, true},
	{"listen", 'l', TK_ARG_ADDR, SRV, "ADDR:PORT",
	    "address to listen on (repeatable; [::1]:PORT for IPv6, port 0 "
	    "picks a free one; default 127.0.0.1:4433)", OFF(listen), 0, 0,
	    NULL, true, false},
	{"max-connections", 0, TK_ARG_UINT, SRV, "N",
	    "serve at most N clients at once; more are closed at accept "
	    "(default 10000)", OFF(max_connections), 1, 1000000, NULL, false,
	    false},
	{"max-per-host", 0, TK_ARG_UINT, SCN, "N",
	    "connections open at once to one host, across all targets "
	    "(default 4)", OFF(max_per_host), 1, 64, NULL, false, false},
	{"max-version", 0, TK_ARG_VERSION, ALL, "V",
	    "highest TLS version: 1.0, 1.1, 1.2 or 1.3", OFF(max_version), 0,
	    0, NULL, false, false},
	{"message", 'm', TK_ARG_STRING, ECL, "TEXT",
	    "send TEXT and a newline instead of reading stdin",
	    OFF(message), 0, 0, NULL, false, false},
	{"min-key-bits", 0, TK_ARG_UINT, CHK | STL, "BITS",
	    "smallest RSA/DSA key accepted (default 2048)",
	    OFF(min_key_bits), 512, 16384, NULL, false, false},
	{"min-version", 0, TK_ARG_VERSION, ALL, "V",
	    "lowest TLS version: 1.0, 1.1, 1.2 or 1.3", OFF(min_version), 0,
	    0, NULL, false, false},
	{"nagios", 0, TK_ARG_NONE, CHK, NULL,
	    "one monitoring-plugin status line with perfdata; exit 0 OK, 1 "
	    "WARNING, 2 CRITICAL, 3 UNKNOWN", OFF(nagios), 0, 0, NULL, false,
	    false},
	{"no-sni", 0, TK_ARG_NONE, CL, NULL, "send no server name (SNI)",
	    OFF(no_sni), 0, 0, NULL, false, false},
	{"once", 0, TK_ARG_NONE, SRV, NULL,
	    "serve one connection, then exit with its outcome",
	    OFF(once), 0, 0, NULL, false, false},
	{"order", 0, TK_ARG_NONE, APR, NULL,
	    "find the server's preference order among the accepted "
	    "protocols, and whether it honours the client's order",
	    OFF(order), 0, 0, NULL, false, false},
	{"parallel", 'j', TK_ARG_UINT, CHK | APR | STL | SCN, "N",
	    "targets checked at once (default 64)", OFF(parallel), 1, 10000,
	    NULL, false, false},
	{"pem", 0, TK_ARG_NONE, CHK, NULL,
	    "print the served chain as PEM on stdout instead of the report",
	    OFF(pem), 0, 0, NULL, false, false},
	{"priority", 0, TK_ARG_STRING, ALL, "STRING",
	    "GnuTLS priority string for ciphers, groups and signatures "
	    "(default NORMAL)", OFF(priority), 0, 0, NULL, false, false},
	{"profile", 0, TK_ARG_CHOICE, ALL, "PROFILE",
	    "rules a chain is judged by: web (RFC 5280 and the CA/Browser "
	    "Forum BR), rfc5280 (RFC 5280 and RFC 6125 only: BR findings are "
	    "info), auto (default: web when the anchor is from the system "
	    "store, rfc5280 when it is from your own --ca)", OFF(profile), 0,
	    0, profile_choices, false, false},
	{"proto", 'p', TK_ARG_CHOICE, STL, "PROTO",
	    "the plaintext protocol to upgrade (a URL's scheme says it too)",
	    OFF(starttls), 0, 0, tk_starttls_protocols, false, false},
	{"proxy", 0, TK_ARG_STRING, CL, "URL",
	    "connect through this HTTP proxy (http://HOST[:PORT], default "
	    "port 1080) with CONNECT; default: https_proxy, no_proxy as curl; "
	    "'' for none",
	    OFF(proxy), 0, 0, NULL, false, false},
	{"quiet", 'q', TK_ARG_NONE, ALL, NULL,
	    "the result lines only: no details or totals on stdout, "
	    "nothing but errors on stderr",
	    OFF(quiet), 0, 0, NULL,
	    false, false},
	{"relay", 0, TK_ARG_NONE, STL, NULL,
	    "after the upgrade, send stdin to the server over TLS and print "
	    "what it sends, until either side closes", OFF(relay), 0, 0,
	    NULL, false, false},
	{"request-client-cert", 0, TK_ARG_NONE, SRV, NULL,
	    "ask clients for a certificate; verify and log it, but go on "
	    "without one", OFF(request_client_cert), 0, 0, NULL, false,
	    false},
	{"require", 0, TK_ARG_STRING, SCN, "RULE[,RULE]",
	    "fail (exit 1) unless the server meets each rule: "
	    "min-version=1.2, forward-secrecy, aead-only, tls13, "
	    "server-order, max-severity=info|warning, no-finding=CODE "
	    "(repeatable)", OFF(require), 0, 0, NULL, true, false},
	{"require-client-cert", 0, TK_ARG_NONE, SRV, NULL,
	    "refuse clients without a certificate trusted by --ca",
	    OFF(require_client_cert), 0, 0, NULL, false, false},
	{"require-staple", 0, TK_ARG_NONE, CHK | STL, NULL,
	    "fail when the server staples no OCSP response",
	    OFF(require_staple), 0, 0, NULL, false, false},
	{"resolve", 0, TK_ARG_STRING, CL, "NAME:PORT:ADDR",
	    "use ADDR (comma-separated list, [v6] allowed) for NAME on PORT "
	    "instead of DNS (repeatable, like curl; NAME:ADDR: any port)",
	    OFF(resolve), 0, 0, NULL, true, false},
	{"save-chain", 0, TK_ARG_FILE, CHK, "FILE",
	    "write the served chain as PEM to FILE (one target)",
	    OFF(save_chain), 0, 0, NULL, false, false},
	{"shard", 0, TK_ARG_STRING, CHK | STL | APR | SCN, "K/N",
	    "check only the K-th of N stable shares of the targets",
	    OFF(shard), 0, 0, NULL, false, false},
	{"size", 0, TK_ARG_UINT, ECL, "BYTES",
	    "block size for --count and --connections (default 16384)",
	    OFF(size), 1, 16777216, NULL, false, false},
	{"starttls", 0, TK_ARG_CHOICE, SRV | ECL | CHK | APR | SCN, "PROTO",
	    "plaintext phase first, upgraded by PROTO's STARTTLS dialogue "
	    "('line': lines echoed until STARTTLS, answered READY)",
	    OFF(starttls), 0, 0, tk_starttls_protocols, false, false},
	{"stream", 0, TK_ARG_NONE, CHK | STL | APR | SCN, NULL,
	    "with --json: print each target as it completes, not in input "
	    "order", OFF(stream), 0, 0, NULL, false, false},
	{"system-trust", 0, TK_ARG_NONE, ALL, NULL,
	    "also trust the system store when --ca is given",
	    OFF(system_trust), 0, 0, NULL, false, false},
	{"targets", 'T', TK_ARG_FILE, CHK | STL | APR | SCN, "FILE",
	    "read targets from FILE ('-' for stdin), one per line; '#' "
	    "starts a comment", OFF(targets), 0, 0, NULL, false, false},
	{"timeout", 't', TK_ARG_SECONDS, CL, "SECONDS",
	    "bound on each step: resolve, connect, plaintext phase, "
	    "handshake, each I/O wait (default 10)", OFF(timeout), 0.001,
	    86400, NULL, false, false},
	{"verbose", 'v', TK_ARG_NONE, ALL, NULL,
	    "more detail on stderr (repeatable)", OFF(verbose), 0, 0, NULL,
	    true, false},
	{"version", 'V', TK_ARG_NONE, ALL, NULL,
	    "show the version and what the linked GnuTLS supports",
	    OFF(version), 0, 0, NULL, false, false},
	{"warn-days", 'w', TK_ARG_UINT, CHK | STL | SCN, "N",
	    "warn (exit 5) when a certificate expires within N days "
	    "(default 30; 0: off)", OFF(warn_days), 0, 100000, NULL, false,
	    false},
	{"workers", 0, TK_ARG_UINT, SRV, "N|auto",
	    "worker processes, each its own loop on the shared listeners "
	    "('auto': one per core; default 1)", OFF(workers), 1, 1024, NULL,
	    false, false},
	{"xmpp-domain", 0, TK_ARG_STRING, CL, "DOMAIN",
	    "the XMPP stream's 'to' (default: --hostname or the target's "
	    "host)", OFF(xmpp_domain), 0, 0, NULL, false, false},
};
const size_t tk_opts_count = sizeof(tk_opts) / sizeof(tk_opts[0]);

const struct tk_tool_info tk_opts_tools[] = {
	{TK_TOOL_ECHO_SERVER, "tls-echo-server", "[OPTIONS]",
	    "TLS echo server for testing clients", 0, 0},
	{TK_TOOL_ECHO_CLIENT, "tls-echo-client", "[OPTIONS] HOST[:PORT]",
	    "connect, verify, send lines and check their echo", 1, 1},
	{TK_TOOL_CHECK_CERT, "tls-check-cert",
	    "[OPTIONS] TARGET... | --file CHAIN",
	    "check a server's or a file's certificate chain for a name and "
	    "say exactly why it fails", 0, TK_ARGS_MAX},
	{TK_TOOL_STARTTLS, "tls-starttls",
	    "[OPTIONS] [--proto PROTO] TARGET... | --targets FILE",
	    "upgrade a plaintext protocol (SMTP, IMAP, POP3, LDAP, XMPP, "
	    "...) to TLS and report the dialogue, the session and the "
	    "certificate", 0, TK_ARGS_MAX},
	{TK_TOOL_ALPN_PROBE, "tls-alpn-probe", "[OPTIONS] TARGET...",
	    "which application protocols (ALPN) a server accepts, selects "
	    "and prefers", 0, TK_ARGS_MAX},
	{TK_TOOL_SCAN, "tls-scan", "[OPTIONS] TARGET...",
	    "what a server's TLS configuration accepts: versions, cipher "
	    "suites, groups, signature algorithms, certificates, "
	    "resumption, renegotiation", 0, TK_ARGS_MAX},
};
const size_t tk_opts_ntools = sizeof(tk_opts_tools) / sizeof(tk_opts_tools[0]);

const struct tk_tool_info *
tk_tool_info(enum tk_tool tool)
{
	for (size_t i = 0; i < tk_opts_ntools; i++) {
		if (tk_opts_tools[i].bit == tool) {
			return &tk_opts_tools[i];
		}
	}
	return NULL;
}

const struct tk_tool_info *
tk_tool_by_name(const char *name)
{
	for (size_t i = 0; i < tk_opts_ntools; i++) {
		if (strcmp(tk_opts_tools[i].name, name) == 0) {
			return &tk_opts_tools[i];
		}
	}
	return NULL;
}

static int
cmp_opt(const void *key, const void *elem)
{
	return strcmp(key, ((const struct tk_opt *)elem)->lname);
}

const struct tk_opt *
tk_opt_find(const char *lname)
{
	return bsearch(lname, tk_opts, tk_opts_count, sizeof(tk_opts[0]),
	    cmp_opt);
}

bool
tk_opt_for(const struct tk_opt *o, enum tk_tool tool)
{
	return (o->tools & (unsigned)tool) != 0;
}

/*
 * Options whose choices depend on the tool: the choices of tk_opts[] are
 * what the clients take, and each list here is one tool's instead.
 */
static const struct {
	const char *lname;
	enum tk_tool tool;
	const char *const *choices;
} tool_choices[] = {
	{"starttls", TK_TOOL_ECHO_SERVER, tk_starttls_srv_protocols},
};

const char *const *
tk_opt_choices(const struct tk_opt *o, enum tk_tool tool)
{
	for (size_t i = 0; i < sizeof(tool_choices) / sizeof(tool_choices[0]);
	     i++) {
		if (tool_choices[i].tool == tool &&
		    strcmp(tool_choices[i].lname, o->lname) == 0) {
			return tool_choices[i].choices;
		}
	}
	return o->choices;
}

static void
defaults(struct tk_settings *s)
{
	memset(s, 0, sizeof(*s));
	s->timeout = 10;
	s->handshake_timeout = 10;
	s->idle_timeout = 300;
	s->max_connections = 10000;
	s->size = 16384;
	s->duration = 10;
	s->workers = 1;
	s->warn_days = 30;
	s->min_key_bits = TK_MIN_KEY_BITS;
	s->parallel = 64;
	s->color = TK_COLOR_AUTO;
}

static int
parse_uint(const struct tk_opt *o, const char *v, uint64_t *out,
    struct tk_err *err)
{
	char *end;
	unsigned long long n;

	errno = 0;
	if (*v == '\0' || *v == '-' || *v == '+') {
		goto bad;
	}
	n = strtoull(v, &end, 10);
	if (errno != 0 || *end != '\0') {
		goto bad;
	}
	if ((double)n < o->min || (double)n > o->max) {
		return tk_err_set(err, TK_USAGE, "options",
		    "--%s must be between %.0f and %.0f, not %s", o->lname,
		    o->min, o->max, v);
	}
	*out = n;
	return 0;
bad:
	return tk_err_set(err, TK_USAGE, "options",
	    "--%s needs a whole number, not '%.64s'", o->lname, v);
}

static int
parse_seconds(const struct tk_opt *o, const char *v, double *out,
    struct tk_err *err)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(v, &end);
	if (*v == '\0' || errno != 0 || *end != '\0' || !isfinite(d)) {
		return tk_err_set(err, TK_USAGE, "options",
		    "--%s needs a number of seconds, not '%.64s'", o->lname,
		    v);
	}
	if (d < o->min || d > o->max) {
		return tk_err_set(err, TK_USAGE, "options",
		    "--%s must be between %g and %g seconds, not %s",
		    o->lname, o->min, o->max, v);
	}
	*out = d;
	return 0;
}

static int
set_value(const struct tk_opt *o, enum tk_tool tool, const char *v,
    struct tk_settings *s, struct tk_err *err)
{
	char *field = (char *)s + o->off;
	const char *const *choices = tk_opt_choices(o, tool);

	switch (o->arg) {
	case TK_ARG_NONE:
		if (o->off == OFF(verbose)) {
			s->verbose++;
		} else {
			*(bool *)(void *)field = true;
		}
		return 0;
	case TK_ARG_STRING:
	case TK_ARG_FILE:
	case TK_ARG_PATH:
	case TK_ARG_ADDR:
		/* --proxy "": no proxy, whatever the environment says (curl) */
		if (*v == '\0' && o->off != OFF(proxy)) {
			return tk_err_set(err, TK_USAGE, "options",
			    "--%s needs a non-empty value", o->lname);
		}
		if (o->off == OFF(ca)) {
			if (s->nca == TK_CA_MAX) {
				return tk_err_set(err, TK_USAGE, "options",
				    "at most %d --ca options", TK_CA_MAX);
			}
			s->ca[s->nca++] = v;
		} else if (o->off == OFF(listen)) {
			if (s->nlisten == TK_LISTEN_MAX) {
				return tk_err_set(err, TK_USAGE, "options",
				    "at most %d --listen options",
				    TK_LISTEN_MAX);
			}
			s->listen[s->nlisten++] = v;
		} else if (o->off == OFF(ignore)) {
			if (s->nignore == TK_IGNORE_MAX) {
				return tk_err_set(err, TK_USAGE, "options",
				    "at most %d --ignore options",
				    TK_IGNORE_MAX);
			}
			s->ignore[s->nignore++] = v;
		} else if (o->off == OFF(require)) {
			if (s->nrequire == TK_IGNORE_MAX) {
				return tk_err_set(err, TK_USAGE, "options",
				    "at most %d --require options",
				    TK_IGNORE_MAX);
			}
			s->require[s->nrequire++] = v;
		} else if (o->off == OFF(resolve)) {
			if (s->nresolve == TK_RESOLVE_MAX) {
				return tk_err_set(err, TK_USAGE, "options",
				    "at most %d --resolve options",
				    TK_RESOLVE_MAX);
			}
			s->resolve[s->nresolve++] = v;
		} else {
			*(const char **)(void *)field = v;
		}
		return 0;
	case TK_ARG_UINT:
		if (o->off == OFF(workers) && strcmp(v, "auto") == 0) {
			s->workers = 0;  /* one per core: the tool counts */
			return 0;
		}
		return parse_uint(o, v, (uint64_t *)(void *)field, err);
	case TK_ARG_SECONDS:
		return parse_seconds(o, v, (double *)(void *)field, err);
	case TK_ARG_VERSION:
		return tk_tls_version_parse(v, (int *)(void *)field, err);
	case TK_ARG_CHOICE:
		for (size_t i = 0; choices[i] != NULL; i++) {
			if (strcmp(v, choices[i]) == 0) {
				if (o->off == OFF(color)) {
					s->color = (enum tk_color)i;
				} else {
					*(const char **)(void *)field =
					    choices[i];
				}
				return 0;
			}
		}
		{
			/* every choice, however many (truncated at 160) */
			char list[160];
			size_t used = 0;

			list[0] = '\0';
			for (size_t i = 0; choices[i] != NULL; i++) {
				int w = snprintf(list + used,
				    sizeof(list) - used, "%s%s",
				    i ? ", " : "", choices[i]);

				if (w < 0 || (size_t)w >= sizeof(list) - used) {
					break;
				}
				used += (size_t)w;
			}
			return tk_err_set(err, TK_USAGE, "options",
			    "--%s takes one of %s, not '%.64s'", o->lname,
			    list, v);
		}
	}
	return tk_err_set(err, TK_INTERNAL, "options", "bad option type");
}

int
tk_opts_parse(enum tk_tool tool, int argc, char **argv,
    struct tk_settings *s, struct tk_err *err)
{
	struct option longopts[sizeof(tk_opts) / sizeof(tk_opts[0]) + 1];
	const struct tk_opt *by_short[128] = {0};
	char shortopts[3 * (sizeof(tk_opts) / sizeof(tk_opts[0])) + 2];
	const struct tk_tool_info *ti = tk_tool_info(tool);
	size_t nl = 0, ns = 0;
	bool seen[sizeof(tk_opts) / sizeof(tk_opts[0])] = {0};
	int idx, c;

	if (ti == NULL) {
		return tk_err_set(err, TK_INTERNAL, "options",
		    "no tool %u in the tool table", (unsigned)tool);
	}
	defaults(s);
	/* built from the table: no short-option string is written by hand */
	shortopts[ns++] = ':';
	for (size_t i = 0; i < tk_opts_count; i++) {
		const struct tk_opt *o = &tk_opts[i];

		longopts[nl].name = o->lname;
		longopts[nl].has_arg = o->arg == TK_ARG_NONE ? no_argument :
		    required_argument;
		longopts[nl].flag = NULL;
		longopts[nl].val = 256 + (int)i;
		nl++;
		if (o->sname != 0 && tk_opt_for(o, tool)) {
			by_short[(unsigned char)o->sname] = o;
			shortopts[ns++] = o->sname;
			if (o->arg != TK_ARG_NONE) {
				shortopts[ns++] = ':';
			}
		}
	}
	memset(&longopts[nl], 0, sizeof(longopts[nl]));
	shortopts[ns] = '\0';
	opterr = 0;
	/* 0, not 1: glibc then also forgets a half-read -abc cluster */
	optind = 0;
	for (;;) {
		const struct tk_opt *o;

		idx = -1;
		c = getopt_long(argc, argv, shortopts, longopts, &idx);
		if (c == -1) {
			break;
		}
		if (c == '?') {
			if (optopt != 0 && optopt < 256) {
				return tk_err_set(err, TK_USAGE, "options",
				    "unknown option '-%c' (see %s --help)",
				    optopt, ti->name);
			}
			return tk_err_set(err, TK_USAGE, "options",
			    "unknown option '%s' (see %s --help)",
			    argv[optind - 1], ti->name);
		}
		if (c == ':') {
			return tk_err_set(err, TK_USAGE, "options",
			    "option '%s' needs a value", argv[optind - 1]);
		}
		o = c >= 256 ? &tk_opts[c - 256] : by_short[c & 127];
		if (o == NULL || !tk_opt_for(o, tool)) {
			return tk_err_set(err, TK_USAGE, "options",
			    "%s does not take --%s", ti->name,
			    o != NULL ? o->lname : "?");
		}
		if (seen[o - tk_opts] && !o->repeatable) {
			return tk_err_set(err, TK_USAGE, "options",
			    "--%s given twice", o->lname);
		}
		seen[o - tk_opts] = true;
		if (set_value(o, tool, optarg, s, err) < 0) {
			return -1;
		}
	}
	for (int i = optind; i < argc; i++) {
		if (s->nargs == TK_ARGS_MAX) {
			return tk_err_set(err, TK_USAGE, "options",
			    "too many arguments (at most %d)", TK_ARGS_MAX);
		}
		s->args[s->nargs++] = argv[i];
	}
	if (s->help || s->version || s->list_options) {
		return 0;
	}
	if (s->nargs < ti->min_args) {
		return tk_err_set(err, TK_USAGE, "options",
		    "missing argument: %s %s", ti->name, ti->synopsis);
	}
	if (s->nargs > ti->max_args) {
		return tk_err_set(err, TK_USAGE, "options",
		    "unexpected argument '%s'", s->args[ti->max_args]);
	}
	return 0;
}

static void
opt_head(const struct tk_opt *o, char *buf, size_t len)
{
	if (o->sname != 0) {
		snprintf(buf, len, "-%c, --%s%s%s", o->sname, o->lname,
		    o->metavar ? " " : "", o->metavar ? o->metavar : "");
	} else {
		snprintf(buf, len, "    --%s%s%s", o->lname,
		    o->metavar ? " " : "", o->metavar ? o->metavar : "");
	}
}

void
tk_opts_help(enum tk_tool tool, FILE *out)
{
	const struct tk_tool_info *ti = tk_tool_info(tool);

	fprintf(out, "Usage: %s %s\n%s.\n\nOptions:\n", ti->name,
	    ti->synopsis, ti->summary);
	for (size_t i = 0; i < tk_opts_count; i++) {
		const struct tk_opt *o = &tk_opts[i];
		char head[64];

		if (!tk_opt_for(o, tool) || o->hidden) {
			continue;
		}
		opt_head(o, head, sizeof(head));
		if (strlen(head) > 26) {
			fprintf(out, "  %s\n  %-26s  ", head, "");
		} else {
			fprintf(out, "  %-26s  ", head);
		}
		/* fold the help text at 78 columns */
		{
			const char *p = o->help;
			size_t col = 30;
			bool first = true;

			while (*p != '\0') {
				size_t w;

				p += strspn(p, " ");
				w = strcspn(p, " ");
				if (w == 0) {
					break;
				}
				if (!first && col + 1 + w > 78) {
					fprintf(out, "\n%30s", "");
					col = 30;
				} else if (!first) {
					fputc(' ', out);
					col++;
				}
				fprintf(out, "%.*s", (int)w, p);
				col += w;
				p += w;
				first = false;
			}
		}
		fputc('\n', out);
	}
	fprintf(out, "\nExit status: 0 ok, 1 check failed, 2 usage or bad "
	    "local input, 3 network,\n4 TLS handshake, 5 warning, 70 "
	    "internal error.  See %s(1) and tlskit(7).\n", ti->name);
}

static const char *
argtype_name(enum tk_argtype a)
{
	switch (a) {
	case TK_ARG_NONE:
		return "flag";
	case TK_ARG_STRING:
		return "string";
	case TK_ARG_FILE:
		return "file";
	case TK_ARG_PATH:
		return "path";
	case TK_ARG_UINT:
		return "number";
	case TK_ARG_SECONDS:
		return "seconds";
	case TK_ARG_VERSION:
		return "version";
	case TK_ARG_CHOICE:
		return "choice";
	case TK_ARG_ADDR:
		return "address";
	}
	return "string";
}

void
tk_opts_list(enum tk_tool tool, FILE *out)
{
	for (size_t i = 0; i < tk_opts_count; i++) {
		const struct tk_opt *o = &tk_opts[i];
		const char *const *choices = tk_opt_choices(o, tool);

		if (!tk_opt_for(o, tool) || o->hidden) {
			continue;
		}
		fprintf(out, "--%s\t%c\t%s\t", o->lname,
		    o->sname ? o->sname : '-', argtype_name(o->arg));
		if (o->arg == TK_ARG_VERSION) {
			fputs("1.0 1.1 1.2 1.3", out);
		}
		for (size_t k = 0; choices != NULL && choices[k] != NULL; k++) {
			fprintf(out, "%s%s", k ? " " : "", choices[k]);
		}
		fprintf(out, "\t%s\n", o->help);
	}
}

void
tk_opts_version(enum tk_tool tool, FILE *out)
{
	const struct tk_tool_info *ti = tk_tool_info(tool);
	gnutls_priority_t p;
	bool v13 = false;

	/* TLS 1.3 is there when a priority naming it can be built */
	if (gnutls_priority_init(&p, "NORMAL:-VERS-ALL:+VERS-TLS1.3", NULL) ==
	    0) {
		v13 = true;
		gnutls_priority_deinit(p);
	}
	fprintf(out, "%s (tlskit) %s\n", ti->name, TK_VERSION);
	fprintf(out, "GnuTLS %s (built with %s)\n", gnutls_check_version(NULL),
	    GNUTLS_VERSION);
	fprintf(out, "TLS versions: 1.0 1.1 1.2%s\n", v13 ? " 1.3" : "");
	fprintf(out, "ALPN: yes\n");
	fprintf(out, "NPN: no (obsolete, replaced by ALPN, RFC 7301; GnuTLS "
	    "has none)\n");
	fprintf(out, "OCSP stapling: %s\n",
	    "yes");
}

bool
tk_opts_use_color(const struct tk_settings *s, FILE *stream)
{
	const char *nc;

	switch (s->color) {
	case TK_COLOR_ALWAYS:
		return true;
	case TK_COLOR_NEVER:
		return false;
	case TK_COLOR_AUTO:
		break;
	}
	nc = getenv("NO_COLOR");
	if (nc != NULL && *nc != '\0') {
		return false;
	}
	/* a terminal that says it has no escape sequences */
	nc = getenv("TERM");
	if (nc == NULL || *nc == '\0' || strcmp(nc, "dumb") == 0) {
		return false;
	}
	return isatty(fileno(stream)) != 0;
}

/* The chain-judging options every tool shares (struct tk_derived). */
static int
derive_check(enum tk_tool tool, const struct tk_settings *s,
    struct tk_certcheck_opts *co, struct tk_err *err)
{
	memset(co, 0, sizeof(*co));
	if (s->crit_days > 0 && s->warn_days > 0 &&
	    s->crit_days > s->warn_days) {
		return tk_err_set(err, TK_USAGE, "options",
		    "--crit-days %llu is above --warn-days %llu",
		    (unsigned long long)s->crit_days,
		    (unsigned long long)s->warn_days);
	}
	co->at = time(NULL);
	if (s->at != NULL && tk_certcheck_parse_time(s->at, &co->at, err) < 0) {
		return -1;
	}
	co->warn_days = (unsigned)s->warn_days;
	co->crit_days = (unsigned)s->crit_days;
	co->min_key_bits = (unsigned)s->min_key_bits;
	co->require_staple = s->require_staple;
	co->purpose_oid = tool == TK_TOOL_ECHO_SERVER ?
	    GNUTLS_KP_TLS_WWW_CLIENT : GNUTLS_KP_TLS_WWW_SERVER;
	co->judging.profile = TK_PROFILE_AUTO;
	for (size_t i = 0; s->profile != NULL && profile_choices[i] != NULL;
	     i++) {
		if (strcmp(s->profile, profile_choices[i]) == 0) {
			co->judging.profile = (enum tk_profile)i;
		}
	}
	for (size_t i = 0; i < s->nignore; i++) {
		if (tk_judging_ignore(&co->judging, s->ignore[i], err) < 0) {
			return -1;
		}
	}
	return 0;
}

int
tk_settings_derive(enum tk_tool tool, const struct tk_settings *s,
    struct tk_derived *d, struct tk_err *err)
{
	bool server = tool == TK_TOOL_ECHO_SERVER;

	memset(d, 0, sizeof(*d));
	if (s->ipv4 && s->ipv6) {
		return tk_err_set(err, TK_USAGE, "options",
		    "-4 and -6 exclude each other");
	}
	if (s->key != NULL && s->cert == NULL) {
		return tk_err_set(err, TK_USAGE, "options",
		    "--key needs --cert");
	}
	if (server && s->cert == NULL) {
		return tk_err_set(err, TK_USAGE, "options",
		    "%s needs --cert (a PEM file with the certificate and "
		    "key, or with --key)", tk_tool_info(tool)->name);
	}
	if (s->require_client_cert && s->request_client_cert) {
		return tk_err_set(err, TK_USAGE, "options",
		    "--require-client-cert and --request-client-cert exclude "
		    "each other");
	}
	if ((s->require_client_cert || s->request_client_cert) &&
	    s->nca == 0) {
		return tk_err_set(err, TK_USAGE, "options",
		    "--%s-client-cert needs --ca to verify client "
		    "certificates against", s->require_client_cert ?
		    "require" : "request");
	}
	if (s->alpn_optional && s->alpn == NULL) {
		return tk_err_set(err, TK_USAGE, "options",
		    "--alpn-optional needs --alpn");
	}
	if (s->hostname != NULL && tk_target_hostname_check(s->hostname,
	    d->hostname, sizeof(d->hostname), err) < 0) {
		return -1;
	}
	if (!server && tk_proxy_conf_init(&d->proxy, s->proxy, err) < 0) {
		return -1;
	}
	if (s->deadline > 0) {
		d->deadline_total_ms = (unsigned)(s->deadline * 1000);
		d->deadline_ms = tk_loop_now_ms() + d->deadline_total_ms;
	}
	for (size_t i = 0; i < s->nresolve; i++) {
		if (tk_resolve_map_add(&d->resolve, s->resolve[i], err) < 0) {
			return -1;
		}
	}
	if (tk_tls_priority(d->priority, sizeof(d->priority), s->priority,
	    s->min_version, s->max_version, err) < 0) {
		return -1;
	}
	if (s->alpn != NULL) {
		/* tls-alpn-probe --each offers one protocol at a time */
		if (tk_alpn_parse(s->alpn, &d->alpn, err) < 0 ||
		    (!(tool == TK_TOOL_ALPN_PROBE && (s->each || s->order)) &&
		    tk_alpn_check_gnutls(&d->alpn, err) < 0)) {
			tk_alpn_clear(&d->alpn);
			return -1;
		}
	}
	if (derive_check(tool, s, &d->check, err) < 0) {
		tk_alpn_clear(&d->alpn);
		return -1;
	}
	d->creds.cert_file = s->cert;
	d->creds.key_file = s->key;
	for (size_t i = 0; i < s->nca; i++) {
		d->creds.ca[i] = s->ca[i];
	}
	d->creds.nca = s->nca;
	d->creds.system_trust = s->system_trust;
	d->creds.want_trust = !server && !s->insecure;
	d->creds.dh_file = s->dh_params;
	return 0;
}
