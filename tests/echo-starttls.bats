#!/usr/bin/env bats
# tls-echo-server --starttls smtp, imap and pop3: the server side of each
# dialogue against openssl s_client and gnutls-cli, plaintext injected
# after STARTTLS discarded (CVE-2011-0411), the refusals before TLS, the
# line-length cap and the timeout on a line that never ends.

load lib

# --- helpers local to this file -------------------------------------------

# A command inside TLS per protocol, the reply line that ends its answer,
# the command that ends the session and the word that offers STARTTLS.
declare -gA INSIDE=([smtp]='EHLO client.example' [imap]='a1 CAPABILITY'
    [pop3]='CAPA')
declare -gA INSIDE_END=([smtp]='250 8BITMIME' [imap]='a1 OK CAPABILITY completed'
    [pop3]='.')
declare -gA BYE=([smtp]='QUIT' [imap]='a9 LOGOUT' [pop3]='QUIT')
declare -gA OFFER=([smtp]='STARTTLS' [imap]='STARTTLS' [pop3]='STLS')

# s_client PROTO: openssl s_client -starttls PROTO against the server on
# $PORT, verifying it, sends the INSIDE command then the BYE one (the
# server closes after it).  Sets output and status (run).
s_client() {
	local proto=$1

	run --separate-stderr timeout 20 openssl s_client -starttls "$proto" \
	    -connect "127.0.0.1:$PORT" -CAfile "$TK_CA" -verify_return_error \
	    -quiet -crlf -ign_eof <<<"${INSIDE[$proto]}
${BYE[$proto]}"
}

# gnutls_dialogue PROTO: gnutls-cli --starttls-proto=PROTO, verifying the
# server for localhost, with its stdin on a FIFO: the INSIDE command is
# written, the end of its answer awaited (bounded), then stdin closed.
# Sets PEER_STATUS and PEER_OUT.
gnutls_dialogue() {
	local proto=$1 fifo pid fd

	fifo=$BATS_TEST_TMPDIR/gnutls.fifo
	mkfifo "$fifo"
	PEER_OUT=$fifo.out
	timeout 20 gnutls-cli --starttls-proto="$proto" --x509cafile "$TK_CA" \
	    -p "$PORT" localhost <"$fifo" >"$PEER_OUT" 2>"$fifo.err" 3>&- &
	pid=$!
	exec {fd}<>"$fifo"
	printf '%s\n' "${INSIDE[$proto]}" >&"$fd"
	tk_wait_for "$pid" "the answer to '${INSIDE[$proto]}' from gnutls-cli" \
	    tk_has_echo "$PEER_OUT" "${INSIDE_END[$proto]}" || true
	exec {fd}>&-
	PEER_STATUS=0
	wait "$pid" || PEER_STATUS=$?
	[[ $PEER_STATUS == 0 ]] ||
	    fail "gnutls-cli: status $PEER_STATUS: $(cat "$PEER_OUT" "$fifo.err")"
}

