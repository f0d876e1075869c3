#!/usr/bin/env bats
# tls-echo-server --workers: N worker processes on the shared listeners,
# one ready line, many clients served by every worker, signals forwarded
# (SIGTERM stops all, SIGHUP reloads in each), a dying worker logged and
# not replaced, and the option's bad combinations.

# shellcheck disable=SC2030,SC2031 # WORKERS: set and read within each test
load lib

# --- helpers local to this file -------------------------------------------

# ppid_of PID: the parent PID from /proc/PID/stat.
ppid_of() {
	local stat

	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	read -r _ ppid _ <<<"$stat"
	echo "$ppid"
}

# worker_pids NAME: the worker PIDs server NAME announced on stderr.
worker_pids() {
	sed -n 's/^tls-echo-server: worker [0-9]* pid \([0-9]*\)$/\1/p' \
	    "$BATS_TEST_TMPDIR/$1.err"
}

# has_workers NAME N: server NAME announced N workers.
has_workers() {
	(($(worker_pids "$1" | wc -l) >= $2))
}

# start_workers NAME N [ARGS...]: tls-echo-server --workers N --json with
# the ECDSA chain; waits for the N worker lines; sets WORKERS (their PIDs).
start_workers() {
	local name=$1 n=$2

	shift 2
	tk_start_echo "$name" --json --workers "$n" \
	    --cert "$TESTDATA/localhost-ecdsa-chain.pem" \
	    --key "$TESTDATA/localhost-ecdsa.key" "$@"
	tk_wait_for "$SERVER_PID" "$n worker lines" has_workers "$name" "$n"
	mapfile -t WORKERS < <(worker_pids "$name")
}

# all_gone PID...: every PID has exited.
all_gone() {
	local p

	for p in "$@"; do
		tk_gone "$p" || return 1
	done
}

# --- tests -----------------------------------------------------------------

@test "--workers 2: one ready line with the real port, two worker children" {
	start_workers w2 2
	assert_equal "$(tk_listen_addrs "$BATS_TEST_TMPDIR/w2.out" | wc -l)" 1
	assert_equal "${#WORKERS[@]}" 2
	[[ ${WORKERS[0]} != "${WORKERS[1]}" ]] || fail "one PID twice"
	local p
	for p in "${WORKERS[@]}"; do
		assert_equal "$(ppid_of "$p")" "$SERVER_PID"
	done
	run -0 --separate-stderr tk_client --ca "$TK_CA" -m hi "127.0.0.1:$PORT"
	assert_output hi
}

@test "--workers 2: 200 concurrent clients all echoed, each worker serves some" {
	local d=$BATS_TEST_TMPDIR i pids=() bad=0 n

	start_workers many 2
	for ((i = 0; i < 200; i++)); do
		tk_client --ca "$TK_CA" -m "client-$i" "127.0.0.1:$PORT" \
		    >"$d/c$i.out" 2>"$d/c$i.err" 3>&- &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do
		if ! wait "${pids[$i]}"; then
			bad=$((bad + 1))
			echo "# client $i failed: $(cat "$d/c$i.err")" >&3
		elif [[ $(cat "$d/c$i.out") != "client-$i" ]]; then
			bad=$((bad + 1))
			echo "# client $i: wrong echo" >&3
		fi
	done
	assert_equal "$bad" 0
	tk_wait_for "$SERVER_PID" "200 connection records" \
	    tk_file_has "$d/many.out" '"event":"connection".*"verdict":"ok"' 200
	n=$(grep -c '"event":"connection"' "$d/many.out")
	assert_equal "$n" 200
	# every record names a worker, and both workers served
	run -0 jq -r 'select(.event == "connection") | .worker' "$d/many.out"
	local seen
	seen=$(sort -u <<<"$output" | tr '\n' ' ')
	assert_equal "$seen" "$(printf '%s\n' "${WORKERS[@]}" | sort -u | tr '\n' ' ')"
}

@test "--workers 2: SIGTERM to the parent stops every worker, exit 0" {
	start_workers term 2
	run -0 tk_client --ca "$TK_CA" -m x "127.0.0.1:$PORT"
	kill -TERM "$SERVER_PID"
	tk_wait_exit "$SERVER_PID"
	assert_equal "$EXIT_STATUS" 0
	tk_wait_for 0 "both workers to exit" all_gone "${WORKERS[@]}"
	# a stop asked for is not a worker death
	run grep -c 'not restarted' "$BATS_TEST_TMPDIR/term.err"
	assert_output 0
}

