#!/usr/bin/python3
"""The Twisted TLS echo server bench/run.sh compares with (issue 8, item 4).

Usage: /usr/bin/python3 bench/twisted-echo.py CERT CHAIN KEY
Listens on 127.0.0.1, a free port, and prints 'listening on 127.0.0.1:PORT'.
"""
import sys

from twisted.internet import endpoints, protocol, reactor


class Echo(protocol.Protocol):
    def dataReceived(self, data):
        self.transport.write(data)


cert, chain, key = sys.argv[1:4]
desc = f"ssl:0:interface=127.0.0.1:privateKey={key}:certKey={cert}:extraCertChain={chain}"
d = endpoints.serverFromString(reactor, desc).listen(protocol.Factory.forProtocol(Echo))
d.addCallback(lambda p: print(f"listening on 127.0.0.1:{p.getHost().port}", flush=True))
d.addErrback(lambda f: (print(f.getErrorMessage(), file=sys.stderr), reactor.stop()))
reactor.run()
