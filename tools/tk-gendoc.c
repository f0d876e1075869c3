/*
 * tk-gendoc: a build-time program that turns the one option table
 * (lib/opts.c) into the man pages' OPTIONS sections and the bash, zsh and
 * fish completions, and the one table of finding codes (lib/codes.c) into
 * their FINDINGS sections, and checks that the committed copies are up to
 * date (docs/ARCHITECTURE.md, "The option table" and "The finding codes";
 * the way curl's test1139 keeps its man pages honest).
 *
 *   tk-gendoc man TEMPLATE TOOL   man page from man/TOOL.1.in on stdout
 *   tk-gendoc bash|zsh|fish       one completion file on stdout
 *   tk-gendoc codes               every finding code, one per line
 *   tk-gendoc check SRCDIR        exit 1 if a committed file is stale
 *   tk-gendoc write SRCDIR        rewrite the committed files that are stale
 *
 * Everything iterates tk_opts_tools[] and tk_codes[]: a new tool needs only its
 * man template, a new code only its line in the table.
 * Exit status: 0 done (or all up to date), 1 some file out of date,
 * 2 usage or unreadable input, 70 internal failure.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codes.h"
#include "err.h"
#include "opts.h"

#include "banned.h"

#ifndef TK_VERSION
#error "TK_VERSION must be defined (meson passes the project version)"
#endif

#define HINT "run `meson compile -C build update-docs`"
#define TEMPLATE_MAX (1u << 20)  /* a man template is a few KiB */
#define REL_MAX 256

/* One generated file: where it lives under the source tree, its text. */
struct doc {
	char rel[REL_MAX];
	char *text;
	size_t len;
};

typedef void (*gen_fn)(FILE *out);

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: tk-gendoc man TEMPLATE TOOL\n"
	    "       tk-gendoc bash | zsh | fish\n"
	    "       tk-gendoc codes\n"
	    "       tk-gendoc check SRCDIR\n"
	    "       tk-gendoc write SRCDIR\n");
}

/*
 * Reads a whole file into a NUL-terminated heap buffer.  Returns NULL with
 * err (USAGE; err->sys_errno is ENOENT when the file does not exist).
 */
static char *
slurp(const char *path, size_t *lenp, struct tk_err *err)
{
	FILE *f;
	char *buf = NULL, *nbuf;
	size_t len = 0, cap = 0, n;

	f = fopen(path, "rb");
	if (f == NULL) {
		tk_err_sys(err, TK_USAGE, "read", "cannot open '%s'", path);
		return NULL;
	}
	for (;;) {
		if (cap - len < 4096) {
			cap = cap == 0 ? 8192 : cap * 2;
			if (cap > TEMPLATE_MAX + 1) {
				tk_err_set(err, TK_USAGE, "read",
				    "file '%s' is larger than %u bytes", path,
				    TEMPLATE_MAX);
				goto fail;
			}
			nbuf = realloc(buf, cap);
			if (nbuf == NULL) {
				tk_err_set(err, TK_INTERNAL, "read",
				    "out of memory");
				goto fail;
			}
			buf = nbuf;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
		if (n == 0) {
			break;
		}
	}
	if (ferror(f)) {
		tk_err_sys(err, TK_USAGE, "read", "cannot read '%s'", path);
		goto fail;
	}
	fclose(f);
	buf[len] = '\0';
	*lenp = len;
	return buf;
fail:
	fclose(f);
	free(buf);
	return NULL;
}

/*
 * troff text from a table string: a backslash is \e, every '-' is \- (the
 * option dashes must survive copy and paste), and a line that would start
 * with a control character gets the zero-width \& in front (groff_man(7)).
 */
static void
troff_text(FILE *out, const char *s)
{
	if (*s == '.' || *s == '\'') {
		fputs("\\&", out);
	}
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '\\':
			fputs("\\e", out);
			break;
		case '-':
			fputs("\\-", out);
			break;
		case '\n':
			/* the table has none; a newline would end the line */
			fputc(' ', out);
			break;
		default:
			fputc(*s, out);
			break;
		}
	}
}

/* The tag line of one option: \fB\-k\fR, \fB\-\-insecure\fR \fIARG\fR. */
static void
man_opt_tag(FILE *out, const struct tk_opt *o)
{
	if (o->sname != 0) {
		fprintf(out, "\\fB\\-%c\\fR, ", o->sname);
	}
	fputs("\\fB\\-\\-", out);
	troff_text(out, o->lname);
	fputs("\\fR", out);
	if (o->arg != TK_ARG_NONE) {
		fputs(" \\fI", out);
		troff_text(out, o->metavar != NULL ? o->metavar : "VALUE");
		fputs("\\fR", out);
	}
	fputc('\n', out);
}

