#!/usr/bin/env bash
# Builds tlskit and runs the whole test suite: the C unit tests (meson)
# and the end-to-end bats tests against real peers.  Ends with one line
# "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
bash scripts/deps.sh test || exit 1
bash scripts/build.sh || exit 1

# the client tools honour https_proxy/all_proxy as curl does: the suite
# talks to loopback servers, and its proxy tests set their own
unset https_proxy HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY

log=$(mktemp -d)
asan_build=
trap 'rm -rf "$log"; [ -z "$asan_build" ] || kill "$asan_build" 2>/dev/null' EXIT

# the ASan+UBSan build compiles at the lowest priority, one file at a
# time, while the plain suite runs (its tests mostly wait on peers)
if [ "${TK_SANITIZE:-1}" = 1 ]; then
	(
		if [ ! -f build-asan/build.ninja ]; then
			meson setup build-asan -Db_sanitize=address,undefined \
			    -Db_lundef=false >/dev/null || exit 1
		fi
		nice -n 19 ninja -j 1 -C build-asan
	) >"$log/asan-build" 2>&1 &
	asan_build=$!
fi

meson test -C build --suite unit --print-errorlogs >"$log/unit" 2>&1
sed -n '/^ *[0-9]*\/[0-9]* /p' "$log/unit"
unit_ok=$(sed -n 's/^Ok: *\([0-9]*\).*/\1/p' "$log/unit")
unit_fail=$(sed -n 's/^Fail: *\([0-9]*\).*/\1/p' "$log/unit")
unit_ok=${unit_ok:-0}
unit_fail=${unit_fail:-0}
if [ "$unit_ok" -eq 0 ] && [ "$unit_fail" -eq 0 ]; then
	cat "$log/unit"
	unit_fail=1
fi
if [ "$unit_fail" -ne 0 ]; then
	cat "$log/unit"
fi

# fuzz smoke: every target from its seed corpus for a short fixed time
# (wall time: -max_total_time), run at the lowest priority alongside the
# plain suite, whose tests mostly wait on peers
fuzz_ok=0
fuzz_fail=0
nice -n 19 bash scripts/fuzz.sh "${TK_FUZZ_SECONDS:-20}" >"$log/fuzz" 2>&1 &
fuzz_pid=$!

TK_BUILD=$PWD/build bats --tap tests/*.bats | tee "$log/bats"
bats_ok=$(grep -c '^ok ' "$log/bats")
bats_fail=$(grep -c '^not ok ' "$log/bats")
planned=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$log/bats" | head -n 1)
if [ -z "$planned" ] || [ $((bats_ok + bats_fail)) -ne "$planned" ]; then
	echo "bats did not run every planned test" >&2
	bats_fail=$((bats_fail + 1))
fi

wait "$fuzz_pid" || true
cat "$log/fuzz"
fuzz_ok=$(grep -c ', no crash$' "$log/fuzz")
fuzz_fail=$(grep -c ': FAILED' "$log/fuzz")
if [ "$fuzz_ok" -eq 0 ] && [ "$fuzz_fail" -eq 0 ]; then
	fuzz_fail=1
fi

# the same unit and end-to-end tests on an ASan+UBSan build (leak checks
# on): any report makes the tool exit non-zero, which fails its test
san_ok=0
san_fail=0
if [ "${TK_SANITIZE:-1}" = 1 ]; then
	wait "$asan_build"
	asan_build_rc=$?
	asan_build=
	if [ "$asan_build_rc" -eq 0 ] &&
	    ninja -C build-asan >>"$log/asan-build" 2>&1; then
		export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
		export LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp:print_suppressions=0
		export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
		meson test -C build-asan --suite unit >"$log/asan-unit" 2>&1
		san_ok=$(sed -n 's/^Ok: *\([0-9]*\).*/\1/p' "$log/asan-unit")
		san_fail=$(sed -n 's/^Fail: *\([0-9]*\).*/\1/p' "$log/asan-unit")
		san_ok=${san_ok:-0}
		san_fail=${san_fail:-1}
		[ "$san_fail" -ne 0 ] && cat "$log/asan-unit"
		# not tests/scan-peers.bats: the agreement of three scanners
		# with tls-scan does not depend on tlskit's memory checks, and
		# it is slow (testssl.sh); tests/scan.bats runs tls-scan under
		# ASan
		asan_bats=()
		for f in tests/*.bats; do
			[ "$f" = tests/scan-peers.bats ] || asan_bats+=("$f")
		done
		TK_BUILD=$PWD/build-asan bats --tap "${asan_bats[@]}" \
		    >"$log/asan-bats"
		sed 's/^/asan: /' "$log/asan-bats" | grep -v '^asan: ok '
		san_ok=$((san_ok + $(grep -c '^ok ' "$log/asan-bats")))
		san_fail=$((san_fail + $(grep -c '^not ok ' "$log/asan-bats")))
		echo "asan: $san_ok passed, $san_fail failed"
	else
		cat "$log/asan-build"
		san_fail=1
	fi
fi

passed=$((unit_ok + bats_ok + fuzz_ok + san_ok))
failed=$((unit_fail + bats_fail + fuzz_fail + san_fail))
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
