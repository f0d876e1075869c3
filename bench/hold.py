#!/usr/bin/env python3
"""Open N TLS connections to one server and hold them idle (bench/idle.sh).

Usage: hold.py --port P [--host 127.0.0.1] [--name localhost] --ca CA.pem
               [--n 10000] [--inflight 64] [--timeout 20] [--hold 60]

Handshakes (certificate verified against --ca, name --name) at most
--inflight at a time; once every attempt has ended, waits half a second and
counts the connections still open, prints one JSON line on stdout
({"attempted", "established" (handshakes done), "held" (still open),
"errors", "first_error", "secs"}), and holds them
until SIGTERM, SIGINT or --hold seconds, then aborts them all.
Bounded: each connection's connect + handshake by --timeout, the ramp by
--n * --timeout / --inflight, the hold by --hold.  Raises its own
RLIMIT_NOFILE to N + 64 when it can (as root, the hard limit too).
"""
import argparse
import asyncio
import json
import resource
import signal
import ssl
import time


def raise_nofile(need):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= need:
        return
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, max(need, hard)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--name", default="localhost")
    ap.add_argument("--ca", required=True)
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--inflight", type=int, default=64)
    ap.add_argument("--timeout", type=float, default=20)
    ap.add_argument("--hold", type=float, default=60)
    a = ap.parse_args()
    raise_nofile(a.n + 64)

    ctx = ssl.create_default_context(cafile=a.ca)
    sem = asyncio.Semaphore(a.inflight)
    conns = []
    errors = 0
    first_error = None

    async def one():
        nonlocal errors, first_error
        async with sem:
            try:
                conns.append(await asyncio.wait_for(asyncio.open_connection(
                    a.host, a.port, ssl=ctx, server_hostname=a.name),
                    a.timeout))
            except (OSError, asyncio.TimeoutError, ssl.SSLError) as e:
                errors += 1
                if first_error is None:
                    first_error = f"after {len(conns)}: {e!r}"

    t0 = time.monotonic()
    await asyncio.gather(*(one() for _ in range(a.n)))
    secs = time.monotonic() - t0
    await asyncio.sleep(0.5)
    held = sum(1 for r, _ in conns
               if not r.at_eof() and r.exception() is None)
    print(json.dumps({"attempted": a.n, "established": len(conns),
                      "held": held, "errors": errors,
                      "first_error": first_error, "secs": round(secs, 2)}),
          flush=True)

    done = asyncio.Event()
    loop = asyncio.get_running_loop()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, done.set)
    try:
        await asyncio.wait_for(done.wait(), a.hold)
    except asyncio.TimeoutError:
        pass
    for _, w in conns:
        w.transport.abort()


if __name__ == "__main__":
    asyncio.run(main())