static void
man_options(FILE *out, enum tk_tool tool)
{
	fputs(".SH OPTIONS\n", out);
	for (size_t i = 0; i < tk_opts_count; i++) {
		const struct tk_opt *o = &tk_opts[i];

		if (!tk_opt_for(o, tool) || o->hidden) {
			continue;
		}
		fputs(".TP\n", out);
		man_opt_tag(out, o);
		troff_text(out, o->help);
		fputc('\n', out);
		/* some help texts say it already; once is enough */
		if (o->repeatable && strstr(o->help, "repeatable") == NULL) {
			fputs("(repeatable)\n", out);
		}
		if (tk_opt_choices(o, tool) != NULL) {
			const char *const *c = tk_opt_choices(o, tool);

			fputs("(one of:", out);
			for (size_t k = 0; c[k] != NULL; k++) {
				fputs(k == 0 ? " \\fB" : ", \\fB", out);
				troff_text(out, c[k]);
				fputs("\\fR", out);
			}
			fputs(")\n", out);
		}
	}
}

/* Does tool take the option lname (false when there is none)? */
static bool
takes_opt(const struct tk_tool_info *ti, const char *lname)
{
	const struct tk_opt *o = tk_opt_find(lname);

	return o != NULL && tk_opt_for(o, ti->bit);
}

/*
 * Does tool report the codes of group g?  Decided from the option table,
 * so that a new tool needs no entry here: a server judges only the chain a
 * client sends; a client judges the whole chain and the session; STARTTLS
 * findings come with a plaintext dialogue, the several-address one with
 * --all-addresses.  No default: a new group must be placed here.
 */
static bool
tool_reports(const struct tk_tool_info *ti, enum tk_code_group g)
{
	bool client = (ti->bit & TK_TOOLS_CLIENT) != 0;

	switch (g) {
	case TK_GROUP_PATH:
	case TK_GROUP_CHAIN:
		return true;
	case TK_GROUP_TIME:
	case TK_GROUP_STRENGTH:
	case TK_GROUP_OCSP:
		return client;
	case TK_GROUP_STARTTLS:
		return client && (takes_opt(ti, "starttls") ||
		    takes_opt(ti, "proto"));
	case TK_GROUP_TARGET:
		return client && takes_opt(ti, "all-addresses");
	case TK_GROUP_CONFIG:
		return takes_opt(ti, "max-per-host");
	}
	return false;
}

/* Where a rule comes from, as the man pages say it. */
static const char *
scope_text(enum tk_scope sc)
{
	switch (sc) {
	case TK_SCOPE_RFC:
		return "RFC rule";
	case TK_SCOPE_BR:
		return "CA/Browser Forum BR";
	case TK_SCOPE_TLSKIT:
		return "tlskit's own check";
	}
	return "RFC rule";
}

/*
 * The severity line of one code: its default severity under each profile,
 * as tk_judging_severity() gives it (so the page follows the rule, not a copy
 * of it), then where the rule comes from.
 */
static void
man_code_severity(FILE *out, const struct tk_code *c)
{
	enum tk_severity web = tk_judging_severity(NULL, TK_PROFILE_WEB,
	    c->code, c->sev, NULL);
	enum tk_severity rfc = tk_judging_severity(NULL, TK_PROFILE_RFC5280,
	    c->code, c->sev, NULL);

	if (web == rfc) {
		fprintf(out, "\\fB%s\\fR under every profile",
		    tk_severity_name(web));
	} else {
		fprintf(out, "\\fB%s\\fR under the \\fB%s\\fR profile, "
		    "\\fB%s\\fR under \\fB%s\\fR", tk_severity_name(web),
		    tk_profile_name(TK_PROFILE_WEB), tk_severity_name(rfc),
		    tk_profile_name(TK_PROFILE_RFC5280));
	}
	fprintf(out, " (%s)\n", scope_text(c->scope));
}

/*
 * Should the '-' of this word be a minus sign (\-), which survives copy
 * and paste, rather than a hyphen?  Only in an option (--warn-days, also
 * inside brackets), as in the hand-written parts of the pages:
 * "self-signed" and "SHA-1" keep their hyphens.  w is the word, without
 * the white space around it.
 */
static bool
word_wants_minus(const char *w, size_t n)
{
	while (n > 0 && strchr("([{'\"", *w) != NULL) {
		w++;
		n--;
	}
	return n > 0 && w[0] == '-';
}

/*
 * A table sentence as one troff text line: troff_text()'s escapes, except
 * that a '-' stays a hyphen unless word_wants_minus() says otherwise.
 */
static void
troff_prose(FILE *out, const char *s)
{
	if (*s == '.' || *s == '\'') {
		fputs("\\&", out);
	}
	while (*s != '\0') {
		size_t n = strcspn(s, " \t\n");
		bool minus = word_wants_minus(s, n);

		for (size_t i = 0; i < n; i++) {
			if (s[i] == '\\') {
				fputs("\\e", out);
			} else if (s[i] == '-') {
				fputs(minus ? "\\-" : "-", out);
			} else {
				fputc(s[i], out);
			}
		}
		s += n;
		/* the table has no newline; one would end the text line */
		for (; *s == ' ' || *s == '\t' || *s == '\n'; s++) {
			fputc(' ', out);
		}
	}
}

