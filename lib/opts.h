/*
 * The one option table shared by every tool: parsing, --help, the man
 * pages' OPTIONS sections and the shell completions all come from it, so a
 * flag has one name, one letter, one type and one meaning everywhere
 * (docs/ARCHITECTURE.md, "The option table").
 */
#ifndef TK_OPTS_H
#define TK_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "certcheck.h"
#include "creds.h"
#include "err.h"
#include "resolve.h"
#include "proxy.h"
#include "tls.h"

enum tk_tool {
	TK_TOOL_ECHO_SERVER = 1u << 0,
	TK_TOOL_ECHO_CLIENT = 1u << 1,
	TK_TOOL_CHECK_CERT = 1u << 2,
	TK_TOOL_STARTTLS = 1u << 3,
	TK_TOOL_ALPN_PROBE = 1u << 4,
	TK_TOOL_SCAN = 1u << 5,
};

#define TK_TOOLS_CLIENT                                                      \
	(TK_TOOL_ECHO_CLIENT | TK_TOOL_CHECK_CERT | TK_TOOL_STARTTLS |       \
	    TK_TOOL_ALPN_PROBE | TK_TOOL_SCAN)
#define TK_TOOLS_ALL (TK_TOOLS_CLIENT | TK_TOOL_ECHO_SERVER)

enum tk_argtype {
	TK_ARG_NONE,     /* a flag */
	TK_ARG_STRING,
	TK_ARG_FILE,     /* completes file names */
	TK_ARG_PATH,     /* file or directory */
	TK_ARG_UINT,     /* bounded by min..max */
	TK_ARG_SECONDS,  /* decimal seconds, bounded by min..max */
	TK_ARG_VERSION,  /* 1.0 .. 1.3 */
	TK_ARG_CHOICE,   /* one of choices[] */
	TK_ARG_ADDR,     /* ADDR:PORT */
};

enum tk_color { TK_COLOR_AUTO, TK_COLOR_ALWAYS, TK_COLOR_NEVER };

#define TK_LISTEN_MAX 8
#define TK_ARGS_MAX 4096
#define TK_NAME_BUF 256
#define TK_MIN_KEY_BITS 2048
#define TK_IGNORE_MAX 16

/* Everything the command line can say, for every tool. */
struct tk_settings {
	/* credentials and trust */
	const char *cert, *key, *dh_params;
	const char *ca[TK_CA_MAX];
	size_t nca;
	bool system_trust, insecure;
	/* names */
	const char *hostname;
	bool no_sni;
	/* protocol */
	int min_version, max_version;  /* 0, 10 .. 13 */
	const char *priority;
	const char *alpn;
	bool alpn_optional;
	const char *starttls;
	const char *ehlo_name, *xmpp_domain;
	bool check_injection, relay, crlf;
	/* network */
	double timeout, deadline;
	bool ipv4, ipv6;
	const char *resolve[TK_RESOLVE_MAX];
	size_t nresolve;
	const char *proxy;
	/* server */
	const char *listen[TK_LISTEN_MAX];
	size_t nlisten;
	bool request_client_cert, require_client_cert, once;
	bool http;         /* --http */
	uint64_t max_connections;
	uint64_t workers;  /* 0: auto, one per core */
	double handshake_timeout, idle_timeout;
	/* echo client */
	const char *message;
	uint64_t count, size, connections;
	double duration;
	bool handshake_only;
	/* certificate checks */
	const char *at, *file, *targets, *shard, *save_chain;
	uint64_t warn_days, crit_days, min_key_bits, parallel;
	bool stream, nagios, pem, require_staple;
	const char *profile;           /* "auto", "web", "rfc5280" */
	const char *ignore[TK_IGNORE_MAX];
	size_t nignore;
	bool all_addresses, fix_chain;
	const char *intermediates;
	/* ALPN probing */
	bool each, order;
	const char *expect;
	/* scanning */
	uint64_t max_per_host;
	const char *require[TK_IGNORE_MAX];
	size_t nrequire;
	/* output */
	bool json, quiet, help, version, list_options;
	unsigned verbose;
	enum tk_color color;
	uint64_t debug;
	/* positional arguments (targets) */
	const char *args[TK_ARGS_MAX];
	size_t nargs;
};

