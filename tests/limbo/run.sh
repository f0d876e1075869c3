#!/bin/sh
# Runs the x509-limbo suite through tk-verify (or another verifier with
# the same options) and enforces tests/limbo/gate: the whole-suite and
# hand-written pass rates, and no false accepts in the groups listed in
# tests/limbo/protected.
#
#   tests/limbo/run.sh [VERIFIER]        (default: build/tools/tk-verify)
#
# Environment: LIMBO_DIR (default: shared/x509-limbo next to the
# checkout, or next to the local repository it was cloned from), LIMBO_JOBS (default: the number of CPUs), LIMBO_RESULTS (keep
# the per-case results there), LIMBO_OK_CODES (exit codes that mean
# "valid", default 0; "0,5" for tls-check-cert, whose warnings exit 5),
# LIMBO_SAMPLE (1: a sample of the BetterTLS name-constraint cases, for
# sanitizer builds; the whole-suite rate is then not gated), PYTHON
# (default: python3).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
verifier=${1:-build/tools/tk-verify}
# ../shared beside the checkout; a clone made elsewhere from a local
# repository (CI clones main) finds it beside the repository it came from;
# anything else only by LIMBO_DIR.  No other path is looked at.
limbo=${LIMBO_DIR:-$(dirname "$top")/shared/x509-limbo}
if [ -z "${LIMBO_DIR:-}" ] && [ ! -f "$limbo/run-limbo.py" ]; then
	origin=$(git -C "$top" config --get remote.origin.url 2>/dev/null ||
	    true)
	case $origin in
	/*)
		[ -f "$(dirname "$origin")/shared/x509-limbo/run-limbo.py" ] &&
		    limbo=$(dirname "$origin")/shared/x509-limbo
		;;
	esac
fi
py=${PYTHON:-python3}

if [ ! -x "$verifier" ]; then
	echo "run.sh: no verifier at '$verifier' (build it, or pass its path)" >&2
	exit 2
fi
if [ ! -f "$limbo/run-limbo.py" ]; then
	echo "run.sh: no x509-limbo at '$limbo' (set LIMBO_DIR)" >&2
	exit 2
fi
tmp=$(mktemp -d -t tk-limbo.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
results=${LIMBO_RESULTS:-$tmp/results.jsonl}

# x509-limbo's rfc5280:: cases judge RFC 5280 alone, the rest (webpki::,
# BetterTLS, CVEs, path length) the public web PKI: each part runs under
# the matching profile (docs/verification.md)
run_part() {
	profile=$1 out=$2
	shift 2
	"$py" "$limbo/run-limbo.py" \
		--cmd "$verifier --profile $profile --file {chain} --ca {ca} [--hostname {dns}] [--hostname {ip}] [--at {at}]" \
		--supports ip --verdict exit --success-codes "${LIMBO_OK_CODES:-0}" \
		--failure-codes 1 \
		--group-depth 2 --jobs "${LIMBO_JOBS:-$(nproc 2>/dev/null || echo 2)}" \
		--results "$out" "$@"
}
# LIMBO_SAMPLE=1 (sanitizer builds, where each case costs several times
# more): every hand-written and path-building case, but only the BetterTLS
# name-constraint cases whose number starts with 9 (about one in sixteen)
sample=
if [ "${LIMBO_SAMPLE:-0}" = 1 ]; then
	for d in 1 2 3 4 5 6 7 8; do
		sample="$sample --exclude bettertls::nameconstraints::tc$d"
	done
	export LIMBO_SAMPLED=1
fi
run_part rfc5280 "$tmp/rfc5280.jsonl" --include rfc5280::
echo
# shellcheck disable=SC2086 # $sample is a list of words
run_part web "$tmp/web.jsonl" --exclude rfc5280:: $sample
cat "$tmp/rfc5280.jsonl" "$tmp/web.jsonl" >"$results"
echo
"$py" "$here/gate.py" "$results" "$here/gate" "$here/protected"