/*
 * The FINDINGS subsections of one tool, from tk_codes[]: each group the
 * tool reports, in the order of enum tk_code_group, as .SS, then each of
 * its codes in table order as .TP: the code, its severity line, and its
 * summary as a sentence, each on a line of its own.
 */
static void
man_findings(FILE *out, const struct tk_tool_info *ti)
{
	int last = -1;

	for (size_t i = 0; i < tk_codes_count; i++) {
		if ((int)tk_codes[i].group > last) {
			last = (int)tk_codes[i].group;
		}
	}
	for (int g = 0; g <= last; g++) {
		bool heading = false;

		if (!tool_reports(ti, (enum tk_code_group)g)) {
			continue;
		}
		for (size_t i = 0; i < tk_codes_count; i++) {
			const struct tk_code *c = &tk_codes[i];
			size_t len = strlen(c->summary);

			if ((int)c->group != g) {
				continue;
			}
			if (!heading) {
				fputs(".SS ", out);
				troff_prose(out, tk_code_group_name(c->group));
				fputc('\n', out);
				heading = true;
			}
			/* .br: a short code would share its line with the
			 * severity ("policy fail under ...") */
			fputs(".TP\n.B ", out);
			troff_text(out, c->code);
			fputs("\n.br\n", out);
			man_code_severity(out, c);
			fputs(".br\n", out);
			troff_prose(out, c->summary);
			if (len > 0 && c->summary[len - 1] != '.') {
				fputc('.', out);
			}
			fputc('\n', out);
		}
	}
}

static bool
is_token(const char *s, size_t n)
{
	if (n == 0) {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if ((s[i] < 'A' || s[i] > 'Z') && s[i] != '_') {
			return false;
		}
	}
	return true;
}

/*
 * One template line with @VERSION@ and @SUMMARY@ replaced.  Any other
 * @UPPERCASE@ word is an error, so that a typo cannot reach a man page.
 */
static int
man_line(FILE *out, const struct tk_tool_info *ti, const char *line,
    size_t len, const char *tmpl, size_t lineno, struct tk_err *err)
{
	size_t i = 0;

	while (i < len) {
		const char *at, *end;
		size_t n;

		if (line[i] != '@') {
			fputc(line[i++], out);
			continue;
		}
		at = line + i + 1;
		end = memchr(at, '@', len - i - 1);
		n = end != NULL ? (size_t)(end - at) : 0;
		if (end == NULL || !is_token(at, n)) {
			fputc(line[i++], out);
			continue;
		}
		if (n == 7 && memcmp(at, "VERSION", 7) == 0) {
			troff_text(out, TK_VERSION);
		} else if (n == 7 && memcmp(at, "SUMMARY", 7) == 0) {
			troff_text(out, ti->summary);
		} else {
			return tk_err_set(err, TK_USAGE, "template",
			    "%s:%zu: unknown placeholder '@%.*s@' (known: "
			    "@OPTIONS@ and @FINDINGS@ on a line of its own, "
			    "@VERSION@, @SUMMARY@)", tmpl, lineno, (int)n,
			    at);
		}
		i += n + 2;
	}
	fputc('\n', out);
	return 0;
}

static void
man_header(FILE *out, const struct tk_tool_info *ti)
{
	fprintf(out, ".\\\" Generated by tk-gendoc: do not edit.  Edit "
	    "man/%s.1.in (or the\n.\\\" option table in lib/opts.c, or the "
	    "finding codes in lib/codes.c),\n.\\\" then run: meson compile "
	    "-C build update-docs\n", ti->name);
}

/*
 * A line that is exactly @NAME@ is generated whole.  Each must appear
 * once.  Returns 0, or -1 with err for a second copy.
 */
static int
man_block(FILE *out, const struct tk_tool_info *ti, const char *p, size_t n,
    bool *seen_opts, bool *seen_findings, bool *done, const char *tmpl,
    size_t lineno, struct tk_err *err)
{
	bool *seen;

	*done = false;
	if (n == 9 && memcmp(p, "@OPTIONS@", 9) == 0) {
		seen = seen_opts;
	} else if (n == 10 && memcmp(p, "@FINDINGS@", 10) == 0) {
		seen = seen_findings;
	} else {
		return 0;
	}
	if (*seen) {
		return tk_err_set(err, TK_USAGE, "template",
		    "%s:%zu: a second %.*s line", tmpl, lineno, (int)n, p);
	}
	*seen = true;
	*done = true;
	if (seen == seen_opts) {
		man_options(out, ti->bit);
	} else {
		man_findings(out, ti);
	}
	return 0;
}

