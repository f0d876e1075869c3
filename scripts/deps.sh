#!/usr/bin/env bash
# Installs what tlskit needs from Debian 12's archive, by purpose:
#   bash scripts/deps.sh [--list] GROUP...
#   build  compiler, meson, ninja and the libraries: building and running
#          the tools (scripts/build.sh)
#   demo   build, and what scripts/demo.sh itself runs (jq); no daemon
#   test   build, and everything scripts/test.sh runs: bats, the peers
#          (openssl, gnutls-bin, nginx, postfix, dovecot, slapd, ...;
#          sslscan, testssl.sh and nmap: the scanners tls-scan is
#          compared with), the shells of the completion tests, clang for
#          scripts/fuzz.sh and valgrind for tests/valgrind.bats
#   bench  build, and the developer's tools: clang (scripts/fuzz.sh),
#          valgrind (scripts/valgrind.sh), the peers bench/run.sh needs
#          (gnutls-bin, openssl, jq, python3; it installs Twisted and
#          gnuplot itself) and those of bench/scan.sh (sslscan,
#          testssl.sh, nmap, nginx-light, strace)
# --list prints the packages of the groups, one a line, and installs
# nothing.  Idempotent: when every package is installed, apt is not run.
# The daemons' packages must not start on their default ports at install:
# /usr/sbin/policy-rc.d (exit 101) is written for the install only when it
# is absent, and removed again on exit; one already there is left alone.
set -euo pipefail

build=(
	gcc pkg-config meson ninja-build
	libgnutls28-dev libtasn1-6-dev libtasn1-bin libidn2-dev
	libjansson-dev libc-ares-dev libpsl-dev
)
demo=("${build[@]}" jq)
test=(
	"${build[@]}"
	bats bats-support bats-assert jq python3 groff-base man-db
	# pyOpenSSL: tests/peers/alpn_twisted.py answers ALPN as Twisted does
	python3-openssl
	gnutls-bin openssl nginx-light strace publicsuffix shellcheck
	# scripts/fuzz.sh (libFuzzer) and tests/valgrind.bats
	clang valgrind
	# the shells whose completion files tests/docs.bats checks
	zsh fish
	# real STARTTLS peers for tests/starttls-real.bats (not inn2, not
	# mariadb: a scripted NNTP server stands in for INN)
	postfix dovecot-imapd dovecot-pop3d dovecot-managesieved dovecot-lmtpd
	slapd ldap-utils postgresql prosody vsftpd
	# test peers only: the scanners tls-scan is compared with
	# (tests/scan-peers.bats, bench/scan.sh); nginx-light serves there too
	sslscan testssl.sh nmap
)
bench=("${build[@]}" clang valgrind gnutls-bin openssl jq python3
	# test peers only: bench/scan.sh times tls-scan against them
	sslscan testssl.sh nmap nginx-light strace)

usage() {
	echo "usage: scripts/deps.sh [--list] build|demo|test|bench..." >&2
	exit 2
}

list=0
if [ "${1:-}" = --list ]; then
	list=1
	shift
fi
[ $# -gt 0 ] || usage
pkgs=()
for g in "$@"; do
	case $g in
	build) pkgs+=("${build[@]}") ;;
	demo) pkgs+=("${demo[@]}") ;;
	test) pkgs+=("${test[@]}") ;;
	bench) pkgs+=("${bench[@]}") ;;
	*) usage ;;
	esac
done
mapfile -t pkgs < <(printf '%s\n' "${pkgs[@]}" | awk '!seen[$0]++')
if [ "$list" = 1 ]; then
	printf '%s\n' "${pkgs[@]}"
	exit 0
fi

missing=()
for p in "${pkgs[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
echo "installing: ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
	sudo=sudo
fi
# package scripts must not start daemons on their default ports; the file
# is ours to remove only when we wrote it (TK_POLICY_RC_D: for the tests)
policy=${TK_POLICY_RC_D:-/usr/sbin/policy-rc.d}
if [ ! -e "$policy" ] && [ ! -L "$policy" ]; then
	trap '$sudo rm -f "$policy"' EXIT
	trap 'exit 130' INT TERM HUP
	printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
	$sudo chmod 755 "$policy"
fi
export DEBIAN_FRONTEND=noninteractive
# no questions and no configuration of its own: the tests write their own
# (postfix would otherwise want a mailer type, slapd an initial database)
printf '%s\n' \
    'postfix postfix/main_mailer_type select No configuration' \
    'slapd slapd/no_configuration boolean true' |
    $sudo debconf-set-selections
if ! $sudo apt-get install -y -q --no-install-recommends --no-upgrade \
    "${missing[@]}" >/tmp/tlskit-apt.log 2>&1; then
	$sudo apt-get update -q >/tmp/tlskit-apt-update.log 2>&1
	$sudo apt-get install -y -q --no-install-recommends --no-upgrade \
	    "${missing[@]}"
fi
