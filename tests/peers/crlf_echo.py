#!/usr/bin/python3
"""A TLS line echo server that wants CRLF, for tests/echo-client-lines.bats:
each line that ends in CRLF comes back as it was; a line that ends in a
bare LF is answered "500 bare LF: lines end in CRLF" (CRLF-terminated),
as strict line servers do (Postfix's smtpd_forbid_bare_newline).

  crlf_echo.py CHAIN KEY

Binds 127.0.0.1:0, prints "listening on 127.0.0.1:PORT" once bound, and
serves every connection in a thread until killed: the handshake (the ssl
module), then lines until the client closes.  A line longer than 4096
bytes closes the connection.
"""
import socket, ssl, sys, threading

MAX_LINE = 4096


def serve(sock, ctx):
    try:
        s = ctx.wrap_socket(sock, server_side=True)
    except (ssl.SSLError, OSError):
        sock.close()
        return
    buf = b""
    try:
        while True:
            while b"\n" not in buf:
                if len(buf) > MAX_LINE:
                    raise EOFError
                d = s.recv(4096)
                if not d:
                    raise EOFError
                buf += d
            line, _, buf = buf.partition(b"\n")
            if line.endswith(b"\r"):
                s.sendall(line + b"\n")
            else:
                s.sendall(b"500 bare LF: lines end in CRLF\r\n")
    except (EOFError, ssl.SSLError, OSError):
        pass
    try:
        s.unwrap()
    except (ssl.SSLError, OSError, ValueError):
        pass
    s.close()


def main():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[1], sys.argv[2])
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(16)
    print("listening on 127.0.0.1:%d" % lsock.getsockname()[1], flush=True)
    while True:
        sock, _ = lsock.accept()
        threading.Thread(target=serve, args=(sock, ctx), daemon=True).start()


main()