/* The man page of one tool from its template. */
static int
gen_man(FILE *out, const char *tmpl, const struct tk_tool_info *ti,
    struct tk_err *err)
{
	char *text;
	const char *p, *nl, *end;
	size_t len, lineno = 0;
	bool seen_opts = false, seen_findings = false, done;
	int rc = -1;

	text = slurp(tmpl, &len, err);
	if (text == NULL) {
		return -1;
	}
	if (strlen(text) != len) {
		tk_err_set(err, TK_USAGE, "template",
		    "template '%s' holds a NUL byte", tmpl);
		goto out;
	}
	end = text + len;
	for (p = text; p < end; p = nl + 1) {
		size_t n;

		lineno++;
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL) {
			nl = end;
		}
		n = (size_t)(nl - p);
		/* after a preprocessor line ('\" t), which must stay first */
		if (lineno == 1 && n >= 3 && memcmp(p, "'\\\"", 3) == 0) {
			fprintf(out, "%.*s\n", (int)n, p);
			man_header(out, ti);
			continue;
		}
		if (lineno == 1) {
			man_header(out, ti);
		}
		if (man_block(out, ti, p, n, &seen_opts, &seen_findings, &done,
		    tmpl, lineno, err) < 0) {
			goto out;
		}
		if (done) {
			continue;
		}
		if (man_line(out, ti, p, n, tmpl, lineno, err) < 0) {
			goto out;
		}
	}
	if (!seen_opts || !seen_findings) {
		tk_err_set(err, TK_USAGE, "template",
		    "template '%s' has no %s line (the %s section is generated "
		    "there)", tmpl, !seen_opts ? "@OPTIONS@" : "@FINDINGS@",
		    !seen_opts ? "OPTIONS" : "FINDINGS");
		goto out;
	}
	rc = 0;
out:
	free(text);
	return rc;
}

/* Is this option's value a file name (or a directory) to complete? */
static bool
takes_path(const struct tk_opt *o)
{
	return o->arg == TK_ARG_FILE || o->arg == TK_ARG_PATH;
}

/*
 * Prints the fixed words an option's value is one of for tool (nothing
 * for other options).  Choices are plain words: the shells' lists quote
 * them with single quotes and bash's compgen -W expands them.
 */
static void
value_words(FILE *out, const struct tk_opt *o, enum tk_tool tool,
    const char *sep)
{
	static const char *const versions[] = {"1.0", "1.1", "1.2", "1.3",
	    NULL};
	const char *const *w = o->arg == TK_ARG_VERSION ? versions :
	    tk_opt_choices(o, tool);

	for (size_t k = 0; w != NULL && w[k] != NULL; k++) {
		fprintf(out, "%s%s", k == 0 ? "" : sep, w[k]);
	}
}

static bool
has_words(const struct tk_opt *o)
{
	return o->arg == TK_ARG_VERSION ||
	    (o->arg == TK_ARG_CHOICE && o->choices != NULL);
}

static unsigned
all_tool_bits(void)
{
	unsigned bits = 0;

	for (size_t t = 0; t < tk_opts_ntools; t++) {
		bits |= (unsigned)tk_opts_tools[t].bit;
	}
	return bits;
}

static void
tool_names(FILE *out)
{
	for (size_t t = 0; t < tk_opts_ntools; t++) {
		fprintf(out, " %s", tk_opts_tools[t].name);
	}
}

/*
 * One branch of the bash "case $opt": the options of any tool in
 * tk_opts_tools[]
 * that want() picks, long and short, then body.
 */
static void
bash_case(FILE *out, bool (*want)(const struct tk_opt *), const char *body)
{
	unsigned bits = all_tool_bits();
	bool first = true;

	for (size_t i = 0; i < tk_opts_count; i++) {
		const struct tk_opt *o = &tk_opts[i];

		if ((o->tools & bits) == 0 || o->hidden || !want(o)) {
			continue;
		}
		fprintf(out, "%s--%s", first ? "\t" : "|", o->lname);
		if (o->sname != 0) {
			fprintf(out, "|-%c", o->sname);
		}
		first = false;
	}
	if (!first) {
		fprintf(out, ")\n%s\t\treturn 0\n\t\t;;\n", body);
	}
}

static bool
want_path(const struct tk_opt *o)
{
	return takes_path(o);
}

static bool
want_other(const struct tk_opt *o)
{
	return o->arg != TK_ARG_NONE && !takes_path(o) && !has_words(o);
}

/*
 * The value words of o for bash, whose one case over options serves every
 * tool: where a tool takes other choices (tk_opt_choices()), a case over
 * the command's name picks them.
 */