# The raw client: python3's socket and ssl modules, one script, modes:
#   inject PROTO PORT CA: the STARTTLS command and a NOOP in one write,
#     TLS, then the BYE command; prints every line got inside TLS.
#   send PROTO PORT CA LINE...: after the greeting, each LINE in plaintext,
#     printing each reply's last line; "EOF" when the server closes.
#   long PROTO PORT CA N [tls]: a line of N bytes (inside TLS with tls);
#     prints "EOF" if the server closes the connection.
raw() {
	"$TK_PYTHON" - "$@" <<'EOF'
import socket, ssl, sys

mode, proto, port, ca = sys.argv[1:5]
args = sys.argv[5:]
s = socket.create_connection(("127.0.0.1", int(port)), timeout=5)
buf = b""

def line(sock):
    global buf
    while b"\n" not in buf:
        try:
            d = sock.recv(4096)
        except (ConnectionResetError, ssl.SSLError):
            d = b""
        if not d:
            return None
        buf += d
    l, _, buf = buf.partition(b"\n")
    return l.rstrip(b"\r").decode("ascii", "replace")

def reply(sock):
    """One reply, multi-line ones whole; its last line (None: EOF)."""
    l = line(sock)
    if l is None:
        return None
    if proto == "smtp":
        while len(l) > 3 and l[3] == "-":
            l = line(sock)
            if l is None:
                return None
    elif proto == "imap":
        while l.startswith("* ") and not l.startswith("* BAD"):
            l = line(sock)
            if l is None:
                return None
    elif proto == "pop3" and l.startswith("+OK capability"):
        while l != ".":
            l = line(sock)
            if l is None:
                return None
    return l

go = {"smtp": b"STARTTLS\r\n", "imap": b"a1 STARTTLS\r\n",
      "pop3": b"STLS\r\n"}[proto]
noop = {"smtp": b"NOOP\r\n", "imap": b"a2 NOOP\r\n",
        "pop3": b"NOOP\r\n"}[proto]
bye = {"smtp": b"QUIT\r\n", "imap": b"a3 LOGOUT\r\n",
       "pop3": b"QUIT\r\n"}[proto]

def tls():
    global buf
    if buf:
        sys.exit("bytes after the go-ahead: %r" % buf)
    ctx = ssl.create_default_context(cafile=ca)
    return ctx.wrap_socket(s, server_hostname="localhost")

print("greeting", line(s))
if mode == "inject":
    s.sendall(go + noop)
    print("go-ahead", reply(s))
    t = tls()
    t.sendall(bye)
    while True:
        l = line(t)
        if l is None:
            break
        print("tls", l)
    print("EOF")
elif mode == "send":
    for a in args:
        try:
            s.sendall(a.encode() + b"\r\n")
            r = reply(s)
        except (ConnectionResetError, BrokenPipeError):
            r = None
        print(r if r is not None else "EOF")
        if r is None:
            break
elif mode == "long":
    sock = s
    if len(args) > 1 and args[1] == "tls":
        s.sendall(go)
        print("go-ahead", reply(s))
        sock = tls()
    try:
        sock.sendall(b"N" * int(args[0]) + b"\r\n")
        r = reply(sock)
    except (ConnectionResetError, BrokenPipeError, ssl.SSLError):
        r = None
    print(r if r is not None else "EOF")
EOF
}

# server_err NAME REGEX: wait until server NAME logged a line matching
# REGEX on stderr.
server_err() {
	tk_wait_for 0 "server $1 to log /$2/" tk_file_has "$BATS_TEST_TMPDIR/$1.err" "$2"
}

# --- openssl s_client and gnutls-cli, per protocol --------------------------

s_client_case() {
	local proto=$1

	tk_start_echo "$proto" --starttls "$proto"
	s_client "$proto"
	[[ $status == 0 ]] || fail "s_client: status $status: $output $stderr"
	# the answer inside TLS, and it no longer offers STARTTLS
	grep -qxF -- "${INSIDE_END[$proto]}" <<<"${output//$'\r'/}" ||
	    fail "no answer to '${INSIDE[$proto]}' inside TLS: $output"
	if grep -qw -- "${OFFER[$proto]}" <<<"$output"; then
		fail "${OFFER[$proto]} offered inside TLS: $output"
	fi
	server_err "$proto" ' TLS1\.3 .* ok$'
}

gnutls_case() {
	local proto=$1

	tk_start_echo "$proto" --starttls "$proto"
	gnutls_dialogue "$proto"
	tk_has_echo "$PEER_OUT" "${INSIDE_END[$proto]}" ||
	    fail "no '${INSIDE_END[$proto]}' inside TLS: $(cat "$PEER_OUT")"
	if tr -d '\r' <"$PEER_OUT" | grep -qw -- "${OFFER[$proto]}"; then
		fail "${OFFER[$proto]} offered inside TLS: $(cat "$PEER_OUT")"
	fi
	server_err "$proto" ' TLS1\.3 .* ok$'
}

