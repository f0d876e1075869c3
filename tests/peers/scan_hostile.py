#!/usr/bin/python3
"""Hostile TLS servers for tests/scan-hostile.bats (tls-scan, issue #15).

  scan_hostile.py KIND [CERT.pem]

binds 127.0.0.1:0, prints "listening on 127.0.0.1:PORT" and serves until
killed, each connection in a thread.  Every read is bounded: at most
64 KiB of ClientHello and 10 s per connection.  KIND:

  acceptall   answers every ClientHello with a ServerHello that chooses
              the FIRST suite offered, whatever it is (NULL, export,
              anonymous, a TLS 1.3 suite in a TLS 1.0 hello, a code no
              registry knows), at the highest version the hello allows;
              an SSL 2.0 hello gets an SSL 2.0 SERVER-HELLO with its first
              cipher kind.  Then ServerHelloDone (TLS 1.3: a record that
              cannot decrypt): no handshake can finish.
  closehello  answers a hello that offers TLS_ECDHE_RSA_WITH_AES_128_GCM_
              SHA256 with a ServerHello choosing it (TLS 1.2 at most),
              then closes at once; any other hello gets a
              handshake_failure alert.
  garbage     reads the ClientHello, answers 4 KiB of bytes that are not
              TLS (not a record type, not an SSL 2.0 header, not text),
              closes.
  stall       accepts and never reads nor answers.

CERT (default testdata/localhost-rsa.crt) is the certificate of the SSL 2.0
SERVER-HELLO.
"""
import os, socket, ssl, struct, sys, threading, time

LIMIT = 65536
TLS13_SUITES = range(0x1301, 0x1306)


def recv_exact(c, n, buf):
    while len(buf) < n:
        d = c.recv(min(LIMIT, n - len(buf) + 4096))
        if not d:
            raise EOFError("peer closed")
        buf += d
        if len(buf) > LIMIT:
            raise ValueError("hello too long")
    return buf


def read_hello(c):
    """('tls', body) for a TLS ClientHello (handshake body, records joined),
    ('v2', body) for an SSL 2.0 CLIENT-HELLO, or None."""
    buf = recv_exact(c, 5, b"")
    if buf[0] & 0x80 and buf[2] == 1:  # SSL 2.0 header, CLIENT-HELLO
        n = ((buf[0] & 0x7F) << 8) | buf[1]
        buf = recv_exact(c, 2 + n, buf)
        return ("v2", buf[3:2 + n])
    if buf[0] != 0x16:
        return None
    hs = b""
    off = 0
    while True:
        buf = recv_exact(c, off + 5, buf)
        n = struct.unpack(">H", buf[off + 3:off + 5])[0]
        buf = recv_exact(c, off + 5 + n, buf)
        hs += buf[off + 5:off + 5 + n]
        off += 5 + n
        if len(hs) >= 4:
            m = int.from_bytes(hs[1:4], "big")
            if hs[0] != 1:
                return None
            if len(hs) >= 4 + m:
                return ("tls", hs[4:4 + m])
        if len(hs) > LIMIT:
            return None


def parse_hello(b):
    """(legacy_version, session_id, suites, {ext_type: data})"""
    ver = struct.unpack(">H", b[0:2])[0]
    p = 34
    sid = b[p + 1:p + 1 + b[p]]
    p += 1 + b[p]
    n = struct.unpack(">H", b[p:p + 2])[0]
    suites = [struct.unpack(">H", b[p + 2 + i:p + 4 + i])[0]
              for i in range(0, n - 1, 2)]
    p += 2 + n
    p += 1 + b[p]
    exts = {}
    if p + 2 <= len(b):
        end = p + 2 + struct.unpack(">H", b[p:p + 2])[0]
        p += 2
        while p + 4 <= min(end, len(b)):
            t, n = struct.unpack(">HH", b[p:p + 4])
            exts[t] = b[p + 4:p + 4 + n]
            p += 4 + n
    return ver, sid, suites, exts


def record(ctype, ver, body):
    return struct.pack(">BHH", ctype, ver, len(body)) + body


def handshake(mtype, body):
    return bytes([mtype]) + len(body).to_bytes(3, "big") + body


def server_hello(ver, sid, suite, exts=b""):
    body = (struct.pack(">H", ver) + os.urandom(32) + bytes([len(sid)]) +
            sid + struct.pack(">HB", suite, 0))
    if exts:
        body += struct.pack(">H", len(exts)) + exts
    return handshake(2, body)