static void
bash_words(FILE *out, const struct tk_opt *o)
{
	static const char compgen[] = "mapfile -t COMPREPLY < <(compgen -P "
	    "\"$pfx\" -W '";
	enum tk_tool common = TK_TOOL_ECHO_SERVER;
	bool split = false, have_common = false;

	for (size_t t = 0; t < tk_opts_ntools; t++) {
		enum tk_tool tool = tk_opts_tools[t].bit;

		if (!tk_opt_for(o, tool)) {
			continue;
		}
		if (tk_opt_choices(o, tool) == o->choices) {
			if (!have_common) {
				common = tool;
				have_common = true;
			}
			continue;
		}
		if (!split) {
			fputs("\t\tcase ${COMP_WORDS[0]##*/} in\n", out);
			split = true;
		}
		fprintf(out, "\t\t%s)\n\t\t\t%s", tk_opts_tools[t].name,
		    compgen);
		value_words(out, o, tool, " ");
		fputs("' -- \"$val\")\n\t\t\t;;\n", out);
	}
	if (have_common) {
		fprintf(out, split ? "\t\t*)\n\t\t\t%s" : "\t\t%s", compgen);
		value_words(out, o, common, " ");
		fputs("' -- \"$val\")\n", out);
	}
	if (split) {
		fputs(have_common ? "\t\t\t;;\n\t\tesac\n" : "\t\tesac\n",
		    out);
	}
}

static void
gen_bash(FILE *out)
{
	unsigned bits = all_tool_bits();

	fputs("# bash completion for tlskit:", out);
	tool_names(out);
	fputs("\n# Generated by tk-gendoc from the option table in "
	    "lib/opts.c: do not edit.\n# Regenerate with: meson compile -C "
	    "build update-docs\n\n", out);
	fputs("_tlskit()\n{\n"
	    "\tlocal cur prev opt val pfx\n\n"
	    "\tCOMPREPLY=()\n"
	    "\tcur=${COMP_WORDS[COMP_CWORD]}\n"
	    "\tprev=\n"
	    "\tif ((COMP_CWORD > 0)); then\n"
	    "\t\tprev=${COMP_WORDS[COMP_CWORD - 1]}\n"
	    "\tfi\n"
	    "\t# An option's value: \"--opt VALUE\", \"--opt=VALUE\" as one "
	    "word, or\n"
	    "\t# \"--opt\" \"=\" \"VALUE\" as bash splits at '=' by default "
	    "(COMP_WORDBREAKS).\n"
	    "\topt=\n"
	    "\tval=$cur\n"
	    "\tpfx=\n"
	    "\tif [[ $cur == --*=* ]]; then\n"
	    "\t\topt=${cur%%=*}\n"
	    "\t\tval=${cur#*=}\n"
	    "\t\tpfx=$opt=\n"
	    "\telif [[ $cur == = && $prev == --* ]]; then\n"
	    "\t\topt=$prev\n"
	    "\t\tval=\n"
	    "\telif [[ $prev == = ]] && ((COMP_CWORD > 1)); then\n"
	    "\t\topt=${COMP_WORDS[COMP_CWORD - 2]}\n"
	    "\telif [[ $prev == -* ]]; then\n"
	    "\t\topt=$prev\n"
	    "\tfi\n\n"
	    "\tcase $opt in\n", out);
	bash_case(out, want_path,
	    "\t\tcompopt -o filenames 2>/dev/null || :\n"
	    "\t\tmapfile -t COMPREPLY < <(compgen -P \"$pfx\" -f -- "
	    "\"$val\")\n");
	for (size_t i = 0; i < tk_opts_count; i++) {
		const struct tk_opt *o = &tk_opts[i];

		if ((o->tools & bits) == 0 || o->hidden || !has_words(o)) {
			continue;
		}
		fprintf(out, "\t--%s", o->lname);
		if (o->sname != 0) {
			fprintf(out, "|-%c", o->sname);
		}
		fputs(")\n", out);
		bash_words(out, o);
		fputs("\t\treturn 0\n\t\t;;\n", out);
	}
	bash_case(out, want_other,
	    "\t\t# a value there is no list of\n");
	fputs("\tesac\n\n"
	    "\tcase ${COMP_WORDS[0]##*/} in\n", out);
	for (size_t t = 0; t < tk_opts_ntools; t++) {
		const struct tk_tool_info *ti = &tk_opts_tools[t];
		bool first = true;

		fprintf(out, "\t%s)\n\t\tif [[ $cur == -* ]]; then\n"
		    "\t\t\tmapfile -t COMPREPLY < <(compgen -W '", ti->name);
		for (size_t i = 0; i < tk_opts_count; i++) {
			const struct tk_opt *o = &tk_opts[i];

			if (!tk_opt_for(o, ti->bit) || o->hidden) {
				continue;
			}
			fprintf(out, "%s--%s", first ? "" : " ", o->lname);
			first = false;
		}
		fputs("' -- \"$cur\")\n", out);
		if (ti->max_args > 0) {
			fputs("\t\telse\n\t\t\tmapfile -t COMPREPLY < "
			    "<(compgen -A hostname -- \"$cur\")\n", out);
		}
		fputs("\t\tfi\n\t\t;;\n", out);
	}
	fputs("\tesac\n\treturn 0\n}\n\ncomplete -F _tlskit", out);
	tool_names(out);
	fputs("\n", out);
}

