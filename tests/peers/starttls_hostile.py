#!/usr/bin/python3
"""Scripted STARTTLS servers, well-behaved and hostile, for
tests/starttls-hostile.bats (issue 4).

  starttls_hostile.py [--mode MODE] [--cert CHAIN --key KEY]

Listens on 127.0.0.1 port 0, prints "listening on 127.0.0.1:PORT" as its
first stdout line, serves every connection in its own thread until killed,
and logs each line it gets and sends on stderr.  SMTP unless the mode
names another protocol.  Modes:

  good                 greeting, EHLO with STARTTLS, 220, TLS, EHLO inside
                       TLS, QUIT; a command pipelined after STARTTLS is
                       discarded (RFC 3207 section 4.2)
  not-advertised       EHLO without STARTTLS
  refused-smtp         STARTTLS answered "454 4.7.0 TLS not available"
  refused-imap         "a2 STARTTLS" answered "a2 NO ..."
  refused-pop3         STLS answered "-ERR ..."
  refused-ldap         StartTLS answered resultCode unavailable (52)
  endless-banner       "220-" lines as fast as the client reads them
  endless-banner-slow  one "220-" line every 0.2 s, forever
  huge-line            "220 " and 10 MB without a newline
  close-mid            closes after EHLO
  garbage-after-220    220 to STARTTLS, then garbage for a ServerHello
  inject-plaintext     "220 Ready" and "250 injected" in one write, then TLS
                       (a command pipelined after STARTTLS is discarded)
  injection-vulnerable commands pipelined after STARTTLS are answered
                       inside TLS (the CVE-2011-0411 flaw)
  never-handshakes     220 to STARTTLS, then silence
  dribble              good, but every plaintext reply a byte at a time
                       (2 ms apart) with bare LF line endings
  trickle-handshake    220 to STARTTLS, then a TLS record header and one
                       byte every 0.25 s: the handshake never completes
  silent-after-tls     TLS, then EHLO inside it never answered
  injection-odd        injection-vulnerable, but the first answer inside
                       TLS carries a backslash and an ESC byte
  odd-greeting         an SMTP greeting with UTF-8, an invalid byte and a
                       backslash ("220 caf\xc3\xa9 \xff a\\b ESMTP"), then
                       silence (a client that forgot --starttls quotes it)

Every read is bounded (IDLE seconds without a byte ends a connection);
the endless modes end when the client goes.
"""
import argparse, os, socket, ssl, sys, threading, time

HERE = os.path.dirname(os.path.abspath(__file__))
TESTDATA = os.path.join(HERE, "..", "..", "testdata")
IDLE = 30
LDAP_STARTTLS = b"1.3.6.1.4.1.1466.20037"


def log(cid, *words):
    print("[%d]" % cid, *words, file=sys.stderr, flush=True)


class Closed(Exception):
    """The client went away (EOF, reset or IDLE seconds of silence)."""


class Peer:
    """One client: a socket (plain, later TLS) and a line buffer."""

    def __init__(self, sock, cid):
        self.s = sock
        self.cid = cid
        self.buf = b""
        self.dribble = 0.0  # > 0: plaintext a byte at a time, LF endings
        sock.settimeout(IDLE)

    def recv(self):
        try:
            d = self.s.recv(65536)
        except (OSError, ssl.SSLError) as e:
            raise Closed(repr(e))
        if not d:
            raise Closed("EOF")
        return d

    def line(self):
        while b"\n" not in self.buf:
            if len(self.buf) > 65536:
                raise Closed("client line too long")
            self.buf += self.recv()
        line, self.buf = self.buf.split(b"\n", 1)
        line = line.rstrip(b"\r").decode("latin-1")
        log(self.cid, "C:", line)
        return line

    def send(self, *lines, raw=None):
        eol = b"\n" if self.dribble else b"\r\n"
        data = raw if raw is not None else \
            b"".join(ln.encode() + eol for ln in lines)
        for ln in lines:
            log(self.cid, "S:", ln)
        try:
            if self.dribble:
                for i in range(len(data)):
                    self.s.sendall(data[i:i + 1])
                    time.sleep(self.dribble)
            else:
                self.s.sendall(data)
        except (OSError, ssl.SSLError) as e:
            raise Closed(repr(e))

    def starttls(self, ctx):
        """TLS on the socket; bytes still buffered are returned, cleared."""
        left, self.buf = self.buf, b""
        self.dribble = 0.0
        try:
            self.s = ctx.wrap_socket(self.s, server_side=True)
        except (OSError, ssl.SSLError) as e:
            raise Closed("handshake: %r" % e)
        self.s.settimeout(IDLE)
        log(self.cid, "TLS", self.s.version())
        return left


