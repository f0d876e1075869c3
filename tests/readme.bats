#!/usr/bin/env bats
#
# The README is true: its set-up commands, what scripts/deps.sh installs
# for each of them (the demo no daemon; policy-rc.d not left behind), every
# example that shows its output (tests/readme-examples.py runs them against
# local servers and prints a diff per command that differs), the CI
# snippet's exit status and what it prints, and the install step (meson
# install into a --destdir).

# shellcheck disable=SC2030,SC2031 # exports local to each test, on purpose

bats_require_minimum_version 1.5.0

load lib

DEPS=$TK_SRC/scripts/deps.sh

# readme_block PATTERN: the first ```sh block of README.md with a line
# matching PATTERN (an ERE), without its fences.
readme_block() {
	awk -v pat="$1" '
	    /^```sh$/ { inb = 1; buf = ""; hit = 0; next }
	    inb && /^```$/ { if (hit) { printf "%s", buf; exit } inb = 0; next }
	    inb { buf = buf $0 "\n"; if ($0 ~ pat) hit = 1 }
	' "$TK_SRC/README.md"
}

# stub_apt DIR: dpkg-query says nothing is installed; apt-get logs whether
# $TK_POLICY_RC_D exists (and its text) while it runs, exits $APT_RC;
# debconf-set-selections and sudo do nothing of their own.
stub_apt() {
	mkdir -p "$1"
	printf '#!/bin/sh\nexit 1\n' >"$1/dpkg-query"
	cat >"$1/apt-get" <<-'EOF'
	#!/bin/sh
	if [ -e "$TK_POLICY_RC_D" ]; then
		echo "policy: $(tr '\n' ' ' <"$TK_POLICY_RC_D")" >>"$APT_LOG"
	else
		echo "policy: none" >>"$APT_LOG"
	fi
	echo "apt-get $*" >>"$APT_LOG"
	exit "${APT_RC:-0}"
	EOF
	printf '#!/bin/sh\ncat >/dev/null\n' >"$1/debconf-set-selections"
	printf '#!/bin/sh\nexec "$@"\n' >"$1/sudo"
	chmod +x "$1"/*
}

# --- set-up ------------------------------------------------------------------

@test "README: starts with exactly the two set-up commands; .ci/run runs the second" {
	run -0 awk '/^```/ { n++; next } n == 1' "$TK_SRC/README.md"
	[[ ${lines[0]} == 'bash scripts/demo.sh '* ]] || fail "first: ${lines[0]}"
	[[ ${lines[1]} == 'bash scripts/test.sh '* ]] || fail "second: ${lines[1]}"
	assert_equal "${#lines[@]}" 2
	run -0 grep -c '^[^#].*scripts/test\.sh' "$TK_SRC/.ci/run"
	assert_output 1
}

@test "deps.sh --list demo: the build packages and jq, no daemon, no test peer" {
	run -0 --separate-stderr "$DEPS" --list demo
	assert_line meson
	assert_line libgnutls28-dev
	assert_line jq
	for p in postfix dovecot-imapd slapd postgresql prosody vsftpd \
	    nginx-light valgrind clang bats; do
		refute_line "$p"
	done
	# nothing the demo installs ships a service or an init script
	local p
	for p in "${lines[@]}"; do
		dpkg-query -W "$p" >/dev/null 2>&1 || fail "$p is not installed"
		if dpkg -L "$p" | grep -E \
		    '^/(etc/init\.d|lib/systemd/system|usr/lib/systemd/system)/.'; then
			fail "$p (in deps.sh demo) ships a daemon"
		fi
	done
	run -0 grep -c '^bash scripts/deps.sh demo$' "$TK_SRC/scripts/demo.sh"
}

@test "deps.sh --list test: build, the peers and scanners, the shells, clang and valgrind; test.sh installs it" {
	run -0 --separate-stderr "$DEPS" --list test
	for p in meson libgnutls28-dev bats openssl gnutls-bin postfix slapd \
	    postgresql prosody vsftpd zsh fish clang valgrind sslscan testssl.sh \
	    nmap; do
		assert_line "$p"
	done
	run -0 grep -c '^bash scripts/deps.sh test ' "$TK_SRC/scripts/test.sh"
	run -2 "$DEPS" --list nonsense
	run -2 "$DEPS"
}

@test "deps.sh: a policy-rc.d it writes keeps daemons down during the install and is removed after, also when apt fails" {
	local bin=$BATS_TEST_TMPDIR/bin
	export TK_POLICY_RC_D=$BATS_TEST_TMPDIR/policy-rc.d
	export APT_LOG=$BATS_TEST_TMPDIR/apt.log
	stub_apt "$bin"

	PATH=$bin:$PATH run -0 "$DEPS" demo
	run -0 cat "$APT_LOG"
	assert_line 'policy: #!/bin/sh exit 101 '
	assert_line --partial 'apt-get install -y -q --no-install-recommends --no-upgrade gcc'
	[[ ! -e $TK_POLICY_RC_D ]] || fail "policy-rc.d left behind"

	: >"$APT_LOG"
	APT_RC=100 PATH=$bin:$PATH run "$DEPS" test
	((status != 0)) || fail "deps.sh exited 0 when apt-get failed"
	run -0 grep -c '^policy: #!/bin/sh exit 101 $' "$APT_LOG"
	assert_output 2    # install, then update (which fails too): stop
	[[ ! -e $TK_POLICY_RC_D ]] || fail "policy-rc.d left behind after a failure"
}

@test "deps.sh: a policy-rc.d that was there is used and left as it was" {
	local bin=$BATS_TEST_TMPDIR/bin
	export TK_POLICY_RC_D=$BATS_TEST_TMPDIR/policy-rc.d
	export APT_LOG=$BATS_TEST_TMPDIR/apt.log
	stub_apt "$bin"
	printf '#!/bin/sh\n# mine\nexit 101\n' >"$TK_POLICY_RC_D"
	chmod 700 "$TK_POLICY_RC_D"

	PATH=$bin:$PATH run -0 "$DEPS" test
	run -0 cat "$APT_LOG"
	assert_line 'policy: #!/bin/sh # mine exit 101 '
	run -0 stat -c '%a' "$TK_POLICY_RC_D"
	assert_output 700
	run -0 cat "$TK_POLICY_RC_D"
	assert_line '# mine'
}

@test "deps.sh test with everything installed runs no apt and leaves /usr/sbin/policy-rc.d as it was" {
	local before after
	before=$(stat -c '%F %a %s %Y' /usr/sbin/policy-rc.d 2>&1 || true)
	run -0 --separate-stderr "$DEPS" test
	assert_output ''
	[[ -z $stderr ]] || fail "deps.sh said: $stderr"
	after=$(stat -c '%F %a %s %Y' /usr/sbin/policy-rc.d 2>&1 || true)
	assert_equal "$after" "$before"
}

# --- the examples ------------------------------------------------------------

@test "README: every example that shows its output prints exactly that" {
	run python3 "$TK_SRC/tests/readme-examples.py" "$TK_SRC/README.md"
	if ((status != 0)); then
		printf '%s\n' "$output" >&2
		fail "README examples differ from the real output (diff above)"
	fi
	assert_line --regexp '^[0-9]+ README commands run, 0 differ$'
}

@test "README checker: a shown line that is not the output fails with a diff" {
	local d=$BATS_TEST_TMPDIR/src
	mkdir -p "$d"
	ln -s "$TESTDATA" "$d/testdata"
	cat >"$d/README.md" <<-'EOF'
	```sh
	build/tools/tls-check-cert -q --file testdata/localhost-rsa-chain.pem \
	    --ca testdata/ca.crt --hostname localhost --at 2030-01-31
	# -> OK      testdata/localhost-rsa-chain.pem: valid for localhost until 2099-12-31 (12 days)
	```
	EOF
	run -1 python3 "$TK_SRC/tests/readme-examples.py" "$d/README.md"
	assert_line '-# -> OK      testdata/localhost-rsa-chain.pem: valid for localhost until 2099-12-31 (12 days)'
	assert_line '+# -> OK      testdata/localhost-rsa-chain.pem: valid for localhost until 2099-12-31 (25536 days)'
	assert_line '1 README commands run, 1 differ'
}

# ci_snippet TARGET...: the README's CI snippet run as written on an
# endpoints.txt of TARGETs, the tools by name, the test CA as the trust
# store; its output in $output, its status in $status.
ci_snippet() {
	local d=$BATS_TEST_TMPDIR/ci snippet
	mkdir -p "$d"
	printf '%s\n' "$@" >"$d/endpoints.txt"
	snippet=$(readme_block 'tls-check-cert --targets endpoints\.txt')
	[[ -n $snippet ]] || fail "no CI snippet in README.md"
	cd "$d" || return 1
	run env PATH="$TK_BUILD/tools:$PATH" SSL_CERT_FILE="$TK_CA" \
	    timeout 60 bash -c "$snippet"
	cd - >/dev/null || return 1
}

@test "README CI snippet: passes when OK or a warning (printed with its message), fails within 14 days or when broken" {
	local good warn crit
	tk_leaf warn 'expiration_days = 20'
	tk_leaf crit 'expiration_days = 10'
	tk_start_echo good
	good=$PORT
	tk_start_echo warn --cert "$BATS_TEST_TMPDIR/warn-chain.pem" \
	    --key "$BATS_TEST_TMPDIR/warn.key"
	warn=$PORT
	tk_start_echo crit --cert "$BATS_TEST_TMPDIR/crit-chain.pem" \
	    --key "$BATS_TEST_TMPDIR/crit.key"
	crit=$PORT
	tk_closed_port

	ci_snippet "localhost:$good"
	assert_success
	assert_output ''
	[[ -s $BATS_TEST_TMPDIR/ci/certs.jsonl ]] || fail "no certs.jsonl"

	ci_snippet "localhost:$good" "localhost:$warn"
	assert_success
	assert_output --regexp "^localhost:$warn: warning: expires-soon: certificate #0 'localhost' expires on [^ ]+, in (19|20) days \(--warn-days 30\)\$"

	ci_snippet "localhost:$good" "localhost:$crit"
	assert_failure 1
	assert_line --regexp "^localhost:$crit: fail: expires-soon: .*, in (9|10) days \(--crit-days 14\)\$"

	# the snippet's status: 1 for every failure (the tool's 3 here)
	ci_snippet "localhost:$good" "127.0.0.1:$CLOSED_PORT"
	assert_failure 1
	assert_line "127.0.0.1:$CLOSED_PORT: error: cannot connect to 127.0.0.1:$CLOSED_PORT: Connection refused"
	run -0 jq -s length "$BATS_TEST_TMPDIR/ci/certs.jsonl"
	assert_output 2
}

# --- install -----------------------------------------------------------------

@test "meson install: the six tools, man1 and tlskit.7, bash/zsh/fish completions; an installed tool runs; README says how" {
	local root=$BATS_TEST_TMPDIR/root prefix t
	run -0 readme_block '^meson install -C build'
	assert_line --regexp '^meson install -C build( |$)'
	run -0 meson install -C "$TK_BUILD" --no-rebuild --destdir "$root"
	prefix=$(meson introspect "$TK_BUILD" --buildoptions |
	    jq -r '.[] | select(.name == "prefix") | .value')
	[[ -n $prefix ]] || fail "no prefix from meson introspect"
	for t in tls-echo-server tls-echo-client tls-check-cert tls-starttls \
	    tls-alpn-probe tls-scan; do
		[[ -x $root$prefix/bin/$t ]] || fail "bin/$t not installed"
		[[ -s $root$prefix/share/man/man1/$t.1 ]] || fail "man1/$t.1 not installed"
		[[ -s $root$prefix/share/bash-completion/completions/$t ]] ||
		    fail "bash completion for $t not installed"
		[[ -s $root$prefix/share/fish/vendor_completions.d/$t.fish ]] ||
		    fail "fish completion for $t not installed"
	done
	[[ -s $root$prefix/share/man/man7/tlskit.7 ]] || fail "tlskit.7 not installed"
	[[ -s $root$prefix/share/zsh/site-functions/_tlskit ]] ||
	    fail "zsh completion not installed"
	# only the six tools: no test harness, no generator
	run -0 ls "$root$prefix/bin"
	assert_equal "${#lines[@]}" 6
	run -0 env PATH="$root$prefix/bin:$PATH" tls-check-cert --version
	assert_line --index 0 --regexp '^tls-check-cert \(tlskit\) [0-9]'
}
