#!/usr/bin/python3
"""A tiny HTTP server for the AIA caIssuers fetch of tls-check-cert --fix-chain.

    aia_http.py ADDR PORT MODE [FILE]

Binds ADDR:PORT (exit 1 with "cannot bind" when it is taken), prints
"listening on ADDR:PORT" once ready, and answers every GET the way MODE
says; each request line goes to stdout as "GET /path Host: h".

MODE:
  ok        200, Content-Length, FILE's bytes
  chunked   200, Transfer-Encoding: chunked, FILE's bytes in three chunks
  close     200, no length: FILE's bytes, then the connection closes
  redirect  302 to /moved on the same host; /moved serves FILE (ok)
  404       404 Not Found
  hang      reads the request, never answers
  big       200 with Content-Length 4 MiB and that many bytes
  garbage   a response that is not HTTP
"""
import socket
import socketserver
import sys
import time


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        data = b""
        while b"\r\n\r\n" not in data and len(data) < 65536:
            chunk = self.request.recv(4096)
            if not chunk:
                return
            data += chunk
        head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
        host = ""
        for line in head[1:]:
            if line.lower().startswith("host:"):
                host = line[5:].strip()
        print("%s Host: %s" % (head[0].rsplit(" ", 1)[0], host), flush=True)
        path = head[0].split(" ")[1] if " " in head[0] else "/"
        mode = MODE
        if mode == "redirect" and path == "/moved":
            mode = "ok"
        send = self.request.sendall
        if mode == "ok":
            send(b"HTTP/1.1 200 OK\r\nContent-Type: application/pkix-cert\r\n"
                 b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(BODY)
                 + BODY)
        elif mode == "chunked":
            third = max(1, len(BODY) // 3)
            parts = [BODY[:third], BODY[third:2 * third], BODY[2 * third:]]
            out = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            for p in parts:
                if p:
                    out += b"%x;ext=1\r\n%s\r\n" % (len(p), p)
            out += b"0\r\nX-Trailer: yes\r\n\r\n"
            send(out)
        elif mode == "close":
            send(b"HTTP/1.0 200 OK\r\n\r\n" + BODY)
        elif mode == "redirect":
            send(b"HTTP/1.1 302 Found\r\nLocation: http://%s/moved\r\n"
                 b"Content-Length: 0\r\n\r\n" % host.encode())
        elif mode == "404":
            send(b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\n"
                 b"not found")
        elif mode == "hang":
            time.sleep(3600)
        elif mode == "big":
            n = 4 << 20
            send(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % n)
            block = b"x" * 65536
            try:
                for _ in range(n // len(block)):
                    send(block)
            except OSError:
                pass
        elif mode == "garbage":
            send(b"SSH-2.0-OpenSSH_9.2\r\n\r\n")


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    global MODE, BODY
    addr, port, MODE = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    BODY = b""
    if len(sys.argv) > 4:
        with open(sys.argv[4], "rb") as f:
            BODY = f.read()
    if ":" in addr:
        Server.address_family = socket.AF_INET6
    try:
        srv = Server((addr, port), Handler)
    except OSError as e:
        print("cannot bind %s:%d: %s" % (addr, port, e), file=sys.stderr)
        sys.exit(1)
    print("listening on %s:%d" % (addr, srv.server_address[1]), flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
