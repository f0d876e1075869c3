#include "tls.h"

#include "banned.h"

/*
 * The IANA "TLS Application-Layer Protocol Negotiation (ALPN) Protocol
 * IDs" registry (RFC 7301 section 6), with the document defining each.
 * tls-alpn-probe --each offers every one of these alone when no --alpn
 * list is given.
 */
const struct tk_alpn_id tk_alpn_registry[] = {
	{"http/0.9", "HTTP/0.9", "RFC 1945"},
	{"http/1.0", "HTTP/1.0", "RFC 1945"},
	{"http/1.1", "HTTP/1.1", "RFC 9112"},
	{"spdy/1", "SPDY/1 (obsolete)", "Google SPDY draft"},
	{"spdy/2", "SPDY/2 (obsolete)", "Google SPDY draft"},
	{"spdy/3", "SPDY/3 (obsolete)", "Google SPDY draft"},
	{"stun.turn", "Traversal Using Relays around NAT", "RFC 7443"},
	{"stun.nat-discovery", "NAT discovery using STUN", "RFC 7443"},
	{"h2", "HTTP/2 over TLS", "RFC 9113"},
	{"h2c", "HTTP/2 over TCP (never valid in TLS)", "RFC 9113"},
	{"webrtc", "WebRTC media and data", "RFC 8833"},
	{"c-webrtc", "Confidential WebRTC media and data", "RFC 8833"},
	{"ftp", "FTP", "RFC 959, RFC 4217"},
	{"imap", "IMAP", "RFC 9051"},
	{"pop3", "POP3", "RFC 2449"},
	{"managesieve", "ManageSieve", "RFC 5804"},
	{"coap", "CoAP over TLS", "RFC 8323"},
	{"xmpp-client", "XMPP client-to-server", "XEP-0368"},
	{"xmpp-server", "XMPP server-to-server", "XEP-0368"},
	{"acme-tls/1", "ACME TLS-ALPN-01 challenge", "RFC 8737"},
	{"mqtt", "OASIS MQTT", "MQTT 5.0"},
	{"dot", "DNS over TLS", "RFC 7858"},
	{"ntske/1", "Network Time Security Key Establishment", "RFC 8915"},
	{"sunrpc", "SunRPC (RPC-with-TLS)", "RFC 9289"},
	{"h3", "HTTP/3 (QUIC only)", "RFC 9114"},
	{"smb", "SMB2 over QUIC", "MS-SMB2"},
	{"irc", "IRC", "IRCv3"},
	{"nntp", "NNTP reading", "RFC 3977, RFC 4642"},
	{"nnsp", "NNTP transit", "RFC 3977, RFC 4642"},
	{"doq", "DNS over QUIC", "RFC 9250"},
	{"sip/2", "SIP", "RFC 3261"},
	{"tds/8.0", "TDS 8.0 (SQL Server)", "MS-TDS"},
	{"dicom", "DICOM", "DICOM PS3.15"},
	{"postgresql", "PostgreSQL", "PostgreSQL protocol 3.0"},
	{"radius/1.0", "RADIUS/1.0 over TLS", "RFC 9765"},
	{"radius/1.1", "RADIUS/1.1 over TLS", "RFC 9765"},
};
const size_t tk_alpn_nregistry =
    sizeof(tk_alpn_registry) / sizeof(tk_alpn_registry[0]);
