/* The start and end of a tool's main(); see tool.h. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "escape.h"
#include "report.h"
#include "tool.h"

#include "banned.h"

int
tk_tool_start(struct tk_tool_ctx *t, enum tk_tool tool, const char *name,
    int argc, char **argv)
{
	struct tk_err *err = &t->start_err;

	/* a peer's reset must be an error return, not a signal */
	signal(SIGPIPE, SIG_IGN);
	memset(t, 0, sizeof(*t));
	t->tool = tool;
	t->name = name;
	tk_err_clear(err);
	if (tk_opts_parse(tool, argc, argv, &t->s, err) < 0) {
		tk_report_error_line(name, NULL, err, stderr);
		return tk_err_exit_code(err->cls);
	}
	if (t->s.help) {
		tk_opts_help(tool, stdout);
		return 0;
	}
	if (t->s.version) {
		tk_opts_version(tool, stdout);
		return 0;
	}
	if (t->s.list_options) {
		tk_opts_list(tool, stdout);
		return 0;
	}
	return -1;
}

int
tk_tool_derive(struct tk_tool_ctx *t, struct tk_err *err)
{
	if (tk_settings_derive(t->tool, &t->s, &t->d, err) < 0) {
		return -1;
	}
	t->co = t->d.check;
	return 0;
}

int
tk_tool_creds(struct tk_tool_ctx *t, struct tk_err *err)
{
	t->creds = tk_creds_new(&t->d.creds, err);
	if (t->creds == NULL) {
		return -1;
	}
	gnutls_certificate_get_trust_list(tk_creds_gnutls(t->creds),
	    &t->trust);
	t->co.anchor_private = tk_creds_anchor_private;
	t->co.anchor_arg = t->creds;
	return 0;
}

int
tk_tool_loop(struct tk_tool_ctx *t, struct tk_err *err)
{
	tk_tls_set_debug((int)t->s.debug);
	t->loop = tk_loop_new(err);
	if (t->loop == NULL) {
		return -1;
	}
	if ((t->tool & TK_TOOLS_CLIENT) == 0) {
		return 0;   /* a server resolves nothing */
	}
	t->res = tk_resolver_new(t->loop, err);
	if (t->res == NULL) {
		return -1;
	}
	tk_resolver_set_map(t->res, &t->d.resolve);
	return 0;
}

uint64_t
tk_tool_left_ms(const struct tk_tool_ctx *t, uint64_t ms)
{
	return tk_loop_deadline_clip(t->d.deadline_ms, ms);
}

uint64_t
tk_tool_timeout_ms(const struct tk_tool_ctx *t)
{
	return tk_tool_left_ms(t, (uint64_t)(t->s.timeout * 1000));
}

void
tk_tool_conn_conf(const struct tk_tool_ctx *t, const struct tk_target *target,
    struct tk_conn_conf *cc)
{
	memset(cc, 0, sizeof(*cc));
	cc->target = *target;
	cc->hostname = t->s.hostname != NULL ? t->d.hostname :
	    target->name[0] != '\0' ? target->name : NULL;
	cc->no_sni = t->s.no_sni;
	cc->no_verify = true;
	cc->family = t->s.ipv4 ? AF_INET : t->s.ipv6 ? AF_INET6 : AF_UNSPEC;
	cc->timeout_ms = (unsigned)(t->s.timeout * 1000);
	cc->priority = t->d.priority;
	cc->alpn = &t->d.alpn;
	cc->creds = t->creds;
	cc->resolver = t->res;
	cc->proxy = tk_proxy_use(&t->d.proxy, target->host) ?
	    &t->d.proxy.proxy : NULL;
	/* -v: which proxy and why, or why none, as curl -v says it; quiet
	 * when none is configured at all */
	if (t->s.verbose > 0 && !t->s.quiet &&
	    (t->d.proxy.set || t->d.proxy.off)) {
		char why[TK_HOST_MAX + 600], esc[sizeof(target->display) * 4];

		/* the target as given, as the error lines name it */
		tk_escape(target->display, strlen(target->display), esc,
		    sizeof(esc));
		tk_proxy_explain(&t->d.proxy, target->host, why, sizeof(why));
		fprintf(stderr, "%s: %s: proxy: %s\n", t->name, esc, why);
	}
	cc->deadline_ms = t->d.deadline_ms;
	cc->deadline_total_ms = t->d.deadline_total_ms;
}

bool
tk_tool_creds_stdin(const struct tk_settings *s)
{
	bool in = (s->cert != NULL && tk_creds_is_stdin(s->cert)) ||
	    (s->key != NULL && tk_creds_is_stdin(s->key));

	for (size_t i = 0; i < s->nca; i++) {
		in = in || tk_creds_is_stdin(s->ca[i]);
	}
	return in;
}

int
tk_tool_runner_conf(const struct tk_tool_ctx *t, struct tk_runner_conf *rc,
    struct tk_err *err)
{
	const struct tk_settings *s = &t->s;

	memset(rc, 0, sizeof(*rc));
	if (tk_tool_creds_stdin(s) && s->targets != NULL &&
	    tk_creds_is_stdin(s->targets)) {
		return tk_err_set(err, TK_USAGE, "options",
		    "'-' (standard input) is given for --targets and a "
		    "credentials file: it can be read only once");
	}
	if (s->shard != NULL && tk_runner_parse_shard(s->shard, &rc->shard_k,
	    &rc->shard_n, err) < 0) {
		return -1;
	}
	rc->parallel = s->parallel;
	rc->unordered = s->json && s->stream;
	rc->args = s->args;
	rc->nargs = s->nargs;
	rc->file = s->targets;
	return 0;
}

bool
tk_tool_stderr_copy(const struct tk_tool_ctx *t)
{
	return t->s.json || isatty(STDOUT_FILENO) == 0;
}

void
tk_tool_end(struct tk_tool_ctx *t)
{
	tk_resolver_free(t->res);
	t->res = NULL;
	tk_loop_free(t->loop);
	t->loop = NULL;
	tk_creds_unref(t->creds);
	t->creds = NULL;
	tk_alpn_clear(&t->d.alpn);
}
