#!/usr/bin/python3
"""A small HTTP CONNECT proxy for the --proxy tests.

    connect_proxy.py MODE [NAME=ADDR ...]

Listens on 127.0.0.1 (port 0), prints "listening on 127.0.0.1:PORT" once
ready, and logs each request line on stdout ("CONNECT host:port").  It
resolves the target itself: a NAME=ADDR argument maps NAME (which the
client cannot resolve) to ADDR, other names go to getaddrinfo.

MODE:
  ok        200 Connection established, then relays both ways
  refuse    403 Forbidden
  auth      407 Proxy Authentication Required
  garbage   a reply that is not HTTP
  hang      reads the request, never answers
  close     closes the connection without a word
  split     the 200 reply in pieces, one byte at a time
"""
import socket
import socketserver
import sys
import threading
import time

MAP = {}
# one request line at a time: print() from several threads at once can
# interleave and lose lines of the log the tests count
LOG = threading.Lock()


def relay(a, b):
    try:
        while True:
            data = a.recv(65536)
            if not data:
                break
            b.sendall(data)
    except OSError:
        pass
    finally:
        try:
            b.shutdown(socket.SHUT_WR)
        except OSError:
            pass


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        c = self.request
        data = b""
        while b"\r\n\r\n" not in data and len(data) < 65536:
            chunk = c.recv(4096)
            if not chunk:
                return
            data += chunk
        line = data.split(b"\r\n", 1)[0].decode("latin-1")
        with LOG:
            print(line.rsplit(" ", 1)[0], flush=True)
        if MODE == "refuse":
            c.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            return
        if MODE == "auth":
            c.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                      b"Proxy-Authenticate: Basic realm=\"x\"\r\n"
                      b"Content-Length: 0\r\n\r\n")
            return
        if MODE == "garbage":
            c.sendall(b"SSH-2.0-OpenSSH_9.2\r\n\r\n")
            return
        if MODE == "hang":
            time.sleep(3600)
            return
        if MODE == "close":
            return
        target = line.split(" ")[1]
        host, _, port = target.rpartition(":")
        host = host.strip("[]")
        host = MAP.get(host, host)
        try:
            up = socket.create_connection((host, int(port)), timeout=10)
        except OSError:
            c.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            return
        up.settimeout(None)
        reply = b"HTTP/1.1 200 Connection established\r\nVia: test\r\n\r\n"
        if MODE == "split":
            for i in range(len(reply)):
                c.sendall(reply[i:i + 1])
                time.sleep(0.002)
        else:
            c.sendall(reply)
        t = threading.Thread(target=relay, args=(up, c), daemon=True)
        t.start()
        relay(c, up)
        t.join(30)
        up.close()


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    global MODE
    MODE = sys.argv[1]
    for arg in sys.argv[2:]:
        name, addr = arg.split("=", 1)
        MAP[name] = addr
    srv = Server(("127.0.0.1", 0), Handler)
    print("listening on 127.0.0.1:%d" % srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
