/*
 * Unit tests for lib/opts.h: the option table's invariants, the parser and
 * tk_settings_derive().
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "opts.h"
#include "starttls.h"
#include "starttls_srv.h"

#include "tk_test.h"

#define ARGS_MAX 12

static const unsigned all_tools[] = {
	TK_TOOL_ECHO_SERVER, TK_TOOL_ECHO_CLIENT, TK_TOOL_CHECK_CERT,
	TK_TOOL_STARTTLS, TK_TOOL_ALPN_PROBE,
};

static void
test_table(void)
{
	/* bsearch in tk_opt_find() relies on strcmp order */
	TK_CASE("sorted");
	for (size_t i = 1; i < tk_opts_count; i++) {
		if (strcmp(tk_opts[i - 1].lname, tk_opts[i].lname) >= 0) {
			EXPECT_EQ_STR(tk_opts[i].lname, "(after)");
			fprintf(stderr, "  '%s' is listed before '%s'\n",
			    tk_opts[i - 1].lname, tk_opts[i].lname);
		} else {
			EXPECT_TRUE(true);
		}
	}

	TK_CASE("tk_opt_find");
	for (size_t i = 0; i < tk_opts_count; i++) {
		if (tk_opt_find(tk_opts[i].lname) != &tk_opts[i]) {
			EXPECT_EQ_STR(tk_opts[i].lname, "(found)");
		} else {
			EXPECT_TRUE(true);
		}
	}
	/* --starttls offers exactly what lib/starttls.c speaks */
	TK_CASE("starttls choices");
	{
		const struct tk_opt *o = tk_opt_find("starttls");
		char list[256] = "";
		size_t used = 0;

		EXPECT_TRUE(o != NULL && o->choices != NULL);
		for (size_t i = 0; o != NULL && o->choices[i] != NULL; i++) {
			used += (size_t)snprintf(list + used,
			    sizeof(list) - used, "%s%s", i ? " " : "",
			    o->choices[i]);
		}
		EXPECT_EQ_STR(list, tk_starttls_names());
		EXPECT_TRUE(o != NULL && tk_opt_choices(o,
		    TK_TOOL_ECHO_CLIENT) == o->choices);
	}
	/* tls-echo-server's --starttls offers what lib/starttls_srv.c
	 * serves, each a protocol the clients speak too */
	TK_CASE("tls-echo-server --starttls choices");
	{
		const struct tk_opt *o = tk_opt_find("starttls");
		const char *const *c = o != NULL ?
		    tk_opt_choices(o, TK_TOOL_ECHO_SERVER) : NULL;
		size_t n = 0;

		EXPECT_TRUE(c == tk_starttls_srv_protocols);
		for (; c != NULL && c[n] != NULL; n++) {
			EXPECT_TRUE(tk_starttls_srv_known(c[n]));
			EXPECT_TRUE(tk_starttls_known(c[n]));
		}
		EXPECT_EQ_SIZE(n, 4);
		EXPECT_TRUE(tk_opt_choices(tk_opt_find("ca"),
		    TK_TOOL_ECHO_SERVER) == NULL);
	}

	TK_CASE("tk_opt_find misses");
	EXPECT_TRUE(tk_opt_find("nope") == NULL);
	EXPECT_TRUE(tk_opt_find("") == NULL);
	EXPECT_TRUE(tk_opt_find("hel") == NULL);
	EXPECT_TRUE(tk_opt_find("helpx") == NULL);

	/* one letter, one option, for every tool (docs/ARCHITECTURE.md,
	 * "The option table") */
	TK_CASE("short letters");
	for (size_t i = 0; i < tk_opts_count; i++) {
		for (size_t k = i + 1; k < tk_opts_count; k++) {
			if (tk_opts[i].sname == 0) {
				continue;
			}
			EXPECT_TRUE(tk_opts[i].sname != tk_opts[k].sname);
		}
	}
	for (size_t t = 0; t < sizeof(all_tools) / sizeof(all_tools[0]);
	     t++) {
		for (size_t i = 0; i < tk_opts_count; i++) {
			for (size_t k = i + 1; k < tk_opts_count; k++) {
				if (tk_opts[i].sname == 0 ||
				    !tk_opt_for(&tk_opts[i], all_tools[t]) ||
				    !tk_opt_for(&tk_opts[k], all_tools[t])) {
					continue;
				}
				EXPECT_TRUE(tk_opts[i].sname !=
				    tk_opts[k].sname);
			}
		}
	}

	TK_CASE("entries");
	for (size_t i = 0; i < tk_opts_count; i++) {
		const struct tk_opt *o = &tk_opts[i];

		EXPECT_TRUE(o->lname != NULL && o->lname[0] != '\0' &&
		    o->lname[0] != '-');
		EXPECT_TRUE(o->help != NULL && o->help[0] != '\0');
		EXPECT_TRUE(o->tools != 0);
		/* a metavar exactly when the option takes a value */
		EXPECT_EQ_INT(o->metavar != NULL, o->arg != TK_ARG_NONE);
		EXPECT_EQ_INT(o->choices != NULL, o->arg == TK_ARG_CHOICE);
	}

	TK_CASE("every tool");
	EXPECT_TRUE(tk_opts_ntools > 0);
	for (size_t t = 0; t < tk_opts_ntools; t++) {
		static const char *const common[] = {"help", "version",
		    "json"};
		const struct tk_tool_info *ti = &tk_opts_tools[t];

		TK_CASE(ti->name);
		EXPECT_TRUE(tk_tool_info(ti->bit) == ti);
		EXPECT_TRUE(tk_tool_by_name(ti->name) == ti);
		EXPECT_TRUE(ti->min_args <= ti->max_args);
		for (size_t c = 0; c < 3; c++) {
			const struct tk_opt *o = tk_opt_find(common[c]);

			EXPECT_TRUE(o != NULL && tk_opt_for(o,
			    tk_opts_tools[t].bit));
		}
	}
	EXPECT_TRUE(tk_tool_by_name("nope") == NULL);
	TK_CASE(NULL);
}

