#!/usr/bin/env bats
#
# The documentation agrees with the tools: --help, --list-options, the man
# pages and the three completion files all list the same options for every
# tool (docs/ARCHITECTURE.md, "The option table"); FINDINGS list the codes of
# lib/codes.c, the table every reported code must be in.  Runs the built
# tools from $TK_BUILD (default:
# the build directory next to tests/).  The tool list comes from the
# "#compdef" line of completions/_tlskit, which tk-gendoc writes from
# tk_opts_tools[], so a new tool is covered without editing this file.

bats_require_minimum_version 1.5.0

load lib

setup() {
	SRC=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
}

# Every tool in tk_opts_tools[], one per line.
tools() {
	sed -n '1s/^#compdef //p' "$TK_SRC/completions/_tlskit" | tr ' ' '\n' |
	    grep -v '^$'
}

tool_bin() {
	local bin=$TK_BUILD/tools/$1

	if [[ ! -x $bin ]]; then
		fail "$bin is not built (set TK_BUILD to the build directory)"
	fi
	printf '%s\n' "$bin"
}

# The long options a tool lists for completion scripts, sorted.
list_opts() {
	local bin

	bin=$(tool_bin "$1") || return 1
	"$bin" --list-options | cut -f1 | sort
}

# The long options in a tool's --help: option heads start at column 2
# ("-k, --insecure") or 6 ("    --json"); folded help text starts at 30.
help_opts() {
	local bin

	bin=$(tool_bin "$1") || return 1
	"$bin" --help | grep -oE '^  (-[^ ], |    )--[a-z0-9][a-z0-9-]*' |
	    grep -oE -- '--[a-z0-9-]+$' | sort
}

# The options of the OPTIONS section of man/TOOL.1: the tag line after
# each .TP, with \- and font escapes removed.
man_opts() {
	sed -n '/^\.SH OPTIONS/,/^\.SH /p' "$TK_SRC/man/$1.1" |
	    sed -n '/^\.TP/{n;p}' | sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' |
	    grep -oE -- '--[a-z0-9][a-z0-9-]*' | sort -u
}

