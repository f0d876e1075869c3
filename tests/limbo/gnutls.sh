#!/bin/sh
# Plain GnuTLS as an x509-limbo verifier, for the figures tlskit is
# compared with (not part of the test suite): certtool --verify at the
# case's time (faketime, Debian package faketime), serverAuth, medium
# profile.  Takes the same options as tk-verify (--profile is ignored).
#   tests/limbo/run.sh tests/limbo/gnutls.sh
set -u
chain='' ca='' host='' at=''
while [ $# -gt 0 ]; do
	case $1 in
	--file) chain=$2; shift 2 ;;
	--ca) ca=$2; shift 2 ;;
	--hostname) host=$2; shift 2 ;;
	--at) at=$2; shift 2 ;;
	--profile) shift 2 ;;
	*) echo "gnutls.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
set -- certtool --verify --verify-profile=medium \
    --verify-purpose=1.3.6.1.5.5.7.3.1 --load-ca-certificate "$ca" \
    --infile "$chain"
[ -n "$host" ] && set -- "$@" --verify-hostname "$host"
if [ -n "$at" ]; then
	# 2024-01-01T00:00:00Z -> "@2024-01-01 00:00:00", UTC
	ts=$(printf '%s' "$at" | sed 's/T/ /; s/Z$//')
	TZ=UTC exec faketime -f "@$ts" "$@" >/dev/null 2>&1
fi
exec "$@" >/dev/null 2>&1