/* Parsing */

struct pcase {
	const char *name;
	enum tk_tool tool;
	const char *args[ARGS_MAX];  /* after argv[0]; NULL ends */
	int rc;                      /* of tk_opts_parse */
	int derive;                  /* of tk_settings_derive, when rc 0 */
};

#define SRV TK_TOOL_ECHO_SERVER
#define ECL TK_TOOL_ECHO_CLIENT
#define CHK TK_TOOL_CHECK_CERT
#define STL TK_TOOL_STARTTLS

static const struct pcase bad[] = {
	{"unknown long", ECL, {"--bogus", "host"}, -1, 0},
	{"unknown short", ECL, {"-Z", "host"}, -1, 0},
	{"min-version 1.4", ECL, {"--min-version", "1.4", "host"}, -1, 0},
	{"min-version ssl3", ECL, {"--min-version", "ssl3", "host"}, -1, 0},
	{"timeout -1", ECL, {"--timeout", "-1", "host"}, -1, 0},
	{"timeout abc", ECL, {"--timeout", "abc", "host"}, -1, 0},
	{"timeout 0", ECL, {"--timeout", "0", "host"}, -1, 0},
	{"timeout nan", ECL, {"--timeout", "nan", "host"}, -1, 0},
	{"timeout inf", ECL, {"--timeout", "inf", "host"}, -1, 0},
	{"timeout 1s", ECL, {"--timeout", "1s", "host"}, -1, 0},
	{"timeout empty", ECL, {"--timeout=", "host"}, -1, 0},
	{"timeout missing", ECL, {"host", "--timeout"}, -1, 0},
	{"count 0", ECL, {"--count", "0", "host"}, -1, 0},
	{"count -5", ECL, {"--count", "-5", "host"}, -1, 0},
	{"count 1e3", ECL, {"--count", "1e3", "host"}, -1, 0},
	{"count huge", ECL, {"--count", "99999999999999999999999", "host"},
	    -1, 0},
	{"debug 100", ECL, {"--debug", "100", "host"}, -1, 0},
	{"listen on a client", ECL, {"--listen", "127.0.0.1:0", "host"}, -1,
	    0},
	{"-l on a client", ECL, {"-l", "127.0.0.1:0", "host"}, -1, 0},
	{"-k on the server", SRV, {"-k"}, -1, 0},
	{"once on a client", ECL, {"--once", "host"}, -1, 0},
	{"cert twice", ECL, {"--cert", "a", "--cert", "b", "host"}, -1, 0},
	{"json twice", ECL, {"--json", "--json", "host"}, -1, 0},
	{"cert empty", ECL, {"--cert", "", "host"}, -1, 0},
	{"color purple", ECL, {"--color", "purple", "host"}, -1, 0},
	{"starttls bogus", ECL, {"--starttls", "bogus", "host"}, -1, 0},
	{"no target", ECL, {"--json"}, -1, 0},
	{"two targets", ECL, {"a", "b"}, -1, 0},
	{"server target", SRV, {"--cert", "c", "x"}, -1, 0},
	{"flag with value", ECL, {"--json=yes", "host"}, -1, 0},
};

