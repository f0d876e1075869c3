#!/usr/bin/env bash
# Installs what tlskit needs to build and test, from Debian 12's archive.
# Idempotent: packages already present are not fetched again.
set -euo pipefail

pkgs=(
	gcc clang pkg-config meson ninja-build
	libgnutls28-dev libtasn1-6-dev libidn2-dev libjansson-dev libc-ares-dev
	gnutls-bin openssl
	bats bats-support bats-assert jq python3 groff-base man-db
	nginx-light strace libtasn1-bin publicsuffix shellcheck
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
if ! $sudo apt-get install -y -q --no-install-recommends --no-upgrade \
    "${missing[@]}" >/tmp/tlskit-apt.log 2>&1; then
	$sudo apt-get update -q >/tmp/tlskit-apt-update.log 2>&1
	$sudo apt-get install -y -q --no-install-recommends --no-upgrade \
	    "${missing[@]}"
fi
