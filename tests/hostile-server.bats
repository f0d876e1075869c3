#!/usr/bin/env bats
# Hostile clients against tls-echo-server (issue 7): garbage instead of a
# ClientHello, clients that stall mid-handshake, clients that vanish
# mid-echo, a client that never reads, more clients than file
# descriptors.  After every case a normal tls-echo-client still gets its
# echo.  The hostile clients are tests/peers/hostile.py.

load lib

HOSTILE=$BATS_TEST_DIRNAME/peers/hostile.py

# still_echoes: a normal client gets its echo from the server on $PORT.
still_echoes() {
	run -0 --separate-stderr tk_client --timeout 5 --ca "$TESTDATA/ca.crt" \
	    --hostname localhost -m 'still here' "127.0.0.1:$PORT"
	assert_output 'still here'
	tk_gone "$SERVER_PID" && fail "server exited"
	return 0
}

# cpu_ticks PID: utime+stime in clock ticks.
cpu_ticks() {
	local stat
	stat=$(cat "/proc/$1/stat")
	stat=${stat##*) }
	awk '{ print $12 + $13 }' <<<"$stat"
}

@test "hostile clients: 1000 clients send garbage instead of a ClientHello" {
	tk_start_echo garbage --handshake-timeout 2
	run -0 timeout 90 "$TK_PYTHON" "$HOSTILE" garbage "$PORT" 1000 50
	assert_output --partial 'garbage clients: 1000'
	still_echoes
}

@test "hostile clients: 50 stalled mid-handshake are dropped at --handshake-timeout, no busy loop" {
	local t0 t1 hz
	tk_start_echo stall --handshake-timeout 1
	t0=$(cpu_ticks "$SERVER_PID")
	run -0 timeout 30 "$TK_PYTHON" "$HOSTILE" stall "$PORT" 50 2.5
	t1=$(cpu_ticks "$SERVER_PID")
	assert_output --partial 'closed by server: 50'
	hz=$(getconf CLK_TCK)
	# 2.5 s of waiting: a busy loop would burn ~250 ticks; allow 0.3 s
	(((t1 - t0) * 100 / hz < 30)) ||
	    fail "server used $((t1 - t0)) ticks (HZ $hz) while clients stalled"
	still_echoes
}

@test "hostile clients: clients that vanish mid-echo (RST)" {
	tk_start_echo vanish
	run -0 timeout 60 "$TK_PYTHON" "$HOSTILE" vanish "$PORT" 100
	assert_output 'vanished: 100'
	still_echoes
}

@test "hostile clients: a client that never reads: server memory bounded" {
	local r0 r1
	tk_start_echo noread
	r0=$(tk_rss_kb "$SERVER_PID")
	run -0 timeout 60 "$TK_PYTHON" "$HOSTILE" noread "$PORT" 256 5
	r1=$(tk_rss_kb "$SERVER_PID")
	((r1 - r0 < 65536)) || fail "server RSS grew from ${r0} kB to ${r1} kB"
	still_echoes
}

@test "hostile clients: 500 clients against ulimit -n 64: refused gracefully, served afterwards" {
	local t0 t1 hz pid
	tk_spawn fd64 bash -c 'ulimit -n 64 && exec "$@"' _ "$TK_SERVER" \
	    --listen 127.0.0.1:0 --cert "$TESTDATA/localhost-rsa-chain.pem" \
	    --key "$TESTDATA/localhost-rsa.key" --handshake-timeout 10
	tk_wait_for "$SERVER_PID" "fd64 ready" tk_ready "$BATS_TEST_TMPDIR/fd64.out" 1
	PORT=$(tk_listen_addrs "$BATS_TEST_TMPDIR/fd64.out" | head -n 1)
	PORT=${PORT##*:}
	# one client that holds its session through the flood
	"$TK_PYTHON" "$HOSTILE" held "$PORT" 3 >"$BATS_TEST_TMPDIR/held.out" 2>&1 3>&- &
	pid=$!
	tk_wait_for "$pid" "held client echo" tk_file_has "$BATS_TEST_TMPDIR/held.out" '^echo: before$'
	"$TK_PYTHON" "$HOSTILE" flood "$PORT" 500 3 >"$BATS_TEST_TMPDIR/flood.out" 2>&1 3>&- &
	local fpid=$!
	sleep 1
	hz=$(getconf CLK_TCK)
	t0=$(cpu_ticks "$SERVER_PID")
	sleep 1
	t1=$(cpu_ticks "$SERVER_PID")
	(((t1 - t0) * 100 / hz < 50)) ||
	    fail "server spins with fds exhausted: $((t1 - t0)) ticks in 1 s"
	tk_wait_for "$pid" "held client echo during the flood" \
	    tk_file_has "$BATS_TEST_TMPDIR/held.out" '^echo: during$' ||
	    fail "held client: $(cat "$BATS_TEST_TMPDIR/held.out")"
	tk_wait_exit "$pid"
	tk_wait_exit "$fpid"
	tk_gone "$SERVER_PID" && fail "server exited under fd exhaustion"
	still_echoes
}