# --- SMTP -----------------------------------------------------------------

EHLO_TLS = ("250-localhost", "250-PIPELINING", "250-8BITMIME",
            "250 STARTTLS")
EHLO_NOTLS = ("250-localhost", "250-PIPELINING", "250 8BITMIME")
EHLO_INSIDE = ("250-localhost", "250-PIPELINING", "250-8BITMIME",
               "250 AUTH PLAIN")


def smtp_answer(p, line, inside):
    """Answers one SMTP command; False after QUIT."""
    verb = line.split(" ", 1)[0].upper()
    if verb in ("EHLO", "HELO"):
        p.send(*(EHLO_INSIDE if inside else EHLO_TLS))
    elif verb == "QUIT":
        p.send("221 2.0.0 Bye")
        return False
    elif verb in ("NOOP", "RSET"):
        p.send("250 2.0.0 OK")
    elif verb == "STARTTLS" and inside:
        p.send("554 5.5.1 TLS already active")
    else:
        p.send("502 5.5.2 Command not recognized")
    return True


def smtp_until_starttls(p, ehlo=EHLO_TLS):
    """Greeting, then commands until STARTTLS, which it returns after."""
    p.send("220 localhost ESMTP starttls_hostile")
    while True:
        line = p.line()
        verb = line.split(" ", 1)[0].upper()
        if verb == "STARTTLS":
            return
        if verb in ("EHLO", "HELO"):
            p.send(*ehlo)
        elif not smtp_answer(p, line, False):
            raise Closed("QUIT")


def smtp_inside(p, pending):
    """Inside TLS: answers the pending lines first, then what comes."""
    for line in pending.split(b"\n"):
        line = line.rstrip(b"\r").decode("latin-1")
        if line:
            log(p.cid, "C(pipelined):", line)
            if not smtp_answer(p, line, True):
                return
    while smtp_answer(p, p.line(), True):
        pass


def smtp_good(p, ctx, vulnerable=False):
    smtp_until_starttls(p)
    if p.buf and not vulnerable:
        log(p.cid, "discarding %d bytes pipelined after STARTTLS"
            % len(p.buf))
        p.buf = b""
    p.send("220 2.0.0 Ready to start TLS")
    smtp_inside(p, p.starttls(ctx))


def smtp_not_advertised(p, ctx):
    smtp_until_starttls(p, EHLO_NOTLS)
    p.send("502 5.5.1 STARTTLS not offered")
    while smtp_answer(p, p.line(), False):
        pass


def smtp_refused(p, ctx):
    smtp_until_starttls(p)
    p.send("454 4.7.0 TLS not available")
    while smtp_answer(p, p.line(), False):
        pass


def endless_banner(p, ctx, interval=0.0):
    n = 0
    while True:
        n += 1
        if interval:
            p.send("220-localhost banner line %d, a banner that never ends"
                   % n)
            time.sleep(interval)
        else:
            # batches of 100 lines, not logged one by one
            p.send(raw=b"".join(
                b"220-localhost banner line %d, a banner that never ends\r\n"
                % (n * 100 + i) for i in range(100)))