static int
parse(const struct pcase *c, struct tk_settings *s, struct tk_err *err)
{
	char *argv[ARGS_MAX + 2];
	int argc = 0;

	/* getopt_long may permute argv, never the strings themselves */
	argv[argc++] = (char *)(uintptr_t)"tlskit-test";
	for (size_t i = 0; i < ARGS_MAX && c->args[i] != NULL; i++) {
		argv[argc++] = (char *)(uintptr_t)c->args[i];
	}
	argv[argc] = NULL;
	tk_err_clear(err);
	return tk_opts_parse(c->tool, argc, argv, s, err);
}

static struct tk_settings s;  /* large: not on the stack */

static void
test_parse_bad(void)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct tk_err err;

		TK_CASE(bad[i].name);
		EXPECT_EQ_INT(parse(&bad[i], &s, &err), -1);
		EXPECT_EQ_INT(err.cls, TK_USAGE);
		EXPECT_TRUE(err.msg[0] != '\0');
	}
	/* a tool missing from tk_opts_tools[] is a bug, not a crash */
	TK_CASE("tool not in the table");
	{
		char *argv[] = {"x", "--bogus", NULL};
		struct tk_err err;

		tk_err_clear(&err);
		EXPECT_EQ_INT(tk_opts_parse((enum tk_tool)(1u << 30), 2, argv,
		    &s, &err), -1);
		EXPECT_EQ_INT(err.cls, TK_INTERNAL);
	}
	TK_CASE(NULL);
}

