#!/usr/bin/env bats
# The data phase of every tool over lib/stream.c: each user gets many
# small records written in one go and must process all of them without a
# further byte arriving (docs/ARCHITECTURE.md, "The poll loop").  The
# server side is tests/peers/records.py (one record per byte, each reply
# in one sendall); the client side of tls-echo-server's dialogue is an
# inline Python client doing the same.  GnuTLS takes one record at a time
# from the socket, so bytes wait inside it, where no fd event announces
# them, after a read that took part of a record: the last case (the
# dialogue inside TLS reads a line at a time, the relay goes on).

load lib

RECORDS=$BATS_TEST_DIRNAME/peers/records.py

setup() {
	tk_setup
	CA=$TESTDATA/ca.crt
	ST=$TK_BUILD/tools/tls-starttls
}

teardown() {
	tk_teardown
}

# records NAME ARGS...: records.py with the localhost chain; sets PORT.
records() {
	local name=$1

	shift
	tk_start_server "$name" "$TK_PYTHON" "$RECORDS" \
	    --cert "$TESTDATA/localhost-rsa-chain.pem" \
	    --key "$TESTDATA/localhost-rsa.key" "$@"
}

@test "echo client: an echo of 3000 one-byte records, sent at once, all checked" {
	records split
	head -c 2250 /dev/urandom | base64 -w0 >"$BATS_TEST_TMPDIR/in"
	run -0 --separate-stderr tk_client --timeout 5 --ca "$CA" \
	    --hostname localhost "127.0.0.1:$PORT" <"$BATS_TEST_TMPDIR/in"
	assert_output "$(cat "$BATS_TEST_TMPDIR/in")"
}

@test "echo client --count: blocks echoed one byte per record" {
	records split
	run -0 --separate-stderr tk_client --timeout 5 --ca "$CA" --json \
	    --hostname localhost --count 20 --size 1500 "127.0.0.1:$PORT"
	jq -e '.load.count == 20 and .echo.match == true and
	    .echo.bytes_received == 30000' <<<"$output" >/dev/null ||
	    fail "$output"
}

@test "echo client --connections: blocks echoed one byte per record" {
	records split
	run -0 --separate-stderr tk_client --timeout 5 --ca "$CA" --json \
	    --hostname localhost --connections 1 --duration 1 --size 700 \
	    "127.0.0.1:$PORT"
	jq -e '.load.count > 0 and .load.errors == 0' <<<"$output" \
	    >/dev/null || fail "$output"
}

@test "tls-starttls --relay: 300 records sent at once all reach stdout" {
	records burst --mode burst --count 300 --starttls line
	run -0 --separate-stderr timeout 20 "$ST" --ca "$CA" --timeout 5 \
	    --relay --proto line "localhost:$PORT" < <(sleep 2)
	assert_line --index 0 'line 0'
	assert_line --index 299 'line 299'
	[[ ${#lines[@]} == 300 ]] || fail "${#lines[@]} lines: $output"
}

@test "tls-starttls: the EHLO reply inside TLS one byte per record" {
	records smtp --starttls smtp
	run -0 --separate-stderr timeout 20 "$ST" --ca "$CA" --timeout 5 \
	    --json --proto smtp "localhost:$PORT"
	jq -e '.starttls.caps_after | length == 60' <<<"$output" \
	    >/dev/null || fail "$output"
}

@test "echo server: 100 SMTP commands, one record each, sent at once" {
	tk_start_echo smtp --starttls smtp
	run -0 "$TK_PYTHON" -c '
import socket, ssl, sys
port, ca = int(sys.argv[1]), sys.argv[2]
s = socket.create_connection(("127.0.0.1", port), timeout=5)
f = s.makefile("rb")
def reply():
    while True:
        l = f.readline()
        if l[3:4] != b"-":
            return l
reply()
s.sendall(b"EHLO x\r\n"); reply()
s.sendall(b"STARTTLS\r\n"); reply()
ctx = ssl.create_default_context(cafile=ca)
inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
t = ctx.wrap_bio(inc, out, server_hostname="localhost")
def pull():
    d = s.recv(65536)
    if not d:
        raise EOFError
    inc.write(d)
while True:
    try:
        t.do_handshake(); break
    except ssl.SSLWantReadError:
        s.sendall(out.read()); pull()
s.sendall(out.read())
for i in range(100):
    t.write(b"NOOP\r\n")          # one record each
s.sendall(out.read())            # all in one write
got = b""
while got.count(b"\r\n") < 100:
    try:
        got += t.read(65536)
    except ssl.SSLWantReadError:
        pull()
print(got.count(b"250"))
' "$PORT" "$CA"
	assert_output 100
}

@test "tls-starttls --relay: what the server sent with its EHLO reply inside TLS reaches stdout" {
	# one record holds the reply and 1000 lines: the dialogue takes the
	# reply, the relay the rest, though the server then sends nothing
	# and stdin stays open (the run ends by timeout)
	records extra --starttls smtp --extra 1000
	run --separate-stderr timeout 4 "$ST" --ca "$CA" --timeout 5 \
	    --relay --proto smtp "localhost:$PORT" < <(sleep 30)
	[[ $output == *$'extra 999\r' ]] ||
	    fail "the lines after the reply did not all come: ${output: -200}"
}
