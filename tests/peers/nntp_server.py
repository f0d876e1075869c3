#!/usr/bin/python3
"""A small NNTP server with STARTTLS (RFC 3977, RFC 4642) for
tests/starttls-real.bats: no light real NNTP server fits the test machine
(inn2's nnrpd needs a domain in the host name and an overview index, see
docs/ARCHITECTURE.md, "Real peers").

  nntp_server.py CHAIN KEY [PORT]

Binds 127.0.0.1:PORT (default 0), prints "listening on 127.0.0.1:PORT"
once bound, and serves every connection in a thread until killed:

  200 greeting; CAPABILITIES (101, VERSION 2, READER, STARTTLS while in
  plaintext, "."); STARTTLS -> 382, then the TLS handshake with the ssl
  module (CHAIN, KEY); anything the client sent after the STARTTLS line in
  plaintext is discarded, never answered inside TLS (CVE-2011-0411);
  inside TLS CAPABILITIES again (without STARTTLS), STARTTLS -> 502;
  MODE READER -> 200, DATE -> 111, QUIT -> 205, others -> 500.  Lines
  longer than 512 bytes (RFC 3977 3.1) get 501 and close the connection.
"""
import socket, ssl, sys, threading, time

MAX_LINE = 512


class Conn:
    def __init__(self, sock, ctx):
        self.sock = sock
        self.ctx = ctx
        self.buf = b""
        self.tls = False

    def send(self, *lines):
        self.sock.sendall(b"".join(l.encode() + b"\r\n" for l in lines))

    def line(self):
        while b"\n" not in self.buf:
            if len(self.buf) > MAX_LINE:
                return b""  # too long: the caller answers 501
            try:
                d = self.sock.recv(4096)
            except (OSError, ssl.SSLError):
                d = b""
            if not d:
                return None
            self.buf += d
        l, _, self.buf = self.buf.partition(b"\n")
        if len(l) > MAX_LINE:
            return b""
        return l.rstrip(b"\r")

    def caps(self):
        lines = ["101 Capability list:", "VERSION 2", "READER"]
        if not self.tls:
            lines.append("STARTTLS")
        lines += ["IMPLEMENTATION tlskit-test-nntp", "."]
        self.send(*lines)

    def serve(self):
        self.send("200 tlskit test NNTP server ready (posting allowed)")
        while True:
            raw = self.line()
            if raw is None:
                return
            if raw == b"":
                self.send("501 Line too long")
                return
            words = raw.decode("ascii", "replace").split()
            cmd = words[0].upper() if words else ""
            if cmd == "CAPABILITIES":
                self.caps()
            elif cmd == "STARTTLS" and not self.tls:
                self.send("382 Continue with TLS negotiation")
                # RFC 4642 / CVE-2011-0411: plaintext pipelined after
                # STARTTLS must not be executed inside TLS
                self.buf = b""
                try:
                    self.sock = self.ctx.wrap_socket(self.sock,
                                                     server_side=True)
                except (OSError, ssl.SSLError):
                    return
                self.tls = True
            elif cmd == "STARTTLS":
                self.send("502 Command unavailable")
            elif cmd == "MODE" and len(words) > 1 and words[1].upper() == "READER":
                self.send("200 Posting allowed")
            elif cmd == "DATE":
                self.send("111 " + time.strftime("%Y%m%d%H%M%S", time.gmtime()))
            elif cmd == "QUIT":
                self.send("205 Connection closing")
                return
            else:
                self.send("500 Unknown command")


def handle(sock, ctx):
    sock.settimeout(30)
    c = Conn(sock, ctx)
    try:
        c.serve()
    except (OSError, ssl.SSLError):
        pass
    finally:
        try:
            if c.tls:
                c.sock.settimeout(1)
                c.sock.unwrap()  # close_notify, not a bare EOF
        except (OSError, ssl.SSLError, ValueError):
            pass
        try:
            c.sock.close()
        except OSError:
            pass


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit("usage: nntp_server.py CHAIN KEY [PORT]")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[1], sys.argv[2])
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", int(sys.argv[3]) if len(sys.argv) == 4 else 0))
    ls.listen(64)
    print("listening on 127.0.0.1:%d" % ls.getsockname()[1], flush=True)
    while True:
        c, _ = ls.accept()
        threading.Thread(target=handle, args=(c, ctx), daemon=True).start()


if __name__ == "__main__":
    main()