/*
 * A zsh _arguments spec inside single quotes: a quote ends the string, and
 * brackets and backslashes would end or escape the description (extra is
 * ':' in a message, where it separates fields).
 */
static void
zsh_text(FILE *out, const char *s, const char *extra)
{
	for (; *s != '\0'; s++) {
		if (*s == '\'') {
			fputs("'\\''", out);
		} else if (*s == '[' || *s == ']' || *s == '\\' ||
		    (extra != NULL && strchr(extra, *s) != NULL)) {
			fputc('\\', out);
			fputc(*s, out);
		} else {
			fputc(*s, out);
		}
	}
}

static void
zsh_opt(FILE *out, const struct tk_opt *o, enum tk_tool tool)
{
	const char *lsuf = o->arg == TK_ARG_NONE ? "" : "=";
	const char *ssuf = o->arg == TK_ARG_NONE ? "" : "+";

	/* '*' repeats; otherwise -k and --insecure exclude each other */
	fputs("\t\t", out);
	if (o->sname != 0) {
		if (o->repeatable) {
			fputs("'*'", out);
		} else {
			fprintf(out, "'(-%c --%s)'", o->sname, o->lname);
		}
		fprintf(out, "{-%c%s,--%s%s}'[", o->sname, ssuf, o->lname,
		    lsuf);
	} else {
		fprintf(out, "'%s--%s%s[", o->repeatable ? "*" : "",
		    o->lname, lsuf);
	}
	zsh_text(out, o->help, NULL);
	fputc(']', out);
	if (o->arg != TK_ARG_NONE) {
		fputc(':', out);
		zsh_text(out, o->metavar != NULL ? o->metavar : "value", ":");
		fputc(':', out);
		if (takes_path(o)) {
			fputs("_files", out);
		} else if (has_words(o)) {
			fputc('(', out);
			value_words(out, o, tool, " ");
			fputc(')', out);
		} else {
			fputc(' ', out);
		}
	}
	fputs("'\n", out);
}

static void
gen_zsh(FILE *out)
{
	fputs("#compdef", out);
	tool_names(out);
	fputs("\n# zsh completion for tlskit.\n# Generated by tk-gendoc from "
	    "the option table in lib/opts.c: do not edit.\n# Regenerate "
	    "with: meson compile -C build update-docs\n\n"
	    "local -a args\n\ncase $service in\n", out);
	for (size_t t = 0; t < tk_opts_ntools; t++) {
		const struct tk_tool_info *ti = &tk_opts_tools[t];

		fprintf(out, "(%s)\n\targs=(\n", ti->name);
		for (size_t i = 0; i < tk_opts_count; i++) {
			const struct tk_opt *o = &tk_opts[i];

			if (tk_opt_for(o, ti->bit) && !o->hidden) {
				zsh_opt(out, o, ti->bit);
			}
		}
		if (ti->max_args > 1) {
			fputs("\t\t'*:target:_hosts'\n", out);
		} else if (ti->max_args == 1) {
			fputs("\t\t'1:target:_hosts'\n", out);
		}
		fputs("\t)\n\t;;\n", out);
	}
	fputs("esac\n\n_arguments -s -S : $args\n", out);
}

/* A fish single-quoted string: only \ and ' are special there. */
static void
fish_quote(FILE *out, const char *s)
{
	fputc('\'', out);
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '\'') {
			fputc('\\', out);
		}
		fputc(*s, out);
	}
	fputc('\'', out);
}

static void
gen_fish(FILE *out)
{
	fputs("# fish completion for tlskit:", out);
	tool_names(out);
	fputs("\n# Generated by tk-gendoc from the option table in "
	    "lib/opts.c: do not edit.\n# Regenerate with: meson compile -C "
	    "build update-docs\n", out);
	for (size_t t = 0; t < tk_opts_ntools; t++) {
		const struct tk_tool_info *ti = &tk_opts_tools[t];

		fprintf(out, "\n# %s\n", ti->name);
		if (ti->max_args > 0) {
			fprintf(out, "complete -c %s -f -a "
			    "'(__fish_print_hostnames)'\n", ti->name);
		} else {
			fprintf(out, "complete -c %s -f\n", ti->name);
		}
		for (size_t i = 0; i < tk_opts_count; i++) {
			const struct tk_opt *o = &tk_opts[i];

			if (!tk_opt_for(o, ti->bit) || o->hidden) {
				continue;
			}
			fprintf(out, "complete -c %s", ti->name);
			if (o->sname != 0) {
				fprintf(out, " -s %c", o->sname);
			}
			fprintf(out, " -l %s", o->lname);
			if (takes_path(o)) {
				fputs(" -r -F", out);
			} else if (has_words(o)) {
				fputs(" -x -a '", out);
				value_words(out, o, ti->bit, " ");
				fputc('\'', out);
			} else if (o->arg != TK_ARG_NONE) {
				fputs(" -x", out);
			}
			fputs(" -d ", out);
			fish_quote(out, o->help);
			fputc('\n', out);
		}
	}
}