struct tk_opt {
	const char *lname;
	char sname;            /* 0: none */
	enum tk_argtype arg;
	unsigned tools;        /* TK_TOOL_* bits of the tools that take it */
	const char *metavar;
	const char *help;
	size_t off;            /* offsetof(struct tk_settings, field) */
	double min, max;       /* TK_ARG_UINT and TK_ARG_SECONDS */
	const char *const *choices;  /* TK_ARG_CHOICE, NULL-terminated */
	bool repeatable;
	bool hidden;
};

struct tk_tool_info {
	enum tk_tool bit;
	const char *name;
	const char *synopsis;  /* after the name, e.g. "[OPTIONS] TARGET" */
	const char *summary;   /* one line */
	size_t min_args, max_args;
};

/* The table, sorted by long name, and its length. */
extern const struct tk_opt tk_opts[];
extern const size_t tk_opts_count;

const struct tk_tool_info *tk_tool_info(enum tk_tool tool);
const struct tk_tool_info *tk_tool_by_name(const char *name);
/* Every tool, for generators. */
extern const struct tk_tool_info tk_opts_tools[];
extern const size_t tk_opts_ntools;

/* Looks an option up by long name (bsearch). */
const struct tk_opt *tk_opt_find(const char *lname);

/*
 * Parses argv for tool into s (defaults first).  Unknown options, options
 * of other tools, bad values and wrong argument counts are USAGE errors.
 * --help, --version and --list-options set their flags and skip the
 * argument count check.  Returns 0 or -1 with err.
 */
int tk_opts_parse(enum tk_tool tool, int argc, char **argv,
    struct tk_settings *s, struct tk_err *err);

/* The --help text for tool. */
void tk_opts_help(enum tk_tool tool, FILE *out);
/* One line per option of tool, for completion scripts (--list-options). */
void tk_opts_list(enum tk_tool tool, FILE *out);
/* --version: the version and what the linked GnuTLS supports. */
void tk_opts_version(enum tk_tool tool, FILE *out);

/* Does tool take this option? */
bool tk_opt_for(const struct tk_opt *o, enum tk_tool tool);
/*
 * The values tool accepts for a TK_ARG_CHOICE option (NULL-terminated):
 * o->choices, or fewer where a tool takes fewer (tls-echo-server serves
 * fewer STARTTLS protocols than the clients speak); NULL for other options.
 */
const char *const *tk_opt_choices(const struct tk_opt *o, enum tk_tool tool);

/*
 * Checks how the parsed options combine for tool and fills what every
 * tool derives from them: the credentials configuration, the priority
 * string, the ALPN list.  All bad local input is reported here, before
 * any network I/O (class USAGE).  alpn must be released by the caller.
 */
struct tk_derived {
	struct tk_creds_conf creds;
	char priority[512];
	struct tk_alpn alpn;
	char hostname[TK_NAME_BUF];
	struct tk_resolve_map resolve;  /* --resolve */
	struct tk_proxy_conf proxy;     /* --proxy, https_proxy, no_proxy */
	/* --deadline: the end of the whole run on tk_loop_now_ms()'s clock, set
	 * when the options are derived (0: none), and its length */
	uint64_t deadline_ms;
	unsigned deadline_total_ms;
	/*
	 * How every tool judges a chain: --at, --warn-days, --crit-days,
	 * --min-key-bits, --require-staple, --profile, --ignore, and the
	 * purpose (clientAuth for tls-echo-server's clients).  The tool adds
	 * the anchor origin (tk_creds_anchor_private) once its creds exist.
	 */
	struct tk_certcheck_opts check;
};
int tk_settings_derive(enum tk_tool tool, const struct tk_settings *s,
    struct tk_derived *d, struct tk_err *err);

/* Should output to this stream be coloured (--color, NO_COLOR, a TTY)? */
bool tk_opts_use_color(const struct tk_settings *s, FILE *stream);

#endif