def huge_line(p, ctx):
    log(p.cid, "S: 220 and 10 MB without a newline")
    chunk = b"A" * 65536
    p.send(raw=b"220 ")
    for _ in range(160):
        p.send(raw=chunk)
    p.line()  # hold the connection until the client goes


def close_mid(p, ctx):
    p.send("220 localhost ESMTP starttls_hostile")
    p.line()
    log(p.cid, "closing after EHLO")
    p.s.close()


def garbage_after_220(p, ctx):
    smtp_until_starttls(p)
    p.send("220 2.0.0 Ready to start TLS")
    hello = p.recv()  # the ClientHello, so the garbage is not injected
    log(p.cid, "got %d bytes (ClientHello), sending garbage" % len(hello))
    p.send(raw=b"\x00\x01garbage instead of a ServerHello\r\n" * 8)
    time.sleep(IDLE)  # the client gives up first


def dribble(p, ctx):
    p.dribble = 0.002
    smtp_good(p, ctx)


def trickle_handshake(p, ctx):
    smtp_until_starttls(p)
    p.send("220 2.0.0 Ready to start TLS")
    hello = p.recv()
    log(p.cid, "got %d bytes (ClientHello), trickling a 16 KiB record"
        % len(hello))
    p.send(raw=b"\x16\x03\x03\x40\x00")  # a handshake record, 16384 bytes
    while True:  # one byte of it every 0.25 s: never complete in time
        time.sleep(0.25)
        p.send(raw=b"\x02")


def silent_after_tls(p, ctx):
    smtp_until_starttls(p)
    p.send("220 2.0.0 Ready to start TLS")
    p.starttls(ctx)
    p.line()  # EHLO inside TLS, never answered
    time.sleep(IDLE)  # the client gives up first


def inject_plaintext(p, ctx):
    smtp_until_starttls(p)
    p.buf = b""  # injects, but is not injectable: pipelined bytes dropped
    log(p.cid, "S: 220 2.0.0 Ready to start TLS + 250 injected (one write)")
    p.send(raw=b"220 2.0.0 Ready to start TLS\r\n250 injected\r\n")
    smtp_inside(p, p.starttls(ctx))


def never_handshakes(p, ctx):
    smtp_until_starttls(p)
    p.send("220 2.0.0 Ready to start TLS")
    time.sleep(IDLE)  # the client gives up first


# --- IMAP, POP3 -------------------------------------------------------------

def imap_refused(p, ctx):
    p.send("* OK [CAPABILITY IMAP4rev1 STARTTLS] starttls_hostile ready")
    while True:
        line = p.line()
        tag, _, rest = line.partition(" ")
        cmd = rest.split(" ", 1)[0].upper()
        if cmd == "CAPABILITY":
            p.send("* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED",
                   tag + " OK CAPABILITY completed")
        elif cmd == "STARTTLS":
            p.send(tag + " NO [UNAVAILABLE] TLS not available")
        elif cmd == "LOGOUT":
            p.send("* BYE", tag + " OK LOGOUT completed")
            return
        else:
            p.send(tag + " BAD unknown command")


def pop3_refused(p, ctx):
    p.send("+OK starttls_hostile POP3 ready")
    while True:
        cmd = p.line().split(" ", 1)[0].upper()
        if cmd == "CAPA":
            p.send("+OK Capability list follows", "USER", "STLS", ".")
        elif cmd == "STLS":
            p.send("-ERR TLS not available")
        elif cmd == "QUIT":
            p.send("+OK bye")
            return
        else:
            p.send("-ERR unknown command")


# --- LDAP (RFC 4511), BER by hand -----------------------------------------

def ber_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def tlv(tag, value):
    return bytes([tag]) + ber_len(len(value)) + value


