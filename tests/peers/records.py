#!/usr/bin/env python3
"""A TLS server that writes many small records in one write.

tlskit's clients must process every record GnuTLS already holds, without
a further byte arriving (docs/ARCHITECTURE.md, "The poll loop").  This
peer encrypts into memory (ssl.MemoryBIO), one record per --split bytes,
and sends all the records of one reply with one sendall, so they reach
the client together and GnuTLS decrypts them from one read.

Modes:
  echo   echoes what it reads, --split bytes per record
  burst  after the handshake, --count lines "line N", one record each,
         then echoes like echo
Before TLS, --starttls line (STARTTLS / READY) or smtp (greeting, EHLO,
STARTTLS; inside TLS the EHLO reply goes out one byte per record, or,
with --extra N, in one record with N lines after it).
Prints "listening on 127.0.0.1:PORT"; serves clients one after another,
until killed.
"""
import argparse
import socket
import ssl
import sys


class Peer:
    def __init__(self, conn, ctx):
        self.conn = conn
        self.inc = ssl.MemoryBIO()
        self.out = ssl.MemoryBIO()
        self.obj = ctx.wrap_bio(self.inc, self.out, server_side=True)

    def flush(self):
        data = self.out.read()
        if data:
            self.conn.sendall(data)

    def pull(self):
        data = self.conn.recv(65536)
        if not data:
            raise EOFError
        self.inc.write(data)

    def handshake(self):
        while True:
            try:
                self.obj.do_handshake()
                break
            except ssl.SSLWantReadError:
                self.flush()
                self.pull()
        self.flush()

    def read(self):
        """Decrypted bytes; b"" at the client's close_notify."""
        while True:
            try:
                return self.obj.read(65536)
            except ssl.SSLWantReadError:
                self.flush()
                self.pull()
            except ssl.SSLZeroReturnError:
                return b""

    def send_records(self, chunks):
        """One record per chunk, all in one write."""
        for c in chunks:
            self.obj.write(c)
        self.flush()

    def close(self):
        try:
            self.obj.unwrap()
        except (ssl.SSLError, OSError):
            pass
        try:
            self.flush()
        except OSError:
            pass


def plain_line(conn, buf):
    while b"\n" not in buf[0]:
        data = conn.recv(4096)
        if not data:
            raise EOFError
        buf[0] += data
    line, _, rest = buf[0].partition(b"\n")
    buf[0] = rest
    return line.rstrip(b"\r")


def tls_line(peer, buf):
    while b"\n" not in buf[0]:
        data = peer.read()
        if not data:
            raise EOFError
        buf[0] += data
    line, _, rest = buf[0].partition(b"\n")
    buf[0] = rest
    return line.rstrip(b"\r")


def split(data, n):
    return [data[i:i + n] for i in range(0, len(data), n)]


def serve(conn, ctx, args):
    buf = [b""]
    if args.starttls == "line":
        plain_line(conn, buf)
        conn.sendall(b"READY\r\n")
    elif args.starttls == "smtp":
        conn.sendall(b"220 records ESMTP\r\n")
        plain_line(conn, buf)
        conn.sendall(b"250-records\r\n250 STARTTLS\r\n")
        plain_line(conn, buf)
        conn.sendall(b"220 go ahead\r\n")
    peer = Peer(conn, ctx)
    peer.handshake()
    if args.starttls == "smtp":
        tbuf = [b""]
        tls_line(peer, tbuf)
        reply = b"".join(b"250-ext%d\r\n" % i for i in range(60))
        reply += b"250 SIZE 1000\r\n"
        if args.extra > 0:
            # one record: the reply and lines after it, more than the
            # client's line reader takes in one read
            extra = b"".join(b"extra %d\r\n" % i
                             for i in range(args.extra))
            peer.send_records([reply + extra])
        else:
            peer.send_records(split(reply, 1))
    if args.mode == "burst":
        peer.send_records([b"line %d\n" % i for i in range(args.count)])
    while True:
        data = peer.read()
        if not data:
            break
        peer.send_records(split(data, args.split))
    peer.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--mode", choices=["echo", "burst"], default="echo")
    ap.add_argument("--split", type=int, default=1)
    ap.add_argument("--count", type=int, default=300)
    ap.add_argument("--starttls", choices=["line", "smtp"])
    ap.add_argument("--extra", type=int, default=0,
                    help="smtp: lines sent after the EHLO reply in TLS")
    args = ap.parse_args()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(64)
    print("listening on 127.0.0.1:%d" % ls.getsockname()[1], flush=True)
    while True:
        conn, _ = ls.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            serve(conn, ctx, args)
        except (EOFError, OSError, ssl.SSLError) as e:
            print("client: %s" % e, file=sys.stderr, flush=True)
        finally:
            conn.close()


if __name__ == "__main__":
    main()