def supported_versions(exts):
    d = exts.get(43)
    if not d:
        return []
    return [struct.unpack(">H", d[1 + i:3 + i])[0] for i in range(0, d[0], 2)]


def first_key_share(exts):
    d = exts.get(51)
    if not d or len(d) < 6:
        return None
    group, n = struct.unpack(">HH", d[2:6])
    return group, n


def answer_acceptall(c, kind, body, cert_der):
    if kind == "v2":
        ver, nspecs, nsid, nchal = struct.unpack(">HHHH", body[0:8])
        spec = body[8:11] if nspecs >= 3 else b"\x07\x00\xc0"
        if spec[0] == 0:  # a TLS suite in an SSL 2.0 hello: answer in TLS
            v = min(ver, 0x0303)
            sh = server_hello(v, b"", int.from_bytes(spec[1:3], "big"))
            c.sendall(record(0x16, v, sh + handshake(14, b"")))
            return
        msg = (bytes([4, 0, 1]) + struct.pack(">HHHH", 2, len(cert_der), 3, 16)
               + cert_der + spec + os.urandom(16))
        c.sendall(struct.pack(">H", 0x8000 | len(msg)) + msg)
        return
    ver, sid, suites, exts = parse_hello(body)
    suite = suites[0] if suites else 0
    sv = supported_versions(exts)
    if 0x0304 in sv and suite in TLS13_SUITES:
        ext = struct.pack(">HHH", 43, 2, 0x0304)
        ks = first_key_share(exts)
        if ks:
            group, n = ks
            ext += struct.pack(">HHHH", 51, 4 + n, group, n) + os.urandom(n)
        sh = server_hello(0x0303, sid, suite, ext)
        # the finished handshake's first encrypted record: cannot decrypt
        c.sendall(record(0x16, 0x0303, sh) + record(0x17, 0x0303,
                                                    os.urandom(64)))
        return
    v = max([x for x in sv if x <= 0x0303] or [min(ver, 0x0303)])
    c.sendall(record(0x16, v, server_hello(v, sid, suite) +
                     handshake(14, b"")))


def answer_closehello(c, kind, body):
    if kind == "tls":
        ver, sid, suites, exts = parse_hello(body)
        if 0xC02F in suites and (ver >= 0x0303 or
                                 0x0303 in supported_versions(exts)):
            c.sendall(record(0x16, 0x0303, server_hello(0x0303, sid, 0xC02F)))
            return
    c.sendall(b"\x15\x03\x03\x00\x02\x02\x28")  # fatal handshake_failure


def garbage():
    # 0x00 is no record type nor an SSL 2.0 header; not text either
    out = bytearray()
    x = 0x2545F491
    while len(out) < 4096:
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        out.append((0x80 | (x >> 16) & 0x7F) if len(out) % 4 else 0)
    return bytes(out)


def serve(kind, c, cert_der):
    try:
        c.settimeout(10)
        if kind == "stall":
            time.sleep(3600)
            return
        hello = read_hello(c)
        if kind == "garbage":
            c.sendall(garbage())
        elif hello is None:
            return
        elif kind == "acceptall":
            answer_acceptall(c, hello[0], hello[1], cert_der)
            # wait (bounded) for the client to give up
            while c.recv(4096):
                pass
        elif kind == "closehello":
            answer_closehello(c, hello[0], hello[1])
    except (OSError, EOFError, ValueError, IndexError, struct.error):
        pass
    finally:
        c.close()


def main():
    kind = sys.argv[1]
    if kind not in ("acceptall", "closehello", "garbage", "stall"):
        sys.exit("unknown kind " + kind)
    here = os.path.dirname(os.path.abspath(__file__))
    cert = sys.argv[2] if len(sys.argv) > 2 else os.path.join(
        here, "..", "..", "testdata", "localhost-rsa.crt")
    with open(cert) as f:
        cert_der = ssl.PEM_cert_to_DER_cert(f.read())
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(256)
    print("listening on 127.0.0.1:%d" % ls.getsockname()[1], flush=True)
    while True:
        c, _ = ls.accept()
        threading.Thread(target=serve, args=(kind, c, cert_der),
                         daemon=True).start()


if __name__ == "__main__":
    main()
