#!/usr/bin/python3
"""A TLS server that refuses ALPN as Twisted does on OpenSSL 3, for
tests/alpn-probe.bats: its pyOpenSSL selection callback answers an empty
protocol when the client offers none of its own, and OpenSSL 3 ends that
handshake with a fatal internal_error (80), not no_application_protocol
(120).  An offer with one of its protocols is answered (its preference
first) and the handshake completes.

  alpn_twisted.py CHAIN KEY PROTO[,PROTO...]

Binds 127.0.0.1:0, prints "listening on 127.0.0.1:PORT" once bound, and
serves every connection in a thread until killed: the handshake, then it
reads until the client closes.
"""
import socket, sys, threading

from OpenSSL import SSL


def main():
    chain, key, protos = sys.argv[1], sys.argv[2], sys.argv[3]
    mine = [p.encode() for p in protos.split(",")]

    def select(conn, offered):
        for p in mine:
            if p in offered:
                return p
        return b""  # what Twisted answers for no overlap

    ctx = SSL.Context(SSL.TLS_SERVER_METHOD)
    ctx.use_certificate_chain_file(chain)
    ctx.use_privatekey_file(key)
    ctx.set_alpn_select_callback(select)

    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(16)
    print("listening on 127.0.0.1:%d" % lsock.getsockname()[1], flush=True)

    def serve(sock):
        # blocking: pyOpenSSL raises WantReadError on a socket timeout
        conn = SSL.Connection(ctx, sock)
        conn.set_accept_state()
        try:
            conn.do_handshake()
            while conn.recv(4096):
                pass  # until the client's close_notify or EOF
        except (SSL.Error, OSError):
            pass
        try:
            conn.shutdown()
        except (SSL.Error, OSError):
            pass
        sock.close()

    while True:
        sock, _ = lsock.accept()
        threading.Thread(target=serve, args=(sock,), daemon=True).start()


main()
