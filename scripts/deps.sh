#!/usr/bin/env bash
# Installs what tlskit needs to build and test, from Debian 12's archive.
# Idempotent: packages already present are not fetched again.
set -euo pipefail

pkgs=(
	gcc clang pkg-config meson ninja-build
	libgnutls28-dev libtasn1-6-dev libidn2-dev libjansson-dev libc-ares-dev
	libpsl-dev
	gnutls-bin openssl
	bats bats-support bats-assert jq python3 groff-base man-db
	nginx-light strace libtasn1-bin publicsuffix shellcheck valgrind
	# the shells whose completion files tests/docs.bats checks
	zsh fish
	# real STARTTLS peers for tests/starttls-real.bats (not inn2, not
	# mariadb: a scripted NNTP server stands in for INN)
	postfix dovecot-imapd dovecot-pop3d dovecot-managesieved dovecot-lmtpd
	slapd ldap-utils postgresql prosody vsftpd
)

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
# package scripts must not start daemons on their default ports
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
	$sudo chmod 755 /usr/sbin/policy-rc.d
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