@test "smtp: openssl s_client -starttls smtp, EHLO inside TLS without STARTTLS" {
	s_client_case smtp
	assert_line --partial '250-SIZE'
	assert_line --partial '221 2.0.0'
}

@test "imap: openssl s_client -starttls imap, CAPABILITY inside TLS without STARTTLS" {
	s_client_case imap
	assert_line --partial '* CAPABILITY IMAP4rev1 LOGINDISABLED'
	assert_line --partial 'a9 OK LOGOUT completed'
}

@test "pop3: openssl s_client -starttls pop3, CAPA inside TLS without STLS" {
	s_client_case pop3
	assert_line --partial 'IMPLEMENTATION tlskit'
	assert_line --partial '+OK tlskit signing off'
}

@test "smtp: gnutls-cli --starttls-proto=smtp" {
	gnutls_case smtp
}

@test "imap: gnutls-cli --starttls-proto=imap" {
	gnutls_case imap
}

@test "pop3: gnutls-cli --starttls-proto=pop3" {
	gnutls_case pop3
}

# --- plaintext injected after STARTTLS (CVE-2011-0411) ----------------------

inject_case() {
	local proto=$1 go=$2 bye=$3

	tk_start_echo "$proto" --starttls "$proto"
	run -0 raw inject "$proto" "$PORT" "$TK_CA"
	assert_line -n 1 "go-ahead $go"
	# the first line inside TLS answers the command sent inside TLS: the
	# pipelined plaintext command was never answered
	assert_line -n 2 "tls $bye"
	refute_line --partial 'NOOP'
	refute_line --regexp '^tls (250 2\.0\.0 OK|-ERR)'
	assert_line 'EOF'
	server_err "$proto" 'ok \(plaintext after STARTTLS discarded\)$'
}

@test "smtp: STARTTLS and NOOP in one write: the NOOP is discarded, not answered inside TLS" {
	inject_case smtp '220 2.0.0 Ready to start TLS' \
	    '221 2.0.0 localhost closing connection'
}

@test "imap: STARTTLS and NOOP in one write: the NOOP is discarded" {
	inject_case imap 'a1 OK Begin TLS negotiation now' \
	    '* BYE tlskit logging out'
}

@test "pop3: STLS and NOOP in one write: the NOOP is discarded" {
	inject_case pop3 '+OK Begin TLS negotiation' '+OK tlskit signing off'
}

# --- refusals and the plaintext dialogue ------------------------------------

@test "smtp: greeting, MAIL before STARTTLS is 530, QUIT closes in plaintext" {
	tk_start_echo smtp --starttls smtp
	run -0 raw send smtp "$PORT" "$TK_CA" 'MAIL FROM:<a@example.org>' \
	    'RCPT TO:<b@example.org>' 'DATA' 'EHLO' 'NOOP' 'QUIT' 'NOOP'
	assert_line -n 0 'greeting 220 localhost ESMTP tlskit'
	assert_line -n 1 '530 5.7.0 Must issue a STARTTLS command first'
	assert_line -n 2 '530 5.7.0 Must issue a STARTTLS command first'
	assert_line -n 3 '530 5.7.0 Must issue a STARTTLS command first'
	assert_line -n 4 '501 5.5.4 Syntax: EHLO hostname'
	assert_line -n 5 '250 2.0.0 OK'
	assert_line -n 6 '221 2.0.0 localhost closing connection'
	assert_line -n 7 'EOF'
	server_err smtp ' - - group=- .* ok$'
}