@test "--workers 2: SIGINT stops them too" {
	start_workers int 2
	kill -INT "$SERVER_PID"
	tk_wait_exit "$SERVER_PID"
	assert_equal "$EXIT_STATUS" 0
	tk_wait_for 0 "both workers to exit" all_gone "${WORKERS[@]}"
}

@test "--workers 2: SIGHUP reloads the credentials in every worker" {
	local d=$BATS_TEST_TMPDIR p k

	cat "$TESTDATA/localhost-rsa-chain.pem" "$TESTDATA/localhost-rsa.key" \
	    >"$d/cur.pem"
	tk_start_echo hup --workers 2 --cert "$d/cur.pem"
	tk_wait_for "$SERVER_PID" "2 worker lines" has_workers hup 2
	mapfile -t WORKERS < <(worker_pids hup)
	cat "$TESTDATA/localhost-ecdsa-chain.pem" \
	    "$TESTDATA/localhost-ecdsa.key" >"$d/new.pem"
	mv "$d/new.pem" "$d/cur.pem"
	kill -HUP "$SERVER_PID"
	for p in "${WORKERS[@]}"; do
		tk_wait_for "$SERVER_PID" "worker $p reloads" tk_file_has "$d/hup.err" \
		    "^tls-echo-server\\[$p\\]: reloaded credentials"
	done
	# whichever worker serves, every client now sees the ECDSA key (a
	# for-in list: bats' run may change a loop counter of the caller)
	for k in $(seq 10); do
		run -0 --separate-stderr tk_client --json --ca "$TK_CA" -m "$k" \
		    "127.0.0.1:$PORT"
		tk_jqx '.chain[0].key | startswith("ECDSA")' "$output"
	done
	tk_gone "$SERVER_PID" && fail "the server exited on SIGHUP"
	true
}

@test "--workers 2: a worker that dies is logged, not replaced; the other serves" {
	local d=$BATS_TEST_TMPDIR

	start_workers die 2
	kill -KILL "${WORKERS[0]}"
	tk_wait_for "$SERVER_PID" "the worker death line" tk_file_has "$d/die.err" \
	    "worker 1 \\(pid ${WORKERS[0]}\\) killed by signal 9; 1 of 2 left, not restarted"
	run -0 tk_client --ca "$TK_CA" -m survivor "127.0.0.1:$PORT"
	assert_output survivor
	assert_equal "$(worker_pids die | wc -l)" 2
	kill -TERM "$SERVER_PID"
	tk_wait_exit "$SERVER_PID"
	# a worker was killed: an internal failure, not a clean stop
	assert_equal "$EXIT_STATUS" 70
}

@test "--workers auto: one worker per core" {
	local n

	n=$(nproc)
	((n > 1)) || skip "one core: auto means one process, no workers"
	start_workers auto auto
	assert_equal "${#WORKERS[@]}" "$n"
}

@test "--workers 1 (the default) forks nothing" {
	tk_start_echo one --json --workers 1
	run -0 tk_client --ca "$TK_CA" -m one "127.0.0.1:$PORT"
	run grep -c 'worker' "$BATS_TEST_TMPDIR/one.err"
	assert_output 0
	tk_wait_for "$SERVER_PID" "a connection record" \
	    tk_file_has "$BATS_TEST_TMPDIR/one.out" '"event":"connection"'
	# the record's fields are those of one process: no "worker"
	run grep -c '"worker"' "$BATS_TEST_TMPDIR/one.out"
	assert_output 0
}

@test "--workers: --once excludes it, bad values are usage errors (exit 2)" {
	run -2 "$TK_SERVER" --cert "$TESTDATA/localhost-rsa-chain.pem" \
	    --key "$TESTDATA/localhost-rsa.key" --listen 127.0.0.1:0 \
	    --once --workers 2
	assert_output --partial 'exclude'
	run -2 "$TK_SERVER" --workers 0
	assert_output --partial '--workers'
	run -2 "$TK_SERVER" --workers many
	assert_output --partial '--workers'
	run -2 "$TK_SERVER" --workers 1025
	assert_output --partial '--workers'
}