static void
test_parse_good(void)
{
	static const struct pcase cases[] = {
		{"ca twice", ECL, {"--ca", "a", "--ca", "b", "host"}, 0, 0},
		{"-vv", ECL, {"-vv", "host"}, 0, 0},
		{"help alone", ECL, {"--help"}, 0, 0},
		{"values", ECL, {"--timeout", "2.5", "-n", "3", "--color",
		    "never", "--starttls", "line", "--min-version", "tls1.2",
		    "host:1"}, 0, 0},
		{"permuted", ECL, {"host", "--json", "-q"}, 0, 0},
		{"end of options", ECL, {"--", "-x"}, 0, 0},
		{"listen twice", SRV, {"--listen", "127.0.0.1:0", "-l",
		    "[::1]:0"}, 0, 0},
		{"check no target", CHK, {"--file", "x.pem"}, 0, 0},
		/* check_ssl_cert's -w/-c and curl's --cacert (issue #14) */
		{"aliases", CHK, {"-w", "20", "-c", "5", "--cacert", "a",
		    "--ca", "b", "host"}, 0, 0},
		{"aliases starttls", STL, {"-w", "9", "-c", "3", "--cacert",
		    "a", "-k", "host"}, 0, 0},
	};
	struct tk_err err;

	TK_CASE(cases[0].name);
	EXPECT_EQ_INT(parse(&cases[0], &s, &err), 0);
	EXPECT_EQ_SIZE(s.nca, 2);
	EXPECT_EQ_STR(s.ca[0], "a");
	EXPECT_EQ_STR(s.ca[1], "b");
	EXPECT_EQ_SIZE(s.nargs, 1);
	EXPECT_EQ_STR(s.args[0], "host");

	TK_CASE(cases[1].name);
	EXPECT_EQ_INT(parse(&cases[1], &s, &err), 0);
	EXPECT_EQ_INT(s.verbose, 2);

	TK_CASE(cases[2].name);
	EXPECT_EQ_INT(parse(&cases[2], &s, &err), 0);
	EXPECT_TRUE(s.help);
	EXPECT_EQ_SIZE(s.nargs, 0);

	TK_CASE(cases[3].name);
	EXPECT_EQ_INT(parse(&cases[3], &s, &err), 0);
	EXPECT_TRUE(s.timeout == 2.5);
	EXPECT_EQ_INT(s.count, 3);
	EXPECT_EQ_INT(s.color, TK_COLOR_NEVER);
	EXPECT_EQ_STR(s.starttls, "line");
	EXPECT_EQ_INT(s.min_version, 12);
	EXPECT_EQ_INT(s.max_version, 0);
	EXPECT_EQ_STR(s.args[0], "host:1");

	TK_CASE(cases[4].name);
	EXPECT_EQ_INT(parse(&cases[4], &s, &err), 0);
	EXPECT_TRUE(s.json);
	EXPECT_TRUE(s.quiet);
	EXPECT_EQ_SIZE(s.nargs, 1);
	/* defaults are set first, and not kept from the last parse */
	EXPECT_TRUE(s.timeout == 10);
	EXPECT_EQ_INT(s.count, 0);
	EXPECT_EQ_INT(s.verbose, 0);
	EXPECT_EQ_INT(s.color, TK_COLOR_AUTO);

	TK_CASE(cases[5].name);
	EXPECT_EQ_INT(parse(&cases[5], &s, &err), 0);
	EXPECT_EQ_SIZE(s.nargs, 1);
	EXPECT_EQ_STR(s.args[0], "-x");

	TK_CASE(cases[6].name);
	EXPECT_EQ_INT(parse(&cases[6], &s, &err), 0);
	EXPECT_EQ_SIZE(s.nlisten, 2);
	EXPECT_EQ_STR(s.listen[1], "[::1]:0");

	TK_CASE(cases[7].name);
	EXPECT_EQ_INT(parse(&cases[7], &s, &err), 0);
	EXPECT_EQ_STR(s.file, "x.pem");

	TK_CASE(cases[8].name);
	EXPECT_EQ_INT(parse(&cases[8], &s, &err), 0);
	EXPECT_EQ_SIZE(s.warn_days, 20);
	EXPECT_EQ_SIZE(s.crit_days, 5);
	EXPECT_EQ_SIZE(s.nca, 2);
	EXPECT_EQ_STR(s.ca[0], "a");
	EXPECT_EQ_STR(s.ca[1], "b");

	TK_CASE(cases[9].name);
	EXPECT_EQ_INT(parse(&cases[9], &s, &err), 0);
	EXPECT_EQ_SIZE(s.warn_days, 9);
	EXPECT_EQ_SIZE(s.crit_days, 3);
	EXPECT_EQ_SIZE(s.nca, 1);
	EXPECT_TRUE(s.insecure);
	TK_CASE(NULL);
}

/*
 * getopt keeps its place inside a cluster of short options in hidden
 * globals: a parse that stops early inside "-Zv" must not leak the "v"
 * into the next parse.
 */
static void
test_parse_state(void)
{
	static const struct pcase first = {"-Zv", ECL, {"-Zv", "host"}, -1,
	    0};
	static const struct pcase second = {"clean", ECL, {"--json",
	    "host"}, 0, 0};
	struct tk_err err;

	TK_CASE("state after a failed cluster");
	EXPECT_EQ_INT(parse(&first, &s, &err), -1);
	EXPECT_EQ_INT(parse(&second, &s, &err), 0);
	/* a half-read "-Zv" cluster must not leak into the next parse */
	EXPECT_EQ_INT(s.verbose, 0);
	EXPECT_TRUE(s.json);
	TK_CASE(NULL);
}