/* Runs a generator into memory.  Returns 0 or -1 with err. */
static int
render(struct doc *d, gen_fn gen, const char *tmpl,
    const struct tk_tool_info *ti, struct tk_err *err)
{
	FILE *f;
	int rc = 0;

	d->text = NULL;
	d->len = 0;
	f = open_memstream(&d->text, &d->len);
	if (f == NULL) {
		return tk_err_sys(err, TK_INTERNAL, "render",
		    "cannot open a memory stream");
	}
	if (gen != NULL) {
		gen(f);
	} else {
		rc = gen_man(f, tmpl, ti, err);
	}
	if (fclose(f) != 0) {
		rc = tk_err_sys(err, TK_INTERNAL, "render",
		    "cannot render '%s'", d->rel);
	}
	if (rc < 0) {
		free(d->text);
		d->text = NULL;
	}
	return rc;
}

static void
docs_free(struct doc *docs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(docs[i].text);
	}
	free(docs);
}

/*
 * Every committed generated file, rendered in memory: the man page of each
 * tool in tk_opts_tools[] that has a template, then the three completions.
 */
static struct doc *
docs_build(const char *srcdir, size_t *np, struct tk_err *err)
{
	static const struct {
		const char *rel;
		gen_fn gen;
	} comps[] = {
		{"completions/tlskit.bash", gen_bash},
		{"completions/_tlskit", gen_zsh},
		{"completions/tlskit.fish", gen_fish},
	};
	struct doc *docs;
	struct stat st;
	size_t n = 0;

	if (stat(srcdir, &st) != 0) {
		tk_err_sys(err, TK_USAGE, "render", "cannot use source "
		    "directory '%s'", srcdir);
		return NULL;
	}
	if (!S_ISDIR(st.st_mode)) {
		tk_err_set(err, TK_USAGE, "render", "'%s' is not a directory",
		    srcdir);
		return NULL;
	}
	docs = calloc(tk_opts_ntools + 3, sizeof(*docs));
	if (docs == NULL) {
		tk_err_set(err, TK_INTERNAL, "render", "out of memory");
		return NULL;
	}
	for (size_t t = 0; t < tk_opts_ntools; t++) {
		const struct tk_tool_info *ti = &tk_opts_tools[t];
		char tmpl[4096];
		int len;

		len = snprintf(tmpl, sizeof(tmpl), "%s/man/%s.1.in", srcdir,
		    ti->name);
		if (len < 0 || (size_t)len >= sizeof(tmpl)) {
			tk_err_set(err, TK_USAGE, "render",
			    "source directory name too long");
			goto fail;
		}
		if (access(tmpl, F_OK) != 0 && errno == ENOENT) {
			fprintf(stderr, "tk-gendoc: note: no man/%s.1.in, so "
			    "no man page for %s\n", ti->name, ti->name);
			continue;
		}
		snprintf(docs[n].rel, sizeof(docs[n].rel), "man/%s.1",
		    ti->name);
		if (render(&docs[n], NULL, tmpl, ti, err) < 0) {
			goto fail;
		}
		n++;
	}
	for (size_t i = 0; i < sizeof(comps) / sizeof(comps[0]); i++) {
		snprintf(docs[n].rel, sizeof(docs[n].rel), "%s", comps[i].rel);
		if (render(&docs[n], comps[i].gen, NULL, NULL, err) < 0) {
			goto fail;
		}
		n++;
	}
	*np = n;
	return docs;
fail:
	docs_free(docs, n);
	return NULL;
}

/* The first line where two texts differ (1-based). */
static size_t
first_diff_line(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t line = 1;

	for (size_t i = 0; i < alen && i < blen && a[i] == b[i]; i++) {
		if (a[i] == '\n') {
			line++;
		}
	}
	return line;
}

static int
cmd_check(const char *srcdir, struct tk_err *err)
{
	struct doc *docs;
	size_t n;
	int stale = 0;

	docs = docs_build(srcdir, &n, err);
	if (docs == NULL) {
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		struct tk_err rerr;
		char path[4096];
		char *old;
		size_t oldlen;

		tk_err_clear(&rerr);
		snprintf(path, sizeof(path), "%s/%s", srcdir, docs[i].rel);
		old = slurp(path, &oldlen, &rerr);
		if (old == NULL) {
			if (rerr.sys_errno == ENOENT) {
				printf("%s is missing: %s\n", docs[i].rel,
				    HINT);
			} else {
				printf("%s cannot be read (%s): %s\n",
				    docs[i].rel, rerr.msg, HINT);
			}
			stale = 1;
			continue;
		}
		if (oldlen != docs[i].len ||
		    memcmp(old, docs[i].text, oldlen) != 0) {
			printf("%s is out of date: %s\n", docs[i].rel, HINT);
			printf("  (first difference at line %zu)\n",
			    first_diff_line(old, oldlen, docs[i].text,
			    docs[i].len));
			stale = 1;
		}
		free(old);
	}
	if (stale == 0) {
		printf("all %zu generated files are up to date\n", n);
	}
	docs_free(docs, n);
	return stale;
}

