#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan) and runs each one for
# SECONDS (default 30) from its committed seed corpus.  New inputs go to a
# scratch corpus; crashes land in build-fuzz/crashes/ and fail the run.
#   bash scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-30}
shift || true
if [ ! -f build-fuzz/build.ninja ]; then
	CC=clang meson setup build-fuzz -Dfuzz=true \
	    -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
fi
ninja -C build-fuzz >/dev/null
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
	for f in tests/fuzz/fuzz_*.c; do
		targets+=("$(basename "$f" .c)")
	done
fi
mkdir -p build-fuzz/crashes
status=0
for t in "${targets[@]}"; do
	scratch=$(mktemp -d)
	seeds=tests/fuzz/corpus/$t
	rc=0
	out=$(build-fuzz/tests/fuzz/"$t" -max_total_time="$secs" \
	    -max_len=65536 -artifact_prefix=build-fuzz/crashes/"$t"- \
	    "$scratch" "$seeds" 2>&1) || rc=$?
	runs=$(printf '%s\n' "$out" | sed -n 's/^Done \([0-9]*\) runs.*/\1/p')
	if [ "$rc" -ne 0 ]; then
		status=1
		echo "$t: FAILED after ${runs:-?} executions"
		printf '%s\n' "$out" | grep -v '^#' | tail -n 40
	else
		echo "$t: ${runs:-?} executions in ${secs}s, no crash"
	fi
	rm -rf "$scratch"
done
exit $status
