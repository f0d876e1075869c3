#!/usr/bin/env bats
# Golden files: what every tool prints (command line, exit status, stdout,
# stderr) for a fixed list of cases, compared with tests/golden/expected
# by scripts/golden.sh, which starts and stops its own servers.  A failure
# shows the unified diff; if the change is meant, regenerate with
# scripts/golden.sh --update and commit the expected files with it.

bats_require_minimum_version 1.5.0

# golden TOOL: the check of TOOL's cases; fails with the script's output.
golden() {
	run "$BATS_TEST_DIRNAME/../scripts/golden.sh" --check --only "$1"
	if ((status != 0)); then
		printf '%s\n' "$output" >&2
		return 1
	fi
}

@test "golden: tls-echo-server prints what tests/golden/expected says" {
	golden tls-echo-server
}

@test "golden: tls-echo-client prints what tests/golden/expected says" {
	golden tls-echo-client
}

@test "golden: tls-check-cert prints what tests/golden/expected says" {
	golden tls-check-cert
}

@test "golden: tls-starttls prints what tests/golden/expected says" {
	golden tls-starttls
}

@test "golden: tls-alpn-probe prints what tests/golden/expected says" {
	golden tls-alpn-probe
}

@test "golden: no expected file without a case" {
	run -0 "$BATS_TEST_DIRNAME/../scripts/golden.sh" --list
	local expected listed

	expected=$(cd "$BATS_TEST_DIRNAME/golden/expected" &&
	    ls -- *.out | sed 's/\.out$//' | sort)
	listed=$(sort <<<"$output")
	if [[ $expected != "$listed" ]]; then
		diff <(echo "$listed") <(echo "$expected") >&2 || true
		return 1
	fi
}