/* tk_settings_derive: how options combine, before any I/O */
static const struct pcase derive[] = {
	{"require without ca", SRV, {"--cert", "c", "--require-client-cert"},
	    0, -1},
	{"request without ca", SRV, {"--cert", "c", "--request-client-cert"},
	    0, -1},
	{"request and require", SRV, {"--cert", "c", "--ca", "a",
	    "--request-client-cert", "--require-client-cert"}, 0, -1},
	{"require with ca", SRV, {"--cert", "c", "--ca", "a",
	    "--require-client-cert"}, 0, 0},
	{"key without cert", ECL, {"--key", "k", "host"}, 0, -1},
	{"server without cert", SRV, {"--json"}, 0, -1},
	{"-4 -6", ECL, {"-4", "-6", "host"}, 0, -1},
	{"alpn-optional alone", SRV, {"--cert", "c", "--alpn-optional"}, 0,
	    -1},
	{"alpn 9 names", ECL, {"--alpn", "a,b,c,d,e,f,g,h,i", "host"}, 0, -1},
	{"alpn empty name", ECL, {"--alpn", "h2,", "host"}, 0, -1},
	{"hostname with port", ECL, {"--hostname", "x:443", "host"}, 0, -1},
	{"min above max", ECL, {"--min-version", "1.3", "--max-version",
	    "1.2", "host"}, 0, -1},
	{"bad priority", ECL, {"--priority", "NORMAL:+BOGUS", "host"}, 0, -1},
	{"plain client", ECL, {"host"}, 0, 0},
};

static void
test_derive(void)
{
	struct tk_derived d;
	struct tk_err err;

	for (size_t i = 0; i < sizeof(derive) / sizeof(derive[0]); i++) {
		TK_CASE(derive[i].name);
		EXPECT_EQ_INT(parse(&derive[i], &s, &err), 0);
		EXPECT_EQ_INT(tk_settings_derive(derive[i].tool, &s, &d,
		    &err), derive[i].derive);
		if (derive[i].derive < 0) {
			EXPECT_EQ_INT(err.cls, TK_USAGE);
		} else {
			EXPECT_EQ_INT(err.cls, TK_OK);
		}
		tk_alpn_clear(&d.alpn);
	}

	{
		static const struct pcase c = {"derived", ECL, {"--ca", "a",
		    "--alpn", "h2,http/1.1", "--hostname", "EXAMPLE.com.",
		    "--min-version", "1.3", "host"}, 0, 0};

		TK_CASE(c.name);
		EXPECT_EQ_INT(parse(&c, &s, &err), 0);
		EXPECT_EQ_INT(tk_settings_derive(c.tool, &s, &d, &err), 0);
		EXPECT_EQ_SIZE(d.creds.nca, 1);
		EXPECT_EQ_STR(d.creds.ca[0], "a");
		EXPECT_TRUE(d.creds.want_trust);
		EXPECT_EQ_SIZE(d.alpn.n, 2);
		EXPECT_EQ_STR(d.hostname, "example.com");
		EXPECT_TRUE(strstr(d.priority, "+VERS-TLS1.3") != NULL);
		EXPECT_TRUE(strstr(d.priority, "+VERS-TLS1.2") == NULL);
		tk_alpn_clear(&d.alpn);
	}
	{
		static const struct pcase c = {"insecure", ECL, {"-k",
		    "host"}, 0, 0};

		TK_CASE(c.name);
		EXPECT_EQ_INT(parse(&c, &s, &err), 0);
		EXPECT_EQ_INT(tk_settings_derive(c.tool, &s, &d, &err), 0);
		EXPECT_TRUE(!d.creds.want_trust);
		EXPECT_EQ_STR(d.priority, "NORMAL");
	}
	TK_CASE(NULL);
}

static void
run(void)
{
	test_table();
	test_parse_bad();
	test_parse_good();
	test_parse_state();
	test_derive();
}

TK_TEST_MAIN("test_opts", run)
