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
# one libFuzzer process is one core: run as many targets at once as there
# are cores (TK_FUZZ_JOBS says otherwise), each into its own log, and
# report in the targets' order
jobs=${TK_FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

run_one() {
	local t=$1 scratch rc=0 runs out
	scratch=$(mktemp -d)
	out=$(build-fuzz/tests/fuzz/"$t" -max_total_time="$secs" \
	    -max_len=65536 -artifact_prefix=build-fuzz/crashes/"$t"- \
	    "$scratch" "tests/fuzz/corpus/$t" 2>&1) || rc=$?
	rm -rf "$scratch"
	runs=$(printf '%s\n' "$out" | sed -n 's/^Done \([0-9]*\) runs.*/\1/p')
	if [ "$rc" -ne 0 ]; then
		echo "$t: FAILED after ${runs:-?} executions"
		printf '%s\n' "$out" | grep -v '^#' | tail -n 40
		return 1
	fi
	echo "$t: ${runs:-?} executions in ${secs}s, no crash"
}

for i in "${!targets[@]}"; do
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
		wait -n || true
	done
	run_one "${targets[$i]}" >"$logs/$i" 2>&1 &
done
wait
status=0
for i in "${!targets[@]}"; do
	cat "$logs/$i"
	grep -q ': no crash$' "$logs/$i" || status=1
done
exit $status