@test "imap and pop3: refusals before TLS" {
	tk_start_echo imap --starttls imap
	run -0 raw send imap "$PORT" "$TK_CA" 'a1 LOGIN u p' 'a2 FROB' \
	    '(bad NOOP' 'a3 STARTTLS now' 'a4 LOGOUT'
	assert_line -n 0 'greeting * OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] tlskit ready'
	assert_line -n 1 'a1 NO not implemented: tlskit echo server'
	assert_line -n 2 'a2 NO not implemented: tlskit echo server'
	assert_line -n 3 '* BAD invalid tag'
	assert_line -n 4 'a3 BAD STARTTLS takes no arguments'
	assert_line -n 5 'a4 OK LOGOUT completed'
	tk_start_echo pop3 --starttls pop3
	run -0 raw send pop3 "$PORT" "$TK_CA" 'USER bob' 'CAPA' 'QUIT'
	assert_line -n 0 'greeting +OK tlskit ready'
	assert_line -n 1 '-ERR not implemented: tlskit echo server'
	assert_line -n 2 '.'
	assert_line -n 3 '+OK tlskit signing off'
}

# --- caps and timeouts --------------------------------------------------------

@test "smtp: a line longer than 4096 bytes closes the connection, before and inside TLS" {
	tk_start_echo smtp --starttls smtp
	run -0 raw long smtp "$PORT" "$TK_CA" 4097
	assert_line -n 1 'EOF'
	server_err smtp 'error: plaintext: the peer sent a line longer than 4096 bytes'
	run -0 raw long smtp "$PORT" "$TK_CA" 100000 tls
	assert_line -n 1 'go-ahead 220 2.0.0 Ready to start TLS'
	assert_line -n 2 'EOF'
	server_err smtp 'error: dialogue: the peer sent a line longer than 4096 bytes'
	# a line of exactly the cap is answered
	run -0 raw long smtp "$PORT" "$TK_CA" 4096
	assert_line -n 1 '530 5.7.0 Must issue a STARTTLS command first'
}

@test "smtp: a client that never ends its line is dropped at --handshake-timeout" {
	tk_start_echo smtp --starttls smtp --handshake-timeout 0.5
	run -0 "$TK_PYTHON" -c '
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
print(s.recv(100).decode().strip())
s.sendall(b"EHLO never-ending")
t = time.monotonic()
print("EOF" if s.recv(100) == b"" else "data")
print("late" if time.monotonic() - t > 4 else "in time")
' "$PORT"
	assert_output $'220 localhost ESMTP tlskit\nEOF\nin time'
	server_err smtp 'error: plaintext: no STARTTLS handshake within 0\.5 s \(--handshake-timeout\)'
}

@test "imap: a client idle inside TLS is dropped at --idle-timeout" {
	tk_start_echo imap --starttls imap --idle-timeout 0.5
	run -0 "$TK_PYTHON" -c '
import socket, ssl, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
f = s.makefile("rb", buffering=0)
f.readline(); s.sendall(b"a STARTTLS\r\n"); print(f.readline().decode().strip())
t = ssl.create_default_context(cafile=sys.argv[2]).wrap_socket(
    s, server_hostname="localhost")
try:
    print("EOF" if t.recv(100) == b"" else "data")
except ssl.SSLError as e:
    print("EOF")
' "$PORT" "$TK_CA"
	assert_output $'a OK Begin TLS negotiation now\nEOF'
	server_err imap 'error: idle: no data for 0\.5 s \(--idle-timeout\)'
}

@test "server: --starttls with a protocol the server does not speak exits 2" {
	run -2 --separate-stderr "$TK_SERVER" --listen 127.0.0.1:0 \
	    --cert "$TESTDATA/localhost-rsa-chain.pem" \
	    --key "$TESTDATA/localhost-rsa.key" --starttls bogus
	assert_output ''
	[[ $stderr == 'tls-echo-server: '*bogus* ]] || fail "stderr: $stderr"
	# a protocol the clients speak but the server does not serve
	run -2 --separate-stderr "$TK_SERVER" --listen 127.0.0.1:0 \
	    --cert "$TESTDATA/localhost-rsa-chain.pem" \
	    --key "$TESTDATA/localhost-rsa.key" --starttls ldap
	assert_output ''
	[[ $stderr == 'tls-echo-server: '*'line, smtp, imap, pop3'* ]] ||
	    fail "stderr: $stderr"
}