/* Writes path through a temporary file and rename(2). */
static int
write_file(const char *path, const char *text, size_t len,
    struct tk_err *err)
{
	char tmp[4200];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp%ld", path, (long)getpid());
	f = fopen(tmp, "wb");
	if (f == NULL) {
		return tk_err_sys(err, TK_USAGE, "write", "cannot create '%s'",
		    tmp);
	}
	if (fwrite(text, 1, len, f) != len || fclose(f) != 0) {
		tk_err_sys(err, TK_USAGE, "write", "cannot write '%s'", tmp);
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path) != 0) {
		tk_err_sys(err, TK_USAGE, "write", "cannot rename '%s' to "
		    "'%s'", tmp, path);
		unlink(tmp);
		return -1;
	}
	return 0;
}

static int
cmd_write(const char *srcdir, struct tk_err *err)
{
	struct doc *docs;
	size_t n, changed = 0;
	int rc = 0;

	docs = docs_build(srcdir, &n, err);
	if (docs == NULL) {
		return -1;
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct tk_err rerr;
		char path[4096], dir[4096];
		char *old, *slash;
		size_t oldlen;

		snprintf(path, sizeof(path), "%s/%s", srcdir, docs[i].rel);
		tk_err_clear(&rerr);
		old = slurp(path, &oldlen, &rerr);
		if (old != NULL && oldlen == docs[i].len &&
		    memcmp(old, docs[i].text, oldlen) == 0) {
			/* unchanged: leave the mtime alone */
			free(old);
			continue;
		}
		free(old);
		snprintf(dir, sizeof(dir), "%s", path);
		slash = strrchr(dir, '/');
		if (slash != NULL) {
			*slash = '\0';
			if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
				rc = tk_err_sys(err, TK_USAGE, "write",
				    "cannot create directory '%s'", dir);
				break;
			}
		}
		rc = write_file(path, docs[i].text, docs[i].len, err);
		if (rc == 0) {
			printf("updated %s\n", docs[i].rel);
			changed++;
		}
	}
	if (rc == 0 && changed == 0) {
		printf("all %zu generated files were up to date\n", n);
	}
	docs_free(docs, n);
	return rc;
}

/* Rendered in memory first, so that a bad template prints nothing. */
static int
cmd_man(const char *tmpl, const char *name, struct tk_err *err)
{
	const struct tk_tool_info *ti = tk_tool_by_name(name);
	struct doc d;

	if (ti == NULL) {
		return tk_err_set(err, TK_USAGE, "options",
		    "unknown tool '%s'", name);
	}
	snprintf(d.rel, sizeof(d.rel), "man/%s.1", ti->name);
	if (render(&d, NULL, tmpl, ti, err) < 0) {
		return -1;
	}
	fwrite(d.text, 1, d.len, stdout);
	free(d.text);
	return 0;
}

int
main(int argc, char **argv)
{
	struct tk_err err;
	const char *cmd = argc > 1 ? argv[1] : "";
	int rc;

	tk_err_clear(&err);
	if (strcmp(cmd, "man") == 0 && argc == 4) {
		rc = cmd_man(argv[2], argv[3], &err);
	} else if (strcmp(cmd, "bash") == 0 && argc == 2) {
		gen_bash(stdout);
		rc = 0;
	} else if (strcmp(cmd, "zsh") == 0 && argc == 2) {
		gen_zsh(stdout);
		rc = 0;
	} else if (strcmp(cmd, "fish") == 0 && argc == 2) {
		gen_fish(stdout);
		rc = 0;
	} else if (strcmp(cmd, "codes") == 0 && argc == 2) {
		for (size_t i = 0; i < tk_codes_count; i++) {
			printf("%s\n", tk_codes[i].code);
		}
		rc = 0;
	} else if (strcmp(cmd, "check") == 0 && argc == 3) {
		rc = cmd_check(argv[2], &err);
	} else if (strcmp(cmd, "write") == 0 && argc == 3) {
		rc = cmd_write(argv[2], &err);
	} else if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0) {
		usage(stdout);
		return 0;
	} else {
		usage(stderr);
		return 2;
	}
	if (rc >= 0 && fflush(stdout) != 0) {
		rc = tk_err_sys(&err, TK_USAGE, "write",
		    "cannot write standard output");
	}
	if (rc < 0) {
		fprintf(stderr, "tk-gendoc: %s\n", err.msg);
		return tk_err_exit_code(err.cls);
	}
	return rc;
}