# What _tlskit offers for "TOOL --<TAB>".
bash_opts() {
	(
		# shellcheck source=/dev/null
		source "$TK_SRC/completions/tlskit.bash"
		COMP_WORDS=("$1" --)
		COMP_CWORD=1
		COMP_LINE="$1 --"
		COMP_POINT=${#COMP_LINE}
		_tlskit "$1" -- "$1"
		printf '%s\n' "${COMPREPLY[@]}"
	) | sort
}

# The option names in the "(TOOL)" branch of the zsh file, read from the
# spec part of each line (before the "[description]").
zsh_opts() {
	awk -v t="($1)" '$0 == t { on = 1; next } on && /^\t;;$/ { exit }
	    on { print }' "$TK_SRC/completions/_tlskit" | sed 's/\[.*//' |
	    grep -oE -- '--[a-z0-9][a-z0-9-]*' | sort -u
}

fish_opts() {
	grep "^complete -c $1 " "$TK_SRC/completions/tlskit.fish" |
	    grep -oE ' -l [a-z0-9-]+' | sed 's/^ -l /--/' | sort -u
}

@test "every tool is built, has a man page and is in tlskit(7)" {
	run -0 tools
	assert_output --partial tls-echo-server
	assert_output --partial tls-echo-client
	for t in $(tools); do
		tool_bin "$t" >/dev/null
		[[ -f $TK_SRC/man/$t.1.in ]] ||
		    fail "no man/$t.1.in: write the template, then run \`meson compile -C build update-docs\`"
		[[ -f $TK_SRC/man/$t.1 ]] || fail "no man/$t.1: run \`meson compile -C build update-docs\`"
		grep -q "^\.BR $t (1)" "$TK_SRC/man/tlskit.7" ||
		    fail "man/tlskit.7 does not mention $t(1)"
	done
}

@test "no man template for a tool that does not exist" {
	local known t

	known=$(tools)
	for f in "$TK_SRC"/man/*.1.in; do
		t=$(basename "$f" .1.in)
		grep -qx -- "$t" <<<"$known" ||
		    fail "man/$t.1.in has no tool in tk_opts_tools[]"
	done
}

@test "the committed man pages and completions are up to date" {
	local gendoc=$TK_BUILD/tools/tk-gendoc

	[[ -x $gendoc ]] || fail "$gendoc is not built"
	run "$gendoc" check "$TK_SRC"
	assert_success
}

@test "--list-options lists options, each once, hidden ones left out" {
	local dups

	for t in $(tools); do
		run -0 list_opts "$t"
		assert_output --regexp '^--'
		refute_line -- '--list-options'
		dups=$(uniq -d <<<"$output")
		[[ -z $dups ]] || fail "$t lists twice: $dups"
	done
}

@test "--help lists exactly the options of --list-options" {
	for t in $(tools); do
		run diff -u --label "$t --help" --label "$t --list-options" \
		    <(help_opts "$t") <(list_opts "$t")
		assert_success
	done
}

@test "the man page's OPTIONS section lists exactly the options" {
	for t in $(tools); do
		run diff -u --label "man/$t.1 OPTIONS" --label "$t --list-options" \
		    <(man_opts "$t") <(list_opts "$t")
		assert_success
	done
}

@test "every option appears in the man page text" {
	local text

	for t in $(tools); do
		text=$(sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' "$TK_SRC/man/$t.1")
		for o in $(list_opts "$t"); do
			grep -qE -- "(^|[^a-z0-9-])$o([^a-z0-9-]|\$)" <<<"$text" ||
			    fail "$o is not in man/$t.1"
		done
	done
}

@test "the bash completion offers exactly the options" {
	for t in $(tools); do
		run diff -u --label "bash: $t --<TAB>" --label "$t --list-options" \
		    <(bash_opts "$t") <(list_opts "$t")
		assert_success
	done
}

@test "the zsh completion lists exactly the options" {
	for t in $(tools); do
		run diff -u --label "_tlskit ($t)" --label "$t --list-options" \
		    <(zsh_opts "$t") <(list_opts "$t")
		assert_success
	done
}

@test "the fish completion lists exactly the options" {
	for t in $(tools); do
		run diff -u --label "tlskit.fish ($t)" --label "$t --list-options" \
		    <(fish_opts "$t") <(list_opts "$t")
		assert_success
	done
}

@test "every option appears in each completion file" {
	for t in $(tools); do
		for o in $(list_opts "$t"); do
			grep -qE -- "(^|[^a-z0-9-])$o([^a-z0-9-]|\$)" \
			    "$TK_SRC/completions/tlskit.bash" ||
			    fail "$o is not in completions/tlskit.bash"
			grep -qE -- "(^|[^a-z0-9-])$o([^a-z0-9-]|\$)" \
			    "$TK_SRC/completions/_tlskit" ||
			    fail "$o is not in completions/_tlskit"
			grep -qE -- "^complete -c $t( .*)? -l ${o#--}( |\$)" \
			    "$TK_SRC/completions/tlskit.fish" ||
			    fail "$o is not in completions/tlskit.fish for $t"
		done
	done
}

@test "the man pages render without warnings" {
	local pages=("$TK_SRC"/man/*.1 "$TK_SRC/man/tlskit.7")

	if command -v groff >/dev/null; then
		for p in "${pages[@]}"; do
			run --separate-stderr -0 groff -man -Tutf8 -ww -z "$p"
			[[ -z $stderr ]] || fail "groff warns about $p: $stderr"
		done
	elif command -v man >/dev/null; then
		for p in "${pages[@]}"; do
			run --separate-stderr -0 env MANWIDTH=80 man --warnings -l "$p"
			[[ -z $stderr ]] || fail "man warns about $p: $stderr"
		done
	else
		skip "neither groff nor man is installed"
	fi
}

@test "bash -n accepts the bash completion" {
	run -0 bash -n "$TK_SRC/completions/tlskit.bash"
}

@test "zsh accepts its completion file" {
	command -v zsh >/dev/null || fail "zsh is missing (scripts/deps.sh)"
	run -0 zsh -n "$TK_SRC/completions/_tlskit"
}

@test "fish accepts its completion file" {
	command -v fish >/dev/null || fail "fish is missing (scripts/deps.sh)"
	run -0 fish -n "$TK_SRC/completions/tlskit.fish"
}

@test "bash: tls-echo-client --min-v<TAB> completes to --min-version" {
	# shellcheck source=/dev/null
	source "$TK_SRC/completions/tlskit.bash"
	COMP_WORDS=(tls-echo-client --min-v)
	COMP_CWORD=1
	COMP_LINE='tls-echo-client --min-v'
	COMP_POINT=${#COMP_LINE}
	_tlskit tls-echo-client --min-v tls-echo-client
	[[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == --min-version ]] ||
	    fail "COMPREPLY is (${COMPREPLY[*]}), not (--min-version)"
}

@test "bash: option values complete from the table" {
	# shellcheck source=/dev/null
	source "$TK_SRC/completions/tlskit.bash"
	COMP_WORDS=(tls-echo-client --min-version 1.)
	COMP_CWORD=2
	_tlskit
	[[ "${COMPREPLY[*]}" == '1.0 1.1 1.2 1.3' ]] ||
	    fail "--min-version values: (${COMPREPLY[*]})"
	COMP_WORDS=(tls-echo-server --color "=" a)
	COMP_CWORD=3
	_tlskit
	[[ "${COMPREPLY[*]}" == 'auto always' ]] ||
	    fail "--color=a values: (${COMPREPLY[*]})"
	COMP_WORDS=(tls-echo-server --cert "$TK_SRC/man/tls-echo-server.1.")
	COMP_CWORD=2
	_tlskit
	[[ "${COMPREPLY[*]}" == "$TK_SRC/man/tls-echo-server.1.in" ]] ||
	    fail "--cert file names: (${COMPREPLY[*]})"
}

@test "shellcheck accepts the bash completion" {
	run -0 shellcheck -s bash "$TK_SRC/completions/tlskit.bash"
}

# The finding codes of lib/codes.c (tk_codes[]), one per line.
table_codes() {
	local gendoc=$TK_BUILD/tools/tk-gendoc

	[[ -x $gendoc ]] || fail "$gendoc is not built"
	"$gendoc" codes
}

# Every code the C sources of lib/ and tools/ report: a string literal as
# the second argument of tk_findings_add() or of a file's own add() (the
# path builder's), also when the call spans lines.  "file code" per line.
used_codes() {
	perl -0777 -ne '
		while (/\b(?:tk_findings_add|add)\s*\(\s*[^,;()"]*,\s*"([^"]*)"/g) {
			print "$ARGV $1\n";
		}' "$TK_SRC"/lib/*.c "$TK_SRC"/tools/*.c | sort -u
}

# The .SS headings of the FINDINGS section of man/TOOL.1, one per line.
findings_groups() {
	sed -n '/^\.SH FINDINGS/,/^\.SH /p' "$TK_SRC/man/$1.1" |
	    sed -n 's/^\.SS //p'
}

# The codes of the FINDINGS section of man/TOOL.1: the .TP tags of its
# subsections (the hand-written introduction before them has tags too).
findings_codes() {
	awk '/^\.SH / { on = $2 == "FINDINGS"; ss = 0; next }
	    on && /^\.SS / { ss = 1 }
	    ss && tp { sub(/^\.B /, ""); gsub(/\\-/, "-"); print }
	    { tp = ss && /^\.TP/ }' "$TK_SRC/man/$1.1"
}

@test "every finding code reported in lib/ and tools/ is in tk_codes[]" {
	local table used missing=()

	run -0 table_codes
	table=$output
	[[ $(wc -l <<<"$table") -gt 40 ]] || fail "too few codes in the table: $table"
	[[ -z $(sort <<<"$table" | uniq -d) ]] ||
	    fail "codes twice in the table: $(sort <<<"$table" | uniq -d)"
	run -0 used_codes
	used=$output
	# a broken pattern must not pass for want of matches
	[[ $(cut -d' ' -f2 <<<"$used" | sort -u | wc -l) -gt 40 ]] ||
	    fail "too few codes found in the sources: $used"
	while read -r file code; do
		grep -qx -- "$code" <<<"$table" || missing+=("$code (${file#"$TK_SRC"/})")
	done <<<"$used"
	[[ ${#missing[@]} -eq 0 ]] ||
	    fail "reported but not in lib/codes.c: ${missing[*]}"
}

# The server configuration's codes (the table's last group) only
# tls-scan reports; every other code is tls-check-cert's.
@test "every code of tk_codes[] is in tls-check-cert(1) or tls-scan(1), in table order" {
	run -0 table_codes    # the diff below would hide its failure
	run diff -u --label "tk-gendoc codes" \
	    --label "man/tls-check-cert.1 and tls-scan.1 FINDINGS" \
	    <(table_codes) <(findings_codes tls-check-cert
	    findings_codes tls-scan | grep -vxF -f <(findings_codes tls-check-cert))
	assert_success
}

@test "each man page's FINDINGS lists the groups its tool reports" {
	local client='Path validation
The chain as served
Expiry
Strength
OCSP stapling'
	local want

	for t in $(tools); do
		case $t in
		tls-check-cert)
			want="$client"$'\nSTARTTLS\nSeveral addresses' ;;
		tls-starttls | tls-echo-client | tls-alpn-probe)
			want="$client"$'\nSTARTTLS' ;;
		tls-echo-server)
			want=$'Path validation\nThe chain as served' ;;
		tls-scan)
			want="$client"$'\nSTARTTLS\nServer configuration' ;;
		*)
			# a new tool: at least the path validation codes
			run -0 findings_groups "$t"
			assert_line 'Path validation'
			continue ;;
		esac
		run diff -u --label "expected for $t" --label "man/$t.1 FINDINGS" \
		    <(printf '%s\n' "$want") <(findings_groups "$t")
		assert_success
	done
}

@test "every code in a FINDINGS section is in tk_codes[]" {
	local table

	table=$(table_codes) || fail "tk-gendoc codes failed"
	for t in $(tools); do
		run -0 findings_codes "$t"
		[[ -n $output ]] || fail "man/$t.1 lists no finding codes"
		for c in $output; do
			grep -qx -- "$c" <<<"$table" ||
			    fail "man/$t.1 lists '$c', which is not in lib/codes.c"
		done
	done
}

@test "tk-gendoc refuses a man template without @FINDINGS@" {
	local gendoc=$TK_BUILD/tools/tk-gendoc tmpl=$BATS_TEST_TMPDIR/t.1.in

	[[ -x $gendoc ]] || fail "$gendoc is not built"
	grep -vx '@FINDINGS@' "$TK_SRC/man/tls-echo-server.1.in" >"$tmpl"
	run --separate-stderr -2 "$gendoc" man "$tmpl" tls-echo-server
	assert_output ''
	[[ $stderr == *"no @FINDINGS@ line"* ]] || fail "stderr: $stderr"
	printf '@FINDINGS@\n' >>"$tmpl"
	printf '@FINDINGS@\n' >>"$tmpl"
	run --separate-stderr -2 "$gendoc" man "$tmpl" tls-echo-server
	[[ $stderr == *"a second @FINDINGS@ line"* ]] || fail "stderr: $stderr"
}

@test "docs/ARCHITECTURE.md's layering table is the one the include lines make" {
	local want
	want=$(python3 "$TK_SRC/scripts/layering.py") ||
	    fail "scripts/layering.py failed (an include cycle?)"
	diff <(printf '%s\n' "$want") \
	    <(sed -n '/^| row | module: what it includes |$/,/^$/p' \
	    "$TK_SRC/docs/ARCHITECTURE.md" | sed '/^$/d') ||
	    fail "update the table: python3 scripts/layering.py"
}

@test "file = module: every exported name starts with its module or a type it defines" {
	run python3 "$TK_SRC/scripts/check-names.py" "$TK_BUILD"
	assert_success
}

@test "each tool's tools/TOOL.c is a thin main() under 400 lines (README, tools/)" {
	local t n bad=
	for t in $(tools); do
		n=$(wc -l <"$TK_SRC/tools/$t.c")
		if ((n >= 400)); then
			bad+=" tools/$t.c ($n lines)"
		fi
	done
	[[ -z $bad ]] || fail "move rendering or logic into lib/:$bad"
}

@test "every lib/ module is in docs/ARCHITECTURE.md's module table" {
	local f m bad=
	for f in "$TK_SRC"/lib/*.c; do
		m=$(basename "$f" .c)
		[[ $m == alpnreg ]] && continue   # the IANA table of tls
		grep -q "^| \`$m\` | " "$TK_SRC/docs/ARCHITECTURE.md" ||
		    bad+=" $m"
	done
	[[ -z $bad ]] || fail "not in the module table:$bad"
}