def ber_read(p):
    """One BER element (tag, length, value) from the client, whole."""
    while True:
        b = p.buf
        if len(b) >= 2:
            n, off = b[1], 2
            if n & 0x80:
                k = n & 0x7f
                if k == 0 or k > 4:
                    raise Closed("BER length form not supported")
                if len(b) >= 2 + k:
                    n, off = int.from_bytes(b[2:2 + k], "big"), 2 + k
                else:
                    n = None
            if n is not None and n > 65536:
                raise Closed("BER element too long")
            if n is not None and len(b) >= off + n:
                p.buf = b[off + n:]
                return b[0], b[off:off + n]
        p.buf += p.recv()


def ldap_refused(p, ctx):
    tag, msg = ber_read(p)
    if tag != 0x30 or len(msg) < 3 or msg[0] != 0x02:
        raise Closed("not an LDAPMessage")
    idlen = msg[1]
    msgid = int.from_bytes(msg[2:2 + idlen], "big")
    op = msg[2 + idlen]
    log(p.cid, "C: LDAPMessage %d op 0x%02x (%d bytes)%s" % (
        msgid, op, len(msg) + 2,
        " StartTLS" if LDAP_STARTTLS in msg else ""))
    resp = tlv(0x78, tlv(0x0a, b"\x34")              # unavailable (52)
               + tlv(0x04, b"")                      # matchedDN
               + tlv(0x04, b"TLS not available")     # diagnosticMessage
               + tlv(0x8a, LDAP_STARTTLS))           # responseName
    log(p.cid, "S: ExtendedResponse %d unavailable (52)" % msgid)
    p.send(raw=tlv(0x30, tlv(0x02, msg[2:2 + idlen]) + resp))
    p.recv()  # until the client closes


def injection_odd(p, ctx):
    smtp_until_starttls(p)
    p.send("220 2.0.0 Ready to start TLS")
    p.starttls(ctx)
    p.send(raw=b"250 a\\b \x1b[2J ok\r\n")
    p.line()  # hold the connection until the client goes


def odd_greeting(p, ctx):
    p.send(raw=b"220 caf\xc3\xa9 \xff a\\b ESMTP\r\n")
    p.line()  # hold the connection until the client goes


HANDLERS = {
    "good": smtp_good,
    "not-advertised": smtp_not_advertised,
    "refused-smtp": smtp_refused,
    "refused-imap": imap_refused,
    "refused-pop3": pop3_refused,
    "refused-ldap": ldap_refused,
    "endless-banner": endless_banner,
    "endless-banner-slow": lambda p, ctx: endless_banner(p, ctx, 0.2),
    "huge-line": huge_line,
    "close-mid": close_mid,
    "garbage-after-220": garbage_after_220,
    "dribble": dribble,
    "trickle-handshake": trickle_handshake,
    "silent-after-tls": silent_after_tls,
    "inject-plaintext": inject_plaintext,
    "injection-vulnerable": lambda p, ctx: smtp_good(p, ctx, True),
    "never-handshakes": never_handshakes,
    "injection-odd": injection_odd,
    "odd-greeting": odd_greeting,
}


def serve(mode, ctx, sock, cid):
    p = Peer(sock, cid)
    log(cid, "connected, mode", mode)
    try:
        HANDLERS[mode](p, ctx)
        log(cid, "done")
    except Closed as e:
        log(cid, "closed:", e)
    finally:
        try:
            p.s.close()
        except OSError:
            pass


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mode", choices=sorted(HANDLERS), default="good")
    ap.add_argument("--cert", default=os.path.join(
        TESTDATA, "localhost-rsa-chain.pem"))
    ap.add_argument("--key", default=os.path.join(
        TESTDATA, "localhost-rsa.key"))
    a = ap.parse_args()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(64)
    print("listening on 127.0.0.1:%d" % ls.getsockname()[1], flush=True)
    cid = 0
    while True:
        c, _ = ls.accept()
        cid += 1
        threading.Thread(target=serve, args=(a.mode, ctx, c, cid),
                         daemon=True).start()


if __name__ == "__main__":
    main()
