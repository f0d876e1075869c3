#!/usr/bin/python3
"""Hostile TCP peers for tests/hostile-*.bats.

Servers (print "listening on 127.0.0.1:PORT" once bound to port 0, serve
until killed):
  hostile.py server silent|alert|reset|garbage
Clients against HOST PORT (every wait bounded):
  hostile.py garbage PORT N CONC    N clients, CONC at a time, send garbage
  hostile.py stall PORT N SECS      N clients send a ClientHello prefix, wait
  hostile.py vanish PORT N          N clients handshake, send, RST mid-echo
  hostile.py noread PORT MB SECS    one client sends MB MiB, never reads
  hostile.py flood PORT N SECS      N clients connect and hold SECS
"""
import os, socket, ssl, struct, sys, threading, time

HELLO_PREFIX = bytes.fromhex("16030100f4010000f00303") + os.urandom(16)


def server(kind):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(64)
    print("listening on 127.0.0.1:%d" % ls.getsockname()[1], flush=True)
    held = []
    while True:
        c, _ = ls.accept()
        if kind == "silent":
            held.append(c)  # accept, never answer
        elif kind == "alert":
            c.sendall(b"\x15\x03\x03\x00\x02\x02\x28")  # fatal handshake_failure
            time.sleep(0.2)
            c.close()
        elif kind == "reset":
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                         struct.pack("ii", 1, 0))
            c.close()
        elif kind == "garbage":
            def feed(c=c):
                try:
                    chunk = b"A" * 65536
                    for _ in range(160):  # 10 MiB, no newline
                        c.sendall(chunk)
                except OSError:
                    pass
                finally:
                    c.close()
            threading.Thread(target=feed, daemon=True).start()


def connect(port, timeout=10):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    return s


def rst(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


def run_pool(n, conc, fn):
    errors = []
    sem = threading.Semaphore(conc)
    threads = []

    def one(i):
        try:
            fn(i)
        except Exception as e:  # count, do not die
            errors.append(repr(e))
        finally:
            sem.release()
    for i in range(n):
        sem.acquire()
        t = threading.Thread(target=one, args=(i,), daemon=True)
        t.start()
        threads.append(t)
    for t in threads:
        t.join(30)
    return errors


def garbage(port, n, conc):
    def fn(i):
        s = connect(port)
        try:
            s.sendall(os.urandom(64 + i % 512))
            s.settimeout(5)
            while s.recv(4096):
                pass
        except OSError:
            pass
        s.close()
    errs = run_pool(n, conc, fn)
    print("garbage clients: %d, connect errors: %d" % (n, len(errs)))


def stall(port, n, secs):
    socks = []
    for _ in range(n):
        s = connect(port)
        s.sendall(HELLO_PREFIX)
        socks.append(s)
    print("stalled", n, flush=True)
    end = time.monotonic() + secs
    closed = 0
    for s in socks:
        s.settimeout(max(0.01, end - time.monotonic()))
        try:
            if s.recv(4096) == b"":
                closed += 1
        except socket.timeout:
            pass
        except OSError:
            closed += 1
    print("closed by server:", closed, flush=True)


def vanish(port, n):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    done = 0
    for i in range(n):
        raw = connect(port)
        s = ctx.wrap_socket(raw, server_hostname="localhost")
        s.sendall(b"x" * (1000 * (i + 1)) + b"\n")
        rst(s)
        done += 1
    print("vanished:", done)


def noread(port, mb, secs):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    s = ctx.wrap_socket(connect(port), server_hostname="localhost")
    s.settimeout(secs)
    chunk = b"y" * 65536
    sent = 0
    end = time.monotonic() + secs
    try:
        while sent < mb * 1048576 and time.monotonic() < end:
            s.sendall(chunk)
            sent += len(chunk)
    except (socket.timeout, OSError):
        pass
    print("sent MiB:", sent // 1048576, flush=True)
    time.sleep(0.5)
    rst(s)


def flood(port, n, secs):
    socks = []
    fails = 0
    for _ in range(n):
        try:
            socks.append(connect(port, timeout=2))
        except OSError:
            fails += 1
    print("connected:", len(socks), "failed:", fails, flush=True)
    time.sleep(secs)
    for s in socks:
        rst(s)


def held(port, secs):
    """Echo 'before', hold the session SECS, echo 'during' (server busy)."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    s = ctx.wrap_socket(connect(port), server_hostname="localhost")
    s.settimeout(10)
    for word in (b"before\n", b"during\n"):
        s.sendall(word)
        got = b""
        while not got.endswith(b"\n"):
            d = s.recv(100)
            if not d:
                break
            got += d
        print("echo:", got.decode().strip(), flush=True)
        if word == b"before\n":
            time.sleep(secs)
    s.close()


def main():
    a = sys.argv[1:]
    if a[0] == "server":
        server(a[1])
    elif a[0] == "garbage":
        garbage(int(a[1]), int(a[2]), int(a[3]))
    elif a[0] == "stall":
        stall(int(a[1]), int(a[2]), float(a[3]))
    elif a[0] == "vanish":
        vanish(int(a[1]), int(a[2]))
    elif a[0] == "noread":
        noread(int(a[1]), int(a[2]), float(a[3]))
    elif a[0] == "held":
        held(int(a[1]), float(a[2]))
    elif a[0] == "flood":
        flood(int(a[1]), int(a[2]), float(a[3]))
    else:
        sys.exit("unknown mode " + a[0])


if __name__ == "__main__":
    main()
